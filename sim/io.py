"""Files: reading TOML, making output folders, writing atomically, and the manifest stamp.

Every file the project writes goes through :func:`write_atomic` (or a writer built on it): the
bytes go to a temporary file in the same folder, which is then renamed over the target, so a
file is either the old one or the new one, never half written, whatever interrupts it. Files
that belong together are written into a :func:`staged_folder` and renamed in only when all of
them were written.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import platform
import shutil
import subprocess
import tempfile
import tomllib
from collections.abc import Iterator
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from sim.errors import InputError

PACKAGE = "innovate-sim"
VERSIONED = (PACKAGE, "mesa", "numpy", "pandas", "scipy", "pyarrow", "pydantic", "numba",
             "pyabc", "SALib", "dask")


def read_toml(path: str | Path) -> tuple[str, dict]:
    """The text of a TOML file and its parsed table; one-line InputError if unreadable."""
    text = read_text(path)
    return text, parse_toml(text, path)


def read_text(path: str | Path) -> str:
    """The text of a UTF-8 file; one-line InputError naming it if it cannot be read."""
    path = Path(path)
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(f"{path}: file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: cannot read ({exc})") from None


def parse_toml(text: str, path: str | Path) -> dict:
    """The table of TOML ``text`` read from ``path``; one-line InputError if malformed."""
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"{path}: malformed TOML: {exc}") from None


def output_folder(path: str | Path, flag: str = "--out") -> Path:
    """Make the folder ``path`` (and its parents) if needed and return it.

    A path that is a file, or a folder that cannot be made (no permission, a read-only or
    virtual file system such as /proc), raises :class:`InputError` naming ``flag``.
    """
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise InputError(f"{flag} {path}: exists and is not a folder")
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"{flag} {path}: cannot make this folder ({exc.strerror or exc})") \
            from None
    return path


def write_atomic(path: str | Path, data: bytes) -> Path:
    """Write ``data`` to ``path`` through a temporary file in the same folder, then rename."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path


@contextlib.contextmanager
def staged_folder(out: str | Path, flag: str = "--out") -> Iterator[Path]:
    """A temporary folder inside ``out`` for files that replace ``out``'s only together.

    Write the files into the folder this yields; when the block ends without an error they
    are renamed into ``out`` (one rename each), and if it fails ``out`` keeps what it had.
    """
    out = output_folder(out, flag)
    staging = Path(tempfile.mkdtemp(prefix=".partial-", dir=out))
    try:
        yield staging
        for item in sorted(staging.iterdir()):
            os.replace(item, out / item.name)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def write_text(path: str | Path, text: str) -> Path:
    """Write UTF-8 text atomically."""
    return write_atomic(path, text.encode("utf-8"))


def write_json(path: str | Path, data: Any) -> Path:
    """Write JSON atomically; NaN and infinities become null."""
    return write_text(path, json.dumps(_plain(data), indent=2, allow_nan=False, default=str)
                      + "\n")


def write_parquet(path: str | Path, table: Any) -> Path:
    """Write a pandas DataFrame or a pyarrow Table as Parquet, atomically."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    if not isinstance(table, pa.Table):
        table = pa.Table.from_pandas(table, preserve_index=False)
    sink = pa.BufferOutputStream()
    pq.write_table(table, sink)
    return write_atomic(path, sink.getvalue().to_pybytes())


def write_figure(path: str | Path, figure: Any, dpi: int = 110) -> Path:
    """Write a matplotlib figure as PNG, atomically, and close it."""
    import io

    import matplotlib.pyplot as plt

    buffer = io.BytesIO()
    try:
        figure.savefig(buffer, format="png", dpi=dpi)
    finally:
        plt.close(figure)
    return write_atomic(path, buffer.getvalue())


def read_json(path: str | Path) -> dict:
    """A JSON file's contents."""
    return json.loads(Path(path).read_text(encoding="utf-8"))


def stamp() -> dict[str, Any]:
    """What every manifest records about how it was made: when, and with which software."""
    versions = {"python": platform.python_version()}
    for name in VERSIONED:
        try:
            versions[name] = version(name)
        except PackageNotFoundError:
            pass
    commit = _git_commit()
    if commit:
        versions["git_commit"] = commit
    return {"created_utc": datetime.now(UTC).isoformat(timespec="seconds"),
            "versions": versions}


def _git_commit() -> str | None:
    """The checkout's commit when the package runs from one (None when installed)."""
    folder = Path(__file__).resolve().parent.parent
    if not (folder / ".git").exists():
        return None
    try:
        found = subprocess.run(["git", "describe", "--always", "--dirty", "--abbrev=12"],
                               capture_output=True, text=True, cwd=folder, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return None
    return found.stdout.strip() if found.returncode == 0 else None


def _plain(value: Any) -> Any:
    """JSON-ready: numpy scalars to Python, non-finite floats to None."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if hasattr(value, "item") and callable(value.item) and getattr(value, "ndim", 1) == 0:
        return _plain(value.item())
    return value
