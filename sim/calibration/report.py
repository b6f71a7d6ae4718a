"""What a calibration reports: posterior summaries, the fit of each pattern, a figure, Markdown.

Intervals are the project's 90% band (:data:`sim.vocabulary.BAND`), equal-tailed.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from sim.calibration.abc import PatternDistance
from sim.calibration.spec import CalibrationSpec
from sim.output.markdown import markdown_lines
from sim.output.plots import draw_observations, observation_handles, pyplot
from sim.vocabulary import BAND, FITTED_KINDS, OBSERVATION_KINDS


def weighted_quantile(values: np.ndarray, weights: np.ndarray, q: float | Sequence[float]
                      ) -> np.ndarray:
    """Quantiles of a weighted sample (midpoint rule on the sorted cumulative weights)."""
    values, weights = np.asarray(values, float), np.asarray(weights, float)
    values, weights = values[weights > 0], weights[weights > 0]
    order = np.argsort(values, kind="stable")
    v, w = values[order], weights[order]
    cumulative = (np.cumsum(w) - 0.5 * w) / w.sum()
    return np.interp(np.asarray(q, float), cumulative, v)


def summarize(posterior: pd.DataFrame, calibration: CalibrationSpec) -> pd.DataFrame:
    """Posterior mean, median and 90% interval of each parameter, beside its prior."""
    w = posterior["weight"].to_numpy()
    rows = []
    for spec in calibration.parameters:
        x = posterior[spec.key].to_numpy()
        q05, median, q95 = weighted_quantile(x, w, [BAND[0], 0.5, BAND[1]])
        p05, p95 = spec.quantile(BAND[0]), spec.quantile(BAND[1])
        rows.append({"parameter": spec.key, "prior": spec.prior, "prior_low": spec.low,
                     "prior_high": spec.high, "prior_q05": float(p05), "prior_q95": float(p95),
                     "mean": float(np.average(x, weights=w)), "median": float(median),
                     "q05": float(q05), "q95": float(q95),
                     "width_ratio": float((q95 - q05) / (p95 - p05))})
    return pd.DataFrame(rows)


def _band(values: np.ndarray) -> tuple[float, float, float, float]:
    values = values[~np.isnan(values)]
    if not len(values):
        return (math.nan,) * 4
    q05, q50, q95 = np.quantile(values, [BAND[0], 0.5, BAND[1]])
    return float(values.mean()), float(q50), float(q05), float(q95)


def interval_score(q05: float, q95: float, low: float, high: float) -> float:
    """Interval score of a central 90% interval [q05, q95] against an observation [low, high].

    Gneiting & Raftery (2007, JASA 102:359), eq. 43, with alpha = 0.1: the width plus 2/alpha
    times the distance from the interval to the observation. An observation that is a band
    or a bound is the region [low, high] (a bound has one infinite end): the distance is zero
    when the interval reaches it. Lower is better; in counts.
    """
    alpha = 1.0 - (BAND[1] - BAND[0])
    gap = max(low - q95, q05 - high, 0.0)
    return float((q95 - q05) + 2.0 / alpha * gap)


def role(row: Any, fitted: bool) -> str:
    """A pattern's part in a calibration: fitted, input (seeded) or forecast (not fitted)."""
    if row.kind == "input":
        return "input"
    return "fitted" if fitted else "forecast"


def fit_table(observed: pd.DataFrame, calibration: CalibrationSpec,
              runs: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """Per pattern: observed value and band, and mean, median and 90% range of each run set.

    ``runs`` maps a label (before, predictive, after) to a frame of simulated patterns, one row
    per run. ``misfit_<label>`` is the scaled misfit of the mean (fitted patterns only).
    The posterior-predictive check: ``covered`` says whether the predictive 90% interval
    reaches the observed region [low, high], ``interval_score`` scores it
    (:func:`interval_score`); ``role`` says whether the pattern was fitted, forecast or a
    seeded input.
    """
    specs = {p.metric: p for p in calibration.patterns}
    rows = []
    for row in observed.itertuples():
        if row.metric not in next(iter(runs.values())).columns:
            continue
        spec = specs.get(row.metric)
        out = {"metric": row.metric, "id": getattr(row, "id", ""), "fitted": spec is not None,
               "role": role(row, spec is not None), "observed": row.value,
               "low": row.low, "high": row.high, "kind": row.kind,
               "scale": spec.scale if spec else math.nan}
        for label, frame in runs.items():
            mean, median, q05, q95 = _band(frame[row.metric].to_numpy(float))
            out |= {f"{label}_mean": mean, f"{label}_median": median, f"{label}_q05": q05,
                    f"{label}_q95": q95}
            if spec is not None:
                out[f"misfit_{label}"] = float(PatternDistance([spec], observed).misfits(
                    {row.metric: mean})[0])
        if "predictive" in runs:
            q05, q95 = out["predictive_q05"], out["predictive_q95"]
            out["covered"] = bool(max(row.low - q95, q05 - row.high) <= 1e-9)
            out["interval_score"] = interval_score(q05, q95, row.low, row.high)
        rows.append(out)
    return pd.DataFrame(rows)


def observed_words(kind: str, value: float, low: float, high: float) -> str:
    """An observation in words: 'at least 30', 'at most 36.7', '107.1-128.5', 'about 5'."""
    if kind == "lower" or (kind == "input" and not math.isfinite(high)):
        return f"{OBSERVATION_KINDS['lower']} {low:g}"
    if kind == "upper":
        return f"{OBSERVATION_KINDS['upper']} {high:g}"
    if kind == "band":
        return f"{low:g}-{high:g}"
    return f"{OBSERVATION_KINDS['point']} {value:g}"


def check_table(fit: pd.DataFrame) -> pd.DataFrame:
    """The posterior-predictive check in words: one row per pattern, seeded inputs last."""
    table = fit[fit["role"] != "input"]
    return pd.DataFrame({
        "id": table["id"], "pattern": table["metric"], "role": table["role"],
        "observed": [observed_words(k, v, lo, hi) for k, v, lo, hi in
                     zip(table["kind"], table["observed"], table["low"], table["high"],
                         strict=True)],
        "90% predictive interval": [f"{lo:.1f}-{hi:.1f}" for lo, hi in
                                    zip(table["predictive_q05"], table["predictive_q95"],
                                        strict=True)],
        "covered": table["covered"], "interval score": table["interval_score"].round(1)})


def recovery_table(summary: pd.DataFrame, truth: Mapping[str, float]) -> pd.DataFrame:
    """Each parameter's truth beside its posterior median and 90% interval; covered or not."""
    frame = summary[["parameter", "median", "q05", "q95", "prior_q05", "prior_q95",
                     "width_ratio"]].copy()
    frame.insert(1, "truth", frame["parameter"].map(truth))
    frame["covered"] = (frame["q05"] <= frame["truth"]) & (frame["truth"] <= frame["q95"])
    return frame


def _toml_value(value: float) -> str:
    text = repr(float(value))
    return text if ("." in text or "e" in text or "inf" in text) else f"{text}.0"


def preset_text(calibration: CalibrationSpec, values: Mapping[str, float],
                manifest: Mapping[str, Any]) -> str:
    """The preset file: extends the base scenario and sets the posterior medians."""
    assert calibration.preset is not None
    settings = calibration.abc
    lines = [
        f"# Produced by `{manifest.get('command') or 'innovate calibrate'}` on "
        f"{manifest['created_utc'][:10]} (UTC),",
        f"# in {manifest['timings_s']['total']:.0f} s with {settings.workers} worker(s): "
        f"ABC-SMC (pyabc {manifest['versions']['pyabc']}), {settings.population_size} "
        f"particles,",
        f"# {manifest['generations_completed']} generations, {manifest['simulations']} "
        f"simulations, seed {settings.seed}, final epsilon {manifest['final_epsilon']:.3g}.",
        "# Each value below is the posterior median (4 significant digits) of a parameter of "
        f"the calibration '{calibration.name}',",
        "# fitted to the observed patterns of docs/ODD.md section 1.2 "
        "(sim/data/observed_patterns.csv);",
        "# the posterior, its 90% intervals and the fit of each pattern are in the output "
        "folder and",
        "# in experiments/README.md (## calibration). Do not edit by hand: run the command "
        "again.",
        "",
        f'extends = "{calibration.scenario}"',
        f'name = "{calibration.preset.name}"',
        f"description = {json.dumps(calibration.preset.description)}",
    ]
    tables: dict[str, list[str]] = {}
    events: dict[str, list[str]] = {}
    for key, value in values.items():
        parts = key.split(".")
        if parts[0] == "events":
            events.setdefault(parts[1], []).append(f"{parts[2]} = {_toml_value(value)}")
        else:
            table = ".".join(_toml_key(p) for p in parts[:-1])
            tables.setdefault(table, []).append(f"{_toml_key(parts[-1])} = "
                                                f"{_toml_value(value)}")
    for table, entries in tables.items():
        lines += ["", f"[{table}]", *entries] if table else ["", *entries]
    for ident, entries in events.items():
        lines += ["", "[[events]]", f'id = "{ident}"', *entries]
    return "\n".join(lines) + "\n"


def _toml_key(part: str) -> str:
    return part if part.replace("_", "").replace("-", "").isalnum() else json.dumps(part)


def predictive_figure(fit: pd.DataFrame, calibration: CalibrationSpec):
    """One panel per pattern: the observation; before, posterior-predictive and after.

    The observation is drawn as its kind says (:func:`sim.output.plots.draw_observations`),
    with dotted guides at its ends. Points are medians and bars 90% ranges of the simulated
    counts.
    """
    plt = pyplot()

    n = len(fit)
    cols = min(3, n)
    rows = math.ceil(n / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(4.2 * cols, 3.2 * rows), squeeze=False,
                             constrained_layout=True)
    seeds, draws = calibration.predictive.seeds, calibration.predictive.draws
    sets = [("before", f"before: {calibration.scenario} ({seeds} seeds)", "tab:gray"),
            ("predictive", f"posterior predictive ({draws} draws)", "tab:blue"),
            ("after", f"after: posterior medians ({seeds} seeds)", "tab:orange")]
    kinds: list[str] = []
    for ax, row in zip(axes.ravel(), fit.itertuples(), strict=False):
        # the observation at x = -1, drawn as its kind says, with dotted guides at its ends
        # (none for a seeded input: it is no target)
        observation = pd.DataFrame([{"kind": row.kind, "value": row.observed,
                                     "low": row.low, "high": row.high}])
        kinds += draw_observations(ax, observation, color="tab:green", x=[-1])
        guides = ({row.low, row.high} if row.kind in FITTED_KINDS
                  else {row.observed} if row.kind != "input" else set())
        for end in guides:
            if math.isfinite(end):
                ax.axhline(end, color="tab:green", lw=0.8, ls=":")
        for x, (label, name, color) in enumerate(sets):
            median = getattr(row, f"{label}_median")
            low, high = getattr(row, f"{label}_q05"), getattr(row, f"{label}_q95")
            ax.errorbar([x], [median], yerr=[[median - low], [high - median]], fmt="o",
                        color=color, capsize=4, label=name)
        ax.set_xticks(range(-1, len(sets)), ["synthetic" if calibration.synthetic else
                                             "published", "before", "predictive", "after"])
        ax.set_xlim(-1.6, len(sets) - 0.4)
        ax.set_title(row.metric + ("" if row.fitted else " (not fitted)"), fontsize=9)
        ax.set_ylabel("authorities")
    for ax in axes.ravel()[n:]:
        ax.axis("off")
    lines, _ = axes.ravel()[0].get_legend_handles_labels()
    axes.ravel()[0].legend(handles=lines + observation_handles(kinds, color="tab:green"),
                           fontsize=7, loc="upper left")
    kind = "synthetic data" if calibration.synthetic else "observed patterns (ODD 1.2)"
    fig.suptitle(f"{calibration.name}: simulated counts (median, 90% range) against {kind}")
    return fig


def _number(value: Any) -> str:
    if isinstance(value, bool | np.bool_):
        return "yes" if value else "no"
    if isinstance(value, float | np.floating):
        return "-" if math.isnan(value) else f"{value:.4g}"
    return str(value)


def _markdown(frame: pd.DataFrame) -> list[str]:
    return markdown_lines(frame, lambda _, value: _number(value))


def summary_markdown(calibration: CalibrationSpec, summary: pd.DataFrame, fit: pd.DataFrame,
                     generations: pd.DataFrame, recovery: pd.DataFrame | None,
                     manifest: Mapping[str, Any]) -> str:
    """A short Markdown report: posterior summary, fit before and after, generations."""
    lines = [f"# Calibration '{calibration.name}'", "",
             f"{manifest['simulations']} simulations, {manifest['generations_completed']} "
             f"generations, final epsilon {manifest['final_epsilon']:.4g}, "
             f"{manifest['timings_s']['total']:.0f} s with {calibration.abc.workers} worker(s).",
             "", "## Posterior (weighted; 90% intervals)", ""]
    lines += _markdown(summary[["parameter", "prior_low", "prior_high", "mean", "median", "q05",
                                "q95", "width_ratio"]])
    if recovery is not None:
        lines += ["", "## Recovery of the synthetic truth", ""]
        lines += _markdown(recovery[["parameter", "truth", "median", "q05", "q95",
                                     "width_ratio", "covered"]])
    lines += ["", "## Patterns: observed, before (base scenario) and after (posterior medians)",
              "", "Mean of the runs, 90% range in brackets.", ""]
    table = pd.DataFrame({
        "pattern": fit["metric"], "fitted": fit["fitted"], "observed": fit["observed"],
        "observed region": [observed_words(k, v, lo, hi) for k, v, lo, hi in
                            zip(fit["kind"], fit["observed"], fit["low"], fit["high"],
                                strict=True)],
        **{label: [f"{m:.1f} [{lo:.0f}-{hi:.0f}]" for m, lo, hi in
                   zip(fit[f"{label}_mean"], fit[f"{label}_q05"], fit[f"{label}_q95"],
                       strict=True)]
           for label in ("before", "predictive", "after")}})
    lines += _markdown(table)
    if "covered" in fit:
        check = check_table(fit)
        lines += ["", "## Posterior-predictive check", "",
                  f"{int(check['covered'].sum())} of {len(check)} observations lie in (or "
                  f"reach) their 90% posterior-predictive interval; interval score "
                  f"(Gneiting & Raftery 2007, alpha 0.1, counts; lower is better): total "
                  f"{check['interval score'].sum():.1f}. Seeded inputs are not counted.", ""]
        lines += _markdown(check)
    lines += ["", "## Generations", ""]
    lines += _markdown(generations)
    return "\n".join(lines) + "\n"
