"""Per-vault user settings (preferences that policy may clamp but never loosen)."""

from typing import Any

VERSION = 2
DESCRIPTION = "per-vault settings"


def apply(conn: Any) -> None:
    conn.execute("CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL) STRICT")
