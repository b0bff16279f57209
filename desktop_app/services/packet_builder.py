"""Gather a share packet from the vault: exactly the notes, people and case details the
practitioner chose, with protected identities redacted (golden rules 5 and 6).

"Sharing information with a third party rarely requires you to share an entire record or
case-file – you must only share information that is necessary, proportionate for the
intended purpose, relevant, adequate and accurate." (golden rule 6)

So nothing is chosen for the practitioner beyond what their recorded decision says is to
be shared: ``ExportChoices.default_selection`` ticks the decision's linked notes and
takes the decision's recipient, and nothing else (no people, no case details). The
practitioner adds anything more by hand in the export dialog, which edits an
``ExportSelection``; ``build(vault, selection)`` turns it into a ``SharePacket``.

Redaction (``domain/redaction.py``) is applied to everything that goes:

* every person on the case whose identity is protected (``people.protect_identity``) is
  replaced by their role label ("Neighbour A") in the people list, the case details, the
  decision's wording and every note's text, source and author: by default, whether or
  not they are in the people chosen. The practitioner may name one on purpose
  (``reveal_person_ids``), which the export record keeps;
* the child and people who are not protected are named as they are, so a surname they
  share with a protected person becomes "[name redacted]" rather than the wrong role;
* passages the practitioner selects in a note (``mark``) and phrases to redact wherever
  they appear (an address, a phone number) become "[redacted]".

Marked passages are character ranges of the note's text as it reads now; each keeps the
revision it was marked on, and a note amended since is refused rather than redacted in
the wrong place.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from desktop_app.domain.decision_record import (
    ARTICLE9_LABELS,
    FINAL_DECISION_LABELS,
    LAWFUL_BASIS_LABELS,
    RECOMMENDATION_LABELS,
    Decision,
)
from desktop_app.domain.export_record import ExportItems, NoteChoice, decision_ref, note_ref
from desktop_app.domain.records import (
    MARK_KINDS,
    SOURCE_REPORTED,
    SOURCES,
    Case,
    Note,
    Person,
    category_label,
)
from desktop_app.domain.redaction import (
    REDACTED,
    ProtectedPerson,
    RedactionPlan,
    RedactionSpan,
    build_plan,
    note_target,
    plan_spans,
    redact_packet,
    redact_text,
)
from desktop_app.domain.share_packet import (
    DEFAULT_MARKING,
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
from desktop_app.errors import CaseNotesError, UsageError, ValidationError
from desktop_app.store import cases as case_store
from desktop_app.store import decisions as decision_store
from desktop_app.store import exports as export_store
from desktop_app.store import notes as note_store
from desktop_app.store.connection import DatabaseError, classify
from desktop_app.store.vault import OpenVault

Connection = Any  # a sqlcipher3 connection

FIELD_SUBJECT_NAME = "subject_name"
FIELD_DATE_OF_BIRTH = "date_of_birth"
FIELD_KEY_WORKER = "key_worker"
FIELD_STATUS = "status"
IDENTIFIER_PREFIX = "identifier:"
MAX_NOTES = 5_000
MAX_PHRASES = 200
# How a recipient's information-governance lead reads a lawful basis: with its article.
ARTICLE_6 = {
    "consent": "UK GDPR Article 6(1)(a) consent",
    "contract": "UK GDPR Article 6(1)(b) contract",
    "legal_obligation": "UK GDPR Article 6(1)(c) legal obligation",
    "vital_interests": "UK GDPR Article 6(1)(d) vital interests",
    "public_task": "UK GDPR Article 6(1)(e) public task",
    "legitimate_interests": "UK GDPR Article 6(1)(f) legitimate interests",
}
ARTICLE_9 = {
    "safeguarding_of_children_and_individuals_at_risk": (
        "UK GDPR Article 9(2)(g) with DPA 2018 Schedule 1 paragraph 18: safeguarding of children and of "
        "individuals at risk"
    ),
}

__all__ = [
    "ExportChoices",
    "ExportSelection",
    "FieldChoice",
    "NoteMarks",
    "NoteRedactionView",
    "PersonChoice",
    "build",
    "build_for_decision",
    "case_fields",
    "default_selection",
    "load_choices",
    "note_for_redaction",
    "redaction_plan",
]


# -- what can be chosen ---------------------------------------------------------------------


@dataclass(frozen=True)
class FieldChoice:
    """One detail about the child that may go: its key, label and value."""

    key: str
    label: str
    value: str


@dataclass(frozen=True)
class PersonChoice:
    """A person on the case, and how they will appear (their label when protected)."""

    person: Person
    label: str  # "Neighbour A" when protected; their name otherwise

    @property
    def id(self) -> int:
        return self.person.id

    @property
    def protected(self) -> bool:
        return self.person.protect_identity


@dataclass(frozen=True)
class NoteMarks:
    """Passages marked by hand in one note, on the revision they were marked on."""

    revision: int
    spans: tuple[tuple[int, int], ...]


@dataclass
class ExportSelection:
    """What the practitioner has chosen to share; the export dialog edits it.

    ``note_ids``, ``person_ids`` and ``fields`` keep the order they were chosen in (the
    packet orders notes by time anyway). ``reveal_person_ids`` are protected people the
    practitioner decided to name; ``marks`` passages marked by hand per note;
    ``phrases`` text redacted wherever it appears.
    """

    case_id: int
    decision_id: int | None = None
    note_ids: list[int] = field(default_factory=list)
    person_ids: list[int] = field(default_factory=list)
    fields: list[str] = field(default_factory=list)
    reveal_person_ids: set[int] = field(default_factory=set)
    marks: dict[int, NoteMarks] = field(default_factory=dict)
    phrases: list[str] = field(default_factory=list)
    protective_marking: str = DEFAULT_MARKING
    # Without a decision (the command line's --include-all with no --decision): who it is
    # for and why, as the practitioner says.
    recipient: Recipient | None = None
    purpose: str = ""

    # -- editing -------------------------------------------------------------------------
    def set_note(self, note_id: int, chosen: bool) -> None:
        _toggle(self.note_ids, note_id, chosen)

    def set_person(self, person_id: int, chosen: bool) -> None:
        _toggle(self.person_ids, person_id, chosen)

    def set_field(self, key: str, chosen: bool) -> None:
        _toggle(self.fields, key, chosen)

    def set_revealed(self, person_id: int, revealed: bool) -> None:
        if revealed:
            self.reveal_person_ids.add(person_id)
        else:
            self.reveal_person_ids.discard(person_id)

    def mark(self, note_id: int, revision: int, start: int, end: int) -> None:
        """Redact characters ``start``–``end`` of the note's text (as of ``revision``)."""
        if end <= start or start < 0:
            return
        current = self.marks.get(note_id)
        spans = current.spans if current is not None and current.revision == revision else ()
        self.marks[note_id] = NoteMarks(revision, tuple(sorted({*spans, (start, end)})))

    def unmark(self, note_id: int) -> None:
        self.marks.pop(note_id, None)

    def add_phrase(self, phrase: str) -> None:
        text = " ".join(phrase.split())
        if text and text.casefold() not in {p.casefold() for p in self.phrases}:
            self.phrases.append(text)

    def remove_phrase(self, phrase: str) -> None:
        self.phrases[:] = [p for p in self.phrases if p != phrase]

    def marked_count(self) -> int:
        return sum(len(m.spans) for note_id, m in self.marks.items() if note_id in self.note_ids)

    def items(self, protected_people: int = 0) -> ExportItems:
        """What the export record keeps about this selection (ids and counts only)."""
        return ExportItems(
            note_ids=tuple(self.note_ids),
            person_ids=tuple(self.person_ids),
            fields=tuple(self.fields),
            revealed_person_ids=tuple(sorted(self.reveal_person_ids)),
            protected_people=protected_people,
            manual_redactions=self.marked_count(),
            redacted_phrases=len(self.phrases),
        )


def _toggle(values: list[Any], value: Any, chosen: bool) -> None:
    if chosen and value not in values:
        values.append(value)
    elif not chosen and value in values:
        values.remove(value)


@dataclass(frozen=True)
class ExportChoices:
    """Everything the export dialog offers for one case (read once, on the store thread)."""

    case: Case
    decisions: tuple[Decision, ...]  # current decisions to share, newest first
    decision: Decision | None  # the one chosen
    notes: tuple[NoteChoice, ...]
    people: tuple[PersonChoice, ...]
    fields: tuple[FieldChoice, ...]

    def default_selection(self, protective_marking: str = DEFAULT_MARKING) -> ExportSelection:
        return default_selection(self.case, self.decision, protective_marking)

    @property
    def protected_people(self) -> tuple[PersonChoice, ...]:
        return tuple(p for p in self.people if p.protected)


def default_selection(
    case: Case, decision: Decision | None, protective_marking: str = DEFAULT_MARKING
) -> ExportSelection:
    """Only what the decision says is to be shared: its linked notes (and its recipient,
    which the packet takes from the decision). No people, no case details."""
    return ExportSelection(
        case_id=case.id,
        decision_id=decision.id if decision is not None else None,
        note_ids=list(decision.linked_note_ids) if decision is not None else [],
        protective_marking=protective_marking,
    )


def case_fields(case: Case) -> list[FieldChoice]:
    """The details about the child that can be chosen, in the order a form shows them."""
    found = [FieldChoice(FIELD_SUBJECT_NAME, "Name", case.subject_name)]
    if case.subject_date_of_birth is not None:
        found.append(FieldChoice(FIELD_DATE_OF_BIRTH, "Date of birth", case.subject_date_of_birth.isoformat()))
    for label, value in sorted(case.subject_identifiers.items()):
        found.append(FieldChoice(IDENTIFIER_PREFIX + label, label, value))
    if case.key_worker:
        found.append(FieldChoice(FIELD_KEY_WORKER, "Key worker", case.key_worker))
    status = "Open" if case.is_open else f"Closed on {case.closed_on.isoformat() if case.closed_on else '?'}"
    found.append(FieldChoice(FIELD_STATUS, "Case status", status))
    return found


# -- plumbing ---------------------------------------------------------------------------------


def _read(vault: OpenVault) -> Connection:
    if vault.closed:
        raise CaseNotesError("The vault is locked.", "Unlock it and try again.")
    return vault.conn


def _case(conn: Connection, case_id: int) -> Case:
    case = case_store.get_case(conn, case_id)
    if case is None:
        raise UsageError("That case is not in this vault.", "It may have been opened from another vault.")
    return case


def _sharing_decision(conn: Connection, case: Case, decision_id: int) -> Decision:
    decision = decision_store.get_decision(conn, decision_id)
    if decision is None or decision.case_id != case.id:
        raise UsageError(f"Decision {decision_id} is not a decision on case {case.reference}.")
    if not decision.is_sharing:
        raise UsageError(
            f"Decision {decision_id} was “{decision.label}”, not a decision to share, so nothing can be exported "
            "under it.",
            "Record a decision to share first (golden rule 7: record the reasons for sharing).",
        )
    if decision.superseded_by_id is not None:
        raise UsageError(
            f"Decision {decision_id} has been corrected since (decision {decision.superseded_by_id}).",
            f"Export under decision {decision.superseded_by_id} instead.",
        )
    return decision


def _labels(people: Sequence[Person], reveal: Iterable[int] = ()) -> dict[int, str]:
    """Each protected person's label ("Neighbour A"), lettered per role in the order the
    people were added (so the letters say nothing about their names)."""
    revealed = set(reveal)
    protected = [p for p in sorted(people, key=lambda p: p.id) if p.protect_identity and p.id not in revealed]
    plan = _plan(protected, [], [])
    return {p.id: plan.label_for(_protected(p)) for p in protected}


def _protected(person: Person) -> ProtectedPerson:
    return ProtectedPerson(person.name, person.relationship)


def _plan(protected: Sequence[Person], open_names: Sequence[str], phrases: Sequence[str]) -> RedactionPlan:
    try:
        return build_plan([_protected(p) for p in protected], literals=phrases, not_protected=open_names)
    except ValidationError as exc:
        raise ValidationError(
            exc.message,
            field=exc.field,
            advice="Change the person's relationship wording on the People tab (it becomes their label), "
            "then try again.",
        ) from exc


def plan_for(case: Case, people: Sequence[Person], selection: ExportSelection) -> RedactionPlan:
    """The redaction plan for a selection: protected people (less those revealed on
    purpose) replaced by labels; the child and everyone else named openly."""
    ordered = sorted(people, key=lambda p: p.id)
    protected = [p for p in ordered if p.protect_identity and p.id not in selection.reveal_person_ids]
    open_names = [case.subject_name] + [p.name for p in ordered if p not in protected]
    if len(selection.phrases) > MAX_PHRASES:
        raise ValidationError(f"At most {MAX_PHRASES} phrases can be redacted everywhere.", field="phrases")
    return _plan(protected, open_names, selection.phrases)


# -- reading ----------------------------------------------------------------------------------------


def load_choices(vault: OpenVault, case_id: int, decision_id: int | None = None) -> ExportChoices:
    """What can go from a case: its current decisions to share (``decision_id``, or the
    newest), its notes (previews), its people with their labels, and the child's details."""
    try:
        conn = _read(vault)
        case = _case(conn, case_id)
        decisions = tuple(d for d in decision_store.list_decisions(conn, case_id) if d.is_sharing)
        decision = _sharing_decision(conn, case, decision_id) if decision_id is not None else None
        if decision is None and decisions:
            decision = decisions[0]
        people = case_store.list_people(conn, case_id)
        notes = tuple(export_store.case_note_choices(conn, case_id))
    except DatabaseError as exc:
        raise classify(exc, "reading the case") from exc
    labels = _labels(people)
    return ExportChoices(
        case=case,
        decisions=decisions,
        decision=decision,
        notes=notes,
        people=tuple(PersonChoice(p, labels.get(p.id, p.name)) for p in people),
        fields=tuple(case_fields(case)),
    )


def redaction_plan(vault: OpenVault, selection: ExportSelection) -> RedactionPlan:
    conn = _read(vault)
    case = _case(conn, selection.case_id)
    return plan_for(case, case_store.list_people(conn, case.id), selection)


@dataclass(frozen=True)
class NoteRedactionView:
    """A note's text as it reads now, with every replacement the export will make in it
    (protected names → labels, marked passages → "[redacted]"), in text coordinates."""

    note_id: int
    revision: int
    text: str
    spans: tuple[RedactionSpan, ...]

    @property
    def marked(self) -> tuple[RedactionSpan, ...]:
        return tuple(s for s in self.spans if s.replacement == REDACTED)


def note_for_redaction(vault: OpenVault, selection: ExportSelection, note_id: int) -> NoteRedactionView:
    """One note's text and what redaction will do to it, for the dialog to highlight."""
    conn = _read(vault)
    case = _case(conn, selection.case_id)
    note = note_store.get_note(conn, note_id)
    if note is None or note.case_id != case.id:
        raise UsageError("That note is not on this case.")
    plan = plan_for(case, case_store.list_people(conn, case.id), selection)
    marks = selection.marks.get(note_id)
    spans = marks.spans if marks is not None and marks.revision == note.current.revision else ()
    return NoteRedactionView(note.id, note.current.revision, note.text, tuple(plan_spans(note.text, plan, spans)))


# -- building ---------------------------------------------------------------------------------------


def _when(text: str) -> datetime:
    moment = datetime.fromisoformat(text.replace("Z", "+00:00")).replace(microsecond=0)
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _source(note: Note, people: dict[int, Person]) -> str:
    current = note.current
    label = SOURCES.get(current.source, current.source)
    if current.source != SOURCE_REPORTED:
        return label
    who = people[current.source_person_id].name if current.source_person_id in people else current.source_name
    return f"{label}: {who}" if who else label


def note_entry(note: Note, people: dict[int, Person]) -> NoteEntry:
    """A note as a packet entry (not yet redacted): its current text, category and
    source; a note marked in error says so in its category."""
    category = category_label(note.category)
    if note.mark is not None:
        category += f" ({MARK_KINDS.get(note.mark.kind, note.mark.kind).lower()})"
    elif note.is_amended:
        category += f" (amended, version {note.revision_count})"
    return NoteEntry(
        note_id=note_ref(note.id),
        occurred_at=_when(note.occurred_at),
        recorded_at=_when(note.recorded_at),
        author=note.author,
        category=category,
        source=_source(note, people),
        text=note.text,
    )


def decision_summary(decision: Decision) -> DecisionSummary:
    f = decision.fields
    return DecisionSummary(
        decision_id=decision_ref(decision.id),
        purpose=f.purpose,
        lawful_bases=tuple(ARTICLE_6.get(b) or LAWFUL_BASIS_LABELS.get(b, b) for b in f.lawful_basis),
        article_9_condition=(
            ARTICLE_9.get(f.article9_condition) or ARTICLE9_LABELS.get(f.article9_condition) or f.article9_condition
        )
        if f.article9_condition
        else None,
        decided_by=f.decided_by or decision.recorded_by,
        decided_at=_when(decision.decided_at),
        recommendation=RECOMMENDATION_LABELS.get(decision.recommendation, decision.recommendation),
        final_decision=FINAL_DECISION_LABELS.get(decision.final_decision, decision.final_decision),
    )


def decision_recipient(decision: Decision) -> Recipient:
    f = decision.fields
    return Recipient(
        organisation=f.recipient_organisation,
        person=f.recipient_person,
        role=f.recipient_role,
        contact=f.recipient_contact,
        secure_route=f.recipient_secure_route,
    )


def build(
    vault: OpenVault,
    selection: ExportSelection,
    *,
    now: datetime | None = None,
    packet_id: str | None = None,
) -> SharePacket:
    """The packet for ``selection``: the chosen notes, people and case details, under the
    chosen decision, redacted. Nothing is written anywhere; the caller previews it and
    then encrypts it (``services.share_export``)."""
    if len(selection.note_ids) > MAX_NOTES:
        raise ValidationError(f"At most {MAX_NOTES:,} notes can go in one packet.", field="note_ids")
    # Whole seconds: the packet's JSON, its PDF and a bundle's manifest all say the same time.
    now = (now or datetime.now(UTC)).replace(microsecond=0)
    try:
        conn = _read(vault)
        case = _case(conn, selection.case_id)
        decision = _sharing_decision(conn, case, selection.decision_id) if selection.decision_id is not None else None
        people = case_store.list_people(conn, case.id)
        by_id = {p.id: p for p in people}
        notes: list[Note] = []
        for note_id in selection.note_ids:
            note = note_store.get_note(conn, note_id)
            if note is None or note.case_id != case.id:
                raise UsageError(f"Note {note_id} is not on case {case.reference}.", "Choose the notes again.")
            notes.append(note)
    except DatabaseError as exc:
        raise classify(exc, "reading the records to share") from exc
    for person_id in [*selection.person_ids, *selection.reveal_person_ids]:
        if person_id not in by_id:
            raise UsageError("One of the people chosen is not on this case.", "Choose the people again.")
    plan = plan_for(case, people, selection)
    labels = _labels(people, selection.reveal_person_ids)

    marked: dict[str, list[tuple[int, int]]] = {}
    for note in notes:
        marks = selection.marks.get(note.id)
        if marks is None or not marks.spans:
            continue
        if marks.revision != note.current.revision:
            raise UsageError(
                f"Note {note.id} has been amended since you marked passages in it, so the marks no longer fit.",
                "Look at the note again and mark the passages to redact.",
            )
        marked[note_target(note_ref(note.id))] = list(marks.spans)

    known_fields = {f.key: f for f in case_fields(case)}
    chosen_fields = []
    for key in selection.fields:
        if key not in known_fields:
            raise UsageError("One of the case details chosen is not on this case.", "Choose them again.")
        chosen_fields.append(CaseField(known_fields[key].label, known_fields[key].value))

    if decision is not None:
        summary = decision_summary(decision)
        recipient = decision_recipient(decision)
    else:
        summary = DecisionSummary(
            decision_id=None,
            purpose=selection.purpose or "Not recorded as a sharing decision",
            lawful_bases=(),
            article_9_condition=None,
            decided_by=vault.info.owner_name,
            decided_at=now,
        )
        recipient = selection.recipient or Recipient(organisation="")
    packet = build_share_packet(
        sender=Sender(vault.info.owner_name, vault.info.organisation_name),
        vault_id=vault.info.vault_id,
        recipient=recipient,
        decision=summary,
        case=CaseSummary(case.reference, tuple(chosen_fields)),
        people=[
            # A relationship can name someone else ("Margaret's partner"): redacted too.
            PersonEntry(role=redact_text(by_id[pid].relationship, plan), display_name=labels.get(pid, by_id[pid].name))
            for pid in selection.person_ids
        ],
        notes=[note_entry(note, by_id) for note in notes],
        protective_marking=selection.protective_marking,
        now=now,
        packet_id=packet_id,
    )
    return redact_packet(packet, plan, marked)


def build_for_decision(
    vault: OpenVault,
    case_id: int,
    decision_id: int | None,
    *,
    include_all: bool = False,
    protective_marking: str = DEFAULT_MARKING,
    now: datetime | None = None,
) -> tuple[SharePacket, ExportItems]:
    """The command line's packet: the decision's linked notes, or with ``include_all``
    every note of the case that stands (not marked in error or moved); no people or case
    details; protected people always redacted. Returns the packet and what to record."""
    conn = _read(vault)
    case = _case(conn, case_id)
    decision = _sharing_decision(conn, case, decision_id) if decision_id is not None else None
    selection = default_selection(case, decision, protective_marking)
    if include_all:
        selection.note_ids = export_store.current_note_ids(conn, case.id)
    elif decision is None:
        raise UsageError(
            "Without a decision nothing is chosen to share.",
            "Give the decision it is shared under (--decision ID), or --include-all to send every current note.",
        )
    packet = build(vault, selection, now=now)
    protected = sum(1 for p in case_store.list_people(conn, case.id) if p.protect_identity)
    return packet, selection.items(protected_people=protected)
