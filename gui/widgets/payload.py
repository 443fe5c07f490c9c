"""The payload editor: what to send, typed as text, hex or C escapes, in a chosen encoding.

It turns the user's input into bytes with :func:`net.codec.encode_payload` as they type, showing
the byte count, or the problem in red (malformed hex, a character the encoding cannot write).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from PySide6.QtCore import QCoreApplication, QEvent, QObject, Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from gui.widgets.forms import ButtonSpec, button_row, option_combo, push_buttons, stack
from gui.widgets.payload_forms import ModeSwitch, escapes_of, payload_forms
from gui.widgets.status import InlineError
from gui.widgets.style import monospace_font, set_text_role
from net.checksum import append_checksum, checksum_names
from net.codec import ENCODINGS, PayloadSpec, encode_payload, to_hex
from net.errors import PayloadError
from net.variables import render_payload, uses_variables

__all__ = ["PayloadEditor", "PayloadGroup", "escapes_of", "payload_forms"]


def _mode_labels() -> list[tuple[str, object]]:
    """The mode combo's (label, mode) items."""
    return [
        (QCoreApplication.translate("PayloadEditor", "Text"), "text"),
        (QCoreApplication.translate("PayloadEditor", "Hex"), "hex"),
        (QCoreApplication.translate("PayloadEditor", "Escapes"), "escapes"),
    ]


def _ending_labels() -> list[tuple[str, object]]:
    """The line ending combo's (label, line ending) items."""
    return [
        (QCoreApplication.translate("PayloadEditor", "No EOL"), "none"),
        (QCoreApplication.translate("PayloadEditor", "LF \\n"), "lf"),
        (QCoreApplication.translate("PayloadEditor", "CRLF \\r\\n"), "crlf"),
        (QCoreApplication.translate("PayloadEditor", "CR \\r"), "cr"),
    ]


class PayloadEditor(ModeSwitch, QWidget):
    """Payload input with mode, encoding and line ending; ``payload()`` gives the bytes.

    Args:
        compact: one line instead of a multi-line editor (for replies and short payloads).
        name: objectName of the text input (``payloadEdit`` for a panel's main payload).
        label: accessible name of the text input.
    A full (not compact) editor is a send box: its payload may use variables (net.variables,
    ``{{counter}}`` counts this editor's sends), a checksum is appended when one is chosen, and
    a preview shows the exact bytes of the next send.

    Signals:
        changed(): the text or an option changed.
        save_as_packet(): "Save as packet…" was clicked (the button shows once connected).
        sent(): the payload was taken for sending (for a payload history).
    """

    changed = Signal()
    save_as_packet = Signal()
    sent = Signal()

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
        self._mnemonic_box: QGroupBox | None = None
        self.edit = _text_input(self, compact, name, label)
        self.edit.textChanged.connect(self._on_changed)

        # The options row: how the text is written, its encoding, the end of line it gets.
        mode_tip = self.tr("How the payload is written: text, hex bytes or escapes")
        encoding_tip = self.tr(
            "The text encoding: UTF-8, GBK for Chinese devices, or any Python codec name"
        )
        ending_tip = self.tr("End of line: appended to text payloads when they are sent")
        self.mode_combo, self.encoding_combo, self.ending_combo = (
            option_combo(self, name + suffix, tip, accessible, items, editable=not items)
            for suffix, tip, accessible, items in (
                ("Mode", mode_tip, self.tr("Payload format"), _mode_labels()),
                ("Encoding", encoding_tip, self.tr("Encoding"), []),
                ("LineEnding", ending_tip, self.tr("Line ending"), _ending_labels()),
            )
        )
        self.encoding_combo.addItems(list(ENCODINGS))
        self.mode_combo.currentIndexChanged.connect(self._on_mode_changed)
        # Only a user's pick rewrites the text; restoring settings must not convert anything.
        self.mode_combo.activated.connect(self._on_mode_picked)
        self.encoding_combo.currentTextChanged.connect(self._on_changed)
        self.ending_combo.currentIndexChanged.connect(self._on_changed)

        # Send boxes only: replies are built once, so variables would mislead there.
        self.templates = not compact
        self._sends = SendCount()
        self.checksum_combo = option_combo(
            self,
            f"{name}Checksum",
            QCoreApplication.translate(
                "PayloadEditor",
                "Append a checksum to every send (crc16-modbus goes low byte first, as Modbus "
                "RTU sends it)",
            ),
            QCoreApplication.translate("PayloadEditor", "Checksum"),
            [(QCoreApplication.translate("PayloadEditor", "No checksum"), "")]
            + [(checksum, checksum) for checksum in checksum_names() if self.templates],
        )
        self.checksum_combo.setVisible(self.templates)
        self.checksum_combo.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        self.checksum_combo.setMinimumContentsLength(12)
        self.checksum_combo.currentIndexChanged.connect(self._on_changed)
        self.save_packet_button = QToolButton(self)
        self.save_packet_button.setObjectName(f"{name}SaveAsPacket")
        self.save_packet_button.setText(
            QCoreApplication.translate("PayloadEditor", "Save as packet…")
        )
        self.save_packet_button.setToolTip(
            QCoreApplication.translate(
                "PayloadEditor", "Keep this payload and its destination in the packet library"
            )
        )
        self.save_packet_button.clicked.connect(self.save_as_packet)
        self.save_packet_button.hide()
        self.preview = QLabel(self)
        self.preview.setObjectName(f"{name}Preview")
        self.preview.setFont(monospace_font())
        self.preview.setTextInteractionFlags(self.preview.textInteractionFlags() | _SELECTABLE)
        self.preview.setWordWrap(True)
        self.preview.hide()
        self.size_label = QLabel(self)
        self.size_label.setObjectName(f"{name}Size")
        set_text_role(self.size_label, "dim")
        self.error = InlineError(self)
        self.error.setObjectName(f"{name}Error")

        self._tools = _lay_out(self)
        self.setFocusProxy(self.edit)
        self._update_feedback()

    def take_mnemonic(self, box: QGroupBox) -> None:
        """Let the mnemonic in ``box``'s title (Alt+A for "P&ayload") go to the text input.

        A group box would give focus to the first child in Qt's focus chain: the mode combo.
        """
        box.installEventFilter(self)
        self._mnemonic_box = box

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self._mnemonic_box and event.type() == QEvent.Type.Shortcut:
            self.edit.setFocus(Qt.FocusReason.ShortcutFocusReason)
            return True
        return super().eventFilter(watched, event)

    def focus_chain(self) -> list[QWidget]:
        """The inputs in reading order, for the panel's tab order: the options row first unless
        it sits below the text."""
        options: list[QWidget] = [self.mode_combo, self.encoding_combo, self.ending_combo]
        if self.compact:
            return [self.edit, *options]
        return [*options, self.edit, self.checksum_combo, *self.tools()]

    def tools(self) -> list[QWidget]:
        """The tools row's controls, left to right (those added with :meth:`add_tool`, then
        "Save as packet…")."""
        items = (self._tools.itemAt(i) for i in range(self._tools.count()))
        return [widget for item in items if item is not None and (widget := item.widget())]

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

    def add_tool(self, widget: QWidget) -> None:
        """Put ``widget`` in the send box's tools row, before "Save as packet…" (Tab follows
        the row: see :meth:`focus_chain`)."""
        self._tools.insertWidget(self._tools.indexOf(self.save_packet_button), widget)

    def use_send_count(self, count: SendCount) -> None:
        """Count sends in ``count`` from now on (a saved packet keeps its own ``{{counter}}``)."""
        self._sends = count
        self._update_feedback()

    def checksum(self) -> str:
        """The chosen checksum's name (net.checksum), "" for none."""
        return str(self.checksum_combo.currentData() or "")

    def set_checksum(self, name: str) -> None:
        self._select(self.checksum_combo, name)

    def set_spec(self, spec: PayloadSpec) -> None:
        self._select(self.mode_combo, spec.mode)
        self._pending_switch = None
        self.encoding_combo.setCurrentText(spec.encoding)
        self._select(self.ending_combo, spec.line_ending)
        self.set_text(spec.text)

    def payload(self) -> bytes:
        """The bytes of the next send (``{{counter}}`` moves on); shows the problem and raises
        PayloadError when the input is bad."""
        try:
            data = self._render(self._sends.value)
        except PayloadError as exc:
            self.error.show_error(str(exc))
            raise
        self.error.clear_error()
        self._sends.value += 1
        self._update_preview()
        self.sent.emit()
        return data

    def next_bytes(self) -> bytes:
        """The bytes the next send would have, without counting a send.

        Raises:
            PayloadError: the input is bad.
        """
        return self._render(self._sends.value)

    def payload_source(self) -> Callable[[int], bytes]:
        """For a worker that repeats: a function of the send number (0, 1, ...) giving its bytes,
        which counts the editor's sends as it goes and never touches a widget."""
        spec, checksum, sends = self.spec(), self.checksum(), self._sends
        templates = self.templates and uses_variables(spec.text)
        if not templates:
            data = self._render(sends.value)
            self.sent.emit()
            return lambda _index: data

        def build(_index: int) -> bytes:
            data = append_checksum(render_payload(spec, sequence=sends.value), checksum)
            sends.value += 1
            return data

        self.sent.emit()
        return build

    def check(self) -> str | None:
        try:
            self.next_bytes()
        except PayloadError as exc:
            self.error.show_error(str(exc))
            return str(exc)
        self.error.clear_error()
        return None

    # -- internals -----------------------------------------------------------------------------

    def _encode(self, mode: str | None = None) -> bytes:
        return encode_payload(self.text(), mode or self.mode(), self.encoding(), self.line_ending())

    def _render(self, sequence: int) -> bytes:
        if not self.templates:
            return self._encode()
        return append_checksum(render_payload(self.spec(), sequence=sequence), self.checksum())

    def _update_preview(self) -> None:
        if not self.templates or not (self.checksum() or uses_variables(self.text())):
            self.preview.hide()
            return
        try:
            data = self.next_bytes()
        except PayloadError:
            self.preview.hide()
            return
        shown = to_hex(data[:_PREVIEW_BYTES]) + (" …" if len(data) > _PREVIEW_BYTES else "")
        self.preview.setText(
            QCoreApplication.translate("PayloadEditor", "Next send: {bytes}").format(bytes=shown)
        )
        self.preview.show()

    def _on_changed(self) -> None:
        if self.text() != self._sends.text:
            # A new payload counts its sends from the start again.
            self._sends = SendCount(self.text())
        self._update_feedback()
        self.changed.emit()

    def _update_feedback(self) -> None:
        self.encoding_combo.setEnabled(self.mode() != "hex")
        try:
            data = self._render(self._sends.value)
        except PayloadError as exc:
            self.error.show_error(str(exc))
            self.size_label.setText("")
            self.preview.hide()
            return
        self.error.clear_error()
        self._update_preview()
        count = len(data)
        self.size_label.setText(
            # self.tr (context "PayloadEditor"): lupdate sees plurals only in tr(text, "", n)
            self.tr("{count} bytes", "", count).format(count=f"{count:,}")
        )


def _text_input(
    parent: QWidget, compact: bool, name: str, label: str
) -> QPlainTextEdit | QLineEdit:
    """The payload's text input: one line (``compact``) or a few, in a monospace font."""
    edit: QPlainTextEdit | QLineEdit
    if compact:
        edit = QLineEdit(parent)
    else:
        edit = QPlainTextEdit(parent)
        edit.setTabChangesFocus(True)
        edit.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)
        edit.setFont(monospace_font())
        line = edit.fontMetrics().lineSpacing()
        # Room for a few lines; the traffic log below deserves the rest of the height.
        edit.setMinimumHeight(line * 3 + 12)
        edit.setMaximumHeight(line * 6 + 12)
        edit.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
    edit.setObjectName(name)
    edit.setFont(monospace_font())
    edit.setAccessibleName(label or QCoreApplication.translate("PayloadEditor", "Payload"))
    edit.setToolTip(
        QCoreApplication.translate(
            "PayloadEditor",
            "What to send. Text is encoded with the chosen encoding; Hex takes bytes like "
            "'48 65 6C 6C 6F' or '0x48,0x65'; Escapes understands \\r \\n \\t \\0 \\\\ and \\xNN",
        )
    )
    return edit


def _lay_out(editor: PayloadEditor) -> QHBoxLayout:
    """Put the editor's parts in place (a compact editor: text and byte count, then the options;
    a send box: options, text, checksum with preview and byte count, tools); returns the tools
    row."""
    for combo in (editor.mode_combo, editor.encoding_combo, editor.ending_combo):
        # Keep each choice readable; the byte count gives way first when space is short.
        combo.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
    options = QHBoxLayout()
    options.setContentsMargins(0, 0, 0, 0)
    options.addWidget(editor.mode_combo)
    options.addWidget(editor.encoding_combo)
    options.addWidget(editor.ending_combo)
    options.addStretch(1)
    # The send boxes' rows below the text: what is appended and the exact bytes, then the
    # tools (history, repeat, keeping the payload). One row for both did not fit a send box
    # of half an 800x600 window.
    checks = QHBoxLayout()
    checks.setContentsMargins(0, 0, 0, 0)
    checks.addWidget(editor.checksum_combo)
    checks.addWidget(editor.preview, 1)
    # The byte count sits below the options, not beside them: beside them the options row
    # alone was wider than half an 800x600 window.
    checks.addWidget(editor.size_label, 0, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignTop)
    tools = QHBoxLayout()
    tools.setContentsMargins(0, 0, 0, 0)
    tools.addWidget(editor.save_packet_button)
    tools.addStretch(1)
    extras = QVBoxLayout()
    extras.setContentsMargins(0, 0, 0, 0)
    extras.setSpacing(3)
    extras.addLayout(checks)
    extras.addLayout(tools)

    layout = QVBoxLayout(editor)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.setSpacing(3)
    if editor.compact:
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(editor.edit, 1)
        row.addWidget(editor.size_label)
        layout.addLayout(row)
        layout.addLayout(options)
    else:
        layout.addLayout(options)
        layout.addWidget(editor.edit, 1)
        layout.addLayout(extras)
    layout.addWidget(editor.error)
    layout.addStretch(0)  # spare height goes below the editor, not between its rows
    return tools


_PREVIEW_BYTES = 64
_SELECTABLE = Qt.TextInteractionFlag.TextSelectableByMouse


class SendCount:
    """How many sends a payload text has had; a worker's repeat increments it (one at a time)."""

    def __init__(self, text: str = "") -> None:
        self.text = text
        self.value = 0


class PayloadGroup(QGroupBox):
    """A payload editor (``payload``) with the row of buttons that send it under it; the Alt
    letter of the box's title reaches the editor's text."""

    def __init__(self, title: str, parent: QWidget, *, name: str = "payloadEdit") -> None:
        super().__init__(title, parent)
        self.payload = PayloadEditor(self, name=name)
        self.payload.take_mnemonic(self)

    def add_buttons(
        self, *specs: ButtonSpec, after: Sequence[QWidget] = (), stretch: bool = True
    ) -> list[QPushButton]:
        """A button per (text, name, slot, tooltip) side by side under the payload, then
        ``after``; with ``stretch`` the payload takes the height left over."""
        buttons = push_buttons(self, *specs)
        row = button_row(*buttons)
        for widget in after:
            row.addWidget(widget)
        stack(self, self.payload, row, stretch=0 if stretch else -1)
        return buttons
