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
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Literal

from desktop_app.domain.share_packet import SharePacket
from desktop_app.export.bundle import WrittenBundle, write_bundle
from desktop_app.export.pdf import write_encrypted_pdf
from desktop_app.services.signing import signing_key
from desktop_app.store import audit
from desktop_app.store.vault import OpenVault

Protection = Literal["pdf-password", "age-key", "age-passphrase"]


@dataclass(frozen=True)
class ExportRecord:
    """What was recorded about one export."""

    event_id: int
    packet_id: str
    decision_id: str | None
    protection: Protection
    sha256: str
    size: int


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
) -> ExportRecord:
    """Record, against the packet's decision, that ``data`` was exported.

    ``destination`` is where it went in words the practitioner recognises (a file name,
    "secure email to MASH"); ``bundle`` adds the manifest hash and signer fingerprint.
    """
    digest = hashlib.sha256(data).hexdigest()
    details = {
        "packet_id": packet.packet_id,
        "protection": protection,
        "sha256": digest,
        "size": len(data),
        "destination": destination,
        "recipient_organisation": packet.recipient.organisation,
        "recipient_person": packet.recipient.person,
        "secure_route": packet.recipient.secure_route,
        "case_reference": packet.case.reference,
        "note_ids": [note.note_id for note in packet.notes],
        "people": len(packet.people),
        "protective_marking": packet.protective_marking,
    }
    if bundle is not None:
        details["manifest_sha256"] = bundle.manifest_sha256
        details["signer_fingerprint"] = bundle.signer_fingerprint
    decision_id = packet.decision.decision_id
    with vault.transaction("recording the export") as conn:
        event_id = audit.append_event(
            conn,
            "packet.exported",
            actor=actor or vault.info.owner_name,
            subject_type="decision" if decision_id is not None else "packet",
            subject_id=decision_id if decision_id is not None else packet.packet_id,
            details=details,
        )
    return ExportRecord(
        event_id=event_id,
        packet_id=packet.packet_id,
        decision_id=decision_id,
        protection=protection,
        sha256=digest,
        size=len(data),
    )
