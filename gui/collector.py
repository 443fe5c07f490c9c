"""Python's cyclic garbage collection, run on the GUI thread only.

A cycle that holds a Qt wrapper (a closed tab, a panel's lambda) may be found by the collector on
whichever thread allocates at that moment; collected on a worker thread (a mirror's writer, a
socket loop), the wrapper's Qt object is destroyed off the GUI thread and the process can crash
(PySide6 segfaults there). So automatic collection is switched off and this object runs it from the
GUI thread's event loop, with the interpreter's own thresholds deciding which generation.
"""

from __future__ import annotations

import gc

from PySide6.QtCore import QObject, QTimer

__all__ = ["GuiThreadCollector"]


class GuiThreadCollector(QObject):
    """Disables automatic ``gc`` and collects from a timer on the GUI thread instead.

    Args:
        interval_ms: how often the counts are checked (milliseconds).
    """

    def __init__(self, parent: QObject | None = None, interval_ms: int = 500) -> None:
        super().__init__(parent)
        self._thresholds = gc.get_threshold()
        gc.disable()
        self._timer = QTimer(self)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self.check)
        self._timer.start()

    def check(self) -> int:
        """Collect the generation the counts call for (as automatic collection would); returns
        the generation collected, or -1 when none was due."""
        counts = gc.get_count()
        generation = -1
        for index, (count, threshold) in enumerate(zip(counts, self._thresholds, strict=True)):
            if count <= threshold:
                break
            generation = index
        if generation >= 0:
            gc.collect(generation)
        return generation
