"""The responsible-manager rule checked across accounts and national accounts' branches."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import text

from kam_console.demo import seed_demo
from kam_console.errors import NotFound
from kam_console.services.responsibility import KINDS, conflict_report, manager_conflicts


@pytest.fixture
def seeded(db):
    seed_demo(db, scale="small", seed=6, today=dt.date(2026, 11, 23))
    return db


def one(conn, sql, **params):
    return conn.execute(text(sql), params).one()


def test_conflicts_of_each_kind_are_listed_for_the_owning_unit(seeded):
    with seeded.engine.begin() as conn:
        # A city account of 广州 whose manager leaves without handing over.
        left_acc, left_mgr = one(
            conn,
            "SELECT a.id, a.manager_id FROM account a JOIN org_unit o ON o.id = a.owner_unit_id "
            "WHERE o.code = '440100' AND a.manager_id IS NOT NULL AND a.status <> 'churned' "
            "ORDER BY a.id LIMIT 1",
        )
        conn.execute(text("UPDATE staff SET active = :f WHERE id = :s"), {"f": False, "s": left_mgr})
        # A national branch served in 深圳 given to a manager of 杭州.
        branch = one(
            conn,
            "SELECT a.id FROM account a JOIN org_unit c ON c.id = a.serving_city_id "
            "WHERE a.parent_id IS NOT NULL AND c.code = '440300' AND a.status <> 'churned' "
            "ORDER BY a.id LIMIT 1",
        )[0]
        hz = one(
            conn,
            "SELECT s.id FROM staff s JOIN org_unit u ON u.id = s.unit_id WHERE u.code = '330100' "
            "AND s.position = 'customer_manager' ORDER BY s.id LIMIT 1",
        )[0]
        conn.execute(text("UPDATE account SET manager_id = :m WHERE id = :a"), {"m": hz, "a": branch})
        conn.execute(
            text("UPDATE account_manager_history SET staff_id = :m WHERE account_id = :a AND valid_to IS NULL"),
            {"m": hz, "a": branch},
        )
        # A 深圳 city account claimed twice in the manager history.
        twice, twice_mgr = one(
            conn,
            "SELECT a.id, a.manager_id FROM account a JOIN org_unit o ON o.id = a.owner_unit_id "
            "WHERE o.code = '440300' AND a.manager_id IS NOT NULL AND a.status <> 'churned' "
            "ORDER BY a.id LIMIT 1",
        )
        conn.execute(
            text("INSERT INTO account_manager_history (account_id, staff_id, valid_from) VALUES (:a, :s, :d)"),
            {"a": twice, "s": twice_mgr, "d": dt.date(2026, 11, 1)},
        )
    with seeded.engine.connect() as conn:
        gz = {c.account_id: c for c in manager_conflicts(conn, unit="440100")}
        sz = {c.account_id: c for c in manager_conflicts(conn, unit="440300")}
        gd = {c.account_id: c for c in manager_conflicts(conn, unit="440000")}
        country = manager_conflicts(conn, unit="000000", limit=None)
        unassigned = conn.execute(
            text("SELECT COUNT(*) FROM account WHERE manager_id IS NULL AND status <> 'churned'")
        ).scalar()
    assert gz[left_acc].kind == "manager_left" and "已停用" in gz[left_acc].detail
    assert sz[twice].kind == "claimed_twice"
    assert branch not in sz  # a national branch is owned by the group: the group fixes it
    hit = next(c for c in country if c.account_id == branch)
    assert hit.kind == "manager_elsewhere" and hit.is_branch and "杭州" in hit.detail
    assert left_acc in gd and twice in gd  # a province sees its cities' conflicts
    assert sum(1 for c in country if c.kind == "unassigned") == unassigned
    assert country[0].is_branch  # branches first
    assert {c.label for c in country} <= {
        "未指定负责客户经理",
        "负责客户经理已停用",
        "负责客户经理不在归属单位或服务地市",
        "多人同时登记为负责客户经理",
    }


def test_clean_data_has_no_conflicts_and_unknown_unit(db):
    with db.engine.connect() as conn:
        assert manager_conflicts(conn, unit="000000") == []
        report = conflict_report(conn, unit="440100")
        assert (report.rows, report.total, report.truncated) == ([], 0, False)
        assert report.by_kind == dict.fromkeys(KINDS, 0)
        with pytest.raises(NotFound):
            conflict_report(conn, unit="999999")
        with pytest.raises(NotFound):
            manager_conflicts(conn, unit="999999")


def test_report_counts_every_conflict_by_kind_beyond_the_limit(seeded):
    with seeded.engine.begin() as conn:
        # One of each other kind too, so that the counts by kind are not all in one bucket.
        gone = one(
            conn,
            "SELECT a.manager_id FROM account a JOIN org_unit o ON o.id = a.owner_unit_id WHERE o.level = 'city'"
            " AND a.manager_id IS NOT NULL AND a.status <> 'churned' ORDER BY a.id LIMIT 1",
        )[0]
        conn.execute(text("UPDATE staff SET active = :f WHERE id = :s"), {"f": False, "s": gone})
        twice, twice_mgr = one(
            conn,
            "SELECT a.id, a.manager_id FROM account a WHERE a.manager_id IS NOT NULL AND a.status <> 'churned'"
            " AND a.manager_id <> :s ORDER BY a.id DESC LIMIT 1",
            s=gone,
        )
        conn.execute(
            text("INSERT INTO account_manager_history (account_id, staff_id, valid_from) VALUES (:a, :s, :d)"),
            {"a": twice, "s": twice_mgr, "d": dt.date(2026, 11, 1)},
        )
    with seeded.engine.connect() as conn:
        everything = manager_conflicts(conn, unit="000000", limit=None)
        report = conflict_report(conn, unit="000000", limit=5)
        unassigned = conn.execute(
            text("SELECT COUNT(*) FROM account WHERE manager_id IS NULL AND status <> 'churned'")
        ).scalar()
        left = conn.execute(
            text("SELECT COUNT(*) FROM account WHERE manager_id = :s AND status <> 'churned'"), {"s": gone}
        ).scalar()
        gz = conflict_report(conn, unit="440100", limit=None)
        gz_unassigned = conn.execute(
            text(
                "SELECT COUNT(*) FROM account a JOIN org_unit o ON o.id = a.owner_unit_id WHERE o.code = '440100'"
                " AND a.manager_id IS NULL AND a.status <> 'churned'"
            )
        ).scalar()
    assert len(everything) > 5
    assert report.rows == everything[:5]
    assert report.total == len(everything) and report.truncated
    assert report.by_kind == {k: sum(1 for c in everything if c.kind == k) for k in KINDS}
    assert report.by_kind["unassigned"] == unassigned > 0
    assert report.by_kind["manager_left"] == left > 0
    assert report.by_kind["claimed_twice"] == 1
    assert sum(report.by_kind.values()) == report.total
    # branches first, then by customer number
    keys = [(not c.is_branch, c.customer_no) for c in everything]
    assert keys == sorted(keys)
    assert gz.total == len(gz.rows) and not gz.truncated
    assert gz.by_kind["unassigned"] == gz_unassigned
