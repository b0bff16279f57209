"""Properties of the decision rules over every combination of answers (Hypothesis).

The allowed value sets are written out here independently of the enums in
``decision_rules``, so a value added to an enum by mistake breaks these tests rather
than silently widening the contract in docs/decision-api.md.
"""

from __future__ import annotations

import itertools
import json
from typing import Any

from hypothesis import example, given
from hypothesis import strategies as st

from desktop_app.domain import guidance as g
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
    "risk_level",
    "rationale",
    "consent_given_by_and_when",
    "reasons_consent_not_sought",
    "reasons_for_overriding_objection",
    "reason_not_informed",
    "follow_up_rationale",
]
SHARING = {"share", "share_anonymised"}


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
    assert set(outcome.citations) <= set(g.all_citations())
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
        if out["recommendation"] in SHARING and data["consent"] != "given":
            assert "lawful_basis" in must, data
            if data["consent"] == "not_sought":
                assert "reasons_consent_not_sought" in must, data
            else:
                assert "reasons_for_overriding_objection" in must, data
