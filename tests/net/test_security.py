"""The file server against hostile requests, as tables, in both dialects, plain and inside TLS.

Every request is sent literally over a raw socket (an HTTP client would normalise "../" away, see
CPython's test_httpservers), and every answer is checked exactly: the status, or a connection
closed with nothing said. Whatever the case, no byte of a secret next to the share ever leaves
(the secret sits in a sibling folder whose name starts like the shared one, and right above it),
no answer is a 500, and once the server has dealt with the hostile connections it holds no
descriptor or thread more than before. tests/net/test_fileserver.py has the first traversal tables;
these extend them family by family.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import unicodedata
import urllib.parse
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
import trustme

from net.events import TransferFinished, TransferStarted
from net.fileserver import FileServer
from net.share import ShareTable
from tests.conftest import WAIT
from tests.net.test_fileserver import EventLog, running

# Descriptors are counted in /proc/self/fd; swb children are stopped with SIGTERM.
pytestmark = pytest.mark.posix_only

SECRET = b"SWB-SECRET-" + os.urandom(6).hex().encode()
SHARED = b"shared bytes of a.txt\n"
#: A name with a terminal escape, CR and LF in it: shared on purpose, it must still download.
EVIL_NAME = "evil\x1b[31m\r\nname.txt"

# ---- descriptors and threads ----------------------------------------------------------------------


def fd_links() -> list[str]:
    """What this process's descriptors point at: sockets, selectors and the files under the temporary
    folders the tests share (pytest's capture files, pipes and devices come and go at their own
    pace, and are not what a server could leak)."""
    links = []
    for fd in os.listdir("/proc/self/fd"):
        try:
            link = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:  # the descriptor listdir itself used, closed by now
            continue
        if link.startswith(("socket:", "anon_inode:")) or link.startswith(_TEST_FILES):
            links.append(link)
    return links


_TEST_FILES = (tempfile.gettempdir() + "/pytest-of-",)


def open_fds() -> int:
    return len(fd_links())


def settle(condition: Callable[[], bool], timeout: float = WAIT) -> bool:
    """Wait (generously) for the server to close what it must; True once ``condition`` holds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


@contextmanager
def nothing_left_behind() -> Iterator[None]:
    """Descriptors and threads are back to where they were once the block has ended."""
    fds = open_fds()
    threads = set(threading.enumerate())
    yield
    assert settle(lambda: open_fds() <= fds), (fd_links(), fds)
    assert settle(lambda: set(threading.enumerate()) <= threads), [
        t.name for t in threading.enumerate() if t not in threads
    ]


# ---- the share: a sibling folder with a secret, a link out, and names with controls ---------------


@dataclass
class Layout:
    root: Path  # /tmp/.../x
    share: Path  # x/share (its a.txt and EVIL_NAME shared alone, at the root)
    secrets: list[Path]  # x/share-secret/secret.txt, x/secret.txt, x/photos/.hidden
    photos: Path  # x/photos (shared as a tree: "photos/a.txt", "photos/2024/a b.jpg")


def make_layout(root: Path) -> Layout:
    share = root / "share"
    share.mkdir(parents=True)
    (root / "share-secret").mkdir()
    secrets = [root / "share-secret" / "secret.txt", root / "secret.txt"]
    for path in secrets:
        path.write_bytes(SECRET)
    (share / "a.txt").write_bytes(SHARED)
    (share / EVIL_NAME).write_bytes(b"evil but shared")
    (share / "escape-link").symlink_to(root / "share-secret" / "secret.txt")
    (share / "prefix-link").symlink_to(Path("..") / "share-secret")
    photos = root / "photos"
    (photos / "2024").mkdir(parents=True)
    (photos / "a.txt").write_bytes(SHARED)
    (photos / "2024" / "a b.jpg").write_bytes(SHARED)
    (photos / ".hidden").write_bytes(SECRET)
    secrets.append(photos / ".hidden")
    (photos / "escape-link").symlink_to(root / "secret.txt")
    (photos / "2024" / "up-link").symlink_to(Path("..") / ".." / "share-secret")
    return Layout(root, share, secrets, photos)


@dataclass
class Peer:
    """A running server and how to talk to it: literally, over plain TCP or inside TLS."""

    server: FileServer
    layout: Layout
    log: EventLog
    client_context: ssl.SSLContext | None
    fds_serving: int  # descriptors while serving with no client

    @property
    def port(self) -> int:
        return self.server.port

    def connect(self) -> socket.socket:
        sock = socket.create_connection(("127.0.0.1", self.port), timeout=WAIT)
        if self.client_context is None:
            return sock
        return self.client_context.wrap_socket(sock, server_hostname="127.0.0.1")

    def talk(self, data: bytes, *, half_close: bool = False) -> bytes:
        """Send ``data`` in one write, then read until the server closes."""
        with self.connect() as sock:
            # A flood may be answered and closed before its end: then read the answer.
            with contextlib.suppress(BrokenPipeError, ConnectionResetError, ssl.SSLError):
                sock.sendall(data)
            if half_close:
                socket.socket.shutdown(sock, socket.SHUT_WR)
            return read_to_end(sock)


def read_to_end(sock: socket.socket) -> bytes:
    """What the server sent before it closed cleanly; a reset or a TLS error fails the test."""
    chunks = []
    while True:
        try:
            chunk = sock.recv(65536)
        except (ConnectionResetError, ssl.SSLError) as exc:
            # b"" must mean "closed without a byte", not "crashed": a reset is not an answer
            received = sum(map(len, chunks))
            pytest.fail(f"the server ended with {exc!r} after {received} bytes, not a clean close")
        if not chunk:
            break
        chunks.append(chunk)
    return b"".join(chunks)


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture(scope="module", params=["plain", "tls"])
def peer(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, ca: trustme.CA
) -> Iterator[Peer]:
    layout = make_layout(tmp_path_factory.mktemp(request.param) / "x")
    server_context = client_context = None
    if request.param == "tls":
        server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ca.issue_cert("127.0.0.1").configure_cert(server_context)
        client_context = ssl.create_default_context()
        ca.configure_trust(client_context)
    with nothing_left_behind():
        share = ShareTable()
        try:
            skipped: list[str] = []
            share.add(layout.share / "a.txt")
            share.add(layout.share / EVIL_NAME)
            share.add_folder(layout.photos, on_skip=lambda path, why: skipped.append(path))
            assert sorted(Path(p).name for p in skipped) == ["escape-link", "up-link"]
            assert sorted(f.name for f in share.files()) == sorted(
                ["a.txt", EVIL_NAME, "photos/a.txt", "photos/2024/a b.jpg"]
            )
            assert share.wait_hashed(WAIT)
            log = EventLog()
            server = FileServer(
                share,
                "127.0.0.1",
                0,
                ssl_context=server_context,
                head_timeout=2.0,
                raw_grace=0.05,
                linger=1.0,
                on_event=log,
            )
            # Serving adds one descriptor to the built server's: the loop's selector (the
            # listener and the waker's pair exist already). Once the first client's connection
            # is closed on the server's side too, exactly that many are open.
            fds_serving = open_fds() + 1
            with running(server):
                ready = Peer(server, layout, log, client_context, fds_serving)
                check(ready.talk(get(b"/a.txt")), 200)  # serving: its selector exists
                assert settle(lambda: open_fds() == fds_serving), (fd_links(), fds_serving)
                yield ready
        finally:
            share.close()


def status_of(response: bytes) -> int:
    match = re.match(rb"HTTP/1\.1 (\d{3}) ", response)
    assert match, response[:200]
    return int(match.group(1))


def body_of(response: bytes) -> bytes:
    return response.partition(b"\r\n\r\n")[2]


def check(response: bytes, expected: int | bytes) -> None:
    """``expected`` is a status (then the body is never the secret) or the exact raw answer."""
    assert SECRET not in response
    if isinstance(expected, bytes):
        assert response == expected, response[:200]
        return
    assert status_of(response) == expected, response[:300]
    if expected == 200:
        assert body_of(response) == SHARED


def get(target: bytes, *headers: bytes) -> bytes:
    return b"GET " + target + b" HTTP/1.1\r\nHost: x\r\n" + b"".join(headers) + CLOSE


CLOSE = b"Connection: close\r\n\r\n"

# ---- HTTP: traversal in every encoding family -------------------------------------------------------

#: (family, target) pairs that reach the share table as a name it does not hold: 404.
NOT_SHARED = [
    ("plain", "/../share-secret/secret.txt"),
    ("plain", "/../secret.txt"),
    ("plain", "/../../../../../../etc/passwd"),
    ("sibling prefix", "/share-secret/secret.txt"),
    ("sibling prefix", "/../share-secret/secret.txt"),
    ("sibling prefix", "/prefix-link/secret.txt"),
    ("link out", "/escape-link"),
    ("percent", "/%2e%2e/share-secret/secret.txt"),
    ("percent", "/%2e%2e%2fshare-secret%2fsecret.txt"),
    ("percent", "/%2E%2E%2Fsecret.txt"),
    ("percent", "/..%2f..%2fsecret.txt"),
    ("double", "/%252e%252e%252fsecret.txt"),
    ("double", "/..%252fshare-secret%252fsecret.txt"),
    ("triple", "/%25252e%25252e%25252fsecret.txt"),
    ("overlong 2-byte", "/%c0%ae%c0%ae%c0%afsecret.txt"),
    ("overlong 2-byte", "/%c0%ae%c0%ae/share-secret/secret.txt"),
    ("overlong 3-byte", "/%e0%80%ae%e0%80%ae%e0%80%afsecret.txt"),
    ("overlong 4-byte", "/%f0%80%80%ae%f0%80%80%ae%f0%80%80%afsecret.txt"),
    ("overlong backslash", "/..%c1%9csecret.txt"),
    ("backslash", "/..\\share-secret\\secret.txt"),
    ("backslash", "/..%5cshare-secret%5csecret.txt"),
    ("backslash", "/..%5c..%2fsecret.txt"),
    ("absolute", "//etc/passwd"),
    ("absolute", "/%2fetc%2fpasswd"),
    ("drive letter", "/C:/Windows/win.ini"),
    ("drive letter", "/C:%5cWindows%5cwin.ini"),
    ("drive letter", "/c:..\\secret.txt"),
    ("UNC", "/\\\\server\\share\\secret.txt"),
    ("UNC", "/%5c%5c%3f%5cC:%5csecret.txt"),
    ("UNC", "//server/share/secret.txt"),
    ("NUL", "/secret.txt%00"),
    ("NUL", "/a.txt%00"),
    ("NUL", "/a.txt%00/../../secret.txt"),
    ("fullwidth", "/%ef%bc%8e%ef%bc%8e%ef%bc%8fsecret.txt"),
    ("fullwidth", "/%ef%bc%8e%ef%bc%8e/share-secret/secret.txt"),
    ("trailing dot", "/a.txt."),
    ("trailing dot", "/a.txt..."),
    ("trailing space", "/a.txt%20"),
    ("trailing space", "/a.txt%20."),
    ("stream", "/a.txt::$DATA"),
    ("case", "/A.TXT"),
    ("device", "/CON"),
    ("device", "/NUL"),
    ("device", "/COM1"),
    ("device", "/aux.txt"),
    ("device", "/con.txt"),
    ("device", "/LPT1"),
    ("....//", "/....//....//share-secret/secret.txt"),
    ("....//", "/....%2f%2fsecret.txt"),
    ("....//", "/..././secret.txt"),
    ("fragment", "/a.txt#/../share-secret/secret.txt"),
    ("encoded query", "/a.txt%3f../../secret.txt"),
    ("CR/LF", "/a.txt%0d%0aX-Injected:%201"),
    ("escape", "/%1b[31ma.txt"),
    ("escape", "/a.txt%1b%5b31m"),
    ("absolute form", "http://x/../share-secret/secret.txt"),
    ("absolute form", "http://evil.example/..%2fsecret.txt"),
]

#: Literal bytes that are not a request target at all (h11 or the origin-form rule refuse): 400.
NOT_A_TARGET = [
    ("relative", b"../share-secret/secret.txt"),
    ("relative", b"secret.txt"),
    ("backslash", b"..\\share-secret\\secret.txt"),
    ("drive letter", b"C:\\secret.txt"),
    ("UNC", b"\\\\server\\share\\secret.txt"),
    ("NUL", b"/a.txt\x00"),
    ("NUL", b"/a.txt\x00../../secret.txt"),
    ("escape", b"/a.txt\x1b[31m"),
    ("CR", b"/a.txt\r../secret.txt"),
    ("LF", b"/a.txt\n../secret.txt"),
    ("CR/LF", b"/a.txt\r\nX-Injected: 1\r\n"),
    ("fullwidth", "/．．/share-secret/secret.txt".encode()),
    ("overlong", b"/\xc0\xae\xc0\xae/secret.txt"),
    ("trailing space", b"/a.txt "),
    ("tab", b"/a.txt\t"),
    ("asterisk", b"*"),
    ("authority", b"127.0.0.1:80"),
]

#: Query smuggling: a query is never part of a name, so these are a.txt itself (200).
QUERY = [
    "/a.txt?../../share-secret/secret.txt",
    "/a.txt?/../secret.txt",
    "/a.txt?%2e%2e%2fsecret.txt",
    "http://x/a.txt?../secret.txt",
]


@pytest.mark.parametrize(("family", "target"), NOT_SHARED, ids=[f for f, _ in NOT_SHARED])
def test_traversal_names_are_not_shared(peer: Peer, family: str, target: str) -> None:
    for candidate in (
        target,
        target.replace("/share-secret/", f"{peer.layout.root}/share-secret/"),
    ):
        check(peer.talk(get(candidate.encode())), 404)


def test_absolute_paths_of_the_secrets(peer: Peer) -> None:
    for path in peer.layout.secrets:
        text = str(path)
        for target in (text, "/" + text, "/" + urllib.parse.quote(text, safe=""), "/." + text):
            check(peer.talk(get(target.encode())), 404)


@pytest.mark.parametrize(("family", "target"), NOT_A_TARGET, ids=[f for f, _ in NOT_A_TARGET])
def test_literal_bytes_that_are_no_target(peer: Peer, family: str, target: bytes) -> None:
    check(peer.talk(get(target)), 400)


@pytest.mark.parametrize("target", QUERY)
def test_query_smuggling_names_the_shared_file(peer: Peer, target: str) -> None:
    check(peer.talk(get(target.encode())), 200)


def test_a_name_with_controls_downloads_and_is_reported_as_it_is(peer: Peer) -> None:
    target = "/" + urllib.parse.quote(EVIL_NAME, safe="")
    response = peer.talk(get(target.encode()))
    assert status_of(response) == 200 and body_of(response) == b"evil but shared"
    assert b"\x1b" not in response.partition(b"\r\n\r\n")[0]  # never echoed into a header
    started = peer.log.wait(
        lambda ev: any(isinstance(e, TransferStarted) and e.name == EVIL_NAME for e in ev)
    )
    assert any(isinstance(e, TransferFinished) for e in started)
    index = peer.talk(get(b"/"))
    assert b"\x1b" not in index and b"evil\r\n" not in index
    listing = json.loads(body_of(peer.talk(get(b"/?format=json"))))
    assert EVIL_NAME in [item["name"] for item in listing]


# ---- the raw dialect ----------------------------------------------------------------------------------

#: Names sent bare: an unknown name is closed with nothing said (the classic answer).
RAW_CLOSED = [
    ("plain", b"../share-secret/secret.txt"),
    ("plain", b"../secret.txt"),
    ("sibling prefix", b"share-secret/secret.txt"),
    ("link out", b"escape-link"),
    ("percent", b"%2e%2e%2fsecret.txt"),
    ("overlong", b"\xc0\xae\xc0\xae/secret.txt"),
    ("fullwidth", "．．／secret.txt".encode()),
    ("backslash", b"..\\share-secret\\secret.txt"),
    ("drive letter", b"C:\\secret.txt"),
    ("UNC", b"\\\\server\\share\\secret.txt"),
    ("NUL", b"a.txt\x00"),
    ("NUL", b"a.txt\x00../secret.txt"),
    ("into the name", b"a.txt/../share-secret/secret.txt"),
    ("trailing dot", b"a.txt."),
    ("trailing space", b"a.txt "),
    ("case", b"A.TXT"),
    ("device", b"CON"),
    ("device", b"NUL"),
    ("device", b"COM1"),
    ("device", b"aux.txt"),
    ("....//", b"....//secret.txt"),
    ("query", b"a.txt?../secret.txt"),
    ("fragment", b"a.txt#/../secret.txt"),
    ("CR/LF", b"a.txt\r\n../secret.txt"),
    ("two lines", b"a.txt\n\n"),
    ("escape", b"\x1b[31ma.txt"),
    ("escape", b"a.txt\x1b[31m"),
    ("too long", b"a" * 5000),
    ("TLS record in clear", b"\x16\x03\x01\x00\x05hello"),
    ("not UTF-8", b"\xff\xfe\xfd"),
]


@pytest.mark.parametrize(("family", "name"), RAW_CLOSED, ids=[f for f, _ in RAW_CLOSED])
def test_raw_names_that_are_not_shared(peer: Peer, family: str, name: bytes) -> None:
    check(peer.talk(name), b"")
    check(peer.talk(name, half_close=True), b"")


def test_raw_absolute_paths_of_the_secrets(peer: Peer) -> None:
    for path in peer.layout.secrets:
        check(peer.talk(str(path).encode()), b"")


@pytest.mark.parametrize("name", [b"a.txt", b"a.txt\n", b"a.txt\r\n", EVIL_NAME.encode()])
def test_raw_names_that_are_shared(peer: Peer, name: bytes) -> None:
    expected = b"evil but shared" if name == EVIL_NAME.encode() else SHARED
    check(peer.talk(name), expected)


# ---- exact names: a shared name at the END of a longer request is not that name --------------------

#: Targets that end in the shared "a.txt" behind other segments; a lookup by base name (or any path
#: normalisation) would serve a.txt for them. Each must be 404 (issue 24.1).
ENDS_IN_A_SHARED_NAME = [
    "/etc/a.txt",
    "/x/a.txt",
    "/share/a.txt",
    "/../a.txt",
    "/x/../a.txt",
    "/./a.txt",
    "//a.txt",
    "/etc%2Fa.txt",
    "/etc%2fa.txt",
    "/..%2Fa.txt",
    "/%2e%2e%2fa.txt",
    "/%2E/a.txt",
    "/x%5ca.txt",
    "/..%5ca.txt",
    "/C:%5cshare%5ca.txt",
    "/%2Fa.txt",
    "/a.txt/",
    "http://x/etc/a.txt",
]

#: The same for the classic raw dialect: the connection is closed with nothing sent.
RAW_ENDS_IN_A_SHARED_NAME = [
    b"../../x/a.txt",
    b"x/a.txt",
    b"/a.txt",
    b"./a.txt",
    b"share/a.txt",
    b"..\\a.txt",
    b"x\\a.txt",
    b"C:\\share\\a.txt",
    b"a.txt/",
]


@pytest.mark.parametrize("target", ENDS_IN_A_SHARED_NAME)
def test_names_that_end_in_a_shared_name_are_not_it(peer: Peer, target: str) -> None:
    for candidate in (target, target.replace("/share/", f"{peer.layout.share}/")):
        response = peer.talk(get(candidate.encode()))
        check(response, 404)
        assert SHARED not in response


def test_absolute_path_of_the_shared_file_is_not_its_name(peer: Peer) -> None:
    path = str(peer.layout.share / "a.txt")
    check(peer.talk(get(urllib.parse.quote(path).encode())), 404)
    check(peer.talk(get(b"/" + urllib.parse.quote(path, safe="").encode())), 404)
    check(peer.talk(path.encode()), b"")


@pytest.mark.parametrize("name", RAW_ENDS_IN_A_SHARED_NAME)
def test_raw_names_that_end_in_a_shared_name_are_not_it(peer: Peer, name: bytes) -> None:
    check(peer.talk(name), b"")
    check(peer.talk(name, half_close=True), b"")


# ---- folders shared as trees: keys with "/" -------------------------------------------------------

#: Targets against the tree "photos" that must reach nothing (404): "..", ".", empty segments,
#: backslashes, links out, hidden files, other cases, each literal and percent-encoded.
TREE_NOT_SHARED = [
    ("dot-dot", "/photos/../secret.txt"),
    ("dot-dot", "/photos/../share-secret/secret.txt"),
    ("dot-dot", "/photos/2024/../a.txt"),
    ("dot-dot", "/photos/2024/../../secret.txt"),
    ("percent", "/photos/%2e%2e/secret.txt"),
    ("percent", "/photos/%2e%2e%2fsecret.txt"),
    ("percent", "/photos%2f..%2fsecret.txt"),
    ("percent", "/photos/2024/%2E%2E/a.txt"),
    ("double", "/photos/%252e%252e/secret.txt"),
    ("dot", "/photos/./a.txt"),
    ("dot", "/photos/2024/./a%20b.jpg"),
    ("dot", "/photos/%2e/a.txt"),
    ("empty segment", "/photos//a.txt"),
    ("empty segment", "/photos/2024//a%20b.jpg"),
    ("empty segment", "/photos%2f%2fa.txt"),
    ("backslash", "/photos\\a.txt"),
    ("backslash", "/photos%5ca.txt"),
    ("backslash", "/photos/2024%5ca%20b.jpg"),
    ("backslash", "/photos\\..\\secret.txt"),
    ("mixed separators", "/photos/2024\\..\\..\\secret.txt"),
    ("mixed separators", "/photos%5c2024/a%20b.jpg"),
    ("leading slash", "//photos/a.txt"),
    ("trailing slash", "/photos/a.txt/"),
    ("link out", "/photos/escape-link"),
    ("folder link out", "/photos/2024/up-link/secret.txt"),
    ("hidden", "/photos/.hidden"),
    ("hidden", "/photos/%2ehidden"),
    ("case", "/PHOTOS/a.txt"),
    ("case", "/photos/A.TXT"),
    ("absolute path in a folder", "/photos/%2fetc%2fpasswd"),
    ("fullwidth", "/photos/%ef%bc%8e%ef%bc%8e/secret.txt"),
    ("index of ..", "/photos/../"),
    ("index of ..", "/photos/%2e%2e/?format=json"),
    ("zip of ..", "/photos/../?format=zip"),
    ("zip of ..", "/photos/2024/..%2f..%2f?format=zip"),
    ("index of .", "/photos/./"),
    ("index of //", "/photos//"),
    ("index of a link", "/photos/2024/up-link/"),
    ("index of a file", "/photos/a.txt/?format=json"),
]

#: The tree's files by their URL: the segments, each percent-encoded (200, the shared bytes).
TREE_SHARED = ["/photos/a.txt", "/photos/2024/a%20b.jpg", "http://x/photos/2024/a%20b.jpg"]

#: The raw dialect with relative paths: unknown ones are closed with nothing said.
TREE_RAW_CLOSED = [
    ("dot-dot", b"photos/../secret.txt"),
    ("dot-dot", b"photos/2024/../a.txt"),
    ("dot", b"photos/./a.txt"),
    ("empty segment", b"photos//a.txt"),
    ("backslash", b"photos\\a.txt"),
    ("mixed separators", b"photos/2024\\a b.jpg"),
    ("leading slash", b"/photos/a.txt"),
    ("trailing slash", b"photos/a.txt/"),
    ("percent", b"photos/a%2etxt"),
    ("percent", b"photos/%2e%2e/secret.txt"),
    ("link out", b"photos/escape-link"),
    ("hidden", b"photos/.hidden"),
    ("folder", b"photos"),
    ("folder", b"photos/"),
    ("case", b"PHOTOS/a.txt"),
]


@pytest.mark.parametrize(("family", "target"), TREE_NOT_SHARED, ids=[f for f, _ in TREE_NOT_SHARED])
def test_traversal_in_a_tree_reaches_nothing(peer: Peer, family: str, target: str) -> None:
    check(peer.talk(get(target.encode())), 404)


@pytest.mark.parametrize("target", TREE_SHARED)
def test_tree_files_by_their_segments(peer: Peer, target: str) -> None:
    check(peer.talk(get(target.encode())), 200)


@pytest.mark.parametrize(("family", "name"), TREE_RAW_CLOSED, ids=[f for f, _ in TREE_RAW_CLOSED])
def test_raw_relative_paths_that_are_not_shared(peer: Peer, family: str, name: bytes) -> None:
    check(peer.talk(name), b"")
    check(peer.talk(name, half_close=True), b"")


@pytest.mark.parametrize("name", [b"photos/a.txt", b"photos/2024/a b.jpg"])
def test_raw_relative_paths_that_are_shared(peer: Peer, name: bytes) -> None:
    check(peer.talk(name), SHARED)


def test_lists_and_zips_of_the_tree_hold_no_secret(peer: Peer) -> None:
    """The hidden file and the links out stay out of every list and every zip."""
    for target in (b"/", b"/?format=json", b"/photos/", b"/photos/?format=json"):
        response = peer.talk(get(target))
        assert status_of(response) == 200 and SECRET not in response
        # (the page's script has "row.hidden": look for the name as a link, a value or a text)
        for trace in (b"/.hidden", b'".hidden"', b">.hidden<", b"escape-link", b"up-link"):
            assert trace not in response, (target, trace)
    for target in (b"/?format=zip", b"/photos/?format=zip", b"/photos/2024/?format=zip"):
        response = peer.talk(get(target))
        assert status_of(response) == 200 and SECRET not in response
        assert b".hidden" not in response and b"up-link" not in response


# ---- limits ------------------------------------------------------------------------------------------


def request_line_of(length: int) -> bytes:
    """A GET whose request line is exactly ``length`` bytes (without CRLF)."""
    fixed = len(b"GET / HTTP/1.1")
    return b"GET /" + b"a" * (length - fixed) + b" HTTP/1.1\r\nHost: x\r\n" + CLOSE


def head_of(total: int) -> bytes:
    """A GET for a.txt whose head, the empty line included, is exactly ``total`` bytes."""
    start = b"GET /a.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\nX-Pad: "
    return start + b"p" * (total - len(start) - 4) + b"\r\n\r\n"


def header_lines(count: int) -> bytes:
    """A GET for a.txt with exactly ``count`` header lines."""
    return (
        b"GET /a.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
        + b"X-A: b\r\n" * (count - 2)
        + b"\r\n"
    )


LIMIT_CASES = [
    ("request line at the limit", request_line_of(8192), 404),
    ("request line past the limit", request_line_of(8193), 414),
    ("request line of 1 MiB, no end", b"GET /" + b"a" * (1 << 20), 414),
    ("head at the limit", head_of(16 * 1024), 200),
    ("head past the limit", head_of(16 * 1024 + 1), 431),
    ("header line of 1 MiB, no end", b"GET / HTTP/1.1\r\nX: " + b"x" * (1 << 20), 431),
    ("100 header lines", header_lines(100), 200),
    ("101 header lines", header_lines(101), 431),
    ("header flood", b"GET / HTTP/1.1\r\n" + b"A: b\r\n" * 20_000, 431),
    ("empty lines before the request", b"\r\n" * 3 + get(b"/a.txt"), b""),
]


@pytest.mark.parametrize(("case", "data", "expected"), LIMIT_CASES, ids=[c[0] for c in LIMIT_CASES])
def test_limits(peer: Peer, case: str, data: bytes, expected: int | bytes) -> None:
    check(peer.talk(data), expected)


#: What a client can push into a server that stops reading an oversized head: the server's own
#: limit (16 KiB head + one read), the bytes it drains after answering so the client can read the
#: answer (1 MiB), and the socket buffers on both sides. A server that read the whole head before
#: answering would take all 16 MiB.
HEAD_FLOOD = 16 * 1024 * 1024
# Linux grows a busy connection's receive buffer by itself (tcp_rmem allows up to 32 MiB here): under
# load the server's kernel may hold a few MiB more than the server read before it closed.
HEAD_FLOOD_BOUND = 6 * 1024 * 1024


@pytest.mark.parametrize(
    "start",
    [b"GET /a.txt HTTP/1.1\r\nX: ", b"GET /", b"GET /a.txt HTTP/1.1\r\n"],
    ids=["one long header line", "one long request line", "many header lines"],
)
def test_the_server_stops_reading_an_oversized_head(peer: Peer, start: bytes) -> None:
    """Issue 24.2: the answer (431/414) comes after a bounded read, not after the whole head."""
    line = b"A: b\r\n" * 1000 if start.endswith(b"\r\n") else b"x" * 8192
    sent = 0
    with peer.connect() as sock:
        socket.socket.setsockopt(sock, socket.SOL_SOCKET, socket.SO_SNDBUF, 64 * 1024)
        try:
            sock.sendall(start)
            while sent < HEAD_FLOOD:
                sock.sendall(line)
                sent += len(line)
        except (BrokenPipeError, ConnectionResetError, ssl.SSLError, TimeoutError):
            pass
        answer = read_to_end(sock)
    assert sent < HEAD_FLOOD_BOUND, f"the server read {sent:,} bytes of an oversized head"
    if answer:  # a reset may throw the answer away; when it came, it is the right one
        assert status_of(answer) in (414, 431)


def ranges(value: str) -> bytes:
    return get(b"/a.txt", b"Range: " + value.encode() + b"\r\n")


SIZE = len(SHARED)
RANGE_CASES = [
    ("200 open ranges", ranges("bytes=" + ",".join(["0-"] * 200)), 200),
    ("3000 ranges", ranges("bytes=" + ",".join(["0-0"] * 3000)), 200),
    ("overlapping", ranges("bytes=0-1,1-2"), 200),
    ("overlapping suffix", ranges("bytes=0-,-1"), 200),
    ("repeated fields", get(b"/a.txt", *[b"Range: bytes=0-1\r\n"] * 90), 200),
    ("none satisfiable", ranges(f"bytes={SIZE}-,{SIZE + 5}-"), 416),
    ("twenty digits", ranges("bytes=" + "9" * 20 + "-"), 200),
    ("huge number", ranges("bytes=0-" + "9" * 5000), 200),
    ("one in range", ranges("bytes=0-3"), 206),
    ("negative", ranges("bytes=-0"), 416),
    ("control characters", ranges("bytes=\x01-\x02"), 200),  # malformed: ignored (§14.2)
]


@pytest.mark.parametrize(("case", "data", "expected"), RANGE_CASES, ids=[c[0] for c in RANGE_CASES])
def test_many_or_overlapping_ranges(peer: Peer, case: str, data: bytes, expected: int) -> None:
    response = peer.talk(data)
    assert SECRET not in response and b"multipart" not in response
    assert status_of(response) == expected, response[:300]
    if expected == 200:
        assert body_of(response) == SHARED
    if expected == 206:
        assert body_of(response) == SHARED[:4]


BODY_CASES = [
    # A body announced and never sent: answered at once, then closed (a body is never read).
    ("GET with Content-Length", b"Content-Length: 1000000\r\n", b"GET", 200),
    ("GET chunked", b"Transfer-Encoding: chunked\r\n", b"GET", 200),
    ("POST with Content-Length", b"Content-Length: 1000000\r\n", b"POST", 405),
    ("HEAD with Content-Length", b"Content-Length: 1000000\r\n", b"HEAD", 200),
    ("both framings", b"Content-Length: 5\r\nTransfer-Encoding: chunked\r\n", b"GET", 200),
    ("negative length", b"Content-Length: -1\r\n", b"GET", 400),
    ("two lengths", b"Content-Length: 1\r\nContent-Length: 2\r\n", b"GET", 400),
    ("unknown coding", b"Transfer-Encoding: gzip\r\n", b"GET", 501),  # RFC 9112 6.1
]


@pytest.mark.parametrize(
    ("case", "framing", "method", "expected"), BODY_CASES, ids=[c[0] for c in BODY_CASES]
)
def test_bodies_announced_and_never_sent(
    peer: Peer, case: str, framing: bytes, method: bytes, expected: int
) -> None:
    request = method + b" /a.txt HTTP/1.1\r\nHost: x\r\n" + framing + b"\r\n"  # keep-alive asked
    started = time.monotonic()
    with peer.connect() as sock:
        sock.sendall(request)
        response = read_to_end(sock)  # ends: the server closes, it does not wait for the body
    assert time.monotonic() - started < WAIT
    assert SECRET not in response
    assert status_of(response) == expected
    assert b"\r\nConnection: close\r\n" in response


# ---- nothing left behind -----------------------------------------------------------------------------


def test_every_hostile_connection_was_closed(peer: Peer) -> None:
    """Runs after the tables: once the deadlines pass, the server holds no client descriptor."""
    assert settle(lambda: open_fds() <= peer.fds_serving), (fd_links(), peer.fds_serving)
    assert settle(lambda: peer.server.refused == 0)
    check(peer.talk(get(b"/a.txt")), 200)


# ---- what swb serve prints about hostile names ------------------------------------------------------


def _controls(text: str) -> list[str]:
    return [ch for ch in text if unicodedata.category(ch) == "Cc" and ch != "\n"]


C1_NAME = "csi\x9b2J.txt"  # CSI as one C1 character: clears a terminal that honours C1


def swb_serve(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "net", "serve", "-H", "127.0.0.1", "-p", "0", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def stop(process: subprocess.Popen[str]) -> tuple[str, str]:
    try:
        process.send_signal(signal.SIGTERM)
        return process.communicate(timeout=WAIT)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(WAIT)


@pytest.mark.parametrize(
    ("name", "json_lines"),
    [
        (EVIL_NAME, False),
        (EVIL_NAME, True),
        (C1_NAME, False),
        (C1_NAME, True),
    ],
)
def test_swb_serve_prints_names_with_their_controls_escaped(
    tmp_path: Path, name: str, json_lines: bool
) -> None:
    (tmp_path / name).write_bytes(b"hostile but shared")
    process = swb_serve(str(tmp_path / name), *(["--json"] if json_lines else []))
    try:
        assert process.stdout is not None
        url = process.stdout.readline().strip()
        port = int(url.rsplit(":", 1)[1].strip("/"))
        target = "/" + urllib.parse.quote(name, safe="")
        with socket.create_connection(("127.0.0.1", port), timeout=WAIT) as sock:
            sock.sendall(get(target.encode()))
            assert body_of(read_to_end(sock)) == b"hostile but shared"
        with socket.create_connection(("127.0.0.1", port), timeout=WAIT) as sock:
            sock.sendall(get(b"/%1b[2J%0d%0a../secret.txt"))
            assert status_of(read_to_end(sock)) == 404
        lines = [process.stdout.readline(), process.stdout.readline()]  # started, finished
    finally:
        out, err = stop(process)
    printed = "".join(lines) + out
    assert process.returncode == 0
    assert not _controls(printed) and not _controls(err), (printed, err)
    assert len(printed.strip().splitlines()) == 2  # one line per event: CR/LF did not split them


def test_swb_serve_escapes_the_paths_it_skips(tmp_path: Path) -> None:
    (tmp_path / "good.txt").write_bytes(b"ok")
    (tmp_path / "bad\x1b]0;pwned\x07").symlink_to(tmp_path / "nowhere")  # sets a terminal title
    process = swb_serve(str(tmp_path))
    assert process.stdout is not None
    process.stdout.readline()
    _out, err = stop(process)
    assert "skipped" in err and not _controls(err), err


# ---- uploads and the share password (issue 21) ----------------------------------------------------


@contextmanager
def upload_server(root: Path, **options: object) -> Iterator[tuple[FileServer, Path, EventLog]]:
    """A server with an upload folder ``root/inbox`` next to ``root/outside`` (which must stay
    untouched) and a secret above it."""
    inbox = root / "inbox"
    inbox.mkdir()
    (root / "outside").mkdir()
    (root / "secret.txt").write_bytes(SECRET)
    log = EventLog()
    with ShareTable() as share:
        server = FileServer(share, "127.0.0.1", 0, upload_dir=inbox, on_event=log, **options)  # type: ignore[arg-type]
        with server, running(server):
            yield server, inbox, log


def exchange(port: int, request: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=WAIT) as sock:
        sock.sendall(request)
        return read_to_end(sock)


def put_request(target: bytes, body: bytes, *headers: bytes) -> bytes:
    head = b"PUT " + target + b" HTTP/1.1\r\nHost: x\r\nContent-Length: " + str(len(body)).encode()
    return head + b"".join(b"\r\n" + h for h in headers) + b"\r\n\r\n" + body


@pytest.mark.parametrize(
    "target",
    [
        b"/..%2f..%2fsecret.txt",
        b"/..%5c..%5csecret.txt",
        b"/%2e%2e/outside/x",
        b"/outside%2f..%2f..%2fsecret.txt",
        b"/a%00b.txt",
        b"/" + b"x" * 400 + b".txt",
        b"/NUL",
        b"/com1.txt",
        b"/.",
        b"/%e2%80%aetxt.exe",
    ],
)
def test_hostile_upload_names_stay_in_the_folder(tmp_path: Path, target: bytes) -> None:
    with upload_server(tmp_path) as (server, inbox, _log):
        answer = exchange(server.port, put_request(target, b"payload"))
        assert status_of(answer) in (201, 400, 404)
    assert (tmp_path / "secret.txt").read_bytes() == SECRET
    assert os.listdir(tmp_path / "outside") == []
    assert sorted(os.listdir(tmp_path)) == ["inbox", "outside", "secret.txt"]
    for name in os.listdir(inbox):
        assert not name.endswith(".part"), name  # nothing half-written stays
        assert len(name.encode()) <= 200 and "/" not in name and "\\" not in name
        assert name.upper().split(".")[0] not in ("NUL", "COM1")


def test_links_in_the_upload_folder_are_never_written_through(tmp_path: Path) -> None:
    """A link already in the folder (a dangling one, or a .part planted as a link) is a taken
    name: refused, and the file it points to is not created or changed."""
    with upload_server(tmp_path) as (server, inbox, _log):
        (inbox / "report.txt").symlink_to(tmp_path / "outside" / "planted.txt")
        (inbox / ".notes.txt.part").symlink_to(tmp_path / "secret.txt")
        assert status_of(exchange(server.port, put_request(b"/report.txt", b"x"))) == 409
        assert status_of(exchange(server.port, put_request(b"/notes.txt", b"x"))) == 409
        patch = put_request(
            b"/notes.txt", b"x", b"Upload-Offset: 0", b"Upload-Complete: ?1"
        ).replace(b"PUT", b"PATCH", 1)
        assert status_of(exchange(server.port, patch)) in (404, 409)
    assert os.listdir(tmp_path / "outside") == []
    assert (tmp_path / "secret.txt").read_bytes() == SECRET


def test_form_part_heads_have_limits(tmp_path: Path) -> None:
    with upload_server(tmp_path) as (server, inbox, _log):
        body = (
            b'--b\r\nContent-Disposition: form-data; name="f"; filename="a.txt"\r\n'
            + b"X-Pad: "
            + b"y" * 8000
            + b"\r\n\r\ndata\r\n--b--\r\n"
        )
        request = (
            b"POST / HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; boundary=b\r\n"
            b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body
        )
        assert status_of(exchange(server.port, request)) == 413
        assert os.listdir(inbox) == []


def test_a_password_guards_uploads_and_tls(tmp_path: Path, ca: trustme.CA) -> None:
    """Without the password nothing is stored and nothing is listed, inside TLS as well."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ca.issue_cert("127.0.0.1").configure_cert(context)
    client = ssl.create_default_context()
    ca.configure_trust(client)
    with upload_server(tmp_path, password="pw", ssl_context=context) as (server, inbox, log):
        for request in (
            put_request(b"/x.txt", b"payload"),
            put_request(b"/x.txt", b"payload", b"Authorization: Basic " + b"Ono="),  # ":z"
            b"GET /?format=json HTTP/1.1\r\nHost: x\r\n\r\n",
        ):
            with (
                socket.create_connection(("127.0.0.1", server.port), timeout=WAIT) as raw,
                client.wrap_socket(raw, server_hostname="127.0.0.1") as sock,
            ):
                sock.sendall(request)
                assert status_of(read_to_end(sock)) == 401
        assert os.listdir(inbox) == []
        assert server.auth.failures("127.0.0.1") == 1
        printed = repr(log.events)
    assert "pw" not in printed.replace("password", "")
