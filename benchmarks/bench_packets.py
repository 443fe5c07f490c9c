"""Issue 17, "Speed and limits": a library of 10,000 packets opens, searches and scrolls without a
visible stall, in the real Packets view (offscreen, the GUI thread measured directly).

Each step runs on the GUI thread, so its duration is the stall a user would see:

1. reading and checking the library file (net.packets.load_library) and showing it in the view;
2. a search typed one character at a time (every keystroke filters all 10,000 rows);
3. scrolling from the top to the bottom a page at a time, each page painted (the 99th
   percentile page is judged: the machine these ran on is shared, see the load line).

4. (issue 17's other row) the longest GUI-thread stall, a 5 ms probe timer's longest gap, while
   the TCP Client panel repeats a 1 KiB payload at interval 0 for 5 s into a draining reader.

There is no peer program: Packet Sender has no headless way to open a library. The target is the
one bench_gui uses for a GUI-thread stall, 50 ms per step (load: 1 s, once).

    python benchmarks/bench_packets.py [--quick] [--packets N]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from _common import LOOPBACK, REPO, Row, fmt_ms, format_table, median, not_measured, say

sys.path.insert(0, str(REPO))

STALL_TARGET = 0.050
LOAD_TARGET = 1.0


def make_library(path: Path, count: int) -> None:
    from net.packets import Packet, save_library

    packets = [
        Packet(
            f"device {i:05d} read {'coils' if i % 2 else 'registers'}",
            ("udp", "tcp", "tls")[i % 3],
            f"10.{i // 65536 % 256}.{i // 256 % 256}.{i % 256}",
            502 + i % 100,
            f"01 03 {i % 256:02X} 00 00 0A" if i % 2 else f"READ {i} {{{{counter}}}}\\r\\n",
            "hex" if i % 2 else "escapes",
            checksum="crc16-modbus" if i % 2 else "",
            folder=f"site {i % 20}",
        )
        for i in range(count)
    ]
    save_library(path, packets)


def measure(count: int, rounds: int) -> list[Row]:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtWidgets import QApplication

    from gui.panels.packets import PacketLibraryPanel

    app = QApplication.instance() or QApplication([])
    loads: list[float] = []
    keystrokes: list[float] = []
    pages: list[float] = []
    with tempfile.TemporaryDirectory(prefix="swb-bench-packets-") as folder:
        path = Path(folder) / "packets.json"
        make_library(path, count)
        size = path.stat().st_size
        for _ in range(rounds):
            panel = PacketLibraryPanel(path=path)
            panel.resize(420, 700)
            panel.show()
            app.processEvents()
            began = time.perf_counter()
            assert panel.load(), panel.status.text()
            panel.view.viewport().repaint()
            loads.append(time.perf_counter() - began)
            assert panel.model.rowCount() == count

            for text in ("s", "si", "sit", "site", "site ", "site 1", "site 17", ""):
                began = time.perf_counter()
                panel.search.setText(text)
                panel.view.viewport().repaint()
                keystrokes.append(time.perf_counter() - began)
            assert panel.view.model().rowCount() == count

            bar = panel.view.verticalScrollBar()
            bar.setValue(0)
            while bar.value() < bar.maximum():
                began = time.perf_counter()
                bar.setValue(bar.value() + bar.pageStep())
                panel.view.viewport().repaint()
                pages.append(time.perf_counter() - began)
            panel.close()
            panel.deleteLater()
            app.processEvents()
    say(f"{count} packets, {size / 1e6:.1f} MB file; {len(pages)} pages scrolled per round")
    say(f"load average: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    worst_key = max(keystrokes)
    # One page in a hundred may meet a busy machine (this one is shared); the 99th percentile
    # is judged, the single slowest page is shown beside it.
    pages.sort()
    p99_page = pages[min(len(pages) - 1, int(len(pages) * 0.99))]
    return [
        Row(
            f"open a {count:,}-packet library (read, check, show)",
            fmt_ms(median(loads)),
            target=f"< {LOAD_TARGET * 1000:.0f} ms",
            met=median(loads) < LOAD_TARGET,
        ),
        Row(
            f"search {count:,} packets, slowest keystroke",
            fmt_ms(worst_key),
            target=f"< {STALL_TARGET * 1000:.0f} ms",
            met=worst_key < STALL_TARGET,
            note=f"median {fmt_ms(median(keystrokes))}",
        ),
        Row(
            f"scroll {count:,} packets a page at a time, 99th percentile page",
            fmt_ms(p99_page),
            target=f"< {STALL_TARGET * 1000:.0f} ms",
            met=p99_page < STALL_TARGET,
            note=f"median {fmt_ms(median(pages))}, slowest {fmt_ms(pages[-1])}",
        ),
    ]


_SINK = """
import socket
server = socket.create_server(("127.0.0.1", 0))
print(server.getsockname()[1], flush=True)
conn, _ = server.accept()
total = 0
while chunk := conn.recv(1 << 20):
    total += len(chunk)
print(total, flush=True)
"""


def measure_tcp_repeat(seconds: float) -> list[Row]:
    """The longest GUI-thread stall (a 5 ms probe timer's longest gap) while the TCP Client
    panel repeats a 1 KiB payload at interval 0 into a reader in another process."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    import subprocess

    from PySide6.QtCore import QEventLoop, QSettings, QTimer
    from PySide6.QtWidgets import QApplication

    from gui.main_window import MainWindow

    _app = QApplication.instance() or QApplication([])  # kept alive for the whole measurement
    sink = subprocess.Popen([sys.executable, "-c", _SINK], stdout=subprocess.PIPE, text=True)
    assert sink.stdout is not None
    port = int(sink.stdout.readline())
    with tempfile.TemporaryDirectory(prefix="swb-bench-repeat-") as folder:
        os.environ["SWB_DATA_DIR"] = folder
        window = MainWindow(QSettings(str(Path(folder) / "s.ini"), QSettings.Format.IniFormat))
        window.show()
        panel: Any = window.show_panel("tcpClientPanel")
        panel.host.set_text(LOOPBACK)
        panel.port.set_text(str(port))
        panel.payload.set_text("x" * 1023 + "\n")
        panel.trigger_start()
        loop = QEventLoop()
        deadline = time.monotonic() + 10
        while not (panel.client is not None and panel.send_button.isEnabled()):
            QTimer.singleShot(20, loop.quit)
            loop.exec()
            if time.monotonic() > deadline:
                sink.kill()
                sink.wait()
                return [not_measured("TCP repeat at 0 ms: GUI stall", "no connection")]
        gaps: list[float] = []
        last = time.perf_counter()

        def probe() -> None:
            nonlocal last
            now = time.perf_counter()
            gaps.append(now - last)
            last = now

        timer = QTimer()
        timer.timeout.connect(probe)
        timer.start(5)
        assert panel.repeat_send.start(0, 0)
        began = time.perf_counter()
        QTimer.singleShot(int(seconds * 1000), loop.quit)
        loop.exec()
        elapsed = time.perf_counter() - began
        panel.repeat_send.stop()
        timer.stop()
        sent = panel.repeat_send.sent
        panel.trigger_stop()
        while panel.runner.running:
            QTimer.singleShot(20, loop.quit)
            loop.exec()
        window.close()
    received = int(sink.stdout.readline() or 0)
    sink.wait(10)
    worst = max(gaps[1:]) if len(gaps) > 1 else float("nan")
    say(f"TCP repeat: {sent} sends in {elapsed:.1f} s, {received / 1e6:.1f} MB read by the peer")
    return [
        Row(
            f"TCP Client repeat at 0 ms for {seconds:g} s: longest GUI stall",
            fmt_ms(worst),
            target=f"< {STALL_TARGET * 1000:.0f} ms",
            met=worst < STALL_TARGET,
            note=f"{sent / elapsed:,.0f} sends/s of 1 KiB",
        )
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="one round")
    parser.add_argument("--packets", type=int, default=10_000, help="library size (10,000)")
    args = parser.parse_args(argv)
    rows = measure(args.packets, 1 if args.quick else 3)
    rows += measure_tcp_repeat(2.0 if args.quick else 5.0)
    print(format_table(rows))
    return 0 if all(row.met is not False for row in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
