"""Entry points: :func:`create_app` builds the QApplication, :func:`main` runs the window."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from importlib import metadata

from PySide6.QtCore import QCoreApplication
from PySide6.QtWidgets import QApplication

from gui import runner
from gui.resources import app_icon, install_translations

__all__ = ["APP_NAME", "ORGANIZATION", "create_app", "main", "version"]

ORGANIZATION = "SocketWorkbench"
#: After the window has closed, how long to wait for a worker stuck in a name lookup.
LATE_WORKER_TIMEOUT = 10.0
APP_NAME = "Socket Workbench"


def version() -> str:
    """The installed package's version ("0.1.0"), or "unknown" when run from a bare tree."""
    try:
        return metadata.version("socket-workbench")
    except metadata.PackageNotFoundError:
        return "unknown"


def create_app(argv: Sequence[str] | None = None) -> QApplication:
    """Build (or reuse) the QApplication: names for QSettings, icon, system-locale translations."""
    QCoreApplication.setOrganizationName(ORGANIZATION)
    QCoreApplication.setApplicationName(APP_NAME)
    QCoreApplication.setApplicationVersion(version())
    existing = QApplication.instance()
    app = existing if isinstance(existing, QApplication) else None
    if app is None:
        app = QApplication(list(argv if argv is not None else sys.argv))
        install_translations(app)
    app.setApplicationDisplayName(APP_NAME)
    app.setDesktopFileName("socket-workbench")
    icon = app_icon()
    if not icon.isNull():
        app.setWindowIcon(icon)
    return app


def main(argv: Sequence[str] | None = None) -> int:
    """Start the desktop app; returns the exit status."""
    app = create_app(argv)
    from gui.main_window import MainWindow  # after the app exists: widgets need it

    window = MainWindow()
    window.show()
    status = int(app.exec())
    # Closing waited 2 s; a worker still inside a DNS lookup (bounded by its own timeout) must
    # end before Python tears the QThread down, or Qt aborts the process.
    runner.stop_all(LATE_WORKER_TIMEOUT)
    return status
