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
5. ``jobs`` files are in flight at once (default 4), each worker on its own persistent connection
   (http.client, not :class:`net.download.Download`: :mod:`net._mirror_client` says why).

Names that differ only in case are two files on Linux; on a case-insensitive file system (Windows,
macOS by default) they would be one, so there the second of them fails with a sentence instead of
overwriting the first.

The parts: the lists and the plan in :mod:`net._mirror_plan`, the requests in
:mod:`net._mirror_client`, the bulk pass in :mod:`net._mirror_zip`, DIR and its staging folder
in :mod:`net._mirror_local`; :class:`Mirror` runs them in turn.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import http.client
import os
import threading
import urllib.parse
from collections.abc import Callable, Collection
from dataclasses import dataclass
from pathlib import Path

from net._i18n import _
from net._loop import StoppableLoop
from net._mirror_client import MirrorClient
from net._mirror_local import (
    STAGING,
    Entry,
    clean_staging,
    empty,
    local_checks,
    make_folders,
    part_name,
)
from net._mirror_plan import RemoteTree
from net._mirror_zip import fetch_zip
from net.address import resolve
from net.download import TransferCancelled, parse_share_url
from net.errors import AddressError, NetError, describe_io_error
from net.events import MirrorFile, MirrorProgress
from net.share import LocalFileError
from net.tls import ClientTls

__all__ = ["STAGING", "Mirror", "MirrorFile", "MirrorProgress", "MirrorResult"]

#: Files missing at once (and at least half of those listed) from which the folder's zip is
#: fetched in one request rather than each file in its own.
_BULK_MIN = 64


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
        self._timeout = timeout
        self._jobs = max(1, jobs)
        self._only = None if only is None else frozenset(only)
        self._client = MirrorClient(parsed, self, tls=tls, timeout=timeout)
        self._tally = _Tally(self, on_file, on_progress)

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
        # A first mirror into an empty DIR fetches the folder's zip (see fetch_zip): it is asked for
        # while the lists are being read, so that the server's first bytes wait for us.
        fresh = self._only is None and empty(top)
        # An unknown host is bad input (AddressError, exit 2), as for a single download.
        resolve(self.url.host, self.url.port, timeout=min(self._timeout, 10.0))
        staging = top / STAGING
        with concurrent.futures.ThreadPoolExecutor(
            max_workers=self._jobs + 1, thread_name_prefix="swb-mirror"
        ) as pool:
            try:
                results, entries = self._mirror(top, staging, pool, fresh)
            finally:
                self._client.close_all()
        if self.stopping:
            raise TransferCancelled(
                _("the mirror was stopped; run it again to finish (partial files are kept)")
            )
        failed = [(r.path, r.reason) for r in results if r.outcome == "failed"]
        clean_staging(staging, {part_name(e) for e in entries} if failed else set())
        return MirrorResult(
            downloaded=sum(r.outcome == "downloaded" for r in results),
            up_to_date=sum(r.outcome == "up to date" for r in results),
            failed=len(failed),
            failures=tuple(failed),
        )

    def _mirror(
        self, top: Path, staging: Path, pool: concurrent.futures.Executor, fresh: bool
    ) -> tuple[list[MirrorFile], list[Entry]]:
        """Lists, local checks, the bulk pass and the file-by-file pass: every outcome, and
        the files listed. ``fresh``: DIR was empty, so the folder's zip is asked for at once."""
        # The zip is asked for as soon as the lists have named enough files for the bulk pass,
        # not before: for a small folder it would be a wasted transfer in the server's table.
        asked: list[concurrent.futures.Future[http.client.HTTPResponse | None]] = []

        def files_found(count: int) -> None:
            if fresh and not asked and count >= _BULK_MIN:
                asked.append(pool.submit(self._client.open_zip, self.root_path))

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
    ) -> tuple[list[MirrorFile], list[Entry]]:
        tree = RemoteTree(self._client, self.root_path, self._only)
        entries, failures = tree.collect(top, pool, files_found)
        self._tally.listed(len(entries) + len(failures), sum(e.size for e in entries))
        if not make_folders(top, staging):
            raise LocalFileError(
                _("{staging} is not a folder of this program's: move it away").format(
                    staging=staging
                )
            )
        results: list[MirrorFile] = [self._tally.report(f) for f in failures]
        checked = local_checks(top, entries, pool, self)
        results += [self._tally.report(r) for r in checked if r is not None]
        needed = [e for e, r in zip(entries, checked, strict=True) if r is None]
        bulk = [e for e in needed if e.sha256 is not None and e.key is not None]
        held = set(os.listdir(staging))
        bulk = [e for e in bulk if part_name(e) not in held]  # those resume
        if self._only is None and len(bulk) >= _BULK_MIN and len(bulk) * 2 >= len(entries):
            response = asked[0].result() if asked else None
            done = fetch_zip(
                self._client,
                self.root_path,
                top,
                bulk,
                entries,
                pool=pool,
                loop=self,
                advance=self._tally.advance,
                ahead=response,
            )
            results += [self._tally.report(r) for r in done.values()]
            needed = [e for e in needed if e.shown not in done]
        futures = [pool.submit(self._one, top, entry) for entry in needed]
        for future in futures:
            results.append(future.result())
        return results, entries

    def shutdown(self) -> None:
        super().shutdown()
        self._client.wake_all()

    def _one(self, top: Path, entry: Entry) -> MirrorFile:
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
            reason = self._client.broken_answer(exc)
            result = MirrorFile(entry.shown, "failed", entry.size, reason)
        except OSError as exc:
            reason = "stopped" if self.stopping else describe_io_error(exc, self.url.authority)
            result = MirrorFile(entry.shown, "failed", entry.size, reason)
        return self._tally.report(result)

    def _mirror_file(self, top: Path, entry: Entry) -> MirrorFile:
        part = top / STAGING / part_name(entry)
        size, digest = self._client.fetch_file(entry, part, self._tally.advance)
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


class _Tally:
    """A run's counts and the reports made of them: each file's outcome to ``on_file``, and a
    :class:`MirrorProgress` to ``on_progress`` (both called from worker threads, one at a time)."""

    def __init__(
        self,
        loop: StoppableLoop,
        on_file: Callable[[MirrorFile], None] | None,
        on_progress: Callable[[MirrorProgress], None] | None,
    ) -> None:
        self._loop = loop
        self._on_file = on_file
        self._on_progress = on_progress
        self._report_lock = threading.Lock()
        # Progress: totals once listed; bytes credited to each file not settled yet.
        self._files_total = self._files_done = self._bytes_total = self._bytes_done = 0
        self._credited: dict[str, int] = {}

    def listed(self, files: int, size: int) -> None:
        """The lists are in: ``files`` files (and refused entries) of ``size`` bytes in all."""
        with self._report_lock:
            self._files_total = files
            self._bytes_total = size
        self._tell()

    def report(self, result: MirrorFile) -> MirrorFile:
        with self._report_lock:
            if self._on_file is not None:
                self._on_file(result)
            credited = self._credited.pop(result.path, 0)
            if result.outcome != "failed":
                self._files_done += 1
                self._bytes_done += max(0, result.size - credited)
            elif not self._loop.stopping:
                self._files_done += 1
        self._tell()
        return result

    def advance(self, shown: str, count: int) -> None:
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
