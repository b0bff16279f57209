"""The share packet value and its versioned JSON form."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from desktop_app.domain.share_packet import (
    DEFAULT_MARKING,
    FORMAT,
    VERSION,
    CaseField,
    CaseSummary,
    DecisionSummary,
    NoteEntry,
    PersonEntry,
    Recipient,
    Sender,
    SharePacket,
    build_share_packet,
)
from desktop_app.errors import ValidationError

T = datetime(2026, 3, 29, 0, 30, tzinfo=UTC)
BST = timezone(timedelta(hours=1))


def note(note_id: str, when: datetime, text: str = "Seen at school.") -> NoteEntry:
    return NoteEntry(note_id, when, when + timedelta(hours=1), "Alex", "Neglect", "Observation", text)


def make(**overrides: object) -> SharePacket:
    values: dict[str, object] = {
        "sender": Sender("Alex Practitioner", "Test School"),
        "vault_id": "vault-1",
        "recipient": Recipient("MASH", "Sam Rivers", "Social worker", "0300 000", "Secure email"),
        "decision": DecisionSummary(
            "D-1", "Refer to MASH", ("Article 6(1)(e)", "Article 6(1)(c)"), "Sch 1 para 18", "Alex", T
        ),
        "case": CaseSummary("C-42", (CaseField("Name", "Tom Example"),)),
        "people": [PersonEntry("Neighbour", "Neighbour A")],
        "notes": [note("n2", T + timedelta(days=1)), note("n1", T)],
        "now": T + timedelta(days=2),
    }
    values.update(overrides)
    return build_share_packet(**values)  # type: ignore[arg-type]


def test_json_is_versioned_and_times_are_utc_with_z() -> None:
    body = json.loads(make().to_json())
    assert body["format"] == FORMAT == "casenotes-share-packet"
    assert body["version"] == VERSION == 1
    assert body["protective_marking"] == DEFAULT_MARKING == "OFFICIAL-SENSITIVE"
    assert body["created_at"] == "2026-03-31T00:30:00Z"
    assert body["decision"]["decided_at"] == "2026-03-29T00:30:00Z"
    assert body["decision"]["lawful_bases"] == ["Article 6(1)(e)", "Article 6(1)(c)"]
    assert list(body) == [
        "format",
        "version",
        "packet_id",
        "created_at",
        "protective_marking",
        "vault_id",
        "sender",
        "recipient",
        "decision",
        "case",
        "people",
        "notes",
    ]
    assert set(body["notes"][0]) == {"id", "occurred_at", "recorded_at", "author", "category", "source", "text"}


def test_notes_are_in_chronological_order_and_ids_are_fresh() -> None:
    a, b = make(), make()
    assert [n.note_id for n in a.notes] == ["n1", "n2"]
    assert a.packet_id != b.packet_id and len(a.packet_id) == 32


def test_local_times_are_stored_as_the_same_instant_in_utc() -> None:
    packet = make(notes=[note("n1", datetime(2026, 6, 1, 10, 0, tzinfo=BST))])
    assert packet.notes[0].occurred_at == datetime(2026, 6, 1, 9, 0, tzinfo=UTC)


def test_naive_times_are_refused() -> None:
    with pytest.raises(ValidationError, match="no time zone"):
        note("n1", datetime(2026, 6, 1, 10, 0))


def test_a_note_cannot_be_included_twice() -> None:
    with pytest.raises(ValidationError, match="included twice"):
        make(notes=[note("n1", T), note("n1", T)])


def test_a_packet_needs_a_marking() -> None:
    with pytest.raises(ValidationError, match="protective marking"):
        make(protective_marking=" ")


def test_round_trip() -> None:
    packet = make()
    assert SharePacket.from_json(packet.to_json()) == packet
    assert SharePacket.from_json(packet.to_json_bytes()) == packet


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda b: b.update(format="something-else"), "not a Safeguarding"),
        (lambda b: b.update(version=2), "version 2"),
        (lambda b: b.update(version=True), "version"),
        (lambda b: b.pop("notes"), "no notes"),
        (lambda b: b["notes"][0].update(text=5), "not text"),
        (lambda b: b["decision"].update(lawful_bases=[1]), "lawful basis"),
        (lambda b: b.update(created_at="yesterday"), "not a valid time"),
        (lambda b: b.update(created_at="2026-01-01T10:00:00"), "no time zone"),
        (lambda b: b.update(people=[{"role": "x"}] * 3000), "far longer"),
        (lambda b: b.update(sender=[]), "not an object"),
    ],
)
def test_reading_is_strict(change: object, message: str) -> None:
    body = make().to_dict()
    change(body)  # type: ignore[operator]
    with pytest.raises(ValidationError, match=message):
        SharePacket.from_json(json.dumps(body))


def test_unreadable_json_is_refused() -> None:
    with pytest.raises(ValidationError, match="not readable"):
        SharePacket.from_json(b"\xff{not json")


@settings(max_examples=60, deadline=None)
@given(text=st.text(), label=st.text(max_size=30), org=st.text(max_size=30))
def test_any_text_survives_the_round_trip(text: str, label: str, org: str) -> None:
    packet = make(
        notes=[note("n1", T, text)],
        case=CaseSummary("C-1", (CaseField(label, text),)),
        recipient=Recipient(org),
    )
    assert SharePacket.from_json(packet.to_json()) == packet
