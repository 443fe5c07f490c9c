"""The share table: which files the file server offers, under which names, with checksums.

A file shared alone sits at the root under its display name ("report.pdf"). A shared folder keeps
its tree: the folder gets a display name at the root ("photos"), and each file in it the key
"photos/2024/a b.jpg" (the relative path's segments joined with "/"). A request names a key and is
looked up here by exact key; nothing ever turns request bytes into a filesystem path. Paths are
resolved (symlinks followed) once, when a file is added or its folder walked again. SHA-256
checksums are computed by background threads and cached by (path, size, mtime).

Rescanning: a shared folder is walked when it is added, and again when a list of it (HTML, JSON
or zip) is asked for and its last walk is older than :data:`RESCAN_AFTER` seconds (see
:meth:`ShareTable.rescan`); so files added or removed on disk appear or disappear in the next list.
"""

from __future__ import annotations

import os
import stat
import time
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import Self

from net._i18n import _
from net._share_hash import Checksums, Hashed
from net._share_index import SharedFile, SharedFolder, ShareIndex
from net._share_walk import (
    Root,
    Walked,
    check_file,
    is_hidden,
    lookup_key,
    renamed,
    resolve_given,
    walk,
)
from net.errors import LocalFileError

__all__ = [
    "RESCAN_AFTER",
    "LocalFileError",
    "ShareTable",
    "SharedFile",
    "SharedFolder",
    "is_hidden",
    "numbered_name",
]

#: Seconds a shared folder's last walk stays good for: a list asked for later walks it again.
RESCAN_AFTER = 2.0

#: A folder whose walk took t seconds is walked again at most every ``_RESCAN_FACTOR * t``
#: seconds (and never more often than ``rescan_after``): so lists of a folder of 100,000 files
#: (a second or two to walk) spend most of their time answering, not walking.
_RESCAN_FACTOR = 10.0


def numbered_name(name: str, number: int) -> str:
    """The name a second, third ... file of the same name gets: "readme.txt" -> "readme (2).txt"
    (the extension stays last, so the file still opens with its program); "README" -> "README (2)",
    ".bashrc" -> ".bashrc (2)". The download side numbers saved files the same way."""
    stem, dot, ext = name.rpartition(".")
    if not stem:
        return f"{name} ({number})"
    return f"{stem} ({number}){dot}{ext}"


class ShareTable(ShareIndex):
    """Key -> file or folder, thread-safe (see the module's docstring for keys).

    At the root, duplicated names become "name (2).ext", "name (3).ext" (:func:`numbered_name`;
    a folder "photos (2)"); names that differ only in Unicode normalisation count as duplicates.
    Inside a shared folder the names are the folder's own, so they are unique already; of two that
    differ only in normalisation (possible on Linux) the second is left out. The lookups and
    listings are :class:`net._share_index.ShareIndex`'s; checksums come from
    :class:`net._share_hash.Checksums`, folder walks from :func:`net._share_walk.walk`.

    Args:
        on_change: called (from any thread, without the table's lock held) after a checksum becomes
            known or an entry changes by itself; cheap, like every net callback.
        hash_files: compute SHA-256 checksums in the background (on by default).
        rescan_after: seconds a shared folder's last walk stays good for (:meth:`rescan`).
    """

    def __init__(
        self,
        *,
        on_change: Callable[[], None] | None = None,
        hash_files: bool = True,
        rescan_after: float = RESCAN_AFTER,
    ) -> None:
        super().__init__()
        self.rescan_after = rescan_after
        self._on_change = on_change
        self._checksums = Checksums(self, enabled=hash_files)

    # ---- what the GUI and the CLI call -------------------------------------------------------

    def add(self, path: str | os.PathLike[str]) -> str:
        """Share one file; returns its display name (the same name again for a file already shared).

        Raises:
            LocalFileError: the file is missing, a folder, not a regular file, or unreadable.
        """
        given = Path(os.fspath(path))
        real, st = check_file(given)
        return self._insert(given.name or real.name, real, st)

    def rescan(self, name: str, *, max_age: float | None = None) -> None:
        """Walk the shared folder that holds the key ``name`` again when its last walk is older
        than ``max_age`` seconds (None: ``rescan_after``, or ten times what the last walk took
        when that is longer; ``rescan_after`` 0 or ``max_age`` 0: always), so that files added, changed or removed on disk show;
        other keys are ignored. Runs on the caller's thread (the server's transfer thread that
        answers a list), one walk of the folder, without holding the table's lock."""
        with self._lock:
            root = self._roots.get(name.partition("/")[0])
            if root is None:
                return
            age = self.rescan_after if max_age is None else max_age
            if max_age is None and age > 0:  # 0 means every list, as tests ask
                age = max(age, _RESCAN_FACTOR * root.took)
            if time.monotonic() - root.scanned < age:
                return
            root.scanned = time.monotonic()  # another list asked meanwhile does not walk too
        started = time.monotonic()
        try:
            walked = walk(root, None, checked=False)
        except OSError:
            walked = ({}, {})  # the folder itself is gone: so are its files
        root.took = time.monotonic() - started
        with self._lock:
            if self._roots.get(root.name) is root:
                self._apply(root, walked)
        self._changed()

    def add_folder(
        self,
        path: str | os.PathLike[str],
        *,
        include_hidden: bool = False,
        on_skip: Callable[[str, str], None] | None = None,
        on_progress: Callable[[int], None] | None = None,
    ) -> list[str]:
        """Share a folder with its tree: the folder gets a display name at the root (its own
        name, numbered when taken) and each file the key "name/sub/file"; returns the files' keys.
        Sharing a folder that is shared already walks it again and returns its keys. The walk
        runs on the caller's thread (a GUI runs it on a worker: 100,000 files take seconds) and
        reports the number of files found so far to ``on_progress(files)`` every 1,000 files.

        Symbolic links are followed only when they stay inside the folder; hidden and system
        files and folders (:func:`is_hidden`: ".name", desktop.ini, Thumbs.db, $RECYCLE.BIN, the
        hidden/system attributes on Windows) are left out unless ``include_hidden``. Files that cannot be
        shared are skipped and reported to ``on_skip(path, reason)``.

        Raises:
            LocalFileError: the folder is missing or not a folder.
        """
        given = Path(os.fspath(path))
        top, st = resolve_given(given)
        if not stat.S_ISDIR(st.st_mode):
            raise LocalFileError(_("{given} is not a folder").format(given=given))
        with self._lock:
            for known in self._roots.values():
                if known.path == top:
                    break
            else:
                known = None
        if known is not None:
            self.rescan(known.name, max_age=0)
            with self._lock:
                prefix = known.name + "/"
                return [k for k in self._entries if k.startswith(prefix)]
        base = given.name or top.name or "folder"
        started = time.monotonic()
        walked = walk(Root(base, top, include_hidden, 0.0), on_skip, on_progress=on_progress)
        with self._lock:
            name = base
            number = 2
            while lookup_key(name) in self._keys:
                name = f"{base} ({number})"
                number += 1
            root = Root(name, top, include_hidden, time.monotonic())
            root.took = root.scanned - started
            if name != base:
                walked = renamed(walked, base, name)
            self._roots[name] = root
            names = self._apply(root, walked)
        return names

    def add_path(self, path: str | os.PathLike[str]) -> list[str]:
        """A file or a folder, as dropped on the share list or named on the command line."""
        if Path(os.fspath(path)).is_dir():
            return self.add_folder(path)
        return [self.add(path)]

    def remove(self, name: str) -> None:
        """Stop sharing ``name`` (a file, or a shared folder with everything in it); unknown
        names are ignored (the list may have changed meanwhile)."""
        with self._lock:
            root = self._roots.pop(name, None)
            if root is not None:
                self._apply(root, ({}, {}))  # as if a walk found nothing: every key below goes
                return
            entry = self._entries.get(name)
            if entry is not None:
                if self._singles.get(entry.path) == name:
                    del self._singles[entry.path]
                self._drop_key(name)

    def clear(self) -> None:
        with self._lock:
            self._shape += 1
            self._entries.clear()
            self._keys.clear()
            self._checksums.clear()
            self._folders.clear()
            self._children = {"": {}}
            self._roots.clear()
            self._singles.clear()

    def refresh(self, name: str, size: int, mtime_ns: int) -> None:
        """The server saw the file with another size or time: record it and compute a new checksum."""
        with self._lock:
            entry = self._entries.get(name)
            if entry is None or (entry.size, entry.mtime_ns) == (size, mtime_ns):
                return
            self._entries[name] = entry.replace(
                size=size,
                mtime=mtime_ns / 1e9,
                mtime_ns=mtime_ns,
                sha256=self._checksums.known(entry.path, size, mtime_ns),
            )
            if self._entries[name].sha256 is None:
                self._checksums.enqueue(name, size)
        self._changed()

    def wait_hashed(self, timeout: float | None = None) -> bool:
        """Wait until every shared file has a checksum (or hashing is off); False on timeout."""
        with self._lock:
            return self._lock.wait_for(self._checksums.done, timeout)

    def close(self) -> None:
        """Stop the checksum threads (within one chunk of reading) and wait for them."""
        self._checksums.close()

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

    def _apply(self, root: Root, walked: Walked) -> list[str]:
        """Make the table hold what a walk of ``root`` found (called with the lock held); returns
        the keys of its files."""
        folders, files = walked
        prefix = root.name + "/"
        old_files = [k for k in self._entries if k.startswith(prefix)]
        for key in old_files:
            if key not in files:
                self._drop_key(key)
        for key in [k for k in self._folders if k == root.name or k.startswith(prefix)]:
            if key not in folders:
                self._drop_key(key)
        for key, (path, mtime) in folders.items():  # parents come before their children
            self._folders[key] = SharedFolder(key, path, mtime)
            if key not in self._children:
                self._shape += 1
                self._children[key] = {}
                self._keys[lookup_key(key)] = key
                parent = key.rpartition("/")[0]
                self._children[parent][key] = True
        for key, (real, st) in files.items():
            current = self._entries.get(key)
            if current is not None and (current.path, current.size, current.mtime_ns) == (
                real,
                st.st_size,
                st.st_mtime_ns,
            ):
                continue
            self._put(key, real, st)
            if current is None:
                self._children[key.rpartition("/")[0]][key] = False
        return list(files)

    def _drop_key(self, key: str) -> None:
        """Forget one file or folder key (called with the lock held; not its children)."""
        self._shape += 1
        if self._entries.pop(key, None) is not None:
            self._checksums.forget(key)
        elif self._folders.pop(key, None) is not None:
            self._children.pop(key, None)
        else:
            return
        self._keys.pop(lookup_key(key), None)
        parent = self._children.get(key.rpartition("/")[0])
        if parent is not None:
            parent.pop(key, None)

    def _insert(self, base: str, real: Path, st: os.stat_result) -> str:
        """A file shared alone, at the root (once: the same file again keeps its name)."""
        with self._lock:
            known = self._singles.get(real)
            if known is not None:
                return known
            name = base
            number = 2
            while lookup_key(name) in self._keys:
                name = numbered_name(base, number)
                number += 1
            self._put(name, real, st)
            self._singles[real] = name
            self._children[""][name] = False
            return name

    def _put(self, name: str, real: Path, st: os.stat_result) -> None:
        """Add or replace the file entry ``name`` (called with the lock held)."""
        if name not in self._entries:
            self._shape += 1
        self._keys[lookup_key(name)] = name
        self._entries[name] = SharedFile(
            name=name,
            path=real,
            size=st.st_size,
            mtime=st.st_mtime,
            sha256=self._checksums.known(real, st.st_size, st.st_mtime_ns),
            mtime_ns=st.st_mtime_ns,
        )
        if self._entries[name].sha256 is None:
            self._checksums.enqueue(name, st.st_size)

    def _hashed_entry(self, name: str) -> Hashed | None:
        return self._entries.get(name)  # called by the checksum threads, with the lock held

    def _store_checksum(self, hashed: Hashed, digest: str) -> bool:
        """A checksum computed for ``hashed`` (called with the lock held): kept when the entry
        still is that file at that size and time."""
        current = self._entries.get(hashed.name)
        if current is None or (current.path, current.size, current.mtime_ns) != (
            hashed.path,
            hashed.size,
            hashed.mtime_ns,
        ):
            return False
        self._entries[hashed.name] = current.replace(sha256=digest)
        return True

    def _changed(self) -> None:
        if self._on_change is not None:
            self._on_change()
