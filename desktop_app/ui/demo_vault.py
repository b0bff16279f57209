"""Explore with demo data: a separate vault of fictional cases, opened like any other.

The demo vault lives next to the default vault, in the per-user local data folder
("demo-vault"), never inside a real vault. It is created on first use with
``services/demo_data.py`` and opened through the ordinary unlock path, so what people
try is what they will use. It is labelled "DEMO — fictional data" in the window title
and a banner (by the workspace, see ``is_demo_vault``).

Its passphrase is fixed and shown on screen: the vault holds only invented records.
For the same reason its key derivation uses the minimum accepted cost (there is no
secret to slow guessing of), so it opens quickly even on an old laptop.

Locking the demo vault brings the window back to where the person came from: their own
vault's unlock page, or the welcome page on first run.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Any

import shiboken6
from PySide6.QtCore import QObject, QTimer

from desktop_app.services import demo_data
from desktop_app.store import kdf
from desktop_app.store.location import default_vault_dir
from desktop_app.store.vault import VaultFolder
from desktop_app.ui.demo_vault_dialog import DemoVaultDialog

if TYPE_CHECKING:
    from desktop_app.ui.main_window import MainWindow

DEMO_FOLDER_NAME = "demo-vault"
DEMO_PASSPHRASE = "demo vault fictional data only"
DEMO_ORGANISATION = "Demo organisation (fictional)"
DEMO_CASES = 24
DEMO_NOTES = 600


def demo_vault_dir() -> Path:
    """The demo vault's folder: beside the default vault, in the local data folder."""
    return default_vault_dir().parent / DEMO_FOLDER_NAME


def same_folder(a: Path, b: Path) -> bool:
    try:
        return a.resolve() == b.resolve()
    except OSError:
        return False


def is_demo_vault(vault: Any) -> bool:
    """True for a demo vault: made by the demo builder (its owner is the fictional demo
    practitioner) or in the demo folder."""
    owner = getattr(getattr(vault, "info", None), "owner_name", "")
    folder = getattr(getattr(vault, "folder", None), "path", None)
    return owner == demo_data.DEMO_OWNER or (folder is not None and same_folder(Path(folder), demo_vault_dir()))


def create_demo_vault(folder: Path) -> None:
    """Create and fill the demo vault (store thread). Safe to call if it exists."""
    if VaultFolder.is_vault(folder):
        return
    params = kdf.KdfParams(
        memory_kib=kdf.MIN_MEMORY_KIB, iterations=kdf.MIN_ITERATIONS, lanes=kdf.LANES, salt=os.urandom(kdf.SALT_BYTES)
    )
    created = VaultFolder.create(
        folder,
        DEMO_PASSPHRASE,
        owner_name=demo_data.DEMO_OWNER,
        organisation_name=DEMO_ORGANISATION,
        kdf_params=params,
    )
    try:
        demo_data.build_demo(created.vault, cases=DEMO_CASES, notes=DEMO_NOTES)
    except BaseException:
        # An empty demo vault would be opened next time as if it were ready: remove
        # the folder just created (it holds nothing but fictional data), so a retry
        # starts afresh.
        created.vault.close()
        created.folder.release()
        shutil.rmtree(folder, ignore_errors=True)
        raise
    created.vault.close()
    created.folder.release()


class DemoVaultFlow(QObject):
    """One per window: opens the demo vault and, when it locks, goes back."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.return_to: Path | None = None
        self.dialog: DemoVaultDialog | None = None
        window.locked.connect(self._locked)

    def start(self) -> None:
        window = self.window
        folder = demo_vault_dir()
        leaving = window.vault is not None
        dialog = DemoVaultDialog(
            window.runner,
            folder,
            DEMO_PASSPHRASE,
            lambda: create_demo_vault(folder),
            exists=VaultFolder.is_vault(folder),
            leaving_vault=leaving,
            parent=window,
        )
        dialog.setObjectName("demo-vault-dialog")
        dialog.accepted.connect(lambda: self._open(folder))
        dialog.finished.connect(dialog.deleteLater)
        self.dialog = dialog
        dialog.open()

    def _open(self, folder: Path) -> None:
        window = self.window
        if not same_folder(window.vault_dir, folder):
            self.return_to = window.vault_dir
        if window.vault is not None:
            window.lock("demo")
        window.claim(folder)
        page = window.unlock_page
        if window.folder is None or not page.secret.isEnabled():
            return  # claim showed why it cannot be opened (for example, in use)
        page.secret.setText(DEMO_PASSPHRASE)
        page.unlock_button.click()

    def _locked(self) -> None:
        if same_folder(self.window.vault_dir, demo_vault_dir()) and self.return_to is not None:
            # After the lock has finished (and not when the window is closing).
            QTimer.singleShot(0, self, self._go_back)

    def _go_back(self) -> None:
        window = self.window
        if not shiboken6.isValid(window) or not window.isVisible() or window.vault is not None:
            return
        if not same_folder(window.vault_dir, demo_vault_dir()) or self.return_to is None:
            return
        back, self.return_to = self.return_to, None
        if window.folder is not None:
            window.folder.release()
            window.folder = None
        window.vault_dir = back
        window.start()
        window.notice.show_message(
            "info",
            "The demo vault is locked. To go back to it, choose “Explore with demo data” again "
            f"(or open the folder {demo_vault_dir()} with the passphrase “{DEMO_PASSPHRASE}”).",
        )


def explore_demo_vault(window: MainWindow) -> DemoVaultFlow:
    """Start the demo flow for ``window`` (from the welcome page or the workspace)."""
    flow = window.findChild(DemoVaultFlow)
    if flow is None:
        flow = DemoVaultFlow(window)
    flow.start()
    return flow
