"""The traffic log's tool rows: how rows are shown and framed (first row), search and filters
(second row), and a menu button for what is used less often (exports, receive to file, checksum,
hex dump pane, rate graph), so the log fits an 800x600 window.

The widgets here only hold state; :class:`~gui.widgets.traffic_log.TrafficLog` connects them.
"""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMenu,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from gui.widgets.forms import option_combo
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


class LogTools(QWidget):
    """The two tool rows of a traffic log, and its menu of further actions."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        # -- first row: show as, encoding, framing, follow; rows; copy, clear, export, more ----
        self.format_combo = option_combo(
            self,
            "logFormatCombo",
            QCoreApplication.translate(
                "TrafficLog", "Show the data column as text or as hex bytes"
            ),
            QCoreApplication.translate("TrafficLog", "Show data as"),
            [
                (QCoreApplication.translate("TrafficLog", "Text"), "text"),
                (QCoreApplication.translate("TrafficLog", "Hex"), "hex"),
            ],
        )
        self.encoding_combo = option_combo(
            self,
            "logEncodingCombo",
            QCoreApplication.translate(
                "TrafficLog", "The encoding used to show received bytes as text"
            ),
            QCoreApplication.translate("TrafficLog", "Display encoding"),
            ENCODINGS,
            editable=True,
        )
        self.framing_combo = option_combo(
            self,
            "logFramingCombo",
            QCoreApplication.translate(
                "TrafficLog",
                "How a TCP stream is cut into rows: raw chunks, lines, length-prefixed "
                "messages; or type fixed:N or delim:HEX (a partial frame waits for its rest)",
            ),
            QCoreApplication.translate("TrafficLog", "Framing"),
            [
                (QCoreApplication.translate("TrafficLog", str(label)), spec)
                for spec, label in FRAMINGS
            ],
            editable=True,
        )
        # A few characters wide, not as wide as its longest label: the log fits 800x600.
        self.framing_combo.setMinimumContentsLength(6)
        self.framing_combo.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )

        self.follow_check = QCheckBox(QCoreApplication.translate("TrafficLog", "Follow"), self)
        self.follow_check.setObjectName("followCheck")
        self.follow_check.setChecked(True)
        self.follow_check.setToolTip(
            QCoreApplication.translate(
                "TrafficLog", "Scroll to each new row; untick to pause scrolling and read"
            )
        )

        self.rows_label = QLabel(self)
        self.rows_label.setObjectName("logRowsLabel")
        set_text_role(self.rows_label, "dim")

        self.copy_action = QAction(QCoreApplication.translate("TrafficLog", "Copy"), self)
        self.copy_action.setShortcut(QKeySequence.StandardKey.Copy)
        self.copy_action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.clear_action = QAction(QCoreApplication.translate("TrafficLog", "Clear"), self)

        self.copy_button = QToolButton(self)
        self.copy_button.setDefaultAction(self.copy_action)
        self.copy_button.setToolTip(
            QCoreApplication.translate(
                "TrafficLog", "Copy the selected rows (all rows when none is selected)"
            )
        )
        self.clear_button = QToolButton(self)
        self.clear_button.setObjectName("clearLogButton")
        self.clear_button.setDefaultAction(self.clear_action)
        self.clear_button.setToolTip(
            QCoreApplication.translate("TrafficLog", "Remove every row from the log")
        )
        self.export_button = _button(
            self,
            "exportLogButton",
            QCoreApplication.translate("TrafficLog", "Export…"),
            QCoreApplication.translate(
                "TrafficLog",
                "Save the log as CSV, text, hex, raw bytes or a pcapng capture for Wireshark",
            ),
        )

        self.search_button = _button(
            self,
            "logSearchButton",
            QCoreApplication.translate("TrafficLog", "Find"),
            QCoreApplication.translate(
                "TrafficLog", "Show or hide the search and filter row (Ctrl+F)"
            ),
        )
        self.search_button.setCheckable(True)
        self.search_button.setShortcut(QKeySequence.StandardKey.Find)

        self.menu = QMenu(self)
        self.copy_text_action = self.menu.addAction(
            QCoreApplication.translate("TrafficLog", "Copy bytes as text")
        )
        self.copy_hex_action = self.menu.addAction(
            QCoreApplication.translate("TrafficLog", "Copy bytes as hex")
        )
        self.copy_raw_action = self.menu.addAction(
            QCoreApplication.translate("TrafficLog", "Copy raw bytes")
        )
        self.menu.addSeparator()
        self.export_selection_action = self.menu.addAction(
            QCoreApplication.translate("TrafficLog", "Export selected rows…")
        )
        self.export_pcapng_action = self.menu.addAction(
            QCoreApplication.translate("TrafficLog", "Export as pcapng for Wireshark…")
        )
        self.menu.addSeparator()
        self.capture_action = self.menu.addAction(
            QCoreApplication.translate("TrafficLog", "Receive to file…")
        )
        self.capture_action.setCheckable(True)
        self.checksum_menu = self.menu.addMenu(
            QCoreApplication.translate("TrafficLog", "Verify checksum")
        )
        self.checksum_group = QActionGroup(self)
        none = self.checksum_menu.addAction(QCoreApplication.translate("TrafficLog", "None"))
        none.setData("")
        for name in ["", *checksum_names()]:
            action = none if not name else self.checksum_menu.addAction(name)
            action.setData(name)
            action.setCheckable(True)
            self.checksum_group.addAction(action)
        none.setChecked(True)
        self.menu.addSeparator()
        self.detail_action = self.menu.addAction(
            QCoreApplication.translate("TrafficLog", "Hex dump pane")
        )
        self.detail_action.setCheckable(True)
        self.detail_action.setChecked(True)
        self.offset_action = self.menu.addAction(
            QCoreApplication.translate("TrafficLog", "Go to offset in the hex dump…")
        )
        self.graph_action = self.menu.addAction(
            QCoreApplication.translate("TrafficLog", "Rate graph")
        )
        self.graph_action.setCheckable(True)
        self.more_button = _button(
            self,
            "logMoreButton",
            QCoreApplication.translate("TrafficLog", "More"),
            QCoreApplication.translate(
                "TrafficLog",
                "Copy bytes, export, receive to file, verify a checksum, hex dump, rate graph",
            ),
        )
        self.more_button.setMenu(self.menu)
        self.more_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)

        first = QHBoxLayout()
        first.setContentsMargins(0, 0, 0, 0)
        first.addWidget(self.format_combo)
        first.addWidget(self.encoding_combo)
        first.addWidget(self.framing_combo)
        first.addWidget(self.follow_check)
        first.addStretch(1)
        first.addWidget(self.rows_label)
        first.addWidget(self.search_button)
        first.addWidget(self.copy_button)
        first.addWidget(self.clear_button)
        first.addWidget(self.export_button)
        first.addWidget(self.more_button)

        # -- second row: search, next/previous, filters; what is being recorded ----------------
        self.search_edit = QLineEdit(self)
        self.search_edit.setObjectName("logSearchEdit")
        self.search_edit.setPlaceholderText(QCoreApplication.translate("TrafficLog", "Search"))
        self.search_edit.setClearButtonEnabled(True)
        self.search_edit.setToolTip(
            QCoreApplication.translate(
                "TrafficLog",
                "Text (in the display encoding) or, with Hex ticked, bytes in hex to look for",
            )
        )
        self.search_edit.setAccessibleName(
            QCoreApplication.translate("TrafficLog", "Search the log")
        )
        self.hex_search_check = QCheckBox(QCoreApplication.translate("TrafficLog", "Hex"), self)
        self.hex_search_check.setObjectName("logSearchHexCheck")
        self.hex_search_check.setToolTip(
            QCoreApplication.translate("TrafficLog", "Search for bytes given in hex, like 0D 0A")
        )
        self.previous_button = _button(
            self,
            "logPreviousButton",
            QCoreApplication.translate("TrafficLog", "Previous"),
            QCoreApplication.translate("TrafficLog", "Select the previous matching row"),
        )
        self.next_button = _button(
            self,
            "logNextButton",
            QCoreApplication.translate("TrafficLog", "Next"),
            QCoreApplication.translate("TrafficLog", "Select the next matching row"),
        )
        self.direction_combo = option_combo(
            self,
            "logDirectionFilter",
            QCoreApplication.translate(
                "TrafficLog", "Show rows of both directions, only received or only sent"
            ),
            QCoreApplication.translate("TrafficLog", "Direction filter"),
            [
                (QCoreApplication.translate("TrafficLog", "In and out"), ""),
                (QCoreApplication.translate("TrafficLog", "In only"), "in"),
                (QCoreApplication.translate("TrafficLog", "Out only"), "out"),
            ],
        )
        self.peer_combo = option_combo(
            self,
            "logPeerFilter",
            QCoreApplication.translate(
                "TrafficLog", "Show the rows of every peer or of one (a client of the server)"
            ),
            QCoreApplication.translate("TrafficLog", "Peer filter"),
            [(QCoreApplication.translate("TrafficLog", "All peers"), "")],
        )
        self.peer_combo.setMinimumContentsLength(12)  # peers arriving never widen the panel
        self.peer_combo.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        self.matching_check = QCheckBox(
            QCoreApplication.translate("TrafficLog", "Only matching"), self
        )
        self.matching_check.setObjectName("logMatchingCheck")
        self.matching_check.setToolTip(
            QCoreApplication.translate(
                "TrafficLog", "Show only the rows that hold what is searched for"
            )
        )
        self.status_label = QLabel(self)
        self.status_label.setObjectName("logStatusLabel")
        set_text_role(self.status_label, "dim")

        # A row of its own, shown on demand: the log keeps its height in an 800x600 window.
        self.search_row = QWidget(self)
        self.search_row.setObjectName("logSearchRow")
        second = QHBoxLayout(self.search_row)
        second.setContentsMargins(0, 0, 0, 0)
        second.addWidget(self.search_edit, 1)
        second.addWidget(self.hex_search_check)
        second.addWidget(self.previous_button)
        second.addWidget(self.next_button)
        second.addWidget(self.direction_combo)
        second.addWidget(self.peer_combo)
        second.addWidget(self.matching_check)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(3)
        layout.addLayout(first)
        layout.addWidget(self.search_row)
        layout.addWidget(self.status_label)
        self.status_label.hide()
        self.search_row.hide()
        self.search_button.toggled.connect(self._on_search_toggled)

    def _on_search_toggled(self, on: bool) -> None:
        self.search_row.setVisible(on)
        if on:
            self.search_edit.setFocus()

    def focus_chain(self) -> list[QWidget]:
        """The tool controls in reading order."""
        return [
            self.format_combo,
            self.encoding_combo,
            self.framing_combo,
            self.follow_check,
            self.search_button,
            self.copy_button,
            self.clear_button,
            self.export_button,
            self.more_button,
            self.search_edit,
            self.hex_search_check,
            self.previous_button,
            self.next_button,
            self.direction_combo,
            self.peer_combo,
            self.matching_check,
        ]
