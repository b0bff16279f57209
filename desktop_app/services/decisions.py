"""Information-sharing decisions and the records around them: the use cases the screens
(and the emergency path) call.

Every function takes the ``OpenVault`` first and returns domain dataclasses. Writing
functions validate with ``domain.decision_record``, change the store and append the audit
event in **one transaction**. Audit details hold ids, codes and a SHA-256 fingerprint of
what was written, never the text or a name (``store/audit.py``).

The rule that matters most here is golden rule 7: "Record the reasons for your
information sharing decision, irrespective of whether or not you decide to share
information." ``record_decision`` refuses a decision while any field the guidance
requires for it is empty, and says which one and why.

Unfinished decisions (the wizard's state) are kept encrypted in the vault so a lock or
a crash loses nothing; like note drafts, they are not records and are not audited.

All of these run on the UI's background worker thread; none touches Qt.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import asdict, replace
from datetime import UTC, datetime
from typing import Any

from sqlcipher3.dbapi2 import IntegrityError

from desktop_app.domain.decision_record import (
    AwaitingFeedback,
    ConsentEntry,
    ConsentInput,
    ConsentState,
    Decision,
    DecisionFields,
    Feedback,
    FeedbackInput,
    InformationRequest,
    RequestDecisionInput,
    RequestInput,
    ValidDecision,
    WizardState,
    consent_summary,
    feedback_summary,
    request_summary,
    validate_consent,
    validate_decision,
    validate_feedback,
    validate_new_information,
    validate_request,
    validate_request_decision,
    validate_wizard_state,
)
from desktop_app.domain.decision_record import consent_state as derive_consent_state
from desktop_app.domain.decision_rules import Answers, Outcome, evaluate, parse_answers
from desktop_app.domain.records import Case, Person, optional_line, require_reason, utc_text
from desktop_app.domain.wizard_flow import FinalDecision
from desktop_app.errors import CaseNotesError, UsageError, ValidationError
from desktop_app.store import audit
from desktop_app.store import cases as case_store
from desktop_app.store import decisions as store
from desktop_app.store.connection import DatabaseError, classify
from desktop_app.store.vault import OpenVault

Connection = Any  # a sqlcipher3 connection

__all__ = [
    "awaiting_feedback",
    "case_consent",
    "consent_entries",
    "consent_state",
    "decide_request",
    "decision_history",
    "discard_unfinished",
    "get_consent_entry",
    "get_decision",
    "get_feedback",
    "get_request",
    "get_unfinished",
    "list_decisions",
    "list_feedback",
    "list_requests",
    "list_unfinished",
    "reconsider_request",
    "record_consent",
    "record_decision",
    "record_feedback",
    "record_request",
    "save_wizard_state",
    "supersede_decision",
]


# -- plumbing ------------------------------------------------------------------------------


@contextmanager
def _reading(vault: OpenVault, doing: str = "reading the vault") -> Iterator[Connection]:
    if vault.closed:
        raise CaseNotesError("The vault is locked.", "Unlock it and try again.")
    try:
        yield vault.conn
    except DatabaseError as exc:
        raise classify(exc, doing) from exc


@contextmanager
def _writing(vault: OpenVault, doing: str = "saving") -> Iterator[Connection]:
    """``vault.transaction`` with the triggers' refusals (written for people) made plain."""
    try:
        with vault.transaction(doing) as conn:
            yield conn
    except IntegrityError as exc:
        message = str(exc)
        if "constraint failed" in message.lower() or not message.endswith("."):
            message = "That could not be saved because it would break a rule of the record."
        raise UsageError(message, "Nothing was changed.") from exc


def _sha256(data: object) -> str:
    text = json.dumps(data, ensure_ascii=False, sort_keys=True, default=str)
    return hashlib.sha256(text.encode("utf-8", "replace")).hexdigest()


def _now_text() -> str:
    return utc_text(datetime.now(UTC))


def _require_case(conn: Connection, case_id: int) -> Case:
    case = case_store.get_case(conn, case_id)
    if case is None:
        raise UsageError("That case is not in this vault.", "It may have been opened from another vault.")
    return case


def _require_person(conn: Connection, person_id: int) -> Person:
    person = case_store.get_person(conn, person_id)
    if person is None:
        raise UsageError("That person is not in this vault.")
    return person


def _require_decision(conn: Connection, decision_id: int) -> Decision:
    decision = store.get_decision(conn, decision_id)
    if decision is None:
        raise UsageError("That decision is not in this vault.")
    return decision


def _require_request(conn: Connection, request_id: int) -> InformationRequest:
    request = store.get_request(conn, request_id)
    if request is None:
        raise UsageError("That request is not in this vault.")
    return request


def _answers(answers: Answers | Mapping[str, object]) -> Answers:
    return answers if isinstance(answers, Answers) else parse_answers(answers)


def _checked(
    answers: Answers | Mapping[str, object],
    outcome: Outcome,
    final_decision: FinalDecision | str,
    fields: DecisionFields | Mapping[str, object],
    linked_note_ids: Iterable[int],
) -> ValidDecision:
    """Everything about a decision that can be checked without the store."""
    parsed = _answers(answers)
    if not isinstance(outcome, Outcome):
        raise UsageError("A decision needs the wizard's outcome for its answers.")
    if parsed != outcome.answers or evaluate(parsed).to_json() != outcome.to_json():
        raise UsageError(
            "The recommendation shown does not match the answers (they may have been changed since).",
            "Go back to the recommendation step, check it, and save again. Nothing has been saved.",
        )
    return validate_decision(outcome, final_decision, fields, linked_note_ids)


def _check_notes(conn: Connection, case_id: int, valid: ValidDecision) -> None:
    found = store.notes_of_case(conn, case_id, valid.linked_note_ids)
    if len(found) != len(valid.linked_note_ids):
        raise ValidationError("Some of the linked notes are not notes of this case.", "linked_note_ids")


def _prefill_source(value: str | None) -> str:
    return optional_line(value or "", "prefill_source", "Where the decision started from", max_chars=100)


def _decision_details(valid: ValidDecision, case_id: int) -> dict[str, Any]:
    return {
        "case_id": case_id,
        "final_decision": valid.final_decision.value,
        "recommendation": valid.outcome.recommendation.value,
        "follows_recommendation": valid.follows_recommendation,
        "concern": valid.outcome.concern_assessed.value,
        "lawful_basis": list(valid.fields.lawful_basis),
        "linked_note_ids": list(valid.linked_note_ids),
        "rules_version": evaluate(valid.answers).to_json()["rules_version"],
        "record_sha256": _sha256(
            {"answers": valid.outcome.to_json(), "fields": valid.fields.to_json(), "notes": valid.linked_note_ids}
        ),
    }


# -- unfinished decisions --------------------------------------------------------------------


def save_wizard_state(
    vault: OpenVault,
    case_id: int,
    *,
    step: str,
    answers: Mapping[str, object],
    fields: Mapping[str, object],
    linked_note_ids: Iterable[int] = (),
    final_decision: str | None = None,
    prefill_source: str | None = None,
    state_id: int | None = None,
    supersedes_id: int | None = None,
    request_id: int | None = None,
) -> WizardState:
    """Keep a half-finished decision: the answers so far, the step, and the fields as
    typed. Pass the returned ``WizardState.id`` as ``state_id`` next time to overwrite it.
    Anything typed is kept as it is (it is checked when the decision is saved)."""
    step_, answers_, fields_, notes, decision = validate_wizard_state(
        step, answers, fields, tuple(linked_note_ids), final_decision
    )
    state = {
        "step": step_,
        "answers": answers_,
        "fields": fields_,
        "linked_note_ids": list(notes),
        "final_decision": decision,
        "prefill_source": _prefill_source(prefill_source),
    }
    with _writing(vault, "keeping the unfinished decision") as conn:
        now = audit.utc_now()
        if state_id is not None and store.update_draft(conn, state_id, state, now=now):
            found = store.get_draft(conn, state_id)
        else:
            _require_case(conn, case_id)
            if supersedes_id is not None:
                _require_decision(conn, supersedes_id)
            if request_id is not None:
                _require_request(conn, request_id)
            found = store.get_draft(
                conn,
                store.insert_draft(conn, case_id, state, now=now, supersedes_id=supersedes_id, request_id=request_id),
            )
        assert found is not None
        return found


def list_unfinished(vault: OpenVault, case_id: int | None = None) -> list[WizardState]:
    """Unfinished decisions, most recently touched first (one case's, or all)."""
    with _reading(vault) as conn:
        return store.list_drafts(conn, case_id)


def get_unfinished(vault: OpenVault, state_id: int) -> WizardState:
    with _reading(vault) as conn:
        found = store.get_draft(conn, state_id)
    if found is None:
        raise UsageError("That unfinished decision is no longer there.", "It may have been finished or discarded.")
    return found


def discard_unfinished(vault: OpenVault, state_id: int) -> None:
    """Throw an unfinished decision away (its pages are overwritten: ``secure_delete``)."""
    with _writing(vault, "discarding the unfinished decision") as conn:
        store.delete_draft(conn, state_id)


# -- decisions ------------------------------------------------------------------------------


def record_decision(
    vault: OpenVault,
    case_id: int,
    answers: Answers | Mapping[str, object],
    outcome: Outcome,
    final_decision: FinalDecision | str,
    fields: DecisionFields | Mapping[str, object],
    linked_note_ids: Iterable[int] = (),
    *,
    prefill_source: str | None = None,
    state_id: int | None = None,
    request_id: int | None = None,
) -> Decision:
    """Record an information-sharing decision, to share or not, with its reasons.

    ``answers`` and ``outcome`` are the wizard's (the outcome must be ``evaluate(answers)``);
    ``final_decision`` is the practitioner's own; ``fields`` the record fields
    (``DecisionFields`` or a mapping of its field names). Refused with a
    ``ValidationError`` naming the field while any field required for this decision is
    empty. ``prefill_source`` says where it started (say ``"emergency:12"``);
    ``state_id`` is the unfinished decision it completes (deleted in the same step);
    ``request_id`` the request received that it answers.
    """
    valid = _checked(answers, outcome, final_decision, fields, linked_note_ids)
    source = _prefill_source(prefill_source)
    actor = vault.info.owner_name
    with _writing(vault, "saving the decision") as conn:
        _require_case(conn, case_id)
        _check_notes(conn, case_id, valid)
        if request_id is not None and _require_request(conn, request_id).case_id != case_id:
            raise ValidationError("That request belongs to a different case.", "request_id")
        now = audit.utc_now()
        decision_id = store.insert_decision(
            conn, case_id, valid, now=now, by=actor, request_id=request_id, prefill_source=source
        )
        details = _decision_details(valid, case_id)
        if request_id is not None:
            details["request_id"] = request_id
        if source:
            details["prefill_source"] = source
        audit.append_event(
            conn,
            "decision.recorded",
            actor=actor,
            subject_type="decision",
            subject_id=decision_id,
            details=details,
            at=now,
        )
        if state_id is not None:
            store.delete_draft(conn, state_id)
        return _require_decision(conn, decision_id)


def supersede_decision(
    vault: OpenVault,
    decision_id: int,
    answers: Answers | Mapping[str, object],
    outcome: Outcome,
    final_decision: FinalDecision | str,
    fields: DecisionFields | Mapping[str, object],
    linked_note_ids: Iterable[int] = (),
    *,
    reason: str,
    state_id: int | None = None,
) -> Decision:
    """Correct a recorded decision: a new decision, linked to the one it corrects, with
    the reason. The original stays as it was, readable in ``decision_history``."""
    why = require_reason(reason, "supersede_reason", "The reason for the correction")
    valid = _checked(answers, outcome, final_decision, fields, linked_note_ids)
    actor = vault.info.owner_name
    with _writing(vault, "saving the correction") as conn:
        original = _require_decision(conn, decision_id)
        if original.superseded_by_id is not None:
            raise UsageError(
                f"This decision has already been corrected (decision {original.superseded_by_id}).",
                "Correct the latest version instead.",
            )
        _check_notes(conn, original.case_id, valid)
        now = audit.utc_now()
        new_id = store.insert_decision(
            conn,
            original.case_id,
            valid,
            now=now,
            by=actor,
            supersedes_id=decision_id,
            supersede_reason=why,
            request_id=original.request_id,
            prefill_source=original.prefill_source,
        )
        details = _decision_details(valid, original.case_id) | {"supersedes_id": decision_id}
        audit.append_event(
            conn,
            "decision.superseded",
            actor=actor,
            subject_type="decision",
            subject_id=new_id,
            details=details,
            at=now,
        )
        if state_id is not None:
            store.delete_draft(conn, state_id)
        return _require_decision(conn, new_id)


def get_decision(vault: OpenVault, decision_id: int) -> Decision:
    with _reading(vault) as conn:
        return _require_decision(conn, decision_id)


def decision_history(vault: OpenVault, decision_id: int) -> list[Decision]:
    """A decision and the earlier versions it corrects, the original first."""
    with _reading(vault) as conn:
        _require_decision(conn, decision_id)
        return store.decision_history(conn, decision_id)


def list_decisions(vault: OpenVault, case_id: int, *, include_superseded: bool = False) -> list[Decision]:
    """A case's decisions, newest first (corrected versions left out unless asked for)."""
    with _reading(vault) as conn:
        _require_case(conn, case_id)
        return store.list_decisions(conn, case_id, include_superseded=include_superseded)


# -- requests received -------------------------------------------------------------------------


def record_request(
    vault: OpenVault, case_id: int, request: RequestInput, decision: RequestDecisionInput | None = None
) -> InformationRequest:
    """Record a request for information from another agency: who asked, how their identity
    was checked, what and why, when received; and, if given, the answer (in the same step,
    so either both are saved or neither). Otherwise decide it later (``decide_request``)."""
    valid = validate_request(request)
    answer = validate_request_decision(decision) if decision is not None else None
    actor = vault.info.owner_name
    with _writing(vault, "saving the request") as conn:
        _require_case(conn, case_id)
        now = audit.utc_now()
        request_id = store.insert_request(conn, case_id, valid, summary=request_summary(valid), now=now, by=actor)
        audit.append_event(
            conn,
            "request.recorded",
            actor=actor,
            subject_type="request",
            subject_id=request_id,
            details={"case_id": case_id, "request_sha256": _sha256(asdict(valid))},
            at=now,
        )
        if answer is not None:
            _answer_request(conn, _require_request(conn, request_id), answer, actor)
        return _require_request(conn, request_id)


def _answer_request(conn: Connection, request: InformationRequest, valid: RequestDecisionInput, actor: str) -> None:
    if request.response is not None:
        raise UsageError(
            "This request has already been answered.",
            "If the requester has shared new information, record a reconsideration instead.",
        )
    if valid.decision_id is not None:
        linked = _require_decision(conn, valid.decision_id)
        if linked.case_id != request.case_id:
            raise ValidationError("That decision belongs to a different case.", "decision_id")
        if not linked.is_sharing:
            raise ValidationError(f"The linked decision was “{linked.label}”, not a decision to share.", "decision_id")
    now = audit.utc_now()
    store.insert_request_response(
        conn,
        request.id,
        valid,
        decided_at=str(valid.decided_at) if valid.decided_at else _now_text(),
        decided_by=valid.decided_by or actor,
        now=now,
    )
    details: dict[str, Any] = {"case_id": request.case_id, "response": valid.response}
    if valid.decision_id is not None:
        details["decision_id"] = valid.decision_id
    audit.append_event(
        conn, "request.decided", actor=actor, subject_type="request", subject_id=request.id, details=details, at=now
    )


def decide_request(vault: OpenVault, request_id: int, decision: RequestDecisionInput) -> InformationRequest:
    """Answer a request: share, share part, or decline, with the reasons. Sharing links the
    sharing decision it was made under (golden rule 7: a decision not to share is recorded
    with its reasons too)."""
    valid = validate_request_decision(decision)
    actor = vault.info.owner_name
    with _writing(vault, "saving the answer to the request") as conn:
        _answer_request(conn, _require_request(conn, request_id), valid, actor)
        return _require_request(conn, request_id)


def reconsider_request(
    vault: OpenVault,
    request_id: int,
    *,
    new_information: str,
    received_at: datetime | str | None = None,
    decision: RequestDecisionInput | None = None,
) -> InformationRequest:
    """The requester has shared new information: record a reconsideration, linked to the
    original request (which stays as it was), to be decided afresh (now, with
    ``decision``, or later with ``decide_request``)."""
    info = validate_new_information(new_information)
    answer = validate_request_decision(decision) if decision is not None else None
    actor = vault.info.owner_name
    with _writing(vault, "saving the reconsideration") as conn:
        original = _require_request(conn, request_id)
        if original.response is None:
            raise UsageError(
                "This request has not been answered yet.", "Decide it with the new information in mind instead."
            )
        base = RequestInput(
            requester_organisation=original.requester_organisation,
            what_requested=original.what_requested,
            why_requested=original.why_requested,
            identity_check=original.identity_check,
            received_at=received_at if received_at is not None else _now_text(),
            requester_person=original.requester_person,
            requester_role=original.requester_role,
            requester_contact=original.requester_contact,
        )
        valid = validate_request(base)
        now = audit.utc_now()
        new_id = store.insert_request(
            conn,
            original.case_id,
            valid,
            summary=request_summary(replace(valid, what_requested=f"new information. {info}")),
            now=now,
            by=actor,
            reconsiders_id=request_id,
            new_information=info,
        )
        audit.append_event(
            conn,
            "request.reconsidered",
            actor=actor,
            subject_type="request",
            subject_id=new_id,
            details={"case_id": original.case_id, "reconsiders_id": request_id},
            at=now,
        )
        if answer is not None:
            _answer_request(conn, _require_request(conn, new_id), answer, actor)
        return _require_request(conn, new_id)


def get_request(vault: OpenVault, request_id: int) -> InformationRequest:
    with _reading(vault) as conn:
        return _require_request(conn, request_id)


def list_requests(vault: OpenVault, case_id: int) -> list[InformationRequest]:
    """A case's requests received, newest first (reconsiderations included)."""
    with _reading(vault) as conn:
        _require_case(conn, case_id)
        return store.list_requests(conn, case_id)


# -- consent register ---------------------------------------------------------------------------


def record_consent(vault: OpenVault, person_id: int, entry: ConsentInput) -> ConsentEntry:
    """Add a dated entry to a person's consent register: given (with its scope, who gave
    it and their competence or capacity), refused, or withdrawn."""
    valid = validate_consent(entry)
    actor = vault.info.owner_name
    with _writing(vault, "saving the consent entry") as conn:
        person = _require_person(conn, person_id)
        now = audit.utc_now()
        entry_id = store.insert_consent(
            conn, person.case_id, person_id, valid, summary=consent_summary(valid, person.name), now=now, by=actor
        )
        audit.append_event(
            conn,
            "consent.recorded",
            actor=actor,
            subject_type="consent",
            subject_id=entry_id,
            details={"case_id": person.case_id, "person_id": person_id, "kind": valid.kind},
            at=now,
        )
        found = store.get_consent_entry(conn, entry_id)
        assert found is not None
        return found


def get_consent_entry(vault: OpenVault, entry_id: int) -> ConsentEntry:
    with _reading(vault) as conn:
        found = store.get_consent_entry(conn, entry_id)
    if found is None:
        raise UsageError("That consent entry is not in this vault.")
    return found


def consent_entries(vault: OpenVault, person_id: int) -> list[ConsentEntry]:
    with _reading(vault) as conn:
        _require_person(conn, person_id)
        return store.consent_entries(conn, person_id=person_id)


def consent_state(vault: OpenVault, person_id: int) -> ConsentState:
    """A person's consent as it stands: the latest dated entry decides it."""
    with _reading(vault) as conn:
        _require_person(conn, person_id)
        return derive_consent_state(person_id, store.consent_entries(conn, person_id=person_id))


def case_consent(vault: OpenVault, case_id: int) -> list[tuple[Person, ConsentState]]:
    """Every person on a case with their current consent, by name."""
    with _reading(vault) as conn:
        _require_case(conn, case_id)
        people = case_store.list_people(conn, case_id)
        entries = store.consent_entries(conn, case_id=case_id)
    return [(p, derive_consent_state(p.id, [e for e in entries if e.person_id == p.id])) for p in people]


# -- feedback ---------------------------------------------------------------------------------------


def record_feedback(vault: OpenVault, decision_id: int, feedback: FeedbackInput) -> Feedback:
    """What the recipient of shared information told us afterwards ("close the loop")."""
    valid = validate_feedback(feedback)
    actor = vault.info.owner_name
    with _writing(vault, "saving the feedback") as conn:
        decision = _require_decision(conn, decision_id)
        if not decision.is_sharing:
            raise UsageError(f"Feedback is recorded against a decision to share; this decision was “{decision.label}”.")
        now = audit.utc_now()
        feedback_id = store.insert_feedback(
            conn, decision_id, decision.case_id, valid, summary=feedback_summary(valid), now=now, by=actor
        )
        audit.append_event(
            conn,
            "feedback.recorded",
            actor=actor,
            subject_type="feedback",
            subject_id=feedback_id,
            details={"case_id": decision.case_id, "decision_id": decision_id},
            at=now,
        )
        found = store.get_feedback(conn, feedback_id)
        assert found is not None
        return found


def get_feedback(vault: OpenVault, feedback_id: int) -> Feedback:
    with _reading(vault) as conn:
        found = store.get_feedback(conn, feedback_id)
    if found is None:
        raise UsageError("That feedback is not in this vault.")
    return found


def list_feedback(vault: OpenVault, decision_id: int) -> list[Feedback]:
    with _reading(vault) as conn:
        _require_decision(conn, decision_id)
        return store.list_feedback(conn, decision_id)


def awaiting_feedback(vault: OpenVault, case_id: int | None = None) -> list[AwaitingFeedback]:
    """Decisions to share with no feedback from the recipient yet, across the vault (or
    one case), longest waiting first."""
    with _reading(vault) as conn:
        return store.awaiting_feedback(conn, case_id=case_id)
