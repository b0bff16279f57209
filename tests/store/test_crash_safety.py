"""A crash must lose nothing: a writer killed with SIGKILL at a random moment leaves a
vault in which every commit it reported is present, whole, and the audit chain intact."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from desktop_app.store import audit
from desktop_app.store.vault import VaultFolder

from ..conftest import PASSPHRASE

ROOT = Path(__file__).resolve().parents[2]

WRITER = r"""
import random, sys
from pathlib import Path
from desktop_app.store import audit
from desktop_app.store.vault import VaultFolder

folder = VaultFolder.attach(Path(sys.argv[1]))
vault = folder.unlock(sys.stdin.readline().rstrip("\n"))
start = int(sys.argv[2])
rng = random.Random(start)
print("ready", flush=True)
i = start
while True:
    with vault.transaction() as conn:
        # rows of mixed size: some spill onto overflow pages, and the WAL grows past its
        # auto-checkpoint, so a kill can land mid-checkpoint too
        conn.execute("INSERT INTO settings (key, value) VALUES (?, ?)", (f"crash-{i}", "v" * rng.randint(10, 12000)))
        audit.append_event(conn, "crash.row", actor="Crash Tester", subject_id=i)
    print(i, flush=True)
    i += 1
"""


def child_env() -> dict[str, str]:
    env = dict(os.environ)
    env.update(CASENOTES_KDF_PROFILE="fast", CASENOTES_POLICY_FILE=os.devnull, PYTHONPATH=str(ROOT))
    return env


def run_writer_and_kill(folder: Path, start: int, kill_after: int) -> list[int]:
    """Start the writer, read ``kill_after`` reported ids, SIGKILL it; return the ids."""
    child = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(folder), str(start)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env=child_env(),
        cwd=ROOT,
    )
    reported: list[int] = []
    try:
        assert child.stdin is not None and child.stdout is not None
        child.stdin.write(PASSPHRASE + "\n")
        child.stdin.close()
        assert child.stdout.readline().strip() == "ready"
        while len(reported) < kill_after:
            line = child.stdout.readline()
            assert line, f"the writer stopped early (exit {child.poll()})"
            reported.append(int(line))
        child.send_signal(signal.SIGKILL)
        assert child.wait(timeout=30) == -signal.SIGKILL
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
        if child.stdout is not None:
            child.stdout.close()
    return reported


@pytest.mark.slow
def test_killed_writer_loses_no_reported_commit(vault_dir: Path) -> None:
    created = VaultFolder.create(vault_dir, PASSPHRASE, owner_name="Crash Tester")
    created.vault.close()
    created.folder.release()

    seed = random.randrange(1 << 30)
    rng = random.Random(seed)
    next_id = 0
    for round_no in range(4):
        kill_after = rng.randint(60, 220)
        reported = run_writer_and_kill(vault_dir, next_id, kill_after)
        assert reported == list(range(next_id, next_id + kill_after))

        folder = VaultFolder.attach(vault_dir)  # the killed writer's lock is gone
        vault = folder.unlock(PASSPHRASE)
        try:
            conn = vault.conn
            keys = {row[0] for row in conn.execute("SELECT key FROM settings WHERE key LIKE 'crash-%'")}
            ids = sorted(int(k.removeprefix("crash-")) for k in keys)
            audited = sorted(
                int(row[0]) for row in conn.execute("SELECT subject_id FROM audit_events WHERE action='crash.row'")
            )
            context = f"seed {seed}, round {round_no}, killed after {kill_after}"
            assert set(reported) <= set(ids), context  # no reported commit lost
            assert ids == list(range(len(ids))), context  # commits are whole and in order: no gaps
            assert audited == ids, context  # each commit's two rows together, never half of one
            assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)], context
            assert conn.execute("PRAGMA cipher_integrity_check").fetchall() == [], context
            chain = audit.verify_chain(conn)
            assert chain.ok, f"{context}: {chain.problem}"
            next_id = len(ids)
        finally:
            vault.close()
            folder.release()
