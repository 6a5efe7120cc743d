"""The simulation contract, run through the runner with small test simulations."""

from __future__ import annotations

import threading

import numpy as np
import pytest
from affine import Affine

from plugins.selftest.simulation import TerrainNoiseSelfTest
from twin.core import RasterLayer, Scene, StreetsLayer
from twin.core.data import RasterData, ResultRaster, ResultTable, StreetData
from twin.sim import (
    Dimension,
    DType,
    Feedback,
    FieldSpec,
    InputSpec,
    Location,
    ParameterSpec,
    RunStatus,
    Simulation,
    SimulationInputError,
    SimulationInputs,
    SimulationOutput,
    run_simulation,
)
from twin.sim.contract import ParameterError


def terrain_inputs(scene: Scene | None = None) -> SimulationInputs:
    data = RasterData(np.linspace(100, 120, 60, dtype=np.float32).reshape(6, 10),
                      Affine(1, 0, 411000, 0, -1, 5654000), "EPSG:25833")
    layer = RasterLayer(data, "dtm")
    if scene is not None:
        scene.add_layer(layer)
    return SimulationInputs(layers={"terrain": layer}, quarters=[], crs="EPSG:25833")


class Steps(Simulation):
    """Ten steps of random numbers; optionally fails or cancels at a chosen step."""

    name = "steps"
    title = "Steps"
    description = "test simulation"
    inputs = (InputSpec("terrain", "raster", "any grid"),)
    outputs = (FieldSpec("noisy", Location.CELL, "m", "the grid with noise", "noisy grid"),
               FieldSpec("mean", Location.SCENE, "m", "mean of the noisy grid", "mean height"))
    parameters = (
        ParameterSpec("steps", int, 10, "how many steps", minimum=1, maximum=100),
        ParameterSpec("scale", float, 1.0, "noise scale", units="m", minimum=0.0),
        ParameterSpec("mode", str, "calm", "what to do", choices=("calm", "fail", "cancel")),
    )

    def run(self, inputs, params, *, rng, feedback):
        grid = inputs.layers["terrain"].data
        values = grid.values.astype(np.float64)
        for step in range(params["steps"]):
            values = values + rng.normal(0, params["scale"], values.shape)
            if step == 3 and params["mode"] == "fail":
                raise ZeroDivisionError("step 3 divides by zero")
            if step == 3 and params["mode"] == "cancel":
                feedback.cancel()  # as if the user pressed Cancel now
            feedback.progress((step + 1) / params["steps"], f"step {step + 1}")
        result = ResultRaster("noisy", values, grid.transform, grid.crs, "m")
        return SimulationOutput({"mean": float(values.mean())}, {}, [result])


def test_missing_input_is_refused_before_running():
    with pytest.raises(SimulationInputError, match="needs the input 'terrain'"):
        run_simulation(Steps(), SimulationInputs({}, [], "EPSG:25833"), {})


def test_misnamed_and_mistyped_inputs_are_refused():
    inputs = terrain_inputs()
    misnamed = SimulationInputs({"terain": inputs.layers["terrain"]}, [], "EPSG:25833")
    with pytest.raises(SimulationInputError, match="no input 'terain' \\(did you mean 'terrain'"):
        run_simulation(Steps(), misnamed, {})
    streets = StreetsLayer(StreetData(np.array([]), np.array([]), {}, "EPSG:25833"), "roads")
    with pytest.raises(SimulationInputError, match="must be a raster layer, but 'roads' is a streets"):
        run_simulation(Steps(), SimulationInputs({"terrain": streets}, [], "EPSG:25833"), {})


@pytest.mark.parametrize(("params", "message"), [
    ({"steps": "ten"}, "'steps' must be a whole number"),
    ({"steps": 2.5}, "'steps' must be a whole number"),
    ({"steps": True}, "'steps' must be a whole number"),
    ({"steps": 0}, "'steps' must be at least 1"),
    ({"steps": 101}, "'steps' must be at most 100"),
    ({"scale": -0.1}, "'scale' must be at least 0.0 m"),
    ({"scale": float("nan")}, "finite"),
    ({"mode": "wild"}, "must be one of calm, fail, cancel"),
    ({"stpes": 3}, "no parameter 'stpes' \\(did you mean 'steps'\\?\\)"),
])
def test_wrong_parameter_type_or_range_is_refused(params, message):
    with pytest.raises(SimulationInputError, match=message):
        run_simulation(Steps(), terrain_inputs(), params)


def test_parameters_are_coerced_and_defaulted():
    report = run_simulation(Steps(), terrain_inputs(), {"steps": 2.0, "scale": 1})
    assert report.parameters == {"steps": 2, "scale": 1.0, "mode": "calm"}
    assert isinstance(report.parameters["steps"], int)


def test_plugin_exception_becomes_a_failed_report_and_stores_nothing():
    scene = Scene()
    report = run_simulation(Steps(), terrain_inputs(scene), {"mode": "fail"}, scene=scene)
    assert report.status is RunStatus.FAILED
    assert "ZeroDivisionError: step 3 divides by zero" in report.error
    assert "Traceback" in report.traceback
    assert report.output is None and scene.runs == [] and len(scene.layers) == 1


def test_cancel_mid_run_stores_nothing():
    scene = Scene()
    seen = []
    feedback = Feedback(lambda fraction, message: seen.append(fraction))
    report = run_simulation(Steps(), terrain_inputs(scene), {"mode": "cancel"}, scene=scene,
                            feedback=feedback)
    assert report.status is RunStatus.CANCELED
    assert report.output is None and report.result_layers == []
    assert scene.runs == [] and [layer.name for layer in scene.layers] == ["dtm"]
    assert 0 < max(seen) < 1


def test_cancel_from_another_thread_stops_a_running_simulation():
    scene = Scene()
    halfway = threading.Event()
    feedback = Feedback(lambda fraction, message: halfway.set() if fraction >= 0.2 else None)
    reports = []
    worker = threading.Thread(target=lambda: reports.append(run_simulation(
        TerrainNoiseSelfTest(), terrain_inputs(scene), {"passes": 50, "pause": 0.02},
        feedback=feedback, scene=scene)))
    worker.start()
    assert halfway.wait(10)
    feedback.cancel()
    worker.join(10)
    assert reports[0].status is RunStatus.CANCELED
    assert scene.runs == [] and len(scene.layers) == 1


def test_same_seed_same_result_other_seed_other_result():
    def noisy(seed):
        return run_simulation(Steps(), terrain_inputs(), {}, seed=seed).output.results[0].values
    assert np.array_equal(noisy(11), noisy(11))
    assert not np.array_equal(noisy(11), noisy(12))


def test_a_run_without_seed_records_the_seed_it_used():
    first = run_simulation(Steps(), terrain_inputs(), {})
    again = run_simulation(Steps(), terrain_inputs(), {}, seed=first.seed)
    assert np.array_equal(first.output.results[0].values, again.output.results[0].values)


def test_a_run_that_ends_well_is_stored_with_its_result_layers():
    scene = Scene()
    report = run_simulation(Steps(), terrain_inputs(scene), {}, seed=1, scene=scene,
                            scenario="test")
    assert report.ok
    assert [run.run_id for run in scene.runs] == [report.run_id]
    assert scene.runs[0].layer_names == ["test: noisy"]  # named after the run
    assert scene.layer("test: noisy").run_id == report.run_id
    unnamed = run_simulation(Steps(), terrain_inputs(scene), {}, seed=1, scene=scene)
    assert scene.runs[1].layer_names == ["Steps: noisy"] and unnamed.ok  # after the simulation


def test_parameter_declaration_with_a_bad_default_fails_at_definition():
    with pytest.raises(Exception, match="at most"):
        ParameterSpec("n", int, 5, "n", maximum=3)


def test_a_list_parameter_takes_numbers_and_checks_each_against_the_range():
    spec = ParameterSpec("depths", list, (10, 20.5), "depths", units="mm", minimum=0.0)
    assert spec.default == (10, 20.5)
    assert spec.validate([1, 2.5, np.float32(3)]) == (1.0, 2.5, 3.0)
    assert spec.validate([]) == ()
    assert spec.describe()["type"] == "list" and spec.describe()["default"] == [10, 20.5]
    for bad, message in (("1, 2", "list of numbers"), (3.0, "list of numbers"),
                         ([1, "x"], "finite numbers"), ([1, True], "finite numbers"),
                         ([1, float("nan")], "finite numbers"), ([5, -1], "at least 0.0 mm")):
        with pytest.raises(ParameterError, match=message):
            spec.validate(bad)


@pytest.mark.parametrize("simulation", [Steps, TerrainNoiseSelfTest])
def test_every_simulation_describes_its_contract(simulation):
    described = simulation.describe()
    assert described["name"] and described["title"] and described["description"]
    for spec in described["parameters"]:
        assert spec["help"] and spec["type"] in ("int", "float", "bool", "str", "list")
    assert simulation.defaults() == {spec.name: spec.default for spec in simulation.parameters}


class ManyResults(Simulation):
    """Two grids and tables on two layers, to see which results start visible."""

    name = "many"
    title = "Many"
    description = "test simulation"
    inputs = (InputSpec("terrain", "raster", "any grid"),)
    outputs = (FieldSpec("{grid}", Location.CELL, "m", "grids a and b", dimensions=(Dimension("grid", "a|b"),)),
               *(FieldSpec("id", Location.SEGMENT, "", "row ids", dtype=DType.INTEGER, result=name)
                 for name in "cde"))

    def run(self, inputs, params, *, rng, feedback):
        grid = inputs.layers["terrain"].data
        rasters = [ResultRaster(name, grid.values, grid.transform, grid.crs, "m") for name in ("a", "b")]
        tables = [ResultTable(name, target, {"id": np.arange(3)}) for name, target in
                  (("c", "streets"), ("d", "streets"), ("e", "buildings"))]
        return SimulationOutput({}, {}, [*rasters, *tables])


def test_only_the_first_result_of_each_place_starts_visible():
    report = run_simulation(ManyResults(), terrain_inputs(), {})
    shown = {layer.data.name: layer.visible for layer in report.result_layers}
    assert shown == {"a": True, "b": False, "c": True, "d": False, "e": True}


class Sloppy(Steps):
    """Steps whose output breaks its declarations in a chosen way."""

    name = "sloppy"
    parameters = (*Steps.parameters,
                  ParameterSpec("flaw", str, "figure", "what is wrong", choices=("figure", "grid", "type")))

    def run(self, inputs, params, *, rng, feedback):
        output = super().run(inputs, {**params, "mode": "calm"}, rng=rng, feedback=feedback)
        if params["flaw"] == "figure":
            output.summary["mean_m"] = output.summary["mean"]
        elif params["flaw"] == "grid":
            output.results[0].name = "noise"
        else:
            output.summary["mean"] = "high"
        return output


@pytest.mark.parametrize("flaw, message", [
    ("figure", "the summary hold the undeclared figure 'mean_m'"),
    ("grid", "the grid 'noise' is undeclared"),
    ("type", "figure 'mean' should be a number, got 'high'")])
def test_an_undeclared_output_fails_the_run_naming_the_plugin(flaw, message):
    report = run_simulation(Sloppy(), terrain_inputs(), {"flaw": flaw, "steps": 2}, seed=1)
    assert report.status is RunStatus.FAILED
    assert report.error == f"simulation 'sloppy' broke its declared outputs: {message}"
    assert report.traceback is None  # the plugin's fault, told in one sentence


def test_declared_units_and_labels_reach_the_results():
    report = run_simulation(Steps(), terrain_inputs(), {"steps": 2}, seed=1)
    grid = report.output.results[0]
    assert (grid.units, grid.label) == ("m", "noisy grid")


class Picky(Steps):
    name = "picky"

    def check_parameters(self, params):
        if params["steps"] > 5 and params["mode"] == "fail":
            raise ParameterError("parameter 'steps' must be at most 5 for mode 'fail'")


def test_check_parameters_refuses_a_combination_as_bad_input_before_the_run():
    with pytest.raises(SimulationInputError, match="must be at most 5 for mode 'fail'"):
        run_simulation(Picky(), terrain_inputs(), {"steps": 6, "mode": "fail"})


def test_a_table_parameter_takes_rows_and_reads_an_old_flat_list_with_a_deprecation_warning():
    spec = ParameterSpec("points", tuple, (), "points", units="m", columns=("x (m)", "y (m)"), minimum=0.0)
    assert spec.validate([[1, 2], [3.5, 4]]) == ((1.0, 2.0), (3.5, 4.0))
    with pytest.warns(FutureWarning, match="a flat list of numbers is deprecated"):
        assert spec.validate([1, 2, 3, 4]) == ((1.0, 2.0), (3.0, 4.0))
    with pytest.raises(ParameterError, match="rows of 2 numbers \\(x \\(m\\), y \\(m\\)\\); a row has 3"):
        spec.validate([[1, 2, 3]])
    with pytest.raises(ParameterError, match="at least 0.0 m, got -1.0"):
        spec.validate([[1, -1]])
    assert spec.describe()["type"] == "table" and spec.describe()["columns"] == ["x (m)", "y (m)"]
