"""Counter text ("12,345 datagrams", "1.2 MiB") and the GUI's two rate keepers: :class:`RateMeter`,
the speed now (the slope of a running total, for status lines), and :class:`RateCounter`, bytes
and packets per second over the last minutes (the history the live graphs draw).

The GUI's one byte-size formatter is here (:func:`format_bytes`); rates and progress
(:mod:`gui.widgets.units`) are built on it.
"""

from __future__ import annotations

import time
from collections import deque

from PySide6.QtCore import QCoreApplication, QLocale

__all__ = ["EXACT_BELOW", "RateCounter", "RateMeter", "format_bytes", "format_count"]

#: Sizes below this many bytes are shown to the byte: a small file's size is checked by eye.
EXACT_BELOW = 10 * 1024


def format_count(value: int) -> str:
    """``12345`` -> ``"12,345"``: grouped the same way in every locale, as packet tools do."""
    return f"{value:,}"


def format_bytes(value: int) -> str:
    """A size for people: exact below 10 KiB ("1,234 B"; zh_CN "1,234 字节"), else with one
    decimal and a binary (IEC 80000-13) unit ("12.3 MiB", through
    :meth:`QLocale.formattedDataSize`); both written as the chosen language writes numbers
    (German "1.234 B", "12,3 MiB"). Every size the GUI shows goes through here."""
    if value < EXACT_BELOW:
        locale = QLocale()  # grouped even in the C locale, which omits separators by default
        locale.setNumberOptions(QLocale.NumberOption.DefaultNumberOptions)
        count = locale.toString(value)
        return QCoreApplication.translate("Units", "{count} B").format(count=count)
    return QLocale().formattedDataSize(value, 1, QLocale.DataSizeFormat.DataSizeIecFormat)


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


class RateCounter:
    """Bytes and packets per second over the last ``seconds`` (one bucket per whole second).

    Cheap enough to feed per batch: :meth:`add` is a few additions, :meth:`series` runs only
    when the graph repaints (a few times a second).
    """

    def __init__(self, seconds: int = 300) -> None:
        self.seconds = seconds
        self._buckets: deque[list[int]] = deque()  # [second, bytes, packets]

    def add(self, nbytes: int, packets: int, now: float | None = None) -> None:
        second = int(time.time() if now is None else now)
        buckets = self._buckets
        if buckets and buckets[-1][0] == second:
            bucket = buckets[-1]
            bucket[1] += nbytes
            bucket[2] += packets
            return
        buckets.append([second, nbytes, packets])
        while buckets and buckets[0][0] <= second - self.seconds:
            buckets.popleft()

    def series(self, now: float | None = None) -> tuple[list[int], list[int], list[int]]:
        """(seconds before now, bytes/s, packets/s) for every second of the window, oldest
        first; seconds without traffic are 0."""
        second = int(time.time() if now is None else now)
        start = second - self.seconds + 1
        nbytes = [0] * self.seconds
        packets = [0] * self.seconds
        for when, size, count in self._buckets:
            if start <= when <= second:  # += : stamps from several threads may interleave
                nbytes[when - start] += size
                packets[when - start] += count
        return list(range(-self.seconds + 1, 1)), nbytes, packets

    def clear(self) -> None:
        self._buckets.clear()
