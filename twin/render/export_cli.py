"""The `render` and `film` commands: a project's bookmark as a picture, its tour as a film, off-screen.

twin/cli.py parses the arguments and hands them here with its progress bar; errors are TwinErrors
(one sentence on stderr, exit status 2), Ctrl-C while filming leaves no file (exit status 130).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import vtk

from twin.core.bookmarks import find_bookmark, find_tour
from twin.core.feedback import Canceled, Feedback, ProgressListener
from twin.core.project import Project
from twin.io.project import OpenedProject, open_project
from twin.render.export import Caption, ExportError, OffscreenView, parse_size, save_picture
from twin.render.film import film_tour
from twin.render.look import BERLIN_TIME, PresentationLook

EXIT_OK, EXIT_CANCELED = 0, 130
SSAA_UP_TO = 1920  # px, the longer side: larger pictures are drawn without supersampling
OPENING_SHARE = 0.3  # of the progress bar: opening the project's layers; the rest is drawing


def render_command(args: argparse.Namespace, progress: ProgressListener, say: Callable[[str], None]) -> int:
    """`render PROJECT.toml [--bookmark NAME] [--size WxH] --out PNG`: one picture of the project."""
    size = parse_size(args.size)
    project = Project.load(args.project)
    bookmark = find_bookmark(project.bookmarks, args.bookmark) if args.bookmark else None
    feedback = Feedback(progress)
    opened = _open(project, feedback, say)
    feedback.progress(OPENING_SHARE, f"drawing {size[0]}x{size[1]}")
    with OffscreenView(opened.scene, size, _look(args, size)) as view:
        if bookmark is not None:
            view.show_bookmark(bookmark)
        elif opened.camera is not None:
            view.view.set_camera(opened.camera)
        caption = Caption.of(bookmark) if bookmark else Caption()
        picture = view.picture(size, caption, legends=not args.no_legends)
    save_picture(picture, Path(args.out))
    feedback.progress(1.0, "picture written")
    return EXIT_OK


def film_command(args: argparse.Namespace, progress: ProgressListener, say: Callable[[str], None]) -> int:
    """`film PROJECT.toml --tour NAME --out MP4 [--size WxH] [--fps N]`: the tour as an MP4 film."""
    size = parse_size(args.size)
    project = Project.load(args.project)
    tour = find_tour(project.tours, args.tour)
    feedback = Feedback(progress)
    opened = _open(project, feedback, say)
    try:
        report = film_tour(opened.scene, tour, project.bookmarks, Path(args.out), size, args.fps,
                           feedback.span(OPENING_SHARE, 1.0), legends=not args.no_legends,
                           look=_look(args, size))
    except (Canceled, KeyboardInterrupt):
        say("cancelled; no film was written")
        return EXIT_CANCELED
    print(f"{tour.name}: {report.frames} frames ({report.seconds:.1f} s at {args.fps} fps) "
          f"written to {report.path}")
    return EXIT_OK


def _look(args: argparse.Namespace, size: tuple[int, int]) -> PresentationLook | None:
    """The presentation look with the sun at `--sun` (local time in Dresden), or None for the analytic one."""
    if args.look != "presentation":
        return None
    try:
        when = datetime.fromisoformat(args.sun)
    except ValueError:
        raise ExportError(f"--sun '{args.sun}' must be a date and time like 2026-06-21T16:00") from None
    when = when if when.tzinfo else when.replace(tzinfo=BERLIN_TIME)
    # Off-screen EGL has no FXAA: supersampling is what it would fall back to anyway, without the
    # warning. Past full HD the picture is its own supersampling once shown smaller, and SSAA would
    # draw a 4K picture at 8K in software.
    return PresentationLook(when=when, anti_aliasing="ssaa" if max(size) <= SSAA_UP_TO else None)


def _open(project: Project, feedback: Feedback, say: Callable[[str], None]) -> OpenedProject:
    # VTK warns on stderr that it found no X server before it falls back to off-screen EGL: not news here.
    vtk.vtkLogger.SetStderrVerbosity(vtk.vtkLogger.VERBOSITY_ERROR)
    opened = open_project(project, feedback.span(0.0, OPENING_SHARE))
    for problem in opened.problems:
        say(f"note: {problem}")
    return opened
