"""Analysing a sweep: ensemble summaries, comparisons, curves, sensitivity and discovery.

``innovate analyze DIR`` reads what ``innovate sweep`` wrote and adds ``DIR/analysis/``:

- ``summary.csv``: for every point and outcome, the mean, the 5% and 95% quantiles over
  replicates, and how many runs reached a time-to-threshold outcome at all;
- ``comparison.csv``: every point against the baseline point, paired by replicate (the
  replicates share seeds), with a 90% confidence interval of the mean difference, and the
  same in plain words;
- ``curves.png``: counts at the analysis measure over time, mean and 90% band per point
  (all runs together for sampled designs), with the observed historical points;
- ``sensitivity.csv`` / ``sensitivity.png``: Sobol (S1, ST) or Morris (mu*, sigma) indices
  with bootstrap confidence intervals (SALib), on the replicate mean of each outcome;
- ``discovery.csv`` / ``discovery.png``: PRIM scenario discovery (EMA Workbench) for the
  named outcome threshold.

A time-to-threshold outcome (``year_*``) that a run never reaches is NaN in the metrics. For
summaries it stays missing and the count of runs reaching it is shown; for sensitivity and
discovery it is set to the end of the run (censored: "not before the end").
"""

from __future__ import annotations

import functools
import json
import math
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from sim.errors import InputError
from sim.output.equity import EQUITY_MEASURES
from sim.output.plots import pyplot
from sim.sweeps.design import ExperimentFile, salib_problem
from sim.vocabulary import APPROACHES, BAND

BOOTSTRAP_SEED = 12345


@dataclass
class FinishedSweep:
    """A finished sweep read back from its folder."""

    folder: Path
    manifest: dict
    metrics: pd.DataFrame
    curves: pd.DataFrame | None
    equity: pd.DataFrame | None = None

    @functools.cached_property
    def spec(self) -> ExperimentFile:
        """The experiment file the sweep ran."""
        return ExperimentFile.model_validate(tomllib.loads(self.manifest["experiment_toml"]))

    @property
    def analysis(self) -> dict:
        """The experiment's ``[analysis]`` table (with defaults)."""
        return self.spec.analysis.model_dump()

    @property
    def design(self) -> str:
        """The design kind."""
        return self.manifest["design"]["kind"]

    @property
    def parameters(self) -> list[str]:
        """Varied parameter names."""
        return list(self.manifest["parameters"])

    @property
    def outcomes(self) -> list[str]:
        """The outcomes to report: the analysis list, or every metric column."""
        chosen = self.analysis["outcomes"]
        return chosen or [c for c in self.metrics.columns if "." in c
                          and not c.startswith(("param.", "posterior."))]

    @property
    def ok(self) -> pd.DataFrame:
        """Runs that finished without error."""
        return self.metrics[self.metrics["status"] == "ok"]


@dataclass
class Report:
    """What ``analyze`` wrote: a plain-text report and the file names."""

    text: str
    files: list[str] = field(default_factory=list)


def read_sweep(folder: str | Path) -> FinishedSweep:
    """Read a sweep folder (one-line error if it is not one)."""
    folder = Path(folder)
    manifest_path = folder / "manifest.json"
    if not manifest_path.is_file() or not (folder / "metrics.parquet").is_file():
        raise InputError(f"{folder}: not a finished sweep (needs manifest.json and "
                         "metrics.parquet; run 'innovate sweep' or resume it)")
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    metrics = pd.read_parquet(folder / "metrics.parquet")
    curves_path = folder / "curves.parquet"
    curves = pd.read_parquet(curves_path) if curves_path.is_file() else None
    equity_path = folder / "equity.parquet"
    equity = pd.read_parquet(equity_path) if equity_path.is_file() else None
    return FinishedSweep(folder=folder, manifest=manifest, metrics=metrics, curves=curves,
                         equity=equity)


def analyze(folder: str | Path) -> Report:
    """Write every analysis the sweep's design supports into ``folder/analysis``."""
    sweep = read_sweep(folder)
    out = sweep.folder / "analysis"
    out.mkdir(exist_ok=True)
    report = Report(text="")
    lines = [f"Experiment '{sweep.manifest['experiment']}': {len(sweep.metrics)} runs, "
             f"{int((sweep.metrics['status'] != 'ok').sum())} failed, design "
             f"{sweep.design}."]
    summary = summarise(sweep)
    _save_csv(summary, out / "summary.csv", report)
    lines += ["", "Mean [90% interval] over replicates (reached = runs reaching a "
              "time-to-threshold outcome):", _summary_text(summary)]
    if sweep.design in ("scenarios", "grid") and sweep.ok["point"].nunique() > 1:
        comparison = compare(sweep)
        _save_csv(comparison, out / "comparison.csv", report)
        lines += ["", "Against the baseline (paired by replicate):"]
        lines += [f"- {s}" for s in comparison["sentence"]]
    if sweep.curves is not None:
        plot_curves(sweep, out / "curves.png")
        report.files.append("curves.png")
    if sweep.equity is not None:
        equity = equity_summary(sweep)
        _save_csv(equity, out / "equity.csv", report)
        lines += ["", "The deprivation gap at the end (share integrating, most deprived fifth "
                  "less least deprived; mean over replicates, and against the baseline):"]
        lines += [f"- {s}" for s in gap_sentences(equity)]
    if sweep.design in ("sobol", "morris"):
        indices = sensitivity(sweep)
        _save_csv(indices, out / "sensitivity.csv", report)
        plot_sensitivity(indices, out / "sensitivity.png")
        report.files.append("sensitivity.png")
        lines += ["", f"{sweep.design.title()} indices (with 95% bootstrap half-widths):",
                  _indices_text(indices)]
    discovery = sweep.analysis["discovery"]
    if discovery:
        box = discover(sweep, **discovery)
        _save_csv(box.limits, out / "discovery.csv", report)
        box.plot(out / "discovery.png")
        report.files.append("discovery.png")
        lines += ["", box.text]
    report.text = "\n".join(lines)
    (out / "report.txt").write_text(report.text + "\n", encoding="utf-8")
    report.files.append("report.txt")
    return report


def _save_csv(frame: pd.DataFrame, path: Path, report: Report) -> None:
    frame.to_csv(path, index=False)
    report.files.append(path.name)


# ---------------------------------------------------------------------------------------------
# Summaries and comparisons
# ---------------------------------------------------------------------------------------------


def is_time_to_threshold(outcome: str) -> bool:
    """True for ``year_*`` outcomes, which are NaN when never reached."""
    return outcome.split(".")[-1].startswith("year_")


def summarise(sweep: FinishedSweep) -> pd.DataFrame:
    """Mean, 5% and 95% quantiles and reach count of every outcome at every point."""
    rows = []
    for (point, name), group in sweep.ok.groupby(["point", "point_name"], sort=True):
        for outcome in sweep.outcomes:
            values = group[outcome].to_numpy(float)
            reached = np.isfinite(values)
            finite = values[reached]
            rows.append({"point": point, "point_name": name, "outcome": outcome,
                         "runs": len(values), "reached": int(reached.sum()),
                         "mean": finite.mean() if len(finite) else math.nan,
                         "q05": np.quantile(finite, BAND[0]) if len(finite) else math.nan,
                         "q95": np.quantile(finite, BAND[1]) if len(finite) else math.nan})
    return pd.DataFrame(rows)


def compare(sweep: FinishedSweep) -> pd.DataFrame:
    """Each point minus the baseline point, paired by replicate, for every outcome.

    The interval is a 90% t-interval of the mean paired difference over replicates where both
    runs reached the outcome.
    """
    ok = sweep.ok
    names = ok.drop_duplicates("point").set_index("point")["point_name"]
    baseline_name = sweep.analysis["baseline"] or names.iloc[0]
    baseline_point = names.index[list(names).index(baseline_name)]
    base = ok[ok["point"] == baseline_point].set_index("replicate")
    rows = []
    for point, name in names.items():
        if point == baseline_point:
            continue
        other = ok[ok["point"] == point].set_index("replicate")
        for outcome in sweep.outcomes:
            a, b = other[outcome].align(base[outcome], join="inner")
            both = np.isfinite(a.to_numpy(float)) & np.isfinite(b.to_numpy(float))
            diff = (a - b).to_numpy(float)[both]
            n = len(diff)
            mean, low, high = paired_interval(diff)
            half = mean - low
            rows.append({"point": point, "point_name": name, "baseline": baseline_name,
                         "outcome": outcome, "pairs": n,
                         "reached": int(np.isfinite(a.to_numpy(float)).sum()),
                         "baseline_reached": int(np.isfinite(b.to_numpy(float)).sum()),
                         "replicates": len(a), "mean_difference": mean,
                         "ci90_low": low, "ci90_high": high,
                         "sentence": describe_difference(
                             outcome, name, baseline_name, mean, half, n, len(a),
                             (int(np.isfinite(a.to_numpy(float)).sum()),
                              int(np.isfinite(b.to_numpy(float)).sum())))})
    return pd.DataFrame(rows)


def paired_interval(differences: np.ndarray) -> tuple[float, float, float]:
    """Mean of paired differences and its 90% Student t interval (equal tails, :data:`BAND`).

    NaN where there are too few differences (no mean without one, no interval without two).
    """
    from scipy import stats

    n = len(differences)
    if not n:
        return math.nan, math.nan, math.nan
    mean = float(np.mean(differences))
    if n < 2:
        return mean, math.nan, math.nan
    half = float(stats.t.ppf(BAND[1], n - 1) * np.std(differences, ddof=1) / math.sqrt(n))
    return mean, mean - half, mean + half


def equity_summary(sweep: FinishedSweep) -> pd.DataFrame:
    """Each point's equity lens at the end: mean over its runs, and against the baseline.

    One row per point, group, name and approach: the mean shares engaged and integrating and
    the mean outcome, and (designs with named points or a grid) the integrating share's mean
    paired difference from the baseline point with its 90% interval.
    """
    ok = sweep.ok[["run_id", "point", "point_name", "replicate"]]
    table = sweep.equity.merge(ok, on="run_id")
    keys = ["point", "point_name", "group", "name", "approach"]
    means = table.groupby(keys, sort=False)[list(EQUITY_MEASURES)].mean().reset_index()
    names = ok.drop_duplicates("point").set_index("point")["point_name"]
    if sweep.design not in ("scenarios", "grid") or len(names) < 2:
        return means
    baseline = sweep.analysis["baseline"] or names.iloc[0]
    base = table[table["point_name"] == baseline].set_index(
        ["replicate", "group", "name", "approach"])["integrating"]
    rows = []
    for key, part in table.groupby(keys, sort=False):
        mine = part.set_index(["replicate", "group", "name", "approach"])["integrating"]
        a, b = mine.align(base, join="inner")
        mean, low, high = paired_interval((a - b).to_numpy(float)[np.isfinite(a - b)])
        rows.append((*key, baseline, mean, low, high))
    paired = pd.DataFrame(rows, columns=[*keys, "baseline", "integrating_difference",
                                         "ci90_low", "ci90_high"])
    return means.merge(paired, on=keys)


def gap_sentences(equity: pd.DataFrame) -> list[str]:
    """The deprivation gap in the share integrating at each point, in words."""
    gaps = equity[equity["group"] == "gap"]
    out = []
    for row in gaps.itertuples():
        line = (f"{row.point_name}, {row.approach}: {100 * row.integrating:+.1f} percentage "
                "points")
        if "baseline" in gaps.columns and row.point_name != row.baseline:
            line += (f"; {100 * row.integrating_difference:+.1f} against {row.baseline} (90% "
                     f"CI {100 * row.ci90_low:+.1f} to {100 * row.ci90_high:+.1f})")
        out.append(line)
    return out


def describe_difference(outcome: str, name: str, baseline: str, mean: float, half: float,
                        pairs: int, replicates: int, reached: tuple[int, int] | None = None
                        ) -> str:
    """The difference in plain words, e.g. 'TS reaches 25% integrating 1.5 years later'.

    ``reached`` is how many runs of the point and of the baseline reached a time-to-threshold
    outcome before the end; when not all did, the sentence says so.
    """
    approach, metric = outcome.split(".", 1)
    if not math.isfinite(mean):
        return (f"{outcome}: under '{name}' not comparable with '{baseline}' (reached in both "
                f"in {pairs} of {replicates} replicates).")
    interval = (f" (90% CI {mean - half:+.3g} to {mean + half:+.3g}; {pairs} of {replicates} "
                "paired replicates)" if math.isfinite(half) else "")
    if is_time_to_threshold(outcome):
        parts = metric.split("_")
        stage = {"engaged": "engaged", "integrated": "integrating"}[parts[1]]
        what = f"{approach} reaches {parts[-1].replace('pct', '%')} {stage}"
        direction = "later" if mean > 0 else "earlier"
        censored = ""
        if reached and min(reached) < replicates:
            censored = (f"; it is reached before the end in {reached[0]} of {replicates} runs, "
                        f"against {reached[1]} under '{baseline}'")
        return (f"Under '{name}', {what} {abs(mean):.1f} years {direction} than under "
                f"'{baseline}'{interval}{censored}.")
    if mean == 0 and (not math.isfinite(half) or half == 0):
        return f"Under '{name}', {outcome} is the same as under '{baseline}' in every replicate."
    direction = "higher" if mean > 0 else "lower"
    return (f"Under '{name}', {outcome} is {abs(mean):.3g} {direction} than under "
            f"'{baseline}'{interval}.")


def _summary_text(summary: pd.DataFrame, limit: int = 12) -> str:
    points = summary["point"].unique()
    shown = summary[summary["point"].isin(points[:limit])]
    lines = []
    for outcome, group in shown.groupby("outcome", sort=False):
        lines.append(f"  {outcome}")
        for row in group.itertuples():
            spec = ".2f" if is_time_to_threshold(outcome) else ".4g"
            text = "never reached" if not math.isfinite(row.mean) else \
                f"{row.mean:>10{spec}}  [{row.q05:{spec}}, {row.q95:{spec}}]"
            if is_time_to_threshold(outcome) and row.reached < row.runs:
                text += f"  reached in {row.reached}/{row.runs} runs"
            lines.append(f"    {str(row.point_name)[:40]:40s}{text}")
    if len(points) > limit:
        lines.append(f"  ... and {len(points) - limit} more points (see summary.csv)")
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------------
# Curves
# ---------------------------------------------------------------------------------------------


def curve_bands(sweep: FinishedSweep, measure: str) -> pd.DataFrame:
    """Mean and 90% band of the UK count at ``measure`` per point, approach and step."""
    curves = sweep.curves
    ok_runs = sweep.ok[["run_id", "point", "point_name"]]
    many = sweep.design in ("latin", "sobol", "morris")
    data = curves[curves["measure"] == measure].merge(ok_runs, on="run_id")
    rows = []
    keys = ["approach"] if many else ["point", "point_name", "approach"]
    for key, group in data.groupby(keys, sort=True):
        stacked = np.vstack(group["counts"].to_numpy()).astype(float)
        t0, dt = group["t0"].iloc[0], group["dt"].iloc[0]
        times = t0 + dt * np.arange(1, stacked.shape[1] + 1)
        rows.append(pd.DataFrame({
            "point_name": "all runs" if many else key[1], "approach": key[-1], "time": times,
            "mean": stacked.mean(axis=0), "q05": np.quantile(stacked, BAND[0], axis=0),
            "q95": np.quantile(stacked, BAND[1], axis=0)}))
    return pd.concat(rows, ignore_index=True)


def plot_curves(sweep: FinishedSweep, path: Path, max_points: int = 8) -> None:
    """Counts at the analysis measure over time: mean line and 90% band per point."""
    plt = pyplot()

    measure = sweep.analysis["measure"]
    bands = curve_bands(sweep, measure)
    names = list(dict.fromkeys(bands["point_name"]))[:max_points]
    fig, axes = plt.subplots(1, len(APPROACHES), figsize=(13, 4), sharey=True)
    for ax, approach in zip(axes, APPROACHES, strict=True):
        for i, name in enumerate(names):
            rows = bands[(bands["point_name"] == name) & (bands["approach"] == approach)]
            colour = f"C{i % 10}"
            ax.fill_between(rows["time"], rows["q05"], rows["q95"], color=colour, alpha=0.2,
                            linewidth=0)
            ax.plot(rows["time"], rows["mean"], color=colour, label=str(name)[:40])
        ax.set_title(f"{approach}: authorities at {measure} or beyond (UK)")
        ax.set_xlabel("year")
        ax.grid(alpha=0.3)
    axes[0].set_ylabel("authorities (mean, 90% band)")
    axes[0].legend(fontsize=8, loc="upper left")
    fig.suptitle(f"{sweep.manifest['experiment']}: {len(sweep.ok)} runs")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


# ---------------------------------------------------------------------------------------------
# Sensitivity (SALib)
# ---------------------------------------------------------------------------------------------


def censored(sweep: FinishedSweep, outcome: str) -> np.ndarray:
    """An outcome per run with never-reached time-to-threshold values set to the run's end."""
    values = sweep.ok[outcome].to_numpy(float)
    if is_time_to_threshold(outcome):
        ends = np.array(run_ends(sweep.manifest))[sweep.ok["point"].to_numpy()]
        values = np.where(np.isfinite(values), values, ends)
    return values


def run_ends(manifest: dict) -> list[float]:
    """The end year of the runs at every design point (its overrides, else its base's)."""
    bases = manifest["base_configurations"]
    return [float(p["overrides"].get("time.end", bases[p["scenario"]]["time"]["end"]))
            for p in manifest["point_definitions"]]


def point_means(sweep: FinishedSweep, outcome: str) -> np.ndarray:
    """The replicate mean of an outcome at every design point, in point order."""
    frame = pd.DataFrame({"point": sweep.ok["point"].to_numpy(),
                          "y": censored(sweep, outcome)})
    means = frame.groupby("point")["y"].mean()
    expected = len(sweep.manifest["point_table"])
    if len(means) != expected:
        raise InputError(f"{sweep.folder}: sensitivity needs every design point; "
                         f"{expected - len(means)} point(s) have no successful run")
    return means.sort_index().to_numpy()


def sensitivity(sweep: FinishedSweep) -> pd.DataFrame:
    """Sobol or Morris indices of every outcome, with bootstrap confidence intervals."""
    from SALib.analyze import morris, sobol

    design = sweep.manifest["design"]
    params = sweep.parameters
    table = pd.DataFrame(sweep.manifest["point_table"]).sort_values("point")
    problem = salib_problem(sweep.spec.parameters)
    rows = []
    for outcome in sweep.outcomes:
        y = point_means(sweep, outcome)
        if np.ptp(y) == 0:
            continue
        if design["kind"] == "sobol":
            result = sobol.analyze(problem, y, calc_second_order=design["second_order"],
                                   seed=BOOTSTRAP_SEED)
            for i, name in enumerate(params):
                rows.append({"outcome": outcome, "parameter": name,
                             "S1": result["S1"][i], "S1_conf": result["S1_conf"][i],
                             "ST": result["ST"][i], "ST_conf": result["ST_conf"][i]})
        else:
            x = table[params].to_numpy(float)
            result = morris.analyze(problem, x, y, num_levels=design["levels"],
                                    seed=BOOTSTRAP_SEED)
            for i, name in enumerate(params):
                rows.append({"outcome": outcome, "parameter": name,
                             "mu_star": result["mu_star"][i],
                             "mu_star_conf": result["mu_star_conf"][i],
                             "sigma": result["sigma"][i]})
    return pd.DataFrame(rows)


def _indices_text(indices: pd.DataFrame) -> str:
    lines = []
    for outcome, group in indices.groupby("outcome", sort=False):
        lines.append(f"  {outcome}")
        for row in group.itertuples():
            if "ST" in indices.columns:
                lines.append(f"    {row.parameter:34s} S1 {row.S1:6.3f} ± {row.S1_conf:.3f}   "
                             f"ST {row.ST:6.3f} ± {row.ST_conf:.3f}")
            else:
                lines.append(f"    {row.parameter:34s} mu* {row.mu_star:8.4g} ± "
                             f"{row.mu_star_conf:.3g}   sigma {row.sigma:8.4g}")
    return "\n".join(lines)


def plot_sensitivity(indices: pd.DataFrame, path: Path) -> None:
    """One panel per outcome: indices with their confidence intervals."""
    plt = pyplot()

    outcomes = list(dict.fromkeys(indices["outcome"]))
    fig, axes = plt.subplots(len(outcomes), 1, figsize=(8, 1.2 + 1.6 * len(outcomes)),
                             squeeze=False)
    sobol = "ST" in indices.columns
    for ax, outcome in zip(axes[:, 0], outcomes, strict=True):
        rows = indices[indices["outcome"] == outcome]
        y = np.arange(len(rows))
        if sobol:
            ax.barh(y - 0.2, rows["S1"], 0.4, xerr=rows["S1_conf"], label="S1")
            ax.barh(y + 0.2, rows["ST"], 0.4, xerr=rows["ST_conf"], label="ST")
        else:
            ax.barh(y, rows["mu_star"], 0.6, xerr=rows["mu_star_conf"], label="mu*")
        ax.set_yticks(y, rows["parameter"], fontsize=8)
        ax.set_title(outcome, fontsize=9)
        ax.grid(alpha=0.3, axis="x")
    axes[0, 0].legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


# ---------------------------------------------------------------------------------------------
# Scenario discovery (PRIM, EMA Workbench)
# ---------------------------------------------------------------------------------------------


@dataclass
class DiscoveredBox:
    """The PRIM box chosen on the peeling trajectory, and the trajectory itself."""

    limits: pd.DataFrame
    trajectory: pd.DataFrame
    chosen: int
    text: str

    def plot(self, path: Path) -> None:
        """Coverage against density along the peeling trajectory, the chosen box marked."""
        plt = pyplot()

        fig, ax = plt.subplots(figsize=(6, 4.5))
        points = ax.scatter(self.trajectory["coverage"], self.trajectory["density"],
                            c=self.trajectory["res_dim"], cmap="viridis")
        chosen = self.trajectory.iloc[self.chosen]
        ax.scatter([chosen["coverage"]], [chosen["density"]], s=160, facecolors="none",
                   edgecolors="red", label="chosen box")
        fig.colorbar(points, label="restricted dimensions")
        ax.set_xlabel("coverage")
        ax.set_ylabel("density")
        ax.legend()
        ax.grid(alpha=0.3)
        ax.set_title("PRIM peeling trajectory")
        fig.tight_layout()
        fig.savefig(path, dpi=110)
        plt.close(fig)


def discover(sweep: FinishedSweep, outcome: str, threshold: float, above: bool = True,
             min_coverage: float = 0.5) -> DiscoveredBox:
    """PRIM on the runs: which parameter ranges make ``outcome`` cross ``threshold``.

    The box chosen is the densest on the peeling trajectory with coverage at least
    ``min_coverage``.
    """
    try:
        from ema_workbench.analysis import prim
    except ImportError:
        raise InputError("scenario discovery needs EMA Workbench: pip install "
                         "'innovate-sim[ema]'") from None
    if not sweep.parameters:
        raise InputError("analysis.discovery: the design varies no parameter")
    x = pd.DataFrame({p: sweep.ok[f"param.{p}"].to_numpy() for p in sweep.parameters})
    for column in x:
        if x[column].dtype == object:
            x[column] = x[column].astype("category")
    values = censored(sweep, outcome)
    y = values >= threshold if above else values <= threshold
    if y.all() or not y.any():
        share = "every" if y.all() else "no"
        raise InputError(f"analysis.discovery: {share} run has {outcome} "
                         f"{'>=' if above else '<='} {threshold}; choose another threshold")
    finder = prim.Prim(x, y)
    box = finder.find_box()
    trajectory = box.peeling_trajectory.reset_index(drop=True)
    eligible = trajectory[trajectory["coverage"] >= min_coverage]
    chosen = int(eligible["density"].idxmax()) if len(eligible) else len(trajectory) - 1
    lims = box.box_lims[chosen]
    initial = box.box_lims[0]
    restricted = [c for c in lims.columns if not lims[c].equals(initial[c])]
    limits = pd.DataFrame({"parameter": restricted,
                           "low": [lims[c].iloc[0] for c in restricted],
                           "high": [lims[c].iloc[1] for c in restricted]})
    stats = trajectory.iloc[chosen]
    sign = ">=" if above else "<="
    lines = [f"Scenario discovery (PRIM): {int(y.sum())} of {len(y)} runs have {outcome} "
             f"{sign} {threshold:g}. Chosen box {chosen}: coverage {stats['coverage']:.2f}, "
             f"density {stats['density']:.2f}, mass {stats['mass']:.2f}:"]
    lines += [f"  {r.parameter} in [{r.low}, {r.high}]" for r in limits.itertuples()]
    if limits.empty:
        lines.append("  (no restriction: the cases of interest are spread over the whole "
                     "range)")
    return DiscoveredBox(limits=limits, trajectory=trajectory, chosen=chosen,
                         text="\n".join(lines))
