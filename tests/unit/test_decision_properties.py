"""Properties of the decision rules over every combination of answers (Hypothesis).

The allowed value sets are written out here independently of the enums in
``decision_rules``, so a value added to an enum by mistake breaks these tests rather
than silently widening the contract in docs/decision-api.md.

Beyond the recommendation, the properties also cover the practitioner's *own* decision
(which may differ): what its record must contain (``wizard_flow.required_record_fields``)
and that a record without it is refused (``decision_record.validate_decision``, which the
decision service calls before anything is written).
"""

from __future__ import annotations

import itertools
import json
from dataclasses import replace
from typing import Any

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from desktop_app.domain import guidance as g
from desktop_app.domain import wizard_flow as wf
from desktop_app.domain.decision_record import DecisionFields, validate_decision
from desktop_app.domain.decision_rules import (
    ANSWER_KEYS,
    Answers,
    evaluate,
    parse_answers,
)
from desktop_app.errors import ValidationError

SECTORS = ["public", "voluntary", "private"]
CONCERNS = ["wellbeing", "possible_harm", "significant_harm", "immediate_risk"]
CONSENTS = ["given", "refused", "withdrawn", "not_sought"]
REASONS = ["increase_risk_to_child", "serious_harm_to_adult", "prejudice_crime_detection", "undue_delay"]
BOOLEAN_KEYS = [
    "recipient_has_safeguarding_role",
    "identifiable",
    "anonymised_would_suffice",
    "confidential",
    "special_category",
    "legal_requirement",
    "informing_would_increase_risk",
    "objection_raised",
]

RECOMMENDATIONS = {"share", "share_anonymised", "seek_consent", "do_not_share"}
LAWFUL_BASES = {"public_task", "legal_obligation", "legitimate_interests", "vital_interests", "consent", "contract"}
ARTICLE9 = {"safeguarding_of_children_and_individuals_at_risk", None}
CONFIDENTIALITY = {"consent", "legal_requirement", "overriding_public_interest", None}
INFORM = {"before_sharing", "after_sharing", "do_not_inform"}
RECORD_FIELDS = [
    "purpose",
    "what_shared",
    "recipient",
    "date_time",
    "decided_by",
    "lawful_basis",
    "confidentiality_ground",
    "risk_level",
    "rationale",
    "consent_given_by_and_when",
    "reasons_consent_not_sought",
    "reasons_for_overriding_objection",
    "family_informed",
    "reason_not_informed",
    "advice_sought",
    "follow_up_rationale",
]
SHARING = {"share", "share_anonymised"}
FINAL_DECISIONS = ["share", "share_part", "do_not_share", "seek_consent_first", "seek_advice_first"]
SHARING_DECISIONS = {"share", "share_part"}
KNOWN_CITATIONS = set(g.all_citations())


@st.composite
def raw_answers(draw: st.DrawFn) -> dict[str, Any]:
    """A valid answers object, as decoded JSON (so the parser is exercised as well)."""
    consent = draw(st.sampled_from(CONSENTS))
    data: dict[str, Any] = {
        "organisation_sector": draw(st.sampled_from(SECTORS)),
        "concern": draw(st.sampled_from(CONCERNS)),
        "purpose": draw(st.text(min_size=1, max_size=200).filter(lambda s: s.strip() != "")),
        "consent": consent,
    }
    for key in BOOLEAN_KEYS:
        data[key] = draw(st.booleans())
    if consent == "not_sought":
        reason = draw(st.none() | st.sampled_from(REASONS))
        if reason is not None or draw(st.booleans()):
            data["consent_not_sought_reason"] = reason
    elif draw(st.booleans()):
        data["consent_not_sought_reason"] = None
    return data


def outcome_json(data: dict[str, Any]) -> dict[str, Any]:
    return evaluate(parse_answers(data)).to_json()


@given(raw_answers())
def test_every_outcome_has_at_least_one_citation_from_the_guidance(data: dict[str, Any]) -> None:
    outcome = evaluate(parse_answers(data))
    assert len(outcome.citations) >= 1
    assert set(outcome.citations) <= KNOWN_CITATIONS
    for finding in outcome.findings:
        if finding.value not in (None, False, ()):
            assert finding.citations, finding.topic


@given(raw_answers())
def test_outputs_are_always_from_the_allowed_value_sets(data: dict[str, Any]) -> None:
    out = outcome_json(data)
    assert out["recommendation"] in RECOMMENDATIONS
    assert out["lawful_basis"] and set(out["lawful_basis"]) <= LAWFUL_BASES
    assert len(out["lawful_basis"]) == len(set(out["lawful_basis"]))
    assert out["article9_condition"] in ARTICLE9
    assert out["confidentiality"] in CONFIDENTIALITY
    assert out["inform"] in INFORM
    assert isinstance(out["advice_recommended"], bool)
    assert set(out["must_record"]) <= set(RECORD_FIELDS)
    assert out["must_record"] == sorted(set(out["must_record"]), key=RECORD_FIELDS.index)
    assert out["concern_assessed"] in CONCERNS
    for citation in out["citations"]:
        assert set(citation) == {"document", "rule", "text"}
        assert all(isinstance(v, str) and v for v in citation.values())
    assert json.loads(json.dumps(out)) == out


@given(raw_answers())
def test_sharing_without_consent_always_requires_reasons_and_lawful_basis(data: dict[str, Any]) -> None:
    out = outcome_json(data)
    if out["recommendation"] not in SHARING:
        return
    must = set(out["must_record"])
    assert {"lawful_basis", "what_shared", "recipient", "purpose", "risk_level"} <= must
    if data["consent"] == "not_sought":
        assert "reasons_consent_not_sought" in must
    if data["consent"] in ("refused", "withdrawn") or data["objection_raised"]:
        assert "reasons_for_overriding_objection" in must
        assert "lawful_basis" in must
    if data["consent"] == "given":
        assert "consent_given_by_and_when" in must


@given(raw_answers())
def test_the_new_record_fields_follow_their_rules(data: dict[str, Any]) -> None:
    """Confidential identifiable sharing names its ground (HM 2024); sharing when the
    family can be told says whether they were (Appendix 1, question 6); recommended advice
    is recorded as sought or not (golden rule 4)."""
    out = outcome_json(data)
    must = set(out["must_record"])
    confidential_share = out["recommendation"] == "share" and data["confidential"]
    assert ("confidentiality_ground" in must) == confidential_share
    assert ("family_informed" in must) == (out["recommendation"] in SHARING and out["inform"] != "do_not_inform")
    assert ("advice_sought" in must) == out["advice_recommended"]
    assert not {"family_informed", "reason_not_informed"} <= must


@given(raw_answers())
def test_a_decision_not_to_share_still_requires_a_rationale(data: dict[str, Any]) -> None:
    out = outcome_json(data)
    assert {"purpose", "date_time", "decided_by", "rationale"} <= set(out["must_record"])
    if out["recommendation"] == "do_not_share":
        assert "rationale" in out["must_record"]
        assert "what_shared" not in out["must_record"]


@given(raw_answers())
def test_rule_invariants(data: dict[str, Any]) -> None:
    out = outcome_json(data)
    if not data["recipient_has_safeguarding_role"]:
        assert out["recommendation"] == "do_not_share"
    if data["legal_requirement"]:
        assert out["lawful_basis"][0] == "legal_obligation"
    assert "consent" not in out["lawful_basis"] and "contract" not in out["lawful_basis"]
    assert (out["article9_condition"] is not None) == data["special_category"]
    if not data["confidential"]:
        assert out["confidentiality"] is None
    if data["informing_would_increase_risk"]:
        assert out["inform"] == "do_not_inform"
    if out["inform"] == "do_not_inform":
        assert "reason_not_informed" in out["must_record"]
    if data["concern"] == "immediate_risk":
        assert "follow_up_rationale" in out["must_record"]
        assert out["inform"] != "before_sharing"
        assert "vital_interests" in out["lawful_basis"]
    if out["recommendation"] == "seek_consent":
        # Never advise asking for consent when asking could itself cause harm.
        assert out["inform"] != "do_not_inform"
        assert out["concern_assessed"] == "wellbeing"
    if out["concern_assessed"] == "possible_harm":
        assert out["advice_recommended"]


@given(raw_answers())
def test_at_risk_of_harm_a_safeguarding_recipient_is_always_shared_with(data: dict[str, Any]) -> None:
    """Golden rule 3: consent is not needed when a child is at risk of harm."""
    if data["concern"] == "wellbeing" or not data["recipient_has_safeguarding_role"]:
        return
    expected = "share" if data["identifiable"] and not data["anonymised_would_suffice"] else "share_anonymised"
    assert outcome_json(data)["recommendation"] == expected


@given(raw_answers(), st.sampled_from(CONCERNS))
def test_a_higher_concern_never_makes_sharing_less_likely(data: dict[str, Any], higher: str) -> None:
    if CONCERNS.index(higher) < CONCERNS.index(data["concern"]):
        return
    before = outcome_json(data)["recommendation"]
    after = outcome_json({**data, "concern": higher})["recommendation"]
    if before in SHARING:
        assert after in SHARING


@given(raw_answers())
def test_answers_round_trip_through_json(data: dict[str, Any]) -> None:
    answers = parse_answers(data)
    assert parse_answers(json.loads(json.dumps(answers.to_json()))) == answers
    assert set(answers.to_json()) == set(ANSWER_KEYS)
    assert isinstance(answers, Answers)


@given(raw_answers())
def test_evaluation_is_deterministic(data: dict[str, Any]) -> None:
    assert outcome_json(data) == outcome_json(dict(data))


# --- The practitioner's own decision (golden rule 7) ----------------------------------

# Every record field filled in; the properties take away what they are about.
FULL = DecisionFields(
    purpose="Referral",
    what_shared="The disclosure of 1 March",
    recipient_organisation="Children's Social Care",
    lawful_basis=("public_task",),
    article9_condition="safeguarding_of_children_and_individuals_at_risk",
    confidentiality="overriding_public_interest",
    consent_given_by_and_when="Mother, 2 March 10:00",
    reasons_consent_not_sought="Asking would put the child at risk",
    reasons_for_overriding_objection="Necessary to protect the child from harm",
    informed="told_after",
    informed_when="3 March",
    reason_not_informed="Telling them could increase the risk",
    advice_sought_from="Designated safeguarding lead",
    advice_sought_at="2 March 09:30",
    advice_given="Refer today",
    risk_level="Significant harm",
    decided_by="Alex Practitioner",
    decided_at="2024-03-02T10:00:00+00:00",
    rationale="The disclosure describes significant harm.",
    follow_up_rationale="Shared by phone, written up after.",
    reason_differs_from_recommendation="I judged it differently.",
)
NO_CONSENT = st.sampled_from(["refused", "withdrawn", "not_sought"])


@given(raw_answers(), st.sampled_from(FINAL_DECISIONS))
def test_the_practitioners_own_decision_sets_what_the_record_must_hold(data: dict[str, Any], decision: str) -> None:
    """Whatever the recommendation, a decision to share (or share part) without consent
    requires the reasons (consent not sought / overriding an objection) and the lawful
    basis (Appendix 1, "When not to seek consent"; HM 2024, "you must record your reasons
    and the legal basis"), and a decision not to share still requires a rationale (golden
    rule 7)."""
    outcome = evaluate(parse_answers(data))
    required = {r.field for r in wf.required_record_fields(outcome, decision)}
    assert {"purpose", "recipient", "date_time", "decided_by", "risk_level", "rationale"} <= required
    if decision in SHARING_DECISIONS:
        assert {"what_shared", "lawful_basis"} <= required
        if data["consent"] == "not_sought":
            assert "reasons_consent_not_sought" in required
        if data["consent"] in ("refused", "withdrawn") or data["objection_raised"]:
            assert "reasons_for_overriding_objection" in required
        if data["consent"] == "given":
            assert "consent_given_by_and_when" in required
        anonymised = (
            decision == "share_part"
            and outcome.recommendation.value == "share_anonymised"
            and outcome.concern_assessed.value != "immediate_risk"  # an emergency may need identifying details
        )
        expect_ground = data["confidential"] and data["identifiable"] and not anonymised
        assert ("confidentiality_ground" in required) == expect_ground
        assert ("family_informed" in required) == (outcome.inform.value != "do_not_inform")
    else:
        assert not {"what_shared", "lawful_basis", "confidentiality_ground", "family_informed"} & required
        assert not {"reasons_consent_not_sought", "reasons_for_overriding_objection"} & required
    if outcome.advice_recommended and decision != "seek_advice_first":
        assert "advice_sought" in required
    if decision == "seek_advice_first":
        assert "advice_sought_from" in required and "advice_sought" not in required
    assert (wf.REASON_DIFFERS_FIELD in required) != wf.follows_recommendation(outcome, decision)


@given(raw_answers(), st.sampled_from(sorted(SHARING_DECISIONS)), NO_CONSENT, st.sampled_from(["reasons", "basis"]))
def test_sharing_without_consent_is_refused_without_the_reasons_or_the_legal_basis(
    data: dict[str, Any], decision: str, consent: str, drop: str
) -> None:
    data = {**data, "consent": consent}
    if consent != "not_sought":
        data["consent_not_sought_reason"] = None
    outcome = evaluate(parse_answers(data))
    assert validate_decision(outcome, decision, FULL).fields == FULL  # complete: accepted
    reason = "reasons_consent_not_sought" if consent == "not_sought" else "reasons_for_overriding_objection"
    if drop == "reasons":
        fields, expected = replace(FULL, **{reason: " "}), reason
    else:
        fields, expected = replace(FULL, lawful_basis=()), "lawful_basis"
    with pytest.raises(ValidationError) as caught:
        validate_decision(outcome, decision, fields)
    assert caught.value.field == expected
    assert "must be filled in" in caught.value.message


@given(raw_answers(), st.sampled_from(["do_not_share", "seek_consent_first", "seek_advice_first"]))
def test_a_decision_not_to_share_is_refused_without_a_rationale(data: dict[str, Any], decision: str) -> None:
    outcome = evaluate(parse_answers(data))
    with pytest.raises(ValidationError) as caught:
        validate_decision(outcome, decision, replace(FULL, rationale="\n "))
    assert caught.value.field == "rationale"
    assert "Golden rule 7" in caught.value.message
    assert validate_decision(outcome, decision, FULL).final_decision.value == decision


@given(raw_answers(), st.sampled_from(FINAL_DECISIONS), st.sampled_from(["consent", "legal_requirement"]))
def test_a_confidentiality_ground_the_answers_deny_is_refused(data: dict[str, Any], decision: str, ground: str) -> None:
    """HM 2024: "you must be sure that one of the following conditions exists" - a record
    naming consent nobody gave (or consent while someone objects: the rules never rest on
    it then), or a legal requirement the answers deny, is refused."""
    outcome = evaluate(parse_answers(data))
    if ground == "consent":
        exists = data["consent"] == "given" and not data["objection_raised"]
    else:
        exists = data["legal_requirement"]
    fields = replace(FULL, confidentiality=ground)
    if exists:
        assert validate_decision(outcome, decision, fields).fields.confidentiality == ground
        return
    with pytest.raises(ValidationError) as caught:
        validate_decision(outcome, decision, fields)
    assert caught.value.field == "confidentiality"
    assert "does not fit your answers" in caught.value.message
    assert "one of the following conditions exists" in caught.value.message


@given(raw_answers(), st.sampled_from(sorted(SHARING_DECISIONS)))
def test_whether_the_family_was_told_is_recorded_with_when_or_why_not(data: dict[str, Any], decision: str) -> None:
    """Appendix 1, question 6: "Inform the person to whom the information relates"; the
    record says whether they were told, and when, or why not."""
    outcome = evaluate(parse_answers(data))
    if outcome.inform.value == "do_not_inform":
        return
    cases = [
        (dict(informed="", informed_when="3 March"), "family_informed"),
        (dict(informed="told_before", informed_when=""), "family_informed"),
        (dict(informed="told_after", informed_when=" "), "family_informed"),
        (dict(informed="not_yet", informed_when="", reason_not_informed=""), "family_informed"),
        (dict(informed="not_told", reason_not_informed=""), "reason_not_informed"),
    ]
    for changes, field in cases:
        with pytest.raises(ValidationError) as caught:
            validate_decision(outcome, decision, replace(FULL, **changes))
        assert caught.value.field == field, changes
    for complete in (
        dict(informed="told_before", informed_when="3 March"),
        dict(informed="not_yet", informed_when="", reason_not_informed="Waiting for the strategy meeting"),
        dict(informed="not_told", informed_when="", reason_not_informed="It could put the child at risk"),
    ):
        validate_decision(outcome, decision, replace(FULL, **complete))


@given(raw_answers(), st.sampled_from(["share", "share_part", "do_not_share", "seek_consent_first"]))
def test_recommended_advice_is_recorded_as_sought_or_why_not(data: dict[str, Any], decision: str) -> None:
    """Golden rule 4: the record says from whom, when and what was advised - or why advice
    was not sought, in a field of its own."""
    outcome = evaluate(parse_answers(data))
    if not outcome.advice_recommended:
        return
    for name in ("advice_sought_from", "advice_sought_at", "advice_given"):
        with pytest.raises(ValidationError) as caught:
            validate_decision(outcome, decision, replace(FULL, **{name: ""}))
        assert caught.value.field == "advice_sought", name
    not_sought = replace(FULL, advice_sought_from="", advice_sought_at="", advice_given="")
    with pytest.raises(ValidationError) as caught:
        validate_decision(outcome, decision, not_sought)
    assert caught.value.field == "advice_sought"
    validate_decision(outcome, decision, replace(not_sought, advice_not_sought_reason="Shared first in the emergency"))


def test_seeking_advice_first_needs_who_is_being_asked_not_why_advice_was_not_sought() -> None:
    outcome = evaluate(parse_answers({**VALID_NOT_SOUGHT, "concern": "possible_harm"}))
    with pytest.raises(ValidationError) as caught:
        validate_decision(
            outcome, "seek_advice_first", replace(FULL, advice_sought_from="", advice_not_sought_reason="no time")
        )
    assert caught.value.field == wf.ADVICE_SOUGHT_FROM_FIELD
    validate_decision(outcome, "seek_advice_first", replace(FULL, advice_sought_at="", advice_given=""))


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=10), inner, max_size=3),
    max_leaves=8,
)


VALID_NOT_SOUGHT = {
    "organisation_sector": "public",
    "concern": "significant_harm",
    "purpose": "referral",
    **dict.fromkeys(BOOLEAN_KEYS, True),
    "consent": "not_sought",
    "consent_not_sought_reason": "undue_delay",
}


@example(VALID_NOT_SOUGHT, "consent", "given")
@given(raw_answers(), st.sampled_from(ANSWER_KEYS), JSON_VALUES | st.sampled_from(CONSENTS))
def test_one_bad_answer_is_reported_by_name(data: dict[str, Any], key: str, value: Any) -> None:
    """Replacing any answer by any JSON value either still parses or names that field.

    One exception, by design: changing ``consent`` away from not_sought while a reason is
    present makes the *reason* the answer at fault ("null unless not sought").
    """
    changed = {**data, key: value}
    try:
        parse_answers(changed)
    except ValidationError as exc:
        if exc.field == "consent_not_sought_reason" and key == "consent":
            assert changed.get("consent_not_sought_reason") is not None
        else:
            assert exc.field == key
        assert str(exc.field) in exc.message


@given(st.dictionaries(st.sampled_from([*ANSWER_KEYS, "extra"]), JSON_VALUES) | JSON_VALUES)
def test_parser_never_fails_with_anything_but_a_validation_error(value: Any) -> None:
    try:
        parse_answers(value)
    except ValidationError as exc:
        assert exc.message


def _every_combination() -> list[dict[str, Any]]:
    combos = []
    for sector, concern, consent, *flags in itertools.product(
        SECTORS, CONCERNS, CONSENTS, *([[True, False]] * len(BOOLEAN_KEYS))
    ):
        reasons: list[str | None] = [None, *REASONS] if consent == "not_sought" else [None]
        for reason in reasons:
            data = {
                "organisation_sector": sector,
                "concern": concern,
                "purpose": "p",
                "consent": consent,
                "consent_not_sought_reason": reason,
                **dict(zip(BOOLEAN_KEYS, flags, strict=True)),
            }
            combos.append(data)
    return combos


def test_core_properties_hold_for_every_combination_of_answers() -> None:
    """The answer space apart from the free-text purpose is finite (about 24,600
    combinations), so the contract's core properties are checked for all of them."""
    combos = _every_combination()
    assert len(combos) == 3 * 4 * 2**8 * (3 + 5)
    for data in combos:
        out = outcome_json(data)
        must = set(out["must_record"])
        assert out["citations"], data
        assert out["recommendation"] in RECOMMENDATIONS
        assert set(out["lawful_basis"]) <= LAWFUL_BASES and out["lawful_basis"]
        assert out["article9_condition"] in ARTICLE9
        assert out["confidentiality"] in CONFIDENTIALITY
        assert out["inform"] in INFORM
        assert must <= set(RECORD_FIELDS)
        assert "rationale" in must
        if out["advice_recommended"]:
            assert "advice_sought" in must, data
        if out["recommendation"] == "share" and data["confidential"]:
            assert "confidentiality_ground" in must, data
        if out["recommendation"] in SHARING and data["consent"] != "given":
            assert "lawful_basis" in must, data
            if data["consent"] == "not_sought":
                assert "reasons_consent_not_sought" in must, data
            else:
                assert "reasons_for_overriding_objection" in must, data


@given(raw_answers(), st.sampled_from(["share", "share_part"]))
def test_consent_is_never_the_ground_while_someone_objects(data: dict[str, Any], decision: str) -> None:
    """The rules never rest on consent while an objection stands (Bucks Appendix 1, Q4:
    conflicting wishes go to the safeguarding lead), so a record naming it is refused."""
    answers = parse_answers({**data, "consent": "given", "consent_not_sought_reason": None, "objection_raised": True})
    outcome = evaluate(answers)
    with pytest.raises(ValidationError) as caught:
        validate_decision(outcome, decision, replace(FULL, confidentiality="consent"))
    assert caught.value.field == "confidentiality" and "objects" in caught.value.message


def test_sharing_part_in_an_emergency_still_names_its_confidentiality_ground() -> None:
    """In an emergency the wizard says not to hold back identifying details, so a partial
    share there is not presumed anonymised: the ground must be recorded (HM 2024: "you
    must be sure that one of the following conditions exists")."""
    answers = parse_answers(
        {**VALID_NOT_SOUGHT, "concern": "immediate_risk", "anonymised_would_suffice": True, "legal_requirement": False}
    )
    outcome = evaluate(answers)
    assert outcome.recommendation.value == "share_anonymised"
    required = {r.field for r in wf.required_record_fields(outcome, "share_part")}
    assert "confidentiality_ground" in required
