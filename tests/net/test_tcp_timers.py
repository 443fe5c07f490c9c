"""The TCP loops' timers as the small objects they are (issue 14): the client's heartbeat and the
idle watch that the client and the server share, driven with explicit clock values."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest

from net._tcp_client import Heartbeat
from net._tcp_conn import Connection, QueuedBytes
from net._tcp_loop import IdleWatch, idle_reason
from net.errors import AddressError, ConnectError


class Beats:
    """A send function for Heartbeat that keeps what it was given."""

    def __init__(self, *, full: bool = False) -> None:
        self.items: list[QueuedBytes] = []
        self.full = full

    def __call__(self, data: bytes) -> QueuedBytes:
        if self.full:
            raise ConnectError("the queue is full")
        item = QueuedBytes(data, heartbeat=True)
        self.items.append(item)
        return item


def test_a_heartbeat_beats_once_per_interval_from_the_connection() -> None:
    beat, sent = Heartbeat(b"ping", 2.0), Beats()
    beat.restart(100.0)
    assert beat.due(101.0, sent) == 102.0 and sent.items == []
    assert beat.due(102.0, sent) == 104.0
    assert [item.data for item in sent.items] == [b"ping"]


def test_a_heartbeat_waits_while_the_previous_one_is_still_queued() -> None:
    beat, sent = Heartbeat(b"ping", 1.0), Beats()
    beat.restart(0.0)
    beat.due(1.0, sent)
    beat.due(2.0, sent)  # the first one has not gone out: the peer is not reading
    assert len(sent.items) == 1
    sent.items[0].offset = len(b"ping")  # now it has
    beat.due(3.0, sent)
    assert len(sent.items) == 2


def test_a_busy_loop_gets_one_heartbeat_not_a_burst() -> None:
    beat, sent = Heartbeat(b"ping", 1.0), Beats()
    beat.restart(0.0)
    assert beat.due(10.5, sent) == 11.5
    assert len(sent.items) == 1


def test_a_full_queue_skips_the_beat_quietly() -> None:
    beat = Heartbeat(b"ping", 1.0)
    beat.restart(0.0)
    assert beat.due(1.0, Beats(full=True)) == 2.0


@pytest.mark.parametrize(
    ("payload", "interval", "words"),
    [(b"", 1.0, "the heartbeat is empty"), (b"x", 0, "heartbeat interval must be")],
)
def test_bad_heartbeats_are_address_errors(payload: bytes, interval: float, words: str) -> None:
    with pytest.raises(AddressError, match=words):
        Heartbeat(payload, interval)


@pytest.fixture
def pair() -> Iterator[tuple[Connection, Connection]]:
    a, b = socket.socketpair()
    with a, b:
        yield Connection(a, 1, "a", "local"), Connection(b, 2, "b", "local")


def test_the_idle_watch_closes_only_the_quiet_connection(
    pair: tuple[Connection, Connection],
) -> None:
    quiet, busy = pair
    quiet.last_in = quiet.last_out = 0.0
    busy.last_in, busy.last_out = 0.0, 4.0
    closed: list[tuple[int, str]] = []
    watch = IdleWatch(5.0)
    due = watch.due(5.0, [quiet, busy], lambda conn, reason: closed.append((conn.conn_id, reason)))
    assert closed == [(1, idle_reason(5.0))]
    assert due == 9.0  # the busy one's turn


def test_the_idle_watch_scans_again_only_when_a_deadline_is_due(
    pair: tuple[Connection, Connection],
) -> None:
    first, _second = pair
    first.last_in = first.last_out = 0.0
    watch = IdleWatch(5.0)
    watch.watch(first)
    closed: list[int] = []
    assert watch.due(3.0, [first], lambda conn, _reason: closed.append(conn.conn_id)) == 5.0
    first.last_in = 4.0  # activity moves its deadline later: found at the next scan
    assert watch.due(5.0, [first], lambda conn, _reason: closed.append(conn.conn_id)) == 9.0
    assert closed == []


def test_a_connection_in_its_handshake_is_left_to_the_handshake_deadline(
    pair: tuple[Connection, Connection],
) -> None:
    conn, _other = pair
    conn.last_in = conn.last_out = 0.0
    conn.handshaking = True
    closed: list[int] = []
    assert IdleWatch(1.0).due(10.0, [conn], lambda c, _r: closed.append(c.conn_id)) is None
    assert closed == []


def test_an_idle_timeout_is_checked_as_the_user_gave_it() -> None:
    assert IdleWatch.optional(None) is None
    with pytest.raises(AddressError, match="idle timeout must be a number of seconds above 0"):
        IdleWatch.optional(-1)
