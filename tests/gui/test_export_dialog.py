"""The export screens in a real window over a real vault (offscreen): open the export from
a case with a decision, the defaults, a protected name shown redacted, a passage redacted
by hand, the preview page by page, the password, saving an encrypted PDF, and the export
in the chronology; exporting turned off by policy; backups from the File menu."""

from __future__ import annotations

import io
import re
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyrage
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pypdf import PdfReader
from PySide6.QtCore import Qt
from PySide6.QtGui import QFont, QTextCursor
from PySide6.QtWidgets import QApplication

from desktop_app.domain.policy import Policy
from desktop_app.domain.redaction import REDACTED
from desktop_app.export.verify import verify_bundle
from desktop_app.services import share_export
from desktop_app.ui import export_dialog as export_dialog_module
from desktop_app.ui.export_dialog import EXPORTING_OFF, ExportDialog
from desktop_app.ui.main_window import MainWindow
from desktop_app.ui.workspace import CaseWorkspace

from ..conftest import PASSPHRASE
from ..export.seed import PROTECTED_WORDS, Seeded, seed_case
from .case_helpers import WAIT_MS, open_window, release, unlock, wait_idle

__all__ = ["open_window"]


@pytest.fixture
def seeded(created_vault: Any, vault_dir: Path) -> tuple[Path, Seeded]:
    made = seed_case(created_vault.vault)
    release(created_vault)
    return vault_dir, made


def open_case(
    qtbot: Any, open_window: Callable[..., MainWindow], vault_dir: Path, case_id: int, **kw: Any
) -> CaseWorkspace:
    window = open_window(vault_dir, **kw)
    workspace = unlock(qtbot, window)
    workspace.show_case(case_id)
    wait_idle(qtbot, window)
    return workspace


def open_export(qtbot: Any, workspace: CaseWorkspace) -> ExportDialog:
    ext = workspace.exports  # type: ignore[attr-defined]
    assert ext.export_action.isEnabled()
    ext.export_action.trigger()
    dialog = ext.export_dialog
    qtbot.waitUntil(lambda: dialog.selection is not None and dialog.note_view is not None, timeout=WAIT_MS)
    return dialog


def choose_note(qtbot: Any, dialog: ExportDialog, note_id: int) -> None:
    for row in range(dialog.notes.count()):
        if dialog.notes.item(row).data(Qt.ItemDataRole.UserRole + 1) == note_id:
            dialog.notes.setCurrentRow(row)
            break
    qtbot.waitUntil(lambda: dialog.note_view is not None and dialog.note_view.note_id == note_id, timeout=WAIT_MS)


def ticked(dialog: ExportDialog) -> set[int]:
    return {
        dialog.notes.item(r).data(Qt.ItemDataRole.UserRole + 1)
        for r in range(dialog.notes.count())
        if dialog.notes.item(r).checkState() == Qt.CheckState.Checked
    }


def drawn_off_the_window_thread(monkeypatch: pytest.MonkeyPatch, module: Any, name: str) -> list[bool]:
    """Wrap ``module.name`` (a step that draws or encrypts the PDF) to record, for each
    call, whether it ran on the window's own thread."""
    original = getattr(module, name)
    on_window_thread: list[bool] = []

    def recording(*args: Any, **kwargs: Any) -> Any:
        on_window_thread.append(threading.current_thread() is threading.main_thread())
        return original(*args, **kwargs)

    monkeypatch.setattr(module, name, recording)
    return on_window_thread


def test_export_a_packet_from_a_case_with_a_decision(
    qtbot: Any,
    open_window: Callable[..., MainWindow],
    seeded: tuple[Path, Seeded],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    vault_dir, s = seeded
    workspace = open_case(qtbot, open_window, vault_dir, s.case.id)
    dialog = open_export(qtbot, workspace)
    assert dialog.isVisible() and dialog.parent() is workspace

    # Only what the decision says: its linked notes; no people, no details about the child.
    assert dialog.decision_box.currentData() == s.decision.id
    assert ticked(dialog) == set(s.linked)
    assert dialog.selection is not None
    assert dialog.selection.person_ids == [] and dialog.selection.fields == []
    assert dialog.tabs.tabText(0) == "Notes (2 of 4)" and dialog.tabs.tabText(1) == "People (0 of 3)"

    # The protected neighbour is shown as she will be shared: by her label, in bold.
    choose_note(qtbot, dialog, s.note_ids[0])
    shown = dialog.text_view.toPlainText()
    assert "Neighbour A (next door)" in shown and "Neighbour A's kitchen" in shown
    assert not any(word in shown for word in PROTECTED_WORDS)
    cursor = QTextCursor(dialog.text_view.document())
    cursor.setPosition(shown.index("Neighbour A") + 2)
    assert cursor.charFormat().fontWeight() == QFont.Weight.Bold

    # Redact a passage by hand: select it and press the button.
    nurse = s.note_ids[2]
    choose_note(qtbot, dialog, nurse)
    text = dialog.text_view.shown
    start = text.index("12 Acacia Road")
    dialog.text_view.select_shown(start, start + len("12 Acacia Road"))
    qtbot.mouseClick(dialog.redact_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.note_view is not None and bool(dialog.note_view.marked), timeout=WAIT_MS)
    assert dialog.text_view.toPlainText().endswith(f"live at {REDACTED}.")
    dialog.set_note_ticked(nurse, True)
    assert ticked(dialog) == {*s.linked, nurse}

    # Preview, page by page.
    qtbot.mouseClick(dialog.next_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.step == 1, timeout=WAIT_MS)
    pages = dialog.preview.count
    assert pages >= 1 and dialog.preview.page_label.text() == f"Page 1 of {pages}"
    assert not dialog.preview.page.pixmap().isNull()
    if pages > 1:
        qtbot.mouseClick(dialog.preview.next_button, Qt.MouseButton.LeftButton)
        assert dialog.preview.page_label.text() == f"Page 2 of {pages}"
    assert dialog.packet is not None and "Acacia" not in dialog.packet.to_json()

    # The password: large groups, never on the clipboard unless Copy is pressed.
    board = QApplication.clipboard()
    board.setText("something the person copied earlier")
    qtbot.mouseClick(dialog.next_button, Qt.MouseButton.LeftButton)
    assert dialog.step == 2 and dialog.pdf_choice.isChecked()
    password = dialog.password_box.password
    assert re.fullmatch(r"[0-9A-Z]{4}(-[0-9A-Z]{4}){4}", password)
    assert dialog.password_box.value.text() == "  ".join(password.split("-"))
    assert board.text() == "something the person copied earlier"
    qtbot.mouseClick(dialog.password_box.copy_button, Qt.MouseButton.LeftButton)
    assert board.text() == password and workspace.window.clipboard.holds_our_copy()
    workspace.window.clipboard.clear_now()

    # Save as…: only the encrypted PDF is written; then it is recorded. The PDF is drawn
    # and encrypted in the background, so a large packet does not freeze the window.
    encrypting = drawn_off_the_window_thread(monkeypatch, share_export, "encrypted_pdf")
    dialog.ask_save_path = lambda suggested: str(tmp_path / suggested)  # type: ignore[method-assign]
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    assert not dialog.save_button.isEnabled()  # busy until the background work is done
    qtbot.waitUntil(lambda: dialog.step == 3, timeout=WAIT_MS)
    assert encrypting == [False]
    saved = list(tmp_path.glob("share-packet-*.pdf"))
    assert len(saved) == 1 and [p.name for p in tmp_path.iterdir() if p.is_file()] == [saved[0].name]
    assert dialog.done_password.password == password and not dialog.fingerprint.isVisible()
    reader = PdfReader(io.BytesIO(saved[0].read_bytes()))
    assert reader.is_encrypted and reader.decrypt(password) != 0
    content = " ".join(" ".join(page.extract_text() for page in reader.pages).split())
    assert "Neighbour A" in content and REDACTED in content and "Acacia" not in content
    assert not any(re.search(rf"\b{w}\b", content) for w in PROTECTED_WORDS)

    # The chronology shows the export; opening it shows its record.
    qtbot.mouseClick(dialog.close_button, Qt.MouseButton.LeftButton)
    model = workspace.case_view.chronology.model
    qtbot.waitUntil(
        lambda: model is not None and any(model.entry(r).kind == "export" for r in range(model.rowCount())),
        timeout=WAIT_MS,
    )
    [entry] = [model.entry(r) for r in range(model.rowCount()) if model.entry(r).kind == "export"]
    assert entry.title == "Share packet, password-protected PDF" and saved[0].name in entry.summary
    workspace._entry_activated(entry)
    view = workspace.exports.dialogs[-1]  # type: ignore[attr-defined]
    qtbot.waitUntil(lambda: view.entry is not None, timeout=WAIT_MS)
    assert view.entry.items.note_ids == (*s.linked, nurse) and view.feedback_button.isEnabled()
    assert "No feedback" in view.feedback_state.text()


def test_exporting_turned_off_by_policy_is_said_plainly(
    qtbot: Any, open_window: Callable[..., MainWindow], seeded: tuple[Path, Seeded]
) -> None:
    vault_dir, s = seeded
    workspace = open_case(qtbot, open_window, vault_dir, s.case.id, policy=Policy(allowed_export_formats=()))
    workspace.exports.export_action.trigger()  # type: ignore[attr-defined]
    dialog = workspace.exports.export_dialog  # type: ignore[attr-defined]
    assert dialog.step is None and dialog.blocked.text() == EXPORTING_OFF
    assert "turned off" in workspace.message.text.text()


def test_age_only_policy_offers_only_bundles(
    qtbot: Any,
    open_window: Callable[..., MainWindow],
    seeded: tuple[Path, Seeded],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    vault_dir, s = seeded
    workspace = open_case(qtbot, open_window, vault_dir, s.case.id, policy=Policy(allowed_export_formats=("age",)))
    dialog = open_export(qtbot, workspace)
    dialog.go_next()
    qtbot.waitUntil(lambda: dialog.step == 1, timeout=WAIT_MS)
    dialog.go_next()
    assert not dialog.pdf_choice.isVisibleTo(dialog) and dialog.key_choice.isChecked()
    assert "does not allow PDF" in dialog.policy_note.text()

    # Saved for the recipient's key: the PDF inside is drawn in the background too.
    drawing = drawn_off_the_window_thread(monkeypatch, export_dialog_module, "render_pdf")
    identity = pyrage.x25519.Identity.generate()
    dialog.recipient_key.setText(str(identity.to_public()))
    dialog.ask_save_path = lambda suggested: str(tmp_path / suggested)  # type: ignore[method-assign]
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.step == 3, timeout=WAIT_MS)
    assert drawing == [False]
    [saved] = tmp_path.glob("share-packet-*.age")
    verified = verify_bundle(saved.read_bytes(), identity=str(identity), expected_signer=dialog.fingerprint.text())
    assert verified.files["packet.pdf"].startswith(b"%PDF-") and dialog.fingerprint.isVisible()
    assert [n.note_id for n in verified.packet.notes] == [f"N-{i}" for i in s.linked]
    assert not any(word in verified.packet.to_json() for word in PROTECTED_WORDS)


def test_back_up_and_restore_from_the_file_menu(
    qtbot: Any, open_window: Callable[..., MainWindow], seeded: tuple[Path, Seeded], tmp_path: Path
) -> None:
    vault_dir, s = seeded
    workspace = open_case(qtbot, open_window, vault_dir, s.case.id)
    window = workspace.window
    ext = workspace.exports  # type: ignore[attr-defined]
    assert ext.backup_action in window.file_menu.actions() and ext.restore_action in window.file_menu.actions()
    ext.backup_action.trigger()
    dialog = ext.backup_dialog
    qtbot.mouseClick(dialog.backup_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.made is not None, timeout=WAIT_MS)
    assert (dialog.made / "vault.db").is_file() and "verified" in dialog.message.text.text()
    assert str(dialog.made) in dialog.details.text()
    dialog.close()

    ext.restore_action.trigger()
    restore = ext.restore_dialog
    assert restore.chosen_backup() == dialog.made
    target = tmp_path / "restored"
    restore.target.setText(str(target))
    restore.secret.setText(PASSPHRASE)
    qtbot.mouseClick(restore.restore_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: restore.restored_path is not None, timeout=WAIT_MS)
    assert "audit trail is intact" in restore.message.text.text() and restore.secret.text() == ""
    qtbot.mouseClick(restore.open_button, Qt.MouseButton.LeftButton)
    # Opening it locks this vault and offers the restored one to unlock.
    qtbot.waitUntil(lambda: window.vault is None and window.vault_dir == target, timeout=WAIT_MS)
    assert window.stack.currentWidget() is window.unlock_page
    assert ext.backup_action not in window.file_menu.actions()


def test_a_case_with_no_decision_to_share_says_what_to_do(
    qtbot: Any, open_window: Callable[..., MainWindow], created_vault: Any, vault_dir: Path
) -> None:
    from desktop_app.domain.records import CaseDetails
    from desktop_app.services import case_records

    case = case_records.create_case(created_vault.vault, CaseDetails("C-NONE", "Robin Sample"))
    release(created_vault)
    workspace = open_case(qtbot, open_window, vault_dir, case.id)
    workspace.exports.export_action.trigger()  # type: ignore[attr-defined]
    dialog = workspace.exports.export_dialog  # type: ignore[attr-defined]
    qtbot.waitUntil(lambda: dialog.choices is not None, timeout=WAIT_MS)
    assert dialog.step is None and "no recorded decision to share" in dialog.blocked.text()


def test_subject_access_export_from_the_case(
    qtbot: Any, open_window: Callable[..., MainWindow], seeded: tuple[Path, Seeded], tmp_path: Path
) -> None:
    vault_dir, s = seeded
    workspace = open_case(qtbot, open_window, vault_dir, s.case.id)
    ext = workspace.exports  # type: ignore[attr-defined]
    ext.subject_access_action.trigger()
    dialog = ext.subject_access_dialog
    qtbot.waitUntil(lambda: dialog.person.count() == 4, timeout=WAIT_MS)
    dialog.person.setCurrentIndex(dialog.person.findData(s.father.id))
    qtbot.mouseClick(dialog.preview_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.built is not None and dialog.preview.count > 0, timeout=WAIT_MS)
    dialog.ask_save_path = lambda suggested: str(tmp_path / suggested)  # type: ignore[method-assign]
    password = dialog.password_box.password
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.record is not None, timeout=WAIT_MS)
    [saved] = list(tmp_path.glob("subject-access-*.pdf"))
    reader = PdfReader(io.BytesIO(saved.read_bytes()))
    assert reader.is_encrypted and reader.decrypt(password) != 0
    content = " ".join(" ".join(page.extract_text() for page in reader.pages).split())
    assert "Dariusz Nowak" in content and "Child A" in content and "Thistlewood" not in content
    model = workspace.case_view.chronology.model
    qtbot.waitUntil(
        lambda: (
            model is not None
            and any(model.entry(r).title.startswith("Subject access export") for r in range(model.rowCount()))
        ),
        timeout=WAIT_MS,
    )


def test_import_a_received_bundle_linked_to_a_request(
    qtbot: Any, open_window: Callable[..., MainWindow], seeded: tuple[Path, Seeded], tmp_path: Path
) -> None:
    import pyrage

    from desktop_app.domain.decision_record import RequestInput
    from desktop_app.export.pdf import ensure_gui_app
    from desktop_app.services import decisions as decision_service
    from desktop_app.services import packet_builder, share_export
    from desktop_app.store.vault import VaultFolder

    vault_dir, s = seeded
    ensure_gui_app()
    identity = pyrage.x25519.Identity.generate()
    sender = VaultFolder.create(tmp_path / "sender", PASSPHRASE, owner_name="Sam Rivers", organisation_name="MASH")
    theirs = seed_case(sender.vault, "MASH-7")
    packet = packet_builder.build(
        sender.vault, packet_builder.load_choices(sender.vault, theirs.case.id).default_selection()
    )
    written = share_export.signed_bundle(sender.vault, packet, recipient=str(identity.to_public()))
    release(sender)
    (tmp_path / "from-mash.age").write_bytes(written.data)
    damaged = bytearray(written.data)
    damaged[len(damaged) // 2] ^= 1
    (tmp_path / "damaged.age").write_bytes(bytes(damaged))
    (tmp_path / "me.key").write_text(f"{identity}\n")

    folder = VaultFolder.attach(vault_dir)
    ours = folder.unlock(PASSPHRASE)
    request = decision_service.record_request(
        ours,
        s.case.id,
        RequestInput(
            "Children's Services MASH", "Anything on the home", "Strategy meeting", "Called back", "2024-03-06"
        ),
    )
    ours.close()
    folder.release()

    workspace = open_case(qtbot, open_window, vault_dir, s.case.id)
    ext = workspace.exports  # type: ignore[attr-defined]
    ext.import_action.trigger()
    dialog = ext.import_dialog
    qtbot.waitUntil(lambda: dialog.request.count() == 2, timeout=WAIT_MS)
    answers = iter([str(tmp_path / "damaged.age"), str(tmp_path / "me.key")])
    dialog.ask_open_path = lambda title, pattern: next(answers)  # type: ignore[method-assign]
    dialog._choose_bundle()
    dialog._choose_key()
    qtbot.mouseClick(dialog.verify_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not dialog.busy, timeout=WAIT_MS)
    assert dialog.verified is None and "damaged or has been altered" in dialog.message.text.text()
    assert not dialog.keep_button.isEnabled()

    dialog.ask_open_path = lambda title, pattern: str(tmp_path / "from-mash.age")  # type: ignore[method-assign]
    dialog._choose_bundle()
    dialog.expected.setText(written.signer_fingerprint)
    qtbot.mouseClick(dialog.verify_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.verified is not None, timeout=WAIT_MS)
    assert dialog.fingerprint.text() == written.signer_fingerprint and dialog.preview.count >= 1
    assert dialog.request.currentData() == request.id
    qtbot.mouseClick(dialog.keep_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.received is not None, timeout=WAIT_MS)
    assert dialog.received.request_id == request.id
    model = workspace.case_view.chronology.model
    qtbot.waitUntil(
        lambda: (
            model is not None and any(model.entry(r).kind == "information_received" for r in range(model.rowCount()))
        ),
        timeout=WAIT_MS,
    )


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=60), st.lists(st.tuples(st.integers(0, 60), st.integers(1, 8)), max_size=4), st.booleans())
def test_a_selection_maps_back_to_the_original_text(text: str, raw: list[tuple[int, int]], as_shared: bool) -> None:
    """Whatever is selected in the note as shown, the marked range is in the original
    text: inside unchanged text exactly, and a replacement stands for all it replaced."""
    from desktop_app.domain.redaction import RedactionSpan
    from desktop_app.ui.export_widgets import layout_segments, original_range

    spans, last = [], 0
    for start, length in sorted(raw):
        start = max(start, last)
        end = min(start + length, len(text))
        if start < end:
            spans.append(RedactionSpan(start, end, "Neighbour A" if length % 2 else REDACTED))
            last = end
    shown, segments = layout_segments(text, spans, as_shared=as_shared)
    if not as_shared:
        assert shown == text.replace("\r\n", " \n").replace("\r", "\n")
    whole = original_range(segments, 0, len(shown))
    assert whole == ((0, len(text)) if text else None)
    for seg in segments:
        if seg.replacement is None and seg.shown_end > seg.shown_start:
            middle = original_range(segments, seg.shown_start, seg.shown_end)
            assert middle == (seg.original_start, seg.original_end)
            assert text[seg.original_start : seg.original_end] == text[middle[0] : middle[1]]
        elif seg.shown_end > seg.shown_start:
            assert original_range(segments, seg.shown_start, seg.shown_start + 1) == (
                seg.original_start,
                seg.original_end,
            )
