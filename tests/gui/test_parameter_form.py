"""The parameter form: editors from the declarations, values a user types, refusals marked red."""

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QCheckBox, QComboBox, QDoubleSpinBox, QLineEdit, QSpinBox

from plugins.flood.simulation import FloodSimulation
from plugins.street_decay.simulation import StreetDecaySimulation
from twin.qt.parameter_form import ParameterForm, TableEditor, step_and_decimals
from twin.sim.contract import ParameterError, ParameterSpec

pytestmark = pytest.mark.gui

SPECS = (
    ParameterSpec("rain_duration_min", float, 60.0, "block or design storm duration", units="min",
                  minimum=5.0, maximum=1440.0, label="rain duration"),
    ParameterSpec("passes", int, 5, "smoothing passes", minimum=1, maximum=1000),
    ParameterSpec("calibrate", bool, True, "fit the chains to the history"),
    ParameterSpec("edges", str, "open", "domain edges", choices=("open", "closed")),
    ParameterSpec("rain_gauge", str, "", "station id of the rain gauge"),
    ParameterSpec("table_depths_mm", list, (16.5, 25.0), "depths of the table", units="mm", minimum=0.0),
)


def make_form(qtbot, specs=SPECS) -> ParameterForm:
    form = ParameterForm(specs)
    qtbot.addWidget(form)
    return form


def type_into(qtbot, editor, text: str) -> None:
    editor.setFocus()
    line = editor.lineEdit() if hasattr(editor, "lineEdit") and editor.lineEdit() else editor
    line.selectAll()
    qtbot.keyClick(line, Qt.Key.Key_Backspace)
    qtbot.keyClicks(line, text)
    qtbot.keyClick(line, Qt.Key.Key_Tab)


def choose(form: ParameterForm, name: str, choice: str) -> None:
    editor = form.fields[name].editor
    editor.setCurrentIndex(editor.findData(choice))


def test_a_choice_shows_its_label_and_gives_its_code(qtbot):
    form = make_form(qtbot, FloodSimulation.parameters)
    rain = form.fields["rain"].editor
    assert [rain.itemText(index) for index in range(rain.count())] == [
        "block rain", "Euler type II design storm", "rain gauge record"]
    choose(form, "rain", "block")
    assert form.values()["rain"] == "block"


def test_each_type_gets_its_editor_with_units_help_and_defaults(qtbot):
    form = make_form(qtbot)
    editors = {name: field.editor for name, field in form.fields.items()}
    assert isinstance(editors["rain_duration_min"], QDoubleSpinBox)
    assert isinstance(editors["passes"], QSpinBox)
    assert isinstance(editors["calibrate"], QCheckBox)
    assert isinstance(editors["edges"], QComboBox)
    assert [editors["edges"].itemText(i) for i in range(2)] == ["open", "closed"]
    assert isinstance(editors["rain_gauge"], QLineEdit)
    assert editors["table_depths_mm"].text() == "16.5, 25"
    assert editors["rain_duration_min"].suffix() == " min"
    assert form.labels["rain_duration_min"].text() == "Rain duration"
    tooltip = editors["rain_duration_min"].toolTip()
    assert "Block or design storm duration" in tooltip and "min" in tooltip and "5 .. 1440" in tooltip
    assert form.values() == {"rain_duration_min": 60.0, "passes": 5, "calibrate": True, "edges": "open",
                             "rain_gauge": "", "table_depths_mm": (16.5, 25.0)}


def test_values_a_user_types_come_back_in_their_declared_types(qtbot):
    form = make_form(qtbot)
    type_into(qtbot, form.fields["rain_duration_min"].editor, "90")
    type_into(qtbot, form.fields["passes"].editor, "12")
    form.fields["calibrate"].editor.click()
    choose(form, "edges", "closed")
    type_into(qtbot, form.fields["rain_gauge"].editor, "RG-Johannstadt")
    type_into(qtbot, form.fields["table_depths_mm"].editor, "10, 20.5 , 30")
    assert form.values() == {"rain_duration_min": 90.0, "passes": 12, "calibrate": False,
                             "edges": "closed", "rain_gauge": "RG-Johannstadt",
                             "table_depths_mm": (10.0, 20.5, 30.0)}
    assert form.valid and form.errors() == {}


def test_an_out_of_range_value_is_marked_with_the_specs_sentence_and_declined(qtbot):
    form = make_form(qtbot)
    seen = []
    form.validity_changed.connect(seen.append)
    type_into(qtbot, form.fields["rain_duration_min"].editor, "2")
    field = form.fields["rain_duration_min"]
    assert field.error_label.isVisibleTo(form)
    assert field.error_label.text() == "parameter 'rain_duration_min' must be at least 5.0 min, got 2.0"
    assert not form.valid and seen == [False]
    with pytest.raises(ParameterError, match="at least 5.0 min"):
        form.values()
    type_into(qtbot, field.editor, "30")
    assert form.valid and seen == [False, True] and not field.error_label.isVisibleTo(form)


def test_a_list_is_checked_element_by_element_and_bad_text_is_refused(qtbot):
    form = make_form(qtbot)
    depths = form.fields["table_depths_mm"]
    type_into(qtbot, depths.editor, "10, -1")
    assert "must be at least 0.0 mm, got -1.0" in form.errors()["table_depths_mm"]
    type_into(qtbot, depths.editor, "10, ten")
    assert "must be a list of numbers" in form.errors()["table_depths_mm"]
    type_into(qtbot, depths.editor, "")
    assert form.values()["table_depths_mm"] == ()


def test_values_from_a_scenario_fill_the_form_and_refused_ones_are_marked(qtbot):
    form = make_form(qtbot)
    form.set_values({"passes": 2000, "edges": "sideways", "table_depths_mm": [1, 2]})
    errors = form.errors()
    assert errors["passes"] == "parameter 'passes' must be at most 1000, got 2000"
    assert errors["edges"] == "parameter 'edges' must be one of open, closed; got 'sideways'"
    assert set(errors) == {"passes", "edges"} and not form.valid
    assert form.fields["table_depths_mm"].editor.text() == "1, 2"
    with pytest.raises(ParameterError, match="no parameter 'pases' \\(did you mean 'passes'\\?\\)"):
        form.set_values({"pases": 3})
    form.reset_defaults()
    assert form.valid and form.values()["passes"] == 5 and form.values()["edges"] == "open"


def test_a_value_with_more_decimals_than_the_box_shows_is_kept_exactly(qtbot):
    form = make_form(qtbot)
    form.set_values({"rain_duration_min": 12.3456})
    assert form.values()["rain_duration_min"] == 12.3456


def test_the_flood_form_holds_all_its_parameters_with_their_defaults(qtbot):
    form = make_form(qtbot, FloodSimulation.parameters)
    assert len(form.fields) == len(FloodSimulation.parameters) > 30
    assert form.values() == FloodSimulation.defaults()


def test_sections_and_labels_come_from_the_declarations(qtbot):
    form = make_form(qtbot, StreetDecaySimulation.parameters)
    assert form.labels["cost_main_eur_m2"].text() == "Main roads"
    headers = [label.text() for labels in form._headers.values() for label in labels]
    # The advanced fold repeats a section's heading for its advanced members (calibration).
    assert headers == ["Forecast", "Strategy and budget", "Calibration", "Calibration",
                       "Unit costs (EUR/m², per treatment)", "Road widths", "Importance weights"]


def test_advanced_parameters_fold_away_until_asked_for(qtbot):
    form = make_form(qtbot, FloodSimulation.parameters)
    form.show()
    assert not form.fields["theta"].isVisible() and form.fields["edges"].isVisible()
    form.advanced_toggle.setChecked(True)
    assert form.fields["theta"].isVisible()
    assert form.values() == FloodSimulation.defaults()  # hidden ones keep their values


def test_a_parameter_that_does_not_apply_hides_as_the_others_change(qtbot):
    form = make_form(qtbot, FloodSimulation.parameters)
    form.show()
    assert form.fields["rain"].value() == "euler2"
    assert not form.fields["block_depth_mm"].isVisible() and not form.fields["rain_gauge"].isVisible()
    choose(form, "rain", "block")
    assert form.fields["block_depth_mm"].isVisible() and form.fields["rain_duration_min"].isVisible()
    choose(form, "rain", "gauge")
    assert form.fields["rain_gauge"].isVisible() and not form.fields["rain_duration_min"].isVisible()
    choose(form, "infiltration", "constant")
    assert not form.fields["infiltration_initial_mm_h"].isVisible()


def test_a_table_parameter_is_edited_as_rows_under_its_headings(qtbot):
    form = make_form(qtbot, FloodSimulation.parameters)
    field = form.fields["hydrograph_points"]
    assert isinstance(field.editor, TableEditor)
    headings = [field.editor.table.horizontalHeaderItem(column).text() for column in range(2)]
    assert headings == ["x (m)", "y (m)"]
    form.set_values({"hydrograph_points": [[411_050.0, 5_654_050.0], [411_060.0, 5_654_040.5]]})
    assert form.values()["hydrograph_points"] == ((411_050.0, 5_654_050.0), (411_060.0, 5_654_040.5))
    field.editor.add_row()
    field.editor.table.item(2, 1).setText("north")
    assert "hydrograph_points" in form.errors()
    field.editor.table.item(2, 1).setText("5654000")
    assert form.values()["hydrograph_points"][2] == (0.0, 5_654_000.0)


@pytest.mark.parametrize(("default", "minimum", "maximum", "expected"), [
    (0.8, 0.5, 1.0, (0.01, 2)),
    (0.015, 0.005, 0.3, (0.001, 3)),
    (1970.0, 1700.0, 2100.0, (1.0, 0)),
    (1_000_000.0, 0.0, None, (100_000.0, 0)),
    (0.0, 0.0, 5.0, (0.1, 1)),
])
def test_spin_steps_follow_the_size_of_the_value(default, minimum, maximum, expected):
    spec = ParameterSpec("x", float, default, "x", minimum=minimum, maximum=maximum)
    assert step_and_decimals(spec) == expected
