"""Consistent Overhead Byte Stuffing (Cheshire & Baker 1999): 0x00 never appears inside.

Overhead is one byte per 254 bytes of data (plus one), so a 245-byte frame body never
grows past 247 bytes. The delimiter (0x00) is added by the framer, not here.
"""

from __future__ import annotations

from protocol.errors import ProtocolError


class CobsError(ProtocolError, ValueError):
    """The bytes are not a valid COBS encoding (a zero inside, or a code past the end)."""


def cobs_encode(data: bytes | bytearray) -> bytes:
    out = bytearray()
    start = 0
    n = len(data)
    while True:
        zero = data.find(0, start, start + 254)
        if zero < 0:
            block = data[start : start + 254]
            if len(block) == 254:
                out.append(255)
                out += block
                start += 254
                if start == n:
                    return bytes(out)  # a full block at the end needs no final code
                continue
            out.append(len(block) + 1)
            out += block
            return bytes(out)
        out.append(zero - start + 1)
        out += data[start:zero]
        start = zero + 1


def cobs_decode(data: bytes | bytearray | memoryview) -> bytes:
    """Decode one frame's bytes, already split on the 0x00 delimiter (so none are inside)."""
    out = bytearray()
    i = 0
    n = len(data)
    while i < n:
        code = data[i]
        if code == 0:
            raise CobsError(f"zero byte at offset {i}")
        j = i + code
        if j > n:
            raise CobsError(f"code {code} at offset {i} runs past the end ({n} bytes)")
        out += data[i + 1 : j]
        if code != 255 and j < n:
            out.append(0)
        i = j
    return bytes(out)
