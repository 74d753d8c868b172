"""Summary after a session: reps, ROM per rep against the target, quality, last time."""

from __future__ import annotations

from dataclasses import dataclass

from kiosk.adapters.history import SessionRow
from kiosk.i18n import N_, _, fmt_number
from therapy.records import PainPhase, SessionRecord

FLAG_TEXT = {"too_fast": N_("too fast"), "short_hold": N_("hold too short"),
             "incomplete_rom": N_("not far enough"), "gap": N_("signal gap")}


@dataclass(frozen=True, slots=True)
class SummaryVM:
    name: str
    reps: int
    target_reps: int
    roms_deg: tuple[float, ...]
    target_rom_deg: float
    good_reps: int
    flag_counts: tuple[tuple[str, int], ...]
    mean_rom_deg: float | None
    last_mean_rom_deg: float | None
    last_reps: int | None
    pain_before: int | None
    pain_after: int | None
    completed: bool

    @property
    def headline(self) -> str:
        if self.completed:
            return _("Well done! {reps} reps of {target}.").format(reps=self.reps,
                                                                   target=self.target_reps)
        return _("{reps} reps of {target}. Every bit counts.").format(
            reps=self.reps, target=self.target_reps)

    @property
    def quality_text(self) -> str:
        parts = [_("{n} good").format(n=self.good_reps)]
        parts += [f"{n} {_(FLAG_TEXT.get(f, f))}" for f, n in self.flag_counts]
        return "  ·  ".join(parts)

    @property
    def compare_text(self) -> str:
        if self.mean_rom_deg is None:
            return _("No reps were counted this time.")
        now = _("Average movement {rom}° (target {target}°)").format(
            rom=fmt_number(self.mean_rom_deg), target=fmt_number(self.target_rom_deg))
        if self.last_mean_rom_deg is None:
            return now + ". " + _("First time: well started!")
        d = self.mean_rom_deg - self.last_mean_rom_deg
        last = fmt_number(self.last_mean_rom_deg)
        if d > 1:
            return _("{now}, more than last time ({last}°).").format(now=now, last=last)
        if d < -1:
            return _("{now}, less than last time ({last}°).").format(now=now, last=last)
        return _("{now}, about the same as last time ({last}°).").format(now=now, last=last)

    @property
    def pain_text(self) -> str:
        if self.pain_before is None and self.pain_after is None:
            return ""
        b = "-" if self.pain_before is None else str(self.pain_before)
        a = "-" if self.pain_after is None else str(self.pain_after)
        return _("Pain before {before} / after {after} (0-10)").format(before=b, after=a)


def build_summary(rec: SessionRecord, name: str, previous: SessionRow | None) -> SummaryVM:
    counts: dict[str, int] = {}
    for r in rec.reps:
        for f in r.flags:
            counts[f] = counts.get(f, 0) + 1
    pb, pa = rec.pain(PainPhase.BEFORE), rec.pain(PainPhase.AFTER)
    return SummaryVM(
        name, rec.rep_count, rec.target_reps * rec.target_sets,
        tuple(r.rom_deg for r in rec.reps), rec.target_rom_deg,
        sum(1 for r in rec.reps if not r.flags), tuple(sorted(counts.items())),
        rec.mean_rom_deg, previous.mean_rom_deg if previous else None,
        previous.rep_count if previous else None,
        pb.rating if pb else None, pa.rating if pa else None, rec.completed)
