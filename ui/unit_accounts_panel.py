"""The accounts of a unit, as a tab of its page: served in its area or owned by it, with filters
(level, industry, status, responsible manager, unassigned) and a search box (customer number, name or
pinyin initials — typing `zgsh` finds 中国石化…). The list pages on demand from the database on a worker
thread (ui.account_table_model), so the whole country's list opens as fast as a city's; the count comes
from a background read.

The unit's queue of unassigned accounts is one click away (the 待分配 button shows how many there are);
selected accounts — one or many — are handed to a customer manager with 指定负责客户经理… (ui.assign_dialog).
"""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from kam_console.db import Database
from kam_console.models import ACCOUNT_LEVEL_LABELS, ACCOUNT_STATUS_LABELS
from kam_console.services.accounts import AccountQuery, count_accounts
from kam_console.services.catalogues import list_industries
from kam_console.services.staff import PositionGroup
from ui.account_table_model import AccountTableModel, database_fetcher
from ui.assign_dialog import AccountAssigner
from ui.tasks import BackgroundTasks, Task

SEARCH_DELAY_MS = 300  # wait until typing pauses before re-running the query


def _filters(query: AccountQuery) -> AccountQuery:
    return replace(query, sort="customer_no", descending=False)


def _queue(query: AccountQuery) -> AccountQuery:
    """The unit's queue: its accounts (same scope) that nobody is responsible for, whatever else is filtered."""
    return AccountQuery(unit=query.unit, owned_only=query.owned_only, unassigned=True)


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
        self.scope.addItem(self.tr("本区域服务的客户"), False)
        self.scope.addItem(self.tr("本单位归属的客户"), True)
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
        self.count_label = QLabel(self)
        self.count_label.setObjectName("accountCount")
        self.queue_button = QPushButton(self)
        self.queue_button.setObjectName("unassignedQueue")
        self.queue_button.setFlat(True)
        self.queue_button.setStyleSheet("color: #b45309; font-weight: bold;")
        self.queue_button.setToolTip(self.tr("查看本单位待分配负责客户经理的客户"))
        self.queue_button.setVisible(False)
        self.queue_button.clicked.connect(lambda: self.unassigned.setChecked(True))
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
        self.view.setSortingEnabled(True)
        self.view.setAlternatingRowColors(True)
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.view.verticalHeader().setVisible(False)
        self.view.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 8)
        self.view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.view.horizontalHeader().setStretchLastSection(True)
        # Wide enough for a full customer number and a typical company name at the user's font size.
        metrics = self.view.fontMetrics()
        self.view.setColumnWidth(0, metrics.horizontalAdvance("KA4403000001201") + 24)
        self.view.setColumnWidth(1, metrics.horizontalAdvance("中国石油化工股份有限公司广东") + 16)

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
                return list_industries(conn)

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
        return replace(
            base,
            unit=self._unit or base.unit,
            owned_only=bool(self.scope.currentData()),
            level=self.level.currentData(),
            industry=self.industry.currentData(),
            status=self.status.currentData(),
            manager=None if self.unassigned.isChecked() else self.manager.currentData(),
            unassigned=self.unassigned.isChecked(),
            search=self.search.text().strip(),
        )

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
        self.queue_button.setVisible(queue > 0 and not query.unassigned)

    def refresh(self) -> None:
        """Read the list and the count again (after an account was created or changed)."""
        if self._unit:
            self._apply()

    def _on_failed(self, message: str) -> None:
        self.count_label.setText(self.tr("读取客户列表失败：{0}").format(message))
