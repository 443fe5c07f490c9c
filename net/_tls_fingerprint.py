"""SHA-256 certificate fingerprints: reading the forms people paste, computing one, and checking a
pinned one after a handshake (net.tls re-exports the public names)."""

from __future__ import annotations

import hashlib
import hmac
import re
import string

from net._i18n import _
from net.errors import AddressError, TlsError

__all__ = ["certificate_fingerprint", "check_pin", "normalize_fingerprint"]

_FINGERPRINT_PREFIX = re.compile(r"^sha-?256\s*(?:fingerprint)?\s*[:=]?\s*", re.IGNORECASE)


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


def check_pin(der: bytes | None, pin: str) -> None:
    """Compare the certificate ``der`` with ``pin`` (``"AB:CD:..."``) in constant time.

    Raises:
        TlsError: no certificate, or a different one.
    """
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
