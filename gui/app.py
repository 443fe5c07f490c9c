"""Entry points: :func:`create_app` builds the QApplication, :func:`main` runs the window.

The languages and their translations are gui.i18n's (re-exported here for the entry points' users).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping, Sequence

from PySide6.QtCore import QCoreApplication, QTimer
from PySide6.QtWidgets import QApplication

from gui import runner
from gui.collector import GuiThreadCollector
from gui.i18n import (
    LANGUAGE_KEY,
    LANGUAGES,
    QT_DIALOG_TEXTS,
    install_language,
    install_plural_forms,
    language_setting,
    locale_for,
)
from gui.resources import app_icon
from net._version import __version__

__all__ = [
    "APP_NAME",
    "LANGUAGES",
    "LANGUAGE_KEY",
    "ORGANIZATION",
    "QT_DIALOG_TEXTS",
    "create_app",
    "display_problem",
    "install_language",
    "install_plural_forms",
    "language_setting",
    "locale_for",
    "main",
    "version",
]

ORGANIZATION = "SocketWorkbench"
#: After the window has closed, how long to wait for a worker stuck in a name lookup.
LATE_WORKER_TIMEOUT = 10.0
APP_NAME = "Socket Workbench"
#: Set to 1, the app quits with status 0 once its window has been shown and painted (a smoke test
#: for bundles: ``SWB_SMOKE_EXIT=1 dist/socket-workbench/socket-workbench``).
SMOKE_EXIT_VARIABLE = "SWB_SMOKE_EXIT"


def version() -> str:
    """The package's version ("0.1.0"): net/_version.py's, which pyproject.toml builds with
    (importlib.metadata would add about 20 ms to the window's start)."""
    return __version__


def create_app(argv: Sequence[str] | None = None) -> QApplication:
    """Build (or reuse) the QApplication: names for QSettings, icon, translations."""
    QCoreApplication.setOrganizationName(ORGANIZATION)
    QCoreApplication.setApplicationName(APP_NAME)
    QCoreApplication.setApplicationVersion(version())
    existing = QApplication.instance()
    app = existing if isinstance(existing, QApplication) else None
    if app is None:
        app = QApplication(list(argv if argv is not None else sys.argv))
        install_language(app, language_setting())
    if app.findChild(GuiThreadCollector) is None:
        GuiThreadCollector(app)  # cycles with Qt objects are collected on the GUI thread only
    else:
        install_plural_forms(app)
    # Window titles end with the display name unless they already are it: say it in the language.
    app.setApplicationDisplayName(QCoreApplication.translate("MainWindow", "Socket Workbench"))
    app.setDesktopFileName("socket-workbench")
    icon = app_icon()
    if not icon.isNull():
        app.setWindowIcon(icon)
    return app


def _smoke_exit(window: object) -> None:
    """Render the window once, say so, and close it (which saves settings and quits)."""
    from gui.main_window import MainWindow

    assert isinstance(window, MainWindow)
    image = window.grab()
    shown = window.isVisible() and not image.isNull()
    if sys.stdout is not None:  # a windowed Windows build has no stdout
        title = window.windowTitle()
        size = f"{image.width()}x{image.height()}"
        print(f"window shown: {title} {version()}, {size}" if shown else "window not shown")
        sys.stdout.flush()
    window.close()
    if not shown:
        QCoreApplication.exit(1)


def display_problem(
    environ: Mapping[str, str] | None = None, platform: str | None = None
) -> str | None:
    """Why no window can be shown here, or None when it can (or Qt is told where to draw).

    On Linux and the BSDs a window needs an X11 (``DISPLAY``) or Wayland (``WAYLAND_DISPLAY``)
    server, unless ``QT_QPA_PLATFORM`` names another platform plugin (offscreen, vnc, eglfs...).
    Without one, Qt aborts (exit 134) blaming a missing xcb library, which misleads.
    """
    environ = os.environ if environ is None else environ
    platform = sys.platform if platform is None else platform
    if platform in ("win32", "darwin"):
        return None
    plugin = environ.get("QT_QPA_PLATFORM", "").split(":")[0].split(";")[0].strip()
    if plugin and plugin not in ("xcb", "wayland", "wayland-egl"):
        return None
    if environ.get("DISPLAY") or environ.get("WAYLAND_DISPLAY"):
        return None
    return (
        "no display found: start Socket Workbench in a desktop session (DISPLAY or "
        "WAYLAND_DISPLAY is not set), or use the swb command line"
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Start the desktop app; returns the exit status (1 when there is no display)."""
    problem = display_problem()
    if problem is not None:
        if sys.stderr is not None:
            print(f"socket-workbench: {problem}", file=sys.stderr)
        return 1
    app = create_app(argv)
    from gui.main_window import MainWindow  # after the app exists: widgets need it

    window = MainWindow()
    window.show()
    if os.environ.get(SMOKE_EXIT_VARIABLE) == "1":
        # A zero timer fires after the event loop's first pass, once the window is exposed.
        QTimer.singleShot(0, lambda: _smoke_exit(window))
    status = int(app.exec())
    # Closing waited 2 s; a worker still inside a DNS lookup (bounded by its own timeout) must
    # end before Python tears the QThread down, or Qt aborts the process.
    runner.stop_all(LATE_WORKER_TIMEOUT)
    return status
