"""gui/ has no import cycle (issue 14): no two modules import each other, directly or round a loop,
not even inside a function (gui.app and gui.main_window once did, for the language helpers).

The graph and the cycle finder are tests/test_structure.py's, which checks net/ and gui/ together.
"""

from __future__ import annotations

from tests.test_structure import cycles, import_graph, module_files


def test_the_walk_sees_the_imports() -> None:
    graph = import_graph(module_files(["gui"]))
    assert "gui.i18n" in graph["gui.app"] and "gui.i18n" in graph["gui.main_window"]
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_gui_has_no_import_cycle() -> None:
    assert cycles(import_graph(module_files(["gui"]))) == []
