"""The file server's transfers table: who downloads what, how far, how fast, and how it ended.

:class:`TransfersModel` takes the server's events in batches (:meth:`TransfersModel.apply`, once
per runner drain) and turns each batch into at most one row insertion and one ``dataChanged``, so a
busy server costs the GUI a few updates a second. Rows are bounded: beyond ``limit`` the oldest
finished ones leave. :class:`ProgressDelegate` draws the progress column as a progress bar;
:class:`TransfersTable` is the widget (``transferTable``, a summary line, Clear finished).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import (
    QT_TRANSLATE_NOOP,
    QCoreApplication,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    Signal,
)
from PySide6.QtGui import QPainter
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionProgressBar,
    QStyleOptionViewItem,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from gui.widgets.counters import RateCounter, RateMeter, format_bytes, format_count
from gui.widgets.style import text_color
from gui.widgets.table_model import RowTableModel
from gui.widgets.units import format_progress, format_speed
from net.events import TransferFailed, TransferFinished, TransferProgress, TransferStarted

if TYPE_CHECKING:
    from gui.widgets.traffic_log_graph import RateGraph

__all__ = [
    "PROGRESS_ROLE",
    "ProgressDelegate",
    "TransferRow",
    "TransfersBox",
    "TransfersModel",
    "TransfersTable",
]

_Index = QModelIndex | QPersistentModelIndex
#: The progress column's fraction done (0.0-1.0) under this role, for the delegate.
PROGRESS_ROLE = int(Qt.ItemDataRole.UserRole) + 1
DEFAULT_TRANSFER_LIMIT = 1000

RUNNING, DONE, CANCELLED, FAILED = "running", "done", "cancelled", "failed"
#: A finished transfer shorter than this (seconds) shows no average speed.
MIN_SPEED_SPAN = 0.2


@dataclass(slots=True)
class TransferRow:
    """One transfer as the table shows it (updated in place as events arrive)."""

    transfer_id: int
    peer: str
    name: str
    dialect: str
    total: int
    started: float
    done: int = 0
    ended: float | None = None
    state: str = RUNNING
    reason: str = ""
    speed: float = 0.0
    meter: RateMeter = field(default_factory=lambda: RateMeter(2.0))
    direction: str = "out"  # "in": an upload the server receives

    @property
    def fraction(self) -> float:
        if self.total <= 0:
            return 1.0 if self.state == DONE else 0.0
        return min(1.0, self.done / self.total)

    def average_speed(self) -> float | None:
        """Bytes per second over the whole transfer; None when it was too short to tell (the
        kernel's socket buffer takes a small file at once, which would read as GiB/s)."""
        if self.ended is None or self.ended - self.started < MIN_SPEED_SPAN:
            return None
        return self.done / (self.ended - self.started)


#: The column titles, translated when a model is made (lupdate reads these marks).
HEADERS = (
    QT_TRANSLATE_NOOP("Transfers", "Client"),
    QT_TRANSLATE_NOOP("Transfers", "File"),
    QT_TRANSLATE_NOOP("Transfers", "Dialect"),
    QT_TRANSLATE_NOOP("Transfers", "Progress"),
    QT_TRANSLATE_NOOP("Transfers", "Speed"),
    QT_TRANSLATE_NOOP("Transfers", "Status"),
)


class TransfersModel(RowTableModel):
    """Bounded rows of transfers; columns client, file, dialect, progress, speed, status."""

    CLIENT, FILE, DIALECT, PROGRESS, SPEED, STATUS = range(6)

    def __init__(self, parent: Any = None, *, limit: int = DEFAULT_TRANSFER_LIMIT) -> None:
        super().__init__([QCoreApplication.translate("Transfers", str(t)) for t in HEADERS], parent)
        self._rows: list[TransferRow] = []
        self._where: dict[int, int] = {}  # transfer id -> row
        self._limit = max(1, limit)
        self.bytes_sent = 0  # every transfer's bytes, also of rows that left the table
        # Bytes moved and transfers started per second, for the panel's rate graph.
        self.rates = RateCounter()
        self.finished = 0
        self.failed = 0
        self._dialects = {
            "http": QCoreApplication.translate("Transfers", "HTTP"),
            "https": QCoreApplication.translate("Transfers", "HTTPS"),
            "raw": QCoreApplication.translate("Transfers", "raw"),
            "raw+tls": QCoreApplication.translate("Transfers", "raw (TLS)"),
        }
        self._states = {
            RUNNING: QCoreApplication.translate("Transfers", "running"),
            DONE: QCoreApplication.translate("Transfers", "done"),
            CANCELLED: QCoreApplication.translate("Transfers", "cancelled"),
            FAILED: QCoreApplication.translate("Transfers", "failed"),
        }

    # -- rows ----------------------------------------------------------------------------------

    def apply(self, events: Sequence[object]) -> None:
        """Take one batch of server events: one insertion and one change signal at most."""
        new: list[TransferRow] = []
        fresh: dict[int, TransferRow] = {}
        changed: set[int] = set()
        for event in events:
            if isinstance(event, TransferStarted):
                row = TransferRow(
                    event.transfer_id,
                    event.peer,
                    event.name,
                    event.dialect,
                    event.total,
                    event.time,
                    direction=event.direction,
                )
                row.meter.update(0, event.time)
                new.append(row)
                fresh[event.transfer_id] = row
                self.rates.add(0, 1, event.time)
                continue
            if not isinstance(event, TransferProgress | TransferFinished | TransferFailed):
                continue
            tid = event.transfer_id
            row_or_none = fresh.get(tid)
            if row_or_none is None:
                where = self._where.get(tid)
                if where is None:
                    continue  # its row already left the table
                row_or_none = self._rows[where]
                changed.add(where)
            row = row_or_none
            moved = max(0, event.done - row.done)
            self.bytes_sent += moved
            if moved:
                self.rates.add(moved, 0, event.time)
            row.done = event.done
            if isinstance(event, TransferProgress):
                row.speed = row.meter.update(event.done, event.time)
            elif isinstance(event, TransferFinished):
                row.state, row.ended = DONE, event.time
                self.finished += 1
            else:
                row.state = CANCELLED if event.cancelled else FAILED
                row.ended, row.reason = event.time, event.reason
                if not event.cancelled:
                    self.failed += 1
        if changed:
            self.dataChanged.emit(
                self.index(min(changed), 0), self.index(max(changed), self.STATUS)
            )
        if new:
            self._make_room(len(new))
            first = len(self._rows)
            self.beginInsertRows(QModelIndex(), first, first + len(new) - 1)
            for offset, row in enumerate(new):
                self._where[row.transfer_id] = first + offset
            self._rows.extend(new)
            self.endInsertRows()

    def clear_finished(self) -> None:
        """Drop every row that is no longer running."""
        keep = [row for row in self._rows if row.state == RUNNING]
        if len(keep) == len(self._rows):
            return
        self.beginResetModel()
        self._rows = keep
        self._reindex()
        self.endResetModel()

    def rows(self) -> list[TransferRow]:
        return list(self._rows)

    def running(self) -> int:
        return sum(1 for row in self._rows if row.state == RUNNING)

    def _make_room(self, incoming: int) -> None:
        excess = len(self._rows) + incoming - self._limit
        if excess <= 0:
            return
        # Only whole finished rows at the front leave; running ones always stay visible.
        count = 0
        while count < min(excess, len(self._rows)) and self._rows[count].state != RUNNING:
            count += 1
        if count:
            self.beginRemoveRows(QModelIndex(), 0, count - 1)
            del self._rows[:count]
            self._reindex()
            self.endRemoveRows()

    def _reindex(self) -> None:
        self._where = {row.transfer_id: index for index, row in enumerate(self._rows)}

    # -- display -------------------------------------------------------------------------------

    def state_text(self, row: TransferRow) -> str:
        text = self._states.get(row.state, row.state)
        if row.state == FAILED and row.reason:
            return QCoreApplication.translate("Transfers", "{state}: {reason}").format(
                state=text, reason=row.reason
            )
        return text

    def dialect_text(self, row: TransferRow) -> str:
        text = self._dialects.get(row.dialect, row.dialect)
        if row.direction == "in":
            return QCoreApplication.translate("Transfers", "{dialect} upload").format(dialect=text)
        return text

    def speed_text(self, row: TransferRow) -> str:
        if row.state == RUNNING:
            return format_speed(row.speed)
        average = row.average_speed() if row.state == DONE else None
        return "" if average is None else format_speed(average)

    # -- QAbstractTableModel -------------------------------------------------------------------

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        row = self._rows[index.row()]
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            if column == self.CLIENT:
                return row.peer
            if column == self.FILE:
                return row.name
            if column == self.DIALECT:
                return self.dialect_text(row)
            if column == self.PROGRESS:
                return f"{int(row.fraction * 100)}%"
            if column == self.SPEED:
                return self.speed_text(row)
            return self.state_text(row)
        if role == PROGRESS_ROLE and column == self.PROGRESS:
            return row.fraction
        if role == Qt.ItemDataRole.ToolTipRole:
            if column == self.PROGRESS:
                return format_progress(row.done, row.total)
            if column in (self.STATUS, self.FILE, self.CLIENT):
                return self.data(index, Qt.ItemDataRole.DisplayRole)
        if role == Qt.ItemDataRole.ForegroundRole and column == self.STATUS:
            color_role = {DONE: "success", FAILED: "error", CANCELLED: "warning"}.get(row.state)
            return text_color(color_role) if color_role else None
        if role == Qt.ItemDataRole.TextAlignmentRole and column == self.SPEED:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None


class ProgressDelegate(QStyledItemDelegate):
    """Paints a cell's :data:`PROGRESS_ROLE` fraction as the platform's progress bar."""

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: _Index) -> None:
        fraction = index.data(PROGRESS_ROLE)
        if not isinstance(fraction, float):
            super().paint(painter, option, index)
            return
        if option.state & QStyle.StateFlag.State_Selected:
            painter.fillRect(option.rect, option.palette.highlight())
        bar = QStyleOptionProgressBar()
        bar.rect = option.rect.adjusted(3, 3, -3, -3)
        bar.minimum = 0
        bar.maximum = 1000
        bar.progress = int(fraction * 1000)
        bar.text = str(index.data(Qt.ItemDataRole.DisplayRole) or "")
        bar.textVisible = True
        bar.textAlignment = Qt.AlignmentFlag.AlignCenter
        bar.state = QStyle.StateFlag.State_Enabled | QStyle.StateFlag.State_Horizontal
        bar.palette = option.palette
        bar.fontMetrics = option.fontMetrics
        style = option.widget.style() if option.widget is not None else QApplication.style()
        style.drawControl(QStyle.ControlElement.CE_ProgressBar, bar, painter, option.widget)


class TransfersTable(QWidget):
    """The transfers table with a summary line and a Clear finished button."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = TransfersModel(self)
        self.view = QTableView(self)
        self.view.setObjectName("transferTable")
        self.view.setModel(self.model)
        self.view.setItemDelegateForColumn(TransfersModel.PROGRESS, ProgressDelegate(self.view))
        self.view.setAccessibleName(QCoreApplication.translate("Transfers", "Transfers"))
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.view.setAlternatingRowColors(True)
        self.view.setWordWrap(False)
        self.view.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        self.view.setCornerButtonEnabled(False)
        self.view.verticalHeader().setVisible(False)
        self.view.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.view.verticalHeader().setDefaultSectionSize(self.view.fontMetrics().height() + 8)
        header = self.view.horizontalHeader()
        header.setHighlightSections(False)
        header.setSectionResizeMode(TransfersModel.FILE, QHeaderView.ResizeMode.Stretch)
        metrics = self.view.fontMetrics()
        for column, sample in (
            (TransfersModel.CLIENT, "192.168.100.200:65535"),
            (TransfersModel.DIALECT, "HTTPS"),
            (TransfersModel.PROGRESS, "0000000000"),
            (TransfersModel.SPEED, "999.9 MiB/s"),
            (TransfersModel.STATUS, "cancelled · done"),
        ):
            title = self.model.headerData(column, Qt.Orientation.Horizontal)
            width = max(metrics.horizontalAdvance(sample), metrics.horizontalAdvance(title))
            header.resizeSection(column, width + 16)

        self.summary = QLabel(self)
        self.summary.setObjectName("transferSummary")
        self.clear_button = QPushButton(
            QCoreApplication.translate("Transfers", "C&lear finished"), self
        )
        self.clear_button.setObjectName("clearTransfersButton")
        self.clear_button.setToolTip(
            QCoreApplication.translate("Transfers", "Remove the transfers that have ended")
        )
        self.clear_button.clicked.connect(self.clear_finished)

        self.button_row = row = QHBoxLayout()  # the panel may add its own buttons
        row.addWidget(self.summary, 1)
        row.addWidget(self.clear_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.view, 1)
        layout.addLayout(row)
        self.update_summary()

    def apply(self, events: Sequence[object]) -> None:
        self.model.apply(events)
        self.update_summary()

    def clear_finished(self) -> None:
        self.model.clear_finished()
        self.update_summary()

    def update_summary(self) -> None:
        model = self.model
        text = QCoreApplication.translate(
            "Transfers", "{running} running · {done} done · {failed} failed · {sent} sent"
        ).format(
            running=format_count(model.running()),
            done=format_count(model.finished),
            failed=format_count(model.failed),
            sent=format_bytes(model.bytes_sent),
        )
        self.summary.setText(text)


class TransfersBox(QGroupBox):
    """The "Transfers" group: the :class:`TransfersTable`, and a Graph button that shows the
    live graph of bytes/s moved and transfers/s started beside it.

    Signals:
        graph_shown(bool): the graph was shown or hidden (the panel gives the box more room).
    """

    graph_shown = Signal(bool)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setTitle(self.tr("Transfers"))
        self.table = TransfersTable(self)
        self._layout = QVBoxLayout(self)
        self._layout.addWidget(self.table)
        self.graph: RateGraph | None = None  # built (and pyqtgraph imported) when first shown
        self.graph_button = QPushButton(self.tr("&Graph"), self)
        self.graph_button.setObjectName("graphButton")
        self.graph_button.setCheckable(True)
        self.graph_button.setToolTip(
            self.tr("Show bytes served per second and transfers started per second")
        )
        self.graph_button.toggled.connect(self.show_graph)
        self.table.button_row.insertWidget(1, self.graph_button)

    def focus_chain(self) -> list[QWidget]:
        return [self.table.view, self.graph_button, self.table.clear_button]

    def show_graph(self, on: bool = True) -> None:
        """Show or hide the live graph of bytes/s served and transfers/s started, over the
        last minutes (pyqtgraph, and so numpy, is imported the first time)."""
        if on and self.graph is None:
            from gui.widgets.traffic_log_graph import RateGraph  # numpy: only when asked for

            self.graph = RateGraph(
                self.table.model.rates,
                self,
                counts=self.tr("transfers/s"),
                tip=self.tr(
                    "Bytes per second served (and received by uploads), and transfers started "
                    "per second, over the last minutes"
                ),
                compact=True,
            )
            self.graph.setObjectName("fileServerGraph")
            self.graph.setMinimumHeight(140)
            self._layout.addWidget(self.graph, 1)
        if self.graph is not None:
            self.graph.setVisible(on)
        self.graph_button.setChecked(on)
        self.graph_shown.emit(on)
