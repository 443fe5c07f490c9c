"""Counter text ("12,345 datagrams", "1.2 MiB") and a rate meter over exact running totals."""

from __future__ import annotations

import time
from collections import deque

__all__ = ["RateMeter", "format_bytes", "format_count"]


def format_count(value: int) -> str:
    """``12345`` -> ``"12,345"``: grouped the same way in every locale, as packet tools do."""
    return f"{value:,}"


def format_bytes(value: int) -> str:
    """Exact below 10 KiB ("1,234 B"), else one decimal with a binary unit ("12.3 MiB")."""
    if value < 10 * 1024:
        return f"{value:,} B"
    size = float(value)
    for unit in ("KiB", "MiB", "GiB", "TiB"):
        size /= 1024
        if size < 1024:
            return f"{size:,.1f} {unit}"
    return f"{size:,.1f} PiB"


class RateMeter:
    """Per-second rate of a growing total, over the last ``window`` seconds of samples."""

    def __init__(self, window: float = 1.0) -> None:
        self.window = window
        self._samples: deque[tuple[float, int]] = deque()

    def reset(self) -> None:
        self._samples.clear()

    def update(self, total: int, now: float | None = None) -> float:
        """Record the total at ``now``; returns the rate (per second) over the window."""
        now = time.monotonic() if now is None else now
        self._samples.append((now, total))
        while len(self._samples) > 2 and now - self._samples[1][0] >= self.window:
            self._samples.popleft()
        first_time, first_total = self._samples[0]
        span = now - first_time
        if span <= 0:
            return 0.0
        return max(0.0, (total - first_total) / span)
