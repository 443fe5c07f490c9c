"""Issue 21: receiving an upload.

1. ``curl -T FILE`` of 1 GiB (64 MiB with --quick) to ``swb serve --upload-dir DIR`` on tmpfs,
   against ``nc -l PORT > FILE`` receiving the same bytes sent by ``curl -T`` in the same run
   (``nc`` speaks no HTTP, so curl's request waits for an answer that never comes: the clock
   stops when the receiver holds every byte); wall time, each into a fresh file on tmpfs. Both
   curls send without ``Expect: 100-continue`` (nc would never answer it: curl would wait 1 s).
   Target: at least 0.9x nc.
2. The server's RSS growth while it receives: target < 50 MiB.

    python benchmarks/bench_uploads.py [--quick]
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from itertools import count
from pathlib import Path

from _common import (
    LOOPBACK,
    MIB,
    PeakRss,
    Row,
    alternate,
    big_temp_dir,
    fmt_mib_s,
    free_port,
    make_random_file,
    median,
    not_measured,
    process,
    quick_main,
    say,
    stop_process,
    swb_serve,
    wait_for_listener,
)

RSS_TARGET_MIB = 50
_POLL = 0.005  # seconds between looks at the receiving file's size (nc has no other signal)


def _wait_size(path: Path, size: int, proc: subprocess.Popen[bytes], deadline: float) -> None:
    """Until ``path`` holds ``size`` bytes (the receiver wrote everything)."""
    while not (path.exists() and path.stat().st_size >= size):
        if proc.poll() is not None and not (path.exists() and path.stat().st_size >= size):
            raise RuntimeError(f"{proc.args[0]} ended before it received every byte")
        if time.monotonic() > deadline:
            raise RuntimeError(f"{path.name} did not reach {size} bytes in time")
        time.sleep(_POLL)


def curl_upload(source: Path, url: str, *, fail: bool) -> list[str]:
    """``curl -T source url`` without ``Expect: 100-continue`` (nc would never answer it: curl
    would wait 1 s); ``fail``: exit non-zero on an HTTP error (-f)."""
    return [
        "curl",
        "-sSf" if fail else "-sS",
        "-o",
        os.devnull,
        "-H",
        "Expect:",
        "-T",
        str(source),
        url,
    ]


def upload_rows(quick: bool) -> list[Row]:
    size = (64 if quick else 1024) * MIB
    rounds = 3
    with (
        big_temp_dir("upload-src", memory=True) as src,
        big_temp_dir("upload-dst", memory=True) as dst,
    ):
        source = src / "payload.bin"
        say(f"uploads: writing a {size // MIB} MiB file")
        make_random_file(source, size)
        inbox = dst / "inbox"
        inbox.mkdir()
        # A small file to share: sharing the payload would have the server hash 1 GiB meanwhile.
        shared = src / "readme.txt"
        shared.write_text("uploads benchmark\n")
        names = count()
        options = ["--no-announce", "--no-raw", "--upload-dir", str(inbox)]
        with swb_serve(shared, options=options) as (port, server):

            def ours() -> float:
                name = f"up-{next(names)}.bin"
                started = time.perf_counter()
                done = subprocess.run(
                    curl_upload(source, f"http://{LOOPBACK}:{port}/{name}", fail=True),
                    timeout=600,
                    check=False,
                )
                seconds = time.perf_counter() - started
                if done.returncode != 0 or (inbox / name).stat().st_size != size:
                    raise RuntimeError(f"curl -T to swb serve failed ({done.returncode})")
                (inbox / name).unlink()
                return seconds

            def theirs() -> float:
                target = dst / f"nc-{next(names)}.bin"
                nc_port = free_port()
                with (
                    open(target, "wb") as sink,
                    process(["nc", "-l", LOOPBACK, str(nc_port)], stdout=sink) as nc,
                ):
                    wait_for_listener(nc_port)  # a probe would use up nc's one connection
                    started = time.perf_counter()
                    curl = subprocess.Popen(
                        curl_upload(source, f"http://{LOOPBACK}:{nc_port}/x", fail=False),
                        stderr=subprocess.DEVNULL,
                    )
                    try:
                        # The request head comes first; the file's bytes follow it.
                        _wait_size(target, size, nc, time.monotonic() + 600)
                        seconds = time.perf_counter() - started
                    finally:
                        curl.kill()
                        curl.wait()
                        stop_process(nc)
                target.unlink()
                return seconds

            trials = {"swb serve --upload-dir": ours, "nc -l > file": theirs}
            for trial in trials.values():  # warm-up: page cache, lazy imports
                trial()
            say(f"uploads: {size // MIB} MiB, x{rounds}")
            times = alternate(trials, rounds, log=say, show=lambda s: fmt_mib_s(size / s))
            time.sleep(0.5)  # let the allocator settle after the warm-up
            with PeakRss(server.pid) as rss:
                ours()
            growth = rss.peak - rss.before
    ours_t, peer_t = median(times["swb serve --upload-dir"]), median(times["nc -l > file"])
    ratio = peer_t / ours_t
    return [
        Row(
            f"21.1 curl -T of {size // MIB} MiB into --upload-dir (tmpfs)",
            fmt_mib_s(size / ours_t),
            f"nc -l > file {fmt_mib_s(size / peer_t)}",
            ratio,
            ">= 0.9x nc",
            ratio >= 0.9,
        ),
        Row(
            f"21.2 server RSS growth while receiving {size // MIB} MiB",
            f"{growth:.1f} MiB",
            target=f"< {RSS_TARGET_MIB} MiB",
            met=growth < RSS_TARGET_MIB,
        ),
    ]


def run(quick: bool = False) -> list[Row]:
    missing = [tool for tool in ("curl", "nc") if shutil.which(tool) is None]
    if missing:
        return [not_measured("21.1 upload vs nc", f"{' and '.join(missing)} not installed")]
    return upload_rows(quick)


def main(argv: list[str] | None = None) -> int:
    return quick_main(__doc__, run, "64 MiB instead of 1 GiB", argv)


if __name__ == "__main__":
    sys.exit(main())
