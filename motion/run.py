"""Push a whole recording through the streaming pipeline, chunk by chunk.

Replay, the benchmarks and the tests use this, so a file is processed by exactly the code
a live set runs: the same :class:`~motion.pipeline.SetAnalyzer`, fed in small chunks.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from motion.params import SetParams, build_analyzer
from motion.pipeline import SetAnalyzer, align_pair
from sensors.types import ImuChunk

DEFAULT_CHUNK = 32  # samples per feed: 0.3 s at 100 Hz, like a BLE batch


def run_set(
    distal: ImuChunk,
    rate_hz: float,
    *,
    proximal: ImuChunk | None = None,
    chunk_size: int = DEFAULT_CHUNK,
    params: SetParams | None = None,
    **analyzer_kwargs: Any,
) -> SetAnalyzer:
    """Stream ``distal`` (and ``proximal``, aligned onto it) through a fresh analyzer.

    With ``params`` the analyzer comes from :func:`motion.params.build_analyzer`, as on
    the live path (``params.two_imu`` must say whether ``proximal`` is given); otherwise
    from ``analyzer_kwargs`` (benchmarks and tests that set one value).
    """
    if chunk_size < 1:
        raise ValueError(f"chunk_size must be >= 1, got {chunk_size}")
    if params is not None:
        if analyzer_kwargs:
            raise TypeError("pass params or analyzer keywords, not both")
        if params.two_imu != (proximal is not None):
            raise ValueError(f"params.two_imu is {params.two_imu} but proximal is "
                             f"{'given' if proximal is not None else 'not given'}")
        analyzer = build_analyzer(rate_hz, params)
    else:
        analyzer = SetAnalyzer(rate_hz, two_imu=proximal is not None, **analyzer_kwargs)
    if proximal is None:
        for part in distal.split(chunk_size):
            analyzer.feed(part)
    else:
        d, p = align_pair(distal, proximal)
        for a, b in zip(d.split(chunk_size), p.split(chunk_size)):
            analyzer.feed(a, b)
    analyzer.finish()
    return analyzer


def set_summary(
    analyzer: SetAnalyzer, t0_s: float, warnings: Sequence[str] = ()
) -> dict[str, Any]:
    """The ``rehab replay --json`` object for a finished analyzer (times from ``t0_s``).

    ``warnings`` are what loading had to assume (e.g. a unit without a still period to
    prove it); always listed, empty when there were none, so a reader need not guess.
    """
    return {
        "count": len(analyzer.reps_),
        "rate_hz": round(analyzer.rate_hz, 6),
        "samples": analyzer.samples_,
        "gaps": analyzer.gaps_,
        "gap_s": round(analyzer.gap_s_, 3),
        "rejected": analyzer.rejected_,
        "reps": [rep.to_json(t0_s) for rep in analyzer.reps_],
        "warnings": list(warnings),
    }
