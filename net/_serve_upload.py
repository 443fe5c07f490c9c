"""Answers that receive uploads into the upload folder: ``PUT``/``PATCH /name`` (resumable, after
draft-ietf-httpbis-resumable-upload-05) and multipart form ``POST``s (RFC 7578), each file a
transfer with events; the request body is read under an idle deadline and a minimum pace."""

from __future__ import annotations

import errno
import ssl
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import TypeVar

import h11

from net._body import Cancelled
from net._i18n import _
from net._serve_base import HttpJob, Phase, dialect_of
from net._serve_exchange import Exchange, Progress, internal_error
from net._serve_headers import request_text, sf_boolean
from net.errors import describe_stream_error
from net.events import TransferFailed, TransferFinished, TransferStarted
from net.httpfile import Target, file_url_path, format_repr_digest, parse_repr_digest
from net.upload import (
    FormReceiver,
    Receiver,
    UploadRefused,
    partial_size,
    upload_name,
)

__all__ = ["UploadAnswers"]

_RECV_CHUNK = 256 * 1024  # bytes per read of an upload body
_MIN_BODY_PROGRESS = 16 * 1024  # bytes an upload must bring per idle_timeout (see _BodyPace)
_T = TypeVar("_T")


class BodyReading(Exchange):
    """Reading one request body into a :class:`net.upload.Receiver`, with transfer events."""

    def _take_body(
        self,
        job: HttpJob,
        receiver: Receiver,
        name: str,
        length: int | None,
        complete: bool,
    ) -> Path | UploadRefused | int | None:
        """Read the request body into ``receiver`` with transfer events; the stored path, the
        bytes held when the client said the upload is not complete yet, the refusal to answer
        with, or None when the connection broke (the event says why). A failed upload's
        ``.part`` is gone (or, resumable and cut, closed) before its TransferFailed is emitted."""
        limit = self.server.max_upload
        start = receiver.received
        tid = next(self.server._transfer_ids)
        dialect = dialect_of(self.conn, "http")
        self.server._emit(
            TransferStarted(
                time.time(), tid, self.conn.peer, name, dialect, start, length or 0, "in"
            )
        )
        progress = Progress(self.server, tid, length or 0)
        pace = _BodyPace(self.server._idle_timeout)

        def failed(reason: str, stopped: bool = False, *, keep: bool = False) -> None:
            receiver.abort(keep=keep)
            done = receiver.received - start
            self.server._emit(TransferFailed(time.time(), tid, done, reason, stopped))

        event = job.first
        try:
            first = job.first
            if length is not None and (
                first in (None, h11.NEED_DATA) or isinstance(first, h11.Data)
            ):
                # Uploads always close the connection after their answer, so a body of known
                # length can bypass h11, whose receive buffer copies every byte twice: the piece
                # h11 parsed with the head (a client sends the body right behind it), what h11
                # holds already, then the socket straight into the hashing buffers (h11 may
                # answer while the client is still in SEND_BODY: the 201 then closes).
                if isinstance(first, h11.Data):
                    receiver.write(first.data)
                    length -= len(first.data)
                self._read_body(receiver, length, limit, progress, pace, start)
                event = h11.EndOfMessage()
            while True:
                if event is None or event is h11.NEED_DATA:
                    event = self._next_body_event(pace)
                if isinstance(event, h11.Data):
                    if limit is not None and receiver.received + len(event.data) > limit:
                        refused = UploadRefused(413, f"Uploads may have at most {limit:,} bytes.")
                        failed(str(refused))
                        return refused
                    receiver.write(event.data)
                    progress.update(receiver.received - start)
                elif isinstance(event, h11.EndOfMessage):
                    break
                else:
                    raise ConnectionResetError(errno.ECONNRESET, "closed before the end")
                event = None
            if not complete:
                receiver.abort(keep=True)
                self.server._emit(TransferFinished(time.time(), tid, receiver.received - start))
                return receiver.received
            path = receiver.finish()
        except UploadRefused as exc:
            failed(str(exc))
            return exc
        except h11.RemoteProtocolError:
            failed(
                _("{peer} ended the upload before all of it arrived").format(peer=self.conn.peer),
                keep=True,
            )
            return None
        except Cancelled:
            failed(_("the server was stopped"), True, keep=True)
            return None
        except OSError as exc:
            stopped = self.server.stopping
            reason = (
                _("the server was stopped")
                if stopped
                else describe_stream_error(exc, self.conn.peer, receiving=False)
            )
            failed(reason, stopped, keep=True)
            return None
        except Exception as exc:
            failed(internal_error(tid, name, exc))
            return None
        self.server._emit(TransferFinished(time.time(), tid, receiver.received - start))
        return path

    def _read_body(
        self,
        receiver: Receiver,
        length: int,
        limit: int | None,
        progress: Progress,
        pace: _BodyPace,
        start: int,
    ) -> None:
        """Read a ``Content-Length`` body of ``length`` bytes into ``receiver`` without h11 (see
        :meth:`_take_body`): UploadRefused (413) past ``limit``; ConnectionResetError when the
        client closes early; Cancelled when the server stops; TimeoutError when it goes silent."""
        http = self.conn.http
        assert http is not None
        held, _closed = http.trailing_data
        left = length
        if held:
            taken = bytes(held[:left])
            left -= len(taken)
            receiver.write(taken)
        while left:
            if limit is not None and receiver.received > limit:
                raise UploadRefused(413, f"Uploads may have at most {limit:,} bytes.")
            if self.server.stopping:
                raise Cancelled
            room = receiver.room()  # received straight into the hashing thread's buffer
            count = self._received(partial(self.conn.sock.recv_into, room[:left]))
            if count is None:
                continue
            if not count:
                raise ConnectionResetError(errno.ECONNRESET, "closed before the end")
            pace.took(count)
            receiver.commit(count)
            left -= count
            progress.update(receiver.received - start)
        if limit is not None and receiver.received > limit:
            raise UploadRefused(413, f"Uploads may have at most {limit:,} bytes.")

    def _next_body_event(self, pace: _BodyPace) -> object:
        """The next h11 event of the request body, reading from the client as needed (waits go
        through :meth:`BodySender.await_room`: TimeoutError after ``idle_timeout`` of silence,
        and from ``pace`` when the client trickles: see :class:`_BodyPace`)."""
        http = self.conn.http
        assert http is not None
        while True:
            event = http.next_event()
            if event is not h11.NEED_DATA:
                return event
            if self.server.stopping:
                raise Cancelled
            data = self._received(lambda: self.conn.sock.recv(_RECV_CHUNK))
            if data is None:
                continue
            pace.took(len(data))
            http.receive_data(data)

    def _received(self, read: Callable[[], _T]) -> _T | None:
        """One non-blocking ``read`` from the client: its result, or None after waiting for the
        client (:meth:`BodySender.await_room`; then read again)."""
        try:
            return read()
        except (BlockingIOError, InterruptedError, ssl.SSLWantReadError):
            self.body.await_room(readable=True)
        except ssl.SSLWantWriteError:
            self.body.await_room()
        return None


class UploadAnswers(BodyReading):
    """Answering upload requests (a transfer thread's): what is stored, and what is refused."""

    def _receive(self, job: HttpJob, target: Target) -> Phase | None:
        """``PUT /name`` (curl -T) and ``PATCH /name``: store the body as ``name`` in the upload
        folder.

        201 when stored; 409 when the name exists (never overwritten) or another upload of it is
        running; 413 when the body is over ``max_upload`` (by Content-Length before a byte is
        stored, or cut while a chunked body arrives); 400 for a ``Repr-Digest`` (RFC 9530, the
        whole file's SHA-256) that does not match; a client silent for ``idle_timeout`` is cut.
        ``Expect: 100-continue`` (RFC 9110 §10.1.1) is answered only once the upload is
        accepted, so a refused one sends no body.

        Resumable uploads follow draft-ietf-httpbis-resumable-upload-05, with the file's URL as
        the upload resource: a PUT with ``Upload-Complete`` keeps its ``.part`` when it is cut
        (``?0``: the client sends the rest later); ``HEAD /name`` with
        ``Upload-Draft-Interop-Version`` tells the ``Upload-Offset``; ``PATCH /name`` with
        ``Upload-Offset`` (and ``Content-Type: application/partial-upload``) appends, 409 with
        the right ``Upload-Offset`` when it is not where the upload stopped; ``Upload-Complete:
        ?1`` ends it. Without ``Upload-Complete`` nothing is left behind but a complete file.
        """
        request = job.request
        patch = request.method == b"PATCH"
        if target.kind != "file" or not target.name:
            return self._refuse(400, "Uploads need a file name: PUT /name.")
        folder = self.server.upload_dir
        assert folder is not None
        name = upload_name(target.name)
        complete_text = request_text(request, b"upload-complete")
        complete = sf_boolean(complete_text)
        if complete_text is not None and complete is None:
            return self._refuse(400, "Upload-Complete must be ?0 or ?1.")
        offset = 0
        if patch:
            offset_text = request_text(request, b"upload-offset") or ""
            if not offset_text.isdigit() or len(offset_text) > 19 or complete is None:
                return self._refuse(
                    400, "PATCH needs Upload-Offset and Upload-Complete (resumable uploads)."
                )
            offset = int(offset_text)
        length_text = request_text(request, b"content-length")
        length = int(length_text) if length_text is not None else None  # h11 checked the digits
        limit = self.server.max_upload
        if limit is not None and offset + (length or 0) > limit:
            return self._refuse(413, f"Uploads may have at most {limit:,} bytes.")
        digest_text = request_text(request, b"repr-digest")
        expected = parse_repr_digest(digest_text) if digest_text is not None else None
        if digest_text is not None and expected is None:
            return self._refuse(400, "Repr-Digest must carry a sha-256 (RFC 9530).")
        self.server.expire_parts()
        with self.server._lock:
            busy = name in self.server._uploading
            self.server._uploading.add(name)
        if busy:
            return self._refuse(409, f"{name} is being uploaded right now.")
        holding = [name]

        def release() -> None:
            # Once only: after that, the name may already belong to the client's next upload.
            with self.server._lock:
                self.server._uploading.difference_update(holding)
                holding.clear()

        try:
            return self._store(
                job, folder, name, offset, length, expected, complete, patch, release
            )
        finally:
            release()

    def _receive_form(self, job: HttpJob) -> Phase | None:
        """``POST /`` with ``multipart/form-data`` (the share page's form, ``curl -F``): every
        file of the form is stored in the upload folder, under a new name ("name (2).ext") when
        its name is taken. Each file is a transfer ("in"); each is complete when stored, so a
        form cut in the middle keeps the files before the cut and drops the one being sent.
        Answers 303 to the index (POST/redirect/GET), 413/415/400 otherwise."""
        folder = self.server.upload_dir
        assert folder is not None
        content_type = request_text(job.request, b"content-type") or ""
        current: list[tuple[int, str]] = []  # (transfer id, name) of the file being received

        def on_file(name: str, size: int | None) -> None:
            if size is None:
                tid = next(self.server._transfer_ids)
                current[:] = [(tid, name)]
                dialect = dialect_of(self.conn, "http")
                self.server._emit(
                    TransferStarted(time.time(), tid, self.conn.peer, name, dialect, 0, 0, "in")
                )
            else:
                self.server._emit(TransferFinished(time.time(), current[0][0], size))
                current.clear()

        def failed(reason: str, stopped: bool = False) -> None:
            if current:
                self.server._emit(TransferFailed(time.time(), current[0][0], 0, reason, stopped))

        try:
            form = FormReceiver(
                folder, content_type, max_file=self.server.max_upload, on_file=on_file
            )
        except UploadRefused as exc:
            return self._refuse(exc.status, str(exc))
        http = self.conn.http
        assert http is not None
        event = job.first
        pace = _BodyPace(self.server._idle_timeout)
        try:
            if http.they_are_waiting_for_100_continue:
                self.body.send(
                    http.send(h11.InformationalResponse(status_code=100, headers=[])) or b""
                )
            while True:
                if event is None or event is h11.NEED_DATA:
                    event = self._next_body_event(pace)
                if isinstance(event, h11.Data):
                    form.feed(bytes(event.data))
                elif isinstance(event, h11.EndOfMessage):
                    break
                else:
                    raise ConnectionResetError(errno.ECONNRESET, "closed before the end")
                event = None
            stored = form.close()
        except UploadRefused as exc:
            form.abort()
            failed(str(exc))
            return self._refuse(exc.status, str(exc))
        except (h11.RemoteProtocolError, Cancelled, OSError) as exc:
            form.abort()
            stopped = self.server.stopping
            reason = (
                _("the server was stopped")
                if stopped
                else describe_stream_error(exc, self.conn.peer, receiving=False)
                if isinstance(exc, OSError)
                else _("{peer} ended the upload before all of it arrived").format(
                    peer=self.conn.peer
                )
            )
            failed(reason, stopped)
            return None
        for path in stored[:1]:
            self._uploaded(path)
        names = "".join(f"Stored {path.name}\n" for path in stored) or "No file was sent.\n"
        self._send_simple(
            303,
            names.encode(),
            keep_alive=False,
            head_only=False,
            extra=[("Location", "/")],
        )
        return "closing"

    def _store(
        self,
        job: HttpJob,
        folder: Path,
        name: str,
        offset: int,
        length: int | None,
        expected: bytes | None,
        complete: bool | None,
        patch: bool,
        release: Callable[[], None],
    ) -> Phase | None:
        """The body of :meth:`_receive` once the upload of ``name`` is ours alone; ``release``
        frees the name before the answer goes out, as the client may send its next request for
        the name (a PUT after a ``?0`` part) the moment it reads the answer."""
        try:
            if patch:
                receiver = Receiver.resume(folder, name, offset, expected=expected)
            else:
                receiver = Receiver(
                    folder,
                    name,
                    expected=expected,
                    resumable=complete is not None,
                    part_max_age=self.server.part_max_age,
                )
        except UploadRefused as exc:
            held = [] if exc.offset is None else [("Upload-Offset", str(exc.offset))]
            return self._refuse(exc.status, str(exc), held)
        http = self.conn.http
        assert http is not None
        try:
            if http.they_are_waiting_for_100_continue:
                self.body.send(
                    http.send(h11.InformationalResponse(status_code=100, headers=[])) or b""
                )
            stored = self._take_body(job, receiver, name, length, complete is not False)
        finally:
            receiver.abort(keep=True)  # a no-op unless it broke off; _take_body decided
            release()
        if stored is None:
            return None
        if isinstance(stored, UploadRefused):
            return self._refuse(stored.status, str(stored))
        if isinstance(stored, int):
            text = f"Holding {stored:,} bytes of {name}; send the rest with PATCH.\n"
            self._send_simple(
                200 if patch else 201,
                text.encode(),
                keep_alive=False,
                head_only=False,
                extra=[("Upload-Offset", str(stored)), ("Upload-Complete", "?0")],
            )
            return "closing"
        self._uploaded(stored)
        body = f"Stored {stored.name} ({receiver.received:,} bytes).\n".encode()
        self._send_simple(
            201,
            body,
            keep_alive=False,
            head_only=False,
            extra=[
                ("Location", file_url_path(stored.name, folder=False)),
                ("Repr-Digest", format_repr_digest(receiver.sha256)),
                ("Upload-Offset", str(receiver.received)),
                ("Upload-Complete", "?1"),
            ],
        )
        return "closing"

    def _send_offset(self, target: Target, *, keep_alive: bool) -> None:
        """``HEAD /name`` with ``Upload-Draft-Interop-Version``: where an interrupted resumable
        upload of ``name`` stopped (``Upload-Offset``), or 404 when there is none."""
        folder = self.server.upload_dir
        assert folder is not None
        held = partial_size(folder, upload_name(target.name)) if target.name else None
        if held is None:
            self._send_simple(
                404,
                b"No upload of that name to resume.\n",
                keep_alive=keep_alive,
                head_only=True,
            )
            return
        self._send_simple(
            200,
            b"",
            keep_alive=keep_alive,
            head_only=True,
            extra=[
                ("Upload-Offset", str(held)),
                ("Upload-Complete", "?0"),
                ("Cache-Control", "no-store"),
            ],
        )

    def _refuse(self, status: int, text: str, extra: list[tuple[str, str]] | None = None) -> Phase:
        """Answer an upload that is not taken, and close (the body, if any, is drained)."""
        self._send_simple(
            status, (text + "\n").encode(), keep_alive=False, head_only=False, extra=extra
        )
        return "closing"

    def _uploaded(self, path: Path) -> None:
        """A received file is downloadable at once when the upload folder is a shared folder (or
        inside one): that folder is walked again now. Otherwise it is not shared."""
        folder = path.parent
        for shared in self.server.share.shared_folders():
            if folder == shared.path or shared.path in folder.parents:
                self.server.share.rescan(shared.name, max_age=0)


class _BodyPace:
    """Cuts an upload that trickles: in every ``idle_timeout`` seconds at least 16 KiB must
    arrive (or the body end), as :meth:`BodySender.await_room` asks of a reader; a client sending
    a byte now and then would otherwise hold a transfer slot for ever (slowloris)."""

    __slots__ = ("count", "started", "window")

    def __init__(self, window: float) -> None:
        self.window = window
        self.started = time.monotonic()
        self.count = 0

    def took(self, count: int) -> None:
        """``count`` bytes arrived; TimeoutError when the last window brought too few."""
        self.count += count
        now = time.monotonic()
        if now - self.started < self.window:
            return
        if self.count < _MIN_BODY_PROGRESS:
            raise TimeoutError(errno.ETIMEDOUT, _("the client sends too slowly"))
        self.started, self.count = now, 0
