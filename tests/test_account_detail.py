"""account_detail: one account in full, on a demo data set, on each backend."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import text

from kam_console.errors import NotFound
from kam_console.months import add_months as month_add
from kam_console.months import month_text as month_label
from kam_console.services.account_detail import account_detail

TODAY = dt.date(2026, 11, 23)


@pytest.fixture
def demo_db(db):
    from kam_console.demo import seed_demo

    seed_demo(db, scale="small", seed=1, today=TODAY)
    return db


def national_head(conn) -> int:
    return conn.execute(
        text(
            "SELECT a.id FROM account a JOIN account b ON b.parent_id = a.id WHERE a.level = 'national'"
            " GROUP BY a.id ORDER BY count(*) DESC, a.id LIMIT 1"
        )
    ).scalar_one()


def test_month_arithmetic():
    assert month_add(202601, -1) == 202512
    assert month_add(202512, 1) == 202601
    assert month_add(202611, -23) == 202412
    assert month_label(202511) == "2025-11"


def test_national_head_account_and_branch(demo_db):
    with demo_db.engine.connect() as conn:
        head = national_head(conn)
        d = account_detail(conn, account_id=head)
        children = conn.execute(text("SELECT count(*) FROM account WHERE parent_id = :id"), {"id": head}).scalar()
        assert d.profile.level == "national" and d.profile.level_label == "全国性"
        assert d.profile.status_label and d.profile.owner_unit and d.profile.serving_city and d.profile.industry
        assert d.parent is None and d.siblings == 0
        assert len(d.branches) == children >= 2
        assert len({b.province for b in d.branches}) >= 2  # branches in several provinces
        codes = [
            conn.execute(
                text("SELECT o.code FROM account a JOIN org_unit o ON o.id = a.serving_city_id WHERE a.id = :i"),
                {"i": b.id},
            ).scalar()
            for b in d.branches
        ]
        assert codes == sorted(codes)  # ordered by serving city code
        assert d.manager is not None and d.manager.name and d.manager.employee_no
        assert d.manager_history and d.manager_history[0].valid_to is None
        froms = [h.valid_from for h in d.manager_history]
        assert froms == sorted(froms, reverse=True)

        branch = account_detail(conn, account_id=d.branches[0].id)
        assert branch.parent is not None and branch.parent.id == head
        assert branch.parent.customer_no == d.profile.customer_no
        assert branch.siblings == children - 1
        assert branch.branches == ()


def test_circuit_services_show_both_ends(demo_db):
    with demo_db.engine.connect() as conn:
        account_id = conn.execute(
            text(
                "SELECT s.account_id FROM service s JOIN product p ON p.id = s.product_id"
                " WHERE p.kind = 'circuit' AND s.a_city_id IS NOT NULL AND s.z_city_id IS NOT NULL"
                " ORDER BY s.account_id LIMIT 1"
            )
        ).scalar_one()
        d = account_detail(conn, account_id=account_id)
        count = conn.execute(text("SELECT count(*) FROM service WHERE account_id = :i"), {"i": account_id}).scalar()
        assert len(d.services) == count
        nos = [s.service_no for s in d.services]
        assert nos == sorted(nos)
        circuits = [s for s in d.services if s.a_city and s.z_city]
        assert circuits and all(s.status_label for s in d.services)


def test_revenue_series_matches_raw_revenue(demo_db):
    with demo_db.engine.connect() as conn:
        head = national_head(conn)
        d = account_detail(conn, account_id=head)
        assert len(d.revenue) == 24
        months = [p.month for p in d.revenue]
        assert all(month_add(a, 1) == b for a, b in zip(months, months[1:], strict=False))
        last = conn.execute(
            text("SELECT max(month) FROM monthly_revenue WHERE account_id = :i"), {"i": head}
        ).scalar_one()
        first = month_add(last, -23)
        assert (months[0], months[-1]) == (first, last)
        raw = conn.execute(
            text(
                "SELECT coalesce(sum(revenue_fen), 0) FROM monthly_revenue"
                " WHERE account_id = :i AND month BETWEEN :a AND :b"
            ),
            {"i": head, "a": first, "b": last},
        ).scalar_one()
        assert sum(p.revenue_fen for p in d.revenue) == raw > 0
        assert len(account_detail(conn, account_id=head, months=6).revenue) == 6


def test_account_without_revenue_gives_zero_points(demo_db):
    with demo_db.engine.connect() as conn:
        account_id = conn.execute(
            text(
                "SELECT a.id FROM account a WHERE NOT EXISTS"
                " (SELECT 1 FROM monthly_revenue m WHERE m.account_id = a.id) ORDER BY a.id LIMIT 1"
            )
        ).scalar_one()
        d = account_detail(conn, account_id=account_id)
        assert len(d.revenue) == 24
        assert all(p.revenue_fen == 0 and p.lines == 0 for p in d.revenue)


def test_unknown_account(db):
    with db.engine.connect() as conn, pytest.raises(NotFound):
        account_detail(conn, account_id=987654)


def test_head_account_totals_over_its_branches_for_the_newest_month(demo_db):
    with demo_db.engine.connect() as conn:
        head = national_head(conn)
        d = account_detail(conn, account_id=head)
        newest = conn.execute(text("SELECT max(month) FROM monthly_revenue")).scalar_one()
        total = conn.execute(
            text(
                "SELECT coalesce(sum(m.revenue_fen), 0) FROM monthly_revenue m JOIN account a ON a.id = m.account_id"
                " WHERE m.month = :m AND (a.id = :h OR a.parent_id = :h)"
            ),
            {"m": newest, "h": head},
        ).scalar_one()
        own = conn.execute(
            text("SELECT coalesce(sum(revenue_fen), 0) FROM monthly_revenue WHERE month = :m AND account_id = :h"),
            {"m": newest, "h": head},
        ).scalar_one()
        per_branch = dict(
            conn.execute(
                text(
                    "SELECT m.account_id, sum(m.revenue_fen) FROM monthly_revenue m JOIN account a"
                    " ON a.id = m.account_id WHERE m.month = :m AND a.parent_id = :h GROUP BY m.account_id"
                ),
                {"m": newest, "h": head},
            ).all()
        )
        g = d.group_revenue
        assert g is not None and g.month == newest
        assert g.branches == len(d.branches) >= 2
        assert g.total_fen == total > own > 0 and g.own_fen == own
        assert {b.id: b.revenue_fen for b in d.branches if b.revenue_fen is not None} == per_branch
        assert all(b.revenue_fen is None for b in d.branches if b.id not in per_branch)
        # The series stays the head account's own.
        assert d.revenue[-1].month == newest and d.revenue[-1].revenue_fen == own

        branch = account_detail(conn, account_id=d.branches[0].id)
        assert branch.group_revenue is None  # a branch has no branches of its own
        single = conn.execute(
            text(
                "SELECT a.id FROM account a WHERE a.parent_id IS NULL"
                " AND NOT EXISTS (SELECT 1 FROM account b WHERE b.parent_id = a.id) ORDER BY a.id LIMIT 1"
            )
        ).scalar_one()
        assert account_detail(conn, account_id=single).group_revenue is None


def test_serving_city_is_the_citys_short_name(demo_db):
    with demo_db.engine.connect() as conn:
        head = national_head(conn)
        short, name = conn.execute(
            text(
                "SELECT c.short_name, c.name FROM account a JOIN org_unit c ON c.id = a.serving_city_id WHERE a.id = :i"
            ),
            {"i": head},
        ).one()
        d = account_detail(conn, account_id=head)
    assert d.profile.serving_city == short != name
    assert not d.profile.serving_city.endswith("大客户部")
