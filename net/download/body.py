"""Receiving one answer's body into the open ``.part`` of a download: framed by Content-Length, by
the end of the connection (raw, or HTTP without a length) or chunked (through h11), hashed on the
way, and bounded by the download's ``max_size`` and the free space."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import h11

from net._i18n import _
from net.download.exchange import Client
from net.download.files import BUFFER, HashPipe, Meter, write_all
from net.download.part import Part
from net.errors import TransferError
from net.httpfile import human_size

__all__ = ["DISK_RESERVE", "BodyCopy"]

#: Left free on the disk by a body without a length, so a server cannot fill it to the last byte.
DISK_RESERVE = 64 * 1024 * 1024


class BodyCopy:
    """Copies bodies into the ``.part`` of one download.

    Args:
        client: the download's connection (its ``ragged_eof`` says a TLS body was cut short).
        part: the download's ``.part`` (checked while writing; discarded when a body overflows);
            the free space of its folder bounds a body.
        max_size: bytes at most for a file (None: only the free space limits it).
        truncated: the error for a TLS body cut short after the given size in bytes.
    """

    def __init__(
        self,
        client: Client,
        part: Part,
        *,
        max_size: int | None,
        truncated: Callable[[int], TransferError],
    ) -> None:
        self._client = client
        self._part = part
        self._folder = part.path.parent
        self._max_size = max_size
        self._truncated = truncated

    def check_room(self, offset: int, total: int | None) -> None:
        """Refuse a file over ``max_size``, or one that cannot fit the free space, before writing
        (``offset`` bytes of ``total`` are there already).

        Raises:
            TransferError: it is too big, or cannot fit.
        """
        if total is None:
            return
        if self._max_size is not None and total > self._max_size:
            raise TransferError(
                _("the file is {total}, over the {max_size} limit").format(
                    total=human_size(total), max_size=human_size(self._max_size)
                )
            )
        free = free_space(self._folder)
        if free is not None and total - offset > free:
            raise TransferError(
                _("the file needs {total} more but {folder} has only {free} free").format(
                    total=human_size(total - offset), folder=self._folder, free=human_size(free)
                )
            )

    def plain(
        self,
        leftover: bytes,
        length: int | None,
        recv_into: Callable[[memoryview], int],
        fd: int,
        pipe: HashPipe,
        progress: Meter,
    ) -> int:
        """Copy a Content-Length (or read-to-end, when ``length`` is None) body to ``fd``, after
        the ``leftover`` bytes read with its head; returns the bytes written.

        Raises:
            TransferError: a body without a length went over the limit (nothing is kept).
            LocalFileError: the ``.part`` was deleted meanwhile.
        """
        limit = self._length_limit() if length is None else length
        received = 0
        if leftover:
            # Bytes after a Content-Length body are not the file's; a body without a length may
            # show that it is over the limit already.
            leftover = leftover[: limit if length is not None else limit + 1]
            write_all(fd, memoryview(leftover))
            pipe.submit(leftover, len(leftover))
            received = len(leftover)
            progress.update(received)
        while received < limit or length is None:
            if received > limit:
                raise self._too_large(received)
            want = BUFFER if length is None else min(BUFFER, length - received)
            buffer = pipe.take()
            view = memoryview(buffer)
            try:
                count = recv_into(view[:want])
            except BaseException:
                pipe.give_back(buffer)
                raise
            if count == 0:
                pipe.give_back(buffer)
                break
            write_all(fd, view[:count])
            pipe.submit(buffer, count, pooled=True)
            received += count
            self._part.check(fd)
            progress.update(received)
        progress.update(received, force=True)
        return received

    def chunked(
        self,
        http: h11.Connection,
        recv_into: Callable[[memoryview], int],
        fd: int,
        pipe: HashPipe,
        progress: Meter,
        offset: int,
    ) -> int:
        """Copy a chunked body (RFC 9112 §7.1) to ``fd``, after ``offset`` bytes resumed; returns
        the bytes written.

        Raises:
            TransferError: broken chunks, a body cut short or over the limit.
            LocalFileError: the ``.part`` was deleted meanwhile.
        """
        buffer = bytearray(BUFFER)
        view = memoryview(buffer)
        limit = self._length_limit()
        received = 0
        while True:
            try:
                event = http.next_event()
            except h11.RemoteProtocolError as exc:
                if self._client.ragged_eof:
                    raise self._truncated(offset + received) from exc
                raise TransferError(
                    _("the server broke the chunked encoding ({exc})").format(exc=exc)
                ) from exc
            if event is h11.NEED_DATA:
                count = recv_into(view)
                http.receive_data(bytes(view[:count]))
                continue
            if isinstance(event, h11.Data):
                write_all(fd, memoryview(event.data))
                pipe.submit(event.data, len(event.data))
                received += len(event.data)
                if received > limit:
                    raise self._too_large(received)
                self._part.check(fd)
                progress.update(received)
                continue
            if isinstance(event, h11.EndOfMessage):
                progress.update(received, force=True)
                return received
            if self._client.ragged_eof:
                raise self._truncated(offset + received)
            raise TransferError(
                _("the connection ended before the whole file arrived") + self._part.kept()
            )

    def _length_limit(self) -> int:
        """Bytes a body without a length may have: ``max_size``, and the free space less a reserve."""
        limit = self._max_size if self._max_size is not None else 2**63
        free = free_space(self._folder)
        if free is not None:
            limit = min(limit, max(0, free - DISK_RESERVE))
        return limit

    def _too_large(self, received: int) -> TransferError:
        if self._max_size is not None and received > self._max_size:
            why = _("over the {max_size} limit").format(max_size=human_size(self._max_size))
        else:
            why = _("more than {folder} has free").format(folder=self._folder)
        self._part.discard()
        return TransferError(
            _("the server kept sending: {received} so far, {why}; nothing was kept").format(
                received=human_size(received), why=why
            )
        )


def free_space(folder: Path) -> int | None:
    """Bytes free for us in ``folder``, or None when the system cannot say."""
    try:
        return shutil.disk_usage(folder).free
    except (OSError, AttributeError):  # AttributeError: a system with neither statvfs nor its API
        return None
