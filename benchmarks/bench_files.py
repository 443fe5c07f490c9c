"""Issue 8, rows 1-2: file serving and downloading, against nginx, python -m http.server and curl.

    python benchmarks/bench_files.py [--quick] [--size MIB] [--rounds N]

1. ``swb serve`` -> ``curl -o /dev/null``, against nginx (``sendfile on``) and ``python -m
   http.server`` serving the same file: wall time of the whole curl run (target >= 0.95x nginx).
2. ``swb get`` into a folder against ``curl -o`` into the same folder, both from nginx (a neutral
   server, so only the client differs): wall time including process start (target >= 0.9x curl).
   The engine alone (``Download.run()`` in this process) is timed too, to tell start-up apart.
   ``swb get`` also hashes every byte and fsyncs before renaming; curl does neither. The folder is
   on tmpfs (/dev/shm) when there is one, so the row measures the clients, not the disk; a second
   row does the same on the disk the temporary folder lives on, for reference.
3. 8 clients downloading the file from ``swb serve`` at once: the server's RSS growth (VmRSS peak
   while they run, sampled every 20 ms, minus VmRSS before), target < 50 MiB.

Every comparison alternates the contenders round by round (the order rotates) and reports the
median; the page cache is warmed first, so the file is served from memory by everyone.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import json
import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from _common import (
    LOOPBACK,
    MIB,
    PYTHON,
    PeakRss,
    Row,
    alternate,
    big_temp_dir,
    fmt_mib_s,
    format_table,
    free_port,
    make_random_file,
    median,
    nginx,
    process,
    say,
    swb_serve,
    wait_for_port,
)

from net.download import Download

SERVE_TARGET = 0.95
GET_TARGET = 0.9
RSS_TARGET_MIB = 50
FILE_NAME = "payload.bin"


@dataclass(frozen=True, slots=True)
class Plan:
    size: int
    rounds: int
    clients: int


FULL = Plan(size=1024 * MIB, rounds=3, clients=8)
QUICK = Plan(size=64 * MIB, rounds=3, clients=8)


def timed(args: list[str], *, timeout: float = 600, expect: str = "") -> float:
    """Wall time of a command run to completion (it must succeed and print ``expect``)."""
    started = time.perf_counter()
    done = subprocess.run(args, capture_output=True, timeout=timeout, check=False)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        tail = done.stderr.decode(errors="replace").strip()[-300:]
        raise RuntimeError(f"{' '.join(args[:3])} exited with {done.returncode}: {tail}")
    if expect not in done.stdout.decode(errors="replace"):
        raise RuntimeError(f"{' '.join(args[:3])} did not print {expect!r}")
    return seconds


#: port -> (process, stderr log) of each swb serve, to say what happened when a download fails.
_SERVERS: dict[int, tuple[subprocess.Popen[bytes], Path]] = {}


def curl_to_null(port: int) -> float:
    try:
        return timed(["curl", "-sS", "-o", os.devnull, f"http://{LOOPBACK}:{port}/{FILE_NAME}"])
    except RuntimeError as exc:
        if port in _SERVERS:
            proc, log = _SERVERS[port]
            state = "running" if proc.poll() is None else f"exited with {proc.returncode}"
            tail = log.read_text(errors="replace").strip()[-300:]
            raise RuntimeError(f"{exc}; swb serve is {state}; it said: {tail!r}") from None
        raise


@contextlib.contextmanager
def swb_serve_hashed(src: Path) -> Iterator[tuple[int, subprocess.Popen[bytes]]]:
    """``swb serve`` on a free port; waits until the file's checksum is known (steady state)."""
    log = src / f"swb-serve-{len(_SERVERS)}.log"
    with open(log, "wb") as log_file, swb_serve(src / FILE_NAME, stderr=log_file) as (port, proc):
        _SERVERS[port] = (proc, log)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            with urllib.request.urlopen(f"http://{LOOPBACK}:{port}/?format=json", timeout=10) as r:
                if json.load(r)[0]["sha256"]:
                    break
            time.sleep(0.1)
        yield port, proc


@contextlib.contextmanager
def http_server(src: Path) -> Iterator[int]:
    port = free_port()
    args = [PYTHON, "-m", "http.server", "-b", LOOPBACK, "-d", str(src), str(port)]
    with process(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) as proc:
        wait_for_port(port, proc=proc)
        yield port


def serve_rows(src: Path, plan: Plan) -> list[Row]:
    size = plan.size
    with (
        swb_serve_hashed(src) as (ours, _proc),
        nginx(src) as nginx_port,
        http_server(src) as plain,
    ):
        ports = {"swb serve": ours, "nginx": nginx_port, "http.server": plain}
        for port in ports.values():
            curl_to_null(port)  # warm-up: page cache, lazy imports
        say(f"files: {size // MIB} MiB to curl -o /dev/null, x{plan.rounds}")
        trials = {name: functools.partial(curl_to_null, port) for name, port in ports.items()}
        times = alternate(trials, plan.rounds, log=say, show=lambda s: fmt_mib_s(size / s))
    ours_t, nginx_t, plain_t = (median(times[n]) for n in ("swb serve", "nginx", "http.server"))
    ratio = nginx_t / ours_t
    return [
        Row(
            f"1. swb serve -> curl, {size // MIB} MiB",
            fmt_mib_s(size / ours_t),
            f"nginx {fmt_mib_s(size / nginx_t)}",
            ratio,
            f">= {SERVE_TARGET}x nginx",
            ratio >= SERVE_TARGET,
        ),
        Row(
            f"1. swb serve -> curl, {size // MIB} MiB",
            fmt_mib_s(size / ours_t),
            f"python -m http.server {fmt_mib_s(size / plain_t)}",
            plain_t / ours_t,
        ),
    ]


def get_rows(src: Path, plan: Plan, digest: str, *, quick: bool) -> list[Row]:
    rows: list[Row] = []
    # With a small file, Python's start-up (~0.2 s) is most of swb get's time: no verdict then.
    target_text = "— (quick: start-up dominates)" if quick else f">= {GET_TARGET}x curl"
    size = plan.size
    with nginx(src) as port:
        url = f"http://{LOOPBACK}:{port}/{FILE_NAME}"
        curl_to_null(port)
        for memory in (True, False):
            with big_temp_dir("get", memory=memory) as folder:
                where = "tmpfs" if memory else "disk"
                target = folder / FILE_NAME

                def swb_get(folder: Path = folder, target: Path = target) -> float:
                    command = [PYTHON, "-m", "net", "get", url, "-o", str(folder), "--quiet"]
                    seconds = timed(command, expect=f"sha256 {digest}")
                    target.unlink()
                    return seconds

                def curl_get(target: Path = target) -> float:
                    seconds = timed(["curl", "-sS", "-o", str(target), url])
                    target.unlink()
                    return seconds

                def engine_get(folder: Path = folder, target: Path = target) -> float:
                    started = time.perf_counter()
                    result = Download(url, folder).run()
                    seconds = time.perf_counter() - started
                    if result.sha256 != digest:
                        raise RuntimeError("Download.run() saved a file with another SHA-256")
                    target.unlink()
                    return seconds

                trials = {"swb get": swb_get, "curl -o": curl_get}
                if memory:
                    trials["Download.run()"] = engine_get
                say(f"files: {', '.join(trials)} into a folder on {where}, x{plan.rounds}")
                times = alternate(trials, plan.rounds, log=say, show=lambda s: fmt_mib_s(size / s))
                ours_t, curl_t = median(times["swb get"]), median(times["curl -o"])
                ratio = curl_t / ours_t
                rows.append(
                    Row(
                        f"2. swb get into a folder ({where}), {size // MIB} MiB",
                        fmt_mib_s(size / ours_t),
                        f"curl -o {fmt_mib_s(size / curl_t)}",
                        ratio,
                        target_text if memory else "— (fsync to disk)",
                        ratio >= GET_TARGET if memory and not quick else None,
                        "" if memory else "includes fsync",
                    )
                )
                if memory:
                    engine_t = median(times["Download.run()"])
                    rows.append(
                        Row(
                            f"2. the same, Download.run() in process (no start-up), "
                            f"{size // MIB} MiB",
                            fmt_mib_s(size / engine_t),
                            f"curl -o {fmt_mib_s(size / curl_t)}",
                            curl_t / engine_t,
                            "— (reference)",
                        )
                    )
    return rows


def rss_row(src: Path, plan: Plan) -> Row:
    with swb_serve_hashed(src) as (port, proc):
        curl_to_null(port)
        time.sleep(0.5)  # let the allocator settle after the warm-up
        with PeakRss(proc.pid) as rss:
            say(f"files: {plan.clients} clients x {plan.size // MIB} MiB at once, RSS")
            started = time.perf_counter()
            url = f"http://{LOOPBACK}:{port}/{FILE_NAME}"
            clients = [
                subprocess.Popen(["curl", "-sS", "-o", os.devnull, url])
                for _ in range(plan.clients)
            ]
            failed = sum(1 for c in clients if c.wait(600) != 0)
            seconds = time.perf_counter() - started
    growth = rss.peak - rss.before
    say(
        f"  RSS {rss.before:.1f} MiB before, {rss.peak:.1f} MiB peak; {seconds:.2f} s, "
        f"{failed} failed"
    )
    return Row(
        f"3. {plan.clients} clients x {plan.size // MIB} MiB from swb serve: RSS growth",
        f"{growth:.1f} MiB ({fmt_mib_s(plan.clients * plan.size / seconds)} total)",
        target=f"< {RSS_TARGET_MIB} MiB, 0 failed",
        met=growth < RSS_TARGET_MIB and failed == 0,
    )


def run(quick: bool = False, size_mib: int | None = None, rounds: int | None = None) -> list[Row]:
    plan = QUICK if quick else FULL
    if size_mib is not None or rounds is not None:
        plan = Plan(
            size=(size_mib or plan.size // MIB) * MIB, rounds=rounds or plan.rounds, clients=8
        )
    with big_temp_dir("files", memory=True) as src:
        say(f"files: writing a {plan.size // MIB} MiB file")
        digest = make_random_file(src / FILE_NAME, plan.size)
        src.chmod(0o755)
        rows = serve_rows(src, plan)
        rows += get_rows(src, plan, digest, quick=plan.size < FULL.size)
        rows.append(rss_row(src, plan))
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="64 MiB instead of 1 GiB")
    parser.add_argument("--size", type=int, metavar="MIB", help="file size in MiB")
    parser.add_argument("--rounds", type=int, help="rounds per comparison (default 3)")
    args = parser.parse_args(argv)
    print(format_table(run(quick=args.quick, size_mib=args.size, rounds=args.rounds)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
