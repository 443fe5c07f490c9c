"""The relay's fault model, sans-IO: what to do with each chunk or datagram, and when.

Nothing here touches a socket or a clock of its own: callers pass ``now`` (``time.monotonic()``
seconds) and a ``random.Random``, so the decisions are testable in microseconds and repeatable with
a seed. net.relay applies them inside its selector loop (timers in the select timeout, no sleeps).
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, fields

from net._i18n import N_, _
from net.errors import AddressError

__all__ = ["TO_CLIENT", "TO_TARGET", "Faults", "TokenBucket", "datagram_fate"]

#: Direction of traffic from the client to the target ("->") and back ("<-").
TO_TARGET = "->"
TO_CLIENT = "<-"

# The longest a delay, jitter or pause may be (a day, in ms), and the largest byte counts.
_MAX_MS = 86_400_000.0
_MAX_BYTES = 1 << 50


@dataclass(frozen=True, slots=True)
class Faults:
    """How one direction of a relay misbehaves; the default misbehaves not at all.

    Attributes:
        delay_ms: every chunk or datagram leaves this many milliseconds after it arrived.
        jitter_ms: plus a uniformly random amount in [-jitter, +jitter] ms (never below 0). A TCP
            stream keeps its order (a chunk never leaves before the one read before it); UDP
            datagrams do not, so jitter alone may reorder them, as on a real network.
        rate: at most this many bytes per second (token bucket, ``0`` = unlimited).
        loss: percent of UDP datagrams dropped (0-100).
        duplicate: percent of UDP datagrams sent twice (0-100).
        reorder: percent of UDP datagrams held back and sent after the next one (0-100).
        slice_bytes: TCP: forward in pieces of at most this many bytes (``0`` = as read)...
        slice_pause_ms: ...with this pause after each piece.
        reset_after: TCP: after this many bytes have gone this way, reset both connections
            (RST, via SO_LINGER 0); ``0`` = never.
        stall: forward nothing this way (TCP: keep reading until the buffer is full, then
            backpressure; UDP: datagrams wait in the bounded queue) while the connections stay up.
    Raises:
        AddressError: a value out of range (it is user input: the CLI exits 2 for it).
    """

    delay_ms: float = 0.0
    jitter_ms: float = 0.0
    rate: int = 0
    loss: float = 0.0
    duplicate: float = 0.0
    reorder: float = 0.0
    slice_bytes: int = 0
    slice_pause_ms: float = 0.0
    reset_after: int = 0
    stall: bool = False

    def __post_init__(self) -> None:
        for name, what in (
            ("delay_ms", N_("the delay in ms")),
            ("jitter_ms", N_("the jitter in ms")),
            ("slice_pause_ms", N_("the slice pause in ms")),
        ):
            _check_range(getattr(self, name), 0.0, _MAX_MS, what)
        for name, what in (
            ("loss", N_("the loss percentage")),
            ("duplicate", N_("the duplication percentage")),
            ("reorder", N_("the reorder percentage")),
        ):
            _check_range(getattr(self, name), 0.0, 100.0, what)
        for name, what in (
            ("rate", N_("the rate in bytes per second")),
            ("slice_bytes", N_("the slice size in bytes")),
            ("reset_after", N_("the byte count for a reset")),
        ):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int):
                raise AddressError(
                    _("{what} must be a whole number, not {value!r}").format(
                        what=_(what), value=value
                    )
                )
            _check_range(value, 0, _MAX_BYTES, what)

    @property
    def delays(self) -> bool:
        """True when chunks wait (delay or jitter) before they go."""
        return self.delay_ms > 0 or self.jitter_ms > 0

    @property
    def shapes(self) -> bool:
        """True when anything besides plain forwarding applies to a TCP stream."""
        return bool(self.delays or self.rate or self.slice_bytes or self.reset_after or self.stall)

    def due(self, now: float, rng: random.Random) -> float:
        """When something that arrived at ``now`` may leave (seconds, monotonic)."""
        delay = self.delay_ms
        if self.jitter_ms:
            delay += rng.uniform(-self.jitter_ms, self.jitter_ms)
        return now + max(0.0, delay) / 1000.0

    def changed(self, **changes: object) -> Faults:
        """A copy with some fields changed (checked like a new one)."""
        values = {f.name: getattr(self, f.name) for f in fields(self)}
        values.update(changes)
        return Faults(**values)


def _check_range(value: float, low: float, high: float, what: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float) or math.isnan(value):
        raise AddressError(
            _("{what} must be a number, not {value!r}").format(what=_(what), value=value)
        )
    if not low <= value <= high:
        raise AddressError(
            _("{what} must be from {low:g} to {high:g}, not {value:g}").format(
                what=_(what), low=low, high=high, value=value
            )
        )


def datagram_fate(faults: Faults, rng: random.Random) -> tuple[bool, bool, bool]:
    """Decide one UDP datagram's fate: (dropped, duplicated, held back for reordering).

    Each percentage is an independent draw from ``rng``, in a fixed order (loss, then
    duplication, then reordering), so a seeded run repeats exactly. A dropped datagram draws
    nothing more.
    """
    if faults.loss and rng.random() * 100.0 < faults.loss:
        return True, False, False
    duplicated = bool(faults.duplicate) and rng.random() * 100.0 < faults.duplicate
    held = bool(faults.reorder) and rng.random() * 100.0 < faults.reorder
    return False, duplicated, held


class TokenBucket:
    """A bandwidth limit of ``rate`` bytes per second (the token bucket of RFC 2697, one rate).

    Tokens accrue at ``rate`` per second up to ``burst``; sending ``n`` bytes spends ``n`` tokens
    and may drive the balance below zero (a debt the next bytes wait out), so a datagram or a
    slice larger than the burst still goes, and the long-run rate stays exact.
    """

    __slots__ = ("_stamp", "_tokens", "burst", "rate")

    def __init__(self, rate: int, now: float) -> None:
        self.rate = rate
        # 20 ms worth of bytes: small enough that a 4 s transfer is off by under 1 %.
        self.burst = max(1.0, rate / 50.0)
        self._tokens = self.burst
        self._stamp = now

    def _refill(self, now: float) -> None:
        if now > self._stamp:
            self._tokens = min(self.burst, self._tokens + (now - self._stamp) * self.rate)
            self._stamp = now

    def ready(self, now: float) -> bool:
        """True when bytes may go now (the balance is positive)."""
        self._refill(now)
        return self._tokens > 0

    def allowance(self, now: float) -> int:
        """Bytes a stream may send now without going into debt (at least 1 when ready)."""
        self._refill(now)
        return max(0, math.ceil(self._tokens))

    def spend(self, nbytes: int) -> None:
        self._tokens -= nbytes

    def next_ready(self, now: float) -> float:
        """When the balance will be positive again (monotonic seconds; ``now`` if it is)."""
        self._refill(now)
        if self._tokens > 0:
            return now
        return now + (1.0 - self._tokens) / self.rate
