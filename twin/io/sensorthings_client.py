"""A client of an OGC SensorThings API v1.1 service: stations, datastreams and observations over HTTP.

    client = SensorThingsClient("https://sta.example.org/FROST-Server/v1.1", token=None)
    sensors, raw_ids = client.sensors(since=np.datetime64("2026-07-10T12:00:00"))
    new = client.observations_since(raw_ids["11"], "11", last_time)

Things come with `$expand=Locations,Datastreams($expand=ObservedProperty)`, observations by
time window with `$filter=phenomenonTime gt ...`; every collection is read to its end by
following `@iot.nextLink` (only links on the service's own scheme, host and port are followed,
so a token never goes to another site). The stations are parsed by twin/io/sensors.py, as a
saved response would be, so a service gives the same SensorData as a file.

HTTP is `requests` with urllib3's `Retry`: connection failures, read timeouts and answers 429,
500, 502, 503 and 504 are retried with exponential backoff before the service counts as
unreachable. Every failure is a `SensorServiceError` (a TwinIOError) naming the URL and the
problem in one sentence. A token is sent as an `Authorization: Bearer` header; it lives in this
object only (the twin writes it to no file; `watch` scenarios name an environment variable).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import numpy as np
import requests
from requests.adapters import HTTPAdapter
from urllib3 import exceptions as urllib3_errors
from urllib3.util.retry import Retry

from twin.core.data import SensorData
from twin.core.live import Observation
from twin.io.errors import TwinIOError
from twin.io.sensors import observation_arrays, sensors_from_response

THINGS_QUERY = {"$expand": "Locations,Datastreams($expand=ObservedProperty)", "$top": "100"}
OBSERVATION_FIELDS = "@iot.id,phenomenonTime,result"
RETRY_STATUSES = (429, 500, 502, 503, 504)
MAX_PAGES = 10_000  # a service whose next links never end is broken, not big


class SensorServiceError(TwinIOError):
    """A SensorThings service cannot be read: unreachable, refusing, or answering something else."""

    def __init__(self, url: str, problem: str) -> None:
        super().__init__(url, problem)
        self.url = url
        self.args = (f"{url}: {self.problem}",)  # a URL, not a path: keep its double slash

    def __str__(self) -> str:
        return self.args[0]


@dataclass(frozen=True)
class ServiceSettings:
    timeout_s: float = 10.0
    retries: int = 3
    backoff_s: float = 0.5  # waits of 0.5, 1, 2 ... s between retries


class SensorThingsClient:
    """Reads one SensorThings service. Not thread safe: give each thread its own client."""

    def __init__(self, url: str, token: str | None = None,
                 settings: ServiceSettings | None = None) -> None:
        self.url = _service_root(url)
        self.settings = settings or ServiceSettings()
        self._session = requests.Session()
        retry = Retry(total=self.settings.retries, connect=self.settings.retries,
                      read=self.settings.retries, status=self.settings.retries,
                      backoff_factor=self.settings.backoff_s, status_forcelist=RETRY_STATUSES,
                      allowed_methods=("GET",), raise_on_status=False, respect_retry_after_header=False)
        adapter = HTTPAdapter(max_retries=retry)
        self._session.mount("http://", adapter)
        self._session.mount("https://", adapter)
        self._session.headers["Accept"] = "application/json"
        if token:
            self._session.headers["Authorization"] = f"Bearer {token}"

    def close(self) -> None:
        self._session.close()

    def things(self) -> list[dict]:
        """Every Thing with its Locations and Datastreams (each with its ObservedProperty)."""
        things = self.collection("Things", THINGS_QUERY)
        for thing in things:
            link = thing.get("Datastreams@iot.nextLink") if isinstance(thing, dict) else None
            if isinstance(link, str) and isinstance(thing.get("Datastreams"), list):
                thing["Datastreams"] += self._follow(link, f"the Datastreams of Thing {thing.get('@iot.id')}")
        return things

    def sensors(self, since: np.datetime64 | None = None) -> tuple[SensorData, dict[str, Any]]:
        """The stations in WGS84 with their observations since `since` (None: none), and the
        datastreams' ids as the service spells them (by the text id SensorData uses)."""
        things = self.things()
        raw_ids: dict[str, Any] = {}
        for thing in things:
            for stream in thing.get("Datastreams") or [] if isinstance(thing, dict) else []:
                if isinstance(stream, dict) and "@iot.id" in stream:
                    raw_ids[_id_text(stream["@iot.id"])] = stream["@iot.id"]
                    stream["Observations"] = ([] if since is None else
                                              self._observation_documents(stream["@iot.id"], since))
        try:
            sensors = sensors_from_response(Path(self.url), {"value": things})
        except TwinIOError as error:
            raise SensorServiceError(self.url, error.problem) from None
        return sensors, raw_ids

    def observations_since(self, raw_id: Any, datastream_id: str,
                           since: np.datetime64 | None) -> list[Observation]:
        """The datastream's observations after `since` (all of them for None), oldest first."""
        documents = self._observation_documents(raw_id, since)
        where = f"Datastream {datastream_id}"
        try:
            times, values = observation_arrays(Path(self.url), where, documents)
        except TwinIOError as error:
            raise SensorServiceError(self.url, error.problem) from None
        ids = [_id_text(item["@iot.id"]) if "@iot.id" in item else None for item in documents]
        return [Observation(datastream_id, time, float(value), identity)
                for time, value, identity in zip(times, values, ids, strict=True)]

    def _observation_documents(self, raw_id: Any, since: np.datetime64 | None) -> list[dict]:
        query = {"$orderby": "phenomenonTime asc", "$select": OBSERVATION_FIELDS, "$top": "1000"}
        if since is not None:
            query["$filter"] = f"phenomenonTime gt {np.datetime_as_string(since, unit='s')}Z"
        return self.collection(f"Datastreams({_id_literal(raw_id)})/Observations", query)

    def collection(self, path: str, query: dict[str, str]) -> list[Any]:
        """Every entity of a collection, following @iot.nextLink to the last page."""
        page = self.get_json(f"{self.url}/{path}", query)
        return self._entities(page, path) + self._follow(page.get("@iot.nextLink"), path)

    def _follow(self, link: Any, what: str) -> list[Any]:
        entities: list[Any] = []
        visited: set[str] = set()
        while isinstance(link, str) and link:
            self._check_next_link(link, visited)
            visited.add(link)
            page = self.get_json(link, None)
            entities += self._entities(page, what)
            link = page.get("@iot.nextLink")
        return entities

    def _check_next_link(self, link: str, visited: set[str]) -> None:
        if link in visited:
            raise SensorServiceError(link, "the service's next link points back to a page already read")
        if len(visited) >= MAX_PAGES:
            raise SensorServiceError(link, f"the service pages on past {MAX_PAGES} pages")
        ours, theirs = urlsplit(self.url), urlsplit(link)
        if (theirs.scheme, theirs.netloc) != (ours.scheme, ours.netloc):
            raise SensorServiceError(link, f"the next link leaves the service ({ours.netloc}); "
                                           "the twin follows links on the service's own host only")

    def _entities(self, page: dict, what: str) -> list[Any]:
        if not isinstance(page.get("value"), list):
            raise SensorServiceError(self.url, f"the answer for {what} is not a SensorThings collection "
                                               "(no \"value\" list)")
        return page["value"]

    def get_json(self, url: str, query: dict[str, str] | None) -> dict:
        """One GET, retried as configured; a JSON object, or a SensorServiceError naming the URL."""
        try:
            response = self._session.get(url, params=query, timeout=self.settings.timeout_s)
        except requests.RequestException as error:
            url, causes = _without_query(url), _causes(error)
            if any(_is_timeout(cause) for cause in causes):
                raise SensorServiceError(url, f"the service did not answer within "
                                              f"{self.settings.timeout_s:g} s ({self.settings.retries} "
                                              "retries)") from None
            raise SensorServiceError(url, f"the service cannot be reached ({causes[-1]})") from None
        with response:
            return _json_answer(response)


def _json_answer(response: requests.Response) -> dict:
    url = _without_query(response.url)
    if response.status_code in (401, 403):
        raise SensorServiceError(url, f"the service refused access (HTTP {response.status_code}); it needs "
                                      "a valid token")
    if response.status_code >= 400:
        raise SensorServiceError(url, f"the service answered HTTP {response.status_code} "
                                      f"({response.reason or 'error'})")
    text = response.text
    if "html" in response.headers.get("Content-Type", "").lower() or text.lstrip()[:1] == "<":
        raise SensorServiceError(url, "the service answered a web page (HTML), not SensorThings JSON; "
                                      "give the service root, such as https://host/FROST-Server/v1.1")
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        raise SensorServiceError(url, f"the answer is not valid JSON ({error.msg} at line {error.lineno}, "
                                      f"column {error.colno})") from None
    except RecursionError:
        raise SensorServiceError(url, "the answer's JSON nests too deeply") from None
    if not isinstance(document, dict):
        raise SensorServiceError(url, "the answer is JSON but not a SensorThings object")
    return document


def _service_root(url: str) -> str:
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise SensorServiceError(url, "a sensor service is opened by its http:// or https:// URL")
    return url.strip().rstrip("/")


def _without_query(url: str) -> str:
    """A URL as messages name it: the resource, without the (long, encoded) query."""
    return url.split("?", 1)[0]


def _causes(error: BaseException) -> list[BaseException]:
    """The error and what it wraps, outermost first (requests wraps urllib3, which wraps the socket's)."""
    chain = [error]
    for _ in range(8):
        inner = getattr(chain[-1], "reason", None) or chain[-1].__context__
        if not isinstance(inner, BaseException):
            break
        chain.append(inner)
    return chain


def _is_timeout(cause: BaseException) -> bool:
    # urllib3 derives "connection refused" (NewConnectionError) from its connect timeout
    return (isinstance(cause, TimeoutError | requests.Timeout | urllib3_errors.TimeoutError)
            and not isinstance(cause, urllib3_errors.NewConnectionError))


def _id_text(raw_id: Any) -> str:
    """An @iot.id as SensorData spells it (text; numbers as JSON writes them)."""
    return raw_id if isinstance(raw_id, str) else json.dumps(raw_id)


def _id_literal(raw_id: Any) -> str:
    """An @iot.id in a resource path: 11, or 'text' with quotes doubled (OData)."""
    if isinstance(raw_id, str):
        return "'" + raw_id.replace("'", "''") + "'"
    return json.dumps(raw_id)


class ServicePoller:
    """Asks a service for what each datastream of a live layer observed since its latest value."""

    def __init__(self, client: SensorThingsClient, raw_ids: dict[str, Any]) -> None:
        self.client = client
        self.raw_ids = raw_ids

    def poll(self, latest: dict[str, np.datetime64 | None]) -> list[Observation]:
        """New observations of the datastreams in `latest` (id -> newest time the layer has)."""
        observations: list[Observation] = []
        for stream_id, since in latest.items():
            if stream_id in self.raw_ids:
                observations += self.client.observations_since(self.raw_ids[stream_id], stream_id, since)
        return observations


def service_info(url: str, token: str | None = None,
                 settings: ServiceSettings | None = None) -> dict[str, Any]:
    """The `info URL` summary: the service's stations and datastreams, without observations."""
    client = SensorThingsClient(url, token, settings)
    try:
        sensors, _ = client.sensors()
    finally:
        client.close()
    names = sensors.attributes.get("name", sensors.ids)
    stations = [{"id": str(station), "name": str(name), "lon": float(xyz[0]), "lat": float(xyz[1])}
                for station, name, xyz in zip(sensors.ids, names, sensors.xyz, strict=True)]
    streams = [{"id": stream.id, "station": stream.station_id, "name": stream.name,
                "quantity": stream.quantity, "unit": stream.unit} for stream in sensors.datastreams]
    return {"kind": "sensors", "format": "SensorThings API", "version": "1.1", "url": client.url,
            "crs": sensors.crs, "stations": len(stations), "datastreams": len(streams),
            "station_list": stations, "datastream_list": streams}
