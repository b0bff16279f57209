"""The emergency form: share now, document later.

A few fields, all reachable by Tab in reading order, nothing required that can wait:
the child (the open case is pre-selected; or a new case, reference and name only), who it
was shared with, how, what (briefly), why (one line) and when (now unless changed; never
in the future). Enter in a one-line field or Ctrl+Enter anywhere records it.

The form closes only when the store thread reports the record committed; until then it
says "Recording…" and the buttons are off. If anything fails, the form stays open with
what was typed and the field to fix has the focus.

What is typed is kept, encrypted in the vault, a few seconds after each change
(``AUTOSAVE_MS``) and when the vault locks (``keep_now``, connected to the workspace's
``locking`` signal: the form is destroyed with the workspace), so neither a crash nor a
lock loses it; it is offered back after unlock (``restore``). Recording the share deletes
the kept copy in the same transaction; closing the form and choosing to lose what was
typed deletes it too. As in the note editor, the bookkeeping runs on the store thread
(``_Kept``), so nothing queued after the record can bring the kept copy back.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from PySide6.QtCore import QDateTime, Qt, QTimer
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QComboBox,
    QDateTimeEdit,
    QDialogButtonBox,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QWidget,
)

from desktop_app.domain import follow_up
from desktop_app.domain.emergency import (
    CITATIONS,
    HOW_OPTIONS,
    EmergencyCapture,
    NewCase,
    UnfinishedCapture,
    local_text,
)
from desktop_app.domain.records import Case
from desktop_app.services import emergency as emergency_service
from desktop_app.ui.background import BackgroundRunner
from desktop_app.ui.widgets.form_dialog import FormDialog
from desktop_app.ui.widgets.guard import alive

NEW_CASE = -1  # the case box's "new case" entry
AUTOSAVE_MS = 3_000  # keep what is typed this long after the last change


@dataclass
class _Kept:
    """Shared with the store thread: the token of this form's kept capture once there is
    one, and whether the form is finished with it (recorded or thrown away), after which
    nothing may be kept again."""

    token: str = ""
    finished: bool = False


class EmergencyDialog(FormDialog):
    """Emits ``saved(EmergencyShare)`` once the share and its follow-up are committed."""

    def __init__(
        self,
        runner: BackgroundRunner,
        vault: Any,
        *,
        current_case_id: int | None = None,
        deadline_hours: int = follow_up.DEFAULT_DEADLINE_HOURS,
        unfinished: UnfinishedCapture | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(runner, "Share now: record an emergency share", parent)
        self.vault = vault
        self.deadline_hours = follow_up.deadline_hours(deadline_hours)
        self.current_case_id = current_case_id
        self.want_new_case = False
        self.opened_at = datetime.now(UTC)
        self.default_when = self.opened_at  # what "when" holds until changed (or restored)
        self._kept = _Kept()
        self._dirty = False
        self._restoring = False
        self.restored: UnfinishedCapture | None = None

        self.case = QComboBox()
        self.case.setPlaceholderText("Loading cases…")
        self.case.setMinimumContentsLength(30)
        self.case.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.new_reference = QLineEdit()
        self.new_reference.setPlaceholderText("For example, initials and a number")
        self.new_child = QLineEdit()
        self.organisation = QLineEdit()
        self.organisation.setPlaceholderText("For example, children's social care duty team, police")
        self.person = QLineEdit()
        self.person.setPlaceholderText("Name and role, if you know them")
        self.contact = QLineEdit()
        self.contact.setPlaceholderText("Phone or email (optional)")
        self.how = QComboBox()
        self.how.setPlaceholderText("Choose…")
        for code, label in HOW_OPTIONS.items():
            self.how.addItem(label, code)
        self.how.setCurrentIndex(-1)
        self.what = QPlainTextEdit()
        self.what.setTabChangesFocus(True)
        self.what.setPlaceholderText("Briefly: the facts you passed on. The full account goes in the write-up.")
        self.what.setFixedHeight(self.what.fontMetrics().lineSpacing() * 3 + 14)
        self.why = QLineEdit()
        self.why.setPlaceholderText("One line: the risk to the child")
        self.when = QDateTimeEdit()
        self.when.setDisplayFormat("ddd dd MMM yyyy  HH:mm")
        self.when.setCalendarPopup(True)
        now_local = QDateTime.fromSecsSinceEpoch(int(self.opened_at.timestamp()))
        self.when.setMinimumDateTime(now_local.addYears(-5))
        self.when.setMaximumDateTime(now_local.addSecs(int(follow_up.FUTURE_TOLERANCE.total_seconds())))
        self.when.setDateTime(now_local)

        self.add_field("case", "&Child (case):", self.case)
        self.add_field("reference", "New case &reference:", self.new_reference)
        self.add_field("child_name", "Child's &name:", self.new_child)
        self.fields["subject_name"] = self.new_child
        self.add_field("shared_with_organisation", "Shared with: &organisation:", self.organisation)
        self.add_field("shared_with_person", "Shared with: &person:", self.person)
        self.add_field("shared_with_contact", "Their &contact:", self.contact)
        self.add_field("how", "&How:", self.how)
        self.add_field("what", "&What was shared:", self.what)
        self.add_field("why", "Wh&y (one line):", self.why)
        self.add_field("shared_at", "Wh&en:", self.when)
        self.when.setAccessibleName("When it was shared (now, or earlier)")

        self.record_button = self.buttons.addButton("&Record share", QDialogButtonBox.ButtonRole.AcceptRole)
        self.record_button.setDefault(True)
        self.record_button.setAutoDefault(True)
        self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self.record_button.clicked.connect(self.record)
        QShortcut(QKeySequence("Ctrl+Return"), self, self.record)
        QShortcut(QKeySequence("Ctrl+Enter"), self, self.record)

        quote = CITATIONS[0]
        self.finish_layout(
            "<b>Share first if a child is at risk; record it here in a minute.</b> "
            f"Afterwards you will be asked to write it up with a full decision record: it is due "
            f"<b>{self.deadline_hours} hours</b> after the time shared, and it stays on screen until it is done."
            f"<br><i>“{quote.text}”</i> ({quote.document}, {quote.rule})"
        )
        first = self.layout_.itemAt(0)
        intro = first.widget() if first is not None else None
        if isinstance(intro, QLabel):
            intro.setTextFormat(Qt.TextFormat.RichText)
        self.status = QLabel("")
        self.status.setWordWrap(True)
        self.status.setAccessibleName("Progress")
        self.layout_.insertWidget(self.layout_.count() - 1, self.status)
        self.setMinimumWidth(640)
        self.case.currentIndexChanged.connect(self._case_chosen)
        self._show_new_case(False)
        self._saved = False
        self.saved.connect(self._mark_saved)
        self.autosave = QTimer(self)
        self.autosave.setSingleShot(True)
        self.autosave.setInterval(AUTOSAVE_MS)
        self.autosave.timeout.connect(self.keep_now)
        for line in (self.new_reference, self.new_child, self.organisation, self.person, self.contact, self.why):
            line.textChanged.connect(self._changed)
        self.what.textChanged.connect(self._changed)
        self.how.currentIndexChanged.connect(self._changed)
        self.case.currentIndexChanged.connect(self._changed)
        self.when.dateTimeChanged.connect(self._changed)
        self.organisation.setFocus() if current_case_id is not None else self.case.setFocus()
        if unfinished is not None:
            self.restore(unfinished)

    # -- cases ---------------------------------------------------------------------------
    def set_cases(self, cases: list[Case]) -> None:
        """Fill the case box (cases arrive from the store thread after the form opens)."""
        had_focus = self.case.hasFocus()
        self.case.blockSignals(True)
        self.case.clear()
        self.case.addItem("New case (reference and child's name)", NEW_CASE)
        chosen = -1
        for case in cases:
            self.case.addItem(f"{case.reference} — {case.subject_name}", case.id)
            if case.id == self.current_case_id:
                chosen = self.case.count() - 1
        if not cases or self.want_new_case:
            chosen = 0
        self.case.setPlaceholderText("Choose the child's case, or New case")
        self.case.setCurrentIndex(chosen)
        self.case.blockSignals(False)
        self._case_chosen()
        if had_focus:
            self.case.setFocus()

    def _case_chosen(self) -> None:
        self._show_new_case(self.case.currentData() == NEW_CASE)
        self.fit_height()

    def _show_new_case(self, show: bool) -> None:
        self.form.setRowVisible(self.new_reference, show)
        self.form.setRowVisible(self.new_child, show)

    # -- recording -------------------------------------------------------------------------
    def shared_at(self) -> datetime:
        """When it was shared, as an aware UTC time (local wall time is only for display)."""
        chosen = datetime.fromtimestamp(self.when.dateTime().toSecsSinceEpoch(), UTC)
        # Untouched, the box holds the moment the form opened (or the time restored), to
        # the second: give back that moment itself.
        if abs(chosen - self.default_when) < timedelta(seconds=1):
            return self.default_when
        return chosen

    def capture(self) -> tuple[EmergencyCapture, NewCase | None]:
        data = self.case.currentData()
        new_case = NewCase(self.new_reference.text(), self.new_child.text()) if data == NEW_CASE else None
        capture = EmergencyCapture(
            case_id=data if isinstance(data, int) and data != NEW_CASE else None,
            shared_with_organisation=self.organisation.text(),
            shared_with_person=self.person.text(),
            shared_with_contact=self.contact.text(),
            how=self.how.currentData() or "",
            what=self.what.toPlainText(),
            why=self.why.text(),
            shared_at=self.shared_at(),
        )
        return capture, new_case

    def record(self) -> None:
        if self.busy:
            return
        capture, new_case = self.capture()
        vault, hours, kept = self.vault, self.deadline_hours, self._kept
        self.autosave.stop()
        self.status.setText("Recording…")

        def work() -> Any:
            share = emergency_service.record_emergency_share(
                vault, capture, create_case=new_case, deadline_hours=hours, unfinished_token=kept.token or None
            )
            kept.finished = True  # on the store thread: no kept copy may come back after this
            return share

        self.submit(work)

    # -- keeping what is typed -------------------------------------------------------------
    def unfinished(self) -> UnfinishedCapture:
        """The form as it is now, to keep (nothing checked: nothing typed is lost)."""
        capture, new_case = self.capture()
        return UnfinishedCapture.of(capture, new_case, case_id=self.current_case_id)

    @property
    def kept_token(self) -> str:
        """The token of this form's kept capture ("" while none has been kept)."""
        return self._kept.token

    def _changed(self, *_args: object) -> None:
        if self._restoring or self._saved:
            return
        self._dirty = True
        self.autosave.start()

    def keep_now(self) -> None:
        """Queue a save of what is typed, if it changed since last kept. Called a few
        seconds after typing stops, and on the workspace's ``locking`` signal (the store
        thread runs it before the lock closes the connection)."""
        self.autosave.stop()
        kept = self._kept
        if self._saved or kept.finished or not self._dirty:
            return
        self._dirty = False
        capture, vault = self.unfinished(), self.vault
        if not capture.has_content:
            # Everything typed was deleted: so is any kept copy (the store thread knows).
            self._forget_kept(finished=False)
            return

        def work() -> UnfinishedCapture | None:
            if kept.finished:
                return None
            stored = emergency_service.keep_unfinished_capture(vault, replace(capture, token=kept.token))
            kept.token = stored.token
            return stored

        self.runner.submit(work, alive(self, self._was_kept), alive(self, self._keep_failed))

    def _was_kept(self, stored: UnfinishedCapture | None) -> None:
        if stored is not None and stored.kept_at is not None and not self.busy:
            self.status.setText(f"What you typed is kept, encrypted in the vault ({local_text(stored.kept_at)[-5:]}).")

    def _keep_failed(self, exc: BaseException) -> None:
        self._dirty = True  # try again with the next change
        if not self.busy:
            self.status.setText(f"What you typed could not be kept as a draft: {exc}")

    def _forget_kept(self, *, finished: bool = True) -> None:
        """Delete this form's kept capture (queued after anything already queued).
        ``finished``: the form is done with it (nothing is kept again); otherwise the
        next change is kept afresh (everything typed had been deleted)."""
        kept, vault = self._kept, self.vault
        if finished:
            kept.finished = True
            self.autosave.stop()

        def work() -> None:
            if kept.token:
                emergency_service.discard_unfinished_capture(vault, kept.token)
                kept.token = ""

        self.runner.submit(work, None, lambda _exc: None)

    def restore(self, unfinished: UnfinishedCapture) -> None:
        """Fill the form with a capture kept before a lock or a crash; it becomes this
        form's kept copy (recording deletes it)."""
        self._restoring = True
        try:
            self._kept.token = unfinished.token
            self.restored = unfinished
            self.current_case_id = unfinished.case_id
            self.want_new_case = unfinished.new_case
            self.new_reference.setText(unfinished.new_reference)
            self.new_child.setText(unfinished.new_child)
            self.organisation.setText(unfinished.shared_with_organisation)
            self.person.setText(unfinished.shared_with_person)
            self.contact.setText(unfinished.shared_with_contact)
            self.how.setCurrentIndex(self.how.findData(unfinished.how) if unfinished.how else -1)
            self.what.setPlainText(unfinished.what)
            self.why.setText(unfinished.why)
            if unfinished.shared_at is not None:
                self.default_when = unfinished.shared_at
                moment = QDateTime.fromSecsSinceEpoch(int(unfinished.shared_at.timestamp()))
                if moment < self.when.minimumDateTime():
                    self.when.setMinimumDateTime(moment)
                self.when.setDateTime(moment)
            if self.case.count():
                wanted = NEW_CASE if unfinished.new_case else unfinished.case_id
                index = self.case.findData(wanted) if wanted is not None else -1
                if index >= 0:
                    self.case.setCurrentIndex(index)
        finally:
            self._restoring = False
        self._dirty = False
        kept_at = f" at {local_text(unfinished.kept_at)}" if unfinished.kept_at is not None else ""
        self.status.setText(
            f"Restored what you typed before the vault locked or the program stopped (kept{kept_at}, "
            "encrypted in the vault). Check it, including when it was shared, then record it."
        )
        self._focus_first_gap()
        self.fit_height()

    def _focus_first_gap(self) -> None:
        """After a restore: the first required field still empty, else the Record button."""
        if self.case.currentIndex() < 0 and self.case.count():
            self.case.setFocus()
            return
        gaps = (
            (self.organisation, not (self.organisation.text().strip() or self.person.text().strip())),
            (self.how, self.how.currentIndex() < 0),
            (self.what, not self.what.toPlainText().strip()),
            (self.why, not self.why.text().strip()),
        )
        for widget, empty in gaps:
            if empty:
                widget.setFocus()
                return
        self.record_button.setFocus()

    def show_error(self, exc: BaseException) -> None:
        self.status.setText("Not recorded yet: fix the field shown and record again.")
        super().show_error(exc)
        self.fit_height()

    def fit_height(self) -> None:
        """Grow to fit a message that appeared (an explicit minimum width stops Qt doing it)."""
        layout = self.layout()
        if layout is not None:
            layout.activate()
        wanted = self.sizeHint().height()
        if wanted > self.height():
            self.resize(self.width(), wanted)

    def _mark_saved(self, _share: object) -> None:
        self._saved = True

    def has_typing(self) -> bool:
        return any(
            (
                self.new_reference.text(),
                self.new_child.text(),
                self.organisation.text(),
                self.person.text(),
                self.contact.text(),
                self.what.toPlainText(),
                self.why.text(),
            )
        )

    def reject(self) -> None:
        if self.busy:
            return  # recording: the answer is on its way, and the form closes with it
        if not self._saved and self.has_typing():
            answer = QMessageBox.question(
                self,
                "Close without recording?",
                "What you typed has not been recorded. Close the form and lose it?",
                QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
                QMessageBox.StandardButton.No,
            )
            if answer != QMessageBox.StandardButton.Yes:
                return
        if not self._saved:
            self._forget_kept()  # the practitioner chose to lose it: so goes the kept copy
        super().reject()
