"""`.ci/run` installs every program a test or benchmark starts (issue 12.12).

The programs are found in the sources, not listed here: every ``shutil.which("x")``, every call
whose first argument is the literal program name, and every argv-shaped list or tuple literal
(``["curl", "-sS", url]``). A name counts as a program when it is on PATH and lives outside this
project's virtual environment, or when a subprocess call starts it directly (then it must be on
PATH at all). Each program maps to the Debian package that owns its file (``dpkg-query -S``),
and that package must be in `.ci/run`'s ``apt-get install`` line.
"""

from __future__ import annotations

import ast
import functools
import os
import re
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass
from importlib.metadata import entry_points
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SCANNED = ("tests", "benchmarks")
PROGRAM = re.compile(r"^[A-Za-z][A-Za-z0-9_.+-]*$")
# Calls that start a process or look one up; their first argument names the program.
STARTERS = {"run", "Popen", "check_output", "check_call", "call", "create_subprocess_exec", "which"}


@dataclass(frozen=True)
class Use:
    """One place where a source names a program."""

    name: str
    where: str
    direct: bool  # started or looked up by a call, not only an argv-shaped literal


def _callee(node: ast.Call) -> str:
    func = node.func
    if isinstance(func, ast.Attribute):
        return func.attr
    return func.id if isinstance(func, ast.Name) else ""


def _first_string(node: ast.expr) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return None


@functools.cache
def program_uses(root: Path = ROOT) -> list[Use]:
    """Every program name the test and benchmark sources use, with where each appears."""
    uses = []
    for folder in SCANNED:
        for path in sorted((root / folder).rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
            for node in ast.walk(tree):
                where = f"{path.relative_to(root)}:{getattr(node, 'lineno', 0)}"
                if isinstance(node, ast.Call) and _callee(node) in STARTERS and node.args:
                    arg = node.args[0]
                    if isinstance(arg, ast.List | ast.Tuple) and arg.elts:
                        arg = arg.elts[0]
                    name = _first_string(arg)
                    if name and PROGRAM.match(name):
                        uses.append(Use(name, where, direct=True))
                elif isinstance(node, ast.List | ast.Tuple) and len(node.elts) >= 2:
                    name = _first_string(node.elts[0])
                    rest = [_first_string(e) for e in node.elts[1:]]
                    # argv-shaped: a program name followed by at least one option
                    if name and PROGRAM.match(name) and any(r and r[:1] == "-" for r in rest):
                        uses.append(Use(name, where, direct=False))
    return uses


def _from_pip(program: str, found: str) -> bool:
    """True for programs pyproject.toml's dependencies install (swb, pyside6-lupdate, ...)."""
    scripts = {e.name for e in entry_points(group="console_scripts")}
    scripts |= {e.name for e in entry_points(group="gui_scripts")}
    return program in scripts or Path(found).resolve().is_relative_to(Path(sys.prefix).resolve())


def _essential(package: str) -> bool:
    """Essential packages (dpkg, coreutils) are on every Debian machine without asking."""
    done = subprocess.run(
        ["dpkg-query", "-W", "-f=${Essential}", package],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    return done.stdout.strip() == "yes"


def package_of(program: str) -> str | None:
    """The Debian package that owns `program` as found on PATH, or None if none does."""
    found = shutil.which(program)
    if found is None:
        return None
    candidates = {found, os.path.realpath(found)}
    # merged /usr: dpkg may have recorded /bin/x for /usr/bin/x and the other way round
    for path in list(candidates):
        if path.startswith("/usr/"):
            candidates.add(path[4:])
        else:
            candidates.add("/usr" + path)
    for path in sorted(candidates):
        done = subprocess.run(
            ["dpkg-query", "-S", path], capture_output=True, text=True, timeout=30, check=False
        )
        if done.returncode == 0:
            return done.stdout.split(":", 1)[0].strip()
    return None


def ci_packages(script: Path = ROOT / ".ci" / "run") -> set[str]:
    """Package names on `.ci/run`'s ``apt-get install`` command (continued lines joined)."""
    text = script.read_text(encoding="utf-8").replace("\\\n", " ")
    packages: set[str] = set()
    for line in text.splitlines():
        words = shlex.split(line, comments=True)
        if "apt-get" in words and "install" in words:
            after = words[words.index("install") + 1 :]
            packages.update(w for w in after if not w.startswith("-") and PROGRAM.match(w))
    return packages


def test_the_scan_finds_the_peers_the_suite_is_known_to_start() -> None:
    names = {use.name for use in program_uses()}
    # a scanner that silently finds nothing would make the next test pass vacuously
    assert {"curl", "nc", "socat", "openssl", "nginx", "packetsender", "wget"} <= names


def test_ci_installs_every_program_a_test_or_benchmark_starts() -> None:
    if shutil.which("dpkg-query") is None:
        pytest.fail("dpkg-query is missing: this check needs a Debian-based machine like CI's")
    wanted = ci_packages()
    missing = []
    uses_of: dict[str, list[Use]] = {}
    for use in program_uses():
        uses_of.setdefault(use.name, []).append(use)
    for name, uses in sorted(uses_of.items()):
        # CI runs `.venv/bin/python -m pytest` without the venv on PATH: pip's scripts live there.
        found = shutil.which(name) or shutil.which(name, path=str(Path(sys.executable).parent))
        if found is None:
            if any(u.direct for u in uses):
                missing.append(f"{name} (not on PATH; started at {uses[0].where})")
            continue
        if _from_pip(name, found):
            continue
        package = package_of(name)
        if package is None:
            missing.append(
                f"{name} ({found} belongs to no Debian package; used at {uses[0].where})"
            )
        elif package not in wanted and not _essential(package):
            missing.append(f"{name} (package {package}, used at {uses[0].where})")
    assert not missing, ".ci/run's apt-get line lacks: " + "; ".join(missing)


def test_ci_line_parser_reads_continued_lines(tmp_path: Path) -> None:
    script = tmp_path / "run"
    script.write_text(
        "$SUDO apt-get update -qq\n"
        "$SUDO apt-get install -y -qq --no-install-recommends \\\n"
        "    curl nginx \\\n"
        "    netcat-openbsd >/dev/null\n",
        encoding="utf-8",
    )
    assert ci_packages(script) == {"curl", "nginx", "netcat-openbsd"}
