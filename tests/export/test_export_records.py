"""Every export is recorded against its decision: a row in ``exports`` and an audit event
in one transaction, an entry in the case's chronology, and feedback from the recipient
shown on it. Real vaults, real encryption."""

from __future__ import annotations

import hashlib
import io
import json
from typing import Any

import pyrage
import pytest
from pypdf import PdfReader

from desktop_app.domain.decision_record import FeedbackInput
from desktop_app.domain.export_record import FLAG_FEEDBACK_RECEIVED
from desktop_app.errors import UsageError
from desktop_app.export.pdf import ensure_gui_app
from desktop_app.export.verify import verify_bundle
from desktop_app.services import case_records, share_export
from desktop_app.services import packet_builder as pb
from desktop_app.store import audit

from .seed import NOTE_TEXTS, PROTECTED_WORDS, Seeded, seed_case

PASSWORD = "7K3Q-XH2M-9TDA-RW4P-C8NV"


@pytest.fixture(autouse=True)
def _gui(qapp: Any) -> None:
    """The PDF is drawn by Qt: a QApplication first, so the GUI tests can share it."""


@pytest.fixture
def seeded(open_vault: Any) -> Seeded:
    return seed_case(open_vault)


def export_pdf(vault: Any, seeded: Seeded, destination: str = "/home/alex/Desktop/for-MASH.pdf") -> Any:
    ensure_gui_app()
    selection = pb.load_choices(vault, seeded.case.id).default_selection()
    packet = pb.build(vault, selection)
    data = share_export.encrypted_pdf(packet, PASSWORD)
    record = share_export.record_export(
        vault,
        packet,
        protection="pdf-password",
        data=data,
        destination=destination,
        items=selection.items(protected_people=1),
    )
    return packet, data, record


def test_an_export_is_a_row_an_audit_event_and_a_chronology_entry(open_vault: Any, seeded: Seeded) -> None:
    packet, data, record = export_pdf(open_vault, seeded)
    entry = share_export.get_export(open_vault, record.export_id)
    assert (entry.case_id, entry.decision_id, entry.kind) == (seeded.case.id, seeded.decision.id, "share_packet")
    assert entry.items.note_ids == tuple(seeded.linked) and entry.items.protected_people == 1
    assert (entry.format, entry.protection) == ("pdf", "pdf-password")
    assert entry.output_sha256 == hashlib.sha256(data).hexdigest() and entry.output_size == len(data)
    assert entry.destination == "for-MASH.pdf"  # the file name only, never the path
    assert (entry.recipient_organisation, entry.recipient_person) == ("Children's Services MASH", "Sam Rivers")
    assert entry.packet_id == packet.packet_id and not entry.feedback_received

    event = audit.recent_events(open_vault.conn, 1)[0]
    assert event["id"] == entry.audit_event_id == record.event_id
    assert event["action"] == "packet.exported"
    assert (event["subject_type"], event["subject_id"]) == ("decision", f"D-{seeded.decision.id}")
    assert event["details"]["items"]["note_ids"] == seeded.linked
    assert event["details"]["destination"] == "for-MASH.pdf"
    assert audit.verify_chain(open_vault.conn).ok

    # Never the content: no note text, no protected name, in the row or the event.
    raw_row = json.dumps(open_vault.conn.execute("SELECT * FROM exports").fetchall())
    for text in (raw_row, json.dumps(event)):
        assert "shouting" not in text and NOTE_TEXTS[1][:20] not in text
        assert not any(word in text for word in PROTECTED_WORDS)

    page = case_records.chronology_page(open_vault, seeded.case.id, kinds=["export"])
    [shown] = page.entries
    assert shown.item_id == entry.id and shown.title == "Share packet, password-protected PDF"
    assert "2 notes to Sam Rivers, Children's Services MASH" in shown.summary and "for-MASH.pdf" in shown.summary
    assert shown.flags == ()
    assert share_export.list_exports(open_vault, decision_id=seeded.decision.id) == [entry]

    reader = PdfReader(io.BytesIO(data))
    assert reader.is_encrypted and reader.decrypt(PASSWORD)


def test_feedback_against_an_export_shows_on_its_entry(open_vault: Any, seeded: Seeded) -> None:
    _, _, record = export_pdf(open_vault, seeded)
    feedback = share_export.record_export_feedback(
        open_vault,
        record.export_id,
        FeedbackInput(received_at="2024-03-08T09:00", outcome="Strategy discussion held", from_whom="Sam Rivers"),
    )
    assert feedback.decision_id == seeded.decision.id
    assert share_export.get_export(open_vault, record.export_id).feedback_received
    [shown] = case_records.chronology_page(open_vault, seeded.case.id, kinds=["export"]).entries
    assert shown.flags == (FLAG_FEEDBACK_RECEIVED,)
    assert audit.recent_events(open_vault.conn, 1)[0]["action"] == "feedback.recorded"


def test_a_bundle_export_keeps_its_manifest_and_signer(open_vault: Any, seeded: Seeded) -> None:
    ensure_gui_app()
    identity = pyrage.x25519.Identity.generate()
    selection = pb.load_choices(open_vault, seeded.case.id).default_selection()
    packet = pb.build(open_vault, selection)
    written = share_export.signed_bundle(open_vault, packet, recipient=str(identity.to_public()))
    assert verify_bundle(written.data, identity=str(identity)).packet == packet
    record = share_export.record_export(
        open_vault,
        packet,
        protection="age-key",
        data=written.data,
        destination="C:\\Users\\alex\\x.age",
        bundle=written,
        items=selection.items(),
    )
    entry = share_export.get_export(open_vault, record.export_id)
    assert (entry.format, entry.destination) == ("age", "x.age")
    assert entry.manifest_sha256 == written.manifest_sha256
    assert entry.signer_fingerprint == written.signer_fingerprint


def test_exports_cannot_be_changed_or_deleted(open_vault: Any, seeded: Seeded) -> None:
    _, _, record = export_pdf(open_vault, seeded)
    for statement in ("UPDATE exports SET destination = 'x.pdf'", "DELETE FROM exports"):
        with pytest.raises(Exception, match="cannot be (changed|deleted)"):
            with open_vault.transaction() as conn:
                conn.execute(statement)
    assert share_export.get_export(open_vault, record.export_id).destination == "for-MASH.pdf"


def test_an_export_cannot_be_recorded_against_a_decision_it_does_not_have(open_vault: Any, seeded: Seeded) -> None:
    ensure_gui_app()
    other = seed_case(open_vault, "C-OTHER")
    packet = pb.build(open_vault, pb.load_choices(open_vault, seeded.case.id).default_selection())
    data = share_export.encrypted_pdf(packet, PASSWORD)
    events = len(audit.recent_events(open_vault.conn, 1000))
    with pytest.raises(UsageError, match="not in this vault"):
        share_export.record_export(
            open_vault, packet, protection="pdf-password", data=data, case_id=other.case.id + 100
        )
    with pytest.raises(UsageError, match="is not a decision on case C-OTHER"):
        share_export.record_export(
            open_vault,
            packet,
            protection="pdf-password",
            data=data,
            case_id=other.case.id,
            items=pb.ExportSelection(case_id=other.case.id).items(),
        )
    assert len(audit.recent_events(open_vault.conn, 1000)) == events  # nothing half-recorded
    with pytest.raises(UsageError, match="not in this vault"):
        share_export.record_export_feedback(open_vault, 999, FeedbackInput("2024-03-08", "x"))


def test_an_export_outside_a_decision_is_recorded_but_takes_no_feedback(open_vault: Any, seeded: Seeded) -> None:
    ensure_gui_app()
    packet, items = pb.build_for_decision(open_vault, seeded.case.id, None, include_all=True)
    data = share_export.encrypted_pdf(packet, PASSWORD)
    record = share_export.record_export(open_vault, packet, protection="pdf-password", data=data, items=items)
    entry = share_export.get_export(open_vault, record.export_id)
    assert entry.decision_id is None and entry.items.note_ids == tuple(seeded.note_ids)
    event = audit.recent_events(open_vault.conn, 1)[0]
    assert (event["subject_type"], event["subject_id"]) == ("packet", packet.packet_id)
    with pytest.raises(UsageError, match="not made under a recorded decision"):
        share_export.record_export_feedback(open_vault, entry.id, FeedbackInput("2024-03-08", "x"))
