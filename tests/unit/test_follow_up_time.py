"""The follow-up's time rules (domain/follow_up.py): UTC storage, elapsed-hour deadlines
across clock changes and time zones, no future share times, status and urgency."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from desktop_app.domain import follow_up as fu
from desktop_app.errors import ValidationError

LONDON = ZoneInfo("Europe/London")


def test_deadline_is_24_elapsed_hours_across_the_spring_clock_change() -> None:
    # 29 March 2026: UK clocks go forward at 01:00 GMT. Shared at 00:30 GMT (local).
    shared_local = datetime(2026, 3, 29, 0, 30, tzinfo=LONDON)
    due = fu.due_at(shared_local, 24)
    assert due - fu.utc(shared_local) == timedelta(hours=24)
    # Local wall clock shows 01:30 BST the next day: 24 real hours, one hour "later" on the clock.
    assert due.astimezone(LONDON).hour == 1 and due.astimezone(LONDON).day == 30


def test_deadline_is_24_elapsed_hours_across_the_autumn_clock_change() -> None:
    # 25 October 2026: clocks go back at 02:00 BST. Shared at 00:30 BST.
    shared_local = datetime(2026, 10, 25, 0, 30, tzinfo=LONDON)
    due = fu.due_at(shared_local, 24)
    assert (due - fu.utc(shared_local)) == timedelta(hours=24)
    assert due.astimezone(LONDON).strftime("%d %H:%M") == "25 23:30"


def test_overdue_computed_in_utc_whatever_the_display_zone() -> None:
    shared = datetime(2026, 3, 28, 12, 0, tzinfo=UTC)
    due = fu.due_at(shared, 24)
    just_before = datetime(2026, 3, 29, 11, 59, tzinfo=UTC)
    just_after = datetime(2026, 3, 29, 12, 1, tzinfo=UTC)
    assert fu.status(due=due, now=just_before.astimezone(ZoneInfo("America/New_York"))) is fu.FollowUpStatus.OUTSTANDING
    assert fu.status(due=due, now=just_after.astimezone(ZoneInfo("Asia/Tokyo"))) is fu.FollowUpStatus.OVERDUE


def test_completion_on_time_and_late_and_in_error() -> None:
    due = datetime(2026, 1, 2, 9, 0, tzinfo=UTC)
    now = datetime(2026, 1, 5, tzinfo=UTC)
    assert fu.status(due=due, now=now, completed_at=due) is fu.FollowUpStatus.COMPLETED_ON_TIME
    assert fu.status(due=due, now=now, completed_at=due + timedelta(seconds=1)) is fu.FollowUpStatus.COMPLETED_LATE
    assert fu.status(due=due, now=now, in_error=True) is fu.FollowUpStatus.RECORDED_IN_ERROR
    assert not fu.FollowUpStatus.RECORDED_IN_ERROR.is_open


def test_shared_time_in_the_future_is_refused_with_a_clear_message() -> None:
    now = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
    with pytest.raises(ValidationError) as err:
        fu.check_shared_at(now + timedelta(hours=1), now)
    assert err.value.field == "shared_at" and "future" in err.value.message
    assert fu.check_shared_at(now + timedelta(minutes=1), now) == now + timedelta(minutes=1)  # clock drift tolerated
    assert fu.check_shared_at(now - timedelta(days=2), now) == now - timedelta(days=2)


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError):
        fu.due_at(datetime(2026, 1, 1, 12, 0))


def test_policy_deadline_is_bounded() -> None:
    assert fu.deadline_hours(None) == 24
    assert fu.deadline_hours(0) == 1
    assert fu.deadline_hours(10_000) == 168


def test_urgency_escalates_and_descriptions_are_plain() -> None:
    due = datetime(2026, 6, 2, 12, 0, tzinfo=UTC)
    assert fu.urgency(due=due, now=due - timedelta(hours=10)) is fu.Urgency.NORMAL
    assert fu.urgency(due=due, now=due - timedelta(hours=2)) is fu.Urgency.DUE_SOON
    assert fu.urgency(due=due, now=due + timedelta(hours=2)) is fu.Urgency.OVERDUE
    assert fu.urgency(due=due, now=due + timedelta(hours=30)) is fu.Urgency.LONG_OVERDUE
    assert fu.describe_due(due, due - timedelta(hours=3, minutes=20), UTC).startswith("due in 3 h 20 min")
    assert fu.describe_due(due, due + timedelta(days=1, hours=2), UTC).startswith("overdue by 1 d 2 h")


def test_overdue_items_sort_first() -> None:
    now = datetime(2026, 6, 2, 12, 0, tzinfo=UTC)
    items = [
        fu.Deadline(now + timedelta(hours=1), fu.FollowUpStatus.OUTSTANDING),
        fu.Deadline(now - timedelta(hours=1), fu.FollowUpStatus.OVERDUE),
        fu.Deadline(now - timedelta(hours=5), fu.FollowUpStatus.OVERDUE),
    ]
    ordered = sorted(items, key=fu.Deadline.sort_key)
    assert [d.status for d in ordered][:2] == [fu.FollowUpStatus.OVERDUE] * 2
    assert ordered[0].due < ordered[1].due


@given(
    shared=st.datetimes(
        min_value=datetime(2000, 1, 1),
        max_value=datetime(2090, 1, 1),
        timezones=st.sampled_from([UTC, LONDON, ZoneInfo("Australia/Sydney")]),
    ),
    hours=st.integers(min_value=1, max_value=168),
)
def test_property_deadline_is_exactly_the_elapsed_hours(shared: datetime, hours: int) -> None:
    due = fu.due_at(shared, hours)
    assert due.tzinfo is UTC
    assert due - shared == timedelta(hours=hours)
    assert fu.status(due=due, now=due) is fu.FollowUpStatus.OUTSTANDING
    assert fu.status(due=due, now=due + timedelta(microseconds=1)) is fu.FollowUpStatus.OVERDUE
