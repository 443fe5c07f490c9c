"""Human units for transfers: speed ("12.3 MiB/s"), time left ("2 min 05 s"), and a fraction.

Sizes come from :func:`gui.widgets.counters.format_bytes`, so every panel counts bytes alike.
"""

from __future__ import annotations

import math

from PySide6.QtCore import QCoreApplication

from gui.widgets.counters import format_bytes

__all__ = ["format_eta", "format_progress", "format_speed", "shorten"]


def shorten(text: str, limit: int = 60) -> str:
    """What the user typed, cut to ``limit`` characters with "…", for quoting it in a message."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def format_speed(bytes_per_second: float) -> str:
    """``1_300_000.0`` -> ``"1.2 MiB/s"``; negative or not-a-number speeds count as 0."""
    if not math.isfinite(bytes_per_second) or bytes_per_second < 0:
        bytes_per_second = 0.0
    return QCoreApplication.translate("Units", "{size}/s").format(
        size=format_bytes(int(bytes_per_second))
    )


def format_eta(seconds: float | None) -> str:
    """Time left, rounded up to what a person reads: "8 s", "2 min 05 s", "1 h 02 min".

    Unknown (None, infinite, negative) gives "".
    """
    if seconds is None or not math.isfinite(seconds) or seconds < 0:
        return ""
    whole = math.ceil(seconds)
    if whole < 60:
        return QCoreApplication.translate("Units", "{seconds} s").format(seconds=whole)
    if whole < 3600:
        minutes, rest = divmod(whole, 60)
        return QCoreApplication.translate("Units", "{minutes} min {seconds:02d} s").format(
            minutes=minutes, seconds=rest
        )
    hours, rest = divmod(whole, 3600)
    if hours >= 100:
        return QCoreApplication.translate("Units", "more than 99 h")
    return QCoreApplication.translate("Units", "{hours} h {minutes:02d} min").format(
        hours=hours, minutes=rest // 60
    )


def format_progress(done: int, total: int | None) -> str:
    """``"12.3 MiB of 1.0 GiB"``, or just the size so far when the total is unknown."""
    if total is None:
        return format_bytes(done)
    return QCoreApplication.translate("Units", "{done} of {total}").format(
        done=format_bytes(done), total=format_bytes(total)
    )
