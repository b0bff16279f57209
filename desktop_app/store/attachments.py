"""Attachments (photos, letters, documents) kept inside the encrypted database.

The bytes live in ``attachment_contents``, apart from the metadata, so listing a case's
attachments never reads them; SQLCipher encrypts them like every other page, so there is
never a plaintext copy on disk. Each has a SHA-256 recorded when it was added; reading
checks it, so damage or tampering is reported rather than handed to a viewer.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any

from desktop_app.domain.records import Attachment
from desktop_app.errors import VaultDamaged
from desktop_app.store.chronology import ChronologySource, register_source

Connection = Any  # a sqlcipher3 connection

_COLUMNS = (
    "a.id, a.case_id, a.note_id, a.filename, a.media_type, a.size, a.sha256, a.description, a.added_at, "
    "a.added_by, a.marked_reason, a.marked_at"
)


def _attachment(row: Sequence[Any]) -> Attachment:
    return Attachment(*row)


def insert(
    conn: Connection,
    *,
    case_id: int,
    note_id: int | None,
    filename: str,
    media_type: str,
    data: bytes,
    sha256: str,
    description: str,
    now: str,
    by: str,
) -> int:
    cursor = conn.execute(
        "INSERT INTO attachments (case_id, note_id, filename, media_type, size, sha256, description, added_at, "
        "added_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (case_id, note_id, filename, media_type, len(data), sha256, description, now, by),
    )
    attachment_id: int = cursor.lastrowid
    conn.execute("INSERT INTO attachment_contents (attachment_id, data) VALUES (?, ?)", (attachment_id, data))
    return attachment_id


def mark_in_error(conn: Connection, attachment_id: int, reason: str, *, now: str, by: str) -> None:
    conn.execute(
        "UPDATE attachments SET marked_reason = ?, marked_at = ?, marked_by = ? WHERE id = ?",
        (reason, now, by, attachment_id),
    )


def get(conn: Connection, attachment_id: int) -> Attachment | None:
    row = conn.execute(f"SELECT {_COLUMNS} FROM attachments a WHERE a.id = ?", (attachment_id,)).fetchone()
    return _attachment(row) if row else None


def list_for_case(conn: Connection, case_id: int, note_id: int | None = None) -> list[Attachment]:
    """A case's attachments (or one note's), oldest first."""
    if note_id is None:
        rows = conn.execute(
            f"SELECT {_COLUMNS} FROM attachments a WHERE a.case_id = ? ORDER BY a.added_at, a.id", (case_id,)
        )
    else:
        rows = conn.execute(
            f"SELECT {_COLUMNS} FROM attachments a WHERE a.case_id = ? AND a.note_id = ? ORDER BY a.added_at, a.id",
            (case_id, note_id),
        )
    return [_attachment(row) for row in rows]


def read_verified(conn: Connection, attachment: Attachment) -> bytes:
    """The attachment's bytes, after checking them against the recorded SHA-256."""
    row = conn.execute("SELECT data FROM attachment_contents WHERE attachment_id = ?", (attachment.id,)).fetchone()
    data = bytes(row[0]) if row else None
    if data is None or len(data) != attachment.size or hashlib.sha256(data).hexdigest() != attachment.sha256:
        raise VaultDamaged(
            f"The attachment '{attachment.filename}' does not match the fingerprint recorded when it was "
            "added, so it has not been opened.",
            "The rest of the vault is not affected. Run 'casenotes check' and, if it reports damage, "
            "restore your most recent backup into a new folder.",
        )
    return data


register_source(
    ChronologySource(
        kind="attachment",
        sql="""
            SELECT a.case_id AS case_id, substr(a.added_at, 1, 19) || '+00:00' AS occurred_at,
                   a.added_at AS recorded_at, 'attachment' AS kind, a.id AS item_id,
                   a.filename AS title, a.description AS summary,
                   CASE WHEN a.marked_at IS NOT NULL THEN 'in_error' ELSE '' END AS flags
            FROM attachments a
            WHERE a.note_id IS NULL
        """,
    )
)
