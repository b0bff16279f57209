"""Subject access export: everything the vault holds about one person, as an encrypted PDF.

Under UK GDPR Article 15 a person may ask for the personal information held about them.
This gathers it for one person on a case:

* **the child** (the case subject): the case details, every note with every earlier
  version of it, the sharing decisions (corrected ones too), requests received and their
  answers, consent entries, feedback, emergency shares, the exports already made, and a
  list of the attachments (their files are not in the PDF; they can be given separately);
* **a person on the case** (a parent, a neighbour): their own details, every note any
  version of which names them or has them as its source (with its versions), their
  consent entries, and the attachments of those notes.

Everyone else is a third party and is redacted (``domain/redaction.py``): each becomes
their role ("Parent A", "Neighbour B"; the child, in a parent's export, "Child A"),
consistently, whether or not their identity is protected. Staff who wrote the records
are named: they acted in their role. The data subject is named, even if their identity
is protected from others.

The result is a ``SharePacket`` with no decision (``decision.id`` is null); decisions,
requests and the like are listed as entries alongside the notes, each with its own id
(``D-3``, ``R-2``, ``C-5``, ``F-1``, ``E-4``, ``X-7``, ``A-9``). It is written as a
password-protected PDF and, once saved, recorded in the audit trail and in the exports
table with the kind ``subject_access`` (``record_subject_access``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from desktop_app.domain.decision_record import (
    CONSENT_KIND_LABELS,
    FINAL_DECISION_LABELS,
    LAWFUL_BASIS_LABELS,
    REQUEST_RESPONSE_LABELS,
    Decision,
)
from desktop_app.domain.emergency import how_label
from desktop_app.domain.export_record import KIND_SUBJECT_ACCESS, ExportItems, note_ref
from desktop_app.domain.records import (
    SOURCE_REPORTED,
    SOURCES,
    Case,
    Person,
    case_detail_change_lines,
    category_label,
)
from desktop_app.domain.redaction import ProtectedPerson, build_plan, redact_packet, redact_text
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
from desktop_app.errors import CaseNotesError, UsageError
from desktop_app.export.pdf import write_encrypted_pdf
from desktop_app.services.packet_builder import case_fields
from desktop_app.services.share_export import ExportRecord, record_export, save_export
from desktop_app.store import attachments as attachment_store
from desktop_app.store import cases as case_store
from desktop_app.store import decisions as decision_store
from desktop_app.store import emergency as emergency_store
from desktop_app.store import exports as export_store
from desktop_app.store import notes as note_store
from desktop_app.store.connection import DatabaseError, classify
from desktop_app.store.vault import OpenVault

Connection = Any  # a sqlcipher3 connection

CHILD_ROLE = "Child"
RIGHT_OF_ACCESS = "UK GDPR Article 15: the right of access"

__all__ = [
    "SubjectAccessExport",
    "build_subject_access",
    "export_subject_access",
    "record_subject_access",
    "save_subject_access",
]


@dataclass(frozen=True)
class SubjectAccessExport:
    """The packet for one person and what the record of it keeps."""

    packet: SharePacket
    items: ExportItems
    case_id: int
    person_id: int | None  # None: the child (the case subject)
    subject_name: str


def _when(text: str) -> datetime:
    moment = datetime.fromisoformat(text.replace("Z", "+00:00")).replace(microsecond=0)
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _lines(*pairs: tuple[str, str]) -> str:
    return "\n".join(f"{label}: {value}" for label, value in pairs if value)


def _note_entries(conn: Connection, note_ids: Iterable[int], people: dict[int, Person]) -> list[NoteEntry]:
    entries: list[NoteEntry] = []
    for note_id in note_ids:
        note = note_store.get_note(conn, note_id)
        if note is None:
            continue
        revisions = note_store.revisions(conn, note_id)
        for revision in revisions:
            source = SOURCES.get(revision.source, revision.source)
            if revision.source == SOURCE_REPORTED:
                who = people[revision.source_person_id].name if revision.source_person_id in people else ""
                source = f"{source}: {who or revision.source_name}"
            category = category_label(revision.category)
            if len(revisions) > 1:
                category += f" (version {revision.revision} of {len(revisions)})"
            if revision.revision == len(revisions) and note.mark is not None:
                category += f" (marked: {note.mark.reason})"
            text = revision.text
            if revision.reason:
                text = f"Reason for this amendment: {revision.reason}\n\n{text}"
            entries.append(
                NoteEntry(
                    note_id=note_ref(note_id) if len(revisions) == 1 else f"{note_ref(note_id)} v{revision.revision}",
                    occurred_at=_when(revision.occurred_at),
                    recorded_at=_when(revision.recorded_at),
                    author=revision.author,
                    category=category,
                    source=source,
                    text=text,
                )
            )
    return entries


def _decision_entry(decision: Decision) -> NoteEntry:
    f = decision.fields
    corrected = f" (corrected by decision {decision.superseded_by_id})" if decision.superseded_by_id else ""
    text = _lines(
        ("Decision", FINAL_DECISION_LABELS.get(decision.final_decision, decision.final_decision) + corrected),
        ("Purpose", f.purpose),
        ("Shared with", ", ".join(p for p in (f.recipient_person, f.recipient_organisation) if p)),
        ("What was shared", f.what_shared),
        ("Lawful basis", ", ".join(LAWFUL_BASIS_LABELS.get(b, b) for b in f.lawful_basis)),
        ("Level of concern", f.risk_level),
        ("Consent", f.consent_given_by_and_when),
        ("Why consent was not sought", f.reasons_consent_not_sought),
        ("Told the child or family", f.informed_when or f.informed),
        ("Why not told", f.reason_not_informed),
        ("Advice sought from", f.advice_sought_from),
        ("Why advice was not sought", f.advice_not_sought_reason),
        ("Reasons", f.rationale),
        ("Reason for the correction", decision.supersede_reason),
    )
    return NoteEntry(
        note_id=f"D-{decision.id}",
        occurred_at=_when(decision.decided_at),
        recorded_at=_when(decision.recorded_at),
        author=f.decided_by or decision.recorded_by,
        category="Information-sharing decision",
        source="",
        text=text,
    )


def _case_entries(conn: Connection, case: Case) -> list[NoteEntry]:
    """Decisions, requests, consent, feedback, emergency shares, changes to the case's
    details and exports of a case."""
    entries = [_decision_entry(d) for d in decision_store.list_decisions(conn, case.id, include_superseded=True)]
    for request in decision_store.list_requests(conn, case.id):
        answer = request.response
        entries.append(
            NoteEntry(
                note_id=f"R-{request.id}",
                occurred_at=_when(request.received_at),
                recorded_at=_when(request.recorded_at),
                author=request.recorded_by,
                category="Request for information received",
                source=request.requester,
                text=_lines(
                    ("What was asked for", request.what_requested),
                    ("Why", request.why_requested),
                    ("New information", request.new_information),
                    ("Answer", REQUEST_RESPONSE_LABELS.get(answer.response, answer.response) if answer else "not yet"),
                    ("Reasons", answer.reasons if answer else ""),
                ),
            )
        )
    entries.extend(_consent_entries(conn, case_id=case.id))
    for decision in decision_store.list_decisions(conn, case.id, include_superseded=True):
        for feedback in decision_store.list_feedback(conn, decision.id):
            if feedback.decision_id != decision.id:
                continue
            entries.append(
                NoteEntry(
                    note_id=f"F-{feedback.id}",
                    occurred_at=_when(feedback.received_at),
                    recorded_at=_when(feedback.recorded_at),
                    author=feedback.recorded_by,
                    category="Feedback from a recipient",
                    source=feedback.from_whom,
                    text=_lines(("About decision", str(feedback.decision_id)), ("What happened", feedback.outcome))
                    + (f"\n{feedback.notes}" if feedback.notes else ""),
                )
            )
    for share in emergency_store.list_for_case(conn, case.id):
        entries.append(
            NoteEntry(
                note_id=f"E-{share.id}",
                occurred_at=share.shared_at,
                recorded_at=share.recorded_at,
                author=share.recorded_by,
                category="Emergency share",
                source=how_label(share.how),
                text=_lines(("Shared with", share.recipient), ("What", share.what), ("Why", share.why)),
            )
        )
    for change in case_store.detail_changes(conn, case.id):
        # Earlier names, dates of birth and identifiers are information held about the
        # child too, so the history of the case's details goes out with everything else.
        entries.append(
            NoteEntry(
                note_id=f"C-{change.id}",
                occurred_at=_when(change.occurred_at),
                recorded_at=_when(change.recorded_at),
                author=change.recorded_by,
                category="Case details changed",
                source="",
                text="\n".join(
                    [*case_detail_change_lines(change.fields, change.before, change.after), f"Reason: {change.reason}"]
                ),
            )
        )
    for export in export_store.list_exports(conn, case_id=case.id):
        entries.append(
            NoteEntry(
                note_id=f"X-{export.id}",
                occurred_at=_when(export.exported_at),
                recorded_at=_when(export.recorded_at),
                author=export.exported_by,
                category=export.title,
                source="",
                text=export.summary,
            )
        )
    return entries


def _consent_entries(conn: Connection, *, case_id: int | None = None, person_id: int | None = None) -> list[NoteEntry]:
    return [
        NoteEntry(
            note_id=f"C-{entry.id}",
            occurred_at=_when(entry.occurred_at),
            recorded_at=_when(entry.recorded_at),
            author=entry.recorded_by,
            category=CONSENT_KIND_LABELS.get(entry.kind, f"Consent: {entry.kind}"),
            source=entry.how,
            text=_lines(
                ("Scope", entry.scope),
                ("Given by", entry.given_by),
                ("Competence or capacity", entry.capacity_note),
                ("Notes", entry.notes),
            ),
        )
        for entry in decision_store.consent_entries(conn, case_id=case_id, person_id=person_id)
    ]


def _attachment_entries(conn: Connection, case_id: int, note_ids: set[int] | None) -> list[NoteEntry]:
    entries = []
    for attachment in attachment_store.list_for_case(conn, case_id):
        if note_ids is not None and attachment.note_id not in note_ids:
            continue
        on_note = f" (on note {note_ref(attachment.note_id)})" if attachment.note_id else ""
        text = _lines(
            ("File", f"{attachment.filename}{on_note}, {attachment.media_type}, {attachment.size:,} bytes"),
            ("Description", attachment.description),
            ("Marked as added in error", attachment.marked_reason),
        )
        entries.append(
            NoteEntry(
                note_id=f"A-{attachment.id}",
                occurred_at=_when(attachment.added_at),
                recorded_at=_when(attachment.added_at),
                author=attachment.added_by,
                category="Attachment (listed; the file itself is not in this document)",
                source="",
                text=text,
            )
        )
    return entries


def build_subject_access(
    vault: OpenVault,
    case_id: int,
    person_id: int | None = None,
    *,
    requested_by: str = "",
    protective_marking: str = DEFAULT_MARKING,
    now: datetime | None = None,
    packet_id: str | None = None,
) -> SubjectAccessExport:
    """Everything held about the child of ``case_id`` (``person_id`` None) or about one
    person on the case, with every third party redacted to their role."""
    if vault.closed:
        raise CaseNotesError("The vault is locked.", "Unlock it and try again.")
    moment = (now or datetime.now(UTC)).replace(microsecond=0)
    try:
        conn = vault.conn
        case = case_store.get_case(conn, case_id)
        if case is None:
            raise UsageError("That case is not in this vault.")
        people = case_store.list_people(conn, case.id)
        by_id = {p.id: p for p in people}
        if person_id is not None and person_id not in by_id:
            raise UsageError("That person is not on this case.")
        subject = by_id.get(person_id) if person_id is not None else None
        third_parties = [ProtectedPerson(p.name, p.relationship) for p in sorted(people, key=lambda p: p.id)]
        # The child's earlier names (a case's details can change, with a reason) appear in
        # notes written before the change: the child's own, in their export; a third
        # party's, in anyone else's.
        earlier_names = sorted(
            {
                str(change.before["subject_name"])
                for change in case_store.detail_changes(conn, case.id)
                if "subject_name" in change.fields and change.before.get("subject_name")
            }
            - {case.subject_name}
        )
        if subject is None:
            name = case.subject_name
            fields = [CaseField(f.label, f.value) for f in case_fields(case)]
            note_ids = [c.id for c in reversed(export_store.case_note_choices(conn, case.id))]
            entries = _note_entries(conn, note_ids, by_id)
            others = _case_entries(conn, case) + _attachment_entries(conn, case.id, None)
            listed = [PersonEntry(p.relationship, p.name) for p in sorted(people, key=lambda p: p.id)]
        else:
            name = subject.name
            third_parties = [t for t in third_parties if t.name != subject.name]
            # The child is a third party here, under every name they have had: the parts
            # of an earlier name (a surname changed to protect them) are redacted too.
            third_parties.insert(0, ProtectedPerson(case.subject_name, CHILD_ROLE, aliases=tuple(earlier_names)))
            fields = [
                CaseField("Name", subject.name),
                CaseField("Relationship to the child", subject.relationship),
                CaseField("Contact details", subject.contact or "none recorded"),
            ]
            if subject.protect_identity:
                fields.append(CaseField("Why your identity is protected in what we share", subject.protect_reason))
            note_ids = export_store.notes_about_person(conn, subject.id)
            entries = _note_entries(conn, note_ids, by_id)
            others = _consent_entries(conn, person_id=subject.id) + _attachment_entries(conn, case.id, set(note_ids))
            listed = [PersonEntry(subject.relationship, subject.name)]
    except DatabaseError as exc:
        raise classify(exc, "gathering the subject access export") from exc
    plan = build_plan(third_parties, not_protected=[name, *earlier_names] if subject is None else [name])
    packet = build_share_packet(
        sender=Sender(vault.info.owner_name, vault.info.organisation_name),
        vault_id=vault.info.vault_id,
        recipient=Recipient(
            organisation="",
            person=requested_by or name,
            role="The data subject" if not requested_by else f"Requested on behalf of {name}",
        ),
        decision=DecisionSummary(
            decision_id=None,
            purpose=f"Subject access request: the personal information this record holds about {name}",
            lawful_bases=(RIGHT_OF_ACCESS,),
            article_9_condition=None,
            decided_by=vault.info.owner_name,
            decided_at=moment,
            final_decision="Disclosed under the right of access; other people's details are redacted",
        ),
        case=CaseSummary(case.reference, tuple(fields)),
        people=listed,
        notes=entries + others,
        protective_marking=protective_marking,
        now=moment,
        packet_id=packet_id,
    )
    redacted = redact_packet(packet, plan)
    # A relationship can name someone else ("Margaret's partner"): redacted too.
    redacted = replace(redacted, people=tuple(replace(p, role=redact_text(p.role, plan)) for p in redacted.people))
    items = ExportItems(
        note_ids=tuple(note_ids),
        person_ids=(subject.id,) if subject is not None else (),
        fields=tuple(f.label for f in fields),
        protected_people=len(third_parties),
        entries=len(others),
    )
    return SubjectAccessExport(redacted, items, case.id, person_id, name)


def export_subject_access(
    vault: OpenVault,
    case_id: int,
    person_id: int | None,
    password: str,
    **options: Any,
) -> tuple[SubjectAccessExport, bytes]:
    """The export and its password-protected PDF (in memory; needs a QGuiApplication,
    ``export.pdf.ensure_gui_app``). Save the bytes, then call ``record_subject_access``."""
    built = build_subject_access(vault, case_id, person_id, **options)
    return built, write_encrypted_pdf(built.packet, password)


def record_subject_access(
    vault: OpenVault, built: SubjectAccessExport, data: bytes, *, destination: str = ""
) -> ExportRecord:
    """Record that the export was saved: audit event and exports row (kind ``subject_access``)."""
    return record_export(
        vault,
        built.packet,
        protection="pdf-password",
        data=data,
        destination=destination,
        items=built.items,
        case_id=built.case_id,
        kind=KIND_SUBJECT_ACCESS,
        person_id=built.person_id,
    )


def save_subject_access(
    vault: OpenVault, built: SubjectAccessExport, data: bytes, path: Path, *, overwrite: bool = False
) -> ExportRecord:
    """Write the encrypted PDF where the practitioner chose and record it (the file is
    removed again if it cannot be recorded)."""
    return save_export(
        vault,
        built.packet,
        path,
        protection="pdf-password",
        data=data,
        items=built.items,
        case_id=built.case_id,
        kind=KIND_SUBJECT_ACCESS,
        person_id=built.person_id,
        overwrite=overwrite,
    )
