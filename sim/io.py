"""Files: output folders, with a one-line error when one cannot be made."""

from __future__ import annotations

from pathlib import Path

from sim.errors import InputError


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
