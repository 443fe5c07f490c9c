"""gui/ has no import cycle (issue 14): no two modules import each other, directly or round a loop,
not even inside a function (gui.app and gui.main_window once did, for the language helpers)."""

from __future__ import annotations

import ast
from pathlib import Path

GUI = Path(__file__).resolve().parents[2] / "gui"


def module_names() -> dict[str, Path]:
    names = {}
    for path in GUI.rglob("*.py"):
        parts = path.relative_to(GUI.parent).with_suffix("").parts
        names[".".join(parts).removesuffix(".__init__")] = path
    return names


def import_graph() -> dict[str, set[str]]:
    """Module -> the gui modules it imports anywhere in its text (``from a import b`` counts as
    ``a.b`` when that is a module)."""
    modules = module_names()
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        found: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                for alias in node.names:
                    full = f"{node.module}.{alias.name}"
                    found.add(full if full in modules else node.module)
            elif isinstance(node, ast.Import):
                found.update(alias.name for alias in node.names)
        graph[name] = {other for other in found if other in modules and other != name}
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for other in sorted(graph[node]):
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_the_walk_sees_the_imports() -> None:
    graph = import_graph()
    assert "gui.i18n" in graph["gui.app"] and "gui.i18n" in graph["gui.main_window"]
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_gui_has_no_import_cycle() -> None:
    assert cycles(import_graph()) == []
