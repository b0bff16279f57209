"""Exports recorded against their decision, and information received in verified bundles.

* ``exports``: one row per file that left the vault (a share packet or a subject access
  export): the case, the decision it was shared under (NULL for an export made outside a
  decision, which is still recorded), what went as ids (``items``: note ids, people ids,
  case field keys, counts of redactions), the recipient, the format and protection, the
  SHA-256 and size of the bytes written, the file name (never a path), when and by whom,
  and the audit event written in the same transaction. **Never the content**: the
  records hold what was said; this row says which records went where.
* ``received_bundles`` and ``received_bundle_files``: a bundle someone sent us, imported
  after ``export/verify.py`` checked its encryption, signature and every file, kept on a
  chosen case and optionally linked to a request received (migration 4). The verified
  members (manifest, signature, packet JSON, PDF) are kept as they arrived, inside the
  encrypted database, so the proof travels with the information.

Both are records: never updated or deleted (triggers, with messages for people). The
chronology reads them through ``(case_id, time, id)`` indexes.
"""

from typing import Any

VERSION = 6
DESCRIPTION = "exports recorded against their decision; information received in verified bundles"

_SCHEMA = [
    """
    CREATE TABLE exports (
        id INTEGER PRIMARY KEY,
        case_id INTEGER NOT NULL REFERENCES cases(id),
        decision_id INTEGER REFERENCES decisions(id),
        person_id INTEGER REFERENCES people(id),
        kind TEXT NOT NULL CHECK (kind IN ('share_packet', 'subject_access')),
        packet_id TEXT NOT NULL UNIQUE CHECK (length(trim(packet_id)) BETWEEN 1 AND 64),
        items TEXT NOT NULL CHECK (json_valid(items) AND json_type(items) = 'object'),
        recipient_organisation TEXT NOT NULL DEFAULT '',
        recipient_person TEXT NOT NULL DEFAULT '',
        recipient_secure_route TEXT NOT NULL DEFAULT '',
        format TEXT NOT NULL CHECK (format IN ('pdf', 'age')),
        protection TEXT NOT NULL CHECK (protection IN ('pdf-password', 'age-key', 'age-passphrase')),
        output_sha256 TEXT NOT NULL CHECK (length(output_sha256) = 64),
        output_size INTEGER NOT NULL CHECK (output_size > 0),
        manifest_sha256 TEXT CHECK (manifest_sha256 IS NULL OR length(manifest_sha256) = 64),
        signer_fingerprint TEXT,
        destination TEXT NOT NULL DEFAULT '',
        protective_marking TEXT NOT NULL CHECK (trim(protective_marking) <> ''),
        exported_at TEXT NOT NULL,
        recorded_at TEXT NOT NULL,
        exported_by TEXT NOT NULL,
        audit_event_id INTEGER NOT NULL UNIQUE REFERENCES audit_events(id),
        summary TEXT NOT NULL,
        CHECK ((format = 'pdf') = (protection = 'pdf-password')),
        CHECK ((format = 'age') = (manifest_sha256 IS NOT NULL)),
        CHECK (kind = 'share_packet' OR decision_id IS NULL),
        CHECK (kind = 'subject_access' OR person_id IS NULL),
        CHECK (instr(destination, '/') = 0 AND instr(destination, char(92)) = 0)
    ) STRICT
    """,
    "CREATE INDEX exports_by_case ON exports (case_id, exported_at, id)",
    "CREATE INDEX exports_by_decision ON exports (decision_id)",
    "CREATE INDEX exports_by_person ON exports (person_id)",
    """
    CREATE TABLE received_bundles (
        id INTEGER PRIMARY KEY,
        case_id INTEGER NOT NULL REFERENCES cases(id),
        request_id INTEGER REFERENCES information_requests(id),
        packet_id TEXT NOT NULL CHECK (length(trim(packet_id)) BETWEEN 1 AND 200),
        source_vault_id TEXT NOT NULL,
        sender_name TEXT NOT NULL DEFAULT '',
        sender_organisation TEXT NOT NULL DEFAULT '',
        sender_decision_ref TEXT,
        signer_fingerprint TEXT NOT NULL CHECK (trim(signer_fingerprint) <> ''),
        protected_by TEXT NOT NULL CHECK (protected_by IN ('key', 'passphrase')),
        bundle_sha256 TEXT NOT NULL CHECK (length(bundle_sha256) = 64),
        manifest_sha256 TEXT NOT NULL CHECK (length(manifest_sha256) = 64),
        sent_at TEXT NOT NULL,
        imported_at TEXT NOT NULL,
        recorded_at TEXT NOT NULL,
        imported_by TEXT NOT NULL,
        note_count INTEGER NOT NULL CHECK (note_count >= 0),
        audit_event_id INTEGER NOT NULL UNIQUE REFERENCES audit_events(id),
        summary TEXT NOT NULL,
        UNIQUE (source_vault_id, packet_id)
    ) STRICT
    """,
    "CREATE INDEX received_bundles_by_case ON received_bundles (case_id, imported_at, id)",
    "CREATE INDEX received_bundles_by_request ON received_bundles (request_id)",
    # The verified members, apart from the metadata so listing never reads them.
    """
    CREATE TABLE received_bundle_files (
        received_id INTEGER NOT NULL REFERENCES received_bundles(id),
        name TEXT NOT NULL CHECK (name IN ('manifest.json', 'manifest.sig', 'packet.json', 'packet.pdf')),
        sha256 TEXT NOT NULL CHECK (length(sha256) = 64),
        data BLOB NOT NULL,
        PRIMARY KEY (received_id, name)
    ) STRICT, WITHOUT ROWID
    """,
]

_NEVER_CHANGED = {
    "exports": (
        "A recorded export cannot be changed: it says what left the vault.",
        "A recorded export cannot be deleted: it says what left the vault.",
    ),
    "received_bundles": (
        "Information received cannot be changed once it is in the record.",
        "Information received cannot be deleted from the record.",
    ),
    "received_bundle_files": (
        "Information received cannot be changed once it is in the record.",
        "Information received cannot be deleted from the record.",
    ),
}

_TRIGGERS = [
    """
    CREATE TRIGGER exports_same_case BEFORE INSERT ON exports
    BEGIN
        SELECT RAISE(ABORT, 'An export can only be recorded against a decision on its own case.')
        WHERE NEW.decision_id IS NOT NULL
          AND NOT EXISTS (SELECT 1 FROM decisions d WHERE d.id = NEW.decision_id AND d.case_id = NEW.case_id);
        SELECT RAISE(ABORT, 'A subject access export can only be about a person on its own case.')
        WHERE NEW.person_id IS NOT NULL
          AND NOT EXISTS (SELECT 1 FROM people p WHERE p.id = NEW.person_id AND p.case_id = NEW.case_id);
    END
    """,
    """
    CREATE TRIGGER received_bundles_same_case BEFORE INSERT ON received_bundles
    WHEN NEW.request_id IS NOT NULL
    BEGIN
        SELECT RAISE(ABORT, 'Information received can only be linked to a request on its own case.')
        WHERE NOT EXISTS (
            SELECT 1 FROM information_requests r WHERE r.id = NEW.request_id AND r.case_id = NEW.case_id);
    END
    """,
]


def _sql_text(message: str) -> str:
    return "'" + message.replace("'", "''") + "'"


def apply(conn: Any) -> None:
    for statement in _SCHEMA:
        conn.execute(statement)
    for table, (no_update, no_delete) in _NEVER_CHANGED.items():
        conn.execute(
            f"CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table} "
            f"BEGIN SELECT RAISE(ABORT, {_sql_text(no_update)}); END"
        )
        conn.execute(
            f"CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table} "
            f"BEGIN SELECT RAISE(ABORT, {_sql_text(no_delete)}); END"
        )
    for statement in _TRIGGERS:
        conn.execute(statement)
