"""The decision services: golden rule 7 enforced on save, corrections, unfinished
decisions, requests and reconsiderations, the consent register and feedback.

The Hypothesis properties run against a real vault: whatever the answers, a decision
not to share is refused without a rationale, and sharing without consent is refused
without the reasons and the legal basis; nothing is written when a save is refused.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from desktop_app.domain import decision_record as dr
from desktop_app.domain.decision_record import (
    ConsentInput,
    DecisionFields,
    FeedbackInput,
    RequestDecisionInput,
    RequestInput,
)
from desktop_app.domain.decision_rules import Consent, ConsentNotSoughtReason, Outcome, decide
from desktop_app.domain.guidance import ELLIPSIS, SOURCE_FILES
from desktop_app.domain.records import CaseDetails, NoteInput, PersonDetails
from desktop_app.domain.wizard_flow import FinalDecision, required_record_fields
from desktop_app.errors import UsageError, ValidationError
from desktop_app.services import case_records
from desktop_app.services import decisions as ds
from desktop_app.store import audit

REPO = Path(__file__).resolve().parents[2]
GUIDANCE_DIR = Path(os.environ.get("CASENOTES_GUIDANCE_DIR") or REPO / "resources" / "guidance")

BASE: dict[str, Any] = {
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
# Every field filled in: tests take away what they are about.
FULL = DecisionFields(
    purpose="Referral to children's social care",
    what_shared="The disclosure of 1 March, and attendance",
    recipient_organisation="Children's Social Care",
    recipient_person="Duty social worker",
    recipient_role="Statutory safeguarding",
    recipient_contact="0100 000 000",
    recipient_secure_route="Secure email",
    lawful_basis=("public_task",),
    article9_condition="safeguarding_of_children_and_individuals_at_risk",
    confidentiality="overriding_public_interest",
    consent_given_by_and_when="Mother, in person, 2 March 10:00",
    reasons_consent_not_sought="Asking would have put the child at risk",
    reasons_for_overriding_objection="Sharing is necessary to protect the child",
    informed="not_told",
    informed_when="",
    reason_not_informed="Telling the family could put the child at risk",
    advice_sought_from="DSL, by phone",
    advice_sought_at="2 March 09:30",
    advice_given="Refer today",
    risk_level="Significant harm",
    decided_by="Alex Practitioner",
    decided_at="2024-03-02T10:00:00+00:00",
    rationale="The disclosure describes significant harm.",
    follow_up_rationale="Shared by phone first, written up here.",
    reason_differs_from_recommendation="I judged it differently.",
)


def count(vault: Any, table: str = "decisions") -> int:
    return int(vault.conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])


@pytest.fixture
def case(open_vault: Any) -> dict[str, int]:
    c = case_records.create_case(open_vault, CaseDetails("S-1", "Sam Example"))
    other = case_records.create_case(open_vault, CaseDetails("S-2", "Kim Example"))
    note = case_records.record_note(open_vault, c.id, NoteInput("2024-03-01T09:00", "Sam said something worrying"))
    other_note = case_records.record_note(open_vault, other.id, NoteInput("2024-03-01T09:00", "Another child"))
    return {"case": c.id, "other": other.id, "note": note.id, "other_note": other_note.id}


def record(vault: Any, case_id: int, decision: str = "share", **changes: Any) -> Any:
    answers = {**BASE, **changes.pop("answers", {})}
    fields = changes.pop("fields", FULL)
    return ds.record_decision(vault, case_id, answers, decide(answers), decision, fields, **changes)


# --- The citations this part adds are verbatim ------------------------------------------


def _normalise(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


@pytest.mark.parametrize("citation", dr.CITATIONS, ids=lambda c: c.text[:40])
def test_citations_are_verbatim(citation: Any) -> None:
    source = _normalise((GUIDANCE_DIR / SOURCE_FILES[citation.document]).read_text(encoding="utf-8"))
    position = 0
    for part in citation.text.split(ELLIPSIS):
        found = source.find(_normalise(part), position)
        assert found >= 0, f"not in {citation.document}: {part!r}"
        position = found + len(part)


# --- Golden rule 7, as properties ---------------------------------------------------------


@st.composite
def answers(draw: st.DrawFn, consent: st.SearchStrategy[str] | None = None) -> dict[str, Any]:
    chosen = draw(consent if consent is not None else st.sampled_from([c.value for c in Consent]))
    reason = (
        draw(st.sampled_from([None, *[r.value for r in ConsentNotSoughtReason]]))
        if chosen == Consent.NOT_SOUGHT
        else None
    )
    values: dict[str, Any] = {
        "organisation_sector": draw(st.sampled_from(["public", "voluntary", "private"])),
        "concern": draw(st.sampled_from(["wellbeing", "possible_harm", "significant_harm", "immediate_risk"])),
        "purpose": draw(st.sampled_from(["Referral", "Early help referral", "Police request"])),
        "consent": chosen,
        "consent_not_sought_reason": reason,
    }
    for key in (
        "recipient_has_safeguarding_role",
        "identifiable",
        "anonymised_would_suffice",
        "confidential",
        "special_category",
        "legal_requirement",
        "informing_would_increase_risk",
        "objection_raised",
    ):
        values[key] = draw(st.booleans())
    return values


BLANKS = st.sampled_from(["", " ", "\n\t  "])
PROPERTY_SETTINGS = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@PROPERTY_SETTINGS
@given(answers=answers(), blank=BLANKS, keep_saving=st.booleans())
def test_a_decision_not_to_share_still_requires_a_rationale(
    open_vault: Any, case: dict[str, int], answers: dict[str, Any], blank: str, keep_saving: bool
) -> None:
    outcome = decide(answers)
    before = count(open_vault)
    with pytest.raises(ValidationError) as caught:
        ds.record_decision(open_vault, case["case"], answers, outcome, "do_not_share", replace(FULL, rationale=blank))
    assert caught.value.field == "rationale"
    assert "Why you decided not to share" in caught.value.message
    assert "Golden rule 7" in caught.value.message
    assert count(open_vault) == before
    if keep_saving:  # with the rationale it is saved, and says why
        saved = ds.record_decision(open_vault, case["case"], answers, outcome, "do_not_share", FULL)
        assert saved.fields.rationale == FULL.rationale and not saved.is_sharing


@PROPERTY_SETTINGS
@given(
    answers=answers(consent=st.sampled_from(["not_sought", "refused", "withdrawn"])),
    decision=st.sampled_from(["share", "share_part"]),
    drop=st.sampled_from(["reasons", "lawful_basis", "article9"]),
)
def test_sharing_without_consent_requires_the_reasons_and_the_legal_basis(
    open_vault: Any, case: dict[str, int], answers: dict[str, Any], decision: str, drop: str
) -> None:
    outcome = decide(answers)
    required = {r.field for r in required_record_fields(outcome, decision)}
    reason_field = (
        "reasons_consent_not_sought" if answers["consent"] == "not_sought" else "reasons_for_overriding_objection"
    )
    assert {reason_field, "lawful_basis"} <= required
    if drop == "reasons":
        fields, expected = replace(FULL, **{reason_field: "  "}), reason_field
    elif drop == "lawful_basis":
        fields, expected = replace(FULL, lawful_basis=()), "lawful_basis"
    else:  # special category data needs its Article 9 condition as part of the legal basis
        answers = {**answers, "special_category": True}
        outcome = decide(answers)
        fields, expected = replace(FULL, article9_condition=None), "lawful_basis"
    before = count(open_vault)
    with pytest.raises(ValidationError) as caught:
        ds.record_decision(open_vault, case["case"], answers, outcome, decision, fields)
    assert caught.value.field == expected
    assert "must be filled in" in caught.value.message and "“" in caught.value.message
    assert count(open_vault) == before


@PROPERTY_SETTINGS
@given(answers=answers(), decision=st.sampled_from([d.value for d in FinalDecision]))
def test_every_required_field_is_enforced_and_a_full_record_saves(
    open_vault: Any, case: dict[str, int], answers: dict[str, Any], decision: str
) -> None:
    outcome = decide(answers)
    for requirement in required_record_fields(outcome, decision):
        emptied = {name: ("" if name != "lawful_basis" else ()) for name in dr.REQUIREMENT_FIELDS[requirement.field]}
        with pytest.raises(ValidationError) as caught:
            ds.record_decision(open_vault, case["case"], answers, outcome, decision, replace(FULL, **emptied))
        assert caught.value.field == requirement.field
        assert requirement.label in caught.value.message
        assert requirement.citation.text in caught.value.message
    saved = ds.record_decision(open_vault, case["case"], answers, outcome, decision, FULL, [case["note"]])
    assert saved.final_decision == decision and saved.linked_note_ids == (case["note"],)
    assert saved.outcome == outcome.to_json() and saved.answers == answers


# --- Decisions --------------------------------------------------------------------------------


def test_record_decision_audits_ids_and_a_fingerprint_not_the_text(open_vault: Any, case: dict[str, int]) -> None:
    decision = record(open_vault, case["case"], linked_note_ids=[case["note"]], prefill_source="emergency:7")
    event = audit.recent_events(open_vault.conn, 1)[0]
    assert event["action"] == "decision.recorded" and event["subject_id"] == str(decision.id)
    details = event["details"]
    assert details["case_id"] == case["case"] and details["final_decision"] == "share"
    assert details["linked_note_ids"] == [case["note"]] and details["prefill_source"] == "emergency:7"
    assert len(details["record_sha256"]) == 64
    text = json.dumps(details)
    for secret in (FULL.rationale, FULL.recipient_organisation, FULL.purpose, "Sam"):
        assert secret not in text
    assert audit.verify_chain(open_vault.conn).ok
    assert decision.prefill_source == "emergency:7"


def test_a_stale_outcome_is_refused(open_vault: Any, case: dict[str, int]) -> None:
    changed = {**BASE, "consent": "refused"}
    with pytest.raises(UsageError, match="does not match the answers"):
        ds.record_decision(open_vault, case["case"], changed, decide(BASE), "share", FULL)
    assert count(open_vault) == 0


def test_notes_of_another_case_cannot_be_linked(open_vault: Any, case: dict[str, int]) -> None:
    with pytest.raises(ValidationError, match="not notes of this case"):
        record(open_vault, case["case"], linked_note_ids=[case["other_note"]])
    assert count(open_vault) == 0


def test_what_was_shared_can_be_the_linked_notes(open_vault: Any, case: dict[str, int]) -> None:
    fields = replace(FULL, what_shared="")
    with pytest.raises(ValidationError) as caught:
        record(open_vault, case["case"], fields=fields)
    assert caught.value.field == "what_shared"
    assert record(open_vault, case["case"], fields=fields, linked_note_ids=[case["note"]]).linked_note_ids


def test_a_different_decision_needs_the_reason(open_vault: Any, case: dict[str, int]) -> None:
    # Recommended: share (significant harm); the practitioner decides not to, for now.
    with pytest.raises(ValidationError) as caught:
        record(open_vault, case["case"], "do_not_share", fields=replace(FULL, reason_differs_from_recommendation=""))
    assert caught.value.field == "reason_differs_from_recommendation"
    saved = record(open_vault, case["case"], "do_not_share")
    assert not saved.follows_recommendation and saved.recommendation == "share"


def test_an_emergency_needs_the_follow_up_rationale(open_vault: Any, case: dict[str, int]) -> None:
    emergency = {"concern": "immediate_risk"}
    with pytest.raises(ValidationError) as caught:
        record(open_vault, case["case"], answers=emergency, fields=replace(FULL, follow_up_rationale=""))
    assert caught.value.field == "follow_up_rationale"
    assert "Emergencies" in caught.value.message


def test_decided_at_may_not_be_in_the_future(open_vault: Any, case: dict[str, int]) -> None:
    with pytest.raises(ValidationError) as caught:
        record(open_vault, case["case"], fields=replace(FULL, decided_at="2999-01-01T10:00"))
    assert caught.value.field == "decided_at"


def test_a_correction_supersedes_once_with_a_reason(open_vault: Any, case: dict[str, int]) -> None:
    first = record(open_vault, case["case"])
    fields = replace(FULL, recipient_organisation="Early Help Hub")
    with pytest.raises(ValidationError):
        ds.supersede_decision(open_vault, first.id, BASE, decide(BASE), "share", fields, reason=" ")
    second = ds.supersede_decision(open_vault, first.id, BASE, decide(BASE), "share", fields, reason="Wrong recipient")
    assert second.supersedes_id == first.id and second.supersede_reason == "Wrong recipient"
    assert ds.get_decision(open_vault, first.id).fields.recipient_organisation == "Children's Social Care"
    assert [d.id for d in ds.decision_history(open_vault, second.id)] == [first.id, second.id]
    assert [d.id for d in ds.list_decisions(open_vault, case["case"])] == [second.id]
    with pytest.raises(UsageError, match="already been corrected"):
        ds.supersede_decision(open_vault, first.id, BASE, decide(BASE), "share", fields, reason="Again")
    assert audit.recent_events(open_vault.conn, 1)[0]["action"] == "decision.superseded"


# --- Unfinished decisions -----------------------------------------------------------------------


def test_unfinished_decisions_are_kept_resumed_and_cleared_when_saved(open_vault: Any, case: dict[str, int]) -> None:
    state = ds.save_wizard_state(
        open_vault,
        case["case"],
        step="consent",
        answers={"purpose": "Referral", "identifiable": True},
        fields={"rationale": "Half written"},
        linked_note_ids=[case["note"]],
    )
    state = ds.save_wizard_state(
        open_vault,
        case["case"],
        step="concern",
        answers={"purpose": "Referral", "identifiable": True, "consent": "given"},
        fields={"rationale": "Half written, more"},
        state_id=state.id,
    )
    assert [s.id for s in ds.list_unfinished(open_vault, case["case"])] == [state.id]
    resumed = ds.get_unfinished(open_vault, state.id)
    assert resumed.step == "concern" and resumed.answers["consent"] == "given"
    assert resumed.fields == {"rationale": "Half written, more"} and resumed.title == "Referral"
    assert ds.list_unfinished(open_vault, case["other"]) == []
    record(open_vault, case["case"], state_id=state.id)
    assert ds.list_unfinished(open_vault) == []


def test_unfinished_decisions_can_be_discarded_and_refuse_unknown_steps(open_vault: Any, case: dict[str, int]) -> None:
    with pytest.raises(ValidationError):
        ds.save_wizard_state(open_vault, case["case"], step="nowhere", answers={}, fields={})
    state = ds.save_wizard_state(open_vault, case["case"], step="purpose", answers={}, fields={})
    ds.discard_unfinished(open_vault, state.id)
    with pytest.raises(UsageError, match="no longer there"):
        ds.get_unfinished(open_vault, state.id)


# --- Requests received --------------------------------------------------------------------------

REQUEST = RequestInput(
    requester_organisation="Police",
    requester_person="DC Example",
    requester_contact="Via switchboard",
    identity_check="Rang back on the force switchboard number",
    what_requested="Attendance records",
    why_requested="Investigation into an assault",
    received_at="2024-03-01T09:00",
)


def test_a_request_needs_who_how_checked_what_and_why(open_vault: Any, case: dict[str, int]) -> None:
    for name in ("identity_check", "what_requested", "why_requested"):
        with pytest.raises(ValidationError) as caught:
            ds.record_request(open_vault, case["case"], replace(REQUEST, **{name: " "}))
        assert caught.value.field == name
    with pytest.raises(ValidationError):
        ds.record_request(open_vault, case["case"], replace(REQUEST, requester_organisation="", requester_person=""))
    assert count(open_vault, "information_requests") == 0


def test_declining_a_request_needs_reasons_and_a_reconsideration_links_the_original(
    open_vault: Any, case: dict[str, int]
) -> None:
    request = ds.record_request(open_vault, case["case"], REQUEST)
    assert not request.is_decided
    with pytest.raises(ValidationError) as caught:
        ds.decide_request(open_vault, request.id, RequestDecisionInput("decline", ""))
    assert caught.value.field == "reasons" and "be prepared to explain why" in caught.value.message
    with pytest.raises(UsageError, match="not been answered"):
        ds.reconsider_request(open_vault, request.id, new_information="A warrant")
    declined = ds.decide_request(open_vault, request.id, RequestDecisionInput("decline", "Not necessary yet"))
    assert declined.response is not None and declined.response.label == "Decline"
    with pytest.raises(UsageError, match="already been answered"):
        ds.decide_request(open_vault, request.id, RequestDecisionInput("decline", "Again"))
    with pytest.raises(ValidationError) as caught:
        ds.reconsider_request(open_vault, request.id, new_information=" ")
    assert "reconsider" in caught.value.advice
    again = ds.reconsider_request(open_vault, request.id, new_information="They now report a risk to the child")
    assert again.reconsiders_id == request.id and again.requester == "DC Example, Police"
    assert ds.get_request(open_vault, request.id).reconsidered_by_ids == (again.id,)
    # Shared this time, under a recorded decision.
    with pytest.raises(ValidationError) as caught:
        ds.decide_request(open_vault, again.id, RequestDecisionInput("share", "New risk"))
    assert caught.value.field == "decision_id"
    not_shared = record(open_vault, case["case"], "do_not_share")
    with pytest.raises(ValidationError, match="not a decision to share"):
        ds.decide_request(open_vault, again.id, RequestDecisionInput("share", "New risk", decision_id=not_shared.id))
    shared = record(open_vault, case["case"], request_id=again.id)
    answered = ds.decide_request(
        open_vault, again.id, RequestDecisionInput("share_part", "New risk", decision_id=shared.id)
    )
    assert answered.response is not None and answered.response.decision_id == shared.id
    assert shared.request_id == again.id
    actions = [e["action"] for e in audit.recent_events(open_vault.conn, 20)]
    assert {"request.recorded", "request.decided", "request.reconsidered"} <= set(actions)
    assert [r.id for r in ds.list_requests(open_vault, case["case"])] == [again.id, request.id]


# --- Consent register ----------------------------------------------------------------------------


def test_consent_given_then_withdrawn_and_the_state_follows_the_dates(open_vault: Any, case: dict[str, int]) -> None:
    person = case_records.add_person(open_vault, case["case"], PersonDetails("Jo Example", "Parent"))
    assert ds.consent_state(open_vault, person.id).label == "No consent recorded"
    given = ConsentInput("given", "2024-03-01T10:00", scope="Share with the school nurse", given_by="Jo (mother)")
    with pytest.raises(ValidationError) as caught:
        ds.record_consent(open_vault, person.id, given)
    assert caught.value.field == "capacity_note" and "capacity" in caught.value.advice
    ds.record_consent(open_vault, person.id, replace(given, capacity_note="Adult with capacity"))
    state = ds.consent_state(open_vault, person.id)
    assert state.is_given and state.scope == "Share with the school nurse"
    ds.record_consent(open_vault, person.id, ConsentInput("withdrawn", "2024-03-05T16:00", how="Phone call", given_by="Jo (mother)"))
    # Recorded later but dated earlier: it does not override the withdrawal.
    ds.record_consent(
        open_vault, person.id, replace(given, occurred_at="2024-02-01T10:00", capacity_note="Adult with capacity")
    )
    state = ds.consent_state(open_vault, person.id)
    assert state.state == "withdrawn" and state.since == "2024-03-05T16:00:00+00:00"
    assert [e.kind for e in state.entries] == ["withdrawn", "given", "given"]
    [(listed, listed_state)] = ds.case_consent(open_vault, case["case"])
    assert listed.id == person.id and listed_state.state == "withdrawn"
    assert audit.recent_events(open_vault.conn, 1)[0]["details"] == {
        "case_id": case["case"],
        "kind": "given",
        "person_id": person.id,
    }


# --- Feedback --------------------------------------------------------------------------------------


def test_feedback_closes_the_loop(open_vault: Any, case: dict[str, int]) -> None:
    shared = record(open_vault, case["case"])
    not_shared = record(open_vault, case["case"], "do_not_share")
    assert [a.decision_id for a in ds.awaiting_feedback(open_vault)] == [shared.id]
    with pytest.raises(UsageError, match="decision to share"):
        ds.record_feedback(open_vault, not_shared.id, FeedbackInput("2024-03-03", "Nothing"))
    with pytest.raises(ValidationError) as caught:
        ds.record_feedback(open_vault, shared.id, FeedbackInput("2024-03-03", "  "))
    assert caught.value.field == "outcome" and "hesitancy" in caught.value.advice
    feedback = ds.record_feedback(
        open_vault, shared.id, FeedbackInput("2024-03-03T15:00", "Strategy meeting held", from_whom="Social worker")
    )
    assert feedback.decision_id == shared.id and feedback.case_id == case["case"]
    assert ds.awaiting_feedback(open_vault) == []
    assert [f.id for f in ds.list_feedback(open_vault, shared.id)] == [feedback.id]
    assert ds.get_decision(open_vault, shared.id).feedback_count == 1


def test_outcome_type_is_checked() -> None:
    assert isinstance(decide(BASE), Outcome)


def test_a_request_and_its_answer_are_saved_together_or_not_at_all(open_vault: Any, case: dict[str, int]) -> None:
    other_decision = record(open_vault, case["other"])
    with pytest.raises(ValidationError, match="different case"):
        ds.record_request(
            open_vault, case["case"], REQUEST, RequestDecisionInput("share", "Needed", decision_id=other_decision.id)
        )
    assert count(open_vault, "information_requests") == 0
    shared = record(open_vault, case["case"])
    saved = ds.record_request(
        open_vault, case["case"], REQUEST, RequestDecisionInput("share", "Needed", decision_id=shared.id)
    )
    assert saved.response is not None and saved.response.decision_id == shared.id
    assert saved.response.decided_by == "Alex Practitioner"
