"""The plan of a mirror (:mod:`net.mirror`): the remote tree walked through the folders' JSON
lists, each entry checked, and the local path each file goes to.

Every local path is made only from the entries' ``name`` fields, each cleaned by
:func:`net.download.safe_file_name`; the server's ``path`` is never used as a path, and a ``url``
is followed only when it stays on the share's origin and below the folder it was listed in.
"""

from __future__ import annotations

import concurrent.futures
import functools
import re
import sys
import urllib.parse
from collections.abc import Callable, Collection
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from net._i18n import _
from net._mirror_client import MAX_ENTRIES, MirrorClient
from net._mirror_local import STAGING, Entry, make_folders
from net._mirror_local import inside as below_top
from net.download import TransferCancelled, parse_share_url, safe_file_name
from net.errors import AddressError, ProtocolError
from net.events import MirrorFile

_MAX_DEPTH = 64  # folder levels
_SHA256 = re.compile(r"[0-9a-f]{64}")
# An absolute path of printable ASCII, no "//", query or fragment: taken as it is (still checked).
_PLAIN_PATH = re.compile(r"/(?!/)[A-Za-z0-9\-._~%!$&'()*+,;=:@/]*")
_CASE_INSENSITIVE = sys.platform == "win32" or sys.platform == "darwin"


@dataclass(frozen=True, slots=True)
class _Listed:
    kind: Literal["file", "folder"]
    link: str  # request path, below the folder it was listed in
    name: str  # local name, cleaned
    size: int
    mtime: float
    sha256: str | None
    key: str | None


class RemoteTree:
    """The share folder at ``root_path`` (a request path ending in "/"), read through ``client``
    (whose loop's ``stopping`` ends the walk); ``only``: names of entries in that folder to take
    (None: all).
    """

    def __init__(self, client: MirrorClient, root_path: str, only: Collection[str] | None) -> None:
        self._client = client
        self._url = client.url
        self._root_path = root_path
        self._only = only

    def collect(
        self,
        top: Path,
        pool: concurrent.futures.Executor,
        files_found: Callable[[int], None] | None = None,
    ) -> tuple[list[Entry], list[MirrorFile]]:
        """Walk the remote tree breadth first, the lists of one level fetched at once by the
        workers of ``pool``: the files to mirror into ``top``, and entries refused.
        ``files_found`` hears the count of files listed so far after each list.

        Raises:
            ConnectError, ProtocolError, TransferError; TransferCancelled once stopping.
        """
        entries: list[Entry] = []
        refused: list[MirrorFile] = []
        claimed: set[str] = set()  # local paths taken (casefolded where the system folds)
        level: list[tuple[str, Path, str, int]] = [(self._root_path, top, "", 0)]
        while level:
            if self._client.loop.stopping:
                raise TransferCancelled(_("the mirror was stopped"))
            inside = [folder for folder in level if below_top(folder[1], top)]
            for _path, _local, shown, _depth in level:
                if not any(folder[2] == shown for folder in inside):
                    refused.append(
                        MirrorFile(shown.rstrip("/"), "failed", 0, _("it leads outside DIR here"))
                    )
            lists = list(pool.map(lambda folder: self._client.fetch_list(folder[0]), inside))
            pending: list[tuple[str, Path, str, int]] = []
            for (path, local, shown, depth), items in zip(inside, lists, strict=True):
                if self._only is not None and depth == 0:
                    items = [
                        i for i in items if isinstance(i, dict) and i.get("name") in self._only
                    ]
                for item in items:
                    if len(entries) + len(refused) + len(pending) >= MAX_ENTRIES:
                        raise self._client.too_many()
                    checked = self._check(item, path, local, shown)
                    if isinstance(checked, MirrorFile):
                        refused.append(checked)
                        continue
                    target = local / checked.name
                    relative = f"{shown}{checked.name}"
                    key = relative.casefold() if _CASE_INSENSITIVE else relative
                    if key in claimed:
                        reason = _("another entry of this folder has the same local name")
                        if _CASE_INSENSITIVE:
                            reason += _(" (this file system ignores case)")
                        refused.append(MirrorFile(relative, "failed", 0, reason))
                        continue
                    claimed.add(key)
                    if checked.kind == "folder":
                        if depth + 1 >= _MAX_DEPTH:
                            refused.append(
                                MirrorFile(relative, "failed", 0, _("folders nest too deep"))
                            )
                            continue
                        if not make_folders(top, target):  # empty folders are kept too
                            refused.append(
                                MirrorFile(
                                    relative, "failed", 0, _("a link or a file has its name")
                                )
                            )
                            continue
                        pending.append((checked.link, target, relative + "/", depth + 1))
                    else:
                        url = self._url.origin + checked.link
                        entries.append(
                            Entry(
                                target,
                                relative,
                                url,
                                checked.size,
                                checked.mtime,
                                checked.sha256,
                                checked.key,
                            )
                        )
                if files_found is not None:
                    files_found(len(entries))
            level = pending
        return entries, refused

    def _check(
        self, item: object, folder_path: str, local: Path, shown: str
    ) -> _Listed | MirrorFile:
        """A list entry checked, or why it is refused."""
        if not isinstance(item, dict):
            raise ProtocolError(
                _("{authority} sent a list with an entry that is no object").format(
                    authority=self._url.authority
                )
            )
        name, kind, link = item.get("name"), item.get("type", "file"), item.get("url")
        size, mtime, sha256 = item.get("size"), item.get("mtime", 0), item.get("sha256")
        if not isinstance(name, str) or not name:
            raise ProtocolError(
                _("{authority} sent a list entry without a name").format(
                    authority=self._url.authority
                )
            )
        cleaned = safe_file_name(name)
        relative = f"{shown}{cleaned}"
        if kind not in ("file", "folder") or not isinstance(link, str):
            return MirrorFile(relative, "failed", 0, _("the list gives no type or no url for it"))
        if (
            not isinstance(size, int)
            or isinstance(size, bool)
            or size < 0
            or not isinstance(mtime, int | float)
            or not (sha256 is None or (isinstance(sha256, str) and _SHA256.fullmatch(sha256)))
        ):
            return MirrorFile(
                relative, "failed", 0, _("the list gives a malformed size or checksum")
            )
        if cleaned == STAGING:
            return MirrorFile(
                relative,
                "failed",
                0,
                _("{staging} is this program's own folder").format(staging=STAGING),
            )
        resolved = self._below(link, folder_path)
        if resolved is None:
            return MirrorFile(
                relative, "failed", 0, _("its url leads outside the folder being mirrored")
            )
        if kind == "folder" and not resolved.endswith("/"):
            resolved += "/"
        target = local / cleaned
        if target.parent != local or cleaned in ("", ".", ".."):
            return MirrorFile(relative, "failed", 0, _("its name leads outside the target folder"))
        return _Listed(
            "folder" if kind == "folder" else "file",
            resolved,
            cleaned,
            size,
            float(mtime),
            sha256 if isinstance(sha256, str) else None,
            key if isinstance(key := item.get("path"), str) else None,
        )

    def _below(self, link: str, folder_path: str) -> str | None:
        """The request path of ``link`` when it is on the share's origin and strictly below the
        folder it was listed in (so lists cannot loop or leave the mirrored folder); else None."""
        if _PLAIN_PATH.fullmatch(link):
            path = link  # what our server sends: "/a%20b/c.txt"; no need to parse it as a URL
        else:
            base = f"{self._url.origin}{folder_path}"
            absolute = urllib.parse.urljoin(base, link)
            try:
                parsed = parse_share_url(absolute)
            except AddressError:
                return None
            if (parsed.scheme, parsed.host, parsed.port) != (
                self._url.scheme,
                self._url.host,
                self._url.port,
            ):
                return None
            path = urllib.parse.urlsplit(parsed.target).path
        below = [urllib.parse.unquote(part) for part in path.split("/")]
        above = _folder_segments(folder_path)
        if below[-1] == "":
            below.pop()  # a folder's trailing "/"
        inside = below[len(above) :]
        if len(below) <= len(above) or below[: len(above)] != above:
            return None
        if any(part in ("", ".", "..") for part in inside):
            return None
        return path


@functools.lru_cache(maxsize=64)
def _folder_segments(folder_path: str) -> list[str]:
    """A folder's request path ("/a%20b/c/") as its decoded segments (["", "a b", "c"]); the
    same folder is asked about for each of its entries."""
    return [urllib.parse.unquote(part) for part in folder_path.split("/")][:-1]
