"""Components shared by the tabs and Teach mode: a Vega-Lite chart, and runs under way."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import solara
import solara.widgets

from dashboards.charts import chart_words_html
from sim.errors import InputError

logger = logging.getLogger(__name__)


class Spec:
    """A Vega-Lite spec for :func:`VegaChart` (from :mod:`dashboards.charts`).

    The renderer walks every argument of every component on each render, looking for child
    elements; a spec holds thousands of data rows, so it travels inside this opaque holder
    (compared by identity: make it once per change, e.g. in ``solara.use_memo``).
    """

    __slots__ = ("value",)

    def __init__(self, value: dict):
        self.value = value


@solara.component
def VegaChart(spec: Spec):
    """Show a Vega-Lite spec (Solara's VegaLite widget: Vega loads from the local asset cache).

    The widget is created with its spec: a widget that first appears empty and receives its
    spec later can be drawn empty in between, which vega-embed rejects.
    """
    sentence, words = solara.use_memo(lambda: chart_words_html(spec.value), [spec])
    chart = solara.widgets.VegaLite.element(spec=spec.value, listen_to_click=False,
                                            listen_to_hover=False)
    # the text alternative (WCAG 1.1.1): a name for the figure, and its data in words
    with solara.v.Html(tag="div", class_="innovate-chart",
                       attributes={"role": "figure", "aria-label": sentence}):
        solara.v.Html(tag="div", children=[chart])
        solara.HTML(tag="div", unsafe_innerHTML=words)


@solara.component
def RunStatus(pending: bool, text: str, error: str | None = None, progress: float = 0.0):
    """Progress while runs are under way, and the error if they failed.

    Always one element (a column), so the results drawn after it keep their widgets while a
    new run is under way: a chart destroyed mid-draw makes vega-embed throw in the browser.
    """
    with solara.Column(gap="4px"):
        if pending:
            solara.ProgressLinear(progress or True)
            solara.Text(text)
        if error:
            solara.Error(error)


def guarded_work(work: Callable[[], Any], error: solara.Reactive, what: str) -> Any | None:
    """``work()`` for a tab's runs; None if it failed, with the reason in ``error``.

    Bad input is its one-line message; anything else is logged and said in a line, so that a
    failing computation never breaks the page.
    """
    try:
        return work()
    except InputError as exc:
        error.set(str(exc))
    except Exception as exc:  # noqa: BLE001 - never let a computation break the page
        logger.exception("%s failed", what)
        error.set(f"the {what} failed: {exc}")
    return None
