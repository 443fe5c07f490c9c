"""The file server's HTTP/1.1 exchange on a transfer thread: which answer a complete request gets
(RFC 9110 methods and targets: files, folders, uploads, the share page), on top of the answers
that send files (:mod:`net._serve_files`) and receive uploads (:mod:`net._serve_upload`)."""

from __future__ import annotations

import h11

from net._i18n import _
from net._serve_base import HttpJob, Phase, RawJob
from net._serve_files import FileAnswers
from net._serve_headers import (
    FAVICON,
    SHOWN_NAME,
    page_links,
    request_header,
    request_text,
)
from net._serve_upload import UploadAnswers
from net.httpfile import Target, file_url_path, parse_target, render_json
from net.sharepage import choose_language, favicon, page_headers, page_origin, render_index

__all__ = ["HttpExchange"]


class HttpExchange(UploadAnswers, FileAnswers):
    """One request of one connection, answered on a transfer thread (raw requests too)."""

    def answer(self, job: HttpJob | RawJob) -> Phase | None:
        """Answer one request; the phase the connection goes back to the loop in (None: close
        it). Raises what sending raises (OSError, Cancelled, h11.LocalProtocolError, ...)."""
        if isinstance(job, RawJob):
            return self._send_raw(job.entry)
        return self._answer_http(job)

    def _answer_http(self, job: HttpJob) -> Phase | None:
        http = self.conn.http
        assert http is not None
        request = job.request
        keep_alive = job.body_done and not self.server.stopping
        head_only = request.method == b"HEAD"
        target = parse_target(request.target)
        if not request.http_version.startswith(b"1."):
            self._send_simple(
                505, b"Only HTTP/1.x is spoken here.\n", keep_alive=False, head_only=False
            )
        elif request.method in (b"PUT", b"PATCH") and self.server.upload_dir is not None:
            return self._receive(job, target)
        elif (
            request.method == b"POST"
            and self.server.upload_dir is not None
            and target.kind == "index"
        ):
            return self._receive_form(job)
        elif (
            head_only
            and self.server.upload_dir is not None
            and request_header(request, b"upload-draft-interop-version") is not None
        ):
            self._send_offset(target, keep_alive=keep_alive)
        elif request.method not in (b"GET", b"HEAD"):
            uploads = self.server.upload_dir is not None
            self._send_simple(
                405,
                b"Only GET, HEAD, PUT, PATCH and POST (a form, to /) are supported.\n"
                if uploads
                else b"Only GET and HEAD are supported (uploads are off).\n",
                keep_alive=False,
                extra=[("Allow", "GET, HEAD, PUT, PATCH, POST" if uploads else "GET, HEAD")],
                head_only=False,
            )
        elif target.kind == "bad":
            self._send_simple(400, b"Bad request target.\n", keep_alive=False, head_only=head_only)
        elif request_header(request, b"service-worker") is not None:
            # Service Workers §4.6: a worker script fetch says so; nothing here is one.
            self._send_simple(
                403, b"No service workers here.\n", keep_alive=keep_alive, head_only=head_only
            )
        elif target.kind in ("index", "json", "zip"):
            if not self._send_folder(request, target, keep_alive=keep_alive):
                return None
        elif target == FAVICON and target.name not in self.server.share and favicon() is not None:
            self._send_simple(
                200,
                favicon() or b"",
                content="image/x-icon",
                extra=[("Cache-Control", "max-age=86400")],
                keep_alive=keep_alive,
                head_only=head_only,
            )
        elif (
            target.kind == "file" and (folder := self.server.share.folder(target.name)) is not None
        ):
            # "/photos" names a folder: its index is at "/photos/" (what nginx and Apache do), so
            # that the page's relative links resolve inside it.
            self._send_simple(
                301,
                b"The folder's index is at the same address with a trailing /.\n",
                keep_alive=keep_alive,
                head_only=head_only,
                extra=[("Location", file_url_path(folder.name, folder=True))],
            )
        else:
            entry = self.server.share.lookup(target.name) if target.kind == "file" else None
            if entry is None:
                asked = target.name or request.target.decode("utf-8", "backslashreplace")
                self._report_unknown(asked[:SHOWN_NAME], "http", _("no such file is shared"))
            if not self._send_file(request, entry, keep_alive=keep_alive):
                return None
        if keep_alive and http.our_state is h11.DONE and http.their_state is h11.DONE:
            http.start_next_cycle()
            return "head"
        return "closing"

    def _send_folder(self, request: h11.Request, target: Target, *, keep_alive: bool) -> bool:
        """Answer a folder's index page, JSON list or zip; False when the connection broke."""
        head_only = request.method == b"HEAD"
        if target.name:
            self.server.share.rescan(target.name)  # at most every RESCAN_AFTER seconds
        offset = (target.page - 1) * target.per_page
        listing = (
            self.server.share.page(target.name, offset, target.per_page)
            if target.kind != "zip"
            else self.server.share.page(target.name, 0, 0)
        )
        if listing is None:
            self._report_unknown(
                target.name[:SHOWN_NAME] + "/", "http", _("no such folder is shared")
            )
            self._send_simple(
                404,
                b"No folder by that name is shared here.\n",
                keep_alive=keep_alive,
                head_only=head_only,
            )
        elif target.kind == "zip":
            return self._send_zip(request, target.name, keep_alive=keep_alive)
        else:
            folders, files, total = listing
            sizes = [(d, *self.server.share.folder_size(d.name)) for d in folders]
            paging = page_links(target, total)
            if target.kind == "json":
                body = render_json(files, [(d, size) for d, _count, size in sizes])
                self._send_simple(
                    200,
                    body,
                    content="application/json",
                    extra=[("Cache-Control", "no-store"), *paging],
                    keep_alive=keep_alive,
                    head_only=head_only,
                )
            else:
                language = choose_language(request_text(request, b"accept-language"))
                origin = page_origin(
                    request_header(request, b"host"),
                    self.conn.sock.getsockname(),
                    tls=self.conn.tls,
                )
                uploads = self.server.upload_dir is not None
                page = render_index(
                    files,
                    language=language,
                    origin=origin,
                    folder=target.name,
                    folders=sizes,
                    uploads=uploads,
                    page=(target.page, target.per_page, total)
                    if paging or target.page > 1
                    else None,
                )
                self._send_simple(
                    200,
                    page,
                    content="text/html; charset=utf-8",
                    extra=[
                        *page_headers("index", uploads=uploads),
                        ("Cache-Control", "no-store"),
                        *paging,
                    ],
                    keep_alive=keep_alive,
                    head_only=head_only,
                )
        return True
