"""Finding shares on the local network: DNS-SD over multicast DNS (RFC 6763 over RFC 6762).

A running share announces itself (:class:`Announcer`) as ``_swb._tcp`` with TXT records that say
how to reach it (the TLS certificate's fingerprint among them, so a client can pin what it found),
and as ``_http._tcp`` (``_https._tcp`` with TLS) so that browsers and the OS's own tools list it
too. :class:`ServerBrowser` finds them. The TXT records are built and read by pure functions
(:func:`build_txt`, :func:`found_server`). The multicast work is done by the ``zeroconf`` library;
mDNS packets carry a TTL of 255 to 224.0.0.251 (RFC 6762, section 11) and never leave the link.
"""

from __future__ import annotations

import contextlib
import functools
import ipaddress
import logging
import os
import queue
import re
import socket
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from net._i18n import _
from net.address import format_peer
from net.errors import BindError, NetError, system_words
from net.interfaces import InterfaceAddress, interface_addresses

__all__ = [
    "HTTPS_SERVICE",
    "HTTP_SERVICE",
    "MAX_SERVERS",
    "PROTOCOL_VERSION",
    "SERVICE_TYPE",
    "Announcer",
    "FoundServer",
    "ServerBrowser",
    "announce_interfaces",
    "build_txt",
    "found_server",
    "instance_name",
    "mdns_disabled",
]

#: The DNS-SD service type of a Socket Workbench share (RFC 6763, section 7).
SERVICE_TYPE = "_swb._tcp.local."
#: Generic types that browsers and OS tools (avahi-browse, dns-sd, Finder) list (RFC 6763, 7.1).
HTTP_SERVICE = "_http._tcp.local."
HTTPS_SERVICE = "_https._tcp.local."
#: The TXT ``v=`` this code writes and understands; a share with another version is not listed.
PROTOCOL_VERSION = "1"
#: At most this many servers are tracked by one browser: a flood of forged announcements on the
#: link costs bounded memory.
MAX_SERVERS = 256

# RFC 6763, section 4.1.1: an instance name is one DNS label, at most 63 bytes of UTF-8.
_MAX_LABEL = 63
_HOST_CHARS = re.compile(r"[^a-z0-9-]+")
# C0, DEL, C1 (CSI is U+009B) and the line separators: nothing in a name may drive a terminal.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")
# How long the browser waits for a found service's SRV, TXT and address records.
_RESOLVE_TIMEOUT = 1.0


# ---- TXT records (sans-IO) ------------------------------------------------------------------------


def build_txt(
    *,
    fingerprint: str | None,
    raw: bool,
    uploads: bool = False,
    password: bool = False,
    path: str = "/",
) -> dict[str, str]:
    """The TXT record of a share (RFC 6763, section 6): key=value strings, each under 255 bytes.

    Keys: ``v`` protocol version, ``tls`` 0/1, ``fp`` the SHA-256 certificate fingerprint
    ("AB:CD:..", only with TLS), ``raw`` whether the classic raw dialect is answered, ``up``
    whether uploads are accepted, ``auth`` whether a password is needed, ``path`` where the
    index is (RFC 6763, section 7.1's convention for ``_http._tcp``).

    Args:
        fingerprint: the server certificate's SHA-256 fingerprint, or None without TLS.
        raw: the classic raw dialect is on.
        uploads: uploads are on.
        password: a password is needed.
        path: the index page's path.
    """
    txt = {"v": PROTOCOL_VERSION, "tls": "1" if fingerprint else "0"}
    if fingerprint:
        txt["fp"] = fingerprint
    txt |= {
        "raw": _flag(raw),
        "up": _flag(uploads),
        "auth": _flag(password),
        "path": path,
    }
    return txt


def _flag(value: bool) -> str:
    return "1" if value else "0"


@dataclass(frozen=True, slots=True)
class FoundServer:
    """A share found on the local network.

    Attributes:
        name: the service instance name ("workstation", "workstation-2"), control characters
            removed; unique on the link while the share runs.
        host: the host name its SRV record points at ("workstation-swb-8000.local.").
        port: the TCP port.
        addresses: its IPv4 addresses first, then IPv6 ones (link-local with their zone).
        tls: the share speaks TLS.
        fingerprint: the certificate's SHA-256 fingerprint ("AB:CD:..") to pin, or None.
        raw: the classic raw dialect is answered too.
        uploads: uploads are accepted.
        password: a password is needed.
        path: the index page's path ("/").
    """

    name: str
    host: str
    port: int
    addresses: tuple[str, ...]
    tls: bool
    fingerprint: str | None
    raw: bool
    uploads: bool
    password: bool
    path: str

    @property
    def urls(self) -> tuple[str, ...]:
        """``http(s)://address:port/path`` for each address, link-local IPv6 ones only when there
        is nothing else (browsers refuse a zone in a URL, RFC 6874 is not implemented by them)."""
        routable = [a for a in self.addresses if not _link_local_v6(a)]
        scheme = "https" if self.tls else "http"
        return tuple(
            f"{scheme}://{format_peer((a, self.port))}{self.path}"
            for a in (routable or self.addresses)
        )

    @property
    def url(self) -> str:
        """The first of :attr:`urls` (an IPv4 one when there is one), or "" without addresses."""
        urls = self.urls
        return urls[0] if urls else ""


def _link_local_v6(address: str) -> bool:
    with contextlib.suppress(ValueError):
        ip = ipaddress.ip_address(address.split("%", 1)[0])
        return ip.version == 6 and ip.is_link_local
    return False


def found_server(
    name: str,
    host: str,
    port: int | None,
    addresses: list[str],
    properties: Mapping[bytes, bytes | None],
) -> FoundServer | None:
    """Read a resolved ``_swb._tcp`` service; None when it is not one this version can use.

    Not usable: a TXT record without ``v=1`` (another protocol version), no port, no address,
    ``tls=1`` without a well-formed fingerprint (nothing to pin: a man in the middle could answer
    for it), or a malformed fingerprint. Keys are compared case-insensitively and a key's first
    occurrence wins (RFC 6763, section 6.4); a flag is on only when its value is exactly "1".

    Args:
        name: the full instance name ("host._swb._tcp.local.").
        host: the SRV target.
        port: the SRV port.
        addresses: the host's addresses as text (zones allowed).
        properties: the TXT record as zeroconf decodes it (key → value, None for a bare key).
    """
    from net.tls import normalize_fingerprint

    txt: dict[str, str] = {}
    for key, value in properties.items():
        text_key = key.decode("ascii", "replace").lower()
        if text_key not in txt:
            txt[text_key] = (value or b"").decode("utf-8", "replace")
    if txt.get("v") != PROTOCOL_VERSION or not port or not 0 < port < 65536:
        return None
    usable: list[str] = []
    for address in addresses:
        with contextlib.suppress(ValueError):
            ip = ipaddress.ip_address(address.split("%", 1)[0])
            # A link-local IPv6 address is usable only with its zone (RFC 4007, section 11).
            zoneless = ip.version == 6 and ip.is_link_local and "%" not in address
            if not (ip.is_unspecified or ip.is_multicast or zoneless):
                usable.append(address)
    if not usable:
        return None
    usable.sort(key=lambda a: ":" in a)  # IPv4 first; sort is stable
    tls = txt.get("tls") == "1"
    fingerprint = None
    if tls:
        try:
            fingerprint = normalize_fingerprint(txt.get("fp", ""))
        except NetError:
            return None
    path = txt.get("path", "/")
    if not path.startswith("/") or _CONTROL.search(path) or " " in path:
        path = "/"
    return FoundServer(
        name=_CONTROL.sub("", _instance_part(name)),
        host=_CONTROL.sub("", host),
        port=port,
        addresses=tuple(usable),
        tls=tls,
        fingerprint=fingerprint,
        raw=txt.get("raw") == "1",
        uploads=txt.get("up") == "1",
        password=txt.get("auth") == "1",
        path=path,
    )


def _instance_part(name: str) -> str:
    for service in (SERVICE_TYPE, HTTP_SERVICE, HTTPS_SERVICE):
        if name.endswith("." + service):
            return name[: -len(service) - 1]
    return name


def instance_name(hostname: str | None = None) -> str:
    """The instance name a share announces: the host name's first label, at most 63 bytes.

    zeroconf makes it unique on the link ("name-2") when another service already has it.
    """
    label = (hostname if hostname is not None else socket.gethostname()).split(".", 1)[0]
    label = _CONTROL.sub("", label).strip() or "swb"
    return label.encode("utf-8")[:_MAX_LABEL].decode("utf-8", "ignore")


def _server_name(instance: str, port: int) -> str:
    """The SRV target: a host name of its own, so that the OS's mDNS responder (avahi, Bonjour),
    which owns ``<host>.local``, is never contradicted; the port keeps two shares apart."""
    label = _HOST_CHARS.sub("-", instance.lower()).strip("-") or "swb"
    return f"{label[:40]}-swb-{port}.local."


# ---- where to announce ----------------------------------------------------------------------------


def announce_interfaces(bound: str) -> list[InterfaceAddress]:
    """The interface addresses a share bound to ``bound`` is announced with.

    Bound to every address ("", "0.0.0.0", "::"): every interface that is up, loopback left out.
    Bound to one address: that address, if an interface has it. Bound to loopback: nothing: such
    a share is for this computer only, and mDNS on loopback would reach no one else.
    """
    host = bound.split("%", 1)[0].strip("[]")
    if host in ("", "0.0.0.0", "::"):
        return [a for a in interface_addresses() if not a.loopback]
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return []
    if ip.is_loopback:
        return []
    return [a for a in interface_addresses() if a.ip == ip]


def mdns_disabled() -> bool:
    """Whether the environment variable ``SWB_NO_MDNS`` is set (to anything but "" or "0").

    It turns off what happens on its own: shares announcing themselves and the Download panel's
    live search; ``swb discover``, asked for explicitly, still runs. A switch for machines (and
    test suites) where nothing may multicast unasked.
    """
    return os.environ.get("SWB_NO_MDNS", "0").strip() not in ("", "0")


def _quiet_zeroconf_logging() -> None:
    # zeroconf logs warnings (an interface without multicast) that Python would print with its
    # last-resort handler; this module reports failures in one sentence of its own instead.
    logging.getLogger("zeroconf").addHandler(logging.NullHandler())


def _reason(exc: BaseException) -> str:
    if isinstance(exc, RuntimeError) and str(exc).startswith("No interfaces"):
        return _("no network interface with an IPv4 address is up")  # zeroconf's words are longer
    if isinstance(exc, OSError) and exc.strerror:
        return system_words(exc)
    return str(exc) or type(exc).__name__


# ---- announcing -----------------------------------------------------------------------------------


class Announcer:
    """Announces a running share on the local network until :meth:`close` (with goodbyes).

    Registration runs on a thread of its own (probing takes about a second, RFC 6762, section
    8.1), so :meth:`start` returns at once. A failure (no multicast, no interface) never stops the
    share: it is reported once through ``on_warning`` and the share runs unannounced.

    Args:
        port: the share's TCP port.
        bound: the address the share listens on ("" or "::" for every address).
        fingerprint: the TLS certificate's SHA-256 fingerprint, or None without TLS.
        raw: the classic raw dialect is on.
        uploads: uploads are accepted (TXT ``up``).
        password: a password is needed (TXT ``auth``).
        name: the instance name (default: :func:`instance_name`).
        on_warning: called (from the announcer's thread) with one sentence when announcing fails
            or is left out (a loopback-only share).
        on_announced: called (from the announcer's thread) with the instance name once registered.
    """

    def __init__(
        self,
        port: int,
        bound: str = "",
        *,
        fingerprint: str | None = None,
        raw: bool = True,
        uploads: bool = False,
        password: bool = False,
        name: str | None = None,
        on_warning: Callable[[str], None] | None = None,
        on_announced: Callable[[str], None] | None = None,
    ) -> None:
        self.port = port
        self.bound = bound
        self.fingerprint = fingerprint
        self.raw = raw
        # The TXT record for a value of ``raw``: the one entry set_raw() may change.
        self._txt = functools.partial(
            build_txt, fingerprint=fingerprint, uploads=uploads, password=password
        )
        self.name = name or instance_name()
        self._on_warning = on_warning
        self._on_announced = on_announced
        self._lock = threading.Lock()
        self._zeroconf: Any = None
        self._registered: list[Any] = []  # the ServiceInfos registered, for updates
        self._updates: list[threading.Thread] = []  # set_raw()'s, waited for by close()
        self._closed = False
        self._registering = False
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Begin announcing (returns at once).

        Nothing is announced while :func:`mdns_disabled`.
        """
        if mdns_disabled():
            return
        with self._lock:
            if self._thread is not None or self._closed:
                return
            self._registering = True
            self._thread = threading.Thread(target=self._register, name="swb-announce", daemon=True)
        self._thread.start()

    def _warn(self, text: str) -> None:
        if self._on_warning is not None:
            self._on_warning(text)

    def _register(self) -> None:
        try:
            self._register_services()
        finally:
            with self._lock:
                self._registering = False
                closed = self._closed
            if closed:  # close() came while registering and left the goodbyes to this thread
                self._close_zeroconf()

    def _register_services(self) -> None:
        addresses = announce_interfaces(self.bound)
        if not addresses:
            wildcard = self.bound.strip("[]") in ("", "0.0.0.0", "::")
            why = (
                _("this computer has no network interface besides loopback")
                if wildcard
                else _("the share listens on {bound} only").format(bound=self.bound)
            )
            self._warn(_("not announced on the local network: {why}").format(why=why))
            return
        # IPv4 multicast carries both A and AAAA records; it is what every mDNS stack answers.
        names = {a.interface for a in addresses}
        ipv4 = [
            a.address
            for a in interface_addresses(ipv6=False)
            if a.interface in names and not a.loopback
        ]
        if not ipv4:
            self._warn(_("not announced on the local network: its interface has no IPv4 address"))
            return
        try:
            from zeroconf import ServiceInfo, Zeroconf

            _quiet_zeroconf_logging()
            with self._lock:
                if self._closed:
                    return
                self._zeroconf = zc = Zeroconf(interfaces=list(dict.fromkeys(ipv4)))
            with self._lock:
                raw = self.raw
            txt = self._txt(raw=raw)
            published = list(dict.fromkeys(a.address.split("%", 1)[0] for a in addresses))
            server = _server_name(self.name, self.port)
            instance = self.name
            # _http._tcp would send a browser plain HTTP to a TLS port (answered with 400):
            # a TLS share is _https._tcp instead.
            generic = HTTPS_SERVICE if self.fingerprint else HTTP_SERVICE
            for service in (SERVICE_TYPE, generic):
                info = ServiceInfo(
                    service,
                    f"{instance}.{service}",
                    port=self.port,
                    properties=txt,
                    server=server,
                    parsed_addresses=published,
                )
                with self._lock:
                    if self._closed:
                        return
                zc.register_service(info, allow_name_change=True)
                with self._lock:
                    self._registered.append(info)
                if service == SERVICE_TYPE:
                    instance = _instance_part(info.name)
            if self._on_announced is not None:
                self._on_announced(instance)
            with self._lock:
                changed = self.raw != raw  # set_raw() came while registering
            if changed:
                self._update(zc)
        except Exception as exc:  # announcing must never stop the share
            self._warn(
                _("not announced on the local network: {reason}").format(reason=_reason(exc))
            )
            with self._lock:
                self._closed = True  # _register sends goodbyes for what was registered

    def set_raw(self, raw: bool) -> None:
        """Announce from now on whether the classic raw dialect is answered (TXT ``raw``).

        Returns at once: the changed record goes out on a thread of its own (RFC 6762,
        section 8.4, announced again).
        """
        with self._lock:
            if raw == self.raw:
                return
            self.raw = raw
            zc = self._zeroconf
            ready = bool(self._registered) and not self._registering and not self._closed
        if ready:  # while registering, the registration sends the change when done
            update = threading.Thread(
                target=self._update, args=(zc,), name="swb-announce-update", daemon=True
            )
            with self._lock:
                self._updates = [t for t in self._updates if t.is_alive()] + [update]
            update.start()

    def _update(self, zc: Any) -> None:
        from zeroconf import ServiceInfo

        with self._lock:
            registered = list(self._registered)
            txt = self._txt(raw=self.raw)
        with contextlib.suppress(Exception):  # closed meanwhile: nothing left to update
            for old in registered:
                zc.update_service(
                    ServiceInfo(
                        old.type,
                        old.name,
                        port=old.port,
                        properties=txt,
                        server=old.server,
                        addresses=old.addresses,
                    )
                )

    def close(self, timeout: float = 5.0) -> None:
        """Stop announcing: send goodbye packets (RFC 6762, section 10.1) and free the sockets.

        A registration still probing (about a second) and updates being sent (under one) are
        waited for at most ``timeout`` seconds in all; a registration that takes longer sends the
        goodbyes itself when it is done. Safe to call twice.
        """
        deadline = time.monotonic() + timeout
        with self._lock:
            self._closed = True
            threads = [self._thread, *self._updates]
        for thread in threads:
            if thread is not None and thread is not threading.current_thread():
                thread.join(max(0.0, deadline - time.monotonic()))
        with self._lock:
            if self._registering:
                return
        self._close_zeroconf()

    def _close_zeroconf(self) -> None:
        with self._lock:
            zc, self._zeroconf = self._zeroconf, None
            self._registered = []
        if zc is not None:
            with contextlib.suppress(Exception):
                zc.close()  # unregisters every service first: one batch of goodbyes

    def __enter__(self) -> Announcer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


# ---- browsing -------------------------------------------------------------------------------------


_STOP = object()


class ServerBrowser:
    """Finds ``_swb._tcp`` shares on the local network while :meth:`run` runs.

    Callbacks run on the thread that called :meth:`run`: ``on_found`` with a :class:`FoundServer`
    when a share appears or its records change, ``on_lost`` with its name when it says goodbye
    (or its records expire). At most :data:`MAX_SERVERS` are tracked.

    Raises (from :meth:`run`):
        BindError: multicast DNS cannot be used here (no interface, no multicast support).
    """

    def __init__(
        self,
        on_found: Callable[[FoundServer], None],
        on_lost: Callable[[str], None] | None = None,
    ) -> None:
        self._on_found = on_found
        self._on_lost = on_lost
        self._events: queue.Queue[object] = queue.Queue()
        self._stopping = threading.Event()
        self._seen: dict[str, FoundServer] = {}

    @property
    def servers(self) -> list[FoundServer]:
        """The servers found so far and not lost, in the order they were found."""
        return list(self._seen.values())

    def shutdown(self) -> None:
        """Make :meth:`run` return soon (thread-safe; returns at once)."""
        self._stopping.set()
        self._events.put(_STOP)

    def close(self) -> None:
        """Nothing to free: :meth:`run` closes its sockets before it returns."""

    def run(self, timeout: float | None = None) -> None:
        """Browse until ``timeout`` seconds have passed (None: until :meth:`shutdown`)."""
        try:
            from zeroconf import ServiceBrowser, ServiceStateChange, Zeroconf

            _quiet_zeroconf_logging()
            zc = Zeroconf()
        except Exception as exc:
            raise BindError(
                _("cannot use multicast DNS on this computer: {reason}").format(reason=_reason(exc))
            ) from exc
        deadline = None if timeout is None else time.monotonic() + timeout
        added = (ServiceStateChange.Added, ServiceStateChange.Updated)

        def handler(
            zeroconf: Any, service_type: str, name: str, state_change: ServiceStateChange
        ) -> None:
            self._events.put((name, state_change in added))

        browser = None
        try:
            browser = ServiceBrowser(zc, [SERVICE_TYPE], handlers=[handler])
            while not self._stopping.is_set():
                left = None if deadline is None else deadline - time.monotonic()
                if left is not None and left <= 0:
                    break
                try:
                    item = self._events.get(timeout=left)
                except queue.Empty:
                    break
                if item is _STOP or not isinstance(item, tuple):
                    break
                name, present = item
                if present:
                    self._resolve(zc, name, deadline)
                elif self._seen.pop(name, None) is not None and self._on_lost is not None:
                    self._on_lost(_CONTROL.sub("", _instance_part(name)))
        finally:
            with contextlib.suppress(Exception):
                if browser is not None:
                    browser.cancel()
            with contextlib.suppress(Exception):
                zc.close()

    def _resolve(self, zc: Any, name: str, deadline: float | None) -> None:
        from zeroconf import ServiceInfo

        if name not in self._seen and len(self._seen) >= MAX_SERVERS:
            return
        wait = _RESOLVE_TIMEOUT
        if deadline is not None:
            wait = min(wait, max(0.05, deadline - time.monotonic()))
        info = ServiceInfo(SERVICE_TYPE, name)
        if not info.request(zc, wait * 1000):
            return
        server = found_server(
            name,
            info.server or "",
            info.port,
            info.parsed_scoped_addresses(),
            info.properties,
        )
        if server is None or self._seen.get(name) == server:
            return
        self._seen[name] = server
        self._on_found(server)
