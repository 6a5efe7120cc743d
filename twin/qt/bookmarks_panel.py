"""The bookmarks panel: the project's saved views and the tours through them.

A bookmark keeps the view as it is (camera, which layers show and how, the time step) with a
caption and a short text; the panel adds one from the current view, goes to one, renames it (edit
it in place), moves it (drag it, or Up and Down), updates it from the current view and deletes it.
A tour is made from the bookmarks chosen in the list, in their order; the chosen tour's stops are
listed under the tours, and dragging a stop (or Earlier and Later) changes the order the tour visits
them in. A tour plays in the view along the flight of twin/core/tour.py at its steady speed (a slow
renderer skips frames, the tour still takes its time) until it ends or Stop. Every change goes to
the project session, which marks the project modified and saves bookmarks and tours with it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from PySide6.QtCore import QElapsedTimer, QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFormLayout,
    QGridLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from twin.core.bookmarks import (
    Bookmark,
    Tour,
    delete_bookmark,
    find_bookmark,
    find_tour,
    moved,
    rename_bookmark,
    unused_name,
)
from twin.core.errors import TwinError
from twin.core.tour import Frame, tour_frames
from twin.qt.session import ProjectSession
from twin.render.export import apply_bookmark, apply_looks, bookmark_of, set_camera, set_time_step
from twin.render.scene_view import SceneView

TOUR_FPS = 30
NAME_ROLE = Qt.ItemDataRole.UserRole


class TourPlayer(QObject):
    """Plays a tour's frames in a view: each frame at its time since the start, never faster."""

    stopped = Signal()

    def __init__(self, view: SceneView, refresh: Callable[[], None], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.view, self._refresh = view, refresh
        self.frames: list[Frame] = []
        self.shown: list[int] = []  # the frames drawn so far, by number (a slow renderer skips some)
        self._timer = QTimer(self)
        self._timer.setInterval(int(1000 / TOUR_FPS))
        self._timer.timeout.connect(self._show_due_frame)
        self._clock = QElapsedTimer()

    @property
    def playing(self) -> bool:
        return self._timer.isActive()

    def play(self, tour: Tour, bookmarks: list[Bookmark]) -> None:
        self.stop()
        self.frames, self.shown = tour_frames(tour, bookmarks, TOUR_FPS), []
        self._clock.start()
        self._timer.start()
        self._show_due_frame()

    def stop(self) -> None:
        if self._timer.isActive():
            self._timer.stop()
            self.stopped.emit()

    def _show_due_frame(self) -> None:
        due = min(int(self._clock.elapsed() / 1000.0 * TOUR_FPS), len(self.frames) - 1)
        frame = self.frames[due]
        if not self.shown or self.frames[self.shown[-1]].bookmark is not frame.bookmark:
            apply_looks(self.view.scene, frame.bookmark.layers)  # once per stop: not every frame
        set_time_step(self.view.scene, frame.time_step)
        set_camera(self.view, frame.camera, frame.view_angle)
        self.shown.append(due)
        self._refresh()
        if due == len(self.frames) - 1:
            self.stop()


class BookmarksPanel(QWidget):
    """Lists the session's bookmarks and tours and changes them; `said` carries one-line notes."""

    said = Signal(str)

    def __init__(self, session: ProjectSession, view: SceneView, refresh: Callable[[], None],
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session, self.view, self._refresh = session, view, refresh
        self.player = TourPlayer(view, refresh, self)
        self.player.stopped.connect(self._update_buttons)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("Bookmarks"))
        self.bookmark_list = self._list(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.bookmark_list.itemChanged.connect(self._renamed_in_place)
        self.bookmark_list.itemDoubleClicked.connect(lambda item: self.go_to(self._name(item)))
        self.bookmark_list.model().rowsMoved.connect(self._dragged)
        layout.addWidget(self.bookmark_list)
        layout.addLayout(self._words_form())
        layout.addLayout(self._bookmark_buttons())
        layout.addWidget(QLabel("Tours"))
        self.tour_list = self._list(QAbstractItemView.SelectionMode.SingleSelection)
        self.tour_list.setDragDropMode(QAbstractItemView.DragDropMode.NoDragDrop)
        layout.addWidget(self.tour_list)
        layout.addLayout(self._tour_buttons())
        layout.addWidget(QLabel("Stops of the chosen tour"))
        self.stop_list = self._list(QAbstractItemView.SelectionMode.SingleSelection)
        self.stop_list.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.stop_list.model().rowsMoved.connect(self._stop_dragged)
        layout.addWidget(self.stop_list)
        layout.addLayout(self._stop_buttons())
        self.bookmark_list.itemSelectionChanged.connect(self._bookmark_chosen)
        self.tour_list.itemSelectionChanged.connect(self._tour_chosen)
        self.stop_list.itemSelectionChanged.connect(self._update_buttons)
        self.fill()

    # What a user does -----------------------------------------------------------------------

    @property
    def bookmarks(self) -> list[Bookmark]:
        return list(self.session.presentation[0])

    @property
    def tours(self) -> list[Tour]:
        return list(self.session.presentation[1])

    def add_bookmark(self, caption: str = "", text: str = "") -> Bookmark:
        """The current view as a new bookmark at the end of the list, chosen."""
        names = [bookmark.name for bookmark in self.bookmarks]
        name = unused_name(caption.strip() or f"View {len(names) + 1}", names)
        bookmark = bookmark_of(self.view, name, caption, text)
        self._change([*self.bookmarks, bookmark], self.tours, chosen=[name])
        return bookmark

    def go_to(self, name: str) -> None:
        """Show the bookmark: its camera, its layers' looks and its time step."""
        self.player.stop()
        apply_bookmark(self.view, find_bookmark(self.bookmarks, name))
        self._refresh()

    def update_from_view(self, name: str) -> None:
        """The bookmark takes the current view; its name, caption and text stay."""
        old = find_bookmark(self.bookmarks, name)
        new = bookmark_of(self.view, name, old.caption, old.text)
        self._change([new if bookmark.name == name else bookmark for bookmark in self.bookmarks], self.tours,
                     chosen=[name])

    def rename(self, old: str, new: str) -> bool:
        try:
            bookmarks, tours = rename_bookmark(self.bookmarks, self.tours, old, new)
        except TwinError as error:
            self.said.emit(str(error))
            self.fill(chosen=[old])
            return False
        self._change(bookmarks, tours, chosen=[new.strip()])
        return True

    def set_words(self, name: str, caption: str, text: str) -> None:
        """A bookmark's caption and short text, as shown over the view when presenting."""
        old = find_bookmark(self.bookmarks, name)
        if (old.caption, old.text) == (caption, text):
            return
        changed = Bookmark(old.name, old.camera, old.view_angle, old.layers, old.time_step, caption, text)
        self._change([changed if bookmark.name == name else bookmark for bookmark in self.bookmarks],
                     self.tours, chosen=[name])

    def move(self, name: str, offset: int) -> None:
        names = [bookmark.name for bookmark in self.bookmarks]
        self._change(moved(self.bookmarks, names.index(name), offset), self.tours, chosen=[name])

    def delete(self, names: list[str]) -> None:
        """Delete bookmarks; the tours skip them (a tour left without a stop goes too)."""
        bookmarks, tours = self.bookmarks, self.tours
        for name in names:
            bookmarks, tours = delete_bookmark(bookmarks, tours, name)
        self._change(bookmarks, tours)

    def make_tour(self, names: list[str]) -> Tour:
        """A tour through these bookmarks, in the list's order."""
        order = [bookmark.name for bookmark in self.bookmarks if bookmark.name in names]
        if not order:
            raise ValueError("a tour needs at least one bookmark: choose them in the list first")
        taken = [tour.name for tour in self.tours]
        tour = Tour(unused_name(f"Tour {len(taken) + 1}", taken), tuple(order))
        self._change(self.bookmarks, [*self.tours, tour], chosen_tour=tour.name)
        return tour

    def move_tour(self, name: str, offset: int) -> None:
        names = [tour.name for tour in self.tours]
        self._change(self.bookmarks, moved(self.tours, names.index(name), offset), chosen_tour=name)

    def move_stop(self, tour_name: str, index: int, offset: int) -> None:
        """The tour visits its stop number `index` (from 0) `offset` places earlier or later."""
        tour = find_tour(self.tours, tour_name)
        self.reorder_stops(tour_name, moved(list(tour.bookmarks), index, offset),
                           chosen_stop=max(0, min(index + offset, len(tour.bookmarks) - 1)))

    def reorder_stops(self, tour_name: str, stops: list[str], chosen_stop: int | None = None) -> None:
        """The tour's stops in this order (the same stops, rearranged)."""
        tour = find_tour(self.tours, tour_name)
        if sorted(stops) != sorted(tour.bookmarks):
            raise ValueError(f"tour '{tour_name}' stops at {list(tour.bookmarks)}; "
                             "only their order can change")
        changed = replace(tour, bookmarks=tuple(stops))
        self._change(self.bookmarks, [changed if each.name == tour_name else each for each in self.tours],
                     chosen_tour=tour_name)
        if chosen_stop is not None:
            self.stop_list.setCurrentRow(chosen_stop)

    def delete_tour(self, name: str) -> None:
        self._change(self.bookmarks, [tour for tour in self.tours if tour.name != name])

    def play(self, name: str) -> None:
        tour = next(tour for tour in self.tours if tour.name == name)
        self.player.play(tour, self.bookmarks)
        self._update_buttons()

    # Showing --------------------------------------------------------------------------------

    def fill(self, chosen: list[str] | None = None, chosen_tour: str | None = None) -> None:
        """The lists again from the session, keeping (or making) the choice."""
        chosen = chosen if chosen is not None else self.chosen_bookmarks()
        self.bookmark_list.blockSignals(True)
        self.bookmark_list.clear()
        for bookmark in self.bookmarks:
            item = QListWidgetItem(bookmark.name)
            item.setData(NAME_ROLE, bookmark.name)
            item.setToolTip(bookmark.caption or bookmark.name)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsEditable)
            self.bookmark_list.addItem(item)
            item.setSelected(bookmark.name in chosen)
        self.bookmark_list.blockSignals(False)
        chosen_tour = chosen_tour or self.chosen_tour()
        self.tour_list.blockSignals(True)
        self.tour_list.clear()
        for tour in self.tours:
            item = QListWidgetItem(f"{tour.name}: {' > '.join(tour.bookmarks)}")
            item.setData(NAME_ROLE, tour.name)
            self.tour_list.addItem(item)
            item.setSelected(tour.name == chosen_tour)
        self.tour_list.blockSignals(False)
        self._fill_stops()
        self._bookmark_chosen()

    def _fill_stops(self) -> None:
        """The chosen tour's stops, in the order it visits them."""
        name = self.chosen_tour()
        stops = find_tour(self.tours, name).bookmarks if name is not None else ()
        self.stop_list.blockSignals(True)
        self.stop_list.clear()
        for stop in stops:
            item = QListWidgetItem(stop)
            item.setData(NAME_ROLE, stop)
            self.stop_list.addItem(item)
        self.stop_list.blockSignals(False)

    def chosen_bookmarks(self) -> list[str]:
        return [self._name(item) for item in self.bookmark_list.selectedItems()]

    def chosen_tour(self) -> str | None:
        items = self.tour_list.selectedItems()
        return self._name(items[0]) if items else None

    # Building -------------------------------------------------------------------------------

    def _list(self, selection: QAbstractItemView.SelectionMode) -> QListWidget:
        widget = QListWidget()
        widget.setSelectionMode(selection)
        widget.setDragDropMode(QAbstractItemView.DragDropMode.InternalMove)
        widget.setEditTriggers(QAbstractItemView.EditTrigger.EditKeyPressed
                               | QAbstractItemView.EditTrigger.SelectedClicked)
        widget.setMinimumHeight(90)
        return widget

    def _words_form(self) -> QFormLayout:
        form = QFormLayout()
        self.caption_edit, self.text_edit = QLineEdit(), QLineEdit()
        self.caption_edit.setPlaceholderText("shown in large type when presenting")
        self.text_edit.setPlaceholderText("a short line under the caption")
        for edit in (self.caption_edit, self.text_edit):
            edit.editingFinished.connect(self._words_edited)
        form.addRow("Caption:", self.caption_edit)
        form.addRow("Text:", self.text_edit)
        return form

    def _bookmark_buttons(self) -> QGridLayout:
        grid = QGridLayout()
        self.add_button = self._button("Add view", "Keep the current view as a bookmark",
                                       lambda: self.add_bookmark())
        self.go_button = self._button("Go to", "Show the chosen bookmark",
                                      lambda: self.go_to(self.chosen_bookmarks()[0]))
        self.update_button = self._button("Update", "The chosen bookmark takes the current view",
                                          lambda: self.update_from_view(self.chosen_bookmarks()[0]))
        self.up_button = self._button("Up", "Move the chosen bookmark up",
                                      lambda: self.move(self.chosen_bookmarks()[0], -1))
        self.down_button = self._button("Down", "Move the chosen bookmark down",
                                        lambda: self.move(self.chosen_bookmarks()[0], 1))
        self.delete_button = self._button("Delete", "Delete the chosen bookmarks",
                                          lambda: self.delete(self.chosen_bookmarks()))
        buttons = (self.add_button, self.go_button, self.update_button, self.up_button, self.down_button,
                   self.delete_button)
        for index, button in enumerate(buttons):
            grid.addWidget(button, index // 3, index % 3)
        return grid

    def _tour_buttons(self) -> QGridLayout:
        grid = QGridLayout()
        self.new_tour_button = self._button("New tour", "A tour through the chosen bookmarks, in their order",
                                            lambda: self.make_tour(self.chosen_bookmarks()))
        self.play_button = self._button("Play", "Fly the camera along the chosen tour",
                                        lambda: self.play(self.chosen_tour()))
        self.stop_button = self._button("Stop", "Stop the tour playing", self.player.stop)
        self.tour_up_button = self._button("Up", "Move the chosen tour up",
                                           lambda: self.move_tour(self.chosen_tour(), -1))
        self.tour_down_button = self._button("Down", "Move the chosen tour down",
                                             lambda: self.move_tour(self.chosen_tour(), 1))
        self.delete_tour_button = self._button("Delete", "Delete the chosen tour (its bookmarks stay)",
                                               lambda: self.delete_tour(self.chosen_tour()))
        buttons = (self.new_tour_button, self.play_button, self.stop_button, self.tour_up_button,
                   self.tour_down_button, self.delete_tour_button)
        for index, button in enumerate(buttons):
            grid.addWidget(button, index // 3, index % 3)
        return grid

    def _stop_buttons(self) -> QGridLayout:
        grid = QGridLayout()
        self.stop_up_button = self._button("Earlier", "The tour visits the chosen stop one place earlier",
                                           lambda: self._move_chosen_stop(-1))
        self.stop_down_button = self._button("Later", "The tour visits the chosen stop one place later",
                                             lambda: self._move_chosen_stop(1))
        grid.addWidget(self.stop_up_button, 0, 0)
        grid.addWidget(self.stop_down_button, 0, 1)
        return grid

    def _button(self, text: str, tip: str, slot: Callable[[], object]) -> QPushButton:
        button = QPushButton(text)
        button.setToolTip(tip)
        button.clicked.connect(lambda: slot())
        return button

    # Reacting -------------------------------------------------------------------------------

    def _change(self, bookmarks: list[Bookmark], tours: list[Tour], chosen: list[str] | None = None,
                chosen_tour: str | None = None) -> None:
        self.session.set_presentation(bookmarks, tours)
        self.fill(chosen, chosen_tour)

    def _name(self, item: QListWidgetItem) -> str:
        return item.data(NAME_ROLE)

    def _renamed_in_place(self, item: QListWidgetItem) -> None:
        old, new = self._name(item), item.text()
        if new != old:  # after the editor has closed: renaming fills the list anew
            QTimer.singleShot(0, lambda: self.rename(old, new))

    def _dragged(self, *_: object) -> None:
        """The bookmarks in the order the list shows after a drag."""
        order = [self._name(self.bookmark_list.item(row)) for row in range(self.bookmark_list.count())]
        by_name = {bookmark.name: bookmark for bookmark in self.bookmarks}
        QTimer.singleShot(0, lambda: self._change([by_name[name] for name in order], self.tours,
                                                  chosen=self.chosen_bookmarks()))

    def _move_chosen_stop(self, offset: int) -> None:
        self.move_stop(self.chosen_tour(), self.stop_list.currentRow(), offset)

    def _stop_dragged(self, *_: object) -> None:
        """The chosen tour's stops in the order the list shows after a drag."""
        tour, row = self.chosen_tour(), self.stop_list.currentRow()
        order = [self._name(self.stop_list.item(index)) for index in range(self.stop_list.count())]
        QTimer.singleShot(0, lambda: self.reorder_stops(tour, order, chosen_stop=row))

    def _tour_chosen(self) -> None:
        self._fill_stops()
        self._update_buttons()

    def _bookmark_chosen(self) -> None:
        chosen = self.chosen_bookmarks()
        bookmark = find_bookmark(self.bookmarks, chosen[0]) if len(chosen) == 1 else None
        for edit, words in ((self.caption_edit, bookmark.caption if bookmark else ""),
                            (self.text_edit, bookmark.text if bookmark else "")):
            edit.blockSignals(True)
            edit.setText(words)
            edit.setEnabled(bookmark is not None)
            edit.blockSignals(False)
        self._update_buttons()

    def _words_edited(self) -> None:
        chosen = self.chosen_bookmarks()
        if len(chosen) == 1:
            self.set_words(chosen[0], self.caption_edit.text(), self.text_edit.text())

    def _update_buttons(self) -> None:
        one = len(self.chosen_bookmarks()) == 1
        for button in (self.go_button, self.update_button, self.up_button, self.down_button):
            button.setEnabled(one)
        self.delete_button.setEnabled(bool(self.chosen_bookmarks()))
        self.new_tour_button.setEnabled(bool(self.chosen_bookmarks()))
        tour = self.chosen_tour() is not None
        for button in (self.play_button, self.tour_up_button, self.tour_down_button, self.delete_tour_button):
            button.setEnabled(tour)
        self.stop_button.setEnabled(self.player.playing)
        stop = tour and self.stop_list.currentRow() >= 0 and bool(self.stop_list.selectedItems())
        self.stop_up_button.setEnabled(stop)
        self.stop_down_button.setEnabled(stop)
