"""Which backups to keep: the most recent few, one a day for a while, one a week for longer.

A practitioner may back up several times a day and rarely thinks about old copies, so
the folder would grow without end; but the copy that matters may be the one from
before a mistake three weeks ago. The usual grandfather-father-son answer:

* the ``keep_last`` most recent backups, whatever their age;
* the newest backup of each of the last ``daily_days`` days (today included);
* the newest backup of each of the last ``weekly_weeks`` ISO weeks (this week included).

Days and weeks are UTC calendar days and ISO weeks, so the answer does not change when
the clocks do. A backup dated in the future (a wrong clock) is always kept: we never
delete what we cannot place. This is a pure function; ``services/backup.py`` applies it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from desktop_app.errors import ValidationError


@dataclass(frozen=True)
class RotationPolicy:
    keep_last: int = 5
    daily_days: int = 14
    weekly_weeks: int = 8

    def __post_init__(self) -> None:
        if self.keep_last < 1:
            raise ValidationError("Keep at least the most recent backup.", field="keep_last")
        if self.daily_days < 0 or self.weekly_weeks < 0:
            raise ValidationError("Days and weeks to keep cannot be negative.")


DEFAULT_POLICY = RotationPolicy()


def _utc(moment: datetime) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValidationError("A backup time has no time zone.")
    return moment.astimezone(UTC)


def _week_start(day: date) -> date:
    return day - timedelta(days=day.isoweekday() - 1)


def to_keep(backup_times: Iterable[datetime], now: datetime, policy: RotationPolicy = DEFAULT_POLICY) -> set[datetime]:
    """The subset of ``backup_times`` to keep under ``policy``, as of ``now``."""
    now_utc = _utc(now)
    times = set(backup_times)
    keep = {t for t in times if _utc(t) > now_utc}
    past = sorted((t for t in times if _utc(t) <= now_utc), key=_utc, reverse=True)  # newest first
    keep.update(past[: policy.keep_last])

    today = now_utc.date()
    this_week = _week_start(today)
    newest_of_day: dict[date, datetime] = {}
    newest_of_week: dict[date, datetime] = {}
    for moment in past:
        day = _utc(moment).date()
        newest_of_day.setdefault(day, moment)  # ``past`` is newest first
        newest_of_week.setdefault(_week_start(day), moment)
    for day, moment in newest_of_day.items():
        if (today - day).days < policy.daily_days:
            keep.add(moment)
    for week, moment in newest_of_week.items():
        if (this_week - week).days // 7 < policy.weekly_weeks:
            keep.add(moment)
    return keep
