"""督办: the selected unit's board of delayed work below it — service requests overdue or close to their
deadline, where they wait (which unit, which stage), how often they were escalated and urged — with an
urge action and each request's urge history, so heads chase delays without phone calls.

Data: ``kam_console.services.request_supervision`` (board, urge history) and ``service_requests.act``
(urge), read and written in the background; only while the tab is shown.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLabel,
    QMessageBox,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from kam_console.models import utcnow
from kam_console.services.request_supervision import Board, supervision_board, urge_history
from kam_console.services.service_requests import act
from kam_console.services.sla import BEIJING
from ui.tasks import BackgroundTasks, Task, show_error

OVERDUE = QColor("#c62828")
SOON = QColor("#b45309")
COLUMNS = ["请求编号", "客户", "类型", "优先级", "待处理单位", "阶段", "时限", "超时", "升级", "督办"]


def _time(value) -> str:
    return value.astimezone(BEIJING).strftime("%m-%d %H:%M")


def _overdue_text(hours: float) -> str:
    """Weekday hours past the deadline (negative: left), in days once that reads better."""
    amount = abs(hours)
    shown = f"{amount / 24:.1f} 个工作日" if amount >= 48 else f"{amount:.1f} 小时"
    return f"已超时 {shown}" if hours > 0 else f"剩 {shown}"


TOP_GROUPS = 5  # units named in the one-line summary; the tooltip has them all


def _groups_text(prefix: str, groups, limit: int | None = None) -> tuple[str, str]:
    """(one line, full text) for counts by unit or stage."""
    parts = [f"{g.label} {g.rows}（超时 {g.overdue}）" for g in groups]
    full = prefix + "；".join(parts)
    if limit is None or len(parts) <= limit:
        return full, full
    return prefix + "；".join(parts[:limit]) + f"；等共 {len(parts)} 个单位", full


def _item(text: str, *, right: bool = False, colour: QColor | None = None, tip: str = "") -> QTableWidgetItem:
    item = QTableWidgetItem(text)
    if right:
        item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
    if colour is not None:
        item.setForeground(QBrush(colour))
    item.setToolTip(tip or text)
    return item


class SupervisionPanel(QWidget):
    #: the user wants to see a request (its number)
    request_activated = Signal(str)

    def __init__(self, db, tasks: BackgroundTasks, identity_getter, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.db = db
        self.tasks = tasks
        self.identity_getter = identity_getter  # () -> Identity | None
        self.board: Board | None = None
        self._unit = ""
        self._task: Task | None = None

        self.summary = QLabel(self)
        self.summary.setObjectName("supervisionSummary")
        self.summary.setWordWrap(True)
        self.by_unit = QLabel(self)
        self.by_unit.setObjectName("supervisionByUnit")
        self.by_unit.setWordWrap(True)  # at most the top units: two lines, the rest in the tooltip
        self.by_stage = QLabel(self)
        self.by_stage.setWordWrap(True)
        self.urge_button = QPushButton(self.tr("督办…"), self)
        self.urge_button.setObjectName("urgeButton")
        self.urge_button.setToolTip(self.tr("给待处理单位发督办提醒（记入请求的处理记录）"))
        self.urge_button.setEnabled(False)
        self.urge_button.clicked.connect(self.urge_selected)
        self.refresh_button = QPushButton(self.tr("刷新"), self)
        self.refresh_button.clicked.connect(self.reload)

        self.table = QTableWidget(0, len(COLUMNS), self)
        self.table.setObjectName("supervisionTable")
        self.table.setHorizontalHeaderLabels([self.tr(c) for c in COLUMNS])
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 8)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.itemSelectionChanged.connect(self._selected)
        self.table.cellDoubleClicked.connect(self._activated)

        self.history = QTableWidget(0, 4, self)
        self.history.setObjectName("urgeHistory")
        self.history.setHorizontalHeaderLabels(
            [self.tr("督办时间"), self.tr("督办单位 / 人"), self.tr("督办对象"), self.tr("内容")]
        )
        self.history.verticalHeader().setVisible(False)
        self.history.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.history.horizontalHeader().setStretchLastSection(True)
        self.history_title = QLabel(self.tr("督办记录：选择一个请求查看"), self)

        top = QHBoxLayout()
        top.addWidget(self.summary, 1)
        top.addWidget(self.refresh_button)
        top.addWidget(self.urge_button)
        lower = QWidget(self)
        lower_layout = QVBoxLayout(lower)
        lower_layout.setContentsMargins(0, 0, 0, 0)
        lower_layout.addWidget(self.history_title)
        lower_layout.addWidget(self.history, 1)
        splitter = QSplitter(Qt.Orientation.Vertical, self)
        splitter.addWidget(self.table)
        splitter.addWidget(lower)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 4, 0, 0)
        layout.addLayout(top)
        layout.addWidget(self.by_unit)
        layout.addWidget(self.by_stage)
        layout.addWidget(splitter, 1)

    # --- loading -------------------------------------------------------------------------------

    def set_unit(self, code: str) -> None:
        if code and code != self._unit:
            self._unit = code
            self.reload()

    def reload(self) -> None:
        if not self._unit:
            return
        if self._task is not None and not self._task.done:
            self._task.cancel()
        db, unit = self.db, self._unit
        self.summary.setText(self.tr("正在读取…"))

        def work(progress):
            with db.engine.connect() as conn:
                return supervision_board(conn, unit=unit, now=utcnow())

        self._task = self.tasks.read(
            work, on_done=self.show_board, busy_cursor=False, parent=self, error_title=self.tr("无法读取督办信息")
        )

    def show_board(self, board: Board) -> None:
        if board.unit_code != self._unit:
            return  # the user has moved on
        self.board = board
        overdue = sum(1 for r in board.rows if r.overdue_hours > 0)
        if not board.rows:
            self.summary.setText(
                self.tr("{0}及下级单位没有超时或 {1} 个工作小时内到期的服务请求。").format(
                    board.unit_name, f"{board.soon_hours:g}"
                )
            )
        else:
            self.summary.setText(
                self.tr("{0}及下级单位：{1} 项待办已超时，{2} 项将在 {3} 个工作小时内到期。").format(
                    board.unit_name, overdue, len(board.rows) - overdue, f"{board.soon_hours:g}"
                )
            )
        line, full = _groups_text(self.tr("按单位："), board.by_unit, TOP_GROUPS) if board.by_unit else ("", "")
        self.by_unit.setText(line)
        self.by_unit.setToolTip(full)
        line, full = _groups_text(self.tr("按阶段："), board.by_stage) if board.by_stage else ("", "")
        self.by_stage.setText(line)
        self.by_stage.setToolTip(full)
        self.table.setRowCount(len(board.rows))
        for row, r in enumerate(board.rows):
            colour = OVERDUE if r.overdue_hours > 0 else SOON
            last = r.last_urge
            urge_tip = (
                self.tr("最近一次：{0} {1}{2}：{3}").format(
                    _time(last.at),
                    last.unit_name,
                    f"（{last.staff_name}）" if last.staff_name else "",
                    last.comment or "",
                )
                if last
                else self.tr("尚未督办")
            )
            cells = [
                _item(r.number),
                _item(r.account_name),
                _item(r.type_label),
                _item(r.priority_label),
                _item(r.unit_name),
                _item(r.stage_label),
                _item(_time(r.due_at), right=True),
                _item(_overdue_text(r.overdue_hours), right=True, colour=colour),
                _item(str(r.escalations), right=True),
                _item(str(r.urges), right=True, tip=urge_tip),
            ]
            for column, item in enumerate(cells):
                item.setData(Qt.ItemDataRole.UserRole, r.number)
                self.table.setItem(row, column, item)
        self.table.resizeColumnsToContents()
        self._selected()

    # --- urging ------------------------------------------------------------------------------------

    def selected_number(self) -> str | None:
        rows = self.table.selectionModel().selectedRows()
        if not rows:
            return None
        return self.table.item(rows[0].row(), 0).data(Qt.ItemDataRole.UserRole)

    def _selected(self) -> None:
        number = self.selected_number()
        self.urge_button.setEnabled(number is not None)
        if number is None:
            self.history.setRowCount(0)
            self.history_title.setText(self.tr("督办记录：选择一个请求查看"))
            return
        db = self.db

        def work(progress):
            with db.engine.connect() as conn:
                return number, urge_history(conn, number=number)

        self.tasks.read(work, on_done=self._show_history, busy_cursor=False, parent=self)

    def _show_history(self, result) -> None:
        number, records = result
        if number != self.selected_number():
            return
        self.history_title.setText(self.tr("督办记录：{0}（{1} 次）").format(number, len(records)))
        self.history.setRowCount(len(records))
        for row, rec in enumerate(records):
            who = rec.unit_name + (f"（{rec.staff_name}）" if rec.staff_name else "")
            for column, text in enumerate((_time(rec.at), who, rec.target_name, rec.comment or "")):
                self.history.setItem(row, column, _item(text))
        self.history.resizeColumnsToContents()

    def ask_comment(self, number: str) -> tuple[str, bool]:
        return QInputDialog.getText(
            self, self.tr("督办"), self.tr("给 {0} 的待处理单位留言：").format(number), text=self.tr("请尽快处理")
        )

    def urge_selected(self) -> None:
        number = self.selected_number()
        if number is None:
            return
        identity = self.identity_getter()
        if identity is None:
            QMessageBox.information(self, self.tr("督办"), self.tr("请先在“文件 → 切换当前身份…”中选择您的身份。"))
            return
        comment, ok = self.ask_comment(number)
        if not ok:
            return
        db, employee_no = self.db, identity.employee_no

        def work(progress):
            with db.engine.begin() as conn:
                return act(conn, number=number, action="urge", as_staff=employee_no, text=comment, now=utcnow())

        self.tasks.write(
            work,
            on_done=lambda _result: self.reload(),
            on_error=lambda exc: show_error(self, exc, self.tr("督办失败")),
            label=self.tr("正在督办…"),
            parent=self,
        )

    def _activated(self, row: int, _column: int) -> None:
        item = self.table.item(row, 0)
        if item is not None:
            self.request_activated.emit(item.data(Qt.ItemDataRole.UserRole))
