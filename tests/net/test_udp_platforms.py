"""UDP and addresses where other systems differ (issue 13, items 4 and 10), and the UDP waits
after an idle spell (issue 12, item 1): macOS's small send buffer, IPv6 zones given as numbers
(the form Windows shows), a family-restricted look-up without socket.EAI_ADDRFAMILY."""

from __future__ import annotations

import socket
import sys
import threading
import time

import pytest

from net.address import parse_host, resolve
from net.errors import AddressError, BindError
from net.udp import UdpReceiver, UdpSender
from tests.conftest import WAIT
from tests.net.test_udp import Inbox, running

# On macOS a datagram larger than the send buffer (9,216 bytes by default) is refused.
MACOS_DEFAULT_SNDBUF = 9216


def test_on_macos_the_send_buffer_grows_to_fit_the_datagram(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    inbox = Inbox()
    payload = bytes(range(256)) * 234  # 59,904 bytes, well over macOS's 9,216
    with running(UdpReceiver("127.0.0.1", 0, on_datagram=inbox)) as receiver:
        with UdpSender("127.0.0.1", receiver.port) as sender:
            # White-box: start from macOS's default, as the socket would there.
            sender._sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, MACOS_DEFAULT_SNDBUF)
            before = sender.send_buffer
            assert before < len(payload)
            sender.send(b"small")  # fits: nothing changes, on any system
            assert sender.send_buffer == before
            monkeypatch.setattr(sys, "platform", "darwin")
            sender.send(payload)
            assert sender.send_buffer >= len(payload)
        got = inbox.wait_for(2)
    assert [d.data for d in got] == [b"small", payload]


def test_elsewhere_the_send_buffer_is_left_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "platform", "win32")
    with UdpSender("127.0.0.1", 9) as sender:
        sender._sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, MACOS_DEFAULT_SNDBUF)
        before = sender.send_buffer
        sender.send(b"x" * 60000)  # Linux takes a datagram larger than the buffer
        assert sender.send_buffer == before


# Interface 1 is the loopback interface on Linux ("lo"); Windows shows zones only as numbers.
@pytest.mark.parametrize(
    ("host", "group"),
    [("", "ff02::1%1"), ("::%1", "ff02::1"), ("::%lo", "ff02::1"), ("", "[ff02::1%1]")],
)
def test_ipv6_groups_join_on_an_interface_given_by_number_or_name(host: str, group: str) -> None:
    with UdpReceiver(host, 0, multicast_group=group) as receiver:
        assert receiver.multicast_group == "ff02::1"


@pytest.mark.parametrize(
    ("host", "group", "message"),
    [
        ("", "ff02::1%9999", "ff02::1: this computer has no network interface '9999'"),
        ("::%9999", "ff02::1", "ff02::1: this computer has no network interface '9999'"),
        ("", "239.1.2.3%1", "only IPv6 groups take a %zone"),
    ],
)
def test_a_zone_that_names_no_interface_is_said_so(host: str, group: str, message: str) -> None:
    with pytest.raises((BindError, AddressError), match=message):
        UdpReceiver(host, 0, multicast_group=group)


@pytest.mark.parametrize("text", ["fe80::1%1", "[fe80::1%2]", "ff02::1%12"])
def test_numeric_zones_are_addresses(text: str) -> None:
    host = parse_host(text)
    assert host == text.strip("[]")
    [endpoint] = resolve(host, 80, kind=socket.SOCK_DGRAM)
    assert endpoint.family == socket.AF_INET6
    assert endpoint.sockaddr[3] == int(host.rsplit("%", 1)[1])


def test_a_family_restricted_lookup_without_eai_addrfamily(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # CPython on Windows has no socket.EAI_ADDRFAMILY.
    monkeypatch.delattr(socket, "EAI_ADDRFAMILY")
    with pytest.raises(AddressError, match=r"'no-such-host\.invalid' has no IPv6 address"):
        resolve("no-such-host.invalid", 80, family=socket.AF_INET6)
    with pytest.raises(AddressError, match=r"'no-such-host\.invalid' has no IPv4 address"):
        resolve("no-such-host.invalid", 80, family=socket.AF_INET)


def test_waiting_for_a_reply_after_an_idle_spell_gets_its_whole_time() -> None:
    # A reply that comes 0.3 s into a 0.5 s wait, after the sender sat idle for 1 s: a deadline
    # taken from a clock read before the idle spell would already have passed.
    with UdpReceiver("127.0.0.1", 0) as echo_socket:
        port = echo_socket.port
        with UdpSender("127.0.0.1", port) as sender:
            time.sleep(1.0)  # the idle spell under test
            sender.send(b"ping")
            timer = threading.Timer(
                0.3, lambda: echo_socket._sock.sendto(b"pong", ("127.0.0.1", sender.local_port))
            )
            timer.start()
            try:
                reply = sender.wait_reply(0.5 + WAIT / 10)
            finally:
                timer.cancel()
                timer.join()
    assert reply is not None and reply.data == b"pong"


def test_a_receiver_that_sat_idle_still_hears_and_answers() -> None:
    with running(UdpReceiver("127.0.0.1", 0, reply=b"ack")) as receiver:
        time.sleep(1.0)  # the idle spell under test
        with UdpSender("127.0.0.1", receiver.port) as sender:
            sender.send(b"hello")
            reply = sender.wait_reply(WAIT)
    assert reply is not None and reply.data == b"ack"
    assert receiver.stats.datagrams == 1
