"""What is typed in the emergency "Share now" form before it is recorded.

A practitioner sharing in an emergency may be interrupted: the application locks itself,
or the laptop dies. What they typed is kept here, encrypted like everything in the vault,
and offered back at the next unlock. One row per open form (``token``); recording the
share deletes its row in the same transaction.

Not the note ``drafts`` table: the case screens offer every draft back as a *note* to
continue in the note editor, which an emergency capture is not. Not audited either, like
note drafts: these are not records and change every few seconds. Rows are deleted, not
kept: ``secure_delete`` overwrites their pages.
"""

from typing import Any

VERSION = 8
DESCRIPTION = "what is typed in the emergency form before it is recorded"

_STATEMENTS = [
    """
    CREATE TABLE emergency_captures (
        token TEXT PRIMARY KEY CHECK (length(token) BETWEEN 1 AND 64),
        payload TEXT NOT NULL CHECK (json_valid(payload)),
        kept_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
    ) WITHOUT ROWID
    """,
    # Any capture an earlier build kept in the key-value table moves here.
    """
    INSERT INTO emergency_captures (token, payload)
    SELECT substr(key, length('emergency.unfinished_capture:') + 1), value
    FROM settings
    WHERE substr(key, 1, length('emergency.unfinished_capture:')) = 'emergency.unfinished_capture:'
      AND json_valid(value) AND length(key) > length('emergency.unfinished_capture:')
    """,
    "DELETE FROM settings WHERE substr(key, 1, length('emergency.unfinished_capture:')) = 'emergency.unfinished_capture:'",
]


def apply(conn: Any) -> None:
    for statement in _STATEMENTS:
        conn.execute(statement)
