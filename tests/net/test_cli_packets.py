"""`swb send`, `swb packets` and `--checksum`, run as real processes against real loopback peers."""

from __future__ import annotations

import contextlib
import json
import signal
import socket
import ssl
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import trustme

from net.checksum import append_checksum
from net.packets import Packet, load_library, save_library
from net.tls import load_server_certificate, server_context
from tests import simulate
from tests.conftest import WAIT
from tests.net.test_cli_sockets import listener
from tests.net.test_packets import export, packet_sender_item

SWB = [sys.executable, "-m", "net"]


def swb(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*SWB, *args], capture_output=True, text=True, encoding="utf-8", timeout=WAIT, env=env
    )


@pytest.fixture
def udp_peer() -> Iterator[socket.socket]:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    sock.settimeout(WAIT)
    yield sock
    sock.close()


def accept_and_read_to_end(server: socket.socket) -> bytes:
    """Everything the next client sends until it closes."""
    conn, _ = server.accept()
    with conn:
        conn.settimeout(WAIT)
        received = b""
        while chunk := conn.recv(65536):
            received += chunk
    return received


def port_of(sock: socket.socket) -> int:
    port: int = sock.getsockname()[1]
    return port


@dataclass
class AnsweringServer:
    port: int
    received: list[bytes] = field(default_factory=list)


@contextmanager
def answering_server(
    reply: bytes, context: ssl.SSLContext | None = None
) -> Iterator[AnsweringServer]:
    """A TCP server on 127.0.0.1 for one client: it reads one chunk, answers ``reply`` and closes
    (so the client's --wait ends at once; over TLS with close_notify, as an orderly end)."""
    with socket.create_server(("127.0.0.1", 0)) as server:
        server.settimeout(WAIT)
        state = AnsweringServer(port_of(server))

        def serve() -> None:
            conn, _ = server.accept()
            with conn, contextlib.suppress(OSError):  # OSError: a client refusing the certificate
                peer = context.wrap_socket(conn, server_side=True) if context else conn
                peer.settimeout(WAIT)
                state.received.append(peer.recv(1000))
                peer.sendall(reply)
                if isinstance(peer, ssl.SSLSocket):
                    peer.unwrap()  # an orderly TLS end: without close_notify it is a cut

        thread = threading.Thread(target=serve, daemon=True)
        thread.start()
        yield state
        thread.join(WAIT)


def test_udp_send_checksum_on_the_wire(udp_peer: socket.socket) -> None:
    result = swb(
        "udp-send",
        "127.0.0.1",
        str(port_of(udp_peer)),
        "--hex",
        "01 03 00 00 00 0A",
        "--checksum",
        "crc16-modbus",
    )
    assert result.returncode == 0, result.stderr
    assert udp_peer.recv(100) == bytes.fromhex("01 03 00 00 00 0A C5 CD")
    assert "8 bytes sent" in result.stderr


def test_checksum_byte_order_override(udp_peer: socket.socket) -> None:
    result = swb(
        "udp-send",
        "127.0.0.1",
        str(port_of(udp_peer)),
        "123456789",
        "--checksum",
        "crc32",
        "--checksum-order",
        "little",
    )
    assert result.returncode == 0, result.stderr
    assert udp_peer.recv(100) == b"123456789" + bytes.fromhex("26 39 F4 CB")


def test_tcp_send_checksum_on_the_wire() -> None:
    with socket.create_server(("127.0.0.1", 0)) as server:
        server.settimeout(WAIT)
        process = subprocess.Popen(
            [
                *SWB,
                "tcp-send",
                "127.0.0.1",
                str(port_of(server)),
                "123456789",
                "--checksum",
                "CRC-16/XMODEM",
            ],
            stderr=subprocess.PIPE,
            text=True,
        )
        received = accept_and_read_to_end(server)
        assert process.wait(WAIT) == 0
        assert process.stderr is not None
        process.stderr.close()
    assert received == b"123456789\x31\xc3"


def test_unknown_checksum_is_bad_input() -> None:
    result = swb("udp-send", "127.0.0.1", "9", "x", "--checksum", "crc64")
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1
    assert "unknown checksum 'crc64'" in result.stderr


def test_import_packet_sender_then_send_by_name(tmp_path: Path, udp_peer: socket.socket) -> None:
    export_file = tmp_path / "packetsender.json"
    payload = b"\x02Hello, \xe4\xb8\xad\r\n\x00\xff"
    export_file.write_bytes(
        export(
            packet_sender_item("Wake up", payload, port=str(port_of(udp_peer))),
            packet_sender_item("Other", b"x", "TCP"),
        )
    )
    library = tmp_path / "lib.json"
    result = swb("packets", "import", str(export_file), "--library", str(library))
    assert result.returncode == 0, result.stderr
    assert "imported 2 packets" in result.stderr and "(2 new, 0 replaced)" in result.stderr
    result = swb("send", "Wake up", "--library", str(library))
    assert result.returncode == 0, result.stderr
    assert udp_peer.recv(100) == payload


def test_default_library_is_in_the_data_folder(tmp_path: Path, udp_peer: socket.socket) -> None:
    env = {"SWB_DATA_DIR": str(tmp_path / "data"), "PATH": "/usr/bin:/bin"}
    export_file = tmp_path / "ps.json"
    export_file.write_bytes(export(packet_sender_item("p", b"PING", port=port_of(udp_peer))))
    assert swb("packets", "import", str(export_file), env=env).returncode == 0
    assert [p.name for p in load_library(tmp_path / "data" / "packets.json")] == ["p"]
    assert swb("send", "p", env=env).returncode == 0
    assert udp_peer.recv(100) == b"PING"


def test_udp_send_shows_replies(tmp_path: Path, udp_peer: socket.socket) -> None:
    library = tmp_path / "lib.json"
    save_library(library, [Packet("ask", "udp", "127.0.0.1", port_of(udp_peer), "who?")])

    def answer() -> None:
        data, sender = udp_peer.recvfrom(100)
        udp_peer.sendto(b"me, " + data, sender)

    helper = threading.Thread(target=answer)
    helper.start()
    result = swb("send", "ask", "--library", str(library), "--wait", "5", "--json")
    helper.join(WAIT)
    assert result.returncode == 0, result.stderr
    record = json.loads(result.stdout.splitlines()[0])
    assert record["text"] == "me, who?"
    assert record["peer"] == f"127.0.0.1:{port_of(udp_peer)}"


def test_counter_in_a_repeated_packet(tmp_path: Path, udp_peer: socket.socket) -> None:
    library = tmp_path / "lib.json"
    save_library(
        library,
        [
            Packet(
                "seq",
                "udp",
                "127.0.0.1",
                port_of(udp_peer),
                "n={{counter}};",
                repeat_count=3,
                repeat_interval_ms=0,
            )
        ],
    )
    result = swb("send", "seq", "--library", str(library))
    assert result.returncode == 0, result.stderr
    assert [udp_peer.recv(100) for _ in range(3)] == [b"n=1;", b"n=2;", b"n=3;"]
    assert "3 datagrams, 12 bytes sent" in result.stderr


def test_tcp_packet_shows_the_answer(tmp_path: Path) -> None:
    library = tmp_path / "lib.json"
    with answering_server(b"OK 42\r\n") as server:
        save_library(
            library,
            [
                Packet(
                    "status",
                    "tcp",
                    "127.0.0.1",
                    server.port,
                    "STATUS",
                    line_ending="crlf",
                    checksum="xor8",
                )
            ],
        )
        result = swb("send", "status", "--library", str(library), "--wait", str(WAIT))
    assert result.returncode == 0, result.stderr
    assert server.received == [b"STATUS\r\n\x13"]  # S^T^A^T^U^S^CR^LF = 0x13
    assert "OK 42" in result.stdout
    assert "status: 9 bytes sent" in result.stderr  # STATUS\r\n + one XOR byte


def test_tcp_counter_repeats_on_one_connection(tmp_path: Path) -> None:
    with socket.create_server(("127.0.0.1", 0)) as server:
        server.settimeout(WAIT)
        library = tmp_path / "lib.json"
        save_library(
            library,
            [
                Packet(
                    "seq",
                    "tcp",
                    "127.0.0.1",
                    port_of(server),
                    "{{counter:width=3}}\\n",
                    "escapes",
                    repeat_count=3,
                    repeat_interval_ms=10,
                )
            ],
        )
        process = subprocess.Popen(
            [*SWB, "send", "seq", "--library", str(library)], stderr=subprocess.DEVNULL
        )
        received = accept_and_read_to_end(server)
        assert process.wait(WAIT) == 0
    assert received == b"001\n002\n003\n"


def test_tls_packet_verifies_and_shows_the_answer(tmp_path: Path) -> None:
    ca = trustme.CA()
    leaf = ca.issue_cert("127.0.0.1")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    leaf.private_key_and_cert_chain_pem.write_to_path(str(cert))
    leaf.private_key_pem.write_to_path(str(key))
    ca.cert_pem.write_to_path(str(tmp_path / "ca.pem"))
    context = server_context(load_server_certificate(str(cert), str(key)))
    library = tmp_path / "lib.json"
    with answering_server(b"never sent", context) as server:
        save_library(library, [Packet("tls", "tls", "127.0.0.1", server.port, "hi")])
        untrusted = swb("send", "tls", "--library", str(library), "--wait", str(WAIT))
    with answering_server(b"secret hello", context) as server:
        save_library(library, [Packet("tls", "tls", "127.0.0.1", server.port, "hi")])
        trusted = swb(
            "send",
            "tls",
            "--library",
            str(library),
            "--wait",
            str(WAIT),
            "--cafile",
            str(tmp_path / "ca.pem"),
        )
    assert server.received == [b"hi"]
    assert untrusted.returncode == 1
    assert "certificate" in untrusted.stderr
    assert trusted.returncode == 0, trusted.stderr
    assert "secret hello" in trusted.stdout


def test_a_broken_import_changes_nothing(tmp_path: Path) -> None:
    library = tmp_path / "lib.json"
    save_library(library, [Packet("keep", port=7)])
    before = library.read_bytes()
    broken = tmp_path / "broken.json"
    broken.write_bytes(
        export(packet_sender_item("ok", b"1"), packet_sender_item("web", b"", "HTTP"))
    )
    result = swb("packets", "import", str(broken), "--library", str(library))
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1
    assert "packet 'web' uses HTTP, which is not supported" in result.stderr
    assert library.read_bytes() == before
    truncated = tmp_path / "truncated.json"
    truncated.write_bytes(export(packet_sender_item("ok", b"1"))[:-20])
    assert swb("packets", "import", str(truncated), "--library", str(library)).returncode == 2
    assert library.read_bytes() == before


@pytest.mark.parametrize(
    ("library_text", "name", "message"),
    [
        (None, "nope", "no packet named 'nope' (the library has 'a')"),
        ("{broken", "a", "is not valid JSON"),
        (
            '{"format": "socket-workbench-packets", "version": 1, "packets": [{"name": "a", "x": 1}]}',
            "a",
            "unsupported field 'x'",
        ),
    ],
)
def test_bad_libraries_and_names_exit_2(
    tmp_path: Path, library_text: str | None, name: str, message: str
) -> None:
    library = tmp_path / "lib.json"
    if library_text is None:
        save_library(library, [Packet("a", port=9)])
    else:
        library.write_text(library_text)
    result = swb("send", name, "--library", str(library))
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_list_and_export(tmp_path: Path) -> None:
    library = tmp_path / "lib.json"
    packets = [
        Packet(
            "read", "udp", "10.0.0.2", 502, "01 03", "hex", checksum="crc16-modbus", folder="modbus"
        ),
        Packet("hello", "tcp", "::1", 7, "hi", repeat_count=0, repeat_interval_ms=500),
    ]
    save_library(library, packets)
    listed = swb("packets", "list", "--library", str(library))
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout.splitlines() == [
        "modbus/read  UDP 10.0.0.2:502  [hex] 01 03 +crc16-modbus",
        "hello  TCP [::1]:7  [text] hi repeat until stopped every 500 ms",
    ]
    as_json = swb("packets", "list", "--library", str(library), "--json")
    assert [json.loads(line)["name"] for line in as_json.stdout.splitlines()] == ["read", "hello"]
    shared = tmp_path / "shared.json"
    assert swb("packets", "export", str(shared), "--library", str(library)).returncode == 0
    assert load_library(shared) == packets


def test_udp_listen_marks_datagrams_whose_checksum_fails() -> None:
    with listener("udp-listen", "0", "-H", "127.0.0.1", "--count", "2", "--checksum", "crc16-modbus") as text, \
         listener("udp-listen", "0", "-H", "127.0.0.1", "--count", "2", "--json", "--checksum", "crc16-modbus") as json_lines:  # fmt: skip
        ports = [text.listening_port(), json_lines.listening_port()]
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            for port in ports:
                sock.sendto(bytes.fromhex("01 03 00 00 00 0A C5 CD"), ("127.0.0.1", port))
                sock.sendto(bytes.fromhex("01 03 00 00 00 0A C5 CE"), ("127.0.0.1", port))
        code, out, err = text.finish(None)
        assert code == 0
        lines = out.splitlines()
        assert "[bad checksum]" not in lines[0] and "[bad checksum] " in lines[1]
        assert err[-1] == "2 datagrams, 16 bytes, 1 failed the crc16-modbus check"
        code, out, _ = json_lines.finish(None)
        assert [json.loads(line)["checksum_ok"] for line in out.splitlines()] == [True, False]


def test_udp_listen_rules_and_reply_see_datagrams_without_their_checksum() -> None:
    """Rules match the payload (CRC stripped); a datagram that fails the
    check gets no answer from a rule or from --reply."""
    crc = ["--checksum", "crc16-modbus"]
    rules = ["--rule", "exact:ping => pong", "--rule", r"regex:^v(.*)$ => [{{1}}]"]
    with listener("udp-listen", "0", "-H", "127.0.0.1", "--count", "3", *crc, *rules) as by_rule, \
         listener("udp-listen", "0", "-H", "127.0.0.1", "--count", "2", *crc, "--reply", "ok") as fixed:  # fmt: skip
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            sock.settimeout(WAIT)
            port = by_rule.listening_port()
            for datagram in (b"ping", append_checksum(b"ping", "crc16-modbus"), append_checksum(b"v7", "crc16-modbus")):  # fmt: skip
                sock.sendto(datagram, ("127.0.0.1", port))
            assert [sock.recv(100), sock.recv(100)] == [b"pong", b"[7]"]
            port = fixed.listening_port()
            sock.sendto(b"ping", ("127.0.0.1", port))
            sock.sendto(append_checksum(b"ping", "crc16-modbus"), ("127.0.0.1", port))
            assert sock.recv(100) == b"ok"
        code, _out, err = by_rule.finish(None)
        assert code == 0
        assert err[-1] == "3 datagrams, 14 bytes, 2 replies sent, 1 failed the crc16-modbus check"
        code, _out, err = fixed.finish(None)
        assert code == 0
        assert err[-1] == "2 datagrams, 10 bytes, 1 reply sent, 1 failed the crc16-modbus check"


@pytest.mark.parametrize("fallback", [["--echo"], ["--reply", "ok"]])
def test_tcp_serve_rules_see_frames_without_their_checksum(fallback: list[str]) -> None:
    """--framing len2be --checksum: rules match the frame's payload without its CRC; frames that
    fail the check get no reply, neither by rule nor by the --echo / --reply fallback."""
    args = ["--framing", "len2be", "--checksum", "crc16-modbus", "--rule", "exact:ping => pong"]
    other = append_checksum(b"hi", "crc16-modbus")
    with listener("tcp-serve", "0", "-H", "127.0.0.1", *args, *fallback) as proc:
        with socket.create_connection(("127.0.0.1", proc.listening_port()), timeout=WAIT) as c:
            for payload in (b"ping", append_checksum(b"ping", "crc16-modbus"), b"hi", other):
                c.sendall(len(payload).to_bytes(2, "big") + payload)
            c.shutdown(socket.SHUT_WR)
            received = b""
            while chunk := c.recv(65536):  # the server closes after the client's end
                received += chunk
        code, _out, err = proc.finish()
    assert code == 0
    echoed = len(other).to_bytes(2, "big") + other if fallback == ["--echo"] else b"ok"
    assert received == b"pong" + echoed
    assert err[-1].endswith(", 2 failed the crc16-modbus check")


GOOD_FRAME = bytes.fromhex("01 03 00 00 00 0A C5 CD")  # Modbus RTU, CRC low byte first
BAD_FRAME = bytes.fromhex("01 03 00 00 00 0A C5 CE")


@pytest.mark.parametrize(
    ("options", "marks"),
    [
        (["--json"], None),  # a length-prefixed frame's payload (no header) carries the CRC
        ([], ["", "[bad checksum] ", ""]),
        (["--quiet"], []),  # no rows, but the summary still counts
    ],
)
def test_tcp_serve_marks_frames_whose_checksum_fails(
    options: list[str], marks: list[str] | None
) -> None:
    args = ["--framing", "len1", "--checksum", "crc16-modbus", *options]
    with listener("tcp-serve", "0", "-H", "127.0.0.1", *args) as proc:
        with socket.create_connection(("127.0.0.1", proc.listening_port()), timeout=WAIT) as c:
            # Split across writes as TCP may split it: frames, not reads, are checked.
            c.sendall(b"\x08" + GOOD_FRAME[:3])
            c.sendall(GOOD_FRAME[3:] + b"\x08" + BAD_FRAME + b"\x08")
            c.sendall(GOOD_FRAME)
            c.shutdown(socket.SHUT_WR)
            assert c.recv(1) == b""  # the server read it all and closed its end
        code, out, err = proc.finish()
    assert code == 0
    assert err[-1] == "1 client, 27 bytes received, 1 failed the crc16-modbus check"
    if marks is None:
        rows = [json.loads(line) for line in out.splitlines()]
        received = [row for row in rows if row["event"] == "received"]
        assert [row["checksum_ok"] for row in received] == [True, False, True]
    else:
        rows = [line.split("  ", 1)[1] for line in out.splitlines()]
        assert [row[: len(mark)] for row, mark in zip(rows, marks, strict=True)] == marks


@pytest.mark.parametrize("platform", ["win32", "darwin"])
def test_import_and_send_as_on_windows_and_macos(
    tmp_path: Path, udp_peer: socket.socket, platform: str
) -> None:
    export_file = tmp_path / "ps.json"
    export_file.write_bytes(export(packet_sender_item("p", b"\x01\x02", port=port_of(udp_peer))))
    library = str(tmp_path / "lib.json")
    for args in (
        ["packets", "import", str(export_file), "--library", library],
        ["send", "p", "--library", library, "--checksum", "crc16-modbus"],
    ):
        result = subprocess.run(
            simulate.swb_command(platform, *args),
            env=simulate.env(),
            capture_output=True,
            text=True,
            timeout=WAIT,
        )
        assert result.returncode == 0, result.stderr
    assert udp_peer.recv(100) == b"\x01\x02" + (0xE181).to_bytes(2, "little")


def test_send_checksum_options_override_the_packet(tmp_path: Path, udp_peer: socket.socket) -> None:
    library = tmp_path / "lib.json"
    frame = "01 03 00 00 00 0A"
    save_library(
        library,
        [Packet("m", "udp", "127.0.0.1", port_of(udp_peer), frame, "hex", checksum="crc16-modbus")],
    )
    for options, suffix in (
        ([], "C5 CD"),
        (["--checksum-order", "big"], "CD C5"),
        (["--checksum", "none"], ""),
        (["--checksum", "CRC-16/XMODEM"], "0A 38"),  # binascii.crc_hqx(frame, 0)
    ):
        result = swb("send", "m", "--library", str(library), *options)
        assert result.returncode == 0, result.stderr
        assert udp_peer.recv(100) == bytes.fromhex(f"{frame} {suffix}")


def test_import_of_an_export_saved_with_a_byte_order_mark(
    tmp_path: Path, udp_peer: socket.socket
) -> None:
    """An export re-saved by Notepad starts with a UTF-8 BOM; it is still an export to import,
    not "a Packet Sender export, not a library: import it instead" (said to a user who did)."""
    export_file = tmp_path / "packetsender.json"
    item = packet_sender_item("Wake up", b"\x01\x03", port=str(port_of(udp_peer)))
    export_file.write_bytes(b"\xef\xbb\xbf" + export(item))
    library = tmp_path / "lib.json"
    result = swb("packets", "import", str(export_file), "--library", str(library))
    assert result.returncode == 0, result.stderr
    result = swb("send", "Wake up", "--library", str(library))
    assert result.returncode == 0, result.stderr
    assert udp_peer.recv(100) == b"\x01\x03"


@pytest.mark.posix_only  # a umask / a SIGINT sent to a child
def test_a_packet_that_repeats_until_stopped_says_so(
    tmp_path: Path, udp_peer: socket.socket
) -> None:
    """A Packet Sender packet with "repeat" resends until stopped: `swb send` says so at once
    (a script would otherwise hang with nothing on the screen) and stops on Ctrl-C."""
    export_file = tmp_path / "packetsender.json"
    item = packet_sender_item("Beacon", b"hi", port=str(port_of(udp_peer)), repeat="0.2")
    export_file.write_bytes(export(item))
    library = tmp_path / "lib.json"
    assert swb("packets", "import", str(export_file), "--library", str(library)).returncode == 0
    with subprocess.Popen(
        [*SWB, "send", "Beacon", "--library", str(library)],
        stderr=subprocess.PIPE,
        text=True,
        encoding="utf-8",
    ) as proc:
        assert proc.stderr is not None
        assert proc.stderr.readline() == "Beacon: sending every 200 ms until stopped (Ctrl-C)\n"
        assert udp_peer.recv(100) == b"hi"
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=WAIT)
    assert proc.returncode == 0
    assert "datagram" in err and " sent to 127.0.0.1:" in err
