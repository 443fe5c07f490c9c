"""UDP over real loopback sockets: datagrams and their senders, replies, counters, truncation, stopping."""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest

from net.errors import AddressError, BindError, ConnectError, PayloadError
from net.events import Datagram
from net.udp import UdpReceiver, UdpSender, send_and_wait, send_datagram
from tests.conftest import WAIT, wait_until_blocked

IPV6 = pytest.mark.requires_ipv6  # conftest.py fails these, with the reason, on a host without ::1


class Inbox:
    """Collects callback arguments from a loop's thread and lets the test wait for them."""

    def __init__(self) -> None:
        self.items: list[Datagram] = []
        self._changed = threading.Condition()

    def __call__(self, item: Datagram) -> None:
        with self._changed:
            self.items.append(item)
            self._changed.notify_all()

    def wait_for(self, count: int) -> list[Datagram]:
        with self._changed:
            assert self._changed.wait_for(lambda: len(self.items) >= count, WAIT), (
                f"got {len(self.items)} of {count}"
            )
            return list(self.items)


@contextmanager
def running(receiver: UdpReceiver) -> Iterator[UdpReceiver]:
    """Run ``receiver`` in a thread; stop it, join the thread and free the socket at the end."""
    thread = threading.Thread(target=receiver.run, name="test receiver")
    thread.start()
    try:
        yield receiver
    finally:
        receiver.shutdown()
        thread.join(WAIT)
        receiver.close()
        assert not thread.is_alive(), "the receiver did not stop"


def receiver(host: str = "127.0.0.1", **kw: object) -> tuple[UdpReceiver, Inbox]:
    inbox = Inbox()
    return UdpReceiver(host, 0, on_datagram=inbox, **kw), inbox  # type: ignore[arg-type]


PAYLOADS = [b"hello", b"", b"\x00\xff\r\n", "中文".encode(), "中文".encode("gbk"), b"x" * 1400]


@pytest.mark.parametrize("payload", PAYLOADS, ids=repr)
def test_datagrams_arrive_with_their_sender(payload: bytes) -> None:
    rx, inbox = receiver()
    with running(rx), UdpSender("127.0.0.1", rx.port) as sender:
        sent = sender.send(payload)
        [got] = inbox.wait_for(1)
    assert sent.outgoing and sent.data == payload and sent.peer == f"127.0.0.1:{rx.port}"
    assert got.data == payload
    assert got.peer == f"127.0.0.1:{sender.local_port}"
    assert not got.truncated and not got.outgoing
    assert rx.stats.datagrams == 1 and rx.stats.bytes == len(payload)


def test_several_senders_are_told_apart() -> None:
    rx, inbox = receiver()
    with running(rx):
        senders = [UdpSender("127.0.0.1", rx.port) for _ in range(3)]
        try:
            for index, sender in enumerate(senders):
                sender.send(f"from {index}".encode())
            got = inbox.wait_for(3)
        finally:
            for sender in senders:
                sender.close()
    by_peer = {d.peer: d.data for d in got}
    assert by_peer == {
        f"127.0.0.1:{s.local_port}": f"from {i}".encode() for i, s in enumerate(senders)
    }


@pytest.mark.parametrize(
    ("bind_host", "target", "peer_prefix"),
    [
        pytest.param("::1", "::1", "[::1]:", marks=IPV6),
        pytest.param("[::1]", "[::1]", "[::1]:", marks=IPV6),
        # dual-stack: an IPv4 sender on an IPv6 socket
        pytest.param("::", "127.0.0.1", "127.0.0.1:", marks=IPV6),
        pytest.param("::", "::1", "[::1]:", marks=IPV6),
        ("", "127.0.0.1", "127.0.0.1:"),
    ],
)
def test_ipv6_and_dual_stack(bind_host: str, target: str, peer_prefix: str) -> None:
    rx, inbox = receiver(bind_host)
    with running(rx), UdpSender(target, rx.port) as sender:
        sender.send(b"v6?")
        [got] = inbox.wait_for(1)
    assert got.peer == f"{peer_prefix}{sender.local_port}"
    assert rx.address.endswith(f":{rx.port}")


def test_send_and_wait_gets_the_auto_reply_with_its_sender() -> None:
    rx, inbox = receiver(reply="pong 中文".encode())
    with running(rx):
        reply = send_and_wait("127.0.0.1", rx.port, b"ping", WAIT)
        inbox.wait_for(1)
    assert reply is not None
    assert reply.data == "pong 中文".encode()
    assert reply.peer == f"127.0.0.1:{rx.port}"
    assert rx.stats.replies == 1


def test_send_and_wait_times_out_with_none() -> None:
    rx, inbox = receiver()
    with running(rx):
        assert send_and_wait("127.0.0.1", rx.port, b"anyone?", 0.2) is None
        inbox.wait_for(1)


def test_send_datagram_from_a_chosen_port() -> None:
    probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    rx, inbox = receiver()
    with running(rx):
        sent = send_datagram("127.0.0.1", rx.port, b"x", bind_host="127.0.0.1", bind_port=port)
        [got] = inbox.wait_for(1)
    assert sent.data == b"x"
    assert got.peer == f"127.0.0.1:{port}"


def test_wait_reply_ends_at_once_on_shutdown_from_another_thread() -> None:
    rx, _inbox = receiver()
    with running(rx), UdpSender("127.0.0.1", rx.port) as sender:
        result: list[Datagram | None] = []
        waiter = threading.Thread(target=lambda: result.append(sender.wait_reply(3600)))
        waiter.start()
        wait_until_blocked(waiter)
        sender.shutdown()
        waiter.join(WAIT)
        assert not waiter.is_alive()
    assert result == [None]


def test_run_repeat_sends_count_datagrams_and_hands_over_replies() -> None:
    rx, inbox = receiver(reply=b"ack")
    sent: list[Datagram] = []
    replies: list[Datagram] = []
    with running(rx), UdpSender("127.0.0.1", rx.port) as sender:
        count = sender.run_repeat(
            b"tick", 5, 0.0, on_sent=sent.append, on_reply=replies.append, reply_timeout=WAIT
        )
        inbox.wait_for(5)
    assert count == 5
    assert [d.data for d in sent] == [b"tick"] * 5
    assert len(replies) == 5 and {r.data for r in replies} == {b"ack"}


def test_run_repeat_with_a_long_interval_stops_on_shutdown() -> None:
    rx, inbox = receiver()
    with running(rx), UdpSender("127.0.0.1", rx.port) as sender:
        result: list[int] = []

        def first_sent(_datagram: Datagram) -> None:
            threading.Thread(target=sender.shutdown).start()

        repeater = threading.Thread(
            target=lambda: result.append(sender.run_repeat(b"x", 1000, 3600.0, on_sent=first_sent))
        )
        repeater.start()
        repeater.join(WAIT)
        assert not repeater.is_alive()
        inbox.wait_for(1)
    assert result == [1]


@pytest.mark.parametrize(
    ("host", "size"), [("127.0.0.1", 65507), pytest.param("::1", 65527, marks=IPV6)]
)
def test_the_largest_datagram_arrives_whole(host: str, size: int) -> None:
    payload = bytes(range(256)) * (size // 256) + b"z" * (size % 256)
    rx, inbox = receiver(host)
    with running(rx), UdpSender(host, rx.port) as sender:
        sender.send(payload)
        [got] = inbox.wait_for(1)
    assert got.data == payload and not got.truncated
    assert rx.stats.truncated == 0


def test_a_datagram_larger_than_the_buffer_is_flagged_truncated() -> None:
    # Loopback cannot carry a datagram over 65,535 bytes, so a smaller buffer stands in for it.
    rx, inbox = receiver(buffer_size=1000)
    with running(rx), UdpSender("127.0.0.1", rx.port) as sender:
        sender.send(b"a" * 5000)
        sender.send(b"b" * 1000)  # exactly fits: not truncated
        first, second = inbox.wait_for(2)
    assert first.truncated and first.data == b"a" * 1000
    assert not second.truncated and second.data == b"b" * 1000
    assert rx.stats.truncated == 1


@pytest.mark.parametrize(
    ("host", "size"), [("127.0.0.1", 65508), pytest.param("::1", 65528, marks=IPV6)]
)
def test_a_payload_too_large_for_one_datagram_is_bad_input(host: str, size: int) -> None:
    with UdpSender(host, 9) as sender, pytest.raises(PayloadError, match="do not fit"):
        sender.send(b"x" * size)


def test_counters_are_exact() -> None:
    rx, inbox = receiver()
    total = 0
    with running(rx), UdpSender("127.0.0.1", rx.port) as sender:
        # Batches the kernel's buffer surely holds, so nothing is lost on a busy machine.
        for batch in range(10):
            for index in range(200):
                payload = b"y" * (1 + (batch * 200 + index) % 50)
                sender.send(payload)
                total += len(payload)
            inbox.wait_for((batch + 1) * 200)
    stats = rx.stats
    assert (stats.datagrams, stats.bytes, stats.truncated, stats.replies) == (2000, total, 0, 0)


def test_stats_snapshots_are_consistent_while_receiving() -> None:
    rx, inbox = receiver()
    with running(rx), UdpSender("127.0.0.1", rx.port) as sender:
        snapshots = []
        for _ in range(500):
            sender.send(b"abcd")
            snapshots.append(rx.stats)
        inbox.wait_for(500)
    assert all(s.bytes == 4 * s.datagrams for s in snapshots)
    assert rx.stats.datagrams == 500


def test_rows_hold_every_datagram_in_order_and_counters_lead_them() -> None:
    batches: list[list[tuple[float, str, bytes, bool]]] = []
    seen_counts: list[int] = []
    done = threading.Event()

    def on_rows(rows: list[tuple[float, str, bytes, bool]]) -> None:
        batches.append(rows)
        seen_counts.append(rx.stats.datagrams)  # the counters already include this batch
        if sum(map(len, batches)) >= 300:
            done.set()

    rx = UdpReceiver("127.0.0.1", 0, on_rows=on_rows, buffer_size=2)
    with UdpSender("127.0.0.1", rx.port) as sender:
        for index in range(300):  # queued before run(): the first wake-up reads many at once
            sender.send(b"%d" % index)
        with running(rx):
            assert done.wait(WAIT)
    rows = [row for batch in batches for row in batch]
    assert [data for _time, _peer, data, _cut in rows] == [b"%d" % i for i in range(300)][:10] + [
        (b"%d" % i)[:2] for i in range(10, 300)
    ]
    assert [cut for *_, cut in rows] == [index >= 100 for index in range(300)]
    assert {peer for _time, peer, _data, _cut in rows} == {f"127.0.0.1:{sender.local_port}"}
    assert all(type(row) is tuple and isinstance(row[0], float) for row in rows)
    assert max(map(len, batches)) > 1  # batched, not one call per datagram
    assert all(seen >= sum(map(len, batches[: n + 1])) for n, seen in enumerate(seen_counts))


def test_counting_only_receiver_counts_sizes_and_truncation_exactly() -> None:
    rx = UdpReceiver("127.0.0.1", 0, buffer_size=100, max_datagrams=400)
    sizes = [(index * 7) % 160 for index in range(400)]  # some over 100 bytes: truncated
    with UdpSender("127.0.0.1", rx.port) as sender:
        for size in sizes[:200]:  # two bursts the kernel's buffer surely holds
            sender.send(b"z" * size)
        thread = threading.Thread(target=rx.run)
        thread.start()
        try:
            for size in sizes[200:]:
                sender.send(b"z" * size)
            thread.join(WAIT)  # max_datagrams ends run() by itself
        finally:
            rx.shutdown()
            thread.join(WAIT)
            rx.close()
        assert not thread.is_alive()
    stats = rx.stats
    assert stats.datagrams == 400
    assert stats.bytes == sum(min(size, 100) for size in sizes)
    assert stats.truncated == sum(size > 100 for size in sizes)


def test_max_datagrams_stops_after_exactly_that_many() -> None:
    inbox = Inbox()
    rx = UdpReceiver("127.0.0.1", 0, on_datagram=inbox, max_datagrams=5)
    with UdpSender("127.0.0.1", rx.port) as sender:
        for index in range(20):
            sender.send(b"%d" % index)
        with rx:
            rx.run()  # returns by itself after the fifth datagram
    assert [d.data for d in inbox.items] == [b"0", b"1", b"2", b"3", b"4"]
    assert rx.stats.datagrams == 5


def test_on_drained_is_called_after_a_burst() -> None:
    drained = threading.Event()
    inbox = Inbox()
    rx = UdpReceiver("127.0.0.1", 0, on_datagram=inbox, on_drained=drained.set)
    with running(rx), UdpSender("127.0.0.1", rx.port) as sender:
        sender.send(b"1")
        assert drained.wait(WAIT)


def test_receive_buffer_is_requested_and_read_back() -> None:
    rx, _ = receiver()
    with rx:
        assert rx.rcvbuf_granted > 0
        assert (rx.rcvbuf_warning is None) == (rx.rcvbuf_granted >= 4 * 1024 * 1024)
    huge, _ = receiver(rcvbuf=1 << 30)  # more than any system grants by default
    with huge:
        assert huge.rcvbuf_granted < 1 << 30
        assert huge.rcvbuf_warning is not None
        assert "instead of 1024 MiB" in huge.rcvbuf_warning
    default, _ = receiver(rcvbuf=0)
    with default:
        assert default.rcvbuf_warning is None


def test_port_in_use_is_a_bind_error_with_a_sentence() -> None:
    taken = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    taken.bind(("127.0.0.1", 0))
    port = taken.getsockname()[1]
    try:
        with pytest.raises(BindError, match=f"port {port} is already in use") as caught:
            UdpReceiver("127.0.0.1", port, on_datagram=lambda d: None)
        assert isinstance(caught.value.__cause__, OSError)
        with pytest.raises(BindError, match="already in use"):
            UdpSender("127.0.0.1", 9, bind_host="127.0.0.1", bind_port=port)
    finally:
        taken.close()


@pytest.mark.parametrize(
    ("make", "error", "message"),
    [
        (lambda: UdpSender("no-such-host.invalid", 9), AddressError, "no such host"),
        (lambda: UdpSender("127.0.0.1", 0), AddressError, "port 0"),
        (lambda: UdpSender("127.0.0.1", 70000), AddressError, "out of range"),
        (lambda: UdpSender("127.0.0.1", 9, bind_host="::1"), AddressError, "IP versions"),
        (
            lambda: UdpReceiver("bad host", 0, on_datagram=print),
            AddressError,
            "not a valid host name",
        ),
        (
            lambda: UdpReceiver("127.0.0.1", 0, on_datagram=print, multicast_group="10.0.0.1"),
            AddressError,
            "not a multicast address",
        ),
        (
            lambda: UdpReceiver("127.0.0.1", 0, on_datagram=print, multicast_group="lots"),
            AddressError,
            "not a multicast group",
        ),
    ],
)
def test_bad_input_is_an_address_error(
    make: Callable[[], object], error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        make()


def test_broadcast_needs_the_broadcast_option() -> None:
    rx, inbox = receiver("")  # every IPv4 address: 127.255.255.255 is loopback's broadcast
    with running(rx):
        with (
            UdpSender("127.255.255.255", rx.port) as plain,
            pytest.raises(ConnectError, match="broadcast"),
        ):
            plain.send(b"no")
        with UdpSender("127.255.255.255", rx.port, broadcast=True) as sender:
            sender.send(b"to all")
            [got] = inbox.wait_for(1)
    assert got.data == b"to all"


def test_multicast_group_on_loopback() -> None:
    rx, inbox = receiver("127.0.0.1", multicast_group="239.255.42.99")
    with running(rx):
        assert rx.multicast_group == "239.255.42.99"
        # A plain socket stands in for any multicast sender; it sends out of the loopback interface.
        peer = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            peer.setsockopt(
                socket.IPPROTO_IP, socket.IP_MULTICAST_IF, socket.inet_aton("127.0.0.1")
            )
            peer.sendto(b"to the group", ("239.255.42.99", rx.port))
            [got] = inbox.wait_for(1)
        finally:
            peer.close()
    assert got.data == b"to the group"


def test_a_receiver_blocked_in_select_stops_on_shutdown() -> None:
    rx, inbox = receiver()
    thread = threading.Thread(target=rx.run)
    thread.start()
    # A datagram handled proves the loop is running; after it, the loop goes back to wait in select.
    with UdpSender("127.0.0.1", rx.port) as sender:
        sender.send(b"are you there")
        inbox.wait_for(1)
    rx.shutdown()
    thread.join(WAIT)
    rx.close()
    assert not thread.is_alive()


def test_shutdown_before_run_returns_at_once() -> None:
    rx, inbox = receiver()
    with rx:
        rx.shutdown()
        thread = threading.Thread(target=rx.run)
        thread.start()
        thread.join(WAIT)
        assert not thread.is_alive(), "run() after shutdown() kept waiting"
    assert inbox.items == []


def test_a_failing_callback_ends_run_and_frees_nothing_twice() -> None:
    def explode(_datagram: Datagram) -> None:
        raise RuntimeError("callback failed")

    rx = UdpReceiver("127.0.0.1", 0, on_datagram=explode)
    failures: list[BaseException] = []

    def run() -> None:
        try:
            rx.run()
        except RuntimeError as exc:
            failures.append(exc)

    thread = threading.Thread(target=run)
    thread.start()
    with UdpSender("127.0.0.1", rx.port) as sender:
        sender.send(b"boom")
    thread.join(WAIT)
    rx.close()
    rx.close()
    assert not thread.is_alive() and len(failures) == 1
