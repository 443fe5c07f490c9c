"""TLS for Socket Workbench: client contexts (verified, pinned or insecure), handshakes whose failures
read as sentences, and the self-signed server certificate made on first use.

``cryptography`` is imported only where certificates are made or parsed, so importing :mod:`net`
stays fast for the CLI.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import ipaddress
import os
import re
import secrets
import selectors
import socket
import ssl
import string
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from net._i18n import N_, _
from net._loop import StoppableLoop
from net.address import format_peer, parse_host
from net.datadir import make_private_dir, user_data_dir
from net.errors import (
    CLI_ADVICE,
    AddressError,
    ConnectError,
    NetError,
    TlsError,
    describe_io_error,
)
from net.errors import reason_words as _words

if TYPE_CHECKING:
    from cryptography import x509
    from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes

__all__ = [
    "INSECURE_WARNING",
    "ClientTls",
    "ServerCertificate",
    "certificate_fingerprint",
    "client_context",
    "default_server_certificate",
    "describe_ssl_error",
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

#: The self-signed certificate's lifetime: the longest that Apple platforms accept for TLS servers.
CERTIFICATE_DAYS = 825
#: A stored certificate closer than this to its end is replaced by a new one.
RENEW_BEFORE = timedelta(days=30)
#: After a verification failure, how long :func:`wrap_client` may spend fetching the certificate
#: again (without checks) to name what is wrong with it: its host names, dates or fingerprint.
EXPLAIN_SECONDS = 2.0

_FINGERPRINT_PREFIX = re.compile(r"^sha-?256\s*(?:fingerprint)?\s*[:=]?\s*", re.IGNORECASE)
_PEM_CERTIFICATE = re.compile(
    r"-----BEGIN CERTIFICATE-----\s*(.+?)\s*-----END CERTIFICATE-----", re.DOTALL
)

# OpenSSL's X509_V_ERR_* codes (x509_vfy.h) that deserve their own sentence.
_UNABLE_TO_GET_ISSUER_CERT = 2
_CERT_NOT_YET_VALID = 9
_CERT_HAS_EXPIRED = 10
_DEPTH_ZERO_SELF_SIGNED_CERT = 18
_SELF_SIGNED_CERT_IN_CHAIN = 19
_UNABLE_TO_GET_ISSUER_CERT_LOCALLY = 20
_UNABLE_TO_VERIFY_LEAF_SIGNATURE = 21
_CERT_REVOKED = 23
_INVALID_PURPOSE = 26
_HOSTNAME_MISMATCH = 62
_IP_ADDRESS_MISMATCH = 64
_UNKNOWN_ISSUER = {
    _UNABLE_TO_GET_ISSUER_CERT,
    _SELF_SIGNED_CERT_IN_CHAIN,
    _UNABLE_TO_GET_ISSUER_CERT_LOCALLY,
    _UNABLE_TO_VERIFY_LEAF_SIGNATURE,
}
# Failures whose sentence improves with the certificate in hand (names, dates, fingerprint).
_EXPLAINED_BY_CERTIFICATE = {
    _CERT_NOT_YET_VALID,
    _CERT_HAS_EXPIRED,
    _DEPTH_ZERO_SELF_SIGNED_CERT,
    _HOSTNAME_MISMATCH,
    _IP_ADDRESS_MISMATCH,
}
# What the OS verifiers behind truststore report (Windows: CERT_E_* and CRYPT_E_* from wincrypt.h;
# macOS: errSec* from SecBase.h), as the OpenSSL codes above, so they read the same everywhere.
_OS_VERIFY_CODES = {
    0x800B0109: _UNABLE_TO_GET_ISSUER_CERT_LOCALLY,  # CERT_E_UNTRUSTEDROOT
    0x800B010A: _UNABLE_TO_GET_ISSUER_CERT_LOCALLY,  # CERT_E_CHAINING
    0x800B0101: _CERT_HAS_EXPIRED,  # CERT_E_EXPIRED
    0x800B010F: _HOSTNAME_MISMATCH,  # CERT_E_CN_NO_MATCH
    0x800B0110: _INVALID_PURPOSE,  # CERT_E_WRONG_USAGE
    0x80092010: _CERT_REVOKED,  # CRYPT_E_REVOKED
    -67843: _UNABLE_TO_GET_ISSUER_CERT_LOCALLY,  # errSecNotTrusted
    -67818: _CERT_HAS_EXPIRED,  # errSecCertificateExpired
    -67819: _CERT_NOT_YET_VALID,  # errSecCertificateNotValidYet
    -67820: _CERT_REVOKED,  # errSecCertificateRevoked
    -67602: _HOSTNAME_MISMATCH,  # errSecHostNameMismatch
}
# OpenSSL reasons meaning the bytes that came back were not TLS records at all.
_NOT_TLS = {
    "WRONG_VERSION_NUMBER",
    "PACKET_LENGTH_TOO_LONG",
    "RECORD_LAYER_FAILURE",
    "RECORD_LENGTH_MISMATCH",
    "UNKNOWN_PROTOCOL",
    "HTTPS_PROXY_REQUEST",
    "BAD_RECORD_TYPE",
}
_OLD_PROTOCOL = {
    "TLSV1_ALERT_PROTOCOL_VERSION",
    "UNSUPPORTED_PROTOCOL",
    "NO_PROTOCOLS_AVAILABLE",
    "WRONG_SSL_VERSION",
}
_NOTHING_IN_COMMON = {
    "SSLV3_ALERT_HANDSHAKE_FAILURE",
    "NO_SHARED_CIPHER",
    "NO_CIPHERS_AVAILABLE",
    "NO_SUITABLE_SIGNATURE_ALGORITHM",
}
# Alerts a client sends when it rejects the server's certificate.
_CLIENT_REJECTED_CERTIFICATE = {
    "TLSV1_ALERT_UNKNOWN_CA",
    "SSLV3_ALERT_BAD_CERTIFICATE",
    "SSLV3_ALERT_CERTIFICATE_UNKNOWN",
    "SSLV3_ALERT_CERTIFICATE_EXPIRED",
    "SSLV3_ALERT_UNSUPPORTED_CERTIFICATE",
    "TLSV1_ALERT_ACCESS_DENIED",
}
_WANTS_CLIENT_CERTIFICATE = {
    "TLSV13_ALERT_CERTIFICATE_REQUIRED",
    "SSLV3_ALERT_NO_CERTIFICATE",
    "PEER_DID_NOT_RETURN_A_CERTIFICATE",
}


# --- fingerprints -------------------------------------------------------------------------------


def normalize_fingerprint(text: str) -> str:
    """Return the SHA-256 fingerprint in ``text`` as ``"AB:CD:..."`` (32 upper-case hex pairs).

    Accepts the forms people paste: ``AB:CD:...``, ``abcd...``, pairs separated by spaces, and
    prefixed ones such as ``SHA256:AB:CD...`` or ``sha256 Fingerprint=AB:CD:...`` (what
    ``openssl x509 -noout -fingerprint -sha256`` prints).

    Raises:
        AddressError: empty, a character that is not a hex digit, or not 64 hex digits.
    """
    raw = text.strip()
    shown = raw if len(raw) <= 40 else raw[:37] + "..."
    if not raw:
        raise AddressError(
            _("the fingerprint is empty: paste the server's SHA-256 fingerprint, like AB:CD:EF:...")
        )
    digits = re.sub(r"[\s:]", "", _FINGERPRINT_PREFIX.sub("", raw, count=1))
    for char in digits:
        if char not in string.hexdigits:
            raise AddressError(
                _(
                    "{shown!r} is not a SHA-256 fingerprint: {char!r} is not a hex digit "
                    "(expected 32 pairs like AB:CD:EF:...)"
                ).format(shown=shown, char=char)
            )
    if len(digits) == 40:
        raise AddressError(
            _(
                "{shown!r} is a SHA-1 fingerprint; use the SHA-256 one (64 hex digits, "
                "from `openssl x509 -noout -fingerprint -sha256` or the server's "
                "window)"
            ).format(shown=shown)
        )
    if len(digits) != 64:
        raise AddressError(
            _(
                "{shown!r} has {count} hex digits, but a SHA-256 fingerprint has 64 "
                "(32 pairs like AB:CD:EF:...)"
            ).format(shown=shown, count=len(digits))
        )
    return _colon_hex(bytes.fromhex(digits))


def certificate_fingerprint(der: bytes) -> str:
    """The SHA-256 fingerprint of a DER-encoded certificate, as ``"AB:CD:..."``."""
    return _colon_hex(hashlib.sha256(der).digest())


def _colon_hex(digest: bytes) -> str:
    return digest.hex(":").upper()


def _check_pin(der: bytes | None, pin: str) -> None:
    if der is None:
        raise TlsError(_("the server sent no certificate, so its fingerprint cannot be checked"))
    expected = bytes.fromhex(pin.replace(":", ""))
    if not hmac.compare_digest(hashlib.sha256(der).digest(), expected):
        raise TlsError(
            _(
                "the server's certificate fingerprint {certificate_fingerprint} does "
                "not match the pinned one {pin}: the server has a new certificate, or "
                "another machine is answering in its place"
            ).format(certificate_fingerprint=certificate_fingerprint(der), pin=pin)
        )


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
            _check_pin(self.getpeercert(binary_form=True), pin)

    class PinnedSSLObject(ssl.SSLObject):
        def do_handshake(self) -> None:
            super().do_handshake()
            _check_pin(self.getpeercert(binary_form=True), pin)

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
            _verify_code(exc) in _EXPLAINED_BY_CERTIFICATE
        ):
            leaf = _fetch_certificate(peer, sock.family, host, deadline, loop)
        raise TlsError(_describe(exc, where, host, server_side=False, leaf=leaf)) from exc


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


def _handshake(tls: ssl.SSLSocket, deadline: float, loop: StoppableLoop | None) -> None:
    """Drive a non-blocking handshake to the end, waiting in a selector until ``deadline``."""
    selector = loop.new_selector() if loop is not None else selectors.DefaultSelector()
    with selector:
        registered = 0
        while True:
            if loop is not None and loop.stopping:
                raise _Stopped
            try:
                tls.do_handshake()
                return
            except ssl.SSLWantReadError:
                events = selectors.EVENT_READ
            except ssl.SSLWantWriteError:
                events = selectors.EVENT_WRITE
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


# --- turning ssl errors into sentences ----------------------------------------------------------


def describe_ssl_error(
    exc: BaseException, host: str, port: int, *, server_side: bool = False
) -> str:
    """Say why a TLS handshake with ``host:port`` failed, in a user's words.

    Args:
        exc: what the handshake raised (``ssl.SSLError``, ``OSError``, ``TimeoutError``).
        host: the peer: the server a client connected to, or (``server_side``) the client.
        port: the peer's port.
        server_side: True when this program is the TLS server ("client 1.2.3.4:5555 spoke plain
            TCP to a TLS port").
    """
    return _describe(exc, format_peer((host, port)), host, server_side=server_side, leaf=None)


def _describe(
    exc: BaseException, where: str, host: str, *, server_side: bool, leaf: bytes | None
) -> str:
    if isinstance(exc, ssl.SSLCertVerificationError):
        return _describe_verification(exc, where, host, leaf)
    reason = str(getattr(exc, "reason", None) or "")
    if server_side:
        return _describe_server_side(exc, reason, where)
    if reason in _NOT_TLS:
        return _("{where} speaks plain TCP, not TLS: connect to it without TLS").format(where=where)
    if isinstance(exc, ssl.SSLEOFError | ssl.SSLZeroReturnError | ConnectionError):
        return _(
            "{where} closed the connection during the TLS handshake: it may not "
            "speak TLS, or it refused this client"
        ).format(where=where)
    if isinstance(exc, TimeoutError):
        return _("no TLS answer from {where} before the time limit (is it a TLS server?)").format(
            where=where
        )
    if reason in _OLD_PROTOCOL:
        return _(
            "{where} only speaks old TLS or SSL versions; TLS 1.2 or newer is required"
        ).format(where=where)
    if reason in _NOTHING_IN_COMMON:
        return _(
            "{where} and this program have no TLS settings in common (versions, ciphers)"
        ).format(where=where)
    if reason in _WANTS_CLIENT_CERTIFICATE:
        return _("{where} asks for a client certificate, which this program does not send").format(
            where=where
        )
    if reason in _CLIENT_REJECTED_CERTIFICATE:
        return _("{where} rejected the TLS handshake ({words})").format(
            where=where, words=_words(reason)
        )
    if isinstance(exc, ssl.SSLError):
        return _("the TLS handshake with {where} failed: {words}").format(
            where=where, words=_words(reason or exc.strerror or str(exc))
        )
    if isinstance(exc, OSError):
        return describe_io_error(exc, where)
    return _("the TLS handshake with {where} failed: {exc}").format(where=where, exc=exc)


def _describe_verification(
    exc: ssl.SSLCertVerificationError, where: str, host: str, leaf: bytes | None
) -> str:
    code = _verify_code(exc)
    subject = _("the certificate of {where}").format(where=where)
    if code in (_HOSTNAME_MISMATCH, _IP_ADDRESS_MISMATCH):
        names = _certificate_names(leaf) if leaf is not None else []
        if names:
            return _("wrong host: {subject} is for {join_names}, not {host}").format(
                subject=subject, join_names=_join_names(names), host=host
            )
        return _("wrong host: {subject} is not valid for {host}").format(subject=subject, host=host)
    if code == _CERT_HAS_EXPIRED:
        when = _certificate_date(leaf, "not_valid_after_utc")
        since = f" on {when}" if when else ""
        return _(
            "{subject} expired{since}: the server must renew it (or this computer's clock is wrong)"
        ).format(subject=subject, since=since)
    if code == _CERT_NOT_YET_VALID:
        when = _certificate_date(leaf, "not_valid_before_utc")
        until = f" until {when}" if when else " yet"
        return _("{subject} is not valid{until}: check this computer's clock").format(
            subject=subject, until=until
        )
    if code == _DEPTH_ZERO_SELF_SIGNED_CERT:
        shown = (
            _(
                " (it presented {certificate_fingerprint}; pin it only if the server "
                "shows the same)"
            ).format(certificate_fingerprint=certificate_fingerprint(leaf))
            if leaf is not None
            else ""
        )
        return _("{subject} is self-signed and not trusted; {cli_advice}{shown}").format(
            subject=subject, cli_advice=_(CLI_ADVICE["pin-or-insecure"]), shown=shown
        )
    if code in _UNKNOWN_ISSUER:
        return _(
            "{subject} is not trusted: it was issued by an authority this computer "
            "does not know; {cli_advice}"
        ).format(subject=subject, cli_advice=_(CLI_ADVICE["ca-pin-or-insecure"]))
    if code == _CERT_REVOKED:
        return _("{subject} has been revoked by its issuer: do not trust this server").format(
            subject=subject
        )
    if code == _INVALID_PURPOSE:
        return _("{subject} is not meant for TLS servers").format(subject=subject)
    detail = exc.verify_message or _words(str(getattr(exc, "reason", "")))
    return _("{subject} could not be verified: {detail}").format(subject=subject, detail=detail)


def _verify_code(exc: ssl.SSLCertVerificationError) -> int:
    """The failure as OpenSSL's X509_V_ERR_* code, also when the OS verified (truststore)."""
    return _OS_VERIFY_CODES.get(exc.verify_code, exc.verify_code)


def _describe_server_side(exc: BaseException, reason: str, where: str) -> str:
    client = f"client {where}"
    if reason == "HTTP_REQUEST":
        return _("{client} spoke plain HTTP to a TLS port (it should use https://)").format(
            client=client
        )
    if reason in _NOT_TLS:
        return _("{client} spoke plain TCP to a TLS port").format(client=client)
    if reason in _CLIENT_REJECTED_CERTIFICATE:
        return _(
            "{client} does not trust this server's certificate ({words}); a "
            "self-signed certificate must be pinned or accepted on the client"
        ).format(client=client, words=_words(reason))
    if isinstance(exc, ssl.SSLEOFError | ssl.SSLZeroReturnError | ConnectionError):
        return _(
            "{client} closed the connection during the TLS handshake (it may not "
            "trust this server's certificate)"
        ).format(client=client)
    if isinstance(exc, TimeoutError):
        return _("{client} did not finish the TLS handshake in time").format(client=client)
    if reason in _OLD_PROTOCOL:
        return _(
            "{client} only speaks TLS versions older than 1.2, which this server refuses"
        ).format(client=client)
    if reason in _NOTHING_IN_COMMON:
        return _(
            "{client} and this server have no TLS settings in common (versions, ciphers)"
        ).format(client=client)
    if isinstance(exc, ssl.SSLError):
        return _("the TLS handshake with {client} failed: {words}").format(
            client=client, words=_words(reason or str(exc))
        )
    if isinstance(exc, OSError):
        return describe_io_error(exc, client)
    return _("the TLS handshake with {client} failed: {exc}").format(client=client, exc=exc)


def _join_names(names: list[str]) -> str:
    if len(names) > 4:
        return _("{names} and {count} more").format(
            names=", ".join(names[:3]), count=len(names) - 3
        )
    if len(names) > 1:
        return _("{names} and {last}").format(names=", ".join(names[:-1]), last=names[-1])
    return names[0]


def _certificate_names(der: bytes) -> list[str]:
    """The host names and IP addresses a certificate is for (its SANs, else its common name)."""
    from cryptography import x509
    from cryptography.x509.oid import NameOID

    try:
        cert = x509.load_der_x509_certificate(der)
        try:
            san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        except x509.ExtensionNotFound:
            common = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
            return [str(attr.value) for attr in common]
        dns = san.get_values_for_type(x509.DNSName)
        ips = [str(ip) for ip in san.get_values_for_type(x509.IPAddress)]
        return [*dns, *ips]
    except ValueError:
        return []


def _certificate_date(der: bytes | None, field: str) -> str:
    if der is None:
        return ""
    from cryptography import x509

    try:
        moment: datetime = getattr(x509.load_der_x509_certificate(der), field)
    except ValueError:
        return ""
    return moment.strftime("%Y-%m-%d %H:%M UTC")


# --- server side --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ServerCertificate:
    """A certificate file, its key file, and the SHA-256 fingerprint clients can pin."""

    cert_path: Path
    key_path: Path
    fingerprint: str


def default_server_certificate(data_dir: Path | None = None) -> ServerCertificate:
    """This computer's self-signed server certificate, made on first use and kept for later.

    Stored as ``tls/server.pem`` and ``tls/server.key`` (mode 0600 from creation) in ``data_dir``
    (default: :func:`user_data_dir`). It is reused while it loads, its key matches it, and it has
    more than 30 days to run; otherwise a new one replaces it (clients that pinned the old
    fingerprint will then refuse the new one, as they should). A lock file makes concurrent first
    uses by several processes agree on one certificate.

    The certificate: EC P-256 key, CN "Socket Workbench on <host name>", SANs localhost, 127.0.0.1,
    ::1 and the host name, valid 825 days, for TLS servers only (not a CA).

    Raises:
        NetError: the folder or the files cannot be written.
    """
    base = data_dir if data_dir is not None else user_data_dir()
    folder = base / "tls"
    make_private_dir(base)
    make_private_dir(folder)
    cert_path = folder / "server.pem"
    key_path = folder / "server.key"
    try:
        with _locked(folder / ".lock"):
            existing = _reusable(cert_path, key_path)
            if existing is not None:
                return existing
            cert_pem, key_pem, der = _make_self_signed(socket.gethostname())
            # Key first, certificate last: a crash in between leaves a pair that does not match,
            # which the next call notices and replaces.
            _write_file(key_path, key_pem, 0o600)
            _write_file(cert_path, cert_pem, 0o644)
    except OSError as exc:
        raise NetError(
            _("cannot store the TLS certificate in {folder}: {reason}").format(
                folder=folder, reason=_reason(exc)
            )
        ) from exc
    return ServerCertificate(cert_path, key_path, certificate_fingerprint(der))


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``path`` (between processes and between threads)."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        if sys.platform == "win32":
            import msvcrt

            msvcrt.locking(fd, msvcrt.LK_LOCK, 1)  # retries for about 10 s, then OSError
            try:
                yield
            finally:
                os.lseek(fd, 0, os.SEEK_SET)
                msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)
        else:
            import fcntl

            fcntl.flock(fd, fcntl.LOCK_EX)
            yield  # closing the descriptor releases the lock
    finally:
        os.close(fd)


def _write_file(path: Path, data: bytes, mode: int) -> None:
    """Write ``data`` to a new file with ``mode`` from its creation, then move it over ``path``."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    fd = os.open(temporary, flags, mode)
    try:
        with os.fdopen(fd, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            temporary.unlink()
        raise


def _reusable(cert_path: Path, key_path: Path) -> ServerCertificate | None:
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization

    try:
        cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
        key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
    except FileNotFoundError:
        return None
    except (ValueError, TypeError):  # corrupt, truncated, or a key with a passphrase
        return None
    now = datetime.now(UTC)
    if not _same_public_key(cert, key):
        return None
    if cert.not_valid_after_utc - now < RENEW_BEFORE or cert.not_valid_before_utc > now:
        return None
    der = cert.public_bytes(serialization.Encoding.DER)
    return ServerCertificate(cert_path, key_path, certificate_fingerprint(der))


def _same_public_key(cert: x509.Certificate, key: PrivateKeyTypes) -> bool:
    from cryptography.hazmat.primitives import serialization

    def spki(public: Any) -> bytes:
        return bytes(
            public.public_bytes(
                serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
            )
        )

    try:
        return spki(cert.public_key()) == spki(key.public_key())
    except (ValueError, TypeError, AttributeError):
        return False


def _make_self_signed(hostname: str) -> tuple[bytes, bytes, bytes]:
    """A new self-signed server certificate: (certificate PEM, PKCS#8 key PEM, certificate DER)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    common_name = f"Socket Workbench on {hostname}" if hostname else "Socket Workbench"
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name[:64])])
    alt_names: list[x509.GeneralName] = [
        x509.DNSName("localhost"),
        x509.IPAddress(ipaddress.IPv4Address("127.0.0.1")),
        x509.IPAddress(ipaddress.IPv6Address("::1")),
    ]
    dns_name = _dns_name(hostname)
    if dns_name and dns_name != "localhost":
        alt_names.append(x509.DNSName(dns_name))
    now = datetime.now(UTC)
    public = key.public_key()
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(public)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(hours=1))  # a client whose clock is a little behind
        .not_valid_after(now + timedelta(days=CERTIFICATE_DAYS))
        .add_extension(x509.SubjectAlternativeName(alt_names), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(public), critical=False)
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return (
        cert.public_bytes(serialization.Encoding.PEM),
        key_pem,
        cert.public_bytes(serialization.Encoding.DER),
    )


def _dns_name(hostname: str) -> str | None:
    """``hostname`` as a DNS name for a SAN, or None when it is not one (empty, an IP, odd)."""
    try:
        name = parse_host(hostname)
    except AddressError:
        return None
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return name
    return None


def load_server_certificate(cert: str, key: str) -> ServerCertificate:
    """Check a user-supplied certificate (PEM, optionally followed by its chain) and key (PEM).

    Raises:
        AddressError: a file is missing or unreadable, is not PEM of the right kind, the key has a
            passphrase, or the key does not belong to the certificate.
    """
    from cryptography import x509
    from cryptography.exceptions import UnsupportedAlgorithm
    from cryptography.hazmat.primitives import serialization

    cert_path = Path(cert).expanduser()
    key_path = Path(key).expanduser()
    cert_pem = _read_input(cert_path, "certificate")
    key_pem = _read_input(key_path, "key")
    try:
        chain = x509.load_pem_x509_certificates(cert_pem)
    except ValueError:
        raise AddressError(
            _(
                "{cert} is not a PEM certificate (it should hold -----BEGIN CERTIFICATE-----)"
            ).format(cert=cert)
        ) from None
    try:
        private = serialization.load_pem_private_key(key_pem, password=None)
    except TypeError:
        raise AddressError(
            _(
                "the key {key} is protected by a passphrase; save it without one first "
                "(openssl pkey -in KEY -out plain.key) and keep that file private"
            ).format(key=key)
        ) from None
    except (ValueError, UnsupportedAlgorithm):
        raise AddressError(
            _("{key} is not a PEM private key (it should hold -----BEGIN PRIVATE KEY-----)").format(
                key=key
            )
        ) from None
    if not _same_public_key(chain[0], private):
        raise AddressError(
            _("the key {key} does not belong to the certificate {cert}").format(key=key, cert=cert)
        )
    der = chain[0].public_bytes(serialization.Encoding.DER)
    result = ServerCertificate(cert_path, key_path, certificate_fingerprint(der))
    try:
        server_context(result)  # the last word belongs to OpenSSL, which will serve it
    except TlsError as exc:
        raise AddressError(str(exc)) from exc
    return result


def _read_input(path: Path, what: str) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise AddressError(
            _("the {what} file {path} does not exist").format(what=what, path=path)
        ) from None
    except IsADirectoryError:
        raise AddressError(
            _("{path} is a folder, not a {what} file").format(path=path, what=what)
        ) from None
    except PermissionError:
        raise AddressError(
            _("permission denied to read the {what} file {path}").format(what=what, path=path)
        ) from None
    except OSError as exc:
        raise AddressError(
            _("cannot read the {what} file {path}: {reason}").format(
                what=what, path=path, reason=_reason(exc)
            )
        ) from None


def server_context(cert: ServerCertificate) -> ssl.SSLContext:
    """A TLS server context (TLS 1.2 or newer) that presents ``cert`` and its chain.

    Raises:
        TlsError: the files cannot be read or used together, or the certificate file no longer
            holds the certificate whose fingerprint ``cert`` announces (it was replaced).
    """
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    try:
        context.load_cert_chain(cert.cert_path, cert.key_path)
        pem = cert.cert_path.read_text("ascii", errors="replace")
    except FileNotFoundError as exc:
        raise TlsError(
            _("the TLS file {filename} does not exist").format(
                filename=exc.filename or cert.cert_path
            )
        ) from exc
    except ssl.SSLError as exc:
        raise TlsError(
            _(
                "the certificate {cert_path} and the key {key_path} cannot be used "
                "together: {words}"
            ).format(
                cert_path=cert.cert_path,
                key_path=cert.key_path,
                words=_words(str(exc.reason or exc)),
            )
        ) from exc
    except OSError as exc:
        raise TlsError(
            _("cannot read the TLS files: {reason}").format(reason=_reason(exc))
        ) from exc
    # The fingerprint the user was shown must be the one clients will see.
    match = _PEM_CERTIFICATE.search(pem)
    served = ssl.PEM_cert_to_DER_cert(match.group(0)) if match else b""
    if certificate_fingerprint(served) != cert.fingerprint:
        raise TlsError(
            _(
                "the certificate file {cert_path} changed after its fingerprint was "
                "shown; start the server again"
            ).format(cert_path=cert.cert_path)
        )
    return context


def _reason(exc: OSError) -> str:
    text = exc.strerror or str(exc) or type(exc).__name__
    return text[:1].lower() + text[1:]
