"""The share table's index: its keys, folders and tree, and the lookups and listings over them
(see :mod:`net.share` for what a key is; :class:`net.share.ShareTable` adds what changes them)."""

from __future__ import annotations

import threading
from pathlib import Path

from net._record import Record
from net._share_walk import Root, lookup_key, still_there


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


class ShareIndex:
    """Key -> file or folder, the tree they form, the shared folders and the files shared alone;
    every read takes the lock (thread-safe).

    The base of :class:`net.share.ShareTable`, which adds, walks and removes what is shared.
    """

    def __init__(self) -> None:
        self._lock = threading.Condition()
        self._entries: dict[str, SharedFile] = {}
        self._keys: dict[str, str] = {}  # NFC of each key (file or folder) -> the key
        self._folders: dict[str, SharedFolder] = {}
        # parent key ("" = root) -> its children's keys (True = a folder), in insertion order
        self._children: dict[str, dict[str, bool]] = {"": {}}
        self._shape = 0  # bumped when a key comes or goes (not when a checksum arrives)
        # folder key -> (shape it was sorted at, its children's keys in listing order)
        self._sorted: dict[str, tuple[int, list[str]]] = {}
        self._roots: dict[str, Root] = {}  # shared folders by display name
        self._singles: dict[Path, str] = {}  # files shared alone: resolved path -> key

    @property
    def shape_version(self) -> int:
        """A number that changes whenever a file or folder is added or removed (and not when
        only a checksum, size or time changes): a view redraws its tree only then."""
        with self._lock:
            return self._shape

    def folder(self, name: str) -> SharedFolder | None:
        """The folder with this key ("photos", "photos/2024"), or None; looked up like files."""
        with self._lock:
            key = self._keys.get(lookup_key(name))
            return self._folders.get(key) if key is not None else None

    def shared_folders(self) -> list[SharedFolder]:
        """The folders shared with :meth:`add_folder`, in the order they were added."""
        with self._lock:
            return [self._folders[name] for name in self._roots if name in self._folders]

    def missing(self) -> list[str]:
        """Display names of files shared alone that are no longer at their path (moved away,
        deleted), one stat each. Files in shared folders are not checked here: the folder's
        next walk (:meth:`rescan`) drops them, and stat-ing 100,000 of them every few seconds
        would keep a disk busy."""
        with self._lock:
            singles = [self._entries[name] for name in self._singles.values()]
        return [entry.name for entry in singles if not still_there(entry.path)]

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
            key = name if name in self._children else self._keys.get(lookup_key(name), "")
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
        files = [f for f in files if still_there(f.path)]
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
            key = name if name in self._children else self._keys.get(lookup_key(name), "")
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
            stack = [name if name in self._children else self._keys.get(lookup_key(name), "")]
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
            display = self._keys.get(lookup_key(name))
            return self._entries.get(display) if display is not None else None

    def files(self) -> list[SharedFile]:
        """Every entry, in the order they were added."""
        with self._lock:
            return list(self._entries.values())

    def available_files(self) -> list[SharedFile]:
        """The entries whose file is still a regular file at its path (checked now, one stat
        each): what the server lists. A file moved away or deleted on disk is left out."""
        return [entry for entry in self.files() if still_there(entry.path)]

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and self.lookup(name) is not None

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)


def _key_by_base(key: str) -> tuple[str, str]:
    base = key.rpartition("/")[2]
    return base.casefold(), base
