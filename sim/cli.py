"""The ``innovate`` command line: run, scenarios, params, sweep, analyze, calibrate.

Other commands (the dashboard's ``dashboard`` and ``handout``) register themselves through
the entry-point group ``innovate.commands``: each entry point names a :class:`Command`. The
model package therefore never imports the user interface.

Bad input (an unknown scenario, a misspelt key, a value out of range, malformed TOML, a
missing data file, a folder that cannot be made) prints one line naming the key and what is
allowed, and exits with code 2.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from importlib.metadata import entry_points
from pathlib import Path

from sim.config import (
    describe_presets,
    event_markdown,
    load_config,
    parameter_table,
    parse_override,
)
from sim.errors import InputError
from sim.io import output_folder, write_atomic
from sim.vocabulary import APPROACHES

EXIT_BAD_INPUT = 2
ENTRY_POINTS = "innovate.commands"


@dataclass(frozen=True)
class Command:
    """One ``innovate`` command: its help line, its options and what it does (an exit code)."""

    name: str
    help: str
    add_arguments: Callable[[argparse.ArgumentParser], None]
    run: Callable[[argparse.Namespace], int]


class _Parser(argparse.ArgumentParser):
    """An argument parser whose errors are one line and exit code 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        """Print a one-line usage error and exit with code 2."""
        self.exit(EXIT_BAD_INPUT, f"innovate: error: {message} (see 'innovate --help')\n")


def whole_number(flag: str, low: int, high: int | None = None, high_text: str = ""):
    """An argparse type: a whole number from ``low`` (to ``high``), errors naming the flag."""
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{flag} must be a whole number, got {text!r}") \
                from None
        if value < low or (high is not None and value > high):
            allowed = f"at least {low}" if high is None else f"from {low} to {high_text or high}"
            raise argparse.ArgumentTypeError(f"{flag} must be {allowed}, got {value}")
        return value
    return parse


_workers = whole_number("--workers", 1)
_seed = whole_number("--seed", 0, 2**63 - 1, "2**63-1")


# -- run, scenarios, params ---------------------------------------------------------------------

def _run_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("scenario", nargs="?", default="historical-calibrated",
                        help="a preset name (see 'innovate scenarios') or a .toml file "
                             "(default: historical-calibrated)")
    parser.add_argument("--seed", type=_seed, default=0, help="random seed (default 0)")
    parser.add_argument("--out", type=Path, default=None,
                        help="output folder (default results/<scenario>-seed<N>)")
    parser.add_argument("--set", dest="overrides", action="append", default=[],
                        metavar="KEY=VALUE", help="override a parameter, e.g. "
                        "approaches.CS.q=0.4 or mechanisms.macro=false (repeatable)")
    parser.add_argument("--posterior", default=None, metavar="PRESET",
                        help="draw the calibrated parameters from this preset's posterior "
                             "(PRESET.posterior.csv beside it, or a .csv file): the seed "
                             "picks the draw; --set keys keep their value")
    parser.add_argument("--no-plot", action="store_true", help="skip adoption.png")


def _run(args: argparse.Namespace) -> int:
    from sim.model import InnovationModel

    overrides = [parse_override(item) for item in args.overrides]
    config = load_config(args.scenario, overrides)
    drawn = None
    if args.posterior is not None:
        from sim.config.posterior import (
            config_for_draw,
            draw_record,
            load_posterior,
            posterior_draws,
        )

        posterior = load_posterior(args.posterior, config, field="--posterior")
        draw = posterior_draws(posterior, [args.seed])[0]
        keep = [key for key, _ in overrides]
        config = config_for_draw(config, posterior, draw, keep)
        drawn = posterior.describe() | {"replicates": [draw_record(posterior, args.seed, draw,
                                                                   keep)]}
    folder = f"{config.name}-seed{args.seed}" if drawn is None else \
        f"{config.name}-posterior-seed{args.seed}"
    out = output_folder(args.out or Path("results") / folder)
    result = InnovationModel(config=config, seed=args.seed).run()
    if drawn is not None:
        result.extra["posterior"] = drawn
    where = "" if drawn is None else f", draw {drawn['replicates'][0]['draw']} of the " \
        f"posterior {drawn['name']}"
    print(f"Scenario '{config.name}' (seed {args.seed}{where}): {result.size} authorities, "
          f"{len(result.times)} steps to {result.times[-1]:g}, {result.wall_time:.2f} s")
    print()
    print(metrics_table(result.metrics))
    result.save(out, plot=not args.no_plot)
    print()
    print(f"Results written to {out}/ (timeseries.parquet, events.parquet, agents.parquet, "
          f"indicators.parquet, regions.parquet, equity.parquet, metrics.json, manifest.json"
          f"{'' if args.no_plot else ', adoption.png'})")
    return 0


def metrics_table(metrics: dict[str, float]) -> str:
    """The per-approach metrics as a plain-text table, then the simulated observed patterns."""
    names = list(dict.fromkeys(key.split(".", 1)[1] for key in metrics
                               if key.split(".", 1)[0] in APPROACHES))
    lines = [f"{'metric':28s}" + "".join(f"{a:>12s}" for a in APPROACHES)]
    for name in names:
        lines.append(f"{name:28s}" + "".join(
            f"{_fmt(metrics.get(f'{a}.{name}', math.nan)):>12s}" for a in APPROACHES))
    patterns = {k.split(".", 1)[1]: v for k, v in metrics.items() if k.startswith("patterns.")}
    if patterns:
        lines += ["", "observed patterns (docs/ODD.md 1.2), simulated value:"]
        lines += [f"  {name:34s}{_fmt(value):>10s}" for name, value in patterns.items()]
    return "\n".join(lines)


def _fmt(value: float) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    if abs(value) >= 1000 or float(value).is_integer():
        return f"{value:.0f}"
    return f"{value:.3g}"


def _scenarios(args: argparse.Namespace) -> int:
    for name, line in describe_presets():
        print(f"{name:32s} {line}")
    return 0


def _params_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("scenario", nargs="?", default="defaults",
                        help="show the values of this preset (default: defaults)")


def _params(args: argparse.Namespace) -> int:
    config = load_config(args.scenario)
    print("| name | default | unit | source | meaning |")
    print("|---|---|---|---|---|")
    for row in parameter_table(config):
        print(f"| `{row['name']}` | {row['default']} | {row['unit']} | {row['source']} | "
              f"{row['meaning']} |")
    return 0


def _timeline(args: argparse.Namespace) -> int:
    print(event_markdown(load_config(args.scenario)))
    return 0


def _timeline_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("scenario", nargs="?", default="historical",
                        help="the preset whose events to list (default: historical)")


def _install_preset_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("preset", type=Path, help="a preset file, e.g. one written by "
                        "'innovate calibrate' (results/<name>/<preset>.toml); its posterior "
                        "<preset>.posterior.csv, if beside it, is installed with it")
    parser.add_argument("--into", type=Path, default=None,
                        help="the presets folder (default: configs/ of this checkout)")
    parser.add_argument("--force", action="store_true", help="replace a preset of that name")


def _install_preset(args: argparse.Namespace) -> int:
    from sim.config import presets_dir
    from sim.config.posterior import load_posterior, posterior_path

    load_config(args.preset)                    # it must be a valid scenario
    folder = args.into or presets_dir()
    if args.into is None and "site-packages" in folder.parts:
        raise InputError(f"install-preset: {folder} is inside the installed package; run it "
                         "from a checkout, or give --into FOLDER (a preset file also runs as "
                         "'innovate run FILE.toml')")
    target = output_folder(folder, "--into") / args.preset.name
    if target.exists() and not args.force:
        raise InputError(f"install-preset: {target} exists; give --force to replace it")
    source_posterior = posterior_path(args.preset)
    target_posterior = posterior_path(target)
    if source_posterior.is_file():              # it must load and fit the preset
        load_posterior(source_posterior, load_config(args.preset), field="install-preset")
        write_atomic(target_posterior, source_posterior.read_bytes())
    elif target_posterior.is_file():            # a stale posterior of the replaced preset
        target_posterior.unlink()
    write_atomic(target, args.preset.read_bytes())
    with_posterior = f" with its posterior {target_posterior.name}" \
        if source_posterior.is_file() else ""
    print(f"Preset '{target.stem}' installed in {folder}/{with_posterior} (innovate run "
          f"{target.stem})")
    return 0


# -- sweep, analyze, calibrate ------------------------------------------------------------------

def _sweep_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("experiment", type=Path, help="an experiment file (experiments/*.toml)")
    _executor_arguments(parser, "sweep")


def _executor_arguments(parser: argparse.ArgumentParser, what: str) -> None:
    """Where and how a sweep or a targeting experiment runs, and where it writes."""
    parser.add_argument("--workers", type=_workers, default=os.cpu_count() or 1,
                        help="parallel worker processes (default: all CPUs)")
    parser.add_argument("--backend", choices=["local", "dask"], default="local",
                        help="local process pool or a Dask cluster (default local)")
    parser.add_argument("--scheduler", default=None, metavar="ADDRESS",
                        help="address of a running Dask scheduler (default: start a local "
                             "cluster)")
    parser.add_argument("--out", type=Path, default=None,
                        help="output folder (default results/<experiment name>)")
    parser.add_argument("--resume", action="store_true",
                        help=f"finish an interrupted {what} in --out")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")


def _sweep(args: argparse.Namespace) -> int:
    if args.backend == "local":
        from sim.sweeps.backends import local_context

        local_context()     # the workers' server imports the model while we read the file
    from sim.sweeps.design import load_experiment
    from sim.sweeps.runner import run_sweep

    experiment = load_experiment(args.experiment)
    out = args.out or Path("results") / experiment.name
    summary = run_sweep(experiment, out, workers=args.workers, backend=args.backend,
                        scheduler=args.scheduler, resume=args.resume, progress=not args.quiet)
    print(f"Experiment '{experiment.name}': {summary.runs} runs ({len(experiment.points)} "
          f"points x {experiment.spec.experiment.replicates} replicates); ran {summary.ran} in "
          f"{summary.wall_time:.1f} s ({summary.runs_per_second:.1f} runs/s) with "
          f"{args.workers} {args.backend} worker(s)")
    if summary.failed:
        print(f"{summary.failed} run(s) failed: see the 'error' column of {out}/metrics.parquet",
              file=sys.stderr)
        return 1
    files = ("metrics.parquet, curves.parquet, equity.parquet, gaps.parquet"
             if experiment.spec.experiment.curves else "metrics.parquet")
    print(f"Results in {out}/ ({files}, points.csv, manifest.json); next: innovate analyze "
          f"{out}")
    return 0


def _target_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("targeting", type=Path,
                        help="a targeting file (experiments/targeting-*.toml)")
    _executor_arguments(parser, "targeting experiment")


def _target(args: argparse.Namespace) -> int:
    if args.backend == "local":
        from sim.sweeps.backends import local_context

        local_context()
    from sim.targeting.run import run_targeting
    from sim.targeting.spec import load_targeting

    targeting = load_targeting(args.targeting)
    out = args.out or Path("results") / targeting.spec.name
    summary = run_targeting(targeting, out, workers=args.workers, backend=args.backend,
                            scheduler=args.scheduler, resume=args.resume,
                            progress=not args.quiet)
    print((out / "summary.md").read_text(encoding="utf-8"))
    print(f"Targeting '{targeting.spec.name}': {summary.evaluations} runs evaluated, "
          f"{summary.ran} of them now, in {summary.wall_time:.1f} s with {args.workers} "
          f"{args.backend} worker(s)")
    print(f"Results in {out}/ (summary.md, strategies.csv, sites.csv, map.png, "
          "evaluations.parquet, manifest.json)")
    return 0


def _analyze_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("folder", type=Path, help="a folder written by 'innovate sweep'")


def _analyze(args: argparse.Namespace) -> int:
    from sim.sweeps.analysis import analyze

    report = analyze(args.folder)
    print(report.text)
    print()
    print(f"Written to {args.folder}/analysis/: {', '.join(report.files)}")
    return 0


def _calibrate_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("calibration", type=Path,
                        help="a calibration file, e.g. experiments/calibration.toml")
    parser.add_argument("--out", type=Path, default=None,
                        help="output folder (default results/<calibration name>)")
    parser.add_argument("--workers", type=_workers, default=None,
                        help="worker processes (default: the file's abc.workers); the "
                             "posterior does not depend on it")
    parser.add_argument("--seed", type=_seed, default=None, help="replace the file's abc.seed")
    parser.add_argument("--quiet", action="store_true", help="no progress lines")


def _calibrate(args: argparse.Namespace) -> int:
    from sim.calibration.report import summary_markdown
    from sim.calibration.run import calibrate
    from sim.calibration.spec import load_calibration

    if args.workers is not None and not 1 <= args.workers <= 256:
        raise InputError(f"--workers: must be a whole number from 1 to 256 (got "
                         f"{args.workers})")
    calibration, base = load_calibration(args.calibration, workers=args.workers,
                                         seed=args.seed)
    if calibration.abc.workers > 1:
        from sim.calibration.abc import PRELOAD
        from sim.sweeps.backends import local_context

        local_context(PRELOAD)  # the workers' server imports the model and pyabc meanwhile
    try:
        import pyabc  # noqa: F401
    except ImportError:
        raise InputError("calibrate needs pyabc: pip install 'innovate-sim[calibrate]'") from None
    folder = output_folder(args.out or Path("results") / calibration.name)
    result = calibrate(calibration, base, folder, source=str(args.calibration),
                       echo=None if args.quiet else print)
    print()
    print("\n".join(summary_markdown(calibration, result.summary, result.fit,
                                     result.generations, result.recovery,
                                     result.manifest).splitlines()[2:]))
    print()
    print(f"Results written to {folder}/ ({', '.join(result.manifest['files'])})")
    if result.preset_path is not None:
        print(f"Preset written to {result.preset_path}, its posterior beside it; to run it by "
              f"name from this checkout: innovate install-preset {result.preset_path}")
    return 0


def _nothing(parser: argparse.ArgumentParser) -> None:
    pass


COMMANDS: tuple[Command, ...] = (
    Command("run", "run a scenario and write its results", _run_arguments, _run),
    Command("scenarios", "list the scenario presets", _nothing, _scenarios),
    Command("params", "print every parameter: default, unit, source", _params_arguments,
            _params),
    Command("timeline", "print a preset's dated events in order (the ODD's section 10 table)",
            _timeline_arguments, _timeline),
    Command("sweep", "run an experiment: every design point x replicate, streamed to disk",
            _sweep_arguments, _sweep),
    Command("target", "which authorities to fund first: compare targeting strategies and a "
            "lazy greedy search on common random numbers", _target_arguments, _target),
    Command("analyze", "summaries, plots, sensitivity indices and scenario discovery of a "
            "sweep", _analyze_arguments, _analyze),
    Command("calibrate", "fit the priors to the observed patterns (ABC-SMC); writes the "
            "posterior and a preset", _calibrate_arguments, _calibrate),
    Command("install-preset", "copy a preset file (e.g. a calibrated one) into configs/",
            _install_preset_arguments, _install_preset),
)


def commands() -> list[Command]:
    """The commands of ``innovate``: its own, then those registered by entry points."""
    registered = [entry.load() for entry in entry_points(group=ENTRY_POINTS)]
    return [*COMMANDS, *sorted(registered, key=lambda command: command.name)]


def build_parser(available: list[Command] | None = None) -> argparse.ArgumentParser:
    """The argument parser of ``innovate``."""
    parser = _Parser(prog="innovate", description="Innovation journeys of the UK's children's "
                     "social care authorities: Contextual Safeguarding, Trauma-Informed "
                     "Practice and Transitional Safeguarding.")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    subparsers.required = True
    for command in available or commands():
        command.add_arguments(subparsers.add_parser(command.name, help=command.help))
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``innovate``; returns the exit code."""
    available = commands()
    args = build_parser(available).parse_args(argv)
    run = {command.name: command.run for command in available}[args.command]
    try:
        return run(args)
    except InputError as error:
        print(f"innovate: error: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except OSError as error:        # a file that cannot be read or written: one line too
        where = f"{error.filename}: " if error.filename else ""
        print(f"innovate: error: {where}{error.strerror or error}", file=sys.stderr)
        return EXIT_BAD_INPUT


if __name__ == "__main__":
    sys.exit(main())
