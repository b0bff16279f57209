"""Notes and their revisions: rows in, domain dataclasses out.

A note is an identity (case, original author, when it was recorded) plus a chain of
revisions; ``notes.current_revision_id`` points at the one that reads now. The triggers
in migration 3 make revisions unchangeable and keep the search index on the current
text; these functions run inside the caller's transaction and never validate or audit.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from desktop_app.domain.records import (
    Note,
    NoteMark,
    NoteRevision,
    ValidNote,
    category_label,
    split_flags,
)
from desktop_app.store.chronology import ChronologySource, register_source

Connection = Any  # a sqlcipher3 connection

# Flags for a note ``n`` whose current revision is ``r`` (see domain.records.FLAG_LABELS).
NOTE_FLAGS_SQL = """concat_ws(',',
    CASE WHEN r.revision > 1 THEN 'amended' END,
    n.marked_kind,
    CASE WHEN EXISTS (SELECT 1 FROM note_people np JOIN people p ON p.id = np.person_id
                      WHERE np.revision_id = r.id AND p.protect_identity = 1) THEN 'protected' END,
    CASE WHEN EXISTS (SELECT 1 FROM attachments a WHERE a.note_id = n.id) THEN 'attachments' END)"""

_REVISION_COLUMNS = (
    "r.id, r.note_id, r.revision, r.occurred_at, r.category, r.source, r.source_person_id, r.source_name, "
    "r.text, r.reason, r.author, r.recorded_at"
)


def _revision(row: Sequence[Any]) -> NoteRevision:
    return NoteRevision(*row)


def insert_note(
    conn: Connection, case_id: int, note: ValidNote, *, now: str, moved_from_note_id: int | None = None
) -> tuple[int, int]:
    """A new note and its first revision; returns (note id, revision id)."""
    cursor = conn.execute(
        "INSERT INTO notes (case_id, author, recorded_at, occurred_at, category, moved_from_note_id) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        (case_id, note.author, now, note.occurred_at, note.category, moved_from_note_id),
    )
    note_id: int = cursor.lastrowid
    revision_id = _insert_revision(conn, note_id, 1, note, "", now)
    _point_at(conn, note_id, revision_id, note)
    return note_id, revision_id


def insert_amendment(conn: Connection, note_id: int, revision: int, note: ValidNote, reason: str, *, now: str) -> int:
    """A new revision that becomes the current one; the earlier ones stay as they are."""
    revision_id = _insert_revision(conn, note_id, revision, note, reason, now)
    _point_at(conn, note_id, revision_id, note)
    return revision_id


def _insert_revision(conn: Connection, note_id: int, revision: int, note: ValidNote, reason: str, now: str) -> int:
    cursor = conn.execute(
        "INSERT INTO note_revisions (note_id, revision, occurred_at, category, source, source_person_id, "
        "source_name, reason, author, recorded_at, preview, text) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            note_id,
            revision,
            note.occurred_at,
            note.category,
            note.source,
            note.source_person_id,
            note.source_name,
            reason,
            note.author,
            now,
            note.preview,
            note.text,
        ),
    )
    revision_id: int = cursor.lastrowid
    return revision_id


def _point_at(conn: Connection, note_id: int, revision_id: int, note: ValidNote) -> None:
    conn.execute(
        "UPDATE notes SET current_revision_id = ?, occurred_at = ?, category = ? WHERE id = ?",
        (revision_id, note.occurred_at, note.category, note_id),
    )


def mark(conn: Connection, note_id: int, kind: str, reason: str, *, now: str, by: str) -> None:
    conn.execute(
        "UPDATE notes SET marked_kind = ?, marked_reason = ?, marked_at = ?, marked_by = ? WHERE id = ?",
        (kind, reason, now, by, note_id),
    )


def set_people(conn: Connection, revision_id: int, person_ids: Iterable[int], *, new: bool = False) -> None:
    """Who appears in a revision (its source and the people named in it); ``new`` for a
    revision just saved, which has nobody recorded yet."""
    if not new:
        conn.execute("DELETE FROM note_people WHERE revision_id = ?", (revision_id,))
    rows = [(revision_id, pid) for pid in sorted(set(person_ids))]
    if rows:
        conn.executemany("INSERT INTO note_people (revision_id, person_id) VALUES (?, ?)", rows)


def case_people(conn: Connection, case_id: int) -> dict[int, set[int]]:
    """Who is recorded as appearing in each revision of a case's notes."""
    found: dict[int, set[int]] = {}
    for revision_id, person_id in conn.execute(
        "SELECT np.revision_id, np.person_id FROM notes n JOIN note_revisions r ON r.note_id = n.id "
        "JOIN note_people np ON np.revision_id = r.id WHERE n.case_id = ?",
        (case_id,),
    ):
        found.setdefault(revision_id, set()).add(person_id)
    return found


def case_revisions(conn: Connection, case_id: int) -> Iterable[tuple[int, str, int | None]]:
    """(revision id, text, source person id) of every revision of a case's notes, one at
    a time, to recompute who appears in them."""
    return conn.execute(  # type: ignore[no-any-return]
        "SELECT r.id, r.text, r.source_person_id FROM notes n JOIN note_revisions r ON r.note_id = n.id "
        "WHERE n.case_id = ?",
        (case_id,),
    )


def get_note(conn: Connection, note_id: int) -> Note | None:
    row = conn.execute(
        "SELECT n.id, n.case_id, n.author, n.recorded_at, n.moved_from_note_id, "
        "n.marked_kind, n.marked_reason, n.marked_at, n.marked_by, "
        "(SELECT m.id FROM notes m WHERE m.moved_from_note_id = n.id), "
        f"{NOTE_FLAGS_SQL}, {_REVISION_COLUMNS} "
        "FROM notes n JOIN note_revisions r ON r.id = n.current_revision_id WHERE n.id = ?",
        (note_id,),
    ).fetchone()
    if row is None:
        return None
    mark_ = NoteMark(row[5], row[6], row[7], row[8]) if row[7] is not None else None
    return Note(
        id=row[0],
        case_id=row[1],
        author=row[2],
        recorded_at=row[3],
        current=_revision(row[11:]),
        mark=mark_,
        moved_from_note_id=row[4],
        moved_to_note_id=row[9],
        flags=split_flags(row[10]),
    )


def revisions(conn: Connection, note_id: int) -> list[NoteRevision]:
    """Every revision of a note, the original first."""
    rows = conn.execute(
        f"SELECT {_REVISION_COLUMNS} FROM note_revisions r WHERE r.note_id = ? ORDER BY r.revision", (note_id,)
    ).fetchall()
    return [_revision(row) for row in rows]


register_source(
    ChronologySource(
        kind="note",
        sql=f"""
            SELECT n.case_id AS case_id, n.occurred_at AS occurred_at, n.recorded_at AS recorded_at,
                   'note' AS kind, n.id AS item_id, n.category AS title, r.preview AS summary,
                   {NOTE_FLAGS_SQL} AS flags
            FROM notes n JOIN note_revisions r ON r.id = n.current_revision_id
        """,
        format_title=category_label,
        count_sql="SELECT case_id FROM notes",
    )
)
