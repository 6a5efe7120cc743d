"""The presentation look against the analytic look, and the cost of a film frame, on the demo city.

1. Frames per second while the camera turns around Johannstadt (the window's size, off-screen):
   the analytic look and the presentation look (sun, shadows, crowns, SSAO, anti-aliasing) in the
   same run, alternating, the fastest of each counted (other processes only slow a run down).
2. Seconds per exported film frame at 1920x1080 in the presentation look: a short tour written
   as MP4 through film_frames (drawing, legends and caption, H.264 encoding), per frame.

On a machine without a GPU (software OpenGL) the frame rates are far below a GPU's: there, export
a tour rather than play it.

    .venv/bin/python benchmarks/bench_presentation.py [--size 1280x720] [--frames 24] [--film-frames 12]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import vtk  # noqa: E402

from data.demo import demo_project  # noqa: E402
from twin.core.bookmarks import Tour  # noqa: E402
from twin.core.project import Project  # noqa: E402
from twin.core.tour import tour_frames  # noqa: E402
from twin.io.project import open_project  # noqa: E402
from twin.render.export import OffscreenView, bookmark_of, parse_size  # noqa: E402
from twin.render.film import film_frames  # noqa: E402
from twin.render.look import PresentationLook  # noqa: E402

REPEATS = 2


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="1280x720", help="the view's size for the frame rates")
    parser.add_argument("--frames", type=int, default=24, help="frames per frame-rate measurement")
    parser.add_argument("--film-frames", type=int, default=12, help="frames of the 1080p film")
    parser.add_argument("--quarter", default="Johannstadt")
    args = parser.parse_args()
    vtk.vtkLogger.SetStderrVerbosity(vtk.vtkLogger.VERBOSITY_ERROR)
    started = time.perf_counter()
    scene = open_project(Project.load(demo_project())).scene
    print(f"demo city opened in {time.perf_counter() - started:.1f} s")
    quarter = next(quarter for quarter in scene.quarters if quarter.name == args.quarter)
    size = parse_size(args.size)
    rates: dict[str, list[float]] = {"analytic": [], "presentation": []}
    for _ in range(REPEATS):
        for name in rates:
            look = PresentationLook(anti_aliasing="ssaa") if name == "presentation" else None
            with OffscreenView(scene, size, look) as view:
                view.view.zoom_to(quarter.polygon.bounds)
                rates[name].append(frames_per_second(view, args.frames))
    for name, measured in rates.items():
        print(f"{name:>12} look at {size[0]}x{size[1]}: {max(measured):6.2f} frames/s "
              f"(runs: {', '.join(f'{rate:.2f}' for rate in measured)})")
    print(f"presentation / analytic: {max(rates['presentation']) / max(rates['analytic']):.2f}")
    seconds = film_seconds_per_frame(scene, quarter.polygon.bounds, args.film_frames)
    print(f"film at 1920x1080, presentation look: {seconds:.2f} s per frame "
          f"({args.film_frames} frames, drawing + legends + caption + H.264)")


def frames_per_second(view: OffscreenView, frames: int) -> float:
    """Frames drawn per second while the camera turns a full circle around the focal point."""
    view.plotter.render()  # the first frame builds shaders and buffers: not counted
    camera = view.plotter.camera
    started = time.perf_counter()
    for _ in range(frames):
        camera.Azimuth(360.0 / frames)
        view.plotter.render()
    view.plotter.screenshot(return_img=True)  # waits for the last frame to finish
    return frames / (time.perf_counter() - started)


def film_seconds_per_frame(scene, bounds: tuple[float, float, float, float], frames: int) -> float:
    with OffscreenView(scene, (640, 360)) as view:
        view.view.zoom_to(bounds)
        start = bookmark_of(view.view, "start")
        view.plotter.camera.Azimuth(40.0)
        end = bookmark_of(view.view, "end")
    tour = Tour("bench", ("start", "end"), seconds_per_leg=frames / 30.0, seconds_per_stop=0.0)
    planned = tour_frames(tour, [start, end], 30)
    with tempfile.TemporaryDirectory() as folder:
        started = time.perf_counter()
        film_frames(scene, planned, Path(folder) / "bench.mp4", (1920, 1080), 30,
                    look=PresentationLook(anti_aliasing="ssaa"))
        return (time.perf_counter() - started) / len(planned)


if __name__ == "__main__":
    main()
