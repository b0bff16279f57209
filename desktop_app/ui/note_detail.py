"""A note as it reads now, and every version of it: the original and each amendment
with its reason, who made it and when. Nothing a note ever said is hidden.

A note marked as recorded in error says so at the top, with the reason, and can no
longer be amended. The dialog asks the workspace to amend or mark (signals), so the
editor and the marking dialog stay one module each.
"""

from __future__ import annotations

import html
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from desktop_app.domain.guidance import concern_category
from desktop_app.domain.records import MARK_KINDS, SOURCE_REPORTED, Note, NoteRevision, Person
from desktop_app.services import case_records
from desktop_app.ui import presentation
from desktop_app.ui.background import BackgroundRunner
from desktop_app.ui.widgets import icons
from desktop_app.ui.widgets.guard import alive
from desktop_app.ui.widgets.message_area import MessageArea

REVISION_ROLE = Qt.ItemDataRole.UserRole + 1


def revision_title(revision: NoteRevision, latest: int) -> str:
    name = "Original" if revision.is_original else f"Amendment {revision.revision - 1}"
    if revision.revision == latest and not revision.is_original:
        name += " (current version)"
    elif revision.revision == latest:
        name += " (current version, never amended)"
    return f"{name} — saved {presentation.local_time(revision.recorded_at)} by {revision.author}"


class NoteDetailDialog(QDialog):
    amend_requested = Signal(object)  # Note
    mark_requested = Signal(object)  # Note
    loaded = Signal()

    def __init__(self, runner: BackgroundRunner, vault: Any, note_id: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.runner = runner
        self.vault = vault
        self.note_id = note_id
        self.note: Note | None = None
        self.revisions: list[NoteRevision] = []
        self.people: dict[int, Person] = {}
        self.setWindowTitle("Case note")
        self.setModal(False)

        self.message = MessageArea()
        self.mark_area = MessageArea()
        self.heading = QLabel("Loading the note…")
        self.heading.setTextFormat(Qt.TextFormat.RichText)
        self.heading.setWordWrap(True)
        self.flags = QLabel()
        self.flags.setWordWrap(True)
        self.flag_icon = QLabel()
        self.details = QFormLayout()
        self.when = QLabel()
        self.category = QLabel()
        self.source = QLabel()
        self.author = QLabel()
        for label in (self.when, self.category, self.source, self.author):
            label.setWordWrap(True)
            label.setTextInteractionFlags(
                Qt.TextInteractionFlag.TextSelectableByKeyboard | Qt.TextInteractionFlag.TextSelectableByMouse
            )
        self.details.addRow("Happened:", self.when)
        self.details.addRow("Category:", self.category)
        self.details.addRow("Source:", self.source)
        self.details.addRow("Written by:", self.author)

        self.versions = QListWidget()
        self.versions.setAccessibleName("Versions of this note")
        self.versions.currentItemChanged.connect(self._show_version)
        self.version_reason = QLabel()
        self.version_reason.setWordWrap(True)
        self.version_reason.setTextFormat(Qt.TextFormat.RichText)
        self.text = QPlainTextEdit()
        self.text.setReadOnly(True)
        self.text.setTabChangesFocus(True)
        self.text.setAccessibleName("Text of the selected version")
        self.text.setTextInteractionFlags(
            Qt.TextInteractionFlag.TextSelectableByKeyboard | Qt.TextInteractionFlag.TextSelectableByMouse
        )

        self.amend_button = QPushButton("&Amend…")
        self.amend_button.setToolTip("Correct this note; the original stays readable")
        self.mark_button = QPushButton("&Mark as recorded in error…")
        self.close_button = QPushButton("&Close")
        self.close_button.setDefault(True)
        self.amend_button.clicked.connect(lambda: self.note and self.amend_requested.emit(self.note))
        self.mark_button.clicked.connect(lambda: self.note and self.mark_requested.emit(self.note))
        self.close_button.clicked.connect(self.close)
        self.amend_button.setEnabled(False)
        self.mark_button.setEnabled(False)

        version_box = QWidget()
        version_layout = QVBoxLayout(version_box)
        version_layout.setContentsMargins(0, 0, 0, 0)
        versions_label = QLabel("&Versions (the original first):")
        versions_label.setBuddy(self.versions)
        version_layout.addWidget(versions_label)
        version_layout.addWidget(self.versions)
        text_box = QWidget()
        text_layout = QVBoxLayout(text_box)
        text_layout.setContentsMargins(0, 0, 0, 0)
        text_layout.addWidget(self.version_reason)
        text_layout.addWidget(self.text, 1)
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(version_box)
        splitter.addWidget(text_box)
        splitter.setStretchFactor(1, 3)
        splitter.setSizes([120, 360])

        flag_row = QHBoxLayout()
        flag_row.addWidget(self.flag_icon)
        flag_row.addWidget(self.flags, 1)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.amend_button)
        buttons.addWidget(self.mark_button)
        buttons.addWidget(self.close_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.heading)
        layout.addLayout(flag_row)
        layout.addWidget(self.mark_area)
        layout.addWidget(self.message)
        layout.addLayout(self.details)
        layout.addWidget(splitter, 1)
        layout.addLayout(buttons)
        self.resize(820, 640)
        self.reload()

    def reload(self) -> None:
        vault, note_id = self.vault, self.note_id

        def work() -> tuple[Note, list[NoteRevision], list[Person]]:
            note = case_records.get_note(vault, note_id)
            return note, case_records.note_history(vault, note_id), case_records.list_people(vault, note.case_id)

        self.runner.submit(work, alive(self, self._loaded), alive(self, self._failed))

    def _failed(self, exc: BaseException) -> None:
        self.heading.setText("This note could not be shown.")
        self.message.show_error(exc)

    def _loaded(self, result: tuple[Note, list[NoteRevision], list[Person]]) -> None:
        note, revisions, people = result
        self.note, self.revisions = note, revisions
        self.people = {p.id: p for p in people}
        current = note.current
        self.setWindowTitle(f"Case note — {presentation.category(current.category)}")
        self.heading.setText(f"<h3>{html.escape(presentation.category(current.category))}</h3>")
        if note.flags:
            self.flags.setText(presentation.flags_text(note.flags))
            self.flag_icon.setPixmap(presentation.flag_icon(note.flags).pixmap(20, 20))
        else:
            self.flags.setText("")
            self.flag_icon.clear()
        if note.mark is not None:
            self.mark_area.show_message(
                "warning",
                f"{MARK_KINDS.get(note.mark.kind, presentation.words(note.mark.kind))} — marked "
                f"{html.escape(presentation.local_time(note.mark.marked_at))} by {html.escape(note.mark.marked_by)}.",
                f"Reason: {html.escape(note.mark.reason)}",
            )
        else:
            self.mark_area.clear()
        self.when.setText(presentation.local_time(current.occurred_at, weekday=True))
        try:
            citation = concern_category(current.category).citation
            self.category.setToolTip(f"“{citation.text}” — {citation.document}, {citation.rule}")
        except KeyError:
            self.category.setToolTip("")
        self.category.setText(presentation.category(current.category))
        self.source.setText(self._source_text(current))
        self.author.setText(
            f"{note.author}; first saved {presentation.local_time(note.recorded_at)}"
            + (f"; amended {note.revision_count - 1} time(s)" if note.is_amended else "")
        )
        self.amend_button.setEnabled(note.mark is None)
        self.mark_button.setEnabled(note.mark is None)
        self.versions.clear()
        latest = revisions[-1].revision if revisions else 0
        for revision in revisions:
            item = QListWidgetItem(revision_title(revision, latest))
            item.setData(REVISION_ROLE, revision)
            if revision.is_original:
                item.setIcon(icons.note())
            else:
                item.setIcon(icons.amended())
                item.setToolTip(f"Reason: {revision.reason}")
            self.versions.addItem(item)
        if revisions:
            self.versions.setCurrentRow(len(revisions) - 1)
        self.loaded.emit()

    def _source_text(self, revision: NoteRevision) -> str:
        text = presentation.source_label(revision.source)
        if revision.source != SOURCE_REPORTED:
            return text
        person = self.people.get(revision.source_person_id) if revision.source_person_id is not None else None
        if person is not None:
            who = f"{person.name} ({person.relationship})"
            if person.protect_identity:
                who += f" — {presentation.PROTECTED_IDENTITY}"
            return f"{text}: {who}"
        return f"{text}: {revision.source_name}" if revision.source_name else text

    def _show_version(self, item: QListWidgetItem | None, _previous: QListWidgetItem | None = None) -> None:
        if item is None:
            self.text.clear()
            self.version_reason.clear()
            return
        revision: NoteRevision = item.data(REVISION_ROLE)
        if revision.is_original:
            about = "<b>Original</b>, as first saved."
        else:
            about = (
                f"<b>Amendment {revision.revision - 1}</b>, saved "
                f"{html.escape(presentation.local_time(revision.recorded_at))} by {html.escape(revision.author)}. "
                f"<b>Reason:</b> {html.escape(revision.reason)}"
            )
        details = (
            f"<br>Happened {html.escape(presentation.local_time(revision.occurred_at))} · "
            f"{html.escape(presentation.category(revision.category))} · "
            f"{html.escape(self._source_text(revision))}"
        )
        self.version_reason.setText(about + details)
        self.text.setPlainText(revision.text)

    def version_texts(self) -> list[str]:
        """Every version's text, the original first (for tests and assistive checks)."""
        return [r.text for r in self.revisions]
