"""Benchmark: how long `kam demo seed` takes at each scale, and how big the result is.

Seeds each requested scale into a fresh database and prints one row per scale: accounts, revenue rows,
seconds (``seed_demo`` alone; migrating the empty database is not counted) and database size.

    .venv/bin/python bench/seed_timings.py --scales small,medium,large
    .venv/bin/python bench/seed_timings.py --scales medium --db postgresql://postgres@127.0.0.1/kam_bench

Without ``--db`` every scale gets its own SQLite file in a temporary directory (removed afterwards
unless ``--keep``). With ``--db`` the scales are seeded one after another into that database, each
replacing the previous demo data (pass ``--force`` if it holds real data you mean to lose).
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kam_console.cli import render  # noqa: E402
from kam_console.db import open_database  # noqa: E402
from kam_console.demo import SCALES, seed_demo  # noqa: E402

COLUMNS = ["scale", "backend", "staff", "accounts", "services", "revenue_rows", "rollup_rows", "seconds", "size_mb"]


def _size_bytes(db) -> int:
    with db.engine.connect() as conn:
        if db.is_sqlite:
            # Fold the WAL into the main file so the file size is the database's size.
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
            return Path(db.url.database).stat().st_size
        return int(conn.exec_driver_sql("SELECT pg_database_size(current_database())").scalar())


def run(scales: list[str], url: str | None, *, seed: int, today: dt.date, force: bool, keep: bool) -> list[dict]:
    rows = []
    workdir = Path(tempfile.mkdtemp(prefix="kam-seed-bench-")) if url is None else None
    try:
        for scale in scales:
            target = url or f"sqlite:///{workdir / f'kam-{scale}.sqlite3'}"
            db = open_database(target)
            try:
                result = seed_demo(db, scale=scale, seed=seed, today=today, force=force)
                size = _size_bytes(db)
                rows.append(
                    {
                        "scale": scale,
                        "backend": "SQLite" if db.is_sqlite else "PostgreSQL",
                        "staff": result.staff,
                        "accounts": result.accounts,
                        "services": result.services,
                        "revenue_rows": result.revenue_rows,
                        "rollup_rows": result.rollup_rows,
                        "seconds": f"{result.seconds:.1f}",
                        "size_mb": f"{size / 2**20:.0f}",
                    }
                )
                print(render(rows[-1:], COLUMNS, "csv").splitlines()[-1], file=sys.stderr, flush=True)
            finally:
                db.dispose()
    finally:
        if workdir is not None:
            if keep:
                print(f"databases kept in {workdir}", file=sys.stderr)
            else:
                for path in workdir.iterdir():
                    path.unlink()
                workdir.rmdir()
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scales", default="small,medium", help="comma-separated, of: " + ",".join(SCALES))
    parser.add_argument("--db", metavar="URL", help="seed into this database (default: a temporary SQLite file)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--today", type=dt.date.fromisoformat, default=dt.date.today(), help="YYYY-MM-DD")
    parser.add_argument("--force", action="store_true", help="replace real data in --db")
    parser.add_argument("--keep", action="store_true", help="keep the temporary SQLite files")
    args = parser.parse_args(argv)
    scales = [s.strip() for s in args.scales.split(",") if s.strip()]
    unknown = [s for s in scales if s not in SCALES]
    if unknown:
        parser.error(f"unknown scale(s): {', '.join(unknown)}")
    rows = run(scales, args.db, seed=args.seed, today=args.today, force=args.force, keep=args.keep)
    sys.stdout.write(render(rows, COLUMNS, "table"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
