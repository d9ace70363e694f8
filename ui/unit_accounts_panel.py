"""The accounts of a unit, as a tab of its page: served in its area or owned by it, with filters
(level, status, unassigned) and a search box (customer number, name or pinyin initials — typing
`zgsh` finds 中国石化…). The list pages on demand from the database (ui.account_table_model), so the
whole country's list opens as fast as a city's; the count comes from a background read."""

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
from ui.account_table_model import AccountTableModel, database_fetcher
from ui.tasks import BackgroundTasks, Task

SEARCH_DELAY_MS = 300  # wait until typing pauses before re-running the query


def _filters(query: AccountQuery) -> AccountQuery:
    return replace(query, sort="customer_no", descending=False)


def _count(db: Database, query: AccountQuery) -> tuple[AccountQuery, int]:
    with db.engine.connect() as conn:
        return query, count_accounts(conn, query)


class UnitAccountsPanel(QWidget):
    create_requested = Signal(str)  # the unit code the new account starts from

    def __init__(self, db: Database, tasks: BackgroundTasks, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.db = db
        self.tasks = tasks
        self._count_task: Task | None = None
        self.model = AccountTableModel(database_fetcher(db), parent=self)
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
        self.unassigned = QCheckBox(self.tr("仅未分配客户经理"), self)
        self.count_label = QLabel(self)
        self.count_label.setObjectName("accountCount")
        self.new_button = QPushButton(self.tr("新建客户…"), self)
        self.new_button.clicked.connect(lambda: self.create_requested.emit(self._unit))

        self.view = QTableView(self)
        self.view.setObjectName("accountTable")
        self.view.setModel(self.model)
        self.view.setSortingEnabled(True)
        self.view.setAlternatingRowColors(True)
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
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
        for widget in (self.scope, self.level, self.status, self.unassigned):
            filters.addWidget(widget)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 4, 0, 0)
        layout.addLayout(filters)
        count_row = QHBoxLayout()
        count_row.addWidget(self.count_label, 1)
        count_row.addWidget(self.new_button)
        layout.addLayout(count_row)
        layout.addWidget(self.view, 1)

        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(SEARCH_DELAY_MS)
        self._timer.timeout.connect(self._apply)
        self.search.textChanged.connect(self._timer.start)
        for combo in (self.scope, self.level, self.status):
            combo.currentIndexChanged.connect(self._apply)
        self.unassigned.toggled.connect(self._apply)
        self._unit = ""

    def set_unit(self, code: str) -> None:
        """Show the accounts of ``code``; keeps the filters the user chose."""
        if code == self._unit:
            return
        self._unit = code
        self._apply()

    def current_query(self) -> AccountQuery:
        base = self.model.query
        return replace(
            base,
            unit=self._unit or base.unit,
            owned_only=bool(self.scope.currentData()),
            level=self.level.currentData(),
            status=self.status.currentData(),
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

    def _on_counted(self, result: tuple[AccountQuery, int]) -> None:
        query, count = result
        if _filters(query) != _filters(self.current_query()):
            return  # a count for filters the user has already changed (sorting does not change it)
        if count == 0:
            self.count_label.setText(self.tr("没有符合条件的客户"))
        else:
            self.count_label.setText(self.tr("共 {0} 个客户").format(f"{count:,}"))

    def refresh(self) -> None:
        """Read the list and the count again (after an account was created or changed)."""
        if self._unit:
            self._apply()

    def _on_failed(self, message: str) -> None:
        self.count_label.setText(self.tr("读取客户列表失败：{0}").format(message))
