"""The whole city by sub-catchments on Dask: stitched grids and tables against one single domain."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import rasterio
from affine import Affine
from distributed import Client, LocalCluster

from twin.cli import EXIT_CANCELED, main
from twin.sim.citywide import plan_citywide, read_grid, run_citywide, run_single_domain, tiling_error

WEST, NORTH, CELL, ROWS, COLS = 412_000.0, 5_654_400.0, 2.0, 150, 200
PROJECT_ROOT = Path(__file__).resolve().parents[2]


def two_valleys() -> np.ndarray:
    """Two valleys falling south (1 %), 200 m apart, with a ridge between them and hollows on
    their floors; 2 m cells, 400 m x 300 m."""
    rows, cols = np.mgrid[0:ROWS, 0:COLS]
    x, y = cols * CELL, rows * CELL
    heights = 100.0 - 0.01 * y + 0.05 * np.minimum(np.abs(x - 100.0), np.abs(x - 300.0))
    for centre_x in (100.0, 300.0):
        heights -= 0.6 * np.exp(-((x - centre_x) ** 2 + (y - 150.0) ** 2) / 400.0)
    heights += np.random.default_rng(3).normal(0.0, 0.02, heights.shape)
    return heights.astype(np.float32)


def write_scenario(folder: Path) -> Path:
    folder.mkdir(exist_ok=True)
    with rasterio.open(folder / "dtm.tif", "w", driver="GTiff", width=COLS, height=ROWS, count=1,
                       dtype="float32", crs="EPSG:25833", transform=Affine(CELL, 0, WEST, 0, -CELL, NORTH)) as dtm:
        dtm.write(two_valleys(), 1)
    quarters = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"name": name}, "geometry": {"type": "Polygon", "coordinates": [[
            [x0, NORTH - ROWS * CELL], [x1, NORTH - ROWS * CELL], [x1, NORTH], [x0, NORTH],
            [x0, NORTH - ROWS * CELL]]]}}
        for name, x0, x1 in (("West", WEST, WEST + 200.0), ("East", WEST + 200.0, WEST + 400.0))]}
    (folder / "quarters.geojson").write_text(json.dumps(quarters), encoding="utf-8")
    scenario = folder / "valleys.toml"
    scenario.write_text('[scenario]\nname = "two valleys"\nsimulation = "flood"\n'
                        'quarters_file = "quarters.geojson"\n[inputs]\nterrain = "dtm.tif"\n'
                        '[parameters]\nrain = "block"\nblock_depth_mm = 40.0\nrain_duration_min = 20.0\n'
                        'duration_min = 30.0\ninfiltration = "constant"\ninfiltration_mm_h = 0.0\n'
                        'sewer_capacity_mm_h = 0.0\n', encoding="utf-8")
    return scenario


@pytest.fixture
def client():
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None) as cluster, \
            Client(cluster, set_as_default=False) as dask_client:  # as the CLI's own cluster
        yield dask_client


def test_the_tiled_city_matches_one_domain_in_cloud_optimized_geotiffs(tmp_path, client):
    plan = plan_citywide(write_scenario(tmp_path / "city"), domain_m=200.0, buffer_m=60.0)
    owner = plan.split.owner
    assert len(plan.split.domains) == 2 and owner[75, 50] != owner[75, 150]  # a valley each
    killed_run = tmp_path / "out" / ".max_depth.tif.4194304-draft.twin-tmp"  # no process has this id
    killed_run.parent.mkdir()
    killed_run.write_bytes(b"a draft a killed run left")
    outcome = run_citywide(plan, tmp_path / "out", client=client)
    assert outcome.failed == {}
    assert not [path for path in (tmp_path / "out").iterdir() if path.name.startswith(".")]
    tiled = read_grid(tmp_path / "out" / "max_depth.tif")
    single, _ = run_single_domain(plan)
    error = tiling_error(tiled, single, cell_area=CELL * CELL)
    assert error["cells_compared"] == ROWS * COLS  # every cell is some domain's
    assert error["flooded_area_single_m2"] > 2000.0  # the hollows and valley floors flood
    assert abs(error["flooded_area_difference_pct"]) < 2.0
    assert error["p99_abs_depth_difference_m"] < 0.01 and error["max_abs_depth_difference_m"] < 0.05
    for name in ("max_depth", "max_velocity", "arrival_time"):
        with rasterio.open(tmp_path / "out" / f"{name}.tif") as grid:
            assert grid.profile["tiled"] and grid.overviews(1)  # tiled, with overviews
            assert grid.tags(ns="IMAGE_STRUCTURE").get("LAYOUT") == "COG"
            assert grid.transform == Affine(CELL, 0, WEST, 0, -CELL, NORTH) and grid.crs.to_epsg() == 25833
    quarters = (tmp_path / "out" / "quarters.csv").read_text(encoding="utf-8").splitlines()
    assert quarters[0].startswith('"quarter","flooded_area_m2"') and len(quarters) == 3
    summary = json.loads((tmp_path / "out" / "citywide.json").read_text(encoding="utf-8"))
    assert summary["domains"] == 2 and summary["cell_updates"] > 0


def test_the_citywide_command_refuses_a_scenario_of_another_simulation(tmp_path, capsys):
    scenario = tmp_path / "decay.toml"
    scenario.write_text('[scenario]\nname = "d"\nsimulation = "street_decay"\n[inputs]\n', encoding="utf-8")
    assert main(["citywide", str(scenario), "--out", str(tmp_path / "out")]) == 2
    assert "a citywide run is a flood run" in capsys.readouterr().err


def test_ctrl_c_in_the_citywide_command_leaves_no_draft_behind(tmp_path):
    scenario = write_scenario(tmp_path / "city")
    # a storm long enough to be running still when Ctrl-C comes
    scenario.write_text(scenario.read_text(encoding="utf-8").replace("duration_min = 30.0", "duration_min = 2880.0"),
                        encoding="utf-8")
    out = tmp_path / "out"
    process = subprocess.Popen([sys.executable, "main.py", "citywide", str(scenario), "--out", str(out),
                                "--workers", "1", "--domain-m", "200", "--buffer-m", "60"],
                               cwd=PROJECT_ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 300  # a busy machine starts the cluster slowly
        while not (out.is_dir() and any(out.iterdir())) and process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.2)
        drafts = sorted(path.name for path in out.iterdir()) if out.is_dir() else []
        process.send_signal(signal.SIGINT)
        _, errors = process.communicate(timeout=120)
    finally:
        if process.poll() is None:
            process.kill()
    assert any(".draft." in name or "-draft." in name for name in drafts), drafts  # it was stitching
    assert process.returncode == EXIT_CANCELED, errors
    assert errors.rstrip().endswith("cancelled")
    assert sorted(path.name for path in out.iterdir()) == []
