"""How strong is a passphrase? A plain estimate for the strength meter and the CLI.

This is advice, not a gate with clever rules: long passphrases of ordinary words are
the easiest to remember and the hardest to guess, so length counts most. The only hard
floor is 10 characters and not being one of the most common passwords; the meter
explains the rest in plain words.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

MIN_LENGTH = 10
LABELS = ("Very weak", "Weak", "Fair", "Strong", "Very strong")
_COMMON = {
    "password",
    "password1",
    "password123",
    "passw0rd",
    "qwerty",
    "qwertyuiop",
    "letmein",
    "welcome",
    "welcome1",
    "123456789",
    "1234567890",
    "iloveyou",
    "football",
    "safeguarding",
    "changeme",
    "monkey123",
    "sunshine",
    "princess",
    "dragon",
    "abc123456",
    "trustno1",
}


@dataclass(frozen=True)
class Assessment:
    score: int  # 0-4
    label: str
    advice: str
    acceptable: bool


def _estimated_bits(text: str) -> float:
    pool = 0
    if re.search(r"[a-z]", text):
        pool += 26
    if re.search(r"[A-Z]", text):
        pool += 26
    if re.search(r"\d", text):
        pool += 10
    if re.search(r"[^A-Za-z0-9]", text):
        pool += 20
    distinct = len(set(text))
    effective_length = min(len(text), distinct * 3)  # "aaaaaaaaaaaa" is not long
    bits = effective_length * math.log2(max(pool, 2))
    if re.search(r"(0123|1234|2345|3456|4567|5678|6789|abcd|qwer|asdf)", text.lower()):
        bits -= 10
    return max(bits, 0.0)


def assess(passphrase: str) -> Assessment:
    if not passphrase:
        return Assessment(0, LABELS[0], "Choose a passphrase: a few ordinary words you will remember.", False)
    if passphrase.lower() in _COMMON:
        return Assessment(0, LABELS[0], "This is one of the most common passwords. Choose something else.", False)
    bits = _estimated_bits(passphrase)
    score = 0 if bits < 28 else 1 if bits < 40 else 2 if bits < 60 else 3 if bits < 80 else 4
    if len(passphrase) < MIN_LENGTH:
        return Assessment(
            min(score, 1),
            LABELS[min(score, 1)],
            f"Use at least {MIN_LENGTH} characters. Four or five ordinary words with spaces work well.",
            False,
        )
    advice = {
        0: "Too easy to guess. Try four or five unrelated words.",
        1: "Could be guessed. Add another word or two.",
        2: "Acceptable. Another word would make it stronger.",
        3: "Good. Make sure you will remember it.",
        4: "Very good. Make sure you will remember it.",
    }[score]
    return Assessment(score, LABELS[score], advice, score >= 2)
