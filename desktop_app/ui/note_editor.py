"""Write a case note, or amend one, without ever losing what was typed.

What is typed is kept as an encrypted *draft* in the vault: every 5 seconds while typing
(``AUTOSAVE_MS``), when the dialog is closed without saving, and when the vault locks
(``prepare_lock``, called by the workspace before the lock closes the connection). The
workspace offers drafts back after a crash or a lock. Saving the note deletes its draft
in the same transaction.

Draft bookkeeping happens on the store thread: every save runs there in order, so the
first save's new draft id is known to the next one however quickly they are queued, and
nothing queued after the note is saved can bring its draft back.

The form follows the record's fields: when it happened (local time, defaulting to now),
the category of concern (each with the passage of the 2024 advice it comes from as its
tooltip), where the information came from (observed, disclosed by the child, or
reported by someone, who may be a person on the case or a typed name), and the text. An
amendment also needs the reason for it; the original stays readable.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from PySide6.QtCore import QDateTime, Qt, QTimer, Signal
from PySide6.QtGui import QCloseEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QDateTimeEdit,
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from desktop_app.domain.guidance import CONCERN_CATEGORIES, ConcernCategory
from desktop_app.domain.records import (
    DEFAULT_CATEGORY,
    SOURCE_DISCLOSED,
    SOURCE_OBSERVED,
    SOURCE_REPORTED,
    Case,
    Draft,
    Note,
    NoteInput,
    Person,
)
from desktop_app.errors import ValidationError
from desktop_app.services import case_records
from desktop_app.ui import presentation
from desktop_app.ui.background import BackgroundRunner
from desktop_app.ui.widgets import icons
from desktop_app.ui.widgets.guard import alive
from desktop_app.ui.widgets.message_area import MessageArea

AUTOSAVE_MS = 5_000
_INVALID = "border: 2px solid #8c1d18;"
_DATETIME_FIELD = "%Y-%m-%dT%H:%M:%S"


@dataclass
class _DraftRef:
    """Shared with the store thread: the draft's id once known, and whether the note has
    been saved (after which no draft may be written again)."""

    id: int | None = None
    finished: bool = False


def category_tooltip(category: ConcernCategory) -> str:
    citation = category.citation
    return f"{category.label}\n\n“{citation.text}”\n— {citation.document}, {citation.rule}"


class NoteEditor(QDialog):
    """Emits ``saved(Note)`` when the note (or amendment) is saved."""

    saved = Signal(object)

    def __init__(
        self,
        runner: BackgroundRunner,
        vault: Any,
        case: Case,
        people: list[Person],
        *,
        note: Note | None = None,
        draft: Draft | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.runner = runner
        self.vault = vault
        self.case = case
        self.people = people
        self.note = note
        self.amending = note is not None
        self._ref = _DraftRef(draft.id if draft else None)
        self._dirty = False
        self._saving = False
        self._closing = False
        self.setWindowTitle(f"Amend a note — {case.reference}" if self.amending else f"New note — {case.reference}")
        self.setModal(False)

        self.message = MessageArea()
        self.when = QDateTimeEdit(QDateTime.currentDateTime())
        self.when.setDisplayFormat("dd MMM yyyy  HH:mm")
        self.when.setCalendarPopup(True)
        self.when.setAccessibleName("When it happened (local time)")
        self.now_button = QPushButton("&Now")
        self.now_button.setAutoDefault(False)
        self.now_button.setToolTip("Set the time to now")
        self.now_button.clicked.connect(lambda: self.when.setDateTime(QDateTime.currentDateTime()))

        self.category = QComboBox()
        self.category.setAccessibleName("Category of concern")
        for index, item in enumerate(CONCERN_CATEGORIES):
            self.category.addItem(item.label, item.code)
            self.category.setItemData(index, category_tooltip(item), Qt.ItemDataRole.ToolTipRole)
        # The domain's default ("General welfare"), never the first form of abuse listed.
        self.category.setCurrentIndex(self.category.findData(DEFAULT_CATEGORY))
        self.category.currentIndexChanged.connect(self._category_changed)

        self.observed = QRadioButton(f"&{presentation.source_label(SOURCE_OBSERVED)}")
        self.disclosed = QRadioButton(f"&{presentation.source_label(SOURCE_DISCLOSED)}")
        self.reported = QRadioButton(presentation.source_label(SOURCE_REPORTED).replace("Reported", "Re&ported", 1))
        self.sources = QButtonGroup(self)
        for button, code in (
            (self.observed, SOURCE_OBSERVED),
            (self.disclosed, SOURCE_DISCLOSED),
            (self.reported, SOURCE_REPORTED),
        ):
            button.setProperty("source", code)
            self.sources.addButton(button)
        self.observed.setChecked(True)
        source_box = QWidget()
        source_box.setAccessibleName("Where the information came from")
        source_row = QHBoxLayout(source_box)
        source_row.setContentsMargins(0, 0, 0, 0)
        for button in (self.observed, self.disclosed, self.reported):
            source_row.addWidget(button)
        source_row.addStretch(1)

        self.who = QComboBox()
        self.who.setEditable(True)
        self.who.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.who.setAccessibleName("Who reported it")
        self.who.addItem("", None)
        for person in people:
            label = f"{person.name} ({person.relationship})"
            if person.protect_identity:
                self.who.addItem(icons.shield(), f"{label} — {presentation.PROTECTED_IDENTITY}", person.id)
            else:
                self.who.addItem(label, person.id)
        self.who.lineEdit().setPlaceholderText("Choose a person on the case, or type a name")
        self.who_label = QLabel("W&ho reported it:")
        self.who_label.setBuddy(self.who)

        self.text = QPlainTextEdit()
        self.text.setTabChangesFocus(True)
        self.text.setAccessibleName("What happened")
        self.text.setPlaceholderText(
            "What happened. Use the child's own words where you can, and keep facts and opinion apart."
        )
        self.reason = QLineEdit()
        self.reason.setAccessibleName("Reason for the amendment")
        self.reason.setPlaceholderText("Required: why this note is being corrected")
        self.status = QLabel()
        self.status.setWordWrap(True)

        self.save_button = QPushButton("&Save amendment" if self.amending else "&Save note")
        self.save_button.setToolTip("Save (Ctrl+S or Ctrl+Enter)")
        self.keep_button = QPushButton("&Keep as draft and close")
        self.keep_button.setToolTip("Close now; the draft is kept, encrypted, and offered back later (Esc)")
        self.discard_button = QPushButton("Discard dra&ft…")
        for button in (self.save_button, self.keep_button, self.discard_button):
            button.setAutoDefault(False)
        self.save_button.clicked.connect(self.save)
        self.keep_button.clicked.connect(self.reject)
        self.discard_button.clicked.connect(self._confirm_discard)
        for keys in ("Ctrl+S", "Ctrl+Return", "Ctrl+Enter"):
            QShortcut(QKeySequence(keys), self, self.save)

        when_row = QHBoxLayout()
        when_row.addWidget(self.when, 1)
        when_row.addWidget(self.now_button)
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        when_label = QLabel("&When it happened:")
        when_label.setBuddy(self.when)
        form.addRow(when_label, when_row)
        category_label = QLabel("Cate&gory of concern:")
        category_label.setBuddy(self.category)
        form.addRow(category_label, self.category)
        form.addRow("Source:", source_box)
        form.addRow(self.who_label, self.who)
        if self.amending:
            reason_label = QLabel("&Reason for the amendment:")
            reason_label.setBuddy(self.reason)
            form.addRow(reason_label, self.reason)
        else:
            self.reason.hide()
        text_label = QLabel("Wha&t happened:")
        text_label.setBuddy(self.text)
        buttons = QHBoxLayout()
        buttons.addWidget(self.status, 1)
        buttons.addWidget(self.discard_button)
        buttons.addWidget(self.keep_button)
        buttons.addWidget(self.save_button)
        layout = QVBoxLayout(self)
        heading = QLabel(
            f"<b>{'Amending a note on' if self.amending else 'Note for'} case {html.escape(case.reference)}: "
            f"{html.escape(case.subject_name)}</b>"
        )
        heading.setTextFormat(Qt.TextFormat.RichText)
        layout.addWidget(heading)
        if self.amending:
            explain = QLabel(
                "The original stays in the record and anyone can read it; your amendment is added with its reason."
            )
            explain.setWordWrap(True)
            layout.addWidget(explain)
        layout.addWidget(self.message)
        layout.addLayout(form)
        layout.addWidget(text_label)
        layout.addWidget(self.text, 1)
        layout.addLayout(buttons)
        self.fields: dict[str, QWidget] = {
            "occurred_at": self.when,
            "category": self.category,
            "source": source_box,
            "source_name": self.who,
            "source_person_id": self.who,
            "text": self.text,
            "reason": self.reason,
        }
        self.setTabOrder(self.when, self.now_button)
        self.setTabOrder(self.now_button, self.category)
        self.setTabOrder(self.category, self.observed)
        self.setTabOrder(self.observed, self.disclosed)
        self.setTabOrder(self.disclosed, self.reported)
        self.setTabOrder(self.reported, self.who)
        self.setTabOrder(self.who, self.reason if self.amending else self.text)
        if self.amending:
            self.setTabOrder(self.reason, self.text)
        self.setTabOrder(self.text, self.save_button)
        self.setTabOrder(self.save_button, self.keep_button)
        self.setTabOrder(self.keep_button, self.discard_button)
        self.resize(760, 600)

        if note is not None:
            self._load_revision(note)
        if draft is not None:
            self._load_draft(draft)
        self._category_changed(self.category.currentIndex())
        self._source_changed()
        if draft is not None:
            self.status.setText(f"Draft from {presentation.local_time(draft.updated_at)} restored.")

        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(AUTOSAVE_MS)
        self._timer.timeout.connect(self.autosave)
        self.sources.buttonToggled.connect(lambda *_: self._source_changed())
        for signal in (
            self.text.textChanged,
            self.reason.textChanged,
            self.who.editTextChanged,
            self.category.currentIndexChanged,
            self.when.dateTimeChanged,
            self.sources.buttonToggled,
        ):
            signal.connect(self._changed)
        (self.text if self.amending or draft is not None else self.when).setFocus()

    # -- filling the form ------------------------------------------------------------------
    def _load_revision(self, note: Note) -> None:
        current = note.current
        moment = presentation.parse_moment(current.occurred_at)
        if moment is not None:
            self._set_when(moment.astimezone().replace(tzinfo=None))
        self._set_category(current.category)
        self._set_source(current.source)
        if current.source_person_id is not None:
            index = self.who.findData(current.source_person_id)
            if index >= 0:
                self.who.setCurrentIndex(index)
        elif current.source_name:
            self.who.setEditText(current.source_name)
        self.text.setPlainText(current.text)

    def _load_draft(self, draft: Draft) -> None:
        fields = draft.fields
        if fields.get("occurred_at"):
            try:
                self._set_when(datetime.strptime(fields["occurred_at"], _DATETIME_FIELD))
            except ValueError:
                pass
        if fields.get("category"):
            self._set_category(fields["category"])
        if fields.get("source"):
            self._set_source(fields["source"])
        person_id = fields.get("who_person_id", "")
        index = self.who.findData(int(person_id)) if person_id.isdigit() else -1
        if index >= 0:
            self.who.setCurrentIndex(index)
        else:
            self.who.setEditText(fields.get("who", ""))
        self.reason.setText(fields.get("reason", ""))
        self.text.setPlainText(draft.text)

    def _set_when(self, moment: datetime) -> None:
        self.when.setDateTime(QDateTime(moment))

    def _set_category(self, code: str) -> None:
        index = self.category.findData(code)
        if index < 0:
            index = self.category.findData(DEFAULT_CATEGORY)
        self.category.setCurrentIndex(index)

    def _set_source(self, code: str) -> None:
        for button in self.sources.buttons():
            if button.property("source") == code:
                button.setChecked(True)

    def _category_changed(self, index: int) -> None:
        self.category.setToolTip(str(self.category.itemData(index, Qt.ItemDataRole.ToolTipRole) or ""))

    def _source_changed(self) -> None:
        reported = self.reported.isChecked()
        self.who.setEnabled(reported)
        self.who_label.setEnabled(reported)

    # -- reading the form ------------------------------------------------------------------
    def source(self) -> str:
        checked = self.sources.checkedButton()
        return str(checked.property("source")) if checked is not None else SOURCE_OBSERVED

    def _who(self) -> tuple[int | None, str]:
        text = self.who.currentText().strip()
        index = self.who.currentIndex()
        if index <= 0 or text != self.who.itemText(index).strip():
            # Typed rather than chosen: still a person on the case if it is their entry.
            index = self.who.findText(text, Qt.MatchFlag.MatchFixedString) if text else -1
        if index > 0:
            return self.who.itemData(index), ""
        return None, text

    def note_input(self) -> NoteInput:
        person_id, name = self._who() if self.source() == SOURCE_REPORTED else (None, "")
        return NoteInput(
            occurred_at=self.when.dateTime().toPython(),
            text=self.text.toPlainText(),
            category=str(self.category.currentData()),
            source=self.source(),
            source_person_id=person_id,
            source_name=name,
        )

    def draft_fields(self) -> dict[str, str]:
        person_id, _ = self._who()
        moment = self.when.dateTime().toPython()
        return {
            "mode": "amend" if self.amending else "new",
            "occurred_at": moment.strftime(_DATETIME_FIELD) if isinstance(moment, datetime) else "",
            "category": str(self.category.currentData()),
            "source": self.source(),
            "who": self.who.currentText(),
            "who_person_id": str(person_id) if person_id is not None else "",
            "reason": self.reason.text(),
        }

    def has_content(self) -> bool:
        return bool(self.text.toPlainText().strip() or (self.amending and self.reason.text().strip()))

    # -- drafts ----------------------------------------------------------------------------
    @property
    def draft_id(self) -> int | None:
        return self._ref.id

    def _changed(self, *_: Any) -> None:
        self._dirty = True
        if not self._saving and not self._timer.isActive():
            self._timer.start()

    def autosave(self) -> None:
        """Queue a draft save of the form as it is now (if anything changed)."""
        if not self._dirty or self._ref.finished:
            return
        if not self.has_content() and self._ref.id is None:
            return  # nothing typed yet: no draft to keep
        self._dirty = False
        ref, vault = self._ref, self.vault
        text, fields = self.text.toPlainText(), self.draft_fields()
        case_id = self.case.id
        note_id = self.note.id if self.note is not None else None

        def work() -> Any:
            if ref.finished:
                return None
            draft = case_records.save_draft(
                vault, text=text, fields=fields, case_id=case_id, note_id=note_id, draft_id=ref.id
            )
            ref.id = draft.id
            return draft

        self.runner.submit(work, alive(self, self._draft_saved), alive(self, self._draft_failed))

    def _draft_saved(self, draft: Draft | None) -> None:
        if draft is not None and not self._closing:
            self.status.setText(
                f"Draft saved at {presentation.local_time(draft.updated_at)[-5:]}, encrypted in the vault."
            )

    def _draft_failed(self, exc: BaseException) -> None:
        self._dirty = True
        if not self._closing:
            self.message.show_error(exc)

    def prepare_lock(self) -> None:
        """The vault is about to lock: keep what is typed as a draft."""
        self._timer.stop()
        self._closing = True
        self.autosave()

    # -- saving, closing -------------------------------------------------------------------
    def save(self) -> None:
        if self._saving:
            return
        self._clear_errors()
        note_input = self.note_input()
        reason = self.reason.text()
        if self.amending and not reason.strip():
            self._show_error(
                ValidationError(
                    "The reason for the amendment is needed: say why, so that anyone reading the record later understands.",
                    "reason",
                )
            )
            return
        self._timer.stop()
        self._saving = True
        self.save_button.setEnabled(False)
        ref, vault, note, case_id = self._ref, self.vault, self.note, self.case.id

        def work() -> Note:
            if note is None:
                saved = case_records.record_note(vault, case_id, note_input, draft_id=ref.id)
            else:
                saved = case_records.amend_note(vault, note.id, note_input, reason=reason, draft_id=ref.id)
            ref.finished = True
            return saved

        self.runner.submit(work, alive(self, self._saved), alive(self, self._save_failed))

    def _saved(self, note: Note) -> None:
        self._saving = False
        self._dirty = False
        self._closing = True
        self.saved.emit(note)
        self.accept()

    def _save_failed(self, exc: BaseException) -> None:
        self._saving = False
        self.save_button.setEnabled(True)
        self._show_error(exc)
        self._dirty = True
        self._timer.start()

    def _clear_errors(self) -> None:
        self.message.clear()
        for widget in set(self.fields.values()):
            if widget.styleSheet() == _INVALID:
                widget.setStyleSheet("")

    def _show_error(self, exc: BaseException) -> None:
        self.message.show_error(exc)
        if isinstance(exc, ValidationError) and exc.field in self.fields:
            widget = self.fields[exc.field]
            widget.setStyleSheet(_INVALID)
            widget.setFocus()

    def reject(self) -> None:
        """Esc, the close button or "Keep as draft and close": keep the draft, then close."""
        self._timer.stop()
        self._closing = True
        if not self._ref.finished:
            self.autosave()
        super().reject()

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt's name
        self.reject()
        event.accept()

    def _confirm_discard(self) -> None:
        box = QMessageBox(
            QMessageBox.Icon.Warning,
            "Discard this draft?",
            "Throw away what you have typed? It has not been saved as a note and cannot be got back.",
            QMessageBox.StandardButton.Discard | QMessageBox.StandardButton.Cancel,
            self,
        )
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        discard = box.button(QMessageBox.StandardButton.Discard)
        box.finished.connect(lambda _result: self.discard() if box.clickedButton() is discard else None)
        box.open()
        self.discard_box = box

    def discard(self) -> None:
        """Throw the draft away (no confirmation: ``_confirm_discard`` asks first)."""
        self._timer.stop()
        self._closing = True
        ref, vault = self._ref, self.vault

        def work() -> None:
            ref.finished = True
            if ref.id is not None:
                case_records.discard_draft(vault, ref.id)

        self.runner.submit(work)
        super().reject()
