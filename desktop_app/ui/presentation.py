"""How records read on screen: local times, kind and flag labels, search snippets.

Only presentation lives here. The meaning of a flag or a kind belongs to the domain
(``domain.records.FLAG_LABELS``); this module turns it into words and an icon so that
no state is ever shown by colour alone. Kinds and flags this version does not know yet
(added by a later module) still get a sensible label, never an error.
"""

from __future__ import annotations

import html
from datetime import datetime

from PySide6.QtGui import QIcon

from desktop_app.domain.records import (
    FLAG_AMENDED,
    FLAG_ATTACHMENTS,
    FLAG_LABELS,
    FLAG_PROTECTED,
    MARK_IN_ERROR,
    MARK_WRONG_CASE,
    SNIPPET_END,
    SNIPPET_START,
    SOURCES,
    category_label,
)
from desktop_app.ui.widgets import icons

KIND_LABELS: dict[str, str] = {
    "note": "Note",
    "attachment": "Attachment",
    "case_status": "Case status",
    "decision": "Decision",
    "request": "Request",
    "consent": "Consent",
    "feedback": "Feedback",
    "advice": "Advice",
    "emergency_share": "Emergency share",
}

# The order flags are listed in: what a reader must see first comes first.
_FLAG_ORDER = (MARK_IN_ERROR, MARK_WRONG_CASE, FLAG_PROTECTED, FLAG_AMENDED, FLAG_ATTACHMENTS)

PROTECTED_IDENTITY = "Identity protected"


def words(code: str) -> str:
    """``emergency_share`` → ``Emergency share``: a readable fallback for unknown codes."""
    text = code.replace("_", " ").replace("-", " ").strip()
    return text[:1].upper() + text[1:] if text else "Other"


def kind_label(kind: str) -> str:
    return KIND_LABELS.get(kind, words(kind))


def kind_icon(kind: str) -> QIcon:
    return icons.kind_icon(kind)


def flag_label(flag: str) -> str:
    return FLAG_LABELS.get(flag, words(flag))


def ordered_flags(flags: tuple[str, ...] | list[str]) -> list[str]:
    known = [f for f in _FLAG_ORDER if f in flags]
    return known + sorted(f for f in flags if f not in _FLAG_ORDER)


def flags_text(flags: tuple[str, ...] | list[str]) -> str:
    return "; ".join(flag_label(f) for f in ordered_flags(flags))


def flag_icon(flags: tuple[str, ...] | list[str]) -> QIcon:
    """The icon of the most important flag (the text lists them all)."""
    ordered = ordered_flags(flags)
    return icons.flag_icon(ordered[0]) if ordered else QIcon()


def is_marked(flags: tuple[str, ...] | list[str]) -> bool:
    return MARK_IN_ERROR in flags or MARK_WRONG_CASE in flags


def source_label(source: str) -> str:
    return SOURCES.get(source, words(source))


def category(code: str) -> str:
    return category_label(code)


def parse_moment(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None


def local_time(text: str | None, *, weekday: bool = False) -> str:
    """A stored UTC time in this computer's local time, e.g. ``Thu 07 Mar 2024 14:30``."""
    moment = parse_moment(text)
    if moment is None:
        return text or ""
    if moment.tzinfo is not None:
        moment = moment.astimezone()
    return moment.strftime("%a %d %b %Y %H:%M" if weekday else "%d %b %Y %H:%M")


def local_date(text: str | None) -> str:
    moment = parse_moment(text)
    if moment is None:
        return text or ""
    if moment.tzinfo is not None:
        moment = moment.astimezone()
    return moment.strftime("%d %b %Y")


def size_text(size: int) -> str:
    if size < 1024:
        return f"{size} bytes"
    if size < 1024 * 1024:
        return f"{size / 1024:.0f} KB"
    return f"{size / (1024 * 1024):.1f} MB"


def snippet_plain(snippet: str) -> str:
    return snippet.replace(SNIPPET_START, "").replace(SNIPPET_END, "")


def snippet_html(snippet: str) -> str:
    """The back end's match markers as bold, highlighted text; everything else escaped.

    Bold carries the meaning; the background only repeats it."""
    out: list[str] = []
    rest = snippet
    while rest:
        start = rest.find(SNIPPET_START)
        if start < 0:
            out.append(html.escape(rest))
            break
        out.append(html.escape(rest[:start]))
        end = rest.find(SNIPPET_END, start + 1)
        if end < 0:
            end = len(rest)
        match = rest[start + 1 : end]
        out.append(f'<b style="background-color:#ffe58f; color:#000000">{html.escape(match)}</b>')
        rest = rest[end + 1 :]
    return "".join(out)
