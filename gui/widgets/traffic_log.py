"""The traffic log every panel shows: a bounded table of what went in and out, and its tools.

:class:`TrafficLog` composes the parts kept in their own modules: the model
(:mod:`gui.widgets.traffic_log_model`: rows that keep their bytes in full), the framing stage
(:mod:`~gui.widgets.traffic_log_framing`: one row per line or message of a TCP stream, per
connection), the filter (:mod:`~gui.widgets.traffic_log_filter`), the hex dump pane
(:mod:`~gui.widgets.traffic_log_detail`), the tool rows (:mod:`~gui.widgets.traffic_log_tools`),
exports, receive to file and rate counters (:mod:`~gui.widgets.traffic_log_export`), and the
rate graph (:mod:`~gui.widgets.traffic_log_graph`, imported only when shown: it loads numpy).

Panels call :meth:`TrafficLog.append` (or the datagram fast paths) with batches; everything
else happens behind that call, so every panel gets framing, search, filters, exports, receive to
file, checksum marks and the graph without a change of its own.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Sequence
from functools import partial
from operator import itemgetter
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from PySide6.QtCore import (
    QByteArray,
    QCoreApplication,
    QEvent,
    QItemSelectionModel,
    QMimeData,
    QObject,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QGuiApplication, QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFileDialog,
    QHeaderView,
    QInputDialog,
    QMenu,
    QMessageBox,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from gui.widgets.counters import format_bytes
from gui.widgets.style import monospace_font, set_text_role
from gui.widgets.traffic_log_detail import HexDumpView
from gui.widgets.traffic_log_export import (
    RateCounter,
    ReceiveFile,
    rows_bytes,
    rows_hex,
    write_export,
)
from gui.widgets.traffic_log_filter import LogFilter
from gui.widgets.traffic_log_framing import FramingStage, terminators
from gui.widgets.traffic_log_model import (
    CELL_BYTES,
    DEFAULT_LOG_BYTES,
    DEFAULT_LOG_LIMIT,
    ROW_KEEP,
    LogEntry,
    StreamRows,
    TrafficLogModel,
    cell_bytes,
    checksum_failure,
)
from gui.widgets.traffic_log_tools import LogTools
from net.codec import check_encoding
from net.errors import NetError, PayloadError
from net.events import Datagram

if TYPE_CHECKING:
    from gui.widgets.traffic_log_graph import RateGraph

__all__ = [
    "CELL_BYTES",
    "DEFAULT_LOG_BYTES",
    "DEFAULT_LOG_LIMIT",
    "ROW_KEEP",
    "LogEntry",
    "StreamRows",
    "TrafficLog",
    "TrafficLogModel",
    "cell_bytes",
]

#: How often the framing backlog is worked through while it is not empty, in ms.
BACKLOG_MS = 40
#: Peers the peer filter offers at most (a UDP flood from many ports would list thousands).
MAX_PEERS = 500
#: Peers whose own local address the log remembers at most (the oldest are forgotten first).
MAX_LOCALS = 10_000
_UDP_PANELS = ("udpSendPanel", "udpReceivePanel")
_peer_of = itemgetter(1)


def _received(entry: Any) -> tuple[float, str, bytes, int] | None:
    """(time, peer, data, bytes not kept) of a received row, None for anything else."""
    if type(entry) is tuple:  # a frame, or a datagram row: received
        return entry[0], entry[1], entry[2], 0
    if type(entry) is LogEntry and entry.direction == "in" and entry.data and not entry.end:
        return entry.time, entry.peer, entry.data, entry.total - len(entry.data)
    if type(entry) is Datagram and not entry.outgoing:
        return entry.time, entry.peer, entry.data, 0
    return None


def _close_quietly(capture: ReceiveFile) -> None:
    """Close a receive file no one is left to tell about (its log was deleted)."""
    with contextlib.suppress(NetError):
        capture.close()


class TrafficLog(QWidget):
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
        self._watched: QWidget | None = None  # the window whose closing closes the capture
        self._close_on_delete: partial[None] | None = None  # the capture's destroyed slot
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

        self.view = QTableView(self)
        self.view.setObjectName("logView")
        self.view.setModel(self.model)
        self.view.setFont(monospace_font())
        self.view.setAccessibleName(QCoreApplication.translate("TrafficLog", "Traffic log"))
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.view.setAlternatingRowColors(True)
        self.view.setWordWrap(False)
        self.view.setCornerButtonEnabled(False)
        self.view.setHorizontalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        vertical = self.view.verticalHeader()
        vertical.setVisible(False)
        # Fixed row heights keep a 100k-row table as cheap to scroll as a 10-row one.
        vertical.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        vertical.setDefaultSectionSize(self.view.fontMetrics().height() + 6)
        header = self.view.horizontalHeader()
        header.setStretchLastSection(True)
        header.setHighlightSections(False)
        metrics = self.view.fontMetrics()
        header.resizeSection(TrafficLogModel.TIME, metrics.horizontalAdvance("00:00:00.000") + 16)
        header.resizeSection(TrafficLogModel.DIRECTION, metrics.horizontalAdvance("error") + 18)
        header.resizeSection(
            TrafficLogModel.PEER, metrics.horizontalAdvance("[::ffff:255.255.255]:65535") + 8
        )
        header.resizeSection(TrafficLogModel.SIZE, metrics.horizontalAdvance("65,535") + 18)
        self.view.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
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

    def append(self, entries: Iterable[LogEntry | Datagram]) -> None:
        batch: list[Any] = entries if isinstance(entries, list) else list(entries)
        if not batch:
            return
        self._count(batch)
        if not self.framing.raw or self.framing.backlog:
            self._hold_rtts(batch)
            self.framing.push(batch)
            batch = self.framing.take()
            if self.framing.backlog:
                self._backlog_timer.start()
        self._add(batch)

    def append_datagrams(self, datagrams: Sequence[Datagram]) -> None:
        """Add received datagrams as rows."""
        if not datagrams:
            return
        self._fast(datagrams, False)

    def append_rows(self, rows: Sequence[tuple[float, str, bytes, bool]]) -> None:
        """Add received datagrams given as (time, peer, data, truncated): the fast path."""
        if not rows:
            return
        self._fast(rows, True)

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

    def selected_rows(self) -> list[int]:
        """The selected rows of the model (not of the filtered view), in order."""
        selection = self.view.selectionModel()
        rows = {index.row() for index in selection.selectedRows()}
        if self.view.model() is self.filter:
            rows = {self.filter.mapToSource(self.filter.index(row, 0)).row() for row in rows}
        return sorted(rows)

    def _chosen_rows(self) -> list[int]:
        """The selected rows, or every row shown when none is."""
        rows = self.selected_rows()
        if rows:
            return rows
        if self.view.model() is self.filter:
            return [r for r in range(self.model.rowCount()) if self.filter.accepts(r)]
        return list(range(self.model.rowCount()))

    def copy_selection(self) -> str:
        """Copy the selected rows (or every row) to the clipboard, tab-separated, every byte."""
        rows = self._chosen_rows()
        text = "\n".join("\t".join(self.model.row_texts(row)) for row in rows)
        QGuiApplication.clipboard().setText(text)
        return text

    def copy_bytes(self, kind: Literal["text", "hex", "raw"] = "raw") -> bytes:
        """Copy every byte of the selected rows (or of all rows): as text in the display
        encoding, as hex (a row a line), or raw (``application/octet-stream``, with the text
        beside it). Returns the bytes copied."""
        rows = self._chosen_rows()
        data = rows_bytes(self.model, rows)
        if kind == "hex":
            QGuiApplication.clipboard().setText(rows_hex(self.model, rows))
            return data
        text = data.decode(self._codec(), errors="replace")
        if kind == "text":
            QGuiApplication.clipboard().setText(text)
            return data
        mime = QMimeData()
        mime.setData("application/octet-stream", QByteArray(data))
        mime.setText(text)
        QGuiApplication.clipboard().setMimeData(mime)
        return data

    def export(
        self, path: str | Path, rows: Sequence[int] | None = None, *, selection: bool = False
    ) -> int:
        """Save rows to ``path``, the format by its suffix: .csv CSV, .hex hex, .bin the raw
        bytes, .pcapng a capture for Wireshark, anything else tab-separated text. ``rows``
        (or the selection, with ``selection``) or every row. Returns the rows (pcapng:
        packets) written.

        Raises:
            TransferError: the file cannot be written.
            AddressError: pcapng of a row whose peer is not an IP address and port.
        """
        if selection and rows is None:
            rows = self._chosen_rows()
        count = write_export(
            self.model,
            path,
            rows,
            protocol=self._protocol(),
            local=self.local or "0.0.0.0:0",
            local_of=self._locals,
            peer_connected=self._panel_name() != "tcpClientPanel",
        )
        self.exported.emit(str(path))
        return count

    def export_dialog(self, *, selection: bool = False, pcapng: bool = False) -> None:
        filters = [
            (QCoreApplication.translate("TrafficLog", "CSV files (*.csv)"), ".csv"),
            (QCoreApplication.translate("TrafficLog", "Text files (*.txt)"), ".txt"),
            (QCoreApplication.translate("TrafficLog", "Hex, a row a line (*.hex)"), ".hex"),
            (QCoreApplication.translate("TrafficLog", "Raw bytes (*.bin)"), ".bin"),
            (QCoreApplication.translate("TrafficLog", "Wireshark captures (*.pcapng)"), ".pcapng"),
        ]
        if pcapng:
            filters = [filters[-1]]
        title = QCoreApplication.translate("TrafficLog", "Export log")
        path, chosen = QFileDialog.getSaveFileName(
            self,
            title,
            "traffic-log" + filters[0][1],
            ";;".join(label for label, _ in filters),
        )
        if not path:
            return
        if not Path(path).suffix:
            path += dict(filters).get(chosen, ".csv")
        try:
            self.export(path, selection=selection)
        except NetError as exc:
            QMessageBox.warning(
                self,
                title,
                QCoreApplication.translate(
                    "TrafficLog", "The log could not be saved: {reason}"
                ).format(reason=exc),
            )

    # -- receive to file -------------------------------------------------------------------------

    def start_capture(self, path: str | Path, mode: Literal["raw", "lines"] = "raw") -> None:
        """Stream what is received from now on into ``path``: ``raw`` bytes, or ``lines`` (one
        line per row: time, peer, text). The file is closed by :meth:`stop_capture`, when the
        window the log sits in closes, or when the log is deleted (a panel torn down).

        Raises:
            TransferError: the file cannot be created.
        """
        self.stop_capture()
        self.capture = capture = ReceiveFile(path, mode, self.model.encoding)
        # Deleted with its panel: this object's Python side may be gone by then, so the slot
        # holds the file itself (closing a closed file does nothing).
        self._close_on_delete = partial(_close_quietly, capture)
        self.destroyed.connect(self._close_on_delete)
        window = self.window()
        if window is not self._watched:
            if self._watched is not None:
                self._watched.removeEventFilter(self)
            window.installEventFilter(self)
            self._watched = window
        self.tools.capture_action.setChecked(True)
        self._show_status()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """Closes the receive file once the window the log sits in has closed."""
        if watched is self._watched and event.type() == QEvent.Type.Close:
            # The window's own closeEvent runs after this filter and may refuse to close
            # (the quit question): decide once it has.
            QTimer.singleShot(0, self, self._after_window_close)
        return False

    def _after_window_close(self) -> None:
        if self.capture is not None and not self.window().isVisible():
            self.stop_capture()

    def stop_capture(self) -> None:
        """Close the receive file cleanly (a no-op when none is open)."""
        capture, self.capture = self.capture, None
        if capture is not None:
            self.destroyed.disconnect(self._close_on_delete)
            try:
                capture.close()
            except NetError as exc:
                self._capture_failed(str(exc))
        self.tools.capture_action.setChecked(False)
        self._show_status()

    def _on_capture_toggled(self, on: bool) -> None:
        if not on:
            if self.capture is not None:
                self.stop_capture()
            return
        if self.capture is not None:
            return
        raw, lines = (
            QCoreApplication.translate("TrafficLog", "Raw bytes (*.bin)"),
            QCoreApplication.translate("TrafficLog", "Lines with time and peer (*.txt)"),
        )
        path, chosen = QFileDialog.getSaveFileName(
            self,
            QCoreApplication.translate("TrafficLog", "Receive to file"),
            "received.bin",
            f"{raw};;{lines}",
        )
        if not path:
            self.tools.capture_action.setChecked(False)
            return
        try:
            self.start_capture(path, "lines" if chosen == lines else "raw")
        except NetError as exc:
            self.tools.capture_action.setChecked(False)
            self._capture_failed(str(exc))

    def _capture_failed(self, message: str) -> None:
        self.capture = None
        self.tools.capture_action.setChecked(False)
        self.tools.status_label.setText(
            QCoreApplication.translate("TrafficLog", "Receive to file stopped: {reason}").format(
                reason=message
            )
        )
        set_text_role(self.tools.status_label, "error")
        self.tools.status_label.show()
        self.capture_failed.emit(message)

    # -- search and filter ---------------------------------------------------------------------

    def find_next(self) -> int:
        """Select the next row holding what is searched for; returns its row or -1."""
        return self._find(backward=False)

    def find_previous(self) -> int:
        return self._find(backward=True)

    def _needle(self) -> tuple[bytes, str]:
        """What to look for: bytes, and text for notes; (b"", "") when nothing (or bad hex)."""
        text = self.tools.search_edit.text()
        if not text:
            return b"", ""
        if self.tools.hex_search_check.isChecked():
            try:
                return bytes.fromhex(text.replace(":", " ")), ""
            except ValueError:
                return b"", ""
        return text.encode(self._codec(), errors="ignore"), text

    def _find(self, *, backward: bool) -> int:
        needle, text = self._needle()
        selected = self.selected_rows()
        count = self.model.rowCount()
        start = (selected[0] - 1 if backward else selected[-1] + 1) if selected else 0
        if backward and not selected:
            start = count - 1
        filtered = self.view.model() is self.filter
        for _ in range(count):
            row = self.model.find(needle, start % max(1, count), backward=backward, text=text)
            if row < 0 or not filtered or self.filter.accepts(row):
                break
            start = row + (-1 if backward else 1)
        else:
            row = -1
        if row >= 0:
            self.follow_check.setChecked(False)  # stay on the match while rows arrive
            self.select_row(row)
        return row

    def _on_filter(self) -> None:
        tools = self.tools
        needle, text = self._needle() if tools.matching_check.isChecked() else (b"", "")
        self.filter.set_filter(
            tools.direction_combo.currentData() or "",
            tools.peer_combo.currentData() or "",
            needle,
            text,
        )
        wanted = self.filter if self.filter.active else self.model
        if self.view.model() is not wanted:
            self.view.setModel(wanted)
            self._watch_selection()
        self._update_rows_label()

    def _watch_selection(self) -> None:
        self.view.selectionModel().selectionChanged.connect(self._show_detail)

    def _show_detail(self) -> None:
        if self.tools.detail_action.isChecked():  # a hidden pane is filled when shown
            self.detail.set_data(rows_bytes(self.model, self.selected_rows()))

    def _on_detail_toggled(self, on: bool) -> None:
        self.detail.setVisible(on)
        self._show_detail()

    def go_to_offset(self, text: str) -> bool:
        """Scroll the hex dump to the offset ``text`` names (hex, like 138000 or 0x138000, or
        decimal with a leading #); False when it is not an offset of the bytes shown."""
        text = text.strip().lower()
        try:
            offset = int(text[1:]) if text.startswith("#") else int(text.removeprefix("0x"), 16)
        except ValueError:
            return False
        if not 0 <= offset < max(1, len(self.detail.data)):
            return False
        self.tools.detail_action.setChecked(True)
        self.detail.scroll_to_offset(offset)
        return True

    def _ask_offset(self) -> None:
        title = QCoreApplication.translate("TrafficLog", "Go to offset")
        text, ok = QInputDialog.getText(
            self,
            title,
            QCoreApplication.translate(
                "TrafficLog", "Offset in hex (138000), or in decimal after # (#1277952):"
            ),
        )
        if ok and not self.go_to_offset(text):
            QMessageBox.warning(
                self,
                title,
                QCoreApplication.translate(
                    "TrafficLog", "{text} is not an offset of the {size} bytes shown."
                ).format(text=text, size=f"{len(self.detail.data):,}"),
            )

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

    def _watching(self) -> bool:
        """Whether rows need a look of their own on the way in (capture, checksum, filters)."""
        return self.capture is not None or self.model.checksum is not None

    def _fast(self, rows: Sequence[Any], tuples: bool) -> None:
        """Datagrams in bulk: counted, then into the model with no Python work per row unless
        a receive file or a checksum check needs each one."""
        sizes = sum(len(row[2]) if tuples else len(row.data) for row in rows)
        self.rates.add(sizes, len(rows))
        self._note_peers(rows, tuples)
        if self._watching():
            if self.capture is not None:
                for row in rows:
                    stamp, peer, data = (
                        (row[0], row[1], row[2]) if tuples else (row.time, row.peer, row.data)
                    )
                    self._capture(stamp, peer, data, 0)
            if self.model.checksum is not None:
                self._check(row[2] if tuples else row.data for row in rows)
        if tuples:
            self.model.append_rows(rows)
        else:
            self.model.append_datagrams(rows)
        self._appended()

    def _count(self, batch: list[Any]) -> None:
        """Rates and the raw receive file see every chunk before framing."""
        nbytes = packets = 0
        capture = self.capture if self.capture is not None and self.capture.mode == "raw" else None
        for entry in batch:
            if type(entry) is LogEntry:
                if entry.direction in ("info", "error") or entry.end:
                    continue
                nbytes += entry.total
                if capture is not None and entry.direction == "in":
                    missed = entry.total - len(entry.data)
                    self._capture(entry.time, entry.peer, entry.data, missed)
            elif type(entry) is Datagram:
                nbytes += len(entry.data)
                if capture is not None and not entry.outgoing:
                    self._capture(entry.time, entry.peer, entry.data, 0)
            packets += 1
        if packets:
            self.rates.add(nbytes, packets)

    def _hold_rtts(self, batch: list[Any]) -> None:
        """Keep the round-trip times of stream chunks that go into the framing stage: the first
        frame of the same peer to come out gets it (the chunk itself may not be a row)."""
        for entry in batch:
            if type(entry) is LogEntry and entry.rtt_ms is not None and entry.stream is not None:
                self._held_rtts[entry.peer] = entry.rtt_ms
        if len(self._held_rtts) > MAX_PEERS:
            self._held_rtts.clear()

    def _rtt_marks(self, batch: list[Any]) -> dict[int, float] | None:
        """Round-trip times held for framing, by position of the first frame of their peer."""
        held = self._held_rtts
        if not held:
            return None
        marks: dict[int, float] = {}
        for position, entry in enumerate(batch):
            if type(entry) is tuple:  # a frame
                ms = held.pop(entry[1], None)
                if ms is not None:
                    marks[position] = ms
            elif type(entry) is LogEntry and entry.rtt_ms is not None:
                held.pop(entry.peer, None)  # the chunk came through as it was, with its time
            if not held:
                break
        return marks

    def _add(self, batch: list[Any]) -> None:
        """Rows after framing: the lines receive file, checksum counts, peers, the model."""
        if not batch:
            return
        capture = (
            self.capture if self.capture is not None and self.capture.mode == "lines" else None
        )
        check = self.model.checksum is not None
        if capture is not None or check:
            received = [_received(e) for e in batch]
            rows = [row for row in received if row is not None]
            if capture is not None:
                for stamp, peer, data, missed in rows:
                    self._capture(stamp, peer, data, missed)
            if check:
                self._check(row[2] for row in rows)
        self._note_peers(batch, False)
        self.model.append(batch, self._rtt_marks(batch))
        if not self._rtt_shown and self.model.has_rtt:
            self._show_rtt_column()
        self._appended()

    def _check(self, payloads: Iterable[bytes]) -> None:
        name = self.model.checksum or ""
        strip = terminators(self.framing.spec)
        self.checksum_failures += sum(1 for data in payloads if checksum_failure(data, name, strip))

    def _capture(self, stamp: float, peer: str, data: bytes, missed: int) -> None:
        capture = self.capture
        if capture is None:
            return
        try:
            capture.write(stamp, peer, data, missed=missed)
        except NetError as exc:
            self._capture_failed(str(exc))

    def _note_peers(self, rows: Sequence[Any], tuples: bool) -> None:
        if len(self._peers) >= MAX_PEERS:
            return
        if tuples:
            peers = set(map(_peer_of, rows))
        else:  # entries, datagrams, and the framing stage's row tuples
            peers = {r[1] if type(r) is tuple else getattr(r, "peer", "") for r in rows}
        new = [peer for peer in peers if peer and peer not in self._peers]
        for peer in sorted(new)[: MAX_PEERS - len(self._peers)]:
            self._peers[peer] = None
            self.tools.peer_combo.addItem(peer, peer)

    def _work_backlog(self) -> None:
        rows = self.framing.take()
        if not self.framing.backlog:
            self._backlog_timer.stop()
        self._add(rows)

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

    def _show_status(self) -> None:
        label = self.tools.status_label
        if self.capture is None:
            label.hide()
            return
        text = QCoreApplication.translate("TrafficLog", "Receiving to {name}: {size}").format(
            name=self.capture.path.name, size=format_bytes(self.capture.size)
        )
        if self.capture.missed:
            text = QCoreApplication.translate(
                "TrafficLog", "{text} ({missed} not seen: the window fell behind)"
            ).format(text=text, missed=format_bytes(self.capture.missed))
        label.setText(text)
        set_text_role(label, "dim")
        label.show()

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

    def _context_menu(self, pos: Any) -> None:
        menu = QMenu(self)
        menu.addAction(self.copy_action)
        menu.addAction(self.tools.copy_raw_action)
        menu.addAction(self.tools.copy_hex_action)
        menu.addAction(self.clear_action)
        menu.addSeparator()
        select_all = menu.addAction(QCoreApplication.translate("TrafficLog", "Select all"))
        select_all.triggered.connect(self.view.selectAll)
        menu.exec(self.view.viewport().mapToGlobal(pos))

    def select_row(self, row: int) -> None:
        """Select model row ``row`` (shown through the filter when one is on) and show it."""
        index = self.model.index(row, 0)
        if self.view.model() is self.filter:
            index = self.filter.mapFromSource(index)
        self.view.selectionModel().select(
            index,
            QItemSelectionModel.SelectionFlag.ClearAndSelect
            | QItemSelectionModel.SelectionFlag.Rows,
        )
        self.view.scrollTo(index)
