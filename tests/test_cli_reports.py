"""`kam report …`: the lifecycle from the command line, the status board, and a printed PDF whose figures
equal `kam analytics` for the same unit and month (read back from the PDF's text)."""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
import subprocess
from decimal import Decimal

import pytest
from sqlalchemy import text

from kam_console.cli import main as kam


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    from kam_console.db import open_database
    from kam_console.demo import seed_demo

    path = tmp_path_factory.mktemp("reports") / "demo.sqlite3"
    db = open_database(f"sqlite:///{path}")
    seed_demo(db, scale="small", seed=4, today=dt.date(2026, 11, 23))
    with db.engine.connect() as conn:

        def first(unit, position=None):
            sql = "SELECT s.employee_no FROM staff s JOIN org_unit u ON u.id = s.unit_id WHERE u.code = :u AND s.active"
            sql += " AND s.position = :p" if position else ""
            return conn.execute(text(sql + " ORDER BY s.employee_no LIMIT 1"), {"u": unit, "p": position}).scalar()

        people = {
            "gz": first("440100"),
            "gd_head": first("440000", "head"),
            "gd": first("440000", "analyst") or first("440000", "market_manager"),
            "zj_head": first("330000", "head"),
        }
        seeded = {
            "statuses": dict(conn.execute(text("SELECT status, count(*) FROM monthly_report GROUP BY status")).all()),
            "events": conn.execute(text("SELECT count(*) FROM monthly_report_event")).scalar(),
        }
    # the demo's own reports are checked in test_the_demo_has_reports_in_every_state; the rest start clean
    with db.engine.begin() as conn:
        conn.execute(text("DELETE FROM monthly_report_event"))
        conn.execute(text("DELETE FROM monthly_report"))
    db.dispose()
    return f"sqlite:///{path}", people | {"seeded": seeded}


def test_the_demo_has_reports_in_every_state(demo):
    _, p = demo
    statuses = p["seeded"]["statuses"]
    assert set(statuses) == {"draft", "submitted", "approved", "returned"}, statuses
    assert statuses["approved"] >= 10 and p["seeded"]["events"] > sum(statuses.values())


def run(url, capsys, *args):
    code = kam(["--db", url, *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def ok(url, capsys, *args):
    code, out, err = run(url, capsys, *args)
    assert code == 0, err
    return out


def test_lifecycle_from_the_command_line(demo, capsys, tmp_path):
    url, p = demo
    market = tmp_path / "market.md"
    market.write_text("友商在**政务云**领域降价 15%。\n\n- 广州地铁专线续约\n- 港口物联网招标", encoding="utf-8")
    out = ok(
        url,
        capsys,
        "report",
        "draft",
        "--unit",
        "440100",
        "--month",
        "2026-10",
        "--as",
        p["gz"],
        "--market",
        str(market),
    )
    assert "第 1 版，草稿" in out
    assert "第 1 版，已提交" in ok(
        url, capsys, "report", "submit", "--unit", "440100", "--month", "2026-10", "--as", p["gz"]
    )
    code, _, err = run(url, capsys, "report", "submit", "--unit", "440100", "--month", "2026-10", "--as", p["gz"])
    assert code == 1 and "不能重复提交" in err and err.count("\n") == 1
    code, _, err = run(url, capsys, "report", "approve", "--unit", "440100", "--month", "2026-10", "--as", p["zj_head"])
    assert code == 1 and "直属下级" in err
    code, _, err = run(
        url, capsys, "report", "return", "--unit", "440100", "--month", "2026-10", "--as", p["gd_head"], "--reason", ""
    )
    assert code == 1 and "原因" in err
    out = ok(
        url,
        capsys,
        "report",
        "return",
        "--unit",
        "440100",
        "--month",
        "2026-10",
        "--as",
        p["gd_head"],
        "--reason",
        "补充竞争信息",
    )
    assert "已退回" in out
    assert "第 2 版，草稿" in ok(
        url, capsys, "report", "revise", "--unit", "440100", "--month", "2026-10", "--as", p["gz"]
    )
    ok(url, capsys, "report", "submit", "--unit", "440100", "--month", "2026-10", "--as", p["gz"])
    assert "第 2 版，已审批" in ok(
        url,
        capsys,
        "report",
        "approve",
        "--unit",
        "440100",
        "--month",
        "2026-10",
        "--as",
        p["gd_head"],
        "--comment",
        "同意",
    )
    shown = json.loads(ok(url, capsys, "report", "show", "--unit", "440100", "--month", "2026-10", "--format", "json"))
    assert (shown["version"], shown["status"], shown["frozen"]) == (2, "approved", True)
    assert shown["narratives"]["market"].startswith("友商在**政务云**")
    assert [v["status"] for v in shown["versions"]] == ["approved", "returned"]
    # the status board of Guangdong: Guangzhou approved, the others not started and overdue (deadline 11-05)
    board = json.loads(
        ok(url, capsys, "report", "status", "--unit", "440000", "--month", "2026-10", "--format", "json")
    )
    rows = {r["unit"]: r for r in board}
    assert len(rows) == 21 and rows["440100"]["status"] == "approved" and rows["440100"]["version"] == 2
    assert rows["440300"]["status"] == "not_started" and rows["440300"]["deadline"] == "2026-11-05"
    table = ok(url, capsys, "report", "status", "--unit", "440000", "--month", "2026-10")
    assert "共 21 个单位：已审批 1" in table and "广州" in table


def test_bad_input_is_refused_in_one_line(demo, capsys, tmp_path):
    url, p = demo
    cases = [
        (["report", "monthly", "--unit", "440100", "--month", "2031-01", "--out", str(tmp_path / "a.pdf")], "将来"),
        (["report", "monthly", "--unit", "440100", "--month", "2026-11", "--out", str(tmp_path / "a.pdf")], "尚未结束"),
        (
            ["report", "monthly", "--unit", "440100", "--month", "2020-01", "--out", str(tmp_path / "a.pdf")],
            "没有收入数据",
        ),
        (["report", "monthly", "--unit", "999999", "--month", "2026-10", "--out", str(tmp_path / "a.pdf")], "999999"),
        (["report", "monthly", "--unit", "440100", "--month", "2026-10", "--out", str(tmp_path / "a.txt")], ".pdf"),
        (["report", "monthly", "--unit", "440100", "--month", "2026/10", "--out", str(tmp_path / "a.pdf")], "YYYY-MM"),
        (["report", "draft", "--unit", "440300", "--month", "2026-10", "--as", p["gz"]], "不属于"),
        (
            [
                "report",
                "draft",
                "--unit",
                "440300",
                "--month",
                "2026-10",
                "--as",
                p["gz"],
                "--plan",
                str(tmp_path / "x"),
            ],
            "无法读取",
        ),
    ]
    for args, fragment in cases:
        code, out, err = run(url, capsys, *args)
        assert code != 0 and fragment in err and err.count("\n") == 1, (args, err)
    assert not list(tmp_path.glob("*.pdf")) and not list(tmp_path.glob("*.part"))


def _pdftotext(path) -> str:
    if not shutil.which("pdftotext"):
        pytest.skip("pdftotext (poppler-utils) is not installed")
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout


def _amounts(line: str) -> list[str]:
    return [m.replace(",", "") for m in re.findall(r"-?\d[\d,]*\.\d{2}", line)]


@pytest.mark.parametrize("unit", ["440000", "000000", "440300"])
def test_the_printed_figures_equal_kam_analytics(demo, capsys, tmp_path, unit):
    url, _ = demo
    out = tmp_path / f"{unit}.pdf"
    printed = ok(url, capsys, "report", "monthly", "--unit", unit, "--month", "2026-10", "--out", str(out))
    assert out.read_bytes().startswith(b"%PDF") and "共" in printed
    lines = _pdftotext(out).splitlines()
    by = "child" if unit != "440300" else "industry"
    rows = json.loads(
        ok(url, capsys, "analytics", "arpu", "--month", "2026-10", "--by", by, "--unit", unit, "--format", "json")
    )
    assert rows
    for row in rows:
        # the row of this unit (or industry) in the printed table carries the same revenue, ARPU and ARPA
        found = [ln for ln in lines if row["name"] in ln and row["revenue"] in _amounts(ln)]
        assert found, (row["name"], row["revenue"])
        amounts = _amounts(found[0])
        for key in ("arpu", "arpa"):
            if row[key]:
                assert row[key] in amounts, (row["name"], key, row[key], found[0])
    total = json.loads(
        ok(
            url,
            capsys,
            "analytics",
            "trend",
            "--unit",
            unit,
            "--from",
            "2026-10",
            "--to",
            "2026-10",
            "--format",
            "json",
        )
    )[0]
    revenue = Decimal(total["revenue"])
    assert any(f"{revenue:,.2f}" in ln for ln in lines), f"total revenue {revenue:,.2f} not printed"
