"""Exponential backoff with jitter, for reconnect loops: pure arithmetic, no sleeping and no sockets.

The loop that uses it waits with ``StoppableLoop.wait_stopped(backoff.next_delay())`` so a stop request
ends the wait at once.
"""

from __future__ import annotations

import random

from net._i18n import _

__all__ = ["Backoff"]


class Backoff:
    """Delays that grow by ``factor`` from ``initial`` up to ``maximum``, each spread by ``jitter``.

    The n-th delay (counting from 0) is ``min(maximum, initial * factor**n)``, multiplied by a random
    factor in ``[1 - jitter, 1 + jitter]`` and capped at ``maximum`` again, so many clients that lost
    the same server do not all come back in the same instant.

    Args:
        initial: the first delay in seconds (> 0).
        maximum: no delay is ever longer than this (>= initial).
        factor: growth per attempt (>= 1).
        jitter: relative spread, from 0 (none) to below 1.
        rng: the source of randomness; pass ``random.Random(seed)`` for repeatable delays.
    Raises:
        ValueError: a parameter outside the ranges above.
    """

    def __init__(
        self,
        initial: float = 1.0,
        maximum: float = 60.0,
        factor: float = 2.0,
        jitter: float = 0.2,
        *,
        rng: random.Random | None = None,
    ) -> None:
        if not initial > 0:
            raise ValueError(
                _("the first delay must be more than 0 seconds, not {initial!r}").format(
                    initial=initial
                )
            )
        if not maximum >= initial:
            raise ValueError(
                _("the longest delay ({maximum!r} s) is shorter than the first one").format(
                    maximum=maximum
                )
            )
        if not factor >= 1:
            raise ValueError(
                _("the growth factor must be at least 1, not {factor!r}").format(factor=factor)
            )
        if not 0 <= jitter < 1:
            raise ValueError(
                _("the jitter must be from 0 to below 1, not {jitter!r}").format(jitter=jitter)
            )
        self.initial = initial
        self.maximum = maximum
        self.factor = factor
        self.jitter = jitter
        self._rng = rng if rng is not None else random.Random()
        self._attempt = 0
        self._base = initial

    @property
    def attempt(self) -> int:
        """How many delays were handed out since the start or the last :meth:`reset`."""
        return self._attempt

    def next_delay(self) -> float:
        """The delay in seconds before the next attempt; each call counts one attempt."""
        base = self._base
        # Grow step by step rather than with factor**attempt, which overflows after ~1000 attempts.
        self._base = min(self.maximum, base * self.factor)
        self._attempt += 1
        if self.jitter:
            base *= 1 + self._rng.uniform(-self.jitter, self.jitter)
        return min(self.maximum, base)

    def reset(self) -> None:
        """Start again from ``initial`` (call it once a connection has succeeded)."""
        self._attempt = 0
        self._base = self.initial
