"""Packing a project: one folder (or zip) with the project, its data and runs, that opens elsewhere."""

import dataclasses
import shutil
import zipfile

import numpy as np
import pytest
import shapely

from tests.conftest import write_dtm
from tests.unit.test_live_project import SERVICE_FILE, SOURCE
from twin.core.feedback import Canceled, Feedback
from twin.core.layers import SensorsLayer
from twin.core.live import LiveSensorFeed, live_feed
from twin.core.project import LayerEntry, Project, ViewState
from twin.core.proposals import Measure, ProposalSet
from twin.core.scenario import Scenario
from twin.core.scene import Scene
from twin.io import read_layer
from twin.io.errors import TwinIOError
from twin.io.pack import PACK_MARK, pack_project
from twin.io.project import open_project, save_project
from twin.io.proposals_geojson import read_proposals, write_proposals
from twin.io.reproject import to_crs
from twin.io.sensors import read_sensors
from twin.sim.registry import SimulationRegistry
from twin.sim.scenario_run import run_scenario


@pytest.fixture
def scattered_project(tmp_path, dtm_file, quarters_file, selftest_scenario):
    """A saved project whose data lies inside its folder, beside it and in two folders of one name."""
    home = tmp_path / "work" / "project"
    for folder in (home / "terrain", tmp_path / "a" / "grids", tmp_path / "b" / "grids"):
        folder.mkdir(parents=True)
    inside = write_dtm(home / "terrain" / "inside.tif")
    first = write_dtm(tmp_path / "a" / "grids" / "dtm.tif")
    second = write_dtm(tmp_path / "b" / "grids" / "dtm.tif", np.full((8, 10), 120.0))
    (tmp_path / "b" / "grids" / "dtm.tif.aux.xml").write_text("<PAMDataset/>", encoding="utf-8")
    scene, report = run_scenario(Scenario.load(selftest_scenario), SimulationRegistry.discover())
    assert report.ok
    for path, name in ((inside, "inside"), (first, "first"), (second, "second")):
        scene.add_layer(read_layer(path, name=name))
    view = ViewState(quarter="East", legends=False, window_state="AAAA/wAAAAD9")
    save_project(scene, home / "city.toml", "city", quarters_file=quarters_file,
                 scenarios=[selftest_scenario], view=view)
    return Project.load(home / "city.toml")


def test_a_packed_project_opens_from_another_folder_with_everything(tmp_path, scattered_project):
    packed = pack_project(scattered_project, tmp_path / "pack")
    moved = tmp_path / "laptop" / "pack"
    shutil.move(tmp_path / "pack", moved)  # as if copied to another machine
    shutil.rmtree(tmp_path / "work")  # the originals are gone
    shutil.rmtree(tmp_path / "a")
    shutil.rmtree(tmp_path / "b")

    reopened = Project.load(moved / packed.name)
    opened = open_project(reopened)
    assert opened.problems == []
    names = [layer.name for layer in opened.scene.layers]
    assert names[:4] == [entry.name for entry in scattered_project.layers] == ["terrain", "inside", "first", "second"]
    assert len(names) > 4  # and the run's result layers
    assert all(entry.path.is_relative_to(moved) for entry in reopened.layers)
    assert [run.run_id for run in opened.scene.runs] == [run.name
                                                          for run in scattered_project.runs]
    assert float(opened.scene.layer("second").data.values.max()) == 120.0  # not the other dtm.tif
    assert (moved / "data" / "grids-2" / "dtm.tif.aux.xml").is_file()  # read beside its grid
    assert opened.view == scattered_project.view
    scenario = Scenario.load(reopened.scenarios[0])
    assert scenario.inputs["terrain"].is_relative_to(moved) and scenario.inputs["terrain"].is_file()
    text = (moved / packed.name).read_text()
    assert "../" not in text and str(tmp_path) not in text


def test_packing_reports_progress_and_a_cancel_leaves_nothing(tmp_path, scattered_project):
    seen = []
    pack_project(scattered_project, tmp_path / "pack", Feedback(lambda fraction, _: seen.append(fraction)))
    assert seen == sorted(seen) and seen[-1] == 1.0 and len(seen) > 3

    feedback = Feedback()
    feedback.add_listener(lambda fraction, _: feedback.cancel() if fraction > 0.3 else None)
    before = sorted(path.name for path in tmp_path.iterdir())
    with pytest.raises(Canceled):
        pack_project(scattered_project, tmp_path / "cancelled", feedback)
    assert sorted(path.name for path in tmp_path.iterdir()) == before  # no half pack, no temporary


def test_an_existing_folder_is_never_replaced_silently(tmp_path, scattered_project):
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "thesis.txt").write_text("years of work", encoding="utf-8")
    with pytest.raises(TwinIOError, match="already exists"):
        pack_project(scattered_project, mine)
    with pytest.raises(TwinIOError, match="is not an earlier pack of the twin, so it is not replaced"):
        pack_project(scattered_project, mine, replace=True)
    assert (mine / "thesis.txt").read_text(encoding="utf-8") == "years of work"

    pack_project(scattered_project, tmp_path / "pack")
    (tmp_path / "pack" / "stray.txt").write_text("old", encoding="utf-8")
    pack_project(scattered_project, tmp_path / "pack", replace=True)  # an earlier pack may be replaced
    assert (tmp_path / "pack" / PACK_MARK).is_file() and not (tmp_path / "pack" / "stray.txt").exists()


def test_a_zipped_pack_unzips_into_a_project_that_opens(tmp_path, scattered_project):
    archive = pack_project(scattered_project, tmp_path / "city-pack.zip", as_zip=True)
    assert archive == tmp_path / "city-pack.zip"
    with zipfile.ZipFile(archive) as zipped:
        assert "city-pack/city.toml" in zipped.namelist()
        zipped.extractall(tmp_path / "unzipped")
    assert [path.name for path in tmp_path.iterdir() if path.name.startswith(".")] == []
    opened = open_project(Project.load(tmp_path / "unzipped" / "city-pack" / "city.toml"))
    assert opened.problems == [] and len(opened.scene.runs) == 1
    with pytest.raises(TwinIOError, match="already exists"):
        pack_project(scattered_project, archive, as_zip=True)


def test_a_missing_file_or_an_unsaved_project_is_one_sentence(tmp_path, dtm_file):
    gone = Project("gone", layers=[LayerEntry(tmp_path / "gone.tif", "gone")])
    gone.save(tmp_path / "gone.toml")
    with pytest.raises(TwinIOError, match="gone.tif: the project names this file but it is missing"):
        pack_project(Project.load(tmp_path / "gone.toml"), tmp_path / "pack")
    with pytest.raises(TwinIOError, match="only a saved project can be packed"):
        pack_project(Project("unsaved", layers=[LayerEntry(dtm_file, "dtm")]), tmp_path / "pack")
    assert not (tmp_path / "pack").exists()


def test_a_folder_of_tiles_is_packed_whole(tmp_path):
    from tests.unit.test_mosaic import big_heights, cut_into_tiles

    cut_into_tiles(tmp_path / "tiles", big_heights())
    scene = Scene()
    scene.add_layer(read_layer(tmp_path / "tiles"))
    save_project(scene, tmp_path / "project" / "city.toml", "city")
    packed = pack_project(Project.load(tmp_path / "project" / "city.toml"), tmp_path / "pack")
    shutil.rmtree(tmp_path / "tiles")
    opened = open_project(Project.load(packed))
    assert opened.problems == [] and len(list((tmp_path / "pack").rglob("tile_*.tif"))) == 4
    np.testing.assert_array_equal(opened.scene.layer("tiles").data.values, scene.layer("tiles").data.values)


def test_a_pack_carries_the_live_observations_and_every_proposals_file(tmp_path, selftest_scenario):
    pond = Measure("pond", "retention_area", "Pond", shapely.box(411120, 5654030, 411160, 5654070), {"depth_m": 0.5})
    measures = ProposalSet((pond,), "EPSG:25833")
    (tmp_path / "workshop").mkdir()
    write_proposals(measures, tmp_path / "workshop" / "measures.geojson")  # outside the project's folder
    scenario = Scenario.load(selftest_scenario)
    dataclasses.replace(scenario, proposals=tmp_path / "workshop" / "measures.geojson").save(tmp_path / "effect.toml")
    scene = Scene("EPSG:25833")
    gauges = SensorsLayer(to_crs(read_sensors(SERVICE_FILE), "EPSG:25833"), "gauges")
    LiveSensorFeed(gauges, SOURCE)
    scene.add_layer(gauges)
    home = tmp_path / "project"
    save_project(scene, home / "city.toml", "city", scenarios=[tmp_path / "effect.toml"],
                 proposals=measures.add(pond.with_changes(id="pond2")))
    packed = pack_project(Project.load(home / "city.toml"), tmp_path / "pack")
    moved = tmp_path / "laptop" / "pack"
    shutil.move(tmp_path / "pack", moved)
    for gone in (home, tmp_path / "workshop"):
        shutil.rmtree(gone)

    reopened = Project.load(moved / packed.name)
    opened = open_project(reopened)
    assert opened.problems == []
    (live,) = opened.scene.layers
    assert live_feed(live).source == SOURCE and len(live.data.datastreams) == len(gauges.data.datastreams)
    assert reopened.live[0].observations == moved / "city_live" / "gauges.sta.json"
    assert read_proposals(reopened.proposals, "EPSG:25833").ids() == ("pond", "pond2")
    carried = Scenario.load(reopened.scenarios[0]).proposals
    assert carried.is_relative_to(moved) and read_proposals(carried, "EPSG:25833").ids() == ("pond",)
