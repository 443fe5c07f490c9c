"""The ``.part`` of one download and what becomes of it: resumed later (with a sentence saying
so), discarded, or verified and renamed into the file (:func:`net.download.files.finish`)."""

from __future__ import annotations

import contextlib
import hashlib
import os
from pathlib import Path

from net._i18n import _
from net.download.files import finish, open_part
from net.download.resume import ResumeState
from net.events import DownloadFinished
from net.share import LocalFileError

__all__ = ["Part", "PartFile"]


class PartFile:
    """The open ``.part`` of one download; its descriptor is closed exactly once, by whoever
    :meth:`take` s it or on leaving the ``with`` block (a second close could shut a descriptor
    another thread of this process has just opened).

    Raises:
        LocalFileError: the ``.part`` cannot be written (from :func:`open_part`).
    """

    def __init__(self, part: Path, offset: int) -> None:
        self.fd = open_part(part, offset)

    def take(self) -> int:
        """The descriptor, now the caller's to close."""
        fd, self.fd = self.fd, -1
        return fd

    def __enter__(self) -> PartFile:
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self.fd >= 0:
            with contextlib.suppress(OSError):
                os.close(self.take())


class Part:
    """Where one download's ``.part`` is and whether it can be resumed.

    Args:
        path: the ``.part`` ("<name>.part" beside the final name).
        identity: the URL its resume state belongs to (:class:`ResumeState`).
        raw: the download is classic raw, which never resumes.
    """

    def __init__(self, path: Path, identity: str, *, raw: bool) -> None:
        self.path = path
        self.identity = identity
        self.raw = raw
        #: The ``.part`` on disk has a stored validator: running the download again resumes it.
        self.resumable = False

    def kept(self) -> str:
        """What the user can do with the ``.part`` left behind, as the end of a sentence."""
        if not self.path.exists():
            return ""
        if self.resumable and not self.raw:
            return _("; {name} is kept to resume later").format(name=self.path.name)
        return _("; the bytes received are kept in {name}, which cannot be resumed").format(
            name=self.path.name
        )

    def discard(self) -> None:
        """Delete a ``.part`` that can never become the file (and its resume state)."""
        with contextlib.suppress(OSError):
            self.path.unlink()
        ResumeState(self.path, self.identity).forget()
        self.resumable = False

    def out_of_space(self) -> str:
        """The end of the sentence for a full disk: the ``.part`` is kept when it can be resumed,
        else discarded here to give the space back."""
        if self.resumable and not self.raw:
            return _(
                "; {part_name} is kept: free some space, then run the download again to resume"
            ).format(part_name=self.path.name)
        self.discard()
        return _("; nothing was kept: free some space, then download it again")

    def check(self, fd: int) -> None:
        """The ``.part`` open as ``fd`` must still be in the folder: deleted or moved, nothing
        can be saved.

        Raises:
            LocalFileError: it was deleted.
        """
        if os.fstat(fd).st_nlink == 0:
            raise LocalFileError(
                _(
                    "{part} was deleted while downloading, so nothing was saved; download "
                    "the file again"
                ).format(part=self.path)
            )

    def finish(
        self,
        opened: PartFile,
        final: Path,
        size: int,
        hasher: hashlib._Hash,
        digest: bytes | None,
        state: ResumeState,
        notes: list[str],
    ) -> DownloadFinished:
        """Verify and keep the ``.part`` held by ``opened`` as ``final``; its descriptor is
        closed here, before the rename (Windows cannot rename an open file).

        Raises:
            LocalFileError: the ``.part`` was deleted or moved meanwhile.
            TransferError: its SHA-256 is not ``digest`` (it is deleted).
        """
        self.check(opened.fd)
        fd = opened.take()
        try:
            return finish(fd, final, self.path, size, hasher, digest, state, notes)
        except FileNotFoundError as exc:
            raise LocalFileError(
                _(
                    "{part} was deleted or moved while downloading, so nothing was saved; "
                    "download the file again"
                ).format(part=self.path)
            ) from exc
