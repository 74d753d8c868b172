"""CRC-16/CCITT-FALSE (poly 0x1021, init 0xFFFF, no reflection, xorout 0; check 0x29B1).

``binascii.crc_hqx`` is exactly this polynomial, unreflected, with a caller-chosen init,
so the hot path runs in C. The firmware's table-free version is in hw/firmware/protocol.c.
"""

from __future__ import annotations

from binascii import crc_hqx

CRC_INIT = 0xFFFF
CRC_CHECK = 0x29B1  # crc16(b"123456789"), the catalogue check value


def crc16(data: bytes | bytearray | memoryview, init: int = CRC_INIT) -> int:
    return crc_hqx(data, init)
