"""The rules table of the TCP server and UDP receive panels: match kind, pattern, reply, enabled
(net.rules), editable while the server runs; a bad row is named under the table."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from gui.widgets.forms import option_combo, push_button
from gui.widgets.status import InlineError
from net.errors import PayloadError
from net.framing import FRAMING_HELP, parse_framing
from net.rules import KINDS, Responder, Rule, default_framing, make_rule
from net.script import mock_rules

__all__ = ["RulesTable"]

_ENABLED, _KIND, _PATTERN, _REPLY = range(4)


class RulesTable(QWidget):
    """Rules in order (the first enabled one that matches answers). ``changed`` fires on every
    edit, so a running server can take the new rules at once."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None, *, framing: bool = False) -> None:
        super().__init__(parent)
        self.table = QTableWidget(0, 4, self)
        self.table.setObjectName("rulesTable")
        self.table.setAccessibleName(self.tr("Reply rules"))
        self.table.setHorizontalHeaderLabels(
            [self.tr("On"), self.tr("Match"), self.tr("Pattern"), self.tr("Reply")]
        )
        self.table.setToolTip(
            self.tr(
                "The first enabled rule that matches a message answers it; other messages get "
                "the automatic reply. Reply: escapes like \\r\\n, {{1}} or {{name}} from regex "
                "groups, hex: for bytes"
            )
        )
        self.table.verticalHeader().hide()
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(_ENABLED, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(_KIND, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(_PATTERN, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(_REPLY, QHeaderView.ResizeMode.Stretch)
        self.table.itemChanged.connect(lambda _item: self.changed.emit())
        # A useful height at least: the header and two rows (their kind combos set the height).
        self.table.setMinimumHeight(
            self.table.horizontalHeader().sizeHint().height()
            + 2 * self.table.verticalHeader().defaultSectionSize()
            + 2 * self.table.frameWidth()
        )

        add_tip = self.tr("Add a rule at the end (the first match answers)")
        mock_tip = self.tr(
            "Mock a device: add a rule for each send of a recorded script, answering with "
            "the reply that followed it"
        )
        remove_tip = self.tr("Remove the selected rules")
        self.add_button, self.remove_button, self.mock_button = (
            push_button(self, text, name, slot, tip=tip)
            for text, name, slot, tip in (
                (self.tr("Add rule"), "addRuleButton", self.add_rule, add_tip),
                (self.tr("Remove"), "removeRuleButton", self.remove_selected, remove_tip),
                (self.tr("From a script…"), "mockRulesButton", self.add_from_script, mock_tip),
            )
        )
        buttons = QHBoxLayout()
        buttons.addWidget(self.add_button)
        buttons.addWidget(self.remove_button)
        buttons.addWidget(self.mock_button)
        self.framing_combo: QComboBox | None = None
        if framing:
            # Editable: any net.framing spec may be typed (fixed:16, delim:03, len2be+header).
            self.framing_combo = option_combo(
                self,
                "framingCombo",
                self.tr(
                    "Rules match each message of a client's stream: automatic takes lines, or "
                    "chunks as they arrive when a rule is hex. Or type a framing: {specs}"
                ).format(specs=FRAMING_HELP),
                self.tr("What a rule sees"),
                [
                    (self.tr("automatic"), ""),
                    (self.tr("each line"), "line"),
                    (self.tr("each chunk received"), "raw"),
                    (self.tr("CRLF lines"), "crlf"),
                    (self.tr("LF, CRLF or CR lines"), "any"),
                    (self.tr("1-byte length first"), "len1"),
                    (self.tr("2-byte length first (big-endian)"), "len2be"),
                    (self.tr("2-byte length first (little-endian)"), "len2le"),
                    (self.tr("4-byte length first (big-endian)"), "len4be"),
                    (self.tr("4-byte length first (little-endian)"), "len4le"),
                ],
                editable=True,
            )
            self.framing_combo.currentTextChanged.connect(lambda _text: self.changed.emit())
        buttons.addStretch(1)
        # The framing choice gets a row of its own: beside the buttons it made the TCP Server's
        # reply box too wide for an 800x600 window.
        framing_row = QHBoxLayout()
        if self.framing_combo is not None:
            framing_label = QLabel(self.tr("Rules see:"), self)
            framing_label.setBuddy(self.framing_combo)
            framing_row.addWidget(framing_label)
            framing_row.addWidget(self.framing_combo)
            framing_row.addStretch(1)
        self.error = InlineError(self)

        self.changed.connect(self._validate)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.table, 1)
        layout.addLayout(buttons)
        layout.addLayout(framing_row)
        layout.addWidget(self.error)

    def focus_chain(self) -> list[QWidget]:
        """The controls in reading order: the table, its buttons, then what rules see."""
        chain: list[QWidget] = [
            self.table,
            self.add_button,
            self.remove_button,
            self.mock_button,
        ]
        return chain + ([self.framing_combo] if self.framing_combo is not None else [])

    def add_rule(
        self, kind: str = "contains", pattern: str = "", reply: str = "", enabled: bool = True
    ) -> int:
        """Append a row; returns its index."""
        table = self.table
        table.blockSignals(True)
        row = table.rowCount()
        table.insertRow(row)
        check = QTableWidgetItem()
        check.setFlags(Qt.ItemFlag.ItemIsUserCheckable | Qt.ItemFlag.ItemIsEnabled)
        check.setCheckState(Qt.CheckState.Checked if enabled else Qt.CheckState.Unchecked)
        table.setItem(row, _ENABLED, check)
        combo = QComboBox(table)
        combo.addItems(list(KINDS))
        combo.setCurrentText(kind)
        combo.setAccessibleName(self.tr("Match kind"))
        combo.setToolTip(self.tr("exact, contains, prefix, suffix, regex, or hex bytes (?? = any)"))
        combo.currentIndexChanged.connect(lambda _index: self.changed.emit())
        table.setCellWidget(row, _KIND, combo)
        table.setItem(row, _PATTERN, QTableWidgetItem(pattern))
        table.setItem(row, _REPLY, QTableWidgetItem(reply))
        table.blockSignals(False)
        self.changed.emit()
        return row

    def add_from_script(self, path: str | None = None) -> int:
        """Mock from a capture (issue 18, item 4): append the rules made from a recorded script
        (net.script.mock_rules), asking for the file unless ``path`` is given; returns how many
        rules were added (a problem is shown under the table)."""
        if path is None:
            path, _ = QFileDialog.getOpenFileName(
                self, self.tr("Rules from a recorded script"), "", self.tr("Scripts (*.toml)")
            )
            if not path:
                return 0
        try:
            rules = mock_rules(path, framing=self.framing() or default_framing(self.rules()))
        except PayloadError as exc:
            self.error.show_error(str(exc))
            return 0
        for rule in rules:
            self.add_rule(rule.kind, rule.pattern, rule.reply, rule.enabled)
        return len(rules)

    def remove_selected(self) -> None:
        rows = sorted({index.row() for index in self.table.selectedIndexes()}, reverse=True)
        for row in rows:
            self.table.removeRow(row)
        if rows:
            self.changed.emit()

    def framing(self) -> str | None:
        """The framing spec rules see (net.framing), None for automatic (lines, or raw chunks
        when a rule is hex: net.rules.default_framing); "raw" without a framing choice (UDP)."""
        combo = self.framing_combo
        if combo is None:
            return "raw"
        index = combo.findText(combo.currentText())
        spec = str(combo.itemData(index) or "") if index >= 0 else combo.currentText().strip()
        return spec or None

    def rules(self, encoding: str = "UTF-8") -> list[Rule]:
        """The rows as checked rules (rows with an empty pattern are skipped).

        Raises:
            PayloadError: the first bad row, named by its number (1-based).
        """
        rules = []
        for row in range(self.table.rowCount()):
            pattern = self._text(row, _PATTERN)
            if not pattern:
                continue
            combo = self.table.cellWidget(row, _KIND)
            kind = combo.currentText() if isinstance(combo, QComboBox) else "contains"
            check = self.table.item(row, _ENABLED)
            enabled = check is None or check.checkState() == Qt.CheckState.Checked
            try:
                rules.append(
                    make_rule(
                        kind, pattern, self._text(row, _REPLY), enabled=enabled, encoding=encoding
                    )
                )
            except PayloadError as exc:
                raise PayloadError(
                    self.tr("Rule {row}: {problem}").format(row=row + 1, problem=exc)
                ) from None
        return rules

    def responder(
        self,
        fallback: str,
        fixed_reply: bytes = b"",
        encoding: str = "UTF-8",
        current: Responder | None = None,
    ) -> Responder | None:
        """A responder for the rules (None when there are none), answering the rest with the
        fallback; shows the problem under the table (and raises it) when a row or the framing
        is bad. ``current`` (the running server's) is updated and returned when its framing
        stays: its connections keep their partial messages and its rules their counters.

        Raises:
            PayloadError: a bad row or framing.
        """
        try:
            rules = self.rules(encoding)
            framing = self._framing_spec(rules)
        except PayloadError as exc:
            self.error.show_error(str(exc))
            raise
        self.error.clear_error()
        if not rules:
            return None
        if current is not None and current.framing == framing:
            current.set_rules(rules)
            current.set_fallback(fallback, fixed_reply)
            return current
        return Responder(rules, framing=framing, fallback=fallback, fixed_reply=fixed_reply)

    def _framing_spec(self, rules: list[Rule]) -> str:
        """The framing as net.framing writes it ("line", "len2be"...), automatic resolved.

        Raises:
            PayloadError: a framing that is not a spec."""
        framing = self.framing()
        if framing is None:
            return default_framing(rules)
        try:
            return str(parse_framing(framing))
        except PayloadError as exc:
            raise PayloadError(self.tr("Rules see: {problem}").format(problem=exc)) from None

    def _validate(self) -> None:
        try:
            self._framing_spec(self.rules())
        except PayloadError as exc:
            self.error.show_error(str(exc))
        else:
            self.error.clear_error()

    def _text(self, row: int, column: int) -> str:
        item = self.table.item(row, column)
        return item.text() if item is not None else ""
