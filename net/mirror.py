"""A verified mirror of a whole share or of one folder in it: ``swb get --recursive URL -o DIR``.

How it works:

1. The folder's JSON list (``?format=json``, issue 20) is fetched, then its sub-folders', a level
   at a time, by the workers on their persistent connections (http.client; each list at most
   32 MiB and ``timeout`` seconds a read).
2. Every entry becomes a local path under DIR made only from the entries' ``name`` fields, each
   cleaned by :func:`net.download.safe_file_name` ("/", "\\", "..", control characters gone). The
   server's ``path`` is never used as a path, a ``url`` is followed only when it stays on the
   share's origin and below the folder it was listed in, and each local path is checked to lie
   inside DIR. A folder that already exists as a link is not entered.
3. A file whose local copy has the server's size and SHA-256 is up to date and is not fetched.
   Others are downloaded into ``DIR/.swb-mirror/<id>.part`` (named after the file's path and the
   version it holds, so a ``.part`` left by a run that was stopped or killed is resumed with a
   Range request, and never mixed with bytes of another version), hashed as they arrive, fsynced, compared with
   the list's SHA-256, and only then moved over the old copy: an outdated file stays whole until
   its replacement is verified. Hidden names (".x") are never shared, so the staging folder cannot
   meet a shared one.
4. When many files are missing (at least 64, and at least half of those listed: a first mirror,
   or one that was stopped early), the folder's zip (``?format=zip``, stored members) is fetched
   in one request instead, and only the wanted files are taken from it, each from its list
   entry's local path and verified against the list's SHA-256 like any other; whatever the zip
   did not deliver correctly is then fetched on its own. Files with a ``.part`` are left to
   resume on their own.
5. ``jobs`` files are in flight at once (default 4), each worker on its own persistent connection.
   (:class:`net.download.Download` makes one connection, two fsyncs and a hashing thread per file,
   which costs about 20 ms a file here: thousands of small files would take minutes, so whole
   files are fetched here with http.client; single downloads stay with Download.)

Names that differ only in case are two files on Linux; on a case-insensitive file system (Windows,
macOS by default) they would be one, so there the second of them fails with a sentence instead of
overwriting the first.
"""

from __future__ import annotations

import collections
import concurrent.futures
import contextlib
import functools
import hashlib
import http.client
import json
import os
import re
import socket
import stat
import struct
import sys
import threading
import urllib.parse
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from net._i18n import _
from net._loop import StoppableLoop
from net.address import resolve
from net.download import TransferCancelled, parse_share_url, safe_file_name
from net.download.files import hash_existing, open_part, write_all
from net.download.listing import follow_page, next_page
from net.errors import (
    AddressError,
    ConnectError,
    NetError,
    ProtocolError,
    TransferError,
    describe_connect_error,
    describe_io_error,
)
from net.events import MirrorFile, MirrorProgress
from net.httpfile import parse_content_range
from net.share import LocalFileError
from net.tls import ClientTls, client_context

__all__ = ["STAGING", "Mirror", "MirrorFile", "MirrorProgress", "MirrorResult"]

#: The folder inside DIR where files are downloaded before they replace their local copy.
STAGING = ".swb-mirror"
_MAX_LIST = 32 * 1024 * 1024  # bytes of one JSON list
_MAX_ENTRIES = 1_000_000  # entries in the whole tree
_MAX_DEPTH = 64  # folder levels
#: Files missing at once (and at least half of those listed) from which the folder's zip is
#: fetched in one request rather than each file in its own.
_BULK_MIN = 64
_HEADERS = {"User-Agent": "socket-workbench", "Accept-Encoding": "identity"}
_COPY_CHUNK = 256 * 1024
_INLINE = 1024 * 1024  # bytes: a zip member up to this size is read whole, written by a worker
_INLINE_BUFFER = 32 * 1024 * 1024  # bytes of such members waiting for their writer at most
_BATCH_FILES = 64  # such members handed to a writer at once at most
_BATCH_BYTES = 1024 * 1024  # and bytes of them
_SHA256 = re.compile(r"[0-9a-f]{64}")
# An absolute path of printable ASCII, no "//", query or fragment: taken as it is (still checked).
_PLAIN_PATH = re.compile(r"/(?!/)[A-Za-z0-9\-._~%!$&'()*+,;=:@/]*")
_CASE_INSENSITIVE = sys.platform == "win32" or sys.platform == "darwin"


@dataclass(frozen=True, slots=True)
class MirrorResult:
    """The counts of a run and the failures, as (relative path, reason)."""

    downloaded: int
    up_to_date: int
    failed: int
    failures: tuple[tuple[str, str], ...]

    def summary(self) -> str:
        """ "N downloaded, M up to date, K failed"."""
        return _("{downloaded} downloaded, {up_to_date} up to date, {failed} failed").format(
            downloaded=self.downloaded, up_to_date=self.up_to_date, failed=self.failed
        )


@dataclass(frozen=True, slots=True)
class _Entry:
    local: Path  # where the file goes
    shown: str  # local path relative to DIR, "/"-separated
    url: str  # absolute, on the share's origin
    size: int
    mtime: float
    sha256: str | None
    key: str | None  # the server's "path" for it: its name in the server's zip


@dataclass(frozen=True, slots=True)
class _Listed:
    kind: Literal["file", "folder"]
    link: str  # request path, below the folder it was listed in
    name: str  # local name, cleaned
    size: int
    mtime: float
    sha256: str | None
    key: str | None


class Mirror(StoppableLoop):
    """Mirror the share folder at ``url`` into ``folder`` (created when missing).

    Args:
        url: ``http(s)://host:port/`` (the whole share) or ``.../photos/2024/`` (one folder).
        folder: the local folder DIR.
        tls: how to check an https server (default: verified against the system's CAs).
        timeout: seconds for connecting and for any wait for the server's next bytes.
        jobs: files in flight at once.
        on_file: called once per file, from worker threads (one at a time), with its outcome.
        on_progress: called from worker threads with a :class:`MirrorProgress`: once when the
            lists are in, then as bytes arrive (every 256 KiB at most) and files settle.
        only: names of entries in the folder at ``url`` to mirror (files, and folders with all
            below them); None: all of it. With a selection, no zip of the folder is fetched.
    Raises:
        AddressError: a malformed URL, or a raw:// one (the classic protocol has no lists).
    """

    def __init__(
        self,
        url: str,
        folder: str | os.PathLike[str],
        *,
        tls: ClientTls | None = None,
        timeout: float = 30.0,
        jobs: int = 4,
        on_file: Callable[[MirrorFile], None] | None = None,
        on_progress: Callable[[MirrorProgress], None] | None = None,
        only: Collection[str] | None = None,
    ) -> None:
        super().__init__()
        parsed = parse_share_url(url)
        if parsed.scheme == "raw":
            raise AddressError(
                _("a classic raw server has no file lists to mirror: use http(s)://")
            )
        path = urllib.parse.urlsplit(parsed.target).path or "/"
        if not path.endswith("/"):
            path += "/"  # "/photos" names the folder "/photos/"
        self.url = parsed
        self.root_path = path
        self.folder = Path(os.fspath(folder))
        self._tls = tls
        self._timeout = timeout
        self._jobs = max(1, jobs)
        self._on_file = on_file
        self._on_progress = on_progress
        self._only = None if only is None else frozenset(only)
        self._report_lock = threading.Lock()
        # Progress: totals once listed; bytes credited to each file not settled yet.
        self._files_total = self._files_done = self._bytes_total = self._bytes_done = 0
        self._credited: dict[str, int] = {}
        self._local = threading.local()  # each worker's persistent connection
        self._connections: set[http.client.HTTPConnection] = set()
        self._active_lock = threading.Lock()

    # ---- public -------------------------------------------------------------------------------

    def run(self) -> MirrorResult:
        """Mirror; returns the counts (failed files do not raise).

        Raises:
            AddressError: the host name cannot be resolved (bad input).
            LocalFileError: DIR cannot be created or is not a folder (bad input).
            ConnectError: the server cannot be reached (TlsError for TLS problems).
            ProtocolError: the URL is not a share folder (no JSON list).
            TransferError: a list broke off; TransferCancelled after :meth:`shutdown`.
        """
        if self.folder.exists() and not self.folder.is_dir():
            raise LocalFileError(_("{folder} is a file, not a folder").format(folder=self.folder))
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise LocalFileError(
                _("cannot create the folder {folder}: {strerror}").format(
                    folder=self.folder, strerror=exc.strerror
                )
            ) from exc
        if not self.folder.is_dir():
            raise LocalFileError(_("{folder} is not a folder").format(folder=self.folder))
        top = self.folder.resolve()
        # A first mirror into an empty DIR fetches the folder's zip (see _bulk): it is asked for
        # while the lists are being read, so that the server's first bytes wait for us.
        fresh = self._only is None and _empty(top)
        # An unknown host is bad input (AddressError, exit 2), as for a single download.
        resolve(self.url.host, self.url.port, timeout=min(self._timeout, 10.0))
        staging = top / STAGING
        with concurrent.futures.ThreadPoolExecutor(
            max_workers=self._jobs + 1, thread_name_prefix="swb-mirror"
        ) as pool:
            try:
                results, entries = self._mirror(top, staging, pool, fresh)
            finally:
                with self._active_lock:
                    for connection in self._connections:
                        connection.close()
                    self._connections.clear()
        if self.stopping:
            raise TransferCancelled(
                _("the mirror was stopped; run it again to finish (partial files are kept)")
            )
        failed = [(r.path, r.reason) for r in results if r.outcome == "failed"]
        _clean_staging(staging, {_part_name(e) for e in entries} if failed else set())
        return MirrorResult(
            downloaded=sum(r.outcome == "downloaded" for r in results),
            up_to_date=sum(r.outcome == "up to date" for r in results),
            failed=len(failed),
            failures=tuple(failed),
        )

    def _mirror(
        self, top: Path, staging: Path, pool: concurrent.futures.Executor, fresh: bool
    ) -> tuple[list[MirrorFile], list[_Entry]]:
        """Lists, local checks, the bulk pass and the file-by-file pass: every outcome, and
        the files listed. ``fresh``: DIR was empty, so the folder's zip is asked for at once."""
        # The zip is asked for as soon as the lists have named enough files for the bulk pass,
        # not before: for a small folder it would be a wasted transfer in the server's table.
        asked: list[concurrent.futures.Future[http.client.HTTPResponse | None]] = []

        def files_found(count: int) -> None:
            if fresh and not asked and count >= _BULK_MIN:
                asked.append(pool.submit(self._open_zip))

        try:
            return self._passes(top, staging, pool, asked, files_found)
        finally:
            for ahead in asked:
                response = ahead.result()
                if response is not None:
                    response.close()  # not used (or used up): its connection is closed in run()

    def _passes(
        self,
        top: Path,
        staging: Path,
        pool: concurrent.futures.Executor,
        asked: list[concurrent.futures.Future[http.client.HTTPResponse | None]],
        files_found: Callable[[int], None],
    ) -> tuple[list[MirrorFile], list[_Entry]]:
        entries, failures = self._collect(top, pool, files_found)
        with self._report_lock:
            self._files_total = len(entries) + len(failures)
            self._bytes_total = sum(e.size for e in entries)
        self._tell()
        if not _make_folders(top, staging):
            raise LocalFileError(
                _("{staging} is not a folder of this program's: move it away").format(
                    staging=staging
                )
            )
        results: list[MirrorFile] = [self._report(f) for f in failures]
        checked = self._local_checks(top, entries, pool)
        results += [self._report(r) for r in checked if r is not None]
        needed = [e for e, r in zip(entries, checked, strict=True) if r is None]
        bulk = [e for e in needed if e.sha256 is not None and e.key is not None]
        held = set(os.listdir(staging))
        bulk = [e for e in bulk if _part_name(e) not in held]  # those resume
        if self._only is None and len(bulk) >= _BULK_MIN and len(bulk) * 2 >= len(entries):
            response = asked[0].result() if asked else None
            done = self._bulk(top, bulk, entries, pool, response)
            results += [self._report(r) for r in done.values()]
            needed = [e for e in needed if e.shown not in done]
        futures = [pool.submit(self._one, top, entry) for entry in needed]
        for future in futures:
            results.append(future.result())
        return results, entries

    def shutdown(self) -> None:
        super().shutdown()
        with self._active_lock:
            connections = list(self._connections)
        for connection in connections:
            if connection.sock is not None:
                with contextlib.suppress(OSError):
                    # shutdown() wakes a read blocked on it in a worker; close() would not.
                    connection.sock.shutdown(socket.SHUT_RDWR)

    # ---- lists --------------------------------------------------------------------------------

    def _collect(
        self,
        top: Path,
        pool: concurrent.futures.Executor,
        files_found: Callable[[int], None] | None = None,
    ) -> tuple[list[_Entry], list[MirrorFile]]:
        """Walk the remote tree breadth first, the lists of one level fetched at once by the
        workers: the files to mirror, and entries refused. ``files_found`` hears the count of
        files listed so far after each list."""
        entries: list[_Entry] = []
        refused: list[MirrorFile] = []
        claimed: set[str] = set()  # local paths taken (casefolded where the system folds)
        level: list[tuple[str, Path, str, int]] = [(self.root_path, top, "", 0)]
        while level:
            if self.stopping:
                raise TransferCancelled(_("the mirror was stopped"))
            inside = [folder for folder in level if _inside(folder[1], top)]
            for _path, _local, shown, _depth in level:
                if not any(folder[2] == shown for folder in inside):
                    refused.append(
                        MirrorFile(shown.rstrip("/"), "failed", 0, _("it leads outside DIR here"))
                    )
            lists = list(pool.map(lambda folder: self._fetch_list(folder[0]), inside))
            pending: list[tuple[str, Path, str, int]] = []
            for (path, local, shown, depth), items in zip(inside, lists, strict=True):
                if self._only is not None and depth == 0:
                    items = [
                        i for i in items if isinstance(i, dict) and i.get("name") in self._only
                    ]
                for item in items:
                    if len(entries) + len(refused) + len(pending) >= _MAX_ENTRIES:
                        raise ProtocolError(
                            _("{authority} lists more than {max_entries:,} entries").format(
                                authority=self.url.authority, max_entries=_MAX_ENTRIES
                            )
                        )
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
                        if not _make_folders(top, target):  # empty folders are kept too
                            refused.append(
                                MirrorFile(
                                    relative, "failed", 0, _("a link or a file has its name")
                                )
                            )
                            continue
                        pending.append((checked.link, target, relative + "/", depth + 1))
                    else:
                        url = self.url.origin + checked.link
                        entries.append(
                            _Entry(
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
                    authority=self.url.authority
                )
            )
        name, kind, link = item.get("name"), item.get("type", "file"), item.get("url")
        size, mtime, sha256 = item.get("size"), item.get("mtime", 0), item.get("sha256")
        if not isinstance(name, str) or not name:
            raise ProtocolError(
                _("{authority} sent a list entry without a name").format(
                    authority=self.url.authority
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
            base = f"{self.url.origin}{folder_path}"
            absolute = urllib.parse.urljoin(base, link)
            try:
                parsed = parse_share_url(absolute)
            except AddressError:
                return None
            if (parsed.scheme, parsed.host, parsed.port) != (
                self.url.scheme,
                self.url.host,
                self.url.port,
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

    def _connection(self) -> http.client.HTTPConnection:
        host, port = self.url.host, self.url.port
        if self.url.scheme == "https":
            context = client_context(self._tls or ClientTls())
            return http.client.HTTPSConnection(host, port, timeout=self._timeout, context=context)
        return http.client.HTTPConnection(host, port, timeout=self._timeout)

    def _fetch_list(self, path: str) -> list[object]:
        """One folder's JSON list, on this worker's persistent connection: its pages one after
        another, following each page's ``Link: <...>; rel="next"`` (RFC 8288) while it stays in
        this folder's list, up to ``_MAX_ENTRIES`` entries."""
        items: list[object] = []
        first = path + "?format=json"
        seen = {first}
        target: str | None = first
        while target is not None:
            page, target = self._fetch_page(path, target)
            target = follow_page(target, seen, not page, self.url.authority)
            items += page
            if len(items) > _MAX_ENTRIES:
                raise ProtocolError(
                    _("{authority} lists more than {max_entries:,} entries").format(
                        authority=self.url.authority, max_entries=_MAX_ENTRIES
                    )
                )
        return items

    def _fetch_page(self, path: str, target: str) -> tuple[list[object], str | None]:
        """One page of a folder's JSON list and the target of the next page (None: the last)."""
        where = self.url.authority
        try:
            response = self._request(target, dict(_HEADERS))
            if response.status != 200:
                response.read(64 * 1024)
                raise ProtocolError(
                    _(
                        "{where} has no folder list at {path} ({status}); is it a Socket "
                        "Workbench share folder?"
                    ).format(where=where, path=urllib.parse.unquote(path), status=response.status)
                )
            body = response.read(_MAX_LIST + 1)
            if len(body) > _MAX_LIST:
                raise ProtocolError(
                    _("the list of {path} is too large").format(path=urllib.parse.unquote(path))
                )
            following = next_page(response.getheader("Link"), path)
        except TimeoutError as exc:
            raise TransferError(
                _("{where} did not answer within {timeout:g} s").format(
                    where=where, timeout=self._timeout
                )
            ) from exc
        except http.client.HTTPException as exc:
            raise ProtocolError(
                _("{where} sent a broken answer ({error_type})").format(
                    where=where, error_type=type(exc).__name__
                )
            ) from exc
        except OSError as exc:
            if self.stopping:
                raise TransferCancelled(_("the mirror was stopped")) from None
            if isinstance(exc, ConnectionRefusedError | socket.gaierror):
                raise ConnectError(
                    describe_connect_error(exc, self.url.host, self.url.port)
                ) from exc
            raise TransferError(describe_io_error(exc, where)) from exc
        try:
            items = json.loads(body)
        except ValueError:
            items = None
        if not isinstance(items, list):
            raise ProtocolError(
                _("{where} did not send a folder list (is it a Socket Workbench share?)").format(
                    where=where
                )
            )
        return items, following

    # ---- files --------------------------------------------------------------------------------

    def _one(self, top: Path, entry: _Entry) -> MirrorFile:
        """Mirror one file (a worker thread, with its own persistent connection); never raises."""
        if self.stopping:
            return MirrorFile(entry.shown, "failed", entry.size, "stopped")
        try:
            result = self._mirror_file(top, entry)
        except TransferCancelled:
            result = MirrorFile(entry.shown, "failed", entry.size, "stopped")
        except NetError as exc:
            result = MirrorFile(entry.shown, "failed", entry.size, str(exc))
        except http.client.HTTPException as exc:
            reason = _("{authority} sent a broken answer ({error_type})").format(
                authority=self.url.authority, error_type=type(exc).__name__
            )
            result = MirrorFile(entry.shown, "failed", entry.size, reason)
        except OSError as exc:
            reason = "stopped" if self.stopping else describe_io_error(exc, self.url.authority)
            result = MirrorFile(entry.shown, "failed", entry.size, reason)
        return self._report(result)

    def _local_checks(
        self, top: Path, entries: list[_Entry], pool: concurrent.futures.Executor
    ) -> list[MirrorFile | None]:
        """For each entry, the outcome when the local copy decides it (up to date, or something
        in the way), or None when the file must be fetched. Folders are made here (each once);
        files that exist are hashed by the workers."""
        outcomes: list[MirrorFile | None] = [None] * len(entries)
        made: set[Path] = {top}
        empty: dict[Path, bool] = {}  # a folder without entries holds none of the files
        existing: list[int] = []
        for index, entry in enumerate(entries):
            folder = entry.local.parent
            if folder not in made:
                try:
                    ready = _make_folders(top, folder)
                except OSError as exc:
                    ready = False
                    why = describe_io_error(exc, str(top))
                else:
                    why = _("a folder on its way is a link or a file here")
                if not ready:
                    outcomes[index] = MirrorFile(entry.shown, "failed", entry.size, why)
                    continue
                made.add(folder)
            if folder not in empty:
                empty[folder] = _empty(folder)
            if not empty[folder] and os.path.lexists(entry.local):
                existing.append(index)
        for index, outcome in zip(
            existing, pool.map(lambda i: self._local_check(top, entries[i]), existing), strict=True
        ):
            outcomes[index] = outcome
        return outcomes

    def _local_check(self, top: Path, entry: _Entry) -> MirrorFile | None:
        """The outcome when the existing local copy decides it; None when it must be fetched."""
        try:
            if entry.local.is_symlink() or entry.local.is_dir():
                return MirrorFile(
                    entry.shown, "failed", entry.size, _("a link or a folder has its name")
                )
            if entry.sha256 is not None and _same_file(entry.local, entry.size, entry.sha256, self):
                return MirrorFile(
                    entry.shown, "up to date", entry.size, verified=True, sha256=entry.sha256
                )
        except TransferCancelled:
            return MirrorFile(entry.shown, "failed", entry.size, "stopped")
        except OSError as exc:
            return MirrorFile(entry.shown, "failed", entry.size, describe_io_error(exc, str(top)))
        return None

    def _bulk(
        self,
        top: Path,
        wanted: list[_Entry],
        listed: list[_Entry],
        pool: concurrent.futures.Executor,
        ahead: http.client.HTTPResponse | None = None,
    ) -> dict[str, MirrorFile]:
        """Fetch many missing files at once: the folder's zip from the server (``?format=zip``,
        stored members, issue 20), one request instead of one per file. Only the files in
        ``wanted`` are kept, each from its list entry's local path (never from a name in the
        zip), each verified against the list's SHA-256; others in the stream are skipped (``ahead``:
        the zip's answer when it was asked for already, on a connection of its own). Any
        surprise (no zip, another layout, a size that differs) ends the bulk pass quietly: what
        it did not deliver is fetched file by file. Returns the outcomes by local path.

        This thread reads the stream and hashes; small members (up to ``_INLINE``) are written
        by the pool's workers (write, fsync, rename: system calls that run in parallel), at most
        ``_INLINE_BUFFER`` bytes of them waiting at a time; bigger ones are written here."""
        by_key = {e.key: e for e in wanted if e.key is not None}
        sizes = {e.key: e.size for e in listed if e.key is not None}
        done: dict[str, MirrorFile] = {}
        writes: collections.deque[tuple[int, concurrent.futures.Future[list[MirrorFile]]]]
        writes = collections.deque()
        waiting = 0  # bytes handed to writers and not written yet
        # Small members go to a writer in batches: a hand-over per file costs more than its write.
        batch: list[tuple[_Entry, bytes, str]] = []
        batched = 0

        def hand_over() -> None:
            nonlocal batch, batched, waiting
            if batch:
                writes.append((batched, pool.submit(_place_all, top, batch)))
                waiting += batched
                batch, batched = [], 0

        def settle(limit: int) -> None:
            nonlocal waiting
            while writes and (waiting > limit or writes[0][1].done()):
                size, future = writes.popleft()
                waiting -= size
                for outcome in future.result():
                    done[outcome.path] = outcome

        if ahead is not None:
            response = ahead
        else:
            try:
                response = self._request(self.root_path + "?format=zip", dict(_HEADERS))
            except (NetError, OSError, http.client.HTTPException):
                return done
        try:
            if response.status != 200:
                return done
            reader = _ZipReader(response, self)
            while (member := reader.next_member()) is not None:
                name, zip64 = member
                if name.endswith("/"):
                    size = 0
                elif name in sizes:
                    size = sizes[name]
                else:
                    return done  # not in the lists: the layout is not what was listed
                entry = by_key.get(name)
                data: bytes | None = None
                if entry is None:
                    reader.skip(size)
                elif size <= _INLINE:
                    data = reader.take(size)
                    digest = hashlib.sha256(data).hexdigest()
                else:
                    part = top / STAGING / _part_name(entry)
                    digest = reader.save(size, part)
                if entry is not None:
                    self._advance(entry.shown, size)
                if not reader.descriptor(size, zip64):
                    if entry is not None and data is None:
                        part.unlink()
                    return done
                if entry is None:
                    continue
                if digest != entry.sha256:
                    if data is None:
                        part.unlink()  # fetched again file by file
                    continue
                if data is None:
                    outcome = _place(top, entry, None, digest)
                    if outcome is not None:
                        done[outcome.path] = outcome
                    continue
                batch.append((entry, data, digest))
                batched += size
                if len(batch) >= _BATCH_FILES or batched >= _BATCH_BYTES:
                    hand_over()
                    settle(_INLINE_BUFFER)
        except (OSError, http.client.HTTPException, ProtocolError, TransferError):
            pass
        finally:
            response.close()
            if not self.stopping and ahead is None:
                self._drop_connection()
            hand_over()  # the members read whole before the end are written too
            settle(-1)  # every write ends before the outcomes are counted
        return done

    def _open_zip(self) -> http.client.HTTPResponse | None:
        """The answer to a GET of the folder's zip (its head read, the body not), on a connection
        taken away from this worker (the body may be left unread); None when it failed (the
        bulk pass then asks again, or files are fetched one by one)."""
        try:
            return self._request(self.root_path + "?format=zip", dict(_HEADERS))
        except (NetError, OSError, http.client.HTTPException):
            return None
        finally:
            self._local.connection = None  # closed with the others at the end of run()

    def _drop_connection(self) -> None:
        """Forget this thread's connection (a bulk answer may have been cut mid-body)."""
        connection = getattr(self._local, "connection", None)
        if connection is not None:
            connection.close()
            self._local.connection = None

    def _mirror_file(self, top: Path, entry: _Entry) -> MirrorFile:
        part = top / STAGING / _part_name(entry)
        size, digest = self._fetch(entry, part)
        if (entry.sha256 is not None and digest != entry.sha256) or (
            entry.sha256 is None and size != entry.size
        ):
            part.unlink()
            what = "SHA-256" if entry.sha256 is not None else "size"
            return MirrorFile(
                entry.shown,
                "failed",
                size,
                _(
                    "its {what} is not the one in the list (did it change on the server?); "
                    "run the mirror again"
                ).format(what=what),
            )
        with contextlib.suppress(OSError):
            os.utime(part, (entry.mtime, entry.mtime))
        os.replace(part, entry.local)
        return MirrorFile(
            entry.shown, "downloaded", size, verified=entry.sha256 is not None, sha256=digest
        )

    def _fetch(self, entry: _Entry, part: Path) -> tuple[int, str]:
        """Download ``entry`` into ``part``, resuming what it holds; returns (size, SHA-256 hex).

        The file is fsynced before it is renamed by the caller, so a crash never leaves a
        complete-looking file with missing bytes.
        """
        hasher = hashlib.sha256()
        offset = _part_size(part) if entry.sha256 is not None else 0
        if offset > entry.size:
            offset = 0
        target = urllib.parse.urlsplit(entry.url)
        path = target.path + (f"?{target.query}" if target.query else "")
        headers = dict(_HEADERS)
        if offset:
            headers["Range"] = f"bytes={offset}-"
        response = self._request(path, headers)
        try:
            if response.status == 416 and offset == entry.size:
                response.read()
            elif response.status == 206 and offset:
                span = parse_content_range(response.getheader("Content-Range") or "")
                if span is None or span.start != offset:
                    raise ProtocolError(
                        _("{authority} sent another part of the file").format(
                            authority=self.url.authority
                        )
                    )
            elif response.status == 200:
                offset = 0
            else:
                response.read(64 * 1024)
                raise TransferError(
                    _("{authority} answered {status} {reason}").format(
                        authority=self.url.authority,
                        status=response.status,
                        reason=response.reason,
                    )
                )
            fd = open_part(part, offset)
            try:
                hash_existing(fd, offset, hasher, functools.partial(_raise_if_stopped, self))
                self._advance(entry.shown, offset)
                os.lseek(fd, offset, os.SEEK_SET)
                size = offset
                if response.status != 416:
                    size += self._copy_body(response, fd, hasher, entry.shown)
                os.fsync(fd)
            finally:
                os.close(fd)
        finally:
            response.close()
        return size, hasher.hexdigest()

    def _copy_body(
        self, response: http.client.HTTPResponse, fd: int, hasher: Any, shown: str
    ) -> int:
        buffer = bytearray(_COPY_CHUNK)
        view = memoryview(buffer)
        done = 0
        while True:
            _raise_if_stopped(self)
            count = response.readinto(view)
            if not count:
                break
            hasher.update(view[:count])
            write_all(fd, view[:count])
            done += count
            self._advance(shown, count)
        if response.length:  # http.client: bytes announced and not received
            raise TransferError(
                _("the connection with {authority} ended mid-file").format(
                    authority=self.url.authority
                )
            )
        return done

    def _request(self, path: str, headers: dict[str, str]) -> http.client.HTTPResponse:
        """GET on this worker thread's persistent connection (made again when the server closed
        it between requests)."""
        connection = getattr(self._local, "connection", None)
        for attempt in (1, 2):
            if connection is None:
                connection = self._connection()
                self._local.connection = connection
                with self._active_lock:
                    self._connections.add(connection)
            if self.url.authorization is not None:
                headers = {**headers, "Authorization": self.url.authorization}
            try:
                connection.request("GET", path, headers=headers)
                return connection.getresponse()
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                connection.close()
                if attempt == 2 or self.stopping:
                    raise
            except TimeoutError as exc:
                connection.close()
                raise TransferError(
                    _("{authority} did not answer within {timeout:g} s").format(
                        authority=self.url.authority, timeout=self._timeout
                    )
                ) from exc
            except http.client.HTTPException as exc:
                connection.close()
                raise ProtocolError(
                    _("{authority} sent a broken answer ({error_type})").format(
                        authority=self.url.authority, error_type=type(exc).__name__
                    )
                ) from exc
        raise AssertionError("unreachable")  # pragma: no cover

    def _report(self, result: MirrorFile) -> MirrorFile:
        with self._report_lock:
            if self._on_file is not None:
                self._on_file(result)
            credited = self._credited.pop(result.path, 0)
            if result.outcome != "failed":
                self._files_done += 1
                self._bytes_done += max(0, result.size - credited)
            elif not self.stopping:
                self._files_done += 1
        self._tell()
        return result

    def _advance(self, shown: str, count: int) -> None:
        """Credit ``count`` bytes received (or resumed) for the file at ``shown``."""
        if self._on_progress is None:
            return
        with self._report_lock:
            self._credited[shown] = self._credited.get(shown, 0) + count
            self._bytes_done += count
        self._tell()

    def _tell(self) -> None:
        if self._on_progress is not None:
            with self._report_lock:  # held while calling: the events arrive in order
                self._on_progress(
                    MirrorProgress(
                        self._files_done,
                        self._files_total,
                        min(self._bytes_done, self._bytes_total),
                        self._bytes_total,
                    )
                )


@functools.lru_cache(maxsize=64)
def _folder_segments(folder_path: str) -> list[str]:
    """A folder's request path ("/a%20b/c/") as its decoded segments (["", "a b", "c"]); the
    same folder is asked about for each of its entries."""
    return [urllib.parse.unquote(part) for part in folder_path.split("/")][:-1]


def _empty(folder: Path) -> bool:
    """Whether ``folder`` has no entries (False when it cannot be read)."""
    try:
        with os.scandir(folder) as found:
            return next(found, None) is None
    except OSError:
        return False


def _inside(folder: Path, top: Path) -> bool:
    """Whether ``folder``, resolved (links followed), is ``top`` or lies inside it."""
    try:
        return folder.resolve().is_relative_to(top)
    except (OSError, RuntimeError):
        return False


def _make_folders(top: Path, folder: Path) -> bool:
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


class _ZipReader:
    """Reads a stored zip as it streams (the layout :mod:`net.zipstream` writes): local headers,
    data, data descriptors, until the central directory begins."""

    def __init__(self, response: http.client.HTTPResponse, loop: StoppableLoop) -> None:
        self.response = response
        self.loop = loop
        self.buffer = memoryview(bytearray(_COPY_CHUNK))
        # Bytes read ahead and not used yet: a member's header, data and descriptor are taken
        # from here, a few calls per member rather than six reads through http.client.
        self._ahead = b""
        self._at = 0

    def _exact(self, count: int) -> bytes:
        held = len(self._ahead) - self._at
        if held < count:
            pieces = [self._ahead[self._at :]]
            while held < count:
                _raise_if_stopped(self.loop)
                more = self.response.read1(max(count - held, _COPY_CHUNK))
                if not more:
                    raise TransferError(_("the zip ended early"))
                pieces.append(more)
                held += len(more)
            self._ahead, self._at = b"".join(pieces), 0
        data = self._ahead[self._at : self._at + count]
        self._at += count
        return data

    def next_member(self) -> tuple[str, bool] | None:
        """(name, ZIP64?) of the next member; None at the central directory."""
        signature = self._exact(4)
        if signature == b"PK\x01\x02":
            return None
        if signature != b"PK\x03\x04":
            raise ProtocolError(_("not a zip stream"))
        head = self._exact(26)
        flags, method = struct.unpack_from("<HH", head, 2)
        name_length, extra_length = struct.unpack_from("<HH", head, 22)
        if method != 0 or not flags & 0x08:
            raise ProtocolError(_("not a stored zip stream"))
        name = self._exact(name_length).decode("utf-8", "replace")
        extra = self._exact(extra_length)
        return name, _has_zip64(extra)

    def _chunks(self, size: int) -> Iterator[memoryview]:
        """The next ``size`` bytes, a buffer at a time (each valid until the next)."""
        held = min(size, len(self._ahead) - self._at)
        if held:
            yield memoryview(self._ahead)[self._at : self._at + held]
            self._at += held
        left = size - held
        while left:
            _raise_if_stopped(self.loop)
            count = self.response.readinto(self.buffer[: min(left, _COPY_CHUNK)])
            if not count:
                raise TransferError(_("the zip ended early"))
            left -= count
            yield self.buffer[:count]

    def skip(self, size: int) -> None:
        for _chunk in self._chunks(size):
            pass

    def take(self, size: int) -> bytes:
        """The next ``size`` bytes (a small member), in memory."""
        return self._exact(size) if size else b""

    def save(self, size: int, part: Path) -> str:
        """Write the next ``size`` bytes to ``part`` (fsynced); their SHA-256 hex."""
        hasher = hashlib.sha256()
        fd = open_part(part, 0)
        try:
            for chunk in self._chunks(size):
                hasher.update(chunk)
                write_all(fd, chunk)
            os.fsync(fd)
        finally:
            os.close(fd)
        return hasher.hexdigest()

    def descriptor(self, size: int, zip64: bool) -> bool:
        """Read the data descriptor; whether its sizes say ``size`` (the member was what the
        list said)."""
        if zip64:
            signature, _crc, packed, full = struct.unpack("<IIQQ", self._exact(24))
        else:
            signature, _crc, packed, full = struct.unpack("<IIII", self._exact(16))
        return bool(signature == 0x08074B50 and packed == full == size)


def _place(top: Path, entry: _Entry, data: bytes | None, digest: str) -> MirrorFile | None:
    """Put a verified file in place: ``data`` written to its ``.part`` (fsynced; None: the part
    holds it already), its time set, renamed over the local path. None when the disk refused
    (the file is then fetched on its own)."""
    part = top / STAGING / _part_name(entry)
    try:
        if data is not None:
            flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_NOFOLLOW", 0)
            flags |= getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)
            fd = os.open(part, flags, 0o644)
            try:
                view = memoryview(data)
                while view:
                    view = view[os.write(fd, view) :]
                os.fsync(fd)
            finally:
                os.close(fd)
        with contextlib.suppress(OSError):
            os.utime(part, (entry.mtime, entry.mtime))
        os.replace(part, entry.local)
    except OSError:
        with contextlib.suppress(OSError):
            part.unlink()
        return None
    return MirrorFile(entry.shown, "downloaded", entry.size, verified=True, sha256=digest)


def _place_all(top: Path, batch: list[tuple[_Entry, bytes, str]]) -> list[MirrorFile]:
    """:func:`_place` for each (entry, data, SHA-256 hex) of ``batch``: the files placed."""
    placed = (_place(top, entry, data, digest) for entry, data, digest in batch)
    return [outcome for outcome in placed if outcome is not None]


def _has_zip64(extra: bytes) -> bool:
    """Whether a local header's extra field holds a ZIP64 record (id 0x0001)."""
    at = 0
    while at + 4 <= len(extra):
        kind, length = struct.unpack_from("<HH", extra, at)
        if kind == 0x0001:
            return True
        at += 4 + length
    return False


def _part_name(entry: _Entry) -> str:
    """The .part of one version of one file: named after its local path and the list's SHA-256,
    so that bytes of another version are never resumed."""
    key = f"{entry.shown}\0{entry.sha256 or ''}".encode()
    return hashlib.sha256(key).hexdigest()[:32] + ".part"


def _clean_staging(staging: Path, keep: set[str]) -> None:
    """Delete the staging folder's parts except ``keep`` (those of files that failed now, to
    resume next time), and the folder when it is empty."""
    with contextlib.suppress(OSError):
        for part in staging.iterdir():
            if part.name not in keep:
                part.unlink()
        staging.rmdir()


def _part_size(part: Path) -> int:
    """Bytes a ``.part`` holds (0 when there is none); a link is not followed (open_part then
    refuses it)."""
    try:
        return part.lstat().st_size
    except FileNotFoundError:
        return 0


def _raise_if_stopped(loop: StoppableLoop) -> None:
    if loop.stopping:
        raise TransferCancelled(_("stopped"))


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
        hash_existing(fd, size, digest, functools.partial(_raise_if_stopped, loop))
    except TransferCancelled:
        raise
    except (OSError, TransferError):  # unreadable, or shorter than its size a moment ago
        return False
    finally:
        os.close(fd)
    return digest.hexdigest() == sha256
