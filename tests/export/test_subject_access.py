"""Subject access export: everything held about one person, every third party redacted,
as a password-protected PDF that pypdf opens with its password; recorded in the audit
trail and the exports table."""

from __future__ import annotations

import io
import re
from typing import Any

import pytest
from pypdf import PdfReader

from desktop_app.domain.decision_record import ConsentInput
from desktop_app.domain.records import CaseDetails, NoteInput
from desktop_app.export.pdf import ensure_gui_app
from desktop_app.services import case_records, share_export
from desktop_app.services import decisions as decision_service
from desktop_app.services.subject_access import build_subject_access, export_subject_access, record_subject_access
from desktop_app.store import audit

from .seed import Seeded, seed_case

PASSWORD = "7K3Q-XH2M-9TDA-RW4P-C8NV"


@pytest.fixture(autouse=True)
def _gui(qapp: Any) -> None:
    """The PDF is drawn by Qt: a QApplication first, so the GUI tests can share it."""


@pytest.fixture
def seeded(open_vault: Any) -> Seeded:
    return seed_case(open_vault)


def words(text: str, *names: str) -> list[str]:
    return [n for n in names if re.search(rf"\b{re.escape(n)}\b", text, re.IGNORECASE)]


def pdf_text(data: bytes) -> str:
    reader = PdfReader(io.BytesIO(data))
    assert reader.is_encrypted
    assert reader.decrypt("not the password") == 0
    assert reader.decrypt(PASSWORD) != 0
    return " ".join(" ".join(page.extract_text() for page in reader.pages).split())


def test_the_childs_export_holds_everything_with_third_parties_redacted(open_vault: Any, seeded: Seeded) -> None:
    ensure_gui_app()
    case_records.amend_note(
        open_vault,
        seeded.note_ids[2],
        NoteInput("2024-03-03T09:15", "School nurse saw a bruise on Tom's left forearm, about 3 cm."),
        reason="Added the size",
    )
    built, data = export_subject_access(open_vault, seeded.case.id, None, PASSWORD)
    packet = built.packet
    text = packet.to_json()
    assert words(text, "Margaret", "Thistlewood", "Dariusz", "Nowak", "Anna") == []
    assert "Tom Example" in text  # the data subject is named
    assert {p.display_name for p in packet.people} == {"Neighbour A", "Father A", "Mother A"}
    ids = [n.note_id for n in packet.notes]
    # Every note, both versions of the amended one, and the decision about the child.
    for note_id in seeded.note_ids[:2] + seeded.note_ids[3:]:
        assert f"N-{note_id}" in ids
    assert f"N-{seeded.note_ids[2]} v1" in ids and f"N-{seeded.note_ids[2]} v2" in ids
    assert f"D-{seeded.decision.id}" in ids
    assert packet.decision.decision_id is None
    assert "Date of birth" in [f.label for f in packet.case.fields]

    content = pdf_text(data)
    assert "Tom Example" in content and "Neighbour A" in content and "Father A" in content
    assert words(content, "Margaret", "Thistlewood", "Dariusz", "Nowak") == []

    record = record_subject_access(open_vault, built, data, destination="/tmp/sar/tom.pdf")
    entry = share_export.get_export(open_vault, record.export_id)
    assert (entry.kind, entry.decision_id, entry.person_id, entry.destination) == (
        "subject_access",
        None,
        None,
        "tom.pdf",
    )
    assert set(entry.items.note_ids) == set(seeded.note_ids)
    event = audit.recent_events(open_vault.conn, 1)[0]
    assert event["action"] == "packet.exported" and event["details"]["kind"] == "subject_access"
    [shown] = case_records.chronology_page(open_vault, seeded.case.id, kinds=["export"]).entries
    assert shown.title == "Subject access export, password-protected PDF"
    assert shown.summary.startswith("About Tom Example:")


def test_a_parents_export_holds_only_what_is_about_them(open_vault: Any, seeded: Seeded) -> None:
    ensure_gui_app()
    decision_service.record_consent(
        open_vault,
        seeded.father.id,
        ConsentInput(
            kind="refused",
            occurred_at="2024-03-04T12:00",
            how="In person",
            given_by="Dariusz Nowak, for himself",
            capacity_note="An adult with capacity",
        ),
    )
    built, data = export_subject_access(open_vault, seeded.case.id, seeded.father.id, PASSWORD)
    packet = built.packet
    # The note that names him (by first name); not the others.
    note_ids = [n.note_id for n in packet.notes if n.note_id.startswith("N-")]
    assert note_ids == [f"N-{seeded.note_ids[1]}"]
    assert any(n.category == "Consent refused" for n in packet.notes)
    text = packet.to_json()
    assert "Dariusz Nowak" in text
    # The child and the neighbour are third parties here.
    assert words(text, "Tom", "Margaret", "Thistlewood") == []
    assert "Child A" in packet.notes[0].text and "Neighbour A" in packet.notes[0].text
    assert [(p.role, p.display_name) for p in packet.people] == [("Father", "Dariusz Nowak")]
    content = pdf_text(data)
    assert "Dariusz Nowak" in content and words(content, "Tom", "Thistlewood") == []
    record = record_subject_access(open_vault, built, data, destination="dariusz.pdf")
    assert share_export.get_export(open_vault, record.export_id).person_id == seeded.father.id


def test_a_protected_person_sees_their_own_name(open_vault: Any, seeded: Seeded) -> None:
    built = build_subject_access(open_vault, seeded.case.id, seeded.neighbour.id)
    text = built.packet.to_json()
    assert "Margaret Thistlewood" in text
    assert "Why your identity is protected in what we share" in text
    assert words(text, "Dariusz", "Tom") == []


def test_the_childs_export_includes_earlier_case_details_with_the_reason(open_vault: Any, seeded: Seeded) -> None:
    """An earlier name or date of birth is information held about the child too."""
    ensure_gui_app()
    case = seeded.case
    case_records.update_case(
        open_vault,
        case.id,
        CaseDetails(
            case.reference,
            "Sam Rivers",
            case.subject_date_of_birth,
            dict(case.subject_identifiers),
            key_worker=case.key_worker,
        ),
        reason="Surname changed after adoption order",
    )
    built, data = export_subject_access(open_vault, case.id, None, PASSWORD)
    [entry] = [n for n in built.packet.notes if n.note_id.startswith("C-")]
    assert entry.category == "Case details changed"
    # The earlier name is the child's own: not redacted, though it shares a parent's surname.
    assert entry.text.splitlines() == [
        "Name: Tom Example → Sam Rivers",
        "Reason: Surname changed after adoption order",
    ]
    content = pdf_text(data)
    assert "Sam Rivers" in content and "Tom Example →" in content

    # In a parent's export the child is a third party, under the earlier name too: every
    # part of it, since a surname may have been changed to protect the child.
    case_records.record_note(
        open_vault,
        case.id,
        NoteInput("2024-03-05T10:00", "Dariusz said Tom asked to be called Example again. Example was upset."),
    )
    father = next(p for p in case_records.list_people(open_vault, case.id) if p.relationship == "Father")
    built, _ = export_subject_access(open_vault, case.id, father.id, PASSWORD)
    text = built.packet.to_json()
    assert "asked to be called" in text  # the note is in the father's export
    assert words(text, "Tom Example", "Example", "Tom") == []
