"""Import a bundle someone sent us into our own vault, as information received.

The order matters: ``export/verify.py`` checks the bundle completely *first*, in memory
(age decryption and authentication, the archive's shape and limits, the Ed25519
signature over the manifest, every file's size and SHA-256, the packet against the
manifest, optionally the signer we expected). Only a bundle that passes every check is
stored; a damaged, altered, forged or hostile one raises the verifier's error and
nothing at all is written.

What is kept, on the case the practitioner chooses and optionally linked to a request
received on that case (``services.decisions`` requests), in one transaction with its
audit event: who sent it and the signer's fingerprint, the hashes, and the four verified
members exactly as they arrived (manifest, signature, packet JSON, PDF), inside the
encrypted database. Nothing is extracted to disk. The chronology shows it as
"Information received"; the screens read the packet back with ``received_packet``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlcipher3.dbapi2 import IntegrityError

from desktop_app.domain.export_record import ReceivedBundle, received_summary
from desktop_app.domain.records import utc_text
from desktop_app.domain.share_packet import SharePacket, format_utc
from desktop_app.errors import CaseNotesError, UsageError
from desktop_app.export.bundle import MANIFEST_NAME, PACKET_JSON_NAME, PACKET_PDF_NAME, SIGNATURE_NAME
from desktop_app.export.verify import MAX_BUNDLE_BYTES, VerifiedBundle, verify_bundle
from desktop_app.store import audit
from desktop_app.store import cases as case_store
from desktop_app.store import decisions as decision_store
from desktop_app.store import exports as export_store
from desktop_app.store.connection import DatabaseError, classify
from desktop_app.store.vault import OpenVault

Connection = Any  # a sqlcipher3 connection
KEPT_MEMBERS = (MANIFEST_NAME, SIGNATURE_NAME, PACKET_JSON_NAME, PACKET_PDF_NAME)
MAX_IDENTITY_BYTES = 64 * 1024

__all__ = [
    "get_received",
    "import_bundle",
    "import_verified",
    "list_received",
    "received_packet",
    "verify_file",
]


@contextmanager
def _reading(vault: OpenVault) -> Iterator[Connection]:
    if vault.closed:
        raise CaseNotesError("The vault is locked.", "Unlock it and try again.")
    try:
        yield vault.conn
    except DatabaseError as exc:
        raise classify(exc, "reading the vault") from exc


def _read(path: Path, limit: int, what: str) -> bytes:
    try:
        with open(path, "rb") as handle:
            data = handle.read(limit + 1)
    except OSError as exc:
        raise UsageError(f"The {what} {path.name} could not be read ({exc.strerror or exc}).") from exc
    if len(data) > limit:
        raise UsageError(f"The {what} {path.name} is far larger than a real one.")
    return data


def verify_file(
    bundle_path: Path,
    *,
    identity_path: Path | None = None,
    passphrase: str | None = None,
    expected_signer: str | None = None,
) -> tuple[VerifiedBundle, str]:
    """Read a bundle (and our age key file) and verify it in memory; the result and the
    bundle's SHA-256, for ``import_verified``. Nothing is stored."""
    data = _read(Path(bundle_path), MAX_BUNDLE_BYTES, "bundle")
    identity = None
    if identity_path is not None:
        identity = _read(Path(identity_path), MAX_IDENTITY_BYTES, "key file").decode("utf-8", "replace")
    verified = verify_bundle(data, identity=identity, passphrase=passphrase, expected_signer=expected_signer)
    return verified, hashlib.sha256(data).hexdigest()


def import_bundle(
    vault: OpenVault,
    data: bytes,
    *,
    case_id: int,
    request_id: int | None = None,
    identity: str | None = None,
    passphrase: str | None = None,
    expected_signer: str | None = None,
    now: datetime | None = None,
) -> ReceivedBundle:
    """Verify ``data`` (with our age ``identity`` text or the bundle's ``passphrase``),
    then keep it on ``case_id`` as information received, linked to ``request_id``.

    Raises the verifier's ``BundleError`` for anything wrong with the bundle (nothing is
    stored), ``UsageError`` for a case or request that does not fit, a bundle this vault
    sent itself, or one already imported.
    """
    verified = verify_bundle(data, identity=identity, passphrase=passphrase, expected_signer=expected_signer)
    return import_verified(
        vault, verified, bundle_sha256=hashlib.sha256(data).hexdigest(), case_id=case_id, request_id=request_id, now=now
    )


def import_verified(
    vault: OpenVault,
    verified: VerifiedBundle,
    *,
    bundle_sha256: str,
    case_id: int,
    request_id: int | None = None,
    now: datetime | None = None,
) -> ReceivedBundle:
    """Keep a bundle ``verify_bundle`` has already checked (the dialog shows the result
    first, then the practitioner chooses where it goes)."""
    packet = verified.packet
    if packet.vault_id == vault.info.vault_id:
        raise UsageError(
            "This bundle was sent from this vault, so it is not information received.",
            "Its export is already in this case's chronology.",
        )
    files = {name: bytes(verified.files[name]) for name in KEPT_MEMBERS}
    manifest_sha256 = hashlib.sha256(verified.manifest_bytes).hexdigest()
    actor = vault.info.owner_name
    moment = now or datetime.now(UTC)
    try:
        with vault.transaction("keeping the information received") as conn:
            if case_store.get_case(conn, case_id) is None:
                raise UsageError("That case is not in this vault.")
            if request_id is not None:
                request = decision_store.get_request(conn, request_id)
                if request is None or request.case_id != case_id:
                    raise UsageError("That request is not on the chosen case.", "Choose a request on this case.")
            existing = export_store.find_received(conn, packet.vault_id, packet.packet_id)
            if existing is not None:
                raise UsageError(
                    f"This bundle has already been imported (it is on the case's chronology, imported "
                    f"{existing.imported_at[:10]}).",
                    "Nothing was changed.",
                )
            at = audit.utc_now()
            event_id = audit.append_event(
                conn,
                "bundle.imported",
                actor=actor,
                subject_type="packet",
                subject_id=packet.packet_id,
                details={
                    "case_id": case_id,
                    "request_id": request_id,
                    "source_vault_id": packet.vault_id,
                    "signer_fingerprint": verified.signer_fingerprint,
                    "bundle_sha256": bundle_sha256,
                    "manifest_sha256": manifest_sha256,
                    "files": {name: hashlib.sha256(content).hexdigest() for name, content in files.items()},
                    "notes": len(packet.notes),
                    "protected_by": verified.protected_by,
                },
                at=at,
            )
            received_id = export_store.insert_received(
                conn,
                case_id=case_id,
                request_id=request_id,
                packet_id=packet.packet_id,
                source_vault_id=packet.vault_id,
                sender_name=packet.sender.name,
                sender_organisation=packet.sender.organisation,
                sender_decision_ref=packet.decision.decision_id,
                signer_fingerprint=verified.signer_fingerprint,
                protected_by=verified.protected_by,
                bundle_sha256=bundle_sha256,
                manifest_sha256=manifest_sha256,
                sent_at=format_utc(packet.created_at).replace("Z", "+00:00"),
                imported_at=utc_text(moment),
                recorded_at=at,
                imported_by=actor,
                note_count=len(packet.notes),
                audit_event_id=event_id,
                summary=received_summary(verified.sender, len(packet.notes), request_id),
                files=files,
            )
            found = export_store.get_received(conn, received_id)
    except IntegrityError as exc:
        raise UsageError("The information received could not be kept: it would break a rule of the record.") from exc
    assert found is not None
    return found


def get_received(vault: OpenVault, received_id: int) -> ReceivedBundle:
    with _reading(vault) as conn:
        found = export_store.get_received(conn, received_id)
    if found is None:
        raise UsageError("That information received is not in this vault.")
    return found


def list_received(vault: OpenVault, case_id: int) -> list[ReceivedBundle]:
    with _reading(vault) as conn:
        return export_store.list_received(conn, case_id)


def received_packet(vault: OpenVault, received_id: int) -> tuple[ReceivedBundle, SharePacket, bytes]:
    """What was received: the record, the packet (read back strictly) and the sender's
    PDF (in memory; never written to disk by this application unless the practitioner
    saves a copy)."""
    with _reading(vault) as conn:
        found = export_store.get_received(conn, received_id)
        if found is None:
            raise UsageError("That information received is not in this vault.")
        files = export_store.received_files(conn, received_id)
    packet = SharePacket.from_json(files[PACKET_JSON_NAME])
    manifest = json.loads(files[MANIFEST_NAME])
    if manifest.get("packet_id") != packet.packet_id:
        raise UsageError("The information received no longer matches its manifest.")
    return found, packet, files[PACKET_PDF_NAME]
