"""A share's file list (``GET /?format=json``), fetched within limits and checked entry by entry."""

from __future__ import annotations

import json
import urllib.parse
from dataclasses import dataclass
from typing import TYPE_CHECKING

import h11

from net.download.exchange import Cancelled, Client
from net.download.urls import ShareUrl, parse_share_url
from net.errors import AddressError, NetError, ProtocolError, TransferError, describe_io_error

if TYPE_CHECKING:
    from net.tls import ClientTls

__all__ = ["MAX_LIST", "RemoteFile", "list_remote_files", "parse_list"]

MAX_LIST = 32 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class RemoteFile:
    """One entry of a share's JSON list; ``url`` is absolute, ready for :class:`Download`."""

    name: str
    size: int
    mtime: float
    sha256: str | None
    url: str


class _ListRequest(Client):
    def fetch(self) -> list[RemoteFile]:
        url = self.share_url
        sock = self._connect()
        try:
            http, response, recv_into = self._request_head(sock, [])
            if response.status_code != 200:
                raise ProtocolError(
                    f"{url.authority} has no file list ({response.status_code}); is it a Socket "
                    "Workbench share?"
                )
            body = bytearray()
            buffer = bytearray(64 * 1024)
            view = memoryview(buffer)
            while True:
                try:
                    event = http.next_event()
                except h11.RemoteProtocolError as exc:
                    raise ProtocolError(f"{url.authority} sent a broken answer ({exc})") from exc
                if event is h11.NEED_DATA:
                    count = recv_into(view)
                    http.receive_data(bytes(view[:count]))
                elif isinstance(event, h11.Data):
                    body += event.data
                    if len(body) > MAX_LIST:
                        raise ProtocolError(f"the file list from {url.authority} is too large")
                elif isinstance(event, h11.EndOfMessage):
                    break
                else:
                    raise TransferError(f"{url.authority} closed the connection mid-answer")
        finally:
            sock.close()
            self._close_reader()
        return parse_list(bytes(body), url)


def parse_list(body: bytes, url: ShareUrl) -> list[RemoteFile]:
    problem = ProtocolError(
        f"{url.authority} did not send a file list (is it a Socket Workbench share?)"
    )
    try:
        items = json.loads(body)
    except ValueError:
        raise problem from None
    if not isinstance(items, list):
        raise problem
    files: list[RemoteFile] = []
    for item in items:
        if not isinstance(item, dict):
            raise problem
        name, size, mtime = item.get("name"), item.get("size"), item.get("mtime", 0)
        sha256, link = item.get("sha256"), item.get("url")
        if not isinstance(name, str) or not isinstance(size, int) or isinstance(size, bool):
            raise problem
        if not isinstance(mtime, int | float) or not (sha256 is None or isinstance(sha256, str)):
            raise problem
        own = url.origin + "/" + urllib.parse.quote(name, safe="")
        absolute = urllib.parse.urljoin(url.origin + "/", link) if isinstance(link, str) else own
        if not _same_origin(absolute, url):
            absolute = own  # a list is no redirect: a link elsewhere is not followed either
        files.append(RemoteFile(name, size, float(mtime), sha256, absolute))
    return files


def _same_origin(link: str, url: ShareUrl) -> bool:
    try:
        parsed = parse_share_url(link)
    except AddressError:
        return False
    return (parsed.scheme, parsed.host, parsed.port) == (url.scheme, url.host, url.port)


def list_remote_files(
    url: str, *, tls: ClientTls | None = None, timeout: float = 10.0
) -> list[RemoteFile]:
    """The files a share offers (its ``/?format=json``); any path in ``url`` is ignored.

    Raises:
        AddressError: a malformed URL, or a raw:// one (the classic protocol has no list).
        ConnectError: the server cannot be reached.
        ProtocolError: the server is not a share (no JSON list).
    """
    parsed = parse_share_url(url)
    if parsed.scheme == "raw":
        raise AddressError("a classic raw server has no file list: type the file's name instead")
    listing = ShareUrl(parsed.scheme, parsed.host, parsed.port, "", "/?format=json", "")
    request = _ListRequest(listing, tls, timeout)
    try:
        return request.fetch()
    except Cancelled:  # pragma: no cover - nobody can call shutdown() on it
        raise TransferError("cancelled") from None
    except TimeoutError as exc:
        raise TransferError(f"{parsed.authority} did not answer within {timeout:g} s") from exc
    except NetError:
        raise
    except OSError as exc:
        raise TransferError(describe_io_error(exc, parsed.authority)) from exc
    finally:
        request.close()
