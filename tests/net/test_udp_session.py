"""UDP as a session: a receiver that sends from its bound port, a reply changed while it runs,
a sender that keeps its socket open, and a sender that shares a receiver's socket."""

from __future__ import annotations

import socket
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from net.errors import AddressError, PayloadError
from net.rtt import RoundTrips
from net.udp import UdpReceiver, UdpSender
from tests import simulate
from tests.conftest import WAIT
from tests.net.test_udp import Inbox, running


@contextmanager
def peer() -> Iterator[socket.socket]:
    """A plain UDP socket on loopback, standing for a device."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        sock.settimeout(WAIT)
        yield sock


@contextmanager
def kept_open(sender: UdpSender, sent: Inbox, replies: Inbox) -> Iterator[UdpSender]:
    result: list[int] = []
    thread = threading.Thread(
        target=lambda: result.append(sender.keep_open(on_sent=sent, on_reply=replies))
    )
    thread.start()
    try:
        yield sender
    finally:
        sender.shutdown()
        thread.join(WAIT)
        sender.close()
        assert not thread.is_alive(), "keep_open did not stop"


def test_receiver_sends_from_its_bound_port_and_hears_the_answer() -> None:
    inbox = Inbox()
    with running(UdpReceiver("127.0.0.1", 0, on_datagram=inbox)) as receiver, peer() as device:
        port = device.getsockname()[1]
        sent = receiver.send_to(b"hello device", "127.0.0.1", port)
        data, source = device.recvfrom(100)
        assert (data, source) == (b"hello device", ("127.0.0.1", receiver.port))
        assert sent.outgoing and sent.peer == f"127.0.0.1:{port}" and sent.data == data
        device.sendto(b"answer", source)
        [answer] = inbox.wait_for(1)
        assert (answer.data, answer.peer) == (b"answer", f"127.0.0.1:{port}")


def test_receiver_send_to_refuses_bad_input() -> None:
    with UdpReceiver("127.0.0.1", 0) as receiver:
        with pytest.raises(PayloadError):
            receiver.send_to(b"x" * 70000, "127.0.0.1", 9)
        with pytest.raises(AddressError):
            receiver.send_to(b"x", "127.0.0.1", 70000)
        with pytest.raises(AddressError, match="different IP versions"):
            receiver.send_to(b"x", "::1", 9)


def test_fixed_reply_changed_while_running_answers_the_next_datagram() -> None:
    replies, inbox = Inbox(), Inbox()
    made = UdpReceiver("127.0.0.1", 0, on_datagram=inbox, reply=b"first", on_reply=replies)
    assert made.reply == b"first"
    with running(made) as receiver, peer() as device:
        target = ("127.0.0.1", receiver.port)
        device.sendto(b"one", target)
        assert device.recvfrom(100)[0] == b"first"
        receiver.reply = b"second"
        device.sendto(b"two", target)
        assert device.recvfrom(100)[0] == b"second"
        receiver.reply = None
        device.sendto(b"three", target)
        inbox.wait_for(3)
        assert receiver.stats.replies == 2  # the third got none
        assert replies.items == []  # fixed replies are counted, not handed on


def test_keep_open_hears_a_late_reply_and_sends_what_is_queued() -> None:
    sent, replies = Inbox(), Inbox()
    with peer() as device:
        port = device.getsockname()[1]
        with kept_open(UdpSender("127.0.0.1", port), sent, replies) as sender:
            sender.queue(b"ping", 2, 0.0)
            first, source = device.recvfrom(100)
            device.recvfrom(100)
            assert first == b"ping" and len(sent.wait_for(2)) == 2
            # Long after the sends are done, the socket still hears the device.
            answer = threading.Timer(1.0, device.sendto, (b"late", source))
            answer.start()
            [late] = replies.wait_for(1)
            answer.join()
            assert (late.data, late.peer) == (b"late", f"127.0.0.1:{port}")
            sender.queue(lambda index: b"n%d" % index, 1)
            assert device.recvfrom(100)[0] == b"n0"


def test_sender_through_a_receivers_socket_sends_from_its_port() -> None:
    inbox = Inbox()
    with running(UdpReceiver("127.0.0.1", 0, on_datagram=inbox)) as receiver, peer() as device:
        port = device.getsockname()[1]
        with UdpSender("127.0.0.1", port, via=receiver) as sender:
            assert sender.shared and sender.local_port == receiver.port
            sender.send(b"from the shared port")
            data, source = device.recvfrom(100)
            assert (data, source) == (b"from the shared port", ("127.0.0.1", receiver.port))
            device.sendto(b"reply", source)
            assert sender.wait_reply(0.1) is None  # the receiver reads it, not the sender
        [reply] = inbox.wait_for(1)
        assert reply.data == b"reply"
        # Closing the sender left the receiver's socket working.
        receiver.send_to(b"still open", "127.0.0.1", port)
        assert device.recvfrom(100)[0] == b"still open"


def test_round_trips_pair_a_send_with_its_first_reply() -> None:
    trips = RoundTrips()
    assert trips.replied(1.0) is None and trips.spread() is None and trips.summary() == ""
    trips.sent(10.0)
    assert trips.replied(10.002) == pytest.approx(2.0)
    assert trips.replied(10.005) is None  # a second reply belongs to the same round trip
    for start, end in ((20.0, 20.001), (30.0, 30.004)):
        trips.sent(start)
        trips.replied(end)
    low, median, high = trips.spread() or (0, 0, 0)
    assert (low, median, high) == pytest.approx((1.0, 2.0, 4.0))
    assert trips.summary() == ", rtt min/median/max 1.000/2.000/4.000 ms"
    trips.reset()
    assert trips.spread() is None


# The whole device workflow in one snippet: a receiver bound to one port, a sender sharing it,
# a kept-open sender hearing a late reply; run as on each system (select() only on Windows).
SESSION = """
import socket, threading
from net.udp import UdpReceiver, UdpSender
got, replies = [], []
device = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
device.bind(("127.0.0.1", 0))
device.settimeout(10)
port = device.getsockname()[1]
receiver = UdpReceiver("127.0.0.1", 0, on_datagram=got.append)
listening = threading.Thread(target=receiver.run)
listening.start()
with UdpSender("127.0.0.1", port, via=receiver) as shared:
    shared.send(b"via")
data, source = device.recvfrom(100)
assert (data, source[1]) == (b"via", receiver.port), source
receiver.send_to(b"direct", "127.0.0.1", port)
assert device.recvfrom(100)[0] == b"direct"
device.sendto(b"answer", source)
sender = UdpSender("127.0.0.1", port)
heard = threading.Event()
def reply(datagram):
    replies.append(datagram.data)
    heard.set()
keeping = threading.Thread(target=sender.keep_open, kwargs={"on_sent": print, "on_reply": reply})
keeping.start()
sender.queue(b"ping")
data, source = device.recvfrom(100)
device.sendto(b"pong", source)
assert heard.wait(10)
sender.shutdown(); keeping.join(10); sender.close()
receiver.shutdown(); listening.join(10); receiver.close()
assert [d.data for d in got] == [b"answer"] and replies == [b"pong"], (got, replies)
print("session ok")
"""


@pytest.mark.parametrize("platform", ["win32", "darwin"])
def test_the_session_works_as_on_other_systems(platform: str) -> None:
    done = subprocess.run(
        simulate.code_command(platform, SESSION),
        env=simulate.env(),
        capture_output=True,
        text=True,
        timeout=WAIT * 2,
    )
    assert done.stdout.strip().endswith("session ok"), done.stderr


def test_each_reply_follows_its_own_datagram() -> None:
    from net.rules import Responder

    seen = Inbox()
    made = UdpReceiver(
        "127.0.0.1",
        0,
        on_datagram=seen,
        responder=Responder(framing="raw", fallback="fixed", fixed_reply=b"ack"),
        on_reply=seen,
    )
    with peer() as device:
        # Both wait in the socket before the receiver runs: one read would take them together.
        for data in (b"one", b"two", b"three"):
            device.sendto(data, ("127.0.0.1", made.port))
        with running(made):
            shown = seen.wait_for(6)
    assert [(d.outgoing, d.data) for d in shown] == [
        (False, b"one"), (True, b"ack"), (False, b"two"), (True, b"ack"),
        (False, b"three"), (True, b"ack"),
    ]  # fmt: skip
