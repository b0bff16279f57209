"""Case records as plain data, and the rules a record must meet before it is stored.

No SQL and no Qt here: the store turns rows into these dataclasses, the services check
input with the ``validate_*`` functions, and the screens read the constants (categories,
sources, suggested relationships, limits) to build their forms. Every rule raises a
``ValidationError`` whose ``field`` names what to fix and whose message says how, in
words a practitioner would use.

Two deliberate choices, written down because they are arguable:

* **Control characters are refused, not stripped.** A note is a record that may be read
  in court; silently changing what someone wrote or imported is worse than asking them
  to fix it. A NUL or other C0 control character cannot be typed, so it comes from
  pasted or imported data, and a file full of NULs is usually in the wrong encoding
  (UTF-16 read as UTF-8): refusing catches that. Tab, line feed, carriage return,
  vertical tab (Word's line break) and form feed (PDF page breaks) are ordinary text and
  are kept. ``remove_control_characters`` lets a screen offer a one-click fix. The
  refused characters include ``\\x02``/``\\x03``, which search uses as highlight markers.
* **Times are stored in UTC.** ``occurred_at`` is an ISO-8601 string in UTC
  (``YYYY-MM-DDTHH:MM:SS+00:00``) so that every kind of dated record sorts the same way
  in the chronology. A time without a zone means local time on this computer; a date
  without a time means local midnight. Screens show times in local time.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from desktop_app.domain.guidance import CONCERN_CATEGORIES, GENERAL_WELFARE, ConcernCategory
from desktop_app.errors import ValidationError

# --- limits -------------------------------------------------------------------------

MB = 1024 * 1024
MAX_NOTE_BYTES = 5 * MB  # UTF-8 bytes; a long typed-up interview is well under 1 MB
MAX_ATTACHMENT_BYTES = 25 * MB  # photos, scanned letters; larger files belong elsewhere
MAX_REFERENCE_CHARS = 64
MAX_NAME_CHARS = 200
MAX_SHORT_TEXT_CHARS = 2_000  # contact details, reasons, descriptions
MAX_IDENTIFIERS = 20
PREVIEW_CHARS = 160  # what lists show instead of the full body
EARLIEST_DATE = date(1900, 1, 1)
FUTURE_TOLERANCE = timedelta(minutes=5)  # clocks drift; hours ahead is a typing slip
PRE_BIRTH_LIMIT = timedelta(days=300)  # pre-birth cases carry an expected date of birth

# --- categories of concern ----------------------------------------------------------

# The forms of abuse and neglect in the 2024 advice, plus "general welfare", come from
# desktop_app.domain.guidance so the list and its citations live in one place.
CATEGORIES: tuple[ConcernCategory, ...] = CONCERN_CATEGORIES
DEFAULT_CATEGORY = GENERAL_WELFARE.code
_CATEGORY_BY_CODE = {c.code: c for c in CATEGORIES}


def category_label(code: str) -> str:
    """The label to show for a stored code (an unknown code is shown as it is)."""
    found = _CATEGORY_BY_CODE.get(code)
    return found.label if found else code


def parse_category(value: str, field_name: str = "category") -> str:
    """A category code from a code or a label, ignoring case and surrounding spaces."""
    wanted = " ".join(value.split()).casefold()
    for category in CATEGORIES:
        if wanted in (category.code.casefold(), category.label.casefold()):
            return category.code
    raise ValidationError(
        f"'{value}' is not a category of concern this application knows.",
        field=field_name,
        advice="Use one of: " + ", ".join(c.code for c in CATEGORIES) + ".",
    )


# --- sources of information ---------------------------------------------------------

SOURCE_OBSERVED = "observed"
SOURCE_DISCLOSED = "disclosed_by_child"
SOURCE_REPORTED = "reported"
SOURCE_NOT_STATED = "not_stated"  # imported records that did not say; never a default in forms
SOURCES: dict[str, str] = {
    SOURCE_OBSERVED: "Observed by the author",
    SOURCE_DISCLOSED: "Disclosed by the child",
    SOURCE_REPORTED: "Reported by someone else",
    SOURCE_NOT_STATED: "Source not recorded",
}

# Suggestions for the relationship box; free text is accepted because families are not
# a fixed list ("mum's partner", "foster carer's son").
RELATIONSHIPS: tuple[str, ...] = (
    "Parent",
    "Step-parent",
    "Carer",
    "Foster carer",
    "Sibling",
    "Grandparent",
    "Other relative",
    "Parent's partner",
    "Other adult in the household",
    "Other adult",
    "Friend",
    "Neighbour",
    "Professional",
    "Other",
)

# --- statuses and flags -------------------------------------------------------------

CASE_OPEN = "open"
CASE_CLOSED = "closed"

MARK_IN_ERROR = "in_error"  # recorded in error
MARK_WRONG_CASE = "wrong_case"  # recorded against the wrong case
MARK_KINDS: dict[str, str] = {
    MARK_IN_ERROR: "Recorded in error",
    MARK_WRONG_CASE: "Recorded against the wrong case",
}

# Flags carried by notes, search hits and chronology entries; screens show each one as
# text and an icon. ``protected`` means a person whose identity must be protected
# (golden rule 5) is the source of the record.
FLAG_AMENDED = "amended"
FLAG_PROTECTED = "protected"
FLAG_ATTACHMENTS = "attachments"
FLAG_LABELS: dict[str, str] = {
    FLAG_AMENDED: "Amended",
    MARK_IN_ERROR: MARK_KINDS[MARK_IN_ERROR],
    MARK_WRONG_CASE: MARK_KINDS[MARK_WRONG_CASE],
    FLAG_PROTECTED: "Involves a protected person",
    FLAG_ATTACHMENTS: "Has attachments",
}


def split_flags(text: str | None) -> tuple[str, ...]:
    """Flags travel through SQL as one comma-separated string."""
    return tuple(part for part in (text or "").split(",") if part)


# --- records ------------------------------------------------------------------------


@dataclass(frozen=True)
class CaseDetails:
    """What a person fills in to open or edit a case."""

    reference: str
    subject_name: str
    subject_date_of_birth: date | None = None
    subject_identifiers: dict[str, str] = field(default_factory=dict)  # e.g. {"UPN": "…"}
    key_worker: str = ""


@dataclass(frozen=True)
class Case:
    id: int
    reference: str
    subject_name: str
    subject_date_of_birth: date | None
    subject_identifiers: dict[str, str]
    key_worker: str
    status: str  # CASE_OPEN or CASE_CLOSED
    closed_on: date | None
    closed_reason: str
    created_at: str
    updated_at: str

    @property
    def is_open(self) -> bool:
        return self.status == CASE_OPEN


@dataclass(frozen=True)
class CaseSummary:
    """A case as a list shows it: no note bodies, just how much there is and how recent."""

    case: Case
    note_count: int
    last_occurred_at: str | None


@dataclass(frozen=True)
class PersonDetails:
    name: str
    relationship: str
    contact: str = ""
    protect_identity: bool = False
    protect_reason: str = ""


@dataclass(frozen=True)
class Person:
    id: int
    case_id: int
    name: str
    relationship: str
    contact: str
    protect_identity: bool
    protect_reason: str
    created_at: str
    updated_at: str


@dataclass(frozen=True)
class NoteInput:
    """The fields of a note as written: used to record a note and to amend one."""

    occurred_at: datetime | date | str
    text: str
    category: str = DEFAULT_CATEGORY
    source: str = SOURCE_OBSERVED
    source_person_id: int | None = None  # who reported it, when they are on the case
    source_name: str = ""  # who reported it, when they are not
    author: str | None = None  # None: the vault's practitioner


@dataclass(frozen=True)
class NoteMark:
    kind: str  # MARK_IN_ERROR or MARK_WRONG_CASE
    reason: str
    marked_at: str
    marked_by: str


@dataclass(frozen=True)
class NoteRevision:
    """One saved version of a note. Revision 1 is the original; later ones are
    amendments, each with the reason for it. Revisions are never changed or removed."""

    id: int
    note_id: int
    revision: int
    occurred_at: str
    category: str
    source: str
    source_person_id: int | None
    source_name: str
    text: str
    reason: str  # empty for the original
    author: str
    recorded_at: str

    @property
    def is_original(self) -> bool:
        return self.revision == 1


@dataclass(frozen=True)
class Note:
    """A note as it reads now (its latest revision), with how it got there."""

    id: int
    case_id: int
    author: str  # who wrote the original
    recorded_at: str  # when the original was saved (automatic)
    current: NoteRevision
    mark: NoteMark | None
    moved_from_note_id: int | None  # set on the copy made when a note was on the wrong case
    moved_to_note_id: int | None  # set on the original that was moved
    flags: tuple[str, ...]

    @property
    def text(self) -> str:
        return self.current.text

    @property
    def occurred_at(self) -> str:
        return self.current.occurred_at

    @property
    def category(self) -> str:
        return self.current.category

    @property
    def revision_count(self) -> int:
        return self.current.revision

    @property
    def is_amended(self) -> bool:
        return self.current.revision > 1


@dataclass(frozen=True)
class Attachment:
    id: int
    case_id: int
    note_id: int | None
    filename: str
    media_type: str
    size: int
    sha256: str
    description: str
    added_at: str
    added_by: str
    marked_reason: str  # empty unless marked in error
    marked_at: str | None

    @property
    def in_error(self) -> bool:
        return self.marked_at is not None


@dataclass(frozen=True)
class Draft:
    """An unsaved note, kept encrypted in the vault while it is typed."""

    id: int
    case_id: int | None
    note_id: int | None  # set when the draft is an amendment of this note
    text: str
    fields: dict[str, str]  # the other form fields as typed (occurred_at, category, …)
    created_at: str
    updated_at: str


@dataclass(frozen=True)
class SearchHit:
    """One note found by search. ``snippet`` marks each matched term as
    ``SNIPPET_START`` + term + ``SNIPPET_END`` (``\\x02`` and ``\\x03``)."""

    note_id: int
    case_id: int
    case_reference: str
    occurred_at: str
    category: str
    snippet: str
    flags: tuple[str, ...]


SNIPPET_START = "\x02"
SNIPPET_END = "\x03"
SNIPPET_ELLIPSIS = "…"


@dataclass(frozen=True)
class ChronologyEntry:
    """One dated event of a case: a note, an attachment, a status change, and later
    decisions, requests and emergency shares."""

    case_id: int
    occurred_at: str
    recorded_at: str
    kind: str
    item_id: int
    title: str
    summary: str
    flags: tuple[str, ...]


@dataclass(frozen=True)
class ChronologyCursor:
    """Where a chronology page ended: pass it as ``after=`` for the next (older) page."""

    occurred_at: str
    kind: str
    item_id: int


@dataclass(frozen=True)
class ChronologyPage:
    entries: list[ChronologyEntry]
    total: int  # entries in the whole chronology of the case (for the chosen kinds); -1 if not counted
    next_cursor: ChronologyCursor | None  # None on the last page


# --- validation ---------------------------------------------------------------------

# Refused: C0 controls other than tab, LF, VT, FF, CR; DEL; lone surrogates (they cannot
# be stored as UTF-8).
_REFUSED_CONTROL = re.compile("[\x00-\x08\x0e-\x1f\x7f\ud800-\udfff]")


def remove_control_characters(text: str) -> str:
    """The text without the characters ``check_text`` refuses, for a screen's "fix it"."""
    return _REFUSED_CONTROL.sub("", text)


def check_text(text: object, field_name: str, what: str, *, max_bytes: int | None = None) -> str:
    """Refuse non-text, hidden control characters and over-long text; return it unchanged."""
    if text is None:
        raise ValidationError(f"{what} is needed.", field=field_name)
    if not isinstance(text, str):
        raise ValidationError(f"{what} must be text.", field=field_name)
    found = _REFUSED_CONTROL.search(text)
    if found:
        char = found.group()
        name = "a NUL character" if char == "\x00" else f"a hidden control character (U+{ord(char):04X})"
        raise ValidationError(
            f"{what} contains {name}, which cannot be part of a record.",
            field=field_name,
            advice="This usually comes from pasted or imported text in the wrong encoding. "
            "Remove it (the form can do this for you) and save again; nothing has been saved yet.",
        )
    if max_bytes is not None and len(text) * 4 > max_bytes:  # cheap test first
        size = len(text.encode("utf-8"))
        if size > max_bytes:
            raise ValidationError(
                f"{what} is {size / MB:.1f} MB; the most a single note can hold is {max_bytes // MB} MB.",
                field=field_name,
                advice="Split it into several notes, or add the document as an attachment. Nothing has been saved yet.",
            )
    return text


def require_line(value: object, field_name: str, what: str, *, max_chars: int = MAX_NAME_CHARS) -> str:
    """A required single line of text: trimmed, not blank, not too long."""
    text = check_text(value, field_name, what).strip()
    if not text:
        raise ValidationError(f"{what} is needed.", field=field_name)
    return optional_line(text, field_name, what, max_chars=max_chars)


def optional_line(value: object, field_name: str, what: str, *, max_chars: int = MAX_NAME_CHARS) -> str:
    text = check_text(value, field_name, what).strip()
    if "\n" in text or "\r" in text:
        raise ValidationError(f"{what} must be on one line.", field=field_name)
    if len(text) > max_chars:
        raise ValidationError(f"{what} is too long (at most {max_chars} characters).", field=field_name)
    return text


def optional_text(value: object, field_name: str, what: str, *, max_chars: int = MAX_SHORT_TEXT_CHARS) -> str:
    """Optional free text that may span lines (contact details, descriptions)."""
    text = check_text(value, field_name, what).strip()
    if len(text) > max_chars:
        raise ValidationError(f"{what} is too long (at most {max_chars} characters).", field=field_name)
    return text


def require_reason(value: object, field_name: str = "reason", what: str = "The reason") -> str:
    """Amendments and marks need a reason a reader can understand later."""
    text = optional_text(value, field_name, what)
    if not text:
        raise ValidationError(
            f"{what} is needed: say why, so that anyone reading the record later understands.",
            field=field_name,
        )
    return text


def parse_date(value: object, field_name: str, what: str) -> date:
    """A calendar date from a ``date`` or ``YYYY-MM-DD`` text."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value.strip()):
                return date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise ValidationError(f"{what} must be a date written as YYYY-MM-DD, for example 2024-03-07.", field=field_name)


def utc_text(value: object, field_name: str = "occurred_at") -> str:
    """A moment as UTC text (``YYYY-MM-DDTHH:MM:SS+00:00``) from a ``datetime`` (naive
    means local time), a ``date`` (local midnight) or ISO-8601 text of either."""
    moment: datetime
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, date):
        moment = datetime.combine(value, time())
    elif isinstance(value, str) and value.strip():
        raw = value.strip()
        try:
            if re.fullmatch(r"\d{4}-\d{2}-\d{2}", raw):
                moment = datetime.combine(date.fromisoformat(raw), time())
            else:
                moment = datetime.fromisoformat(raw.replace("Z", "+00:00").replace("z", "+00:00"))
        except ValueError:
            raise ValidationError(
                f"'{raw[:40]}' is not a date and time this application can read.",
                field=field_name,
                advice="Write it as ISO 8601, for example 2024-03-07T14:30 or 2024-03-07T14:30:00+00:00.",
            ) from None
    elif value is None or (isinstance(value, str) and not value.strip()):
        raise ValidationError("When it happened is needed (a date, or a date and time).", field=field_name)
    else:
        raise ValidationError(
            "A date and time must be written as text, for example 2024-03-07T14:30.", field=field_name
        )
    if moment.year < EARLIEST_DATE.year:
        raise ValidationError("That date is before 1900; please check the year.", field=field_name)
    try:
        if moment.tzinfo is None:
            moment = moment.astimezone()  # naive: this computer's local time
        return moment.astimezone(UTC).replace(microsecond=0).isoformat()
    except (OverflowError, ValueError):
        raise ValidationError("That date is out of range; please check the year.", field=field_name) from None


def occurred_at_text(value: object, field_name: str = "occurred_at", *, now: datetime | None = None) -> str:
    """When something happened, as UTC text (see ``utc_text``), refusing the future
    beyond a few minutes' clock drift: a note records what has happened, and "2204" is a
    typing slip."""
    text = utc_text(value, field_name)
    current = now or datetime.now(UTC)
    if datetime.fromisoformat(text) > current + FUTURE_TOLERANCE:
        raise ValidationError(
            "That time is in the future. A note records something that has already happened.",
            field=field_name,
            advice="Check the date and time, including the year.",
        )
    return text


def date_to_occurred_at(day: date) -> str:
    """A date as an ``occurred_at`` value (local midnight, in UTC), for dated records
    that have no time of day, such as a case closing."""
    return datetime.combine(day, time()).astimezone().astimezone(UTC).isoformat()


def make_preview(text: str) -> str:
    """The start of a text on one line, for lists and the chronology."""
    head = " ".join(text[: PREVIEW_CHARS * 4].split())
    return head if len(head) <= PREVIEW_CHARS else head[: PREVIEW_CHARS - 1].rstrip() + "…"


def validate_case_details(details: CaseDetails, *, today: date | None = None) -> CaseDetails:
    """The details, tidied (trimmed), or a ValidationError naming the field to fix."""
    reference = require_line(details.reference, "reference", "The case reference", max_chars=MAX_REFERENCE_CHARS)
    name = require_line(details.subject_name, "subject_name", "The child or young person's name")
    dob = details.subject_date_of_birth
    if dob is not None:
        dob = parse_date(dob, "subject_date_of_birth", "The date of birth")
        current = today or date.today()
        if dob < EARLIEST_DATE:
            raise ValidationError("That date of birth is before 1900; please check the year.", "subject_date_of_birth")
        if dob > current + PRE_BIRTH_LIMIT:
            raise ValidationError(
                "That date of birth is too far in the future. For a pre-birth case, enter the expected date.",
                "subject_date_of_birth",
            )
    if not isinstance(details.subject_identifiers, Mapping):
        raise ValidationError("Other identifiers must be pairs of a label and a value.", "subject_identifiers")
    if len(details.subject_identifiers) > MAX_IDENTIFIERS:
        raise ValidationError(f"At most {MAX_IDENTIFIERS} other identifiers can be kept.", "subject_identifiers")
    identifiers: dict[str, str] = {}
    for label, value in details.subject_identifiers.items():
        clean_label = require_line(label, "subject_identifiers", "An identifier's label", max_chars=60)
        identifiers[clean_label] = require_line(
            value, f"subject_identifiers.{clean_label}", f"The value of '{clean_label}'"
        )
    key_worker = optional_line(details.key_worker, "key_worker", "The key worker")
    return CaseDetails(reference, name, dob, identifiers, key_worker)


def validate_person_details(details: PersonDetails) -> PersonDetails:
    name = require_line(details.name, "name", "The person's name")
    relationship = require_line(details.relationship, "relationship", "The relationship or role", max_chars=100)
    contact = optional_text(details.contact, "contact", "The contact details")
    if not isinstance(details.protect_identity, bool):
        raise ValidationError("'Protect identity' must be yes or no (true or false).", "protect_identity")
    reason = optional_text(details.protect_reason, "protect_reason", "The reason for protecting this person")
    if details.protect_identity and not reason:
        raise ValidationError(
            "Say why this person's identity must be protected (for example, they might be harmed "
            "if their details reached an abuser). Golden rule 5.",
            "protect_reason",
        )
    return PersonDetails(
        name, relationship, contact, details.protect_identity, reason if details.protect_identity else ""
    )


@dataclass(frozen=True)
class ValidNote:
    """A note's fields after validation, ready to store."""

    occurred_at: str
    category: str
    source: str
    source_person_id: int | None
    source_name: str
    text: str
    author: str
    preview: str


def validate_note_input(note: NoteInput, *, default_author: str, now: datetime | None = None) -> ValidNote:
    text = check_text(note.text, "text", "The note", max_bytes=MAX_NOTE_BYTES)
    if not text.strip():
        raise ValidationError("The note is empty. Write what happened before saving.", "text")
    occurred = occurred_at_text(note.occurred_at, now=now)
    if not isinstance(note.category, str) or not note.category.strip():
        raise ValidationError("Choose a category of concern.", "category")
    category = parse_category(note.category)
    if note.source not in SOURCES:
        raise ValidationError(
            "Choose where the information came from: " + ", ".join(SOURCES.values()).lower() + ".",
            "source",
        )
    source_name = optional_line(note.source_name, "source_name", "Who reported it")
    person_id = note.source_person_id
    if person_id is not None and (not isinstance(person_id, int) or isinstance(person_id, bool)):
        raise ValidationError("The person who reported it is not recognised.", "source_person_id")
    if note.source == SOURCE_REPORTED and person_id is None and not source_name:
        raise ValidationError("Say who reported it: choose a person on the case or type their name.", "source_name")
    if note.source != SOURCE_REPORTED and (person_id is not None or source_name):
        raise ValidationError("A person who reported it only applies when the source is 'reported'.", "source")
    author = require_line(note.author if note.author is not None else default_author, "author", "The author")
    return ValidNote(occurred, category, note.source, person_id, source_name, text, author, make_preview(text))


# --- protected people in text ---------------------------------------------------------


class MentionFinder:
    """Finds where people's names occur in text: (start, end, person_id) spans, in order
    and not overlapping, so a screen can mark them and an export can redact them.

    Matches whole words, ignoring case; a person's full name and each part of it of three
    letters or more are looked for, since notes often say "Sam" for "Sam Smith". One
    pattern serves every text, which matters when a case's thousands of notes are checked
    after a person is added. A name part shared by two people is credited to the first.
    """

    def __init__(self, people: Sequence[Person]) -> None:
        self._owner: dict[str, int] = {}
        for person in people:
            for part in {person.name.strip()} | {p for p in person.name.split() if len(p) >= 3}:
                if part:
                    self._owner.setdefault(part.casefold(), person.id)
        alternatives = sorted(self._owner, key=len, reverse=True)  # the longest name wins
        self._pattern = (
            re.compile(r"(?<!\w)(?:" + "|".join(re.escape(a) for a in alternatives) + r")(?!\w)", re.IGNORECASE)
            if alternatives
            else None
        )

    def find(self, text: str) -> list[tuple[int, int, int]]:
        if self._pattern is None:
            return []
        spans = []
        for found in self._pattern.finditer(text):
            owner = self._owner.get(found.group().casefold())
            if owner is not None:
                spans.append((found.start(), found.end(), owner))
        return spans


def mentions(text: str, people: Sequence[Person]) -> list[tuple[int, int, int]]:
    """Where these people's names occur in ``text`` (see ``MentionFinder``)."""
    return MentionFinder(people).find(text)


def protected_mentions(text: str, people: Sequence[Person]) -> list[tuple[int, int, int]]:
    """Where people whose identity must be protected (golden rule 5) are named in ``text``."""
    return mentions(text, [p for p in people if p.protect_identity])


# -- history of a case's details ------------------------------------------------------

# The details a change can touch, in the order they are shown, with their names.
CASE_DETAIL_LABELS: Mapping[str, str] = {
    "reference": "Reference",
    "subject_name": "Name",
    "subject_date_of_birth": "Date of birth",
    "subject_identifiers": "Other identifiers",
    "key_worker": "Key worker",
}
DETAIL_FIELDS = tuple(CASE_DETAIL_LABELS)


@dataclass(frozen=True)
class CaseDetailChange:
    """One change to a case's details: what each changed field said before and after
    (dates as ``YYYY-MM-DD``, identifiers as a mapping), who changed it, when and why."""

    id: int
    case_id: int
    fields: tuple[str, ...]
    before: dict[str, object]
    after: dict[str, object]
    reason: str
    occurred_at: str
    recorded_at: str
    recorded_by: str


def detail_values(details: Case | CaseDetails) -> dict[str, object]:
    """The details as plain values, as the history keeps them."""
    dob = details.subject_date_of_birth
    return {
        "reference": details.reference,
        "subject_name": details.subject_name,
        "subject_date_of_birth": dob.isoformat() if dob else None,
        "subject_identifiers": dict(details.subject_identifiers),
        "key_worker": details.key_worker,
    }


def case_detail_value_text(field_name: str, value: object) -> str:
    """A value from the history of a case's details, as a person reads it (used by the
    case details screen and by the subject access export, so both say the same)."""
    if value in (None, "", {}):
        return "(none)"
    if field_name == "subject_date_of_birth" and isinstance(value, str):
        try:
            return date.fromisoformat(value).strftime("%d %b %Y")
        except ValueError:
            return value
    if isinstance(value, Mapping):
        return "; ".join(f"{label}: {text}" for label, text in value.items())
    return str(value)


def case_detail_change_lines(
    fields_changed: Sequence[str], before: Mapping[str, object], after: Mapping[str, object]
) -> list[str]:
    """``Label: before → after`` for each changed detail."""
    return [
        f"{CASE_DETAIL_LABELS.get(name, name.replace('_', ' '))}: "
        f"{case_detail_value_text(name, before.get(name))} → {case_detail_value_text(name, after.get(name))}"
        for name in fields_changed
    ]
