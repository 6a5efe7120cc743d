"""The LiDAR reader on the reference clouds: counts, CRS, display sample, DTM/DSM, progress, bad files."""

from __future__ import annotations

import re
import shutil
import struct
import zipfile
from pathlib import Path

import laspy
import numpy as np
import pytest
from pyproj import CRS

from twin.core.feedback import Canceled, Feedback
from twin.core.layers import PointCloudLayer
from twin.io import TwinIOError, file_info, lidar, read_layer, read_raster
from twin.io.lidar import point_cloud_info, read_point_cloud
from twin.io.pointgrid import point_cloud_rasters

# From tests/data/PROVENANCE.md: points, classes (ASPRS code: count), CRS, format.
REFERENCE_CLOUDS = {
    "delft_ahn3_cropped_1.laz": (640_510, {1: 196_137, 2: 195_988, 6: 246_753, 9: 267, 26: 1_365},
                                 None, "LAZ", "1.2", 1),
    "delft_ahn3_cropped_2.laz": (208_432, {1: 86_308, 2: 87_130, 6: 33_312, 9: 568, 26: 1_114},
                                 None, "LAZ", "1.2", 1),
    "pdal_sample_c_buildings.las": (14_408, {2: 1_368, 6: 12_525}, None, "LAS", "1.2", 3),
    # NAD83(HARN) / Oregon GIC Lambert (ft): an ESRI-style WKT that names no EPSG code itself.
    "autzen_trim.laz": (110_000, {1: 83_893, 2: 26_107}, "EPSG:2994", "LAZ", "1.2", 3),
    # NAD83 / Oregon LCC (m) + NAVD88 height: the compound CRS gives its horizontal part.
    "laspy_simple.copc.laz": (1_065, {1: 789, 2: 276}, "EPSG:2991", "COPC", "1.4", 7),
}
WITH_COLOUR = {"pdal_sample_c_buildings.las", "autzen_trim.laz", "laspy_simple.copc.laz"}
LEGACY_POINT_COUNT = 107  # byte offset of the uint32 point count in every LAS header
MAX_X = 179  # byte offset of the header's maximum x (float64)


def lidar_file(reference: Path, name: str) -> Path:
    return reference / "lidar" / name


# --- the reference files --------------------------------------------------------------------------

@pytest.mark.parametrize("name", sorted(REFERENCE_CLOUDS))
def test_info_reports_the_documented_counts_and_crs(reference, name):
    points, classes, crs, file_format, version, point_format = REFERENCE_CLOUDS[name]
    info = file_info(lidar_file(reference, name))
    assert info["kind"] == "pointcloud"
    assert (info["format"], info["version"], info["point_format"]) == (file_format, version, point_format)
    assert info["points"] == points
    assert info["crs"] == crs
    for code, count in classes.items():
        assert info["classes"][str(code)] == count
    assert sum(info["classes"].values()) == points
    minx, miny, minz, maxx, maxy, maxz = info["bounds"]
    assert minx < maxx and miny < maxy and minz < maxz


def test_info_bounds_come_from_the_header(reference):
    info = point_cloud_info(lidar_file(reference, "delft_ahn3_cropped_1.laz"))
    assert info["bounds"] == pytest.approx([84808.3, 447412.8, -0.568, 84999.999, 447641.299, 19.398])


@pytest.mark.parametrize("name", sorted(REFERENCE_CLOUDS))
def test_a_cloud_within_the_budget_is_read_whole(reference, name):
    points, classes, crs, *_ = REFERENCE_CLOUDS[name]
    path = lidar_file(reference, name)
    cloud = read_point_cloud(path)
    assert cloud.xyz.shape == (points, 3) and cloud.xyz.dtype == np.float64
    assert cloud.total_points == points and cloud.crs == crs
    expected = {"classification", "intensity"} | ({"red", "green", "blue"} if name in WITH_COLOUR else set())
    assert set(cloud.attributes) == expected
    assert cloud.attributes["classification"].dtype == np.uint8
    assert all(cloud.attributes[name].dtype == np.uint16 for name in expected - {"classification"})
    found = np.bincount(cloud.attributes["classification"], minlength=256)
    assert all(found[code] == count for code, count in classes.items())
    with laspy.open(path) as reader:  # header bounds are rounded by up to one stored unit
        mins, maxs, unit = reader.header.mins, reader.header.maxs, reader.header.scales
    assert np.all(cloud.xyz.min(axis=0) >= mins - unit) and np.all(cloud.xyz.max(axis=0) <= maxs + unit)


def test_points_and_attributes_are_those_laspy_decodes(reference):
    path = lidar_file(reference, "autzen_trim.laz")
    cloud = read_point_cloud(path)
    las = laspy.read(path)
    assert np.allclose(cloud.xyz, np.column_stack([las.x, las.y, las.z]), atol=1e-9, rtol=0)
    for name in ("intensity", "red", "green", "blue"):
        assert np.array_equal(cloud.attributes[name], np.asarray(las[name]))
    assert np.array_equal(cloud.attributes["classification"], np.asarray(las.classification))


def test_a_crs_in_the_file_wins_and_a_given_one_fills_in(reference):
    assert read_point_cloud(lidar_file(reference, "autzen_trim.laz"), crs="EPSG:25833").crs == "EPSG:2994"
    no_crs = lidar_file(reference, "delft_ahn3_cropped_2.laz")
    assert read_point_cloud(no_crs).crs is None
    assert read_point_cloud(no_crs, crs="EPSG:28992").crs == "EPSG:28992"
    assert file_info(no_crs, crs="EPSG:28992")["crs"] == "EPSG:28992"


def test_the_registry_opens_clouds_as_layers_also_from_a_zip(reference, tmp_path):
    source = lidar_file(reference, "delft_ahn3_cropped_2.laz")
    layer = read_layer(source)
    assert isinstance(layer, PointCloudLayer) and layer.data.total_points == 208_432
    archive = tmp_path / "tile.zip"
    with zipfile.ZipFile(archive, "w") as bundle:
        bundle.write(source, "tile/delft_ahn3_cropped_2.laz")
    info = file_info(archive)
    assert info["member"] == "tile/delft_ahn3_cropped_2.laz" and info["points"] == 208_432


# --- display sample ------------------------------------------------------------------------------

def occupied_cells(xyz: np.ndarray, size: float) -> set[tuple[int, int]]:
    return set(map(tuple, np.floor(xyz[:, :2] / size).astype(np.int64)))


def test_the_sample_keeps_the_budget_and_covers_the_whole_cloud(reference):
    path = lidar_file(reference, "delft_ahn3_cropped_1.laz")
    full = read_point_cloud(path)
    sample = read_point_cloud(path, budget=50_000)
    assert 0.99 * 50_000 <= len(sample.xyz) <= 50_000
    assert sample.total_points == 640_510
    every = occupied_cells(full.xyz, 5.0)
    assert len(occupied_cells(sample.xyz, 5.0) & every) >= 0.995 * len(every)
    # A subset of the file's points with their own attributes, the same on every read.
    rows = {tuple(point): row for row, point in enumerate(full.xyz)}
    picked = np.array([rows[tuple(point)] for point in sample.xyz[:5000]])
    assert np.array_equal(sample.attributes["intensity"][:5000], full.attributes["intensity"][picked])
    assert np.array_equal(read_point_cloud(path, budget=50_000).xyz, sample.xyz)


def write_cloud(path: Path, xyz: np.ndarray, classification: np.ndarray, point_format: int = 3) -> Path:
    header = laspy.LasHeader(point_format=point_format, version="1.2")
    header.scales = np.array([0.001, 0.001, 0.001])
    header.offsets = np.floor(xyz.min(axis=0))
    las = laspy.LasData(header)
    las.x, las.y, las.z = xyz[:, 0], xyz[:, 1], xyz[:, 2]
    las.classification = classification
    las.write(path)
    return path


def dense_block_and_sparse_field(rng: np.random.Generator) -> np.ndarray:
    """10,000 points over 100 m x 100 m and 100,000 in a 10 m x 10 m block at one corner."""
    sparse = np.column_stack([rng.random((10_000, 2)) * 100.0, np.zeros(10_000)])
    dense = np.column_stack([rng.random((100_000, 2)) * 10.0, np.ones(100_000)])
    mixed = np.concatenate([sparse, dense])
    return mixed[rng.permutation(len(mixed))]


def test_the_sample_thins_dense_areas_and_keeps_sparse_ones(tmp_path):
    xyz = dense_block_and_sparse_field(np.random.default_rng(5))
    path = write_cloud(tmp_path / "skewed.las", xyz, np.full(len(xyz), 2, np.uint8))
    sample = read_point_cloud(path, budget=20_000)
    assert 0.98 * 20_000 <= len(sample.xyz) <= 20_000  # aims two standard deviations low

    def away_from_the_block(points: np.ndarray) -> int:  # beyond the cells the block touches
        return int(((points[:, 0] > 15.0) | (points[:, 1] > 15.0)).sum())

    # Every one of them: a uniform sample would keep only about 18 %.
    assert away_from_the_block(sample.xyz) == away_from_the_block(read_point_cloud(path).xyz)
    assert int((sample.xyz[:, 2] == 1.0).sum()) < 0.15 * 100_000


def test_the_sample_is_as_fair_when_the_file_streams_in_many_chunks(tmp_path, monkeypatch):
    xyz = dense_block_and_sparse_field(np.random.default_rng(6))
    path = write_cloud(tmp_path / "skewed.las", xyz, np.full(len(xyz), 2, np.uint8))
    monkeypatch.setattr(lidar, "CHUNK_POINTS", 4_000)  # the candidate columns fill and thin often
    sample = read_point_cloud(path, budget=20_000)
    assert 0.98 * 20_000 <= len(sample.xyz) <= 20_000
    assert (sample.xyz[:, 2] == 0.0).sum() >= 0.97 * (xyz[:, 2] == 0.0).sum()
    assert occupied_cells(sample.xyz, 5.0) == occupied_cells(read_point_cloud(path).xyz, 5.0)


def test_a_copc_file_over_the_budget_is_read_by_whole_levels(reference):
    path = lidar_file(reference, "laspy_simple.copc.laz")
    with laspy.CopcReader.open(path) as reader:
        root_and_next = len(reader.query(level=range(0, 2)))
        three_levels = len(reader.query(level=range(0, 3)))
    sample = read_point_cloud(path, budget=three_levels - 1)
    assert len(sample.xyz) == root_and_next and sample.total_points == 1_065
    assert set(sample.attributes) == {"classification", "intensity", "red", "green", "blue"}


# --- DTM and DSM ---------------------------------------------------------------------------------

def cells_with_ground(path: Path, left: float, top: float, shape: tuple[int, int]) -> np.ndarray:
    las = laspy.read(path)
    ground = np.asarray(las.classification) == 2
    columns = np.floor(np.asarray(las.x)[ground] - left).astype(int)
    rows = np.floor(top - np.asarray(las.y)[ground]).astype(int)
    observed = np.zeros(shape, dtype=bool)
    observed[rows, columns] = True
    return observed


@pytest.mark.parametrize("name", ["delft_ahn3_cropped_1.laz", "delft_ahn3_cropped_2.laz"])
def test_dtm_and_dsm_match_the_reference_rasters(reference, name):
    path = lidar_file(reference, name)
    dtm, dsm = point_cloud_rasters(path, resolution=1.0, crs="EPSG:28992")
    reference_dtm = read_raster(reference / "raster" / "delft_ahn3_derived_dtm_1m.tif")
    reference_dsm = read_raster(reference / "raster" / "delft_ahn3_derived_dsm_1m.tif")
    assert dtm.crs == dsm.crs == "EPSG:28992" and dtm.resolution == (1.0, 1.0)
    assert dtm.transform == dsm.transform and dtm.shape == dsm.shape
    # The reference grid covers both files; find this file's window in it.
    column = int(round(dtm.transform.c - reference_dtm.transform.c))
    row = int(round(reference_dtm.transform.f - dtm.transform.f))
    window = (slice(row, row + dtm.shape[0]), slice(column, column + dtm.shape[1]))
    assert dtm.transform.c == reference_dtm.transform.c + column  # cells on the same metre lines

    observed = cells_with_ground(path, dtm.transform.c, dtm.transform.f, dtm.shape)
    expected_dtm = reference_dtm.values[window]
    assert np.abs(dtm.values - expected_dtm)[observed].max() < 1e-3  # the lowest ground point
    difference = np.abs(dtm.values - expected_dtm)[np.isfinite(dtm.values)]
    assert np.median(difference) < 0.02 and np.percentile(difference, 95) < 0.25  # filled gaps
    assert not np.isnan(dtm.values).any()

    expected_dsm = reference_dsm.values[window]
    both = np.isfinite(expected_dsm) & np.isfinite(dsm.values)
    assert both.sum() > 0.9 * np.isfinite(expected_dsm).sum()
    assert np.abs(dsm.values - expected_dsm)[both].max() < 1e-3  # the highest point


def test_dsm_leaves_out_noise_and_far_gaps_stay_empty(tmp_path):
    rng = np.random.default_rng(3)
    ground = np.column_stack([rng.random((4000, 2)) * 20.0, rng.random(4000) * 0.1])
    far_corner = np.array([[60.5, 60.5, 0.0]])  # the header bounds reach 61 m: empty cells between
    noise = np.array([[5.5, 5.5, 80.0], [6.5, 6.5, 90.0]])
    xyz = np.concatenate([ground, far_corner, noise])
    classes = np.concatenate([np.full(4001, 2), [7, 18]]).astype(np.uint8)
    dtm, dsm = point_cloud_rasters(write_cloud(tmp_path / "noisy.las", xyz, classes), resolution=1.0)
    assert np.nanmax(dsm.values) < 1.0  # the noise points (classes 7 and 18) are not the surface
    assert dtm.crs is None
    assert np.isnan(dsm.values).any() and not np.isnan(dtm.values).any()  # 3 m vs 50 m filling
    coarse_dtm, _ = point_cloud_rasters(tmp_path / "noisy.las", resolution=4.0)
    assert coarse_dtm.shape == (16, 16)


# --- progress and cancel -------------------------------------------------------------------------

@pytest.mark.parametrize("read", [
    lambda path, feedback: read_point_cloud(path, feedback=feedback),
    lambda path, feedback: read_point_cloud(path, budget=10_000, feedback=feedback),
    lambda path, feedback: point_cloud_rasters(path, feedback=feedback),
], ids=["whole", "sample", "rasters"])
def test_long_reads_report_progress_and_can_be_canceled(reference, monkeypatch, read):
    monkeypatch.setattr(lidar, "CHUNK_POINTS", 50_000)
    path = lidar_file(reference, "delft_ahn3_cropped_1.laz")
    fractions: list[float] = []
    read(path, Feedback(lambda fraction, _message: fractions.append(fraction)))
    assert len(fractions) >= 10 and fractions == sorted(fractions) and fractions[-1] == 1.0

    feedback = Feedback()
    feedback.add_listener(lambda fraction, _message: fraction > 0.3 and feedback.cancel())
    with pytest.raises(Canceled):
        read(path, feedback)
    assert 0.3 < feedback.fraction < 0.5


# --- bad files -----------------------------------------------------------------------------------

def patched(source: Path, target: Path, offset: int, fmt: str, value: float) -> Path:
    data = bytearray(source.read_bytes())
    struct.pack_into(fmt, data, offset, value)
    target.write_bytes(bytes(data))
    return target


def cut(source: Path, target: Path, keep: float) -> Path:
    data = source.read_bytes()
    return head(source, target, int(len(data) * keep))


def head(source: Path, target: Path, size: int) -> Path:
    target.write_bytes(source.read_bytes()[:size])
    return target


def without_points(target: Path) -> Path:
    laspy.LasData(laspy.LasHeader(point_format=3, version="1.2")).write(target)
    return target


LAS, LAZ = "pdal_sample_c_buildings.las", "delft_ahn3_cropped_2.laz"
BAD_FILES = {
    "truncated.las": (lambda ref, out: cut(ref / LAS, out, 0.6),
                      "announces 14,408 points but the file holds only 8,"),
    "header_only.las": (lambda ref, out: head(ref / LAS, out, 227), "holds only 0: it is truncated"),
    "truncated.laz": (lambda ref, out: cut(ref / LAZ, out, 0.5), "truncated or damaged"),
    "more_points_claimed.las": (lambda ref, out: patched(ref / LAS, out, LEGACY_POINT_COUNT, "<I", 15_000),
                                "announces 15,000 points but the file holds only 14,408"),
    "fewer_points_claimed.las": (lambda ref, out: patched(ref / LAS, out, LEGACY_POINT_COUNT, "<I", 14_000),
                                 "announces 14,000 points but the file holds 14,408"),
    "billions_claimed.las": (lambda ref, out: patched(ref / LAS, out, LEGACY_POINT_COUNT, "<I", 2**32 - 1),
                             "announces 4,294,967,295 points"),
    "more_points_claimed.laz": (lambda ref, out: patched(ref / LAZ, out, LEGACY_POINT_COUNT, "<I", 400_000),
                                "announces 400,000 points but the file holds only 200,001 to 250,000"),
    "a_few_more_points_claimed.laz": (
        lambda ref, out: patched(ref / LAZ, out, LEGACY_POINT_COUNT, "<I", 208_500),
        "points 1 to 208,500 cannot be decoded: the file is truncated or damaged"),
    "fewer_points_claimed.laz": (lambda ref, out: patched(ref / LAZ, out, LEGACY_POINT_COUNT, "<I", 100_000),
                                 "announces 100,000 points but the file holds 200,001 to 250,000"),
    "no_points.las": (lambda ref, out: without_points(out), "the file holds no points"),
    "no_points.laz": (lambda ref, out: without_points(out), "the file holds no points"),
    "a_geotiff_named.laz": (lambda ref, out: shutil.copy(ref.parent / "raster" / "delft_ahn3_derived_dtm_1m.tif",
                                                         out) and out,
                            "not a LAS or LAZ file"),
    "empty.laz": (lambda ref, out: out.write_bytes(b"") and out, "the file is empty"),
    "signature_then_nothing.las": (lambda ref, out: out.write_bytes(b"LASF" + bytes(40)) and out,
                                   "the LAS header cannot be read"),
}


@pytest.mark.parametrize("name", sorted(BAD_FILES))
def test_bad_files_are_one_clear_error(reference, tmp_path, name):
    make, message = BAD_FILES[name]
    path = tmp_path / name
    make(reference / "lidar", path)
    for read in (file_info, read_point_cloud, point_cloud_rasters):
        with pytest.raises(TwinIOError, match=message) as caught:
            read(path)
        text = str(caught.value)
        assert text.startswith(str(path)) and "\n" not in text and "Traceback" not in text


def test_points_outside_the_header_bounds_are_refused_for_rasters(reference, tmp_path):
    path = patched(lidar_file(reference, LAZ), tmp_path / "short_bounds.laz", MAX_X, "<d", 85_050.0)
    with pytest.raises(TwinIOError, match="points lie outside the bounds given in the file header"):
        point_cloud_rasters(path)


def test_a_huge_grid_is_refused_before_memory_is_spent(reference):
    with pytest.raises(TwinIOError, match="choose a coarser resolution"):
        point_cloud_rasters(lidar_file(reference, LAZ), resolution=0.01)


def write_labelled_cloud(path: Path, x: np.ndarray, y: np.ndarray, epsg: int, compressed: bool = False) -> Path:
    header = laspy.LasHeader(point_format=3, version="1.2")
    header.scales = np.array([0.01, 0.01, 0.01])
    header.offsets = np.array([float(x.min()), float(y.min()), 0.0])
    header.add_crs(CRS.from_epsg(epsg))
    cloud = laspy.LasData(header)
    cloud.x, cloud.y, cloud.z = x, y, np.full(len(x), 110.0)
    cloud.write(path, do_compress=compressed, laz_backend=laspy.LazBackend.Lazrs if compressed else None)
    return path


def test_utm_metres_in_a_file_that_says_degrees_are_refused_not_made_infinite(tmp_path):
    """pyproj turned every x and y into inf, and the cloud was drawn nowhere."""
    steps = np.arange(50, dtype=np.float64)
    path = write_labelled_cloud(tmp_path / "cloud.laz", 411_000 + steps, 5_654_000 + steps, 4326, compressed=True)
    with pytest.raises(TwinIOError, match=r"coordinates \(x = 411000, y = 5\.654e\+06 among them\) cannot be "
                                          "degrees") as error:
        read_layer(path, to="EPSG:25833")
    assert error.value.path == path


def test_degrees_in_a_file_that_says_degrees_are_moved(tmp_path):
    steps = np.arange(50, dtype=np.float64) / 1e4
    path = write_labelled_cloud(tmp_path / "cloud.las", 13.73 + steps, 51.05 + steps, 4326)
    xyz = read_layer(path, to="EPSG:25833").data.xyz
    assert np.isfinite(xyz).all() and 410_000 < xyz[:, 0].min() < 412_000


@pytest.mark.parametrize("field_offset, value, problem", [
    (131, float("nan"), "scale (nan, 0.01, 0.01) is not a finite number"),  # x scale
    (155, float("inf"), "offset (inf, 5.654e+06, 0) is not a finite number"),  # x offset
    (MAX_X, float("nan"), "bounds"),
    (131, 0.0, "scale (0, 0.01, 0.01) is zero on an axis"),
], ids=["nan-scale", "inf-offset", "nan-bounds", "zero-scale"])
def test_a_header_whose_scaling_is_not_finite_is_refused(tmp_path, field_offset, value, problem):
    steps = np.arange(50, dtype=np.float64)
    path = write_labelled_cloud(tmp_path / "cloud.las", 411_000 + steps, 5_654_000 + steps, 25833)
    data = bytearray(path.read_bytes())
    struct.pack_into("<d", data, field_offset, value)
    path.write_bytes(data)
    with pytest.raises(TwinIOError, match=re.escape(problem)):
        read_point_cloud(path)
    with pytest.raises(TwinIOError, match=re.escape(problem)):
        point_cloud_info(path)


def test_points_outside_the_header_bounds_are_read_and_counted(tmp_path):
    steps = np.arange(50, dtype=np.float64)
    path = write_labelled_cloud(tmp_path / "cloud.las", 411_000 + steps, 5_654_000 + steps, 25833)
    data = bytearray(path.read_bytes())
    struct.pack_into("<d", data, MAX_X, 411_040.0)  # ten points lie east of the announced maximum
    path.write_bytes(data)
    info = point_cloud_info(path)
    assert info["points"] == 50 and info["points_outside_header_bounds"] == 9
    assert len(read_point_cloud(path).xyz) == 50
