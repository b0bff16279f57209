"""Import cases, people and notes from a JSON file (format: docs/formats.md, "Import JSON").

Two passes, so that an import is all or nothing:

1. **Validate everything first**, without touching the vault beyond reading which
   references exist. Every problem is collected (not just the first), and each names
   the case (by reference and position) and the field, so the file can be fixed in one
   go: ``Case 'C-7' (cases[2]), notes[4].occurred_at: …``.
2. **Write everything in one transaction**, through the same functions the screens use,
   so each record gets its usual audit event, followed by one ``import.completed`` event
   with the file's SHA-256. If anything fails, nothing is kept.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from pathlib import Path
from typing import Any, TypeVar

from desktop_app.domain.records import (
    CASE_CLOSED,
    CASE_OPEN,
    DEFAULT_CATEGORY,
    MB,
    SOURCE_NOT_STATED,
    SOURCE_REPORTED,
    CaseDetails,
    NoteInput,
    PersonDetails,
    parse_date,
    require_line,
    require_reason,
    utc_text,
    validate_case_details,
    validate_note_input,
    validate_person_details,
)
from desktop_app.errors import UsageError, ValidationError
from desktop_app.services import case_records
from desktop_app.store import audit
from desktop_app.store import cases as case_store
from desktop_app.store.vault import OpenVault

FORMAT_NAME = "casenotes-import"
FORMAT_VERSION = 1
MAX_FILE_BYTES = 512 * MB
MAX_PROBLEMS_SHOWN = 20

_TOP_KEYS = {"format", "version", "cases"}
_CASE_KEYS = {
    "reference",
    "subject",
    "key_worker",
    "status",
    "opened_on",
    "closed_on",
    "closed_reason",
    "people",
    "notes",
}
_SUBJECT_KEYS = {"name", "date_of_birth", "identifiers"}
_PERSON_KEYS = {"key", "name", "relationship", "contact", "protect_identity", "protect_reason"}
_NOTE_KEYS = {"occurred_at", "author", "category", "source", "reported_by", "text"}
_CASE_FIELDS = {
    "reference": "reference",
    "subject_name": "subject.name",
    "subject_date_of_birth": "subject.date_of_birth",
    "subject_identifiers": "subject.identifiers",
    "key_worker": "key_worker",
}

T = TypeVar("T")


@dataclass(frozen=True)
class ImportSummary:
    cases: int
    people: int
    notes: int
    case_ids: tuple[int, ...]
    file_sha256: str


@dataclass
class _PlannedCase:
    details: CaseDetails
    opened_on: date | None
    closing: tuple[date, str] | None
    people: list[tuple[str | None, PersonDetails]] = field(default_factory=list)
    notes: list[tuple[NoteInput, str | None]] = field(default_factory=list)  # note, reporter's key


class _Problems:
    """Problems found so far, each tied to a case and a field path."""

    def __init__(self) -> None:
        self.items: list[tuple[str, str]] = []  # (path, message)

    def add(self, where: str, path: str, message: str) -> None:
        self.items.append((path, f"{where}, {path}: {message}"))

    def check(self, where: str, path: str, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T | None:
        """Run a validation; on failure note the problem against ``path``."""
        try:
            return fn(*args, **kwargs)
        except ValidationError as exc:
            self.add(where, path, exc.message)
            return None


def read_import_file(path: Path) -> tuple[Any, str]:
    """The parsed JSON and the file's SHA-256, or a ValidationError saying what is wrong."""
    path = Path(path)
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise ValidationError(
                f"The import file is {size / MB:.0f} MB; the most this application imports at once is "
                f"{MAX_FILE_BYTES // MB} MB.",
                advice="Split it into several files. Nothing was imported.",
            )
        raw = path.read_bytes()
    except OSError as exc:
        raise UsageError(f"The import file '{path.name}' could not be read ({exc.strerror or exc}).") from exc
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValidationError(
            f"The import file is not UTF-8 text (a byte at position {exc.start} cannot be read).",
            advice="Save it as UTF-8 and import it again. Nothing was imported.",
        ) from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValidationError(
            f"The import file is not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}.",
            advice="Fix the file and import it again. Nothing was imported.",
        ) from None
    return data, hashlib.sha256(raw).hexdigest()


def _unknown_keys(problems: _Problems, where: str, path: str, value: dict[str, Any], allowed: set[str]) -> None:
    for key in sorted(set(value) - allowed):
        problems.add(where, f"{path}{key}", f"'{key}' is not a field this format has (check the spelling).")


def plan_import(conn: Any, data: Any) -> list[_PlannedCase]:
    """Validate the whole file; raise one ValidationError listing every problem."""
    problems = _Problems()
    if not isinstance(data, dict) or not isinstance(data.get("cases"), list):
        raise ValidationError(
            'The import file must be a JSON object with a list of cases: {"cases": [ … ]}.',
            field="cases",
            advice="See docs/formats.md, 'Import JSON'. Nothing was imported.",
        )
    if "format" in data and data["format"] != FORMAT_NAME:
        problems.add("The file", "format", f"'format' must be \"{FORMAT_NAME}\" when it is given.")
    if "version" in data and data["version"] != FORMAT_VERSION:
        problems.add("The file", "version", f"This application reads version {FORMAT_VERSION} of the format.")
    _unknown_keys(problems, "The file", "", data, _TOP_KEYS)
    planned: list[_PlannedCase] = []
    seen: dict[str, int] = {}
    for index, raw_case in enumerate(data["cases"]):
        planned_case = _plan_case(conn, problems, index, raw_case, seen)
        if planned_case is not None:
            planned.append(planned_case)
    if problems.items:
        lines = [message for _, message in problems.items[:MAX_PROBLEMS_SHOWN]]
        more = len(problems.items) - len(lines)
        if more:
            lines.append(f"… and {more} more.")
        count = len(problems.items)
        raise ValidationError(
            f"The import file has {count} problem{'s' if count != 1 else ''}, so nothing was imported:\n"
            + "\n".join(lines),
            field=problems.items[0][0],
            advice="Fix the file and import it again.",
        )
    if not planned:
        raise ValidationError("The import file has no cases in it.", field="cases")
    return planned


def _plan_case(conn: Any, problems: _Problems, index: int, raw: Any, seen: dict[str, int]) -> _PlannedCase | None:
    base = f"cases[{index}]"
    if not isinstance(raw, dict):
        problems.add(f"Case {index + 1} ({base})", base, "each case must be a JSON object.")
        return None
    reference = raw.get("reference")
    label = reference.strip() if isinstance(reference, str) and reference.strip() else f"#{index + 1}"
    where = f"Case '{label}' ({base})"
    _unknown_keys(problems, where, "", raw, _CASE_KEYS)
    subject = raw.get("subject")
    if not isinstance(subject, dict):
        problems.add(where, "subject", "the child or young person ('subject', with at least 'name') is needed.")
        subject = {}
    else:
        _unknown_keys(problems, where, "subject.", subject, _SUBJECT_KEYS)
    identifiers = subject.get("identifiers", {})
    if not isinstance(identifiers, dict):
        problems.add(where, "subject.identifiers", "must be an object of labels and values.")
        identifiers = {}
    dob_raw = subject.get("date_of_birth")
    dob = None
    if dob_raw is not None:
        dob = problems.check(where, "subject.date_of_birth", parse_date, dob_raw, "", "The date of birth")
        if dob is None:
            return None
    details = CaseDetails(
        reference=reference,  # type: ignore[arg-type]  # checked by validate_case_details
        subject_name=subject.get("name"),  # type: ignore[arg-type]
        subject_date_of_birth=dob,
        subject_identifiers=identifiers,
        key_worker="" if raw.get("key_worker") is None else raw["key_worker"],
    )
    try:
        details = validate_case_details(details)
    except ValidationError as exc:
        problems.add(where, _CASE_FIELDS.get((exc.field or "").split(".")[0], exc.field or "case"), exc.message)
        details = None  # type: ignore[assignment]
    if details is not None:
        key = details.reference.casefold()
        if key in seen:
            problems.add(where, "reference", f"the same reference is already used by cases[{seen[key]}] in this file.")
        elif case_store.find_case_by_reference(conn, details.reference) is not None:
            problems.add(where, "reference", "a case with this reference is already in the vault.")
        seen.setdefault(key, index)
    closing = _plan_status(problems, where, raw)
    people, keys = _plan_people(problems, where, raw.get("people", []))
    notes = _plan_notes(problems, where, raw.get("notes", []), keys)
    if raw.get("opened_on") is not None:
        opened_on = problems.check(where, "opened_on", parse_date, raw["opened_on"], "", "The opening date")
        if opened_on is not None and opened_on > date.today():
            problems.add(where, "opened_on", "a case cannot be opened on a date in the future.")
    else:
        # An old case opened "today" would sit after all its notes in the chronology: take
        # the day of its earliest note, or of its closing, when those are earlier.
        days = [datetime.fromisoformat(utc_text(n.occurred_at)).astimezone().date() for n, _ in notes]
        days += [closing[0]] if closing else []
        opened_on = min([date.today(), *days])
    if closing is not None and opened_on is not None and closing[0] < opened_on:
        problems.add(where, "closed_on", "a case cannot be closed before it was opened ('opened_on').")
    if details is None:
        return None
    return _PlannedCase(details, opened_on, closing, people, notes)


def _plan_status(problems: _Problems, where: str, raw: dict[str, Any]) -> tuple[date, str] | None:
    status = raw.get("status", CASE_OPEN)
    if status not in (CASE_OPEN, CASE_CLOSED):
        problems.add(where, "status", 'must be "open" or "closed".')
        return None
    if status == CASE_OPEN:
        for name in ("closed_on", "closed_reason"):
            if raw.get(name) is not None:
                problems.add(where, name, "only applies when 'status' is \"closed\".")
        return None
    on = problems.check(where, "closed_on", parse_date, raw.get("closed_on"), "", "The closing date")
    why = problems.check(where, "closed_reason", require_reason, raw.get("closed_reason"), "", "The reason for closing")
    if on is not None and on > date.today():
        problems.add(where, "closed_on", "a case cannot be closed on a date in the future.")
        return None
    return (on, why) if on is not None and why is not None else None


def _plan_people(
    problems: _Problems, where: str, raw_people: Any
) -> tuple[list[tuple[str | None, PersonDetails]], set[str]]:
    planned: list[tuple[str | None, PersonDetails]] = []
    keys: set[str] = set()
    if not isinstance(raw_people, list):
        problems.add(where, "people", "must be a list.")
        return planned, keys
    for i, raw in enumerate(raw_people):
        path = f"people[{i}]"
        if not isinstance(raw, dict):
            problems.add(where, path, "each person must be a JSON object.")
            continue
        _unknown_keys(problems, where, f"{path}.", raw, _PERSON_KEYS)
        key = raw.get("key")
        if key is not None:
            key = problems.check(where, f"{path}.key", require_line, key, "", "The person's key", max_chars=100)
            if key is not None and key in keys:
                problems.add(where, f"{path}.key", f"the key '{key}' is used by another person on this case.")
            elif key is not None:
                keys.add(key)
        protect = raw.get("protect_identity", False)
        if not isinstance(protect, bool):
            problems.add(where, f"{path}.protect_identity", "must be true or false.")
            continue
        details = PersonDetails(
            name=raw.get("name"),  # type: ignore[arg-type]  # checked below
            relationship=raw.get("relationship"),  # type: ignore[arg-type]
            contact=raw.get("contact", "") if raw.get("contact") is not None else "",
            protect_identity=protect,
            protect_reason=raw.get("protect_reason", "") if raw.get("protect_reason") is not None else "",
        )
        try:
            planned.append((key, validate_person_details(details)))
        except ValidationError as exc:
            problems.add(where, f"{path}.{exc.field or 'name'}", exc.message)
    return planned, keys


def _plan_notes(problems: _Problems, where: str, raw_notes: Any, keys: set[str]) -> list[tuple[NoteInput, str | None]]:
    planned: list[tuple[NoteInput, str | None]] = []
    if not isinstance(raw_notes, list):
        problems.add(where, "notes", "must be a list.")
        return planned
    for i, raw in enumerate(raw_notes):
        path = f"notes[{i}]"
        if not isinstance(raw, dict):
            problems.add(where, path, "each note must be a JSON object.")
            continue
        _unknown_keys(problems, where, f"{path}.", raw, _NOTE_KEYS)
        if raw.get("author") is None:
            problems.add(where, f"{path}.author", "who wrote the note is needed.")
            continue
        source = raw.get("source", SOURCE_NOT_STATED)
        reporter_key: str | None = None
        reporter_name = ""
        reported_by = raw.get("reported_by")
        if reported_by is not None:
            if not isinstance(reported_by, dict) or set(reported_by) not in ({"person"}, {"name"}):
                problems.add(
                    where, f"{path}.reported_by", 'must be {"person": "<a person\'s key>"} or {"name": "<who>"}.'
                )
                continue
            if "person" in reported_by:
                reporter_key = reported_by["person"]
                if not isinstance(reporter_key, str) or reporter_key not in keys:
                    problems.add(where, f"{path}.reported_by.person", "no person on this case has that key.")
                    continue
            else:
                reporter_name = reported_by["name"]
            if "source" not in raw:
                source = SOURCE_REPORTED
        category = raw.get("category")
        note = NoteInput(
            occurred_at=raw.get("occurred_at"),  # type: ignore[arg-type]  # checked below
            text=raw.get("text"),  # type: ignore[arg-type]
            category=DEFAULT_CATEGORY if category is None else category,
            source=source,
            source_person_id=0 if reporter_key is not None else None,  # the real id is known once saved
            source_name=reporter_name,
            author=raw.get("author"),
        )
        try:
            validate_note_input(note, default_author="")
        except ValidationError as exc:
            problems.add(where, f"{path}.{exc.field or 'text'}", exc.message)
            continue
        planned.append((note, reporter_key))
    return planned


def import_data(vault: OpenVault, data: Any, *, file_sha256: str = "") -> ImportSummary:
    """Validate, then import everything in one transaction (or nothing)."""
    actor = vault.info.owner_name
    with case_records.recording(vault, "importing") as conn:
        planned = plan_import(conn, data)
        case_ids: list[int] = []
        people = notes = 0
        for item in planned:
            case_id = case_records.create_case_in(conn, item.details, actor=actor, opened_on=item.opened_on)
            case_ids.append(case_id)
            person_ids: dict[str, int] = {}
            for key, person in item.people:
                person_id = case_records.add_person_in(conn, case_id, person, actor=actor)
                if key is not None:
                    person_ids[key] = person_id
                people += 1
            for note, reporter_key in item.notes:
                if reporter_key is not None:
                    note = replace(note, source_person_id=person_ids[reporter_key])
                case_records.record_note_in(conn, case_id, note, actor=actor, via="import")
                notes += 1
            if item.closing is not None:
                case_records.close_case_in(
                    conn, case_id, reason=item.closing[1], closed_on=item.closing[0], actor=actor
                )
        audit.append_event(
            conn,
            "import.completed",
            actor=actor,
            details={"cases": len(case_ids), "people": people, "notes": notes, "file_sha256": file_sha256},
        )
    return ImportSummary(len(case_ids), people, notes, tuple(case_ids), file_sha256)


def import_file(vault: OpenVault, path: Path) -> ImportSummary:
    """Read, validate and import a JSON file: all of it or nothing."""
    data, digest = read_import_file(path)
    return import_data(vault, data, file_sha256=digest)
