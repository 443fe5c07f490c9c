"""Issue 8, row 2 with wget: ``swb get`` against ``wget -O``, both downloading from nginx.

bench_files.py compares ``swb get`` with curl; this adds wget, the other client people reach for.
nginx is the neutral server, so only the client differs. The folder is on tmpfs (/dev/shm) when
there is one, so the clients are measured, not the disk. Wall time includes process start.
``swb get`` also hashes every byte and fsyncs before renaming; wget does neither.

    python benchmarks/bench_wget.py [--quick]
"""

from __future__ import annotations

import functools
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from _common import (
    LOOPBACK,
    MIB,
    PYTHON,
    Row,
    alternate,
    big_temp_dir,
    fmt_mib_s,
    make_random_file,
    median,
    nginx,
    not_measured,
    quick_main,
    say,
    sha256_file,
)

TARGET = 0.9
FILE_NAME = "payload.bin"


@dataclass(frozen=True, slots=True)
class Plan:
    size: int
    rounds: int


FULL = Plan(size=1024 * MIB, rounds=3)
QUICK = Plan(size=64 * MIB, rounds=3)


def timed_download(args: list[str], target: Path, digest: str) -> float:
    """Run a downloader to completion; its wall time. The file must arrive intact; then it goes."""
    started = time.perf_counter()
    done = subprocess.run(args, capture_output=True, timeout=600, check=False)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        tail = done.stderr.decode(errors="replace").strip()[-300:]
        raise RuntimeError(f"{args[0]} exited with {done.returncode}: {tail}")
    intact = sha256_file(target) == digest
    target.unlink()
    if not intact:
        raise RuntimeError(f"{' '.join(args[:3])} wrote a file with the wrong SHA-256")
    return seconds


def run(quick: bool = False) -> list[Row]:
    plan = QUICK if quick else FULL
    size = plan.size
    if shutil.which("wget") is None:
        return [not_measured("2. swb get vs wget", "wget is not installed")]
    with (
        big_temp_dir("wget-src", memory=True) as src,
        big_temp_dir("wget-dst", memory=True) as dst,
    ):
        say(f"wget: writing a {size // MIB} MiB file")
        digest = make_random_file(src / FILE_NAME, size)
        src.chmod(0o755)
        with nginx(src) as port:
            url = f"http://{LOOPBACK}:{port}/{FILE_NAME}"
            target = dst / FILE_NAME
            trials = {
                "swb get": functools.partial(
                    timed_download,
                    [PYTHON, "-m", "net", "get", url, "-o", str(dst), "--quiet"],
                    target,
                    digest,
                ),
                "wget -O": functools.partial(
                    timed_download, ["wget", "-q", "-O", str(target), url], target, digest
                ),
            }
            for trial in trials.values():  # warm-up: page cache, lazy imports
                trial()
            say(f"wget: swb get vs wget -O into a folder on tmpfs, x{plan.rounds}")
            times = alternate(trials, plan.rounds, log=say, show=lambda s: fmt_mib_s(size / s))
    ours, peer = median(times["swb get"]), median(times["wget -O"])
    ratio = peer / ours
    return [
        Row(
            f"2. swb get into a folder (tmpfs), {size // MIB} MiB",
            fmt_mib_s(size / ours),
            f"wget -O {fmt_mib_s(size / peer)}",
            ratio,
            f">= {TARGET}x wget",
            ratio >= TARGET,
        )
    ]


def main(argv: list[str] | None = None) -> int:
    return quick_main(__doc__, run, "64 MiB instead of 1 GiB", argv)


if __name__ == "__main__":
    sys.exit(main())
