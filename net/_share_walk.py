"""Walking a shared folder: which files and folders of a tree on disk the share offers, and the
checks a file passes before it is shared (see :mod:`net.share` for the keys it produces).

Paths are resolved (symbolic links followed) here, once, when a file is added or its folder walked
again; nothing here ever sees a request.
"""

from __future__ import annotations

import os
import stat
import unicodedata
from collections.abc import Callable
from pathlib import Path

from net._i18n import _
from net.errors import LocalFileError, system_words

#: A folder walk reports its count of files found every so many files.
PROGRESS_EVERY = 1000

#: Files and folders Windows and macOS put in folders by themselves; never shared from a folder
#: (compared case-insensitively). Names starting with "." (.DS_Store, ._x) are hidden anyway.
_SYSTEM_NAMES = frozenset(
    {"desktop.ini", "thumbs.db", "ehthumbs.db", "$recycle.bin", "system volume information"}
)
# stat.FILE_ATTRIBUTE_HIDDEN / _SYSTEM (Windows, os.stat_result.st_file_attributes).
_HIDDEN_ATTRIBUTES = 0x2 | 0x4

#: What a walk found: folder key -> (path, mtime), file key -> (resolved path, its stat).
Walked = tuple[dict[str, tuple[Path, float]], dict[str, tuple[Path, os.stat_result]]]


def is_hidden(name: str, st: object | None = None) -> bool:
    """Whether a file or folder found in a shared folder is hidden or belongs to the system: a
    name starting with ".", a Windows system file (desktop.ini, Thumbs.db, $RECYCLE.BIN, System
    Volume Information), or, where ``st`` (an os.stat_result) carries ``st_file_attributes``
    (Windows), the hidden or system attribute."""
    if name.startswith(".") or name.casefold() in _SYSTEM_NAMES:
        return True
    attributes = getattr(st, "st_file_attributes", 0)
    return isinstance(attributes, int) and bool(attributes & _HIDDEN_ATTRIBUTES)


def lookup_key(name: str) -> str:
    """The form a key is compared in."""
    # macOS stores names decomposed (NFD), people and browsers type them composed (NFC): one
    # file, two spellings. NFC only: compatibility forms (NFKC) would turn "．．" into "..".
    return unicodedata.normalize("NFC", name)


class Root:
    """A folder shared with :meth:`ShareTable.add_folder`, and when it was last walked."""

    __slots__ = ("include_hidden", "name", "path", "scanned", "took")

    def __init__(self, name: str, path: Path, include_hidden: bool, scanned: float) -> None:
        self.name = name
        self.path = path
        self.include_hidden = include_hidden
        self.scanned = scanned  # time.monotonic() of the last walk
        self.took = 0.0  # seconds the last walk took


def walk(
    root: Root,
    on_skip: Callable[[str, str], None] | None,
    *,
    checked: bool = True,
    on_progress: Callable[[int], None] | None = None,
) -> Walked:
    """Walk a shared folder: its folders and files by key.

    A regular file (not a link) under the resolved root is its own real path: it needs no
    resolving, which would lstat every segment of its path (most of the walk's time for
    100,000 files). ``checked``: each such file must also be readable now (os.access) and
    links are checked as :func:`check_file` does; a rescan only looks, and a file that cannot be
    read is refused when it is asked for. ``on_progress(files)`` is called with the count
    found so far every :data:`PROGRESS_EVERY` files; ``on_skip(path, reason)`` for each file
    or folder left out that a person would miss (not hidden ones). A folder that cannot be
    listed (the shared folder itself included) is walked as empty, as :func:`os.walk` does.
    """
    folders: dict[str, tuple[Path, float]] = {}
    files: dict[str, tuple[Path, os.stat_result]] = {}
    seen: set[str] = set()  # NFC keys met in this walk

    def skip(where: Path, reason: str) -> None:
        if on_skip is not None:
            on_skip(str(where), reason)

    def unique(key: str, where: Path) -> bool:
        if lookup_key(key) in seen:
            skip(where, _("another name here differs only in Unicode normalisation"))
            return False
        seen.add(lookup_key(key))
        return True

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
            if unique(f"{prefix}/{d}", here / d):
                kept.append(d)
        dirnames[:] = kept
        for filename in sorted(filenames):
            entry = here / filename
            found = _walked_file(entry, top, include_hidden, checked, skip)
            if found is None or not unique(f"{prefix}/{filename}", entry):
                continue
            files[f"{prefix}/{filename}"] = found
            if on_progress is not None and len(files) % PROGRESS_EVERY == 0:
                on_progress(len(files))
    return folders, files


def _walked_file(
    entry: Path,
    top: Path,
    include_hidden: bool,
    checked: bool,
    skip: Callable[[Path, str], None],
) -> tuple[Path, os.stat_result] | None:
    """One file met by :func:`walk`: its real path and stat, or None when it is left out."""
    lst = _lstat(entry)
    if not include_hidden and is_hidden(entry.name, lst):
        return None
    if lst is not None and stat.S_ISREG(lst.st_mode):
        if checked and not os.access(entry, os.R_OK):
            skip(entry, _("it cannot be read: permission denied"))
            return None
        return entry, lst
    try:
        real = entry.resolve(strict=True)
    except (OSError, RuntimeError):
        skip(entry, _("a broken link"))
        return None
    if not real.is_relative_to(top):
        skip(entry, _("a link that leads outside the folder"))
        return None
    try:
        return check_file(entry)
    except LocalFileError as exc:
        skip(entry, str(exc))
        return None


def renamed(walked: Walked, old: str, new: str) -> Walked:
    """A walk's keys under another root name (the folder's name was taken at the root)."""
    folders, files = walked

    def key(k: str) -> str:
        return new + k[len(old) :]

    return {key(k): v for k, v in folders.items()}, {key(k): v for k, v in files.items()}


def resolve_given(given: Path) -> tuple[Path, os.stat_result]:
    """``given`` with its links followed, as it is now, and its stat.

    Raises:
        LocalFileError: it does not exist, or cannot be reached (a loop of links, no permission).
    """
    try:
        real = given.resolve()
        st = real.stat()  # a missing file or link target raises here
    except FileNotFoundError:
        raise LocalFileError(_("{given} does not exist").format(given=given)) from None
    except (OSError, RuntimeError) as exc:
        raise LocalFileError(
            _("{given} cannot be opened: {reason}").format(given=given, reason=_reason(exc))
        ) from exc
    return real, st


def check_file(given: Path) -> tuple[Path, os.stat_result]:
    """Resolve ``given`` (a link is followed now, never at request time) and check it can be
    served; returns its real path and stat.

    Raises:
        LocalFileError: it is missing, a folder, not a regular file, or unreadable.
    """
    real, st = resolve_given(given)
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
    except OSError as exc:
        raise _unreadable(given, exc) from exc
    return real, st


def still_there(path: Path) -> bool:
    """Whether ``path`` is a regular file now (one stat)."""
    try:
        return stat.S_ISREG(path.stat().st_mode)
    except OSError:
        return False


def _unreadable(given: Path, exc: OSError) -> LocalFileError:
    if isinstance(exc, PermissionError):
        return LocalFileError(_("{given} cannot be read: permission denied").format(given=given))
    return LocalFileError(
        _("{given} cannot be read: {reason}").format(given=given, reason=_reason(exc))
    )


def _lstat(path: Path) -> os.stat_result | None:
    try:
        return path.lstat()
    except OSError:
        return None


def _reason(exc: OSError | RuntimeError) -> str:
    if isinstance(exc, RuntimeError):
        return _("the links around it form a loop")
    return system_words(exc)
