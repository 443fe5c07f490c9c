"""The traffic log's live rate graph: bytes/s and packets/s over the last minutes (pyqtgraph).

This module imports pyqtgraph (and so numpy) when it is imported: the log imports it only when
the user shows the graph, so the window's first paint never pays for them. The graph redraws
from a :class:`~gui.widgets.counters.RateCounter` on its own timer (twice a second),
whatever the traffic's rate: a flood costs it nothing more.
"""

from __future__ import annotations

import pyqtgraph
from PySide6.QtCore import QCoreApplication, QTimer
from PySide6.QtWidgets import QVBoxLayout, QWidget

from gui.widgets.counters import RateCounter
from gui.widgets.style import text_color

__all__ = ["REDRAW_MS", "RateGraph"]

#: How often the graph redraws, in ms.
REDRAW_MS = 500


class RateGraph(QWidget):
    """Two stacked plots (bytes/s above, packets/s below) of ``counter``'s last minutes.

    ``counts`` and ``tip`` name the lower plot's unit and say what is drawn, already translated
    (the file server counts transfers, not packets); by default packets/s of a traffic log.
    ``compact`` puts the two plots side by side, for a graph a hundred-odd pixels high.
    """

    def __init__(
        self,
        counter: RateCounter,
        parent: QWidget | None = None,
        *,
        counts: str = "",
        tip: str = "",
        compact: bool = False,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("logRateGraph")
        self.setAccessibleName(QCoreApplication.translate("TrafficLog", "Rate graph"))
        self.setToolTip(
            tip
            or QCoreApplication.translate(
                "TrafficLog", "Bytes and packets per second, in and out, over the last minutes"
            )
        )
        self.counter = counter
        self.plots = pyqtgraph.GraphicsLayoutWidget(self)
        self.plots.setBackground(None)
        pen = pyqtgraph.mkPen(text_color("in"), width=1)
        bytes_title = QCoreApplication.translate("TrafficLog", "bytes/s")
        counts_title = counts or QCoreApplication.translate("TrafficLog", "packets/s")
        self.bytes_plot = self.plots.addPlot(row=0, col=0, title=bytes_title)
        self.packets_plot = self.plots.addPlot(
            row=0 if compact else 1, col=1 if compact else 0, title=counts_title
        )
        self.packets_plot.setXLink(self.bytes_plot)
        self.packets_plot.setLabel("bottom", QCoreApplication.translate("TrafficLog", "seconds"))
        for plot in (self.bytes_plot, self.packets_plot):
            plot.setMouseEnabled(x=False, y=False)
            plot.hideButtons()
            plot.showGrid(x=True, y=True, alpha=0.2)
        self.bytes_curve = self.bytes_plot.plot(pen=pen)
        self.packets_curve = self.packets_plot.plot(pen=pen)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.plots)
        self.timer = QTimer(self)
        self.timer.setInterval(REDRAW_MS)
        self.timer.timeout.connect(self.redraw)
        self.redraw()

    def redraw(self) -> None:
        seconds, nbytes, packets = self.counter.series()
        self.bytes_curve.setData(seconds, nbytes)
        self.packets_curve.setData(seconds, packets)

    def showEvent(self, event: object) -> None:
        self.redraw()
        self.timer.start()

    def hideEvent(self, event: object) -> None:
        self.timer.stop()
