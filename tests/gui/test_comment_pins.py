"""Comment pins sent back from the published site open in the window: the Proposals panel imports
the viewer's comments.geojson, lists each pin with its title and author, shows its comment in the
form (no parameters to set), and the view draws it as an amber pin."""

import json

import numpy as np
import pytest

from twin.render.proposal_visuals import KIND_COLOURS, PIN_HEIGHT
from twin.render.sketch import display_position

pytestmark = pytest.mark.gui

PIN_X, PIN_Y = 411_150.0, 5_654_050.0  # in the East quarter of tests/conftest.py's grid


def comments_file(path, height: float) -> None:
    """A comments.geojson as the published site's viewer writes it (twin/web/viewer/viewer.js pinsGeoJSON)."""
    crs = {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::25833"}}
    pin = {"type": "Feature", "id": "comment-mxc1ieen-1",
           "geometry": {"type": "Point", "coordinates": [PIN_X, PIN_Y, height]},
           "properties": {"id": "comment-mxc1ieen-1", "kind": "comment", "title": "Crossing",
                          "author": "Resident", "comment": "A zebra crossing here, please."}}
    path.write_text(json.dumps({"type": "FeatureCollection", "crs": crs, "twin_proposals": 1,
                                "features": [pin]}, indent=1), encoding="utf-8")


def amber_pixels(window, height: float) -> int:
    """Pixels of the pin's amber (shaded lighter or darker) within 40 px of where its cone's middle shows."""
    view = window.scene_view
    view.plotter.render()
    image = np.asarray(view.plotter.screenshot(return_img=True)).astype(int)
    x, y = (round(value) for value in display_position(view, (PIN_X, PIN_Y, height + PIN_HEIGHT / 2)))
    near = image[max(y - 40, 0):y + 40, max(x - 40, 0):x + 40]
    red, green, _ = (int(KIND_COLOURS["comment"][i:i + 2], 16) for i in (1, 3, 5))
    same_hue = np.abs(near[..., 1] * red - near[..., 0] * green) < 25 * red
    return int(((near[..., 0] > 120) & same_hue & (near[..., 2] < near[..., 1] - 60)).sum())


def test_a_comment_pin_from_the_site_is_listed_shown_and_drawn(qtbot, window, tmp_path):
    ground = window.scene_view.ground().heights(np.array([PIN_X]), np.array([PIN_Y]))[0]
    path = tmp_path / "comments.geojson"
    comments_file(path, float(ground))
    panel = window.proposals_panel
    window.select_quarter("East")
    before = amber_pixels(window, ground)

    assert panel.import_file(path), window.last_error
    assert window.last_error == ""
    assert panel.measure_list.item(0).text() == "Comment pin: Crossing (Resident)"
    assert panel.measure_list.item(0).toolTip() == "A zebra crossing here, please."
    assert before == 0 and amber_pixels(window, ground) > 30

    panel.measure_list.setCurrentRow(0)
    assert panel.comment_edit.toPlainText() == "A zebra crossing here, please."
    assert panel._parameter_editors == {}  # a remark has no parameters
    panel.comment_edit.setPlainText("")
    assert not panel.apply_form()
    assert "a comment pin needs its comment text" in panel.message.text()
    assert panel.proposals.get("comment-mxc1ieen-1").comment == "A zebra crossing here, please."
