"""The 月报 page (the fourth page, Ctrl+4): monthly reports of the unit selected in the tree.

A month selector lists the months that have ended and hold revenue, newest first. For a province or the
group the page opens with the status board of the units directly below (``monthly_reports.status_board``):
who has submitted, who was approved or returned, deadlines and how late each one is, with a one-line
count; double-click or Enter opens a unit's report (the tree selects it, as drilling down does elsewhere).
Under the board, or alone for a city, is the unit's own report (``ui.report_panel.ReportPanel``), worked
on as the current identity.

``BoardTableModel`` is the board as a Qt model (a short list, sorted by a proxy on ``SortRole``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
    Signal,
)
from PySide6.QtGui import QColor, QFont, QKeyEvent, QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)
from shiboken6 import isValid

from kam_console.months import month_text
from kam_console.services.analysis import available_months
from kam_console.services.monthly_reports import (
    BOARD_STATUSES,
    BoardRow,
    StatusBoard,
    beijing_month,
    status_board,
)
from kam_console.services.org import get_org_unit
from ui.identity import IdentityHolder
from ui.report_panel import OVERDUE_COLOUR, STATUS_COLOURS, ReportPanel, deadline_text, month_label, when
from ui.style import muted_colour, set_muted
from ui.tasks import BackgroundTasks, Task

COL_UNIT, COL_STATUS, COL_VERSION, COL_SUBMITTER, COL_SUBMITTED, COL_DECIDED, COL_DEADLINE, COL_OVERDUE = range(8)
HEADERS = ["单位", "状态", "版本", "提交人", "提交时间", "审批/退回时间", "截止日期", "逾期"]
CodeRole = Qt.ItemDataRole.UserRole + 1  # the unit's code
SortRole = Qt.ItemDataRole.UserRole + 2
StatusRole = Qt.ItemDataRole.UserRole + 3
LATE_COLOUR = "#e65100"
CHILD_KIND = {"group": "省", "province": "地市"}


def overdue_text(row: BoardRow) -> str:
    if row.overdue:
        return f"逾期 {row.days_overdue} 天"
    if row.late:
        return "逾期提交"
    return ""


def board_summary(board: StatusBoard, level: str) -> str:
    """ "21 个地市：已审批 5 · 已提交 3 · 已退回 1 · 草稿 2 · 未开始 10；逾期 8"."""
    labels = (
        ("approved", "已审批"),
        ("submitted", "已提交"),
        ("returned", "已退回"),
        ("draft", "草稿"),
        ("not_started", "未开始"),
    )
    counts = " · ".join(f"{label} {board.count(status)}" for status, label in labels)
    return f"{len(board.rows)} 个{CHILD_KIND.get(level, '单位')}：{counts}；逾期 {board.overdue}"


class BoardTableModel(QAbstractTableModel):
    """The status board's rows; status coloured, overdue in red."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.rows: list[BoardRow] = []
        self._muted = QColor("#9e9e9e")

    def set_rows(self, rows: list[BoardRow], muted: QColor | None = None) -> None:
        self.beginResetModel()
        self.rows = list(rows)
        if muted is not None:
            self._muted = muted
        self.endResetModel()

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(HEADERS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole):
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self.tr(HEADERS[section])
        return None

    def row_of(self, code: str) -> int:
        return next((i for i, r in enumerate(self.rows) if r.code == code), -1)

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        r = self.rows[index.row()]
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return [
                r.name,
                r.status_label,
                f"第 {r.version} 版" if r.version else "—",
                r.submitted_by or "—",
                when(r.submitted_at) if r.submitted_at else "—",
                when(r.decided_at) if r.decided_at else "—",
                r.deadline.isoformat(),
                overdue_text(r),
            ][column]
        if role == CodeRole:
            return r.code
        if role == StatusRole:
            return r.status
        if role == SortRole:
            never = ""
            return [
                r.code,
                BOARD_STATUSES.index(r.status),
                r.version or 0,
                r.submitted_by or never,
                when(r.submitted_at) if r.submitted_at else never,
                when(r.decided_at) if r.decided_at else never,
                r.deadline.isoformat(),
                r.days_overdue * 10 + (1 if r.late else 0),
            ][column]
        if role == Qt.ItemDataRole.ForegroundRole:
            if column == COL_STATUS:
                return self._muted if r.status == "not_started" else QColor(STATUS_COLOURS[r.status])
            if column == COL_OVERDUE:
                return QColor(OVERDUE_COLOUR if r.overdue else LATE_COLOUR)
            if r.status == "not_started" and column != COL_UNIT:
                return self._muted
            return None
        if role == Qt.ItemDataRole.FontRole and (column == COL_STATUS and r.status != "not_started" or r.overdue):
            if column in (COL_STATUS, COL_OVERDUE):
                font = QFont()
                font.setBold(True)
                return font
            return None
        if role == Qt.ItemDataRole.TextAlignmentRole and column == COL_VERSION:
            return int(Qt.AlignmentFlag.AlignCenter)
        if role == Qt.ItemDataRole.ToolTipRole:
            if column == COL_DECIDED and r.decided_by:
                verb = "退回" if r.status == "returned" else "审批"
                return f"{r.decided_by} {verb}于 {when(r.decided_at)}"
            if column == COL_OVERDUE and r.overdue:
                return f"截止 {r.deadline.isoformat()}，至今未提交"
            if column == COL_OVERDUE and r.late:
                return f"截止 {r.deadline.isoformat()} 之后才首次提交"
            if column == COL_UNIT:
                return f"{r.name}（{r.code}）　双击查看其月报"
            return None
        return None


class BoardView(QTableView):
    """The board's table: Enter opens the current row as double-click does."""

    opened = Signal(str)  # the unit's code

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.doubleClicked.connect(self._open)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and self.currentIndex().isValid():
            self._open(self.currentIndex())
            return
        super().keyPressEvent(event)

    def _open(self, index: QModelIndex) -> None:
        code = index.data(CodeRole)
        if code:
            self.opened.emit(code)


@dataclass(frozen=True)
class PageData:
    unit: str
    name: str
    level: str
    months: tuple[int, ...]  # ended months with revenue, newest first
    month: int | None
    board: StatusBoard | None  # for a province or the group
    now: dt.datetime


def load_page(db, *, unit: str, month: int | None, now: dt.datetime) -> PageData:
    """Worker side: the months to choose from, the month to show (``month`` when it can be reported, else
    the newest) and, for a province or the group, its status board."""
    with db.session() as session:
        org = get_org_unit(session, code=unit)
    with db.engine.connect() as conn:
        current = beijing_month(now)
        months = tuple(m for m in reversed(available_months(conn)) if m < current)
        if month not in months:
            month = months[0] if months else None
        board = None
        if month is not None and org.level in CHILD_KIND:
            board = status_board(conn, unit=unit, month=month, now=now)
    return PageData(org.code, org.name, org.level, months, month, board, now)


class ReportsPage(QWidget):
    #: open this unit (the window selects it in the tree)
    unit_requested = Signal(str)
    #: the board (and month list) for the current selection is shown
    board_shown = Signal()

    def __init__(
        self,
        db,
        tasks: BackgroundTasks,
        identity: IdentityHolder,
        *,
        clock: Callable[[], dt.datetime] | None = None,
        choose_identity: Callable[[], None] | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.db = db
        self.tasks = tasks
        self.identity_holder = identity
        self.clock = clock or (lambda: dt.datetime.now(dt.UTC))
        self.unit = ""
        self.unit_name = ""
        self.month: int | None = None
        self.page_data: PageData | None = None
        self._stale = True
        self._generation = 0
        self._task: Task | None = None
        self.panel = ReportPanel(db, tasks, identity, lambda: self.now(), choose_identity=choose_identity, parent=self)
        self.panel.changed.connect(self.reload_board)
        self._build()

    def now(self) -> dt.datetime:
        return self.clock()

    # --- construction --------------------------------------------------------------------------

    def _build(self) -> None:
        self.heading = QLabel(self.tr("月报"), self)
        self.heading.setObjectName("reportsHeading")
        font = QFont(self.heading.font())
        font.setPointSizeF(font.pointSizeF() * 1.3)
        font.setBold(True)
        self.heading.setFont(font)
        self.month_combo = QComboBox(self)
        self.month_combo.setObjectName("reportMonth")
        self.month_combo.setToolTip(self.tr("已结束且有收入数据的月份"))
        self.month_combo.setMinimumContentsLength(9)
        self.month_combo.activated.connect(self._month_chosen)
        month_label_widget = QLabel(self.tr("月份(&M)："), self)
        month_label_widget.setBuddy(self.month_combo)
        self.refresh_button = QPushButton(self.tr("刷新"), self)
        self.refresh_button.setToolTip(self.tr("重新读取提交情况和月报"))
        self.refresh_button.clicked.connect(self.refresh)

        self.summary = QLabel(self)
        self.summary.setObjectName("boardSummary")
        self.summary.setTextFormat(Qt.TextFormat.RichText)
        self.summary.setWordWrap(True)
        self.own = QLabel(self)
        self.own.setObjectName("boardOwn")
        self.own.setTextFormat(Qt.TextFormat.RichText)
        self.own.setWordWrap(True)
        set_muted(self.own)
        self.model = BoardTableModel(self)
        self.proxy = QSortFilterProxyModel(self)
        self.proxy.setSourceModel(self.model)
        self.proxy.setSortRole(SortRole)
        self.table = BoardView(self)
        self.table.setObjectName("boardTable")
        self.table.setModel(self.proxy)
        self.table.setSortingEnabled(True)
        self.table.horizontalHeader().setSortIndicator(-1, Qt.SortOrder.AscendingOrder)  # by code
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 8)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        self.table.opened.connect(self.unit_requested)

        self.board_box = QWidget(self)
        board_layout = QVBoxLayout(self.board_box)
        board_layout.setContentsMargins(0, 0, 0, 0)
        board_layout.setSpacing(3)
        board_layout.addWidget(self.summary)
        board_layout.addWidget(self.own)
        board_layout.addWidget(self.table, 1)
        self.board_box.hide()

        self.splitter = QSplitter(Qt.Orientation.Vertical, self)
        self.splitter.setObjectName("reportsSplitter")
        self.splitter.addWidget(self.board_box)
        self.splitter.addWidget(self.panel)
        self.splitter.setCollapsible(1, False)
        self.splitter.setStretchFactor(0, 2)
        self.splitter.setStretchFactor(1, 3)
        self.splitter.setSizes([260, 440])

        top = QHBoxLayout()
        top.addWidget(self.heading, 1)
        top.addWidget(month_label_widget)
        top.addWidget(self.month_combo)
        top.addWidget(self.refresh_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 6, 8, 6)
        layout.addLayout(top)
        layout.addWidget(self.splitter, 1)

    # --- selection -----------------------------------------------------------------------------

    def set_unit(self, code: str, name: str = "") -> None:
        """Show ``code``'s reports (read now if shown, else when next shown); unsaved edits are guarded."""
        if not code or (code == self.unit and not self._stale):
            return
        if code == self.unit:
            self.refresh()
            return

        def go() -> None:
            self.unit, self.unit_name = code, name or code
            self.heading.setText(self.tr("月报 · {0}").format(self.unit_name))
            self.refresh()

        previous = self.unit
        self.panel.leave(go, lambda: self.unit_requested.emit(previous) if previous else None)

    def set_month(self, month: int) -> None:
        """Show ``month`` (when it can be reported; unsaved edits are guarded)."""
        if month == self.month:
            return

        def go() -> None:
            self.month = month
            self.refresh()

        self.panel.leave(go, self._show_month_choice)

    def _month_chosen(self, index: int) -> None:
        month = self.month_combo.itemData(index)
        if month is not None:
            self.set_month(month)

    def _show_month_choice(self) -> None:
        index = self.month_combo.findData(self.month)
        if index >= 0:
            self.month_combo.setCurrentIndex(index)

    def invalidate(self) -> None:
        self._stale = True

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self._stale and self.unit:
            self.refresh()

    def has_unsaved(self) -> bool:
        return self.panel.has_unsaved()

    def leave(self, proceed: Callable[[], None], stay: Callable[[], None] | None = None) -> None:
        self.panel.leave(proceed, stay)

    # --- loading -------------------------------------------------------------------------------

    def refresh(self) -> None:
        """Re-read the months, the board and the report."""
        self._load(show_report=True)

    def reload_board(self) -> None:
        """Re-read the board only (after the report changed)."""
        self._load(show_report=False)

    def _load(self, *, show_report: bool) -> None:
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
        db, unit, month, now = self.db, self.unit, self.month, self.now()
        if show_report and self.panel.unit != unit:
            self.panel.clear(self.tr("正在读取…"))
        self._task = self.tasks.read(
            lambda _p: load_page(db, unit=unit, month=month, now=now),
            on_done=lambda data: self._loaded(generation, data, show_report),
            on_error=lambda exc: self._failed(generation, exc),
            busy_cursor=False,
            parent=self,
        )

    def _failed(self, generation: int, exc: BaseException) -> None:
        if not isValid(self) or generation != self._generation:
            return
        self.board_box.hide()
        self.panel.clear(self.tr("无法读取月报：{0}").format(getattr(exc, "zh", None) or str(exc)))

    def _loaded(self, generation: int, data: PageData, show_report: bool) -> None:
        if not isValid(self) or generation != self._generation:
            return
        self.page_data = data
        self.month = data.month
        self.unit_name = data.name
        self.heading.setText(self.tr("月报 · {0}").format(data.name))
        self._set_months(data)
        self._show_board(data)
        if show_report:
            if data.month is None:
                self.panel.clear(self.tr("还没有可以编制月报的月份：需要已结束且已导入收入的月份。"))
            else:
                self.panel.show_report(data.unit, data.month)
        self.board_shown.emit()

    def _set_months(self, data: PageData) -> None:
        self.month_combo.blockSignals(True)
        self.month_combo.clear()
        for month in data.months:
            self.month_combo.addItem(month_label(month), month)
        self.month_combo.setCurrentIndex(self.month_combo.findData(data.month))
        self.month_combo.setEnabled(bool(data.months))
        self.month_combo.blockSignals(False)

    def _show_board(self, data: PageData) -> None:
        board = data.board
        if board is None:
            self.board_box.hide()
            self.model.set_rows([])
            return
        keep = self.table.currentIndex().data(CodeRole)
        self.model.set_rows(board.rows, muted_colour(self.table.palette()))
        for column in range(self.model.columnCount() - 1):
            self.table.resizeColumnToContents(column)
        summary = board_summary(board, data.level)
        if board.overdue:
            head, _sep, _tail = summary.rpartition("；")
            summary = f"{head}；<b style='color:{OVERDUE_COLOUR}'>逾期 {board.overdue}</b>"
        self.summary.setText(f"<b>{month_label(board.month)}</b>　{summary}")
        own = board.own
        status = own.status if own else "not_started"
        due, overdue = deadline_text(board.own_deadline, status, data.now)
        if overdue:
            due = f"<span style='color:{OVERDUE_COLOUR}'>{due}</span>"
        if own is None:
            own_text = self.tr("本单位月报：未开始，{0}").format(due)
        else:
            own_text = self.tr("本单位月报：第 {0} 版 · {1}，{2}").format(own.version, own.status_label, due)
        self.own.setText(own_text + self.tr("　（双击或按 Enter 查看下级单位的月报）"))
        self.board_box.show()
        if keep:
            row = self.model.row_of(keep)
            if row >= 0:
                self.table.setCurrentIndex(self.proxy.mapFromSource(self.model.index(row, COL_UNIT)))

    # --- for tests and scripts -----------------------------------------------------------------

    def board_codes(self) -> list[str]:
        """The board's unit codes in display order."""
        return [self.proxy.index(r, COL_UNIT).data(CodeRole) for r in range(self.proxy.rowCount())]

    def months_listed(self) -> list[str]:
        return [month_text(self.month_combo.itemData(i)) for i in range(self.month_combo.count())]
