"""The traffic log's tool rows: how rows are shown and framed (first row), search and filters
(second row), and a menu button for what is used less often (exports, receive to file, checksum,
hex dump pane, rate graph), so the log fits an 800x600 window.

The widgets here only hold state; :class:`~gui.widgets.traffic_log.TrafficLog` connects them.
"""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QMenu,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from gui.widgets.forms import check_box, line_edit, option_combo
from gui.widgets.style import set_text_role
from gui.widgets.traffic_log_framing import FRAMINGS
from net.checksum import checksum_names
from net.codec import ENCODINGS

__all__ = ["LogTools"]


def _button(parent: QWidget, name: str, text: str, tip: str) -> QToolButton:
    button = QToolButton(parent)
    button.setObjectName(name)
    button.setText(text)
    button.setToolTip(tip)
    return button


def _row(widgets: list[QWidget | None], parent: QWidget | None = None) -> QHBoxLayout:
    """``widgets`` side by side, without margins; None is the stretch between two groups."""
    row = QHBoxLayout() if parent is None else QHBoxLayout(parent)
    row.setContentsMargins(0, 0, 0, 0)
    for widget in widgets:
        if widget is None:
            row.addStretch(1)
        else:
            row.addWidget(widget)
    return row


class LogTools(QWidget):
    """The two tool rows of a traffic log, and its menu of further actions."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._build_first_row()
        self._build_menu()
        self._build_search_row()
        self.more_button = _button(
            self,
            "logMoreButton",
            self.tr("More"),
            self.tr("Copy bytes, export, receive to file, verify a checksum, hex dump, rate graph"),
        )
        self.more_button.setMenu(self.menu)
        self.more_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.status_label = QLabel(self)
        self.status_label.setObjectName("logStatusLabel")
        set_text_role(self.status_label, "dim")

        # The first row: show as, encoding, framing, follow; rows; find, copy, clear, export, more.
        first = [self.format_combo, self.encoding_combo, self.framing_combo, self.follow_check]
        buttons = [self.search_button, self.copy_button, self.clear_button, self.export_button]
        # The second row, shown on demand (the log keeps its height in an 800x600 window):
        # search, previous/next, filters.
        second: list[QWidget] = [
            self.search_edit,
            self.hex_search_check,
            self.previous_button,
            self.next_button,
            self.direction_combo,
            self.peer_combo,
            self.matching_check,
        ]
        self._chain = [*first, *buttons, self.more_button, *second]
        self.search_row = QWidget(self)
        self.search_row.setObjectName("logSearchRow")
        _row([*second], self.search_row).setStretch(0, 1)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(3)
        layout.addLayout(_row([*first, None, self.rows_label, *buttons, self.more_button]))
        layout.addWidget(self.search_row)
        layout.addWidget(self.status_label)
        self.status_label.hide()
        self.search_row.hide()
        self.search_button.toggled.connect(self._on_search_toggled)

    def _build_first_row(self) -> None:
        format_tip = self.tr("Show the data column as text or as hex bytes")
        encoding_tip = self.tr("The encoding used to show received bytes as text")
        framing_tip = self.tr(
            "How a TCP stream is cut into rows: raw chunks, lines, length-prefixed "
            "messages; or type fixed:N or delim:HEX (a partial frame waits for its rest)"
        )
        formats = [(self.tr("Text"), "text"), (self.tr("Hex"), "hex")]
        framings = [
            (QCoreApplication.translate("TrafficLog", str(label)), spec) for spec, label in FRAMINGS
        ]
        self.format_combo, self.encoding_combo, self.framing_combo = (
            option_combo(self, name, tip, accessible, items, editable=editable)
            for name, tip, accessible, items, editable in (
                ("logFormatCombo", format_tip, self.tr("Show data as"), formats, False),
                ("logEncodingCombo", encoding_tip, self.tr("Display encoding"), ENCODINGS, True),
                ("logFramingCombo", framing_tip, self.tr("Framing"), framings, True),
            )
        )
        # A few characters wide, not as wide as its longest label: the log fits 800x600.
        self.framing_combo.setMinimumContentsLength(6)
        self.framing_combo.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        follow_tip = self.tr("Scroll to each new row; untick to pause scrolling and read")
        self.follow_check = check_box(
            self, self.tr("Follow"), "followCheck", follow_tip, checked=True
        )
        self.rows_label = QLabel(self)
        self.rows_label.setObjectName("logRowsLabel")
        set_text_role(self.rows_label, "dim")

        self.copy_action = QAction(self.tr("Copy"), self)
        self.copy_action.setShortcut(QKeySequence.StandardKey.Copy)
        self.copy_action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.clear_action = QAction(self.tr("Clear"), self)
        self.copy_button = QToolButton(self)
        self.copy_button.setDefaultAction(self.copy_action)
        self.copy_button.setToolTip(
            self.tr("Copy the selected rows (all rows when none is selected)")
        )
        self.clear_button = QToolButton(self)
        self.clear_button.setObjectName("clearLogButton")
        self.clear_button.setDefaultAction(self.clear_action)
        self.clear_button.setToolTip(self.tr("Remove every row from the log"))
        export_tip = self.tr(
            "Save the log as CSV, text, hex, raw bytes or a pcapng capture for Wireshark"
        )
        find_tip = self.tr("Show or hide the search and filter row (Ctrl+F)")
        self.export_button = _button(self, "exportLogButton", self.tr("Export…"), export_tip)
        self.search_button = _button(self, "logSearchButton", self.tr("Find"), find_tip)
        self.search_button.setCheckable(True)
        self.search_button.setShortcut(QKeySequence.StandardKey.Find)

    def _build_menu(self) -> None:
        """The More button's menu: copy bytes, exports, receive to file, checksum, panes."""
        self.menu = menu = QMenu(self)
        self.copy_text_action = menu.addAction(self.tr("Copy bytes as text"))
        self.copy_hex_action = menu.addAction(self.tr("Copy bytes as hex"))
        self.copy_raw_action = menu.addAction(self.tr("Copy raw bytes"))
        menu.addSeparator()
        self.export_selection_action = menu.addAction(self.tr("Export selected rows…"))
        self.export_pcapng_action = menu.addAction(self.tr("Export as pcapng for Wireshark…"))
        menu.addSeparator()
        self.capture_action = menu.addAction(self.tr("Receive to file…"))
        self.capture_action.setCheckable(True)
        self.checksum_menu = menu.addMenu(self.tr("Verify checksum"))
        self.checksum_group = QActionGroup(self)
        none = self.checksum_menu.addAction(self.tr("None"))
        none.setData("")
        for name in ["", *checksum_names()]:
            action = none if not name else self.checksum_menu.addAction(name)
            action.setData(name)
            action.setCheckable(True)
            self.checksum_group.addAction(action)
        none.setChecked(True)
        menu.addSeparator()
        self.detail_action = menu.addAction(self.tr("Hex dump pane"))
        self.detail_action.setCheckable(True)
        self.detail_action.setChecked(True)
        self.offset_action = menu.addAction(self.tr("Go to offset in the hex dump…"))
        self.graph_action = menu.addAction(self.tr("Rate graph"))
        self.graph_action.setCheckable(True)

    def _build_search_row(self) -> None:
        self.search_edit = line_edit(
            self,
            "logSearchEdit",
            placeholder=self.tr("Search"),
            tip=self.tr(
                "Text (in the display encoding) or, with Hex ticked, bytes in hex to look for"
            ),
            accessible=self.tr("Search the log"),
        )
        self.search_edit.setClearButtonEnabled(True)
        hex_tip = self.tr("Search for bytes given in hex, like 0D 0A")
        self.hex_search_check = check_box(self, self.tr("Hex"), "logSearchHexCheck", hex_tip)
        previous_tip = self.tr("Select the previous matching row")
        next_tip = self.tr("Select the next matching row")
        self.previous_button = _button(self, "logPreviousButton", self.tr("Previous"), previous_tip)
        self.next_button = _button(self, "logNextButton", self.tr("Next"), next_tip)
        direction_tip = self.tr("Show rows of both directions, only received or only sent")
        peer_tip = self.tr("Show the rows of every peer or of one (a client of the server)")
        directions = [
            (self.tr("In and out"), ""),
            (self.tr("In only"), "in"),
            (self.tr("Out only"), "out"),
        ]
        peers = [(self.tr("All peers"), "")]
        self.direction_combo, self.peer_combo = (
            option_combo(self, name, tip, accessible, items)
            for name, tip, accessible, items in (
                ("logDirectionFilter", direction_tip, self.tr("Direction filter"), directions),
                ("logPeerFilter", peer_tip, self.tr("Peer filter"), peers),
            )
        )
        self.peer_combo.setMinimumContentsLength(12)  # peers arriving never widen the panel
        self.peer_combo.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        matching_tip = self.tr("Show only the rows that hold what is searched for")
        self.matching_check = check_box(
            self, self.tr("Only matching"), "logMatchingCheck", matching_tip
        )

    def _on_search_toggled(self, on: bool) -> None:
        self.search_row.setVisible(on)
        if on:
            self.search_edit.setFocus()

    def focus_chain(self) -> list[QWidget]:
        """The tool controls in reading order."""
        return list(self._chain)
