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

from collections.abc import Iterator
from pathlib import Path

import pytest

PASSPHRASE = "correct horse battery staple"


@pytest.fixture
def vault_dir(tmp_path: Path) -> Path:
    return tmp_path / "vault"


@pytest.fixture
def created_vault(vault_dir: Path) -> Iterator[object]:
    """A fresh, real SQLCipher vault (fast KDF profile), unlocked. Yields CreatedVault."""
    from desktop_app.store.vault import VaultFolder

    created = VaultFolder.create(
        vault_dir, PASSPHRASE, owner_name="Alex Practitioner", organisation_name="Test School"
    )
    yield created
    created.vault.close()
    created.folder.release()


@pytest.fixture
def open_vault(created_vault: object) -> object:
    """Shortcut: the OpenVault of ``created_vault``."""
    return created_vault.vault  # type: ignore[attr-defined]
