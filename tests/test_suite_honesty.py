"""The suite checks what it claims (issue 24): an AST audit of every test file for the hollow
kinds of test the house rules name.

- a test that checks nothing: no assert, no ``pytest.raises``/``fail``, no qtbot wait for a
  signal or condition, and no call to a helper (anywhere in tests/) that does one of those; or
  whose only asserts are ``isinstance`` (a result of the right type, whatever its value);
- an assert that cannot fail: a constant, ``x == x``, ``... or True``, ``len(x) >= 0``;
- checks only under a condition: every check of a test inside an ``if`` with no ``else`` (use
  ``assume`` in hypothesis tests, or make the condition true), or any check under an ``if`` on
  a widget's state (``if button.isEnabled(): assert ...``): when the condition is false nothing
  is checked, and nothing says so;
- a skip that hides something missing: ``pytest.skip``, ``importorskip``, ``mark.skip``, an
  ``xfail`` that is not ``strict=True``, or a ``skipif`` on anything but the platform (``sys.platform``, ``hasattr(os, ...)``). A missing
  tool or privilege fails with a sentence instead (tests/conftest.py, the ``link`` fixtures);
- a sleep standing in for synchronisation: ``time.sleep``/``qtbot.wait`` outside a loop (a loop
  polls a condition or paces a hostile peer) without a comment on its line, or the line above,
  saying why the pause is itself what is tested.

Each rule is also run on small sources that break it, so the audit itself cannot be hollow.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent
ROOT = TESTS.parent

#: Calls that are checks in themselves (by the called name's last part).
_CHECK_CALLS = frozenset(
    {
        "raises",
        "warns",
        "fail",
        "waitSignal",
        "waitSignals",
        "waitUntil",
        "waitCallback",
        "assertNotEmitted",
        "waitExposed",
        "waitActive",
    }
)
#: Widget-state questions whose answer must be asserted, not branched on.
_STATE_QUESTIONS = frozenset({"isEnabled", "isVisible", "isChecked", "isHidden", "isReadOnly"})


@dataclass(frozen=True)
class Finding:
    path: str
    line: int
    kind: str
    what: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.kind}: {self.what}"


def _called_name(call: ast.Call) -> str | None:
    func = call.func
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return None


def _checks_directly(node: ast.AST) -> bool:
    return _summary(node)[1]


def _summary(node: ast.AST) -> tuple[set[str], bool]:
    """The names ``node`` calls, and whether it checks something itself (an assert, a raise
    such as a helper's AssertionError, or a check call like ``pytest.raises``)."""
    calls: set[str] = set()
    checks = False
    for inner in ast.walk(node):
        if isinstance(inner, ast.Assert | ast.Raise):
            checks = True
        elif isinstance(inner, ast.Call) and (name := _called_name(inner)) is not None:
            calls.add(name)
            checks = checks or name in _CHECK_CALLS
    return calls, checks


def checking_helpers(summaries: dict[str, list[tuple[set[str], bool]]]) -> set[str]:
    """Names of the functions (in any test file) that check something, directly or through
    another such function: calling one counts as a check. ``summaries``: name -> the
    :func:`_summary` of each function of that name."""
    calls = {name: set().union(*(c for c, _ in found)) for name, found in summaries.items()}
    checking = {name for name, found in summaries.items() if any(k for _, k in found)}
    grew = True
    while grew:
        grew = False
        for name, called in calls.items():
            if name not in checking and called & checking:
                checking.add(name)
                grew = True
    return checking


def _is_test(function: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    return function.name.startswith("test")


def _cannot_fail(test: ast.expr) -> str | None:
    if isinstance(test, ast.Constant):
        return "asserts a constant"
    if (
        isinstance(test, ast.BoolOp)
        and isinstance(test.op, ast.Or)
        and any(isinstance(v, ast.Constant) and v.value for v in test.values)
    ):
        return "an 'or' with a true constant"
    if isinstance(test, ast.Compare) and len(test.ops) == 1:
        left, op, right = test.left, test.ops[0], test.comparators[0]
        if ast.dump(left) == ast.dump(right) and isinstance(
            op, ast.Eq | ast.Is | ast.GtE | ast.LtE
        ):
            return "compares a thing with itself"
        if (
            isinstance(op, ast.GtE)
            and isinstance(left, ast.Call)
            and _called_name(left) == "len"
            and isinstance(right, ast.Constant)
            and right.value == 0
        ):
            return "len(...) >= 0"
    return None


def _only_a_type(test: ast.expr) -> bool:
    """``isinstance(x, T)``: a result of the right type, whatever its value."""
    return isinstance(test, ast.Call) and _called_name(test) == "isinstance"


def _asks_widget_state(test: ast.expr) -> bool:
    return any(
        isinstance(node, ast.Call) and _called_name(node) in _STATE_QUESTIONS
        for node in ast.walk(test)
    )


_PLATFORM_ONLY = (ast.BoolOp, ast.UnaryOp, ast.Compare, ast.Constant, ast.Tuple, ast.List)


def _is_platform_condition(condition: ast.expr) -> bool:
    """``sys.platform ...`` comparisons and ``hasattr(module, name)``, combined any way."""
    if isinstance(condition, ast.Call):
        return _called_name(condition) == "hasattr"
    if isinstance(condition, ast.BoolOp):
        return all(_is_platform_condition(v) for v in condition.values)
    if isinstance(condition, ast.UnaryOp):
        return _is_platform_condition(condition.operand)
    if isinstance(condition, ast.Compare):
        return any(
            isinstance(side, ast.Attribute) and side.attr == "platform"
            for side in (condition.left, *condition.comparators)
        )
    return False


def _skip_findings(nodes: list[ast.AST]) -> Iterator[tuple[int, str]]:
    for node in nodes:
        if not isinstance(node, ast.Call):
            continue
        name = _called_name(node)
        strict = any(k.arg == "strict" and ast.literal_eval(k.value) is True for k in node.keywords)
        if name == "xfail" and strict:
            continue  # a known failure that must go on failing: it hides nothing
        if name in ("skip", "importorskip", "xfail") and isinstance(node.func, ast.Attribute):
            yield node.lineno, f"pytest {name}: a missing tool or privilege must fail, not skip"
        elif name == "skipif" and isinstance(node.func, ast.Attribute):
            condition = node.args[0] if node.args else None
            if condition is None or not _is_platform_condition(condition):
                yield node.lineno, "skipif on something other than the platform"


def _inside_loop(parents: dict[ast.AST, ast.AST], node: ast.AST) -> bool:
    current = parents.get(node)
    while current is not None and not isinstance(
        current, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda
    ):
        if isinstance(current, ast.While | ast.For | ast.AsyncFor):
            return True
        current = parents.get(current)
    return False


def _under_if_alone(parents: dict[ast.AST, ast.AST], node: ast.AST, function: ast.AST) -> bool:
    """Whether ``node`` runs only when some ``if`` (with no ``else``) in ``function`` holds."""
    current = parents.get(node)
    while current is not None and current is not function:
        if isinstance(current, ast.If) and not current.orelse:
            return True
        current = parents.get(current)
    return False


def _sleep_findings(
    nodes: list[ast.AST], parents: dict[ast.AST, ast.AST], lines: list[str]
) -> Iterator[tuple[int, str]]:
    for node in nodes:
        if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Attribute):
            continue
        owner = node.func.value
        owner_name = owner.id if isinstance(owner, ast.Name) else None
        if (owner_name, node.func.attr) not in (("time", "sleep"), ("qtbot", "wait")):
            continue
        if _inside_loop(parents, node):
            continue
        here = lines[node.lineno - 1]
        above = lines[node.lineno - 2].strip() if node.lineno >= 2 else ""
        if "#" not in here and not above.startswith("#"):
            yield node.lineno, f"{owner_name}.{node.func.attr} with no word on why it is no wait"


def audit(sources: dict[str, str]) -> list[Finding]:
    """Every finding in ``sources`` (path -> text of a test file)."""
    trees = {path: list(ast.walk(ast.parse(text, filename=path))) for path, text in sources.items()}
    functions = {
        path: [n for n in nodes if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)]
        for path, nodes in trees.items()
    }
    summaries: dict[str, list[tuple[set[str], bool]]] = {}
    summary_of: dict[ast.AST, tuple[set[str], bool]] = {}
    for found in functions.values():
        for function in found:
            summary_of[function] = _summary(function)
            summaries.setdefault(function.name, []).append(summary_of[function])
    helpers = checking_helpers(summaries)
    findings: list[Finding] = []
    for path, nodes in trees.items():
        parents = {child: node for node in nodes for child in ast.iter_child_nodes(node)}
        for function in functions[path]:
            called, checks = summary_of[function]
            if not _is_test(function):
                continue
            checkpoints = [
                n
                for n in ast.walk(function)
                if isinstance(n, ast.Assert)
                or (isinstance(n, ast.Call) and _called_name(n) in helpers | _CHECK_CALLS)
            ]
            if checkpoints and all(_under_if_alone(parents, n, function) for n in checkpoints):
                findings.append(Finding(path, function.lineno, "checks only if", function.name))
            if called & (helpers | _CHECK_CALLS):
                continue
            asserts = [n for n in ast.walk(function) if isinstance(n, ast.Assert)]
            if not checks:
                findings.append(Finding(path, function.lineno, "checks nothing", function.name))
            elif asserts and all(_only_a_type(a.test) for a in asserts):
                findings.append(Finding(path, function.lineno, "checks a type only", function.name))
        for node in nodes:
            if isinstance(node, ast.Assert) and (why := _cannot_fail(node.test)):
                findings.append(Finding(path, node.lineno, "cannot fail", why))
            if (
                isinstance(node, ast.If)
                and not node.orelse
                and _asks_widget_state(node.test)
                and any(_checks_directly(statement) for statement in node.body)
            ):
                findings.append(
                    Finding(path, node.lineno, "conditional check", ast.unparse(node.test))
                )
        for line, what in _skip_findings(nodes):
            findings.append(Finding(path, line, "skip", what))
        for line, what in _sleep_findings(nodes, parents, sources[path].splitlines()):
            findings.append(Finding(path, line, "sleep", what))
    return findings


def _suite_sources() -> dict[str, str]:
    return {
        str(path.relative_to(ROOT)): path.read_text(encoding="utf-8")
        for path in sorted(TESTS.rglob("*.py"))
        if path.name.startswith("test_") or path.name == "conftest.py"
    }


def test_the_suite_has_no_hollow_tests() -> None:
    findings = audit(_suite_sources())
    assert [str(f) for f in findings] == []


# ---- the audit catches each kind (so it cannot pass by finding nothing) -----------------------

HOLLOW = {
    "checks nothing": """
def test_x():
    value = compute()
""",
    "checks a type only": """
def test_x():
    assert isinstance(parse(b"x"), bool)
""",
    "cannot fail": """
def test_x():
    assert result == result
""",
    "conditional check": """
def test_x(button):
    assert button.text() == "Send"
    if button.isEnabled():
        assert button.click()
""",
    "checks only if": """
def test_x(path):
    if path.stat().st_mtime < time.time() - 1:
        assert if_range(path)
""",
    "skip": """
import shutil, pytest
@pytest.mark.skipif(shutil.which("curl") is None, reason="no curl")
def test_x():
    assert run()
""",
    "sleep": """
import time
def test_x():
    start()
    time.sleep(0.5)
    assert done()
""",
}


@pytest.mark.parametrize("kind", HOLLOW)
def test_the_audit_finds_each_kind(kind: str) -> None:
    assert [f.kind for f in audit({"tests/test_x.py": HOLLOW[kind]})] == [kind]


@pytest.mark.parametrize(
    "source",
    [
        # a helper that asserts, called from the test, is a check
        "def expect(x):\n    assert x\n\ndef test_x():\n    expect(1)\n",
        # a polling loop with a deadline, and a commented pause that is the behaviour under test
        "import time\ndef test_x():\n    while not ready():\n        time.sleep(0.05)\n"
        "    # the quiet spell is what is tested\n    time.sleep(1)\n    assert served()\n",
        # a platform skip, and a branch on widget state with an else that checks the other way
        "import os, sys, pytest\n"
        "@pytest.mark.skipif(sys.platform == 'win32' or not hasattr(os, 'fork'), reason='x')\n"
        "def test_x(b):\n    if b.isEnabled():\n        assert go()\n    else:\n"
        "        assert not go()\n",
    ],
)
def test_the_audit_lets_honest_tests_be(source: str) -> None:
    assert audit({"tests/test_x.py": source}) == []


def dead_overrides(sources: dict[str, str]) -> list[str]:
    """Methods a test's subclass of a net/gui class defines to change how it works (a private
    name) that no base class has: after a split moved the method elsewhere the override no
    longer runs, and the test goes on passing by luck (it happened to a checksum gate).
    ``_on_*`` methods are exempt: panels' runner hooks, looked up by name."""
    import importlib
    import inspect

    found = []
    for path, source in sources.items():
        tree = ast.parse(source)
        imported = {
            alias.asname or alias.name: (node.module, alias.name)
            for node in ast.walk(tree)
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith(("net", "gui"))
            for alias in node.names
        }
        for node in ast.walk(tree):
            if not isinstance(node, ast.ClassDef):
                continue
            for base_name in (b.id for b in node.bases if isinstance(b, ast.Name)):
                if base_name not in imported:
                    continue
                module, name = imported[base_name]
                base = getattr(importlib.import_module(str(module)), name, None)
                if not inspect.isclass(base):
                    continue
                for method in node.body:
                    if (
                        isinstance(method, ast.FunctionDef)
                        and method.name.startswith("_")
                        and not method.name.startswith(("__", "_on_"))
                        and not any(method.name in vars(c) for c in base.__mro__)
                    ):
                        found.append(f"{path}:{method.lineno}: {node.name}.{method.name}")
    return found


def test_no_test_overrides_a_method_its_base_no_longer_has() -> None:
    assert dead_overrides(_suite_sources()) == []


def test_a_dead_override_is_found() -> None:
    source = (
        "from net.share import ShareTable\n"
        "class Gated(ShareTable):\n"
        "    def _hash(self, entry):\n"
        "        return None\n"
        "    def _changed(self):\n"
        "        return None\n"
    )
    assert dead_overrides({"t.py": source}) == ["t.py:3: Gated._hash"]
