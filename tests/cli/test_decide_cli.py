"""``casenotes decide --answers FILE.json``: as a real process and in-process.

Success prints the documented JSON outcome and exits 0. Every bad input exits 1 with a
message that names what to fix, and never a traceback.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from desktop_app.cli import main
from desktop_app.domain.decision_rules import decide

REPO = Path(__file__).resolve().parents[2]

ANSWERS: dict[str, Any] = {
    "organisation_sector": "voluntary",
    "concern": "immediate_risk",
    "purpose": "Tell the police a child is missing with an adult who has threatened them",
    "recipient_has_safeguarding_role": True,
    "identifiable": True,
    "anonymised_would_suffice": False,
    "confidential": True,
    "special_category": True,
    "legal_requirement": False,
    "informing_would_increase_risk": True,
    "objection_raised": False,
    "consent": "not_sought",
    "consent_not_sought_reason": "increase_risk_to_child",
}


def run_cli(*args: str, stdin: str | bytes | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO), "PYTHONIOENCODING": "utf-8"}
    data = stdin.encode("utf-8") if isinstance(stdin, str) else stdin
    completed = subprocess.run(
        [sys.executable, "-m", "desktop_app", *args],
        input=data,
        capture_output=True,
        cwd=REPO,
        env=env,
        timeout=60,
        check=False,
    )
    return subprocess.CompletedProcess(
        completed.args,
        completed.returncode,
        completed.stdout.decode("utf-8"),
        completed.stderr.decode("utf-8"),
    )


def write(tmp_path: Path, content: str | bytes, name: str = "answers.json") -> Path:
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


# --- Success ------------------------------------------------------------------------


def test_subprocess_prints_the_outcome_for_a_file(tmp_path: Path) -> None:
    path = write(tmp_path, json.dumps(ANSWERS))
    result = run_cli("decide", "--answers", str(path))
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    data = json.loads(result.stdout)
    assert data == decide(ANSWERS).to_json()
    assert data["recommendation"] == "share"
    assert data["inform"] == "do_not_inform"
    assert data["lawful_basis"] == ["legitimate_interests", "vital_interests"]
    assert data["article9_condition"] == "safeguarding_of_children_and_individuals_at_risk"
    assert {"follow_up_rationale", "reason_not_informed", "reasons_consent_not_sought"} <= set(data["must_record"])
    assert data["citations"]


def test_subprocess_reads_standard_input_with_dash() -> None:
    result = run_cli("decide", "--answers", "-", stdin=json.dumps(ANSWERS))
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["recommendation"] == "share"


def test_subprocess_accepts_a_utf8_bom_and_non_ascii_purpose(tmp_path: Path) -> None:
    answers = {**ANSWERS, "purpose": "Zoë’s school – referral"}
    path = write(tmp_path, "\ufeff" + json.dumps(answers, ensure_ascii=False))
    result = run_cli("decide", "--answers", str(path))
    assert result.returncode == 0, result.stderr


def test_in_process(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, json.dumps({**ANSWERS, "concern": "wellbeing", "consent": "not_sought",
                                       "consent_not_sought_reason": None,
                                       "informing_would_increase_risk": False}))
    assert main(["decide", "--answers", str(path)]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["recommendation"] == "seek_consent"


def test_in_process_standard_input(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    import io

    fake = io.TextIOWrapper(io.BytesIO(json.dumps(ANSWERS).encode()), encoding="utf-8")
    monkeypatch.setattr(sys, "stdin", fake)
    assert main(["decide", "--answers", "-"]) == 0
    assert json.loads(capsys.readouterr().out)["recommendation"] == "share"


# --- Invalid input: exit 1, a clear message, no traceback ---------------------------

INVALID: list[tuple[str, str | bytes, list[str]]] = [
    (
        "missing key",
        json.dumps({k: v for k, v in ANSWERS.items() if k != "concern"}),
        ["concern", "wellbeing, possible_harm, significant_harm, immediate_risk"],
    ),
    (
        "wrong enum",
        json.dumps({**ANSWERS, "consent": "maybe"}),
        ["consent", "given, refused, withdrawn, not_sought", "maybe"],
    ),
    (
        "wrong type",
        json.dumps({**ANSWERS, "confidential": "yes"}),
        ["confidential", "true or false"],
    ),
    (
        "number for a boolean",
        json.dumps({**ANSWERS, "identifiable": 1}),
        ["identifiable", "true or false"],
    ),
    (
        "reason when consent given",
        json.dumps({**ANSWERS, "consent": "given"}),
        ["consent_not_sought_reason", "null"],
    ),
    (
        "unknown key",
        json.dumps({**ANSWERS, "concen": "wellbeing"}),
        ["concen", "Did you mean 'concern'?"],
    ),
    ("empty purpose", json.dumps({**ANSWERS, "purpose": "  "}), ["purpose", "non-empty text"]),
    ("non-object: list", json.dumps([ANSWERS]), ["JSON object", "got a list"]),
    ("non-object: string", json.dumps("share"), ["JSON object", "got a text"]),
    ("non-object: null", "null", ["JSON object", "got null"]),
    ("non-object: number", "42", ["JSON object", "got a number"]),
    ("non-object: boolean", "true", ["JSON object", "got a boolean"]),
    ("bad JSON", '{"concern": "wellbeing",', ["not valid JSON", "line 1"]),
    ("trailing junk", json.dumps(ANSWERS) + " x", ["not valid JSON"]),
    ("empty file", "", ["empty"]),
    ("not UTF-8", b"\xff\xfe{\x00", ["UTF-8"]),
    ("duplicate key", '{"concern": "wellbeing", "concern": "immediate_risk"}', ["concern", "more than once"]),
    ("deep nesting", "[" * 100_000, ["nested too deeply"]),
]


@pytest.mark.parametrize(("case", "content", "expected"), INVALID, ids=[c[0] for c in INVALID])
def test_subprocess_invalid_input_exits_1_with_a_clear_message(
    tmp_path: Path, case: str, content: str | bytes, expected: list[str]
) -> None:
    path = write(tmp_path, content)
    result = run_cli("decide", "--answers", str(path))
    assert result.returncode == 1, (case, result.stdout)
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith("casenotes: ")
    for text in expected:
        assert text in result.stderr, (case, result.stderr)


@pytest.mark.parametrize(("case", "content", "expected"), INVALID, ids=[c[0] for c in INVALID])
def test_in_process_invalid_input_returns_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], case: str, content: str | bytes, expected: list[str]
) -> None:
    path = write(tmp_path, content)
    assert main(["decide", "--answers", str(path)]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    for text in expected:
        assert text in captured.err, (case, captured.err)


def test_invalid_standard_input() -> None:
    result = run_cli("decide", "--answers", "-", stdin="[1, 2]")
    assert result.returncode == 1
    assert "standard input" in result.stderr and "JSON object" in result.stderr


def test_missing_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "nope.json"
    result = run_cli("decide", "--answers", str(missing))
    assert result.returncode == 1
    assert "does not exist" in result.stderr and str(missing) in result.stderr
    assert "Traceback" not in result.stderr
    assert main(["decide", "--answers", str(missing)]) == 1
    assert "does not exist" in capsys.readouterr().err


def test_folder_instead_of_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["decide", "--answers", str(tmp_path)]) == 1
    assert "folder" in capsys.readouterr().err


def test_oversized_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, " " * 1_000_001)
    assert main(["decide", "--answers", str(path)]) == 1
    assert "larger than" in capsys.readouterr().err


def test_answers_option_is_required() -> None:
    result = run_cli("decide")
    assert result.returncode == 1
    assert "--answers" in result.stderr
    assert "Traceback" not in result.stderr


def test_help_mentions_the_contract() -> None:
    result = run_cli("decide", "--help")
    assert result.returncode == 0
    assert "decision-api.md" in result.stdout
