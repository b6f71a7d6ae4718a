"""The dashboard's commands: ``innovate dashboard`` and ``innovate handout``.

They are registered with ``innovate`` through the entry-point group ``innovate.commands``
(see ``pyproject.toml``), so the model package never imports the user interface.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from sim.cli import Command


def _handout_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("lessons", nargs="*", metavar="LESSON",
                        help="lesson ids, e.g. stages conditions (default: every lesson)")
    parser.add_argument("--out", type=Path, default=Path("handouts"),
                        help="output folder (default handouts/)")
    parser.add_argument("--pdf", action="store_true",
                        help="also print each handout to an A4 PDF with chromium")


def _handout(args: argparse.Namespace) -> int:
    from dashboards.teaching.handout import write_handouts

    started = time.perf_counter()
    written = write_handouts(args.out, args.lessons, pdf=args.pdf)
    for path in written:
        print(path)
    print(f"{len(written)} file(s) written in {time.perf_counter() - started:.1f} s")
    return 0


def _dashboard_arguments(parser: argparse.ArgumentParser) -> None:
    from dashboards.serve import add_arguments

    add_arguments(parser)


def _dashboard(args: argparse.Namespace) -> int:
    from dashboards.serve import main

    return main(args)


DASHBOARD = Command("dashboard", "open the dashboard in a web browser (http://127.0.0.1:8765)",
                    _dashboard_arguments, _dashboard)
HANDOUT = Command("handout", "write a one-page printable handout per lesson of the "
                  "dashboard's Teach mode (HTML; PDF with --pdf)", _handout_arguments, _handout)
