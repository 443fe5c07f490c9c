"""Resume state of a ``.part``: what a later attempt needs to continue it safely with If-Range."""

from __future__ import annotations

import contextlib
import json
import os
from pathlib import Path

__all__ = ["ResumeState"]

_RESUME_XATTR = "user.swb.resume"


class ResumeState:
    """The validator and length stored for one ``.part`` and the URL it came from.

    Args:
        part: the ``.part`` file.
        identity: the URL it belongs to (origin + target); a state stored for another is ignored.
    """

    def __init__(self, part: Path, identity: str) -> None:
        self.part = part
        self.identity = identity

    def resume_point(self) -> tuple[int, str | None]:
        """(bytes already in the .part, validator to send in If-Range) when it can be resumed."""
        part = self.part
        try:
            size = part.stat().st_size
        except OSError:
            return 0, None
        if size == 0 or not hasattr(os, "getxattr"):
            return 0, None
        try:
            stored = json.loads(os.getxattr(part, _RESUME_XATTR))
        except (OSError, ValueError):
            return 0, None
        if not isinstance(stored, dict) or stored.get("url") != self.identity:
            return 0, None
        validator = stored.get("validator")
        total = stored.get("total")
        if not isinstance(validator, str) or (isinstance(total, int) and size > total):
            return 0, None
        return size, validator

    def remember(self, fd: int, validator: str | None, total: int | None) -> None:
        """Store what a later attempt needs to resume this .part safely (If-Range)."""
        if not hasattr(os, "setxattr"):
            return
        if validator is None:
            self.forget(fd)
            return
        value = json.dumps({"url": self.identity, "validator": validator, "total": total})
        with contextlib.suppress(OSError):  # a filesystem without user xattrs: no resume
            os.setxattr(fd, _RESUME_XATTR, value.encode())

    def forget(self, fd: int | None) -> None:
        """Drop the stored state (the ``.part`` is complete, deleted or started over)."""
        if fd is not None and hasattr(os, "removexattr"):
            with contextlib.suppress(OSError):
                os.removexattr(fd, _RESUME_XATTR)
