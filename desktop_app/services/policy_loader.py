"""Reading organisation policy from where IT puts it.

Two sources, combined by ``desktop_app.domain.policy.resolve_policy`` (Group Policy wins):

* a JSON file: ``CASENOTES_POLICY_FILE`` if set (tests set it to ``os.devnull``: no
  policy), otherwise the system location for the platform (see ``system_policy_path``);
* on Windows, the registry key ``HKLM\\Software\\Policies\\CaseNotes`` that the ADMX
  template in ``packaging/windows/admx`` writes.

``load_policy`` never raises: whatever goes wrong becomes a ``PolicyProblem`` and the safe
built-in defaults apply, because a damaged policy must not stop a practitioner opening
their notes. The registry reader is a parameter so the mapping is tested on any platform.
"""

from __future__ import annotations

import os
import stat
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from desktop_app.domain.policy import (
    MAX_POLICY_BYTES,
    REGISTRY_KEY_PATH,
    UNUSABLE_POLICY_TEXT,
    Policy,
    PolicyProblem,
    PolicySource,
    decode_policy_file,
    registry_source,
    resolve_policy,
)

POLICY_FILE_ENV = "CASENOTES_POLICY_FILE"
REGISTRY_SUBKEY = r"Software\Policies\CaseNotes"

#: Returns the raw values under the policy key (name -> int | str | list[str] | bytes),
#: an empty mapping when the key does not exist; may raise OSError.
RegistryReader = Callable[[], Mapping[str, object]]


def system_policy_path(platform: str | None = None, environ: Mapping[str, str] | None = None) -> Path:
    """Where IT puts the policy file on this kind of computer."""
    platform = sys.platform if platform is None else platform
    environ = os.environ if environ is None else environ
    if platform == "win32":
        program_data = environ.get("ProgramData") or environ.get("PROGRAMDATA") or r"C:\ProgramData"
        return Path(program_data) / "CaseNotes" / "policy.json"
    if platform == "darwin":
        return Path("/Library/Application Support/CaseNotes/policy.json")
    return Path("/etc/casenotes/policy.json")


def policy_file_path(platform: str | None = None, environ: Mapping[str, str] | None = None) -> Path:
    """The policy file to read: ``CASENOTES_POLICY_FILE`` if set, else the system path."""
    environ = os.environ if environ is None else environ
    override = environ.get(POLICY_FILE_ENV)
    if override:
        return Path(override)
    return system_policy_path(platform, environ)


def read_policy_file(path: Path) -> PolicySource | None:
    """The file as a ``PolicySource``, or None when there is no file (no policy).

    Reads at most 1 MiB + 1 byte, so a hostile or runaway file cannot exhaust memory, and
    refuses anything that is not a regular file (a FIFO would block start-up forever).
    On POSIX, a file that anyone can change is still applied (its restrictions can only
    help) but an escrow key in it is not trusted.
    """
    location = str(path)
    if location == os.devnull:
        return None
    try:
        info = path.stat()
    except FileNotFoundError:
        return None
    except OSError as exc:
        return _unreadable(location, exc)
    if stat.S_ISDIR(info.st_mode):
        return _rejected(location, "is a folder, not a file.")
    if not stat.S_ISREG(info.st_mode):
        return _rejected(location, "is not a regular file.")
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_POLICY_BYTES + 1)
    except FileNotFoundError:
        return None
    except OSError as exc:
        return _unreadable(location, exc)
    trusted = not _writable_by_anyone(path, info)
    source = decode_policy_file(data, location, trusted_for_escrow=trusted)
    if trusted or not source.values:
        return source
    warning = PolicyProblem(
        None,
        f"Policy file {location} (or its folder) can be changed by anyone on this computer. "
        "Its settings are applied, but an escrow key in it is not trusted. Make it writable "
        "only by administrators (for example: chown root:root, chmod 644).",
    )
    return PolicySource(source.kind, location, source.values, (warning, *source.problems), source.notices, False)


def _writable_by_anyone(path: Path, info: os.stat_result) -> bool:
    if os.name != "posix":
        return False  # Windows ACLs are managed by IT; ProgramData is admin-writable only
    if info.st_mode & stat.S_IWOTH:
        return True
    try:
        parent = path.resolve().parent.stat()
    except OSError:
        return False
    # A world-writable folder lets anyone replace the file, unless it is sticky (like /tmp).
    return bool(parent.st_mode & stat.S_IWOTH) and not parent.st_mode & stat.S_ISVTX


def _unreadable(location: str, exc: OSError) -> PolicySource:
    reason = exc.strerror or type(exc).__name__
    return _rejected(location, f"could not be read ({reason}).")


def _rejected(location: str, message: str) -> PolicySource:
    return PolicySource(
        "file",
        location,
        {},
        (PolicyProblem(None, f"Policy file {location} {message} {UNUSABLE_POLICY_TEXT}"),),
        unusable=True,
    )


def read_windows_registry() -> dict[str, object]:
    """Values under ``HKLM\\Software\\Policies\\CaseNotes`` (Windows only).

    DWORD/QWORD -> int, SZ/EXPAND_SZ -> str (not expanded here; ``vault_location`` is
    expanded later), MULTI_SZ -> list[str], anything else -> bytes. A missing key means no
    Group Policy: an empty dict.
    """
    if sys.platform != "win32":
        return {}
    import winreg

    values: dict[str, object] = {}
    try:
        key = winreg.OpenKey(winreg.HKEY_LOCAL_MACHINE, REGISTRY_SUBKEY, 0, winreg.KEY_READ)
    except FileNotFoundError:
        return values
    with key:
        index = 0
        while index <= 1024:  # more values than this is hostile; the domain rejects > 256
            try:
                name, data, kind = winreg.EnumValue(key, index)
            except OSError:
                break
            index += 1
            if kind in (winreg.REG_DWORD, winreg.REG_QWORD, winreg.REG_DWORD_BIG_ENDIAN) and isinstance(data, int):
                values[name] = data
            elif kind in (winreg.REG_SZ, winreg.REG_EXPAND_SZ) and isinstance(data, str):
                values[name] = data
            elif kind == winreg.REG_MULTI_SZ and isinstance(data, list):
                values[name] = [str(item) for item in data]
            else:
                values[name] = data if isinstance(data, bytes) else repr(data).encode()
    return values


if TYPE_CHECKING:
    from desktop_app.store.vault import Escrow


def load_policy(
    *,
    policy_file: Path | None = None,
    registry_reader: RegistryReader | None = None,
    platform: str | None = None,
    environ: Mapping[str, str] | None = None,
    home: str | None = None,
) -> Policy:
    """The effective organisation policy for this computer. Never raises.

    With no arguments: the file from ``policy_file_path()`` and, on Windows only, the
    registry. ``registry_reader`` replaces the registry (tests pass a lambda returning a
    dict; it is then used on any platform). ``platform``, ``environ`` and ``home`` exist
    for tests of path selection and ``vault_location`` expansion.
    """
    platform = sys.platform if platform is None else platform
    environ = os.environ if environ is None else environ
    home = str(Path.home()) if home is None else home
    if registry_reader is None and platform == "win32" and sys.platform == "win32":
        registry_reader = read_windows_registry
    path = policy_file if policy_file is not None else policy_file_path(platform, environ)

    sources: list[PolicySource] = []
    file_source = read_policy_file(path)
    if file_source is not None:
        sources.append(file_source)
    if registry_reader is not None:
        sources.append(_read_registry(registry_reader))
    return resolve_policy(sources, environ=environ, home=home, windows=platform == "win32")


def _read_registry(reader: RegistryReader) -> PolicySource:
    try:
        raw = reader()
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        return PolicySource(
            "registry",
            REGISTRY_KEY_PATH,
            {},
            (
                PolicyProblem(
                    None,
                    f"Group Policy ({REGISTRY_KEY_PATH}) could not be read ({reason}); it was ignored. "
                    + UNUSABLE_POLICY_TEXT,
                ),
            ),
            unusable=True,
        )
    except Exception as exc:  # noqa: BLE001 - a broken registry must never stop the app starting
        return PolicySource(
            "registry",
            REGISTRY_KEY_PATH,
            {},
            (
                PolicyProblem(
                    None,
                    f"Group Policy ({REGISTRY_KEY_PATH}) could not be read ({type(exc).__name__}); it was ignored. "
                    + UNUSABLE_POLICY_TEXT,
                ),
            ),
            unusable=True,
        )
    return registry_source(raw)


def policy_vault_dir(policy: Policy) -> Path | None:
    """The vault folder IT chose (already expanded), or None to use the usual default."""
    return Path(policy.vault_location) if policy.vault_location else None


def escrow_for_new_vault(policy: Policy) -> Escrow | None:
    """The organisation escrow key for a new vault: only when policy supplies a valid key
    whose fingerprint matches the pinned one (``Policy`` leaves both unset otherwise)."""
    from desktop_app.store.vault import Escrow

    if policy.escrow_enabled and policy.escrow_public_key and policy.escrow_fingerprint:
        return Escrow(recipient=policy.escrow_public_key, fingerprint=policy.escrow_fingerprint)
    return None
