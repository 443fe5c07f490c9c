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
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from types import TracebackType
from typing import Self

from net.errors import TransferError

__all__ = ["LocalFileError", "ShareTable", "SharedFile"]

_HASH_CHUNK = 1024 * 1024


class LocalFileError(TransferError, ValueError):
    """A file or folder on this computer that the user named cannot be used (missing, unreadable,
    not a regular file). It is bad input: the CLI exits 2."""


@dataclass(frozen=True, slots=True)
class SharedFile:
    """One shared file as the table knows it; ``sha256`` (hex) is None until it is computed."""

    name: str  # display name, unique in the table
    path: Path  # resolved when added; never derived from a request
    size: int
    mtime: float
    sha256: str | None = None
    mtime_ns: int = 0


_Key = tuple[str, int, int]  # (path, size, mtime_ns): what a cached checksum belongs to


class ShareTable:
    """Display name -> file, thread-safe. Duplicated base names become "name (2)", "name (3)".

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
        self._cache: dict[_Key, str] = {}
        self._queue: list[str] = []  # display names waiting for a checksum
        self._hashing: str | None = None
        self._on_change = on_change
        self._hash_files = hash_files
        self._closed = False
        self._thread: threading.Thread | None = None

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

        Symbolic links are followed only when they stay inside the folder; hidden files and folders
        (names starting with ".") are left out unless ``include_hidden``. Files that cannot be
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
            dirnames[:] = sorted(d for d in dirnames if include_hidden or not d.startswith("."))
            for filename in sorted(filenames):
                if not include_hidden and filename.startswith("."):
                    continue
                entry = Path(dirpath) / filename
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
            self._entries.pop(name, None)
            if name in self._queue:
                self._queue.remove(name)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._queue.clear()

    def lookup(self, name: str) -> SharedFile | None:
        """The entry for exactly this display name, or None."""
        with self._lock:
            return self._entries.get(name)

    def files(self) -> list[SharedFile]:
        """Every entry, in the order they were added."""
        with self._lock:
            return list(self._entries.values())

    def __contains__(self, name: object) -> bool:
        with self._lock:
            return name in self._entries

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
            self._entries[name] = replace(
                entry,
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
            thread = self._thread
        if thread is not None and thread is not threading.current_thread():
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
            while name in self._entries:
                name = f"{base} ({number})"
                number += 1
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
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._hash_loop, name="swb-share-hash", daemon=True
            )
            self._thread.start()
        self._lock.notify_all()

    def _hash_loop(self) -> None:
        while True:
            with self._lock:
                self._hashing = None
                self._lock.notify_all()
                self._lock.wait_for(lambda: self._closed or bool(self._queue))
                if self._closed:
                    return
                name = self._queue.pop(0)
                entry = self._entries.get(name)
                if entry is None:
                    continue
                self._hashing = name
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
                    self._entries[name] = replace(current, sha256=digest)
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
