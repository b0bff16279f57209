"""Redaction (golden rule 5): protected people become consistent role labels wherever and
however they are mentioned; marked passages become "[redacted]"; nothing else changes."""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, datetime

import pytest
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st

from desktop_app.domain.redaction import (
    AMBIGUOUS,
    DECISION_PURPOSE_TARGET,
    REDACTED,
    ProtectedPerson,
    build_plan,
    case_field_target,
    fold,
    note_target,
    plan_spans,
    redact_packet,
    redact_text,
)
from desktop_app.domain.share_packet import (
    CaseField,
    CaseSummary,
    DecisionSummary,
    NoteEntry,
    PersonEntry,
    Recipient,
    Sender,
    build_share_packet,
)
from desktop_app.errors import ValidationError

ANNE = ProtectedPerson("Anne Smith", "Neighbour")
SEAN = ProtectedPerson("Seán O'Brien-Murphy", "Neighbour")
ZOE = ProtectedPerson("Zoë Nuñez", "Parent")


def plan3() -> object:
    return build_plan([ANNE, SEAN, ZOE])


def red(text: str, *people: ProtectedPerson, **kwargs: object) -> str:
    return redact_text(text, build_plan(list(people) or [ANNE, SEAN, ZOE], **kwargs))  # type: ignore[arg-type]


# -- examples -----------------------------------------------------------------------------
def test_labels_are_per_role_in_order_and_consistent() -> None:
    plan = build_plan([ANNE, SEAN, ZOE, ProtectedPerson("Pat Jones", "parent")])
    assert plan.labels == {
        "Anne Smith": "Neighbour A",
        "Seán O'Brien-Murphy": "Neighbour B",
        "Zoë Nuñez": "Parent A",
        "Pat Jones": "Parent B",
    }
    text = "Anne Smith spoke to Seán. Later Anne and Mr O'Brien-Murphy argued; Smith left."
    assert redact_text(text, plan) == (
        "Neighbour A spoke to Neighbour B. Later Neighbour A and Neighbour B argued; Neighbour A left."
    )


def test_case_insensitive_and_titles_go_with_the_name() -> None:
    assert red("ANNE SMITH, anne smith, Mrs Smith and Dr. Smith") == (
        "Neighbour A, Neighbour A, Neighbour A and Neighbour A"
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Smith's dog", "Neighbour A's dog"),
        ("Smith’s dog", "Neighbour A’s dog"),  # curly apostrophe kept as typed
        ("Anne’s sister", "Neighbour A’s sister"),
        ("the Smiths' house", "the Smiths' house"),  # a different word: not a partial hit
        ("O’Brien-Murphy’s van", "Neighbour B’s van"),
        ("o'brien said", "Neighbour B said"),
        ("Murphy and O'Brien", "Neighbour B and Neighbour B"),
    ],
)
def test_possessives_apostrophes_and_hyphens(text: str, expected: str) -> None:
    assert red(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "Annex B of the plan",
        "Joanne and Annette came",
        "Smithson Road",
        "blacksmith",
        "Anne2 is a username",
        "zoetrope",
    ],
)
def test_no_partial_word_hits(text: str) -> None:
    assert red(text) == text


def test_unicode_accents_in_every_form() -> None:
    composed = "Zoë came"
    decomposed = unicodedata.normalize("NFD", "Zoë came")
    assert red(composed) == "Parent A came"
    assert red(decomposed) == "Parent A came"
    assert red("ZOE and zoe and NUÑEZ and Nunez") == "Parent A and Parent A and Parent A and Parent A"
    assert red("Sean and SEÁN") == "Neighbour B and Neighbour B"


def test_invisible_characters_inside_a_name_do_not_hide_it() -> None:
    assert red("Sm\u00adith and An\u200bne") == "Neighbour A and Neighbour A"


def test_shared_surname_cannot_be_attributed() -> None:
    plan = build_plan([ProtectedPerson("Jane Smith", "Parent"), ProtectedPerson("John Smith", "Parent")])
    assert redact_text("Jane and John Smith; Smith shouted", plan) == "Parent A and Parent B; " + AMBIGUOUS + " shouted"


def test_open_name_is_kept_and_a_shared_part_becomes_unattributable() -> None:
    plan = build_plan([ProtectedPerson("Jane Example", "Parent")], not_protected=["Tom Example"])
    assert redact_text("Tom Example lives with Jane Example. Example is the surname.", plan) == (
        "Tom Example lives with Parent A. " + AMBIGUOUS + " is the surname."
    )


def test_literals_and_manual_spans() -> None:
    plan = build_plan([ANNE], literals=["14 Acacia Avenue", "07700 900123"])
    text = "Anne lives at 14  acacia avenue; phone 07700 900123. Blue car."
    assert redact_text(text, plan) == f"Neighbour A lives at {REDACTED}; phone {REDACTED}. Blue car."
    start = text.index("Blue car")
    assert redact_text(text, plan, [(start, start + 8)]).endswith(f"{REDACTED}.")


def test_a_marked_passage_swallows_a_name_it_touches() -> None:
    plan = build_plan([ANNE])
    text = "Told by Anne Smith yesterday"
    spans = plan_spans(text, plan, [(text.index("Smith") + 2, text.index("yesterday"))])
    assert [(s.start, s.end, s.replacement) for s in spans] == [(8, 19, REDACTED)]
    assert (
        redact_text(text, plan, [(text.index("Smith") + 2, text.index("yesterday"))]) == f"Told by {REDACTED}yesterday"
    )


def test_redaction_that_exposes_a_name_is_finished_off() -> None:
    # Marking the "x" of "Annex" leaves "Anne" a whole word: it must not survive.
    plan = build_plan([ANNE])
    assert redact_text("See Annex 2", plan, [(8, 9)]) == f"See Neighbour A{REDACTED} 2"


def test_marked_passages_outside_the_text_are_refused() -> None:
    with pytest.raises(ValidationError, match="outside the text"):
        redact_text("short", build_plan([ANNE]), [(2, 40)])


def test_a_label_that_would_contain_a_protected_name_is_refused() -> None:
    with pytest.raises(ValidationError, match="part of a protected name"):
        build_plan([ProtectedPerson("Kim Neighbour", "Neighbour")])


def test_a_protected_person_needs_a_name_and_a_role() -> None:
    with pytest.raises(ValidationError):
        build_plan([ProtectedPerson("  ", "Neighbour")])
    with pytest.raises(ValidationError):
        build_plan([ProtectedPerson("Kim Lee", " ")])


def test_particles_and_initials_are_not_redacted_on_their_own() -> None:
    plan = build_plan([ProtectedPerson("J. van der Berg", "Carer")])
    assert redact_text("J. van der Berg drove a van; J. said hi. Berg left.", plan) == (
        "Carer A drove a van; J. said hi. Carer A left."
    )


def _packet() -> object:
    t = datetime(2026, 1, 5, 12, tzinfo=UTC)
    return build_share_packet(
        sender=Sender("Alex", "School"),
        vault_id="v",
        recipient=Recipient("MASH"),
        decision=DecisionSummary("D1", "Share what Anne Smith said", ("Art 6(1)(e)",), None, "Alex", t),
        case=CaseSummary("C-1", (CaseField("Neighbour", "Anne Smith, no 12"),)),
        people=[PersonEntry("Neighbour", "Anne Smith"), PersonEntry("Child", "Tom Example")],
        notes=[NoteEntry("n1", t, t, "Alex", "Neglect", "Anne (neighbour)", "Anne said the door was locked.")],
        now=t,
    )


def test_redact_packet_covers_every_free_text_field() -> None:
    packet = _packet()
    plan = build_plan([ANNE])
    note_text = packet.notes[0].text  # type: ignore[attr-defined]
    out = redact_packet(
        packet,  # type: ignore[arg-type]
        plan,
        {
            note_target("n1"): [(note_text.index("door"), note_text.index("door") + 4)],
            case_field_target("Neighbour"): [(12, 17)],
            DECISION_PURPOSE_TARGET: [(0, 5)],
        },
    )
    dumped = out.to_json()
    assert "Anne" not in dumped and "Smith" not in dumped
    assert out.people[0].display_name == "Neighbour A"
    assert out.people[1].display_name == "Tom Example"
    assert out.notes[0].source == "Neighbour A (neighbour)"
    assert out.notes[0].text == f"Neighbour A said the {REDACTED} was locked."
    assert out.case.fields[0].value == f"Neighbour A, {REDACTED}"
    assert out.decision.purpose == f"{REDACTED} what Neighbour A said"
    assert out.sender == packet.sender and out.recipient == packet.recipient  # type: ignore[attr-defined]


def test_a_marked_passage_for_something_not_in_the_packet_is_refused() -> None:
    with pytest.raises(ValidationError, match="not in this packet"):
        redact_packet(_packet(), build_plan([ANNE]), {note_target("no-such-note"): [(0, 1)]})  # type: ignore[arg-type]


# -- properties ------------------------------------------------------------------------------
NAME_WORDS = st.one_of(
    st.sampled_from(["Anne", "Zoë", "Seán", "O'Brien", "Nuñez", "Anne-Marie", "Smith", "Çelik", "Ólafsdóttir", "Li"]),
    st.text(alphabet="abcdefghijklmnopqrstuvwxyzéüñçøåABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=2, max_size=9),
)
PEOPLE = st.lists(
    st.tuples(st.lists(NAME_WORDS, min_size=1, max_size=3), st.sampled_from(["Neighbour", "Parent", "Carer"])),
    min_size=1,
    max_size=3,
)


def _plan_or_skip(people: list[tuple[list[str], str]]) -> tuple[object, list[str]]:
    persons = [ProtectedPerson(" ".join(words), role) for words, role in people]
    try:
        plan = build_plan(persons)
    except ValidationError:
        assume(False)
        raise
    words = [w for ws, _ in people for w in ws]
    return plan, words


def _mention(word: str, style: int) -> str:
    forms = [word, word.upper(), word.lower(), word + "'s", word + "’s", "Mrs " + word, word.replace("'", "’")]
    return forms[style % len(forms)]


def _surviving_terms(text: str, terms: frozenset[str]) -> list[str]:
    """Whole-word occurrences of any term in ``text``, checked independently of the
    redaction's own regular expression."""
    folded = fold(text)
    found = []
    for term in terms:
        body = r"\s+".join(re.escape(w) for w in term.split(" "))
        before = r"(?<![^\W_])" if term[0].isalnum() else ""
        after = r"(?![^\W_])" if term[-1].isalnum() else ""
        if re.search(before + body + after, folded):
            found.append(term)
    return found


@settings(max_examples=150, deadline=None)
@given(
    people=PEOPLE,
    fillers=st.lists(st.text(max_size=12), min_size=1, max_size=6),
    styles=st.lists(st.integers(0, 20), min_size=1, max_size=6),
)
@example(people=[(["Anne"], "Neighbour")], fillers=["x", "Annex '", "_"], styles=[3, 4])
def test_a_protected_name_never_survives_whatever_surrounds_it(
    people: list[tuple[list[str], str]], fillers: list[str], styles: list[int]
) -> None:
    plan, words = _plan_or_skip(people)
    pieces = []
    for i, filler in enumerate(fillers):
        pieces.append(filler)
        pieces.append(_mention(words[i % len(words)], styles[i % len(styles)]))
    text = " ".join(pieces)
    out = redact_text(text, plan)  # type: ignore[arg-type]
    assert _surviving_terms(out, plan.terms) == []  # type: ignore[attr-defined]


@settings(max_examples=150, deadline=None)
@given(people=PEOPLE, text=st.text(max_size=80), styles=st.lists(st.integers(0, 20), max_size=4))
def test_redaction_is_idempotent(people: list[tuple[list[str], str]], text: str, styles: list[int]) -> None:
    plan, words = _plan_or_skip(people)
    text = " ".join([text, *(_mention(words[i % len(words)], s) for i, s in enumerate(styles))])
    once = redact_text(text, plan)  # type: ignore[arg-type]
    assert redact_text(once, plan) == once  # type: ignore[arg-type]


@settings(max_examples=150, deadline=None)
@given(people=PEOPLE, text=st.text(max_size=120))
def test_text_without_a_mention_is_unchanged(people: list[tuple[list[str], str]], text: str) -> None:
    plan, _ = _plan_or_skip(people)
    assume(not _surviving_terms(text, plan.terms))  # type: ignore[attr-defined]
    assume(not any(t in fold(text) for t in ("mr", "mrs", "ms", "dr")))  # titles only go with a name
    assert redact_text(text, plan) == text  # type: ignore[arg-type]


def test_the_survival_check_itself_finds_names() -> None:
    terms = build_plan([ANNE, SEAN]).terms
    assert _surviving_terms("so ANNE’s bag", terms) == ["anne"]
    assert sorted(_surviving_terms("Mr O’BRIEN-murphy", terms)) == ["murphy", "o'brien", "o'brien-murphy"]
    assert _surviving_terms("Annex", terms) == []


@settings(max_examples=100, deadline=None)
@given(text=st.text(max_size=60), data=st.data())
def test_a_marked_passage_is_replaced_and_nothing_else_changes(text: str, data: st.DataObject) -> None:
    plan = build_plan([ANNE])
    assume(text and not _surviving_terms(text, plan.terms) and "mrs" not in fold(text))
    start = data.draw(st.integers(0, len(text) - 1))
    end = data.draw(st.integers(start + 1, len(text)))
    out = redact_text(text, plan, [(start, end)])
    if not _surviving_terms(text[:start] + REDACTED + text[end:], plan.terms):
        assert out == text[:start] + REDACTED + text[end:]
    assert _surviving_terms(out, plan.terms) == []
