"""The shapes every panel's controls take: a named push button, the Start / Stop (or Connect /
Disconnect) pair, a row of buttons, and a form of labelled fields whose Alt+letter reaches them.

Texts come in already translated (``self.tr(...)`` in the panel), so each keeps its own
translation context and mnemonic: one panel's Stop is "St&op", another's "S&top".
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtWidgets import QFormLayout, QHBoxLayout, QLabel, QPushButton, QWidget

if TYPE_CHECKING:
    from gui.panels.base import Panel

__all__ = ["add_rows", "button_row", "push_button", "start_stop_buttons"]


def push_button(
    parent: QWidget,
    text: str,
    name: str,
    slot: Callable[[], object],
    *,
    tip: str = "",
    default: bool = False,
) -> QPushButton:
    """A button named ``name`` (its objectName, which tests and automation use) that calls
    ``slot`` when clicked; ``default`` makes it the one Enter presses."""
    button = QPushButton(text, parent)
    button.setObjectName(name)
    if tip:
        button.setToolTip(tip)
    if default:
        button.setDefault(True)
    button.clicked.connect(lambda _checked=False: slot())
    return button


def start_stop_buttons(
    panel: Panel,
    start: tuple[str, str],
    stop: tuple[str, str],
    *,
    names: tuple[str, str] = ("startButton", "stopButton"),
    on_start: Callable[[], object] | None = None,
) -> tuple[QPushButton, QPushButton]:
    """The pair that starts and stops what a panel runs: ``start`` and ``stop`` are each (text,
    tooltip). Start is the default button and calls ``on_start`` (the panel's ``trigger_start``,
    as Ctrl+R does, unless given); Stop calls ``trigger_stop`` (Ctrl+.). The panel enables one
    or the other as it runs."""
    return (
        push_button(
            panel, start[0], names[0], on_start or panel.trigger_start, tip=start[1], default=True
        ),
        push_button(panel, stop[0], names[1], panel.trigger_stop, tip=stop[1]),
    )


def button_row(*widgets: QWidget) -> QHBoxLayout:
    """``widgets`` (buttons; a check box and the field it enables) side by side from the left,
    the rest of the row empty."""
    row = QHBoxLayout()
    for widget in widgets:
        row.addWidget(widget)
    row.addStretch(1)
    return row


def add_rows(form: QFormLayout, *rows: tuple[str, QWidget] | tuple[str, QWidget, QWidget]) -> None:
    """One labelled row per (label text, field[, input]): the label's Alt+letter moves the focus
    to ``input``, the editable part of a compound field (a host field's combo box), or else to
    the field itself."""
    for text, field, *inner in rows:
        form.addRow(text, field)
        label = form.labelForField(field)
        if inner and isinstance(label, QLabel):
            label.setBuddy(inner[0])


# --- glog helpers ---

if TYPE_CHECKING:  # the glog block imports for itself, so that the two blocks merge cleanly
    from collections.abc import Iterable

    from PySide6.QtWidgets import QComboBox, QLineEdit


def choose_file(
    parent: QWidget,
    title: str,
    filters: str,
    then: Callable[[str], object],
    *,
    save_as: str | None = None,
) -> None:
    """Ask for a file to open (or, with ``save_as``, a file to save, suggesting that name) and
    call ``then`` with its path; nothing happens when the user cancels. ``filters`` is Qt's
    filter string ("Packet library (*.json);;All files (*)"), already translated."""
    from PySide6.QtWidgets import QFileDialog

    if save_as is None:
        path, _ = QFileDialog.getOpenFileName(parent, title, "", filters)
    else:
        path, _ = QFileDialog.getSaveFileName(parent, title, save_as, filters)
    if path:
        then(path)


def option_combo(
    parent: QWidget,
    name: str,
    tip: str,
    accessible: str,
    items: Iterable[str | tuple[str, object]] = (),
    *,
    editable: bool = False,
) -> QComboBox:
    """A combo box named ``name`` with its tooltip and accessible name, holding ``items``: a
    (text, data) pair each, or a plain text without data. ``editable`` lets the user type a value
    of their own (an encoding name) that is not added to the list."""
    from PySide6.QtWidgets import QComboBox

    combo = QComboBox(parent)
    combo.setObjectName(name)
    combo.setToolTip(tip)
    combo.setAccessibleName(accessible)
    if editable:
        combo.setEditable(True)
        combo.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
    for item in items:
        if isinstance(item, str):
            combo.addItem(item)
        else:
            combo.addItem(*item)
    return combo


def text_field(
    parent: QWidget, name: str, placeholder: str, tip: str, accessible: str
) -> QLineEdit:
    """A one-line input named ``name`` with its grey hint, tooltip and accessible name."""
    from PySide6.QtWidgets import QLineEdit

    edit = QLineEdit(parent)
    edit.setObjectName(name)
    edit.setPlaceholderText(placeholder)
    edit.setToolTip(tip)
    edit.setAccessibleName(accessible)
    return edit
