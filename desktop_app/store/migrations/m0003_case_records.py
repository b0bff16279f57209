"""Case records: cases, the people around them, notes with their revisions, attachments,
drafts, and the full-text index over notes.

The rules that make the record court-safe are enforced here, in triggers, as well as in
the services, so that no code path (and no hurried fix with raw SQL) can quietly change
history:

* A note's saved text lives in ``note_revisions``, which can never be updated or deleted.
  A correction is a new revision with a reason; ``notes.current_revision_id`` may only
  move forward to a later revision of the same note, and the cached ``occurred_at`` and
  ``category`` on ``notes`` must match that revision.
* Notes, cases, people, attachments and status changes cannot be deleted. A note or
  attachment recorded in error is *marked* so, with a reason, once, and stays.
* Drafts are not records: they are updated as someone types and deleted when saved or
  discarded (``secure_delete`` overwrites the freed pages).

The full-text index ``note_search`` is an external-content FTS5 table over the view
``note_search_content`` (the current revision of each note), kept in step by a trigger
when a note's current revision changes. Because the content is the *current* text
only, FTS5's own ``rebuild`` and ``integrity-check`` commands give the right answer.

Trigger messages are written for people: the services turn them into errors shown as-is.
"""

from typing import Any

VERSION = 3
DESCRIPTION = "case records: cases, people, notes, attachments, drafts, search"

_SCHEMA = [
    # -- cases ---------------------------------------------------------------------------
    """
    CREATE TABLE cases (
        id INTEGER PRIMARY KEY,
        reference TEXT NOT NULL COLLATE NOCASE UNIQUE,
        subject_name TEXT NOT NULL,
        subject_date_of_birth TEXT,
        subject_identifiers TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(subject_identifiers)),
        key_worker TEXT NOT NULL DEFAULT '',
        status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'closed')),
        closed_on TEXT,
        closed_reason TEXT NOT NULL DEFAULT '',
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        CHECK (status = 'open' OR (closed_on IS NOT NULL AND closed_reason <> ''))
    ) STRICT
    """,
    # Every opening, closing and reopening, kept for the chronology and never changed.
    """
    CREATE TABLE case_status_changes (
        id INTEGER PRIMARY KEY,
        case_id INTEGER NOT NULL REFERENCES cases(id),
        status TEXT NOT NULL CHECK (status IN ('open', 'closed')),
        effective_on TEXT NOT NULL,
        occurred_at TEXT NOT NULL,
        reason TEXT NOT NULL DEFAULT '',
        recorded_at TEXT NOT NULL,
        recorded_by TEXT NOT NULL
    ) STRICT
    """,
    "CREATE INDEX case_status_changes_by_case ON case_status_changes (case_id, occurred_at, id)",
    # -- people --------------------------------------------------------------------------
    """
    CREATE TABLE people (
        id INTEGER PRIMARY KEY,
        case_id INTEGER NOT NULL REFERENCES cases(id),
        name TEXT NOT NULL,
        relationship TEXT NOT NULL,
        contact TEXT NOT NULL DEFAULT '',
        protect_identity INTEGER NOT NULL DEFAULT 0 CHECK (protect_identity IN (0, 1)),
        protect_reason TEXT NOT NULL DEFAULT '',
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        CHECK (protect_identity = 0 OR trim(protect_reason) <> '')
    ) STRICT
    """,
    "CREATE INDEX people_by_case ON people (case_id, name)",
    # -- notes ---------------------------------------------------------------------------
    """
    CREATE TABLE notes (
        id INTEGER PRIMARY KEY,
        case_id INTEGER NOT NULL REFERENCES cases(id),
        author TEXT NOT NULL,
        recorded_at TEXT NOT NULL,
        occurred_at TEXT NOT NULL,
        category TEXT NOT NULL,
        current_revision_id INTEGER REFERENCES note_revisions(id),
        moved_from_note_id INTEGER REFERENCES notes(id),
        marked_kind TEXT CHECK (marked_kind IN ('in_error', 'wrong_case')),
        marked_reason TEXT,
        marked_at TEXT,
        marked_by TEXT,
        CHECK ((marked_kind IS NULL) = (marked_at IS NULL)),
        CHECK (marked_at IS NULL OR trim(coalesce(marked_reason, '')) <> '')
    ) STRICT
    """,
    "CREATE INDEX notes_by_case_time ON notes (case_id, occurred_at, id)",
    "CREATE UNIQUE INDEX notes_by_current_revision ON notes (current_revision_id)",
    # Every foreign-key column has a full index (not a partial one, which foreign-key checks
    # cannot use): without it, each insert under deferred checks scans the whole table.
    "CREATE INDEX notes_moved_from ON notes (moved_from_note_id)",
    # ``preview`` sits before ``text`` so lists read it without touching long bodies.
    """
    CREATE TABLE note_revisions (
        id INTEGER PRIMARY KEY,
        note_id INTEGER NOT NULL REFERENCES notes(id),
        revision INTEGER NOT NULL CHECK (revision >= 1),
        occurred_at TEXT NOT NULL,
        category TEXT NOT NULL,
        source TEXT NOT NULL,
        source_person_id INTEGER REFERENCES people(id),
        source_name TEXT NOT NULL DEFAULT '',
        reason TEXT NOT NULL DEFAULT '',
        author TEXT NOT NULL,
        recorded_at TEXT NOT NULL,
        preview TEXT NOT NULL,
        text TEXT NOT NULL,
        UNIQUE (note_id, revision),
        CHECK (revision = 1 OR trim(reason) <> '')
    ) STRICT
    """,
    # Who appears in each revision: its source, and people on the case named in its text.
    # Derived data (recomputed when a person is added or renamed), so it may change; it
    # lets every list mark records that involve a protected person (golden rule 5), and
    # follows the person's protection as it is now, not as it was when the note was saved.
    """
    CREATE TABLE note_people (
        revision_id INTEGER NOT NULL REFERENCES note_revisions(id),
        person_id INTEGER NOT NULL REFERENCES people(id),
        PRIMARY KEY (revision_id, person_id)
    ) STRICT, WITHOUT ROWID
    """,
    # -- attachments ---------------------------------------------------------------------
    """
    CREATE TABLE attachments (
        id INTEGER PRIMARY KEY,
        case_id INTEGER NOT NULL REFERENCES cases(id),
        note_id INTEGER REFERENCES notes(id),
        filename TEXT NOT NULL,
        media_type TEXT NOT NULL,
        size INTEGER NOT NULL CHECK (size >= 0),
        sha256 TEXT NOT NULL CHECK (length(sha256) = 64),
        description TEXT NOT NULL DEFAULT '',
        added_at TEXT NOT NULL,
        added_by TEXT NOT NULL,
        marked_reason TEXT NOT NULL DEFAULT '',
        marked_at TEXT,
        marked_by TEXT,
        CHECK (marked_at IS NULL OR trim(marked_reason) <> '')
    ) STRICT
    """,
    "CREATE INDEX attachments_by_case ON attachments (case_id, added_at, id)",
    "CREATE INDEX attachments_by_note ON attachments (note_id)",
    # Contents apart from the metadata, so listing attachments never reads the bytes.
    """
    CREATE TABLE attachment_contents (
        attachment_id INTEGER PRIMARY KEY REFERENCES attachments(id),
        data BLOB NOT NULL
    ) STRICT
    """,
    # -- drafts --------------------------------------------------------------------------
    """
    CREATE TABLE drafts (
        id INTEGER PRIMARY KEY,
        case_id INTEGER REFERENCES cases(id),
        note_id INTEGER REFERENCES notes(id),
        fields TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(fields)),
        text TEXT NOT NULL DEFAULT '',
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
    ) STRICT
    """,
    "CREATE INDEX drafts_by_case ON drafts (case_id, updated_at)",
    "CREATE INDEX drafts_by_note ON drafts (note_id)",
    "CREATE INDEX note_revisions_by_person ON note_revisions (source_person_id)",
    "CREATE INDEX note_people_by_person ON note_people (person_id)",
    # -- search --------------------------------------------------------------------------
    """
    CREATE VIEW note_search_content AS
        SELECT r.id AS id, r.text AS text
        FROM notes n JOIN note_revisions r ON r.id = n.current_revision_id
    """,
    """
    CREATE VIRTUAL TABLE note_search USING fts5(
        text,
        content = 'note_search_content',
        content_rowid = 'id',
        tokenize = 'porter unicode61 remove_diacritics 2'
    )
    """,
]

_NO_DELETE = {
    "cases": "A case cannot be deleted: it stays in the record. Close it instead.",
    "case_status_changes": "A case's status history cannot be changed.",
    "people": "A person on a case cannot be deleted; edit their details instead.",
    "notes": "A saved note cannot be deleted. Mark it as recorded in error instead, with a reason.",
    "note_revisions": "A saved note cannot be deleted. Mark it as recorded in error instead, with a reason.",
    "attachments": "A saved attachment cannot be deleted. Mark it as added in error instead, with a reason.",
    "attachment_contents": "A saved attachment cannot be deleted. Mark it as added in error instead, with a reason.",
}

_NO_UPDATE = {
    "case_status_changes": "A case's status history cannot be changed.",
    "note_revisions": "A saved note cannot be changed. Record an amendment instead, with a reason.",
    "attachment_contents": "A saved attachment cannot be changed. Add the new version as another attachment.",
}

_TRIGGERS = [
    # Notes: only the current revision (forward, same note) and a one-time mark may change.
    """
    CREATE TRIGGER notes_guard_update BEFORE UPDATE ON notes
    BEGIN
        SELECT RAISE(ABORT, 'A saved note cannot be changed. Record an amendment instead, with a reason.')
        WHERE NEW.id IS NOT OLD.id OR NEW.case_id IS NOT OLD.case_id OR NEW.author IS NOT OLD.author
           OR NEW.recorded_at IS NOT OLD.recorded_at OR NEW.moved_from_note_id IS NOT OLD.moved_from_note_id;
        SELECT RAISE(ABORT, 'A note marked in error stays marked, with its original reason.')
        WHERE OLD.marked_at IS NOT NULL
          AND (NEW.marked_at IS NOT OLD.marked_at OR NEW.marked_kind IS NOT OLD.marked_kind
               OR NEW.marked_reason IS NOT OLD.marked_reason OR NEW.marked_by IS NOT OLD.marked_by);
        SELECT RAISE(ABORT, 'A note can only move forward to a later revision of itself.')
        WHERE NEW.current_revision_id IS NOT OLD.current_revision_id
          AND NOT EXISTS (
              SELECT 1 FROM note_revisions r
              WHERE r.id = NEW.current_revision_id AND r.note_id = NEW.id
                AND r.revision > coalesce(
                    (SELECT o.revision FROM note_revisions o WHERE o.id = OLD.current_revision_id), 0));
        SELECT RAISE(ABORT, 'A note''s date and category must match its current revision.')
        WHERE NEW.current_revision_id IS NOT NULL
          AND NOT EXISTS (
              SELECT 1 FROM note_revisions r
              WHERE r.id = NEW.current_revision_id
                AND r.occurred_at = NEW.occurred_at AND r.category = NEW.category);
    END
    """,
    # Keep the search index on the current text: out with the old revision, in with the new.
    """
    CREATE TRIGGER notes_index_current AFTER UPDATE OF current_revision_id ON notes
    WHEN NEW.current_revision_id IS NOT OLD.current_revision_id
    BEGIN
        INSERT INTO note_search (note_search, rowid, text)
            SELECT 'delete', id, text FROM note_revisions WHERE id = OLD.current_revision_id;
        INSERT INTO note_search (rowid, text)
            SELECT id, text FROM note_revisions WHERE id = NEW.current_revision_id;
    END
    """,
    """
    CREATE TRIGGER notes_index_new AFTER INSERT ON notes
    WHEN NEW.current_revision_id IS NOT NULL
    BEGIN
        INSERT INTO note_search (rowid, text)
            SELECT id, text FROM note_revisions WHERE id = NEW.current_revision_id;
    END
    """,
    # Attachments: metadata stays; the only change allowed is the one-time mark in error.
    """
    CREATE TRIGGER attachments_guard_update BEFORE UPDATE ON attachments
    BEGIN
        SELECT RAISE(ABORT, 'A saved attachment cannot be changed. Add the new version as another attachment.')
        WHERE NEW.id IS NOT OLD.id OR NEW.case_id IS NOT OLD.case_id OR NEW.note_id IS NOT OLD.note_id
           OR NEW.filename IS NOT OLD.filename OR NEW.media_type IS NOT OLD.media_type
           OR NEW.size IS NOT OLD.size OR NEW.sha256 IS NOT OLD.sha256
           OR NEW.description IS NOT OLD.description
           OR NEW.added_at IS NOT OLD.added_at OR NEW.added_by IS NOT OLD.added_by;
        SELECT RAISE(ABORT, 'An attachment marked in error stays marked, with its original reason.')
        WHERE OLD.marked_at IS NOT NULL
          AND (NEW.marked_at IS NOT OLD.marked_at OR NEW.marked_reason IS NOT OLD.marked_reason
               OR NEW.marked_by IS NOT OLD.marked_by);
    END
    """,
]


def _sql_text(message: str) -> str:
    return "'" + message.replace("'", "''") + "'"


def apply(conn: Any) -> None:
    for statement in _SCHEMA:
        conn.execute(statement)
    for table, message in _NO_DELETE.items():
        conn.execute(
            f"CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table} "
            f"BEGIN SELECT RAISE(ABORT, {_sql_text(message)}); END"
        )
    for table, message in _NO_UPDATE.items():
        conn.execute(
            f"CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table} "
            f"BEGIN SELECT RAISE(ABORT, {_sql_text(message)}); END"
        )
    for statement in _TRIGGERS:
        conn.execute(statement)
