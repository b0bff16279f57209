"""Gathering a share packet from a real vault: nothing chosen beyond what the decision
says, protected people redacted everywhere by default, passages redacted by hand."""

from __future__ import annotations

import re
from typing import Any

import pytest

from desktop_app.domain.records import NoteInput
from desktop_app.domain.redaction import REDACTED
from desktop_app.errors import UsageError
from desktop_app.services import case_records
from desktop_app.services import packet_builder as pb
from desktop_app.services.packet_builder import FIELD_DATE_OF_BIRTH, FIELD_SUBJECT_NAME

from .seed import NOTE_TEXTS, PROTECTED_NAME, PROTECTED_WORDS, Seeded, record_decision, seed_case


@pytest.fixture
def seeded(open_vault: Any) -> Seeded:
    return seed_case(open_vault)


def leaks(text: str) -> list[str]:
    return [w for w in PROTECTED_WORDS if re.search(rf"\b{w}\b", text, re.IGNORECASE)]


def test_the_default_is_only_what_the_decision_says(open_vault: Any, seeded: Seeded) -> None:
    choices = pb.load_choices(open_vault, seeded.case.id)
    assert choices.decision is not None and choices.decision.id == seeded.decision.id
    selection = choices.default_selection()
    assert selection.note_ids == seeded.linked
    assert selection.person_ids == [] and selection.fields == [] and not selection.marks and not selection.phrases
    packet = pb.build(open_vault, selection)
    assert [n.note_id for n in packet.notes] == [f"N-{i}" for i in seeded.linked]
    assert packet.people == () and packet.case.fields == ()
    assert packet.case.reference == seeded.case.reference
    assert packet.decision.decision_id == f"D-{seeded.decision.id}"
    assert packet.decision.lawful_bases == ("UK GDPR Article 6(1)(e) public task",)
    assert (packet.recipient.organisation, packet.recipient.person) == ("Children's Services MASH", "Sam Rivers")
    # The two notes not linked to the decision are offered, not chosen.
    assert {c.id for c in choices.notes} == set(seeded.note_ids)
    assert NOTE_TEXTS[2] not in packet.to_json()


def test_protected_people_are_redacted_in_every_field_and_note(open_vault: Any, seeded: Seeded) -> None:
    choices = pb.load_choices(open_vault, seeded.case.id)
    labels = {p.id: p.label for p in choices.people}
    assert labels[seeded.neighbour.id] == "Neighbour A"
    assert labels[seeded.father.id] == "Dariusz Nowak"  # not protected: named as they are
    selection = choices.default_selection()
    for note_id in seeded.note_ids:
        selection.set_note(note_id, True)
    for person in (seeded.neighbour, seeded.father, seeded.mother):
        selection.set_person(person.id, True)
    selection.set_field(FIELD_SUBJECT_NAME, True)
    selection.set_field(FIELD_DATE_OF_BIRTH, True)
    packet = pb.build(open_vault, selection)
    text = packet.to_json()
    assert leaks(text) == []
    assert PROTECTED_NAME not in text and "07700 900123" not in text  # nor her phone number
    people = {p.display_name: p.role for p in packet.people}
    assert people == {"Neighbour A": "Neighbour", "Dariusz Nowak": "Father", "Anna Example": "Mother"}
    assert [(f.label, f.value) for f in packet.case.fields] == [
        ("Name", "Tom Example"),
        ("Date of birth", "2016-04-12"),
    ]
    notes = {n.note_id: n for n in packet.notes}
    first, second, _, reported = (notes[f"N-{i}"] for i in seeded.note_ids)
    # Full name, first name alone with a possessive, a title with the surname, a curly apostrophe.
    assert first.text == (
        "Home visit at 10:00. Neighbour A (next door) told me she hears shouting most nights. "
        "Neighbour A's kitchen window faces the garden."
    )
    assert second.text.startswith("Neighbour A rang: Dariusz shouted at Tom")
    assert "Neighbour A’s car" in second.text
    # The source of a note she reported is a structured field: redacted too.
    assert reported.source == "Reported by someone else: Neighbour A"


def test_the_decisions_own_wording_is_redacted(open_vault: Any, seeded: Seeded) -> None:
    decision = record_decision(
        open_vault,
        seeded.case.id,
        seeded.linked,
        purpose="Share what Mrs Thistlewood saw with the MASH",
        decided_by="Alex Practitioner",
    )
    packet = pb.build(open_vault, pb.load_choices(open_vault, seeded.case.id, decision.id).default_selection())
    assert packet.decision.purpose == "Share what Neighbour A saw with the MASH"
    assert leaks(packet.to_json()) == []


def test_passages_marked_by_hand_and_phrases_are_redacted(open_vault: Any, seeded: Seeded) -> None:
    choices = pb.load_choices(open_vault, seeded.case.id)
    selection = choices.default_selection()
    nurse = seeded.note_ids[2]
    selection.set_note(nurse, True)
    text = NOTE_TEXTS[2]
    start = text.index("12 Acacia Road")
    selection.mark(nurse, 1, start, start + len("12 Acacia Road"))
    view = pb.note_for_redaction(open_vault, selection, nurse)
    assert [(s.start, s.end, s.replacement) for s in view.marked] == [(start, start + 14, REDACTED)]
    selection.add_phrase("shouting")
    packet = pb.build(open_vault, selection)
    by_id = {n.note_id: n.text for n in packet.notes}
    assert by_id[f"N-{nurse}"] == "School nurse saw a bruise on Tom's left forearm. The family live at [redacted]."
    assert "shouting" not in packet.to_json() and "[redacted] most nights" in by_id[f"N-{seeded.note_ids[0]}"]
    items = selection.items(protected_people=1)
    assert (items.manual_redactions, items.redacted_phrases, items.protected_people) == (1, 1, 1)
    # A mark that half-covers a name swallows the whole name.
    first = seeded.note_ids[0]
    name_at = NOTE_TEXTS[0].index("Thistlewood")
    selection.mark(first, 1, name_at - 3, name_at + 2)
    assert "Neighbour A (next door)" not in pb.build(open_vault, selection).notes[0].text


def test_a_note_amended_since_it_was_marked_is_refused(open_vault: Any, seeded: Seeded) -> None:
    selection = pb.load_choices(open_vault, seeded.case.id).default_selection()
    first = seeded.note_ids[0]
    selection.mark(first, 1, 0, 10)
    case_records.amend_note(
        open_vault, first, NoteInput("2024-03-01T10:00", "Home visit, corrected."), reason="Typing slip"
    )
    with pytest.raises(UsageError, match="amended since you marked"):
        pb.build(open_vault, selection)
    # Marked again on the current version, it goes.
    selection.mark(first, 2, 0, 10)
    assert pb.build(open_vault, selection).notes[0].text.startswith(REDACTED)


def test_a_protected_person_can_be_named_on_purpose(open_vault: Any, seeded: Seeded) -> None:
    selection = pb.load_choices(open_vault, seeded.case.id).default_selection()
    selection.set_revealed(seeded.neighbour.id, True)
    packet = pb.build(open_vault, selection)
    assert PROTECTED_NAME in packet.notes[0].text
    assert selection.items().revealed_person_ids == (seeded.neighbour.id,)


def test_only_a_current_decision_to_share_on_the_same_case(open_vault: Any, seeded: Seeded) -> None:
    other = seed_case(open_vault, "C-OTHER")
    selection = pb.load_choices(open_vault, seeded.case.id).default_selection()
    selection.set_note(other.note_ids[0], True)
    with pytest.raises(UsageError, match="not on case"):
        pb.build(open_vault, selection)
    with pytest.raises(UsageError, match="is not a decision on case"):
        pb.load_choices(open_vault, seeded.case.id, other.decision.id)


def test_the_command_lines_selection(open_vault: Any, seeded: Seeded) -> None:
    packet, items = pb.build_for_decision(open_vault, seeded.case.id, seeded.decision.id)
    assert items.note_ids == tuple(seeded.linked) and items.protected_people == 1
    case_records.mark_note_in_error(open_vault, seeded.note_ids[3], reason="Wrong child", kind="in_error")
    everything, items = pb.build_for_decision(open_vault, seeded.case.id, None, include_all=True)
    assert items.note_ids == tuple(seeded.note_ids[:3])  # the note marked in error stays out
    assert everything.decision.decision_id is None and leaks(everything.to_json()) == []
    with pytest.raises(UsageError, match="Without a decision"):
        pb.build_for_decision(open_vault, seeded.case.id, None)


def test_a_relationship_that_names_a_protected_person_is_redacted(open_vault: Any, seeded: Seeded) -> None:
    from desktop_app.domain.records import PersonDetails

    son = case_records.add_person(open_vault, seeded.case.id, PersonDetails("Kevin Doe", "Margaret's son"))
    selection = pb.load_choices(open_vault, seeded.case.id).default_selection()
    selection.set_person(son.id, True)
    [entry] = pb.build(open_vault, selection).people
    assert (entry.role, entry.display_name) == ("Neighbour A's son", "Kevin Doe")
