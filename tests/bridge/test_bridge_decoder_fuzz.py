"""Hypothesis: random bytes and mutated valid streams into the decoder (12,000 examples).

No exception escapes, the counters stay consistent, and every valid frame of a mutated
stream is either recovered intact or counted as lost. Each stream is bracketed by an
intact first and last frame, as a session is by its HELLO and its latest frame: frames
lost before the first or after the last one cannot be counted by any receiver.
``derandomize`` keeps the run identical from one CI run to the next.
"""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from protocol.codec import FrameDecoder, encode_frame
from protocol.messages import Battery, ImuBatch, Message, TimeResp

SETTINGS = dict(deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))


def _feed_chunked(dec: FrameDecoder, data: bytes, cuts: list[int]) -> list:
    frames = []
    start = 0
    for cut in sorted(c % (len(data) + 1) for c in cuts) + [len(data)]:
        frames += dec.feed(data[start:cut])
        start = max(start, cut)
    return frames


@settings(max_examples=6000, **SETTINGS)
@given(st.binary(max_size=300), st.lists(st.integers(0, 300), max_size=4))
def test_random_bytes_never_raise(data: bytes, cuts: list[int]) -> None:
    dec = FrameDecoder()
    frames = _feed_chunked(dec, data, cuts)
    assert dec.stats.frames == len(frames)
    assert dec.stats.lost >= 0 and dec.stats.duplicates >= 0


def _message(kind: int, i: int) -> Message:
    if kind == 0:
        return Battery(3000 + i, i % 101, 0)
    if kind == 1:
        return TimeResp(i, 10_000 * i)
    counts = (np.arange(6 * (1 + i % 3), dtype=np.int16).reshape(-1, 6) - 3) * (i + 1)
    return ImuBatch(i, 1000 * i, 10_000, 1000, 8, 0, counts)


mutation = st.tuples(
    st.sampled_from(["flip", "delete", "insert", "zero"]),
    st.integers(0, 10_000),  # position (modulo the mutable region)
    st.integers(1, 8),  # length
    st.binary(min_size=1, max_size=8),  # inserted bytes
)


@settings(max_examples=6000, **SETTINGS)
@given(
    st.lists(st.integers(0, 2), min_size=1, max_size=6),
    st.lists(mutation, min_size=1, max_size=4),
    st.lists(st.integers(0, 400), max_size=3),
)
def test_mutated_streams_recover_or_count(
    kinds: list[int], mutations: list[tuple[str, int, int, bytes]], cuts: list[int]
) -> None:
    n = len(kinds)
    msgs = [_message(k, i + 1) for i, k in enumerate(kinds)]
    head = encode_frame(Battery(1, 1, 0), 0)
    tail = encode_frame(Battery(2, 2, 0), n + 1)
    body = bytearray(b"".join(encode_frame(m, i + 1) for i, m in enumerate(msgs)))
    for op, pos, length, data in mutations:
        p = pos % (len(body) + 1)
        if op == "flip" and p < len(body):
            body[p] ^= 1 << (length - 1)
        elif op == "delete":
            del body[p : p + length]
        elif op == "insert":
            body[p:p] = data
        elif op == "zero":
            body[p : p + length] = bytes(len(body[p : p + length]))
    dec = FrameDecoder()
    frames = _feed_chunked(dec, head + bytes(body) + tail, cuts)
    assert [f.seq for f in frames[:1]] == [0] and frames[-1].seq == n + 1
    inner = frames[1:-1]
    for f in inner:
        assert 1 <= f.seq <= n and f.msg == msgs[f.seq - 1]
    seqs = [f.seq for f in inner]
    assert seqs == sorted(set(seqs))
    assert len(inner) + dec.stats.lost == n
    assert dec.stats.frames == len(frames)
