"""Monthly reports: the whole lifecycle with recorded transitions, frozen figures that re-imports never
change, refusals that write nothing, the roll-up of the units below and the status board's deadlines."""

from __future__ import annotations

import datetime as dt
import json
import threading

import pytest
from refusals import assert_refused
from sqlalchemy import create_engine, text

from kam_console.errors import NotFound, ValidationError
from kam_console.importing.importers import import_revenue
from kam_console.reports.figures import compile_figures
from kam_console.services.account_edit import AccountInput, create_account
from kam_console.services.monthly_reports import (
    ReportChanged,
    ReportNotAllowed,
    allowed_actions,
    approve_report,
    current_report,
    deadline,
    report_document,
    report_events,
    report_versions,
    return_report,
    revise_report,
    rollup,
    save_narratives,
    start_report,
    status_board,
    submit_report,
)
from kam_console.services.sla import BEIJING
from kam_console.services.staff import StaffInput, add_staff

OCT, SEP = 202610, 202609
# Monday 2026-11-23 10:00 Beijing time
NOW = dt.datetime(2026, 11, 23, 10, 0, tzinfo=BEIJING)
STAFF = {
    "GZ1": ("广州经理", "440100", "customer_manager"),
    "GZH": ("广州负责人", "440100", "head"),
    "SZ1": ("深圳经理", "440300", "customer_manager"),
    "GDH": ("广东负责人", "440000", "head"),
    "GD1": ("广东分析员", "440000", "analyst"),
    "ZJH": ("浙江负责人", "330000", "head"),
    "JTH": ("集团负责人", "000000", "head"),
    "JT1": ("集团分析员", "000000", "analyst"),
}
ACCOUNTS = {
    "C1": ("广州某物流公司", "TRN", "city", "440100", "440100"),
    "C2": ("广州某银行分行", "FIN", "city", "440100", "440100"),
    "C3": ("深圳某科技公司", "NET", "city", "440300", "440300"),
    "C4": ("杭州某医院", "MED", "city", "330100", "330100"),
}


def make_staff(conn, no, name, unit, position):
    # heads are appointed through the upper unit's approval; the tests set them directly
    add_staff(conn, employee_no=no, data=StaffInput(name, unit, "market_manager" if position == "head" else position))
    if position == "head":
        conn.execute(text("UPDATE staff SET position = 'head' WHERE employee_no = :no"), {"no": no})


def write_revenue(path, rows):
    path.write_text("month,customer_no,product_code,revenue,billed_lines\n" + "".join(f"{r}\n" for r in rows))
    return str(path)


@pytest.fixture
def ready(db, tmp_path):
    with db.engine.begin() as conn:
        for no, (name, unit, position) in STAFF.items():
            make_staff(conn, no, name, unit, position)
        for no, (name, industry, level, owner, city) in ACCOUNTS.items():
            create_account(conn, customer_no=no, data=AccountInput(name, industry, level, owner, city))
        rows = [
            "2026-09,C1,INTERNET,10000.00,2",
            "2026-09,C3,DC,5000.00,1",
            "2026-10,C1,INTERNET,12000.50,3",
            "2026-10,C2,VOICE,3000.25,5",
            "2026-10,C3,DC,5000.00,1",
            "2026-10,C4,CLOUD,8000.00,2",
        ]
        import_revenue(conn, write_revenue(tmp_path / "rev.csv", rows), today=dt.date(2026, 11, 23))
    return db


def refused(db, call, *fragments, error=ReportNotAllowed):
    return assert_refused(db, call, ("monthly_report", "monthly_report_event"), fragments, error)


def at(hours: float) -> dt.datetime:
    return NOW + dt.timedelta(hours=hours)


def test_lifecycle_return_revise_approve_with_recorded_transitions(ready, tmp_path):
    db = ready
    with db.engine.begin() as conn:
        v1 = save_narratives(
            conn,
            unit="440100",
            month=OCT,
            by="GZ1",
            narratives={"market": "**竞争**加剧：友商降价 10%。", "issues": "", "plan": "- 走访重点客户\n- 推进专线"},
            now=at(0),
        )
        assert (v1.version, v1.status, v1.created_by) == (1, "draft", "广州经理")
        submitted = submit_report(conn, unit="440100", month=OCT, by="GZ1", now=at(1))
        assert (submitted.status, submitted.submitted_by) == ("submitted", "广州经理")
        frozen = json.loads(conn.execute(text("SELECT snapshot FROM monthly_report")).scalar())
        assert frozen == compile_figures(conn, unit="440100", month=OCT) | {"rollup": []}
        tiles = {k["key"]: k["value"] for k in frozen["key_figures"]}
        assert (tiles["revenue"], tiles["lines"], tiles["accounts"]) == ("15000.75", 8, 2)

        returned = return_report(conn, unit="440100", month=OCT, by="GDH", reason="请补充竞争对手信息", now=at(2))
        assert (returned.status, returned.return_reason, returned.decided_by) == (
            "returned",
            "请补充竞争对手信息",
            "广东负责人",
        )
    refused(
        db,
        lambda c: save_narratives(c, unit="440100", month=OCT, by="GZ1", narratives={"issues": "x"}, now=at(3)),
        "已退回",
        "修订",
    )
    with db.engine.begin() as conn:
        v2 = revise_report(conn, unit="440100", month=OCT, by="GZ1", now=at(3))
        assert (v2.version, v2.status) == (2, "draft")
        assert v2.narratives["plan"] == "- 走访重点客户\n- 推进专线"
        save_narratives(
            conn,
            unit="440100",
            month=OCT,
            by="GZH",
            narratives={"market": "竞争加剧：友商 A 降价 10%，友商 B 推出云专线。"},
            now=at(4),
            expected_row_version=v2.row_version,
        )
        submit_report(conn, unit="440100", month=OCT, by="GZH", now=at(5))
        approved = approve_report(conn, unit="440100", month=OCT, by="GDH", now=at(6), comment="同意")
        assert (approved.version, approved.status, approved.decided_by) == (2, "approved", "广东负责人")
        assert [v.status for v in report_versions(conn, unit="440100", month=OCT)] == ["approved", "returned"]
        events = [
            (e.version, e.action, e.staff_name, e.unit_name, e.comment)
            for e in report_events(conn, unit="440100", month=OCT)
        ]
    assert events == [
        (1, "create", "广州经理", "广州", None),
        (1, "submit", "广州经理", "广州", None),
        (1, "return", "广东负责人", "广东", "请补充竞争对手信息"),
        (2, "revise", "广州经理", "广州", None),
        (2, "save", "广州负责人", "广州", None),
        (2, "submit", "广州负责人", "广州", None),
        (2, "approve", "广东负责人", "广东", "同意"),
    ]
    # an approved report is read-only for everyone
    refused(db, lambda c: submit_report(c, unit="440100", month=OCT, by="GZ1", now=at(7)), "不能重复提交")
    refused(
        db,
        lambda c: save_narratives(c, unit="440100", month=OCT, by="GZ1", narratives={"plan": "x"}, now=at(7)),
        "已审批",
    )
    refused(db, lambda c: approve_report(c, unit="440100", month=OCT, by="GDH", now=at(7)), "已经审批")


def test_submitted_figures_never_change_and_the_live_difference_is_shown(ready, tmp_path):
    db = ready
    with db.engine.begin() as conn:
        start_report(conn, unit="440100", month=OCT, by="GZ1", now=at(0))
        submit_report(conn, unit="440100", month=OCT, by="GZ1", now=at(1))
        before = report_document(conn, unit="440100", month=OCT, now=at(1))
    assert before.frozen and before.live_differs == ()
    with db.engine.begin() as conn:  # billing corrects October for Guangzhou
        import_revenue(
            conn,
            write_revenue(tmp_path / "fix.csv", ["2026-10,C1,INTERNET,13000.50,3", "2026-10,C2,VOICE,3000.25,5"]),
            scope="440100",
            today=dt.date(2026, 11, 23),
        )
        after = report_document(conn, unit="440100", month=OCT, now=at(2))
        live = compile_figures(conn, unit="440100", month=OCT)
    assert after.figures == before.figures  # the submitted snapshot is untouched
    assert {k["key"]: k["value"] for k in after.figures["key_figures"]}["revenue"] == "15000.75"
    assert {k["key"]: k["value"] for k in live["key_figures"]}["revenue"] == "16000.75"
    assert "主要指标·收入（元）：提交时 15,000.75，现在 16,000.75" in after.live_differs


def test_refusals_each_say_why_and_write_nothing(ready):
    db = ready
    with db.engine.begin() as conn:
        start_report(conn, unit="440100", month=OCT, by="GZ1", now=at(0))
    # approving or returning a draft
    refused(db, lambda c: approve_report(c, unit="440100", month=OCT, by="GDH", now=at(1)), "还没有提交")
    with db.engine.begin() as conn:
        submit_report(conn, unit="440100", month=OCT, by="GZ1", now=at(1))
    refused(db, lambda c: submit_report(c, unit="440100", month=OCT, by="GZ1", now=at(2)), "已于", "不能重复提交")
    refused(
        db,
        lambda c: save_narratives(c, unit="440100", month=OCT, by="GZ1", narratives={"plan": "改"}, now=at(2)),
        "已提交",
        "不能修改",
    )
    refused(db, lambda c: approve_report(c, unit="440100", month=OCT, by="ZJH", now=at(2)), "浙江", "不是", "直属下级")
    refused(db, lambda c: approve_report(c, unit="440100", month=OCT, by="JTH", now=at(2)), "直属下级", "广东")
    refused(db, lambda c: approve_report(c, unit="440100", month=OCT, by="GZH", now=at(2)), "本单位")
    refused(db, lambda c: approve_report(c, unit="440100", month=OCT, by="GD1", now=at(2)), "负责人")
    refused(
        db,
        lambda c: return_report(c, unit="440100", month=OCT, by="GDH", reason="  ", now=at(2)),
        "原因",
        error=ValidationError,
    )
    refused(db, lambda c: revise_report(c, unit="440100", month=OCT, by="GZ1", now=at(2)), "只有退回的月报")
    # months: the current one, a future one, one without revenue
    refused(db, lambda c: start_report(c, unit="440300", month=202611, by="SZ1", now=at(0)), "尚未结束")
    refused(db, lambda c: start_report(c, unit="440300", month=202701, by="SZ1", now=at(0)), "将来")
    refused(db, lambda c: start_report(c, unit="440300", month=202608, by="SZ1", now=at(0)), "没有收入数据")
    refused(db, lambda c: start_report(c, unit="440300", month=SEP - 100, by="SZ1", now=at(0)), "没有收入数据")
    # someone else's unit, an unknown person, a unit that does not report
    refused(db, lambda c: start_report(c, unit="440300", month=OCT, by="GZ1", now=at(0)), "不属于")
    refused(db, lambda c: start_report(c, unit="440300", month=OCT, by="NOBODY", now=at(0)), "NOBODY", error=NotFound)
    refused(db, lambda c: start_report(c, unit="440100", month=OCT, by="GZ1", now=at(0)), "已有第 1 版")
    with db.engine.begin() as conn:
        county = conn.execute(text("SELECT code FROM org_unit WHERE level = 'county' LIMIT 1")).scalar()
    if county:
        refused(
            db,
            lambda c: start_report(c, unit=county, month=OCT, by="GZ1", now=at(0)),
            "不编制月报",
            error=ValidationError,
        )


def test_a_stale_editor_is_told_and_overwrites_nothing(ready):
    db = ready
    with db.engine.begin() as conn:
        read = start_report(conn, unit="440100", month=OCT, by="GZ1", now=at(0))
        save_narratives(conn, unit="440100", month=OCT, by="GZH", narratives={"plan": "负责人的计划"}, now=at(1))
    refused(
        db,
        lambda c: save_narratives(
            c,
            unit="440100",
            month=OCT,
            by="GZ1",
            narratives={"plan": "经理的计划"},
            now=at(2),
            expected_row_version=read.row_version,
        ),
        "刚被别人修改过",
        error=ReportChanged,
    )
    with db.engine.connect() as conn:
        assert current_report(conn, unit="440100", month=OCT).narratives["plan"] == "负责人的计划"


def test_two_approvers_at_once_exactly_one_succeeds(ready):
    db = ready
    with db.engine.begin() as conn:
        make_staff(conn, "GDH2", "广东副负责人", "440000", "head")
        start_report(conn, unit="440100", month=OCT, by="GZ1", now=at(0))
        submit_report(conn, unit="440100", month=OCT, by="GZ1", now=at(1))
        info = current_report(conn, unit="440100", month=OCT)
    engine = create_engine(db.url)
    outcomes: list[str] = []
    barrier = threading.Barrier(2)

    def decide(who, approve):
        barrier.wait()
        try:
            with engine.begin() as conn:
                if approve:
                    approve_report(
                        conn, unit="440100", month=OCT, by=who, now=at(2), expected_row_version=info.row_version
                    )
                else:
                    return_report(
                        conn,
                        unit="440100",
                        month=OCT,
                        by=who,
                        reason="数据有误",
                        now=at(2),
                        expected_row_version=info.row_version,
                    )
            outcomes.append("ok")
        except (ReportChanged, ReportNotAllowed) as exc:
            outcomes.append(type(exc).__name__)
        except Exception as exc:  # noqa: BLE001 - SQLite's writer lock surfaces as an OperationalError
            outcomes.append(type(exc).__name__)

    threads = [
        threading.Thread(target=decide, args=("GDH", True)),
        threading.Thread(target=decide, args=("GDH2", False)),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    engine.dispose()
    assert sorted(outcomes).count("ok") == 1, outcomes
    with db.engine.connect() as conn:
        status = current_report(conn, unit="440100", month=OCT).status
        decisions = conn.execute(
            text("SELECT count(*) FROM monthly_report_event WHERE action IN ('approve','return')")
        ).scalar()
    assert status in ("approved", "returned") and decisions == 1


def test_province_rollup_flags_cities_not_approved_and_freezes_on_submit(ready):
    db = ready
    with db.engine.begin() as conn:
        start_report(conn, unit="440100", month=OCT, by="GZ1", now=at(0))
        submit_report(conn, unit="440100", month=OCT, by="GZ1", now=at(1))
        approve_report(conn, unit="440100", month=OCT, by="GDH", now=at(2))
        start_report(conn, unit="440300", month=OCT, by="SZ1", now=at(2))
        table = {r["code"]: r for r in rollup(conn, unit="440000", month=OCT)}
    assert len(table) == 21  # every city of Guangdong
    gz, sz, fs = table["440100"], table["440300"], table["440600"]
    assert (gz["status"], gz["version"], gz["revenue"], gz["lines"], gz["accounts"]) == (
        "approved",
        1,
        "15000.75",
        8,
        2,
    )
    assert gz["approved_at"] == "2026-11-23 12:00"
    assert (sz["status"], sz["revenue"]) == ("draft", None)
    assert (fs["status"], fs["status_label"], fs["version"]) == ("not_started", "未开始", None)
    with db.engine.begin() as conn:
        start_report(conn, unit="440000", month=OCT, by="GD1", now=at(3))
        submit_report(conn, unit="440000", month=OCT, by="GD1", now=at(4))
        # Shenzhen is approved only after the province submitted: the province's snapshot keeps what it saw
        submit_report(conn, unit="440300", month=OCT, by="SZ1", now=at(5))
        approve_report(conn, unit="440300", month=OCT, by="GDH", now=at(6))
        doc = report_document(conn, unit="440000", month=OCT, now=at(7))
        live = {r["code"]: r for r in rollup(conn, unit="440000", month=OCT)}
    frozen = {r["code"]: r for r in doc.figures["rollup"]}
    assert frozen["440300"]["status"] == "draft" and live["440300"]["status"] == "approved"
    assert live["440300"]["revenue"] == "5000.00"
    # the group approves the province; the group's own report is approved by its head, not its submitter
    with db.engine.begin() as conn:
        approve_report(conn, unit="440000", month=OCT, by="JTH", now=at(8))
        start_report(conn, unit="000000", month=OCT, by="JTH", now=at(9))
        submit_report(conn, unit="000000", month=OCT, by="JTH", now=at(10))
    refused(db, lambda c: approve_report(c, unit="000000", month=OCT, by="JTH", now=at(11)), "自己提交")
    with db.engine.begin() as conn:
        group = {r["code"]: r for r in rollup(conn, unit="000000", month=OCT)}
        assert len(group) == 31 and group["440000"]["status"] == "approved"
        assert group["440000"]["revenue"] == "20000.75"  # Guangdong's snapshot: Guangzhou 15000.75 + Shenzhen 5000


def test_status_board_deadlines_and_overdue(ready):
    db = ready
    assert deadline("city", OCT) == dt.date(2026, 11, 5) and deadline("province", OCT) == dt.date(2026, 11, 10)
    assert deadline("group", 202612) == dt.date(2027, 1, 15)
    with db.engine.begin() as conn:
        start_report(conn, unit="440100", month=SEP, by="GZ1", now=dt.datetime(2026, 10, 2, 9, tzinfo=BEIJING))
        submit_report(conn, unit="440100", month=SEP, by="GZ1", now=dt.datetime(2026, 10, 5, 23, 59, tzinfo=BEIJING))
        start_report(conn, unit="440300", month=SEP, by="SZ1", now=dt.datetime(2026, 10, 3, 9, tzinfo=BEIJING))
        submit_report(conn, unit="440300", month=SEP, by="SZ1", now=dt.datetime(2026, 10, 6, 0, 1, tzinfo=BEIJING))
        return_report(
            conn, unit="440300", month=SEP, by="GDH", reason="补充", now=dt.datetime(2026, 10, 6, 9, tzinfo=BEIJING)
        )
        on_time = status_board(conn, unit="440000", month=SEP, now=dt.datetime(2026, 10, 5, 12, tzinfo=BEIJING))
        after = status_board(conn, unit="440000", month=SEP, now=dt.datetime(2026, 10, 8, 12, tzinfo=BEIJING))
    rows = {r.code: r for r in after.rows}
    assert len(rows) == 21
    gz, sz, fs = rows["440100"], rows["440300"], rows["440600"]
    assert (gz.status, gz.overdue, gz.late) == ("submitted", False, False)
    assert (sz.status, sz.overdue, sz.late, sz.days_overdue) == ("returned", True, True, 3)
    assert (fs.status, fs.status_label, fs.overdue, fs.days_overdue) == ("not_started", "未开始", True, 3)
    assert after.count("not_started") == 19 and after.overdue == 20
    assert not any(r.overdue for r in on_time.rows)
    with db.engine.connect() as conn:
        board = status_board(conn, unit="000000", month=SEP, now=NOW)
    assert len(board.rows) == 31 and board.rows[0].deadline == dt.date(2026, 10, 10)


def test_what_each_person_may_do(ready):
    db = ready
    with db.engine.begin() as conn:
        assert allowed_actions(conn, unit="440100", month=OCT, by="GZ1", now=at(0)).start
        assert not allowed_actions(conn, unit="440100", month=OCT, by="GDH", now=at(0)).start
        assert "尚未结束" in allowed_actions(conn, unit="440100", month=202611, by="GZ1", now=at(0)).why_not
        start_report(conn, unit="440100", month=OCT, by="GZ1", now=at(0))
        assert allowed_actions(conn, unit="440100", month=OCT, by="GZ1", now=at(0)).submit
        submit_report(conn, unit="440100", month=OCT, by="GZ1", now=at(1))
        mine = allowed_actions(conn, unit="440100", month=OCT, by="GZ1", now=at(1))
        assert not (mine.edit or mine.submit) and "只读" in mine.why_not
        head = allowed_actions(conn, unit="440100", month=OCT, by="GDH", now=at(1))
        assert head.approve and head.send_back
        assert not allowed_actions(conn, unit="440100", month=OCT, by="GD1", now=at(1)).approve
        assert not allowed_actions(conn, unit="440100", month=OCT, by="JTH", now=at(1)).approve


def test_a_draft_document_is_computed_now_and_a_missing_one_too(ready):
    db = ready
    with db.engine.connect() as conn:
        none = report_document(conn, unit="440100", month=OCT, now=at(0))
        assert (none.version, none.status, none.status_label, none.frozen) == (None, "none", "未编制", False)
        assert none.figures["key_figures"][0]["value"] == "15000.75"
        with pytest.raises(ReportNotAllowed, match="将来"):
            report_document(conn, unit="440100", month=202701, now=at(0))
