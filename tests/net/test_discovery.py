"""net.discovery: the TXT records (pure functions, tables of cases), where a share is announced,
and announcing/browsing for real between two network namespaces joined by a veth pair.

The namespaces, the veth pair and its 10.77.0.0/24 addresses are made by the ``link`` fixture and
exist only inside the namespaces, which are deleted (with everything in them) whatever happens;
mDNS packets never leave them. Nothing here announces on this machine's own network: the tests'
conftest sets SWB_NO_MDNS, lifted only for processes started inside the namespaces.
"""

from __future__ import annotations

import json
import os
import queue
import shutil
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from net.discovery import (
    PROTOCOL_VERSION,
    SERVICE_TYPE,
    Announcer,
    FoundServer,
    announce_interfaces,
    build_txt,
    found_server,
    instance_name,
)
from tests.conftest import WAIT

FP = ":".join(["AB"] * 32)
ROOT = Path(__file__).resolve().parents[2]
NAME = f"box.{SERVICE_TYPE}"


# ---- TXT records --------------------------------------------------------------------------------

BUILD_CASES = [
    (
        {"fingerprint": None, "raw": True},
        {"v": "1", "tls": "0", "raw": "1", "up": "0", "auth": "0", "path": "/"},
    ),
    (
        {"fingerprint": FP, "raw": False},
        {"v": "1", "tls": "1", "fp": FP, "raw": "0", "up": "0", "auth": "0", "path": "/"},
    ),
    (
        {"fingerprint": None, "raw": False, "uploads": True, "password": True, "path": "/x/"},
        {"v": "1", "tls": "0", "raw": "0", "up": "1", "auth": "1", "path": "/x/"},
    ),
]


@pytest.mark.parametrize(("options", "expected"), BUILD_CASES)
def test_build_txt(options: dict[str, object], expected: dict[str, str]) -> None:
    txt = build_txt(**options)  # type: ignore[arg-type]
    assert txt == expected
    # RFC 6763, section 6.1: each key=value string fits one length byte.
    assert all(len(f"{k}={v}".encode()) <= 255 for k, v in txt.items())


def encoded(txt: dict[str, str]) -> dict[bytes, bytes | None]:
    return {k.encode(): v.encode() for k, v in txt.items()}


def test_built_txt_reads_back() -> None:
    for options, _ in BUILD_CASES:
        txt = build_txt(**options)  # type: ignore[arg-type]
        server = found_server(NAME, "box-swb-8000.local.", 8000, ["10.0.0.5"], encoded(txt))
        assert server is not None
        assert server.fingerprint == options["fingerprint"]
        assert server.tls == (options["fingerprint"] is not None)
        assert server.raw == options["raw"]
        assert server.uploads == bool(options.get("uploads"))
        assert server.password == bool(options.get("password"))
        assert server.path == options.get("path", "/")


def test_found_server_fields_and_urls() -> None:
    txt = encoded(build_txt(fingerprint=FP.lower().replace(":", ""), raw=True))
    server = found_server(
        NAME, "box-swb-8443.local.", 8443, ["fe80::1%3", "2001:db8::5", "10.0.0.5"], txt
    )
    assert server == FoundServer(
        name="box",
        host="box-swb-8443.local.",
        port=8443,
        addresses=("10.0.0.5", "fe80::1%3", "2001:db8::5"),
        tls=True,
        fingerprint=FP,  # normalised: a client pins it as `swb get --fingerprint` takes it
        raw=True,
        uploads=False,
        password=False,
        path="/",
    )
    # Browsers refuse a zone in a URL: link-local addresses are left out while others exist.
    assert server.urls == ("https://10.0.0.5:8443/", "https://[2001:db8::5]:8443/")
    assert server.url == "https://10.0.0.5:8443/"
    only_link_local = found_server(NAME, "h.local.", 80, ["fe80::1%3"], txt)
    assert only_link_local is not None
    assert only_link_local.urls == ("https://[fe80::1%3]:80/",)


GOOD = {b"v": b"1", b"tls": b"0", b"raw": b"1"}

REFUSED_CASES = [
    pytest.param({**GOOD, b"v": b"2"}, 8000, ["10.0.0.5"], id="another-version"),
    pytest.param({b"tls": b"0"}, 8000, ["10.0.0.5"], id="no-version"),
    pytest.param(GOOD, None, ["10.0.0.5"], id="no-port"),
    pytest.param(GOOD, 0, ["10.0.0.5"], id="port-0"),
    pytest.param(GOOD, 8000, [], id="no-address"),
    pytest.param(GOOD, 8000, ["0.0.0.0", "224.0.0.251", "fe80::1"], id="unusable-addresses"),
    pytest.param(GOOD, 8000, ["not an address"], id="garbage-address"),
    pytest.param({**GOOD, b"tls": b"1"}, 8000, ["10.0.0.5"], id="tls-without-fingerprint"),
    pytest.param({**GOOD, b"tls": b"1", b"fp": b"AB:CD"}, 8000, ["10.0.0.5"], id="short-fp"),
]


@pytest.mark.parametrize(("txt", "port", "addresses"), REFUSED_CASES)
def test_unusable_announcements_are_ignored(
    txt: dict[bytes, bytes | None], port: int | None, addresses: list[str]
) -> None:
    assert found_server(NAME, "h.local.", port, addresses, txt) is None


def test_txt_keys_are_case_insensitive_first_wins_and_flags_are_exact() -> None:
    txt: dict[bytes, bytes | None] = {
        b"V": PROTOCOL_VERSION.encode(),
        b"RAW": b"yes",  # only "1" turns a flag on
        b"raw": b"1",  # a later duplicate is ignored (RFC 6763, section 6.4)
        b"up": None,  # a bare key has no value
        b"path": b"/a b\x1b",
    }
    server = found_server(
        "ev\x1bil\n\x9b\u2028." + SERVICE_TYPE, "h\x07.local.", 80, ["10.0.0.5"], txt
    )
    assert server is not None
    assert (server.raw, server.uploads, server.tls) == (False, False, False)
    assert server.path == "/"  # a path that does not fit a URL is replaced
    assert server.name == "evil"  # control characters cannot drive a terminal or a list
    assert server.host == "h.local."


def test_instance_name_comes_from_the_host_name() -> None:
    assert instance_name("workstation.example.org") == "workstation"
    assert instance_name("") == "swb"
    long = instance_name("工" * 40)
    assert len(long.encode()) <= 63 and long == "工" * 21
    assert instance_name() == instance_name(__import__("socket").gethostname())


# ---- where a share is announced -----------------------------------------------------------------


@pytest.mark.parametrize("bound", ["127.0.0.1", "::1", "[::1]", "127.5.5.5", "192.0.2.77", "x"])
def test_loopback_and_foreign_binds_announce_nowhere(bound: str) -> None:
    assert announce_interfaces(bound) == []


def test_every_address_bind_announces_on_non_loopback_interfaces() -> None:
    for bound in ("", "0.0.0.0", "::"):
        assert all(not a.loopback for a in announce_interfaces(bound))


def test_a_loopback_share_is_not_announced_and_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SWB_NO_MDNS")
    warnings: list[str] = []
    announced: list[str] = []
    with Announcer(9, "127.0.0.1", on_warning=warnings.append, on_announced=announced.append):
        pass
    assert warnings == ["not announced on the local network: the share listens on 127.0.0.1 only"]
    assert announced == []


def test_no_announce_environment_variable_turns_it_off() -> None:
    assert os.environ["SWB_NO_MDNS"] == "1"  # set by tests/conftest.py
    warnings: list[str] = []
    announcer = Announcer(9, "127.0.0.1", on_warning=warnings.append)
    announcer.start()
    announcer.close()
    assert warnings == []  # not even the loopback check ran


# ---- two hosts: network namespaces joined by a veth pair ----------------------------------------


@dataclass(frozen=True)
class Link:
    """Two network namespaces joined by one veth pair: ``server`` 10.77.0.1, ``client`` .2."""

    server: str
    client: str
    server_ip: str = "10.77.0.1"
    client_ip: str = "10.77.0.2"

    def command(self, namespace: str, *argv: str) -> list[str]:
        return ["ip", "netns", "exec", namespace, *argv]


def ip(*args: str) -> None:
    result = subprocess.run(["ip", *args], capture_output=True, text=True, timeout=WAIT)
    assert result.returncode == 0, f"ip {' '.join(args)}: {result.stderr}"


@pytest.fixture
def link() -> Iterator[Link]:
    if sys.platform != "linux" or os.geteuid() != 0:
        # Never a silent skip: say what is missing (the hosted workflow deselects posix_only).
        pytest.fail("these tests make network namespaces: they need Linux and root (.ci/run is)")
    assert shutil.which("ip"), "iproute2's ip is needed (installed by .ci/run)"
    tag = uuid.uuid4().hex[:8]
    made = Link(server=f"swb-{tag}-s", client=f"swb-{tag}-c")
    created: list[str] = []
    try:
        for namespace in (made.server, made.client):
            ip("netns", "add", namespace)
            created.append(namespace)
        # Made in this namespace for a moment (names unique per test), then moved inside.
        ip("link", "add", f"vs{tag}", "type", "veth", "peer", "name", f"vc{tag}")
        try:
            ip("link", "set", f"vs{tag}", "netns", made.server)
            ip("link", "set", f"vc{tag}", "netns", made.client)
        except AssertionError:
            subprocess.run(["ip", "link", "del", f"vs{tag}"], capture_output=True, timeout=WAIT)
            raise
        for namespace, device, address in (
            (made.server, f"vs{tag}", made.server_ip),
            (made.client, f"vc{tag}", made.client_ip),
        ):
            ip("-n", namespace, "addr", "add", f"{address}/24", "dev", device)
            ip("-n", namespace, "link", "set", device, "up")
            ip("-n", namespace, "link", "set", "lo", "up")
        yield made
    finally:
        for namespace in created:
            ip("netns", "del", namespace)  # takes the veth pair along


def child_env(tmp_path: Path) -> dict[str, str]:
    """The environment of processes inside the namespaces: announcing allowed, and a data folder
    of the test's own for the self-signed certificate."""
    env = {k: v for k, v in os.environ.items() if k != "SWB_NO_MDNS"}
    env["SWB_DATA_DIR"] = str(tmp_path / "data")
    env["PYTHONUNBUFFERED"] = "1"
    return env


def run_inside(namespace: str, tmp_path: Path, *argv: str) -> subprocess.CompletedProcess[str]:
    """Run ``argv`` to its end inside ``namespace`` (environment: :func:`child_env`)."""
    return subprocess.run(
        ["ip", "netns", "exec", namespace, *argv],
        capture_output=True,
        text=True,
        timeout=WAIT * 2,
        env=child_env(tmp_path),
        cwd=ROOT,
        check=False,
    )


class Lines:
    """A child process's stdout and stderr, line by line, read on threads (no blocking reads)."""

    def __init__(self, process: subprocess.Popen[str]) -> None:
        self.process = process
        self.out: queue.Queue[str] = queue.Queue()
        self.err_lines: list[str] = []
        assert process.stdout is not None and process.stderr is not None
        threading.Thread(target=self._pump, args=(process.stdout, self.out), daemon=True).start()
        self._err = threading.Thread(target=self._collect, args=(process.stderr,), daemon=True)
        self._err.start()

    @staticmethod
    def _pump(stream: object, into: queue.Queue[str]) -> None:
        for line in stream:  # type: ignore[attr-defined]
            into.put(line.rstrip("\n"))

    def _collect(self, stream: object) -> None:
        for line in stream:  # type: ignore[attr-defined]
            self.err_lines.append(line.rstrip("\n"))

    def next_out(self, timeout: float = WAIT) -> str:
        try:
            return self.out.get(timeout=timeout)
        except queue.Empty:
            raise AssertionError(
                f"no line within {timeout} s; stderr so far: {self.err_lines}"
            ) from None

    def wait_err(self, text: str, timeout: float = WAIT) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for line in list(self.err_lines):
                if text in line:
                    return line
            self._err.join(0.05)  # returns at once when stderr is closed
            if not self._err.is_alive():
                break
        for line in self.err_lines:
            if text in line:
                return line
        raise AssertionError(f"{text!r} not on stderr: {self.err_lines}")


@pytest.fixture
def started() -> Iterator[list[subprocess.Popen[str]]]:
    """Processes a test started; stopped (SIGTERM, then SIGKILL) when it ends."""
    processes: list[subprocess.Popen[str]] = []
    yield processes
    for process in processes:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(WAIT)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(WAIT)


SWB = (sys.executable, "-m", "net")


def start_serve(
    link: Link,
    tmp_path: Path,
    started: list[subprocess.Popen[str]],
    *options: str,
    swb: tuple[str, ...] = SWB,
) -> tuple[Lines, str]:
    """``swb serve`` (``swb``: how to run swb) inside the server namespace; returns its output
    and its first URL."""
    shared = tmp_path / "shared.txt"
    shared.write_text("found on the LAN\n")
    process = subprocess.Popen(
        link.command(link.server, *swb, "serve", "-p", "0", *options, str(shared)),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=child_env(tmp_path),
        cwd=ROOT,
    )
    started.append(process)
    lines = Lines(process)
    return lines, lines.next_out()


BROWSE_SNIPPET = """
import json, sys
from net.discovery import ServerBrowser
def found(server):
    print(json.dumps({"found": server.name, "url": server.url}), flush=True)
def lost(name):
    print(json.dumps({"lost": name}), flush=True)
    browser.shutdown()
browser = ServerBrowser(found, lost)
browser.run(float(sys.argv[1]))
print(json.dumps({"done": True}), flush=True)
"""


@pytest.mark.posix_only
def test_a_stopped_share_says_goodbye(
    link: Link, tmp_path: Path, started: list[subprocess.Popen[str]]
) -> None:
    serve, url = start_serve(link, tmp_path, started)
    assert url.startswith(f"http://{link.server_ip}:")
    browse = subprocess.Popen(
        link.command(link.client, sys.executable, "-c", BROWSE_SNIPPET, str(WAIT * 3)),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=child_env(tmp_path),
    )
    started.append(browse)
    browser = Lines(browse)
    found = json.loads(browser.next_out())
    assert found == {"found": found["found"], "url": url}
    serve.process.send_signal(signal.SIGINT)
    assert serve.process.wait(WAIT) == 0
    # The goodbye (TTL 0, RFC 6762, section 10.1) removes it long before its records expire.
    assert json.loads(browser.next_out()) == {"lost": found["found"]}
    assert json.loads(browser.next_out()) == {"done": True}
    assert browse.wait(WAIT) == 0
