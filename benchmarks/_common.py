"""Shared pieces of the benchmark scripts: rows and tables, processes, ports, nginx, RSS, medians.

Every benchmark measures ours against a peer program in the same run, alternating the two, and
reports the median of several rounds: this machine is small and shared, so only ratios mean much.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import hashlib
import os
import platform
import pwd
import selectors
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
import weakref
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO

__all__ = [
    "BENCH_DIR",
    "LOOPBACK",
    "MIB",
    "OUT_DIR",
    "PYTHON",
    "REPO",
    "Row",
    "alternate",
    "big_temp_dir",
    "bytecode_env",
    "environment_lines",
    "fmt_mib_s",
    "fmt_ms",
    "format_table",
    "free_port",
    "make_random_file",
    "median",
    "nginx",
    "process",
    "quick_main",
    "read_line_with",
    "rss_mib",
    "run_checked",
    "sha256_file",
    "stop_process",
    "swb_serve",
    "wait_for_port",
]

BENCH_DIR = Path(__file__).resolve().parent
REPO = BENCH_DIR.parent
OUT_DIR = BENCH_DIR / "out"
PYTHON = sys.executable
LOOPBACK = "127.0.0.1"
MIB = 1024 * 1024


# -- rows and tables ---------------------------------------------------------------------------


@dataclass(slots=True)
class Row:
    """One line of the results table.

    ``ours`` and ``peer`` are display strings with units; ``ratio`` is ours relative to the peer,
    oriented so that higher is better (None when there is no peer); ``met`` is None when the row
    could not be measured (``note`` says why) or has no target.
    """

    benchmark: str
    ours: str
    peer: str = "—"
    ratio: float | None = None
    target: str = "—"
    met: bool | None = None
    note: str = ""

    def cells(self) -> list[str]:
        ratio = "—" if self.ratio is None else f"{self.ratio:.2f}x"
        met = {True: "yes", False: "**NO**", None: "—"}[self.met]
        ours = self.ours if not self.note else f"{self.ours} ({self.note})"
        return [self.benchmark, ours, self.peer, ratio, self.target, met]


def not_measured(benchmark: str, why: str, target: str = "—") -> Row:
    """A row saying why a benchmark could not run (a missing panel, a failed peer, ...)."""
    return Row(benchmark, f"n/a: {why}", target=target)


HEADER = ["benchmark", "ours", "peer", "ratio", "target", "met"]


def format_table(rows: Sequence[Row]) -> str:
    """A Markdown table of the rows, columns padded so that it also reads well in a terminal."""
    body = [row.cells() for row in rows]
    widths = [max(len(line[i]) for line in [HEADER, *body]) for i in range(len(HEADER))]

    def line(cells: Sequence[str]) -> str:
        return "| " + " | ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)) + " |"

    rule = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    return "\n".join([line(HEADER), rule, *(line(cells) for cells in body)])


def cpu_model() -> str:
    try:
        for text in Path("/proc/cpuinfo").read_text().splitlines():
            if text.startswith("model name"):
                return text.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def environment_lines() -> list[str]:
    """Date, CPU model and core count: the context every table is printed with."""
    now = datetime.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z")
    cores = os.cpu_count() or 0
    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    return [
        f"Date: {now}",
        f"CPU: {cpu_model()}, {cores} cores; Python {platform.python_version()}; "
        f"{platform.system()} {platform.release()}",
        f"Load average (1, 5, 15 min) at the end: {load} (other jobs share this machine)",
    ]


def fmt_mib_s(bytes_per_second: float) -> str:
    return f"{bytes_per_second / MIB:,.0f} MiB/s"


def fmt_ms(seconds: float) -> str:
    return f"{seconds * 1000:,.1f} ms"


# -- measuring ---------------------------------------------------------------------------------


def median(values: Sequence[float]) -> float:
    return float(statistics.median(values))


def alternate(
    trials: dict[str, Callable[[], float]],
    rounds: int,
    *,
    log: Callable[[str], None] | None = None,
    show: Callable[[float], str] = "{:.4g}".format,
) -> dict[str, list[float]]:
    """Run every trial once per round, rotating the order each round; return each one's results.

    Rotation spreads slow phases of a shared machine (another job, a cold cache) over all of them.
    """
    names = list(trials)
    results: dict[str, list[float]] = {name: [] for name in names}
    for index in range(rounds):
        shift = index % len(names)
        for name in names[shift:] + names[:shift]:
            value = trials[name]()
            results[name].append(value)
            if log is not None:
                log(f"  round {index + 1}/{rounds} {name}: {show(value)}")
    return results


def bytecode_env() -> dict[str, str]:
    """The environment for a child whose start-up is measured: bytecode cached, as in an installed
    copy (pip compiles it), even when PYTHONDONTWRITEBYTECODE is set here; the cache goes under
    benchmarks/out/pycache, not into the source tree."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = str(OUT_DIR / "pycache")
    return env


def say(message: str) -> None:
    """Progress for the person waiting; stderr, so that stdout stays the table."""
    print(message, file=sys.stderr, flush=True)


# -- files -------------------------------------------------------------------------------------


@contextlib.contextmanager
def big_temp_dir(prefix: str, *, memory: bool = False) -> Iterator[Path]:
    """A temporary folder, deleted afterwards; ``memory`` puts it on /dev/shm when there is one."""
    base = "/dev/shm" if memory and os.path.isdir("/dev/shm") else None
    path = Path(tempfile.mkdtemp(prefix=f"swb-bench-{prefix}-", dir=base))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def make_random_file(path: Path, size: int) -> str:
    """Write ``size`` random bytes to ``path``; return their SHA-256 hex digest.

    A 4 MiB random block is reused with a changing 8-byte counter, so that no two blocks are equal
    (a server that dedups or a bug that repeats a block would show) without paying for GiBs of
    urandom.
    """
    block = bytearray(os.urandom(4 * MIB))
    digest = hashlib.sha256()
    with open(path, "wb") as out:
        written = 0
        counter = 0
        while written < size:
            block[:8] = counter.to_bytes(8, "little")
            chunk = memoryview(block)[: min(len(block), size - written)]
            out.write(chunk)
            digest.update(chunk)
            written += len(chunk)
            counter += 1
    return digest.hexdigest()


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as source:
        while chunk := source.read(1 * MIB):
            digest.update(chunk)
    return digest.hexdigest()


# -- ports and processes -----------------------------------------------------------------------


def free_port(kind: int = socket.SOCK_STREAM) -> int:
    """A port that was free on 127.0.0.1 a moment ago (for programs that cannot take port 0)."""
    with socket.socket(socket.AF_INET, kind) as probe:
        probe.bind((LOOPBACK, 0))
        return int(probe.getsockname()[1])


def wait_for_port(
    port: int, timeout: float = 10.0, proc: subprocess.Popen[bytes] | None = None
) -> None:
    """Wait until something accepts TCP connections on 127.0.0.1:port; raise if it never does."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(
                f"{_name(proc)} exited with status {proc.returncode} before listening"
            )
        with contextlib.suppress(OSError), socket.create_connection((LOOPBACK, port), 0.2):
            return
        time.sleep(0.02)
    raise RuntimeError(f"nothing listened on port {port} within {timeout:g} s")


def _name(proc: subprocess.Popen[bytes]) -> str:
    args = proc.args
    if isinstance(args, list | tuple):
        return " ".join(str(a) for a in args[:4])
    return str(args)


def stop_process(proc: subprocess.Popen[bytes], timeout: float = 5.0) -> int:
    """SIGTERM, then SIGKILL after ``timeout``; returns the exit status. Only our own child."""
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    return proc.returncode


@contextlib.contextmanager
def process(
    args: Sequence[str], *, env: dict[str, str] | None = None, **kw: object
) -> Iterator[subprocess.Popen[bytes]]:
    """Start a child process; stop it (TERM, then KILL) when the block ends, whatever happens."""
    full_env = {**os.environ, **(env or {})}
    proc: subprocess.Popen[bytes] = subprocess.Popen(  # type: ignore[call-overload]
        list(args), env=full_env, **kw
    )
    try:
        yield proc
    finally:
        stop_process(proc)
        for stream in (proc.stdin, proc.stdout, proc.stderr):
            if stream is not None:
                with contextlib.suppress(OSError):
                    stream.close()


@contextlib.contextmanager
def swb_serve(
    *paths: Path, options: Sequence[str] = (), stderr: int | IO[bytes] = subprocess.DEVNULL
) -> Iterator[tuple[int, subprocess.Popen[bytes]]]:
    """``swb serve --quiet OPTIONS PATHS`` on a free port of 127.0.0.1, once it accepts
    connections: (port, process); stopped when the block ends. Its stdout is dropped."""
    port = free_port()
    args = [PYTHON, "-m", "net", "serve", "-H", LOOPBACK, "-p", str(port), "--quiet", *options]
    with process([*args, *map(str, paths)], stdout=subprocess.DEVNULL, stderr=stderr) as proc:
        wait_for_port(port, proc=proc)
        yield port, proc


def run_checked(args: Sequence[str], *, timeout: float, env: dict[str, str] | None = None) -> str:
    """Run a command to completion within ``timeout``; its stdout, or RuntimeError with stderr."""
    done = subprocess.run(
        list(args),
        capture_output=True,
        timeout=timeout,
        env={**os.environ, **(env or {})},
        check=False,
    )
    if done.returncode != 0:
        tail = done.stderr.decode(errors="replace").strip().splitlines()[-3:]
        raise RuntimeError(f"{args[0]} exited with {done.returncode}: {' / '.join(tail)}")
    return done.stdout.decode(errors="replace")


def read_line_with(
    proc: subprocess.Popen[bytes],
    marker: str,
    timeout: float,
    *,
    stream: str = "stdout",
    on_wait: Callable[[], None] | None = None,
) -> str:
    """Read the child's stdout (or stderr) until a line contains ``marker``; return that line.

    ``on_wait`` runs about twice a second while waiting (a watchdog may raise from it).
    Lines before the marker are dropped; the pipe is read unbuffered, so nothing is lost after it.
    """
    pipe = proc.stdout if stream == "stdout" else proc.stderr
    assert pipe is not None
    deadline = time.monotonic() + timeout
    pending = _pending.setdefault(pipe, bytearray())
    with selectors.DefaultSelector() as sel:
        sel.register(pipe, selectors.EVENT_READ)
        while True:
            while b"\n" in pending:
                end = pending.index(b"\n")
                decoded = pending[:end].decode(errors="replace")
                del pending[: end + 1]
                if marker in decoded:
                    return decoded
            left = deadline - time.monotonic()
            if left <= 0:
                raise RuntimeError(f"{_name(proc)} did not print {marker!r} within {timeout:g} s")
            if on_wait is not None:
                on_wait()
            if not sel.select(min(left, 0.5)):
                continue
            chunk = os.read(pipe.fileno(), 65536)
            if not chunk:
                raise RuntimeError(f"{_name(proc)} ended before printing {marker!r}")
            pending += chunk


# Bytes read past a returned line, per pipe, for the next read_line_with on the same pipe.
_pending: weakref.WeakKeyDictionary[IO[bytes], bytearray] = weakref.WeakKeyDictionary()


def rss_mib(pid: int, *, peak: bool = False) -> float:
    """Resident memory of a process in MiB (VmRSS, or VmHWM, its high-water mark, with ``peak``)."""
    key = "VmHWM:" if peak else "VmRSS:"
    for text in Path(f"/proc/{pid}/status").read_text().splitlines():
        if text.startswith(key):
            return int(text.split()[1]) / 1024
    raise RuntimeError(f"no {key} for process {pid}")


class PeakRss:
    """Samples a process's resident memory every 20 ms while the ``with`` block runs.

    ``before`` is the RSS in MiB when the block starts, ``peak`` the highest sample (MiB). A
    sampler beats VmHWM here: the high-water mark would include the warm-up before the block.
    """

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.before = self.peak = 0.0
        self._done = threading.Event()
        self._sampler = threading.Thread(target=self._sample)

    def _sample(self) -> None:
        while not self._done.wait(0.02):
            with contextlib.suppress(OSError, RuntimeError):
                self.peak = max(self.peak, rss_mib(self.pid))

    def __enter__(self) -> PeakRss:
        self.before = self.peak = rss_mib(self.pid)
        self._sampler.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._done.set()
        self._sampler.join()


# -- nginx -------------------------------------------------------------------------------------

NGINX_CONF = """\
{user}worker_processes auto;
pid {tmp}/nginx.pid;
error_log {tmp}/error.log warn;
events {{ worker_connections 2048; }}
http {{
    access_log off;
    sendfile on;
    tcp_nopush on;
    keepalive_timeout 30;
    default_type application/octet-stream;
    client_body_temp_path {tmp}/body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;
    server {{
        listen 127.0.0.1:{port} backlog=1024;
        root {root};
        autoindex {autoindex};
    }}
}}
"""


@contextlib.contextmanager
def nginx(root: Path, *, autoindex: bool = False) -> Iterator[int]:
    """Run nginx as the current user, serving ``root`` on 127.0.0.1; yields its port.

    ``worker_processes auto`` and ``sendfile on`` are Debian's shipped defaults: the nginx a
    user would compare us with. ``autoindex`` lists folders (what ``wget -r`` crawls).
    """
    binary = shutil.which("nginx") or "/usr/sbin/nginx"
    with tempfile.TemporaryDirectory(prefix="swb-bench-nginx-") as tmp:
        port = free_port()
        conf = Path(tmp) / "nginx.conf"
        # As root, nginx would hand its workers to "nobody", who cannot read our 0700 temp folders.
        user = f"user {pwd.getpwuid(os.geteuid()).pw_name};\n" if os.geteuid() == 0 else ""
        text = NGINX_CONF.format(
            user=user, tmp=tmp, port=port, root=root, autoindex="on" if autoindex else "off"
        )
        conf.write_text(textwrap.dedent(text))
        args = [binary, "-p", tmp, "-c", str(conf), "-e", f"{tmp}/error.log", "-g", "daemon off;"]
        with process(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE) as proc:
            try:
                wait_for_port(port, proc=proc)
            except RuntimeError as exc:
                log = (Path(tmp) / "error.log").read_text(errors="replace")[-500:]
                raise RuntimeError(f"{exc}; nginx said: {log.strip()}") from None
            yield port


def wait_for_listener(port: int, timeout: float = 10.0) -> None:
    """Wait until a TCP socket listens on 127.0.0.1:port, without connecting to it.

    For one-shot listeners (``nc -l``, ``iperf3 -s -1``) that a probe connection would use up:
    reads the kernel's table instead (/proc/net/tcp, state 0A = LISTEN).
    """
    wanted = f"0100007F:{port:04X}"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
            fields = line.split()
            if fields[1] == wanted and fields[3] == "0A":
                return
        time.sleep(0.01)
    raise RuntimeError(f"nothing listened on port {port} within {timeout:g} s")


# -- UDP ---------------------------------------------------------------------------------------

DATAGRAM = b"swb-benchmark 0123456789 abcdefghijklmnopqrstuvwxyz ABCDEFGHIJKL"  # 64 bytes

UDP_BLASTER = """\
import socket, sys
port, count, payload = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3].encode()
sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
address = ("127.0.0.1", port)
sendto = sock.sendto
sent = 0
for _ in range(count):
    try:
        sendto(payload, address)
        sent += 1
    except OSError:
        pass
print(sent)
"""


def blast_udp(port: int, count: int, payload: bytes = DATAGRAM) -> int:
    """Send ``count`` datagrams to 127.0.0.1:port in a plain sendto loop; how many went."""
    args = [PYTHON, "-c", UDP_BLASTER, str(port), str(count), payload.decode()]
    return int(run_checked(args, timeout=120).split()[-1])


def quick_main(
    doc: str | None,
    run: Callable[..., Sequence[Row]],
    quick_help: str = "small sizes, a smoke run",
    argv: list[str] | None = None,
) -> int:
    """``main`` of a benchmark whose one option is ``--quick``: the table of ``run(quick=...)``
    on stdout, described by the first paragraph of the script's docstring ``doc``."""
    parser = argparse.ArgumentParser(description=(doc or "").split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help=quick_help)
    args = parser.parse_args(argv)
    print(format_table(run(quick=args.quick)))
    return 0
