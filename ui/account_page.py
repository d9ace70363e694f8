"""One account's page (客户详情), a non-modal window: header, 概况, a 24-month revenue bar chart and tabs for
contacts, the account hierarchy, first local contacts, services and the responsible-manager history.

Data comes from ``kam_console.services.account_detail`` through a background read; the page only shows
it. Double-clicking a branch (or clicking the head account link) emits ``open_account(id)``, which the
page itself answers by opening that account's page.

The 服务请求 tab lists the account's service requests (open ones first by deadline, ended ones greyed);
given the window's ``RequestDesk``, a double-click opens one and 发起服务请求… raises one for this account.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor, QFont, QFontMetricsF
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)
from shiboken6 import isValid

from kam_console.db import Database
from kam_console.money import format_yuan
from kam_console.months import month_text as month_label
from kam_console.services.account_detail import AccountDetail, RevenuePoint, account_detail
from kam_console.services.request_queries import RequestRow
from kam_console.services.request_ui_support import account_requests
from ui.account_edit_dialog import AccountEditor
from ui.requests_page import NumberRole, RequestTableModel, fit_columns, make_request_table
from ui.style import set_muted
from ui.tasks import BackgroundTasks

if TYPE_CHECKING:
    from ui.request_view import RequestDesk

IdRole = Qt.ItemDataRole.UserRole + 1
LABEL_EVERY = 3  # one month label per this many bars, so labels never overlap
BAR_COLOUR = "#2563eb"
BRANCH_COL_REVENUE = 5


def _month_title(month: int) -> str:
    """202610 -> '2026年10月'."""
    return f"{month // 100}年{month % 100:02d}月"


def load_account_detail(db: Database, account_id: int) -> AccountDetail:
    with db.engine.connect() as conn:
        return account_detail(conn, account_id=account_id)


def load_account_requests(db: Database, account_id: int, now: dt.datetime) -> tuple[list[RequestRow], dt.datetime]:
    with db.engine.connect() as conn:
        return account_requests(conn, account_id=account_id, now=now), now


def _date(value: dt.date | dt.datetime | None) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        value = value.date()
    return value.isoformat()


class YuanAxis(pg.AxisItem):
    """A value axis in 元 with thousands separators (no SI prefixes)."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.enableAutoSIPrefix(False)

    def tickStrings(self, values, scale, spacing):  # noqa: N802 - pyqtgraph's API
        return [f"{v * scale:,.0f}" for v in values]

    def boundingRect(self):  # noqa: N802 - Qt's API
        # With grid lines on, pyqtgraph bounds the axis by the plot's own rectangle and drops every label
        # that pokes out of it — the 0 tick at the bottom edge (and the top one) among them. Half a line of
        # room above and below keeps them; the plot's margins leave that room free.
        half = QFontMetricsF(self.style["tickFont"] or QFont()).height() / 2 + 2
        return super().boundingRect().adjusted(0, -half, 0, half)


class RevenueChart(QWidget):
    """Monthly revenue as bars (元); an empty-state label when every month is zero."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.bar_heights: list[float] = []  # in 元, oldest month first (for tests)
        self.months: list[int] = []
        self.plot = pg.PlotWidget(parent=self, axisItems={"left": YuanAxis(orientation="left")}, background="w")
        self.plot.setObjectName("revenueChart")
        self.plot.setMenuEnabled(False)
        self.plot.setMouseEnabled(x=False, y=False)
        self.plot.hideButtons()
        self.plot.showGrid(x=False, y=True, alpha=0.25)
        font = QFont(self.font())
        for name in ("left", "bottom"):
            axis = self.plot.getAxis(name)
            axis.setTickFont(font)
            axis.setTextPen(pg.mkPen("#333333"))
            axis.setPen(pg.mkPen("#888888"))
            # Let the outermost labels (the newest month, the 0 tick) reach into the margins below.
            axis.setStyle(hideOverlappingLabels=False)
        self.plot.getAxis("left").setWidth(self.fontMetrics().horizontalAdvance("00,000,000") + 12)
        # Room on the right and bottom so the newest month's label and the 0 tick are not clipped.
        self.plot.getPlotItem().setContentsMargins(4, 8, 28, 4)
        self.bars: pg.BarGraphItem | None = None
        self.empty = QLabel(self.tr("近 24 个月无收入。"), self)
        self.empty.setObjectName("revenueEmpty")
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty.hide()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.plot, 1)
        layout.addWidget(self.empty, 1)

    def set_points(self, points: tuple[RevenuePoint, ...] | list[RevenuePoint]) -> None:
        self.months = [p.month for p in points]
        self.bar_heights = [p.revenue_fen / 100 for p in points]
        if self.bars is not None:
            self.plot.removeItem(self.bars)
            self.bars = None
        all_zero = not any(p.revenue_fen for p in points)
        self.empty.setText(self.tr("近 {0} 个月无收入。").format(len(points)))
        self.empty.setVisible(all_zero)
        self.plot.setVisible(not all_zero)
        if all_zero:
            return
        xs = list(range(len(points)))
        self.bars = pg.BarGraphItem(x=xs, height=self.bar_heights, width=0.7, brush=BAR_COLOUR, pen=pg.mkPen(None))
        self.plot.addItem(self.bars)
        major = [(i, month_label(m)) for i, m in enumerate(self.months) if (len(xs) - 1 - i) % LABEL_EVERY == 0]
        minor = [(i, "") for i in xs]
        self.plot.getAxis("bottom").setTicks([major, minor])
        self.plot.setXRange(-0.6, len(xs) - 0.4, padding=0)
        low, high = min(0.0, *self.bar_heights), max(0.0, *self.bar_heights)
        self.plot.setYRange(low, high * 1.08 if high > 0 else 1, padding=0)


def _table(parent: QWidget, name: str, headers: list[str], stretch: int | None = None) -> QTableWidget:
    table = QTableWidget(0, len(headers), parent)
    table.setObjectName(name)
    table.setHorizontalHeaderLabels(headers)
    table.setAlternatingRowColors(True)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.verticalHeader().setVisible(False)
    header = table.horizontalHeader()
    header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    if stretch is not None:
        header.setSectionResizeMode(stretch, QHeaderView.ResizeMode.Stretch)
    else:
        header.setStretchLastSection(True)
    return table


def _fill(table: QTableWidget, rows: list[list[str]], ids: list[int] | None = None) -> None:
    table.setRowCount(len(rows))
    for r, values in enumerate(rows):
        for c, value in enumerate(values):
            item = QTableWidgetItem(value)
            if ids is not None:
                item.setData(IdRole, ids[r])
            table.setItem(r, c, item)


class AccountPage(QDialog):
    #: Another account (a branch or the head account) should be opened.
    open_account = Signal(int)
    #: The detail arrived and is shown.
    loaded = Signal()

    #: the account's requests are listed
    requests_listed = Signal()

    def __init__(
        self,
        db: Database,
        tasks: BackgroundTasks,
        account_id: int,
        parent: QWidget | None = None,
        *,
        requests: RequestDesk | None = None,
    ) -> None:
        super().__init__(parent)
        self.db = db
        self.tasks = tasks
        self.account_id = account_id
        self.requests = requests
        self.detail: AccountDetail | None = None
        self.opened_pages: list[AccountPage] = []
        self.setModal(False)
        self.setWindowFlag(Qt.WindowType.WindowMinMaxButtonsHint, True)
        self.setWindowTitle(self.tr("客户：{0}").format("…"))
        self.resize(1000, 720)

        # Header
        self.name_label = QLabel(self.tr("正在读取…"), self)
        self.name_label.setObjectName("accountName")
        font = QFont(self.font())
        font.setPointSizeF(font.pointSizeF() * 1.4)
        font.setBold(True)
        self.name_label.setFont(font)
        self.name_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.meta_label = QLabel(self)
        self.meta_label.setObjectName("accountMeta")
        self.meta_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.editor = AccountEditor(db, tasks, self)
        self.editor.saved.connect(lambda _id: self.reload())
        self.edit_button = QPushButton(self.tr("编辑…"), self)
        self.edit_button.setObjectName("editAccount")
        self.edit_button.clicked.connect(lambda: self.editor.edit(self.account_id))
        self.reassign_button = QPushButton(self.tr("变更负责客户经理…"), self)
        self.reassign_button.setObjectName("reassignManager")
        self.reassign_button.clicked.connect(self._reassign)
        self.raise_button = QPushButton(self.tr("发起服务请求…"), self)
        self.raise_button.setObjectName("raiseRequest")
        self.raise_button.setToolTip(self.tr("为这个客户发起跨区域服务请求（以当前身份所在单位的名义）"))
        self.raise_button.clicked.connect(self._raise_request)
        self.raise_button.setVisible(requests is not None)

        # 概况
        self.summary_box = QGroupBox(self.tr("概况"), self)
        form = QFormLayout(self.summary_box)
        self.owner_value = QLabel(self.summary_box)
        self.city_value = QLabel(self.summary_box)
        self.manager_value = QLabel(self.summary_box)
        self.address_value = QLabel(self.summary_box)
        self.created_value = QLabel(self.summary_box)
        for widget in (self.owner_value, self.city_value, self.manager_value, self.address_value):
            widget.setWordWrap(True)
            widget.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        form.addRow(self.tr("归属单位："), self.owner_value)
        form.addRow(self.tr("服务地市："), self.city_value)
        form.addRow(self.tr("负责客户经理："), self.manager_value)
        form.addRow(self.tr("地址："), self.address_value)
        form.addRow(self.tr("建档日期："), self.created_value)
        # A head account's customer as a whole: its own revenue plus its branches' (newest month).
        self.group_total_label = QLabel(self.summary_box)
        self.group_total_label.setObjectName("groupTotal")
        self.group_total_label.setWordWrap(True)
        self.group_total_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        bold = QFont(self.group_total_label.font())
        bold.setBold(True)
        self.group_total_label.setFont(bold)
        self.group_total_label.hide()
        form.addRow(self.group_total_label)

        # Revenue chart
        self.chart_box = QGroupBox(self.tr("近 24 个月收入（元）"), self)
        self.chart = RevenueChart(self.chart_box)
        QVBoxLayout(self.chart_box).addWidget(self.chart)

        # Tabs
        self.tabs = QTabWidget(self)
        self.contacts_table = _table(
            self,
            "contactsTable",
            [self.tr("姓名"), self.tr("职务"), self.tr("电话"), self.tr("电子邮件"), self.tr("主要联系人")],
            stretch=3,
        )
        self.hierarchy_tab = QWidget(self)
        self.parent_label = QLabel(self.hierarchy_tab)
        self.parent_label.setObjectName("parentLink")
        self.parent_label.setTextFormat(Qt.TextFormat.RichText)
        self.parent_label.linkActivated.connect(lambda href: self.open_account.emit(int(href)))
        self.branches_label = QLabel(self.hierarchy_tab)
        self.branches_table = _table(
            self.hierarchy_tab,
            "branchesTable",
            [
                self.tr("客户编号"),
                self.tr("分支机构名称"),
                self.tr("省份"),
                self.tr("服务地市"),
                self.tr("客户经理"),
                self.tr("收入（元）"),
            ],
            stretch=1,
        )
        self.branches_table.setToolTip(self.tr("双击打开分支机构"))
        self.branches_table.cellDoubleClicked.connect(self._branch_double_clicked)
        self._hierarchy_layout = QVBoxLayout(self.hierarchy_tab)
        self._hierarchy_layout.addWidget(self.parent_label)
        self._hierarchy_layout.addWidget(self.branches_label)
        self._hierarchy_layout.addWidget(self.branches_table, 1)
        # Takes the spare height while there is no branches table: the two lines stay at the top.
        self._hierarchy_layout.addStretch(0)
        self.first_contacts_table = _table(
            self, "firstContactsTable", [self.tr("姓名"), self.tr("工号"), self.tr("所在单位")], stretch=2
        )
        self.services_table = _table(
            self,
            "servicesTable",
            [
                self.tr("业务号码"),
                self.tr("产品"),
                self.tr("带宽"),
                self.tr("A 端"),
                self.tr("Z 端"),
                self.tr("线路数"),
                self.tr("开通日期"),
                self.tr("拆机日期"),
                self.tr("状态"),
            ],
            stretch=1,
        )
        self.history_table = _table(
            self, "historyTable", [self.tr("客户经理"), self.tr("起始日期"), self.tr("截止日期"), self.tr("说明")]
        )
        self.tabs.addTab(self.contacts_table, self.tr("联系人"))
        self.tabs.addTab(self.hierarchy_tab, self.tr("客户层级"))
        self.tabs.addTab(self.first_contacts_table, self.tr("第一联系人"))
        self.tabs.addTab(self.services_table, self.tr("业务"))
        self.tabs.addTab(self.history_table, self.tr("负责客户经理变更记录"))
        self.requests_model = RequestTableModel(self)
        self.requests_tab = QWidget(self)
        self.requests_table, self.requests_proxy = make_request_table(self.requests_tab, self.requests_model)
        self.requests_table.setObjectName("accountRequests")
        self.requests_table.doubleClicked.connect(self._request_double_clicked)
        self.requests_note = QLabel(self.requests_tab)
        self.requests_note.setObjectName("accountRequestsNote")
        set_muted(self.requests_note)
        requests_layout = QVBoxLayout(self.requests_tab)
        requests_layout.addWidget(self.requests_note)
        requests_layout.addWidget(self.requests_table, 1)
        self.tabs.addTab(self.requests_tab, self.tr("服务请求"))

        top = QHBoxLayout()
        top.addWidget(self.summary_box, 2)
        top.addWidget(self.chart_box, 3)
        layout = QVBoxLayout(self)
        header = QHBoxLayout()
        header.addWidget(self.name_label, 1)
        header.addWidget(self.edit_button)
        header.addWidget(self.reassign_button)
        header.addWidget(self.raise_button)
        layout.addLayout(header)
        layout.addWidget(self.meta_label)
        layout.addLayout(top, 4)
        layout.addWidget(self.tabs, 5)

        self.open_account.connect(self._open_other)
        if requests is not None:
            requests.changed.connect(self._requests_changed)
        self.reload()
        self.reload_requests()

    # --- loading ------------------------------------------------------------------------------

    def reload(self) -> None:
        db, account_id = self.db, self.account_id
        self.tasks.read(
            lambda _progress: load_account_detail(db, account_id),
            on_done=self.show_detail,
            on_error=self._on_failed,
            busy_cursor=False,
            parent=self,
        )

    def _reassign(self) -> None:
        self.editor.reassign(self.account_id)

    # --- service requests ---------------------------------------------------------------------

    def reload_requests(self) -> None:
        db, account_id = self.db, self.account_id
        now = self.requests.now() if self.requests is not None else dt.datetime.now(dt.UTC)
        self.tasks.read(
            lambda _progress: load_account_requests(db, account_id, now),
            on_done=lambda result: self._show_requests(*result),
            on_error=lambda exc: self.requests_note.setText(
                self.tr("无法读取服务请求：{0}").format(getattr(exc, "zh", None) or str(exc))
            ),
            busy_cursor=False,
            parent=self,
        )

    def _requests_changed(self, _number: str) -> None:
        self.reload_requests()

    def _show_requests(self, rows: list[RequestRow], now: dt.datetime) -> None:
        if not isValid(self):
            return  # closed meanwhile
        units = self.requests.units if self.requests is not None and self.requests.units else None
        self.requests_model.set_rows(rows, now, units)
        fit_columns(self.requests_table)
        open_rows = [r for r in rows if r.state not in ("closed", "cancelled")]
        overdue = sum(1 for r in open_rows if r.overdue)
        if not rows:
            note = self.tr("这个客户还没有服务请求。")
        else:
            note = self.tr("在办 {0} 条（其中 {1} 条已超时），已结束 {2} 条（灰色）").format(
                len(open_rows), overdue, len(rows) - len(open_rows)
            )
            if self.requests is not None:
                note += self.tr("。双击打开请求")
        self.requests_note.setText(note)
        index = self.tabs.indexOf(self.requests_tab)
        self.tabs.setTabText(
            index, self.tr("服务请求（{0}）").format(len(open_rows)) if open_rows else self.tr("服务请求")
        )
        self.requests_listed.emit()

    def _request_double_clicked(self, index) -> None:
        number = index.data(NumberRole)
        if number and self.requests is not None:
            self.requests.open_request(number, self.parentWidget() or self)

    def _raise_request(self) -> None:
        if self.requests is None:
            return
        customer_no = self.detail.profile.customer_no if self.detail is not None else None
        self.requests.raise_request(customer_no=customer_no, parent=self)

    def _on_failed(self, exc: BaseException) -> None:
        message = getattr(exc, "zh", None) or str(exc) or type(exc).__name__
        self.name_label.setText(self.tr("无法读取客户：{0}").format(message))

    def show_detail(self, d: AccountDetail) -> None:
        self.detail = d
        p = d.profile
        self.setWindowTitle(self.tr("客户：{0}").format(p.name))
        self.name_label.setText(p.name)
        self.meta_label.setText(
            self.tr("客户编号 {0}　·　{1}客户　·　{2}　·　行业：{3}").format(
                p.customer_no, p.level_label, p.status_label, p.industry
            )
        )
        self.owner_value.setText(p.owner_unit)
        self.city_value.setText(p.serving_city)
        if d.manager is None:
            self.manager_value.setText(self.tr("未分配"))
        else:
            m = d.manager
            text = self.tr("{0}（{1}，{2}）").format(m.name, m.employee_no, m.unit)
            if m.phone:
                text += self.tr("　电话 {0}").format(m.phone)
            self.manager_value.setText(text)
        self.address_value.setText(p.address or "—")
        self.created_value.setText(_date(p.created) or "—")

        _fill(
            self.contacts_table,
            [
                [c.name, c.title or "", c.phone or "", c.email or "", self.tr("是") if c.primary else ""]
                for c in d.contacts
            ],
        )
        self._show_hierarchy(d)
        _fill(self.first_contacts_table, [[f.name, f.employee_no, f.unit] for f in d.first_contacts])
        _fill(
            self.services_table,
            [
                [
                    s.service_no,
                    s.product,
                    s.bandwidth or "",
                    s.a_city or "",
                    s.z_city or "",
                    f"{s.lines:,}",
                    _date(s.start_date),
                    _date(s.end_date),
                    s.status_label,
                ]
                for s in d.services
            ],
        )
        for r in range(self.services_table.rowCount()):
            self.services_table.item(r, 5).setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        _fill(
            self.history_table,
            [
                [
                    h.staff or self.tr("（未分配）"),
                    _date(h.valid_from),
                    _date(h.valid_to) or self.tr("至今"),
                    h.note or "",
                ]
                for h in d.manager_history
            ],
        )
        self.tabs.setTabText(0, self.tr("联系人（{0}）").format(len(d.contacts)))
        self.tabs.setTabText(
            1, self.tr("客户层级（{0}）").format(len(d.branches)) if d.branches else self.tr("客户层级")
        )
        self.tabs.setTabText(3, self.tr("业务（{0}）").format(len(d.services)))
        self.chart.set_points(d.revenue)
        if d.revenue:
            total = sum(pt.revenue_fen for pt in d.revenue)
            title = self.tr("本户收入（元，不含分支机构）") if d.branches else self.tr("月收入（元）")
            self.chart_box.setTitle(
                self.tr("{0}　{1} 至 {2} 合计 {3}").format(
                    title, month_label(d.revenue[0].month), month_label(d.revenue[-1].month), format_yuan(total)
                )
            )
        g = d.group_revenue
        if g is not None:
            self.group_total_label.setText(
                self.tr("集团合计（本部及 {0} 个分支机构，{1}）：{2} 元").format(
                    f"{g.branches:,}", _month_title(g.month), format_yuan(g.total_fen)
                )
            )
            self.group_total_label.setToolTip(
                self.tr("本部 {0} 元 + 分支机构 {1} 元").format(format_yuan(g.own_fen), format_yuan(g.branches_fen))
            )
        self.group_total_label.setVisible(g is not None)
        self.loaded.emit()

    def _show_hierarchy(self, d: AccountDetail) -> None:
        if d.parent is not None:
            self.parent_label.setText(
                self.tr('上级客户：<a href="{0}">{1}（{2}）</a>　同级分支机构 {3} 个').format(
                    d.parent.id, d.parent.name.replace("<", "&lt;"), d.parent.customer_no, d.siblings
                )
            )
        else:
            self.parent_label.setText(self.tr("上级客户：无（本客户为总部或独立客户）"))
        self.branches_label.setText(
            self.tr("分支机构 {0} 个（双击打开）").format(len(d.branches)) if d.branches else self.tr("无分支机构")
        )
        self.branches_table.setVisible(bool(d.branches))
        self._hierarchy_layout.setStretch(self._hierarchy_layout.count() - 1, 0 if d.branches else 1)
        month = d.group_revenue.month if d.group_revenue is not None else None
        self.branches_table.horizontalHeaderItem(BRANCH_COL_REVENUE).setText(
            self.tr("{0}收入（元）").format(_month_title(month)) if month else self.tr("收入（元）")
        )
        _fill(
            self.branches_table,
            [
                [
                    b.customer_no,
                    b.name,
                    b.province,
                    b.serving_city,
                    b.manager or self.tr("未分配"),
                    format_yuan(b.revenue_fen) if b.revenue_fen is not None else "—",
                ]
                for b in d.branches
            ],
            ids=[b.id for b in d.branches],
        )
        for r, b in enumerate(d.branches):
            if b.manager is None:
                self.branches_table.item(r, 4).setForeground(QColor("#b91c1c"))
            self.branches_table.item(r, BRANCH_COL_REVENUE).setTextAlignment(
                Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
            )

    # --- navigation ---------------------------------------------------------------------------

    def _branch_double_clicked(self, row: int, _column: int) -> None:
        item = self.branches_table.item(row, 0)
        if item is not None:
            self.open_account.emit(int(item.data(IdRole)))

    def _open_other(self, account_id: int) -> None:
        page = open_account_page(self.db, self.tasks, account_id, self.parentWidget(), requests=self.requests)
        self.opened_pages.append(page)


def open_account_page(
    db: Database,
    tasks: BackgroundTasks,
    account_id: int,
    parent: QWidget | None = None,
    *,
    requests: RequestDesk | None = None,
) -> AccountPage:
    """Open (show, raise) a non-modal page for ``account_id`` and return it; it deletes itself when closed."""
    page = AccountPage(db, tasks, account_id, parent, requests=requests)
    page.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, True)
    page.show()
    page.raise_()
    page.activateWindow()
    return page
