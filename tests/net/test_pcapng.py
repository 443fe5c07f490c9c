"""net.pcapng and --pcapng, checked by Wireshark itself: capinfos counts, tshark dissects,
reassembles TCP and verifies every checksum."""

from __future__ import annotations

import http.client
import socket
import subprocess
from pathlib import Path

import pytest

from net.errors import AddressError
from net.pcapng import MAX_SEGMENT, TrafficRecord, write_pcapng
from tests.conftest import WAIT
from tests.net.test_cli_sockets import listener, swb

REQUEST = b"GET /status?x=1 HTTP/1.1\r\nHost: device\r\nUser-Agent: t\r\n\r\n"
RESPONSE = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\nhello"


def tshark(path: Path, *args: str) -> str:
    result = subprocess.run(
        ["tshark", "-r", str(path), "-o", "tcp.check_checksum:TRUE",
         "-o", "udp.check_checksum:TRUE", "-o", "ip.check_checksum:TRUE", *args],
        capture_output=True, text=True, timeout=WAIT, check=True,
    )  # fmt: skip
    return result.stdout


def packet_count(path: Path) -> int:
    out = subprocess.run(
        ["capinfos", "-c", "-M", str(path)],
        capture_output=True,
        text=True,
        timeout=WAIT,
        check=True,
    ).stdout
    return int(out.rsplit(":", 1)[1])


def followed(path: Path, stream: int = 0) -> tuple[bytes, bytes]:
    """The bytes each side sent in TCP stream ``stream``, as tshark reassembles them
    (client first, as the "Node 0" of follow,tcp,raw)."""
    out = tshark(path, "-q", "-z", f"follow,tcp,raw,{stream}")
    body = out.split("Node 1:", 1)[1].split("\n", 1)[1]
    first, second = b"", b""
    for line in body.splitlines():
        if line.startswith("==="):
            break
        if line.startswith("\t"):
            second += bytes.fromhex(line.strip())
        elif line:
            first += bytes.fromhex(line)
    return first, second


def checksum_statuses(path: Path) -> set[str]:
    """Wireshark's verdicts (1 = good) of every IPv4, TCP and UDP checksum in the file."""
    fields = ("ip.checksum.status", "tcp.checksum.status", "udp.checksum.status")
    out = tshark(path, "-T", "fields", *(a for f in fields for a in ("-e", f)))
    return {value for line in out.splitlines() for value in line.split("\t") if value}


def http_exchange(local: str, peer: str) -> list[TrafficRecord]:
    return [
        TrafficRecord(1_700_000_000.0, "tcp", False, local, peer, REQUEST[:10], 1),
        TrafficRecord(1_700_000_000.1, "tcp", False, local, peer, REQUEST[10:], 1),
        TrafficRecord(1_700_000_000.2, "tcp", True, local, peer, RESPONSE, 1),
    ]


@pytest.mark.parametrize(
    ("local", "peer"),
    [("127.0.0.1:8080", "127.0.0.1:50001"), ("[::1]:8080", "[::1]:50001"),
     ("[::ffff:10.0.0.1]:8080", "10.0.0.9:50001")],
)  # fmt: skip
def test_an_http_exchange_is_dissected_and_reassembled(
    tmp_path: Path, local: str, peer: str
) -> None:
    path = tmp_path / "http.pcapng"
    packets = write_pcapng(path, http_exchange(local, peer))
    assert packets == 3 + 3  # the handshake, then each record
    assert packet_count(path) == packets
    assert not (tmp_path / "http.pcapng.part").exists()
    requests = tshark(path, "-Y", "http.request", "-T", "fields", "-e", "http.request.uri")
    assert requests.split() == ["/status?x=1"]
    codes = tshark(path, "-Y", "http.response", "-T", "fields", "-e", "http.response.code")
    assert codes.split() == ["200"]
    assert followed(path) == (REQUEST, RESPONSE)
    assert checksum_statuses(path) == {"1"}
    ports = tshark(
        path, "-Y", "http.request", "-T", "fields", "-e", "tcp.srcport", "-e", "tcp.dstport"
    )
    assert ports.split() == ["50001", "8080"]


def test_udp_datagrams_show_with_their_ports_and_bytes(tmp_path: Path) -> None:
    path = tmp_path / "udp.pcapng"
    records = [
        TrafficRecord(1.0, "udp", False, "0.0.0.0:9000", "192.168.1.7:5000", b"\x01\x02"),
        TrafficRecord(2.0, "udp", True, "0.0.0.0:9000", "192.168.1.7:5000", b"reply"),
        TrafficRecord(3.0, "udp", False, "[::]:9000", "[fe80::1]:6000", b"v6"),
    ]
    assert write_pcapng(path, records) == 3 == packet_count(path)
    out = tshark(path, "-T", "fields", "-e", "udp.srcport", "-e", "udp.dstport", "-e", "data.data")
    assert [line.split("\t") for line in out.splitlines()] == [
        ["5000", "9000", "0102"],
        ["9000", "5000", b"reply".hex()],
        ["6000", "9000", b"v6".hex()],
    ]
    assert checksum_statuses(path) == {"1"}


def test_large_records_are_split_into_segments_that_reassemble(tmp_path: Path) -> None:
    path = tmp_path / "big.pcapng"
    data = bytes(range(256)) * 1000  # 256,000 bytes: four segments
    record = TrafficRecord(5.0, "tcp", True, "127.0.0.1:7", "127.0.0.1:40000", data)
    packets = write_pcapng(path, [record])
    assert packets == 3 + -(-len(data) // MAX_SEGMENT) == packet_count(path)
    assert followed(path) == (b"", data)


def test_a_bad_address_is_an_address_error_and_leaves_no_file(tmp_path: Path) -> None:
    path = tmp_path / "bad.pcapng"
    with pytest.raises(AddressError):
        write_pcapng(path, [TrafficRecord(1.0, "udp", False, "nowhere", "1.2.3.4:5", b"")])
    assert list(tmp_path.iterdir()) == []


def test_tcp_serve_pcapng_of_an_http_client(tmp_path: Path) -> None:
    path = tmp_path / "serve.pcapng"
    reply = RESPONSE.decode().replace("\r\n", "\\r\\n")
    with listener(
        "tcp-serve", "0", "-H", "127.0.0.1", "--reply", reply, "--escapes", "--pcapng", str(path)
    ) as process:
        port = process.listening_port()
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=WAIT)
        connection.request("GET", "/status?x=1", headers={"User-Agent": "t"})
        response = connection.getresponse()
        assert (response.status, response.read()) == (200, b"hello")
        connection.close()
        process.wait_line("disconnected")
        code, _, stderr = process.finish()
    assert code == 0
    # The handshake, the request, the reply, the closing FIN, FIN, ACK.
    assert f"wrote 8 packets to {path} (pcapng)" in stderr
    assert packet_count(path) == 8
    request, answer = followed(path)
    assert request.startswith(b"GET /status?x=1 HTTP/1.1\r\n") and answer == RESPONSE
    assert tshark(path, "-Y", "http.request", "-T", "fields", "-e", "http.request.uri").split() == [
        "/status?x=1"
    ]
    assert checksum_statuses(path) == {"1"}
    assert not path.with_name(path.name + ".part").exists()


def test_udp_listen_pcapng(tmp_path: Path) -> None:
    path = tmp_path / "listen.pcapng"
    with listener(
        "udp-listen", "0", "-H", "127.0.0.1", "--count", "3", "--reply", "ok", "--pcapng", str(path)
    ) as process:
        port = process.listening_port()
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as client:
            client.settimeout(WAIT)
            client.bind(("127.0.0.1", 0))
            own = client.getsockname()[1]
            for n in range(3):
                client.sendto(b"dg%d" % n, ("127.0.0.1", port))
                assert client.recv(100) == b"ok"
        code, _, stderr = process.finish(sig=None)
    assert code == 0
    packets = packet_count(path)
    assert packets == 6 and f"wrote 6 packets to {path} (pcapng)" in stderr
    out = tshark(path, "-Y", f"udp.srcport == {own}", "-T", "fields", "-e", "udp.dstport",
                 "-e", "data.data")  # fmt: skip
    assert [line.split("\t") for line in out.splitlines()] == [
        [str(port), (b"dg%d" % n).hex()] for n in range(3)
    ]
    assert checksum_statuses(path) == {"1"}


def test_pcapng_in_a_missing_folder_fails_before_listening(tmp_path: Path) -> None:
    result = swb("udp-listen", "0", "--pcapng", str(tmp_path / "no" / "such.pcapng"))
    assert result.returncode != 0
    assert len(result.stderr.splitlines()) == 1 and "cannot write" in result.stderr


@pytest.mark.parametrize("local", ["127.0.0.1:9000", "[::1]:9000"])
@pytest.mark.parametrize("protocol", ["tcp", "udp"])
def test_a_payload_whose_sum_is_all_ones_gets_the_checksum_its_protocol_requires(
    tmp_path: Path, protocol: str, local: str
) -> None:
    """The one's-complement edge: a packet whose words sum to 0xFFFF has checksum 0, which UDP
    must send as 0xFFFF (RFC 768) and TCP as 0. The payload is made so by ending it with the
    checksum a first export computed over it with that word zero (same length, same headers)."""
    peer = local.replace("9000", "5000")
    field = f"{protocol}.checksum"

    def checksums(payload: bytes) -> list[str]:
        path = tmp_path / f"{protocol}.pcapng"
        write_pcapng(path, [TrafficRecord(1.0, protocol, True, local, peer, payload)])  # type: ignore[arg-type]
        assert checksum_statuses(path) == {"1"}
        return tshark(path, "-T", "fields", "-e", field).split()

    first = checksums(b"payload!\0\0")[-1]
    assert checksums(b"payload!" + int(first, 16).to_bytes(2, "big"))[-1] == (
        "0xffff" if protocol == "udp" else "0x0000"
    )


def test_many_packets_across_the_write_buffer_all_arrive_intact(tmp_path: Path) -> None:
    """More bytes than the writer gathers before a write (1 MiB): every packet is in the file,
    every checksum good, and the stream reassembles byte-exact, odd lengths included."""
    path = tmp_path / "many.pcapng"
    local, peer = "10.0.0.1:502", "10.0.0.7:40000"
    chunks = [bytes([n % 251]) * (100 + n % 7) for n in range(12_000)]  # about 1.2 MB
    records = [TrafficRecord(float(n), "tcp", False, local, peer, c) for n, c in enumerate(chunks)]
    packets = write_pcapng(path, records)
    assert packets == 3 + len(chunks) == packet_count(path)
    assert checksum_statuses(path) == {"1"}
    assert followed(path) == (b"".join(chunks), b"")


def test_a_port_out_of_range_is_an_address_error(tmp_path: Path) -> None:
    path = tmp_path / "port.pcapng"
    with pytest.raises(AddressError, match="70000"):
        write_pcapng(path, [TrafficRecord(1.0, "tcp", True, "127.0.0.1:70000", "1.2.3.4:5", b"x")])
    assert list(tmp_path.iterdir()) == []
