"""A fictional case for the export tests, made through the services in a real vault: a
child, three people around them (one whose identity is protected), four notes and a
decision to share two of them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from desktop_app.domain.decision_record import Decision, DecisionFields
from desktop_app.domain.decision_rules import decide
from desktop_app.domain.records import SOURCE_REPORTED, Case, NoteInput, Person, PersonDetails
from desktop_app.domain.records import CaseDetails as Details
from desktop_app.services import case_records
from desktop_app.services import decisions as decision_service

ANSWERS: dict[str, Any] = {
    "organisation_sector": "public",
    "concern": "significant_harm",
    "purpose": "Referral to children's social care",
    "recipient_has_safeguarding_role": True,
    "identifiable": True,
    "anonymised_would_suffice": False,
    "confidential": True,
    "special_category": False,
    "legal_requirement": False,
    "informing_would_increase_risk": False,
    "objection_raised": False,
    "consent": "given",
    "consent_not_sought_reason": None,
}
FIELDS = DecisionFields(
    purpose="Refer concerns about Tom's safety at home to the MASH",
    what_shared="The two home-visit notes of March",
    recipient_organisation="Children's Services MASH",
    recipient_person="Sam Rivers",
    recipient_role="Duty social worker",
    recipient_contact="0300 000 0000",
    recipient_secure_route="Secure email",
    decided_by="Alex Practitioner (DSL)",
    decided_at="2024-03-05T10:00:00+00:00",
    lawful_basis=("public_task",),
    article9_condition="safeguarding_of_children_and_individuals_at_risk",
    confidentiality="consent",
    risk_level="Significant harm",
    rationale="Two accounts of shouting and one of a bruise: risk of significant harm.",
    consent_given_by_and_when="Mother, in person, 4 March 10:00",
    informed="told_before",
    informed_when="4 March 10:00, with the consent",
)
PROTECTED_NAME = "Margaret Thistlewood"
# Every way the protected neighbour is named in the notes below; none may leave the vault.
PROTECTED_WORDS = ("Margaret", "Thistlewood", "Maggie")
NOTE_TEXTS = (
    "Home visit at 10:00. Margaret Thistlewood (next door) told me she hears shouting most nights. "
    "Margaret's kitchen window faces the garden.",
    "Mrs Thistlewood rang: Dariusz shouted at Tom in the street. Thistlewood’s car was outside until late.",
    "School nurse saw a bruise on Tom's left forearm. The family live at 12 Acacia Road.",
    "Neighbour says Tom was outside alone after dark on Friday.",
)


@dataclass
class Seeded:
    case: Case
    neighbour: Person  # protected
    father: Person
    mother: Person
    note_ids: list[int]
    decision: Decision

    @property
    def linked(self) -> list[int]:
        return self.note_ids[:2]


def seed_case(vault: Any, reference: str = "C-2026-7") -> Seeded:
    case = case_records.create_case(
        vault,
        Details(reference, "Tom Example", date(2016, 4, 12), {"UPN": "A123456789012"}, "Alex Practitioner"),
        opened_on=date(2024, 1, 2),
    )
    neighbour = case_records.add_person(
        vault,
        case.id,
        PersonDetails(
            PROTECTED_NAME,
            "Neighbour",
            contact="07700 900123",
            protect_identity=True,
            protect_reason="She fears the father would retaliate.",
        ),
    )
    father = case_records.add_person(vault, case.id, PersonDetails("Dariusz Nowak", "Father"))
    mother = case_records.add_person(vault, case.id, PersonDetails("Anna Example", "Mother"))
    notes = [
        case_records.record_note(vault, case.id, NoteInput("2024-03-01T10:00", NOTE_TEXTS[0], category="neglect")),
        case_records.record_note(vault, case.id, NoteInput("2024-03-02T18:30", NOTE_TEXTS[1])),
        case_records.record_note(vault, case.id, NoteInput("2024-03-03T09:15", NOTE_TEXTS[2])),
        case_records.record_note(
            vault,
            case.id,
            NoteInput("2024-03-04T08:00", NOTE_TEXTS[3], source=SOURCE_REPORTED, source_person_id=neighbour.id),
        ),
    ]
    note_ids = [n.id for n in notes]
    decision = decision_service.record_decision(vault, case.id, ANSWERS, decide(ANSWERS), "share", FIELDS, note_ids[:2])
    return Seeded(case, neighbour, father, mother, note_ids, decision)


def record_decision(vault: Any, case_id: int, note_ids: list[int], **fields: Any) -> Decision:
    values = {**FIELDS.to_json(), **fields}
    return decision_service.record_decision(vault, case_id, ANSWERS, decide(ANSWERS), "share", values, note_ids)


@dataclass
class SeededHistory:
    """``seed_case`` plus a record's later life, so a copy of the vault has something in
    every kind of row to lose: amendments, a note and an attachment marked in error, a
    changed and a closed case, consent, a request answered, a superseded decision,
    feedback, an unfinished decision, a draft, settings, an export and a bundle received
    (not emergency shares)."""

    seeded: Seeded
    closed_case: Case
    amended_note_id: int
    attachment_id: int
    export_id: int
    received_id: int


def seed_history(vault: Any) -> SeededHistory:
    """A vault with a case's whole history, made through the services (each step audited)."""
    # Imported here: only this seeder needs them, and seed_case stays light for the others.
    import pyrage
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from desktop_app.domain.decision_record import (
        ConsentInput,
        FeedbackInput,
        RequestDecisionInput,
        RequestInput,
    )
    from desktop_app.domain.policy import UserSettings
    from desktop_app.export.bundle import write_bundle
    from desktop_app.services import bundle_import, share_export
    from desktop_app.services import packet_builder as pb
    from desktop_app.services.settings import save_user_settings

    from .conftest import raw_packet

    seeded = seed_case(vault)
    case_id = seeded.case.id
    case_records.update_case(
        vault,
        case_id,
        Details(seeded.case.reference, "Tom Example", date(2016, 4, 12), {"UPN": "A123456789013"}, "Sam Key"),
        reason="UPN corrected from the school's records; new key worker",
    )
    amended = case_records.amend_note(
        vault,
        seeded.note_ids[2],
        NoteInput("2024-03-03T09:15", NOTE_TEXTS[2] + " About 3 cm.", category="physical_abuse"),
        reason="Added the size of the bruise",
    )
    case_records.mark_note_in_error(vault, seeded.note_ids[3], reason="Recorded on the wrong day; recorded again")
    attachment = case_records.add_attachment(
        vault,
        case_id,
        filename="body-map.png",
        data=b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4,
        note_id=seeded.note_ids[2],
        description="Body map drawn by the school nurse",
    )
    wrong = case_records.add_attachment(vault, case_id, filename="wrong.txt", data=b"another child's letter")
    case_records.mark_attachment_in_error(vault, wrong.id, reason="Belongs to another child")
    draft = case_records.save_draft(vault, text="Half-written note about Friday's pick-up", case_id=case_id)
    assert draft.id

    decision_service.record_consent(
        vault,
        seeded.mother.id,
        ConsentInput(
            kind="given",
            occurred_at="2024-03-04T10:00",
            scope="Referral to the MASH",
            given_by="Anna Example, his mother",
            capacity_note="An adult with capacity, giving consent for her son",
            how="In person",
        ),
    )
    request = decision_service.record_request(
        vault,
        case_id,
        RequestInput(
            requester_organisation="Children's Services MASH",
            what_requested="Attendance this term",
            why_requested="Strategy discussion",
            identity_check="Called back on the switchboard number",
            received_at="2024-03-06T09:00",
        ),
    )
    decision_service.decide_request(
        vault,
        request.id,
        RequestDecisionInput(
            response="share", reasons="Covered by the decision to refer", decision_id=seeded.decision.id
        ),
    )
    later = record_decision(vault, case_id, seeded.note_ids[:3], purpose="Update the MASH on the bruise")
    decision_service.supersede_decision(
        vault,
        later.id,
        ANSWERS,
        decide(ANSWERS),
        "share",
        {**FIELDS.to_json(), "purpose": "Update the MASH on the bruise and its size"},
        seeded.note_ids[:3],
        reason="The purpose should say the size was added",
    )
    decision_service.save_wizard_state(
        vault, case_id, step="record", answers={"concern": "significant_harm"}, fields={"purpose": "Tell the GP"}
    )

    # An export (an age bundle: no PDF needs drawing) and the recipient's feedback on it.
    packet = pb.build(vault, pb.load_choices(vault, case_id).default_selection())
    identity = pyrage.x25519.Identity.generate()
    written = share_export.signed_bundle(vault, packet, recipient=str(identity.to_public()), pdf=b"%PDF-1.7\n%%EOF\n")
    record = share_export.record_export(
        vault, packet, protection="age-key", data=written.data, destination="for-mash.age", bundle=written
    )
    assert record.export_id is not None
    share_export.record_export_feedback(
        vault, record.export_id, FeedbackInput(received_at="2024-03-08T09:00", outcome="Strategy discussion held")
    )
    # A bundle another organisation sent us, kept as information received.
    theirs = write_bundle(
        raw_packet(1), Ed25519PrivateKey.generate(), recipient=str(identity.to_public()), pdf=b"%PDF-1.7\n%%EOF\n"
    )
    received = bundle_import.import_bundle(
        vault, theirs.data, case_id=case_id, request_id=request.id, identity=str(identity)
    )

    save_user_settings(vault, UserSettings(idle_lock_minutes=3, clipboard_allow_copy=False))

    closed = case_records.create_case(
        vault, Details("C-2025-3", "Amy Example", date(2015, 9, 1), {}, "Alex Practitioner"), opened_on=date(2024, 1, 5)
    )
    case_records.record_note(vault, closed.id, NoteInput("2024-02-01T12:00", "Settled well; no concerns now."))
    closed = case_records.close_case(vault, closed.id, reason="No further concerns", closed_on=date(2024, 3, 1))
    return SeededHistory(seeded, closed, amended.id, attachment.id, record.export_id, received.id)
