"""The scenario panel: pick a simulation, its input layers, quarters, seed and parameters; run it.

The run goes through a twin.qt.jobs.Job: the worker calls `run_simulation` without a scene, and
the GUI thread stores a run that ended well with `store_run` (new result layers reach VTK, which
only the GUI thread may touch). A failed or cancelled run shows one sentence and changes nothing.
Scenario files open into the panel (input files not in the scene are read in a Job) and save
from it.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QEvent, Signal
from PySide6.QtWidgets import (
    QApplication,
    QCheckBox,
    QComboBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from twin.core.errors import TwinError, did_you_mean
from twin.core.feedback import Feedback
from twin.core.layers import Layer
from twin.core.quarter import Quarter
from twin.core.scenario import Scenario
from twin.core.scene import Scene
from twin.io import read_layer, read_quarters_in
from twin.qt.jobs import Job, set_progress
from twin.qt.parameter_form import ParameterForm
from twin.sim.contract import InputSpec, ParameterError, Simulation, SimulationInputs
from twin.sim.registry import SimulationRegistry
from twin.sim.runner import RunReport, RunStatus, check_inputs, run_simulation, store_run

_NO_LAYER = "(none)"
_ERROR_STYLE = "color: #b00020;"
_SCENARIO_FILTER = "Scenario files (*.toml)"
FileChooser = Callable[[QWidget, str, str], Path | None]


def choose_open(parent: QWidget, caption: str, file_filter: str) -> Path | None:
    path, _ = QFileDialog.getOpenFileName(parent, caption, "", file_filter)
    return Path(path) if path else None


def choose_save(parent: QWidget, caption: str, file_filter: str) -> Path | None:
    path, _ = QFileDialog.getSaveFileName(parent, caption, "", file_filter)
    return Path(path) if path else None


def preferred_layer(layers: list[Layer], quarter: str | None) -> Layer | None:
    """The layer to pre-select for a slot: one named after the quarter, else the first."""
    if quarter:
        for layer in layers:
            if quarter.lower() in layer.name.lower():
                return layer
    return layers[0] if layers else None


class SimulationPanel(QWidget):
    """Runs simulations on a scene.

    Signals: `job_started(Job)` for every background job (runs and scenario loads), so the
    status-bar JobBar can track it; `run_finished(RunReport)` after a run that ended well has
    been stored in the scene. Slot: `set_quarter(name)` makes that quarter the one reported on
    and pre-selects its layers.
    """

    job_started = Signal(object)
    run_finished = Signal(object)

    def __init__(self, scene: Scene, registry: SimulationRegistry | None = None, *,
                 quarters_file: Path | None = None, include_hidden: bool = False,
                 choose_open_file: FileChooser = choose_open,
                 choose_save_file: FileChooser = choose_save,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.scene = scene
        self.registry = registry or SimulationRegistry.discover()
        self.quarters_file = quarters_file
        self._choose_open = choose_open_file
        self._choose_save = choose_save_file
        self._simulations = {simulation.name: simulation
                             for simulation in self.registry.listed(include_hidden)}
        self._quarter: str | None = scene.quarters[0].name if scene.quarters else None
        self.job: Job | None = None
        self.form: ParameterForm | None = None
        self.slot_combos: dict[str, QComboBox] = {}
        self.quarter_boxes: dict[str, QCheckBox] = {}
        self._build()
        self._connect_scene()
        self._fill_quarters()
        if self._simulations:
            self.select_simulation(next(iter(self._simulations)))

    # --- public API -----------------------------------------------------------------------

    @property
    def simulation(self) -> type[Simulation] | None:
        name = self.simulation_combo.currentData()
        return self._simulations.get(name) if name else None

    def select_simulation(self, name: str) -> None:
        if name not in self._simulations:
            raise KeyError(f"no simulation named '{name}' is installed"
                           f"{did_you_mean(name, self._simulations)}")
        self.simulation_combo.setCurrentIndex(self.simulation_combo.findData(name))
        self._show_simulation()

    def set_quarter(self, name: str) -> None:
        """Report on this quarter only and pre-select the layers named after it."""
        self._quarter = name
        for quarter, box in self.quarter_boxes.items():
            box.setChecked(quarter == name)
        self._fill_slots(keep_selection=False)

    def selected_quarters(self) -> list[Quarter]:
        return [self.scene.quarter(name) for name, box in self.quarter_boxes.items() if box.isChecked()]

    def selected_layers(self) -> dict[str, Layer]:
        layers = {}
        for slot, combo in self.slot_combos.items():
            name = combo.currentData()
            if name:
                layers[slot] = self.scene.layer(name)
        return layers

    def seed(self) -> int | None:
        text = self.seed_edit.text().strip()
        return int(text) if text else None

    def run(self) -> Job | None:
        """Start the selected simulation in a Job; None (with the reason shown) if it cannot start."""
        simulation = self.simulation
        if simulation is None or self.running:
            return None
        try:
            parameters = self.form.values()
            layers = self.selected_layers()
            check_inputs(simulation, layers)
        except (TwinError, ParameterError) as error:
            self._say(str(error), error=True)
            return None
        inputs = SimulationInputs(layers=layers, quarters=self.selected_quarters(), crs=self.scene.crs)
        seed, scenario = self.seed(), self.name_edit.text().strip()

        def work(feedback: Feedback) -> RunReport:
            return run_simulation(simulation(), inputs, parameters, seed=seed, feedback=feedback,
                                  scenario=scenario)

        job = Job(simulation.title, work, self)
        job.succeeded.connect(self._run_ended)
        job.canceled.connect(lambda: self._say("The run was cancelled; nothing was kept."))
        job.failed.connect(lambda message: self._say(message, error=True))
        self._start(job)
        return job

    def cancel(self) -> None:
        if self.job is not None:
            self.job.cancel()
            self._say("Cancelling...")

    @property
    def running(self) -> bool:
        return self.job is not None

    def scenario(self) -> Scenario:
        """The panel's state as a scenario (ParameterError/TwinError when it cannot be one)."""
        simulation = self.simulation
        if simulation is None:
            raise TwinError("no simulation is selected")
        inputs = {}
        for slot, layer in self.selected_layers().items():
            if layer.source is None:
                raise TwinError(f"input '{slot}' ('{layer.name}') was not read from a file, so a "
                                f"scenario cannot name it")
            inputs[slot] = Path(layer.source).resolve()
        return Scenario(name=self.name_edit.text().strip() or simulation.title,
                        simulation=simulation.name, seed=self.seed(), crs=self.scene.crs,
                        quarters=tuple(quarter.name for quarter in self.selected_quarters()),
                        quarters_file=self.quarters_file, inputs=inputs,
                        parameters=_plain_parameters(self.form.values()))

    def save_scenario(self, path: Path) -> bool:
        try:
            self.scenario().save(path)
        except (TwinError, ParameterError, OSError) as error:
            self._say(f"The scenario was not saved: {error}", error=True)
            return False
        self._say(f"Saved the scenario to {path.name}.")
        return True

    def open_scenario(self, path: Path) -> Job | None:
        """Select the scenario's simulation, fill the form, and pick or load its input files.

        Returns the Job reading input files the scene lacks, or None when nothing needs reading.
        """
        try:
            scenario = Scenario.load(path)
            self.select_simulation(scenario.simulation)
            self.form.reset_defaults()
            self.form.set_values(scenario.parameters)
        except (TwinError, ParameterError, KeyError) as error:
            self._say(_sentence(error), error=True)
            return None
        self.name_edit.setText(scenario.name)
        self.seed_edit.setText("" if scenario.seed is None else str(scenario.seed))
        if self.form.valid:
            self._say(f"Opened the scenario '{scenario.name}'.")
        else:
            self._say(f"The scenario '{scenario.name}' has values the simulation refuses; "
                      f"they are marked.", error=True)
        missing = self._select_scenario_inputs(scenario)
        needs_quarters = scenario.quarters_file is not None and not self.scene.quarters
        if not missing and not needs_quarters:
            self._check_scenario_quarters(scenario)
            return None
        return self._load_scenario_files(scenario, missing, needs_quarters)

    # --- building the widget --------------------------------------------------------------

    def _build(self) -> None:
        self.simulation_combo = QComboBox()
        for name, simulation in self._simulations.items():
            self.simulation_combo.addItem(simulation.title, name)
        self.simulation_combo.currentIndexChanged.connect(self._show_simulation)
        self.description = QLabel()
        self.description.setWordWrap(True)
        self.name_edit = QLineEdit()
        self.name_edit.setPlaceholderText("name of the run (optional)")
        self.seed_edit = QLineEdit()
        self.seed_edit.setPlaceholderText("random")
        self.seed_edit.setToolTip("Seed of the random numbers: the same seed repeats a run exactly; "
                                  "empty draws one (the report records it).")
        self.seed_edit.textChanged.connect(self._update_run_button)
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.inputs_box = QGroupBox("Input layers")
        self.inputs_layout = QFormLayout(self.inputs_box)
        self.quarters_box = QGroupBox("Report on quarters")
        self.quarters_layout = QHBoxLayout(self.quarters_box)
        self.parameters_box = QGroupBox("Parameters")
        self.parameters_layout = QVBoxLayout(self.parameters_box)
        self.parameters_layout.setContentsMargins(4, 4, 4, 4)
        head = QFormLayout()
        head.addRow("Simulation", self.simulation_combo)
        head.addRow(self.description)
        head.addRow("Run name", self.name_edit)
        head.addRow("Seed", self.seed_edit)
        layout = QVBoxLayout(self)
        layout.addLayout(head)
        layout.addWidget(self.inputs_box)
        layout.addWidget(self.quarters_box)
        layout.addWidget(self.parameters_box, 1)
        layout.addLayout(self._file_buttons())
        layout.addLayout(self._run_row())
        layout.addWidget(self.message)

    def _file_buttons(self) -> QHBoxLayout:
        self.open_button = QPushButton("Open scenario...")
        self.open_button.clicked.connect(self._open_clicked)
        self.save_button = QPushButton("Save scenario...")
        self.save_button.clicked.connect(self._save_clicked)
        self.defaults_button = QPushButton("Defaults")
        self.defaults_button.setToolTip("Set every parameter to its default")
        self.defaults_button.clicked.connect(lambda: self.form.reset_defaults())
        files = QHBoxLayout()
        for button in (self.open_button, self.save_button, self.defaults_button):
            files.addWidget(button)
        files.addStretch(1)
        return files

    def _run_row(self) -> QHBoxLayout:
        self.run_button = QPushButton("Run")
        self.run_button.setDefault(True)
        self.run_button.clicked.connect(self.run)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setEnabled(False)
        self.cancel_button.clicked.connect(self.cancel)
        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.progress.setTextVisible(False)
        run_row = QHBoxLayout()
        run_row.addWidget(self.progress, 1)
        run_row.addWidget(self.run_button)
        run_row.addWidget(self.cancel_button)
        return run_row

    def _connect_scene(self) -> None:
        events = self.scene.layers.events
        for signal in (events.inserted, events.removed, events.changed):
            signal.connect(self._layers_changed)
        self.scene.events.quarters.connect(self._fill_quarters)

    def _show_simulation(self) -> None:
        simulation = self.simulation
        if simulation is None:
            return
        self.description.setText(simulation.description)
        if self.form is not None:
            self.parameters_layout.removeWidget(self.form)
            self.form.hide()
            self.form.deleteLater()
        self.form = ParameterForm(simulation.parameters)
        self.form.validity_changed.connect(self._update_run_button)
        self.parameters_layout.addWidget(self.form)
        self._fill_slots(keep_selection=False)
        self._update_run_button()

    def _fill_slots(self, keep_selection: bool) -> None:
        simulation = self.simulation
        if simulation is None:
            return
        kept = {slot: combo.currentData() for slot, combo in self.slot_combos.items()}
        while self.inputs_layout.rowCount():
            self.inputs_layout.removeRow(0)
        self.slot_combos = {}
        for spec in simulation.inputs:
            combo = self._slot_combo(spec, kept.get(spec.name) if keep_selection else None)
            title = spec.name.replace("_", " ").capitalize()
            label = QLabel(f"{title}{'' if spec.required else ' (optional)'}")
            label.setToolTip(spec.doc)
            self.inputs_layout.addRow(label, combo)
            self.slot_combos[spec.name] = combo
        if not simulation.inputs:
            self.inputs_layout.addRow(QLabel("This simulation needs no input layers."))

    def _slot_combo(self, spec: InputSpec, keep: str | None) -> QComboBox:
        combo = QComboBox()
        combo.setToolTip(f"a {spec.kind} layer: {spec.doc}")
        layers = self.scene.layers_of_kind(spec.kind)
        if not spec.required or not layers:
            combo.addItem(_NO_LAYER if layers else f"(no {spec.kind} layer in the scene)", None)
        for layer in layers:
            combo.addItem(layer.name, layer.name)
        chosen = keep if keep is not None else None
        if chosen is None and spec.required:
            preferred = preferred_layer(layers, self._quarter)
            chosen = preferred.name if preferred else None
        elif chosen is None and self._quarter:  # an optional slot takes the quarter's own layer only
            matching = [layer for layer in layers if self._quarter.lower() in layer.name.lower()]
            chosen = matching[0].name if matching else None
        index = combo.findData(chosen)
        combo.setCurrentIndex(max(index, 0))
        combo.currentIndexChanged.connect(self._update_run_button)
        return combo

    def _fill_quarters(self) -> None:
        checked = {name for name, box in self.quarter_boxes.items() if box.isChecked()}
        while self.quarters_layout.count():
            item = self.quarters_layout.takeAt(0)
            if item.widget():
                item.widget().deleteLater()
        self.quarter_boxes = {}
        names = [quarter.name for quarter in self.scene.quarters]
        if self._quarter not in names:
            self._quarter = names[0] if names else None
        for name in names:
            box = QCheckBox(name)
            box.setChecked(name in checked if checked else name == self._quarter)
            self.quarters_layout.addWidget(box)
            self.quarter_boxes[name] = box
        if not names:
            self.quarters_layout.addWidget(QLabel("The scene has no quarters; figures are overall only."))
        self.quarters_layout.addStretch(1)

    # --- running ----------------------------------------------------------------------------

    def _start(self, job: Job) -> None:
        self.job = job
        job.progressed.connect(self._progressed)
        job.finished.connect(self._job_ended)
        self._set_busy(True)
        set_progress(self.progress, 0)
        self._say(f"{job.title}: starting...")
        self.job_started.emit(job)
        job.start()

    def _progressed(self, fraction: float, message: str) -> None:
        set_progress(self.progress, round(fraction * 1000))
        if self.job is not None:
            self._say(f"{self.job.title}: {message}")

    def _run_ended(self, report: RunReport) -> None:
        if report.status is RunStatus.CANCELED:
            self._say("The run was cancelled; nothing was kept.")
            return
        if not report.ok:
            self._say(report.error or "The run failed.", error=True)
            return
        # The results change the window in several steps: layers in the 3D view and the tree, the
        # time bar, the result docks the window opens. Each step that resized the 3D view painted
        # it at once, a whole frame (1.5-2 s in software OpenGL under load; six frames froze the
        # window for 11 s after a Johannstadt flood). With updates off until all are done and the
        # layouts they asked for are settled, the window paints once, from the event loop.
        window = self.window()
        window.setUpdatesEnabled(False)
        try:
            self._store(report)
            QApplication.sendPostedEvents(None, QEvent.Type.LayoutRequest)
        finally:
            window.setUpdatesEnabled(True)

    def _store(self, report: RunReport) -> None:
        try:
            store_run(self.scene, report)
        except TwinError as error:
            self._say(f"The results could not be added to the scene: {error}", error=True)
            return
        count = len(report.result_layers)
        self._say(f"{report.scenario or report.simulation} finished in {report.seconds:.1f} s (seed "
                  f"{report.seed}); {count} result layer{'' if count == 1 else 's'} added.")
        self.name_edit.clear()  # the next run is another one: its name is the user's to give
        self.run_finished.emit(report)

    def _job_ended(self) -> None:
        self.job = None
        self._set_busy(False)
        set_progress(self.progress, 0)  # setValue would paint the window, 3D view included, at once

    def _set_busy(self, busy: bool) -> None:
        for widget in (self.simulation_combo, self.open_button, self.inputs_box, self.quarters_box,
                       self.parameters_box, self.defaults_button):
            widget.setEnabled(not busy)
        self.cancel_button.setEnabled(busy)
        self._update_run_button()

    def _update_run_button(self, *args: object) -> None:
        self.run_button.setEnabled(self.simulation is not None and not self.running
                                   and self.form is not None and self.form.valid
                                   and self._seed_valid())

    def _seed_valid(self) -> bool:
        text = self.seed_edit.text().strip()
        valid = not text or (text.isdigit() and int(text) < 2**63)
        self.seed_edit.setStyleSheet("" if valid else "border: 1px solid #b00020;")
        self.seed_edit.setToolTip("" if valid else "the seed is a whole number >= 0")
        return valid

    def _layers_changed(self, *args: object) -> None:
        self._fill_slots(keep_selection=True)
        self._update_run_button()

    def _say(self, sentence: str, error: bool = False) -> None:
        self.message.setText(sentence)
        self.message.setStyleSheet(_ERROR_STYLE if error else "")

    # --- scenario files -------------------------------------------------------------------

    def _open_clicked(self) -> None:
        path = self._choose_open(self, "Open scenario", _SCENARIO_FILTER)
        if path is not None:
            self.open_scenario(path)

    def _save_clicked(self) -> None:
        path = self._choose_save(self, "Save scenario", _SCENARIO_FILTER)
        if path is not None:
            self.save_scenario(path if path.suffix else path.with_suffix(".toml"))

    def _select_scenario_inputs(self, scenario: Scenario) -> dict[str, Path]:
        """Select scene layers read from the scenario's input files; return the files not in the scene."""
        by_source = {Path(layer.source).resolve(): layer for layer in self.scene.layers
                     if layer.source is not None}
        missing = {}
        for slot, file in scenario.inputs.items():
            combo = self.slot_combos.get(slot)
            layer = by_source.get(file.resolve())
            if combo is not None and layer is not None and combo.findData(layer.name) >= 0:
                combo.setCurrentIndex(combo.findData(layer.name))
            elif combo is not None:
                missing[slot] = file
        return missing

    def _load_scenario_files(self, scenario: Scenario, files: dict[str, Path],
                             needs_quarters: bool) -> Job:
        scene_crs = self.scene.crs

        def work(feedback: Feedback) -> tuple[dict[str, Layer], list[Quarter] | None]:
            layers = {}
            for done, (slot, file) in enumerate(files.items()):
                feedback.progress(done / max(len(files), 1), f"reading {file.name}")
                layers[slot] = read_layer(file, crs=scenario.crs, to=scene_crs)
                feedback.check()
            quarters = read_quarters_in(scenario.quarters_file, scene_crs) if needs_quarters else None
            return layers, quarters

        def loaded(result: tuple[dict[str, Layer], list[Quarter] | None]) -> None:
            layers, quarters = result
            try:
                if quarters is not None:
                    self.scene.set_quarters(quarters)
                    self.quarters_file = scenario.quarters_file
                for slot, layer in layers.items():
                    self.scene.add_layer(layer)
                    combo = self.slot_combos[slot]
                    combo.setCurrentIndex(combo.findData(layer.name))
            except (TwinError, ValueError) as error:
                self._say(f"The scenario's files could not be added: {error}", error=True)
                return
            self._check_scenario_quarters(scenario)
            if self.message.styleSheet() == "":
                self._say(f"Opened the scenario '{scenario.name}' and read {len(layers)} file(s).")

        job = Job(f"Opening {scenario.name}", work, self)
        job.succeeded.connect(loaded)
        job.canceled.connect(lambda: self._say("Opening the scenario's files was cancelled."))
        job.failed.connect(lambda message: self._say(message, error=True))
        self._start(job)
        return job

    def _check_scenario_quarters(self, scenario: Scenario) -> None:
        if not scenario.quarters:
            return
        unknown = [name for name in scenario.quarters if name not in self.quarter_boxes]
        for name, box in self.quarter_boxes.items():
            box.setChecked(name in scenario.quarters)
        if unknown:
            hint = did_you_mean(unknown[0], self.quarter_boxes)
            self._say(f"The scene has no quarter '{unknown[0]}'{hint}.", error=True)


def _plain_parameters(values: dict[str, Any]) -> dict[str, Any]:
    """Parameters as TOML takes them: lists instead of tuples."""
    return {name: list(value) if isinstance(value, tuple) else value for name, value in values.items()}


def _sentence(error: Exception) -> str:
    return error.args[0] if isinstance(error, KeyError) and error.args else str(error)
