"""Emergency shares in the store: migration 5's rules hold for raw SQL too.

An outstanding follow-up cannot be dismissed by deleting the share, clearing its deadline
or faking a completion; completion and the in-error mark are set once and never undone.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlcipher3.dbapi2 import IntegrityError

from desktop_app.domain.emergency import EmergencyCapture
from desktop_app.domain.records import CaseDetails
from desktop_app.services import case_records
from desktop_app.services import emergency as service
from desktop_app.store import chronology
from desktop_app.store import emergency as store
from desktop_app.store.migrations import LATEST_VERSION
from desktop_app.store.vault import VaultFolder

from ..conftest import PASSPHRASE

NOW = datetime(2024, 6, 3, 9, 30, tzinfo=UTC)


def _share(vault: Any, case_id: int, **overrides: Any) -> Any:
    values: dict[str, Any] = {
        "shared_with_organisation": "Children's social care",
        "how": "phone",
        "what": "Bruising seen on the child's arm",
        "why": "Child said they were afraid to go home",
        "shared_at": NOW - timedelta(hours=1),
    }
    values.update(overrides)
    return service.record_emergency_share(vault, EmergencyCapture(case_id, **values), now=NOW)


def _decision_row(conn: Any, case_id: int) -> int:
    """A minimal decision row, written with raw SQL (the store-level rules do not depend
    on what the decision says; the service tests use the real decision service)."""
    cursor = conn.execute(
        "INSERT INTO decisions (case_id, decided_at, recorded_at, recorded_by, final_decision, recommendation, "
        "follows_recommendation, purpose, risk_level, decided_by, rationale, answers, outcome, rules_version, "
        "summary) VALUES (?, ?, ?, 'Alex', 'share', 'share', 1, 'p', 'r', 'Alex', 'r', '{}', '{}', '2024.1', 's')",
        (case_id, NOW.isoformat(), NOW.isoformat()),
    )
    decision_id: int = cursor.lastrowid
    return decision_id


@pytest.fixture
def case_id(open_vault: Any) -> int:
    return case_records.create_case(open_vault, CaseDetails("EM-1", "Sam Taylor")).id


def _raw(vault: Any, sql: str, params: tuple[Any, ...] = ()) -> None:
    with vault.transaction() as conn:
        conn.execute(sql, params)


def test_migration_5_is_in_place(open_vault: Any) -> None:
    assert LATEST_VERSION >= 5
    names = {r[0] for r in open_vault.conn.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")}
    assert {"emergency_shares_no_delete", "emergency_shares_guard_update"} <= names


def test_times_are_stored_as_utc_text_in_the_chronology_format(open_vault: Any, case_id: int) -> None:
    share = _share(open_vault, case_id)
    row = open_vault.conn.execute(
        "SELECT shared_at, due_at, recorded_at FROM emergency_shares WHERE id = ?", (share.id,)
    ).fetchone()
    assert row == ("2024-06-03T08:30:00+00:00", "2024-06-04T08:30:00+00:00", "2024-06-03T09:30:00+00:00")


@pytest.mark.parametrize("outstanding", [True, False])
def test_raw_delete_raises_whether_or_not_the_follow_up_is_open(
    open_vault: Any, case_id: int, outstanding: bool
) -> None:
    share = _share(open_vault, case_id)
    if not outstanding:
        service.mark_in_error(open_vault, share.id, "A test entry", now=NOW)
    with pytest.raises(IntegrityError, match="cannot be deleted"):
        _raw(open_vault, "DELETE FROM emergency_shares WHERE id = ?", (share.id,))
    with pytest.raises(IntegrityError, match="cannot be deleted"):
        _raw(open_vault, "DELETE FROM emergency_shares")
    assert store.count_open(open_vault.conn) == (1 if outstanding else 0)


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("due_at", "2999-01-01T00:00:00+00:00"),
        ("due_at", None),
        ("shared_at", "2024-06-03T09:00:00+00:00"),
        ("what_shared", "something else"),
        ("case_id", 99),
        ("deadline_hours", 168),
    ],
)
def test_what_was_captured_cannot_be_changed(open_vault: Any, case_id: int, column: str, value: Any) -> None:
    share = _share(open_vault, case_id)
    with pytest.raises(IntegrityError):
        _raw(open_vault, f"UPDATE emergency_shares SET {column} = ? WHERE id = ?", (value, share.id))
    assert service.get_share(open_vault, share.id) == share


def test_a_follow_up_cannot_be_faked_complete_or_dismissed(open_vault: Any, case_id: int) -> None:
    share = _share(open_vault, case_id)
    # completed without a decision record, or with a made-up one
    with pytest.raises(IntegrityError):
        _raw(
            open_vault, "UPDATE emergency_shares SET completed_at = ?, completed_by = 'x' WHERE id = ?", ("t", share.id)
        )
    with pytest.raises(IntegrityError):
        _raw(
            open_vault,
            "UPDATE emergency_shares SET completed_decision_id = 999, completed_at = 't', completed_by = 'x' WHERE id = ?",
            (share.id,),
        )
    # marked in error without a reason
    with pytest.raises(IntegrityError):
        _raw(open_vault, "UPDATE emergency_shares SET in_error_at = 't', in_error_by = 'x' WHERE id = ?", (share.id,))
    # a decision on another case
    other = case_records.create_case(open_vault, CaseDetails("EM-2", "Jo Okafor")).id
    with open_vault.transaction() as conn:
        decision_id = _decision_row(conn, other)
    with pytest.raises(IntegrityError, match="its own case"):
        _raw(
            open_vault,
            "UPDATE emergency_shares SET completed_decision_id = ?, completed_at = 't', completed_by = 'x' WHERE id = ?",
            (decision_id, share.id),
        )
    assert store.count_open(open_vault.conn) == 1


def test_completion_and_the_in_error_mark_are_set_once(open_vault: Any, case_id: int) -> None:
    done = _share(open_vault, case_id)
    wrong = _share(open_vault, case_id, how="in_person")
    with open_vault.transaction() as conn:
        decision_id = _decision_row(conn, case_id)
    service.complete_follow_up(open_vault, done.id, decision_id, now=NOW)
    service.mark_in_error(open_vault, wrong.id, "Recorded against the wrong child", now=NOW)
    for sql in (
        "UPDATE emergency_shares SET completed_decision_id = NULL, completed_at = NULL, completed_by = NULL WHERE id = ?",
        "UPDATE emergency_shares SET completed_at = '2000-01-01T00:00:00+00:00' WHERE id = ?",
        "UPDATE emergency_shares SET in_error_reason = 'x', in_error_at = 't', in_error_by = 'x' WHERE id = ?",
    ):
        with pytest.raises(IntegrityError):
            _raw(open_vault, sql, (done.id,))
    for sql in (
        "UPDATE emergency_shares SET in_error_at = NULL, in_error_by = NULL, in_error_reason = '' WHERE id = ?",
        "UPDATE emergency_shares SET in_error_reason = 'changed my mind' WHERE id = ?",
    ):
        with pytest.raises(IntegrityError):
            _raw(open_vault, sql, (wrong.id,))
    # one decision completes one share
    third = _share(open_vault, case_id, how="other")
    with pytest.raises(IntegrityError):
        _raw(
            open_vault,
            "UPDATE emergency_shares SET completed_decision_id = ?, completed_at = 't', completed_by = 'x' WHERE id = ?",
            (decision_id, third.id),
        )


def test_the_chronology_source_is_registered_and_well_formed(open_vault: Any, case_id: int) -> None:
    source = chronology.sources()[store.CHRONOLOGY_KIND]  # registered by importing the store module
    assert chronology.check_source(open_vault.conn, source) == []
    share = _share(open_vault, case_id, shared_with_person="Priya Shah")
    marked = _share(open_vault, case_id, how="secure_email", shared_at=NOW - timedelta(hours=2))
    service.mark_in_error(open_vault, marked.id, "A test entry", now=NOW)
    entries = [e for e in chronology.page(open_vault.conn, case_id).entries if e.kind == store.CHRONOLOGY_KIND]
    assert [e.item_id for e in entries] == [share.id, marked.id]  # newest first
    assert (
        entries[0].title
        == "Emergency share (phone call) with Priya Shah (Children's social care) — write-up outstanding"
    )
    assert entries[0].occurred_at == "2024-06-03T08:30:00+00:00"
    assert entries[0].summary.startswith("Child said they were afraid")
    assert entries[0].flags == ()
    assert entries[1].title.endswith("recorded in error")
    assert entries[1].flags == ("in_error",)


def test_the_open_index_serves_the_banner_query(open_vault: Any) -> None:
    plan = " ".join(
        str(row[-1])
        for row in open_vault.conn.execute(
            "EXPLAIN QUERY PLAN SELECT id FROM emergency_shares e "
            "WHERE e.completed_at IS NULL AND e.in_error_at IS NULL ORDER BY e.due_at, e.id"
        )
    )
    assert "emergency_shares_open" in plan


def test_kept_captures_live_in_their_own_table_one_row_per_form(open_vault: Any) -> None:
    with open_vault.transaction() as conn:
        store.keep_unfinished(conn, "a1", '{"what": "first"}')
        store.keep_unfinished(conn, "b2", '{"what": "second"}')
        store.keep_unfinished(conn, "a1", '{"what": "first, again"}')  # the same form: overwritten
    assert sorted(store.list_unfinished(open_vault.conn)) == [
        ("a1", '{"what": "first, again"}'),
        ("b2", '{"what": "second"}'),
    ]
    assert open_vault.conn.execute("SELECT count(*) FROM settings").fetchone()[0] == 0  # not settings
    with open_vault.transaction() as conn:
        assert store.drop_unfinished(conn, "a1") and not store.drop_unfinished(conn, "a1")
    assert store.list_unfinished(open_vault.conn) == [("b2", '{"what": "second"}')]
    with pytest.raises(IntegrityError), open_vault.transaction() as conn:
        store.keep_unfinished(conn, "c3", "not json")


def test_migration_8_moves_captures_an_earlier_build_kept_in_settings(vault_dir: Path) -> None:
    """Builds before migration 8 kept captures in the key-value table; none is lost."""
    created = VaultFolder.create(vault_dir, PASSPHRASE, owner_name="Robin Upgrade", schema_target=7)
    try:
        with created.vault.transaction() as conn:
            conn.execute("INSERT INTO settings (key, value) VALUES ('idle_lock_minutes', '5')")
            conn.execute(
                "INSERT INTO settings (key, value) VALUES ('emergency.unfinished_capture:a1', '{\"what\": \"kept\"}')"
            )
        created.vault.close()
        vault = created.folder.unlock(PASSPHRASE)
        try:
            assert vault.info.schema_version == LATEST_VERSION
            assert store.list_unfinished(vault.conn) == [("a1", '{"what": "kept"}')]
            keys = [row[0] for row in vault.conn.execute("SELECT key FROM settings")]
            assert keys == ["idle_lock_minutes"]
        finally:
            vault.close()
    finally:
        created.folder.release()
