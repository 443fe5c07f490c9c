"""The download client: HTTP (resumable, verified) and the classic raw dialect, into a folder.

A download is written to ``<name>.part``, synced to disk, and renamed to ``<name>`` only when it is
complete and, when the server announced a checksum (``Repr-Digest``), verified. An interrupted
download leaves the ``.part``; the next attempt resumes it with ``Range`` + ``If-Range``, using the
validator (ETag or Last-Modified) stored in the ``.part``'s extended attributes. A failed check
deletes the ``.part``: nothing that looks complete is kept.

HTTP heads are parsed by h11. A body framed by Content-Length (or by the end of the connection) is
then read straight from the socket into a large buffer, so the per-chunk cost stays small; chunked
bodies go through h11. Redirects are reported, not followed.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import os
import queue
import selectors
import socket
import sys
import threading
import time
import urllib.parse
from collections import deque
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import h11

from net._loop import StoppableLoop, Waker, is_unclean_tls_end, would_block_errors
from net._record import Record
from net.address import parse_host, parse_port, resolve
from net.errors import (
    AddressError,
    ConnectError,
    NetError,
    ProtocolError,
    TransferError,
    describe_connect_error,
    describe_io_error,
)
from net.events import DownloadFinished, DownloadProgress
from net.httpfile import parse_content_range, parse_repr_digest
from net.share import LocalFileError

if TYPE_CHECKING:
    from net.tls import ClientTls

__all__ = [
    "Download",
    "RemoteFile",
    "ShareUrl",
    "TransferCancelled",
    "list_remote_files",
    "parse_share_url",
    "safe_file_name",
]

_BUFFER = 1024 * 1024  # one recv_into per megabyte at most: few Python steps per chunk
_PIPE_BUFFERS = 4
_PROGRESS_INTERVAL = 0.1
_MAX_HEAD = 64 * 1024
_MAX_LIST = 32 * 1024 * 1024
_RESUME_XATTR = "user.swb.resume"
_USER_AGENT = "socket-workbench"
_DEFAULT_PORTS = {"http": 80, "https": 443}


class TransferCancelled(TransferError):
    """The download was cancelled with ``shutdown()``; the ``.part`` is kept for a later resume."""


class ShareUrl(Record):
    """A parsed share URL: ``http(s)://host:port/name`` or ``raw://host:port/name``."""

    scheme: Literal["http", "https", "raw"]
    host: str  # normal form, IPv6 without brackets
    port: int
    name: str  # the last path segment, percent-decoded ("" when the URL names no file)
    target: str  # HTTP request target, percent-encoded ("/a%20b.txt")
    raw_name: str  # the whole path after the first "/", percent-decoded: what a raw request sends

    @property
    def authority(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}"

    @property
    def origin(self) -> str:
        scheme = "http" if self.scheme == "raw" else self.scheme
        return f"{scheme}://{self.authority}"


def parse_share_url(url: str) -> ShareUrl:
    """Parse what a user pasted; raw spaces and non-ASCII letters are accepted and encoded.

    Raises:
        AddressError: no scheme or an unknown one, a bad host, a port out of range, or user
            information (``user@host``) in the URL.
    """
    text = url.strip()
    if not text:
        raise AddressError("the URL is empty: type one like http://192.168.1.10:8000/report.pdf")
    if "://" not in text:
        raise AddressError(
            f"{text!r} is not a URL: start it with http://, https:// or raw:// "
            "(like http://192.168.1.10:8000/report.pdf)"
        )
    scheme_text, rest = text.split("://", 1)
    scheme = scheme_text.lower()
    if scheme not in ("http", "https", "raw"):
        raise AddressError(
            f"{scheme_text}:// URLs are not supported: use http://, https:// or raw://"
        )
    cut = min((i for i in (rest.find("/"), rest.find("?"), rest.find("#")) if i >= 0), default=-1)
    authority, path_part = (rest, "") if cut < 0 else (rest[:cut], rest[cut:])
    if "@" in authority:
        raise AddressError("user names and passwords in URLs are not supported")
    if not authority:
        raise AddressError(f"{text!r} has no host: type one like http://192.168.1.10:8000/name")
    host_text, port_text = _split_authority(authority)
    host = parse_host(host_text)
    if port_text is None or port_text == "":
        if scheme == "raw":
            raise AddressError("a raw:// URL needs a port, like raw://192.168.1.10:5000/name")
        port = _DEFAULT_PORTS[scheme]
    else:
        port = parse_port(port_text)
    raw_path = path_part[1:] if path_part.startswith("/") else path_part
    raw_name = urllib.parse.unquote(raw_path, errors="replace")
    split = urllib.parse.urlsplit("http://x" + (path_part if path_part.startswith("/") else ""))
    path = split.path or "/"
    name = urllib.parse.unquote(path.rsplit("/", 1)[-1], errors="replace")
    target = urllib.parse.quote(path, safe="/%!$&'()*+,;=:@~")
    if split.query:
        target += "?" + urllib.parse.quote(split.query, safe="/%!$&'()*+,;=:@~?")
    return ShareUrl(scheme, host, port, name, target, raw_name)  # type: ignore[arg-type]


def _split_authority(authority: str) -> tuple[str, str | None]:
    if authority.startswith("["):
        end = authority.find("]")
        if end < 0:
            raise AddressError(f"{authority!r}: an IPv6 address in a URL needs a closing ']'")
        rest = authority[end + 1 :]
        if rest and not rest.startswith(":"):
            raise AddressError(f"{authority!r} is not a valid host and port")
        return authority[: end + 1], (rest[1:] if rest else None)
    if authority.count(":") > 1:
        raise AddressError(f"{authority!r}: put an IPv6 address in brackets, like [::1]:8000")
    host, sep, port = authority.partition(":")
    return host, (port if sep else None)


# Windows device names, also with an extension or trailing spaces ("nul.txt", "CON .txt"); the
# superscript digits and the console names count too (Microsoft's "Naming Files" page).
_WINDOWS_RESERVED = {"CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$"} | {
    f"{p}{i}" for p in ("COM", "LPT") for i in (*"0123456789", "\u00b9", "\u00b2", "\u00b3")
}
# Bidirectional embeddings, overrides and isolates: "report\u202efdp.exe" would show as
# "reportexe.pdf". Line and paragraph separators would break a log line like a newline.
_INVISIBLE = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
_LINE_BREAKS = frozenset("\u2028\u2029")
_MAX_NAME_BYTES = 200  # leaves room for " (99)" and ".part" under the usual 255-byte limit


def _unsafe_char(ch: str) -> bool:
    code = ord(ch)
    return (
        ch in "/\\" or code < 32 or 0x7F <= code <= 0x9F or ch in _INVISIBLE or ch in _LINE_BREAKS
    )


def safe_file_name(name: str, *, windows: bool | None = None) -> str:
    """A file name that stays inside the download folder, whatever the server called the file.

    Path separators, control characters, line separators and bidirectional overrides become "_",
    "." and ".." become "download", and the name is cut to 200 bytes (keeping the extension). On
    Windows, also the characters it forbids, trailing dots and spaces, and its device names.
    """
    windows = os.name == "nt" if windows is None else windows
    cleaned = "".join("_" if _unsafe_char(ch) else ch for ch in name)
    if windows:
        cleaned = "".join("_" if ch in '<>:"|?*' else ch for ch in cleaned).rstrip(" .")
    cleaned = cleaned.strip()
    if windows and cleaned.split(".", 1)[0].rstrip(" ").upper() in _WINDOWS_RESERVED:
        cleaned = "_" + cleaned
    encoded = cleaned.encode("utf-8")
    if len(encoded) > _MAX_NAME_BYTES:
        stem, dot, ext = cleaned.rpartition(".")
        suffix = (dot + ext) if dot and stem and len(ext.encode()) <= 16 else ""
        budget = _MAX_NAME_BYTES - len(suffix.encode())
        stem_bytes = (cleaned[: -len(suffix)] if suffix else cleaned).encode()[:budget]
        cleaned = stem_bytes.decode("utf-8", "ignore") + suffix
    if windows:
        cleaned = cleaned.rstrip(" .")
    cleaned = cleaned.strip()
    if not cleaned.strip("."):
        return "download"
    return cleaned


class RemoteFile(Record):
    """One entry of a share's JSON list; ``url`` is absolute, ready for :class:`Download`."""

    name: str
    size: int
    mtime: float
    sha256: str | None
    url: str


class _Cancelled(Exception):
    pass


class _Restart(Exception):
    """Start the HTTP download over from byte 0 on a new connection."""


class _Client(StoppableLoop):
    """Connecting and reading with deadlines, where ``shutdown()`` ends any wait at once."""

    def __init__(self, url: ShareUrl, tls: ClientTls | None, timeout: float) -> None:
        super().__init__()
        self.share_url = url
        self._tls = tls
        self._timeout = timeout
        self._selector: selectors.BaseSelector | None = None

    def _connect(self) -> socket.socket:
        url = self.share_url
        endpoints = resolve(url.host, url.port, timeout=min(self._timeout, 10.0))
        failure: OSError | None = None
        for endpoint in endpoints:
            if self.stopping:
                raise _Cancelled
            sock = socket.socket(endpoint.family, socket.SOCK_STREAM)
            sock.setblocking(False)
            try:
                code = sock.connect_ex(endpoint.sockaddr)
                if code not in (0, errno.EINPROGRESS, errno.EWOULDBLOCK, errno.EAGAIN):
                    raise OSError(code, os.strerror(code))
                if code != 0:
                    self._wait(sock, selectors.EVENT_WRITE, self._timeout)
                    code = sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
                    if code:
                        raise OSError(code, os.strerror(code))
            except _Cancelled:
                sock.close()
                raise
            except OSError as exc:
                sock.close()
                failure = exc
                continue
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            if self.share_url.scheme == "https" or (url.scheme == "raw" and self._tls is not None):
                return self._start_tls(sock)
            return sock
        assert failure is not None
        raise ConnectError(describe_connect_error(failure, url.host, url.port)) from failure

    def _start_tls(self, sock: socket.socket) -> socket.socket:
        from net.tls import ClientTls, wrap_client  # only TLS downloads need it

        try:
            return wrap_client(
                sock, self.share_url.host, self._tls or ClientTls(), self._timeout, loop=self
            )
        except ConnectError:
            if self.stopping:
                raise _Cancelled from None
            raise

    def _wait(self, sock: socket.socket, events: int, timeout: float) -> None:
        """Wait until ``sock`` is ready; _Cancelled on shutdown(), TimeoutError after ``timeout``."""
        selector = self.new_selector()
        try:
            selector.register(sock, events)
            ready = selector.select(timeout)
        finally:
            selector.close()
        if self.stopping or any(isinstance(key.data, Waker) for key, _ in ready):
            raise _Cancelled
        if not ready:
            raise TimeoutError(errno.ETIMEDOUT, "timed out")

    def _reader(self, sock: socket.socket) -> Callable[[memoryview], int]:
        """A recv_into for ``sock`` that waits in one selector with the waker (made once)."""
        selector = self.new_selector()
        selector.register(sock, selectors.EVENT_READ)
        self._selector = selector
        timeout = self._timeout
        would_block = would_block_errors(sock)

        def recv_into(view: memoryview) -> int:
            while True:
                try:
                    return sock.recv_into(view)
                except would_block:
                    pass
                if self.stopping:
                    raise _Cancelled
                ready = selector.select(timeout)
                if self.stopping or any(isinstance(key.data, Waker) for key, _ in ready):
                    raise _Cancelled
                if not ready:
                    raise TimeoutError(errno.ETIMEDOUT, "timed out")

        return recv_into

    def _send_all(self, sock: socket.socket, data: bytes) -> None:
        view = memoryview(data)
        would_block = would_block_errors(sock)
        while view:
            try:
                sent = sock.send(view)
            except would_block:
                self._wait(sock, selectors.EVENT_WRITE, self._timeout)
                continue
            view = view[sent:]

    def _close_reader(self) -> None:
        if self._selector is not None:
            self._selector.close()
            self._selector = None

    def _request_head(
        self, sock: socket.socket, headers: list[tuple[str, str]]
    ) -> tuple[h11.Connection, h11.Response, Callable[[memoryview], int]]:
        """Send a GET for the URL's target and read the response head (1xx skipped)."""
        url = self.share_url
        http = h11.Connection(h11.CLIENT, max_incomplete_event_size=_MAX_HEAD)
        bare = f"[{url.host}]" if ":" in url.host else url.host
        base = [
            ("Host", url.authority if url.port != _DEFAULT_PORTS.get(url.scheme) else bare),
            ("User-Agent", _USER_AGENT),
            ("Accept", "*/*"),
            ("Accept-Encoding", "identity"),
            ("Connection", "close"),
        ]
        request = h11.Request(method="GET", target=url.target, headers=base + headers)
        self._send_all(sock, (http.send(request) or b"") + (http.send(h11.EndOfMessage()) or b""))
        recv_into = self._reader(sock)
        buffer = bytearray(64 * 1024)
        view = memoryview(buffer)
        answered = False
        while True:
            try:
                event = http.next_event()
            except h11.RemoteProtocolError as exc:
                if not answered:
                    break
                raise ProtocolError(
                    f"{url.authority} did not answer in HTTP/1.1 ({exc}); if it is a classic raw "
                    "server, use a raw:// URL"
                ) from exc
            if event is h11.NEED_DATA:
                count = recv_into(view)
                answered = answered or count > 0
                http.receive_data(bytes(view[:count]))
                continue
            if isinstance(event, h11.Response):
                return http, event, recv_into
            if isinstance(event, h11.ConnectionClosed):
                break
            # InformationalResponse (1xx): keep reading
        raise TransferError(f"{url.authority} closed the connection without an answer")


def _header(response: h11.Response, name: bytes) -> str | None:
    for key, value in response.headers:
        if key == name:
            return value.decode("latin-1")
    return None


def _shown(text: str) -> str:
    """Server-chosen text fit for a message: control characters (C1 ones like CSI are legal in
    HTTP's obs-text) and other invisible characters are shown as escapes, not sent to a terminal."""
    return "".join(ch if ch.isprintable() or ch == " " else f"\\x{ord(ch):02x}" for ch in text)


def _status_error(response: h11.Response, url: ShareUrl) -> TransferError:
    status = response.status_code
    reason = _shown(response.reason.decode("latin-1", "replace"))
    code = f"{status} {reason}".strip()
    if 300 <= status < 400:
        location = _header(response, b"location")
        where = f" to {_shown(location)}" if location else ""
        return TransferError(
            f"the server redirects{where} ({code}); redirects are not followed: "
            "download from that address instead"
        )
    if status == 404:
        return TransferError(f"{url.authority} has no file named {url.name!r} ({code})")
    if status in (401, 403):
        return TransferError(f"{url.authority} refused access to {url.name!r} ({code})")
    if status >= 500:
        return TransferError(f"the server at {url.authority} failed ({code})")
    return TransferError(f"the server at {url.authority} answered {code}")


class Download(_Client):
    """Download one file into ``folder``.

    Args:
        url: ``http(s)://host:port/name`` or ``raw://host:port/name``.
        folder: an existing folder; the file is saved under the URL's last segment, made safe
            (:func:`safe_file_name`), as "name (2).ext" when "name.ext" already exists.
        raw: speak the classic raw dialect even for an http:// URL.
        tls: how to check an https server (default: verified against the system's CAs).
        timeout: seconds for connecting, and for any wait for the server's next bytes.
        on_progress: at most ~10 DownloadProgress events a second, on the thread calling run().
        resume: continue a ``.part`` left by an earlier attempt (HTTP only).
    Raises:
        AddressError: the URL is malformed or names no file.
    """

    def __init__(
        self,
        url: str,
        folder: str | os.PathLike[str],
        *,
        raw: bool = False,
        tls: ClientTls | None = None,
        timeout: float = 30.0,
        on_progress: Callable[[DownloadProgress], None] | None = None,
        resume: bool = True,
    ) -> None:
        parsed = parse_share_url(url)
        super().__init__(parsed, tls, timeout)
        self.raw = raw or parsed.scheme == "raw"
        name = parsed.raw_name if self.raw else parsed.name
        if not name:
            raise AddressError(
                f"{url.strip()!r} names no file: add its name, like {parsed.origin}/report.pdf"
            )
        self.folder = Path(os.fspath(folder))
        self.file_name = safe_file_name(parsed.name or name.rsplit("/", 1)[-1])
        self.path: Path | None = None  # the final path, known once run() starts
        self._on_progress = on_progress
        self._resume = resume
        self._notes: list[str] = []

    def run(self) -> DownloadFinished:
        """Download; returns when the file is complete (and verified when the server allows).

        Raises:
            LocalFileError: the folder is missing or not writable (bad input).
            ConnectError: the server cannot be reached (TlsError for TLS problems).
            TransferError: the server refused, the transfer broke or did not verify
                (TransferCancelled after shutdown()).
        """
        if not self.folder.is_dir():
            raise LocalFileError(f"the folder {self.folder} does not exist")
        final = self._final_path()
        self.path = final
        part = final.with_name(final.name + ".part")
        try:
            if self.raw:
                return self._run_raw(final, part)
            try:
                return self._run_http(final, part, resume=self._resume)
            except _Restart:
                return self._run_http(final, part, resume=False)
        except _Cancelled:
            raise TransferCancelled(
                f"the download was cancelled; {part.name} is kept to resume later"
            ) from None
        except TimeoutError as exc:
            raise TransferError(
                f"{self.share_url.authority} stopped sending (no data for {self._timeout:g} s); "
                "run the download again to resume"
            ) from exc
        except NetError:
            raise
        except OSError as exc:
            raise TransferError(self._describe(exc)) from exc
        finally:
            self._close_reader()

    def close(self) -> None:
        self._close_reader()
        super().close()

    # ---- HTTP ---------------------------------------------------------------------------------

    def _run_http(self, final: Path, part: Path, *, resume: bool) -> DownloadFinished:
        url = self.share_url
        offset, validator = self._resume_point(part) if resume else (0, None)
        headers: list[tuple[str, str]] = []
        if offset and validator:
            headers = [("Range", f"bytes={offset}-"), ("If-Range", validator)]
        else:
            offset = 0
        sock = self._connect()
        try:
            http, response, recv_into = self._request_head(sock, headers)
            status = response.status_code
            digest_text = _header(response, b"repr-digest") or _header(response, b"digest")
            digest = parse_repr_digest(digest_text) if digest_text else None
            if status == 416 and offset:
                return self._already_complete(final, part, offset, response, digest)
            if status not in (200, 206):
                raise _status_error(response, url)
            encoding = (_header(response, b"content-encoding") or "identity").strip().lower()
            if encoding not in ("identity", ""):
                raise TransferError(
                    f"the server sent the file compressed ({_shown(encoding)}), which is not "
                    "unpacked here"
                )
            length_text = _header(response, b"content-length")
            length = int(length_text) if length_text and length_text.isdigit() else None
            if status == 206:
                span = parse_content_range(_header(response, b"content-range") or "")
                if not offset or span is None or span.start != offset or span.end is None:
                    raise _Restart  # not the part we asked for: start over cleanly
                total = span.total
                length = span.end - span.start + 1
            else:
                if offset:
                    self._notes.append("the server sent the whole file again, so it started over")
                offset = 0
                total = length
            fd = self._open_part(part, offset)
            try:
                self._remember(fd, _validator(response), total)
                hasher = hashlib.sha256()
                if offset:
                    self._notes.append(f"resumed after {offset} bytes")
                    _hash_existing(fd, offset, hasher, self)
                chunked = (
                    _header(response, b"transfer-encoding") or ""
                ).lower().strip() == "chunked"
                progress = _Meter(self._on_progress, offset, total)
                pipe = _HashPipe(hasher)
                try:
                    if chunked:
                        received = self._body_chunked(http, recv_into, fd, pipe, progress)
                    else:
                        leftover = bytes(http.trailing_data[0])
                        received = self._body(leftover, length, recv_into, fd, pipe, progress)
                finally:
                    pipe.finish()
                size = offset + received
                if total is not None and size != total:
                    raise TransferError(
                        f"the connection ended after {size} of {total} bytes; "
                        "run the download again to resume"
                    )
                return self._finish(fd, final, part, size, hasher, digest)
            finally:
                with contextlib.suppress(OSError):
                    os.close(fd)
        finally:
            sock.close()

    def _body(
        self,
        leftover: bytes,
        length: int | None,
        recv_into: Callable[[memoryview], int],
        fd: int,
        pipe: _HashPipe,
        progress: _Meter,
    ) -> int:
        """Copy a Content-Length (or close-delimited, when ``length`` is None) body to ``fd``."""
        received = 0
        if leftover:
            if length is not None:
                leftover = leftover[:length]
            _write_all(fd, memoryview(leftover))
            pipe.submit(leftover, len(leftover))
            received = len(leftover)
            progress.update(received)
        while length is None or received < length:
            want = _BUFFER if length is None else min(_BUFFER, length - received)
            buffer = pipe.take()
            view = memoryview(buffer)
            try:
                count = recv_into(view[:want])
            except BaseException as exc:
                if not is_unclean_tls_end(exc):
                    pipe.give_back(buffer)
                    raise
                count = 0  # a TLS peer that closed without close_notify: the length decides
            if count == 0:
                pipe.give_back(buffer)
                break
            _write_all(fd, view[:count])
            pipe.submit(buffer, count, pooled=True)
            received += count
            progress.update(received)
        progress.update(received, force=True)
        return received

    def _body_chunked(
        self,
        http: h11.Connection,
        recv_into: Callable[[memoryview], int],
        fd: int,
        pipe: _HashPipe,
        progress: _Meter,
    ) -> int:
        buffer = bytearray(_BUFFER)
        view = memoryview(buffer)
        received = 0
        while True:
            try:
                event = http.next_event()
            except h11.RemoteProtocolError as exc:
                raise TransferError(f"the server broke the chunked encoding ({exc})") from exc
            if event is h11.NEED_DATA:
                count = recv_into(view)
                http.receive_data(bytes(view[:count]))
                continue
            if isinstance(event, h11.Data):
                _write_all(fd, memoryview(event.data))
                pipe.submit(event.data, len(event.data))
                received += len(event.data)
                progress.update(received)
                continue
            if isinstance(event, h11.EndOfMessage):
                progress.update(received, force=True)
                return received
            raise TransferError("the connection ended before the whole file arrived")

    def _already_complete(
        self, final: Path, part: Path, offset: int, response: h11.Response, digest: bytes | None
    ) -> DownloadFinished:
        """A 416 to our resume request: the .part may already hold the whole file."""
        span = parse_content_range(_header(response, b"content-range") or "")
        if span is None or span.total != offset:
            raise _Restart
        fd = self._open_part(part, offset)
        try:
            hasher = hashlib.sha256()
            _hash_existing(fd, offset, hasher, self)
            self._notes.append("the earlier part already held the whole file")
            return self._finish(fd, final, part, offset, hasher, digest)
        finally:
            with contextlib.suppress(OSError):
                os.close(fd)

    def _resume_point(self, part: Path) -> tuple[int, str | None]:
        """(bytes already in the .part, validator to send in If-Range) when it can be resumed."""
        try:
            size = part.stat().st_size
        except OSError:
            return 0, None
        if size == 0 or not hasattr(os, "getxattr"):
            return 0, None
        try:
            stored = json.loads(os.getxattr(part, _RESUME_XATTR))
        except (OSError, ValueError):
            return 0, None
        if not isinstance(stored, dict) or stored.get("url") != self._identity():
            return 0, None
        validator = stored.get("validator")
        total = stored.get("total")
        if not isinstance(validator, str) or (isinstance(total, int) and size > total):
            return 0, None
        return size, validator

    def _remember(self, fd: int, validator: str | None, total: int | None) -> None:
        """Store what a later attempt needs to resume this .part safely (If-Range)."""
        if not hasattr(os, "setxattr"):
            return
        if validator is None:
            with contextlib.suppress(OSError):
                os.removexattr(fd, _RESUME_XATTR)
            return
        value = json.dumps({"url": self._identity(), "validator": validator, "total": total})
        with contextlib.suppress(OSError):  # a filesystem without user xattrs: no resume
            os.setxattr(fd, _RESUME_XATTR, value.encode())

    def _identity(self) -> str:
        return self.share_url.origin + self.share_url.target

    # ---- raw ----------------------------------------------------------------------------------

    def _run_raw(self, final: Path, part: Path) -> DownloadFinished:
        url = self.share_url
        sock = self._connect()
        try:
            # The classic protocol: the bare name in one write, no terminator; then read to EOF.
            self._send_all(sock, url.raw_name.encode("utf-8"))
            recv_into = self._reader(sock)
            if part.exists():
                self._notes.append("the classic raw protocol cannot resume, so it started over")
            fd = self._open_part(part, 0)
            try:
                hasher = hashlib.sha256()
                progress = _Meter(self._on_progress, 0, None)
                pipe = _HashPipe(hasher)
                try:
                    size = self._body(b"", None, recv_into, fd, pipe, progress)
                finally:
                    pipe.finish()
                if size == 0:
                    os.close(fd)
                    fd = -1
                    with contextlib.suppress(OSError):
                        part.unlink()
                    raise TransferError(
                        f"{url.authority} closed the connection without sending anything "
                        f"(does it share a file named {url.raw_name!r}?)"
                    )
                self._notes.append("the classic raw protocol carries no length or checksum")
                return self._finish(fd, final, part, size, hasher, None)
            finally:
                if fd >= 0:
                    with contextlib.suppress(OSError):
                        os.close(fd)
        finally:
            sock.close()

    # ---- files --------------------------------------------------------------------------------

    def _final_path(self) -> Path:
        name = self.file_name
        candidate = self.folder / name
        stem, dot, ext = name.rpartition(".")
        if not stem:
            stem, dot, ext = name, "", ""
        number = 2
        while candidate.exists() and number < 1000:
            candidate = self.folder / f"{stem} ({number}){dot}{ext}"
            number += 1
        if (
            candidate.parent != self.folder
        ):  # cannot happen after safe_file_name; never write outside
            raise TransferError(f"refusing to save {name!r} outside {self.folder}")
        return candidate

    def _open_part(self, part: Path, offset: int) -> int:
        flags = os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
        flags |= getattr(os, "O_BINARY", 0)
        try:
            fd = os.open(part, flags, 0o644)
            os.ftruncate(fd, offset)
            os.lseek(fd, offset, os.SEEK_SET)
        except OSError as exc:
            raise LocalFileError(f"cannot write {part}: {_strerror(exc)}") from exc
        return fd

    def _finish(
        self,
        fd: int,
        final: Path,
        part: Path,
        size: int,
        hasher: hashlib._Hash,
        digest: bytes | None,
    ) -> DownloadFinished:
        if digest is not None and hasher.digest() != digest:
            os.close(fd)
            with contextlib.suppress(OSError):
                part.unlink()
            raise TransferError(
                f"{final.name} does not match the SHA-256 checksum the server announced, so it was "
                "deleted; download it again"
            )
        if hasattr(os, "removexattr"):
            with contextlib.suppress(OSError):
                os.removexattr(fd, _RESUME_XATTR)
        os.fsync(fd)
        os.close(fd)
        if final.exists():  # appeared meanwhile: never overwrite what someone else saved
            final = self._final_path()
        os.replace(part, final)
        _sync_folder(final.parent)
        self.path = final
        return DownloadFinished(
            time=time.time(),
            path=str(final),
            size=size,
            sha256=hasher.hexdigest(),
            verified=digest is not None,
            notes=tuple(self._notes),
        )

    def _describe(self, exc: OSError) -> str:
        if exc.errno in _WRITE_PROBLEMS:
            kept = " (the .part is kept: free some space and run it again to resume)"
            return f"cannot write into {self.folder}: {_WRITE_PROBLEMS[exc.errno]}" + (
                kept if exc.errno in (errno.ENOSPC, errno.EDQUOT) else ""
            )
        return describe_io_error(exc, self.share_url.authority)


_WRITE_PROBLEMS = {
    errno.ENOSPC: "the disk is full",
    errno.EDQUOT: "the disk quota is used up",
    errno.EFBIG: "the file is larger than this system allows",
    errno.EROFS: "the disk is read-only",
    errno.EACCES: "permission denied",
}


class _HashPipe:
    """SHA-256 on a thread of its own, so that hashing overlaps receiving and writing.

    hashlib releases the GIL for large updates, so the two really run at once. The receiving side
    takes one of a few big buffers, fills and writes it, then hands it over; when all are in
    flight it waits (at most ``_PIPE_BUFFERS`` MiB are ever held).
    """

    def __init__(self, hasher: hashlib._Hash) -> None:
        self._hasher = hasher
        self._free: queue.SimpleQueue[bytearray] = queue.SimpleQueue()
        self._work: queue.SimpleQueue[tuple[bytearray | bytes, int, bool] | None] = (
            queue.SimpleQueue()
        )
        for _ in range(_PIPE_BUFFERS):
            self._free.put(bytearray(_BUFFER))
        self._done = False
        self._thread = threading.Thread(target=self._run, name="swb-download-hash", daemon=True)
        self._thread.start()

    def take(self) -> bytearray:
        """A free buffer of _BUFFER bytes (waits while every buffer is being hashed)."""
        return self._free.get()

    def give_back(self, buffer: bytearray) -> None:
        self._free.put(buffer)

    def submit(self, buffer: bytearray | bytes, count: int, *, pooled: bool = False) -> None:
        """Hash ``buffer[:count]`` next; a ``pooled`` one (from :meth:`take`) is then reused."""
        self._work.put((buffer, count, pooled))

    def finish(self) -> hashlib._Hash:
        """Wait until everything submitted is hashed; returns the hash object."""
        if not self._done:
            self._done = True
            self._work.put(None)
            self._thread.join()
        return self._hasher

    def _run(self) -> None:
        while True:
            item = self._work.get()
            if item is None:
                return
            buffer, count, pooled = item
            self._hasher.update(memoryview(buffer)[:count])
            if pooled:
                assert isinstance(buffer, bytearray)
                self._free.put(buffer)


class _Meter:
    """Counts bytes, smooths the speed over the last two seconds, throttles events to ~10/s."""

    __slots__ = ("callback", "last", "resumed", "samples", "total")

    def __init__(
        self, callback: Callable[[DownloadProgress], None] | None, resumed: int, total: int | None
    ) -> None:
        self.callback = callback
        self.resumed = resumed
        self.total = total
        now = time.monotonic()
        self.last = now
        self.samples: deque[tuple[float, int]] = deque([(now, 0)])

    def update(self, received: int, *, force: bool = False) -> None:
        if self.callback is None:
            return
        now = time.monotonic()
        if not force and now - self.last < _PROGRESS_INTERVAL:
            return
        self.last = now
        self.samples.append((now, received))
        while len(self.samples) > 2 and now - self.samples[0][0] > 2.0:
            self.samples.popleft()
        then, before = self.samples[0]
        speed = (received - before) / (now - then) if now > then else 0.0
        self.callback(
            DownloadProgress(time.time(), self.resumed + received, self.total, speed, self.resumed)
        )


def _validator(response: h11.Response) -> str | None:
    """What If-Range can carry later: a strong ETag, else Last-Modified (RFC 9110 §13.1.5)."""
    etag = _header(response, b"etag")
    if etag and etag.strip().startswith('"'):
        return etag.strip()
    modified = _header(response, b"last-modified")
    return modified.strip() if modified else None


def _hash_existing(fd: int, length: int, hasher: hashlib._Hash, loop: StoppableLoop) -> None:
    buffer = bytearray(_BUFFER)
    view = memoryview(buffer)
    done = 0
    while done < length:
        if loop.stopping:
            raise _Cancelled
        count = (
            os.preadv(fd, [view[: min(_BUFFER, length - done)]], done)
            if hasattr(os, "preadv")
            else _pread_into(fd, view[: min(_BUFFER, length - done)], done)
        )
        if count == 0:
            raise TransferError("the part file became shorter while it was being checked")
        hasher.update(view[:count])
        done += count


def _pread_into(fd: int, view: memoryview, offset: int) -> int:
    data = os.pread(fd, len(view), offset)
    view[: len(data)] = data
    return len(data)


def _write_all(fd: int, view: memoryview) -> None:
    while view:
        written = os.write(fd, view)
        view = view[written:]


def _sync_folder(folder: Path) -> None:
    """Make the rename durable too (POSIX); harmless where folders cannot be opened."""
    if sys.platform == "win32":
        return
    try:
        dir_fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(dir_fd)
    except OSError:
        pass
    finally:
        os.close(dir_fd)


def _strerror(exc: OSError) -> str:
    text = exc.strerror or str(exc)
    return text[:1].lower() + text[1:]


# ---- the file list -------------------------------------------------------------------------------


class _ListRequest(_Client):
    def fetch(self) -> list[RemoteFile]:
        url = self.share_url
        sock = self._connect()
        try:
            http, response, recv_into = self._request_head(sock, [])
            if response.status_code != 200:
                raise ProtocolError(
                    f"{url.authority} has no file list ({response.status_code}); is it a Socket "
                    "Workbench share?"
                )
            body = bytearray()
            buffer = bytearray(64 * 1024)
            view = memoryview(buffer)
            while True:
                try:
                    event = http.next_event()
                except h11.RemoteProtocolError as exc:
                    raise ProtocolError(f"{url.authority} sent a broken answer ({exc})") from exc
                if event is h11.NEED_DATA:
                    count = recv_into(view)
                    http.receive_data(bytes(view[:count]))
                elif isinstance(event, h11.Data):
                    body += event.data
                    if len(body) > _MAX_LIST:
                        raise ProtocolError(f"the file list from {url.authority} is too large")
                elif isinstance(event, h11.EndOfMessage):
                    break
                else:
                    raise TransferError(f"{url.authority} closed the connection mid-answer")
        finally:
            sock.close()
            self._close_reader()
        return _parse_list(bytes(body), url)


def _parse_list(body: bytes, url: ShareUrl) -> list[RemoteFile]:
    problem = ProtocolError(
        f"{url.authority} did not send a file list (is it a Socket Workbench share?)"
    )
    try:
        items = json.loads(body)
    except ValueError:
        raise problem from None
    if not isinstance(items, list):
        raise problem
    files: list[RemoteFile] = []
    for item in items:
        if not isinstance(item, dict):
            raise problem
        name, size, mtime = item.get("name"), item.get("size"), item.get("mtime", 0)
        sha256, link = item.get("sha256"), item.get("url")
        if not isinstance(name, str) or not isinstance(size, int) or isinstance(size, bool):
            raise problem
        if not isinstance(mtime, int | float) or not (sha256 is None or isinstance(sha256, str)):
            raise problem
        own = url.origin + "/" + urllib.parse.quote(name, safe="")
        absolute = urllib.parse.urljoin(url.origin + "/", link) if isinstance(link, str) else own
        if not _same_origin(absolute, url):
            absolute = own  # a list is no redirect: a link elsewhere is not followed either
        files.append(RemoteFile(name, size, float(mtime), sha256, absolute))
    return files


def _same_origin(link: str, url: ShareUrl) -> bool:
    try:
        parsed = parse_share_url(link)
    except AddressError:
        return False
    return (parsed.scheme, parsed.host, parsed.port) == (url.scheme, url.host, url.port)


def list_remote_files(
    url: str, *, tls: ClientTls | None = None, timeout: float = 10.0
) -> list[RemoteFile]:
    """The files a share offers (its ``/?format=json``); any path in ``url`` is ignored.

    Raises:
        AddressError: a malformed URL, or a raw:// one (the classic protocol has no list).
        ConnectError: the server cannot be reached.
        ProtocolError: the server is not a share (no JSON list).
    """
    parsed = parse_share_url(url)
    if parsed.scheme == "raw":
        raise AddressError("a classic raw server has no file list: type the file's name instead")
    listing = ShareUrl(parsed.scheme, parsed.host, parsed.port, "", "/?format=json", "")
    request = _ListRequest(listing, tls, timeout)
    try:
        return request.fetch()
    except _Cancelled:  # pragma: no cover - nobody can call shutdown() on it
        raise TransferError("cancelled") from None
    except TimeoutError as exc:
        raise TransferError(f"{parsed.authority} did not answer within {timeout:g} s") from exc
    except NetError:
        raise
    except OSError as exc:
        raise TransferError(describe_io_error(exc, parsed.authority)) from exc
    finally:
        request.close()
