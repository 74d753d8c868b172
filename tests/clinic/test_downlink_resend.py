"""The downlink resend rule (clinic/downlink_resend.py) with a fake clock: which unacked
items go out again on a birth and at the periodic check, and what the log remembers; and
that a resend is the same signed bytes as the first send (the device's once-per-id rule
depends on the id, and a verifier on the signature)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from clinic.downlink_resend import ResendLog, ResendRule, Unacked
from therapy.clinic_items import seal_message
from therapy.signing import new_private_key

T0 = datetime(2026, 11, 29, 9, 0, tzinfo=timezone.utc)


def item(ident: str, first_min: int, last_min: int | None = None) -> Unacked:
    first = T0 + timedelta(minutes=first_min)
    last = first if last_min is None else T0 + timedelta(minutes=last_min)
    return Unacked(ident, "dev-1", first, last)


ITEMS = [item("c", 50), item("a", 0), item("b", 10, last_min=100)]


def test_a_birth_resends_every_unacked_item_oldest_first() -> None:
    assert [i.id for i in ResendRule().due(ITEMS, T0 + timedelta(minutes=101), birth=True)] \
        == ["a", "b", "c"]


@pytest.mark.parametrize(("minutes", "due"), [
    (59, []),  # nothing an hour old yet
    (60, ["a"]),  # a: first sent at 0, exactly an hour
    (110, ["a", "c"]),  # c: at 50; b was sent again at 100
    (160, ["a", "b", "c"]),
])
def test_the_periodic_check_resends_only_what_is_an_hour_past_its_last_send(
        minutes: int, due: list[str]) -> None:
    now = T0 + timedelta(minutes=minutes)
    assert [i.id for i in ResendRule().due(ITEMS, now, birth=False)] == due


def test_at_most_max_per_pass_each_time() -> None:
    rule = ResendRule(max_per_pass=2)
    assert [i.id for i in rule.due(ITEMS, T0, birth=True)] == ["a", "b"]


@pytest.mark.parametrize("bad", [dict(stale_s=-1), dict(check_s=0), dict(max_per_pass=0)])
def test_a_bad_rule_is_refused(bad: dict[str, float]) -> None:
    with pytest.raises(ValueError, match="bad resend rule"):
        ResendRule(**bad)  # type: ignore[arg-type]


def test_the_log_keeps_the_latest_resend_and_how_many() -> None:
    log = ResendLog.empty()
    assert log.last_sent("a", T0) == T0  # never resent: the first send counts
    log.sent_again("a", T0 + timedelta(hours=1))
    log.sent_again("a", T0 + timedelta(hours=2))
    assert log.last == {"a": (T0 + timedelta(hours=2), 2)}
    assert log.last_sent("a", T0) == T0 + timedelta(hours=2)
    log.forget(["a", "zz"])
    assert log.last == {}


def test_a_resealed_reply_is_the_same_bytes_as_the_first_send() -> None:
    """The resender seals the stored row again (id, text, the stored ISO time)."""
    key = new_private_key()
    at = datetime(2026, 11, 29, 9, 0, 12, 345678, tzinfo=timezone.utc)
    first = seal_message("m1", "Ice after the set.", at, key, clinic="c1", device="dev-1")
    again = seal_message("m1", "Ice after the set.", datetime.fromisoformat(at.isoformat()),
                         key, clinic="c1", device="dev-1")
    assert again == first
