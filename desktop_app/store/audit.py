"""The tamper-evident audit trail: every event's hash covers the previous event's hash.

Editing, deleting or reordering an event with raw SQL breaks the chain at that point,
and ``verify_chain`` names the first broken link. What this does *not* protect against
is someone holding the vault key who rewrites the whole chain from that point on; an
exported manifest or a backup is the independent anchor for that (docs/security.md).
Details must hold ids and structured facts, never note text: the trail records that
something happened, the records hold what.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

GENESIS = "0" * 64


def utc_now() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")


def _digest(
    prev_hash: str,
    event_id: int,
    at: str,
    actor: str,
    action: str,
    subject_type: str | None,
    subject_id: str | None,
    details: str,
) -> str:
    body = json.dumps(
        [event_id, at, actor, action, subject_type, subject_id, details],
        ensure_ascii=True,
        separators=(",", ":"),
    )
    return hashlib.sha256((prev_hash + body).encode()).hexdigest()


def append_event(
    conn: Any,
    action: str,
    *,
    actor: str,
    subject_type: str | None = None,
    subject_id: int | str | None = None,
    details: dict[str, Any] | None = None,
    at: str | None = None,
) -> int:
    """Append one event; call inside the transaction that makes the change it records."""
    row = conn.execute("SELECT id, hash FROM audit_events ORDER BY id DESC LIMIT 1").fetchone()
    event_id, prev_hash = (row[0] + 1, row[1]) if row else (1, GENESIS)
    at = at or utc_now()
    sid = None if subject_id is None else str(subject_id)
    details_json = json.dumps(details or {}, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    digest = _digest(prev_hash, event_id, at, actor, action, subject_type, sid, details_json)
    conn.execute(
        "INSERT INTO audit_events (id, at, actor, action, subject_type, subject_id, details, prev_hash, hash) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (event_id, at, actor, action, subject_type, sid, details_json, prev_hash, digest),
    )
    return event_id


@dataclass(frozen=True)
class ChainReport:
    """``events`` counts every event in the trail, including those after a break, so a
    report reads "12 events, broken at event 2" rather than stopping the count there;
    ``first_broken_id`` and ``problem`` name the first broken link only."""

    ok: bool
    events: int
    first_broken_id: int | None = None
    problem: str = ""


def verify_chain(conn: Any) -> ChainReport:
    prev_hash = GENESIS
    expected_id = 1
    count = 0
    broken: tuple[int, str] | None = None
    rows = conn.execute(
        "SELECT id, at, actor, action, subject_type, subject_id, details, prev_hash, hash FROM audit_events ORDER BY id"
    )
    for event_id, at, actor, action, stype, sid, details, stored_prev, stored_hash in rows:
        count += 1
        if broken is None:
            if event_id != expected_id:
                broken = (expected_id, f"audit event {expected_id} is missing")
            elif stored_prev != prev_hash:
                broken = (event_id, f"audit event {event_id} does not follow event {event_id - 1}")
            elif _digest(prev_hash, event_id, at, actor, action, stype, sid, details) != stored_hash:
                broken = (event_id, f"audit event {event_id} has been altered")
        # Past a break, only count: every later link is suspect and the first says where to look.
        prev_hash = stored_hash
        expected_id = event_id + 1
    if broken is not None:
        return ChainReport(False, count, broken[0], broken[1])
    return ChainReport(True, count)


def recent_events(conn: Any, limit: int = 200) -> list[dict[str, Any]]:
    rows = conn.execute(
        "SELECT id, at, actor, action, subject_type, subject_id, details FROM audit_events ORDER BY id DESC LIMIT ?",
        (limit,),
    ).fetchall()
    return [
        {
            "id": r[0],
            "at": r[1],
            "actor": r[2],
            "action": r[3],
            "subject_type": r[4],
            "subject_id": r[5],
            "details": json.loads(r[6]),
        }
        for r in rows
    ]
