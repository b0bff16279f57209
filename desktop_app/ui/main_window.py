"""The application window: one window whose pages follow the vault's state.

Locked: welcome, create, recovery-key and unlock pages. Unlocked: a workspace widget
that is built fresh at every unlock and destroyed at every lock, so no record can
survive a lock in any widget, model or dialog (dialogs are children of the workspace).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QApplication,
    QFileDialog,
    QLabel,
    QMainWindow,
    QMessageBox,
    QStackedWidget,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from desktop_app import APP_NAME, __version__
from desktop_app.domain.policy import EffectiveSettings, Policy, UserSettings, effective_settings
from desktop_app.errors import CaseNotesError, NotAVault
from desktop_app.services.policy_loader import escrow_for_new_vault, load_policy
from desktop_app.services.settings import effective as load_effective
from desktop_app.services.settings import save_user_settings
from desktop_app.store.vault import CreatedVault, Escrow, OpenVault, VaultFolder
from desktop_app.ui.background import BackgroundRunner
from desktop_app.ui.change_passphrase_dialog import ChangePassphraseDialog
from desktop_app.ui.clipboard import COPY_FORBIDDEN_MESSAGE, SensitiveClipboard
from desktop_app.ui.idle_lock import IdleLockWatcher
from desktop_app.ui.pages.create_vault_page import CreateVaultPage
from desktop_app.ui.pages.recovery_key_page import RecoveryKeyPage
from desktop_app.ui.pages.unlock_page import UnlockPage
from desktop_app.ui.pages.welcome_page import WelcomePage
from desktop_app.ui.session_monitor import SessionMonitor
from desktop_app.ui.settings_dialog import SettingsDialog
from desktop_app.ui.widgets.message_area import MessageArea

WorkspaceFactory = Callable[["MainWindow"], QWidget]


def default_workspace(window: MainWindow) -> QWidget:
    """The case workspace; the plain vault home if it cannot be built."""
    from desktop_app.ui.vault_home import VaultHome
    from desktop_app.ui.workspace import CaseWorkspace

    assert window.vault is not None
    try:
        return CaseWorkspace(window)
    except CaseNotesError as exc:
        window.notice.show_error(exc)
        return VaultHome(window.runner, window.vault)


def _descends_from(widget: QWidget, ancestor: QWidget) -> bool:
    """Through parents, across windows (``isAncestorOf`` stops at a window's edge)."""
    parent = widget.parentWidget()
    while parent is not None:
        if parent is ancestor:
            return True
        parent = parent.parentWidget()
    return False


class MainWindow(QMainWindow):
    locked = Signal()
    unlocked = Signal()

    def __init__(
        self,
        vault_dir: Path,
        *,
        runner: BackgroundRunner | None = None,
        workspace_factory: WorkspaceFactory | None = None,
        policy: Policy | None = None,
    ) -> None:
        super().__init__()
        self.setWindowTitle(APP_NAME)
        self.resize(1280, 720)
        self.vault_dir = Path(vault_dir)
        self.policy = policy if policy is not None else load_policy()
        self.runner = runner or BackgroundRunner(self)
        self.workspace_factory = workspace_factory or default_workspace
        self.folder: VaultFolder | None = None
        self.vault: OpenVault | None = None
        self.workspace: QWidget | None = None
        self._pending_created: CreatedVault | None = None

        self.welcome = WelcomePage()
        self.create_page = CreateVaultPage(self.vault_dir)
        self.create_page.apply_policy(self.policy)
        self.recovery_page = RecoveryKeyPage()
        self.unlock_page = UnlockPage()
        self.stack = QStackedWidget()
        for page in (self.welcome, self.create_page, self.recovery_page, self.unlock_page):
            self.stack.addWidget(page)
        self.notice = MessageArea()
        # Banners (e.g. outstanding follow-ups) are added here by the workspace.
        self.banner_area = QWidget()
        self.banner_layout = QVBoxLayout(self.banner_area)
        self.banner_layout.setContentsMargins(0, 0, 0, 0)
        central = QWidget()
        layout = QVBoxLayout(central)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(self.banner_area)
        layout.addWidget(self.notice)
        layout.addWidget(self.stack, 1)
        self.setCentralWidget(central)
        self.status = QLabel("Locked")
        self.statusBar().addWidget(self.status)

        self._build_actions()
        self.welcome.create_requested.connect(self.show_create)
        self.welcome.open_requested.connect(self.choose_vault_folder)
        self.welcome.demo_requested.connect(self._explore_demo)
        self.create_page.back_requested.connect(self._back_from_create)
        self.create_page.create_requested.connect(self._create_vault)
        self.recovery_page.confirmed.connect(self._recovery_key_kept)
        self.unlock_page.unlock_requested.connect(self._unlock)
        self.unlock_page.open_other_requested.connect(self.choose_vault_folder)
        self.unlock_page.create_requested.connect(self.show_create)
        self.runner.busy_changed.connect(self._busy_changed)

        # Locking and hygiene (docs/security.md): idle, minimise, OS session lock/suspend.
        self.settings = effective_settings(self.policy, UserSettings())
        self.idle_watcher = IdleLockWatcher(self.settings.idle_lock_minutes * 60_000, self)
        self.idle_watcher.watch_window(self)
        self.idle_watcher.lock_requested.connect(self.lock)
        self.session_monitor = SessionMonitor(self)
        self.session_monitor.lock_requested.connect(self.lock)
        self.session_sources = self.session_monitor.start()
        self.clipboard = SensitiveClipboard(self)
        self.clipboard.guard_application_copies(
            self, lambda: self.notice.show_message("info", COPY_FORBIDDEN_MESSAGE + ".")
        )
        self.apply_settings(self.settings)

    # -- actions and menus -----------------------------------------------------------------
    def _build_actions(self) -> None:
        self.lock_action = QAction("&Lock", self)
        self.lock_action.setShortcut(QKeySequence("Ctrl+L"))
        # Lock must work from any window of the application (a record opened in its own
        # dialog included); there is only ever one main window (the demo vault reuses it).
        self.lock_action.setShortcutContext(Qt.ShortcutContext.ApplicationShortcut)
        self.lock_action.setStatusTip("Lock the vault now and clear the screen")
        self.lock_action.triggered.connect(lambda: self.lock("manual"))
        self.settings_action = QAction("&Settings…", self)
        self.settings_action.setShortcut(QKeySequence("Ctrl+,"))
        self.settings_action.triggered.connect(self.open_settings)
        self.change_passphrase_action = QAction("Change &passphrase…", self)
        # A lambda: connected directly, triggered(checked=False) would arrive as
        # ask_current=False and the current passphrase would never be asked for.
        self.change_passphrase_action.triggered.connect(lambda: self.change_passphrase())
        self.open_action = QAction("&Open vault folder…", self)
        self.open_action.triggered.connect(self.choose_vault_folder)
        self.quit_action = QAction("&Quit", self)
        self.quit_action.setShortcut(QKeySequence("Ctrl+Q"))
        self.quit_action.triggered.connect(self.close)
        about = QAction("&About", self)
        about.triggered.connect(self._about)

        self.file_menu = self.menuBar().addMenu("&File")
        self.file_menu.addAction(self.open_action)
        self.file_menu.addAction(self.change_passphrase_action)
        self.file_menu.addAction(self.settings_action)
        self.file_menu.addSeparator()
        self.file_menu.addAction(self.lock_action)
        self.file_menu.addAction(self.quit_action)
        self.help_menu = self.menuBar().addMenu("&Help")
        self.help_menu.addAction(about)
        self.toolbar = QToolBar("Main")
        self.toolbar.setObjectName("main-toolbar")
        self.toolbar.setMovable(False)
        self.toolbar.addAction(self.lock_action)
        self.addToolBar(self.toolbar)
        self._update_actions()

    def _update_actions(self) -> None:
        unlocked = self.vault is not None
        self.lock_action.setEnabled(unlocked)
        self.change_passphrase_action.setEnabled(unlocked)
        self.settings_action.setEnabled(unlocked)
        self.open_action.setEnabled(not unlocked)
        self.toolbar.setVisible(unlocked)

    # -- start -------------------------------------------------------------------------------
    def start(self) -> None:
        """Show the right first page for ``vault_dir``."""
        if self.policy.problems:
            self.notice.show_message(
                "warning",
                "Some of your organisation's settings could not be used ("
                + self.policy.problem_summary()
                + "). Until they are corrected, the built-in defaults are used for them, or the "
                "stricter choice where the default is less strict.",
                "Tell your IT support; 'casenotes policy show' gives them the details.",
            )
        if VaultFolder.is_vault(self.vault_dir):
            self.claim(self.vault_dir)
        else:
            self.stack.setCurrentWidget(self.welcome)
            self.welcome.create_button.setFocus()

    def claim(self, path: Path) -> None:
        """Claim a vault folder and show the unlock page (or why it cannot be opened)."""
        if self.folder is not None:
            self.folder.release()
            self.folder = None
        self.vault_dir = path
        self.unlock_page.reset()
        self.stack.setCurrentWidget(self.unlock_page)
        try:
            self.folder = VaultFolder.attach(path)
        except CaseNotesError as exc:
            self.unlock_page.set_folder(path, [])
            self.unlock_page.set_unavailable(exc, offer_create=isinstance(exc, NotAVault))
            return
        self.unlock_page.set_folder(path, self.folder.warnings)
        self.unlock_page.secret.setFocus()

    def choose_vault_folder(self) -> None:
        chosen = QFileDialog.getExistingDirectory(self, "Open a vault folder", str(self.vault_dir))
        if chosen:
            self.claim(Path(chosen))

    def show_create(self) -> None:
        if self.folder is not None:
            self.folder.release()
            self.folder = None
        self.stack.setCurrentWidget(self.create_page)
        self.create_page.name.setFocus()

    def _back_from_create(self) -> None:
        self.create_page.clear_secrets()
        self.start()

    # -- create ------------------------------------------------------------------------------
    def _create_vault(self, request: dict[str, Any]) -> None:
        def work() -> CreatedVault:
            return VaultFolder.create(
                request["path"],
                request["passphrase"],
                owner_name=request["owner_name"],
                organisation_name=request["organisation_name"],
                organisation_sector=request["sector"],
                escrow=self.escrow_for_new_vault(),
            )

        self.runner.submit(work, self._created, self.create_page.show_error)

    def escrow_for_new_vault(self) -> Escrow | None:
        """Organisation escrow from policy: only a valid key whose pinned fingerprint matches."""
        return escrow_for_new_vault(self.policy)

    def _created(self, created: CreatedVault) -> None:
        self.create_page.clear_secrets()
        # The form's name and organisation would otherwise outlive every lock.
        self.create_page.name.clear()
        self.create_page.organisation.clear()
        self.create_page.set_busy(False)
        self._pending_created = created
        self.folder = created.folder
        self.vault_dir = created.folder.path
        self.recovery_page.show_key(created.recovery_key)
        self.stack.setCurrentWidget(self.recovery_page)
        self.recovery_page.kept.setFocus()

    def _recovery_key_kept(self) -> None:
        created, self._pending_created = self._pending_created, None
        if created is not None:
            self._enter_workspace(created.vault)

    # -- unlock / lock ----------------------------------------------------------------------
    def _unlock(self, secret: str, is_recovery_key: bool) -> None:
        folder = self.folder
        if folder is None:
            return

        def work() -> OpenVault:
            return folder.unlock_with_recovery_key(secret) if is_recovery_key else folder.unlock(secret)

        self.runner.submit(work, self._enter_workspace, self.unlock_page.show_error)

    def _enter_workspace(self, vault: OpenVault) -> None:
        self.vault = vault
        self.unlock_page.reset()
        try:
            self.workspace = self.workspace_factory(self)
        except CaseNotesError as exc:
            self.workspace = default_workspace(self)
            self.notice.show_error(exc)
        self.stack.addWidget(self.workspace)
        self.stack.setCurrentWidget(self.workspace)
        self.status.setText(f"Unlocked: {vault.folder.path}")
        self._update_actions()
        notices = list(vault.notices) + (vault.folder.warnings if vault.folder else [])
        if notices:
            self.notice.show_message("warning", " ".join(notices))
        self.runner.submit(lambda: load_effective(vault, self.policy), self.apply_settings)
        self.idle_watcher.start()
        self.unlocked.emit()
        if vault.needs_passphrase:
            self.change_passphrase(ask_current=False)

    def lock(self, reason: str = "manual") -> None:
        """Lock now: destroy every widget that shows a record, close the connection."""
        if self.vault is None:
            return
        vault, self.vault = self.vault, None
        self.idle_watcher.stop()
        self.clipboard.clear_now()
        workspace, self.workspace = self.workspace, None
        if workspace is not None:
            prepare = getattr(workspace, "prepare_lock", None)
            if callable(prepare):
                prepare()  # e.g. queue a draft save before the connection closes
            # Its dialogs are windows of their own: hiding the workspace does not hide
            # them, and deleteLater waits for the event loop. Hide them now, so nothing that
            # shows a record is on screen once this returns (even inside a modal loop).
            for other in QApplication.topLevelWidgets():
                if other.isVisible() and _descends_from(other, workspace):
                    other.hide()
            self.stack.removeWidget(workspace)
            workspace.hide()
            workspace.deleteLater()
        for index in reversed(range(self.banner_layout.count())):
            item = self.banner_layout.takeAt(index)
            banner = item.widget() if item is not None else None
            if banner is not None:
                banner.deleteLater()
        self.notice.clear()
        self.runner.invalidate()
        self.runner.run_now(lambda: vault.close(actor=None))
        self.status.setText(f"Locked ({reason})")
        self._update_actions()
        self.unlock_page.reset()
        self.unlock_page.set_folder(self.vault_dir, self.folder.warnings if self.folder else [])
        self.stack.setCurrentWidget(self.unlock_page)
        self.locked.emit()

    def change_passphrase(self, ask_current: bool = True) -> None:
        vault = self.vault
        if vault is None:
            return

        def submit(current: str | None, new: str, done: Any, failed: Any) -> None:
            if current is None:
                self.runner.submit(lambda: vault.set_passphrase(new), done, failed)
            else:
                self.runner.submit(lambda: vault.change_passphrase(current, new), done, failed)

        dialog = ChangePassphraseDialog(submit, ask_current=ask_current, parent=self.workspace or self)
        if dialog.exec():
            self.notice.show_message("info", "Passphrase changed. Your recovery key is unchanged.")

    # -- settings ----------------------------------------------------------------------------
    def apply_settings(self, settings: EffectiveSettings) -> None:
        """Put effective settings (policy-clamped) into force."""
        self.settings = settings
        self.idle_watcher.set_timeout_ms(settings.idle_lock_minutes * 60_000)
        self.idle_watcher.set_lock_on_minimise(settings.lock_on_minimise)
        self.clipboard.set_policy(settings.clipboard_allow_copy, settings.clipboard_clear_seconds)

    def open_settings(self) -> None:
        vault = self.vault
        if vault is None:
            return

        def save(user: UserSettings, done: Any, failed: Any) -> None:
            def work() -> EffectiveSettings:
                save_user_settings(vault, user)
                return load_effective(vault, self.policy)

            def saved(settings: EffectiveSettings) -> None:
                self.apply_settings(settings)
                done(settings)

            self.runner.submit(work, saved, failed)

        dialog = SettingsDialog(self.policy, self.settings, vault.info, save, parent=self.workspace or self)
        if dialog.exec():
            self.notice.show_message("info", "Settings saved.")

    # -- misc --------------------------------------------------------------------------------
    def _explore_demo(self) -> None:
        from desktop_app.ui.demo_vault import explore_demo_vault

        explore_demo_vault(self)

    def _busy_changed(self, busy: bool) -> None:
        self.unsetCursor() if not busy else None

    def _about(self) -> None:
        QMessageBox.about(
            self,
            f"About {APP_NAME}",
            f"<b>{APP_NAME}</b> {__version__}<br>Case notes and information-sharing decisions, "
            "encrypted on this computer. The guidance it follows supports your professional "
            "judgement: you decide, it helps you decide well and records why.",
        )

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt's name
        self.lock("closing")
        self.clipboard.clear_now()
        self.clipboard.stop_guarding()
        self.idle_watcher.stop()
        self.session_monitor.stop()
        if self._pending_created is not None:
            self._pending_created.vault.close()
            self._pending_created = None
        if self.folder is not None:
            self.folder.release()
            self.folder = None
        self.runner.shutdown()
        event.accept()
