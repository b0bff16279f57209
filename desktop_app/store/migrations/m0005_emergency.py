"""Emergency shares ("share now, document later") and their follow-ups.

One row per emergency share. The follow-up is part of the row: it is *open* until either
``completed_decision_id``/``completed_at`` link the full decision record that wrote it up,
or ``in_error_at`` marks the share as recorded in error, with a reason. Neither can be
undone, and nothing here can be deleted:

* ``DELETE`` always raises, so an outstanding follow-up cannot be dismissed by removing it;
* what was captured (case, who, how, what, why, when, the deadline) never changes;
* completion and the in-error mark are set once, never cleared or changed, and never both
  (the CHECKs and the update trigger below);
* the decision record that completes a follow-up is on the same case (migration 4's
  ``decisions``), and completes only that one follow-up (``UNIQUE``).

The chronology reads ``shared_at`` (UTC text, ``YYYY-MM-DDTHH:MM:SS+00:00``) through the
index on ``(case_id, shared_at, id)``; the banner and reminders read the open ones by due
time through a partial index.

Trigger messages are written for people: the services show them as they are.
"""

from typing import Any

VERSION = 5
DESCRIPTION = "emergency shares and their follow-ups"

HOW_CODES = ("phone", "in_person", "secure_email", "other")

_SCHEMA = [
    f"""
    CREATE TABLE emergency_shares (
        id INTEGER PRIMARY KEY,
        case_id INTEGER NOT NULL REFERENCES cases(id),
        shared_with_organisation TEXT NOT NULL DEFAULT '',
        shared_with_person TEXT NOT NULL DEFAULT '',
        shared_with_contact TEXT NOT NULL DEFAULT '',
        how TEXT NOT NULL CHECK (how IN ({", ".join(f"'{code}'" for code in HOW_CODES)})),
        what_shared TEXT NOT NULL CHECK (trim(what_shared) <> ''),
        why TEXT NOT NULL CHECK (trim(why) <> ''),
        summary TEXT NOT NULL,
        shared_at TEXT NOT NULL,
        recorded_at TEXT NOT NULL,
        recorded_by TEXT NOT NULL,
        deadline_hours INTEGER NOT NULL CHECK (deadline_hours BETWEEN 1 AND 168),
        due_at TEXT NOT NULL,
        completed_decision_id INTEGER UNIQUE REFERENCES decisions(id),
        completed_at TEXT,
        completed_by TEXT,
        in_error_reason TEXT NOT NULL DEFAULT '',
        in_error_at TEXT,
        in_error_by TEXT,
        CHECK (trim(shared_with_organisation) <> '' OR trim(shared_with_person) <> ''),
        CHECK (due_at > shared_at),
        CHECK ((completed_decision_id IS NULL) = (completed_at IS NULL)),
        CHECK ((completed_at IS NULL) = (completed_by IS NULL)),
        CHECK ((in_error_at IS NULL) = (in_error_by IS NULL)),
        CHECK (in_error_at IS NULL OR trim(in_error_reason) <> ''),
        CHECK (completed_at IS NULL OR in_error_at IS NULL)
    ) STRICT
    """,
    "CREATE INDEX emergency_shares_by_case ON emergency_shares (case_id, shared_at, id)",
    "CREATE INDEX emergency_shares_by_time ON emergency_shares (shared_at, id)",
    """
    CREATE INDEX emergency_shares_open ON emergency_shares (due_at, id)
        WHERE completed_at IS NULL AND in_error_at IS NULL
    """,
    """
    CREATE TRIGGER emergency_shares_no_delete BEFORE DELETE ON emergency_shares
    BEGIN
        SELECT RAISE(ABORT, 'An emergency share cannot be deleted, and its follow-up cannot be dismissed. Write it up, or mark it as recorded in error with a reason.');
    END
    """,
    """
    CREATE TRIGGER emergency_shares_guard_update BEFORE UPDATE ON emergency_shares
    BEGIN
        SELECT RAISE(ABORT, 'What was recorded about an emergency share cannot be changed. Add the details in the write-up.')
        WHERE NEW.id IS NOT OLD.id OR NEW.case_id IS NOT OLD.case_id
           OR NEW.shared_with_organisation IS NOT OLD.shared_with_organisation
           OR NEW.shared_with_person IS NOT OLD.shared_with_person
           OR NEW.shared_with_contact IS NOT OLD.shared_with_contact
           OR NEW.how IS NOT OLD.how OR NEW.what_shared IS NOT OLD.what_shared OR NEW.why IS NOT OLD.why
           OR NEW.summary IS NOT OLD.summary OR NEW.shared_at IS NOT OLD.shared_at
           OR NEW.recorded_at IS NOT OLD.recorded_at OR NEW.recorded_by IS NOT OLD.recorded_by
           OR NEW.deadline_hours IS NOT OLD.deadline_hours OR NEW.due_at IS NOT OLD.due_at;
        SELECT RAISE(ABORT, 'A completed follow-up stays completed and linked to its decision record.')
        WHERE OLD.completed_at IS NOT NULL
          AND (NEW.completed_at IS NOT OLD.completed_at
               OR NEW.completed_decision_id IS NOT OLD.completed_decision_id
               OR NEW.completed_by IS NOT OLD.completed_by);
        SELECT RAISE(ABORT, 'An emergency share marked as recorded in error stays marked, with its original reason.')
        WHERE OLD.in_error_at IS NOT NULL
          AND (NEW.in_error_at IS NOT OLD.in_error_at OR NEW.in_error_reason IS NOT OLD.in_error_reason
               OR NEW.in_error_by IS NOT OLD.in_error_by);
        SELECT RAISE(ABORT, 'The reason for marking an emergency share in error can only be given with the mark.')
        WHERE OLD.in_error_at IS NULL AND NEW.in_error_at IS NULL
          AND NEW.in_error_reason IS NOT OLD.in_error_reason;
        SELECT RAISE(ABORT, 'An emergency share can only be written up by a decision record on its own case.')
        WHERE NEW.completed_decision_id IS NOT NULL AND OLD.completed_decision_id IS NULL
          AND NOT EXISTS (
              SELECT 1 FROM decisions d WHERE d.id = NEW.completed_decision_id AND d.case_id = NEW.case_id);
    END
    """,
]


def apply(conn: Any) -> None:
    for statement in _SCHEMA:
        conn.execute(statement)
