"""Emergency shares: rows in, ``domain.emergency.EmergencyShare`` out.

Functions here run inside the caller's transaction and neither validate nor audit: the
service (``services/emergency.py``) does both, once, for the screens and the command
line. The rules that keep an outstanding follow-up from being dismissed are triggers in
migration 5, so they hold for raw SQL too.

Importing this module registers the chronology source ``emergency_share``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from desktop_app.domain.emergency import EmergencyShare, ValidCapture, how_label
from desktop_app.domain.follow_up import FollowUpStatus, utc
from desktop_app.domain.records import MARK_IN_ERROR
from desktop_app.store.chronology import ChronologySource, register_source

Connection = Any  # a sqlcipher3 connection (the driver ships no type information)

CHRONOLOGY_KIND = "emergency_share"

_COLUMNS = (
    "e.id, e.case_id, c.reference, c.subject_name, e.shared_with_organisation, e.shared_with_person, "
    "e.shared_with_contact, e.how, e.what_shared, e.why, e.shared_at, e.recorded_at, e.recorded_by, "
    "e.deadline_hours, e.due_at, e.completed_decision_id, e.completed_at, e.completed_by, "
    "e.in_error_reason, e.in_error_at, e.in_error_by"
)
_FROM = "FROM emergency_shares e JOIN cases c ON c.id = e.case_id"
_OPEN = "e.completed_at IS NULL AND e.in_error_at IS NULL"


def time_text(moment: datetime) -> str:
    """UTC text as every dated record stores it: ``YYYY-MM-DDTHH:MM:SS+00:00``."""
    return utc(moment).replace(microsecond=0).isoformat()


def _time(text: str | None) -> datetime | None:
    return utc(datetime.fromisoformat(text)) if text else None


def _share(row: Sequence[Any]) -> EmergencyShare:
    shared_at = _time(row[10])
    recorded_at = _time(row[11])
    due_at = _time(row[14])
    assert shared_at is not None and recorded_at is not None and due_at is not None
    return EmergencyShare(
        id=row[0],
        case_id=row[1],
        case_reference=row[2],
        child_name=row[3],
        shared_with_organisation=row[4],
        shared_with_person=row[5],
        shared_with_contact=row[6],
        how=row[7],
        what=row[8],
        why=row[9],
        shared_at=shared_at,
        recorded_at=recorded_at,
        recorded_by=row[12],
        deadline_hours=row[13],
        due_at=due_at,
        completed_decision_id=row[15],
        completed_at=_time(row[16]),
        completed_by=row[17],
        in_error_reason=row[18],
        in_error_at=_time(row[19]),
        in_error_by=row[20],
    )


def insert_share(
    conn: Connection,
    case_id: int,
    capture: ValidCapture,
    *,
    summary: str,
    due_at: datetime,
    deadline_hours: int,
    recorded_at: datetime,
    recorded_by: str,
) -> int:
    cursor = conn.execute(
        "INSERT INTO emergency_shares (case_id, shared_with_organisation, shared_with_person, shared_with_contact, "
        "how, what_shared, why, summary, shared_at, recorded_at, recorded_by, deadline_hours, due_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            case_id,
            capture.shared_with_organisation,
            capture.shared_with_person,
            capture.shared_with_contact,
            capture.how,
            capture.what,
            capture.why,
            summary,
            time_text(capture.shared_at),
            time_text(recorded_at),
            recorded_by,
            deadline_hours,
            time_text(due_at),
        ),
    )
    share_id: int = cursor.lastrowid
    return share_id


def get_share(conn: Connection, share_id: int) -> EmergencyShare | None:
    row = conn.execute(f"SELECT {_COLUMNS} {_FROM} WHERE e.id = ?", (share_id,)).fetchone()
    return _share(row) if row else None


def share_for_decision(conn: Connection, decision_id: int) -> EmergencyShare | None:
    row = conn.execute(f"SELECT {_COLUMNS} {_FROM} WHERE e.completed_decision_id = ?", (decision_id,)).fetchone()
    return _share(row) if row else None


def decision_case_id(conn: Connection, decision_id: int) -> int | None:
    """The case of a saved decision record (migration 4), or None if there is none."""
    row = conn.execute("SELECT case_id FROM decisions WHERE id = ?", (decision_id,)).fetchone()
    return int(row[0]) if row else None


def unlinked_write_up(conn: Connection, share_id: int, case_id: int, source: str) -> tuple[int, str] | None:
    """The first saved decision record started from this share (``prefill_source``) on its
    case that completes no emergency share yet: (id, recorded_at), or None."""
    row = conn.execute(
        "SELECT d.id, d.recorded_at FROM decisions d WHERE d.prefill_source = ? AND d.case_id = ? "
        "AND NOT EXISTS (SELECT 1 FROM emergency_shares e WHERE e.completed_decision_id = d.id) "
        "ORDER BY d.id LIMIT 1",
        (source, case_id),
    ).fetchone()
    return (int(row[0]), str(row[1])) if row else None


def set_completed(conn: Connection, share_id: int, decision_id: int, *, at: datetime, by: str) -> None:
    conn.execute(
        "UPDATE emergency_shares SET completed_decision_id = ?, completed_at = ?, completed_by = ? WHERE id = ?",
        (decision_id, time_text(at), by, share_id),
    )


def set_in_error(conn: Connection, share_id: int, reason: str, *, at: datetime, by: str) -> None:
    conn.execute(
        "UPDATE emergency_shares SET in_error_reason = ?, in_error_at = ?, in_error_by = ? WHERE id = ?",
        (reason, time_text(at), by, share_id),
    )


def list_open(conn: Connection) -> list[EmergencyShare]:
    """Every open follow-up, by due time (the caller orders overdue first: that needs now)."""
    rows = conn.execute(f"SELECT {_COLUMNS} {_FROM} WHERE {_OPEN} ORDER BY e.due_at, e.id").fetchall()
    return [_share(row) for row in rows]


def count_open(conn: Connection) -> int:
    count: int = conn.execute(f"SELECT count(*) FROM emergency_shares e WHERE {_OPEN}").fetchone()[0]
    return count


def list_shares(
    conn: Connection,
    *,
    statuses: frozenset[FollowUpStatus] | None,
    now: datetime,
    shared_from: datetime | None,
    shared_before: datetime | None,
    case_id: int | None,
) -> list[EmergencyShare]:
    """Emergency shares for the oversight view, newest first, filtered in SQL.

    Status depends on ``now`` (outstanding becomes overdue at ``due_at``); completed on
    time or late compares ``completed_at`` with ``due_at``. All times are the same UTC
    text format, so comparing text compares instants.
    """
    where: list[str] = []
    params: dict[str, Any] = {"now": time_text(now)}
    if case_id is not None:
        where.append("e.case_id = :case_id")
        params["case_id"] = case_id
    if shared_from is not None:
        where.append("e.shared_at >= :start")
        params["start"] = time_text(shared_from)
    if shared_before is not None:
        where.append("e.shared_at < :end")
        params["end"] = time_text(shared_before)
    if statuses is not None:
        conditions = {
            FollowUpStatus.OUTSTANDING: f"({_OPEN} AND e.due_at >= :now)",
            FollowUpStatus.OVERDUE: f"({_OPEN} AND e.due_at < :now)",
            FollowUpStatus.COMPLETED_ON_TIME: "(e.completed_at IS NOT NULL AND e.completed_at <= e.due_at)",
            FollowUpStatus.COMPLETED_LATE: "(e.completed_at IS NOT NULL AND e.completed_at > e.due_at)",
            FollowUpStatus.RECORDED_IN_ERROR: "(e.in_error_at IS NOT NULL)",
        }
        chosen = [conditions[s] for s in FollowUpStatus if s in statuses]
        where.append("(" + " OR ".join(chosen) + ")" if chosen else "0")
    sql = f"SELECT {_COLUMNS} {_FROM}" + (" WHERE " + " AND ".join(where) if where else "")
    rows = conn.execute(sql + " ORDER BY e.shared_at DESC, e.id DESC", params).fetchall()
    return [_share(row) for row in rows]


def list_for_case(conn: Connection, case_id: int) -> list[EmergencyShare]:
    rows = conn.execute(
        f"SELECT {_COLUMNS} {_FROM} WHERE e.case_id = ? ORDER BY e.shared_at DESC, e.id DESC", (case_id,)
    ).fetchall()
    return [_share(row) for row in rows]


# -- captures not yet recorded -----------------------------------------------------------
#
# What is typed in the emergency form, kept through a lock or a crash (see
# ``domain.emergency.UnfinishedCapture``): one row per form in ``emergency_captures``
# (migration 8), encrypted like everything in the vault.


def keep_unfinished(conn: Connection, token: str, value: str) -> None:
    conn.execute(
        "INSERT INTO emergency_captures (token, payload) VALUES (?, ?) "
        "ON CONFLICT(token) DO UPDATE SET payload = excluded.payload, "
        "kept_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now')",
        (token, value),
    )


def list_unfinished(conn: Connection) -> list[tuple[str, str]]:
    """Every kept capture as (token, stored text), in no particular order."""
    rows = conn.execute("SELECT token, payload FROM emergency_captures").fetchall()
    return [(str(token), str(payload)) for token, payload in rows]


def drop_unfinished(conn: Connection, token: str) -> bool:
    """Delete one kept capture (its pages are overwritten: ``secure_delete`` is on)."""
    cursor = conn.execute("DELETE FROM emergency_captures WHERE token = ?", (token,))
    return bool(cursor.rowcount)


# -- chronology ------------------------------------------------------------------------


def _title(raw: str) -> str:
    """Stored title "how|recipient|state" → "Emergency share (phone call) with X — written up"."""
    how, _, rest = raw.partition("|")
    who, _, state = rest.partition("|")
    label = how_label(how).lower()
    words = {
        "open": "write-up outstanding",
        "completed": "written up",
        "in_error": "recorded in error",
    }.get(state, state)
    return f"Emergency share ({label}) with {who} — {words}"


register_source(
    ChronologySource(
        kind=CHRONOLOGY_KIND,
        sql=f"""
            SELECT e.case_id AS case_id, e.shared_at AS occurred_at, e.recorded_at AS recorded_at,
                   '{CHRONOLOGY_KIND}' AS kind, e.id AS item_id,
                   e.how || '|' ||
                   CASE
                       WHEN e.shared_with_organisation <> '' AND e.shared_with_person <> ''
                           THEN e.shared_with_person || ' (' || e.shared_with_organisation || ')'
                       ELSE e.shared_with_organisation || e.shared_with_person
                   END || '|' ||
                   CASE
                       WHEN e.in_error_at IS NOT NULL THEN 'in_error'
                       WHEN e.completed_at IS NOT NULL THEN 'completed'
                       ELSE 'open'
                   END AS title,
                   e.summary AS summary,
                   CASE WHEN e.in_error_at IS NOT NULL THEN '{MARK_IN_ERROR}' ELSE '' END AS flags
            FROM emergency_shares e
        """,
        format_title=_title,
    )
)
