"""Handing selected accounts to a customer manager — the way a unit works off its queue of unassigned
accounts (the accounts tab with 仅未分配客户经理 ticked), or moves several accounts at once.

``AssignManagersDialog`` lists the customer managers who may take the accounts (their owning units' and
serving cities' — ``kam_console.services.assignment``), industry specialists first, with how many
accounts each already carries, so the load can be spread. ``AccountAssigner`` loads the candidates,
shows the dialog and saves in the background; accounts changed by someone else meanwhile are skipped
and listed, never overwritten.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMessageBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from kam_console.services.assignment import AssignResult, ManagerCandidate, assign_managers, candidates_for_accounts
from ui.tasks import show_error

COL_NAME, COL_NO, COL_UNIT, COL_INDUSTRIES, COL_ACCOUNTS = range(5)


class AssignManagersDialog(QDialog):
    def __init__(self, candidates: list[ManagerCandidate], count: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("指定负责客户经理"))
        self.candidates = [c for c in candidates if c.eligible]
        intro = QLabel(self.tr("为选中的 {0} 个客户指定负责客户经理：").format(count), self)
        self.filter_edit = QLineEdit(self)
        self.filter_edit.setPlaceholderText(self.tr("按姓名、工号或行业筛选"))
        self.filter_edit.setClearButtonEnabled(True)
        self.table = QTableWidget(len(self.candidates), 5, self)
        self.table.setObjectName("candidateTable")
        self.table.setHorizontalHeaderLabels(
            [self.tr("姓名"), self.tr("工号"), self.tr("所在单位"), self.tr("专长行业"), self.tr("已负责客户")]
        )
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setSectionResizeMode(COL_INDUSTRIES, QHeaderView.ResizeMode.Stretch)
        for row, c in enumerate(self.candidates):
            values = [c.name, c.employee_no, c.unit, "、".join(c.industries) or "—", f"{c.accounts:,}"]
            for column, value in enumerate(values):
                item = QTableWidgetItem(value)
                if column == COL_ACCOUNTS:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                if c.fits_industry:
                    item.setToolTip(self.tr("专长行业包括这些客户所在的行业"))
                self.table.setItem(row, column, item)
        self.empty = QLabel(
            self.tr("这些客户的归属单位和服务地市没有在岗的客户经理。请先在“员工”页添加客户经理。"), self
        )
        self.empty.setWordWrap(True)
        self.empty.setVisible(not self.candidates)
        self.note_edit = QLineEdit(self)
        self.note_edit.setMaxLength(200)
        self.note_edit.setPlaceholderText(self.tr("说明（记入负责经理历史），例如：新客户分配"))
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        self.ok_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok_button.setText(self.tr("指定"))
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setText(self.tr("取消"))
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.filter_edit)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.empty)
        layout.addWidget(self.note_edit)
        layout.addWidget(self.buttons)
        self.filter_edit.textChanged.connect(self._filter)
        self.table.itemSelectionChanged.connect(self._sync)
        self.table.itemDoubleClicked.connect(lambda _item: self.ok_button.isEnabled() and self.accept())
        if self.candidates:
            self.table.selectRow(0)
        self._sync()
        self.resize(640, 420)

    def _filter(self, text: str) -> None:
        needle = text.strip()
        for row, c in enumerate(self.candidates):
            hay = " ".join([c.name, c.employee_no, c.unit, *c.industries])
            self.table.setRowHidden(row, bool(needle) and needle not in hay)

    def _sync(self) -> None:
        self.ok_button.setEnabled(self.chosen() is not None)

    def choose(self, employee_no: str) -> None:
        for row, c in enumerate(self.candidates):
            if c.employee_no == employee_no:
                self.table.selectRow(row)
                return

    def chosen(self) -> str | None:
        rows = {index.row() for index in self.table.selectionModel().selectedRows()}
        visible = [r for r in rows if not self.table.isRowHidden(r)]
        return self.candidates[visible[0]].employee_no if visible else None

    def note(self) -> str | None:
        return self.note_edit.text().strip() or None


class AccountAssigner(QObject):
    """Loads candidates, asks, saves; emits :attr:`assigned` with the result once saved."""

    assigned = Signal(object)  # AssignResult

    def __init__(self, db, tasks, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._db = db
        self._tasks = tasks
        self._parent = parent

    def make_dialog(self, candidates: list[ManagerCandidate], count: int) -> AssignManagersDialog:
        return AssignManagersDialog(candidates, count, self._parent)

    def assign(self, accounts: Sequence[tuple[int, str | None]]) -> None:
        """``accounts``: (account id, employee number of the manager shown, None if unassigned)."""
        accounts = list(accounts)
        if not accounts:
            return
        db = self._db
        ids = [a for a, _ in accounts]

        def work(progress):
            with db.engine.connect() as conn:
                return candidates_for_accounts(conn, account_ids=ids)

        self._tasks.read(
            work,
            on_done=lambda candidates: self._ask(accounts, candidates),
            error_title=self.tr("无法读取客户经理"),
            parent=self._parent,
        )

    def _ask(self, accounts: list[tuple[int, str | None]], candidates: list[ManagerCandidate]) -> None:
        dialog = self.make_dialog(candidates, len(accounts))
        try:
            if dialog.exec() != QDialog.DialogCode.Accepted or dialog.chosen() is None:
                return
            manager, note = dialog.chosen(), dialog.note()
        finally:
            dialog.deleteLater()
        db = self._db

        def work(progress):
            with db.engine.begin() as conn:
                return assign_managers(conn, accounts=accounts, manager=manager, note=note)

        self._tasks.write(
            work,
            on_done=self._done,
            on_error=lambda exc: show_error(self._parent, exc, self.tr("指定负责客户经理失败")),
            label=self.tr("正在指定负责客户经理…"),
            parent=self._parent,
        )

    def _done(self, result: AssignResult) -> None:
        self.assigned.emit(result)
        if result.skipped:
            lines = [f"{s.customer_no}：{s.reason}" for s in result.skipped[:20]]
            if len(result.skipped) > 20:
                lines.append(self.tr("……另有 {0} 个").format(len(result.skipped) - 20))
            QMessageBox.information(
                self._parent,
                self.tr("部分客户未变更"),
                self.tr("已为 {0} 个客户指定负责客户经理；以下 {1} 个客户没有变更：").format(
                    result.assigned, len(result.skipped)
                )
                + "\n\n"
                + "\n".join(lines),
            )
