"""Importing a bundle someone sent: verified first, then kept on a case as information
received, linked to a request; a tampered, forged or hostile bundle is refused and
nothing at all is stored."""

from __future__ import annotations

import io
import tarfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyrage
import pytest

from desktop_app.domain.decision_record import RequestInput
from desktop_app.errors import UsageError
from desktop_app.export.bundle import WrittenBundle
from desktop_app.export.pdf import ensure_gui_app
from desktop_app.export.verify import BundleDamaged, BundleHostileContent, BundleSignerMismatch, BundleWrongKey
from desktop_app.services import bundle_import, case_records, share_export
from desktop_app.services import decisions as decision_service
from desktop_app.services import packet_builder as pb
from desktop_app.store import audit
from desktop_app.store.vault import VaultFolder

from ..conftest import PASSPHRASE
from .seed import PROTECTED_WORDS, Seeded, seed_case


class Sender:
    """Another organisation's vault, which sends us a bundle for our age key."""

    def __init__(self, folder: Path, recipient: str) -> None:
        ensure_gui_app()
        self.created = VaultFolder.create(folder, PASSPHRASE, owner_name="Sam Rivers", organisation_name="MASH")
        self.vault = self.created.vault
        self.seeded = seed_case(self.vault, "MASH-99")
        self.packet = pb.build(self.vault, pb.load_choices(self.vault, self.seeded.case.id).default_selection())
        self.bundle: WrittenBundle = share_export.signed_bundle(self.vault, self.packet, recipient=recipient)

    def close(self) -> None:
        self.vault.close()
        self.created.folder.release()


@pytest.fixture(autouse=True)
def _gui(qapp: Any) -> None:
    """The PDF is drawn by Qt: a QApplication first, so the GUI tests can share it."""


@pytest.fixture
def identity() -> pyrage.x25519.Identity:
    return pyrage.x25519.Identity.generate()


@pytest.fixture
def sender(tmp_path: Path, identity: pyrage.x25519.Identity) -> Iterator[Sender]:
    made = Sender(tmp_path / "sender-vault", str(identity.to_public()))
    yield made
    made.close()


@pytest.fixture
def ours(open_vault: Any) -> Seeded:
    return seed_case(open_vault, "OUR-1")


def request_on(vault: Any, case_id: int) -> int:
    return decision_service.record_request(
        vault,
        case_id,
        RequestInput(
            requester_organisation="Children's Services MASH",
            what_requested="What you know about the home",
            why_requested="Strategy discussion",
            identity_check="Called back on the switchboard number",
            received_at="2024-03-06T09:00",
        ),
    ).id


def stored(vault: Any) -> tuple[int, int, int]:
    conn = vault.conn
    return (
        conn.execute("SELECT count(*) FROM received_bundles").fetchone()[0],
        conn.execute("SELECT count(*) FROM received_bundle_files").fetchone()[0],
        conn.execute("SELECT count(*) FROM audit_events").fetchone()[0],
    )


def test_a_verified_bundle_is_kept_as_information_received(
    open_vault: Any, ours: Seeded, sender: Sender, identity: pyrage.x25519.Identity
) -> None:
    request_id = request_on(open_vault, ours.case.id)
    received = bundle_import.import_bundle(
        open_vault,
        sender.bundle.data,
        case_id=ours.case.id,
        request_id=request_id,
        identity=str(identity),
        expected_signer=sender.bundle.signer_fingerprint,
    )
    assert (received.case_id, received.request_id) == (ours.case.id, request_id)
    assert received.signer_fingerprint == sender.bundle.signer_fingerprint
    assert (received.sender_name, received.sender_organisation) == ("Sam Rivers", "MASH")
    assert received.sender_decision_ref == f"D-{sender.seeded.decision.id}"
    assert received.note_count == 2 and received.protected_by == "key"
    kept, packet, pdf = bundle_import.received_packet(open_vault, received.id)
    assert kept == received and packet == sender.packet and pdf.startswith(b"%PDF-")
    assert not any(word in packet.to_json() for word in PROTECTED_WORDS)  # redacted by the sender

    event = audit.recent_events(open_vault.conn, 1)[0]
    assert event["action"] == "bundle.imported" and event["id"] == received.audit_event_id
    assert event["details"]["request_id"] == request_id
    assert "shouting" not in str(event)
    [entry] = case_records.chronology_page(open_vault, ours.case.id, kinds=["information_received"]).entries
    assert entry.title == "Verified bundle received"
    assert entry.summary == f"From Sam Rivers, MASH: 2 notes, verified; answers request {request_id}."

    with pytest.raises(UsageError, match="already been imported"):
        bundle_import.import_bundle(open_vault, sender.bundle.data, case_id=ours.case.id, identity=str(identity))
    with pytest.raises(Exception, match="cannot be (changed|deleted)"):
        with open_vault.transaction() as conn:
            conn.execute("DELETE FROM received_bundle_files")


def test_a_tampered_bundle_is_refused_and_nothing_is_kept(
    open_vault: Any, ours: Seeded, sender: Sender, identity: pyrage.x25519.Identity
) -> None:
    before = stored(open_vault)
    damaged = bytearray(sender.bundle.data)
    damaged[len(damaged) // 2] ^= 0x01
    with pytest.raises(BundleDamaged):
        bundle_import.import_bundle(open_vault, bytes(damaged), case_id=ours.case.id, identity=str(identity))
    with pytest.raises(BundleWrongKey):
        other = pyrage.x25519.Identity.generate()
        bundle_import.import_bundle(open_vault, sender.bundle.data, case_id=ours.case.id, identity=str(other))
    with pytest.raises(BundleSignerMismatch):
        bundle_import.import_bundle(
            open_vault,
            sender.bundle.data,
            case_id=ours.case.id,
            identity=str(identity),
            expected_signer="AAAA AAAA AAAA AAAA AAAA AAAA AAAA AAAA",
        )
    assert stored(open_vault) == before


def test_a_hostile_archive_is_refused(open_vault: Any, ours: Seeded, identity: pyrage.x25519.Identity) -> None:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.USTAR_FORMAT) as tar:
        link = tarfile.TarInfo("manifest.json")
        link.type = tarfile.SYMTYPE
        link.linkname = "/etc/passwd"
        tar.addfile(link)
        evil = tarfile.TarInfo("../../packet.json")
        evil.size = 2
        tar.addfile(evil, io.BytesIO(b"{}"))
    hostile = pyrage.encrypt(buffer.getvalue(), [identity.to_public()])
    before = stored(open_vault)
    with pytest.raises(BundleHostileContent):
        bundle_import.import_bundle(open_vault, hostile, case_id=ours.case.id, identity=str(identity))
    assert stored(open_vault) == before


def test_the_case_request_and_sender_must_fit(
    open_vault: Any, ours: Seeded, sender: Sender, identity: pyrage.x25519.Identity
) -> None:
    other = seed_case(open_vault, "OUR-2")
    before = stored(open_vault)
    with pytest.raises(UsageError, match="not on the chosen case"):
        bundle_import.import_bundle(
            open_vault,
            sender.bundle.data,
            case_id=ours.case.id,
            request_id=request_on(open_vault, other.case.id),
            identity=str(identity),
        )
    assert stored(open_vault)[:2] == before[:2]
    # A bundle this vault sent itself is not information received.
    own = pb.build(open_vault, pb.load_choices(open_vault, ours.case.id).default_selection())
    mine = share_export.signed_bundle(open_vault, own, recipient=str(identity.to_public()))
    with pytest.raises(UsageError, match="sent from this vault"):
        bundle_import.import_bundle(open_vault, mine.data, case_id=ours.case.id, identity=str(identity))
