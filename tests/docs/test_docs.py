"""Documentation is part of the product: ODD parameter table, data sources, docstrings, README."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re
from pathlib import Path

import sim
from sim.config import parameter_table
from sim.data import data_dir

ROOT = Path(__file__).resolve().parents[2]


def _table_lines(text: str) -> list[str]:
    block = text.split("<!-- parameter-table:start -->")[1].split("<!-- parameter-table:end -->")[0]
    return [line.strip() for line in block.strip().splitlines() if line.strip().startswith("|")]


def test_odd_parameter_table_matches_the_schema_and_defaults():
    odd = (ROOT / "docs" / "ODD.md").read_text()
    expected = ["| name | default | unit | source | meaning |", "|---|---|---|---|---|"] + [
        f"| `{r['name']}` | {r['default']} | {r['unit']} | {r['source']} | {r['meaning']} |"
        for r in parameter_table()]
    assert _table_lines(odd) == expected, "regenerate with: innovate params"


def test_odd_follows_the_protocol_order():
    odd = (ROOT / "docs" / "ODD.md").read_text()
    headings = ["Purpose and patterns", "Entities, state variables and scales",
                "Process overview and scheduling", "Design concepts", "Initialization",
                "Input data", "Submodels"]
    positions = [odd.find(h) for h in headings]
    assert all(p >= 0 for p in positions) and positions == sorted(positions)


def test_every_data_file_is_documented():
    text = (ROOT / "docs" / "data.md").read_text()
    for path in sorted(data_dir().iterdir()):
        if path.suffix in {".csv", ".md"}:
            assert f"`{path.name}`" in text, path.name
    assert "Open Government Licence v3.0" in text


def test_every_public_name_has_a_docstring():
    missing = []
    for info in pkgutil.iter_modules(sim.__path__):
        module = importlib.import_module(f"sim.{info.name}")
        assert module.__doc__, info.name
        for name, obj in vars(module).items():
            if name.startswith("_") or getattr(obj, "__module__", None) != module.__name__:
                continue
            if inspect.isfunction(obj) or inspect.isclass(obj):
                if not inspect.getdoc(obj):
                    missing.append(f"{module.__name__}.{name}")
                if inspect.isclass(obj):
                    for attr, member in vars(obj).items():
                        if attr.startswith("_") or not (inspect.isfunction(member)
                                                        or isinstance(member, property)):
                            continue
                        if not inspect.getdoc(member):
                            missing.append(f"{module.__name__}.{name}.{attr}")
    assert not missing, missing


def test_readme_quick_start_has_exactly_two_commands():
    readme = (ROOT / "README.md").read_text()
    section = re.split(r"\n## ", readme.split("## Quick start", 1)[1])[0]
    commands = re.findall(r"```(?:sh|bash|console)?\n(.*?)```", section, re.S)
    lines = [line for block in commands for line in block.strip().splitlines()]
    assert lines == ["python3 install.py run", "python3 install.py test"]
    assert "3.12" in section


def test_odd_timeline_table_is_the_historical_preset():
    """Section 10's table is `innovate timeline historical`: change an event, and this fails."""
    from sim.config import event_markdown, load_config

    odd = (ROOT / "docs" / "ODD.md").read_text()
    start = odd.index("<!-- timeline-table:start")
    table = odd[odd.index("\n", start) + 1:odd.index("<!-- timeline-table:end -->")].strip()
    assert table == event_markdown(load_config("historical"))
