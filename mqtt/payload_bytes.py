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
# what the checks need of the bytes outside strings: brackets (the nesting), digits (long
# numbers) and commas (two numbers side by side stay apart). Nothing else is kept, so most
# strings (keys, codes, URLs: no digit, bracket or comma) are '""' once translated
_NOT_SKELETON = bytes(b for b in range(256) if b not in b'"[]{},0123456789')
_NOT_BRACKET = bytes(b for b in range(256) if b not in b"[]{}")
_ONE_BRACKET_KIND = bytes.maketrans(b"{}", b"[]")  # depth does not care which kind
# digits as "0", the rest as " ": a run of digits is then a substring of zeros
_DIGITS_AS_ZERO = bytes(ord("0") if chr(b).isdigit() and b < 128 else ord(" ")
                        for b in range(256))


def plain_quotes(payload: bytes) -> bool:
    """True when every '"' of the payload opens or closes a string (no escaped quote or
    backslash) and no escape can make a lone surrogate."""
    if b"\\" not in payload:  # no escape at all (the normal case): one memchr
        return True
    return (b'\\"' not in payload and b"\\\\" not in payload
            and _SURROGATE_ESCAPE.search(payload) is None)


def skeleton(payload: bytes) -> bytes:
    """The bytes of a plain payload outside its strings that the checks read: brackets,
    commas and digits.

    The translated payload keeps each string's quotes around what is left of it; removing
    every '""' first (a string left empty, or two strings with nothing kept between them
    run together) leaves the quotes alternating open/close around the same outside bytes,
    so the split on '"' has ~250 pieces for a session Bundle instead of ~3,100 (26 against
    48 us here)."""
    kept = payload.translate(None, _NOT_SKELETON).replace(b'""', b"")
    return b"".join(kept.split(b'"')[::2]) if b'"' in kept else kept


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


def long_digit_run(skel: bytes, digits: int) -> bool:
    """Whether a :func:`skeleton` holds a run of ``digits`` digits or more. A number's sign,
    point and exponent are not kept, so its digits form one run: a number of more than
    ``digits`` + 4 characters always has such a run."""
    return b"0" * digits in skel.translate(_DIGITS_AS_ZERO)
