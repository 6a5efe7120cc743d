"""Off-screen frame time of the full demo scene: SceneView's merged meshes against one actor per
building and per street segment (the naive way), measured in the same run.

    python benchmarks/bench_render.py [--frames 30] [--size 1280x800]

Each figure is the median over N renders after a warm-up, the camera turning a little between
frames so every frame is really drawn.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import pyvista as pv

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from data.demo import demo_project  # noqa: E402
from twin.core.project import Project  # noqa: E402
from twin.io.project import open_project  # noqa: E402
from twin.render import SceneView  # noqa: E402
from twin.render.meshes import Ground, building_mesh, street_lines  # noqa: E402


def frame_times(plotter: pv.Plotter, frames: int) -> list[float]:
    plotter.screenshot(return_img=True)  # the first frame uploads everything
    for _ in range(3):
        plotter.camera.azimuth += 0.5
        plotter.render()
    times = []
    for _ in range(frames):
        plotter.camera.azimuth += 0.5
        start = time.perf_counter()
        plotter.render()
        plotter.render_window.WaitForCompletion()
        times.append(time.perf_counter() - start)
    return times


def add_naively(scene, view: SceneView, plotter: pv.Plotter) -> int:
    """The same buildings and streets as one actor each; terrain and stations as SceneView draws them."""
    actors = 0
    ground = Ground([raster.data for raster in scene.layers_of_kind("raster")])
    for layer in scene.layers:
        if not layer.visible:
            continue
        if layer.kind == "buildings":
            mesh = building_mesh(layer.data, view.origin)
            for building in range(len(layer.data)):
                part = mesh.extract_cells(np.flatnonzero(mesh.cell_data["building"] == building))
                if part.n_cells:
                    plotter.add_mesh(part, color="#d9cbb8", reset_camera=False)
                    actors += 1
        elif layer.kind == "streets":
            lines = street_lines(layer.data, view.origin, ground)
            for segment in range(len(layer.data)):
                plotter.add_mesh(lines.extract_cells(np.flatnonzero(lines.cell_data["feature"] == segment)),
                                 color="#404040", line_width=3, reset_camera=False)
                actors += 1
        elif view.mesh_of(layer) is not None:  # terrain, stations: the same mesh and colours
            colouring = view.colouring_of(layer)
            style = colouring.mesh_style() if colouring else {"color": "#d62728"}
            plotter.add_mesh(view.mesh_of(layer), reset_camera=False, show_scalar_bar=False, **style)
    return actors


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=30)
    parser.add_argument("--size", default="1280x800")
    args = parser.parse_args()
    size = tuple(int(value) for value in args.size.split("x"))

    scene = open_project(Project.load(demo_project())).scene
    plotter = pv.Plotter(off_screen=True, window_size=size)
    view = SceneView(scene, plotter)
    view.reset_camera()
    merged = statistics.median(frame_times(plotter, args.frames))
    merged_actors = plotter.renderer.GetActors().GetNumberOfItems()

    naive_plotter = pv.Plotter(off_screen=True, window_size=size)
    naive_plotter.set_background("#eef2f5", top="#b8c8d8")
    naive_actors = add_naively(scene, view, naive_plotter)
    for name in ("position", "focal_point", "up"):
        setattr(naive_plotter.camera, name, getattr(plotter.camera, name))
    naive_plotter.reset_camera_clipping_range()
    naive = statistics.median(frame_times(naive_plotter, args.frames))

    print(f"demo scene, {size[0]}x{size[1]} off-screen, median of {args.frames} frames")
    print(f"SceneView (merged meshes, {merged_actors} actors): {merged * 1000:8.1f} ms/frame")
    print(f"naive ({naive_actors} building and street actors): {naive * 1000:8.1f} ms/frame")
    print(f"ratio naive / merged: {naive / merged:.1f}x")


if __name__ == "__main__":
    main()
