"""The shapes every panel's controls take: a named push button, the Start / Stop (or Connect /
Disconnect) pair, a row of buttons, a form of labelled fields whose Alt+letter reaches them, the
spin boxes, check boxes and drop-downs that panels build from a line of specs, and the boxes
panels are made of: :class:`FieldsBox` (labelled fields, which give the Tab order and what a run
locks), :class:`LiveBox` (settings that apply while a run goes on) and :class:`PayloadGroup`
(a payload with the buttons that send it).

Texts come in already translated (``self.tr(...)`` in the panel), so each keeps its own
translation context and mnemonic: one panel's Stop is "St&op", another's "S&top".
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import TypeVar

from PySide6.QtCore import Signal, SignalInstance
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLayout,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from gui.widgets.address import BindAddressPicker, PortField

__all__ = [
    "FieldsBox",
    "LiveBox",
    "add_rows",
    "ask_file",
    "button_row",
    "check_box",
    "counters_row",
    "line_edit",
    "listen_fields",
    "named",
    "option_combo",
    "push_button",
    "push_buttons",
    "spin_box",
    "stack",
    "start_stop_buttons",
]

Row = tuple[str, QWidget] | tuple[str, QWidget, QWidget]
#: A push button's text, objectName, what a click calls, and tooltip.
ButtonSpec = tuple[str, str, Callable[[], object], str]
_Spin = TypeVar("_Spin", QSpinBox, QDoubleSpinBox)
_Widget = TypeVar("_Widget", bound=QWidget)


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


def push_buttons(parent: QWidget, *specs: ButtonSpec) -> list[QPushButton]:
    """One :func:`push_button` per (text, name, slot, tooltip), in order."""
    return [push_button(parent, text, name, slot, tip=tip) for text, name, slot, tip in specs]


def ask_file(
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
    if save_as is None:
        path, _ = QFileDialog.getOpenFileName(parent, title, "", filters)
    else:
        path, _ = QFileDialog.getSaveFileName(parent, title, save_as, filters)
    if path:
        then(path)


def start_stop_buttons(
    panel: QWidget,
    start: tuple[str, str],
    stop: tuple[str, str],
    *,
    names: tuple[str, str] = ("startButton", "stopButton"),
    on_start: Callable[[], object] | None = None,
) -> tuple[QPushButton, QPushButton]:
    """The pair that starts and stops what a panel (or a tab of one) runs: ``start`` and
    ``stop`` are each (text, tooltip). Start is the default button and calls ``on_start`` (the
    panel's ``trigger_start``, as Ctrl+R does, unless given); Stop calls ``trigger_stop``
    (Ctrl+.). The panel enables one or the other as it runs."""
    return (
        push_button(
            panel,
            start[0],
            names[0],
            on_start or getattr(panel, "trigger_start"),  # noqa: B009 - any panel-like widget
            tip=start[1],
            default=True,
        ),
        push_button(panel, stop[0], names[1], getattr(panel, "trigger_stop"), tip=stop[1]),  # noqa: B009
    )


def button_row(*widgets: QWidget) -> QHBoxLayout:
    """``widgets`` (buttons; a check box and the field it enables) side by side from the left,
    the rest of the row empty."""
    row = QHBoxLayout()
    for widget in widgets:
        row.addWidget(widget)
    row.addStretch(1)
    return row


def counters_row(buttons: Iterable[QWidget], counters: QWidget, *after: QWidget) -> QHBoxLayout:
    """``buttons``, then the ``counters`` label taking the width left, then ``after`` (a button
    at the right end)."""
    row = QHBoxLayout()
    for button in buttons:
        row.addWidget(button)
    row.addSpacing(12)
    row.addWidget(counters, 1)
    for widget in after:
        row.addWidget(widget)
    return row


def add_rows(form: QFormLayout, *rows: Row) -> None:
    """One labelled row per (label text, field[, input]): the label's Alt+letter moves the focus
    to ``input``, the editable part of a compound field (a host field's combo box), or else to
    the field itself."""
    for text, field, *inner in rows:
        form.addRow(text, field)
        label = form.labelForField(field)
        if inner and isinstance(label, QLabel):
            label.setBuddy(inner[0])


class FieldsBox(QGroupBox):
    """A group box of labelled fields (:func:`add_rows`) and rows of buttons under them, which
    knows the order Tab visits its inputs and which fields a run locks."""

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self.form = QFormLayout(self)
        self._fields: list[QWidget] = []
        self._chain: list[QWidget] = []

    def add_rows(self, *rows: Row) -> None:
        """Labelled rows, as :func:`add_rows`; Tab visits each row's input."""
        add_rows(self.form, *rows)
        for _text, field, *inner in rows:
            self._fields.append(field)
            self._chain.append(inner[0] if inner else field)

    def add_buttons(self, *widgets: QWidget) -> None:
        """A row of ``widgets`` side by side under the fields (:func:`button_row`)."""
        self.form.addRow("", button_row(*widgets))
        self._chain.extend(widgets)

    def inputs(self) -> tuple[QWidget, ...]:
        """The fields of the labelled rows: what a run started with them locks."""
        return tuple(self._fields)

    def focus_chain(self) -> list[QWidget]:
        """The inputs in the order Tab visits them."""
        return list(self._chain)


def listen_fields(parent: QWidget) -> tuple[BindAddressPicker, PortField]:
    """Where a server listens: the address picker and the port (0 = any free port)."""
    return BindAddressPicker(parent), PortField(parent, allow_zero=True)


class LiveBox(QGroupBox):
    """A group box of settings that apply at once, also while a run goes on.

    Signals:
        changed(): one of the settings changed (see :meth:`watch`).
    """

    changed = Signal()

    def watch(self, *signals: SignalInstance) -> None:
        """Emit ``changed`` whenever one of ``signals`` fires."""
        for signal in signals:
            signal.connect(lambda *_: self.changed.emit())


def stack(
    holder: QWidget, *items: QWidget | QLayout, stretch: int | Sequence[int] = -1
) -> QVBoxLayout:
    """Lay ``items`` (widgets, rows of buttons) out one above the other in ``holder`` (a group
    box, a page, a panel); the item at index ``stretch`` gets the height left over, or each
    item its factor in a sequence ``stretch``."""
    layout = QVBoxLayout(holder)
    for index, item in enumerate(items):
        factor = int(index == stretch) if isinstance(stretch, int) else stretch[index]
        if isinstance(item, QLayout):
            layout.addLayout(item, factor)
        else:
            layout.addWidget(item, factor)
    return layout


def spin_box(
    spin: _Spin,
    name: str,
    what: str,
    limits: tuple[float, float],
    *,
    value: float | None = None,
    suffix: str = "",
    tip: str = "",
    grouped: bool = False,
) -> _Spin:
    """``spin`` (a QSpinBox, or a QDoubleSpinBox with one decimal: seconds, milliseconds,
    percent) named ``name``, for a number in ``limits`` (inclusive); ``what`` is its accessible
    name; ``grouped`` shows digit group separators (counts up to millions)."""
    spin.setObjectName(name)
    spin.setRange(limits[0], limits[1])  # type: ignore[arg-type]  # whole numbers for a QSpinBox
    if isinstance(spin, QDoubleSpinBox):
        spin.setDecimals(1)
    if grouped:
        spin.setGroupSeparatorShown(True)
    if value is not None:
        spin.setValue(value)  # type: ignore[arg-type]
    if suffix:
        spin.setSuffix(suffix)
    spin.setAccessibleName(what)
    if tip:
        spin.setToolTip(tip)
    return spin


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


def named(widget: _Widget, name: str, *, accessible: str = "", tip: str = "") -> _Widget:
    """``widget`` named ``name`` (its objectName: tests, automation and the settings key use
    it), with the name a screen reader says and a tooltip when given; returns it."""
    widget.setObjectName(name)
    if accessible:
        widget.setAccessibleName(accessible)
    if tip:
        widget.setToolTip(tip)
    return widget


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
