"""The payload editor: what to send, typed as text, hex or C escapes, in a chosen encoding.

It turns the user's input into bytes with :func:`net.codec.encode_payload` as they type, showing
the byte count, or the problem in red (malformed hex, a character the encoding cannot write).
"""

from __future__ import annotations

import itertools

from PySide6.QtCore import QCoreApplication, QTimer, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from gui.widgets.status import InlineError
from gui.widgets.style import monospace_font, set_text_role
from net.codec import ENCODINGS, PayloadSpec, encode_payload, render_text, to_hex
from net.errors import PayloadError

__all__ = ["PayloadEditor"]


def _mode_labels() -> list[tuple[str, str]]:
    return [
        ("text", QCoreApplication.translate("PayloadEditor", "Text")),
        ("hex", QCoreApplication.translate("PayloadEditor", "Hex")),
        ("escapes", QCoreApplication.translate("PayloadEditor", "Escapes")),
    ]


def _ending_labels() -> list[tuple[str, str]]:
    return [
        ("none", QCoreApplication.translate("PayloadEditor", "No EOL")),
        ("lf", QCoreApplication.translate("PayloadEditor", "LF \\n")),
        ("crlf", QCoreApplication.translate("PayloadEditor", "CRLF \\r\\n")),
        ("cr", QCoreApplication.translate("PayloadEditor", "CR \\r")),
    ]


class PayloadEditor(QWidget):
    """Payload input with mode, encoding and line ending; ``payload()`` gives the bytes.

    Args:
        compact: one line instead of a multi-line editor (for replies and short payloads).
        name: objectName of the text input (``payloadEdit`` for a panel's main payload).
        label: accessible name of the text input.
    Signals:
        changed(): the text or an option changed.
    """

    changed = Signal()

    def __init__(
        self,
        parent: QWidget | None = None,
        *,
        compact: bool = False,
        name: str = "payloadEdit",
        label: str = "",
    ) -> None:
        super().__init__(parent)
        self.compact = compact
        self._mode = "text"
        self._pending_switch: tuple[str, str] | None = None
        self.edit: QPlainTextEdit | QLineEdit
        if compact:
            self.edit = QLineEdit(self)
            self.edit.textChanged.connect(self._on_changed)
        else:
            self.edit = QPlainTextEdit(self)
            self.edit.setTabChangesFocus(True)
            self.edit.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)
            self.edit.setFont(monospace_font())
            line = self.edit.fontMetrics().lineSpacing()
            # Room for a few lines; the traffic log below deserves the rest of the height.
            self.edit.setMinimumHeight(line * 3 + 12)
            self.edit.setMaximumHeight(line * 6 + 12)
            self.edit.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
            self.edit.textChanged.connect(self._on_changed)
        self.edit.setObjectName(name)
        self.edit.setFont(monospace_font())
        self.edit.setAccessibleName(label or QCoreApplication.translate("PayloadEditor", "Payload"))
        self.edit.setToolTip(
            QCoreApplication.translate(
                "PayloadEditor",
                "What to send. Text is encoded with the chosen encoding; Hex takes bytes like "
                "'48 65 6C 6C 6F' or '0x48,0x65'; Escapes understands \\r \\n \\t \\0 \\\\ and \\xNN",
            )
        )

        self.mode_combo = QComboBox(self)
        self.mode_combo.setObjectName(f"{name}Mode")
        for key, text in _mode_labels():
            self.mode_combo.addItem(text, key)
        self.mode_combo.setToolTip(
            QCoreApplication.translate(
                "PayloadEditor", "How the payload is written: text, hex bytes or escapes"
            )
        )
        self.mode_combo.setAccessibleName(
            QCoreApplication.translate("PayloadEditor", "Payload format")
        )
        self.mode_combo.currentIndexChanged.connect(self._on_mode_changed)
        # Only a user's pick rewrites the text; restoring settings must not convert anything.
        self.mode_combo.activated.connect(self._on_mode_picked)

        self.encoding_combo = QComboBox(self)
        self.encoding_combo.setObjectName(f"{name}Encoding")
        self.encoding_combo.setEditable(True)
        self.encoding_combo.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.encoding_combo.addItems(list(ENCODINGS))
        self.encoding_combo.setToolTip(
            QCoreApplication.translate(
                "PayloadEditor",
                "The text encoding: UTF-8, GBK for Chinese devices, or any Python codec name",
            )
        )
        self.encoding_combo.setAccessibleName(
            QCoreApplication.translate("PayloadEditor", "Encoding")
        )
        self.encoding_combo.currentTextChanged.connect(self._on_changed)

        self.ending_combo = QComboBox(self)
        self.ending_combo.setObjectName(f"{name}LineEnding")
        for key, text in _ending_labels():
            self.ending_combo.addItem(text, key)
        self.ending_combo.setToolTip(
            QCoreApplication.translate(
                "PayloadEditor", "End of line: appended to text payloads when they are sent"
            )
        )
        self.ending_combo.setAccessibleName(
            QCoreApplication.translate("PayloadEditor", "Line ending")
        )
        self.ending_combo.currentIndexChanged.connect(self._on_changed)

        self.size_label = QLabel(self)
        self.size_label.setObjectName(f"{name}Size")
        set_text_role(self.size_label, "dim")
        self.error = InlineError(self)
        self.error.setObjectName(f"{name}Error")

        for combo in (self.mode_combo, self.encoding_combo, self.ending_combo):
            # Keep each choice readable; the byte count gives way first when space is short.
            combo.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
        options = QHBoxLayout()
        options.setContentsMargins(0, 0, 0, 0)
        options.addWidget(self.mode_combo)
        options.addWidget(self.encoding_combo)
        options.addWidget(self.ending_combo)
        options.addStretch(1)
        options.addWidget(self.size_label)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(3)
        if compact:
            layout.addWidget(self.edit)
            layout.addLayout(options)
        else:
            layout.addLayout(options)
            layout.addWidget(self.edit, 1)
        layout.addWidget(self.error)
        # Tab goes the way the rows read: the options row first unless it sits below the text.
        chain = [self.mode_combo, self.encoding_combo, self.ending_combo]
        chain = [self.edit, *chain] if compact else [*chain, self.edit]
        for first, second in itertools.pairwise(chain):
            QWidget.setTabOrder(first, second)
        layout.addStretch(0)  # spare height goes below the editor, not between its rows
        self.setFocusProxy(self.edit)
        self._update_feedback()

    # -- values --------------------------------------------------------------------------------

    def text(self) -> str:
        if isinstance(self.edit, QLineEdit):
            return self.edit.text()
        return self.edit.toPlainText()

    def set_text(self, text: str) -> None:
        if isinstance(self.edit, QLineEdit):
            self.edit.setText(text)
        else:
            self.edit.setPlainText(text)

    def mode(self) -> str:
        return str(self.mode_combo.currentData())

    def encoding(self) -> str:
        return self.encoding_combo.currentText().strip() or "UTF-8"

    def line_ending(self) -> str:
        return str(self.ending_combo.currentData())

    def spec(self) -> PayloadSpec:
        return PayloadSpec(self.text(), self.mode(), self.encoding(), self.line_ending())  # type: ignore[arg-type]

    def set_spec(self, spec: PayloadSpec) -> None:
        self._select(self.mode_combo, spec.mode)
        self._pending_switch = None
        self.encoding_combo.setCurrentText(spec.encoding)
        self._select(self.ending_combo, spec.line_ending)
        self.set_text(spec.text)

    def set_mode(self, mode: str) -> None:
        """Switch the mode, rewriting the current payload in the new form when it is valid."""
        self._select(self.mode_combo, mode)
        self._on_mode_picked()

    def payload(self) -> bytes:
        """The bytes to send; shows the problem and raises PayloadError when the input is bad."""
        try:
            data = self._encode()
        except PayloadError as exc:
            self.error.show_error(str(exc))
            raise
        self.error.clear_error()
        return data

    def check(self) -> str | None:
        try:
            self.payload()
        except PayloadError as exc:
            return str(exc)
        return None

    # -- internals -----------------------------------------------------------------------------

    def _encode(self, mode: str | None = None) -> bytes:
        return encode_payload(self.text(), mode or self.mode(), self.encoding(), self.line_ending())

    @staticmethod
    def _select(combo: QComboBox, key: str) -> None:
        index = combo.findData(key)
        if index >= 0:
            combo.setCurrentIndex(index)

    def _on_mode_changed(self) -> None:
        old, self._mode = self._mode, self.mode()
        # A user's pick emits activated right after this, in the same call; anything else (code,
        # restored settings) leaves the text as it is, so forget the switch on the next turn.
        self._pending_switch = (old, self._mode)
        QTimer.singleShot(0, self._forget_switch)
        self.ending_combo.setEnabled(self._mode != "hex")
        self._on_changed()

    def _forget_switch(self) -> None:
        self._pending_switch = None

    def _on_mode_picked(self) -> None:
        switch, self._pending_switch = self._pending_switch, None
        if switch is not None and switch[0] != switch[1] and self.text():
            self._convert(*switch)

    def _convert(self, old: str, new: str) -> None:
        # Keep the same bytes when switching form, as Packet Sender does; leave bad input alone.
        try:
            data = encode_payload(self.text(), old, self.encoding(), "none")
        except PayloadError:
            return
        if new == "hex":
            self.set_text(to_hex(data))
        elif new == "escapes":
            self.set_text(render_text(data, self.encoding(), one_line=True))
        else:
            try:
                self.set_text(data.decode(self.encoding()))
            except (UnicodeDecodeError, LookupError):
                self.set_text(render_text(data, self.encoding(), one_line=True))
                self._select(self.mode_combo, "escapes")

    def _on_changed(self) -> None:
        self._update_feedback()
        self.changed.emit()

    def _update_feedback(self) -> None:
        self.encoding_combo.setEnabled(self.mode() != "hex")
        try:
            data = self._encode()
        except PayloadError as exc:
            self.error.show_error(str(exc))
            self.size_label.setText("")
            return
        self.error.clear_error()
        count = len(data)
        self.size_label.setText(
            # self.tr (context "PayloadEditor"): lupdate sees plurals only in tr(text, "", n)
            self.tr("{count} bytes", "", count).format(count=f"{count:,}")
        )
