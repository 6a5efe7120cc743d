"""The site's data without a browser: grids with no-data cells, results draped on the ground with
their legends, buildings from a real CityGML tile, proposals placed on the ground, bad choices."""

import math
from pathlib import Path

import numpy as np
import pygltflib
import pytest
import shapely

from twin.core.feedback import Canceled, Feedback
from twin.core.project import Project
from twin.core.proposals import Measure, ProposalSet
from twin.core.scenario import Scenario
from twin.io.errors import TwinIOError
from twin.io.formats import read_layer
from twin.io.project import save_project
from twin.io.proposals_geojson import write_proposals
from twin.sim.registry import SimulationRegistry
from twin.sim.scenario_run import run_scenario
from twin.web.parts import RESULT_LIFT_M
from twin.web.site import publish, site_models, site_scene

from ..conftest import CELL, ORIGIN_X, ORIGIN_Y, bowl_heights


@pytest.fixture
def project(tmp_path, selftest_scenario, reference) -> Path:
    """The self-test run on the bowl DTM (one no-data corner), saved with a real Dresden LoD2 tile."""
    scene, report = run_scenario(Scenario.load(selftest_scenario), SimulationRegistry.discover())
    assert report.ok, report.error
    scene.add_layer(read_layer(reference / "citygml" / "dresden_LoD2_33_416_5656_SN_14bldg_citygml1.gml",
                               name="Blasewitz buildings"))
    path = tmp_path / "selftest_project.toml"
    save_project(scene, path, "Self-test", quarters_file=tmp_path / "quarters.geojson")
    return path


def scene_data(site: Path) -> dict:
    return site_scene(site)


def positions(site: Path, entry: dict) -> np.ndarray:
    document = pygltflib.GLTF2.load_from_bytes(site_models(site)[entry["name"]])
    accessor = document.accessors[document.meshes[0].primitives[0].attributes.POSITION]
    view = document.bufferViews[accessor.bufferView]
    return np.frombuffer(document.binary_blob(), np.float32, accessor.count * 3, view.byteOffset).reshape(-1, 3)


def test_a_grid_with_no_data_and_a_result_draped_on_it_publish_with_the_legend(project, tmp_path):
    site = publish(Project.load(project), tmp_path / "site", layer_names=["terrain", "Self-test: change"])
    data = scene_data(site.folder)
    terrain, change = data["layers"]
    assert terrain["kind"] == "terrain" and change["kind"] == "result"
    assert change["legend"]["title"] == "height change (m)" and len(change["legend"]["gradient"]) > 2

    ground = positions(site.folder, terrain)
    assert np.isfinite(ground).all()
    assert len(ground) == np.isfinite(bowl_heights()).sum()  # every cell but the no-data corner
    x0, y0, z0 = data["origin"]
    draped = positions(site.folder, change)
    # Each result cell centre lies on its terrain cell's centre, lifted.
    col = np.floor((draped[:, 0] + x0 - ORIGIN_X) / CELL).astype(int)
    row = np.floor((ORIGIN_Y - (y0 - draped[:, 2])) / CELL).astype(int)
    np.testing.assert_allclose(draped[:, 1] + z0, bowl_heights()[row, col] + RESULT_LIFT_M, atol=1e-3)


def test_buildings_carry_their_attributes_and_proposals_sit_on_the_ground(project, tmp_path):
    pond = Measure("pond", "retention_area", "Pond", shapely.box(411_040, 5_654_040, 411_060, 5_654_060),
                   {"depth_m": 0.5}, comment="Here")
    proposals = tmp_path / "proposals.geojson"
    write_proposals(ProposalSet((pond,), "EPSG:25833"), proposals)
    with_proposals = Project.load(project)
    with_proposals.proposals = proposals  # the project's own proposals file
    site = publish(with_proposals, tmp_path / "site", layer_names=["terrain", "Blasewitz buildings"])
    data = scene_data(site.folder)
    buildings = data["layers"][1]["features"]
    assert len(buildings["rows"]) == 14 and "measured height" in buildings["columns"]
    (placed,) = data["proposals"]
    assert (placed["kind_title"], placed["comment"], placed["shape"]) == ("retention area", "Here", "area")
    x0, y0, z0 = data["origin"]
    corner = placed["parts"][0][0]
    col, row = math.floor((corner[0] + x0 - ORIGIN_X) / CELL), math.floor((ORIGIN_Y - (y0 - corner[2])) / CELL)
    assert corner[1] + z0 == pytest.approx(bowl_heights()[row, col], abs=0.01)


def test_a_comment_pin_sent_back_is_published_as_a_pin_at_the_height_clicked(project, tmp_path):
    pin = Measure("comment-1", "comment", "Bench", shapely.Point(411_050.0, 5_654_050.0, 123.25), {},
                  author="Resident", comment="A bench in the shade, please.")
    comments = tmp_path / "comments.geojson"
    write_proposals(ProposalSet((pin,), "EPSG:25833"), comments)
    site = publish(Project.load(project), tmp_path / "site", layer_names=["terrain"], proposals=[comments])
    data = scene_data(site.folder)
    (placed,) = data["proposals"]
    assert (placed["kind_title"], placed["shape"], placed["comment"]) == ("comment pin", "pin",
                                                                          "A bench in the shade, please.")
    x0, y0, z0 = data["origin"]
    assert placed["parts"][0] == pytest.approx([411_050.0 - x0, 123.25 - z0, y0 - 5_654_050.0])


def test_a_broken_proposals_file_of_the_project_is_one_sentence_and_the_rest_is_published(project, tmp_path):
    broken = Project.load(project)
    broken.proposals = tmp_path / "gone.geojson"
    site = publish(broken, tmp_path / "site", layer_names=["terrain"])
    assert site.skipped == [f"proposals not published: {broken.proposals}: the proposals file does not exist"]
    assert scene_data(site.folder)["proposals"] == []


def test_unknown_layers_and_quarters_are_one_sentence_and_nothing_is_written(project, tmp_path):
    with pytest.raises(TwinIOError, match="no layer named 'Roads'"):
        publish(Project.load(project), tmp_path / "site", layer_names=["Roads"])
    with pytest.raises(TwinIOError, match="no quarter named 'North'"):
        publish(Project.load(project), tmp_path / "site", quarter="North")
    assert not (tmp_path / "site").exists()


def test_an_earlier_site_is_replaced_only_when_asked(project, tmp_path):
    publish(Project.load(project), tmp_path / "site", layer_names=["terrain"])
    with pytest.raises(TwinIOError, match="pass --replace"):
        publish(Project.load(project), tmp_path / "site", layer_names=["terrain"])
    replaced = publish(Project.load(project), tmp_path / "site", layer_names=["Blasewitz buildings"], replace=True)
    assert [layer["name"] for layer in scene_data(replaced.folder)["layers"]] == ["Blasewitz buildings"]


def test_a_folder_without_a_scene_is_one_sentence(tmp_path):
    with pytest.raises(TwinIOError, match="scene-data.js: not the scene of a published site"):
        site_models(tmp_path)
    (tmp_path / "scene-data.js").write_text('window.TWIN_SCENE = {"layers": [], "models": []};\n', encoding="utf-8")
    with pytest.raises(TwinIOError, match="holds its meshes as None, not glb\\+gzip\\+base64"):
        site_models(tmp_path)


def test_a_cancelled_publication_leaves_nothing(project, tmp_path):
    feedback = Feedback()
    feedback.cancel()
    with pytest.raises(Canceled):
        publish(Project.load(project), tmp_path / "site", feedback)
    assert not (tmp_path / "site").exists()
    assert [path.name for path in tmp_path.iterdir() if "site" in path.name] == []
