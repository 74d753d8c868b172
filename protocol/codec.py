"""Framing: ``0x00 COBS(type u8 | seq u16 LE | len u8 | payload | CRC-16 BE) 0x00``, decoder.

The decoder owns no port (pyserial's ``serial.threaded`` split): feed it whatever bytes
arrived, get back the valid frames. A 0x00 byte always ends a frame, so after garbage or
a lost byte the decoder is back in step at the next delimiter — within one frame. The
sender opens every frame with a delimiter as well, so garbage before a frame never
joins it (one byte per frame, bought for exactly that).
Sequence rules (same in hw/firmware/protocol.c, checked by hw/protocol/vectors.json):
the sender numbers every frame; a forward jump counts the missing frames as lost, a
repeat of a recent number is a duplicate and is dropped, HELLO restarts the count.
"""

from __future__ import annotations

import struct
from dataclasses import asdict, dataclass

from protocol.cobs import CobsError, cobs_decode, cobs_encode
from protocol.crc import crc16
from protocol.errors import PayloadError
from protocol.messages import MAX_PAYLOAD, Message, MsgType, decode_payload, encode_payload

DELIMITER = 0
# CRC-16/CCITT-FALSE has no final XOR, so crc(M + C_hi) == C_lo << 8: a valid frame plus
# one 0x00 byte is again a valid frame, and COBS makes exactly that likely (a delimiter
# turned into 0x01 decodes as an appended zero; Hypothesis found it). The explicit payload
# length in the header rules it out for every message type, known or future.
HEADER = struct.Struct("<BHB")  # type, seq, payload length
CRC = struct.Struct(">H")  # big-endian, as this CRC is conventionally sent
FRAME_MIN_LEN = HEADER.size + CRC.size  # 6: type(1) + seq(2) + len(1) + crc(2)
FRAME_MAX_LEN = FRAME_MIN_LEN + MAX_PAYLOAD  # 246 decoded bytes
ENCODED_MAX_LEN = FRAME_MAX_LEN + FRAME_MAX_LEN // 254 + 1  # 247 COBS bytes
WIRE_MAX_LEN = ENCODED_MAX_LEN + 2  # 249 with both delimiters
SEQ_MOD = 0x10000
DUPLICATE_WINDOW = 64  # a number at most this far behind is a repeat; further is a restart


@dataclass(frozen=True, slots=True)
class Frame:
    msg_type: int
    seq: int
    msg: Message


@dataclass(slots=True)
class DecoderStats:
    """Running counters; the names match the C decoder's ``proto_stats_t`` and vectors.json."""

    frames: int = 0  # valid frames returned
    crc_errors: int = 0  # COBS-valid, right length, wrong CRC
    framing_errors: int = 0  # not COBS, shorter than header + CRC, or length byte wrong
    overruns: int = 0  # longer than the longest frame before a delimiter
    bad_payload: int = 0  # CRC fine, but unknown type or a payload that does not parse
    lost: int = 0  # frames missing by sequence number
    gaps: int = 0  # forward jumps in the sequence (each may lose several frames)
    duplicates: int = 0  # repeats, dropped
    restarts: int = 0  # HELLO or a large backward jump: sender started again

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


def encode_frame(msg: Message, seq: int) -> bytes:
    """The bytes on the wire for ``msg`` sent as frame number ``seq``, delimiter included."""
    msg_type, payload = encode_payload(msg)
    return encode_raw(msg_type, seq, payload)


def encode_raw(msg_type: int, seq: int, payload: bytes) -> bytes:
    """Frame arbitrary payload bytes (for tests and vectors of malformed payloads)."""
    if len(payload) > MAX_PAYLOAD:
        raise ValueError(f"payload of {len(payload)} bytes > {MAX_PAYLOAD}")
    body = HEADER.pack(msg_type, seq % SEQ_MOD, len(payload)) + payload
    body += CRC.pack(crc16(body))
    return b"\x00" + cobs_encode(body) + b"\x00"


class FrameDecoder:
    """Stateful stream decoder: ``feed(bytes) -> list[Frame]``; counters in ``stats``."""

    def __init__(self) -> None:
        self.stats = DecoderStats()
        self._buf = b""
        self._overrun = False
        self._expected: int | None = None

    def reset_sequence(self) -> None:
        """Forget the sender's numbering (after a reconnect)."""
        self._expected = None

    def feed(self, data: bytes | bytearray) -> list[Frame]:
        parts = (self._buf + bytes(data)).split(b"\x00")
        tail = parts.pop()
        frames: list[Frame] = []
        for part in parts:
            if self._overrun:
                self._overrun = False  # the rest of an over-long frame: already counted
                continue
            if part:
                frame = self._frame(part)
                if frame is not None:
                    frames.append(frame)
        if len(tail) > ENCODED_MAX_LEN:
            if not self._overrun:
                self.stats.overruns += 1
            self._overrun = True
            tail = b""
        self._buf = tail
        return frames

    def _frame(self, encoded: bytes) -> Frame | None:
        st = self.stats
        if len(encoded) > ENCODED_MAX_LEN:
            st.overruns += 1
            return None
        try:
            body = cobs_decode(encoded)
        except CobsError:
            st.framing_errors += 1
            return None
        if len(body) < FRAME_MIN_LEN or body[3] != len(body) - FRAME_MIN_LEN:
            st.framing_errors += 1
            return None
        if crc16(body[: -CRC.size]) != CRC.unpack_from(body, len(body) - CRC.size)[0]:
            st.crc_errors += 1
            return None
        msg_type, seq, _ = HEADER.unpack_from(body)
        if not self._sequence(msg_type, seq):
            return None
        try:
            msg = decode_payload(msg_type, body[HEADER.size : -CRC.size])
        except PayloadError:
            st.bad_payload += 1
            return None
        st.frames += 1
        return Frame(msg_type, seq, msg)

    def _sequence(self, msg_type: int, seq: int) -> bool:
        """Update the sequence counters; False for a duplicate that must be dropped."""
        st = self.stats
        expected = self._expected
        if expected is None or msg_type == MsgType.HELLO:
            if expected is not None:
                st.restarts += 1
        else:
            ahead = (seq - expected) % SEQ_MOD
            if ahead:
                behind = SEQ_MOD - ahead
                if behind <= DUPLICATE_WINDOW:
                    st.duplicates += 1
                    return False
                if ahead < SEQ_MOD // 2:
                    st.gaps += 1
                    st.lost += ahead
                else:
                    st.restarts += 1
        self._expected = (seq + 1) % SEQ_MOD
        return True
