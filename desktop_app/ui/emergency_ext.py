"""Share now, document later, in the window: installed into the case workspace.

``install(workspace)`` is called each time the workspace is built (at every unlock). It
adds:

* **Share now** — a prominent main-toolbar button, Ctrl+Shift+E anywhere in the window
  (an application-wide shortcut), a case action and the Emergency menu. The form opens
  at once, with the open case pre-selected.
* **The banner** in ``window.banner_layout`` while any follow-up is open, with
  "Document now"; it cannot be closed and escalates in words and icon.
* **The list at unlock**: the open follow-ups, overdue first, before anything else.
  "Document now" or "Later"; the banner stays either way.
* **Reminders**: a timer armed for the next change of urgency (due soon, due, long
  overdue) and a once-a-minute check against the wall clock (which also catches a
  suspend or a clock change). At each change a desktop notification (system tray, with
  no names in it) if there is a tray, and always an alert in the window.
* **Document now**: the decision wizard, pre-filled from the capture; when it saves the
  decision record, the follow-up is linked to it.
* **Oversight** of every emergency share for the safeguarding lead; a written-up share
  opened from there (or the chronology) offers "Export what was shared…", the export
  extension's share packet under the write-up's decision record.
* **Nothing typed is lost**: the form keeps what is typed in the vault as it goes and
  when the vault locks (``workspace.locking``); after unlock, before the list, a capture
  left by a lock or a crash is offered back in the form to finish.
* **While locked** (``LockedReminder``, owned by the main window, which outlives the
  workspace): only the due times of the open follow-ups and how many there were are kept
  in memory, and a deadline that passes still gives a notification that names no one.

All vault access goes through ``workspace.runner``; every dialog is a child of the
workspace, so a lock destroys it.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import shiboken6
from PySide6.QtCore import QObject, Qt, QTimer
from PySide6.QtGui import QAction, QIcon, QKeySequence
from PySide6.QtWidgets import QApplication, QMenu, QStyle, QSystemTrayIcon, QWidget

from desktop_app.domain import follow_up
from desktop_app.domain.emergency import (
    DecisionPrefill,
    EmergencyShare,
    UnfinishedCapture,
    local_text,
    locked_notification_text,
    next_escalation,
    notification_text,
    order_open,
    reminder_text,
)
from desktop_app.domain.follow_up import Urgency
from desktop_app.services import emergency as emergency_service
from desktop_app.ui.emergency_dialog import EmergencyDialog
from desktop_app.ui.follow_up_banner import FollowUpBanner
from desktop_app.ui.follow_up_list_dialog import (
    SHARE_NOW_KEYS,
    FollowUpListDialog,
    InErrorDialog,
    ShareDetailsDialog,
)
from desktop_app.ui.oversight_view import OversightView

CHRONOLOGY_KIND = "emergency_share"
TICK_MS = 60_000
RELOAD_EVERY_TICKS = 5  # look in the store again every five minutes (write-ups saved elsewhere)
MAX_TIMER_MS = 6 * 60 * 60 * 1000  # re-check at least every 6 hours; the tick covers the rest
LOCKED_CHECK_MS = 60_000  # while locked, look at the wall clock at least once a minute (suspend, clock changes)
LOCKED_REMINDER_NAME = "emergency-locked-reminder"

WizardOpener = Callable[[Any, DecisionPrefill, Callable[[Any], None]], None]


def install(workspace: Any) -> None:
    """Add the emergency path to a freshly built workspace (see the module docstring)."""
    LockedReminder.of(workspace.window).clear()  # unlocked: the workspace's own reminders take over
    feature = EmergencyFeature(workspace)
    workspace.emergency = feature  # keeps a handle for tests and for the workspace itself


def open_decision_wizard(workspace: Any, prefill: DecisionPrefill, on_saved: Callable[[Any], None]) -> None:
    """Open the decision wizard pre-filled from an emergency share, parented to the
    workspace; ``on_saved(decision)`` is called once the decision record is saved.

    ``desktop_app.ui.decision_wizard.open_decision_wizard`` takes the prefill as it is
    (``case_id``, ``answers``, ``record``, ``source``). The wizard stores ``source`` with
    the decision, so a write-up finished by another route (say, resumed after a lock)
    is still linked (``services.emergency.link_saved_write_ups``).
    """
    try:
        module = importlib.import_module("desktop_app.ui.decision_wizard")
    except ModuleNotFoundError as exc:
        if exc.name != "desktop_app.ui.decision_wizard":
            raise
        workspace.show_message(
            "warning",
            "The decision wizard is not available in this version, so the write-up cannot be completed here yet. "
            "The follow-up stays outstanding.",
        )
        return
    module.open_decision_wizard(workspace, prefill, on_saved)


def _nothing() -> None:
    return None


def _tray_icon(window: QWidget, parent: QObject) -> QSystemTrayIcon:
    icon = window.windowIcon()
    if icon.isNull():
        icon = window.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxWarning)
    tray = QSystemTrayIcon(QIcon(icon), parent)
    tray.setToolTip("Safeguarding Case Notes")
    return tray


class LockedReminder(QObject):
    """Deadlines that pass while the vault is locked.

    The workspace, its reminders and every record go at a lock; this object belongs to
    the main window instead and is handed, at each lock, only the due times of the open
    follow-ups and how many were open: no names, case references, recipients or ids. At
    each due time it gives a desktop notification (if there is a system tray), flashes
    the window in the task bar and shows the same words over the unlock screen, none of
    which names anyone. The next unlock clears it (the workspace's own reminders and the
    list at unlock take over).
    """

    def __init__(self, window: QWidget) -> None:
        super().__init__(window)
        self.setObjectName(LOCKED_REMINDER_NAME)
        self.window = window
        self.due_times: list[datetime] = []  # aware UTC, still to come, soonest first
        self.open_count = 0
        self.notified: list[str] = []  # what was said (for tests; never names anyone)
        self.tray: QSystemTrayIcon | None = None
        self._posted_notice = False
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.timeout.connect(self.check)

    @classmethod
    def of(cls, window: QWidget) -> LockedReminder:
        """The window's reminder (made the first time it is asked for)."""
        found = window.findChild(cls, LOCKED_REMINDER_NAME)
        return found if isinstance(found, cls) else cls(window)

    def arm(self, due_times: list[datetime], open_count: int, now: datetime | None = None) -> None:
        """Keep these due times (the ones still to come) until the next unlock."""
        current = now or datetime.now(UTC)
        self.due_times = sorted(moment for moment in due_times if moment > current)
        self.open_count = open_count
        self._schedule(current)

    def clear(self) -> None:
        self.timer.stop()
        self.due_times = []
        self.open_count = 0
        if self.tray is not None:
            self.tray.hide()
        if self._posted_notice:
            self._posted_notice = False
            notice = getattr(self.window, "notice", None)
            if notice is not None:
                notice.clear()

    def _schedule(self, now: datetime) -> None:
        self.timer.stop()
        if not self.due_times:
            return
        ms = int((self.due_times[0] - now).total_seconds() * 1000) + 200
        self.timer.start(max(200, min(ms, LOCKED_CHECK_MS)))

    def check(self, now: datetime | None = None) -> None:
        """Notify for every due time now passed; wait for the next (or a minute)."""
        if getattr(self.window, "vault", None) is not None:
            self.clear()  # unlocked meanwhile: the workspace reminds
            return
        current = now or datetime.now(UTC)
        passed = [moment for moment in self.due_times if moment <= current]
        self.due_times = [moment for moment in self.due_times if moment > current]
        if passed:
            self.notify(len(passed))
        self._schedule(current)

    def notify(self, count: int) -> None:
        text = locked_notification_text(count)
        self.notified.append(text)
        QApplication.alert(self.window)
        notice = getattr(self.window, "notice", None)
        if notice is not None:
            notice.show_message("warning", text)
            self._posted_notice = True
        if QSystemTrayIcon.isSystemTrayAvailable():
            if self.tray is None:
                self.tray = _tray_icon(self.window, self)
            noun = "write-up" if self.open_count == 1 else "write-ups"
            self.tray.setToolTip(f"Safeguarding Case Notes (locked): {self.open_count} emergency {noun} to do")
            self.tray.show()
            self.tray.showMessage(
                "Emergency share: write-up overdue", text, QSystemTrayIcon.MessageIcon.Warning, 30_000
            )


def _drop_banner(layout: Any, banner: QWidget) -> None:
    """Take the banner away with its workspace (the window also clears banners on lock)."""
    try:
        layout.removeWidget(banner)
        banner.deleteLater()
    except RuntimeError:
        pass  # already destroyed with the window's banner area


class EmergencyFeature(QObject):
    """Everything the emergency path adds to one workspace (lives as long as it does)."""

    def __init__(self, workspace: Any) -> None:
        super().__init__(workspace)
        self.workspace = workspace
        self.window = workspace.window
        self.runner = workspace.runner
        self.vault = workspace.vault
        self.shares: list[EmergencyShare] = []
        self.loaded = False
        self.levels: dict[int, Urgency] = {}  # the urgency each open follow-up was last seen at
        self.unlock_list_shown = False
        self.dialog: EmergencyDialog | None = None
        self.list_dialog: FollowUpListDialog | None = None
        self.details_dialog: ShareDetailsDialog | None = None
        self.tray: QSystemTrayIcon | None = None
        self.alerts: list[str] = []  # in-window alerts given (for tests and the status bar)
        self.unfinished: list[UnfinishedCapture] = []  # captures left by a lock or a crash
        self._list_after_form = False  # at unlock: the list waits for the offered capture

        self._build_actions()
        self.banner = FollowUpBanner()
        self.banner.document_requested.connect(self.document)
        self.banner.show_all_requested.connect(lambda: self.show_list(at_unlock=False))
        self.window.banner_layout.addWidget(self.banner)
        banner, layout = self.banner, self.window.banner_layout
        workspace.destroyed.connect(lambda *_: _drop_banner(layout, banner))

        self.tick = QTimer(self)
        self.tick.setInterval(TICK_MS)
        self.tick.timeout.connect(self._tick)
        self.tick.start()
        self.ticks = 0
        self.alarm = QTimer(self)
        self.alarm.setSingleShot(True)
        self.alarm.setTimerType(Qt.TimerType.CoarseTimer)
        self.alarm.timeout.connect(self.check_deadlines)

        locking = getattr(workspace, "locking", None)
        if locking is not None:
            locking.connect(self._keep_typing)
            locking.connect(self._stop)
        case_changed = getattr(workspace, "case_changed", None)
        if case_changed is not None:
            case_changed.connect(lambda *_: self.reload())
        register = getattr(workspace, "register_chronology_opener", None)
        if callable(register):
            register(CHRONOLOGY_KIND, self.open_share)
        self.reload(show_unlock_list=True)

    # -- actions ---------------------------------------------------------------------------
    def _build_actions(self) -> None:
        style = self.workspace.style()
        icon = style.standardIcon(QStyle.StandardPixmap.SP_MessageBoxWarning)
        self.share_action = QAction(icon, "Share now", self.workspace)
        self.share_action.setObjectName("share-now")
        self.share_action.setShortcut(QKeySequence(SHARE_NOW_KEYS))
        self.share_action.setShortcutContext(Qt.ShortcutContext.ApplicationShortcut)
        self.share_action.setToolTip(
            f"Share now ({SHARE_NOW_KEYS}): record information shared in an emergency in under a minute; "
            "write it up later"
        )
        self.share_action.setStatusTip(self.share_action.toolTip())
        font = self.share_action.font()
        font.setBold(True)
        self.share_action.setFont(font)
        self.share_action.triggered.connect(lambda _checked=False: self.share_now())
        self.workspace.add_toolbar_action(self.share_action)
        self._make_toolbar_button_prominent()

        self.case_share_action = QAction(icon, "Share now (emergency) for this case…", self.workspace)
        self.case_share_action.triggered.connect(lambda _checked=False: self.share_now())
        self.workspace.add_case_action(self.case_share_action)

        self.follow_ups_action = QAction("Emergency shares to &write up…", self.workspace)
        self.follow_ups_action.triggered.connect(lambda: self.show_list(at_unlock=False))
        self.oversight_action = QAction("&Oversight of emergency shares…", self.workspace)
        self.oversight_action.triggered.connect(self.show_oversight)
        self.menu = QMenu("E&mergency", self.workspace)
        self.menu.addAction(self.share_action)
        self.menu.addSeparator()
        self.menu.addAction(self.follow_ups_action)
        self.menu.addAction(self.oversight_action)
        self.workspace.add_menu(self.menu)

    def _make_toolbar_button_prominent(self) -> None:
        toolbar = getattr(self.window, "toolbar", None)
        if toolbar is None:
            return
        button = toolbar.widgetForAction(self.share_action)
        if button is None:
            return
        button.setObjectName("share-now-button")
        button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        button.setStyleSheet(
            "QToolButton#share-now-button { font-weight: bold; padding: 4px 12px; border: 2px solid #8c1d18; "
            "border-radius: 4px; background: #fdecea; color: #5c130f; }"
            "QToolButton#share-now-button:focus { border: 3px solid #000000; }"
        )
        button.setAccessibleName(f"Share now, emergency ({SHARE_NOW_KEYS})")

    def _keep_typing(self) -> None:
        """Locking: queue a save of what is typed in the form (before the connection closes)."""
        if self.dialog is not None and shiboken6.isValid(self.dialog):
            self.dialog.keep_now()

    def _stop(self) -> None:
        """Locking: no more reminders from this workspace; the tray icon goes too. The
        window's ``LockedReminder`` keeps the due times (only those) until the unlock."""
        self.tick.stop()
        self.alarm.stop()
        if self.tray is not None:
            self.tray.hide()
        LockedReminder.of(self.window).arm([share.due_at for share in self.shares], len(self.shares))

    def current_case_id(self) -> int | None:
        getter = getattr(self.workspace, "current_case_id", None)
        value = getter() if callable(getter) else None
        return value if isinstance(value, int) else None

    # -- share now -------------------------------------------------------------------------
    def deadline_hours(self) -> int:
        policy = getattr(self.window, "policy", None)
        hours = getattr(policy, "follow_up_deadline_hours", None)
        if isinstance(hours, int):
            return follow_up.deadline_hours(hours)
        return follow_up.DEFAULT_DEADLINE_HOURS

    def share_now(self, unfinished: UnfinishedCapture | None = None) -> None:
        """Open the emergency form at once (or bring it back if it is already open).

        ``unfinished``: a capture kept before a lock or a crash, to finish. Without one,
        the form still takes back a kept capture that no form holds, if nothing has been
        typed in it by the time the cases arrive (so no kept capture is ever stranded).
        """
        if self.dialog is not None and self.dialog.isVisible():
            if unfinished is not None and not self.dialog.has_typing() and not self.dialog.kept_token:
                self.dialog.restore(unfinished)
            self.dialog.raise_()
            self.dialog.activateWindow()
            return
        if self.list_dialog is not None and self.list_dialog.isVisible():
            self.list_dialog.reject()
        dialog = EmergencyDialog(
            self.runner,
            self.vault,
            current_case_id=self.current_case_id(),
            deadline_hours=self.deadline_hours(),
            unfinished=unfinished,
            parent=self.workspace,
        )
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        lock_action = getattr(self.window, "lock_action", None)
        if isinstance(lock_action, QAction):
            dialog.addAction(lock_action)  # Ctrl+L locks from the form too (and keeps what is typed)
        dialog.saved.connect(self._shared)
        dialog.finished.connect(lambda *_: self._dialog_gone(dialog))
        self.dialog = dialog
        dialog.open()
        vault = self.vault
        from desktop_app.services import case_records

        def work() -> tuple[list[Any], list[UnfinishedCapture]]:
            cases = [s.case for s in case_records.list_cases(vault, limit=10_000)]
            return cases, emergency_service.unfinished_captures(vault)

        def arrived(result: tuple[list[Any], list[UnfinishedCapture]]) -> None:
            cases, kept = result
            if self.dialog is not dialog:
                return
            if not dialog.kept_token and not dialog.has_typing() and kept:
                dialog.restore(kept[0])
            dialog.set_cases(cases)

        self.runner.submit(work, arrived, dialog.show_error)

    def _dialog_gone(self, dialog: EmergencyDialog) -> None:
        if self.dialog is dialog:
            self.dialog = None
        if self._list_after_form:
            # At unlock the form came first (a capture to finish); now the next kept
            # capture, if any, then the list of follow-ups.
            self._list_after_form = False
            self.reload(show_unlock_list=True)

    def _shared(self, share: EmergencyShare) -> None:
        now = datetime.now(UTC)
        self.workspace.show_message(
            "info",
            f"Recorded: emergency share with {share.who} ({share.case_reference}). "
            f"The write-up is due {local_text(share.due_at)}; it stays at the top of the window until it is done.",
        )
        self.levels[share.id] = share.urgency(now)
        self._refresh_case(share.case_id)
        self.reload()

    def _refresh_case(self, case_id: int) -> None:
        refresh = getattr(self.workspace, "refresh_case", None)
        if callable(refresh):
            refresh(case_id)

    # -- loading and the banner ----------------------------------------------------------------
    def reload(self, *, show_unlock_list: bool = False) -> None:
        vault = self.vault

        def work() -> tuple[list[EmergencyShare], list[EmergencyShare], list[UnfinishedCapture]]:
            linked = emergency_service.link_saved_write_ups(vault)
            return (
                linked,
                emergency_service.outstanding_follow_ups(vault),
                emergency_service.unfinished_captures(vault),
            )

        self.runner.submit(work, lambda result: self._loaded(result, show_unlock_list), self._failed)

    def _failed(self, exc: BaseException) -> None:
        self.workspace.show_error(exc)

    def _loaded(
        self,
        result: tuple[list[EmergencyShare], list[EmergencyShare], list[UnfinishedCapture]],
        show_unlock_list: bool,
    ) -> None:
        linked, shares, unfinished = result
        now = datetime.now(UTC)
        self.loaded = True
        self.unfinished = unfinished
        for share in linked:
            self.workspace.show_message(
                "info",
                f"The saved write-up of the emergency share with {share.who} ({share.case_reference}) "
                f"has been linked to it (decision record {share.completed_decision_id}).",
            )
        self.shares = order_open(shares, now)
        known = {s.id for s in self.shares}
        self.levels = {k: v for k, v in self.levels.items() if k in known}
        for share in self.shares:
            # What is already due when first seen is shown by the list and the banner, not
            # notified; a rise since a follow-up was last seen is (check_deadlines).
            self.levels.setdefault(share.id, share.urgency(now))
        self.check_deadlines(now)
        if self.list_dialog is not None and self.list_dialog.isVisible():
            if self.shares:
                self.list_dialog.set_shares(self.shares, now)
            else:
                self.list_dialog.reject()
        if not show_unlock_list or self.unlock_list_shown:
            return
        # The store thread runs jobs in order: showing the form or the list after a no-op
        # queued now puts it above whatever else the workspace opens with the results of
        # its own unlock-time work (say, the unsaved drafts), so it is the first thing to
        # answer. A capture left by a lock comes first: it is not yet a record at all.
        held = self.dialog.kept_token if self.dialog is not None else ""
        waiting = [capture for capture in unfinished if capture.token != held]
        if waiting and (self.dialog is None or not self.dialog.has_typing()):
            self._list_after_form = True
            self.runner.submit(_nothing, lambda _: self.share_now(waiting[0]), self._failed)
        elif self.shares and self.dialog is not None:
            self._list_after_form = True  # the form being typed in first; the list when it closes
        elif self.shares:
            self.unlock_list_shown = True
            self.runner.submit(_nothing, lambda _: self.show_list(at_unlock=True), self._failed)

    def _arm(self, now: datetime) -> None:
        self.alarm.stop()
        moment = next_escalation(self.shares, now)
        if moment is None:
            return
        ms = int((moment - now).total_seconds() * 1000) + 500
        self.alarm.start(max(1_000, min(ms, MAX_TIMER_MS)))

    def _tick(self) -> None:
        self.ticks += 1
        if self.ticks % RELOAD_EVERY_TICKS == 0:
            self.reload()
        else:
            self.check_deadlines()

    def check_deadlines(self, now: datetime | None = None) -> None:
        """Escalate any follow-up whose urgency has risen since it was last seen; re-word
        the banner (times move on) and re-arm the timer."""
        current = now or datetime.now(UTC)
        risen: list[tuple[EmergencyShare, Urgency]] = []
        for share in self.shares:
            level = share.urgency(current)
            if level.value > self.levels.get(share.id, level).value:
                risen.append((share, level))
            self.levels[share.id] = level
        self.shares = order_open(self.shares, current)
        self.banner.set_follow_ups(self.shares, current)
        if risen:
            share, level = max(risen, key=lambda pair: pair[1].value)
            self.notify(share, level, current)
        self._arm(current)

    def notify(self, share: EmergencyShare, level: Urgency, now: datetime) -> None:
        """A desktop notification (no names: it may show outside the window) when there
        is a system tray, and always an alert in the window."""
        text = reminder_text(share, now)
        self.alerts.append(text)
        self.workspace.show_message("warning" if level is Urgency.DUE_SOON else "error", text)
        QApplication.alert(self.window)
        if QSystemTrayIcon.isSystemTrayAvailable():
            if self.tray is None:
                self.tray = _tray_icon(self.window, self.workspace)
                self.tray.activated.connect(lambda *_: self._bring_to_front())
                self.tray.messageClicked.connect(self._bring_to_front)
                self.tray.show()
            self.tray.showMessage(
                "Emergency share: write-up " + ("due soon" if level is Urgency.DUE_SOON else "overdue"),
                notification_text(level),
                QSystemTrayIcon.MessageIcon.Warning,
                30_000,
            )

    def _bring_to_front(self) -> None:
        self.window.showNormal()
        self.window.raise_()
        self.window.activateWindow()

    # -- the list ----------------------------------------------------------------------------
    def show_list(self, *, at_unlock: bool) -> None:
        if not self.shares:
            self.workspace.show_message("info", "No emergency shares are waiting to be written up.")
            return
        if self.list_dialog is not None and self.list_dialog.isVisible():
            self.list_dialog.raise_()
            return
        dialog = FollowUpListDialog(self.shares, datetime.now(UTC), at_unlock=at_unlock, parent=self.workspace)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.document_requested.connect(self.document)
        dialog.in_error_requested.connect(self.mark_in_error)
        dialog.share_now_requested.connect(lambda: self.share_now())
        dialog.finished.connect(lambda *_: self._list_gone(dialog))
        self.list_dialog = dialog
        dialog.open()

    def _list_gone(self, dialog: FollowUpListDialog) -> None:
        if self.list_dialog is dialog:
            self.list_dialog = None

    # -- closing a follow-up -----------------------------------------------------------------
    def document(self, share_id: int) -> None:
        """Write up: the decision wizard, pre-filled; the follow-up is linked when it saves."""
        vault = self.vault
        self.runner.submit(
            lambda: emergency_service.decision_prefill_for(vault, share_id),
            self._open_wizard,
            self._failed,
        )

    def _open_wizard(self, prefill: DecisionPrefill) -> None:
        share_id = prefill.emergency_share_id

        def on_saved(decision: Any) -> None:
            self._decision_saved(share_id, decision)

        open_decision_wizard(self.workspace, prefill, on_saved)

    def _decision_saved(self, share_id: int, decision: Any) -> None:
        vault = self.vault
        decision_id = int(decision.id)
        self.runner.submit(
            lambda: emergency_service.complete_follow_up(vault, share_id, decision_id),
            self._completed,
            self._complete_failed,
        )

    def _completed(self, share: EmergencyShare) -> None:
        now = datetime.now(UTC)
        self.workspace.show_message(
            "info",
            f"Written up: the emergency share with {share.who} ({share.case_reference}) is "
            f"{share.status(now).label.lower()}, linked to decision record {share.completed_decision_id}.",
        )
        self._refresh_case(share.case_id)
        self.reload()

    def _complete_failed(self, exc: BaseException) -> None:
        self.workspace.show_error(exc)
        self.reload()  # the write-up may still be linked from its prefill source

    def mark_in_error(self, share_id: int) -> None:
        vault = self.vault
        self.runner.submit(lambda: emergency_service.get_share(vault, share_id), self._ask_in_error, self._failed)

    def _ask_in_error(self, share: EmergencyShare) -> None:
        dialog = InErrorDialog(self.runner, self.vault, share, self.workspace)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.saved.connect(self._marked)
        dialog.open()

    def _marked(self, share: EmergencyShare) -> None:
        self.workspace.show_message(
            "info",
            f"Marked as recorded in error: the emergency share with {share.who} ({share.case_reference}). "
            "It stays in the record with your reason.",
        )
        self._refresh_case(share.case_id)
        self.reload()

    # -- viewing -------------------------------------------------------------------------------
    def open_share(self, share_id: int) -> None:
        """Open one emergency share (from the chronology or the oversight view)."""
        vault = self.vault
        self.runner.submit(lambda: emergency_service.get_share(vault, share_id), self._show_share, self._failed)

    def _show_share(self, share: EmergencyShare) -> None:
        parent: QWidget = self.workspace
        dialog = ShareDetailsDialog(share, datetime.now(UTC), parent, can_export=self._exporter() is not None)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.document_requested.connect(self.document)
        dialog.in_error_requested.connect(self.mark_in_error)
        dialog.export_requested.connect(self.export_shared)
        self.details_dialog = dialog
        dialog.open()

    # -- exporting what was shared ---------------------------------------------------------------
    def _exporter(self) -> Callable[[int], Any] | None:
        """The export extension's entry point (installed after this one), if present."""
        exports = getattr(self.workspace, "exports", None)
        export_packet = getattr(exports, "export_packet", None)
        return export_packet if callable(export_packet) else None

    def export_shared(self, share_id: int) -> None:
        """Build a share packet under the decision record that wrote this share up: what
        was shared, documented, can then go to the recipient in writing."""
        vault = self.vault
        self.runner.submit(lambda: emergency_service.get_share(vault, share_id), self._export_for, self._failed)

    def _export_for(self, share: EmergencyShare) -> None:
        export_packet = self._exporter()
        if share.completed_decision_id is None:
            self.workspace.show_message(
                "info",
                "This emergency share has not been written up, so there is no decision record to export under. "
                "Document it first.",
            )
            return
        if export_packet is None:
            self.workspace.show_message("warning", "Exporting is not available in this version.")
            return
        if self.current_case_id() != share.case_id:
            # The export works on the case shown: show this share's case first.
            show_case = getattr(self.workspace, "show_case", None)
            if callable(show_case):
                show_case(share.case_id)
            select = getattr(getattr(self.workspace, "cases", None), "select_case", None)
            if callable(select):
                select(share.case_id)
        if self.current_case_id() != share.case_id:
            self.workspace.show_message(
                "info", f"Open case {share.case_reference}, then export under decision {share.completed_decision_id}."
            )
            return
        export_packet(share.completed_decision_id)

    def show_oversight(self) -> OversightView:
        view = OversightView(self.runner, self.vault, self.workspace)
        view.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        view.open_requested.connect(self.open_share)
        view.open()
        return view
