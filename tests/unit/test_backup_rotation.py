"""Backup rotation: the most recent few, one a day, one a week; never a future one lost."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from desktop_app.domain.backup_rotation import DEFAULT_POLICY, RotationPolicy, to_keep
from desktop_app.errors import ValidationError

NOW = datetime(2026, 3, 31, 12, 0, tzinfo=UTC)  # a Tuesday
POLICY = RotationPolicy(keep_last=3, daily_days=7, weekly_weeks=4)

TIMES = st.lists(
    st.integers(min_value=-90 * 24 * 60, max_value=2 * 24 * 60).map(lambda m: NOW + timedelta(minutes=m)),
    max_size=60,
    unique=True,
)
POLICIES = st.builds(RotationPolicy, st.integers(1, 6), st.integers(0, 10), st.integers(0, 8))


def test_hourly_backups_for_ten_weeks() -> None:
    times = [NOW - timedelta(hours=h) for h in range(24 * 70)]
    keep = to_keep(times, NOW, POLICY)
    assert set(times[:3]) <= keep  # the three most recent
    days = {t.date() for t in keep}
    assert {(NOW - timedelta(days=d)).date() for d in range(7)} <= days  # one a day for a week
    weeks = {t.isocalendar()[:2] for t in keep}
    assert len(weeks) == 4  # this week and the three before it
    assert len(keep) <= 3 + 7 + 4
    assert min(keep) > NOW - timedelta(weeks=5)


def test_the_newest_of_each_day_is_the_one_kept() -> None:
    morning, evening = NOW - timedelta(days=2, hours=3), NOW - timedelta(days=2, hours=1)
    old = [NOW - timedelta(days=30 + i) for i in range(10)]
    keep = to_keep([morning, evening, *old], NOW, RotationPolicy(keep_last=1, daily_days=7, weekly_weeks=0))
    assert evening in keep and morning not in keep


def test_future_backups_are_never_removed() -> None:
    future = NOW + timedelta(days=3)
    assert future in to_keep([future, *(NOW - timedelta(days=d) for d in range(100))], NOW, POLICY)


def test_policy_is_checked_and_times_need_a_zone() -> None:
    with pytest.raises(ValidationError):
        RotationPolicy(keep_last=0)
    with pytest.raises(ValidationError):
        to_keep([datetime(2026, 1, 1)], NOW)
    assert DEFAULT_POLICY == RotationPolicy(5, 14, 8)


@settings(max_examples=200, deadline=None)
@given(times=TIMES, policy=POLICIES)
def test_rotation_properties(times: list[datetime], policy: RotationPolicy) -> None:
    keep = to_keep(times, NOW, policy)
    assert keep <= set(times)
    past = sorted((t for t in times if t <= NOW), reverse=True)
    future = {t for t in times if t > NOW}
    assert future <= keep
    assert set(past[: policy.keep_last]) <= keep
    # Bounded: the most recent few, one per day and one per week in the windows.
    assert len(keep - future) <= policy.keep_last + policy.daily_days + policy.weekly_weeks
    # Every day in the daily window that had a backup still has one (and likewise weeks).
    for t in past:
        if (NOW.date() - t.date()).days < policy.daily_days:
            assert any(k.date() == t.date() for k in keep)
    # Idempotent: applying the policy to what it kept removes nothing more.
    assert to_keep(keep, NOW, policy) == keep


@settings(max_examples=100, deadline=None)
@given(times=TIMES, policy=POLICIES, extra=st.integers(1, 3))
def test_making_one_more_backup_never_removes_the_previous_newest(
    times: list[datetime], policy: RotationPolicy, extra: int
) -> None:
    past = [t for t in times if t <= NOW]
    if not past:
        return
    later = NOW + timedelta(hours=extra)
    keep = to_keep([*past, later], later, policy)
    assert later in keep
    if policy.keep_last >= 2:
        assert max(past) in keep
