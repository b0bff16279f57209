"""Exports and information received: rows in, domain dataclasses out.

Like the other store modules, these functions run inside the caller's transaction and
neither validate nor audit (``services/share_export.py`` and ``services/bundle_import.py``
do both, in the same transaction as the row). Migration 6's triggers keep the rows
unchangeable.

Importing this module registers two chronology sources:

* ``export``: every recorded export, titled by kind and protection, flagged
  ``feedback_received`` once the recipient's feedback is recorded against the decision
  it was shared under (or a later correction of that decision);
* ``information_received``: every verified bundle imported onto a case.

It also reads what the export dialog lists (a case's notes without their bodies) and
which notes mention one person (for a subject access export).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from typing import Any

from desktop_app.domain.export_record import (
    FLAG_FEEDBACK_RECEIVED,
    ExportEntry,
    ExportItems,
    NoteChoice,
    ReceivedBundle,
    export_title,
)
from desktop_app.domain.records import split_flags
from desktop_app.errors import VaultDamaged
from desktop_app.store.chronology import ChronologySource, register_source
from desktop_app.store.notes import NOTE_FLAGS_SQL

Connection = Any  # a sqlcipher3 connection

# Feedback on the decision an export was shared under, or on any later correction of it.
_FEEDBACK_COUNT_SQL = """(
    WITH RECURSIVE later(id) AS (
        SELECT e.decision_id UNION ALL SELECT d.id FROM decisions d JOIN later l ON d.supersedes_id = l.id
    )
    SELECT count(*) FROM decision_feedback f WHERE e.decision_id IS NOT NULL AND f.decision_id IN later
)"""

_EXPORT_COLUMNS = (
    "e.id, e.case_id, e.decision_id, e.person_id, e.kind, e.packet_id, e.items, e.recipient_organisation, "
    "e.recipient_person, e.recipient_secure_route, e.format, e.protection, e.output_sha256, e.output_size, "
    "e.manifest_sha256, e.signer_fingerprint, e.destination, e.protective_marking, e.exported_at, e.recorded_at, "
    f"e.exported_by, e.audit_event_id, e.summary, {_FEEDBACK_COUNT_SQL}"
)


def _export(row: Sequence[Any]) -> ExportEntry:
    values = list(row)
    values[6] = ExportItems.from_json(json.loads(values[6]))
    return ExportEntry(*values)


def insert_export(
    conn: Connection,
    *,
    case_id: int,
    decision_id: int | None,
    person_id: int | None,
    kind: str,
    packet_id: str,
    items: ExportItems,
    recipient_organisation: str,
    recipient_person: str,
    recipient_secure_route: str,
    format: str,
    protection: str,
    output_sha256: str,
    output_size: int,
    manifest_sha256: str | None,
    signer_fingerprint: str | None,
    destination: str,
    protective_marking: str,
    exported_at: str,
    recorded_at: str,
    exported_by: str,
    audit_event_id: int,
    summary: str,
) -> int:
    cursor = conn.execute(
        "INSERT INTO exports (case_id, decision_id, person_id, kind, packet_id, items, recipient_organisation, "
        "recipient_person, recipient_secure_route, format, protection, output_sha256, output_size, "
        "manifest_sha256, signer_fingerprint, destination, protective_marking, exported_at, recorded_at, "
        "exported_by, audit_event_id, summary) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            case_id,
            decision_id,
            person_id,
            kind,
            packet_id,
            json.dumps(items.to_json(), sort_keys=True),
            recipient_organisation,
            recipient_person,
            recipient_secure_route,
            format,
            protection,
            output_sha256,
            output_size,
            manifest_sha256,
            signer_fingerprint,
            destination,
            protective_marking,
            exported_at,
            recorded_at,
            exported_by,
            audit_event_id,
            summary,
        ),
    )
    export_id: int = cursor.lastrowid
    return export_id


def get_export(conn: Connection, export_id: int) -> ExportEntry | None:
    row = conn.execute(f"SELECT {_EXPORT_COLUMNS} FROM exports e WHERE e.id = ?", (export_id,)).fetchone()
    return _export(row) if row else None


def find_export_by_packet(conn: Connection, packet_id: str) -> ExportEntry | None:
    row = conn.execute(f"SELECT {_EXPORT_COLUMNS} FROM exports e WHERE e.packet_id = ?", (packet_id,)).fetchone()
    return _export(row) if row else None


def list_exports(conn: Connection, *, case_id: int | None = None, decision_id: int | None = None) -> list[ExportEntry]:
    """Exports of a case, or under one decision, newest first."""
    if decision_id is not None:
        where, value = "e.decision_id = ?", decision_id
    elif case_id is not None:
        where, value = "e.case_id = ?", case_id
    else:
        raise ValueError("a case or a decision is needed")
    rows = conn.execute(
        f"SELECT {_EXPORT_COLUMNS} FROM exports e WHERE {where} ORDER BY e.exported_at DESC, e.id DESC", (value,)
    ).fetchall()
    return [_export(row) for row in rows]


# -- information received -------------------------------------------------------------------

_RECEIVED_COLUMNS = (
    "b.id, b.case_id, b.request_id, b.packet_id, b.source_vault_id, b.sender_name, b.sender_organisation, "
    "b.sender_decision_ref, b.signer_fingerprint, b.protected_by, b.bundle_sha256, b.manifest_sha256, "
    "b.sent_at, b.imported_at, b.recorded_at, b.imported_by, b.note_count, b.audit_event_id, b.summary"
)


def insert_received(
    conn: Connection,
    *,
    case_id: int,
    request_id: int | None,
    packet_id: str,
    source_vault_id: str,
    sender_name: str,
    sender_organisation: str,
    sender_decision_ref: str | None,
    signer_fingerprint: str,
    protected_by: str,
    bundle_sha256: str,
    manifest_sha256: str,
    sent_at: str,
    imported_at: str,
    recorded_at: str,
    imported_by: str,
    note_count: int,
    audit_event_id: int,
    summary: str,
    files: Mapping[str, bytes],
) -> int:
    cursor = conn.execute(
        "INSERT INTO received_bundles (case_id, request_id, packet_id, source_vault_id, sender_name, "
        "sender_organisation, sender_decision_ref, signer_fingerprint, protected_by, bundle_sha256, "
        "manifest_sha256, sent_at, imported_at, recorded_at, imported_by, note_count, audit_event_id, summary) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            case_id,
            request_id,
            packet_id,
            source_vault_id,
            sender_name,
            sender_organisation,
            sender_decision_ref,
            signer_fingerprint,
            protected_by,
            bundle_sha256,
            manifest_sha256,
            sent_at,
            imported_at,
            recorded_at,
            imported_by,
            note_count,
            audit_event_id,
            summary,
        ),
    )
    received_id: int = cursor.lastrowid
    conn.executemany(
        "INSERT INTO received_bundle_files (received_id, name, sha256, data) VALUES (?, ?, ?, ?)",
        [(received_id, name, hashlib.sha256(data).hexdigest(), data) for name, data in sorted(files.items())],
    )
    return received_id


def get_received(conn: Connection, received_id: int) -> ReceivedBundle | None:
    row = conn.execute(f"SELECT {_RECEIVED_COLUMNS} FROM received_bundles b WHERE b.id = ?", (received_id,)).fetchone()
    return ReceivedBundle(*row) if row else None


def find_received(conn: Connection, source_vault_id: str, packet_id: str) -> ReceivedBundle | None:
    row = conn.execute(
        f"SELECT {_RECEIVED_COLUMNS} FROM received_bundles b WHERE b.source_vault_id = ? AND b.packet_id = ?",
        (source_vault_id, packet_id),
    ).fetchone()
    return ReceivedBundle(*row) if row else None


def list_received(conn: Connection, case_id: int) -> list[ReceivedBundle]:
    rows = conn.execute(
        f"SELECT {_RECEIVED_COLUMNS} FROM received_bundles b WHERE b.case_id = ? ORDER BY b.imported_at DESC, b.id DESC",
        (case_id,),
    ).fetchall()
    return [ReceivedBundle(*row) for row in rows]


def received_files(conn: Connection, received_id: int) -> dict[str, bytes]:
    """The kept members of a received bundle, each checked against the SHA-256 stored
    with it (``VaultDamaged`` if one differs)."""
    files: dict[str, bytes] = {}
    for name, digest, data in conn.execute(
        "SELECT name, sha256, data FROM received_bundle_files WHERE received_id = ? ORDER BY name", (received_id,)
    ):
        content = bytes(data)
        if hashlib.sha256(content).hexdigest() != digest:
            raise VaultDamaged(
                f"The received file {name} does not match the fingerprint recorded when it was imported.",
                "The rest of the vault is not affected. Run 'casenotes check'.",
            )
        files[name] = content
    return files


# -- what the export screens read ------------------------------------------------------------


def case_note_choices(conn: Connection, case_id: int) -> list[NoteChoice]:
    """A case's notes as the export dialog lists them (previews, never bodies), newest first."""
    rows = conn.execute(
        "SELECT n.id, n.occurred_at, n.recorded_at, n.category, r.preview, n.author, r.revision, n.marked_kind, "
        f"{NOTE_FLAGS_SQL} FROM notes n JOIN note_revisions r ON r.id = n.current_revision_id "
        "WHERE n.case_id = ? ORDER BY n.occurred_at DESC, n.id DESC",
        (case_id,),
    ).fetchall()
    return [
        NoteChoice(
            id=row[0],
            occurred_at=row[1],
            recorded_at=row[2],
            category=row[3],
            preview=row[4],
            author=row[5],
            revision=row[6],
            marked_kind=row[7],
            flags=split_flags(row[8]),
        )
        for row in rows
    ]


def current_note_ids(conn: Connection, case_id: int) -> list[int]:
    """A case's notes that stand as they are (not marked in error or as on the wrong case),
    in the order they happened."""
    rows = conn.execute(
        "SELECT id FROM notes WHERE case_id = ? AND marked_kind IS NULL ORDER BY occurred_at, id", (case_id,)
    )
    return [row[0] for row in rows]


def notes_about_person(conn: Connection, person_id: int) -> list[int]:
    """Notes any version of which names the person or has them as its source."""
    rows = conn.execute(
        "SELECT DISTINCT r.note_id FROM note_people np JOIN note_revisions r ON r.id = np.revision_id "
        "WHERE np.person_id = ? "
        "UNION SELECT r.note_id FROM note_revisions r WHERE r.source_person_id = ? ORDER BY 1",
        (person_id, person_id),
    )
    return [row[0] for row in rows]


# -- chronology sources -----------------------------------------------------------------------


def _export_title(code: str) -> str:
    kind, _, protection = code.partition(":")
    return export_title(kind, protection)


def _received_title(_code: str) -> str:
    return "Verified bundle received"


register_source(
    ChronologySource(
        kind="export",
        sql=f"""
            SELECT e.case_id AS case_id, e.exported_at AS occurred_at, e.recorded_at AS recorded_at,
                   'export' AS kind, e.id AS item_id, e.kind || ':' || e.protection AS title,
                   e.summary AS summary,
                   CASE WHEN {_FEEDBACK_COUNT_SQL} > 0 THEN '{FLAG_FEEDBACK_RECEIVED}' ELSE '' END AS flags
            FROM exports e
        """,
        format_title=_export_title,
        count_sql="SELECT case_id FROM exports",
    )
)
register_source(
    ChronologySource(
        kind="information_received",
        sql="""
            SELECT b.case_id AS case_id, b.imported_at AS occurred_at, b.recorded_at AS recorded_at,
                   'information_received' AS kind, b.id AS item_id, 'received' AS title, b.summary AS summary,
                   '' AS flags
            FROM received_bundles b
        """,
        format_title=_received_title,
        count_sql="SELECT case_id FROM received_bundles",
    )
)
