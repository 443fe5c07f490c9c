"""The worker runner: batching, direct stop, errors on their own signal, the registry."""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
from pytestqt.qtbot import QtBot

from gui import runner
from gui.runner import RUN_KEEP, EventBuffer, ReceivedRun, Runner
from net._loop import StoppableLoop
from net.errors import BindError
from net.events import Datagram, Received, Sent
from tests.conftest import WAIT

TIMEOUT = int(WAIT * 1000)


class Ticker(StoppableLoop):
    """A real stoppable loop: emits ``count`` events, then blocks in its selector until shutdown."""

    def __init__(self, on_event: Callable[[int], None], count: int = 0) -> None:
        super().__init__()
        self.on_event = on_event
        self.count = count
        self.closed = False
        self.thread_name = ""

    def run(self) -> str:
        self.thread_name = threading.current_thread().name
        for index in range(self.count):
            self.on_event(index)
        selector = self.new_selector()
        try:
            while not self.stopping:
                for key, _mask in selector.select():
                    key.data.drain()
        finally:
            selector.close()
        return "stopped"

    def close(self) -> None:
        self.closed = True
        super().close()


def collect(run: Runner) -> list[list[Any]]:
    batches: list[list[Any]] = []
    run.events.connect(batches.append)
    return batches


def test_events_arrive_in_batches_and_stop_is_direct(qtbot: QtBot) -> None:
    run = Runner(name="ticker")
    batches = collect(run)
    returned: list[object] = []
    run.returned.connect(returned.append)
    loops: list[Ticker] = []

    def open_loop() -> Ticker:
        loops.append(Ticker(run.push, count=5000))
        return loops[0]

    run.start(open_loop, lambda loop: loop.run())
    assert run.running
    qtbot.waitUntil(lambda: sum(map(len, batches)) == 5000, timeout=TIMEOUT)
    # 5,000 events, but only a handful of deliveries to the GUI thread.
    assert len(batches) < 50
    assert [item for batch in batches for item in batch] == list(range(5000))
    assert loops[0].thread_name != threading.current_thread().name
    with qtbot.waitSignal(run.finished, timeout=TIMEOUT):
        run.stop()  # the worker is blocked in select(): only a direct shutdown() wakes it
    assert returned == ["stopped"]
    assert loops[0].closed
    assert not run.running
    assert run.wait(WAIT)


def test_net_errors_arrive_as_sentences(qtbot: QtBot) -> None:
    run = Runner(name="failing")
    failures: list[str] = []
    run.failed.connect(failures.append)

    def open_loop() -> Ticker:
        raise BindError("port 5000 is already in use by another program (0.0.0.0:5000)")

    with qtbot.waitSignal(run.finished, timeout=TIMEOUT):
        run.start(open_loop, lambda loop: loop.run())
    assert failures == ["port 5000 is already in use by another program (0.0.0.0:5000)"]
    assert not run.running


def test_a_bug_is_reported_without_a_traceback(qtbot: QtBot) -> None:
    run = Runner(name="buggy")
    failures: list[str] = []
    run.failed.connect(failures.append)

    def broken(loop: Ticker) -> None:
        raise KeyError("oops")

    with qtbot.waitSignal(run.finished, timeout=TIMEOUT):
        run.start(lambda: Ticker(run.push), broken)
    assert len(failures) == 1
    assert "internal error" in failures[0]
    assert "Traceback" not in failures[0]


def test_stop_while_opening_ends_the_run_at_once(qtbot: QtBot) -> None:
    run = Runner(name="slow open")
    entered, gate = threading.Event(), threading.Event()
    opened: list[object] = []
    run.opened.connect(opened.append)

    def slow_open() -> Ticker:
        entered.set()
        gate.wait(WAIT)  # like a slow DNS lookup
        return Ticker(run.push)

    run.start(slow_open, lambda loop: loop.run())
    assert entered.wait(WAIT)
    run.stop()
    with qtbot.waitSignal(run.finished, timeout=TIMEOUT):
        gate.set()
    assert len(opened) == 1  # built, then shut down before run() could block


def test_the_last_events_come_before_the_outcome(qtbot: QtBot) -> None:
    run = Runner(name="short")
    order: list[str] = []
    run.events.connect(lambda batch: order.append(f"events:{len(batch)}"))
    run.returned.connect(lambda value: order.append("returned"))
    run.finished.connect(lambda: order.append("finished"))

    def burst(loop: Ticker) -> int:
        for index in range(3):
            run.push(index)
        return 3

    with qtbot.waitSignal(run.finished, timeout=TIMEOUT):
        run.start(lambda: Ticker(run.push), burst)
    assert order == ["events:3", "returned", "finished"]


def test_stop_before_the_thread_runs_builds_nothing(qtbot: QtBot) -> None:
    run = Runner(name="cancelled")
    built: list[Ticker] = []

    def open_loop() -> Ticker:
        built.append(Ticker(run.push))
        return built[-1]

    with qtbot.waitSignal(run.finished, timeout=TIMEOUT):
        run.start(open_loop, lambda loop: loop.run())
        run.stop()
    assert len(built) <= 1  # either never built, or built and shut down at once


def test_a_runner_starts_again_after_finishing_but_not_twice_at_once(qtbot: QtBot) -> None:
    run = Runner(name="again")
    for _ in range(3):
        run.start(lambda: Ticker(run.push), lambda loop: loop.run())
        with pytest.raises(RuntimeError):
            run.start(lambda: Ticker(run.push), lambda loop: loop.run())
        with qtbot.waitSignal(run.finished, timeout=TIMEOUT):
            run.stop()


def test_stop_all_stops_every_runner_within_two_seconds(qtbot: QtBot) -> None:
    runners = [Runner(name=f"ticker {i}") for i in range(4)]
    for run in runners:
        run.start(lambda run=run: Ticker(run.push), lambda loop: loop.run())
    qtbot.waitUntil(lambda: all(run.loop is not None for run in runners), timeout=TIMEOUT)
    assert len(runner.active_runners()) >= 4
    started = time.monotonic()
    assert runner.stop_all(2.0)
    assert time.monotonic() - started < 2.0
    assert runner.unfinished_threads() == []


def test_event_buffer_is_bounded_and_counts_what_it_drops() -> None:
    buffer = EventBuffer(limit=3)
    for item in range(5):
        buffer.push(item)
    assert buffer.dropped == 2
    assert buffer.drain() == [2, 3, 4]
    assert buffer.drain() == []


def test_event_buffer_is_thread_safe() -> None:
    buffer = EventBuffer(limit=1_000_000)
    drained: list[int] = []

    def produce() -> None:
        for item in range(20_000):
            buffer.push(item)

    threads = [threading.Thread(target=produce) for _ in range(4)]
    for thread in threads:
        thread.start()
    while any(thread.is_alive() for thread in threads):
        drained.extend(buffer.drain())
    for thread in threads:
        thread.join(WAIT)
    drained.extend(buffer.drain())
    assert len(drained) == 80_000


def test_a_fast_stream_is_merged_into_one_event_that_keeps_its_end() -> None:
    buffer = EventBuffer()
    stream = bytes(range(256)) * (4096 * 16)  # 16 MiB in 4 KiB chunks
    for offset in range(0, len(stream), 4096):
        buffer.push(Received(1.0 + offset, 7, "127.0.0.1:9", stream[offset : offset + 4096]))
        assert len(buffer) == 1 and buffer.payload_bytes <= RUN_KEEP + 4096
    [run] = buffer.drain()
    assert isinstance(run, ReceivedRun)
    assert (run.time, run.conn_id, run.peer) == (1.0, 7, "127.0.0.1:9")
    assert run.data == stream[-RUN_KEEP:] and run.size == len(stream)
    assert buffer.dropped == 0 and buffer.payload_bytes == 0


def test_only_consecutive_chunks_of_a_connection_merge() -> None:
    buffer = EventBuffer()
    one = Received(1.0, 1, "a", b"1")
    events = [
        one,
        Received(2.0, 2, "b", b"x"),
        Received(3.0, 1, "a", b"2"),  # merges with "1": nothing of connection 1 came between
        Sent(4.0, 1, "a", b"ping"),
        Received(5.0, 1, "a", b"3"),  # after the Sent: a new run
        Received(6.0, 2, "b", b"y"),
    ]
    for event in events:
        buffer.push(event)
    drained = buffer.drain()
    assert [(type(e).__name__, e.conn_id, e.data) for e in drained] == [
        ("ReceivedRun", 1, b"12"),
        ("ReceivedRun", 2, b"xy"),
        ("Sent", 1, b"ping"),
        ("Received", 1, b"3"),
    ]
    assert drained[3] is events[4]  # a lone chunk is handed on as it came
    assert (drained[0].time, drained[0].skipped) == (1.0, 0)


def test_event_buffer_is_bounded_in_bytes() -> None:
    buffer = EventBuffer(max_bytes=1024 * 1024)
    for index in range(1000):  # 64 MB of datagrams, pushed one by one and as tuples
        buffer.push(Datagram(float(index), "p", bytes(32 * 1024)))
        buffer.push_many([(float(index), "p", bytes(32 * 1024), False)], 32 * 1024)
        assert buffer.payload_bytes <= 1024 * 1024
    drained = buffer.drain()
    assert sum(len(d[2]) if isinstance(d, tuple) else len(d.data) for d in drained) <= 1024 * 1024
    assert buffer.dropped == 2000 - len(drained) and drained[-1][0] == 999.0


def _waiting_in(thread: threading.Thread, caller: str) -> bool:
    """Whether ``thread`` is asleep in a threading wait that ``caller`` (a function name) made."""
    frame = sys._current_frames().get(thread.ident or -1)
    names = []
    while frame is not None:
        names.append(frame.f_code.co_name)
        frame = frame.f_back
    return bool(names) and names[0] == "wait" and caller in names


def test_a_pushing_worker_waits_while_the_gui_shows_a_batch(qtbot: QtBot) -> None:
    buffer = EventBuffer(hold=WAIT)
    pushed = threading.Event()

    def worker() -> None:
        buffer.push_many([1, 2, 3])
        pushed.set()

    buffer.hold()
    buffer.push(0)  # the holding thread itself is never held
    thread = threading.Thread(target=worker)
    thread.start()
    try:
        # Held: asleep in push_many's wait, its batch already handed over, not yet returned.
        qtbot.waitUntil(lambda: _waiting_in(thread, "push_many"), timeout=TIMEOUT)
        assert not pushed.is_set()
    finally:
        buffer.release()
        thread.join(WAIT)
    assert pushed.is_set() and buffer.drain() == [0, 1, 2, 3]
    spent = EventBuffer(hold=0.0)
    spent.hold()  # and never released: the budget bounds the wait
    other = threading.Thread(target=spent.push, args=(1,))
    other.start()
    other.join(WAIT)
    assert not other.is_alive() and spent.drain() == [1]


def test_the_events_signal_hands_over_the_list_itself(qtbot: QtBot) -> None:
    run = Runner(name="tuples")
    batches = collect(run)
    rows = [(float(i), "p", b"x", False) for i in range(1000)]

    def burst(loop: Ticker) -> int:
        run.push_many(rows, 1000)
        return 0

    with qtbot.waitSignal(run.finished, timeout=TIMEOUT):
        run.start(lambda: Ticker(run.push), burst)
    assert [row for batch in batches for row in batch] == rows
    assert all(type(batch) is list for batch in batches)
