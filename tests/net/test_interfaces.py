"""net.interfaces: the addresses of this computer, checked against iproute2 in network namespaces.

Each test makes its own network namespace (``ip netns add``) with veth pairs whose both ends live
inside it, so nothing outside the namespace changes; it runs the function there with
``ip netns exec NS python ...`` (as CPython on Linux, and as on Windows and macOS through
tests/simulate.py) and compares with what ``ip -json addr`` reports. The namespace goes, with
everything in it, whatever happens.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import urllib.parse
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from net.interfaces import interface_addresses, local_addresses
from tests import simulate
from tests.conftest import WAIT

pytestmark = pytest.mark.posix_only

SNIPPET = (
    "import json, socket\n"
    "from net.interfaces import interface_addresses, local_addresses\n"
    "print(json.dumps({'all': [[a.interface, a.address, a.scope_id] for a in "
    "interface_addresses()], 'urls': local_addresses(), 'v4': local_addresses(ipv6=False)}))\n"
)


def ip(*args: str, namespace: str | None = None) -> str:
    command = (
        ["ip", *args] if namespace is None else ["ip", "netns", "exec", namespace, "ip", *args]
    )
    result = subprocess.run(command, capture_output=True, text=True, timeout=WAIT)
    assert result.returncode == 0, f"{' '.join(command)}: {result.stderr}"
    return result.stdout


@pytest.fixture
def namespace() -> Iterator[str]:
    if sys.platform != "linux" or os.geteuid() != 0:
        # Never a silent skip: say what is missing (the hosted workflow deselects posix_only).
        pytest.fail("these tests make network namespaces: they need Linux and root (.ci/run is)")
    assert shutil.which("ip"), "iproute2's ip is needed (installed by .ci/run)"
    name = f"swb-{uuid.uuid4().hex[:10]}"
    ip("netns", "add", name)
    try:
        ip("link", "set", "lo", "up", namespace=name)
        yield name
    finally:
        ip("netns", "del", name)  # takes every interface made inside it along


def run_inside(namespace: str, platform: str | None = None) -> dict[str, list[object]]:
    python = [sys.executable, "-c", SNIPPET]
    if platform is not None:
        python = simulate.code_command(platform, SNIPPET)
    result = subprocess.run(
        ["ip", "netns", "exec", namespace, *python],
        capture_output=True,
        text=True,
        timeout=WAIT * 3,
        env=simulate.env(),
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)  # type: ignore[no-any-return]


def iproute_addresses(namespace: str | None) -> set[tuple[str, str]]:
    """(interface, address) for every address iproute2 lists on an interface that is up and has
    a carrier (LOWER_UP: a cable plugged in), with the zone on link-local IPv6, loopback left out."""
    found: set[tuple[str, str]] = set()
    for link in json.loads(ip("-json", "addr", "show", namespace=namespace)):
        if "LOWER_UP" not in link["flags"] or "LOOPBACK" in link["flags"]:
            continue
        for entry in link["addr_info"]:
            address = entry["local"]
            if entry["family"] == "inet6" and entry.get("scope") == "link":
                address += f"%{link['ifname']}"
            found.add((link["ifname"], address))
    return found


def interface_index(namespace: str, device: str) -> int:
    return int(
        json.loads(ip("-json", "link", "show", "dev", device, namespace=namespace))[0]["ifindex"]
    )


def make_lan(namespace: str) -> None:
    """Two veth pairs inside ``namespace``: swba and swbb up with addresses, swbc down, and swbd
    up but without carrier (its peer swbc is down: an unplugged cable). No address is made by the kernel on its own (addrgenmode none), so the
    namespace holds exactly these, at once."""
    ip("link", "add", "swba", "type", "veth", "peer", "name", "swbb", namespace=namespace)
    ip("link", "add", "swbc", "type", "veth", "peer", "name", "swbd", namespace=namespace)
    for device in ("swba", "swbb", "swbc", "swbd"):
        ip("link", "set", "dev", device, "addrgenmode", "none", namespace=namespace)
    for device, address in (
        ("swba", "10.213.1.1/24"),
        ("swba", "fd13::1/64"),
        ("swba", "fe80::13:1/64"),
        ("swbb", "10.213.2.1/24"),
        ("swbc", "10.213.3.1/24"),
        ("swbb", "169.254.7.7/16"),
        ("swbd", "10.213.4.1/24"),
    ):
        nodad = ("nodad",) if ":" in address else ()
        ip("addr", "add", address, "dev", device, *nodad, namespace=namespace)
    for device in ("swba", "swbb", "swbd"):
        ip("link", "set", device, "up", namespace=namespace)
    # Off-link traffic leaves from swbb: its address must lead the list though swba comes first.
    ip("route", "add", "default", "via", "10.213.2.254", namespace=namespace)


def test_inside_a_namespace_it_lists_exactly_its_addresses(namespace: str) -> None:
    make_lan(namespace)
    expected = iproute_addresses(namespace)
    assert expected == {
        ("swba", "10.213.1.1"),
        ("swba", "fd13::1"),
        ("swba", "fe80::13:1%swba"),
        ("swbb", "10.213.2.1"),
        ("swbb", "169.254.7.7"),
    }  # iproute2 agrees with make_lan: swbc is down, swbd has no carrier
    order = ["10.213.2.1", "10.213.1.1", "fd13::1", "169.254.7.7", "fe80::13:1%swba"]
    for platform in (None, *simulate.PLATFORMS):
        found = run_inside(namespace, platform)
        listed = [(str(device), str(address)) for device, address, _scope in found["all"]]
        zone = "swba"
        if platform == "win32":  # Windows names zones by interface number (fe80::1%12)
            zone = str(interface_index(namespace, "swba"))
        assert set(listed) == {(d, a.replace("%swba", f"%{zone}")) for d, a in expected}
        assert [a for _d, a in listed] == [a.replace("%swba", f"%{zone}") for a in order]
        assert found["all"][-1][2] == interface_index(namespace, "swba")  # the scope id
        # Share URLs: no link-local IPv6 (browsers refuse zones), loopback last.
        assert found["urls"] == [*order[:4], "127.0.0.1", "::1"], platform
        assert found["v4"] == ["10.213.2.1", "10.213.1.1", "169.254.7.7", "127.0.0.1"]


def test_with_only_loopback_up_the_answer_is_loopback(namespace: str) -> None:
    ip("link", "add", "swba", "type", "veth", "peer", "name", "swbb", namespace=namespace)
    ip("addr", "add", "10.213.9.1/24", "dev", "swba", namespace=namespace)  # but left down
    assert iproute_addresses(namespace) == set()
    for platform in (None, *simulate.PLATFORMS):
        found = run_inside(namespace, platform)
        assert [address for _d, address, _s in found["all"]] == ["127.0.0.1", "::1"], platform
        assert found["urls"] == ["127.0.0.1", "::1"]
        assert found["v4"] == ["127.0.0.1"]


def test_on_this_machine_the_list_matches_iproute() -> None:
    listed = interface_addresses()
    expected = iproute_addresses(None)
    if not expected:  # a machine with loopback only: then loopback is the answer
        assert [a.address for a in listed] == ["127.0.0.1", "::1"]
    else:
        assert {(a.interface, a.address) for a in listed} == expected
    for address in listed:
        if address.link_local and address.family == socket.AF_INET6:
            assert address.scope_id == socket.if_nametoindex(address.interface)
    assert local_addresses()[-2:] == ["127.0.0.1", "::1"]


@pytest.mark.parametrize("platform", [None, *simulate.PLATFORMS])
def test_swb_serve_prints_the_lan_urls_first_and_they_work(
    namespace: str, platform: str | None, tmp_path: Path
) -> None:
    make_lan(namespace)
    (tmp_path / "hello.txt").write_bytes(b"hello from the namespace")
    args = ("serve", "-p", "0", str(tmp_path / "hello.txt"))
    swb = (
        simulate.swb_command(platform, *args) if platform else [sys.executable, "-m", "net", *args]
    )
    with subprocess.Popen(
        ["ip", "netns", "exec", namespace, *swb],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=simulate.env(),
    ) as process:
        try:
            assert process.stdout is not None
            urls = []
            while not urls or "[::1]" not in urls[-1]:  # loopback ends the list
                line = process.stdout.readline()
                assert line, process.stderr.read() if process.stderr else ""
                urls.append(line.strip())
            hosts = [urllib.parse.urlsplit(url).hostname for url in urls]
            assert hosts == [
                "10.213.2.1",
                "10.213.1.1",
                "fd13::1",
                "169.254.7.7",
                "127.0.0.1",
                "::1",
            ]
            # A phone on the LAN would use these: ask for the file through each (HEAD: the body's
            # path is tests/net/test_fileserver.py's business, also on simulated Windows).
            for url in urls[:4]:
                head = subprocess.run(
                    ["ip", "netns", "exec", namespace, "curl", "-sSfgI", url + "hello.txt"],
                    capture_output=True,
                    text=True,
                    timeout=WAIT,
                )
                assert head.stdout.startswith("HTTP/1.1 200"), head.stderr
                assert "content-length: 24" in head.stdout.lower()
        finally:
            process.terminate()
            process.communicate(timeout=WAIT)
