"""The traffic log's detail pane: the selected rows' bytes as a hex dump with ASCII.

:class:`HexDumpView` paints only the lines in sight (16 bytes a line, offsets in hex from the
first selected byte), so megabytes scroll as cheaply as a few bytes: no string of the whole dump
is ever built. Its scroll bar counts lines; :meth:`HexDumpView.scroll_to_offset` brings any
offset into view.
"""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, QRect, QSize, Qt
from PySide6.QtGui import QKeyEvent, QPainter, QPaintEvent, QResizeEvent
from PySide6.QtWidgets import QAbstractScrollArea, QWidget

from gui.widgets.style import monospace_font
from net.codec import hexdump

__all__ = ["BYTES_PER_LINE", "HexDumpView", "dump_line"]

#: Bytes shown on one line of the dump.
BYTES_PER_LINE = 16


def dump_line(data: bytes | memoryview, offset: int) -> str:
    """The dump line of the 16 bytes at ``offset`` (net.codec.hexdump's layout: offset, hex
    bytes, printable ASCII), with the offset counted from the start of ``data``."""
    line = hexdump(bytes(data[offset : offset + BYTES_PER_LINE]), BYTES_PER_LINE)
    return f"{offset:08X}{line[8:]}"


class HexDumpView(QAbstractScrollArea):
    """A read-only hex dump of one bytes object, painted line by line as it scrolls."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("logDetail")
        self.setAccessibleName(QCoreApplication.translate("TrafficLog", "Hex dump"))
        self.setToolTip(
            QCoreApplication.translate(
                "TrafficLog", "The selected rows' bytes: offset, hex and ASCII, 16 bytes a line"
            )
        )
        self.setFont(monospace_font())
        # Click focus only: Tab leaves a panel at its table (tests/gui/test_keyboard.py).
        self.setFocusPolicy(Qt.FocusPolicy.ClickFocus)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
        self._data = memoryview(b"")

    @property
    def data(self) -> bytes:
        return self._data.obj  # type: ignore[return-value]

    def set_data(self, data: bytes) -> None:
        """Show ``data`` from offset 0."""
        self._data = memoryview(data)
        self.verticalScrollBar().setValue(0)
        self._update_ranges()
        self.viewport().update()

    def line_count(self) -> int:
        return -(-len(self._data) // BYTES_PER_LINE)

    def first_visible_offset(self) -> int:
        """The offset of the top line in sight."""
        return self.verticalScrollBar().value() * BYTES_PER_LINE

    def visible_lines(self) -> list[str]:
        """The dump lines in sight, as painted."""
        first = self.verticalScrollBar().value()
        last = min(self.line_count(), first + self._lines_per_page() + 1)
        return [dump_line(self._data, line * BYTES_PER_LINE) for line in range(first, last)]

    def scroll_to_offset(self, offset: int) -> None:
        """Bring the line holding byte ``offset`` to the top (as near as the end allows)."""
        self.verticalScrollBar().setValue(max(0, offset) // BYTES_PER_LINE)

    def minimumSizeHint(self) -> QSize:
        # Two lines: the pane may be made small (the panel's minimum height counts it).
        return QSize(80, 2 * self._line_height())

    def _line_height(self) -> int:
        return self.fontMetrics().height()

    def _lines_per_page(self) -> int:
        return max(1, self.viewport().height() // max(1, self._line_height()))

    def _update_ranges(self) -> None:
        page = self._lines_per_page()
        bar = self.verticalScrollBar()
        bar.setRange(0, max(0, self.line_count() - page))
        bar.setPageStep(page)
        width = self.fontMetrics().horizontalAdvance(dump_line(b"\0" * BYTES_PER_LINE, 0)) + 8
        horizontal = self.horizontalScrollBar()
        horizontal.setRange(0, max(0, width - self.viewport().width()))
        horizontal.setPageStep(self.viewport().width())

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._update_ranges()

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self.viewport())
        painter.setFont(self.font())
        painter.setPen(self.palette().text().color())
        height = self._line_height()
        width = self.viewport().width() + self.horizontalScrollBar().value()
        x = 4 - self.horizontalScrollBar().value()
        flags = int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        for number, line in enumerate(self.visible_lines()):
            painter.drawText(QRect(x, number * height, width, height), flags, line)
        painter.end()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        bar = self.verticalScrollBar()
        if event.key() == Qt.Key.Key_Home:
            bar.setValue(0)
        elif event.key() == Qt.Key.Key_End:
            bar.setValue(bar.maximum())
        else:
            super().keyPressEvent(event)
