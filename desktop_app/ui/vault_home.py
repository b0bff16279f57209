"""The default workspace: who and where, and the most recent audit events.

It is replaced by the case workspace when the case-records screens are installed, and
stays as the fallback the main window uses if that workspace cannot be built.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QLabel, QListWidget, QVBoxLayout, QWidget

from desktop_app.store import audit
from desktop_app.ui.background import BackgroundRunner


class VaultHome(QWidget):
    def __init__(self, runner: BackgroundRunner, vault: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        info = vault.info
        heading = QLabel(f"<h2>{info.organisation_name or 'Your vault'}</h2>")
        details = QLabel(f"Signed in as {info.owner_name}. Vault created {info.created_at[:10]}.")
        self.events = QListWidget()
        self.events.setAccessibleName("Recent activity")
        layout = QVBoxLayout(self)
        layout.addWidget(heading)
        layout.addWidget(details)
        layout.addWidget(QLabel("Recent activity in this vault:"))
        layout.addWidget(self.events, 1)
        runner.submit(lambda: audit.recent_events(vault.conn, 50), self._show_events)

    def _show_events(self, events: list[dict[str, Any]]) -> None:
        for event in events:
            self.events.addItem(f"{event['at'][:19].replace('T', ' ')} UTC  {event['action']}  ({event['actor']})")
