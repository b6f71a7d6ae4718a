"""The ``innovate`` command line: run a scenario, list the presets, print the parameters.

Bad input (an unknown scenario, a misspelt key, a value out of range, malformed TOML, a
missing data file) prints one line naming the key and what is allowed, and exits with code 2.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
from pathlib import Path

from sim.config import APPROACHES, describe_presets, load_config, parameter_table, parse_override
from sim.errors import InputError
from sim.io import output_folder

EXIT_BAD_INPUT = 2


class _Parser(argparse.ArgumentParser):
    """An argument parser whose errors are one line and exit code 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        """Print a one-line usage error and exit with code 2."""
        self.exit(EXIT_BAD_INPUT, f"innovate: error: {message} (see 'innovate --help')\n")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``innovate``."""
    parser = _Parser(prog="innovate", description="Innovation journeys of the UK's children's "
                     "social care authorities: Contextual Safeguarding, Trauma-Informed "
                     "Practice and Transitional Safeguarding.")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    commands.required = True

    run = commands.add_parser("run", help="run a scenario and write its results")
    run.add_argument("scenario", nargs="?", default="historical",
                     help="a preset name (see 'innovate scenarios') or a .toml file "
                          "(default: historical)")
    run.add_argument("--seed", type=_seed, default=0, help="random seed (default 0)")
    run.add_argument("--out", type=Path, default=None,
                     help="output folder (default results/<scenario>-seed<N>)")
    run.add_argument("--set", dest="overrides", action="append", default=[],
                     metavar="KEY=VALUE", help="override a parameter, e.g. approaches.CS.q=0.4 "
                                               "or mechanisms.macro=false (repeatable)")
    run.add_argument("--no-plot", action="store_true", help="skip adoption.png")

    commands.add_parser("scenarios", help="list the scenario presets")

    params = commands.add_parser("params", help="print every parameter: default, unit, source")
    params.add_argument("scenario", nargs="?", default="defaults",
                        help="show the values of this preset (default: defaults)")
    sweep = commands.add_parser("sweep", help="run an experiment: every design point x "
                                "replicate, streamed to disk")
    sweep.add_argument("experiment", type=Path, help="an experiment file (experiments/*.toml)")
    sweep.add_argument("--workers", type=_workers, default=os.cpu_count() or 1,
                       help="parallel worker processes (default: all CPUs)")
    sweep.add_argument("--backend", choices=["local", "dask"], default="local",
                       help="local process pool or a Dask cluster (default local)")
    sweep.add_argument("--scheduler", default=None, metavar="ADDRESS",
                       help="address of a running Dask scheduler (default: start a local "
                            "cluster)")
    sweep.add_argument("--out", type=Path, default=None,
                       help="output folder (default results/<experiment name>)")
    sweep.add_argument("--resume", action="store_true",
                       help="finish an interrupted sweep in --out")
    sweep.add_argument("--quiet", action="store_true", help="no progress bar")

    analyze = commands.add_parser("analyze", help="summaries, plots, sensitivity indices and "
                                  "scenario discovery of a sweep")
    analyze.add_argument("folder", type=Path, help="a folder written by 'innovate sweep'")

    calibrate = commands.add_parser("calibrate", help="fit the priors to the observed patterns "
                                    "(ABC-SMC); writes the posterior and a preset")
    calibrate.add_argument("experiment", type=Path,
                           help="a calibration file, e.g. experiments/calibration.toml")
    calibrate.add_argument("--out", type=Path, default=None,
                           help="output folder (default results/<experiment name>)")
    calibrate.add_argument("--workers", type=_workers, default=None,
                           help="worker processes (default: the file's abc.workers); the "
                                "posterior does not depend on it")
    calibrate.add_argument("--seed", type=_seed, default=None,
                           help="replace the file's abc.seed")
    calibrate.add_argument("--no-preset", action="store_true",
                           help="write the preset only into --out, not into configs/")
    calibrate.add_argument("--quiet", action="store_true", help="no progress lines")

    handout = commands.add_parser("handout", help="write a one-page printable handout per "
                                  "lesson of the dashboard's Teach mode (HTML; PDF with --pdf)")
    handout.add_argument("lessons", nargs="*", metavar="LESSON",
                         help="lesson ids, e.g. stages conditions (default: every lesson)")
    handout.add_argument("--out", type=Path, default=Path("handouts"),
                         help="output folder (default handouts/)")
    handout.add_argument("--pdf", action="store_true",
                         help="also print each handout to an A4 PDF with chromium")

    from sim.dashboard import add_arguments as dashboard_arguments
    dashboard_arguments(commands.add_parser(
        "dashboard", help="open the dashboard in a web browser (http://127.0.0.1:8765)"))
    return parser


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


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``innovate``; returns the exit code."""
    args = build_parser().parse_args(argv)
    commands = {"run": _run, "scenarios": _scenarios, "params": _params, "sweep": _sweep,
                "analyze": _analyze, "dashboard": _dashboard, "calibrate": _calibrate,
                "handout": _handout}
    try:
        return commands[args.command](args)
    except InputError as error:
        print(f"innovate: error: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except OSError as error:        # a file that cannot be read or written: one line too
        where = f"{error.filename}: " if error.filename else ""
        print(f"innovate: error: {where}{error.strerror or error}", file=sys.stderr)
        return EXIT_BAD_INPUT


def _run(args: argparse.Namespace) -> int:
    from sim.model import InnovationModel

    overrides = [parse_override(item) for item in args.overrides]
    config = load_config(args.scenario, overrides)
    out = output_folder(args.out or Path("results") / f"{config.name}-seed{args.seed}")
    result = InnovationModel(config=config, seed=args.seed).run()
    print(f"Scenario '{config.name}' (seed {args.seed}): {result.size} authorities, "
          f"{len(result.times)} steps to {result.times[-1]:g}, {result.wall_time:.2f} s")
    print()
    print(metrics_table(result.metrics))
    result.save(out, plot=not args.no_plot)
    print()
    print(f"Results written to {out}/ (timeseries.parquet, events.parquet, agents.parquet, "
          f"indicators.parquet, regions.parquet, metrics.json, manifest.json"
          f"{'' if args.no_plot else ', adoption.png'})")
    return 0


def _sweep(args: argparse.Namespace) -> int:
    if args.backend == "local":
        from sim.workers import local_context

        local_context()     # the workers' server imports the model while we read the file
    from sim.experiment import load_experiment
    from sim.sweep import sweep

    experiment = load_experiment(args.experiment)
    out = args.out or Path("results") / experiment.name
    summary = sweep(experiment, out, workers=args.workers, backend=args.backend,
                    scheduler=args.scheduler, resume=args.resume, progress=not args.quiet)
    print(f"Experiment '{experiment.name}': {summary.runs} runs ({len(experiment.points)} "
          f"points x {experiment.spec.experiment.replicates} replicates); ran {summary.ran} in "
          f"{summary.wall_time:.1f} s ({summary.runs_per_second:.1f} runs/s) with "
          f"{args.workers} {args.backend} worker(s)")
    if summary.failed:
        print(f"{summary.failed} run(s) failed: see the 'error' column of {out}/metrics.parquet",
              file=sys.stderr)
        return 1
    print(f"Results in {out}/ (metrics.parquet, curves.parquet, points.csv, manifest.json); "
          f"next: innovate analyze {out}")
    return 0


def _analyze(args: argparse.Namespace) -> int:
    from sim.analysis import analyze

    report = analyze(args.folder)
    print(report.text)
    print()
    print(f"Written to {args.folder}/analysis/: {', '.join(report.files)}")
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
        lines += ["", "observed patterns (MODEL.md 8), simulated value:"]
        lines += [f"  {name:34s}{_fmt(value):>10s}" for name, value in patterns.items()]
    return "\n".join(lines)


def _calibrate(args: argparse.Namespace) -> int:
    from sim.calibration import main as calibrate

    return calibrate(args.experiment, out=args.out, workers=args.workers, seed=args.seed,
                     install_preset=not args.no_preset, quiet=args.quiet)


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


def _dashboard(args: argparse.Namespace) -> int:
    from sim.dashboard import main as dashboard

    return dashboard(args)


def _handout(args: argparse.Namespace) -> int:
    import time

    from dashboards.handout import write_handouts

    started = time.perf_counter()
    written = write_handouts(args.out, args.lessons, pdf=args.pdf)
    for path in written:
        print(path)
    print(f"{len(written)} file(s) written in {time.perf_counter() - started:.1f} s")
    return 0


def _params(args: argparse.Namespace) -> int:
    config = load_config(args.scenario)
    print("| name | default | unit | source | meaning |")
    print("|---|---|---|---|---|")
    for row in parameter_table(config):
        print(f"| `{row['name']}` | {row['default']} | {row['unit']} | {row['source']} | "
              f"{row['meaning']} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
