"""Small labels that carry messages: an inline error under a field, and a panel's status line.

Both show net's sentences in the GUI's words: advice written for the command line ("pin its
fingerprint with --fingerprint") is replaced by the names of the controls to use instead
(:func:`gui_wording`).
"""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, Qt, Signal
from PySide6.QtWidgets import QLabel, QSizePolicy, QWidget

from gui.widgets.style import sentence, set_text_role
from net._i18n import _ as net_text
from net.errors import CLI_ADVICE

__all__ = ["InlineError", "StatusLine", "gui_wording"]


def _advice_in_gui_words() -> dict[str, str]:
    """Each kind of net's advice, naming the controls of the TLS box (their own translations)."""
    pin = QCoreApplication.translate("ClientSecurityBox", "Pin SHA-256 fingerprint")
    insecure = QCoreApplication.translate("ClientSecurityBox", "Insecure (no verification)")
    ca_file = QCoreApplication.translate("ClientSecurityBox", "CA file…")
    return {
        "pin-or-insecure": QCoreApplication.translate(
            "StatusLine",
            "under Security choose “{pin}” and paste its fingerprint, or choose “{insecure}”",
        ).format(pin=pin, insecure=insecure),
        "ca-pin-or-insecure": QCoreApplication.translate(
            "StatusLine",
            "under Security give that authority's certificate with “{ca_file}”, choose “{pin}” "
            "and paste the fingerprint, or choose “{insecure}”",
        ).format(ca_file=ca_file, pin=pin, insecure=insecure),
    }


def gui_wording(message: str) -> str:
    """``message`` with the command line's advice (:data:`net.errors.CLI_ADVICE`) replaced by
    what to click in the window."""
    if "--" not in message:
        return message
    words = _advice_in_gui_words()
    for kind, advice in CLI_ADVICE.items():
        # net made the message in the user's language; a message made before a language
        # change still holds the English advice.
        for said in {net_text(advice), advice}:
            message = message.replace(said, words[kind])
    return message


class InlineError(QLabel):
    """A small red message right under an input; hidden while there is nothing to say.

    Signals:
        message_changed(previous, current): the shown text changed ("" when cleared).
    """

    message_changed = Signal(str, str)

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
        self._set(sentence(gui_wording(message)))
        self.setVisible(True)

    def clear_error(self) -> None:
        self._set("")
        self.setVisible(False)

    def _set(self, text: str) -> None:
        previous = self.text()
        self.setText(text)
        if text != previous:
            self.message_changed.emit(previous, text)

    @property
    def message(self) -> str:
        return self.text()


class StatusLine(QLabel):
    """One line under a panel saying what just happened: plain, a warning, or an error (red).

    An error that repeats a field's inline error follows that field: when the field's problem
    changes the line says the new one, and when the field is fixed the line clears, so it never
    contradicts the field ("the port is empty" under a field that says "out of range").
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("statusLabel")
        self.setWordWrap(True)
        self.setTextFormat(Qt.TextFormat.PlainText)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.kind = "info"
        self._source: InlineError | None = None
        self._watched: set[int] = set()

    def show_info(self, message: str) -> None:
        self._show(message, "info")

    def show_warning(self, message: str) -> None:
        self._show(message, "warning")

    def show_error(self, message: str) -> None:
        self._show(message, "error")

    def clear(self) -> None:
        self._show("", "info")

    def _show(self, message: str, kind: str) -> None:
        self.kind = kind
        set_text_role(self, None if kind == "info" else kind, bold=kind == "error")
        self.setText(sentence(gui_wording(message)))
        self._source = self._field_saying(self.text()) if kind == "error" else None

    def _field_saying(self, text: str) -> InlineError | None:
        """The visible inline error of this panel that says ``text``, if any (watched from now)."""
        parent = self.parentWidget()
        if parent is None or not text:
            return None
        for error in parent.findChildren(InlineError):
            if error.text() == text and error.isVisibleTo(parent):
                if id(error) not in self._watched:
                    self._watched.add(id(error))
                    error.message_changed.connect(
                        lambda previous, current, error=error: self._follow(error, current)
                    )
                return error
        return None

    def _follow(self, error: InlineError, current: str) -> None:
        if error is not self._source or self.kind != "error":
            return
        if current:
            self.setText(current)
        else:
            self.clear()
