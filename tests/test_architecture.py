"""The rules of the house, checked by reading every module's imports (docs/ODD.md 2.8).

1. ``sim`` never imports ``dashboards``: UI commands register through entry points.
2. The mechanics import no outputs, sweeps, calibration, command line or Mesa front.
3. The dashboards take their words from ``sim.vocabulary``, never from the mechanics.
4. No import circles, except imports made only for type checking.
5. No shipped file cites documents the project does not ship.
"""

from __future__ import annotations

import ast
import subprocess
from pathlib import Path

import pytest
from helpers import ROOT

PACKAGES = ("sim", "dashboards")


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _type_checking(node: ast.AST) -> bool:
    return isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)


def _imports(path: Path) -> set[str]:
    """Modules a file imports at run time (anywhere in the file, not under TYPE_CHECKING)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = _module_name(path) if path.name == "__init__.py" else \
        _module_name(path).rpartition(".")[0]
    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        if _type_checking(node):
            return
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(package.split(".")[:len(package.split(".")) - node.level + 1]
                                + ([base] if base else []))
            for alias in node.names:        # a submodule imported by name, or a name
                found.add(f"{base}.{alias.name}")
                found.add(base)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return found


@pytest.fixture(scope="module")
def graph() -> dict[str, set[str]]:
    """Each project module and the project modules it imports."""
    files = [p for package in PACKAGES for p in (ROOT / package).rglob("*.py")]
    modules = {_module_name(p): p for p in files}
    return {name: {m for m in _imports(path) if m in modules and m != name}
            for name, path in modules.items()}


def _offending(graph, source: str, targets: tuple[str, ...]) -> list[str]:
    return sorted(f"{module} -> {target}" for module, imported in graph.items()
                  if module == source or module.startswith(source + ".")
                  for target in imported if target.startswith(targets))


def test_the_model_package_never_imports_the_user_interface(graph):
    assert _offending(graph, "sim", ("dashboards",)) == []


def test_the_mechanics_import_no_outputs_sweeps_calibration_or_commands(graph):
    forbidden = ("sim.output", "sim.sweeps", "sim.calibration", "sim.cli", "sim.model",
                 "sim.agents")
    assert _offending(graph, "sim.mechanics", forbidden) == []


def test_the_dashboards_take_words_from_the_vocabulary_not_the_mechanics(graph):
    assert _offending(graph, "dashboards", ("sim.mechanics",)) == []


def test_no_import_circles(graph):
    circles, state = [], {}

    def visit(module: str, path: list[str]) -> None:
        state[module] = "open"
        for target in sorted(graph[module]):
            if state.get(target) == "open":
                circles.append(" -> ".join([*path[path.index(target):], target]))
            elif target not in state:
                visit(target, [*path, target])
        state[module] = "done"

    for module in sorted(graph):
        if module not in state:
            visit(module, [module])
    assert circles == []


def test_no_shipped_file_cites_the_design_brief():
    brief = ["MODEL" + ".md", "domain" + ".md", "validation" + ".md", ".." + "/shared"]
    tracked = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True)
    files = tracked.stdout.split() if tracked.returncode == 0 else [
        str(p.relative_to(ROOT)) for p in ROOT.rglob("*") if p.is_file()
        and ".venv" not in p.parts and ".git" not in p.parts]
    citing = []
    for name in files:
        path = ROOT / name
        if not path.is_file() or path.suffix in {".png", ".pdf", ".parquet", ".shp", ".shx",
                                                 ".dbf"}:
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        citing += [f"{name}: {word}" for word in brief if word in text]
    assert citing == []
