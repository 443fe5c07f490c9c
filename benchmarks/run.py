"""Run every benchmark of issue 8 and print one combined Markdown table.

    python benchmarks/run.py [--quick] [--only NAME ...]

The table (with the date, CPU model and core count) is also written to benchmarks/out/results.md.
Progress goes to stderr; stdout is the table. Each benchmark runs on its own: one that fails gets
a row saying why, and the others still run.
"""

from __future__ import annotations

import argparse
import importlib
import sys
import time
import traceback
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (
    BENCH_DIR,
    OUT_DIR,
    Row,
    environment_lines,
    format_table,
    not_measured,
    say,
)

#: name -> (module, what it measures). Order is the table's order (issue 8's numbering).
BENCHMARKS: dict[str, tuple[str, str]] = {
    "files": ("bench_files", "1-2. file serving and downloading"),
    "concurrency": ("bench_concurrency", "3. parallel downloads"),
    "udp": ("bench_udp", "4. UDP capture"),
    "gui": ("bench_gui", "5-7. GUI stalls, memory, start-up"),
    "tcp": ("bench_tcp", "8. TCP file send, iperf3"),
}


def _rows_of(name: str, quick: bool) -> list[Row]:
    module_name, title = BENCHMARKS[name]
    if not (BENCH_DIR / f"{module_name}.py").is_file():
        return [not_measured(title, f"benchmarks/{module_name}.py is not written yet")]
    module = importlib.import_module(module_name)
    run: Callable[..., list[Row]] | None = getattr(module, "run", None)
    if run is None:
        adapter = getattr(module, "rows", None)
        if adapter is None:
            return [not_measured(title, f"{module_name} has no run(quick) to call")]
        run = adapter
    return list(run(quick=quick))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small sizes: a smoke run (< 2 min)")
    parser.add_argument(
        "--only",
        action="append",
        choices=list(BENCHMARKS),
        metavar="NAME",
        help=f"run only this benchmark (repeatable): {', '.join(BENCHMARKS)}",
    )
    args = parser.parse_args(argv)
    names = args.only or list(BENCHMARKS)

    rows: list[Row] = []
    started = time.monotonic()
    for name in names:
        say(f"== {name}")
        began = time.monotonic()
        try:
            rows.extend(_rows_of(name, args.quick))
        except Exception as exc:  # one broken benchmark must not hide the others' results
            traceback.print_exc(file=sys.stderr)
            title = BENCHMARKS[name][1]
            rows.append(not_measured(title, f"error: {type(exc).__name__}: {exc}"[:200]))
        say(f"== {name}: {time.monotonic() - began:.0f} s")

    mode = "quick (small sizes, a smoke run)" if args.quick else "full"
    lines = [
        "# Socket Workbench benchmarks",
        "",
        *(f"{line}  " for line in environment_lines()),
        f"Mode: {mode}; total {time.monotonic() - started:.0f} s",
        "",
        format_table(rows),
        "",
    ]
    text = "\n".join(lines)
    print(text)
    OUT_DIR.mkdir(exist_ok=True)
    (OUT_DIR / "results.md").write_text(text)
    say(f"written to {OUT_DIR / 'results.md'}")
    return 0 if all(row.met is not False for row in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
