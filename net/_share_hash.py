"""The share table's checksums: SHA-256 of each shared file, computed by background threads in
two lanes and cached by (path, size, mtime), so that a file shared again is not read again."""

from __future__ import annotations

import hashlib
import heapq
import itertools
import os
import stat
import threading
from pathlib import Path
from typing import Protocol

_HASH_CHUNK = 1024 * 1024
#: Files at least this big are hashed in their own lane, so that small files never wait behind
#: them (a 4 GiB file takes about ten seconds to hash on a fast disk, minutes on a slow one).
_BIG_FILE = 64 * 1024 * 1024

_Key = tuple[str, int, int]  # (path, size, mtime_ns): what a cached checksum belongs to


class Hashed(Protocol):
    """What a checksum is computed for: a shared file as the table knows it (a SharedFile)."""

    @property
    def name(self) -> str: ...
    @property
    def path(self) -> Path: ...
    @property
    def size(self) -> int: ...
    @property
    def mtime_ns(self) -> int: ...


class Table(Protocol):
    """What :class:`Checksums` needs of the share table (a :class:`net.share.ShareTable`)."""

    _lock: threading.Condition  # the table's lock: the one :class:`Checksums` works under

    def refresh(self, name: str, size: int, mtime_ns: int) -> None:
        """The file was found with another size or mtime (ns) than queued (without the lock)."""

    def _hashed_entry(self, name: str) -> Hashed | None:
        """The table's entry for a key now, None when gone (the lock held)."""

    def _store_checksum(self, hashed: Hashed, digest: str) -> bool:
        """Keep a checksum (the lock held); True when the entry still is the file hashed."""

    def _changed(self) -> None:
        """Tell the table's owner (without the lock) that a checksum was kept."""


class Checksums:
    """The queue of files waiting for a checksum, the threads that compute them and the cache.

    It shares the table's lock (a Condition): every method but :meth:`close` is called with it
    held, and the threads take it to pick a file and to hand a checksum back.

    Args:
        table: the share table the files are in.
        enabled: compute checksums at all (else :meth:`enqueue` does nothing).
    """

    def __init__(self, table: Table, *, enabled: bool) -> None:
        self._table = table
        self._lock = table._lock
        self._enabled = enabled
        self._cache: dict[_Key, str] = {}
        self._queue: dict[str, None] = {}  # keys waiting for a checksum (an ordered set)
        # per lane, (size, order, key): the smallest file first; stale items are skipped
        self._heaps: dict[bool, list[tuple[int, int, str]]] = {False: [], True: []}
        self._order = itertools.count()
        self._hashing: set[str] = set()  # display names being hashed now (one per lane)
        self._closed = False
        self._threads: dict[bool, threading.Thread] = {}  # lane (big files?) -> its thread

    def known(self, path: Path, size: int, mtime_ns: int) -> str | None:
        """The cached checksum (hex) of this file at this size and time, or None."""
        return self._cache.get((str(path), size, mtime_ns))

    def enqueue(self, name: str, size: int) -> None:
        """Queue the file ``name`` of ``size`` bytes for a checksum (starting its lane's thread)."""
        if not self._enabled or self._closed:
            return
        self._queue[name] = None
        lane = size >= _BIG_FILE
        heapq.heappush(self._heaps[lane], (size, next(self._order), name))
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

    def forget(self, name: str) -> None:
        """The file left the table: no checksum for it is wanted any more."""
        self._queue.pop(name, None)

    def clear(self) -> None:
        """Every file left the table."""
        self._queue.clear()

    def done(self) -> bool:
        """Whether nothing is queued or being hashed (or hashing is off or closed)."""
        return self._closed or not self._enabled or (not self._queue and not self._hashing)

    def close(self) -> None:
        """Stop the threads (within one chunk of reading) and wait for them (without the lock)."""
        with self._lock:
            self._closed = True
            self._queue.clear()
            self._lock.notify_all()
            threads = list(self._threads.values())
        for thread in threads:
            if thread is not threading.current_thread():
                thread.join()

    def _next_in_lane(self, big: bool) -> str | None:
        """The smallest queued file of this lane (called with the lock held); items of files
        removed, hashed or resized since they were queued are dropped on the way."""
        heap = self._heaps[big]
        while heap:
            size, _order, name = heap[0]
            entry = self._table._hashed_entry(name)
            if name in self._queue and entry is not None and entry.size == size:
                return name
            heapq.heappop(heap)
        return None

    def _hash_loop(self, big: bool) -> None:
        """One lane: files under 64 MiB, smallest first, or the big ones; so a small file waits
        for small files only, and two threads at most read at once."""
        name: str | None = None
        while True:
            with self._lock:
                if name is not None:
                    self._hashing.discard(name)
                self._lock.notify_all()
                self._lock.wait_for(lambda: self._closed or self._next_in_lane(big) is not None)
                if self._closed:
                    return
                name = self._next_in_lane(big)
                assert name is not None
                heapq.heappop(self._heaps[big])
                del self._queue[name]
                entry = self._table._hashed_entry(name)
                assert entry is not None
                self._hashing.add(name)
            digest = self._hash(entry)
            changed = False
            with self._lock:
                if digest is not None:
                    self._cache[(str(entry.path), entry.size, entry.mtime_ns)] = digest
                    changed = self._table._store_checksum(entry, digest)
            if changed:
                self._table._changed()

    def _hash(self, entry: Hashed) -> str | None:
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
                    self._table.refresh(entry.name, before.st_size, before.st_mtime_ns)
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
            self._table.refresh(entry.name, after.st_size, after.st_mtime_ns)
            return None
        return digest.hexdigest()
