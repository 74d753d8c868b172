"""What ingest's payload checks read off a JSON payload's bytes, at C speed (mqtt.inbound).

A 25 kB session Bundle holds ~1,500 strings: walking its decoded tree in Python for depth,
lone surrogates and dates cost more than the JSON decode and the SQLite insert together
(bench.clinic's ingest, issue 14). When the payload's quotes are plain (:func:`plain_quotes`)
every '"' opens or closes a string, so the bytes outside strings (:func:`skeleton`) show the
nesting and the numbers exactly as the decoded tree would. Pure: bytes in, values out; the
caller decides what to refuse.
"""

from __future__ import annotations

import re

_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")
# what the checks need of the bytes outside strings: brackets, separators, number characters
_NOT_SKELETON = bytes(b for b in range(256) if b not in b'"[]{},:.0123456789eE')
_NOT_BRACKET = bytes(b for b in range(256) if b not in b"[]{}")
_ONE_BRACKET_KIND = bytes.maketrans(b"{}", b"[]")  # depth does not care which kind
# digits as "0", exponent marks as "e", the rest as " ": a number's shape is then a substring
_NUMBER_SHAPE = bytes(ord("0") if chr(b).isdigit() and b < 128 else ord("e") if b in b"eE"
                      else ord(" ") for b in range(256))


def plain_quotes(payload: bytes) -> bool:
    """True when every '"' of the payload opens or closes a string (no escaped quote or
    backslash) and no escape can make a lone surrogate."""
    if b"\\" not in payload:  # no escape at all (the normal case): one memchr
        return True
    return (b'\\"' not in payload and b"\\\\" not in payload
            and _SURROGATE_ESCAPE.search(payload) is None)


def skeleton(payload: bytes) -> bytes:
    """The bytes of a plain payload outside its strings that the checks read: brackets,
    commas, colons and the characters of numbers."""
    return b"".join(payload.translate(None, _NOT_SKELETON).split(b'"')[::2])


def nesting_depth(skel: bytes, limit: int) -> int:
    """How deep a plain payload's containers nest, counted on its :func:`skeleton` up to
    ``limit + 1`` (then it stops): each pass removes the innermost pairs (every "[]" once
    ``{}`` reads ``[]``; occurrences of "[]" never overlap)."""
    brackets = skel.translate(_ONE_BRACKET_KIND, _NOT_BRACKET)
    depth = 0
    while brackets and depth <= limit:
        depth += 1
        brackets = brackets.replace(b"[]", b"")
    return depth


def long_or_exponent_number(skel: bytes, digits: int) -> bool:
    """Whether a :func:`skeleton` holds a run of ``digits`` digits or more, or a number
    with an exponent (a digit followed by e or E)."""
    shape = skel.translate(_NUMBER_SHAPE)
    return b"0" * digits in shape or b"0e" in shape


def compact_year(payload: bytes, at: int) -> int | None:
    """The year of a string value written compactly at ``at`` (':"' then four digits: the
    value's first four characters, whatever follows them); None for anything else."""
    year = payload[at + 2:at + 6]
    if payload.startswith(b':"', at) and len(year) == 4 and year.isdigit():
        return int(year)
    return None
