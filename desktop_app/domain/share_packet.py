"""The share packet: exactly what leaves the vault when a practitioner shares information.

Golden rule 6 says share only what is necessary, proportionate and relevant, so a packet
is not a view of the case file: it is a small, frozen value holding the *selected*
records, already redacted (golden rule 5, ``domain/redaction.py``), together with the
decision it is shared under and who it is for. The same value is rendered to the PDF,
written as ``packet.json`` in a bundle and hashed into the manifest, so what was
previewed is what is sent, and what is sent is what the manifest proves.

The packet is built from plain values, not from database rows: the code that gathers
records for a decision lives elsewhere and hands them over through ``build_share_packet``.

JSON schema (``format`` = ``casenotes-share-packet``, ``version`` = 1) is documented in
docs/export-formats.md. Every instant is UTC, written as ``YYYY-MM-DDTHH:MM:SSZ``.
A reader refuses a packet with a different format or a newer version rather than
guessing at fields it does not know.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from desktop_app.errors import ValidationError

FORMAT = "casenotes-share-packet"
VERSION = 1
DEFAULT_MARKING = "OFFICIAL-SENSITIVE"
# Generous bounds that no real packet reaches; they stop a hostile packet.json from
# making the reader build millions of objects.
MAX_NOTES = 20_000
MAX_PEOPLE = 2_000
MAX_FIELDS = 500
MAX_TEXT = 1_000_000


def utc(moment: datetime, what: str = "time") -> datetime:
    """The same instant in UTC; a naive time is refused (we cannot know what it meant)."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValidationError(f"The {what} has no time zone, so it cannot be placed exactly.", field=what)
    return moment.astimezone(UTC)


def format_utc(moment: datetime) -> str:
    """``2024-05-01T10:00:00Z``: seconds are enough for a record, and ``Z`` is unmistakable."""
    return utc(moment).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_utc(text: Any, what: str) -> datetime:
    if not isinstance(text, str):
        raise ValidationError(f"The packet's {what} is not a time.", field=what)
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as exc:
        raise ValidationError(f"The packet's {what} is not a valid time: {text[:40]!r}.", field=what) from exc
    return utc(moment, what)


@dataclass(frozen=True)
class Sender:
    """Who is sharing: the practitioner and their organisation."""

    name: str
    organisation: str


@dataclass(frozen=True)
class Recipient:
    """Who receives it, and how it reaches them (rule 6: only those with a safeguarding role)."""

    organisation: str
    person: str = ""
    role: str = ""
    contact: str = ""
    secure_route: str = ""


@dataclass(frozen=True)
class DecisionSummary:
    """The decision the packet is shared under (rule 7: the reasons travel with the data).

    ``decision_id`` is None only for a packet made outside a recorded decision (for
    example a subject access export); a share under an emergency follow-up still has one.
    """

    decision_id: str | None
    purpose: str
    lawful_bases: tuple[str, ...]
    article_9_condition: str | None
    decided_by: str
    decided_at: datetime
    recommendation: str = ""
    final_decision: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "decided_at", utc(self.decided_at, "decision time"))
        object.__setattr__(self, "lawful_bases", tuple(self.lawful_bases))


@dataclass(frozen=True)
class CaseField:
    """One selected field about the child, e.g. ("Date of birth", "3 March 2015")."""

    label: str
    value: str


@dataclass(frozen=True)
class CaseSummary:
    reference: str
    fields: tuple[CaseField, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "fields", tuple(self.fields))


@dataclass(frozen=True)
class PersonEntry:
    """A person around the child: their role and the name to show.

    For a protected person the display name is already their role label ("Neighbour A"):
    the packet never holds a protected name, so nothing downstream can leak it.
    """

    role: str
    display_name: str


@dataclass(frozen=True)
class NoteEntry:
    note_id: str
    occurred_at: datetime
    recorded_at: datetime
    author: str
    category: str
    source: str
    text: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "occurred_at", utc(self.occurred_at, "note time"))
        object.__setattr__(self, "recorded_at", utc(self.recorded_at, "note recorded time"))


@dataclass(frozen=True)
class SharePacket:
    packet_id: str
    created_at: datetime
    sender: Sender
    vault_id: str
    recipient: Recipient
    decision: DecisionSummary
    case: CaseSummary
    people: tuple[PersonEntry, ...] = ()
    notes: tuple[NoteEntry, ...] = ()
    protective_marking: str = DEFAULT_MARKING

    def __post_init__(self) -> None:
        object.__setattr__(self, "created_at", utc(self.created_at, "packet time"))
        object.__setattr__(self, "people", tuple(self.people))
        object.__setattr__(self, "notes", tuple(self.notes))
        if not self.packet_id.strip():
            raise ValidationError("A share packet needs an id.", field="packet_id")
        if not self.protective_marking.strip():
            raise ValidationError(
                "A share packet needs a protective marking.",
                field="protective_marking",
                advice=f"Use {DEFAULT_MARKING} unless your organisation's policy says otherwise.",
            )
        seen: set[str] = set()
        for note in self.notes:
            if note.note_id in seen:
                raise ValidationError(f"Note {note.note_id} is included twice.", field="notes")
            seen.add(note.note_id)

    # -- JSON ----------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        d = self.decision
        return {
            "format": FORMAT,
            "version": VERSION,
            "packet_id": self.packet_id,
            "created_at": format_utc(self.created_at),
            "protective_marking": self.protective_marking,
            "vault_id": self.vault_id,
            "sender": {"name": self.sender.name, "organisation": self.sender.organisation},
            "recipient": {
                "organisation": self.recipient.organisation,
                "person": self.recipient.person,
                "role": self.recipient.role,
                "contact": self.recipient.contact,
                "secure_route": self.recipient.secure_route,
            },
            "decision": {
                "id": d.decision_id,
                "purpose": d.purpose,
                "lawful_bases": list(d.lawful_bases),
                "article_9_condition": d.article_9_condition,
                "decided_by": d.decided_by,
                "decided_at": format_utc(d.decided_at),
                "recommendation": d.recommendation,
                "final_decision": d.final_decision,
            },
            "case": {
                "reference": self.case.reference,
                "fields": [{"label": f.label, "value": f.value} for f in self.case.fields],
            },
            "people": [{"role": p.role, "display_name": p.display_name} for p in self.people],
            "notes": [
                {
                    "id": n.note_id,
                    "occurred_at": format_utc(n.occurred_at),
                    "recorded_at": format_utc(n.recorded_at),
                    "author": n.author,
                    "category": n.category,
                    "source": n.source,
                    "text": n.text,
                }
                for n in self.notes
            ],
        }

    def to_json(self) -> str:
        """Stable JSON (schema order, two-space indent, UTF-8 text kept readable)."""
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=2) + "\n"

    def to_json_bytes(self) -> bytes:
        return self.to_json().encode("utf-8")

    @classmethod
    def from_json(cls, data: str | bytes) -> SharePacket:
        """Read a packet back (a recipient verifying a bundle). Strict: unknown formats and
        newer versions are refused, and every field must have the right type."""
        try:
            body = json.loads(data)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise ValidationError("The packet is not readable JSON.") from exc
        return cls.from_dict(body)

    @classmethod
    def from_dict(cls, body: Any) -> SharePacket:
        obj = _Obj(body, "packet")
        if obj.text("format") != FORMAT:
            raise ValidationError("This is not a Safeguarding Case Notes share packet.")
        version = obj.raw("version")
        if not isinstance(version, int) or isinstance(version, bool):
            raise ValidationError("The packet has no valid version number.")
        if version != VERSION:
            raise ValidationError(
                f"This packet uses format version {version}, which this version of the application does not know.",
                advice="Ask the sender which version they used, or update Safeguarding Case Notes.",
            )
        sender = obj.obj("sender")
        recipient = obj.obj("recipient")
        decision = obj.obj("decision")
        case = obj.obj("case")
        bases = decision.array("lawful_bases", 100)
        if not all(isinstance(b, str) for b in bases):
            raise ValidationError("The packet's lawful basis list holds something other than text.")
        return cls(
            packet_id=obj.text("packet_id"),
            created_at=parse_utc(obj.raw("created_at"), "created_at"),
            protective_marking=obj.text("protective_marking"),
            vault_id=obj.text("vault_id"),
            sender=Sender(name=sender.text("name"), organisation=sender.text("organisation")),
            recipient=Recipient(
                organisation=recipient.text("organisation"),
                person=recipient.text("person"),
                role=recipient.text("role"),
                contact=recipient.text("contact"),
                secure_route=recipient.text("secure_route"),
            ),
            decision=DecisionSummary(
                decision_id=decision.opt_text("id"),
                purpose=decision.text("purpose"),
                lawful_bases=tuple(bases),
                article_9_condition=decision.opt_text("article_9_condition"),
                decided_by=decision.text("decided_by"),
                decided_at=parse_utc(decision.raw("decided_at"), "decided_at"),
                recommendation=decision.text("recommendation"),
                final_decision=decision.text("final_decision"),
            ),
            case=CaseSummary(
                reference=case.text("reference"),
                fields=tuple(
                    CaseField(label=f.text("label"), value=f.text("value")) for f in case.objs("fields", MAX_FIELDS)
                ),
            ),
            people=tuple(
                PersonEntry(role=p.text("role"), display_name=p.text("display_name"))
                for p in obj.objs("people", MAX_PEOPLE)
            ),
            notes=tuple(
                NoteEntry(
                    note_id=n.text("id"),
                    occurred_at=parse_utc(n.raw("occurred_at"), "occurred_at"),
                    recorded_at=parse_utc(n.raw("recorded_at"), "recorded_at"),
                    author=n.text("author"),
                    category=n.text("category"),
                    source=n.text("source"),
                    text=n.text("text"),
                )
                for n in obj.objs("notes", MAX_NOTES)
            ),
        )


def build_share_packet(
    *,
    sender: Sender,
    vault_id: str,
    recipient: Recipient,
    decision: DecisionSummary,
    case: CaseSummary,
    people: Iterable[PersonEntry] = (),
    notes: Iterable[NoteEntry] = (),
    protective_marking: str = DEFAULT_MARKING,
    now: datetime | None = None,
    packet_id: str | None = None,
) -> SharePacket:
    """A new packet with a fresh id and creation time. Notes are put in the order they
    happened (then recorded), which is how a chronology is read."""
    ordered = sorted(notes, key=lambda n: (n.occurred_at, n.recorded_at, n.note_id))
    return SharePacket(
        packet_id=packet_id or uuid.uuid4().hex,
        created_at=now or datetime.now(UTC),
        sender=sender,
        vault_id=vault_id,
        recipient=recipient,
        decision=decision,
        case=case,
        people=tuple(people),
        notes=tuple(ordered),
        protective_marking=protective_marking,
    )


@dataclass
class _Obj:
    """A JSON object being read, with errors that name the field that is wrong."""

    body: Any
    where: str
    _checked: Mapping[str, Any] = field(init=False)

    def __post_init__(self) -> None:
        if not isinstance(self.body, dict):
            raise ValidationError(f"The packet's {self.where} is not an object.")
        self._checked = self.body

    def raw(self, key: str) -> Any:
        if key not in self._checked:
            raise ValidationError(f"The packet's {self.where} has no {key}.", field=key)
        return self._checked[key]

    def text(self, key: str) -> str:
        value = self.raw(key)
        if not isinstance(value, str) or len(value) > MAX_TEXT:
            raise ValidationError(f"The packet's {self.where} {key} is not text.", field=key)
        return value

    def opt_text(self, key: str) -> str | None:
        value = self._checked.get(key)
        return None if value is None else self.text(key)

    def obj(self, key: str) -> _Obj:
        return _Obj(self.raw(key), key)

    def array(self, key: str, limit: int) -> list[Any]:
        value = self.raw(key)
        if not isinstance(value, list):
            raise ValidationError(f"The packet's {self.where} {key} is not a list.", field=key)
        if len(value) > limit:
            raise ValidationError(f"The packet's {key} list is far longer than any real packet.", field=key)
        return value

    def objs(self, key: str, limit: int) -> list[_Obj]:
        return [_Obj(item, key) for item in self.array(key, limit)]
