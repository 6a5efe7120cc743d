"""Proposals: the typed measures, their checks, and the GeoJSON round trip."""

from __future__ import annotations

import json

import pytest
import shapely
from shapely.geometry import LineString, MultiPoint, Point, Polygon, box

from tests.conftest import PROJECT_ROOT
from twin.core.proposals import KINDS, Measure, ProposalError, ProposalSet
from twin.core.quarter import Quarter
from twin.io.errors import TwinIOError
from twin.io.proposals_geojson import read_proposals, write_proposals
from twin.io.quarters import read_quarters

X0, Y0 = 413000.0, 5656000.0  # inside Johannstadt
CRS = "EPSG:25833"


def one_of_each() -> ProposalSet:
    square = box(X0, Y0, X0 + 20, Y0 + 10)
    return ProposalSet((
        Measure("pond", "retention_area", "Pond in the park", square, {"depth_m": 0.8},
                author="Anna", comment="the underpass floods every summer"),
        Measure("yard", "unsealing", "Green yard", box(X0 + 30, Y0, X0 + 40, Y0 + 10), {}),
        Measure("roofs", "green_roof", "Green roofs", None, {"building_ids": ["b1", "b2"], "retention_mm": 30}),
        Measure("row", "trees", "Lime trees", LineString([(X0, Y0 + 20), (X0 + 50, Y0 + 20)]),
                {"crown_diameter_m": 6, "spacing_m": 10}),
        Measure("oak", "trees", "An oak", Point(X0 + 5, Y0 + 30), {"crown_diameter_m": 12}),
        Measure("school", "new_building", "New school", box(X0 + 60, Y0, X0 + 90, Y0 + 20),
                {"storeys": 3, "use": "school", "construction_year": 2028}),
        Measure("shed", "demolition", "Old shed", None, {"building_ids": ["b7"]}),
        Measure("lane", "street_works", "Resurface the lane", None,
                {"segment_ids": [12, "s13"], "treatment": "overlay", "year": 2027}),
        Measure("pin", "comment", "Crossing", Point(X0 + 12, Y0 + 40, 112.5), {}, author="Resident",
                comment="A zebra crossing here, please."),
    ), CRS)


def test_every_kind_is_made_and_its_numbers_follow():
    proposals = one_of_each()
    assert {measure.kind for measure in proposals} == set(KINDS)
    pond = proposals.get("pond")
    assert pond.retention_volume_m3() == pytest.approx(0.8 * 200.0)
    assert proposals.get("row").tree_points().shape == (6, 2)  # 50 m at 10 m: 6 trees
    assert proposals.get("oak").tree_points().tolist() == [[X0 + 5, Y0 + 30]]
    assert proposals.get("lane").ids() == ("12", "s13")


def test_geojson_round_trip_keeps_every_measure(tmp_path):
    proposals = one_of_each()
    path = tmp_path / "proposals.geojson"
    write_proposals(proposals, path)
    again = read_proposals(path, CRS)
    assert again.crs == CRS and again.ids() == proposals.ids()
    for before, after in zip(proposals, again, strict=True):
        assert (after.kind, after.title, after.author, after.comment) == (
            before.kind, before.title, before.author, before.comment)
        assert dict(after.parameters) == dict(before.parameters)
        assert (after.geometry is None) == (before.geometry is None)
        if before.geometry is not None:
            assert shapely.equals_exact(after.geometry, before.geometry, tolerance=1e-9)
    assert again.get("pin").geometry.z == 112.5  # the height the participant clicked


def test_a_web_form_in_longitude_and_latitude_comes_into_the_scene_crs(tmp_path):
    path = tmp_path / "pin.geojson"  # no crs member: RFC 7946, WGS84
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [{
        "type": "Feature", "geometry": {"type": "Point", "coordinates": [13.77, 51.05]},
        "properties": {"kind": "trees", "title": "a tree here", "crown_diameter_m": 8}}]}))
    proposals = read_proposals(path, CRS)
    x, y = proposals.measures[0].tree_points()[0]
    assert 412000 < x < 415000 and 5655000 < y < 5658000
    assert proposals.ids() == ("trees-1",)


def test_add_replace_remove_return_new_sets_and_a_bad_edit_changes_nothing():
    proposals = one_of_each()
    moved = proposals.replace(proposals.get("oak").with_changes(title="Two oaks"))
    assert moved.get("oak").title == "Two oaks" and proposals.get("oak").title == "An oak"
    assert proposals.remove("oak").ids() == tuple(i for i in proposals.ids() if i != "oak")
    with pytest.raises(ProposalError, match="two measures have the id 'pond'"):
        proposals.add(proposals.get("pond"))
    assert len(proposals) == 9
    assert proposals.new_id("trees") == "trees-1"


BOW_TIE = Polygon([(X0, Y0), (X0 + 10, Y0 + 10), (X0 + 10, Y0), (X0, Y0 + 10)])


@pytest.mark.parametrize(("kind", "geometry", "parameters", "message"), [
    ("retention_area", BOW_TIE, {"depth_m": 1.0}, "measure 'm': its polygon crosses itself"),
    ("retension_area", box(X0, Y0, X0 + 1, Y0 + 1), {}, "unknown kind 'retension_area' "
                                                       r"\(did you mean 'retention_area'\?\)"),
    ("retention_area", box(X0, Y0, X0 + 1, Y0 + 1), {}, "needs exactly one of depth_m or volume_m3, got none"),
    ("retention_area", box(X0, Y0, X0 + 1, Y0 + 1), {"depth_m": 1, "volume_m3": 2}, "exactly one of"),
    ("retention_area", Point(X0, Y0), {"depth_m": 1.0}, "a retention area takes a Polygon, not a Point"),
    ("green_roof", None, {"building_ids": ["b1"]}, "a green roof needs 'retention_mm'"),
    ("green_roof", None, {"building_ids": "b1", "retention_mm": 20}, "must be a non-empty list of ids"),
    ("new_building", box(X0, Y0, X0 + 9, Y0 + 9), {"storeys": "3", "use": "office",
                                                   "construction_year": 2030}, "'storeys' must be a whole"),
    ("new_building", box(X0, Y0, X0 + 9, Y0 + 9), {"storeys": 3, "use": "ofice",
                                                   "construction_year": 2030}, "did you mean 'office'"),
    ("street_works", None, {"segment_ids": [1], "treatment": "overlay", "yeer": 2030}, "no parameter 'yeer'"),
    ("trees", LineString([(X0, Y0), (X0 + 9, Y0)]), {"crown_diameter_m": 5}, "needs 'spacing_m'"),
    ("unsealing", box(X0, Y0, X0 + 9, Y0 + 9), {"roughness_n": 3.0}, "must lie between 0.005 and 0.3"),
    ("comment", Point(X0, Y0), {}, "measure 'm': a comment pin needs its comment text"),
    ("comment", box(X0, Y0, X0 + 9, Y0 + 9), {}, "a comment pin takes a Point, not a Polygon"),
    ("comment", Point(X0, Y0), {"depth_m": 1.0}, "a comment pin has no parameter 'depth_m'; it takes $"),
])
def test_each_bad_measure_is_one_sentence(kind, geometry, parameters, message):
    with pytest.raises(ProposalError, match=message) as caught:
        Measure("m", kind, "t", geometry, parameters)
    assert "\n" not in str(caught.value)


def test_a_comment_pin_changes_no_simulation_and_each_says_so():
    from plugins.energy import measures as energy
    from plugins.flood import measures as flood
    from plugins.street_decay import measures as street_decay

    pin = Measure("pin", "comment", "", Point(X0, Y0), {}, comment="too dark at night")
    proposals = ProposalSet((pin,), CRS)
    assert "no simulation computes" in flood.start(proposals).not_applied["pin"]
    assert "comment pin" in energy.record(proposals)["not_applied"]["pin"]
    assert "comment pin" in street_decay.record(proposals, [], {})["not_applied"]["pin"]


def test_a_comment_pin_moved_in_the_window_stays_one_point():
    pin = Measure("pin", "comment", "", Point(X0, Y0, 110.0), {}, comment="too dark at night")
    moved = pin.with_changes(geometry=MultiPoint([(X0 + 3, Y0 + 4)]))  # what the window's sketch makes
    assert moved.geometry.geom_type == "Point" and moved.geometry.coords[0] == (X0 + 3, Y0 + 4)
    with pytest.raises(ProposalError, match="a comment pin takes a Point, not a MultiPoint"):
        pin.with_changes(geometry=MultiPoint([(X0, Y0), (X0 + 3, Y0)]))


def test_a_measure_outside_every_quarter_is_refused():
    quarter = Quarter("Johannstadt", box(X0 - 500, Y0 - 500, X0 + 500, Y0 + 500))
    proposals = one_of_each()
    proposals.check_in_quarters([quarter])
    far = proposals.add(Measure("far", "unsealing", "far away", box(0, 0, 10, 10), {}))
    with pytest.raises(ProposalError, match="measure 'far' lies outside every quarter"):
        far.check_in_quarters([quarter])


@pytest.mark.parametrize(("feature", "message"), [
    ({"type": "Feature", "geometry": None, "properties": {"title": "x"}}, "feature 1 has no 'kind'"),
    ({"type": "Feature", "geometry": None, "properties": {"kind": "pond"}}, "unknown kind 'pond'"),
    ({"type": "Feature", "geometry": {"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [1, 0], [0, 1],
                                                                           [0, 0]]]},
      "properties": {"kind": "unsealing"}}, "crosses itself"),
    ({"type": "Feature", "geometry": {"type": "Polygon", "coordinates": "x"},
      "properties": {"kind": "unsealing"}}, "no usable geometry"),
    ({"type": "Feature", "geometry": None, "properties": {"kind": "demolition"}}, "needs 'building_ids'"),
    ({"type": "Feature", "geometry": None, "properties": {"kind": "comment", "comment": "here"}},
     "feature 1: measure 'comment-1': a comment pin needs a geometry \\(a Point\\)"),
])
def test_each_bad_file_is_one_sentence_naming_the_file(tmp_path, feature, message):
    path = tmp_path / "bad.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [feature]}))
    with pytest.raises(TwinIOError, match=message) as caught:
        read_proposals(path, CRS)
    assert str(caught.value).startswith(str(path)) and "\n" not in str(caught.value)


def test_a_file_that_is_no_feature_collection_is_refused(tmp_path):
    path = tmp_path / "list.geojson"
    path.write_text("[1, 2]")
    with pytest.raises(TwinIOError, match="must be a GeoJSON FeatureCollection"):
        read_proposals(path, CRS)


def test_single_trees_may_be_many_points():
    trees = Measure("t", "trees", "three", MultiPoint([(X0, Y0), (X0 + 5, Y0), (X0 + 9, Y0)]),
                    {"crown_diameter_m": 4})
    assert len(trees.tree_points()) == 3


def test_the_shipped_workshop_proposals_read_and_lie_in_johannstadt():
    proposals = read_proposals(PROJECT_ROOT / "scenarios" / "johannstadt_proposals.geojson", CRS)
    quarters, _crs = read_quarters(PROJECT_ROOT / "data" / "quarters.geojson")
    proposals.check_in_quarters([quarter for quarter in quarters if quarter.name == "Johannstadt"])
    assert {measure.kind for measure in proposals} >= {"retention_area", "unsealing", "green_roof",
                                                       "new_building"}
