"""Download validation (net/download/judge.py) as tables, without sockets (issue 24).

Each row gives a response head, what the ``.part`` holds and the whole verdict: every field of
the :class:`Plan`, or the error class and its exact sentence. ``test_download_hostile.py`` runs
the same rules against hostile servers; these rows pin what a server cannot see: the validator
and digest a later resume and verify rely on, and the sentence a person reads.
"""

from __future__ import annotations

import base64
import hashlib

import h11
import pytest

from net.download.exchange import Restart
from net.download.judge import Plan, judge_response
from net.download.urls import ShareUrl
from net.errors import ProtocolError, TransferError

_URL = ShareUrl("http", "127.0.0.1", 8000, "f.bin", "/f.bin", "f.bin")
_SUM = hashlib.sha256(b"the file").digest()
_B64 = base64.b64encode(_SUM).decode()
_OTHER = hashlib.sha256(b"another file").digest()
_V1 = ("ETag", '"v1"')
_TAIL = ("Content-Range", "bytes 500-1023/1024")

Fields = list[tuple[str, str]]

# (status, fields, offset asked, stored_total, expected Plan)
KEPT: list[tuple[int, Fields, int, int | None, Plan]] = [
    # 200: the whole body, its validator and digest; a 200 to a resume request starts over.
    (200, [("Content-Length", "1024"), _V1], 0, None, Plan(0, 1024, 1024, '"v1"', None)),
    (
        200,
        [("Content-Length", "1024"), ("ETag", '"v2"')],
        500,
        1024,
        Plan(0, 1024, 1024, '"v2"', None, whole_again=True),
    ),
    (
        200,
        [("Last-Modified", "Mon, 30 Nov 2026 10:00:00 GMT"), ("Repr-Digest", f"sha-256=:{_B64}:")],
        0,
        None,
        Plan(0, None, None, "Mon, 30 Nov 2026 10:00:00 GMT", _SUM),
    ),
    # Repr-Digest (RFC 9530) wins over the legacy Digest (RFC 3230), which serves when alone.
    (
        200,
        [
            ("Digest", f"SHA-256={base64.b64encode(_OTHER).decode()}"),
            ("Repr-Digest", f"sha-256=:{_B64}:"),
        ],
        0,
        None,
        Plan(0, None, None, None, _SUM),
    ),
    (200, [("Digest", f"SHA-256={_B64}")], 0, None, Plan(0, None, None, None, _SUM)),
    # identity is no coding, in any case and however the list is spelled.
    (
        200,
        [("Content-Encoding", "Identity, identity"), ("Content-Length", "3")],
        0,
        None,
        Plan(0, 3, 3, None, None),
    ),
    (200, [("Content-Encoding", "IDENTITY")], 0, None, Plan(0, None, None, None, None)),
    # A 206 holding the whole file answers a plain GET too.
    (
        206,
        [("Content-Range", "bytes 0-1023/1024"), _V1, ("Digest", f"sha-256={_B64}")],
        0,
        None,
        Plan(0, 1024, 1024, '"v1"', _SUM),
    ),
    # The resume: same validator, same length, to the end; the stored length may be unknown.
    (
        206,
        [_TAIL, _V1, ("Repr-Digest", f"sha-256=:{_B64}:")],
        500,
        1024,
        Plan(500, 1024, 524, '"v1"', _SUM),
    ),
    (206, [_TAIL, _V1], 500, None, Plan(500, 1024, 524, '"v1"', None)),
    # 416 to a Range from the .part's end: the .part already is the whole file.
    (
        416,
        [("Content-Range", "bytes */500"), ("Repr-Digest", f"sha-256=:{_B64}:")],
        500,
        500,
        Plan(500, 500, 0, '"v1"', _SUM, complete=True),
    ),
    (
        416,
        [("Content-Range", "bytes */500"), _V1],
        500,
        None,
        Plan(500, 500, 0, '"v1"', None, complete=True),
    ),
]


@pytest.mark.parametrize(("status", "fields", "offset", "stored", "plan"), KEPT)
def test_a_kept_answer_gives_the_whole_plan(
    status: int, fields: Fields, offset: int, stored: int | None, plan: Plan
) -> None:
    response = h11.Response(status_code=status, headers=fields)
    judged = judge_response(response, _URL, offset=offset, if_range='"v1"', stored_total=stored)
    assert judged == plan


# (status, fields, offset asked, stored_total, error class, its whole sentence)
REFUSED: list[tuple[int, Fields, int, int | None, type[Exception], str]] = [
    (
        200,
        [("Content-Encoding", "gzip, Br")],
        0,
        None,
        TransferError,
        "the server sent the file compressed (gzip, br), which is not unpacked here",
    ),
    (
        206,
        [],
        500,
        1024,
        Restart,
        "the server sent a part without a usable Content-Range",
    ),
    (
        206,
        [("Content-Range", "bytes */1024"), _V1],
        500,
        1024,
        Restart,
        "the server sent a part without a usable Content-Range",
    ),
    (
        206,
        [("Content-Range", "bytes 1-1023/1024")],
        0,
        None,
        TransferError,
        "127.0.0.1:8000 sent only bytes 1-1023 of 1024 when the whole file was asked for",
    ),
    (
        206,
        [_TAIL, _V1, ("Content-Length", "9")],
        500,
        1024,
        ProtocolError,
        "127.0.0.1:8000 sent Content-Length 9 with Content-Range bytes 500-1023/1024",
    ),
    (
        206,
        [("Content-Range", "bytes 400-1023/1024"), _V1],
        500,
        1024,
        Restart,
        "the server sent bytes from 400, not from the 500 already saved",
    ),
    (
        206,
        [_TAIL, ("ETag", '"v2"')],
        500,
        1024,
        Restart,
        "the file changed on the server since the .part was saved",
    ),
    (
        206,
        [("Content-Range", "bytes 500-1999/2000"), _V1],
        500,
        1024,
        Restart,
        "the file's length changed on the server",
    ),
    (
        206,
        [("Content-Range", "bytes 500-599/1024"), _V1],
        500,
        1024,
        Restart,
        "the server sent a part that does not reach the end of the file",
    ),
    (
        416,
        [("Content-Range", "bytes */900")],
        500,
        None,
        Restart,
        "the file on the server is not the one the .part came from",
    ),
    (
        416,
        [],
        500,
        500,
        Restart,
        "the file on the server is not the one the .part came from",
    ),
]


@pytest.mark.parametrize(("status", "fields", "offset", "stored", "error", "sentence"), REFUSED)
def test_a_refused_answer_says_why(
    status: int,
    fields: Fields,
    offset: int,
    stored: int | None,
    error: type[Exception],
    sentence: str,
) -> None:
    response = h11.Response(status_code=status, headers=fields)
    with pytest.raises(error) as raised:
        judge_response(response, _URL, offset=offset, if_range='"v1"', stored_total=stored)
    assert type(raised.value) is error
    assert str(raised.value) == sentence
