"""`kam request …`: a request's whole life driven from the command line, the inbox views, the SLA table,
escalation, and bad input — each refused with one clear line, the right exit status and nothing written."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re

import pytest
from sqlalchemy import text

from kam_console.cli import main as kam
from kam_console.db import open_database
from kam_console.models import utcnow
from kam_console.services.account_edit import AccountInput, create_account
from kam_console.services.service_requests import raise_request
from kam_console.services.staff import StaffInput, add_staff

STAFF = {
    "GZ1": ("广州经理", "440100", "customer_manager"),
    "SZ1": ("深圳经理", "440300", "customer_manager"),
    "GD1": ("广东协调", "440000", "customer_manager"),
    "HZ1": ("杭州经理", "330100", "customer_manager"),
    "JT1": ("集团协调", "000000", "customer_manager"),
    "ADM": ("集团管理员", "000000", "admin"),
    "GDADM": ("广东管理员", "440000", "admin"),
}
TABLES = ("service_request", "request_hop", "request_subtask", "request_stage", "request_unit", "request_attachment")


@pytest.fixture
def url(db_url):
    db = open_database(db_url)
    try:
        with db.engine.begin() as conn:
            for no, (name, unit, position) in STAFF.items():
                add_staff(conn, employee_no=no, data=StaffInput(name, unit, position))
            create_account(
                conn, customer_no="C1", data=AccountInput("广州某物流公司", "TRN", "city", "440100", "440100")
            )
    finally:
        db.dispose()
    return db_url


def run(capsys, url, *args):
    code = kam(["--db", url, *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def ok(capsys, url, *args) -> str:
    code, out, err = run(capsys, url, *args)
    assert code == 0, err
    assert err == ""
    return out


def show(capsys, url, number) -> dict:
    return json.loads(ok(capsys, url, "request", "show", number, "--format", "json"))


def snapshot(url):
    db = open_database(url)
    try:
        with db.engine.connect() as conn:
            return [
                sorted((tuple(r) for r in conn.execute(text(f"SELECT * FROM {t}"))), key=repr)
                for t in (*TABLES, "sla_rule")
            ]
    finally:
        db.dispose()


def count(url, table) -> int:
    db = open_database(url)
    try:
        with db.engine.connect() as conn:
            return conn.execute(text(f"SELECT COUNT(*) FROM {table}")).scalar()
    finally:
        db.dispose()


def when(value: str) -> dt.datetime:
    parsed = dt.datetime.fromisoformat(value)
    assert parsed.utcoffset() == dt.timedelta(hours=8)  # Beijing time, with its offset
    return parsed


# --- the route, dry run ---------------------------------------------------------------------------------


def test_route_dry_run_prints_coordinator_and_route_and_creates_nothing(capsys, url):
    out = ok(capsys, url, "request", "route", "--from", "440100", "--units", "440100,330100", "--format", "json")
    assert json.loads(out) == {"coordinator": "000000", "route": ["440100", "440000", "000000"]}
    out = ok(capsys, url, "request", "route", "--from", "440100", "--units", "440100,440300", "--format", "json")
    assert json.loads(out) == {"coordinator": "440000", "route": ["440100", "440000"]}
    out = ok(capsys, url, "request", "route", "--from", "440100", "--units", "440100", "--format", "json")
    assert json.loads(out) == {"coordinator": "440100", "route": ["440100"]}
    table = ok(capsys, url, "request", "route", "--from", "440100", "--units", "440100,330100")
    lines = table.splitlines()
    assert lines[0].split() == ["step", "code", "name", "role"]
    assert lines[1].split() == ["1", "440100", "广州市大客户部", "发起单位"]
    assert lines[3].split() == ["3", "000000", "集团公司大客户事业部", "协调单位"]
    assert "涉及单位：广州市大客户部（440100）、杭州市大客户部（330100）" in table
    assert all(count(url, t) == 0 for t in TABLES)


# --- a whole life -----------------------------------------------------------------------------------------


def test_lifecycle_across_two_provinces(capsys, url):
    before = utcnow()
    out = ok(
        capsys,
        url,
        "request",
        "raise",
        "--account",
        "C1",
        "--type",
        "new_circuit",
        "--units",
        "440100,330100",
        "--priority",
        "high",
        "--title",
        "广州至杭州 2M 电路",
        "--text",
        "客户要求两周内开通",
        "--attach",
        r"\\share\需求单.pdf",
        "--attach",
        "https://files.example.cn/图纸.pdf",
        "--as",
        "GZ1",
    )
    match = re.fullmatch(r"(SR\d{14}) (\d{6})\n", out)
    assert match, out
    number, coordinator = match.groups()
    assert coordinator == "000000"

    d = show(capsys, url, number)
    assert d["number"] == number and d["state"] == "routing" and d["state_label"] == "逐级上报中"
    assert d["account"] == {"customer_no": "C1", "name": "广州某物流公司"}
    assert (d["type"], d["priority"], d["title"]) == ("new_circuit", "high", "广州至杭州 2M 电路")
    assert d["holder"] == {"code": "440000", "name": "广东省大客户部"}
    assert d["coordinator"]["code"] == "000000" and d["raising_unit"]["code"] == "440100"
    assert [(s["code"], s["passed"], s["current"]) for s in d["route"]] == [
        ("440100", True, False),
        ("440000", False, True),
        ("000000", False, False),
    ]
    assert [(n["unit"]["code"], n["action"]) for n in d["next"]] == [("440000", "forward")]
    assert [a["reference"] for a in d["attachments"]] == [r"\\share\需求单.pdf", "https://files.example.cn/图纸.pdf"]
    raised_at = when(d["raised_at"])
    assert before - dt.timedelta(seconds=1) <= raised_at <= utcnow()
    assert when(d["due_at"]) > raised_at and d["overdue"] is False
    assert [(h["seq"], h["action"], h["from_unit"]["code"], h["to_unit"]["code"]) for h in d["hops"]] == [
        (1, "raise", "440100", "440000")
    ]
    assert d["hops"][0]["staff"] == {"employee_no": "GZ1", "name": "广州经理"}

    steps = [
        ("forward", "GD1", "请集团协调", "routing 000000", [("000000", "accept")]),
        ("accept", "JT1", None, "coordinating 000000", [("000000", "dispatch")]),
        ("dispatch", "JT1", "请两端确认资源", "processing 000000", [("330100", "reply"), ("440100", "reply")]),
        ("reply", "HZ1", "杭州端资源已确认", "processing 000000", [("440100", "reply")]),
        ("reply", "GZ1", "广州端资源已确认", "processing 000000", [("000000", "resolve")]),
        ("resolve", "JT1", "电路已开通", "resolved 440100", [("440100", "confirm")]),
        ("confirm", "GZ1", "客户确认", "closed 440100", []),
    ]
    seen = ["raise"]
    for action, who, note, printed, expected_next in steps:
        args = ["request", "act", number, "--action", action, "--as", who]
        if note:
            args += ["--text", note]
        assert ok(capsys, url, *args) == printed + "\n"
        d = show(capsys, url, number)
        state, holder = printed.split()
        assert (d["state"], d["holder"]["code"]) == (state, holder)
        assert [(n["unit"]["code"], n["action"]) for n in d["next"]] == expected_next, action
        seen.append(action)
        if action == "dispatch":
            seen.append("dispatch")  # one hop per involved unit
        assert [h["action"] for h in d["hops"]] == seen
        last = d["hops"][-1]
        assert last["staff"]["employee_no"] == who and last["comment"] == note
        assert [h["seq"] for h in d["hops"]] == list(range(1, len(seen) + 1))
        times = [when(h["at"]) for h in d["hops"]]
        assert times == sorted(times)
    assert [(s["unit"]["code"], s["state"], s["reply"]) for s in d["subtasks"]] == [
        ("330100", "done", "杭州端资源已确认"),
        ("440100", "done", "广州端资源已确认"),
    ]
    assert all(when(s["done_at"]) >= when(s["dispatched_at"]) for s in d["subtasks"])
    assert d["due_at"] is None and d["overdue"] is False and when(d["closed_at"]) >= raised_at
    assert all(s["passed"] for s in d["route"])

    table = ok(capsys, url, "request", "show", number)
    assert f"请求 {number}  新开电路 · 紧急 · 已关闭" in table
    assert "路径：广州市大客户部（440100）〔已过〕 → 广东省大客户部（440000）〔已过〕" in table
    assert "下一步：—（已结束）" in table
    assert "处理记录：" in table and "子任务：" in table and "杭州端资源已确认" in table
    assert re.search(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}", table)  # Beijing time to the minute


def test_raise_json_and_act_json(capsys, url):
    out = ok(
        capsys,
        url,
        "request",
        "raise",
        "--account",
        "C1",
        "--type",
        "fault",
        "--units",
        "440100,440300",
        "--as",
        "GZ1",
        "--format",
        "json",
    )
    raised = json.loads(out)
    assert raised["coordinator"] == "440000" and raised["route"] == ["440100", "440000"]
    assert raised["number"].startswith("SR")
    out = ok(capsys, url, "request", "act", raised["number"], "--action", "accept", "--as", "GD1", "--format", "json")
    acted = json.loads(out)
    assert acted["state"] == "coordinating" and acted["holder"] == "440000"
    assert acted["holder_name"] == "广东省大客户部" and acted["state_label"] == "待派发"
    assert [(n["unit"]["code"], n["action"]) for n in acted["next"]] == [("440000", "dispatch")]


def test_return_reassign_comment_urge_and_cancel(capsys, url):
    number = ok(
        capsys, url, "request", "raise", "--account", "C1", "--type", "fault", "--units", "440100,440300", "--as", "GZ1"
    ).split()[0]
    act = ["request", "act", number, "--action"]
    assert ok(capsys, url, *act, "return", "--as", "GD1", "--text", "请补充故障时间") == "routing 440100\n"
    assert ok(capsys, url, *act, "forward", "--as", "GZ1", "--text", "已补充") == "routing 440000\n"
    ok(capsys, url, *act, "accept", "--as", "GD1")
    ok(capsys, url, *act, "dispatch", "--as", "GD1")
    ok(capsys, url, *act, "return", "--as", "SZ1", "--text", "故障点不在深圳")
    ok(capsys, url, *act, "reassign", "--as", "GD1", "--unit", "440300", "--to", "440600", "--text", "在佛山")
    ok(capsys, url, *act, "comment", "--as", "GZ1", "--text", "客户来电询问进度")
    ok(capsys, url, *act, "urge", "--as", "JT1", "--text", "请加快")
    d = show(capsys, url, number)
    assert sorted((n["unit"]["code"], n["action"]) for n in d["next"]) == [("440100", "reply"), ("440600", "reply")]
    assert [u["code"] for u in d["involved"]] == ["440100", "440300", "440600"]
    assert [s["state_label"] for s in d["subtasks"]] == ["处理中", "已退回", "处理中"]
    assert ok(capsys, url, *act, "cancel", "--as", "GZ1", "--text", "客户撤回") == "cancelled 440000\n"
    d = show(capsys, url, number)
    assert d["next"] == [] and d["state_label"] == "已撤销"
    assert [h["action"] for h in d["hops"]][-5:] == ["reassign", "comment", "urge", "urge", "cancel"]


# --- the inbox -----------------------------------------------------------------------------------------------


def _raise(capsys, url, units, who="GZ1", type_="fault"):
    out = ok(capsys, url, "request", "raise", "--account", "C1", "--type", type_, "--units", units, "--as", who)
    return out.split()[0]


def listed(capsys, url, *args) -> list[dict]:
    return json.loads(ok(capsys, url, "request", "list", *args, "--format", "json"))


def test_list_views_filters_and_formats(capsys, url):
    a = _raise(capsys, url, "440100,330100", type_="new_circuit")  # at 广东, to forward
    b = _raise(capsys, url, "440100,440300")  # at 广东, to accept
    c = _raise(capsys, url, "440100")  # at 广州 itself
    ok(capsys, url, "request", "act", b, "--action", "accept", "--as", "GD1")
    ok(capsys, url, "request", "act", b, "--action", "dispatch", "--as", "GD1")
    # an old one, raised through the service a week ago: overdue at 广东
    db = open_database(url)
    try:
        with db.engine.begin() as conn:
            old = raise_request(
                conn,
                account="C1",
                type_="complaint",
                units=["440100", "440300"],
                as_staff="GZ1",
                now=utcnow() - dt.timedelta(days=7),
            ).number
    finally:
        db.dispose()

    def numbers(*args):
        return [r["number"] for r in listed(capsys, url, *args)]

    assert numbers("--unit", "440000") == [old, a]  # the overdue one first
    assert set(numbers("--unit", "440100")) == {b, c}  # b: its subtask; c: it holds it
    assert set(numbers("--unit", "440300")) == {b}
    assert numbers("--unit", "000000") == []
    assert set(numbers("--unit", "440100", "--view", "raised")) == {a, b, c, old}
    assert set(numbers("--unit", "440300", "--view", "involved")) == {b, old}
    assert set(numbers("--unit", "000000", "--view", "involved")) == {a}
    assert set(numbers("--unit", "440000", "--view", "all")) == {a, b, old}
    assert set(numbers("--unit", "440000", "--view", "below")) == {a, b, c, old}
    assert set(numbers("--unit", "440100", "--view", "raised", "--state", "routing")) == {a, c, old}
    assert numbers("--unit", "440100", "--view", "raised", "--type", "new_circuit") == [a]
    assert numbers("--unit", "440100", "--view", "raised", "--overdue") == [old]
    assert set(numbers("--unit", "440100", "--view", "all", "--employee", "GD1")) == {b}

    row = listed(capsys, url, "--unit", "440000", "--overdue")[0]
    assert row["number"] == old and row["overdue"] is True and row["overdue_hours"] > 0
    assert (row["type"], row["type_label"], row["state_label"], row["holder"]) == (
        "complaint",
        "投诉",
        "逐级上报中",
        "440000",
    )
    assert row["holder_name"] == "广东省大客户部" and row["raising_unit_name"] == "广州市大客户部"
    assert when(row["due_at"]) < when(row["raised_at"]) + dt.timedelta(days=7)

    out = ok(capsys, url, "request", "list", "--unit", "440000", "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [r["number"] for r in rows] == [old, a]
    assert rows[0]["overdue"] == "true" and rows[1]["overdue"] == "false"
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}", rows[0]["due_at"])
    table = ok(capsys, url, "request", "list", "--unit", "440000")
    lines = table.splitlines()
    assert lines[0].split()[:3] == ["number", "account", "type"]
    assert lines[1].startswith(old) and "投诉" in lines[1] and "超时" in lines[1]
    empty = ok(capsys, url, "request", "list", "--unit", "000000")
    assert empty.splitlines()[0].split()[0] == "number" and len(empty.splitlines()) == 1


def test_escalate_prints_what_it_escalated(capsys, url):
    assert ok(capsys, url, "request", "escalate") == "没有需要升级的超时请求\n"
    db = open_database(url)
    try:
        with db.engine.begin() as conn:
            old = raise_request(
                conn,
                account="C1",
                type_="fault",
                units=["440100", "440300"],
                as_staff="GZ1",
                now=utcnow() - dt.timedelta(days=7),
            ).number
    finally:
        db.dispose()
    done = json.loads(ok(capsys, url, "request", "escalate", "--format", "json"))
    assert [(e["number"], e["from_unit"], e["to_unit"], e["stage"]) for e in done] == [
        (old, "440000", "000000", "route")
    ]
    assert done[0]["overdue_hours"] > 24
    assert ok(capsys, url, "request", "escalate") == "没有需要升级的超时请求\n"  # once per period
    d = show(capsys, url, old)
    assert d["escalation_level"] == 1
    assert [(e["staff"]["name"], e["to_unit"]["code"]) for e in d["escalations"]] == [("系统", "000000")]


# --- the SLA table -----------------------------------------------------------------------------------------


def test_sla_list_and_set(capsys, url):
    rows = json.loads(ok(capsys, url, "request", "sla", "list", "--format", "json"))
    assert len(rows) == 120
    rule = next(r for r in rows if (r["type"], r["priority"], r["stage"]) == ("fault", "normal", "handle"))
    assert rule == {
        "type": "fault",
        "type_label": "障碍",
        "priority": "normal",
        "priority_label": "普通",
        "stage": "handle",
        "stage_label": "处理",
        "hours": 16,
    }
    out = ok(
        capsys,
        url,
        "request",
        "sla",
        "set",
        "--type",
        "fault",
        "--priority",
        "normal",
        "--stage",
        "handle",
        "--hours",
        "12",
        "--as",
        "ADM",
    )
    assert out == "时限已修改：障碍/普通/处理 16 → 12 个工作小时（已开始的阶段保持原时限）\n"
    rows = list(csv.DictReader(io.StringIO(ok(capsys, url, "request", "sla", "list", "--format", "csv"))))
    assert (
        next(r for r in rows if (r["type"], r["priority"], r["stage"]) == ("fault", "normal", "handle"))["hours"]
        == "12"
    )
    table = ok(capsys, url, "request", "sla", "list")
    assert table.splitlines()[0].split() == [
        "type",
        "type_label",
        "priority",
        "priority_label",
        "stage",
        "stage_label",
        "hours",
    ]


# --- bad input: one line, the right status, nothing written -------------------------------------------------


def refused(capsys, url, *args, status=1) -> str:
    before = snapshot(url)
    code, out, err = run(capsys, url, *args)
    assert code == status, (args, out, err)
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("kam: "), err
    assert snapshot(url) == before
    return lines[0]


def test_bad_input_is_refused_clearly_and_writes_nothing(capsys, url):
    number = _raise(capsys, url, "440100,330100")
    raise_ = ["request", "raise", "--account", "C1", "--type", "fault", "--as", "GZ1", "--units"]
    assert "没有代码为 999999 的单位" in refused(capsys, url, *raise_, "440100,999999")
    assert "没有代码为 999999 的单位" in refused(
        capsys, url, "request", "route", "--from", "440100", "--units", "999999"
    )
    assert "没有代码为 999999 的发起单位" in refused(
        capsys, url, "request", "route", "--from", "999999", "--units", "440100"
    )
    line = refused(capsys, url, *raise_, "440100,440000")
    assert "广东省大客户部（440000）是省级单位，涉及单位应为地市或区县" in line
    line = refused(
        capsys, url, "request", "raise", "--account", "NOPE", "--type", "fault", "--units", "440100", "--as", "GZ1"
    )
    assert "没有客户编号为 NOPE 的客户" in line
    line = refused(
        capsys, url, "request", "raise", "--account", "C1", "--type", "repair", "--units", "440100", "--as", "GZ1"
    )
    assert "未知的请求类型：repair（可选 new_circuit（新开电路）" in line
    line = refused(capsys, url, *raise_[:-3], "--as", "NOBODY", "--units", "440100")
    assert "没有工号为 NOBODY 的员工" in line

    act = ["request", "act", number, "--action"]
    line = refused(capsys, url, *act, "forward", "--as", "SZ1")
    assert f"请求 {number} 现在由广东省大客户部处理，深圳市大客户部不能上报" in line
    line = refused(capsys, url, *act, "confirm", "--as", "GD1")
    assert "处于“逐级上报中”状态，不能确认关闭" in line
    line = refused(capsys, url, *act, "accept", "--as", "GD1")
    assert "协调单位是集团公司大客户事业部" in line
    line = refused(capsys, url, *act, "fly", "--as", "GD1")
    assert "未知的操作：fly（可选 forward（上报）" in line
    assert "没有编号为 SR000 的请求" in refused(
        capsys, url, "request", "act", "SR000", "--action", "accept", "--as", "GD1"
    )
    assert "没有编号为 SR000 的请求" in refused(capsys, url, "request", "show", "SR000")
    assert "--unit 与 --to 只用于改派" in refused(
        capsys, url, *act, "forward", "--as", "GD1", "--to", "440300", status=2
    )

    line = refused(capsys, url, "request", "list", "--unit", "440100", "--view", "mine")
    assert "未知的视图：mine（可选 todo（待我处理）" in line
    assert "未知的状态：open" in refused(capsys, url, "request", "list", "--unit", "440100", "--state", "open")
    assert "没有代码为 999999 的单位" in refused(capsys, url, "request", "list", "--unit", "999999")

    sla = ["request", "sla", "set", "--type", "fault", "--priority", "normal", "--stage", "handle", "--hours", "12"]
    line = refused(capsys, url, *sla, "--as", "GZ1")
    assert "只有集团公司大客户事业部的管理员或负责人可以修改时限规则" in line and "广州经理（GZ1）" in line
    assert "只有集团公司大客户事业部的管理员或负责人" in refused(capsys, url, *sla, "--as", "GDADM")
    assert "只有集团公司大客户事业部的管理员或负责人" in refused(capsys, url, *sla, "--as", "JT1")
    assert "没有工号为 NOBODY 的员工" in refused(capsys, url, *sla, "--as", "NOBODY")
    bad_hours = [*sla[:-1], "0", "--as", "ADM"]
    assert "时限应为 1 至" in refused(capsys, url, *bad_hours)

    # usage errors: a missing option, a non-number, an unknown format
    assert "参数错误" in refused(
        capsys, url, "request", "raise", "--account", "C1", "--type", "fault", "--units", "440100", status=2
    )
    assert "参数错误" in refused(capsys, url, *sla[:-1], "twelve", "--as", "ADM", status=2)
    assert "参数错误" in refused(capsys, url, "request", "show", number, "--format", "xml", status=2)


def test_monthly_statistics_of_a_province_and_its_cities(capsys, url):
    from kam_console.services.service_requests import act
    from kam_console.services.sla import BEIJING

    start = dt.datetime(2026, 11, 2, 9, 0, tzinfo=BEIJING)
    db = open_database(url)
    try:
        with db.engine.begin() as conn:
            done = raise_request(
                conn, account="C1", type_="fault", units=["440100", "440300"], as_staff="GZ1", now=start
            )
            for i, (action, who, note) in enumerate(
                [
                    ("accept", "GD1", None),
                    ("dispatch", "GD1", None),
                    ("reply", "GZ1", "正常"),
                    ("reply", "SZ1", "已修复"),
                    ("resolve", "GD1", "已修复"),
                    ("confirm", "GZ1", None),
                ],
                1,
            ):
                act(conn, number=done.number, action=action, as_staff=who, text=note, now=start + dt.timedelta(hours=i))
            raise_request(conn, account="C1", type_="change", units=["440300"], as_staff="SZ1", now=start)
    finally:
        db.dispose()
    rows = list(
        csv.DictReader(
            io.StringIO(
                ok(
                    capsys,
                    url,
                    "request",
                    "stats",
                    "--unit",
                    "440000",
                    "--month",
                    "2026-11",
                    "--by-child",
                    "--format",
                    "csv",
                )
            )
        )
    )
    by_unit = {r["unit"]: r for r in rows}
    assert (by_unit["440000"]["raised"], by_unit["440000"]["closed"], by_unit["440000"]["open_at_month_end"]) == (
        "2",
        "1",
        "1",
    )
    assert by_unit["440000"]["on_time_pct"] == "100.0"  # every stage within its deadline
    assert by_unit["440100"]["raised"] == "1" and by_unit["440300"]["raised"] == "1"
    assert by_unit["440000"]["handle_avg_hours"] == "1.5"  # dispatched at +2 h, replied at +3 h and +4 h
    assert sum(int(r["raised"]) for u, r in by_unit.items() if u != "440000") == 2
    code, _out, err = run(capsys, url, "request", "stats", "--unit", "440000", "--month", "2026-13")
    assert code == 2 and "YYYY-MM" in err
