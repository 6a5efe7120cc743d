"""The generated demo sensors: deterministic, the same in both formats, with the storm they promise."""

import numpy as np
import pytest
from pyproj import Transformer

from data.generator.sensors import euler_type_2, write_sensors
from tests.conftest import PROJECT_ROOT
from twin.io import file_info, read_quarters
from twin.io.sensors import read_sensors

SEED = 2026


@pytest.fixture(scope="module")
def quarters():
    return read_quarters(PROJECT_ROOT / "data" / "quarters.geojson")[0]


@pytest.fixture(scope="module")
def generated(tmp_path_factory, quarters):
    return write_sensors(quarters, tmp_path_factory.mktemp("sensors"), SEED)


@pytest.fixture(scope="module")
def from_json(generated):
    return read_sensors(generated[0])


@pytest.fixture(scope="module")
def from_csv(generated):
    return read_sensors(generated[1])


def hourly_sums(values: np.ndarray) -> np.ndarray:
    """Sums over every run of twelve 5-minute values."""
    return np.convolve(values, np.ones(12), mode="valid")


def test_the_files_are_small_and_sniffed_as_sensors(generated):
    assert [path.name for path in generated] == [
        "sensors.sta.json", "sensors_stations.csv", "sensors_observations.csv"]
    assert sum(path.stat().st_size for path in generated) < 3_000_000
    json_info, csv_info = file_info(generated[0]), file_info(generated[2])
    assert (json_info["kind"], json_info["format"], json_info["crs"]) == ("sensors", "SensorThings", "EPSG:4326")
    assert (csv_info["kind"], csv_info["format"], csv_info["crs"]) == ("sensors", "CSV", "EPSG:25833")
    assert json_info["time_range"] == csv_info["time_range"] == ["2026-07-06T00:00:00Z", "2026-07-16T00:00:00Z"]


def test_the_same_seed_writes_the_same_bytes(tmp_path, quarters, generated):
    again = write_sensors(quarters, tmp_path / "again", SEED)
    assert [path.read_bytes() for path in again] == [path.read_bytes() for path in generated]
    other = write_sensors(quarters, tmp_path / "other", SEED + 1)
    assert other[2].read_bytes() != generated[2].read_bytes()


def test_both_files_hold_the_same_stations(from_json, from_csv):
    assert from_json.ids.tolist() == from_csv.ids.tolist()
    assert from_json.attributes.keys() == from_csv.attributes.keys()
    for name, values in from_json.attributes.items():
        assert values.tolist() == from_csv.attributes[name].tolist(), name
    to_utm = Transformer.from_crs("EPSG:4326", "EPSG:25833", always_xy=True)
    x, y = to_utm.transform(from_json.xyz[:, 0], from_json.xyz[:, 1])
    assert np.abs(x - from_csv.xyz[:, 0]).max() < 0.05  # 7 decimals of a degree: about 1 cm
    assert np.abs(y - from_csv.xyz[:, 1]).max() < 0.05
    assert from_json.xyz[:, 2].tolist() == from_csv.xyz[:, 2].tolist()


def test_both_files_hold_the_same_series(from_json, from_csv):
    assert len(from_json.datastreams) == len(from_csv.datastreams)
    for stream, twin in zip(from_json.datastreams, from_csv.datastreams, strict=True):
        assert (stream.id, stream.station_id, stream.name, stream.quantity, stream.unit) == (
            twin.id, twin.station_id, twin.name, twin.quantity, twin.unit)
        assert np.array_equal(stream.series.times, twin.series.times), stream.id
        assert np.array_equal(stream.series.values, twin.series.values), stream.id


def test_the_stations_stand_in_or_near_their_quarters(from_csv, quarters):
    kinds = from_csv.attributes["type"]
    assert [int((kinds == kind).sum()) for kind in ("rain_gauge", "water_level_gauge", "air_quality")] == [3, 2, 3]
    for quarter in quarters:
        in_quarter = (from_csv.attributes["quarter"] == quarter.name) & (kinds != "water_level_gauge")
        assert in_quarter.sum() == 2
        assert quarter.contains_points(from_csv.xyz[in_quarter, 0], from_csv.xyz[in_quarter, 1]).all()
    minx, miny, minz, maxx, maxy, maxz = from_csv.bounds
    assert 406_000 < minx < maxx < 418_000 and 5_649_000 < miny < maxy < 5_660_000
    assert 100.0 < minz < maxz < 140.0


def test_a_heavy_convective_storm_hits_one_gauge_hardest(from_csv):
    rain = [stream for stream in from_csv.datastreams if stream.quantity == "precipitation"]
    assert len(rain) == 3 and {stream.unit for stream in rain} == {"mm"}
    steps = np.diff(rain[0].series.times).astype(int)
    assert (steps == 300).all() and len(rain[0].series.times) == 10 * 288
    peaks = np.array([hourly_sums(stream.series.values).max() for stream in rain])
    assert peaks.max() >= 30.0
    assert np.sort(peaks)[-2] < 0.6 * peaks.max()  # the storm varies in space
    wettest = rain[int(np.argmax(peaks))].series
    storm_hour = int(np.argmax(hourly_sums(wettest.values)))
    assert str(wettest.times[storm_hour])[:10] == "2026-07-10"
    quiet = np.ones(len(wettest.values), dtype=bool)
    quiet[storm_hour - 12:storm_hour + 36] = False
    assert hourly_sums(np.where(quiet, wettest.values, 0.0)).max() < 10.0
    dry_days = [wettest.values[day * 288:(day + 1) * 288].sum() for day in range(10)]
    assert sum(total == 0.0 for total in dry_days) >= 5


def test_the_values_are_physically_plausible(from_csv):
    ranges = {"precipitation": (0.0, 20.0), "water_level": (60.0, 250.0), "NO2": (2.0, 120.0),
              "PM10": (3.0, 80.0), "air_temperature": (8.0, 38.0)}
    for stream in from_csv.datastreams:
        low, high = ranges[stream.quantity]
        values = stream.series.values
        assert low <= values.min() and values.max() <= high, stream.id
    rain = [stream.series.values for stream in from_csv.datastreams if stream.quantity == "precipitation"]
    assert all(np.allclose(values * 10, np.round(values * 10)) for values in rain)  # 0.1 mm tips


def test_the_elbe_rises_after_the_storm(from_csv):
    for stream in (stream for stream in from_csv.datastreams if stream.quantity == "water_level"):
        times, levels = stream.series.times, stream.series.values
        before = levels[times < np.datetime64("2026-07-10T14:00")]
        after = levels[(times > np.datetime64("2026-07-10T18:00")) & (times < np.datetime64("2026-07-12T18:00"))]
        assert after.max() - before[-6:].mean() > 30.0, stream.id
        assert times[np.argmax(levels)] > np.datetime64("2026-07-10T18:00")


def test_traffic_gives_no2_a_daily_cycle(from_csv):
    traffic_row = from_csv.attributes["site"].tolist().index("traffic")
    station = from_csv.ids[traffic_row]
    no2 = next(stream for stream in from_csv.datastreams_of(station) if stream.quantity == "NO2").series
    local_hour = (no2.times.astype("datetime64[h]").astype(np.int64) + 2) % 24
    rush = no2.values[np.isin(local_hour, [7, 8, 17, 18])].mean()
    night = no2.values[np.isin(local_hour, [1, 2, 3, 4])].mean()
    assert rush > 1.3 * night


def test_the_design_storm_has_euler_type_2_shape():
    blocks = euler_type_2(45.0)
    assert len(blocks) == 12 and blocks.sum() == pytest.approx(45.0)
    assert int(np.argmax(blocks)) == 4  # the peak block starts 20 minutes in: a third of the hour
    assert (np.diff(blocks[:5]) > 0).all() and (np.diff(blocks[4:]) < 0).all()
