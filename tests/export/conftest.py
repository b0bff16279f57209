"""Share packets for the export tests, built in memory from plain values (never from a
file: no test writes a packet's plaintext to disk)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from desktop_app.domain.redaction import ProtectedPerson, build_plan, note_target, redact_packet
from desktop_app.domain.share_packet import (
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

T0 = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
# The protected people in the sample case, and what must never appear in an export.
PROTECTED = (
    ProtectedPerson("Siobhán O'Brien-Kowalski", "Neighbour"),
    ProtectedPerson("Margaret Thistlewood", "Neighbour", aliases=("Maggie",)),
    ProtectedPerson("Dariusz Nowak", "Parent"),
)
SECRET_WORDS = (
    "Siobhán",
    "Siobhan",
    "O'Brien",
    "O’Brien",
    "Kowalski",
    "Thistlewood",
    "Margaret",
    "Maggie",
    "Dariusz",
    "Nowak",
)


def sample_notes(count: int = 3) -> list[NoteEntry]:
    base = [
        (
            "Neglect",
            "Home visit",
            "Visited at 10:00. Siobhán O'Brien-Kowalski (next door) told me she hears shouting most nights. "
            "O’Brien-Kowalski’s kitchen window faces the garden. Tom was in the Annex room, calm.",
        ),
        (
            "Emotional abuse",
            "Phone call from Maggie",
            "Mrs Thistlewood rang: Dariusz shouted at Tom in the street. Nowak's car was outside until 22:00. "
            "Margaret asked that her name is not shared.",
        ),
        (
            "Physical abuse",
            "School nurse",
            "Bruise on Tom's left forearm, about 3 cm. Tom said he fell. Mr NOWAK collected him; "
            "siobhan was at the gate.",
        ),
    ]
    notes = []
    for i in range(count):
        category, source, text = base[i % len(base)]
        notes.append(
            NoteEntry(
                note_id=f"N-{i + 1}",
                occurred_at=T0 + timedelta(days=i),
                recorded_at=T0 + timedelta(days=i, hours=2),
                author="Alex Practitioner",
                category=category,
                source=source,
                text=text,
            )
        )
    return notes


def raw_packet(notes: int | list[NoteEntry] = 3, **overrides: object) -> SharePacket:
    values: dict[str, object] = {
        "sender": Sender("Alex Practitioner", "Test School"),
        "vault_id": "0f1e2d3c4b5a69788796a5b4c3d2e1f0",
        "recipient": Recipient(
            organisation="Children's Services MASH",
            person="Sam Rivers",
            role="Duty social worker",
            contact="0300 000 0000",
            secure_route="Secure email (Egress)",
        ),
        "decision": DecisionSummary(
            decision_id="D-17",
            purpose="Refer concerns about Tom's safety at home to the MASH",
            lawful_bases=("UK GDPR Article 6(1)(e) public task",),
            article_9_condition="DPA 2018 Schedule 1 paragraph 18: safeguarding of children",
            decided_by="Alex Practitioner (DSL)",
            decided_at=T0 + timedelta(days=3),
            recommendation="Share: risk of significant harm",
            final_decision="Share without consent",
        ),
        "case": CaseSummary(
            reference="CASE-2026-0042",
            fields=(CaseField("Name", "Tom Example"), CaseField("Date of birth", "2016-04-12")),
        ),
        "people": (
            PersonEntry("Neighbour", "Siobhán O'Brien-Kowalski"),
            PersonEntry("Neighbour", "Margaret Thistlewood"),
            PersonEntry("Father", "Dariusz Nowak"),
        ),
        "notes": sample_notes(notes) if isinstance(notes, int) else notes,
        "now": T0 + timedelta(days=4),
    }
    values.update(overrides)
    return build_share_packet(**values)  # type: ignore[arg-type]


def redacted_packet(notes: int = 3) -> SharePacket:
    """The sample packet with golden rule 5 applied, plus a marked passage in note 1."""
    packet = raw_packet(notes)
    plan = build_plan(PROTECTED, literals=["22:00"], not_protected=["Tom Example"])
    text = packet.notes[0].text
    start = text.index("kitchen window")
    return redact_packet(packet, plan, {note_target("N-1"): [(start, start + len("kitchen window"))]})


@pytest.fixture(scope="session")
def make_packet() -> Callable[..., SharePacket]:
    """Redacted sample packets: ``make_packet(notes=40)``."""
    return redacted_packet


@pytest.fixture(scope="session")
def make_raw_packet() -> Callable[..., SharePacket]:
    """Sample packets *before* redaction, or with your own notes: ``make_raw_packet(notes=[...])``."""
    return raw_packet


@pytest.fixture(scope="session")
def secret_words() -> tuple[str, ...]:
    return SECRET_WORDS


@pytest.fixture
def packet() -> SharePacket:
    return redacted_packet()
