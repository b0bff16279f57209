"""Case records: the use cases the screens and the command line call.

Every function takes the ``OpenVault`` first and returns domain dataclasses. Writing
functions validate with ``domain.records``, change the store and append the audit event
in **one transaction**, so a record never exists without its audit event nor the other
way round. Audit details hold ids, counts, codes and SHA-256 fingerprints of saved text
(so the audit trail can later prove what a note said) but never the text or a name.

All of these run on the UI's background worker thread (see docs/architecture.md); none
of them touches Qt. Errors are ``CaseNotesError`` subclasses with a message to show as
it is: ``ValidationError.field`` names the form field to highlight.

Drafts are deliberately *not* audited: they are not records, they are saved every few
seconds while someone types, and the trail would drown in them.
"""

from __future__ import annotations

import hashlib
import mimetypes
from collections.abc import Collection, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import replace
from datetime import date, datetime, timedelta
from pathlib import Path, PureWindowsPath
from typing import Any

from sqlcipher3.dbapi2 import IntegrityError

from desktop_app.domain.records import (
    CASE_CLOSED,
    CASE_OPEN,
    DETAIL_FIELDS,
    MARK_IN_ERROR,
    MARK_KINDS,
    MARK_WRONG_CASE,
    MAX_ATTACHMENT_BYTES,
    MAX_NOTE_BYTES,
    MB,
    SOURCE_REPORTED,
    Attachment,
    Case,
    CaseDetailChange,
    CaseDetails,
    CaseSummary,
    ChronologyCursor,
    ChronologyPage,
    Draft,
    MentionFinder,
    Note,
    NoteInput,
    NoteRevision,
    Person,
    PersonDetails,
    SearchHit,
    ValidNote,
    check_text,
    detail_values,
    optional_text,
    parse_date,
    require_line,
    require_reason,
    utc_text,
    validate_case_details,
    validate_note_input,
    validate_person_details,
)
from desktop_app.errors import CaseNotesError, UsageError, ValidationError
from desktop_app.store import attachments as attachment_store
from desktop_app.store import audit, chronology, search
from desktop_app.store import cases as case_store
from desktop_app.store import drafts as draft_store
from desktop_app.store import notes as note_store
from desktop_app.store.connection import DatabaseError, classify
from desktop_app.store.vault import OpenVault

Connection = Any  # a sqlcipher3 connection

# The orders the case list can be fetched in (see ``store/cases.py``).
CASE_SORTS: tuple[str, ...] = tuple(case_store.CASE_SORTS)

__all__ = [
    "add_attachment",
    "add_attachment_file",
    "add_person",
    "CASE_SORTS",
    "CaseDetailChange",
    "amend_note",
    "case_detail_history",
    "chronology_page",
    "close_case",
    "create_case",
    "discard_draft",
    "find_case",
    "get_case",
    "get_note",
    "list_attachments",
    "list_cases",
    "list_drafts",
    "list_people",
    "mark_attachment_in_error",
    "mark_note_in_error",
    "note_history",
    "read_attachment",
    "record_note",
    "reopen_case",
    "save_draft",
    "search_notes",
    "update_case",
    "update_person",
]


# -- plumbing --------------------------------------------------------------------------


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@contextmanager
def _reading(vault: OpenVault, doing: str = "reading the vault") -> Iterator[Connection]:
    if vault.closed:
        raise CaseNotesError("The vault is locked.", "Unlock it and try again.")
    try:
        yield vault.conn
    except DatabaseError as exc:
        raise classify(exc, doing) from exc


@contextmanager
def recording(vault: OpenVault, doing: str = "saving") -> Iterator[Connection]:
    """``vault.transaction`` with the record-keeping triggers' refusals made plain.

    The services check every rule first, so a trigger firing means a bug or a raw edit;
    its message (written for people in migration 3) is still the right thing to show.
    """
    try:
        with vault.transaction(doing) as conn:
            yield conn
    except IntegrityError as exc:
        message = str(exc)
        if "constraint failed" in message.lower() or not message.endswith("."):
            message = "That change could not be saved because it would break a rule of the record."
        raise UsageError(message, "Nothing was changed.") from exc


def _require_case(conn: Connection, case_id: int) -> Case:
    case = case_store.get_case(conn, case_id)
    if case is None:
        raise UsageError("That case is not in this vault.", "It may have been opened from another vault.")
    return case


def _require_note(conn: Connection, note_id: int) -> Note:
    note = note_store.get_note(conn, note_id)
    if note is None:
        raise UsageError("That note is not in this vault.")
    return note


def _require_person(conn: Connection, person_id: int) -> Person:
    person = case_store.get_person(conn, person_id)
    if person is None:
        raise UsageError("That person is not in this vault.")
    return person


# -- cases -----------------------------------------------------------------------------


def create_case_in(conn: Connection, details: CaseDetails, *, actor: str, opened_on: date | None = None) -> int:
    """Open a case inside the caller's transaction (used by ``create_case`` and import)."""
    valid = validate_case_details(details)
    if case_store.find_case_by_reference(conn, valid.reference) is not None:
        raise ValidationError(
            f"There is already a case with the reference '{valid.reference}'.",
            "reference",
            "Choose a different reference, or open the existing case.",
        )
    opened = parse_date(opened_on, "opened_on", "The opening date") if opened_on is not None else date.today()
    if opened > date.today():
        raise ValidationError("A case cannot be opened on a date in the future.", "opened_on")
    now = audit.utc_now()
    case_id = case_store.insert_case(conn, valid, opened_on=opened, now=now, by=actor)
    audit.append_event(
        conn,
        "case.created",
        actor=actor,
        subject_type="case",
        subject_id=case_id,
        details={"opened_on": opened.isoformat(), "identifiers": len(valid.subject_identifiers)},
        at=now,
    )
    return case_id


def create_case(vault: OpenVault, details: CaseDetails, *, opened_on: date | None = None) -> Case:
    """Open a new case for a child or young person."""
    with recording(vault) as conn:
        case_id = create_case_in(conn, details, actor=vault.info.owner_name, opened_on=opened_on)
        return _require_case(conn, case_id)


def update_case(vault: OpenVault, case_id: int, details: CaseDetails, *, reason: str = "") -> Case:
    """Change a case's details (reference, child's details, key worker), with the reason.

    A case's details are part of the record (an earlier export or letter names the child
    as the case said then), so a change is never made in place only: what each changed
    field said before and after, the reason, who and when are kept in the case's history
    (``case_detail_history``) and its chronology. The audit event holds the fields' names,
    the history row's id and a fingerprint of the reason, never the names themselves.
    Changing nothing is not an error and records nothing; the reason is needed only when
    something changes."""
    valid = validate_case_details(details)
    with recording(vault) as conn:
        before = _require_case(conn, case_id)
        clash = case_store.find_case_by_reference(conn, valid.reference)
        if clash is not None and clash.id != case_id:
            raise ValidationError(f"There is already a case with the reference '{valid.reference}'.", "reference")
        old, new = detail_values(before), detail_values(valid)
        changed = [name for name in DETAIL_FIELDS if old[name] != new[name]]
        if changed:
            why = require_reason(reason, "reason", "The reason for changing the case's details")
            now = audit.utc_now()
            change_id = case_store.record_detail_change(
                conn,
                case_id,
                before={k: old[k] for k in changed},
                after={k: new[k] for k in changed},
                reason=why,
                occurred_at=utc_text(now),
                now=now,
                by=vault.info.owner_name,
            )
            case_store.update_case(conn, case_id, valid, now=now)
            audit.append_event(
                conn,
                "case.updated",
                actor=vault.info.owner_name,
                subject_type="case",
                subject_id=case_id,
                details={"fields": changed, "change_id": change_id, "reason_sha256": _sha256(why)},
                at=now,
            )
        return _require_case(conn, case_id)


def case_detail_history(vault: OpenVault, case_id: int) -> list[CaseDetailChange]:
    """Every change to a case's details, the most recent first, each with what the
    changed fields said before and after and the reason."""
    with _reading(vault) as conn:
        _require_case(conn, case_id)
        return case_store.detail_changes(conn, case_id)


def close_case_in(conn: Connection, case_id: int, *, reason: str, closed_on: date | None, actor: str) -> None:
    """Close a case inside the caller's transaction (used by ``close_case`` and import)."""
    why = require_reason(reason, "closed_reason", "The reason for closing the case")
    on = parse_date(closed_on, "closed_on", "The closing date") if closed_on is not None else date.today()
    if on > date.today():
        raise ValidationError("A case cannot be closed on a date in the future.", "closed_on")
    case = _require_case(conn, case_id)
    if case.status == CASE_CLOSED:
        raise UsageError(f"Case {case.reference} is already closed.")
    since = case_store.last_status_change_on(conn, case_id)
    if since is not None and on < since:
        raise ValidationError(
            f"A case cannot be closed before it was opened (on {since.strftime('%d %B %Y').lstrip('0')}).",
            "closed_on",
        )
    now = audit.utc_now()
    case_store.set_status(conn, case_id, CASE_CLOSED, on, why, now=now, by=actor)
    audit.append_event(
        conn,
        "case.closed",
        actor=actor,
        subject_type="case",
        subject_id=case_id,
        details={"closed_on": on.isoformat()},
        at=now,
    )


def close_case(vault: OpenVault, case_id: int, *, reason: str, closed_on: date | None = None) -> Case:
    """Close a case with the date and the reason; it stays readable and can be reopened."""
    with recording(vault) as conn:
        close_case_in(conn, case_id, reason=reason, closed_on=closed_on, actor=vault.info.owner_name)
        return _require_case(conn, case_id)


def reopen_case(vault: OpenVault, case_id: int, *, reason: str) -> Case:
    """Reopen a closed case; the closing stays in its history and chronology."""
    why = require_reason(reason, "reason", "The reason for reopening the case")
    with recording(vault) as conn:
        case = _require_case(conn, case_id)
        if case.status == CASE_OPEN:
            raise UsageError(f"Case {case.reference} is already open.")
        now = audit.utc_now()
        case_store.set_status(conn, case_id, CASE_OPEN, date.today(), why, now=now, by=vault.info.owner_name)
        audit.append_event(
            conn, "case.reopened", actor=vault.info.owner_name, subject_type="case", subject_id=case_id, at=now
        )
        return _require_case(conn, case_id)


def get_case(vault: OpenVault, case_id: int) -> Case:
    with _reading(vault) as conn:
        return _require_case(conn, case_id)


def find_case(vault: OpenVault, reference: str) -> Case | None:
    """The case with this reference (ignoring case), if there is one."""
    with _reading(vault) as conn:
        return case_store.find_case_by_reference(conn, reference.strip())


def list_cases(
    vault: OpenVault,
    *,
    status: str | None = None,
    text: str | None = None,
    key_worker: str | None = None,
    sort: str = "activity",
    descending: bool = True,
    limit: int = 200,
    offset: int = 0,
) -> list[CaseSummary]:
    """Cases a page at a time, optionally only open or closed ones, those whose reference
    or child's name contains ``text``, and those whose key worker's name contains
    ``key_worker`` (both ignoring case). ``sort`` is one of ``CASE_SORTS`` (``activity``,
    the default with ``descending``: most recently active first). Filtering and sorting
    happen in the store, so every page continues the same order over all cases."""
    if status not in (None, CASE_OPEN, CASE_CLOSED):
        raise UsageError("A case's status is either open or closed.")
    if sort not in CASE_SORTS:
        raise UsageError(f"Cases can be sorted by {', '.join(CASE_SORTS)}; not by '{sort}'.")
    if limit < 1 or offset < 0:
        raise UsageError("A page needs a positive size and a non-negative offset.")
    with _reading(vault) as conn:
        return case_store.list_cases(
            conn,
            status=status,
            text=(text or "").strip() or None,
            key_worker=(key_worker or "").strip() or None,
            sort=sort,
            descending=descending,
            limit=limit,
            offset=offset,
        )


# -- people ----------------------------------------------------------------------------


def add_person_in(conn: Connection, case_id: int, details: PersonDetails, *, actor: str) -> int:
    valid = validate_person_details(details)
    _require_case(conn, case_id)
    now = audit.utc_now()
    person_id = case_store.insert_person(conn, case_id, valid, now=now)
    audit.append_event(
        conn,
        "person.added",
        actor=actor,
        subject_type="person",
        subject_id=person_id,
        details={"case_id": case_id, "protect_identity": valid.protect_identity},
        at=now,
    )
    return person_id


def add_person(vault: OpenVault, case_id: int, details: PersonDetails) -> Person:
    """Add someone around the case (family, carer, other adult, professional, …)."""
    with recording(vault) as conn:
        person_id = add_person_in(conn, case_id, details, actor=vault.info.owner_name)
        refresh_mentions(conn, case_id)
        return _require_person(conn, person_id)


def update_person(vault: OpenVault, person_id: int, details: PersonDetails) -> Person:
    """Change a person's details, including whether their identity must be protected."""
    valid = validate_person_details(details)
    with recording(vault) as conn:
        before = _require_person(conn, person_id)
        changed = [
            name
            for name in ("name", "relationship", "contact", "protect_identity", "protect_reason")
            if getattr(before, name) != getattr(valid, name)
        ]
        if changed:
            now = audit.utc_now()
            case_store.update_person(conn, person_id, valid, now=now)
            audit.append_event(
                conn,
                "person.updated",
                actor=vault.info.owner_name,
                subject_type="person",
                subject_id=person_id,
                details={"case_id": before.case_id, "fields": changed, "protect_identity": valid.protect_identity},
                at=now,
            )
            if "name" in changed:
                refresh_mentions(conn, before.case_id)
        return _require_person(conn, person_id)


def list_people(vault: OpenVault, case_id: int) -> list[Person]:
    """The people around a case, by name. ``Person.protect_identity`` marks those whose
    details must not reach anyone who might harm them (golden rule 5)."""
    with _reading(vault) as conn:
        return case_store.list_people(conn, case_id)


def refresh_mentions(conn: Connection, case_id: int) -> None:
    """Recompute who appears in each of a case's notes after its people changed."""
    finder = MentionFinder(case_store.list_people(conn, case_id))
    recorded = note_store.case_people(conn, case_id)
    changed = [
        (revision_id, wanted)
        for revision_id, text, source_person_id in note_store.case_revisions(conn, case_id)
        if (wanted := _appearing(text, source_person_id, finder)) != recorded.get(revision_id, set())
    ]
    for revision_id, wanted in changed:  # only what differs: a long case has thousands of notes
        note_store.set_people(conn, revision_id, wanted)


def _appearing(text: str, source_person_id: int | None, finder: MentionFinder) -> set[int]:
    found = {span[2] for span in finder.find(text)}
    if source_person_id is not None:
        found.add(source_person_id)
    return found


# -- notes -----------------------------------------------------------------------------


def _valid_note(conn: Connection, case_id: int, note: NoteInput, author: str) -> tuple[ValidNote, list[Person]]:
    valid = validate_note_input(note, default_author=author)
    people = case_store.list_people(conn, case_id)
    if valid.source_person_id is not None and valid.source_person_id not in {p.id for p in people}:
        raise ValidationError("The person who reported it is not one of the people on this case.", "source_person_id")
    return valid, people


def record_note_in(
    conn: Connection,
    case_id: int,
    note: NoteInput,
    *,
    actor: str,
    moved_from_note_id: int | None = None,
    via: str = "form",
) -> int:
    """Save a new note inside the caller's transaction; returns its id."""
    _require_case(conn, case_id)
    valid, people = _valid_note(conn, case_id, note, actor)
    now = audit.utc_now()
    note_id, revision_id = note_store.insert_note(conn, case_id, valid, now=now, moved_from_note_id=moved_from_note_id)
    note_store.set_people(
        conn, revision_id, _appearing(valid.text, valid.source_person_id, MentionFinder(people)), new=True
    )
    details: dict[str, Any] = {
        "case_id": case_id,
        "revision_id": revision_id,
        "category": valid.category,
        "source": valid.source,
        "text_sha256": _sha256(valid.text),
        "via": via,
    }
    if moved_from_note_id is not None:
        details["moved_from_note_id"] = moved_from_note_id
    audit.append_event(
        conn, "note.recorded", actor=actor, subject_type="note", subject_id=note_id, details=details, at=now
    )
    return note_id


def record_note(vault: OpenVault, case_id: int, note: NoteInput, *, draft_id: int | None = None) -> Note:
    """Save a new note on a case. ``recorded_at`` is set now; ``author`` defaults to the
    vault's practitioner. The draft it was typed in, if given, goes in the same step."""
    with recording(vault) as conn:
        note_id = record_note_in(conn, case_id, note, actor=vault.info.owner_name)
        if draft_id is not None:
            draft_store.delete(conn, draft_id)
        return _require_note(conn, note_id)


def amend_note(vault: OpenVault, note_id: int, note: NoteInput, *, reason: str, draft_id: int | None = None) -> Note:
    """Correct a note: a new revision with the reason, linked to the original, which
    stays readable (``note_history``). The amendment's author is the practitioner."""
    why = require_reason(reason, "reason", "The reason for the amendment")
    actor = vault.info.owner_name
    with recording(vault) as conn:
        before = _require_note(conn, note_id)
        if before.mark is not None:
            raise UsageError(
                "This note is marked as recorded in error, so it cannot be amended.",
                "Record a new note instead.",
            )
        valid, people = _valid_note(conn, before.case_id, replace(note, author=None), actor)
        current = before.current
        if (
            valid.text == current.text
            and valid.occurred_at == current.occurred_at
            and valid.category == current.category
            and valid.source == current.source
            and valid.source_person_id == current.source_person_id
            and valid.source_name == current.source_name
        ):
            raise ValidationError("Nothing has been changed, so there is nothing to amend.", "text")
        now = audit.utc_now()
        revision = current.revision + 1
        revision_id = note_store.insert_amendment(conn, note_id, revision, valid, why, now=now)
        note_store.set_people(
            conn, revision_id, _appearing(valid.text, valid.source_person_id, MentionFinder(people)), new=True
        )
        changed = [
            name
            for name in ("text", "occurred_at", "category", "source", "source_person_id", "source_name")
            if getattr(valid, name) != getattr(current, name)
        ]
        audit.append_event(
            conn,
            "note.amended",
            actor=actor,
            subject_type="note",
            subject_id=note_id,
            details={
                "case_id": before.case_id,
                "revision": revision,
                "revision_id": revision_id,
                "fields": changed,
                "text_sha256": _sha256(valid.text),
            },
            at=now,
        )
        if draft_id is not None:
            draft_store.delete(conn, draft_id)
        return _require_note(conn, note_id)


def mark_note_in_error(
    vault: OpenVault,
    note_id: int,
    *,
    reason: str,
    kind: str = MARK_IN_ERROR,
    correct_case_id: int | None = None,
) -> Note:
    """Mark a note as recorded in error, or against the wrong case, with the reason. It
    stays in the record, marked. For a wrong case, ``correct_case_id`` also records the
    note again on the right case, linked both ways (``moved_to_note_id`` /
    ``moved_from_note_id``). Returns the marked note."""
    if kind not in MARK_KINDS:
        raise UsageError("A note is marked either as recorded in error or as on the wrong case.")
    why = require_reason(reason, "reason", "The reason")
    if correct_case_id is not None and kind != MARK_WRONG_CASE:
        raise UsageError("Only a note recorded against the wrong case can be moved to another case.")
    actor = vault.info.owner_name
    with recording(vault) as conn:
        note = _require_note(conn, note_id)
        if note.mark is not None:
            raise UsageError("This note is already marked as recorded in error.")
        if correct_case_id is not None:
            if correct_case_id == note.case_id:
                raise ValidationError("Choose the case the note should have been recorded on.", "correct_case_id")
            _require_case(conn, correct_case_id)
        now = audit.utc_now()
        note_store.mark(conn, note_id, kind, why, now=now, by=actor)
        details: dict[str, Any] = {"case_id": note.case_id, "kind": kind}
        if correct_case_id is not None:
            details["correct_case_id"] = correct_case_id
        audit.append_event(
            conn, "note.marked_in_error", actor=actor, subject_type="note", subject_id=note_id, details=details, at=now
        )
        if correct_case_id is not None:
            record_note_in(
                conn, correct_case_id, _moved(conn, note), actor=actor, moved_from_note_id=note_id, via="move"
            )
        return _require_note(conn, note_id)


def _moved(conn: Connection, note: Note) -> NoteInput:
    """The note as it reads now, to record on another case: a reporter who is a person on
    the old case is carried over by name, as they are not on the new one."""
    current = note.current
    source_name = current.source_name
    if current.source_person_id is not None:
        person = case_store.get_person(conn, current.source_person_id)
        source_name = person.name if person else source_name
    return NoteInput(
        occurred_at=current.occurred_at,
        text=current.text,
        category=current.category,
        source=current.source,
        source_person_id=None,
        source_name=source_name if current.source == SOURCE_REPORTED else "",
        author=note.author,
    )


def get_note(vault: OpenVault, note_id: int) -> Note:
    """A note as it reads now, with its mark, links and flags."""
    with _reading(vault) as conn:
        return _require_note(conn, note_id)


def note_history(vault: OpenVault, note_id: int) -> list[NoteRevision]:
    """Every version of a note, the original first, each amendment with its reason."""
    with _reading(vault) as conn:
        _require_note(conn, note_id)
        return note_store.revisions(conn, note_id)


# -- attachments -----------------------------------------------------------------------


def _too_big(filename: str, size: int) -> ValidationError:
    return ValidationError(
        f"'{filename}' is {size / MB:.1f} MB; an attachment can be at most {MAX_ATTACHMENT_BYTES // MB} MB.",
        "data",
        "Make it smaller (for example, scan at a lower resolution or split the document) and add it "
        "again. Nothing has been saved.",
    )


def add_attachment(
    vault: OpenVault,
    case_id: int,
    *,
    filename: str,
    data: bytes,
    media_type: str | None = None,
    note_id: int | None = None,
    description: str = "",
) -> Attachment:
    """Keep a photo, letter or document inside the encrypted vault, on a case (and
    optionally a note), with its type, size and SHA-256."""
    # Keep only the last part of a path, whichever system it came from.
    name = require_line(PureWindowsPath(str(filename)).name, "filename", "The file name", max_chars=255)
    if not isinstance(data, bytes | bytearray | memoryview):
        raise ValidationError("The attachment's contents must be bytes.", "data")
    content = bytes(data)
    if len(content) > MAX_ATTACHMENT_BYTES:
        raise _too_big(name, len(content))
    if not content:
        raise ValidationError(f"'{name}' is empty, so there is nothing to attach.", "data")
    kind = media_type or mimetypes.guess_type(name)[0] or "application/octet-stream"
    kind = require_line(kind, "media_type", "The file type", max_chars=100)
    about = optional_text(description, "description", "The description")
    digest = hashlib.sha256(content).hexdigest()
    actor = vault.info.owner_name
    with recording(vault) as conn:
        _require_case(conn, case_id)
        if note_id is not None and _require_note(conn, note_id).case_id != case_id:
            raise ValidationError("That note belongs to a different case.", "note_id")
        now = audit.utc_now()
        attachment_id = attachment_store.insert(
            conn,
            case_id=case_id,
            note_id=note_id,
            filename=name,
            media_type=kind,
            data=content,
            sha256=digest,
            description=about,
            now=now,
            by=actor,
        )
        audit.append_event(
            conn,
            "attachment.added",
            actor=actor,
            subject_type="attachment",
            subject_id=attachment_id,
            details={
                "case_id": case_id,
                "note_id": note_id,
                "size": len(content),
                "sha256": digest,
                "media_type": kind,
            },
            at=now,
        )
        found = attachment_store.get(conn, attachment_id)
        assert found is not None
        return found


def add_attachment_file(
    vault: OpenVault,
    case_id: int,
    path: Path,
    *,
    media_type: str | None = None,
    note_id: int | None = None,
    description: str = "",
) -> Attachment:
    """``add_attachment`` from a file, refusing one over the limit before reading it."""
    path = Path(path)
    try:
        size = path.stat().st_size
        if size > MAX_ATTACHMENT_BYTES:
            raise _too_big(path.name, size)
        data = path.read_bytes()
    except OSError as exc:
        raise UsageError(f"The file '{path.name}' could not be read ({exc.strerror or exc}).") from exc
    return add_attachment(
        vault, case_id, filename=path.name, data=data, media_type=media_type, note_id=note_id, description=description
    )


def list_attachments(vault: OpenVault, case_id: int, *, note_id: int | None = None) -> list[Attachment]:
    """A case's attachments (or one note's), without their contents."""
    with _reading(vault) as conn:
        return attachment_store.list_for_case(conn, case_id, note_id)


def read_attachment(vault: OpenVault, attachment_id: int) -> tuple[Attachment, bytes]:
    """An attachment and its contents, checked against its SHA-256 (``VaultDamaged`` if
    they differ). Hand the bytes to a viewer in memory; never write them to a temp file."""
    with _reading(vault) as conn:
        attachment = attachment_store.get(conn, attachment_id)
        if attachment is None:
            raise UsageError("That attachment is not in this vault.")
        return attachment, attachment_store.read_verified(conn, attachment)


def mark_attachment_in_error(vault: OpenVault, attachment_id: int, *, reason: str) -> Attachment:
    """Mark an attachment as added in error (wrong file, wrong child), with the reason.
    It stays in the record, marked."""
    why = require_reason(reason, "reason", "The reason")
    actor = vault.info.owner_name
    with recording(vault) as conn:
        attachment = attachment_store.get(conn, attachment_id)
        if attachment is None:
            raise UsageError("That attachment is not in this vault.")
        if attachment.in_error:
            raise UsageError("This attachment is already marked as added in error.")
        now = audit.utc_now()
        attachment_store.mark_in_error(conn, attachment_id, why, now=now, by=actor)
        audit.append_event(
            conn,
            "attachment.marked_in_error",
            actor=actor,
            subject_type="attachment",
            subject_id=attachment_id,
            details={"case_id": attachment.case_id},
            at=now,
        )
        found = attachment_store.get(conn, attachment_id)
        assert found is not None
        return found


# -- drafts ----------------------------------------------------------------------------


def save_draft(
    vault: OpenVault,
    *,
    text: str,
    fields: Mapping[str, str] | None = None,
    case_id: int | None = None,
    note_id: int | None = None,
    draft_id: int | None = None,
) -> Draft:
    """Keep what is being typed (``text`` and the other form fields as strings). Pass
    the returned ``Draft.id`` as ``draft_id`` on the next save to overwrite it. Anything
    typed is kept as it is, even what a note would refuse, so nothing is lost."""
    if not isinstance(text, str):
        raise ValidationError("A draft must be text.", "text")
    if len(text) * 4 > MAX_NOTE_BYTES and len(text.encode("utf-8", "surrogatepass")) > MAX_NOTE_BYTES:
        raise ValidationError(
            f"This draft is longer than a note can be ({MAX_NOTE_BYTES // MB} MB), so it cannot be kept.",
            "text",
            "Split it into several notes, or add the document as an attachment.",
        )
    kept = text.encode("utf-8", "replace").decode("utf-8")  # lone surrogates cannot be stored
    extra = {str(k): str(v) for k, v in (fields or {}).items()}
    for key, value in extra.items():
        check_text(value, f"fields.{key}", "A draft field", max_bytes=64 * 1024)
    with recording(vault, "saving the draft") as conn:
        now = audit.utc_now()
        if draft_id is not None and draft_store.update(conn, draft_id, text=kept, fields=extra, now=now):
            found = draft_store.get(conn, draft_id)
        else:
            if case_id is not None:
                _require_case(conn, case_id)
            if note_id is not None:
                _require_note(conn, note_id)
            found = draft_store.get(
                conn, draft_store.insert(conn, case_id=case_id, note_id=note_id, text=kept, fields=extra, now=now)
            )
        assert found is not None
        return found


def list_drafts(vault: OpenVault, *, case_id: int | None = None) -> list[Draft]:
    """Drafts left from before a crash or a lock, most recent first, to offer back."""
    with _reading(vault) as conn:
        return draft_store.list_drafts(conn, case_id)


def discard_draft(vault: OpenVault, draft_id: int) -> None:
    """Throw a draft away (its pages are overwritten: ``secure_delete`` is on)."""
    with recording(vault, "discarding the draft") as conn:
        draft_store.delete(conn, draft_id)


# -- chronology and search ---------------------------------------------------------------


def chronology_page(
    vault: OpenVault,
    case_id: int,
    *,
    limit: int = 50,
    after: ChronologyCursor | None = None,
    offset: int = 0,
    kinds: Collection[str] | None = None,
) -> ChronologyPage:
    """One page of a case's time line, newest first: notes, attachments, status changes
    and every other registered kind (see ``store/chronology.py``). Pass the page's
    ``next_cursor`` as ``after`` for the next page, or use ``offset`` to jump."""
    if limit < 1 or offset < 0:
        raise UsageError("A page needs a positive size and a non-negative offset.")
    with _reading(vault) as conn:
        _require_case(conn, case_id)
        return chronology.page(conn, case_id, limit=limit, after=after, offset=offset, kinds=kinds)


def _bound(value: date | datetime | str | None, field_name: str, *, end: bool) -> str | None:
    """A search date bound as UTC text; a date ``to`` includes the whole day."""
    if value is None:
        return None
    is_day = isinstance(value, str) and len(value.strip()) == 10
    if is_day or (isinstance(value, date) and not isinstance(value, datetime)):
        day = parse_date(value, field_name, "The date")
        value = day + timedelta(days=1) if end else day
    return utc_text(value, field_name)


def search_notes(
    vault: OpenVault,
    query: str,
    *,
    case_id: int | None = None,
    categories: Collection[str] | None = None,
    occurred_from: date | datetime | str | None = None,
    occurred_to: date | datetime | str | None = None,
    limit: int = 50,
    newest_first: bool = False,
    prefix_last: bool = False,
) -> list[SearchHit]:
    """Notes whose current text matches every word of ``query`` — any text at all is
    safe, nothing is treated as search syntax — best matches first (or newest first),
    with highlighted snippets (see ``store/search.py`` for the markers). Filters: one
    case, categories, and when it happened (``occurred_to`` as a date includes that day).
    An empty or punctuation-only query finds nothing rather than everything."""
    if not isinstance(query, str):
        raise UsageError("The search must be text.")
    expression = search.fts_expression(query, prefix_last=prefix_last)
    if expression is None or limit < 1:
        return []
    start = _bound(occurred_from, "occurred_from", end=False)
    stop = _bound(occurred_to, "occurred_to", end=True)
    with _reading(vault, "searching") as conn:
        return search.search(
            conn,
            expression,
            case_id=case_id,
            categories=categories,
            occurred_from=start,
            occurred_before=stop,
            limit=min(limit, 500),
            newest_first=newest_first,
        )
