"""How the compiled step is compiled and where its machine code is cached.

The step's phases have compiled versions (numba, ``nopython`` mode) beside their array
versions in the mechanics modules; :mod:`sim.mechanics.kernel` strings them together. Every
compiled function is declared with :data:`kernel`, which compiles on first use and caches the
machine code on disk, so only the first run on a machine pays for compiling (seconds) and
every later process loads the code in a fraction of a second.

The cache lives in a writable folder of the user's, never beside the package (which may be a
read-only site-packages): ``$INNOVATE_CACHE_DIR`` if set, else ``$XDG_CACHE_HOME/innovate-sim``
(``~/.cache/innovate-sim``), else a folder in the system's temporary directory. Inside it,
the code of each version of the kernels' sources has its own folder
(``numba-<digest of the sources>``): numba checks only the file of the function it loads, so
without this a change to a phase, or to a constant the step holds in its machine code (a stage,
a move, the number of approaches), would not reach a cached step.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

import numba
import numpy as np

from sim.vocabulary import APPROACHES

HERE = Path(__file__).resolve().parent
# the modules whose compiled functions end up in the compiled step
SOURCES = ("compiler.py", "kernel.py", "shocks.py", "network.py", "conditions.py",
           "hazards.py", "bookkeeping.py")
# the modules of the constants the compiled step holds in its machine code (numba compiles a
# global in as its value): stages, statuses and approaches, the moves and reasons, the fields
CONSTANTS = ("../vocabulary.py", "reasons.py", "state.py", "tables.py")
CACHE_VARIABLE = "INNOVATE_CACHE_DIR"
#: An agent's journeys, one per approach: the width of every (agents, approaches) array of
#: the step. A constant of the compiled code (a global is compiled in as its value), so the
#: loops over an agent's approaches are unrolled: 13% fewer instructions and 5% less time in
#: the steps than with the arrays' shape, which the compiler cannot know.
WIDTH = len(APPROACHES)
#: The type of the values the step uses as indices: the arrays of codes, agents, nations,
#: profiles, regions and ties, and the stages, statuses and table rows computed from them
#: (``INDEX(value)``). numba gives a signed index Python's meaning (-1 is the last element) and
#: pays for it at every access; an unsigned one it takes as it is. The values are the same, so
#: are the results; the steps take some 10% less time.
INDEX = np.uintp


def sources_digest() -> str:
    """Digest of the compiled step's sources, its constants' modules and numba's version.

    16 hex digits.
    """
    digest = hashlib.sha256(numba.__version__.encode())
    for name in SOURCES + CONSTANTS:
        digest.update((HERE / name).read_bytes())
    return digest.hexdigest()[:16]


def cache_root() -> Path:
    """The user's cache folder for innovate-sim (not created here)."""
    configured = os.environ.get(CACHE_VARIABLE)
    if configured:
        return Path(configured).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg else Path.home() / ".cache") / "innovate-sim"


def cache_folder() -> Path:
    """The writable folder of this version's compiled kernels, created if needed."""
    name = f"numba-{sources_digest()}"
    for root in (cache_root(), Path(tempfile.gettempdir()) / "innovate-sim-cache"):
        folder = root / name
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError:
            continue
        if os.access(folder, os.W_OK):
            return folder
    raise OSError(f"{CACHE_VARIABLE}: no writable folder for the compiled kernels (tried "
                  f"{cache_root()} and the temporary directory); set {CACHE_VARIABLE} to one")


numba.config.CACHE_DIR = str(cache_folder())

#: Decorator of the step's compiled functions: no Python objects, cached on disk, numpy's
#: semantics for division by zero (inf or nan, as the array path gives), the arithmetic of
#: the source as written (no fast-math reordering). The phases are functions of their own:
#: a call copies the run's inputs (a tuple of some eighty arrays, several kilobytes), a few
#: times a step, but one function with every phase inlined keeps too many arrays live at
#: once (slower by some 5%, and slower to compile).
#:
#: Without numba's runtime (``_nrt=False``): the step allocates nothing (numba refuses to
#: compile a function that would), and its arrays are owned by the Python caller for the
#: whole call, so counting references to them is work without purpose; with it, every call
#: of a phase counted each of its some hundred arrays in and out with atomic instructions,
#: about 0.5 ms of a 9 ms run.
kernel = numba.njit(cache=True, nogil=True, error_model="numpy", fastmath=False, _nrt=False)
#: :data:`kernel` for the small functions called for every journey (or once in a phase),
#: inlined where they are called, so no call copies the inputs.
inline_kernel = numba.njit(cache=True, nogil=True, error_model="numpy", fastmath=False,
                           _nrt=False, inline="always")
