"""Give back the resident pages of model files mapped read-only (issue 15).

The pose graph maps its two model files (TFLite's ``MMAPAllocation``: ``PROT_READ``,
``MAP_SHARED``) instead of reading them into the heap. Once the graph has run, XNNPACK
works from its own packed copy of the landmark model's weights and the person detector
from TFLite's densified ones: the mapped pages are not read again (``bench.camera_memory``:
0 kB resident after 100 more frames), yet they stay in the process's RSS until dropped.
``madvise(MADV_DONTNEED)`` drops them; a page read later is read again from the page cache
(a read-only file mapping holds nothing that could be lost), so this changes memory only.
"""

from __future__ import annotations

import ctypes
import logging
from collections.abc import Iterable
from pathlib import Path

_LOG = logging.getLogger(__name__)
MADV_DONTNEED = 4  # <asm-generic/mman-common.h>, the same on x86-64 and arm64
MAPS = Path("/proc/self/maps")


def read_only_mappings(paths: Iterable[Path], maps_text: str) -> list[tuple[int, int]]:
    """(start, end) of each mapping in ``maps_text`` (``/proc/self/maps``'s format) of one
    of ``paths`` that cannot be written: only those are safe to drop."""
    wanted = {str(p.resolve()) for p in paths}
    out = []
    for line in maps_text.splitlines():
        fields = line.split(maxsplit=5)
        if len(fields) == 6 and fields[5] in wanted and "w" not in fields[1]:
            start, end = (int(x, 16) for x in fields[0].split("-"))
            out.append((start, end))
    return out


def drop_mapped_pages(paths: Iterable[Path]) -> int:
    """Drop this process's resident pages of the read-only mappings of ``paths``; the
    bytes of mappings advised (0 where there is no /proc or no C library)."""
    try:
        spans = read_only_mappings(paths, MAPS.read_text())
        libc = ctypes.CDLL(None, use_errno=True)
    except OSError as exc:
        _LOG.debug("model pages kept: %s", exc)
        return 0
    libc.madvise.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
    done = 0
    for start, end in spans:
        if libc.madvise(start, end - start, MADV_DONTNEED) == 0:
            done += end - start
        else:
            _LOG.debug("madvise on a model mapping failed: errno %d", ctypes.get_errno())
    return done
