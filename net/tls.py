"""TLS for Socket Workbench: client contexts (verified, pinned or insecure) and client handshakes
whose failures read as sentences.

The rest of TLS lives beside it and is re-exported here, so ``net.tls`` stays the one name to
import: fingerprints in net._tls_fingerprint, failures as sentences in net._tls_describe, and the
server's certificate (self-signed on first use, or the user's) in net._tls_server.
"""

from __future__ import annotations

import contextlib
import selectors
import socket
import ssl
import sys
import time
from dataclasses import dataclass
from typing import Any

from net._i18n import N_, _
from net._loop import StoppableLoop
from net._tls_describe import (
    EXPLAINED_BY_CERTIFICATE,
    describe_handshake_error,
    describe_ssl_error,
    verify_code,
)
from net._tls_fingerprint import certificate_fingerprint, check_pin, normalize_fingerprint
from net._tls_server import (
    CERTIFICATE_DAYS,
    RENEW_BEFORE,
    ServerCertificate,
    default_server_certificate,
    load_server_certificate,
    server_context,
)
from net.address import format_peer
from net.datadir import user_data_dir
from net.errors import AddressError, ConnectError, TlsError

__all__ = [
    "CERTIFICATE_DAYS",
    "INSECURE_WARNING",
    "RENEW_BEFORE",
    "ClientTls",
    "ServerCertificate",
    "certificate_fingerprint",
    "client_context",
    "default_server_certificate",
    "describe_ssl_error",
    "handshake_step",
    "load_server_certificate",
    "normalize_fingerprint",
    "server_context",
    "user_data_dir",
    "wrap_client",
]

#: What the GUI and the CLI show whenever certificate checks are turned off.
INSECURE_WARNING = N_(
    "Certificate checks are off: this connection is encrypted, but the server's identity is not "
    "verified, so anyone on the network path could read or change the traffic."
)

#: After a verification failure, how long :func:`wrap_client` may spend fetching the certificate
#: again (without checks) to name what is wrong with it: its host names, dates or fingerprint.
EXPLAIN_SECONDS = 2.0


# --- client side --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ClientTls:
    """How a client checks the server: CA verification (default), a pinned fingerprint, or none.

    A fingerprint replaces CA verification (and wins over ``verify=False``); ``cafile`` adds the
    CA certificates of a PEM file, instead of the system's, to verify with. A fingerprint is
    normalized on construction (AddressError when malformed); a blank one means no pin.
    """

    verify: bool = True
    fingerprint: str | None = None
    cafile: str | None = None

    def __post_init__(self) -> None:
        if self.fingerprint is not None:
            pin = normalize_fingerprint(self.fingerprint) if self.fingerprint.strip() else None
            object.__setattr__(self, "fingerprint", pin)

    @property
    def insecure(self) -> bool:
        """True when nothing about the server is checked (show :data:`INSECURE_WARNING`)."""
        return not self.verify and self.fingerprint is None


def client_context(opts: ClientTls) -> ssl.SSLContext:
    """An SSLContext for connecting as a client, TLS 1.2 or newer.

    Verified: chain and host name checked, against ``cafile`` when given; otherwise against the
    system's trust store: on Windows and macOS the OS itself verifies (``truststore``: CryptoAPI,
    the Security framework; python.org's macOS Python and bundles have no CA file of their own),
    on Linux OpenSSL with the distribution's CA bundle (``ssl.create_default_context``). Pinned: no CA or host-name check at the ssl layer; instead the context's sockets compare
    the peer certificate's SHA-256 with the pin in ``do_handshake`` (so any user of this context,
    like ``http.client``, gets the check, as long as it lets ``do_handshake`` run, which is the
    default). Insecure: no check at all.

    Raises:
        AddressError: ``cafile`` is missing or holds no PEM certificate.
    """
    if opts.fingerprint is None and opts.verify:
        context = _verified_context(opts.cafile)
    else:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    if opts.fingerprint is not None:
        context.sslsocket_class, context.sslobject_class = _pinned_classes(opts.fingerprint)
    return context


def _verified_context(cafile: str | None) -> ssl.SSLContext:
    if cafile is None and (sys.platform == "win32" or sys.platform == "darwin"):
        return _os_trust_store_context()
    try:
        return ssl.create_default_context(cafile=cafile)
    except FileNotFoundError:
        raise AddressError(_("the CA file {cafile} does not exist").format(cafile=cafile)) from None
    except IsADirectoryError:
        raise AddressError(
            _("{cafile} is a folder, not a CA file (a PEM file is needed)").format(cafile=cafile)
        ) from None
    except PermissionError:
        raise AddressError(
            _("permission denied to read the CA file {cafile}").format(cafile=cafile)
        ) from None
    except ssl.SSLError:
        raise AddressError(
            _(
                "{cafile} holds no PEM certificate: a CA file has -----BEGIN "
                "CERTIFICATE----- blocks"
            ).format(cafile=cafile)
        ) from None


def _os_trust_store_context() -> ssl.SSLContext:
    """A verifying client context whose chain and host-name checks are the OS's own (Windows,
    macOS): certificates the user trusts in Keychain or the Windows store are trusted here too."""
    # Imported here: only verified TLS clients need it, and `import net` stays fast.
    import truststore

    return truststore.SSLContext(ssl.PROTOCOL_TLS_CLIENT)


def _pinned_classes(pin: str) -> tuple[type[ssl.SSLSocket], type[ssl.SSLObject]]:
    class PinnedSSLSocket(ssl.SSLSocket):
        def do_handshake(self, block: bool = False) -> None:
            super().do_handshake(block)
            check_pin(self.getpeercert(binary_form=True), pin)

    class PinnedSSLObject(ssl.SSLObject):
        def do_handshake(self) -> None:
            super().do_handshake()
            check_pin(self.getpeercert(binary_form=True), pin)

    return PinnedSSLSocket, PinnedSSLObject


class _Stopped(Exception):
    """The owning loop was shut down during a handshake."""


def wrap_client(
    sock: socket.socket,
    server_hostname: str,
    opts: ClientTls,
    timeout: float,
    *,
    loop: StoppableLoop | None = None,
) -> ssl.SSLSocket:
    """Run a TLS client handshake on a connected socket, within ``timeout`` seconds in all.

    The host name is sent as SNI (names only) and the certificate must be valid for it (IP
    addresses too: the certificate then needs that IP). With a pin, the fingerprint is compared
    after the handshake. After a verification failure, the certificate is fetched once more without
    checks, within the same deadline, only to say what is wrong with it (its names, dates,
    fingerprint); no data is ever sent on that connection.

    Args:
        sock: a connected TCP socket (blocking or not); it belongs to the result afterwards.
        server_hostname: the host the user asked for: a name, or an IP literal (brackets and an
            IPv6 zone are ignored).
        opts: how to check the server.
        timeout: seconds for the whole handshake.
        loop: the loop that owns this connection; its ``shutdown()`` ends the handshake at once.
    Returns:
        The TLS socket, with the timeout ``sock`` had before (non-blocking stays non-blocking).
    Raises:
        TlsError: the handshake failed or timed out, or the certificate is not acceptable.
        ConnectError: ``loop`` was shut down during the handshake.
        AddressError: a bad ``cafile``, or no host name to check the certificate against.
    On any error ``sock`` is closed.
    """
    try:
        host = _tls_hostname(server_hostname)
        if not host and opts.verify and opts.fingerprint is None:
            raise AddressError(_("a host name is needed to check the server's certificate"))
        peer = sock.getpeername()
        context = client_context(opts)
    except BaseException as exc:
        sock.close()
        if isinstance(exc, OSError):
            raise ConnectError(_("the connection closed before TLS could start")) from exc
        raise
    where = format_peer((host or peer[0], peer[1]))
    deadline = time.monotonic() + timeout
    restore = sock.gettimeout()
    tls: ssl.SSLSocket | None = None
    try:
        sock.setblocking(False)
        tls = context.wrap_socket(sock, server_hostname=host or None, do_handshake_on_connect=False)
        _handshake(tls, deadline, loop)
        tls.settimeout(restore)
        return tls
    except _Stopped:
        _close(tls, sock)
        raise ConnectError(
            _("the TLS handshake with {where} was stopped").format(where=where)
        ) from None
    except TlsError:
        _close(tls, sock)
        raise
    except TimeoutError as exc:
        _close(tls, sock)
        raise TlsError(
            _(
                "the TLS handshake with {where} did not finish within {timeout:g} "
                "seconds (is it a TLS server?)"
            ).format(where=where, timeout=timeout)
        ) from exc
    except (OSError, ValueError) as exc:
        _close(tls, sock)
        leaf = None
        if isinstance(exc, ssl.SSLCertVerificationError) and (
            verify_code(exc) in EXPLAINED_BY_CERTIFICATE
        ):
            leaf = _fetch_certificate(peer, sock.family, host, deadline, loop)
        raise TlsError(
            describe_handshake_error(exc, where, host, server_side=False, leaf=leaf)
        ) from exc


def _tls_hostname(text: str) -> str:
    host = text.strip()
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    # A zone ("fe80::1%eth0") is local routing information; certificates hold the bare address.
    if "%" in host and ":" in host:
        host = host.split("%", 1)[0]
    return host.rstrip(".").lower()


def _close(tls: ssl.SSLSocket | None, sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        (tls if tls is not None else sock).close()


def handshake_step(tls: ssl.SSLSocket) -> int:
    """Take a non-blocking TLS handshake as far as it goes now.

    Returns:
        0 when the handshake is done, else the selector event it waits for
        (``selectors.EVENT_READ`` or ``selectors.EVENT_WRITE``).
    Raises:
        OSError, ValueError: as ``do_handshake`` does (ssl.SSLError is an OSError).
    """
    try:
        tls.do_handshake()
    except ssl.SSLWantReadError:
        return selectors.EVENT_READ
    except ssl.SSLWantWriteError:
        return selectors.EVENT_WRITE
    return 0


def _handshake(tls: ssl.SSLSocket, deadline: float, loop: StoppableLoop | None) -> None:
    """Drive a non-blocking handshake to the end, waiting in a selector until ``deadline``."""
    selector = loop.new_selector() if loop is not None else selectors.DefaultSelector()
    with selector:
        registered = 0
        while True:
            if loop is not None and loop.stopping:
                raise _Stopped
            events = handshake_step(tls)
            if not events:
                return
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(_("TLS handshake timed out"))
            if registered == 0:
                selector.register(tls, events)
            elif registered != events:
                selector.modify(tls, events)
            registered = events
            selector.select(remaining)


def _fetch_certificate(
    address: tuple[Any, ...],
    family: int,
    host: str,
    deadline: float,
    loop: StoppableLoop | None,
) -> bytes | None:
    """The server's certificate, fetched without any check, or None if that fails in time."""
    deadline = min(deadline, time.monotonic() + EXPLAIN_SECONDS)
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        return None
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    try:
        with socket.socket(family, socket.SOCK_STREAM) as raw:
            raw.settimeout(remaining)
            raw.connect(address)
            raw.setblocking(False)
            with context.wrap_socket(
                raw, server_hostname=host or None, do_handshake_on_connect=False
            ) as tls:
                _handshake(tls, deadline, loop)
                return tls.getpeercert(binary_form=True)
    except (OSError, ValueError, _Stopped):
        return None
