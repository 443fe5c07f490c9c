"""Small labels that carry messages: an inline error under a field, and a panel's status line."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QSizePolicy, QWidget

from gui.widgets.style import sentence, set_text_role

__all__ = ["InlineError", "StatusLine"]


class InlineError(QLabel):
    """A small red message right under an input; hidden while there is nothing to say."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWordWrap(True)
        self.setTextFormat(Qt.TextFormat.PlainText)
        set_text_role(self, "error")
        font = self.font()
        font.setPointSizeF(max(7.0, font.pointSizeF() * 0.9))
        self.setFont(font)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Minimum)
        self.hide()

    def show_error(self, message: str) -> None:
        self.setText(sentence(message))
        self.setVisible(True)

    def clear_error(self) -> None:
        self.setText("")
        self.setVisible(False)

    @property
    def message(self) -> str:
        return self.text()


class StatusLine(QLabel):
    """One line under a panel saying what just happened: plain, a warning, or an error (red)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("statusLabel")
        self.setWordWrap(True)
        self.setTextFormat(Qt.TextFormat.PlainText)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.kind = "info"

    def show_info(self, message: str) -> None:
        self._show(message, "info")

    def show_warning(self, message: str) -> None:
        self._show(message, "warning")

    def show_error(self, message: str) -> None:
        self._show(message, "error")

    def _show(self, message: str, kind: str) -> None:
        self.kind = kind
        set_text_role(self, None if kind == "info" else kind, bold=kind == "error")
        self.setText(sentence(message))
