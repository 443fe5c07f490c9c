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


# --- gfiles helpers ---

from typing import TypeVar  # noqa: E402 (this block is appended)

from PySide6.QtWidgets import QCheckBox, QLineEdit  # noqa: E402

__all__ += ["check_box", "line_edit", "named", "push_buttons"]

_Widget = TypeVar("_Widget", bound=QWidget)


def named(widget: _Widget, name: str, *, accessible: str = "", tip: str = "") -> _Widget:
    """``widget`` named ``name`` (its objectName: tests, automation and the settings key use
    it), with the name a screen reader says and a tooltip when given; returns it."""
    widget.setObjectName(name)
    if accessible:
        widget.setAccessibleName(accessible)
    if tip:
        widget.setToolTip(tip)
    return widget


def push_buttons(
    parent: QWidget, *specs: tuple[str, str, Callable[[], object], str]
) -> list[QPushButton]:
    """One :func:`push_button` per (text, objectName, slot, tooltip), in order: a panel's row of
    buttons written as a table."""
    return [push_button(parent, text, name, slot, tip=tip) for text, name, slot, tip in specs]


def check_box(
    parent: QWidget, text: str, name: str, tip: str, *, checked: bool = False
) -> QCheckBox:
    """A check box named ``name`` with a tooltip that says what ticking it does."""
    box = named(QCheckBox(text, parent), name, tip=tip)
    box.setChecked(checked)
    return box


def line_edit(
    parent: QWidget, name: str, *, accessible: str, tip: str = "", placeholder: str = ""
) -> QLineEdit:
    """A line edit named ``name``, with the name a screen reader says, and a tooltip and
    placeholder when given."""
    edit = named(QLineEdit(parent), name, accessible=accessible, tip=tip)
    if placeholder:
        edit.setPlaceholderText(placeholder)
    return edit
