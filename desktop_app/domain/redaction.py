"""Redaction for share packets: golden rule 5, protect the identities of people at risk.

"Ensure you and the person or agency that receives the information take steps to protect
the identities of any individuals (for example, the child, a carer, a neighbour, or a
colleague) who might suffer harm if their details became known to an abuser."

Two kinds of redaction, both pure functions of the text:

* **Protected people** are replaced by their role, consistently: every mention of the
  same person becomes the same label ("Neighbour A"), so the recipient can still follow
  who did what without learning who they are. A mention is the full name, an alias, the
  first name alone or the surname alone, with or without a title ("Mrs Smith"), in any
  letter case, with a straight or curly apostrophe ("O'Brien", "O’Brien"), with or
  without accents ("Zoe" for "Zoë"). It must be a whole word: protecting "Anne" does not
  touch "Annex" or "Joanne". Possessives keep working ("Smith’s" → "Neighbour A’s").
  A surname also stands for the family in the plural: "the Smiths", "the Joneses",
  "the Smiths’ car" become "the Neighbour A family", "the Neighbour A family’s car".
* **Addresses and handles** (an e-mail address, a web address, an "@name") that contain a
  protected name are replaced whole by "[redacted]": "margaret.t@mail.com" must not
  become "Neighbour A.t@mail.com", which still leaks the rest of the address.
* **Manual redactions** the practitioner marks: character ranges of one field (what they
  selected in the preview), or literal strings redacted wherever they appear (an
  address, a phone number). Both become "[redacted]".

When a name part belongs to more than one protected person (two parents called Smith),
or to a person who is *not* protected and is named in the packet, a bare "Smith" cannot
be attributed, so it becomes "[name redacted]" rather than the wrong role.

Why the text is "folded" before matching: case-insensitive matching alone misses
"O’Brien" against "O'Brien", "Zoë" written with a combining accent, or "STRAUSS" for
"Strauß". Matching runs on a folded copy (case-folded, compatibility-decomposed, accents
and other combining marks dropped, apostrophe and hyphen variants unified) and every
match is mapped back to the original characters, so text that is not redacted comes out
exactly as it went in.

Guarantees, tested with Hypothesis (tests/unit/test_redaction.py): no whole-word mention
of a protected name, nor a protected surname in the plural, survives, whatever the
surrounding text; no address or handle containing a protected name survives; redacting
twice changes nothing more; text with no mention is returned unchanged.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Any

from desktop_app.domain.share_packet import (
    CaseField,
    CaseSummary,
    DecisionSummary,
    NoteEntry,
    PersonEntry,
    SharePacket,
)
from desktop_app.errors import ValidationError

REDACTED = "[redacted]"
AMBIGUOUS = "[name redacted]"
# A title directly before a protected name is removed with it: "Dr Smith" says more than
# "Smith" about who the person is.
TITLES = ("mr", "mrs", "ms", "miss", "mx", "dr", "prof", "sir", "dame", "lady", "lord", "rev", "master")
# Joining words inside a name ("Ludwig van Beethoven"): protected as part of the full
# name, but never on their own (redacting every "van" would wreck the text).
PARTICLES = frozenset(
    {"de", "da", "di", "del", "della", "der", "den", "van", "von", "la", "le", "du", "des", "st", "bin", "binti"}
    | {"ibn", "al", "el", "ap", "ab", "y", "e", "of", "and"}
)
MAX_PASSES = 8
# A surname in the plural names the family ("the Smiths"); the label gets this word.
FAMILY = "family"
# Name endings that are not the surname ("John Smith Jr"): the surname is the word before.
SUFFIXES = frozenset({"jr", "jnr", "sr", "snr", "ii", "iii", "iv"})
# Plural endings of a surname, "Smiths", "Joneses" (names keep their y: "Kennedys"), then
# the apostrophe of a plural possessive ("the Smiths’ car"), which goes with the name.
PLURAL_ENDING = r"(?:es|s)(?![^\W_])(?:'(?![^\W_]))?"
# A word holding an e-mail address, a web address or a handle. Words are found first and
# then checked (one pass each: a megabyte of text without a space must not take minutes).
# Checked on folded text, so "www." and domains are lower case by then.
_WORD = re.compile(r"\S+")
_AFTER_THE = re.compile(r"(?<![^\W_])the\s+$")
_WEB_PATH = re.compile(r"[^\W_]\.[a-z]{2,}/")
_CONTACT_EDGES = "()[]{}<>\"'.,;:!?"
# Protected names shorter than this must be a whole part of an address, digits aside
# ("li" in "li.wu@…" or "li88@…", not in "police.uk"), or from three letters stand at
# either end of a part ("amy123@", "leeamy@"); longer ones count anywhere ("mthistlewood@…").
CONTACT_SUBSTRING_MIN = 4

_PUNCT_FOLD = {
    "\u2019": "'",  # right single quotation mark (the curly apostrophe)
    "\u2018": "'",
    "\u02bc": "'",  # modifier letter apostrophe
    "\u2032": "'",  # prime
    "`": "'",
    "\u00b4": "'",
    "\u2010": "-",  # hyphen
    "\u2011": "-",  # non-breaking hyphen
    "\u2012": "-",
    "\u2013": "-",  # en dash (often typed for a hyphen in double-barrelled names)
    "\u2212": "-",
    "\u00ad": "",  # soft hyphen: invisible, must not split a name
    "\u200b": "",  # zero-width space
    "\u200c": "",
    "\u200d": "",
    "\u2060": "",
    "\ufeff": "",
}


@lru_cache(maxsize=8192)
def _fold_char(ch: str) -> str:
    if ch in _PUNCT_FOLD:
        return _PUNCT_FOLD[ch]
    out = []
    for part in unicodedata.normalize("NFKD", ch.casefold()):
        if unicodedata.category(part).startswith("M"):
            continue
        out.append(_PUNCT_FOLD.get(part, part))
    return "".join(out).casefold()


def fold(text: str) -> str:
    """The matching form of ``text`` (see the module docstring)."""
    return "".join(_fold_char(ch) for ch in text)


def _fold_with_map(text: str) -> tuple[str, list[int]]:
    """Folded text, and for each folded character the index of the original one."""
    pieces: list[str] = []
    origin: list[int] = []
    for index, ch in enumerate(text):
        folded = _fold_char(ch)
        pieces.append(folded)
        origin.extend([index] * len(folded))
    return "".join(pieces), origin


def _collapse(folded: str) -> str:
    return " ".join(folded.split())


def _is_word_char(ch: str) -> bool:
    return ch.isalnum()


@dataclass(frozen=True)
class ProtectedPerson:
    """Someone whose identity must not leave the vault: their name, other names they are
    known by, and the role that replaces them ("Neighbour", "Parent", "Colleague")."""

    name: str
    role: str
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class RedactionSpan:
    """One replacement in original-text coordinates (for highlighting in the preview)."""

    start: int
    end: int
    replacement: str


def _name_tokens(name: str) -> list[str]:
    tokens = [t.strip('.,;:()[]{}"') for t in fold(name).split()]
    return [t for t in tokens if t]


def _parts(name: str) -> set[str]:
    """Folded words of a name that identify the person on their own (first name,
    surname, each half of a double-barrelled name)."""
    tokens = _name_tokens(name)
    if len(tokens) > 1 and tokens[0].rstrip(".") in TITLES:
        tokens = tokens[1:]
    parts: set[str] = set()
    for position, token in enumerate(tokens):
        candidates = [token] + ([p for p in token.split("-") if p] if "-" in token else [])
        for candidate in candidates:
            letters = sum(1 for c in candidate if c.isalpha())
            if letters < 2:
                continue  # an initial: redacting every "A" would destroy the text
            if position > 0 and len(tokens) > 1 and candidate in PARTICLES:
                continue
            parts.add(candidate)
    return parts


def _surname_parts(name: str) -> set[str]:
    """Folded parts of the surname, which also stand for the family in the plural.

    The surname is the last word of a name of two or more words (after a title, before a
    "Jr"), or the only word after a title ("Mrs Thistlewood"). A name of one bare word is
    taken as a first name: pluralising it would redact "marks" for a protected "Mark"."""
    tokens = _name_tokens(name)
    titled = len(tokens) > 1 and tokens[0].rstrip(".") in TITLES
    if titled:
        tokens = tokens[1:]
    while len(tokens) > 1 and tokens[-1].rstrip(".") in SUFFIXES:
        tokens = tokens[:-1]
    if not tokens or (len(tokens) == 1 and not titled):
        return set()
    last = tokens[-1]
    candidates = {last} | ({p for p in last.split("-") if p} if "-" in last else set())
    return candidates & _parts(name)


def _squash(folded: str) -> str:
    """Only the letters and digits: how a name is compared with an address."""
    return "".join(re.findall(r"[^\W_]+", folded))


def _pattern_for(term: str, *, ends_word: bool = True) -> str:
    """``term`` as whole words (any run of spaces between them). ``ends_word=False``
    leaves the end open, for a plural ending to follow."""
    body = r"\s+".join(re.escape(word) for word in term.split(" "))
    before = r"(?<![^\W_])" if _is_word_char(term[0]) else ""
    after = r"(?![^\W_])" if ends_word and _is_word_char(term[-1]) else ""
    return before + body + after


class RedactionPlan:
    """Who is protected and how each is replaced. Build it once per packet with
    ``build_plan``; it is immutable and safe to share between threads."""

    def __init__(
        self,
        labels: tuple[tuple[ProtectedPerson, str], ...],
        replacements: dict[str, str],
        literals: frozenset[str],
        keeps: frozenset[str],
        plurals: dict[str, str] | None = None,
    ) -> None:
        self._labels = labels
        self._replacements = replacements  # folded term -> label (or AMBIGUOUS)
        self._literals = literals  # folded literal -> REDACTED
        self._keeps = keeps  # folded text matched and left as it is
        self._plurals = dict(plurals or {})  # folded surname -> "<label> family"
        # Names as they are compared with addresses: (letters and digits, anywhere in it?)
        self._contact_terms = tuple(
            sorted(
                {(_squash(t), len(_squash(t)) >= CONTACT_SUBSTRING_MIN) for t in replacements if _squash(t)},
                key=lambda item: (-len(item[0]), item[0]),
            )
        )
        self._entries = set(replacements) | set(literals) | set(keeps)
        self._pattern: re.Pattern[str] | None = None
        if self._entries:
            # One alternation, longest first, so "O'Brien-Murphys" is found as a plural
            # before "O'Brien" is found as a name; at equal length an exact word or phrase
            # comes before a plural (a protected "Smiths" is found as itself).
            alternatives = [(len(t), 0, t, _pattern_for(t)) for t in self._entries]
            alternatives += [
                (len(t) + 1, 1, t, _pattern_for(t, ends_word=False) + PLURAL_ENDING) for t in self._plurals
            ]
            body = "|".join(p for _, _, _, p in sorted(alternatives, key=lambda a: (-a[0], a[1], a[2])))
            titles = "|".join(TITLES)
            self._pattern = re.compile(rf"(?P<title>(?<![^\W_])(?:{titles})\.?\s+)?(?P<body>{body})")

    @property
    def labels(self) -> dict[str, str]:
        """Each protected person's name → their label, for the export dialog."""
        return {person.name: label for person, label in self._labels}

    def label_for(self, person: ProtectedPerson) -> str:
        for candidate, label in self._labels:
            if candidate == person:
                return label
        raise KeyError(person.name)

    @property
    def terms(self) -> frozenset[str]:
        """Folded words and phrases that are never left in the output (for checks)."""
        return frozenset(self._replacements)

    @property
    def plural_terms(self) -> frozenset[str]:
        """Folded surnames whose plural ("Smiths", "Joneses") is redacted too (for checks)."""
        return frozenset(self._plurals)

    @property
    def literals(self) -> frozenset[str]:
        return self._literals

    def _lookup(self, body: str) -> tuple[str, str | None]:
        key = _collapse(body)
        if key in self._replacements:
            return "term", self._replacements[key]
        if key in self._literals:
            return "literal", REDACTED
        if key in self._entries:
            return "keep", None
        return "plural", self._plural(key)

    def _plural(self, word: str) -> str:
        """The family label for a matched plural ("smiths", "joneses'")."""
        stem = word[:-1] if word.endswith("'") else word
        for surname in (stem[:-1], stem[:-2]):
            if surname in self._plurals:
                return self._plurals[surname]
        raise AssertionError(f"no surname for the plural {word!r}")  # pragma: no cover - the pattern made it

    def _names_in_contact(self, token: str) -> bool:
        """Whether a folded address or handle contains a protected name (see
        ``CONTACT_SUBSTRING_MIN``): "margaret.t@…", "mthistlewood@…", "@maggie_t". A short
        name counts as a whole part of the address, digits aside ("amy123@", "li88@"), or,
        from three letters, at either end of a part ("leeamy@", "samh@"): redacting
        someone else's address by mistake is the safe way to be wrong."""
        segments = re.findall(r"[^\W_]+", token)
        squashed = "".join(segments)
        bare = [segment.strip("0123456789") for segment in segments]
        for term, anywhere in self._contact_terms:
            if anywhere:
                if term in squashed:
                    return True
            elif term in bare or (
                len(term) >= 3 and any(part.startswith(term) or part.endswith(term) for part in bare)
            ):
                return True
        return False

    @staticmethod
    def _names_a_family(text: str, folded: str, origin: list[int], start_f: int) -> bool:
        """A plural surname reads as the family when typed with a capital ("Smiths' car")
        or after "the" ("the smiths"); otherwise it may be an ordinary word ("days")."""
        return text[origin[start_f]].isupper() or _AFTER_THE.search(folded, max(0, start_f - 12), start_f) is not None

    @staticmethod
    def _original_span(text: str, origin: list[int], start_f: int, end_f: int) -> tuple[int, int]:
        start = origin[start_f]
        end = origin[end_f - 1] + 1
        while end < len(text) and _fold_char(text[end]) == "":
            end += 1  # a combining accent after the last letter belongs to the name
        return start, end

    def _contact_spans(self, text: str, folded: str, origin: list[int]) -> list[tuple[int, int]]:
        """Addresses and handles naming a protected person, whole, in original coordinates."""
        found: list[tuple[int, int]] = []
        for match in _WORD.finditer(folded):
            word = match.group()
            if not ("@" in word or "://" in word or "www." in word or _WEB_PATH.search(word)):
                continue
            start_f, end_f = match.span()
            while start_f < end_f and folded[start_f] in _CONTACT_EDGES:
                start_f += 1
            while end_f > start_f and folded[end_f - 1] in _CONTACT_EDGES:
                end_f -= 1
            if start_f < end_f and self._names_in_contact(folded[start_f:end_f]):
                found.append(self._original_span(text, origin, start_f, end_f))
        return found

    def _matches(self, text: str) -> list[RedactionSpan]:
        """Replacements the patterns make in ``text``, in original coordinates, sorted
        and not overlapping."""
        if self._pattern is None or not text:
            return []
        folded, origin = _fold_with_map(text)
        spans: list[RedactionSpan] = []
        for match in self._pattern.finditer(folded):
            kind, replacement = self._lookup(match.group("body"))
            if replacement is None:
                continue
            if kind == "plural" and not self._names_a_family(text, folded, origin, match.start("body")):
                # "two days ago" with a protected "Day": still never left as typed, but not
                # called a family either.
                kind, replacement = "term", AMBIGUOUS
            elif kind == "plural" and folded[match.end() - 1] == "'":
                # "the Smiths’ car" -> "the Neighbour A family’s car", the apostrophe as typed
                replacement += text[origin[match.end() - 1]] + "s"
            start_f = match.start() if kind in ("term", "plural") else match.start("body")
            start, end = self._original_span(text, origin, start_f, match.end())
            spans.append(RedactionSpan(start, end, replacement))
        contacts = self._contact_spans(text, folded, origin) if self._contact_terms else []
        if not contacts:
            return spans
        # An address is replaced whole; a name match that overlaps it (a title before it)
        # is taken into the same "[redacted]".
        return _swallow(contacts, spans, touching=False)


def build_plan(
    protected: Sequence[ProtectedPerson],
    *,
    literals: Iterable[str] = (),
    not_protected: Iterable[str] = (),
) -> RedactionPlan:
    """Labels for the protected people and the patterns that find them.

    Labels are given per role in the order people are listed: the first neighbour is
    "Neighbour A", the second "Neighbour B". ``literals`` are strings redacted wherever
    they appear. ``not_protected`` are full names of people named openly in the packet
    (the child, usually): their full name is left alone, and a protected name part they
    share (a surname) becomes "[name redacted]" because it cannot be attributed.
    """
    labels: list[tuple[ProtectedPerson, str]] = []
    by_identity: dict[str, str] = {}
    counters: dict[str, int] = {}
    for person in protected:
        name = " ".join(person.name.split())
        role = " ".join(person.role.split())
        if not _parts(name) and not _collapse(fold(name)):
            raise ValidationError("A protected person needs a name.", field="name")
        if not role:
            raise ValidationError(f"Choose a role to show instead of {name!r} (for example Neighbour).", field="role")
        identity = _collapse(fold(name)) + "\x00" + fold(role)
        if identity in by_identity:
            labels.append((person, by_identity[identity]))
            continue
        index = counters.get(fold(role), 0)
        counters[fold(role)] = index + 1
        label = f"{role[:1].upper()}{role[1:]} {_letters(index)}"
        by_identity[identity] = label
        labels.append((person, label))

    owners: dict[str, set[str]] = {}
    for person, label in labels:
        full_names = [person.name, *person.aliases]
        terms: set[str] = set()
        for full in full_names:
            collapsed = _collapse(fold(full))
            if collapsed:
                terms.add(collapsed)
            terms |= _parts(full)
        for term in terms:
            owners.setdefault(term, set()).add(label)

    shared_with_open: set[str] = set()
    keeps: set[str] = set()
    for open_name in not_protected:
        collapsed = _collapse(fold(open_name))
        if not collapsed:
            continue
        if collapsed not in owners:
            keeps.add(collapsed)
        shared_with_open |= _parts(open_name) | {collapsed}

    replacements: dict[str, str] = {}
    for term, term_labels in owners.items():
        if len(term_labels) == 1 and term not in shared_with_open:
            replacements[term] = next(iter(term_labels))
        else:
            replacements[term] = AMBIGUOUS

    folded_literals: set[str] = set()
    for literal in literals:
        collapsed = _collapse(fold(literal))
        if collapsed and collapsed not in replacements:
            folded_literals.add(collapsed)

    # Labels and markers are kept as they are when text is redacted again, so a second
    # pass changes nothing. That only works if no label contains a protected word.
    markers = {_collapse(fold(label)) for _, label in labels} | {fold(REDACTED), fold(AMBIGUOUS)}
    # Whole one-word terms, and the longer words of multi-word names: a label may hold the
    # letter "A" when someone's full name is "A Smith", since "Smith" is redacted anyway.
    term_words = {term for term in replacements if " " not in term} | {
        word for term in replacements for word in term.split(" ") if len(word) > 1
    }
    surnames = {
        surname for person, _ in labels for full in (person.name, *person.aliases) for surname in _surname_parts(full)
    }
    # ...nor a protected surname in the plural: a role "Smiths" would name the Smiths.
    plural_words = {surname + ending for surname in surnames for ending in ("s", "es")}
    for marker in markers:
        clash = sorted(set(re.findall(r"[^\W_]+|\S", marker)) & (term_words | plural_words))
        if clash:
            raise ValidationError(
                f"The label {marker!r} would contain {clash[0]!r}, which is part of a protected name.",
                field="role",
                advice="Choose a different role wording for this person.",
            )
    keeps |= markers

    # The family, for surnames: "the Smiths" -> "the Neighbour A family". If "family" is
    # itself part of a protected name, the label alone (it must not bring a name back).
    family = f" {FAMILY}" if FAMILY not in term_words else ""
    plurals = {surname: replacements[surname] + family for surname in surnames}
    return RedactionPlan(
        tuple(labels),
        replacements,
        frozenset(folded_literals),
        frozenset(keeps - set(replacements)),
        plurals,
    )


def _letters(index: int) -> str:
    """0 → A, 25 → Z, 26 → AA: enough labels for any number of people with one role."""
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(ord("A") + rem) + letters
    return letters


def _merge_manual(text: str, spans: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    ranges = []
    for start, end in spans:
        if not (0 <= start <= end <= len(text)):
            raise ValidationError(
                f"A marked passage ({start}–{end}) is outside the text, which has {len(text)} characters.",
                advice="The text may have changed since it was marked; mark the passage again.",
            )
        if start < end:
            ranges.append((start, end))
    ranges.sort()
    merged: list[tuple[int, int]] = []
    for start, end in ranges:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def plan_spans(text: str, plan: RedactionPlan, spans: Iterable[tuple[int, int]] = ()) -> list[RedactionSpan]:
    """Every replacement ``redact_text`` makes in its first pass, in original coordinates,
    sorted and non-overlapping. A name partly inside a marked passage is swallowed by it:
    half a name is still a name."""
    return _swallow(_merge_manual(text, spans), plan._matches(text), touching=True)


def _swallow(
    covering: Sequence[tuple[int, int]], found: Sequence[RedactionSpan], *, touching: bool
) -> list[RedactionSpan]:
    """Each covering range (a marked passage, an address) becomes one "[redacted]" that
    takes in every found span it overlaps, and every other covering range it overlaps (or
    touches, with ``touching``), repeatedly; found spans clear of them stay as they are.

    ``found`` spans never overlap one another. One sort and one sweep, so a note naming
    someone ten thousand times takes no longer than ten thousand times one mention.
    Returns the spans sorted and not overlapping."""
    items = sorted(
        [(start, end, None) for start, end in covering] + [(span.start, span.end, span) for span in found],
        key=lambda item: (item[0], item[2] is not None),
    )
    out: list[RedactionSpan] = []
    group: list[Any] | None = None  # [start, end, covered, the only found span]
    for start, end, span in items:
        covers = span is None
        if group is not None and (start < group[1] or (touching and covers and group[2] and start == group[1])):
            group[1] = max(group[1], end)
            group[2] = group[2] or covers
            continue
        if group is not None:
            out.append(RedactionSpan(group[0], group[1], REDACTED) if group[2] else group[3])
        group = [start, end, covers, span]
    if group is not None:
        out.append(RedactionSpan(group[0], group[1], REDACTED) if group[2] else group[3])
    return out


def _apply(text: str, spans: Sequence[RedactionSpan]) -> str:
    out: list[str] = []
    previous = ""  # the last character written so far
    position = 0
    for span in spans:
        before = text[position : span.start]
        if before:
            out.append(before)
            previous = before[-1]
        replacement = span.replacement
        following = text[span.end : span.end + 1]
        # A label must stay a separate word: glued to a neighbouring letter it could no
        # longer be recognised (and left alone) when the text is redacted again.
        if previous and _is_word_char(previous) and _is_word_char(replacement[0]):
            replacement = " " + replacement
        if following and _is_word_char(following) and _is_word_char(replacement[-1]):
            replacement = replacement + " "
        out.append(replacement)
        previous = replacement[-1]
        position = span.end
    out.append(text[position:])
    return "".join(out)


def redact_text(text: str, plan: RedactionPlan, spans: Iterable[tuple[int, int]] = ()) -> str:
    """``text`` with protected names replaced by labels, literals and the marked
    ``spans`` (character ranges of ``text``) by "[redacted]".

    Replacing can expose a new whole word (a marked passage that ended inside
    "Annex" leaves "Anne" standing alone), so the name patterns run again until nothing
    changes; a few passes at most.
    """
    result = _apply(text, plan_spans(text, plan, spans))
    for _ in range(MAX_PASSES):
        again = _apply(result, plan._matches(result))
        if again == result:
            return result
        result = again
    raise RuntimeError("redaction did not settle; this is a bug")  # pragma: no cover


# -- packets ---------------------------------------------------------------------------


def note_target(note_id: str, part: str = "text") -> str:
    """The key for marked passages in a note's ``text`` (or ``source``, ``author``)."""
    return f"note/{note_id}/{part}"


def case_field_target(label: str) -> str:
    return f"case/field/{label}"


DECISION_PURPOSE_TARGET = "decision/purpose"


def redact_packet(
    packet: SharePacket,
    plan: RedactionPlan,
    marked: Mapping[str, Sequence[tuple[int, int]]] | None = None,
) -> SharePacket:
    """The packet with every free-text field about the case redacted: case fields, people,
    the decision's purpose and outcome, and each note's text, source and author (a
    colleague can be at risk too). Sender, recipient, ids, times and the lawful bases are
    facts about the sharing itself and are left alone.

    ``marked`` maps a target (``note_target(id)``, ``case_field_target(label)``,
    ``DECISION_PURPOSE_TARGET``) to character ranges the practitioner selected. A target
    that matches nothing is an error: silently ignoring a redaction would leak it.
    """
    marked = dict(marked or {})
    used: set[str] = set()

    def red(value: str, target: str | None = None) -> str:
        if target is not None and target in marked:
            used.add(target)
            return redact_text(value, plan, marked[target])
        return redact_text(value, plan)

    decision = packet.decision
    new_decision = DecisionSummary(
        decision_id=decision.decision_id,
        purpose=red(decision.purpose, DECISION_PURPOSE_TARGET),
        lawful_bases=decision.lawful_bases,
        article_9_condition=decision.article_9_condition,
        decided_by=red(decision.decided_by),
        decided_at=decision.decided_at,
        recommendation=red(decision.recommendation),
        final_decision=red(decision.final_decision),
    )
    case = CaseSummary(
        reference=packet.case.reference,
        fields=tuple(
            CaseField(label=f.label, value=red(f.value, case_field_target(f.label))) for f in packet.case.fields
        ),
    )
    people = tuple(PersonEntry(role=p.role, display_name=red(p.display_name)) for p in packet.people)
    notes = tuple(
        replace(
            n,
            text=red(n.text, note_target(n.note_id)),
            source=red(n.source, note_target(n.note_id, "source")),
            author=red(n.author, note_target(n.note_id, "author")),
            category=red(n.category),
        )
        for n in packet.notes
    )
    unknown = sorted(set(marked) - used)
    if unknown:
        raise ValidationError(
            f"A marked passage refers to something not in this packet ({unknown[0]}).",
            advice="Mark the passage again in the preview.",
        )
    return replace(packet, decision=new_decision, case=case, people=people, notes=notes)


__all__ = [
    "AMBIGUOUS",
    "DECISION_PURPOSE_TARGET",
    "REDACTED",
    "NoteEntry",
    "ProtectedPerson",
    "RedactionPlan",
    "RedactionSpan",
    "build_plan",
    "case_field_target",
    "fold",
    "note_target",
    "plan_spans",
    "redact_packet",
    "redact_text",
]
