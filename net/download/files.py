"""Finishing a download: the ``.part`` file, hashing while receiving, progress, verify and rename."""

from __future__ import annotations

import contextlib
import errno
import hashlib
import itertools
import os
import queue
import sys
import threading
import time
from collections import deque
from collections.abc import Callable
from pathlib import Path

from net._i18n import N_, _
from net.download.resume import ResumeState
from net.errors import TransferError
from net.events import DownloadFinished, DownloadProgress
from net.share import LocalFileError, numbered_name

__all__ = [
    "BUFFER",
    "WRITE_PROBLEMS",
    "HashPipe",
    "Meter",
    "final_path",
    "finish",
    "hash_existing",
    "open_part",
    "strerror",
    "write_all",
]

BUFFER = 1024 * 1024  # one recv_into per megabyte at most: few Python steps per chunk
_PIPE_BUFFERS = 4
_PROGRESS_INTERVAL = 0.1  # seconds between progress events, at most
_SPEED_WINDOW = 2.0  # seconds of samples the speed is averaged over
_MAX_NUMBER = 999  # "name (999).ext" is the last name final_path tries


def final_path(folder: Path, name: str) -> Path:
    """Where ``name`` is saved in ``folder``: "name (2).ext" and so on (numbered as the share
    numbers its files, :func:`net.share.numbered_name`) when it already exists.

    Raises:
        TransferError: every name up to "name (999)" is taken, or ``name`` would leave ``folder``.
    """
    numbered = (numbered_name(name, number) for number in range(2, _MAX_NUMBER + 1))
    for candidate_name in itertools.chain([name], numbered):
        candidate = folder / candidate_name
        if candidate.parent != folder:  # cannot happen after safe_file_name; never write outside
            raise TransferError(
                _("refusing to save {name!r} outside {folder}").format(name=name, folder=folder)
            )
        if not candidate.exists():
            return candidate
    raise TransferError(
        _("{name} and its numbered names up to ({number}) already exist in {folder}").format(
            name=name, number=_MAX_NUMBER, folder=folder
        )
    )


def open_part(part: Path, offset: int) -> int:
    """Open (or create) the ``.part``, cut to ``offset`` bytes, positioned there.

    Raises:
        LocalFileError: it cannot be written.
    """
    # os.open makes the descriptor non-inheritable itself (PEP 446): no O_CLOEXEC needed.
    flags = os.O_RDWR | os.O_CREAT
    if sys.platform == "win32":
        flags |= os.O_BINARY  # else os.write would turn each \n into \r\n
    else:
        flags |= os.O_NOFOLLOW  # a .part swapped for a link is refused, not written through
    try:
        fd = os.open(part, flags, 0o644)
        os.ftruncate(fd, offset)
        os.lseek(fd, offset, os.SEEK_SET)
    except OSError as exc:
        raise LocalFileError(
            _("cannot write {part}: {strerror}").format(part=part, strerror=strerror(exc))
        ) from exc
    return fd


def finish(
    fd: int,
    final: Path,
    part: Path,
    size: int,
    hasher: hashlib._Hash,
    digest: bytes | None,
    resume: ResumeState,
    notes: list[str],
) -> DownloadFinished:
    """Check ``hasher`` against the announced ``digest``, sync and rename the ``.part``; closes fd.

    A mismatch deletes the ``.part`` (nothing that looks complete is kept). Never overwrites a file
    that appeared at ``final`` meanwhile: the next free "name (N)" is taken instead.

    Raises:
        TransferError: the checksum does not match.
    """
    try:
        matches = digest is None or hasher.digest() == digest
        if matches:
            os.fsync(fd)
    finally:
        os.close(fd)  # exactly once, and before the rename: Windows cannot rename an open file
    if not matches:
        with contextlib.suppress(OSError):
            part.unlink()
        resume.forget()
        raise TransferError(
            _(
                "{name} does not match the SHA-256 checksum the server announced, so "
                "it was deleted; download it again"
            ).format(name=final.name)
        )
    if final.exists():  # appeared meanwhile: never overwrite what someone else saved
        final = final_path(final.parent, final.name)
    os.replace(part, final)
    resume.forget()
    _sync_folder(final.parent)
    return DownloadFinished(
        time=time.time(),
        path=str(final),
        size=size,
        sha256=hasher.hexdigest(),
        verified=digest is not None,
        notes=tuple(notes),
    )


WRITE_PROBLEMS = {
    errno.ENOSPC: N_("the disk is full"),
    errno.EDQUOT: N_("the disk quota is used up"),
    errno.EFBIG: N_("the file is larger than this system allows"),
    errno.EROFS: N_("the disk is read-only"),
    errno.EACCES: N_("permission denied"),
}


class HashPipe:
    """SHA-256 on a thread of its own, so that hashing overlaps receiving and writing.

    hashlib releases the GIL for large updates, so the two really run at once. The receiving side
    takes one of a few big buffers, fills and writes it, then hands it over; when all are in
    flight it waits (at most ``_PIPE_BUFFERS`` MiB are ever held).
    """

    def __init__(self, hasher: hashlib._Hash) -> None:
        self._hasher = hasher
        self._free: queue.SimpleQueue[bytearray] = queue.SimpleQueue()
        self._work: queue.SimpleQueue[tuple[bytearray | bytes, int, bool] | None] = (
            queue.SimpleQueue()
        )
        for _buffer in range(_PIPE_BUFFERS):
            self._free.put(bytearray(BUFFER))
        self._thread = threading.Thread(target=self._run, name="swb-download-hash", daemon=True)
        self._thread.start()

    def take(self) -> bytearray:
        """A free buffer of BUFFER bytes (waits while every buffer is being hashed)."""
        return self._free.get()

    def give_back(self, buffer: bytearray) -> None:
        self._free.put(buffer)

    def submit(self, buffer: bytearray | bytes, count: int, *, pooled: bool = False) -> None:
        """Hash ``buffer[:count]`` next; a ``pooled`` one (from :meth:`take`) is then reused."""
        self._work.put((buffer, count, pooled))

    def finish(self) -> hashlib._Hash:
        """Wait until everything submitted is hashed; returns the hash object."""
        # Again after the end: the extra None is never read, and join returns at once.
        self._work.put(None)
        self._thread.join()
        return self._hasher

    def _run(self) -> None:
        while True:
            item = self._work.get()
            if item is None:
                return
            buffer, count, pooled = item
            self._hasher.update(memoryview(buffer)[:count])
            if pooled:
                assert isinstance(buffer, bytearray)
                self._free.put(buffer)


class Meter:
    """Counts bytes, smooths the speed over the last two seconds, throttles events to ~10/s.

    Args:
        callback: gets each :class:`DownloadProgress`; None measures nothing.
        resumed: bytes already in the ``.part`` before this transfer (not counted in the speed).
        total: the whole file's size in bytes, None when unknown.
        clock: seconds, monotonic (tests pass their own).
    """

    __slots__ = ("callback", "clock", "last", "resumed", "samples", "total")

    def __init__(
        self,
        callback: Callable[[DownloadProgress], None] | None,
        resumed: int,
        total: int | None,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.callback = callback
        self.resumed = resumed
        self.total = total
        self.clock = clock
        now = clock()
        self.last = now
        self.samples: deque[tuple[float, int]] = deque([(now, 0)])

    def update(self, received: int, *, force: bool = False) -> None:
        """``received`` bytes (this transfer's) so far; an event at most every 0.1 s unless
        ``force``. The speed (bytes/s) spans from the oldest sample still in the last two
        seconds (the previous one at least) to now."""
        if self.callback is None:
            return
        now = self.clock()
        if not force and now - self.last < _PROGRESS_INTERVAL:
            return
        self.last = now
        self.samples.append((now, received))
        while len(self.samples) > 2 and now - self.samples[0][0] > _SPEED_WINDOW:
            self.samples.popleft()
        then, before = self.samples[0]
        speed = (received - before) / (now - then) if now > then else 0.0
        self.callback(
            DownloadProgress(time.time(), self.resumed + received, self.total, speed, self.resumed)
        )


def hash_existing(
    fd: int,
    length: int,
    hasher: hashlib._Hash,
    check: Callable[[], None],
    on_bytes: Callable[[int], None] | None = None,
) -> None:
    """Feed the first ``length`` bytes of ``fd`` to ``hasher``, a megabyte at a time.

    ``check`` runs before every read (it raises to stop: a cancel or a deadline ends even a long
    check at once); ``on_bytes`` gets the count hashed so far after each read. The file position
    is left anywhere.

    Raises:
        TransferError: the file is shorter than ``length``; and whatever ``check`` raises.
    """
    done = 0
    os.lseek(fd, 0, os.SEEK_SET)
    while done < length:
        check()
        # Sequential reads: positional ones (pread) do not exist on Windows.
        data = os.read(fd, min(BUFFER, length - done))
        if not data:
            raise TransferError(_("the part file became shorter while it was being checked"))
        hasher.update(data)
        done += len(data)
        if on_bytes is not None:
            on_bytes(done)


def write_all(fd: int, view: memoryview) -> None:
    while view:
        written = os.write(fd, view)
        view = view[written:]


def _sync_folder(folder: Path) -> None:
    """Make the rename durable too (POSIX); harmless where folders cannot be opened (Windows:
    os.open of a folder fails with EACCES)."""
    try:
        dir_fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(dir_fd)
    except OSError:
        pass
    finally:
        os.close(dir_fd)


def strerror(exc: OSError) -> str:
    text = exc.strerror or str(exc)
    return text[:1].lower() + text[1:]
