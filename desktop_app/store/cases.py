"""Cases and the people around them: rows in, domain dataclasses out.

Functions here run inside the caller's transaction and neither validate nor audit: the
services do both, once, for every path (screens, import, command line).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from desktop_app.domain.records import (
    CASE_CLOSED,
    CASE_OPEN,
    DETAIL_FIELDS,
    Case,
    CaseDetailChange,
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


# How the case list can be ordered: a name for each order, and the SQL it sorts by. The
# list is fetched a page at a time, so the order has to be the store's: sorting only the
# rows already fetched would put the 2,000th case in the wrong place until the last page.
# ``NOCASE`` folds ASCII letters only, as every other case-insensitive match here does.
CASE_SORTS: dict[str, str] = {
    "activity": "coalesce(last_at, c.created_at)",  # the latest note, or the opening
    "reference": "c.reference COLLATE NOCASE",
    "child": "c.subject_name COLLATE NOCASE",
    "key_worker": "c.key_worker COLLATE NOCASE",
    "status": "c.status",
    "notes": "note_count",
}


def _contains(text: str) -> str:
    """A LIKE pattern (with ``ESCAPE '\\'``) matching ``text`` anywhere, wildcards as text."""
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def list_cases(
    conn: Connection,
    *,
    status: str | None,
    text: str | None,
    limit: int,
    offset: int,
    key_worker: str | None = None,
    sort: str = "activity",
    descending: bool = True,
) -> list[CaseSummary]:
    """Cases with how many notes each has and when the latest happened, in the order
    ``sort`` names (a key of ``CASE_SORTS``; by default most recently active first).
    ``text`` matches the reference or the child's name anywhere, ``key_worker`` the key
    worker's name anywhere, both ignoring case. Equal keys keep a fixed order (by id), so
    pages never repeat or skip a case."""
    where: list[str] = []
    params: list[Any] = []
    if status is not None:
        where.append("c.status = ?")
        params.append(status)
    if text:
        pattern = _contains(text)
        where.append("(c.reference LIKE ? ESCAPE '\\' OR c.subject_name LIKE ? ESCAPE '\\')")
        params += [pattern, pattern]
    if key_worker:
        where.append("c.key_worker LIKE ? ESCAPE '\\'")
        params.append(_contains(key_worker))
    direction = "DESC" if descending else "ASC"
    sql = (
        f"SELECT {_CASE_COLUMNS}, "
        "(SELECT count(*) FROM notes n WHERE n.case_id = c.id) AS note_count, "
        "(SELECT max(n.occurred_at) FROM notes n WHERE n.case_id = c.id) AS last_at "
        "FROM cases c"
        + (" WHERE " + " AND ".join(where) if where else "")
        + f" ORDER BY {CASE_SORTS[sort]} {direction}, c.id {direction} LIMIT ? OFFSET ?"
    )
    rows = conn.execute(sql, (*params, limit, offset)).fetchall()
    return [CaseSummary(_case(row), row[11], row[12]) for row in rows]


# -- the history of a case's details ---------------------------------------------------


def record_detail_change(
    conn: Connection,
    case_id: int,
    *,
    before: Mapping[str, Any],
    after: Mapping[str, Any],
    reason: str,
    occurred_at: str,
    now: str,
    by: str,
) -> int:
    """Keep what the changed fields said before and after, with the reason. Call before
    ``update_case`` with the same ``now``: the vault refuses a change to a case's details
    that has no history row (migration 7)."""
    fields = [name for name in DETAIL_FIELDS if name in after]
    cursor = conn.execute(
        "INSERT INTO case_detail_changes (case_id, fields, before, after, reason, occurred_at, recorded_at, "
        "recorded_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (
            case_id,
            json.dumps(fields),
            json.dumps({k: before[k] for k in fields}, ensure_ascii=False, sort_keys=True),
            json.dumps({k: after[k] for k in fields}, ensure_ascii=False, sort_keys=True),
            reason,
            occurred_at,
            now,
            by,
        ),
    )
    change_id: int = cursor.lastrowid
    return change_id


def detail_changes(conn: Connection, case_id: int) -> list[CaseDetailChange]:
    """Every change to a case's details, the most recent first."""
    rows = conn.execute(
        "SELECT id, case_id, fields, before, after, reason, occurred_at, recorded_at, recorded_by "
        "FROM case_detail_changes WHERE case_id = ? ORDER BY occurred_at DESC, id DESC",
        (case_id,),
    ).fetchall()
    return [
        CaseDetailChange(
            id=row[0],
            case_id=row[1],
            fields=tuple(json.loads(row[2])),
            before=json.loads(row[3]),
            after=json.loads(row[4]),
            reason=row[5],
            occurred_at=row[6],
            recorded_at=row[7],
            recorded_by=row[8],
        )
        for row in rows
    ]


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
register_source(
    ChronologySource(
        kind="case_details",
        sql="""
            SELECT h.case_id AS case_id, h.occurred_at AS occurred_at, h.recorded_at AS recorded_at,
                   'case_details' AS kind, h.id AS item_id, 'Case details changed' AS title,
                   substr(h.reason, 1, 160) AS summary, '' AS flags
            FROM case_detail_changes h
        """,
    )
)
