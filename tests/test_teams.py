"""Virtual teams: creating them, dated memberships, coverage and gaps, suggestions from the people already
serving a national account, the shared log, refusals that write nothing — and the visibility a running
membership grants across regions, ending by itself with the membership."""

from __future__ import annotations

import datetime as dt

import pytest
from refusals import assert_refused
from sqlalchemy import select, text

from kam_console.errors import NotFound, ValidationError
from kam_console.models import Account
from kam_console.services.account_edit import AccountInput, create_account
from kam_console.services.sla import BEIJING
from kam_console.services.staff import StaffInput, add_staff
from kam_console.services.teams import (
    TeamNotAllowed,
    add_member,
    add_note,
    close_team,
    cover_accounts,
    create_team,
    end_membership,
    list_teams,
    suggest_members,
    team_detail,
    uncover_account,
)
from kam_console.services.visibility import account_access, visible_accounts, visible_count

NOW = dt.datetime(2026, 11, 23, 10, 0, tzinfo=BEIJING)
TODAY = dt.date(2026, 11, 23)
STAFF = {
    "JTH": ("集团负责人", "000000", "head"),
    "JT1": ("集团客户经理", "000000", "customer_manager"),
    "ZJH": ("浙江负责人", "330000", "head"),
    "GZ1": ("广州客户经理", "440100", "customer_manager"),
    "HZ1": ("杭州客户经理", "330100", "customer_manager"),
    "CD1": ("成都客户经理", "510100", "customer_manager"),
    "SC1": ("四川市场经理", "510000", "market_manager"),
}
# a national head account served in Beijing with branches in Guangzhou, Hangzhou and Chengdu
ACCOUNTS = [
    ("N1", "某能源集团有限公司", "ENE", "national", "000000", "110100", None),
    ("N1-GZ", "某能源集团广州分公司", "ENE", "national", "000000", "440100", "N1"),
    ("N1-HZ", "某能源集团杭州分公司", "ENE", "national", "000000", "330100", "N1"),
    ("N1-CD", "某能源集团成都分公司", "ENE", "national", "000000", "510100", "N1"),
    ("F-HZ", "杭州某银行", "FIN", "city", "330100", "330100", None),
    ("F-CD", "成都某银行", "FIN", "city", "510100", "510100", None),
    ("G-GZ", "广州某物流公司", "TRN", "city", "440100", "440100", None),
]


@pytest.fixture
def ready(db):
    with db.engine.begin() as conn:
        for no, (name, unit, position) in STAFF.items():
            add_staff(
                conn, employee_no=no, data=StaffInput(name, unit, "market_manager" if position == "head" else position)
            )
            if position == "head":
                conn.execute(text("UPDATE staff SET position = 'head' WHERE employee_no = :no"), {"no": no})
        for no, name, industry, level, owner, city, parent in ACCOUNTS:
            create_account(conn, customer_no=no, data=AccountInput(name, industry, level, owner, city, parent))
        ids = dict(conn.execute(select(Account.customer_no, Account.id)).all())
        staff = dict(conn.execute(text("SELECT employee_no, id FROM staff")).all())
        conn.execute(text("UPDATE account SET manager_id = :s WHERE customer_no LIKE 'N1%'"), {"s": staff["JT1"]})
        for account, person in (("N1-HZ", "HZ1"), ("N1-CD", "CD1")):
            conn.execute(
                text("INSERT INTO account_first_contact (account_id, staff_id) VALUES (:a, :s)"),
                {"a": ids[account], "s": staff[person]},
            )
    return db


def account_id(conn, no):
    return conn.execute(select(Account.id).where(Account.customer_no == no)).scalar_one()


def seen(conn, who, on=TODAY):
    ids = conn.execute(visible_accounts(conn, employee_no=who, on=on)).scalars()
    numbers = dict(conn.execute(select(Account.id, Account.customer_no)).all())
    return {numbers[i] for i in ids}


TEAM_TABLES = ("virtual_team", "virtual_team_account", "virtual_team_member", "team_activity")


def refused(db, call, *fragments, error=TeamNotAllowed):
    return assert_refused(
        db, call, ("virtual_team", "virtual_team_account", "virtual_team_member", "team_activity"), fragments, error
    )


def test_a_member_in_one_province_sees_covered_accounts_of_another_until_removed(ready):
    db = ready
    with db.engine.begin() as conn:
        assert seen(conn, "GZ1") == {"N1-GZ", "G-GZ"}  # Guangzhou's own region
        code = create_team(
            conn, name="某能源集团服务团队", kind="account", lead_unit="000000", by="JTH", now=NOW, accounts=["N1"]
        )
        add_member(
            conn, team=code, employee_no="GZ1", role="member", start=TODAY, end=dt.date(2026, 12, 31), by="JTH", now=NOW
        )
        assert seen(conn, "GZ1") == {"N1", "N1-GZ", "N1-HZ", "N1-CD", "G-GZ"}
        access = account_access(conn, employee_no="GZ1", account_id=account_id(conn, "N1-HZ"), on=TODAY)
        assert access.visible and not access.region and access.teams == ("某能源集团服务团队",)
        assert "虚拟团队授权" in access.reason
        assert visible_count(conn, employee_no="GZ1", on=TODAY) == (2, 3)
        # not before the membership starts, and no longer after it ends — by itself
        assert seen(conn, "GZ1", on=dt.date(2026, 11, 22)) == {"N1-GZ", "G-GZ"}
        assert "N1-HZ" in seen(conn, "GZ1", on=dt.date(2026, 12, 31))
        assert seen(conn, "GZ1", on=dt.date(2027, 1, 1)) == {"N1-GZ", "G-GZ"}
        # removed early: the access ends the day after the given end date
        end_membership(conn, team=code, employee_no="GZ1", end=dt.date(2026, 11, 30), by="JTH", now=NOW)
        assert "N1-CD" in seen(conn, "GZ1", on=dt.date(2026, 11, 30))
        assert seen(conn, "GZ1", on=dt.date(2026, 12, 1)) == {"N1-GZ", "G-GZ"}
        later = account_access(conn, employee_no="GZ1", account_id=account_id(conn, "N1-HZ"), on=dt.date(2026, 12, 1))
        assert not later.visible and later.teams == ()
        # the group sees everything anyway; Hangzhou's manager sees Hangzhou's branch without any team
        assert len(seen(conn, "JT1")) == len(ACCOUNTS)
        assert seen(conn, "HZ1") == {"N1-HZ", "F-HZ"}


def test_an_industry_team_grants_the_industry_in_the_lead_units_area(ready):
    db = ready
    with db.engine.begin() as conn:
        code = create_team(
            conn, name="浙江金融行业团队", kind="industry", industry="FIN", lead_unit="330000", by="ZJH", now=NOW
        )
        add_member(conn, team=code, employee_no="CD1", role="expert", start=TODAY, by="ZJH", now=NOW)
        assert "F-HZ" in seen(conn, "CD1")  # Zhejiang's bank, for the Chengdu expert
        assert seen(conn, "CD1") == {"N1-CD", "F-CD", "F-HZ"}
        row = next(r for r in list_teams(conn, on=TODAY) if r.code == code)
        assert (row.kind, row.industry_code, row.members, row.provinces, row.accounts) == ("industry", "FIN", 2, 2, 1)
        close_team(conn, team=code, on=dt.date(2026, 12, 1), by="ZJH", now=NOW)
        assert "F-HZ" in seen(conn, "CD1", on=dt.date(2026, 11, 30))
        assert "F-HZ" not in seen(conn, "CD1", on=dt.date(2026, 12, 1))
        assert [r.code for r in list_teams(conn, on=dt.date(2026, 12, 1))] == []
        assert [r.code for r in list_teams(conn, on=dt.date(2026, 12, 1), include_closed=True)] == [code]


def test_coverage_gaps_suggestions_and_the_log(ready):
    db = ready
    with db.engine.begin() as conn:
        code = create_team(
            conn, name="某能源集团服务团队", kind="account", lead_unit="000000", by="JTH", now=NOW, accounts=["N1"]
        )
        detail = team_detail(conn, team=code, on=TODAY)
        gaps = {c.province_code: [g[0] for g in c.gap_cities] for c in detail.coverage}
        assert gaps == {"110000": ["110100"], "440000": ["440100"], "330000": ["330100"], "510000": ["510100"]}
        assert detail.gaps == 4 and [m.employee_no for m in detail.members] == ["JTH"]
        suggestions = {s.employee_no: s for s in suggest_members(conn, team=code, on=TODAY)}
        assert set(suggestions) == {"JT1", "HZ1", "CD1"}
        assert (suggestions["JT1"].role, suggestions["JT1"].why) == ("member", "负责客户经理")
        assert suggestions["HZ1"].role == "local_contact" and suggestions["HZ1"].cities == ("杭州市大客户部",)
        for s in suggestions.values():
            add_member(conn, team=code, employee_no=s.employee_no, role=s.role, start=TODAY, by="JTH", now=NOW)
        add_note(conn, team=code, text="总部要求下月完成各分公司专线扩容摸底", by="HZ1", now=NOW)
        detail = team_detail(conn, team=code, on=TODAY)
        assert suggest_members(conn, team=code, on=TODAY) == []
    gaps = {c.province_code: [g[0] for g in c.gap_cities] for c in detail.coverage}
    assert gaps == {"110000": ["110100"], "440000": ["440100"], "330000": [], "510000": []}
    assert {m.employee_no: m.role_label for m in detail.members} == {
        "JTH": "团队负责人",
        "JT1": "成员",
        "HZ1": "属地联系人",
        "CD1": "属地联系人",
    }
    assert [a.customer_no for a in detail.accounts] == ["N1", "N1-CD", "N1-GZ", "N1-HZ"]
    assert detail.head_accounts == [("N1", "某能源集团有限公司")]
    kinds = [a.kind for a in detail.activity]
    assert kinds[0] == "note" and kinds[-1] == "created" and kinds.count("joined") == 3
    assert (
        detail.activity[0].text == "总部要求下月完成各分公司专线扩容摸底"
        and detail.activity[0].staff_name == "杭州客户经理"
    )


def test_refusals_say_why_and_write_nothing(ready):
    db = ready
    with db.engine.begin() as conn:
        code = create_team(
            conn, name="某能源集团服务团队", kind="account", lead_unit="000000", by="JTH", now=NOW, accounts=["N1"]
        )
        add_member(conn, team=code, employee_no="HZ1", role="member", start=TODAY, by="JTH", now=NOW)
    refused(
        db,
        lambda c: create_team(c, name="团队", kind="account", lead_unit="000000", by="GZ1", now=NOW, accounts=["N1"]),
        "负责人、管理员或市场经理",
    )
    refused(
        db,
        lambda c: create_team(
            c, name="团队", kind="account", lead_unit="000000", by="JTH", now=NOW, accounts=["N1-GZ"]
        ),
        "总部客户",
        error=ValidationError,
    )
    refused(
        db,
        lambda c: create_team(c, name="团队", kind="account", lead_unit="000000", by="JTH", now=NOW, accounts=["NOPE"]),
        "NOPE",
        error=NotFound,
    )
    refused(
        db,
        lambda c: create_team(
            c, name="某能源集团服务团队", kind="account", lead_unit="000000", by="JTH", now=NOW, accounts=["N1"]
        ),
        "同名",
        error=ValidationError,
    )
    refused(
        db,
        lambda c: create_team(c, name="  ", kind="industry", industry="FIN", lead_unit="000000", by="JTH", now=NOW),
        "名称",
        error=ValidationError,
    )
    refused(
        db,
        lambda c: create_team(c, name="X", kind="industry", lead_unit="000000", by="JTH", now=NOW),
        "行业",
        error=ValidationError,
    )
    refused(
        db,
        lambda c: create_team(c, name="X", kind="club", lead_unit="000000", by="JTH", now=NOW),
        "团队类型",
        error=ValidationError,
    )
    refused(
        db, lambda c: add_member(c, team=code, employee_no="HZ1", role="member", start=TODAY, by="JTH", now=NOW), "重叠"
    )
    refused(
        db,
        lambda c: add_member(c, team=code, employee_no="GZ1", role="boss", start=TODAY, by="JTH", now=NOW),
        "角色",
        error=ValidationError,
    )
    refused(
        db,
        lambda c: add_member(
            c, team=code, employee_no="GZ1", role="member", start=TODAY, end=dt.date(2026, 1, 1), by="JTH", now=NOW
        ),
        "早于",
        error=ValidationError,
    )
    refused(
        db,
        lambda c: add_member(c, team=code, employee_no="GZ1", role="member", start=TODAY, by="HZ1", now=NOW),
        "只有团队负责人",
    )
    refused(
        db, lambda c: end_membership(c, team=code, employee_no="JTH", end=TODAY, by="JTH", now=NOW), "唯一的团队负责人"
    )
    refused(db, lambda c: end_membership(c, team=code, employee_no="GZ1", end=TODAY, by="JTH", now=NOW), "不是")
    refused(db, lambda c: add_note(c, team=code, text="看看", by="GZ1", now=NOW), "不是")
    refused(db, lambda c: add_note(c, team=code, text="   ", by="HZ1", now=NOW), "不能为空", error=ValidationError)
    refused(db, lambda c: uncover_account(c, team=code, account="N1", by="JTH", now=NOW), "至少要覆盖一个客户")
    refused(db, lambda c: team_detail(c, team="VT9999", on=TODAY), "VT9999", error=NotFound)
    with db.engine.begin() as conn:
        assert cover_accounts(conn, team=code, accounts=["N1"], by="JTH", now=NOW) == 0
        close_team(conn, team=code, on=TODAY, by="JTH", now=NOW)
    refused(
        db, lambda c: add_member(c, team=code, employee_no="GZ1", role="member", start=TODAY, by="JTH", now=NOW), "撤销"
    )


def test_the_command_line_lists_and_shows_teams(ready, capsys):
    import json

    from kam_console.cli import main as kam

    url = ready.url.render_as_string(hide_password=False)

    def run(*args):
        code = kam(["--db", url, "team", *args])
        out, err = capsys.readouterr()
        return code, out, err

    code, out, err = run(
        "create",
        "--name",
        "某能源集团服务团队",
        "--kind",
        "account",
        "--accounts",
        "N1",
        "--lead-unit",
        "000000",
        "--as",
        "JTH",
    )
    assert code == 0, err
    team = out.strip()
    assert team.startswith("VT")
    assert run("add-member", team, "--employee", "HZ1", "--role", "local_contact", "--as", "JTH")[0] == 0
    code, _, err = run("add-member", team, "--employee", "GZ1", "--as", "HZ1")
    assert code == 1 and "只有团队负责人" in err and err.count("\n") == 1
    code, _, err = run("add-member", team, "--employee", "GZ1", "--start", "2026/11/01", "--as", "JTH")
    assert code == 2 and "YYYY-MM-DD" in err
    listed = json.loads(run("list", "--format", "json")[1])
    assert [(t["code"], t["kind"], t["accounts"]) for t in listed] == [(team, "account", 4)]
    assert listed[0]["members"] == 2 and listed[0]["provinces"] == 1
    shown = json.loads(run("show", team, "--format", "json")[1])
    assert shown["head_accounts"] == [{"customer_no": "N1", "name": "某能源集团有限公司"}]
    assert {m["employee_no"]: m["role"] for m in shown["members"]} == {"JTH": "lead", "HZ1": "local_contact"}
    gaps = {c["province"]: [g["code"] for g in c["gap_cities"]] for c in shown["coverage"]}
    assert gaps["330000"] == [] and gaps["510000"] == ["510100"]
    assert [a["customer_no"] for a in shown["accounts"]] == ["N1", "N1-CD", "N1-GZ", "N1-HZ"]
    suggested = json.loads(run("suggest", team, "--format", "json")[1])
    assert {s["employee_no"] for s in suggested} == {"JT1", "CD1"}
    code, _, err = run("show", "VT9999")
    assert code == 1 and "VT9999" in err


def test_permissions_asked_up_front_match_what_the_changes_allow(ready):
    from kam_console.services.teams import team_permissions

    db = ready
    with db.engine.begin() as conn:
        code = create_team(
            conn, name="某能源集团服务团队", kind="account", lead_unit="000000", by="JTH", now=NOW, accounts=["N1"]
        )
        add_member(conn, team=code, employee_no="HZ1", role="member", start=TODAY, by="JTH", now=NOW)
        lead = team_permissions(conn, team=code, employee_no="JTH", on=TODAY)
        member = team_permissions(conn, team=code, employee_no="HZ1", on=TODAY)
        outsider = team_permissions(conn, team=code, employee_no="SC1", on=TODAY)
        nobody = team_permissions(conn, team=code, employee_no=None, on=TODAY)
        assert (lead.manage, lead.note) == (True, True)
        assert (member.manage, member.note) == (False, True) and "负责人" in member.why_not
        assert (outsider.manage, outsider.note) == (False, False) and "不是本团队成员" in outsider.why_not
        assert not nobody.manage and "身份" in nobody.why_not
        close_team(conn, team=code, on=TODAY, by="JTH", now=NOW)
        closed = team_permissions(conn, team=code, employee_no="JTH", on=TODAY)
        assert not closed.manage and "撤销" in closed.why_not
        assert list_teams(conn, on=TODAY - dt.timedelta(days=1))[0].head_accounts == ("某能源集团有限公司",)
