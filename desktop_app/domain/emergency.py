"""Share now, document later: what an emergency capture holds, and the rules it must meet.

The 2024 advice: "In an emergency where you consider there is a risk of harm to a child,
you should go ahead and share information as is necessary and proportionate ... You must
always document the action you took after the event if you cannot do it at the time,
including recording a clear rationale for your decision." The ICO's step 9 says the same:
share without hesitating, then document what you did.

So the capture asks only for who, what, when, how and why-in-one-line, and refuses
nothing it can do without. Everything else (lawful basis, risk at the time, whether the
family was told and why not, advice sought, the rationale) is asked for later, by the
decision wizard, pre-filled from the capture (``decision_prefill``). Until that decision
is saved, the follow-up stays open; the time rules are in ``domain.follow_up``.

No SQL and no Qt here.
"""

from __future__ import annotations

import json
import re
from collections.abc import Collection
from dataclasses import dataclass, field, fields, replace
from datetime import UTC, date, datetime, time
from typing import Any

from desktop_app.domain import follow_up
from desktop_app.domain import guidance as g
from desktop_app.domain.follow_up import Deadline, FollowUpStatus, Urgency
from desktop_app.domain.records import (
    MAX_REFERENCE_CHARS,
    optional_line,
    optional_text,
    require_line,
    require_reason,
)
from desktop_app.errors import ValidationError

# -- how it was shared -------------------------------------------------------------------

HOW_PHONE = "phone"
HOW_IN_PERSON = "in_person"
HOW_SECURE_EMAIL = "secure_email"
HOW_OTHER = "other"
HOW_OPTIONS: dict[str, str] = {
    HOW_PHONE: "Phone call",
    HOW_IN_PERSON: "In person",
    HOW_SECURE_EMAIL: "Secure email",
    HOW_OTHER: "Other",
}

MAX_WHAT_CHARS = 2_000  # "brief": the full account belongs in the write-up and the notes
MAX_WHY_CHARS = 300  # one line
SUMMARY_CHARS = 120  # the chronology's preview

# The passages behind the feature, shown in the form and the docs.
CITATIONS = (g.HM_EMERGENCY_SHARE, g.HM_EMERGENCY_DOCUMENT, g.ICO_STEP_9_EMERGENCY)

# Where the concern level comes from when the write-up starts: an emergency is, by
# definition, the wizard's "immediate risk".
EMERGENCY_CONCERN = "immediate_risk"


def how_label(code: str) -> str:
    return HOW_OPTIONS.get(code, code)


def parse_how(value: object) -> str:
    """A 'how' code from a code or a label ("phone", "Phone call", "in person", "IN_PERSON")."""
    if isinstance(value, str):
        wanted = " ".join(value.replace("_", " ").replace("-", " ").split()).casefold()
        for code, label in HOW_OPTIONS.items():
            if wanted in (code.replace("_", " "), label.casefold()):
                return code
        if wanted in ("phone", "telephone", "call"):
            return HOW_PHONE
        if wanted in ("email", "e mail", "secure e mail"):
            return HOW_SECURE_EMAIL
    raise ValidationError(
        "Say how it was shared: " + ", ".join(label.lower() for label in HOW_OPTIONS.values()) + ".",
        field="how",
        advice="On the command line use one of: " + ", ".join(HOW_OPTIONS) + ".",
    )


# -- the capture -------------------------------------------------------------------------


@dataclass(frozen=True)
class NewCase:
    """A case opened on the spot: only the reference and the child's name."""

    reference: str
    child_name: str


@dataclass(frozen=True)
class EmergencyCapture:
    """What the practitioner enters in the emergency form (or on the command line).

    ``case_id`` is the existing case, or None when a ``NewCase`` is given alongside.
    ``shared_at`` defaults to now; a naive datetime means this computer's local time.
    """

    case_id: int | None
    shared_with_organisation: str = ""
    shared_with_person: str = ""
    shared_with_contact: str = ""
    how: str = ""
    what: str = ""
    why: str = ""
    shared_at: datetime | None = None


@dataclass(frozen=True)
class ValidCapture:
    """A capture after validation: trimmed text, a 'how' code and an aware UTC time."""

    shared_with_organisation: str
    shared_with_person: str
    shared_with_contact: str
    how: str
    what: str
    why: str
    shared_at: datetime  # UTC, whole seconds


def validate_new_case(new_case: NewCase) -> NewCase:
    reference = require_line(new_case.reference, "reference", "The case reference", max_chars=MAX_REFERENCE_CHARS)
    name = require_line(new_case.child_name, "child_name", "The child or young person's name")
    return NewCase(reference, name)


def validate_capture(capture: EmergencyCapture, *, now: datetime) -> ValidCapture:
    """The capture, tidied, or a ValidationError whose ``field`` names what to fix.

    Required: who it was shared with (an organisation or a person, or both), how, what
    and why. Optional: a contact for them. When: now, or earlier, never in the future.
    """
    organisation = optional_line(capture.shared_with_organisation, "shared_with_organisation", "The organisation")
    person = optional_line(capture.shared_with_person, "shared_with_person", "The person")
    contact = optional_line(capture.shared_with_contact, "shared_with_contact", "Their contact details")
    if not organisation and not person:
        raise ValidationError(
            "Say who it was shared with: the organisation, the person, or both.",
            field="shared_with_organisation",
        )
    if not isinstance(capture.how, str) or not capture.how.strip():
        raise ValidationError(
            "Say how it was shared: " + ", ".join(label.lower() for label in HOW_OPTIONS.values()) + ".",
            field="how",
        )
    how = parse_how(capture.how)
    what = optional_text(capture.what, "what", "What was shared", max_chars=MAX_WHAT_CHARS)
    if not what:
        raise ValidationError("Say briefly what was shared.", field="what")
    why = require_line(capture.why, "why", "Why it was shared", max_chars=MAX_WHY_CHARS)
    shared_at = capture.shared_at if capture.shared_at is not None else now
    if not isinstance(shared_at, datetime):
        raise ValidationError("When it was shared must be a date and time.", field="shared_at")
    if shared_at.tzinfo is None or shared_at.utcoffset() is None:
        shared_at = shared_at.astimezone()  # naive: this computer's local time
    checked = follow_up.check_shared_at(shared_at, now)
    return ValidCapture(organisation, person, contact, how, what, why, checked.replace(microsecond=0))


def validate_in_error_reason(reason: object) -> str:
    return require_reason(reason, "reason", "The reason it was recorded in error")


def describe_recipient(organisation: str, person: str, contact: str = "") -> str:
    """Who, in whatever parts there are: "Person (Organisation), contact"."""
    if organisation and person:
        who = f"{person} ({organisation})"
    else:
        who = organisation or person
    return f"{who}, {contact}" if contact else who


def make_summary(what: str, why: str) -> str:
    """The chronology's one-line preview: why, then what."""
    text = " ".join(f"{why} — {what}".split())
    return text if len(text) <= SUMMARY_CHARS else text[: SUMMARY_CHARS - 1].rstrip() + "…"


# -- a capture not yet recorded -------------------------------------------------------------

# What typing is kept, per field. Generous (nothing typed should be lost) but bounded,
# so a runaway paste cannot fill the vault every few seconds.
MAX_KEPT_LINE_BYTES = 64 * 1024
MAX_KEPT_WHAT_BYTES = 256 * 1024
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")
_KEPT_TEXT_FIELDS = (
    "new_reference",
    "new_child",
    "shared_with_organisation",
    "shared_with_person",
    "shared_with_contact",
    "how",
    "what",
    "why",
)


@dataclass(frozen=True)
class UnfinishedCapture:
    """What was typed in the emergency form but not yet recorded.

    The form keeps it, encrypted in the vault, a few seconds after each change and when
    the vault locks (the form is destroyed with everything else that shows a record), and
    it is offered back after unlock. It is not a record: nothing is checked beyond what
    can be stored, so nothing typed is lost, and it goes when the share is recorded (in
    the same transaction) or the practitioner closes the form and chooses to lose it.

    ``token`` names one kept capture (each form keeps its own, so two can never
    overwrite each other); "" until first kept. ``case_id`` is the case chosen, or None;
    ``new_case`` means "New case" was chosen (with ``new_reference``/``new_child``).
    ``shared_at`` is the time in the form (UTC), ``kept_at`` when it was last kept.
    """

    token: str = ""
    case_id: int | None = None
    new_case: bool = False
    new_reference: str = ""
    new_child: str = ""
    shared_with_organisation: str = ""
    shared_with_person: str = ""
    shared_with_contact: str = ""
    how: str = ""
    what: str = ""
    why: str = ""
    shared_at: datetime | None = None
    kept_at: datetime | None = None

    @classmethod
    def of(cls, capture: EmergencyCapture, new_case: NewCase | None, *, case_id: int | None) -> UnfinishedCapture:
        """What a form holds, as its capture would be recorded, ready to keep. ``case_id`` is
        the case to come back to when none is chosen in the form."""
        return cls(
            case_id=capture.case_id if capture.case_id is not None else case_id,
            new_case=new_case is not None,
            new_reference=new_case.reference if new_case else "",
            new_child=new_case.child_name if new_case else "",
            shared_with_organisation=capture.shared_with_organisation,
            shared_with_person=capture.shared_with_person,
            shared_with_contact=capture.shared_with_contact,
            how=capture.how,
            what=capture.what,
            why=capture.why,
            shared_at=capture.shared_at,
        )

    @property
    def has_content(self) -> bool:
        """Anything typed (a case chosen or a 'how' picked alone is not worth keeping)."""
        return any(getattr(self, name).strip() for name in _KEPT_TEXT_FIELDS if name != "how")

    @property
    def who(self) -> str:
        return describe_recipient(self.shared_with_organisation.strip(), self.shared_with_person.strip())

    def to_json(self) -> str:
        data: dict[str, object] = {f.name: getattr(self, f.name) for f in fields(self)}
        for name in ("shared_at", "kept_at"):
            moment = getattr(self, name)
            data[name] = follow_up.utc(moment).isoformat() if moment is not None else None
        return json.dumps(data, ensure_ascii=False, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> UnfinishedCapture | None:
        """The kept capture, or None if the stored text cannot be read as one."""
        try:
            data = json.loads(text)
        except (TypeError, ValueError):
            return None
        if not isinstance(data, dict):
            return None
        try:
            values: dict[str, Any] = {name: str(data.get(name) or "") for name in ("token", *_KEPT_TEXT_FIELDS)}
            case_id = data.get("case_id")
            values["case_id"] = case_id if isinstance(case_id, int) and not isinstance(case_id, bool) else None
            values["new_case"] = data.get("new_case") is True
            for name in ("shared_at", "kept_at"):
                raw = data.get(name)
                values[name] = follow_up.utc(datetime.fromisoformat(raw)) if isinstance(raw, str) and raw else None
        except ValueError:
            return None
        return cls(**values)


def check_unfinished(capture: UnfinishedCapture) -> UnfinishedCapture:
    """The capture as it can be stored, or a ValidationError if a field is far too long.

    Text is kept exactly as typed, except that characters that cannot be stored at all
    (lone surrogates from a broken paste) become U+FFFD.
    """
    changed: dict[str, Any] = {}
    for name in _KEPT_TEXT_FIELDS:
        value = getattr(capture, name)
        if not isinstance(value, str):
            raise ValidationError(f"What was typed in the emergency form ({name}) must be text.", field=name)
        limit = MAX_KEPT_WHAT_BYTES if name == "what" else MAX_KEPT_LINE_BYTES
        kept = _LONE_SURROGATE.sub("\ufffd", value)
        if len(kept.encode("utf-8")) > limit:
            raise ValidationError(
                f"What is typed in one field of the emergency form is too long to keep as a draft "
                f"(more than {limit // 1024} KB).",
                field=name,
                advice="Shorten it: the form is for a brief capture; the full account goes in the write-up.",
            )
        if kept != value:
            changed[name] = kept
    for name in ("shared_at", "kept_at"):
        moment = getattr(capture, name)
        if moment is not None and (not isinstance(moment, datetime) or moment.utcoffset() is None):
            raise ValueError(f"{name} must be an aware datetime")
    return replace(capture, **changed) if changed else capture


# -- a stored emergency share --------------------------------------------------------------


@dataclass(frozen=True)
class EmergencyShare:
    """An emergency share and its follow-up, as stored. Times are aware UTC datetimes."""

    id: int
    case_id: int
    case_reference: str
    child_name: str
    shared_with_organisation: str
    shared_with_person: str
    shared_with_contact: str
    how: str
    what: str
    why: str
    shared_at: datetime
    recorded_at: datetime
    recorded_by: str
    deadline_hours: int
    due_at: datetime
    completed_decision_id: int | None = None
    completed_at: datetime | None = None
    completed_by: str | None = None
    in_error_reason: str = ""
    in_error_at: datetime | None = None
    in_error_by: str | None = None

    @property
    def recipient(self) -> str:
        return describe_recipient(self.shared_with_organisation, self.shared_with_person, self.shared_with_contact)

    @property
    def who(self) -> str:
        """Who it was shared with, without the contact details (for lists)."""
        return describe_recipient(self.shared_with_organisation, self.shared_with_person)

    @property
    def how_label(self) -> str:
        return how_label(self.how)

    @property
    def in_error(self) -> bool:
        return self.in_error_at is not None

    @property
    def is_completed(self) -> bool:
        return self.completed_at is not None

    def status(self, now: datetime) -> FollowUpStatus:
        return follow_up.status(due=self.due_at, now=now, completed_at=self.completed_at, in_error=self.in_error)

    def is_open(self, now: datetime) -> bool:
        return self.status(now).is_open

    def urgency(self, now: datetime) -> Urgency:
        return follow_up.urgency(due=self.due_at, now=now)

    def deadline(self, now: datetime) -> Deadline:
        return Deadline(self.due_at, self.status(now))

    def describe_due(self, now: datetime, tz: Any = None) -> str:
        return follow_up.describe_due(self.due_at, now, tz)


def order_open(shares: Collection[EmergencyShare], now: datetime) -> list[EmergencyShare]:
    """Open follow-ups, overdue first (most overdue first), then the soonest due."""
    return sorted(
        (s for s in shares if s.is_open(now)),
        key=lambda s: (*s.deadline(now).sort_key(), s.id),
    )


# -- escalation wording --------------------------------------------------------------------

URGENCY_HEADINGS: dict[Urgency, str] = {
    Urgency.NORMAL: "Write-up needed",
    Urgency.DUE_SOON: "Write-up due soon",
    Urgency.OVERDUE: "Overdue",
    Urgency.LONG_OVERDUE: "Long overdue",
}


def status_text(share: EmergencyShare, now: datetime, tz: Any = None) -> str:
    """The status in words, never relying on colour: "Overdue: overdue by 2 h (was due …)"."""
    state = share.status(now)
    if state.is_open:
        return f"{URGENCY_HEADINGS[share.urgency(now)]}: {share.describe_due(now, tz)}"
    if state is FollowUpStatus.RECORDED_IN_ERROR:
        return state.label
    assert share.completed_at is not None
    when = local_text(share.completed_at, tz)
    return f"{state.label} ({when})"


def reminder_text(share: EmergencyShare, now: datetime, tz: Any = None, *, heading: bool = True) -> str:
    """What the banner and the reminders say about one open follow-up, escalating:
    "Overdue: the write-up of the emergency share with … is overdue by 2 h (…)"."""
    shared = local_text(share.shared_at, tz)
    level = share.urgency(now)
    text = f"the write-up of the emergency share with {share.who} on {shared} is {share.describe_due(now, tz)}."
    if level is Urgency.LONG_OVERDUE:
        text += " Write it up now, or ask your safeguarding lead for help."
    if heading:
        return f"{URGENCY_HEADINGS[level]}: {text}"
    return text[:1].upper() + text[1:]


def notification_text(urgency: Urgency) -> str:
    """A desktop notification: no names or case details, since it can show outside the
    window (on a lock screen, in a notification history)."""
    match urgency:
        case Urgency.DUE_SOON:
            return "An emergency share's write-up is due soon. Open Safeguarding Case Notes to document it."
        case Urgency.OVERDUE:
            return "An emergency share's write-up is now overdue. Open Safeguarding Case Notes to document it."
        case Urgency.LONG_OVERDUE:
            return (
                "An emergency share's write-up is long overdue. Open Safeguarding Case Notes to document it, "
                "or ask your safeguarding lead for help."
            )
        case _:
            return "An emergency share needs writing up."


def locked_notification_text(count: int = 1) -> str:
    """The notification for a deadline that passes while the vault is locked. It names
    no child, case or recipient: it shows over a locked application, and the application
    keeps nothing but the due times while locked, so it could not name them anyway."""
    if count <= 1:
        return "An emergency share's write-up is now overdue. Unlock to document it."
    return f"{count} emergency shares' write-ups are now overdue. Unlock to document them."


def next_escalation(shares: Collection[EmergencyShare], now: datetime) -> datetime | None:
    """The next moment an open follow-up changes urgency (due soon, due, long overdue), for
    arming a timer. None when nothing open will change."""
    moments: list[datetime] = []
    for share in shares:
        if not share.is_open(now):
            continue
        for moment in (
            share.due_at - follow_up.DUE_SOON,
            share.due_at,
            share.due_at + follow_up.LONG_OVERDUE,
        ):
            if moment > now:
                moments.append(moment)
    return min(moments) if moments else None


def local_text(moment: datetime, tz: Any = None) -> str:
    """A stored UTC time as local time for people: "Mon 03 Jun 2024, 14:05"."""
    return follow_up.utc(moment).astimezone(tz).strftime("%a %d %b %Y, %H:%M")


# -- the write-up: pre-filling the decision wizard ------------------------------------------


PREFILL_SOURCE_PREFIX = "emergency:"


def prefill_source(share_id: int) -> str:
    """What a decision record written up from an emergency share stores as its
    ``prefill_source``, so the link can be found again (say after a crash)."""
    return f"{PREFILL_SOURCE_PREFIX}{share_id}"


@dataclass(frozen=True)
class DecisionPrefill:
    """What the decision wizard starts from when an emergency share is written up.

    ``answers`` are wizard answers (keys of ``wizard_flow.QUESTIONS``); ``record`` are
    decision-record fields (names of ``decision_record.DecisionFields``). Only facts the
    capture already holds are filled in: the lawful basis, the risk at the time, whether
    the family was told and why not, advice sought and the rationale are left for the
    practitioner, because they are the judgement the write-up exists to record.
    """

    emergency_share_id: int
    case_id: int
    answers: dict[str, object]
    record: dict[str, str]
    source: str
    shared_at: datetime
    citations: tuple[g.Citation, ...] = field(default=CITATIONS)

    def as_dict(self) -> dict[str, object]:
        return {
            "emergency_share_id": self.emergency_share_id,
            "case_id": self.case_id,
            "answers": dict(self.answers),
            "record": dict(self.record),
            "prefill_source": self.source,
            "shared_at": self.shared_at.isoformat(),
        }


def decision_prefill(share: EmergencyShare, *, organisation_sector: str | None = None) -> DecisionPrefill:
    answers: dict[str, object] = {"concern": EMERGENCY_CONCERN, "purpose": share.why}
    if organisation_sector:
        answers["organisation_sector"] = organisation_sector
    record = {
        "purpose": share.why,
        "what_shared": share.what,
        "recipient_organisation": share.shared_with_organisation,
        "recipient_person": share.shared_with_person,
        "recipient_contact": share.shared_with_contact,
        "recipient_secure_route": share.how_label,
        "decided_at": share.shared_at.isoformat(),
        "decided_by": share.recorded_by,
    }
    return DecisionPrefill(
        share.id,
        share.case_id,
        answers,
        {k: v for k, v in record.items() if v},
        prefill_source(share.id),
        share.shared_at,
    )


# -- oversight -----------------------------------------------------------------------------


@dataclass(frozen=True)
class OversightFilters:
    """Which emergency shares the safeguarding lead's view shows.

    ``statuses``: None for all. ``shared_from``/``shared_to``: local calendar dates,
    inclusive. ``case_id``: None for every case.
    """

    statuses: frozenset[FollowUpStatus] | None = None
    shared_from: date | None = None
    shared_to: date | None = None
    case_id: int | None = None

    def utc_bounds(self, tz: Any = None) -> tuple[datetime | None, datetime | None]:
        """[start, end) in UTC for the local dates (end is the next local midnight)."""
        start = end = None
        if self.shared_from is not None:
            start = _local_midnight(self.shared_from, tz)
        if self.shared_to is not None:
            end = _local_midnight(date.fromordinal(self.shared_to.toordinal() + 1), tz)
        if start is not None and end is not None and end <= start:
            raise ValidationError("The end of the date range is before its start.", field="shared_to")
        return start, end


def _local_midnight(day: date, tz: Any) -> datetime:
    naive = datetime.combine(day, time())
    local = naive.replace(tzinfo=tz) if tz is not None else naive.astimezone()
    return local.astimezone(UTC)


def status_counts(shares: Collection[EmergencyShare], now: datetime) -> dict[FollowUpStatus, int]:
    counts = dict.fromkeys(FollowUpStatus, 0)
    for share in shares:
        counts[share.status(now)] += 1
    return counts
