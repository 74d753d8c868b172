"""Per-patient progress report from the clinic store: HTML (inline SVG) or PNG (matplotlib).

Shows ROM per session (mean and each rep), reps done against the prescription, pain
before/after, and adherence to the plan (scheduled days with at least one session).
The HTML path needs no plotting library; PNG needs matplotlib (``pip install
'rehab-kiosk[clinic]'``).
"""

from __future__ import annotations

import html
import logging
import math
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

from clinic.store import ClinicStore, SessionRow
from mqtt.errors import LinkError
from therapy.errors import PlanError
from therapy.plan import Plan, parse_plan_bytes

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
MAX_COUNT = 10_000  # reps in one session; beyond is not a count
log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class ReportData:
    device: str
    sessions: tuple[SessionRow, ...]
    pain_before: dict[str, int]  # session identifier value -> rating
    pain_after: dict[str, int]
    plan: Plan | None
    scheduled_days: int
    days_done: int
    unreadable: int = 0  # stored values that were not numbers, left out (and logged)

    @property
    def adherence(self) -> float | None:
        return self.days_done / self.scheduled_days if self.scheduled_days else None


def adherence(plan: Plan | None, sessions: tuple[SessionRow, ...],
              today: date) -> tuple[int, int]:
    """(scheduled days so far, of those the days with a session) within the plan window."""
    if plan is None:
        return 0, 0
    start = plan.valid_from.date()
    end = min(today, plan.valid_until.date())
    days_with = {s.started_at.astimezone(timezone.utc).date() for s in sessions}
    scheduled = done = 0
    d = start
    while d <= end:
        if WEEKDAYS[d.weekday()] in plan.schedule.days:
            scheduled += 1
            done += d in days_with
        d += timedelta(days=1)
    return scheduled, done


def _number(v: object) -> float | None:
    """A stored value as a finite number, or None (SQLite keeps a text where a REAL was
    meant: a resource whose value was "abc" is stored as "abc")."""
    if isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v):
        return float(v)
    return None


def _count(v: object) -> int | None:
    n = _number(v)
    return int(n) if n is not None and n == int(n) and 0 <= n <= MAX_COUNT else None


def _clean(row: SessionRow) -> tuple[SessionRow, int]:
    """The row with every value that is not a number left out, and how many were."""
    roms = tuple(r for r in (_number(x) for x in row.rom_deg) if r is not None)
    mean, reps, target = _number(row.mean_rom_deg), _count(row.reps), _count(row.target_reps)
    bad = (len(row.rom_deg) - len(roms) + (mean is None and row.mean_rom_deg is not None)
           + (reps is None) + (target is None and row.target_reps is not None))
    return replace(row, rom_deg=roms, mean_rom_deg=mean, reps=reps or 0,
                   target_reps=target), bad


def gather(store: ClinicStore, device: str, today: date | None = None) -> ReportData:
    sessions: list[SessionRow] = []
    unreadable = 0
    for raw in store.sessions(device):
        row, bad = _clean(raw)
        sessions.append(row)
        unreadable += bad
    before: dict[str, int] = {}
    after: dict[str, int] = {}
    for session, phase, rating, _at in store.pain(device):
        score = _count(rating)
        if score is None or score > 10:
            unreadable += 1
            continue
        if session:
            (before if phase == "before" else after)[f"urn:uuid:{session}"] = score
    if unreadable:
        log.warning("report for %s: %d stored value(s) that are not numbers left out",
                    device, unreadable)
    plan = None
    if text := store.latest_plan(device):
        try:
            plan = parse_plan_bytes(text)
        except PlanError:
            plan = None
    sched, done = adherence(plan, tuple(sessions), today or datetime.now(timezone.utc).date())
    return ReportData(device, tuple(sessions), before, after, plan, sched, done, unreadable)


def write_report(data: ReportData, out: Path) -> None:
    if not data.sessions:
        raise LinkError(f"no sessions received from device {data.device} yet")
    suffix = out.suffix.lower()
    if suffix == ".html":
        out.write_text(render_html(data))
    elif suffix == ".png":
        render_png(data, out)
    else:
        raise LinkError(f"{out}: the report is written as .html or .png")


def _line_svg(title: str, series: list[tuple[str, str, list[float | None]]], unit: str,
              width: int = 640, height: int = 220) -> str:
    values = [v for _n, _c, vs in series for v in vs if v is not None]
    n = max((len(vs) for _n, _c, vs in series), default=0)
    if not values or n == 0:
        return f"<p>{html.escape(title)}: no data</p>"
    lo, hi = min(0.0, min(values)), max(values) * 1.1 or 1.0
    pad = 40

    def xy(i: int, v: float) -> tuple[float, float]:
        x = pad + (width - 2 * pad) * (i / max(n - 1, 1))
        y = height - pad - (height - 2 * pad) * ((v - lo) / (hi - lo))
        return x, y

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
             f'role="img" aria-label="{html.escape(title)}">',
             f'<text x="{pad}" y="18" font-size="14">{html.escape(title)} ({unit})</text>',
             f'<line x1="{pad}" y1="{height - pad}" x2="{width - pad}" y2="{height - pad}" '
             'stroke="#888"/>',
             f'<text x="4" y="{height - pad}" font-size="10">{lo:g}</text>',
             f'<text x="4" y="{pad}" font-size="10">{hi:.0f}</text>']
    for k, (name, color, vs) in enumerate(series):
        pts = [xy(i, v) for i, v in enumerate(vs) if v is not None]
        if len(pts) > 1:
            parts.append('<polyline fill="none" stroke="{}" stroke-width="2" points="{}"/>'
                         .format(color, " ".join(f"{x:.1f},{y:.1f}" for x, y in pts)))
        parts += [f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{color}"/>' for x, y in pts]
        parts.append(f'<text x="{width - pad - 120}" y="{18 + 14 * k}" font-size="11" '
                     f'fill="{color}">{html.escape(name)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def render_html(data: ReportData) -> str:
    s = data.sessions
    rom = [x.mean_rom_deg for x in s]
    best = [max(x.rom_deg) if x.rom_deg else None for x in s]
    reps: list[float | None] = [float(x.reps) for x in s]
    target = [float(x.target_reps) if x.target_reps else None for x in s]
    pb = [_f(data.pain_before.get(x.identifier)) for x in s]
    pa = [_f(data.pain_after.get(x.identifier)) for x in s]
    adh = ("no plan received" if data.adherence is None else
           f"{data.days_done} of {data.scheduled_days} scheduled days "
           f"({100 * data.adherence:.0f}%)")
    rows = "".join(
        f"<tr><td>{x.started_at:%Y-%m-%d %H:%M}</td><td>{html.escape(x.exercise)}</td>"
        f"<td>{x.reps}/{x.target_reps or '?'}</td><td>{_fmt(x.mean_rom_deg)}</td>"
        f"<td>{_fmt(data.pain_before.get(x.identifier))}</td>"
        f"<td>{_fmt(data.pain_after.get(x.identifier))}</td></tr>" for x in s)
    return (
        "<!doctype html><html><head><meta charset='utf-8'>"
        f"<title>Progress {html.escape(data.device)}</title></head><body>"
        f"<h1>Progress of device {html.escape(data.device)}</h1>"
        f"<p>{len(s)} sessions; adherence to the plan: {adh}</p>"
        + (f"<p>{data.unreadable} stored value(s) were not numbers and are left out.</p>"
           if data.unreadable else "")
        + _line_svg("Range of movement per session", [("mean ROM", "#1f77b4", rom),
                                                       ("best rep", "#2ca02c", best)], "deg")
        + _line_svg("Repetitions", [("done", "#ff7f0e", reps),
                                    ("prescribed", "#7f7f7f", target)], "reps")
        + _line_svg("Pain (0-10)", [("before", "#d62728", pb), ("after", "#9467bd", pa)], "NRS")
        + "<table border='1' cellpadding='4'><tr><th>start (UTC)</th><th>exercise</th>"
          "<th>reps</th><th>mean ROM (deg)</th><th>pain before</th><th>pain after</th></tr>"
        + rows + "</table></body></html>")


def render_png(data: ReportData, out: Path) -> None:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError as exc:
        raise LinkError("PNG reports need matplotlib: pip install 'rehab-kiosk[clinic]' "
                        "(or write .html)") from exc
    s = data.sessions
    x = list(range(1, len(s) + 1))
    fig, axes = plt.subplots(3, 1, figsize=(8, 9), sharex=True)
    axes[0].plot(x, [v.mean_rom_deg for v in s], "o-", label="mean ROM")
    for i, v in zip(x, s, strict=True):
        axes[0].scatter([i] * len(v.rom_deg), v.rom_deg, s=8, color="grey", alpha=0.5)
    axes[0].set_ylabel("ROM (deg)")
    axes[0].legend()
    axes[1].bar(x, [v.reps for v in s], label="done")
    axes[1].plot(x, [v.target_reps or 0 for v in s], "k_", markersize=20, label="prescribed")
    axes[1].set_ylabel("repetitions")
    axes[1].legend()
    axes[2].plot(x, [_f(data.pain_before.get(v.identifier)) for v in s], "o-", label="before")
    axes[2].plot(x, [_f(data.pain_after.get(v.identifier)) for v in s], "s-", label="after")
    axes[2].set_ylim(-0.5, 10.5)
    axes[2].set_ylabel("pain (0-10)")
    axes[2].set_xlabel("session")
    axes[2].legend()
    adh = "" if data.adherence is None else f" - adherence {100 * data.adherence:.0f}%"
    fig.suptitle(f"Progress of device {data.device}{adh}")
    fig.tight_layout()
    fig.savefig(out, dpi=100)
    plt.close(fig)


def _f(v: int | None) -> float | None:
    return None if v is None else float(v)


def _fmt(v: float | int | None) -> str:
    return "-" if v is None else (f"{v:.1f}" if isinstance(v, float) else str(v))
