"""Resume state of a ``.part``: what a later attempt needs to continue it safely with If-Range.

The state lives in a sidecar file next to the ``.part`` (``<name>.part.resume``, a small JSON object:
``{"version": 1, "url", "validator", "total"}``), written atomically (a temporary file, synced, then
renamed over), so it works on every system and filesystem (FAT and SMB have no extended
attributes), the way download managers keep theirs. ``.part`` files left by earlier Linux versions
kept it in the extended attribute ``user.swb.resume``; those still resume.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
from pathlib import Path
from typing import Any

__all__ = ["SIDECAR_SUFFIX", "ResumeState"]

#: Appended to the ``.part``'s name for its sidecar.
SIDECAR_SUFFIX = ".resume"
_MAX_SIDECAR = 64 * 1024
_LEGACY_XATTR = "user.swb.resume"


class ResumeState:
    """The validator and length stored for one ``.part`` and the URL it came from.

    Args:
        part: the ``.part`` file.
        identity: the URL it belongs to (origin + target); a state stored for another is ignored.
    """

    def __init__(self, part: Path, identity: str) -> None:
        self.part = part
        self.identity = identity
        self.sidecar = part.with_name(part.name + SIDECAR_SUFFIX)

    def resume_point(self) -> tuple[int, str | None, int | None]:
        """(bytes already in the .part, validator for If-Range, total length when known).

        (0, None, None) when the ``.part`` is missing or empty, has no state, or its state belongs
        to another URL, is malformed, or says the file is shorter than the ``.part``.
        """
        try:
            size = self.part.stat().st_size
        except OSError:
            return 0, None, None
        stored = self._load()
        if size == 0 or not isinstance(stored, dict) or stored.get("url") != self.identity:
            return 0, None, None
        validator = stored.get("validator")
        total = stored.get("total")
        if total is not None and (not isinstance(total, int) or isinstance(total, bool)):
            return 0, None, None
        if not isinstance(validator, str) or not validator or (total is not None and size > total):
            return 0, None, None
        return size, validator, total

    def has_state(self) -> bool:
        """Whether the ``.part`` exists with a usable state for this URL."""
        return self.resume_point()[1] is not None

    def remember(self, validator: str | None, total: int | None) -> None:
        """Store what a later attempt needs to resume this .part safely (If-Range).

        Without a validator nothing can be resumed safely, so any older state is dropped.
        """
        self._forget_legacy()
        if validator is None:
            self.forget()
            return
        value = {"version": 1, "url": self.identity, "validator": validator, "total": total}
        temporary = self.sidecar.with_name(self.sidecar.name + ".tmp")
        try:
            with open(temporary, "w", encoding="utf-8") as file:
                json.dump(value, file)
                file.flush()
                os.fsync(file.fileno())
            os.replace(temporary, self.sidecar)
        except OSError:  # a folder that takes no more files: the download works, only no resume
            with contextlib.suppress(OSError):
                temporary.unlink()

    def forget(self) -> None:
        """Drop the stored state (the ``.part`` is complete, deleted or started over)."""
        with contextlib.suppress(OSError):
            self.sidecar.unlink()
        self._forget_legacy()

    def _load(self) -> Any:
        try:
            with open(self.sidecar, "rb") as file:
                data = file.read(_MAX_SIDECAR + 1)
        except OSError:
            return self._load_legacy()
        if len(data) > _MAX_SIDECAR:
            return None
        try:
            return json.loads(data)
        except (ValueError, RecursionError):
            return None

    def _load_legacy(self) -> Any:
        if sys.platform == "linux" and hasattr(os, "getxattr"):
            try:
                return json.loads(os.getxattr(self.part, _LEGACY_XATTR))
            except (OSError, ValueError, RecursionError):
                return None
        return None

    def _forget_legacy(self) -> None:
        if sys.platform == "linux" and hasattr(os, "removexattr"):
            with contextlib.suppress(OSError):
                os.removexattr(self.part, _LEGACY_XATTR)
