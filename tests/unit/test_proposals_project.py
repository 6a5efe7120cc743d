"""Proposals saved with a project: written beside it, named in [project], reopened, and packed."""

import shutil

import shapely

from twin.core import Scene
from twin.core.project import Project
from twin.core.proposals import Measure, ProposalSet
from twin.io import read_layer
from twin.io.pack import pack_project
from twin.io.project import open_proposals, save_project

POND = Measure("pond", "retention_area", "Pond", shapely.box(411120, 5654030, 411160, 5654070),
               {"volume_m3": 900.0}, author="K. Weber", comment="by the school")


def test_proposals_are_saved_beside_the_project_reopened_and_packed(tmp_path, dtm_file):
    scene = Scene()
    scene.add_layer(read_layer(dtm_file))
    proposals = ProposalSet((POND,), "EPSG:25833")
    save_project(scene, tmp_path / "work" / "workshop.toml", "Workshop", proposals=proposals)
    project = Project.load(tmp_path / "work" / "workshop.toml")
    assert project.proposals == tmp_path / "work" / "workshop_proposals.geojson"
    assert 'proposals = "workshop_proposals.geojson"' in project.path.read_text(encoding="utf-8")

    pack_project(project, tmp_path / "pack")
    shutil.move(tmp_path / "work", tmp_path / "gone")  # the originals are not there any more
    [measure] = open_proposals(Project.load(tmp_path / "pack" / "workshop.toml"))
    assert (measure.id, measure.title, measure.author, measure.comment) == ("pond", "Pond", "K. Weber",
                                                                            "by the school")
    assert dict(measure.parameters) == {"volume_m3": 900.0} and measure.geometry.equals(POND.geometry)


def test_a_project_without_measures_names_no_proposals_file(tmp_path, dtm_file):
    scene = Scene()
    scene.add_layer(read_layer(dtm_file))
    save_project(scene, tmp_path / "empty.toml", "Empty", proposals=ProposalSet((), "EPSG:25833"))
    project = Project.load(tmp_path / "empty.toml")
    assert project.proposals is None and not (tmp_path / "empty_proposals.geojson").exists()
    assert len(open_proposals(project)) == 0
