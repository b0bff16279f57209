"""Passwords for share packets: long enough to resist guessing, easy to read out.

A password-protected PDF is opened by a recipient who is usually told the password on
the phone, so it must survive being read aloud: no letters that sound or look alike,
short groups, and a fixed shape the listener can check ("five groups of four"). The
alphabet is Crockford's base32 (no I, L, O or U), so 20 characters carry 100 random
bits: far beyond guessing, even offline against the PDF's AES-256 key derivation.
"""

from __future__ import annotations

import secrets

from desktop_app.errors import ValidationError

MIN_LENGTH = 12
ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
GROUPS = 5
GROUP_LENGTH = 4


class WeakSharePassword(ValidationError):
    """The password chosen for a packet is too short to protect it."""

    def __init__(self, message: str) -> None:
        super().__init__(
            message,
            field="password",
            advice=(
                f"Use at least {MIN_LENGTH} characters, or choose 'Suggest a password' for one "
                "that is easy to read out over the phone."
            ),
        )


def generate_password() -> str:
    """Like ``7K3Q-XH2M-9TDA-RW4P-C8NV``: five groups of four, read out with the dashes."""
    return "-".join("".join(secrets.choice(ALPHABET) for _ in range(GROUP_LENGTH)) for _ in range(GROUPS))


def check_password(password: str) -> None:
    """Refuse a password too short to protect a packet (raises WeakSharePassword).

    Only length is enforced: the practitioner may have agreed a passphrase with the
    recipient in advance, and any 12-character secret is far better than none. Spaces
    count as characters, but a password that is only spaces is refused.
    """
    if not password.strip():
        raise WeakSharePassword("Choose a password for the packet.")
    if len(password) < MIN_LENGTH:
        raise WeakSharePassword(f"That password has {len(password)} characters; a packet needs at least {MIN_LENGTH}.")
