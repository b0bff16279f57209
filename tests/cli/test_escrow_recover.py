"""Organisation escrow, end to end through the command line: policy supplies an age
public key and its pinned fingerprint; `casenotes init` then writes an escrow slot; the
information-governance lead opens the vault with `casenotes recover` and the escrow
identity, and sets a new passphrase. A mismatched fingerprint writes no escrow slot."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pyrage
import pytest

from desktop_app.domain.policy import escrow_fingerprint
from desktop_app.store import keyslots

OLD = "orchard lantern bicycle meadow"
NEW = "harbour violet compass thunder"


def run(args: list[str], stdin: str, policy: Path | None, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    env.update(
        CASENOTES_KDF_PROFILE="fast",
        QT_QPA_PLATFORM="offscreen",
        CASENOTES_POLICY_FILE=str(policy) if policy else os.devnull,
    )
    return subprocess.run(
        [sys.executable, "-m", "desktop_app", *args], input=stdin, capture_output=True, text=True, env=env, cwd=cwd, timeout=60
    )


@pytest.fixture
def org_key(tmp_path: Path) -> tuple[pyrage.x25519.Identity, Path]:
    identity = pyrage.x25519.Identity.generate()
    identity_file = tmp_path / "escrow-identity.txt"
    identity_file.write_text(f"# organisation escrow key (test)\n{identity}\n")
    return identity, identity_file


def write_policy(tmp_path: Path, recipient: str, fingerprint: str) -> Path:
    path = tmp_path / "policy.json"
    path.write_text(json.dumps({"schema_version": 1, "escrow_public_key": recipient, "escrow_fingerprint": fingerprint}))
    os.chmod(path, 0o644)
    return path


def test_escrow_round_trip(tmp_path: Path, org_key: tuple[pyrage.x25519.Identity, Path]) -> None:
    identity, identity_file = org_key
    recipient = str(identity.to_public())
    policy = write_policy(tmp_path, recipient, escrow_fingerprint(recipient))
    vault = tmp_path / "vault"

    created = run(["init", "--vault", str(vault), "--passphrase-stdin", "--owner", "Leaver"], OLD + "\n", policy, tmp_path)
    assert created.returncode == 0, created.stderr
    assert "escrow key" in created.stdout and escrow_fingerprint(recipient) in created.stdout
    slots = keyslots.read(vault)
    escrow = slots.slot("escrow")
    assert escrow is not None and escrow["fingerprint"] == escrow_fingerprint(recipient)
    assert "data_key" not in json.dumps(escrow)  # the key is encrypted, never in the clear

    recovered = run(["recover", "--vault", str(vault), "--escrow-identity", str(identity_file)], NEW + "\n", None, tmp_path)
    assert recovered.returncode == 0, recovered.stderr
    assert "new passphrase" in recovered.stdout

    assert run(["check", "--vault", str(vault), "--passphrase-stdin"], OLD + "\n", None, tmp_path).returncode == 2
    check = run(["check", "--vault", str(vault), "--passphrase-stdin", "--json"], NEW + "\n", None, tmp_path)
    assert check.returncode == 0, check.stderr
    assert json.loads(check.stdout)["audit_chain"]["ok"] is True


def test_mismatched_fingerprint_writes_no_escrow_slot(tmp_path: Path, org_key: tuple[pyrage.x25519.Identity, Path]) -> None:
    identity, _ = org_key
    recipient = str(identity.to_public())
    wrong_pin = escrow_fingerprint(str(pyrage.x25519.Identity.generate().to_public()))
    policy = write_policy(tmp_path, recipient, wrong_pin)
    vault = tmp_path / "vault"

    created = run(["init", "--vault", str(vault), "--passphrase-stdin", "--owner", "Someone"], OLD + "\n", policy, tmp_path)
    assert created.returncode == 0, created.stderr
    assert "escrow" not in created.stdout
    assert keyslots.read(vault).slot("escrow") is None


def test_recover_with_the_wrong_identity_is_refused(tmp_path: Path, org_key: tuple[pyrage.x25519.Identity, Path]) -> None:
    identity, _ = org_key
    recipient = str(identity.to_public())
    policy = write_policy(tmp_path, recipient, escrow_fingerprint(recipient))
    vault = tmp_path / "vault"
    assert run(["init", "--vault", str(vault), "--passphrase-stdin"], OLD + "\n", policy, tmp_path).returncode == 0

    stranger = tmp_path / "stranger.txt"
    stranger.write_text(f"{pyrage.x25519.Identity.generate()}\n")
    refused = run(["recover", "--vault", str(vault), "--escrow-identity", str(stranger)], NEW + "\n", None, tmp_path)
    assert refused.returncode == 2
    assert "does not open this vault" in refused.stderr
    assert run(["check", "--vault", str(vault), "--passphrase-stdin"], OLD + "\n", None, tmp_path).returncode == 0

    not_a_key = tmp_path / "not-a-key.txt"
    not_a_key.write_text("hello\n")
    bad = run(["recover", "--vault", str(vault), "--escrow-identity", str(not_a_key)], NEW + "\n", None, tmp_path)
    assert bad.returncode == 1 and "no age secret key" in bad.stderr


def test_recover_on_a_vault_without_escrow_says_so(tmp_path: Path, org_key: tuple[pyrage.x25519.Identity, Path]) -> None:
    _, identity_file = org_key
    vault = tmp_path / "vault"
    assert run(["init", "--vault", str(vault), "--passphrase-stdin"], OLD + "\n", None, tmp_path).returncode == 0
    result = run(["recover", "--vault", str(vault), "--escrow-identity", str(identity_file)], NEW + "\n", None, tmp_path)
    assert result.returncode == 1
    assert "no organisation escrow slot" in result.stderr
