"""net.packets: library files (ours, versioned), Packet Sender's export, atomic saves."""

from __future__ import annotations

import base64
import json
import os
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from net.packets import (
    FORMAT,
    SCHEMA_VERSION,
    LibraryError,
    Packet,
    default_library_path,
    dump_library,
    find_packet,
    load_library,
    merge_packets,
    parse_library,
    parse_packet_sender,
    read_packets_file,
    save_library,
)


def packet_sender_item(
    name: str, payload: bytes, kind: str = "UDP", **extra: object
) -> dict[str, object]:
    """One packet as Packet Sender's ExportJSON writes it (numbers as strings, asciistring Base64)."""
    item: dict[str, object] = {
        "name": name,
        "hexstring": " ".join(f"{b:02X}" for b in payload),
        "fromip": "",
        "toip": "127.0.0.1",
        "errorstring": "",
        "port": "5000",
        "fromport": "0",
        "tcporudp": kind,
        "sendresponse": "0",
        "requestpath": "",
        "repeat": 0,
        "asciistring": base64.b64encode(b"ignored when hexstring is there").decode(),
    }
    item.update(extra)
    return item


def export(*items: dict[str, object]) -> bytes:
    return json.dumps(list(items), indent=4).encode()


def test_packet_bytes_apply_variables_then_checksum() -> None:
    modbus = Packet("read", payload="01 03 00 00 00 0A", mode="hex", checksum="crc16-modbus")
    assert modbus.to_bytes() == bytes.fromhex("01 03 00 00 00 0A C5 CD")
    swapped = Packet(
        "r", payload="01 03 00 00 00 0A", mode="hex", checksum="crc16-modbus", checksum_order="big"
    )
    assert swapped.to_bytes().endswith(b"\xcd\xc5")
    counted = Packet("n", payload="n={{counter}}", line_ending="crlf", checksum="sum8")
    assert [counted.to_bytes(i)[:-1] for i in range(3)] == [b"n=1\r\n", b"n=2\r\n", b"n=3\r\n"]
    assert counted.to_bytes(0)[-1] == sum(b"n=1\r\n") & 0xFF


def test_library_round_trip(tmp_path: Path) -> None:
    packets = [
        Packet("hello", "udp", "::1", 9, "hi\\r\\n", "escapes", folder="greetings"),
        Packet(
            "中文",
            "tcp",
            "example.org",
            80,
            "温度",
            "text",
            "GBK",
            "crlf",
            "crc32",
            "little",
            0,
            250.0,
        ),
        Packet("modbus", "tls", "10.0.0.5", 502, "01 03", "hex", repeat_count=3),
    ]
    path = tmp_path / "lib.json"
    save_library(path, packets)
    assert load_library(path) == packets
    document = json.loads(path.read_text("utf-8"))
    assert document["format"] == FORMAT and document["version"] == SCHEMA_VERSION
    assert "中文" in path.read_text("utf-8")  # readable, not \u-escaped
    if os.name == "posix":
        assert path.stat().st_mode & 0o777 == 0o600


def test_missing_library_is_empty_and_default_path_is_in_the_data_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SWB_DATA_DIR", str(tmp_path / "data"))
    assert default_library_path() == tmp_path / "data" / "packets.json"
    assert load_library(default_library_path()) == []


BROKEN_LIBRARIES = [
    (b"{not json", "is not valid JSON (line 1, column 2)"),
    (b"\xff\xfe", "is not UTF-8"),
    (b'{"format": "other"}', "is not a Socket Workbench packet library"),
    (
        json.dumps({"format": FORMAT, "version": 99, "packets": []}).encode(),
        "newer Socket Workbench",
    ),
    (json.dumps({"format": FORMAT, "version": 1}).encode(), "no list of packets"),
    (
        json.dumps(
            {"format": FORMAT, "version": 1, "packets": [{"name": "a", "colour": "red"}]}
        ).encode(),
        "packet 'a' has the unsupported field 'colour'",
    ),
    (
        json.dumps(
            {"format": FORMAT, "version": 1, "packets": [{"name": "a", "port": "80"}]}
        ).encode(),
        "field 'port' has a value of the wrong type",
    ),
    (
        json.dumps(
            {"format": FORMAT, "version": 1, "packets": [{"name": "a", "protocol": "sctp"}]}
        ).encode(),
        "protocol 'sctp' is not udp, tcp or tls",
    ),
    (
        json.dumps(
            {"format": FORMAT, "version": 1, "packets": [{"name": "a", "checksum": "md5"}]}
        ).encode(),
        "unknown checksum 'md5'",
    ),
    (
        json.dumps(
            {"format": FORMAT, "version": 1, "packets": [{"name": "a", "payload": "{{nope}}"}]}
        ).encode(),
        "unknown variable {{nope}}",
    ),
    (
        json.dumps(
            {"format": FORMAT, "version": 1, "packets": [{"name": "a"}, {"name": "a"}]}
        ).encode(),
        "two packets named 'a'",
    ),
    (
        json.dumps({"format": FORMAT, "version": 1, "packets": [{"port": 5}]}).encode(),
        "has no name",
    ),
    (b"[]", "is a Packet Sender export"),
]


@pytest.mark.parametrize(("data", "message"), BROKEN_LIBRARIES)
def test_broken_libraries_are_refused_in_one_sentence(data: bytes, message: str) -> None:
    with pytest.raises(LibraryError) as info:
        parse_library(data, "lib.json")
    assert message in str(info.value)
    assert str(info.value).startswith("lib.json")
    assert "\n" not in str(info.value)


def test_packet_sender_export() -> None:
    packets = parse_packet_sender(
        export(
            packet_sender_item("hello", b"Hello\r\n"),
            packet_sender_item(
                "bin", b"\x01\x03\x00\xff", "TCP", toip="10.1.2.3", port=502, fromport="4000"
            ),
            packet_sender_item("secure", b"GET / HTTP/1.0\r\n\r\n", "SSL", repeat="2.5"),
            packet_sender_item("bound", b"x", "UDP", fromport=5001),
            packet_sender_item("braces", b"{{counter}}"),
        )
    )
    by_name = {p.name: p for p in packets}
    assert [p.name for p in packets] == ["hello", "bin", "secure", "bound", "braces"]
    assert by_name["hello"].protocol == "udp" and by_name["hello"].port == 5000
    assert by_name["hello"].mode == "escapes" and by_name["hello"].payload == "Hello\\r\\n"
    assert by_name["bin"].mode == "hex" and by_name["bin"].host == "10.1.2.3"
    assert by_name["bin"].local_port == 0  # Packet Sender's fromport of a TCP packet is the peer's
    assert by_name["secure"].protocol == "tls"
    assert (by_name["secure"].repeat_count, by_name["secure"].repeat_interval_ms) == (0, 2500.0)
    assert by_name["bound"].local_port == 5001
    # The exact bytes Packet Sender would send, whatever form the payload took here:
    expected = [b"Hello\r\n", b"\x01\x03\x00\xff", b"GET / HTTP/1.0\r\n\r\n", b"x", b"{{counter}}"]
    assert [p.to_bytes() for p in packets] == expected


def test_packet_sender_asciistring_when_there_is_no_hexstring() -> None:
    item = packet_sender_item("a", b"")
    del item["hexstring"]
    item["asciistring"] = base64.b64encode(b"AT\\r\\n\\00\\\\").decode()
    assert parse_packet_sender(export(item))[0].to_bytes() == b"AT\r\n\x00\\"


@pytest.mark.parametrize(
    ("item", "message"),
    [
        (
            packet_sender_item("web", b"", "HTTP GET"),
            "packet 'web' uses HTTP GET, which is not supported",
        ),
        (packet_sender_item("bad", b"", hexstring="zz"), "packet 'bad': hexstring:"),
        (packet_sender_item("p", b"", port="http"), "port 'http' is not a number"),
        (packet_sender_item("p", b"", port="70000"), "ports go from 1 to 65535"),
        (packet_sender_item("", b"x"), "a name must be"),
        ([1], "item 1 is not a packet object"),
    ],
)
def test_packet_sender_problems(item: object, message: str) -> None:
    with pytest.raises(LibraryError) as info:
        parse_packet_sender(json.dumps([item]).encode(), "ps.json")
    assert message in str(info.value)


@given(st.binary(max_size=64))
def test_packet_sender_payloads_keep_their_bytes(payload: bytes) -> None:
    assert parse_packet_sender(export(packet_sender_item("p", payload)))[0].to_bytes() == payload


def test_read_packets_file_tells_the_formats_apart(tmp_path: Path) -> None:
    ours = tmp_path / "ours.json"
    ours.write_bytes(dump_library([Packet("a", port=1)]))
    theirs = tmp_path / "theirs.json"
    theirs.write_bytes(export(packet_sender_item("b", b"B")))
    assert [p.name for p in read_packets_file(ours)] == ["a"]
    assert [p.name for p in read_packets_file(theirs)] == ["b"]
    with pytest.raises(LibraryError, match="does not exist"):
        read_packets_file(tmp_path / "missing.json")
    with pytest.raises(LibraryError, match="is a folder"):
        read_packets_file(tmp_path)


def test_merge_replaces_by_name_in_place() -> None:
    old = [Packet("a", port=1), Packet("b", port=2)]
    merged, added, replaced = merge_packets(old, [Packet("b", port=20), Packet("c", port=3)])
    assert [(p.name, p.port) for p in merged] == [("a", 1), ("b", 20), ("c", 3)]
    assert (added, replaced) == (1, 1)


def test_find_packet() -> None:
    packets = [Packet("Read Coils"), Packet("ping")]
    assert find_packet(packets, "ping").name == "ping"
    assert find_packet(packets, "read coils").name == "Read Coils"
    with pytest.raises(
        LibraryError, match=r"no packet named 'pong' \(the library has 'Read Coils', 'ping'\)"
    ):
        find_packet(packets, "pong")
    with pytest.raises(LibraryError, match="the library is empty"):
        find_packet([], "x")


def test_a_failed_save_keeps_the_old_library(tmp_path: Path) -> None:
    path = tmp_path / "lib.json"
    save_library(path, [Packet("a", port=1)])
    before = path.read_bytes()
    with pytest.raises(LibraryError, match="two packets named"):
        save_library(path, [Packet("b"), Packet("b")])
    with pytest.raises(LibraryError, match="local port can only be chosen for UDP"):
        save_library(path, [Packet("t", "tcp", local_port=5)])
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["lib.json"]  # no temporary file left behind
    with pytest.raises(LibraryError, match="cannot save"):
        save_library(tmp_path / "no-such-folder" / "lib.json", [Packet("a")])


def test_check_names_the_first_wrong_field_even_when_a_later_one_has_the_wrong_type() -> None:
    """The checks run in order and stop at the first: a later one may assume earlier fields."""
    packet = Packet(name="", protocol="udp", host="h", port=None)  # type: ignore[arg-type]
    with pytest.raises(LibraryError, match="a name must be"):
        packet.check()
