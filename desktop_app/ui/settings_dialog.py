"""Settings: what the practitioner may choose, and what their organisation has set.

Values set by policy are shown read-only and marked "Set by your organisation", so
nobody wonders why a control is greyed out. The practitioner may make things stricter
(a shorter idle lock), never looser: the controls' limits come from the policy.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import Any

from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QLabel,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from desktop_app.domain.policy import SECTOR_NAMES, EffectiveSettings, Policy, UserSettings
from desktop_app.ui.widgets.message_area import MessageArea

SET_BY_ORGANISATION = "Set by your organisation"


def _org_label(text: str) -> QLabel:
    # IT's text (a name, a path) is shown as typed, never interpreted as markup.
    # One line, never wrapped: a wrapped value in this form is clipped to one line's height;
    # the dialog widens instead (there is room at 1366 px).
    label = QLabel(f"{html.escape(text, quote=False)}  <i>({SET_BY_ORGANISATION})</i>")
    label.setAccessibleName(f"{text}, {SET_BY_ORGANISATION.lower()}")
    return label


class SettingsDialog(QDialog):
    def __init__(
        self,
        policy: Policy,
        settings: EffectiveSettings,
        vault_info: Any,
        save: Callable[[UserSettings, Callable[[Any], None], Callable[[Any], None]], None],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Settings")
        self._save = save
        self._policy = policy
        by_policy = settings.set_by_policy

        self.idle = QSpinBox()
        self.idle.setRange(1, settings.max_idle_lock_minutes)
        self.idle.setValue(settings.idle_lock_minutes)
        self.idle.setSuffix(" minutes")
        self.idle.setAccessibleName("Lock after this many minutes without use")
        self.minimise = QCheckBox("Lock when the window is &minimised")
        self.minimise.setChecked(settings.lock_on_minimise)
        self.allow_copy = QCheckBox("Allow &copying record text (the clipboard is cleared afterwards)")
        self.allow_copy.setChecked(settings.clipboard_allow_copy)
        self.clear_after = QSpinBox()
        self.clear_after.setRange(5, settings.max_clipboard_clear_seconds)
        self.clear_after.setValue(settings.clipboard_clear_seconds)
        self.clear_after.setSuffix(" seconds")
        self.clear_after.setAccessibleName("Clear copied text after this many seconds")

        mine = QFormLayout()
        idle_note = (
            f"Your organisation allows at most {settings.max_idle_lock_minutes} minutes."
            if "idle_lock_minutes" in by_policy
            else ""
        )
        mine.addRow("Lock after &idle:", self.idle)
        if idle_note:
            mine.addRow("", QLabel(idle_note))
        mine.addRow("", self.minimise)
        if settings.minimise_lock_required:
            self.minimise.setChecked(True)
            self.minimise.setEnabled(False)
            mine.addRow("", QLabel(f"<i>{SET_BY_ORGANISATION}</i>"))
        mine.addRow("", self.allow_copy)
        if settings.copy_forbidden:
            self.allow_copy.setChecked(False)
            self.allow_copy.setEnabled(False)
            self.clear_after.setEnabled(False)
            mine.addRow("", QLabel(f"<i>Copying is turned off. {SET_BY_ORGANISATION}.</i>"))
        mine.addRow("Clear c&lipboard after:", self.clear_after)
        mine_box = QGroupBox("Your settings")
        mine_box.setLayout(mine)

        org = QFormLayout()
        org.addRow(
            "Organisation:",
            self._value(
                policy.organisation_name or vault_info.organisation_name or "—", "organisation_name", by_policy
            ),
        )
        sector = policy.organisation_sector or vault_info.organisation_sector
        org.addRow("Sector:", self._value(SECTOR_NAMES.get(sector, sector), "organisation_sector", by_policy))
        org.addRow(
            "Follow-up deadline:",
            self._value(
                f"{settings.follow_up_deadline_hours} hours after an emergency share",
                "follow_up_deadline_hours",
                by_policy,
            ),
        )
        formats = ", ".join(f.upper() for f in settings.allowed_export_formats) or "none (exporting is turned off)"
        org.addRow("Export formats:", self._value(formats, "allowed_export_formats", by_policy))
        org.addRow("Protective marking:", self._value(settings.protective_marking, "protective_marking", by_policy))
        escrow = (
            f"Yes, fingerprint {policy.escrow_fingerprint}" if policy.escrow_enabled else "No organisation escrow key"
        )
        org.addRow("Organisation recovery:", self._value(escrow, "escrow_public_key", by_policy))
        location = policy.vault_location or "The usual per-user folder, or one you choose"
        org.addRow("Vault location:", self._value(location, "vault_location", by_policy))
        retention = (
            f"{policy.retention_years_after_closure} years after a case is closed"
            if policy.retention_years_after_closure is not None
            else "No retention period set (nothing is deleted automatically)"
        )
        org.addRow("Retention:", self._value(retention, "retention_years_after_closure", by_policy))
        org_box = QGroupBox("Set for the whole organisation")
        org_box.setLayout(org)

        self.message = MessageArea()
        if policy.problems:
            self.message.show_message(
                "warning",
                "Your organisation's policy has problems; safe values are used for: " + policy.problem_summary() + ".",
                "Tell your IT support. Run `casenotes policy show` for details.",
            )
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self._submit)
        buttons.rejected.connect(self.reject)
        self.save_button = buttons.button(QDialogButtonBox.StandardButton.Save)
        layout = QVBoxLayout(self)
        layout.addWidget(mine_box)
        layout.addWidget(org_box)
        layout.addWidget(self.message)
        layout.addWidget(buttons)
        self.setMinimumWidth(620)

    def _value(self, text: str, key: str, by_policy: frozenset[str]) -> QLabel:
        if key in by_policy and self._policy.problems_for(key):
            # IT tried to set it, but the value could not be used: say so, not "set by".
            return QLabel(f"{html.escape(text, quote=False)}  <i>(your organisation's value could not be used)</i>")
        return _org_label(text) if key in by_policy else QLabel(text)

    def user_settings(self) -> UserSettings:
        return UserSettings(
            idle_lock_minutes=self.idle.value(),
            lock_on_minimise=self.minimise.isChecked(),
            clipboard_allow_copy=self.allow_copy.isChecked(),
            clipboard_clear_seconds=self.clear_after.value(),
        )

    def _submit(self) -> None:
        self.save_button.setEnabled(False)
        self._save(self.user_settings(), lambda _: self.accept(), self._failed)

    def _failed(self, exc: Any) -> None:
        self.save_button.setEnabled(True)
        self.message.show_error(exc)
