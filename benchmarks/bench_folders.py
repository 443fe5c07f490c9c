"""Issue 20: mirroring a tree and zipping a folder.

1. ``swb get --recursive`` of 2,000 files of 4 KiB (20 folders of 100, under one shared folder)
   from ``swb serve``, against ``wget -r -np -nH`` of the same tree from nginx's autoindex, each
   into a fresh folder on tmpfs; wall time with process start. Target: at least 1.0x wget.
2. The same mirror run again with nothing changed: it must fetch no file body (it prints
   "0 downloaded, 2000 up to date") and finish in under 2 s.
3. ``curl`` of ``/tree/?format=zip`` (a 1 GiB folder, 16 files of 64 MiB, on tmpfs) from
   ``swb serve``, against ``zip -0 -qr - DIR > /dev/null`` of the same folder. Target: 1.0x zip.
4. 8 clients downloading that zip at once: the server's RSS growth. Target: < 50 MiB.

    python benchmarks/bench_folders.py [--quick]
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import shutil
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

from _common import (
    LOOPBACK,
    MIB,
    PYTHON,
    PeakRss,
    Row,
    alternate,
    big_temp_dir,
    bytecode_env,
    fmt_mib_s,
    make_random_file,
    median,
    nginx,
    not_measured,
    quick_main,
    say,
    swb_serve,
)

FILES, FOLDERS, FILE_SIZE = 2000, 20, 4096
ZIP_FILES = 16
RSS_TARGET_MIB = 50
CLIENTS = 8


def make_small_tree(root: Path) -> None:
    for folder in range(FOLDERS):
        where = root / f"folder {folder:02d}"
        where.mkdir(parents=True)
        for index in range(FILES // FOLDERS):
            (where / f"file {index:03d}.bin").write_bytes(os.urandom(FILE_SIZE))


@contextlib.contextmanager
def swb_serve_hashed(path: Path) -> Iterator[tuple[int, subprocess.Popen[bytes]]]:
    """``swb serve PATH`` on a free port; waits until every checksum is known (steady state)."""
    with swb_serve(path) as (port, proc):
        deadline = time.monotonic() + 300
        while not _all_hashed(port, f"/{urllib.request.quote(path.name)}/"):
            if time.monotonic() > deadline:
                raise RuntimeError("swb serve did not finish its checksums within 300 s")
            time.sleep(0.2)
        yield port, proc


def _all_hashed(port: int, folder: str) -> bool:
    with urllib.request.urlopen(f"http://{LOOPBACK}:{port}{folder}?format=json", timeout=30) as r:
        items = json.load(r)
    for item in items:
        if item["type"] == "folder":
            if not _all_hashed(port, item["url"]):
                return False
        elif item["sha256"] is None:
            return False
    return True


def timed(args: list[str], *, stdout: int | None = None, expect: str = "") -> float:
    started = time.perf_counter()
    # Bytecode cached, as in an installed copy (pip compiles it): start-up is part of the time.
    done = subprocess.run(
        args,
        stdout=stdout or subprocess.PIPE,
        stderr=subprocess.PIPE,
        timeout=600,
        env=bytecode_env(),
    )
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        tail = done.stderr.decode(errors="replace").strip()[-300:]
        raise RuntimeError(f"{' '.join(args[:3])} exited with {done.returncode}: {tail}")
    if expect and expect not in (done.stdout or b"").decode(errors="replace"):
        raise RuntimeError(f"{' '.join(args[:3])} did not print {expect!r}")
    return seconds


def count_files(root: Path) -> int:
    return sum(len(files) for _dirpath, _dirnames, files in os.walk(root))


def mirror_rows(quick: bool) -> list[Row]:
    rounds = 3
    with (
        big_temp_dir("mirror-src", memory=True) as src,
        big_temp_dir("mirror-dst", memory=True) as dst,
    ):
        tree = src / "tree"
        say(f"folders: writing {FILES} files of {FILE_SIZE} bytes")
        make_small_tree(tree)
        src.chmod(0o755)
        with swb_serve_hashed(tree) as (ours, _proc), nginx(src, autoindex=True) as theirs:
            counter = iter(range(1000))

            def swb_mirror() -> float:
                out = dst / f"swb-{next(counter)}"
                url = f"http://{LOOPBACK}:{ours}/tree/"
                seconds = timed(
                    [PYTHON, "-m", "net", "get", "--recursive", url, "-o", str(out), "--quiet"],
                    expect=f"{FILES} downloaded, 0 up to date, 0 failed",
                )
                if count_files(out) != FILES:
                    raise RuntimeError("swb get --recursive did not write every file")
                shutil.rmtree(out)
                return seconds

            def wget_mirror() -> float:
                out = dst / f"wget-{next(counter)}"
                url = f"http://{LOOPBACK}:{theirs}/tree/"
                seconds = timed(
                    ["wget", "-q", "-r", "-np", "-nH", "-R", "index.html*", "-P", str(out), url]
                )
                if count_files(out / "tree") != FILES:
                    raise RuntimeError(f"wget -r wrote {count_files(out / 'tree')} files")
                shutil.rmtree(out)
                return seconds

            trials = {"swb get --recursive": swb_mirror, "wget -r": wget_mirror}
            for trial in trials.values():  # warm-up: page cache, lazy imports
                trial()
            say(f"folders: mirror of {FILES} files, x{rounds}")
            times = alternate(trials, rounds, log=say, show=lambda s: f"{s:.2f} s")
            again_out = dst / "again"
            url = f"http://{LOOPBACK}:{ours}/tree/"
            command = [PYTHON, "-m", "net", "get", "--recursive", url, "-o", str(again_out)]
            timed([*command, "--quiet"], expect=f"{FILES} downloaded")
            second = [
                timed([*command, "--quiet"], expect=f"0 downloaded, {FILES} up to date, 0 failed")
                for _ in range(rounds)
            ]
    ours_t, peer_t = median(times["swb get --recursive"]), median(times["wget -r"])
    ratio = peer_t / ours_t
    again = median(second)
    return [
        Row(
            f"20.1 mirror of {FILES} x 4 KiB files",
            f"{ours_t:.2f} s",
            f"wget -r -np -nH (nginx autoindex) {peer_t:.2f} s",
            ratio,
            ">= 1.0x wget",
            ratio >= 1.0,
        ),
        Row(
            f"20.2 the same mirror again, nothing changed ({FILES} files, no body fetched)",
            f"{again:.2f} s",
            target="< 2 s",
            met=again < 2.0,
        ),
    ]


def zip_rows(quick: bool) -> list[Row]:
    size = (64 if quick else 1024) * MIB
    rounds = 3
    with big_temp_dir("zip-src", memory=True) as src:
        folder = src / "tree"
        folder.mkdir()
        say(f"folders: writing a {size // MIB} MiB folder of {ZIP_FILES} files")
        for index in range(ZIP_FILES):
            make_random_file(folder / f"part {index:02d}.bin", size // ZIP_FILES)
        with swb_serve_hashed(folder) as (port, proc):
            url = f"http://{LOOPBACK}:{port}/tree/?format=zip"
            trials = {
                "swb serve ?format=zip": functools.partial(
                    timed, ["curl", "-sSf", "-o", os.devnull, url]
                ),
                "zip -0 -qr -": functools.partial(timed_zip, folder),
            }
            for trial in trials.values():
                trial()
            say(f"folders: zip of {size // MIB} MiB, x{rounds}")
            times = alternate(trials, rounds, log=say, show=lambda s: fmt_mib_s(size / s))
            growth, failed, seconds = rss_growth(port, proc, url)
    ours_t, peer_t = median(times["swb serve ?format=zip"]), median(times["zip -0 -qr -"])
    ratio = peer_t / ours_t
    return [
        Row(
            f"20.3 zip of a {size // MIB} MiB folder, streamed",
            fmt_mib_s(size / ours_t),
            f"zip -0 -qr - {fmt_mib_s(size / peer_t)}",
            ratio,
            ">= 1.0x zip",
            ratio >= 1.0,
        ),
        Row(
            f"20.4 {CLIENTS} clients download that zip at once: server RSS growth",
            f"{growth:.1f} MiB ({fmt_mib_s(CLIENTS * size / seconds)} total)",
            target=f"< {RSS_TARGET_MIB} MiB, 0 failed",
            met=growth < RSS_TARGET_MIB and failed == 0,
        ),
    ]


def timed_zip(folder: Path) -> float:
    started = time.perf_counter()
    with open(os.devnull, "wb") as sink:
        done = subprocess.run(
            ["zip", "-0", "-qr", "-", folder.name], cwd=folder.parent, stdout=sink, timeout=600
        )
    if done.returncode != 0:
        raise RuntimeError(f"zip exited with {done.returncode}")
    return time.perf_counter() - started


def rss_growth(port: int, proc: subprocess.Popen[bytes], url: str) -> tuple[float, int, float]:
    time.sleep(0.5)  # let the allocator settle after the warm-up
    with PeakRss(proc.pid) as rss:
        say(f"folders: {CLIENTS} clients download the zip at once, RSS")
        started = time.perf_counter()
        clients = [
            subprocess.Popen(["curl", "-sSf", "-o", os.devnull, url]) for _ in range(CLIENTS)
        ]
        failed = sum(1 for c in clients if c.wait(600) != 0)
        seconds = time.perf_counter() - started
    say(
        f"  RSS {rss.before:.1f} MiB before, {rss.peak:.1f} MiB peak; {seconds:.2f} s, {failed} failed"
    )
    return rss.peak - rss.before, failed, seconds


def run(quick: bool = False) -> list[Row]:
    rows: list[Row] = []
    if shutil.which("wget") is None:
        rows.append(not_measured("20.1 mirror vs wget -r", "wget is not installed"))
    else:
        rows += mirror_rows(quick)
    if shutil.which("zip") is None or shutil.which("curl") is None:
        rows.append(not_measured("20.3 zip vs zip -0", "zip or curl is not installed"))
    else:
        rows += zip_rows(quick)
    return rows


def main(argv: list[str] | None = None) -> int:
    return quick_main(__doc__, run, "a 64 MiB zip instead of 1 GiB", argv)


if __name__ == "__main__":
    sys.exit(main())
