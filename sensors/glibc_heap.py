"""glibc malloc policy for the kiosk's process (issue 15: RSS <= 250 MB with the camera).

The kiosk's heap holds, besides Python's objects, camera frames (640x480 BGR: 0.9 MB each,
a few per frame as they are captured, flipped to RGB and shown) and MediaPipe's buffers
(XNNPACK's packing of the landmark model, its activations, the person detector's arena).
With glibc's defaults the bound above which a block is mapped on its own rises to the
largest block freed so far (and the trim bound with it), so after the first frames these
blocks live inside the heaps, and small allocations made between them keep the freed space
from going back: at the end of ``bench.kiosk``'s camera run glibc's ``malloc_info`` showed
~22 MB free inside the heaps (17 MB of it in pages ``malloc_trim`` could return).

:func:`limit_heap_growth`, called once at the kiosk's start (``rehab kiosk``) before its
threads, keeps both bounds at glibc's starting 128 KiB: every block that size or larger is
mapped on its own and unmapped when freed, and the heap's top is trimmed past it. Measured
(README "Kiosk on a Pi's budget"): ~1 MB free inside the heaps at the end of the same run,
and the run's peak RSS ~8-12 MB lower (the pose model alone: ~6 MB). The cost is a fresh
mapping and its page faults for each such block: ~690 faults (2.7 MB) per pose frame
against ~25, ~2-3 ms more per tracked frame here (``bench.camera_memory``: 27.6 against
24.9 ms), 2-3 % of a core at the kiosk's 10 pose frames/s; a bound of 1 MiB kept 1.5 MB
of the gain and 4 MiB none. It does nothing without glibc (musl, macOS) or when
``REHAB_MALLOC=glibc`` asks for glibc's own policy (to compare).
"""

from __future__ import annotations

import ctypes
import logging
import os

_LOG = logging.getLogger(__name__)
M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3  # glibc's malloc.h
MMAP_THRESHOLD_BYTES = 128 << 10  # glibc's starting value, kept from rising
TRIM_THRESHOLD_BYTES = 128 << 10  # glibc's default, kept from rising with the mmap bound
STOCK_ENV = "REHAB_MALLOC"  # "glibc": leave glibc's own policy


def set_malloc_bounds(mmap_bytes: int, trim_bytes: int) -> bool:
    """Fix glibc's mmap and trim bounds (``mallopt``; either one set stops glibc moving
    both with the largest block freed). True if glibc took them; False without glibc."""
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):  # not glibc
        return False
    took_mmap = mallopt(M_MMAP_THRESHOLD, mmap_bytes)
    took_trim = mallopt(M_TRIM_THRESHOLD, trim_bytes)
    return bool(took_mmap) and bool(took_trim)


def limit_heap_growth() -> bool:
    """Keep glibc's mmap and trim bounds at 128 KiB (see the module). True if glibc took
    them; False without glibc or with ``REHAB_MALLOC=glibc``."""
    if os.environ.get(STOCK_ENV, "").lower() == "glibc":
        return False
    ok = set_malloc_bounds(MMAP_THRESHOLD_BYTES, TRIM_THRESHOLD_BYTES)
    _LOG.debug("glibc malloc bounds fixed at %d bytes: %s", MMAP_THRESHOLD_BYTES, ok)
    return ok
