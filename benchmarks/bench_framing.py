"""Issue 16, "Speed": exporting 100,000 log rows to pcapng (target: under 5 s; the file must open
in capinfos with every packet), both by net.pcapng alone and as the traffic log's "Export as
pcapng" does it (its model's rows, Qt offscreen), and how fast net.framing splits a stream of 64-byte lines and of
2-byte length-prefixed messages (fed in 64 KiB chunks, as a TCP loop reads them).

The pcapng rows are half TCP (one connection, alternating 100-byte requests and 300-byte replies,
as a request/reply device log) and half UDP datagrams of 64 bytes. There is no peer program to
compare with: Wireshark writes captures, it does not synthesize them from a log.

    python benchmarks/bench_framing.py [--quick] [--rows N]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import REPO, Row, fmt_mib_s, fmt_ms, format_table, median, not_measured, say

sys.path.insert(0, str(REPO))

EXPORT_TARGET = 5.0
FRAMING_BYTES = 64 * 1024 * 1024


def records(count: int) -> list[object]:
    from net.pcapng import TrafficRecord

    rows: list[object] = []
    for i in range(count):
        t = 1_700_000_000.0 + i * 0.001
        if i % 2:
            rows.append(TrafficRecord(t, "udp", i % 4 == 1, "0.0.0.0:9000", "10.0.0.7:5000",
                                      b"u" * 64))  # fmt: skip
        else:
            outgoing = i % 4 == 2
            rows.append(TrafficRecord(t, "tcp", outgoing, "10.0.0.1:502", "10.0.0.7:40000",
                                      b"r" * (300 if outgoing else 100), 1))  # fmt: skip
    return rows


def log_model(count: int) -> object:
    """A traffic log model holding ``count`` rows of one TCP conversation (as :func:`records`)."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from gui.widgets.traffic_log_model import LogEntry, TrafficLogModel

    model = TrafficLogModel(limit=count)
    model.append([LogEntry(1_700_000_000.0 + i * 0.001, "out" if i % 2 else "in", "10.0.0.7:40000",
                           b"r" * (300 if i % 2 else 100)) for i in range(count)])  # fmt: skip
    return model


def measure_export(count: int, rounds: int, *, gui: bool = False) -> list[Row]:
    from net.pcapng import write_pcapng

    if gui:
        from gui.widgets.traffic_log_export import write_export

        model = log_model(count)
        what = f"traffic log export of {count:,} TCP rows to pcapng"

        def export(path: Path) -> int:
            return write_export(model, path, kind="pcapng", local="10.0.0.1:502")  # type: ignore[arg-type]
    else:
        rows = records(count)
        what = f"export {count:,} rows to pcapng"

        def export(path: Path) -> int:
            return write_pcapng(path, rows)  # type: ignore[arg-type]

    times: list[float] = []
    with tempfile.TemporaryDirectory(prefix="swb-bench-pcapng-") as folder:
        path = Path(folder) / "export.pcapng"
        for _ in range(rounds):
            start = time.perf_counter()
            packets = export(path)
            times.append(time.perf_counter() - start)
        try:
            out = subprocess.run(["capinfos", "-c", "-M", str(path)], capture_output=True,
                                 text=True, timeout=120, check=True).stdout  # fmt: skip
        except (OSError, subprocess.SubprocessError) as exc:
            return [not_measured(what, f"capinfos: {exc}")]
        counted = int(out.rsplit(":", 1)[1])
        size = path.stat().st_size
    took = median(times)
    return [
        Row(
            f"{what} ({size / 1e6:.1f} MB)",
            fmt_ms(took),
            target=f"< {EXPORT_TARGET:g} s, every packet in capinfos",
            met=took < EXPORT_TARGET and counted == packets,
            note=f"capinfos counts {counted:,} of {packets:,} packets",
        )
    ]


def measure_framing(rounds: int) -> list[Row]:
    from net.framing import parse_framing

    lines = (b"x" * 63 + b"\n") * (FRAMING_BYTES // 64)
    message = (62).to_bytes(2, "big") + b"m" * 62
    prefixed = message * (FRAMING_BYTES // 64)
    out: list[Row] = []
    for spec, stream in (("line", lines), ("len2be", prefixed)):
        times: list[float] = []
        frames = 0
        for _ in range(rounds):
            framer = parse_framing(spec).framer()
            frames = 0
            start = time.perf_counter()
            for offset in range(0, len(stream), 65536):
                frames += len(framer.feed(stream[offset : offset + 65536]))
            frames += len(framer.flush())
            times.append(time.perf_counter() - start)
        took = median(times)
        assert frames == len(stream) // 64
        out.append(
            Row(
                f"framing {spec}: 64 MiB of 64-byte frames",
                f"{fmt_mib_s(len(stream) / took)}, {frames / took / 1e6:.2f} M frames/s",
            )
        )
    return out


def run(quick: bool = False, rows: int = 100_000) -> list[Row]:
    """The rows of this benchmark (what benchmarks/run.py calls)."""
    rounds = 1 if quick else 3
    say("exporting to pcapng")
    result = measure_export(rows, rounds)
    say("exporting the traffic log to pcapng")
    result += measure_export(rows, rounds, gui=True)
    say("framing")
    return result + measure_framing(rounds)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="one round")
    parser.add_argument("--rows", type=int, default=100_000, help="rows to export (100,000)")
    args = parser.parse_args(argv)
    rows = run(args.quick, args.rows)
    print(format_table(rows))
    return 0 if all(row.met is not False for row in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
