"""The wizard's questions as data: order, skip logic, options, and record requirements."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from desktop_app.domain import guidance as g
from desktop_app.domain import wizard_flow as wf
from desktop_app.domain.decision_rules import (
    ANSWER_KEYS,
    HM_CONFIDENTIALITY_CONDITIONS,
    HM_EMERGENCY_DELAYS,
    Concern,
    Consent,
    ConsentNotSoughtReason,
    Outcome,
    RecordField,
    Sector,
    decide,
    evaluate,
    parse_answers,
)
from desktop_app.errors import ValidationError

BASE: dict[str, Any] = {
    "organisation_sector": "public",
    "concern": "significant_harm",
    "purpose": "Referral to children's social care",
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


def outcome(**changes: Any) -> Outcome:
    return decide({**BASE, **changes})


def fields(requirements: list[wf.RecordFieldRequirement]) -> list[str]:
    return [r.field for r in requirements]


# --- The questions ------------------------------------------------------------------


def test_one_question_per_answer_key() -> None:
    assert sorted(wf.QUESTION_IDS) == sorted(ANSWER_KEYS)
    assert len(wf.QUESTION_IDS) == len(set(wf.QUESTION_IDS))


def test_questions_follow_appendix_1_then_the_2024_advice() -> None:
    """Purpose, identifiability, confidentiality, consent, level of concern, public
    interest / legal requirement, lawful basis, what to share and with whom, informing."""
    order = [
        "purpose",
        "identifiable",
        "confidential",
        "consent",
        "concern",
        "legal_requirement",
        "organisation_sector",
        "special_category",
        "recipient_has_safeguarding_role",
        "informing_would_increase_risk",
    ]
    positions = [wf.QUESTION_IDS.index(q) for q in order]
    assert positions == sorted(positions)
    assert wf.QUESTION_IDS.index("anonymised_would_suffice") == wf.QUESTION_IDS.index("identifiable") + 1
    assert wf.QUESTION_IDS.index("consent_not_sought_reason") == wf.QUESTION_IDS.index("consent") + 1
    assert wf.QUESTION_IDS[0] == "purpose" and wf.QUESTION_IDS[-1] == "informing_would_increase_risk"


@pytest.mark.parametrize("q", wf.QUESTIONS, ids=wf.QUESTION_IDS)
def test_every_question_is_complete_and_cited(q: wf.Question) -> None:
    assert q.title.strip() and q.prompt.strip() and q.help.strip() and q.step.strip()
    assert q.citations, "every question cites the guidance it comes from"
    assert set(q.citations) <= set(g.all_citations())
    assert q.seek_advice_hint, "golden rule 4: say where to get advice when unsure"
    if q.kind == "text":
        assert q.options == ()
    else:
        assert len(q.options) >= 2
        assert all(o.label.strip() for o in q.options)
        values = [o.value for o in q.options]
        assert len(values) == len(set(values))
    if q.kind == "yes_no":
        assert [o.value for o in q.options] == [True, False]


@pytest.mark.parametrize(
    ("question_id", "values"),
    [
        ("organisation_sector", [s.value for s in Sector]),
        ("concern", [c.value for c in Concern]),
        ("consent", [c.value for c in Consent]),
        ("consent_not_sought_reason", [r.value for r in ConsentNotSoughtReason] + [None]),
    ],
)
def test_choice_options_cover_every_allowed_value(question_id: str, values: list[object]) -> None:
    assert [o.value for o in wf.question(question_id).options] == values


@pytest.mark.parametrize("q", [q for q in wf.QUESTIONS if q.options], ids=lambda q: q.id)
def test_every_option_value_is_accepted_by_the_rules(q: wf.Question) -> None:
    for option in q.options:
        data = {**BASE, q.id: option.value}
        if q.id == "consent_not_sought_reason":
            data["consent"] = "not_sought"
        parse_answers(data)  # raises if the wizard and the rules disagree


def test_the_four_reasons_are_worded_as_in_the_code() -> None:
    """Buckinghamshire Appendix 1, "When not to seek consent": the option labels are the
    code's own words."""
    labels = [o.label for o in wf.question("consent_not_sought_reason").options[:4]]
    cited = [
        g.BUCKS_REASON_RISK_TO_CHILD.text,
        g.BUCKS_REASON_HARM_TO_ADULT.text,
        g.BUCKS_REASON_CRIME.text,
        g.BUCKS_REASON_DELAY.text.rstrip("."),
    ]
    assert labels == cited


def test_question_lookup() -> None:
    assert wf.question("consent").kind == "choice"
    with pytest.raises(KeyError):
        wf.question("nope")
    assert wf.question("consent").option("refused").label == "Consent refused"
    assert wf.question("consent").option(Consent.REFUSED).label == "Consent refused"
    assert wf.question("consent_not_sought_reason").option(None).label == "None of these"
    assert wf.question("identifiable").option(True).label == "Yes"
    with pytest.raises(KeyError):
        wf.question("identifiable").option(1)  # type: ignore[arg-type]


def test_advice_citation_is_golden_rule_4() -> None:
    assert wf.ADVICE_CITATION.rule == "Golden rule 4"


# --- Asking only what matters -------------------------------------------------------


def test_reason_asked_only_when_consent_not_sought() -> None:
    q = wf.question("consent_not_sought_reason")
    assert q.asked_when({"consent": "not_sought"})
    for consent in ("given", "refused", "withdrawn"):
        assert not q.asked_when({"consent": consent})
    assert not q.asked_when({})


def test_anonymised_asked_only_when_identifiable() -> None:
    q = wf.question("anonymised_would_suffice")
    assert q.asked_when({"identifiable": True})
    assert not q.asked_when({"identifiable": False})
    assert not q.asked_when({})


def test_objection_not_asked_when_consent_was_refused_or_withdrawn() -> None:
    """A refusal is already an objection (golden rule 3), so it is not asked twice."""
    q = wf.question("objection_raised")
    assert q.asked_when({"consent": "given"}) and q.asked_when({"consent": "not_sought"})
    assert not q.asked_when({"consent": "refused"}) and not q.asked_when({"consent": "withdrawn"})
    assert q.default_when_not_asked is True


def test_next_question_walks_the_path() -> None:
    answers: dict[str, object] = {}
    asked = []
    script = {**BASE, "consent": "not_sought", "consent_not_sought_reason": "undue_delay", "identifiable": False}
    while (q := wf.next_question(answers)) is not None:
        asked.append(q.id)
        answers[q.id] = script[q.id]
    assert "anonymised_would_suffice" not in asked
    assert "consent_not_sought_reason" in asked
    assert asked == [q.id for q in wf.questions_to_ask(answers)]
    assert parse_answers(wf.complete_answers(answers)).consent_not_sought_reason is ConsentNotSoughtReason.UNDUE_DELAY


def test_complete_answers_replaces_stale_answers_and_keeps_gaps() -> None:
    stale = {**BASE, "consent": "given", "consent_not_sought_reason": "undue_delay", "extra": 1}
    complete = wf.complete_answers(stale)
    assert complete["consent_not_sought_reason"] is None
    assert "extra" not in complete
    parse_answers(complete)
    partial = {k: v for k, v in BASE.items() if k != "concern"}
    with pytest.raises(ValidationError) as info:
        parse_answers(wf.complete_answers(partial))
    assert info.value.field == "concern"


@st.composite
def wizard_walk(draw: st.DrawFn) -> dict[str, object]:
    """Answer the wizard the way a person would: one shown question at a time."""
    answers: dict[str, object] = {}
    while (q := wf.next_question(answers)) is not None:
        if q.kind == "text":
            answers[q.id] = draw(st.text(min_size=1, max_size=50).filter(str.strip))
        else:
            answers[q.id] = draw(st.sampled_from([o.value for o in q.options]))
    return answers


@given(wizard_walk())
def test_every_path_through_the_wizard_gives_a_valid_decision(answers: dict[str, object]) -> None:
    result = evaluate(parse_answers(wf.complete_answers(answers)))
    assert result.citations
    for decision in wf.FinalDecision:
        requirements = wf.required_record_fields(result, decision)
        assert "rationale" in fields(requirements)


@given(wizard_walk())
def test_asked_when_looks_only_at_earlier_answers(answers: dict[str, object]) -> None:
    for index, q in enumerate(wf.QUESTIONS):
        earlier = {k: v for k, v in answers.items() if k in wf.QUESTION_IDS[:index]}
        assert q.asked_when(answers) == q.asked_when(earlier), q.id


# --- The practitioner's own decision and what the record must hold ------------------


def test_final_decision_options() -> None:
    assert [o.value.value for o in wf.FINAL_DECISION_OPTIONS] == [
        "share",
        "share_part",
        "do_not_share",
        "seek_consent_first",
        "seek_advice_first",
    ]
    for option in wf.FINAL_DECISION_OPTIONS:
        assert option.label and option.help and option.citation in g.all_citations()


def test_decision_not_to_share_still_needs_a_rationale() -> None:
    """Golden rule 7: "Record the reasons for your information sharing decision,
    irrespective of whether or not you decide to share information."."""
    result = outcome(concern="wellbeing", consent="refused")
    requirements = wf.required_record_fields(result, "do_not_share")
    rationale = next(r for r in requirements if r.field == "rationale")
    assert "not to share" in rationale.label
    assert rationale.citation == g.GOLDEN_RULE_7
    assert "what_shared" not in fields(requirements)
    assert wf.REASON_DIFFERS_FIELD not in fields(requirements)


def test_sharing_against_the_recommendation_needs_the_reason_and_the_consent_fields() -> None:
    """Golden rule 7: "When recording any decision, clearly set out the rationale"; HM 2024:
    sharing over an objection needs "your reasons and the legal basis"."""
    result = outcome(concern="wellbeing", consent="refused")
    assert result.recommendation.value == "do_not_share"
    got = fields(wf.required_record_fields(result, "share"))
    for needed in ("lawful_basis", "what_shared", "reasons_for_overriding_objection", wf.REASON_DIFFERS_FIELD):
        assert needed in got


def test_following_the_recommendation_needs_no_reason_to_differ() -> None:
    result = outcome()
    assert wf.follows_recommendation(result, "share")
    assert wf.follows_recommendation(result, "share_part")
    assert wf.REASON_DIFFERS_FIELD not in fields(wf.required_record_fields(result, "share"))
    assert wf.REASON_DIFFERS_FIELD in fields(wf.required_record_fields(result, "do_not_share"))


def test_sharing_in_full_when_anonymised_would_do_differs() -> None:
    result = outcome(anonymised_would_suffice=True)
    assert wf.follows_recommendation(result, "share_part")
    assert not wf.follows_recommendation(result, "share")
    assert any("Anonymised" in text for text, _ in wf.decision_cautions(result, "share"))


def test_sharing_without_consent_record_fields() -> None:
    """Appendix 1, "When not to seek consent": record "the reasons for not seeking consent"
    and "the legal basis"."""
    result = outcome(consent="not_sought", consent_not_sought_reason="increase_risk_to_child")
    got = fields(wf.required_record_fields(result, "share"))
    assert {"reasons_consent_not_sought", "lawful_basis", "reason_not_informed"} <= set(got)


def test_seek_advice_first_records_who_is_asked() -> None:
    result = outcome(concern="possible_harm")
    assert result.advice_recommended
    got = fields(wf.required_record_fields(result, "seek_advice_first"))
    assert wf.ADVICE_SOUGHT_FROM_FIELD in got
    assert wf.REASON_DIFFERS_FIELD not in got


def test_seek_advice_first_in_an_emergency_differs_and_is_cautioned() -> None:
    """HM 2024, Emergencies: "Delays in sharing information may increase the risk of harm
    to the child." Advice never comes before sharing in an emergency."""
    result = outcome(concern="immediate_risk", consent="refused")
    assert result.advice_recommended
    got = fields(wf.required_record_fields(result, "seek_advice_first"))
    assert wf.REASON_DIFFERS_FIELD in got
    assert "follow_up_rationale" in got
    cautions = wf.decision_cautions(result, "seek_advice_first")
    assert any(c is g.HM_EMERGENCY_SHARE for _, c in cautions)


def test_seeking_consent_when_telling_the_family_is_unsafe_is_cautioned() -> None:
    result = outcome(informing_would_increase_risk=True, consent="not_sought")
    cautions = wf.decision_cautions(result, "seek_consent_first")
    assert any(c is g.HM_SEEKING_CONSENT_RISK for _, c in cautions)
    assert wf.decision_cautions(outcome(), "share") == []


def test_not_sharing_at_risk_of_harm_is_cautioned() -> None:
    """Golden rule 4: "Do not leave a child at risk of harm"."""
    cautions = wf.decision_cautions(outcome(), "do_not_share")
    assert any(c is g.GOLDEN_RULE_4_DO_NOT_LEAVE for _, c in cautions)


def test_sharing_with_a_recipient_without_role_is_cautioned() -> None:
    cautions = wf.decision_cautions(outcome(recipient_has_safeguarding_role=False), "share")
    assert any(c is g.GOLDEN_RULE_6 for _, c in cautions)


@pytest.mark.parametrize("bad", ["maybe", "", None, 3, "SHARE"])
def test_invalid_final_decision_names_the_allowed_values(bad: object) -> None:
    with pytest.raises(ValidationError) as info:
        wf.required_record_fields(outcome(), bad)  # type: ignore[arg-type]
    assert info.value.field == "final_decision"
    assert "share, share_part, do_not_share, seek_consent_first, seek_advice_first" in info.value.message


def test_record_field_requirements_are_labelled_cited_and_unique() -> None:
    result = outcome(concern="immediate_risk", consent="refused", informing_would_increase_risk=True)
    for decision in wf.FinalDecision:
        requirements = wf.required_record_fields(result, decision)
        assert len(fields(requirements)) == len(set(fields(requirements)))
        for r in requirements:
            assert r.label.strip()
            assert r.citation in set(g.all_citations())
    assert set(wf.RECORD_FIELD_LABELS) >= {f.value for f in RecordField}


# --- Gaps closed: objections at early help, the confidentiality ground, informing, advice --


def test_early_help_objection_decisions() -> None:
    """Golden rule 3 overrides an objection only "to protect the child from harm"; at early
    help the recommendation is to resolve it first (Appendix 1, question 4). Seeking
    consent or advice first follows it; sharing anyway differs and must record why, with
    the reasons for overriding the objection and who consented."""
    result = outcome(concern="wellbeing", consent="given", objection_raised=True)
    assert result.recommendation.value == "seek_consent"
    assert wf.follows_recommendation(result, "seek_consent_first")
    assert wf.follows_recommendation(result, "seek_advice_first")
    assert not wf.follows_recommendation(result, "share")
    got = fields(wf.required_record_fields(result, "share"))
    for needed in (
        "reasons_for_overriding_objection",
        "consent_given_by_and_when",
        "lawful_basis",
        "confidentiality_ground",
        "family_informed",
        "advice_sought",
        wf.REASON_DIFFERS_FIELD,
    ):
        assert needed in got
    waiting = fields(wf.required_record_fields(result, "seek_consent_first"))
    assert "rationale" in waiting and "advice_sought" in waiting
    assert "reasons_for_overriding_objection" not in waiting


def test_confidentiality_ground_follows_the_practitioners_decision() -> None:
    """HM 2024: "if you believe it is necessary to share confidential information, then you
    must be sure that one of the following conditions exists"."""
    result = outcome(concern="wellbeing", consent="not_sought")  # seek consent: no ground yet
    assert result.confidentiality is None
    requirements = wf.required_record_fields(result, "share")
    ground = next(r for r in requirements if r.field == "confidentiality_ground")
    assert ground.citation == HM_CONFIDENTIALITY_CONDITIONS
    assert "overriding public interest" in ground.label
    assert "confidentiality_ground" not in fields(wf.required_record_fields(result, "do_not_share"))
    assert "confidentiality_ground" not in fields(wf.required_record_fields(outcome(confidential=False), "share"))


def test_share_part_of_anonymised_information_needs_no_confidentiality_ground() -> None:
    """Appendix 1, question 2: anonymised information "can lawfully be shared as long as
    the purpose is legitimate"; sharing in full when anonymised would do needs the ground."""
    result = outcome(anonymised_would_suffice=True)
    assert "confidentiality_ground" not in fields(wf.required_record_fields(result, "share_part"))
    assert "confidentiality_ground" in fields(wf.required_record_fields(result, "share"))


def test_informing_is_recorded_for_decisions_to_share() -> None:
    """Appendix 1, question 6: "Inform the person to whom the information relates"."""
    result = outcome()
    assert result.inform.value == "before_sharing"
    informed = next(r for r in wf.required_record_fields(result, "share_part") if r.field == "family_informed")
    assert informed.citation == g.BUCKS_Q6_INFORM and "when" in informed.label
    assert "family_informed" not in fields(wf.required_record_fields(result, "do_not_share"))
    unsafe = outcome(informing_would_increase_risk=True)
    got = fields(wf.required_record_fields(unsafe, "share"))
    assert "reason_not_informed" in got and "family_informed" not in got


def test_advice_recommended_is_recorded_unless_advice_is_the_decision() -> None:
    result = outcome(concern="possible_harm")
    for decision in ("share", "share_part", "do_not_share", "seek_consent_first"):
        assert "advice_sought" in fields(wf.required_record_fields(result, decision)), decision
    first = fields(wf.required_record_fields(result, "seek_advice_first"))
    assert wf.ADVICE_SOUGHT_FROM_FIELD in first and "advice_sought" not in first
    assert "advice_sought" not in fields(wf.required_record_fields(outcome(), "share"))


def test_emergency_sharing_when_anonymised_would_do_is_cautioned_not_to_delay() -> None:
    """HM 2024, Emergencies: "Delays in sharing information may increase the risk of harm to
    the child."."""
    result = outcome(concern="immediate_risk", anonymised_would_suffice=True)
    for decision in ("share", "share_part"):
        assert any(c is HM_EMERGENCY_DELAYS for _, c in wf.decision_cautions(result, decision))
    calm = outcome(anonymised_would_suffice=True)
    assert not any(c is HM_EMERGENCY_DELAYS for _, c in wf.decision_cautions(calm, "share"))


def test_objection_question_says_early_help_objections_hold_sharing_back() -> None:
    assert "until it is resolved" in wf.question("objection_raised").help
