"""The history of a case's details, and two gaps in the court-safe rules closed.

* ``case_detail_changes`` keeps every change to a case's details (reference, the child's
  name, date of birth and other identifiers, key worker): what each changed field said
  before and after, who changed it, when, and why. Rows are never updated or deleted,
  and a trigger on ``cases`` refuses a change to those details unless its history row
  (same case, ``recorded_at`` equal to the case's new ``updated_at``) is already there,
  so raw SQL cannot quietly rename a child either. The audit trail holds the change's id
  and a fingerprint of the reason, never the names (store/audit.py).
* A note marked as recorded in error stays as it was. Migration 3 kept the mark itself
  fixed but still let raw SQL give such a note a new revision; the services always
  refused. Now the vault refuses too: no new revision of a marked note, and no moving
  its current revision.

Trigger messages are written for people, as in migration 3.
"""

from typing import Any

VERSION = 7
DESCRIPTION = "history of case details; a note marked in error cannot be amended"

MARKED_NOTE = "This note is marked as recorded in error, so it cannot be amended. Record a new note instead."
HISTORY_FIXED = "The history of a case's details cannot be changed."
NEEDS_HISTORY = "A case's details can only be changed with a reason, which is kept in its history."

_DETAIL_COLUMNS = ("reference", "subject_name", "subject_date_of_birth", "subject_identifiers", "key_worker")


def _sql_text(message: str) -> str:
    return "'" + message.replace("'", "''") + "'"


_STATEMENTS = [
    """
    CREATE TABLE case_detail_changes (
        id INTEGER PRIMARY KEY,
        case_id INTEGER NOT NULL REFERENCES cases(id),
        fields TEXT NOT NULL CHECK (json_valid(fields) AND json_array_length(fields) > 0),
        before TEXT NOT NULL CHECK (json_valid(before)),
        after TEXT NOT NULL CHECK (json_valid(after)),
        reason TEXT NOT NULL CHECK (trim(reason) <> ''),
        occurred_at TEXT NOT NULL,
        recorded_at TEXT NOT NULL,
        recorded_by TEXT NOT NULL
    ) STRICT
    """,
    # The chronology reads each case's entries newest first through this index.
    "CREATE INDEX case_detail_changes_by_case ON case_detail_changes (case_id, occurred_at, id)",
    f"""
    CREATE TRIGGER case_detail_changes_no_update BEFORE UPDATE ON case_detail_changes
    BEGIN SELECT RAISE(ABORT, {_sql_text(HISTORY_FIXED)}); END
    """,
    f"""
    CREATE TRIGGER case_detail_changes_no_delete BEFORE DELETE ON case_detail_changes
    BEGIN SELECT RAISE(ABORT, {_sql_text(HISTORY_FIXED)}); END
    """,
    f"""
    CREATE TRIGGER cases_details_need_history BEFORE UPDATE ON cases
    WHEN {" OR ".join(f"NEW.{c} IS NOT OLD.{c}" for c in _DETAIL_COLUMNS)}
    BEGIN
        SELECT RAISE(ABORT, {_sql_text(NEEDS_HISTORY)})
        WHERE NOT EXISTS (
            SELECT 1 FROM case_detail_changes h WHERE h.case_id = NEW.id AND h.recorded_at = NEW.updated_at);
    END
    """,
    f"""
    CREATE TRIGGER notes_marked_no_new_revision BEFORE UPDATE OF current_revision_id ON notes
    WHEN OLD.marked_at IS NOT NULL AND NEW.current_revision_id IS NOT OLD.current_revision_id
    BEGIN SELECT RAISE(ABORT, {_sql_text(MARKED_NOTE)}); END
    """,
    f"""
    CREATE TRIGGER note_revisions_not_on_marked_note BEFORE INSERT ON note_revisions
    WHEN (SELECT n.marked_at FROM notes n WHERE n.id = NEW.note_id) IS NOT NULL
    BEGIN SELECT RAISE(ABORT, {_sql_text(MARKED_NOTE)}); END
    """,
]


def apply(conn: Any) -> None:
    for statement in _STATEMENTS:
        conn.execute(statement)
