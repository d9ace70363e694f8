"""Benchmark: the accounts list (kam_console/services/accounts.py) and its Qt model at one scale.

Prints the median time of:
- the first page of the country list: default sort, by revenue (descending), by name; the total count;
- paging through the whole country list with pages of 200 (total and per page), default sort and by revenue;
- a search by pinyin initials and by a name substring (first page and count);
- a province (the largest and the smallest) and a city: first page, default sort and by revenue;
- a QTableView over AccountTableModel (offscreen): time to first paint, and time to scroll to the end
  (fetchMore until done, scrollToBottom, processEvents);
and the peak RSS of the process.

    .venv/bin/python bench/account_list_bench.py                  # large: ~200,000 accounts
    .venv/bin/python bench/account_list_bench.py --scale medium --plans

The seeded demo file ``bench-out/<scale>.sqlite3`` (shared with the other benchmarks) is only read. If
its schema is older than this code's head revision, a copy ``bench-out/<scale>.accounts.sqlite3`` is
made and migrated (the list needs revision 0003's indexes), and reused until the original changes.
Without a seeded file at all, one is seeded (large: about two minutes).
"""

from __future__ import annotations

import argparse
import os
import resource
import sqlite3
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from kam_console.cli import render  # noqa: E402
from kam_console.db import Database, current_revision, head_revision, make_engine, open_database  # noqa: E402
from kam_console.services.accounts import AccountQuery, count_accounts, list_accounts  # noqa: E402

PAGE = 200


def median_ms(fn, runs: int) -> float:
    fn()  # warm the OS cache and the statement cache
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times)


# --- the database -------------------------------------------------------------------------------


def prepare(scale: str, db_arg: str | None) -> Database:
    """A database at head holding the demo data of ``scale``, without writing to the shared file."""
    if db_arg:
        return open_database(db_arg)
    folder = ROOT / "bench-out"
    folder.mkdir(exist_ok=True)
    shared = folder / f"{scale}.sqlite3"
    if not shared.exists():
        from kam_console.demo import seed_demo

        print(f"seeding {scale} into {shared} …", file=sys.stderr)
        db = open_database(f"sqlite:///{shared}")
        seed_demo(db, scale=scale, seed=1)
        return db
    head = head_revision()
    if _revision(shared) == head:
        return open_database(f"sqlite:///{shared}", migrate=False)
    work = folder / f"{scale}.accounts.sqlite3"
    if not work.exists() or work.stat().st_mtime < shared.stat().st_mtime:
        print(f"copying {shared.name} to {work.name} …", file=sys.stderr)
        _copy_read_only(shared, work)
    if _revision(work) != head:
        print(f"migrating {work.name} to {head} …", file=sys.stderr)
        _migrate(work)
    return open_database(f"sqlite:///{work}", migrate=False)


def _revision(path: Path) -> str | None:
    engine = make_engine(f"sqlite:///{path}")
    try:
        return current_revision(engine)
    finally:
        engine.dispose()


def _copy_read_only(source: Path, target: Path) -> None:
    target.unlink(missing_ok=True)
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    try:
        dst = sqlite3.connect(target)
        try:
            src.backup(dst)
        finally:
            dst.close()
    finally:
        src.close()


def _migrate(path: Path) -> None:
    # Straight through alembic: open_database() would first back the 1 GB file up.
    from alembic import command

    from kam_console.db import alembic_config

    engine = make_engine(f"sqlite:///{path}")
    try:
        with engine.begin() as conn:
            command.upgrade(alembic_config(conn), "head")
    finally:
        engine.dispose()


# --- the service ----------------------------------------------------------------------------------


def page_through(conn, query: AccountQuery) -> tuple[int, int, float, float]:
    """(rows, pages, total ms, slowest page ms) for reading the whole list."""
    rows = pages = 0
    slowest = 0.0
    after = None
    t0 = time.perf_counter()
    while True:
        t = time.perf_counter()
        page = list_accounts(conn, query, after=after, limit=PAGE)
        slowest = max(slowest, (time.perf_counter() - t) * 1000)
        rows += len(page.rows)
        pages += 1
        after = page.next_cursor
        if after is None:
            return rows, pages, (time.perf_counter() - t0) * 1000, slowest


def bench_service(db: Database, runs: int) -> list[dict]:
    out: list[dict] = []

    def add(measure: str, value: str) -> None:
        out.append({"measure": measure, "value": value})
        print(f"  {measure}: {value}", file=sys.stderr)

    with db.engine.connect() as conn:
        total = count_accounts(conn, AccountQuery())
        add("accounts in the country", f"{total:,}")
        first_pages = {
            "first page, country, default sort (customer_no)": AccountQuery(),
            "first page, country, by revenue (descending)": AccountQuery(sort="revenue", descending=True),
            "first page, country, by name": AccountQuery(sort="name"),
            "first page, country, by manager": AccountQuery(sort="manager"),
            "first page, country, by city": AccountQuery(sort="city"),
        }
        for label, query in first_pages.items():
            add(label, f"{median_ms(lambda q=query: list_accounts(conn, q, limit=PAGE), runs):.2f} ms")
        add("count, country", f"{median_ms(lambda: count_accounts(conn, AccountQuery()), runs):.2f} ms")

        for label, query in {
            "page through the country, default sort": AccountQuery(),
            "page through the country, by revenue (descending)": AccountQuery(sort="revenue", descending=True),
        }.items():
            rows, pages, ms, slowest = page_through(conn, query)
            assert rows == total, (rows, total)
            add(label, f"{ms:.0f} ms for {pages} pages = {ms / pages:.2f} ms/page (slowest {slowest:.1f} ms)")

        for label, term in {
            "search by pinyin initials 'zgsh'": "zgsh",
            "search by name substring '石油'": "石油",
        }.items():
            query = AccountQuery(search=term)
            hits = count_accounts(conn, query)
            page_ms = median_ms(lambda q=query: list_accounts(conn, q, limit=PAGE), runs)
            count_ms = median_ms(lambda q=query: count_accounts(conn, q), max(3, runs // 3))
            add(label, f"first page {page_ms:.1f} ms, count {count_ms:.1f} ms ({hits:,} hits)")

        for name, unit in {
            "广东 (largest province)": "440000",
            "西藏 (smallest)": "540000",
            "广州 (city)": "440100",
        }.items():
            n = count_accounts(conn, AccountQuery(unit=unit))
            for sort_label, query in {
                "default sort": AccountQuery(unit=unit),
                "by revenue desc": AccountQuery(unit=unit, sort="revenue", descending=True),
                "by name": AccountQuery(unit=unit, sort="name"),
            }.items():
                ms = median_ms(lambda q=query: list_accounts(conn, q, limit=PAGE), runs)
                add(f"first page, {name}, {sort_label}", f"{ms:.2f} ms ({n:,} accounts)")
        rows, pages, ms, slowest = page_through(conn, AccountQuery(unit="440000"))
        add("page through 广东, default sort", f"{ms:.0f} ms for {pages} pages = {ms / pages:.2f} ms/page")
        rows, pages, ms, slowest = page_through(conn, AccountQuery(unit="440000", sort="revenue"))
        add("page through 广东, by revenue (ascending)", f"{ms:.0f} ms for {pages} pages (slowest {slowest:.1f} ms)")
    return out


# --- the Qt model under a view ---------------------------------------------------------------------


def bench_view(db: Database) -> list[dict]:
    from PySide6.QtCore import QEvent, QObject, Qt
    from PySide6.QtWidgets import QApplication, QTableView

    from ui.account_table_model import COL_REVENUE, AccountTableModel, database_fetcher

    app = QApplication.instance() or QApplication([])

    class PaintSpy(QObject):
        painted = 0

        def eventFilter(self, obj, event):  # noqa: N802 - Qt's name
            if event.type() == QEvent.Type.Paint:
                self.painted += 1
            return False

    def open_view() -> tuple[QTableView, AccountTableModel, float]:
        """A model and a view over the country list, shown; ms until the first paint with rows."""
        t0 = time.perf_counter()
        model = AccountTableModel(database_fetcher(db, page_size=PAGE))
        view = QTableView()
        spy = PaintSpy(view)
        view.viewport().installEventFilter(spy)
        view.resize(1200, 800)
        view.setModel(model)
        view.setSortingEnabled(True)  # asks the model to sort by column 0: the default order, loaded now
        view.show()
        while not spy.painted or model.rowCount() == 0:
            app.processEvents()
        return view, model, (time.perf_counter() - t0) * 1000

    out = []
    view, model, ms = open_view()
    out.append(
        {"measure": "QTableView: create, show, first paint (first window of the process)", "value": f"{ms:.1f} ms"}
    )
    view.close()
    view, model, ms = open_view()
    out.append({"measure": "QTableView: create, show, first paint (Qt already warm)", "value": f"{ms:.1f} ms"})

    rss_before = current_rss_mb()
    t0 = time.perf_counter()
    while model.canFetchMore():
        model.fetchMore()
    view.scrollToBottom()
    app.processEvents()
    scrolled = (time.perf_counter() - t0) * 1000
    rows = f"{model.rowCount():,} rows"
    out.append({"measure": f"QTableView: fetch to the end and scroll ({rows})", "value": f"{scrolled:.0f} ms"})
    if rss_before is not None:
        grown = current_rss_mb() - rss_before
        out.append({"measure": f"memory the model holds for {rows} (RSS growth)", "value": f"{grown:.0f} MB"})
    t0 = time.perf_counter()
    view.sortByColumn(COL_REVENUE, Qt.SortOrder.DescendingOrder)  # what a click on the header does
    app.processEvents()
    resorted = (time.perf_counter() - t0) * 1000
    out.append(
        {
            "measure": "QTableView: sort by 上月收入 after that (drop rows, first page, repaint)",
            "value": f"{resorted:.1f} ms",
        }
    )
    view.close()
    return out


def current_rss_mb() -> float | None:
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def plans(db: Database) -> None:
    """EXPLAIN QUERY PLAN of the second page of each country-wide sort and of a province's default sort."""
    from sqlalchemy import event

    from kam_console.services import accounts

    with db.engine.connect() as conn:
        seen: list[tuple[str, object]] = []

        def grab(_conn, _cursor, statement, parameters, *_):
            if "page" in statement and not statement.startswith("EXPLAIN"):
                seen.append((statement, parameters))

        event.listen(conn, "before_cursor_execute", grab)
        queries = [AccountQuery(sort=s, descending=d) for s in accounts.SORTS for d in (False, True)]
        queries.append(AccountQuery(unit="440000"))
        for query in queries:
            first = list_accounts(conn, query, limit=PAGE)
            seen.clear()
            list_accounts(conn, query, after=first.next_cursor, limit=PAGE)
            print(f"-- {query.unit} {query.sort} {'desc' if query.descending else 'asc'}, page 2")
            for statement, params in list(seen):
                lines = [r[3] for r in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, params)]
                for line in lines[: next((i for i, s in enumerate(lines) if s.startswith("SCAN page")), len(lines))]:
                    if line.startswith(("SEARCH", "SCAN", "USE")):
                        print(f"   {line}")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", default="large", choices=["small", "medium", "large"])
    parser.add_argument("--db", help="database URL or SQLite file to use as it is (migrated if needed)")
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--plans", action="store_true", help="also print the query plans of the page statements")
    args = parser.parse_args(argv)
    db = prepare(args.scale, args.db)
    try:
        print(f"database: {db.description}", file=sys.stderr)
        rows = bench_service(db, args.runs)
        rows += bench_view(db)
        if args.plans:
            plans(db)
    finally:
        db.dispose()
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    rows.append({"measure": "peak RSS of this process", "value": f"{peak_mb:.0f} MB"})
    sys.stdout.write(render([{"scale": args.scale, **r} for r in rows], ["scale", "measure", "value"], "table"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
