"""A small SensorThings API v1.1 service over real HTTP, for the client's tests, and an MQTT broker.

`SensorThingsServer` serves a SensorThings response (tests/data/sensorthings/) as a service does:
`/Things` with `$expand` (Locations, Datastreams, ObservedProperty; what is not asked for is left
out), `/Datastreams(ID)/Observations` with `$filter` on phenomenonTime (gt, ge, lt, le joined by
"and"; an interval compares by its end), `$top`/`$skip` paging with real `@iot.nextLink`s, and
a bearer token when one is set. `misbehave` makes it slow, answer 500, HTML, broken JSON, or a
next link to another host, for a number of requests or for good. `add_observation` makes new
data appear, as a live service's does.

`Mosquitto` runs the real broker (Debian package `mosquitto`) on a free local port, and can be
stopped and started again on the same port.
"""

from __future__ import annotations

import contextlib
import copy
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

import numpy as np
from pyproj import Transformer

ROOT = "/sta/v1.1"
PAGE = 10
_CONDITION = re.compile(r"phenomenonTime (gt|ge|lt|le) (\S+)")


class SensorThingsServer:
    def __init__(self, response: Path, token: str | None = None) -> None:
        document = json.loads(response.read_text(encoding="utf-8"))
        self.things = document["value"]
        self.token = token
        self.requests: list[str] = []
        self.mode: str | None = None
        self.mode_count = 0  # requests left to misbehave; -1 for good
        self.slow_s = 3.0
        self._lock = threading.Lock()
        self._http = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._http.daemon_threads = True
        self._thread = threading.Thread(target=self._http.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._http.server_address[1]}{ROOT}"

    def __enter__(self) -> SensorThingsServer:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._http.shutdown()
        self._http.server_close()

    def misbehave(self, mode: str | None, count: int = -1) -> None:
        """slow, 500, html, broken, foreign_link or None; for `count` requests (-1: until told)."""
        with self._lock:
            self.mode, self.mode_count = mode, count

    def add_observation(self, stream_id, time_text: str, value: float, observation_id: int) -> None:
        with self._lock:
            stream = self._stream(stream_id)
            stream["Observations"].append({"@iot.id": observation_id, "phenomenonTime": time_text,
                                           "result": value})

    def _stream(self, stream_id) -> dict:
        return next(stream for thing in self.things for stream in thing["Datastreams"]
                    if str(stream["@iot.id"]) == str(stream_id))

    def _take_mode(self) -> str | None:
        with self._lock:
            mode = self.mode
            if self.mode_count > 0:
                self.mode_count -= 1
                if self.mode_count == 0:
                    self.mode = None
            return mode

    def answer(self, path: str, query: dict[str, str], headers) -> tuple[int, str, bytes]:
        self.requests.append(f"{path}?{urlencode(query)}")
        if self.token and headers.get("Authorization") != f"Bearer {self.token}":
            return 401, "application/json", b'{"message": "unauthorized"}'
        mode = self._take_mode()
        if mode == "slow":
            time.sleep(self.slow_s)
        if mode == "500":
            return 500, "text/plain", b"internal error"
        if mode == "html":
            return 200, "text/html", b"<!DOCTYPE html><html><body>Login</body></html>"
        if mode == "broken":
            return 200, "application/json", b'{"value": [{"@iot.id": 1, "name": '
        with self._lock:
            document = self._document(path, query)
        if document is None:
            return 404, "application/json", b'{"message": "not found"}'
        if mode == "foreign_link" and "@iot.nextLink" in document:
            document["@iot.nextLink"] = "http://elsewhere.example.org" + ROOT + "/Things?$skip=10"
        return 200, "application/json", json.dumps(document).encode("utf-8")

    def _document(self, path: str, query: dict[str, str]) -> dict | None:
        if path == f"{ROOT}/Things":
            return self._page(path, query, [_expanded(thing, query.get("$expand", ""))
                                            for thing in self.things])
        match = re.fullmatch(re.escape(ROOT) + r"/Datastreams\(('?)(.+?)\1\)/Observations", path)
        if match is None:
            return None
        try:
            stream = self._stream(match.group(2).replace("''", "'"))
        except StopIteration:
            return None
        observations = sorted(stream["Observations"], key=_end)
        observations = [item for item in observations if _passes(item, query.get("$filter", ""))]
        if "$select" in query:
            keep = query["$select"].split(",")
            observations = [{key: item[key] for key in keep if key in item} for item in observations]
        return self._page(path, query, observations)

    def _page(self, path: str, query: dict[str, str], entities: list) -> dict:
        skip, top = int(query.get("$skip", 0)), min(int(query.get("$top", PAGE)), PAGE)
        document = {"value": entities[skip:skip + top]}
        if skip + top < len(entities):
            following = {**query, "$skip": str(skip + top), "$top": str(top)}
            document["@iot.nextLink"] = f"http://127.0.0.1:{self._http.server_address[1]}{path}?" \
                                        f"{urlencode(following)}"
        return document


def _handler(server: SensorThingsServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (http.server's name)
            parts = urlsplit(self.path)
            query = {key: values[0] for key, values in parse_qs(parts.query).items()}
            status, kind, body = server.answer(parts.path, query, self.headers)
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # the client gave up
                self.wfile.write(body)

        def log_message(self, *_: object) -> None:
            pass

    return Handler


def _expanded(thing: dict, expand: str) -> dict:
    """A Thing as `$expand` asks: Observations never (they come from their own collection)."""
    thing = copy.deepcopy(thing)
    if "Locations" not in expand:
        thing.pop("Locations")
    if "Datastreams" not in expand:
        thing.pop("Datastreams")
        return thing
    for stream in thing["Datastreams"]:
        stream.pop("Observations")
        if "ObservedProperty" not in expand:
            stream.pop("ObservedProperty")
    return thing


def _end(observation: dict) -> np.datetime64:
    return np.datetime64(observation["phenomenonTime"].split("/")[-1].removesuffix("Z"), "s")


def _passes(observation: dict, condition: str) -> bool:
    end = _end(observation)
    checks = {"gt": end.__gt__, "ge": end.__ge__, "lt": end.__lt__, "le": end.__le__}
    return all(checks[operator](np.datetime64(text.removesuffix("Z"), "s"))
               for operator, text in _CONDITION.findall(condition))


# MQTT -----------------------------------------------------------------------------------------


def mosquitto_binary() -> str | None:
    return shutil.which("mosquitto") or next(
        (path for path in ("/usr/sbin/mosquitto", "/usr/bin/mosquitto") if Path(path).exists()), None)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Mosquitto:
    """The real broker on a local port, with no persistence: a restart forgets every session."""

    def __init__(self, folder: Path) -> None:
        self.binary = mosquitto_binary()
        self.port = free_port()
        self.config = folder / "mosquitto.conf"
        self.config.write_text(f"listener {self.port} 127.0.0.1\nallow_anonymous true\n"
                               "persistence false\nmax_queued_messages 100000\n", encoding="utf-8")
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.process = subprocess.Popen([self.binary, "-c", str(self.config)],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", self.port)) == 0:
                    return
            time.sleep(0.05)
        raise RuntimeError(f"mosquitto did not listen on port {self.port}")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(10)
            self.process = None


# m, EPSG:25833: the two stations of the reference service moved into the test terrain's West quarter
TEST_TERRAIN_STATIONS = ((411_050.0, 5_654_050.0), (411_150.0, 5_654_050.0))


def service_on_test_terrain(response: Path, folder: Path, *, dates_moved_to_now: bool = False) -> Path:
    """A copy of a SensorThings response with its stations on the test terrain, optionally with its
    observations moved so that the last one ends now (a last day's history then holds them)."""
    document = json.loads(response.read_text(encoding="utf-8"))
    to_wgs84 = Transformer.from_crs("EPSG:25833", "EPSG:4326", always_xy=True)
    for thing, (x, y) in zip(document["value"], TEST_TERRAIN_STATIONS, strict=False):
        thing["Locations"][0]["location"]["coordinates"] = [*to_wgs84.transform(x, y), 110.0]
    if dates_moved_to_now:
        _move_observations_to_now(document)
    path = folder / "service.sta.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    return path


def _move_observations_to_now(document: dict) -> None:
    shift = np.datetime64("now", "s") - np.datetime64("2026-07-10T18:00:00")
    for thing in document["value"]:
        for observation in thing["Datastreams"][0]["Observations"]:
            ends = [np.datetime64(part.removesuffix("Z"), "s") + shift
                    for part in observation["phenomenonTime"].split("/")]
            observation["phenomenonTime"] = "/".join(f"{end}Z" for end in ends)


def start_watch(scenario: Path, server: SensorThingsServer, project_root: Path,
                timeout_s: float) -> subprocess.Popen:
    """`python main.py watch SCENARIO` in a process of its own, returned once it has read the
    service's history (its first request for observations, and a second to check the rule)."""
    process = subprocess.Popen([sys.executable, "main.py", "watch", str(scenario)], cwd=project_root,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               env={**os.environ, "PYTHONUNBUFFERED": "1"})
    deadline = time.monotonic() + timeout_s
    while not any("Observations" in request for request in server.requests):
        if time.monotonic() > deadline or process.poll() is not None:
            process.kill()
            raise AssertionError(f"watch did not read the service: {process.communicate()[1]}")
        time.sleep(0.1)
    time.sleep(1.0)  # the history read and the rule checked on it
    return process
