"""The information-sharing decision rules: answers in, a cited recommendation out.

The rules follow the Buckinghamshire code's Appendix 1 and the seven golden rules
(2024), with the HM Government 2024 advice for lawful basis, confidentiality and
informing the family. Each rule is a small pure function that returns its value together
with the passages it relies on, so the wizard can show *why* next to *what*, and a
decision record can be defended later. ``docs/decision-api.md`` is the contract.

Two principles run through the rules:

* The application recommends; the practitioner decides. Nothing here shares anything.
* Where the guidance is silent, or the answers contradict each other, the rules take
  the course that is safer for the child and say so (``explanations``), and recommend
  talking it through with someone (golden rule 4).

Pure by design: no Qt, no SQL, no I/O, no clock. The same answers always give the same
outcome, which keeps decisions reproducible and lets Hypothesis explore every answer
combination.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Generic, NamedTuple, TypeVar

from desktop_app.domain import guidance as g
from desktop_app.domain.guidance import (
    BUCKS_CONSENT_DELAY,
    BUCKS_Q2_LEGAL_ADVICE,
    BUCKS_Q4_DECISION_PROCESS,
    BUCKS_Q4_WHOSE_CONSENT,
    HM_CONFIDENTIALITY_CONDITIONS,
    HM_EMERGENCY_DELAYS,
    Citation,
)
from desktop_app.errors import ValidationError

# Stored with every decision, so a record shows which version of the rules advised it.
# 2024.2: an objection at early-help level is no longer shared over (seek consent); the
# confidentiality ground, advice sought (or why not) and whether the family was told
# became record requirements.
RULES_VERSION = "2024.2"


class Sector(StrEnum):
    PUBLIC = "public"
    VOLUNTARY = "voluntary"
    PRIVATE = "private"


class Concern(StrEnum):
    """Level of concern, lowest first. The order matters: see ``CONCERN_ORDER``."""

    WELLBEING = "wellbeing"
    POSSIBLE_HARM = "possible_harm"
    SIGNIFICANT_HARM = "significant_harm"
    IMMEDIATE_RISK = "immediate_risk"


CONCERN_ORDER: tuple[Concern, ...] = tuple(Concern)
HARM_LEVELS = frozenset({Concern.POSSIBLE_HARM, Concern.SIGNIFICANT_HARM, Concern.IMMEDIATE_RISK})


class Consent(StrEnum):
    GIVEN = "given"
    REFUSED = "refused"
    WITHDRAWN = "withdrawn"
    NOT_SOUGHT = "not_sought"


class ConsentNotSoughtReason(StrEnum):
    """The Buckinghamshire code's four circumstances in which consent should not be sought."""

    INCREASE_RISK_TO_CHILD = "increase_risk_to_child"
    SERIOUS_HARM_TO_ADULT = "serious_harm_to_adult"
    PREJUDICE_CRIME_DETECTION = "prejudice_crime_detection"
    UNDUE_DELAY = "undue_delay"


CONSENT_NOT_SOUGHT_REASON_CITATIONS: dict[ConsentNotSoughtReason, Citation] = {
    ConsentNotSoughtReason.INCREASE_RISK_TO_CHILD: g.BUCKS_REASON_RISK_TO_CHILD,
    ConsentNotSoughtReason.SERIOUS_HARM_TO_ADULT: g.BUCKS_REASON_HARM_TO_ADULT,
    ConsentNotSoughtReason.PREJUDICE_CRIME_DETECTION: g.BUCKS_REASON_CRIME,
    ConsentNotSoughtReason.UNDUE_DELAY: g.BUCKS_REASON_DELAY,
}


class Recommendation(StrEnum):
    SHARE = "share"
    SHARE_ANONYMISED = "share_anonymised"
    SEEK_CONSENT = "seek_consent"
    DO_NOT_SHARE = "do_not_share"


SHARING_RECOMMENDATIONS = frozenset({Recommendation.SHARE, Recommendation.SHARE_ANONYMISED})


class LawfulBasis(StrEnum):
    """The six Article 6 bases. ``consent`` and ``contract`` are never recommended."""

    PUBLIC_TASK = "public_task"
    LEGAL_OBLIGATION = "legal_obligation"
    LEGITIMATE_INTERESTS = "legitimate_interests"
    VITAL_INTERESTS = "vital_interests"
    CONSENT = "consent"
    CONTRACT = "contract"


class Article9Condition(StrEnum):
    SAFEGUARDING = "safeguarding_of_children_and_individuals_at_risk"


class ConfidentialityGround(StrEnum):
    CONSENT = "consent"
    LEGAL_REQUIREMENT = "legal_requirement"
    OVERRIDING_PUBLIC_INTEREST = "overriding_public_interest"


class Inform(StrEnum):
    BEFORE_SHARING = "before_sharing"
    AFTER_SHARING = "after_sharing"
    DO_NOT_INFORM = "do_not_inform"


class RecordField(StrEnum):
    """What a decision record must contain. The declaration order is the display order."""

    PURPOSE = "purpose"
    WHAT_SHARED = "what_shared"
    RECIPIENT = "recipient"
    DATE_TIME = "date_time"
    DECIDED_BY = "decided_by"
    LAWFUL_BASIS = "lawful_basis"
    CONFIDENTIALITY_GROUND = "confidentiality_ground"
    RISK_LEVEL = "risk_level"
    RATIONALE = "rationale"
    CONSENT_GIVEN_BY_AND_WHEN = "consent_given_by_and_when"
    REASONS_CONSENT_NOT_SOUGHT = "reasons_consent_not_sought"
    REASONS_FOR_OVERRIDING_OBJECTION = "reasons_for_overriding_objection"
    FAMILY_INFORMED = "family_informed"
    REASON_NOT_INFORMED = "reason_not_informed"
    ADVICE_SOUGHT = "advice_sought"
    FOLLOW_UP_RATIONALE = "follow_up_rationale"


# --- Answers ------------------------------------------------------------------------

_BOOLEAN_KEYS = (
    "recipient_has_safeguarding_role",
    "identifiable",
    "anonymised_would_suffice",
    "confidential",
    "special_category",
    "legal_requirement",
    "informing_would_increase_risk",
    "objection_raised",
)
_ENUM_KEYS: dict[str, type[StrEnum]] = {
    "organisation_sector": Sector,
    "concern": Concern,
    "consent": Consent,
}
OPTIONAL_KEY = "consent_not_sought_reason"
# Every answer key, in the order problems are reported (and the wizard asks, roughly).
ANSWER_KEYS: tuple[str, ...] = (
    "organisation_sector",
    "concern",
    "purpose",
    *_BOOLEAN_KEYS,
    "consent",
    OPTIONAL_KEY,
)
REQUIRED_KEYS: tuple[str, ...] = tuple(k for k in ANSWER_KEYS if k != OPTIONAL_KEY)
MAX_PURPOSE_LENGTH = 10_000


@dataclass(frozen=True)
class Answers:
    """The practitioner's answers to the wizard, validated.

    ``consent_not_sought_reason`` is only meaningful when ``consent`` is ``not_sought``;
    a reason alongside any other consent answer is a contradiction and is refused.
    """

    organisation_sector: Sector
    concern: Concern
    purpose: str
    recipient_has_safeguarding_role: bool
    identifiable: bool
    anonymised_would_suffice: bool
    confidential: bool
    special_category: bool
    legal_requirement: bool
    informing_would_increase_risk: bool
    objection_raised: bool
    consent: Consent
    consent_not_sought_reason: ConsentNotSoughtReason | None = None

    def __post_init__(self) -> None:
        if not self.purpose.strip():
            raise ValidationError(
                "The answer 'purpose' must be a non-empty text saying why the information would be shared.",
                field="purpose",
            )
        if self.consent_not_sought_reason is not None and self.consent is not Consent.NOT_SOUGHT:
            raise ValidationError(
                f"The answer '{OPTIONAL_KEY}' must be null unless 'consent' is 'not_sought' "
                f"(consent is '{self.consent.value}'). Allowed values when consent was not "
                f"sought: {_allowed(ConsentNotSoughtReason)}, or null.",
                field=OPTIONAL_KEY,
            )

    def to_json(self) -> dict[str, Any]:
        """The answers as JSON values, in the shape ``parse_answers`` accepts."""
        data: dict[str, Any] = {}
        for key in ANSWER_KEYS:
            value = getattr(self, key)
            data[key] = value.value if isinstance(value, StrEnum) else value
        return data


def _allowed(enum: type[StrEnum]) -> str:
    return ", ".join(member.value for member in enum)


def _json_type(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a text"
    if isinstance(value, list | tuple):
        return "a list"
    if isinstance(value, Mapping):
        return "an object"
    return type(value).__name__


def _shown(value: object) -> str:
    try:
        text = json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError):
        text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _parse_enum(key: str, enum: type[StrEnum], value: object, allowed_suffix: str = "") -> Any:
    allowed = _allowed(enum) + allowed_suffix
    if not isinstance(value, str):
        raise ValidationError(
            f"The answer '{key}' must be one of: {allowed}; got {_json_type(value)} ({_shown(value)}).",
            field=key,
        )
    try:
        return enum(value)
    except ValueError:
        raise ValidationError(
            f"The answer '{key}' must be one of: {allowed}; got {_shown(value)}.", field=key
        ) from None


def _parse_bool(key: str, value: object) -> bool:
    if not isinstance(value, bool):
        raise ValidationError(
            f"The answer '{key}' must be true or false (a JSON boolean, not quoted); got "
            f"{_json_type(value)} ({_shown(value)}).",
            field=key,
        )
    return value


def _parse_purpose(value: object) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValidationError(
            "The answer 'purpose' must be a non-empty text saying why the information would "
            f"be shared; got {_json_type(value)} ({_shown(value)}).",
            field="purpose",
        )
    if len(value) > MAX_PURPOSE_LENGTH:
        raise ValidationError(
            f"The answer 'purpose' is {len(value)} characters long; keep it under "
            f"{MAX_PURPOSE_LENGTH} (a sentence or two is enough; details belong in case notes).",
            field="purpose",
        )
    return value.strip()


def _allowed_for(key: str) -> str:
    if key in _ENUM_KEYS:
        return _allowed(_ENUM_KEYS[key])
    if key == "purpose":
        return "a non-empty text"
    if key == OPTIONAL_KEY:
        return _allowed(ConsentNotSoughtReason) + ", or null"
    return "true, false"


def parse_answers(mapping: object, *, allow_unknown_keys: bool = False) -> Answers:
    """Validate raw answers (for example decoded JSON) and return ``Answers``.

    Raises ``ValidationError`` naming the first field at fault and its allowed values.
    Unknown keys are refused by default because a mistyped optional key (say
    ``consent_not_sougth_reason``) would otherwise be silently ignored and change the
    advice; the wizard can pass ``allow_unknown_keys=True`` if it carries extra data.
    """
    if not isinstance(mapping, Mapping):
        raise ValidationError(
            f"The answers must be a JSON object with the keys: {', '.join(ANSWER_KEYS)}; got {_json_type(mapping)}.",
            field=None,
        )
    if not allow_unknown_keys:
        for key in mapping:
            if key not in ANSWER_KEYS:
                close = difflib.get_close_matches(str(key), ANSWER_KEYS, n=1)
                hint = f" Did you mean '{close[0]}'?" if close else ""
                name = str(key) if len(str(key)) <= 60 else str(key)[:57] + "..."
                raise ValidationError(
                    f"Unknown answer '{name}'.{hint} Allowed keys: {', '.join(ANSWER_KEYS)}.",
                    field=str(key),
                )
    for key in REQUIRED_KEYS:
        if key not in mapping:
            raise ValidationError(f"The answer '{key}' is missing. Allowed values: {_allowed_for(key)}.", field=key)
    parsed: dict[str, Any] = {"purpose": _parse_purpose(mapping["purpose"])}
    for key, enum in _ENUM_KEYS.items():
        parsed[key] = _parse_enum(key, enum, mapping[key])
    for key in _BOOLEAN_KEYS:
        parsed[key] = _parse_bool(key, mapping[key])
    reason = mapping.get(OPTIONAL_KEY)
    parsed[OPTIONAL_KEY] = (
        None if reason is None else _parse_enum(OPTIONAL_KEY, ConsentNotSoughtReason, reason, ", or null")
    )
    return Answers(**parsed)


# --- Findings: each rule's value with its reasons -----------------------------------

T = TypeVar("T")


@dataclass(frozen=True)
class Finding(Generic[T]):
    """One rule's conclusion: the value, a plain-English note, and the passages behind it."""

    topic: str
    value: T
    note: str
    citations: tuple[Citation, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "topic": self.topic,
            "text": self.note,
            "citations": [c.to_json() for c in self.citations],
        }


class RecordRequirement(NamedTuple):
    """One field a decision record must contain, and the passage that requires it."""

    field: RecordField
    citation: Citation


def _dedupe(citations: Iterable[Citation]) -> tuple[Citation, ...]:
    return tuple(dict.fromkeys(citations))


def _objection_overridden(answers: Answers) -> bool:
    """Sharing would go against someone's wishes: a refusal or withdrawal is an objection."""
    return answers.objection_raised or answers.consent in (Consent.REFUSED, Consent.WITHDRAWN)


# --- The rules ----------------------------------------------------------------------


def assess_concern(answers: Answers) -> Finding[Concern]:
    """The level of concern the other rules use.

    Usually the practitioner's own answer. One exception, for the child's safety: at
    'wellbeing' (no concern for safety) an answer that seeking consent or telling the
    family would put someone at risk describes a perceived risk of harm, and golden rule 3
    applies to a perceived risk. Seeking consent in that situation could itself cause the
    harm, so the rules treat it as possible harm and recommend advice.
    """
    level = answers.concern
    if level is Concern.WELLBEING and (
        answers.consent_not_sought_reason is not None or answers.informing_would_increase_risk
    ):
        why = (
            "seeking consent would put someone at risk or delay enquiries about harm"
            if answers.consent_not_sought_reason is not None
            else "telling the child or family would increase the risk of harm"
        )
        return Finding(
            "concern",
            Concern.POSSIBLE_HARM,
            "You chose wellbeing (no concern for the child's safety), but you also said that "
            f"{why}. That describes a perceived risk of harm, so the rules treat this as "
            "possible harm. Talk it through with your designated safeguarding lead and "
            "correct the level of concern if it is wrong.",
            (g.GOLDEN_RULE_3, g.BUCKS_THRESHOLD_UNCLEAR, g.HM_NOT_SURE_SHARE),
        )
    notes: dict[Concern, tuple[str, tuple[Citation, ...]]] = {
        Concern.WELLBEING: (
            "No concern for the child's safety: the family may benefit from support (early "
            "help). At this level consent is needed to share.",
            (g.BUCKS_EARLY_HELP_DEFINED, g.BUCKS_EARLY_HELP_CONSENT),
        ),
        Concern.POSSIBLE_HARM: (
            "You are unsure whether there is a risk of harm. The concern must not be ignored; "
            "share the relevant information with those who need to know.",
            (g.BUCKS_THRESHOLD_UNCLEAR, g.HM_NOT_SURE_SHARE),
        ),
        Concern.SIGNIFICANT_HARM: (
            "There is reasonable cause to believe the child has suffered, or is likely to suffer, significant harm.",
            (g.BUCKS_SAFEGUARDING_NO_CONSENT,),
        ),
        Concern.IMMEDIATE_RISK: (
            "An emergency: share what is necessary now and write it up afterwards.",
            (g.HM_EMERGENCY_SHARE, g.HM_EMERGENCY_DOCUMENT),
        ),
    }
    note, citations = notes[level]
    return Finding("concern", level, note, citations)


def recommend(answers: Answers, concern: Concern) -> Finding[Recommendation]:
    """Share, share anonymised, seek consent first, or do not share.

    Checked in this order, each step citing its passage: the recipient's role (rule 6),
    whether the information is identifiable and whether anonymised data would do
    (Appendix 1, questions 1 and 2), a legal requirement, then consent by level of
    concern (Early Help needs consent; a risk of harm does not, golden rule 3). Golden
    rule 3 supports overriding an objection only to protect a child from harm, so at
    Early Help an objection holds sharing back until it is resolved (Appendix 1,
    question 4: seek guidance from the safeguarding lead), even where someone consented.
    """
    topic = "recommendation"
    if not answers.recipient_has_safeguarding_role:
        note = (
            "Do not share with this recipient: only share with people who have a role in "
            "safeguarding the child or supporting their family."
        )
        citations: tuple[Citation, ...] = (g.GOLDEN_RULE_6, g.BUCKS_Q6_NEED_TO_KNOW)
        if concern in HARM_LEVELS:
            note += (
                " The concern itself must still go to someone who does have that role, such "
                "as local authority children's services."
            )
            citations += (g.HM_REPORT_TO_CHILDRENS_SERVICES,)
            if concern is Concern.IMMEDIATE_RISK:
                note += " In an emergency, call 999."
                citations += (g.MYTHS_EMERGENCY_999,)
        if answers.legal_requirement:
            note += (
                " You also said that legislation or a court order requires this sharing. This "
                "is not a decision to ignore a legal requirement: whether the law requires you "
                "to share with this recipient is a question for legal advice or your designated "
                "safeguarding lead. Take that advice before you decide, and record it."
            )
            citations += (BUCKS_Q2_LEGAL_ADVICE, g.GOLDEN_RULE_4_WHO)
        return Finding(topic, Recommendation.DO_NOT_SHARE, note, citations)
    if not answers.identifiable:
        return Finding(
            topic,
            Recommendation.SHARE_ANONYMISED,
            "The information does not identify anyone, so it can be shared for a legitimate "
            "purpose. Check that nobody could be identified indirectly before you share.",
            (g.BUCKS_Q2_ANONYMISED_LAWFUL, g.HM_PERSONAL_DATA),
        )
    if answers.anonymised_would_suffice:
        note = "Anonymised information would achieve the purpose, so share it without details that identify anyone."
        citations = (g.BUCKS_Q1_ANONYMOUS, g.GOLDEN_RULE_6_MINIMUM, g.BUCKS_Q2_ANONYMISED_LAWFUL)
        if concern is Concern.IMMEDIATE_RISK:
            note += (
                " But this is an emergency: if the recipient needs to know who the child is to "
                "protect them now, share that straight away. Do not delay sharing identifying "
                "information that is needed to protect the child in order to anonymise it."
            )
            citations += (g.HM_EMERGENCY_SHARE, HM_EMERGENCY_DELAYS, g.ICO_STEP_9_EMERGENCY)
        return Finding(topic, Recommendation.SHARE_ANONYMISED, note, citations)
    if answers.legal_requirement:
        return Finding(
            topic,
            Recommendation.SHARE,
            "Legislation or a court order requires the sharing. Share what it requires, and no more.",
            (g.HM_CONFIDENTIALITY_LEGAL_REQUIREMENT, g.BUCKS_Q1_LEGAL_BASIS),
        )
    if concern is Concern.WELLBEING:
        if answers.consent is Consent.GIVEN and answers.objection_raised:
            # Golden rule 3 supports overriding an objection only to protect the child from
            # harm; at early help there is no such concern, so the conflict is resolved first.
            return Finding(
                topic,
                Recommendation.SEEK_CONSENT,
                "Consent was given, but someone has objected to this sharing (for example the "
                "child and a parent, or two parents, want different things). With no concern "
                "for the child's safety, an objection is only overridden to protect a child "
                "from harm, so do not share yet. Ask your designated safeguarding lead for "
                "guidance, consider whose consent counts, and resolve the objection with the "
                "family before sharing. If the objection stands, respect it; if new "
                "information suggests a risk of harm, think again.",
                (
                    g.BUCKS_Q4_CONFLICT,
                    BUCKS_Q4_WHOSE_CONSENT,
                    g.BUCKS_EARLY_HELP_CONSENT,
                    g.GOLDEN_RULE_3_OBJECTIONS,
                    BUCKS_CONSENT_DELAY,
                    g.GOLDEN_RULE_7_RECONSIDER,
                ),
            )
        if answers.consent is Consent.GIVEN:
            return Finding(
                topic,
                Recommendation.SHARE,
                "Early help with consent: share what is needed for the support to be provided.",
                (g.BUCKS_EARLY_HELP_CONSENT, g.BUCKS_Q4_CONSENT),
            )
        if answers.consent is Consent.NOT_SOUGHT:
            return Finding(
                topic,
                Recommendation.SEEK_CONSENT,
                "There is no concern for the child's safety, so seek consent before sharing. "
                "Explain what will be shared, with whom and why.",
                (g.BUCKS_EARLY_HELP_CONSENT, g.HM_EARLY_HELP_CONSENT),
            )
        return Finding(
            topic,
            Recommendation.DO_NOT_SHARE,
            f"Consent was {answers.consent.value} and there is no concern for the child's "
            "safety, so respect that wish and do not share. If new information suggests a "
            "risk of harm, think again.",
            (g.BUCKS_EARLY_HELP_CONSENT, g.HM_NO_SAFETY_CONCERN_CONSENT, g.GOLDEN_RULE_7_RECONSIDER),
        )
    citations = (g.GOLDEN_RULE_3, g.HM_JUSTIFIED_BY_HARM)
    note = "Share with the recipient: consent is not needed when a child is at risk of harm."
    if concern is Concern.POSSIBLE_HARM:
        note += " Share limited, relevant information to find out whether there is a risk."
        citations += (g.HM_NOT_SURE_SHARE,)
    elif concern is Concern.SIGNIFICANT_HARM:
        citations += (g.BUCKS_SAFEGUARDING_NO_CONSENT,)
    else:
        note += " Do not delay: delays may increase the risk of harm."
        citations += (g.HM_EMERGENCY_SHARE, g.ICO_STEP_9_EMERGENCY)
    if _objection_overridden(answers):
        note += " This overrides an objection or refusal, which you must record with reasons."
        citations += (g.GOLDEN_RULE_3_OBJECTIONS, g.HM_OBJECTION_STILL_SHARE)
    elif answers.consent is Consent.NOT_SOUGHT and answers.consent_not_sought_reason is None:
        note += (
            " It remains good practice to discuss the concern with the family and seek their "
            "agreement, unless that would be unsafe."
        )
        citations += (g.BUCKS_SAFEGUARDING_GOOD_PRACTICE,)
    return Finding(topic, Recommendation.SHARE, note, citations)


def lawful_bases(answers: Answers, concern: Concern) -> Finding[tuple[LawfulBasis, ...]]:
    """Article 6 bases, most appropriate first.

    By sector (public task / legal obligation for public bodies, legitimate interests for
    voluntary and private organisations), legal obligation first when the law requires
    the sharing, and vital interests added in an emergency. Consent is never proposed:
    the 2024 advice says it is unlikely to be appropriate, and a basis that can be
    withdrawn at any time cannot support a safeguarding record.
    """
    if answers.organisation_sector is Sector.PUBLIC:
        bases = [LawfulBasis.PUBLIC_TASK, LawfulBasis.LEGAL_OBLIGATION]
        citations: tuple[Citation, ...] = (g.HM_PUBLIC_SECTOR_BASIS, g.BUCKS_PRIMARY_BASES)
        note = "As a public body, public task or legal obligation is likely to be the basis."
    else:
        bases = [LawfulBasis.LEGITIMATE_INTERESTS]
        citations = (g.HM_VOLUNTARY_PRIVATE_BASIS, g.ICO_STEP_8_BASES)
        note = f"In the {answers.organisation_sector.value} sector, legitimate interests is likely to be the basis."
    if answers.legal_requirement:
        bases = [LawfulBasis.LEGAL_OBLIGATION] + [b for b in bases if b is not LawfulBasis.LEGAL_OBLIGATION]
        note += " The law requires this sharing, so legal obligation comes first."
        citations += (g.HM_LEGAL_OBLIGATION,)
    if concern is Concern.IMMEDIATE_RISK:
        bases.append(LawfulBasis.VITAL_INTERESTS)
        note += (
            " In an emergency, vital interests (protecting someone's life) may also apply; the "
            "guidance texts do not name it, so rely on it alongside, not instead of, the above."
        )
        citations += (g.HM_EMERGENCY_SHARE, g.HM_NO_BASIS_BETTER)
    note += " Consent is not proposed: it is rarely the right basis when safeguarding a child."
    citations += (g.HM_CONSENT_NOT_DEFAULT, g.GOLDEN_RULE_3_LAWFUL_BASIS)
    return Finding("lawful_basis", tuple(bases), note, citations)


def article9_condition(answers: Answers) -> Finding[Article9Condition | None]:
    """Special category data needs an Article 9 condition as well as an Article 6 basis."""
    if answers.special_category:
        return Finding(
            "article9_condition",
            Article9Condition.SAFEGUARDING,
            "Special category data (for example health) also needs an Article 9 condition: "
            "safeguarding of children and individuals at risk.",
            (g.HM_SPECIAL_CATEGORY_NEEDS_BOTH, g.HM_ARTICLE_9),
        )
    return Finding(
        "article9_condition",
        None,
        "No special category data, so no Article 9 condition is needed.",
        (),
    )


def confidentiality_ground(answers: Answers, concern: Concern) -> Finding[ConfidentialityGround | None]:
    """Which ground sets aside the common law duty of confidentiality, if the data is confidential.

    A legal requirement first (it cannot be withdrawn); then the overriding public
    interest at any level of harm when consent is missing or someone objects; then
    consent. At wellbeing without consent, or with consent that someone objects to, there
    is no ground, which is why the recommendation there is to seek consent or not share.
    """
    topic = "confidentiality"
    if not answers.confidential:
        return Finding(
            topic,
            None,
            "The information is not confidential, so the duty of confidentiality does not arise.",
            (),
        )
    if answers.legal_requirement:
        return Finding(
            topic,
            ConfidentialityGround.LEGAL_REQUIREMENT,
            "Legislation or a court order requires the sharing.",
            (g.HM_CONFIDENTIALITY_LEGAL_REQUIREMENT,),
        )
    if concern in HARM_LEVELS and (answers.consent is not Consent.GIVEN or answers.objection_raised):
        return Finding(
            topic,
            ConfidentialityGround.OVERRIDING_PUBLIC_INTEREST,
            "Protecting the child outweighs the public interest in confidentiality, provided "
            "you share only the minimum necessary (proportionate).",
            (
                g.HM_CONFIDENTIALITY_PUBLIC_INTEREST,
                g.BUCKS_Q5_CLEAR_RISK,
                g.BUCKS_Q5_PROPORTIONATE,
            ),
        )
    if answers.consent is Consent.GIVEN and answers.objection_raised:
        return Finding(
            topic,
            None,
            "Consent was given, but someone objects. With no concern for the child's safety, "
            "that consent cannot be relied on while the objection stands, and there is no other "
            "ground: resolve the objection first.",
            (g.BUCKS_Q4_CONFLICT, BUCKS_Q4_WHOSE_CONSENT, g.HM_NO_SAFETY_CONCERN_CONSENT),
        )
    if answers.consent is Consent.GIVEN:
        return Finding(
            topic,
            ConfidentialityGround.CONSENT,
            "Consent was given, so sharing within its limits is not a breach of confidence.",
            (g.BUCKS_Q3_NO_BREACH, g.BUCKS_Q4_CONSENT),
        )
    return Finding(
        topic,
        None,
        "Confidential information, no safety concern and no consent: there is no ground to set confidentiality aside.",
        (g.HM_NO_SAFETY_CONCERN_CONSENT,),
    )


_DO_NOT_INFORM_REASONS = frozenset(
    {
        ConsentNotSoughtReason.INCREASE_RISK_TO_CHILD,
        ConsentNotSoughtReason.SERIOUS_HARM_TO_ADULT,
        ConsentNotSoughtReason.PREJUDICE_CRIME_DETECTION,
    }
)


def when_to_inform(answers: Answers, concern: Concern) -> Finding[Inform]:
    """Whether and when to tell the child or family.

    Not at all if it may increase the risk (rule 2), and not if consent was not sought
    because asking would put the child or an adult at risk or prejudice a criminal
    investigation: telling them about the sharing would do the same harm. After sharing
    in an emergency, or when asking first would delay enquiries. Otherwise before.
    """
    topic = "inform"
    if answers.informing_would_increase_risk:
        return Finding(
            topic,
            Inform.DO_NOT_INFORM,
            "Do not tell the child or family: it may increase the risk of harm. Record why.",
            (g.GOLDEN_RULE_2_NOT_REQUIRED, g.HM_DO_NOT_INFORM),
        )
    reason = answers.consent_not_sought_reason
    if reason is not None and reason in _DO_NOT_INFORM_REASONS:
        return Finding(
            topic,
            Inform.DO_NOT_INFORM,
            "Do not tell the child or family: the reason you did not seek consent applies "
            "equally to telling them. Record why.",
            (g.HM_DO_NOT_INFORM, CONSENT_NOT_SOUGHT_REASON_CITATIONS[reason]),
        )
    if concern is Concern.IMMEDIATE_RISK or reason is ConsentNotSoughtReason.UNDUE_DELAY:
        return Finding(
            topic,
            Inform.AFTER_SHARING,
            "Share first; tell the child or family afterwards, when it is safe to do so.",
            (g.HM_URGENT_INFORM_LATER, g.HM_INFORM_EVEN_IF_DUTY),
        )
    return Finding(
        topic,
        Inform.BEFORE_SHARING,
        "Tell the child or family before sharing: who you will share with, what and why.",
        (g.GOLDEN_RULE_2_ENGAGE, g.BUCKS_Q6_INFORM),
    )


def advice_needed(answers: Answers, concern: Concern, recommendation: Recommendation) -> Finding[bool]:
    """Golden rule 4: recommend advice where the answers show uncertainty or a conflict.

    In an emergency advice never comes before sharing; the note says so.
    """
    reasons: list[str] = []
    citations: list[Citation] = []
    sharing = recommendation in SHARING_RECOMMENDATIONS
    if concern is not answers.concern:
        reasons.append("your answers disagree about the level of concern")
        citations += [g.BUCKS_THRESHOLD_UNCLEAR]
    if concern is Concern.POSSIBLE_HARM:
        reasons.append("you are unsure whether there is a risk of harm")
        citations += [g.BUCKS_THRESHOLD_UNCLEAR, g.BUCKS_DISCUSS_WITHOUT_DELAY]
    if sharing and _objection_overridden(answers):
        reasons.append("sharing would override an objection or refusal")
        citations += [g.BUCKS_Q5_ADVICE]
    if answers.consent is Consent.GIVEN and answers.objection_raised:
        reasons.append("someone objects although consent was given")
        citations += [g.BUCKS_Q4_CONFLICT]
    if concern in HARM_LEVELS and answers.consent is Consent.NOT_SOUGHT and answers.consent_not_sought_reason is None:
        # At wellbeing the recommendation is simply to seek consent; advice matters when
        # consent is being bypassed without one of the four recognised reasons.
        reasons.append("consent was not sought and none of the four reasons applies")
        citations += [g.BUCKS_SAFETY_OVERRIDING, g.BUCKS_WHEN_NOT_TO_SEEK_CONSENT]
    if not answers.recipient_has_safeguarding_role and concern in HARM_LEVELS:
        reasons.append("the concern needs to reach someone with a safeguarding role")
        citations += [g.HM_REPORT_TO_CHILDRENS_SERVICES]
    if not answers.recipient_has_safeguarding_role and answers.legal_requirement:
        reasons.append(
            "whether the law requires you to share with a recipient who has no safeguarding role "
            "is a question for legal advice or your designated safeguarding lead"
        )
        citations += [BUCKS_Q2_LEGAL_ADVICE]
    if not reasons:
        return Finding(
            "advice_recommended",
            False,
            "Nothing in your answers calls for advice, but seek it whenever you are unsure.",
            (g.GOLDEN_RULE_4,),
        )
    note = (
        "Seek advice (your manager, designated safeguarding lead or data protection lead) "
        "because " + "; ".join(reasons) + "."
    )
    citations += [g.GOLDEN_RULE_4, g.GOLDEN_RULE_4_WHO]
    if concern is Concern.IMMEDIATE_RISK:
        note += " In an emergency, share first: do not let seeking advice delay protecting the child."
        citations += [g.GOLDEN_RULE_4_DO_NOT_LEAVE, g.HM_EMERGENCY_SHARE]
    return Finding("advice_recommended", True, note, _dedupe(citations))


def record_requirements(
    answers: Answers,
    concern: Concern,
    inform: Inform,
    *,
    sharing: bool,
    anonymised: bool = False,
    advice_recommended: bool = False,
) -> tuple[RecordRequirement, ...]:
    """What the decision record must contain, each field with the passage requiring it.

    ``sharing`` is whether the decision being recorded is to share (in whole, in part or
    anonymised); ``anonymised`` whether what is shared identifies nobody. A decision not
    to share still needs its rationale (golden rule 7). Sharing anonymised information
    carries the same fields as identifiable sharing, because anonymised extracts can
    sometimes be re-identified, with one exception: the confidentiality ground. The
    common law duty attaches to personal information, and naming a ground that does not
    exist (say consent nobody gave) would make the record untrue.

    ``advice_recommended`` (golden rule 4) asks the record to say whether advice was
    sought (from whom, when, what was advised) or why not.
    """
    R = RecordRequirement
    F = RecordField
    needed = [
        R(F.PURPOSE, g.BUCKS_Q5_RECORD),
        R(F.RECIPIENT, g.BUCKS_Q7_WHAT_AND_WHO if sharing else g.GOLDEN_RULE_7_REQUESTS),
        R(F.DATE_TIME, g.BUCKS_Q5_SIGNED_AND_DATED),
        R(F.DECIDED_BY, g.BUCKS_Q5_SIGNED_AND_DATED),
        R(F.RISK_LEVEL, g.BUCKS_Q5_RECORD),
        R(F.RATIONALE, g.GOLDEN_RULE_7),
    ]
    if sharing:
        needed += [
            R(F.WHAT_SHARED, g.BUCKS_Q7_WHAT_AND_WHO),
            R(F.LAWFUL_BASIS, g.BUCKS_Q4_RECORD_LEGAL_BASIS),
        ]
        if answers.confidential and answers.identifiable and not anonymised:
            needed.append(R(F.CONFIDENTIALITY_GROUND, HM_CONFIDENTIALITY_CONDITIONS))
        if answers.consent is Consent.GIVEN:
            needed.append(R(F.CONSENT_GIVEN_BY_AND_WHEN, g.BUCKS_Q7_WHAT_AND_WHO))
        if answers.consent is Consent.NOT_SOUGHT:
            needed.append(R(F.REASONS_CONSENT_NOT_SOUGHT, g.BUCKS_RECORD_CONSENT_NOT_SOUGHT))
        if _objection_overridden(answers):
            needed.append(R(F.REASONS_FOR_OVERRIDING_OBJECTION, g.HM_OBJECTION_RECORD))
        if inform is not Inform.DO_NOT_INFORM:
            needed.append(R(F.FAMILY_INFORMED, g.BUCKS_Q6_INFORM))
    if inform is Inform.DO_NOT_INFORM:
        needed.append(R(F.REASON_NOT_INFORMED, g.GOLDEN_RULE_2_NOT_REQUIRED))
    if advice_recommended:
        needed.append(R(F.ADVICE_SOUGHT, BUCKS_Q4_DECISION_PROCESS if sharing else g.GOLDEN_RULE_4))
    if concern is Concern.IMMEDIATE_RISK:
        needed.append(R(F.FOLLOW_UP_RATIONALE, g.HM_EMERGENCY_DOCUMENT))
    order = list(RecordField)
    return tuple(sorted(needed, key=lambda r: order.index(r.field)))


# --- Putting it together ------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    """The recommendation with everything needed to show and record it.

    ``answers`` and ``concern_assessed`` are kept so that the record requirements can be
    recomputed for the practitioner's own final decision (see
    ``wizard_flow.required_record_fields``).
    """

    answers: Answers
    concern_assessed: Concern
    recommendation: Recommendation
    lawful_basis: tuple[LawfulBasis, ...]
    article9_condition: Article9Condition | None
    confidentiality: ConfidentialityGround | None
    inform: Inform
    advice_recommended: bool
    must_record: tuple[RecordField, ...]
    citations: tuple[Citation, ...]
    findings: tuple[Finding[Any], ...]

    @property
    def recommends_sharing(self) -> bool:
        return self.recommendation in SHARING_RECOMMENDATIONS

    def to_json(self) -> dict[str, Any]:
        """The documented output (docs/decision-api.md); plain JSON types only."""
        return {
            "recommendation": self.recommendation.value,
            "lawful_basis": [b.value for b in self.lawful_basis],
            "article9_condition": None if self.article9_condition is None else self.article9_condition.value,
            "confidentiality": None if self.confidentiality is None else self.confidentiality.value,
            "inform": self.inform.value,
            "advice_recommended": self.advice_recommended,
            "must_record": [f.value for f in self.must_record],
            "citations": [c.to_json() for c in self.citations],
            "concern_assessed": self.concern_assessed.value,
            "explanations": [f.to_json() for f in self.findings],
            "rules_version": RULES_VERSION,
        }


def evaluate(answers: Answers) -> Outcome:
    """Run every rule over the answers and gather the outcome and its citations."""
    concern = assess_concern(answers)
    recommendation = recommend(answers, concern.value)
    basis = lawful_bases(answers, concern.value)
    article9 = article9_condition(answers)
    confidentiality = confidentiality_ground(answers, concern.value)
    inform = when_to_inform(answers, concern.value)
    advice = advice_needed(answers, concern.value, recommendation.value)
    requirements = record_requirements(
        answers,
        concern.value,
        inform.value,
        sharing=recommendation.value in SHARING_RECOMMENDATIONS,
        anonymised=recommendation.value is Recommendation.SHARE_ANONYMISED,
        advice_recommended=advice.value,
    )
    record = Finding(
        "must_record",
        tuple(r.field for r in requirements),
        "Record the decision and the reasons for it, whether or not you share.",
        _dedupe(r.citation for r in requirements),
    )
    findings: tuple[Finding[Any], ...] = (
        concern,
        recommendation,
        basis,
        article9,
        confidentiality,
        inform,
        advice,
        record,
    )
    return Outcome(
        answers=answers,
        concern_assessed=concern.value,
        recommendation=recommendation.value,
        lawful_basis=basis.value,
        article9_condition=article9.value,
        confidentiality=confidentiality.value,
        inform=inform.value,
        advice_recommended=advice.value,
        must_record=record.value,
        citations=_dedupe(c for f in findings for c in f.citations),
        findings=findings,
    )


def decide(mapping: object) -> Outcome:
    """``parse_answers`` then ``evaluate``: the one call the CLI and services need."""
    return evaluate(parse_answers(mapping))
