"""Benchmark: dashboard queries of the figures engine, a month's revenue import, and the raw GROUP BY.

For each requested scale, seeds (or reuses) a database and prints the median time of:
- ARPU by province (the country), by city within a province, by industry (the country);
- a 24-month trend of the country and of a province; top-20 accounts of the country;
- for comparison, the same by-city figures computed by a hand-written GROUP BY over the raw revenue rows;
- the import of one month of revenue (the last month's rows exported to CSV and imported again).

    .venv/bin/python bench/analytics_bench.py --scales medium,large
    .venv/bin/python bench/analytics_bench.py --scales large --db /data/kam-large.sqlite3   # reuse a seeded file

Without ``--db`` a seeded SQLite file per scale is kept under ``bench-out/`` and reused by later runs.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import text  # noqa: E402

from kam_console import analytics  # noqa: E402
from kam_console.cli import render  # noqa: E402
from kam_console.db import open_database  # noqa: E402
from kam_console.importing import import_revenue  # noqa: E402

RAW_BY_CITY = """
SELECT c.code, SUM(t.rev), SUM(t.ln), SUM(CASE WHEN t.rev > 0 THEN 1 ELSE 0 END)
FROM (SELECT r.serving_city_id AS city_id, r.account_id, SUM(r.revenue_fen) AS rev, SUM(r.billed_lines) AS ln
      FROM monthly_revenue r WHERE r.month = :m GROUP BY r.serving_city_id, r.account_id) t
JOIN org_unit c ON c.id = t.city_id
GROUP BY c.code
"""


def median_ms(fn, runs: int) -> float:
    fn()  # warm the cache and the statement cache
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times)


def ensure_seeded(url: str, scale: str):
    from kam_console.demo import demo_setting, seed_demo

    db = open_database(url)
    with db.engine.connect() as conn:
        setting = demo_setting(conn)
    if not setting or setting.get("scale") != scale:
        print(f"seeding {scale} into {db.description} …", file=sys.stderr)
        seed_demo(db, scale=scale, seed=1)
    return db


def last_month(conn) -> int:
    return int(conn.execute(text("SELECT MAX(month) FROM monthly_revenue")).scalar())


def export_month(conn, month: int, path: Path) -> int:
    rows = conn.execute(text(
        "SELECT r.month, a.customer_no, p.code, r.revenue_fen, r.billed_lines FROM monthly_revenue r "
        "JOIN account a ON a.id = r.account_id JOIN product p ON p.id = r.product_id WHERE r.month = :m"),
        {"m": month})
    n = 0
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["month", "customer_no", "product_code", "revenue", "billed_lines"])
        for m, no, product, fen, lines in rows:
            sign = "-" if fen < 0 else ""
            w.writerow([f"{m // 100:04d}-{m % 100:02d}", no, product, f"{sign}{abs(fen) // 100}.{abs(fen) % 100:02d}",
                        lines])
            n += 1
    return n


def bench_scale(url: str, scale: str, runs: int) -> list[dict]:
    db = ensure_seeded(url, scale)
    out = []
    try:
        with db.engine.connect() as conn:
            month = last_month(conn)
            first = analytics.add_months(month, -23)
            cases = {
                "ARPU by province (country)": lambda: analytics.figures_by(conn, unit="000000", month=month,
                                                                           by="province"),
                "ARPU by city (广东)": lambda: analytics.figures_by(conn, unit="440000", month=month, by="city"),
                "ARPU by industry (country)": lambda: analytics.figures_by(conn, unit="000000", month=month,
                                                                           by="industry"),
                "24-month trend (country)": lambda: analytics.trend(conn, unit="000000", first=first, last=month),
                "24-month trend (广东)": lambda: analytics.trend(conn, unit="440000", first=first, last=month),
                "top-20 accounts (country)": lambda: analytics.top_accounts(conn, unit="000000", month=month, n=20),
                "ARPU by city (country)": lambda: analytics.figures_by(conn, unit="000000", month=month, by="city"),
            }
            for name, fn in cases.items():
                out.append({"scale": scale, "measure": name, "median_ms": f"{median_ms(fn, runs):.1f}"})
            engine_city = median_ms(cases["ARPU by city (country)"], runs)
            raw = median_ms(lambda: conn.execute(text(RAW_BY_CITY), {"m": month}).all(), max(3, runs // 3))
            out.append({"scale": scale, "measure": "raw GROUP BY by city (country)", "median_ms": f"{raw:.1f}"})
            speed_up = f"{raw / engine_city:.0f}×"
            out.append({"scale": scale, "measure": "speed-up of the engine over raw", "median_ms": speed_up})
            tmp = tempfile.TemporaryDirectory()
            path = Path(tmp.name) / "month.csv"
            rows = export_month(conn, month, path)
            today = dt.date.today()
            marker = conn.execute(text("SELECT value FROM app_setting WHERE key = 'demo_seed'")).scalar()
            conn.rollback()
            t0 = time.perf_counter()
            with db.engine.begin() as wconn:
                result = import_revenue(wconn, str(path), today=today)
            seconds = time.perf_counter() - t0
        # The import marks the database as holding real data; it re-imported the demo's own month, so
        # mark it as demo data again for the next run.
        with db.engine.begin() as wconn:
            wconn.execute(text("INSERT INTO app_setting (key, value, updated_at) VALUES ('demo_seed', :v, :t)"),
                          {"v": marker, "t": dt.datetime.now(dt.UTC)})
        tmp.cleanup()
        out.append({"scale": scale, "measure": f"import one month ({rows:,} rows, replaces {result.deleted:,})",
                    "median_ms": f"{seconds * 1000:.0f}"})
    finally:
        db.dispose()
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scales", default="medium,large")
    parser.add_argument("--db", help="database URL or SQLite file to use (one scale only)")
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args(argv)
    scales = [s.strip() for s in args.scales.split(",") if s.strip()]
    if args.db and len(scales) != 1:
        parser.error("--db takes one scale")
    rows = []
    for scale in scales:
        if args.db:
            url = args.db
        else:
            folder = ROOT / "bench-out"
            folder.mkdir(exist_ok=True)
            url = f"sqlite:///{folder / f'{scale}.sqlite3'}"
        rows += bench_scale(url, scale, args.runs)
    sys.stdout.write(render(rows, ["scale", "measure", "median_ms"], "table"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
