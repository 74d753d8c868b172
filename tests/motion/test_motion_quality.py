"""Quality flags: against a prescription when given, else against the set's first reps."""

from __future__ import annotations

from motion.quality import QualityJudge
from motion.measure import RepShape
from motion.types import QualityFlag


def shape(rom=60.0, hold=3.0, up=1.5, down=1.5, max_gap=0.02):
    return RepShape(t_start=0, t_peak=1, t_end=2, t_detected=2.2, start_deg=0, peak_deg=rom,
                    end_deg=0, rom_deg=rom, hold_s=hold, up_s=up, down_s=down,
                    max_gap_s=max_gap, gap_s=0.0)


def test_calibrates_from_the_first_reps_and_flags_later_ones():
    j = QualityJudge()
    assert [j.judge(shape()) for _ in range(3)] == [(), (), ()]
    assert j.judge(shape(rom=40)) == (QualityFlag.INCOMPLETE_ROM,)
    assert j.judge(shape(hold=0.5)) == (QualityFlag.SHORT_HOLD,)
    assert j.judge(shape(up=0.5, down=0.5)) == (QualityFlag.TOO_FAST,)
    assert j.judge(shape(rom=50)) == ()  # 83 % of the reference: complete


def test_a_small_rep_at_normal_speed_is_not_too_fast():
    j = QualityJudge()
    for _ in range(3):
        j.judge(shape())
    flags = j.judge(shape(rom=30, up=0.75, down=0.75))  # same speed, half the way
    assert QualityFlag.TOO_FAST not in flags and QualityFlag.INCOMPLETE_ROM in flags


def test_prescription_beats_calibration():
    j = QualityJudge(target_rom_deg=90, target_hold_s=5)
    assert j.judge(shape(rom=60, hold=3)) == (QualityFlag.SHORT_HOLD, QualityFlag.INCOMPLETE_ROM)
    assert j.judge(shape(rom=85, hold=4.5)) == ()


def test_no_hold_reference_never_flags_short_hold():
    j = QualityJudge()
    for _ in range(3):
        j.judge(shape(hold=0.2))
    assert QualityFlag.SHORT_HOLD not in j.judge(shape(hold=0.0))


def test_gap_flag_for_a_hole_longer_than_a_second():
    assert QualityFlag.GAP in QualityJudge().judge(shape(max_gap=1.5))
