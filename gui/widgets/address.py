"""Address inputs that validate as the user types, with net.address's own rules and messages.

* :class:`HostField` — a target host (IPv4, IPv6, name) in an editable combo that remembers recent
  hosts;
* :class:`PortField` — a port 1-65535 (or 0 = any free port, where binding);
* :class:`BindAddressPicker` — where to listen: any IPv4 / IPv6, loopback, or one interface's
  address; the user may also type an address. The interface list is read on a worker thread
  (:class:`InterfaceList`): on Windows, reading many adapters, or the resolver fallback, can take
  seconds, and four panels build a picker.

Each shows the problem in a small red line under the input; ``host()`` / ``port()`` /
``address()`` raise :class:`net.errors.AddressError` (after showing it) so a panel can stop early.
"""

from __future__ import annotations

import logging
import threading

from PySide6.QtCore import QCoreApplication, QObject, Qt, Signal
from PySide6.QtWidgets import QComboBox, QLineEdit, QSizePolicy, QVBoxLayout, QWidget

from gui.widgets.status import InlineError
from net.address import parse_host, parse_port
from net.errors import AddressError
from net.interfaces import interface_addresses

__all__ = ["BindAddressPicker", "HostField", "InterfaceList", "PortField", "local_addresses"]

log = logging.getLogger(__name__)


class _Field(QWidget):
    """An input with an inline error under it."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.error = InlineError(self)
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self._layout.setSpacing(2)

    def _place(self, editor: QWidget, tip: str, what: str) -> None:
        """Show ``editor`` (its tooltip ``tip``, accessible name ``what``) above the error."""
        editor.setToolTip(tip)
        editor.setAccessibleName(what)
        self._layout.addWidget(editor)
        self._layout.addWidget(self.error)
        self.setFocusProxy(editor)

    def _editable_combo(self, name: str) -> QComboBox:
        """An editable drop-down named ``name`` that adds nothing typed to its list."""
        combo = QComboBox(self)
        combo.setObjectName(name)
        combo.setEditable(True)
        combo.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        combo.setMinimumContentsLength(18)
        combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        combo.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        combo.editTextChanged.connect(self._live_check)
        return combo

    def _checked(self) -> None:
        """Raise AddressError (after showing it) unless the field is valid."""
        message = self.check()
        if message is not None:
            raise AddressError(message)

    def _validate(self, text: str) -> None:
        raise NotImplementedError

    def check(self) -> str | None:
        """Validate now (an empty field counts as an error); show and return the message."""
        try:
            self._validate(self.text())
        except AddressError as exc:
            self.error.show_error(str(exc))
            return str(exc)
        self.error.clear_error()
        return None

    def text(self) -> str:
        raise NotImplementedError

    def _live_check(self) -> None:
        # While typing, an empty field is not yet a mistake; anything else is checked at once.
        if self.text().strip():
            self.check()
        else:
            self.error.clear_error()
        self.changed.emit()


class HostField(_Field):
    """A host to send to or connect to, with a drop-down of recently used hosts."""

    def __init__(
        self,
        parent: QWidget | None = None,
        *,
        name: str = "hostEdit",
        recent_limit: int = 12,
    ) -> None:
        super().__init__(parent)
        self.recent_limit = recent_limit
        self.combo = self._editable_combo(name)
        self.combo.setProperty("persistItems", True)
        line = self.combo.lineEdit()
        assert line is not None  # an editable combo has one
        line.setPlaceholderText(
            QCoreApplication.translate("AddressFields", "IP address or host name")
        )
        line.setClearButtonEnabled(True)
        tip = QCoreApplication.translate(
            "AddressFields", "The host to talk to: an IPv4 address, an IPv6 address or a host name"
        )
        self._place(self.combo, tip, QCoreApplication.translate("AddressFields", "Host"))

    def text(self) -> str:
        return self.combo.currentText().strip()

    def set_text(self, text: str) -> None:
        self.combo.setEditText(text)

    def _validate(self, text: str) -> None:
        parse_host(text)

    def host(self) -> str:
        """The host in normal form; shows the problem and raises AddressError when invalid."""
        self._checked()
        return parse_host(self.text())

    def recent(self) -> list[str]:
        return [self.combo.itemText(i) for i in range(self.combo.count())]

    def set_recent(self, hosts: list[str]) -> None:
        text = self.combo.currentText()
        self.combo.blockSignals(True)
        self.combo.clear()
        seen: set[str] = set()
        for host in hosts:
            if host and host not in seen and len(seen) < self.recent_limit:
                seen.add(host)
                self.combo.addItem(host)
        self.combo.setEditText(text)
        self.combo.blockSignals(False)

    def remember(self, host: str) -> None:
        """Put ``host`` first in the recent list (used once a send or connect was started)."""
        self.set_recent([host, *[h for h in self.recent() if h != host]])


class PortField(_Field):
    """A port number; with ``allow_zero`` (listeners) 0, or an empty field, means "any free port"."""

    def __init__(
        self,
        parent: QWidget | None = None,
        *,
        name: str = "portEdit",
        allow_zero: bool = False,
        optional: bool = False,
    ) -> None:
        super().__init__(parent)
        self.allow_zero = allow_zero
        self.optional = optional
        self.edit = QLineEdit(self)
        self.edit.setObjectName(name)
        self.edit.setMaxLength(8)
        self.edit.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
        self.edit.setMinimumWidth(self.edit.fontMetrics().horizontalAdvance("0") * 9)
        if optional:
            self.edit.setPlaceholderText(QCoreApplication.translate("AddressFields", "any"))
        elif allow_zero:
            self.edit.setPlaceholderText(
                QCoreApplication.translate("AddressFields", "0 = any free port")
            )
        else:
            self.edit.setPlaceholderText(QCoreApplication.translate("AddressFields", "1-65535"))
        tip = (
            QCoreApplication.translate("AddressFields", "A port number from 1 to 65535")
            if not allow_zero
            else QCoreApplication.translate(
                "AddressFields",
                "A port number from 1 to 65535, or 0 to let the system pick a free port",
            )
        )
        self.edit.textChanged.connect(self._live_check)
        self._place(self.edit, tip, QCoreApplication.translate("AddressFields", "Port"))

    def text(self) -> str:
        return self.edit.text().strip()

    def set_text(self, text: str) -> None:
        self.edit.setText(text)

    def _empty_is_any(self) -> bool:
        return self.optional or self.allow_zero

    def _validate(self, text: str) -> None:
        if self._empty_is_any() and not text:
            return
        parse_port(text, allow_zero=self.allow_zero)

    def port(self) -> int:
        """The port; 0 ("any free port") for an empty optional or listening field.

        Shows and raises AddressError when invalid.
        """
        self._checked()
        if self._empty_is_any() and not self.text():
            return 0
        return parse_port(self.text(), allow_zero=self.allow_zero)


def local_addresses() -> list[tuple[str, str]]:
    """Every address this computer has, as (address, interface name), loopback excluded.

    Blocking (it asks the system, see :func:`net.interfaces.interface_addresses`): call it off the
    GUI thread, as :class:`InterfaceList` does.
    """
    return [(a.address, a.interface) for a in interface_addresses() if not a.loopback]


class InterfaceList(QObject):
    """The computer's addresses for every :class:`BindAddressPicker`, read on a worker thread.

    ``addresses`` holds the last list read, as :func:`local_addresses` gives it (empty until the
    first read ends); ``ready`` is emitted on the GUI thread after each read. One read at a time:
    asking while one runs does nothing.
    """

    ready = Signal()

    _shared: InterfaceList | None = None

    def __init__(self) -> None:
        super().__init__()
        self.addresses: list[tuple[str, str]] = []
        self._lock = threading.Lock()
        self._reading = False
        self._started = False

    @classmethod
    def shared(cls) -> InterfaceList:
        """The one list of the application (made on the GUI thread by the first picker)."""
        if cls._shared is None:
            cls._shared = cls()
        return cls._shared

    def read(self, *, again: bool = True) -> None:
        """Read the addresses on a worker thread; ``ready`` follows. ``again=False`` reads only
        when no read has started yet (a new picker shows the list the others have)."""
        with self._lock:
            if self._reading or (self._started and not again):
                return
            self._reading = self._started = True
        threading.Thread(target=self._read, name="swb-interfaces", daemon=True).start()

    def _read(self) -> None:
        found: list[tuple[str, str]] = []
        try:
            found = local_addresses()
        except Exception:  # the pickers keep the fixed choices; the reason goes to the log
            log.exception("reading the network interfaces failed")
        with self._lock:
            self.addresses = found
            self._reading = False
        self.ready.emit()  # from the worker: receivers connect queued, so they run on theirs


class BindAddressPicker(_Field):
    """Where a listener binds: any IPv4 / IPv6 address, loopback, or one interface's address."""

    SEPARATOR = "  —  "

    def __init__(self, parent: QWidget | None = None, *, name: str = "hostEdit") -> None:
        super().__init__(parent)
        self.combo = self._editable_combo(name)
        tip = QCoreApplication.translate(
            "AddressFields",
            "The local address to listen on: any address, loopback only (this computer), "
            "one network interface, or an address you type",
        )
        self._interfaces = InterfaceList.shared()
        self._fill()
        self._interfaces.ready.connect(self._fill, Qt.ConnectionType.QueuedConnection)
        self._interfaces.read(again=False)
        # Show the address, not the end of its description, when the field is narrow.
        self.combo.currentIndexChanged.connect(self._show_start)
        what = QCoreApplication.translate("AddressFields", "Bind address")
        self._place(self.combo, tip, what)

    def _show_start(self) -> None:
        line = self.combo.lineEdit()
        if line is not None:
            line.setCursorPosition(0)

    def refresh(self) -> None:
        """List the choices again (interfaces come and go): read on a worker thread, shown
        when the read ends."""
        self._interfaces.read()

    def _fill(self) -> None:
        text = self.combo.currentText()
        index = self.combo.currentIndex()
        chosen = self.combo.itemData(index) if self.combo.itemText(index) == text else None
        self.combo.blockSignals(True)
        self.combo.clear()
        choices = [
            ("0.0.0.0", QCoreApplication.translate("AddressFields", "any IPv4")),
            ("::", QCoreApplication.translate("AddressFields", "any IPv6")),
            ("127.0.0.1", QCoreApplication.translate("AddressFields", "this computer only")),
            ("::1", QCoreApplication.translate("AddressFields", "this computer only, IPv6")),
            *self._interfaces.addresses,
        ]
        for address, description in choices:
            self.combo.addItem(f"{address}{self.SEPARATOR}{description}", address)
        # The chosen item stays chosen (its data is what settings keep); a typed address that
        # the new list holds becomes its item; other typed text stays as typed.
        found = self.combo.findData(chosen if chosen is not None else text.strip())
        if found >= 0:
            self.combo.setCurrentIndex(found)
        elif text:
            self.combo.setEditText(text)
        self.combo.blockSignals(False)
        self._show_start()

    def text(self) -> str:
        return self.combo.currentText().strip()

    def set_text(self, text: str) -> None:
        index = self.combo.findData(text)
        if index >= 0:
            self.combo.setCurrentIndex(index)
        else:
            self.combo.setEditText(text)

    def set_address(self, address: str) -> None:
        self.set_text(address)

    def _raw_address(self) -> str:
        text = self.text()
        return text.split(self.SEPARATOR.strip(), 1)[0].strip().split(" ", 1)[0]

    def _validate(self, text: str) -> None:
        parse_host(self._raw_address())

    def address(self) -> str:
        """The address to bind; shows and raises AddressError when invalid."""
        self._checked()
        return parse_host(self._raw_address())
