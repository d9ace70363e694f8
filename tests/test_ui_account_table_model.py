"""AccountTableModel without a window (and once under a QTableView): paging, headers, roles, sorting,
empty and degenerate data, failures — against a fake fetcher, then against a demo database."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import pytest
from PySide6.QtCore import QModelIndex, Qt

from kam_console.errors import NotFound
from kam_console.services.accounts import AccountPage, AccountQuery, AccountRow, count_accounts
from ui.account_table_model import (
    COL_CUSTOMER_NO,
    COL_INDUSTRY,
    COL_LEVEL,
    COL_MANAGER,
    COL_NAME,
    COL_OWNER_UNIT,
    COL_REVENUE,
    COL_SERVING_CITY,
    COL_STATUS,
    AccountTableModel,
    IdRole,
    SortRole,
    database_fetcher,
)

DISPLAY = Qt.ItemDataRole.DisplayRole
ALIGN = Qt.ItemDataRole.TextAlignmentRole
RIGHT = int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
LEFT = int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)


def account(i: int, **kw) -> AccountRow:
    values = dict(
        id=i,
        customer_no=f"KA{i:06d}",
        name=f"测试客户{i}有限公司",
        level="city",
        industry="金融",
        owner_unit="广州",
        serving_city="广州",
        manager=f"经理{i % 3}",
        status="active",
        revenue_fen=(i * 7919) % 100_000,
        industry_code="FIN",
        serving_city_code="440100",
        manager_no=f"E{i % 3:03d}",
    )
    values.update(kw)
    return AccountRow(**values)


@dataclass
class FakeFetcher:
    """Pages over a list in memory; the cursor is simply the offset of the next row."""

    rows: list[AccountRow]
    page_size: int = 20
    calls: list[tuple[AccountQuery, object]] = field(default_factory=list)
    fail_with: Exception | None = None

    def __call__(self, query: AccountQuery, after) -> AccountPage:
        self.calls.append((query, after))
        if self.fail_with is not None:
            raise self.fail_with
        key = {"revenue": lambda r: (r.revenue_fen, r.id), "name": lambda r: (r.name, r.id)}.get(
            query.sort, lambda r: (r.customer_no, r.id)
        )
        ordered = sorted(self.rows, key=key, reverse=query.descending)
        start = after or 0
        chunk = ordered[start : start + self.page_size]
        more = start + self.page_size < len(ordered)
        return AccountPage(rows=chunk, next_cursor=start + self.page_size if more else None, month=202610)


@pytest.fixture
def fake():
    return FakeFetcher([account(i) for i in range(1, 46)])


@pytest.fixture
def model(qapp, fake):
    return AccountTableModel(fake)


def texts(model, column: int) -> list[str]:
    return [model.index(r, column).data() for r in range(model.rowCount())]


def test_headers_in_chinese_with_the_money_column_right_aligned(model):
    assert model.columnCount() == 9
    labels = [model.headerData(c, Qt.Orientation.Horizontal) for c in range(model.columnCount())]
    assert labels == [
        "客户编号",
        "客户名称",
        "级别",
        "行业",
        "归属单位",
        "服务地市",
        "负责客户经理",
        "状态",
        "最新月收入（元）",  # which month is not known before a page was read
    ]
    assert model.headerData(COL_REVENUE, Qt.Orientation.Horizontal, ALIGN) == RIGHT
    assert model.headerData(COL_NAME, Qt.Orientation.Horizontal, ALIGN) == LEFT


def test_revenue_header_names_the_month_the_rows_show(qtbot, model, fake):
    with qtbot.waitSignal(model.headerDataChanged) as blocker:
        model.fetchMore(QModelIndex())
    assert blocker.args == [Qt.Orientation.Horizontal, COL_REVENUE, COL_REVENUE]
    assert model.month == 202610
    assert model.headerData(COL_REVENUE, Qt.Orientation.Horizontal) == "2026-10收入（元）"
    assert model.headerData(COL_REVENUE, Qt.Orientation.Horizontal, Qt.ItemDataRole.ToolTipRole) == "2026年10月的收入"
    with qtbot.assertNotEmitted(model.headerDataChanged):
        model.fetchMore(QModelIndex())  # the same month again: nothing to repaint


def test_row_count_grows_a_page_at_a_time(model, fake):
    assert model.rowCount() == 0 and model.canFetchMore(QModelIndex())
    sizes = []
    while model.canFetchMore(QModelIndex()):
        model.fetchMore(QModelIndex())
        sizes.append(model.rowCount())
    assert sizes == [20, 40, 45]
    assert [after for _, after in fake.calls] == [None, 20, 40]
    model.fetchMore(QModelIndex())
    assert len(fake.calls) == 3  # nothing more to read
    assert texts(model, COL_CUSTOMER_NO) == [f"KA{i:06d}" for i in range(1, 46)]


def test_rows_inserted_signal_per_page(qtbot, model):
    with qtbot.waitSignal(model.rowsInserted) as blocker:
        model.fetchMore(QModelIndex())
    assert blocker.args[1:] == [0, 19]


def test_display_alignment_sort_and_id_roles(qapp):
    row = account(
        7,
        name="中国石油化工股份有限公司广东石油分公司",
        level="provincial",
        industry="能源",
        owner_unit="广东",
        serving_city="广州",
        manager="王伟",
        manager_no="E00000042",
        status="dormant",
        revenue_fen=123_456_789,
        industry_code="ENE",
    )
    model = AccountTableModel(FakeFetcher([row]))
    model.fetchMore(QModelIndex())
    cells = [model.index(0, c).data() for c in range(model.columnCount())]
    assert cells == [
        "KA000007",
        "中国石油化工股份有限公司广东石油分公司",
        "省级",
        "能源",
        "广东",
        "广州",
        "王伟",
        "休眠",
        "1,234,567.89",
    ]
    assert model.index(0, COL_REVENUE).data(ALIGN) == RIGHT
    assert all(model.index(0, c).data(ALIGN) == LEFT for c in range(COL_REVENUE))
    raw = {c: model.index(0, c).data(SortRole) for c in range(model.columnCount())}
    assert raw[COL_REVENUE] == 123_456_789 and isinstance(raw[COL_REVENUE], int)
    assert raw[COL_LEVEL] == 1 and raw[COL_STATUS] == 2  # business order: 全国性 省级 地市级; 潜在 在网 休眠 流失
    assert (raw[COL_CUSTOMER_NO], raw[COL_INDUSTRY], raw[COL_MANAGER]) == ("KA000007", "ENE", "E00000042")
    assert raw[COL_SERVING_CITY] == "440100" and raw[COL_OWNER_UNIT] == "广东"
    assert {model.index(0, c).data(IdRole) for c in range(model.columnCount())} == {7}
    assert model.index(0, COL_MANAGER).data(Qt.ItemDataRole.ToolTipRole) == "工号：E00000042"
    assert model.headerData(COL_REVENUE, Qt.Orientation.Horizontal, Qt.ItemDataRole.ToolTipRole) == "2026年10月的收入"
    assert model.row_at(0) is row and model.row_at(1) is None


def test_unassigned_manager_and_zero_revenue(qapp):
    model = AccountTableModel(FakeFetcher([account(1, manager=None, manager_no=None, revenue_fen=0)]))
    model.fetchMore(QModelIndex())
    assert model.index(0, COL_MANAGER).data() == "未分配"
    assert model.index(0, COL_REVENUE).data() == "0.00"
    assert model.index(0, COL_REVENUE).data(SortRole) == 0
    assert model.index(0, COL_MANAGER).data(SortRole) == ""
    assert model.index(0, COL_MANAGER).data(Qt.ItemDataRole.ToolTipRole) is None


def test_negative_revenue_keeps_its_sign(qapp):
    model = AccountTableModel(FakeFetcher([account(1, revenue_fen=-123_456)]))
    model.fetchMore(QModelIndex())
    assert model.index(0, COL_REVENUE).data() == "-1,234.56"


def test_sorting_starts_again_from_the_first_page_in_the_database(qtbot, model, fake):
    model.fetchMore(QModelIndex())
    model.fetchMore(QModelIndex())
    assert model.rowCount() == 40
    with qtbot.waitSignal(model.modelReset):
        model.sort(COL_REVENUE, Qt.SortOrder.DescendingOrder)
    query, after = fake.calls[-1]
    assert (query.sort, query.descending, after) == ("revenue", True, None)
    assert model.rowCount() == 20  # the first page of the new order, not the 40 rows re-sorted
    revenue = [model.index(r, COL_REVENUE).data(SortRole) for r in range(model.rowCount())]
    assert revenue == sorted((r.revenue_fen for r in fake.rows), reverse=True)[:20]
    assert model.sort_column() == COL_REVENUE and model.sort_order() == Qt.SortOrder.DescendingOrder
    calls = len(fake.calls)
    model.sort(COL_REVENUE, Qt.SortOrder.DescendingOrder)  # the order already shown
    model.sort(COL_OWNER_UNIT, Qt.SortOrder.AscendingOrder)  # not a sortable column
    assert len(fake.calls) == calls and model.rowCount() == 20
    model.sort(COL_NAME)
    assert fake.calls[-1][0].sort == "name" and not fake.calls[-1][0].descending


def test_a_view_switching_sorting_on_keeps_the_querys_order(qtbot, fake):
    """A view repeats its sort indicator's order when sorting is switched on, before any row is loaded: the
    query's own order stands, and nothing is read for it."""
    from PySide6.QtCore import QPoint
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QTableView

    model = AccountTableModel(fake, AccountQuery(unit="440100"))
    view = QTableView()
    qtbot.addWidget(view)
    view.setModel(model)
    view.horizontalHeader().setSortIndicator(model.sort_column(), model.sort_order())
    view.setSortingEnabled(True)
    assert (model.query.sort, model.query.descending) == ("customer_no", False) and fake.calls == []
    model.set_query(AccountQuery(unit="440000"))
    assert texts(model, COL_CUSTOMER_NO) == [f"KA{i:06d}" for i in range(1, 21)]
    view.show()
    qtbot.waitExposed(view)
    header = view.horizontalHeader()
    at = QPoint(header.sectionViewportPosition(COL_CUSTOMER_NO) + 10, header.height() // 2)
    QTest.mouseClick(header.viewport(), Qt.MouseButton.LeftButton, pos=at)  # the user asks for descending
    assert model.query.descending and fake.calls[-1] == (model.query, None)
    assert texts(model, COL_CUSTOMER_NO)[0] == "KA000045"


def test_set_query_keeps_nothing_of_the_previous_list(model, fake):
    model.fetch_all()
    assert model.rowCount() == 45
    query = AccountQuery(unit="440000", status="active", search="zgsh", sort="name")
    model.set_query(query)
    assert model.query == query
    assert fake.calls[-1] == (query, None)
    assert model.rowCount() == 20


def test_empty_list(qapp):
    fake = FakeFetcher([])
    model = AccountTableModel(fake)
    model.fetchMore(QModelIndex())
    assert model.rowCount() == 0 and not model.canFetchMore(QModelIndex())
    assert model.index(0, 0).data() is None
    assert model.headerData(COL_NAME, Qt.Orientation.Horizontal) == "客户名称"
    model.set_query(AccountQuery(search="无此客户"))
    assert model.rowCount() == 0 and len(fake.calls) == 2


def test_a_single_row_is_one_short_page(qapp):
    model = AccountTableModel(FakeFetcher([account(9)]))
    model.fetchMore(QModelIndex())
    assert model.rowCount() == 1 and not model.canFetchMore(QModelIndex())


def test_a_failed_page_is_reported_not_raised(qtbot, qapp):
    fake = FakeFetcher([account(1)], fail_with=NotFound("没有代码为 999999 的单位", "no unit"))
    model = AccountTableModel(fake)
    with qtbot.waitSignal(model.loadFailed) as blocker:
        model.fetchMore(QModelIndex())
    assert blocker.args == ["没有代码为 999999 的单位"]
    assert not model.canFetchMore(QModelIndex()) and model.rowCount() == 0
    fake.fail_with = RuntimeError("disk I/O error")
    with qtbot.waitSignal(model.loadFailed) as blocker:
        model.refresh()
    assert "disk I/O error" in blocker.args[0]
    fake.fail_with = None
    model.refresh()
    assert model.rowCount() == 1 and model.last_error is None


def test_a_page_for_an_older_query_is_dropped(model, fake):
    stale = fake(AccountQuery(), None)
    model.set_query(AccountQuery(sort="name"))
    generation_before = model._generation
    model._receive_page(generation_before - 1, stale)
    assert model.rowCount() == 20 and model.query.sort == "name"


def test_qt_model_checks(qtmodeltester, model):
    model.fetchMore(QModelIndex())
    qtmodeltester.check(model, force_py=True)


# --- against a demo database -----------------------------------------------------------------------


@pytest.fixture
def demo_db(sqlite_db):
    from kam_console.demo import seed_demo

    seed_demo(sqlite_db, scale="small", seed=3, today=dt.date(2026, 11, 23))
    return sqlite_db


def test_over_the_database(qapp, demo_db):
    model = AccountTableModel(database_fetcher(demo_db, page_size=150), AccountQuery(unit="440000"))
    model.fetch_all()
    with demo_db.engine.connect() as conn:
        assert model.rowCount() == count_accounts(conn, AccountQuery(unit="440000")) > 150
    model.sort(COL_REVENUE, Qt.SortOrder.DescendingOrder)
    assert model.rowCount() == 150  # the first page of the new order
    revenue = [model.index(r, COL_REVENUE).data(SortRole) for r in range(model.rowCount())]
    assert revenue == sorted(revenue, reverse=True)
    assert model.month == 202610
    ids = [model.index(r, 0).data(IdRole) for r in range(model.rowCount())]
    assert len(set(ids)) == len(ids)


def test_a_view_fetches_pages_as_it_scrolls(qtbot, demo_db):
    from PySide6.QtWidgets import QTableView

    model = AccountTableModel(database_fetcher(demo_db, page_size=50))
    view = QTableView()
    qtbot.addWidget(view)
    view.resize(900, 400)
    view.setModel(model)
    view.setSortingEnabled(True)
    view.sortByColumn(COL_NAME, Qt.SortOrder.AscendingOrder)
    view.show()
    qtbot.waitUntil(lambda: model.rowCount() >= 50)
    shown = model.rowCount()
    view.scrollToBottom()
    qtbot.waitUntil(lambda: model.rowCount() > shown)
    names = [model.index(r, COL_NAME).data() for r in range(model.rowCount())]
    assert names == sorted(names)


class DeferredRunner:
    """Holds page reads like a worker pool would, until the test lets them finish (in any order)."""

    def __init__(self):
        self.pending = []

    def __call__(self, work, on_done, on_error):
        self.pending.append((work, on_done, on_error))

    def finish(self, index: int = 0) -> None:
        work, on_done, on_error = self.pending.pop(index)
        try:
            page = work()
        except Exception as exc:  # noqa: BLE001
            on_error(exc)
        else:
            on_done(page)


def test_pages_read_elsewhere_arrive_later_and_a_page_for_an_older_query_is_dropped(qapp, fake):
    runner = DeferredRunner()
    model = AccountTableModel(fake, run=runner)
    model.set_query(AccountQuery(sort="customer_no"))
    assert model.rowCount() == 0 and model.is_loading() and not model.canFetchMore()
    model.sort(COL_REVENUE, Qt.SortOrder.DescendingOrder)  # the user re-sorts before the first page came
    assert len(runner.pending) == 2
    runner.finish(1)  # the new query's page first ...
    by_revenue = texts(model, COL_CUSTOMER_NO)
    assert len(by_revenue) == 20 and not model.is_loading()
    runner.finish(0)  # ... then the old one: dropped, never mixed in
    assert texts(model, COL_CUSTOMER_NO) == by_revenue
    assert model.canFetchMore()
    model.fetchMore(QModelIndex())
    runner.finish()
    assert model.rowCount() == 40


def test_a_failed_page_read_elsewhere_is_reported(qapp, fake):
    runner = DeferredRunner()
    model = AccountTableModel(fake, run=runner)
    failures = []
    model.loadFailed.connect(failures.append)
    fake.fail_with = NotFound("没有代码为 999999 的单位", "no unit")
    model.set_query(AccountQuery(unit="999999"))
    runner.finish()
    assert failures == ["没有代码为 999999 的单位"] and not model.canFetchMore()


def test_fetch_all_reads_on_in_place_even_with_a_page_in_flight(qapp, fake):
    runner = DeferredRunner()
    model = AccountTableModel(fake, run=runner)
    model.set_query(AccountQuery())
    model.fetch_all()
    assert model.rowCount() == 45 and not model.canFetchMore()
    runner.finish()  # the page that was in flight lands on a newer generation: dropped
    assert model.rowCount() == 45
