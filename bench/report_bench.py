"""Benchmark: monthly reports — compiling the figures, the status board, building and printing the PDF.

Seeds (or reuses, under ``bench-out/``) a demo database of the given scale and prints the median time of:
- compiling a report's figures (analytics snapshot + roll-up) for a city, a province and the country;
- submitting a city's report (compile, freeze as JSON, record) — inside a transaction rolled back after;
- the status board of the group (31 provinces) and of a province;
- building the printable document of a submitted report (with the live-vs-frozen comparison);
- rendering the PDF of a city, a province and the country (pages and size too);
- the demo's report step (``seed_reports``), rolled back after.

    .venv/bin/python bench/report_bench.py --scale medium
    .venv/bin/python bench/report_bench.py --db /data/kam-large.sqlite3 --runs 3
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import text  # noqa: E402

from kam_console.cli import render  # noqa: E402
from kam_console.db import open_database  # noqa: E402


def median_ms(fn, runs: int) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def main() -> int:
    from kam_console.demo import demo_setting, seed_demo
    from kam_console.demo.reports import seed_reports
    from kam_console.reports.pdf import render_report_pdf
    from kam_console.services.monthly_reports import (
        compile_report_figures,
        report_document,
        start_report,
        status_board,
        submit_report,
    )

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", default="medium", choices=["small", "medium", "large"])
    parser.add_argument("--db", help="a seeded database to reuse (default: bench-out/<scale>.sqlite3)")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    url = args.db or f"sqlite:///{ROOT / 'bench-out' / (args.scale + '.sqlite3')}"
    (ROOT / "bench-out").mkdir(exist_ok=True)
    db = open_database(url)
    with db.engine.connect() as conn:
        setting = demo_setting(conn)
    if not args.db and (setting is None or setting.get("scale") != args.scale):
        print(f"seeding {args.scale} into {url} …", file=sys.stderr)
        seed_demo(db, scale=args.scale, seed=1, force=True)
        with db.engine.connect() as conn:
            setting = demo_setting(conn)
    today = dt.date.fromisoformat(setting["today"]) if setting and setting.get("today") else dt.date.today()
    now = dt.datetime(today.year, today.month, today.day, 10, tzinfo=dt.UTC)
    rows: list[dict] = []

    def add(what: str, ms: float, note: str = "") -> None:
        rows.append({"what": what, "ms": f"{ms:.0f}", "note": note})
        print(f"{what}: {ms:.0f} ms {note}", file=sys.stderr)

    with db.engine.connect() as conn:
        month = conn.execute(text("SELECT max(month) FROM province_rollup")).scalar()
        city = conn.execute(
            text(
                "SELECT u.code FROM org_unit u JOIN staff s ON s.unit_id = u.id WHERE u.level = 'city' AND s.active"
                " AND NOT EXISTS (SELECT 1 FROM monthly_report r WHERE r.unit_id = u.id AND r.month = :m)"
                " ORDER BY u.code LIMIT 1"
            ),
            {"m": month},
        ).scalar()
        preparer = conn.execute(
            text(
                "SELECT s.employee_no FROM staff s JOIN org_unit u ON u.id = s.unit_id WHERE u.code = :c AND s.active"
            ),
            {"c": city},
        ).scalar()
        for label, unit in (("city", city), ("province", "440000"), ("country", "000000")):
            add(
                f"compile figures ({label} {unit})",
                median_ms(lambda u=unit: compile_report_figures(conn, unit=u, month=month), args.runs),
            )
        add(
            "status board (group, 31 provinces)",
            median_ms(lambda: status_board(conn, unit="000000", month=month, now=now), args.runs),
        )
        add(
            "status board (440000, 21 cities)",
            median_ms(lambda: status_board(conn, unit="440000", month=month, now=now), args.runs),
        )

    def submit_once() -> None:
        with db.engine.connect() as c:
            with c.begin() as tx:
                start_report(c, unit=city, month=month, by=preparer, now=now)
                submit_report(c, unit=city, month=month, by=preparer, now=now)
                tx.rollback()

    add(f"start + submit a city's report ({city})", median_ms(submit_once, args.runs), "(rolled back)")

    with db.engine.connect() as conn:
        submitted = conn.execute(
            text(
                "SELECT u.code FROM monthly_report r JOIN org_unit u ON u.id = r.unit_id"
                " WHERE r.month = :m AND r.status IN ('submitted', 'approved') AND u.level = 'province' LIMIT 1"
            ),
            {"m": month},
        ).scalar()
        if submitted:
            add(
                f"document of a submitted report with live comparison ({submitted})",
                median_ms(lambda: report_document(conn, unit=submitted, month=month, now=now), args.runs),
            )
        for label, unit in (("city", city), ("province", "440000"), ("country", "000000")):
            doc = report_document(conn, unit=unit, month=month, now=now)
            out = io.BytesIO()
            pages = render_report_pdf(doc, out)
            size = len(out.getvalue())

            def again(d=doc) -> None:
                render_report_pdf(d, io.BytesIO())

            add(f"render PDF ({label} {unit})", median_ms(again, args.runs), f"{pages} pages, {size / 1024:.0f} KB")

    with db.engine.connect() as conn:
        with conn.begin() as tx:
            conn.execute(text("DELETE FROM monthly_report_event"))
            conn.execute(text("DELETE FROM monthly_report"))
            started = time.perf_counter()
            counts = seed_reports(conn, scale=args.scale, seed=1, today=today)
            add("demo report step (seed_reports)", (time.perf_counter() - started) * 1000, str(counts))
            tx.rollback()
    db.dispose()
    sys.stdout.write(render(rows, ["what", "ms", "note"], "table"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
