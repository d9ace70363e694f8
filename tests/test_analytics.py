"""The figures engine against independent computations.

Random staff/account/revenue files are generated here, imported through the CLI, and every figure of
`kam analytics arpu` is compared with figures computed straight from the files (Decimal arithmetic,
no database). Reconciliation, trends, rankings and the distribution are checked on demo data too.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import random
from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal

import pytest
from sqlalchemy import text

from kam_console import analytics
from kam_console.analytics import Filters, add_months
from kam_console.cli import main as kam
from kam_console.errors import NotFound, ValidationError
from kam_console.refdata import regions

TODAY = dt.date(2026, 11, 23)
INDUSTRIES = ["GOV", "FIN", "EDU", "MED", "TRN", "ENE", "MFG", "NET", "TRD", "CUL", "AGR", "CON", "OTH"]
PRODUCTS = ["VOICE", "MOBILE", "INTERNET", "DC", "NEL", "VIDEO", "CLOUD", "OTHER"]


def _q(value: Decimal) -> str:
    return f"{value.quantize(Decimal('0.01'), ROUND_HALF_UP):.2f}"


def make_files(tmp_path, rng: random.Random):
    """Random but valid staff, account and revenue files, and the truth computed from them."""
    cities = [r for r in regions() if r.level == "city"]
    picked = rng.sample(cities, 40)
    staff_rows, accounts, revenue = [], [], []
    for i, c in enumerate(picked):
        staff_rows.append([f"T{i:04d}", f"员工{i}", c.code, "customer_manager", ";".join(rng.sample(INDUSTRIES, 2))])
    staff_rows.append(["TG001", "集团经理", "000000", "customer_manager", "ENE"])
    for i in range(400):
        city = rng.choice(picked)
        level = rng.choices(["city", "provincial", "national"], [6, 3, 1])[0]
        owner = {"city": city.code, "provincial": city.parent_code, "national": "000000"}[level]
        manager = f"T{picked.index(city):04d}" if level == "city" else ("TG001" if level == "national" else "")
        accounts.append(
            dict(
                no=f"R{i:05d}",
                name=f"测试客户{i}有限公司",
                industry=rng.choice(INDUSTRIES),
                level=level,
                owner=owner,
                city=city.code,
                province=city.parent_code,
                manager=manager,
            )
        )
    months = ["2026-08", "2026-09", "2026-10"]
    for a in accounts:
        for product in rng.sample(PRODUCTS, rng.randint(1, 3)):
            for m in months:
                if rng.random() < 0.15:
                    continue
                cents = rng.randint(-5000, 900000) if rng.random() < 0.1 else rng.randint(0, 900000)
                amount = Decimal(cents) / 100
                text_amount = f"{amount:.2f}" if rng.random() < 0.7 else str(amount.normalize())
                revenue.append([m, a["no"], product, text_amount, str(rng.randint(0, 40))])
    paths = {}
    for name, header, rows in (
        ("staff", "employee_no,name,unit_code,position,industry_codes", staff_rows),
        (
            "accounts",
            "customer_no,name,industry_code,level,owner_unit_code,serving_city_code,parent_customer_no,"
            "manager_employee_no",
            [
                [a["no"], a["name"], a["industry"], a["level"], a["owner"], a["city"], "", a["manager"]]
                for a in accounts
            ],
        ),
        ("revenue", "month,customer_no,product_code,revenue,billed_lines", revenue),
    ):
        buf = io.StringIO()
        buf.write(header + "\n")
        csv.writer(buf, lineterminator="\n").writerows(rows)
        path = tmp_path / f"{name}.csv"
        path.write_text(buf.getvalue(), encoding="utf-8")
        paths[name] = str(path)
    return paths, accounts, revenue


def truth(accounts, revenue, month: str, key_of) -> dict[str, tuple[str, int, int, str, str]]:
    """key -> (revenue, lines, accounts, arpu, arpa) as the CLI prints them, from the files alone."""
    by_no = {a["no"]: a for a in accounts}
    rev: dict[str, Decimal] = defaultdict(Decimal)
    lines: dict[str, int] = defaultdict(int)
    per_account: dict[str, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    for m, no, product, amount, n in revenue:
        if m != month:
            continue
        key = key_of(by_no[no], product)
        rev[key] += Decimal(amount)
        lines[key] += int(n)
        per_account[key][no] += Decimal(amount)
    out = {}
    for key in rev:
        accs = sum(1 for v in per_account[key].values() if v > 0)
        arpu = _q(rev[key] / lines[key]) if lines[key] else ""
        arpa = _q(rev[key] / accs) if accs else ""
        out[key] = (_q(rev[key]), lines[key], accs, arpu, arpa)
    return out


def cli_rows(capsys, *args) -> dict[str, tuple]:
    assert kam(list(args)) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    return {
        r["key"]: (r["revenue"], int(r["lines"]), int(r["accounts"]), r["arpu"], r["arpa"])
        for r in rows
        if int(r["lines"]) or r["revenue"] != "0.00" or int(r["accounts"])
    }


@pytest.fixture
def imported(db_url, tmp_path, capsys):
    # The files' months (2026-08 … 2026-10) are in the past, so the CLI's "no future month" check passes.
    paths, accounts, revenue = make_files(tmp_path, random.Random(2026))
    for kind in ("staff", "accounts", "revenue"):
        assert kam(["--db", db_url, "import", kind, paths[kind], "--quiet"]) == 0, capsys.readouterr().err
    capsys.readouterr()
    return db_url, accounts, revenue


@pytest.mark.parametrize("by", ["province", "city", "industry", "product", "level"])
def test_cli_figures_equal_independent_computation(imported, capsys, by):
    db_url, accounts, revenue = imported
    key_of = {
        "province": lambda a, p: a["province"],
        "city": lambda a, p: a["city"],
        "industry": lambda a, p: a["industry"],
        "product": lambda a, p: p,
        "level": lambda a, p: a["level"],
    }[by]
    for month in ("2026-09", "2026-10"):
        got = cli_rows(capsys, "--db", db_url, "analytics", "arpu", "--month", month, "--by", by, "--format", "csv")
        assert got == truth(accounts, revenue, month, key_of)


def test_scoped_and_filtered_figures(imported, capsys):
    db_url, accounts, revenue = imported
    province = accounts[0]["province"]
    got = cli_rows(
        capsys,
        "--db",
        db_url,
        "analytics",
        "arpu",
        "--month",
        "2026-10",
        "--by",
        "city",
        "--unit",
        province,
        "--industry",
        "FIN",
        "--format",
        "csv",
    )
    in_scope = [a for a in accounts if a["province"] == province and a["industry"] == "FIN"]
    assert got == truth(
        in_scope, [r for r in revenue if r[1] in {a["no"] for a in in_scope}], "2026-10", lambda a, p: a["city"]
    )
    got = cli_rows(
        capsys,
        "--db",
        db_url,
        "analytics",
        "arpu",
        "--month",
        "2026-10",
        "--by",
        "province",
        "--product",
        "DC",
        "--level",
        "city",
        "--format",
        "csv",
    )
    city_level = {a["no"] for a in accounts if a["level"] == "city"}
    rows = [r for r in revenue if r[2] == "DC" and r[1] in city_level]
    assert got == truth(accounts, rows, "2026-10", lambda a, p: a["province"])


def test_reimport_changes_no_figure(imported, capsys, tmp_path):
    db_url, accounts, revenue = imported
    before = cli_rows(
        capsys, "--db", db_url, "analytics", "arpu", "--month", "2026-10", "--by", "city", "--format", "csv"
    )
    assert kam(["--db", db_url, "import", "revenue", str(tmp_path / "revenue.csv"), "--quiet"]) == 0
    capsys.readouterr()
    after = cli_rows(
        capsys, "--db", db_url, "analytics", "arpu", "--month", "2026-10", "--by", "city", "--format", "csv"
    )
    assert after == before


def test_broken_file_changes_no_figure(imported, capsys, tmp_path):
    db_url, accounts, revenue = imported
    before = cli_rows(
        capsys, "--db", db_url, "analytics", "arpu", "--month", "2026-10", "--by", "product", "--format", "csv"
    )
    good = (tmp_path / "revenue.csv").read_text(encoding="utf-8").splitlines()
    broken = good[:200] + ["2026-10,R00001,DC,12.345,1"] + good[200:]
    path = tmp_path / "broken.csv"
    path.write_text("\n".join(broken) + "\n", encoding="utf-8")
    assert kam(["--db", db_url, "import", "revenue", str(path), "--quiet"]) == 1
    capsys.readouterr()
    after = cli_rows(
        capsys, "--db", db_url, "analytics", "arpu", "--month", "2026-10", "--by", "product", "--format", "csv"
    )
    assert after == before


# --- on demo data ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    from kam_console.db import open_database
    from kam_console.demo import seed_demo

    path = tmp_path_factory.mktemp("demo") / "demo.sqlite3"
    db = open_database(f"sqlite:///{path}")
    seed_demo(db, scale="small", seed=5, today=TODAY)
    yield db
    db.dispose()


LAST = 202610


def raw_figures(conn, where: str = "1=1", params: dict | None = None) -> tuple[int, int, int]:
    """The same figures from the raw revenue rows, as a hand-written GROUP BY."""
    row = conn.execute(
        text(
            "SELECT COALESCE(SUM(rev), 0), COALESCE(SUM(ln), 0), COALESCE(SUM(CASE WHEN rev > 0 THEN 1 ELSE 0 END), 0) "
            "FROM (SELECT r.account_id, SUM(r.revenue_fen) AS rev, SUM(r.billed_lines) AS ln "
            "      FROM monthly_revenue r JOIN account a ON a.id = r.account_id "
            "      JOIN org_unit c ON c.id = r.serving_city_id "
            f"     WHERE r.month = :m AND {where} GROUP BY r.account_id) t"
        ),
        {"m": LAST, **(params or {})},
    ).one()
    return tuple(int(v) for v in row)


def test_sums_reconcile_on_demo_data(demo):
    with demo.engine.connect() as conn:
        country = analytics.unit_figures(conn, unit="000000", month=LAST)
        provinces = analytics.figures_by(conn, unit="000000", month=LAST, by="province")
        assert len(provinces) == 31
        assert sum(p.revenue_fen for p in provinces) == country.revenue_fen
        assert sum(p.lines for p in provinces) == country.lines
        assert sum(p.accounts for p in provinces) == country.accounts
        assert (country.revenue_fen, country.lines, country.accounts) == raw_figures(conn)
        for p in provinces:
            cities = analytics.figures_by(conn, unit=p.key, month=LAST, by="city")
            assert sum(c.revenue_fen for c in cities) == p.revenue_fen
            assert sum(c.accounts for c in cities) == p.accounts
            assert (p.revenue_fen, p.lines, p.accounts) == raw_figures(conn, "c.path LIKE :p", {"p": f"%/{p.key}/%"})
        industries = analytics.figures_by(conn, unit="000000", month=LAST, by="industry")
        assert sum(i.revenue_fen for i in industries) == country.revenue_fen
        assert sum(i.accounts for i in industries) == country.accounts
        levels = analytics.figures_by(conn, unit="000000", month=LAST, by="level")
        assert sum(i.accounts for i in levels) == country.accounts
        products = analytics.figures_by(conn, unit="000000", month=LAST, by="product")
        assert sum(p.revenue_fen for p in products) == country.revenue_fen
        # A distinct count does not add up across products: one account holds several.
        assert sum(p.accounts for p in products) > country.accounts


def test_trend_mom_and_yoy(demo):
    with demo.engine.connect() as conn:
        points = analytics.trend(conn, unit="440000", first=add_months(LAST, -11), last=LAST)
        assert [p.month for p in points][-1] == LAST and len(points) == 12
        by_month = {p.month: p.figures for p in analytics.trend(conn, unit="440000", first=202411, last=LAST)}
        p = points[-1]
        prev, year = by_month[202609].revenue_fen, by_month[202510].revenue_fen
        assert p.mom_pct == (Decimal(p.figures.revenue_fen - prev) * 100 / prev).quantize(Decimal("0.1"), ROUND_HALF_UP)
        assert p.yoy_pct == (Decimal(p.figures.revenue_fen - year) * 100 / year).quantize(Decimal("0.1"), ROUND_HALF_UP)
        first_ever = analytics.trend(conn, unit="440000", first=202411, last=202411)[0]
        assert first_ever.mom_pct is None and first_ever.yoy_pct is None
        for q in points:
            assert (q.figures.revenue_fen, q.figures.lines, q.figures.accounts) == (
                by_month[q.month].revenue_fen,
                by_month[q.month].lines,
                by_month[q.month].accounts,
            )


def test_top_and_bottom_accounts(demo):
    with demo.engine.connect() as conn:
        top = analytics.top_accounts(conn, unit="440000", month=LAST, n=20)
        assert len(top) == 20
        assert [a.revenue_fen for a in top] == sorted((a.revenue_fen for a in top), reverse=True)
        raw = conn.execute(
            text(
                "SELECT a.customer_no, SUM(r.revenue_fen) FROM monthly_revenue r JOIN account a ON a.id = r.account_id "
                "JOIN org_unit c ON c.id = r.serving_city_id WHERE r.month = :m AND c.path LIKE '%/440000/%' "
                "GROUP BY a.customer_no ORDER BY 2 DESC, a.customer_no LIMIT 20"
            ),
            {"m": LAST},
        ).all()
        assert [a.revenue_fen for a in top] == [int(r[1]) for r in raw]
        bottom = analytics.top_accounts(conn, unit="440000", month=LAST, n=5, bottom=True)
        assert bottom[0].revenue_fen <= top[-1].revenue_fen
        by_arpu = analytics.top_accounts(conn, unit="000000", month=LAST, n=10, by="arpu")
        arpus = [a.arpu for a in by_arpu]
        assert arpus == sorted(arpus, reverse=True) and all(a.lines > 0 for a in by_arpu)
        with pytest.raises(ValidationError):
            analytics.top_accounts(conn, unit="440000", month=LAST, by="colour")


def test_arpa_distribution_counts_every_paying_account(demo):
    with demo.engine.connect() as conn:
        bins = analytics.arpa_distribution(conn, unit="000000", month=LAST, bins=15)
        assert len(bins) == 15
        paying = conn.execute(
            text(
                "SELECT COUNT(*) FROM (SELECT account_id FROM monthly_revenue WHERE month = :m GROUP BY account_id "
                "HAVING SUM(revenue_fen) > 0) t"
            ),
            {"m": LAST},
        ).scalar()
        assert sum(b[2] for b in bins) == paying
        assert all(lo < hi for lo, hi, _ in bins) and bins[0][0] > 0
        assert analytics.arpa_distribution(conn, unit="000000", month=190001) == []


def test_arpa_distribution_with_an_open_top_bin_spreads_the_bulk(demo):
    with demo.engine.connect() as conn:
        plain = analytics.arpa_distribution(conn, unit="000000", month=LAST, bins=20)
        capped = analytics.arpa_distribution(conn, unit="000000", month=LAST, bins=20, upper_quantile=0.95)
        revenues = sorted(
            int(r)
            for r in conn.execute(
                text("SELECT revenue_fen FROM account_rollup WHERE month = :m AND revenue_fen > 0"), {"m": LAST}
            ).scalars()
        )
    assert len(capped) == 20 and sum(b[2] for b in capped) == len(revenues) == sum(b[2] for b in plain)
    edge, top, over = capped[-1]
    assert top == revenues[-1] + 1 and over == sum(1 for r in revenues if r >= edge)
    assert over <= len(revenues) * 0.06  # about the top 5 %
    for lo, hi, count in capped[:-1]:  # equal bins, each counting exactly its accounts
        assert hi - lo == capped[0][1] - capped[0][0]
        assert count == sum(1 for r in revenues if lo <= r < hi)
    # the bulk is no longer crammed into the first bin
    assert capped[0][2] < plain[0][2]
    with demo.engine.connect() as conn, pytest.raises(ValidationError):
        analytics.arpa_distribution(conn, unit="000000", month=LAST, upper_quantile=1.5)


def test_empty_and_degenerate_selections(demo):
    with demo.engine.connect() as conn:
        empty = analytics.unit_figures(conn, unit="000000", month=190001)
        assert (empty.revenue_fen, empty.lines, empty.accounts, empty.arpu, empty.arpa) == (0, 0, 0, None, None)
        assert empty.as_row()["arpu"] == "" and empty.as_row()["arpa"] == ""
        rows = analytics.figures_by(conn, unit="000000", month=190001, by="province")
        assert len(rows) == 31 and all(r.revenue_fen == 0 for r in rows)
        with pytest.raises(NotFound):
            analytics.unit_figures(conn, unit="999999", month=LAST)
        with pytest.raises(NotFound):
            analytics.unit_figures(conn, unit="000000", month=LAST, filters=Filters(industry="XYZ"))
        with pytest.raises(ValidationError):
            analytics.figures_by(conn, unit="000000", month=LAST, by="weather")


def test_rebuild_from_raw_rows_restores_rollups(demo, capsys):
    url = demo.url.render_as_string(hide_password=False)
    with demo.engine.connect() as conn:
        before = analytics.figures_by(conn, unit="000000", month=LAST, by="city")
    with demo.engine.begin() as conn:
        conn.execute(text("DELETE FROM revenue_rollup WHERE month = :m"), {"m": LAST})
        conn.execute(text("DELETE FROM account_rollup"))
    assert kam(["--db", url, "analytics", "rebuild"]) == 0
    with demo.engine.connect() as conn:
        assert analytics.figures_by(conn, unit="000000", month=LAST, by="city") == before


def test_trend_and_top_cli(demo, capsys):
    url = demo.url.render_as_string(hide_password=False)
    assert (
        kam(
            [
                "--db",
                url,
                "analytics",
                "trend",
                "--unit",
                "440100",
                "--from",
                "2026-01",
                "--to",
                "2026-10",
                "--format",
                "json",
            ]
        )
        == 0
    )
    rows = json.loads(capsys.readouterr().out)
    assert [r["month"] for r in rows] == [f"2026-{m:02d}" for m in range(1, 11)]
    assert set(rows[0]) == {"month", "revenue", "lines", "accounts", "arpu", "arpa", "mom_pct", "yoy_pct"}
    assert (
        kam(["--db", url, "analytics", "top", "--unit", "440000", "--month", "2026-10", "--n", "3", "--format", "csv"])
        == 0
    )
    top = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert [r["rank"] for r in top] == ["1", "2", "3"]
    assert kam(["--db", url, "analytics", "arpu", "--month", "2026-13", "--by", "city"]) == 2
    assert "YYYY-MM" in capsys.readouterr().err


def test_customers_ranked_by_arpa_group_branches(demo):
    with demo.engine.connect() as conn:
        ranked = analytics.top_accounts(conn, unit="000000", month=LAST, n=None, by="arpa")
        arpas = [c.arpa for c in ranked]
        assert arpas == sorted(arpas, reverse=True)
        # Independently: paying accounts per head account, from the raw rows.
        by_account: dict[int, int] = defaultdict(int)
        for acc_head, acc_rev in conn.execute(
            text(
                "SELECT COALESCE(a.parent_id, a.id), SUM(r.revenue_fen) FROM monthly_revenue r "
                "JOIN account a ON a.id = r.account_id WHERE r.month = :m GROUP BY a.id, a.parent_id"
            ),
            {"m": LAST},
        ):
            by_account[acc_head] += 1 if acc_rev > 0 else 0
        multi = [c for c in ranked if c.accounts > 1]
        assert multi, "demo national accounts have branches"
        assert sum(c.accounts for c in ranked) == sum(by_account.values())
        assert len(ranked) == sum(1 for v in by_account.values() if v > 0)
        assert any("个地市" in c.city for c in multi)
        top = analytics.top_accounts(conn, unit="000000", month=LAST, n=5, by="arpa", bottom=True)
        assert [c.arpa for c in top] == sorted(c.arpa for c in top)
