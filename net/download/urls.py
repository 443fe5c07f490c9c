"""Share URLs as people paste them (``http(s)://``, ``raw://``) and file names safe to save under."""

from __future__ import annotations

import base64
import os
import urllib.parse
from typing import Literal

from net._i18n import _
from net._record import Record
from net.address import parse_host, parse_port
from net.errors import AddressError

__all__ = ["DEFAULT_PORTS", "ShareUrl", "parse_share_url", "safe_file_name"]

DEFAULT_PORTS = {"http": 80, "https": 443}


class ShareUrl(Record):
    """A parsed share URL: ``http(s)://host:port/name``, ``raw://host:port/name``, or
    ``raw+tls://host:port/name`` (the classic raw dialect inside TLS, as ``swb serve --tls`` names
    it)."""

    scheme: Literal["http", "https", "raw", "raw+tls"]
    host: str  # normal form, IPv6 without brackets
    port: int
    name: str  # the last path segment, percent-decoded ("" when the URL names no file)
    target: str  # HTTP request target, percent-encoded ("/a%20b.txt")
    raw_name: str  # the whole path after the first "/", percent-decoded: what a raw request sends
    password: str | None = None  # a share password given as http://:PASSWORD@host/ (decoded)

    @property
    def authorization(self) -> str | None:
        """The Authorization value for :attr:`password` (HTTP Basic, RFC 7617), or None."""
        if self.password is None:
            return None
        token = base64.b64encode(f":{self.password}".encode()).decode("ascii")
        return "Basic " + token

    @property
    def authority(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}"

    @property
    def origin(self) -> str:
        scheme = {"raw": "http", "raw+tls": "https"}.get(self.scheme, self.scheme)
        return f"{scheme}://{self.authority}"


def parse_share_url(url: str) -> ShareUrl:
    """Parse what a user pasted; raw spaces and non-ASCII letters are accepted and encoded.

    Raises:
        AddressError: no scheme or an unknown one, a bad host, a port out of range, or a user
            name without a password (``user@host``); ``:password@host`` carries a share password.
    """
    text = url.strip()
    if not text:
        raise AddressError(_("the URL is empty: type one like http://192.168.1.10:8000/report.pdf"))
    if "://" not in text:
        raise AddressError(
            _(
                "{text!r} is not a URL: start it with http://, https://, raw:// or "
                "raw+tls:// (like http://192.168.1.10:8000/report.pdf)"
            ).format(text=text)
        )
    scheme_text, rest = text.split("://", 1)
    scheme = scheme_text.lower()
    if scheme not in ("http", "https", "raw", "raw+tls"):
        raise AddressError(
            _(
                "{scheme}:// URLs are not supported: use http://, https://, raw:// or raw+tls://"
            ).format(scheme=scheme)
        )
    cut = min((i for i in (rest.find("/"), rest.find("?"), rest.find("#")) if i >= 0), default=-1)
    authority, path_part = (rest, "") if cut < 0 else (rest[:cut], rest[cut:])
    password = None
    if "@" in authority:
        userinfo, _at, authority = authority.rpartition("@")
        _user, colon, secret = userinfo.partition(":")
        if not colon:
            raise AddressError(
                _(
                    "user names in URLs are not supported: give a share password as "
                    "http://:PASSWORD@host:port/"
                )
            )
        password = urllib.parse.unquote(secret, errors="replace")
    if not authority:
        raise AddressError(
            _("{text!r} has no host: type one like http://192.168.1.10:8000/name").format(text=text)
        )
    host_text, port_text = _split_authority(authority)
    host = parse_host(host_text)
    if port_text is None or port_text == "":
        if scheme in ("raw", "raw+tls"):
            raise AddressError(
                _("a {scheme}:// URL needs a port, like {scheme}://192.168.1.10:5000/name").format(
                    scheme=scheme
                )
            )
        port = DEFAULT_PORTS[scheme]
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
    return ShareUrl(scheme, host, port, name, target, raw_name, password)  # type: ignore[arg-type]


def with_password(url: str, password: str | None, *, replace: bool = False) -> str:
    """``url`` with ``password`` as its user information (``http://:PASSWORD@host/``), unless it
    has one already (or ``replace``); unchanged when there is no password or the URL is odd."""
    scheme, sep, rest = url.partition("://")
    if not password or not sep:
        return url
    cut = min((i for i in (rest.find("/"), rest.find("?"), rest.find("#")) if i >= 0), default=-1)
    authority = rest if cut < 0 else rest[:cut]
    if "@" in authority:
        if not replace:
            return url
        rest = rest[authority.rindex("@") + 1 :]
    return f"{scheme}://:{urllib.parse.quote(password, safe='')}@{rest}"


def _split_authority(authority: str) -> tuple[str, str | None]:
    if authority.startswith("["):
        end = authority.find("]")
        if end < 0:
            raise AddressError(
                _("{authority!r}: an IPv6 address in a URL needs a closing ']'").format(
                    authority=authority
                )
            )
        rest = authority[end + 1 :]
        if rest and not rest.startswith(":"):
            raise AddressError(
                _("{authority!r} is not a valid host and port").format(authority=authority)
            )
        return authority[: end + 1], (rest[1:] if rest else None)
    if authority.count(":") > 1:
        raise AddressError(
            _("{authority!r}: put an IPv6 address in brackets, like [::1]:8000").format(
                authority=authority
            )
        )
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
