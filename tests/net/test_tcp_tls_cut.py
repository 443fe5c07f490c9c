"""Inside TLS an end without close_notify is a cut, not the end (issue 12, item 3; RFC 8446
section 6.1): TcpClient, TcpServer and `swb tcp-send --tls` report it as such, while an orderly
TLS close stays an orderly close. The peers are small TLS servers and clients written here."""

from __future__ import annotations

import os
import socket
import ssl
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from net.events import Disconnected, Reconnecting
from net.tcp import CLOSED_BY_PEER
from net.tls import ClientTls, ServerCertificate, default_server_certificate, server_context
from tests.conftest import WAIT
from tests.net.test_cli_sockets import SWB
from tests.net.test_tcp import connect, serving, session, start

PAYLOAD = "部分数据 partial data".encode()
CUT_WORDS = "cut the connection without closing TLS (no close_notify)"


@pytest.fixture
def self_signed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> ServerCertificate:
    monkeypatch.setenv("SWB_DATA_DIR", str(tmp_path / "data"))
    return default_server_certificate()


def _end(tls: ssl.SSLSocket, *, orderly: bool) -> None:
    if orderly:
        tls.unwrap().close()  # close_notify, then FIN
    else:
        os.close(tls.detach())  # FIN without close_notify: a relay cutting the connection


@contextmanager
def tls_sender(
    certificate: ServerCertificate, *, orderly: bool, expect: bytes = b""
) -> Iterator[int]:
    """A TLS server that sends PAYLOAD to its one client, reads ``expect`` from it, and then ends
    as told; yields its port.

    What the client sends must be read before the end: closing a socket with unread data sends
    a reset, which drops PAYLOAD if Nagle's algorithm still holds it back (it waits for the ACK
    of the session ticket sent just before).
    """
    context = server_context(certificate)
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(WAIT)

    def serve() -> None:
        raw, _address = listener.accept()
        raw.settimeout(WAIT)
        with context.wrap_socket(raw, server_side=True) as tls:
            tls.sendall(PAYLOAD)
            got = b""
            while len(got) < len(expect) and (chunk := tls.recv(len(expect) - len(got))):
                got += chunk
            _end(tls, orderly=orderly)

    thread = threading.Thread(target=serve, name="tls sender")
    thread.start()
    try:
        yield listener.getsockname()[1]
    finally:
        thread.join(WAIT)
        listener.close()


@pytest.mark.parametrize(
    ("orderly", "reason", "error"),
    [(True, CLOSED_BY_PEER, False), (False, CUT_WORDS, True)],
    ids=["close_notify", "cut"],
)
def test_client_tells_a_cut_from_an_orderly_tls_end(
    self_signed: ServerCertificate, orderly: bool, reason: str, error: bool
) -> None:
    with tls_sender(self_signed, orderly=orderly) as port:
        client, log = connect(port, tls=ClientTls(fingerprint=self_signed.fingerprint))
        with session(client):
            [ended] = log.wait_for(Disconnected)
    assert log.received() == PAYLOAD
    assert isinstance(ended, Disconnected)
    assert reason in ended.reason and ended.error is error
    if not orderly:
        assert ended.reason == f"127.0.0.1:{port} {CUT_WORDS}: what it sent may be incomplete"


def test_a_reconnecting_client_retries_after_a_cut(self_signed: ServerCertificate) -> None:
    with tls_sender(self_signed, orderly=False) as port:
        client, log = connect(
            port,
            tls=ClientTls(fingerprint=self_signed.fingerprint),
            reconnect=True,
            reconnect_initial=0.05,
            reconnect_max=0.05,
        )
        with session(client):
            retry = log.wait_for(Reconnecting)[0]
    assert isinstance(retry, Reconnecting) and CUT_WORDS in retry.reason
    [ended] = log.of(Disconnected)
    assert isinstance(ended, Disconnected) and ended.error


@pytest.mark.parametrize(
    ("orderly", "reason", "error"),
    [(True, CLOSED_BY_PEER, False), (False, CUT_WORDS, True)],
    ids=["close_notify", "cut"],
)
def test_server_tells_a_cut_from_an_orderly_tls_end(
    self_signed: ServerCertificate, orderly: bool, reason: str, error: bool
) -> None:
    server, log = start(ssl_context=server_context(self_signed))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    with serving(server):
        raw = socket.create_connection(("127.0.0.1", server.port), WAIT)
        tls = context.wrap_socket(raw)
        tls.sendall(PAYLOAD)
        log.wait_received(PAYLOAD)
        _end(tls, orderly=orderly)
        [ended] = log.wait_for(Disconnected)
    assert isinstance(ended, Disconnected)
    assert reason in ended.reason and ended.error is error


def test_tcp_send_exits_1_on_a_cut(self_signed: ServerCertificate) -> None:
    fingerprint = self_signed.fingerprint
    with tls_sender(self_signed, orderly=False, expect=b"hi") as port:
        done = subprocess.run(
            [
                *SWB,
                "tcp-send",
                "127.0.0.1",
                str(port),
                "hi",
                *("--fingerprint", fingerprint, "--wait", "5"),
            ],
            capture_output=True,
            text=True,
            encoding="utf-8",
            timeout=WAIT,
            env={**os.environ, "SWB_DATA_DIR": str(Path(self_signed.cert_path).parent)},
        )
    assert done.returncode == 1, done.stderr
    assert done.stderr.splitlines()[-1] == (
        f"swb: 127.0.0.1:{port} {CUT_WORDS}: what it sent may be incomplete"
    )
    assert "部分数据 partial data" in done.stdout
