"""The share table: which files the file server offers, under which display names, with checksums.

A request names a display name and is looked up here by exact key; nothing ever turns request bytes
into a filesystem path. Paths are resolved (symlinks followed) once, when a file is added. SHA-256
checksums are computed by one background thread and cached by (path, size, mtime).
"""

from __future__ import annotations

import hashlib
import os
import stat
import threading
import unicodedata
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import Self

from net._record import Record
from net.errors import TransferError

__all__ = ["LocalFileError", "ShareTable", "SharedFile", "is_hidden", "numbered_name"]

_HASH_CHUNK = 1024 * 1024
#: Files at least this big are hashed in their own lane, so that small files never wait behind
#: them (a 4 GiB file takes about ten seconds to hash on a fast disk, minutes on a slow one).
_BIG_FILE = 64 * 1024 * 1024

#: Files and folders Windows and macOS put in folders by themselves; never shared from a folder
#: (compared case-insensitively). Names starting with "." (.DS_Store, ._x) are hidden anyway.
_SYSTEM_NAMES = frozenset(
    {"desktop.ini", "thumbs.db", "ehthumbs.db", "$recycle.bin", "system volume information"}
)
# stat.FILE_ATTRIBUTE_HIDDEN / _SYSTEM (Windows, os.stat_result.st_file_attributes).
_HIDDEN_ATTRIBUTES = 0x2 | 0x4


def is_hidden(name: str, st: object | None = None) -> bool:
    """Whether a file or folder found in a shared folder is hidden or belongs to the system: a
    name starting with ".", a Windows system file (desktop.ini, Thumbs.db, $RECYCLE.BIN, System
    Volume Information), or, where ``st`` (an os.stat_result) carries ``st_file_attributes``
    (Windows), the hidden or system attribute."""
    if name.startswith(".") or name.casefold() in _SYSTEM_NAMES:
        return True
    attributes = getattr(st, "st_file_attributes", 0)
    return isinstance(attributes, int) and bool(attributes & _HIDDEN_ATTRIBUTES)


def numbered_name(name: str, number: int) -> str:
    """The name a second, third ... file of the same name gets: "readme.txt" -> "readme (2).txt"
    (the extension stays last, so the file still opens with its program); "README" -> "README (2)",
    ".bashrc" -> ".bashrc (2)". The download side numbers saved files the same way."""
    stem, dot, ext = name.rpartition(".")
    if not stem:
        return f"{name} ({number})"
    return f"{stem} ({number}){dot}{ext}"


def _lookup_key(name: str) -> str:
    # macOS stores names decomposed (NFD), people and browsers type them composed (NFC): one
    # file, two spellings. NFC only: compatibility forms (NFKC) would turn "．．" into "..".
    return unicodedata.normalize("NFC", name)


class LocalFileError(TransferError, ValueError):
    """A file or folder on this computer that the user named cannot be used (missing, unreadable,
    not a regular file). It is bad input: the CLI exits 2."""


class SharedFile(Record):
    """One shared file as the table knows it; ``sha256`` (hex) is None until it is computed."""

    name: str  # display name, unique in the table
    path: Path  # resolved when added; never derived from a request
    size: int
    mtime: float
    sha256: str | None = None
    mtime_ns: int = 0


_Key = tuple[str, int, int]  # (path, size, mtime_ns): what a cached checksum belongs to


class ShareTable:
    """Display name -> file, thread-safe. Duplicated base names become "name (2).ext", "name (3).ext"
    (:func:`numbered_name`); names that differ only in Unicode normalisation count as duplicates.

    Args:
        on_change: called (from any thread, without the table's lock held) after a checksum becomes
            known or an entry changes by itself; cheap, like every net callback.
        hash_files: compute SHA-256 checksums in the background (on by default).
    """

    def __init__(
        self, *, on_change: Callable[[], None] | None = None, hash_files: bool = True
    ) -> None:
        self._lock = threading.Condition()
        self._entries: dict[str, SharedFile] = {}
        self._keys: dict[str, str] = {}  # NFC of each display name -> the display name
        self._cache: dict[_Key, str] = {}
        self._queue: list[str] = []  # display names waiting for a checksum
        self._hashing: set[str] = set()  # display names being hashed now (one per lane)
        self._on_change = on_change
        self._hash_files = hash_files
        self._closed = False
        self._threads: dict[bool, threading.Thread] = {}  # lane (big files?) -> its thread

    # ---- what the GUI and the CLI call -------------------------------------------------------

    def add(self, path: str | os.PathLike[str]) -> str:
        """Share one file; returns its display name (the same name again for a file already shared).

        Raises:
            LocalFileError: the file is missing, a folder, not a regular file, or unreadable.
        """
        given = Path(os.fspath(path))
        real, st = _check_file(given)
        return self._insert(given.name or real.name, real, st)

    def add_folder(
        self,
        path: str | os.PathLike[str],
        *,
        include_hidden: bool = False,
        on_skip: Callable[[str, str], None] | None = None,
    ) -> list[str]:
        """Share every regular file under a folder, recursively; returns the display names added.

        Symbolic links are followed only when they stay inside the folder; hidden and system
        files and folders (:func:`is_hidden`: ".name", desktop.ini, Thumbs.db, $RECYCLE.BIN, the
        hidden/system attributes on Windows) are left out unless ``include_hidden``. Files that cannot be
        shared are skipped and reported to ``on_skip(path, reason)``.

        Raises:
            LocalFileError: the folder is missing or not a folder.
        """
        given = Path(os.fspath(path))
        try:
            root = given.resolve(strict=True)
        except FileNotFoundError:
            raise LocalFileError(f"{given} does not exist") from None
        except (OSError, RuntimeError) as exc:
            raise LocalFileError(f"{given} cannot be opened: {_reason(exc)}") from exc
        if not root.is_dir():
            raise LocalFileError(f"{given} is not a folder")
        names: list[str] = []

        def skip(where: Path, reason: str) -> None:
            if on_skip is not None:
                on_skip(str(where), reason)

        for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
            dirnames[:] = sorted(
                d for d in dirnames if include_hidden or not is_hidden(d, _lstat(Path(dirpath) / d))
            )
            for filename in sorted(filenames):
                entry = Path(dirpath) / filename
                if not include_hidden and is_hidden(filename, _lstat(entry)):
                    continue
                try:
                    real = entry.resolve(strict=True)
                except (OSError, RuntimeError):
                    skip(entry, "a broken link")
                    continue
                if not real.is_relative_to(root):
                    skip(entry, "a link that leads outside the folder")
                    continue
                try:
                    real, st = _check_file(entry)
                except LocalFileError as exc:
                    skip(entry, str(exc))
                    continue
                name = self._insert(filename, real, st)
                if name not in names:
                    names.append(name)
        return names

    def add_path(self, path: str | os.PathLike[str]) -> list[str]:
        """A file or a folder, as dropped on the share list or named on the command line."""
        if Path(os.fspath(path)).is_dir():
            return self.add_folder(path)
        return [self.add(path)]

    def remove(self, name: str) -> None:
        """Stop sharing ``name``; unknown names are ignored (the list may have changed meanwhile)."""
        with self._lock:
            if self._entries.pop(name, None) is not None:
                self._keys.pop(_lookup_key(name), None)
            if name in self._queue:
                self._queue.remove(name)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._keys.clear()
            self._queue.clear()

    def lookup(self, name: str) -> SharedFile | None:
        """The entry for this display name, or None.

        The whole name is the key: never a part of it, never a path made from it. The one
        latitude is Unicode normalisation (a name typed in NFC finds a file stored in NFD, as
        macOS stores them), which cannot make two shared names meet: they are unique in NFC too.
        """
        with self._lock:
            entry = self._entries.get(name)
            if entry is None:
                display = self._keys.get(_lookup_key(name))
                entry = self._entries.get(display) if display is not None else None
            return entry

    def files(self) -> list[SharedFile]:
        """Every entry, in the order they were added."""
        with self._lock:
            return list(self._entries.values())

    def available_files(self) -> list[SharedFile]:
        """The entries whose file is still a regular file at its path (checked now, one stat
        each): what the server lists. A file moved away or deleted on disk is left out."""
        return [entry for entry in self.files() if _still_there(entry.path)]

    def missing(self) -> list[str]:
        """Display names whose file is no longer at its path (moved away, deleted)."""
        return [entry.name for entry in self.files() if not _still_there(entry.path)]

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and self.lookup(name) is not None

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)

    def refresh(self, name: str, size: int, mtime_ns: int) -> None:
        """The server saw the file with another size or time: record it and compute a new checksum."""
        with self._lock:
            entry = self._entries.get(name)
            if entry is None or (entry.size, entry.mtime_ns) == (size, mtime_ns):
                return
            key = (str(entry.path), size, mtime_ns)
            self._entries[name] = entry.replace(
                size=size,
                mtime=mtime_ns / 1e9,
                mtime_ns=mtime_ns,
                sha256=self._cache.get(key),
            )
            if self._entries[name].sha256 is None:
                self._enqueue(name)
        self._changed()

    def wait_hashed(self, timeout: float | None = None) -> bool:
        """Wait until every shared file has a checksum (or hashing is off); False on timeout."""
        with self._lock:
            return self._lock.wait_for(
                lambda: (
                    self._closed or not self._hash_files or (not self._queue and not self._hashing)
                ),
                timeout,
            )

    def close(self) -> None:
        """Stop the checksum thread (within one chunk of reading) and wait for it."""
        with self._lock:
            self._closed = True
            self._queue.clear()
            self._lock.notify_all()
            threads = list(self._threads.values())
        for thread in threads:
            if thread is not threading.current_thread():
                thread.join()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # ---- internals ---------------------------------------------------------------------------

    def _insert(self, base: str, real: Path, st: os.stat_result) -> str:
        with self._lock:
            for entry in self._entries.values():
                if entry.path == real:
                    return entry.name
            name = base
            number = 2
            while _lookup_key(name) in self._keys:
                name = numbered_name(base, number)
                number += 1
            self._keys[_lookup_key(name)] = name
            key = (str(real), st.st_size, st.st_mtime_ns)
            self._entries[name] = SharedFile(
                name=name,
                path=real,
                size=st.st_size,
                mtime=st.st_mtime,
                sha256=self._cache.get(key),
                mtime_ns=st.st_mtime_ns,
            )
            if self._entries[name].sha256 is None:
                self._enqueue(name)
            return name

    def _enqueue(self, name: str) -> None:
        # Called with the lock held.
        if not self._hash_files or self._closed:
            return
        if name not in self._queue:
            self._queue.append(name)
        lane = self._entries[name].size >= _BIG_FILE
        if lane not in self._threads:
            thread = threading.Thread(
                target=self._hash_loop,
                args=(lane,),
                name="swb-share-hash-big" if lane else "swb-share-hash",
                daemon=True,
            )
            self._threads[lane] = thread
            thread.start()
        self._lock.notify_all()

    def _next_in_lane(self, big: bool) -> str | None:
        """The smallest queued file of this lane (called with the lock held)."""
        best: SharedFile | None = None
        for name in self._queue:
            entry = self._entries.get(name)
            if (
                entry is not None
                and (entry.size >= _BIG_FILE) == big
                and (best is None or entry.size < best.size)
            ):
                best = entry
        return best.name if best is not None else None

    def _hash_loop(self, big: bool) -> None:
        """One lane: files under 64 MiB, smallest first, or the big ones; so a small file waits
        for small files only, and two threads at most read at once."""
        name: str | None = None
        while True:
            with self._lock:
                if name is not None:
                    self._hashing.discard(name)
                self._queue[:] = [n for n in self._queue if n in self._entries]
                self._lock.notify_all()
                self._lock.wait_for(lambda: self._closed or self._next_in_lane(big) is not None)
                if self._closed:
                    return
                name = self._next_in_lane(big)
                assert name is not None
                self._queue.remove(name)
                entry = self._entries[name]
                self._hashing.add(name)
            digest = self._hash(entry)
            changed = False
            with self._lock:
                current = self._entries.get(name)
                if digest is not None:
                    self._cache[(str(entry.path), entry.size, entry.mtime_ns)] = digest
                if (
                    digest is not None
                    and current is not None
                    and (current.path, current.size, current.mtime_ns)
                    == (entry.path, entry.size, entry.mtime_ns)
                ):
                    self._entries[name] = current.replace(sha256=digest)
                    changed = True
            if changed:
                self._changed()

    def _hash(self, entry: SharedFile) -> str | None:
        """SHA-256 of the file if it still has the entry's size and time when read; else None."""
        digest = hashlib.sha256()
        buffer = bytearray(_HASH_CHUNK)
        view = memoryview(buffer)
        try:
            # O_NONBLOCK: a file swapped for a pipe cannot hang this thread (and close()) in open();
            # O_NOFOLLOW: one swapped for a link is not followed; either is then no regular file.
            flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOFOLLOW", 0)
            fd = os.open(
                entry.path, flags | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)
            )
            with open(fd, "rb", buffering=0) as file:
                before = os.fstat(file.fileno())
                if not stat.S_ISREG(before.st_mode):
                    return None
                if (before.st_size, before.st_mtime_ns) != (entry.size, entry.mtime_ns):
                    self.refresh(entry.name, before.st_size, before.st_mtime_ns)
                    return None
                while True:
                    if self._closed:
                        return None
                    count = file.readinto(view)
                    if not count:
                        break
                    digest.update(view[:count])
                after = os.fstat(file.fileno())
        except OSError:
            return None  # unreadable now: the server answers 404 when asked; no checksum
        if (after.st_size, after.st_mtime_ns) != (entry.size, entry.mtime_ns):
            self.refresh(entry.name, after.st_size, after.st_mtime_ns)
            return None
        return digest.hexdigest()

    def _changed(self) -> None:
        if self._on_change is not None:
            self._on_change()


def _lstat(path: Path) -> os.stat_result | None:
    try:
        return path.lstat()
    except OSError:
        return None


def _still_there(path: Path) -> bool:
    try:
        return stat.S_ISREG(path.stat().st_mode)
    except OSError:
        return False


def _check_file(given: Path) -> tuple[Path, os.stat_result]:
    """Resolve ``given`` (a link is followed now, never at request time) and check it can be served."""
    try:
        real = given.resolve(strict=True)
        st = real.stat()
    except FileNotFoundError:
        raise LocalFileError(f"{given} does not exist") from None
    except (OSError, RuntimeError) as exc:
        raise LocalFileError(f"{given} cannot be opened: {_reason(exc)}") from exc
    if stat.S_ISDIR(st.st_mode):
        raise LocalFileError(f"{given} is a folder: share the folder to share the files in it")
    if not stat.S_ISREG(st.st_mode):
        raise LocalFileError(f"{given} is not a regular file (a device, pipe or socket)")
    try:
        with open(real, "rb", buffering=0):
            pass
    except PermissionError:
        raise LocalFileError(f"{given} cannot be read: permission denied") from None
    except OSError as exc:
        raise LocalFileError(f"{given} cannot be read: {_reason(exc)}") from exc
    return real, st


def _reason(exc: BaseException) -> str:
    if isinstance(exc, RuntimeError):
        return "the links around it form a loop"
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror[:1].lower() + exc.strerror[1:]
    return str(exc) or type(exc).__name__
