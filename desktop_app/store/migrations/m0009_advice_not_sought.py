"""Why advice was not sought, as a field of its own on a sharing decision.

When the rules recommend seeking advice (golden rule 4) and the practitioner decides
without it, the record must say why. Without its own column that reason would sit in
"What was advised", so a record read years later could seem to say someone advised it.
Decisions are never changed in place; the new column is empty on every earlier one.
"""

from typing import Any

VERSION = 9
DESCRIPTION = "why advice was not sought, on sharing decisions"


def apply(conn: Any) -> None:
    conn.execute("ALTER TABLE decisions ADD COLUMN advice_not_sought_reason TEXT NOT NULL DEFAULT ''")
