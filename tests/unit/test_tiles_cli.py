"""`python main.py tiles QUARTER_OR_BBOX`: which GeoSN tiles to download, and their names."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import PROJECT_ROOT
from twin.cli import main
from twin.io.tiles import tile_of_name, tiles_covering, tiles_for_area

QUARTERS = PROJECT_ROOT / "data" / "quarters.geojson"


def tile_keys(capsys, *args: str) -> list[str]:
    assert main(["tiles", *args]) == 0
    return [line.split()[0] for line in capsys.readouterr().out.splitlines()]


def test_the_model_quarters_fall_in_the_tiles_the_data_readme_names(capsys):
    """data/README.md and the quarters file name these tiles; the grid must agree."""
    for quarter in json.loads(QUARTERS.read_text(encoding="utf-8"))["features"]:
        listed = quarter["properties"]["tiles"].split()
        assert tile_keys(capsys, quarter["properties"]["name"]) == listed


def test_a_box_lists_every_tile_it_overlaps_and_the_download_names(capsys):
    assert main(["tiles", "411500,5654500,412100,5654600", "--product", "dgm1", "--product", "lod2"]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "33410_5654  dgm1_33410_5654_2_sn_xyz.zip  lod2_33410_5654_2_sn.gml",
        "33412_5654  dgm1_33412_5654_2_sn_xyz.zip  lod2_33412_5654_2_sn.gml"]
    # a box that ends on a tile edge does not take the next tile
    assert tile_keys(capsys, "412000,5654000,414000,5656000") == ["33412_5654"]


def test_a_quarter_from_another_file_and_any_crs(tmp_path, capsys):
    wgs84 = tmp_path / "quarters.geojson"
    wgs84.write_text(json.dumps({"type": "FeatureCollection", "features": [{
        "type": "Feature", "properties": {"name": "Altmarkt"},
        "geometry": {"type": "Polygon", "coordinates": [[[13.736, 51.049], [13.740, 51.049], [13.740, 51.051],
                                                         [13.736, 51.051], [13.736, 51.049]]]}}]}),
                     encoding="utf-8")
    assert tile_keys(capsys, "Altmarkt", "--quarters", str(wgs84)) == ["33410_5656"]


@pytest.mark.parametrize(("area", "words"), [
    ("Johanstadt", "no quarter is named 'Johanstadt' (did you mean 'Johannstadt'?)"),
    ("5,5,1,9", "'5,5,1,9' is not a box"),
])
def test_an_unknown_quarter_or_a_bad_box_is_one_sentence(capsys, area, words):
    assert main(["tiles", area]) == 2
    error = capsys.readouterr().err
    assert words in error and error.count("\n") == 1


def test_geosn_names_give_the_tile_and_its_crs():
    for name in ("dgm1_33412_5654_2_sn.xyz", "dgm1_33_412_5654_2_sn_xyz.zip", "LoD2_33_412_5654_2_SN.gml"):
        tile = tile_of_name(name)
        assert (tile.crs, tile.bounds) == ("EPSG:25833", (412000.0, 5654000.0, 414000.0, 5656000.0)), name
    assert tile_of_name("lsc_32412_5654_2_sn.laz").crs == "EPSG:25832"
    assert tile_of_name("terrain.xyz") is None


def test_covering_is_the_grid_of_even_kilometres():
    assert [tile.key for tile in tiles_covering((412001, 5654001, 412002, 5654002))] == ["33412_5654"]
    assert len(tiles_for_area("410000,5650000,420000,5660000", Path("unused"))) == 25
