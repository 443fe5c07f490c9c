"""What the File Server panel's worker does: open the server (generating the certificate on
first use), read its addresses, and serve, announcing the share on the local network meanwhile.

Everything here runs on the worker's thread, never on the GUI thread: a certificate takes a
moment to generate, the interface table is a system call, and announcing probes for about a
second. The panel reads :attr:`ShareRun.fingerprint` and :attr:`ShareRun.urls` once the runner
says the server is open.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from gui.widgets.security import ServerTlsPlan
from net.discovery import Announcer
from net.events import TransferEvent
from net.fileserver import FileServer
from net.share import ShareTable
from net.tls import server_context

__all__ = ["ShareRun"]


class ShareRun:
    """One run of the file server.

    Args:
        share: the table the share list owns (served live: adding a file shares it at once).
        host, port: where to listen (port 0: the system picks one).
        raw: answer the classic raw protocol too.
        options: more :class:`FileServer` arguments (upload_dir, password, ...).
        plan: the TLS certificate to use, or None for plain HTTP.
        announce: announce the share over mDNS/DNS-SD while it runs.
        on_announced: (text, is a warning) when announcing worked or failed; called on the
            announcer's thread.
        on_event: the server's events (the runner's ``push``).
    """

    def __init__(
        self,
        share: ShareTable,
        host: str,
        port: int,
        *,
        raw: bool,
        options: dict[str, Any],
        plan: ServerTlsPlan | None,
        announce: bool,
        on_announced: Callable[[str, bool], None],
        on_event: Callable[[TransferEvent], None],
    ) -> None:
        self._share, self._host, self._port, self._raw = share, host, port, raw
        self._options = options
        self._plan = plan
        self._announce = announce
        self._on_announced = on_announced
        self._on_event = on_event
        #: SHA-256 fingerprint of the certificate ("" without TLS), known once open.
        self.fingerprint = ""
        #: Every URL the server can be reached at, known once open.
        self.urls: list[str] = []
        #: The announcer while serving (filled by the worker; the GUI calls set_raw on it).
        self.announcers: list[Announcer] = []

    def open(self) -> FileServer:
        options = dict(self._options)
        if self._plan is not None:
            cert = self._plan.certificate()
            options["ssl_context"] = server_context(cert)
            self.fingerprint = cert.fingerprint
        server = FileServer(
            self._share,
            self._host,
            self._port,
            raw_dialect=self._raw,
            on_event=self._on_event,
            **options,
        )
        self.urls[:] = server.urls()
        return server

    def serve(self, server: FileServer) -> None:
        if not self._announce:
            server.serve_forever()
            return
        # Announcing says goodbye on its own thread and this worker's, never the GUI thread's.
        announcer = Announcer(
            server.port,
            server.address.rsplit(":", 1)[0],
            fingerprint=self.fingerprint or None,
            raw=server.raw_dialect and server.password is None,
            uploads=server.upload_dir is not None,
            password=server.password is not None,
            on_warning=lambda text: self._on_announced(text, True),
            on_announced=lambda name: self._on_announced(name, False),
        )
        self.announcers.append(announcer)
        # The box may have been toggled before the GUI could see this announcer.
        announcer.set_raw(server.raw_dialect and server.password is None)
        announcer.start()
        try:
            server.serve_forever()
        finally:
            announcer.close(timeout=1.0)  # the window waits 2 s for every worker in total
