"""The accounts of a unit, as a tab of its page: served in its area, owned by it, or owned by it and the
units below it, with filters (level, industry, status, responsible manager, unassigned) and a search box
(customer number, name or pinyin initials — typing `zgsh` finds 中国石化…). The list opens in customer
number order; clicking a header sorts by that column in the database. It pages on demand on a worker
thread (ui.account_table_model), so the whole country's list opens as fast as a city's; the count comes
from a background read.

The unit's queue of accounts awaiting a responsible manager is one click away: the 待分配 button counts the
accounts the unit answers for (owned by it or a unit below it) that nobody is responsible for and that have
not churned — the accounts the 责任冲突 tab lists as unassigned — and shows exactly those. Selected accounts,
one or many, are handed to a customer manager with 指定负责客户经理… (ui.assign_dialog).
"""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QStyle,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from kam_console.db import Database
from kam_console.models import ACCOUNT_LEVEL_LABELS, ACCOUNT_STATUS_LABELS
from kam_console.services.accounts import AccountQuery, count_accounts
from kam_console.services.catalogues import industry_choices
from kam_console.services.staff import PositionGroup
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
    SORT_OF_COLUMN,
    AccountTableModel,
    database_fetcher,
    revenue_header,
)
from ui.assign_dialog import AccountAssigner
from ui.tasks import BackgroundTasks, Task

SEARCH_DELAY_MS = 300  # wait until typing pauses before re-running the query

# The scope combo's choices: served in the unit's area, owned by the unit, owned by it or a unit below it.
SCOPE_SERVED, SCOPE_OWNED, SCOPE_WITHIN = "served", "owned", "within"

# What a column typically holds, for its width: a full customer number, a national account's branch (~18
# characters), the longest level and industry names, a short unit name, a four-character personal name, a
# status and a revenue in the tens of millions.
COLUMN_SAMPLES = {
    COL_CUSTOMER_NO: "KA4403000001201",
    COL_NAME: "中国石化销售股份有限公司广东石油分公司",
    COL_LEVEL: "地市级",
    COL_INDUSTRY: "医疗卫生",
    COL_OWNER_UNIT: "乌鲁木齐",
    COL_SERVING_CITY: "乌鲁木齐",
    COL_MANAGER: "欧阳明哲",
    COL_STATUS: "在网",
    COL_REVENUE: "12,345,678.90",
}
CELL_PADDING = 12  # both sides of a cell's text together


def _filters(query: AccountQuery) -> AccountQuery:
    return replace(query, sort="customer_no", descending=False)


def _queue(query: AccountQuery) -> AccountQuery:
    """The unit's queue, whatever else is filtered: the accounts it answers for (owned by it or a unit below
    it) that nobody is responsible for and that have not churned — the 责任冲突 tab's unassigned accounts."""
    return AccountQuery(unit=query.unit, owned_within=True, unassigned=True, exclude_churned=True)


def _count(db: Database, query: AccountQuery) -> tuple[AccountQuery, int, int]:
    """The list's count and the size of the unit's unassigned queue."""
    with db.engine.connect() as conn:
        queue = _queue(query)
        total = count_accounts(conn, query)
        return query, total, total if _filters(query) == _filters(queue) else count_accounts(conn, queue)


class UnitAccountsPanel(QWidget):
    create_requested = Signal(str)  # the unit code the new account starts from

    def __init__(self, db: Database, tasks: BackgroundTasks, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.db = db
        self.tasks = tasks
        self._count_task: Task | None = None
        self.model = AccountTableModel(database_fetcher(db), parent=self, run=self._run_page)
        self.model.loadFailed.connect(self._on_failed)

        self.search = QLineEdit(self)
        self.search.setObjectName("accountSearch")
        self.search.setPlaceholderText(self.tr("搜索客户：客户编号、名称或拼音首字母"))
        self.search.setClearButtonEnabled(True)
        self.scope = QComboBox(self)
        self.scope.setObjectName("accountScope")
        for label, code, tip in (
            (self.tr("本区域服务的客户"), SCOPE_SERVED, self.tr("服务地市在本单位区域内的客户")),
            (self.tr("本单位归属的客户"), SCOPE_OWNED, self.tr("归属单位是本单位的客户")),
            (
                self.tr("本单位及下级单位归属的客户"),
                SCOPE_WITHIN,
                self.tr("归属本单位或下级单位、由本单位负责的客户（与“责任冲突”页的范围相同）"),
            ),
        ):
            self.scope.addItem(label, code)
            self.scope.setItemData(self.scope.count() - 1, tip, Qt.ItemDataRole.ToolTipRole)
        self.level = QComboBox(self)
        self.level.addItem(self.tr("全部级别"), None)
        for code, label in ACCOUNT_LEVEL_LABELS.items():
            self.level.addItem(label, code)
        self.status = QComboBox(self)
        self.status.addItem(self.tr("全部状态"), None)
        for code, label in ACCOUNT_STATUS_LABELS.items():
            self.status.addItem(label, code)
        self.industry = QComboBox(self)
        self.industry.addItem(self.tr("全部行业"), None)
        self.manager = QComboBox(self)
        self.manager.setObjectName("managerFilter")
        self.manager.addItem(self.tr("全部客户经理"), None)
        self.manager.setToolTip(self.tr("只看本单位某位客户经理负责的客户"))
        self.unassigned = QCheckBox(self.tr("仅未分配客户经理"), self)
        self.unassigned.setToolTip(self.tr("只看没有负责客户经理、尚未流失的客户（流失客户无需负责客户经理）"))
        self.count_label = QLabel(self)
        self.count_label.setObjectName("accountCount")
        self.queue_button = QPushButton(self)
        self.queue_button.setObjectName("unassignedQueue")
        self.queue_button.setFlat(True)
        self.queue_button.setStyleSheet("color: #b45309; font-weight: bold;")
        self.queue_button.setToolTip(
            self.tr("查看本单位及下级单位归属、没有负责客户经理且未流失的客户（即“责任冲突”页中的未指定负责客户经理）")
        )
        self.queue_button.setVisible(False)
        self.queue_button.clicked.connect(self.show_queue)
        self.assign_button = QPushButton(self.tr("指定负责客户经理…"), self)
        self.assign_button.setObjectName("assignManager")
        self.assign_button.setToolTip(self.tr("为选中的客户（可多选）指定负责客户经理"))
        self.assign_button.setEnabled(False)
        self.assign_button.clicked.connect(self.assign_selected)
        self.new_button = QPushButton(self.tr("新建客户…"), self)
        self.new_button.clicked.connect(lambda: self.create_requested.emit(self._unit))
        self.assigner = AccountAssigner(db, tasks, self)
        self.assigner.assigned.connect(lambda _result: self.refresh())

        self.view = QTableView(self)
        self.view.setObjectName("accountTable")
        self.view.setModel(self.model)
        header = self.view.horizontalHeader()
        # Switching sorting on sorts by the header's indicator (column 0, descending by default): it must
        # show the query's order (customer number, ascending) first.
        header.setSortIndicator(self.model.sort_column(), self.model.sort_order())
        self.view.setSortingEnabled(True)
        header.sortIndicatorChanged.connect(self._keep_sort_indicator)
        self.view.setAlternatingRowColors(True)
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.view.verticalHeader().setVisible(False)
        self.view.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 8)
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        self._fit_columns()

        filters = QHBoxLayout()
        filters.addWidget(self.search, 2)
        for widget in (self.scope, self.level, self.industry, self.status):
            filters.addWidget(widget)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 4, 0, 0)
        layout.addLayout(filters)
        count_row = QHBoxLayout()
        count_row.addWidget(self.manager)
        count_row.addWidget(self.unassigned)
        count_row.addWidget(self.count_label, 1)
        count_row.addWidget(self.queue_button)
        count_row.addWidget(self.assign_button)
        count_row.addWidget(self.new_button)
        layout.addLayout(count_row)
        layout.addWidget(self.view, 1)

        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(SEARCH_DELAY_MS)
        self._timer.timeout.connect(self._apply)
        self.search.textChanged.connect(self._timer.start)
        for combo in (self.scope, self.level, self.industry, self.status, self.manager):
            combo.currentIndexChanged.connect(self._apply)
        self.unassigned.toggled.connect(self._on_unassigned)
        self.view.selectionModel().selectionChanged.connect(self._sync_buttons)
        self.model.modelReset.connect(self._sync_buttons)
        self._unit = ""
        self._industries_loaded = False

    def _fit_columns(self) -> None:
        """Each column as wide as its typical content (COLUMN_SAMPLES) or its header with a sort mark,
        whichever is wider, at the user's font size. Longer names are elided; their tooltip has them whole."""
        header = self.view.horizontalHeader()
        cell, title = self.view.fontMetrics(), header.fontMetrics()
        style = header.style()
        mark = style.pixelMetric(QStyle.PixelMetric.PM_HeaderMarkSize, None, header)
        margin = style.pixelMetric(QStyle.PixelMetric.PM_HeaderMargin, None, header)
        for column, sample in COLUMN_SAMPLES.items():
            label = self.model.headerData(column, Qt.Orientation.Horizontal)
            labels = [label, revenue_header(209912)] if column == COL_REVENUE else [label]
            heading = max(title.horizontalAdvance(text) for text in labels) + 2 * margin
            if column in SORT_OF_COLUMN:
                heading += mark + margin
            self.view.setColumnWidth(column, max(cell.horizontalAdvance(sample) + CELL_PADDING, heading))

    def _keep_sort_indicator(self, section: int, _order: Qt.SortOrder) -> None:
        # A click on a column the list cannot be sorted by leaves the list as it is: so does its header.
        if section not in SORT_OF_COLUMN:
            self.view.horizontalHeader().setSortIndicator(self.model.sort_column(), self.model.sort_order())

    def _run_page(self, work, on_done, on_error) -> None:
        self.tasks.read(
            lambda _progress: work(),
            on_done=on_done,
            on_error=on_error,
            busy_cursor=False,
            label=self.tr("正在读取客户列表…"),
            parent=self,
        )

    def _load_industries(self) -> None:
        if self._industries_loaded:
            return
        self._industries_loaded = True
        db = self.db

        def work(_progress):
            with db.engine.connect() as conn:
                return industry_choices(conn, include_retired=True)

        self.tasks.read(work, on_done=self._set_industries, busy_cursor=False, parent=self)

    def _set_industries(self, industries: list[tuple[str, str]]) -> None:
        self.industry.blockSignals(True)
        for code, name in industries:
            self.industry.addItem(name, code)
        self.industry.blockSignals(False)

    def set_managers(self, code: str, staff: list[PositionGroup]) -> None:
        """The unit's own customer managers for the manager filter (from the unit page's staff)."""
        if code != self._unit:
            return
        current = self.manager.currentData()
        self.manager.blockSignals(True)
        self.manager.clear()
        self.manager.addItem(self.tr("全部客户经理"), None)
        for group in staff:
            if group.position != "customer_manager":
                continue
            for person in group.staff:
                self.manager.addItem(self.tr("{0}（{1}）").format(person.name, person.employee_no), person.employee_no)
        index = self.manager.findData(current)
        self.manager.setCurrentIndex(max(index, 0))
        self.manager.blockSignals(False)
        if index < 0 and current is not None:
            self._apply()

    def _on_unassigned(self, checked: bool) -> None:
        # "only unassigned" and "one manager's accounts" exclude each other
        self.manager.setEnabled(not checked)
        self._apply()

    def _sync_buttons(self, *_args) -> None:
        self.assign_button.setEnabled(bool(self.view.selectionModel().selectedRows()))

    def selected_accounts(self) -> list[tuple[int, str | None]]:
        rows = sorted(index.row() for index in self.view.selectionModel().selectedRows())
        return [(r.id, r.manager_no) for row in rows if (r := self.model.row_at(row)) is not None]

    def assign_selected(self) -> None:
        self.assigner.assign(self.selected_accounts())

    def set_unit(self, code: str) -> None:
        """Show the accounts of ``code``; keeps the filters the user chose."""
        if code == self._unit:
            return
        self._unit = code
        self._load_industries()
        if self.manager.currentData() is not None or self.manager.count() > 1:
            # another unit's managers: the filter starts empty until the page's staff arrive
            self.manager.blockSignals(True)
            self.manager.clear()
            self.manager.addItem(self.tr("全部客户经理"), None)
            self.manager.blockSignals(False)
        self._apply()

    def current_query(self) -> AccountQuery:
        base = self.model.query
        scope = self.scope.currentData()
        unassigned = self.unassigned.isChecked()
        return replace(
            base,
            unit=self._unit or base.unit,
            owned_only=scope == SCOPE_OWNED,
            owned_within=scope == SCOPE_WITHIN,
            level=self.level.currentData(),
            industry=self.industry.currentData(),
            status=self.status.currentData(),
            manager=None if unassigned else self.manager.currentData(),
            # accounts awaiting a manager: a churned account needs none
            unassigned=unassigned,
            exclude_churned=unassigned,
            search=self.search.text().strip(),
        )

    def show_queue(self) -> None:
        """List the unit's queue, exactly the accounts the 待分配 button counts: the scope becomes the
        accounts the unit answers for, 仅未分配 is ticked and every other filter is cleared."""
        widgets = (self.search, self.scope, self.level, self.industry, self.status, self.manager, self.unassigned)
        for widget in widgets:
            widget.blockSignals(True)
        try:
            self.search.clear()
            self.scope.setCurrentIndex(self.scope.findData(SCOPE_WITHIN))
            for combo in (self.level, self.industry, self.status, self.manager):
                combo.setCurrentIndex(0)
            self.unassigned.setChecked(True)
            self.manager.setEnabled(False)
        finally:
            for widget in widgets:
                widget.blockSignals(False)
        self._apply()

    def _apply(self) -> None:
        if not self._unit:
            return
        self._timer.stop()
        query = self.current_query()
        self.model.set_query(query)
        self.count_label.setText(self.tr("正在统计…"))
        if self._count_task is not None and not self._count_task.done:
            self._count_task.cancel()
        db = self.db
        self._count_task = self.tasks.read(
            lambda _progress: _count(db, query),
            on_done=self._on_counted,
            busy_cursor=False,
            error_title=self.tr("无法统计客户数"),
            parent=self,
        )

    def _on_counted(self, result: tuple[AccountQuery, int, int]) -> None:
        query, count, queue = result
        if _filters(query) != _filters(self.current_query()):
            return  # a count for filters the user has already changed (sorting does not change it)
        if count == 0:
            self.count_label.setText(self.tr("没有符合条件的客户"))
        else:
            self.count_label.setText(self.tr("共 {0} 个客户").format(f"{count:,}"))
        self.queue_button.setText(self.tr("待分配：{0} 个").format(f"{queue:,}"))
        self.queue_button.setVisible(queue > 0 and _filters(query) != _filters(_queue(query)))

    def refresh(self) -> None:
        """Read the list and the count again (after an account was created or changed)."""
        if self._unit:
            self._apply()

    def _on_failed(self, message: str) -> None:
        self.count_label.setText(self.tr("读取客户列表失败：{0}").format(message))
