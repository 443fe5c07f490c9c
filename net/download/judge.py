"""Judging a response head before a byte of its body is kept: a pure function, no sockets.

A download may append a ``206`` to its ``.part`` only when the answer says it continues exactly
that ``.part``: the range asked for, to the end of a file of the length already known, under the
very validator the ``.part`` was stored with (RFC 9110 §14.4, §13.1.5: parts combine only under
the same strong validator). Anything else starts over once (:class:`Restart`) or fails with a
sentence.
"""

from __future__ import annotations

import h11

from net._i18n import _
from net._record import Record
from net.download.exchange import Restart, header, list_header, shown, status_error, validator
from net.download.urls import ShareUrl
from net.errors import ProtocolError, TransferError
from net.httpfile import parse_content_range, parse_repr_digest

__all__ = ["Plan", "judge_response"]


class Plan(Record):
    """What to do with an answer: keep ``offset`` bytes of the ``.part`` and append the body."""

    offset: int  # bytes of the .part that stay (0: start over)
    total: int | None  # the file's length in bytes, when the answer says it
    length: int | None  # bytes the body carries, when known before reading it
    validator: str | None  # what a later If-Range may carry (strong ETag, else Last-Modified)
    digest: bytes | None  # the SHA-256 the server announced (Repr-Digest or Digest)
    complete: bool = False  # a 416 saying the .part already holds the whole file
    whole_again: bool = False  # a 200 to a resume request: the .part is started over


def judge_response(
    response: h11.Response,
    url: ShareUrl,
    *,
    offset: int,
    if_range: str | None,
    stored_total: int | None,
) -> Plan:
    """Judge ``response`` to a GET that asked for bytes ``offset``- under ``if_range`` (0: all).

    Args:
        response: the final response head.
        url: what was asked for (for the sentences).
        offset: bytes already in the ``.part`` that a Range asked to continue (0 for none).
        if_range: the validator sent in If-Range with that Range.
        stored_total: the file's length stored with the ``.part``, if known.
    Raises:
        Restart: the answer does not continue the ``.part``: start over from byte 0.
        TransferError: a refusal, a compressed body, or a part of the file when all was asked for.
        ProtocolError: fields that contradict each other or appear twice with different values.
    """
    status = response.status_code
    digest_text = list_header(response, b"repr-digest") or list_header(response, b"digest")
    digest = parse_repr_digest(digest_text) if digest_text else None
    current = validator(response)
    if status == 416 and offset:
        span = parse_content_range(header(response, b"content-range") or "")
        if (
            span is None
            or span.total != offset
            or (stored_total is not None and stored_total != offset)
            or (current and current != if_range)
        ):
            raise Restart(_("the file on the server is not the one the .part came from"))
        return Plan(offset, offset, 0, if_range, digest, complete=True)
    if status not in (200, 206):
        raise status_error(response, url)
    codings = [
        c.strip().lower() for c in (list_header(response, b"content-encoding") or "").split(",")
    ]
    if any(c not in ("identity", "") for c in codings):
        raise TransferError(
            _("the server sent the file compressed ({shown}), which is not unpacked here").format(
                shown=shown(", ".join(c for c in codings if c))
            )
        )
    length_text = header(response, b"content-length")
    length = int(length_text) if length_text and length_text.isdigit() else None
    if status == 200:
        return Plan(0, length, length, current, digest, whole_again=bool(offset))
    span = parse_content_range(header(response, b"content-range") or "")
    if span is None or span.start is None or span.end is None or span.total is None:
        raise Restart(_("the server sent a part without a usable Content-Range"))
    body = span.end - span.start + 1
    if length is not None and length != body:
        raise ProtocolError(
            _(
                "{authority} sent Content-Length {length} with Content-Range bytes "
                "{start}-{end}/{total}"
            ).format(
                authority=url.authority,
                length=length,
                start=span.start,
                end=span.end,
                total=span.total,
            )
        )
    if not offset:
        if span.start == 0 and span.end == span.total - 1:
            return Plan(0, span.total, body, current, digest)  # the whole file, though as a 206
        raise TransferError(
            _(
                "{authority} sent only bytes {start}-{end} of {total} when the whole "
                "file was asked for"
            ).format(authority=url.authority, start=span.start, end=span.end, total=span.total)
        )
    if span.start != offset:
        raise Restart(
            _("the server sent bytes from {start}, not from the {offset} already saved").format(
                start=span.start, offset=offset
            )
        )
    if current is None or current != if_range:
        raise Restart(_("the file changed on the server since the .part was saved"))
    if stored_total is not None and span.total != stored_total:
        raise Restart(_("the file's length changed on the server"))
    if span.end != span.total - 1:
        raise Restart(_("the server sent a part that does not reach the end of the file"))
    return Plan(offset, span.total, body, current, digest)
