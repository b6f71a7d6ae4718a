"""Tables as Markdown text, for the reports written to files and the dashboard's tables."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pandas as pd


def markdown_lines(frame: pd.DataFrame,
                   cell: Callable[[str, Any], str] = lambda column, value: str(value)
                   ) -> list[str]:
    """A table's lines: its header, the rule under it, then one line per row.

    ``cell(column, value)`` writes each value (``str`` by default).
    """
    columns = [str(c) for c in frame.columns]
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(cell(c, v) for c, v in zip(columns, row, strict=True)) + " |"
              for row in frame.itertuples(index=False)]
    return lines
