"""Round-trip times of request/reply traffic: from a send to the first reply after it, in ms."""

from __future__ import annotations

from net._i18n import _

__all__ = ["RoundTrips"]


class RoundTrips:
    """Pairs each send with the first reply that follows it and keeps the times, in ms.

    Only the first reply after a send counts: later ones (a second line, a burst) belong to the
    same round trip. Times are wall-clock stamps of the events (``time.time()``, seconds).
    """

    def __init__(self) -> None:
        self._sent_at: float | None = None
        self.times_ms: list[float] = []

    def sent(self, when: float) -> None:
        """A request left at ``when`` (seconds); the next reply ends its round trip."""
        self._sent_at = when

    def replied(self, when: float) -> float | None:
        """The round-trip time in ms when this is the first reply since a send, else None."""
        if self._sent_at is None:
            return None
        # time.time() may step backwards (NTP): a round trip is never negative.
        rtt_ms = max(0.0, (when - self._sent_at) * 1000.0)
        self._sent_at = None
        self.times_ms.append(rtt_ms)
        return rtt_ms

    def reset(self) -> None:
        """Forget every time (a new run)."""
        self._sent_at = None
        self.times_ms.clear()

    def spread(self) -> tuple[float, float, float] | None:
        """(min, median, max) of the times in ms; None before the first reply."""
        if not self.times_ms:
            return None
        import statistics  # only when asked: the CLI's socket commands start without it

        times = self.times_ms
        return min(times), statistics.median(times), max(times)

    def summary(self) -> str:
        """``", rtt min/median/max 0.1/0.2/0.3 ms"`` (empty when no reply came)."""
        spread = self.spread()
        if spread is None:
            return ""
        low, mid, high = spread
        return _(", rtt min/median/max {low:.3f}/{mid:.3f}/{high:.3f} ms").format(
            low=low, mid=mid, high=high
        )
