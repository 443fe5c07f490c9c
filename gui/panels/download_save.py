"""The Download panel's "Save" box: the folder files go to, the buttons that start, stop and
resume a transfer, its progress, and whether the saved file matched the server's SHA-256."""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QSizePolicy,
    QWidget,
)

from gui.widgets import monospace_font
from gui.widgets.forms import add_rows, push_button, push_buttons
from gui.widgets.style import set_text_role
from gui.widgets.units import format_eta, format_progress, format_speed, shorten
from net.events import DownloadFinished

__all__ = ["SaveBox"]

#: The progress bar counts in thousandths (a 1 GiB file moves it every MiB).
STEPS = 1000


class SaveBox(QGroupBox):
    """Save folder, Download / Cancel / Resume / Upload files…, progress, verification.

    Signals:
        changed(): the user edited or chose the save folder.

    Args:
        parent: the panel.
        actions: the panel's download, cancel, resume and choose-uploads actions, for the four
            buttons in that order.
        default_folder: the folder shown until the user picks one.
    """

    changed = Signal()

    def __init__(
        self,
        parent: QWidget,
        actions: tuple[Callable[[], object], ...],
        default_folder: str,
    ) -> None:
        super().__init__(parent)
        self.setTitle(self.tr("Save"))
        self.folder_edit = QLineEdit(self)
        self.folder_edit.setObjectName("folderEdit")
        self.folder_edit.setText(default_folder)
        self.folder_edit.setToolTip(self.tr("The folder the file is saved in"))
        self.folder_edit.setAccessibleName(self.tr("Save folder"))
        self.folder_edit.textEdited.connect(lambda _text: self.changed.emit())
        self.browse_button = push_button(
            self,
            self.tr("&Browse…"),
            "browseButton",
            self.choose_folder,
            tip=self.tr("Choose the folder to save in"),
        )
        download, cancel, resume, upload = actions
        self.download_button, self.cancel_button, self.resume_button, self.upload_button = (
            push_buttons(
                self,
                (
                    self.tr("&Download"),
                    "downloadButton",
                    download,
                    self.tr("Download the file the URL names (Ctrl+R)"),
                ),
                (
                    self.tr("&Cancel"),
                    "cancelButton",
                    cancel,
                    self.tr(
                        "Stop the download; the part already saved is kept for Resume (Ctrl+.)"
                    ),
                ),
                (
                    self.tr("R&esume"),
                    "resumeButton",
                    resume,
                    self.tr("Continue the interrupted download from where it stopped"),
                ),
                (
                    self.tr("Upload f&iles…"),
                    "uploadButton",
                    upload,
                    self.tr(
                        "Send files to the server in the URL field (one that takes uploads); "
                        "dropping files on this panel does the same. An interrupted upload "
                        "continues where it stopped, and the server checks each file's SHA-256"
                    ),
                ),
            )
        )
        self.download_button.setDefault(True)
        self.progress_bar = QProgressBar(self)
        self.progress_bar.setObjectName("progressBar")
        self.progress_bar.setRange(0, STEPS)
        self.progress_bar.setValue(0)
        self.progress_bar.setAccessibleName(self.tr("Download progress"))
        self.progress_label = QLabel(self)
        self.progress_label.setObjectName("progressLabel")
        self.verified_label = QLabel(self)
        self.verified_label.setObjectName("verifiedLabel")
        self.verified_label.setTextFormat(Qt.TextFormat.PlainText)
        self.sha_label = QLabel(self)
        self.sha_label.setObjectName("shaLabel")
        self.sha_label.setFont(monospace_font())
        self.sha_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.sha_label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)

        form = QFormLayout(self)
        folder_row = QWidget(self)  # a widget, not a layout: add_rows gives its label a buddy
        folder_layout = QHBoxLayout(folder_row)
        folder_layout.setContentsMargins(0, 0, 0, 0)
        folder_layout.addWidget(self.folder_edit, 1)
        folder_layout.addWidget(self.browse_button)
        add_rows(form, (self.tr("F&older:"), folder_row, self.folder_edit))
        form.addRow("", self._row((*self.buttons(), self.progress_bar), stretch=self.progress_bar))
        form.addRow(
            "",
            self._row(
                (self.progress_label, self.verified_label, self.sha_label), stretch=self.sha_label
            ),
        )

    @staticmethod
    def _row(widgets: tuple[QWidget, ...], *, stretch: QWidget) -> QHBoxLayout:
        row = QHBoxLayout()
        for widget in widgets:
            row.addWidget(widget, 1 if widget is stretch else 0)
        return row

    def focus_chain(self) -> list[QWidget]:
        return [self.folder_edit, self.browse_button, *self.buttons()]

    def buttons(self) -> tuple[QPushButton, ...]:
        """Download, Cancel, Resume, Upload files… (in tab order)."""
        return (self.download_button, self.cancel_button, self.resume_button, self.upload_button)

    def folder(self) -> str:
        return self.folder_edit.text().strip()

    def choose_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(
            self, self.tr("Save downloads in"), self.folder_edit.text()
        )
        if folder:
            self.folder_edit.setText(folder)
            self.changed.emit()

    def folder_problem(self, folder: str) -> str | None:
        """Why files cannot be saved in ``folder`` (checked before any connection), or None."""
        try:
            is_dir = bool(folder) and Path(folder).is_dir()
        except (OSError, ValueError):  # a name too long for the system, a NUL character
            is_dir = False
        if not is_dir:
            return self.tr("The folder {folder} does not exist: choose another one").format(
                folder=shorten(folder) or "''"
            )
        try:
            with tempfile.TemporaryFile(dir=folder):
                pass
        except OSError:
            return self.tr("Cannot save files in the folder {folder}: choose another one").format(
                folder=shorten(folder)
            )
        return None

    # -- progress ------------------------------------------------------------------------------

    def start(self, *, busy: bool = False) -> None:
        """A transfer begins: the bar empty (or busy until sizes are known), no verdict shown."""
        self.progress_bar.setRange(0, 0 if busy else STEPS)
        self.progress_bar.setValue(0)
        self.progress_label.setText("")

    def show_fraction(self, fraction: float) -> None:
        self.progress_bar.setRange(0, STEPS)
        self.progress_bar.setValue(int(min(1.0, fraction) * STEPS))

    def show_transfer(self, done: int, total: int | None, speed: float) -> str:
        """A download's ``done`` of ``total`` bytes (None: not known, the bar turns busy) at
        ``speed`` bytes/s, with the time left; returns what :meth:`show_bytes` returns."""
        if total is None:
            self.progress_bar.setRange(0, 0)
        else:
            self.show_fraction(done / total if total else 1.0)
        return self.show_bytes(done, total, speed)

    def show_bytes(self, done: int, total: int | None, speed: float, *, eta: bool = True) -> str:
        """Show "1.2 MiB of 5.0 MiB · 3.4 MiB/s · 2 s left" beside the bar (the time left when
        ``eta`` and it can be told). Returns the bytes part, for the window's activity line."""
        progress = format_progress(done, total)
        parts = [progress, format_speed(speed)]
        if eta and total is not None and speed > 0:
            left = format_eta((total - done) / speed)
            parts.append(self.tr("{eta} left").format(eta=left))
        self.progress_label.setText(" · ".join(parts))
        return progress

    def finish(self, text: str) -> None:
        """The transfer ended: a full bar and ``text`` beside it."""
        self.show_fraction(1.0)
        self.progress_label.setText(text)

    def stop_busy(self) -> None:
        """The transfer failed: a busy bar (size not known) stops moving."""
        if self.progress_bar.maximum() == 0:
            self.progress_bar.setRange(0, STEPS)

    def show_verified(self, result: DownloadFinished | None, *, raw: bool = False) -> None:
        """Whether the saved file matched the server's SHA-256, and its own; None clears both."""
        if result is None:
            self.verified_label.setText("")
            self.sha_label.setText("")
            self.sha_label.setToolTip("")
            return
        if result.verified:
            self.verified_label.setText(self.tr("✓ SHA-256 verified"))
            set_text_role(self.verified_label, "success", bold=True)
            self.verified_label.setToolTip(
                self.tr("The file matches the checksum the server announced")
            )
        else:
            if raw:
                text = self.tr("Not verified: the classic raw protocol carries no checksum")
            else:
                text = self.tr("Not verified: the server sent no checksum")
            self.verified_label.setText(text)
            set_text_role(self.verified_label, "warning")
            self.verified_label.setToolTip(
                self.tr("Compare the SHA-256 below with the one the sender sees")
            )
        self.sha_label.setText(result.sha256)
        self.sha_label.setToolTip(self.tr("SHA-256 of the saved file"))
