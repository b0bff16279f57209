"""Cases and the people around them: rows in, domain dataclasses out.

Functions here run inside the caller's transaction and neither validate nor audit: the
services do both, once, for every path (screens, import, command line).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date
from typing import Any

from desktop_app.domain.records import (
    CASE_CLOSED,
    CASE_OPEN,
    Case,
    CaseDetails,
    CaseSummary,
    Person,
    PersonDetails,
    date_to_occurred_at,
)
from desktop_app.store.chronology import ChronologySource, register_source

Connection = Any  # a sqlcipher3 connection (the driver ships no type information)

_CASE_COLUMNS = (
    "c.id, c.reference, c.subject_name, c.subject_date_of_birth, c.subject_identifiers, c.key_worker, "
    "c.status, c.closed_on, c.closed_reason, c.created_at, c.updated_at"
)
_PERSON_COLUMNS = (
    "p.id, p.case_id, p.name, p.relationship, p.contact, p.protect_identity, p.protect_reason, "
    "p.created_at, p.updated_at"
)


def _case(row: Sequence[Any]) -> Case:
    return Case(
        id=row[0],
        reference=row[1],
        subject_name=row[2],
        subject_date_of_birth=date.fromisoformat(row[3]) if row[3] else None,
        subject_identifiers=json.loads(row[4]),
        key_worker=row[5],
        status=row[6],
        closed_on=date.fromisoformat(row[7]) if row[7] else None,
        closed_reason=row[8],
        created_at=row[9],
        updated_at=row[10],
    )


def _person(row: Sequence[Any]) -> Person:
    return Person(
        id=row[0],
        case_id=row[1],
        name=row[2],
        relationship=row[3],
        contact=row[4],
        protect_identity=bool(row[5]),
        protect_reason=row[6],
        created_at=row[7],
        updated_at=row[8],
    )


def _details_params(details: CaseDetails) -> tuple[Any, ...]:
    dob = details.subject_date_of_birth
    return (
        details.reference,
        details.subject_name,
        dob.isoformat() if dob else None,
        json.dumps(details.subject_identifiers, ensure_ascii=False, sort_keys=True),
        details.key_worker,
    )


# -- cases -----------------------------------------------------------------------------


def insert_case(conn: Connection, details: CaseDetails, *, opened_on: date, now: str, by: str) -> int:
    cursor = conn.execute(
        "INSERT INTO cases (reference, subject_name, subject_date_of_birth, subject_identifiers, key_worker, "
        "created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
        (*_details_params(details), now, now),
    )
    case_id: int = cursor.lastrowid
    _record_status(conn, case_id, CASE_OPEN, opened_on, "", now=now, by=by)
    return case_id


def update_case(conn: Connection, case_id: int, details: CaseDetails, *, now: str) -> None:
    conn.execute(
        "UPDATE cases SET reference = ?, subject_name = ?, subject_date_of_birth = ?, subject_identifiers = ?, "
        "key_worker = ?, updated_at = ? WHERE id = ?",
        (*_details_params(details), now, case_id),
    )


def set_status(conn: Connection, case_id: int, status: str, on: date, reason: str, *, now: str, by: str) -> None:
    """Close or reopen: the case row holds the status now, the history holds every change."""
    closed = status == CASE_CLOSED
    conn.execute(
        "UPDATE cases SET status = ?, closed_on = ?, closed_reason = ?, updated_at = ? WHERE id = ?",
        (status, on.isoformat() if closed else None, reason if closed else "", now, case_id),
    )
    _record_status(conn, case_id, status, on, reason, now=now, by=by)


def _record_status(conn: Connection, case_id: int, status: str, on: date, reason: str, *, now: str, by: str) -> None:
    conn.execute(
        "INSERT INTO case_status_changes (case_id, status, effective_on, occurred_at, reason, recorded_at, "
        "recorded_by) VALUES (?, ?, ?, ?, ?, ?, ?)",
        (case_id, status, on.isoformat(), date_to_occurred_at(on), reason, now, by),
    )


def last_status_change_on(conn: Connection, case_id: int) -> date | None:
    """The date of the case's latest opening, closing or reopening."""
    row = conn.execute(
        "SELECT effective_on FROM case_status_changes WHERE case_id = ? ORDER BY id DESC LIMIT 1", (case_id,)
    ).fetchone()
    return date.fromisoformat(row[0]) if row else None


def get_case(conn: Connection, case_id: int) -> Case | None:
    row = conn.execute(f"SELECT {_CASE_COLUMNS} FROM cases c WHERE c.id = ?", (case_id,)).fetchone()
    return _case(row) if row else None


def find_case_by_reference(conn: Connection, reference: str) -> Case | None:
    """Case-insensitive, as references are compared when they are made unique."""
    row = conn.execute(f"SELECT {_CASE_COLUMNS} FROM cases c WHERE c.reference = ?", (reference,)).fetchone()
    return _case(row) if row else None


def list_cases(conn: Connection, *, status: str | None, text: str | None, limit: int, offset: int) -> list[CaseSummary]:
    """Cases with how many notes each has and when the latest happened, most recently
    active first. ``text`` matches the reference or the child's name anywhere."""
    where: list[str] = []
    params: list[Any] = []
    if status is not None:
        where.append("c.status = ?")
        params.append(status)
    if text:
        pattern = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        where.append("(c.reference LIKE ? ESCAPE '\\' OR c.subject_name LIKE ? ESCAPE '\\')")
        params += [pattern, pattern]
    sql = (
        f"SELECT {_CASE_COLUMNS}, "
        "(SELECT count(*) FROM notes n WHERE n.case_id = c.id), "
        "(SELECT max(n.occurred_at) FROM notes n WHERE n.case_id = c.id) AS last_at "
        "FROM cases c"
        + (" WHERE " + " AND ".join(where) if where else "")
        + " ORDER BY coalesce(last_at, c.created_at) DESC, c.id DESC LIMIT ? OFFSET ?"
    )
    rows = conn.execute(sql, (*params, limit, offset)).fetchall()
    return [CaseSummary(_case(row), row[11], row[12]) for row in rows]


# -- people ----------------------------------------------------------------------------


def insert_person(conn: Connection, case_id: int, details: PersonDetails, *, now: str) -> int:
    cursor = conn.execute(
        "INSERT INTO people (case_id, name, relationship, contact, protect_identity, protect_reason, created_at, "
        "updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (
            case_id,
            details.name,
            details.relationship,
            details.contact,
            int(details.protect_identity),
            details.protect_reason,
            now,
            now,
        ),
    )
    person_id: int = cursor.lastrowid
    return person_id


def update_person(conn: Connection, person_id: int, details: PersonDetails, *, now: str) -> None:
    conn.execute(
        "UPDATE people SET name = ?, relationship = ?, contact = ?, protect_identity = ?, protect_reason = ?, "
        "updated_at = ? WHERE id = ?",
        (
            details.name,
            details.relationship,
            details.contact,
            int(details.protect_identity),
            details.protect_reason,
            now,
            person_id,
        ),
    )


def get_person(conn: Connection, person_id: int) -> Person | None:
    row = conn.execute(f"SELECT {_PERSON_COLUMNS} FROM people p WHERE p.id = ?", (person_id,)).fetchone()
    return _person(row) if row else None


def list_people(conn: Connection, case_id: int) -> list[Person]:
    rows = conn.execute(
        f"SELECT {_PERSON_COLUMNS} FROM people p WHERE p.case_id = ? ORDER BY p.name COLLATE NOCASE, p.id",
        (case_id,),
    ).fetchall()
    return [_person(row) for row in rows]


# -- chronology ------------------------------------------------------------------------

register_source(
    ChronologySource(
        kind="case_status",
        sql="""
            SELECT s.case_id AS case_id, s.occurred_at AS occurred_at, s.recorded_at AS recorded_at,
                   'case_status' AS kind, s.id AS item_id,
                   CASE
                       WHEN s.status = 'closed' THEN 'Case closed'
                       WHEN s.id = (SELECT min(f.id) FROM case_status_changes f WHERE f.case_id = s.case_id)
                           THEN 'Case opened'
                       ELSE 'Case reopened'
                   END AS title,
                   s.reason AS summary, '' AS flags
            FROM case_status_changes s
        """,
    )
)
