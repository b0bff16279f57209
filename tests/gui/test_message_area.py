"""The inline message box shows plain text: quotes and angle brackets in a message (a
file name, a reference someone typed) appear as typed, never as markup or entities."""

from __future__ import annotations

from typing import Any

from desktop_app.errors import VaultInUse
from desktop_app.ui.widgets.message_area import MessageArea


def test_plain_text_is_shown_as_typed(qtbot: Any) -> None:
    area = MessageArea()
    qtbot.addWidget(area)
    area.show_message("info", "The child's file <b>not bold</b> & more", "Check 'it'")
    shown = area.text.text()
    assert "child's" in shown and "&#x27;" not in shown
    assert "&lt;b&gt;not bold&lt;/b&gt; &amp; more" in shown  # escaped once, so Qt shows it literally
    assert "Problem" not in shown  # info has no heading
    assert "child's file" in area.accessibleName()


def test_errors_show_message_and_advice(qtbot: Any) -> None:
    area = MessageArea()
    qtbot.addWidget(area)
    area.show_error(VaultInUse("Open elsewhere."))
    assert "<b>Problem:</b> Open elsewhere." in area.text.text()
    assert "Switch to the window" in area.text.text()
    area.clear()
    assert area.isHidden()
