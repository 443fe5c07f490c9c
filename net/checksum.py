"""Checksums appended to payloads, named as in the CRC catalogue (reveng) and as device manuals do.

Pure functions over bytes. The CRCs the standard library computes (CRC-32 in ``zlib``, the
XMODEM/IBM-3740 polynomial in ``binascii.crc_hqx``) come from there; CRC-16/MODBUS and CRC-8/SMBUS,
which it lacks, use a 256-entry table built once from the catalogue's parameters.
Reference: Greg Cook, "Catalogue of parametrised CRC algorithms",
https://reveng.sourceforge.io/crc-catalogue/ (width, poly, init, refin/refout, xorout, check).
"""

from __future__ import annotations

import binascii
import zlib
from collections.abc import Callable
from typing import Literal

from net._i18n import _
from net._record import Record
from net.errors import PayloadError

__all__ = [
    "CHECKSUMS",
    "ByteOrder",
    "Checksum",
    "append_checksum",
    "checksum_names",
    "get_checksum",
    "verify_checksum",
]

ByteOrder = Literal["big", "little"]


def _table(poly: int, width: int, *, reflected: bool) -> tuple[int, ...]:
    """The byte-at-a-time table of a CRC (Ross Williams, "A painless guide to CRC error detection
    algorithms", chapter 9: the table-driven and the reflected table-driven algorithm)."""
    top = 1 << (width - 1)
    mask = (1 << width) - 1
    if reflected:
        poly = int(f"{poly:0{width}b}"[::-1], 2)
    table = []
    for byte in range(256):
        crc = byte if reflected else byte << (width - 8)
        for _bit in range(8):
            if reflected:
                crc = (crc >> 1) ^ poly if crc & 1 else crc >> 1
            else:
                crc = ((crc << 1) ^ poly if crc & top else crc << 1) & mask
        table.append(crc)
    return tuple(table)


_MODBUS_TABLE = _table(0x8005, 16, reflected=True)
_SMBUS_TABLE = _table(0x07, 8, reflected=False)


def _crc16_modbus(data: bytes) -> int:
    # CRC-16/MODBUS: width=16 poly=0x8005 init=0xffff refin=true refout=true xorout=0x0000
    crc = 0xFFFF
    table = _MODBUS_TABLE
    for byte in data:
        crc = (crc >> 8) ^ table[(crc ^ byte) & 0xFF]
    return crc


def _crc8_smbus(data: bytes) -> int:
    # CRC-8/SMBUS: width=8 poly=0x07 init=0x00 refin=false refout=false xorout=0x00
    crc = 0
    table = _SMBUS_TABLE
    for byte in data:
        crc = table[crc ^ byte]
    return crc


def _sum8(data: bytes) -> int:
    return sum(data) & 0xFF


def _xor8(data: bytes) -> int:
    result = 0
    for byte in data:
        result ^= byte
    return result


def _lrc(data: bytes) -> int:
    # Modbus ASCII LRC (Modbus over serial line V1.02, section 6.2.1): the two's complement of
    # the 8-bit sum.
    return -sum(data) & 0xFF


class Checksum(Record):
    """One checksum algorithm: its name, its catalogue name, its size and default byte order."""

    name: str
    catalogue_name: str
    size: int  # bytes
    byte_order: ByteOrder
    compute: Callable[[bytes], int]
    check: int  # the value for b"123456789", as the catalogue publishes it

    def digest(self, data: bytes, byte_order: ByteOrder | None = None) -> bytes:
        """The checksum of ``data`` as the ``size`` bytes to append, in ``byte_order`` (default:
        the algorithm's own)."""
        return self.compute(data).to_bytes(self.size, byte_order or self.byte_order)


CHECKSUMS: dict[str, Checksum] = {
    c.name: c
    for c in (
        # Modbus RTU sends its CRC low byte first (Modbus over serial line V1.02, section 2.5.1.2).
        Checksum("crc16-modbus", "CRC-16/MODBUS", 2, "little", _crc16_modbus, 0x4B37),
        Checksum(
            "crc16-ccitt-false",
            "CRC-16/IBM-3740",
            2,
            "big",
            lambda data: binascii.crc_hqx(data, 0xFFFF),
            0x29B1,
        ),
        Checksum(
            "crc16-xmodem",
            "CRC-16/XMODEM",
            2,
            "big",
            lambda data: binascii.crc_hqx(data, 0),
            0x31C3,
        ),
        Checksum("crc32", "CRC-32/ISO-HDLC", 4, "big", zlib.crc32, 0xCBF43926),
        Checksum("crc8", "CRC-8/SMBUS", 1, "big", _crc8_smbus, 0xF4),
        Checksum("sum8", "8-bit sum", 1, "big", _sum8, 0xDD),
        Checksum("xor8", "8-bit XOR (BCC)", 1, "big", _xor8, 0x31),
        Checksum("lrc", "LRC (Modbus ASCII)", 1, "big", _lrc, 0x23),
    )
}

#: Other spellings people type, mapped to our names (case and "_" vs "-" are ignored anyway).
_ALIASES = {
    "crc16/modbus": "crc16-modbus",
    "modbus": "crc16-modbus",
    "crc16-ibm-3740": "crc16-ccitt-false",
    "crc16/ibm-3740": "crc16-ccitt-false",
    "crc16/ccitt-false": "crc16-ccitt-false",
    "crc16/xmodem": "crc16-xmodem",
    "crc32/iso-hdlc": "crc32",
    "crc8/smbus": "crc8",
    "checksum8": "sum8",
    "bcc": "xor8",
}


def checksum_names() -> list[str]:
    """Our checksum names, in menu order."""
    return list(CHECKSUMS)


def get_checksum(name: str) -> Checksum:
    """The checksum called ``name`` ("crc16-modbus", "CRC-16/MODBUS", "crc32", ...).

    Raises:
        PayloadError: no checksum has that name (the sentence lists the known ones).
    """
    key = name.strip().lower().replace("_", "-").replace("crc-", "crc")
    key = _ALIASES.get(key, key)
    try:
        return CHECKSUMS[key]
    except KeyError:
        raise PayloadError(
            _("unknown checksum {name!r} (known: {known})").format(
                name=name, known=", ".join(CHECKSUMS)
            )
        ) from None


def append_checksum(data: bytes, name: str | None, byte_order: ByteOrder | None = None) -> bytes:
    """``data`` followed by its checksum ``name`` (``None`` or "" or "none": ``data`` unchanged).

    Args:
        byte_order: "big" or "little" to override the algorithm's own order.
    Raises:
        PayloadError: unknown checksum name or byte order.
    """
    if not name or name.strip().lower() == "none":
        return data
    if byte_order not in (None, "big", "little"):
        raise PayloadError(
            _("unknown byte order {byte_order!r} (big or little)").format(byte_order=byte_order)
        )
    return data + get_checksum(name).digest(data, byte_order)


def verify_checksum(data: bytes, name: str, byte_order: ByteOrder | None = None) -> bool:
    """Whether ``data`` ends with the checksum ``name`` of the bytes before it (what a receiver
    checks on a frame the sender built with :func:`append_checksum`); False when ``data`` is
    shorter than the checksum.

    Raises:
        PayloadError: unknown checksum name or byte order.
    """
    if byte_order not in (None, "big", "little"):
        raise PayloadError(
            _("unknown byte order {byte_order!r} (big or little)").format(byte_order=byte_order)
        )
    checksum = get_checksum(name)
    if len(data) < checksum.size:
        return False
    body, tail = data[: -checksum.size], data[-checksum.size :]
    return checksum.digest(body, byte_order) == tail
