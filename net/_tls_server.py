"""The TLS server's certificate: this computer's self-signed one (made with ``cryptography`` on
first use, kept with its key at 0600 in the user's data folder, renewed before it ends), or one
the user names, and the server context made from it. net.tls re-exports the public names.

``cryptography`` is imported only where certificates are made or parsed, so importing :mod:`net`
stays fast for the CLI.
"""

from __future__ import annotations

import contextlib
import ipaddress
import os
import re
import secrets
import socket
import ssl
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from net._i18n import _
from net._tls_fingerprint import certificate_fingerprint
from net.address import parse_host
from net.datadir import make_private_dir, user_data_dir
from net.errors import AddressError, NetError, TlsError, system_words
from net.errors import reason_words as _words

if TYPE_CHECKING:
    from cryptography import x509
    from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes

__all__ = [
    "CERTIFICATE_DAYS",
    "RENEW_BEFORE",
    "ServerCertificate",
    "default_server_certificate",
    "load_server_certificate",
    "server_context",
    "write_file",
]

#: The self-signed certificate's lifetime: the longest that Apple platforms accept for TLS servers.
CERTIFICATE_DAYS = 825
#: A stored certificate closer than this to its end is replaced by a new one.
RENEW_BEFORE = timedelta(days=30)

_PEM_CERTIFICATE = re.compile(
    r"-----BEGIN CERTIFICATE-----\s*(.+?)\s*-----END CERTIFICATE-----", re.DOTALL
)


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
            write_file(key_path, key_pem, 0o600)
            write_file(cert_path, cert_pem, 0o644)
    except OSError as exc:
        raise NetError(
            _("cannot store the TLS certificate in {folder}: {reason}").format(
                folder=folder, reason=system_words(exc)
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


def write_file(path: Path, data: bytes, mode: int) -> None:
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
                what=what, path=path, reason=system_words(exc)
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
            _("cannot read the TLS files: {reason}").format(reason=system_words(exc))
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
