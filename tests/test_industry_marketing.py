"""Industry marketing on a small data set: the industry's figures equal the CLI's for the same unit and month,
the specialists' load is counted right in one query, coverage gaps are found and disappear when a specialist
joins that city; and the industry catalogue: add, rename, retire, restore, delete, every bad change refused
with a clear message and nothing written."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import event, text

from kam_console.cli import main
from kam_console.errors import NotFound, ValidationError
from kam_console.importing.importers import import_revenue
from kam_console.services.account_edit import AccountInput, create_account
from kam_console.services.catalogues import list_industries
from kam_console.services.industry_catalogue import (
    add_industry,
    delete_industry,
    industry_options,
    list_catalogue,
    rename_industry,
    restore_industry,
    retire_industry,
)
from kam_console.services.industry_marketing import (
    IndustryRequest,
    coverage_gaps,
    load_industry_page,
    specialist_loads,
)
from kam_console.services.staff import StaffInput, add_staff, deactivate_staff

OCT, SEP = 202610, 202609
TODAY = dt.date(2026, 11, 23)
# employee: name, unit, position, industries, active
STAFF = {
    "JTH": ("集团负责人", "000000", "head", (), True),
    "JTA": ("集团管理员", "000000", "admin", (), True),
    "JT1": ("集团分析员", "000000", "analyst", (), True),
    "GDH": ("广东负责人", "440000", "head", (), True),
    "GD1": ("广东金融经理", "440000", "customer_manager", ("FIN",), True),
    "GZ1": ("广州金融经理", "440100", "customer_manager", ("FIN", "EDU"), True),
    "GZ2": ("广州经理", "440100", "customer_manager", (), True),
    "SZ1": ("深圳互联网经理", "440300", "customer_manager", ("NET",), True),
    "FS1": ("佛山金融经理", "440600", "market_manager", ("FIN",), False),
    "HZ1": ("杭州金融经理", "330100", "customer_manager", ("FIN",), True),
}
# customer: name, industry, level, owner, serving city, manager, status
ACCOUNTS = {
    "C1": ("广州某银行", "FIN", "city", "440100", "440100", "GZ1", "active"),
    "C2": ("广州某保险公司", "FIN", "city", "440100", "440100", "GZ1", "active"),
    "C3": ("深圳某证券公司", "FIN", "city", "440300", "440300", "SZ1", "active"),
    "C4": ("佛山某农商行", "FIN", "city", "440600", "440600", None, "dormant"),
    "C5": ("广东某省级银行", "FIN", "provincial", "440000", "440100", "GD1", "active"),
    "C6": ("杭州某银行", "FIN", "city", "330100", "330100", "HZ1", "active"),
    "C7": ("深圳某物流公司", "TRN", "city", "440300", "440300", "SZ1", "active"),
    "C8": ("广州某物流公司", "TRN", "city", "440100", "440100", "GZ1", "active"),
    "C9": ("珠海某信托公司", "FIN", "city", "440400", "440400", None, "churned"),
}
REVENUE = [
    "2026-09,C1,INTERNET,10000.00,2",
    "2026-09,C3,DC,5000.00,1",
    "2026-09,C6,VOICE,2000.00,4",
    "2026-10,C1,INTERNET,12000.50,3",
    "2026-10,C1,VOICE,500.00,10",
    "2026-10,C2,VOICE,3000.25,5",
    "2026-10,C3,DC,5000.00,1",
    "2026-10,C4,CLOUD,800.00,1",
    "2026-10,C5,DC,20000.00,2",
    "2026-10,C6,VOICE,2500.00,4",
    "2026-10,C7,INTERNET,9000.00,3",
    "2026-10,C8,INTERNET,7000.00,2",
    "2026-09,C9,VOICE,100.00,1",
]


def build(db, tmp_path) -> None:
    """The data set above, with revenue imported (and rollups rebuilt) as a billing extract would be."""
    with db.engine.begin() as conn:
        for no, (name, unit, position, industries, _active) in STAFF.items():
            start = "market_manager" if position == "head" else position
            add_staff(conn, employee_no=no, data=StaffInput(name, unit, start, industries))
            if position == "head":  # heads are appointed with the upper unit's approval; set directly here
                conn.execute(text("UPDATE staff SET position = 'head' WHERE employee_no = :no"), {"no": no})
        for no, (name, industry, level, owner, city, manager, status) in ACCOUNTS.items():
            create_account(
                conn,
                customer_no=no,
                data=AccountInput(name, industry, level, owner, city, status=status),
                manager=manager,
                today=TODAY,
            )
        for no, (*_rest, active) in STAFF.items():
            if not active:
                deactivate_staff(conn, employee_no=no, today=TODAY)
        path = tmp_path / "revenue.csv"
        path.write_text("month,customer_no,product_code,revenue,billed_lines\n" + "\n".join(REVENUE) + "\n")
        import_revenue(conn, str(path), today=TODAY)


@pytest.fixture
def ready(db, tmp_path):
    build(db, tmp_path)
    return db


def cli_json(capsys, db_url: str, *args: str):
    capsys.readouterr()
    assert main(["--db", db_url, *args]) == 0, capsys.readouterr().err
    return json.loads(capsys.readouterr().out)


# --- figures ----------------------------------------------------------------------------------------


def arpu(capsys, db_url: str, unit: str, by: str):
    args = ["analytics", "arpu", "--month", "2026-10", "--by", by, "--industry", "FIN", "--unit", unit]
    return cli_json(capsys, db_url, *args, "--format", "json")


@pytest.mark.parametrize("unit", ["000000", "440000", "440100"])
def test_figures_equal_the_cli_by_child_with_the_industry(ready, db_url, capsys, unit):
    with ready.engine.connect() as conn:
        data = load_industry_page(conn, IndustryRequest(unit=unit, industry="FIN"))
    assert data.month == OCT  # the newest month with revenue
    assert [f.as_row() for f in data.regions] == arpu(capsys, db_url, unit, "child")
    assert data.region_kind == {"000000": "province", "440000": "city", "440100": "account"}[unit]
    # the key figures are the unit's own row of the same engine
    (total,) = arpu(capsys, db_url, unit, "industry")
    revenue, lines, accounts = data.key_figures[:3]
    assert revenue.key == "revenue" and f"{revenue.value:.2f}" == total["revenue"]
    assert (str(lines.value), str(accounts.value)) == (total["lines"], total["accounts"])


def test_the_page_for_guangdong_in_october(ready):
    with ready.engine.connect() as conn:
        data = load_industry_page(conn, IndustryRequest(unit="440000", industry="FIN", month=OCT))
    figures = {f.key: f for f in data.key_figures}
    # C1 (12,500.50) + C2 (3,000.25) + C3 (5,000) + C4 (800) + C5 (20,000): every FIN row served in 广东
    assert str(figures["revenue"].value) == "41300.75"
    assert figures["lines"].value == 3 + 10 + 5 + 1 + 1 + 2
    assert figures["accounts"].value == 5
    assert str(figures["arpa"].value) == "8260.15"
    assert figures["revenue"].mom_pct is not None  # September had FIN revenue in 广东 too
    by_city = {f.key: f for f in data.regions}
    assert by_city["440100"].revenue_fen == 3_550_075 and by_city["440300"].revenue_fen == 500_000
    assert sum(f.revenue_fen for f in data.regions) == 4_130_075  # the cities add up to the province
    assert len(data.trend) == 24 and data.trend[-1].month == OCT
    levels = {c.level: c.accounts for c in data.accounts_by_level}
    assert levels == {"national": 0, "provincial": 1, "city": 4}  # C9 churned, C7/C8 another industry
    assert [a.customer_no for a in data.top] == ["C5", "C1", "C3", "C2", "C4"]
    assert set(data.account_ids) == {"C1", "C2", "C3", "C4", "C5"}
    assert data.industry.name == "金融" and [o.code for o in data.industries][:2] == ["GOV", "FIN"]


def test_an_empty_database_and_an_unknown_industry(db):
    with db.engine.connect() as conn:
        data = load_industry_page(conn, IndustryRequest(unit="000000"))
        assert data.empty and data.month is None
        assert data.industry.code == "GOV"  # the first active industry when none is asked for
        with pytest.raises(NotFound, match="没有这个行业代码"):
            load_industry_page(conn, IndustryRequest(unit="000000", industry="XXX"))
        with pytest.raises(NotFound, match="没有代码为"):
            load_industry_page(conn, IndustryRequest(unit="999999", industry="FIN"))


# --- specialists and their load ----------------------------------------------------------------------


def test_specialists_and_their_load(ready):
    with ready.engine.connect() as conn:
        guangdong = specialist_loads(conn, industry="FIN", unit="440000", month=OCT)
        country = specialist_loads(conn, industry="FIN", unit="000000", month=OCT)
        guangzhou = specialist_loads(conn, industry="FIN", unit="440100", month=OCT)
        september = specialist_loads(conn, industry="FIN", unit="440100", month=SEP)
    # the province first, then its cities; FS1 is inactive, SZ1 specialises in NET, HZ1 is in 浙江
    assert [(s.employee_no, s.industry_accounts, s.all_accounts, s.industry_revenue_fen) for s in guangdong] == [
        ("GD1", 1, 1, 2_000_000),
        ("GZ1", 2, 3, 1_250_050 + 300_025),
    ]
    assert guangdong[1].unit_name == "广州" and guangdong[1].position_label == "客户经理"
    assert [s.employee_no for s in country] == ["HZ1", "GD1", "GZ1"]  # unit code order: 330100 < 440000
    assert country[0].industry_revenue_fen == 250_000
    assert [s.employee_no for s in guangzhou] == ["GZ1"]
    assert september[0].industry_revenue_fen == 1_000_000  # C1 only billed in September


def test_the_load_is_one_query_however_many_specialists(ready):
    statements = []

    def count(*_args):
        statements.append(1)

    event.listen(ready.engine, "before_cursor_execute", count)
    try:
        with ready.engine.connect() as conn:
            conn.execute(text("SELECT 1"))  # the transaction has begun: only the service's queries count
            statements.clear()
            specialist_loads(conn, industry="FIN", unit="000000", month=OCT)
            few = len(statements)
            for i in range(12):
                add_staff(
                    conn, employee_no=f"N{i}", data=StaffInput(f"新人{i}", "440300", "customer_manager", ("FIN",))
                )
            statements.clear()
            loads = specialist_loads(conn, industry="FIN", unit="000000", month=OCT)
            many = len(statements)
            conn.rollback()
    finally:
        event.remove(ready.engine, "before_cursor_execute", count)
    assert len(loads) == 15
    assert many == few <= 3  # the industry, the unit, and one query for every specialist's load


# --- coverage -------------------------------------------------------------------------------------------


def test_gaps_are_found_and_close_when_a_specialist_joins_that_city(ready):
    with ready.engine.connect() as conn:
        coverage = coverage_gaps(conn, industry="FIN", unit="440000", month=OCT)
    # 广州 has GZ1; 深圳's manager specialises in another industry; 佛山's specialist is inactive; the
    # province's own specialist (GD1) does not cover a city; 珠海's only FIN account has churned
    assert [(g.code, g.name, g.accounts, g.revenue_fen) for g in coverage.gaps] == [
        ("440300", "深圳", 1, 500_000),
        ("440600", "佛山", 1, 80_000),
    ]
    assert (coverage.cities_with_accounts, coverage.covered_cities) == (3, 1)
    (guangdong,) = coverage.provinces
    assert (guangdong.province_specialists, guangdong.city_specialists, guangdong.uncovered_cities) == (1, 1, 2)
    assert guangdong.uncovered_accounts == 2 and guangdong.uncovered_revenue_fen == 580_000
    assert guangdong.is_gap

    with ready.engine.connect() as conn:
        country = coverage_gaps(conn, industry="FIN", unit="000000", month=OCT)
    assert [g.code for g in country.gaps] == ["440300", "440600"]
    provinces = {p.code: p for p in country.provinces}
    assert set(provinces) == {"330000", "440000"}
    # 浙江: its one city is covered, but the provincial department has no FIN specialist — still listed
    assert provinces["330000"].uncovered_cities == 0 and provinces["330000"].province_specialists == 0
    assert provinces["330000"].is_gap

    with ready.engine.begin() as conn:
        add_staff(conn, employee_no="SZ2", data=StaffInput("深圳金融经理", "440300", "customer_manager", ("FIN",)))
    with ready.engine.connect() as conn:
        after = coverage_gaps(conn, industry="FIN", unit="440000", month=OCT)
        city = coverage_gaps(conn, industry="FIN", unit="440300", month=OCT)
    assert [g.code for g in after.gaps] == ["440600"]
    assert after.provinces[0].city_specialists == 2
    assert city.gaps == () and city.cities_with_accounts == 1


def test_a_specialist_in_a_county_branch_covers_its_city(ready):
    with ready.engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO org_unit (code, name, short_name, level, parent_id, path, active) "
                "SELECT '440604', '禅城分部', '禅城', 'county', id, path || '/440604', true FROM org_unit "
                "WHERE code = '440600'"
            )
        )
        add_staff(conn, employee_no="CC1", data=StaffInput("禅城金融经理", "440604", "customer_manager", ("FIN",)))
    with ready.engine.connect() as conn:
        coverage = coverage_gaps(conn, industry="FIN", unit="440000", month=OCT)
    assert [g.code for g in coverage.gaps] == ["440300"]


# --- the catalogue ----------------------------------------------------------------------------------


def catalogue_state(conn):
    rows = conn.execute(text("SELECT id, code, name, sort_order, active FROM industry ORDER BY id")).all()
    return [tuple(r) for r in rows]


def refused(db, call, *fragments, error=ValidationError) -> str:
    with db.engine.connect() as conn:
        before = catalogue_state(conn)
    with pytest.raises(error) as info, db.engine.begin() as conn:
        call(conn)
    for fragment in fragments:
        assert fragment in str(info.value), str(info.value)
    with db.engine.connect() as conn:
        assert catalogue_state(conn) == before
    return str(info.value)


def test_the_catalogue_lists_usage(ready):
    with ready.engine.connect() as conn:
        rows = {u.code: u for u in list_catalogue(conn)}
    assert list(rows)[:3] == ["GOV", "FIN", "EDU"]
    fin = rows["FIN"]
    assert (fin.name, fin.active, fin.accounts, fin.staff) == ("金融", True, 7, 4)  # churned C9 and FS1 count
    assert fin.in_use and fin.other_references > 0  # revenue rollups
    assert rows["EDU"].accounts == 0 and rows["EDU"].staff == 1 and rows["EDU"].in_use
    assert not rows["AGR"].in_use


def test_add_rename_retire_restore_delete(ready):
    db = ready
    with db.engine.begin() as conn:
        added = add_industry(conn, code="SPT", name=" 体育 ", employee_no="JTH")
    assert (added.code, added.name, added.active, added.in_use) == ("SPT", "体育", True, False)
    with db.engine.connect() as conn:
        codes = [u.code for u in list_catalogue(conn)]
        assert codes[-1] == "SPT"  # at the end of the catalogue
        assert ("SPT", "体育") in list_industries(conn)
    with db.engine.begin() as conn:
        renamed = rename_industry(conn, code="SPT", name="体育健身", employee_no="JTA")
        assert renamed.name == "体育健身"
        assert rename_industry(conn, code="FIN", name="金融", employee_no="JTA").name == "金融"  # unchanged
        assert rename_industry(conn, code="FIN", name="金融保险", employee_no="JTA").name == "金融保险"
    with db.engine.connect() as conn:
        top = load_industry_page(conn, IndustryRequest(unit="440000", industry="FIN")).top
        assert top[0].industry == "金融保险"  # accounts and figures follow the new name
    with db.engine.begin() as conn:
        retired = retire_industry(conn, code="FIN", employee_no="JTH")
    assert not retired.active and retired.accounts == 7
    with db.engine.connect() as conn:
        # no longer offered for new accounts or staff, but still shown with its data and figures
        assert "FIN" not in [c for c, _ in list_industries(conn)]
        options = {o.code: o for o in industry_options(conn)}
        assert not options["FIN"].active and options["FIN"].label == "金融保险（已停用）"
        assert "FIN" not in {o.code for o in industry_options(conn, include_retired=False)}
        data = load_industry_page(conn, IndustryRequest(unit="440000", industry="FIN"))
        assert str(data.key_figures[0].value) == "41300.75" and not data.industry.active
        assert load_industry_page(conn, IndustryRequest(unit="440000")).industry.code == "GOV"
    with db.engine.begin() as conn:
        assert restore_industry(conn, code="FIN", employee_no="JTH").active
        delete_industry(conn, code="SPT", employee_no="JTH")
    with db.engine.connect() as conn:
        assert "SPT" not in {u.code for u in list_catalogue(conn)}


def test_bad_changes_are_refused_and_write_nothing(ready):
    db = ready
    with db.engine.begin() as conn:
        add_industry(conn, code="SPT", name="体育", employee_no="JTH")
        retire_industry(conn, code="SPT", employee_no="JTH")
    refused(
        db, lambda c: add_industry(c, code="FIN", name="金融科技", employee_no="JTH"), "行业代码 FIN 已被「金融」使用"
    )
    refused(db, lambda c: add_industry(c, code="SPT", name="运动", employee_no="JTH"), "已停用，可以恢复它")
    refused(db, lambda c: add_industry(c, code="FINT", name="金融", employee_no="JTH"), "已有名为「金融」的行业：FIN")
    for bad in ("F", "fin", "FIN-1", "金融", "ABCDEFGHIJK", ""):
        refused(db, lambda c, b=bad: add_industry(c, code=b, name="新行业", employee_no="JTH"), "2 至 10 位大写")
    refused(db, lambda c: add_industry(c, code="NEW", name="   ", employee_no="JTH"), "行业名称不能为空")
    refused(db, lambda c: add_industry(c, code="NEW", name="长" * 41, employee_no="JTH"), "最多 40 个字")
    refused(db, lambda c: rename_industry(c, code="EDU", name="金融", employee_no="JTH"), "已有名为「金融」")
    refused(db, lambda c: rename_industry(c, code="EDU", name="", employee_no="JTH"), "不能为空")
    refused(
        db, lambda c: rename_industry(c, code="XYZ", name="某", employee_no="JTH"), "没有这个行业代码", error=NotFound
    )
    message = refused(db, lambda c: delete_industry(c, code="FIN", employee_no="JTH"), "正在使用，不能删除")
    assert "7 个客户" in message and "4 名员工" in message and "停用" in message
    assert "收入汇总" not in message  # rollups follow the accounts: not worth a mention beside them
    refused(db, lambda c: delete_industry(c, code="EDU", employee_no="JTH"), "1 名员工以它为专长")
    refused(db, lambda c: retire_industry(c, code="SPT", employee_no="JTH"), "已经停用")
    refused(db, lambda c: restore_industry(c, code="FIN", employee_no="JTH"), "未停用")
    # only the group's administrator or head
    for who, unit in (("GDH", "广东省大客户部的负责人"), ("JT1", "集团公司大客户事业部的分析员")):
        message = refused(db, lambda c, w=who: add_industry(c, code="NEW", name="新行业", employee_no=w), unit)
        assert "只有集团公司大客户事业部的管理员或负责人可以修改行业目录" in message
    refused(db, lambda c: retire_industry(c, code="AGR", employee_no="GZ1"), "可以修改行业目录")
    refused(db, lambda c: delete_industry(c, code="SPT", employee_no="FS1"), "已停用")  # FS1 is deactivated
    refused(db, lambda c: add_industry(c, code="NEW", name="新", employee_no="NOBODY"), "没有工号", error=NotFound)


def test_the_last_active_industry_stays(db):
    with db.engine.begin() as conn:
        add_staff(conn, employee_no="JTA", data=StaffInput("集团管理员", "000000", "admin"))
        conn.execute(text("UPDATE industry SET active = false WHERE code <> 'OTH'"))
    refused(db, lambda c: retire_industry(c, code="OTH", employee_no="JTA"), "最后一个在用的行业")


def test_rollups_alone_keep_an_industry_from_being_deleted(ready):
    # an account moved to another industry keeps its old rollup rows until they are rebuilt
    with ready.engine.begin() as conn:
        conn.execute(
            text(
                "UPDATE account SET industry_id = (SELECT id FROM industry WHERE code = 'FIN') "
                "WHERE customer_no IN ('C7', 'C8')"
            )
        )
    refused(ready, lambda c: delete_industry(c, code="TRN", employee_no="JTH"), "收入汇总中仍有该行业的数据")


# --- the command line --------------------------------------------------------------------------------


def test_kam_industry_commands(ready, db_url, capsys):
    rows = cli_json(capsys, db_url, "industry", "list", "--format", "json")
    fin = next(r for r in rows if r["code"] == "FIN")
    assert fin == {"code": "FIN", "name": "金融", "active": True, "accounts": 7, "staff": 4, "in_use": True}
    capsys.readouterr()
    assert main(["--db", db_url, "industry", "add", "SPT", "体育", "--as", "JTH"]) == 0
    assert "已新增 SPT：体育" in capsys.readouterr().out
    assert main(["--db", db_url, "industry", "retire", "SPT", "--as", "JTA"]) == 0
    assert "已停用" in capsys.readouterr().out
    assert main(["--db", db_url, "industry", "delete", "FIN", "--as", "JTH"]) == 1
    assert "请停用它" in capsys.readouterr().err
    assert main(["--db", db_url, "industry", "rename", "SPT", "运动", "--as", "GDH"]) == 1
    assert "只有集团公司大客户事业部的管理员或负责人" in capsys.readouterr().err
    rows = cli_json(capsys, db_url, "industry", "list", "--format", "json")
    assert {"code": "SPT", "name": "体育", "active": False, "accounts": 0, "staff": 0, "in_use": False} in rows


def test_a_retired_industry_stays_where_it_is_held_and_is_not_newly_chosen(ready, tmp_path):
    from kam_console.importing.importers import import_accounts, import_staff
    from kam_console.services.account_edit import load_account, update_account
    from kam_console.services.catalogues import RETIRED_MARK, industry_choices
    from kam_console.services.staff import update_staff

    db = ready
    with db.engine.begin() as conn:
        retire_industry(conn, code="TRN", employee_no="JTH")
        assert "TRN" not in dict(industry_choices(conn))
        assert dict(industry_choices(conn, keep=["TRN"]))["TRN"] == "交通物流" + RETIRED_MARK
        assert dict(industry_choices(conn, include_retired=True))["TRN"].endswith(RETIRED_MARK)
        # an account that has it keeps it through an edit; a new one cannot get it
        state = load_account(
            conn, account_id=conn.execute(text("SELECT id FROM account WHERE customer_no = 'C7'")).scalar()
        )
        update_account(conn, loaded=state, data=state.data)
    with pytest.raises(ValidationError, match="已停用"), db.engine.begin() as conn:
        create_account(conn, customer_no="C10", data=AccountInput("新物流公司", "TRN", "city", "440100", "440100"))
    with pytest.raises(ValidationError, match="已停用"), db.engine.begin() as conn:
        add_staff(conn, employee_no="NEW1", data=StaffInput("新员工", "440100", "customer_manager", ("TRN",)))
    with db.engine.begin() as conn:  # a specialty held before stays when other things change
        conn.execute(
            text(
                "INSERT INTO staff_industry (staff_id, industry_id) SELECT s.id, i.id FROM staff s, industry i"
                " WHERE s.employee_no = 'GZ2' AND i.code = 'TRN'"
            )
        )
        update_staff(conn, employee_no="GZ2", data=StaffInput("广州经理（改）", "440100", "customer_manager", ("TRN",)))
    with pytest.raises(ValidationError, match="已停用"), db.engine.begin() as conn:
        update_staff(
            conn, employee_no="GZ1", data=StaffInput("广州金融经理", "440100", "customer_manager", ("FIN", "TRN"))
        )
    # imports: a new account or a new specialty in a retired industry is a bad row, and nothing is written
    accounts = tmp_path / "accounts.csv"
    accounts.write_text(
        "customer_no,name,industry_code,level,owner_unit_code,serving_city_code,parent_customer_no,manager_employee_no\n"
        "C7,深圳某物流公司,TRN,city,440300,440300,,SZ1\n"
        "C11,新物流公司,TRN,city,440100,440100,,\n"
    )
    staff = tmp_path / "staff.csv"
    staff.write_text(
        "employee_no,name,unit_code,position,industry_codes\nGZ1,广州金融经理,440100,customer_manager,FIN;TRN\n"
    )
    with db.engine.connect() as conn:
        before = conn.execute(text("SELECT count(*) FROM account")).scalar()
    from kam_console.importing.reader import ImportRejected

    for path, fn, bad in (
        (accounts, import_accounts, (3, "industry_code")),
        (staff, import_staff, (2, "industry_codes")),
    ):
        with pytest.raises(ImportRejected) as info, db.engine.begin() as conn:
            fn(conn, str(path))
        assert [(i.line, i.column, i.reason) for i in info.value.issues] == [(*bad, info.value.issues[0].reason)]
        assert "已停用" in info.value.issues[0].reason
    with db.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM account")).scalar() == before
