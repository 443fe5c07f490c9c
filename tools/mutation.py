"""Mutation score and branch coverage of the security-critical modules (issue 24).

Runs mutmut 3 over one module at a time, each against only the fast test files that exercise it,
and prints per module how many mutants the tests killed and which survived (with their diffs).
``--coverage`` instead measures branch coverage of the same modules with pytest-cov.

Not part of CI's test command: a full run takes minutes per module. Usage::

    .venv/bin/pip install -e '.[mutation]'
    .venv/bin/python tools/mutation.py                    # every module below
    .venv/bin/python tools/mutation.py codec httpfile     # some of them
    .venv/bin/python tools/mutation.py --coverage         # branch coverage, seconds
    .venv/bin/python tools/mutation.py httpfile --budget 900 --children 2
    .venv/bin/python tools/mutation.py share --recheck    # survivors again, after new tests

Each module runs in its own copy under ``build/mutation/<module>/`` (mutmut writes ``mutants/``
next to the configuration it reads), so runs never touch the working tree and a later run of the
same module reuses mutmut's cache of verdicts for unchanged functions.
"""

from __future__ import annotations

import argparse
import ast
import fnmatch
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "build" / "mutation"


@dataclass(frozen=True)
class Target:
    """One module to mutate and the test files that are its judges."""

    source: str
    tests: tuple[str, ...]
    # mutmut mutant-name globs (``net.download.urls.x_safe_file_name*``); empty means every function.
    only: tuple[str, ...] = ()


#: share.py's functions that decide what a request's name can reach: the naming and the keys
#: (the lookups are in net/_share_index.py, the name form and file checks in net/_share_walk.py).
SHARE_LOOKUP = (
    "xǁShareTableǁ_put",
    "xǁShareTableǁ_insert",
    "xǁShareTableǁ_drop_key",
    "xǁShareTableǁremove",
    "x_numbered_name",
)
#: The tests that judge the share table's modules.
SHARE_TESTS = (
    "tests/net/test_share.py",
    "tests/net/test_share_mutants.py",
    "tests/net/test_folders.py",
)


def _functions(source: str, *, skip: tuple[str, ...] = ()) -> tuple[str, ...]:
    """mutmut's mutant-name globs for every function and method in ``source`` but ``skip``
    (names as in :data:`SHARE_LOOKUP`: ``x_name``, ``xǁClassǁmethod``)."""
    module = source.removesuffix(".py").replace("/", ".")
    tree = ast.parse((ROOT / source).read_text(encoding="utf-8"))
    names = []
    for node in tree.body:
        if isinstance(node, ast.FunctionDef):
            names.append(f"x_{node.name}")
        elif isinstance(node, ast.ClassDef):
            names.extend(
                f"xǁ{node.name}ǁ{item.name}"
                for item in node.body
                if isinstance(item, ast.FunctionDef)
            )
    return tuple(f"{module}.{name}__mutmut_*" for name in names if name not in skip)


TARGETS: dict[str, Target] = {
    # Exact-name share lookup and naming: what a request's name can reach.
    "share": Target(
        "net/share.py",
        (
            "tests/net/test_share.py",
            "tests/net/test_share_mutants.py",
            "tests/net/test_security.py",
        ),
        tuple(f"net.share.{f}__mutmut_*" for f in SHARE_LOOKUP),
    ),
    "share_index": Target("net/_share_index.py", (*SHARE_TESTS, "tests/net/test_security.py")),
    # The rest of the share table: adding and rescans, the folder walk and file checks (what is
    # listed), the checksum lanes. Judged by the share table's own tests: the server's would
    # re-run sockets for each mutant.
    "share_rest": Target(
        "net/share.py", SHARE_TESTS, _functions("net/share.py", skip=SHARE_LOOKUP)
    ),
    "share_walk": Target("net/_share_walk.py", SHARE_TESTS),
    "share_hash": Target("net/_share_hash.py", SHARE_TESTS),
    # Request head limits, target parsing, Range / If-Range / Content-Range / digest parsing.
    "httpfile": Target(
        "net/httpfile.py",
        (
            "tests/net/test_httpfile.py",
            "tests/net/test_httpfile_edges.py",
            "tests/net/test_repr_digest.py",
            "tests/net/test_httpfile_mutants.py",
            "tests/net/test_security.py",
            "tests/net/test_share_page.py",  # names, types and charsets as a browser gets them
        ),
    ),
    # Download validation: may this response be kept (status, Content-Range, validators)?
    # Judged by the socket-free tables only: with the two download files as judges every surviving
    # mutant re-ran ~150 socket tests (minutes per mutant); the tables exercise every branch.
    "download": Target(
        "net/download/judge.py",
        (
            "tests/net/test_download_judge.py",
            "tests/net/test_download_hostile.py::test_judge_response",
            "tests/net/test_download_hostile.py::test_a_416_when_the_file_shrank_to_the_part_starts_over",
        ),
    ),
    # Finishing a download: the .part, its resume state, verify and rename.
    "download_files": Target(
        "net/download/files.py",
        (
            "tests/net/test_download_files_mutants.py",
            "tests/net/test_download_hostile.py",
            "tests/net/test_download.py",
        ),
    ),
    "safe_file_name": Target(
        "net/download/urls.py",
        (
            "tests/net/test_safe_file_name.py",
            "tests/net/test_download.py",
            "tests/net/test_fuzz.py",
        ),
        ("net.download.urls.x_safe_file_name*", "net.download.urls.x__unsafe_char*"),
    ),
    # Payload codecs (hex, escapes, encodings).
    "codec": Target("net/codec.py", ("tests/net/test_codec.py",)),
}

_STATUS = re.compile(r"^\s+(\S+): (.+)$")


def _prepare(name: str, target: Target) -> Path:
    """Copy what mutmut needs into ``build/mutation/<name>`` and write its configuration there."""
    work = WORK / name
    work.mkdir(parents=True, exist_ok=True)
    # resources/: the share page's tests read the app's icons.
    for folder in ("net", "tests", "resources"):
        shutil.copytree(ROOT / folder, work / folder, dirs_exist_ok=True)
    base = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    base = base.split("\n[tool.mutmut]")[0]
    selection = ", ".join(json.dumps(t) for t in target.tests)
    (work / "pyproject.toml").write_text(
        base
        + "\n[tool.mutmut]\n"
        + 'source_paths = ["net"]\n'
        + f"only_mutate = [{json.dumps(target.source)}]\n"
        + 'also_copy = ["resources"]\n'
        + f"pytest_add_cli_args_test_selection = [{selection}]\n"
        # -p no:randomly etc. are absent here; -x stops a mutant at its first failing test.
        + 'pytest_add_cli_args = ["-x", "-q", "-p", "no:cacheprovider"]\n',
        encoding="utf-8",
    )
    return work


def _mutmut(work: Path, *args: str, timeout: float) -> str:
    """Run mutmut in ``work``; at ``timeout`` seconds stop it and every worker it forked."""
    # mutmut may live in the system site-packages the venv sees, with no script in .venv/bin.
    exe = Path(sys.executable).with_name("mutmut")
    command = [str(exe)] if exe.exists() else [sys.executable, "-m", "mutmut"]
    with subprocess.Popen(
        [*command, *args],
        cwd=work,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,  # its own process group, so the budget ends the workers too
    ) as proc:
        try:
            out, _ = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.communicate()
            raise
    return out


# Reads mutmut's verdicts and diffs in one process: `mutmut show` per survivor takes seconds each.
_REPORT = """
import fnmatch, json, sys
from mutmut.__main__ import SourceFileMutationData, status_by_exit_code, walk_mutatable_files
from mutmut.mutation.diff_apply import get_diff_for_mutant
only = json.loads(sys.argv[1])
found = {}
for path in walk_mutatable_files():
    data = SourceFileMutationData(path=path)
    data.load()
    for name, code in data.exit_code_by_key.items():
        if only and not any(fnmatch.fnmatchcase(name, g) for g in only):
            continue
        status = status_by_exit_code[code]
        diff = "" if status in ("killed", "timeout") else get_diff_for_mutant(name, path=data.path)
        found[name] = [status, diff]
print(json.dumps(found))
"""


def _results(work: Path, only: tuple[str, ...]) -> dict[str, tuple[str, str]]:
    """Mutant name → (status, diff); status is killed, survived, timeout, not checked, ..."""
    proc = subprocess.run(
        [sys.executable, "-c", _REPORT, json.dumps(only)],
        cwd=work,
        capture_output=True,
        text=True,
        check=True,
    )
    return {name: (status, diff) for name, (status, diff) in json.loads(proc.stdout).items()}


def _forget_survivors(work: Path, only: tuple[str, ...]) -> None:
    """Mark the survivors of an earlier run (of ``only``) unchecked, so mutmut runs them again
    against the tests as they are now; its verdicts on killed mutants stay. mutmut's record of
    which tests reach which function goes too: a test added since would not be run otherwise."""
    (work / "mutants" / "mutmut-stats.json").unlink(missing_ok=True)
    for meta in (work / "mutants").rglob("*.meta"):
        data = json.loads(meta.read_text(encoding="utf-8"))
        verdicts = data["exit_code_by_key"]
        for key, code in verdicts.items():
            if code == 0 and (not only or any(fnmatch.fnmatchcase(key, g) for g in only)):
                verdicts[key] = None
        meta.write_text(json.dumps(data), encoding="utf-8")


def run_mutation(
    name: str,
    target: Target,
    budget: float,
    children: int,
    fresh: bool = False,
    recheck: bool = False,
) -> tuple[int, int]:
    """Mutate one module; print its score and survivors. Returns (killed, judged)."""
    if fresh:
        shutil.rmtree(WORK / name / "mutants", ignore_errors=True)
    work = _prepare(name, target)
    if recheck:
        _forget_survivors(work, target.only)
    started = time.monotonic()
    args = ["run", "--max-children", str(children), *target.only]
    try:
        log = _mutmut(work, *args, timeout=budget)
        cut = False
    except subprocess.TimeoutExpired:
        log, cut = "", True
    elapsed = time.monotonic() - started
    statuses = _results(work, target.only)
    if not statuses:
        print(f"{name}: mutmut produced no results\n{log[-3000:]}")
        return 0, 0
    counts: dict[str, int] = {}
    for status, _ in statuses.values():
        counts[status] = counts.get(status, 0) + 1
    killed = counts.get("killed", 0) + counts.get("timeout", 0)
    judged = sum(v for k, v in counts.items() if k not in ("not checked", "skipped"))
    score = 100.0 * killed / judged if judged else 0.0
    detail = ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))
    note = f" (budget of {budget:.0f} s reached: partial)" if cut else ""
    print(f"\n== {name} ({target.source}): {score:.1f}% killed, {detail}, {elapsed:.0f} s{note}")
    for mutant, (status, diff) in statuses.items():
        if status not in ("killed", "timeout", "not checked", "skipped"):
            changed = [line for line in diff.splitlines()[2:] if line.startswith(("+", "-"))]
            print(f"-- {mutant}: {status}\n" + "\n".join(changed))
    return killed, judged


def run_coverage(names: list[str]) -> int:
    """Branch coverage of each module's source by its own test files; prints one line each."""
    failed = 0
    WORK.mkdir(parents=True, exist_ok=True)
    for name in names:
        target = TARGETS[name]
        module = target.source.removesuffix(".py").replace("/", ".")
        report = WORK / f"coverage-{name}.json"
        proc = subprocess.run(
            [
                sys.executable,
                "-m",
                "pytest",
                "-q",
                "-p",
                "no:cacheprovider",
                f"--cov={module}",
                "--cov-branch",
                f"--cov-report=json:{report}",
                *target.tests,
            ],
            cwd=ROOT,
            env={**os.environ, "COVERAGE_FILE": str(WORK / f".coverage-{name}")},
            capture_output=True,
            text=True,
            check=False,
        )
        if proc.returncode != 0:
            print(f"{name}: tests failed\n{proc.stdout[-2000:]}")
            failed += 1
            continue
        totals = json.loads(report.read_text(encoding="utf-8"))["totals"]
        print(
            f"{name:15} {target.source:18} lines {totals['covered_lines']}/"
            f"{totals['num_statements']}, branches {totals['covered_branches']}/"
            f"{totals['num_branches']}, total {totals['percent_covered']:.1f}%"
        )
    return 1 if failed else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("modules", nargs="*", help=f"some of {', '.join(TARGETS)}; default: all")
    parser.add_argument("--coverage", action="store_true", help="branch coverage instead")
    parser.add_argument("--budget", type=float, default=1200.0, help="seconds per module")
    parser.add_argument("--children", type=int, default=2, help="parallel mutant runs")
    parser.add_argument("--fresh", action="store_true", help="forget every earlier verdict")
    parser.add_argument(
        "--recheck", action="store_true", help="run earlier survivors again (after adding tests)"
    )
    args = parser.parse_args(argv)
    names = args.modules or list(TARGETS)
    unknown = [n for n in names if n not in TARGETS]
    if unknown:
        parser.error(f"unknown module {unknown[0]!r}; choose from {', '.join(TARGETS)}")
    if args.coverage:
        return run_coverage(names)
    total_killed = total_judged = 0
    for name in names:
        killed, judged = run_mutation(
            name, TARGETS[name], args.budget, args.children, args.fresh, args.recheck
        )
        total_killed += killed
        total_judged += judged
    if total_judged:
        print(f"\nall: {100.0 * total_killed / total_judged:.1f}% of {total_judged} killed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
