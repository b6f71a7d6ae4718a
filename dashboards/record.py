"""What the record says about one authority's journey, beside the simulated story.

The model seeds the documented dates of the named sites (the pilot sites of Contextual
Safeguarding, the trauma programme's trial sites) and checks its runs against what the record
says happened later (Hackney embedding CS in 2021-22). A site's story in the dashboard and the
handouts shows these real entries first, so a reader can tell the record from the run.
"""

from __future__ import annotations

from dashboards.style import date_label
from sim.config import Config
from sim.data import load_uk
from sim.vocabulary import MEASURES, STAGES


def recorded_lines(config: Config, agent_id: str, approach: str) -> list[tuple[str, str]]:
    """The real, dated entries about an authority's journey with an approach.

    Returns ``(sentence, source)`` pairs in date order: the scenario's seed events that name
    the authority (the dates the model takes as given) and the observations about it (what the
    runs are checked against). Empty for an authority the record does not name.
    """
    uk = load_uk()
    nation = uk.authorities.set_index("agent_id")["nation"].get(agent_id)
    entries: list[tuple[float, str, str]] = []
    for event in config.active_events:
        if (event.kind == "seed" and event.approach == approach
                and (agent_id in event.agents or nation in event.nations)):
            funded = (f", funded to {date_label(event.funded_until)}"
                      if event.funded_until is not None else "")
            entries.append((event.date, f"{date_label(event.date)}: {event.label} "
                            f"(the model starts it at {STAGES[event.stage]}{funded})",
                            event.source))
    observed = uk.observed
    mine = observed[(observed["scope"] == agent_id) & (observed["approach"] == approach)]
    for row in mine.itertuples():
        stage = STAGES[MEASURES[row.measure]]
        entries.append((row.time, f"{date_label(row.time)}: the record shows the journey at "
                        f"{stage} or beyond (the runs are checked against this)", row.source))
    return [(sentence, source) for _, sentence, source in sorted(entries)]



def record_markdown(record: list[tuple[str, str]]) -> str:
    """The record as a Markdown list, each entry with its source, under a heading."""
    items = "\n".join(f"- {sentence}. *Source: {source}*" for sentence, source in record)
    return f"**The record** (real dates; the run below is one simulation)\n\n{items}"
