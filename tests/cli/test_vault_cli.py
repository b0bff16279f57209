"""The vault command line, run as a person or a script would: ``python -m desktop_app``
in a subprocess, secrets on stdin, exit codes 0/1/2/3/4 as documented."""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from desktop_app import __version__, cli
from desktop_app.store import audit, keyslots, migrations
from desktop_app.store.vault import VaultFolder

from ..conftest import PASSPHRASE

ROOT = Path(__file__).resolve().parents[2]
NEW_PASSPHRASE = "purple elephant quietly dancing"
KEY_PATTERN = re.compile(r"\b(?:[0-9A-Z]{4}-){13}[0-9A-Z]{4}\b")


def casenotes(*args: str, stdin: str = "", timeout: float = 90) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    env.update(
        CASENOTES_KDF_PROFILE="fast",
        QT_QPA_PLATFORM="offscreen",
        CASENOTES_POLICY_FILE=os.devnull,
        PYTHONPATH=str(ROOT),
    )
    return subprocess.run(
        [sys.executable, "-m", "desktop_app", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=timeout,
    )


def assert_no_traceback(result: subprocess.CompletedProcess[str]) -> None:
    assert "Traceback" not in result.stderr and "Traceback" not in result.stdout, result.stderr


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    path = tmp_path_factory.mktemp("template") / "vault"
    created = VaultFolder.create(path, PASSPHRASE, owner_name="Casey Cli", organisation_name="Cli School")
    with created.vault.transaction() as conn:
        audit.append_event(conn, "test.row", actor="Casey Cli")
    created.vault.close()
    created.folder.release()
    return path, created.recovery_key


@pytest.fixture
def vault(template: tuple[Path, str], vault_dir: Path) -> Path:
    """A copy of a real, locked vault (not claimed by this process)."""
    shutil.copytree(template[0], vault_dir)
    return vault_dir


@pytest.fixture
def recovery(template: tuple[Path, str]) -> str:
    return template[1]


# -- init ---------------------------------------------------------------------------------
def test_init_creates_a_vault_and_prints_the_recovery_key_once(vault_dir: Path) -> None:
    result = casenotes(
        "init", "--vault", str(vault_dir), "--passphrase-stdin", "--owner", "Casey Cli", stdin=PASSPHRASE + "\n"
    )
    assert result.returncode == 0, result.stderr
    assert_no_traceback(result)
    keys = KEY_PATTERN.findall(result.stdout + result.stderr)
    assert len(keys) == 1, result.stdout
    assert "shown once" in result.stdout
    assert PASSPHRASE not in result.stdout + result.stderr

    key = keys[0]
    for path in vault_dir.rglob("*"):  # never stored
        if path.is_file():
            data = path.read_bytes()
            assert key.encode() not in data and key.replace("-", "").encode() not in data
    folder = VaultFolder.attach(vault_dir)
    try:
        vault = folder.unlock_with_recovery_key(key)
        assert vault.info.owner_name == "Casey Cli"
        vault.close()
        folder.unlock(PASSPHRASE).close()
    finally:
        folder.release()


@pytest.mark.parametrize("weak", ["password", "short", "aaaaaaaaaaaa", "1234567890"])
def test_init_refuses_a_weak_passphrase(vault_dir: Path, weak: str) -> None:
    result = casenotes("init", "--vault", str(vault_dir), "--passphrase-stdin", "--owner", "Casey", stdin=weak + "\n")
    assert result.returncode == 1
    assert "too weak" in result.stderr
    assert_no_traceback(result)
    assert not vault_dir.exists()


def test_init_refuses_a_non_empty_folder(vault_dir: Path) -> None:
    vault_dir.mkdir()
    (vault_dir / "holiday.txt").write_text("not a vault")
    result = casenotes("init", "--vault", str(vault_dir), "--passphrase-stdin", "--owner", "C", stdin=PASSPHRASE + "\n")
    assert result.returncode == 1
    assert "not empty" in result.stderr
    assert_no_traceback(result)
    assert [p.name for p in vault_dir.iterdir()] == ["holiday.txt"]


def test_init_refuses_an_existing_vault(vault: Path) -> None:
    before = (vault / "vault.db").read_bytes()
    result = casenotes("init", "--vault", str(vault), "--passphrase-stdin", "--owner", "C", stdin=PASSPHRASE + "\n")
    assert result.returncode == 1
    assert "already a vault" in result.stderr
    assert (vault / "vault.db").read_bytes() == before


def test_init_with_nothing_on_stdin_is_a_usage_error(vault_dir: Path) -> None:
    result = casenotes("init", "--vault", str(vault_dir), "--passphrase-stdin", stdin="")
    assert result.returncode == 1
    assert "standard input" in result.stderr
    assert not vault_dir.exists()


# -- check --------------------------------------------------------------------------------
def test_check_reports_json(vault: Path) -> None:
    result = casenotes("check", "--vault", str(vault), "--passphrase-stdin", "--json", stdin=PASSPHRASE + "\n")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["ok"] is True and report["problems"] == []
    assert report["integrity_check"] == ["ok"]
    assert report["cipher_integrity_check"] == ["ok"]
    assert report["audit_chain"]["ok"] is True and report["audit_chain"]["events"] >= 2
    assert report["schema_version"] == migrations.LATEST_VERSION
    assert report["key_slots"]["slots"] == ["passphrase", "recovery"]
    assert len(report["vault_id"]) == 32


def test_check_plain_text(vault: Path) -> None:
    result = casenotes("check", "--vault", str(vault), "--passphrase-stdin", stdin=PASSPHRASE + "\n")
    assert result.returncode == 0, result.stderr
    assert "All checks passed." in result.stdout


def test_check_wrong_passphrase_exits_2(vault: Path) -> None:
    result = casenotes("check", "--vault", str(vault), "--passphrase-stdin", stdin="not the passphrase\n")
    assert result.returncode == 2
    assert "does not open this vault" in result.stderr
    assert_no_traceback(result)


def test_check_damaged_exits_3(vault: Path) -> None:
    db = vault / "vault.db"
    data = bytearray(db.read_bytes())
    data[1500] ^= 0xFF
    db.write_bytes(bytes(data))
    result = casenotes("check", "--vault", str(vault), "--passphrase-stdin", stdin=PASSPHRASE + "\n")
    assert result.returncode == 3
    assert "damaged" in result.stderr and "passphrase was accepted" in result.stderr
    assert_no_traceback(result)


def test_check_damaged_key_slots_exits_3(vault: Path) -> None:
    (vault / keyslots.FILE_NAME).write_text("{ truncated")
    result = casenotes("check", "--vault", str(vault), "--passphrase-stdin", stdin=PASSPHRASE + "\n")
    assert result.returncode == 3
    assert "recovery key" in result.stderr


def test_check_in_use_exits_4(vault: Path) -> None:
    folder = VaultFolder.attach(vault)
    try:
        result = casenotes("check", "--vault", str(vault), "--passphrase-stdin", stdin=PASSPHRASE + "\n")
    finally:
        folder.release()
    assert result.returncode == 4
    assert "already open" in result.stderr
    assert_no_traceback(result)


def test_check_not_a_vault_exits_1(tmp_path: Path) -> None:
    result = casenotes("check", "--vault", str(tmp_path), "--passphrase-stdin", stdin=PASSPHRASE + "\n")
    assert result.returncode == 1
    assert "not a Safeguarding Case Notes vault" in result.stderr


# -- passwd -------------------------------------------------------------------------------
def test_passwd_changes_the_passphrase(vault: Path) -> None:
    result = casenotes("passwd", "--vault", str(vault), stdin=f"{PASSPHRASE}\n{NEW_PASSPHRASE}\n")
    assert result.returncode == 0, result.stderr
    assert "recovery key is unchanged" in result.stdout
    assert casenotes("check", "--vault", str(vault), "--passphrase-stdin", stdin=NEW_PASSPHRASE + "\n").returncode == 0
    assert casenotes("check", "--vault", str(vault), "--passphrase-stdin", stdin=PASSPHRASE + "\n").returncode == 2


def test_passwd_with_the_recovery_key(vault: Path, recovery: str) -> None:
    result = casenotes(
        "passwd", "--vault", str(vault), "--recovery-key-stdin", stdin=f"{recovery.lower()}\n{NEW_PASSPHRASE}\n"
    )
    assert result.returncode == 0, result.stderr
    folder = VaultFolder.attach(vault)
    try:
        folder.unlock(NEW_PASSPHRASE).close()
        folder.unlock_with_recovery_key(recovery).close()
    finally:
        folder.release()


def test_passwd_wrong_old_passphrase_exits_2_and_changes_nothing(vault: Path) -> None:
    before = (vault / keyslots.FILE_NAME).read_bytes()
    result = casenotes("passwd", "--vault", str(vault), stdin=f"wrong old passphrase\n{NEW_PASSPHRASE}\n")
    assert result.returncode == 2
    assert (vault / keyslots.FILE_NAME).read_bytes() == before


def test_passwd_mistyped_recovery_key_exits_2(vault: Path, recovery: str) -> None:
    slip = recovery[:-1] + ("A" if recovery[-1] != "A" else "B")
    result = casenotes("passwd", "--vault", str(vault), "--recovery-key-stdin", stdin=f"{slip}\n{NEW_PASSPHRASE}\n")
    assert result.returncode == 2
    assert "mistyped" in result.stderr


def test_passwd_refuses_a_weak_new_passphrase(vault: Path) -> None:
    before = (vault / keyslots.FILE_NAME).read_bytes()
    result = casenotes("passwd", "--vault", str(vault), stdin=f"{PASSPHRASE}\npassword\n")
    assert result.returncode == 1
    assert "too weak" in result.stderr
    assert (vault / keyslots.FILE_NAME).read_bytes() == before


def test_passwd_with_only_one_line_is_a_usage_error(vault: Path) -> None:
    result = casenotes("passwd", "--vault", str(vault), stdin=f"{PASSPHRASE}\n")
    assert result.returncode == 1
    assert "standard input" in result.stderr


# -- secrets never in argv ------------------------------------------------------------------
def _all_parsers(parser: argparse.ArgumentParser) -> Iterator[argparse.ArgumentParser]:
    yield parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                yield from _all_parsers(sub)


def test_no_option_takes_a_secret_as_its_value() -> None:
    secret_words = ("passphrase", "password", "secret", "recovery", "key")
    for parser in _all_parsers(cli.build_parser()):
        for action in parser._actions:
            for option in action.option_strings:
                # An option naming a *file* that holds a secret (``--export-passphrase-file``)
                # takes a path, never the secret itself.
                if any(word in option for word in secret_words) and not option.endswith("-file"):
                    assert action.nargs == 0, f"{parser.prog} {option} takes a value on the command line"


@pytest.mark.parametrize("option", ["--passphrase", "--password", "-p"])
def test_a_passphrase_on_the_command_line_is_refused(vault_dir: Path, option: str) -> None:
    result = casenotes("init", "--vault", str(vault_dir), option, PASSPHRASE, stdin="")
    assert result.returncode == 1
    assert not vault_dir.exists()


# -- the rest ------------------------------------------------------------------------------
def test_version() -> None:
    result = casenotes("--version")
    assert result.returncode == 0
    assert result.stdout.strip() == f"casenotes {__version__}"


def test_self_test() -> None:
    result = casenotes("self-test", timeout=120)
    assert result.returncode == 0, result.stderr
    assert "self-test passed" in result.stdout
    assert "case and note written, locked, unlocked, read back and found by search" in result.stdout
    assert "no plaintext in any vault file" in result.stdout
    assert_no_traceback(result)


@pytest.mark.parametrize(
    "argv",
    [
        pytest.param(["no-such-command"], id="unknown command"),
        pytest.param(["check", "--passphrase-stdin"], id="missing --vault"),
        pytest.param(["check", "--vault", "/tmp/x"], id="missing --passphrase-stdin"),
        pytest.param(["check", "--vault", "/tmp/x", "--passphrase-stdin", "--bogus"], id="unknown option"),
        pytest.param(["init", "--vault", "/tmp/x", "--passphrase-stdin", "--sector", "army"], id="bad choice"),
    ],
)
def test_usage_errors_exit_1_not_2(argv: list[str]) -> None:
    result = casenotes(*argv)
    assert result.returncode == 1, result.stderr
    assert "usage:" in result.stderr
    assert_no_traceback(result)
