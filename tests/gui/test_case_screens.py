"""The case-records screens, driven as a person would, in a real MainWindow over a real
SQLCipher vault: cases, people, notes, amendments, marks, search, attachments, drafts,
odd text, and keyboard-only use."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import pytest
import shiboken6
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QColor, QImage
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QMenu, QStyleOptionMenuItem, QWidget

from desktop_app.domain.records import MAX_ATTACHMENT_BYTES, MB, CaseDetails, NoteInput, PersonDetails
from desktop_app.services import case_records
from desktop_app.ui import note_editor
from desktop_app.ui.attachment_viewer import AttachmentViewer
from desktop_app.ui.case_details_dialog import NO_CHANGES, NOTHING_CHANGED, CaseDetailsDialog
from desktop_app.ui.drafts_dialog import DraftsDialog
from desktop_app.ui.main_window import MainWindow
from desktop_app.ui.mark_in_error_dialog import MarkInErrorDialog
from desktop_app.ui.models.chronology_model import FLAGS, SUMMARY, TITLE
from desktop_app.ui.models.search_results_model import SNIPPET_HTML_ROLE
from desktop_app.ui.new_case_dialog import NewCaseDialog
from desktop_app.ui.note_detail import NoteDetailDialog
from desktop_app.ui.note_editor import NoteEditor
from desktop_app.ui.person_dialog import PersonDialog
from desktop_app.ui.workspace import CaseWorkspace

from .case_helpers import WAIT_MS, focused, open_window, press, release, tab_to, type_text, unlock, wait_idle

__all__ = ["open_window"]  # the fixture, imported for pytest

W = TypeVar("W", bound=QWidget)
RTL_EMOJI = "مرحبا، قال الطفل 👋🏽 שלום — the child said \u202bhello\u202c 👨‍👩‍👧 café"


def shown(kind: type[W]) -> W:
    found = [w for w in QApplication.topLevelWidgets() if isinstance(w, kind) and w.isVisible()]
    assert len(found) == 1, f"expected one visible {kind.__name__}, found {len(found)}"
    return found[0]


def wait_shown(qtbot: Any, kind: type[W]) -> W:
    qtbot.waitUntil(
        lambda: any(isinstance(w, kind) and w.isVisible() for w in QApplication.topLevelWidgets()), timeout=WAIT_MS
    )
    return shown(kind)


def chronology_rows(ws: CaseWorkspace) -> list[tuple[str, str, str, str]]:
    model = ws.case_view.chronology.model
    assert model is not None
    return [
        (
            model.entry(r).kind,
            model.data(model.index(r, TITLE)),
            model.data(model.index(r, FLAGS)),
            model.data(model.index(r, SUMMARY)),
        )
        for r in range(model.rowCount())
    ]


def wait_chronology(qtbot: Any, ws: CaseWorkspace, check: Callable[[list[tuple[str, str, str, str]]], bool]) -> None:
    def ready() -> bool:
        model = ws.case_view.chronology.model
        return model is not None and not model.loading and check(chronology_rows(ws))

    qtbot.waitUntil(ready, timeout=WAIT_MS)


def choose_case(qtbot: Any, ws: CaseWorkspace, reference: str) -> None:
    """Select a case in the list with the keyboard (Ctrl+1, then Down until it is current)."""
    qtbot.waitUntil(lambda: ws.cases.model.rowCount() > 0 and not ws.cases.model.loading, timeout=WAIT_MS)
    ws.focus_cases()
    for _ in range(ws.cases.model.rowCount() + 1):
        if ws.case is not None and ws.case.reference == reference:
            return
        current = ws.cases.view.currentIndex()
        if current.isValid() and ws.cases.model.index(current.row(), 0).data() == reference:
            ws.show_case(ws.cases._case_at(current))  # noqa: SLF001 - already current: no signal
        else:
            press(Qt.Key.Key_Down)
        qtbot.waitUntil(lambda: not ws.runner.busy, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: ws.case is not None and ws.case.reference == reference, timeout=WAIT_MS)


def list_references(ws: CaseWorkspace) -> list[str]:
    """The case list's references as shown, once the list has stopped loading."""
    model = ws.cases.model
    if model.loading:
        return []
    return [model.index(r, 0).data() for r in range(model.rowCount())]


def open_chronology_entry(qtbot: Any, ws: CaseWorkspace, match: Callable[[tuple[str, str, str, str]], bool]) -> None:
    """Move to the matching chronology row and press Enter."""
    rows = chronology_rows(ws)
    row = next(i for i, r in enumerate(rows) if match(r))
    view = ws.case_view.chronology.view
    ws.case_view.show_tab(ws.case_view.CHRONOLOGY)
    view.setCurrentIndex(view.model().index(row, 0))
    QTest.keyClick(view, Qt.Key.Key_Return)


@pytest.fixture
def seeded(created_vault: Any, vault_dir: Path) -> dict[str, Any]:
    """A vault with two cases, a protected person and notes; released for a window."""
    vault = created_vault.vault
    first = case_records.create_case(vault, CaseDetails("AB-100", "Sam Example", key_worker="Alex Practitioner"))
    second = case_records.create_case(vault, CaseDetails("CD-200", "Jo Sample", key_worker="Bea Worker"))
    neighbour = case_records.add_person(
        vault,
        first.id,
        PersonDetails("Pat Neighbour", "Neighbour", protect_identity=True, protect_reason="Fears reprisal"),
    )
    earlier = datetime.now() - timedelta(days=1)
    note = case_records.record_note(
        vault, first.id, NoteInput(earlier, "Sam had a bruise on the left arm at school.", "physical_abuse")
    )
    other = case_records.record_note(
        vault, first.id, NoteInput(earlier - timedelta(hours=3), "Sam missed the dentist appointment.", "neglect")
    )
    far = case_records.record_note(
        vault, second.id, NoteInput(earlier, "Jo said the kettle incident left a zebrafinch-shaped mark.", "neglect")
    )
    release(created_vault)
    return {
        "dir": vault_dir,
        "first": first,
        "second": second,
        "note": note,
        "other": other,
        "far": far,
        "pat": neighbour,
    }


def menu_item_text(menu: QMenu, action: QAction) -> str:
    """The text a menu draws for an action: its label, a tab, then its shortcut if shown."""
    option = QStyleOptionMenuItem()
    menu.initStyleOption(option, action)
    return option.text


# -- creating records -----------------------------------------------------------------------
def test_create_a_case_add_a_protected_person_and_a_note(
    qtbot: Any, open_window: Callable[..., MainWindow], created_vault: Any, vault_dir: Path
) -> None:
    release(created_vault)
    window = open_window(vault_dir)
    ws = unlock(qtbot, window)
    qtbot.waitUntil(lambda: ws.cases.empty.isVisible(), timeout=WAIT_MS)
    assert ws.cases.empty.text().startswith("No cases yet. Create one with Case ▸ New case (Ctrl+Shift+N)")
    assert not ws.new_note_action.isEnabled()  # no case yet

    ws.new_case_action.trigger()
    dialog = wait_shown(qtbot, NewCaseDialog)
    dialog.reference.setText("AB-1")
    dialog.subject_name.setText("Sam Example")
    dialog.date_of_birth.setText("01/04/2015")
    dialog.create_button.click()
    assert dialog.message.isVisible() and "YYYY-MM-DD" in dialog.message.text.text()
    dialog.date_of_birth.setText("2015-04-01")
    dialog.create_button.click()
    qtbot.waitUntil(lambda: ws.case is not None and ws.case.reference == "AB-1", timeout=WAIT_MS)
    assert "AB-1" in ws.case_view.heading.text() and "Born 01 Apr 2015" in ws.case_view.details.text()
    assert ws.new_note_action.isEnabled() and ws.add_person_action.isEnabled()
    wait_chronology(qtbot, ws, lambda rows: [r[1] for r in rows] == ["Case opened"])

    ws.add_person_action.trigger()
    person = wait_shown(qtbot, PersonDialog)
    person.name.setText("Pat Neighbour")
    person.relationship.setCurrentText("Neighbour")
    person.protect.setChecked(True)
    person.save_button.click()
    qtbot.waitUntil(lambda: person.message.isVisible(), timeout=WAIT_MS)
    assert "Golden rule 5" in person.message.text.text()
    assert focused() is person.protect_reason
    person.protect_reason.setPlainText("Fears reprisal if identified")
    person.save_button.click()
    qtbot.waitUntil(lambda: len(ws.case_view.people.row_texts()) == 1, timeout=WAIT_MS)
    assert ws.case_view.people.row_texts() == [["Pat Neighbour", "Neighbour", "Identity protected", ""]]
    item = ws.case_view.people.tree.topLevelItem(0)
    assert not item.icon(2).isNull()  # the shield, beside the words
    assert "Fears reprisal" in item.toolTip(2)

    ws.new_note_action.trigger()
    editor = wait_shown(qtbot, NoteEditor)
    assert editor.category.toolTip()  # the citation of the chosen category
    editor.category.setCurrentIndex(editor.category.findData("neglect"))
    assert "neglect (i.e., a child might be left hungry" in editor.category.toolTip()
    editor.reported.setChecked(True)
    assert editor.who.isEnabled()
    editor.who.setCurrentIndex(editor.who.findData(ws.case_view.people.people[0].id))
    assert "Identity protected" in editor.who.currentText()
    editor.text.setPlainText("Pat said Sam was left alone overnight.")
    editor.save_button.click()
    wait_chronology(qtbot, ws, lambda rows: len(rows) == 2)
    kind, title, flags, summary = chronology_rows(ws)[0]
    assert (kind, title) == ("note", "Neglect")
    assert flags == "Involves a protected person"
    assert summary == "Pat said Sam was left alone overnight."
    assert "Note saved" in ws.message.text.text()


def test_amend_a_note_with_a_reason_and_see_both_versions(
    qtbot: Any, open_window: Callable[..., MainWindow], seeded: dict[str, Any]
) -> None:
    window = open_window(seeded["dir"])
    ws = unlock(qtbot, window)
    choose_case(qtbot, ws, "AB-100")
    wait_chronology(qtbot, ws, lambda rows: len(rows) == 3)
    open_chronology_entry(qtbot, ws, lambda r: "left arm" in r[3])
    detail = wait_shown(qtbot, NoteDetailDialog)
    qtbot.waitUntil(lambda: detail.note is not None, timeout=WAIT_MS)
    assert detail.versions.count() == 1

    detail.amend_button.click()
    editor = wait_shown(qtbot, NoteEditor)
    assert editor.amending and editor.text.toPlainText() == "Sam had a bruise on the left arm at school."
    assert editor.category.currentData() == "physical_abuse"
    editor.text.setPlainText("Sam had a bruise on the right arm at school.")
    editor.save_button.click()  # no reason yet
    assert editor.message.isVisible() and "reason" in editor.message.text.text().lower()
    assert focused() is editor.reason
    editor.reason.setText("I wrote the wrong arm")
    editor.save_button.click()
    qtbot.waitUntil(lambda: detail.versions.count() == 2, timeout=WAIT_MS)
    assert detail.version_texts() == [
        "Sam had a bruise on the left arm at school.",
        "Sam had a bruise on the right arm at school.",
    ]
    assert detail.versions.item(0).text().startswith("Original")
    assert detail.versions.item(1).text().startswith("Amendment 1 (current version)")
    detail.versions.setCurrentRow(1)
    assert "I wrote the wrong arm" in detail.version_reason.text()
    assert detail.text.toPlainText().endswith("right arm at school.")
    detail.versions.setCurrentRow(0)
    assert detail.text.toPlainText().endswith("left arm at school.")
    assert "Amended" in detail.flags.text()
    wait_chronology(qtbot, ws, lambda rows: any("right arm" in r[3] and r[2] == "Amended" for r in rows))


def test_mark_a_note_in_error_keeps_it_in_the_chronology_marked(
    qtbot: Any, open_window: Callable[..., MainWindow], seeded: dict[str, Any]
) -> None:
    window = open_window(seeded["dir"])
    ws = unlock(qtbot, window)
    choose_case(qtbot, ws, "AB-100")
    wait_chronology(qtbot, ws, lambda rows: len(rows) == 3)
    open_chronology_entry(qtbot, ws, lambda r: "dentist" in r[3])
    detail = wait_shown(qtbot, NoteDetailDialog)
    qtbot.waitUntil(lambda: detail.mark_button.isEnabled(), timeout=WAIT_MS)
    detail.mark_button.click()
    mark = wait_shown(qtbot, MarkInErrorDialog)
    assert not mark.mark_button.isEnabled()  # a reason first
    QTest.keyClicks(mark.reason, "Recorded against the wrong appointment")
    assert mark.mark_button.isEnabled()
    mark.mark_button.click()
    wait_chronology(qtbot, ws, lambda rows: any(r[2] == "Recorded in error" for r in rows))
    rows = chronology_rows(ws)
    assert len(rows) == 3  # still there
    assert next(r for r in rows if "dentist" in r[3])[2] == "Recorded in error"
    qtbot.waitUntil(lambda: detail.mark_area.isVisible(), timeout=WAIT_MS)
    assert "Recorded against the wrong appointment" in detail.mark_area.text.text()
    assert not detail.amend_button.isEnabled() and not detail.mark_button.isEnabled()
    assert "Recorded in error" in detail.flags.text()


def test_find_a_note_with_ctrl_f_and_open_it_in_its_case(
    qtbot: Any, open_window: Callable[..., MainWindow], seeded: dict[str, Any]
) -> None:
    window = open_window(seeded["dir"])
    ws = unlock(qtbot, window)
    choose_case(qtbot, ws, "AB-100")
    QTest.keyClick(window, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    assert focused() is ws.search.query
    type_text("zebrafinch")
    press(Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: ws.search.model.rowCount() == 1 and not ws.search.model.loading, timeout=WAIT_MS)
    html = ws.search.model.index(0, 0).data(SNIPPET_HTML_ROLE)
    assert '<b style="background-color:#ffe58f; color:#000000">zebrafinch</b>' in html
    assert "CD-200" in ws.search.model.index(0, 0).data()
    assert "1 note found" in ws.search.status.text()
    press(Qt.Key.Key_Down)
    assert focused() is ws.search.results
    press(Qt.Key.Key_Return)
    detail = wait_shown(qtbot, NoteDetailDialog)
    qtbot.waitUntil(lambda: detail.note is not None, timeout=WAIT_MS)
    assert detail.note.id == seeded["far"].id
    qtbot.waitUntil(lambda: ws.case is not None and ws.case.reference == "CD-200", timeout=WAIT_MS)
    assert ws.current_case_id() == seeded["second"].id

    # Filters: the selected case only, then a category, then a date range.
    ws.search.query.setText("Sam")
    ws.search.run()
    qtbot.waitUntil(lambda: not ws.search.model.loading, timeout=WAIT_MS)
    assert ws.search.model.rowCount() == 2
    ws.search.category.setCurrentIndex(ws.search.category.findData("neglect"))
    qtbot.waitUntil(lambda: not ws.search.model.loading and ws.search.model.rowCount() == 1, timeout=WAIT_MS)
    ws.search.scope.setCurrentIndex(1)  # only CD-200
    qtbot.waitUntil(lambda: not ws.search.model.loading and ws.search.model.rowCount() == 0, timeout=WAIT_MS)
    assert "No notes match" in ws.search.status.text()
    ws.search.scope.setCurrentIndex(0)
    ws.search.category.setCurrentIndex(0)
    ws.search.use_to.setChecked(True)
    ws.search.date_to.setDate(ws.search.date_to.date().addDays(-30))
    qtbot.waitUntil(lambda: not ws.search.model.loading and ws.search.model.rowCount() == 0, timeout=WAIT_MS)


def _png(path: Path) -> Path:
    image = QImage(40, 30, QImage.Format.Format_RGB32)
    image.fill(QColor("#336699"))
    assert image.save(str(path), "PNG")
    return path


def test_add_attachments_and_view_them_inside_the_app(
    qtbot: Any,
    open_window: Callable[..., MainWindow],
    seeded: dict[str, Any],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    temp = tmp_path / "temp"
    temp.mkdir()
    monkeypatch.setenv("TMPDIR", str(temp))
    window = open_window(seeded["dir"])
    ws = unlock(qtbot, window)
    choose_case(qtbot, ws, "AB-100")
    files = [
        _png(tmp_path / "bruise-photo.png"),
        tmp_path / "letter.txt",
        tmp_path / "report.bin",
    ]
    files[1].write_text("Dear DSL,\nSam's letter — " + RTL_EMOJI, encoding="utf-8")
    files[2].write_bytes(b"\x00\x01binary report\xff")
    for path in files:
        monkeypatch.setattr(ws, "ask_attachment_path", lambda p=path: str(p))
        ws.add_attachment_action.trigger()
        qtbot.waitUntil(
            lambda p=path: p.name in [a.filename for a in ws.case_view.attachments.attachments], timeout=WAIT_MS
        )
    assert "added, encrypted in the vault" in ws.message.text.text()
    tree = ws.case_view.attachments.tree
    assert [tree.topLevelItem(r).text(0) for r in range(3)] == ["bruise-photo.png", "letter.txt", "report.bin"]

    ws.case_view.show_tab(ws.case_view.ATTACHMENTS)
    tree.setCurrentItem(tree.topLevelItem(0))
    QTest.keyClick(tree, Qt.Key.Key_Return)
    viewer = wait_shown(qtbot, AttachmentViewer)
    assert viewer.kind == "image" and viewer.image is not None
    assert viewer.image.pixmap().width() == 40
    viewer.close()
    qtbot.waitUntil(
        lambda: not any(isinstance(w, AttachmentViewer) and w.isVisible() for w in QApplication.topLevelWidgets())
    )

    tree.setCurrentItem(tree.topLevelItem(1))
    QTest.keyClick(tree, Qt.Key.Key_Return)
    viewer = wait_shown(qtbot, AttachmentViewer)
    assert viewer.kind == "text" and viewer.text is not None
    assert viewer.text.toPlainText() == "Dear DSL,\nSam's letter — " + RTL_EMOJI
    viewer.close()
    qtbot.waitUntil(
        lambda: not any(isinstance(w, AttachmentViewer) and w.isVisible() for w in QApplication.topLevelWidgets())
    )

    tree.setCurrentItem(tree.topLevelItem(2))
    ws.case_view.attachments.open_button.click()
    viewer = wait_shown(qtbot, AttachmentViewer)
    assert viewer.kind == "other"
    assert "not encrypted" in viewer.save_button.toolTip()
    target = tmp_path / "saved-copy.bin"
    monkeypatch.setattr(viewer, "ask_save_path", lambda: str(target))
    viewer.save_button.click()
    assert target.read_bytes() == b"\x00\x01binary report\xff"
    assert "not encrypted" in viewer.message.text.text()
    viewer.close()
    assert list(temp.iterdir()) == []  # nothing was written to the temporary folder


def test_an_attachment_over_the_limit_is_refused_with_a_clear_message(
    qtbot: Any,
    open_window: Callable[..., MainWindow],
    seeded: dict[str, Any],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    big = tmp_path / "scan.pdf"
    with open(big, "wb") as handle:
        handle.truncate(MAX_ATTACHMENT_BYTES + 1)  # sparse: no 25 MB written
    window = open_window(seeded["dir"])
    ws = unlock(qtbot, window)
    choose_case(qtbot, ws, "AB-100")
    monkeypatch.setattr(ws, "ask_attachment_path", lambda: str(big))
    ws.add_attachment_action.trigger()
    qtbot.waitUntil(lambda: "Problem" in ws.message.text.text(), timeout=WAIT_MS)
    text = ws.message.text.text()
    assert "'scan.pdf' is 25.0 MB; an attachment can be at most 25 MB." in text
    assert "Nothing has been saved" in text
    wait_idle(qtbot, window)
    assert ws.case_view.attachments.attachments == []


def test_a_5_mb_note_and_emoji_and_right_to_left_text_display_whole(
    qtbot: Any, open_window: Callable[..., MainWindow], created_vault: Any, vault_dir: Path
) -> None:
    vault = created_vault.vault
    case = case_records.create_case(vault, CaseDetails("RTL-1", "ليلى Cohen 🌟"))
    line = "Line of a long typed-up interview, kept whole. " + RTL_EMOJI + "\n"
    size = len(line.encode("utf-8"))
    huge = line * ((5 * MB - 64) // size)
    assert 5 * MB - size < len(huge.encode("utf-8")) <= 5 * MB
    big = case_records.record_note(
        vault, case.id, NoteInput(datetime.now() - timedelta(hours=2), huge, "general_welfare")
    )
    case_records.record_note(
        vault, case.id, NoteInput(datetime.now() - timedelta(hours=1), RTL_EMOJI, "general_welfare")
    )
    release(created_vault)

    window = open_window(vault_dir)
    ws = unlock(qtbot, window)
    choose_case(qtbot, ws, "RTL-1")
    assert "ليلى Cohen 🌟" in ws.case_view.heading.text()
    wait_chronology(qtbot, ws, lambda rows: len(rows) == 3)
    rows = chronology_rows(ws)
    assert rows[0][3] == RTL_EMOJI  # the summary shows it exactly
    assert len(rows[1][3]) <= 160  # a preview, never the 5 MB body
    open_chronology_entry(qtbot, ws, lambda r: r[3] == RTL_EMOJI)
    small = wait_shown(qtbot, NoteDetailDialog)
    qtbot.waitUntil(lambda: small.note is not None, timeout=WAIT_MS)
    assert small.text.toPlainText() == RTL_EMOJI
    small.close()
    detail = ws.open_note(None, big.id)
    qtbot.waitUntil(lambda: detail.note is not None, timeout=WAIT_MS)
    assert detail.text.toPlainText() == huge

    # Typed (pasted) into the editor, it is saved exactly as it is.
    ws.new_note_action.trigger()
    editor = wait_shown(qtbot, NoteEditor)
    editor.text.setPlainText(RTL_EMOJI + "\n" + RTL_EMOJI)
    editor.save_button.click()
    wait_chronology(qtbot, ws, lambda rows: len(rows) == 4)
    note_id = ws.case_view.chronology.model.entry(0).item_id  # type: ignore[union-attr]
    saved = ws.runner.submit(lambda: case_records.get_note(ws.vault, note_id)).result(timeout=10)
    assert saved.text == RTL_EMOJI + "\n" + RTL_EMOJI


def test_a_draft_survives_a_lock_and_is_offered_back(
    qtbot: Any,
    open_window: Callable[..., MainWindow],
    seeded: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(note_editor, "AUTOSAVE_MS", 200)
    window = open_window(seeded["dir"])
    ws = unlock(qtbot, window)
    choose_case(qtbot, ws, "AB-100")
    QTest.keyClick(window, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    editor = wait_shown(qtbot, NoteEditor)
    editor.category.setCurrentIndex(editor.category.findData("emotional_abuse"))
    editor.disclosed.setChecked(True)
    editor.text.setFocus()
    type_text("Sam told me about ")
    qtbot.waitUntil(lambda: "Draft saved" in editor.status.text(), timeout=WAIT_MS)  # autosaved while typing
    assert editor.draft_id is not None
    type_text("the weekend")  # typed after the last autosave: saved by the lock
    QTest.keyClick(editor, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier)
    assert window.vault is None
    qtbot.waitUntil(lambda: not any(isinstance(w, NoteEditor) for w in QApplication.topLevelWidgets()), timeout=WAIT_MS)

    ws = unlock(qtbot, window)
    drafts = wait_shown(qtbot, DraftsDialog)
    assert drafts.list.count() == 1
    assert "New note on AB-100: Sam Example" in drafts.list.item(0).text()
    assert "Sam told me about the weekend" in drafts.list.item(0).text()
    assert focused() is drafts.list
    press(Qt.Key.Key_Return)  # Continue writing
    editor = wait_shown(qtbot, NoteEditor)
    assert editor.text.toPlainText() == "Sam told me about the weekend"
    assert editor.category.currentData() == "emotional_abuse" and editor.disclosed.isChecked()
    assert ws.current_case_id() == seeded["first"].id
    editor.text.moveCursor(editor.text.textCursor().MoveOperation.End)
    editor.text.setFocus()
    type_text(" at her dad's.")
    press(Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    wait_chronology(qtbot, ws, lambda rows: any(r[3] == "Sam told me about the weekend at her dad's." for r in rows))
    wait_idle(qtbot, window)
    left = ws.runner.submit(lambda: case_records.list_drafts(ws.vault)).result(timeout=10)
    assert left == []  # saving the note removed its draft


def test_keyboard_only_create_a_case_and_a_note(
    qtbot: Any, open_window: Callable[..., MainWindow], created_vault: Any, vault_dir: Path
) -> None:
    release(created_vault)
    window = open_window(vault_dir)
    ws = unlock(qtbot, window)
    qtbot.waitUntil(lambda: QApplication.focusWidget() is ws.cases.new_button, timeout=WAIT_MS)  # empty vault
    for action, menu, keys in (
        (ws.new_case_action, ws.case_menu, "Ctrl+Shift+N"),
        (ws.new_note_action, ws.note_menu, "Ctrl+N"),
        (ws.search_action, ws.go_menu, "Ctrl+F"),
        (window.lock_action, window.file_menu, "Ctrl+L"),
    ):
        assert action.shortcut().toString() == keys
        assert action in menu.actions(), f"{action.text()} is not in the {menu.title()} menu"
        assert menu.menuAction() in window.menuBar().actions()  # the menu is in the menu bar
        assert menu_item_text(menu, action).endswith("\t" + keys)  # the shortcut as the menu draws it

    QTest.keyClick(window, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    dialog = wait_shown(qtbot, NewCaseDialog)
    qtbot.waitUntil(lambda: QApplication.focusWidget() is dialog.reference, timeout=WAIT_MS)
    type_text("KB-7")
    press(Qt.Key.Key_Tab)
    assert focused() is dialog.subject_name
    type_text("Alex Keyboard")
    press(Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: ws.case is not None and ws.case.reference == "KB-7", timeout=WAIT_MS)
    qtbot.waitUntil(lambda: not shiboken6.isValid(dialog) or not dialog.isVisible(), timeout=WAIT_MS)
    window.activateWindow()  # what the window manager does when a dialog closes (offscreen has none)
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window, timeout=WAIT_MS)

    QTest.keyClick(QApplication.activeWindow(), Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    editor = wait_shown(qtbot, NoteEditor)
    qtbot.waitUntil(lambda: QApplication.focusWidget() is editor.when, timeout=WAIT_MS)
    tab_to(editor.category)
    assert editor.category.currentData() == "general_welfare"  # the default, never a form of abuse
    type_text("Neg")  # a closed list finds an item by typing its start
    tab_to(editor.text)
    type_text("Seen at the gate; calm and chatty.")
    press(Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    wait_chronology(qtbot, ws, lambda rows: len(rows) == 2)
    assert chronology_rows(ws)[0][1] == "Neglect"
    assert chronology_rows(ws)[0][3] == "Seen at the gate; calm and chatty."


def test_lock_leaves_no_record_on_screen(
    qtbot: Any, open_window: Callable[..., MainWindow], seeded: dict[str, Any]
) -> None:
    window = open_window(seeded["dir"])
    ws = unlock(qtbot, window)
    choose_case(qtbot, ws, "AB-100")
    ws.open_note(None, seeded["note"].id)
    wait_shown(qtbot, NoteDetailDialog)
    menus_before = [a.text() for a in window.menuBar().actions()]
    assert "&Case" in menus_before and "&Note" in menus_before
    window.lock("manual")
    qtbot.waitUntil(
        lambda: not any(isinstance(w, NoteDetailDialog) for w in QApplication.topLevelWidgets()), timeout=WAIT_MS
    )
    assert "&Case" not in [a.text() for a in window.menuBar().actions()]
    assert "DEMO" not in window.windowTitle()


def test_close_a_case_with_a_reason_and_filter_the_list_by_status(
    qtbot: Any, open_window: Callable[..., MainWindow], seeded: dict[str, Any]
) -> None:
    from desktop_app.ui.case_status_dialog import CaseStatusDialog

    window = open_window(seeded["dir"])
    ws = unlock(qtbot, window)
    choose_case(qtbot, ws, "CD-200")
    ws.case_status_action.trigger()
    dialog = wait_shown(qtbot, CaseStatusDialog)
    dialog.save_button.click()  # no reason
    qtbot.waitUntil(lambda: dialog.message.isVisible(), timeout=WAIT_MS)
    assert "reason for closing" in dialog.message.text.text().lower()
    dialog.reason.setPlainText("Family moved out of the area; records passed on.")
    dialog.save_button.click()
    qtbot.waitUntil(lambda: ws.case is not None and not ws.case.is_open, timeout=WAIT_MS)
    assert "Closed" in ws.case_view.details.text()
    wait_chronology(qtbot, ws, lambda rows: rows[0][1] == "Case closed")
    open_chronology_entry(qtbot, ws, lambda r: r[1] == "Case closed")
    assert "Family moved out of the area" in ws.message.text.text()

    ws.cases.status.setCurrentIndex(ws.cases.status.findText("Closed cases"))
    qtbot.waitUntil(
        lambda: ws.cases.model.exhausted and not ws.cases.model.loading and ws.cases.model.rowCount() == 1,
        timeout=WAIT_MS,
    )
    assert ws.cases.model.index(0, 0).data() == "CD-200"
    ws.cases.status.setCurrentIndex(ws.cases.status.findText("Open cases"))
    qtbot.waitUntil(
        lambda: [ws.cases.model.index(r, 0).data() for r in range(ws.cases.model.rowCount())] == ["AB-100"],
        timeout=WAIT_MS,
    )
    ws.cases.status.setCurrentIndex(ws.cases.status.findText("All cases"))
    qtbot.waitUntil(lambda: ws.cases.model.rowCount() == 2 and not ws.cases.model.loading, timeout=WAIT_MS)
    ws.cases.view.sortByColumn(0, Qt.SortOrder.DescendingOrder)  # a click on "Reference"
    qtbot.waitUntil(lambda: list_references(ws) == ["CD-200", "AB-100"], timeout=WAIT_MS)
    ws.cases.view.sortByColumn(0, Qt.SortOrder.AscendingOrder)
    qtbot.waitUntil(lambda: list_references(ws) == ["AB-100", "CD-200"], timeout=WAIT_MS)
    ws.cases.key_worker.setText("bea")
    qtbot.waitUntil(lambda: ws.cases.model.rowCount() == 1, timeout=WAIT_MS)
    assert ws.cases.model.index(0, 0).data() == "CD-200"
    ws.cases.key_worker.setText("nobody")
    qtbot.waitUntil(lambda: ws.cases.empty.isVisible(), timeout=WAIT_MS)
    assert ws.cases.empty.text().startswith("No cases match these filters")


# -- the case list with more cases than one page ----------------------------------------------
def test_sorting_and_the_key_worker_filter_cover_every_case_not_only_the_first_page(
    qtbot: Any, open_window: Callable[..., MainWindow], created_vault: Any, vault_dir: Path
) -> None:
    """110 cases and pages of 100: the case that sorts first by reference, and the only
    case of one key worker, are both on the second page of the default order."""
    vault = created_vault.vault
    with vault.transaction() as conn:
        for i in range(110):
            case_records.create_case_in(conn, CaseDetails(f"K-{i:03d}", f"Child {i}"), actor="Alex Practitioner")
    late = case_records.create_case(vault, CaseDetails("A-001", "Avery Early", key_worker="Bea Worker"))
    # Its only note is old, so by activity it comes last: not in the first page.
    case_records.record_note(vault, late.id, NoteInput(datetime(2001, 1, 1, 9, 0), "An old note.", "neglect"))
    release(created_vault)

    window = open_window(vault_dir)
    ws = unlock(qtbot, window)
    model = ws.cases.model
    qtbot.waitUntil(lambda: model.rowCount() == 100 and not model.loading, timeout=WAIT_MS)
    assert model.row_of(late.id) == -1 and model.canFetchMore()

    ws.cases.view.sortByColumn(0, Qt.SortOrder.AscendingOrder)  # a click on "Reference"
    qtbot.waitUntil(lambda: list_references(ws)[:2] == ["A-001", "K-000"], timeout=WAIT_MS)
    assert model.rowCount() == 100  # still one page at a time
    ws.cases.view.sortByColumn(0, Qt.SortOrder.DescendingOrder)
    qtbot.waitUntil(lambda: list_references(ws)[:1] == ["K-109"], timeout=WAIT_MS)

    ws.cases.key_worker.setFocus()
    type_text("bea")
    qtbot.waitUntil(lambda: list_references(ws) == ["A-001"] and model.exhausted, timeout=WAIT_MS)
    assert ws.cases.count.text() == "1 case shown."
    ws.cases.key_worker.clear()
    qtbot.waitUntil(lambda: len(list_references(ws)) == 100, timeout=WAIT_MS)
    assert list_references(ws)[0] == "K-109"  # the order chosen stays


# -- case details --------------------------------------------------------------------------------
def test_a_new_case_takes_other_identifiers_and_its_details_are_edited_with_a_reason(
    qtbot: Any, open_window: Callable[..., MainWindow], created_vault: Any, vault_dir: Path
) -> None:
    release(created_vault)
    window = open_window(vault_dir)
    ws = unlock(qtbot, window)
    ws.new_case_action.trigger()
    dialog = wait_shown(qtbot, NewCaseDialog)
    dialog.reference.setText("ID-1")
    dialog.subject_name.setText("Sam Exampel")
    QTest.keyClicks(dialog.identifiers, "UPN A123456789012")  # no colon
    dialog.create_button.click()
    assert "Line 1 of the other identifiers has no colon" in dialog.message.text.text()
    assert dialog.focusWidget() is dialog.identifiers
    dialog.identifiers.setPlainText("UPN: A123456789012\n\nLocal ID: 77")
    dialog.create_button.click()
    qtbot.waitUntil(lambda: ws.case is not None and ws.case.reference == "ID-1", timeout=WAIT_MS)
    assert ws.case.subject_identifiers == {"UPN": "A123456789012", "Local ID": "77"}
    assert "Local ID: 77 · UPN: A123456789012" in ws.case_view.details.text()  # kept in label order

    # Case ▸ Edit case details…, with the keyboard: Alt+C, then E.
    assert ws.edit_case_action in ws.case_menu.actions() and ws.edit_case_action.isEnabled()
    window.activateWindow()  # what the window manager does when a dialog closes (offscreen has none)
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window, timeout=WAIT_MS)
    press(Qt.Key.Key_C, Qt.KeyboardModifier.AltModifier)
    qtbot.waitUntil(lambda: QApplication.activePopupWidget() is ws.case_menu, timeout=WAIT_MS)
    QTest.keyClick(ws.case_menu, Qt.Key.Key_E)
    edit = wait_shown(qtbot, CaseDetailsDialog)
    assert (edit.reference.text(), edit.subject_name.text()) == ("ID-1", "Sam Exampel")
    assert edit.identifiers.identifiers() == {"UPN": "A123456789012", "Local ID": "77"}
    qtbot.waitUntil(lambda: edit.history_status.text() == NO_CHANGES, timeout=WAIT_MS)

    edit.save_button.click()  # nothing changed yet
    assert NOTHING_CHANGED in edit.message.text.text()
    edit.subject_name.setText("Sam Example")
    edit.key_worker.setText("Bea Worker")
    edit.identifiers.setPlainText("UPN: A123456789012")
    edit.save_button.click()  # no reason
    qtbot.waitUntil(lambda: edit.message.isVisible() and "reason" in edit.message.text.text(), timeout=WAIT_MS)
    assert focused() is edit.reason
    type_text("Name misspelt at referral; caseload moved to Bea")
    press(Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: ws.case is not None and ws.case.subject_name == "Sam Example", timeout=WAIT_MS)
    assert "Sam Example" in ws.case_view.heading.text() and "Key worker: Bea Worker" in ws.case_view.details.text()
    assert "Local ID" not in ws.case_view.details.text()
    assert "details saved" in ws.message.text.text()
    wait_chronology(qtbot, ws, lambda rows: rows[0][1] == "Case details changed")
    assert chronology_rows(ws)[0][3] == "Name misspelt at referral; caseload moved to Bea"
    qtbot.waitUntil(lambda: "Sam Example" in list_references_and_names(ws), timeout=WAIT_MS)

    # The change opens from the chronology, with what each field said before.
    open_chronology_entry(qtbot, ws, lambda r: r[1] == "Case details changed")
    again = wait_shown(qtbot, CaseDetailsDialog)
    qtbot.waitUntil(lambda: again.history.count() == 1, timeout=WAIT_MS)
    [text] = again.history_texts()
    assert "by Alex Practitioner" in text
    assert "Name: Sam Exampel → Sam Example" in text
    assert "Other identifiers: Local ID: 77; UPN: A123456789012 → UPN: A123456789012" in text
    assert "Key worker: Alex Practitioner → Bea Worker" in text
    assert text.endswith("Reason: Name misspelt at referral; caseload moved to Bea")
    assert not again.history_status.isVisible()
    again.reject()


def list_references_and_names(ws: CaseWorkspace) -> list[str]:
    model = ws.cases.model
    return [model.index(r, c).data() for r in range(model.rowCount()) for c in (0, 1)]


# -- a crash while typing -----------------------------------------------------------------------
def test_a_draft_autosaved_before_a_crash_is_offered_back_in_a_new_window(
    qtbot: Any,
    open_window: Callable[..., MainWindow],
    seeded: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(note_editor, "AUTOSAVE_MS", 200)
    window = open_window(seeded["dir"])
    ws = unlock(qtbot, window)
    choose_case(qtbot, ws, "AB-100")
    QTest.keyClick(window, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    editor = wait_shown(qtbot, NoteEditor)
    editor.text.setFocus()
    type_text("Sam said the car was cold")
    qtbot.waitUntil(lambda: "Draft saved" in editor.status.text(), timeout=WAIT_MS)
    wait_idle(qtbot, window)

    # The crash: no lock, so nothing more is saved; the connection and the folder's lock
    # go as they would with the process (as the crash-safety tests release them).
    vault, folder = window.vault, window.folder
    assert vault is not None and folder is not None
    window.runner.invalidate()
    window.runner.run_now(lambda: vault.close())
    folder.release()
    for widget in (editor, window):
        widget.hide()

    second = open_window(seeded["dir"])
    ws2 = unlock(qtbot, second)
    drafts = wait_shown(qtbot, DraftsDialog)
    assert drafts.parent() is ws2
    assert drafts.list.count() == 1
    assert "New note on AB-100: Sam Example" in drafts.list.item(0).text()
    assert "Sam said the car was cold" in drafts.list.item(0).text()
    assert focused() is drafts.list
    press(Qt.Key.Key_Return)  # Continue writing
    qtbot.waitUntil(
        lambda: any(
            isinstance(w, NoteEditor) and w.isVisible() and w.parent() is ws2 for w in QApplication.topLevelWidgets()
        ),
        timeout=WAIT_MS,
    )
    resumed = next(w for w in QApplication.topLevelWidgets() if isinstance(w, NoteEditor) and w.parent() is ws2)
    assert resumed.text.toPlainText() == "Sam said the car was cold"
    assert ws2.current_case_id() == seeded["first"].id


# -- layout at 1366x768 ----------------------------------------------------------------------------
def test_at_1366x768_the_chronology_summary_is_in_view(
    qtbot: Any, open_window: Callable[..., MainWindow], seeded: dict[str, Any]
) -> None:
    from desktop_app.ui.models.chronology_model import KIND, WHEN

    window = open_window(seeded["dir"])
    assert (window.width(), window.height()) == (1366, 768)
    ws = unlock(qtbot, window)
    choose_case(qtbot, ws, "AB-100")
    wait_chronology(qtbot, ws, lambda rows: len(rows) == 3)
    left, right = ws.splitter.sizes()
    assert left < right and left <= 0.4 * (left + right)  # the case gets most of the width
    assert left >= 400  # and the list still shows a reference, a name and a date
    view = ws.case_view.chronology.view
    header = view.header()
    width = view.viewport().width()
    assert header.length() <= width  # nothing off the right edge: no sideways scrolling
    summary_at = header.sectionViewportPosition(SUMMARY)
    assert summary_at + header.sectionSize(SUMMARY) <= width
    assert header.sectionSize(SUMMARY) >= 250 > header.sectionSize(TITLE)
    assert header.sectionSize(SUMMARY) > max(header.sectionSize(c) for c in (WHEN, KIND, TITLE, FLAGS))
    # The note's content is whole in its cell (it is short), not elided.
    row = next(r for r, e in enumerate(chronology_rows(ws)) if "left arm" in e[3])
    text = chronology_rows(ws)[row][3]
    assert view.fontMetrics().horizontalAdvance(text) < header.sectionSize(SUMMARY)
    assert view.visualRect(view.model().index(row, SUMMARY)).right() <= width
