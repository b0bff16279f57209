"""Errors a person can act on.

Every failure that reaches a person carries a plain-English ``message`` (what happened)
and ``advice`` (what to do next), and an ``exit_code`` used by the command line:
0 success, 1 usage or other error, 2 wrong passphrase or recovery key, 3 vault damaged,
4 vault in use by another instance. The UI shows ``message`` and ``advice``; it never
shows a stack trace or a raw SQLite message.

Keeping "wrong passphrase" and "damaged" apart is deliberate: telling someone their
passphrase is wrong when the file is damaged sends them guessing, and telling them the
file is damaged when they mistyped frightens them into restoring a backup.
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_WRONG_SECRET = 2
EXIT_DAMAGED = 3
EXIT_IN_USE = 4


class CaseNotesError(Exception):
    """Base class: something a person can understand and act on."""

    exit_code = EXIT_ERROR
    default_advice = ""

    def __init__(self, message: str, advice: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.advice = self.default_advice if advice is None else advice

    def __str__(self) -> str:
        return f"{self.message} {self.advice}".strip()


class UsageError(CaseNotesError):
    """The request itself is wrong: a missing field, a bad value."""


class ValidationError(UsageError):
    """Input data failed validation; ``field`` names what to fix."""

    def __init__(self, message: str, field: str | None = None, advice: str | None = None):
        super().__init__(message, advice)
        self.field = field


class WrongPassphrase(CaseNotesError):
    exit_code = EXIT_WRONG_SECRET
    default_advice = (
        "Check Caps Lock and the keyboard layout, then try again. If you have forgotten "
        "it, choose 'Use recovery key' and type the recovery key you printed."
    )


class MistypedRecoveryKey(CaseNotesError):
    """The recovery key's checksum does not match: a typing slip, not a wrong key."""

    exit_code = EXIT_WRONG_SECRET
    default_advice = (
        "Compare each group with your printed copy. Letters O and I are read as 0 and 1, "
        "and spaces or dashes do not matter."
    )


class WrongRecoveryKey(CaseNotesError):
    """A well-formed recovery key that belongs to a different vault."""

    exit_code = EXIT_WRONG_SECRET
    default_advice = "This recovery key is for a different vault. Check you have the right printout."


class UnlockThrottled(CaseNotesError):
    """Too many wrong attempts in a row: wait a little. Never a permanent lock-out."""

    exit_code = EXIT_WRONG_SECRET

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        super().__init__(
            f"Several wrong attempts in a row. Please wait {int(seconds + 0.999)} seconds before trying again.",
            "Nothing has been changed or locked out; the wait only slows down guessing.",
        )


class KeySlotsDamaged(CaseNotesError):
    """The key-slot file is missing, truncated or tampered with."""

    exit_code = EXIT_DAMAGED
    default_advice = (
        "Your notes are not affected. Open the vault with your recovery key: it does not "
        "need the key-slot file, and a new one is written when you set a passphrase."
    )


class VaultDamaged(CaseNotesError):
    """SQLCipher could not authenticate or read the database: the file is damaged."""

    exit_code = EXIT_DAMAGED
    default_advice = (
        "Your passphrase was accepted; the database file itself is damaged. Do not delete "
        "anything. Restore your most recent backup into a new folder, or ask your IT or "
        "information governance lead for help."
    )


class NotAVault(CaseNotesError):
    default_advice = "Choose the folder that holds vault.db and keyslots.json, or create a new vault."


class VaultInUse(CaseNotesError):
    exit_code = EXIT_IN_USE
    default_advice = (
        "Switch to the window that already has it open. If that program has crashed, "
        "close it; the vault is released as soon as the program ends."
    )


class StorageFull(CaseNotesError):
    default_advice = "Nothing already saved has been lost. Free some space on this disk, then save again."


class StorageReadOnly(CaseNotesError):
    default_advice = (
        "The vault folder cannot be written to. Check the disk is not write-protected and "
        "that you own the folder, or ask IT."
    )
