"""A panel whose parts keep more than their fields between runs (the Download panel's history,
the File Server's shared paths): each such part stores itself under ``<panel>/<name>``."""

from __future__ import annotations

from typing import Protocol

from PySide6.QtCore import QSettings

from gui.panels.base import Panel

__all__ = ["PartsPanel", "StoredPart"]


class StoredPart(Protocol):
    """A part that writes its state under one settings key and reads it back."""

    def save(self, settings: QSettings, key: str) -> None: ...

    def restore(self, settings: QSettings, key: str) -> None: ...


class PartsPanel(Panel):
    """A :class:`Panel` that saves and restores its :meth:`stored_parts` with its fields."""

    def stored_parts(self) -> dict[str, StoredPart]:
        """Name -> part; the part's key is ``<objectName>/<name>``."""
        return {}

    def save_settings(self, settings: QSettings) -> None:
        super().save_settings(settings)
        for name, part in self.stored_parts().items():
            part.save(settings, f"{self.objectName()}/{name}")

    def restore_settings(self, settings: QSettings) -> None:
        super().restore_settings(settings)
        for name, part in self.stored_parts().items():
            part.restore(settings, f"{self.objectName()}/{name}")
