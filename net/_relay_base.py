"""What net.relay's TCP and UDP relays share: faults per direction, exact counters, the timer heap
(delays, rates and deadlines live in the select timeout, never in a sleep) and requests from other
threads (close a connection, new faults)."""

from __future__ import annotations

import heapq
import itertools
import random
import selectors
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

from net._faults import TO_CLIENT, TO_TARGET, Faults
from net._i18n import _
from net._loop import StoppableLoop, selector_capacity
from net.address import format_peer, parse_host, parse_port, resolve
from net.events import RelayCounters, RelayEvent

__all__ = ["DIRECTIONS", "LISTENER", "SWEEP", "RelayConnection", "RelayEvent", "RelayLoop"]


DIRECTIONS: Final = (TO_TARGET, TO_CLIENT)
#: The selector key of a listening socket.
LISTENER = object()
#: The timer-heap item of a periodic sweep (idle connections, expired mappings).
SWEEP = object()


@dataclass(frozen=True, slots=True)
class RelayConnection:
    """One relayed connection (TCP) or client mapping (UDP), as ``connections()`` lists it."""

    conn_id: int
    client: str
    target: str
    since: float  # time.time()
    bytes_to_target: int
    bytes_to_client: int


class _Counter:
    __slots__ = ("bytes", "chunks", "direction", "dropped", "duplicated")

    def __init__(self, direction: str) -> None:
        self.direction = direction
        self.bytes = self.chunks = self.dropped = self.duplicated = 0

    def snapshot(self) -> RelayCounters:
        return RelayCounters(self.direction, self.bytes, self.chunks, self.dropped, self.duplicated)


class RelayLoop(StoppableLoop):
    """What both relays share: faults per direction, counters, the timer heap, requests."""

    def __init__(
        self,
        target_host: str,
        target_port: int | str,
        *,
        kind: socket.SocketKind,
        resolve_timeout: float,
        max_clients: int,
        sockets_per_client: int,
        on_event: Callable[[RelayEvent], None] | None,
        faults: Faults | None,
        seed: int | None,
    ) -> None:
        """Check and resolve the target (once, here) and cap the clients at what the platform's
        selector can watch, ``sockets_per_client`` sockets each.

        Raises:
            AddressError: a bad host or port, or a target name that does not resolve.
        """
        self._target_host = parse_host(target_host)
        self._target_port = parse_port(target_port)
        self._endpoints = resolve(
            self._target_host, self._target_port, kind=kind, timeout=resolve_timeout
        )
        super().__init__()
        cap = selector_capacity()
        limit = max_clients if cap is None else min(max_clients, cap // sockets_per_client)
        self.max_clients = max(1, limit)
        self._on_event = on_event
        base = faults if faults is not None else Faults()
        self._faults: dict[str, Faults] = {TO_TARGET: base, TO_CLIENT: base}
        self._down = False
        self._random = random.Random(seed)
        self._counters = {d: _Counter(d) for d in DIRECTIONS}
        self._timers: list[tuple[float, int, Any]] = []
        self._timer_ids = itertools.count()
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self._requests: list[tuple[int, bool]] = []  # (conn_id, reset) to close
        self._faults_changed = False
        self._selector: selectors.BaseSelector | None = None
        self._started = False

    def _listen(self, open_listener: Callable[[], socket.socket]) -> None:
        """Open the relay's listening socket with ``open_listener``; sets :attr:`port` and
        :attr:`address` (see :meth:`_opening`).

        Raises:
            AddressError, BindError: as ``open_listener`` does.
        """
        self._listener = self._opening(open_listener)
        self.port: int = int(self._listener.getsockname()[1])
        self.address: str = format_peer((self._listener.getsockname()[0], self.port))

    def run(self) -> None:
        """Relay until :meth:`shutdown`; then every connection (TCP) or client mapping (UDP) is
        closed and the port released. A relay runs once.

        Raises:
            RuntimeError: it ran before.
        """
        if self._started:
            raise RuntimeError(f"a {type(self).__name__} runs once; make a new one to start again")
        self._started = True
        self._selector = selector = self.new_selector()
        try:
            if not self.stopping:
                selector.register(self._listener, selectors.EVENT_READ, LISTENER)
                self._on_start()
                self._run(selector)
        finally:
            self._end_all(_("the relay stopped"))
            self._selector = None
            selector.close()
            self._listener.close()

    def close(self) -> None:
        if hasattr(self, "_listener"):
            self._listener.close()
        super().close()

    # ---- any thread ----------------------------------------------------------------------------

    def faults(self, direction: str) -> Faults:
        """The faults applied now to ``direction`` ("->" or "<-")."""
        return self._faults[_check_direction(direction)]

    def set_faults(self, faults: Faults, direction: str | None = None) -> None:
        """Apply ``faults`` to one direction ("->", "<-") or, with None, both; thread-safe, at once.

        Data already waiting meets the new rate, slicing, stall and reset limits from now on; it
        keeps the time it was given to leave (a delay applies to what arrives after the change).

        Raises:
            ValueError: an unknown direction.
        """
        with self._lock:
            for d in DIRECTIONS if direction is None else (_check_direction(direction),):
                self._faults[d] = faults
            self._faults_changed = True
        self._waker.wake()

    @property
    def down(self) -> bool:
        """True while the relay refuses new connections (TCP) or drops every datagram (UDP)."""
        return self._down

    def set_down(self, down: bool) -> None:
        """Take the relay down (or up again) while running; thread-safe. Connections already
        relayed stay up (close them with :meth:`close_connection`)."""
        self._down = bool(down)

    def close_connection(self, conn_id: int, *, reset: bool = False) -> None:
        """Close one relayed connection (TCP: both sides, with RST if ``reset``) or forget one UDP
        client mapping; thread-safe. Unknown ids are ignored."""
        with self._lock:
            self._requests.append((conn_id, reset))
        self._waker.wake()

    def counters(self) -> dict[str, RelayCounters]:
        """Totals per direction ("->", "<-") since the start; thread-safe snapshot."""
        return {d: c.snapshot() for d, c in self._counters.items()}

    # ---- the loop's thread ---------------------------------------------------------------------

    def _schedule(self, when: float, item: Any) -> None:
        heapq.heappush(self._timers, (when, next(self._timer_ids), item))

    def _run(self, selector: selectors.BaseSelector) -> None:
        timers = self._timers
        while not self.stopping:
            now = time.monotonic()
            while timers and timers[0][0] <= now:
                self._on_timer(heapq.heappop(timers)[2], now)
            if self.stopping:
                break
            timeout = self._select_timeout()
            if timeout is None and timers:
                timeout = max(0.0, timers[0][0] - time.monotonic())
            for key, mask in selector.select(timeout):
                if key.data is self._waker:
                    self._waker.drain()
                else:
                    self._on_ready(key.data, mask)
            self._after_select()
            if self._requests or self._faults_changed:
                with self._lock:
                    requests, self._requests = self._requests, []
                    changed, self._faults_changed = self._faults_changed, False
                for conn_id, reset in requests:
                    self._close_request(conn_id, reset)
                if changed:
                    self._refresh()

    def _on_start(self) -> None:
        """The loop starts (timers that run from the start are set here)."""

    def _end_all(self, reason: str) -> None:
        """The loop ends: close every connection or mapping, saying ``reason``."""
        raise NotImplementedError

    def _select_timeout(self) -> float | None:
        return None

    def _after_select(self) -> None:
        pass

    def _on_timer(self, item: Any, now: float) -> None:
        raise NotImplementedError

    def _on_ready(self, target: Any, mask: int) -> None:
        raise NotImplementedError

    def _close_request(self, conn_id: int, reset: bool) -> None:
        raise NotImplementedError

    def _refresh(self) -> None:
        """Faults changed: let everything waiting look at them again."""
        raise NotImplementedError

    def _emit(self, event: RelayEvent) -> None:
        if self._on_event is not None:
            self._on_event(event)


def _check_direction(direction: str) -> str:
    if direction not in DIRECTIONS:
        raise ValueError(
            _("unknown direction {direction!r} (-> or <-)").format(direction=direction)
        )
    return direction
