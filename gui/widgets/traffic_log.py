"""The traffic log every panel shows: a bounded table of what went in and out, and its tools.

:class:`TrafficLog` composes the parts kept in their own modules: the model
(:mod:`gui.widgets.traffic_log_model`: rows that keep their bytes in full), the framing stage
(:mod:`~gui.widgets.traffic_log_framing`: one row per line or message of a TCP stream, per
connection), the filter (:mod:`~gui.widgets.traffic_log_filter`), the hex dump pane
(:mod:`~gui.widgets.traffic_log_detail`), the tool rows (:mod:`~gui.widgets.traffic_log_tools`),
exports, receive to file and rate counters (:mod:`~gui.widgets.traffic_log_export`), and the
rate graph (:mod:`~gui.widgets.traffic_log_graph`, imported only when shown: it loads numpy).
The widget's own work is split by concern into halves that :class:`TrafficLog` inherits (they
share its parts, named in :mod:`~gui.widgets.traffic_log_parts`): the way rows come in
(:mod:`~gui.widgets.traffic_log_ingest`), selection and search
(:mod:`~gui.widgets.traffic_log_search`), copy and export (:mod:`~gui.widgets.traffic_log_copy`)
and receive to file (:mod:`~gui.widgets.traffic_log_capture`).

Panels call :meth:`TrafficLog.append` (or the datagram fast paths) with batches; everything
else happens behind that call, so every panel gets framing, search, filters, exports, receive to
file, checksum marks and the graph without a change of its own.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from PySide6.QtCore import QCoreApplication, Qt, QTimer, Signal
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from gui.widgets.counters import RateCounter
from gui.widgets.style import monospace_font, set_text_role
from gui.widgets.traffic_log_capture import ReceiveToFile
from gui.widgets.traffic_log_copy import LogCopyExport
from gui.widgets.traffic_log_detail import HexDumpView
from gui.widgets.traffic_log_export import ReceiveFile
from gui.widgets.traffic_log_filter import LogFilter
from gui.widgets.traffic_log_framing import FramingStage, terminators
from gui.widgets.traffic_log_ingest import MAX_PEERS, LogIngest
from gui.widgets.traffic_log_model import TrafficLogModel
from gui.widgets.traffic_log_rows import (
    CELL_BYTES,
    DEFAULT_LOG_BYTES,
    DEFAULT_LOG_LIMIT,
    ROW_KEEP,
    LogEntry,
    StreamRows,
    cell_bytes,
)
from gui.widgets.traffic_log_search import LogSearch
from gui.widgets.traffic_log_tools import LogTools
from net.codec import check_encoding
from net.errors import PayloadError

if TYPE_CHECKING:
    from gui.widgets.traffic_log_graph import RateGraph

# The row types and the model are imported from here by panels and tests too.
__all__ = [
    "CELL_BYTES",
    "DEFAULT_LOG_BYTES",
    "DEFAULT_LOG_LIMIT",
    "MAX_LOCALS",
    "MAX_PEERS",
    "ROW_KEEP",
    "LogEntry",
    "StreamRows",
    "TrafficLog",
    "TrafficLogModel",
    "cell_bytes",
]

#: How often the framing backlog is worked through while it is not empty, in ms.
BACKLOG_MS = 40
#: Peers whose own local address the log remembers at most (the oldest are forgotten first).
MAX_LOCALS = 10_000
_UDP_PANELS = ("udpSendPanel", "udpReceivePanel")


def _table_view(parent: QWidget, model: TrafficLogModel) -> QTableView:
    """The log's table: rows selected whole, fixed row heights, columns sized for their values."""
    view = QTableView(parent)
    view.setObjectName("logView")
    view.setModel(model)
    view.setFont(monospace_font())
    view.setAccessibleName(QCoreApplication.translate("TrafficLog", "Traffic log"))
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
    view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    view.setAlternatingRowColors(True)
    view.setWordWrap(False)
    view.setCornerButtonEnabled(False)
    view.setHorizontalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
    vertical = view.verticalHeader()
    vertical.setVisible(False)
    # Fixed row heights keep a 100k-row table as cheap to scroll as a 10-row one.
    vertical.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
    vertical.setDefaultSectionSize(view.fontMetrics().height() + 6)
    header = view.horizontalHeader()
    header.setStretchLastSection(True)
    header.setHighlightSections(False)
    metrics = view.fontMetrics()
    header.resizeSection(TrafficLogModel.TIME, metrics.horizontalAdvance("00:00:00.000") + 16)
    header.resizeSection(TrafficLogModel.DIRECTION, metrics.horizontalAdvance("error") + 18)
    header.resizeSection(
        TrafficLogModel.PEER, metrics.horizontalAdvance("[::ffff:255.255.255]:65535") + 8
    )
    header.resizeSection(TrafficLogModel.SIZE, metrics.horizontalAdvance("65,535") + 18)
    view.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
    return view


class TrafficLog(LogIngest, LogSearch, LogCopyExport, ReceiveToFile, QWidget):
    """The log table with its tools; panels call :meth:`append` with a batch of rows.

    Attributes a panel may set: ``local`` (``host:port`` of this end, for the pcapng export;
    unknown ends are written as 0.0.0.0:0; :meth:`set_local` also sets it per peer) and
    ``protocol`` ("tcp"/"udp"; by default taken from the panel the log sits in).
    """

    exported = Signal(str)  # the path written
    capture_failed = Signal(str)  # receive to file stopped: the sentence why

    def __init__(
        self,
        parent: QWidget | None = None,
        *,
        limit: int = DEFAULT_LOG_LIMIT,
        max_bytes: int = DEFAULT_LOG_BYTES,
    ) -> None:
        super().__init__(parent)
        self.model = TrafficLogModel(self, limit=limit, max_bytes=max_bytes)
        self.framing = FramingStage()
        self.rates = RateCounter()
        self.capture: ReceiveFile | None = None
        self._watched = None
        self._close_on_delete = None
        self.checksum_failures = 0  # received rows that failed the chosen checksum
        self.local = ""
        self._locals: dict[str, str] = {}  # peer -> this end's address on its connection
        # peer -> a round-trip time (ms) whose reply is still in the framing stage
        self._held_rtts: dict[str, float] = {}
        self._rtt_shown = False  # the Bytes column has been widened for round-trip times
        self.protocol: Literal["tcp", "udp"] | None = None
        self.graph: RateGraph | None = None
        self._peers: dict[str, None] = {}
        self._backlog_timer = QTimer(self)
        self._backlog_timer.setInterval(BACKLOG_MS)
        self._backlog_timer.timeout.connect(self._work_backlog)

        self.view = _table_view(self, self.model)
        self.view.customContextMenuRequested.connect(self._context_menu)
        self.filter = LogFilter(self.model, self)

        self.detail = HexDumpView(self)
        self.splitter = QSplitter(Qt.Orientation.Vertical, self)
        self.splitter.setObjectName("logSplitter")
        self.splitter.setChildrenCollapsible(True)
        self.splitter.addWidget(self.view)
        self.splitter.addWidget(self.detail)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 1)

        self.tools = tools = LogTools(self)
        # The names panels and tests have always used.
        self.format_combo = tools.format_combo
        self.encoding_combo = tools.encoding_combo
        self.framing_combo = tools.framing_combo
        self.follow_check = tools.follow_check
        self.rows_label = tools.rows_label
        self.copy_action = tools.copy_action
        self.clear_action = tools.clear_action
        self.view.addAction(self.copy_action)

        tools.format_combo.currentIndexChanged.connect(self._on_format)
        tools.encoding_combo.currentTextChanged.connect(self._on_encoding)
        tools.framing_combo.activated.connect(self._on_framing)
        framing_edit = tools.framing_combo.lineEdit()
        assert framing_edit is not None  # the combo is editable
        framing_edit.editingFinished.connect(self._on_framing)
        self.copy_action.triggered.connect(self.copy_selection)
        self.clear_action.triggered.connect(self.clear)
        tools.export_button.clicked.connect(self.export_dialog)
        tools.copy_text_action.triggered.connect(lambda: self.copy_bytes("text"))
        tools.copy_hex_action.triggered.connect(lambda: self.copy_bytes("hex"))
        tools.copy_raw_action.triggered.connect(lambda: self.copy_bytes("raw"))
        tools.export_selection_action.triggered.connect(lambda: self.export_dialog(selection=True))
        tools.export_pcapng_action.triggered.connect(lambda: self.export_dialog(pcapng=True))
        tools.capture_action.toggled.connect(self._on_capture_toggled)
        tools.checksum_group.triggered.connect(lambda action: self.set_checksum(action.data()))
        tools.detail_action.toggled.connect(self._on_detail_toggled)
        tools.graph_action.toggled.connect(self.show_graph)
        tools.offset_action.triggered.connect(self._ask_offset)
        tools.search_edit.returnPressed.connect(self.find_next)
        tools.search_edit.textChanged.connect(self._on_filter)
        tools.hex_search_check.toggled.connect(self._on_filter)
        tools.next_button.clicked.connect(self.find_next)
        tools.previous_button.clicked.connect(self.find_previous)
        tools.direction_combo.currentIndexChanged.connect(self._on_filter)
        tools.peer_combo.currentIndexChanged.connect(self._on_filter)
        tools.matching_check.toggled.connect(self._on_filter)
        self._watch_selection()

        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self._layout.setSpacing(3)
        self._layout.addWidget(tools)
        self._layout.addWidget(self.splitter, 1)
        self._update_rows_label()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        # Datagrams are messages already: framing is for TCP streams (known once in a panel).
        if self._protocol() == "udp" and self.framing_combo.isEnabled():
            self.framing_combo.setEnabled(False)

    def focus_chain(self) -> list[QWidget]:
        """The inputs in reading order, for the panel's tab order: the tools, then the table."""
        return [*self.tools.focus_chain(), self.view]

    # -- API -----------------------------------------------------------------------------------

    def set_local(self, local: str, peer: str = "") -> None:
        """This end's address (``host:port`` or ``[v6]:port``, as events carry it) for the
        pcapng export: of the connection to ``peer`` (a Connected event's ``local``), or, without
        a peer, of every row whose peer has none of its own (a bound UDP socket, a server's
        listening address). Empty ``local`` is ignored."""
        if not local:
            return
        if not peer:
            self.local = local
            return
        locals_ = self._locals
        locals_.pop(peer, None)  # re-inserted as the newest
        locals_[peer] = local
        if len(locals_) > MAX_LOCALS:
            del locals_[next(iter(locals_))]

    def note(self, message: str, peer: str = "", *, error: bool = False) -> None:
        self.append([LogEntry.note(message, peer, error=error)])

    def clear(self) -> None:
        """Remove every row (and the peers the filter offers); a partial frame keeps waiting
        for its rest, and the rate graph keeps counting (it shows traffic, not rows)."""
        self.model.clear()
        self.checksum_failures = 0
        self.detail.set_data(b"")
        self._peers.clear()
        combo = self.tools.peer_combo
        combo.setCurrentIndex(0)
        while combo.count() > 1:
            combo.removeItem(combo.count() - 1)
        self._update_rows_label()

    def set_hex(self, on: bool) -> None:
        self.format_combo.setCurrentIndex(1 if on else 0)

    def set_encoding(self, encoding: str) -> None:
        self.encoding_combo.setCurrentText(encoding)

    def set_framing(self, spec: str) -> None:
        """Frame TCP streams with ``spec`` (net.framing syntax: ``line``, ``len2be``, ...) from
        now on; what the old framing held is shown as it is.

        Raises:
            PayloadError: ``spec`` is not a framing.
        """
        rows = self.framing.set_spec(spec)
        self._show_framing()
        if self.model.checksum:
            self.model.set_checksum(self.model.checksum, terminators(self.framing.spec))
        self._add(rows)

    def set_checksum(self, name: str | None) -> None:
        """Mark received rows whose trailing checksum ``name`` fails ("" or None: no check).

        Raises:
            PayloadError: unknown checksum name.
        """
        self.model.set_checksum(name or None, terminators(self.framing.spec))
        for action in self.tools.checksum_group.actions():
            if action.data() == (name or ""):
                action.setChecked(True)
        self.checksum_failures = 0
        if name:
            self.checksum_failures = sum(
                1 for row in range(self.model.rowCount()) if self.model.checksum_failure(row)
            )
        self._update_rows_label()

    # -- rate graph ------------------------------------------------------------------------------

    def show_graph(self, on: bool = True) -> None:
        """Show or hide the live rate graph (pyqtgraph is imported the first time)."""
        if on and self.graph is None:
            from gui.widgets.traffic_log_graph import RateGraph  # numpy: only when asked for

            self.graph = RateGraph(self.rates, self)
            self.graph.setMinimumHeight(120)
            self.splitter.addWidget(self.graph)
        if self.graph is not None:
            self.graph.setVisible(on)
        self.tools.graph_action.setChecked(on)

    # -- internals -----------------------------------------------------------------------------

    def _show_rtt_column(self) -> None:
        """Widen the Bytes column once, when the first round-trip time ("12 · 0.215 ms")
        arrives: panels without round trips keep their narrow column."""
        self._rtt_shown = True
        sample = self.model.rtt_text(65_535, 999.999)
        width = self.view.fontMetrics().horizontalAdvance(sample) + 18
        header = self.view.horizontalHeader()
        if header.sectionSize(TrafficLogModel.SIZE) < width:
            header.resizeSection(TrafficLogModel.SIZE, width)

    def _appended(self) -> None:
        if self.follow_check.isChecked():
            self.view.scrollToBottom()
        self._update_rows_label()
        # Paint now, while the runner holds its workers back (see gui.runner.EventBuffer.hold),
        # rather than at the next turn of the event loop, when they run again.
        self.view.viewport().repaint()

    def _panel_name(self) -> str:
        """The objectName of the panel this log sits in ("" outside one)."""
        widget: QWidget | None = self.parentWidget()
        while widget is not None:
            if widget.objectName().endswith("Panel"):
                return widget.objectName()
            widget = widget.parentWidget()
        return ""

    def _protocol(self) -> Literal["tcp", "udp"]:
        if self.protocol is not None:
            return self.protocol
        return "udp" if self._panel_name() in _UDP_PANELS else "tcp"

    def _codec(self) -> str:
        try:
            return check_encoding(self.model.encoding)
        except PayloadError:
            return "utf-8"

    def _on_format(self) -> None:
        hex_mode = self.format_combo.currentData() == "hex"
        self.model.set_hex_mode(hex_mode)
        self.encoding_combo.setEnabled(not hex_mode)

    def _on_encoding(self, text: str) -> None:
        self.model.set_encoding(text.strip() or "UTF-8")

    def _show_framing(self) -> None:
        """The combo shows the framing's label, or its spec when the user typed one."""
        spec = str(self.framing.spec)
        index = self.framing_combo.findData(spec)
        if index >= 0:
            self.framing_combo.setCurrentIndex(index)
        else:
            self.framing_combo.setCurrentText(spec)

    def _on_framing(self) -> None:
        combo = self.framing_combo
        text = combo.currentText().strip()
        index = combo.findText(text)  # a label picked (or typed out) from the list
        spec = combo.itemData(index) if index >= 0 else text or "raw"
        if spec == str(self.framing.spec):
            return
        try:
            self.set_framing(spec)
            self._show_status()  # a refused spec's message goes
        except PayloadError as exc:
            self._show_framing()
            self.tools.status_label.setText(str(exc))
            set_text_role(self.tools.status_label, "error")
            self.tools.status_label.show()

    def _update_rows_label(self) -> None:
        count = self.model.rowCount()
        # self.tr (context "TrafficLog"): lupdate sees plurals only in tr(text, "", n)
        text = self.tr("{count} rows", "", count).format(count=f"{count:,}")
        if self.model.dropped:
            text = self.tr("{count} rows (the latest {limit} are kept)", "", count).format(
                count=f"{count:,}", limit=f"{self.model.limit:,}"
            )
        if self.view.model() is self.filter:
            shown = self.filter.rowCount()
            text = self.tr("{shown} of {text} shown", "", shown).format(
                shown=f"{shown:,}", text=text
            )
        if self.checksum_failures:
            text = self.tr("{text}, {count} checksum failures", "", self.checksum_failures).format(
                text=text, count=f"{self.checksum_failures:,}"
            )
        self.rows_label.setText(text)
        if self.capture is not None:
            self._show_status()
