"""The decision wizard's questions, as data, and what a decision record must contain.

The Qt wizard is a thin view over this module: it shows ``QUESTIONS`` in order, skips
any whose ``asked_when`` is false for the answers so far, and passes the result through
``complete_answers`` to ``decision_rules.parse_answers`` and ``evaluate``. After the
recommendation, the practitioner makes their *own* decision (``FinalDecision``) and
``required_record_fields`` says what the record must then contain.

Keeping the questions here rather than in widgets means the wording, the order, the
citations and the skip logic are tested without a window, and the command line and the
wizard can never disagree about what an answer means.

The order follows the Buckinghamshire code's Appendix 1 (purpose, identifiability,
confidentiality, consent, public interest) with the level of concern, the lawful basis,
the recipient and informing the family from the 2024 advice and golden rules.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Literal, NamedTuple

from desktop_app.domain import guidance as g
from desktop_app.domain.decision_rules import (
    Concern,
    Consent,
    ConsentNotSoughtReason,
    Inform,
    Outcome,
    Recommendation,
    RecordField,
    Sector,
    record_requirements,
)
from desktop_app.domain.guidance import Citation
from desktop_app.errors import ValidationError

OptionValue = str | bool | None
PartialAnswers = Mapping[str, object]
QuestionKind = Literal["text", "choice", "yes_no"]

# Who to ask, in the words of golden rule 4; every "seek advice" hint relies on it.
ADVICE_CITATION = g.GOLDEN_RULE_4


@dataclass(frozen=True)
class Option:
    """One choice: the stored ``value`` (what ``parse_answers`` accepts), and words for people."""

    value: OptionValue
    label: str
    help: str = ""


def _always(_answers: PartialAnswers) -> bool:
    return True


@dataclass(frozen=True)
class Question:
    """One wizard page (or one field on a page: ``step`` groups questions into pages).

    ``asked_when`` sees only the answers to earlier questions. When it is false the
    question is skipped and ``default_when_not_asked`` is used, so that the rules always
    receive a complete set of answers.
    """

    id: str
    step: str
    title: str
    prompt: str
    help: str
    kind: QuestionKind
    options: tuple[Option, ...]
    citations: tuple[Citation, ...]
    seek_advice_hint: str | None = None
    asked_when: Callable[[PartialAnswers], bool] = field(default=_always, compare=False)
    default_when_not_asked: OptionValue = None

    def option(self, value: OptionValue) -> Option:
        """The option with this value (an enum member matches its string value).

        ``True`` and ``1`` are kept apart: a yes/no answer must be a real boolean.
        """
        for option in self.options:
            if isinstance(option.value, bool) != isinstance(value, bool):
                continue
            if option.value == value:
                return option
        raise KeyError(value)


def _yes_no(yes_help: str = "", no_help: str = "") -> tuple[Option, ...]:
    return (Option(True, "Yes", yes_help), Option(False, "No", no_help))


def _identifiable(answers: PartialAnswers) -> bool:
    return answers.get("identifiable") is True


def _consent_not_sought(answers: PartialAnswers) -> bool:
    return answers.get("consent") == Consent.NOT_SOUGHT.value


def _objection_not_implied(answers: PartialAnswers) -> bool:
    # A refusal or withdrawal of consent is already an objection; only ask otherwise.
    return answers.get("consent") not in (Consent.REFUSED.value, Consent.WITHDRAWN.value)


QUESTIONS: tuple[Question, ...] = (
    Question(
        id="purpose",
        step="Purpose",
        title="Why would you share this information?",
        prompt="In a sentence or two: what is the purpose of sharing, and what should it achieve for the child?",
        help="A clear and legitimate purpose decides how much you share and with whom. Keep "
        "the details of the case in your case notes, not here.",
        kind="text",
        options=(),
        citations=(g.BUCKS_Q1_PURPOSE, g.ICO_STEP_2_PURPOSE, g.BUCKS_Q1_NEED_TO_KNOW),
        seek_advice_hint="If you are not sure what the recipient needs or why, ask them before you share.",
    ),
    Question(
        id="identifiable",
        step="Identifiability",
        title="Does the information identify anyone?",
        prompt="Does the information enable a person to be identified: the child, or anyone "
        "else such as a parent, carer or neighbour?",
        help="Count indirect identification too: a school, a year group and an event can be "
        "enough to identify a child.",
        kind="yes_no",
        options=_yes_no(
            "Data protection law applies; the wizard continues with consent and lawful basis.",
            "Anonymised information can be shared for a legitimate purpose.",
        ),
        citations=(g.BUCKS_Q2_IDENTIFIABLE, g.HM_PERSONAL_DATA, g.BUCKS_Q2_ANONYMISED_LAWFUL),
        seek_advice_hint="If you are unsure whether someone could be identified, answer Yes "
        "and ask your data protection lead.",
    ),
    Question(
        id="anonymised_would_suffice",
        step="Identifiability",
        title="Would anonymised information do?",
        prompt="Could the purpose be achieved without details that identify anyone?",
        help="For example, data analysis or report writing rarely needs names. Sharing "
        "information about a particular child's safety usually does.",
        kind="yes_no",
        options=_yes_no(
            "Share it without identifying details.",
            "The recipient needs to know who this is about.",
        ),
        citations=(g.BUCKS_Q1_ANONYMOUS, g.GOLDEN_RULE_6_MINIMUM),
        seek_advice_hint="If you are unsure what the recipient needs, ask them.",
        asked_when=_identifiable,
        default_when_not_asked=False,
    ),
    Question(
        id="confidential",
        step="Confidentiality",
        title="Is the information confidential?",
        prompt="Was it given to you in confidence, by someone who understood it would not be "
        "passed on, and is it not already public?",
        help="Confidential information is sensitive, not already lawfully public, and was "
        "shared in a relationship where the person expected it to stay private.",
        kind="yes_no",
        options=_yes_no(),
        citations=(g.BUCKS_Q3_CONFIDENTIAL, g.HM_CONFIDENTIALITY_DUTY),
        seek_advice_hint="If you are unsure, treat it as confidential and ask your "
        "safeguarding or information governance lead.",
    ),
    Question(
        id="consent",
        step="Consent",
        title="Consent to share",
        prompt="Has the child (if able to decide) or a parent or carer been asked to agree to this sharing?",
        help="Consent must be freely given, informed and explicit. When a child is at risk of "
        "harm you do not need consent, but say here whether it was sought.",
        kind="choice",
        options=(
            Option(Consent.GIVEN.value, "Consent given", "Record who gave it, and when."),
            Option(Consent.REFUSED.value, "Consent refused"),
            Option(
                Consent.WITHDRAWN.value,
                "Consent withdrawn",
                "People can withdraw consent after giving it.",
            ),
            Option(
                Consent.NOT_SOUGHT.value,
                "Consent not sought",
                "You will be asked why.",
            ),
        ),
        citations=(
            g.BUCKS_Q4_CONSENT,
            g.GOLDEN_RULE_3,
            g.BUCKS_Q4_WITHDRAW,
            g.HM_CONSENT_NOT_DEFAULT,
        ),
        seek_advice_hint="If you are unsure whose consent counts (a child's capacity, or "
        "parents who disagree), ask your safeguarding lead.",
    ),
    Question(
        id="consent_not_sought_reason",
        step="Consent",
        title="Why was consent not sought?",
        prompt="Would asking for consent have done one of these?",
        help="These are the limited circumstances in which consent should not be sought. "
        "Seeking consent from someone you believe is harming a child can increase the risk.",
        kind="choice",
        options=(
            Option(
                ConsentNotSoughtReason.INCREASE_RISK_TO_CHILD.value,
                "Place a child at increased risk of significant harm",
            ),
            Option(
                ConsentNotSoughtReason.SERIOUS_HARM_TO_ADULT.value,
                "Place an adult at risk of serious harm",
            ),
            Option(
                ConsentNotSoughtReason.PREJUDICE_CRIME_DETECTION.value,
                "Prejudice the prevention or detection of a serious crime",
            ),
            Option(
                ConsentNotSoughtReason.UNDUE_DELAY.value,
                "Lead to unjustified delay in making enquiries about allegations of significant harm",
            ),
            Option(
                None,
                "None of these",
                "Then it is usually good practice to seek consent, or at least discuss the "
                "concern with the family, unless that would be unsafe.",
            ),
        ),
        citations=(
            g.BUCKS_WHEN_NOT_TO_SEEK_CONSENT,
            g.BUCKS_REASON_RISK_TO_CHILD,
            g.BUCKS_REASON_HARM_TO_ADULT,
            g.BUCKS_REASON_CRIME,
            g.BUCKS_REASON_DELAY,
            g.HM_SEEKING_CONSENT_RISK,
        ),
        seek_advice_hint="If none of these applies but you still think you should not ask, "
        "talk to your designated safeguarding lead.",
        asked_when=_consent_not_sought,
        default_when_not_asked=None,
    ),
    Question(
        id="objection_raised",
        step="Consent",
        title="Has anyone objected?",
        prompt="Has the child, a parent or a carer objected to this information being shared?",
        help="Consider any objection. You may still share if it is necessary to protect the "
        "child from harm, and you must then record your reasons. Where there is no concern for "
        "the child's safety, an objection holds sharing back until it is resolved, even if "
        "someone else consented.",
        kind="yes_no",
        options=_yes_no(),
        citations=(g.GOLDEN_RULE_3_OBJECTIONS, g.HM_OBJECTION_RECORD, g.BUCKS_Q4_CONFLICT),
        seek_advice_hint="If a parent and child, or two parents, want different things, ask your safeguarding lead.",
        asked_when=_objection_not_implied,
        # Only skipped when consent was refused or withdrawn, which is an objection.
        default_when_not_asked=True,
    ),
    Question(
        id="concern",
        step="Level of concern",
        title="How concerned are you about the child's safety?",
        prompt="Which best describes your concern today?",
        help="Base it on the facts you have now. If the picture changes, run the wizard "
        "again: decisions should be reconsidered when new information arrives.",
        kind="choice",
        options=(
            Option(
                Concern.WELLBEING.value,
                "Wellbeing: no concern for safety (early help)",
                "The family would benefit from support. Consent is needed to share.",
            ),
            Option(
                Concern.POSSIBLE_HARM.value,
                "Possible harm: unsure whether there is a risk",
                "The concern must not be ignored. Share limited information to find out.",
            ),
            Option(
                Concern.SIGNIFICANT_HARM.value,
                "Significant harm",
                "Reasonable cause to believe the child has suffered, or is likely to suffer, significant harm.",
            ),
            Option(
                Concern.IMMEDIATE_RISK.value,
                "Immediate risk: an emergency",
                "Share what is necessary now; write it up afterwards.",
            ),
        ),
        citations=(
            g.BUCKS_EARLY_HELP_DEFINED,
            g.HM_CONCERN_DEFINED,
            g.BUCKS_THRESHOLD_UNCLEAR,
            g.BUCKS_SAFEGUARDING_NO_CONSENT,
            g.HM_EMERGENCY_SHARE,
        ),
        seek_advice_hint="If you are unsure whether there is a risk, choose possible harm and "
        "talk to your designated safeguarding lead without delay.",
    ),
    Question(
        id="legal_requirement",
        step="Public interest and legal requirement",
        title="Does the law require this sharing?",
        prompt="Does legislation or a court order require you to share this information?",
        help="For example, a court order for records. Where the law does not require it, "
        "protecting a child from harm is usually a sufficient public interest; the wizard "
        "weighs that from your level of concern.",
        kind="yes_no",
        options=_yes_no(),
        citations=(
            g.HM_CONFIDENTIALITY_LEGAL_REQUIREMENT,
            g.BUCKS_Q1_LEGAL_BASIS,
            g.BUCKS_Q5_PUBLIC_INTEREST,
            g.BUCKS_Q5_CLEAR_RISK,
        ),
        seek_advice_hint="If you are not sure whether a request is legally binding, ask your "
        "information governance lead or legal team.",
    ),
    Question(
        id="organisation_sector",
        step="Lawful basis",
        title="Your organisation's sector",
        prompt="Which sector does your organisation belong to?",
        help="This decides the likely lawful basis. It is usually set once for your "
        "organisation in the application's settings.",
        kind="choice",
        options=(
            Option(
                Sector.PUBLIC.value,
                "Public sector",
                "For example a local authority, school, NHS body or police.",
            ),
            Option(Sector.VOLUNTARY.value, "Voluntary sector", "For example a charity."),
            Option(Sector.PRIVATE.value, "Private sector", "For example a private nursery."),
        ),
        citations=(g.HM_PUBLIC_SECTOR_BASIS, g.HM_VOLUNTARY_PRIVATE_BASIS, g.HM_AT_LEAST_ONE_BASIS),
        seek_advice_hint="If your organisation carries out a public function under contract, "
        "ask your data protection lead which basis applies.",
    ),
    Question(
        id="special_category",
        step="Lawful basis",
        title="Is any of it special category data?",
        prompt="Does it include information about health, racial or ethnic origin, religion "
        "or beliefs, sex life or sexual orientation, or genetic or biometric data?",
        help="Special category data needs an Article 9 condition as well as a lawful basis.",
        kind="yes_no",
        options=_yes_no(),
        citations=(g.HM_SPECIAL_CATEGORY_NEEDS_BOTH, g.HM_ARTICLE_9),
        seek_advice_hint="If you are unsure, answer Yes and ask your data protection lead.",
    ),
    Question(
        id="recipient_has_safeguarding_role",
        step="What to share and with whom",
        title="Does the recipient have a safeguarding role?",
        prompt="Does the person or organisation you would share with have a role in "
        "safeguarding this child or supporting their family?",
        help="For example children's social care, the police, the child's school, GP or health "
        "visitor. Share only what they need, and protect the identities of anyone who could "
        "be harmed if their details became known.",
        kind="yes_no",
        options=_yes_no(),
        citations=(
            g.GOLDEN_RULE_6,
            g.GOLDEN_RULE_6_MINIMUM,
            g.GOLDEN_RULE_5,
            g.BUCKS_Q6_NEED_TO_KNOW,
        ),
        seek_advice_hint="If you do not know the recipient's role, or what they will do with "
        "the information, find out before you share.",
    ),
    Question(
        id="informing_would_increase_risk",
        step="Informing the family",
        title="Would telling the family increase the risk?",
        prompt="Do you have reason to believe that telling the child or their family about "
        "this sharing could put the child or anyone else at increased risk of harm, or "
        "compromise an investigation?",
        help="Where it is safe, explain to the child or family who you will share with, what "
        "and why. You are not required to tell them if it could increase the risk.",
        kind="yes_no",
        options=_yes_no(
            "You will be asked to record why they were not told.",
            "Tell them, before sharing or as soon as it is safe.",
        ),
        citations=(g.GOLDEN_RULE_2_ENGAGE, g.GOLDEN_RULE_2_NOT_REQUIRED, g.HM_DO_NOT_INFORM),
        seek_advice_hint="If you are unsure, do not tell them yet and seek advice first.",
    ),
)

# Every answer key has exactly one question (checked in tests/unit/test_wizard_flow.py).
QUESTION_IDS: tuple[str, ...] = tuple(q.id for q in QUESTIONS)


def question(question_id: str) -> Question:
    """The question with this id (= answer key)."""
    for q in QUESTIONS:
        if q.id == question_id:
            return q
    raise KeyError(question_id)


def questions_to_ask(answers: PartialAnswers) -> tuple[Question, ...]:
    """The questions on the path given these answers, in order (answered or not)."""
    return tuple(q for q in QUESTIONS if q.asked_when(answers))


def next_question(answers: PartialAnswers) -> Question | None:
    """The first question still to answer on the current path, or ``None`` when done."""
    for q in questions_to_ask(answers):
        if q.id not in answers:
            return q
    return None


def complete_answers(answers: PartialAnswers) -> dict[str, object]:
    """The answers ready for ``parse_answers``: skipped questions get their default.

    Answers to questions no longer on the path (say the practitioner went back and
    changed consent from not sought to given) are replaced by the default, so a stale
    answer cannot contradict a later one. Keys that are not questions are dropped.
    Unanswered questions on the path stay missing, so ``parse_answers`` names them.
    """
    complete: dict[str, object] = {}
    for q in QUESTIONS:
        if not q.asked_when(answers):
            complete[q.id] = q.default_when_not_asked
        elif q.id in answers:
            complete[q.id] = answers[q.id]
    return complete


# --- The practitioner's own decision ------------------------------------------------


class FinalDecision(StrEnum):
    SHARE = "share"
    SHARE_PART = "share_part"
    DO_NOT_SHARE = "do_not_share"
    SEEK_CONSENT_FIRST = "seek_consent_first"
    SEEK_ADVICE_FIRST = "seek_advice_first"


SHARING_DECISIONS = frozenset({FinalDecision.SHARE, FinalDecision.SHARE_PART})


class DecisionOption(NamedTuple):
    value: FinalDecision
    label: str
    help: str
    citation: Citation


FINAL_DECISION_OPTIONS: tuple[DecisionOption, ...] = (
    DecisionOption(
        FinalDecision.SHARE,
        "Share",
        "Share the information the recipient needs for the purpose, and no more.",
        g.GOLDEN_RULE_6_MINIMUM,
    ),
    DecisionOption(
        FinalDecision.SHARE_PART,
        "Share part of it",
        "Share only some of the information, or share it anonymised.",
        g.HM_MINIMUM_NECESSARY,
    ),
    DecisionOption(
        FinalDecision.DO_NOT_SHARE,
        "Do not share",
        "Record why. Be willing to reconsider if new information arrives.",
        g.GOLDEN_RULE_7_REQUESTS,
    ),
    DecisionOption(
        FinalDecision.SEEK_CONSENT_FIRST,
        "Seek consent first",
        "Ask for consent, then come back to this decision.",
        g.BUCKS_EARLY_HELP_CONSENT,
    ),
    DecisionOption(
        FinalDecision.SEEK_ADVICE_FIRST,
        "Seek advice first",
        "Ask your manager, safeguarding lead or data protection lead, then come back. Not in "
        "an emergency: there, share first.",
        g.GOLDEN_RULE_4,
    ),
)

_AGREEING: dict[Recommendation, frozenset[FinalDecision]] = {
    Recommendation.SHARE: frozenset({FinalDecision.SHARE, FinalDecision.SHARE_PART}),
    Recommendation.SHARE_ANONYMISED: frozenset({FinalDecision.SHARE_PART}),
    Recommendation.SEEK_CONSENT: frozenset({FinalDecision.SEEK_CONSENT_FIRST}),
    Recommendation.DO_NOT_SHARE: frozenset({FinalDecision.DO_NOT_SHARE}),
}


def parse_final_decision(value: object) -> FinalDecision:
    """Validate a final decision from the wizard or a file."""
    if isinstance(value, FinalDecision):
        return value
    allowed = ", ".join(d.value for d in FinalDecision)
    if isinstance(value, str):
        try:
            return FinalDecision(value)
        except ValueError:
            pass
    raise ValidationError(f"The final decision must be one of: {allowed}; got {value!r}.", field="final_decision")


def follows_recommendation(outcome: Outcome, final_decision: FinalDecision | str) -> bool:
    """Does the practitioner's decision go the way the wizard recommended?

    Sharing part is in line with a recommendation to share (less is fine: golden rule
    6). Seeking advice first is in line whenever advice was recommended, except in an
    emergency, where advice must not delay sharing.
    """
    decision = parse_final_decision(final_decision)
    if decision is FinalDecision.SEEK_ADVICE_FIRST:
        return outcome.advice_recommended and outcome.concern_assessed is not Concern.IMMEDIATE_RISK
    return decision in _AGREEING[outcome.recommendation]


class RecordFieldRequirement(NamedTuple):
    """A field the decision record must contain: key, words for the form, and why."""

    field: str
    label: str
    citation: Citation


# Extra record fields beyond ``RecordField`` that only the final decision can require.
REASON_DIFFERS_FIELD = "reason_differs_from_recommendation"
ADVICE_SOUGHT_FROM_FIELD = "advice_sought_from"

RECORD_FIELD_LABELS: dict[str, str] = {
    RecordField.PURPOSE: "Purpose and context of the sharing",
    RecordField.WHAT_SHARED: "What information was requested, and what was shared",
    RecordField.RECIPIENT: "Who it was shared with",
    RecordField.DATE_TIME: "Date and time of the decision",
    RecordField.DECIDED_BY: "Who made the decision",
    RecordField.LAWFUL_BASIS: "Lawful basis (and Article 9 condition for special category data)",
    RecordField.CONFIDENTIALITY_GROUND: "Ground for sharing confidential information "
    "(consent, legal requirement or overriding public interest)",
    RecordField.RISK_LEVEL: "Perceived level of risk of harm at the time",
    RecordField.RATIONALE: "Rationale for the decision",
    RecordField.CONSENT_GIVEN_BY_AND_WHEN: "Who gave consent, and when (dated and timed)",
    RecordField.REASONS_CONSENT_NOT_SOUGHT: "Why consent was not sought",
    RecordField.REASONS_FOR_OVERRIDING_OBJECTION: "Why you shared despite the objection or refusal",
    RecordField.FAMILY_INFORMED: "Whether the child or family was told, and when (or why not)",
    RecordField.REASON_NOT_INFORMED: "Why the child or family was not told",
    RecordField.ADVICE_SOUGHT: "Advice: from whom, when and what was advised (or why it was not sought)",
    RecordField.FOLLOW_UP_RATIONALE: "After the emergency: what you did, and a clear rationale",
    REASON_DIFFERS_FIELD: "Why your decision differs from the recommendation",
    ADVICE_SOUGHT_FROM_FIELD: "Who you are asking for advice",
}
_NOT_SHARING_LABELS: dict[str, str] = {
    RecordField.RECIPIENT: "Who asked for it, or who it would have gone to",
    RecordField.RATIONALE: "Why you decided not to share, or not yet",
}


def required_record_fields(outcome: Outcome, final_decision: FinalDecision | str) -> list[RecordFieldRequirement]:
    """What the record of this decision must contain, each with the passage requiring it.

    Worked out from the practitioner's own decision, not only the recommendation: a
    decision to share against a 'do not share' recommendation needs the consent,
    lawful-basis and confidentiality fields; a decision not to share still needs its
    rationale (golden rule 7); and any decision that differs from the recommendation
    needs the reason why.

    Sharing part of the information when anonymised information was recommended is taken
    to be anonymised sharing (no confidentiality ground: see ``record_requirements``),
    except in an emergency, where the wizard says not to hold back identifying details
    the child's protection needs: there the ground is always asked for.
    When advice was recommended the record says whether it was sought, except for
    "seek advice first", which records who is being asked instead.
    """
    decision = parse_final_decision(final_decision)
    sharing = decision in SHARING_DECISIONS
    labels = RECORD_FIELD_LABELS if sharing else {**RECORD_FIELD_LABELS, **_NOT_SHARING_LABELS}
    anonymised = (
        decision is FinalDecision.SHARE_PART
        and outcome.recommendation is Recommendation.SHARE_ANONYMISED
        and outcome.concern_assessed is not Concern.IMMEDIATE_RISK
    )
    requirements = [
        RecordFieldRequirement(r.field.value, labels[r.field], r.citation)
        for r in record_requirements(
            outcome.answers,
            outcome.concern_assessed,
            outcome.inform,
            sharing=sharing,
            anonymised=anonymised,
            advice_recommended=outcome.advice_recommended and decision is not FinalDecision.SEEK_ADVICE_FIRST,
        )
    ]
    if decision is FinalDecision.SEEK_ADVICE_FIRST:
        requirements.append(
            RecordFieldRequirement(ADVICE_SOUGHT_FROM_FIELD, labels[ADVICE_SOUGHT_FROM_FIELD], g.GOLDEN_RULE_4_WHO)
        )
    if not follows_recommendation(outcome, decision):
        requirements.append(
            RecordFieldRequirement(REASON_DIFFERS_FIELD, labels[REASON_DIFFERS_FIELD], g.GOLDEN_RULE_7_RATIONALE)
        )
    return requirements


def decision_cautions(outcome: Outcome, final_decision: FinalDecision | str) -> list[tuple[str, Citation]]:
    """Plain warnings to show before the practitioner confirms a risky final decision.

    They do not block the decision (the practitioner decides); they make sure it is
    taken knowingly.
    """
    decision = parse_final_decision(final_decision)
    answers = outcome.answers
    cautions: list[tuple[str, Citation]] = []
    at_risk = outcome.concern_assessed is not Concern.WELLBEING
    if decision is FinalDecision.SEEK_CONSENT_FIRST and outcome.inform is Inform.DO_NOT_INFORM:
        cautions.append(
            (
                "Seeking consent means telling the family, which you said could increase the risk of harm.",
                g.HM_SEEKING_CONSENT_RISK,
            )
        )
    if at_risk and decision in (FinalDecision.DO_NOT_SHARE, FinalDecision.SEEK_CONSENT_FIRST):
        cautions.append(
            (
                "You have a concern about the child's safety. Do not leave a child at risk of "
                "harm: if you do not share with this recipient, make sure the concern reaches "
                "someone with a safeguarding role.",
                g.GOLDEN_RULE_4_DO_NOT_LEAVE,
            )
        )
    if outcome.concern_assessed is Concern.IMMEDIATE_RISK and decision in (
        FinalDecision.SEEK_ADVICE_FIRST,
        FinalDecision.SEEK_CONSENT_FIRST,
    ):
        cautions.append(("In an emergency, delays in sharing may increase the risk of harm.", g.HM_EMERGENCY_SHARE))
    if decision in SHARING_DECISIONS and not answers.recipient_has_safeguarding_role:
        cautions.append(
            (
                "You said the recipient has no role in safeguarding the child or supporting the family.",
                g.GOLDEN_RULE_6,
            )
        )
    anonymised_would_do = outcome.recommendation is Recommendation.SHARE_ANONYMISED
    if decision is FinalDecision.SHARE and anonymised_would_do:
        cautions.append(("Anonymised information would do: share no more than is necessary.", g.GOLDEN_RULE_6_MINIMUM))
    if (
        outcome.concern_assessed is Concern.IMMEDIATE_RISK
        and anonymised_would_do
        and answers.identifiable
        and decision in SHARING_DECISIONS
    ):
        cautions.append(
            (
                "This is an emergency: do not delay sharing identifying information that is "
                "needed to protect the child in order to anonymise it.",
                g.HM_EMERGENCY_DELAYS,
            )
        )
    return cautions
