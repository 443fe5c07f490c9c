"""The file server's HTTP answer parts: request header access, common headers, reason phrases and
the error answers the loop writes itself (RFC 9110, RFC 9112). Pure functions over h11 objects."""

from __future__ import annotations

import contextlib
import time
from http import HTTPStatus

import h11

from net.httpfile import Target, file_url_path, http_date
from net.sharepage import page_headers

__all__ = [
    "CHALLENGE",
    "FAVICON",
    "SHOWN_NAME",
    "FileSpan",
    "common_headers",
    "error_response",
    "page_links",
    "peer_host",
    "reason_phrase",
    "request_header",
    "request_text",
    "sf_boolean",
    "target_name",
]

_SERVER = "socket-workbench"
SHOWN_NAME = 200  # characters of an unknown name that events carry


class FileSpan:
    """Stands for a file body in h11's ``send_with_data_passthrough``: only its length matters."""

    __slots__ = ("length",)

    def __init__(self, length: int) -> None:
        self.length = length

    def __len__(self) -> int:
        return self.length


def request_header(request: h11.Request, name: bytes) -> bytes | None:
    """A request header's value; repeated fields are combined with commas (RFC 9110 §5.3)."""
    values = [value for key, value in request.headers if key == name]
    if not values:
        return None
    return b", ".join(values)


def request_text(request: h11.Request, name: bytes) -> str | None:
    value = request_header(request, name)
    return None if value is None else value.decode("latin-1")


FAVICON = Target("file", "favicon.ico")


def common_headers() -> list[tuple[str, str]]:
    # nosniff on every answer: a browser takes the Content-Type as sent (Fetch §3.5).
    return [
        ("Date", http_date(time.time())),
        ("Server", _SERVER),
        ("X-Content-Type-Options", "nosniff"),
    ]


_RFC9110_PHRASES = {414: b"URI Too Long", 416: b"Range Not Satisfiable"}


def reason_phrase(status: int) -> bytes:
    if status in _RFC9110_PHRASES:
        return _RFC9110_PHRASES[status]
    try:
        return HTTPStatus(status).phrase.encode("ascii")
    except ValueError:
        return b""


_ERROR_TEXT = {
    400: "The request is not valid HTTP/1.1.",
    414: "The request line is longer than 8 KiB.",
    431: "The request head is longer than 16 KiB or has more than 100 header lines.",
    503: "Too many transfers at once; try again in a moment.",
    401: "This share needs a password (HTTP Basic authentication, any user name).",
}
# RFC 7617 §2: the realm names what the password is for; charset says it is UTF-8 (§2.1).
CHALLENGE = 'Basic realm="Socket Workbench share", charset="UTF-8"'


def sf_boolean(value: str | None) -> bool | None:
    """A structured-field boolean (RFC 8941 §3.3.6: ``?1`` / ``?0``); None when absent or not one."""
    text = (value or "").strip()
    return True if text == "?1" else False if text == "?0" else None


def peer_host(peer: str) -> str:
    """The address part of "host:port" / "[v6]:port": failures are counted per address."""
    return peer.rsplit(":", 1)[0]


def target_name(request: h11.Request) -> str:
    return request.target.decode("utf-8", "backslashreplace")[:SHOWN_NAME]


def page_links(target: Target, total: int) -> list[tuple[str, str]]:
    """The ``Link`` header (RFC 8288) of one page of a folder's list: its ``prev`` and ``next``
    pages with the same format and ``per_page``, as GitHub's API pages its lists; none for a
    list that fits one page. A client follows ``rel="next"`` until there is none."""
    path = file_url_path(target.name, folder=True) if target.name else "/"
    form = "format=json&" if target.kind == "json" else ""
    links = []
    if target.page > 1:
        links.append(
            f'<{path}?{form}page={target.page - 1}&per_page={target.per_page}>; rel="prev"'
        )
    if target.page * target.per_page < total:
        links.append(
            f'<{path}?{form}page={target.page + 1}&per_page={target.per_page}>; rel="next"'
        )
    return [("Link", ", ".join(links))] if links else []


def error_response(
    status: int,
    body: bytes | None = None,
    content: str | None = None,
    extra: list[tuple[str, str]] | None = None,
) -> bytes:
    """The bytes of an error answer that ends the connection, serialised by h11 (the body is
    the standard sentence for ``status`` as text/plain unless one is given)."""
    # h11 lets a server answer without a parsed request only once the client has broken the
    # protocol in its eyes; these errors are decided before h11 sees the head (our limits), so a
    # fresh h11 connection is shown one invalid byte to put it in that state.
    http = h11.Connection(h11.SERVER)
    http.receive_data(b"\0\r\n\r\n")
    with contextlib.suppress(h11.RemoteProtocolError):
        http.next_event()
    if body is None:
        body = (_ERROR_TEXT.get(status, reason_phrase(status).decode()) + "\n").encode()
    headers = [
        *common_headers(),
        ("Content-Type", content or "text/plain; charset=utf-8"),
        ("Content-Length", str(len(body))),
        ("Connection", "close"),
        *page_headers("locked"),
        *(extra or []),
    ]
    if status == 503:
        headers.append(("Retry-After", "1"))
    out = http.send(h11.Response(status_code=status, headers=headers, reason=reason_phrase(status)))
    out = (out or b"") + (http.send(h11.Data(data=body)) or b"")
    return out + (http.send(h11.EndOfMessage()) or b"")
