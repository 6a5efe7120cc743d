"""The scene on the web: `python main.py publish` writes a site that headless Chromium opens from
file:// (no server, no network); it shows the buildings and the legend, a click shows a building's
attributes, and the comment pins a participant downloads come back as a proposals file.

Chromium is Debian's package (.ci/run installs it), driven by playwright-python pointed at that
binary: playwright's own browser download is never used.
"""

from __future__ import annotations

import io
import json
import os
import shutil
from pathlib import Path

import numpy as np
import pygltflib
import pytest
import shapely
from PIL import Image

from data.demo import demo_project
from twin.cli import main
from twin.core.bookmarks import Bookmark
from twin.core.project import Camera
from twin.core.proposals import Measure, ProposalSet
from twin.core.scenario import Scenario
from twin.io.errors import TwinIOError
from twin.io.formats import read_layer
from twin.io.project import save_project
from twin.io.proposals_geojson import read_proposals, write_proposals
from twin.io.quarters import read_quarters
from twin.sim.registry import SimulationRegistry
from twin.sim.scenario_run import run_scenario
from twin.web.glb import FEATURES_EXTENSION
from twin.web.site import VENDOR_DIR, VIEWER_DIR, site_models, site_scene

pytestmark = pytest.mark.web

ROOT = Path(__file__).resolve().parents[2]
RESULT = "Johannstadt, energy today and refurbished: energy_buildings"
BOOKMARK = "Johannstadt from above"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
BROWSER_FLAGS = ["--use-angle=swiftshader", "--enable-unsafe-swiftshader"]  # WebGL without a GPU


@pytest.fixture(scope="module")
def demo_files() -> Path:
    return demo_project().parent


@pytest.fixture(scope="module")
def project(tmp_path_factory, demo_files) -> Path:
    """Johannstadt as a workshop would save it: the energy run on its buildings, terrain, streets,
    a bookmark looking straight down on the quarter."""
    folder = tmp_path_factory.mktemp("project")
    scene, report = run_scenario(Scenario.load(ROOT / "scenarios" / "energy_johannstadt.toml"),
                                 SimulationRegistry.discover())
    assert report.ok, report.error
    scene.add_layer(read_layer(demo_files / "johannstadt_dtm1.tif", name="Johannstadt terrain"))
    scene.add_layer(read_layer(demo_files / "johannstadt_streets.gpkg", name="Johannstadt streets"))
    centre = scene.quarter("Johannstadt").polygon.centroid
    above = Bookmark(BOOKMARK, Camera((centre.x, centre.y - 1.0, 2000.0), (centre.x, centre.y, 110.0)),
                     caption="Johannstadt", text="The quarter from above.")
    path = folder / "johannstadt.toml"
    save_project(scene, path, "Johannstadt workshop", quarters_file=ROOT / "data" / "quarters.geojson",
                 presentation=([above], []))
    return path


@pytest.fixture(scope="module")
def proposals_file(tmp_path_factory, project) -> Path:
    centre = shapely.Point(413_300.0, 5_656_000.0)
    pond = Measure("pond", "retention_area", "Pond in the courtyard", centre.buffer(20.0, quad_segs=4),
                   {"depth_m": 0.8}, author="Workshop table 2", comment="Keeps the first flush off the street.")
    path = tmp_path_factory.mktemp("proposals") / "workshop.geojson"
    write_proposals(ProposalSet((pond,), "EPSG:25833"), path)
    return path


@pytest.fixture(scope="module")
def site(tmp_path_factory, project, proposals_file) -> Path:
    out = tmp_path_factory.mktemp("web") / "site"
    assert main(["publish", str(project), "--out", str(out), "--quarter", "Johannstadt",
                 "--proposals", str(proposals_file)]) == 0
    return out


@pytest.fixture(scope="module")
def browser():
    if CHROMIUM is None:
        if os.environ.get("CI"):
            pytest.fail("Debian's chromium is missing: .ci/run installs it")
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    playwright_api = pytest.importorskip("playwright.sync_api")
    with playwright_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=BROWSER_FLAGS)
        yield launched
        launched.close()


@pytest.fixture
def page(browser, site):
    context = browser.new_context(viewport={"width": 1200, "height": 760}, accept_downloads=True)
    opened = context.new_page()
    errors = []
    opened.on("pageerror", lambda error: errors.append(str(error)))
    opened.goto((site / "index.html").as_uri())
    opened.wait_for_selector("body[data-ready='1']", timeout=120_000)
    yield opened
    context.close()
    assert errors == []


def scene_data(site: Path) -> dict:
    return site_scene(site)


def building_count(glb: bytes) -> int:
    """The buildings of a published buildings mesh: its declared feature count, checked against the
    distinct feature ids of its vertices."""
    document = pygltflib.GLTF2.load_from_bytes(glb)
    primitive = document.meshes[0].primitives[0]
    declared = primitive.extensions[FEATURES_EXTENSION]["featureIds"][0]["featureCount"]
    ids_accessor = document.accessors[primitive.attributes._FEATURE_ID_0]
    ids = np.frombuffer(document.binary_blob(), np.float32, ids_accessor.count,
                        document.bufferViews[ids_accessor.bufferView].byteOffset)
    assert declared == len(np.unique(ids))
    return declared


def picture(page) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(page.screenshot())).convert("RGB")).astype(int)


def pin_red(shown: np.ndarray, x: float, y: float) -> int:
    """Pixels of a participant's pin (red, #d62828, shaded) just above screen point (x, y)."""
    above = shown[max(int(y) - 60, 0):int(y) + 2, int(x) - 25:int(x) + 25]
    return int(((above[..., 0] > 150) & (above[..., 1] < 90) & (above[..., 2] < 90)).sum())


def show_bookmark(page) -> None:
    page.get_by_role("button", name=BOOKMARK).click()
    page.wait_for_selector(f"body[data-view='{BOOKMARK}']", timeout=30_000)


def test_the_buildings_glb_holds_every_building_of_the_quarter_in_the_local_frame(site, demo_files):
    buildings = read_layer(demo_files / "johannstadt_lod2.gml").data
    metadata = json.loads((site / "metadata.json").read_text(encoding="utf-8"))
    entry = next(layer for layer in metadata["layers"] if layer["kind"] == "buildings")
    glb = site_models(site)[entry["name"]]
    assert building_count(glb) == len(buildings) == 489
    document = pygltflib.GLTF2.load_from_bytes(glb)
    primitive = document.meshes[0].primitives[0]

    # Positions are small numbers (float32 keeps centimetres) that return to map coordinates.
    position = document.accessors[primitive.attributes.POSITION]
    x0, y0, z0 = metadata["origin"]
    assert max(map(abs, position.min + position.max)) < 2000
    west, south, low, east, north, high = buildings.bounds
    np.testing.assert_allclose([position.min[0] + x0, y0 - position.max[2], position.min[1] + z0],
                               [west, south, low], atol=0.01)
    np.testing.assert_allclose([position.max[0] + x0, y0 - position.min[2], position.max[1] + z0],
                               [east, north, high], atol=0.01)
    assert metadata["crs"] == "EPSG:25833"


def test_each_mesh_is_stored_once_compressed_in_the_scene_script(site):
    files = {path.relative_to(site).as_posix(): path.stat().st_size for path in site.rglob("*") if path.is_file()}
    assert set(files) == {"index.html", "viewer.js", "viewer.css", "scene-data.js", "metadata.json",
                          ".twin-site", "vendor/three.bundle.min.js", "vendor/LICENSE-three.txt"}
    models = site_models(site)
    assert [name for name in models] == [layer["name"] for layer in scene_data(site)["layers"]]
    assert all(glb[:4] == b"glTF" for glb in models.values())
    # The scene script holds the meshes in less than half of what they take as .glb files: once and
    # compressed (0.43 on this site; twice, even compressed, would be 0.87; the old site took 2.4).
    shipped = sum((VIEWER_DIR / name).stat().st_size for name in ("index.html", "viewer.js", "viewer.css")) + sum(
        (VENDOR_DIR / name).stat().st_size for name in ("three.bundle.min.js", "LICENSE-three.txt"))
    assert sum(files.values()) - shipped < 0.5 * sum(len(glb) for glb in models.values())


def test_a_layer_downloads_from_the_page_as_gltf_with_every_building(page, tmp_path):
    with page.expect_download() as download:
        page.get_by_role("button", name="Download buildings as glTF").click()
    assert download.value.suggested_filename == "00-buildings.glb"
    path = tmp_path / download.value.suggested_filename
    download.value.save_as(path)
    assert building_count(path.read_bytes()) == 489


def test_the_site_opens_from_file_and_shows_buildings_and_the_legend(page, site):
    show_bookmark(page)
    legend = page.locator(".legend").first
    assert "heat final energy" in legend.inner_text()
    shown = picture(page)
    bar = legend.locator(".bar").bounding_box()
    row = shown[int(bar["y"] + bar["height"] / 2), int(bar["x"]) + 3:int(bar["x"] + bar["width"]) - 3]
    assert row[0][2] > row[0][1] + 40 and row[-1][0] > 200 and row[-1][1] > 200  # viridis: purple to yellow

    page.get_by_role("checkbox", name=RESULT).uncheck()  # the plain buildings: brick roofs over light walls
    plain = picture(page)
    roofs = (plain[..., 0] > plain[..., 1] + 40) & (plain[..., 0] > plain[..., 2] + 50)
    assert roofs.sum() > 2000
    page.get_by_role("checkbox", name="buildings", exact=True).uncheck()
    bare = picture(page)
    assert (np.abs(plain - bare).sum(axis=2) > 30).sum() > 10_000  # what the buildings covered


def test_a_click_on_a_building_shows_its_attributes_and_its_result(page, site):
    show_bookmark(page)
    layer = next(layer for layer in scene_data(site)["layers"] if layer["name"] == RESULT)
    feature = 42
    point = page.evaluate("([name, feature]) => twinViewer.featureScreenPoint(name, feature)", [RESULT, feature])
    page.mouse.click(point["x"], point["y"])
    page.wait_for_selector("#info:not([hidden])")
    shown = page.inner_text("#info")
    assert layer["features"]["rows"][feature][0] in page.inner_text("#info-title")
    assert "measured height" in shown and "heat final energy" in shown
    after = picture(page)
    magenta = (after[..., 0] > 200) & (after[..., 1] < 80) & (after[..., 2] > 150)  # the picked building
    assert magenta.sum() > 20


def test_a_click_on_a_street_shows_its_segment(page, site):
    show_bookmark(page)
    streets = next(layer for layer in scene_data(site)["layers"] if layer["kind"] == "streets")
    point = page.evaluate("([name, feature]) => twinViewer.featureScreenPoint(name, feature)", [streets["name"], 3])
    page.mouse.click(point["x"], point["y"])
    page.wait_for_selector("#info:not([hidden])")
    assert page.inner_text("#info-title") == f"segment {streets['features']['rows'][3][0]}"
    assert "road class" in page.inner_text("#info")


def test_the_proposals_are_listed_with_their_comments(page):
    page.get_by_role("button", name="Pond in the courtyard (retention area)").click()
    shown = page.inner_text("#info")
    assert "Keeps the first flush off the street." in shown and "Workshop table 2" in shown


def test_a_comment_pin_added_and_downloaded_in_the_browser_imports_back_as_a_proposal(page, tmp_path):
    show_bookmark(page)
    page.get_by_role("button", name="Add a comment").click()
    box = page.locator("#view canvas").bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.click(x, y)
    page.fill("#comment-title", "Crossing")
    page.fill("#comment-author", "Resident")
    page.fill("#comment-text", "A zebra crossing here, please.")
    before = pin_red(picture(page), x, y)
    page.get_by_role("button", name="Save").click()
    assert before == 0 and pin_red(picture(page), x, y) > 100  # the pin stands on the place clicked
    with page.expect_download() as download:
        page.get_by_role("button", name="Download comments (GeoJSON)").click()
    path = tmp_path / "comments.geojson"
    download.value.save_as(path)
    document = json.loads(path.read_text(encoding="utf-8"))
    assert document["crs"]["properties"]["name"] == "urn:ogc:def:crs:EPSG::25833"
    assert document["twin_proposals"] == 1
    x, y, _ = document["features"][0]["geometry"]["coordinates"]
    assert 412_600 < x < 414_000 and 5_655_400 < y < 5_656_650  # on Johannstadt's DTM tile

    comments = read_proposals(path, "EPSG:25833")  # the twin's own importer, as the Proposals panel uses it
    (pin,) = comments
    assert (pin.kind, pin.title, pin.author, pin.comment) == ("comment", "Crossing", "Resident",
                                                              "A zebra crossing here, please.")
    assert (pin.geometry.x, pin.geometry.y) == (x, y) and comments.crs == "EPSG:25833"
    johannstadt = read_quarters(ROOT / "data" / "quarters.geojson")[0]
    comments.check_in_quarters([quarter for quarter in johannstadt if quarter.name == "Johannstadt"])


def test_a_folder_that_is_not_a_site_is_never_replaced(tmp_path, project):
    from twin.core.project import Project
    from twin.web.site import publish

    (tmp_path / "notes.txt").write_text("mine", encoding="utf-8")
    with pytest.raises(TwinIOError, match="not an earlier published site"):
        publish(Project.load(project), tmp_path, replace=True)
    assert [path.name for path in tmp_path.iterdir()] == ["notes.txt"]
