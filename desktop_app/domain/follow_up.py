"""Time rules for the emergency follow-up: "share now, document later".

The 2024 advice: "You must always document the action you took after the event if you
cannot do it at the time, including recording a clear rationale for your decision."
The application turns "later" into a deadline and holds it until the write-up is done.

All instants are timezone-aware and stored in UTC. A deadline of 24 hours means 24
*elapsed* hours: across a clock change the local wall-clock time of the deadline moves
by an hour, but nobody gains or loses time to write up. Local time is only for display.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from enum import Enum

from desktop_app.errors import ValidationError

DEFAULT_DEADLINE_HOURS = 24
MIN_DEADLINE_HOURS = 1
MAX_DEADLINE_HOURS = 168
# A shared time a little ahead of this computer's clock is tolerated (clocks drift and
# phones disagree); anything further ahead is a mistake to correct, not to store.
FUTURE_TOLERANCE = timedelta(minutes=2)
# Escalation: due soon, then overdue, then long overdue (shown more insistently).
DUE_SOON = timedelta(hours=4)
LONG_OVERDUE = timedelta(hours=24)


class FollowUpStatus(Enum):
    OUTSTANDING = "outstanding"
    OVERDUE = "overdue"
    COMPLETED_ON_TIME = "completed_on_time"
    COMPLETED_LATE = "completed_late"
    RECORDED_IN_ERROR = "recorded_in_error"

    @property
    def label(self) -> str:
        return {
            "outstanding": "Outstanding",
            "overdue": "Overdue",
            "completed_on_time": "Completed on time",
            "completed_late": "Completed late",
            "recorded_in_error": "Recorded in error",
        }[self.value]

    @property
    def is_open(self) -> bool:
        return self in (FollowUpStatus.OUTSTANDING, FollowUpStatus.OVERDUE)


class Urgency(Enum):
    """How insistently an open follow-up is shown (text and icon, never colour alone)."""

    NORMAL = 0
    DUE_SOON = 1
    OVERDUE = 2
    LONG_OVERDUE = 3


def utc(dt: datetime) -> datetime:
    if dt.tzinfo is None or dt.utcoffset() is None:
        raise ValueError("naive datetimes are not allowed here; attach a time zone")
    return dt.astimezone(UTC)


def deadline_hours(value: int | None) -> int:
    """The organisation's deadline, bounded: policy cannot make it absurdly long."""
    if value is None:
        return DEFAULT_DEADLINE_HOURS
    return max(MIN_DEADLINE_HOURS, min(MAX_DEADLINE_HOURS, int(value)))


def due_at(shared_at: datetime, hours: int = DEFAULT_DEADLINE_HOURS) -> datetime:
    return utc(shared_at) + timedelta(hours=deadline_hours(hours))


def status(
    *, due: datetime, now: datetime, completed_at: datetime | None = None, in_error: bool = False
) -> FollowUpStatus:
    if in_error:
        return FollowUpStatus.RECORDED_IN_ERROR
    if completed_at is not None:
        return FollowUpStatus.COMPLETED_ON_TIME if utc(completed_at) <= utc(due) else FollowUpStatus.COMPLETED_LATE
    return FollowUpStatus.OVERDUE if utc(now) > utc(due) else FollowUpStatus.OUTSTANDING


def urgency(*, due: datetime, now: datetime) -> Urgency:
    left = utc(due) - utc(now)
    if left < -LONG_OVERDUE:
        return Urgency.LONG_OVERDUE
    if left < timedelta(0):
        return Urgency.OVERDUE
    if left <= DUE_SOON:
        return Urgency.DUE_SOON
    return Urgency.NORMAL


def check_shared_at(shared_at: datetime, now: datetime) -> datetime:
    """When it was shared may be earlier than now, never in the future."""
    shared = utc(shared_at)
    if shared > utc(now) + FUTURE_TOLERANCE:
        raise ValidationError(
            "The time it was shared is in the future. Enter when it happened, or leave it as now.",
            field="shared_at",
        )
    return shared


def describe_due(due: datetime, now: datetime, tz: tzinfo | None = None) -> str:
    """Plain words for a deadline, in local time: "due in 3 h 20 min (Mon 23 Nov, 14:05)"."""
    local = utc(due).astimezone(tz)
    when = local.strftime("%a %d %b, %H:%M")
    left = utc(due) - utc(now)
    span = _span(abs(left))
    return f"overdue by {span} (was due {when})" if left < timedelta(0) else f"due in {span} ({when})"


def _span(delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h"
    if hours:
        return f"{hours} h {mins} min"
    return f"{mins} min"


@dataclass(frozen=True)
class Deadline:
    """A follow-up's timing, for lists: ordered overdue first, then soonest due."""

    due: datetime
    status: FollowUpStatus

    def sort_key(self) -> tuple[int, datetime]:
        return (0 if self.status is FollowUpStatus.OVERDUE else 1, utc(self.due))
