"""One concept per file (issue 14): no import cycle in net/ or gui/, not even through an import
inside a function; no module over 700 lines without a written reason; no class over 300 lines.

Everything here reads the source as text (ast): nothing is imported but what a check names.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("net", "gui")

MAX_MODULE_LINES = 700
MAX_CLASS_LINES = 300
#: The paragraph of a module docstring that lets the module be longer than MAX_MODULE_LINES.
LONG_REASON = "Why this file is long:"


def module_files(packages: Iterable[str] = PACKAGES, root: Path = ROOT) -> dict[str, Path]:
    """Dotted module name -> its file, for every ``.py`` under the packages (``a/__init__.py``
    is the module ``a``)."""
    names = {}
    for package in packages:
        for path in sorted((root / package).rglob("*.py")):
            parts = path.relative_to(root).with_suffix("").parts
            names[".".join(parts).removesuffix(".__init__")] = path
    return names


def _type_checking_only(tree: ast.Module) -> set[ast.AST]:
    """The nodes under ``if TYPE_CHECKING:``: imports that never run, how typed modules name
    each other's types; they cannot make an import cycle."""
    skipped: set[ast.AST] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If):
            test = node.test
            name = test.id if isinstance(test, ast.Name) else getattr(test, "attr", "")
            if name == "TYPE_CHECKING":
                for statement in node.body:
                    skipped.update(ast.walk(statement))
    return skipped


def imported_modules(module: str, source: str, modules: Iterable[str]) -> set[str]:
    """The modules among ``modules`` that ``module`` (whose text is ``source``) imports anywhere:
    at the top, inside functions or classes, in ``try`` blocks; not under ``if TYPE_CHECKING``.

    ``from a import b`` counts as ``a.b`` when that is a module, else as ``a``; relative imports
    are resolved against ``module``'s package; ``import a.b.c`` counts its longest known prefix.
    """
    known = set(modules)
    is_package = False  # a module named like a package's __init__ resolves "." to itself
    if any(other.startswith(module + ".") for other in known):
        is_package = True
    tree = ast.parse(source)
    skipped = _type_checking_only(tree)
    found: set[str] = set()
    for node in ast.walk(tree):
        if node in skipped:
            continue
        if isinstance(node, ast.Import):
            for alias in node.names:
                found.add(_longest_known(alias.name, known))
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                package = module.split(".") if is_package else module.split(".")[:-1]
                package = package[: len(package) - (node.level - 1)]
                base = ".".join([*package, *([base] if base else [])])
            for alias in node.names:
                full = f"{base}.{alias.name}"
                found.add(full if full in known else _longest_known(base, known))
    return {other for other in found if other in known and other != module}


def _longest_known(name: str, known: set[str]) -> str:
    parts = name.split(".")
    for end in range(len(parts), 0, -1):
        candidate = ".".join(parts[:end])
        if candidate in known:
            return candidate
    return name


def import_graph(files: dict[str, Path] | None = None) -> dict[str, set[str]]:
    """Module -> the modules of the tree it imports (see :func:`imported_modules`)."""
    files = module_files() if files is None else files
    return {
        name: imported_modules(name, path.read_text(encoding="utf-8"), files)
        for name, path in files.items()
    }


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan's algorithm), each
    sorted: every module of one imports every other, directly or round a loop."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for other in sorted(graph.get(node, ())):
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in on_stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def long_modules(sources: dict[str, str], limit: int = MAX_MODULE_LINES) -> list[str]:
    """``"name: N lines"`` for each module over ``limit`` lines whose docstring has no paragraph
    that starts with LONG_REASON and goes on to give one."""
    offenders = []
    for name, source in sorted(sources.items()):
        lines = len(source.splitlines())
        if lines > limit and not _gives_a_reason(ast.get_docstring(ast.parse(source)) or ""):
            offenders.append(f"{name}: {lines} lines")
    return offenders


def _gives_a_reason(docstring: str) -> bool:
    for paragraph in docstring.split("\n\n"):
        paragraph = paragraph.strip()
        if paragraph.startswith(LONG_REASON):
            return len(paragraph[len(LONG_REASON) :].split()) >= 5  # a reason, not a shrug
    return False


def long_classes(sources: dict[str, str], limit: int = MAX_CLASS_LINES) -> list[str]:
    """``"module.Class: N lines"`` for each class (nested ones too) over ``limit`` lines,
    counted from its ``class`` line to its last line."""
    offenders = []
    for name, source in sorted(sources.items()):
        for node in _classes(ast.parse(source)):
            lines = (node.end_lineno or node.lineno) - node.lineno + 1
            if lines > limit:
                offenders.append(f"{name}.{node.name}: {lines} lines")
    return offenders


def _classes(tree: ast.Module) -> Iterator[ast.ClassDef]:
    return (node for node in ast.walk(tree) if isinstance(node, ast.ClassDef))


def _sources() -> dict[str, str]:
    return {name: path.read_text(encoding="utf-8") for name, path in module_files().items()}


# -- the checkers themselves ---------------------------------------------------------------------


def test_the_graph_resolves_every_import_form_and_sees_function_bodies() -> None:
    modules = {"pkg", "pkg.a", "pkg.b", "pkg.c", "pkg.sub", "pkg.sub.d", "other"}
    source = (
        "from typing import TYPE_CHECKING\n"
        "import pkg.sub.d.nothing\n"
        "from pkg import b\n"
        "from . import c\n"
        "from .sub import d\n"
        "if TYPE_CHECKING:\n"
        "    import other\n"
        "def later():\n"
        "    from pkg import Name\n"
    )
    assert imported_modules("pkg.a", source, modules) == {"pkg.sub.d", "pkg.b", "pkg.c", "pkg"}
    assert imported_modules("pkg.sub", "from . import d\nfrom .. import a\n", modules) == {
        "pkg.sub.d",
        "pkg.a",
    }
    assert imported_modules("pkg.sub.d", "from .. import c\n", modules) == {"pkg.c"}


def test_cycles_finds_loops_of_any_length_and_only_them() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}, "e": {"f"}, "f": {"e"}, "g": set()}
    assert cycles(graph) == [["a", "b", "c"], ["e", "f"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_a_lazy_import_of_a_module_that_imports_back_is_a_cycle() -> None:
    """The shape net/_cli_relay.py once had: a function imports net.cli, which imports it."""
    modules = {"net.cli", "net._cli_relay"}
    graph = {
        "net.cli": imported_modules("net.cli", "from net._cli_relay import x\n", modules),
        "net._cli_relay": imported_modules(
            "net._cli_relay", "def f():\n    from net.cli import number_arg\n", modules
        ),
    }
    assert cycles(graph) == [["net._cli_relay", "net.cli"]]


def test_long_modules_names_each_offender_unless_it_says_why() -> None:
    body = "x = 1\n" * 800
    reason = '"""A module.\n\nWhy this file is long: one state machine that does not split.\n"""\n'
    shrug = '"""A module.\n\nWhy this file is long:\n"""\n'
    sources = {"a": body, "b": reason + body, "c": shrug + body, "d": "x = 1\n"}
    assert long_modules(sources) == ["a: 800 lines", "c: 804 lines"]


def test_long_classes_counts_from_class_to_its_last_line_nested_too() -> None:
    methods = "".join(f"    def m{i}(self):\n        return {i}\n" for i in range(200))
    sources = {"big": "class Big:\n" + methods, "small": "class Small:\n    pass\n"}
    assert long_classes(sources) == ["big.Big: 401 lines"]
    nested = "class Outer:\n    class Inner:\n        x = 1\n        y = 2\n"
    assert long_classes({"n": nested}, limit=2) == ["n.Outer: 4 lines", "n.Inner: 3 lines"]


# -- the tree ------------------------------------------------------------------------------------


def test_the_walk_sees_the_imports_of_the_real_tree() -> None:
    graph = import_graph()
    assert "gui.i18n" in graph["gui.app"] and "gui.i18n" in graph["gui.main_window"]
    assert "net._cli_parser" in graph["net.cli"]  # the parser is a module of its own
    assert "net.tls" in graph["net._cli_common"]  # imported inside functions only


def test_net_and_gui_have_no_import_cycle() -> None:
    found = cycles(import_graph())
    assert not found, "modules that import each other:\n" + "\n".join(map(" <-> ".join, found))


def test_no_module_is_over_700_lines_without_a_reason() -> None:
    offenders = long_modules(_sources())
    assert not offenders, f"over {MAX_MODULE_LINES} lines, no {LONG_REASON!r}:\n" + "\n".join(
        offenders
    )


def test_no_class_is_over_300_lines() -> None:
    offenders = long_classes(_sources())
    assert not offenders, f"classes over {MAX_CLASS_LINES} lines:\n" + "\n".join(offenders)


def test_every_name_the_net_facade_lists_resolves() -> None:
    """``net.X`` for each name of ``net.__all__`` (loaded on first use): a name whose module
    moved or dropped it would fail only when a script asked for it."""
    import net

    missing = []
    for name in net.__all__:
        try:
            getattr(net, name)
        except (AttributeError, ImportError) as exc:
            missing.append(f"{name}: {exc}")
    assert missing == []
