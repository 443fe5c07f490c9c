"""Issue 8, rows 5-7: GUI responsiveness, memory and start-up of the real main window, offscreen.

5. the longest GUI-thread stall (a 5 ms single-shot QTimer re-armed each time; the longest gap
   between two firings) during a UDP flood into the receive panel, a 1 GiB download shown in the
   file server panel, and a 1 GiB TCP stream into the TCP client panel;
6. the GUI's resident memory after 1,000,000 datagrams went through the receive panel's log;
7. the time from launching a process to the main window's first paint.

This file also holds the GUI driver that bench_udp and bench_tcp use: ``bench_gui.py --driver``
runs the main window offscreen in its own process and obeys one command per line on stdin
(see :class:`_Driver`); :class:`GuiDriver` is the parent's side.

    python benchmarks/bench_gui.py [--quick]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from _common import (
    LOOPBACK,
    MIB,
    PYTHON,
    Row,
    big_temp_dir,
    blast_udp,
    bytecode_env,
    fmt_ms,
    format_table,
    make_random_file,
    median,
    not_measured,
    process,
    read_line_with,
    rss_mib,
    run_checked,
    say,
    stop_process,
)

STALL_TARGET = 0.050
RSS_TARGET_MIB = 300
STARTUP_TARGET = 1.0
#: A driver using more than this is stopped: the machine is shared, a runaway must not take it.
RSS_WATCHDOG_MIB = 3072
#: A TCP stream into the panel that takes longer than this is given up.
STREAM_LIMIT = 120.0
PROBE_INTERVAL_MS = 5


@dataclass(frozen=True, slots=True)
class Plan:
    datagrams: int  # through the receive panel (row 6 wants 1,000,000)
    batch: int  # datagrams per blaster run
    tcp_bytes: int  # streamed into the TCP client panel
    rounds: int
    startups: int


FULL = Plan(datagrams=1_000_000, batch=100_000, tcp_bytes=1024 * MIB, rounds=3, startups=5)
QUICK = Plan(datagrams=200_000, batch=100_000, tcp_bytes=32 * MIB, rounds=1, startups=3)


# == the driver: runs in the child process =====================================================


class _Driver:
    """The main window offscreen, a stall probe, and commands read from stdin, one per line.

    Commands and replies (replies are ``word key=value ...`` lines on stdout):
        panel NAME          -> ``panel kind=ClassName``
        mark                -> ``marked`` (the stall probe starts over)
        udp-listen          -> ``listening port=N`` (receive panel, 127.0.0.1, port 0, Start)
        count               -> ``count datagrams=N`` (the receiver's exact counter)
        log PANEL SPEC [graph] -> ``log framing=SPEC graph=0|1``: that panel's log frames TCP
                               streams with SPEC (net.framing) and shows its rate graph
        udp-stop            -> ``result datagrams=N label=N rows=N stall_ms=X rss_mib=X hwm_mib=X``
                               once the counter and its label have settled; then Stop
        tcp-connect PORT    -> ``connected`` (TCP client panel to 127.0.0.1:PORT), and later
                               ``finished bytes_in=N bytes_out=N stall_ms=X rss_mib=X hwm_mib=X``
                               when the connection has ended; meanwhile, once a second from a thread (so even while
                               the GUI thread is stuck): ``progress bytes_in=N stall_ms=X ...``
        send-file PATH      -> the panel's send_file(PATH); Disconnect once the file is sent
        file-serve PATH     -> ``serving port=N`` (file server panel sharing PATH on 127.0.0.1)
        file-stop           -> ``served stall_ms=X rss_mib=X hwm_mib=X``, then Stop
        quit                -> closes the window and exits
    Anything that goes wrong: ``failed <sentence>``.
    """

    def __init__(self) -> None:
        from PySide6.QtCore import QSocketNotifier, Qt, QTimer

        from gui.app import create_app

        self.app = create_app([sys.argv[0]])
        from gui.main_window import MainWindow

        self.window = MainWindow()
        self.window.show()
        self.panel: Any = None
        self.disconnect_after_file = False
        self._settle: list[tuple[int, int]] = []
        self._out_lock = threading.Lock()
        self._done = threading.Event()

        self.probe = QTimer()
        self.probe.setSingleShot(True)
        self.probe.setTimerType(Qt.TimerType.PreciseTimer)
        self.probe.setInterval(PROBE_INTERVAL_MS)
        self.probe.timeout.connect(self._tick)
        self.mark()
        self.probe.start()

        self._stdin = b""
        self.notifier = QSocketNotifier(0, QSocketNotifier.Type.Read)
        self.notifier.activated.connect(self._read_stdin)
        self.settle_timer = QTimer()
        self.settle_timer.setInterval(100)
        self.settle_timer.timeout.connect(self._settle_tick)
        QTimer.singleShot(0, lambda: self.reply("ready"))

    # -- plumbing ------------------------------------------------------------------------------

    def reply(self, text: str) -> None:
        with self._out_lock:
            sys.stdout.write(text.replace("\n", " ") + "\n")
            sys.stdout.flush()

    def _progress(self) -> None:
        """Once a second, from a thread of its own: so that a frozen GUI thread still reports."""
        while not self._done.wait(1.0):
            client = getattr(self.panel, "client", None)
            bytes_in = int(getattr(client, "bytes_in", 0))
            self.reply(
                f"progress bytes_in={bytes_in} stall_ms={self.stall_ms():.1f} {self._memory()}"
            )

    def mark(self) -> None:
        self.last = time.perf_counter()
        self.max_gap = 0.0

    def stall_ms(self) -> float:
        """The longest gap so far, counting the one in progress (we may be inside it now)."""
        return max(self.max_gap, time.perf_counter() - self.last) * 1000

    def _tick(self) -> None:
        now = time.perf_counter()
        self.max_gap = max(self.max_gap, now - self.last)
        self.last = now
        self.probe.start()

    def _memory(self) -> str:
        pid = os.getpid()
        return f"rss_mib={rss_mib(pid):.1f} hwm_mib={rss_mib(pid, peak=True):.1f}"

    def _read_stdin(self) -> None:
        chunk = os.read(0, 65536)
        if not chunk:
            self.quit()
            return
        self._stdin += chunk
        while b"\n" in self._stdin:
            line, _, self._stdin = self._stdin.partition(b"\n")
            try:
                self.command(line.decode().strip())
            except Exception as exc:  # report, keep running: the parent decides
                self.reply(f"failed {type(exc).__name__}: {exc}")

    def command(self, line: str) -> None:
        word, _, arg = line.partition(" ")
        if word == "panel":
            self.reply(f"panel kind={type(self.window.panel(arg)).__name__}")
        elif word == "log":
            name, spec, *graph = arg.split()
            log = self.window.show_panel(name).log
            log.set_framing(spec)
            log.show_graph(bool(graph))
            self.reply(f"log framing={log.framing.spec} graph={int(log.graph is not None)}")
        elif word == "mark":
            self.mark()
            self.reply("marked")
        elif word == "udp-listen":
            self.udp_listen()
        elif word == "count":
            self.reply(f"count datagrams={self.panel.receiver.stats.datagrams}")
        elif word == "udp-stop":
            self._settle = []
            self.settle_timer.start()
        elif word == "tcp-connect":
            self.tcp_connect(int(arg))
        elif word == "send-file":
            self.disconnect_after_file = True
            self.panel.send_file(arg)
        elif word == "file-serve":
            self.file_serve(arg)
        elif word == "file-stop":
            self.reply(f"served stall_ms={self.stall_ms():.1f} {self._memory()}")
            self._button("stopButton").click()
        elif word == "quit":
            self.quit()
        else:
            self.reply(f"failed unknown command {word!r}")

    def quit(self) -> None:
        self._done.set()
        self.notifier.setEnabled(False)
        self.window.close()
        self.app.quit()

    def _button(self, name: str) -> Any:
        from PySide6.QtWidgets import QPushButton

        button = self.panel.findChild(QPushButton, name)
        if button is None:
            raise RuntimeError(f"{self.panel.objectName()} has no {name}")
        return button

    # -- UDP receive panel ---------------------------------------------------------------------

    def udp_listen(self) -> None:
        self.panel = self.window.show_panel("udpReceivePanel")
        self.panel.bind.set_address(LOOPBACK)
        self.panel.port.set_text("0")
        self.panel.runner.opened.connect(
            lambda receiver: self.reply(f"listening port={receiver.port}")
        )
        self.panel.runner.failed.connect(lambda message: self.reply(f"failed {message}"))
        self._button("startButton").click()

    def _settle_tick(self) -> None:
        """Report once the exact counter and the visible label agree and stopped moving."""
        exact = int(self.panel.receiver.stats.datagrams)
        match = re.search(r"([\d,]+) datagram", self.panel.counters.text())
        shown = int(match.group(1).replace(",", "")) if match else -1
        self._settle.append((exact, shown))
        recent = self._settle[-5:]
        settled = len(recent) == 5 and len(set(recent)) == 1 and exact == shown
        if settled or len(self._settle) > 150:
            self.settle_timer.stop()
            stall = self.stall_ms()
            rows = self.panel.log.model.rowCount()
            self.reply(
                f"result datagrams={exact} label={shown} rows={rows} stall_ms={stall:.1f} "
                f"{self._memory()}"
            )
            self._button("stopButton").click()

    # -- file server panel ---------------------------------------------------------------------

    def file_serve(self, path: str) -> None:
        """Share ``path`` on 127.0.0.1 and start; replies ``serving port=N``.

        The panel was not written when this was; it goes by the design's names (shareList,
        startButton, hostEdit, portEdit) and tries the likely ways to add a file.
        """
        from PySide6.QtCore import QTimer

        self.panel = self.window.show_panel("fileServerPanel")
        for method in ("add_paths", "add_files", "share_paths"):
            adder = getattr(self.panel, method, None)
            if callable(adder):
                adder([path])
                break
        else:
            adder = getattr(self.panel, "add_file", None) or getattr(self.panel, "add_path", None)
            if not callable(adder):
                raise RuntimeError("the file server panel has no add_paths/add_files/add_file")
            adder(path)
        for name, value in (("bind", LOOPBACK), ("host", LOOPBACK)):
            field = getattr(self.panel, name, None)
            setter = getattr(field, "set_address", None) or getattr(field, "set_text", None)
            if callable(setter):
                setter(value)
                break
        port_field = getattr(self.panel, "port", None)
        if port_field is not None and hasattr(port_field, "set_text"):
            port_field.set_text("0")
        self._button("startButton").click()
        deadline = time.monotonic() + 10

        def wait_for_port() -> None:
            server = getattr(self.panel, "server", None)
            runner = getattr(self.panel, "runner", None)
            server = server or getattr(runner, "loop", None)
            port = getattr(server, "port", None)
            if port:
                self.mark()
                self.reply(f"serving port={port}")
            elif time.monotonic() > deadline:
                self.reply("failed the file server panel did not start within 10 s")
            else:
                QTimer.singleShot(50, wait_for_port)

        wait_for_port()

    # -- TCP client panel ----------------------------------------------------------------------

    def tcp_connect(self, port: int) -> None:
        self.panel = self.window.show_panel("tcpClientPanel")
        self.panel.host.set_text(LOOPBACK)
        self.panel.port.set_text(str(port))
        self.panel.runner.events.connect(self._tcp_events)
        self.panel.runner.failed.connect(lambda message: self.reply(f"failed {message}"))
        self.panel.runner.finished.connect(self._tcp_finished)
        self.mark()
        threading.Thread(target=self._progress, daemon=True).start()
        self._button("connectButton").click()

    def _tcp_events(self, events: list[Any]) -> None:
        for event in events:
            kind = type(event).__name__
            if kind == "Connected":
                self.reply("connected")
            elif kind == "FileSent" and self.disconnect_after_file:
                self._button("disconnectButton").click()

    def _tcp_finished(self) -> None:
        client = self.panel.client
        bytes_in = int(getattr(client, "bytes_in", 0))
        bytes_out = int(getattr(client, "bytes_out", 0))
        log = self.panel.log
        rows = sum(1 for r in range(log.model.rowCount()) if log.model.row_direction(r) == "in")
        self.reply(
            f"finished bytes_in={bytes_in} bytes_out={bytes_out} rows={rows} "
            f"skipped={log.framing.skipped} stall_ms={self.stall_ms():.1f} {self._memory()}"
        )


def _drive() -> int:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    driver = _Driver()
    return int(driver.app.exec())


# == the parent's side =========================================================================


def parse_fields(line: str) -> dict[str, str]:
    """``word a=1 b=2`` -> {"a": "1", "b": "2"}."""
    return dict(part.split("=", 1) for part in line.split()[1:] if "=" in part)


class GuiDriver:
    """The main window in a child process (offscreen, its own settings folder), driven by lines."""

    def __init__(self) -> None:
        self._stack = contextlib.ExitStack()
        self.progress: dict[str, str] = {}  # the latest "progress" line's fields
        home = Path(self._stack.enter_context(tempfile.TemporaryDirectory(prefix="swb-gui-")))
        self._stderr = self._stack.enter_context(tempfile.TemporaryFile())  # noqa: SIM115 (closed by the stack)
        env = {
            "QT_QPA_PLATFORM": "offscreen",
            "XDG_CONFIG_HOME": str(home / "config"),
            "XDG_DATA_HOME": str(home / "data"),
            "SWB_DATA_DIR": str(home / "swb"),
        }
        self.proc = self._stack.enter_context(
            process(
                [PYTHON, str(Path(__file__).resolve()), "--driver"],
                env=env,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=self._stderr,
            )
        )
        try:
            self.expect("ready", 60)
        except BaseException:
            self.close()
            raise

    def __enter__(self) -> GuiDriver:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def send(self, line: str) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(line.encode() + b"\n")
        self.proc.stdin.flush()

    def expect(self, word: str, timeout: float) -> dict[str, str]:
        """Wait for the reply line that starts with ``word``; its key=value fields."""

        def watchdog() -> None:
            try:
                used = rss_mib(self.proc.pid)
            except (OSError, RuntimeError):  # it has just exited: the read will tell
                return
            if used > RSS_WATCHDOG_MIB:
                stop_process(self.proc)
                raise RuntimeError(f"the GUI used more than {RSS_WATCHDOG_MIB} MiB; stopped")

        deadline = time.monotonic() + timeout
        while True:
            try:
                left = max(0.0, deadline - time.monotonic())
                line = read_line_with(self.proc, "", left, on_wait=watchdog)
            except RuntimeError as exc:
                why = str(exc)
                if time.monotonic() >= deadline:
                    why = f"no {word!r} reply within {timeout:g} s"
                raise RuntimeError(f"GUI driver: {why}{self._stderr_tail()}") from None
            if line.startswith("failed"):
                raise RuntimeError(f"GUI driver: {line[7:]}")
            if line.startswith("progress"):
                self.progress = parse_fields(line)
            if line.split(" ", 1)[0] == word:
                return parse_fields(line)

    def command(self, line: str, word: str, timeout: float = 30.0) -> dict[str, str]:
        self.send(line)
        return self.expect(word, timeout)

    @property
    def pid(self) -> int:
        return self.proc.pid

    def _stderr_tail(self) -> str:
        self._stderr.seek(0)
        text = self._stderr.read().decode(errors="replace")
        lines = [line for line in text.strip().splitlines() if not line.startswith("qt.")]
        return f" (stderr: {' / '.join(lines[-3:])})" if lines else ""

    def close(self) -> None:
        if self.proc.poll() is None:
            with contextlib.suppress(OSError):
                self.send("quit")
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.proc.wait(10)
        self._stack.close()


# -- row 4 (used by bench_udp): datagrams captured by the receive panel -----------------------


def udp_capture(count: int, sender: Any) -> tuple[int, int]:
    """Flood the receive panel with ``sender(port, count)``; (sent, counted by the panel)."""
    with GuiDriver() as gui:
        port = int(gui.command("udp-listen", "listening")["port"])
        sent = int(sender(port, count))
        result = gui.command("udp-stop", "result", timeout=60)
    return sent, int(result["label"])


# -- rows 5 and 6: the UDP flood ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FloodResult:
    sent: int
    counted: int
    stall: float
    rss: float
    peak: float


def udp_flood(total: int, batch: int, graph: bool = False) -> FloodResult:
    """Blast batches into the receive panel until it has counted ``total`` datagrams (with
    ``graph``, the log frames by lines and shows its rate graph)."""
    with GuiDriver() as gui:
        if graph:
            gui.command("log udpReceivePanel line graph", "log")
        port = int(gui.command("udp-listen", "listening")["port"])
        gui.command("mark", "marked")
        sent = counted = 0
        for _ in range(3 * total // batch + 1):  # bounded even if most are dropped
            sent += blast_udp(port, batch)
            counted = int(gui.command("count", "count")["datagrams"])
            if counted >= total:
                break
        result = gui.command("udp-stop", "result", timeout=60)
    return FloodResult(
        sent,
        int(result["datagrams"]),
        float(result["stall_ms"]) / 1000,
        float(result["rss_mib"]),
        float(result["hwm_mib"]),
    )


# -- row 5: a TCP stream into the TCP client panel --------------------------------------------

TCP_STREAMER = """\
import os, socket, sys
total = int(sys.argv[1])
server = socket.create_server(("127.0.0.1", 0))
print(server.getsockname()[1], flush=True)
server.settimeout(60)
conn, _ = server.accept()
# "lines": 64-byte lines (a line protocol); otherwise random bytes.
lines = len(sys.argv) > 2 and sys.argv[2] == "lines"
block = b"%063d\\n" * 16384 % tuple(range(16384)) if lines else os.urandom(1 << 20)
left = total
while left > 0:
    conn.sendall(block[: min(left, len(block))])
    left -= len(block)
conn.close()
"""


@dataclass(frozen=True, slots=True)
class StreamResult:
    finished: bool  # False: given up (too slow, or too much memory); ``why`` says which
    stall: float
    bytes_in: int
    seconds: float
    peak: float
    why: str = ""
    rows: int = 0  # "in" rows the log holds at the end
    skipped: int = 0  # stream bytes the log's framing skipped (it fell behind)


def tcp_stream_into_panel(size: int, framing: str = "") -> StreamResult:
    """A Python server streams ``size`` bytes to the TCP client panel and closes; with
    ``framing`` the stream is 64-byte lines, the log frames them so and shows its rate graph."""
    streamer = [PYTHON, "-c", TCP_STREAMER, str(size), "lines" if framing else "random"]
    with (
        process(streamer, stdout=subprocess.PIPE) as sender,
        GuiDriver() as gui,
    ):
        port = int(read_line_with(sender, "", 10).strip())
        if framing:
            gui.command(f"log tcpClientPanel {framing} graph", "log")
        started = time.perf_counter()
        gui.command(f"tcp-connect {port}", "connected")
        try:
            result = gui.expect("finished", STREAM_LIMIT)
        except RuntimeError as exc:
            seconds = time.perf_counter() - started
            last = gui.progress
            return StreamResult(
                False,
                float(last.get("stall_ms", "nan")) / 1000,
                int(last.get("bytes_in", 0)),
                seconds,
                float(last.get("hwm_mib", "nan")),
                str(exc).removeprefix("GUI driver: "),
            )
        seconds = time.perf_counter() - started
    return StreamResult(
        True,
        float(result["stall_ms"]) / 1000,
        int(result["bytes_in"]),
        seconds,
        float(result["hwm_mib"]),
        rows=int(result.get("rows", 0)),
        skipped=int(result.get("skipped", 0)),
    )


def download_from_panel(size: int) -> tuple[float, float]:
    """curl downloads a ``size``-byte file from the file server panel; (stall s, seconds)."""
    with big_temp_dir("gui-share", memory=True) as folder, GuiDriver() as gui:
        path = folder / "payload.bin"
        make_random_file(path, size)
        port = int(gui.command(f"file-serve {path}", "serving")["port"])
        url = f"http://{LOOPBACK}:{port}/payload.bin"
        started = time.perf_counter()
        run_checked(["curl", "-sS", "-o", os.devnull, url], timeout=STREAM_LIMIT)
        seconds = time.perf_counter() - started
        result = gui.command("file-stop", "served", timeout=60)
    return float(result["stall_ms"]) / 1000, seconds


def file_server_panel_built() -> bool:
    with GuiDriver() as gui:
        kind = gui.command("panel fileServerPanel", "panel")["kind"]
    return kind != "ComingSoonPanel"


# -- row 7: start-up ---------------------------------------------------------------------------

FIRST_PAINT = """\
import sys, time
from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QWidget
from gui.app import create_app

app = create_app(sys.argv)
from gui.main_window import MainWindow

window = MainWindow()


class FirstPaint(QObject):
    seen = False

    def eventFilter(self, watched, event):
        if (
            not self.seen
            and event.type() == QEvent.Type.Paint
            and isinstance(watched, QWidget)
            and watched.window() is window
        ):
            self.seen = True
            print(f"painted {time.time():.6f}", flush=True)
            QTimer.singleShot(0, app.quit)
        return False


first_paint = FirstPaint()
app.installEventFilter(first_paint)
window.show()
QTimer.singleShot(30_000, app.quit)
sys.exit(app.exec())
"""


def startup_once() -> float:
    """Seconds from launching the process to the first paint of the main window."""
    with tempfile.TemporaryDirectory(prefix="swb-gui-") as home:
        env = {**bytecode_env(), "QT_QPA_PLATFORM": "offscreen", "XDG_CONFIG_HOME": home}
        launched = time.time()
        done = subprocess.run(
            [PYTHON, "-c", FIRST_PAINT],
            capture_output=True,
            env=env,
            timeout=60,
            check=False,
        )
    match = re.search(rb"painted ([\d.]+)", done.stdout)
    if not match:
        tail = done.stderr.decode(errors="replace").strip().splitlines()[-2:]
        raise RuntimeError(f"the window never painted: {' / '.join(tail)}")
    return float(match.group(1)) - launched


# -- the rows ----------------------------------------------------------------------------------


STALL_TEXT = f"< {STALL_TARGET * 1000:.0f} ms"


def _size_text(size: int) -> str:
    return "1 GiB" if size == 1024 * MIB else f"{size // MIB} MiB"


def flood_rows(plan: Plan) -> list[Row]:
    """Rows 5 (UDP) and 6: a flood through the receive panel."""
    say(f"gui: {plan.datagrams:,} datagrams into the receive panel, x{plan.rounds}")
    floods = []
    for index in range(plan.rounds):
        flood = udp_flood(plan.datagrams, plan.batch)
        say(
            f"  round {index + 1}: {flood.counted:,} of {flood.sent:,} counted, "
            f"stall {fmt_ms(flood.stall)}, RSS {flood.rss:.0f} MiB (peak {flood.peak:.0f})"
        )
        floods.append(flood)
    stall = median([f.stall for f in floods])
    rss = median([f.rss for f in floods])
    return [
        Row(
            "5. GUI stall: UDP flood into the receive panel",
            f"max {fmt_ms(stall)}",
            target=STALL_TEXT,
            met=stall < STALL_TARGET,
            note=f"{median([f.counted for f in floods]):,.0f} datagrams",
        ),
        Row(
            f"6. GUI RSS after {plan.datagrams:,} datagrams",
            f"{rss:.0f} MiB",
            target=f"< {RSS_TARGET_MIB} MiB",
            met=rss < RSS_TARGET_MIB,
            note=f"peak {median([f.peak for f in floods]):.0f} MiB",
        ),
    ]


def flood_graph_rows(plan: Plan) -> list[Row]:
    """Row 5 again, with the log's framing and rate graph on (issue 16: they must stay cheap)."""
    say(f"gui: {plan.datagrams:,} datagrams into the receive panel, framing and graph on")
    flood = udp_flood(plan.datagrams, plan.batch, graph=True)
    say(f"  {flood.counted:,} of {flood.sent:,} counted, stall {fmt_ms(flood.stall)}")
    return [
        Row(
            "5. GUI stall: UDP flood, log framing and rate graph on",
            f"max {fmt_ms(flood.stall)}",
            target=STALL_TEXT,
            met=flood.stall < STALL_TARGET,
            note=f"{flood.counted:,} datagrams, RSS {flood.rss:.0f} MiB",
        )
    ]


def tcp_framing_rows(plan: Plan) -> list[Row]:
    """Row 5 for issue 16: 64-byte lines into the TCP client panel, line framing and graph on;
    the net counter must count every byte."""
    size_text = _size_text(plan.tcp_bytes)
    say(f"gui: {size_text} of 64-byte lines into the TCP client panel, line framing")
    stream = tcp_stream_into_panel(plan.tcp_bytes, framing="line")
    say(
        f"  {stream.bytes_in:,} bytes in {stream.seconds:.1f} s, {stream.rows:,} rows, "
        f"{stream.skipped:,} bytes not framed, stall {fmt_ms(stream.stall)} {stream.why}"
    )
    exact = stream.finished and stream.bytes_in == plan.tcp_bytes
    return [
        Row(
            f"5. GUI stall: {size_text} of 64-byte lines, line framing, TCP client panel",
            f"max {fmt_ms(stream.stall)}" if stream.finished else f"gave up: {stream.why}",
            target=f"{STALL_TEXT}, counters exact",
            met=exact and stream.stall < STALL_TARGET,
            note=f"{stream.seconds:.1f} s, {stream.rows:,} line rows kept, "
            f"{stream.skipped / MIB:,.0f} MiB not framed (the window fell behind)",
        )
    ]


def file_panel_rows(plan: Plan) -> list[Row]:
    """Row 5: curl downloads a file shared by the file server panel."""
    size_text = _size_text(plan.tcp_bytes)
    label = f"5. GUI stall: {size_text} download shown in the file server panel"
    if not file_server_panel_built():
        return [not_measured(label, "panel not built yet", STALL_TEXT)]
    say(f"gui: curl downloads {size_text} from the file server panel, x{plan.rounds}")
    downloads = []
    for index in range(plan.rounds):
        stall_s, seconds = download_from_panel(plan.tcp_bytes)
        say(f"  round {index + 1}: {seconds:.2f} s, stall {fmt_ms(stall_s)}")
        downloads.append((stall_s, seconds))
    stall = median([d[0] for d in downloads])
    return [
        Row(
            label,
            f"max {fmt_ms(stall)}",
            target=STALL_TEXT,
            met=stall < STALL_TARGET,
            note=f"{median([d[1] for d in downloads]):.1f} s",
        )
    ]


def tcp_panel_rows(plan: Plan) -> list[Row]:
    """Row 5: a TCP stream into the TCP client panel."""
    size_text = _size_text(plan.tcp_bytes)
    say(f"gui: {size_text} into the TCP client panel, x{plan.rounds}")
    streams: list[StreamResult] = []
    for index in range(plan.rounds):
        stream = tcp_stream_into_panel(plan.tcp_bytes)
        say(
            f"  round {index + 1}: {stream.bytes_in:,} bytes in {stream.seconds:.1f} s, "
            f"stall {fmt_ms(stream.stall)}, peak RSS {stream.peak:.0f} MiB {stream.why}"
        )
        streams.append(stream)
        if not stream.finished:
            break  # a bound was hit: more rounds would only hit it again
    label = f"5. GUI stall: TCP client panel receiving {size_text}"
    if all(s.finished and s.bytes_in == plan.tcp_bytes for s in streams):
        stall = median([s.stall for s in streams])
        return [
            Row(
                label,
                f"max {fmt_ms(stall)}",
                target=STALL_TEXT,
                met=stall < STALL_TARGET,
                note=f"{median([s.seconds for s in streams]):.1f} s, "
                f"peak RSS {median([s.peak for s in streams]):.0f} MiB",
            )
        ]
    last = streams[-1]
    return [
        Row(
            label,
            f"gave up after {last.seconds:.0f} s ({last.bytes_in / MIB:,.0f} MiB received), "
            f"stall >= {fmt_ms(last.stall)}, peak RSS {last.peak:,.0f} MiB",
            target=STALL_TEXT,
            met=False,
            note=last.why,
        )
    ]


def startup_rows(plan: Plan) -> list[Row]:
    """Row 7: launch to first paint, warm cache."""
    say(f"gui: start-up to first paint, 1 warm-up + {plan.startups}")
    startup_once()
    times = [startup_once() for _ in range(plan.startups)]
    say("  " + ", ".join(fmt_ms(t) for t in times))
    return [
        Row(
            f"7. start-up to first paint (median of {plan.startups})",
            fmt_ms(median(times)),
            target=f"< {STARTUP_TARGET:g} s",
            met=median(times) < STARTUP_TARGET,
        )
    ]


def run(quick: bool = False) -> list[Row]:
    plan = QUICK if quick else FULL
    rows: list[Row] = []
    sections = {
        "5-6. UDP flood into the receive panel": flood_rows,
        "5. file server panel": file_panel_rows,
        "5. TCP client panel receiving": tcp_panel_rows,
        "5. UDP flood, framing and graph on": flood_graph_rows,
        "5. TCP client panel, line framing": tcp_framing_rows,
        "7. start-up": startup_rows,
    }
    for title, section in sections.items():
        try:
            rows += section(plan)
        except Exception as exc:  # one broken section must not hide the others
            say(f"gui: {title} failed: {exc}")
            rows.append(not_measured(title, f"error: {exc}"[:200]))
    return sorted(rows, key=_row_number)  # stable: the sections' own order within a number


def _row_number(row: Row) -> int:
    match = re.match(r"\d+", row.benchmark)
    return int(match.group()) if match else 99


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, a smoke run")
    parser.add_argument("--driver", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.driver:
        return _drive()
    print(format_table(run(quick=args.quick)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
