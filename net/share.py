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

import hashlib
import heapq
import itertools
import os
import stat
import threading
import time
import unicodedata
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import Self

from net._i18n import _
from net._record import Record
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

#: A folder walk reports its count of files found every so many files.
_PROGRESS_EVERY = 1000
#: A folder whose walk took t seconds is walked again at most every ``_RESCAN_FACTOR * t``
#: seconds (and never more often than ``rescan_after``): so lists of a folder of 100,000 files
#: (a second or two to walk) spend most of their time answering, not walking.
_RESCAN_FACTOR = 10.0

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


class SharedFile(Record):
    """One shared file as the table knows it; ``sha256`` (hex) is None until it is computed."""

    name: str  # display name, unique in the table
    path: Path  # resolved when added; never derived from a request
    size: int
    mtime: float
    sha256: str | None = None
    mtime_ns: int = 0

    @property
    def base(self) -> str:
        """The file's own name: the last segment of its key ("a b.jpg" for "photos/2024/a b.jpg")."""
        return self.name.rpartition("/")[2]

    @property
    def parent(self) -> str:
        """The key of the folder it is in ("photos/2024"), "" for a file shared alone."""
        return self.name.rpartition("/")[0]


class SharedFolder(Record):
    """A folder inside the share: a shared folder ("photos") or one below it ("photos/2024")."""

    name: str  # key: segments joined with "/", unique in the table (with the files' keys)
    path: Path  # resolved when walked; never derived from a request
    mtime: float

    @property
    def base(self) -> str:
        return self.name.rpartition("/")[2]


class _Root:
    """A folder shared with :meth:`ShareTable.add_folder`, and when it was last walked."""

    __slots__ = ("include_hidden", "name", "path", "scanned", "took")

    def __init__(self, name: str, path: Path, include_hidden: bool, scanned: float) -> None:
        self.name = name
        self.path = path
        self.include_hidden = include_hidden
        self.scanned = scanned  # time.monotonic() of the last walk
        self.took = 0.0  # seconds the last walk took


_Walked = tuple[dict[str, tuple[Path, float]], dict[str, tuple[Path, os.stat_result]]]

_Key = tuple[str, int, int]  # (path, size, mtime_ns): what a cached checksum belongs to


class ShareTable:
    """Key -> file or folder, thread-safe (see the module's docstring for keys).

    At the root, duplicated names become "name (2).ext", "name (3).ext" (:func:`numbered_name`;
    a folder "photos (2)"); names that differ only in Unicode normalisation count as duplicates.
    Inside a shared folder the names are the folder's own, so they are unique already; of two that
    differ only in normalisation (possible on Linux) the second is left out.

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
        self.rescan_after = rescan_after
        self._lock = threading.Condition()
        self._entries: dict[str, SharedFile] = {}
        self._keys: dict[str, str] = {}  # NFC of each key (file or folder) -> the key
        self._folders: dict[str, SharedFolder] = {}
        # parent key ("" = root) -> its children's keys (True = a folder), in insertion order
        self._children: dict[str, dict[str, bool]] = {"": {}}
        self._roots: dict[str, _Root] = {}  # shared folders by display name
        self._singles: dict[Path, str] = {}  # files shared alone: resolved path -> key
        self._cache: dict[_Key, str] = {}
        self._queue: dict[str, None] = {}  # keys waiting for a checksum (an ordered set)
        # per lane, (size, order, key): the smallest file first; stale items are skipped
        self._heaps: dict[bool, list[tuple[int, int, str]]] = {False: [], True: []}
        self._order = itertools.count()
        self._shape = 0  # bumped when a key comes or goes (not when a checksum arrives)
        self._hashing: set[str] = set()  # display names being hashed now (one per lane)
        self._on_change = on_change
        self._hash_files = hash_files
        self._closed = False
        self._threads: dict[bool, threading.Thread] = {}  # lane (big files?) -> its thread
        # folder key -> (shape it was sorted at, its children's keys in listing order)
        self._sorted: dict[str, tuple[int, list[str]]] = {}

    # ---- what the GUI and the CLI call -------------------------------------------------------

    def add(self, path: str | os.PathLike[str]) -> str:
        """Share one file; returns its display name (the same name again for a file already shared).

        Raises:
            LocalFileError: the file is missing, a folder, not a regular file, or unreadable.
        """
        given = Path(os.fspath(path))
        real, st = _check_file(given)
        return self._insert(given.name or real.name, real, st)

    def _walk(
        self,
        root: _Root,
        on_skip: Callable[[str, str], None] | None,
        *,
        checked: bool = True,
        on_progress: Callable[[int], None] | None = None,
    ) -> _Walked:
        """Walk a shared folder (no lock held): its folders and files by key.

        A regular file (not a link) under the resolved root is its own real path: it needs no
        resolving, which would lstat every segment of its path (most of the walk's time for
        100,000 files). ``checked``: each such file must also be readable now (os.access) and
        links are checked as :meth:`add` does; a rescan only looks, and a file that cannot be
        read is refused when it is asked for. ``on_progress(files)`` is called with the count
        found so far every :data:`_PROGRESS_EVERY` files.
        """
        folders: dict[str, tuple[Path, float]] = {}
        files: dict[str, tuple[Path, os.stat_result]] = {}
        seen: set[str] = set()  # NFC keys met in this walk

        def skip(where: Path, reason: str) -> None:
            if on_skip is not None:
                on_skip(str(where), reason)

        include_hidden = root.include_hidden
        top = root.path
        for dirpath, dirnames, filenames in os.walk(top, followlinks=False):
            here = Path(dirpath)
            relative = here.relative_to(top).parts
            prefix = "/".join((root.name, *relative))
            try:
                folders[prefix] = (here, here.stat().st_mtime)
            except OSError:
                folders[prefix] = (here, 0.0)
            kept = []
            for d in sorted(dirnames):
                st = _lstat(here / d)
                if not include_hidden and is_hidden(d, st):
                    continue
                if st is None or stat.S_ISLNK(st.st_mode):
                    # A link to a folder is not followed: it could lead outside, or loop.
                    skip(here / d, _("a link to a folder (not followed)"))
                    continue
                key = _lookup_key(f"{prefix}/{d}")
                if key in seen:
                    skip(here / d, _("another name here differs only in Unicode normalisation"))
                    continue
                seen.add(key)
                kept.append(d)
            dirnames[:] = kept
            for filename in sorted(filenames):
                entry = here / filename
                lst = _lstat(entry)
                if not include_hidden and is_hidden(filename, lst):
                    continue
                if lst is not None and stat.S_ISREG(lst.st_mode):
                    if checked and not os.access(entry, os.R_OK):
                        skip(entry, _("it cannot be read: permission denied"))
                        continue
                    real, st = entry, lst
                else:
                    try:
                        real = entry.resolve(strict=True)
                    except (OSError, RuntimeError):
                        skip(entry, _("a broken link"))
                        continue
                    if not real.is_relative_to(top):
                        skip(entry, _("a link that leads outside the folder"))
                        continue
                    try:
                        real, st = _check_file(entry)
                    except LocalFileError as exc:
                        skip(entry, str(exc))
                        continue
                key = _lookup_key(f"{prefix}/{filename}")
                if key in seen:
                    skip(entry, _("another name here differs only in Unicode normalisation"))
                    continue
                seen.add(key)
                files[f"{prefix}/{filename}"] = (real, st)
                if on_progress is not None and len(files) % _PROGRESS_EVERY == 0:
                    on_progress(len(files))
        return folders, files

    def _apply(self, root: _Root, walked: _Walked) -> list[str]:
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
                self._keys[_lookup_key(key)] = key
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
            self._queue.pop(key, None)
        elif self._folders.pop(key, None) is not None:
            self._children.pop(key, None)
        else:
            return
        self._keys.pop(_lookup_key(key), None)
        parent = self._children.get(key.rpartition("/")[0])
        if parent is not None:
            parent.pop(key, None)

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
            walked = self._walk(root, None, checked=False)
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
        try:
            top = given.resolve(strict=True)
        except FileNotFoundError:
            raise LocalFileError(_("{given} does not exist").format(given=given)) from None
        except (OSError, RuntimeError) as exc:
            raise LocalFileError(
                _("{given} cannot be opened: {reason}").format(given=given, reason=_reason(exc))
            ) from exc
        if not top.is_dir():
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
        walked = self._walk(_Root(base, top, include_hidden, 0.0), on_skip, on_progress=on_progress)
        with self._lock:
            name = base
            number = 2
            while _lookup_key(name) in self._keys:
                name = f"{base} ({number})"
                number += 1
            root = _Root(name, top, include_hidden, time.monotonic())
            root.took = root.scanned - started
            if name != base:
                walked = _renamed(walked, base, name)
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
            self._queue.clear()
            self._folders.clear()
            self._children = {"": {}}
            self._roots.clear()
            self._singles.clear()

    @property
    def shape_version(self) -> int:
        """A number that changes whenever a file or folder is added or removed (and not when
        only a checksum, size or time changes): a view redraws its tree only then."""
        with self._lock:
            return self._shape

    def folder(self, name: str) -> SharedFolder | None:
        """The folder with this key ("photos", "photos/2024"), or None; looked up like files."""
        with self._lock:
            key = self._keys.get(_lookup_key(name))
            return self._folders.get(key) if key is not None else None

    def shared_folders(self) -> list[SharedFolder]:
        """The folders shared with :meth:`add_folder`, in the order they were added."""
        with self._lock:
            return [self._folders[name] for name in self._roots if name in self._folders]

    def listing(self, name: str = "") -> tuple[list[SharedFolder], list[SharedFile]] | None:
        """The folders and files directly in the folder ``name`` ("" = the root, in the order
        they were shared; a folder's sorted by name); None when no such folder is shared. Files
        shared alone are checked on disk (one stat each) and left out when gone; folders' files
        count as of their last walk."""
        found = self.page(name)
        return None if found is None else (found[0], found[1])

    def page(
        self, name: str = "", offset: int = 0, limit: int | None = None
    ) -> tuple[list[SharedFolder], list[SharedFile], int] | None:
        """Part of :meth:`listing`: the entries ``offset`` to ``offset + limit`` (None: all) of
        its order (folders first, then files), and how many entries the folder holds in all;
        None when no such folder is shared. A folder's sorted order is kept until a file or
        folder comes or goes, so the pages of a folder of 100,000 files cost a slice each."""
        stop = None if limit is None else offset + limit
        with self._lock:
            key = name if name in self._children else self._keys.get(_lookup_key(name), "")
            children = self._children.get(key) if (key or not name) else None
            if children is None:
                return None
            if key:
                ordered = self._sorted_children(key, children)
                shown = ordered[offset:stop]
                return (
                    [self._folders[k] for k in shown if k in self._folders],
                    [self._entries[k] for k in shown if k in self._entries],
                    len(ordered),
                )
            folders = [self._folders[k] for k, is_folder in children.items() if is_folder]
            files = [self._entries[k] for k, is_folder in children.items() if not is_folder]
        # The root keeps the order things were shared in, as it always did.
        files = [f for f in files if _still_there(f.path)]
        total = len(folders) + len(files)
        folder_part = folders[offset:stop]
        file_start = max(0, offset - len(folders))
        file_stop = None if stop is None else max(0, stop - len(folders))
        return folder_part, files[file_start:file_stop], total

    def _sorted_children(self, key: str, children: dict[str, bool]) -> list[str]:
        """A folder's children's keys, folders first, each part by name (called with the lock
        held); cached until the table's shape changes."""
        cached = self._sorted.get(key)
        if cached is not None and cached[0] == self._shape:
            return cached[1]
        folders = sorted((k for k, f in children.items() if f), key=_key_by_base)
        files = sorted((k for k, f in children.items() if not f), key=_key_by_base)
        if len(self._sorted) > 64:
            self._sorted.clear()
        self._sorted[key] = (self._shape, folders + files)
        return folders + files

    def tree(self, name: str = "") -> tuple[list[SharedFolder], list[SharedFile]]:
        """Every folder and file below the folder ``name`` ("" = the whole share), depth first,
        a folder before what it holds: what a zip of it contains. Unknown names give nothing."""
        with self._lock:
            key = name if name in self._children else self._keys.get(_lookup_key(name), "")
            if (name and not key) or key not in self._children:
                return [], []
            folders: list[SharedFolder] = []
            files: list[SharedFile] = []
            stack = [key]
            while stack:
                current = stack.pop()
                if current:
                    folders.append(self._folders[current])
                children = self._children.get(current, {})
                files.extend(
                    sorted(
                        (self._entries[k] for k, is_folder in children.items() if not is_folder),
                        key=lambda f: f.name,
                    )
                )
                stack.extend(sorted((k for k, f in children.items() if f), reverse=True))
            return folders, files

    def folder_size(self, name: str) -> tuple[int, int]:
        """(files, bytes) below the folder ``name``, as of its last walk."""
        count = size = 0
        with self._lock:
            stack = [name if name in self._children else self._keys.get(_lookup_key(name), "")]
            while stack:
                for k, is_folder in self._children.get(stack.pop(), {}).items():
                    if is_folder:
                        stack.append(k)
                    else:
                        count += 1
                        size += self._entries[k].size
        return count, size

    def lookup(self, name: str) -> SharedFile | None:
        """The entry for this display name, or None.

        The whole name is the key: never a part of it, never a path made from it. The one
        latitude is Unicode normalisation (a name typed in NFC finds a file stored in NFD, as
        macOS stores them), which cannot make two shared names meet: they are unique in NFC too.
        """
        with self._lock:
            display = self._keys.get(_lookup_key(name))
            return self._entries.get(display) if display is not None else None

    def files(self) -> list[SharedFile]:
        """Every entry, in the order they were added."""
        with self._lock:
            return list(self._entries.values())

    def available_files(self) -> list[SharedFile]:
        """The entries whose file is still a regular file at its path (checked now, one stat
        each): what the server lists. A file moved away or deleted on disk is left out."""
        return [entry for entry in self.files() if _still_there(entry.path)]

    def missing(self) -> list[str]:
        """Display names of files shared alone that are no longer at their path (moved away,
        deleted), one stat each. Files in shared folders are not checked here: the folder's
        next walk (:meth:`rescan`) drops them, and stat-ing 100,000 of them every few seconds
        would keep a disk busy."""
        with self._lock:
            singles = [self._entries[name] for name in self._singles.values()]
        return [entry.name for entry in singles if not _still_there(entry.path)]

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
        """A file shared alone, at the root (once: the same file again keeps its name)."""
        with self._lock:
            known = self._singles.get(real)
            if known is not None:
                return known
            name = base
            number = 2
            while _lookup_key(name) in self._keys:
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

    def _enqueue(self, name: str) -> None:
        # Called with the lock held.
        if not self._hash_files or self._closed:
            return
        self._queue[name] = None
        size = self._entries[name].size
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

    def _next_in_lane(self, big: bool) -> str | None:
        """The smallest queued file of this lane (called with the lock held); items of files
        removed, hashed or resized since they were queued are dropped on the way."""
        heap = self._heaps[big]
        while heap:
            size, _order, name = heap[0]
            entry = self._entries.get(name)
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
        real = given.resolve()
        st = real.stat()  # a missing file or link target raises here
    except FileNotFoundError:
        raise LocalFileError(_("{given} does not exist").format(given=given)) from None
    except (OSError, RuntimeError) as exc:
        raise LocalFileError(
            _("{given} cannot be opened: {reason}").format(given=given, reason=_reason(exc))
        ) from exc
    if stat.S_ISDIR(st.st_mode):
        raise LocalFileError(
            _("{given} is a folder: share the folder to share the files in it").format(given=given)
        )
    if not stat.S_ISREG(st.st_mode):
        raise LocalFileError(
            _("{given} is not a regular file (a device, pipe or socket)").format(given=given)
        )
    try:
        with open(real, "rb"):
            pass
    except PermissionError:
        raise LocalFileError(
            _("{given} cannot be read: permission denied").format(given=given)
        ) from None
    except OSError as exc:
        raise LocalFileError(
            _("{given} cannot be read: {reason}").format(given=given, reason=_reason(exc))
        ) from exc
    return real, st


def _reason(exc: BaseException) -> str:
    if isinstance(exc, RuntimeError):
        return _("the links around it form a loop")
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror[:1].lower() + exc.strerror[1:]
    return str(exc) or type(exc).__name__


def _key_by_base(key: str) -> tuple[str, str]:
    base = key.rpartition("/")[2]
    return base.casefold(), base


def _renamed(walked: _Walked, old: str, new: str) -> _Walked:
    """A walk's keys under another root name (the folder's name was taken at the root)."""
    folders, files = walked

    def key(k: str) -> str:
        return new + k[len(old) :]

    return {key(k): v for k, v in folders.items()}, {key(k): v for k, v in files.items()}
