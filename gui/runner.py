"""Run one blocking net loop on a QThread and bring its results back to the GUI thread in batches.

The wiring follows Qt's worker-object pattern (design.md, "gui: how a worker wraps a loop"):

* a :class:`_Worker` is moved to a fresh QThread; ``started → run``; ``finished → quit``;
  ``thread.finished → deleteLater``; the worker itself is freed on the GUI thread once its thread
  has finished (see :meth:`Runner.start` for why not with ``deleteLater`` on its own thread);
* the net object is built *inside* the worker thread (``open``), because building one may resolve
  a host name, which can take seconds;
* :meth:`Runner.stop` calls the net object's ``shutdown()`` directly from the GUI thread: a queued
  signal would wait for the worker's event loop, which is busy inside ``run()`` until it ends;
* net callbacks hand events to :meth:`Runner.push` (thread-safe, cheap); a QTimer drains them about
  25 times a second and emits them as one list, so a flood costs the GUI a few updates a second;
* the hand-over buffer is bounded in events and in payload bytes, and merges a connection's
  consecutive received chunks into one event that keeps only their latest bytes, so a fast TCP
  stream costs the GUI one event per connection per batch, whatever its speed (counters come from
  the net objects, never from here);
* while the GUI thread takes a batch in (and the log paints it), a worker that pushes waits, for
  15 ms at most: a worker in a tight Python loop would otherwise make the GUI thread wait for the
  GIL at each of the hundreds of calls into Python that painting a table makes;
* errors arrive as sentences on their own signal, never as tracebacks.

A module-level registry keeps every thread in flight alive (a QThread destroyed while running aborts
the process) and lets the main window stop them all with :func:`stop_all`.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from operator import attrgetter
from typing import Any, Protocol

import shiboken6
from PySide6.QtCore import QCoreApplication, QObject, Qt, QThread, QTimer, Signal, Slot

from net.errors import NetError
from net.events import Disconnected, Received, ReceivedRun

__all__ = [
    "BUFFER_BYTES",
    "DRAIN_INTERVAL_MS",
    "RUN_KEEP",
    "EventBuffer",
    "ReceivedRun",
    "Runner",
    "Stoppable",
    "active_runners",
    "stop_all",
    "unfinished_threads",
]

log = logging.getLogger(__name__)

#: How often the GUI collects events from a running worker (about 25 Hz).
DRAIN_INTERVAL_MS = 40


class Stoppable(Protocol):
    """What a runner needs from a net object: a thread-safe ``shutdown()`` and a ``close()``."""

    def shutdown(self) -> None: ...

    def close(self) -> None: ...


#: Payload bytes a merged run of received chunks keeps: its latest ones (the rest is only counted).
#: Megabytes, so that a burst reaches the log whole (the log keeps a row's bytes in full).
RUN_KEEP = 4 * 1024 * 1024
#: Payload bytes (``data`` of the events) the hand-over buffer holds at most.
BUFFER_BYTES = 32 * 1024 * 1024
#: How long a worker that pushes may be held back while the GUI thread shows a batch, in seconds.
HOLD_BUDGET = 0.015

_data_of = attrgetter("data")


class _Run:
    """A run being merged: the first chunk, and the latest chunks up to RUN_KEEP bytes."""

    __slots__ = ("first", "kept", "parts", "skipped")

    def __init__(self, first: Received) -> None:
        self.first = first
        self.parts: deque[bytes] = deque((first.data,))
        self.kept = len(first.data)
        self.skipped = 0

    def add(self, data: bytes) -> int:
        """Merge one more chunk; returns the change in bytes kept."""
        before = self.kept
        self.parts.append(data)
        self.kept += len(data)
        parts = self.parts
        while self.kept - len(parts[0]) >= RUN_KEEP:
            dropped = len(parts.popleft())
            self.kept -= dropped
            self.skipped += dropped
        return self.kept - before

    def event(self) -> Received | ReceivedRun:
        first = self.first
        if len(self.parts) == 1 and not self.skipped:
            return first  # one chunk: handed on as it came
        data = b"".join(self.parts)
        skipped = self.skipped
        if len(data) > RUN_KEEP:
            skipped += len(data) - RUN_KEEP
            data = data[-RUN_KEEP:]
        return ReceivedRun(first.time, first.conn_id, first.peer, data, skipped)


def _size(item: Any) -> int:
    """Payload bytes of an event: its ``data``, or the third field of a tuple (a DatagramRow)."""
    if type(item) is _Run:
        return item.kept
    if type(item) is tuple:
        data = item[2] if len(item) > 2 else None
    else:
        data = getattr(item, "data", None)
    return len(data) if isinstance(data, bytes | bytearray) else 0


class EventBuffer:
    """A bounded, thread-safe hand-over list: net threads push, the GUI thread drains.

    Bounded twice: at most ``limit`` events and ``max_bytes`` bytes of payload (the ``data`` of
    the events). When the GUI falls behind, the oldest events are dropped (and counted): the
    visible log is bounded anyway, and counters never come from here.

    A :class:`~net.events.Received` chunk is merged into the connection's previous chunk when no
    other event of that connection came between them; a merged run keeps its latest
    :data:`RUN_KEEP` bytes and is drained as one :class:`ReceivedRun`. So a connection streaming
    a GiB costs one event per drain and at most RUN_KEEP bytes here.
    """

    def __init__(
        self, limit: int = 200_000, *, max_bytes: int = BUFFER_BYTES, hold: float = HOLD_BUDGET
    ) -> None:
        self._items: deque[Any] = deque()
        self._limit = max(1, limit)
        self._max_bytes = max(1, max_bytes)
        self._bytes = 0
        self._runs: dict[int, _Run] = {}  # connection -> its run still open for merging
        # connection -> bytes of its runs dropped by _trim: the next run says they are missing
        # (its ``skipped``), so the log knows the stream has a gap (a framer must start over).
        self._lost: dict[int, int] = {}
        self._run_items = 0  # _Run objects among the items (drain turns them into events)
        self._lock = threading.Lock()
        self.dropped = 0
        self._open = threading.Event()
        self._open.set()
        self._hold = hold
        self._held_at = 0.0
        self._holder = 0  # the thread that holds the others back (never held itself)

    # -- backpressure: the GUI thread holds workers back while it shows a batch ------------------

    def hold(self) -> None:
        """GUI thread: from now until :meth:`release`, a worker that pushes waits (briefly).

        A worker in a tight Python loop (a UDP flood) and the GUI thread otherwise fight over
        the GIL call by call: the view calls into Python for every role of every cell it paints,
        and each of those calls waits for the worker to let go. Held back, the worker sleeps in
        a wait (the GIL free) until :meth:`release`, but no longer than ``hold`` seconds after
        this call, while the socket's own buffer keeps what arrives meanwhile.
        """
        self._holder = threading.get_ident()
        self._held_at = time.monotonic()
        self._open.clear()

    def release(self) -> None:
        self._open.set()

    def _wait_if_held(self) -> None:
        if not self._open.is_set() and threading.get_ident() != self._holder:
            left = self._held_at + self._hold - time.monotonic()
            if left > 0:
                self._open.wait(left)

    # -- the hand-over ---------------------------------------------------------------------------

    def push(self, item: Any) -> None:
        with self._lock:
            self._push(item)
        self._wait_if_held()

    def _push(self, item: Any) -> None:
        if type(item) is Received:
            run = self._runs.get(item.conn_id)
            if run is not None:
                self._bytes += run.add(item.data)
                self._trim()
                return
            run = self._runs[item.conn_id] = _Run(item)
            run.skipped = self._lost.pop(item.conn_id, 0)
            self._run_items += 1
            self._bytes += run.kept
            item = run
        else:
            conn_id = getattr(item, "conn_id", None)
            if conn_id is not None:
                self._runs.pop(conn_id, None)  # what follows comes after this event
                if type(item) is Disconnected:
                    self._lost.pop(conn_id, None)
            self._bytes += _size(item)
        self._items.append(item)
        self._trim()

    def push_many(self, items: Iterable[Any], nbytes: int | None = None) -> None:
        """Push several events at once, under one lock (a batch of datagrams, say).

        Args:
            nbytes: their payload bytes, if the caller knows them (plain tuples have no ``data``
                to measure); such items are never merged.
        """
        batch = items if isinstance(items, list) else list(items)
        if not batch:
            return
        if nbytes is None:
            kinds = set(map(type, batch))
            if any(kind is Received or hasattr(kind, "conn_id") for kind in kinds):
                with self._lock:
                    for item in batch:  # connection events: merged or closing a run, one by one
                        self._push(item)
                self._wait_if_held()
                return
            try:
                nbytes = sum(map(len, map(_data_of, batch)))  # all in C for datagrams
            except (AttributeError, TypeError):
                nbytes = sum(map(_size, batch))
        with self._lock:
            self._items.extend(batch)
            self._bytes += nbytes
            self._trim()
        self._wait_if_held()

    def _trim(self) -> None:
        items = self._items
        while len(items) > self._limit or (self._bytes > self._max_bytes and len(items) > 1):
            item = items.popleft()
            self.dropped += 1
            self._bytes -= _size(item)
            if type(item) is _Run:
                self._run_items -= 1
                conn_id = item.first.conn_id
                self._lost[conn_id] = self._lost.get(conn_id, 0) + item.kept + item.skipped
                if self._runs.get(item.first.conn_id) is item:
                    del self._runs[item.first.conn_id]

    def drain(self) -> list[Any]:
        with self._lock:
            if not self._items:
                return []
            items = list(self._items)
            self._items.clear()
            runs = self._run_items
            self._runs.clear()
            self._run_items = self._bytes = 0
        if runs:
            return [item.event() if type(item) is _Run else item for item in items]
        return items

    @property
    def payload_bytes(self) -> int:
        """Payload bytes held now."""
        with self._lock:
            return self._bytes

    def __len__(self) -> int:
        with self._lock:
            return len(self._items)


class _Job:
    """State shared by the GUI thread and one worker thread (everything here is thread-safe)."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.lock = threading.Lock()
        self.loop: Stoppable | None = None
        self.stop_requested = False
        self.thread_done = threading.Event()
        # Strong references until the thread is known to be finished (see module docstring).
        self.thread: QThread | None = None
        self.worker: _Worker | None = None

    def stop(self) -> None:
        with self.lock:
            self.stop_requested = True
            loop = self.loop
        if loop is not None:
            loop.shutdown()

    def wait(self, timeout: float) -> bool:
        if not self.thread_done.wait(max(0.0, timeout)):
            return False
        thread = self.thread
        # thread.finished is emitted a moment before the thread really ends; wait for that too.
        if thread is not None and shiboken6.isValid(thread):
            return bool(thread.wait(max(1, int(timeout * 1000))))
        return True

    def finished(self) -> bool:
        thread = self.thread
        if thread is not None and shiboken6.isValid(thread):
            return bool(thread.isFinished())
        return self.thread_done.is_set()


class _RunSignals(QObject):
    """How a run reports, from the worker to the runner and from the runner to its panel: the
    net object once built, what its loop returned, a failure's sentence, the end."""

    opened = Signal(object)
    returned = Signal(object)
    failed = Signal(str)
    finished = Signal()


class _Worker(_RunSignals):
    """Lives in the worker thread; builds the net object, runs it, reports how it went."""

    def __init__(
        self,
        job: _Job,
        open_loop: Callable[[], Stoppable],
        run_loop: Callable[[Any], object],
    ) -> None:
        super().__init__()
        self._job = job
        self._open = open_loop
        self._run = run_loop

    @Slot()
    def run(self) -> None:
        loop: Stoppable | None = None
        try:
            with self._job.lock:
                cancelled = self._job.stop_requested
            if cancelled:
                return
            loop = self._open()
            with self._job.lock:
                self._job.loop = loop
                cancelled = self._job.stop_requested
            self.opened.emit(loop)
            if cancelled:
                loop.shutdown()  # run() then returns at once
            self.returned.emit(self._run(loop))
        except NetError as exc:
            self.failed.emit(str(exc))
        except OSError as exc:
            log.warning("%s: unexpected OSError", self._job.name, exc_info=True)
            self.failed.emit(
                QCoreApplication.translate("Runner", "network error: {reason}").format(
                    reason=exc.strerror or exc
                )
            )
        except Exception as exc:  # never let a bug kill the thread silently or reach the user raw
            log.exception("%s failed", self._job.name)
            self.failed.emit(
                QCoreApplication.translate("Runner", "internal error ({kind}): {reason}").format(
                    kind=type(exc).__name__, reason=exc
                )
            )
        finally:
            if loop is not None:
                try:
                    loop.close()
                except Exception:
                    log.exception("%s: close() failed", self._job.name)
            self.finished.emit()


# Jobs whose thread may still be running. Holding them here keeps the QThread wrappers alive even
# if the panel that started them is destroyed first.
_jobs: set[_Job] = set()
_runners: set[Runner] = set()


class Runner(_RunSignals):
    """Runs one net loop at a time on its own QThread; lives in (and signals on) the GUI thread.

    Signals:
        opened(object): the net object, once built (bound, resolved), before it runs.
        events(object): a list of the events pushed since the last batch, oldest first, about 25
            times a second. (A list would be converted to a QVariantList, item by item.)
        returned(object): what ``run_loop`` returned, when it returned normally.
        failed(str): a sentence saying what went wrong (building or running).
        finished(): the run is over (after the last batch); Start may be enabled again.
    """

    events = Signal(object)  # the other signals are _RunSignals'

    def __init__(
        self,
        parent: QObject | None = None,
        *,
        name: str = "worker",
        interval_ms: int = DRAIN_INTERVAL_MS,
        buffer_limit: int = 200_000,
        buffer_bytes: int = BUFFER_BYTES,
    ) -> None:
        super().__init__(parent)
        self._name = name
        self._buffer = EventBuffer(buffer_limit, max_bytes=buffer_bytes)
        self._job: _Job | None = None
        self._loop: Stoppable | None = None
        self._started_at = 0.0
        self._timer = QTimer(self)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self._drain)
        _runners.add(self)

    # -- the panel's side -------------------------------------------------------------------

    @property
    def running(self) -> bool:
        """True from :meth:`start` until ``finished`` is emitted."""
        return self._job is not None

    @property
    def loop(self) -> Any:
        """The net object of the current run once ``opened`` was emitted, else None."""
        return self._loop

    @property
    def dropped(self) -> int:
        """Events dropped because the GUI fell more than ``buffer_limit`` events (or
        ``buffer_bytes`` of payload) behind."""
        return self._buffer.dropped

    @property
    def started_at(self) -> float:
        return self._started_at

    def start(self, open_loop: Callable[[], Stoppable], run_loop: Callable[[Any], object]) -> None:
        """Build the net object with ``open_loop()`` and call ``run_loop(obj)``, on a new thread.

        Both callables run on the worker thread; net callbacks should call :meth:`push`.
        Raises:
            RuntimeError: a run is already in flight.
        """
        if self._job is not None:
            raise RuntimeError(f"{self._name} is already running")
        self._buffer.drain()
        job = _Job(self._name)
        thread = QThread()
        thread.setObjectName(self._name)
        worker = _Worker(job, open_loop, run_loop)
        worker.moveToThread(thread)
        job.thread, job.worker = thread, worker

        thread.started.connect(worker.run)
        # Direct: quit() is thread-safe, and the GUI thread may be blocked in wait() on close.
        worker.finished.connect(thread.quit, Qt.ConnectionType.DirectConnection)
        # No worker.deleteLater: destroyed on its own thread, a QObject's destructor holds Qt's
        # connection mutex while it asks for the GIL, and the GUI thread may hold the GIL while
        # it waits for that mutex (setStyleSheet, connect): a deadlock seen in the GUI tests.
        # The job keeps the worker until its thread has finished; then Python frees it here.
        thread.finished.connect(job.thread_done.set, Qt.ConnectionType.DirectConnection)
        thread.finished.connect(thread.deleteLater)
        worker.opened.connect(self._on_opened)
        worker.returned.connect(self._on_returned)
        worker.failed.connect(self._on_failed)
        worker.finished.connect(self._on_finished)

        self._job = job
        self._loop = None
        self._started_at = time.monotonic()
        _jobs.add(job)
        self._timer.start()
        thread.start()

    def push(self, event: Any) -> None:
        """Hand one event to the GUI; safe from any thread, cheap enough for every datagram."""
        self._buffer.push(event)

    def push_many(self, events: Iterable[Any], nbytes: int | None = None) -> None:
        """Hand several events to the GUI at once (a batch of datagrams); safe from any thread.

        ``nbytes``: their payload bytes, when the events are plain tuples (see
        :meth:`EventBuffer.push_many`).
        """
        self._buffer.push_many(events, nbytes)

    def stop(self) -> None:
        """Ask the net loop to end, at once, from the GUI thread; ``finished`` follows."""
        if self._job is not None:
            self._job.stop()

    def wait(self, timeout: float) -> bool:
        """Block until the current thread has ended, at most ``timeout`` s; True if it has."""
        job = self._job
        return True if job is None else job.wait(timeout)

    # -- internals ---------------------------------------------------------------------------

    @Slot(object)
    def _on_opened(self, loop: Stoppable) -> None:
        self._loop = loop
        self.opened.emit(loop)

    @Slot()
    def _drain(self) -> None:
        items = self._buffer.drain()
        if items:
            # Workers hold off while the panels take the batch in (and paint it: the log paints
            # at once), so that the GUI thread does not wait for the GIL at every Python call.
            self._buffer.hold()
            try:
                self.events.emit(items)
            finally:
                self._buffer.release()

    # The last events come before the outcome, so a panel's summary counts everything.
    @Slot(object)
    def _on_returned(self, value: object) -> None:
        self._drain()
        self.returned.emit(value)

    @Slot(str)
    def _on_failed(self, message: str) -> None:
        self._drain()
        self.failed.emit(message)

    @Slot()
    def _on_finished(self) -> None:
        self._timer.stop()
        self._drain()
        self._job = None
        _purge()  # frees the workers of runs whose threads have ended, on this (GUI) thread
        self.finished.emit()


def active_runners() -> list[Runner]:
    """Runners with a run in flight."""
    return [r for r in list(_runners) if shiboken6.isValid(r) and r.running]


def stop_all(timeout: float = 2.0) -> bool:
    """Stop every run in flight and wait for all their threads, at most ``timeout`` s in total.

    Returns:
        True if every worker thread has finished.
    """
    jobs = list(_jobs)
    for job in jobs:
        job.stop()
    deadline = time.monotonic() + timeout
    all_done = True
    for job in jobs:
        if job.wait(deadline - time.monotonic()):
            _jobs.discard(job)
        else:
            log.warning("%s did not stop within %.1f s", job.name, timeout)
            all_done = False
    _purge()
    return all_done


def unfinished_threads() -> list[str]:
    """Names of worker threads that have not finished (for tests and shutdown diagnostics)."""
    _purge()
    return [job.name for job in _jobs if not job.finished()]


def _purge() -> None:
    for job in list(_jobs):
        if job.finished():
            _jobs.discard(job)
    for runner in list(_runners):
        if not shiboken6.isValid(runner):
            _runners.discard(runner)
