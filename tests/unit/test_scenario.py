from pathlib import Path

import pytest

from twin.core import Scenario, ScenarioError


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
    assert scenario.crs == "EPSG:25833"


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
