"""Share now, document later: the services, with real vaults and the real decision service.

The follow-up cannot be deleted or dismissed; the only ways out are a complete decision
record (which the decision service refuses while a required field is empty) or "recorded
in error" with a reason. Deadlines are elapsed hours, right across clock changes, and a
capture survives the process being killed the moment it is reported.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlcipher3.dbapi2 import IntegrityError

from desktop_app.domain.decision_rules import evaluate, parse_answers
from desktop_app.domain.emergency import EmergencyCapture, NewCase, OversightFilters, UnfinishedCapture
from desktop_app.domain.follow_up import FollowUpStatus, Urgency
from desktop_app.domain.records import CaseDetails
from desktop_app.errors import UsageError, ValidationError
from desktop_app.services import case_records, decisions, settings
from desktop_app.services import emergency as service
from desktop_app.store import audit, chronology
from desktop_app.store import decisions as decision_store  # noqa: F401 - registers the decision sources
from desktop_app.store import emergency as emergency_store
from desktop_app.store.vault import VaultFolder

from ..conftest import PASSPHRASE

ROOT = Path(__file__).resolve().parents[2]
LONDON = ZoneInfo("Europe/London")
NOW = datetime(2024, 6, 3, 9, 30, tzinfo=UTC)

# The wizard's answers in an emergency, as a practitioner completing the write-up gives them.
ANSWERS: dict[str, object] = {
    "organisation_sector": "public",
    "concern": "immediate_risk",
    "purpose": "Child afraid to go home tonight",
    "recipient_has_safeguarding_role": True,
    "identifiable": True,
    "anonymised_would_suffice": False,
    "confidential": True,
    "special_category": False,
    "legal_requirement": False,
    "informing_would_increase_risk": True,
    "objection_raised": False,
    "consent": "not_sought",
    "consent_not_sought_reason": "increase_risk_to_child",
}
COMPLETION: dict[str, object] = {
    "lawful_basis": ["public_task"],
    "risk_level": "Immediate risk of physical harm that evening",
    "rationale": "The child would have gone home to the person they named; the duty team needed to know now.",
    "reasons_consent_not_sought": "Asking the parent would have put the child at increased risk.",
    "informed": "not_told",
    "reason_not_informed": "Telling the family could have increased the risk to the child.",
    "follow_up_rationale": "Shared by phone with the duty social worker; written up the next morning.",
    "advice_sought_from": "Designated safeguarding lead, after the call",
    "advice_sought_at": "2024-06-03T10:00:00+00:00",
    "advice_given": "Write it up in full the next morning; no further sharing needed.",
    "confidentiality": "overriding_public_interest",
}


def capture(case_id: int | None, **overrides: Any) -> EmergencyCapture:
    values: dict[str, Any] = {
        "shared_with_organisation": "Children's social care",
        "shared_with_person": "Priya Shah, duty social worker",
        "shared_with_contact": "01632 960123",
        "how": "phone",
        "what": "Bruising seen on the child's arm; the child said who did it",
        "why": "Child afraid to go home tonight",
        "shared_at": NOW - timedelta(hours=1),
    }
    values.update(overrides)
    return EmergencyCapture(case_id, **values)


def write_up(vault: Any, share_id: int, **fields: object) -> Any:
    """Save the write-up through the real decision service, pre-filled from the share."""
    prefill = service.decision_prefill_for(vault, share_id)
    answers = {**ANSWERS, **prefill.answers}
    outcome = evaluate(parse_answers(answers))
    return decisions.record_decision(
        vault,
        prefill.case_id,
        answers,
        outcome,
        "share",
        {**prefill.record, **fields},
        prefill_source=prefill.source,
    )


@pytest.fixture
def case_id(open_vault: Any) -> int:
    return case_records.create_case(open_vault, CaseDetails("EM-1", "Sam Taylor")).id


# -- capture -------------------------------------------------------------------------------------


def test_a_capture_records_the_share_and_a_follow_up_due_in_24_hours(open_vault: Any, case_id: int) -> None:
    share = service.record_emergency_share(open_vault, capture(case_id), now=NOW)
    assert share.due_at == NOW - timedelta(hours=1) + timedelta(hours=24)
    assert share.status(NOW) is FollowUpStatus.OUTSTANDING
    assert share.recorded_by == "Alex Practitioner"
    assert [s.id for s in service.outstanding_follow_ups(open_vault, NOW)] == [share.id]
    event = audit.recent_events(open_vault.conn, 1)[0]
    assert event["action"] == "emergency.shared" and event["subject_id"] == str(share.id)
    assert event["details"]["deadline_hours"] == 24
    # ids, codes and fingerprints only: no text and no names in the audit trail
    flat = json.dumps(event["details"])
    assert "Bruising" not in flat and "Priya" not in flat and "afraid" not in flat


def test_only_who_what_how_and_why_are_required(open_vault: Any, case_id: int) -> None:
    minimal = EmergencyCapture(case_id, shared_with_person="PC Morgan", how="in person", what="Address", why="Risk")
    share = service.record_emergency_share(open_vault, minimal)
    assert share.how == "in_person" and share.shared_with_organisation == ""
    for field, overrides in (
        ("shared_with_organisation", {"shared_with_organisation": " ", "shared_with_person": ""}),
        ("how", {"how": ""}),
        ("how", {"how": "carrier pigeon"}),
        ("what", {"what": "  "}),
        ("why", {"why": ""}),
        ("why", {"why": "two\nlines"}),
    ):
        with pytest.raises(ValidationError) as caught:
            service.record_emergency_share(open_vault, capture(case_id, **overrides), now=NOW)
        assert caught.value.field == field


def test_when_may_be_earlier_never_in_the_future(open_vault: Any, case_id: int) -> None:
    earlier = service.record_emergency_share(
        open_vault, capture(case_id, shared_at=NOW - timedelta(days=3)), deadline_hours=24, now=NOW
    )
    assert earlier.status(NOW) is FollowUpStatus.OVERDUE  # shared 3 days ago: already overdue
    with pytest.raises(ValidationError, match="in the future") as caught:
        service.record_emergency_share(open_vault, capture(case_id, shared_at=NOW + timedelta(minutes=10)), now=NOW)
    assert caught.value.field == "shared_at"
    # a naive time is this computer's local time
    naive = (NOW - timedelta(hours=2)).astimezone().replace(tzinfo=None)
    share = service.record_emergency_share(open_vault, capture(case_id, shared_at=naive), now=NOW)
    assert share.shared_at == NOW - timedelta(hours=2)


def test_a_minimal_case_is_opened_on_the_spot_in_the_same_transaction(open_vault: Any) -> None:
    share = service.record_emergency_share(
        open_vault, capture(None), create_case=NewCase("EM-NEW", "Jo Okafor"), now=NOW
    )
    case = case_records.find_case(open_vault, "em-new")
    assert case is not None and case.subject_name == "Jo Okafor" and share.case_id == case.id
    # a duplicate reference refuses the whole capture: no half-made share, no second case
    before = audit.verify_chain(open_vault.conn).events
    with pytest.raises(ValidationError) as caught:
        service.record_emergency_share(open_vault, capture(None), create_case=NewCase("EM-NEW", "Other"), now=NOW)
    assert caught.value.field == "reference"
    assert audit.verify_chain(open_vault.conn).events == before
    with pytest.raises(ValidationError, match="Choose the child's case"):
        service.record_emergency_share(open_vault, capture(None), now=NOW)
    with pytest.raises(ValidationError, match="not both"):
        service.record_emergency_share(open_vault, capture(case.id), create_case=NewCase("EM-3", "X"), now=NOW)
    with pytest.raises(UsageError, match="not in this vault"):
        service.record_emergency_share(open_vault, capture(4242), now=NOW)


def test_policy_sets_the_deadline_within_bounds(
    open_vault: Any, case_id: int, tmp_path: Path, monkeypatch: Any
) -> None:
    policy = tmp_path / "policy.json"
    policy.write_text(json.dumps({"follow_up_deadline_hours": 8}), encoding="utf-8")
    monkeypatch.setenv("CASENOTES_POLICY_FILE", str(policy))
    assert service.policy_deadline_hours() == 8
    monkeypatch.setenv("CASENOTES_POLICY_FILE", os.devnull)
    assert service.policy_deadline_hours() == 24
    short = service.record_emergency_share(open_vault, capture(case_id), deadline_hours=8, now=NOW)
    assert short.due_at - short.shared_at == timedelta(hours=8)
    absurd = service.record_emergency_share(open_vault, capture(case_id), deadline_hours=10_000, now=NOW)
    assert absurd.deadline_hours == 168


# -- what is typed before it is recorded -------------------------------------------------------------


def typed(case_id: int | None, **overrides: Any) -> UnfinishedCapture:
    values: dict[str, Any] = {
        "case_id": case_id,
        "shared_with_organisation": "Children's social care",
        "how": "phone",
        "what": "Bruising seen on the child's arm",
        "shared_at": NOW - timedelta(minutes=5),
    }
    values.update(overrides)
    return UnfinishedCapture(**values)


def test_what_is_typed_is_kept_per_form_and_listed_newest_first(open_vault: Any, case_id: int) -> None:
    first = service.keep_unfinished_capture(open_vault, typed(case_id), now=NOW)
    assert first.token and first.kept_at == NOW and first.what == "Bruising seen on the child's arm"
    # the same form keeps again under its token: overwritten, not added
    again = service.keep_unfinished_capture(open_vault, replace(first, why="Afraid to go home"), now=NOW)
    assert again.token == first.token
    # another form (a new token) never overwrites the first
    other = service.keep_unfinished_capture(
        open_vault, typed(None, new_case=True, new_reference="EM-2", new_child="Jo Okafor"), now=NOW + timedelta(1)
    )
    assert other.token != first.token
    kept = service.unfinished_captures(open_vault)
    assert [(c.token, c.why, c.new_reference) for c in kept] == [
        (other.token, "", "EM-2"),
        (first.token, "Afraid to go home", ""),
    ]
    assert kept[1].shared_at == NOW - timedelta(minutes=5) and kept[1].case_id == case_id
    assert kept[0].new_case and kept[0].case_id is None
    service.discard_unfinished_capture(open_vault, other.token)
    assert [c.token for c in service.unfinished_captures(open_vault)] == [first.token]
    # kept in their own table, never among the person's settings
    assert settings.load_user_settings(open_vault) == settings.UserSettings()


def test_recording_the_share_deletes_its_kept_copy_in_the_same_transaction(open_vault: Any, case_id: int) -> None:
    kept = service.keep_unfinished_capture(open_vault, typed(case_id), now=NOW)
    # refused: the share is not recorded, so what was typed stays kept
    with pytest.raises(ValidationError, match="Why it was shared"):
        service.record_emergency_share(open_vault, capture(case_id, why=""), now=NOW, unfinished_token=kept.token)
    assert [c.token for c in service.unfinished_captures(open_vault)] == [kept.token]
    # a failure inside the transaction (an unknown case) rolls the deletion back with it
    with pytest.raises(UsageError, match="not in this vault"):
        service.record_emergency_share(open_vault, capture(4242), now=NOW, unfinished_token=kept.token)
    assert [c.token for c in service.unfinished_captures(open_vault)] == [kept.token]
    share = service.record_emergency_share(open_vault, capture(case_id), now=NOW, unfinished_token=kept.token)
    assert service.unfinished_captures(open_vault) == []
    assert [s.id for s in service.outstanding_follow_ups(open_vault, NOW)] == [share.id]
    # kept copies are not records: nothing about them in the audit trail
    actions = [row[0] for row in open_vault.conn.execute("SELECT action FROM audit_events")]
    assert actions.count("emergency.shared") == 1
    assert not [a for a in actions if "unfinished" in a or "draft" in a]


def test_a_kept_capture_too_long_is_refused_clearly_and_odd_text_is_kept(open_vault: Any, case_id: int) -> None:
    kept = service.keep_unfinished_capture(open_vault, typed(case_id), now=NOW)
    with pytest.raises(ValidationError, match="too long to keep as a draft") as refused:
        service.keep_unfinished_capture(open_vault, replace(kept, why="x" * (65 * 1024)), now=NOW)
    assert refused.value.field == "why"
    assert service.unfinished_captures(open_vault)[0].why == ""  # the earlier copy is untouched
    odd = service.keep_unfinished_capture(
        open_vault, replace(kept, what="Tab\there, a NUL \x00 and a broken paste \ud800 — kept"), now=NOW
    )
    (found,) = service.unfinished_captures(open_vault)
    assert found.what == "Tab\there, a NUL \x00 and a broken paste \ufffd — kept" == odd.what


def test_a_kept_capture_that_cannot_be_read_is_skipped_not_fatal(open_vault: Any, case_id: int) -> None:
    kept = service.keep_unfinished_capture(open_vault, typed(case_id), now=NOW)
    with pytest.raises(IntegrityError), open_vault.transaction() as conn:
        emergency_store.keep_unfinished(conn, "damaged", "{not json")  # the vault refuses it outright
    with open_vault.transaction() as conn:
        emergency_store.keep_unfinished(conn, "wrong-shape", json.dumps(["a list"]))
    assert [c.token for c in service.unfinished_captures(open_vault)] == [kept.token]
    assert UnfinishedCapture.from_json(json.dumps({"shared_at": "not a time"})) is None
    assert UnfinishedCapture.from_json(kept.to_json()) == kept


# -- cannot be dismissed -------------------------------------------------------------------------------


def test_an_outstanding_follow_up_cannot_be_deleted(open_vault: Any, case_id: int) -> None:
    share = service.record_emergency_share(open_vault, capture(case_id), now=NOW)
    with pytest.raises(IntegrityError, match="cannot be deleted"):
        with open_vault.transaction() as conn:
            conn.execute("DELETE FROM emergency_shares WHERE id = ?", (share.id,))
    with pytest.raises(IntegrityError):
        with open_vault.transaction() as conn:
            conn.execute("UPDATE emergency_shares SET due_at = NULL WHERE id = ?", (share.id,))
    assert [s.id for s in service.outstanding_follow_ups(open_vault, NOW)] == [share.id]
    assert not [name for name in service.__all__ if "dismiss" in name or "delete" in name]


def test_recorded_in_error_needs_a_reason_is_audited_and_stays_visible(open_vault: Any, case_id: int) -> None:
    share = service.record_emergency_share(open_vault, capture(case_id), now=NOW)
    for reason in ("", "   ", "\n"):
        with pytest.raises(ValidationError, match="reason") as caught:
            service.mark_in_error(open_vault, share.id, reason, now=NOW)
        assert caught.value.field == "reason"
    assert service.outstanding_follow_ups(open_vault, NOW) != []
    marked = service.mark_in_error(open_vault, share.id, "Recorded against the wrong child", now=NOW)
    assert marked.status(NOW) is FollowUpStatus.RECORDED_IN_ERROR
    assert marked.in_error_reason == "Recorded against the wrong child"
    assert service.outstanding_follow_ups(open_vault, NOW) == []
    listed = service.oversight(open_vault, now=NOW)
    assert [(s.id, s.status(NOW)) for s in listed] == [(share.id, FollowUpStatus.RECORDED_IN_ERROR)]
    event = audit.recent_events(open_vault.conn, 1)[0]
    assert event["action"] == "emergency.marked_in_error" and "wrong child" not in json.dumps(event["details"])
    with pytest.raises(UsageError, match="recorded in error"):
        service.mark_in_error(open_vault, share.id, "again", now=NOW)
    assert audit.verify_chain(open_vault.conn).ok


# -- completing ---------------------------------------------------------------------------------------


def test_completion_is_refused_while_a_required_field_is_missing(open_vault: Any, case_id: int) -> None:
    share = service.record_emergency_share(open_vault, capture(case_id), now=NOW)
    for missing in ("lawful_basis", "risk_level", "rationale", "reason_not_informed", "follow_up_rationale"):
        fields = {k: v for k, v in COMPLETION.items() if k != missing}
        with pytest.raises(ValidationError) as caught:
            write_up(open_vault, share.id, **fields)
        assert caught.value.field == missing
    assert [s.id for s in service.outstanding_follow_ups(open_vault, NOW)] == [share.id]
    with pytest.raises(UsageError, match="not in this vault"):
        service.complete_follow_up(open_vault, share.id, 4242, now=NOW)
    assert service.get_share(open_vault, share.id).status(NOW) is FollowUpStatus.OUTSTANDING


def test_the_prefill_carries_the_capture_into_the_wizard(open_vault: Any, case_id: int) -> None:
    share = service.record_emergency_share(open_vault, capture(case_id), now=NOW)
    prefill = service.decision_prefill_for(open_vault, share.id)
    assert prefill.answers["concern"] == "immediate_risk"
    assert prefill.record["what_shared"] == share.what
    assert prefill.record["recipient_organisation"] == "Children's social care"
    assert prefill.record["recipient_person"] == "Priya Shah, duty social worker"
    assert prefill.record["decided_at"] == share.shared_at.isoformat()
    assert prefill.source == f"emergency:{share.id}"
    # the judgement is left to the practitioner
    assert not {"lawful_basis", "risk_level", "rationale", "reason_not_informed"} & set(prefill.record)


def test_a_complete_write_up_closes_the_follow_up_and_both_are_in_the_chronology(open_vault: Any, case_id: int) -> None:
    share = service.record_emergency_share(open_vault, capture(case_id), now=NOW)
    decision = write_up(open_vault, share.id, **COMPLETION)
    done = service.complete_follow_up(open_vault, share.id, decision.id, now=NOW + timedelta(hours=2))
    assert done.completed_decision_id == decision.id
    assert done.status(NOW + timedelta(days=5)) is FollowUpStatus.COMPLETED_ON_TIME
    assert service.outstanding_follow_ups(open_vault, NOW) == []
    kinds = {(e.kind, e.item_id) for e in chronology.page(open_vault.conn, case_id).entries}
    assert {("emergency_share", share.id), ("decision", decision.id)} <= kinds
    title = next(e.title for e in chronology.page(open_vault.conn, case_id).entries if e.kind == "emergency_share")
    assert title.endswith("written up")
    with pytest.raises(UsageError, match="already been written up"):
        service.complete_follow_up(open_vault, share.id, decision.id, now=NOW)
    with pytest.raises(UsageError, match="already been written up"):
        service.mark_in_error(open_vault, share.id, "no", now=NOW)


def test_late_completion_and_wrong_case_and_reused_decisions(open_vault: Any, case_id: int) -> None:
    late = service.record_emergency_share(open_vault, capture(case_id, shared_at=NOW - timedelta(hours=30)), now=NOW)
    decision = write_up(open_vault, late.id, **COMPLETION)
    assert service.complete_follow_up(open_vault, late.id, decision.id, now=NOW).status(NOW) is (
        FollowUpStatus.COMPLETED_LATE
    )
    other_case = case_records.create_case(open_vault, CaseDetails("EM-2", "Jo Okafor")).id
    elsewhere = service.record_emergency_share(open_vault, capture(other_case), now=NOW)
    with pytest.raises(UsageError, match="different case"):
        service.complete_follow_up(open_vault, elsewhere.id, decision.id, now=NOW)
    again = service.record_emergency_share(open_vault, capture(case_id), now=NOW)
    with pytest.raises(UsageError, match="already completes another"):
        service.complete_follow_up(open_vault, again.id, decision.id, now=NOW)


def test_a_write_up_saved_but_not_linked_is_linked_later(open_vault: Any, case_id: int) -> None:
    """The app stops between saving the decision and linking it: the next load links it."""
    share = service.record_emergency_share(open_vault, capture(case_id), now=NOW)
    decision = write_up(open_vault, share.id, **COMPLETION)
    assert [s.id for s in service.outstanding_follow_ups(open_vault, NOW)] == [share.id]
    linked = service.link_saved_write_ups(open_vault, NOW)
    assert [(s.id, s.completed_decision_id) for s in linked] == [(share.id, decision.id)]
    assert service.outstanding_follow_ups(open_vault, NOW) == []
    assert service.link_saved_write_ups(open_vault, NOW) == []


# -- time --------------------------------------------------------------------------------------------


def test_overdue_first_then_soonest_due(open_vault: Any, case_id: int) -> None:
    soon = service.record_emergency_share(open_vault, capture(case_id, shared_at=NOW - timedelta(hours=22)), now=NOW)
    later = service.record_emergency_share(open_vault, capture(case_id, shared_at=NOW - timedelta(hours=1)), now=NOW)
    overdue = service.record_emergency_share(open_vault, capture(case_id, shared_at=NOW - timedelta(hours=25)), now=NOW)
    very = service.record_emergency_share(open_vault, capture(case_id, shared_at=NOW - timedelta(hours=60)), now=NOW)
    ordered = service.outstanding_follow_ups(open_vault, NOW)
    assert [s.id for s in ordered] == [very.id, overdue.id, soon.id, later.id]
    assert [s.urgency(NOW) for s in ordered] == [
        Urgency.LONG_OVERDUE,
        Urgency.OVERDUE,
        Urgency.DUE_SOON,
        Urgency.NORMAL,
    ]


@pytest.mark.parametrize(
    ("shared_local", "due_local", "before", "after"),
    [
        # spring forward (31 March 2024): 24 elapsed hours end at 13:00 BST, not 12:00
        ("2024-03-30T12:00", "2024-03-31T13:00", "2024-03-31T12:59", "2024-03-31T13:01"),
        # fall back (27 October 2024): 24 elapsed hours end at 11:00 GMT, not 12:00
        ("2024-10-26T12:00", "2024-10-27T11:00", "2024-10-27T10:59", "2024-10-27T11:01"),
    ],
)
def test_overdue_across_a_clock_change(
    open_vault: Any, case_id: int, shared_local: str, due_local: str, before: str, after: str
) -> None:
    def london(text: str) -> datetime:
        return datetime.fromisoformat(text).replace(tzinfo=LONDON)

    shared = london(shared_local)
    share = service.record_emergency_share(
        open_vault, capture(case_id, shared_at=shared), now=shared + timedelta(minutes=5)
    )
    assert share.due_at.astimezone(LONDON).replace(tzinfo=None) == datetime.fromisoformat(due_local)
    assert share.due_at - share.shared_at == timedelta(hours=24)
    assert [s.status(london(before)) for s in service.outstanding_follow_ups(open_vault, london(before))] == [
        FollowUpStatus.OUTSTANDING
    ]
    assert [s.status(london(after)) for s in service.outstanding_follow_ups(open_vault, london(after))] == [
        FollowUpStatus.OVERDUE
    ]
    assert share.describe_due(london(before), LONDON).endswith(f"({london(due_local):%a %d %b, %H:%M})")


def test_oversight_filters_by_status_date_and_case(open_vault: Any, case_id: int) -> None:
    other = case_records.create_case(open_vault, CaseDetails("EM-2", "Jo Okafor")).id
    now = datetime(2024, 6, 10, 12, 0, tzinfo=UTC)
    on_time = service.record_emergency_share(open_vault, capture(case_id, shared_at=now - timedelta(days=9)), now=now)
    service.complete_follow_up(
        open_vault, on_time.id, write_up(open_vault, on_time.id, **COMPLETION).id, now=now - timedelta(days=9, hours=-2)
    )
    overdue = service.record_emergency_share(open_vault, capture(other, shared_at=now - timedelta(days=2)), now=now)
    outstanding = service.record_emergency_share(
        open_vault, capture(case_id, shared_at=now - timedelta(hours=1)), now=now
    )
    wrong = service.record_emergency_share(open_vault, capture(other, shared_at=now - timedelta(hours=2)), now=now)
    service.mark_in_error(open_vault, wrong.id, "A test entry", now=now)

    def ids(**filters: Any) -> list[int]:
        return [s.id for s in service.oversight(open_vault, OversightFilters(**filters), now=now, tz=LONDON)]

    assert ids() == [outstanding.id, wrong.id, overdue.id, on_time.id]  # newest first
    assert ids(statuses=frozenset({FollowUpStatus.OVERDUE})) == [overdue.id]
    assert ids(statuses=frozenset({FollowUpStatus.OUTSTANDING, FollowUpStatus.OVERDUE})) == [outstanding.id, overdue.id]
    assert ids(statuses=frozenset({FollowUpStatus.COMPLETED_ON_TIME})) == [on_time.id]
    assert ids(statuses=frozenset({FollowUpStatus.COMPLETED_LATE})) == []
    assert ids(statuses=frozenset({FollowUpStatus.RECORDED_IN_ERROR})) == [wrong.id]
    assert ids(case_id=other) == [wrong.id, overdue.id]
    assert ids(shared_from=date(2024, 6, 8), shared_to=date(2024, 6, 8)) == [overdue.id]
    assert ids(shared_from=date(2024, 6, 9)) == [outstanding.id, wrong.id]
    with pytest.raises(ValidationError, match="before its start"):
        ids(shared_from=date(2024, 6, 9), shared_to=date(2024, 6, 1))


# -- a crash right after capture --------------------------------------------------------------------------

CAPTURER = r"""
import sys, time
from pathlib import Path
from desktop_app.domain.emergency import EmergencyCapture, NewCase
from desktop_app.services import emergency
from desktop_app.store.vault import VaultFolder

folder = VaultFolder.attach(Path(sys.argv[1]))
vault = folder.unlock(sys.stdin.readline().rstrip("\n"))
share = emergency.record_emergency_share(
    vault,
    EmergencyCapture(None, "Police", "", "", "phone", "Address and the threat", "Threat to the child tonight"),
    create_case=NewCase("KILL-1", "Riley Evans"),
)
print("committed", share.id, flush=True)
time.sleep(60)
"""


def test_a_process_killed_right_after_capture_keeps_the_record(created_vault: Any, vault_dir: Path) -> None:
    created_vault.vault.close()  # type: ignore[attr-defined]
    created_vault.folder.release()  # type: ignore[attr-defined]
    env = dict(os.environ, CASENOTES_KDF_PROFILE="fast", CASENOTES_POLICY_FILE=os.devnull, PYTHONPATH=str(ROOT))
    child = subprocess.Popen(
        [sys.executable, "-c", CAPTURER, str(vault_dir)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env=env,
        cwd=ROOT,
    )
    try:
        assert child.stdin is not None and child.stdout is not None
        child.stdin.write(PASSPHRASE + "\n")
        child.stdin.close()
        line = child.stdout.readline().split()
        assert line[:1] == ["committed"], f"the capture did not report (exit {child.poll()})"
        child.send_signal(signal.SIGKILL)
        assert child.wait(timeout=30) == -signal.SIGKILL
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
        if child.stdout is not None:
            child.stdout.close()
    folder = VaultFolder.attach(vault_dir)
    vault = folder.unlock(PASSPHRASE)
    try:
        share = service.get_share(vault, int(line[1]))
        assert share.case_reference == "KILL-1" and share.what == "Address and the threat"
        assert [s.id for s in service.outstanding_follow_ups(vault)] == [share.id]
        assert emergency_store.count_open(vault.conn) == 1
        assert audit.verify_chain(vault.conn).ok
        assert vault.conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    finally:
        vault.close()
        folder.release()
