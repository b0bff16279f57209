"""The decision rules, tested passage by passage against the guidance.

Each test names the passage it checks (document and rule) in its docstring, and most
also check that the passage is among the outcome's citations, so the practitioner sees
the words the rule relies on.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

import pytest

from desktop_app.domain import decision_rules as rules
from desktop_app.domain import guidance as g
from desktop_app.domain.decision_rules import (
    ANSWER_KEYS,
    Answers,
    Concern,
    Consent,
    Outcome,
    RecordField,
    decide,
    evaluate,
    parse_answers,
)
from desktop_app.errors import EXIT_ERROR, ValidationError

REPO = Path(__file__).resolve().parents[2]
GUIDANCE_DIR = Path(os.environ.get("CASENOTES_GUIDANCE_DIR") or REPO / "resources" / "guidance")

HARM = ("possible_harm", "significant_harm", "immediate_risk")
ALL_CONCERNS = ("wellbeing", *HARM)

BASE: dict[str, Any] = {
    "organisation_sector": "public",
    "concern": "significant_harm",
    "purpose": "Referral to children's social care about bruising",
    "recipient_has_safeguarding_role": True,
    "identifiable": True,
    "anonymised_would_suffice": False,
    "confidential": True,
    "special_category": False,
    "legal_requirement": False,
    "informing_would_increase_risk": False,
    "objection_raised": False,
    "consent": "given",
    "consent_not_sought_reason": None,
}


def run(**changes: Any) -> Outcome:
    return decide({**BASE, **changes})


def out(**changes: Any) -> dict[str, Any]:
    return run(**changes).to_json()


def cites(outcome: Outcome, citation: g.Citation) -> bool:
    return citation in outcome.citations


def note(outcome: Outcome, topic: str) -> str:
    return next(f.note for f in outcome.findings if f.topic == topic)


# --- Golden rule 6 and Appendix 1 question 6: who to share with --------------------


@pytest.mark.parametrize("concern", ALL_CONCERNS)
@pytest.mark.parametrize("consent", ["given", "refused", "not_sought"])
def test_golden_rule_6_no_safeguarding_role_means_do_not_share(concern: str, consent: str) -> None:
    """Golden rule 6: "Only share ... with individuals or agencies/organisations that have a
    role in safeguarding the child and/or providing their family with support"."""
    outcome = run(concern=concern, consent=consent, recipient_has_safeguarding_role=False)
    assert outcome.recommendation.value == "do_not_share"
    assert cites(outcome, g.GOLDEN_RULE_6)
    assert "rationale" in outcome.to_json()["must_record"]


@pytest.mark.parametrize("concern", HARM)
def test_where_to_report_concerns_when_recipient_has_no_role(concern: str) -> None:
    """HM 2024, "Where to report concerns": a safety concern should still reach local
    authority children's services, so advice is recommended."""
    outcome = run(concern=concern, recipient_has_safeguarding_role=False)
    assert outcome.advice_recommended
    assert cites(outcome, g.HM_REPORT_TO_CHILDRENS_SERVICES)


def test_emergency_with_wrong_recipient_points_to_999() -> None:
    """Local authority guide: "In an emergency call 999."."""
    outcome = run(concern="immediate_risk", recipient_has_safeguarding_role=False)
    assert cites(outcome, g.MYTHS_EMERGENCY_999)
    assert "follow_up_rationale" in outcome.to_json()["must_record"]


@pytest.mark.parametrize("concern", ALL_CONCERNS)
def test_legal_requirement_to_a_recipient_without_role_needs_advice(concern: str) -> None:
    """Golden rule 6 against "legislation or a court order": the rules do not pick a side
    silently. Buckinghamshire Appendix 1, question 2: "where appropriate take legal advice
    in deciding whether or not to share the information"; golden rule 4 names who to ask.
    The explanation says it is a question for legal advice or the DSL, not a decision to
    ignore a legal requirement."""
    outcome = run(concern=concern, recipient_has_safeguarding_role=False, legal_requirement=True)
    assert outcome.recommendation.value == "do_not_share"
    assert outcome.advice_recommended
    assert cites(outcome, g.GOLDEN_RULE_4_WHO)
    assert cites(outcome, rules.BUCKS_Q2_LEGAL_ADVICE)
    text = note(outcome, "recommendation")
    assert "not a decision to ignore a legal requirement" in text
    assert "legal advice" in text and "designated safeguarding lead" in text
    assert "legal advice" in note(outcome, "advice_recommended")
    assert "advice_sought" in outcome.to_json()["must_record"]


def test_no_role_without_a_legal_requirement_does_not_mention_legal_advice() -> None:
    outcome = run(concern="wellbeing", recipient_has_safeguarding_role=False)
    assert "legal" not in note(outcome, "recommendation")
    assert not cites(outcome, rules.BUCKS_Q2_LEGAL_ADVICE)


# --- Appendix 1 questions 1 and 2: identifiable? would anonymised data do? ---------


@pytest.mark.parametrize("concern", ALL_CONCERNS)
@pytest.mark.parametrize("consent", ["given", "refused", "withdrawn", "not_sought"])
def test_appendix_1_question_2_anonymised_information_can_be_shared(concern: str, consent: str) -> None:
    """Buckinghamshire Appendix 1, question 2: "If the information is anonymised, it can
    lawfully be shared as long as the purpose is legitimate."."""
    outcome = run(concern=concern, consent=consent, identifiable=False)
    assert outcome.recommendation.value == "share_anonymised"
    assert cites(outcome, g.BUCKS_Q2_ANONYMISED_LAWFUL)


@pytest.mark.parametrize("concern", ALL_CONCERNS)
def test_appendix_1_question_1_would_anonymous_data_suffice(concern: str) -> None:
    """Buckinghamshire Appendix 1, question 1: "Is there another way to achieve the
    objective with less impact on confidentiality? (e.g. would anonymous data suffice?)"."""
    outcome = run(concern=concern, anonymised_would_suffice=True)
    assert outcome.recommendation.value == "share_anonymised"
    assert cites(outcome, g.BUCKS_Q1_ANONYMOUS)


def test_emergency_anonymised_would_suffice_warns_not_to_delay_identifying_information() -> None:
    """HM 2024, Emergencies: "Delays in sharing information may increase the risk of harm to
    the child."; ICO step 9: "practitioners should not hesitate to share information in an
    emergency". Anonymised is still recommended, with the caution beside it."""
    outcome = run(concern="immediate_risk", anonymised_would_suffice=True)
    assert outcome.recommendation.value == "share_anonymised"
    text = note(outcome, "recommendation")
    assert "emergency" in text and "Do not delay sharing identifying information" in text
    assert cites(outcome, rules.HM_EMERGENCY_DELAYS)
    assert cites(outcome, g.ICO_STEP_9_EMERGENCY)
    calm = run(concern="significant_harm", anonymised_would_suffice=True)
    assert "emergency" not in note(calm, "recommendation")
    assert not cites(calm, rules.HM_EMERGENCY_DELAYS)


def test_anonymised_would_suffice_is_ignored_when_nothing_identifies_anyone() -> None:
    """Question 2 comes first: with nothing identifiable, question 1's follow-up is moot."""
    a = run(identifiable=False, anonymised_would_suffice=True).to_json()
    b = run(identifiable=False, anonymised_would_suffice=False).to_json()
    assert a["recommendation"] == b["recommendation"] == "share_anonymised"


# --- Early Help (Appendix 1) and the 2024 confidentiality section -------------------


def test_early_help_consent_not_sought_means_seek_consent() -> None:
    """Buckinghamshire Appendix 1, Early Help: "At this level of need freely given,
    informed explicit consent is needed."."""
    outcome = run(concern="wellbeing", consent="not_sought")
    assert outcome.recommendation.value == "seek_consent"
    assert cites(outcome, g.BUCKS_EARLY_HELP_CONSENT)
    assert cites(outcome, g.HM_EARLY_HELP_CONSENT)
    assert outcome.inform.value == "before_sharing"


@pytest.mark.parametrize("consent", ["refused", "withdrawn"])
def test_early_help_consent_refused_means_do_not_share(consent: str) -> None:
    """HM 2024, common law duty of confidentiality: where there is not a concern for the
    child's safety "you will usually need to gain consent"; respect a refusal."""
    outcome = run(concern="wellbeing", consent=consent)
    assert outcome.recommendation.value == "do_not_share"
    assert cites(outcome, g.HM_NO_SAFETY_CONCERN_CONSENT)
    assert cites(outcome, g.GOLDEN_RULE_7_RECONSIDER)
    assert outcome.confidentiality is None
    data = outcome.to_json()
    assert "rationale" in data["must_record"]
    assert "what_shared" not in data["must_record"]


@pytest.mark.parametrize("consent", ["refused", "withdrawn", "not_sought"])
def test_early_help_legal_requirement_still_shares(consent: str) -> None:
    """HM 2024: "You are legally required to share information (e.g. because legislation
    or a court order mandates information sharing)"."""
    outcome = run(concern="wellbeing", consent=consent, legal_requirement=True)
    assert outcome.recommendation.value == "share"
    assert outcome.confidentiality is not None
    assert outcome.confidentiality.value == "legal_requirement"
    assert outcome.lawful_basis[0].value == "legal_obligation"


def test_early_help_with_consent_shares() -> None:
    """Buckinghamshire Appendix 1, Early Help and question 7: share with consent and
    record "who gave consent (dated and timed)"."""
    data = out(concern="wellbeing", consent="given")
    assert data["recommendation"] == "share"
    assert data["confidentiality"] == "consent"
    assert "consent_given_by_and_when" in data["must_record"]
    assert data["advice_recommended"] is False


# --- Golden rule 3 and Appendix 1 Safeguarding: no consent needed at risk of harm ---


@pytest.mark.parametrize("concern", HARM)
@pytest.mark.parametrize("consent", ["given", "refused", "withdrawn", "not_sought"])
def test_golden_rule_3_consent_not_needed_at_risk_of_harm(concern: str, consent: str) -> None:
    """Golden rule 3: "You do not need consent to share personal information about a child
    and/or members of their family if a child is at risk or there is a perceived risk of
    harm."."""
    outcome = run(concern=concern, consent=consent)
    assert outcome.recommendation.value == "share"
    assert cites(outcome, g.GOLDEN_RULE_3)


def test_appendix_1_safeguarding_significant_harm_referral_without_consent() -> None:
    """Buckinghamshire Appendix 1, Safeguarding: "consent is not required in order to make
    a referral to Children's Social Care"."""
    outcome = run(concern="significant_harm", consent="not_sought", consent_not_sought_reason="increase_risk_to_child")
    assert outcome.recommendation.value == "share"
    assert cites(outcome, g.BUCKS_SAFEGUARDING_NO_CONSENT)


def test_appendix_1_safeguarding_good_practice_to_seek_agreement() -> None:
    """Buckinghamshire Appendix 1, Safeguarding: "professionals should still seek to
    discuss their concerns with the family and seek their agreement"; consent not sought
    without one of the four reasons calls for advice."""
    outcome = run(concern="significant_harm", consent="not_sought")
    assert outcome.recommendation.value == "share"
    assert outcome.advice_recommended
    assert cites(outcome, g.BUCKS_SAFEGUARDING_GOOD_PRACTICE)
    assert cites(outcome, g.BUCKS_SAFETY_OVERRIDING)


def test_possible_harm_shares_limited_information_and_recommends_advice() -> None:
    """HM 2024: "If you are not able to determine an accurate understanding of a possible
    risk without sharing concerns with others, you should share the relevant information
    with those who need to know."; Appendix 1: "the concern must not be ignored"."""
    outcome = run(concern="possible_harm")
    assert outcome.recommendation.value == "share"
    assert outcome.advice_recommended
    assert cites(outcome, g.HM_NOT_SURE_SHARE)
    assert cites(outcome, g.BUCKS_THRESHOLD_UNCLEAR)


@pytest.mark.parametrize("consent", ["refused", "withdrawn"])
@pytest.mark.parametrize("concern", HARM)
def test_golden_rule_3_overriding_objections_is_recorded(consent: str, concern: str) -> None:
    """Golden rule 3: "you should consider overriding their objections if you believe
    sharing the information is necessary"; HM 2024: "you must record your reasons and the
    legal basis for doing so"."""
    outcome = run(concern=concern, consent=consent)
    must = outcome.to_json()["must_record"]
    assert "reasons_for_overriding_objection" in must
    assert "lawful_basis" in must
    assert outcome.advice_recommended
    assert cites(outcome, g.GOLDEN_RULE_3_OBJECTIONS)
    assert cites(outcome, g.HM_OBJECTION_RECORD)
    assert cites(outcome, g.BUCKS_Q5_ADVICE)


@pytest.mark.parametrize("confidential", [True, False])
@pytest.mark.parametrize("sector", ["public", "voluntary", "private"])
def test_early_help_objection_holds_sharing_back_even_with_consent(confidential: bool, sector: str) -> None:
    """Golden rule 3: "you should consider overriding their objections if you believe sharing
    the information is necessary to protect the child from harm" - at early help there is
    no such harm. Buckinghamshire Appendix 1, question 4: "in case where there is conflict
    between the wishes of the parent and the child ... professionals should seek guidance
    from their safeguarding lead". So: not shared until the conflict is resolved (seek
    consent, with advice), no confidentiality ground, and the explanation names the
    objection."""
    outcome = run(
        concern="wellbeing",
        consent="given",
        objection_raised=True,
        confidential=confidential,
        organisation_sector=sector,
    )
    assert outcome.recommendation.value == "seek_consent"
    assert not outcome.recommends_sharing
    assert outcome.advice_recommended
    assert outcome.confidentiality is None
    assert outcome.inform.value == "before_sharing"
    assert "objected" in note(outcome, "recommendation")
    assert "objects although consent was given" in note(outcome, "advice_recommended")
    for passage in (
        g.BUCKS_Q4_CONFLICT,
        g.GOLDEN_RULE_3_OBJECTIONS,
        rules.BUCKS_Q4_WHOSE_CONSENT,
        g.BUCKS_EARLY_HELP_CONSENT,
    ):
        assert cites(outcome, passage)
    must = outcome.to_json()["must_record"]
    assert "reasons_for_overriding_objection" not in must  # nothing is shared over it
    assert "what_shared" not in must and "confidentiality_ground" not in must
    assert {"rationale", "advice_sought"} <= set(must)


def test_early_help_objection_with_consent_has_no_confidentiality_ground() -> None:
    """Appendix 1, question 4: "Professionals need to consider whose consent should be
    sought." With someone objecting, the consent given is not a ground to rely on."""
    outcome = run(concern="wellbeing", consent="given", objection_raised=True)
    assert out(concern="wellbeing", consent="given", objection_raised=True)["confidentiality"] is None
    assert "objects" in note(outcome, "confidentiality")
    assert cites(outcome, rules.BUCKS_Q4_WHOSE_CONSENT)


@pytest.mark.parametrize("concern", HARM)
def test_objection_when_another_consented_at_risk_of_harm_is_overridden_and_recorded(concern: str) -> None:
    """Golden rule 3 (overriding "to protect the child from harm") and HM 2024: "you must
    record your reasons and the legal basis for doing so"; Appendix 1, question 4: seek
    guidance in a conflict."""
    outcome = run(concern=concern, consent="given", objection_raised=True)
    assert outcome.recommendation.value == "share"
    assert outcome.advice_recommended
    assert cites(outcome, g.BUCKS_Q4_CONFLICT)
    must = outcome.to_json()["must_record"]
    assert {"reasons_for_overriding_objection", "lawful_basis", "advice_sought"} <= set(must)


def test_clear_significant_harm_with_consent_needs_no_advice() -> None:
    """Golden rule 4 is about uncertainty: clear answers do not call for advice, but the
    rule is still cited."""
    outcome = run(concern="significant_harm", consent="given")
    assert not outcome.advice_recommended
    assert cites(outcome, g.GOLDEN_RULE_4)


# --- Lawful basis (HM 2024, "The lawful bases which are most relevant") --------------


@pytest.mark.parametrize("concern", ALL_CONCERNS)
def test_public_sector_public_task_or_legal_obligation(concern: str) -> None:
    """HM 2024: "If you work in a public sector organisation, it is likely that "public
    task" or "legal obligation" will be the most appropriate lawful basis"."""
    basis = out(concern=concern, organisation_sector="public")["lawful_basis"]
    assert basis[:2] == ["public_task", "legal_obligation"]
    assert cites(run(concern=concern), g.HM_PUBLIC_SECTOR_BASIS)


@pytest.mark.parametrize("sector", ["voluntary", "private"])
def test_voluntary_and_private_sectors_legitimate_interests(sector: str) -> None:
    """HM 2024: "within the voluntary or private sectors ... it is likely that the lawful
    basis of using "legitimate interests" may be more appropriate."."""
    outcome = run(organisation_sector=sector)
    assert outcome.to_json()["lawful_basis"] == ["legitimate_interests"]
    assert cites(outcome, g.HM_VOLUNTARY_PRIVATE_BASIS)


@pytest.mark.parametrize("sector", ["public", "voluntary", "private"])
def test_legal_requirement_puts_legal_obligation_first(sector: str) -> None:
    """HM 2024, Annex A: "Legal obligation provides a lawful basis where the processing of
    information is necessary in order to comply with the law."."""
    basis = out(organisation_sector=sector, legal_requirement=True)["lawful_basis"]
    assert basis[0] == "legal_obligation"
    assert len(basis) == len(set(basis))


@pytest.mark.parametrize("sector", ["public", "voluntary", "private"])
def test_emergency_adds_vital_interests_after_the_sector_basis(sector: str) -> None:
    """HM 2024, Emergencies: "you should go ahead and share information as is necessary
    and proportionate"; vital interests is offered alongside the sector's basis."""
    basis = out(organisation_sector=sector, concern="immediate_risk")["lawful_basis"]
    assert basis[-1] == "vital_interests"
    assert basis[0] in ("public_task", "legitimate_interests")
    assert "vital_interests" not in out(organisation_sector=sector)["lawful_basis"]


@pytest.mark.parametrize("concern", ALL_CONCERNS)
def test_consent_is_not_the_lawful_basis(concern: str) -> None:
    """HM 2024: "Consent should not be seen as the default lawful basis for sharing
    personal information in a child safeguarding context"."""
    outcome = run(concern=concern, consent="given")
    assert "consent" not in outcome.to_json()["lawful_basis"]
    assert "contract" not in outcome.to_json()["lawful_basis"]
    assert cites(outcome, g.HM_CONSENT_NOT_DEFAULT)


# --- Article 9 (HM 2024, special category data) -------------------------------------


def test_special_category_needs_the_article_9_safeguarding_condition() -> None:
    """HM 2024: "Safeguarding of children and individuals at risk is one of the
    substantial public interest conditions ... under Article 9."."""
    outcome = run(special_category=True)
    assert outcome.to_json()["article9_condition"] == "safeguarding_of_children_and_individuals_at_risk"
    assert cites(outcome, g.HM_ARTICLE_9)
    assert out(special_category=False)["article9_condition"] is None


# --- Common law duty of confidentiality (HM 2024; Appendix 1 questions 3 to 5) -------


def test_not_confidential_means_no_confidentiality_ground() -> None:
    """HM 2024: the duty "applies when an individual shares personal information with you
    in the expectation that this information will be kept confidential"."""
    for concern in ALL_CONCERNS:
        assert out(concern=concern, confidential=False)["confidentiality"] is None


def test_confidential_with_legal_requirement() -> None:
    """HM 2024: "You are legally required to share information"."""
    assert out(legal_requirement=True, consent="refused")["confidentiality"] == "legal_requirement"


def test_confidential_with_consent() -> None:
    """Appendix 1, question 3: "A breach of confidence will not occur if ... freely given,
    explicit informed consent has been obtained."."""
    outcome = run(consent="given")
    assert outcome.to_json()["confidentiality"] == "consent"
    assert cites(outcome, g.BUCKS_Q3_NO_BREACH)


@pytest.mark.parametrize("concern", HARM)
@pytest.mark.parametrize("consent", ["refused", "withdrawn", "not_sought"])
def test_confidential_overriding_public_interest_at_risk_of_harm(concern: str, consent: str) -> None:
    """HM 2024: "an overriding public interest that justifies sharing ... and the sharing
    of information is proportionate"; Appendix 1, question 5: "Where there is a clear risk
    of significant harm to a child ... the public interest test will almost certainly be
    satisfied."."""
    outcome = run(concern=concern, consent=consent)
    assert outcome.to_json()["confidentiality"] == "overriding_public_interest"
    assert cites(outcome, g.HM_CONFIDENTIALITY_PUBLIC_INTEREST)
    assert cites(outcome, g.BUCKS_Q5_PROPORTIONATE)


def test_consent_with_an_objection_at_risk_of_harm_rests_on_public_interest() -> None:
    """Appendix 1, question 4: the duty of confidence "is owed to a person who has provided
    the information"; if someone objects, consent from another is not a safe ground."""
    assert out(consent="given", objection_raised=True)["confidentiality"] == "overriding_public_interest"


def test_confidential_at_wellbeing_without_consent_has_no_ground() -> None:
    """HM 2024: with no safety concern "you will usually need to gain consent"."""
    assert out(concern="wellbeing", consent="not_sought")["confidentiality"] is None


# --- Informing the family (golden rule 2; HM 2024) ----------------------------------


@pytest.mark.parametrize("concern", ALL_CONCERNS)
def test_golden_rule_2_do_not_inform_if_it_increases_risk(concern: str) -> None:
    """Golden rule 2: "You are not required to inform them, if you have reason to believe
    that doing so may put the child at increased risk of harm"."""
    outcome = run(concern=concern, informing_would_increase_risk=True, consent="not_sought")
    assert outcome.inform.value == "do_not_inform"
    assert "reason_not_informed" in outcome.to_json()["must_record"]
    assert cites(outcome, g.GOLDEN_RULE_2_NOT_REQUIRED)


def test_golden_rule_2_engage_before_sharing_when_safe() -> None:
    """Golden rule 2: "wherever it is practicable and safe to do so, engage with the child
    and/or their carer(s)"."""
    outcome = run()
    assert outcome.inform.value == "before_sharing"
    assert cites(outcome, g.GOLDEN_RULE_2_ENGAGE)
    assert "reason_not_informed" not in outcome.to_json()["must_record"]


def test_urgent_cases_inform_after_sharing() -> None:
    """HM 2024: "in urgent cases, where a child is at immediate risk of harm, the priority
    is to share information quickly ... regardless of whether the relevant individual(s)
    have been informed."."""
    outcome = run(concern="immediate_risk")
    assert outcome.inform.value == "after_sharing"
    assert cites(outcome, g.HM_URGENT_INFORM_LATER)


@pytest.mark.parametrize("reason", ["increase_risk_to_child", "serious_harm_to_adult", "prejudice_crime_detection"])
def test_reasons_not_to_seek_consent_also_mean_do_not_inform(reason: str) -> None:
    """HM 2024: do not inform "if doing so could put a child or others at further risk of
    harm, or could compromise effective safeguarding arrangements, including police
    investigations."."""
    outcome = run(consent="not_sought", consent_not_sought_reason=reason)
    assert outcome.inform.value == "do_not_inform"
    assert cites(outcome, g.HM_DO_NOT_INFORM)
    assert "reason_not_informed" in outcome.to_json()["must_record"]


def test_undue_delay_means_inform_after_sharing() -> None:
    """Appendix 1, when not to seek consent: "Lead to unjustified delay in making enquiries
    about allegations of significant harm."; tell the family afterwards."""
    assert out(consent="not_sought", consent_not_sought_reason="undue_delay")["inform"] == "after_sharing"


# --- When not to seek consent: the four reasons (Appendix 1) -------------------------


@pytest.mark.parametrize(
    ("reason", "citation"),
    [
        ("increase_risk_to_child", g.BUCKS_REASON_RISK_TO_CHILD),
        ("serious_harm_to_adult", g.BUCKS_REASON_HARM_TO_ADULT),
        ("prejudice_crime_detection", g.BUCKS_REASON_CRIME),
        ("undue_delay", g.BUCKS_REASON_DELAY),
    ],
)
def test_appendix_1_four_reasons_not_to_seek_consent(reason: str, citation: g.Citation) -> None:
    """Buckinghamshire Appendix 1, "When not to seek consent": each of the four reasons
    is accepted and, when sharing, "this should be clearly recorded, including the
    reasons for not seeking consent"."""
    outcome = run(consent="not_sought", consent_not_sought_reason=reason)
    assert outcome.recommendation.value == "share"
    must = outcome.to_json()["must_record"]
    assert "reasons_consent_not_sought" in must and "lawful_basis" in must
    assert cites(outcome, g.BUCKS_RECORD_CONSENT_NOT_SOUGHT)
    if reason != "undue_delay":
        assert cites(outcome, citation)
    assert not outcome.advice_recommended


@pytest.mark.parametrize("reason", ["increase_risk_to_child", "undue_delay"])
def test_a_reason_not_to_seek_consent_at_wellbeing_is_treated_as_possible_harm(reason: str) -> None:
    """Golden rule 3 covers "a perceived risk of harm", and Appendix 1 says an unclear
    threshold "must not be ignored": a reason not to seek consent contradicts 'no concern
    for safety', so the rules take the safer course and recommend advice."""
    outcome = run(concern="wellbeing", consent="not_sought", consent_not_sought_reason=reason)
    assert outcome.concern_assessed is Concern.POSSIBLE_HARM
    assert outcome.recommendation.value == "share"
    assert outcome.advice_recommended
    assert outcome.to_json()["concern_assessed"] == "possible_harm"


def test_informing_would_increase_risk_at_wellbeing_is_treated_as_possible_harm() -> None:
    """HM 2024: "seeking consent from a person you believe is neglecting or abusing a child
    ... may increase the risk of harm": seeking consent is not recommended then."""
    outcome = run(concern="wellbeing", consent="not_sought", informing_would_increase_risk=True)
    assert outcome.recommendation.value != "seek_consent"
    assert outcome.advice_recommended
    assert outcome.inform.value == "do_not_inform"


# --- What must be recorded (Appendix 1 questions 5 and 7; golden rule 7) -------------


@pytest.mark.parametrize("consent", ["refused", "withdrawn", "not_sought"])
def test_appendix_1_question_5_record_when_sharing_without_consent(consent: str) -> None:
    """Appendix 1, question 5: "Professionals must record the context in which the
    information was shared, the legal basis for sharing information the perceived level of
    risk of harm at the time, the data requested, the data shared and with whom."."""
    must = out(consent=consent)["must_record"]
    for needed in ("purpose", "lawful_basis", "risk_level", "what_shared", "recipient"):
        assert needed in must


def test_appendix_1_question_7_record_what_with_whom_and_consent() -> None:
    """Appendix 1, question 7: "the record should include what information was shared and
    with whom, and who gave consent (dated and timed)"."""
    must = out(consent="given")["must_record"]
    for needed in ("what_shared", "recipient", "consent_given_by_and_when", "date_time", "decided_by"):
        assert needed in must
    assert "reasons_consent_not_sought" not in must
    assert "reasons_for_overriding_objection" not in must


@pytest.mark.parametrize(
    ("changes", "ground"),
    [
        ({"consent": "given"}, "consent"),
        ({"consent": "refused"}, "overriding_public_interest"),
        ({"consent": "not_sought", "consent_not_sought_reason": "undue_delay"}, "overriding_public_interest"),
        ({"concern": "wellbeing", "consent": "refused", "legal_requirement": True}, "legal_requirement"),
    ],
)
def test_sharing_confidential_information_records_the_ground(changes: dict[str, Any], ground: str) -> None:
    """HM 2024, common law duty of confidentiality: "if you believe it is necessary to share
    confidential information, then you must be sure that one of the following conditions
    exists"; the record names which."""
    outcome = run(**changes)
    assert outcome.recommendation.value == "share"
    assert outcome.to_json()["confidentiality"] == ground
    assert "confidentiality_ground" in outcome.to_json()["must_record"]
    assert cites(outcome, rules.HM_CONFIDENTIALITY_CONDITIONS)


@pytest.mark.parametrize(
    "changes",
    [
        {"confidential": False},
        {"concern": "wellbeing", "consent": "refused"},  # not shared
        {"identifiable": False},  # anonymised: the duty attaches to personal information
        {"anonymised_would_suffice": True},
    ],
)
def test_no_confidentiality_ground_to_record_without_identifiable_confidential_sharing(
    changes: dict[str, Any],
) -> None:
    """HM 2024: the duty "applies when an individual shares personal information with you in
    the expectation that this information will be kept confidential"; Appendix 1, question
    2: anonymised information "can lawfully be shared as long as the purpose is
    legitimate"."""
    assert "confidentiality_ground" not in out(**changes)["must_record"]


@pytest.mark.parametrize(
    ("changes", "inform"),
    [({}, "before_sharing"), ({"concern": "immediate_risk"}, "after_sharing")],
)
def test_sharing_records_whether_the_family_was_told(changes: dict[str, Any], inform: str) -> None:
    """Appendix 1, question 6: "Inform the person to whom the information relates ... if
    professionals have not already and it is safe to do so."; golden rule 2."""
    outcome = run(**changes)
    data = outcome.to_json()
    assert data["inform"] == inform
    assert "family_informed" in data["must_record"]
    assert "reason_not_informed" not in data["must_record"]
    assert cites(outcome, g.BUCKS_Q6_INFORM)


@pytest.mark.parametrize(
    "changes",
    [
        {"informing_would_increase_risk": True, "consent": "not_sought"},  # reason_not_informed instead
        {"concern": "wellbeing", "consent": "refused"},  # not shared
    ],
)
def test_no_family_informed_field_when_not_telling_them_or_not_sharing(changes: dict[str, Any]) -> None:
    assert "family_informed" not in out(**changes)["must_record"]


@pytest.mark.parametrize(
    "changes",
    [
        {"concern": "possible_harm"},  # share
        {"concern": "wellbeing", "consent": "given", "objection_raised": True},  # seek consent
        {"recipient_has_safeguarding_role": False},  # do not share
        {"concern": "immediate_risk", "consent": "refused"},  # emergency
    ],
)
def test_golden_rule_4_when_advice_is_recommended_the_record_says_whether_it_was_sought(
    changes: dict[str, Any],
) -> None:
    """Golden rule 4: "Seek advice promptly whenever you are uncertain"; Appendix 1,
    question 4: sharing "should be recorded including ... the decision making process"."""
    data = out(**changes)
    assert data["advice_recommended"] is True
    assert "advice_sought" in data["must_record"]


def test_no_advice_field_when_advice_is_not_recommended() -> None:
    data = out()
    assert data["advice_recommended"] is False
    assert "advice_sought" not in data["must_record"]


@pytest.mark.parametrize(
    "changes",
    [
        {"recipient_has_safeguarding_role": False},
        {"concern": "wellbeing", "consent": "refused"},
        {"concern": "wellbeing", "consent": "not_sought"},
    ],
)
def test_golden_rule_7_decisions_not_to_share_are_recorded_too(changes: dict[str, Any]) -> None:
    """Golden rule 7: "Record the reasons for your information sharing decision,
    irrespective of whether or not you decide to share information."."""
    outcome = run(**changes)
    assert outcome.recommendation.value in ("do_not_share", "seek_consent")
    must = outcome.to_json()["must_record"]
    assert {"rationale", "purpose", "decided_by", "date_time"} <= set(must)
    assert cites(outcome, g.GOLDEN_RULE_7)


def test_emergency_needs_a_follow_up_rationale() -> None:
    """HM 2024, Emergencies: "You must always document the action you took after the event
    if you cannot do it at the time, including recording a clear rationale"."""
    outcome = run(concern="immediate_risk")
    assert "follow_up_rationale" in outcome.to_json()["must_record"]
    assert cites(outcome, g.HM_EMERGENCY_DOCUMENT)
    assert "follow_up_rationale" not in out(concern="significant_harm")["must_record"]


def test_emergency_advice_never_delays_sharing() -> None:
    """Golden rule 4: "Do not leave a child at risk of harm because you have concerns you
    might be criticised for sharing information."."""
    outcome = run(concern="immediate_risk", consent="refused")
    assert outcome.advice_recommended
    assert cites(outcome, g.GOLDEN_RULE_4_DO_NOT_LEAVE)
    advice = next(f for f in outcome.findings if f.topic == "advice_recommended")
    assert "share first" in advice.note


def test_must_record_is_in_the_documented_order() -> None:
    must = out(concern="immediate_risk", consent="refused", informing_would_increase_risk=True)["must_record"]
    order = [f.value for f in RecordField]
    assert must == sorted(must, key=order.index)
    assert len(must) == len(set(must))


# --- Output shape -------------------------------------------------------------------


def test_to_json_has_every_contract_key_and_is_plain_json() -> None:
    data = out()
    for key in (
        "recommendation",
        "lawful_basis",
        "article9_condition",
        "confidentiality",
        "inform",
        "advice_recommended",
        "must_record",
        "citations",
    ):
        assert key in data
    assert json.loads(json.dumps(data)) == data
    assert all(set(c) == {"document", "rule", "text"} for c in data["citations"])
    assert data["rules_version"]
    topics = [e["topic"] for e in data["explanations"]]
    assert topics == [
        "concern",
        "recommendation",
        "lawful_basis",
        "article9_condition",
        "confidentiality",
        "inform",
        "advice_recommended",
        "must_record",
    ]


KNOWN_CITATIONS = set(g.all_citations())


def test_citations_are_unique_and_come_from_the_guidance_module() -> None:
    outcome = run(concern="immediate_risk", consent="refused", special_category=True)
    assert len(outcome.citations) == len(set(outcome.citations))
    assert set(outcome.citations) <= KNOWN_CITATIONS


def _normalise(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


RULE_PASSAGES = (
    rules.HM_CONFIDENTIALITY_CONDITIONS,
    rules.HM_EMERGENCY_DELAYS,
    rules.BUCKS_Q2_LEGAL_ADVICE,
    rules.BUCKS_Q4_WHOSE_CONSENT,
    rules.BUCKS_Q4_DECISION_PROCESS,
    rules.BUCKS_CONSENT_DELAY,
)


@pytest.mark.parametrize("citation", RULE_PASSAGES, ids=lambda c: c.text[:40])
def test_the_rules_own_passages_are_verbatim(citation: g.Citation) -> None:
    """The passages the 2024.2 rules added are quoted exactly, and live in guidance.py with
    every other quotation (so its checks cover them too)."""
    source = _normalise((GUIDANCE_DIR / g.SOURCE_FILES[citation.document]).read_text(encoding="utf-8"))
    assert _normalise(citation.text) in source, citation.text
    assert 5 <= len(citation.text) <= 400 and citation.rule.strip()
    assert citation in g.all_citations()  # defined once, in guidance.py


def test_evaluate_is_pure_and_repeatable() -> None:
    answers = parse_answers(dict(BASE))
    first = evaluate(answers).to_json()
    assert evaluate(answers).to_json() == first
    assert answers.to_json() == BASE | {"purpose": BASE["purpose"]}


# --- parse_answers: every problem names the field and the allowed values ------------


@pytest.mark.parametrize("key", [k for k in ANSWER_KEYS if k != "consent_not_sought_reason"])
def test_missing_answer_names_field_and_allowed_values(key: str) -> None:
    data = dict(BASE)
    del data[key]
    with pytest.raises(ValidationError) as info:
        parse_answers(data)
    assert info.value.field == key
    assert key in info.value.message
    assert "Allowed values" in info.value.message
    assert info.value.exit_code == EXIT_ERROR


@pytest.mark.parametrize(
    ("key", "allowed"),
    [
        ("organisation_sector", "public, voluntary, private"),
        ("concern", "wellbeing, possible_harm, significant_harm, immediate_risk"),
        ("consent", "given, refused, withdrawn, not_sought"),
    ],
)
@pytest.mark.parametrize("bad", ["High", "", "PUBLIC", 3, None, ["given"], True])
def test_wrong_enum_value_names_field_and_allowed_values(key: str, allowed: str, bad: object) -> None:
    with pytest.raises(ValidationError) as info:
        parse_answers({**BASE, key: bad})
    assert info.value.field == key
    assert allowed in info.value.message


@pytest.mark.parametrize("bad", ["true", "yes", 1, 0, None, [], {}])
def test_boolean_answers_must_be_json_booleans(bad: object) -> None:
    with pytest.raises(ValidationError) as info:
        parse_answers({**BASE, "identifiable": bad})
    assert info.value.field == "identifiable"
    assert "true or false" in info.value.message


@pytest.mark.parametrize("bad", ["", "   \n\t", 42, None, ["why"]])
def test_purpose_must_be_non_empty_text(bad: object) -> None:
    with pytest.raises(ValidationError) as info:
        parse_answers({**BASE, "purpose": bad})
    assert info.value.field == "purpose"
    assert "non-empty text" in info.value.message


def test_purpose_is_trimmed_and_bounded() -> None:
    assert parse_answers({**BASE, "purpose": "  refer  "}).purpose == "refer"
    with pytest.raises(ValidationError) as info:
        parse_answers({**BASE, "purpose": "x" * 10_001})
    assert info.value.field == "purpose"


def test_consent_not_sought_reason_is_optional_and_nullable() -> None:
    data = {k: v for k, v in BASE.items() if k != "consent_not_sought_reason"}
    assert parse_answers({**data, "consent": "not_sought"}).consent_not_sought_reason is None
    assert parse_answers({**data, "consent": "not_sought", "consent_not_sought_reason": None})


@pytest.mark.parametrize("consent", ["given", "refused", "withdrawn"])
def test_consent_not_sought_reason_only_when_not_sought(consent: str) -> None:
    """ "null unless not sought": a reason alongside consent given is a contradiction."""
    with pytest.raises(ValidationError) as info:
        parse_answers({**BASE, "consent": consent, "consent_not_sought_reason": "undue_delay"})
    assert info.value.field == "consent_not_sought_reason"
    assert "not_sought" in info.value.message


def test_invalid_consent_not_sought_reason_lists_the_four_reasons() -> None:
    with pytest.raises(ValidationError) as info:
        parse_answers({**BASE, "consent": "not_sought", "consent_not_sought_reason": "busy"})
    assert info.value.field == "consent_not_sought_reason"
    for reason in ("increase_risk_to_child", "serious_harm_to_adult", "prejudice_crime_detection", "undue_delay"):
        assert reason in info.value.message
    assert "null" in info.value.message


def test_unknown_key_is_refused_with_a_suggestion() -> None:
    with pytest.raises(ValidationError) as info:
        parse_answers({**BASE, "consent_not_sougth_reason": "undue_delay"})
    assert info.value.field == "consent_not_sougth_reason"
    assert "Did you mean 'consent_not_sought_reason'?" in info.value.message
    assert parse_answers({**BASE, "notes": "x"}, allow_unknown_keys=True).consent is Consent.GIVEN


@pytest.mark.parametrize("bad", [[], "answers", 3, None, [BASE]])
def test_answers_must_be_an_object(bad: object) -> None:
    with pytest.raises(ValidationError) as info:
        parse_answers(bad)
    assert "JSON object" in info.value.message


def test_answers_constructed_directly_are_validated_too() -> None:
    answers = parse_answers(BASE)
    with pytest.raises(ValidationError):
        Answers(**{**answers.__dict__, "purpose": " "})
