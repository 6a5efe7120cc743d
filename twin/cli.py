"""The command line behind main.py: `info`, `plugins`, `demo`, `run`, `batch` and `tiles`; the desktop app
when none is given.

Exit status: 0 done, 1 the simulation failed, 2 bad input (file, scenario, parameter),
130 cancelled with Ctrl-C, 141 the reader of the output went away (`info FILE | head -1`), as
for a command killed by SIGPIPE. Errors are one sentence on stderr, never a traceback.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import threading
import time
import tomllib
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TextIO

from twin import __version__
from twin.core.errors import TwinError
from twin.core.feedback import Feedback
from twin.core.memory import bound_software_renderer_memory, limit_allocator_arenas
from twin.core.paths import UnsuitablePath, read_toml_text
from twin.core.scenario import Scenario
from twin.io import file_info
from twin.io.tiles import PRODUCTS as TILE_PRODUCTS
from twin.io.tiles import download_names, tiles_for_area
from twin.sim.registry import SimulationRegistry
from twin.sim.runner import RunReport, RunStatus
from twin.sim.scenario_run import check_run_folder, run_scenario, write_run

EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT, EXIT_CANCELED, EXIT_PIPE_CLOSED = 0, 1, 2, 130, 141


def main(argv: Sequence[str] | None = None) -> int:
    limit_allocator_arenas()
    bound_software_renderer_memory()
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        status = _gui(args) if args.command is None else args.handler(args)
        sys.stdout.flush()  # here, not at exit, so that a closed pipe is caught below
        return status
    except TwinError as error:
        _say(f"error: {error}")
        return EXIT_BAD_INPUT
    except BrokenPipeError:
        # Whoever read stdout stopped reading: nothing more can be said there, and Python's
        # flush at exit must not fail again (it would print a traceback).
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_PIPE_CLOSED


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python main.py",
        description="Dresden urban twin. Without a command, opens the desktop app on the "
                    "embedded demo city.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument("--project", type=Path, metavar="PROJECT.toml",
                        help="open this project instead of the demo city")
    parser.add_argument("--screenshot", type=Path, metavar="OUT.png",
                        help="render the app window once off-screen, save it and exit")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    info = commands.add_parser("info", help="summarise a data file (kind, CRS, bounds, counts)")
    info.add_argument("path", help="a data file, or a SensorThings service's http(s):// URL")
    info.add_argument("--token-env", metavar="NAME",
                      help="a service's token: read from this environment variable (never stored)")
    info.add_argument("--crs", help="the CRS to assume where the file names none, e.g. EPSG:25833")
    info.add_argument("--json", action="store_true", help="print one JSON object")
    info.set_defaults(handler=_info)

    plugins = commands.add_parser("plugins", help="list the installed simulations")
    plugins.add_argument("--all", action="store_true", help="include hidden self-tests")
    plugins.add_argument("--json", action="store_true", help="print the contracts as JSON")
    plugins.set_defaults(handler=_plugins)

    demo = commands.add_parser("demo", help="generate the demo city (cached) and print its files")
    demo.add_argument("--out", type=Path, metavar="DIR",
                      help="write a fresh copy here instead of the cache under data/cache/")
    demo.set_defaults(handler=_demo)

    run = commands.add_parser("run", help="run a scenario headless and write its results")
    run.add_argument("scenario", type=Path, metavar="SCENARIO.toml")
    run.add_argument("--out", type=Path, metavar="DIR",
                     help="output folder (default: runs/<scenario>-<date-time>)")
    run.add_argument("--quiet", action="store_true", help="no progress bar")
    run.set_defaults(handler=_run)

    batch = commands.add_parser("batch", help="run scenarios over the product of parameter variations on "
                                              "Dask (a local cluster, or --scheduler) into one table")
    batch.add_argument("scenarios", type=Path, nargs="+", metavar="SCENARIO.toml")
    batch.add_argument("--vary", action="append", metavar="KEY=V1,V2,...",
                       help="a parameter and its values (repeatable: the runs are the product)")
    batch.add_argument("--quarters", nargs="+", metavar="NAME", help="run on these quarters instead")
    batch.add_argument("--scheduler", metavar="tcp://HOST:8786", help="an existing Dask scheduler")
    batch.add_argument("--workers", type=int, metavar="N", help="local worker processes (default: cores)")
    batch.add_argument("--out", type=Path, required=True, metavar="DIR",
                       help="the batch folder: runs/KEY/ per run, batch.parquet and batch.csv")
    batch.set_defaults(handler=_batch)

    citywide = commands.add_parser("citywide", help="a flood scenario over a whole city: sub-catchment "
                                                    "domains run on Dask, stitched into COGs and tables")
    citywide.add_argument("scenario", type=Path, metavar="SCENARIO.toml")
    citywide.add_argument("--out", type=Path, required=True, metavar="DIR",
                          help="max_depth/max_velocity/arrival_time.tif, tables, citywide.json")
    citywide.add_argument("--workers", type=int, metavar="N", help="local worker processes (default: 2)")
    citywide.add_argument("--scheduler", metavar="tcp://HOST:8786", help="an existing Dask scheduler")
    citywide.add_argument("--domain-m", type=float, default=1000.0, metavar="M",
                          help="domains of about this many metres square (default 1000)")
    citywide.add_argument("--buffer-m", type=float, default=150.0, metavar="M",
                          help="each domain runs this far beyond its own cells (default 150)")
    citywide.set_defaults(handler=_citywide)

    watch = commands.add_parser("watch", help="follow a live rain gauge and run flood nowcasts on a rule "
                                              "(the scenario's [watch] table; Ctrl-C stops)")
    watch.add_argument("scenario", type=Path, metavar="SCENARIO.toml")
    watch.set_defaults(handler=_watch)

    tiles = commands.add_parser("tiles", help="the GeoSN 2 km tiles covering a quarter or a box")
    tiles.add_argument("area", metavar="QUARTER_OR_BBOX",
                       help="a quarter's name, or xmin,ymin,xmax,ymax in EPSG:25833")
    tiles.add_argument("--quarters", type=Path, metavar="FILE",
                       help="the quarters file (default: data/quarters.geojson)")
    tiles.add_argument("--product", choices=sorted(TILE_PRODUCTS), action="append",
                       help="only these products' file names (repeatable); default: all")
    tiles.set_defaults(handler=_tiles)
    pack = commands.add_parser("pack", help="copy a project with its data and runs into a new folder "
                                            "(or DEST.zip) that opens on another machine")
    pack.add_argument("project", type=Path, metavar="PROJECT.toml")
    pack.add_argument("dest", type=Path, metavar="DEST", help="a new folder, or a .zip file")
    pack.add_argument("--replace", action="store_true", help="replace an earlier pack at DEST")
    pack.set_defaults(handler=_pack)
    _add_publish_command(commands)
    _add_presenting_commands(commands)
    _add_effect_command(commands)
    return parser


def _add_effect_command(commands: argparse._SubParsersAction) -> None:
    effect = commands.add_parser("effect", help="run a scenario before and with its proposals file and "
                                                "write the differences, figures side by side and costs")
    effect.add_argument("scenario", type=Path, metavar="SCENARIO.toml")
    effect.add_argument("--out", type=Path, required=True, metavar="DIR",
                        help="before/, with/, difference/, figures.csv, costs.csv and effect.json")
    effect.add_argument("--costs", type=Path, metavar="FILE.csv",
                        help="your own unit-cost table (default: twin/sim/measure_costs.csv)")
    effect.add_argument("--quiet", action="store_true", help="no progress bar")
    effect.add_argument("--quick", action="store_true",
                        help="the run with the proposals a quick estimate from the run before them (the "
                             "flood: again only downstream of the measures), as Compute effect shows first")
    effect.set_defaults(handler=_effect)


def _effect(args: argparse.Namespace) -> int:
    from twin.sim.proposal_effect import proposal_effect, write_effect
    from twin.sim.quick_effect import quick_proposal_effect

    _generate_demo_when_named(args.scenario, quiet=args.quiet)
    scenario = Scenario.load(args.scenario)
    check_run_folder(args.out)
    bar = None if args.quiet else ProgressBar(sys.stderr)
    feedback, notes = Feedback(bar), []
    outcome: dict[str, Any] = {}

    def work() -> RunReport:
        compute = quick_proposal_effect if args.quick else proposal_effect
        outcome["effect"] = compute(scenario, SimulationRegistry.discover(), feedback, args.costs, notes)
        return outcome["effect"].with_proposals

    report = _run_cancellable(work, feedback)
    if bar:
        bar.close()
    for note in notes:
        _say(f"note: {note}")
    effect = outcome["effect"]
    failed = next((run for run in (effect.before, report) if not run.ok), None)
    if failed is not None:
        canceled = failed.status is RunStatus.CANCELED
        _say("cancelled; no results were written" if canceled else f"error: {failed.error}")
        return EXIT_CANCELED if canceled else EXIT_FAILED
    write_effect(effect, args.out)
    total = sum(row["cost_eur"] or 0.0 for row in effect.costs)
    estimated = " (quick estimate)" if effect.estimate else ""
    print(f"{scenario.name}: before {effect.before.seconds:.1f} s, "
          f"with proposals{estimated} {report.seconds:.1f} s; "
          f"measures {total:,.0f} EUR; wrote {args.out}")
    return EXIT_OK


def _add_publish_command(commands: argparse._SubParsersAction) -> None:
    """`publish`: the scene as a static web site (twin/web/site.py)."""
    publish = commands.add_parser("publish", help="write a project's scene as a web site that browsers "
                                                  "open from the folder, offline")
    publish.add_argument("project", type=Path, metavar="PROJECT.toml")
    publish.add_argument("--out", type=Path, required=True, metavar="DIR", help="the site's new folder")
    publish.add_argument("--layer", action="append", metavar="NAME",
                         help="publish this layer (repeatable); default: the project's visible layers")
    publish.add_argument("--quarter", metavar="NAME", help="publish only what lies in this quarter")
    publish.add_argument("--proposals", type=Path, action="append", metavar="FILE.geojson",
                         help="a proposals file to show besides the project's own (repeatable)")
    publish.add_argument("--replace", action="store_true", help="replace an earlier site at DIR")
    publish.set_defaults(handler=_publish)


def _publish(args: argparse.Namespace) -> int:
    from twin.core.project import Project
    from twin.web.site import publish

    bar = ProgressBar(sys.stderr)
    try:
        site = publish(Project.load(args.project), args.out, Feedback(bar), layer_names=args.layer,
                       quarter=args.quarter, proposals=args.proposals, replace=args.replace)
    except KeyboardInterrupt:  # the site is written aside and put in place at the end: nothing is left
        bar.close()
        _say(f"{args.out}: publishing was cancelled; nothing was written")
        return EXIT_CANCELED
    bar.close()
    for sentence in site.skipped:
        _say(f"note: {sentence}")
    print(site.folder / "index.html")
    for layer in site.layers:
        print(f"  {layer}")
    return EXIT_OK


def _add_presenting_commands(commands: argparse._SubParsersAction) -> None:
    """`render` and `film` (pictures and films of bookmarks and tours); their work is in
    twin/render/export_cli.py."""
    render = commands.add_parser("render", help="render a project's bookmark (or saved view) to a PNG, "
                                                "off-screen, up to 7680x4320")
    render.add_argument("project", type=Path, metavar="PROJECT.toml")
    render.add_argument("--bookmark", metavar="NAME", help="the bookmark to show (default: the saved camera)")
    render.add_argument("--size", default="1920x1080", metavar="WxH", help="picture size (default 1920x1080)")
    render.add_argument("--out", type=Path, required=True, metavar="OUT.png")
    render.add_argument("--no-legends", action="store_true", help="leave the legends out")
    _look_arguments(render)
    render.set_defaults(handler=_presenting("render_command"))
    film = commands.add_parser("film", help="film a project's tour as an MP4 (H.264), off-screen")
    film.add_argument("project", type=Path, metavar="PROJECT.toml")
    film.add_argument("--tour", required=True, metavar="NAME")
    film.add_argument("--out", type=Path, required=True, metavar="OUT.mp4")
    film.add_argument("--size", default="1920x1080", metavar="WxH", help="film size (default 1920x1080)")
    film.add_argument("--fps", type=int, default=30, help="frames per second (default 30)")
    film.add_argument("--no-legends", action="store_true", help="leave the legends out")
    _look_arguments(film)
    film.set_defaults(handler=_presenting("film_command"))


def _look_arguments(command: argparse.ArgumentParser) -> None:
    command.add_argument("--look", choices=("presentation", "analytic"), default="presentation",
                         help="a city model with sun and shadows (default), or the analytic colours")
    command.add_argument("--sun", default="2026-06-21T16:00", metavar="DATE-TIME",
                         help="the sun's date and time in Dresden for the presentation look")


def _presenting(command: str) -> Callable[[argparse.Namespace], int]:
    def handler(args: argparse.Namespace) -> int:
        from twin.render import export_cli  # VTK loads only for these commands

        bar = ProgressBar(sys.stderr)
        try:
            return getattr(export_cli, command)(args, bar, _say)
        finally:
            bar.close()

    return handler


def _info(args: argparse.Namespace) -> int:
    if args.path.startswith(("http://", "https://")):
        from twin.io.sensorthings_client import service_info

        info = service_info(args.path, os.environ.get(args.token_env) if args.token_env else None)
    else:
        info = file_info(Path(args.path), crs=args.crs)
    if args.json:
        print(json.dumps(info, indent=2, allow_nan=False))  # NaN is not JSON: file_info says null
    else:
        for key, value in info.items():
            print(f"{key:>18}: {value}")
    return EXIT_OK


def _tiles(args: argparse.Namespace) -> int:
    from data.demo import QUARTERS_FILE

    products = tuple(args.product or TILE_PRODUCTS)
    for tile in tiles_for_area(args.area, args.quarters or QUARTERS_FILE):
        print(tile.key, *download_names(tile, products), sep="  ")
    return EXIT_OK


def _pack(args: argparse.Namespace) -> int:
    from twin.core.project import Project
    from twin.io.pack import pack_project

    bar = ProgressBar(sys.stderr)
    try:
        packed = pack_project(Project.load(args.project), args.dest, Feedback(bar), replace=args.replace,
                              as_zip=args.dest.suffix.lower() == ".zip")
    except KeyboardInterrupt:  # the pack is written aside and put in place at the end: nothing is left
        bar.close()
        _say(f"{args.dest}: packing was cancelled; nothing was written")
        return EXIT_CANCELED
    bar.close()
    print(packed)
    return EXIT_OK


def _plugins(args: argparse.Namespace) -> int:
    registry = SimulationRegistry.discover()
    simulations = registry.listed(include_hidden=args.all)
    if args.json:
        print(json.dumps([simulation.describe() for simulation in simulations], indent=2))
    else:
        for simulation in simulations:
            print(_describe_plugin(simulation.describe()))
        if not simulations:
            hidden = len(registry.listed(include_hidden=True))
            print("No simulations are installed" +
                  (f" (self-tests: {hidden}, shown with --all)." if hidden else "."))
    for name, problem in registry.errors.items():
        _say(f"warning: the plugin '{name}' failed to load: {problem}")
    return EXIT_OK


def _describe_plugin(described: dict[str, Any]) -> str:
    hidden = "  [self-test]" if described["hidden"] else ""
    lines = [f"{described['name']}: {described['title']}{hidden}", f"    {described['description']}"]
    for spec in described["inputs"]:
        lines.append(f"    input  {spec['name']} ({spec['kind']}): {spec['doc']}")
    for spec in described["parameters"]:
        limits = _limits(spec)
        units = f" {spec['units']}" if spec["units"] else ""
        lines.append(f"    param  {spec['name']} = {spec['default']!r}{units}{limits}: "
                     f"{spec['help']}")
    return "\n".join(lines)


def _limits(spec: dict[str, Any]) -> str:
    if "choices" in spec:
        return f" (one of {', '.join(spec['choices'])})"
    if "minimum" in spec or "maximum" in spec:
        return f" [{spec.get('minimum', '')}..{spec.get('maximum', '')}]"
    return ""


def _demo(args: argparse.Namespace) -> int:
    from data.demo import demo_project, generate

    bar = ProgressBar(sys.stderr)
    if args.out is not None:
        project_file = args.out / "project.toml"
        generate(args.out, Feedback(bar))
    else:
        project_file = demo_project(feedback=Feedback(bar))
    bar.close()
    for path in sorted(project_file.parent.iterdir()):
        print(f"{path.stat().st_size / 1e6:8.2f} MB  {path}")
    return EXIT_OK


def _run(args: argparse.Namespace) -> int:
    _generate_demo_when_named(args.scenario, quiet=args.quiet)
    scenario = Scenario.load(args.scenario)
    out = args.out or Path("runs") / f"{args.scenario.stem}-{time.strftime('%Y%m%d-%H%M%S')}"
    check_run_folder(out)  # before the run: a long run must not end in a folder it cannot write
    registry = SimulationRegistry.discover()
    bar = None if args.quiet else ProgressBar(sys.stderr)
    feedback = Feedback(bar)
    notes: list[str] = []
    report = _run_cancellable(lambda: run_scenario(scenario, registry, feedback, notes)[1], feedback)
    if bar:
        bar.close()
    for note in notes:
        _say(f"note: {note}")
    if report.status is RunStatus.CANCELED:
        _say("cancelled; no results were written")
        return EXIT_CANCELED
    if report.status is RunStatus.FAILED:
        _say(f"error: {report.error}")
        return EXIT_FAILED
    written = write_run(report, out)
    print(f"{scenario.name}: done in {report.seconds:.1f} s (seed {report.seed}); "
          f"wrote {len(written)} files to {out}")
    return EXIT_OK


def _batch(args: argparse.Namespace) -> int:
    from twin.sim.batch_dask import BatchProgress, run_and_write_batch

    for scenario_file in args.scenarios:
        _generate_demo_when_named(scenario_file, quiet=False)
    said = [""]

    def show(progress: BatchProgress) -> None:
        if progress.line() != said[0]:
            said[0] = progress.line()
            _say(said[0])

    try:
        outcome = run_and_write_batch(args.scenarios, args.vary or [], args.out,
                                      SimulationRegistry.discover(), quarters=args.quarters or (),
                                      scheduler=args.scheduler,
                                      workers=args.workers, on_progress=show)
    except KeyboardInterrupt:
        _say("cancelled")
        return EXIT_CANCELED
    for name, error in outcome.failed_by_name.items():
        _say(f"failed: {name}: {error}")
    if outcome.canceled:
        _say("cancelled; the finished runs are kept and a repeated batch resumes")
        return EXIT_CANCELED
    print(outcome.sentence())
    return EXIT_FAILED if outcome.failed else EXIT_OK


def _citywide(args: argparse.Namespace) -> int:
    from twin.sim.citywide import plan_citywide, run_citywide

    _generate_demo_when_named(args.scenario, quiet=False)
    plan = plan_citywide(args.scenario, domain_m=args.domain_m, buffer_m=args.buffer_m)
    _say(f"citywide: {len(plan.split.domains)} domains from {plan.split.catchments} catchments "
         f"({plan.split.merged_by_flats} merged across flats)")
    try:
        outcome = run_citywide(plan, args.out, scheduler=args.scheduler, workers=args.workers,
                               on_progress=lambda done, failed, total: _say(
                                   f"citywide: {done}/{total} domains done, {failed} failed"))
    except KeyboardInterrupt:
        _say("cancelled")
        return EXIT_CANCELED
    for number, error in outcome.failed.items():
        _say(f"failed: domain {number}: {error}")
    summary = outcome.summary
    print(f"{summary['scenario']}: {summary['domains']} domains, {summary['area_km2']:.2f} km2 in "
          f"{summary['wall_seconds']:.1f} s; wrote {len(outcome.written)} files to {args.out}")
    return EXIT_FAILED if outcome.failed else EXIT_OK


def _watch(args: argparse.Namespace) -> int:
    from twin.sim.watch import WatchConfig, Watcher, print_alert

    def alert(raised) -> None:
        _say(raised.sentence())
        print_alert(raised)

    config = WatchConfig.load(args.scenario)
    try:
        Watcher(config, _say, alert).run(threading.Event())
    except KeyboardInterrupt:
        _say("stopped watching")
    return EXIT_OK


def _generate_demo_when_named(scenario_file: Path, quiet: bool) -> None:
    """Scenarios shipped in scenarios/ run on the demo city: generate it first if they need it."""
    from data.demo import default_cache, demo_project

    try:
        inputs = tomllib.loads(read_toml_text(scenario_file)).get("inputs", {})
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError, UnsuitablePath):
        return  # Scenario.load names the problem
    if not isinstance(inputs, dict):
        return
    cache = default_cache()
    try:
        named = [(scenario_file.parent / text).resolve() for text in inputs.values() if isinstance(text, str)]
    except (OSError, RuntimeError):  # RuntimeError: a symbolic link loop, which Scenario.load names
        return
    if any(path.is_relative_to(cache) and not path.exists() for path in named):
        bar = None if quiet else ProgressBar(sys.stderr)
        demo_project(feedback=Feedback(bar))
        if bar:
            bar.close()


def _run_cancellable(work: Callable[[], RunReport], feedback: Feedback) -> RunReport:
    """Run in a worker thread so Ctrl-C cancels through Feedback instead of killing mid-write."""
    outcome: dict[str, Any] = {}

    def target() -> None:
        try:
            outcome["report"] = work()
        except BaseException as error:  # handed to the main thread, which reports it
            outcome["error"] = error

    worker = threading.Thread(target=target, name="simulation", daemon=True)
    worker.start()
    try:
        while worker.is_alive():
            worker.join(0.1)
    except KeyboardInterrupt:
        _say("cancelling...")
        feedback.cancel()
        worker.join()
    if "error" in outcome:
        raise outcome["error"]
    return outcome["report"]


class ProgressBar:
    """A one-line progress bar on a terminal; plain lines every 10 % when not a terminal."""

    def __init__(self, stream: TextIO, width: int = 30) -> None:
        self._stream, self._width = stream, width
        self._interactive = stream.isatty()
        self._last_tenth = -1
        self._lock = threading.Lock()

    def __call__(self, fraction: float, message: str) -> None:
        with self._lock:
            if self._interactive:
                filled = int(round(fraction * self._width))
                bar = "#" * filled + "-" * (self._width - filled)
                self._stream.write(f"\r{fraction:4.0%} [{bar}] {message[:40]:<40}")
            elif int(fraction * 10) > self._last_tenth:
                self._last_tenth = int(fraction * 10)
                self._stream.write(f"{fraction:4.0%} {message}\n")
            self._stream.flush()

    def close(self) -> None:
        if self._interactive:
            self._stream.write("\n")
            self._stream.flush()


def _gui(args: argparse.Namespace) -> int:
    if args.screenshot is None and not _display_available():
        _say("error: no display is available, so the desktop app cannot open; use "
             "'python main.py --screenshot OUT.png' to render it off-screen, or the "
             "commands info, plugins and run (python main.py --help)")
        return EXIT_BAD_INPUT
    from twin.qt.app import run_app

    return run_app(project=args.project, screenshot=args.screenshot, progress=ProgressBar(sys.stderr))


def _display_available() -> bool:
    if sys.platform != "linux":
        return True
    if os.environ.get("QT_QPA_PLATFORM", "").startswith(("offscreen", "minimal", "vnc")):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def _say(sentence: str) -> None:
    print(sentence, file=sys.stderr)
