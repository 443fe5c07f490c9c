"""Issue 22, row 9: how fast ``swb`` and the window start, against the interpreter's own start.

Each command is a whole process, timed from launch to exit, alternated with ``python -c pass`` run
by the same interpreter (the order rotates every round); the median of the rounds is compared.
``swb`` is the console script pip installs beside the interpreter (``python -m net`` if there is
none). Bytecode is cached, as in an installed copy: the children may write it (into
benchmarks/out/pycache, not the source tree), and one warm-up round runs before the measured ones.

- ``swb udp-send`` of 5 bytes to a UDP socket of this process;
- ``swb tcp-send`` of 5 bytes to a TCP listener of this process, which reads until the client
  closes;
- ``swb get`` of a 1 MiB file from ``python -m http.server``'s handler in a thread of this process
  (the file is checked, then deleted, after every run);
- ``swb --version``;
- the window's launch to first paint (bench_gui's measurement, median of the same rounds).

The machine this was written on is shared: when other jobs load it, wall times swing by several
times from one round to the next. So every row also gives the ratio of CPU time (user + system of
the child, from rusage), which load moves much less; ``met`` follows the wall-time ratio the
targets are written in.

    python benchmarks/bench_startup.py [--quick]
"""

from __future__ import annotations

import contextlib
import functools
import http.server
import resource
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

from _common import (
    LOOPBACK,
    MIB,
    PYTHON,
    Row,
    alternate,
    big_temp_dir,
    bytecode_env,
    fmt_ms,
    make_random_file,
    median,
    quick_main,
    say,
    sha256_file,
)

FULL_ROUNDS = 7
QUICK_ROUNDS = 3
#: Targets: the command's wall time at most this many times that of ``python -c pass``.
SOCKET_TARGET = 2.0
GET_TARGET = 2.5
VERSION_TARGET = 1.5
#: The window's launch to first paint, median (seconds).
PAINT_TARGET = 0.35
GET_SIZE = MIB
FILE_NAME = "one.bin"
PASS = "python -c pass"


def swb_command() -> list[str]:
    """How a user starts swb: the console script next to this interpreter, else ``-m net``."""
    script = Path(PYTHON).with_name("swb")
    return [str(script)] if script.is_file() else [PYTHON, "-m", "net"]


def timed(args: Sequence[str], cpu: list[float], check: Callable[[], None] | None = None) -> float:
    """Wall time of one whole process that must exit 0; its CPU time is appended to ``cpu``, and
    ``check`` then looks at its work."""
    before = child_cpu()
    started = time.perf_counter()
    done = subprocess.run(args, capture_output=True, env=bytecode_env(), timeout=60, check=False)
    seconds = time.perf_counter() - started
    cpu.append(child_cpu() - before)
    if done.returncode != 0:
        tail = done.stderr.decode(errors="replace").strip()[-300:]
        raise RuntimeError(f"{' '.join(args[:3])} exited with {done.returncode}: {tail}")
    if check is not None:
        check()
    return seconds


@contextlib.contextmanager
def udp_peer() -> Iterator[tuple[int, Callable[[], None]]]:
    """A UDP socket; yields its port and a check that one datagram of 5 bytes arrived."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind((LOOPBACK, 0))
        sock.settimeout(5)

        def received() -> None:
            if sock.recv(100) != b"hello":
                raise RuntimeError("the UDP peer got something else than 'hello'")

        yield sock.getsockname()[1], received


@contextlib.contextmanager
def tcp_peer() -> Iterator[int]:
    """A TCP listener that reads every client until it closes (one at a time); yields its port."""
    listener = socket.create_server((LOOPBACK, 0))
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except OSError:
                return  # closed: the benchmark is over
            with conn:
                conn.settimeout(5)
                with contextlib.suppress(OSError):
                    while conn.recv(65536):
                        pass

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[1]
    finally:
        stop.set()
        listener.close()
        thread.join(5)


@contextlib.contextmanager
def http_peer(root: Path) -> Iterator[int]:
    """``http.server``'s handler serving ``root`` from a thread; yields its port."""
    handler = functools.partial(_QuietHandler, directory=str(root))
    server = http.server.ThreadingHTTPServer((LOOPBACK, 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


def ratio_row(
    name: str,
    times: dict[str, list[float]],
    cpu: dict[str, list[float]],
    trial: str,
    target: float,
    note: str = "",
) -> Row:
    """A row comparing ``trial``'s median with python -c pass's: met when at most ``target``x."""
    ours, base = median(times[trial]), median(times[PASS])
    slower = ours / base
    cpu_slower = median(cpu[trial]) / median(cpu[PASS])
    return Row(
        name,
        fmt_ms(ours),
        f"{PASS} {fmt_ms(base)}",
        base / ours,  # higher is better, like every ratio of the table
        f"<= {target:g}x the time of {PASS}",
        slower <= target,
        note=f"{slower:.2f}x the wall time, {cpu_slower:.2f}x the CPU time"
        + (f"; {note}" if note else ""),
    )


def cli_rows(rounds: int) -> list[Row]:
    swb = swb_command()
    with (
        udp_peer() as (udp_port, udp_received),
        tcp_peer() as tcp_port,
        big_temp_dir("startup-src") as src,
        big_temp_dir("startup-dst", memory=True) as dst,
    ):
        digest = make_random_file(src / FILE_NAME, GET_SIZE)
        target = dst / FILE_NAME

        def downloaded() -> None:
            intact = sha256_file(target) == digest
            target.unlink()
            if not intact:
                raise RuntimeError("swb get wrote a file with the wrong SHA-256")

        with http_peer(src) as http_port:
            url = f"http://{LOOPBACK}:{http_port}/{FILE_NAME}"
            commands = {
                PASS: ([PYTHON, "-c", "pass"], None),
                "udp-send": ([*swb, "udp-send", LOOPBACK, str(udp_port), "hello"], udp_received),
                "tcp-send": ([*swb, "tcp-send", LOOPBACK, str(tcp_port), "hello"], None),
                "get": ([*swb, "get", url, "-o", str(dst), "--quiet"], downloaded),
                "--version": ([*swb, "--version"], None),
            }
            cpu: dict[str, list[float]] = {name: [] for name in commands}
            trials = {
                name: functools.partial(timed, args, cpu[name], check)
                for name, (args, check) in commands.items()
            }
            for trial in trials.values():  # warm-up: bytecode, page cache
                trial()
            for warm_up in cpu.values():
                warm_up.clear()
            say(f"startup: {', '.join(trials)}, x{rounds}")
            times = alternate(trials, rounds, log=say, show=fmt_ms)
    swb_shown = "swb" if len(swb) == 1 else "python -m net"
    rows = [
        (f"`{swb_shown} udp-send` to a local UDP socket", "udp-send", SOCKET_TARGET, ""),
        ("`swb tcp-send` to a local TCP listener", "tcp-send", SOCKET_TARGET, ""),
        ("`swb get` of 1 MiB from a local HTTP server", "get", GET_TARGET, "hashed, fsynced"),
        ("`swb --version`", "--version", VERSION_TARGET, ""),
    ]
    return [
        ratio_row(f"9. start-up: {label}", times, cpu, trial, target, note)
        for label, trial, target, note in rows
    ]


def paint_rows(rounds: int) -> list[Row]:
    """The window's launch to first paint (bench_gui's probe), with cached bytecode."""
    from bench_gui import startup_once

    say(f"startup: the window to first paint, 1 warm-up + {rounds}")
    startup_once()
    times: list[float] = []
    cpu: list[float] = []
    for _ in range(rounds):
        before = child_cpu()
        times.append(startup_once())
        cpu.append(child_cpu() - before)  # the child quits right after its first paint
    say("  " + ", ".join(fmt_ms(t) for t in times))
    paint = median(times)
    return [
        Row(
            f"9. start-up: the window, launch to first paint (median of {rounds})",
            fmt_ms(paint),
            target=f"< {PAINT_TARGET * 1000:.0f} ms",
            met=paint < PAINT_TARGET,
            note=f"CPU time of the whole process {fmt_ms(median(cpu))}",
        )
    ]


def child_cpu() -> float:
    """User + system seconds of every child this process has waited for so far."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run(quick: bool = False) -> list[Row]:
    rounds = QUICK_ROUNDS if quick else FULL_ROUNDS
    rows: list[Row] = []
    for section in (cli_rows, paint_rows):
        rows += section(rounds)
    return rows


def main(argv: list[str] | None = None) -> int:
    return quick_main(__doc__, run, "3 rounds instead of 7", argv)


if __name__ == "__main__":
    sys.exit(main())
