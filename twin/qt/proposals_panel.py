"""The Proposals panel: the drafted measures listed, drawn in 3D, edited, undone, imported and exported.

*Draft measure* chooses a kind; the measure is then drawn in the view (twin/qt/sketch_tool.py): an
area or a line or single trees on the terrain, or buildings or street segments picked one by
one. A finished drawing becomes a measure with the kind's usual parameters, which the form below
the list edits (title, author, comment, parameters; *Apply* checks them with the model's own
rules, twin/core/proposals.py). Every change to the set (added, edited, reshaped, deleted,
imported) is one undoable edit; while a drawing is open, Ctrl+Z and Ctrl+Shift+Z step through its
points instead. Whatever is refused (a shape crossing itself, a measure outside every quarter, a
bad file or value) is one sentence and leaves the set as it was. The set is saved with the
project (twin/io/project.py) and exported or imported as GeoJSON (twin/io/proposals_geojson.py).
"""

from __future__ import annotations

import datetime
import html
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import shapely
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeySequence, QUndoCommand, QUndoGroup, QUndoStack
from PySide6.QtWidgets import (
    QComboBox,
    QDockWidget,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMenu,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from twin.core.errors import TwinError
from twin.core.proposals import KINDS, Measure, Parameter, ProposalError, ProposalSet
from twin.core.sketch import FeatureChoice, Shape, Sketch, sketch_of
from twin.io.proposals_geojson import read_proposals, write_proposals
from twin.qt.effect_action import EffectAction, cost_lines, effect_note
from twin.qt.session import ProjectSession
from twin.qt.sketch_tool import SketchTool
from twin.render.proposal_visuals import ProposalsVisual
from twin.render.scene_view import SceneView
from twin.sim.proposal_effect import ProposalEffect

if TYPE_CHECKING:
    from twin.qt.main_window import MainWindow

_ERROR_STYLE = "color: #b00020;"
EFFECT_MARGIN_M = 120.0  # the view on a computed effect shows this much around the drawn measures
# What the user draws for each entry of the Draft menu: (menu text, kind, shape or feature kind).
DRAFTS: tuple[tuple[str, str, Shape | str], ...] = (
    ("Retention area", "retention_area", Shape.POLYGON),
    ("Unsealing / green area", "unsealing", Shape.POLYGON),
    ("Green roof (pick buildings)", "green_roof", "buildings"),
    ("Tree row", "trees", Shape.LINE),
    ("Single trees", "trees", Shape.POINTS),
    ("New building", "new_building", Shape.POLYGON),
    ("Demolition (pick buildings)", "demolition", "buildings"),
    ("Street works (pick segments)", "street_works", "streets"),
)


def default_parameters(kind: str, shape: Shape | str) -> dict[str, Any]:
    """A new measure's parameters before the user sets them: usual values of each kind."""
    next_year = datetime.date.today().year + 1
    return {
        "retention_area": {"depth_m": 0.5},
        "unsealing": {},
        "green_roof": {"retention_mm": 30.0},
        "trees": {"crown_diameter_m": 6.0, **({"spacing_m": 8.0} if shape is Shape.LINE else {})},
        "new_building": {"storeys": 4, "use": "residential", "construction_year": next_year},
        "demolition": {},
        "street_works": {"treatment": "overlay", "year": next_year},
    }[kind]


class ProposalsEdit(QUndoCommand):
    """One change of the proposal set: undo puts the set before back, redo the set after."""

    def __init__(self, panel: ProposalsPanel, before: ProposalSet, after: ProposalSet, text: str,
                 selected: str | None) -> None:
        super().__init__(text)
        self.panel, self.before, self.after, self.selected = panel, before, after, selected

    def undo(self) -> None:
        self.panel.show_proposals(self.before, self.selected if self.selected in self.before.ids() else None)

    def redo(self) -> None:
        self.panel.show_proposals(self.after, self.selected if self.selected in self.after.ids() else None)


class ProposalsPanel(QWidget):
    """Lists the session's measures, draws them in 3D and edits them through an undo stack."""

    said = Signal(str)  # a note for the status bar
    refused = Signal(str)  # one sentence: what could not be done, and why

    def __init__(self, session: ProjectSession, scene_view: SceneView, tool: SketchTool,
                 refresh: Callable[[], None], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session, self.scene_view, self.tool, self._refresh = session, scene_view, tool, refresh
        self.history = QUndoStack(self)
        self.undo_group = QUndoGroup(self)
        for stack in (self.history, tool.history):
            self.undo_group.addStack(stack)
        self.undo_group.setActiveStack(self.history)
        self.visual = ProposalsVisual(scene_view)
        tool.show_features_with(self._show_choice)
        tool.finished.connect(self._drawn)
        tool.canceled.connect(self._drawing_ended)
        tool.refused.connect(self.refuse)
        self._on_drawn: Callable[[Sketch | FeatureChoice], None] | None = None
        self._parameter_editors: dict[str, QWidget] = {}
        self._build()
        self.show_proposals(session.proposals, None)

    @property
    def proposals(self) -> ProposalSet:
        return self.session.proposals

    @property
    def selected(self) -> Measure | None:
        item = self.measure_list.currentItem()
        return None if item is None else self.proposals.get(item.data(Qt.ItemDataRole.UserRole))

    # Building ---------------------------------------------------------------------------------

    def _build(self) -> None:
        layout = QVBoxLayout(self)
        layout.addLayout(self._buttons())
        self.author_default = QLineEdit()
        self.author_default.setPlaceholderText("your name, given to the measures you draft")
        layout.addWidget(self.author_default)
        self.measure_list = QListWidget()
        self.measure_list.currentItemChanged.connect(lambda *_: self._selection_changed())
        layout.addWidget(self.measure_list, stretch=1)
        self.form_holder = QWidget()
        self.form = QFormLayout(self.form_holder)
        layout.addWidget(self.form_holder)
        self.message = QLabel()
        self.message.setWordWrap(True)
        layout.addWidget(self.message)
        self.costs = QLabel()  # the measures' costs of the last computed effect
        self.costs.setWordWrap(True)
        self.costs.setVisible(False)
        layout.addWidget(self.costs)

    def _buttons(self) -> QHBoxLayout:
        row = QHBoxLayout()
        self.draft_button = QToolButton()
        self.draft_button.setText("Draft measure")
        self.draft_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.draft_button.setMenu(self.draft_menu(self))
        row.addWidget(self.draft_button)
        self.reshape_button = QPushButton("Edit shape")
        self.reshape_button.clicked.connect(self.reshape_selected)
        self.delete_button = QPushButton("Delete")
        self.delete_button.clicked.connect(self.delete_selected)
        self.effect_button = QPushButton("Compute effect")
        self.effect_button.setToolTip("Run the simulation chosen in the Simulations panel before and with "
                                      "the proposals for the chosen quarter, and show the difference")
        for button in (self.reshape_button, self.delete_button, self.effect_button):
            row.addWidget(button)
        row.addStretch(1)
        return row

    def draft_menu(self, parent: QWidget) -> QMenu:
        menu = QMenu("Draft measure", parent)
        for text, kind, shape in DRAFTS:
            menu.addAction(text).triggered.connect(lambda checked=False, k=kind, s=shape: self.draft(k, s))
        return menu

    # Drafting and editing ---------------------------------------------------------------------

    def draft(self, kind: str, shape: Shape | str) -> bool:
        """Start drawing a new measure of `kind`; False (with a sentence) where the scene cannot take one."""
        if isinstance(shape, Shape):
            state: Sketch | FeatureChoice = Sketch(shape)
            hint = "click points on the terrain; double-click or Enter finishes, Escape cancels"
        else:
            layers = self.scene_view.scene.layers_of_kind(shape)
            if not layers:
                self.refuse(f"a {KINDS[kind].title} needs a {shape} layer to pick from; open one first")
                return False
            state = FeatureChoice(shape, layers[0].name)
            hint = f"click the {shape} to pick or unpick them; Enter finishes, Escape cancels"
        self._on_drawn = lambda drawn: self._add_drawn(kind, shape, drawn)
        self._start_drawing(state, f"Drawing a {KINDS[kind].title}: {hint}")
        return True

    def reshape_selected(self) -> bool:
        """Edit the selected measure's shape (its points on the terrain); its parameters stay."""
        measure = self.selected
        if measure is None or measure.geometry is None:
            self.refuse("choose a drawn measure (an area, line or trees) to edit its shape")
            return False
        xy = np.array([(x, y) for x, y, _ in sketch_of(measure.geometry).vertices])
        heights = self.scene_view.ground().heights_or(xy[:, 0], xy[:, 1], default=0.0)
        self._on_drawn = lambda drawn: self._reshaped(measure, drawn)
        self._start_drawing(sketch_of(measure.geometry, heights.tolist()),
                            f"Editing the shape of '{measure.title}': drag its points, Enter finishes")
        return True

    def delete_selected(self) -> bool:
        measure = self.selected
        if measure is None:
            return False
        self.change(self.proposals.remove(measure.id), f"Delete {measure.title}", None)
        return True

    def apply_form(self) -> bool:
        """Check the form's title, author, comment and parameters and make them the selected measure's."""
        measure = self.selected
        if measure is None:
            return False
        try:
            changed = measure.with_changes(title=self.title_edit.text().strip() or measure.title,
                                           author=self.author_edit.text().strip(),
                                           comment=self.comment_edit.toPlainText().strip(),
                                           parameters=self._form_parameters(measure))
            self.change(self.proposals.replace(changed), f"Edit {changed.title}", changed.id)
        except (ProposalError, ValueError) as error:
            self.refuse(str(error))
            return False
        return True

    def change(self, after: ProposalSet, text: str, selected: str | None) -> None:
        """Make `after` the proposal set, as one undoable edit."""
        self.history.push(ProposalsEdit(self, self.proposals, after, text, selected))

    def show_proposals(self, proposals: ProposalSet, selected: str | None) -> None:
        """The set as the session's, listed and drawn (undo and redo come through here)."""
        if proposals is not self.session.proposals:
            self.session.set_proposals(proposals)
        self.measure_list.blockSignals(True)
        self.measure_list.clear()
        for measure in proposals:
            item = QListWidgetItem(_list_text(measure))
            item.setData(Qt.ItemDataRole.UserRole, measure.id)
            item.setToolTip(measure.comment or measure.title)
            self.measure_list.addItem(item)
            if measure.id == selected:
                self.measure_list.setCurrentItem(item)
        self.measure_list.blockSignals(False)
        self._selection_changed()

    def refuse(self, sentence: str) -> None:
        self.message.setStyleSheet(_ERROR_STYLE)
        self.message.setText(sentence)
        self.refused.emit(sentence)

    def say(self, note: str) -> None:
        self.message.setStyleSheet("")
        self.message.setText(note)
        self.said.emit(note)

    # Import and export ------------------------------------------------------------------------

    def import_file(self, path: Path) -> bool:
        """Add the measures of a proposals GeoJSON (ids already taken get new ones) as one edit."""
        try:
            imported = read_proposals(path, self.scene_view.scene.crs)
            merged = self.proposals
            for measure in imported:
                if measure.id in merged.ids():
                    measure = measure.with_changes(id=merged.new_id(measure.kind))
                merged = merged.add(measure)
            merged.check_in_quarters(self.scene_view.scene.quarters)
        except TwinError as error:
            self.refuse(str(error))
            return False
        self.change(merged, f"Import {path.name}", None)
        self.say(f"{len(imported)} measure(s) imported from {path.name}")
        return True

    def export_file(self, path: Path) -> bool:
        try:
            write_proposals(self.proposals, path)
        except (TwinError, OSError) as error:
            self.refuse(f"{path}: the proposals were not written ({error})")
            return False
        self.say(f"{len(self.proposals)} measure(s) written to {path.name}")
        return True

    def choose_import_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Import proposals", str(Path.home()),
                                              "Proposals (*.geojson *.json)")
        if path:
            self.import_file(Path(path))

    def choose_export_file(self) -> None:
        start = str(Path.home() / "proposals.geojson")
        path, _ = QFileDialog.getSaveFileName(self, "Export proposals", start, "Proposals (*.geojson)")
        if path:
            self.export_file(Path(path).with_suffix(".geojson"))

    # Inside -----------------------------------------------------------------------------------

    def _start_drawing(self, state: Sketch | FeatureChoice, hint: str) -> None:
        self.tool.start(state)  # after a drawing left unfinished is cancelled: undo then steps this one
        self.undo_group.setActiveStack(self.tool.history)
        self.say(hint)

    def _drawn(self, drawn: Sketch | FeatureChoice) -> None:
        on_drawn, self._on_drawn = self._on_drawn, None
        self._drawing_ended()
        if on_drawn is not None:
            on_drawn(drawn)

    def _drawing_ended(self) -> None:
        self.undo_group.setActiveStack(self.history)
        self.show_proposals(self.proposals, self._selected_id())

    def _add_drawn(self, kind: str, shape: Shape | str, drawn: Sketch | FeatureChoice) -> None:
        number = len(self.proposals.of_kind(kind)) + 1
        parameters = default_parameters(kind, shape)
        if isinstance(drawn, FeatureChoice):
            parameters["segment_ids" if drawn.kind == "streets" else "building_ids"] = list(drawn.ids)
        try:
            measure = Measure(self.proposals.new_id(kind), kind, f"{KINDS[kind].title.capitalize()} {number}",
                              None if isinstance(drawn, FeatureChoice) else drawn.geometry(), parameters,
                              author=self.author_default.text().strip())
            after = self.proposals.add(measure)
            after.check_in_quarters(self.scene_view.scene.quarters)
        except TwinError as error:
            self.refuse(str(error))
            return
        self.change(after, f"Draft {measure.title}", measure.id)
        self.say(f"{measure.title} added; set its parameters below and Apply")

    def _reshaped(self, measure: Measure, drawn: Sketch) -> None:
        try:
            changed = measure.with_changes(geometry=drawn.geometry())
            after = self.proposals.replace(changed)
            after.check_in_quarters(self.scene_view.scene.quarters)
        except TwinError as error:
            self.refuse(str(error))
            return
        self.change(after, f"Reshape {measure.title}", measure.id)

    def _selected_id(self) -> str | None:
        item = self.measure_list.currentItem()
        return None if item is None else item.data(Qt.ItemDataRole.UserRole)

    def _selection_changed(self) -> None:
        measure = self.selected
        self._fill_form(measure)
        self.reshape_button.setEnabled(measure is not None and measure.geometry is not None)
        self.delete_button.setEnabled(measure is not None)
        if not self.tool.active:
            self.visual.show(self.proposals, None if measure is None else measure.id)
            self._refresh()

    def _show_choice(self, choice: FeatureChoice | None) -> None:
        self.visual.show(self.proposals, self._selected_id())
        if choice is not None:
            self.visual.show_choice(choice.kind, choice.layer, choice.ids)

    def _fill_form(self, measure: Measure | None) -> None:
        while self.form.rowCount():
            self.form.removeRow(0)
        self._parameter_editors = {}
        self.form_holder.setVisible(measure is not None)
        if measure is None:
            return
        self.form.addRow(QLabel(f"<b>{measure.kind_title.capitalize()}</b> ({measure.id})"))
        self.title_edit, self.author_edit = QLineEdit(measure.title), QLineEdit(measure.author)
        self.comment_edit = QPlainTextEdit(measure.comment)
        self.comment_edit.setFixedHeight(60)
        self.form.addRow("Title", self.title_edit)
        self.form.addRow("Author", self.author_edit)
        self.form.addRow("Comment", self.comment_edit)
        for parameter in KINDS[measure.kind].parameters:
            editor = _parameter_editor(parameter, measure.parameters.get(parameter.name))
            self._parameter_editors[parameter.name] = editor
            self.form.addRow(_parameter_label(parameter), editor)
        apply = QPushButton("Apply")
        apply.clicked.connect(self.apply_form)
        self.form.addRow(apply)

    def _form_parameters(self, measure: Measure) -> dict[str, Any]:
        parameters: dict[str, Any] = {}
        for name, editor in self._parameter_editors.items():
            parameter = KINDS[measure.kind].parameter(name)
            value = _editor_value(parameter, editor, measure.parameters.get(name))
            if value is not None:
                parameters[name] = value
        return parameters


def _list_text(measure: Measure) -> str:
    author = f" ({measure.author})" if measure.author else ""
    return f"{measure.kind_title.capitalize()}: {measure.title}{author}"


def _parameter_label(parameter: Parameter) -> str:
    return parameter.name.replace("_", " ") + ("" if parameter.required else " (optional)")


def _parameter_editor(parameter: Parameter, value: Any) -> QWidget:
    """A combo box for choices, a read-only count for picked ids, else a line edit (empty: not set)."""
    if parameter.choices:
        box = QComboBox()
        box.addItems(parameter.choices)
        box.setCurrentText(str(value or parameter.choices[0]))
        return box
    if parameter.type == "ids":
        return QLabel(f"{len(value or ())} picked")
    edit = QLineEdit("" if value is None else f"{value:g}" if isinstance(value, float) else str(value))
    low = "" if parameter.minimum is None else f"{parameter.minimum:g}"
    high = "" if parameter.maximum is None else f"{parameter.maximum:g}"
    edit.setPlaceholderText("not set" if not parameter.required else f"{low} .. {high}")
    edit.setToolTip(f"Allowed: {low} .. {high}")
    return edit


def _editor_value(parameter: Parameter, editor: QWidget, current: Any) -> Any:
    """The editor's value as the model takes it; ValueError (one sentence) for text that is no number."""
    if isinstance(editor, QComboBox):
        return editor.currentText()
    if isinstance(editor, QLabel):  # picked ids: changed by picking again, not typing
        return list(current) if current is not None else None
    text = editor.text().strip().replace(",", ".")
    if not text:
        return None
    try:
        return int(text) if parameter.type == "whole" and float(text).is_integer() else float(text)
    except ValueError:
        raise ValueError(f"'{parameter.name}' must be a number, got '{text}'") from None


def install_proposals(window: MainWindow) -> ProposalsPanel:
    """The Proposals dock, its menu (draft, undo, redo, import, export, compute effect) and the
    sketch tool on the view."""
    tool = SketchTool(window.view_widget, window.scene_view, window.refresh_view, window)
    panel = ProposalsPanel(window.session, window.scene_view, tool, window.refresh_view)
    window.proposals_panel = panel
    panel.said.connect(lambda note: window.statusBar().showMessage(note, 10_000))
    panel.refused.connect(window.show_error)
    dock = window.proposals_dock = QDockWidget("Proposals", window)
    dock.setObjectName("proposals")
    scroll = QScrollArea()  # in a small window the panel scrolls rather than taking the view's room
    scroll.setWidgetResizable(True)
    scroll.setWidget(panel)
    dock.setWidget(scroll)
    window.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, dock)
    window.tabifyDockWidget(window.simulations_dock, dock)
    window.simulations_dock.raise_()
    # The effect is computed for the quarter chosen in the toolbar, which the reports follow too.
    effect = window.proposals_effect = EffectAction(window.simulation_panel, window.reports,
                                                    lambda: panel.proposals, lambda: window.reports.quarter,
                                                    window)
    effect.job_started.connect(window.jobs_bar.track)
    effect.refused.connect(panel.refuse)
    effect.said.connect(panel.say)
    effect.shown.connect(lambda outcome: _effect_shown(window, panel, outcome))
    effect.refined.connect(lambda outcome: _effect_refined(window, panel, outcome))
    panel.effect_button.clicked.connect(effect.compute)
    _proposals_menu(window, panel, effect, dock)
    window.toolbar.addWidget(_toolbar_draft_button(panel))
    if window.session.proposals_problem:
        window.show_error(window.session.proposals_problem)
    return panel


def _proposals_menu(window: MainWindow, panel: ProposalsPanel, effect: EffectAction,
                    dock: QDockWidget) -> None:
    menu = window.menuBar().addMenu("&Proposals")
    menu.addMenu(panel.draft_menu(menu))
    undo = panel.undo_group.createUndoAction(menu, "&Undo")
    undo.setShortcuts([QKeySequence("Ctrl+Z")])
    redo = panel.undo_group.createRedoAction(menu, "&Redo")
    redo.setShortcuts([QKeySequence("Ctrl+Shift+Z"), QKeySequence("Ctrl+Y")])
    menu.addActions([undo, redo])
    menu.addSeparator()
    menu.addAction("&Import proposals...").triggered.connect(panel.choose_import_file)
    menu.addAction("&Export proposals...").triggered.connect(panel.choose_export_file)
    menu.addAction("&Compute effect").triggered.connect(effect.compute)
    menu.addSeparator()
    menu.addAction(dock.toggleViewAction())


def _effect_shown(window: MainWindow, panel: ProposalsPanel, effect: ProposalEffect) -> None:
    """The reports below the view, and the view on the drawn measures and what lies around them."""
    window.reports_dock.show()
    window.reports_dock.raise_()
    drawn = [measure.geometry for measure in panel.proposals if measure.geometry is not None]
    if drawn:
        minx, miny, maxx, maxy = shapely.GeometryCollection(drawn).buffer(EFFECT_MARGIN_M).bounds
        if window.scene_view.legends_shown:  # they stack at the right: the measures go left of them
            maxx += maxx - minx
        window.scene_view.zoom_to((minx, miny, maxx, maxy))
    panel.say(effect_note(effect))
    panel.costs.setText("<b>Costs of the measures</b><br>" + "<br>".join(html.escape(line)
                                                                        for line in cost_lines(effect)))
    panel.costs.setVisible(bool(effect.costs))
    window.refresh_view()


def _effect_refined(window: MainWindow, panel: ProposalsPanel, effect: ProposalEffect) -> None:
    """The full answer in place of the quick estimate; the view stays where the user has moved it."""
    panel.say(effect_note(effect, refined=True))
    window.refresh_view()


def _toolbar_draft_button(panel: ProposalsPanel) -> QToolButton:
    button = QToolButton()
    button.setText("Draft measure")
    button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
    button.setMenu(panel.draft_menu(button))
    return button

