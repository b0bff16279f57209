"""Organisation policy: what IT sets, what a person may change, and how the two combine.

Policy comes from up to two sources, read by ``desktop_app.services.policy_loader``: a JSON
file in a system folder and, on Windows, Group Policy values under
``HKLM\\Software\\Policies\\CaseNotes``. This module is pure: it turns the raw values of
those sources into one frozen ``Policy``, and clamps a person's own ``UserSettings`` to it.

The rules that shape everything here:

* **Never a crash, never looser.** A policy that cannot be read, or a value that is wrong,
  produces a ``PolicyProblem`` that names the key and says what was used instead. What is
  used instead is the built-in default, and the defaults are the safe baseline (a 5-minute
  idle lock, copying allowed but cleared after 30 seconds, both export formats). A bad value
  never turns a protection off: an ``idle_lock_minutes`` of 0 or 900 falls back to 5, not
  to "never lock".
* **Keep every good value.** One bad or hostile value (a duplicated key, ``NaN``, a 5,000
  digit number) rejects that key only. Throwing away the whole file would silently loosen
  every other restriction IT made; only a file that cannot be parsed at all (not UTF-8,
  not JSON, not an object, too large, nested absurdly deep) is ignored as a whole.
* **Group Policy wins.** When both sources set a key, the registry value is used and a
  ``PolicyNotice`` records the disagreement.
* **Escrow is pinned or it is off.** An escrow public key is used only when IT has also
  pinned its fingerprint and the two match; otherwise no escrow slot is written and a
  problem explains why. A vault is never escrowed to a key nobody vouched for.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import PureWindowsPath
from types import MappingProxyType
from typing import Literal

SCHEMA_VERSION = 1
MAX_POLICY_BYTES = 1024 * 1024
MAX_REGISTRY_VALUES = 256
MAX_REPORTED_UNKNOWN = 20

SECTORS = ("public", "voluntary", "private")
#: The sectors in words (the lawful bases the wizard suggests depend on the sector).
SECTOR_NAMES = {
    "public": "Public body",
    "voluntary": "Voluntary or community organisation",
    "private": "Private organisation",
}
EXPORT_FORMATS = ("pdf", "age")

DEFAULT_IDLE_LOCK_MINUTES = 5
MIN_IDLE_LOCK_MINUTES = 1
MAX_IDLE_LOCK_MINUTES = 60
DEFAULT_FOLLOW_UP_DEADLINE_HOURS = 24
MIN_FOLLOW_UP_DEADLINE_HOURS = 1
MAX_FOLLOW_UP_DEADLINE_HOURS = 168
DEFAULT_CLIPBOARD_CLEAR_SECONDS = 30
MIN_CLIPBOARD_CLEAR_SECONDS = 5
MAX_CLIPBOARD_CLEAR_SECONDS = 600
MIN_RETENTION_YEARS = 1
MAX_RETENTION_YEARS = 100
DEFAULT_PROTECTIVE_MARKING = "OFFICIAL-SENSITIVE"
MAX_PROTECTIVE_MARKING = 64
MAX_ORGANISATION_NAME = 200
MAX_VAULT_LOCATION = 1024

REGISTRY_KEY_PATH = r"HKLM\Software\Policies\CaseNotes"
SCHEMA_VERSION_KEY = "schema_version"

Source = Literal["default", "file", "registry"]
SOURCE_LABELS: Mapping[str, str] = MappingProxyType(
    {"default": "built-in default", "file": "policy file", "registry": "Group Policy"}
)

_FINGERPRINT_RE = re.compile(r"^sha256:([0-9a-f]{64})$", re.IGNORECASE)
_ENV_VAR_RE = re.compile(r"%([^%]*)%")


# ---------------------------------------------------------------------------------------
# Results
# ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class PolicyProblem:
    """Something IT set that could not be used. ``key`` is None for a whole source."""

    key: str | None
    message: str

    def __str__(self) -> str:
        return f"{self.key}: {self.message}" if self.key else self.message


@dataclass(frozen=True)
class PolicyNotice:
    """Worth knowing but harmless: an unknown key, both sources setting the same key."""

    key: str | None
    message: str

    def __str__(self) -> str:
        return f"{self.key}: {self.message}" if self.key else self.message


@dataclass(frozen=True)
class PolicySource:
    """The raw values of one source, before validation.

    ``kind`` is "file" or "registry"; ``location`` is what a person would look for (a path
    or a registry key). ``values`` holds JSON-like values (str, int, bool, float, list,
    dict, or a marker for something unusable). ``trusted_for_escrow`` is False when the
    file could be changed by anyone on the computer, so an escrow key in it is not used.
    ``unusable`` is True when the source exists but could not be used at all (unreadable,
    not JSON, too large): IT meant to set something, so the keys that fail closed do.
    """

    kind: Literal["file", "registry"]
    location: str
    values: Mapping[str, object] = field(default_factory=dict)
    problems: tuple[PolicyProblem, ...] = ()
    notices: tuple[PolicyNotice, ...] = ()
    trusted_for_escrow: bool = True
    unusable: bool = False


@dataclass(frozen=True)
class Policy:
    """The effective organisation policy: every value is usable as it stands.

    ``set_by_policy`` names the keys IT set (even if a value was invalid and the default was
    used instead), so the settings screen can show them as "set by your organisation".
    ``sources`` maps every key to "default", "file" or "registry"; ``origins`` maps
    "file"/"registry" to the path or registry key that was read.
    ``escrow_public_key`` and ``escrow_fingerprint`` are both None unless escrow is
    enabled: a key whose pinned fingerprint is missing or wrong is never exposed here.
    ``vault_location`` is already expanded (%LOCALAPPDATA%, ~) to an absolute path.
    """

    organisation_name: str | None = None
    organisation_sector: str | None = None
    idle_lock_minutes: int = DEFAULT_IDLE_LOCK_MINUTES
    lock_on_minimise: bool = False
    follow_up_deadline_hours: int = DEFAULT_FOLLOW_UP_DEADLINE_HOURS
    allowed_export_formats: tuple[str, ...] = EXPORT_FORMATS
    protective_marking: str = DEFAULT_PROTECTIVE_MARKING
    escrow_public_key: str | None = None
    escrow_fingerprint: str | None = None
    clipboard_allow_copy: bool = True
    clipboard_clear_seconds: int = DEFAULT_CLIPBOARD_CLEAR_SECONDS
    vault_location: str | None = None
    retention_years_after_closure: int | None = None
    set_by_policy: frozenset[str] = frozenset()
    problems: tuple[PolicyProblem, ...] = ()
    notices: tuple[PolicyNotice, ...] = ()
    sources: Mapping[str, str] = field(default_factory=dict, hash=False, compare=False)
    origins: Mapping[str, str] = field(default_factory=dict, hash=False, compare=False)

    @property
    def escrow_enabled(self) -> bool:
        return self.escrow_public_key is not None and self.escrow_fingerprint is not None

    def allows_export(self, export_format: str) -> bool:
        return export_format in self.allowed_export_formats

    def follow_up_due(self, started: datetime) -> datetime:
        """When an emergency share recorded at ``started`` must have its full rationale."""
        return started + timedelta(hours=self.follow_up_deadline_hours)

    def source_of(self, key: str) -> str:
        return self.sources.get(key, "default")

    def problems_for(self, key: str) -> tuple[PolicyProblem, ...]:
        return tuple(p for p in self.problems if p.key == key)

    def problem_summary(self) -> str:
        """The settings with problems, in words a person can pass on to IT support.

        A problem with no key is about a whole source (an unreadable file, broken Group
        Policy); it is named as such rather than as a key, which it does not have.
        """
        names: list[str] = []
        for problem in self.problems:
            if problem.key is None:
                name = "the policy as a whole"
            else:
                spec = KEYS_BY_NAME.get(problem.key)
                name = spec.label if spec else problem.key
            if name not in names:
                names.append(name)
        return "; ".join(names)

    def values(self) -> dict[str, object]:
        """Every setting's effective value, keyed by its policy name (JSON-friendly)."""
        out: dict[str, object] = {}
        for spec in POLICY_KEYS:
            value = getattr(self, spec.name)
            out[spec.name] = list(value) if isinstance(value, tuple) else value
        return out


# ---------------------------------------------------------------------------------------
# Key definitions
# ---------------------------------------------------------------------------------------
class _Invalid(Exception):
    """A value that cannot be used; the message is shown to IT after the key name."""


Kind = Literal["string", "integer", "boolean", "enum", "format-list", "age-recipient", "fingerprint", "path"]


@dataclass(frozen=True)
class KeySpec:
    """One policy key: its name (the same in JSON, the registry, the ADMX), kind, default
    and validator. ``default`` is what applies when the key is absent or invalid."""

    name: str
    kind: Kind
    default: object
    label: str
    validate: Callable[[object], object] = field(repr=False, compare=False)
    minimum: int | None = None
    maximum: int | None = None
    when_invalid: str | None = None
    #: Used instead of ``default`` when IT's value (or the whole policy) cannot be used,
    #: for keys whose default is the looser choice: IT only sets them to restrict, so a
    #: typo must not quietly undo the restriction ("never looser settings").
    fail_closed: object = None

    def unusable_value(self) -> object:
        """The value that applies when IT's value cannot be used."""
        return self.default if self.fail_closed is None else self.fail_closed

    def fallback_text(self) -> str:
        """What happens when IT's value cannot be used (said after the problem)."""
        if self.when_invalid:
            return self.when_invalid
        if self.fail_closed is not None:
            return f"To be safe, {_show(self.fail_closed)} applies until it is corrected."
        return f"Using the default, {_show(self.default)}, instead."


class _Unusable:
    """A JSON or registry value that cannot be represented faithfully (NaN, a 5,000-digit
    number, binary registry data). It reaches the key's validator and is rejected there,
    so one hostile value costs one key, not the whole file."""

    def __init__(self, description: str) -> None:
        self.description = description

    def __repr__(self) -> str:
        return self.description


def _show(value: object, limit: int = 60) -> str:
    """A short, safe rendering of a bad value for a message (repr escapes control chars)."""
    if isinstance(value, _Unusable):
        return value.description
    if isinstance(value, bool):
        return "true" if value else "false"
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _got(value: object) -> str:
    """'text '5'', 'a 5001-digit number', 'NaN …': the kind of value and the value."""
    if isinstance(value, _Unusable):
        return value.description
    return f"{_type_name(value)} {_show(value)}"


def _type_name(value: object) -> str:
    if isinstance(value, _Unusable):
        return value.description
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int):
        return "a number"
    if isinstance(value, float):
        return "a decimal number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    if value is None:
        return "null"
    return type(value).__name__


def _integer(lo: int, hi: int) -> Callable[[object], object]:
    def check(value: object) -> object:
        if isinstance(value, bool) or not isinstance(value, int):
            raise _Invalid(f"must be a whole number from {lo} to {hi}; got {_got(value)}")
        if not lo <= value <= hi:
            raise _Invalid(f"must be from {lo} to {hi}; got {_show(value)}")
        return value

    return check


def _boolean(value: object) -> object:
    if not isinstance(value, bool):
        raise _Invalid(f"must be true or false; got {_got(value)}")
    return value


def _text(max_len: int) -> Callable[[object], object]:
    def check(value: object) -> object:
        if not isinstance(value, str):
            raise _Invalid(f"must be text; got {_got(value)}")
        text = value.strip()
        if not text:
            raise _Invalid("must not be empty")
        if len(text) > max_len:
            raise _Invalid(f"must be at most {max_len} characters; got {len(text)}")
        if not text.isprintable():
            raise _Invalid(
                f"must contain only printable characters (no line breaks or control characters); got {_show(text)}"
            )
        return text

    return check


def _sector(value: object) -> object:
    if not isinstance(value, str) or value.strip().lower() not in SECTORS:
        raise _Invalid(f"must be one of {', '.join(SECTORS)}; got {_show(value)}")
    return value.strip().lower()


class _PartlyInvalid(_Invalid):
    """Invalid, but a stricter usable value exists (used instead of the default)."""

    def __init__(self, usable: object, message: str) -> None:
        super().__init__(message)
        self.usable = usable


def _export_formats(value: object) -> object:
    if not isinstance(value, list):
        raise _Invalid(f"must be a list drawn from {', '.join(EXPORT_FORMATS)}; got {_got(value)}")
    chosen: set[str] = set()
    unknown: list[str] = []
    for item in value:
        name = item.strip().lower() if isinstance(item, str) else None
        if name in EXPORT_FORMATS:
            chosen.add(name)
        else:
            unknown.append(_show(item, 30))
    formats = tuple(f for f in EXPORT_FORMATS if f in chosen)
    if unknown:
        # Fail closed: drop what we do not know rather than fall back to "everything".
        kept = ", ".join(formats) if formats else "none, so exporting is turned off"
        raise _PartlyInvalid(
            formats,
            f"{', '.join(unknown[:5])} {'is not a format' if len(unknown) == 1 else 'are not formats'} "
            f"this version knows ({', '.join(EXPORT_FORMATS)}) and {'was' if len(unknown) == 1 else 'were'} "
            f"ignored. Formats allowed: {kept}.",
        )
    return formats


def _age_recipient(value: object) -> object:
    if not isinstance(value, str):
        raise _Invalid(f"must be an age public key (text starting age1); got {_type_name(value)}")
    text = value.strip()
    if text.upper().startswith("AGE-SECRET-KEY-"):
        # Never echo it. A private key in policy is readable by everyone on the machine.
        raise _Invalid(
            "contains an age PRIVATE key (AGE-SECRET-KEY-…). Remove it from policy at once and "
            "treat that key as exposed: generate a new key pair, keep the private key offline, "
            "and put only the public key (age1…) in policy."
        )
    if not text.lower().startswith("age1") or len(text) > 100:
        raise _Invalid(f"must be an age X25519 public key starting age1; got {_show(text, 30)}")
    try:
        import pyrage

        recipient = pyrage.x25519.Recipient.from_str(text)
    except Exception as exc:  # noqa: BLE001 - pyrage raises its own exception types
        raise _Invalid(f"is not a valid age X25519 public key ({_show(text, 30)})") from exc
    canonical: str = str(recipient)
    return canonical


def _fingerprint(value: object) -> object:
    if not isinstance(value, str):
        raise _Invalid(f"must be text of the form SHA256:<64 hex digits>; got {_type_name(value)}")
    match = _FINGERPRINT_RE.match(value.strip())
    if match is None:
        raise _Invalid(f"must be SHA256: followed by 64 hexadecimal digits; got {_show(value.strip(), 30)}")
    return "SHA256:" + match.group(1).lower()


def _path_text(value: object) -> object:
    if not isinstance(value, str):
        raise _Invalid(f"must be a folder path as text; got {_type_name(value)}")
    text = value.strip()
    if not text:
        raise _Invalid("must not be empty")
    if len(text) > MAX_VAULT_LOCATION or not text.isprintable():
        raise _Invalid(f"must be a folder path of at most {MAX_VAULT_LOCATION} printable characters")
    return text


_ESCROW_OFF = "Escrow is turned off: new vaults get no organisation escrow slot."

POLICY_KEYS: tuple[KeySpec, ...] = (
    KeySpec(
        "organisation_name",
        "string",
        None,
        "Organisation name",
        _text(MAX_ORGANISATION_NAME),
        when_invalid="No organisation name is preset; each person types it when creating a vault.",
    ),
    KeySpec(
        "organisation_sector",
        "enum",
        None,
        "Organisation sector",
        _sector,
        when_invalid="No sector is preset; each person chooses it when creating a vault.",
    ),
    KeySpec(
        "idle_lock_minutes",
        "integer",
        DEFAULT_IDLE_LOCK_MINUTES,
        "Lock after idle (minutes, at most)",
        _integer(MIN_IDLE_LOCK_MINUTES, MAX_IDLE_LOCK_MINUTES),
        MIN_IDLE_LOCK_MINUTES,
        MAX_IDLE_LOCK_MINUTES,
    ),
    KeySpec("lock_on_minimise", "boolean", False, "Lock when minimised", _boolean, fail_closed=True),
    KeySpec(
        "follow_up_deadline_hours",
        "integer",
        DEFAULT_FOLLOW_UP_DEADLINE_HOURS,
        "Emergency follow-up deadline (hours)",
        _integer(MIN_FOLLOW_UP_DEADLINE_HOURS, MAX_FOLLOW_UP_DEADLINE_HOURS),
        MIN_FOLLOW_UP_DEADLINE_HOURS,
        MAX_FOLLOW_UP_DEADLINE_HOURS,
    ),
    KeySpec("allowed_export_formats", "format-list", EXPORT_FORMATS, "Export formats allowed", _export_formats),
    KeySpec(
        "protective_marking",
        "string",
        DEFAULT_PROTECTIVE_MARKING,
        "Protective marking on exports",
        _text(MAX_PROTECTIVE_MARKING),
    ),
    KeySpec(
        "escrow_public_key",
        "age-recipient",
        None,
        "Organisation escrow key",
        _age_recipient,
        when_invalid=_ESCROW_OFF,
    ),
    KeySpec(
        "escrow_fingerprint",
        "fingerprint",
        None,
        "Escrow key fingerprint (pinned)",
        _fingerprint,
        when_invalid=_ESCROW_OFF,
    ),
    KeySpec("clipboard_allow_copy", "boolean", True, "Copying to the clipboard allowed", _boolean, fail_closed=False),
    KeySpec(
        "clipboard_clear_seconds",
        "integer",
        DEFAULT_CLIPBOARD_CLEAR_SECONDS,
        "Clear the clipboard after (seconds, at most)",
        _integer(MIN_CLIPBOARD_CLEAR_SECONDS, MAX_CLIPBOARD_CLEAR_SECONDS),
        MIN_CLIPBOARD_CLEAR_SECONDS,
        MAX_CLIPBOARD_CLEAR_SECONDS,
    ),
    KeySpec(
        "vault_location",
        "path",
        None,
        "Vault location",
        _path_text,
        when_invalid="The usual per-user location is used instead.",
    ),
    KeySpec(
        "retention_years_after_closure",
        "integer",
        None,
        "Retention after case closure (years)",
        _integer(MIN_RETENTION_YEARS, MAX_RETENTION_YEARS),
        MIN_RETENTION_YEARS,
        MAX_RETENTION_YEARS,
        when_invalid="No retention period applies, so nothing is ever deleted automatically.",
    ),
)

KEYS_BY_NAME: Mapping[str, KeySpec] = MappingProxyType({spec.name: spec for spec in POLICY_KEYS})
#: The settings IT can set (the ADMX defines exactly these registry values).
SETTING_KEYS: frozenset[str] = frozenset(KEYS_BY_NAME)
#: Every top-level key the file parser understands (the JSON schema's properties).
KNOWN_FILE_KEYS: frozenset[str] = SETTING_KEYS | {SCHEMA_VERSION_KEY}


def validate_setting(key: str, value: object) -> object:
    """Check one value as policy would, returning the normalised value (for tools and
    forms). Raises ValueError with the plain-English reason; KeyError for an unknown key."""
    spec = KEYS_BY_NAME[key]
    try:
        return spec.validate(value)
    except _Invalid as exc:
        raise ValueError(f"{key} {exc}") from None


def escrow_fingerprint(recipient_str: str) -> str:
    """The fingerprint IT pins for an escrow key: ``SHA256:`` + lowercase hex SHA-256 of the
    recipient string as ``age-keygen`` prints it (age recipients are lowercase; an
    upper-case copy is folded to lower case first so both give the same answer)."""
    digest = hashlib.sha256(recipient_str.strip().lower().encode("utf-8")).hexdigest()
    return f"SHA256:{digest}"


# ---------------------------------------------------------------------------------------
# Decoding a policy file (bytes -> raw values)
# ---------------------------------------------------------------------------------------
class _JSONObject(dict[str, object]):
    """A JSON object that remembers which keys appeared more than once."""

    duplicates: set[str]


def _object_pairs(pairs: list[tuple[str, object]]) -> _JSONObject:
    obj = _JSONObject()
    obj.duplicates = set()
    for key, value in pairs:
        if key in obj:
            obj.duplicates.add(key)
        obj[key] = value
    return obj


def _parse_int(text: str) -> object:
    digits = text.lstrip("-")
    if len(digits) > 18:
        return _Unusable(f"a {len(digits)}-digit number")
    return int(text)


def _parse_float(text: str) -> object:
    if len(text) > 64:
        return _Unusable("an over-long number")
    number = float(text)
    if not math.isfinite(number):
        return _Unusable(f"the out-of-range number {text[:20]}")
    return number


def _parse_constant(name: str) -> object:
    return _Unusable(f"{name} (not allowed in policy)")


#: Said wherever a whole policy source is ignored: what still applies, and what fails closed.
UNUSABLE_POLICY_TEXT = (
    "The built-in defaults apply, except that copying from records is turned off and the "
    "application locks when minimised until IT corrects it."
)


def fail_closed_keys() -> tuple[str, ...]:
    """The keys that take their fail-closed value when a policy source cannot be used."""
    return tuple(spec.name for spec in POLICY_KEYS if spec.fail_closed is not None)


def _file_problem(message: str) -> PolicyProblem:
    return PolicyProblem(None, message)


def decode_policy_file(data: bytes, location: str, *, trusted_for_escrow: bool = True) -> PolicySource:
    """Turn the bytes of a policy file into a ``PolicySource``. Never raises.

    An empty (or whitespace-only) file is "no policy": tests and the ``os.devnull``
    override rely on it. A file that cannot be parsed at all gives one problem naming the
    file and no values, so the defaults apply.
    """
    ignored = f"The whole file was ignored. {UNUSABLE_POLICY_TEXT}"

    def rejected(message: str) -> PolicySource:
        problem = _file_problem(f"Policy file {location} {message} {ignored}")
        return PolicySource("file", location, {}, (problem,), unusable=True)

    if len(data) > MAX_POLICY_BYTES:
        return rejected(f"is larger than {MAX_POLICY_BYTES // 1024} KiB, far more than any policy needs.")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return rejected(
            "is saved as UTF-16 (the Windows PowerShell 5 default). Save it as UTF-8, for "
            "example with Set-Content -Encoding utf8."
        )
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return rejected(f"is not valid UTF-8 text (bad byte at position {exc.start}).")
    text = text.removeprefix("\ufeff")  # Notepad's byte-order mark is harmless
    if not text.strip():
        return PolicySource("file", location, {})
    try:
        parsed = json.loads(
            text,
            object_pairs_hook=_object_pairs,
            parse_int=_parse_int,
            parse_float=_parse_float,
            parse_constant=_parse_constant,
        )
    except RecursionError:
        return rejected("is nested too deeply to be a policy file.")
    except json.JSONDecodeError as exc:
        return rejected(f"is not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}.")
    except ValueError as exc:  # e.g. an integer beyond Python's digit limit in a nested spot
        return rejected(f"could not be read as JSON ({str(exc)[:80]}).")
    if not isinstance(parsed, _JSONObject):
        return rejected(f"must contain one JSON object ({{ … }}); it contains {_type_name(parsed)}.")
    problems: list[PolicyProblem] = []
    values: dict[str, object] = {}
    for key, value in parsed.items():
        if key in parsed.duplicates:
            problems.append(
                PolicyProblem(
                    key,
                    "appears more than once in the policy file, so which value IT meant is "
                    "ambiguous. Neither is used; the built-in default applies. Keep one.",
                )
            )
            continue
        values[key] = value
    return PolicySource("file", location, values, tuple(problems), (), trusted_for_escrow)


def registry_source(raw: Mapping[str, object], location: str = REGISTRY_KEY_PATH) -> PolicySource:
    """Turn registry values (as read by winreg: int for DWORD/QWORD, str for SZ/EXPAND_SZ,
    list[str] for MULTI_SZ, bytes for anything else) into a ``PolicySource``.

    Registry value names are case-insensitive, so they are matched to policy keys
    ignoring case. Values are converted to what the JSON file would hold for the same
    key: a DWORD 0/1 for a true/false setting, a "pdf,age" string for the format list.
    """
    problems: list[PolicyProblem] = []
    values: dict[str, object] = {}
    items = list(raw.items())
    if len(items) > MAX_REGISTRY_VALUES:
        return PolicySource(
            "registry",
            location,
            {},
            (
                PolicyProblem(
                    None,
                    f"Group Policy key {location} holds {len(items)} values, far more than "
                    f"any policy needs; it was ignored. {UNUSABLE_POLICY_TEXT}",
                ),
            ),
            unusable=True,
        )
    seen: dict[str, str] = {}
    for name, value in items:
        if not name:
            continue  # the key's unnamed "(Default)" value
        key = name.strip().lower()
        if key in seen:
            problems.append(
                PolicyProblem(key, f"is set twice in Group Policy ({seen[key]!r} and {name!r}); neither is used.")
            )
            values.pop(key, None)
            continue
        seen[key] = name
        spec = KEYS_BY_NAME.get(key)
        values[key if spec or key == SCHEMA_VERSION_KEY else name] = _from_registry(spec, value)
    return PolicySource("registry", location, values, tuple(problems))


def _from_registry(spec: KeySpec | None, value: object) -> object:
    if isinstance(value, bytes | bytearray):
        return _Unusable("binary registry data (use REG_SZ or REG_DWORD)")
    if spec is None:
        return value
    if spec.kind == "boolean":
        if isinstance(value, int) and not isinstance(value, bool) and value in (0, 1):
            return bool(value)
        if isinstance(value, str) and value.strip().lower() in ("0", "1", "true", "false"):
            return value.strip().lower() in ("1", "true")
        return value
    if spec.kind == "integer":
        if isinstance(value, str) and re.fullmatch(r"\s*\d{1,9}\s*", value):
            return int(value)
        return value
    if spec.kind == "format-list":
        if isinstance(value, str):
            return [part for part in re.split(r"[\s,;]+", value) if part]
        return value
    return value


# ---------------------------------------------------------------------------------------
# Resolving sources into one Policy
# ---------------------------------------------------------------------------------------
def _safe_key(key: str) -> str:
    return key if len(key) <= 40 and key.isprintable() else _show(key, 40)


def _near_miss(key: str) -> str | None:
    folded = key.strip().lower().replace("-", "_").replace(" ", "_")
    return folded if folded in KNOWN_FILE_KEYS and folded != key else None


def resolve_policy(
    sources: Sequence[PolicySource],
    *,
    environ: Mapping[str, str] | None = None,
    home: str | None = None,
    windows: bool = False,
) -> Policy:
    """Combine sources (registry beats file) into the effective ``Policy``. Never raises.

    ``environ``, ``home`` and ``windows`` are used only to expand ``vault_location``;
    they are parameters so this stays pure and testable.
    """
    problems: list[PolicyProblem] = []
    notices: list[PolicyNotice] = []
    origins: dict[str, str] = {}
    by_kind: dict[str, PolicySource] = {}
    for source in sources:
        by_kind[source.kind] = source
        origins[source.kind] = source.location
        problems.extend(source.problems)
        notices.extend(source.notices)
        _check_extra_keys(source, problems, notices)

    effective: dict[str, object] = {}
    chosen_from: dict[str, str] = {}
    set_by_policy: set[str] = set()
    unusable = [source for source in sources if source.unusable]
    for spec in POLICY_KEYS:
        present = [by_kind[k] for k in ("registry", "file") if k in by_kind and spec.name in by_kind[k].values]
        if not present and unusable and spec.fail_closed is not None:
            # IT meant to set something we could not read: restrict rather than guess.
            effective[spec.name] = spec.fail_closed
            chosen_from[spec.name] = unusable[0].kind
            set_by_policy.add(spec.name)
            continue
        if not present:
            effective[spec.name] = spec.default
            chosen_from[spec.name] = "default"
            continue
        set_by_policy.add(spec.name)
        winner = present[0]
        value, ok = _validated(spec, winner.values[spec.name], winner.kind, problems)
        if len(present) > 1:
            loser = present[1]
            other_value, other_ok = _validated(spec, loser.values[spec.name], loser.kind, [])
            if (value, ok) != (other_value, other_ok) or not ok:
                notices.append(
                    PolicyNotice(
                        spec.name,
                        f"is set both by Group Policy ({_show(winner.values[spec.name], 40)}) and in the "
                        f"policy file ({_show(loser.values[spec.name], 40)}); Group Policy wins.",
                    )
                )
        effective[spec.name] = value
        chosen_from[spec.name] = winner.kind

    _resolve_escrow(effective, chosen_from, by_kind, problems)
    _resolve_vault_location(effective, problems, environ or {}, home, windows)

    formats = effective["allowed_export_formats"]
    assert isinstance(formats, tuple)
    return Policy(
        organisation_name=_opt_str(effective["organisation_name"]),
        organisation_sector=_opt_str(effective["organisation_sector"]),
        idle_lock_minutes=_int(effective["idle_lock_minutes"]),
        lock_on_minimise=bool(effective["lock_on_minimise"]),
        follow_up_deadline_hours=_int(effective["follow_up_deadline_hours"]),
        allowed_export_formats=tuple(str(f) for f in formats),
        protective_marking=str(effective["protective_marking"]),
        escrow_public_key=_opt_str(effective["escrow_public_key"]),
        escrow_fingerprint=_opt_str(effective["escrow_fingerprint"]),
        clipboard_allow_copy=bool(effective["clipboard_allow_copy"]),
        clipboard_clear_seconds=_int(effective["clipboard_clear_seconds"]),
        vault_location=_opt_str(effective["vault_location"]),
        retention_years_after_closure=_opt_int(effective["retention_years_after_closure"]),
        set_by_policy=frozenset(set_by_policy),
        problems=tuple(problems),
        notices=tuple(notices),
        sources=MappingProxyType(chosen_from),
        origins=MappingProxyType(origins),
    )


def _opt_str(value: object) -> str | None:
    return None if value is None else str(value)


def _int(value: object) -> int:
    assert isinstance(value, int)
    return value


def _opt_int(value: object) -> int | None:
    return None if value is None else _int(value)


def _validated(spec: KeySpec, raw: object, kind: str, problems: list[PolicyProblem]) -> tuple[object, bool]:
    """(usable value, whether IT's value was valid). Records a problem when it was not."""
    try:
        return spec.validate(raw), True
    except _PartlyInvalid as exc:
        problems.append(PolicyProblem(spec.name, f"({SOURCE_LABELS[kind]}) {exc}"))
        return exc.usable, False
    except _Invalid as exc:
        problems.append(PolicyProblem(spec.name, f"({SOURCE_LABELS[kind]}) {exc}. {spec.fallback_text()}"))
        return spec.unusable_value(), False


def _check_extra_keys(source: PolicySource, problems: list[PolicyProblem], notices: list[PolicyNotice]) -> None:
    unknown: list[str] = []
    for key in source.values:
        if key in SETTING_KEYS:
            continue
        if key == SCHEMA_VERSION_KEY:
            _check_schema_version(source, problems, notices)
            continue
        near = _near_miss(key)
        if near is not None:
            problems.append(
                PolicyProblem(
                    near,
                    f"written as {_show(key, 40)} in the {SOURCE_LABELS[source.kind]}; key names are "
                    f"exact and lower case, so it was ignored. Rename it to {near}.",
                )
            )
            continue
        unknown.append(key)
    for key in unknown[:MAX_REPORTED_UNKNOWN]:
        notices.append(
            PolicyNotice(
                _safe_key(key),
                f"is not a setting this version knows ({SOURCE_LABELS[source.kind]}); it was ignored.",
            )
        )
    if len(unknown) > MAX_REPORTED_UNKNOWN:
        notices.append(PolicyNotice(None, f"{len(unknown) - MAX_REPORTED_UNKNOWN} more unknown settings were ignored."))


def _check_schema_version(source: PolicySource, problems: list[PolicyProblem], notices: list[PolicyNotice]) -> None:
    version = source.values[SCHEMA_VERSION_KEY]
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        problems.append(
            PolicyProblem(
                SCHEMA_VERSION_KEY,
                f"must be the number {SCHEMA_VERSION}; got {_show(version)}. The settings were read as version 1.",
            )
        )
    elif version > SCHEMA_VERSION:
        notices.append(
            PolicyNotice(
                SCHEMA_VERSION_KEY,
                f"is {version}, newer than this version understands ({SCHEMA_VERSION}). "
                "Settings it knows were applied; others were ignored. Consider updating.",
            )
        )


def _resolve_escrow(
    effective: dict[str, object],
    chosen_from: Mapping[str, str],
    by_kind: Mapping[str, PolicySource],
    problems: list[PolicyProblem],
) -> None:
    """Leave escrow on only for a valid key whose pinned fingerprint matches."""
    key = effective["escrow_public_key"]
    pinned = effective["escrow_fingerprint"]
    key_set = chosen_from["escrow_public_key"] != "default"
    pin_set = chosen_from["escrow_fingerprint"] != "default"
    if not key_set and not pin_set:
        return

    def disable(problem_key: str | None = None, message: str | None = None) -> None:
        if problem_key is not None and message is not None:
            problems.append(PolicyProblem(problem_key, f"{message} {_ESCROW_OFF}"))
        effective["escrow_public_key"] = None
        effective["escrow_fingerprint"] = None

    for name in ("escrow_public_key", "escrow_fingerprint"):
        source = by_kind.get(chosen_from[name])
        if source is not None and not source.trusted_for_escrow:
            disable(
                name,
                f"comes from {source.location}, which anyone on this computer can change, so it "
                "cannot be trusted. Make the file and its folder writable only by administrators.",
            )
            return
    if (key_set and key is None) or (pin_set and pinned is None):
        disable()  # the invalid value's own problem already says escrow is off
        return
    if key is None:
        disable("escrow_fingerprint", "is set but escrow_public_key is not, so there is no key to escrow to.")
        return
    assert isinstance(key, str)
    actual = escrow_fingerprint(key)
    if pinned is None:
        disable(
            "escrow_fingerprint",
            "is not set. An escrow key is used only when its fingerprint is pinned as well "
            f"(the key given has fingerprint {actual}; check that against your own record of "
            "the key before pinning it).",
        )
    elif pinned != actual:
        disable(
            "escrow_fingerprint",
            f"does not match escrow_public_key: policy pins {pinned}, but the key given has "
            f"fingerprint {actual}. One of them is wrong or has been changed.",
        )


def _resolve_vault_location(
    effective: dict[str, object],
    problems: list[PolicyProblem],
    environ: Mapping[str, str],
    home: str | None,
    windows: bool,
) -> None:
    raw = effective["vault_location"]
    if raw is None:
        return
    assert isinstance(raw, str)
    try:
        effective["vault_location"] = expand_vault_location(raw, environ, home, windows=windows)
    except ValueError as exc:
        problems.append(PolicyProblem("vault_location", f"{exc} The usual per-user location is used instead."))
        effective["vault_location"] = None


def expand_vault_location(raw: str, environ: Mapping[str, str], home: str | None, *, windows: bool) -> str:
    """Expand ``%VAR%`` (any environment variable, matched ignoring case) and a leading
    ``~`` in a policy path. Raises ValueError, with a plain message, if a variable is not
    set or the result is not an absolute path."""
    folded = {k.upper(): v for k, v in environ.items()}

    def substitute(match: re.Match[str]) -> str:
        name = match.group(1)
        if name == "":
            return "%"  # %% is a literal percent sign
        if name.upper() not in folded:
            raise ValueError(f"uses %{name}%, which is not set on this computer.")
        return folded[name.upper()]

    text = _ENV_VAR_RE.sub(substitute, raw)
    if text == "~" or text.startswith(("~/", "~\\")):
        if not home:
            raise ValueError("starts with ~ but the home folder is not known.")
        text = home + text[1:]
    absolute = PureWindowsPath(text).is_absolute() if windows else text.startswith("/")
    if not absolute:
        raise ValueError(f"must be an absolute path after expansion; got {_show(text, 80)}.")
    return text


def parse_policy(
    data: bytes | None = None,
    registry: Mapping[str, object] | None = None,
    *,
    file_location: str = "policy.json",
    environ: Mapping[str, str] | None = None,
    home: str | None = None,
    windows: bool = False,
) -> Policy:
    """Convenience for tests and tools: file bytes and/or registry values -> ``Policy``."""
    sources: list[PolicySource] = []
    if data is not None:
        sources.append(decode_policy_file(data, file_location))
    if registry is not None:
        sources.append(registry_source(registry))
    return resolve_policy(sources, environ=environ, home=home, windows=windows)


# ---------------------------------------------------------------------------------------
# A person's own settings, clamped to policy
# ---------------------------------------------------------------------------------------
USER_SETTING_KEYS = ("idle_lock_minutes", "lock_on_minimise", "clipboard_allow_copy", "clipboard_clear_seconds")


@dataclass(frozen=True)
class UserSettings:
    """What a person chose in Settings. Policy may tighten these but never loosen them."""

    idle_lock_minutes: int = DEFAULT_IDLE_LOCK_MINUTES
    lock_on_minimise: bool = False
    clipboard_allow_copy: bool = True
    clipboard_clear_seconds: int = DEFAULT_CLIPBOARD_CLEAR_SECONDS

    @classmethod
    def from_stored(cls, stored: Mapping[str, str]) -> UserSettings:
        """From the vault's ``settings`` table (key -> text). An unreadable value is
        skipped (its default is used), never fatal."""
        default = cls()

        def number(key: str, fallback: int) -> int:
            text = stored.get(key)
            if text is not None and re.fullmatch(r"\s*-?\d{1,9}\s*", text):
                return int(text)
            return fallback

        def flag(key: str, fallback: bool) -> bool:
            text = (stored.get(key) or "").strip().lower()
            if text in ("0", "1", "true", "false"):
                return text in ("1", "true")
            return fallback

        return cls(
            idle_lock_minutes=number("idle_lock_minutes", default.idle_lock_minutes),
            lock_on_minimise=flag("lock_on_minimise", default.lock_on_minimise),
            clipboard_allow_copy=flag("clipboard_allow_copy", default.clipboard_allow_copy),
            clipboard_clear_seconds=number("clipboard_clear_seconds", default.clipboard_clear_seconds),
        )

    def to_stored(self) -> dict[str, str]:
        return {
            "idle_lock_minutes": str(self.idle_lock_minutes),
            "lock_on_minimise": "true" if self.lock_on_minimise else "false",
            "clipboard_allow_copy": "true" if self.clipboard_allow_copy else "false",
            "clipboard_clear_seconds": str(self.clipboard_clear_seconds),
        }


@dataclass(frozen=True)
class EffectiveSettings:
    """What the application actually does. ``clamped`` names the user settings that
    policy tightened (the settings screen says so); the ``max_*`` and ``copy_forbidden``
    fields are the limits a settings control should offer."""

    idle_lock_minutes: int
    lock_on_minimise: bool
    clipboard_allow_copy: bool
    clipboard_clear_seconds: int
    follow_up_deadline_hours: int
    allowed_export_formats: tuple[str, ...]
    protective_marking: str
    max_idle_lock_minutes: int
    max_clipboard_clear_seconds: int
    copy_forbidden: bool
    minimise_lock_required: bool
    clamped: frozenset[str]
    set_by_policy: frozenset[str]


def effective_settings(policy: Policy, user: UserSettings) -> EffectiveSettings:
    """Combine a person's settings with policy: stricter is allowed, looser is clamped.

    Policy's idle lock and clipboard timeout are maxima (a shorter user value stands);
    a user value outside the allowed range is brought to the nearest allowed value, which
    for "0 = never" means the strictest. Copying is allowed only if both allow it;
    lock-on-minimise is on if either asks for it.
    """
    clamped: set[str] = set()

    def bounded(name: str, value: int, lo: int, hi: int) -> int:
        result = min(max(value, lo), hi)
        if result != value:
            clamped.add(name)
        return result

    idle = bounded("idle_lock_minutes", user.idle_lock_minutes, MIN_IDLE_LOCK_MINUTES, policy.idle_lock_minutes)
    clear = bounded(
        "clipboard_clear_seconds",
        user.clipboard_clear_seconds,
        MIN_CLIPBOARD_CLEAR_SECONDS,
        policy.clipboard_clear_seconds,
    )
    allow_copy = user.clipboard_allow_copy and policy.clipboard_allow_copy
    if user.clipboard_allow_copy and not allow_copy:
        clamped.add("clipboard_allow_copy")
    lock_minimise = user.lock_on_minimise or policy.lock_on_minimise
    if lock_minimise and not user.lock_on_minimise:
        clamped.add("lock_on_minimise")
    return EffectiveSettings(
        idle_lock_minutes=idle,
        lock_on_minimise=lock_minimise,
        clipboard_allow_copy=allow_copy,
        clipboard_clear_seconds=clear,
        follow_up_deadline_hours=policy.follow_up_deadline_hours,
        allowed_export_formats=policy.allowed_export_formats,
        protective_marking=policy.protective_marking,
        max_idle_lock_minutes=policy.idle_lock_minutes,
        max_clipboard_clear_seconds=policy.clipboard_clear_seconds,
        copy_forbidden=not policy.clipboard_allow_copy,
        minimise_lock_required=policy.lock_on_minimise,
        clamped=frozenset(clamped),
        set_by_policy=policy.set_by_policy,
    )


def describe_sources(policy: Policy) -> Iterable[tuple[str, object, str]]:
    """(key, effective value, where it came from) for every setting, in a stable order."""
    values = policy.values()
    for spec in POLICY_KEYS:
        yield spec.name, values[spec.name], policy.source_of(spec.name)
