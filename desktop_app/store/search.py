"""Full-text search over the current text of every note (SQLite FTS5 inside SQLCipher,
so the index is encrypted like everything else).

**What a person types is never FTS syntax.** ``fts_expression`` turns any text into a
safe expression: it splits on spaces, drops pieces that hold no letter or digit (emoji,
punctuation: the tokenizer would ignore them anyway), and quotes each remaining piece as
an FTS5 string, doubling any ``"`` inside it. ``AND``, ``NEAR(``, ``text:``, ``*``,
``^``, unbalanced quotes and brackets are therefore searched for as words, never
obeyed. Characters that cannot be bound (NUL and other control characters, lone
surrogates) become spaces first. All terms must match (an implicit AND); a term with
inner punctuation (``o'brien``, ``14:30``) must match as a phrase. Right-to-left scripts
work like any other: the tokenizer (``unicode61``) splits on Unicode categories, not on
direction, and direction marks are not letters.

**Snippet markers.** Each matched term in ``SearchHit.snippet`` is wrapped in
``\\x02`` … ``\\x03`` (``domain.records.SNIPPET_START`` / ``SNIPPET_END``), and cut text
is shown as ``…``. Note text can never contain ``\\x02`` or ``\\x03`` (the domain refuses
control characters), so a screen can split on them without escaping: text outside the
markers is plain, text inside is a match.

The index holds the *current* revision of each note and follows amendments through the
triggers in migration 3 (``notes_index_current``).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Collection
from typing import Any

from desktop_app.domain.records import SNIPPET_ELLIPSIS, SNIPPET_END, SNIPPET_START, SearchHit, split_flags
from desktop_app.store.notes import NOTE_FLAGS_SQL

MAX_QUERY_CHARS = 500
MAX_TERMS = 16
SNIPPET_TOKENS = 16  # words of context around the matches (FTS5 allows up to 64)


def _is_word_char(char: str) -> bool:
    """What the ``unicode61`` tokenizer keeps as part of a word: letters, digits and
    private-use characters."""
    category = unicodedata.category(char)
    return category[0] in "LN" or category == "Co"


def _bindable(char: str) -> str:
    category = unicodedata.category(char)
    return " " if category in ("Cc", "Cs") else char


def fts_expression(text: str, *, prefix_last: bool = False) -> str | None:
    """A safe FTS5 expression for what a person typed, or None if it has nothing to
    search for (only spaces, punctuation or emoji).

    ``prefix_last`` makes the last term match as a prefix, for search-as-you-type.
    """
    cleaned = "".join(_bindable(c) for c in text[:MAX_QUERY_CHARS])
    terms = [t for t in cleaned.split() if any(_is_word_char(c) for c in t)][:MAX_TERMS]
    if not terms:
        return None
    quoted = ['"' + term.replace('"', '""') + '"' for term in terms]
    if prefix_last and not cleaned[-1:].isspace():  # "arm " is a finished word; "arm" may not be
        quoted[-1] += "*"
    return " ".join(quoted)


def search(
    conn: Any,
    expression: str,
    *,
    case_id: int | None = None,
    categories: Collection[str] | None = None,
    occurred_from: str | None = None,
    occurred_before: str | None = None,
    limit: int = 50,
    newest_first: bool = False,
) -> list[SearchHit]:
    """The best ``limit`` notes matching a *safe* expression (from ``fts_expression``),
    ranked by BM25 relevance (or newest first)."""
    sql, params = search_sql(
        expression,
        case_id=case_id,
        categories=categories,
        occurred_from=occurred_from,
        occurred_before=occurred_before,
        limit=limit,
        newest_first=newest_first,
    )
    return [
        SearchHit(
            note_id=row[0],
            case_id=row[1],
            case_reference=row[2],
            occurred_at=row[3],
            category=row[4],
            snippet=row[5],
            flags=split_flags(row[6]),
        )
        for row in conn.execute(sql, params)
    ]


def search_sql(
    expression: str,
    *,
    case_id: int | None = None,
    categories: Collection[str] | None = None,
    occurred_from: str | None = None,
    occurred_before: str | None = None,
    limit: int = 50,
    newest_first: bool = False,
) -> tuple[str, dict[str, Any]]:
    """The statement ``search`` runs, and its parameters (the benchmark times it raw).

    Two steps in one statement. First the best ``limit`` matches are chosen with
    ``ORDER BY bm25(…) LIMIT`` (SQLite keeps only the best few while scanning, which
    is quicker than FTS5's ``ORDER BY rank``, which sorts every match). Only then are the
    snippets built, for those rows alone: a snippet re-reads and re-tokenizes the note,
    and for a common word there are thousands of matches.
    """
    where = ["note_search MATCH :expression"]
    params: dict[str, Any] = {
        "expression": expression,
        "limit": limit,
        "start": SNIPPET_START,
        "end": SNIPPET_END,
        "ellipsis": SNIPPET_ELLIPSIS,
        "tokens": SNIPPET_TOKENS,
    }
    if case_id is not None:
        where.append("n.case_id = :case_id")
        params["case_id"] = case_id
    if categories:
        names = []
        for i, category in enumerate(sorted(set(categories))):
            names.append(f":category{i}")
            params[f"category{i}"] = category
        where.append(f"n.category IN ({', '.join(names)})")
    if occurred_from is not None:
        where.append("n.occurred_at >= :occurred_from")
        params["occurred_from"] = occurred_from
    if occurred_before is not None:
        where.append("n.occurred_at < :occurred_before")
        params["occurred_before"] = occurred_before
    needs_notes = newest_first or len(where) > 1
    join = " JOIN notes n ON n.current_revision_id = note_search.rowid" if needs_notes else ""
    if newest_first:
        choose, order = "n.occurred_at AS at, n.id AS tie", "top.at DESC, top.tie DESC"
    else:
        choose, order = "bm25(note_search) AS at, note_search.rowid AS tie", "top.at, top.tie DESC"
    sql = (
        "WITH top AS MATERIALIZED ("
        f"SELECT note_search.rowid AS rid, {choose} FROM note_search{join} "
        f"WHERE {' AND '.join(where)} ORDER BY {order.replace('top.', '')} LIMIT :limit), "
        # One more pass over the matches (cheap without ranking) builds the snippets of
        # the chosen rows only; FTS5 cannot seek by a list of rowids, and seeking row by
        # row would run the whole query again for each (the unary + keeps SQLite from
        # handing the IN list to FTS5 as a rowid lookup).
        "snippets AS MATERIALIZED ("
        "SELECT note_search.rowid AS rid, snippet(note_search, 0, :start, :end, :ellipsis, :tokens) AS snippet "
        "FROM note_search WHERE note_search MATCH :expression AND +note_search.rowid IN (SELECT rid FROM top)) "
        "SELECT n.id, n.case_id, c.reference, n.occurred_at, n.category, snippets.snippet, "
        f"{NOTE_FLAGS_SQL} "
        "FROM top JOIN snippets ON snippets.rid = top.rid "
        "JOIN notes n ON n.current_revision_id = top.rid "
        "JOIN note_revisions r ON r.id = top.rid "
        "JOIN cases c ON c.id = n.case_id "
        f"ORDER BY {order}"
    )
    return sql, params


def rebuild(conn: Any) -> None:
    """Rebuild the index from the current text of every note (repair; never needed in
    normal use). Safe because the index's content is the current-revision view."""
    conn.execute("INSERT INTO note_search (note_search) VALUES ('rebuild')")


def integrity_check(conn: Any) -> None:
    """Raise a database error if the index does not match the current text."""
    conn.execute("INSERT INTO note_search (note_search, rank) VALUES ('integrity-check', 1)")
