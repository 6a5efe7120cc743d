"""Street decay from the command line on a user's own street file (not the demo city)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from tests.e2e.test_cli import main_py, one_sentence

X0, Y0 = 411_000.0, 5_655_000.0
# id, name, road class, length (m), rut depth (mm), cracks (%), bus route
SEGMENTS = [
    ("A1", "Hauptstraße", "main", 120.0, 2.0, 0.5, True),
    ("A2", "Hauptstraße", "main", 150.0, 18.0, 12.0, True),
    ("B1", "Gartenweg", "side", 80.0, 6.0, 8.0, False),
    ("B2", "Gartenweg", "side", 90.0, 22.0, 30.0, False),
    ("C1", "Schulstraße", "side", 60.0, 1.0, 2.0, False),
]


def street_file(path: Path, measured: bool = True) -> Path:
    features = []
    for row, (segment_id, name, road_class, length, rut, cracks, bus) in enumerate(SEGMENTS):
        x = X0 + (0 if row < 2 else 600)  # the first two in the West quarter, the rest in the East
        y = Y0 + 100 * row
        properties = {"segment_id": segment_id, "name": name, "road_class": road_class, "surface": "asphalt",
                      "width_m": 9.0 if road_class == "main" else 5.5, "bus_route": bus}
        if measured:
            properties |= {"rut_depth_mm": rut, "cracks_pct": cracks}
        features.append({"type": "Feature", "properties": properties, "geometry": {
            "type": "LineString", "coordinates": [[x, y], [x + length, y]]}})
    path.write_text(json.dumps({"type": "FeatureCollection", "crs": {
        "type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::25833"}}, "features": features}))
    return path


def quarters_file(path: Path) -> Path:
    def box(x: float) -> dict:
        return {"type": "Polygon", "coordinates": [[[x, Y0 - 50], [x + 500, Y0 - 50], [x + 500, Y0 + 550],
                                                    [x, Y0 + 550], [x, Y0 - 50]]]}
    path.write_text(json.dumps({"type": "FeatureCollection", "crs": {
        "type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::25833"}}, "features": [
        {"type": "Feature", "properties": {"name": "West"}, "geometry": box(X0 - 100)},
        {"type": "Feature", "properties": {"name": "East"}, "geometry": box(X0 + 500)}]}))
    return path


def scenario_file(folder: Path, streets: Path) -> Path:
    path = folder / "my_streets.toml"
    path.write_text(f"""[scenario]
name = "my streets, 10 years"
simulation = "street_decay"
seed = 11
quarters_file = "{quarters_file(folder / 'quarters.geojson').name}"

[inputs]
streets = "{streets.name}"

[parameters]
horizon_years = 10
strategy = "worst_first"
budget_eur = 100000.0
monte_carlo_runs = 50
calibrate = false
""")
    return path


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as stream:
        return list(csv.DictReader(stream))


def test_a_users_street_file_runs_from_the_command_line(tmp_path):
    scenario = scenario_file(tmp_path, street_file(tmp_path / "my_streets.geojson"))
    done = main_py("run", scenario, "--out", tmp_path / "out", "--quiet")
    assert done.returncode == 0, done.stderr
    out = tmp_path / "out"
    summary = json.loads((out / "summary.json").read_text())
    assert summary["status"] == "ok" and summary["summary"]["segments"] == len(SEGMENTS)
    assert sorted(summary["files"]) == ["condition.csv", "quarter_years.csv", "treatments.csv", "work_list.csv"]
    assert summary["summary"]["length_m"] == pytest.approx(sum(row[3] for row in SEGMENTS))
    west, east = summary["per_quarter"]["West"], summary["per_quarter"]["East"]
    assert west["length_m"] + east["length_m"] == pytest.approx(summary["summary"]["length_m"])
    assert len(west["mean_condition"]) == 11 and len(west["monte_carlo"]["mean_condition_p05"]) == 11
    assert max(summary["summary"]["spent_eur"]) <= 100_000.0

    condition = {row["segment_id"]: row for row in read_csv(out / "condition.csv")}
    assert set(condition) == {row[0] for row in SEGMENTS}
    assert {"condition_2026", "class_2026", "condition_2036", "class_2036"} <= set(condition["A1"])
    # rated by hand (CONDITION.md anchors): A1 main road, rut 2 mm and cracks 0.5 % give 1.25 each;
    # B2 side road, cracks 30 % give 3.5 + (30 - 20) / (33 - 20) = 4.27, past the warning value, so it decides
    assert float(condition["A1"]["condition_2026"]) == pytest.approx(1.25) and condition["A1"]["class_2026"] == "0"
    assert float(condition["B2"]["condition_2026"]) == pytest.approx(4.269, abs=1e-3)
    assert condition["B2"]["class_2026"] == "3"
    assert condition["A1"]["quarter"] == "West" and condition["B2"]["quarter"] == "East"

    work = read_csv(out / "work_list.csv")
    assert [row["rank"] for row in work] == [str(rank) for rank in range(1, len(work) + 1)]
    assert work[0]["segment_id"] == "B2"  # worst first: the deepest ruts and most cracks
    assert "C1" not in {row["segment_id"] for row in work}  # very good: nothing to do
    assert {"name", "quarter", "road_class", "treatment", "cost [EUR]", "funded"} <= set(work[0])
    assert work[0]["treatment"] == "reconstruction" and work[0]["funded"] == "True"
    funded = [float(row["cost [EUR]"]) for row in work if row["funded"] == "True"]
    assert sum(funded) <= 100_000.0
    treatments = read_csv(out / "treatments.csv")
    assert {"B2"} <= {row["segment_id"] for row in treatments if row["year"] == "2027"}
    assert all(float(row["expected_cost [EUR]"]) > 0 for row in treatments)


def test_a_street_file_without_condition_fields_is_one_sentence_and_exit_2(tmp_path):
    scenario = scenario_file(tmp_path, street_file(tmp_path / "my_streets.geojson", measured=False))
    failed = main_py("run", scenario, "--out", tmp_path / "out")
    assert failed.returncode == 2
    message = one_sentence(failed.stderr)
    assert "rut_depth_mm" in message and "inspections" in message and "last_treatment_year" in message
    assert not (tmp_path / "out").exists()
