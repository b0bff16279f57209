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
    risk_level="Significant harm",
    rationale="Two accounts of shouting and one of a bruise: risk of significant harm.",
    consent_given_by_and_when="Mother, in person, 4 March 10:00",
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
