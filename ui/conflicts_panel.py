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
from kam_console.services.responsibility import KINDS, ConflictReport, conflict_report
from ui.tasks import BackgroundTasks, Task

LIMIT = 1000
HEADERS = ("客户编号", "客户名称", "问题", "归属单位", "服务地市", "负责客户经理", "说明")
COL_DETAIL = len(HEADERS) - 1
# The widest a column starts (in characters of the font) before its text is cut off with "…"; the full text
# is in each cell's tooltip, and the user can widen a column by dragging. 说明 takes the rest of the width.
MAX_CHARS = {0: 16, 1: 15, 2: 10, 3: 6, 4: 6, 5: 7}


def _load(db: Database, code: str) -> tuple[str, ConflictReport]:
    with db.engine.connect() as conn:
        return code, conflict_report(conn, unit=code, limit=LIMIT)


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
        # One line per conflict, as high as the rows of the accounts list.
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.table.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 8)
        self.table.setWordWrap(False)
        self.table.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setAlternatingRowColors(True)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        header.setSortIndicator(-1, Qt.SortOrder.AscendingOrder)
        # Clicking a header sorts by that column; until then the rows keep the service's order.
        self.table.setSortingEnabled(True)
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

    def _summary_text(self, report: ConflictReport) -> str:
        if not report.total:
            return self.tr("本单位及下级单位归属的客户都有且只有一名在岗的负责客户经理。")
        kinds = "、".join(
            f"{label} {report.by_kind[kind]:,}" for kind, label in KINDS.items() if report.by_kind.get(kind)
        )
        text = self.tr("有 {0} 个客户不符合客户经理负责制，需由归属单位处理（{1}）。").format(
            f"{report.total:,}", kinds
        )
        if report.truncated:
            text += self.tr("共 {0} 项，显示前 {1} 项。").format(f"{report.total:,}", f"{len(report.rows):,}")
        return text

    def _show(self, result: tuple[str, ConflictReport]) -> None:
        code, report = result
        if code != self._code:
            return  # for a unit the user has already left
        conflicts = report.rows
        self.summary.setText(self._summary_text(report))
        self.table.setSortingEnabled(False)
        self.table.setRowCount(len(conflicts))
        for row, c in enumerate(conflicts):
            name = c.name + (self.tr("（分支）") if c.is_branch else "")
            values = (c.customer_no, name, c.label, c.owner_unit, c.serving_city, c.manager or "—", c.detail)
            for col, value in enumerate(values):
                item = QTableWidgetItem(value)
                item.setData(Qt.ItemDataRole.UserRole, c.account_id)
                item.setToolTip(value)
                self.table.setItem(row, col, item)
        self._size_columns()
        # The rows stay in the service's order (branches first, then by customer number) until the user
        # sorts by clicking a header: no sort mark, so turning sorting back on sorts nothing.
        self.table.horizontalHeader().setSortIndicator(-1, Qt.SortOrder.AscendingOrder)
        self.table.setSortingEnabled(True)

    def _size_columns(self) -> None:
        header = self.table.horizontalHeader()
        char = self.fontMetrics().horizontalAdvance("中")
        for col, chars in MAX_CHARS.items():
            self.table.resizeColumnToContents(col)
            header.resizeSection(col, min(header.sectionSize(col), chars * char + 16))

    def reset(self) -> None:
        """Forget the unit so the next ``set_unit`` reads again (after data changed)."""
        self._code = ""
