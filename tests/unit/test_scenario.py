from pathlib import Path

import numpy as np
import pytest
import rasterio
from affine import Affine

from twin.core import Scenario, ScenarioError
from twin.sim.registry import SimulationRegistry
from twin.sim.scenario_run import prepare_scene, run_scenario, write_run


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_scenario_reads_paths_relative_to_itself(selftest_scenario, dtm_file, quarters_file):
    scenario = Scenario.load(selftest_scenario)
    assert scenario.simulation == "selftest"
    assert scenario.seed == 7
    assert scenario.inputs == {"terrain": dtm_file.resolve()}
    assert scenario.quarters_file == quarters_file.resolve()
    assert scenario.parameters == {"noise": 0.2, "passes": 4}
    assert scenario.crs is None  # named nowhere: the CRS of its first input


def test_a_scenario_without_crs_runs_in_its_first_inputs_crs(selftest_scenario):
    scene, inputs = prepare_scene(Scenario.load(selftest_scenario))
    assert scene.crs == inputs.crs == "EPSG:25833"


def test_saved_scenario_reads_back_the_same(selftest_scenario, tmp_path):
    scenario = Scenario.load(selftest_scenario)
    copy = tmp_path / "sub" / "copy.toml"
    copy.parent.mkdir()
    scenario.save(copy)
    again = Scenario.load(copy)
    assert (again.inputs, again.parameters, again.seed) == (scenario.inputs, scenario.parameters,
                                                            scenario.seed)
    assert "../dtm.tif" in copy.read_text()


@pytest.mark.parametrize(("text", "message"), [
    ('[scenario]\nname = "x"\nsimulation = "s"\nsede = 3\n', "unknown key 'sede' in \\[scenario\\] \\(did you mean 'seed'\\?\\)"),
    ('[scenario]\nname = "x"\nsimulation = "s"\n[paramters]\n', "unknown table 'paramters' \\(did you mean 'parameters'\\?\\)"),
    ('[scenario]\nname = "x"\n', "needs a 'simulation'"),
    ('[scenario]\nname = "x"\nsimulation = "s"\nseed = -1\n', "seed must be a whole number"),
    ('[scenario]\nname = "x"\nsimulation = "s"\nseed = true\n', "seed must be a whole number"),
    ('[scenario]\nname = "x"\nsimulation = "s"\ncrs = "EPSG:bogus"\n', "crs"),
    ('[scenario]\nname = "x"\nsimulation = "s"\n[inputs]\nterrain = "missing.tif"\n', "input 'terrain' names a file that does not exist"),
    ('[scenario\nname = "x"', "not valid TOML"),
])
def test_scenario_mistakes_are_one_sentence_naming_the_file(tmp_path, text, message):
    path = write(tmp_path / "broken.toml", text)
    with pytest.raises(ScenarioError, match=message) as caught:
        Scenario.load(path)
    assert str(caught.value).startswith(str(path))
    assert "\n" not in str(caught.value).strip()


def test_missing_scenario_file(tmp_path):
    with pytest.raises(ScenarioError, match="does not exist"):
        Scenario.load(tmp_path / "nope.toml")


def test_a_scenario_without_crs_keeps_a_dutch_terrain_on_its_own_grid(tmp_path):
    """A 1 m DTM in RD New (EPSG:28992) is not warped into Dresden's CRS: the flood runs on the
    file's 230 x 265 cells and writes its results in EPSG:28992 on that grid."""
    transform = Affine(1.0, 0, 85_000.0, 0, -1.0, 446_265.0)  # Delft
    rows, cols = np.mgrid[0:265, 0:230]
    heights = (0.5 + 0.002 * ((cols - 115) ** 2 + (rows - 130) ** 2) ** 0.5).astype(np.float32)
    with rasterio.open(tmp_path / "delft_dtm1.tif", "w", driver="GTiff", width=230, height=265, count=1,
                       dtype="float32", crs="EPSG:28992", transform=transform) as target:
        target.write(heights, 1)
    write(tmp_path / "delft.toml",
          '[scenario]\nname = "Delft"\nsimulation = "flood"\nseed = 1\n\n'
          '[inputs]\nterrain = "delft_dtm1.tif"\n\n'
          '[parameters]\nrain = "block"\nblock_depth_mm = 30.0\nrain_duration_min = 5.0\n'
          'duration_min = 2.0\nsnapshot_interval_min = 1.0\n')
    notes: list[str] = []
    _, report = run_scenario(Scenario.load(tmp_path / "delft.toml"), SimulationRegistry.discover(), notes=notes)
    assert report.ok, report.traceback
    assert notes == []  # nothing was warped
    write_run(report, tmp_path / "out")
    with rasterio.open(tmp_path / "out" / "max_depth.tif") as result:
        assert result.crs.to_epsg() == 28992
        assert (result.width, result.height) == (230, 265)
        assert result.transform == transform
    assert report.output.summary["rain_depth_mm"] == pytest.approx(30.0)


def test_a_scenario_naming_another_crs_warps_its_terrain_and_says_so(tmp_path, dtm_file):
    write(tmp_path / "utm32.toml", '[scenario]\nname = "x"\nsimulation = "selftest"\ncrs = "EPSG:25832"\n\n'
                                   '[inputs]\nterrain = "dtm.tif"\n')
    notes: list[str] = []
    scene, _ = prepare_scene(Scenario.load(tmp_path / "utm32.toml"), notes)
    assert scene.crs == "EPSG:25832"
    assert len(notes) == 1 and "dtm.tif was warped from EPSG:25833 into the scene's EPSG:25832" in notes[0]


def test_a_scenario_input_may_be_a_folder_of_tiles(tmp_path, dtm_file):
    (tmp_path / "tiles").mkdir()
    dtm_file.rename(tmp_path / "tiles" / "dtm.tif")
    write(tmp_path / "tiles.toml", '[scenario]\nname = "x"\nsimulation = "selftest"\n\n'
                                   '[inputs]\nterrain = "tiles"\n')
    scenario = Scenario.load(tmp_path / "tiles.toml")
    assert scenario.inputs == {"terrain": (tmp_path / "tiles").resolve()}
    (tmp_path / "empty").mkdir()
    write(tmp_path / "empty.toml", '[scenario]\nname = "x"\nsimulation = "selftest"\n\n'
                                   '[inputs]\nterrain = "empty"\n')
    with pytest.raises(ScenarioError, match="is a folder, not a file, and holds no tiles"):
        Scenario.load(tmp_path / "empty.toml")


def test_a_saved_scenario_without_crs_stays_without(selftest_scenario, tmp_path):
    copy = tmp_path / "copy.toml"
    Scenario.load(selftest_scenario).save(copy)
    assert "crs" not in copy.read_text() and Scenario.load(copy).crs is None
