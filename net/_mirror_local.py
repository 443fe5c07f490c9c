"""The local side of a mirror (:mod:`net.mirror`): DIR's folders, the staging folder and its
``.part`` files, and whether a local copy is already the file listed."""

from __future__ import annotations

import concurrent.futures
import contextlib
import functools
import hashlib
import os
import stat
from dataclasses import dataclass
from pathlib import Path

from net._i18n import _
from net._loop import StoppableLoop
from net.download import TransferCancelled
from net.download.files import hash_existing
from net.errors import TransferError, describe_io_error
from net.events import MirrorFile

#: The folder inside DIR where files are downloaded before they replace their local copy.
STAGING = ".swb-mirror"


@dataclass(frozen=True, slots=True)
class Entry:
    """A file of the remote tree, checked, with the local path it goes to."""

    local: Path  # where the file goes
    shown: str  # local path relative to DIR, "/"-separated
    url: str  # absolute, on the share's origin
    size: int
    mtime: float
    sha256: str | None
    key: str | None  # the server's "path" for it: its name in the server's zip


def empty(folder: Path) -> bool:
    """Whether ``folder`` has no entries (False when it cannot be read)."""
    try:
        with os.scandir(folder) as found:
            return next(found, None) is None
    except OSError:
        return False


def inside(folder: Path, top: Path) -> bool:
    """Whether ``folder``, resolved (links followed), is ``top`` or lies inside it."""
    try:
        return folder.resolve().is_relative_to(top)
    except (OSError, RuntimeError):
        return False


def make_folders(top: Path, folder: Path) -> bool:
    """Create ``folder`` below ``top`` one level at a time; False when a part of the way is a link
    or not a folder (never followed: it could lead outside DIR)."""
    current = top
    for part in folder.relative_to(top).parts:
        current = current / part
        try:
            st = current.lstat()
        except FileNotFoundError:
            with contextlib.suppress(FileExistsError):  # another worker made it meanwhile
                current.mkdir()
            st = current.lstat()
        if not stat.S_ISDIR(st.st_mode):
            return False
    return True


def part_name(entry: Entry) -> str:
    """The .part of one version of one file: named after its local path and the list's SHA-256,
    so that bytes of another version are never resumed."""
    key = f"{entry.shown}\0{entry.sha256 or ''}".encode()
    return hashlib.sha256(key).hexdigest()[:32] + ".part"


def clean_staging(staging: Path, keep: set[str]) -> None:
    """Delete the staging folder's parts except ``keep`` (those of files that failed now, to
    resume next time), and the folder when it is empty."""
    with contextlib.suppress(OSError):
        for part in staging.iterdir():
            if part.name not in keep:
                part.unlink()
        staging.rmdir()


def part_size(part: Path) -> int:
    """Bytes a ``.part`` holds (0 when there is none); a link is not followed (open_part then
    refuses it)."""
    try:
        return part.lstat().st_size
    except FileNotFoundError:
        return 0


def raise_if_stopped(loop: StoppableLoop) -> None:
    """Raises TransferCancelled once ``loop`` is stopping."""
    if loop.stopping:
        raise TransferCancelled(_("stopped"))


def local_checks(
    top: Path,
    entries: list[Entry],
    pool: concurrent.futures.Executor,
    loop: StoppableLoop,
) -> list[MirrorFile | None]:
    """For each entry, the outcome when the local copy decides it (up to date, or something
    in the way), or None when the file must be fetched. Folders are made here (each once);
    files that exist are hashed by the workers of ``pool`` (stopped with ``loop``)."""
    outcomes: list[MirrorFile | None] = [None] * len(entries)
    made: set[Path] = {top}
    emptied: dict[Path, bool] = {}  # a folder without entries holds none of the files
    existing: list[int] = []
    for index, entry in enumerate(entries):
        folder = entry.local.parent
        if folder not in made:
            try:
                ready = make_folders(top, folder)
            except OSError as exc:
                ready = False
                why = describe_io_error(exc, str(top))
            else:
                why = _("a folder on its way is a link or a file here")
            if not ready:
                outcomes[index] = MirrorFile(entry.shown, "failed", entry.size, why)
                continue
            made.add(folder)
        if folder not in emptied:
            emptied[folder] = empty(folder)
        if not emptied[folder] and os.path.lexists(entry.local):
            existing.append(index)
    checked = pool.map(lambda i: _local_check(top, entries[i], loop), existing)
    for index, outcome in zip(existing, checked, strict=True):
        outcomes[index] = outcome
    return outcomes


def _local_check(top: Path, entry: Entry, loop: StoppableLoop) -> MirrorFile | None:
    """The outcome when the existing local copy decides it; None when it must be fetched."""
    try:
        if entry.local.is_symlink() or entry.local.is_dir():
            return MirrorFile(
                entry.shown, "failed", entry.size, _("a link or a folder has its name")
            )
        if entry.sha256 is not None and _same_file(entry.local, entry.size, entry.sha256, loop):
            return MirrorFile(
                entry.shown, "up to date", entry.size, verified=True, sha256=entry.sha256
            )
    except TransferCancelled:
        return MirrorFile(entry.shown, "failed", entry.size, "stopped")
    except OSError as exc:
        return MirrorFile(entry.shown, "failed", entry.size, describe_io_error(exc, str(top)))
    return None


def _same_file(path: Path, size: int, sha256: str, loop: StoppableLoop) -> bool:
    """Whether the regular file at ``path`` has this size and SHA-256 (read when sizes match)."""
    try:
        st = path.lstat()
    except OSError:
        return False
    if not stat.S_ISREG(st.st_mode) or st.st_size != size:
        return False
    digest = hashlib.sha256()
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_BINARY", 0) | getattr(os, "O_CLOEXEC", 0))
    except OSError:
        return False
    try:
        hash_existing(fd, size, digest, functools.partial(raise_if_stopped, loop))
    except TransferCancelled:
        raise
    except (OSError, TransferError):  # unreadable, or shorter than its size a moment ago
        return False
    finally:
        os.close(fd)
    return digest.hexdigest() == sha256
