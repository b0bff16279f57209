"""The chronology: every dated event of a case in one time line, newest first.

A case's story is spread over many kinds of record (notes, attachments, status changes,
and later decisions, requests and emergency shares). Each kind *registers a source*: a
SQL ``SELECT`` that yields the same eight columns for every record of that kind, across
all cases. This module combines the registered sources with ``UNION ALL``, filters them
to one case, and pages through them. Nothing here knows what a note or a decision is.

Registering a source (for example, decisions in ``desktop_app/store/decisions.py``)::

    from desktop_app.store.chronology import ChronologySource, register_source

    register_source(
        ChronologySource(
            kind="decision",
            sql='''
                SELECT d.case_id AS case_id, d.occurred_at AS occurred_at,
                       d.recorded_at AS recorded_at, 'decision' AS kind, d.id AS item_id,
                       d.outcome AS title, d.summary AS summary,
                       concat_ws(',', CASE WHEN d.marked_at IS NOT NULL THEN 'in_error' END) AS flags
                FROM decisions d
            ''',
            format_title=lambda outcome: OUTCOME_LABELS.get(outcome, outcome),
        )
    )

then add the module's name to ``SOURCE_MODULES`` below, so the source is registered
before the first chronology is read (the same pattern as ``cli.COMMAND_MODULES``; a
listed module that does not exist yet is skipped). The rules for a source:

* exactly the columns ``case_id, occurred_at, recorded_at, kind, item_id, title,
  summary, flags``, in that order, named so (``tests/store/test_chronology.py`` checks
  every registered source);
* ``occurred_at`` is UTC ISO-8601 text, ``YYYY-MM-DDTHH:MM:SS+00:00`` (use
  ``domain.records.occurred_at_text`` / ``date_to_occurred_at`` when storing), so that all
  kinds sort together; ``kind`` is the registered kind, a constant;
* ``summary`` is a short preview, never a whole body (store one when saving);
* ``flags`` is a comma-separated list from ``domain.records.FLAG_LABELS`` (or '' );
* no parameters: this module adds ``WHERE case_id = …`` around the source, so index your
  table on ``(case_id, occurred_at, id)`` and the filter and the order use it;
* optionally ``count_sql``: a cheaper SELECT with one row (and a ``case_id`` column) per
  entry, for counting without the joins the full source needs (notes use it: the count of
  a 5,000-note case drops from about 7 ms to well under 1 ms).

Paging is by key (``after=`` the cursor of the last entry shown: constant time at any
depth) or by offset (to jump to page *n*). SQLite merges the sources' ``UNION ALL`` in
order, reading each source lazily through its index, so a page costs one short index walk
per source however long the case is; the 5,000-note case's first page is measured in
``tests/benchmarks/bench_store.py``. A source that cannot use an index still works, at
the cost of sorting its rows for the case.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from typing import Any

# ChronologyCursor and ChronologyPage live in the domain (screens hold them); they are
# imported here too, so ``from desktop_app.store.chronology import ChronologyPage`` works.
from desktop_app.domain.records import ChronologyCursor as ChronologyCursor
from desktop_app.domain.records import ChronologyEntry, split_flags
from desktop_app.domain.records import ChronologyPage as ChronologyPage

COLUMNS = ("case_id", "occurred_at", "recorded_at", "kind", "item_id", "title", "summary", "flags")
# Newest first. ``item_id`` before ``kind``: within one source ``kind`` is constant and
# ``item_id`` unique, so an index on (case_id, occurred_at, id) delivers this order with
# no sorting, and the UNION ALL is a lazy merge that stops after one page.
ORDER = "occurred_at DESC, item_id DESC, kind DESC"

# Modules that register sources when imported. Add yours here.
SOURCE_MODULES = (
    "desktop_app.store.cases",  # case_status
    "desktop_app.store.notes",  # note
    "desktop_app.store.attachments",  # attachment (those not attached to a note)
    "desktop_app.store.decisions",  # decision, request, consent, feedback
    "desktop_app.store.emergency",  # emergency_share
    "desktop_app.store.exports",  # export
)


def _unchanged(title: str) -> str:
    return title


@dataclass(frozen=True)
class ChronologySource:
    """One kind of dated record: its kind name, its SELECT, and how to show its title."""

    kind: str
    sql: str
    format_title: Callable[[str], str] = field(default=_unchanged, compare=False)
    count_sql: str | None = None  # one row per entry, with case_id; default: ``sql``


_SOURCES: dict[str, ChronologySource] = {}
_loaded = False


def register_source(source: ChronologySource) -> None:
    """Add a kind of record to every chronology. Registering the same kind twice with
    different SQL is a programming error and says so."""
    existing = _SOURCES.get(source.kind)
    if existing is not None and existing.sql != source.sql:
        raise ValueError(f"chronology kind {source.kind!r} is already registered with different SQL")
    _SOURCES[source.kind] = source


def sources() -> dict[str, ChronologySource]:
    """Every registered source, after importing the modules that register them."""
    global _loaded
    if not _loaded:
        for name in SOURCE_MODULES:
            try:
                importlib.import_module(name)
            except ModuleNotFoundError as exc:
                if exc.name != name:
                    raise
        _loaded = True
    return dict(_SOURCES)


def _chosen(kinds: Collection[str] | None) -> list[ChronologySource]:
    available = sources()
    if kinds is None:
        return list(available.values())
    unknown = set(kinds) - set(available)
    if unknown:
        raise ValueError(f"unknown chronology kinds: {sorted(unknown)}")
    return [available[k] for k in kinds]


def page(
    conn: Any,
    case_id: int,
    *,
    limit: int = 50,
    after: ChronologyCursor | None = None,
    offset: int = 0,
    kinds: Collection[str] | None = None,
    with_total: bool = True,
) -> ChronologyPage:
    """One page of a case's chronology, newest first."""
    chosen = _chosen(kinds)
    if not chosen or limit <= 0:
        return ChronologyPage([], 0, None)
    params: dict[str, Any] = {"case_id": case_id}
    keyset = ""
    if after is not None:
        keyset = " AND (occurred_at, item_id, kind) < (:after_at, :after_id, :after_kind)"
        params |= {"after_at": after.occurred_at, "after_kind": after.kind, "after_id": after.item_id}
    columns = ", ".join(COLUMNS)
    sql = " UNION ALL ".join(
        f"SELECT {columns} FROM ({source.sql}) WHERE case_id = :case_id{keyset}" for source in chosen
    )
    # One more than asked for tells whether there is a next page without counting. The
    # numbers are written into the statement: with LIMIT as a bound parameter SQLite
    # plans for an unknown number of rows and the page took ten times as long.
    sql += f" ORDER BY {ORDER} LIMIT {int(limit) + 1} OFFSET {int(offset)}"
    formatters = {source.kind: source.format_title for source in chosen}
    entries = [
        ChronologyEntry(
            case_id=row[0],
            occurred_at=row[1],
            recorded_at=row[2],
            kind=row[3],
            item_id=row[4],
            title=formatters[row[3]](row[5] or ""),
            summary=row[6] or "",
            flags=split_flags(row[7]),
        )
        for row in conn.execute(sql, params)
    ]
    next_cursor = None
    if len(entries) > limit:
        del entries[limit:]
        last = entries[-1]
        next_cursor = ChronologyCursor(last.occurred_at, last.kind, last.item_id)
    total = count(conn, case_id, kinds=kinds) if with_total else -1
    return ChronologyPage(entries, total, next_cursor)


def count(conn: Any, case_id: int, *, kinds: Collection[str] | None = None) -> int:
    """How many entries a case's chronology has (for the chosen kinds)."""
    chosen = _chosen(kinds)
    if not chosen:
        return 0
    parts = [f"(SELECT count(*) FROM ({source.count_sql or source.sql}) WHERE case_id = :case_id)" for source in chosen]
    total: int = conn.execute("SELECT " + " + ".join(parts), {"case_id": case_id}).fetchone()[0]
    return total


def check_source(conn: Any, source: ChronologySource) -> list[str]:
    """Problems with a source's SQL against this vault's schema (empty when fine)."""
    try:
        cursor = conn.execute(f"SELECT * FROM ({source.sql}) LIMIT 0")
    except Exception as exc:  # noqa: BLE001 - reported, not handled
        return [f"{source.kind}: {exc}"]
    names = tuple(d[0] for d in cursor.description)
    problems = [] if names == COLUMNS else [f"{source.kind}: columns are {names}, expected {COLUMNS}"]
    if source.count_sql is not None:
        try:
            conn.execute(f"SELECT count(*) FROM ({source.count_sql}) WHERE case_id = 0").fetchone()
        except Exception as exc:  # noqa: BLE001 - reported, not handled
            problems.append(f"{source.kind} (count_sql): {exc}")
    return problems
