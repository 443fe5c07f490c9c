"""The upload exchange (net._serve_upload) frees an upload's name before it answers: a client that
sends the next request for the name the moment it reads the answer (a resumable upload's PATCH
after its first part) is never told the name is still being uploaded."""

from __future__ import annotations

import http.client
from collections.abc import Iterator
from pathlib import Path

import pytest

from net.fileserver import FileServer
from net.share import ShareTable
from tests.net.test_fileserver import running

WAIT = 5.0
ROUNDS = 80  # each round races the answer's send against the name's release


def request(port: int, method: str, name: str, body: bytes, headers: dict[str, str]) -> int:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=WAIT)
    try:
        conn.request(method, f"/{name}", body=body, headers=headers)
        response = conn.getresponse()
        response.read()
        return response.status
    finally:
        conn.close()


@pytest.fixture
def inbox(tmp_path: Path) -> Iterator[tuple[FileServer, Path]]:
    folder = tmp_path / "inbox"
    folder.mkdir()
    with ShareTable() as share:
        server = FileServer(share, "127.0.0.1", 0, upload_dir=folder)
        with server, running(server):
            yield server, folder


def test_the_next_request_for_a_name_comes_right_after_the_answer(
    inbox: tuple[FileServer, Path],
) -> None:
    server, folder = inbox
    resumable = {"Upload-Draft-Interop-Version": "6"}
    for round_ in range(ROUNDS):
        name = f"part{round_}.bin"
        first = request(server.port, "PUT", name, b"first ", {**resumable, "Upload-Complete": "?0"})
        assert first == 201
        rest = {
            **resumable,
            "Upload-Offset": "6",
            "Upload-Complete": "?1",
            "Content-Type": "application/partial-upload",
        }
        assert request(server.port, "PATCH", name, b"second", rest) == 201, name
        assert (folder / name).read_bytes() == b"first second"
