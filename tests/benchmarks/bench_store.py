"""Case-records store benchmark: prints ONE JSON object on stdout.

    .venv/bin/python tests/benchmarks/bench_store.py --notes 100000 --json

Not a test (pytest collects test_*.py only). Builds a clearly fictional vault with the
demo builder (bulk inserts: by default 2,000 cases, 100,000 notes, one case holding
5,000), then measures, each figure beside the raw SQLCipher query doing the same work on
the same connection in the same run (ENGINEERING.md):

* search_p50_ms: ``case_records.search_notes`` (top 50 with snippets) over typical one-
  to three-word queries. search_raw_p50_ms: the textbook FTS5 query a person would write
  by hand for the same result (``MATCH … ORDER BY rank LIMIT 50`` with ``snippet()`` and
  the joins for reference and date). search_same_sql_raw_p50_ms: the service's own
  statement run directly, so the difference is the service layer's overhead alone.
* open_case_first_page_ms: opening the 5,000-note case as the screen does, until the
  first screenful is ready in the model: a fresh ``ChronologyModel`` (the one the case
  view shows) asks for its first page through the ``BackgroundRunner`` (the store
  thread), the page comes back through the Qt event loop (a ``QApplication``, offscreen),
  the rows are inserted, and every cell of them is read for display, icon and tooltip as
  a view painting them would; warm, median. ..._cold_ms: the same on a freshly opened
  connection (empty page cache, every page decrypted).
  open_case_first_page_service_ms / ..._service_cold_ms: ``case_records.chronology_page``
  alone (first 50 entries and the count), so the difference is the Qt side's cost. The
  raw counterparts run the plain ``notes ⋈ note_revisions … ORDER BY occurred_at DESC
  LIMIT 50`` and a count.
* save_note_p95_ms: ``case_records.record_note`` (validation, revision, search index,
  people, audit event) with ``synchronous=FULL``; raw: the same rows inserted by hand in
  one ``BEGIN IMMEDIATE … COMMIT`` (the triggers still index the text), no audit event.
* rss_mb: resident memory after the measurements, with Qt (a QApplication) and the
  chronology model loaded, the vault open and caches warm; peak_rss_mb: the high-water
  mark, which includes building the vault.

Targets: search <= 30 ms p50 and within 1.3x of raw; first page <= 100 ms; save <= 15 ms
p95; RSS <= 200 MB.

``--cipher-memory-security on`` opens connections with ``PRAGMA cipher_memory_security =
ON`` instead of the ``OFF`` that store/connection.py sets: only to measure what that setting
would cost (docs/security.md explains why the application leaves it off).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
os.environ["CASENOTES_KDF_PROFILE"] = "fast"  # the KDF is not what is measured here
os.environ.setdefault("CASENOTES_POLICY_FILE", os.devnull)
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # the model needs an event loop, not a screen

PASSPHRASE = "benchmark passphrase with several words"
QUERIES = (
    "bruise",
    "school attendance",
    "hungry",
    "knife",
    "food bank",
    "missed appointment",
    "police",
    "self-harming",
    "older boyfriend",
    "head lice",
    "Alder Road",
    "electricity meter credit",
    "Juniper",
    "locks bedroom punishment",
)

# The textbook query: one statement, FTS5 orders by rank and builds each snippet.
NAIVE_SEARCH = (
    "SELECT n.id, n.case_id, c.reference, n.occurred_at, n.category, "
    "snippet(note_search, 0, char(2), char(3), '…', 16) "
    "FROM note_search JOIN notes n ON n.current_revision_id = note_search.rowid "
    "JOIN cases c ON c.id = n.case_id "
    "WHERE note_search MATCH ? ORDER BY rank LIMIT 50"
)
RAW_FIRST_PAGE = (
    "SELECT n.id, n.occurred_at, n.recorded_at, n.category, r.preview, n.marked_kind, r.revision "
    "FROM notes n JOIN note_revisions r ON r.id = n.current_revision_id "
    "WHERE n.case_id = ? ORDER BY n.occurred_at DESC, n.id DESC LIMIT 50"
)
RAW_COUNT = "SELECT count(*) FROM notes WHERE case_id = ?"


def with_memory_security() -> None:
    """Open connections as store/connection.py does, but with cipher_memory_security ON."""
    from sqlcipher3 import dbapi2

    import desktop_app.store.connection as connection

    class Plain(dbapi2.Connection):  # type: ignore[misc]
        def execute(self, sql: str, *args: Any) -> Any:
            if "cipher_memory_security" in sql and "=" in sql:  # the setting, not a read of it
                sql = "PRAGMA cipher_memory_security = ON"
            return super().execute(sql, *args)

    real_connect = dbapi2.connect

    class Module:
        @staticmethod
        def connect(*args: Any, **kwargs: Any) -> Any:
            return real_connect(*args, factory=Plain, **kwargs)

    connection.sqlcipher = Module  # type: ignore[assignment]


def model_first_page_ms(runner: Any, vault: Any, case_id: int) -> float:
    """Open a case's chronology as the case view does and time it until the first
    screenful is ready in the model: fetched on the store thread, delivered through the
    event loop, inserted, and every cell of it read as a view painting it would."""
    from PySide6.QtCore import QEventLoop, Qt

    from desktop_app.ui.models.chronology_model import COLUMNS, ChronologyModel

    roles = (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.DecorationRole, Qt.ItemDataRole.ToolTipRole)
    loop = QEventLoop()
    failures: list[BaseException] = []

    def failed(exc: BaseException) -> None:
        failures.append(exc)
        loop.quit()

    start = time.perf_counter()
    model = ChronologyModel(runner, vault, case_id)
    model.loading_changed.connect(lambda loading: None if loading else loop.quit())
    model.failed.connect(failed)
    model.fetchMore()
    loop.exec()
    if failures:
        raise failures[0]
    for row in range(model.rowCount()):
        for column in range(len(COLUMNS)):
            index = model.index(row, column)
            for role in roles:
                model.data(index, role)
    elapsed = (time.perf_counter() - start) * 1000
    assert model.rowCount() == 50 and model.total > 50, (model.rowCount(), model.total)
    model.deleteLater()
    return elapsed


def ms(fn: Callable[[], Any]) -> float:
    start = time.perf_counter()
    fn()
    return (time.perf_counter() - start) * 1000


def p50(values: list[float]) -> float:
    return round(statistics.median(values), 2)


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return round(ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)], 2)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--notes", type=int, default=100_000)
    parser.add_argument("--cases", type=int, default=2_000)
    parser.add_argument("--largest-case-notes", type=int, default=5_000)
    parser.add_argument("--rounds", type=int, default=10, help="search rounds over all queries")
    parser.add_argument("--saves", type=int, default=100)
    parser.add_argument("--vault", type=Path, help="build here and keep it (or reuse the vault already there)")
    parser.add_argument("--cipher-memory-security", choices=("on", "off"), default="off")
    parser.add_argument("--json", action="store_true", help="(the output is always one JSON object)")
    args = parser.parse_args()

    if args.cipher_memory_security == "on":
        with_memory_security()

    from PySide6.QtWidgets import QApplication

    from desktop_app.domain.records import NoteInput, make_preview
    from desktop_app.services import case_records
    from desktop_app.services.demo_data import build_demo
    from desktop_app.store import chronology, search
    from desktop_app.store.vault import VaultFolder
    from desktop_app.ui.background import BackgroundRunner

    temporary = args.vault is None
    folder_path = Path(tempfile.mkdtemp(prefix="casenotes-bench-")) / "vault" if temporary else args.vault
    result: dict[str, Any] = {}
    try:
        build_s = None
        if not VaultFolder.is_vault(folder_path):
            created = VaultFolder.create(folder_path, PASSPHRASE, owner_name="Benchmark Practitioner (fictional)")
            start = time.perf_counter()
            summary = build_demo(
                created.vault, cases=args.cases, notes=args.notes, largest_case_notes=args.largest_case_notes
            )
            build_s = round(time.perf_counter() - start, 1)
            created.vault.close()
            created.folder.release()
            assert summary.largest_case_id is not None
        folder = VaultFolder.attach(folder_path)
        try:
            vault = folder.unlock(PASSPHRASE)
            conn = vault.conn
            big_case = conn.execute(
                "SELECT case_id FROM notes GROUP BY case_id ORDER BY count(*) DESC LIMIT 1"
            ).fetchone()[0]
            notes_total = conn.execute("SELECT count(*) FROM notes").fetchone()[0]
            big_notes = conn.execute(RAW_COUNT, (big_case,)).fetchone()[0]

            # -- open the big case: cold (fresh connection), then warm -------------------
            chronology.sources()  # the application imports these at start-up, not per case
            vault.close()
            vault = folder.unlock(PASSPHRASE)
            conn = vault.conn
            cold = ms(lambda: case_records.chronology_page(vault, big_case, limit=50))
            vault.close()
            vault = folder.unlock(PASSPHRASE)
            conn = vault.conn
            cold_raw = ms(
                lambda: (
                    conn.execute(RAW_FIRST_PAGE, (big_case,)).fetchall(),
                    conn.execute(RAW_COUNT, (big_case,)).fetchone(),
                )
            )
            page_ms, page_raw_ms = [], []
            for _ in range(30):
                page_ms.append(ms(lambda: case_records.chronology_page(vault, big_case, limit=50)))
                page_raw_ms.append(
                    ms(
                        lambda: (
                            conn.execute(RAW_FIRST_PAGE, (big_case,)).fetchall(),
                            conn.execute(RAW_COUNT, (big_case,)).fetchone(),
                        )
                    )
                )
            first_page = case_records.chronology_page(vault, big_case, limit=50)
            assert len(first_page.entries) == 50 and first_page.total >= big_notes

            # -- the same through the model the case view shows: cold, then warm -------------
            app = QApplication.instance() or QApplication([])
            runner = BackgroundRunner()
            vault.close()
            vault = folder.unlock(PASSPHRASE)
            conn = vault.conn
            model_cold = model_first_page_ms(runner, vault, big_case)
            model_ms = [model_first_page_ms(runner, vault, big_case) for _ in range(30)]
            app.processEvents()  # let the models scheduled for deletion go

            # -- search ----------------------------------------------------------------------
            service, same_sql, naive, matches = [], [], [], []
            for round_ in range(args.rounds + 1):  # the first round warms the cache
                for query in QUERIES:
                    expression = search.fts_expression(query)
                    assert expression is not None
                    sql, params = search.search_sql(expression, limit=50)
                    t_service = ms(lambda q=query: case_records.search_notes(vault, q, limit=50))
                    t_same = ms(lambda s=sql, p=params: conn.execute(s, p).fetchall())
                    t_naive = ms(lambda e=expression: conn.execute(NAIVE_SEARCH, (e,)).fetchall())
                    if round_:
                        service.append(t_service)
                        same_sql.append(t_same)
                        naive.append(t_naive)
                    else:
                        count = conn.execute(
                            "SELECT count(*) FROM note_search WHERE note_search MATCH ?", (expression,)
                        ).fetchone()[0]
                        matches.append(count)
                        hits = case_records.search_notes(vault, query, limit=50)
                        assert [h.note_id for h in hits][:1] or count == 0

            # -- save --------------------------------------------------------------------------
            assert conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
            text = (
                "Fictional benchmark note. Jamie arrived at school this morning tired and hungry; "
                "the class teacher will follow up with Mum by phone after lunch."
            )
            save, save_raw = [], []
            now = "2024-06-01T10:00:00+00:00"

            def service_save(body: str) -> None:
                case_records.record_note(vault, big_case, NoteInput(occurred_at=now, text=body, category="neglect"))

            def raw_save(body: str) -> None:
                conn.execute("BEGIN IMMEDIATE")
                note_id = conn.execute(
                    "INSERT INTO notes (case_id, author, recorded_at, occurred_at, category) VALUES (?, ?, ?, ?, ?)",
                    (big_case, "Raw", now, now, "neglect"),
                ).lastrowid
                revision_id = conn.execute(
                    "INSERT INTO note_revisions (note_id, revision, occurred_at, category, source, author, "
                    "recorded_at, preview, text) VALUES (?, 1, ?, 'neglect', 'observed', 'Raw', ?, ?, ?)",
                    (note_id, now, now, make_preview(body), body),
                ).lastrowid
                conn.execute(
                    "UPDATE notes SET current_revision_id = ?, occurred_at = ?, category = 'neglect' WHERE id = ?",
                    (revision_id, now, note_id),
                )
                conn.execute("COMMIT")

            for i in range(args.saves):
                save.append(ms(lambda b=f"{text} ({i})": service_save(b)))
                save_raw.append(ms(lambda b=f"{text} (raw {i})": raw_save(b)))

            usage = resource.getrusage(resource.RUSAGE_SELF)
            rss = None
            try:
                import psutil

                rss = round(psutil.Process().memory_info().rss / 1024 / 1024, 1)
            except ImportError:
                pass
            memory_security = conn.execute("PRAGMA cipher_memory_security").fetchone()[0]
            versions = (
                conn.execute("SELECT sqlite_version()").fetchone()[0],
                conn.execute("PRAGMA cipher_version").fetchone()[0],
            )
            vault.close()
            runner.shutdown()
        finally:
            folder.release()
        size_mb = sum(p.stat().st_size for p in folder_path.iterdir() if p.is_file()) / 1024 / 1024

        result = {
            "notes": notes_total,
            "cases": args.cases,
            "largest_case_notes": big_notes,
            "search_p50_ms": p50(service),
            "search_raw_p50_ms": p50(naive),
            "search_same_sql_raw_p50_ms": p50(same_sql),
            "search_vs_raw": round(p50(service) / p50(naive), 2),
            "search_p95_ms": p95(service),
            "search_matches_per_query": dict(zip(QUERIES, matches, strict=True)),
            "open_case_first_page_ms": p50(model_ms),
            "open_case_first_page_service_ms": p50(page_ms),
            "open_case_first_page_raw_ms": p50(page_raw_ms),
            "open_case_first_page_cold_ms": round(model_cold, 2),
            "open_case_first_page_service_cold_ms": round(cold, 2),
            "open_case_first_page_cold_raw_ms": round(cold_raw, 2),
            "save_note_p95_ms": p95(save),
            "save_note_raw_p95_ms": p95(save_raw),
            "save_note_p50_ms": p50(save),
            "save_note_raw_p50_ms": p50(save_raw),
            "rss_mb": rss,
            "peak_rss_mb": round(usage.ru_maxrss / 1024, 1),
            "vault_mb": round(size_mb, 1),
            "build_s": build_s,
            "cipher_memory_security": str(memory_security) == "1",
            "sqlite_version": versions[0],
            "sqlcipher_version": versions[1],
            "cpus": os.cpu_count(),
        }
    finally:
        if temporary:
            shutil.rmtree(folder_path.parent, ignore_errors=True)
    json.dump(result, sys.stdout, indent=2)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
