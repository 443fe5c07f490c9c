"""net.checksum against the CRC catalogue's check values (reveng) and a real Modbus RTU frame."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from net.checksum import CHECKSUMS, ByteOrder, append_checksum, get_checksum, verify_checksum
from net.errors import PayloadError

CHECK_INPUT = b"123456789"

# (our name, catalogue check value for b"123456789"): https://reveng.sourceforge.io/crc-catalogue/
CATALOGUE_CASES = [
    ("crc16-modbus", 0x4B37),
    ("crc16-ccitt-false", 0x29B1),
    ("crc16-xmodem", 0x31C3),
    ("crc32", 0xCBF43926),
    ("crc8", 0xF4),
    ("sum8", 0xDD),
    ("xor8", 0x31),
    ("lrc", 0x23),
]


@pytest.mark.parametrize(("name", "check"), CATALOGUE_CASES)
def test_check_value(name: str, check: int) -> None:
    checksum = get_checksum(name)
    assert checksum.compute(CHECK_INPUT) == check
    assert checksum.check == check


def test_every_checksum_is_tested() -> None:
    assert {name for name, _ in CATALOGUE_CASES} == set(CHECKSUMS)


def test_modbus_rtu_frame_low_byte_first() -> None:
    frame = bytes.fromhex("01 03 00 00 00 0A")
    assert append_checksum(frame, "crc16-modbus") == bytes.fromhex("01 03 00 00 00 0A C5 CD")
    assert append_checksum(frame, "crc16-modbus", "big") == bytes.fromhex("01 03 00 00 00 0A CD C5")


@pytest.mark.parametrize(
    ("name", "order", "suffix"),
    [
        ("crc32", None, "CB F4 39 26"),
        ("crc32", "little", "26 39 F4 CB"),
        ("crc16-xmodem", None, "31 C3"),
        ("crc16-ccitt-false", "little", "B1 29"),
        ("crc8", None, "F4"),
    ],
)
def test_byte_order(name: str, order: ByteOrder | None, suffix: str) -> None:
    assert append_checksum(CHECK_INPUT, name, order) == CHECK_INPUT + bytes.fromhex(suffix)


@pytest.mark.parametrize("spelling", ["CRC-16/MODBUS", "crc16_modbus", " Modbus ", "CRC16-MODBUS"])
def test_catalogue_spellings(spelling: str) -> None:
    assert get_checksum(spelling).name == "crc16-modbus"


@pytest.mark.parametrize("name", [None, "", "none", "None"])
def test_no_checksum(name: str | None) -> None:
    assert append_checksum(b"abc", name) == b"abc"


def test_unknown_names_say_what_exists() -> None:
    with pytest.raises(PayloadError, match=r"unknown checksum 'crc99'.*crc16-modbus"):
        get_checksum("crc99")
    with pytest.raises(PayloadError, match="byte order"):
        append_checksum(b"a", "crc32", "middle")  # type: ignore[arg-type]


@given(st.binary(max_size=300))
def test_the_receiver_side_check(data: bytes) -> None:
    # A reflected CRC with no final XOR leaves 0 when run over the data and its appended CRC
    # (the residue test receivers use); the LRC byte makes the 8-bit sum of the frame 0.
    assert get_checksum("crc16-modbus").compute(append_checksum(data, "crc16-modbus")) == 0
    assert get_checksum("crc16-xmodem").compute(append_checksum(data, "crc16-xmodem")) == 0
    assert get_checksum("crc8").compute(append_checksum(data, "crc8")) == 0
    assert get_checksum("xor8").compute(append_checksum(data, "xor8")) == 0
    assert get_checksum("sum8").compute(append_checksum(data, "lrc")) == 0


@pytest.mark.parametrize(
    ("frame", "name", "order", "ok"),
    [
        ("01 03 00 00 00 0A C5 CD", "crc16-modbus", None, True),
        ("01 03 00 00 00 0A CD C5", "crc16-modbus", None, False),
        ("01 03 00 00 00 0A CD C5", "crc16-modbus", "big", True),
        ("31 32 33 34 35 36 37 38 39 CB F4 39 26", "crc32", None, True),
        ("31 32 33 34 35 36 37 38 39 CB F4 39 27", "crc32", None, False),
        ("C5", "crc16-modbus", None, False),  # shorter than the checksum
        ("00", "sum8", None, True),  # empty body, sum 0
    ],
)
def test_verify_checksum(frame: str, name: str, order: ByteOrder | None, ok: bool) -> None:
    assert verify_checksum(bytes.fromhex(frame), name, order) is ok
