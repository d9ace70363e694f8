"""Tree figures and key figures of a unit."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import text

from kam_console import analytics
from kam_console.demo import seed_demo
from kam_console.services.overview import latest_month, unit_key_figures, unit_tree_figures

TODAY = dt.date(2026, 11, 23)


@pytest.fixture
def seeded(db):
    seed_demo(db, scale="small", seed=9, today=TODAY)
    return db


def test_tree_figures_add_up_and_match_the_engine(seeded):
    with seeded.engine.connect() as conn:
        month = latest_month(conn)
        assert month == 202610
        figures = unit_tree_figures(conn, month=month)
        total_accounts = conn.execute(text("SELECT COUNT(*) FROM account")).scalar()
        assert figures["000000"].accounts == total_accounts
        provinces = analytics.figures_by(conn, unit="000000", month=month, by="province")
        assert sum(figures[p.key].accounts for p in provinces) == total_accounts
        for p in provinces:
            assert figures[p.key].revenue_fen == p.revenue_fen
            cities = analytics.figures_by(conn, unit=p.key, month=month, by="city")
            assert sum(figures[c.key].accounts for c in cities) == figures[p.key].accounts
        gz = conn.execute(
            text("SELECT COUNT(*) FROM account a JOIN org_unit c ON c.id = a.serving_city_id WHERE c.code = '440100'")
        ).scalar()
        assert figures["440100"].accounts == gz


def test_tree_figures_of_an_empty_database(db):
    with db.engine.connect() as conn:
        assert latest_month(conn) is None
        figures = unit_tree_figures(conn, month=None)
    assert len(figures) == 1 + 31 + 337
    assert all(f.accounts == 0 and f.revenue_fen == 0 for f in figures.values())


def test_key_figures_carry_mom_and_yoy(seeded):
    with seeded.engine.connect() as conn:
        key = unit_key_figures(conn, unit="440000", month=202610)
        trend = {p.month: p for p in analytics.trend(conn, unit="440000", first=202510, last=202610)}
    assert key.figures == trend[202610].figures
    assert key.mom_pct == trend[202610].mom_pct and key.yoy_pct == trend[202610].yoy_pct
    assert key.figures.arpu is not None and key.figures.arpa is not None
