"""Users and roles: who may open which logins (administration delegated by level), refusals that write
nothing, and on PostgreSQL a real login role per user whose login ends when the user is disabled."""

from __future__ import annotations

import csv
import io
import uuid

import pytest
from refusals import assert_refused
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from kam_console.cli import main as kam
from kam_console.errors import NotFound, ValidationError
from kam_console.services.staff import StaffInput, add_staff
from kam_console.services.users import UserNotAllowed, add_user, capabilities, disable_user, list_users

STAFF = {
    "JT1": ("集团管理员", "000000", "admin"),
    "JT2": ("集团市场经理", "000000", "market_manager"),
    "GD1": ("广东负责人", "440000", "market_manager"),
    "GD2": ("广东分析员", "440000", "analyst"),
    "GZ1": ("广州负责人", "440100", "market_manager"),
    "GZ2": ("广州客户经理", "440100", "customer_manager"),
    "GZ3": ("广州客户经理二", "440100", "customer_manager"),
    "HZ1": ("杭州客户经理", "330100", "customer_manager"),
    "OLD": ("已离职员工", "440100", "customer_manager"),
}
PASSWORD = "s3cret-pass"


@pytest.fixture
def ready(db):
    suffix = uuid.uuid4().hex[:6]
    names = {key: f"{key.lower()}_{suffix}" for key in ("admin", "gd", "gz", "gzcm", "gzcm2", "hz", "x", "y")}
    with db.engine.begin() as conn:
        for no, (name, unit, position) in STAFF.items():
            add_staff(conn, employee_no=no, data=StaffInput(name, unit, position))
        conn.execute(text("UPDATE staff SET active = false WHERE employee_no = 'OLD'"))
    yield db, names
    if not db.is_sqlite:  # login roles live in the server, not in the test database: drop them
        with db.engine.connect() as conn:
            for name in names.values():
                conn.exec_driver_sql(f'DROP ROLE IF EXISTS "{name}"')
            conn.commit()


def refused(db, call, *fragments, error=UserNotAllowed):
    return assert_refused(db, call, ("app_user",), fragments, error)


def test_administration_is_delegated_by_level(ready):
    db, n = ready
    pw = None if db.is_sqlite else PASSWORD
    with db.engine.begin() as conn:
        admin = add_user(conn, username=n["admin"], employee_no="JT1", role="system_admin", by=None, password=pw)
        assert (admin.role_label, admin.unit_code, admin.created_by) == ("系统管理员", "000000", None)
        add_user(conn, username=n["gd"], employee_no="GD1", role="province_head", by=n["admin"], password=pw)
        add_user(conn, username=n["gz"], employee_no="GZ1", role="city_head", by=n["gd"], password=pw)
        add_user(conn, username=n["gzcm"], employee_no="GZ2", role="customer_manager", by=n["gz"], password=pw)
    # a province head: not outside the province, not a role at or above their own
    refused(
        db,
        lambda c: add_user(c, username=n["x"], employee_no="HZ1", role="customer_manager", by=n["gd"], password=pw),
        "只能管理",
        "广东",
    )
    refused(
        db,
        lambda c: add_user(c, username=n["x"], employee_no="JT2", role="analyst", by=n["gd"], password=pw),
        "只能管理",
    )
    # a city head cannot open a province head; a customer manager cannot manage users at all
    refused(
        db,
        lambda c: add_user(c, username=n["x"], employee_no="GD2", role="analyst", by=n["gz"], password=pw),
        "只能管理",
    )
    refused(
        db,
        lambda c: add_user(c, username=n["x"], employee_no="GZ3", role="city_head", by=n["gz"], password=pw),
        "比自己低",
    )
    refused(
        db,
        lambda c: add_user(c, username=n["x"], employee_no="GZ3", role="analyst", by=n["gzcm"], password=pw),
        "没有管理用户的权限",
    )
    # bad input
    refused(
        db,
        lambda c: add_user(c, username="X y", employee_no="GZ3", role="analyst", by=None, password=pw),
        "用户名",
        error=ValidationError,
    )
    refused(
        db,
        lambda c: add_user(c, username="postgres", employee_no="GZ3", role="analyst", by=None, password=pw),
        "不可用",
        error=ValidationError,
    )
    refused(
        db,
        lambda c: add_user(c, username=n["x"], employee_no="GZ3", role="boss", by=None, password=pw),
        "未知的角色",
        error=ValidationError,
    )
    refused(
        db,
        lambda c: add_user(c, username=n["x"], employee_no="GZ3", role="province_head", by=None, password=pw),
        "省大客户部门",
        error=ValidationError,
    )
    refused(
        db,
        lambda c: add_user(c, username=n["gzcm"], employee_no="GZ3", role="analyst", by=None, password=pw),
        "已被使用",
        error=ValidationError,
    )
    refused(
        db,
        lambda c: add_user(c, username=n["x"], employee_no="GZ2", role="analyst", by=None, password=pw),
        "已有用户",
        error=ValidationError,
    )
    refused(
        db,
        lambda c: add_user(c, username=n["x"], employee_no="OLD", role="analyst", by=None, password=pw),
        "已停用",
        error=ValidationError,
    )
    refused(
        db,
        lambda c: add_user(c, username=n["x"], employee_no="NOPE", role="analyst", by=None, password=pw),
        "NOPE",
        error=NotFound,
    )
    if not db.is_sqlite:
        refused(
            db,
            lambda c: add_user(c, username=n["x"], employee_no="GZ3", role="analyst", by=None, password=None),
            "密码",
            error=ValidationError,
        )
    with db.engine.begin() as conn:
        users = {u.username: u for u in list_users(conn, unit="440000")}
        assert set(users) == {n["gd"], n["gz"], n["gzcm"]}
        refused(db, lambda c: disable_user(c, username=n["gz"], by=n["gz"]), "自己")
        refused(db, lambda c: disable_user(c, username=n["gd"], by=n["gz"]), "只能管理")
        done = disable_user(conn, username=n["gzcm"], by=n["gz"])
        assert not done.active and done.disabled_at is not None
    refused(db, lambda c: disable_user(c, username=n["gzcm"], by=n["gz"]), "已于", error=ValidationError)
    assert capabilities("analyst") == frozenset() and "approve_reports" in capabilities("province_head")
    assert "edit_own_accounts" in capabilities("customer_manager") and "edit_accounts" not in capabilities(
        "customer_manager"
    )


def test_on_postgresql_each_user_is_a_login_that_ends_when_disabled(ready):
    db, n = ready
    if db.is_sqlite:
        pytest.skip("server logins exist on PostgreSQL only; the SQLite file is its own security boundary")
    with db.engine.begin() as conn:
        add_user(conn, username=n["admin"], employee_no="JT1", role="system_admin", by=None, password=PASSWORD)
        add_user(conn, username=n["gz"], employee_no="GZ1", role="city_head", by=n["admin"], password=PASSWORD)
    url = make_url(db.url.render_as_string(hide_password=False)).set(username=n["gz"], password=PASSWORD)
    engine = create_engine(url)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT current_user")).scalar() == n["gz"]
        member = conn.execute(text("SELECT pg_has_role(current_user, 'kam_users', 'member')")).scalar()
        assert member is True
        # not a superuser, not the owner of anything
        assert conn.execute(text("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")).scalar() is False
    engine.dispose()
    with db.engine.begin() as conn:
        disable_user(conn, username=n["gz"], by=n["admin"])
    engine = create_engine(url)
    with pytest.raises(Exception) as info:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    engine.dispose()
    assert "not permitted to log in" in str(info.value) or "password authentication failed" in str(info.value)
    # nothing of the password is kept by the application
    with db.engine.connect() as conn:
        row = conn.execute(text("SELECT * FROM app_user WHERE username = :u"), {"u": n["gz"]}).mappings().one()
    assert PASSWORD not in " ".join(str(v) for v in row.values())


def test_the_command_line(ready, capsys, monkeypatch):
    db, n = ready
    url = db.url.render_as_string(hide_password=False)
    monkeypatch.setenv("KAM_NEW_PASSWORD", PASSWORD)
    assert kam(["--db", url, "user", "add", n["admin"], "--staff", "JT1", "--role", "system_admin"]) == 0
    assert "系统管理员" in capsys.readouterr().out
    code = kam(["--db", url, "user", "add", n["x"], "--staff", "JT2", "--role", "city_head", "--as", n["admin"]])
    err = capsys.readouterr().err
    assert code == 1 and "地市大客户部门" in err and err.count("\n") == 1
    assert kam(["--db", url, "user", "list", "--format", "csv"]) == 0
    listed = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert [(r["username"], r["role"], r["active"]) for r in listed] == [(n["admin"], "system_admin", "true")]
    assert kam(["--db", url, "staff", "list", "--unit", "440100", "--format", "csv"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0] == "employee_no,name,unit_code,position,industry_codes"
    assert [r["employee_no"] for r in csv.DictReader(io.StringIO(out))] == ["GZ1", "GZ2", "GZ3"]  # active only
    assert kam(["--db", url, "staff", "list", "--unit", "440000", "--subtree", "--format", "json"]) == 0
    assert '"GZ3"' in capsys.readouterr().out
    assert kam(["--db", url, "staff", "list", "--unit", "999999"]) == 1 and "999999" in capsys.readouterr().err
