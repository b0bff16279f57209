"""Every way opening or writing a vault can fail has its own error, exit code and
plain-English message, and none of them loses or changes data."""

from __future__ import annotations

import errno
import hashlib
import io
import json
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from desktop_app import cli
from desktop_app.errors import (
    CaseNotesError,
    KeySlotsDamaged,
    MistypedRecoveryKey,
    NotAVault,
    StorageFull,
    StorageReadOnly,
    UnlockThrottled,
    VaultDamaged,
    VaultInUse,
    WrongPassphrase,
    WrongRecoveryKey,
)
from desktop_app.store import atomic, audit, keyslots, recovery_key, throttle
from desktop_app.store.vault import CreatedVault, VaultFolder

from ..conftest import PASSPHRASE

ROOT = Path(__file__).resolve().parents[2]
NEW_PASSPHRASE = "purple elephant quietly dancing"
QUICK = 0.5  # seconds: damage must be reported without running the KDF
IS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0

RAW_WORDING = re.compile(
    r"sqlite|traceback|exception|errno|pragma|\bNone\b|file is not a database|disk image|"
    r"KeyError|ValueError|OSError|TypeError|Errno|\.py\b|0x[0-9a-f]",
    re.IGNORECASE,
)


def assert_plain(exc: CaseNotesError, *, allow: str = "") -> None:
    """The message and advice read as plain English: no library words or stack traces."""
    text = f"{exc.message} {exc.advice}"
    if allow:
        text = text.replace(allow, "")
    assert exc.message.strip() and exc.message.rstrip().endswith("."), exc.message
    assert not RAW_WORDING.search(text), text
    assert "\n" not in exc.message
    sentences = [x.strip().lower() for x in re.split(r"[.!?]", text) if x.strip()]
    assert len(sentences) == len(set(sentences)), f"a sentence is repeated: {text}"
    assert text.lower().count("nothing already saved") <= 1, f"said twice: {text}"


def child_env() -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        CASENOTES_KDF_PROFILE="fast",
        QT_QPA_PLATFORM="offscreen",
        CASENOTES_POLICY_FILE=os.devnull,
        PYTHONPATH=str(ROOT),
    )
    return env


def digest_vault(folder: Path) -> dict[str, str]:
    """Content of everything that matters in a vault folder (not the lock or the counter)."""
    skip = {"vault.lock", throttle.FILE_NAME}
    return {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.iterdir())
        if p.is_file() and p.name not in skip
    }


@dataclass
class ClaimedVault:
    """A locked vault claimed by this process, and its recovery key."""

    folder: VaultFolder
    recovery_key: str


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """One real vault with a few rows, created once; each test works on its own copy
    (same keys), which saves a key derivation per test."""
    path = tmp_path_factory.mktemp("template") / "vault"
    created = VaultFolder.create(path, PASSPHRASE, owner_name="Robin Errortest")
    with created.vault.transaction() as conn:
        for i in range(5):
            audit.append_event(conn, "test.row", actor="Robin Errortest", subject_id=i)
    created.vault.close()
    created.folder.release()
    return path, created.recovery_key


@pytest.fixture
def closed_vault(template: tuple[Path, str], vault_dir: Path) -> Iterator[ClaimedVault]:
    source, key = template
    shutil.copytree(source, vault_dir)
    claimed = ClaimedVault(VaultFolder.attach(vault_dir), key)
    yield claimed
    claimed.folder.release()


def released(created: ClaimedVault | CreatedVault) -> Path:
    created.folder.release()
    return created.folder.path


def timed(fn: Callable[[], Any]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


# -- wrong secrets --------------------------------------------------------------------------
def test_wrong_passphrase(closed_vault: ClaimedVault) -> None:
    with pytest.raises(WrongPassphrase) as info:
        closed_vault.folder.unlock("not the right passphrase")
    assert info.value.exit_code == 2
    assert "Caps Lock" in info.value.advice and "recovery key" in info.value.advice
    assert_plain(info.value)


def test_mistyped_recovery_key(closed_vault: ClaimedVault) -> None:
    key = closed_vault.recovery_key
    slip = "A" if key[7] != "A" else "B"
    with pytest.raises(MistypedRecoveryKey) as info:
        closed_vault.folder.unlock_with_recovery_key(key[:7] + slip + key[8:])
    assert info.value.exit_code == 2
    assert "mistyped" in info.value.message
    assert_plain(info.value)


def test_recovery_key_of_another_vault(closed_vault: ClaimedVault) -> None:
    other = recovery_key.format_key(recovery_key.new_secret())
    with pytest.raises(WrongRecoveryKey) as info:
        closed_vault.folder.unlock_with_recovery_key(other)
    assert info.value.exit_code == 2
    assert "different vault" in info.value.advice
    assert_plain(info.value)


# -- key-slot file damage ---------------------------------------------------------------------
def test_missing_key_slot_file_and_the_way_back(closed_vault: ClaimedVault) -> None:
    folder = closed_vault.folder
    (folder.path / keyslots.FILE_NAME).unlink()
    seconds = 0.0
    with pytest.raises(KeySlotsDamaged) as info:
        start = time.perf_counter()
        try:
            folder.unlock(PASSPHRASE)
        finally:
            seconds = time.perf_counter() - start
    assert seconds < QUICK
    assert info.value.exit_code == 3
    assert "missing" in info.value.message
    assert "recovery key" in info.value.advice and "not affected" in info.value.advice
    assert_plain(info.value)

    # the way back: the recovery key alone opens the vault and writes a new slot file
    vault = folder.unlock_with_recovery_key(closed_vault.recovery_key)
    try:
        assert (folder.path / keyslots.FILE_NAME).exists()
        assert vault.needs_passphrase
        assert any("Set a passphrase" in n for n in vault.notices)
        assert vault.conn.execute("SELECT count(*) FROM audit_events WHERE action='test.row'").fetchone()[0] == 5
        vault.set_passphrase(NEW_PASSPHRASE)
        assert not vault.needs_passphrase
    finally:
        vault.close()
    vault = folder.unlock(NEW_PASSPHRASE)
    try:
        assert audit.verify_chain(vault.conn).ok
    finally:
        vault.close()
    folder.unlock_with_recovery_key(closed_vault.recovery_key).close()  # still the same key


def _truncate(raw: bytes) -> bytes:
    return raw[: len(raw) // 2]


def _flip_a_byte(raw: bytes) -> bytes:
    # flip one hex digit of the passphrase slot's ciphertext: still valid JSON
    text = raw.decode()
    index = text.index('"ciphertext": "') + len('"ciphertext": "') + 10
    digit = "0" if text[index] != "0" else "1"
    return (text[:index] + digit + text[index + 1 :]).encode()


def _flip_a_bit(raw: bytes) -> bytes:
    data = bytearray(raw)
    data[len(data) // 3] ^= 0x01
    return bytes(data)


DAMAGES: dict[str, Callable[[bytes], bytes]] = {
    "truncated": _truncate,
    "empty": lambda raw: b"",
    "a byte flipped": _flip_a_byte,
    "a bit flipped": _flip_a_bit,
    "not JSON": lambda raw: b"this is not json {",
    "JSON but not a slot file": lambda raw: b'{"hello": "world"}',
    "binary junk": lambda raw: os.urandom(2048),
    "10 MB of junk": lambda raw: os.urandom(1024) * 10 * 1024,
    "a newer format": lambda raw: raw.replace(b'"format_version": 1', b'"format_version": 9'),
}


@pytest.mark.parametrize("damage", list(DAMAGES.values()), ids=list(DAMAGES))
def test_damaged_key_slot_file_is_reported_quickly(
    closed_vault: ClaimedVault, damage: Callable[[bytes], bytes]
) -> None:
    path = closed_vault.folder.path / keyslots.FILE_NAME
    path.write_bytes(damage(path.read_bytes()))
    before = digest_vault(closed_vault.folder.path)
    errors: list[KeySlotsDamaged] = []

    def attempt() -> None:
        with pytest.raises(KeySlotsDamaged) as info:
            closed_vault.folder.unlock(PASSPHRASE)
        errors.append(info.value)

    assert timed(attempt) < QUICK  # refused before any KDF run
    assert errors[0].exit_code == 3
    assert_plain(errors[0])
    assert digest_vault(closed_vault.folder.path) == before
    # the way back is always the recovery key
    closed_vault.folder.unlock_with_recovery_key(closed_vault.recovery_key).close()


def test_damaged_current_file_falls_back_to_the_kept_copy(closed_vault: ClaimedVault) -> None:
    folder = closed_vault.folder
    vault = folder.unlock(PASSPHRASE)
    vault.change_passphrase(PASSPHRASE, NEW_PASSPHRASE)
    vault.close()
    kept = (folder.path / keyslots.PREVIOUS_NAME).read_bytes()
    (folder.path / keyslots.FILE_NAME).write_bytes(b"{ damaged")

    vault = folder.unlock(NEW_PASSPHRASE)  # the kept copy follows the passphrase change
    try:
        notices = " ".join(vault.notices)
        assert "previous copy" in notices and "new key-slot file has been written" in notices
        assert vault.conn.execute("SELECT count(*) FROM audit_events WHERE action='test.row'").fetchone()[0] == 5
    finally:
        vault.close()
    restored = keyslots.read(folder.path)  # the current file is whole again
    assert restored.slot("passphrase") is not None
    assert (folder.path / keyslots.PREVIOUS_NAME).read_bytes() == kept  # not overwritten by the damage
    vault = folder.unlock(NEW_PASSPHRASE)
    assert vault.notices == []
    vault.close()


def test_key_slot_file_of_another_vault_is_not_called_database_damage(
    closed_vault: ClaimedVault, tmp_path: Path
) -> None:
    """Another vault's keyslots.json (same passphrase) unwraps fine, so the database used to
    be blamed as damaged with advice to restore a backup. It must say what really happened,
    and the recovery key, which needs no key-slot file, must still open the vault."""
    other = VaultFolder.create(tmp_path / "other", PASSPHRASE, owner_name="Sam Othervault")
    other.vault.close()
    other.folder.release()
    folder = closed_vault.folder
    before = (folder.path / "vault.db").read_bytes()
    shutil.copy(tmp_path / "other" / keyslots.FILE_NAME, folder.path / keyslots.FILE_NAME)

    with pytest.raises(KeySlotsDamaged) as info:
        folder.unlock(PASSPHRASE)
    assert "belongs to a different vault database" in info.value.message
    assert "recovery key" in info.value.advice and "damaged" not in info.value.message
    assert info.value.exit_code == 3
    assert_plain(info.value)
    assert (folder.path / "vault.db").read_bytes() == before  # nothing touched

    vault = folder.unlock_with_recovery_key(closed_vault.recovery_key)
    try:
        assert any("different vault database" in n for n in vault.notices)
        assert vault.needs_passphrase  # fresh slots were written for this vault
        assert vault.conn.execute("SELECT count(*) FROM audit_events WHERE action='test.row'").fetchone()[0] == 5
    finally:
        vault.close()
    assert not keyslots.read(folder.path).foreign_to(folder.path)


def test_key_slot_files_record_their_database_without_a_new_generation(closed_vault: ClaimedVault) -> None:
    """Older key-slot files have no database salt: the first unlock notes it in place
    (same generation, the kept copy untouched), so later unlocks change nothing."""
    folder = closed_vault.folder
    slots = keyslots.read(folder.path)
    assert slots.db_salt == keyslots.database_salt(folder.path)  # written at creation
    slots.db_salt = None
    (folder.path / keyslots.FILE_NAME).write_bytes(slots.to_bytes())
    generation = slots.generation
    folder.unlock(PASSPHRASE).close()
    again = keyslots.read(folder.path)
    assert again.generation == generation and again.db_salt == keyslots.database_salt(folder.path)
    before = digest_vault(folder.path)
    folder.unlock(PASSPHRASE).close()
    assert digest_vault(folder.path)[keyslots.FILE_NAME] == before[keyslots.FILE_NAME]


def test_check_reports_a_key_slot_file_rebuilt_from_the_kept_copy(
    closed_vault: ClaimedVault, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """``check`` must not hide key-slot damage by repairing it quietly and saying all is well."""
    folder = closed_vault.folder
    vault = folder.unlock(PASSPHRASE)
    vault.change_passphrase(PASSPHRASE, NEW_PASSPHRASE)  # the kept copy now exists
    vault.close()
    (folder.path / keyslots.FILE_NAME).write_bytes(b"{ damaged")
    folder.release()
    code, out = run_cli(
        monkeypatch,
        capsys,
        "check",
        "--vault",
        str(folder.path),
        "--passphrase-stdin",
        "--json",
        stdin=NEW_PASSPHRASE + "\n",
    )
    folder._lock.acquire()  # the fixture releases it again
    report = json.loads(out.out)
    assert code == 3
    assert report["ok"] is False and report["key_slots"]["ok"] is False
    problems = " ".join(report["problems"])
    assert "kept previous copy" in problems and "written from the kept copy" in problems


def test_old_passphrase_stops_working_everywhere_after_a_change(closed_vault: ClaimedVault) -> None:
    """A passphrase is changed because it may have leaked: the kept copy of the key-slot
    file must not go on opening the vault with it."""
    folder = closed_vault.folder
    vault = folder.unlock(PASSPHRASE)
    vault.change_passphrase(PASSPHRASE, NEW_PASSPHRASE)
    vault.close()
    with pytest.raises(WrongPassphrase):
        keyslots.read(folder.path, keyslots.PREVIOUS_NAME).unwrap_passphrase(PASSPHRASE)
    path = folder.path / keyslots.FILE_NAME
    path.write_bytes(_truncate(path.read_bytes()))
    before = digest_vault(folder.path)

    with pytest.raises(KeySlotsDamaged) as info:
        folder.unlock(PASSPHRASE)
    assert not isinstance(info.value, WrongPassphrase)
    assert info.value.exit_code == 3
    assert "kept copy" in info.value.message
    assert "recovery key" in info.value.advice
    assert_plain(info.value)
    assert digest_vault(folder.path) == before


# -- database damage --------------------------------------------------------------------------
def _flip_db_byte(folder: Path, offset: int) -> None:
    db = folder / "vault.db"
    data = bytearray(db.read_bytes())
    data[offset] ^= 0x20
    db.write_bytes(bytes(data))


def run_cli(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], *argv: str, stdin: str) -> Any:
    monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    code = cli.main(list(argv))
    return code, capsys.readouterr()


@pytest.mark.parametrize("page", ["first", "middle", "last"])
def test_flipped_database_byte_is_damage_not_a_wrong_passphrase(
    closed_vault: ClaimedVault, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], page: str
) -> None:
    vault = closed_vault.folder.unlock(PASSPHRASE)
    with vault.transaction() as conn:  # enough pages for a "middle" one
        for i in range(300):
            audit.append_event(conn, "test.fill", actor="Robin Errortest", subject_id=i, details={"pad": "x" * 200})
    vault.close()
    folder = released(closed_vault)
    size = (folder / "vault.db").stat().st_size
    pages = size // 4096
    offset = {"first": 1000, "middle": (pages // 2) * 4096 + 500, "last": size - 1000}[page]
    _flip_db_byte(folder, offset)

    code, out = run_cli(
        monkeypatch, capsys, "check", "--vault", str(folder), "--passphrase-stdin", stdin=PASSPHRASE + "\n"
    )
    assert code == 3, out
    assert "Traceback" not in out.err and "sqlite" not in out.err.lower()
    assert "damaged" in out.err

    again = VaultFolder.attach(folder)
    try:
        with pytest.raises(WrongPassphrase):  # a wrong passphrase is still just that
            again.unlock("a wrong passphrase entirely")
        if page == "first":
            with pytest.raises(VaultDamaged) as info:
                again.unlock(PASSPHRASE)
            assert info.value.exit_code == 3
            assert "passphrase was accepted" in info.value.advice
            assert_plain(info.value)
        else:
            try:
                again.unlock(PASSPHRASE).close()  # the damaged page may not be needed to unlock
            except VaultDamaged as exc:
                assert_plain(exc)
    finally:
        again.release()


# -- not a vault ------------------------------------------------------------------------------
def test_missing_folder(tmp_path: Path) -> None:
    with pytest.raises(NotAVault) as info:
        VaultFolder.attach(tmp_path / "nowhere")
    assert info.value.exit_code == 1
    assert_plain(info.value)


def test_empty_folder_is_not_a_vault(tmp_path: Path) -> None:
    with pytest.raises(NotAVault) as info:
        VaultFolder.attach(tmp_path)
    assert "not a Safeguarding Case Notes vault" in info.value.message
    assert "create a new vault" in info.value.advice
    assert_plain(info.value)


def test_folder_of_random_files_is_not_a_vault(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("shopping list")
    (tmp_path / "photo.jpg").write_bytes(os.urandom(5000))
    (tmp_path / "sub").mkdir()
    with pytest.raises(NotAVault) as info:
        VaultFolder.attach(tmp_path)
    assert "vault.db" in info.value.advice
    assert_plain(info.value)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt", "photo.jpg", "sub"]  # nothing added


def test_plain_sqlite_database_is_not_a_vault(tmp_path: Path) -> None:
    conn = sqlite3.connect(tmp_path / "vault.db")
    conn.execute("CREATE TABLE t (x)")
    conn.commit()
    conn.close()
    with pytest.raises(NotAVault) as info:
        VaultFolder.attach(tmp_path)
    assert "unencrypted" in info.value.message
    # naming the file format is fine here; it is not a raw library message
    assert_plain(info.value, allow="SQLite")


@pytest.mark.parametrize("content", [b"", b"short"], ids=["zero bytes", "five bytes"])
def test_empty_or_cut_short_database_is_damage(tmp_path: Path, content: bytes) -> None:
    (tmp_path / "vault.db").write_bytes(content)
    with pytest.raises(VaultDamaged) as info:
        VaultFolder.attach(tmp_path)
    assert info.value.exit_code == 3
    assert "empty or cut short" in info.value.message
    assert "backup" in info.value.advice
    assert "passphrase was accepted" not in info.value.advice  # no passphrase was asked for
    assert_plain(info.value)


def test_key_slots_without_database_is_damage(closed_vault: ClaimedVault) -> None:
    folder = released(closed_vault)
    (folder / "vault.db").unlink()
    with pytest.raises(VaultDamaged) as info:
        VaultFolder.attach(folder)
    assert "missing" in info.value.message and "backup" in info.value.advice
    assert_plain(info.value)


# -- in use -----------------------------------------------------------------------------------
@pytest.mark.skipif(os.name != "posix", reason="POSIX permission bits")
def test_a_vault_copied_with_open_permissions_is_restricted_and_said_so(closed_vault: ClaimedVault) -> None:
    """A folder copied or restored by hand (cp -r under umask 022, an unzip) may let other
    accounts read it. Opening it brings it back to 0700/0600 and tells the person once."""
    path = released(closed_vault)
    os.chmod(path, 0o755)
    os.chmod(path / "vault.db", 0o644)
    os.chmod(path / keyslots.FILE_NAME, 0o666)
    folder = VaultFolder.attach(path)
    try:
        assert any("readable by you alone" in w for w in folder.warnings)
        assert os.stat(path).st_mode & 0o777 == 0o700
        assert os.stat(path / "vault.db").st_mode & 0o777 == 0o600
        assert os.stat(path / keyslots.FILE_NAME).st_mode & 0o777 == 0o600
        folder.unlock(PASSPHRASE).close()  # nothing about the vault itself changed
    finally:
        folder.release()
    again = VaultFolder.attach(path)
    try:
        assert not any("readable by you alone" in w for w in again.warnings)  # said once
    finally:
        again.release()
    closed_vault.folder = VaultFolder.attach(path)  # the fixture releases it


def test_second_instance_in_this_process_is_refused(closed_vault: ClaimedVault) -> None:
    with pytest.raises(VaultInUse) as info:
        VaultFolder.attach(closed_vault.folder.path)
    assert info.value.exit_code == 4
    assert f"process {os.getpid()} on this computer" in info.value.message
    assert_plain(info.value)


def test_second_instance_in_another_process_is_refused(closed_vault: ClaimedVault) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "desktop_app", "check", "--vault", str(closed_vault.folder.path), "--passphrase-stdin"],
        input=PASSPHRASE + "\n",
        capture_output=True,
        text=True,
        env=child_env(),
        cwd=ROOT,
        timeout=60,
    )
    assert result.returncode == 4, result.stderr
    assert "already open" in result.stderr and str(os.getpid()) in result.stderr
    assert "Traceback" not in result.stderr


def test_stale_lock_of_a_killed_process_is_recovered(closed_vault: ClaimedVault) -> None:
    folder = released(closed_vault)
    script = (
        "import sys, time\n"
        "from pathlib import Path\n"
        "from desktop_app.store.vault import VaultFolder\n"
        "folder = VaultFolder.attach(Path(sys.argv[1]))\n"
        "print('attached', flush=True)\n"
        "time.sleep(120)\n"
    )
    child = subprocess.Popen(
        [sys.executable, "-c", script, str(folder)],
        stdout=subprocess.PIPE,
        text=True,
        env=child_env(),
        cwd=ROOT,
    )
    try:
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "attached"
        with pytest.raises(VaultInUse) as info:
            VaultFolder.attach(folder)
        assert str(child.pid) in info.value.message
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
        if child.stdout is not None:
            child.stdout.close()
    assert (folder / "vault.lock").exists()  # the file is left behind; the lock is not
    again = VaultFolder.attach(folder)
    try:
        again.unlock(PASSPHRASE).close()
        assert json.loads((folder / "vault.lock").read_text())["pid"] == os.getpid()
    finally:
        again.release()


# -- disk full / read-only ---------------------------------------------------------------------
class _FailingOs:
    """``os`` as seen by desktop_app.store.atomic, with ``write`` failing after ``ok`` calls."""

    def __init__(self, error: int, ok: int = 0) -> None:
        self._error = error
        self._ok = ok

    def __getattr__(self, name: str) -> Any:
        return getattr(os, name)

    def write(self, fd: int, data: Any) -> int:
        if self._ok <= 0:
            raise OSError(self._error, os.strerror(self._error))
        self._ok -= 1
        return os.write(fd, data)


@pytest.mark.parametrize("ok_writes", [0, 1], ids=["fails on the previous copy", "fails on the new file"])
def test_disk_full_while_changing_passphrase(
    closed_vault: ClaimedVault, monkeypatch: pytest.MonkeyPatch, ok_writes: int
) -> None:
    folder = closed_vault.folder
    vault = folder.unlock(PASSPHRASE)
    current = (folder.path / keyslots.FILE_NAME).read_bytes()
    monkeypatch.setattr(atomic, "os", _FailingOs(errno.ENOSPC, ok_writes))
    try:
        with pytest.raises(StorageFull) as info:
            vault.change_passphrase(PASSPHRASE, NEW_PASSPHRASE)
    finally:
        monkeypatch.undo()
        vault.close()
    assert info.value.exit_code == 1
    assert "disk is full" in info.value.message and "Free some space" in info.value.advice
    assert_plain(info.value)
    assert (folder.path / keyslots.FILE_NAME).read_bytes() == current  # old file intact
    assert not [p.name for p in folder.path.iterdir() if p.name.endswith(".tmp")]
    folder.unlock(PASSPHRASE).close()  # and still unlocking with the old passphrase
    with pytest.raises(WrongPassphrase):
        folder.unlock(NEW_PASSPHRASE)


def test_disk_full_while_creating_leaves_a_folder_that_can_be_used_again(
    vault_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(atomic, "os", _FailingOs(errno.ENOSPC))
    with pytest.raises(StorageFull):
        VaultFolder.create(vault_dir, PASSPHRASE, owner_name="Robin Errortest")
    monkeypatch.undo()
    assert list(vault_dir.iterdir()) == []
    created = VaultFolder.create(vault_dir, PASSPHRASE, owner_name="Robin Errortest")
    created.vault.close()
    created.folder.release()


def test_read_only_storage_while_changing_passphrase(
    closed_vault: ClaimedVault, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = closed_vault.folder
    vault = folder.unlock(PASSPHRASE)
    before = digest_vault(folder.path)
    monkeypatch.setattr(atomic, "os", _FailingOs(errno.EROFS))
    try:
        with pytest.raises(StorageReadOnly) as info:
            vault.change_passphrase(PASSPHRASE, NEW_PASSPHRASE)
    finally:
        monkeypatch.undo()
        vault.close()
    assert "read-only" in info.value.message and "write-protected" in info.value.advice
    assert_plain(info.value)
    assert digest_vault(folder.path)[keyslots.FILE_NAME] == before[keyslots.FILE_NAME]
    folder.unlock(PASSPHRASE).close()


@pytest.mark.skipif(IS_ROOT, reason="root ignores folder permissions; the EROFS variant above covers this")
def test_read_only_folder_for_real(closed_vault: ClaimedVault) -> None:
    folder = closed_vault.folder
    vault = folder.unlock(PASSPHRASE)
    current = (folder.path / keyslots.FILE_NAME).read_bytes()
    os.chmod(folder.path, 0o500)
    try:
        with pytest.raises(StorageReadOnly) as info:
            vault.change_passphrase(PASSPHRASE, NEW_PASSPHRASE)
        assert_plain(info.value)
    finally:
        os.chmod(folder.path, 0o700)
        vault.close()
    assert (folder.path / keyslots.FILE_NAME).read_bytes() == current
    folder.unlock(PASSPHRASE).close()


# -- repeated wrong passphrases ----------------------------------------------------------------
class FakeClock:
    def __init__(self) -> None:
        self.now = 1_700_000_000.0

    def __call__(self) -> float:
        return self.now


def test_repeated_wrong_passphrases_are_slowed_down_never_locked_out(closed_vault: ClaimedVault) -> None:
    folder = closed_vault.folder
    clock = FakeClock()
    folder.throttle.clock = clock
    before = digest_vault(folder.path)
    for _ in range(3):
        with pytest.raises(WrongPassphrase):
            folder.unlock("a wrong passphrase guess")
        clock.now += 0.1
    # the 4th attempt waits, whatever is typed, and is refused before any KDF run
    seconds = 0.0
    with pytest.raises(UnlockThrottled) as info:
        start = time.perf_counter()
        try:
            folder.unlock(PASSPHRASE)
        finally:
            seconds = time.perf_counter() - start
    assert seconds < QUICK
    assert info.value.seconds > 0
    assert info.value.exit_code == 2
    assert "Nothing has been changed or locked out" in info.value.advice
    assert_plain(info.value)
    assert digest_vault(folder.path) == before  # nothing in the vault changed

    # the wait survives a restart of the program (a new VaultFolder on the same folder)
    assert throttle.AttemptThrottle(folder.path, clock).wait_remaining() == pytest.approx(info.value.seconds)

    clock.now += info.value.seconds + 0.01
    vault = folder.unlock(PASSPHRASE)
    vault.close()
    assert folder.throttle.wait_remaining() == 0
    assert json.loads((folder.path / throttle.FILE_NAME).read_text())["failures"] == 0  # counter reset
    for _ in range(3):  # three free attempts again
        with pytest.raises(WrongPassphrase):
            folder.unlock("a wrong passphrase guess")


def test_the_wait_grows_but_is_capped() -> None:
    delays = [throttle.delay_after(n) for n in range(12)]
    assert delays[:3] == [0, 0, 0]
    assert delays[3:7] == [1, 2, 4, 8]
    assert max(delays) == throttle.MAX_DELAY
    assert throttle.delay_after(10**15) == throttle.MAX_DELAY


CORRUPT_COUNTERS = {
    "junk": b"\x00\xffnot json",
    "empty": b"",
    "a list": b"[1, 2, 3]",
    "strings": b'{"failures": "many", "last": "yesterday"}',
    "negative": b'{"failures": -50, "last": 0}',
    "last in the future": b'{"failures": 40, "last": 9e99}',
    "last is NaN": b'{"failures": 40, "last": NaN}',
    "astronomical count, long ago": b'{"failures": 1e15, "last": 0}',
}


@pytest.mark.parametrize("content", list(CORRUPT_COUNTERS.values()), ids=list(CORRUPT_COUNTERS))
def test_a_corrupted_counter_file_never_blocks_the_owner(closed_vault: ClaimedVault, content: bytes) -> None:
    folder = closed_vault.folder
    (folder.path / throttle.FILE_NAME).write_bytes(content)
    assert timed(lambda: folder.unlock(PASSPHRASE).close()) < 5


def test_an_astronomical_count_waits_at_most_the_cap(closed_vault: ClaimedVault) -> None:
    folder = closed_vault.folder
    clock = FakeClock()
    folder.throttle.clock = clock
    (folder.path / throttle.FILE_NAME).write_text(json.dumps({"failures": 10**15, "last": clock.now}))
    with pytest.raises(UnlockThrottled) as info:
        folder.unlock(PASSPHRASE)
    assert 0 < info.value.seconds <= throttle.MAX_DELAY
    clock.now += throttle.MAX_DELAY
    folder.unlock(PASSPHRASE).close()


def test_counter_that_cannot_be_written_does_not_block(closed_vault: ClaimedVault) -> None:
    folder = closed_vault.folder
    (folder.path / throttle.FILE_NAME).mkdir()  # a folder where the file should be
    for _ in range(5):
        with pytest.raises(WrongPassphrase):
            folder.unlock("a wrong passphrase guess")
    folder.unlock(PASSPHRASE).close()


# -- a real small disk (root on Linux only: a tmpfs mounted for the test) ----------------------
@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    if not (IS_ROOT and sys.platform.startswith("linux")):
        pytest.skip("mounting a small tmpfs needs root on Linux")
    mount_point = tmp_path / "small-disk"
    mount_point.mkdir()
    result = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=1m,mode=0700", "tmpfs", str(mount_point)], capture_output=True
    )
    if result.returncode != 0:
        pytest.skip("this environment does not allow mounting a tmpfs")
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", "-l", str(mount_point)], capture_output=True)


def test_a_really_full_disk_loses_no_committed_row(small_disk: Path) -> None:
    created = VaultFolder.create(small_disk / "vault", PASSPHRASE, owner_name="Robin Errortest")
    folder, vault = created.folder, created.vault
    ballast = small_disk / "ballast"  # something the owner can delete to free space
    ballast.write_bytes(b"\0" * 96 * 1024)
    committed = 0
    try:
        with pytest.raises(StorageFull) as info:
            for i in range(100_000):
                with vault.transaction() as conn:
                    audit.append_event(conn, "test.fill", actor="Robin", subject_id=i, details={"pad": "x" * 3000})
                committed += 1
        assert committed > 10
        assert_plain(info.value)
        vault.close()  # locking always succeeds, even on a full disk

        # Still full: unlocking (which records an audit event) either works or says the
        # disk is full; it is never reported as damage or a wrong passphrase.
        try:
            folder.unlock(PASSPHRASE).close()
        except StorageFull as exc:
            assert_plain(exc)

        ballast.unlink()  # the owner frees some space
        vault = folder.unlock(PASSPHRASE)
        count = vault.conn.execute("SELECT count(*) FROM audit_events WHERE action='test.fill'").fetchone()[0]
        assert count == committed
        assert vault.conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert audit.verify_chain(vault.conn).ok
    finally:
        vault.close()
        folder.release()


def test_a_really_read_only_disk(small_disk: Path) -> None:
    created = VaultFolder.create(small_disk / "vault", PASSPHRASE, owner_name="Robin Errortest")
    created.vault.close()
    folder = released(created)
    before = digest_vault(folder)
    subprocess.run(["mount", "-o", "remount,ro", str(small_disk)], check=True)
    try:
        with pytest.raises(StorageReadOnly) as info:
            VaultFolder.attach(folder)
        assert "read-only" in info.value.message
        assert_plain(info.value)
    finally:
        subprocess.run(["mount", "-o", "remount,rw", str(small_disk)], check=True)
    assert digest_vault(folder) == before
    again = VaultFolder.attach(folder)
    try:
        again.unlock(PASSPHRASE).close()
    finally:
        again.release()
