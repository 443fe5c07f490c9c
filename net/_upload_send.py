"""The sending side of uploads (``swb put``, the Download panel): a resumable upload
(draft-ietf-httpbis-resumable-upload-05): ``HEAD`` with ``Upload-Draft-Interop-Version`` asks
for the offset of an interrupted upload of the name, then ``PATCH`` sends the rest or ``PUT``
the whole file, with ``Upload-Complete: ?1``, the whole file's ``Repr-Digest: sha-256`` (RFC
9530) and ``Expect: 100-continue`` (RFC 9110 §10.1.1) so that a refusal comes before the body.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import os
import socket
import ssl
import time
import urllib.parse
from collections.abc import Callable
from typing import TYPE_CHECKING

import h11

from net._cli_common import counted
from net._connect import connect
from net._i18n import N_, _
from net._loop import StoppableLoop
from net._record import Record
from net.address import DEFAULT_RESOLVE_TIMEOUT, resolve
from net.download.exchange import USER_AGENT
from net.errors import (
    AddressError,
    ConnectError,
    FileRefused,
    TransferError,
    UploadStopped,
)
from net.events import DownloadProgress, UploadSent

if TYPE_CHECKING:
    from net.tls import ClientTls

_CHUNK = 256 * 1024  # bytes per send of a file body
_CONTINUE_WAIT = 1.0  # seconds to wait for 100 Continue before sending the body anyway (curl: 1 s)
_MAX_ANSWER = 64 * 1024  # bytes of an answer's body that are read (they are short texts)
_INTEROP = "6"  # Upload-Draft-Interop-Version of draft-ietf-httpbis-resumable-upload-05


class _Answer(Record):
    status: int
    headers: dict[str, str]
    text: str


class UploadTarget:
    """Where files go: scheme, host, port, the path of the folder or of the one file.

    Raises:
        AddressError: not an http(s):// URL, no valid port, or several files for a URL that
            names one file (it must end in "/").
    """

    def __init__(self, url: str, count: int) -> None:
        parts = urllib.parse.urlsplit(url.strip())
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise AddressError(_("{url} is not an http:// or https:// URL").format(url=url))
        try:
            port = parts.port
        except ValueError:
            raise AddressError(_("{url} has no valid port").format(url=url)) from None
        self.tls = parts.scheme == "https"
        self.host = parts.hostname
        self.port = port or (443 if self.tls else 80)
        self.password = urllib.parse.unquote(parts.password) if parts.password else None
        self.path = parts.path or "/"
        if count > 1 and not self.path.endswith("/"):
            raise AddressError(_("several files need a URL that ends in / (a share, not a name)"))
        host = f"[{self.host}]" if ":" in self.host else self.host
        self.authority = host if port is None else f"{host}:{port}"
        self.base = f"{parts.scheme}://{self.authority}"

    def path_for(self, file: str) -> str:
        if not self.path.endswith("/"):
            return self.path
        return self.path + urllib.parse.quote(os.path.basename(file))


class FileUpload:
    """One file's resumable upload (see the module's docstring): asks for the offset, sends the
    rest, retries a broken connection.

    Args:
        target: where it goes (:class:`UploadTarget`).
        file: the local file.
        context: the TLS context for https (None for http).
        idle_timeout: seconds each wait for the server may take.
        password: the share password (HTTP Basic), or None.
        stopper: stops the upload from another thread (``stopper.shutdown()``).
        on_progress: bytes sent so far (``received`` holds them), a few times a second.
        ask_password: called on a 401 for a password (None: no way to ask: the 401 fails).
    """

    def __init__(
        self,
        target: UploadTarget,
        file: str,
        context: ssl.SSLContext | None,
        *,
        idle_timeout: float,
        password: str | None,
        stopper: StoppableLoop,
        on_progress: Callable[[DownloadProgress], None] | None,
        ask_password: Callable[[], str | None] | None = None,
    ) -> None:
        self.target = target
        self.file = file
        self.path = target.path_for(file)
        self.stopper = stopper
        self.password = password
        self.ask_password = ask_password
        self.on_progress = on_progress
        self.size = os.path.getsize(file)
        self._http = _Exchange(target, context, idle_timeout, stopper)
        self.sha256 = ""
        #: Where the server says it stored the file (its ``Location``, RFC 9110 §10.2.2): the
        #: name it chose may differ from the one sent ("CON" is kept as "_CON").
        self.url = target.base + self.path

    def run(self, *, retries: int) -> str:
        """Upload; returns the SHA-256 (hex) the server stored.

        Raises:
            ConnectError: the server cannot be reached, or the connection broke ``retries``
                times.
            UploadStopped: ``stopper`` was shut down.
            TransferError: the server refused it (its sentence: 409 taken, 413 too big, 401).
        """
        digest = hashlib.sha256()
        with open(self.file, "rb") as f:
            while chunk := f.read(1024 * 1024):
                digest.update(chunk)
        self.sha256 = digest.hexdigest()
        repr_digest = "sha-256=:" + base64.b64encode(digest.digest()).decode("ascii") + ":"
        attempt = 0
        while True:
            try:
                return self._attempt(repr_digest)
            except (ConnectError, OSError) as exc:
                attempt += 1
                if attempt > retries or self.stopper.stopping:
                    if isinstance(exc, ConnectError):
                        raise
                    raise ConnectError(
                        _(
                            "the upload of {basename} broke off: {exc}; "
                            "run swb put again to continue"
                        ).format(basename=os.path.basename(self.file), exc=exc)
                    ) from exc
                if self.stopper.wait_stopped(min(2.0, 0.25 * 2**attempt)):
                    raise UploadStopped() from exc

    def _attempt(self, repr_digest: str) -> str:
        offset = self._offset()
        common = [
            ("Upload-Draft-Interop-Version", _INTEROP),
            ("Upload-Complete", "?1"),
            ("Repr-Digest", repr_digest),
        ]
        if offset:
            method = "PATCH"
            headers = [
                *common,
                ("Upload-Offset", str(offset)),
                ("Content-Type", "application/partial-upload"),
            ]
        else:
            method, headers = "PUT", common
        answer = self._exchange(method, headers, offset)
        if answer.status in (200, 201) and answer.headers.get("upload-complete") != "?0":
            location = answer.headers.get("location", "")
            # Only a path on this server is shown: an absolute or odd Location is not.
            if (
                location.startswith("/")
                and not location.startswith("//")
                and location.isprintable()
                and len(location) <= 4096
            ):
                self.url = self.target.base + location
            return self.sha256
        if answer.status == 409 and "upload-offset" in answer.headers:
            raise ConnectError(_("the server holds another part of this upload; trying again"))
        raise FileRefused(
            _("the server refused {basename}: {status} {reason}").format(
                basename=os.path.basename(self.file),
                status=answer.status,
                reason=answer.text.strip() or _("without saying why"),
            )
        )

    def _offset(self) -> int:
        """Bytes of this file the server already holds from an interrupted upload (0: none)."""
        answer = self._exchange("HEAD", [("Upload-Draft-Interop-Version", _INTEROP)], None)
        if answer.status != 200:
            return 0
        text = answer.headers.get("upload-offset", "")
        held = int(text) if text.isdigit() else 0
        return held if held <= self.size else 0

    def _exchange(self, method: str, headers: list[tuple[str, str]], offset: int | None) -> _Answer:
        """One request (with the file from ``offset`` as body unless None); asks for the password
        on a 401 when stdin is a terminal and tries once more."""
        answer = self._request(method, headers, offset)
        if answer.status == 401:
            asked = self.ask_password() if self.ask_password is not None else None
            if asked is None:
                raise TransferError(
                    _("{password_needed}: set SWB_PASSWORD or use http://:PASSWORD@host/").format(
                        password_needed=_(PASSWORD_NEEDED)
                    )
                    if self.password is None
                    else _("the server refused the password")
                )
            self.password = asked
            answer = self._request(method, headers, offset)
            if answer.status == 401:
                raise TransferError(_("the server refused the password"))
        return answer

    def _request(self, method: str, extra: list[tuple[str, str]], offset: int | None) -> _Answer:
        headers = list(extra)
        if self.password is not None:
            token = base64.b64encode(f":{self.password}".encode()).decode("ascii")
            headers.append(("Authorization", "Basic " + token))
        body = None
        if offset is not None:
            length = self.size - offset
            body = length, functools.partial(self._send_body, offset=offset, length=length)
        return self._http.request(method, self.path, headers, body)

    def _send_body(
        self, sock: socket.socket, http: h11.Connection, *, offset: int, length: int
    ) -> None:
        """Send the file's bytes ``offset`` to ``offset + length`` as the request's body."""
        started = time.monotonic()
        sent = 0
        last = 0.0
        with open(self.file, "rb") as f:
            f.seek(offset)
            while sent < length:
                if self.stopper.stopping:
                    raise UploadStopped()
                chunk = f.read(min(_CHUNK, length - sent))
                if not chunk:
                    raise TransferError(
                        _("{file} became shorter while it was sent").format(file=self.file)
                    )
                sock.sendall(http.send(h11.Data(data=chunk)) or b"")
                sent += len(chunk)
                now = time.monotonic()
                if self.on_progress is not None and (now - last >= 0.1 or sent == length):
                    last = now
                    speed = sent / max(now - started, 1e-6)
                    self.on_progress(
                        DownloadProgress(time.time(), offset + sent, self.size, speed, offset)
                    )
        sock.sendall(http.send(h11.EndOfMessage()) or b"")


#: Sends a request's body: (the socket, its h11 connection).
_BodySender = Callable[[socket.socket, h11.Connection], None]


class _Exchange:
    """HTTP/1.1 requests to an upload target, each on a connection of its own (h11; blocking
    calls, each bounded by ``timeout`` seconds), a body only after ``100 Continue``.

    Args:
        target: where the requests go.
        context: the TLS context for https (None for http).
        timeout: seconds each wait for the server may take.
        stopper: stops connecting from another thread.
    """

    def __init__(
        self,
        target: UploadTarget,
        context: ssl.SSLContext | None,
        timeout: float,
        stopper: StoppableLoop,
    ) -> None:
        self.target = target
        self.context = context
        self.timeout = timeout
        self.stopper = stopper

    def request(
        self,
        method: str,
        path: str,
        extra: list[tuple[str, str]],
        body: tuple[int, _BodySender] | None,
    ) -> _Answer:
        """One request with the headers ``extra`` and, when ``body`` is (its length, what sends
        it), ``Expect: 100-continue`` (RFC 9110 §10.1.1); returns the answer.

        Raises:
            ConnectError: no connection, TLS failed, or the answer is not HTTP.
            UploadStopped: ``stopper`` was shut down while connecting.
            OSError: the connection broke.
        """
        sock = self._connect()
        try:
            http = h11.Connection(h11.CLIENT)
            headers = [("Host", self.target.authority), ("User-Agent", USER_AGENT), *extra]
            if body is not None:
                headers += [("Content-Length", str(body[0])), ("Expect", "100-continue")]
            else:
                headers.append(("Content-Length", "0") if method != "HEAD" else ("Accept", "*/*"))
            sock.sendall(http.send(h11.Request(method=method, target=path, headers=headers)))
            if body is not None:
                early = _wait_continue(sock, http, self.timeout)
                if early is not None:
                    return _read_answer(sock, http, early)
                try:
                    body[1](sock, http)
                except OSError:
                    # The server may have answered and closed (a refusal): read what it said.
                    sock.settimeout(self.timeout)
                    return _read_answer(sock, http, None)
            return _read_answer(sock, http, None)
        finally:
            sock.close()

    def _connect(self) -> socket.socket:
        host, port = self.target.host, self.target.port
        endpoints = resolve(host, port, timeout=min(self.timeout, DEFAULT_RESOLVE_TIMEOUT))
        sock = connect(self.stopper, endpoints, self.timeout, host, port)
        if sock is None:
            raise UploadStopped()
        sock.settimeout(self.timeout)  # the exchange below is written with blocking calls
        if self.context is None:
            return sock
        try:
            return self.context.wrap_socket(sock, server_hostname=self.target.host)
        except (OSError, ValueError) as exc:
            sock.close()
            raise ConnectError(
                _("TLS with {authority} failed: {exc}").format(
                    authority=self.target.authority, exc=exc
                )
            ) from exc


def _wait_continue(
    sock: socket.socket, http: h11.Connection, timeout: float
) -> h11.Response | None:
    """Wait up to a second for 100 Continue; the final answer when the server refused early."""
    sock.settimeout(_CONTINUE_WAIT)
    try:
        while True:
            event = http.next_event()
            if event is h11.NEED_DATA:
                http.receive_data(sock.recv(_MAX_ANSWER))
                continue
            if isinstance(event, h11.InformationalResponse):
                return None
            if isinstance(event, h11.Response):
                return event
            raise ConnectError(_("the server closed the connection before the upload"))
    except TimeoutError:
        return None  # a server that ignores Expect: send the body anyway (RFC 9110 §10.1.1)
    except h11.RemoteProtocolError as exc:
        raise ConnectError(
            _("the server's answer is not valid HTTP: {exc}").format(exc=exc)
        ) from exc
    finally:
        sock.settimeout(timeout)


def _read_answer(
    sock: socket.socket, http: h11.Connection, response: h11.Response | None
) -> _Answer:
    body = bytearray()
    try:
        while True:
            event = http.next_event()
            if event is h11.NEED_DATA:
                data = sock.recv(_MAX_ANSWER)
                http.receive_data(data)
                continue
            if isinstance(event, h11.Response):
                response = event
            elif isinstance(event, h11.Data):
                body += event.data[: _MAX_ANSWER - len(body)]
            elif isinstance(event, h11.EndOfMessage | h11.ConnectionClosed):
                break
    except h11.RemoteProtocolError as exc:
        if response is None:
            raise ConnectError(
                _("the server's answer is not valid HTTP: {exc}").format(exc=exc)
            ) from exc
    if response is None:
        raise ConnectError(_("the server closed the connection without an answer"))
    headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in response.headers}
    return _Answer(response.status_code, headers, body.decode("utf-8", "replace"))


def refused_summary(sent: int, refused: list[str]) -> str:
    """The sentence that ends a batch in which the server refused some files: "2 files sent,
    1 refused: <the first refusals' sentences>"."""
    shown = "; ".join(refused[:3]) + ("; …" if len(refused) > 3 else "")
    return _("{sent} sent, {refused} refused: {reasons}").format(
        sent=counted(sent, "file"), refused=len(refused), reasons=shown
    )


#: The start of the sentence :class:`FileUpload` fails with when the share wants a password it
#: was not given (the Download panel then asks for one).
PASSWORD_NEEDED = N_("the share needs a password")


class FilesUpload(StoppableLoop):
    """Files sent one after another to a share's upload folder, each a :class:`FileUpload`
    (resumed where an interrupted upload of its name stopped); what the Download panel runs on a
    worker thread. ``shutdown()`` stops it between two chunks of 256 KiB.

    Args:
        url: the share (any path in it is ignored: uploads go to its root, "/name"); a password
            in it (``http://:PASSWORD@host:port/``) is sent with every request.
        files: the local files.
        tls: how to check an https server (default: verified against the system's CAs).
        idle_timeout: seconds each wait for the server may take.
        retries: tries again this often after a broken connection, from the server's offset.
        on_progress: ``(file, progress)`` a few times a second (``received`` = bytes the server
            holds of it, ``total`` its size).
        on_sent: each file once the server stored it.
    Raises:
        AddressError: the URL is not http(s)://.
    """

    def __init__(
        self,
        url: str,
        files: list[str],
        *,
        tls: ClientTls | None = None,
        idle_timeout: float = 30.0,
        retries: int = 3,
        on_progress: Callable[[str, DownloadProgress], None] | None = None,
        on_sent: Callable[[UploadSent], None] | None = None,
    ) -> None:
        super().__init__()
        parts = urllib.parse.urlsplit(url.strip())
        root = urllib.parse.urlunsplit((parts.scheme, parts.netloc, "/", "", ""))
        self.target = UploadTarget(root, len(files))
        self.files = list(files)
        self.password = self.target.password
        self._tls = tls
        self._idle_timeout = idle_timeout
        self._retries = retries
        self._on_progress = on_progress
        self._on_sent = on_sent

    def run(self) -> list[UploadSent]:
        """Send every file; returns them as stored.

        Raises:
            ConnectError: the server cannot be reached, or a connection broke ``retries`` times.
            UploadStopped: :meth:`shutdown` was called (what was sent of the file is kept).
            FileRefused: the server refused some files (:func:`refused_summary`); the others
                were sent and stored.
            TransferError: a file cannot be read, or the password is missing or wrong; the
                files before it are stored.
        """
        context = None
        if self.target.tls:
            from net.tls import ClientTls, client_context

            context = client_context(self._tls or ClientTls())
        sent: list[UploadSent] = []
        refused: list[FileRefused] = []
        for file in self.files:
            if self.stopping:
                raise UploadStopped()
            if not os.path.isfile(file):
                raise TransferError(_("{file} is not a file that can be read").format(file=file))
            upload = FileUpload(
                self.target,
                file,
                context,
                idle_timeout=self._idle_timeout,
                password=self.password,
                stopper=self,
                on_progress=functools.partial(self._progress, file),
            )
            try:
                digest = upload.run(retries=self._retries)
            except FileRefused as exc:
                refused.append(exc)
                continue
            except OSError as exc:
                raise TransferError(
                    _("{given} cannot be read: {reason}").format(
                        given=file, reason=exc.strerror or exc
                    )
                ) from exc
            done = UploadSent(file, upload.url, upload.size, digest)
            sent.append(done)
            if self._on_sent is not None:
                self._on_sent(done)
        if len(self.files) == 1 and refused:
            raise refused[0]
        if refused:
            raise FileRefused(refused_summary(len(sent), [str(exc) for exc in refused]))
        return sent

    def _progress(self, file: str, event: DownloadProgress) -> None:
        if self._on_progress is not None:
            self._on_progress(file, event)
