"""A mirror's requests (:mod:`net.mirror`): GETs to the share's origin on one persistent
http.client connection per worker thread, for the folders' JSON lists and the files' bodies.

Why its own http.client fetch and not :class:`net.download.Download`: Download makes one
connection, two fsyncs and a hashing thread per file, which costs about 20 ms a file here, so
thousands of small files would take minutes; a mirror's workers keep their connections and fetch
whole files here (single downloads stay with Download).
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import http.client
import json
import os
import socket
import threading
import urllib.parse
from collections.abc import Callable
from pathlib import Path
from typing import Any

from net._i18n import _
from net._loop import StoppableLoop
from net._mirror_local import Entry, part_size, raise_if_stopped
from net.download import TransferCancelled
from net.download.files import hash_existing, open_part, write_all
from net.download.listing import follow_page, next_page
from net.download.urls import ShareUrl
from net.errors import (
    ConnectError,
    NetError,
    ProtocolError,
    TransferError,
    describe_connect_error,
    describe_io_error,
)
from net.httpfile import parse_content_range
from net.tls import ClientTls, client_context

MAX_LIST = 32 * 1024 * 1024  # bytes of one JSON list
MAX_ENTRIES = 1_000_000  # entries in the whole tree
HEADERS = {"User-Agent": "socket-workbench", "Accept-Encoding": "identity"}
COPY_CHUNK = 256 * 1024

#: Called with (the file's local path relative to DIR, bytes received or resumed).
Advance = Callable[[str, int], None]


class MirrorClient:
    """GET requests to the share at ``url``: each worker thread keeps its own connection.

    Args:
        url: the share's URL (its origin and credentials are used).
        loop: the mirror; its ``stopping`` ends transfers.
        tls: how to check an https server (default: verified against the system's CAs).
        timeout: seconds for connecting and for any wait for the server's next bytes.
    """

    def __init__(
        self, url: ShareUrl, loop: StoppableLoop, *, tls: ClientTls | None, timeout: float
    ) -> None:
        self.url = url
        self.timeout = timeout
        self.loop = loop
        self._tls = tls
        self._local = threading.local()  # each worker's persistent connection
        self._connections: set[http.client.HTTPConnection] = set()
        self._active_lock = threading.Lock()

    def close_all(self) -> None:
        """Close every worker's connection (the run is over)."""
        with self._active_lock:
            for connection in self._connections:
                connection.close()
            self._connections.clear()

    def wake_all(self) -> None:
        """Wake every read blocked on a connection (thread-safe; the mirror is stopping)."""
        with self._active_lock:
            connections = list(self._connections)
        for connection in connections:
            if connection.sock is not None:
                with contextlib.suppress(OSError):
                    # shutdown() wakes a read blocked on it in a worker; close() would not.
                    connection.sock.shutdown(socket.SHUT_RDWR)

    def _connection(self) -> http.client.HTTPConnection:
        host, port = self.url.host, self.url.port
        if self.url.scheme == "https":
            context = client_context(self._tls or ClientTls())
            return http.client.HTTPSConnection(host, port, timeout=self.timeout, context=context)
        return http.client.HTTPConnection(host, port, timeout=self.timeout)

    def request(self, path: str, headers: dict[str, str]) -> http.client.HTTPResponse:
        """GET on this worker thread's persistent connection (made again when the server closed
        it between requests).

        Raises:
            TransferError: no answer within the timeout; ProtocolError: a broken answer.
            OSError: the connection failed (twice when it had been closed by the server).
        """
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
                if attempt == 2 or self.loop.stopping:
                    raise
            except TimeoutError as exc:
                connection.close()
                raise TransferError(
                    _("{authority} did not answer within {timeout:g} s").format(
                        authority=self.url.authority, timeout=self.timeout
                    )
                ) from exc
            except http.client.HTTPException as exc:
                connection.close()
                raise ProtocolError(self.broken_answer(exc)) from exc
        raise AssertionError("unreachable")  # pragma: no cover

    def broken_answer(self, exc: http.client.HTTPException) -> str:
        """The sentence for an answer http.client could not read."""
        return _("{authority} sent a broken answer ({error_type})").format(
            authority=self.url.authority, error_type=type(exc).__name__
        )

    def open_zip(self, folder_path: str) -> http.client.HTTPResponse | None:
        """The answer to a GET of the folder's zip (its head read, the body not), on a connection
        taken away from this worker (the body may be left unread); None when it failed (the
        bulk pass then asks again, or files are fetched one by one)."""
        try:
            return self.request(folder_path + "?format=zip", dict(HEADERS))
        except (NetError, OSError, http.client.HTTPException):
            return None
        finally:
            self._local.connection = None  # closed with the others by close_all()

    def drop_connection(self) -> None:
        """Forget this thread's connection (a bulk answer may have been cut mid-body)."""
        connection = getattr(self._local, "connection", None)
        if connection is not None:
            connection.close()
            self._local.connection = None

    # ---- lists --------------------------------------------------------------------------------

    def fetch_list(self, path: str) -> list[object]:
        """One folder's JSON list, on this worker's persistent connection: its pages one after
        another, following each page's ``Link: <...>; rel="next"`` (RFC 8288) while it stays in
        this folder's list, up to ``MAX_ENTRIES`` entries.

        Raises:
            ConnectError, ProtocolError, TransferError; TransferCancelled once stopping.
        """
        items: list[object] = []
        first = path + "?format=json"
        seen = {first}
        target: str | None = first
        while target is not None:
            page, target = self._fetch_page(path, target)
            target = follow_page(target, seen, not page, self.url.authority)
            items += page
            if len(items) > MAX_ENTRIES:
                raise self.too_many()
        return items

    def too_many(self) -> ProtocolError:
        """The error for a tree of more than ``MAX_ENTRIES`` entries."""
        return ProtocolError(
            _("{authority} lists more than {max_entries:,} entries").format(
                authority=self.url.authority, max_entries=MAX_ENTRIES
            )
        )

    def _fetch_page(self, path: str, target: str) -> tuple[list[object], str | None]:
        """One page of a folder's JSON list and the target of the next page (None: the last)."""
        where = self.url.authority
        try:
            response = self.request(target, dict(HEADERS))
            if response.status != 200:
                response.read(64 * 1024)
                raise ProtocolError(
                    _(
                        "{where} has no folder list at {path} ({status}); is it a Socket "
                        "Workbench share folder?"
                    ).format(where=where, path=urllib.parse.unquote(path), status=response.status)
                )
            body = response.read(MAX_LIST + 1)
            if len(body) > MAX_LIST:
                raise ProtocolError(
                    _("the list of {path} is too large").format(path=urllib.parse.unquote(path))
                )
            following = next_page(response.getheader("Link"), path)
        except TimeoutError as exc:
            raise TransferError(
                _("{where} did not answer within {timeout:g} s").format(
                    where=where, timeout=self.timeout
                )
            ) from exc
        except http.client.HTTPException as exc:
            raise ProtocolError(
                _("{where} sent a broken answer ({error_type})").format(
                    where=where, error_type=type(exc).__name__
                )
            ) from exc
        except OSError as exc:
            if self.loop.stopping:
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

    def fetch_file(self, entry: Entry, part: Path, advance: Advance) -> tuple[int, str]:
        """Download ``entry`` into ``part``, resuming what it holds; returns (size, SHA-256 hex).
        ``advance`` hears the bytes resumed and received.

        The file is fsynced before it is renamed by the caller, so a crash never leaves a
        complete-looking file with missing bytes.

        Raises:
            ProtocolError, TransferError, OSError; TransferCancelled once stopping.
        """
        hasher = hashlib.sha256()
        credit = functools.partial(advance, entry.shown)
        offset = part_size(part) if entry.sha256 is not None else 0
        if offset > entry.size:
            offset = 0
        target = urllib.parse.urlsplit(entry.url)
        path = target.path + (f"?{target.query}" if target.query else "")
        headers = dict(HEADERS)
        if offset:
            headers["Range"] = f"bytes={offset}-"
        response = self.request(path, headers)
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
                hash_existing(fd, offset, hasher, functools.partial(raise_if_stopped, self.loop))
                credit(offset)
                os.lseek(fd, offset, os.SEEK_SET)
                size = offset
                if response.status != 416:
                    size += self._copy_body(response, fd, hasher, credit)
                os.fsync(fd)
            finally:
                os.close(fd)
        finally:
            response.close()
        return size, hasher.hexdigest()

    def _copy_body(
        self,
        response: http.client.HTTPResponse,
        fd: int,
        hasher: Any,
        credit: Callable[[int], None],
    ) -> int:
        """Write the body's bytes to ``fd`` and ``hasher`` as they arrive, each chunk's count
        to ``credit``; returns the count."""
        buffer = bytearray(COPY_CHUNK)
        view = memoryview(buffer)
        done = 0
        while True:
            raise_if_stopped(self.loop)
            count = response.readinto(view)
            if not count:
                break
            hasher.update(view[:count])
            write_all(fd, view[:count])
            done += count
            credit(count)
        if response.length:  # http.client: bytes announced and not received
            raise TransferError(
                _("the connection with {authority} ended mid-file").format(
                    authority=self.url.authority
                )
            )
        return done
