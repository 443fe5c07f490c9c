"""The main window: a side list of panels, what is running in the status bar, menus, shortcuts.

This module hosts the panels (each built when first shown), the language choice, the settings and
closing; the menus, shortcuts and help windows are :mod:`gui.window_menus`.
"""

from __future__ import annotations

import time

from PySide6.QtCore import QSettings, QSize, Qt, QTranslator, Signal
from PySide6.QtGui import QAction, QActionGroup, QCloseEvent, QPainter, QPaintEvent
from PySide6.QtWidgets import (
    QApplication,
    QCheckBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QMenu,
    QMessageBox,
    QSizePolicy,
    QStackedWidget,
    QWidget,
)

from gui import runner
from gui.i18n import LANGUAGE_KEY, TRANSLATIONS_DIR, language_setting, locale_for
from gui.panels import PANELS, Panel, PanelEntry
from gui.panels.packets import install_packet_library
from gui.resources import app_icon, panel_icon
from gui.settings import as_bool
from gui.window_menus import WindowMenus

__all__ = ["ASK_BEFORE_QUIT_KEY", "CLOSE_TIMEOUT", "MainWindow"]

#: Closing waits at most this long, in total, for every worker to stop.
CLOSE_TIMEOUT = 2.0
#: QSettings key: ask before quitting while connections or transfers are live (true by default).
ASK_BEFORE_QUIT_KEY = "window/askBeforeQuit"


class _ActivityLabel(QLabel):
    """The status bar's line of what runs: cut with "…" when longer than the bar, so that many
    running panels never widen the window (``text()`` and the tooltip keep it whole)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)

    def minimumSizeHint(self) -> QSize:
        return QSize(0, super().minimumSizeHint().height())

    def paintEvent(self, event: QPaintEvent) -> None:
        rect = self.contentsRect()
        text = self.fontMetrics().elidedText(self.text(), Qt.TextElideMode.ElideRight, rect.width())
        painter = QPainter(self)
        self.style().drawItemText(
            painter,
            rect,
            int(self.alignment()),
            self.palette(),
            self.isEnabled(),
            text,
            self.foregroundRole(),
        )


class MainWindow(WindowMenus, QMainWindow):
    """The side list of panels and the shown panel; remembers fields and geometry.

    A panel is built the first time it is needed (shown, or asked for with :meth:`panel_at`,
    :meth:`panel` or :attr:`panels`), so the window paints without importing or building the
    others (issue 22). Until then its stored settings are left as they are; building it restores
    them. Nothing is started: no socket opens until the user asks.

    Args:
        settings: where to remember things; the app's default QSettings when None.
        panels: the panels to show; :data:`gui.panels.PANELS` when None.
    """

    #: A panel was just built (before its settings are restored): for what attaches to panels.
    panel_built = Signal(QWidget)

    def __init__(
        self,
        settings: QSettings | None = None,
        panels: list[PanelEntry] | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("mainWindow")
        self.setWindowTitle(self.tr("Socket Workbench"))
        self.setWindowIcon(app_icon())
        self.setMinimumSize(QSize(790, 560))
        self.settings = settings if settings is not None else QSettings()
        self._entries = list(panels if panels is not None else PANELS)
        self._built: list[Panel | None] = [None] * len(self._entries)
        self.close_seconds: float | None = None  # how long the last close waited for workers

        self.panel_list = QListWidget(self)
        self.panel_list.setObjectName("panelList")
        self.panel_list.setAccessibleName(self.tr("Panels"))
        self.panel_list.setIconSize(QSize(20, 20))
        self.panel_list.setSpacing(1)
        self.panel_list.setUniformItemSizes(True)
        self.stack = QStackedWidget(self)
        self.stack.setObjectName("panelStack")
        for entry in self._entries:
            self.stack.addWidget(QWidget(self.stack))  # the panel's place until it is built
            item = QListWidgetItem(panel_icon(entry.icon), entry.display_title())
            item.setToolTip(entry.display_title())
            self.panel_list.addItem(item)
        self.panel_list.currentRowChanged.connect(self._show_panel)
        width = max(
            self.panel_list.sizeHintForColumn(0) + 2 * self.panel_list.frameWidth() + 12, 136
        )
        self.panel_list.setFixedWidth(width)

        central = QWidget(self)
        layout = QHBoxLayout(central)
        layout.setContentsMargins(6, 6, 6, 0)
        layout.addWidget(self.panel_list)
        layout.addWidget(self.stack, 1)
        self.setCentralWidget(central)

        self.activity_label = _ActivityLabel(self)
        self.activity_label.setObjectName("activityLabel")
        self.statusBar().addPermanentWidget(self.activity_label, 1)
        self._build_menus()
        self.packet_library = install_packet_library(self)
        self._restore()
        self._update_activity()

    def focusNextPrevChild(self, next: bool) -> bool:
        # Tab goes round the panel list and the shown panel's controls (see Panel.tab_walk);
        # the hidden panels' controls are not in the way.
        order = [self.panel_list, *self.current_panel().tab_walk()]
        focus = QApplication.focusWidget()
        while focus is not None and focus not in order:
            focus = focus.parentWidget()
        if focus is None:
            return super().focusNextPrevChild(next)
        position = (order.index(focus) + (1 if next else -1)) % len(order)
        reason = Qt.FocusReason.TabFocusReason if next else Qt.FocusReason.BacktabFocusReason
        order[position].setFocus(reason)
        return True

    # -- language ------------------------------------------------------------------------------

    def _build_language_menu(self, menu: QMenu) -> None:
        menu.setObjectName("languageMenu")
        self.language_actions: dict[str, QAction] = {}
        group = QActionGroup(self)
        group.setExclusive(True)
        current = language_setting(self.settings)
        # A language is named in itself, so that anyone can find their own in the list.
        for language, text in (
            ("system", self.tr("System language")),
            ("en", "English"),
            ("zh_CN", "简体中文"),
        ):
            action = QAction(text, self)
            action.setObjectName(f"language_{language}_action")
            action.setCheckable(True)
            action.setChecked(language == current)
            action.triggered.connect(
                lambda _checked=False, language=language: self.choose_language(language)
            )
            group.addAction(action)
            menu.addAction(action)
            self.language_actions[language] = action

    def choose_language(self, language: str) -> QMessageBox | None:
        """Remember the language for the next start; say so when it differs from this one.

        Widgets take their texts when they are built, so a new language needs a restart: saying
        that is reliable, while retranslating every panel in place would miss texts.
        Returns:
            The (non-blocking) message shown, or None when nothing changes.
        """
        if language_setting(self.settings) == language:
            return None
        self.settings.setValue(LANGUAGE_KEY, language)
        self.settings.sync()
        self.language_actions[language].setChecked(True)
        source = "The new language is used the next time Socket Workbench starts."
        lines = [self.tr("The new language is used the next time Socket Workbench starts.")]
        upcoming = QTranslator(self)
        if language != "en" and upcoming.load(
            locale_for(language), "socket_workbench", "_", str(TRANSLATIONS_DIR)
        ):
            lines.append(upcoming.translate("MainWindow", source) or source)
        else:
            lines.append(source)
        box = QMessageBox(
            QMessageBox.Icon.Information,
            self.tr("Language"),
            "\n".join(dict.fromkeys(lines)),  # once when both languages say the same
            QMessageBox.StandardButton.Ok,
            self,
        )
        box.setObjectName("languageRestartBox")
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()
        return box

    # -- panels --------------------------------------------------------------------------------

    def panel_at(self, row: int) -> Panel:
        """The panel in row ``row`` of the side list, built now if it was not yet: the one way
        to a panel, so that every caller gets the same, restored, instance.

        Raises:
            IndexError: no such row.
        """
        panel = self._built[row]
        if panel is None:
            panel = self._entries[row].build()
            self._built[row] = panel
            placeholder = self.stack.widget(row)
            assert placeholder is not None  # every row has its page from the start
            # Inserting before the current page keeps it current; the placeholder is never
            # current once the first panel is shown, so removing it changes no page.
            self.stack.insertWidget(row, panel)
            self.stack.removeWidget(placeholder)
            placeholder.deleteLater()
            panel.activity_changed.connect(self._update_activity)
            self.panel_built.emit(panel)
            panel.restore_settings(self.settings)
        return panel

    @property
    def panels(self) -> list[Panel]:
        """Every panel, in the side list's order (building those not built yet)."""
        return [self.panel_at(row) for row in range(len(self._entries))]

    def built_panels(self) -> list[Panel]:
        """The panels built so far: the only ones that can run anything or hold edits."""
        return [panel for panel in self._built if panel is not None]

    def current_panel(self) -> Panel:
        return self.panel_at(self.stack.currentIndex())

    def panel(self, name: str) -> Panel:
        """The panel with objectName ``name`` ("udpSendPanel", ...).

        Raises:
            KeyError: no panel has that name.
        """
        return self.panel_at(self._row_of(name))

    def _row_of(self, name: str) -> int:
        for row, entry in enumerate(self._entries):
            if entry.name == name:
                return row
        raise KeyError(name)

    def show_panel(self, which: int | str) -> Panel:
        row = which if isinstance(which, int) else self._row_of(which)
        panel = self.panel_at(row)
        self.panel_list.setCurrentRow(row)
        return panel

    def _show_panel(self, row: int) -> None:
        if 0 <= row < len(self._entries):
            panel = self.panel_at(row)
            self.stack.setCurrentIndex(row)
            panel.setFocus(Qt.FocusReason.OtherFocusReason)

    def _update_activity(self, *_args: object) -> None:
        running = [panel.activity() for panel in self.built_panels() if panel.activity()]
        self.activity_label.setText(" | ".join(running) if running else self.tr("Idle"))
        self.activity_label.setToolTip(self.activity_label.text())

    # -- settings ------------------------------------------------------------------------------

    def _restore(self) -> None:
        settings = self.settings
        geometry = settings.value("window/geometry")
        if geometry is None or not self.restoreGeometry(geometry):
            self.resize(1100, 720)
        try:
            row = int(str(settings.value("window/panel", 0)))
        except (TypeError, ValueError):
            row = 0
        self.show_panel(row if 0 <= row < len(self._entries) else 0)

    def save_settings(self) -> None:
        settings = self.settings
        settings.setValue("window/geometry", self.saveGeometry())
        settings.setValue("window/panel", self.stack.currentIndex())
        for panel in self.built_panels():  # an unbuilt panel's stored fields stay as they are
            panel.save_settings(settings)
        settings.sync()

    # -- closing -------------------------------------------------------------------------------

    def stop_everything(self, timeout: float = CLOSE_TIMEOUT) -> bool:
        """Stop every worker (of every panel) and wait at most ``timeout`` s in all."""
        started = time.monotonic()
        for panel in self.built_panels():
            panel.stop_workers()
        done = runner.stop_all(timeout)
        self.close_seconds = time.monotonic() - started
        return done

    def live_work(self) -> list[str]:
        """What quitting would cut, over every panel (see :meth:`Panel.live_work`)."""
        return [item for panel in self.built_panels() for item in panel.live_work()]

    def quit_question(self, work: list[str]) -> QMessageBox:
        """The question asked before quitting with ``work`` in flight: Quit or Cancel, and
        "Don't ask again" (then quitting stops everything without asking)."""
        box = QMessageBox(
            QMessageBox.Icon.Question, self.tr("Quit Socket Workbench"), "", parent=self
        )
        box.setObjectName("quitQuestion")
        box.setText(self.tr("Quitting now stops what is still going on:"))
        box.setInformativeText("\n".join(f"• {item}" for item in work))
        quit_button = box.addButton(self.tr("&Quit"), QMessageBox.ButtonRole.DestructiveRole)
        quit_button.setObjectName("quitButton")
        cancel = box.addButton(QMessageBox.StandardButton.Cancel)
        box.setDefaultButton(cancel)
        box.setEscapeButton(cancel)
        remember = QCheckBox(self.tr("Don't ask again"), box)
        remember.setObjectName("dontAskAgainCheck")
        box.setCheckBox(remember)
        return box

    def _may_quit(self) -> bool:
        work = self.live_work()
        if not work or not as_bool(self.settings.value(ASK_BEFORE_QUIT_KEY, True)):
            return True
        box = self.quit_question(work)
        box.exec()
        clicked = box.clickedButton()
        if clicked is None or clicked.objectName() != "quitButton":
            return False
        if box.checkBox().isChecked():
            self.settings.setValue(ASK_BEFORE_QUIT_KEY, False)
        return True

    def closeEvent(self, event: QCloseEvent) -> None:
        if not self._may_quit():
            event.ignore()
            return
        self.save_settings()
        self.stop_everything()
        event.accept()
        super().closeEvent(event)
