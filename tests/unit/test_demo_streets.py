"""The demo streets: segments with condition quantities whose rating matches their history's last entry."""


import numpy as np
import pytest
import shapely

from data.generator.layout import PlannedStreet
from data.generator.streets import SEGMENT_LENGTH, condition_at, write_streets
from plugins.street_decay.rating import rate
from twin.io.streets import read_streets


def grid_streets() -> list[PlannedStreet]:
    """A 1 km street grid: every fifth street a main road."""
    streets = []
    for i in range(12):
        offset = 90.0 * i
        main = i % 5 == 0
        streets.append(PlannedStreet(f"Nord-Süd {i}", shapely.LineString([(409_000 + offset, 5_656_800),
                                                                      (409_000 + offset, 5_657_800)]),
                                  "main" if main else "side", 12.0 if main else 6.5))
        streets.append(PlannedStreet(f"Ost-West {i}", shapely.LineString([(409_000, 5_656_800 + offset),
                                                                      (410_000, 5_656_800 + offset)]),
                                  "side", 6.0))
    return streets


@pytest.fixture(scope="module")
def streets(tmp_path_factory):
    path = tmp_path_factory.mktemp("streets") / "friedrichstadt_streets.gpkg"
    write_streets(grid_streets(), "Friedrichstadt", path, np.random.default_rng(7))
    return read_streets(path)


def test_streets_are_cut_into_short_segments_and_keep_their_length(streets):
    assert streets.crs == "EPSG:25833"
    lengths = streets.lengths()
    assert lengths.max() <= SEGMENT_LENGTH + 1e-6
    assert lengths.sum() == pytest.approx(sum(street.geometry.length for street in grid_streets()))
    np.testing.assert_allclose(streets.attributes["length_m"], lengths, atol=0.05)
    assert len(set(streets.ids)) == len(streets)


def test_the_latest_rating_is_what_the_measured_quantities_give(streets):
    overall = rate(streets.attributes, streets.attributes["road_class"], streets.attributes["surface"])["overall"]
    latest = np.array([streets.inspections.of_segment(row)[1][-1] for row in range(len(streets))])
    np.testing.assert_allclose(latest, overall, atol=0.051)  # the history keeps one decimal


def test_every_segment_has_a_dated_history_from_2012_on(streets):
    assert len(streets.inspections) == 5 * len(streets)
    for row in range(0, len(streets), 17):
        dates, ratings = streets.inspections.of_segment(row)
        assert str(dates[0])[:4] == "2012" and str(dates[-1])[:4] == "2026"
        assert np.all(np.diff(dates.astype("int64")) > 0)
        assert np.all((ratings >= 1.0) & (ratings <= 5.0))


def test_conditions_spread_over_the_classes_like_a_real_network(streets):
    overall = np.array([streets.inspections.of_segment(row)[1][-1] for row in range(len(streets))])
    assert 1.7 < np.median(overall) < 3.2
    assert (overall <= 1.5).any() and (overall > 3.5).any()


def test_routes_follow_whole_streets(streets):
    for name in set(streets.attributes["name"]):
        mine = streets.attributes["name"] == name
        for route in ("tram_route", "bus_route", "school_route"):
            assert len(set(streets.attributes[route][mine])) == 1
    assert not streets.attributes["tram_route"][streets.attributes["road_class"] == "side"].any()


def test_the_friedrichstadt_side_streets_are_partly_paved(streets):
    side = streets.attributes["road_class"] == "side"
    assert set(streets.attributes["surface"][~side]) == {"asphalt"}
    assert 0.15 < np.mean(streets.attributes["surface"][side] == "paving") < 0.55


def test_the_family_curves_age_main_roads_to_pci_70_at_about_12_6_years():
    # CONDITION.md: on the collector curve PCI is 90 at 3.5 years, 70 at 12.6, 40 at 21.2.
    ages = np.array([3.5, 12.6, 21.2])
    pci = 100 - (condition_at(ages, np.array(["main"] * 3)) - 1) / 4 * 100
    np.testing.assert_allclose(pci, [90, 70, 40], atol=1.0)


def test_the_same_seed_writes_the_same_streets(tmp_path, streets):
    again = tmp_path / "again.gpkg"
    write_streets(grid_streets(), "Friedrichstadt", again, np.random.default_rng(7))
    repeated = read_streets(again)
    for name, column in streets.attributes.items():
        np.testing.assert_array_equal(repeated.attributes[name], column, err_msg=name)
    np.testing.assert_array_equal(repeated.inspections.rating, streets.inspections.rating)


def test_latest_ratings_are_the_newest_entry_of_each_history(streets):
    latest = streets.inspections.latest(len(streets))
    for row in (0, 5, len(streets) - 1):
        assert latest[row] == streets.inspections.of_segment(row)[1][-1]
