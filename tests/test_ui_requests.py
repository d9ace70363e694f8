"""The service-request screens on a real database with a controlled clock: raising from the dialog (the route
preview, refusals next to the fields), a whole lifecycle through the view's buttons across two cities of one
province (the buttons change with the identity), a refused action that changes nothing, a stale view told
that someone acted first, the page's views and filters, the route chart's highlighted holder, the timeline,
attachments, the account page's requests tab and the tree's inbox badges."""

from __future__ import annotations

import datetime as dt

import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QMessageBox
from sqlalchemy import text

from kam_console.demo import seed_demo
from kam_console.models import Service
from kam_console.services.account_edit import AccountInput, create_account
from kam_console.services.catalogues import list_units
from kam_console.services.request_queries import inbox_counts, list_requests, request_detail
from kam_console.services.service_requests import act, escalate_overdue, raise_request
from kam_console.services.sla import BEIJING
from kam_console.services.staff import StaffInput, add_staff, find_identity
from ui.identity import IdentityHolder
from ui.request_route_chart import HOLDER, NEXT, PASSED, ROLE_COORDINATOR, ROLE_INVOLVED, ROLE_ROUTE
from ui.request_view import RequestDesk, RequestView, available_actions, due_text
from ui.requests_page import COL_DUE, COL_LEFT, RequestsPage
from ui.tasks import BackgroundTasks

# Monday 2026-11-23 09:00 Beijing time
T0 = dt.datetime(2026, 11, 23, 9, 0, tzinfo=BEIJING).astimezone(dt.UTC)
STAFF = {
    "GZ1": ("广州经理", "440100"),
    "GZ2": ("广州经理乙", "440100"),
    "SZ1": ("深圳经理", "440300"),
    "GD1": ("广东协调", "440000"),
    "HZ1": ("杭州经理", "330100"),
    "JT1": ("集团协调", "000000"),
}
WAIT = 10_000


class Clock:
    """The desk's clock: starts at T0, moved by the test."""

    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, hours: float = 1) -> None:
        self.now += dt.timedelta(hours=hours)


@pytest.fixture
def tasks(qapp):
    t = BackgroundTasks()
    yield t
    t.wait_for_workers(5000)


@pytest.fixture
def ready(sqlite_db):
    """Six people in 广州, 深圳, 广东, 杭州 and the group; an account served in 广州 with a circuit to 深圳."""
    with sqlite_db.engine.begin() as conn:
        for no, (name, unit) in STAFF.items():
            add_staff(conn, employee_no=no, data=StaffInput(name, unit, "customer_manager"))
        create_account(conn, customer_no="C1", data=AccountInput("广州某物流公司", "TRN", "city", "440100", "440100"))
        create_account(conn, customer_no="C2", data=AccountInput("广州某银行", "FIN", "city", "440100", "440100"))
    with sqlite_db.session() as session:
        ids = dict(session.execute(text("SELECT code, id FROM org_unit WHERE code IN ('440100', '440300')")).all())
        account = session.execute(text("SELECT id FROM account WHERE customer_no = 'C1'")).scalar()
        product = session.execute(text("SELECT id FROM product ORDER BY sort_order LIMIT 1")).scalar()
        session.add(
            Service(
                service_no="DL1",
                account_id=account,
                product_id=product,
                bandwidth="2M",
                a_city_id=ids["440100"],
                z_city_id=ids["440300"],
                start_date=dt.date(2026, 1, 1),
            )
        )
        session.commit()
    return sqlite_db


@pytest.fixture
def desk(qtbot, ready, tasks, tmp_path):
    holder = IdentityHolder(ready, tasks, QSettings(str(tmp_path / "ui.ini"), QSettings.Format.IniFormat))
    clock = Clock()
    d = RequestDesk(ready, tasks, holder, clock=clock)
    d.test_clock = clock
    d.chosen = []
    d._choose_identity = lambda: d.chosen.append(True)
    yield d
    for window in list(d.windows):
        window.close()


def be(desk, employee_no: str | None) -> None:
    """Switch the current identity."""
    if employee_no is None:
        desk.identity_holder.set(None)
        return
    with desk.db.engine.connect() as conn:
        desk.identity_holder.set(find_identity(conn, employee_no=employee_no))


@pytest.fixture
def view(qtbot, desk):
    v = RequestView(desk)
    qtbot.addWidget(v)
    v.resize(1100, 700)
    v.show()
    return v


def raise_one(db, units=("440100", "440300"), *, by="GZ1", account="C1", type_="fault", now=T0, **kw) -> str:
    with db.engine.begin() as conn:
        return raise_request(conn, account=account, type_=type_, units=list(units), as_staff=by, now=now, **kw).number


def show(qtbot, view, number: str) -> None:
    with qtbot.waitSignal(view.loaded, timeout=WAIT):
        view.show_request(number)


def do(qtbot, view, action: str, note: str | None = None, **choices):
    """Act through the view: click the button, fill the dialog, confirm, wait for the reload."""
    clock = getattr(view.desk, "test_clock", None)
    if clock is not None:
        clock.advance()
    button = view.action_buttons[action]
    assert not button.isHidden(), f"{action} is not offered: {view.offered_actions()}"
    button.click()
    dialog = view.action_dialog
    assert dialog is not None and dialog.action == action
    if note is not None:
        dialog.text_edit.setPlainText(note)
    if "to_unit" in choices:
        dialog.set_target(choices["to_unit"])
    with qtbot.waitSignals([view.acted, view.loaded], timeout=WAIT):
        dialog.ok_button.click()
    assert view.action_dialog is None  # closed on success


def state(db, number: str) -> tuple[str, str, str]:
    with db.engine.connect() as conn:
        row = conn.execute(
            text(
                "SELECT r.state, r.stage, u.code FROM service_request r JOIN org_unit u ON u.id = r.holder_unit_id"
                " WHERE r.number = :n"
            ),
            {"n": number},
        ).one()
    return tuple(row)


def snapshot(db) -> list:
    with db.engine.connect() as conn:
        return [
            conn.execute(text(f"SELECT * FROM {t} ORDER BY 1")).all()
            for t in ("service_request", "request_hop", "request_subtask", "request_stage", "request_unit")
        ]


def highlighted(view) -> list[tuple[str, str]]:
    return sorted((box.role, box.code) for box in view.chart.current_layout().highlighted())


# --- small pieces --------------------------------------------------------------------------------------


def test_deadline_texts():
    due = T0
    assert due_text(due, T0 + dt.timedelta(hours=5.5)) == "已超时 5.5 小时"
    assert due_text(due, T0 - dt.timedelta(hours=2)) == "剩 2 小时"
    assert due_text(due, T0 - dt.timedelta(minutes=40)) == "剩 40 分钟"
    assert due_text(due, T0 - dt.timedelta(hours=72)) == "剩 3 天"
    assert due_text(None, T0) == ""


def test_view_without_a_request_and_without_an_identity(qtbot, view, ready):
    assert view.placeholder.isVisible() and not view.content.isVisible()
    number = raise_one(ready)
    show(qtbot, view, number)
    assert view.offered_actions() == []
    assert "选择您的身份" in view.actions_label.text()
    view.actions_label.linkActivated.emit("choose")
    assert view.desk.chosen == [True]


# --- raising -------------------------------------------------------------------------------------------


def test_raise_from_the_dialog_with_the_route_preview(qtbot, desk, ready, monkeypatch):
    asked = []
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: asked.append(a) or QMessageBox.StandardButton.Yes)
    assert desk.raise_request(customer_no="C1") is None  # nobody chosen yet: asked to choose first
    assert asked and desk.chosen == [True]

    be(desk, "GZ1")
    dialog = desk.raise_request(customer_no="C1")
    qtbot.addWidget(dialog)
    qtbot.waitUntil(lambda: dialog.account is not None and bool(dialog.units), timeout=WAIT)
    # offered from the account: its serving city (ticked) and its circuit's other end
    assert list(dialog.unit_boxes) == ["440100", "440300"]
    assert dialog.chosen_units() == ["440100"]
    assert "DL1" in dialog.unit_boxes["440300"].text() and "Z 端" in dialog.unit_boxes["440300"].text()
    qtbot.waitUntil(lambda: "广州" in dialog.preview.text(), timeout=WAIT)
    assert dialog.preview.text() == "协调单位：广州市大客户部；本单位直接协调处理，无需上报"

    with qtbot.waitSignal(dialog.preview_shown, timeout=WAIT) as shown:
        dialog.unit_boxes["440300"].setChecked(True)
    assert shown.args[0] == "协调单位：广东省大客户部；上报路径：广州 → 广东"
    with qtbot.waitSignal(dialog.preview_shown, timeout=WAIT) as shown:
        dialog.set_units(["440100", "440300", "330100"])  # 杭州 from the organisation
    assert shown.args[0] == "协调单位：集团公司大客户事业部；上报路径：广州 → 广东 → 集团"
    assert "从组织中选择" in dialog.unit_boxes["330100"].text()
    with qtbot.waitSignal(dialog.preview_shown, timeout=WAIT):
        dialog.unit_boxes["330100"].setChecked(False)

    # refused next to the field: no unit ticked
    for box in dialog.unit_boxes.values():
        box.setChecked(False)
    dialog.ok_button.click()
    assert dialog.units_field.error.text() == "至少勾选一个涉及的地市或区县"
    assert dialog.isVisible()

    dialog.set_units(["440100", "440300"])
    dialog.type_combo.setCurrentIndex(dialog.type_combo.findData("new_circuit"))
    dialog.priority_combo.setCurrentIndex(dialog.priority_combo.findData("high"))
    dialog.title_edit.setText("新开 2M 电路")
    dialog.description_edit.setPlainText("客户要求新开广州—深圳 2M 电路")
    dialog.add_attachment_path(r"\\share\ka\需求单.pdf")
    with qtbot.waitSignal(desk.changed, timeout=WAIT) as raised:
        dialog.ok_button.click()
    number = raised.args[0]
    with ready.engine.connect() as conn:
        d = request_detail(conn, number=number, now=T0)
    assert (d.type, d.priority, d.title, d.coordinator.code) == ("new_circuit", "high", "新开 2M 电路", "440000")
    assert [u.code for u in d.involved] == ["440100", "440300"]
    assert [a.reference for a in d.attachments] == [r"\\share\ka\需求单.pdf"]
    assert d.raised_by.employee_no == "GZ1" and d.raised_at == T0
    # the new request opens in its own window
    qtbot.waitUntil(lambda: any(w.view.number == number and w.view.data for w in desk.windows), timeout=WAIT)


def test_raise_dialog_finds_accounts_and_refuses_a_bad_unit(qtbot, desk, ready):
    be(desk, "GZ1")
    dialog = desk.raise_request()
    qtbot.addWidget(dialog)
    assert dialog.account is None
    dialog.ok_button.click()
    assert dialog.account_field.error.text() == "请选择客户"
    dialog.account_search.setText("银行")
    dialog._search()
    qtbot.waitUntil(lambda: dialog.account_results.count() > 0 and dialog.account_results.isVisible(), timeout=WAIT)
    item = dialog.account_results.item(0)
    assert "C2" in item.text()
    with qtbot.waitSignal(dialog.account_loaded, timeout=WAIT):
        dialog.account_results.itemClicked.emit(item)
    assert dialog.account.customer_no == "C2" and "广州某银行" in dialog.account_chosen.text()
    with qtbot.waitSignal(dialog.preview_shown, timeout=WAIT):
        dialog.set_units(["440000"])  # a province cannot be an involved unit: the core says why
    qtbot.waitUntil(lambda: bool(dialog.units_field.error.text()), timeout=WAIT)
    assert "省级单位" in dialog.units_field.error.text() and "地市或区县" in dialog.units_field.error.text()
    assert dialog.preview.text() == "无法确定流转路径"
    with ready.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM service_request")).scalar() == 0


# --- acting --------------------------------------------------------------------------------------------


def test_a_whole_lifecycle_through_the_buttons_across_two_cities_of_a_province(qtbot, desk, view, ready):
    number = raise_one(ready, ("440100", "440300"))
    show(qtbot, view, number)

    be(desk, "GZ1")  # the raising unit: the request has already climbed to 广东
    assert view.offered_actions() == ["comment", "cancel"]
    be(desk, "HZ1")  # unrelated
    assert view.offered_actions() == []
    assert "无需处理" in view.actions_label.text()
    be(desk, "GD1")  # the coordinator holds it
    assert view.offered_actions() == ["accept", "return", "comment"]
    assert highlighted(view) == [(ROLE_COORDINATOR, "440000")]

    do(qtbot, view, "accept")
    assert state(ready, number) == ("coordinating", "coordinate", "440000")
    assert view.offered_actions() == ["dispatch", "return", "comment"]
    involved = {b.code: b.state for b in view.chart.current_layout().boxes_of(ROLE_INVOLVED)}
    assert involved == {"440100": NEXT, "440300": NEXT}

    do(qtbot, view, "dispatch", "请两地核查")
    assert state(ready, number)[:2] == ("processing", "handle")
    assert view.offered_actions() == ["reassign", "urge", "comment"]  # 广东 is above both cities
    assert highlighted(view) == [(ROLE_INVOLVED, "440100"), (ROLE_INVOLVED, "440300")]
    assert view.subtasks_table.rowCount() == 2

    be(desk, "GZ1")
    assert view.offered_actions() == ["reply", "return", "comment", "cancel"]
    view.action_buttons["reply"].click()
    dialog = view.action_dialog
    dialog.ok_button.click()  # no text: refused in the dialog before anything is sent
    assert dialog.text_field.error.text() == "回复需要写明处理结果"
    dialog.reject()
    do(qtbot, view, "reply", "广州端已处理")
    assert view.offered_actions() == ["comment", "cancel"]

    be(desk, "SZ1")
    assert view.offered_actions() == ["reply", "return", "comment"]
    do(qtbot, view, "reply", "深圳端已处理")
    assert state(ready, number) == ("processing", "resolve", "440000")

    be(desk, "GD1")
    assert view.offered_actions() == ["resolve", "comment"]
    view.action_buttons["resolve"].click()
    assert "广州端已处理" in view.action_dialog.text() and "深圳端已处理" in view.action_dialog.text()
    view.action_dialog.reject()
    do(qtbot, view, "resolve", "两端均已恢复")
    assert state(ready, number) == ("resolved", "confirm", "440100")
    assert highlighted(view) == [(ROLE_ROUTE, "440100")]

    be(desk, "GZ1")
    assert view.offered_actions() == ["confirm", "return", "comment", "cancel"]
    do(qtbot, view, "confirm", "客户确认")
    assert state(ready, number)[0] == "closed"
    assert view.offered_actions() == ["comment"]
    assert highlighted(view) == []
    assert {b.state for b in view.chart.current_layout().boxes} == {PASSED}
    assert "已于" in view.deadline_label.text() and "关闭" in view.deadline_label.text()
    # the history: 广州's raise goes straight to 广东 (the route's next level), then each action once
    actions = [e.property("action") for e in view.timeline.entries]
    assert actions == ["raise", "accept", "dispatch", "dispatch", "reply", "reply", "resolve", "confirm"]


def test_available_actions_follow_the_core_rules(ready, desk):
    number = raise_one(ready, ("440100", "330100"))  # two provinces: the group coordinates
    with ready.engine.connect() as conn:
        d = request_detail(conn, number=number, now=T0)
        units = {u.code: u for u in list_units(conn)}
    assert d.holder.code == "440000"
    assert available_actions(d, "440000", units) == ["forward", "return", "comment"]
    assert available_actions(d, "000000", units) == ["urge", "comment"]  # above the holder
    assert available_actions(d, "440100", units) == ["comment", "cancel"]
    assert available_actions(d, "330100", units) == ["comment"]  # involved
    assert available_actions(d, "330000", units) == ["comment"]  # above an involved unit
    assert available_actions(d, "110100", units) == []
    assert available_actions(d, None, units) == []


def test_a_refused_action_shows_its_message_and_changes_nothing(qtbot, desk, view, ready):
    number = raise_one(ready, ("440100", "440300"))
    with ready.engine.begin() as conn:
        act(conn, number=number, action="accept", as_staff="GD1", now=T0)
        act(conn, number=number, action="dispatch", as_staff="GD1", now=T0)
    be(desk, "GD1")
    show(qtbot, view, number)
    before = snapshot(ready)
    # 改派 to a city outside 广东: the core refuses, the message sits next to the new unit
    view.action_buttons["reassign"].click()
    dialog = view.action_dialog
    dialog.from_combo.setCurrentIndex(dialog.from_combo.findData("440300"))
    dialog.set_target("330100")
    dialog.text_edit.setPlainText("深圳无资源")
    dialog.ok_button.click()
    qtbot.waitUntil(lambda: bool(dialog.to_field.error.text()), timeout=WAIT)
    assert "不在协调单位广东省大客户部的范围内" in dialog.to_field.error.text()
    assert dialog.isVisible() and dialog.ok_button.isEnabled()
    assert snapshot(ready) == before
    dialog.reject()

    # an action the unit may not take (forced: it is not offered) is refused with the core's reason
    be(desk, "HZ1")
    assert "forward" not in view.offered_actions()
    dialog = view.start_action("comment")
    dialog.text_edit.setPlainText("杭州想看看")
    dialog.ok_button.click()
    qtbot.waitUntil(lambda: dialog.general_error.isVisible(), timeout=WAIT)
    assert "与请求" in dialog.general_error.text() and "无关" in dialog.general_error.text()
    assert snapshot(ready) == before


def test_request_changed_when_another_connection_acted_first(qtbot, desk, view, ready):
    number = raise_one(ready, ("440100", "440300"))
    be(desk, "GD1")
    show(qtbot, view, number)
    assert "accept" in view.offered_actions()
    with ready.engine.begin() as conn:  # a colleague at 广东 accepts it from another desk
        act(conn, number=number, action="accept", as_staff="GD1", now=T0 + dt.timedelta(minutes=5))
    before = snapshot(ready)
    view.action_buttons["accept"].click()
    with qtbot.waitSignal(view.loaded, timeout=WAIT):
        view.action_dialog.ok_button.click()
    assert view.notice.isVisible() and "有了新的处理记录" in view.notice.text() and "没有保存" in view.notice.text()
    assert view.action_dialog is None
    assert snapshot(ready) == before  # nothing written
    assert view.data.detail.state == "coordinating"
    assert view.offered_actions() == ["dispatch", "return", "comment"]


def test_timeline_marks_system_escalations_and_urges(qtbot, desk, view, ready):
    number = raise_one(ready, ("440100", "440300"))
    with ready.engine.begin() as conn:
        act(conn, number=number, action="urge", as_staff="JT1", text="请加快", now=T0 + dt.timedelta(hours=1))
        escalate_overdue(conn, now=T0 + dt.timedelta(days=5))
    desk.test_clock.now = T0 + dt.timedelta(days=5)
    be(desk, "GD1")
    show(qtbot, view, number)
    kinds = [(e.property("action"), e.property("system")) for e in view.timeline.entries]
    assert kinds[0] == ("raise", False)
    assert ("urge", False) in kinds and ("escalate", True) in kinds
    escalation = view.timeline.entries[[k for k, _ in kinds].index("escalate")]
    assert "系统" in escalation.findChildren(type(view.title_label))[0].text()
    assert "已超时" in view.deadline_label.text() and "已升级" in view.deadline_label.text()


def test_attachments_open_with_the_desktop(qtbot, desk, view, ready, monkeypatch):
    from PySide6.QtGui import QDesktopServices

    number = raise_one(ready, attachments=["/srv/share/需求单.pdf", "https://wiki.example.com/sr/1"])
    show(qtbot, view, number)
    opened = []
    monkeypatch.setattr(QDesktopServices, "openUrl", lambda url: opened.append(url) or True)
    assert view.attachments.count() == 2 and view.tabs.tabText(2) == "附件 2"
    view.attachments.setCurrentRow(0)
    view.open_button.click()
    view.attachments.itemDoubleClicked.emit(view.attachments.item(1))
    assert opened[0].isLocalFile() and opened[0].toLocalFile() == "/srv/share/需求单.pdf"
    assert opened[1].toString() == "https://wiki.example.com/sr/1"


# --- the page ------------------------------------------------------------------------------------------


@pytest.fixture
def page(qtbot, desk):
    p = RequestsPage(desk)
    qtbot.addWidget(p)
    p.resize(1000, 700)
    p.show()
    return p


def listed(qtbot, page, change) -> list[str]:
    with qtbot.waitSignal(page.listed, timeout=WAIT):
        change()
    return page.numbers()


def expected(db, unit, **filters) -> list[str]:
    with db.engine.connect() as conn:
        return [r.number for r in list_requests(conn, unit=unit, now=T0 + dt.timedelta(hours=30), **filters)]


def test_page_views_and_filters_equal_the_query(qtbot, desk, page, ready):
    a = raise_one(ready, ("440100", "440300"), type_="fault")  # at 广东
    b = raise_one(ready, ("440100",), type_="complaint", by="GZ2")  # 广州 handles it itself
    c = raise_one(ready, ("440300", "330100"), by="SZ1", type_="billing")  # climbs to 广东, then the group
    with ready.engine.begin() as conn:
        act(conn, number=a, action="accept", as_staff="GD1", now=T0)
        act(conn, number=a, action="dispatch", as_staff="GD1", now=T0)
    desk.test_clock.now = T0 + dt.timedelta(hours=30)
    be(desk, "GZ1")
    assert listed(qtbot, page, lambda: page.set_unit("440100", "广州市大客户部")) == expected(ready, "440100")
    assert set(page.numbers()) == {a, b}  # 待办: its subtask of a, and b to accept
    assert page.heading.text() == "服务请求 · 广州市大客户部"
    assert listed(qtbot, page, lambda: page.set_view("raised")) == expected(ready, "440100", view="raised")
    assert set(page.numbers()) == {a, b}
    assert listed(qtbot, page, lambda: page.mine_check.setChecked(True)) == [a]  # GZ1 raised a, GZ2 raised b
    page.mine_check.setChecked(False)
    qtbot.waitUntil(lambda: len(page.numbers()) == 2, timeout=WAIT)
    type_index = page.type_combo.findData("complaint")
    assert listed(qtbot, page, lambda: page.type_combo.setCurrentIndex(type_index)) == [b]
    page.type_combo.setCurrentIndex(0)
    qtbot.waitUntil(lambda: len(page.numbers()) == 2, timeout=WAIT)

    assert listed(qtbot, page, lambda: page.set_unit("440000", "广东省大客户部")) == expected(
        ready, "440000", view="raised"
    )
    assert page.numbers() == []
    assert "还没有发起过" in page.empty.text() and page.empty.isVisible()
    assert listed(qtbot, page, lambda: page.set_view("todo")) == expected(ready, "440000")
    assert page.numbers() == [c]
    assert listed(qtbot, page, lambda: page.set_view("below")) == expected(ready, "440000", view="below")
    assert set(page.numbers()) == {a, b, c}  # open requests held at 广东 or below it
    state_index = page.state_combo.findData("routing")
    shown = listed(qtbot, page, lambda: page.state_combo.setCurrentIndex(state_index))
    assert set(shown) == {b, c} and shown == expected(ready, "440000", view="below", state="routing")
    assert listed(qtbot, page, lambda: page.set_view("all")) == expected(ready, "440000", view="all", state="routing")
    assert page.numbers() == [c]  # b never reached 广东
    page.state_combo.setCurrentIndex(0)
    qtbot.waitUntil(lambda: set(page.numbers()) == {a, c}, timeout=WAIT)
    overdue = expected(ready, "440000", view="all", overdue=True)
    assert listed(qtbot, page, lambda: page.overdue_check.setChecked(True)) == overdue
    assert overdue  # 30 hours on, some deadlines have passed
    for row in range(page.model.rowCount()):
        r = page.model.row_at(row)
        colour = page.model.index(row, COL_DUE).data(Qt.ItemDataRole.ForegroundRole)
        assert r.overdue and colour is not None and colour.name() == "#c62828"
        assert page.model.index(row, COL_LEFT).data().startswith("已超时")
    assert "已超时" in page.count_label.text()


def test_selecting_a_row_shows_the_request_and_double_click_opens_a_window(qtbot, desk, page, ready):
    number = raise_one(ready, ("440100", "440300"))
    be(desk, "GD1")
    listed(qtbot, page, lambda: page.set_unit("440000", "广东省大客户部"))
    with qtbot.waitSignal(page.request_view.loaded, timeout=WAIT):
        page.select_number(number)
    assert page.request_view.number == number and page.request_view.offered_actions()[0] == "accept"
    index = page.proxy.index(0, 0)
    page.table.doubleClicked.emit(index)
    assert [w.view.number for w in desk.windows] == [number]
    window = desk.windows[0]
    qtbot.waitUntil(lambda: window.view.data is not None, timeout=WAIT)
    # acting in the window refreshes the page (the request leaves 广东's to-do list) and keeps it shown
    with qtbot.waitSignal(page.listed, timeout=WAIT):
        do(qtbot, window.view, "return", "请补充电路编号")
    assert page.numbers() == [] and page.request_view.number == number
    qtbot.waitUntil(lambda: page.request_view.data.detail.holder.code == "440100", timeout=WAIT)


# --- the window: badges, the page, the account page -----------------------------------------------------


@pytest.fixture
def window(qtbot, sqlite_db, tasks):
    from ui.main_window import MainWindow

    seed_demo(sqlite_db, scale="small", seed=2, today=dt.date(2026, 11, 23))
    w = MainWindow(sqlite_db, tasks)
    w.request_desk.clock = lambda: T0
    qtbot.addWidget(w)
    w.show()
    with qtbot.waitSignal(w.loaded, timeout=WAIT):
        w.refresh()
    return w


def _customer_manager(db, unit: str) -> str:
    with db.engine.connect() as conn:
        return conn.execute(
            text(
                "SELECT s.employee_no FROM staff s JOIN org_unit u ON u.id = s.unit_id"
                " WHERE u.code = :u AND s.position = 'customer_manager' AND s.active ORDER BY 1 LIMIT 1"
            ),
            {"u": unit},
        ).scalar()


def _badges(model) -> dict[str, tuple[int, int]]:
    return {code: model.inbox(code) for code in model.codes() if model.inbox(code) != (0, 0)}


def test_inbox_badges_equal_the_query_and_follow_actions(qtbot, window, sqlite_db):
    from ui.org_tree_model import OverdueRole, TodoRole

    with sqlite_db.engine.begin() as conn:
        number = raise_request(
            conn,
            account=conn.execute(text("SELECT customer_no FROM account ORDER BY id LIMIT 1")).scalar(),
            type_="fault",
            units=["440100", "440300"],
            as_staff=_customer_manager(sqlite_db, "440100"),
            now=T0,
        ).number
    with qtbot.waitSignal(window.loaded, timeout=WAIT):
        window.refresh()
    model = window.tree_panel.model
    with sqlite_db.engine.connect() as conn:
        counts = inbox_counts(conn, now=T0)
    assert _badges(model) == {code: (c.todo, c.overdue) for code, c in counts.items() if c.todo}
    guangdong = model.index_for_code("440000")
    assert guangdong.data(TodoRole) == counts["440000"].todo >= 1
    assert guangdong.data(OverdueRole) == counts["440000"].overdue
    assert "待处理服务请求" in guangdong.data(Qt.ItemDataRole.ToolTipRole)

    # an action in a request window moves the badge from 广东 to the two cities
    with sqlite_db.engine.connect() as conn:
        window.identity.set(find_identity(conn, employee_no=_customer_manager(sqlite_db, "440000")))
    request_window = window.request_desk.open_request(number)
    qtbot.waitUntil(lambda: request_window.view.data is not None, timeout=WAIT)
    before = model.inbox("440300")[0]
    window.request_desk.clock = lambda: T0 + dt.timedelta(minutes=10)
    do(qtbot, request_window.view, "accept")
    do(qtbot, request_window.view, "dispatch")
    qtbot.waitUntil(lambda: model.inbox("440300")[0] == before + 1, timeout=WAIT)
    with sqlite_db.engine.connect() as conn:
        counts = inbox_counts(conn, now=T0 + dt.timedelta(minutes=10))
    qtbot.waitUntil(
        lambda: _badges(model) == {code: (c.todo, c.overdue) for code, c in counts.items() if c.todo}, timeout=WAIT
    )


def test_requests_page_in_the_window_follows_the_tree(qtbot, window):
    window.tree_panel.select_code("440100")
    window.action_requests.trigger()
    assert window.pages.currentWidget() is window.requests_page
    assert window.action_requests.shortcut().toString() == "Ctrl+3"
    qtbot.waitUntil(lambda: window.requests_page.unit == "440100", timeout=WAIT)
    assert window.requests_page.heading.text() == "服务请求 · 广州市大客户部"
    with qtbot.waitSignal(window.requests_page.listed, timeout=WAIT):
        window.tree_panel.select_code("440300")
    assert window.requests_page.unit == "440300"


def test_account_page_lists_its_requests_and_raises_one(qtbot, window, sqlite_db, monkeypatch):
    from ui.account_page import AccountPage
    from ui.raise_request_dialog import RaiseRequestDialog
    from ui.requests_page import ENDED_COLOUR

    with sqlite_db.engine.begin() as conn:
        account_id, customer_no = conn.execute(
            text(
                "SELECT a.id, a.customer_no FROM account a JOIN org_unit u ON u.id = a.serving_city_id"
                " WHERE u.code = '440100' AND a.id NOT IN (SELECT account_id FROM service_request)"
                " ORDER BY a.id LIMIT 1"  # an account the demo data raised nothing for
            )
        ).one()
        gz = _customer_manager(sqlite_db, "440100")
        open_one = raise_request(conn, account=customer_no, type_="fault", units=["440100"], as_staff=gz, now=T0)
        ended = raise_request(conn, account=customer_no, type_="change", units=["440100"], as_staff=gz, now=T0)
        act(conn, number=ended.number, action="cancel", as_staff=gz, text="客户撤回", now=T0)
    page = AccountPage(sqlite_db, window.tasks, account_id, requests=window.request_desk)
    qtbot.addWidget(page)
    with qtbot.waitSignal(page.requests_listed, timeout=WAIT):
        page.show()
    model = page.requests_model
    assert [r.number for r in model.rows] == [open_one.number, ended.number]  # open first, ended after
    grey = model.index(1, 0).data(Qt.ItemDataRole.ForegroundRole)
    assert grey is not None and grey.name() == ENDED_COLOUR
    assert model.index(0, 0).data(Qt.ItemDataRole.ForegroundRole) is None
    assert "在办 1 条" in page.requests_note.text() and "已结束 1 条" in page.requests_note.text()
    assert page.tabs.tabText(page.tabs.indexOf(page.requests_tab)) == "服务请求（1）"
    assert page.raise_button.isVisible()

    with sqlite_db.engine.connect() as conn:
        window.identity.set(find_identity(conn, employee_no=gz))
    qtbot.waitUntil(lambda: page.detail is not None, timeout=WAIT)
    page.raise_button.click()
    dialogs = page.findChildren(RaiseRequestDialog)
    assert len(dialogs) == 1
    dialog = dialogs[0]
    qtbot.waitUntil(lambda: dialog.account is not None, timeout=WAIT)
    assert dialog.account.customer_no == customer_no
    dialog.reject()

    # the request's account link opens the account page
    opened = []
    monkeypatch.setattr(window, "open_account", lambda account: opened.append(account))
    page.close()
    window.request_desk.account_requested.emit(customer_no)
    qtbot.waitUntil(lambda: opened == [account_id], timeout=WAIT)


# --- models and the chart without a window ------------------------------------------------------------


def test_request_table_model_without_a_window(qapp, ready):
    from ui.requests_page import COL_HOLDER, COL_NUMBER, ENDED_COLOUR, NumberRole, OverdueRole, RequestTableModel

    model = RequestTableModel()
    assert model.rowCount() == 0 and model.columnCount() == 9
    a = raise_one(ready, ("440100", "440300"))
    b = raise_one(ready, ("440100",))
    with ready.engine.begin() as conn:
        act(conn, number=b, action="cancel", as_staff="GZ1", text="客户撤回", now=T0)
        rows = list_requests(conn, unit="440100", now=T0 + dt.timedelta(days=3), view="raised")
    model.set_rows(rows, T0 + dt.timedelta(days=3))
    assert [model.index(r, COL_NUMBER).data(NumberRole) for r in range(2)] == [a, b]
    assert model.index(0, COL_HOLDER).data() == "广东省大客户部"  # no catalogue given: the full name
    assert model.index(0, COL_DUE).data(OverdueRole) is True
    assert model.index(0, COL_LEFT).data().startswith("已超时")
    assert model.index(1, COL_LEFT).data() == "已撤销" and model.index(1, COL_DUE).data() == "—"
    assert model.index(1, COL_NUMBER).data(Qt.ItemDataRole.ForegroundRole).name() == ENDED_COLOUR
    assert model.headerData(COL_DUE, Qt.Orientation.Horizontal) == "时限（北京时间）"


def _route(db, number, now=T0):
    from ui.request_route_chart import route_data

    with db.engine.connect() as conn:
        detail = request_detail(conn, number=number, now=now)
        units = {u.code: u for u in list_units(conn)}
    return route_data(detail, units)


def _no_overlap(layout) -> None:
    boxes = layout.boxes
    for i, one in enumerate(boxes):
        for other in boxes[i + 1 :]:
            assert not one.rect.intersects(other.rect), (one.lines, other.lines)
        assert not one.rect.intersects(layout.legend_rect)


def test_route_chart_layout_for_degenerate_routes(qapp, ready):
    from PySide6.QtCore import QRectF
    from PySide6.QtGui import QFont

    from ui.request_route_chart import CANCELLED, ROLE_MORE, WAITING, layout_route

    font = QFont()
    # the same city: the raising unit coordinates; nothing climbs
    same = _route(ready, raise_one(ready, ("440100",)))
    layout = layout_route(same, QRectF(0, 0, 600, 320), font)
    assert [b.role for b in layout.boxes] == [ROLE_COORDINATOR, ROLE_INVOLVED]
    assert [b.state for b in layout.boxes] == [HOLDER, NEXT]  # 广州 accepts, then its own subtask
    assert layout.boxes[0].lines[1] == "发起并协调 · 待受理"
    _no_overlap(layout)
    # two provinces: three levels on the left, the coordinator on top, the cities below it
    far = _route(ready, raise_one(ready, ("440100", "330100")))
    layout = layout_route(far, QRectF(0, 0, 700, 360), font)
    route = layout.boxes_of(ROLE_ROUTE)
    assert [b.code for b in route] == ["440100", "440000"]
    assert route[0].rect.top() > route[1].rect.top() > layout.boxes_of(ROLE_COORDINATOR)[0].rect.top()
    assert [b.state for b in route] == [PASSED, HOLDER] and far.caption == "当前：广东（上报）"
    _no_overlap(layout)
    # many involved units: the first few and a "more" box, still inside a narrow chart
    many = _route(
        ready,
        raise_one(ready, ("440100", "440200", "440300", "440400", "440500", "440600", "440700", "440800", "440900")),
    )
    layout = layout_route(many, QRectF(0, 0, 1000, 300), font)
    assert len(layout.boxes_of(ROLE_INVOLVED)) == 7 and len(layout.boxes_of(ROLE_MORE)) == 1
    _no_overlap(layout)
    layout = layout_route(many, QRectF(0, 0, 420, 300), font)
    drawn = len(layout.boxes_of(ROLE_INVOLVED))
    assert 1 <= drawn < 7 and len(layout.boxes_of(ROLE_MORE)) == 1
    assert layout.boxes_of(ROLE_MORE)[0].lines[0] == f"另 {9 - drawn} 个"
    assert all(0 <= b.rect.left() and b.rect.right() <= 420 for b in layout.boxes)
    _no_overlap(layout)
    # cancelled: every box says so, nobody holds it
    number = raise_one(ready, ("440100", "440300"))
    with ready.engine.begin() as conn:
        act(conn, number=number, action="cancel", as_staff="GZ1", text="客户撤回", now=T0)
    gone = _route(ready, number)
    assert {n.state for _, n in gone.nodes()} == {CANCELLED} and gone.holders() == []
    # too small to draw: nothing, no error
    assert layout_route(gone, QRectF(0, 0, 10, 10), font).boxes == []
    assert WAITING not in {n.state for _, n in same.nodes()}


def test_tree_model_inbox_badges_without_a_window(qapp, ready):
    from kam_console.services.request_queries import InboxCount
    from ui.org_tree_model import OrgTreeModel, OverdueRole, TodoRole, load_org_tree
    from ui.org_tree_panel import InboxBadgeDelegate, badge_texts

    model = OrgTreeModel()
    data = load_org_tree(ready)
    data.inbox = {"440000": InboxCount("440000", 3, 1, {"routing": 3})}
    model.set_tree(data)
    gd = model.index_for_code("440000")
    assert (gd.data(TodoRole), gd.data(OverdueRole)) == (3, 1) and model.inbox("440000") == (3, 1)
    assert "待处理服务请求 3 条，其中 1 条已超时" in gd.data(Qt.ItemDataRole.ToolTipRole)
    assert model.inbox("440100") == (0, 0)
    model.set_inbox({"440100": InboxCount("440100", 2, 0)})
    assert model.index_for_code("440000").data(TodoRole) == 0 and model.inbox("440100") == (2, 0)
    assert "待处理服务请求" not in model.index_for_code("440000").data(Qt.ItemDataRole.ToolTipRole)
    assert badge_texts(2, 0) == [("2", "#2563eb")]
    assert badge_texts(3, 1) == [("3", "#2563eb"), ("超时1", "#dc2626")]
    assert badge_texts(0, 0) == []
    from PySide6.QtWidgets import QStyleOptionViewItem

    delegate = InboxBadgeDelegate()
    option = QStyleOptionViewItem()
    wide = delegate.sizeHint(option, model.index_for_code("440100")).width()
    plain = delegate.sizeHint(option, model.index_for_code("440300")).width()
    assert wide > plain


def test_unit_picker_finds_units_by_name_code_and_initials(qtbot, ready):
    from ui.raise_request_dialog import UnitPickerDialog

    with ready.engine.connect() as conn:
        units = [u for u in list_units(conn) if u.level in ("city", "county")]
    picker = UnitPickerDialog(units, title="选择涉及单位", chosen=["440100"])
    qtbot.addWidget(picker)

    def visible() -> list[str]:
        return [picker.units[r].code for r in range(picker.list.count()) if not picker.list.item(r).isHidden()]

    assert picker.chosen() == ["440100"]
    picker.search.setText("gz")
    assert "440100" in visible() and "440300" not in visible()
    picker.search.setText("440300")
    assert visible() == ["440300"]
    picker.search.setText("深圳")
    picker.check("440300")
    assert picker.chosen() == ["440100", "440300"]
    picker.search.setText("没有这个地方")
    assert visible() == [] and not picker.empty.isHidden()


def test_escalations_refresh_badges_and_open_requests(qtbot, window, sqlite_db):
    with sqlite_db.engine.begin() as conn:
        number = raise_request(
            conn,
            account=conn.execute(text("SELECT customer_no FROM account ORDER BY id LIMIT 1")).scalar(),
            type_="fault",
            units=["440100", "440300"],
            as_staff=_customer_manager(sqlite_db, "440100"),
            now=T0,
        ).number
    request_window = window.request_desk.open_request(number)
    qtbot.waitUntil(lambda: request_window.view.data is not None, timeout=WAIT)
    assert request_window.view.data.detail.escalations == ()
    later = T0 + dt.timedelta(days=3)
    with sqlite_db.engine.begin() as conn:
        done = escalate_overdue(conn, now=later)
    window.request_desk.clock = lambda: later
    with qtbot.waitSignal(request_window.view.loaded, timeout=WAIT):
        window.requests_escalated([e for e in done if e.number == number])
    assert len(request_window.view.data.detail.escalations) == 1
    with sqlite_db.engine.connect() as conn:
        counts = inbox_counts(conn, now=later)
    model = window.tree_panel.model
    qtbot.waitUntil(lambda: model.inbox("440000") == (counts["440000"].todo, counts["440000"].overdue), timeout=WAIT)
