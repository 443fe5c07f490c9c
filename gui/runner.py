"""Run one blocking net loop on a QThread and bring its results back to the GUI thread in batches.

The wiring follows Qt's worker-object pattern (design.md, "gui: how a worker wraps a loop"):

* a :class:`_Worker` is moved to a fresh QThread; ``started → run``; ``finished → quit`` and
  ``deleteLater``; ``thread.finished → deleteLater``;
* the net object is built *inside* the worker thread (``open``), because building one may resolve
  a host name, which can take seconds;
* :meth:`Runner.stop` calls the net object's ``shutdown()`` directly from the GUI thread: a queued
  signal would wait for the worker's event loop, which is busy inside ``run()`` until it ends;
* net callbacks hand events to :meth:`Runner.push` (thread-safe, cheap); a QTimer drains them about
  25 times a second and emits them as one list, so a flood costs the GUI a few updates a second;
* errors arrive as sentences on their own signal, never as tracebacks.

A module-level registry keeps every thread in flight alive (a QThread destroyed while running aborts
the process) and lets the main window stop them all with :func:`stop_all`.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Any, Protocol

import shiboken6
from PySide6.QtCore import QCoreApplication, QObject, Qt, QThread, QTimer, Signal, Slot

from net.errors import NetError

__all__ = [
    "DRAIN_INTERVAL_MS",
    "EventBuffer",
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


class EventBuffer:
    """A bounded, thread-safe hand-over list: net threads push, the GUI thread drains.

    When the GUI falls behind, the oldest events are dropped (and counted): the visible log is
    bounded anyway, and counters never come from here.
    """

    def __init__(self, limit: int = 200_000) -> None:
        self._items: deque[Any] = deque(maxlen=max(1, limit))
        self._lock = threading.Lock()
        self.dropped = 0

    def push(self, item: Any) -> None:
        with self._lock:
            if len(self._items) == self._items.maxlen:
                self.dropped += 1
            self._items.append(item)

    def drain(self) -> list[Any]:
        with self._lock:
            if not self._items:
                return []
            items = list(self._items)
            self._items.clear()
        return items

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


class _Worker(QObject):
    """Lives in the worker thread; builds the net object, runs it, reports how it went."""

    opened = Signal(object)
    returned = Signal(object)
    failed = Signal(str)
    finished = Signal()

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


class Runner(QObject):
    """Runs one net loop at a time on its own QThread; lives in (and signals on) the GUI thread.

    Signals:
        opened(object): the net object, once built (bound, resolved), before it runs.
        events(list): events pushed since the last batch, oldest first, about 25 times a second.
        returned(object): what ``run_loop`` returned, when it returned normally.
        failed(str): a sentence saying what went wrong (building or running).
        finished(): the run is over (after the last batch); Start may be enabled again.
    """

    opened = Signal(object)
    events = Signal(list)
    returned = Signal(object)
    failed = Signal(str)
    finished = Signal()

    def __init__(
        self,
        parent: QObject | None = None,
        *,
        name: str = "worker",
        interval_ms: int = DRAIN_INTERVAL_MS,
        buffer_limit: int = 200_000,
    ) -> None:
        super().__init__(parent)
        self._name = name
        self._buffer = EventBuffer(buffer_limit)
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
        """Events dropped because the GUI fell more than ``buffer_limit`` events behind."""
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
        worker.finished.connect(worker.deleteLater)
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
            self.events.emit(items)

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
