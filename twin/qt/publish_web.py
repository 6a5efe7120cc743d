"""File > Publish for the web...: the saved project as a static site (twin/web/site.py), written
in the background with progress and Cancel, limited to the quarter chosen in the toolbar."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtWidgets import QFileDialog, QMenu, QMessageBox

from twin.core.errors import TwinError
from twin.core.feedback import Feedback
from twin.core.project import Project
from twin.qt.jobs import Job
from twin.web.site import SITE_MARK, PublishedSite, publish

if TYPE_CHECKING:
    from twin.qt.main_window import MainWindow

MENU_TEXT = "Publish for the &web..."


def install_publish(window: MainWindow, file_menu: QMenu) -> None:
    """The File menu's entry."""
    file_menu.addAction(MENU_TEXT).triggered.connect(lambda: publish_for_web(window))


def publish_for_web(window: MainWindow, dest: Path | None = None) -> Job | None:
    """Publish the saved project (saving unsaved changes first, after asking) into `dest`, or a
    folder the user chooses; None where the user stopped or something was wrong (said in a box)."""
    session = window.session
    if (session.dirty or session.path is None) and not _saved_first(window):
        return None
    dest = dest or _choose_folder(window, session.path)
    if dest is None:
        return None
    replace = dest.exists() and not (dest.is_dir() and not any(dest.iterdir()))  # an empty folder is new
    if replace and not _may_replace(window, dest):
        return None
    try:
        project = Project.load(session.path)
    except TwinError as error:
        window.show_error(str(error))
        return None
    quarter = _chosen_quarter(window)

    def work(feedback: Feedback) -> PublishedSite:
        return publish(project, dest, feedback, quarter=quarter, replace=replace)

    job = Job(f"Publishing {project.path.name} for the web", work, window)
    say = window.statusBar().showMessage
    job.succeeded.connect(lambda site: say(f"Published the site: open {site.folder / 'index.html'} "
                                           "in a browser", 20_000))
    job.failed.connect(window.show_error)
    job.canceled.connect(lambda: say("Publishing was cancelled; nothing was written", 10_000))
    window.jobs_bar.track(job)
    job.start()
    return job


def _chosen_quarter(window: MainWindow) -> str | None:
    """The quarter chosen in the toolbar, None for the whole city."""
    name = window.quarter_box.currentText()
    return name if name in [quarter.name for quarter in window.scene.quarters] else None


def _saved_first(window: MainWindow) -> bool:
    buttons = QMessageBox.StandardButton.Save | QMessageBox.StandardButton.Cancel
    answer = QMessageBox.question(window, "Publish for the web", "The site shows the project as it is "
                                  "saved. Save the project first?", buttons, QMessageBox.StandardButton.Save)
    return (answer == QMessageBox.StandardButton.Save and window.save_project()
            and not window.session.dirty)


def _choose_folder(window: MainWindow, project_path: Path) -> Path | None:
    start = Path.home() / f"{project_path.stem}-site"
    path, _ = QFileDialog.getSaveFileName(window, "Publish the project as a web site in a new folder",
                                          str(start), "Site folder (*)",
                                          options=QFileDialog.Option.DontConfirmOverwrite)
    return Path(path) if path else None


def _may_replace(window: MainWindow, dest: Path) -> bool:
    """Only an earlier published site is ever replaced, and only when the user agrees."""
    if not (dest / SITE_MARK).is_file():
        window.show_error(f"{dest}: already exists and is not an earlier published site; choose a new name")
        return False
    answer = QMessageBox.question(window, "Publish for the web", f"{dest} holds an earlier site. Replace it?")
    return answer == QMessageBox.StandardButton.Yes
