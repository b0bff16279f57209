"""Forward-only schema migrations, one module per version: ``mNNNN_description.py`` with
``VERSION: int``, ``DESCRIPTION: str`` and ``apply(conn)``.

The schema version lives in ``PRAGMA user_version``. Each migration runs in its own
transaction together with the version bump, so a crash leaves the vault at a whole
version. Before upgrading an existing vault, the caller takes an encrypted snapshot.
"""

from __future__ import annotations

import importlib
import pkgutil
import re
from collections.abc import Callable
from dataclasses import dataclass
from types import ModuleType
from typing import Any

from desktop_app.errors import CaseNotesError


@dataclass(frozen=True)
class Migration:
    version: int
    description: str
    apply: Callable[[Any], None]


def all_migrations() -> list[Migration]:
    found: list[Migration] = []
    for info in pkgutil.iter_modules(__path__):
        match = re.fullmatch(r"m(\d{4})_\w+", info.name)
        if not match:
            continue
        module: ModuleType = importlib.import_module(f"{__name__}.{info.name}")
        if module.VERSION != int(match.group(1)):
            raise RuntimeError(f"migration {info.name} declares VERSION {module.VERSION}")
        found.append(Migration(module.VERSION, module.DESCRIPTION, module.apply))
    found.sort(key=lambda m: m.version)
    for expected, migration in enumerate(found, start=1):
        if migration.version != expected:
            raise RuntimeError(f"migrations are not contiguous: expected {expected}, found {migration.version}")
    return found


LATEST_VERSION = len(all_migrations())


def current_version(conn: Any) -> int:
    version: int = conn.execute("PRAGMA user_version").fetchone()[0]
    return version


def pending(conn: Any, target: int | None = None) -> list[Migration]:
    target = LATEST_VERSION if target is None else target
    version = current_version(conn)
    if version > LATEST_VERSION:
        raise CaseNotesError(
            "This vault was last opened by a newer version of Safeguarding Case Notes.",
            "Open it with that version, or ask IT to update this computer. Nothing has been changed.",
        )
    return [m for m in all_migrations() if version < m.version <= target]


def apply_pending(conn: Any, target: int | None = None) -> list[int]:
    applied: list[int] = []
    for migration in pending(conn, target):
        conn.execute("BEGIN IMMEDIATE")
        try:
            migration.apply(conn)
            conn.execute(f"PRAGMA user_version = {migration.version}")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
        applied.append(migration.version)
    return applied
