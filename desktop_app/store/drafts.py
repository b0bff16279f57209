"""Drafts: a note being typed, kept in the encrypted vault so that a crash, a flat
battery or an automatic lock loses nothing.

Drafts are not records. They change every few seconds and go when the note is saved or
the draft discarded; with ``secure_delete`` on, the freed pages are overwritten.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from desktop_app.domain.records import Draft

Connection = Any  # a sqlcipher3 connection

_COLUMNS = "id, case_id, note_id, text, fields, created_at, updated_at"


def _draft(row: Sequence[Any]) -> Draft:
    return Draft(
        id=row[0],
        case_id=row[1],
        note_id=row[2],
        text=row[3],
        fields=json.loads(row[4]),
        created_at=row[5],
        updated_at=row[6],
    )


def _fields_json(fields: Mapping[str, str]) -> str:
    return json.dumps(dict(fields), ensure_ascii=False, sort_keys=True)


def insert(
    conn: Connection, *, case_id: int | None, note_id: int | None, text: str, fields: Mapping[str, str], now: str
) -> int:
    cursor = conn.execute(
        "INSERT INTO drafts (case_id, note_id, text, fields, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)",
        (case_id, note_id, text, _fields_json(fields), now, now),
    )
    draft_id: int = cursor.lastrowid
    return draft_id


def update(conn: Connection, draft_id: int, *, text: str, fields: Mapping[str, str], now: str) -> bool:
    """Overwrite a draft; False if it no longer exists (discarded in another window)."""
    cursor = conn.execute(
        "UPDATE drafts SET text = ?, fields = ?, updated_at = ? WHERE id = ?",
        (text, _fields_json(fields), now, draft_id),
    )
    return bool(cursor.rowcount)


def get(conn: Connection, draft_id: int) -> Draft | None:
    row = conn.execute(f"SELECT {_COLUMNS} FROM drafts WHERE id = ?", (draft_id,)).fetchone()
    return _draft(row) if row else None


def list_drafts(conn: Connection, case_id: int | None = None) -> list[Draft]:
    """Drafts, most recently touched first; all of them, or one case's."""
    if case_id is None:
        rows = conn.execute(f"SELECT {_COLUMNS} FROM drafts ORDER BY updated_at DESC, id DESC")
    else:
        rows = conn.execute(
            f"SELECT {_COLUMNS} FROM drafts WHERE case_id = ? ORDER BY updated_at DESC, id DESC", (case_id,)
        )
    return [_draft(row) for row in rows]


def delete(conn: Connection, draft_id: int) -> bool:
    cursor = conn.execute("DELETE FROM drafts WHERE id = ?", (draft_id,))
    return bool(cursor.rowcount)
