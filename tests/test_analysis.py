"""The analysis page's data: equal to `kam analytics` for the same selection, drill-down levels, key
figures with MoM/YoY, comparisons, the product-filter note, bad requests and an empty database."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest

from kam_console.analytics import Filters
from kam_console.cli import main as kam
from kam_console.errors import NotFound, ValidationError
from kam_console.services.analysis import (
    MAX_COMPARED,
    AnalysisRequest,
    compare_candidates,
    load_analysis,
)

TODAY = dt.date(2026, 11, 23)
LAST = 202610


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    from kam_console.db import open_database
    from kam_console.demo import seed_demo

    db = open_database(f"sqlite:///{tmp_path_factory.mktemp('analysis') / 'demo.sqlite3'}")
    seed_demo(db, scale="small", seed=3, today=TODAY)
    yield db
    db.dispose()


def cli(db, capsys, *args) -> list[dict]:
    assert kam(["--db", db.url.render_as_string(hide_password=False), "analytics", *args, "--format", "json"]) == 0
    return json.loads(capsys.readouterr().out)


def money(value) -> str:
    return "" if value is None else f"{value:.2f}"


def pct(value) -> str:
    return "" if value is None else f"{value:.1f}"


def rows(figures) -> list[dict]:
    return [f.as_row() for f in figures]


SELECTIONS = [
    ("000000", Filters()),
    ("440000", Filters()),
    ("440000", Filters(industry="FIN")),
    ("330000", Filters(product="DC")),
    ("000000", Filters(account_level="national")),
]


def _filter_args(filters: Filters) -> list[str]:
    args = []
    if filters.industry:
        args += ["--industry", filters.industry]
    if filters.product:
        args += ["--product", filters.product]
    if filters.account_level:
        args += ["--level", filters.account_level]
    return args


@pytest.mark.parametrize("unit, filters", SELECTIONS)
def test_page_figures_equal_the_cli(demo, capsys, unit, filters):
    with demo.engine.connect() as conn:
        data = load_analysis(conn, AnalysisRequest(unit=unit, month=LAST, filters=filters))
    f = _filter_args(filters)
    assert rows(data.children) == cli(demo, capsys, "arpu", "--month", "2026-10", "--by", "child", "--unit", unit, *f)
    assert rows(data.by_industry) == cli(
        demo, capsys, "arpu", "--month", "2026-10", "--by", "industry", "--unit", unit, *f
    )
    assert rows(data.by_product) == cli(
        demo, capsys, "arpu", "--month", "2026-10", "--by", "product", "--unit", unit, *f
    )
    trend = cli(demo, capsys, "trend", "--unit", unit, "--from", "2024-11", "--to", "2026-10", *f)
    assert len(data.trend) == 24 == len(trend)
    for point, row in zip(data.trend, trend, strict=True):
        got = point.figures.as_row()
        assert (got["key"], got["revenue"], got["lines"], got["accounts"], got["arpu"], got["arpa"]) == (
            row["month"],
            row["revenue"],
            row["lines"],
            row["accounts"],
            row["arpu"],
            row["arpa"],
        )
        assert (pct(point.mom_pct), pct(point.yoy_pct)) == (row["mom_pct"], row["yoy_pct"])
    # the key figures are the last month of the trend
    last = trend[-1]
    tiles = {k.key: k for k in data.key_figures}
    assert money(tiles["revenue"].value) == last["revenue"]
    assert str(tiles["lines"].value) == last["lines"] and str(tiles["accounts"].value) == last["accounts"]
    assert money(tiles["arpu"].value) == last["arpu"] and money(tiles["arpa"].value) == last["arpa"]
    top = cli(
        demo,
        capsys,
        "top",
        "--unit",
        unit,
        "--month",
        "2026-10",
        "--n",
        "20",
        *_filter_args(Filters(filters.industry, None, filters.account_level)),
    )
    assert [(a.customer_no, money(a.revenue)) for a in data.top] == [(r["customer_no"], r["revenue"]) for r in top]
    assert (data.accounts_note is not None) == bool(filters.product)


def test_key_figures_mom_and_yoy_for_every_figure(demo):
    with demo.engine.connect() as conn:
        data = load_analysis(conn, AnalysisRequest(unit="440000", month=LAST))
        before = load_analysis(conn, AnalysisRequest(unit="440000", month=202609))
        year = load_analysis(conn, AnalysisRequest(unit="440000", month=202510))
    now = {k.key: k for k in data.key_figures}
    prev = {k.key: k.value for k in before.key_figures}
    ago = {k.key: k.value for k in year.key_figures}
    assert [k.key for k in data.key_figures] == ["revenue", "lines", "accounts", "arpu", "arpa"]
    for key, tile in now.items():
        expected_mom = ((Decimal(tile.value) - Decimal(prev[key])) * 100 / abs(Decimal(prev[key]))).quantize(
            Decimal("0.1")
        )
        expected_yoy = ((Decimal(tile.value) - Decimal(ago[key])) * 100 / abs(Decimal(ago[key]))).quantize(
            Decimal("0.1")
        )
        assert abs(tile.mom_pct - expected_mom) <= Decimal("0.1"), key  # ratios are compared after rounding
        assert abs(tile.yoy_pct - expected_yoy) <= Decimal("0.1"), key
    assert now["revenue"].mom_pct == data.trend[-1].mom_pct and now["revenue"].yoy_pct == data.trend[-1].yoy_pct


def test_drill_levels_breadcrumb_and_default_comparison(demo):
    with demo.engine.connect() as conn:
        country = load_analysis(conn, AnalysisRequest(unit="000000"))
        province = load_analysis(conn, AnalysisRequest(unit="440000"))
        city = load_analysis(conn, AnalysisRequest(unit="440100"))
    assert country.month == LAST and country.months[-1] == LAST and len(country.months) == 24
    assert country.child_kind == "province" and len(country.children) == 31 == len(country.child_units)
    assert [u.code for u in country.child_units] == [f.key for f in country.children]
    assert province.child_kind == "city" and all(u.level == "city" for u in province.child_units)
    assert [u.code for u in province.breadcrumb] == ["000000", "440000"]
    assert [u.code for u in city.breadcrumb] == ["000000", "440000", "440100"]
    assert city.child_kind == "account" and 0 < len(city.children) <= 30
    assert city.child_account_count >= len(city.children)
    revenues = [f.revenue_fen for f in city.children]
    assert revenues == sorted(revenues, reverse=True)
    assert all(f.key in city.account_ids for f in city.children)
    assert all(a.customer_no in city.account_ids for a in city.top)
    # the comparison starts with the unit and its five biggest children
    assert len(province.compared) == MAX_COMPARED and province.compared[0].unit.code == "440000"
    biggest = sorted(province.children, key=lambda f: -f.revenue_fen)[:5]
    assert [c.unit.code for c in province.compared[1:]] == [f.key for f in biggest]
    assert all(len(c.points) == 24 for c in province.compared)
    assert sum(d[2] for d in city.distribution) == city.child_account_count


def test_explicit_comparison_and_its_limit(demo):
    with demo.engine.connect() as conn:
        data = load_analysis(conn, AnalysisRequest(unit="440100", compare=("440100", "440300", "330100")))
        assert [c.unit.short_name for c in data.compared] == ["广州", "深圳", "杭州"]
        with pytest.raises(ValidationError) as err:
            load_analysis(conn, AnalysisRequest(unit="440000", compare=tuple(f"4401{i:02d}" for i in range(7))))
        assert "最多同时对比 6 个单位" in err.value.zh
        with pytest.raises(NotFound):
            load_analysis(conn, AnalysisRequest(unit="440000", compare=("999999",)))
        with pytest.raises(NotFound):
            load_analysis(conn, AnalysisRequest(unit="999999"))
        with pytest.raises(ValidationError):
            load_analysis(conn, AnalysisRequest(unit="440000", top_by="profit"))
        candidates = [u.code for u in compare_candidates(conn, unit="440100")]
        assert candidates[0] == "440100" and "440300" in candidates and "440000" not in candidates


def test_a_month_without_data_shows_zeros_not_errors(demo):
    with demo.engine.connect() as conn:
        data = load_analysis(conn, AnalysisRequest(unit="440000", month=201001))
    tiles = {k.key: k for k in data.key_figures}
    assert tiles["revenue"].value == 0 and tiles["arpu"].value is None and tiles["revenue"].mom_pct is None
    assert data.top == () and data.distribution == ()


def test_empty_database(db):
    with db.engine.connect() as conn:
        data = load_analysis(conn, AnalysisRequest(unit="000000"))
    assert data.empty and data.months == () and data.key_figures == ()
    assert [u.code for u in data.breadcrumb] == ["000000"]


def test_check_can_abandon_a_selection(demo):
    calls = []

    class Left(Exception):
        pass

    def check():
        calls.append(1)
        if len(calls) == 2:
            raise Left

    with demo.engine.connect() as conn:
        with pytest.raises(Left):
            load_analysis(conn, AnalysisRequest(unit="000000"), check=check)
    assert len(calls) == 2


def test_a_city_is_compared_with_its_biggest_sibling_cities(demo):
    with demo.engine.connect() as conn:
        city = load_analysis(conn, AnalysisRequest(unit="440100"))
        province = load_analysis(conn, AnalysisRequest(unit="440000"))
    siblings = sorted((f for f in province.children if f.key != "440100"), key=lambda f: -f.revenue_fen)[:5]
    assert [c.unit.code for c in city.compared] == ["440100", *[f.key for f in siblings]]
    assert all(c.unit.level == "city" for c in city.compared)
