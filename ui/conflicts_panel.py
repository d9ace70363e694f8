"""责任冲突: where the responsible-manager rule is broken among the accounts the selected unit (or a unit
below it) owns — unassigned accounts, managers who left, managers sitting elsewhere, accounts claimed
twice — with what to do about each. Read in the background from
``kam_console.services.responsibility``; only while the tab is shown."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from kam_console.db import Database
from kam_console.services.responsibility import Conflict, manager_conflicts
from ui.tasks import BackgroundTasks, Task

LIMIT = 1000
HEADERS = ("客户编号", "客户名称", "问题", "归属单位", "服务地市", "负责客户经理", "说明")


def _load(db: Database, code: str) -> tuple[str, list[Conflict]]:
    with db.engine.connect() as conn:
        return code, manager_conflicts(conn, unit=code, limit=LIMIT)


class ConflictsPanel(QWidget):
    def __init__(self, db: Database, tasks: BackgroundTasks, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.db = db
        self.tasks = tasks
        self._code = ""
        self._task: Task | None = None
        self.summary = QLabel(self)
        self.summary.setWordWrap(True)
        self.table = QTableWidget(0, len(HEADERS), self)
        self.table.setObjectName("conflictsTable")
        self.table.setHorizontalHeaderLabels([self.tr(h) for h in HEADERS])
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setAlternatingRowColors(True)
        self.table.setSortingEnabled(True)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 4, 0, 0)
        layout.addWidget(self.summary)
        layout.addWidget(self.table, 1)

    def set_unit(self, code: str) -> None:
        if not code or code == self._code:
            return
        self._code = code
        self.summary.setText(self.tr("正在检查负责客户经理…"))
        self.table.setRowCount(0)
        if self._task is not None and not self._task.done:
            self._task.cancel()
        db = self.db
        self._task = self.tasks.read(
            lambda _progress: _load(db, code),
            on_done=self._show,
            busy_cursor=False,
            error_title=self.tr("无法检查负责客户经理"),
            parent=self,
        )

    def _show(self, result: tuple[str, list[Conflict]]) -> None:
        code, conflicts = result
        if code != self._code:
            return  # for a unit the user has already left
        if not conflicts:
            self.summary.setText(self.tr("本单位及下级单位归属的客户都有且只有一名在岗的负责客户经理。"))
        else:
            more = self.tr("（仅显示前 {0} 项）").format(LIMIT) if len(conflicts) >= LIMIT else ""
            self.summary.setText(
                self.tr("有 {0} 个客户不符合客户经理负责制，需由归属单位处理{1}：").format(len(conflicts), more)
            )
        self.table.setSortingEnabled(False)
        self.table.setRowCount(len(conflicts))
        for row, c in enumerate(conflicts):
            name = c.name + (self.tr("（分支）") if c.is_branch else "")
            values = (c.customer_no, name, c.label, c.owner_unit, c.serving_city, c.manager or "—", c.detail)
            for col, value in enumerate(values):
                item = QTableWidgetItem(value)
                item.setData(Qt.ItemDataRole.UserRole, c.account_id)
                self.table.setItem(row, col, item)
        self.table.setSortingEnabled(True)

    def reset(self) -> None:
        """Forget the unit so the next ``set_unit`` reads again (after data changed)."""
        self._code = ""
