"""``casenotes emergency`` and ``casenotes pending``, run in a subprocess as a script would:
the passphrase on stdin, times in local time (TZ set per test), exit 1 with a clear
message for anything to fix, and nothing recorded when it fails."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from desktop_app.domain.decision_rules import evaluate, parse_answers
from desktop_app.domain.records import CaseDetails
from desktop_app.services import case_records, decisions
from desktop_app.services import emergency as service
from desktop_app.store.vault import VaultFolder

from ..conftest import PASSPHRASE

ROOT = Path(__file__).resolve().parents[2]

# A complete write-up, as the decision wizard would save it (see the service tests).
WRITE_UP_ANSWERS: dict[str, object] = {
    "organisation_sector": "public",
    "recipient_has_safeguarding_role": True,
    "identifiable": True,
    "anonymised_would_suffice": False,
    "confidential": True,
    "special_category": False,
    "legal_requirement": False,
    "informing_would_increase_risk": True,
    "objection_raised": False,
    "consent": "not_sought",
    "consent_not_sought_reason": "increase_risk_to_child",
}
WRITE_UP_FIELDS: dict[str, object] = {
    "lawful_basis": ["public_task"],
    "confidentiality": "overriding_public_interest",
    "risk_level": "Immediate risk of harm that evening",
    "rationale": "The duty team needed to know before the child went home.",
    "reasons_consent_not_sought": "Asking would have increased the risk to the child.",
    "informed": "not_told",
    "reason_not_informed": "Telling the family could have increased the risk.",
    "advice_not_sought_reason": "No time before the child went home; the lead was told afterwards.",
    "follow_up_rationale": "Shared by phone, written up the next morning.",
}


def casenotes(
    *args: str, stdin: str = PASSPHRASE + "\n", tz: str = "Europe/London"
) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, CASENOTES_KDF_PROFILE="fast", CASENOTES_POLICY_FILE=os.devnull, PYTHONPATH=str(ROOT), TZ=tz)
    return subprocess.run(
        [sys.executable, "-m", "desktop_app", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=90,
    )


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "vault"
    created = VaultFolder.create(path, PASSPHRASE, owner_name="Casey Cli", organisation_name="Cli School")
    case_records.create_case(created.vault, CaseDetails("CLI-1", "Sam Taylor"))
    created.vault.close()
    created.folder.release()
    return path


@pytest.fixture
def vault(template: Path, vault_dir: Path) -> Path:
    shutil.copytree(template, vault_dir)
    return vault_dir


def share_args(vault: Path, *extra: str, case: str = "CLI-1") -> list[str]:
    return [
        "emergency",
        "--vault",
        str(vault),
        "--passphrase-stdin",
        "--case",
        case,
        "--with",
        "Children's social care duty team",
        "--how",
        "phone",
        "--what",
        "Bruising seen; the child named who did it",
        "--why",
        "Child afraid to go home tonight",
        *extra,
    ]


def open_shares(vault: Path) -> list[object]:
    folder = VaultFolder.attach(vault)
    opened = folder.unlock(PASSPHRASE)
    try:
        return list(service.oversight(opened))
    finally:
        opened.close()
        folder.release()


def test_records_a_share_and_prints_the_deadline_in_local_time(vault: Path) -> None:
    at = "2024-03-30T12:00"  # local (London, GMT); 24 elapsed hours later is 13:00 BST
    result = casenotes(*share_args(vault, "--at", at))
    assert result.returncode == 0, result.stderr
    assert "Recorded: emergency share with Children's social care duty team on Sat 30 Mar 2024, 12:00." in result.stdout
    assert "Follow-up due Sun 31 Mar 2024, 13:00 (BST, 24 hours after sharing)." in result.stdout
    assert "already overdue" in result.stdout
    (share,) = open_shares(vault)
    assert share.shared_at == datetime(2024, 3, 30, 12, 0, tzinfo=UTC)  # type: ignore[attr-defined]


def test_an_unknown_case_is_refused_unless_asked_to_create_it(vault: Path) -> None:
    result = casenotes(*share_args(vault, case="NEW-9"))
    assert result.returncode == 1
    assert "There is no case with the reference 'NEW-9'" in result.stderr
    assert "--create-case --child NAME" in result.stderr and "Nothing has been recorded" in result.stderr
    assert "Traceback" not in result.stderr
    assert open_shares(vault) == []
    missing_name = casenotes(*share_args(vault, "--create-case", case="NEW-9"))
    assert missing_name.returncode == 1 and "--child NAME" in missing_name.stderr
    created = casenotes(*share_args(vault, "--create-case", "--child", "Jo Okafor", case="NEW-9"))
    assert created.returncode == 0, created.stderr
    assert "Opened case NEW-9 for Jo Okafor." in created.stdout
    assert [s.case_reference for s in open_shares(vault)] == ["NEW-9"]  # type: ignore[attr-defined]


def test_a_time_in_the_future_or_unreadable_exits_1_and_records_nothing(vault: Path) -> None:
    future = (datetime.now() + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M")
    for at, message in ((future, "in the future"), ("yesterday", "not a date and time")):
        result = casenotes(*share_args(vault, "--at", at))
        assert result.returncode == 1 and message in result.stderr, result.stderr
    bad_how = casenotes(*share_args(vault)[:-6], "--how", "fax", "--what", "x", "--why", "y")
    assert bad_how.returncode == 1 and "phone, in_person, secure_email, other" in bad_how.stderr
    wrong = casenotes(*share_args(vault), stdin="not the passphrase\n")
    assert wrong.returncode == 2
    assert open_shares(vault) == []


def test_pending_lists_open_follow_ups_overdue_first(vault: Path) -> None:
    now = datetime.now(UTC)
    recent = (now - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%S+00:00")
    old = (now - timedelta(hours=30)).strftime("%Y-%m-%dT%H:%M:%S+00:00")
    assert casenotes(*share_args(vault, "--at", recent)).returncode == 0
    assert casenotes(*share_args(vault, "--at", old, "--contact", "01632 960123")).returncode == 0
    result = casenotes("pending", "--vault", str(vault), "--passphrase-stdin", "--json")
    assert result.returncode == 0, result.stderr
    listed = json.loads(result.stdout)
    assert [item["overdue"] for item in listed] == [True, False]
    assert listed[0]["case"] == "CLI-1" and listed[0]["shared_with"] == "Children's social care duty team"
    assert {"case", "shared_with", "shared_at", "due_at", "overdue", "status"} <= set(listed[0])
    text = casenotes("pending", "--vault", str(vault), "--passphrase-stdin")
    lines = text.stdout.splitlines()
    assert lines[0] == "2 emergency follow-up(s) to write up; 1 overdue."
    assert lines[1].startswith("OVERDUE CLI-1") and "overdue by 6 h" in lines[1]
    assert lines[2].startswith("        CLI-1") and "due in 22 h" in lines[2]


def test_pending_with_nothing_outstanding(vault: Path) -> None:
    result = casenotes("pending", "--vault", str(vault), "--passphrase-stdin")
    assert result.returncode == 0 and result.stdout.strip() == "No emergency follow-ups are outstanding."


def test_pending_links_a_write_up_saved_but_never_linked(vault: Path) -> None:
    """After a crash between saving the decision and linking it, ``pending`` must not
    report the share as outstanding: it links the saved write-up first (and says so)."""
    assert casenotes(*share_args(vault)).returncode == 0
    folder = VaultFolder.attach(vault)
    opened = folder.unlock(PASSPHRASE)
    try:
        (share,) = service.outstanding_follow_ups(opened)
        prefill = service.decision_prefill_for(opened, share.id)
        answers = {**WRITE_UP_ANSWERS, **prefill.answers}
        decision = decisions.record_decision(  # saved, but the link step never ran
            opened,
            prefill.case_id,
            answers,
            evaluate(parse_answers(answers)),
            "share",
            {**prefill.record, **WRITE_UP_FIELDS},
            prefill_source=prefill.source,
        )
        assert [s.id for s in service.outstanding_follow_ups(opened)] == [share.id]
    finally:
        opened.close()
        folder.release()
    result = casenotes("pending", "--vault", str(vault), "--passphrase-stdin", "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == []  # no longer outstanding, and the JSON stays clean
    assert f"now linked to decision record {decision.id}" in result.stderr
    (linked,) = open_shares(vault)
    assert linked.completed_decision_id == decision.id  # type: ignore[attr-defined]
    again = casenotes("pending", "--vault", str(vault), "--passphrase-stdin")
    assert again.stdout.strip() == "No emergency follow-ups are outstanding." and again.stderr == ""
