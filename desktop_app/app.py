"""Start-up: paths, QApplication, the first window. Kept lean so the unlock screen
appears quickly; the heavy modules load when the vault opens."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

from desktop_app import APP_NAME, __version__


def run_application(vault_dir: str | None = None) -> int:
    from PySide6.QtWidgets import QApplication

    from desktop_app.services.policy_loader import load_policy, policy_vault_dir
    from desktop_app.store.location import default_vault_dir
    from desktop_app.ui.main_window import MainWindow

    existing = QApplication.instance()
    app = existing if isinstance(existing, QApplication) else QApplication(sys.argv[:1])
    app.setApplicationName(APP_NAME)
    app.setApplicationVersion(__version__)
    app.setOrganizationName("SafeguardingCaseNotes")
    app.setStyle("Fusion")
    from desktop_app.logging_setup import configure_logging, install_crash_hooks

    logs = configure_logging()
    install_crash_hooks()
    log = logging.getLogger("casenotes.app")
    log.info("starting version %s", __version__)
    policy = load_policy()
    if policy.problems:
        # One key name a line: the log filter lets identifier-like words through and
        # withholds free text. A problem with a whole source has no key.
        for key in sorted({problem.key or "whole-source" for problem in policy.problems}):
            log.warning("policy problem for key: %s", key)
    folder = Path(vault_dir).expanduser() if vault_dir else (policy_vault_dir(policy) or default_vault_dir())
    window = MainWindow(folder, policy=policy)
    window.show()
    window.start()
    log.info("session lock sources: %s", ",".join(window.session_sources) or "none")
    try:
        return int(app.exec())
    finally:
        log.info("stopped")
        logs.close()
