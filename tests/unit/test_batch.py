"""Batch runs on a real Dask LocalCluster of two worker processes: the same figures as single runs,
a failing run isolated, a repeated batch skipped, an interrupted one resumed, the table written."""

import json
import shutil
import threading
from pathlib import Path

import pyarrow.csv as pa_csv
import pyarrow.parquet as pq
import pytest
from distributed import Client, LocalCluster

from data.demo import QUARTERS_FILE, default_cache, demo_project
from twin.cli import main
from twin.core.scenario import Scenario
from twin.sim.batch import BatchError, InputDigests, plan_batch, read_summary, run_folder
from twin.sim.batch_dask import LocalBatchCluster, run_and_write_batch
from twin.sim.batch_results import batch_chart, read_batch
from twin.sim.registry import SimulationRegistry
from twin.sim.scenario_run import run_scenario

BUDGETS = "budget_eur=250000,2000000"


@pytest.fixture(scope="module")
def registry():
    demo_project()  # the scenarios read the generated demo streets
    return SimulationRegistry.discover()


@pytest.fixture(scope="module")
def client():
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster, \
            Client(cluster, set_as_default=False) as connected:
        yield connected


def write_scenario(folder: Path, streets: Path, name: str = "streets.toml", title: str = "Johannstadt streets") -> Path:
    path = folder / name
    path.write_text(
        f'[scenario]\nname = "{title}"\nsimulation = "street_decay"\nseed = 11\n'
        f'quarters = ["Johannstadt"]\nquarters_file = "{QUARTERS_FILE.as_posix()}"\n\n'
        f'[inputs]\nstreets = "{streets.as_posix()}"\n\n'
        '[parameters]\nhorizon_years = 5\nmonte_carlo_runs = 0\n', encoding="utf-8")
    return path


@pytest.fixture
def scenario_file(tmp_path, registry):
    return write_scenario(tmp_path, default_cache() / "johannstadt_streets.gpkg")


@pytest.fixture
def broken_scenario(tmp_path, registry):
    """A scenario whose streets file is not a GeoPackage: its runs fail on the worker, when read."""
    broken = tmp_path / "broken_streets.gpkg"
    broken.write_bytes(b"not a geopackage at all" * 100)
    return write_scenario(tmp_path, broken, "broken.toml", "Broken streets")


def statuses_by_name(outcome):
    return {outcome.names[key]: status["status"] for key, status in outcome.statuses.items()}


# ----------------------------------------------------------------------------- planning, no cluster

def test_the_runs_are_the_product_of_the_variations_with_typed_values(scenario_file, registry, tmp_path):
    runs = plan_batch([scenario_file], [BUDGETS, "strategy=worst_first,benefit_per_cost"], registry,
                      InputDigests())
    assert len(runs) == 4 and len({run.key for run in runs}) == 4
    assert {run.varied["budget_eur"] for run in runs} == {250000.0, 2000000.0}
    assert all(isinstance(run.varied["budget_eur"], float) for run in runs)
    assert runs[0].name == "Johannstadt streets [budget_eur=250000, strategy=worst_first]"


def test_a_list_parameter_varies_by_whole_lists(scenario_file, registry):
    runs = plan_batch([scenario_file], ["cost_main_eur_m2=[1, 2, 3, 4],[2,3,4,5]"], registry, InputDigests())
    assert [run.varied["cost_main_eur_m2"] for run in runs] == [(1.0, 2.0, 3.0, 4.0), (2.0, 3.0, 4.0, 5.0)]
    assert runs[1].name == "Johannstadt streets [cost_main_eur_m2=[2, 3, 4, 5]]"
    assert runs[0].refused is None


def test_a_run_key_follows_the_bytes_of_its_inputs_not_the_spelling_of_a_value(registry, tmp_path):
    streets = tmp_path / "streets.gpkg"
    shutil.copyfile(default_cache() / "johannstadt_streets.gpkg", streets)
    scenario = write_scenario(tmp_path, streets)
    first = plan_batch([scenario], ["budget_eur=5e5"], registry, InputDigests())
    assert plan_batch([scenario], ["budget_eur=500000"], registry, InputDigests())[0].key == first[0].key
    with streets.open("ab") as handle:
        handle.write(b"\0")  # one byte more: another input, another run
    assert plan_batch([scenario], ["budget_eur=5e5"], registry, InputDigests())[0].key != first[0].key


@pytest.mark.parametrize(("vary", "said"), [
    ("budgt_eur=1,2", "has no parameter 'budgt_eur' (did you mean 'budget_eur'?)"),
    ("budget_eur=cheap", "'cheap' is not a value of the parameter"),
    ("horizon_years=5,99", "must be at most 30"),
    ("budget_eur", "must read key=value1,value2"),
])
def test_a_bad_variation_is_one_sentence_before_anything_runs(scenario_file, registry, vary, said):
    with pytest.raises(BatchError) as raised:
        plan_batch([scenario_file], [vary], registry, InputDigests())
    assert said in str(raised.value) and "\n" not in str(raised.value)


def test_quarters_replace_the_scenarios_own_and_an_unknown_one_is_refused(scenario_file, registry):
    runs = plan_batch([scenario_file], [], registry, InputDigests(), quarters=["Prohlis", "Johannstadt"])
    assert len(runs) == 1 and runs[0].scenario.quarters == ("Prohlis", "Johannstadt")
    with pytest.raises(BatchError, match="no quarter named 'Johanstadt' .*did you mean 'Johannstadt'"):
        plan_batch([scenario_file], [], registry, InputDigests(), quarters=["Johanstadt"])


def test_the_command_refuses_a_typo_with_exit_status_2(scenario_file, tmp_path, capsys, registry):
    status = main(["batch", str(scenario_file), "--vary", "budgt_eur=1,2", "--out", str(tmp_path / "out")])
    error = capsys.readouterr().err
    assert status == 2 and error.count("\n") == 1 and "did you mean 'budget_eur'" in error
    assert not (tmp_path / "out" / "runs").exists()


# ----------------------------------------------------------------------------- on two workers

def test_a_batch_gives_the_figures_of_single_runs_and_isolates_failures(
        client, registry, scenario_file, broken_scenario, tmp_path):
    out = tmp_path / "batch"
    outcome = run_and_write_batch([scenario_file, broken_scenario], [BUDGETS, "backtest_year=2024,2019"],
                                  out, registry, client=client)
    by_name = statuses_by_name(outcome)
    assert len(by_name) == 8
    good = {name for name, status in by_name.items() if status == "ok"}
    assert good == {f"Johannstadt streets [budget_eur={b}, backtest_year=2024]" for b in (250000, 2000000)}
    failed = outcome.failed_by_name
    assert all("'backtest_year' must come after 'backtest_until'" in failed[name]
               for name in by_name if "2019" in name)  # refused by the plugin's check_parameters
    broken = [name for name in failed if name.startswith("Broken") and "2024" in name]
    assert len(broken) == 2 and all("broken_streets.gpkg" in failed[name] for name in broken)  # raised on a worker

    for run in plan_batch([scenario_file], [BUDGETS, "backtest_year=2024"], registry, InputDigests()):
        _, single = run_scenario(run.scenario, registry)
        summary = read_summary(out, run.key)
        assert json.loads(json.dumps(single.output.per_quarter)) == summary["per_quarter"]
        assert summary["summary"]["backlog_eur"] == pytest.approx(single.output.summary["backlog_eur"], rel=0)
        assert summary["seed"] == single.seed == 11
    assert outcome.sentence().startswith("8 runs: 2 ran, 0 reused, 6 failed")


def test_the_table_has_a_row_per_run_and_quarter_with_units(client, registry, scenario_file, tmp_path):
    out = tmp_path / "batch"
    run_and_write_batch([scenario_file], [BUDGETS], out, registry, client=client)
    table = pq.read_table(out / "batch.parquet")
    assert table.num_rows == 4  # two runs x (Johannstadt + the whole area)
    assert sorted(set(table.column("quarter").to_pylist())) == ["Johannstadt", "whole area"]
    assert table.schema.field("budget_eur").metadata[b"unit"] == b"EUR"
    assert table.schema.field("backlog_eur@2031").metadata[b"unit"] == b"EUR"
    assert pa_csv.read_csv(out / "batch.csv").num_rows == 4
    assert "budget_eur,yearly budget,EUR" in (out / "batch_columns.csv").read_text(encoding="utf-8")
    batch = read_batch(out)
    chart = batch_chart(batch, "backlog_eur@2031", "budget_eur")
    assert [list(series.x) for series in chart.series] == [[250000.0, 2000000.0]] * 2
    backlog = dict(zip(chart.series[0].x, chart.series[0].y, strict=True))
    assert backlog[2000000.0] < backlog[250000.0]  # more money, less backlog


def test_a_repeated_batch_skips_its_runs_and_an_interrupted_one_resumes(client, registry, scenario_file, tmp_path):
    out = tmp_path / "batch"
    first = run_and_write_batch([scenario_file], [BUDGETS], out, registry, client=client)
    keys = sorted(first.statuses)
    written = {key: read_summary(out, key)["run_id"] for key in keys}
    again = run_and_write_batch([scenario_file], [BUDGETS], out, registry, client=client)
    assert {status["status"] for status in again.statuses.values()} == {"reused"}
    assert {key: read_summary(out, key)["run_id"] for key in keys} == written

    shutil.rmtree(run_folder(out, keys[0]))  # as if the batch had stopped before this run
    # resumed on the same cluster, reached by its scheduler's address as --scheduler does
    resumed = run_and_write_batch([scenario_file], [BUDGETS], out, registry,
                                  scheduler=client.scheduler.address)
    assert resumed.statuses[keys[0]]["status"] == "ok" and resumed.statuses[keys[1]]["status"] == "reused"
    assert read_summary(out, keys[1])["run_id"] == written[keys[1]]


def test_cancelling_keeps_finished_runs_and_leaves_nothing_half_written(client, registry, scenario_file, tmp_path):
    out = tmp_path / "batch"
    stop = threading.Event()

    def stop_after_the_first(progress):
        if progress.done >= 1:
            stop.set()

    outcome = run_and_write_batch([scenario_file], ["budget_eur=1e5,2e5,3e5,4e5,5e5,6e5"], out, registry,
                                  client=client, on_progress=stop_after_the_first, stop=stop)
    states = [status["status"] for status in outcome.statuses.values()]
    assert outcome.canceled and "canceled" in states and states.count("ok") >= 1
    folders = sorted(path.name for path in (out / "runs").iterdir())
    assert folders == sorted(key for key, status in outcome.statuses.items() if status["status"] == "ok")
    assert Scenario.load(run_folder(out, folders[0]) / "scenario.toml").seed == 11
    resumed = run_and_write_batch([scenario_file], ["budget_eur=1e5,2e5,3e5,4e5,5e5,6e5"], out, registry,
                                  client=client)
    assert not resumed.failed and not resumed.canceled
    assert sum(status["status"] == "reused" for status in resumed.statuses.values()) == states.count("ok")


def test_the_command_runs_a_batch_names_its_failed_runs_and_exits_1(client, scenario_file, tmp_path, capsys):
    out = tmp_path / "out"
    status = main(["batch", str(scenario_file), "--vary", "budget_eur=3e5", "--vary", "backtest_year=2024,2019",
                   "--scheduler", client.scheduler.address, "--out", str(out)])
    said = capsys.readouterr()
    assert status == 1
    assert "failed: Johannstadt streets [budget_eur=300000, backtest_year=2019]: parameter 'backtest_year'" in said.err
    assert "batch: 1/2 done (0 reused), 0 running, 1 failed" in said.err
    assert said.out.startswith("2 runs: 1 ran, 0 reused, 1 failed; the table is ")
    description = json.loads((out / "batch.json").read_text(encoding="utf-8"))
    assert [run["status"] for run in description["runs"]] == ["ok", "failed"]
    assert main(["batch", str(scenario_file), "--vary", "budget_eur=3e5", "--scheduler", client.scheduler.address,
                 "--out", str(out)]) == 0  # another run: its name has no backtest_year
    assert "1 run: 1 ran, 0 reused, 0 failed" in capsys.readouterr().out
    assert len(list((out / "runs").iterdir())) == 2


def prepared_inputs() -> list[int]:
    """On a worker: which prepared inputs it keeps (by object identity)."""
    from twin.sim import batch_dask

    return [id(inputs) for inputs in batch_dask._prepared.values()]


def test_a_worker_reads_a_scenarios_inputs_once_and_keeps_them_for_its_next_runs(
        client, registry, scenario_file, tmp_path):
    run_and_write_batch([scenario_file], ["budget_eur=1e5,2e5,3e5,4e5"], tmp_path / "a", registry, client=client)
    kept = client.run(prepared_inputs)
    run_and_write_batch([scenario_file], ["budget_eur=5e5,6e5,7e5,8e5"], tmp_path / "b", registry, client=client)
    again = client.run(prepared_inputs)
    for worker, identities in again.items():
        assert len(identities) <= 2 and set(kept[worker]) <= set(identities)  # the same objects, not read anew


def worker_settings() -> tuple:
    """On a worker: what sets its speed beside the run itself."""
    import os

    import dask
    import numba

    return (os.environ.get("MALLOC_TRIM_THRESHOLD_"), os.environ.get("OMP_NUM_THREADS"), numba.get_num_threads(),
            dask.config.get("distributed.worker.profile.enabled"))


def test_the_batch_clusters_workers_take_one_thread_each_are_not_profiled_and_keep_glibcs_malloc_tuning(
        monkeypatch):
    # Each Dask nanny copies its pre-spawn environment into this process's own (distributed/nanny.py),
    # where a later cluster's workers inherit it: the module's other cluster has left Dask's there.
    monkeypatch.delenv("MALLOC_TRIM_THRESHOLD_", raising=False)
    with LocalBatchCluster(2) as client:
        settings = client.run(worker_settings)
    assert list(settings.values()) == [(None, "1", 1, False)] * 2
