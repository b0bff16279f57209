"""Search across the vault (FTS5 inside SQLCipher): results with highlighted snippets,
filters, amended text, and any query text at all handled safely."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from desktop_app.domain.records import SNIPPET_END, SNIPPET_START, Case, CaseDetails, NoteInput
from desktop_app.services import case_records as records
from desktop_app.store import search
from desktop_app.store.vault import OpenVault


def note(text: str, when: str = "2024-03-07T14:30:00+00:00", **changes: Any) -> NoteInput:
    return NoteInput(occurred_at=when, text=text, **changes)


@pytest.fixture
def cases(open_vault: OpenVault) -> tuple[Case, Case]:
    jamie = records.create_case(open_vault, CaseDetails("C-001", "Jamie Example"))
    robin = records.create_case(open_vault, CaseDetails("C-002", "Robin Sample"))
    records.record_note(
        open_vault, jamie.id, note("Jamie had a bruise on the left arm at school.", category="physical_abuse")
    )
    records.record_note(
        open_vault,
        jamie.id,
        note("No food in the kitchen; Jamie was hungry.", "2024-05-01T09:00:00+00:00", category="neglect"),
    )
    records.record_note(
        open_vault, robin.id, note("Robin said the bruise was from football.", "2023-11-20T16:00:00+00:00")
    )
    records.record_note(open_vault, robin.id, note("أنا خائف من البيت — قال روبن. שלום. Café crème."))
    return jamie, robin


def test_results_carry_case_note_date_and_a_highlighted_snippet(
    open_vault: OpenVault, cases: tuple[Case, Case]
) -> None:
    hits = records.search_notes(open_vault, "bruise")
    assert {h.case_reference for h in hits} == {"C-001", "C-002"}
    for hit in hits:
        assert f"{SNIPPET_START}bruise{SNIPPET_END}" in hit.snippet
        assert records.get_note(open_vault, hit.note_id).case_id == hit.case_id
        assert hit.occurred_at.endswith("+00:00")


def test_every_word_must_match_and_stemming_finds_related_forms(
    open_vault: OpenVault, cases: tuple[Case, Case]
) -> None:
    assert len(records.search_notes(open_vault, "bruise football")) == 1
    assert [h.case_reference for h in records.search_notes(open_vault, "bruised arms")] == ["C-001"]
    assert records.search_notes(open_vault, "bruise kitchen") == []


def test_filters_by_case_category_and_dates(open_vault: OpenVault, cases: tuple[Case, Case]) -> None:
    jamie, robin = cases
    assert [h.case_id for h in records.search_notes(open_vault, "bruise", case_id=robin.id)] == [robin.id]
    assert [h.category for h in records.search_notes(open_vault, "bruise", categories=["physical_abuse"])] == [
        "physical_abuse"
    ]
    in_2024 = records.search_notes(open_vault, "bruise", occurred_from=date(2024, 1, 1))
    assert [h.case_id for h in in_2024] == [jamie.id]
    to_the_day = records.search_notes(open_vault, "bruise", occurred_to="2023-11-20")
    assert [h.case_id for h in to_the_day] == [robin.id]  # a 'to' date includes the whole day
    assert records.search_notes(open_vault, "bruise", occurred_from="2024-04-01", occurred_to="2024-12-31") == []


def test_newest_first_and_top_n(open_vault: OpenVault, cases: tuple[Case, Case]) -> None:
    jamie, _ = cases
    for day in range(1, 8):
        records.record_note(open_vault, jamie.id, note("Another bruise seen.", f"2024-06-0{day}T10:00:00+00:00"))
    newest = records.search_notes(open_vault, "bruise", newest_first=True, limit=3)
    assert [h.occurred_at[:10] for h in newest] == ["2024-06-07", "2024-06-06", "2024-06-05"]
    assert len(records.search_notes(open_vault, "bruise", limit=5)) == 5


def test_amended_text_is_found_and_the_old_text_is_not(open_vault: OpenVault, cases: tuple[Case, Case]) -> None:
    jamie, _ = cases
    [hit] = records.search_notes(open_vault, "left arm")
    records.amend_note(
        open_vault, hit.note_id, note("Jamie had a graze on the right knee at school."), reason="Wrong injury"
    )
    assert records.search_notes(open_vault, "bruise left") == []
    [found] = records.search_notes(open_vault, "graze knee")
    assert found.note_id == hit.note_id and "amended" in found.flags
    search.integrity_check(open_vault.conn)  # the index matches the current text exactly


def test_notes_marked_in_error_are_still_found_and_flagged(open_vault: OpenVault, cases: tuple[Case, Case]) -> None:
    [hit] = records.search_notes(open_vault, "football")
    records.mark_note_in_error(open_vault, hit.note_id, reason="Wrong child")
    [again] = records.search_notes(open_vault, "football")
    assert "in_error" in again.flags


def test_right_to_left_and_accented_text_is_searchable(open_vault: OpenVault, cases: tuple[Case, Case]) -> None:
    assert len(records.search_notes(open_vault, "خائف")) == 1
    assert len(records.search_notes(open_vault, "שלום")) == 1
    assert len(records.search_notes(open_vault, "cafe creme")) == 1  # diacritics folded
    assert len(records.search_notes(open_vault, "\u200fخائف\u200e")) == 1  # direction marks around the word


HOSTILE = [
    "",
    "   ",
    '"',
    '"""',
    'bruise"',
    "'",
    "bruise AND",
    "AND OR NOT",
    "NEAR(bruise football, 2)",
    "text: bruise",
    "text:bruise",
    "{text}: bruise",
    "bruise*",
    "*",
    "^bruise",
    "(",
    ")",
    "((bruise",
    "bruise -football",
    "+bruise",
    "bruise\x00",
    "\x00",
    "\x00\x01\x02\x03",
    "😢",
    "😢 bruise",
    "👨‍👩‍👧",
    "\u202e\u202dbruise",
    "\ud800",
    "bruise\ud800football",
    "'; DROP TABLE notes; --",
    "note_search MATCH 'x'",
    "x" * 100_000,
    " ".join(["bruise"] * 500),
    "\\",
    "%",
    "_",
    "\n\t\r",
]


def test_any_query_text_is_safe(open_vault: OpenVault, cases: tuple[Case, Case]) -> None:
    for query in HOSTILE:
        assert isinstance(records.search_notes(open_vault, query), list), repr(query[:40])
        records.search_notes(open_vault, query, prefix_last=True, newest_first=True, case_id=cases[0].id)


def test_operators_are_searched_as_words_not_obeyed(open_vault: OpenVault, cases: tuple[Case, Case]) -> None:
    jamie, _ = cases
    records.record_note(open_vault, jamie.id, note("Mum said: NOT tonight, and NEAR the door."))
    assert len(records.search_notes(open_vault, "NOT")) == 1  # the word, not an operator
    assert len(records.search_notes(open_vault, "bruise OR kitchen")) == 0  # OR is a word too
    assert len(records.search_notes(open_vault, '"bruise')) == 2  # an unbalanced quote is ignored


def test_queries_with_nothing_to_search_find_nothing(open_vault: OpenVault, cases: tuple[Case, Case]) -> None:
    for query in ("", "😢", "!!! ???", "\x00"):
        assert records.search_notes(open_vault, query) == []


def test_the_expression_quotes_every_term() -> None:
    assert search.fts_expression('bruise "AND NEAR(') == '"bruise" """AND" "NEAR("'
    assert search.fts_expression("o'brien 14:30") == '"o\'brien" "14:30"'
    assert search.fts_expression("arm", prefix_last=True) == '"arm"*'
    assert search.fts_expression("arm ", prefix_last=True) == '"arm"'
    assert search.fts_expression("😢 !!") is None


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(query=st.text(max_size=60))
def test_no_text_makes_search_fail(open_vault: OpenVault, query: str) -> None:
    """Hypothesis: arbitrary Unicode (surrogates, controls, every script) never raises."""
    assert isinstance(records.search_notes(open_vault, query), list)


def test_rebuilding_the_index_gives_the_same_results(open_vault: OpenVault, cases: tuple[Case, Case]) -> None:
    [hit] = records.search_notes(open_vault, "football")
    records.amend_note(open_vault, hit.note_id, note("Robin said the bruise was from rugby."), reason="Sport corrected")
    before = [(h.note_id, h.snippet) for h in records.search_notes(open_vault, "bruise")]
    search.rebuild(open_vault.conn)
    assert [(h.note_id, h.snippet) for h in records.search_notes(open_vault, "bruise")] == before
    assert records.search_notes(open_vault, "football") == []
    search.integrity_check(open_vault.conn)
