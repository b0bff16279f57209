"""Every citation in the application is a verbatim quotation from its guidance file.

A citation that drifts from its source (a paraphrase, a typo "fixed", a sentence from
memory) would put words in the guidance's mouth in a decision record. These tests
compare each quotation with the text, whitespace-normalised; `` ... `` marks a gap.
"""

from __future__ import annotations

import os
import re
from functools import cache
from pathlib import Path

import pytest

from desktop_app.domain import guidance as g
from desktop_app.domain.guidance import Citation

REPO = Path(__file__).resolve().parents[2]
# The guidance ships with the application (resources/guidance), so these checks always run.
GUIDANCE_DIR = Path(os.environ.get("CASENOTES_GUIDANCE_DIR") or REPO / "resources" / "guidance")


def test_guidance_texts_are_shipped() -> None:
    missing = [f for f in g.SOURCE_FILES.values() if not (GUIDANCE_DIR / f).is_file()]
    assert not missing, f"guidance files missing from {GUIDANCE_DIR}: {missing}"


def needs_texts(fn):  # type: ignore[no-untyped-def]
    return fn


def normalise(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


@cache
def source_text(document: str) -> str:
    assert GUIDANCE_DIR is not None
    return normalise((GUIDANCE_DIR / g.SOURCE_FILES[document]).read_text(encoding="utf-8"))


def occurs_in_order(quote: str, text: str) -> bool:
    position = 0
    for part in quote.split(g.ELLIPSIS):
        found = text.find(normalise(part), position)
        if found < 0:
            return False
        position = found + len(part)
    return True


ALL = g.all_citations()


def test_there_are_citations_for_every_document() -> None:
    documents = {c.document for c in ALL}
    assert documents == set(g.SOURCE_FILES)


@needs_texts
@pytest.mark.parametrize("citation", ALL, ids=[f"{c.rule}: {c.text[:40]}" for c in ALL])
def test_quote_is_verbatim_in_its_source(citation: Citation) -> None:
    assert citation.document in g.SOURCE_FILES, citation.document
    assert occurs_in_order(citation.text, source_text(citation.document)), (
        f"{citation.rule} ({citation.document}) is not verbatim: {citation.text!r}"
    )


@pytest.mark.parametrize("citation", ALL, ids=[f"{c.rule}: {c.text[:40]}" for c in ALL])
def test_quote_is_short_and_labelled(citation: Citation) -> None:
    """Short enough to show beside a wizard answer; a rule name a person can look up."""
    assert 5 <= len(citation.text) <= 400
    assert citation.rule.strip() and citation.document.strip()
    assert citation.text == citation.text.strip()


@needs_texts
def test_the_checker_rejects_a_paraphrase() -> None:
    """The verbatim check itself must be able to fail."""
    paraphrase = "You never need consent to share information about a child."
    assert not occurs_in_order(paraphrase, source_text(g.GOLDEN_RULES_2024))
    out_of_order = "information sharing decision ... Record the reasons for your"
    assert not occurs_in_order(out_of_order, source_text(g.GOLDEN_RULES_2024))


@needs_texts
def test_golden_rule_citations_name_their_rule_number() -> None:
    """Each "Golden rule N" quotation sits under the heading "Rule N" in the 2024 text."""
    raw = (GUIDANCE_DIR / g.SOURCE_FILES[g.GOLDEN_RULES_2024]).read_text(encoding="utf-8")  # type: ignore[operator]
    sections = re.split(r"\n\s*Rule (\d)\s*\n", raw)
    by_number = {int(sections[i]): normalise(sections[i + 1]) for i in range(1, len(sections), 2)}
    assert sorted(by_number) == [1, 2, 3, 4, 5, 6, 7]
    for citation in ALL:
        if citation.document == g.GOLDEN_RULES_2024:
            number = int(citation.rule.removeprefix("Golden rule "))
            assert normalise(citation.text) in by_number[number], citation


# --- Forms of abuse and neglect (note categories) ------------------------------------


@needs_texts
def test_forms_of_abuse_match_the_2024_list_in_order() -> None:
    """ "Abuse and neglect can take a variety of different forms, including but not limited to"."""
    text = source_text(g.HM_ADVICE_2024)
    start = text.index("including but not limited to:")
    end = text.index("Whatever the form of abuse or neglect")
    items = [re.sub(r"(; and|;)$", "", item.strip()).strip() for item in text[start:end].split(" - ")[1:]]
    assert [c.citation.text for c in g.FORMS_OF_ABUSE_AND_NEGLECT] == items


def test_note_categories_end_with_general_welfare() -> None:
    codes = [c.code for c in g.CONCERN_CATEGORIES]
    assert len(codes) == len(set(codes)) == 16
    assert codes[-1] == "general_welfare"
    assert g.CONCERN_CATEGORIES[:-1] == g.FORMS_OF_ABUSE_AND_NEGLECT
    for category in g.CONCERN_CATEGORIES:
        assert re.fullmatch(r"[a-z_]+", category.code)
        assert category.label[0].isupper()
        assert category.citation.document == g.HM_ADVICE_2024


def test_concern_category_lookup() -> None:
    assert g.concern_category("neglect").label == "Neglect"
    assert g.concern_category("general_welfare") is g.GENERAL_WELFARE
    with pytest.raises(KeyError):
        g.concern_category("nonsense")


def test_citation_json_has_exactly_the_documented_keys() -> None:
    assert g.GOLDEN_RULE_3.to_json() == {
        "document": "Seven golden rules (2024)",
        "rule": "Golden rule 3",
        "text": g.GOLDEN_RULE_3.text,
    }


# --- The documented contract quotes verbatim too -------------------------------------

DOC = REPO / "docs" / "decision-api.md"
_DOC_QUOTE = re.compile(r'^> "(?P<text>.+)" — (?P<source>.+)$')
_SOURCE_PREFIX = {
    "Seven golden rules (2024)": g.GOLDEN_RULES_2024,
    "HM Government 2024": g.HM_ADVICE_2024,
    "Buckinghamshire": g.BUCKINGHAMSHIRE_CODE,
}


def _doc_quotes() -> list[tuple[str, str]]:
    quotes = []
    for line in DOC.read_text(encoding="utf-8").splitlines():
        match = _DOC_QUOTE.match(line.strip())
        if match:
            source = next(d for p, d in _SOURCE_PREFIX.items() if match["source"].startswith(p))
            quotes.append((match["text"], source))
    return quotes


def test_the_contract_document_has_quotes() -> None:
    assert len(_doc_quotes()) >= 25


@needs_texts
@pytest.mark.parametrize(("text", "document"), _doc_quotes(), ids=lambda v: str(v)[:40])
def test_contract_document_quotes_are_verbatim(text: str, document: str) -> None:
    assert occurs_in_order(text, source_text(document)), text
