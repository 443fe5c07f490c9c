"""net.tls over real loopback sockets: verified, pinned and insecure clients against small TLS and
plain servers on threads, every failure's sentence, and the self-signed server certificate."""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import ipaddress
import os
import selectors
import socket
import ssl
import stat
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import trustme
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from net._loop import StoppableLoop
from net.errors import AddressError, ConnectError, NetError, TlsError
from net.tls import (
    INSECURE_WARNING,
    ClientTls,
    ServerCertificate,
    certificate_fingerprint,
    client_context,
    default_server_certificate,
    describe_ssl_error,
    handshake_step,
    load_server_certificate,
    normalize_fingerprint,
    server_context,
    user_data_dir,
    wrap_client,
)
from tests.conftest import WAIT

Handler = Callable[[socket.socket], None]


class LoopbackServer:
    """Accepts connections on 127.0.0.1 in a thread and hands each to ``handle`` in turn.

    With ``context`` the server side of the TLS handshake runs first; its failures are kept in
    ``handshake_errors`` as (exception, client address). :meth:`close` stops and joins the thread.
    """

    def __init__(self, handle: Handler, context: ssl.SSLContext | None = None) -> None:
        self._handle = handle
        self._context = context
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port: int = self._listener.getsockname()[1]
        self._stop_reader, self._stop_writer = socket.socketpair()
        self.handshake_errors: list[tuple[BaseException, tuple[str, int]]] = []
        self.accepted = threading.Event()
        self._thread = threading.Thread(target=self._run, name="loopback server")
        self._thread.start()

    def _run(self) -> None:
        with selectors.DefaultSelector() as selector:
            selector.register(self._listener, selectors.EVENT_READ)
            selector.register(self._stop_reader, selectors.EVENT_READ)
            while True:
                ready = [key.fileobj for key, _ in selector.select()]
                if self._stop_reader in ready:
                    return
                conn, address = self._listener.accept()
                self.accepted.set()
                conn.settimeout(WAIT)
                self._serve(conn, address)

    def _serve(self, conn: socket.socket, address: tuple[str, int]) -> None:
        with conn:
            if self._context is None:
                self._call(conn)
                return
            try:
                tls = self._context.wrap_socket(conn, server_side=True)
            except OSError as exc:
                self.handshake_errors.append((exc, address))
                return
            with tls:
                self._call(tls)

    def _call(self, conn: socket.socket) -> None:
        # The client may go away at any point; what the client saw is what the tests check.
        with contextlib.suppress(OSError):
            self._handle(conn)

    def close(self) -> None:
        """Stop and join the thread; safe to call twice (tests close early to read the errors)."""
        if self._listener.fileno() == -1:
            return
        self._stop_writer.send(b"x")
        self._thread.join(WAIT)
        assert not self._thread.is_alive()
        for sock in (self._listener, self._stop_reader, self._stop_writer):
            sock.close()


def echo_once(conn: socket.socket) -> None:
    data = conn.recv(1024)
    if data:
        conn.sendall(data)


def wait_for_close(conn: socket.socket) -> None:
    """Read (and ignore) everything until the client hangs up: a server that never answers."""
    while conn.recv(4096):
        pass


@pytest.fixture
def serve() -> Iterator[Callable[..., LoopbackServer]]:
    servers: list[LoopbackServer] = []

    def start(handle: Handler = echo_once, context: ssl.SSLContext | None = None) -> LoopbackServer:
        server = LoopbackServer(handle, context)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.close()


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture
def cafile(ca: trustme.CA, tmp_path: Path) -> str:
    path = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(path))
    return str(path)


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "data"
    monkeypatch.setenv("SWB_DATA_DIR", str(path))
    return path


def context_for(leaf: trustme.LeafCert) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    leaf.configure_cert(context)
    return context


def connect(port: int, host: str = "127.0.0.1") -> socket.socket:
    return socket.create_connection((host, port), timeout=WAIT)


def handshake(port: int, hostname: str, opts: ClientTls, timeout: float = WAIT) -> ssl.SSLSocket:
    return wrap_client(connect(port), hostname, opts, timeout)


def leaf_der(leaf: trustme.LeafCert) -> bytes:
    return ssl.PEM_cert_to_DER_cert(leaf.cert_chain_pems[0].bytes().decode())


# --- fingerprints -------------------------------------------------------------------------------

HEX = "0123456789abcdef" * 4
CANONICAL = ":".join(HEX[i : i + 2] for i in range(0, 64, 2)).upper()

GOOD_FINGERPRINTS = [
    CANONICAL,
    CANONICAL.lower(),
    HEX,
    HEX.upper(),
    " ".join(HEX[i : i + 2] for i in range(0, 64, 2)),
    f"  {CANONICAL}\n",
    f"SHA256:{CANONICAL}",
    f"sha256 Fingerprint={CANONICAL}",
    f"SHA256 Fingerprint={CANONICAL}",
    f"SHA-256: {HEX}",
]

BAD_FINGERPRINTS = [
    ("", "empty"),
    ("   ", "empty"),
    (CANONICAL[:-3], "has 62 hex digits"),
    (CANONICAL + ":00", "has 66 hex digits"),
    (CANONICAL[:-1] + "G", "'G' is not a hex digit"),
    ("da39a3ee5e6b4b0d3255bfef95601890afd80709", "SHA-1"),
    ("SHA256:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU", "not a hex digit"),
]


@pytest.mark.parametrize("text", GOOD_FINGERPRINTS)
def test_fingerprints_in_every_pasted_form_normalize(text: str) -> None:
    assert normalize_fingerprint(text) == CANONICAL


@pytest.mark.parametrize(("text", "words"), BAD_FINGERPRINTS)
def test_malformed_fingerprints_say_what_is_wrong(text: str, words: str) -> None:
    with pytest.raises(AddressError, match=words) as caught:
        normalize_fingerprint(text)
    assert isinstance(caught.value, ValueError)  # bad input: the CLI exits 2


def test_certificate_fingerprint_is_sha256_of_the_der(ca: trustme.CA) -> None:
    der = leaf_der(ca.issue_cert("localhost"))
    fingerprint = certificate_fingerprint(der)
    assert fingerprint == ":".join(f"{byte:02X}" for byte in hashlib.sha256(der).digest())
    assert normalize_fingerprint(fingerprint) == fingerprint


def test_client_tls_normalizes_its_pin() -> None:
    assert ClientTls(fingerprint=HEX).fingerprint == CANONICAL
    assert ClientTls(fingerprint="  ").fingerprint is None
    with pytest.raises(AddressError):
        ClientTls(fingerprint="not a fingerprint")
    assert ClientTls(verify=False).insecure
    assert not ClientTls(verify=False, fingerprint=HEX).insecure
    assert not ClientTls().insecure
    assert "not verified" in INSECURE_WARNING


# --- client contexts ----------------------------------------------------------------------------


def test_contexts_verify_by_default_and_only_speak_tls12_or_newer(cafile: str) -> None:
    for context in (client_context(ClientTls()), client_context(ClientTls(cafile=cafile))):
        assert context.verify_mode == ssl.CERT_REQUIRED
        assert context.check_hostname
        assert context.minimum_version == ssl.TLSVersion.TLSv1_2
    for opts in (ClientTls(verify=False), ClientTls(fingerprint=HEX)):
        context = client_context(opts)
        assert context.verify_mode == ssl.CERT_NONE
        assert not context.check_hostname
        assert context.minimum_version == ssl.TLSVersion.TLSv1_2


def test_a_missing_or_wrong_cafile_is_bad_input(tmp_path: Path) -> None:
    with pytest.raises(AddressError, match="does not exist"):
        client_context(ClientTls(cafile=str(tmp_path / "nope.pem")))
    junk = tmp_path / "junk.pem"
    junk.write_text("hello\n")
    with pytest.raises(AddressError, match="holds no PEM certificate"):
        client_context(ClientTls(cafile=str(junk)))


# --- handshakes that work -----------------------------------------------------------------------


def test_verified_with_the_cafile(
    serve: Callable[..., LoopbackServer], ca: trustme.CA, cafile: str
) -> None:
    server = serve(echo_once, context_for(ca.issue_cert("localhost")))
    opts = ClientTls(cafile=cafile)
    raw = connect(server.port)
    raw.settimeout(7.5)
    with wrap_client(raw, "localhost", opts, WAIT) as tls:
        assert tls.gettimeout() == 7.5  # restored after the handshake
        assert tls.version() in ("TLSv1.2", "TLSv1.3")
        tls.sendall(b"ping")
        assert tls.recv(1024) == b"ping"


def test_ip_literals_are_checked_against_ip_sans(
    serve: Callable[..., LoopbackServer], ca: trustme.CA, cafile: str
) -> None:
    server = serve(echo_once, context_for(ca.issue_cert("127.0.0.1")))
    raw = connect(server.port)
    raw.setblocking(False)
    with wrap_client(raw, "127.0.0.1", ClientTls(cafile=cafile), WAIT) as tls:
        assert tls.gettimeout() == 0.0  # a non-blocking socket stays non-blocking
        assert tls.server_hostname == "127.0.0.1"


def test_pinned_fingerprint_of_the_self_signed_certificate(
    serve: Callable[..., LoopbackServer], data_dir: Path
) -> None:
    cert = default_server_certificate()
    server = serve(echo_once, server_context(cert))
    with handshake(server.port, "127.0.0.1", ClientTls(fingerprint=cert.fingerprint)) as tls:
        der = tls.getpeercert(binary_form=True)
        assert der is not None
        assert certificate_fingerprint(der) == cert.fingerprint
        tls.sendall(b"pinned")
        assert tls.recv(1024) == b"pinned"


def test_the_self_signed_certificate_as_its_own_ca(
    serve: Callable[..., LoopbackServer], data_dir: Path
) -> None:
    cert = default_server_certificate()
    server = serve(echo_once, server_context(cert))
    with handshake(server.port, "localhost", ClientTls(cafile=str(cert.cert_path))) as tls:
        tls.sendall(b"anchored")
        assert tls.recv(1024) == b"anchored"


def test_insecure_accepts_anything(serve: Callable[..., LoopbackServer], ca: trustme.CA) -> None:
    server = serve(echo_once, context_for(ca.issue_cert("example.test")))
    with handshake(server.port, "127.0.0.1", ClientTls(verify=False)) as tls:
        tls.sendall(b"x")
        assert tls.recv(1024) == b"x"


def test_handshake_step_says_what_a_non_blocking_handshake_waits_for(
    serve: Callable[..., LoopbackServer], ca: trustme.CA
) -> None:
    context = client_context(ClientTls(verify=False))
    # A peer that accepts and never answers: the hello went out, and it is the server's turn.
    with socket.create_server(("127.0.0.1", 0)) as silent:
        sock = connect(silent.getsockname()[1])
        sock.setblocking(False)
        with context.wrap_socket(sock, do_handshake_on_connect=False) as tls:
            assert handshake_step(tls) == selectors.EVENT_READ
            assert handshake_step(tls) == selectors.EVENT_READ
    # A TLS server: the steps end with 0, and the connection then carries data.
    server = serve(echo_once, context_for(ca.issue_cert("example.test")))
    sock = connect(server.port)
    sock.setblocking(False)
    with (
        context.wrap_socket(sock, do_handshake_on_connect=False) as tls,
        selectors.DefaultSelector() as selector,
    ):
        deadline = time.monotonic() + WAIT
        waits_for = handshake_step(tls)
        while waits_for:
            assert waits_for in (selectors.EVENT_READ, selectors.EVENT_WRITE)
            selector.register(tls, waits_for)
            assert selector.select(deadline - time.monotonic()), "the handshake stalled"
            selector.unregister(tls)
            waits_for = handshake_step(tls)
        assert tls.version() in ("TLSv1.2", "TLSv1.3")
        tls.setblocking(True)
        tls.sendall(b"stepped")
        assert tls.recv(1024) == b"stepped"


# --- handshakes that fail, and what they say ----------------------------------------------------


def test_system_cas_do_not_trust_an_unknown_authority(
    serve: Callable[..., LoopbackServer], ca: trustme.CA
) -> None:
    server = serve(echo_once, context_for(ca.issue_cert("localhost")))
    raw = connect(server.port)
    with pytest.raises(TlsError) as caught:
        wrap_client(raw, "localhost", ClientTls(), WAIT)
    message = str(caught.value)
    assert message.startswith(f"the certificate of localhost:{server.port} is not trusted")
    assert "--cafile" in message and "--fingerprint" in message and "--insecure" in message
    assert isinstance(caught.value.__cause__, ssl.SSLCertVerificationError)
    assert raw.fileno() == -1  # closed on failure


def test_wrong_host_names_what_the_certificate_is_for(
    serve: Callable[..., LoopbackServer], ca: trustme.CA, cafile: str
) -> None:
    server = serve(echo_once, context_for(ca.issue_cert("example.test")))
    with pytest.raises(TlsError) as caught:
        handshake(server.port, "127.0.0.1", ClientTls(cafile=cafile))
    assert str(caught.value) == (
        f"wrong host: the certificate of 127.0.0.1:{server.port} is for example.test, not 127.0.0.1"
    )


def test_wrong_host_by_name(
    serve: Callable[..., LoopbackServer], ca: trustme.CA, cafile: str
) -> None:
    server = serve(echo_once, context_for(ca.issue_cert("localhost", "127.0.0.1")))
    with pytest.raises(TlsError, match=r"is for localhost and 127\.0\.0\.1, not other\.test$"):
        handshake(server.port, "other.test", ClientTls(cafile=cafile))


def test_expired_certificate(
    serve: Callable[..., LoopbackServer], ca: trustme.CA, cafile: str
) -> None:
    now = dt.datetime.now(dt.UTC)
    leaf = ca.issue_cert(
        "localhost", not_before=now - dt.timedelta(days=30), not_after=now - dt.timedelta(days=2)
    )
    server = serve(echo_once, context_for(leaf))
    day = (now - dt.timedelta(days=2)).strftime("%Y-%m-%d")
    with pytest.raises(TlsError, match=f"localhost:{server.port} expired on {day} .*renew"):
        handshake(server.port, "localhost", ClientTls(cafile=cafile))


def test_self_signed_certificate_is_not_trusted_and_shows_its_fingerprint(
    serve: Callable[..., LoopbackServer], data_dir: Path
) -> None:
    cert = default_server_certificate()
    server = serve(echo_once, server_context(cert))
    with pytest.raises(TlsError) as caught:
        handshake(server.port, "localhost", ClientTls())
    assert str(caught.value).startswith(
        f"the certificate of localhost:{server.port} is self-signed and not trusted; pin its "
        f"fingerprint with --fingerprint or use --insecure (it presented {cert.fingerprint}"
    )


def test_wrong_pin(serve: Callable[..., LoopbackServer], data_dir: Path) -> None:
    cert = default_server_certificate()
    server = serve(echo_once, server_context(cert))
    with pytest.raises(TlsError) as caught:
        handshake(server.port, "localhost", ClientTls(fingerprint=CANONICAL))
    assert str(caught.value).startswith(
        f"the server's certificate fingerprint {cert.fingerprint} does not match the pinned one "
        f"{CANONICAL}"
    )


def test_the_pin_holds_for_anyone_using_the_context(
    serve: Callable[..., LoopbackServer], data_dir: Path
) -> None:
    server = serve(echo_once, server_context(default_server_certificate()))
    context = client_context(ClientTls(fingerprint=CANONICAL))
    with pytest.raises(TlsError, match="does not match the pinned one"):
        context.wrap_socket(connect(server.port), server_hostname="localhost")


def test_plain_tcp_server(serve: Callable[..., LoopbackServer]) -> None:
    def hello(conn: socket.socket) -> None:
        conn.sendall(b"hello\n")
        conn.recv(1024)

    server = serve(hello)
    with pytest.raises(TlsError) as caught:
        handshake(server.port, "localhost", ClientTls())
    assert str(caught.value) == (
        f"localhost:{server.port} speaks plain TCP, not TLS: connect to it without TLS"
    )


def test_server_that_hangs_up(serve: Callable[..., LoopbackServer]) -> None:
    server = serve(lambda conn: None)
    with pytest.raises(TlsError, match="closed the connection during the TLS handshake"):
        handshake(server.port, "localhost", ClientTls())


def test_handshake_timeout(serve: Callable[..., LoopbackServer]) -> None:
    server = serve(wait_for_close)
    started = time.monotonic()
    with pytest.raises(TlsError) as caught:
        handshake(server.port, "localhost", ClientTls(), timeout=0.3)
    assert time.monotonic() - started < WAIT
    assert str(caught.value) == (
        f"the TLS handshake with localhost:{server.port} did not finish within 0.3 seconds "
        "(is it a TLS server?)"
    )


def test_shutdown_of_the_owning_loop_ends_the_handshake(
    serve: Callable[..., LoopbackServer],
) -> None:
    server = serve(wait_for_close)
    raw = connect(server.port)
    assert server.accepted.wait(WAIT)
    with StoppableLoop() as loop:
        stopper = threading.Timer(0.05, loop.shutdown)
        stopper.start()
        started = time.monotonic()
        try:
            with pytest.raises(ConnectError, match="was stopped") as caught:
                wrap_client(raw, "localhost", ClientTls(), WAIT * 3, loop=loop)
        finally:
            stopper.join()
    assert not isinstance(caught.value, TlsError)
    assert time.monotonic() - started < WAIT


def test_no_host_name_to_check() -> None:
    left, right = socket.socketpair()
    with right, pytest.raises(AddressError, match="host name is needed"):
        wrap_client(left, " ", ClientTls(), WAIT)
    assert left.fileno() == -1


# --- the server's view --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sent", "expected"),
    [
        (b"hello\n", "client 127.0.0.1:{port} spoke plain TCP to a TLS port"),
        (b"GET / HTTP/1.1\r\nHost: x\r\n\r\n", "client 127.0.0.1:{port} spoke plain HTTP"),
        (b"", "client 127.0.0.1:{port} closed the connection during the TLS handshake"),
    ],
)
def test_server_side_sentences(
    serve: Callable[..., LoopbackServer], data_dir: Path, sent: bytes, expected: str
) -> None:
    server = serve(echo_once, server_context(default_server_certificate()))
    with connect(server.port) as client:
        client_port = client.getsockname()[1]
        client.sendall(sent)
        # The server may reject the bytes and reset before we half-close (then ENOTCONN or a
        # reset here): either order is fine, the server's side is what this test is about.
        with contextlib.suppress(OSError):
            client.shutdown(socket.SHUT_WR)
            client.recv(1024)
    server.close()
    [(exc, address)] = server.handshake_errors
    message = describe_ssl_error(exc, address[0], address[1], server_side=True)
    assert message.startswith(expected.format(port=client_port))


def test_server_side_client_rejects_the_certificate(
    serve: Callable[..., LoopbackServer], data_dir: Path
) -> None:
    server = serve(echo_once, server_context(default_server_certificate()))
    with pytest.raises(TlsError):
        handshake(server.port, "localhost", ClientTls())
    server.close()
    exc, address = server.handshake_errors[0]
    assert "does not trust this server's certificate" in describe_ssl_error(
        exc, *address, server_side=True
    )


@pytest.mark.parametrize(
    ("exc", "expected"),
    [
        (TimeoutError(), "no TLS answer from [::1]:443 before the time limit"),
        (ConnectionResetError(104, "reset"), "[::1]:443 closed the connection during the TLS"),
        (BrokenPipeError(32, "Broken pipe"), "[::1]:443 closed the connection"),
    ],
)
def test_client_side_sentences_for_plain_os_errors(exc: OSError, expected: str) -> None:
    assert describe_ssl_error(exc, "::1", 443).startswith(expected)


# --- the self-signed server certificate ---------------------------------------------------------


def _load(cert: ServerCertificate) -> x509.Certificate:
    return x509.load_pem_x509_certificate(cert.cert_path.read_bytes())


def test_default_certificate_is_made_private_and_complete(data_dir: Path) -> None:
    cert = default_server_certificate()
    assert cert.cert_path == data_dir / "tls" / "server.pem"
    assert cert.key_path == data_dir / "tls" / "server.key"
    assert stat.S_IMODE(cert.key_path.stat().st_mode) == 0o600
    assert stat.S_IMODE((data_dir / "tls").stat().st_mode) == 0o700
    assert stat.S_IMODE(data_dir.stat().st_mode) == 0o700
    parsed = _load(cert)
    assert certificate_fingerprint(parsed.public_bytes(serialization.Encoding.DER)) == (
        cert.fingerprint
    )
    san = parsed.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert "localhost" in san.get_values_for_type(x509.DNSName)
    ips = san.get_values_for_type(x509.IPAddress)
    assert ipaddress.ip_address("127.0.0.1") in ips
    assert ipaddress.ip_address("::1") in ips
    hostname = socket.gethostname().lower()
    if hostname and hostname != "localhost":
        assert hostname in san.get_values_for_type(x509.DNSName)
    [common_name] = parsed.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    assert common_name.value == f"Socket Workbench on {socket.gethostname()}"[:64]
    assert parsed.issuer == parsed.subject
    assert not parsed.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    assert parsed.extensions.get_extension_for_class(x509.KeyUsage).value.digital_signature
    usage = parsed.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert list(usage) == [ExtendedKeyUsageOID.SERVER_AUTH]
    lifetime = parsed.not_valid_after_utc - dt.datetime.now(dt.UTC)
    assert dt.timedelta(days=820) < lifetime <= dt.timedelta(days=825)
    assert isinstance(parsed.public_key(), ec.EllipticCurvePublicKey)


def test_default_certificate_is_reused(data_dir: Path) -> None:
    first = default_server_certificate()
    written = first.cert_path.stat().st_mtime_ns
    second = default_server_certificate(data_dir)
    assert second == first
    assert first.cert_path.stat().st_mtime_ns == written


@pytest.mark.parametrize(
    "damage",
    ["truncate_cert", "garbage_key", "delete_key", "foreign_key"],
)
def test_a_damaged_certificate_is_replaced(data_dir: Path, damage: str) -> None:
    first = default_server_certificate()
    if damage == "truncate_cert":
        first.cert_path.write_bytes(first.cert_path.read_bytes()[:100])
    elif damage == "garbage_key":
        first.key_path.write_bytes(b"-----BEGIN PRIVATE KEY-----\nnope\n")
    elif damage == "delete_key":
        first.key_path.unlink()
    else:
        other = ec.generate_private_key(ec.SECP256R1())
        first.key_path.write_bytes(
            other.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
    second = default_server_certificate()
    assert second.fingerprint != first.fingerprint
    assert stat.S_IMODE(second.key_path.stat().st_mode) == 0o600
    server_context(second)  # the new pair loads and matches


def test_a_certificate_about_to_expire_is_replaced(data_dir: Path) -> None:
    first = default_server_certificate()
    key = serialization.load_pem_private_key(first.key_path.read_bytes(), password=None)
    assert isinstance(key, ec.EllipticCurvePrivateKey)
    now = dt.datetime.now(dt.UTC)
    old = _load(first)
    soon = (
        x509.CertificateBuilder()
        .subject_name(old.subject)
        .issuer_name(old.issuer)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=800))
        .not_valid_after(now + dt.timedelta(days=10))
        .sign(key, old.signature_hash_algorithm)
    )
    first.cert_path.write_bytes(soon.public_bytes(serialization.Encoding.PEM))
    second = default_server_certificate()
    assert second.fingerprint != first.fingerprint
    assert _load(second).not_valid_after_utc - now > dt.timedelta(days=800)


def test_concurrent_first_use_agrees_on_one_pair(tmp_path: Path) -> None:
    results: list[ServerCertificate] = []
    errors: list[BaseException] = []

    def make() -> None:
        try:
            results.append(default_server_certificate(tmp_path))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=make) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(WAIT)
    assert not errors
    assert len({cert.fingerprint for cert in results}) == 1
    server_context(results[0])


def test_concurrent_first_use_by_processes_agrees_on_one_pair(tmp_path: Path) -> None:
    code = (
        "import sys; from pathlib import Path; from net.tls import default_server_certificate, "
        "server_context; c = default_server_certificate(Path(sys.argv[1])); server_context(c); "
        "print(c.fingerprint)"
    )
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[2])}
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", code, str(tmp_path)], stdout=subprocess.PIPE, text=True, env=env
        )
        for _ in range(3)
    ]
    printed = {worker.communicate(timeout=WAIT * 3)[0].strip() for worker in workers}
    assert all(worker.returncode == 0 for worker in workers)
    assert printed == {default_server_certificate(tmp_path).fingerprint}


def test_server_context_refuses_a_certificate_that_changed(data_dir: Path) -> None:
    cert = default_server_certificate()
    changed = ServerCertificate(cert.cert_path, cert.key_path, CANONICAL)
    with pytest.raises(TlsError, match="changed after its fingerprint was shown"):
        server_context(changed)


# --- user-supplied certificates -----------------------------------------------------------------


def _write_leaf(leaf: trustme.LeafCert, folder: Path) -> tuple[str, str]:
    cert, key = folder / "cert.pem", folder / "key.pem"
    cert.write_bytes(b"".join(pem.bytes() for pem in leaf.cert_chain_pems))
    leaf.private_key_pem.write_to_path(str(key))
    return str(cert), str(key)


def test_load_server_certificate(ca: trustme.CA, tmp_path: Path) -> None:
    leaf = ca.issue_cert("localhost")
    cert, key = _write_leaf(leaf, tmp_path)
    loaded = load_server_certificate(cert, key)
    assert loaded.fingerprint == certificate_fingerprint(leaf_der(leaf))
    assert loaded.cert_path == Path(cert)
    server_context(loaded)


def test_load_server_certificate_with_the_wrong_key(ca: trustme.CA, tmp_path: Path) -> None:
    cert, _ = _write_leaf(ca.issue_cert("localhost"), tmp_path)
    other_key = tmp_path / "other.key"
    ca.issue_cert("localhost").private_key_pem.write_to_path(str(other_key))
    with pytest.raises(AddressError, match=f"the key {other_key} does not belong to the cert"):
        load_server_certificate(cert, str(other_key))


def test_load_server_certificate_bad_files(ca: trustme.CA, tmp_path: Path) -> None:
    cert, key = _write_leaf(ca.issue_cert("localhost"), tmp_path)
    with pytest.raises(AddressError, match=r"certificate file .*missing\.pem does not exist"):
        load_server_certificate(str(tmp_path / "missing.pem"), key)
    with pytest.raises(AddressError, match="is not a PEM certificate"):
        load_server_certificate(key, key)
    with pytest.raises(AddressError, match="is not a PEM private key"):
        load_server_certificate(cert, cert)
    with pytest.raises(AddressError, match="is a folder"):
        load_server_certificate(cert, str(tmp_path))
    locked = tmp_path / "locked.key"
    private = serialization.load_pem_private_key(Path(key).read_bytes(), password=None)
    locked.write_bytes(
        private.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(b"secret"),
        )
    )
    with pytest.raises(AddressError, match="protected by a passphrase"):
        load_server_certificate(cert, str(locked))


# --- where the files live -----------------------------------------------------------------------


def test_user_data_dir_honours_swb_data_dir(data_dir: Path) -> None:
    assert user_data_dir() == data_dir
    assert stat.S_IMODE(data_dir.stat().st_mode) == 0o700


@pytest.mark.skipif(sys.platform in ("win32", "darwin"), reason="the XDG layout is for Linux")
def test_user_data_dir_follows_xdg(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SWB_DATA_DIR", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    assert user_data_dir() == tmp_path / "xdg" / "socket-workbench"
    monkeypatch.setenv("XDG_DATA_HOME", "relative/path")  # the spec says to ignore it
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert user_data_dir() == tmp_path / "home" / ".local" / "share" / "socket-workbench"


def test_user_data_dir_that_cannot_be_made(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    monkeypatch.setenv("SWB_DATA_DIR", str(blocker))
    with pytest.raises(NetError, match="a file has that name"):
        user_data_dir()
