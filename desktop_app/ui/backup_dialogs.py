"""Back up now, and restore a backup into a new folder (``services.backup``).

A backup is made through SQLCipher (never plaintext), then reopened and checked (every
page, the audit chain) before it counts; the dialog shows where it went and that it was
verified. A restore goes only into a folder that does not exist yet, never over a vault;
afterwards the restored vault can be opened (which locks this one first).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QDialog,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from desktop_app.domain.backup_rotation import DEFAULT_POLICY
from desktop_app.services import backup as backup_service
from desktop_app.store.vault import OpenVault
from desktop_app.ui.background import BackgroundRunner
from desktop_app.ui.export_widgets import plain_label
from desktop_app.ui.widgets.guard import alive
from desktop_app.ui.widgets.message_area import MessageArea

PATH_ROLE = Qt.ItemDataRole.UserRole + 1


class BackupDialog(QDialog):
    """Emits ``backed_up(Path)`` with the new, verified backup folder."""

    backed_up = Signal(object)

    def __init__(self, runner: BackgroundRunner, vault: OpenVault, *, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.runner = runner
        self.vault = vault
        self.made: Path | None = None
        self.setWindowTitle("Back up now")
        self.message = MessageArea()
        self.destination = backup_service.default_backup_dir(vault.folder.path)
        self.where = plain_label(str(self.destination))
        self.choose_button = QPushButton("Choose another &folder…")
        self.choose_button.clicked.connect(self._choose)
        self.backup_button = QPushButton("&Back up now")
        self.backup_button.setDefault(True)
        self.backup_button.clicked.connect(self.start)
        self.close_button = QPushButton("&Close")
        self.close_button.clicked.connect(self.close)
        form = QFormLayout()
        row = QHBoxLayout()
        row.addWidget(self.where, 1)
        row.addWidget(self.choose_button)
        form.addRow("Backups folder:", row)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.backup_button)
        buttons.addWidget(self.close_button)
        layout = QVBoxLayout(self)
        layout.addWidget(
            plain_label(
                "An encrypted copy of the whole vault goes into a new dated folder. It is opened again and "
                "checked before it counts. Keep backups on another disk if you can; old ones are thinned out "
                "(the last 5, one a day for 14 days, one a week for 8 weeks)."
            )
        )
        layout.addLayout(form)
        layout.addWidget(self.message)
        self.details = plain_label()
        self.details.hide()
        layout.addWidget(self.details)
        layout.addStretch(1)
        layout.addLayout(buttons)
        self.resize(680, 360)

    def ask_folder(self) -> str:
        """A backups folder ('' if cancelled). Tests replace this method."""
        return QFileDialog.getExistingDirectory(self, "Choose the backups folder", str(self.destination.parent))

    def _choose(self) -> None:
        chosen = self.ask_folder()
        if chosen:
            self.destination = Path(chosen)
            self.where.setText(chosen)

    def start(self) -> None:
        vault, destination = self.vault, self.destination
        self.backup_button.setEnabled(False)
        self.message.show_message("info", "Making the backup and checking it…")
        self.runner.submit(
            lambda: backup_service.backup(vault, destination, policy=DEFAULT_POLICY),
            alive(self, self._done),
            alive(self, self._failed),
        )

    def _failed(self, exc: BaseException) -> None:
        self.backup_button.setEnabled(True)
        self.message.show_error(exc)

    def _done(self, made: Path) -> None:
        self.made = made
        self.message.show_message("info", "Backup made and verified.")
        self.details.setText(
            f"Folder: {made}\n\nIt was reopened with the vault's key and checked: every page and the audit trail. "
            "It opens with the passphrase you use today, or with your recovery key."
        )
        self.details.show()
        self.close_button.setText("&Done")
        self.close_button.setFocus()
        self.backed_up.emit(made)


class RestoreDialog(QDialog):
    """Restore a backup into a new folder. Emits ``restored(Path)``; ``open_requested(Path)``
    when the person chooses to open the restored vault."""

    restored = Signal(object)
    open_requested = Signal(object)

    def __init__(
        self,
        runner: BackgroundRunner,
        vault_dir: Path,
        *,
        parent: QWidget | None = None,
        list_backups: Callable[[Path], dict[Path, object]] = backup_service.list_backups,  # type: ignore[assignment]
    ) -> None:
        super().__init__(parent)
        self.runner = runner
        self.vault_dir = Path(vault_dir)
        self.restored_path: Path | None = None
        self.setWindowTitle("Restore a backup")
        self.message = MessageArea()
        self.backups = QListWidget()
        self.backups.setAccessibleName("Backups")
        self.other_button = QPushButton("Choose another &backup…")
        self.other_button.clicked.connect(self._choose_backup)
        self.target = QLineEdit(str(self.vault_dir.parent / f"{self.vault_dir.name}-restored-{date.today():%Y%m%d}"))
        self.target.setAccessibleName("The new folder for the restored vault")
        self.target_button = QPushButton("Choose…")
        self.target_button.clicked.connect(self._choose_target)
        self.by_passphrase = QRadioButton("The &passphrase the vault had when it was backed up")
        self.by_key = QRadioButton("The vault's &recovery key")
        group = QButtonGroup(self)
        group.addButton(self.by_passphrase)
        group.addButton(self.by_key)
        self.by_passphrase.setChecked(True)
        self.secret = QLineEdit()
        self.secret.setEchoMode(QLineEdit.EchoMode.Password)
        self.secret.setAccessibleName("Passphrase or recovery key")
        self.restore_button = QPushButton("&Restore")
        self.restore_button.clicked.connect(self.start)
        self.open_button = QPushButton("&Open the restored vault")
        self.open_button.setToolTip("Locks this vault first")
        self.open_button.hide()
        self.open_button.clicked.connect(self._open)
        self.close_button = QPushButton("&Close")
        self.close_button.clicked.connect(self.close)
        form = QFormLayout()
        backups_row = QVBoxLayout()
        backups_row.addWidget(self.backups)
        backups_row.addWidget(self.other_button)
        form.addRow("Backup:", backups_row)
        target_row = QHBoxLayout()
        target_row.addWidget(self.target, 1)
        target_row.addWidget(self.target_button)
        form.addRow("Restore into (a new folder):", target_row)
        form.addRow("Unlock it with:", self.by_passphrase)
        form.addRow("", self.by_key)
        form.addRow("&Secret:", self.secret)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.restore_button)
        buttons.addWidget(self.open_button)
        buttons.addWidget(self.close_button)
        layout = QVBoxLayout(self)
        layout.addWidget(
            plain_label(
                "A backup is restored into a new folder, never over a vault: the vault you have now stays as it "
                "is. The restored vault is checked (every page and its audit trail) before it is ready."
            )
        )
        layout.addLayout(form)
        layout.addWidget(self.message)
        layout.addLayout(buttons)
        self.resize(720, 520)
        for path, _when in sorted(
            list_backups(backup_service.default_backup_dir(self.vault_dir)).items(),
            key=lambda kv: kv[0].name,
            reverse=True,
        ):
            self._add_backup(path)
        if self.backups.count():
            self.backups.setCurrentRow(0)

    def _add_backup(self, path: Path) -> None:
        item = QListWidgetItem(f"{path.name}    ({path.parent})")
        item.setData(PATH_ROLE, str(path))
        self.backups.addItem(item)

    def ask_folder(self, title: str, start: str) -> str:
        """A folder ('' if cancelled). Tests replace this method."""
        return QFileDialog.getExistingDirectory(self, title, start)

    def _choose_backup(self) -> None:
        chosen = self.ask_folder("Choose a dated backup folder (it holds vault.db)", str(self.vault_dir.parent))
        if chosen:
            self._add_backup(Path(chosen))
            self.backups.setCurrentRow(self.backups.count() - 1)

    def _choose_target(self) -> None:
        chosen = self.ask_folder("Choose an empty folder for the restored vault", str(self.vault_dir.parent))
        if chosen:
            self.target.setText(chosen)

    def chosen_backup(self) -> Path | None:
        item = self.backups.currentItem()
        return Path(item.data(PATH_ROLE)) if item is not None else None

    def start(self) -> None:
        source = self.chosen_backup()
        target = Path(self.target.text().strip()) if self.target.text().strip() else None
        secret = self.secret.text()
        by_key = self.by_key.isChecked()
        if source is None or target is None or not secret:
            self.message.show_message("info", "Choose a backup and a new folder, and type the secret that opens it.")
            return

        def work() -> Path:
            if by_key:
                restored = backup_service.restore(source, target, recovery_key=secret)
            else:
                restored = backup_service.restore(source, target, passphrase=secret)
            try:
                restored.vault.close()
            finally:
                restored.folder.release()
            return target

        self.restore_button.setEnabled(False)
        self.message.show_message("info", "Restoring and checking…")
        self.runner.submit(work, alive(self, self._done), alive(self, self._failed))

    def _failed(self, exc: BaseException) -> None:
        self.restore_button.setEnabled(True)
        self.message.show_error(exc)

    def _done(self, path: Path) -> None:
        self.secret.clear()
        self.restored_path = path
        self.message.show_message(
            "info",
            f"Restored into {path}. Its audit trail is intact.",
            "Open it now to check it (this vault is locked first), or later with File ▸ Open vault folder.",
        )
        self.restore_button.hide()
        self.open_button.show()
        self.open_button.setFocus()
        self.restored.emit(path)

    def _open(self) -> None:
        if self.restored_path is not None:
            path = self.restored_path
            self.accept()
            self.open_requested.emit(path)

    def done(self, result: int) -> None:
        self.secret.clear()
        super().done(result)
