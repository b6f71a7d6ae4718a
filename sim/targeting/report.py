"""What a targeting experiment found: gains over random, equity gaps, stability and a map.

Each strategy's gain over random comes with its 90% interval, its effect on the equity gaps, how
stable its choice is over seed sets, and a map of its sites.
The gain of a strategy on a seed is its score less the score of a random set on the same seed
(common random numbers); its interval is the Student t interval of the mean gain over the
seeds, at 90% (equal tails). Strategies choose on one seed set and are scored on another, held
out: a search scored on the runs it chose by would look better than it is. Rank stability is
the mean Jaccard index |A n B| / |A u B| between the sets a strategy chose on different seed
sets (1: always the same).
"""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd

from sim.mechanics.population import Population
from sim.output.markdown import markdown_lines
from sim.sweeps.analysis import paired_interval
from sim.targeting.spec import OBJECTIVES, STRATEGIES
from sim.vocabulary import APPROACH_NAMES


def strategy_rows(seed_set: int, sets: dict[str, list[list[int]]],
                  held_out: dict[str, list[dict]], searched: dict[str, list[dict]],
                  population: Population, cost: np.ndarray) -> list[dict]:
    """One row per strategy (and no support) chosen on one seed set.

    ``held_out`` holds each strategy's evaluations on the held-out seeds (``sets``: its sites
    for each of them), ``searched`` on the seeds it chose on: the gain there is optimistic for
    a strategy that chose by the same runs (the search), and is reported beside the other.
    """
    random = np.array([v["score"] for v in held_out["random"]])
    random_searched = np.array([v["score"] for v in searched["random"]])
    rows = []
    for name, chosen in sets.items():
        mine = held_out[name]
        gain, low, high = paired_interval(np.array([v["score"] for v in mine]) - random)
        same = all(c == chosen[0] for c in chosen)
        rows.append({
            "seed_set": seed_set, "strategy": name, "sites": len(chosen[0]),
            "authorities": ";".join(population.ids[chosen[0]].astype(str)) if same
            else "(a random set for each seed)",
            "names": ";".join(population.names[chosen[0]].astype(str)) if same else "",
            "cost_gbp_m": float(cost[chosen[0]].sum() / 1e6) if same else float("nan"),
            "value": float(np.mean([v["value"] for v in mine])),
            "integrating": float(np.mean([v["integrating"] for v in mine])),
            "gain_over_random": gain, "gain_low": low, "gain_high": high,
            "gain_on_search_seeds": float(np.mean(
                [v["score"] for v in searched[name]]) - random_searched.mean()),
            "gap_integrating": float(np.mean([v["gap_integrating"] for v in mine])),
            "gap_outcome": float(np.mean([v["gap_outcome"] for v in mine])),
            "gap_integrating_change": float(np.mean(
                [v["gap_integrating"] - r["gap_integrating"]
                 for v, r in zip(mine, held_out["random"], strict=True)])),
        })
    return rows


def jaccard(a: list[int], b: list[int]) -> float:
    """|A n B| / |A u B| (1 for two empty sets)."""
    union = set(a) | set(b)
    return len(set(a) & set(b)) / len(union) if union else 1.0


def site_frequency(chosen: dict[int, dict[str, list[int]]], population: Population
                   ) -> pd.DataFrame:
    """Per strategy and chosen authority: the share of seed sets that chose it.

    Also the strategy's rank stability: the mean pairwise Jaccard index over seed sets.
    """
    sets = len(chosen)
    rows = []
    for name in chosen[0]:
        picks = [chosen[k][name] for k in range(sets)]
        pairs = list(itertools.combinations(picks, 2))
        stability = float(np.mean([jaccard(a, b) for a, b in pairs])) if pairs else float("nan")
        counts = pd.Series([i for p in picks for i in p]).value_counts()
        for i, times in counts.items():
            rows.append({"strategy": name, "agent_id": str(population.ids[i]),
                         "name": str(population.names[i]), "chosen_share": times / sets,
                         "stability_jaccard": stability})
    frame = pd.DataFrame(rows, columns=["strategy", "agent_id", "name", "chosen_share",
                                        "stability_jaccard"])
    return frame.sort_values(["strategy", "chosen_share", "agent_id"],
                             ascending=[True, False, True], kind="stable")


def summary_markdown(t, strategies: pd.DataFrame, sites: pd.DataFrame,
                     chosen: dict, population: Population, check: dict | None = None) -> str:
    """The comparison in words and tables (Markdown); ``check`` is the brute-force check."""
    spec = t.spec
    budget = (f"{spec.sites} funded sites" if spec.sites is not None
              else f"GBP {spec.budget_gbp_m:g} million at the model's costs")
    lines = [
        f"# Where to fund {APPROACH_NAMES[spec.approach]} next: {spec.name}", "",
        f"{budget}, funded at stage {spec.stage} from {spec.start:g} for "
        f"{spec.support_years:g} years; objective: {OBJECTIVES[spec.objective]}"
        f"{' (equity-weighted)' if spec.equity_weighted else ''}, read at {spec.horizon:g}. "
        f"{spec.seeds} seeds per seed set, {spec.seed_sets} seed set(s), scenario "
        f"{spec.scenario}.", "",
        "Each strategy chooses its sites on a seed set and is scored on held-out seeds. Gain: "
        "the strategy's objective less a random set's on the same held-out seed (for years, "
        "its negative: years sooner), mean and 90% interval over the seeds; beside it the "
        "gain on the seeds it chose on. Gap: share integrating in the most deprived fifth "
        "less the least deprived, at the horizon.", ""]
    lines += markdown_lines(pd.DataFrame({
        "seed set": strategies["seed_set"], "strategy": strategies["strategy"],
        "sites": strategies["sites"], "objective": strategies["value"].map("{:.2f}".format),
        "gain over random": strategies["gain_over_random"].map("{:+.2f}".format),
        "90% interval": [f"{low:+.2f} to {high:+.2f}" for low, high in zip(
            strategies["gain_low"], strategies["gain_high"], strict=True)],
        "gain on its own seeds": strategies["gain_on_search_seeds"].map("{:+.2f}".format),
        "gap (integrating)": strategies["gap_integrating"].map("{:+.3f}".format),
        "gap change vs random": strategies["gap_integrating_change"].map("{:+.3f}".format)}))
    lines += ["", "## The strategies", ""]
    lines += [f"- **{name}**: {STRATEGIES.get(name, 'no site funded')}" for name in
              strategies["strategy"].unique()]
    lines += ["", "## Chosen sites and their stability over seed sets", ""]
    for name in chosen[0]:
        mine = sites[sites["strategy"] == name]
        stability = mine["stability_jaccard"].iloc[0] if len(mine) else float("nan")
        listed = ", ".join(f"{r.name} ({r.chosen_share:.0%})" for r in mine.itertuples())
        lines.append(f"- **{name}** (Jaccard {stability:.2f}): {listed}")
    if check is not None:
        verdict = ("the same set" if check["found"] == check["best"] else
                   "within the Monte Carlo error" if check["difference"]
                   <= 2 * check["standard_error"] else "worse than the best by more than "
                   "twice the Monte Carlo error")
        lines += ["", "## The search against brute force (first seed set)", "",
                  f"Every one of {check['sets']:,} sets of {t.spec.sites} eligible sites was "
                  f"evaluated on the same seeds. Best: {', '.join(check['best_names'])} "
                  f"(objective {check['best_value']:.3f}); the search's: "
                  f"{', '.join(check['found_names'])} ({check['found_value']:.3f}); "
                  f"{check['better_sets']} set(s) do better; difference "
                  f"{check['difference']:.3f}, Monte Carlo error "
                  f"{check['standard_error']:.3f}: {verdict}."]
    return "\n".join(lines) + "\n"


def map_figure(chosen: dict[str, list[int]], population: Population, approach: str):
    """Every authority as a dot at its centroid, each strategy's sites marked (one panel each).

    A matplotlib figure (write it with :func:`sim.io.write_figure`).
    """
    from matplotlib.figure import Figure

    from sim.data import load_uk

    auth = load_uk().authorities
    lat = auth["centroid_lat"].to_numpy()[population.source]
    lon = auth["centroid_lon"].to_numpy()[population.source]
    names = list(chosen)
    cols = min(3, len(names))
    rows = -(-len(names) // cols)
    figure = Figure(figsize=(3.6 * cols, 4.6 * rows))
    axes = figure.subplots(rows, cols, squeeze=False)
    for ax, name in zip(axes.ravel(), names, strict=False):
        ax.scatter(lon, lat, s=6, color="#b8b8b8", linewidths=0)
        sites = chosen[name]
        ax.scatter(lon[sites], lat[sites], s=40, color="#1f4e9c", edgecolors="black",
                   linewidths=0.6, marker="o")
        ax.set_title(f"{name} ({len(sites)} sites)", fontsize=10)
        ax.set_aspect(1.6)
        ax.set_xticks([])
        ax.set_yticks([])
    for ax in axes.ravel()[len(names):]:
        ax.axis("off")
    figure.suptitle(f"Where each strategy funds {APPROACH_NAMES[approach]}", fontsize=11)
    figure.tight_layout()
    return figure
