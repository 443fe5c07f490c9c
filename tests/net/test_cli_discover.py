"""``swb discover`` finds ``swb serve`` on another host: two network namespaces joined by a veth
pair (tests/net/test_discovery.py's ``link`` fixture), the server in one, discover in the other.
Also: what is announced (the URL, the TLS fingerprint to pin, _http/_https for browsers), what is
not (--no-announce, a loopback-only share), and bad input."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from net._cli_discover import describe
from net.cli import main
from net.discovery import FoundServer
from tests import simulate
from tests.net.test_discovery import (
    SWB,
    Lines,
    Link,
    link,
    run_inside,
    start_serve,
    started,
)

__all__ = ["link", "started"]  # fixtures used here

# A failure bound, not a timing: a quiet link answers within a second (see the report's numbers).
TIMEOUT = "3"


def discover(
    link: Link, tmp_path: Path, *options: str, swb: tuple[str, ...] = SWB
) -> subprocess.CompletedProcess[str]:
    return run_inside(link.client, tmp_path, *swb, "discover", *options)


def received(tmp_path: Path) -> Path:
    """Where downloads go: not the folder the shared file is in."""
    folder = tmp_path / "received"
    folder.mkdir(exist_ok=True)
    return folder


def found(result: subprocess.CompletedProcess[str]) -> list[dict[str, object]]:
    assert result.returncode == 0, result.stderr
    return [json.loads(line) for line in result.stdout.splitlines()]


@pytest.mark.posix_only
def test_discover_finds_a_plain_share_with_its_url(
    link: Link, tmp_path: Path, started: list[subprocess.Popen[str]]
) -> None:
    serve, url = start_serve(link, tmp_path, started)
    assert url.startswith(f"http://{link.server_ip}:")
    servers = found(discover(link, tmp_path, "--json", "--timeout", TIMEOUT))
    assert len(servers) == 1
    server = servers[0]
    assert server["urls"] == [url]
    assert server["addresses"] == [link.server_ip]  # the namespace's loopback is not announced
    assert (server["tls"], server["fingerprint"], server["raw"]) == (False, None, True)
    assert (server["uploads"], server["password"], server["path"]) == (False, False, "/")
    announced = serve.wait_err("Announced on the local network as ")
    assert repr(server["name"]) in announced
    # The plain form: one line with the name, the URL, plain HTTP and raw.
    text = discover(link, tmp_path, "--timeout", TIMEOUT)
    assert text.returncode == 0, text.stderr
    assert text.stdout == f"{server['name']}  {url}  plain HTTP  classic raw too\n"


@pytest.mark.posix_only
def test_discover_finds_a_tls_share_with_the_fingerprint_to_pin(
    link: Link, tmp_path: Path, started: list[subprocess.Popen[str]]
) -> None:
    serve, url = start_serve(link, tmp_path, started, "--tls", "--no-raw")
    assert url.startswith(f"https://{link.server_ip}:")
    fingerprint = serve.wait_err("TLS certificate SHA-256 fingerprint: ").rsplit(" ", 1)[1]
    servers = found(discover(link, tmp_path, "--json", "--timeout", TIMEOUT))
    assert [(s["urls"], s["tls"], s["fingerprint"], s["raw"]) for s in servers] == [
        ([url], True, fingerprint, False)
    ]
    # What was discovered is enough to download with the pin, across the link.
    pin = str(servers[0]["fingerprint"])
    get = run_inside(
        link.client,
        tmp_path,
        *SWB,
        "get",
        "--fingerprint",
        pin,
        "-o",
        str(received(tmp_path)),
        url + "shared.txt",
    )
    assert get.returncode == 0, get.stderr
    assert (received(tmp_path) / "shared.txt").read_text() == "found on the LAN\n"


# zeroconf reads errno.WSAEINVAL on Windows: the stand-in has it (tests/simulate.py).
SIMULATED_SWB = """
import sys
from net.cli import main
sys.exit(main(sys.argv[1:]))
"""


@pytest.mark.posix_only
@pytest.mark.parametrize("platform", simulate.PLATFORMS)
def test_discovery_as_on_windows_and_macos(
    link: Link, tmp_path: Path, started: list[subprocess.Popen[str]], platform: str
) -> None:
    swb = tuple(simulate.code_command(platform, SIMULATED_SWB))
    serve, url = start_serve(link, tmp_path, started, "--tls", swb=swb)
    serve.wait_err("Announced on the local network as ")
    servers = found(discover(link, tmp_path, "--json", "--timeout", TIMEOUT, swb=swb))
    assert [(s["urls"], s["tls"]) for s in servers] == [([url], True)]


GENERIC_BROWSE = """
import sys, threading
from zeroconf import ServiceBrowser, Zeroconf
zc = Zeroconf()
seen = set()
def handler(zeroconf, service_type, name, state_change):
    if (service_type, name) not in seen:
        seen.add((service_type, name))
        print(service_type, name, flush=True)
ServiceBrowser(zc, ["_http._tcp.local.", "_https._tcp.local."], handlers=[handler])
threading.Event().wait(float(sys.argv[1]))
zc.close()
"""


@pytest.mark.posix_only
@pytest.mark.parametrize("tls", [False, True], ids=["plain", "tls"])
def test_browsers_see_http_or_https(
    link: Link, tmp_path: Path, started: list[subprocess.Popen[str]], tls: bool
) -> None:
    serve, _url = start_serve(link, tmp_path, started, *(["--tls"] if tls else []))
    name = serve.wait_err("Announced on the local network as ").split(" as ", 1)[1][1:-2]
    result = run_inside(link.client, tmp_path, sys.executable, "-c", GENERIC_BROWSE, "3")
    assert result.returncode == 0, result.stderr
    # A TLS share is not _http._tcp: a browser would speak plain HTTP to it.
    kind = "_https._tcp.local." if tls else "_http._tcp.local."
    assert result.stdout.splitlines() == [f"{kind} {name}.{kind}"]


@pytest.mark.posix_only
def test_no_announce_and_loopback_shares_are_not_found(
    link: Link, tmp_path: Path, started: list[subprocess.Popen[str]]
) -> None:
    quiet, _quiet_url = start_serve(link, tmp_path, started, "--no-announce")
    local, local_url = start_serve(link, tmp_path, started, "-H", "127.0.0.1")
    assert local_url.startswith("http://127.0.0.1:")
    local.wait_err("not announced on the local network: the share listens on 127.0.0.1 only")
    result = discover(link, tmp_path, "--json", "--timeout", "2")
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "no servers found\n")
    assert quiet.process.poll() is None and local.process.poll() is None  # both still serve
    assert not any("nnounce" in line for line in quiet.err_lines)


# Another mDNS responder that holds UDP port 5353 alone (no SO_REUSEADDR/SO_REUSEPORT).
HOLD_5353 = """
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("0.0.0.0", 5353))
print("bound", flush=True)
sys.stdin.read()
"""


@pytest.mark.posix_only
def test_a_busy_mdns_port_costs_one_warning_and_the_share_runs_on(
    link: Link, tmp_path: Path, started: list[subprocess.Popen[str]]
) -> None:
    holder = subprocess.Popen(
        link.command(link.server, sys.executable, "-c", HOLD_5353),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    started.append(holder)
    assert Lines(holder).next_out() == "bound"
    serve, url = start_serve(link, tmp_path, started)
    warning = "swb: not announced on the local network: address already in use"
    assert serve.wait_err(warning) == warning
    folder = received(tmp_path)
    got = run_inside(link.client, tmp_path, *SWB, "get", "-o", str(folder), url + "shared.txt")
    assert got.returncode == 0, got.stderr
    assert (folder / "shared.txt").read_text() == "found on the LAN\n"
    assert [line for line in serve.err_lines if "announce" in line] == [warning]


@pytest.mark.posix_only
def test_a_share_bound_to_one_address_is_found_there(
    link: Link, tmp_path: Path, started: list[subprocess.Popen[str]]
) -> None:
    _serve, url = start_serve(link, tmp_path, started, "-H", link.server_ip)
    servers = found(discover(link, tmp_path, "--json", "--timeout", TIMEOUT))
    assert [s["urls"] for s in servers] == [[url]]


@pytest.mark.posix_only
def test_without_any_interface_discover_fails_in_one_line(link: Link, tmp_path: Path) -> None:
    links = subprocess.run(
        ["ip", "-n", link.client, "-json", "link"], capture_output=True, text=True, check=True
    )
    for device in json.loads(links.stdout):  # lo and the veth end: no address left
        subprocess.run(
            ["ip", "-n", link.client, "addr", "flush", "dev", device["ifname"]], check=True
        )
    result = discover(link, tmp_path, "--timeout", "1")
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr == (
        "swb: cannot use multicast DNS on this computer: "
        "no network interface with an IPv4 address is up\n"
    )


@pytest.mark.parametrize(
    ("argv", "complaint"),
    [
        (["--timeout", "0"], "out of range"),
        (["--timeout", "-1"], "out of range"),
        (["--timeout", "soon"], "is not a number of seconds"),
        (["--timeout", "nan"], "out of range"),
        (["--jsn"], "unrecognized arguments"),
    ],
)
def test_bad_input_exits_2_with_one_line(
    argv: list[str], complaint: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["discover", *argv]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.count("\n") == 1 and complaint in err


def test_describe_says_how_to_pin() -> None:
    server = FoundServer(
        name="box",
        host="box-swb-8443.local.",
        port=8443,
        addresses=("10.0.0.5", "2001:db8::5"),
        tls=True,
        fingerprint="AB:" * 31 + "AB",
        raw=False,
        uploads=False,
        password=False,
        path="/",
    )
    assert describe(server) == (
        "box  https://10.0.0.5:8443/ https://[2001:db8::5]:8443/  "
        f"TLS, fingerprint {'AB:' * 31}AB  HTTP only"
    )
