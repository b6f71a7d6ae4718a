"""A calibration's posterior beside its preset: reading it, drawing from it, applying a draw.

``innovate calibrate`` writes, next to the preset ``<name>.toml`` of the posterior medians, the
posterior itself as ``<name>.posterior.csv``: columns ``draw`` (0 to N-1), ``weight``
(normalised, summing to 1), then one column per fitted dotted key (``approaches.CS.p0``,
``events.<id>.value``...), every value in full precision (Python's ``repr``). One row is one
particle of the last ABC generation, in the order of ``posterior.parquet``.

An ensemble that carries parameter uncertainty gives each replicate its own draw: the replicate
with seed ``s`` uses the particle :func:`posterior_draws` picks by weight with a generator seeded
by ``SeedSequence((DRAW_TAG, s))``. The draw depends on the seed alone, never on the other
replicates, the number of workers or the backend, so ``innovate run --seed S --posterior NAME``
repeats any replicate of a sweep or a comparison. :func:`config_for_draw` sets the draw's values
with the project's one way of setting a dotted key (:func:`sim.config.loading.apply_override`),
which gives the configuration the calibration simulated for that particle.

Any problem with the file (missing, a value that is not a number, a weight that is not
positive, a column that is not a real-valued parameter) raises :class:`sim.errors.InputError`
with one line naming the file and the column.
"""

from __future__ import annotations

import csv
import hashlib
import io
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from sim.config.loading import apply_override, load_config, scenario_file, validate
from sim.config.parameters import flatten
from sim.config.schema import Config
from sim.errors import SHOWN_CHARACTERS, InputError, shown
from sim.io import write_text

SUFFIX = ".posterior.csv"
DRAW_TAG = int.from_bytes(b"posterior", "big")      # first word of every draw's seed sequence
KEYS_ALLOWED = ("a real-valued key of 'innovate params' (e.g. approaches.CS.p0) or "
                "events.<id>.<number field>")
CALIBRATE_HINT = ("run 'innovate calibrate experiments/calibration.toml' and install its preset "
                  "with 'innovate install-preset', which writes it beside the preset")


@dataclass(frozen=True, eq=False)
class Posterior:
    """Weighted parameter draws of a calibration, as read from ``<name>.posterior.csv``.

    Attributes:
        keys: the dotted parameter keys, in the file's column order.
        values: the draws' values, shape (draws, keys), read-only.
        weights: the draws' weights, normalised to sum to 1, read-only.
        path: the file read.
        sha256: SHA-256 of the file's bytes (recorded in manifests).
    """

    keys: tuple[str, ...]
    values: np.ndarray
    weights: np.ndarray
    path: Path
    sha256: str

    @property
    def name(self) -> str:
        """The preset the posterior belongs to (the file name without ``.posterior.csv``)."""
        return self.path.name.removesuffix(SUFFIX).removesuffix(".csv")

    @property
    def size(self) -> int:
        """Number of draws (particles)."""
        return len(self.weights)

    def parameters(self, draw: int) -> dict[str, float]:
        """The values of draw ``draw`` as ``dotted key -> value``."""
        if not 0 <= draw < self.size:
            raise InputError(f"{self.path}: draw {draw} does not exist; draws are 0 to "
                             f"{self.size - 1}")
        return {key: float(v) for key, v in zip(self.keys, self.values[draw], strict=True)}

    def describe(self) -> dict[str, Any]:
        """What a manifest records about the posterior: file, digest, keys, the draw rule."""
        return {"name": self.name, "file": str(self.path), "sha256": self.sha256,
                "keys": list(self.keys), "draws": self.size,
                "rule": f"the replicate with seed s uses draw searchsorted(cumsum(weight), u, "
                        f"side='right') with u = numpy.random.default_rng(numpy.random."
                        f"SeedSequence(({DRAW_TAG}, s))).random(); a key the run sets "
                        f"itself (--set, an experiment's point) keeps that value"}


def posterior_path(name_or_path: str | Path) -> Path:
    """The posterior file of a preset: ``<name>.posterior.csv`` beside the preset's TOML.

    Takes a preset name, a preset ``.toml`` path, or a ``.csv`` path (returned as given). The
    file need not exist.
    """
    text = str(name_or_path)
    if text.endswith(".csv"):
        return Path(text)
    preset = scenario_file(text)
    return preset.with_name(preset.stem + SUFFIX)


def has_posterior(name_or_path: str | Path) -> bool:
    """Whether a preset (name or path) has a posterior file beside it."""
    try:
        return posterior_path(name_or_path).is_file()
    except InputError:
        return False


def load_posterior(name_or_path: str | Path, config: Config | None = None, *,
                   field: str = "posterior") -> Posterior:
    """Read and check the posterior of a preset name, a preset ``.toml`` path or a ``.csv`` path.

    Every column must be a real-valued parameter of ``config`` (default: the preset the file
    belongs to; a ``.csv`` without a preset beside it is checked when it is applied), and the
    smallest and largest value of each column must be valid model values
    (:func:`check_posterior`). ``field`` names the setting in
    errors about the name (``--posterior``, ``experiment.posterior``); errors about the file's
    contents name the file, the line and the column.
    """
    try:
        path = posterior_path(name_or_path)
    except InputError as exc:
        raise InputError(f"{field}: {exc}") from None
    if not path.is_file():
        if str(name_or_path).endswith(".csv"):
            raise InputError(f"{field}: {path}: file not found")
        raise InputError(f"{field}: preset {shown(str(name_or_path))} has no posterior "
                         f"({path} not found); {CALIBRATE_HINT}")
    try:
        data = path.read_bytes()
        text = data.decode("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: cannot read ({exc})") from None
    keys, values, weights = _parse(text, path)
    posterior = Posterior(keys=keys, values=values, weights=weights, path=path,
                          sha256=hashlib.sha256(data).hexdigest())
    preset = path.with_name(path.name.removesuffix(SUFFIX) + ".toml")
    if config is None and path.name.endswith(SUFFIX) and preset.is_file():
        config = load_config(preset)
    if config is not None:
        check_posterior(posterior, config)
    return posterior


def _parse(text: str, path: Path) -> tuple[tuple[str, ...], np.ndarray, np.ndarray]:
    rows = list(csv.reader(io.StringIO(text)))
    while rows and not any(cell.strip() for cell in rows[-1]):
        rows.pop()
    if not rows:
        raise InputError(f"{path}: empty; needs the header draw,weight,<key>,... and one row "
                         "per draw")
    header = [cell.strip() for cell in rows[0]]
    if header[:2] != ["draw", "weight"] or len(header) < 3:
        raise InputError(f"{path}: line 1: the header must be draw,weight then one column per "
                         f"parameter key (got {shown(','.join(header))})")
    keys = header[2:]
    for key in keys:
        if not key:
            raise InputError(f"{path}: line 1: an empty column name; every column after weight "
                             "is a parameter key")
        if keys.count(key) > 1:
            raise InputError(f"{path}: column {_key(key)}: listed twice")
    if len(rows) < 2:
        raise InputError(f"{path}: no draws; needs one row per draw after the header")
    values = np.empty((len(rows) - 1, len(keys)))
    weights = np.empty(len(rows) - 1)
    for i, row in enumerate(rows[1:]):
        line = i + 2
        if len(row) != len(header):
            raise InputError(f"{path}: line {line}: {len(row)} values; the header has "
                             f"{len(header)} columns")
        if row[0].strip() != str(i):
            raise InputError(f"{path}: line {line}, column draw: expected {i} (draws are "
                             f"numbered 0 to N-1 in order), got {shown(row[0])}")
        weights[i] = _number(row[1], path, line, "weight")
        if not weights[i] > 0:
            raise InputError(f"{path}: line {line}, column weight: must be a positive number "
                             f"(got {shown(row[1])})")
        for j, key in enumerate(keys):
            values[i, j] = _number(row[j + 2], path, line, key)
    weights /= weights.sum()
    values.flags.writeable = False
    weights.flags.writeable = False
    return tuple(keys), values, weights


def _key(key: str) -> str:
    """A column name as errors show it (keys are longer than most input)."""
    return shown(key, 2 * SHOWN_CHARACTERS)


def _number(text: str, path: Path, line: int, column: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value):
        raise InputError(f"{path}: line {line}, column {column}: missing or not a finite number "
                         f"(got {shown(text)})")
    return value


def parameter_value(config: Config, key: str,
                    flat: Mapping[str, Any] | None = None) -> float | None:
    """The value of a real-valued dotted key in ``config``, or None if the key is not one.

    Real-valued keys are the float parameters of ``innovate params`` and the float fields of
    events addressed by id (``events.<id>.<field>``): exactly the keys a calibration can fit.
    ``flat`` is ``flatten(config)`` when the caller has it already.
    """
    parts = key.split(".")
    if parts[0] == "events":
        if len(parts) != 3:
            return None
        event = next((e for e in config.events if e.id == parts[1]), None)
        if event is None or parts[2] not in type(event).model_fields:
            return None
        value = getattr(event, parts[2])
        annotation = type(event).model_fields[parts[2]].annotation
        return float(value) if annotation in (float, float | None) and value is not None \
            else None
    value = (flatten(config) if flat is None else flat).get(key)
    return float(value) if isinstance(value, float) else None


def check_posterior(posterior: Posterior, config: Config) -> None:
    """Check that the posterior can be applied to ``config``; one-line InputError if not.

    Every key must be a real-valued parameter of ``config`` (:func:`parameter_value`), and the
    smallest and largest value of each column must be valid values of that parameter.
    """
    for j, key in enumerate(posterior.keys):
        if parameter_value(config, key) is None:
            raise InputError(f"{posterior.path}: column {_key(key)}: not a settable "
                             f"parameter of scenario {shown(config.name)}; allowed: {KEYS_ALLOWED}")
        raw = config.model_dump(mode="python")
        for draw in sorted({int(np.argmin(posterior.values[:, j])),
                            int(np.argmax(posterior.values[:, j]))}):
            value = float(posterior.values[draw, j])
            apply_override(raw, key, value)
            try:
                validate(raw)
            except InputError as exc:
                message = str(exc).split(": ", 1)[-1]
                raise InputError(f"{posterior.path}: column {key}: {value!r} (draw {draw}) is "
                                 f"not a valid model value ({message})") from None


def posterior_draws(posterior: Posterior, seeds: Iterable[int]) -> list[int]:
    """The draw of each replicate seed: by weight, from ``SeedSequence((DRAW_TAG, seed))``.

    Deterministic and per seed: the same seed gives the same draw whatever else is drawn, the
    number of workers or the backend.
    """
    cumulative = np.cumsum(posterior.weights)
    out = []
    for seed in seeds:
        if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or not (
                0 <= int(seed) < 2**63):
            raise InputError(f"seed: must be a whole number from 0 to 2**63-1 (got "
                             f"{shown(seed)})")
        u = np.random.default_rng(np.random.SeedSequence((DRAW_TAG, int(seed)))).random()
        index = int(np.searchsorted(cumulative, u * cumulative[-1], side="right"))
        out.append(min(index, posterior.size - 1))
    return out


def _kept(key: str, keep: Iterable[str]) -> bool:
    """Whether ``key`` is set by one of the run's own settings ``keep`` (or a table above it)."""
    return any(key == k or key.startswith(f"{k}.") for k in keep)


def apply_parameters(base: Config, values: Mapping[str, float],
                     keep: Iterable[str] = ()) -> Config:
    """``base`` with the dotted ``values`` set, except keys the run sets itself (``keep``).

    ``keep`` lists the dotted keys of the run's own settings (``--set``, an experiment's
    point): they win over the posterior. Each key is set with
    :func:`sim.config.loading.apply_override` and the result validated.
    """
    kept = [k.replace("__", ".") for k in keep]
    chosen = {k: float(v) for k, v in values.items() if not _kept(k, kept)}
    if not chosen:
        return base
    raw = base.model_dump(mode="python")
    flat = flatten(base)
    for key, value in chosen.items():
        if parameter_value(base, key, flat) is None:
            raise InputError(f"posterior: {_key(key)} is not a settable parameter "
                             f"of scenario {shown(base.name)}; allowed: {KEYS_ALLOWED}")
        apply_override(raw, key, value)
    return validate(raw, "posterior draw")


def config_for_draw(base: Config, posterior: Posterior, draw: int,
                    keep: Iterable[str] = ()) -> Config:
    """``base`` with the values of draw ``draw`` set (keys in ``keep`` keep base's value)."""
    try:
        return apply_parameters(base, posterior.parameters(draw), keep)
    except InputError as exc:
        message = str(exc).split(": ", 1)[-1]
        raise InputError(f"{posterior.path}: draw {draw}: {message}") from None


def draw_record(posterior: Posterior, seed: int, draw: int,
                keep: Iterable[str] = ()) -> dict[str, Any]:
    """What a manifest records of one replicate: its seed, its draw and the values it took."""
    kept = [k.replace("__", ".") for k in keep]
    return {"seed": int(seed), "draw": int(draw),
            "parameters": {k: v for k, v in posterior.parameters(draw).items()
                           if not _kept(k, kept)}}


def posterior_text(keys: Sequence[str], values: np.ndarray, weights: np.ndarray) -> str:
    """The CSV text of a posterior: draw, weight (normalised), then one column per key."""
    values = np.asarray(values, float)
    weights = np.asarray(weights, float)
    if values.shape != (len(weights), len(keys)) or not len(weights):
        raise ValueError(f"posterior: values of shape {values.shape} do not match "
                         f"{len(weights)} weights and {len(keys)} keys")
    weights = weights / weights.sum()
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["draw", "weight", *keys])
    for i, (w, row) in enumerate(zip(weights, values, strict=True)):
        writer.writerow([i, repr(float(w)), *(repr(float(v)) for v in row)])
    return buffer.getvalue()


def write_posterior(path: str | Path, keys: Sequence[str], values: np.ndarray,
                    weights: np.ndarray) -> Path:
    """Write a posterior file atomically (:func:`posterior_text`)."""
    return write_text(path, posterior_text(keys, values, weights))
