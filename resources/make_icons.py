"""Render the app icon from its SVG: `python -m resources.make_icons` after editing it.

Writes the PNG sizes (Linux desktops, the window icon), ``socket-workbench.ico`` (Windows: the
.exe, Explorer and the taskbar; 16-256 px) and ``socket-workbench.icns`` (macOS: the .app in Finder
and the Dock; 16-1024 px). Qt's SVG renderer draws every size from the vector source, so small
sizes are drawn, not scaled down from a big bitmap; Pillow writes the two containers.
"""

from __future__ import annotations

import io
import sys
from pathlib import Path

ICONS = Path(__file__).resolve().parent / "icons"
SVG = ICONS / "socket-workbench.svg"
ICO = ICONS / "socket-workbench.ico"
ICNS = ICONS / "socket-workbench.icns"
#: Sizes written as PNG files next to the SVG.
SIZES = (16, 24, 32, 48, 64, 128, 256, 512)
#: Sizes inside the .ico (Windows shows 16-48 in lists and 256 in large views).
ICO_SIZES = (16, 24, 32, 48, 64, 128, 256)
#: Sizes inside the .icns (macOS: 16-512, each also @2x, so up to 1024).
ICNS_SIZES = (16, 32, 64, 128, 256, 512, 1024)


def render(size: int) -> bytes:
    """The SVG drawn at ``size`` x ``size`` pixels, as PNG bytes (needs a QGuiApplication)."""
    from PySide6.QtCore import QBuffer, QByteArray, QIODevice, Qt
    from PySide6.QtGui import QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    renderer = QSvgRenderer(str(SVG))
    image = QImage(size, size, QImage.Format.Format_ARGB32)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    renderer.render(painter)
    painter.end()
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")
    buffer.close()
    return bytes(data.data())


def main() -> int:
    from PIL import Image
    from PySide6.QtGui import QGuiApplication

    app = QGuiApplication.instance() or QGuiApplication(sys.argv[:1])
    rendered = {size: render(size) for size in sorted({*SIZES, *ICO_SIZES, *ICNS_SIZES})}
    for size in SIZES:
        (ICONS / f"socket-workbench-{size}.png").write_bytes(rendered[size])
    images = {size: Image.open(io.BytesIO(data)).convert("RGBA") for size, data in rendered.items()}
    # Each container gets the drawn image of each size instead of Pillow's down-scaled largest.
    largest_ico = images[max(ICO_SIZES)]
    largest_ico.save(
        ICO,
        format="ICO",
        sizes=[(s, s) for s in ICO_SIZES],
        append_images=[images[s] for s in ICO_SIZES if s != max(ICO_SIZES)],
    )
    images[max(ICNS_SIZES)].save(
        ICNS,
        format="ICNS",
        append_images=[images[s] for s in ICNS_SIZES if s != max(ICNS_SIZES)],
    )
    del app
    return 0


if __name__ == "__main__":
    sys.exit(main())
