"""The service-requests page (服务请求, the third page, Ctrl+3): the selected unit's requests and the one picked.

For the unit selected in the tree it lists the requests of a view — 待办 (the unit must act now), 本单位发起,
相关 (raised, on the route, coordinated or involved) and 下级（督办视角） (open requests held below it) — with
filters, soonest deadline first (``request_queries.list_requests``), overdue deadlines in red. Selecting a
row shows the request underneath (``RequestView``); double-clicking opens it in its own window. 新建请求…
raises one from the current identity's unit.

``RequestTableModel`` is the list as a Qt model (a short list: at most ``LIMIT`` rows, sorted by a proxy
when the user clicks a header); the account page lists an account's requests with it too.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
    Signal,
)
from PySide6.QtGui import QColor, QFont, QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSplitter,
    QTableView,
    QToolButton,
    QVBoxLayout,
    QWidget,
)
from shiboken6 import isValid

from kam_console.models import REQUEST_STATE_LABELS, REQUEST_STATES, REQUEST_TYPE_LABELS, REQUEST_TYPES
from kam_console.services.catalogues import UnitChoice, list_units
from kam_console.services.request_queries import RequestRow, list_requests
from ui.request_view import OVERDUE_COLOUR, RequestDesk, RequestView, beijing, due_text
from ui.style import set_muted
from ui.tasks import Task

LIMIT = 500
VIEWS = (
    ("todo", "待办"),
    ("raised", "本单位发起"),
    ("all", "相关"),
    ("below", "下级（督办视角）"),
)
VIEW_TIPS = {
    "todo": "本单位现在需要处理的请求",
    "raised": "本单位发起的请求",
    "all": "本单位发起、上报经过、协调或涉及的全部请求",
    "below": "下级单位正在处理的请求，便于督办",
}

COL_NUMBER, COL_ACCOUNT, COL_TYPE, COL_PRIORITY, COL_STATE, COL_HOLDER, COL_STAGE, COL_DUE, COL_LEFT = range(9)
HEADERS = ["编号", "客户", "类型", "优先级", "状态", "当前处理", "阶段", "时限（北京时间）", "剩余 / 超时"]
NumberRole = Qt.ItemDataRole.UserRole + 1  # the request's number
SortRole = Qt.ItemDataRole.UserRole + 2
OverdueRole = Qt.ItemDataRole.UserRole + 3
PRIORITY_RANK = {"urgent": 0, "high": 1, "normal": 2, "low": 3}
ENDED_COLOUR = "#9ca3af"


class RequestTableModel(QAbstractTableModel):
    """A list of requests (``RequestRow``) judged at ``now``; ended requests greyed, overdue deadlines red."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.rows: list[RequestRow] = []
        self.now = dt.datetime.now(dt.UTC)
        self.units: Mapping[str, UnitChoice] = {}

    def set_rows(self, rows: list[RequestRow], now: dt.datetime, units: Mapping[str, UnitChoice] | None = None) -> None:
        self.beginResetModel()
        self.rows = list(rows)
        self.now = now
        if units is not None:
            self.units = units
        self.endResetModel()

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(HEADERS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole):
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self.tr(HEADERS[section])
        return None

    def row_at(self, row: int) -> RequestRow:
        return self.rows[row]

    def row_of(self, number: str) -> int:
        return next((i for i, r in enumerate(self.rows) if r.number == number), -1)

    def _short(self, code: str, name: str) -> str:
        unit = self.units.get(code)
        return unit.short_name if unit else name

    def _holder(self, r: RequestRow) -> str:
        if r.state == "processing" and r.stage == "handle":
            return self.tr("各涉及单位")
        if r.state in ("closed", "cancelled"):
            return "—"
        return self._short(r.holder, r.holder_name)

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        r = self.rows[index.row()]
        column = index.column()
        ended = r.state in ("closed", "cancelled")
        if role == Qt.ItemDataRole.DisplayRole:
            return [
                r.number,
                r.account,
                r.type_label,
                r.priority_label,
                r.state_label,
                self._holder(r),
                r.stage_label if not ended else "—",
                beijing(r.due_at) if r.due_at else "—",
                self._left(r),
            ][column]
        if role == NumberRole:
            return r.number
        if role == OverdueRole:
            return r.overdue
        if role == SortRole:
            far = dt.datetime.max.replace(tzinfo=dt.UTC)
            return [
                r.number,
                r.account,
                REQUEST_TYPES.index(r.type),
                PRIORITY_RANK.get(r.priority, 9),
                REQUEST_STATES.index(r.state),
                self._holder(r),
                r.stage_label,
                (r.due_at or far).timestamp(),
                (r.due_at or far).timestamp(),
            ][column]
        if role == Qt.ItemDataRole.ForegroundRole:
            if ended:
                return QColor(ENDED_COLOUR)
            if r.overdue and column in (COL_DUE, COL_LEFT):
                return QColor(OVERDUE_COLOUR)
            return None
        if role == Qt.ItemDataRole.FontRole and r.overdue and column == COL_LEFT:
            font = QFont()
            font.setBold(True)
            return font
        if role == Qt.ItemDataRole.ToolTipRole:
            if column == COL_ACCOUNT:
                return f"{r.account}（{r.customer_no}）\n{r.title}"
            if column == COL_HOLDER and r.state == "processing" and r.stage == "handle":
                return self.tr("子任务在各涉及单位处理中；协调单位：{0}").format(r.holder_name)
            if column == COL_HOLDER:
                return r.holder_name
            if column == COL_NUMBER:
                return self.tr("{0}\n发起：{1}，{2}").format(r.title, r.raising_unit_name, beijing(r.raised_at))
            return None
        return None

    def _left(self, r: RequestRow) -> str:
        if r.due_at is None:
            return self.tr("已关闭") if r.state == "closed" else self.tr("已撤销")
        return due_text(r.due_at, self.now)


def make_request_table(parent: QWidget, model: RequestTableModel) -> tuple[QTableView, QSortFilterProxyModel]:
    proxy = QSortFilterProxyModel(parent)
    proxy.setSourceModel(model)
    proxy.setSortRole(SortRole)
    view = QTableView(parent)
    view.setModel(proxy)
    view.setSortingEnabled(True)
    view.horizontalHeader().setSortIndicator(-1, Qt.SortOrder.AscendingOrder)  # the query's order: by deadline
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    view.setAlternatingRowColors(True)
    view.verticalHeader().setVisible(False)
    view.setWordWrap(False)
    header = view.horizontalHeader()
    header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
    header.setStretchLastSection(False)
    header.setSectionResizeMode(COL_ACCOUNT, QHeaderView.ResizeMode.Stretch)
    return view, proxy


def fit_columns(view: QTableView) -> None:
    """Size every column but the account (which stretches) to its contents, once per fill."""
    for column in range(view.model().columnCount()):
        if column != COL_ACCOUNT:
            view.resizeColumnToContents(column)


def load_requests(db, *, unit: str, now: dt.datetime, units: dict | None, **filters):
    """Worker side: the list and (unless given) the units by code."""
    with db.engine.connect() as conn:
        rows = list_requests(conn, unit=unit, now=now, limit=LIMIT, **filters)
        if units is None:
            units = {u.code: u for u in list_units(conn, include_inactive=True)}
    return rows, units, now


class RequestsPage(QWidget):
    #: the list for the current selection is shown (tests wait on it)
    listed = Signal()

    def __init__(self, desk: RequestDesk, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.desk = desk
        self.unit = ""
        self.unit_name = ""
        self._stale = True
        self._generation = 0
        self._task: Task | None = None
        self._keep: str | None = None  # the number to select again after a refresh
        self._build()
        desk.changed.connect(self._request_changed)
        desk.identity_holder.changed.connect(self._identity_changed)
        self._identity_changed(desk.identity)

    # --- construction --------------------------------------------------------------------------

    def _build(self) -> None:
        self.heading = QLabel(self.tr("服务请求"), self)
        self.heading.setObjectName("requestsHeading")
        font = QFont(self.heading.font())
        font.setPointSizeF(font.pointSizeF() * 1.3)
        font.setBold(True)
        self.heading.setFont(font)
        self.new_button = QPushButton(self.tr("新建请求…"), self)
        self.new_button.setObjectName("newRequest")
        self.new_button.setToolTip(self.tr("以当前身份所在单位发起一条跨区域服务请求"))
        self.new_button.clicked.connect(lambda: self.desk.raise_request(parent=self))

        self.view_buttons = QButtonGroup(self)
        self.view_buttons.setExclusive(True)
        self.view_button: dict[str, QToolButton] = {}
        for key, label in VIEWS:
            button = QToolButton(self)
            button.setObjectName(f"view_{key}")
            button.setText(self.tr(label))
            button.setToolTip(self.tr(VIEW_TIPS[key]))
            button.setCheckable(True)
            self.view_buttons.addButton(button)
            self.view_button[key] = button
        self.view_button["todo"].setChecked(True)
        self.state_combo = QComboBox(self)
        self.state_combo.setObjectName("stateFilter")
        self.state_combo.addItem(self.tr("全部状态"), None)
        for code in REQUEST_STATES:
            self.state_combo.addItem(REQUEST_STATE_LABELS[code], code)
        self.type_combo = QComboBox(self)
        self.type_combo.setObjectName("typeFilter")
        self.type_combo.addItem(self.tr("全部类型"), None)
        for code in REQUEST_TYPES:
            self.type_combo.addItem(REQUEST_TYPE_LABELS[code], code)
        self.overdue_check = QCheckBox(self.tr("仅超时"), self)
        self.overdue_check.setObjectName("overdueOnly")
        self.mine_check = QCheckBox(self.tr("仅我的"), self)
        self.mine_check.setObjectName("mineOnly")

        self.model = RequestTableModel(self)
        self.table, self.proxy = make_request_table(self, self.model)
        self.table.setObjectName("requestsTable")
        self.count_label = QLabel(self)
        self.count_label.setObjectName("requestsCount")
        set_muted(self.count_label)
        self.empty = QLabel(self)
        self.empty.setObjectName("requestsEmpty")
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty.setWordWrap(True)
        set_muted(self.empty)
        self.empty.hide()

        self.request_view = RequestView(self.desk, self)
        self.splitter = QSplitter(Qt.Orientation.Vertical, self)
        self.splitter.setObjectName("requestsSplitter")
        self.splitter.setChildrenCollapsible(False)
        list_box = QWidget(self)
        list_layout = QVBoxLayout(list_box)
        list_layout.setContentsMargins(0, 0, 0, 0)
        list_layout.setSpacing(2)
        list_layout.addWidget(self.table, 1)
        list_layout.addWidget(self.empty, 1)
        list_layout.addWidget(self.count_label)
        self.splitter.addWidget(list_box)
        self.splitter.addWidget(self.request_view)
        self.splitter.setStretchFactor(0, 1)
        self.splitter.setStretchFactor(1, 3)
        self.splitter.setSizes([220, 560])  # proportions: a short list, the request underneath gets the room

        top = QHBoxLayout()
        top.addWidget(self.heading, 1)
        top.addWidget(self.new_button)
        filters = QHBoxLayout()
        filters.setSpacing(4)
        for button in self.view_button.values():
            filters.addWidget(button)
        filters.addSpacing(12)
        filters.addWidget(self.state_combo)
        filters.addWidget(self.type_combo)
        filters.addWidget(self.overdue_check)
        filters.addWidget(self.mine_check)
        filters.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 6, 8, 6)
        layout.addLayout(top)
        layout.addLayout(filters)
        layout.addWidget(self.splitter, 1)

        self.view_buttons.buttonClicked.connect(lambda _b: self.refresh())
        self.state_combo.currentIndexChanged.connect(lambda _i: self.refresh())
        self.type_combo.currentIndexChanged.connect(lambda _i: self.refresh())
        self.overdue_check.toggled.connect(lambda _c: self.refresh())
        self.mine_check.toggled.connect(lambda _c: self.refresh())
        self.table.selectionModel().currentRowChanged.connect(self._row_changed)
        self.table.doubleClicked.connect(self._double_clicked)

    # --- selection and filters -----------------------------------------------------------------

    def current_view(self) -> str:
        return next(key for key, button in self.view_button.items() if button.isChecked())

    def set_view(self, key: str) -> None:
        self.view_button[key].setChecked(True)
        self.refresh()

    def set_unit(self, code: str, name: str = "") -> None:
        """List ``code``'s requests (read now if shown, else when next shown)."""
        if not code:
            return
        if code == self.unit and not self._stale:
            return
        if code != self.unit:
            self.request_view.show_request(None)
        self.unit, self.unit_name = code, name or code
        self.heading.setText(self.tr("服务请求 · {0}").format(self.unit_name))
        self.refresh()

    def invalidate(self) -> None:
        self._stale = True

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self._stale and self.unit:
            self.refresh()

    def _identity_changed(self, identity) -> None:
        self.mine_check.setEnabled(identity is not None)
        self.mine_check.setToolTip(
            self.tr("只看 {0} 发起或经手的请求").format(identity.name)
            if identity is not None
            else self.tr("选择当前身份后可用")
        )
        if identity is None and self.mine_check.isChecked():
            self.mine_check.setChecked(False)
        elif self.mine_check.isChecked():
            self.refresh()

    def _request_changed(self, _number: str) -> None:
        if self.isVisible():
            self.refresh()
        else:
            self._stale = True

    # --- loading -------------------------------------------------------------------------------

    def refresh(self) -> None:
        if not self.unit:
            return
        if not self.isVisible():
            self._stale = True
            return
        self._stale = False
        self._generation += 1
        generation = self._generation
        if self._task is not None and not self._task.done:
            self._task.cancel()
        identity = self.desk.identity
        filters = dict(
            view=self.current_view(),
            state=self.state_combo.currentData(),
            type_=self.type_combo.currentData(),
            overdue=self.overdue_check.isChecked(),
            employee_no=identity.employee_no if identity is not None and self.mine_check.isChecked() else None,
        )
        db, unit, now, units = self.desk.db, self.unit, self.desk.now(), self.desk.units
        if self._keep is None:
            self._keep = self.request_view.number
        self.count_label.setText(self.tr("正在读取…"))
        self._task = self.desk.tasks.read(
            lambda _p: load_requests(db, unit=unit, now=now, units=units, **filters),
            on_done=lambda result: self._listed(generation, *result),
            on_error=lambda exc: self._failed(generation, exc),
            busy_cursor=False,
            parent=self,
        )

    def _failed(self, generation: int, exc: BaseException) -> None:
        if not isValid(self) or generation != self._generation:
            return
        self.count_label.setText(self.tr("无法读取请求：{0}").format(getattr(exc, "zh", None) or str(exc)))

    def _listed(self, generation: int, rows: list[RequestRow], units: dict, now: dt.datetime) -> None:
        if not isValid(self) or generation != self._generation:
            return
        if self.desk.units is None:
            self.desk.units = units
        keep, self._keep = self._keep, None
        self.model.set_rows(rows, now, units)
        fit_columns(self.table)
        overdue = sum(1 for r in rows if r.overdue)
        text = self.tr("共 {0} 条").format(len(rows))
        if overdue:
            text += self.tr("，其中 {0} 条已超时").format(overdue)
        if len(rows) >= LIMIT:
            text += self.tr("（仅显示时限最近的前 {0} 条，请用筛选缩小范围）").format(LIMIT)
        self.count_label.setText(text)
        self.table.setVisible(bool(rows))
        self.empty.setVisible(not rows)
        self.empty.setText(self._empty_text())
        if keep is not None:
            self.select_number(keep)  # a request that left the list (e.g. done) stays shown below
        self.listed.emit()

    def _empty_text(self) -> str:
        view = self.current_view()
        filtered = (
            self.state_combo.currentData() or self.type_combo.currentData() or self.overdue_check.isChecked()
        ) or self.mine_check.isChecked()
        if filtered:
            return self.tr("没有符合筛选条件的请求。")
        return {
            "todo": self.tr("{0}现在没有待办的服务请求。"),
            "raised": self.tr("{0}还没有发起过服务请求。"),
            "all": self.tr("没有与{0}相关的服务请求。"),
            "below": self.tr("{0}的下级单位没有在办的服务请求。"),
        }[view].format(self.unit_name)

    def select_number(self, number: str) -> bool:
        row = self.model.row_of(number)
        if row < 0:
            return False
        index = self.proxy.mapFromSource(self.model.index(row, COL_NUMBER))
        self.table.setCurrentIndex(index)
        self.table.scrollTo(index)
        return True

    def numbers(self) -> list[str]:
        """The numbers listed, in display order."""
        return [self.proxy.index(r, COL_NUMBER).data(NumberRole) for r in range(self.proxy.rowCount())]

    def _row_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        number = current.data(NumberRole) if current.isValid() else None
        if number is None:
            return
        if number != self.request_view.number:  # the same one refreshes itself when it changes
            self.request_view.show_request(number)

    def _double_clicked(self, index: QModelIndex) -> None:
        number = index.data(NumberRole)
        if number:
            self.desk.open_request(number, self.window())
