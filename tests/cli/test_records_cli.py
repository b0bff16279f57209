"""``casenotes import``, ``search`` and ``demo``: in-process through ``cli.main`` (fast),
plus one real process to check the exit codes and output as a script sees them. Bad
files exit 1 with a message that names the case and field, and import nothing."""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from desktop_app import cli
from desktop_app.domain.records import MAX_NOTE_BYTES
from desktop_app.services import case_records as records
from desktop_app.store.vault import VaultFolder

from ..conftest import PASSPHRASE

ROOT = Path(__file__).resolve().parents[2]
KEY_PATTERN = re.compile(r"\b(?:[0-9A-Z]{4}-){13}[0-9A-Z]{4}\b")

GOOD: dict[str, Any] = {
    "format": "casenotes-import",
    "version": 1,
    "cases": [
        {
            "reference": "IMP-001",
            "subject": {"name": "Jamie Example", "date_of_birth": "2014-05-01", "identifiers": {"UPN": "A1"}},
            "key_worker": "Alex Practitioner",
            "people": [
                {"key": "mum", "name": "Pat Example", "relationship": "Parent", "protect_identity": False},
                {
                    "key": "nb",
                    "name": "Morgan Lee",
                    "relationship": "Neighbour",
                    "protect_identity": True,
                    "protect_reason": "Fears reprisal",
                },
            ],
            "notes": [
                {
                    "occurred_at": "2024-03-07T14:30:00Z",
                    "author": "A. Worker",
                    "category": "Neglect",
                    "text": "Jamie arrived hungry; no coat. 😢 أنا جائع",
                },
                {
                    "occurred_at": "2024-03-08",
                    "author": "A. Worker",
                    "reported_by": {"person": "nb"},
                    "text": "Neighbour heard shouting at night.",
                },
            ],
        },
        {
            "reference": "IMP-002",
            "subject": {"name": "Robin Sample"},
            "status": "closed",
            "closed_on": "2024-02-01",
            "closed_reason": "Moved out of area",
            "notes": [{"occurred_at": "2023-12-01T09:00", "author": "B. Worker", "text": "Closed after review."}],
        },
    ],
}


def new_vault(path: Path) -> Path:
    """A real vault, locked and released so the command can claim it."""
    created = VaultFolder.create(path, PASSPHRASE, owner_name="Casey Cli")
    created.vault.close()
    created.folder.release()
    return path


@pytest.fixture
def vault_path(tmp_path: Path) -> Path:
    return new_vault(tmp_path / "vault")


@pytest.fixture(scope="module")
def untouched_vault(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One vault for every refused import: each test checks it is still empty."""
    return new_vault(tmp_path_factory.mktemp("refused") / "vault")


def run(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    monkeypatch.setattr(sys, "stdin", io.StringIO(PASSPHRASE + "\n"))
    code = cli.main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def write(tmp_path: Path, data: Any, name: str = "import.json") -> Path:
    path = tmp_path / name
    path.write_text(data if isinstance(data, str) else json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


def case_count(vault_path: Path) -> int:
    folder = VaultFolder.attach(vault_path)
    try:
        vault = folder.unlock(PASSPHRASE)
        try:
            return len(records.list_cases(vault))
        finally:
            vault.close()
    finally:
        folder.release()


# -- import ----------------------------------------------------------------------------------


def test_import_brings_in_cases_people_and_notes(
    vault_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(
        monkeypatch, capsys, "import", "--vault", str(vault_path), "--passphrase-stdin", str(write(tmp_path, GOOD))
    )
    assert (code, err) == (0, "")
    assert out.strip() == "Imported 2 case(s), 2 person(s) and 3 note(s)."
    folder = VaultFolder.attach(vault_path)
    vault = folder.unlock(PASSPHRASE)
    try:
        jamie = records.find_case(vault, "IMP-001")
        robin = records.find_case(vault, "imp-002")
        assert jamie is not None and robin is not None
        assert jamie.subject_identifiers == {"UPN": "A1"} and not robin.is_open
        page = records.chronology_page(vault, jamie.id, kinds=["note"])
        reported = records.get_note(vault, page.entries[0].item_id)
        assert reported.current.source == "reported" and "protected" in reported.flags
        first = records.get_note(vault, page.entries[1].item_id)
        assert first.category == "neglect" and first.author == "A. Worker" and "أنا جائع" in first.text
        assert first.current.source == "not_stated"
        # The closed case opens on its earliest note's day, not on the day of the import.
        assert [e.title for e in records.chronology_page(vault, robin.id, kinds=["case_status"]).entries] == [
            "Case closed",
            "Case opened",
        ]
    finally:
        vault.close()
        folder.release()


def test_importing_the_same_file_twice_is_refused_by_reference(
    vault_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, GOOD)
    assert run(monkeypatch, capsys, "import", "--vault", str(vault_path), "--passphrase-stdin", str(path))[0] == 0
    code, _, err = run(monkeypatch, capsys, "import", "--vault", str(vault_path), "--passphrase-stdin", str(path))
    assert code == 1
    assert "Case 'IMP-001' (cases[0]), reference: a case with this reference is already in the vault." in err
    assert case_count(vault_path) == 2


def broken(path: str, value: Any) -> dict[str, Any]:
    """GOOD with one field replaced (``None`` removes it); path like 'cases.0.notes.1.text'."""
    data = json.loads(json.dumps(GOOD))
    *parents, last = path.split(".")
    target: Any = data
    for part in parents:
        target = target[int(part)] if part.isdigit() else target[part]
    if value is None:
        del target[int(last) if last.isdigit() else last]
    else:
        target[int(last) if last.isdigit() else last] = value
    return data


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            ("cases.0.subject.name", None),
            "Case 'IMP-001' (cases[0]), subject.name: The child or young person's name is needed.",
        ),
        (("cases.1.reference", 42), "Case '#2' (cases[1]), reference: The case reference must be text."),
        (("cases.0.notes.1.occurred_at", 20240307), "Case 'IMP-001' (cases[0]), notes[1].occurred_at: A date and time"),
        (("cases.0.notes.0.author", None), "Case 'IMP-001' (cases[0]), notes[0].author: who wrote the note is needed."),
        (("cases.0.notes.0.text", None), "Case 'IMP-001' (cases[0]), notes[0].text: The note is needed."),
        (("cases.0.notes.0.text", ["a", "list"]), "Case 'IMP-001' (cases[0]), notes[0].text: The note must be text."),
        (("cases.0.notes.0.text", "a\u0000b"), "Case 'IMP-001' (cases[0]), notes[0].text: The note contains a NUL"),
        (("cases.0.notes.0.category", "gossip"), "notes[0].category: 'gossip' is not a category"),
        (("cases.0.notes.0.occurred_at", "2999-01-01"), "notes[0].occurred_at: That time is in the future."),
        (("cases.0.people.0.protect_identity", "no"), "people[0].protect_identity: must be true or false."),
        (("cases.0.people.1.protect_reason", None), "people[1].protect_reason: Say why this person's identity"),
        (("cases.0.notes.1.reported_by", {"person": "nobody"}), "notes[1].reported_by.person: no person on this case"),
        (("cases.0.notes.0.ocurred_at", "2024-01-01"), "notes[0].ocurred_at: 'ocurred_at' is not a field"),
        (("cases.0.subject.date_of_birth", "01/05/2014"), "subject.date_of_birth: The date of birth must be a date"),
        (("cases.1.closed_reason", None), "Case 'IMP-002' (cases[1]), closed_reason: The reason for closing is needed"),
        (("cases.1.opened_on", "2024-03-01"), "closed_on: a case cannot be closed before it was opened"),
        (("cases.1.opened_on", "2999-03-01"), "opened_on: a case cannot be opened on a date in the future."),
        (("cases.1.reference", "imp-001"), "reference: the same reference is already used by cases[0] in this file."),
        (("cases.0.people", {"name": "x"}), "Case 'IMP-001' (cases[0]), people: must be a list."),
        (("cases.1", "not a case"), "Case 2 (cases[1]), cases[1]: each case must be a JSON object."),
    ],
)
def test_a_bad_file_names_the_case_and_field_and_imports_nothing(
    untouched_vault: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    change: tuple[str, Any],
    expected: str,
) -> None:
    path = write(tmp_path, broken(*change))
    code, out, err = run(
        monkeypatch, capsys, "import", "--vault", str(untouched_vault), "--passphrase-stdin", str(path)
    )
    assert code == 1 and out == ""
    assert expected in err
    assert "nothing was imported" in err and "Traceback" not in err
    assert case_count(untouched_vault) == 0


def test_every_problem_is_listed_at_once(
    vault_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    data = broken("cases.0.subject.name", None)
    data["cases"][1]["notes"][0]["text"] = 7
    code, _, err = run(
        monkeypatch, capsys, "import", "--vault", str(vault_path), "--passphrase-stdin", str(write(tmp_path, data))
    )
    assert code == 1 and "2 problems" in err
    assert "cases[0]), subject.name" in err and "cases[1]), notes[0].text" in err


def test_an_oversized_note_is_refused_by_name(
    vault_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, broken("cases.1.notes.0.text", "x" * (MAX_NOTE_BYTES + 1)))
    code, _, err = run(monkeypatch, capsys, "import", "--vault", str(vault_path), "--passphrase-stdin", str(path))
    assert code == 1 and "Case 'IMP-002' (cases[1]), notes[0].text: The note is 5.0 MB" in err
    assert case_count(vault_path) == 0


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ('{"cases": [', "not valid JSON"),
        ("[]", "a list of cases"),
        ('{"cases": []}', "no cases"),
        ('{"cases": {}}', "a list of cases"),
        (b"\xff\xfe{\x00}\x00", "not UTF-8"),
    ],
)
def test_a_file_that_is_not_the_format_is_refused_before_unlocking(
    vault_path: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    content: str | bytes,
    expected: str,
) -> None:
    path = tmp_path / "bad.json"
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    code, _, err = run(monkeypatch, capsys, "import", "--vault", str(vault_path), "--passphrase-stdin", str(path))
    assert code == 1 and expected in err


def test_a_missing_file_is_a_plain_error(
    vault_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(
        monkeypatch, capsys, "import", "--vault", str(vault_path), "--passphrase-stdin", str(tmp_path / "none.json")
    )
    assert code == 1 and "could not be read" in err


# -- search ----------------------------------------------------------------------------------


@pytest.fixture
def imported(
    vault_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Path:
    run(monkeypatch, capsys, "import", "--vault", str(vault_path), "--passphrase-stdin", str(write(tmp_path, GOOD)))
    return vault_path


def test_search_prints_reference_note_date_and_marked_snippet(
    imported: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(monkeypatch, capsys, "search", "--vault", str(imported), "--passphrase-stdin", "hungry coat")
    assert (code, err) == (0, "")
    header, snippet = out.splitlines()
    assert re.fullmatch(r"IMP-001  note \d+  2024-03-0[78] \d\d:\d\d", header)
    assert "[[hungry]]" in snippet and "[[coat]]" in snippet


def test_search_as_json(imported: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(
        monkeypatch, capsys, "search", "--vault", str(imported), "--passphrase-stdin", "shouting", "--json"
    )
    assert code == 0
    [hit] = json.loads(out)
    assert hit["case_reference"] == "IMP-001" and hit["flags"] == ["protected"]
    start, end = hit["matches"][0]
    assert hit["snippet"][start:end] == "shouting"
    assert set(hit) == {
        "case_reference",
        "case_id",
        "note_id",
        "occurred_at",
        "category",
        "flags",
        "snippet",
        "matches",
    }


def test_search_takes_any_text(
    imported: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for query in ('"', "NEAR(", "AND", "\u0000", "😢", "*", "text:", "أنا"):
        code, out, err = run(monkeypatch, capsys, "search", "--vault", str(imported), "--passphrase-stdin", query)
        assert code == 0 and "Traceback" not in err, query
        assert out.strip() == "No notes match." or "IMP-001" in out, query


def test_search_filters_and_an_unknown_case(
    imported: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    base = ("search", "--vault", str(imported), "--passphrase-stdin")
    assert "IMP-002" in run(monkeypatch, capsys, *base, "review", "--case", "imp-002")[1]
    assert run(monkeypatch, capsys, *base, "review", "--from", "2024-01-01")[1].strip() == "No notes match."
    assert run(monkeypatch, capsys, *base, "hungry", "--category", "physical_abuse")[1].strip() == "No notes match."
    code, _, err = run(monkeypatch, capsys, *base, "hungry", "--case", "NOPE")
    assert code == 1 and "no case with the reference 'NOPE'" in err


# -- demo ------------------------------------------------------------------------------------


def test_demo_creates_a_fictional_vault_and_prints_the_recovery_key_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "demo"
    code, out, _ = run(
        monkeypatch, capsys, "demo", "--vault", str(path), "--passphrase-stdin", "--cases", "3", "--notes", "30"
    )
    assert code == 0
    assert len(KEY_PATTERN.findall(out)) == 1
    assert "Added 3 fictional case(s), 6 person(s) and 30 note(s)" in out
    code, out, _ = run(
        monkeypatch, capsys, "demo", "--vault", str(path), "--passphrase-stdin", "--cases", "2", "--notes", "5"
    )
    assert code == 0 and not KEY_PATTERN.findall(out)  # an existing vault: no new key
    folder = VaultFolder.attach(path)
    vault = folder.unlock(PASSPHRASE)
    try:
        cases = records.list_cases(vault, limit=10)
        assert sorted(c.case.reference for c in cases) == [f"DEMO-0000{i}" for i in range(1, 6)]
        assert all(c.case.subject_name.endswith("(fictional)") for c in cases)
        assert sum(c.note_count for c in cases) == 35
        assert records.search_notes(vault, "fictional demo", limit=500)
    finally:
        vault.close()
        folder.release()


def test_demo_data_never_goes_into_a_vault_with_real_records(
    imported: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(monkeypatch, capsys, "demo", "--vault", str(imported), "--passphrase-stdin")
    assert code == 1 and "already holds case records" in err
    assert case_count(imported) == 2


def test_demo_refuses_a_weak_passphrase_for_a_new_vault(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO("password\n"))
    code = cli.main(["demo", "--vault", str(tmp_path / "weak"), "--passphrase-stdin"])
    assert code == 1 and "too weak" in capsys.readouterr().err
    assert not (tmp_path / "weak").exists()


# -- as a real process -------------------------------------------------------------------------


def test_exit_codes_in_a_real_process(vault_path: Path, tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONIOENCODING": "utf-8", "CASENOTES_KDF_PROFILE": "fast"}

    def casenotes(*args: str, stdin: str = PASSPHRASE + "\n") -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "desktop_app", *args],
            input=stdin,
            capture_output=True,
            text=True,
            encoding="utf-8",
            env=env,
            cwd=ROOT,
            timeout=90,
            check=False,
        )

    good = casenotes("import", "--vault", str(vault_path), "--passphrase-stdin", str(write(tmp_path, GOOD)))
    assert good.returncode == 0, good.stderr
    wrong = casenotes(
        "search", "--vault", str(vault_path), "--passphrase-stdin", "hungry", stdin="not the passphrase\n"
    )
    assert wrong.returncode == 2 and "Traceback" not in wrong.stderr
    found = casenotes("search", "--vault", str(vault_path), "--passphrase-stdin", "أنا", "--json")
    assert found.returncode == 0 and json.loads(found.stdout)[0]["case_reference"] == "IMP-001"
