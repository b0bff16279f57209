"""Export a share packet: choose exactly what goes, see it redacted, preview every page,
then save it encrypted (golden rules 5, 6 and 7).

Three steps, one dialog:

1. **Choose what to share.** The decision it is shared under (a picker of the case's
   current decisions to share), then the notes (a checklist: the decision's linked notes
   are ticked, nothing else), the people and the child's details (none ticked). The note
   chosen in the list is shown as it will be shared: a protected person's label bold on
   yellow, passages redacted by hand white on black. Select text and press "Redact
   selection", or redact a wording everywhere.
2. **Preview.** Every page, painted in memory by the code that paints the PDF, "Page 2
   of 5".
3. **Protect and save.** The formats policy allows: a PDF with a generated password
   (shown in large groups to read out; on the clipboard only if Copy is pressed, through
   the main window's ``SensitiveClipboard``), or an age bundle for the recipient's public
   key or a passphrase. "Save as…" writes only the encrypted bytes, then the export is
   recorded against the decision; for a bundle the signer's fingerprint is shown to read
   to the recipient.

All vault access goes through the runner (``services.packet_builder``,
``services.share_export``). The preview pages are drawn on this thread, in memory; the
PDF that is saved is drawn and encrypted in the runner's work, with the signing and
saving, so a large packet never freezes the window.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QDialog,
    QFileDialog,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QRadioButton,
    QSplitter,
    QStackedWidget,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from desktop_app.domain.export_record import PROTECTION_LABELS, ExportItems, Protection
from desktop_app.domain.policy import Policy
from desktop_app.domain.share_packet import SharePacket
from desktop_app.domain.share_password import generate_password
from desktop_app.errors import CaseNotesError, UsageError
from desktop_app.export.pdf import render_pdf
from desktop_app.services import packet_builder, share_export
from desktop_app.services.packet_builder import ExportChoices, ExportSelection, NoteRedactionView
from desktop_app.store.vault import OpenVault
from desktop_app.ui import presentation
from desktop_app.ui.background import BackgroundRunner
from desktop_app.ui.export_widgets import PasswordDisplay, PreviewPane, RedactionTextView, plain_label
from desktop_app.ui.widgets.guard import alive
from desktop_app.ui.widgets.message_area import MessageArea

ID_ROLE = Qt.ItemDataRole.UserRole + 1
STEPS = ("1  Choose what to share", "2  Preview", "3  Protect and save")
EXPORTING_OFF = (
    "Exporting is turned off by your organisation's policy, so nothing can be exported from this computer. "
    "If information must be shared, ask your information governance lead how."
)
NO_DECISION = (
    "There is no recorded decision to share on this case, so there is nothing to export under. "
    "Record the decision first (Decisions ▸ Decide whether to share…, Ctrl+D): golden rule 7 asks you to "
    "record the reasons for sharing. Then come back here."
)
LEGEND = (
    "Bold on yellow: a protected person, replaced by their label. White on black: redacted by you. "
    "Select words and press Redact selection to redact more."
)


def decision_text(decision: Any) -> str:
    who = decision.recipient or "no recipient recorded"
    return f"Decision {decision.id} · {presentation.local_date(decision.decided_at)} · {decision.label} → {who}"


class ExportDialog(QDialog):
    """Emits ``exported(ExportRecord)`` once the file is saved and recorded."""

    exported = Signal(object)

    def __init__(
        self,
        runner: BackgroundRunner,
        vault: OpenVault,
        case_id: int,
        *,
        policy: Policy,
        copy_text: Callable[[str], bool] | None = None,
        decision_id: int | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.runner = runner
        self.vault = vault
        self.case_id = case_id
        self.policy = policy
        self.copy_text = copy_text
        self.choices: ExportChoices | None = None
        self.selection: ExportSelection | None = None
        self.packet: SharePacket | None = None
        self.note_view: NoteRedactionView | None = None
        self.record: share_export.ExportRecord | None = None
        self.busy = False
        self._loading_decision = False
        self.setWindowTitle("Export a share packet")
        self.setModal(False)

        self.steps = QLabel()
        self.steps.setTextFormat(Qt.TextFormat.RichText)
        self.message = MessageArea()
        self.stack = QStackedWidget()
        self.blocked = plain_label("Loading the case…")
        self.blocked.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.blocked.setMargin(16)
        self.stack.addWidget(self.blocked)
        self.choose_page = self._build_choose_page()
        self.preview_page = self._build_preview_page()
        self.protect_page = self._build_protect_page()
        self.done_page = self._build_done_page()
        for page in (self.choose_page, self.preview_page, self.protect_page, self.done_page):
            self.stack.addWidget(page)

        self.back_button = QPushButton("◀ &Back")
        self.next_button = QPushButton("&Next ▶")
        self.close_button = QPushButton("&Close")
        self.back_button.clicked.connect(self.go_back)
        self.next_button.clicked.connect(self.go_next)
        self.close_button.clicked.connect(self.close)
        buttons = QHBoxLayout()
        buttons.addWidget(self.back_button)
        buttons.addStretch(1)
        buttons.addWidget(self.next_button)
        buttons.addWidget(self.close_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.steps)
        layout.addWidget(self.message)
        layout.addWidget(self.stack, 1)
        layout.addLayout(buttons)
        self.resize(1240, 700)
        self._show_step(None)

        if not policy.allowed_export_formats:
            self._block(EXPORTING_OFF)
        else:
            self._load(decision_id)

    # -- building --------------------------------------------------------------------------
    def _build_choose_page(self) -> QWidget:
        page = QWidget()
        self.decision_box = QComboBox()
        self.decision_box.setAccessibleName("The decision this is shared under")
        self.decision_box.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.decision_box.setMinimumContentsLength(40)
        self.decision_box.currentIndexChanged.connect(self._decision_chosen)
        self.decision_about = plain_label()
        top = QHBoxLayout()
        top.addWidget(QLabel("Shared &under:"))
        top.itemAt(0).widget().setBuddy(self.decision_box)  # type: ignore[union-attr]
        top.addWidget(self.decision_box, 1)

        self.notes = self._checklist("Notes to share")
        self.people = self._checklist("People to list")
        self.fields = self._checklist("Details about the child")
        self.notes.itemChanged.connect(lambda item: self._ticked(item, "note"))
        self.people.itemChanged.connect(lambda item: self._ticked(item, "person"))
        self.fields.itemChanged.connect(lambda item: self._ticked(item, "field"))
        self.notes.currentItemChanged.connect(lambda item, _old: self._note_chosen(item))
        self.tabs = QTabWidget()
        self.tabs.addTab(self.notes, "Notes")
        people_tab = QWidget()
        people_layout = QVBoxLayout(people_tab)
        people_layout.setContentsMargins(0, 0, 0, 0)
        self.people_note = plain_label(
            "Protected people are always shown by their label, in the list and in every note, unless you name "
            "them on purpose."
        )
        self.reveal = QCheckBox("&Name this protected person (do not redact them)")
        self.reveal.setEnabled(False)
        self.reveal.toggled.connect(self._reveal_toggled)
        self.people.currentItemChanged.connect(lambda item, _old: self._person_chosen(item))
        people_layout.addWidget(self.people, 1)
        people_layout.addWidget(self.people_note)
        people_layout.addWidget(self.reveal)
        self.tabs.addTab(people_tab, "People")
        self.tabs.addTab(self.fields, "Child's details")
        left = self.tabs

        self.note_heading = plain_label("Choose a note in the list to see it as it will be shared.")
        self.text_view = RedactionTextView()
        self.original = QCheckBox("Show the &original wording")
        self.original.toggled.connect(lambda _on: self._show_note_view())
        self.redact_button = QPushButton("&Redact selection")
        self.redact_button.setToolTip("Replace the selected words with [redacted] in this note")
        self.everywhere_button = QPushButton("Redact this wording &everywhere")
        self.clear_marks_button = QPushButton("C&lear my redactions in this note")
        self.redact_button.clicked.connect(self.redact_selection)
        self.everywhere_button.clicked.connect(self.redact_everywhere)
        self.clear_marks_button.clicked.connect(self.clear_marks)
        self.phrases = plain_label()
        self.clear_phrases_button = QPushButton("Stop redacting these &wordings")
        self.clear_phrases_button.clicked.connect(self.clear_phrases)
        self.clear_phrases_button.hide()
        phrase_row = QHBoxLayout()
        phrase_row.addWidget(self.phrases, 1)
        phrase_row.addWidget(self.clear_phrases_button)
        legend = plain_label(LEGEND)
        legend.setStyleSheet("QLabel { color: #3c4043; }")
        actions = QHBoxLayout()
        actions.addWidget(self.redact_button)
        actions.addWidget(self.everywhere_button)
        actions.addWidget(self.clear_marks_button)
        actions.addStretch(1)
        actions.addWidget(self.original)
        right = QGroupBox("The note as it will be shared")
        right_layout = QVBoxLayout(right)
        right_layout.addWidget(self.note_heading)
        right_layout.addWidget(self.text_view, 1)
        right_layout.addLayout(actions)
        right_layout.addWidget(legend)
        right_layout.addLayout(phrase_row)

        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(left)
        splitter.addWidget(right)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([520, 700])
        splitter.setChildrenCollapsible(False)
        layout = QVBoxLayout(page)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(top)
        layout.addWidget(self.decision_about)
        layout.addWidget(splitter, 1)
        self._set_note_actions(False)
        return page

    def _checklist(self, name: str) -> QListWidget:
        widget = QListWidget()
        widget.setAccessibleName(name)
        widget.setWordWrap(True)
        widget.setUniformItemSizes(False)
        widget.setSpacing(2)
        widget.setStyleSheet(
            "QListWidget::item { border-bottom: 1px solid #d0d4d9; padding: 3px 2px; }"
            " QListWidget::item:selected { background: #cfe3f7; color: #0b1f33; border-left: 4px solid #0b3d6b; }"
        )
        return widget

    def _build_preview_page(self) -> QWidget:
        page = QWidget()
        self.preview = PreviewPane()
        self.preview_summary = plain_label()
        self.preview_summary.setMaximumWidth(320)
        self.preview_summary.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        layout = QHBoxLayout(page)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.preview, 1)
        layout.addWidget(self.preview_summary)
        return page

    def _build_protect_page(self) -> QWidget:
        page = QWidget()
        intro = plain_label(
            "The file is encrypted before it is written: nothing readable is saved on this computer. "
            "Choose how the recipient will open it."
        )
        self.format_group = QButtonGroup(self)
        self.pdf_choice = QRadioButton("A &PDF with a password: any PDF reader opens it with the password")
        self.key_choice = QRadioButton("An age bundle for the recipient's &key (they gave you a key starting age1)")
        self.passphrase_choice = QRadioButton("An age bundle with a pass&phrase (they open it with age or this app)")
        for button in (self.pdf_choice, self.key_choice, self.passphrase_choice):
            self.format_group.addButton(button)
            button.toggled.connect(lambda _on: self._format_changed())
        self.policy_note = plain_label()
        self.password_box = PasswordDisplay(
            "The password. Give it to the recipient by a different route from the file: read it out by phone."
        )
        self.password_box.copy_requested.connect(self._copy)
        self.password_box.new_requested.connect(self._new_password)
        self.recipient_key = QLineEdit()
        self.recipient_key.setPlaceholderText("age1…")
        self.recipient_key.setAccessibleName("The recipient's age public key")
        self.key_row = QWidget()
        key_layout = QVBoxLayout(self.key_row)
        key_layout.setContentsMargins(0, 0, 0, 0)
        key_layout.addWidget(plain_label("The recipient's age public key (one line, starting age1):"))
        key_layout.addWidget(self.recipient_key)
        self.save_button = QPushButton("&Save as…")
        self.save_button.setDefault(True)
        self.save_button.clicked.connect(self.save_as)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(self.save_button)
        layout = QVBoxLayout(page)
        layout.addWidget(intro)
        layout.addWidget(self.pdf_choice)
        layout.addWidget(self.key_choice)
        layout.addWidget(self.passphrase_choice)
        layout.addWidget(self.policy_note)
        layout.addSpacing(8)
        layout.addWidget(self.password_box)
        layout.addWidget(self.key_row)
        layout.addStretch(1)
        layout.addLayout(row)
        return page

    def _build_done_page(self) -> QWidget:
        page = QWidget()
        self.done_text = plain_label()
        self.fingerprint_heading = plain_label(
            "Read this fingerprint to the recipient, so they can check the bundle came from you:"
        )
        self.fingerprint = QLabel()
        self.fingerprint.setTextInteractionFlags(Qt.TextInteractionFlag.NoTextInteraction)
        self.fingerprint.setFont(self.password_box.base_font)
        self.fingerprint.setStyleSheet(self.password_box.value.styleSheet())
        self.fingerprint.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.done_password = PasswordDisplay("The password, to read out to the recipient by phone:")
        self.done_password.new_button.hide()
        self.done_password.copy_requested.connect(self._copy)
        layout = QVBoxLayout(page)
        layout.addWidget(self.done_text)
        layout.addWidget(self.fingerprint_heading)
        layout.addWidget(self.fingerprint)
        layout.addWidget(self.done_password)
        layout.addStretch(1)
        return page

    # -- steps -----------------------------------------------------------------------------
    def _show_step(self, index: int | None) -> None:
        parts = []
        for i, name in enumerate(STEPS):
            parts.append(f"<b><u>{name}</u></b>" if i == index else f"<span style='color:#5f6368'>{name}</span>")
        self.steps.setText("&nbsp;&nbsp;›&nbsp;&nbsp;".join(parts))
        page = {0: self.choose_page, 1: self.preview_page, 2: self.protect_page, 3: self.done_page}.get(
            index if index is not None else -1, self.blocked
        )
        self.stack.setCurrentWidget(page)
        self.back_button.setVisible(index in (1, 2))
        self.next_button.setVisible(index in (0, 1))
        self.next_button.setText("&Preview ▶" if index == 0 else "&Protect and save ▶")
        self.close_button.setText("&Done" if index == 3 else "&Close")

    @property
    def step(self) -> int | None:
        pages = [self.choose_page, self.preview_page, self.protect_page, self.done_page]
        current = self.stack.currentWidget()
        return pages.index(current) if current in pages else None

    def _block(self, text: str) -> None:
        self.blocked.setText(text)
        self._show_step(None)

    def _set_busy(self, busy: bool) -> None:
        self.busy = busy
        for button in (self.next_button, self.back_button, self.save_button):
            button.setEnabled(not busy)

    def _failed(self, exc: BaseException) -> None:
        self._set_busy(False)
        self.message.show_error(exc)

    def go_next(self) -> None:
        if self.busy:
            return
        if self.step == 0:
            self.make_preview()
        elif self.step == 1:
            self.message.clear()
            self._show_step(2)
            self._format_changed()

    def go_back(self) -> None:
        if self.busy or self.step is None or self.step == 0:
            return
        self.message.clear()
        self._show_step(self.step - 1)

    # -- loading ---------------------------------------------------------------------------
    def _load(self, decision_id: int | None) -> None:
        vault, case_id = self.vault, self.case_id
        self._set_busy(True)
        self.runner.submit(
            lambda: packet_builder.load_choices(vault, case_id, decision_id),
            alive(self, self._loaded),
            alive(self, self._load_failed),
        )

    def _load_failed(self, exc: BaseException) -> None:
        self._set_busy(False)
        self._block("The case could not be read for export.")
        self.message.show_error(exc)

    def _loaded(self, choices: ExportChoices) -> None:
        self._set_busy(False)
        self.choices = choices
        self.setWindowTitle(f"Export a share packet — case {choices.case.reference}")
        if choices.decision is None:
            self._block(NO_DECISION)
            return
        self.selection = choices.default_selection(self.policy.protective_marking)
        self.packet = None
        self._loading_decision = True
        self.decision_box.clear()
        for decision in choices.decisions:
            self.decision_box.addItem(decision_text(decision), decision.id)
        self.decision_box.setCurrentIndex(max(0, self.decision_box.findData(choices.decision.id)))
        self._loading_decision = False
        d = choices.decision
        self.decision_about.setText(
            f"Purpose: {d.fields.purpose or 'not recorded'}\nFor: {d.recipient or 'not recorded'}"
            + (f" by {d.fields.recipient_secure_route}" if d.fields.recipient_secure_route else "")
            + f". Linked notes ticked below: {len(d.linked_note_ids)}. Nothing else is chosen until you tick it."
        )
        self._fill_lists()
        self._show_step(0)
        if self.notes.count():
            first_ticked = next(
                (i for i in range(self.notes.count()) if self.notes.item(i).checkState() == Qt.CheckState.Checked),
                0,
            )
            self.notes.setCurrentRow(first_ticked)
        self.notes.setFocus()

    def _fill_lists(self) -> None:
        assert self.choices is not None and self.selection is not None
        linked = set(self.choices.decision.linked_note_ids) if self.choices.decision else set()
        for widget in (self.notes, self.people, self.fields):
            widget.blockSignals(True)
            widget.clear()
        for note in self.choices.notes:
            flags = []
            if note.id in linked:
                flags.append("linked to the decision")
            if note.marked_kind:
                flags.append(presentation.flag_label(note.marked_kind).lower())
            if "protected" in note.flags:
                flags.append("involves a protected person")
            tail = f"  [{'; '.join(flags)}]" if flags else ""
            text = (
                f"{presentation.local_time(note.occurred_at)} · {presentation.category(note.category)} · "
                f"note {note.id}{tail}\n{note.preview}"
            )
            self._add_item(self.notes, text, note.id, note.id in self.selection.note_ids)
        for person in self.choices.people:
            if person.protected:
                text = (
                    f"{person.person.name} — {person.person.relationship}\n"
                    f"Identity protected: shared as “{person.label}”"
                )
            else:
                text = f"{person.person.name} — {person.person.relationship}"
            self._add_item(self.people, text, person.id, person.id in self.selection.person_ids)
        for choice in self.choices.fields:
            self._add_item(
                self.fields, f"{choice.label}: {choice.value}", choice.key, choice.key in self.selection.fields
            )
        for widget in (self.notes, self.people, self.fields):
            widget.blockSignals(False)
        self._update_counts()
        self._update_phrases()

    def _add_item(self, widget: QListWidget, text: str, value: object, checked: bool) -> None:
        item = QListWidgetItem(text)
        item.setData(ID_ROLE, value)
        item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
        item.setCheckState(Qt.CheckState.Checked if checked else Qt.CheckState.Unchecked)
        widget.addItem(item)

    def _update_counts(self) -> None:
        if self.selection is None or self.choices is None:
            return
        s, c = self.selection, self.choices
        self.tabs.setTabText(0, f"Notes ({len(s.note_ids)} of {len(c.notes)})")
        self.tabs.setTabText(1, f"People ({len(s.person_ids)} of {len(c.people)})")
        self.tabs.setTabText(2, f"Child's details ({len(s.fields)} of {len(c.fields)})")

    def _decision_chosen(self, index: int) -> None:
        if self._loading_decision or index < 0 or self.choices is None:
            return
        decision_id = self.decision_box.itemData(index)
        if self.choices.decision is not None and decision_id == self.choices.decision.id:
            return
        self.message.show_message(
            "info", "Another decision chosen: the choices start again from what that decision says is to be shared."
        )
        self._load(int(decision_id))

    # -- choosing --------------------------------------------------------------------------
    def _ticked(self, item: QListWidgetItem, kind: str) -> None:
        if self.selection is None:
            return
        chosen = item.checkState() == Qt.CheckState.Checked
        value = item.data(ID_ROLE)
        if kind == "note":
            self.selection.set_note(int(value), chosen)
        elif kind == "person":
            self.selection.set_person(int(value), chosen)
        else:
            self.selection.set_field(str(value), chosen)
        self.packet = None
        self._update_counts()

    def set_note_ticked(self, note_id: int, chosen: bool) -> None:
        self._set_ticked(self.notes, note_id, chosen)

    def set_person_ticked(self, person_id: int, chosen: bool) -> None:
        self._set_ticked(self.people, person_id, chosen)

    def set_field_ticked(self, key: str, chosen: bool) -> None:
        self._set_ticked(self.fields, key, chosen)

    def _set_ticked(self, widget: QListWidget, value: object, chosen: bool) -> None:
        for row in range(widget.count()):
            item = widget.item(row)
            if item.data(ID_ROLE) == value:
                item.setCheckState(Qt.CheckState.Checked if chosen else Qt.CheckState.Unchecked)
                return
        raise KeyError(value)

    def _person_chosen(self, item: QListWidgetItem | None) -> None:
        person = self._person(item)
        self.reveal.blockSignals(True)
        self.reveal.setEnabled(person is not None and person.protected)
        self.reveal.setChecked(
            person is not None and self.selection is not None and person.id in self.selection.reveal_person_ids
        )
        self.reveal.blockSignals(False)

    def _person(self, item: QListWidgetItem | None) -> packet_builder.PersonChoice | None:
        if item is None or self.choices is None:
            return None
        person_id = item.data(ID_ROLE)
        return next((p for p in self.choices.people if p.id == person_id), None)

    def _reveal_toggled(self, revealed: bool) -> None:
        person = self._person(self.people.currentItem())
        if person is None or self.selection is None:
            return
        self.selection.set_revealed(person.id, revealed)
        self.packet = None
        if revealed:
            self.message.show_message(
                "warning",
                f"{person.person.name} will be named in this packet, not shown as “{person.label}”. Their identity "
                f"is protected because: {person.person.protect_reason}",
                "Name them only if the recipient needs to know who they are and it is safe (golden rule 5).",
            )
        else:
            self.message.clear()
        self._refresh_note()

    def _note_chosen(self, item: QListWidgetItem | None) -> None:
        if item is None:
            return
        self._refresh_note(int(item.data(ID_ROLE)))

    def current_note_id(self) -> int | None:
        item = self.notes.currentItem()
        return int(item.data(ID_ROLE)) if item is not None else None

    def _refresh_note(self, note_id: int | None = None) -> None:
        note_id = note_id if note_id is not None else self.current_note_id()
        if note_id is None or self.selection is None:
            return
        vault, selection = self.vault, copy.deepcopy(self.selection)
        self.runner.submit(
            lambda: packet_builder.note_for_redaction(vault, selection, note_id),
            alive(self, self._note_arrived),
            alive(self, self._failed),
        )

    def _note_arrived(self, view: NoteRedactionView) -> None:
        if view.note_id != self.current_note_id():
            return
        self.note_view = view
        self._show_note_view()

    def _show_note_view(self) -> None:
        view = self.note_view
        if view is None:
            self.text_view.clear_text()
            self._set_note_actions(False)
            return
        labels = sum(1 for s in view.spans if s not in view.marked)
        ticked = self.selection is not None and view.note_id in self.selection.note_ids
        self.note_heading.setText(
            f"Note {view.note_id}: {labels} protected mention(s) replaced, {len(view.marked)} passage(s) redacted "
            f"by you. {'It is ticked to go.' if ticked else 'It is not ticked, so it will not go.'}"
        )
        self.text_view.show_text(view.text, view.spans, as_shared=not self.original.isChecked())
        self._set_note_actions(True)

    def _set_note_actions(self, enabled: bool) -> None:
        for button in (self.redact_button, self.everywhere_button, self.clear_marks_button):
            button.setEnabled(enabled)

    def redact_selection(self) -> None:
        view = self.note_view
        span = self.text_view.selected_original()
        if view is None or self.selection is None:
            return
        if span is None:
            self.message.show_message(
                "info", "Select the words to redact in the note first, then press Redact selection."
            )
            return
        self.message.clear()
        self.selection.mark(view.note_id, view.revision, *span)
        self.packet = None
        self._refresh_note()

    def redact_everywhere(self) -> None:
        view = self.note_view
        span = self.text_view.selected_original()
        if view is None or self.selection is None:
            return
        if span is None:
            self.message.show_message(
                "info", "Select a wording in the note first (an address, a phone number), then press this button."
            )
            return
        phrase = view.text[span[0] : span[1]].strip()
        if len(phrase) < 3:
            self.message.show_message("warning", "Choose at least three characters to redact everywhere.")
            return
        self.selection.add_phrase(phrase)
        self.packet = None
        self._update_phrases()
        self._refresh_note()

    def clear_marks(self) -> None:
        view = self.note_view
        if view is None or self.selection is None:
            return
        self.selection.unmark(view.note_id)
        self.packet = None
        self._refresh_note()

    def clear_phrases(self) -> None:
        if self.selection is None:
            return
        self.selection.phrases.clear()
        self.packet = None
        self._update_phrases()
        self._refresh_note()

    def _update_phrases(self) -> None:
        phrases = self.selection.phrases if self.selection is not None else []
        self.phrases.setText("Redacted everywhere: " + "; ".join(f"“{p}”" for p in phrases) if phrases else "")
        self.phrases.setVisible(bool(phrases))
        self.clear_phrases_button.setVisible(bool(phrases))

    # -- preview ---------------------------------------------------------------------------
    def make_preview(self) -> None:
        if self.selection is None:
            return
        if not self.selection.note_ids and not self.selection.person_ids and not self.selection.fields:
            self.message.show_message("warning", "Nothing is ticked to share yet. Tick the notes that are to go.")
            return
        self.message.clear()
        self._set_busy(True)
        vault, selection = self.vault, copy.deepcopy(self.selection)
        self.runner.submit(
            lambda: packet_builder.build(vault, selection), alive(self, self._built), alive(self, self._failed)
        )

    def _built(self, packet: SharePacket) -> None:
        self._set_busy(False)
        self.packet = packet
        try:
            self.preview.show_packet(packet)
        except CaseNotesError as exc:
            self.message.show_error(exc)
            return
        assert self.selection is not None
        items = self.export_items()
        redactions = (
            f"{items.protected_people} protected person(s) shown by their label"
            if items.protected_people
            else "no protected people on this case"
        )
        self.preview_summary.setText(
            f"What goes to {packet.recipient.person or packet.recipient.organisation or 'the recipient'}:\n\n"
            f"• {len(packet.notes)} note(s)\n• {len(packet.people)} person(s) listed\n"
            f"• {len(packet.case.fields)} detail(s) about the child\n\n"
            f"Redacted: {redactions}; {items.manual_redactions} passage(s) by hand; "
            f"{items.redacted_phrases} wording(s) everywhere.\n\n"
            f"Marking on every page: {packet.protective_marking}.\n\n"
            "Check every page. What you see is exactly what will be sent. Go back to change anything."
        )
        self._show_step(1)
        self.preview.next_button.setFocus() if self.preview.count > 1 else self.next_button.setFocus()

    def export_items(self) -> ExportItems:
        assert self.selection is not None and self.choices is not None
        protected = sum(1 for p in self.choices.protected_people if p.id not in self.selection.reveal_person_ids)
        return self.selection.items(protected_people=protected)

    # -- protecting and saving ---------------------------------------------------------------
    def _format_changed(self) -> None:
        allowed = self.policy.allowed_export_formats
        self.pdf_choice.setVisible("pdf" in allowed)
        self.key_choice.setVisible("age" in allowed)
        self.passphrase_choice.setVisible("age" in allowed)
        not_allowed = [name for name, code in (("PDF", "pdf"), ("age bundles", "age")) if code not in allowed]
        self.policy_note.setText(
            f"Your organisation's policy does not allow {' or '.join(not_allowed)}." if not_allowed else ""
        )
        self.policy_note.setVisible(bool(not_allowed))
        checked = self.format_group.checkedButton()
        if checked is None or checked.isHidden():
            (self.pdf_choice if "pdf" in allowed else self.key_choice).setChecked(True)
            return
        protection = self.protection()
        self.key_row.setVisible(protection == "age-key")
        self.password_box.setVisible(protection in ("pdf-password", "age-passphrase"))
        if protection == "age-passphrase":
            self.password_box.heading.setText(
                "The bundle's passphrase. Give it to the recipient by a different route from the file: read it out "
                "by phone. They type it into age or Safeguarding Case Notes."
            )
        else:
            self.password_box.heading.setText(
                "The password. Give it to the recipient by a different route from the file: read it out by phone."
            )
        if not self.password_box.password:
            self._new_password()

    def protection(self) -> Protection:
        if self.key_choice.isChecked():
            return "age-key"
        if self.passphrase_choice.isChecked():
            return "age-passphrase"
        return "pdf-password"

    def _new_password(self) -> None:
        self.password_box.set_password(generate_password())

    def _copy(self, text: str) -> None:
        if not text:
            return
        if self.copy_text is None or not self.copy_text(text):
            self.message.show_message("warning", "Copying is turned off by your organisation. Read it out instead.")
        else:
            self.message.show_message(
                "info", "Copied. The clipboard is cleared again shortly; paste it only where it is safe."
            )

    def suggested_name(self) -> str:
        reference = self.choices.case.reference if self.choices else "case"
        safe = "".join(ch if ch.isalnum() or ch in "-_" else "-" for ch in reference)
        extension = "pdf" if self.protection() == "pdf-password" else "age"
        return f"share-packet-{safe}-{date.today().isoformat()}.{extension}"

    def ask_save_path(self, suggested: str) -> str:
        """Where to save ('' if cancelled). Tests replace this method."""
        pattern = "PDF (*.pdf)" if suggested.endswith(".pdf") else "age bundle (*.age)"
        chosen, _ = QFileDialog.getSaveFileName(
            self, "Save the encrypted export", str(Path.home() / suggested), pattern
        )
        return chosen

    def save_as(self) -> None:
        if self.busy or self.packet is None or self.selection is None:
            return
        protection = self.protection()
        if not self.policy.allows_export("pdf" if protection == "pdf-password" else "age"):
            self.message.show_error(UsageError("Your organisation's policy does not allow this format."))
            return
        recipient = self.recipient_key.text().strip()
        if protection == "age-key" and not recipient.startswith("age1"):
            self.message.show_message(
                "warning", "Paste the recipient's age public key (one line starting age1) first.", ""
            )
            self.recipient_key.setFocus()
            return
        chosen = self.ask_save_path(self.suggested_name())
        if not chosen:
            return
        path = Path(chosen)
        packet, items, vault, case_id = self.packet, self.export_items(), self.vault, self.case_id
        secret = self.password_box.password

        def work() -> tuple[share_export.ExportRecord, str | None]:
            # Drawing a large packet and encrypting it takes seconds, so it happens here,
            # off the UI thread, like the signing and saving: the window stays responsive.
            # Qt paints to a QImage/QPdfWriter in memory from any thread; nothing is shared
            # with the widgets.
            bundle = None
            if protection == "pdf-password":
                content = share_export.encrypted_pdf(packet, secret)
            else:
                pdf = render_pdf(packet)
                if protection == "age-key":
                    bundle = share_export.signed_bundle(vault, packet, recipient=recipient, pdf=pdf)
                else:
                    bundle = share_export.signed_bundle(vault, packet, passphrase=secret, pdf=pdf)
                content = bundle.data
            record = share_export.save_export(
                vault,
                packet,
                path,
                protection=protection,
                data=content,
                bundle=bundle,
                items=items,
                case_id=case_id,
                overwrite=True,
            )
            return record, bundle.signer_fingerprint if bundle is not None else None

        self.message.show_message("info", f"Encrypting and saving {path.name}…")
        self._set_busy(True)
        self.runner.submit(
            work, alive(self, lambda result: self._saved(path, protection, *result)), alive(self, self._failed)
        )

    def _saved(self, path: Path, protection: Protection, record: share_export.ExportRecord, signer: str | None) -> None:
        self._set_busy(False)
        self.record = record
        self.message.clear()
        self.done_text.setText(
            f"Saved {path.name} ({PROTECTION_LABELS[protection]}, {presentation.size_text(record.size)}) in "
            f"{path.parent}.\n\nThe export is recorded against the decision and shows in the case's chronology. "
            "When the recipient tells you what they did with it, open the export there and record their "
            "feedback.\n\nOnly the encrypted file was written; nothing readable is left on this computer."
        )
        self.fingerprint_heading.setVisible(signer is not None)
        self.fingerprint.setVisible(signer is not None)
        self.fingerprint.setText(signer or "")
        secret = self.password_box.password if protection != "age-key" else ""
        self.done_password.setVisible(bool(secret))
        if secret:
            self.done_password.heading.setText(
                "The "
                + ("password" if protection == "pdf-password" else "passphrase")
                + ", to read out to the recipient by phone (it is not kept anywhere; once this window closes it "
                "is gone):"
            )
            self.done_password.set_password(secret)
        self._show_step(3)
        self.close_button.setFocus()
        self.exported.emit(record)

    def done(self, result: int) -> None:
        # Forget what was shown: the packet, the pages and the password go with the window.
        self.password_box.forget()
        self.done_password.forget()
        self.preview.clear()
        self.packet = None
        self.text_view.clear_text()
        super().done(result)
