"""Imports: every bad row reported, nothing written on any bad row, re-imports change nothing."""

from __future__ import annotations

import datetime as dt

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select, text

from kam_console.cli import main as kam
from kam_console.importing import (
    ImportRejected,
    import_accounts,
    import_revenue,
    import_staff,
)
from kam_console.models import Account, AccountManagerHistory, MonthlyRevenue, RevenueRollup, Staff

TODAY = dt.date(2026, 11, 23)

STAFF = """employee_no,name,unit_code,position,industry_codes
E100,王建国,440100,customer_manager,FIN;EDU
E101,李秀英,440300,customer_manager,GOV
E102,张伟,440000,customer_manager,
E103,刘洋,000000,customer_manager,ENE
E104,陈静,330100,customer_manager,MFG
"""

ACCOUNT_HEADER = (
    "customer_no,name,industry_code,level,owner_unit_code,serving_city_code,parent_customer_no,"
    "manager_employee_no"
)
ACCOUNTS = ACCOUNT_HEADER + """
C200,广州农村商业银行,FIN,city,440100,440100,,E100
C201,深圳市公安局,GOV,city,440300,440300,,E101
C202,广东省交通集团,TRN,provincial,440000,440100,,E102
C210,国家电网广州供电局,ENE,national,000000,440100,C209,E103
C209,国家电网有限公司,ENE,national,000000,110100,,E103
C211,国家电网杭州供电公司,ENE,national,000000,330100,C209,
"""

REVENUE = """month,customer_no,product_code,revenue,billed_lines
2026-09,C200,INTERNET,12345.67,3
2026-09,C200,VOICE,-20.5,0
2026-09,C201,DC,88000,2
2026-09,C210,DC,150000.00,4
2026-09,C211,CLOUD,30000,1
2026-10,C200,INTERNET,12000,3
2026-10,C202,MOBILE,5000.01,40
"""


def write(tmp_path, name: str, content: str, encoding: str = "utf-8") -> str:
    path = tmp_path / name
    path.write_bytes(content.encode(encoding))
    return str(path)


def counts(conn) -> dict[str, int]:
    return {
        model.__tablename__: conn.execute(select(func.count()).select_from(model)).scalar()
        for model in (Staff, Account, MonthlyRevenue, RevenueRollup, AccountManagerHistory)
    }


def dump(conn, table: str) -> list[tuple]:
    return [tuple(r) for r in conn.execute(text(f"SELECT * FROM {table} ORDER BY 1, 2, 3"))]


@pytest.fixture
def loaded(db, tmp_path):
    with db.engine.begin() as conn:
        import_staff(conn, write(tmp_path, "staff.csv", STAFF))
        import_accounts(conn, write(tmp_path, "accounts.csv", ACCOUNTS))
        import_revenue(conn, write(tmp_path, "revenue.csv", REVENUE), today=TODAY)
    return db


def rejected(db, fn, path, **kw) -> ImportRejected:
    with db.engine.connect() as conn:
        before = counts(conn), dump(conn, "monthly_revenue"), dump(conn, "account")
    with pytest.raises(ImportRejected) as err:
        with db.engine.begin() as conn:
            fn(conn, path, **kw)
    with db.engine.connect() as conn:
        assert (counts(conn), dump(conn, "monthly_revenue"), dump(conn, "account")) == before
    return err.value


def test_clean_files_import(loaded):
    with loaded.engine.connect() as conn:
        c = counts(conn)
        assert c["staff"] == 5 and c["account"] == 6 and c["monthly_revenue"] == 7
        row = conn.execute(
            text(
                "SELECT a.name_initials, s.employee_no, p.customer_no FROM account a "
                "JOIN staff s ON s.id = a.manager_id "
                "JOIN account p ON p.id = a.parent_id WHERE a.customer_no = 'C210'"
            )
        ).one()
        assert tuple(row) == ("gjdwgzgdj", "E103", "C209")
        fen = (
            conn.execute(
                text(
                    "SELECT revenue_fen FROM monthly_revenue r JOIN account a ON a.id = r.account_id "
                    "WHERE a.customer_no = 'C200' AND r.month = 202609 ORDER BY revenue_fen"
                )
            )
            .scalars()
            .all()
        )
        assert fen == [-2050, 1234567]
        total = conn.execute(text("SELECT SUM(revenue_fen) FROM revenue_rollup WHERE product_id = 0")).scalar()
        assert total == 1234567 - 2050 + 8800000 + 15000000 + 3000000 + 1200000 + 500001


def test_every_bad_revenue_row_is_reported_and_nothing_changes(loaded, tmp_path):
    bad = """month,customer_no,product_code,revenue,billed_lines
2026-9,C200,INTERNET,1,1
2026-10,C999,INTERNET,1,1
2026-10,C200,TELEGRAM,1,1
2026-10,C201,DC,12.345,1
2026-10,C201,VOICE,abc,1
2026-10,C201,MOBILE,1,-2
2027-01,C201,CLOUD,1,1
2026-10,C202,VIDEO,10,1
2026-10,C202,VIDEO,11,1
2026-10,C200,INTERNET,99,1
"""
    err = rejected(loaded, import_revenue, write(tmp_path, "bad.csv", bad), today=TODAY)
    got = {(i.line, i.column) for i in err.issues}
    assert got == {
        (2, "month"),
        (3, "customer_no"),
        (4, "product_code"),
        (5, "revenue"),
        (6, "revenue"),
        (7, "billed_lines"),
        (8, "month"),
        (10, "customer_no"),
    }
    reasons = {i.line: i.reason for i in err.issues}
    assert "YYYY-MM" in reasons[2] and "未来" in reasons[8] and "两位小数" in reasons[5]
    assert "第 9 行重复" in reasons[10]


@pytest.mark.parametrize(
    "content, reason",
    [
        ("", "空"),
        ("month,customer_no,product_code,revenue,billed_lines\n", "没有数据"),
        ("month,customer,product_code,revenue,billed_lines\n2026-10,C200,VOICE,1,1\n", "缺少列"),
        ("month,customer_no,product_code,revenue,billed_lines,remark\n2026-10,C200,VOICE,1,1,x\n", "多余"),
    ],
)
def test_bad_headers(loaded, tmp_path, content, reason):
    err = rejected(loaded, import_revenue, write(tmp_path, "h.csv", content), today=TODAY)
    assert any(reason in i.reason for i in err.issues)


def test_columns_in_another_order_are_fine(loaded, tmp_path):
    content = "customer_no,month,revenue,product_code,billed_lines\nC200,2026-10,1.00,VOICE,1\n"
    with loaded.engine.begin() as conn:
        result = import_revenue(conn, write(tmp_path, "o.csv", content), today=TODAY)
    assert result.inserted == 1


def test_reimport_is_idempotent_and_replaces_per_month_and_city(loaded, tmp_path):
    path = write(tmp_path, "revenue.csv", REVENUE)
    with loaded.engine.connect() as conn:
        before = dump(conn, "monthly_revenue"), dump(conn, "revenue_rollup")
    with loaded.engine.begin() as conn:
        import_revenue(conn, path, today=TODAY)
    with loaded.engine.connect() as conn:
        assert (dump(conn, "monthly_revenue"), dump(conn, "revenue_rollup")) == before
    # A corrected extract for 2026-09 of 广州 only: 杭州 and 深圳 rows of that month stay.
    fix = "month,customer_no,product_code,revenue,billed_lines\n2026-09,C200,INTERNET,1.00,1\n"
    with loaded.engine.begin() as conn:
        result = import_revenue(conn, write(tmp_path, "fix.csv", fix), today=TODAY)
    assert result.deleted == 3  # C200 ×2 and C210, all served in 广州
    with loaded.engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT a.customer_no, r.product_id, r.revenue_fen FROM monthly_revenue r JOIN account a "
                "ON a.id = r.account_id WHERE r.month = 202609 ORDER BY 1"
            )
        ).all()
    assert [(r[0], r[2]) for r in rows] == [("C200", 100), ("C201", 8800000), ("C211", 3000000)]


def test_scope_removes_absent_accounts_of_the_subtree_only(loaded, tmp_path):
    # 广东's complete extract for 2026-09 lacks C201 (深圳): it goes; 杭州's C211 is untouched.
    extract = "month,customer_no,product_code,revenue,billed_lines\n2026-09,C200,INTERNET,5,1\n"
    with loaded.engine.begin() as conn:
        import_revenue(conn, write(tmp_path, "gd.csv", extract), scope="440000", today=TODAY)
    with loaded.engine.connect() as conn:
        left = (
            conn.execute(
                text(
                    "SELECT a.customer_no FROM monthly_revenue r JOIN account a ON a.id = r.account_id "
                    "WHERE r.month = 202609 ORDER BY 1"
                )
            )
            .scalars()
            .all()
        )
    assert left == ["C200", "C211"]
    outside = "month,customer_no,product_code,revenue,billed_lines\n2026-09,C211,CLOUD,5,1\n"
    err = rejected(loaded, import_revenue, write(tmp_path, "zj.csv", outside), scope="440000", today=TODAY)
    assert "辖区" in err.issues[0].reason


def test_gbk_and_bom_files(loaded, tmp_path):
    content = "month,customer_no,product_code,revenue,billed_lines\n2026-10,C201,DC,100,1\n"
    with loaded.engine.begin() as conn:
        result = import_revenue(conn, write(tmp_path, "b.csv", content, "utf-8-sig"), today=TODAY)
    assert result.encoding == "utf-8-sig" and result.inserted == 1
    staff = STAFF.replace("王建国", "王建國")
    with loaded.engine.begin() as conn:
        assert import_staff(conn, write(tmp_path, "s.csv", staff, "gbk")).encoding == "gbk"
        assert conn.execute(text("SELECT name FROM staff WHERE employee_no = 'E100'")).scalar() == "王建國"


def test_gbk_file_damaged_by_saving_as_utf8(loaded, tmp_path):
    original = ACCOUNTS.encode("gbk")
    damaged = original.decode("utf-8", errors="replace").encode("utf-8")
    path = tmp_path / "damaged.csv"
    path.write_bytes(damaged)
    err = rejected(loaded, import_accounts, str(path))
    assert "乱码" in err.issues[0].reason


def test_bad_account_rows(loaded, tmp_path):
    bad = ACCOUNT_HEADER + """
C300,甲公司,XXX,city,440100,440100,,
C301,乙公司,FIN,city,440000,440100,,
C302,丙公司,FIN,provincial,440000,330100,,
C303,丁公司,FIN,city,440100,440000,,
C304,戊公司,FIN,city,440100,440100,,E999
C305,己公司,FIN,galaxy,440100,440100,,
C306,庚公司,FIN,city,440100,440100,C307,
C307,辛公司,FIN,city,440100,440100,C306,
C308,壬公司,FIN,city,440100,440100,C404,
C309,,FIN,city,440100,440100,,
"""
    err = rejected(loaded, import_accounts, write(tmp_path, "bad.csv", bad))
    by_line = {}
    for i in err.issues:
        by_line.setdefault(i.line, []).append(i)
    assert by_line[2][0].column == "industry_code"
    assert "地市级单位" in by_line[3][0].reason  # a city account owned by a province
    assert "辖区" in by_line[4][0].reason
    assert by_line[5][0].column == "serving_city_code"
    assert by_line[6][0].column == "manager_employee_no"
    assert by_line[7][0].column == "level"
    assert any("循环" in i.reason for i in err.issues)
    assert by_line[10][0].column == "parent_customer_no"
    assert by_line[11][0].column == "name"


def test_cycle_through_the_database_is_found(loaded, tmp_path):
    # C209 is C210's parent in the database; making C209 a child of C210 closes a loop.
    change = ACCOUNTS.splitlines()[0] + "\nC209,国家电网有限公司,ENE,national,000000,110100,C210,E103\n"
    err = rejected(loaded, import_accounts, write(tmp_path, "cyc.csv", change))
    assert "循环" in err.issues[0].reason


def test_reassigning_manager_keeps_dated_history(loaded, tmp_path):
    change = ACCOUNTS.splitlines()[0] + "\nC200,广州农村商业银行,FIN,city,440100,440100,,E101\n"
    with loaded.engine.begin() as conn:
        result = import_accounts(conn, write(tmp_path, "re.csv", change))
    assert result.updated == 1
    with loaded.engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT s.employee_no, h.valid_to IS NULL FROM account_manager_history h "
                "JOIN staff s ON s.id = h.staff_id "
                "JOIN account a ON a.id = h.account_id WHERE a.customer_no = 'C200' ORDER BY h.id"
            )
        ).all()
    assert [tuple(r) for r in rows] == [("E100", False), ("E101", True)]


def test_bad_staff_rows(loaded, tmp_path):
    bad = """employee_no,name,unit_code,position,industry_codes
E200,赵六,123456,customer_manager,FIN
E201,钱七,440100,pilot,FIN
E202,孙八,440100,customer_manager,FIN;XYZ
E200,李九,440100,customer_manager,
"""
    err = rejected(loaded, import_staff, write(tmp_path, "bad.csv", bad))
    assert [(i.line, i.column) for i in err.issues] == [
        (2, "unit_code"),
        (3, "position"),
        (4, "industry_codes"),
        (5, "employee_no"),
    ]


def _xlsx(path, rows, title="收入"):
    wb = Workbook()
    ws = wb.active
    ws.title = title
    for r in rows:
        ws.append(r)
    wb.save(path)
    return str(path)


def test_xlsx_values_and_sheet_choice(loaded, tmp_path):
    path = tmp_path / "rev.xlsx"
    wb = Workbook()
    ws = wb.active
    ws.title = "说明"
    ws.append(["本文件为十月收入"])
    data = wb.create_sheet("收入")
    data.append(["month", "customer_no", "product_code", "revenue", "billed_lines"])
    data.append(["2026-10", "C201", "DC", 1234.56, 2])
    data.append([dt.datetime(2026, 10, 1), "C201", "VOICE", 0.1, 1])
    wb.save(path)
    with loaded.engine.begin() as conn:
        result = import_revenue(conn, str(path), sheet="收入", today=TODAY)
    assert result.inserted == 2
    with loaded.engine.connect() as conn:
        fen = conn.execute(
            text(
                "SELECT SUM(revenue_fen) FROM monthly_revenue r JOIN account a ON a.id = r.account_id "
                "WHERE a.customer_no = 'C201' AND r.month = 202610"
            )
        ).scalar()
    assert fen == 123456 + 10
    err = rejected(loaded, import_revenue, str(path), today=TODAY)  # first sheet is the note
    assert any("缺少列" in i.reason for i in err.issues)
    err = rejected(loaded, import_revenue, str(path), sheet="不存在", today=TODAY)
    assert "工作表" in err.issues[0].reason


def test_truncated_xlsx(loaded, tmp_path):
    path = tmp_path / "rev.xlsx"
    _xlsx(path, [["month", "customer_no", "product_code", "revenue", "billed_lines"], ["2026-10", "C201", "DC", 1, 1]])
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    err = rejected(loaded, import_revenue, str(path), today=TODAY)
    assert "XLSX" in err.issues[0].reason


def test_cli_import_reports_rows_and_fails(loaded, tmp_path, capsys):
    url = loaded.url.render_as_string(hide_password=False)
    bad = "month,customer_no,product_code,revenue,billed_lines\n2026-10,C999,DC,1,1\n2026-10,C201,DC,1.001,1\n"
    assert kam(["--db", url, "import", "revenue", write(tmp_path, "b.csv", bad), "--quiet", "--format", "csv"]) == 1
    out = capsys.readouterr()
    assert len(out.err.strip().splitlines()) == 1 and "2 处问题" in out.err
    assert out.out.splitlines()[0] == "line,column,value,reason"
    assert [ln.split(",")[0] for ln in out.out.splitlines()[1:]] == ["2", "3"]
    good = "month,customer_no,product_code,revenue,billed_lines\n2026-10,C201,DC,1.5,1\n"
    assert kam(["--db", url, "import", "revenue", write(tmp_path, "g.csv", good), "--quiet"]) == 0
    assert "导入完成" in capsys.readouterr().out


def test_import_into_demo_database_protects_it_from_reseeding(db, tmp_path):
    from kam_console.demo import seed_demo
    from kam_console.errors import RealDataPresent

    seed_demo(db, scale="small", seed=3, today=TODAY)
    with db.engine.begin() as conn:
        import_staff(conn, write(tmp_path, "staff.csv", STAFF))
    with pytest.raises(RealDataPresent):
        seed_demo(db, scale="small", seed=3, today=TODAY)
    with db.engine.connect() as conn:
        assert conn.execute(text("SELECT COUNT(*) FROM staff WHERE employee_no = 'E100'")).scalar() == 1


def test_preview_and_chinese_headers_with_mapping(loaded, tmp_path):
    from kam_console.importing import preview_import

    content = "账期,客户编号,产品,收入（元）,计费线路数,备注\n2026-10,C201,DC,10.50,1,十月\n2026-10,C201,VOICE,3,1,\n"
    path = write(tmp_path, "billing.csv", content, "gbk")
    pv = preview_import("revenue", path)
    assert (pv.encoding, pv.format, pv.total_rows) == ("gbk", "csv", 2)
    assert pv.rows[0][:3] == ["2026-10", "C201", "DC"]
    assert pv.mapping == {"month": "账期", "customer_no": "客户编号", "product_code": "产品",
                          "revenue": "收入（元）", "billed_lines": "计费线路数"}
    assert pv.complete
    with loaded.engine.begin() as conn:
        result = import_revenue(conn, path, columns=pv.mapping, today=TODAY)
    assert result.inserted == 2
    bad_mapping = dict(pv.mapping, revenue="计费线路数")
    err = rejected(loaded, import_revenue, path, columns=bad_mapping, today=TODAY)
    assert "同一列" in err.issues[0].reason


def test_line_numbers_with_blank_lines_and_multiline_cells(loaded, tmp_path):
    content = (
        "employee_no,name,unit_code,position,industry_codes\r\n"
        "E300,周一,440100,customer_manager,FIN\r\n"
        "\r\n"
        'E301,"吴\r\n二",440100,customer_manager,FIN\r\n'
        "E302,郑三,999999,customer_manager,FIN\r\n"
    )
    err = rejected(loaded, import_staff, write(tmp_path, "lines.csv", content))
    assert [(i.line, i.column) for i in err.issues] == [(6, "unit_code")]
    content = content.replace('"吴\r\n二"', "吴二")
    err = rejected(loaded, import_staff, write(tmp_path, "lines2.csv", content))
    assert [(i.line, i.column) for i in err.issues] == [(5, "unit_code")]


def test_account_that_moved_city_has_its_old_rows_replaced(loaded, tmp_path):
    moved = ACCOUNT_HEADER + "\nC200,广州农村商业银行,FIN,city,440300,440300,,E101\n"
    with loaded.engine.begin() as conn:
        import_accounts(conn, write(tmp_path, "moved.csv", moved))
    fix = "month,customer_no,product_code,revenue,billed_lines\n2026-09,C200,INTERNET,7.00,1\n"
    with loaded.engine.begin() as conn:
        result = import_revenue(conn, write(tmp_path, "fix.csv", fix), today=TODAY)
    # 深圳 is now in the file, so its 2026-09 rows (C201) are replaced too; plus both of C200's old 广州 rows.
    assert result.deleted == 3
    with loaded.engine.connect() as conn:
        rows = conn.execute(text(
            "SELECT c.code, r.revenue_fen FROM monthly_revenue r JOIN account a ON a.id = r.account_id "
            "JOIN org_unit c ON c.id = r.serving_city_id WHERE a.customer_no = 'C200' AND r.month = 202609")).all()
        assert [tuple(r) for r in rows] == [("440300", 700)]
        gz = conn.execute(text(
            "SELECT SUM(revenue_fen) FROM revenue_rollup r JOIN org_unit c ON c.id = r.city_id "
            "WHERE c.code = '440100' AND r.month = 202609 AND r.product_id = 0")).scalar()
        assert gz == 15000000  # only C210 is left in 广州 that month
