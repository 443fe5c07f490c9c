"""TLS handshake failures as sentences: what OpenSSL (or the OS verifier behind truststore) said,
for a client (the server's certificate, versions, a plain-TCP peer) and for a server (what its
client did). net.tls re-exports :func:`describe_ssl_error`."""

from __future__ import annotations

import ssl
from datetime import datetime

from net._i18n import N_, _
from net._tls_fingerprint import certificate_fingerprint
from net.address import format_peer
from net.errors import CLI_ADVICE, describe_io_error
from net.errors import reason_words as _words

__all__ = [
    "EXPLAINED_BY_CERTIFICATE",
    "describe_handshake_error",
    "describe_ssl_error",
    "verify_code",
]

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
#: Failures whose sentence improves with the certificate in hand (names, dates, fingerprint).
EXPLAINED_BY_CERTIFICATE = {
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
    return describe_handshake_error(
        exc, format_peer((host, port)), host, server_side=server_side, leaf=None
    )


def describe_handshake_error(
    exc: BaseException, where: str, host: str, *, server_side: bool, leaf: bytes | None
) -> str:
    """Say why a TLS handshake with ``where`` failed; ``leaf`` is the peer's certificate (DER)
    when a client fetched it to explain a verification failure."""
    if isinstance(exc, ssl.SSLCertVerificationError):
        return _describe_verification(exc, where, host, leaf)
    reason = str(getattr(exc, "reason", None) or "")
    sentences = _SERVER_SENTENCES if server_side else _CLIENT_SENTENCES
    client = f"client {where}"
    case = _failure_case(exc, reason)
    if case not in sentences:
        case = "failed" if isinstance(exc, ssl.SSLError) else _failure_case(exc, "")
    if case == "io":
        assert isinstance(exc, OSError)
        return describe_io_error(exc, client if server_side else where)
    words = _words(reason or getattr(exc, "strerror", None) or str(exc))
    return _(sentences[case]).format(where=where, client=client, words=words, exc=exc)


def _failure_case(exc: BaseException, reason: str) -> str:
    """What kind of handshake failure ``exc`` is: a key of the sentence tables below."""
    if reason == "HTTP_REQUEST":
        return "http"
    if reason in _NOT_TLS:
        return "not tls"
    if reason in _CLIENT_REJECTED_CERTIFICATE:
        return "rejected"
    if isinstance(exc, ssl.SSLEOFError | ssl.SSLZeroReturnError | ConnectionError):
        return "closed"
    if isinstance(exc, TimeoutError):
        return "timeout"
    if reason in _OLD_PROTOCOL:
        return "old protocol"
    if reason in _NOTHING_IN_COMMON:
        return "nothing in common"
    if reason in _WANTS_CLIENT_CERTIFICATE:
        return "wants certificate"
    if isinstance(exc, ssl.SSLError):
        return "failed"
    return "io" if isinstance(exc, OSError) else "other"


# The sentences of a client (``where`` is the server) and of a server (``client`` names the
# client) by failure case; a case a side has no sentence for reads as its "failed" one.
_CLIENT_SENTENCES = {
    "not tls": N_("{where} speaks plain TCP, not TLS: connect to it without TLS"),
    "closed": N_(
        "{where} closed the connection during the TLS handshake: it may not "
        "speak TLS, or it refused this client"
    ),
    "timeout": N_("no TLS answer from {where} before the time limit (is it a TLS server?)"),
    "old protocol": N_("{where} only speaks old TLS or SSL versions; TLS 1.2 or newer is required"),
    "nothing in common": N_(
        "{where} and this program have no TLS settings in common (versions, ciphers)"
    ),
    "wants certificate": N_(
        "{where} asks for a client certificate, which this program does not send"
    ),
    "rejected": N_("{where} rejected the TLS handshake ({words})"),
    "failed": N_("the TLS handshake with {where} failed: {words}"),
    "other": N_("the TLS handshake with {where} failed: {exc}"),
}
_SERVER_SENTENCES = {
    "http": N_("{client} spoke plain HTTP to a TLS port (it should use https://)"),
    "not tls": N_("{client} spoke plain TCP to a TLS port"),
    "rejected": N_(
        "{client} does not trust this server's certificate ({words}); a "
        "self-signed certificate must be pinned or accepted on the client"
    ),
    "closed": N_(
        "{client} closed the connection during the TLS handshake (it may not "
        "trust this server's certificate)"
    ),
    "timeout": N_("{client} did not finish the TLS handshake in time"),
    "old protocol": N_(
        "{client} only speaks TLS versions older than 1.2, which this server refuses"
    ),
    "nothing in common": N_(
        "{client} and this server have no TLS settings in common (versions, ciphers)"
    ),
    "failed": N_("the TLS handshake with {client} failed: {words}"),
    "other": N_("the TLS handshake with {client} failed: {exc}"),
}


def _describe_verification(
    exc: ssl.SSLCertVerificationError, where: str, host: str, leaf: bytes | None
) -> str:
    code = verify_code(exc)
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


def verify_code(exc: ssl.SSLCertVerificationError) -> int:
    """The failure as OpenSSL's X509_V_ERR_* code, also when the OS verified (truststore)."""
    return _OS_VERIFY_CODES.get(exc.verify_code, exc.verify_code)


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
