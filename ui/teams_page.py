"""The 虚拟团队 page (Ctrl+6): the national virtual teams and the one selected.

Above, the list of teams (``teams.list_teams``) with their running members, the provinces those come from
and the accounts covered, filtered to the teams the current identity belongs to (只看我参与的) and, on
request, including closed ones; 新建团队… organises a team led by the identity's unit. Below, the
selected team (``ui.team_view.TeamView``). The list sits above the team rather than beside it: the page
shares the window with the organisation tree, and both the list's columns and the team's tabs need the
width.

Teams do not belong to the unit selected in the tree, so the page ignores that selection; it reads when
shown, again when the identity changes, and after every change made on it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
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
from PySide6.QtGui import QColor, QFont, QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
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

from kam_console.services.teams import CREATOR_POSITIONS, TeamRow, list_teams
from ui.identity import IdentityHolder
from ui.style import muted_colour, set_muted
from ui.tasks import BackgroundTasks, Task
from ui.team_dialogs import NewTeamDialog, beijing_date
from ui.team_view import TeamView

COL_CODE, COL_NAME, COL_KIND, COL_SCOPE, COL_LEAD, COL_MEMBERS, COL_PROVINCES, COL_ACCOUNTS = range(8)
HEADERS = ["编号", "名称", "类型", "行业/客户", "牵头单位", "成员数", "覆盖省份数", "覆盖客户数"]
CodeRole = Qt.ItemDataRole.UserRole + 1  # the team's code
SortRole = Qt.ItemDataRole.UserRole + 2
NUMBER_COLUMNS = (COL_MEMBERS, COL_PROVINCES, COL_ACCOUNTS)


@dataclass(frozen=True)
class TeamList:
    rows: list[TeamRow]
    heads: dict[str, tuple[str, ...]]  # team code -> names of the national customers it covers


def load_team_list(conn, *, on: dt.date, member: str | None, include_closed: bool) -> TeamList:
    """Worker side: the teams, and for each national-account team the customers it covers."""
    rows = list_teams(conn, on=on, member=member, include_closed=include_closed)
    return TeamList(rows, {r.code: r.head_accounts for r in rows if r.kind == "account"})


class TeamTableModel(QAbstractTableModel):
    """The teams as listed; closed teams greyed."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.rows: list[TeamRow] = []
        self.on = dt.date.today()
        self.muted = QColor("#9e9e9e")
        self.heads: dict[str, tuple[str, ...]] = {}  # a national-account team's covered customers

    def set_rows(
        self,
        rows: Sequence[TeamRow],
        on: dt.date,
        muted: QColor | None = None,
        heads: Mapping[str, tuple[str, ...]] | None = None,
    ) -> None:
        self.beginResetModel()
        self.rows, self.on, self.heads = list(rows), on, dict(heads or {})
        if muted is not None:
            self.muted = muted
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

    def closed(self, r: TeamRow) -> bool:
        return r.closed_on is not None and r.closed_on <= self.on

    def scope(self, r: TeamRow) -> str:
        if r.kind == "industry":
            return r.industry_name or r.industry_code or "—"
        return "、".join(self.heads.get(r.code, ())) or "—"

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        r = self.rows[index.row()]
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            name = r.name + (self.tr("（已撤销）") if self.closed(r) else "")
            return [
                r.code,
                name,
                r.kind_label,
                self.scope(r),
                r.lead_unit_name,
                f"{r.members:,}",
                f"{r.provinces:,}",
                f"{r.accounts:,}",
            ][column]
        if role == CodeRole:
            return r.code
        if role == SortRole:
            return [
                r.code,
                r.name,
                r.kind,
                self.scope(r),
                r.lead_unit_code,
                r.members,
                r.provinces,
                r.accounts,
            ][column]
        if role == Qt.ItemDataRole.TextAlignmentRole and column in NUMBER_COLUMNS:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.ForegroundRole and self.closed(r):
            return self.muted
        if role == Qt.ItemDataRole.FontRole and column == COL_NAME and not self.closed(r):
            font = QFont()
            font.setBold(True)
            return font
        if role == Qt.ItemDataRole.ToolTipRole:
            if column == COL_NAME:
                return f"{r.name}（{r.code}）" + (
                    self.tr("\n已于 {0} 撤销").format(r.closed_on) if self.closed(r) else ""
                )
            if column == COL_LEAD:
                return f"{r.lead_unit_name}（{r.lead_unit_code}）"
            if column == COL_SCOPE:
                return self.scope(r)
            if column == COL_MEMBERS:
                return self.tr("今天在任的成员")
            if column == COL_PROVINCES:
                return self.tr("有在任成员的省份")
            return None
        return None


class TeamsPage(QWidget):
    #: open this service request (its number)
    request_activated = Signal(str)
    #: open this account (customer number)
    account_requested = Signal(str)
    #: the list was read and shown
    listed = Signal()

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
        self.choose_identity = choose_identity
        self._stale = True
        self._generation = 0
        self._task: Task | None = None
        self._wanted = ""  # the team to select once the list arrives
        self._reload_team = True
        self.dialog: NewTeamDialog | None = None
        self.view = TeamView(
            db, tasks, identity, clock=lambda: self.clock(), choose_identity=choose_identity, parent=self
        )
        self.view.changed.connect(lambda code: self.refresh(select=code, reload_team=False))
        self.view.request_activated.connect(self.request_activated)
        self.view.account_requested.connect(self.account_requested)
        self._build()
        identity.changed.connect(self._identity_changed)
        self._identity_changed(identity.identity)

    def _build(self) -> None:
        self.heading = QLabel(self.tr("虚拟团队"), self)
        font = QFont(self.heading.font())
        font.setPointSizeF(font.pointSizeF() * 1.3)
        font.setBold(True)
        self.heading.setFont(font)
        self.mine_check = QCheckBox(self.tr("只看我参与的(&M)"), self)
        self.mine_check.setObjectName("onlyMine")
        self.mine_check.setToolTip(self.tr("只列出当前身份今天在任的团队"))
        self.mine_check.toggled.connect(lambda _on: self.refresh())
        self.closed_check = QCheckBox(self.tr("含已撤销(&L)"), self)
        self.closed_check.setObjectName("includeClosed")
        self.closed_check.toggled.connect(lambda _on: self.refresh())
        self.new_button = QPushButton(self.tr("新建团队(&N)…"), self)
        self.new_button.setObjectName("newTeam")
        self.new_button.clicked.connect(self.new_team)
        self.refresh_button = QPushButton(self.tr("刷新"), self)
        self.refresh_button.clicked.connect(lambda: self.refresh())
        top = QHBoxLayout()
        top.addWidget(self.heading)
        top.addSpacing(12)
        top.addWidget(self.mine_check)
        top.addWidget(self.closed_check)
        top.addStretch(1)
        top.addWidget(self.new_button)
        top.addWidget(self.refresh_button)

        self.model = TeamTableModel(self)
        self.proxy = QSortFilterProxyModel(self)
        self.proxy.setSourceModel(self.model)
        self.proxy.setSortRole(SortRole)
        self.table = QTableView(self)
        self.table.setObjectName("teamsTable")
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
        header.setStretchLastSection(False)
        header.setSectionResizeMode(COL_NAME, QHeaderView.ResizeMode.Stretch)
        self.table.selectionModel().currentRowChanged.connect(self._current_changed)
        self.empty = QLabel(self)
        self.empty.setObjectName("teamsEmpty")
        self.empty.setWordWrap(True)
        set_muted(self.empty)
        self.empty.hide()
        list_box = QWidget(self)
        list_layout = QVBoxLayout(list_box)
        list_layout.setContentsMargins(0, 0, 0, 0)
        list_layout.setSpacing(3)
        list_layout.addWidget(self.table, 1)
        list_layout.addWidget(self.empty)

        self.splitter = QSplitter(Qt.Orientation.Vertical, self)
        self.splitter.setObjectName("teamsSplitter")
        self.splitter.addWidget(list_box)
        self.splitter.addWidget(self.view)
        self.splitter.setChildrenCollapsible(False)
        self.splitter.setStretchFactor(0, 1)
        self.splitter.setStretchFactor(1, 4)
        rows = self.table.verticalHeader().defaultSectionSize()
        # about five teams at a glance; the team below gets the rest
        self.splitter.setSizes([self.table.horizontalHeader().sizeHint().height() + rows * 5 + 6, 600])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 6, 8, 6)
        layout.addLayout(top)
        layout.addWidget(self.splitter, 1)

    # --- identity -------------------------------------------------------------------------------

    def _identity_changed(self, identity) -> None:
        may_create = identity is not None and identity.position in CREATOR_POSITIONS
        self.new_button.setEnabled(may_create)
        if identity is None:
            self.new_button.setToolTip(self.tr("请先选择当前身份"))
        elif may_create:
            self.new_button.setToolTip(self.tr("组建由 {0} 牵头的虚拟团队").format(identity.unit_name))
        else:
            self.new_button.setToolTip(self.tr("只有负责人、管理员或市场经理可以组建虚拟团队"))
        self.mine_check.setEnabled(identity is not None)
        if identity is None and self.mine_check.isChecked():
            self.mine_check.setChecked(False)  # refreshes
            return
        self.refresh(select=self.current_code())

    # --- loading --------------------------------------------------------------------------------

    def invalidate(self) -> None:
        """The data may have changed: read again now if shown, else when next shown."""
        self._stale = True
        if self.isVisible():
            self.refresh(select=self.current_code())

    def set_up_red(self, up_red: bool) -> None:
        self.view.set_up_red(up_red)

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self._stale:
            self.refresh(select=self.current_code())

    def current_code(self) -> str:
        return self.table.currentIndex().data(CodeRole) or self._wanted or ""

    def refresh(self, select: str | None = None, *, reload_team: bool = True) -> None:
        """Re-read the list (now if shown, else when next shown) and keep or pick ``select``; the team shown
        is read again too unless ``reload_team`` is False (it has just read itself)."""
        if select:
            self._wanted = select
        self._reload_team = reload_team or self._stale
        if not self.isVisible():
            self._stale = True
            return
        self._stale = False
        self._generation += 1
        generation = self._generation
        if self._task is not None and not self._task.done:
            self._task.cancel()
        identity = self.identity_holder.identity
        member = identity.employee_no if identity is not None and self.mine_check.isChecked() else None
        include_closed = self.closed_check.isChecked()
        db, on = self.db, beijing_date(self.clock())

        def work(_progress):
            with db.engine.connect() as conn:
                return load_team_list(conn, on=on, member=member, include_closed=include_closed)

        self._task = self.tasks.read(
            work,
            on_done=lambda rows: self._listed(generation, rows, on),
            on_error=lambda exc: self._failed(generation, exc),
            busy_cursor=False,
            parent=self,
        )

    def _failed(self, generation: int, exc: BaseException) -> None:
        if not isValid(self) or generation != self._generation:
            return
        self.empty.setText(self.tr("无法读取虚拟团队：{0}").format(getattr(exc, "zh", None) or str(exc)))
        self.empty.show()

    def _listed(self, generation: int, listing: TeamList, on: dt.date) -> None:
        if not isValid(self) or generation != self._generation:
            return
        rows = listing.rows
        keep = self._wanted or self.table.currentIndex().data(CodeRole) or ""
        self.table.selectionModel().blockSignals(True)
        self.model.set_rows(rows, on, muted_colour(self.table.palette()), listing.heads)
        self.table.selectionModel().blockSignals(False)
        for column in range(self.model.columnCount()):
            if column != COL_NAME:
                self.table.resizeColumnToContents(column)
        if not rows:
            if self.mine_check.isChecked():
                self.empty.setText(self.tr("您目前没有参与任何虚拟团队。"))
            else:
                self.empty.setText(self.tr("还没有虚拟团队。负责人、管理员或市场经理可以用“新建团队…”组建。"))
            self.empty.show()
        else:
            self.empty.hide()
        row = self.model.row_of(keep) if keep else -1
        if row < 0 and rows:
            row = 0
        self._wanted = ""
        if row >= 0:
            index = self.proxy.mapFromSource(self.model.index(row, COL_CODE))
            if index.data(CodeRole) == self.view.team:
                self.table.selectionModel().blockSignals(True)
                self.table.setCurrentIndex(index)
                self.table.selectionModel().blockSignals(False)
                if self._reload_team:
                    self.view.reload()  # the same team: its figures may have changed too
            else:
                self.table.setCurrentIndex(index)
        else:
            self.view.clear(self.tr("没有可显示的虚拟团队。"))
        self.listed.emit()

    def _current_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        code = current.data(CodeRole) if current.isValid() else ""
        if code and code != self.view.team:
            self.view.show_team(code)

    def select_team(self, code: str) -> bool:
        row = self.model.row_of(code)
        if row < 0:
            return False
        self.table.setCurrentIndex(self.proxy.mapFromSource(self.model.index(row, COL_CODE)))
        return True

    def team_codes(self) -> list[str]:
        """The listed teams' codes in display order."""
        return [self.proxy.index(r, COL_CODE).data(CodeRole) for r in range(self.proxy.rowCount())]

    # --- actions --------------------------------------------------------------------------------

    def new_team(self, _checked: bool = False) -> NewTeamDialog | None:
        identity = self.identity_holder.identity
        if identity is None:
            if self.choose_identity is not None:
                self.choose_identity()
            return None
        dialog = NewTeamDialog(self.db, self.tasks, identity, self.clock, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, True)
        dialog.created.connect(lambda code: self.refresh(select=code))
        dialog.finished.connect(lambda _r, d=dialog: setattr(self, "dialog", None) if self.dialog is d else None)
        self.dialog = dialog
        dialog.open()
        return dialog
