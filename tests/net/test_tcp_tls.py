"""TLS inside TcpClient and TcpServer over real loopback sockets: verified, pinned and insecure
clients, certificate failures from run(), handshakes inside the server's loop with a deadline,
plain clients on a TLS port, files and bytes OpenSSL holds that no selector reports."""

from __future__ import annotations

import contextlib
import socket
import ssl
import struct
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import trustme

import net._tcp_conn
import net._tcp_loop
import net.tls
from net.errors import AddressError, TlsError
from net.events import Connected, Disconnected, FileSent, Received, TlsInfo
from net.tcp import TcpClient, TcpServer
from net.tls import ClientTls, ServerCertificate, default_server_certificate, server_context
from tests.conftest import WAIT
from tests.net.test_tcp import connect, serving, session, start

# A fingerprint no certificate here has.
OTHER_PIN = ":".join(["AB"] * 32)


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture(scope="module")
def leaf(ca: trustme.CA) -> trustme.LeafCert:
    return ca.issue_cert("localhost", "127.0.0.1", "::1")


@pytest.fixture
def cafile(ca: trustme.CA, tmp_path: Path) -> str:
    path = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(path))
    return str(path)


@pytest.fixture
def self_signed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> ServerCertificate:
    monkeypatch.setenv("SWB_DATA_DIR", str(tmp_path / "data"))
    return default_server_certificate()


def leaf_context(leaf: trustme.LeafCert) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    leaf.configure_cert(context)
    return context


def leaf_fingerprint(leaf: trustme.LeafCert) -> str:
    der = ssl.PEM_cert_to_DER_cert(leaf.cert_chain_pems[0].bytes().decode())
    return net.tls.certificate_fingerprint(der)


def run_expecting(client: TcpClient, error: type[Exception]) -> Exception:
    with client, pytest.raises(error) as caught:
        client.run()
    return caught.value


@pytest.mark.parametrize("host", ["localhost", "127.0.0.1", "::1"])
def test_verified_echo_with_the_ca_file(leaf: trustme.LeafCert, cafile: str, host: str) -> None:
    server, server_log = start(host, reply_mode="echo", ssl_context=leaf_context(leaf))
    with serving(server):
        client, log = connect(server.port, host, tls=ClientTls(cafile=cafile))
        with session(client):
            log.wait_for(Connected)
            client.send("加密的 hello".encode())
            log.wait_received("加密的 hello".encode())
            server_log.wait_received("加密的 hello".encode())
    [mine] = log.of(Connected)
    [theirs] = server_log.of(Connected)
    assert isinstance(mine, Connected) and isinstance(theirs, Connected)
    assert isinstance(mine.tls, TlsInfo) and isinstance(theirs.tls, TlsInfo)
    assert mine.tls.version in ("TLSv1.2", "TLSv1.3") and mine.tls.cipher
    assert mine.tls.peer_fingerprint == leaf_fingerprint(leaf)
    assert (theirs.tls.version, theirs.tls.cipher) == (mine.tls.version, mine.tls.cipher)
    assert theirs.tls.peer_fingerprint == ""  # the client sent no certificate
    assert client.tls_fingerprint == leaf_fingerprint(leaf)
    assert client.tls_version == mine.tls.version and client.tls_cipher == mine.tls.cipher
    # Both ends said goodbye in TLS: neither saw an error.
    server_log.wait_for(Disconnected)
    assert not any(isinstance(e, Disconnected) and e.error for e in log.events + server_log.events)
    assert server.total_clients == 1 and server.tls_failures == 0


def test_pinned_self_signed_certificate(self_signed: ServerCertificate) -> None:
    server, _ = start(reply_mode="echo", ssl_context=server_context(self_signed))
    with serving(server):
        client, log = connect(
            server.port, "localhost", tls=ClientTls(fingerprint=self_signed.fingerprint)
        )
        with session(client):
            log.wait_for(Connected)
            client.send(b"pinned")
            log.wait_received(b"pinned")
        assert client.tls_fingerprint == self_signed.fingerprint


def test_insecure_accepts_the_self_signed_certificate(self_signed: ServerCertificate) -> None:
    server, _ = start(reply_mode="echo", ssl_context=server_context(self_signed))
    with serving(server):
        client, log = connect(server.port, tls=ClientTls(verify=False))
        with session(client):
            log.wait_for(Connected)
            client.send(b"insecure")
            log.wait_received(b"insecure")
        # The fingerprint is still shown, so a user can compare it with the server's.
        assert client.tls_fingerprint == self_signed.fingerprint


@pytest.mark.parametrize(
    ("opts", "sentence"),
    [
        (
            ClientTls(fingerprint=OTHER_PIN),
            "the server's certificate fingerprint {fp} does not match",
        ),
        (ClientTls(), "the certificate of localhost:{port} is self-signed and not trusted"),
    ],
    ids=["wrong pin", "not trusted"],
)
def test_certificate_problems_raise_tls_error_from_run(
    self_signed: ServerCertificate, opts: ClientTls, sentence: str
) -> None:
    server, server_log = start(reply_mode="echo", ssl_context=server_context(self_signed))
    with serving(server):
        client, log = connect(server.port, "localhost", tls=opts)
        error = run_expecting(client, TlsError)
        server_log.wait_for(Disconnected)  # the server saw the client give up
    assert str(error).startswith(sentence.format(fp=self_signed.fingerprint, port=server.port))
    assert log.events == []
    assert not client.connected and client.tls_info is None
    assert server_log.received() == b""  # nothing was sent to a server that failed the check


def test_a_bad_ca_file_is_bad_input_at_once(tmp_path: Path) -> None:
    with pytest.raises(AddressError, match="does not exist"):
        TcpClient("localhost", 443, on_event=print, tls=ClientTls(cafile=str(tmp_path / "no.pem")))


def test_tls_client_to_a_plain_server(leaf: trustme.LeafCert, cafile: str) -> None:
    server, _ = start(reply_mode="fixed", fixed_reply=b"hello, plain here\n")
    with serving(server):
        client, log = connect(server.port, tls=ClientTls(cafile=cafile))
        error = run_expecting(client, TlsError)
    assert (
        str(error)
        == f"127.0.0.1:{server.port} speaks plain TCP, not TLS: connect to it without TLS"
    )
    assert log.events == []


def test_plain_client_to_a_tls_server_is_closed_with_a_reason(
    self_signed: ServerCertificate,
) -> None:
    server, server_log = start(reply_mode="echo", ssl_context=server_context(self_signed))
    with (
        serving(server),
        socket.create_connection(("127.0.0.1", server.port), timeout=WAIT) as plain,
    ):
        name = f"127.0.0.1:{plain.getsockname()[1]}"
        plain.sendall(b"hello in plain text\n")
        [closed] = server_log.wait_for(Disconnected)
        with contextlib.suppress(ConnectionResetError):  # closed with unread bytes: a reset
            assert plain.recv(100) == b""  # closed, never echoed
    assert isinstance(closed, Disconnected) and closed.error
    assert closed.reason == f"client {name} spoke plain TCP to a TLS port"
    assert server_log.of(Connected) == [] and server.clients() == []
    assert (server.tls_failures, server.total_clients) == (1, 0)


def test_a_stalled_handshake_is_closed_at_its_deadline_without_holding_up_others(
    self_signed: ServerCertificate,
) -> None:
    server, server_log = start(
        reply_mode="echo", ssl_context=server_context(self_signed), handshake_timeout=0.3
    )
    with serving(server):
        stalled = socket.create_connection(("127.0.0.1", server.port), timeout=WAIT)
        with stalled:
            name = f"127.0.0.1:{stalled.getsockname()[1]}"
            # Half a ClientHello: the server waits for the rest, which never comes.
            stalled.sendall(b"\x16\x03\x01\x02\x00")
            client, log = connect(server.port, tls=ClientTls(verify=False))
            with session(client):
                log.wait_for(Connected)
                client.send(b"not held up")
                log.wait_received(b"not held up")
                [gone] = server_log.wait_for(Disconnected)
            assert stalled.recv(100) == b""
    assert isinstance(gone, Disconnected) and gone.error
    assert gone.reason == f"client {name} did not finish the TLS handshake in time"
    assert server.tls_failures == 1 and server.total_clients == 1


def test_stopping_the_server_mid_handshake_says_nothing_of_that_client(
    self_signed: ServerCertificate,
) -> None:
    server, server_log = start(ssl_context=server_context(self_signed))
    # The client connects first and leaves last: the server stops while it is in the handshake.
    with socket.create_connection(("127.0.0.1", server.port), timeout=WAIT), serving(server):
        deadline = time.monotonic() + WAIT
        while not server._conns and time.monotonic() < deadline:  # no event tells of the accept
            time.sleep(0.01)
        assert server._conns
    assert server_log.events == []  # never connected, so no Disconnected either
    assert server.tls_failures == 0


def test_a_client_shut_down_during_its_handshake_returns_quietly() -> None:
    listener = socket.create_server(("127.0.0.1", 0))  # accepts (backlog) but never answers
    try:
        client, log = connect(listener.getsockname()[1], tls=ClientTls(), connect_timeout=3600)
        thread = threading.Thread(target=client.run)
        thread.start()
        accepted, _ = listener.accept()
        with accepted:
            assert accepted.recv(5)  # the ClientHello has begun: it is in the handshake
            client.shutdown()
            thread.join(WAIT)
            client.close()
        assert not thread.is_alive()
        assert log.events == []
    finally:
        listener.close()


def test_server_disconnect_and_client_close_are_orderly_in_tls(
    self_signed: ServerCertificate,
) -> None:
    server, server_log = start(ssl_context=server_context(self_signed))
    with serving(server):
        client, log = connect(server.port, tls=ClientTls(verify=False))
        with session(client):
            log.wait_for(Connected)
            [info] = server_log.wait_for(Connected)
            server.send(info.conn_id, "服务器说".encode())
            log.wait_received("服务器说".encode())
            server.disconnect(info.conn_id)
            [gone] = log.wait_for(Disconnected)
    assert isinstance(gone, Disconnected) and (gone.reason, gone.error) == ("closed by peer", False)


@pytest.mark.parametrize("use_sendfile", [True, False], ids=["sendfile-on", "sendfile-off"])
def test_files_both_ways_inside_tls(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    self_signed: ServerCertificate,
    use_sendfile: bool,
) -> None:
    # os.sendfile would put the file's plain bytes on the wire: TLS must never use it.
    monkeypatch.setattr(net._tcp_conn, "USE_SENDFILE", use_sendfile)
    content = bytes(range(256)) * 8197  # about 2 MiB, not a multiple of any chunk
    path = tmp_path / "文件.bin"
    path.write_bytes(content)
    server, server_log = start(ssl_context=server_context(self_signed))
    with serving(server):
        client, log = connect(server.port, tls=ClientTls(verify=False))
        with session(client):
            log.wait_for(Connected)
            [info] = server_log.wait_for(Connected)
            client.send_file(str(path))
            server.send_file(info.conn_id, str(path))
            server_log.wait(lambda _: len(server_log.received()) == len(content), "upload")
            log.wait(lambda _: len(log.received()) == len(content), "download")
            log.wait_for(FileSent)
            server_log.wait_for(FileSent)
    assert server_log.received() == content and log.received() == content
    assert client.bytes_out == client.bytes_in == len(content)


def test_bytes_held_inside_openssl_are_read_without_a_wake_up(
    monkeypatch: pytest.MonkeyPatch, self_signed: ServerCertificate
) -> None:
    # With 100-byte reads a 16 KiB TLS record leaves most of itself decrypted inside OpenSSL,
    # where no selector sees it; the peer then goes quiet, so only pending() can bring it out.
    monkeypatch.setattr(net._tcp_loop, "_RECV_SIZE", 100)
    payload = bytes(range(256)) * 200
    server, server_log = start(ssl_context=server_context(self_signed))
    with serving(server):
        client, log = connect(server.port, tls=ClientTls(verify=False))
        with session(client):
            log.wait_for(Connected)
            [info] = server_log.wait_for(Connected)
            server.send(info.conn_id, payload)
            log.wait_received(payload)
            client.send(payload)  # and the server's reads too
            server_log.wait_received(payload)
    assert max(len(e.data) for e in log.of(Received) if isinstance(e, Received)) == 100


@pytest.fixture
def tls_echo(self_signed: ServerCertificate) -> Iterator[TcpServer]:
    server, _ = start(reply_mode="echo", ssl_context=server_context(self_signed))
    with serving(server):
        yield server


def test_many_tls_clients_at_once(tls_echo: TcpServer) -> None:
    logs = []
    clients = []
    for index in range(10):
        client, log = connect(tls_echo.port, tls=ClientTls(verify=False))
        clients.append(client)
        logs.append((index, log))
    threads = [threading.Thread(target=c.run) for c in clients]
    for thread in threads:
        thread.start()
    try:
        for (index, log), client in zip(logs, clients, strict=True):
            log.wait_for(Connected)
            client.send(f"客户 {index}".encode())
        for index, log in logs:
            log.wait_received(f"客户 {index}".encode())
    finally:
        for client in clients:
            client.shutdown()
        for thread in threads:
            thread.join(WAIT)
        for client in clients:
            client.close()
    assert not any(thread.is_alive() for thread in threads)
    assert tls_echo.total_clients == 10


def test_a_client_that_says_goodbye_and_leaves_is_an_orderly_close(
    self_signed: ServerCertificate,
) -> None:
    # The client sends data and its close_notify in one go, then resets. The server's echo then
    # fails after the close_notify, which OpenSSL reports as "connection closed" (ZERO_RETURN):
    # an orderly end, not a failure. The race goes that way only now and then, hence 30 tries.
    server, server_log = start(reply_mode="echo", ssl_context=server_context(self_signed))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    tries = 30
    with serving(server):
        for _ in range(tries):
            incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
            tls = context.wrap_bio(incoming, outgoing)
            with socket.create_connection(("127.0.0.1", server.port), WAIT) as raw:
                while True:
                    try:
                        tls.do_handshake()
                        break
                    except ssl.SSLWantReadError:
                        raw.sendall(outgoing.read())
                        incoming.write(raw.recv(65536))
                tls.write(b"x")
                with contextlib.suppress(ssl.SSLWantReadError):  # it would wait for the server's
                    tls.unwrap()
                raw.sendall(outgoing.read())  # the handshake's end, "x" and close_notify
                raw.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        server_log.wait_for(Disconnected, tries)
    ends = {(e.reason, e.error) for e in server_log.of(Disconnected) if isinstance(e, Disconnected)}
    assert ends == {("closed by peer", False)}
