"""QR codes for share URLs, so a phone on the same network can open one by pointing its camera.

:func:`qr_pixmap` renders with ``segno`` to PNG bytes in memory and loads them into a QPixmap;
:class:`QrCodeLabel` shows the code of one URL at a fixed size, with the URL under it.
"""

from __future__ import annotations

import io

from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import QLabel, QSizePolicy, QVBoxLayout, QWidget

from gui.widgets.style import monospace_font, set_text_role

__all__ = ["QrCodeLabel", "qr_pixmap"]


def qr_pixmap(text: str, *, size: int = 160) -> QPixmap:
    """A QR code of ``text`` about ``size`` pixels wide (whole modules, never blurred).

    A quiet zone of two modules is kept around the code: scanners need it.
    """
    import segno  # when the first code is drawn, not when the window starts

    code = segno.make(text, error="m")
    modules = code.symbol_size(scale=1, border=2)[0]
    scale = max(1, size // modules)
    buffer = io.BytesIO()
    code.save(buffer, kind="png", scale=scale, border=2)
    pixmap = QPixmap()
    pixmap.loadFromData(buffer.getvalue(), "PNG")
    return pixmap


class QrCodeLabel(QWidget):
    """The QR code of one URL, with the URL in small monospace text under it."""

    def __init__(self, parent: QWidget | None = None, *, size: int = 160) -> None:
        super().__init__(parent)
        self._size = size
        self._text = ""
        self.image = QLabel(self)
        self.image.setObjectName("qrImage")
        self.image.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.image.setFixedSize(size, size)
        self.image.setAccessibleName(QCoreApplication.translate("QrCode", "QR code"))
        self.caption = QLabel(self)
        self.caption.setObjectName("qrCaption")
        self.caption.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.caption.setFont(monospace_font())
        self.caption.setWordWrap(True)
        self.caption.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.caption.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Minimum)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(self.image, 0, Qt.AlignmentFlag.AlignHCenter)
        layout.addWidget(self.caption)
        self.set_text("")

    def text(self) -> str:
        return self._text

    def set_text(self, text: str) -> None:
        """Show the code of ``text``; an empty text shows a hint instead."""
        self._text = text
        if not text:
            self.image.setPixmap(QPixmap())
            self.image.setText(
                QCoreApplication.translate("QrCode", "Start the server to get a QR code")
            )
            self.image.setWordWrap(True)
            set_text_role(self.image, "dim", extra="border: 1px dashed palette(mid);")
            self.image.setToolTip("")
            self.caption.setText("")
            return
        set_text_role(self.image, None)
        self.image.setText("")
        self.image.setPixmap(qr_pixmap(text, size=self._size))
        self.image.setToolTip(
            QCoreApplication.translate("QrCode", "Scan this with a phone to open {url}").format(
                url=text
            )
        )
        self.caption.setText(text)

    def pixmap(self) -> QPixmap:
        return self.image.pixmap()
