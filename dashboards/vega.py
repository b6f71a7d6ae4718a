"""Charts as Vega-Lite specs: built once with Altair, then filled with fresh data on each render.

Building an Altair chart and validating it costs a few hundred milliseconds; the page redraws
its charts after every step. So each chart is defined with Altair once (cached) with *named*
data sets, and each render only puts the current tables into the spec's ``datasets``.
"""

from __future__ import annotations

import math
from typing import Any

import altair as alt
import pandas as pd
import solara
import solara.widgets


def template(chart: alt.TopLevelMixin) -> dict:
    """The validated Vega-Lite spec of a chart whose varying data are ``alt.Data(name=...)``."""
    return chart.to_dict()


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as JSON-ready dicts of native Python values (NaN becomes null)."""
    columns = []
    for name in frame.columns:
        values = frame[name].tolist()
        if frame[name].dtype.kind == "f":
            values = [v if math.isfinite(v) else None for v in values]
        columns.append(values)
    names = [str(c) for c in frame.columns]
    return [dict(zip(names, row, strict=True)) for row in zip(*columns, strict=True)]


def with_data(spec: dict, **datasets: pd.DataFrame) -> dict:
    """A copy of ``spec`` with the named data sets filled in (the cached spec is not changed)."""
    return {**spec, "datasets": {**spec.get("datasets", {}),
                                 **{name: records(frame) for name, frame in datasets.items()}}}


class Spec:
    """A Vega-Lite spec for :func:`VegaChart`.

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
    return solara.widgets.VegaLite.element(spec=spec.value, listen_to_click=False,
                                           listen_to_hover=False)
