"""Stations and time series from SensorThings API JSON and from the CSV pair."""

import json
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import PROJECT_ROOT
from twin.core import SensorsLayer
from twin.io import TwinIOError, file_info, read_layer
from twin.io.formats import format_for
from twin.io.sensors import read_sensors, sensors_info

BAD_INPUT = PROJECT_ROOT / "tests" / "badinput" / "sensors"


def thing(thing_id, name, location, datastreams, **extra) -> dict:
    return {"@iot.id": thing_id, "@iot.selfLink": f"https://sta.example.org/v1.1/Things({thing_id})",
            "name": name, "description": f"{name}, test station", **extra,
            "Locations": [{"@iot.id": thing_id, "encodingType": "application/geo+json",
                           "location": location}],
            "Datastreams": datastreams}


def datastream(stream_id, name, quantity, symbol, observations, **extra) -> dict:
    return {"@iot.id": stream_id, "name": name, **extra,
            "unitOfMeasurement": {"name": quantity, "symbol": symbol, "definition": "urn:unit"},
            "ObservedProperty": {"@iot.id": quantity, "name": quantity, "definition": "urn:quantity"},
            "Observations": [{"phenomenonTime": time, "result": result} for time, result in observations]}


# A response as a SensorThings 1.1 server pages it: times in several ISO 8601 spellings.
GAUGE = thing(
    1, "Rain gauge Johannstadt", {"type": "Point", "coordinates": [13.7655, 51.0512, 112.9]},
    [datastream(11, "Rain Johannstadt", "precipitation", "mm", [
        ("2026-07-10T15:05:00Z/2026-07-10T15:10:00Z", 13.3),
        ("2026-07-10T15:00:00Z/2026-07-10T15:05:00Z", 4.1),  # out of order: sorted on reading
        ("2026-07-10T17:10:00+02:00/2026-07-10T17:15:00+02:00", 6.0)],
        **{"Observations@iot.nextLink": "https://sta.example.org/v1.1/Datastreams(11)/Observations?$skip=3"})],
    properties={"type": "rain_gauge", "operator": "city", "height_m": 1.0})
AIR = thing(
    "AQ-2", "Air quality Prohlis",
    {"type": "Feature", "geometry": {"type": "Point", "coordinates": [13.7984, 51.0037]}},
    [datastream("AQ-2/NO2", "NO2", "NO2", "µg/m³", [("2026-07-10T04:00:00.250Z", 31.5),
                                                   ("2026-07-10T05:00:00-01:30", 44),
                                                   ("2026-07-10T05:00:00", 40.2)])],
    properties={"type": "air_quality"})


@pytest.fixture
def sta_file(tmp_path):
    path = tmp_path / "things.json"
    document = {"value": [GAUGE, AIR], "@iot.nextLink": "https://sta.example.org/v1.1/Things?$skip=2"}
    path.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    return path


def test_sensorthings_things_become_stations_in_wgs84(sta_file):
    sensors = read_sensors(sta_file)
    assert sensors.crs == "EPSG:4326"
    assert sensors.ids.tolist() == ["1", "AQ-2"]
    assert sensors.xyz[0].tolist() == [13.7655, 51.0512, 112.9]
    assert sensors.xyz[1, :2].tolist() == [13.7984, 51.0037] and np.isnan(sensors.xyz[1, 2])
    assert sensors.attributes["name"].tolist() == ["Rain gauge Johannstadt", "Air quality Prohlis"]
    assert sensors.attributes["type"].tolist() == ["rain_gauge", "air_quality"]
    assert sensors.attributes["operator"].tolist() == ["city", ""]
    assert sensors.attributes["height_m"][0] == 1.0 and np.isnan(sensors.attributes["height_m"][1])


def test_sensorthings_observations_are_utc_sorted_and_interval_ends(sta_file):
    rain, no2 = read_sensors(sta_file).datastreams
    assert (rain.id, rain.station_id, rain.name, rain.quantity, rain.unit) == (
        "11", "1", "Rain Johannstadt", "precipitation", "mm")
    assert rain.series.times.dtype == np.dtype("datetime64[s]")
    assert rain.series.times.tolist() == np.array(
        ["2026-07-10T15:05:00", "2026-07-10T15:10:00", "2026-07-10T15:15:00"],
        dtype="datetime64[s]").tolist()
    assert rain.series.values.tolist() == [4.1, 13.3, 6.0]
    assert (no2.id, no2.unit) == ("AQ-2/NO2", "µg/m³")
    assert no2.series.times.tolist() == np.array(
        ["2026-07-10T04:00:00", "2026-07-10T05:00:00", "2026-07-10T06:30:00"],
        dtype="datetime64[s]").tolist()
    assert no2.series.values.tolist() == [31.5, 40.2, 44.0]


def test_sensorthings_info_counts_and_reports_unfollowed_pages(sta_file):
    info = file_info(sta_file)
    assert info["kind"] == "sensors" and info["format"] == "SensorThings" and info["version"] == "1.1"
    assert info["crs"] == "EPSG:4326"
    assert info["bounds"] == [13.7655, 51.0037, 112.9, 13.7984, 51.0512, 112.9]
    assert (info["stations"], info["datastreams"], info["observations"]) == (2, 2, 6)
    assert info["time_range"] == ["2026-07-10T04:00:00Z", "2026-07-10T15:15:00Z"]
    assert info["unfollowed_next_links"] == 2


@pytest.mark.parametrize("document", [[GAUGE, AIR], GAUGE], ids=["bare list", "one Thing"])
def test_a_bare_list_or_a_single_thing_reads_too(tmp_path, document):
    path = tmp_path / "things.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    sensors = read_sensors(path)
    assert sensors.ids.tolist() == (["1", "AQ-2"] if isinstance(document, list) else ["1"])


def test_sensorthings_layer_is_sniffed_from_the_json_suffix(sta_file):
    assert format_for(sta_file).kind == "sensors"
    layer = read_layer(sta_file)
    assert isinstance(layer, SensorsLayer) and len(layer.data) == 2


def write_pair(folder: Path, stations: str, observations: str, name: str = "city") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{name}_observations.csv").write_text(observations, encoding="utf-8")
    path = folder / f"{name}_stations.csv"
    path.write_text(stations, encoding="utf-8")
    return path


STATIONS_UTM = """station_id,name,type,x,y,z,crs,operator
RG-1,Rain gauge Johannstadt,rain_gauge,413174.76,5655989.46,112.87,EPSG:25833,city
AQ-2,Air quality Prohlis,air_quality,415696.55,5650925.38,,EPSG:25833,state
"""
OBSERVATIONS = """station_id,quantity,unit,time,value
RG-1,precipitation,mm,2026-07-10T15:10:00Z,13.3
RG-1,precipitation,mm,2026-07-10T15:05:00Z,4.1

AQ-2,NO2,µg/m³,2026-07-10T06:00:00+02:00,31.5
AQ-2,NO2,µg/m³,2026-07-10T05:00:00,40.2
RG-1,precipitation,mm,2026-07-10T15:15:00,6
"""


def test_csv_pair_reads_the_same_from_either_file(tmp_path):
    stations_path = write_pair(tmp_path, STATIONS_UTM, OBSERVATIONS)
    for path in (stations_path, tmp_path / "city_observations.csv"):
        sensors = read_sensors(path)
        assert sensors.crs == "EPSG:25833"
        assert sensors.ids.tolist() == ["RG-1", "AQ-2"]
        assert sensors.xyz[0].tolist() == [413174.76, 5655989.46, 112.87]
        assert np.isnan(sensors.xyz[1, 2])
        assert sensors.attributes["operator"].tolist() == ["city", "state"]
        assert set(sensors.attributes) == {"name", "type", "operator"}
        rain, no2 = sensors.datastreams
        assert (rain.id, rain.station_id, rain.name, rain.quantity, rain.unit) == (
            "RG-1/precipitation", "RG-1", "precipitation", "precipitation", "mm")
        assert rain.series.values.tolist() == [4.1, 13.3, 6.0]
        assert rain.series.times[0] == np.datetime64("2026-07-10T15:05:00", "s")
        assert no2.unit == "µg/m³" and no2.series.values.tolist() == [31.5, 40.2]
        assert no2.series.times.tolist() == np.array(["2026-07-10T04:00", "2026-07-10T05:00"],
                                                     dtype="datetime64[s]").tolist()


def test_csv_info_summarises_the_pair(tmp_path):
    info = file_info(write_pair(tmp_path, STATIONS_UTM, OBSERVATIONS))
    assert info["kind"] == "sensors" and info["format"] == "CSV" and info["version"] is None
    assert info["bounds"] == [413174.76, 5650925.38, 112.87, 415696.55, 5655989.46, 112.87]
    assert (info["stations"], info["datastreams"], info["observations"]) == (2, 2, 5)
    assert info["time_range"] == ["2026-07-10T04:00:00Z", "2026-07-10T15:15:00Z"]


def test_csv_positions_in_lon_lat_or_without_crs(tmp_path):
    lon_lat = "station_id,name,lon,lat\nRG-1,Rain gauge,13.7655,51.0512\n"
    observations = "station_id,quantity,unit,time,value\nRG-1,precipitation,mm,2026-07-10T15:05:00Z,4.1\n"
    path = write_pair(tmp_path / "wgs84", lon_lat, observations)
    sensors = read_sensors(path)
    assert sensors.crs == "EPSG:4326" and sensors.xyz[0, :2].tolist() == [13.7655, 51.0512]
    bare = "station_id,name,x,y\nRG-1,Rain gauge,413174.76,5655989.46\n"
    path = write_pair(tmp_path / "bare", bare, observations, name="")
    assert path.name == "_stations.csv"
    assert read_sensors(path).crs is None
    assert sensors_info(path, crs="EPSG:25833")["crs"] == "EPSG:25833"


@pytest.mark.parametrize(("spelling", "utc"), [
    ("2026-07-10T17:05:00+02:00", "2026-07-10T15:05:00"),
    ("2026-07-10T17:05:00+0200", "2026-07-10T15:05:00"),
    ("2026-07-10T17:05+02", "2026-07-10T15:05:00"),
    ("2026-07-10T13:35:00-01:30", "2026-07-10T15:05:00"),
    ("2026-07-10 15:05:00Z", "2026-07-10T15:05:00"),
    ("2026-07-10T15:05:00.999z", "2026-07-10T15:05:00"),
    ("2026-07-10T15:00:00Z/2026-07-10T15:05:00Z", "2026-07-10T15:05:00"),
    ("2026-07-10", "2026-07-10T00:00:00"),
])
def test_iso_8601_spellings_become_utc_seconds(tmp_path, spelling, utc):
    observations = f"station_id,quantity,unit,time,value\nRG-1,precipitation,mm,{spelling},1.0\n"
    sensors = read_sensors(write_pair(tmp_path, STATIONS_UTM, observations))
    assert sensors.datastreams[0].series.times.tolist() == [np.datetime64(utc, "s").item()]


def test_two_series_of_one_quantity_are_told_apart_by_the_datastream_column(tmp_path):
    observations = """station_id,datastream,quantity,unit,time,value
AQ-2,temperature 2 m,air_temperature,°C,2026-07-10T05:00:00Z,18.5
AQ-2,temperature 10 m,air_temperature,°C,2026-07-10T05:00:00Z,19.1
AQ-2,,NO2,µg/m³,2026-07-10T05:00:00Z,40.2
"""
    sensors = read_sensors(write_pair(tmp_path, STATIONS_UTM, observations))
    assert [stream.id for stream in sensors.datastreams] == [
        "AQ-2/temperature 2 m", "AQ-2/temperature 10 m", "AQ-2/NO2"]
    assert sensors.datastreams_of("RG-1") == []


def test_a_datastream_changing_its_unit_is_refused(tmp_path):
    observations = OBSERVATIONS.replace("RG-1,precipitation,mm,2026-07-10T15:15:00,6",
                                        "RG-1,precipitation,cm,2026-07-10T15:15:00,6")
    path = write_pair(tmp_path, STATIONS_UTM, observations)
    with pytest.raises(TwinIOError, match="line 7: datastream 'RG-1/precipitation' changes its quantity "
                                          "or unit"):
        read_sensors(path)


# Every file of the bad-input corpus: the file the message must name, and what it says.
BAD_FILES = {
    "truncated.sta.json": (None, "the JSON does not parse: .* at line 6, column 1"),
    "thing_without_location.sta.json": (None, r"Thing '2' has no location \(request it with "
                                              r"\$expand=Locations\)"),
    "observation_null_result.sta.json": (None, "observation 3 of Datastream '11' of Thing '1' has no "
                                               r"numeric result \(found null\)"),
    "observation_text_result.sta.json": (None, r"observation 3 .* has no numeric result \(found \"heavy\"\)"),
    "observation_without_result.sta.json": (None, "observation 2 of Datastream '11' of Thing '1' has no "
                                                  "result$"),
    "observation_bad_time.sta.json": (None, "observation 2 .* unreadable phenomenonTime '10.07.2026 15:05'"),
    "service_root.json": (None, "this is a SensorThings service's root document"),
    "no_things.sta.json": (None, r"the response holds no Things \(stations\)"),
    "missing_column_stations.csv": ("missing_column_observations.csv",
                                    r"the CSV lacks the column unit \(it has station_id, quantity, "
                                    r"time, value\)"),
    "missing_column_observations.csv": (None, "the CSV lacks the column unit"),
    "bad_value_stations.csv": ("bad_value_observations.csv", "line 4: the value 'n/a' is not a number"),
    "bad_value_observations.csv": (None, "line 4: the value 'n/a' is not a number"),
    "bad_position_stations.csv": (None, "line 3: the y 'north' is not a number"),
    "bad_position_observations.csv": ("bad_position_stations.csv", "line 3: the y 'north' is not a number"),
    "bad_time_stations.csv": ("bad_time_observations.csv", "line 3: the time '2026-07-10 3pm' is not ISO 8601"),
    "bad_time_observations.csv": (None, "line 3: the time '2026-07-10 3pm' is not ISO 8601"),
    "unknown_station_stations.csv": ("unknown_station_observations.csv",
                                     "line 3: station 'RG-9' is not in the stations file"),
    "unknown_station_observations.csv": (None, "line 3: station 'RG-9' is not in the stations file"),
    "ragged_stations.csv": ("ragged_observations.csv", "line 3 has 6 fields, the header 5"),
    "ragged_observations.csv": (None, "line 3 has 6 fields, the header 5"),
    "lonely_stations.csv": (None, "its partner file lonely_observations.csv is not in the same folder"),
    "readings.csv": (None, "read as a pair named NAME_stations.csv and NAME_observations.csv"),
}


def test_every_bad_input_file_has_an_expected_message():
    assert sorted(path.name for path in BAD_INPUT.iterdir()) == sorted(BAD_FILES)


@pytest.mark.parametrize("name", sorted(BAD_FILES))
def test_bad_sensor_files_are_one_clear_sentence_naming_the_faulty_file(name):
    faulty, message = BAD_FILES[name]
    with pytest.raises(TwinIOError, match=message) as caught:
        file_info(BAD_INPUT / name)
    assert caught.value.path == BAD_INPUT / (faulty or name)
    assert "\n" not in caught.value.problem


def test_a_zipped_csv_pair_opens_like_the_unzipped_pair(tmp_path):
    """The README says zips of every format open; the pair was refused as two readable files."""
    import zipfile

    archive = tmp_path / "sensors.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("export/city_observations.csv", OBSERVATIONS)
        zipped.writestr("export/city_stations.csv", STATIONS_UTM)
    layer = read_layer(archive)
    assert layer.data.ids.tolist() == ["RG-1", "AQ-2"] and len(layer.data.datastreams) == 2
    info = file_info(archive)
    assert info["member"] == "export/city_observations.csv" and info["observations"] == 5  # the first


def test_a_zip_of_two_unrelated_csv_files_is_still_refused(tmp_path):
    import zipfile

    archive = tmp_path / "sensors.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("a_stations.csv", STATIONS_UTM)
        zipped.writestr("b_observations.csv", OBSERVATIONS)
    with pytest.raises(TwinIOError, match="holds 2 readable files"):
        read_layer(archive)


def test_a_station_without_observations_is_kept_and_counted(tmp_path):
    stations = STATIONS_UTM + "WL-3,Water level,gauge,414000,5652000,,EPSG:25833,city\n"
    info = file_info(write_pair(tmp_path, stations, OBSERVATIONS))
    assert info["stations"] == 3 and info["stations_without_observations"] == 1


@pytest.mark.parametrize("position", [[float("nan"), 51.0], [13.7, float("inf")]], ids=["nan", "inf"])
def test_a_thing_located_at_a_coordinate_that_is_not_finite_is_refused(tmp_path, position):
    document = {"value": [thing(1, "RG", {"type": "Point", "coordinates": position}, [])]}
    path = tmp_path / "gauges.sta.json"
    path.write_text(json.dumps(document), encoding="utf-8")  # json writes NaN and Infinity
    with pytest.raises(TwinIOError, match="not a finite number"):
        read_sensors(path)


@pytest.mark.parametrize("depth", [5_000, 100_000])
def test_sensorthings_json_nested_thousands_deep_is_refused_in_one_sentence(tmp_path, depth):
    path = tmp_path / "gauges.sta.json"
    path.write_text('{"value": [{"@iot.id": 1, "Datastreams": ' + "[" * depth + "]" * depth + "}]}")
    with pytest.raises(TwinIOError, match="nests too deeply"):
        read_sensors(path)
