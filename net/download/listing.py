"""A share's file list (``GET /?format=json``), fetched within limits and checked entry by entry."""

from __future__ import annotations

import json
import math
import re
import urllib.parse
from typing import TYPE_CHECKING

import h11

from net._i18n import _
from net._record import Record
from net.download.exchange import Cancelled, Client, OutOfTime, header
from net.download.urls import ShareUrl, parse_share_url
from net.errors import AddressError, NetError, ProtocolError, TransferError, describe_io_error

if TYPE_CHECKING:
    from net.tls import ClientTls

__all__ = [
    "MAX_ENTRIES",
    "MAX_LIST",
    "MAX_NAME",
    "FileListRequest",
    "RemoteFile",
    "folder_path",
    "follow_page",
    "list_remote_files",
    "next_page",
    "parse_list",
]

MAX_LIST = 32 * 1024 * 1024
#: Entries at most in one folder's list, over all its pages.
MAX_ENTRIES = 1_000_000
#: Entries asked for in one page (the server lowers it to its own maximum).
_PER_PAGE = 10000
#: Characters at most in a listed name.
MAX_NAME = 1024
_SHA256 = re.compile("[0-9a-fA-F]{64}")


class RemoteFile(Record):
    """One entry of a share's JSON list; ``url`` is absolute, ready for :class:`Download`.

    ``kind`` is "file" or "folder" (issue 20: a folder's ``size`` is the bytes below it, its
    ``url`` ends in "/"); ``path`` is the server's key from the share's root ("photos/a b.jpg").
    """

    name: str
    size: int
    mtime: float
    sha256: str | None
    url: str
    kind: str = "file"
    path: str = ""


class FileListRequest(Client):
    """Fetch a share's file list; ``shutdown()`` from another thread ends it at once.

    Args:
        url: the share's URL (any path in it is ignored); http:// or https://.
        folder: the shared folder to list, as the server's key ("photos/2024"; "" the root).
        tls: how to check an https server (default: verified against the system's CAs).
        timeout: seconds for connecting and for each wait for the server's next bytes; the whole
            request must also finish within ``deadline`` seconds (default: four times that).
    Raises:
        AddressError: a malformed URL, or a raw:// one (the classic protocol has no list).
    """

    def __init__(
        self,
        url: str,
        *,
        tls: ClientTls | None = None,
        timeout: float = 10.0,
        deadline: float | None = None,
        folder: str = "",
    ) -> None:
        parsed = parse_share_url(url)
        if parsed.scheme in ("raw", "raw+tls"):
            raise AddressError(
                _("a classic raw server has no file list: type the file's name instead")
            )
        path = folder_path(folder)
        listing = ShareUrl(
            parsed.scheme,
            parsed.host,
            parsed.port,
            "",
            f"{path}?format=json&per_page={_PER_PAGE}",
            "",
            parsed.password,  # a share password in the URL (http://:pw@host/) is sent
        )
        super().__init__(listing, tls, timeout, timeout * 4 if deadline is None else deadline)
        self.folder_path = path

    def run(self) -> list[RemoteFile]:
        """The files the share offers, in its order: every page of the list, each page's
        ``Link: <...>; rel="next"`` (RFC 8288) followed while it stays in this folder's list, up
        to :data:`MAX_ENTRIES` entries in all.

        Raises:
            ConnectError: the server cannot be reached.
            ProtocolError: the server is not a share (no JSON list), or the list breaks a rule.
            TransferError: the answer broke off, took too long, or was cancelled (shutdown()).
        """
        authority = self.share_url.authority
        self.start_clock()
        try:
            files: list[RemoteFile] = []
            seen = {self.share_url.target}
            while True:
                body, link = self._fetch()
                page = parse_list(body, self.share_url, self.folder_path)
                files += page
                if len(files) > MAX_ENTRIES:
                    raise ProtocolError(
                        _(
                            "the file list from {authority} has more than {max_entries:,} entries"
                        ).format(authority=authority, max_entries=MAX_ENTRIES)
                    )
                following = follow_page(
                    next_page(link, self.folder_path), seen, not page, authority
                )
                if following is None:
                    return files
                self._close_reader()
                self.share_url = self.share_url.replace(target=following)
        except Cancelled:
            raise TransferError(_("listing the files was cancelled")) from None
        except OutOfTime:
            raise TransferError(
                _("{authority} did not send its file list within {deadline:g} s").format(
                    authority=authority, deadline=self._deadline
                )
            ) from None
        except TimeoutError as exc:
            raise TransferError(
                _("{authority} did not answer within {timeout:g} s").format(
                    authority=authority, timeout=self._timeout
                )
            ) from exc
        except NetError:
            raise
        except OSError as exc:
            raise TransferError(describe_io_error(exc, authority)) from exc
        finally:
            self._close_reader()

    def _fetch(self) -> tuple[bytes, str | None]:
        """One page of the list: its body and its ``Link`` header (None when it has none)."""
        url = self.share_url
        too_large = ProtocolError(
            _("the file list from {authority} is larger than {max_list} MiB").format(
                authority=url.authority, max_list=MAX_LIST // (1024 * 1024)
            )
        )
        sock = self._connect()
        try:
            http, response, recv_into = self._request_head(sock, [])
            if response.status_code != 200:
                raise ProtocolError(
                    _(
                        "{authority} has no file list ({status_code}); is it a Socket "
                        "Workbench share?"
                    ).format(authority=url.authority, status_code=response.status_code)
                )
            length = header(response, b"content-length")
            if length is not None and length.isdigit() and int(length) > MAX_LIST:
                raise too_large
            body = bytearray()
            buffer = bytearray(64 * 1024)
            view = memoryview(buffer)
            while True:
                try:
                    event = http.next_event()
                except h11.RemoteProtocolError as exc:
                    raise ProtocolError(
                        _("{authority} sent a broken answer ({exc})").format(
                            authority=url.authority, exc=exc
                        )
                    ) from exc
                if event is h11.NEED_DATA:
                    count = recv_into(view)
                    http.receive_data(bytes(view[:count]))
                elif isinstance(event, h11.Data):
                    body += event.data
                    if len(body) > MAX_LIST:
                        raise too_large
                elif isinstance(event, h11.EndOfMessage):
                    if self.ragged_eof:
                        raise TransferError(
                            _(
                                "the TLS connection with {authority} ended without close_notify, so "
                                "the file list may be cut short"
                            ).format(authority=url.authority)
                        )
                    return bytes(body), header(response, b"link")
                else:
                    raise TransferError(
                        _("{authority} closed the connection mid-answer").format(
                            authority=url.authority
                        )
                    )
        finally:
            sock.close()


_NEXT_LINK = re.compile(r'<([^<>]*)>\s*;\s*rel="?next"?(?:[\s;,]|$)')


def next_page(link: str | None, path: str) -> str | None:
    """The request target of the next page in a ``Link`` header (RFC 8288 §3) when it is another
    page of the JSON list of the folder at request path ``path`` ("/photos/?format=json&page=2");
    else None: the last page, or a link that leads elsewhere, which is not followed."""
    found = _NEXT_LINK.search(link or "")
    if found is None:
        return None
    target = found.group(1)
    if not target.startswith(path + "?") or "format=json" not in target or not target.isprintable():
        return None
    return target


def follow_page(following: str | None, seen: set[str], empty: bool, where: str) -> str | None:
    """``following`` (the next page's request target from :func:`next_page`, None: the last page)
    once it is checked to lead on: a target already in ``seen`` (which it is added to), or an
    empty page that links to a next one, would page forever.

    Raises:
        ProtocolError: the pages of ``where``'s list loop.
    """
    if following is None:
        return None
    if following in seen or empty:
        raise ProtocolError(
            _(
                "the file list from {where} never ends: its pages link back to one already read "
                "or an empty page links on"
            ).format(where=where)
        )
    seen.add(following)
    return following


def folder_path(folder: str) -> str:
    """The request path of a shared folder's key: "photos/2024" -> "/photos/2024/", "" -> "/"
    (each segment percent-encoded, as the server names it)."""
    parts = [urllib.parse.quote(part, safe="") for part in folder.split("/") if part]
    return "/" + "".join(part + "/" for part in parts)


def parse_list(body: bytes, url: ShareUrl, folder: str = "/") -> list[RemoteFile]:
    """The entries of a share's JSON list (``[{"name", "path", "type", "size", "mtime",
    "sha256", "url"}]``) of the folder at request path ``folder`` ("/" the root).

    Every entry is checked: ``name`` a non-empty string of at most :data:`MAX_NAME` characters,
    ``size`` an integer from 0 to 2**63-1, ``mtime`` a finite number (0 when absent), ``sha256``
    64 hex digits or null, ``url`` (optional) on the same origin as ``url`` and naming the entry's
    own name in its last segment. A link that breaks the last two rules is not followed: the entry
    gets the URL its name gives, so what a user picks by name is what is fetched and saved.

    Raises:
        ProtocolError: not JSON, nested too deeply, not a list, or an entry breaks a rule.
    """
    problem = _("{authority} did not send a file list (is it a Socket Workbench share?)").format(
        authority=url.authority
    )
    try:
        items = json.loads(body)
    except RecursionError:
        raise ProtocolError(
            _("the file list from {authority} is nested too deeply").format(authority=url.authority)
        ) from None
    except ValueError:
        raise ProtocolError(problem) from None
    if not isinstance(items, list):
        raise ProtocolError(problem)
    origin = url.origin
    return [_entry(item, index, url, origin, folder) for index, item in enumerate(items)]


def _entry(item: object, index: int, url: ShareUrl, origin: str, folder: str) -> RemoteFile:
    def bad(what: str) -> ProtocolError:
        return ProtocolError(
            _("entry {index} of the file list from {authority} {what}").format(
                index=index + 1, authority=url.authority, what=what
            )
        )

    if not isinstance(item, dict):
        raise bad(_("is not an object"))
    name, size, mtime = item.get("name"), item.get("size"), item.get("mtime", 0)
    sha256, link = item.get("sha256"), item.get("url")
    kind = "folder" if item.get("type") == "folder" else "file"
    key = item.get("path")
    if not isinstance(name, str) or not name or len(name) > MAX_NAME:
        raise bad(_("has no usable name"))
    if not isinstance(size, int) or isinstance(size, bool) or not 0 <= size < 2**63:
        raise bad(_("has no usable size"))
    if (
        not isinstance(mtime, int | float)
        or isinstance(mtime, bool)
        or not math.isfinite(mtime)
        or abs(mtime) > 1e12
    ):
        raise bad(_("has no usable modification time"))
    if sha256 is not None and not (isinstance(sha256, str) and _SHA256.fullmatch(sha256)):
        raise bad(_("has a SHA-256 that is not 64 hex digits"))
    tail = "/" if kind == "folder" else ""
    absolute = None
    if isinstance(link, str) and link.endswith(tail):
        absolute = _link(link[: len(link) - len(tail)], url, origin, name)
    if absolute is None:
        # A list is no redirect: a link elsewhere, or to another name, is not taken.
        absolute = origin + folder + urllib.parse.quote(name, safe="")
    if not isinstance(key, str) or not key or len(key) > 64 * MAX_NAME:
        key = urllib.parse.unquote(folder.strip("/")) + "/" + name if folder != "/" else name
    return RemoteFile(
        name,
        size,
        float(mtime),
        sha256.lower() if sha256 else None,
        absolute + tail,
        kind,
        key,
    )


def _link(link: str, url: ShareUrl, origin: str, name: str) -> str | None:
    """``link`` made absolute when it is on ``url``'s origin and its last segment is ``name``."""
    if link.startswith("/") and not link.startswith("//") and "\\" not in link:
        # The common case, a path on the same origin: checked without a full URL parse (a list
        # may hold 100,000 entries).
        path = link.split("#", 1)[0].split("?", 1)[0]
        last = urllib.parse.unquote(path.rsplit("/", 1)[-1], errors="replace")
        return origin + link if last == name and link.isprintable() else None
    absolute = urllib.parse.urljoin(origin + "/", link)
    try:
        parsed = parse_share_url(absolute)
    except AddressError:
        return None
    same = (parsed.scheme, parsed.host, parsed.port) == (url.scheme, url.host, url.port)
    return absolute if same and parsed.name == name else None


def list_remote_files(
    url: str, *, tls: ClientTls | None = None, timeout: float = 10.0
) -> list[RemoteFile]:
    """The files a share offers (its ``/?format=json``); any path in ``url`` is ignored.

    A shortcut for ``FileListRequest(url, tls=tls, timeout=timeout).run()``; the same errors.
    """
    with FileListRequest(url, tls=tls, timeout=timeout) as request:
        return request.run()
