"""A monthly report's frozen figures: equal to `kam analytics` for the same unit and month, JSON-ready,
new and churned accounts on revenue, and months without data refused."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import text

from kam_console.cli import main as kam
from kam_console.errors import ValidationError
from kam_console.reports.figures import accounts_paying, compile_figures


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    from kam_console.db import open_database
    from kam_console.demo import seed_demo

    db = open_database(f"sqlite:///{tmp_path_factory.mktemp('report') / 'demo.sqlite3'}")
    seed_demo(db, scale="small", seed=4, today=dt.date(2026, 11, 23))
    yield db
    db.dispose()


def cli(db, capsys, *args):
    assert kam(["--db", db.url.render_as_string(hide_password=False), "analytics", *args, "--format", "json"]) == 0
    return json.loads(capsys.readouterr().out)


@pytest.mark.parametrize("unit", ["000000", "440000", "440100"])
def test_snapshot_equals_the_cli_and_survives_json(demo, capsys, unit):
    with demo.engine.connect() as conn:
        snap = compile_figures(conn, unit=unit, month=202610)
        paying = accounts_paying(conn, unit=unit, month=202610)
    assert json.loads(json.dumps(snap, ensure_ascii=False)) == snap
    by = "child" if unit != "440100" else None
    if by:
        assert snap["by_child"] == [
            {k: (None if v == "" else v) for k, v in r.items()}
            | {"lines": int(r["lines"]), "accounts": int(r["accounts"])}
            for r in cli(demo, capsys, "arpu", "--month", "2026-10", "--by", "child", "--unit", unit)
        ]
    industry = cli(demo, capsys, "arpu", "--month", "2026-10", "--by", "industry", "--unit", unit)
    assert [(r["key"], r["revenue"]) for r in snap["by_industry"]] == [(r["key"], r["revenue"]) for r in industry]
    trend = cli(demo, capsys, "trend", "--unit", unit, "--from", "2024-11", "--to", "2026-10")
    assert [(p["month"], p["revenue"], p["arpu"] or "") for p in snap["trend"]] == [
        (r["month"], r["revenue"], r["arpu"]) for r in trend
    ]
    tiles = {k["key"]: k for k in snap["key_figures"]}
    assert tiles["revenue"]["value"] == trend[-1]["revenue"] and tiles["accounts"]["value"] == paying
    top = cli(demo, capsys, "top", "--unit", unit, "--month", "2026-10", "--n", "20")
    assert [(a["customer_no"], a["revenue"]) for a in snap["top_accounts"]] == [
        (r["customer_no"], r["revenue"]) for r in top
    ]


def test_new_and_churned_accounts_are_counted_on_revenue(demo):
    with demo.engine.connect() as conn:
        snap = compile_figures(conn, unit="000000", month=202610)

        def paying(month):
            return set(
                conn.execute(
                    text(
                        "SELECT a.customer_no FROM account_rollup r JOIN account a ON a.id = r.account_id"
                        " WHERE r.month = :m AND r.revenue_fen > 0"
                    ),
                    {"m": month},
                ).scalars()
            )

        now, before = paying(202610), paying(202609)
    assert {a["customer_no"] for a in snap["accounts_moved"]["new"]} == now - before
    assert {a["customer_no"] for a in snap["accounts_moved"]["churned"]} == before - now


def test_months_without_data_are_refused(demo, db):
    with demo.engine.connect() as conn:
        with pytest.raises(ValidationError) as err:
            compile_figures(conn, unit="440000", month=202612)
    assert "2026-12 还没有收入数据" in err.value.zh
    with db.engine.connect() as conn:
        with pytest.raises(ValidationError) as err:
            compile_figures(conn, unit="440000", month=202610)
    assert "还没有收入数据" in err.value.zh
