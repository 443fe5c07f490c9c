"""Run every benchmark of issue 8 and print one combined Markdown table.

    python benchmarks/run.py [--quick] [--only NAME ...]

The table (with the date, CPU model and core count) is also written to benchmarks/out/results.md.
Progress goes to stderr; stdout is the table. Each benchmark runs on its own: one that fails gets
a row saying why, and the others still run.
"""

from __future__ import annotations

import argparse
import importlib
import subprocess
import sys
import time
import traceback
from collections.abc import Callable, Iterable, Mapping, Sequence
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
    "wget": ("bench_wget", "2. swb get vs wget"),
    "concurrency": ("bench_concurrency", "3. parallel downloads"),
    "udp": ("bench_udp", "4. UDP capture"),
    "gui": ("bench_gui", "5-7. GUI stalls, memory, start-up"),
    "tcp": ("bench_tcp", "8. TCP file send, iperf3"),
    "startup": ("bench_startup", "9. start-up of swb and the window"),
    "relay": ("bench_relay", "10. relay vs socat, fault accuracy"),
    "packets": ("bench_packets", "11. a 10,000-packet library: open, search, scroll"),
    "script": ("bench_script", "12. swb run round trips, rule replies"),
    "folders": ("bench_folders", "13. folder mirror and zip"),
    "framing": ("bench_framing", "14. pcapng export of 100,000 rows, framing speed"),
    "uploads": ("bench_uploads", "21. curl -T into --upload-dir vs nc"),
}


def _rows_of(name: str, quick: bool) -> list[Row]:
    module_name, title = BENCHMARKS[name]
    if not (BENCH_DIR / f"{module_name}.py").is_file():
        return [not_measured(title, f"benchmarks/{module_name}.py is not written yet")]
    module = importlib.import_module(module_name)
    run: Callable[..., Iterable[object]] | None = getattr(module, "run", None)
    if run is None:
        return _rows_from_output(module_name, title, quick)
    return [_as_row(item, title) for item in run(quick=quick)]


def _as_row(item: object, title: str) -> Row:
    """A Row from what a benchmark returned: a Row, a mapping, an object or a 6-item sequence."""
    if isinstance(item, Row):
        return item
    fields = ("benchmark", "ours", "peer", "ratio", "target", "met")
    if isinstance(item, Mapping):
        values = [item.get(field) for field in fields]
    elif isinstance(item, Sequence) and not isinstance(item, str) and len(item) == len(fields):
        values = list(item)
    elif all(hasattr(item, field) for field in ("benchmark", "ours")):
        values = [getattr(item, field, None) for field in fields]
    else:
        return not_measured(title, f"cannot read a result row: {item!r}"[:200])
    benchmark, ours, peer, ratio, target, met = values
    return Row(
        str(benchmark),
        str(ours),
        "—" if peer is None else str(peer),
        _number(ratio),
        "—" if target is None else str(target),
        met if isinstance(met, bool) or met is None else str(met).strip().lower() == "yes",
    )


def _number(value: object) -> float | None:
    if value is None:
        return None
    try:
        return float(str(value).rstrip("x"))
    except ValueError:
        return None


def _rows_from_output(module_name: str, title: str, quick: bool) -> list[Row]:
    """Run a script that has no run(): read the rows of the Markdown table it prints."""
    args = [sys.executable, str(BENCH_DIR / f"{module_name}.py")] + (["--quick"] if quick else [])
    done = subprocess.run(args, stdout=subprocess.PIPE, timeout=3600, check=False)
    rows: list[Row] = []
    header: list[str] | None = None
    for line in done.stdout.decode(errors="replace").splitlines():
        if not line.startswith("|"):
            header = None
            continue
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if header is None:
            header = [cell.lower() for cell in cells]
        elif not set("".join(cells)) <= set("-: "):
            rows.append(_as_row(dict(zip(header, cells, strict=False)), title))
    if not rows:
        why = f"{module_name} exited {done.returncode} without a | benchmark | ... | table"
        return [not_measured(title, why)]
    return rows


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
