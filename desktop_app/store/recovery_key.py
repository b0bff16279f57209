"""The printed recovery key: 256 random bits in readable groups, with a checksum.

Format: 32 secret bytes + the first 3 bytes of their SHA-256, written in Crockford's
base32 (no I, L, O or U) as 56 characters in 14 groups of four. Reading is forgiving
(case, spaces and dashes do not matter; O reads as 0, I and L as 1) and a slip of the
pen is reported as *mistyped*, not as a wrong key, because the checksum tells us so.
"""

from __future__ import annotations

import hashlib
import os
import re

from desktop_app.errors import MistypedRecoveryKey

_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_DECODE = {ch: i for i, ch in enumerate(_ALPHABET)}
_DECODE.update({"O": 0, "I": 1, "L": 1})
SECRET_BYTES = 32
CHECK_BYTES = 3
CHARS = (SECRET_BYTES + CHECK_BYTES) * 8 // 5  # 56
GROUP = 4


def new_secret() -> bytes:
    return os.urandom(SECRET_BYTES)


def _checksum(secret: bytes) -> bytes:
    return hashlib.sha256(b"casenotes-recovery-key" + secret).digest()[:CHECK_BYTES]


def format_key(secret: bytes) -> str:
    """Render as ``ABCD-EFGH-…`` (14 groups)."""
    if len(secret) != SECRET_BYTES:
        raise ValueError("a recovery secret is 32 bytes")
    number = int.from_bytes(secret + _checksum(secret), "big")
    chars = []
    for _ in range(CHARS):
        chars.append(_ALPHABET[number & 31])
        number >>= 5
    text = "".join(reversed(chars))
    return "-".join(text[i : i + GROUP] for i in range(0, CHARS, GROUP))


def parse_key(text: str) -> bytes:
    """Return the 32-byte secret, or raise MistypedRecoveryKey saying what looks wrong."""
    cleaned = re.sub(r"[\s\-]", "", text).upper()
    bad = sorted({ch for ch in cleaned if ch not in _DECODE})
    if bad:
        raise MistypedRecoveryKey(
            "The recovery key contains characters that are never used in recovery keys: "
            + ", ".join(repr(ch) for ch in bad)
            + "."
        )
    if len(cleaned) != CHARS:
        raise MistypedRecoveryKey(
            f"The recovery key should have {CHARS} letters and digits (14 groups of four); this one has {len(cleaned)}."
        )
    number = 0
    for ch in cleaned:
        number = (number << 5) | _DECODE[ch]
    raw = number.to_bytes(SECRET_BYTES + CHECK_BYTES, "big")
    secret, check = raw[:SECRET_BYTES], raw[SECRET_BYTES:]
    if _checksum(secret) != check:
        raise MistypedRecoveryKey("The recovery key does not add up: at least one character is mistyped.")
    return secret
