"""The practitioner's own settings, kept in the vault and always clamped by policy.

They live in the vault (not a plain settings file) so that nothing about the person's
work sits unencrypted on disk, and so a shared desktop's other users cannot loosen them.
Policy wins: ``effective`` applies ``domain.policy.effective_settings``.
"""

from __future__ import annotations

from desktop_app.domain.policy import EffectiveSettings, Policy, UserSettings, effective_settings
from desktop_app.store import audit
from desktop_app.store.vault import OpenVault


def load_user_settings(vault: OpenVault) -> UserSettings:
    rows = vault.conn.execute("SELECT key, value FROM settings").fetchall()
    return UserSettings.from_stored(dict(rows))


def save_user_settings(vault: OpenVault, settings: UserSettings) -> UserSettings:
    stored = settings.to_stored()
    with vault.transaction("saving your settings") as conn:
        conn.executemany(
            "INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            sorted(stored.items()),
        )
        audit.append_event(conn, "settings.changed", actor=vault.info.owner_name, details={"keys": sorted(stored)})
    return load_user_settings(vault)


def effective(vault: OpenVault, policy: Policy) -> EffectiveSettings:
    return effective_settings(policy, load_user_settings(vault))
