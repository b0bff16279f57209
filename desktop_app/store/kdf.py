"""Passphrase key derivation: Argon2id from ``cryptography``, calibrated once per vault.

The passphrase KDF runs once per unlock to unwrap the data key; it is the only thing
standing between a stolen laptop and the notes, so it is deliberately slow and
memory-hard. The parameters are stored with the key slot and *bounded on read*: a
hostile or damaged key-slot file must not be able to demand 4 GiB of memory or an hour
of work before we even try the passphrase.
"""

from __future__ import annotations

import os
import sys
import time
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives.kdf.argon2 import Argon2id

from desktop_app.errors import KeySlotsDamaged

MIN_MEMORY_KIB = 64 * 1024  # 64 MiB: the floor from the security parameters
MAX_MEMORY_KIB = 1024 * 1024  # 1 GiB: refuse anything larger on read
MIN_ITERATIONS = 1
MAX_ITERATIONS = 64
MAX_WORK_KIB_PASSES = 2 * 1024 * 1024 * 8  # memory x passes: about 16 GiB-passes (~15 s here)
LANES = 4
SALT_BYTES = 16
KEY_BYTES = 32

TARGET_SECONDS = 0.75  # aim for the middle of the 0.5-1 s band
PROFILE_ENV = "CASENOTES_KDF_PROFILE"


@dataclass(frozen=True)
class KdfParams:
    """Argon2id parameters, stored next to the slot they protect."""

    memory_kib: int
    iterations: int
    lanes: int
    salt: bytes

    def to_json(self) -> dict[str, Any]:
        return {
            "name": "argon2id",
            "memory_kib": self.memory_kib,
            "iterations": self.iterations,
            "lanes": self.lanes,
            "salt": self.salt.hex(),
        }

    @classmethod
    def from_json(cls, data: Any) -> KdfParams:
        """Parse and bound stored parameters; anything odd is a damaged slot file."""
        if not isinstance(data, dict) or data.get("name") != "argon2id":
            raise KeySlotsDamaged("The key-slot file names an unknown key derivation method.")
        try:
            memory = data["memory_kib"]
            iterations = data["iterations"]
            lanes = data["lanes"]
            salt = bytes.fromhex(data["salt"])
        except (KeyError, TypeError, ValueError) as exc:
            raise KeySlotsDamaged("The key-slot file has incomplete key derivation settings.") from exc
        for value in (memory, iterations, lanes):
            if not isinstance(value, int) or isinstance(value, bool):
                raise KeySlotsDamaged("The key-slot file has malformed key derivation settings.")
        if not (MIN_MEMORY_KIB <= memory <= MAX_MEMORY_KIB):
            raise KeySlotsDamaged(
                f"The key-slot file asks for {memory // 1024} MiB of memory to unlock, outside "
                "the accepted range; it has been damaged or tampered with."
            )
        if not (MIN_ITERATIONS <= iterations <= MAX_ITERATIONS) or memory * iterations > MAX_WORK_KIB_PASSES:
            raise KeySlotsDamaged(
                "The key-slot file asks for an unreasonable amount of work to unlock; it has "
                "been damaged or tampered with."
            )
        if not (1 <= lanes <= 16) or len(salt) < SALT_BYTES:
            raise KeySlotsDamaged("The key-slot file has malformed key derivation settings.")
        return cls(memory_kib=memory, iterations=iterations, lanes=lanes, salt=salt)


def derive(passphrase: str, params: KdfParams) -> bytes:
    """Derive the 256-bit wrapping key. The passphrase is NFC-normalised so that the
    same characters typed on different keyboards or systems give the same key."""
    import unicodedata

    secret = unicodedata.normalize("NFC", passphrase).encode("utf-8")
    kdf = Argon2id(
        salt=params.salt,
        length=KEY_BYTES,
        iterations=params.iterations,
        lanes=params.lanes,
        memory_cost=params.memory_kib,
    )
    return kdf.derive(secret)


def calibrate(target_seconds: float = TARGET_SECONDS, memory_kib: int = MIN_MEMORY_KIB) -> KdfParams:
    """Choose the number of passes so one derivation takes about ``target_seconds`` here.

    The "fast" profile (``CASENOTES_KDF_PROFILE=fast``, used by the test suite) keeps the
    64 MiB / p=4 floor but uses a single pass; it is never chosen by the application, and
    a frozen (installed) build ignores it, so a stray environment variable on a managed
    desktop cannot weaken real vaults.
    """
    salt = os.urandom(SALT_BYTES)
    # Never produce parameters that KdfParams.from_json would refuse on read: that would
    # leave a passphrase slot nobody can open.
    memory_kib = max(MIN_MEMORY_KIB, min(MAX_MEMORY_KIB, memory_kib))
    if os.environ.get(PROFILE_ENV) == "fast" and not getattr(sys, "frozen", False):
        return KdfParams(memory_kib=MIN_MEMORY_KIB, iterations=1, lanes=LANES, salt=salt)
    # Two probes, and the cost of a pass is their difference: every derivation also pays a
    # fixed cost (allocating and touching the memory), which a single probe would count as
    # part of each pass, choosing about half the passes wanted (measured: 0.33 s, not 0.75 s).
    def timed(passes: int) -> float:
        start = time.perf_counter()
        derive("calibration", KdfParams(memory_kib=memory_kib, iterations=passes, lanes=LANES, salt=salt))
        return time.perf_counter() - start

    two, six = timed(2), timed(6)
    per_pass = (six - two) / 4
    if per_pass <= 0:  # timer noise on a very fast or very busy machine: be conservative
        per_pass = six / 6
    fixed = max(0.0, two - 2 * per_pass)
    per_pass = max(per_pass, 1e-4)
    iterations = max(2, min(MAX_ITERATIONS, round((target_seconds - fixed) / per_pass)))
    while memory_kib * iterations > MAX_WORK_KIB_PASSES:
        iterations -= 1
    return KdfParams(memory_kib=memory_kib, iterations=iterations, lanes=LANES, salt=salt)
