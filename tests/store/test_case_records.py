"""Case records through the services, on a real SQLCipher vault: cases, people, notes,
amendments, marks in error, and the triggers that keep saved notes unchanged even
against raw SQL. Every bad input gives a clear error and leaves nothing half-saved."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlcipher3 import dbapi2 as sqlcipher

from desktop_app.domain.records import (
    CATEGORIES,
    MARK_IN_ERROR,
    MARK_WRONG_CASE,
    MAX_NOTE_BYTES,
    SOURCE_DISCLOSED,
    SOURCE_REPORTED,
    Case,
    CaseDetails,
    CaseSummary,
    NoteInput,
    PersonDetails,
    mentions,
    protected_mentions,
    remove_control_characters,
)
from desktop_app.errors import UsageError, ValidationError
from desktop_app.services import case_records as records
from desktop_app.store.vault import OpenVault

WHEN = "2024-03-07T14:30:00+00:00"


def note(text: str = "Jamie arrived hungry and tired.", **changes: Any) -> NoteInput:
    return NoteInput(occurred_at=changes.pop("occurred_at", WHEN), text=text, **changes)


@pytest.fixture
def case(open_vault: OpenVault) -> Case:
    return records.create_case(
        open_vault,
        CaseDetails(
            "C-001", "Jamie Example", date(2014, 5, 1), {"UPN": "A123456789012"}, key_worker="Alex Practitioner"
        ),
        opened_on=date(2024, 1, 8),
    )


def count(vault: OpenVault, table: str) -> int:
    value: int = vault.conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
    return value


# -- cases -------------------------------------------------------------------------------


def test_a_case_keeps_the_child_and_the_key_worker(open_vault: OpenVault, case: Case) -> None:
    again = records.get_case(open_vault, case.id)
    assert again == case
    assert case.subject_identifiers == {"UPN": "A123456789012"}
    assert case.is_open and case.closed_on is None
    assert records.find_case(open_vault, "c-001") == case  # references ignore case


def test_a_reference_is_used_once_ignoring_case(open_vault: OpenVault, case: Case) -> None:
    with pytest.raises(ValidationError) as caught:
        records.create_case(open_vault, CaseDetails("c-001", "Someone Else"))
    assert caught.value.field == "reference"
    assert count(open_vault, "cases") == 1


@pytest.mark.parametrize(
    ("details", "field"),
    [
        (CaseDetails("", "Jamie"), "reference"),
        (CaseDetails("C-9", "   "), "subject_name"),
        (CaseDetails("C-9", "Jamie", date.today() + timedelta(days=400)), "subject_date_of_birth"),
        (CaseDetails("C-9", "Jamie", date(1850, 1, 1)), "subject_date_of_birth"),
        (CaseDetails("C-9\x00", "Jamie"), "reference"),
        (CaseDetails("C-9", "Jamie\nSmith"), "subject_name"),
        (CaseDetails("C-9", "Jamie", subject_identifiers={"NHS number": ""}), "subject_identifiers.NHS number"),
    ],
)
def test_case_details_are_checked(open_vault: OpenVault, details: CaseDetails, field: str) -> None:
    with pytest.raises(ValidationError) as caught:
        records.create_case(open_vault, details)
    assert caught.value.field == field
    assert caught.value.message
    assert count(open_vault, "cases") == 0


def test_a_pre_birth_case_takes_an_expected_date_of_birth(open_vault: OpenVault) -> None:
    due = date.today() + timedelta(days=120)
    assert records.create_case(open_vault, CaseDetails("PB-1", "Baby Example", due)).subject_date_of_birth == due


def test_close_and_reopen_keep_their_reasons_in_the_history(open_vault: OpenVault, case: Case) -> None:
    with pytest.raises(ValidationError) as caught:
        records.close_case(open_vault, case.id, reason="  ")
    assert caught.value.field == "closed_reason"
    assert records.get_case(open_vault, case.id).is_open

    with pytest.raises(ValidationError, match="before it was opened"):
        records.close_case(open_vault, case.id, reason="Family moved away", closed_on=date(2023, 12, 1))
    closed = records.close_case(open_vault, case.id, reason="Family moved away", closed_on=date(2024, 6, 1))
    assert (closed.status, closed.closed_on, closed.closed_reason) == ("closed", date(2024, 6, 1), "Family moved away")
    with pytest.raises(UsageError):
        records.close_case(open_vault, case.id, reason="again")
    reopened = records.reopen_case(open_vault, case.id, reason="New referral from school")
    assert reopened.is_open and reopened.closed_on is None
    titles = [e.title for e in records.chronology_page(open_vault, case.id).entries]
    assert titles == ["Case reopened", "Case closed", "Case opened"]


def test_opening_or_closing_in_the_future_is_refused(open_vault: OpenVault, case: Case) -> None:
    with pytest.raises(ValidationError) as caught:
        records.close_case(open_vault, case.id, reason="x", closed_on=date.today() + timedelta(days=2))
    assert caught.value.field == "closed_on"
    with pytest.raises(ValidationError) as caught:
        records.create_case(open_vault, CaseDetails("C-009", "Later"), opened_on=date.today() + timedelta(days=2))
    assert caught.value.field == "opened_on"


def test_list_cases_filters_by_text_and_status(open_vault: OpenVault, case: Case) -> None:
    other = records.create_case(open_vault, CaseDetails("C-002", "Robin 100% Sample_Child"))
    records.record_note(open_vault, case.id, note())
    records.close_case(open_vault, other.id, reason="No further action")
    everything = records.list_cases(open_vault)
    assert {s.case.reference for s in everything} == {"C-001", "C-002"}
    first = next(s for s in everything if s.case.id == case.id)
    assert (first.note_count, first.last_occurred_at) == (1, WHEN)
    assert [s.case.id for s in records.list_cases(open_vault, text="jamie")] == [case.id]
    assert [s.case.id for s in records.list_cases(open_vault, text="100%")] == [other.id]  # LIKE wildcards are text
    assert [s.case.id for s in records.list_cases(open_vault, text="_")] == [other.id]
    assert [s.case.id for s in records.list_cases(open_vault, status="closed")] == [other.id]


def _sorted_locally(summaries: list[CaseSummary], sort: str, descending: bool) -> list[str]:
    """What a whole-list sort gives, to compare with the store's pages."""
    keys: dict[str, Callable[[CaseSummary], Any]] = {
        "activity": lambda s: s.last_occurred_at or s.case.created_at,
        "reference": lambda s: s.case.reference.lower(),
        "child": lambda s: s.case.subject_name.lower(),
        "key_worker": lambda s: s.case.key_worker.lower(),
        "status": lambda s: s.case.status,
        "notes": lambda s: s.note_count,
    }
    ordered = sorted(summaries, key=lambda s: (keys[sort](s), s.case.id), reverse=descending)
    return [s.case.reference for s in ordered]


def _paged(vault: OpenVault, size: int, **query: Any) -> list[str]:
    found: list[str] = []
    while True:
        page = records.list_cases(vault, limit=size, offset=len(found), **query)
        found += [s.case.reference for s in page]
        if len(page) < size:
            return found


@pytest.fixture
def many_cases(open_vault: OpenVault) -> list[CaseSummary]:
    """25 cases (more than three pages of 7) whose orders all differ: references, names
    and key workers in unrelated orders, mixed case, a few notes on some, two closed."""
    workers = ["alex Lead", "Bea Worker", "Sam Lead", "", "Kim Other"]
    with open_vault.transaction() as conn:
        for i in range(25):
            case_id = records.create_case_in(
                conn,
                CaseDetails(
                    f"{'ab'[i % 2]}-{(i * 7) % 25:02d}",
                    f"{'Zed Yan Xi Wu Vic'.split()[i % 5]} {'example' if i % 3 else 'Sample'} {i}",
                    key_worker=workers[i % 5],
                ),
                actor="Alex Practitioner",
            )
            for n in range(i % 4):
                records.record_note_in(
                    conn, case_id, note(occurred_at=f"2024-0{1 + i % 9}-1{n}T10:00:00+00:00"), actor="Alex"
                )
    for summary in records.list_cases(open_vault, limit=3, offset=4):
        records.close_case(open_vault, summary.case.id, reason="No further action")
    everything = records.list_cases(open_vault, limit=1000)
    assert len(everything) == 25
    return everything


@pytest.mark.parametrize("descending", [False, True])
@pytest.mark.parametrize("sort", ["activity", "reference", "child", "key_worker", "status", "notes"])
def test_list_cases_sorts_in_the_store_across_pages(
    open_vault: OpenVault, many_cases: list[CaseSummary], sort: str, descending: bool
) -> None:
    assert set(records.CASE_SORTS) == {"activity", "reference", "child", "key_worker", "status", "notes"}
    expected = _sorted_locally(many_cases, sort, descending)
    assert _paged(open_vault, 7, sort=sort, descending=descending) == expected
    # The first page alone is already the true first seven, not the first seven fetched.
    first = records.list_cases(open_vault, sort=sort, descending=descending, limit=7)
    assert [s.case.reference for s in first] == expected[:7]


def test_list_cases_filters_by_key_worker_in_the_store(open_vault: OpenVault, many_cases: list[CaseSummary]) -> None:
    lead = [s for s in many_cases if "lead" in s.case.key_worker.lower()]
    assert len(lead) == 10
    assert _paged(open_vault, 3, key_worker=" LEAD ", sort="reference", descending=False) == _sorted_locally(
        lead, "reference", False
    )
    open_lead = [s for s in lead if s.case.is_open]
    assert _paged(open_vault, 4, key_worker="lead", status="open", sort="child") == _sorted_locally(
        open_lead, "child", True
    )
    assert records.list_cases(open_vault, key_worker="%") == []  # wildcards are text
    assert len(records.list_cases(open_vault, key_worker="   ")) == 25  # blank: no filter


def test_list_cases_refuses_an_unknown_order_or_page(open_vault: OpenVault, case: Case) -> None:
    with pytest.raises(UsageError, match="sorted by"):
        records.list_cases(open_vault, sort="c.id; DROP TABLE cases")
    with pytest.raises(UsageError, match="page"):
        records.list_cases(open_vault, limit=0)
    assert [s.case.id for s in records.list_cases(open_vault)] == [case.id]


# -- changing a case's details -----------------------------------------------------------------


def test_changing_case_details_keeps_the_earlier_details_and_the_reason(open_vault: OpenVault, case: Case) -> None:
    changed = CaseDetails("C-001", "Jamie Exampel", date(2014, 5, 2), {"UPN": "A123456789012", "NHS": "1"}, "Sam Lead")
    with pytest.raises(ValidationError) as caught:
        records.update_case(open_vault, case.id, changed, reason="   ")
    assert caught.value.field == "reason"
    assert records.get_case(open_vault, case.id) == case  # nothing half-saved
    assert records.case_detail_history(open_vault, case.id) == []

    updated = records.update_case(open_vault, case.id, changed, reason="Date of birth was mistyped at referral")
    assert (updated.subject_name, updated.subject_date_of_birth, updated.key_worker) == (
        "Jamie Exampel",
        date(2014, 5, 2),
        "Sam Lead",
    )
    assert updated.subject_identifiers == {"UPN": "A123456789012", "NHS": "1"}
    [change] = records.case_detail_history(open_vault, case.id)
    assert change.fields == ("subject_name", "subject_date_of_birth", "subject_identifiers", "key_worker")
    assert change.before == {
        "subject_name": "Jamie Example",
        "subject_date_of_birth": "2014-05-01",
        "subject_identifiers": {"UPN": "A123456789012"},
        "key_worker": "Alex Practitioner",
    }
    assert change.after["subject_name"] == "Jamie Exampel" and change.after["key_worker"] == "Sam Lead"
    assert (change.reason, change.recorded_by) == ("Date of birth was mistyped at referral", "Alex Practitioner")
    [entry] = records.chronology_page(open_vault, case.id, kinds=["case_details"]).entries
    assert (entry.title, entry.summary, entry.item_id) == (
        "Case details changed",
        "Date of birth was mistyped at referral",
        change.id,
    )

    # Saving the same details again changes nothing and needs no reason.
    assert records.update_case(open_vault, case.id, changed) == updated
    later = records.update_case(
        open_vault, case.id, replace(changed, reference="c-001 "), reason="Reference in capitals as the system has it"
    )
    assert later.reference == "c-001"
    history = records.case_detail_history(open_vault, case.id)
    assert [h.fields for h in history] == [("reference",), change.fields]  # most recent first
    assert (history[0].before, history[0].after) == ({"reference": "C-001"}, {"reference": "c-001"})


def test_raw_sql_cannot_put_back_an_earlier_name_by_reusing_an_old_history_time(
    open_vault: OpenVault, case: Case
) -> None:
    """Migration 10: a change to a case's details must be the one its newest history entry
    describes. Reusing an older entry's time (migration 7 allowed it) is refused."""
    first = records.update_case(open_vault, case.id, replace_name(case, "Jamie Brown"), reason="Adoption order")
    records.update_case(open_vault, case.id, replace_name(first, "Jamie Green"), reason="Further name change")
    old, new = reversed(records.case_detail_history(open_vault, case.id))
    conn = open_vault.conn
    for name, at in (("Jamie Brown", old.recorded_at), ("Someone Else", new.recorded_at), ("Jamie Example", "x")):
        with pytest.raises(sqlcipher.IntegrityError, match="can only be changed with a reason"):
            conn.execute("UPDATE cases SET subject_name = ?, updated_at = ? WHERE id = ?", (name, at, case.id))
    assert records.get_case(open_vault, case.id).subject_name == "Jamie Green"
    # Unchanged details, or other columns, are not held back.
    conn.execute("UPDATE cases SET subject_name = subject_name, updated_at = 'whenever' WHERE id = ?", (case.id,))


def replace_name(case: Case, name: str) -> CaseDetails:
    return CaseDetails(
        case.reference, name, case.subject_date_of_birth, dict(case.subject_identifiers), case.key_worker
    )


def test_a_changed_reference_must_stay_unique(open_vault: OpenVault, case: Case) -> None:
    other = records.create_case(open_vault, CaseDetails("C-002", "Robin Sample"))
    with pytest.raises(ValidationError) as caught:
        records.update_case(open_vault, other.id, CaseDetails("c-001", "Robin Sample"), reason="Merged")
    assert caught.value.field == "reference"
    assert records.get_case(open_vault, other.id) == other
    assert records.case_detail_history(open_vault, other.id) == []


# -- people ------------------------------------------------------------------------------


def test_protecting_a_person_needs_a_reason(open_vault: OpenVault, case: Case) -> None:
    with pytest.raises(ValidationError) as caught:
        records.add_person(open_vault, case.id, PersonDetails("Morgan Neighbour", "Neighbour", protect_identity=True))
    assert caught.value.field == "protect_reason"
    assert "Golden rule 5" in caught.value.message
    assert records.list_people(open_vault, case.id) == []


def test_people_around_the_case(open_vault: OpenVault, case: Case) -> None:
    parent = records.add_person(open_vault, case.id, PersonDetails("Pat Example", "Parent", contact="07700 900123"))
    neighbour = records.add_person(
        open_vault,
        case.id,
        PersonDetails(
            "Morgan Lee", "Neighbour", protect_identity=True, protect_reason="Fears reprisal from the father"
        ),
    )
    people = records.list_people(open_vault, case.id)
    assert [p.name for p in people] == ["Morgan Lee", "Pat Example"]
    assert neighbour.protect_identity and not parent.protect_identity
    changed = records.update_person(open_vault, parent.id, PersonDetails("Pat Example", "Mother", contact="moved"))
    assert (changed.relationship, changed.contact) == ("Mother", "moved")


def test_protected_people_are_marked_where_they_appear(open_vault: OpenVault, case: Case) -> None:
    morgan = records.add_person(
        open_vault, case.id, PersonDetails("Morgan Lee", "Neighbour", protect_identity=True, protect_reason="Reprisal")
    )
    by_morgan = records.record_note(
        open_vault, case.id, note("Heard shouting next door.", source=SOURCE_REPORTED, source_person_id=morgan.id)
    )
    naming_morgan = records.record_note(open_vault, case.id, note("Morgan said the car was there again."))
    plain = records.record_note(open_vault, case.id, note("Calm day at school."))
    assert "protected" in by_morgan.flags and "protected" in naming_morgan.flags
    assert "protected" not in plain.flags
    # A person added later is found in notes already saved.
    pat = records.add_person(
        open_vault, case.id, PersonDetails("Pat Example", "Parent", protect_identity=True, protect_reason="Fled abuse")
    )
    records.record_note(open_vault, case.id, note("Pat Example rang the office."))
    assert "protected" not in records.get_note(open_vault, plain.id).flags
    # Lifting the protection is reflected at once, everywhere.
    records.update_person(open_vault, morgan.id, PersonDetails("Morgan Lee", "Neighbour"))
    assert "protected" not in records.get_note(open_vault, by_morgan.id).flags
    flags = {e.item_id: e.flags for e in records.chronology_page(open_vault, case.id, kinds=["note"]).entries}
    assert "protected" not in flags[naming_morgan.id]
    spans = protected_mentions("Pat Example and pat again; not Patrick.", records.list_people(open_vault, case.id))
    assert [(s, e) for s, e, _ in spans] == [(0, 11), (16, 19)]
    assert all(pid == pat.id for _, _, pid in spans)


def test_mentions_prefer_the_longest_name() -> None:
    from desktop_app.domain.records import Person

    people = [
        Person(1, 1, "Sam Smith", "Parent", "", False, "", "", ""),
        Person(2, 1, "Sam", "Sibling", "", True, "x", "", ""),
    ]
    assert mentions("Sam Smith met sam.", people) == [(0, 9, 1), (14, 17, 1)]


# -- notes -------------------------------------------------------------------------------


def test_a_note_records_when_who_what_and_where_from(open_vault: OpenVault, case: Case) -> None:
    saved = records.record_note(
        open_vault, case.id, note("Jamie said Dad hit him.", category="Physical abuse", source=SOURCE_DISCLOSED)
    )
    assert saved.occurred_at == WHEN
    assert saved.category == "physical_abuse"  # labels are accepted and stored as codes
    assert saved.current.source == SOURCE_DISCLOSED
    assert saved.author == "Alex Practitioner" == saved.current.author
    recorded = datetime.fromisoformat(saved.recorded_at)
    assert abs(recorded - datetime.now(UTC)) < timedelta(minutes=1)
    assert saved.flags == () and saved.revision_count == 1 and not saved.is_amended


def test_every_category_from_the_guidance_is_accepted(open_vault: OpenVault, case: Case) -> None:
    codes = [c.code for c in CATEGORIES]
    assert "neglect" in codes and "general_welfare" in codes and "domestic_abuse" in codes
    for code in codes:
        assert records.record_note(open_vault, case.id, note(category=code)).category == code


@pytest.mark.parametrize(
    ("bad", "field"),
    [
        (note(text="   "), "text"),
        (note(category="witchcraft"), "category"),
        (note(category=""), "category"),
        (note(source="rumour"), "source"),
        (note(source=SOURCE_REPORTED), "source_name"),
        (note(source_name="Someone"), "source"),
        (note(occurred_at="yesterday"), "occurred_at"),
        (note(occurred_at="2024-13-45"), "occurred_at"),
        (note(occurred_at=(datetime.now(UTC) + timedelta(days=1)).isoformat()), "occurred_at"),
        (note(occurred_at="1066-10-14T12:00"), "occurred_at"),
        (note(occurred_at=12345), "occurred_at"),
        (note(text="bad\x00byte"), "text"),
        (note(text="escape \x1b[31m red"), "text"),
        (note(text="lone \ud800 surrogate"), "text"),
        (note(author="  "), "author"),
    ],
)
def test_bad_notes_are_refused_and_nothing_is_saved(
    open_vault: OpenVault, case: Case, bad: NoteInput, field: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        records.record_note(open_vault, case.id, bad)
    assert caught.value.field == field
    assert caught.value.message.endswith((".", ")"))
    assert count(open_vault, "notes") == count(open_vault, "note_revisions") == 0


def test_nul_bytes_are_refused_with_a_way_to_fix_them(open_vault: OpenVault, case: Case) -> None:
    with pytest.raises(ValidationError) as caught:
        records.record_note(open_vault, case.id, note("Pasted\x00 from a PDF"))
    assert "NUL" in caught.value.message and "nothing has been saved" in caught.value.advice.lower()
    fixed = remove_control_characters("Pasted\x00 from a PDF\ttab\nline\x0bvt\x0cff")
    assert fixed == "Pasted from a PDF\ttab\nline\x0bvt\x0cff"
    assert records.record_note(open_vault, case.id, note(fixed)).text == fixed


def test_emoji_and_right_to_left_text_are_kept_exactly(open_vault: OpenVault, case: Case) -> None:
    text = "Jamie drew 😢👨‍👩‍👧 and wrote: أنا خائف — אני מפחד. Mixed ‏RTL‎ marks, e\u0301 combining."
    saved = records.record_note(open_vault, case.id, note(text))
    assert records.get_note(open_vault, saved.id).text == text


def test_a_five_megabyte_note_is_accepted_and_a_larger_one_refused(open_vault: OpenVault, case: Case) -> None:
    at_limit = ("Long interview transcript. " * (MAX_NOTE_BYTES // 27 + 1))[:MAX_NOTE_BYTES]
    assert len(at_limit.encode()) == MAX_NOTE_BYTES
    saved = records.record_note(open_vault, case.id, note(at_limit))
    assert records.get_note(open_vault, saved.id).text == at_limit
    assert len(saved.current.text) == MAX_NOTE_BYTES
    over = at_limit[:-1] + "é"  # one character, two bytes: one byte over
    with pytest.raises(ValidationError) as caught:
        records.record_note(open_vault, case.id, note(over))
    assert caught.value.field == "text" and "5 MB" in caught.value.message
    assert count(open_vault, "notes") == 1


def test_reported_by_a_person_on_another_case_is_refused(open_vault: OpenVault, case: Case) -> None:
    other = records.create_case(open_vault, CaseDetails("C-002", "Robin Sample"))
    stranger = records.add_person(open_vault, other.id, PersonDetails("Kim", "Carer"))
    with pytest.raises(ValidationError) as caught:
        records.record_note(open_vault, case.id, note(source=SOURCE_REPORTED, source_person_id=stranger.id))
    assert caught.value.field == "source_person_id"


def test_naive_times_are_local_and_stored_in_utc(open_vault: OpenVault, case: Case) -> None:
    local = datetime(2024, 7, 1, 9, 15)
    saved = records.record_note(open_vault, case.id, note(occurred_at=local))
    assert saved.occurred_at == local.astimezone().astimezone(UTC).isoformat()
    day = records.record_note(open_vault, case.id, note(occurred_at="2024-07-02"))
    assert datetime.fromisoformat(day.occurred_at).astimezone().date() == date(2024, 7, 2)


# -- amendments --------------------------------------------------------------------------


def test_an_amendment_keeps_the_original_readable(open_vault: OpenVault, case: Case) -> None:
    original = records.record_note(open_vault, case.id, note("Bruise on the left arm."))
    amended = records.amend_note(
        open_vault,
        original.id,
        note("Bruise on the right arm.", occurred_at="2024-03-07T15:00:00+00:00"),
        reason="I wrote the wrong arm; checked with the school nurse.",
    )
    assert amended.id == original.id
    assert amended.text == "Bruise on the right arm." and amended.is_amended and "amended" in amended.flags
    assert amended.recorded_at == original.recorded_at and amended.author == original.author
    history = records.note_history(open_vault, original.id)
    assert [r.text for r in history] == ["Bruise on the left arm.", "Bruise on the right arm."]
    assert history[0].is_original and history[0].reason == ""
    assert history[1].reason.startswith("I wrote the wrong arm")
    assert history[1].occurred_at == "2024-03-07T15:00:00+00:00"


@pytest.mark.parametrize("reason", ["", "   ", "\n\t"])
def test_amending_needs_a_reason(open_vault: OpenVault, case: Case, reason: str) -> None:
    original = records.record_note(open_vault, case.id, note("First version."))
    with pytest.raises(ValidationError) as caught:
        records.amend_note(open_vault, original.id, note("Second version."), reason=reason)
    assert caught.value.field == "reason"
    assert records.get_note(open_vault, original.id).text == "First version."
    assert len(records.note_history(open_vault, original.id)) == 1


def test_an_amendment_that_changes_nothing_is_refused(open_vault: OpenVault, case: Case) -> None:
    original = records.record_note(open_vault, case.id, note("Same."))
    with pytest.raises(ValidationError):
        records.amend_note(open_vault, original.id, note("Same."), reason="No change really")


def test_an_amendment_is_by_whoever_amends(open_vault: OpenVault, case: Case) -> None:
    imported = records.record_note(open_vault, case.id, note("From the old system.", author="Previous Worker"))
    amended = records.amend_note(open_vault, imported.id, note("Corrected.", author="Someone Else"), reason="Typo")
    assert amended.author == "Previous Worker"
    assert amended.current.author == "Alex Practitioner"


# -- marked in error -----------------------------------------------------------------------


def test_marking_in_error_needs_a_reason_and_keeps_the_note(open_vault: OpenVault, case: Case) -> None:
    saved = records.record_note(open_vault, case.id, note("Recorded by mistake."))
    with pytest.raises(ValidationError) as caught:
        records.mark_note_in_error(open_vault, saved.id, reason="")
    assert caught.value.field == "reason"
    assert records.get_note(open_vault, saved.id).mark is None

    marked = records.mark_note_in_error(open_vault, saved.id, reason="Duplicate of the note before")
    assert marked.mark is not None and marked.mark.kind == MARK_IN_ERROR
    assert marked.mark.reason == "Duplicate of the note before" and MARK_IN_ERROR in marked.flags
    assert marked.text == "Recorded by mistake."
    with pytest.raises(UsageError):
        records.mark_note_in_error(open_vault, saved.id, reason="twice")
    with pytest.raises(UsageError):
        records.amend_note(open_vault, saved.id, note("Changed"), reason="after marking")
    assert [e.item_id for e in records.chronology_page(open_vault, case.id, kinds=["note"]).entries] == [saved.id]


def test_a_note_on_the_wrong_case_moves_with_links_both_ways(open_vault: OpenVault, case: Case) -> None:
    right = records.create_case(open_vault, CaseDetails("C-002", "Robin Sample"))
    reporter = records.add_person(open_vault, case.id, PersonDetails("Kim Carer", "Carer"))
    wrong = records.record_note(
        open_vault, case.id, note("Robin was upset.", source=SOURCE_REPORTED, source_person_id=reporter.id)
    )
    with pytest.raises(UsageError):
        records.mark_note_in_error(open_vault, wrong.id, reason="x", correct_case_id=right.id)  # kind must say so
    marked = records.mark_note_in_error(
        open_vault,
        wrong.id,
        kind=MARK_WRONG_CASE,
        reason="Recorded on Jamie's case by mistake",
        correct_case_id=right.id,
    )
    assert marked.case_id == case.id and marked.mark is not None and marked.mark.kind == MARK_WRONG_CASE
    assert marked.moved_to_note_id is not None
    moved = records.get_note(open_vault, marked.moved_to_note_id)
    assert (moved.case_id, moved.text, moved.occurred_at, moved.moved_from_note_id) == (
        right.id,
        "Robin was upset.",
        WHEN,
        wrong.id,
    )
    assert moved.current.source_person_id is None and moved.current.source_name == "Kim Carer"


# -- the triggers hold even against raw SQL --------------------------------------------------


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE note_revisions SET text = 'rewritten' WHERE id = :revision",
        "DELETE FROM note_revisions WHERE id = :revision",
        "DELETE FROM notes WHERE id = :note",
        "UPDATE notes SET case_id = :other WHERE id = :note",
        "UPDATE notes SET author = 'Someone Else' WHERE id = :note",
        "UPDATE notes SET occurred_at = '2000-01-01T00:00:00+00:00' WHERE id = :note",
        "UPDATE notes SET current_revision_id = NULL WHERE id = :note",
        "DELETE FROM cases WHERE id = :case",
        "DELETE FROM people",
        "DELETE FROM case_status_changes",
        "UPDATE cases SET subject_name = 'Someone Else', updated_at = 'now' WHERE id = :case",
        "UPDATE cases SET key_worker = 'Someone Else' WHERE id = :case",
        "UPDATE case_detail_changes SET reason = 'rewritten'",
        "DELETE FROM case_detail_changes",
    ],
)
def test_saved_records_cannot_be_changed_or_deleted_with_raw_sql(
    open_vault: OpenVault, case: Case, statement: str
) -> None:
    other = records.create_case(open_vault, CaseDetails("C-002", "Robin Sample"))
    records.add_person(open_vault, case.id, PersonDetails("Kim", "Carer"))
    saved = records.record_note(open_vault, case.id, note("The original words."))
    records.update_case(open_vault, other.id, CaseDetails("C-002", "Robin Sampel"), reason="Spelling")
    params = {"revision": saved.current.id, "note": saved.id, "other": other.id, "case": case.id}
    with pytest.raises(sqlcipher.IntegrityError):
        open_vault.conn.execute(statement, params)
    assert records.get_note(open_vault, saved.id).text == "The original words."
    assert records.get_case(open_vault, case.id) == case
    assert [h.reason for h in records.case_detail_history(open_vault, other.id)] == ["Spelling"]


def test_a_case_rename_with_raw_sql_is_refused_with_a_plain_message(open_vault: OpenVault, case: Case) -> None:
    with pytest.raises(sqlcipher.IntegrityError, match="kept in its history"):
        open_vault.conn.execute("UPDATE cases SET subject_name = 'Someone Else' WHERE id = ?", (case.id,))
    # Status changes do not touch the details, so they need no history row.
    open_vault.conn.execute("UPDATE cases SET updated_at = 'later' WHERE id = ?", (case.id,))
    assert records.get_case(open_vault, case.id).subject_name == "Jamie Example"


def test_a_mark_cannot_be_taken_back_with_raw_sql(open_vault: OpenVault, case: Case) -> None:
    saved = records.record_note(open_vault, case.id, note())
    records.mark_note_in_error(open_vault, saved.id, reason="Wrong child")
    with pytest.raises(sqlcipher.IntegrityError, match="stays marked"):
        open_vault.conn.execute("UPDATE notes SET marked_at = NULL, marked_kind = NULL WHERE id = ?", (saved.id,))


def test_a_note_marked_in_error_gets_no_new_revision_even_with_raw_sql(open_vault: OpenVault, case: Case) -> None:
    """Migration 7: the services refused to amend a marked note; now the vault does too."""
    saved = records.record_note(open_vault, case.id, note("As first written."))
    conn = open_vault.conn
    # A later revision slipped in (by raw SQL) before the note was marked, not yet current.
    conn.execute(
        "INSERT INTO note_revisions (note_id, revision, occurred_at, category, source, reason, author, recorded_at, "
        "preview, text) SELECT note_id, 2, occurred_at, category, source, 'raw', author, recorded_at, 'Rewritten.', "
        "'Rewritten.' FROM note_revisions WHERE id = ?",
        (saved.current.id,),
    )
    later = conn.execute("SELECT id FROM note_revisions WHERE note_id = ? AND revision = 2", (saved.id,)).fetchone()[0]
    records.mark_note_in_error(open_vault, saved.id, reason="Wrong child")
    with pytest.raises(sqlcipher.IntegrityError, match="marked as recorded in error"):
        conn.execute("UPDATE notes SET current_revision_id = ? WHERE id = ?", (later, saved.id))
    with pytest.raises(sqlcipher.IntegrityError, match="marked as recorded in error"):
        conn.execute(
            "INSERT INTO note_revisions (note_id, revision, occurred_at, category, source, reason, author, "
            "recorded_at, preview, text) SELECT note_id, 3, occurred_at, category, source, 'raw', author, "
            "recorded_at, 'Again.', 'Again.' FROM note_revisions WHERE id = ?",
            (saved.current.id,),
        )
    marked = records.get_note(open_vault, saved.id)
    assert marked.text == "As first written." and marked.mark is not None
    assert [r.revision for r in records.note_history(open_vault, saved.id)] == [1, 2]
    with pytest.raises(UsageError, match="cannot be amended"):
        records.amend_note(open_vault, saved.id, note("Corrected."), reason="Typo")


def test_a_note_cannot_go_back_to_an_older_revision(open_vault: OpenVault, case: Case) -> None:
    saved = records.record_note(open_vault, case.id, note("One."))
    records.amend_note(open_vault, saved.id, note("Two."), reason="Clarified")
    with pytest.raises(sqlcipher.IntegrityError, match="forward"):
        open_vault.conn.execute("UPDATE notes SET current_revision_id = ? WHERE id = ?", (saved.current.id, saved.id))
    assert records.get_note(open_vault, saved.id).text == "Two."


def test_a_trigger_refusal_reaches_people_as_a_plain_message(open_vault: OpenVault, case: Case) -> None:
    saved = records.record_note(open_vault, case.id, note())
    with pytest.raises(UsageError) as caught:
        with records.recording(open_vault) as conn:
            conn.execute("DELETE FROM notes WHERE id = ?", (saved.id,))
    assert (
        caught.value.message == "A saved note cannot be deleted. Mark it as recorded in error instead, with a reason."
    )


def test_a_locked_vault_says_so(open_vault: OpenVault, case: Case) -> None:
    open_vault.close()
    with pytest.raises(Exception, match="locked"):
        records.get_case(open_vault, case.id)
