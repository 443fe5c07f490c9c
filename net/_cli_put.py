"""``swb put URL FILE...``: upload files to a share that takes uploads (``swb serve --upload-dir``).

Each file goes as a resumable upload (draft-ietf-httpbis-resumable-upload-05, the protocol
``net.fileserver`` speaks): first ``HEAD`` with ``Upload-Draft-Interop-Version`` asks whether an
earlier, interrupted upload of the name is held and how much of it (``Upload-Offset``); then
``PATCH`` sends the rest from there, or ``PUT`` the whole file, with ``Upload-Complete: ?1`` and the
whole file's ``Repr-Digest: sha-256`` (RFC 9530), which the server checks before it keeps the file.
``Expect: 100-continue`` (RFC 9110 §10.1.1) lets the server refuse (409 name taken, 413 too big,
401 password) before the body is sent. A connection that breaks mid-upload is retried from the
server's offset (``--retries``, default 3); a killed ``swb put`` continues where it stopped the
next time it runs.

The password comes from the URL (``http://:password@host:port/``), ``$SWB_PASSWORD``, or a prompt
on a 401 when stdin is a terminal. Progress is drawn on stderr when it is a terminal; one line per
file goes to stdout: the URL, the size, the SHA-256 and "verified by the server".
Exit: 0 all stored, 1 a network failure or a refusal, 2 bad input.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import os
import socket
import ssl
import sys
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass

import h11

from net._cli_common import client_tls, stop_on_signals, warn_if_insecure
from net._i18n import _
from net._loop import StoppableLoop
from net.download.exchange import USER_AGENT
from net.errors import AddressError, ConnectError, TransferError
from net.events import DownloadProgress
from net.share import LocalFileError

__all__ = ["put"]

EXIT_OK = 0
EXIT_NETWORK = 1
EXIT_INTERRUPTED = 130
_CHUNK = 256 * 1024  # bytes per send of a file body
_CONTINUE_WAIT = 1.0  # seconds to wait for 100 Continue before sending the body anyway (curl: 1 s)
_MAX_ANSWER = 64 * 1024  # bytes of an answer's body that are read (they are short texts)
_INTEROP = "6"  # Upload-Draft-Interop-Version of draft-ietf-httpbis-resumable-upload-05


@dataclass(frozen=True)
class _Answer:
    status: int
    headers: dict[str, str]
    text: str


class _Stopped(Exception):
    """SIGINT/SIGTERM arrived: the upload stops (an interrupted upload stays resumable)."""


class _Target:
    """Where files go: scheme, host, port, the path of the folder or of the one file."""

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


def put(args: argparse.Namespace) -> int:
    """``swb put URL FILE...``: exit 0 when every file was stored, 1 network failure or refusal, 2
    bad input (a file that cannot be read, a URL that is not http(s)://)."""
    from net._cli_files import _out, _ProgressLine, _status

    target = _Target(args.url, len(args.files))
    for file in args.files:
        if not os.path.isfile(file):
            raise LocalFileError(_("{file} is not a file that can be read").format(file=file))
    tls = client_tls(args, tls=target.tls)
    if tls is not None and not target.tls:
        raise AddressError(_("--insecure, --fingerprint and --cafile are for https:// URLs"))
    warn_if_insecure(tls)
    context = None
    if target.tls:
        from net.tls import ClientTls, client_context

        context = client_context(tls or ClientTls())
    password = target.password or os.environ.get("SWB_PASSWORD") or None
    with StoppableLoop() as stopper, stop_on_signals(stopper):
        for file in args.files:
            line = _ProgressLine() if not args.quiet and sys.stderr.isatty() else None
            upload = _Upload(
                target,
                file,
                context,
                idle_timeout=args.idle_timeout,
                password=password,
                stopper=stopper,
                on_progress=line.update if line else None,
            )
            try:
                digest = upload.run(retries=args.retries)
            except _Stopped:
                if line:
                    line.clear()
                _status(_("swb: stopped; run the same swb put again to continue where it stopped"))
                return EXIT_INTERRUPTED
            finally:
                if line:
                    line.clear()
            password = upload.password
            url = target.base + target.path_for(file)
            _out(
                _("{url}  {size:,} bytes  sha256 {digest}  verified by the server").format(
                    url=url, size=upload.size, digest=digest
                )
            )
    return EXIT_OK


class _Upload:
    """One file's upload: asks for the offset, sends the rest, retries a broken connection."""

    def __init__(
        self,
        target: _Target,
        file: str,
        context: ssl.SSLContext | None,
        *,
        idle_timeout: float,
        password: str | None,
        stopper: StoppableLoop,
        on_progress: Callable[[DownloadProgress], None] | None,
    ) -> None:
        self.target = target
        self.file = file
        self.path = target.path_for(file)
        self.context = context
        self.timeout = idle_timeout
        self.password = password
        self.stopper = stopper
        self.on_progress = on_progress
        self.size = os.path.getsize(file)
        self.sha256 = ""

    def run(self, *, retries: int) -> str:
        """Upload; returns the SHA-256 (hex) the server stored. Raises ConnectError,
        TransferError (refused: the server's sentence), _Stopped."""
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
                            "the upload of {basename} broke off: {exc}; run swb put again to "
                            "continue"
                        ).format(basename=os.path.basename(self.file), exc=exc)
                    ) from exc
                if self.stopper.wait_stopped(min(2.0, 0.25 * 2**attempt)):
                    raise _Stopped from exc

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
            return self.sha256
        if answer.status == 409 and "upload-offset" in answer.headers:
            raise ConnectError(_("the server holds another part of this upload; trying again"))
        raise TransferError(
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
            asked = _ask_password() if sys.stdin.isatty() else None
            if asked is None:
                raise TransferError(
                    _("the share needs a password: set SWB_PASSWORD or use http://:PASSWORD@host/")
                    if self.password is None
                    else _("the server refused the password")
                )
            self.password = asked
            answer = self._request(method, headers, offset)
            if answer.status == 401:
                raise TransferError(_("the server refused the password"))
        return answer

    def _request(self, method: str, extra: list[tuple[str, str]], offset: int | None) -> _Answer:
        sock = self._connect()
        try:
            http = h11.Connection(h11.CLIENT)
            headers = [("Host", self.target.authority), ("User-Agent", USER_AGENT), *extra]
            if self.password is not None:
                token = base64.b64encode(f":{self.password}".encode()).decode("ascii")
                headers.append(("Authorization", "Basic " + token))
            length = self.size - offset if offset is not None else None
            if length is not None:
                headers += [("Content-Length", str(length)), ("Expect", "100-continue")]
            else:
                headers.append(("Content-Length", "0") if method != "HEAD" else ("Accept", "*/*"))
            sock.sendall(http.send(h11.Request(method=method, target=self.path, headers=headers)))
            if length is not None and offset is not None:
                early = _wait_continue(sock, http, self.timeout)
                if early is not None:
                    return _read_answer(sock, http, early)
                try:
                    self._send_body(sock, http, offset, length)
                except OSError:
                    # The server may have answered and closed (a refusal): read what it said.
                    sock.settimeout(self.timeout)
                    return _read_answer(sock, http, None)
            return _read_answer(sock, http, None)
        finally:
            sock.close()

    def _connect(self) -> socket.socket:
        try:
            sock = socket.create_connection(
                (self.target.host, self.target.port), timeout=self.timeout
            )
        except OSError as exc:
            raise ConnectError(
                _("cannot connect to {authority}: {strerror}").format(
                    authority=self.target.authority, strerror=exc.strerror or exc
                )
            ) from exc
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

    def _send_body(
        self, sock: socket.socket, http: h11.Connection, offset: int, length: int
    ) -> None:
        started = time.monotonic()
        sent = 0
        last = 0.0
        with open(self.file, "rb") as f:
            f.seek(offset)
            while sent < length:
                if self.stopper.stopping:
                    raise _Stopped
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


def _ask_password() -> str | None:
    import getpass

    try:
        return getpass.getpass(_("Password for the share: ")) or None
    except EOFError:
        return None
