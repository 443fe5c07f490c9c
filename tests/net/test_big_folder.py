"""A folder of 100,000 files (issue 20): walked with a count of files found, the root index still
quick, and the folder's HTML index and JSON list paged (``page``/``per_page``, ``Link`` rel next
and prev, RFC 8288), which the file list client and the mirror follow to the end.

The folder is made by the tests on tmpfs (/dev/shm) with empty files, so making and walking it
takes seconds; one module-scoped server shares it for every test here.
"""

from __future__ import annotations

import contextlib
import http.server
import os
import re
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from net.download.listing import FileListRequest, next_page
from net.errors import ProtocolError
from net.fileserver import FileServer
from net.mirror import Mirror
from net.share import ShareTable
from tests.conftest import WAIT
from tests.net.test_cli_files import SWB
from tests.net.test_fileserver import get, running
from tests.net.test_folders import get_json

COUNT = 100_000
#: A failure bound for one request, far above what it takes (the root index: ~0.01 s here).
BOUND = 5.0


def _names() -> list[str]:
    return [f"file{i:06d}.txt" for i in range(COUNT)]


@pytest.fixture(scope="module")
def many() -> Iterator[Path]:
    """A folder "many" of 100,000 empty files on tmpfs, removed afterwards."""
    base = Path("/dev/shm") if Path("/dev/shm").is_dir() else None
    top = Path(tempfile.mkdtemp(prefix="swb-big-", dir=base))
    folder = top / "many"
    folder.mkdir()
    try:
        for name in _names():
            os.close(os.open(folder / name, os.O_CREAT | os.O_WRONLY, 0o644))
        yield folder
    finally:
        shutil.rmtree(top)


@pytest.fixture(scope="module")
def port(many: Path) -> Iterator[int]:
    share = ShareTable(hash_files=False, rescan_after=3600)
    share.add_folder(many)
    with running(FileServer(share, "127.0.0.1", 0, raw_dialect=False)) as server:
        yield server.port
    share.close()


def test_the_walk_counts_the_files_it_found(many: Path) -> None:
    counts: list[int] = []
    with ShareTable(hash_files=False) as share:
        keys = share.add_folder(many, on_progress=counts.append)
        assert len(keys) == COUNT
        assert counts == list(range(1000, COUNT + 1, 1000))
        assert share.folder_size("many") == (COUNT, 0)


def test_the_root_index_answers_at_once(port: int) -> None:
    started = time.monotonic()
    status, _headers, body = get(port, "/")
    took = time.monotonic() - started
    assert status == 200 and took < BOUND
    assert 'href="/many/"' in body.decode() and "100,000 files" in body.decode()
    items = get_json(port, "/?format=json")
    assert [(i["name"], i["type"]) for i in items] == [("many", "folder")]


def test_a_page_of_the_json_list_holds_1000_entries_and_links_the_next(port: int) -> None:
    status, headers, _body = get(port, "/many/?format=json")
    assert status == 200
    assert headers["Link"] == '</many/?format=json&page=2&per_page=1000>; rel="next"'
    items = get_json(port, "/many/?format=json")
    assert [i["name"] for i in items] == _names()[:1000]
    _status, headers, _body = get(port, "/many/?format=json&page=100")
    assert headers["Link"] == '</many/?format=json&page=99&per_page=1000>; rel="prev"'
    assert [i["name"] for i in get_json(port, "/many/?format=json&page=100")] == _names()[-1000:]
    # Past the end: an empty page that links back.
    assert get_json(port, "/many/?format=json&page=101") == []


def test_following_next_links_lists_every_entry_once(port: int) -> None:
    target: str | None = "/many/?format=json&per_page=7000"
    names: list[str] = []
    pages = 0
    while target is not None:
        status, headers, _body = get(port, target)
        assert status == 200
        names += [str(i["name"]) for i in get_json(port, target)]
        target = next_page(headers.get("Link"), "/many/")
        pages += 1
    assert pages == 15 and names == _names()


def test_per_page_has_a_ceiling_and_bad_values_get_400(port: int) -> None:
    _status, headers, _body = get(port, "/many/?format=json&per_page=99999")
    assert headers["Link"] == '</many/?format=json&page=2&per_page=10000>; rel="next"'
    for query in ("page=0", "page=-1", "page=x", "per_page=0", "page=1e3", "page=%D9%A3"):
        status, _headers, _body = get(port, f"/many/?format=json&{query}")
        assert status == 400, query
        assert get(port, f"/many/?{query}")[0] == 400, query


def test_the_html_index_is_paged_with_previous_and_next_links(port: int) -> None:
    status, headers, body = get(port, "/many/")
    page = body.decode()
    assert status == 200
    assert len(re.findall(r'<tr data-kind="file"', page)) == 1000
    assert "Entries 1–1,000 of 100,000" in page
    assert '<a rel="next" href="?page=2&amp;per_page=1000">' in page and 'rel="prev"' not in page
    assert 'id="json-list" href="?format=json&amp;page=1&amp;per_page=1000"' in page
    assert headers["Link"] == '</many/?page=2&per_page=1000>; rel="next"'
    middle = get(port, "/many/?page=50", {"Accept-Language": "zh-CN"})[2].decode()
    assert "第 49,001–50,000 项，共 100,000 项" in middle
    assert '<a rel="prev" href="?page=49&amp;per_page=1000">' in middle
    assert '<a rel="next" href="?page=51&amp;per_page=1000">' in middle
    assert 'href="/many/file049000.txt"' in middle and 'href="/many/file048999.txt"' not in middle


def test_the_file_list_client_follows_the_pages(port: int) -> None:
    with FileListRequest(f"http://127.0.0.1:{port}/", folder="many", timeout=WAIT) as request:
        files = request.run()
    assert [f.name for f in files] == _names()


def test_a_next_link_elsewhere_is_not_followed() -> None:
    assert next_page('</a/?format=json&page=2>; rel="next"', "/a/") == "/a/?format=json&page=2"
    assert next_page('</b/?format=json&page=2>; rel="next"', "/a/") is None
    assert next_page('<http://evil/a/?format=json>; rel="next"', "/a/") is None
    assert next_page('</a/?format=json&page=1>; rel="prev"', "/a/") is None
    assert next_page(None, "/a/") is None


@pytest.fixture
def shm_path() -> Iterator[Path]:
    """A temporary folder on tmpfs: the mirror fsyncs every file, which takes seconds for
    thousands of files on a disk."""
    base = Path("/dev/shm") if Path("/dev/shm").is_dir() else None
    top = Path(tempfile.mkdtemp(prefix="swb-wide-", dir=base))
    try:
        yield top
    finally:
        shutil.rmtree(top)


def test_the_mirror_follows_the_pages(shm_path: Path) -> None:
    """2,500 files in one folder: three pages of its list, all mirrored."""
    tmp_path = shm_path
    source = tmp_path / "wide"
    source.mkdir()
    for i in range(2500):
        (source / f"{i:04d}.txt").write_bytes(str(i).encode())
    with ShareTable() as share:
        share.add_folder(source)
        assert share.wait_hashed(WAIT)
        with running(FileServer(share, "127.0.0.1", 0)) as server:
            result = Mirror(f"http://127.0.0.1:{server.port}/wide/", tmp_path / "out").run()
    assert (result.downloaded, result.failed) == (2500, 0)
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        f"{i:04d}.txt" for i in range(2500)
    ]


def test_swb_serve_says_how_many_files_it_indexed(many: Path) -> None:
    serve = subprocess.Popen(
        [*SWB, "serve", "-H", "127.0.0.1", "-p", "0", "--no-raw", "--no-announce", str(many)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert serve.stderr is not None
        lines = []
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            line = serve.stderr.readline()
            lines.append(line)
            if not line or line.startswith("Sharing"):
                break
        assert f"indexed 10000 files in {many}…\n" in lines
        assert f"indexed 100000 files in {many}…\n" in lines
        assert any(line.startswith("Sharing 100000 files") for line in lines), lines
    finally:
        serve.terminate()
        serve.communicate(timeout=WAIT)


@contextlib.contextmanager
def looping_lister(first: bytes) -> Iterator[int]:
    """A hostile share: the first page of any list is ``first``, every later page ``[]``, and
    each links to the same next page, forever (HTTP/1.1 keep-alive, so the mirror's persistent
    connection is served too)."""

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            path = self.path.split("?")[0]
            body = b"[]" if "page=" in self.path else first
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Link", f'<{path}?format=json&page=2>; rel="next"')
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()
        thread.join(WAIT)


_ENTRY = b'[{"name": "a.txt", "type": "file", "size": 1, "mtime": 0, "sha256": null}]'


@pytest.mark.parametrize("first", [b"[]", _ENTRY])
def test_the_file_list_client_stops_on_pages_that_loop(first: bytes) -> None:
    with (
        looping_lister(first) as port,
        FileListRequest(f"http://127.0.0.1:{port}/", timeout=WAIT) as request,
        pytest.raises(ProtocolError, match="never ends"),
    ):
        request.run()


@pytest.mark.parametrize("first", [b"[]", _ENTRY])
def test_the_mirror_stops_on_pages_that_loop(first: bytes, tmp_path: Path) -> None:
    with looping_lister(first) as port, pytest.raises(ProtocolError, match="never ends"):
        Mirror(f"http://127.0.0.1:{port}/", tmp_path / "out", timeout=WAIT).run()


def test_swb_get_recursive_stops_on_pages_that_loop(tmp_path: Path) -> None:
    with looping_lister(_ENTRY) as port:
        done = subprocess.run(
            [*SWB, "get", "--recursive", f"http://127.0.0.1:{port}/", "-o", str(tmp_path / "o")],
            capture_output=True,
            text=True,
            timeout=WAIT * 4,
        )
    assert done.returncode == 1 and "never ends" in done.stderr, done.stderr
