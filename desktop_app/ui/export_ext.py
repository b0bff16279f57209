"""Exports and backups in the case workspace.

``install(workspace)`` is called once per workspace (see ``ui/extensions.py``). It adds:

* case actions: "Export share packet…", "Subject access export…", "Import a
  received bundle…";
* in the File menu: "Back up now…" and "Restore a backup…" (removed again on lock);
* chronology openers for the kinds ``export`` (the export's record, with "Record
  feedback…" against its decision) and ``information_received`` (the verified packet).

The decision view offers no hook for exporting, so the export dialog has its own picker
of the case's decisions to share. Everything is parented to the workspace, so a lock
destroys it; all vault access goes through ``workspace.runner``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import shiboken6
from PySide6.QtCore import QObject
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMenu, QWidget

from desktop_app.domain.policy import Policy
from desktop_app.services.share_export import ExportRecord
from desktop_app.ui.backup_dialogs import BackupDialog, RestoreDialog
from desktop_app.ui.bundle_import_dialog import BundleImportDialog
from desktop_app.ui.export_dialog import EXPORTING_OFF, ExportDialog
from desktop_app.ui.export_views import ExportRecordView, ReceivedView
from desktop_app.ui.subject_access_dialog import SubjectAccessDialog

KINDS = ("export", "information_received")


def install(workspace: Any) -> None:
    """Add exporting, importing and backups to a freshly built workspace."""
    workspace.exports = ExportExtension(workspace)


class ExportExtension(QObject):
    """The actions, File menu entries and chronology openers; one per workspace."""

    def __init__(self, workspace: Any) -> None:
        parent = workspace if isinstance(workspace, QWidget) else workspace.window
        super().__init__(parent)
        self.workspace = workspace
        self.parent_widget: QWidget = parent
        self.window = workspace.window
        self.runner = workspace.runner
        self.vault = workspace.vault
        self.dialogs: list[QWidget] = []

        self.export_action = self._action(
            "E&xport share packet…",
            self.export_packet,
            tip="Choose what to share under a decision, check it redacted, and save it encrypted",
        )
        self.subject_access_action = self._action(
            "Subject &access export…",
            self.subject_access,
            tip="Everything held about one person, other people redacted, as a password-protected PDF",
        )
        self.import_action = self._action(
            "&Import a received bundle…",
            self.import_bundle,
            tip="Verify a bundle someone sent you and keep it on this case as information received",
        )
        for action in (self.export_action, self.subject_access_action, self.import_action):
            workspace.add_case_action(action)

        self.backup_action = self._action(
            "&Back up now…", self.back_up, tip="Make a verified, encrypted backup of this vault"
        )
        self.restore_action = self._action(
            "&Restore a backup…", self.restore, tip="Restore a backup into a new folder (never over a vault)"
        )
        self.file_actions = [self.backup_action, self.restore_action]
        file_menu = getattr(self.window, "file_menu", None)
        if isinstance(file_menu, QMenu):
            # Before "Lock" (and its separator), so the vault's own commands stay together.
            anchor = next((a for a in file_menu.actions() if a.isSeparator()), None)
            self.separator = QAction(self.parent_widget)
            self.separator.setSeparator(True)
            for action in [*self.file_actions, self.separator]:
                if anchor is not None:
                    file_menu.insertAction(anchor, action)
                else:
                    file_menu.addAction(action)
            self.file_actions.append(self.separator)
        self.file_menu = file_menu
        locking = getattr(workspace, "locking", None)
        if locking is not None:
            locking.connect(self.remove_file_actions)

        workspace.register_chronology_opener("export", self.open_export)
        workspace.register_chronology_opener("information_received", self.open_received)

    # -- plumbing ----------------------------------------------------------------------------
    def _action(self, text: str, slot: Callable[[], Any], shortcut: str = "", tip: str = "") -> QAction:
        action = QAction(text, self.parent_widget)
        if shortcut:
            action.setShortcut(QKeySequence(shortcut))
        if tip:
            action.setStatusTip(tip)
            action.setToolTip(f"{tip} ({shortcut})" if shortcut else tip)
        action.triggered.connect(lambda _checked=False: slot())
        return action

    def remove_file_actions(self) -> None:
        menu = self.file_menu
        if isinstance(menu, QMenu) and shiboken6.isValid(menu):
            for action in self.file_actions:
                if shiboken6.isValid(action):
                    menu.removeAction(action)

    @property
    def policy(self) -> Policy:
        policy = getattr(self.window, "policy", None)
        return policy if isinstance(policy, Policy) else Policy()

    def copy_text(self, text: str) -> bool:
        clipboard = getattr(self.window, "clipboard", None)
        copy = getattr(clipboard, "copy", None)
        return bool(copy(text)) if callable(copy) else False

    def _case(self) -> int | None:
        case_id = self.workspace.current_case_id()
        if case_id is None:
            self.workspace.show_message("info", "Choose a case first.")
        return case_id  # type: ignore[no-any-return]

    def _keep(self, dialog: QWidget) -> QWidget:
        """Delete on close, Ctrl+L from it, and hold a reference while it is open."""
        own = getattr(self.workspace, "own_dialog", None)
        if callable(own):
            own(dialog)
        self.dialogs = [d for d in self.dialogs if shiboken6.isValid(d) and d.isVisible()]
        self.dialogs.append(dialog)
        return dialog

    # -- exporting ---------------------------------------------------------------------------
    def export_packet(self, decision_id: int | None = None) -> ExportDialog | None:
        case_id = self._case()
        if case_id is None:
            return None
        if not self.policy.allowed_export_formats:
            self.workspace.show_message("warning", EXPORTING_OFF)
        dialog = ExportDialog(
            self.runner,
            self.vault,
            case_id,
            policy=self.policy,
            copy_text=self.copy_text,
            decision_id=decision_id,
            parent=self.parent_widget,
        )
        dialog.setObjectName("export-dialog")
        dialog.exported.connect(lambda record: self._exported(case_id, record))
        self._keep(dialog)
        dialog.show()
        self.export_dialog = dialog
        return dialog

    def _exported(self, case_id: int, record: ExportRecord) -> None:
        self.workspace.refresh_case(case_id)
        self.workspace.show_message(
            "info", f"Export recorded ({record.size:,} bytes, encrypted). It is in the case's chronology."
        )

    def subject_access(self) -> SubjectAccessDialog | None:
        case_id = self._case()
        if case_id is None:
            return None
        dialog = SubjectAccessDialog(
            self.runner, self.vault, case_id, policy=self.policy, copy_text=self.copy_text, parent=self.parent_widget
        )
        dialog.setObjectName("subject-access-dialog")
        dialog.exported.connect(lambda record: self._exported(case_id, record))
        self._keep(dialog)
        dialog.show()
        self.subject_access_dialog = dialog
        return dialog

    def import_bundle(self) -> BundleImportDialog | None:
        case_id = self._case()
        if case_id is None:
            return None
        dialog = BundleImportDialog(self.runner, self.vault, case_id, parent=self.parent_widget)
        dialog.setObjectName("bundle-import-dialog")
        dialog.imported.connect(lambda received: self.workspace.refresh_case(received.case_id))
        self._keep(dialog)
        dialog.show()
        self.import_dialog = dialog
        return dialog

    # -- chronology --------------------------------------------------------------------------
    def open_export(self, export_id: int) -> ExportRecordView:
        view = ExportRecordView(
            self.runner,
            self.vault,
            export_id,
            on_feedback=lambda decision_id: self._record_feedback(view, decision_id),
            on_open_decision=self._open_decision,
            parent=self.parent_widget,
        )
        self._keep(view)
        view.show()
        return view

    def _record_feedback(self, view: ExportRecordView, decision_id: int) -> None:
        from desktop_app.ui.feedback_dialog import FeedbackDialog

        dialog = FeedbackDialog(self.runner, self.vault, decision_id=decision_id, parent=self.parent_widget)

        def saved(feedback: Any) -> None:
            self.workspace.refresh_case(feedback.case_id)
            self.workspace.show_message("info", "Feedback recorded against the decision; the export shows it.")
            if shiboken6.isValid(view):
                view.reload()

        dialog.saved.connect(saved)
        self._keep(dialog)
        dialog.open()

    def _open_decision(self, decision_id: int) -> None:
        decisions = getattr(self.workspace, "decisions", None)
        opener = getattr(decisions, "open_decision", None)
        if callable(opener):
            opener(decision_id)
        else:
            self.workspace.show_message("info", f"Decision {decision_id} is in the case's chronology.")

    def open_received(self, received_id: int) -> ReceivedView:
        view = ReceivedView(self.runner, self.vault, received_id, parent=self.parent_widget)
        self._keep(view)
        view.show()
        return view

    # -- backups -----------------------------------------------------------------------------
    def back_up(self) -> BackupDialog:
        dialog = BackupDialog(self.runner, self.vault, parent=self.parent_widget)
        dialog.setObjectName("backup-dialog")
        self._keep(dialog)
        dialog.show()
        self.backup_dialog = dialog
        return dialog

    def restore(self) -> RestoreDialog:
        dialog = RestoreDialog(self.runner, self.vault.folder.path, parent=self.parent_widget)
        dialog.setObjectName("restore-dialog")
        dialog.open_requested.connect(self._open_restored)
        self._keep(dialog)
        dialog.show()
        self.restore_dialog = dialog
        return dialog

    def _open_restored(self, path: Path) -> None:
        window = self.window
        lock, claim = getattr(window, "lock", None), getattr(window, "claim", None)
        if callable(lock) and callable(claim):
            lock("opening a restored vault")
            claim(Path(path))


__all__ = ["KINDS", "ExportExtension", "install"]
