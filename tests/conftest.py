"""Test setup shared by the whole suite.

Qt runs offscreen, and new vaults use the "fast" KDF profile: Argon2id still at 64 MiB
and p=4 (the minimum the vault accepts on read), but one pass instead of the ~0.75 s
calibration, so hundreds of vaults can be created in a test run.
"""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ["CASENOTES_KDF_PROFILE"] = "fast"
# Never read the real machine's organisation policy in tests.
os.environ.setdefault("CASENOTES_POLICY_FILE", os.devnull)
