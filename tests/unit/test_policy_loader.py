"""Reading policy from the file system and (injected) registry, and ``casenotes policy``."""

from __future__ import annotations

import json
import os
import stat
import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pyrage
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from desktop_app.domain.policy import MAX_POLICY_BYTES, Policy, escrow_fingerprint
from desktop_app.services.policy_loader import (
    POLICY_FILE_ENV,
    load_policy,
    policy_file_path,
    policy_vault_dir,
    read_policy_file,
    read_windows_registry,
    system_policy_path,
)

RECIPIENT = str(pyrage.x25519.Identity.generate().to_public())
ESCROW = {"escrow_public_key": RECIPIENT, "escrow_fingerprint": escrow_fingerprint(RECIPIENT)}
NO_REGISTRY: dict[str, object] = {}


def write_policy(folder: Path, obj: Any, mode: int = 0o644) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "policy.json"
    path.write_text(json.dumps(obj), encoding="utf-8")
    path.chmod(mode)
    return path


@pytest.fixture
def policy_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "etc-casenotes"
    folder.mkdir(mode=0o755)
    folder.chmod(0o755)
    return folder


# ---------------------------------------------------------------------------------------
# Where the file is
# ---------------------------------------------------------------------------------------
def test_system_policy_paths() -> None:
    assert system_policy_path("linux", {}) == Path("/etc/casenotes/policy.json")
    assert system_policy_path("darwin", {}) == Path("/Library/Application Support/CaseNotes/policy.json")
    win = system_policy_path("win32", {"ProgramData": r"D:\ProgramData"})
    assert str(win).replace("\\", "/").endswith("D:/ProgramData/CaseNotes/policy.json")
    fallback = system_policy_path("win32", {})
    assert str(fallback).replace("\\", "/").endswith("C:/ProgramData/CaseNotes/policy.json")


def test_environment_variable_overrides_the_file(tmp_path: Path) -> None:
    override = tmp_path / "p.json"
    assert policy_file_path("linux", {POLICY_FILE_ENV: str(override)}) == override
    assert policy_file_path("linux", {POLICY_FILE_ENV: ""}) == Path("/etc/casenotes/policy.json")


def test_the_test_suite_reads_no_policy() -> None:
    assert os.environ[POLICY_FILE_ENV] == os.devnull
    policy = load_policy(registry_reader=lambda: NO_REGISTRY)
    assert policy.values() == Policy().values()
    assert not policy.problems and not policy.notices
    assert load_policy().values() == Policy().values()


def test_devnull_and_a_missing_file_mean_no_policy(tmp_path: Path) -> None:
    assert read_policy_file(Path(os.devnull)) is None
    assert read_policy_file(tmp_path / "absent.json") is None
    assert load_policy(policy_file=tmp_path / "absent.json").problems == ()


def test_empty_file_means_no_policy(policy_dir: Path) -> None:
    path = policy_dir / "policy.json"
    path.write_bytes(b"")
    policy = load_policy(policy_file=path)
    assert policy.values() == Policy().values() and not policy.problems


def test_a_good_file_is_applied(policy_dir: Path) -> None:
    path = write_policy(policy_dir, {"organisation_name": "Oak Tree", "idle_lock_minutes": 2, **ESCROW})
    policy = load_policy(policy_file=path)
    assert policy.organisation_name == "Oak Tree"
    assert policy.idle_lock_minutes == 2
    assert policy.escrow_enabled
    assert policy.origins["file"] == str(path)
    assert policy.problems == ()


def test_env_var_is_used_by_default(policy_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write_policy(policy_dir, {"follow_up_deadline_hours": 6})
    monkeypatch.setenv(POLICY_FILE_ENV, str(path))
    assert load_policy().follow_up_deadline_hours == 6


# ---------------------------------------------------------------------------------------
# Files that cannot be used
# ---------------------------------------------------------------------------------------
def test_a_folder_instead_of_a_file(policy_dir: Path) -> None:
    policy = load_policy(policy_file=policy_dir)
    expected = Policy().values() | {"clipboard_allow_copy": False, "lock_on_minimise": True}
    assert policy.values() == expected  # unusable policy: defaults, and the two that fail closed
    assert "is a folder" in policy.problems[0].message


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs a POSIX FIFO")
def test_a_fifo_is_refused_without_blocking(policy_dir: Path) -> None:
    fifo = policy_dir / "policy.json"
    os.mkfifo(fifo)
    policy = load_policy(policy_file=fifo)
    assert "not a regular file" in policy.problems[0].message


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root can read any file")
def test_an_unreadable_file_is_a_problem_not_a_crash(policy_dir: Path) -> None:
    path = write_policy(policy_dir, {"idle_lock_minutes": 2}, mode=0o000)
    policy = load_policy(policy_file=path)
    assert policy.idle_lock_minutes == 5
    assert "could not be read" in policy.problems[0].message


def test_a_huge_file_is_refused_after_reading_only_the_limit(policy_dir: Path) -> None:
    path = policy_dir / "policy.json"
    with path.open("wb") as handle:  # sparse: 4 GiB on paper, nothing on disk
        handle.truncate(4 * 1024**3)
    source = read_policy_file(path)
    assert source is not None and not source.values
    assert f"larger than {MAX_POLICY_BYTES // 1024} KiB" in source.problems[0].message


def test_a_file_just_under_the_limit_is_read(policy_dir: Path) -> None:
    path = policy_dir / "policy.json"
    body = b'{"idle_lock_minutes": 2}'
    path.write_bytes(body + b" " * (MAX_POLICY_BYTES - len(body)))
    assert load_policy(policy_file=path).idle_lock_minutes == 2


@pytest.mark.skipif(os.name != "posix", reason="POSIX permission bits")
def test_a_world_writable_file_is_applied_but_its_escrow_key_is_not_trusted(policy_dir: Path) -> None:
    path = write_policy(policy_dir, {"idle_lock_minutes": 2, **ESCROW}, mode=0o666)
    path.chmod(0o666)
    policy = load_policy(policy_file=path)
    assert policy.idle_lock_minutes == 2
    assert not policy.escrow_enabled
    text = " ".join(p.message for p in policy.problems)
    assert "can be changed by anyone" in text and "Escrow is turned off" in text


@pytest.mark.skipif(os.name != "posix", reason="POSIX permission bits")
def test_a_file_in_a_world_writable_folder_is_not_trusted_for_escrow(tmp_path: Path) -> None:
    folder = tmp_path / "open"
    folder.mkdir()
    folder.chmod(0o777)
    path = write_policy(folder, ESCROW)
    assert not load_policy(policy_file=path).escrow_enabled
    folder.chmod(0o777 | stat.S_ISVTX)  # sticky, like /tmp: others cannot replace the file
    assert load_policy(policy_file=path).escrow_enabled


@settings(max_examples=60, deadline=None)
@given(st.binary(max_size=512))
def test_load_policy_never_raises(data: bytes) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "policy.json"
        path.write_bytes(data)
        policy = load_policy(policy_file=path, registry_reader=lambda: {"idle_lock_minutes": data[:8]})
        assert 1 <= policy.idle_lock_minutes <= 60


# ---------------------------------------------------------------------------------------
# Registry (injected, so the mapping is exercised on Linux)
# ---------------------------------------------------------------------------------------
def test_injected_registry_wins_over_the_file(policy_dir: Path) -> None:
    path = write_policy(policy_dir, {"idle_lock_minutes": 10, "protective_marking": "OFFICIAL"})
    policy = load_policy(policy_file=path, registry_reader=lambda: {"idle_lock_minutes": 3, "lock_on_minimise": 1})
    assert policy.idle_lock_minutes == 3 and policy.lock_on_minimise is True
    assert policy.protective_marking == "OFFICIAL"
    assert policy.source_of("idle_lock_minutes") == "registry"
    assert policy.origins["registry"] == r"HKLM\Software\Policies\CaseNotes"
    assert [n.key for n in policy.notices] == ["idle_lock_minutes"]


class Boom(Exception):
    pass


@pytest.mark.parametrize("error", [PermissionError(5, "Access is denied"), OSError("odd"), Boom("driver bug")])
def test_a_registry_that_cannot_be_read_is_a_problem_not_a_crash(policy_dir: Path, error: Exception) -> None:
    path = write_policy(policy_dir, {"idle_lock_minutes": 2})

    def reader() -> Mapping[str, object]:
        raise error

    policy = load_policy(policy_file=path, registry_reader=reader)
    assert policy.idle_lock_minutes == 2
    assert "could not be read" in policy.problems[0].message


def test_registry_is_only_read_on_windows(monkeypatch: pytest.MonkeyPatch) -> None:
    from desktop_app.services import policy_loader

    calls: list[int] = []

    def spy() -> dict[str, object]:
        calls.append(1)
        return {}

    monkeypatch.setattr(policy_loader, "read_windows_registry", spy)
    load_policy(platform="linux")
    load_policy(platform="darwin")
    if sys.platform != "win32":
        load_policy(platform="win32")  # pretending is not enough: winreg exists only on Windows
        assert read_windows_registry() == {}
    assert calls == []


class FakeKey:
    def __init__(self, values: list[tuple[str, object, int]]) -> None:
        self.values = values

    def __enter__(self) -> FakeKey:
        return self

    def __exit__(self, *exc: object) -> None:
        return None


class FakeWinreg:
    """Just enough of ``winreg`` to exercise ``read_windows_registry`` on Linux."""

    HKEY_LOCAL_MACHINE = 0x80000002
    KEY_READ = 0x20019
    REG_SZ, REG_EXPAND_SZ, REG_BINARY, REG_DWORD, REG_DWORD_BIG_ENDIAN, REG_MULTI_SZ, REG_QWORD = 1, 2, 3, 4, 5, 7, 11

    def __init__(self, values: list[tuple[str, object, int]] | None) -> None:
        self.values = values
        self.opened: list[str] = []

    def OpenKey(self, root: int, subkey: str, reserved: int, access: int) -> FakeKey:  # noqa: N802 - winreg's name
        assert root == self.HKEY_LOCAL_MACHINE and access == self.KEY_READ
        self.opened.append(subkey)
        if self.values is None:
            raise FileNotFoundError(2, "The system cannot find the file specified")
        return FakeKey(self.values)

    def EnumValue(self, key: FakeKey, index: int) -> tuple[str, object, int]:  # noqa: N802 - winreg's name
        if index >= len(key.values):
            raise OSError(259, "No more data is available")
        return key.values[index]


def test_windows_registry_reader_maps_value_types(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = FakeWinreg(
        [
            ("idle_lock_minutes", 3, FakeWinreg.REG_DWORD),
            ("organisation_name", "Oak Tree", FakeWinreg.REG_SZ),
            ("vault_location", r"%LOCALAPPDATA%\CaseNotes", FakeWinreg.REG_EXPAND_SZ),
            ("allowed_export_formats", ["pdf", "age"], FakeWinreg.REG_MULTI_SZ),
            ("retention_years_after_closure", 25, FakeWinreg.REG_QWORD),
            ("clipboard_allow_copy", b"\x00", FakeWinreg.REG_BINARY),
        ]
    )
    monkeypatch.setitem(sys.modules, "winreg", fake)
    monkeypatch.setattr(sys, "platform", "win32")
    values = read_windows_registry()
    assert fake.opened == [r"Software\Policies\CaseNotes"]
    assert values == {
        "idle_lock_minutes": 3,
        "organisation_name": "Oak Tree",
        "vault_location": r"%LOCALAPPDATA%\CaseNotes",
        "allowed_export_formats": ["pdf", "age"],
        "retention_years_after_closure": 25,
        "clipboard_allow_copy": b"\x00",
    }
    policy = load_policy(policy_file=Path(os.devnull), platform="win32", environ={"LOCALAPPDATA": r"C:\L"})
    assert policy.idle_lock_minutes == 3 and policy.organisation_name == "Oak Tree"
    assert policy.vault_location == r"C:\L\CaseNotes"
    assert policy.clipboard_allow_copy is False  # binary data: a problem, and copying fails closed
    assert [p.key for p in policy.problems] == ["clipboard_allow_copy"]


def test_windows_registry_reader_without_the_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "winreg", FakeWinreg(None))
    monkeypatch.setattr(sys, "platform", "win32")
    assert read_windows_registry() == {}


def test_windows_vault_location_expansion(policy_dir: Path) -> None:
    path = write_policy(policy_dir, {"vault_location": r"%LOCALAPPDATA%\CaseNotes\vault"})
    env = {"LOCALAPPDATA": r"C:\Users\dsl\AppData\Local"}
    policy = load_policy(policy_file=path, platform="win32", environ=env, registry_reader=lambda: NO_REGISTRY)
    assert policy.vault_location == r"C:\Users\dsl\AppData\Local\CaseNotes\vault"
    assert policy_vault_dir(policy) == Path(r"C:\Users\dsl\AppData\Local\CaseNotes\vault")
    assert policy_vault_dir(Policy()) is None


def test_home_expansion(policy_dir: Path) -> None:
    path = write_policy(policy_dir, {"vault_location": "~/CaseNotes"})
    assert load_policy(policy_file=path, home="/home/alex").vault_location == "/home/alex/CaseNotes"


# ---------------------------------------------------------------------------------------
# casenotes policy show | check | fingerprint
# ---------------------------------------------------------------------------------------
def run_cli(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    from desktop_app.cli import main

    code = main(argv)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_policy_show_without_policy(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(["policy", "show"], capsys)
    assert code == 0
    assert "idle_lock_minutes" in out and "built-in default" in out and "No problems." in out


def test_policy_show_reports_sources_and_problems_but_exits_0(
    policy_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_policy(policy_dir, {"organisation_name": "Oak Tree", "idle_lock_minutes": 90})
    monkeypatch.setenv(POLICY_FILE_ENV, str(path))
    code, out, _ = run_cli(["policy", "show"], capsys)
    assert code == 0
    assert "Oak Tree" in out and "policy file" in out
    assert "Problems (1)" in out and "idle_lock_minutes" in out and "must be from 1 to 60" in out

    code, _, _ = run_cli(["policy", "show", "--strict"], capsys)
    assert code == 1

    code, out, _ = run_cli(["policy", "show", "--json"], capsys)
    report = json.loads(out)
    assert code == 0
    assert report["values"]["idle_lock_minutes"] == 5
    assert report["sources"]["organisation_name"] == "file"
    assert report["sources"]["follow_up_deadline_hours"] == "default"
    assert report["set_by_policy"] == ["idle_lock_minutes", "organisation_name"]
    assert report["problems"][0]["key"] == "idle_lock_minutes"
    assert report["escrow_enabled"] is False


def test_policy_show_strict_passes_a_clean_policy(
    policy_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv(POLICY_FILE_ENV, str(write_policy(policy_dir, ESCROW)))
    code, out, _ = run_cli(["policy", "show", "--strict"], capsys)
    assert code == 0
    assert "Escrow: on, pinned SHA256:" in out


def test_policy_check(policy_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good = write_policy(policy_dir / "good", {"idle_lock_minutes": 2})
    bad = write_policy(policy_dir / "bad", {"idle_lock_minutes": 0})
    assert run_cli(["policy", "check", str(good)], capsys)[0] == 0
    code, out, _ = run_cli(["policy", "check", str(bad)], capsys)
    assert code == 1 and "idle_lock_minutes" in out
    code, _, err = run_cli(["policy", "check", str(policy_dir / "none.json")], capsys)
    assert code == 1 and "There is no policy file" in err


def test_policy_fingerprint(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(["policy", "fingerprint", RECIPIENT], capsys)
    assert code == 0 and out.strip() == escrow_fingerprint(RECIPIENT)
    secret = str(pyrage.x25519.Identity.generate())
    code, out, err = run_cli(["policy", "fingerprint", secret], capsys)
    assert code == 1 and "PRIVATE key" in err and secret not in err + out


def test_policy_without_an_action_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert run_cli(["policy"], capsys)[0] == 1
    with pytest.raises(SystemExit) as exc:
        run_cli(["policy", "frobnicate"], capsys)
    assert exc.value.code == 1  # never 2: that exit code means "wrong passphrase"
