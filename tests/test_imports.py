"""Each `swb` command imports only what it uses (issue 22): run it for real, list sys.modules.

Every command runs in a fresh interpreter against a real peer on loopback (a UDP socket, a TCP
listener, an HTTP server, a TLS server), and the child writes the names of the modules it ended
with. A command that pulled in HTTP, TLS, hashing, e-mail parsing or package metadata it does not
need fails here, whatever the machine's speed: nothing is timed.
"""

from __future__ import annotations

import http.server
import importlib.metadata
import socket
import ssl
import subprocess
import sys
import threading
import tomllib
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import pytest
import trustme

import net._version
from tests.conftest import WAIT

ROOT = Path(__file__).resolve().parent.parent

# Runs `swb ARGS...` in this interpreter, then writes sorted(sys.modules) to the file argv[1].
CHILD = """\
import sys
from net.cli import main

status = main(sys.argv[2:])
with open(sys.argv[1], "w", encoding="utf-8") as out:
    out.write("\\n".join(sorted(sys.modules)))
sys.exit(status)
"""

#: What no plain socket command needs (the issue's list, and what each engine pulls in).
NOT_FOR_SOCKETS = (
    "h11",
    "ssl",
    "_ssl",
    "cryptography",
    "hashlib",
    "email",
    "importlib.metadata",
    "dataclasses",  # net's events and values are Records: nothing compiled at import
    "json",  # only --json output
    "encodings.idna",  # ASCII names resolve as bytes
    "net.tls",
    "net.download",
    "net.httpfile",
    "net.fileserver",
    "net.share",
)


def run_swb(args: Sequence[str], tmp_path: Path) -> tuple[set[str], str]:
    """Run ``swb *args`` to the end; the modules it had loaded when it finished, and its stdout."""
    modules = tmp_path / "modules.txt"
    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(modules), *args],
        capture_output=True,
        text=True,
        timeout=WAIT * 3,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return set(modules.read_text(encoding="utf-8").split("\n")), done.stdout


def swb_modules(args: Sequence[str], tmp_path: Path) -> set[str]:
    return run_swb(args, tmp_path)[0]


def loaded(modules: set[str], names: Sequence[str]) -> list[str]:
    """Which of ``names`` (a package counts with its submodules) are among ``modules``."""
    return sorted(
        module
        for module in modules
        for name in names
        if module == name or module.startswith(name + ".")
    )


@contextmanager
def tcp_peer(tls: ssl.SSLContext | None = None) -> Iterator[tuple[int, list[bytes]]]:
    """A TCP listener that accepts one client and keeps what it sends until it closes."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(WAIT)
    received: list[bytes] = []

    def serve() -> None:
        conn, _ = listener.accept()
        conn.settimeout(WAIT)
        if tls is not None:
            conn = tls.wrap_socket(conn, server_side=True)
        with conn:
            while chunk := conn.recv(65536):
                received.append(chunk)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[1], received
    finally:
        thread.join(WAIT)
        listener.close()


def test_udp_send_loads_no_http_tls_hashing_or_metadata(tmp_path: Path) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as peer:
        peer.bind(("127.0.0.1", 0))
        peer.settimeout(WAIT)
        port = peer.getsockname()[1]
        modules = swb_modules(["udp-send", "127.0.0.1", str(port), "hello"], tmp_path)
        assert peer.recv(100) == b"hello"
    assert "net.udp" in modules  # the command did run its engine
    assert loaded(modules, [*NOT_FOR_SOCKETS, "net.tcp"]) == []


def test_udp_listen_loads_no_http_tls_hashing_or_metadata(tmp_path: Path) -> None:
    modules_file = tmp_path / "modules.txt"
    child = subprocess.Popen(
        [
            sys.executable,
            "-c",
            CHILD,
            str(modules_file),
            "udp-listen",
            "0",
            "-H",
            "127.0.0.1",
            "--count",
            "1",
            "--timeout",
            str(WAIT),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stderr is not None
        line = child.stderr.readline()  # "listening on 127.0.0.1:PORT (UDP)"
        port = int(line.split()[2].rsplit(":", 1)[1])
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sender:
            sender.sendto(b"hello", ("127.0.0.1", port))
        out, err = child.communicate(timeout=WAIT * 3)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    assert child.returncode == 0, err
    assert "hello" in out
    modules = set(modules_file.read_text(encoding="utf-8").split("\n"))
    assert loaded(modules, [*NOT_FOR_SOCKETS, "net.tcp"]) == []


def test_tcp_send_loads_no_http_tls_hashing_or_metadata(tmp_path: Path) -> None:
    with tcp_peer() as (port, received):
        modules = swb_modules(["tcp-send", "127.0.0.1", str(port), "hello"], tmp_path)
    assert b"".join(received) == b"hello"
    assert "net.tcp" in modules
    assert loaded(modules, [*NOT_FOR_SOCKETS, "net.udp"]) == []


def test_tcp_send_with_tls_loads_ssl_but_not_cryptography(tmp_path: Path) -> None:
    """The other side of the rule: --tls does load TLS (so the checks above can see it), but a
    client has no certificate to make."""
    ca = trustme.CA()
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(context)
    cafile = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(cafile))
    with tcp_peer(context) as (port, received):
        args = ["tcp-send", "127.0.0.1", str(port), "hello", "--tls", "--cafile", str(cafile)]
        modules = swb_modules(args, tmp_path)
    assert b"".join(received) == b"hello"
    assert {"ssl", "net.tls"} <= modules
    assert loaded(modules, ["cryptography", "h11", "email", "importlib.metadata"]) == []


def test_tcp_serve_loads_no_http_tls_hashing_or_metadata(tmp_path: Path) -> None:
    modules_file = tmp_path / "modules.txt"
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(modules_file), "tcp-serve", "0", "-H", "127.0.0.1"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stderr is not None and child.stdout is not None
        line = child.stderr.readline()  # "listening on 127.0.0.1:PORT (TCP)"
        port = int(line.split()[2].rsplit(":", 1)[1])
        with socket.create_connection(("127.0.0.1", port), timeout=WAIT) as client:
            client.sendall(b"hello\n")
            assert "hello" in child.stdout.readline()  # the server printed it: it is served
        child.terminate()  # SIGTERM: a clean stop, so the child lists its modules
        _, err = child.communicate(timeout=WAIT * 3)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    assert child.returncode == 0, err
    modules = set(modules_file.read_text(encoding="utf-8").split("\n"))
    assert loaded(modules, [*NOT_FOR_SOCKETS, "net.udp"]) == []


def test_plain_get_loads_no_tls(tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    (shared / "one.bin").write_bytes(bytes(range(256)) * 4096)  # 1 MiB
    handler = lambda *args: http.server.SimpleHTTPRequestHandler(  # noqa: E731
        *args, directory=str(shared)
    )
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/one.bin"
        saved = tmp_path / "saved"
        saved.mkdir()
        modules = swb_modules(["get", url, "-o", str(saved), "--quiet"], tmp_path)
    finally:
        server.shutdown()
        server.server_close()
    assert (saved / "one.bin").read_bytes() == (shared / "one.bin").read_bytes()
    assert {"h11", "hashlib", "net.download"} <= modules  # what a download does need
    assert loaded(modules, ["ssl", "_ssl", "cryptography", "net.tls", "importlib.metadata"]) == []


def test_version_loads_nothing_heavy(tmp_path: Path) -> None:
    modules, out = run_swb(["--version"], tmp_path)
    assert out == f"swb {net._version.__version__}\n"
    assert loaded(modules, ["importlib.metadata", "socket", "ssl", "email", "net.address"]) == []
    # Answered before the parser is built: no command's option tables (relay, framing, codecs).
    assert loaded(modules, ["net._cli_relay", "net.framing", "net.codec", "net._cli_files"]) == []


def test_version_is_the_one_pyproject_builds_with() -> None:
    """pyproject.toml takes the version from net/_version.py, and the installed metadata agrees
    (a stale install would show another version in `pip list` than in `swb --version`)."""
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert "version" in pyproject["project"]["dynamic"]
    assert "version" not in pyproject["project"]
    attr = pyproject["tool"]["setuptools"]["dynamic"]["version"]["attr"]
    assert attr == "net._version.__version__"
    assert importlib.metadata.version("socket-workbench") == net._version.__version__


@pytest.mark.parametrize("command", ["udp-send", "udp-listen", "tcp-send", "tcp-serve", "get"])
def test_help_of_each_command_loads_no_engine(command: str, tmp_path: Path) -> None:
    """Parsing alone (``--help`` is all parsing) imports no engine module."""
    modules, out = run_swb([command, "--help"], tmp_path)
    assert f"swb {command}" in out
    assert loaded(modules, ["net.udp", "net.tcp", "net.download", "net.tls", "socket"]) == []
