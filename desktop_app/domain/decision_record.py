"""Information-sharing decision records as plain data, and the rules they must meet.

A decision record joins three things: the practitioner's answers and the rules' cited
outcome (``decision_rules``), the practitioner's *own* decision (``wizard_flow.FinalDecision``,
which may differ from the recommendation), and the record fields golden rule 7 and the
Buckinghamshire code ask for. ``wizard_flow.required_record_fields`` says which fields a
given decision must have; this module checks that they are filled in, so a decision
cannot be saved without them, whichever screen or command saves it. The error names the
missing field in plain words and quotes the passage that requires it.

The module also holds the other records of job 3: requests received from other
agencies (and their reconsiderations), the consent register, and feedback from
recipients ("close the loop"), with the unfinished state of a decision being made.

No SQL and no Qt here. Times are UTC text, as everywhere in the store
(``records.occurred_at_text``); screens show local time.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field, fields, replace
from datetime import datetime
from enum import StrEnum
from typing import Any

from desktop_app.domain import guidance as g
from desktop_app.domain.decision_rules import (
    Answers,
    Article9Condition,
    Concern,
    ConfidentialityGround,
    Consent,
    Inform,
    LawfulBasis,
    Outcome,
    Recommendation,
    RecordField,
)
from desktop_app.domain.guidance import Citation
from desktop_app.domain.records import (
    MAX_NAME_CHARS,
    MAX_SHORT_TEXT_CHARS,
    make_preview,
    occurred_at_text,
    optional_line,
    optional_text,
)
from desktop_app.domain.wizard_flow import (
    ADVICE_SOUGHT_FROM_FIELD,
    FINAL_DECISION_OPTIONS,
    QUESTIONS,
    REASON_DIFFERS_FIELD,
    RECORD_FIELD_LABELS,
    SHARING_DECISIONS,
    FinalDecision,
    RecordFieldRequirement,
    follows_recommendation,
    parse_final_decision,
    required_record_fields,
)
from desktop_app.errors import ValidationError

MAX_LONG_TEXT_CHARS = 20_000  # a rationale or a description of what was shared
MAX_LINKED_NOTES = 500

# --- More passages this part of the application relies on (verbatim; checked in tests) ---

HM_FEEDBACK = Citation(
    g.HM_ADVICE_2024,
    "The importance of providing feedback to agencies or organisations about the information they have shared",
    "Feedback can help encourage dialogue and develop a better understanding of when and what to share. "
    "A lack of feedback can contribute to a hesitancy to share information in the future.",
)
HM_SHARE_SECURELY = Citation(
    g.HM_ADVICE_2024,
    "Knowing the amount of information to share",
    "Information must always be shared securely.",
)
HM_REQUESTS_EXPLAIN = Citation(
    g.HM_ADVICE_2024,
    "Knowing the amount of information to share",
    "Requests to share information should explain clearly what is required and why",
)
BUCKS_SECURE_REQUESTS = Citation(
    g.BUCKINGHAMSHIRE_CODE,
    "Responsibilities of agencies",
    "Ensuring that requests and responses to requests are sent by a secure method agreed between the services",
)
BUCKS_CHILD_CONSENT = Citation(
    g.BUCKINGHAMSHIRE_CODE,
    "Appendix 1, question 4",
    "A young person aged 16 or 17, or a child under 16 who has the capacity to understand and make their own "
    "decisions, may give (or refuse) consent to sharing.",
)
BUCKS_PARENT_CONSENT = Citation(
    g.BUCKINGHAMSHIRE_CODE,
    "Appendix 1, question 4",
    "In most cases, where a child cannot consent, or where a professional judges that they are not competent "
    "to consent, a person with parental responsibility should be asked to consent on behalf of the child.",
)

# Every quotation defined outside ``guidance.py``, so each is checked to be verbatim.
CITATIONS: tuple[Citation, ...] = (
    HM_FEEDBACK,
    HM_SHARE_SECURELY,
    HM_REQUESTS_EXPLAIN,
    BUCKS_SECURE_REQUESTS,
    BUCKS_CHILD_CONSENT,
    BUCKS_PARENT_CONSENT,
)

# --- Words for stored values ------------------------------------------------------------

RECOMMENDATION_LABELS: dict[str, str] = {
    Recommendation.SHARE: "Share",
    Recommendation.SHARE_ANONYMISED: "Share anonymised information",
    Recommendation.SEEK_CONSENT: "Seek consent first",
    Recommendation.DO_NOT_SHARE: "Do not share",
}
FINAL_DECISION_LABELS: dict[str, str] = {o.value: o.label for o in FINAL_DECISION_OPTIONS}
LAWFUL_BASIS_LABELS: dict[str, str] = {
    LawfulBasis.PUBLIC_TASK: "Public task",
    LawfulBasis.LEGAL_OBLIGATION: "Legal obligation",
    LawfulBasis.LEGITIMATE_INTERESTS: "Legitimate interests",
    LawfulBasis.VITAL_INTERESTS: "Vital interests",
    LawfulBasis.CONSENT: "Consent",
    LawfulBasis.CONTRACT: "Contract",
}
ARTICLE9_LABELS: dict[str, str] = {
    Article9Condition.SAFEGUARDING: "Safeguarding of children and individuals at risk (Article 9)",
}
CONFIDENTIALITY_LABELS: dict[str, str] = {
    ConfidentialityGround.CONSENT: "Consent of the person who is owed confidentiality",
    ConfidentialityGround.LEGAL_REQUIREMENT: "Legal requirement",
    ConfidentialityGround.OVERRIDING_PUBLIC_INTEREST: "Overriding public interest (proportionate)",
}
INFORM_LABELS: dict[str, str] = {
    Inform.BEFORE_SHARING: "Tell the child or family before sharing",
    Inform.AFTER_SHARING: "Tell them as soon as it is safe, after sharing",
    Inform.DO_NOT_INFORM: "Do not tell them: it could increase the risk",
}
CONCERN_LABELS: dict[str, str] = {
    Concern.WELLBEING: "Wellbeing (early help): no concern for safety",
    Concern.POSSIBLE_HARM: "Possible harm",
    Concern.SIGNIFICANT_HARM: "Significant harm",
    Concern.IMMEDIATE_RISK: "Immediate risk (emergency)",
}
CONSENT_ANSWER_LABELS: dict[str, str] = {
    Consent.GIVEN: "Consent given",
    Consent.REFUSED: "Consent refused",
    Consent.WITHDRAWN: "Consent withdrawn",
    Consent.NOT_SOUGHT: "Consent not sought",
}
FINDING_TOPIC_LABELS: dict[str, str] = {
    "concern": "Level of concern",
    "recommendation": "Recommendation",
    "lawful_basis": "Lawful basis",
    "article9_condition": "Special category data (Article 9)",
    "confidentiality": "Confidentiality",
    "inform": "Telling the child or family",
    "advice_recommended": "Advice",
    "must_record": "What to record",
}


class Informed(StrEnum):
    """Whether the child or family was told about the sharing (or the decision)."""

    TOLD_BEFORE = "told_before"
    TOLD_AFTER = "told_after"
    NOT_YET = "not_yet"
    NOT_TOLD = "not_told"


INFORMED_LABELS: dict[str, str] = {
    Informed.TOLD_BEFORE: "Yes, they were told before sharing",
    Informed.TOLD_AFTER: "Yes, they were told afterwards",
    Informed.NOT_YET: "Not yet: they will be told when it is safe",
    Informed.NOT_TOLD: "No, they will not be told",
}


class RequestResponse(StrEnum):
    SHARE = "share"
    SHARE_PART = "share_part"
    DECLINE = "decline"


REQUEST_RESPONSE_LABELS: dict[str, str] = {
    RequestResponse.SHARE: "Share",
    RequestResponse.SHARE_PART: "Share part of it",
    RequestResponse.DECLINE: "Decline",
}


class ConsentKind(StrEnum):
    GIVEN = "given"
    REFUSED = "refused"
    WITHDRAWN = "withdrawn"


CONSENT_KIND_LABELS: dict[str, str] = {
    ConsentKind.GIVEN: "Consent given",
    ConsentKind.REFUSED: "Consent refused",
    ConsentKind.WITHDRAWN: "Consent withdrawn",
}
NO_CONSENT_RECORDED = "none"
CONSENT_STATE_LABELS: dict[str, str] = {**CONSENT_KIND_LABELS, NO_CONSENT_RECORDED: "No consent recorded"}


# --- The record fields of a decision --------------------------------------------------

# Fields that hold free text, with how much each may hold, in the order a form shows them.
_LONG_TEXT = {
    "purpose",
    "what_shared",
    "rationale",
    "follow_up_rationale",
    "reason_differs_from_recommendation",
    "reasons_for_overriding_objection",
    "reasons_consent_not_sought",
    "reason_not_informed",
    "advice_given",
    "advice_not_sought_reason",
}

FIELD_LABELS: dict[str, str] = {
    "purpose": RECORD_FIELD_LABELS[RecordField.PURPOSE],
    "what_shared": RECORD_FIELD_LABELS[RecordField.WHAT_SHARED],
    "recipient_organisation": "Recipient: organisation",
    "recipient_person": "Recipient: person",
    "recipient_role": "Recipient's role in safeguarding the child",
    "recipient_contact": "Recipient's contact details",
    "recipient_secure_route": "Secure route used to share (for example secure email or portal)",
    "lawful_basis": RECORD_FIELD_LABELS[RecordField.LAWFUL_BASIS],
    "article9_condition": "Article 9 condition (special category data)",
    "confidentiality": "Ground for sharing confidential information",
    "consent_given_by_and_when": RECORD_FIELD_LABELS[RecordField.CONSENT_GIVEN_BY_AND_WHEN],
    "reasons_consent_not_sought": RECORD_FIELD_LABELS[RecordField.REASONS_CONSENT_NOT_SOUGHT],
    "reasons_for_overriding_objection": RECORD_FIELD_LABELS[RecordField.REASONS_FOR_OVERRIDING_OBJECTION],
    "informed": "Was the child or family told?",
    "informed_when": "When they were told, or will be",
    "reason_not_informed": RECORD_FIELD_LABELS[RecordField.REASON_NOT_INFORMED],
    "advice_sought_from": "Advice sought from (name and role)",
    "advice_sought_at": "When advice was sought",
    "advice_given": "What was advised",
    "advice_not_sought_reason": "Why advice was not sought",
    "risk_level": RECORD_FIELD_LABELS[RecordField.RISK_LEVEL],
    "decided_by": RECORD_FIELD_LABELS[RecordField.DECIDED_BY],
    "decided_at": RECORD_FIELD_LABELS[RecordField.DATE_TIME],
    "rationale": RECORD_FIELD_LABELS[RecordField.RATIONALE],
    "follow_up_rationale": RECORD_FIELD_LABELS[RecordField.FOLLOW_UP_RATIONALE],
    REASON_DIFFERS_FIELD: RECORD_FIELD_LABELS[REASON_DIFFERS_FIELD],
}

# Where each requirement of ``required_record_fields`` is filled in on the form.
REQUIREMENT_FIELDS: dict[str, tuple[str, ...]] = {
    RecordField.PURPOSE: ("purpose",),
    RecordField.WHAT_SHARED: ("what_shared",),  # or linked notes
    RecordField.RECIPIENT: ("recipient_organisation", "recipient_person"),
    RecordField.DATE_TIME: ("decided_at",),
    RecordField.DECIDED_BY: ("decided_by",),
    RecordField.LAWFUL_BASIS: ("lawful_basis",),
    RecordField.CONFIDENTIALITY_GROUND: ("confidentiality",),
    RecordField.RISK_LEVEL: ("risk_level",),
    RecordField.RATIONALE: ("rationale",),
    RecordField.CONSENT_GIVEN_BY_AND_WHEN: ("consent_given_by_and_when",),
    RecordField.REASONS_CONSENT_NOT_SOUGHT: ("reasons_consent_not_sought",),
    RecordField.REASONS_FOR_OVERRIDING_OBJECTION: ("reasons_for_overriding_objection",),
    RecordField.FAMILY_INFORMED: ("informed", "informed_when"),
    RecordField.REASON_NOT_INFORMED: ("reason_not_informed",),
    RecordField.ADVICE_SOUGHT: ("advice_sought_from", "advice_sought_at", "advice_given"),
    RecordField.FOLLOW_UP_RATIONALE: ("follow_up_rationale",),
    REASON_DIFFERS_FIELD: (REASON_DIFFERS_FIELD,),
    ADVICE_SOUGHT_FROM_FIELD: ("advice_sought_from",),
}


@dataclass(frozen=True)
class DecisionFields:
    """What the practitioner writes into a decision record (all optional here: which ones
    must be filled in depends on the decision, see ``missing_record_fields``)."""

    purpose: str = ""
    what_shared: str = ""
    recipient_organisation: str = ""
    recipient_person: str = ""
    recipient_role: str = ""
    recipient_contact: str = ""
    recipient_secure_route: str = ""
    lawful_basis: tuple[str, ...] = ()
    article9_condition: str | None = None
    confidentiality: str | None = None
    consent_given_by_and_when: str = ""
    reasons_consent_not_sought: str = ""
    reasons_for_overriding_objection: str = ""
    informed: str = ""
    informed_when: str = ""
    reason_not_informed: str = ""
    advice_sought_from: str = ""
    advice_sought_at: str = ""
    advice_given: str = ""
    advice_not_sought_reason: str = ""  # filled instead of the three above when none was sought
    risk_level: str = ""
    decided_by: str = ""
    decided_at: str = ""  # UTC ISO text once validated; any readable date and time before
    rationale: str = ""
    follow_up_rationale: str = ""
    reason_differs_from_recommendation: str = ""

    @classmethod
    def from_mapping(cls, values: Mapping[str, object] | DecisionFields | None) -> DecisionFields:
        """Fields from a form or a prefill. Unknown keys are refused (a typo would lose text).

        ``lawful_basis`` may be a list or one value; ``decided_at`` a ``datetime`` or text.
        """
        if values is None:
            return cls()
        if isinstance(values, DecisionFields):
            return values
        if not isinstance(values, Mapping):
            raise ValidationError("The decision's fields must be a mapping of field names to values.", field=None)
        known = {f.name for f in fields(cls)}
        unknown = sorted(str(k) for k in values if k not in known)
        if unknown:
            raise ValidationError(
                f"Unknown decision field '{unknown[0]}'. Known fields: {', '.join(sorted(known))}.",
                field=unknown[0],
            )
        kwargs: dict[str, Any] = {}
        for key, value in values.items():
            if key == "lawful_basis":
                kwargs[key] = _basis_tuple(value)
            elif key in ("article9_condition", "confidentiality"):
                kwargs[key] = None if value in (None, "") else value
            elif key == "decided_at" and isinstance(value, datetime):
                kwargs[key] = value.isoformat()
            elif value is None:
                kwargs[key] = ""
            else:
                kwargs[key] = value
        return cls(**kwargs)

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["lawful_basis"] = list(self.lawful_basis)
        return data

    def value(self, name: str) -> object:
        return getattr(self, name)


def _basis_tuple(value: object) -> tuple[str, ...]:
    if value is None or value == "":
        return ()
    if isinstance(value, str):
        return tuple(part.strip() for part in value.split(",") if part.strip())
    if isinstance(value, Iterable):
        return tuple(str(v) for v in value)
    raise ValidationError("The lawful basis must be one or more of the six lawful bases.", field="lawful_basis")


def _filled(value: object) -> bool:
    if isinstance(value, str):
        return bool(value.strip())
    if isinstance(value, tuple | list):
        return bool(value)
    return value is not None


def advice_not_sought(fields_: DecisionFields) -> bool:
    """Does the record say advice was not sought, and why (its own field, so the record
    never reads as if a reason were advice someone gave)?"""
    return _filled(fields_.advice_not_sought_reason)


def requirement_met(
    requirement: str, fields_: DecisionFields, linked_note_ids: Sequence[int], answers: Answers | None = None
) -> bool:
    """Is this requirement of ``required_record_fields`` filled in?

    What was shared may be described in words or by linking the notes shared; the
    recipient needs an organisation or a person; the lawful basis of special category
    data needs its Article 9 condition too (the field's own label says so).

    Whether the family was told: told (before or after) needs when; "not yet" needs when
    they will be, or why not yet; "not told" is complete here because its reason is a
    requirement of its own (``missing_record_fields``). Advice: either from whom, when and
    what was advised, or why it was not sought.
    """
    if requirement == RecordField.WHAT_SHARED and linked_note_ids:
        return True
    if requirement == RecordField.LAWFUL_BASIS and answers is not None and answers.special_category:
        return _filled(fields_.lawful_basis) and _filled(fields_.article9_condition)
    if requirement == RecordField.FAMILY_INFORMED:
        if fields_.informed in (Informed.TOLD_BEFORE, Informed.TOLD_AFTER):
            return _filled(fields_.informed_when)
        if fields_.informed == Informed.NOT_YET:
            return _filled(fields_.informed_when) or _filled(fields_.reason_not_informed)
        return fields_.informed == Informed.NOT_TOLD
    if requirement == RecordField.ADVICE_SOUGHT:
        if advice_not_sought(fields_):
            return True
        return all(_filled(fields_.value(name)) for name in REQUIREMENT_FIELDS[RecordField.ADVICE_SOUGHT])
    if requirement == ADVICE_SOUGHT_FROM_FIELD:
        return _filled(fields_.advice_sought_from) and not advice_not_sought(fields_)
    names = REQUIREMENT_FIELDS.get(requirement, (requirement,))
    return any(_filled(fields_.value(name)) for name in names)


def missing_record_fields(
    outcome: Outcome,
    final_decision: FinalDecision | str,
    fields_: DecisionFields,
    linked_note_ids: Sequence[int] = (),
) -> list[RecordFieldRequirement]:
    """The requirements still empty for this decision, in the order the record lists them.

    Beyond ``required_record_fields``: when the practitioner says the family will not be
    told, the reason why (the same passage as when the rules advise not telling them).
    """
    required = list(required_record_fields(outcome, final_decision))
    if fields_.informed == Informed.NOT_TOLD and not any(r.field == RecordField.REASON_NOT_INFORMED for r in required):
        required.append(
            RecordFieldRequirement(
                RecordField.REASON_NOT_INFORMED.value,
                RECORD_FIELD_LABELS[RecordField.REASON_NOT_INFORMED],
                g.BUCKS_Q5_EXPLAIN,
            )
        )
    return [r for r in required if not requirement_met(r.field, fields_, linked_note_ids, outcome.answers)]


def confidentiality_ground_problem(answers: Answers, fields_: DecisionFields) -> ValidationError | None:
    """The error when the named confidentiality ground does not exist on the answers.

    "You must be sure that one of the following conditions exists" (HM 2024): a record
    naming consent nobody gave (or consent while someone objects, which the rules never
    rest on), or a legal requirement the answers deny, would say something untrue. The overriding public interest is a judgement the practitioner
    makes and records, so it is never refused here.
    """
    ground = fields_.confidentiality
    if ground == ConfidentialityGround.CONSENT and answers.consent is not Consent.GIVEN:
        said = CONSENT_ANSWER_LABELS[answers.consent].lower()
        problem = f"you named consent, but your answers say: {said}"
    elif ground == ConfidentialityGround.CONSENT and answers.objection_raised:
        # The rules never rest on consent while someone objects (Bucks Q4): at harm levels
        # the ground is the overriding public interest; below them, resolve the objection.
        problem = "you named consent, but someone objects, so it cannot be relied on while the objection stands"
    elif ground == ConfidentialityGround.LEGAL_REQUIREMENT and not answers.legal_requirement:
        problem = "you named a legal requirement, but your answers say no legislation or court order requires it"
    else:
        return None
    return ValidationError(
        f"The ground for sharing confidential information does not fit your answers: {problem}. Choose a "
        f"ground that exists, or go back and correct the answer. {citation_text(g.HM_CONFIDENTIALITY_CONDITIONS)}",
        field="confidentiality",
        advice="Nothing has been saved yet.",
    )


def citation_text(citation: Citation) -> str:
    """A citation in one line: rule (document): “quotation”."""
    return f"{citation.rule} ({citation.document}): “{citation.text}”"


def missing_field_error(requirement: RecordFieldRequirement) -> ValidationError:
    """The error for one empty required field: its name in plain words, and the rule."""
    return ValidationError(
        f"“{requirement.label}” must be filled in before this decision can be saved. "
        f"{citation_text(requirement.citation)}",
        field=requirement.field,
        advice="Nothing has been saved yet. Fill it in and save again.",
    )


# --- Validation -------------------------------------------------------------------------


def _text(name: str, value: object) -> str:
    what = f"“{FIELD_LABELS.get(name, name)}”"
    if name in _LONG_TEXT:
        return optional_text(value, name, what, max_chars=MAX_LONG_TEXT_CHARS)
    return optional_text(value, name, what, max_chars=MAX_SHORT_TEXT_CHARS)


def _choice(name: str, value: object, allowed: Iterable[str], labels: Mapping[str, str]) -> str:
    allowed_values = list(allowed)
    if value not in allowed_values:
        words = "; ".join(labels.get(v, v) for v in allowed_values)
        raise ValidationError(
            f"“{FIELD_LABELS.get(name, name)}” must be one of: {words}; got {str(value)[:60]!r}.", field=name
        )
    return str(value)


def validate_fields(fields_: DecisionFields, *, now: datetime | None = None) -> DecisionFields:
    """The fields tidied (trimmed), or a ``ValidationError`` naming the one to fix.

    Checks the form of each value (text without hidden characters, known codes, a date
    and time that is not in the future); whether required ones are filled in is
    ``missing_record_fields``' job.
    """
    if not isinstance(fields_, DecisionFields):
        raise ValidationError("The decision's fields are not in the expected form.", field=None)
    changes: dict[str, Any] = {}
    for f in fields(DecisionFields):
        name = f.name
        value = getattr(fields_, name)
        if name == "lawful_basis":
            if not isinstance(value, tuple):
                raise ValidationError("The lawful basis must be a list of lawful bases.", field=name)
            bases = tuple(
                dict.fromkeys(_choice(name, b, (x.value for x in LawfulBasis), LAWFUL_BASIS_LABELS) for b in value)
            )
            changes[name] = bases
        elif name == "article9_condition":
            changes[name] = (
                None
                if value in (None, "")
                else _choice(name, value, (c.value for c in Article9Condition), ARTICLE9_LABELS)
            )
        elif name == "confidentiality":
            changes[name] = (
                None
                if value in (None, "")
                else _choice(name, value, (c.value for c in ConfidentialityGround), CONFIDENTIALITY_LABELS)
            )
        elif name == "informed":
            changes[name] = "" if value == "" else _choice(name, value, (i.value for i in Informed), INFORMED_LABELS)
        elif name == "decided_at":
            changes[name] = "" if value in ("", None) else occurred_at_text(value, "decided_at", now=now)
        elif name in ("decided_by", "recipient_organisation", "recipient_person"):
            changes[name] = optional_line(value, name, f"“{FIELD_LABELS[name]}”", max_chars=MAX_NAME_CHARS)
        else:
            changes[name] = _text(name, value)
    return replace(fields_, **changes)


def validate_linked_note_ids(values: object) -> tuple[int, ...]:
    if values is None:
        return ()
    if isinstance(values, str | bytes) or not isinstance(values, Iterable):
        raise ValidationError("The linked notes must be a list of note numbers.", field="linked_note_ids")
    ids: list[int] = []
    for value in values:
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise ValidationError("The linked notes must be a list of note numbers.", field="linked_note_ids")
        if value not in ids:
            ids.append(value)
    if len(ids) > MAX_LINKED_NOTES:
        raise ValidationError(f"At most {MAX_LINKED_NOTES} notes can be linked to one decision.", "linked_note_ids")
    return tuple(sorted(ids))


@dataclass(frozen=True)
class ValidDecision:
    """A decision ready to store: everything checked, nothing required left empty."""

    answers: Answers
    outcome: Outcome
    final_decision: FinalDecision
    fields: DecisionFields
    linked_note_ids: tuple[int, ...]
    required: tuple[RecordFieldRequirement, ...]
    follows_recommendation: bool
    summary: str

    @property
    def is_sharing(self) -> bool:
        return self.final_decision in SHARING_DECISIONS


def validate_decision(
    outcome: Outcome,
    final_decision: FinalDecision | str,
    fields_: DecisionFields | Mapping[str, object],
    linked_note_ids: Iterable[int] = (),
    *,
    now: datetime | None = None,
) -> ValidDecision:
    """Check a decision before it is stored; ``ValidationError`` names the first problem.

    A decision cannot be saved while any field that ``required_record_fields`` asks for
    (for this final decision) is empty: not sharing still needs its rationale (golden
    rule 7), sharing without consent needs the reasons and the lawful basis. Nor while
    the confidentiality ground named does not exist on the answers.
    """
    decision = parse_final_decision(final_decision)
    valid_fields = validate_fields(DecisionFields.from_mapping(fields_), now=now)
    notes = validate_linked_note_ids(linked_note_ids)
    missing = missing_record_fields(outcome, decision, valid_fields, notes)
    if missing:
        raise missing_field_error(missing[0])
    problem = confidentiality_ground_problem(outcome.answers, valid_fields)
    if problem is not None:
        raise problem
    return ValidDecision(
        answers=outcome.answers,
        outcome=outcome,
        final_decision=decision,
        fields=valid_fields,
        linked_note_ids=notes,
        required=tuple(required_record_fields(outcome, decision)),
        follows_recommendation=follows_recommendation(outcome, decision),
        summary=decision_summary(decision, valid_fields),
    )


def decision_summary(final_decision: FinalDecision | str, fields_: DecisionFields) -> str:
    """The one-line preview the chronology shows (never a whole rationale)."""
    who = fields_.recipient_organisation or fields_.recipient_person
    label = FINAL_DECISION_LABELS.get(str(final_decision), str(final_decision))
    head = f"{label}: {who}" if who else label
    return make_preview(f"{head}. {fields_.purpose}" if fields_.purpose else head)


def answers_json(answers: Answers) -> dict[str, Any]:
    """The answers as stored (the same keys and values ``parse_answers`` accepts)."""
    data: dict[str, Any] = {}
    for f in fields(Answers):
        value = getattr(answers, f.name)
        data[f.name] = value.value if isinstance(value, StrEnum) else value
    return data


def requirements_json(requirements: Iterable[RecordFieldRequirement]) -> list[dict[str, Any]]:
    return [{"field": r.field, "label": r.label, "citation": r.citation.to_json()} for r in requirements]


# --- Stored records -----------------------------------------------------------------------


@dataclass(frozen=True)
class Decision:
    """A recorded information-sharing decision. Never changed: a correction is a new
    decision that ``supersedes_id`` this one, with the reason."""

    id: int
    case_id: int
    decided_at: str
    recorded_at: str
    recorded_by: str
    final_decision: str
    recommendation: str
    follows_recommendation: bool
    fields: DecisionFields
    answers: dict[str, Any]
    outcome: dict[str, Any]  # Outcome.to_json() as it was when decided
    rules_version: str
    required: list[dict[str, Any]]  # what the record had to contain, and why
    linked_note_ids: tuple[int, ...]
    supersedes_id: int | None
    supersede_reason: str
    superseded_by_id: int | None
    prefill_source: str
    request_id: int | None
    summary: str
    feedback_count: int = 0

    @property
    def is_sharing(self) -> bool:
        return self.final_decision in {d.value for d in SHARING_DECISIONS}

    @property
    def is_current(self) -> bool:
        return self.superseded_by_id is None

    @property
    def label(self) -> str:
        return FINAL_DECISION_LABELS.get(self.final_decision, self.final_decision)

    @property
    def recipient(self) -> str:
        parts = [self.fields.recipient_person, self.fields.recipient_organisation]
        return ", ".join(p for p in parts if p)


@dataclass(frozen=True)
class WizardState:
    """A decision being made: the answers so far, where the practitioner was, and what
    they had typed. Kept encrypted in the vault so a lock or a crash loses nothing. Not a
    record: it changes as they go and goes when the decision is saved or discarded."""

    id: int
    case_id: int
    step: str
    answers: dict[str, Any]
    fields: dict[str, Any]
    linked_note_ids: tuple[int, ...]
    final_decision: str
    prefill_source: str
    supersedes_id: int | None
    request_id: int | None
    created_at: str
    updated_at: str

    @property
    def title(self) -> str:
        purpose = self.answers.get("purpose")
        return make_preview(purpose) if isinstance(purpose, str) and purpose.strip() else "Purpose not written yet"


@dataclass(frozen=True)
class WizardPrefill:
    """What another part of the application already knows when it opens the wizard: for
    example the emergency path's who, what, when, how and why (with ``concern`` set to
    ``immediate_risk``). ``source`` is stored with the decision (say ``"emergency:12"``)."""

    answers: Mapping[str, object] = field(default_factory=dict)
    fields: Mapping[str, object] = field(default_factory=dict)
    linked_note_ids: Sequence[int] = ()
    final_decision: str | None = None
    source: str | None = None

    @classmethod
    def coerce(cls, value: object) -> WizardPrefill:
        """A prefill from a ``WizardPrefill``, a mapping, or any object with the same
        attributes (``record`` is accepted for ``fields``, ``prefill_source`` for ``source``),
        so that other parts of the application need not import this class."""
        if isinstance(value, WizardPrefill):
            return value

        def get(*names: str) -> Any:
            for name in names:
                if isinstance(value, Mapping) and name in value:
                    return value[name]
                if not isinstance(value, Mapping) and hasattr(value, name):
                    return getattr(value, name)
            return None

        answers = get("answers") or {}
        fields_ = get("fields", "record") or {}
        if not isinstance(answers, Mapping) or not isinstance(fields_, Mapping):
            raise ValidationError("A prefill's answers and fields must be mappings.", field=None)
        notes = get("linked_note_ids") or ()
        decision = get("final_decision")
        source = get("source", "prefill_source")
        return cls(
            answers=dict(answers),
            fields=dict(fields_),
            linked_note_ids=tuple(int(n) for n in notes),
            final_decision=str(decision) if decision else None,
            source=str(source) if source else None,
        )


STATE_STEPS_AFTER_QUESTIONS = ("recommendation", "decision", "record")


def validate_wizard_state(
    step: object, answers: object, fields_: object, linked_note_ids: object, final_decision: object
) -> tuple[str, dict[str, Any], dict[str, Any], tuple[int, ...], str]:
    """Light checks on an unfinished decision: anything typed is kept as it is, but it
    must be storable (text, known step, JSON values) and not absurdly large."""
    known_steps = {q.id for q in QUESTIONS} | set(STATE_STEPS_AFTER_QUESTIONS)
    if step not in known_steps:
        raise ValidationError(f"Unknown wizard step {str(step)[:40]!r}.", field="step")
    if not isinstance(answers, Mapping) or not isinstance(fields_, Mapping):
        raise ValidationError("The wizard's answers and fields must be mappings.", field=None)
    answers_d = {str(k): v for k, v in answers.items() if k in {q.id for q in QUESTIONS}}
    fields_d = {str(k): v for k, v in fields_.items()}
    try:
        size = len(json.dumps([answers_d, fields_d], ensure_ascii=False))
    except (TypeError, ValueError):
        raise ValidationError("The wizard's answers contain something that cannot be stored.", field=None) from None
    if size > 1_000_000:
        raise ValidationError("This unfinished decision is too large to keep.", field=None)
    decision = "" if final_decision in (None, "") else parse_final_decision(final_decision).value
    return str(step), answers_d, fields_d, validate_linked_note_ids(linked_note_ids), decision


# --- Requests received from other agencies ---------------------------------------------


@dataclass(frozen=True)
class RequestInput:
    """A request for information received from another agency or practitioner."""

    requester_organisation: str
    what_requested: str
    why_requested: str
    identity_check: str
    received_at: datetime | str
    requester_person: str = ""
    requester_role: str = ""
    requester_contact: str = ""


@dataclass(frozen=True)
class RequestDecisionInput:
    response: str  # RequestResponse
    reasons: str
    decision_id: int | None = None  # the sharing decision, when shared
    decided_at: datetime | str | None = None  # None: now
    decided_by: str = ""  # empty: the vault's practitioner


@dataclass(frozen=True)
class RequestDecision:
    response: str
    reasons: str
    decision_id: int | None
    decided_at: str
    decided_by: str
    recorded_at: str

    @property
    def label(self) -> str:
        return REQUEST_RESPONSE_LABELS.get(self.response, self.response)


@dataclass(frozen=True)
class InformationRequest:
    id: int
    case_id: int
    received_at: str
    recorded_at: str
    recorded_by: str
    requester_organisation: str
    requester_person: str
    requester_role: str
    requester_contact: str
    identity_check: str
    what_requested: str
    why_requested: str
    reconsiders_id: int | None
    new_information: str
    response: RequestDecision | None
    reconsidered_by_ids: tuple[int, ...]

    @property
    def is_decided(self) -> bool:
        return self.response is not None

    @property
    def requester(self) -> str:
        parts = [self.requester_person, self.requester_organisation]
        return ", ".join(p for p in parts if p)


def validate_request(request: RequestInput, *, now: datetime | None = None) -> RequestInput:
    org = optional_line(request.requester_organisation, "requester_organisation", "The organisation that asked")
    person = optional_line(request.requester_person, "requester_person", "The person who asked")
    if not org and not person:
        raise ValidationError(
            "Say who asked: their organisation, their name, or both.",
            field="requester_organisation",
            advice=citation_text(g.BUCKS_Q1_NEED_TO_KNOW),
        )
    role = optional_line(request.requester_role, "requester_role", "Their role")
    contact = optional_text(request.requester_contact, "requester_contact", "Their contact details")
    identity = optional_text(request.identity_check, "identity_check", "How their identity was checked")
    if not identity:
        raise ValidationError(
            "Say how you checked that the request is genuine (for example, you rang them back on their "
            "organisation's switchboard number).",
            field="identity_check",
            advice=citation_text(BUCKS_SECURE_REQUESTS),
        )
    what = optional_text(request.what_requested, "what_requested", "What they asked for", max_chars=MAX_LONG_TEXT_CHARS)
    if not what:
        raise ValidationError(
            "Say what information they asked for.", field="what_requested", advice=citation_text(HM_REQUESTS_EXPLAIN)
        )
    why = optional_text(request.why_requested, "why_requested", "Why they asked", max_chars=MAX_LONG_TEXT_CHARS)
    if not why:
        raise ValidationError(
            "Say why they asked for it (the purpose they gave).",
            field="why_requested",
            advice=citation_text(HM_REQUESTS_EXPLAIN),
        )
    received = occurred_at_text(request.received_at, "received_at", now=now)
    return RequestInput(org, what, why, identity, received, person, role, contact)


def validate_request_decision(decision: RequestDecisionInput, *, now: datetime | None = None) -> RequestDecisionInput:
    response = _choice("response", decision.response, (r.value for r in RequestResponse), REQUEST_RESPONSE_LABELS)
    reasons = optional_text(decision.reasons, "reasons", "The reasons", max_chars=MAX_LONG_TEXT_CHARS)
    if not reasons:
        citation = g.GOLDEN_RULE_7_REQUESTS if response == RequestResponse.DECLINE else g.GOLDEN_RULE_7
        raise ValidationError(
            f"“The reasons for your decision” must be filled in before it can be saved. {citation_text(citation)}",
            field="reasons",
            advice="Nothing has been saved yet.",
        )
    decision_id = decision.decision_id
    if decision_id is not None and (not isinstance(decision_id, int) or isinstance(decision_id, bool)):
        raise ValidationError("The linked sharing decision is not recognised.", field="decision_id")
    if response != RequestResponse.DECLINE and decision_id is None:
        raise ValidationError(
            "Link the sharing decision this request was answered under: record it with “Decide whether to "
            "share…” first, then choose it here.",
            field="decision_id",
            advice=citation_text(g.GOLDEN_RULE_7),
        )
    if response == RequestResponse.DECLINE and decision_id is not None:
        raise ValidationError("A declined request is not answered under a decision to share.", field="decision_id")
    decided_at = occurred_at_text(decision.decided_at, "decided_at", now=now) if decision.decided_at else None
    decided_by = optional_line(decision.decided_by, "decided_by", "Who decided")
    return RequestDecisionInput(response, reasons, decision_id, decided_at, decided_by)


def validate_new_information(text: object) -> str:
    info = optional_text(text, "new_information", "The new information", max_chars=MAX_LONG_TEXT_CHARS)
    if not info:
        raise ValidationError(
            "Say what new information the requester has shared, that might put the request in a new light.",
            field="new_information",
            advice=citation_text(g.GOLDEN_RULE_7_RECONSIDER),
        )
    return info


def request_summary(request: RequestInput) -> str:
    who = request.requester_organisation or request.requester_person
    return make_preview(f"From {who}: {request.what_requested}")


# --- Consent register --------------------------------------------------------------------


@dataclass(frozen=True)
class ConsentInput:
    kind: str  # ConsentKind
    occurred_at: datetime | str
    scope: str = ""  # what the consent covers (what, with whom, for what)
    given_by: str = ""  # who gave, refused or withdrew it (the person, or someone for them)
    capacity_note: str = ""  # Gillick competence, or capacity of the adult
    how: str = ""  # in writing, in person, by phone …
    notes: str = ""


@dataclass(frozen=True)
class ConsentEntry:
    id: int
    case_id: int
    person_id: int
    kind: str
    occurred_at: str
    recorded_at: str
    recorded_by: str
    scope: str
    given_by: str
    capacity_note: str
    how: str
    notes: str

    @property
    def label(self) -> str:
        return CONSENT_KIND_LABELS.get(self.kind, self.kind)


@dataclass(frozen=True)
class ConsentState:
    """A person's consent as it stands now: the latest dated entry decides it."""

    person_id: int
    state: str  # a ConsentKind value, or NO_CONSENT_RECORDED
    since: str | None
    scope: str
    entries: tuple[ConsentEntry, ...]  # newest first

    @property
    def label(self) -> str:
        return CONSENT_STATE_LABELS.get(self.state, self.state)

    @property
    def is_given(self) -> bool:
        return self.state == ConsentKind.GIVEN


# Who the entry is from, in words for each kind of entry (the form's label and messages).
CONSENT_BY_LABELS: dict[ConsentKind, str] = {
    ConsentKind.GIVEN: "Who gave it",
    ConsentKind.REFUSED: "Who refused it",
    ConsentKind.WITHDRAWN: "Who withdrew it",
}
_CONSENT_BY_MISSING: dict[ConsentKind, str] = {
    ConsentKind.GIVEN: "Say who gave consent: the young person, or who gave it on their behalf.",
    ConsentKind.REFUSED: "Say who refused consent: the young person, or who refused on their behalf.",
    ConsentKind.WITHDRAWN: "Say who withdrew consent: the young person, or who withdrew it on their behalf.",
}
_CONSENT_BY_CITATIONS: dict[ConsentKind, Citation] = {
    ConsentKind.GIVEN: g.BUCKS_Q7_WHAT_AND_WHO,
    ConsentKind.REFUSED: BUCKS_CHILD_CONSENT,
    ConsentKind.WITHDRAWN: g.BUCKS_Q4_WITHDRAW,
}


def validate_consent(entry: ConsentInput, *, now: datetime | None = None) -> ConsentInput:
    kind = _choice("kind", entry.kind, (k.value for k in ConsentKind), CONSENT_KIND_LABELS)
    occurred = occurred_at_text(entry.occurred_at, "occurred_at", now=now)
    scope = optional_text(entry.scope, "scope", "What the consent covers")
    given_by = optional_line(entry.given_by, "given_by", CONSENT_BY_LABELS[ConsentKind(kind)])
    capacity = optional_text(entry.capacity_note, "capacity_note", "The note on competence or capacity")
    how = optional_line(entry.how, "how", "How it was given, refused or withdrawn")
    notes = optional_text(entry.notes, "notes", "Notes")
    if kind == ConsentKind.GIVEN and not scope:
        raise ValidationError(
            "Say what the consent covers: what may be shared, with whom and why.",
            field="scope",
            advice=citation_text(g.BUCKS_Q4_CONSENT),
        )
    if not given_by:
        # Whose wishes these are matters as much for a refusal or withdrawal as for consent:
        # a parent's refusal and a competent child's are weighed differently, and a conflict
        # between them needs the safeguarding lead (Appendix 1, question 4).
        raise ValidationError(
            _CONSENT_BY_MISSING[ConsentKind(kind)],
            field="given_by",
            advice=citation_text(_CONSENT_BY_CITATIONS[ConsentKind(kind)]),
        )
    if kind == ConsentKind.GIVEN and not capacity:
        raise ValidationError(
            "Note whether the person could consent: a child's competence (Gillick), or an adult's capacity.",
            field="capacity_note",
            advice=citation_text(BUCKS_CHILD_CONSENT),
        )
    return ConsentInput(kind, occurred, scope, given_by, capacity, how, notes)


def consent_state(person_id: int, entries: Sequence[ConsentEntry]) -> ConsentState:
    """The current state from the dated entries: the latest by date (then the latest
    recorded) wins. A withdrawal ends earlier consent; later consent can follow it."""
    ordered = sorted(entries, key=lambda e: (e.occurred_at, e.recorded_at, e.id), reverse=True)
    if not ordered:
        return ConsentState(person_id, NO_CONSENT_RECORDED, None, "", ())
    latest = ordered[0]
    return ConsentState(person_id, latest.kind, latest.occurred_at, latest.scope, tuple(ordered))


def consent_summary(entry: ConsentInput, person_name: str) -> str:
    label = CONSENT_KIND_LABELS.get(entry.kind, entry.kind)
    tail = f": {entry.scope}" if entry.scope else ""
    return make_preview(f"{label} ({person_name}){tail}")


# --- Feedback from recipients -------------------------------------------------------------


@dataclass(frozen=True)
class FeedbackInput:
    received_at: datetime | str
    outcome: str  # what the recipient did, or decided, with the information
    from_whom: str = ""
    notes: str = ""


@dataclass(frozen=True)
class Feedback:
    id: int
    decision_id: int
    case_id: int
    received_at: str
    recorded_at: str
    recorded_by: str
    from_whom: str
    outcome: str
    notes: str


@dataclass(frozen=True)
class AwaitingFeedback:
    """A decision to share with no feedback from the recipient yet."""

    decision_id: int
    case_id: int
    case_reference: str
    decided_at: str
    final_decision: str
    recipient: str
    summary: str


def validate_feedback(feedback: FeedbackInput, *, now: datetime | None = None) -> FeedbackInput:
    received = occurred_at_text(feedback.received_at, "received_at", now=now)
    outcome = optional_text(feedback.outcome, "outcome", "What happened", max_chars=MAX_LONG_TEXT_CHARS)
    if not outcome:
        raise ValidationError(
            "Say what the recipient told you: what they did, or decided, with the information.",
            field="outcome",
            advice=citation_text(HM_FEEDBACK),
        )
    from_whom = optional_line(feedback.from_whom, "from_whom", "Who it came from")
    notes = optional_text(feedback.notes, "notes", "Notes", max_chars=MAX_LONG_TEXT_CHARS)
    return FeedbackInput(received, outcome, from_whom, notes)


def feedback_summary(feedback: FeedbackInput) -> str:
    who = f"From {feedback.from_whom}: " if feedback.from_whom else ""
    return make_preview(f"{who}{feedback.outcome}")
