"""Where a download is saved, how its ``.part`` is opened, hashed, measured and finished, as
mutation testing found them unchecked (tools/mutation.py download_files): numbered names, a linked
.part, its mode, the Windows flags, the progress throttle and speed on a clock the test moves, the
hash thread, a part cut short while hashed, a name taken before the rename."""

from __future__ import annotations

import errno
import fcntl
import hashlib
import os
import signal
import stat
import subprocess
import sys
import termios
import threading
import time
from pathlib import Path

import pytest

from net.download.files import (
    HashPipe,
    Meter,
    final_path,
    finish,
    hash_existing,
    open_part,
    strerror,
    write_all,
)
from net.download.resume import ResumeState
from net.errors import TransferError
from net.events import DownloadFinished, DownloadProgress
from net.share import LocalFileError, numbered_name
from tests import simulate


@pytest.mark.parametrize(
    ("name", "taken", "saved"),
    [
        ("a.txt", 0, "a.txt"),
        ("a.txt", 1, "a (2).txt"),
        ("a.txt", 3, "a (4).txt"),
        ("archive.tar.gz", 1, "archive.tar (2).gz"),  # the last extension stays last
        ("README", 2, "README (3)"),
        (".bashrc", 1, ".bashrc (2)"),
    ],
)
def test_a_taken_name_gets_the_next_number(
    tmp_path: Path, name: str, taken: int, saved: str
) -> None:
    for number in range(1, taken + 1):
        existing = name if number == 1 else numbered_name(name, number)  # as the share does
        (tmp_path / existing).write_bytes(b"x")
    assert final_path(tmp_path, name) == tmp_path / saved


def test_a_part_that_is_a_link_is_not_followed(tmp_path: Path) -> None:
    """A .part swapped for a link (to a file the user cares about) is refused, not written
    through: O_NOFOLLOW."""
    victim = tmp_path / "victim.txt"
    victim.write_bytes(b"precious")
    part = tmp_path / "a.bin.part"
    part.symlink_to(victim)
    with pytest.raises(LocalFileError) as info:
        open_part(part, 0)
    assert str(info.value) == f"cannot write {part}: too many levels of symbolic links"
    assert victim.read_bytes() == b"precious"


def test_a_new_part_is_readable_by_all_and_writable_by_its_owner(tmp_path: Path) -> None:
    part = tmp_path / "a.bin.part"
    umask = os.umask(0o022)
    try:
        fd = open_part(part, 0)
    finally:
        os.umask(umask)
    os.close(fd)
    assert stat.S_IMODE(part.stat().st_mode) == 0o644


def test_when_every_numbered_name_is_taken_nothing_is_overwritten(tmp_path: Path) -> None:
    """Names up to "a (999).txt" are tried; when all exist the download is refused instead of
    replacing one of them."""
    (tmp_path / "a.txt").write_bytes(b"x")
    for number in range(2, 999):
        (tmp_path / numbered_name("a.txt", number)).write_bytes(b"x")
    assert final_path(tmp_path, "a.txt") == tmp_path / "a (999).txt"
    (tmp_path / "a (999).txt").write_bytes(b"x")
    with pytest.raises(TransferError) as info:
        final_path(tmp_path, "a.txt")
    assert str(info.value) == (
        f"a.txt and its numbered names up to (999) already exist in {tmp_path}"
    )


@pytest.mark.parametrize("name", ["../a.txt", "sub/a.txt"])
def test_a_name_that_leaves_the_folder_is_refused(tmp_path: Path, name: str) -> None:
    (tmp_path / "sub").mkdir()
    with pytest.raises(TransferError) as info:
        final_path(tmp_path, name)
    assert str(info.value) == f"refusing to save {name!r} outside {tmp_path}"


def test_a_part_opened_at_an_offset_is_cut_there_and_written_from_there(tmp_path: Path) -> None:
    part = tmp_path / "a.bin.part"
    part.write_bytes(b"0123456789")
    fd = open_part(part, 4)
    try:
        write_all(fd, memoryview(b"ab\ncd"))
    finally:
        os.close(fd)
    assert part.read_bytes() == b"0123ab\ncd"


def test_on_windows_the_part_is_opened_as_here(tmp_path: Path) -> None:
    """The win32 branch (O_BINARY, no O_NOFOLLOW there) under tests/simulate.py's stand-in: the
    part is created, cut to the offset and written byte for byte, as on this system."""
    code = (
        "import os, sys\n"
        "from net.download.files import open_part, write_all\n"
        "for path in sys.argv[1:]:\n"
        "    fd = open_part(path, 4)\n"
        "    write_all(fd, memoryview(b'ab\\ncd'))\n"
        "    os.close(fd)\n"
    )
    here, windows = tmp_path / "here", tmp_path / "windows"
    for folder in (here, windows):
        folder.mkdir()
        (folder / "old.bin.part").write_bytes(b"0123456789")
    parts = ("old.bin.part", "new.bin.part")
    for name in parts:
        fd = open_part(here / name, 4)
        write_all(fd, memoryview(b"ab\ncd"))
        os.close(fd)
    proc = subprocess.run(
        [*simulate.code_command("win32", code), *(str(windows / name) for name in parts)],
        env=simulate.env(),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert (windows / "old.bin.part").read_bytes() == b"0123ab\ncd"
    assert (windows / "new.bin.part").read_bytes() == b"\0\0\0\0ab\ncd"
    for name in parts:
        assert (windows / name).read_bytes() == (here / name).read_bytes()


def test_strerror_starts_in_lower_case_and_falls_back_to_the_text() -> None:
    assert strerror(OSError(errno.ENOSPC, "No space left on device")) == "no space left on device"
    assert strerror(OSError("Odd failure")) == "odd failure"


# -- Meter: the speed and the throttle, on a clock the test moves ---------------------------------


class Clock:
    """Seconds the test sets; values are exact in binary so the boundaries are exact too."""

    def __init__(self, now: float = 0.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def _meter(
    clock: Clock, resumed: int = 0, total: int | None = None
) -> tuple[Meter, list[DownloadProgress]]:
    events: list[DownloadProgress] = []
    return Meter(events.append, resumed, total, clock=clock), events


def test_progress_events_are_at_least_a_tenth_of_a_second_apart() -> None:
    clock = Clock()
    meter, events = _meter(clock, resumed=1000, total=5000)
    meter.update(100)  # at the start: too soon
    clock.now = 0.0625
    meter.update(200)  # still too soon
    assert events == []
    clock.now = 0.1  # exactly the interval: due
    before = time.time()
    meter.update(300)
    after = time.time()
    assert len(events) == 1
    event = events[0]
    assert before <= event.time <= after  # wall-clock time of the event, not the meter's clock
    assert (event.received, event.total, event.resumed_from) == (1300, 5000, 1000)
    assert event.speed == pytest.approx(3000.0, rel=1e-9)  # 300 bytes in 0.1 s
    clock.now = 0.1875  # 0.0875 s after the last event: too soon again
    meter.update(350)
    assert len(events) == 1


def test_a_forced_update_is_reported_at_once() -> None:
    clock = Clock()
    meter, events = _meter(clock)
    meter.update(50, force=True)  # no time has passed: no speed yet, and no division by zero
    assert [(e.received, e.speed) for e in events] == [(50, 0.0)]
    clock.now = 0.25
    meter.update(150, force=True)
    assert [(e.received, e.speed) for e in events][1] == (150, 600.0)  # 150 bytes since 0.0


def test_the_speed_spans_the_last_two_seconds() -> None:
    clock = Clock(4.0)  # not zero, so that a sum where a difference belongs shows
    meter, events = _meter(clock)
    clock.now = 4.125
    meter.update(300)  # samples: (4.0, 0), (4.125, 300)
    meter.update(400, force=True)  # (4.125, 400)
    assert events[-1].speed == 3200.0  # 400 bytes since 4.0
    clock.now = 5.5
    meter.update(700)  # every sample is younger than two seconds: from (4.0, 0)
    assert events[-1].speed == 700 / 1.5
    clock.now = 6.0
    meter.update(1000)  # the sample at 4.0 is exactly two seconds old: still counted
    assert events[-1].speed == 500.0
    clock.now = 6.5
    meter.update(2000)  # every sample older than two seconds goes: from (5.5, 700)
    assert events[-1].speed == 1300.0
    clock.now = 14.0
    meter.update(3000)  # after a stall the previous sample stays, however old
    assert events[-1].speed == 1000 / 7.5
    assert [e.received for e in events] == [300, 400, 700, 1000, 2000, 3000]


def test_a_meter_without_a_callback_reports_nothing() -> None:
    clock = Clock()
    meter = Meter(None, 0, 10, clock=clock)
    clock.now = 5.0
    meter.update(10, force=True)
    assert list(meter.samples) == [(0.0, 0)]  # nothing measured either


# -- HashPipe, hash_existing, finish ---------------------------------------------------------------


def test_the_hash_pipe_hashes_what_was_submitted_in_order_on_its_own_thread() -> None:
    pipe = HashPipe(hashlib.sha256())
    hashers = [t for t in threading.enumerate() if t.name == "swb-download-hash"]
    assert hashers and all(t.daemon for t in hashers)  # named for py-spy; never blocks exit
    expected = hashlib.sha256()
    taken = [pipe.take() for _ in range(4)]
    assert all(len(buffer) == 1 << 20 for buffer in taken)
    assert pipe._free.empty()  # at most four MiB are ever held
    for index, buffer in enumerate(taken):
        buffer[:] = bytes([index]) * len(buffer)
        pipe.submit(buffer, 1000 + index, pooled=True)  # only the filled start counts
        expected.update(bytes([index]) * (1000 + index))
    pipe.submit(b"tail and more", 4)
    expected.update(b"tail")
    again = pipe.take()  # a pooled buffer comes back once hashed
    assert len(again) == 1 << 20
    pipe.give_back(again)  # unused: back in the pool as it is
    assert pipe.finish().hexdigest() == expected.hexdigest()
    assert pipe.finish().hexdigest() == expected.hexdigest()  # a second finish just returns it
    pool = [pipe.take() for _ in range(4)]  # every buffer came back, whole
    assert {id(buffer) for buffer in pool} == {id(buffer) for buffer in taken}


def test_hash_existing_reads_a_megabyte_at_a_time(tmp_path: Path) -> None:
    data = os.urandom((5 << 19) + 7)  # 2.5 MiB and 7 bytes
    path = tmp_path / "a.part"
    path.write_bytes(data + b"beyond the length")
    hasher = hashlib.sha256()
    checks: list[int] = []
    counts: list[int] = []
    fd = os.open(path, os.O_RDONLY)
    try:
        os.lseek(fd, 100, os.SEEK_SET)  # from wherever it was: the start
        hash_existing(fd, len(data), hasher, lambda: checks.append(len(counts)), counts.append)
    finally:
        os.close(fd)
    assert hasher.hexdigest() == hashlib.sha256(data).hexdigest()
    assert counts == [1 << 20, 2 << 20, len(data)]
    assert checks == [0, 1, 2]  # before every read


def test_hash_existing_without_a_progress_callback(tmp_path: Path) -> None:
    path = tmp_path / "a.part"
    path.write_bytes(b"abcdef")
    hasher = hashlib.sha256()
    fd = os.open(path, os.O_RDONLY)
    try:
        hash_existing(fd, 3, hasher, lambda: None)
    finally:
        os.close(fd)
    assert hasher.hexdigest() == hashlib.sha256(b"abc").hexdigest()


def test_a_part_cut_short_while_it_is_hashed_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "a.part"
    path.write_bytes(b"x" * (3 << 20))
    calls: list[int] = []

    def check() -> None:
        calls.append(1)
        if len(calls) == 2:  # after the first megabyte, another program truncates the file
            os.truncate(path, 1 << 20)

    fd = os.open(path, os.O_RDONLY)
    try:
        with pytest.raises(TransferError) as info:
            hash_existing(fd, 3 << 20, hashlib.sha256(), check)
    finally:
        os.close(fd)
    assert str(info.value) == "the part file became shorter while it was being checked"


def _finish(
    tmp_path: Path, data: bytes, digest: bytes | None, *, notes: tuple[str, ...] = ()
) -> tuple[DownloadFinished, Path, ResumeState]:
    part = tmp_path / "a.txt.part"
    resume = ResumeState(part, "http://127.0.0.1/a.txt")
    fd = open_part(part, 0)
    write_all(fd, memoryview(data))
    resume.remember('"v1"', len(data))
    assert resume.sidecar.exists()
    hasher = hashlib.sha256(data)
    before = time.time()
    done = finish(fd, tmp_path / "a.txt", part, len(data), hasher, digest, resume, list(notes))
    assert before <= done.time <= time.time()
    return done, part, resume


def test_finish_renames_the_part_and_reports_what_it_saved(tmp_path: Path) -> None:
    data = b"hello\n"
    done, part, resume = _finish(tmp_path, data, hashlib.sha256(data).digest(), notes=("n",))
    assert (done.path, done.size, done.sha256) == (
        str(tmp_path / "a.txt"),
        6,
        hashlib.sha256(data).hexdigest(),
    )
    assert done.verified is True
    assert done.notes == ("n",)
    assert (tmp_path / "a.txt").read_bytes() == data
    assert not part.exists()
    assert not resume.sidecar.exists()


def test_finish_without_an_announced_digest_is_not_verified(tmp_path: Path) -> None:
    done, _part, _resume = _finish(tmp_path, b"abc", None)
    assert done.verified is False
    assert (tmp_path / "a.txt").read_bytes() == b"abc"


def test_finish_never_overwrites_a_file_saved_there_meanwhile(tmp_path: Path) -> None:
    """The name was free when the download began (final_path chose it); someone saved a file by
    that name before the download finished: it stays, the download takes "a (2).txt"."""
    (tmp_path / "a.txt").write_bytes(b"theirs")
    done, part, _resume = _finish(tmp_path, b"ours", None)
    assert done.path == str(tmp_path / "a (2).txt")
    assert (tmp_path / "a.txt").read_bytes() == b"theirs"
    assert (tmp_path / "a (2).txt").read_bytes() == b"ours"
    assert not part.exists()


def test_finish_deletes_a_part_that_does_not_match_the_digest(tmp_path: Path) -> None:
    part = tmp_path / "a.txt.part"
    resume = ResumeState(part, "http://127.0.0.1/a.txt")
    fd = open_part(part, 0)
    write_all(fd, memoryview(b"tampered"))
    resume.remember('"v1"', 8)
    with pytest.raises(TransferError) as info:
        finish(
            fd,
            tmp_path / "a.txt",
            part,
            8,
            hashlib.sha256(b"tampered"),
            hashlib.sha256(b"original").digest(),
            resume,
            [],
        )
    assert str(info.value) == (
        "a.txt does not match the SHA-256 checksum the server announced, so it was deleted; "
        "download it again"
    )
    assert not part.exists()
    assert not resume.sidecar.exists()
    assert not (tmp_path / "a.txt").exists()


def test_write_all_goes_on_after_a_partial_write() -> None:
    """A write that a signal interrupts after some bytes returns that count (POSIX); write_all
    writes the rest from there. The reader lets the pipe fill, so the writer is blocked in
    write() with part of the data written, then interrupts it."""
    read_end, write_end = os.pipe()
    capacity = fcntl.fcntl(write_end, fcntl.F_GETPIPE_SZ)
    data = os.urandom(16 * capacity)
    writer = threading.get_ident()
    received = bytearray()
    interrupted = threading.Event()

    def read_all() -> None:
        waiting = bytearray(4)
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            fcntl.ioctl(read_end, termios.FIONREAD, waiting)
            if int.from_bytes(waiting, sys.byteorder) >= capacity:
                break
            time.sleep(0.001)  # polls the observable state: the pipe is full
        signal.pthread_kill(writer, signal.SIGUSR1)
        interrupted.set()
        while chunk := os.read(read_end, 1 << 16):
            received.extend(chunk)

    previous = signal.signal(signal.SIGUSR1, lambda number, frame: None)
    reader = threading.Thread(target=read_all)
    try:
        reader.start()
        write_all(write_end, memoryview(data))
    finally:
        os.close(write_end)
        reader.join(10)
        os.close(read_end)
        signal.signal(signal.SIGUSR1, previous)
    assert interrupted.is_set()
    assert bytes(received) == data


def test_a_mismatch_is_reported_even_when_the_part_is_already_gone(tmp_path: Path) -> None:
    """Someone deleted the .part while it was written: the mismatch is what the user hears."""
    part = tmp_path / "a.txt.part"
    fd = open_part(part, 0)
    write_all(fd, memoryview(b"tampered"))
    part.unlink()
    with pytest.raises(TransferError) as info:
        finish(
            fd,
            tmp_path / "a.txt",
            part,
            8,
            hashlib.sha256(b"tampered"),
            hashlib.sha256(b"original").digest(),
            ResumeState(part, "http://127.0.0.1/a.txt"),
            [],
        )
    assert str(info.value).startswith("a.txt does not match the SHA-256 checksum")
    assert list(tmp_path.iterdir()) == []
