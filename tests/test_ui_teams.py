"""The 虚拟团队 page on a real database with a fixed clock: the list with its counts and filters, organising a
national-account team through the dialog, suggestions from the people serving the branches, adding one and
seeing a coverage gap close, ending a membership, refusals that change nothing, the shared log, the open
requests on covered accounts, the visibility hint — and the page's models and coverage map on their own."""

from __future__ import annotations

import datetime as dt

import pytest
from PySide6.QtCore import QEvent, QSettings, Qt
from PySide6.QtGui import QColor, QHelpEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QMessageBox, QToolTip
from sqlalchemy import select, text

from kam_console.importing.importers import import_revenue
from kam_console.models import Staff, VirtualTeam, VirtualTeamMember
from kam_console.services.account_edit import AccountInput, create_account
from kam_console.services.service_requests import raise_request
from kam_console.services.sla import BEIJING
from kam_console.services.staff import StaffInput, add_staff, find_identity
from kam_console.services.teams import CoverageRow, MemberRow, add_member, close_team, create_team
from ui.identity import IdentityHolder
from ui.tasks import BackgroundTasks
from ui.team_dialogs import AddMemberDialog, EndMembershipDialog, NewTeamDialog, SuggestionsDialog
from ui.team_view import (
    COL_STATUS,
    COVERED,
    GAP,
    NONE,
    PARTIAL,
    CoverageMap,
    MemberTableModel,
    StatusRole,
    coverage_summary,
    province_tiles,
)
from ui.teams_page import COL_ACCOUNTS, COL_MEMBERS, COL_PROVINCES, COL_SCOPE, TeamsPage

# Monday 2026-11-23 10:00 Beijing time
NOW = dt.datetime(2026, 11, 23, 10, 0, tzinfo=BEIJING)
TODAY = dt.date(2026, 11, 23)
WAIT = 10_000
STAFF = {
    "JTH": ("集团负责人", "000000", "head"),
    "JT1": ("集团客户经理", "000000", "customer_manager"),
    "GZ1": ("广州客户经理", "440100", "customer_manager"),
    "HZ1": ("杭州客户经理", "330100", "customer_manager"),
    "CD1": ("成都客户经理", "510100", "customer_manager"),
    "SC1": ("四川客户经理", "510000", "customer_manager"),
}
# a national head account served in Beijing with branches in three provinces, each with its city's manager
ACCOUNTS = [
    ("N1", "某能源集团有限公司", "ENE", "national", "000000", "110100", None, "JT1"),
    ("N1-GZ", "某能源集团广州分公司", "ENE", "national", "000000", "440100", "N1", "GZ1"),
    ("N1-HZ", "某能源集团杭州分公司", "ENE", "national", "000000", "330100", "N1", "HZ1"),
    ("N1-CD", "某能源集团成都分公司", "ENE", "national", "000000", "510100", "N1", "CD1"),
    ("C-GZ", "广州某物流公司", "TRN", "city", "440100", "440100", None, "GZ1"),
]
REVENUE = [
    "2026-09,N1,DC,100000.00,10",
    "2026-09,N1-GZ,INTERNET,20000.00,4",
    "2026-10,N1,DC,110000.00,10",
    "2026-10,N1-GZ,INTERNET,22000.00,4",
    "2026-10,N1-HZ,VOICE,8000.50,20",
    "2026-10,N1-CD,CLOUD,5000.00,2",
    "2026-10,C-GZ,INTERNET,3000.00,1",
]


@pytest.fixture
def tasks(qapp):
    t = BackgroundTasks()
    yield t
    t.wait_for_workers(5000)


@pytest.fixture
def ready(sqlite_db, tmp_path):
    with sqlite_db.engine.begin() as conn:
        for no, (name, unit, position) in STAFF.items():
            # heads are appointed through the upper unit's approval; the tests set them directly
            add_staff(
                conn, employee_no=no, data=StaffInput(name, unit, "market_manager" if position == "head" else position)
            )
            if position == "head":
                conn.execute(text("UPDATE staff SET position = 'head' WHERE employee_no = :no"), {"no": no})
        for no, name, industry, level, owner, city, parent, manager in ACCOUNTS:
            create_account(
                conn,
                customer_no=no,
                data=AccountInput(name, industry, level, owner, city, parent),
                manager=manager,
                today=TODAY,
            )
        path = tmp_path / "rev.csv"
        path.write_text("month,customer_no,product_code,revenue,billed_lines\n" + "".join(f"{r}\n" for r in REVENUE))
        import_revenue(conn, str(path), today=TODAY)
    return sqlite_db


@pytest.fixture
def team(ready):
    """A national-account team for N1 led by the group head, with the Guangzhou manager as a member."""
    with ready.engine.begin() as conn:
        code = create_team(
            conn, name="某能源集团服务团队", kind="account", lead_unit="000000", by="JTH", now=NOW, accounts=["N1"]
        )
        add_member(conn, team=code, employee_no="GZ1", role="member", start=dt.date(2026, 11, 1), by="JTH", now=NOW)
    return code


@pytest.fixture
def page(qtbot, ready, tasks, tmp_path):
    holder = IdentityHolder(ready, tasks, QSettings(str(tmp_path / "ui.ini"), QSettings.Format.IniFormat))
    p = TeamsPage(ready, tasks, holder, clock=lambda: NOW)
    qtbot.addWidget(p)
    p.resize(1100, 780)
    p.show()
    return p


def settled(page) -> bool:
    view = page.view
    return (
        (page._task is None or page._task.done)
        and (view._task is None or view._task.done)
        and all(t.done for t in page.tasks.active_tasks())
    )


def wait_idle(qtbot, page) -> None:
    qtbot.waitUntil(lambda: settled(page), timeout=WAIT)


def be(qtbot, page, employee_no: str | None) -> None:
    """Switch the current identity (the page reads again for them)."""
    if employee_no is None:
        page.identity_holder.set(None)
    else:
        with page.db.engine.connect() as conn:
            page.identity_holder.set(find_identity(conn, employee_no=employee_no))
    wait_idle(qtbot, page)


def show_team(qtbot, page, code: str, viewer: str | None = None) -> None:
    qtbot.waitUntil(lambda: code in page.team_codes(), timeout=WAIT)
    page.select_team(code)
    qtbot.waitUntil(
        lambda: (
            page.view.data is not None
            and page.view.data.detail.code == code
            and page.view.data.viewer == viewer
            and settled(page)
        ),
        timeout=WAIT,
    )


def members(conn, code: str) -> list[tuple]:
    m = VirtualTeamMember
    return [
        tuple(r)
        for r in conn.execute(
            select(Staff.employee_no, m.role, m.start_date, m.end_date)
            .join(Staff, Staff.id == m.staff_id)
            .join(VirtualTeam, VirtualTeam.id == m.team_id)
            .where(VirtualTeam.code == code)
            .order_by(Staff.employee_no)
        )
    ]


def state(conn) -> dict:
    tables = ("virtual_team", "virtual_team_account", "virtual_team_member", "team_activity")
    return {t: [tuple(r) for r in conn.execute(text(f"SELECT * FROM {t} ORDER BY 1"))] for t in tables}


def tile(page, code: str):
    return page.view.coverage_map.tile(code)


@pytest.fixture
def refusals(monkeypatch):
    shown: list[tuple[str, str]] = []

    def warning(_parent, title, message, *_args, **_kwargs):
        shown.append((title, message))
        return QMessageBox.StandardButton.Ok

    monkeypatch.setattr(QMessageBox, "warning", warning)
    return shown


# --- the list ---------------------------------------------------------------------------------------


def test_the_list_shows_teams_with_their_counts_and_filters_by_membership(qtbot, page, team):
    be(qtbot, page, "JTH")
    qtbot.waitUntil(lambda: page.team_codes() == [team], timeout=WAIT)
    model = page.model
    assert model.index(0, COL_SCOPE).data() == "某能源集团有限公司"
    assert model.index(0, COL_MEMBERS).data() == "2"  # the lead and the Guangzhou manager
    assert model.index(0, COL_PROVINCES).data() == "1"  # the group's head works in no province
    assert model.index(0, COL_ACCOUNTS).data() == "4"  # the head account and its three branches
    qtbot.waitUntil(lambda: page.view.data is not None and page.view.data.detail.code == team, timeout=WAIT)
    assert page.view.title.text().startswith("某能源集团服务团队")
    assert "牵头：集团公司大客户事业部" in page.view.meta.text()

    page.mine_check.setChecked(True)  # the head leads it
    wait_idle(qtbot, page)
    assert page.team_codes() == [team]
    be(qtbot, page, "HZ1")
    assert page.team_codes() == []
    assert "没有参与" in page.empty.text() and page.empty.isVisible()
    be(qtbot, page, "GZ1")
    assert page.team_codes() == [team]


def test_an_empty_database_says_how_teams_come_about(qtbot, page):
    wait_idle(qtbot, page)
    assert page.team_codes() == []
    assert "新建团队" in page.empty.text()
    assert page.view.data is None and page.view.message.isVisible()
    assert not page.new_button.isEnabled()  # nobody chosen yet


# --- organising a team ------------------------------------------------------------------------------


def test_the_group_head_organises_an_account_team_through_the_dialog(qtbot, page):
    be(qtbot, page, "SC1")
    assert not page.new_button.isEnabled()  # a customer manager does not organise teams
    be(qtbot, page, "JTH")
    assert page.new_button.isEnabled()
    dialog = page.new_team()
    assert isinstance(dialog, NewTeamDialog)
    assert dialog.lead_label.text() == "集团公司大客户事业部（000000）"
    dialog.ok_button.click()  # nothing typed yet: said under the field, nothing written
    assert dialog.name_field.error.text() == "请填写团队名称"
    dialog.name_edit.setText("某能源集团全国服务团队")
    dialog.account_search.setText("N1-GZ")  # a branch stands for its head account
    dialog.look_up()
    qtbot.waitUntil(lambda: dialog.account_list.count() == 1, timeout=WAIT)
    assert dialog.chosen_accounts() == ["N1"]
    assert "某能源集团有限公司" in dialog.account_list.item(0).text()
    dialog.description.setPlainText("总部统筹，属地执行")
    with qtbot.waitSignal(dialog.created, timeout=WAIT) as created:
        dialog.ok_button.click()
    code = created.args[0]
    qtbot.waitUntil(lambda: page.view.data is not None and page.view.data.detail.code == code, timeout=WAIT)
    assert page.team_codes() == [code]
    with page.db.engine.connect() as conn:
        row = conn.execute(text("SELECT name, kind, description FROM virtual_team WHERE code = :c"), {"c": code}).one()
        covered = conn.execute(
            text(
                "SELECT a.customer_no FROM virtual_team_account v JOIN account a ON a.id = v.account_id"
                " JOIN virtual_team t ON t.id = v.team_id WHERE t.code = :c"
            ),
            {"c": code},
        ).scalars()
        assert tuple(row) == ("某能源集团全国服务团队", "account", "总部统筹，属地执行")
        assert list(covered) == ["N1"]
        assert members(conn, code) == [("JTH", "lead", TODAY, None)]


def test_an_industry_team_needs_no_accounts(qtbot, page):
    be(qtbot, page, "JTH")
    dialog = page.new_team()
    dialog.kind_industry.setChecked(True)
    assert dialog.industry_field.isVisibleTo(dialog) and not dialog.accounts_field.isVisibleTo(dialog)
    qtbot.waitUntil(lambda: dialog.industry_combo.count() > 0, timeout=WAIT)
    dialog.industry_combo.setCurrentIndex(dialog.industry_combo.findData("ENE"))
    dialog.name_edit.setText("全国能源行业团队")
    with qtbot.waitSignal(dialog.created, timeout=WAIT) as created:
        dialog.ok_button.click()
    qtbot.waitUntil(lambda: created.args[0] in page.team_codes(), timeout=WAIT)
    assert page.model.index(0, COL_SCOPE).data() == "能源"


def test_a_closed_team_is_listed_on_request_greyed_and_read_only(qtbot, ready, team, page):
    with ready.engine.begin() as conn:
        close_team(conn, team=team, on=TODAY, by="JTH", now=NOW)
    be(qtbot, page, "JTH")
    assert page.team_codes() == []
    page.closed_check.setChecked(True)
    show_team(qtbot, page, team, "JTH")
    index = page.model.index(0, 1)
    assert index.data() == "某能源集团服务团队（已撤销）"
    assert index.data(Qt.ItemDataRole.ForegroundRole) == page.model.muted
    view = page.view
    assert "已于 2026-11-23 撤销" in view.meta.text()
    assert not view.add_button.isEnabled() and not view.suggest_button.isEnabled()
    assert not view.note_edit.isEnabled() and not view.post_button.isEnabled()
    assert all(not m.running for m in view.data.detail.members)
    assert coverage_summary(view.data.detail).startswith("覆盖 0 个省、0 个地市")


# --- members and coverage ---------------------------------------------------------------------------


def test_suggestions_list_the_branch_managers_and_adding_one_closes_a_gap(qtbot, page, team):
    be(qtbot, page, "JTH")
    show_team(qtbot, page, team, "JTH")
    view = page.view
    assert coverage_summary(view.data.detail) == "覆盖 1 个省、1 个地市；3 个地市有客户分支但团队无人"
    assert tile(page, "440000").state == COVERED
    assert tile(page, "330000").state == GAP and tile(page, "510000").state == GAP
    assert tile(page, "650000").state == NONE
    assert "杭州" in view.gap_list.toPlainText()
    assert view.suggest_button.isVisible() and view.suggest_button.isEnabled()
    assert "（3）" in view.suggest_button.text()

    dialog = view.suggest()
    assert isinstance(dialog, SuggestionsDialog)
    assert {s.employee_no for s in dialog.suggestions} == {"JT1", "HZ1", "CD1"}  # GZ1 is in already
    hz = next(s for s in dialog.suggestions if s.employee_no == "HZ1")
    assert hz.role == "member" and hz.why == "负责客户经理"
    row = [s.employee_no for s in dialog.suggestions].index("HZ1")
    assert dialog.table.item(row, 5).text() == "杭州"  # the city by its short name
    dialog.select_employee("HZ1")
    assert dialog.ok_button.text() == "添加所选（1）"
    with qtbot.waitSignal(dialog.added, timeout=WAIT):
        dialog.ok_button.click()
    qtbot.waitUntil(lambda: view.members_model.row_of("HZ1") >= 0 and settled(page), timeout=WAIT)
    assert tile(page, "330000").state == COVERED  # the gap in Hangzhou is gone
    assert "杭州" not in view.gap_list.toPlainText()
    assert coverage_summary(view.data.detail) == "覆盖 2 个省、2 个地市；2 个地市有客户分支但团队无人"
    assert "（2）" in view.suggest_button.text()
    assert page.model.index(0, COL_MEMBERS).data() == "3"  # the list follows
    with page.db.engine.connect() as conn:
        assert ("HZ1", "member", TODAY, None) in members(conn, team)


def test_adding_a_member_by_employee_number_with_an_end_date(qtbot, page, team):
    be(qtbot, page, "JTH")
    show_team(qtbot, page, team, "JTH")
    dialog = page.view.add_member()
    assert isinstance(dialog, AddMemberDialog)
    dialog.employee_edit.setText("CD1")
    dialog.look_up()
    qtbot.waitUntil(lambda: "成都客户经理" in dialog.person.text(), timeout=WAIT)
    dialog.role_combo.setCurrentIndex(dialog.role_combo.findData("local_contact"))
    dialog.end_check.setChecked(True)
    dialog.end_edit.setDate(dialog.end_edit.date().addDays(-400))  # before the start: said, nothing written
    dialog.ok_button.click()
    assert "早于开始日期" in dialog.error.text()
    dialog.end_edit.setDate(dialog.start_edit.date().addDays(30))
    with qtbot.waitSignal(dialog.added, timeout=WAIT):
        dialog.ok_button.click()
    qtbot.waitUntil(lambda: page.view.members_model.row_of("CD1") >= 0 and settled(page), timeout=WAIT)
    assert tile(page, "510000").state == COVERED
    with page.db.engine.connect() as conn:
        assert ("CD1", "local_contact", TODAY, TODAY + dt.timedelta(days=30)) in members(conn, team)


def test_ending_a_membership_mutes_the_row(qtbot, page, team):
    be(qtbot, page, "JTH")
    show_team(qtbot, page, team, "JTH")
    view = page.view
    assert view.select_member("GZ1")
    assert view.end_button.isEnabled()
    dialog = view.end_membership()
    assert isinstance(dialog, EndMembershipDialog)
    dialog.set_end(dt.date(2026, 11, 22))  # yesterday: from today on, no access
    with qtbot.waitSignal(dialog.ended, timeout=WAIT):
        dialog.ok_button.click()
    model = view.members_model
    qtbot.waitUntil(lambda: model.rowCount() and model.index(model.row_of("GZ1"), 0).data(StatusRole) == "ended")
    wait_idle(qtbot, page)
    row = model.row_of("GZ1")
    assert model.index(row, COL_STATUS).data() == "已结束"
    muted = model.index(row, 0).data(Qt.ItemDataRole.ForegroundRole)
    assert isinstance(muted, QColor) and muted == model.muted
    assert model.index(model.row_of("JTH"), 0).data(Qt.ItemDataRole.ForegroundRole) is None
    assert tile(page, "440000").state == GAP  # nobody in Guangzhou any more
    view.select_member("GZ1")
    assert not view.end_button.isEnabled()  # ended already
    with page.db.engine.connect() as conn:
        assert ("GZ1", "member", dt.date(2026, 11, 1), dt.date(2026, 11, 22)) in members(conn, team)


def test_a_member_who_is_not_the_lead_gets_the_refusal_and_nothing_changes(qtbot, page, team, refusals):
    be(qtbot, page, "GZ1")
    show_team(qtbot, page, team, "GZ1")
    with page.db.engine.connect() as conn:
        before = state(conn)
    dialog = page.view.add_member()
    dialog.employee_edit.setText("HZ1")
    dialog.ok_button.click()
    qtbot.waitUntil(lambda: bool(refusals) and not dialog.busy, timeout=WAIT)
    title, message = refusals[0]
    assert title == "不能添加成员"
    assert "不能调整成员" in message and "团队负责人" in message
    assert dialog.isVisible() and message in dialog.error.text()  # the dialog stays: nothing typed is lost
    dialog.reject()

    view = page.view
    view.select_member("JTH")
    ending = view.end_membership()
    ending.ok_button.click()
    qtbot.waitUntil(lambda: len(refusals) == 2 and not ending.busy, timeout=WAIT)
    assert refusals[1][0] == "不能结束成员资格"
    ending.reject()
    wait_idle(qtbot, page)
    with page.db.engine.connect() as conn:
        assert state(conn) == before


# --- the log, the accounts and the requests ---------------------------------------------------------


def test_a_member_posts_a_note_to_the_log_and_an_outsider_is_not_offered_it(qtbot, page, team):
    be(qtbot, page, "GZ1")
    show_team(qtbot, page, team, "GZ1")
    view = page.view
    view.tabs.setCurrentIndex(3)
    assert "组建了团队" in view.log_view.toPlainText()  # recorded by the system
    view.note_edit.setFocus()
    view.note_edit.setPlainText("广州分公司下周签约扩容")
    QTest.keyClick(view.note_edit, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: "广州分公司下周签约扩容" in view.log_view.toPlainText(), timeout=WAIT)
    assert view.note_edit.toPlainText() == ""
    assert view.log_view.toPlainText().index("广州分公司下周签约扩容") < view.log_view.toPlainText().index("组建了团队")
    with page.db.engine.connect() as conn:
        notes = conn.execute(text("SELECT text FROM team_activity WHERE kind = 'note'")).scalars().all()
    assert notes == ["广州分公司下周签约扩容"]

    be(qtbot, page, "SC1")
    show_team(qtbot, page, team, "SC1")
    # an outsider is not offered the log: the box is read-only and says why (the core refuses anyway)
    assert not view.post_button.isEnabled() and not view.note_edit.isEnabled()
    assert "不是本团队成员" in view.note_hint.text()
    with page.db.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM team_activity WHERE kind = 'note'")).scalar() == 1


def test_accounts_tab_shows_revenue_trend_and_the_visibility_hint_for_a_member(qtbot, page, team):
    be(qtbot, page, "GZ1")
    show_team(qtbot, page, team, "GZ1")
    view = page.view
    view.tabs.setCurrentIndex(1)
    assert view.tabs.tabText(1) == "客户与业绩（4）"
    numbers = [view.accounts_model.index(r, 0).data() for r in range(view.accounts_model.rowCount())]
    assert numbers == ["N1", "N1-GZ", "N1-HZ", "N1-CD"]  # by the month's revenue
    assert view.accounts_model.index(2, 2).data() == "杭州" and view.accounts_model.index(2, 3).data() == "浙江"
    assert view.accounts_model.index(2, 5).data() == "8,000.50"
    assert view.visibility_hint.isVisible()
    hint = view.visibility_hint.text()
    assert "您通过本团队可查看以下客户（含本单位辖区外的）" in hint
    assert "共 4 个" in hint and "辖区外的客户 3 个" in hint  # N1 in Beijing, Hangzhou and Chengdu
    assert view.figures_title.text() == "2026年10月 关键指标"
    assert view.tiles["revenue"].value.text() == "145,000.50"
    assert len(view.data.detail.trend) == 24 and not view.trend_chart.is_empty
    view.metric_ratio.setChecked(True)
    assert [s.name for s in view.trend_chart.series] == ["ARPU（元/线路）", "ARPA（元/客户）"]
    assert view.trend_table().rows[-1][1] == view.data.detail.trend[-1].figures.revenue
    with qtbot.waitSignal(view.account_requested, timeout=WAIT) as opened:
        view.accounts_view.doubleClicked.emit(view.accounts_proxy.index(2, 0))
    assert opened.args == ["N1-HZ"]

    be(qtbot, page, "HZ1")  # not a member: no hint
    show_team(qtbot, page, team, "HZ1")
    assert not view.visibility_hint.isVisible()


def test_requests_tab_lists_an_open_request_on_a_covered_account(qtbot, ready, team, page):
    with ready.engine.begin() as conn:
        raised = raise_request(
            conn, account="N1-HZ", type_="fault", units=["330100", "510100"], as_staff="HZ1", now=NOW
        )
        raise_request(conn, account="C-GZ", type_="fault", units=["440100"], as_staff="GZ1", now=NOW)  # not covered
    be(qtbot, page, "JTH")
    show_team(qtbot, page, team, "JTH")
    view = page.view
    view.tabs.setCurrentIndex(2)
    table = view.requests_table
    assert table.rowCount() == 1
    assert table.item(0, 0).text() == raised.number
    assert "某能源集团杭州分公司" in table.item(0, 1).text()
    assert table.item(0, 2).text() == "障碍"
    assert view.tabs.tabText(2).startswith("在办请求（1")
    with qtbot.waitSignal(view.request_activated, timeout=WAIT) as opened:
        table.cellDoubleClicked.emit(0, 1)
    assert opened.args == [raised.number]
    with qtbot.waitSignal(page.request_activated, timeout=WAIT) as opened:
        table.setCurrentCell(0, 0)
        QTest.keyClick(table, Qt.Key.Key_Return)
    assert opened.args == [raised.number]


# --- parts on their own -----------------------------------------------------------------------------


def _member(no: str, *, start: dt.date, end: dt.date | None, running: bool) -> MemberRow:
    return MemberRow(
        employee_no=no,
        name="某人",
        position_label="客户经理",
        unit_code="440100",
        unit_name="广州市大客户部",
        province_code="440000",
        province_name="广东省大客户部",
        role="member",
        role_label="成员",
        start=start,
        end=end,
        running=running,
        active_staff=False,
    )


def test_member_model_with_no_rows_and_with_degenerate_rows(qapp):
    model = MemberTableModel()
    model.set_rows([], TODAY, {})
    assert model.rowCount() == 0 and model.headerData(0, Qt.Orientation.Horizontal) == "姓名"
    future = _member("F1", start=TODAY + dt.timedelta(days=3), end=None, running=False)
    ended = _member("E1", start=dt.date(2026, 1, 1), end=dt.date(2026, 6, 30), running=False)
    model.set_rows([future, ended], TODAY, {})  # no unit names known: the core's names stand in
    assert model.index(0, 1).data() == "广州市大客户部"
    assert model.index(0, COL_STATUS).data() == "未开始（已停用）"
    assert model.index(0, 0).data(Qt.ItemDataRole.FontRole).italic()
    assert model.index(1, COL_STATUS).data(StatusRole) == "ended"
    assert model.index(1, 5).data() == "2026-01-01 至 2026-06-30"
    assert model.index(1, 0).data(Qt.ItemDataRole.ForegroundRole) == model.muted


def test_coverage_map_tiles_states_and_keyboard(qtbot, ready):
    from kam_console.services.catalogues import list_units

    with ready.engine.connect() as conn:
        units = {u.code: u for u in list_units(conn, include_inactive=True)}
    empty = province_tiles(units, [])
    assert len(empty) == 31 and {t.state for t in empty} == {NONE}
    coverage = [
        CoverageRow("440000", "广东省大客户部", 2, ("广州市大客户部",), 3, (("440300", "深圳市大客户部", 2),)),
        CoverageRow("330000", "浙江省大客户部", 0, (), 1, (("330100", "杭州市大客户部", 1),)),
        CoverageRow("110000", "北京市大客户部", 1, (), 0, ()),
    ]
    tiles = {t.code: t for t in province_tiles(units, coverage)}
    assert tiles["440000"].state == PARTIAL and tiles["440000"].member_cities == ("广州",)
    assert tiles["440000"].gap_cities == (("深圳", 2),)
    assert tiles["330000"].state == GAP and tiles["110000"].state == COVERED
    assert tiles["440000"].line() == "广东：2 名成员（广州）；3 个覆盖客户在此服务；无人地市：深圳（2）"

    chart = CoverageMap()
    qtbot.addWidget(chart)
    chart.set_tiles(list(tiles.values()))
    chart.show()
    for size in (chart.minimumSizeHint(), chart.sizeHint()):  # every tile inside, however small
        chart.resize(size)
        _labels, rects = chart.layout_tiles()
        assert len(rects) == 31
        assert all(r.right() <= chart.width() + 0.5 and r.bottom() <= chart.height() + 0.5 for r in rects.values())
    picked = []
    chart.current_changed.connect(picked.append)
    centre = rects["440000"].center()
    QTest.mouseClick(chart, Qt.MouseButton.LeftButton, pos=centre.toPoint())
    assert chart.current == "440000"
    QTest.keyClick(chart, Qt.Key.Key_Right)  # 广西, next in 中南
    QTest.keyClick(chart, Qt.Key.Key_Up)  # into 华东
    assert picked[:2] == ["440000", "450000"] and chart.current.startswith("3")
    chart.grab()  # paints without errors
    rects = chart.layout_tiles()[1]
    point = rects["330000"].center().toPoint()
    QApplication.sendEvent(chart, QHelpEvent(QEvent.Type.ToolTip, point, chart.mapToGlobal(point)))
    assert "无人地市：杭州（1）" in QToolTip.text() and "有客户、无成员" in QToolTip.text()


def test_the_main_window_opens_the_page_with_ctrl_6(qtbot, sqlite_db, tasks):
    from ui.main_window import MainWindow

    window = MainWindow(sqlite_db, tasks)
    qtbot.addWidget(window)
    window.show()
    with qtbot.waitSignal(window.loaded, timeout=WAIT):
        window.refresh()
    assert window.action_teams.shortcut().toString() == "Ctrl+6"
    assert window.action_teams in window.menuBar().actions()[1].menu().actions()
    window.action_teams.trigger()
    assert window.pages.currentWidget() is window.teams_page
    assert window.pages.tabText(window.pages.currentIndex()) == "虚拟团队"
    qtbot.waitUntil(lambda: settled(window.teams_page), timeout=WAIT)
    assert window.teams_page.team_codes() == []
