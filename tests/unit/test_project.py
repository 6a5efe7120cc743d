"""Projects: saved and reopened with layers, styles, quarters and camera; one bad file loses nothing."""

import shutil

import pytest

from tests.conftest import REFERENCE
from twin.core.feedback import Feedback
from twin.core.project import Camera, LayerEntry, Project, ProjectError, ViewState
from twin.io import read_layer, read_quarters
from twin.io.project import open_project, project_of


def test_a_saved_scene_reopens_with_its_styles_quarters_and_camera(tmp_path, dtm_file, quarters_file):
    opened = open_project(Project("bowl", layers=[LayerEntry(dtm_file, "terrain")],
                                  quarters_file=quarters_file))
    terrain = opened.scene.layer("terrain")
    terrain.opacity, terrain.visible = 0.4, False
    terrain.set_style("elevation", "terrain", (109.0, 115.0))
    camera = Camera((411_100.0, 5_653_800.0, 600.0), (411_100.0, 5_654_050.0, 110.0))
    project_of(opened.scene, "bowl", camera, quarters_file).save(tmp_path / "bowl.toml")

    text = (tmp_path / "bowl.toml").read_text()
    assert 'path = "dtm.tif"' in text  # paths relative to the project file
    reopened = open_project(Project.load(tmp_path / "bowl.toml"))
    layer = reopened.scene.layer("terrain")
    assert (layer.opacity, layer.visible, layer.color_by, layer.colormap, layer.color_range) == \
        (0.4, False, "elevation", "terrain", (109.0, 115.0))
    assert [quarter.name for quarter in reopened.scene.quarters] == ["West", "East"]
    assert reopened.camera == camera
    assert reopened.problems == []


def test_a_missing_or_broken_layer_is_reported_and_the_others_open(tmp_path, dtm_file):
    broken = tmp_path / "broken.tif"
    broken.write_bytes(b"not a tiff")
    project = Project("three", layers=[LayerEntry(tmp_path / "gone.tif", "gone"),
                                       LayerEntry(broken, "broken"), LayerEntry(dtm_file, "terrain")])
    opened = open_project(project)
    assert [layer.name for layer in opened.scene.layers] == ["terrain"]
    assert len(opened.problems) == 2
    assert "gone.tif" in opened.problems[0] and "does not exist" in opened.problems[0]
    assert "broken.tif" in opened.problems[1]


def test_a_layer_in_another_crs_is_brought_into_the_project_crs():
    dtm = REFERENCE / "raster" / "delft_ahn3_derived_dtm_1m.tif"
    opened = open_project(Project("delft", crs="EPSG:32631", layers=[LayerEntry(dtm, "delft")]))
    assert opened.scene.layer("delft").crs == "EPSG:32631"


def test_opening_reports_progress_per_layer(dtm_file):
    seen = []
    feedback = Feedback(lambda fraction, message: seen.append((fraction, message)))
    open_project(Project("p", layers=[LayerEntry(dtm_file, "a"), LayerEntry(dtm_file, "b")]), feedback)
    assert [message for _, message in seen] == ["opening a", "opening b", "project open"]


@pytest.mark.parametrize(("text", "problem"), [
    ("[projekt]\nname = 'x'", "unknown table 'projekt' (did you mean 'project'?)"),
    ("[project]\nnmae = 'x'", "unknown key 'nmae' in [project] (did you mean 'name'?)"),
    ("[[layers]]\nname = 'x'", "layer 1 needs a 'path'"),
    ("[[layers]]\npath = 'a.tif'\nopacity = 2", "layer 1 opacity must lie between 0 and 1"),
    ("[[layers]]\npath = 'a.tif'\nvisible = 'yes'", "layer 1 visible must be true or false"),
    ("[project]\ncrs = 'EPSG:99999999'", "[project] crs"),
    ("[camera]\nposition = [1, 2]\nfocal_point = [1, 2, 3]", "[camera] position must be a list of 3 numbers"),
    ("layers = 3", "layers must be written as [[layers]] tables"),
    ("[project\n", "not a valid TOML project file"),
])
def test_project_file_mistakes_are_named(tmp_path, text, problem):
    path = tmp_path / "p.toml"
    path.write_text(text)
    with pytest.raises(ProjectError) as caught:
        Project.load(path)
    assert problem in str(caught.value)
    assert str(path) in str(caught.value)


def test_quarters_that_fail_to_open_are_a_problem_not_a_failure(tmp_path, dtm_file):
    bad = tmp_path / "quarters.geojson"
    bad.write_text("{")
    opened = open_project(Project("q", quarters_file=bad, layers=[LayerEntry(dtm_file, "terrain")]))
    assert opened.scene.quarters == [] and len(opened.scene.layers) == 1
    assert "quarters not opened" in opened.problems[0]


def test_layers_read_without_a_file_are_not_saved(dtm_file, quarters_file):
    scene = open_project(Project("p", layers=[LayerEntry(dtm_file, "terrain")])).scene
    layer = read_layer(dtm_file, name="copy")
    layer.source = None
    scene.add_layer(layer)
    assert [entry.name for entry in project_of(scene, "p").layers] == ["terrain"]
    assert read_quarters(quarters_file)[1] == "EPSG:25833"


def test_paths_are_relative_inside_the_project_folder_and_absolute_outside_it(tmp_path, dtm_file, quarters_file):
    inside = tmp_path / "city" / "terrain" / "inner.tif"
    inside.parent.mkdir(parents=True)
    shutil.copy(dtm_file, inside)
    project = Project("paths", quarters_file=quarters_file,
                      layers=[LayerEntry(inside, "inner"), LayerEntry(dtm_file, "outer")])
    project.save(tmp_path / "city" / "paths.toml")

    text = (tmp_path / "city" / "paths.toml").read_text()
    assert 'path = "terrain/inner.tif"' in text
    assert f'path = "{dtm_file.as_posix()}"' in text and f'quarters_file = "{quarters_file.as_posix()}"' in text
    assert "../" not in text
    moved = tmp_path / "elsewhere" / "city"  # the project folder moved: inside follows, outside stays
    shutil.move(tmp_path / "city", moved)
    opened = open_project(Project.load(moved / "paths.toml"))
    assert opened.problems == [] and [layer.name for layer in opened.scene.layers] == ["inner", "outer"]
    assert opened.scene.layer("inner").source == moved / "terrain" / "inner.tif"


def test_a_project_of_an_earlier_version_with_paths_out_of_its_folder_still_opens(tmp_path, dtm_file, quarters_file):
    (tmp_path / "projects" / "old").mkdir(parents=True)
    path = tmp_path / "projects" / "old" / "old.toml"
    path.write_text('[project]\nname = "old"\nquarters_file = "../../quarters.geojson"\n\n'
                    '[[layers]]\npath = "../../dtm.tif"\nname = "terrain"\n', encoding="utf-8")
    opened = open_project(Project.load(path))
    assert opened.problems == [] and opened.scene.layer("terrain").source == dtm_file
    assert [quarter.name for quarter in opened.scene.quarters] == ["West", "East"]


def test_the_view_state_is_saved_and_reopened(tmp_path, dtm_file):
    view = ViewState(quarter="East", legends=False, eye_dome_lighting=True,
                     window_geometry="AdnQywADAAA=", window_state="AAAA/wAAAAD9")
    Project("look", layers=[LayerEntry(dtm_file, "terrain")], view=view).save(tmp_path / "look.toml")
    assert Project.load(tmp_path / "look.toml").view == view
    assert open_project(Project.load(tmp_path / "look.toml")).view == view
    Project("plain").save(tmp_path / "plain.toml")
    assert "[view]" not in (tmp_path / "plain.toml").read_text()
    assert Project.load(tmp_path / "plain.toml").view == ViewState()


@pytest.mark.parametrize(("text", "problem"), [
    ("[view]\nlegends = 'no'", "[view] legends must be true or false"),
    ("[view]\nquarter = 3", "[view] quarter must be non-empty text"),
    ("[view]\nwindow_sate = 'AAAA'", "unknown key 'window_sate' in [view] (did you mean 'window_state'?)"),
])
def test_view_mistakes_are_named(tmp_path, text, problem):
    path = tmp_path / "p.toml"
    path.write_text(text)
    with pytest.raises(ProjectError) as caught:
        Project.load(path)
    assert problem in str(caught.value) and str(path) in str(caught.value)
