"""The share password: HTTP Basic authentication (RFC 7617) compared in constant time, and an
escalating delay per client address after wrong passwords (the file server calls these)."""

from __future__ import annotations

import base64
import binascii
import hmac
from collections import OrderedDict

_THROTTLE_HOSTS = 4096  # client addresses whose failures are remembered (oldest forgotten first)


def basic_credentials(authorization: bytes | None) -> tuple[str, str] | None:
    """(user, password) of an ``Authorization: Basic`` value (RFC 7617 §2, UTF-8 per §2.1), or None
    when there is none or it is malformed."""
    if authorization is None:
        return None
    scheme, _sep, token = authorization.strip().partition(b" ")
    if scheme.lower() != b"basic":
        return None
    try:
        decoded = base64.b64decode(token.strip(), validate=True).decode("utf-8")
    except (binascii.Error, ValueError):
        return None
    user, sep, password = decoded.partition(":")
    return (user, password) if sep else None


def check_basic(authorization: bytes | None, password: str) -> bool:
    """Whether an ``Authorization`` header carries ``password`` (any user name), compared in
    constant time (:func:`hmac.compare_digest` on the UTF-8 bytes)."""
    credentials = basic_credentials(authorization)
    given = credentials[1] if credentials is not None else ""
    ok = hmac.compare_digest(given.encode("utf-8"), password.encode("utf-8"))
    return ok and credentials is not None


class AuthThrottle:
    """How long to wait before answering 401 to a client address after wrong passwords.

    The first wrong attempt waits ``base`` seconds, each further one twice as long, up to
    ``limit``; a right password forgets the address. At most 4096 addresses are remembered. The
    server waits with its loop's timers (never a sleep), so other clients are not slowed.
    """

    def __init__(self, base: float = 0.5, limit: float = 8.0) -> None:
        self.base = base
        self.limit = limit
        self._failures: OrderedDict[str, int] = OrderedDict()

    def failed(self, host: str) -> float:
        """Count a wrong password from ``host``; returns the seconds to wait before the 401."""
        count = self._failures.pop(host, 0) + 1
        self._failures[host] = count
        while len(self._failures) > _THROTTLE_HOSTS:
            self._failures.popitem(last=False)
        return min(self.limit, self.base * float(2 ** min(count - 1, 16)))

    def succeeded(self, host: str) -> None:
        self._failures.pop(host, None)

    def failures(self, host: str) -> int:
        """Wrong passwords counted for ``host`` since its last right one."""
        return self._failures.get(host, 0)
