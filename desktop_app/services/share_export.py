"""Export use cases: write a share packet as an encrypted PDF or a signed age bundle, and
record every export against its decision.

The export dialog and ``casenotes export`` both go through here, so the rules are the
same in both: the packet is already redacted (``domain/redaction.py``) and previewed;
the output is always encrypted; and nothing is written to disk here, the caller saves
the bytes where the practitioner chooses and then calls ``record_export``.

Why recording is a separate step after saving: an export cancelled at the "Save as"
dialog never left the machine and should not appear in the record as if it had. The
audit event holds ids, hashes and counts (which notes, for whom, the SHA-256 of what was
written); never the text, which stays in the records.

Every export is also a row in ``exports`` (migration 6), written in the same transaction
as its audit event, so the case's chronology shows it against its decision; feedback
from the recipient is recorded against that decision (``record_export_feedback``) and
shows on the export as "feedback received".
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlcipher3.dbapi2 import IntegrityError

from desktop_app.domain.decision_record import Feedback, FeedbackInput
from desktop_app.domain.export_record import (
    KIND_SHARE_PACKET,
    KIND_SUBJECT_ACCESS,
    PROTECTIONS,
    ExportEntry,
    ExportItems,
    ExportKind,
    Protection,
    destination_name,
    export_summary,
    parse_ref,
    protection_format,
)
from desktop_app.domain.records import utc_text
from desktop_app.domain.share_packet import SharePacket
from desktop_app.errors import CaseNotesError, UsageError
from desktop_app.export.bundle import WrittenBundle, write_bundle
from desktop_app.export.pdf import write_encrypted_pdf
from desktop_app.services import decisions as decision_service
from desktop_app.services.signing import signing_key
from desktop_app.store import audit
from desktop_app.store import cases as case_store
from desktop_app.store import decisions as decision_store
from desktop_app.store import exports as export_store
from desktop_app.store.atomic import write_atomic
from desktop_app.store.connection import DatabaseError, classify
from desktop_app.store.vault import OpenVault

Connection = Any  # a sqlcipher3 connection

__all__ = [
    "ExportRecord",
    "Protection",
    "encrypted_pdf",
    "export_for_packet",
    "get_export",
    "list_exports",
    "record_export",
    "record_export_feedback",
    "save_export",
    "signed_bundle",
]


@dataclass(frozen=True)
class ExportRecord:
    """What was recorded about one export."""

    event_id: int
    packet_id: str
    decision_id: str | None
    protection: Protection
    sha256: str
    size: int
    export_id: int | None = None  # the row in ``exports``


def encrypted_pdf(packet: SharePacket, password: str) -> bytes:
    """The packet as an AES-256 password-protected PDF (needs a QGuiApplication; the
    command line gets an offscreen one from ``export.pdf.ensure_gui_app``)."""
    return write_encrypted_pdf(packet, password)


def signed_bundle(
    vault: OpenVault,
    packet: SharePacket,
    *,
    recipient: str | None = None,
    passphrase: str | None = None,
    pdf: bytes | None = None,
) -> WrittenBundle:
    """The packet as an age bundle signed with this vault's key (made on first use)."""
    return write_bundle(packet, signing_key(vault), recipient=recipient, passphrase=passphrase, pdf=pdf)


def record_export(
    vault: OpenVault,
    packet: SharePacket,
    *,
    protection: Protection,
    data: bytes,
    destination: str = "",
    bundle: WrittenBundle | None = None,
    actor: str | None = None,
    items: ExportItems | None = None,
    case_id: int | None = None,
    kind: ExportKind = KIND_SHARE_PACKET,
    person_id: int | None = None,
    now: datetime | None = None,
) -> ExportRecord:
    """Record, against the packet's decision, that ``data`` was exported: the audit event
    and the ``exports`` row, in one transaction.

    ``destination`` is where it went; only its file name is kept (a path says things
    about the computer the record does not need). ``bundle`` adds the manifest hash and
    signer fingerprint. ``items`` (from ``packet_builder``) says which notes, people and
    case fields went; without it the note ids are read from the packet. ``case_id``
    defaults to the case with the packet's reference. A packet built from this vault's
    records must find its case and decision; one that does not (a packet made by a tool
    or a test) is recorded in the audit trail only.
    """
    if protection not in PROTECTIONS:
        raise UsageError(f"Unknown protection {protection!r}.")
    if kind == KIND_SUBJECT_ACCESS and packet.decision.decision_id is not None:
        raise UsageError("A subject access export is not made under a sharing decision.")
    if not data:
        raise UsageError("Nothing was written, so there is no export to record.")
    digest = hashlib.sha256(data).hexdigest()
    where = destination_name(destination)
    strict = items is not None or case_id is not None
    details: dict[str, Any] = {
        "packet_id": packet.packet_id,
        "protection": protection,
        "sha256": digest,
        "size": len(data),
        "destination": where,
        "recipient_organisation": packet.recipient.organisation,
        "recipient_person": packet.recipient.person,
        "secure_route": packet.recipient.secure_route,
        "case_reference": packet.case.reference,
        "note_ids": [note.note_id for note in packet.notes],
        "people": len(packet.people),
        "protective_marking": packet.protective_marking,
    }
    if kind != KIND_SHARE_PACKET:
        details["kind"] = kind
    if bundle is not None:
        details["manifest_sha256"] = bundle.manifest_sha256
        details["signer_fingerprint"] = bundle.signer_fingerprint
    decision_text = packet.decision.decision_id
    with _writing(vault, "recording the export") as conn:
        case = case_store.get_case(conn, case_id) if case_id is not None else None
        if case_id is not None and case is None:
            raise UsageError("That case is not in this vault.")
        if case is None:
            case = case_store.find_case_by_reference(conn, packet.case.reference)
        decision_id = parse_ref(decision_text, "D")
        if case is not None and decision_id is not None:
            decision = decision_store.get_decision(conn, decision_id)
            if decision is None or decision.case_id != case.id:
                decision_id = None
        if strict and case is None:
            raise UsageError(
                f"Case {packet.case.reference} is not in this vault, so the export cannot be recorded against it.",
                "Build the packet again from the case.",
            )
        if strict and decision_text is not None and decision_id is None:
            assert case is not None
            raise UsageError(
                f"The packet's decision ({decision_text}) is not a decision on case {case.reference}, so the "
                "export cannot be recorded against it.",
                "Build the packet again from the case.",
            )
        chosen = items if items is not None else _items_from_packet(packet)
        if case is not None:
            details["case_id"] = case.id
            details["items"] = chosen.to_json()
        at = audit.utc_now()
        event_id = audit.append_event(
            conn,
            "packet.exported",
            actor=actor or vault.info.owner_name,
            subject_type="decision" if decision_text is not None else "packet",
            subject_id=decision_text if decision_text is not None else packet.packet_id,
            details=details,
            at=at,
        )
        export_id = None
        if case is not None:
            recipient = ", ".join(p for p in (packet.recipient.person, packet.recipient.organisation) if p)
            export_id = export_store.insert_export(
                conn,
                case_id=case.id,
                decision_id=decision_id,
                person_id=person_id,
                kind=kind,
                packet_id=packet.packet_id,
                items=chosen,
                recipient_organisation=packet.recipient.organisation,
                recipient_person=packet.recipient.person,
                recipient_secure_route=packet.recipient.secure_route,
                format=protection_format(protection),
                protection=protection,
                output_sha256=digest,
                output_size=len(data),
                manifest_sha256=bundle.manifest_sha256 if bundle is not None else None,
                signer_fingerprint=bundle.signer_fingerprint if bundle is not None else None,
                destination=where,
                protective_marking=packet.protective_marking,
                exported_at=utc_text(now) if now is not None else utc_text(at),
                recorded_at=at,
                exported_by=actor or vault.info.owner_name,
                audit_event_id=event_id,
                summary=export_summary(
                    chosen,
                    recipient=recipient,
                    destination=where,
                    kind=kind,
                    subject=packet.recipient.person if kind == KIND_SUBJECT_ACCESS else "",
                ),
            )
    return ExportRecord(
        event_id=event_id,
        packet_id=packet.packet_id,
        decision_id=decision_text,
        protection=protection,
        sha256=digest,
        size=len(data),
        export_id=export_id,
    )


def save_export(
    vault: OpenVault,
    packet: SharePacket,
    path: Path,
    *,
    protection: Protection,
    data: bytes,
    bundle: WrittenBundle | None = None,
    items: ExportItems | None = None,
    case_id: int | None = None,
    kind: ExportKind = KIND_SHARE_PACKET,
    person_id: int | None = None,
    overwrite: bool = False,
) -> ExportRecord:
    """Write the encrypted ``data`` to ``path`` where the practitioner chose, then record
    it (``record_export``). The file is written whole or not at all (a temporary file
    beside it, holding the same encrypted bytes, then renamed); if the export cannot be
    recorded, the file is removed again, because an export that is not in the record
    must not leave the machine. ``overwrite`` is for a "Save as" dialog that has already
    asked; otherwise an existing file is refused."""
    target = Path(path)
    if not overwrite and target.exists():
        raise UsageError(f"{target.name} already exists; an export never overwrites a file.", "Choose another name.")
    write_atomic(target, data, "the export")
    try:
        return record_export(
            vault,
            packet,
            protection=protection,
            data=data,
            destination=target.name,
            bundle=bundle,
            items=items,
            case_id=case_id,
            kind=kind,
            person_id=person_id,
        )
    except BaseException:
        target.unlink(missing_ok=True)
        raise


def _items_from_packet(packet: SharePacket) -> ExportItems:
    ids = [parse_ref(note.note_id, "N") for note in packet.notes]
    return ExportItems(note_ids=tuple(i for i in ids if i is not None))


@contextmanager
def _writing(vault: OpenVault, doing: str) -> Iterator[Connection]:
    try:
        with vault.transaction(doing) as conn:
            yield conn
    except IntegrityError as exc:
        message = str(exc)
        if "constraint failed" in message.lower() or not message.endswith("."):
            message = "The export could not be recorded because it would break a rule of the record."
        raise UsageError(message, "Nothing was recorded.") from exc


@contextmanager
def _reading(vault: OpenVault) -> Iterator[Connection]:
    if vault.closed:
        raise CaseNotesError("The vault is locked.", "Unlock it and try again.")
    try:
        yield vault.conn
    except DatabaseError as exc:
        raise classify(exc, "reading the vault") from exc


def get_export(vault: OpenVault, export_id: int) -> ExportEntry:
    with _reading(vault) as conn:
        found = export_store.get_export(conn, export_id)
    if found is None:
        raise UsageError("That export is not in this vault.")
    return found


def export_for_packet(vault: OpenVault, packet_id: str) -> ExportEntry | None:
    with _reading(vault) as conn:
        return export_store.find_export_by_packet(conn, packet_id)


def list_exports(vault: OpenVault, *, case_id: int | None = None, decision_id: int | None = None) -> list[ExportEntry]:
    """A case's exports, or those under one decision, newest first."""
    if case_id is None and decision_id is None:
        raise UsageError("Choose a case or a decision.")
    with _reading(vault) as conn:
        return export_store.list_exports(conn, case_id=case_id, decision_id=decision_id)


def record_export_feedback(vault: OpenVault, export_id: int, feedback: FeedbackInput) -> Feedback:
    """What the recipient of an export told us afterwards, recorded against the decision it
    was shared under (``services.decisions.record_feedback``); the export then shows
    "feedback received"."""
    entry = get_export(vault, export_id)
    if entry.decision_id is None:
        raise UsageError(
            "This export was not made under a recorded decision, so there is no decision to record feedback against.",
            "Record the feedback as a note on the case instead.",
        )
    return decision_service.record_feedback(vault, entry.decision_id, feedback)
