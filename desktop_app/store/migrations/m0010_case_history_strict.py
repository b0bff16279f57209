"""A change to a case's details must match the newest entry of its history.

Migration 7 refused a change to a child's name, date of birth, identifiers, reference or
key worker unless a history row carried the same time. Raw SQL could still reuse an
*older* row's time and quietly put back an earlier name with no new history. Now the row
must be the case's newest, and every changed detail must equal what that row says it
became: a change with no history of its own cannot be made, even by hand.
"""

from typing import Any

from desktop_app.store.migrations.m0007_case_history import NEEDS_HISTORY

VERSION = 10
DESCRIPTION = "a change to a case's details must match the newest history entry"

_SCALAR = ("reference", "subject_name", "subject_date_of_birth", "key_worker")
_ALL = (*_SCALAR, "subject_identifiers")


def _sql_text(message: str) -> str:
    return "'" + message.replace("'", "''") + "'"


def _matches(column: str) -> str:
    """The column is unchanged, or the history row lists it and says it became this."""
    became = f"json_extract(h.after, '$.{column}')"
    new = f"json(NEW.{column})" if column == "subject_identifiers" else f"NEW.{column}"
    listed = f"EXISTS (SELECT 1 FROM json_each(h.fields) f WHERE f.value = '{column}')"
    return f"(NEW.{column} IS OLD.{column} OR ({listed} AND {became} IS {new}))"


_STATEMENTS = [
    "DROP TRIGGER cases_details_need_history",
    f"""
    CREATE TRIGGER cases_details_need_history BEFORE UPDATE ON cases
    WHEN {" OR ".join(f"NEW.{c} IS NOT OLD.{c}" for c in _ALL)}
    BEGIN
        SELECT RAISE(ABORT, {_sql_text(NEEDS_HISTORY)})
        WHERE NOT EXISTS (
            SELECT 1 FROM case_detail_changes h
            WHERE h.case_id = NEW.id
              AND h.recorded_at = NEW.updated_at
              AND h.id = (SELECT max(id) FROM case_detail_changes WHERE case_id = NEW.id)
              AND {" AND ".join(_matches(c) for c in _ALL)});
    END
    """,
]


def apply(conn: Any) -> None:
    for statement in _STATEMENTS:
        conn.execute(statement)
