"""Migration 4 and the decisions store: records never change, corrections chain, the
chronology shows every kind, and the awaiting-feedback query follows corrections."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from desktop_app.domain.decision_record import (
    ConsentInput,
    DecisionFields,
    FeedbackInput,
    RequestDecisionInput,
    RequestInput,
    consent_summary,
    feedback_summary,
    request_summary,
    validate_consent,
    validate_decision,
    validate_feedback,
    validate_request,
    validate_request_decision,
)
from desktop_app.domain.decision_rules import RULES_VERSION, decide
from desktop_app.domain.records import CaseDetails, NoteInput, PersonDetails
from desktop_app.services import case_records
from desktop_app.store import chronology, migrations
from desktop_app.store import decisions as store

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
    purpose="Referral to children's social care",
    what_shared="The disclosure of 1 March",
    recipient_organisation="Children's Social Care",
    decided_by="Alex Practitioner",
    decided_at="2024-03-02T10:00:00+00:00",
    lawful_basis=("public_task",),
    risk_level="Significant harm",
    rationale="The disclosure describes significant harm.",
    consent_given_by_and_when="Mother, in person, 2 March 10:00",
    confidentiality="consent",
    informed="told_before",
    informed_when="2 March, before the referral",
)
NOW = "2024-03-02T10:05:00.000000+00:00"
KINDS = ("decision", "request", "consent", "feedback")


@pytest.fixture
def case(open_vault: Any) -> dict[str, int]:
    vault = open_vault
    c = case_records.create_case(vault, CaseDetails("D-1", "Sam Example"))
    other = case_records.create_case(vault, CaseDetails("D-2", "Kim Example"))
    note = case_records.record_note(vault, c.id, NoteInput("2024-03-01T09:00", "Sam said something worrying"))
    other_note = case_records.record_note(vault, other.id, NoteInput("2024-03-01T09:00", "Another child"))
    person = case_records.add_person(
        vault, c.id, PersonDetails("Jo Example", "Parent", protect_identity=True, protect_reason="Fled abuse")
    )
    return {"case": c.id, "other": other.id, "note": note.id, "other_note": other_note.id, "person": person.id}


def insert(conn: Any, case_id: int, notes: tuple[int, ...] = (), **kwargs: Any) -> int:
    valid = validate_decision(decide(ANSWERS), "share", FIELDS, notes)
    return store.insert_decision(conn, case_id, valid, now=NOW, by="Alex Practitioner", **kwargs)


def test_migration_4_is_registered_and_applied(open_vault: Any) -> None:
    assert migrations.LATEST_VERSION >= 4
    assert migrations.current_version(open_vault.conn) == migrations.LATEST_VERSION
    tables = {row[0] for row in open_vault.conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {
        "decisions",
        "decision_notes",
        "information_requests",
        "request_responses",
        "consent_entries",
        "decision_feedback",
        "decision_drafts",
    } <= tables


def test_decision_round_trip_with_linked_notes(open_vault: Any, case: dict[str, int]) -> None:
    with open_vault.transaction() as conn:
        decision_id = insert(conn, case["case"], (case["note"],))
    decision = store.get_decision(open_vault.conn, decision_id)
    assert decision is not None
    assert decision.fields == FIELDS
    assert decision.linked_note_ids == (case["note"],)
    assert decision.answers == ANSWERS
    assert decision.outcome == decide(ANSWERS).to_json()
    assert decision.rules_version == RULES_VERSION
    assert decision.final_decision == "share" and decision.recommendation == "share"
    assert decision.follows_recommendation
    assert [r["field"] for r in decision.required][:2] == ["purpose", "what_shared"]
    assert decision.required[0]["citation"]["document"]


def test_why_advice_was_not_sought_is_kept_in_its_own_field(open_vault: Any, case: dict[str, int]) -> None:
    """Migration 9: the reason never sits in "What was advised", where it could be read
    years later as advice someone gave."""
    fields = replace(FIELDS, advice_not_sought_reason="Shared at once; the DSL was told the same afternoon.")
    valid = validate_decision(decide(ANSWERS), "share", fields, ())
    with open_vault.transaction() as conn:
        decision_id = store.insert_decision(conn, case["case"], valid, now=NOW, by="Alex Practitioner")
    decision = store.get_decision(open_vault.conn, decision_id)
    assert decision is not None and decision.fields == fields
    assert decision.fields.advice_given == "" and decision.fields.advice_sought_from == ""
    assert open_vault.conn.execute("PRAGMA user_version").fetchone()[0] >= 9


@pytest.mark.parametrize(
    ("table", "change"),
    [
        ("decisions", "UPDATE decisions SET rationale = 'changed'"),
        ("decisions", "DELETE FROM decisions"),
        ("decision_notes", "DELETE FROM decision_notes"),
        ("decision_notes", "UPDATE decision_notes SET note_id = note_id"),
    ],
)
def test_a_recorded_decision_never_changes(open_vault: Any, case: dict[str, int], table: str, change: str) -> None:
    with open_vault.transaction() as conn:
        insert(conn, case["case"], (case["note"],))
    with pytest.raises(Exception, match="cannot be (changed|deleted)"):
        open_vault.conn.execute(change)
    assert open_vault.conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0] == 1


def test_corrections_chain_once_and_stay_on_the_case(open_vault: Any, case: dict[str, int]) -> None:
    with open_vault.transaction() as conn:
        first = insert(conn, case["case"])
        second = insert(conn, case["case"], supersedes_id=first, supersede_reason="Wrong recipient")
    with pytest.raises(Exception, match="UNIQUE"), open_vault.transaction() as conn:
        insert(conn, case["case"], supersedes_id=first, supersede_reason="Again")
    with pytest.raises(Exception, match="same case"), open_vault.transaction() as conn:
        insert(conn, case["other"], supersedes_id=second, supersede_reason="Other case")
    with pytest.raises(Exception, match="CHECK"), open_vault.transaction() as conn:
        insert(conn, case["case"], supersedes_id=second, supersede_reason="  ")
    history = store.decision_history(open_vault.conn, second)
    assert [d.id for d in history] == [first, second]
    assert history[0].superseded_by_id == second
    assert [d.id for d in store.list_decisions(open_vault.conn, case["case"])] == [second]
    assert len(store.list_decisions(open_vault.conn, case["case"], include_superseded=True)) == 2


def test_linked_notes_must_be_of_the_same_case(open_vault: Any, case: dict[str, int]) -> None:
    with pytest.raises(Exception, match="its own case"), open_vault.transaction() as conn:
        insert(conn, case["case"], (case["other_note"],))
    assert open_vault.conn.execute("SELECT count(*) FROM decisions").fetchone()[0] == 0


def test_requests_responses_consent_and_feedback_never_change(open_vault: Any, case: dict[str, int]) -> None:
    request = validate_request(RequestInput("Police", "School records", "Investigation", "Rang back", "2024-03-01"))
    consent = validate_consent(
        ConsentInput("given", "2024-03-01", scope="School nurse", given_by="Jo", capacity_note="Adult")
    )
    feedback = validate_feedback(FeedbackInput("2024-03-03", "Strategy meeting held"))
    with open_vault.transaction() as conn:
        decision_id = insert(conn, case["case"])
        request_id = store.insert_request(
            conn, case["case"], request, summary=request_summary(request), now=NOW, by="Alex"
        )
        answer = validate_request_decision(RequestDecisionInput("share", "Needed", decision_id=decision_id))
        store.insert_request_response(conn, request_id, answer, decided_at=NOW, decided_by="Alex", now=NOW)
        store.insert_consent(
            conn, case["case"], case["person"], consent, summary=consent_summary(consent, "Jo"), now=NOW, by="Alex"
        )
        store.insert_feedback(
            conn, decision_id, case["case"], feedback, summary=feedback_summary(feedback), now=NOW, by="Alex"
        )
    for table in ("information_requests", "request_responses", "consent_entries", "decision_feedback"):
        with pytest.raises(Exception, match="cannot be changed"):
            open_vault.conn.execute(f"UPDATE {table} SET recorded_at = 'x'")
        with pytest.raises(Exception, match="cannot be deleted"):
            open_vault.conn.execute(f"DELETE FROM {table}")


def test_cross_case_links_are_refused(open_vault: Any, case: dict[str, int]) -> None:
    consent = validate_consent(ConsentInput("refused", "2024-03-01", given_by="Jo"))
    with pytest.raises(Exception, match="same case"), open_vault.transaction() as conn:
        store.insert_consent(conn, case["other"], case["person"], consent, summary="x", now=NOW, by="Alex")
    feedback = validate_feedback(FeedbackInput("2024-03-03", "Seen"))
    with open_vault.transaction() as conn:
        decision_id = insert(conn, case["case"])
    with pytest.raises(Exception, match="case of its decision"), open_vault.transaction() as conn:
        store.insert_feedback(conn, decision_id, case["other"], feedback, summary="x", now=NOW, by="Alex")


def test_unfinished_decisions_can_change_and_go(open_vault: Any, case: dict[str, int]) -> None:
    with open_vault.transaction() as conn:
        draft_id = store.insert_draft(conn, case["case"], {"step": "purpose", "answers": {}}, now=NOW)
        assert store.update_draft(conn, draft_id, {"step": "consent", "answers": {"purpose": "x"}}, now=NOW)
    found = store.get_draft(open_vault.conn, draft_id)
    assert found is not None and found.step == "consent" and found.answers == {"purpose": "x"}
    assert [d.id for d in store.list_drafts(open_vault.conn, case["case"])] == [draft_id]
    with open_vault.transaction() as conn:
        assert store.delete_draft(conn, draft_id)
    assert store.list_drafts(open_vault.conn) == []


def test_every_kind_is_a_valid_chronology_source(open_vault: Any) -> None:
    sources = chronology.sources()
    for kind in KINDS:
        assert kind in sources, f"{kind} not registered"
        assert chronology.check_source(open_vault.conn, sources[kind]) == []


def test_chronology_shows_current_decisions_requests_consent_and_feedback(
    open_vault: Any, case: dict[str, int]
) -> None:
    request = validate_request(RequestInput("Police", "School records", "Investigation", "Rang back", "2024-03-01"))
    consent = validate_consent(ConsentInput("withdrawn", "2024-03-04", given_by="Jo"))
    feedback = validate_feedback(FeedbackInput("2024-03-05", "Strategy meeting held", from_whom="Social worker"))
    with open_vault.transaction() as conn:
        first = insert(conn, case["case"])
        second = insert(conn, case["case"], supersedes_id=first, supersede_reason="Corrected the recipient")
        request_id = store.insert_request(
            conn, case["case"], request, summary=request_summary(request), now=NOW, by="A"
        )
        store.insert_consent(conn, case["case"], case["person"], consent, summary="Withdrawn (Jo)", now=NOW, by="A")
        store.insert_feedback(conn, second, case["case"], feedback, summary=feedback_summary(feedback), now=NOW, by="A")
    page = chronology.page(open_vault.conn, case["case"], kinds=KINDS)
    by_kind = {(e.kind, e.item_id): e for e in page.entries}
    assert ("decision", first) not in by_kind  # the corrected version is read from the new one
    assert by_kind[("decision", second)].title == "Share"
    assert by_kind[("decision", second)].flags == ("amended",)
    assert by_kind[("request", request_id)].title == "Received, not decided yet"
    assert by_kind[("request", request_id)].summary == "From Police: School records"
    consent_entry = next(e for e in page.entries if e.kind == "consent")
    assert consent_entry.title == "Consent withdrawn" and consent_entry.flags == ("protected",)
    assert next(e for e in page.entries if e.kind == "feedback").summary == "From Social worker: Strategy meeting held"
    assert [e.occurred_at for e in page.entries] == sorted((e.occurred_at for e in page.entries), reverse=True)
    assert chronology.page(open_vault.conn, case["other"], kinds=KINDS).entries == []


def test_awaiting_feedback_follows_corrections(open_vault: Any, case: dict[str, int]) -> None:
    feedback = validate_feedback(FeedbackInput("2024-03-05", "Seen"))
    with open_vault.transaction() as conn:
        first = insert(conn, case["case"])
        waiting = insert(conn, case["case"])
    assert [a.decision_id for a in store.awaiting_feedback(open_vault.conn)] == [first, waiting]
    with open_vault.transaction() as conn:
        store.insert_feedback(conn, first, case["case"], feedback, summary="Seen", now=NOW, by="A")
        corrected = insert(conn, case["case"], supersedes_id=first, supersede_reason="Typo")
        newer = insert(conn, case["case"], supersedes_id=waiting, supersede_reason="Typo")
    awaiting = store.awaiting_feedback(open_vault.conn)
    # Feedback on the original still counts for its correction; the corrected one waits.
    assert [a.decision_id for a in awaiting] == [newer]
    assert corrected not in [a.decision_id for a in awaiting]
    assert awaiting[0].case_reference == "D-1"
    assert awaiting[0].recipient == "Children's Social Care"
    assert store.awaiting_feedback(open_vault.conn, case_id=case["other"]) == []
