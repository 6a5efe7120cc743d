"""Films of tours: MP4 (H.264, yuv420p, which every player and slide program plays) through ffmpeg.

The ffmpeg binary is the one imageio-ffmpeg's wheel ships, so no system ffmpeg is needed. Frames
are drawn off-screen one by one (twin/render/export.py) with the caption of the bookmark the
camera left last, and piped to ffmpeg. The film is written to a temporary file beside the target
(named as twin/core/atomic.py names its temporaries, so one left by a killed process is cleared)
and renamed into place when complete: a cancelled or failed export leaves no partial file, and an
earlier film of the same name stays as it was.

A flood run's depth snapshots along a camera path are a tour too: two bookmarks at the first and
the last time step, `play_time_steps = true`, and the steps play while the camera flies.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import imageio_ffmpeg
import numpy as np

from twin.core.atomic import SaveError, why_not_written
from twin.core.bookmarks import Bookmark, Tour
from twin.core.feedback import Feedback
from twin.core.scene import Scene
from twin.core.tour import Frame, tour_frames
from twin.render.export import Caption, ExportError, Look, OffscreenView, check_size

FILM_SIZE = (1920, 1080)
FILM_FPS = 30
QUALITY = 8  # imageio-ffmpeg's 0..10 scale: 8 keeps thin streets and text sharp at about 10 Mbit/s at 1080p


@dataclass(frozen=True)
class FilmReport:
    path: Path
    frames: int
    seconds: float  # the film's length


def film_tour(scene: Scene, tour: Tour, bookmarks: list[Bookmark], path: Path | str,
              size: tuple[int, int] = FILM_SIZE, fps: int = FILM_FPS,
              feedback: Feedback | None = None, legends: bool = True, look: Look | None = None) -> FilmReport:
    """Write the tour as an MP4 film; `feedback` shows progress per frame and may cancel (Canceled)."""
    _check_film(Path(path), check_size(size), fps)
    frames = tour_frames(tour, bookmarks, fps)
    return film_frames(scene, frames, path, size, fps, feedback, legends, look)


def film_frames(scene: Scene, frames: list[Frame], path: Path | str, size: tuple[int, int] = FILM_SIZE,
                fps: int = FILM_FPS, feedback: Feedback | None = None, legends: bool = True,
                look: Look | None = None) -> FilmReport:
    """Draw each frame off-screen and encode them; nothing is left at `path` unless all were written.

    The frames change the scene's looks and time steps and draw it in a view of their own, so the
    window films a detached copy of its scene (twin.render.linked_views.detached_scene) on a worker
    thread while it goes on answering its user. A cancel stops at the next frame: the one being
    drawn is not encoded.
    """
    path, size = Path(path), check_size(size)
    _check_film(path, size, fps)
    feedback = feedback or Feedback()
    with OffscreenView(scene, size, look) as view, _TemporaryFilm(path) as partial:
        writer = imageio_ffmpeg.write_frames(
            str(partial), size, fps=fps, codec="libx264", pix_fmt_out="yuv420p", quality=QUALITY,
            macro_block_size=2, output_params=["-f", "mp4", "-movflags", "+faststart"])
        writer.send(None)  # starts ffmpeg
        try:
            for number, frame in enumerate(frames):
                feedback.progress(number / len(frames), f"frame {number + 1} of {len(frames)}")
                view.show_frame(frame)
                picture = view.picture(size, Caption.of(frame.bookmark), legends=legends)
                feedback.check()  # cancelled while the frame was drawn: it is not encoded
                writer.send(np.ascontiguousarray(np.asarray(picture)))
        finally:
            writer.close()  # waits for ffmpeg to finish the file (or to stop, after a cancel)
        partial.keep()
    feedback.progress(1.0, "film written")
    return FilmReport(path, len(frames), len(frames) / fps)


def _check_film(path: Path, size: tuple[int, int], fps: int) -> None:
    if path.suffix.lower() != ".mp4":
        raise ExportError(f"{path}: films are written as MP4; name the file .mp4")
    if size[0] % 2 or size[1] % 2:
        raise ExportError(f"film size {size[0]}x{size[1]} must have an even width and height (H.264 yuv420p)")
    if not 1 <= fps <= 120:
        raise ExportError(f"frames per second must lie between 1 and 120, got {fps}")


class _TemporaryFilm(os.PathLike):
    """A temporary file beside the film, renamed into place by `keep()`, removed otherwise."""

    def __init__(self, target: Path) -> None:
        self.target = target
        try:
            handle, name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.{os.getpid()}-",
                                            suffix=".twin-tmp")
        except OSError as error:
            raise SaveError(target, f"cannot be saved: {why_not_written(error)}") from None
        os.close(handle)
        os.chmod(name, 0o644)  # mkstemp's file is private; a film is meant to be passed on
        self.path = Path(name)
        self._kept = False

    def __fspath__(self) -> str:
        return str(self.path)

    def __str__(self) -> str:
        return str(self.path)

    def __enter__(self) -> _TemporaryFilm:
        return self

    def keep(self) -> None:
        try:
            os.replace(self.path, self.target)
        except OSError as error:
            raise SaveError(self.target, f"cannot be saved: {why_not_written(error)}") from None
        self._kept = True

    def __exit__(self, *_exc: object) -> None:
        if not self._kept:
            self.path.unlink(missing_ok=True)
