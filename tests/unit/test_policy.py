"""Organisation policy (pure domain): parsing, hostile files, precedence, escrow pinning,
clamping of a person's own settings, and the JSON schema staying in step with the parser."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pyrage
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from desktop_app.domain.policy import (
    DEFAULT_CLIPBOARD_CLEAR_SECONDS,
    DEFAULT_FOLLOW_UP_DEADLINE_HOURS,
    DEFAULT_IDLE_LOCK_MINUTES,
    DEFAULT_PROTECTIVE_MARKING,
    EXPORT_FORMATS,
    KEYS_BY_NAME,
    KNOWN_FILE_KEYS,
    MAX_POLICY_BYTES,
    POLICY_KEYS,
    SETTING_KEYS,
    Policy,
    PolicySource,
    UserSettings,
    decode_policy_file,
    effective_settings,
    escrow_fingerprint,
    expand_vault_location,
    fail_closed_keys,
    parse_policy,
    registry_source,
    resolve_policy,
    validate_setting,
)

ROOT = Path(__file__).resolve().parents[2]
SCHEMA_PATH = ROOT / "resources" / "policy.schema.json"
EXAMPLE_PATH = ROOT / "packaging" / "policy.example.json"
RECIPIENT = str(pyrage.x25519.Identity.generate().to_public())
OTHER_RECIPIENT = str(pyrage.x25519.Identity.generate().to_public())


def from_json(obj: Any, registry: dict[str, object] | None = None, **kwargs: Any) -> Policy:
    return parse_policy(json.dumps(obj).encode(), registry, **kwargs)


def problem_keys(policy: Policy) -> list[str | None]:
    return [p.key for p in policy.problems]


# ---------------------------------------------------------------------------------------
# No policy, good policy
# ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("data", [b"", b"   \n\t ", b"\xef\xbb\xbf", b"\xef\xbb\xbf \n"])
def test_empty_file_is_no_policy(data: bytes) -> None:
    policy = parse_policy(data)
    assert policy == Policy()
    assert not policy.problems and not policy.notices and not policy.set_by_policy


def test_defaults_are_the_safe_baseline() -> None:
    policy = Policy()
    assert policy.idle_lock_minutes == DEFAULT_IDLE_LOCK_MINUTES == 5
    assert policy.follow_up_deadline_hours == DEFAULT_FOLLOW_UP_DEADLINE_HOURS == 24
    assert policy.clipboard_clear_seconds == DEFAULT_CLIPBOARD_CLEAR_SECONDS == 30
    assert policy.allowed_export_formats == ("pdf", "age")
    assert policy.protective_marking == DEFAULT_PROTECTIVE_MARKING == "OFFICIAL-SENSITIVE"
    assert policy.clipboard_allow_copy is True
    assert not policy.escrow_enabled
    assert set(policy.values()) == SETTING_KEYS


def test_a_full_valid_policy_is_applied() -> None:
    policy = from_json(
        {
            "schema_version": 1,
            "organisation_name": "  Ysgol Gynradd Llanŵ  ",
            "organisation_sector": "Voluntary",
            "idle_lock_minutes": 2,
            "lock_on_minimise": True,
            "follow_up_deadline_hours": 12,
            "allowed_export_formats": ["age"],
            "protective_marking": "OFFICIAL",
            "escrow_public_key": RECIPIENT,
            "escrow_fingerprint": escrow_fingerprint(RECIPIENT),
            "clipboard_allow_copy": False,
            "clipboard_clear_seconds": 10,
            "vault_location": "/srv/casenotes",
            "retention_years_after_closure": 25,
        }
    )
    assert policy.problems == ()
    assert policy.organisation_name == "Ysgol Gynradd Llanŵ"
    assert policy.organisation_sector == "voluntary"
    assert policy.idle_lock_minutes == 2
    assert policy.lock_on_minimise is True
    assert policy.follow_up_deadline_hours == 12
    assert policy.allowed_export_formats == ("age",)
    assert policy.allows_export("age") and not policy.allows_export("pdf")
    assert policy.protective_marking == "OFFICIAL"
    assert policy.escrow_enabled
    assert policy.escrow_public_key == RECIPIENT
    assert policy.escrow_fingerprint == escrow_fingerprint(RECIPIENT)
    assert policy.clipboard_allow_copy is False
    assert policy.clipboard_clear_seconds == 10
    assert policy.vault_location == "/srv/casenotes"
    assert policy.retention_years_after_closure == 25
    assert policy.set_by_policy == SETTING_KEYS
    assert all(policy.source_of(key) == "file" for key in SETTING_KEYS)


def test_follow_up_due_uses_the_policy_deadline() -> None:
    start = datetime(2025, 3, 1, 9, 30)
    assert Policy().follow_up_due(start) == start + timedelta(hours=24)
    assert from_json({"follow_up_deadline_hours": 4}).follow_up_due(start) == start + timedelta(hours=4)


# ---------------------------------------------------------------------------------------
# Invalid values: a clear message naming the key, and the safe default
# ---------------------------------------------------------------------------------------
INVALID_VALUES: list[tuple[str, object, object]] = [
    ("idle_lock_minutes", 0, 5),
    ("idle_lock_minutes", -1, 5),
    ("idle_lock_minutes", 61, 5),
    ("idle_lock_minutes", 100000, 5),
    ("idle_lock_minutes", "2", 5),
    ("idle_lock_minutes", 2.5, 5),
    ("idle_lock_minutes", 2.0, 5),
    ("idle_lock_minutes", True, 5),
    ("idle_lock_minutes", None, 5),
    ("idle_lock_minutes", [2], 5),
    ("follow_up_deadline_hours", 0, 24),
    ("follow_up_deadline_hours", 169, 24),
    ("clipboard_clear_seconds", 4, 30),
    ("clipboard_clear_seconds", 601, 30),
    # IT sets these only to restrict, so a value that cannot be read fails closed.
    ("clipboard_allow_copy", "no", False),
    ("clipboard_allow_copy", 0, False),
    ("lock_on_minimise", "yes", True),
    ("organisation_sector", "charity", None),
    ("organisation_sector", 3, None),
    ("organisation_name", "", None),
    ("organisation_name", "A\nB", None),
    ("organisation_name", "x" * 201, None),
    ("protective_marking", "x" * 65, "OFFICIAL-SENSITIVE"),
    ("protective_marking", "OFFICIAL\u0007", "OFFICIAL-SENSITIVE"),
    ("protective_marking", "   ", "OFFICIAL-SENSITIVE"),
    ("protective_marking", 12, "OFFICIAL-SENSITIVE"),
    ("allowed_export_formats", "pdf", ("pdf", "age")),
    ("allowed_export_formats", {"pdf": True}, ("pdf", "age")),
    ("retention_years_after_closure", 0, None),
    ("retention_years_after_closure", 101, None),
    ("vault_location", "", None),
    ("vault_location", 5, None),
    ("vault_location", "relative/folder", None),
    ("escrow_public_key", "age1notakey", None),
    ("escrow_public_key", 42, None),
    ("escrow_fingerprint", "SHA1:abcd", None),
    ("escrow_fingerprint", "SHA256:" + "g" * 64, None),
]


@pytest.mark.parametrize(("key", "value", "expected"), INVALID_VALUES)
def test_invalid_value_names_the_key_and_falls_back_to_default(key: str, value: object, expected: object) -> None:
    policy = from_json({key: value})
    assert getattr(policy, key) == expected
    assert key in problem_keys(policy)
    message = next(p.message for p in policy.problems if p.key == key)
    assert "policy file" in message or key.startswith("escrow") or key == "vault_location"
    assert key in policy.set_by_policy  # IT did try to set it: the settings screen shows that


def test_an_invalid_idle_lock_never_means_no_lock() -> None:
    for value in (0, -5, 10**6, None, "never", False):
        policy = from_json({"idle_lock_minutes": value})
        assert 1 <= policy.idle_lock_minutes <= DEFAULT_IDLE_LOCK_MINUTES


@pytest.mark.parametrize("marking", ["O" * 64, "OFFICIAL", "CONFIDENTIAL – NOT FOR CIRCULATION"])
def test_protective_marking_up_to_64_printable_characters(marking: str) -> None:
    policy = from_json({"protective_marking": marking})
    assert policy.protective_marking == marking and not policy.problems


def test_export_formats_fail_closed_on_unknown_entries() -> None:
    policy = from_json({"allowed_export_formats": ["PDF", "docx", " age "]})
    assert policy.allowed_export_formats == ("pdf", "age")
    assert problem_keys(policy) == ["allowed_export_formats"]

    only_unknown = from_json({"allowed_export_formats": ["docx", 3]})
    assert only_unknown.allowed_export_formats == ()  # stricter, never "everything"
    assert "exporting is turned off" in only_unknown.problems[0].message

    empty = from_json({"allowed_export_formats": []})
    assert empty.allowed_export_formats == () and not empty.problems

    dupes = from_json({"allowed_export_formats": ["age", "age", "pdf"]})
    assert dupes.allowed_export_formats == ("pdf", "age") and not dupes.problems


def test_validate_setting_for_tools_and_forms() -> None:
    assert validate_setting("idle_lock_minutes", 10) == 10
    with pytest.raises(ValueError, match="idle_lock_minutes must be from 1 to 60"):
        validate_setting("idle_lock_minutes", 0)
    with pytest.raises(KeyError):
        validate_setting("no_such_key", 1)


# ---------------------------------------------------------------------------------------
# Hostile and malformed files
# ---------------------------------------------------------------------------------------
def whole_file_rejected(policy: Policy) -> bool:
    """The file was ignored: built-in defaults, except the keys that fail closed."""
    expected = Policy().values()
    for key in fail_closed_keys():
        expected[key] = KEYS_BY_NAME[key].fail_closed
    return (
        policy.values() == expected
        and policy.set_by_policy == frozenset(fail_closed_keys())
        and len(policy.problems) == 1
        and policy.problems[0].key is None
    )


def test_fail_closed_keys_are_the_ones_whose_default_is_looser() -> None:
    """An unusable policy must never leave settings looser than IT meant: copying is the
    default and not locking on minimise is the default, so those two fail closed."""
    assert set(fail_closed_keys()) == {"clipboard_allow_copy", "lock_on_minimise"}
    policy = parse_policy(b"{not json", file_location="/etc/casenotes/policy.json")
    assert policy.clipboard_allow_copy is False and policy.lock_on_minimise is True
    assert policy.idle_lock_minutes == DEFAULT_IDLE_LOCK_MINUTES  # already the strict default
    message = policy.problems[0].message
    assert "copying from records is turned off" in message and "locks when minimised" in message
    settings = effective_settings(policy, UserSettings(clipboard_allow_copy=True, lock_on_minimise=False))
    assert settings.copy_forbidden and settings.minimise_lock_required
    assert not settings.clipboard_allow_copy and settings.lock_on_minimise


def test_a_valid_file_beside_broken_group_policy_still_decides_its_keys() -> None:
    """Only keys nobody set fail closed: IT's readable value in the other source stands."""
    readable = decode_policy_file(b'{"clipboard_allow_copy": true}', "/etc/casenotes/policy.json")
    broken = PolicySource("registry", "HKLM", {}, (), unusable=True)
    policy = resolve_policy([readable, broken])
    assert policy.clipboard_allow_copy is True
    assert policy.lock_on_minimise is True


def test_problem_summary_names_settings_in_words() -> None:
    policy = from_json({"idle_lock_minutes": "soon", "clipboard_allow_copy": "no"})
    summary = policy.problem_summary()
    assert "Lock after idle" in summary and "Copying to the clipboard allowed" in summary
    assert parse_policy(b"[1]").problem_summary() == "the policy as a whole"
    assert Policy().problem_summary() == ""


def test_file_larger_than_1_mib_is_rejected() -> None:
    data = b'{"organisation_name": "' + b"x" * MAX_POLICY_BYTES + b'"}'
    policy = parse_policy(data)
    assert whole_file_rejected(policy)
    assert "larger than 1024 KiB" in policy.problems[0].message


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (b'{"organisation_name": "caf\xe9"}', "not valid UTF-8"),
        ('{"idle_lock_minutes": 2}'.encode("utf-16"), "UTF-16"),
        (b"\x00\x01\x02", "not valid JSON"),
        (b"{idle_lock_minutes: 2}", "not valid JSON"),
        (b'{"idle_lock_minutes": 2,}', "not valid JSON"),
        (b'{"idle_lock_minutes": 2} {"x": 1}', "not valid JSON"),
        (b"[1, 2, 3]", "a list"),
        (b'"idle_lock_minutes"', "text"),
        (b"42", "a number"),
        (b"null", "null"),
        (b"true", "true/false"),
        (b"[" * 100_000 + b"]" * 100_000, "nested too deeply"),
        (b'{"a": ' * 50_000 + b"1" + b"}" * 50_000, "nested too deeply"),
    ],
)
def test_unparseable_file_is_rejected_whole_with_a_clear_message(data: bytes, words: str) -> None:
    policy = parse_policy(data, file_location="/etc/casenotes/policy.json")
    assert whole_file_rejected(policy)
    message = policy.problems[0].message
    assert words in message
    assert "/etc/casenotes/policy.json" in message
    assert "defaults apply" in message and "copying from records is turned off" in message


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity", "1e999", "-1e999"])
def test_non_finite_numbers_cost_only_their_key(constant: str) -> None:
    data = f'{{"idle_lock_minutes": {constant}, "follow_up_deadline_hours": 6}}'.encode()
    policy = parse_policy(data)
    assert policy.idle_lock_minutes == 5
    assert policy.follow_up_deadline_hours == 6
    assert problem_keys(policy) == ["idle_lock_minutes"]


def test_huge_integers_cost_only_their_key() -> None:
    data = b'{"clipboard_clear_seconds": ' + b"9" * 5000 + b', "idle_lock_minutes": 3, "x": -' + b"1" * 10_000 + b"}"
    policy = parse_policy(data)
    assert policy.clipboard_clear_seconds == 30
    assert policy.idle_lock_minutes == 3
    assert problem_keys(policy) == ["clipboard_clear_seconds"]
    assert "5000-digit number" in policy.problems[0].message
    assert len(policy.problems[0].message) < 300


def test_moderately_nested_values_are_just_wrong_types() -> None:
    nested = "[" * 200 + "]" * 200
    data = f'{{"idle_lock_minutes": {nested}, "unknown": {nested}, "lock_on_minimise": true}}'.encode()
    policy = parse_policy(data)
    assert policy.idle_lock_minutes == 5 and policy.lock_on_minimise is True
    assert problem_keys(policy) == ["idle_lock_minutes"]


def test_duplicated_key_is_ambiguous_so_only_that_key_is_ignored() -> None:
    """The safer behaviour: rejecting the whole file would silently loosen every other
    restriction IT set, so only the ambiguous key falls back to its default."""
    data = b'{"idle_lock_minutes": 60, "clipboard_allow_copy": false, "idle_lock_minutes": 1}'
    policy = parse_policy(data)
    assert policy.idle_lock_minutes == 5
    assert policy.clipboard_allow_copy is False
    assert problem_keys(policy) == ["idle_lock_minutes"]
    assert "more than once" in policy.problems[0].message


def test_duplicated_escrow_key_turns_escrow_off() -> None:
    fp = escrow_fingerprint(RECIPIENT)
    data = json.dumps({"escrow_fingerprint": fp}).encode()[:-1]
    data += f', "escrow_public_key": "{RECIPIENT}", "escrow_public_key": "{OTHER_RECIPIENT}"}}'.encode()
    policy = parse_policy(data)
    assert not policy.escrow_enabled
    assert "escrow_public_key" in problem_keys(policy)


def test_unknown_keys_are_noticed_and_ignored() -> None:
    policy = from_json({"idle_lock_minutes": 3, "colour": "blue", "x" * 500: 1})
    assert policy.idle_lock_minutes == 3
    assert policy.problems == ()
    notice_keys = [n.key for n in policy.notices]
    assert "colour" in notice_keys
    assert all(len(str(key)) <= 60 for key in notice_keys)


def test_many_unknown_keys_give_a_bounded_number_of_notices() -> None:
    policy = from_json({f"k{i}": i for i in range(5000)})
    assert len(policy.notices) <= 21
    assert "4980 more" in policy.notices[-1].message


def test_near_miss_key_names_are_problems_not_silent() -> None:
    policy = from_json({"Idle_Lock_Minutes": 2, "lock-on-minimise": True})
    assert policy.idle_lock_minutes == 5 and policy.lock_on_minimise is False
    assert sorted(str(k) for k in problem_keys(policy)) == ["idle_lock_minutes", "lock_on_minimise"]
    assert "Rename it to idle_lock_minutes" in " ".join(p.message for p in policy.problems)


def test_lone_surrogates_and_control_characters_are_rejected_safely() -> None:
    policy = parse_policy(b'{"organisation_name": "Oak\\ud800", "protective_marking": "A\\u0000B"}')
    assert policy.organisation_name is None
    assert policy.protective_marking == DEFAULT_PROTECTIVE_MARKING
    for problem in policy.problems:
        problem.message.encode("utf-8")  # printable in any terminal, no lone surrogate


@pytest.mark.parametrize(
    ("version", "problem", "notice"), [(1, False, False), (2, False, True), ("1", True, False), (0, True, False)]
)
def test_schema_version(version: object, problem: bool, notice: bool) -> None:
    policy = from_json({"schema_version": version, "idle_lock_minutes": 2})
    assert policy.idle_lock_minutes == 2  # settings still apply
    assert ("schema_version" in problem_keys(policy)) is problem
    assert ("schema_version" in [n.key for n in policy.notices]) is notice
    assert "schema_version" not in policy.set_by_policy


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=2048))
def test_arbitrary_bytes_never_crash_and_never_loosen(data: bytes) -> None:
    assert_within_safe_bounds(parse_policy(data))


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=80),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=10,
)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.sampled_from(sorted(KNOWN_FILE_KEYS)) | st.text(max_size=20), JSON_VALUES, max_size=14))
def test_arbitrary_json_objects_never_crash_and_never_loosen(obj: dict[str, Any]) -> None:
    policy = from_json(obj)
    assert_within_safe_bounds(policy)
    for spec in POLICY_KEYS:
        if spec.name not in obj:
            assert policy.source_of(spec.name) == "default"


def assert_within_safe_bounds(policy: Policy) -> None:
    assert 1 <= policy.idle_lock_minutes <= 60
    assert 1 <= policy.follow_up_deadline_hours <= 168
    assert 5 <= policy.clipboard_clear_seconds <= 600
    assert set(policy.allowed_export_formats) <= set(EXPORT_FORMATS)
    assert 0 < len(policy.protective_marking) <= 64 and policy.protective_marking.isprintable()
    assert policy.retention_years_after_closure is None or 1 <= policy.retention_years_after_closure <= 100
    if policy.escrow_enabled:
        assert policy.escrow_fingerprint == escrow_fingerprint(str(policy.escrow_public_key))
    for item in (*policy.problems, *policy.notices):
        assert item.message.strip()


# ---------------------------------------------------------------------------------------
# Group Policy (registry) mapping and precedence
# ---------------------------------------------------------------------------------------
def test_registry_values_map_to_policy_types() -> None:
    policy = parse_policy(
        registry={
            "": "the (Default) value is ignored",
            "Organisation_Name": "Oak Tree Primary School",  # registry names ignore case
            "organisation_sector": "public",
            "idle_lock_minutes": 3,  # REG_DWORD
            "follow_up_deadline_hours": "12",  # REG_SZ digits
            "lock_on_minimise": 1,
            "clipboard_allow_copy": 0,
            "clipboard_clear_seconds": 15,
            "allowed_export_formats": "age",  # the ADMX enum writes a REG_SZ list
            "protective_marking": "OFFICIAL",
            "vault_location": "/srv/vaults",
            "retention_years_after_closure": 7,
        }
    )
    assert policy.problems == ()
    assert policy.organisation_name == "Oak Tree Primary School"
    assert policy.idle_lock_minutes == 3 and policy.follow_up_deadline_hours == 12
    assert policy.lock_on_minimise is True and policy.clipboard_allow_copy is False
    assert policy.allowed_export_formats == ("age",)
    assert policy.retention_years_after_closure == 7
    assert policy.source_of("idle_lock_minutes") == "registry"
    assert "organisation_name" in policy.set_by_policy


@pytest.mark.parametrize(
    ("value", "expected"),
    [("pdf,age", ("pdf", "age")), ("age; pdf", ("pdf", "age")), (["age"], ("age",)), ("", ())],
)
def test_registry_export_formats(value: object, expected: tuple[str, ...]) -> None:
    assert parse_policy(registry={"allowed_export_formats": value}).allowed_export_formats == expected


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("lock_on_minimise", 2),
        ("idle_lock_minutes", b"\x01\x00\x00\x00"),
        ("idle_lock_minutes", 0xFFFFFFFF),
        ("organisation_name", 7),
        ("escrow_public_key", ["age1", "x"]),
    ],
)
def test_invalid_registry_values_fall_back_with_a_problem(key: str, value: object) -> None:
    policy = parse_policy(registry={key: value})
    assert key in problem_keys(policy)
    assert "Group Policy" in next(p.message for p in policy.problems if p.key == key)
    assert_within_safe_bounds(policy)


def test_registry_wins_over_file_and_the_conflict_is_noticed() -> None:
    policy = from_json(
        {"idle_lock_minutes": 10, "protective_marking": "OFFICIAL", "follow_up_deadline_hours": 8},
        {"idle_lock_minutes": 2, "protective_marking": "OFFICIAL"},
    )
    assert policy.idle_lock_minutes == 2 and policy.source_of("idle_lock_minutes") == "registry"
    assert policy.follow_up_deadline_hours == 8 and policy.source_of("follow_up_deadline_hours") == "file"
    conflicts = [n for n in policy.notices if n.key == "idle_lock_minutes"]
    assert len(conflicts) == 1 and "Group Policy wins" in conflicts[0].message
    assert "protective_marking" not in [n.key for n in policy.notices]  # same value: no conflict


def test_invalid_registry_value_still_wins_so_precedence_is_predictable() -> None:
    policy = from_json({"idle_lock_minutes": 2}, {"idle_lock_minutes": 0})
    assert policy.idle_lock_minutes == 5
    assert "idle_lock_minutes" in problem_keys(policy)
    assert "idle_lock_minutes" in [n.key for n in policy.notices]


def test_registry_with_too_many_values_is_ignored() -> None:
    policy = parse_policy(registry={f"v{i}": i for i in range(1000)} | {"idle_lock_minutes": 2})
    assert policy.idle_lock_minutes == 5
    assert problem_keys(policy) == [None]


def test_registry_names_differing_only_in_case_are_ambiguous() -> None:
    source = registry_source({"idle_lock_minutes": 2, "IDLE_LOCK_MINUTES": 50})
    policy = resolve_policy([source])
    assert policy.idle_lock_minutes == 5
    assert "idle_lock_minutes" in problem_keys(policy)


# ---------------------------------------------------------------------------------------
# Escrow: pinned or off
# ---------------------------------------------------------------------------------------
def test_escrow_fingerprint_format_and_value() -> None:
    fp = escrow_fingerprint(RECIPIENT)
    assert fp == "SHA256:" + hashlib.sha256(RECIPIENT.encode()).hexdigest()
    assert fp.startswith("SHA256:") and len(fp) == 7 + 64 and fp[7:] == fp[7:].lower()
    assert escrow_fingerprint(RECIPIENT.upper()) == fp
    assert escrow_fingerprint(OTHER_RECIPIENT) != fp


def test_escrow_on_when_pinned_and_matching() -> None:
    policy = from_json(
        {
            "escrow_public_key": RECIPIENT,
            "escrow_fingerprint": escrow_fingerprint(RECIPIENT).upper().replace("SHA256", "sha256"),
        }
    )
    assert policy.escrow_enabled and not policy.problems
    assert policy.escrow_fingerprint == escrow_fingerprint(RECIPIENT)


def test_escrow_recipient_written_in_upper_case_is_canonicalised() -> None:
    policy = from_json({"escrow_public_key": RECIPIENT.upper(), "escrow_fingerprint": escrow_fingerprint(RECIPIENT)})
    assert policy.escrow_enabled and policy.escrow_public_key == RECIPIENT


def test_escrow_off_when_fingerprint_does_not_match() -> None:
    policy = from_json({"escrow_public_key": RECIPIENT, "escrow_fingerprint": escrow_fingerprint(OTHER_RECIPIENT)})
    assert not policy.escrow_enabled
    assert policy.escrow_public_key is None and policy.escrow_fingerprint is None
    (problem,) = policy.problems
    assert problem.key == "escrow_fingerprint"
    assert "does not match" in problem.message and "Escrow is turned off" in problem.message
    assert {"escrow_public_key", "escrow_fingerprint"} <= policy.set_by_policy


def test_escrow_off_when_not_pinned() -> None:
    policy = from_json({"escrow_public_key": RECIPIENT})
    assert not policy.escrow_enabled and policy.escrow_public_key is None
    assert problem_keys(policy) == ["escrow_fingerprint"]
    assert escrow_fingerprint(RECIPIENT) in policy.problems[0].message


def test_escrow_off_when_pinned_without_a_key() -> None:
    policy = from_json({"escrow_fingerprint": escrow_fingerprint(RECIPIENT)})
    assert not policy.escrow_enabled and policy.escrow_fingerprint is None
    assert problem_keys(policy) == ["escrow_fingerprint"]


def test_escrow_off_when_the_key_is_invalid_even_if_pinned() -> None:
    bad = "age1" + "q" * 58
    policy = from_json({"escrow_public_key": bad, "escrow_fingerprint": escrow_fingerprint(bad)})
    assert not policy.escrow_enabled
    assert problem_keys(policy) == ["escrow_public_key"]
    assert "Escrow is turned off" in policy.problems[0].message


def test_escrow_off_when_the_pin_is_malformed() -> None:
    policy = from_json({"escrow_public_key": RECIPIENT, "escrow_fingerprint": "SHA256:abc"})
    assert not policy.escrow_enabled
    assert problem_keys(policy) == ["escrow_fingerprint"]


def test_a_private_key_in_policy_is_refused_and_never_echoed() -> None:
    secret = pyrage.x25519.Identity.generate()
    secret_text = str(secret)
    assert secret_text.startswith("AGE-SECRET-KEY-")
    policy = from_json({"escrow_public_key": secret_text, "escrow_fingerprint": escrow_fingerprint(secret_text)})
    assert not policy.escrow_enabled
    rendered = " ".join(p.message for p in (*policy.problems, *policy.notices))
    assert "PRIVATE key" in rendered
    assert secret_text not in rendered and secret_text[15:35] not in rendered
    assert secret_text not in repr(policy)


def test_escrow_key_and_pin_from_different_sources_must_still_match() -> None:
    policy = from_json({"escrow_public_key": RECIPIENT}, {"escrow_fingerprint": escrow_fingerprint(RECIPIENT)})
    assert policy.escrow_enabled
    swapped = from_json(
        {"escrow_public_key": RECIPIENT, "escrow_fingerprint": escrow_fingerprint(RECIPIENT)},
        {"escrow_public_key": OTHER_RECIPIENT},
    )
    assert not swapped.escrow_enabled
    assert "does not match" in " ".join(p.message for p in swapped.problems)


def test_escrow_from_an_untrusted_source_is_not_used() -> None:
    values = {
        "escrow_public_key": RECIPIENT,
        "escrow_fingerprint": escrow_fingerprint(RECIPIENT),
        "idle_lock_minutes": 2,
    }
    source = PolicySource("file", "/tmp/policy.json", values, trusted_for_escrow=False)
    policy = resolve_policy([source])
    assert not policy.escrow_enabled
    assert policy.idle_lock_minutes == 2  # restrictions still apply
    assert "anyone on this computer can change" in policy.problems[0].message


# ---------------------------------------------------------------------------------------
# vault_location expansion
# ---------------------------------------------------------------------------------------
WIN_ENV = {"LocalAppData": r"C:\Users\dsl\AppData\Local", "USERNAME": "dsl"}


def test_vault_location_expands_windows_variables_ignoring_case() -> None:
    policy = from_json({"vault_location": r"%LOCALAPPDATA%\CaseNotes\vault"}, environ=WIN_ENV, windows=True)
    assert policy.vault_location == r"C:\Users\dsl\AppData\Local\CaseNotes\vault"
    assert not policy.problems


def test_vault_location_with_an_unset_variable_uses_the_default_location() -> None:
    policy = from_json({"vault_location": r"%NOPE%\vault"}, environ=WIN_ENV, windows=True)
    assert policy.vault_location is None
    assert problem_keys(policy) == ["vault_location"]
    assert "%NOPE%" in policy.problems[0].message


@pytest.mark.parametrize(
    ("raw", "windows", "expected"),
    [
        ("~/CaseNotes", False, "/home/alex/CaseNotes"),
        ("~", False, "/home/alex"),
        (r"~\CaseNotes", True, r"C:\Users\alex\CaseNotes"),
        ("/data/100%%/vault", False, "/data/100%/vault"),
        (r"\\server\share\vault", True, r"\\server\share\vault"),
    ],
)
def test_expand_vault_location(raw: str, windows: bool, expected: str) -> None:
    home = r"C:\Users\alex" if windows else "/home/alex"
    assert expand_vault_location(raw, {}, home, windows=windows) == expected


@pytest.mark.parametrize(
    ("raw", "windows"), [("vault", False), (r"CaseNotes\vault", True), (r"\vault", True), ("~user/x", False)]
)
def test_expand_vault_location_requires_an_absolute_path(raw: str, windows: bool) -> None:
    with pytest.raises(ValueError, match="absolute"):
        expand_vault_location(raw, {}, "/home/alex", windows=windows)


# ---------------------------------------------------------------------------------------
# A person's own settings: stricter allowed, looser clamped
# ---------------------------------------------------------------------------------------
def test_user_may_be_stricter_than_policy() -> None:
    policy = from_json({"idle_lock_minutes": 10, "clipboard_clear_seconds": 60})
    user = UserSettings(
        idle_lock_minutes=2, clipboard_clear_seconds=10, lock_on_minimise=True, clipboard_allow_copy=False
    )
    eff = effective_settings(policy, user)
    assert (eff.idle_lock_minutes, eff.clipboard_clear_seconds) == (2, 10)
    assert eff.lock_on_minimise is True and eff.clipboard_allow_copy is False
    assert eff.clamped == frozenset()


def test_user_cannot_be_looser_than_policy() -> None:
    policy = from_json(
        {"idle_lock_minutes": 3, "clipboard_clear_seconds": 10, "clipboard_allow_copy": False, "lock_on_minimise": True}
    )
    user = UserSettings(
        idle_lock_minutes=30, clipboard_clear_seconds=300, lock_on_minimise=False, clipboard_allow_copy=True
    )
    eff = effective_settings(policy, user)
    assert eff.idle_lock_minutes == 3 and eff.clipboard_clear_seconds == 10
    assert eff.clipboard_allow_copy is False and eff.copy_forbidden
    assert eff.lock_on_minimise is True and eff.minimise_lock_required
    assert eff.clamped == {"idle_lock_minutes", "clipboard_clear_seconds", "clipboard_allow_copy", "lock_on_minimise"}
    assert eff.max_idle_lock_minutes == 3 and eff.max_clipboard_clear_seconds == 10


def test_without_policy_the_defaults_are_the_maximum() -> None:
    eff = effective_settings(Policy(), UserSettings(idle_lock_minutes=45))
    assert eff.idle_lock_minutes == 5 and "idle_lock_minutes" in eff.clamped


def test_user_zero_means_strictest_not_never() -> None:
    eff = effective_settings(Policy(), UserSettings(idle_lock_minutes=0, clipboard_clear_seconds=0))
    assert eff.idle_lock_minutes == 1 and eff.clipboard_clear_seconds == 5


def test_effective_settings_carry_the_organisation_values() -> None:
    policy = from_json(
        {"follow_up_deadline_hours": 6, "allowed_export_formats": ["pdf"], "protective_marking": "OFFICIAL"}
    )
    eff = effective_settings(policy, UserSettings())
    assert eff.follow_up_deadline_hours == 6
    assert eff.allowed_export_formats == ("pdf",)
    assert eff.protective_marking == "OFFICIAL"
    assert eff.set_by_policy == policy.set_by_policy


@settings(max_examples=300, deadline=None)
@given(
    policy_idle=st.integers(1, 60),
    policy_clear=st.integers(5, 600),
    policy_copy=st.booleans(),
    policy_minimise=st.booleans(),
    user_idle=st.integers(-(10**6), 10**6),
    user_clear=st.integers(-(10**6), 10**6),
    user_copy=st.booleans(),
    user_minimise=st.booleans(),
)
def test_effective_settings_are_never_looser_than_policy(
    policy_idle: int, policy_clear: int, policy_copy: bool, policy_minimise: bool,
    user_idle: int, user_clear: int, user_copy: bool, user_minimise: bool,
) -> None:  # fmt: skip
    policy = Policy(
        idle_lock_minutes=policy_idle, clipboard_clear_seconds=policy_clear,
        clipboard_allow_copy=policy_copy, lock_on_minimise=policy_minimise,
    )  # fmt: skip
    user = UserSettings(user_idle, user_minimise, user_copy, user_clear)
    eff = effective_settings(policy, user)
    assert 1 <= eff.idle_lock_minutes <= policy_idle
    assert 5 <= eff.clipboard_clear_seconds <= policy_clear
    assert eff.clipboard_allow_copy <= policy_copy and eff.clipboard_allow_copy <= user_copy
    assert eff.lock_on_minimise >= policy_minimise and eff.lock_on_minimise >= user_minimise
    if 1 <= user_idle <= policy_idle:
        assert eff.idle_lock_minutes == user_idle  # a stricter or equal choice is honoured


def test_user_settings_round_trip_through_storage() -> None:
    user = UserSettings(
        idle_lock_minutes=3, lock_on_minimise=True, clipboard_allow_copy=False, clipboard_clear_seconds=12
    )
    assert UserSettings.from_stored(user.to_stored()) == user


def test_user_settings_from_damaged_storage_use_defaults() -> None:
    stored = {
        "idle_lock_minutes": "ten",
        "clipboard_clear_seconds": "9" * 50,
        "lock_on_minimise": "maybe",
        "other": "x",
    }
    assert UserSettings.from_stored(stored) == UserSettings()


# ---------------------------------------------------------------------------------------
# The JSON schema stays in step with the parser
# ---------------------------------------------------------------------------------------
def load_schema() -> dict[str, Any]:
    schema: dict[str, Any] = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    return schema


def test_schema_properties_are_exactly_the_parser_keys() -> None:
    assert set(load_schema()["properties"]) == set(KNOWN_FILE_KEYS)


def test_schema_defaults_and_ranges_match_the_parser() -> None:
    props = load_schema()["properties"]
    for spec in POLICY_KEYS:
        prop = props[spec.name]
        if "default" in prop:
            default = spec.default
            assert prop["default"] == (list(default) if isinstance(default, tuple) else default), spec.name
        if spec.minimum is not None:
            assert (prop["minimum"], prop["maximum"]) == (spec.minimum, spec.maximum), spec.name
    assert props["allowed_export_formats"]["items"]["enum"] == list(EXPORT_FORMATS)


def test_example_policy_is_valid_for_the_parser() -> None:
    data = EXAMPLE_PATH.read_bytes()
    policy = parse_policy(data, environ={"LOCALAPPDATA": r"C:\Users\dsl\AppData\Local"}, windows=True)
    assert policy.problems == () and policy.notices == ()
    assert policy.escrow_enabled
    assert policy.set_by_policy == SETTING_KEYS


def test_example_policies_validate_against_the_schema() -> None:
    import jsonschema  # a test dependency: the schema IT validates against is checked here

    schema = load_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    good = [
        json.loads(EXAMPLE_PATH.read_text(encoding="utf-8")),
        {},
        {"schema_version": 1, "idle_lock_minutes": 1, "allowed_export_formats": []},
        {"escrow_public_key": RECIPIENT, "escrow_fingerprint": escrow_fingerprint(RECIPIENT)},
    ]
    for example in good:
        assert not list(validator.iter_errors(example)), example
        assert from_json(example, environ={"LOCALAPPDATA": "C:\\x"}, windows=True).problems == ()
    bad = [
        {"idle_lock_minutes": 0},
        {"idle_lock_minutes": "5"},
        {"allowed_export_formats": ["docx"]},
        {"protective_marking": "x" * 65},
        {"escrow_fingerprint": "SHA256:ABC"},
        {"escrow_public_key": "AGE-SECRET-KEY-1QQQ"},
        {"colour": "blue"},
        {"schema_version": 2},
    ]
    for example in bad:
        assert list(validator.iter_errors(example)), example


def test_decode_policy_file_keeps_location_and_trust() -> None:
    source = decode_policy_file(b'{"idle_lock_minutes": 2}', "/etc/casenotes/policy.json", trusted_for_escrow=False)
    assert source.kind == "file" and source.location == "/etc/casenotes/policy.json"
    assert dict(source.values) == {"idle_lock_minutes": 2}
    assert source.trusted_for_escrow is False
