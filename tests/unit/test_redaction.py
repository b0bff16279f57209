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
        ("the Smiths' house", "the Neighbour A family's house"),  # the family, in the plural
        ("O’Brien-Murphy’s van", "Neighbour B’s van"),
        ("o'brien said", "Neighbour B said"),
        ("Murphy and O'Brien", "Neighbour B and Neighbour B"),
    ],
)
def test_possessives_apostrophes_and_hyphens(text: str, expected: str) -> None:
    assert red(text) == expected


THISTLEWOOD = ProtectedPerson("Margaret Thistlewood", "Neighbour", aliases=("Maggie",))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("the Thistlewoods were out", "the Neighbour A family were out"),
        ("Thistlewoods' car", "Neighbour A family's car"),
        ("the Thistlewoods’ car", "the Neighbour A family’s car"),  # the apostrophe as typed
        ("THISTLEWOODS", "Neighbour A family"),
        ("the Thistlewoods's gate", "the Neighbour A family's gate"),
        ("the Thistle\u00adwoods", "the Neighbour A family"),
        ("Thistlewoodsy and Thistlewoodson", "Thistlewoodsy and Thistlewoodson"),  # other words
    ],
)
def test_a_surname_in_the_plural_is_the_family(text: str, expected: str) -> None:
    assert red(text, THISTLEWOOD) == expected


def test_plural_families_across_names() -> None:
    assert red("the Smiths and Smiths'") == "the Neighbour A family and Neighbour A family's"
    assert red("the O'Brien-Murphys, the Murphys, the O’Briens") == (
        "the Neighbour B family, the Neighbour B family, the Neighbour B family"
    )
    assert red("the Nuñezes and the NUNEZES’ flat") == "the Parent A family and the Parent A family’s flat"
    jones = ProtectedPerson("Mark Jones Jr", "Father")
    assert red("the Joneses' dog; Jones's car", jones) == "the Father A family's dog; Father A's car"
    assert red("the Foxes", ProtectedPerson("Mrs Fox", "Carer")) == "the Carer A family"  # title + surname


def test_only_a_surname_stands_for_the_family() -> None:
    # A first name in the plural is another word: redacting "marks" for a protected
    # "Mark" would wreck a record of marks on a child's arm.
    jones = ProtectedPerson("Mark Jones", "Father")
    assert red("marks on his arm; the Joneses", jones) == "marks on his arm; the Father A family"
    assert red("Maggies and Thistlewoods", ProtectedPerson("Maggie", "Neighbour")) == "Maggies and Thistlewoods"
    berg = ProtectedPerson("J. van der Berg", "Carer")
    assert red("the Bergs' van; the vans", berg) == "the Carer A family's van; the vans"  # not a joining word


def test_a_plural_that_cannot_be_attributed_or_would_bring_back_a_name() -> None:
    plan = build_plan([ProtectedPerson("Jane Smith", "Parent"), ProtectedPerson("John Smith", "Parent")])
    assert redact_text("the Smiths' car", plan) == f"the {AMBIGUOUS} family's car"
    # Someone called Family: the label alone, so a second pass finds nothing more.
    plan = build_plan([ProtectedPerson("Kim Family", "Parent"), ProtectedPerson("Jo Smith", "Carer")])
    once = redact_text("the Smiths and the Familys", plan)
    assert once == "the Carer A and the Parent A" and redact_text(once, plan) == once
    # A protected "Smiths" is found as itself, not as the plural of a protected "Smith".
    plan = build_plan([ProtectedPerson("Al Smith", "Parent"), ProtectedPerson("Bo Smiths", "Carer")])
    assert redact_text("Smith, Smiths, Smithses", plan) == "Parent A, Carer A, Carer A family"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("margaret.t@mail.com", REDACTED),
        ("E-mail margaret.t@mail.com, or ring.", f"E-mail {REDACTED}, or ring."),
        ("<MThistlewood@Mail.com>", f"<{REDACTED}>"),  # inside a word, in any case
        ("(see https://facebook.com/maggie.thistlewood.)", f"(see {REDACTED}.)"),
        ("facebook.com/maggie_t", REDACTED),
        ("www.thistlewood-farm.co.uk", REDACTED),
        ("DM @maggie_t1966 tonight", f"DM {REDACTED} tonight"),
        ("Mrs margaret@mail.com", REDACTED),  # the title goes with it
        ("mail to: mash@council.gov.uk", "mail to: mash@council.gov.uk"),  # names no one
        ("Margaret: 4 p.m.", "Neighbour A: 4 p.m."),
    ],
)
def test_an_address_naming_a_protected_person_is_redacted_whole(text: str, expected: str) -> None:
    assert red(text, THISTLEWOOD) == expected


def test_a_short_name_must_be_a_whole_part_of_an_address() -> None:
    li = ProtectedPerson("Li Wu", "Carer")
    assert red("li.wu@mail.com and wu@x.org", li) == f"{REDACTED} and {REDACTED}"
    assert red("contact@police.uk, https://wuhan.example/li", li) == f"contact@police.uk, {REDACTED}"


def test_a_short_name_at_either_end_of_an_address_part_is_found() -> None:
    """ "amy123@" and "leeamy@" name a protected Amy Lee as surely as "amy.lee@" does."""
    amy = ProtectedPerson("Amy Lee", "Mother")
    for address in ("amy123@gmail.com", "leeamy@x.com", "amyl@x.org", "@lee_88"):
        assert red(f"Write to {address} today", amy) == f"Write to {REDACTED} today", address
    li = ProtectedPerson("Li Wu", "Carer")
    assert red("li88@mail.com; lisa@school.org", li) == f"{REDACTED}; lisa@school.org"  # two letters: whole part


def test_an_ordinary_plural_is_not_called_a_family() -> None:
    """A protected "Sarah Day": "days" is never left as typed, but only "the Days" or
    "Days'" (a capital) reads as her family; "two days ago" must not invent one."""
    day = ProtectedPerson("Sarah Day", "Neighbour")
    assert red("Seen two days ago by the Days; the days' routine", day) == (
        f"Seen two {AMBIGUOUS} ago by the Neighbour A family; the Neighbour A family's routine"
    )
    assert red("Days' car was outside", day) == "Neighbour A family's car was outside"


def test_a_marked_passage_touching_an_address_swallows_it() -> None:
    plan = build_plan([THISTLEWOOD])
    text = "Write to margaret.t@mail.com today"
    assert redact_text(text, plan, [(0, text.index("@") - 2)]) == f"{REDACTED} today"


def test_a_long_note_naming_someone_thousands_of_times() -> None:
    # Every mention, address and marked passage is placed in one sorted sweep; comparing
    # each with all the others took minutes at this size.
    plan = build_plan([THISTLEWOOD])
    line = "Mrs Thistlewood rang; the Thistlewoods’ car; margaret.t@mail.com. "
    text = line * 10_000
    rang = line.index("rang")
    marked = [(i * 100 * len(line) + rang, i * 100 * len(line) + rang + 4) for i in range(100)]
    out = redact_text(text, plan, marked)
    assert out.count("Neighbour A family’s car") == 10_000 and out.count(REDACTED) == 10_000 + 100
    assert out.count("Neighbour A rang") == 9_900 and out.count(f"Neighbour A {REDACTED};") == 100
    assert _surviving_terms(out, plan.terms) == [] and "@" not in out


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
    with pytest.raises(ValidationError, match="'smiths'"):  # the family's name, in the plural
        build_plan([ProtectedPerson("Kim Smith", "Parent"), ProtectedPerson("Jo Lee", "Friend of the Smiths")])


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
    forms = [
        word,
        word.upper(),
        word.lower(),
        word + "'s",
        word + "’s",
        "Mrs " + word,
        word.replace("'", "’"),
        "the " + word + "s",
        word + "es’",
        word.upper() + "S'",
    ]
    return forms[style % len(forms)]


def _surviving_plurals(text: str, surnames: frozenset[str]) -> list[str]:
    """Whole-word plurals ("smiths", "joneses") of protected surnames left in ``text``."""
    folded = fold(text)
    found = []
    for term in surnames:
        before = r"(?<![^\W_])" if term[0].isalnum() else ""
        if re.search(before + re.escape(term) + r"(?:es|s)(?![^\W_])", folded):
            found.append(term)
    return found


def _has_address(text: str) -> bool:
    """Whether ``text`` could hold an e-mail or web address, which is redacted whole."""
    return "@" in text or "/" in text or "www." in fold(text)


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
    assert _surviving_plurals(out, plan.plural_terms) == []  # type: ignore[attr-defined]


@settings(max_examples=150, deadline=None)
@given(
    people=PEOPLE,
    local=st.tuples(
        st.text(alphabet="abcxyz019", max_size=4).map(lambda s: s + "." if s else s),
        st.text(alphabet="abcxyz019", max_size=4).map(lambda s: "_" + s if s else s),
    ),
    domain=st.sampled_from(["mail.com", "example.org", "council.gov.uk"]),
    style=st.integers(0, 2),
    scheme=st.sampled_from(["{}@{}", "mailto:{}@{}", "https://{1}/{0}", "@{0}"]),
    which=st.integers(0, 8),
)
@example(
    people=[(["Margaret", "Thistlewood"], "Neighbour")],
    local=("", ".t"),
    domain="mail.com",
    style=0,
    scheme="{}@{}",
    which=0,
)
def test_a_protected_name_in_an_address_never_survives(
    people: list[tuple[list[str], str]], local: tuple[str, str], domain: str, style: int, scheme: str, which: int
) -> None:
    plan, words = _plan_or_skip(people)
    word = words[which % len(words)]
    assume(fold(word) in plan.terms)  # type: ignore[attr-defined]  # not an initial or a joining word
    name = [word, word.lower(), word.upper()][style]
    address = scheme.format(local[0] + name + local[1], domain)
    out = redact_text(f"<{address}>.", plan)  # type: ignore[arg-type]
    assert out == f"<{REDACTED}>."


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
    assume(not _surviving_plurals(text, plan.plural_terms) and not _has_address(text))  # type: ignore[attr-defined]
    assume(not any(t in fold(text) for t in ("mr", "mrs", "ms", "dr")))  # titles only go with a name
    assert redact_text(text, plan) == text  # type: ignore[arg-type]


def test_the_survival_check_itself_finds_names() -> None:
    plan = build_plan([ANNE, SEAN])
    terms = plan.terms
    assert _surviving_terms("so ANNE’s bag", terms) == ["anne"]
    assert sorted(plan.plural_terms) == ["murphy", "o'brien", "o'brien-murphy", "smith"]
    assert _surviving_plurals("the SMITHS’ car", plan.plural_terms) == ["smith"]
    assert _surviving_plurals("the Smithsons", plan.plural_terms) == []
    assert sorted(_surviving_terms("Mr O’BRIEN-murphy", terms)) == ["murphy", "o'brien", "o'brien-murphy"]
    assert _surviving_terms("Annex", terms) == []


@settings(max_examples=100, deadline=None)
@given(text=st.text(max_size=60), data=st.data())
def test_a_marked_passage_is_replaced_and_nothing_else_changes(text: str, data: st.DataObject) -> None:
    plan = build_plan([ANNE])
    assume(text and not _surviving_terms(text, plan.terms) and "mrs" not in fold(text))
    assume(not _surviving_plurals(text, plan.plural_terms) and not _has_address(text))
    start = data.draw(st.integers(0, len(text) - 1))
    end = data.draw(st.integers(start + 1, len(text)))
    out = redact_text(text, plan, [(start, end)])
    if not _surviving_terms(text[:start] + REDACTED + text[end:], plan.terms):
        assert out == text[:start] + REDACTED + text[end:]
    assert _surviving_terms(out, plan.terms) == []
