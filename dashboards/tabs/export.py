"""The Export tab: the run's tables as CSV and its charts as PNG, built when downloaded.

What is offered, and how it is made, is in :mod:`dashboards.frames` (:func:`run_tables`,
:func:`about_text`) and :mod:`dashboards.figures`.
"""

from __future__ import annotations

import solara

from dashboards.figures import map_png, uptake_png
from dashboards.frames import RUN_TABLES, about_text, readable_tables, run_tables
from dashboards.session import Session
from dashboards.style import date_label


@solara.component
def ExportTab(session: Session, version: solara.Reactive[int], approach: solara.Reactive[str],
              scope: str = "UK"):
    """Every table of the current run as CSV, the charts as PNG, and how to reproduce it."""
    _ = version.value          # re-render after every change of the model
    approach = approach.value
    solara.Markdown(
        f"**The run so far** ({session.steps} of {session.total_steps} quarters, to "
        f"{date_label(session.year)}), as tables with readable column names and rounded "
        "numbers (CSV files open in Excel).")
    solara.Markdown("**Tables (CSV)**")
    for (name, make), what in zip(readable_tables(session).items(), RUN_TABLES.values(),
                                  strict=True):
        with solara.Row(style={"align-items": "center"}):
            solara.FileDownload(make, filename=name, label=name, mime_type="text/csv")
            solara.Text(what, style={"font-size": "13px"})
    solara.Markdown("**Charts (PNG)**")
    with solara.Row(style={"flex-wrap": "wrap"}):
        solara.FileDownload(lambda: map_png(session, approach), filename=f"map-{approach}.png",
                            label=f"Map of {approach}", mime_type="image/png")
        solara.FileDownload(lambda: uptake_png(session.results(), scope),
                            filename="uptake.png", label="Uptake by stage",
                            mime_type="image/png")
    solara.Text("The Journeys and Compare tabs have their own PNG and CSV buttons.",
                style={"font-size": "13px"})
    solara.FileDownload(lambda: about_text(session).encode("utf-8"), filename="about.txt",
                        label="about.txt (how to reproduce it, data sources)",
                        mime_type="text/plain")
    with solara.Details("Advanced: machine-readable tables and the command line"):
        solara.Markdown("The same tables with the model's own column names and full "
                        "precision, for analysis in code:")
        for name, make in run_tables(session).items():
            solara.FileDownload(make, filename=name, label=name, mime_type="text/csv")
        solara.Markdown("Reproduce the run exactly from the command line with:")
        solara.Markdown(f"```\n{session.settings.command_line()}\n```")
