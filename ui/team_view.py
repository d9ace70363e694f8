"""One virtual team on screen (the right-hand side of the 虚拟团队 page): its header and four tabs.

1. 成员与覆盖 — the members with their team role and dates (ended memberships greyed), and where the team
   stands on the hierarchy: a tile per province (:class:`CoverageMap`), coloured by whether the team has
   people there, has covered accounts served there but nobody (a gap), or neither; the gap cities listed.
   Adding a member, ending a membership and adding the suggested people are done here.
2. 客户与业绩 — the covered accounts with the month's revenue, key figures of the newest month and the
   24-month revenue / ARPU / ARPA trend of the covered accounts.
3. 在办请求 — open cross-region requests on the covered accounts; double-click opens one.
4. 团队日志 — the shared log, and a box to write to it (Ctrl+Enter).

Data comes from ``services.teams.team_detail`` (and ``suggest_members``, ``visibility.visible_count``) in
one background read; every change is made as the current identity and the core's refusal is shown.
"""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from PySide6.QtCore import (
    QAbstractTableModel,
    QEvent,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QRectF,
    QSize,
    QSortFilterProxyModel,
    Qt,
    Signal,
)
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QHelpEvent, QKeyEvent, QMouseEvent, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import (
    QAbstractItemView,
    QButtonGroup,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QRadioButton,
    QSizePolicy,
    QSplitter,
    QTableView,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QTextBrowser,
    QToolTip,
    QVBoxLayout,
    QWidget,
)
from shiboken6 import isValid

from kam_console.errors import KamError
from kam_console.models import REQUEST_TYPE_LABELS, TEAM_ROLES
from kam_console.months import month_text
from kam_console.services.catalogues import UnitChoice, list_units
from kam_console.services.staff import Identity
from kam_console.services.teams import (
    MAX_NOTE,
    CoverageRow,
    CoveredAccount,
    MemberRow,
    Suggestion,
    TeamDetail,
    TeamPermissions,
    add_note,
    suggest_members,
    team_detail,
    team_permissions,
)
from kam_console.services.visibility import visible_count
from ui.chart_export import ChartTable, ExportMenu
from ui.charts import LineChart, Series, money_scale, yuan
from ui.identity import IdentityHolder
from ui.request_view import beijing
from ui.style import muted_colour, set_muted
from ui.tasks import BackgroundTasks, Task
from ui.team_dialogs import (
    AddMemberDialog,
    EndMembershipDialog,
    SuggestionsDialog,
    beijing_date,
    write_team,
)
from ui.unit_figures_panel import FigureTile, format_money

OVERDUE_COLOUR = "#c62828"
RUNNING_COLOUR = "#15803d"
HINT_STYLE = "background: #eff6ff; color: #1e3a8a; border: 1px solid #bfdbfe; border-radius: 4px; padding: 4px 8px;"
CLOSED_STYLE = "color: #b91c1c; font-weight: bold;"


# --- data ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TeamPageData:
    detail: TeamDetail
    suggestions: tuple[Suggestion, ...]
    units: Mapping[str, UnitChoice]  # every unit by code (short names for cities and provinces)
    viewer: str | None  # the identity the page was read for
    membership: MemberRow | None  # the viewer's running membership
    visible: tuple[int, int] | None  # (own region, only through teams) when the viewer is a running member
    permissions: TeamPermissions | None = None  # what the viewer may do (None: not known)


def load_team_page(
    db,
    *,
    team: str,
    on: dt.date,
    viewer: str | None,
    units: Mapping[str, UnitChoice] | None = None,
    now: dt.datetime | None = None,
) -> TeamPageData:
    """Worker side: everything the team view shows on day ``on`` for ``viewer``."""
    with db.engine.connect() as conn:
        detail = team_detail(conn, team=team, on=on, now=now)
        permissions = team_permissions(conn, team=team, employee_no=viewer, on=on)
        open_team = detail.closed_on is None or detail.closed_on > on
        suggestions = tuple(suggest_members(conn, team=team, on=on)) if detail.kind == "account" and open_team else ()
        if units is None:
            units = {u.code: u for u in list_units(conn, include_inactive=True)}
        membership = next((m for m in detail.members if m.employee_no == viewer and m.running), None)
        visible = visible_count(conn, employee_no=viewer, on=on) if membership and viewer else None
    return TeamPageData(detail, suggestions, units, viewer, membership, visible, permissions)


def short_name(units: Mapping[str, UnitChoice], code: str | None, fallback: str = "") -> str:
    unit = units.get(code or "")
    return unit.short_name if unit else fallback


def province_of(units: Mapping[str, UnitChoice], code: str) -> str:
    """The province (short name) a unit lies in."""
    unit = units.get(code)
    if unit is None:
        return ""
    parts = unit.path.split("/")
    return short_name(units, parts[1]) if len(parts) > 1 else ""


# --- the coverage map ---------------------------------------------------------------------------

# GB/T 2260 groups the province codes by their first digit into the six big regions.
REGIONS = (("1", "华北"), ("2", "东北"), ("3", "华东"), ("4", "中南"), ("5", "西南"), ("6", "西北"))
COVERED, PARTIAL, GAP, NONE = "covered", "partial", "gap", "none"
STATE_LABELS = {COVERED: "有成员", PARTIAL: "部分地市无人", GAP: "有客户、无成员", NONE: "未涉及"}
# (fill, border, text) per state; the red of a gap stands out, grey recedes
STATE_COLOURS = {
    COVERED: ("#dcfce7", "#16a34a", "#14532d"),
    PARTIAL: ("#fef3c7", "#d97706", "#78350f"),
    GAP: ("#fee2e2", "#dc2626", "#991b1b"),
    NONE: ("#f3f4f6", "#d1d5db", "#9ca3af"),
}
MAX_TILES_PER_ROW = 7


@dataclass(frozen=True)
class ProvinceTile:
    code: str
    name: str  # short name
    state: str
    members: int
    accounts: int
    member_cities: tuple[str, ...]  # short names
    gap_cities: tuple[tuple[str, int], ...]  # (short name, accounts served there)

    def line(self) -> str:
        """One sentence about the province: who is there, what is served, where nobody is."""
        parts = [f"{self.members} 名成员" + (f"（{'、'.join(self.member_cities)}）" if self.member_cities else "")]
        parts.append(f"{self.accounts} 个覆盖客户在此服务")
        if self.gap_cities:
            gaps = "、".join(f"{name}（{n}）" for name, n in self.gap_cities)
            parts.append(f"无人地市：{gaps}")
        return f"{self.name}：" + "；".join(parts)


def province_tiles(units: Mapping[str, UnitChoice], coverage: Sequence[CoverageRow]) -> list[ProvinceTile]:
    """A tile for each of the provinces, in code order, from the team's coverage rows."""
    by_code = {c.province_code: c for c in coverage}
    by_name = {u.name: u.short_name for u in units.values()}
    tiles = []
    for unit in sorted((u for u in units.values() if u.level == "province"), key=lambda u: u.code):
        row = by_code.get(unit.code)
        if row is None:
            tiles.append(ProvinceTile(unit.code, unit.short_name, NONE, 0, 0, (), ()))
            continue
        gaps = tuple((short_name(units, code, name), n) for code, name, n in row.gap_cities)
        if row.members and gaps:
            state = PARTIAL
        elif row.members:
            state = COVERED
        elif row.accounts:
            state = GAP
        else:
            state = NONE
        cities = tuple(by_name.get(name, name) for name in row.member_cities)
        tiles.append(ProvinceTile(unit.code, unit.short_name, state, row.members, row.accounts, cities, gaps))
    return tiles


class CoverageMap(QWidget):
    """The provinces as tiles, one row per big region, coloured by the team's coverage. Click a tile or move
    with the arrow keys to pick a province (``current_changed``); hovering shows its details."""

    current_changed = Signal(str)  # province code ("" for none)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.tiles: list[ProvinceTile] = []
        self.current = ""
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setMouseTracking(True)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        self.setAccessibleName(self.tr("各省覆盖情况"))

    def set_tiles(self, tiles: list[ProvinceTile]) -> None:
        self.tiles = list(tiles)
        if self.current not in {t.code for t in self.tiles}:
            self.current = ""
        self.updateGeometry()
        self.update()

    def tile(self, code: str) -> ProvinceTile | None:
        return next((t for t in self.tiles if t.code == code), None)

    def set_current(self, code: str) -> None:
        if code == self.current:
            return
        self.current = code
        self.update()
        self.current_changed.emit(code)

    # --- geometry -------------------------------------------------------------------------------

    def _rows(self) -> list[tuple[str, list[ProvinceTile]]]:
        rows = []
        for digit, label in REGIONS:
            members = [t for t in self.tiles if t.code.startswith(digit)]
            if members:
                rows.append((label, members))
        return rows

    def _metrics(self) -> tuple[float, float, float]:
        """(label column width, tile height, gap)."""
        fm = QFontMetricsF(self.font())
        return fm.horizontalAdvance("华北") + 14, fm.height() * 2 + 12, 4.0

    def sizeHint(self) -> QSize:
        label, height, gap = self._metrics()
        rows = max(1, len(self._rows()))
        fm = QFontMetricsF(self.font())
        tile = fm.horizontalAdvance("黑龙江") + 16
        return QSize(int(label + MAX_TILES_PER_ROW * (tile + gap)), int(rows * (height + gap)))

    def minimumSizeHint(self) -> QSize:
        label, height, gap = self._metrics()
        fm = QFontMetricsF(self.font())
        tile = fm.horizontalAdvance("黑龙江") + 6
        rows = max(1, len(self._rows()))
        return QSize(int(label + MAX_TILES_PER_ROW * (tile + gap)), int(rows * (height + gap)))

    def layout_tiles(self) -> tuple[list[tuple[str, QRectF]], dict[str, QRectF]]:
        """(region labels with their rectangles, tile rectangles by province code) for the current size."""
        label_w, height, gap = self._metrics()
        width = (self.width() - label_w) / MAX_TILES_PER_ROW - gap
        width = max(10.0, min(width, height * 2.4))
        labels, rects = [], {}
        for r, (label, members) in enumerate(self._rows()):
            top = r * (height + gap) + 1
            labels.append((label, QRectF(0, top, label_w - 6, height)))
            for i, t in enumerate(members):
                rects[t.code] = QRectF(label_w + i * (width + gap), top, width, height)
        return labels, rects

    def code_at(self, x: float, y: float) -> str:
        _labels, rects = self.layout_tiles()
        return next((code for code, rect in rects.items() if rect.contains(x, y)), "")

    # --- painting and input ---------------------------------------------------------------------

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        labels, rects = self.layout_tiles()
        muted = muted_colour(self.palette())
        bold = QFont(self.font())
        bold.setBold(True)
        small = QFont(self.font())
        small.setPointSizeF(max(7.0, self.font().pointSizeF() * 0.86))
        painter.setPen(muted)
        for label, rect in labels:
            painter.drawText(rect, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, label)
        for t in self.tiles:
            rect = rects.get(t.code)
            if rect is None:
                continue
            fill, border, text = STATE_COLOURS[t.state]
            current = t.code == self.current
            painter.setPen(QPen(QColor(border), 2.4 if current else 1.0))
            painter.setBrush(QColor(fill))
            painter.drawRoundedRect(rect.adjusted(0.5, 0.5, -0.5, -0.5), 4, 4)
            if current and self.hasFocus():
                painter.setPen(QPen(self.palette().highlight().color(), 1.2, Qt.PenStyle.DotLine))
                painter.setBrush(Qt.BrushStyle.NoBrush)
                painter.drawRoundedRect(rect.adjusted(-2, -2, 2, 2), 5, 5)
            half = rect.height() / 2
            top = QRectF(rect.left() + 2, rect.top() + 3, rect.width() - 4, half - 3)
            bottom = QRectF(rect.left() + 2, rect.top() + half, rect.width() - 4, half - 3)
            painter.setFont(bold)
            painter.setPen(QColor(text))
            painter.drawText(top, Qt.AlignmentFlag.AlignCenter, t.name)
            painter.setFont(small)
            painter.drawText(bottom, Qt.AlignmentFlag.AlignCenter, self._figure(t))
        painter.end()

    def _figure(self, t: ProvinceTile) -> str:
        if t.state == NONE:
            return "—"
        if t.state == GAP:
            return self.tr("缺{0}市").format(len(t.gap_cities))
        if t.state == PARTIAL:
            return self.tr("{0}人 缺{1}").format(t.members, len(t.gap_cities))
        return self.tr("{0}人").format(t.members)

    def event(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.ToolTip and isinstance(event, QHelpEvent):
            code = self.code_at(event.pos().x(), event.pos().y())
            t = self.tile(code)
            if t is None:
                QToolTip.hideText()
            else:
                QToolTip.showText(event.globalPos(), f"{t.line()}\n（{STATE_LABELS[t.state]}）", self)
            return True
        return super().event(event)

    def mousePressEvent(self, event: QMouseEvent) -> None:
        code = self.code_at(event.position().x(), event.position().y())
        if code:
            self.setFocus(Qt.FocusReason.MouseFocusReason)
            self.set_current(code)
        super().mousePressEvent(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        rows = [[t.code for t in members] for _label, members in self._rows()]
        if not rows:
            return super().keyPressEvent(event)
        if not self.current:
            r, c = 0, -1
        else:
            r = next(i for i, row in enumerate(rows) if self.current in row)
            c = rows[r].index(self.current)
        key = event.key()
        if key == Qt.Key.Key_Right:
            c = min(c + 1, len(rows[r]) - 1)
        elif key == Qt.Key.Key_Left:
            c = max(c - 1, 0)
        elif key == Qt.Key.Key_Down:
            r = min(r + 1, len(rows) - 1)
            c = min(max(c, 0), len(rows[r]) - 1)
        elif key == Qt.Key.Key_Up:
            r = max(r - 1, 0)
            c = min(max(c, 0), len(rows[r]) - 1)
        else:
            return super().keyPressEvent(event)
        self.set_current(rows[r][max(c, 0)])

    def focusInEvent(self, event) -> None:
        super().focusInEvent(event)
        self.update()

    def focusOutEvent(self, event) -> None:
        super().focusOutEvent(event)
        self.update()


def legend_html() -> str:
    parts = []
    for state in (COVERED, PARTIAL, GAP, NONE):
        fill, border, _text = STATE_COLOURS[state]
        mark = f"<span style='background:{fill}; color:{border}'>&nbsp;■&nbsp;</span>"
        parts.append(f"{mark}&nbsp;{html.escape(STATE_LABELS[state])}")
    return "&nbsp;&nbsp;&nbsp;".join(parts)


def coverage_summary(detail: TeamDetail) -> str:
    """覆盖 N 个省、M 个地市；K 个地市有客户分支但团队无人."""
    provinces = sum(1 for c in detail.coverage if c.members)
    cities = sum(len(c.member_cities) for c in detail.coverage)
    text = f"覆盖 {provinces} 个省、{cities} 个地市"
    if detail.gaps:
        return text + f"；{detail.gaps} 个地市有客户分支但团队无人"
    return text + "；覆盖客户所在地市都有成员"


# --- members ------------------------------------------------------------------------------------

COL_NAME, COL_UNIT, COL_PROVINCE, COL_POSITION, COL_ROLE, COL_PERIOD, COL_STATUS = range(7)
MEMBER_HEADERS = ["姓名", "单位", "省份", "岗位", "团队角色", "起止日期", "状态"]
EmployeeRole = Qt.ItemDataRole.UserRole + 1  # the member's employee number
SortRole = Qt.ItemDataRole.UserRole + 2
StatusRole = Qt.ItemDataRole.UserRole + 3  # running | ended | future
STATUS_LABELS = {"running": "在任", "ended": "已结束", "future": "未开始"}


def member_status(m: MemberRow, on: dt.date) -> str:
    if m.running:
        return "running"
    return "future" if m.start > on else "ended"


def period_text(m: MemberRow) -> str:
    return f"{m.start} 至 {m.end}" if m.end else f"{m.start} 起"


class MemberTableModel(QAbstractTableModel):
    """A team's memberships: running ones first (as the core orders them), ended ones greyed."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.rows: list[MemberRow] = []
        self.on = dt.date.today()
        self.units: Mapping[str, UnitChoice] = {}
        self.muted = QColor("#9e9e9e")

    def set_rows(
        self, rows: Sequence[MemberRow], on: dt.date, units: Mapping[str, UnitChoice], muted: QColor | None = None
    ) -> None:
        self.beginResetModel()
        self.rows, self.on, self.units = list(rows), on, units
        if muted is not None:
            self.muted = muted
        self.endResetModel()

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(MEMBER_HEADERS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole):
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self.tr(MEMBER_HEADERS[section])
        return None

    def row_of(self, employee_no: str) -> int:
        return next((i for i, m in enumerate(self.rows) if m.employee_no == employee_no), -1)

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        m = self.rows[index.row()]
        column = index.column()
        status = member_status(m, self.on)
        if role == Qt.ItemDataRole.DisplayRole:
            return [
                m.name,
                short_name(self.units, m.unit_code, m.unit_name),
                short_name(self.units, m.province_code, m.province_name or "") or "—",
                m.position_label,
                m.role_label,
                period_text(m),
                STATUS_LABELS[status] + ("" if m.active_staff else "（已停用）"),
            ][column]
        if role == EmployeeRole:
            return m.employee_no
        if role == StatusRole:
            return status
        if role == SortRole:
            return [
                m.employee_no,
                m.unit_code,
                m.province_code or "",
                m.position_label,
                TEAM_ROLES.index(m.role),
                m.start.isoformat(),
                ["running", "future", "ended"].index(status),
            ][column]
        if role == Qt.ItemDataRole.ForegroundRole:
            if status == "ended":
                return self.muted
            if column == COL_STATUS and status == "running":
                return QColor(RUNNING_COLOUR)
            return None
        if role == Qt.ItemDataRole.FontRole and status == "future":
            font = QFont()
            font.setItalic(True)
            return font
        if role == Qt.ItemDataRole.ToolTipRole:
            if column == COL_NAME:
                return f"{m.name}（{m.employee_no}）"
            if column == COL_UNIT:
                return f"{m.unit_name}（{m.unit_code}）"
            if column == COL_STATUS and status == "ended":
                return self.tr("成员资格已于 {0} 结束，不再能查看团队覆盖的客户").format(m.end)
            if column == COL_STATUS and status == "future":
                return self.tr("自 {0} 起生效").format(m.start)
            return None
        return None


# --- covered accounts ---------------------------------------------------------------------------

ACCOUNT_HEADERS = ["客户编号", "名称", "地市", "省份", "负责客户经理", "本月收入（元）"]
A_NUMBER, A_NAME, A_CITY, A_PROVINCE, A_MANAGER, A_REVENUE = range(6)
CustomerRole = Qt.ItemDataRole.UserRole + 1


class CoveredAccountModel(QAbstractTableModel):
    """The accounts a team covers (an industry team may cover thousands: a model, not a widget per cell)."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.rows: list[CoveredAccount] = []
        self.units: Mapping[str, UnitChoice] = {}

    def set_rows(self, rows: Sequence[CoveredAccount], units: Mapping[str, UnitChoice]) -> None:
        self.beginResetModel()
        self.rows, self.units = list(rows), units
        self.endResetModel()

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(ACCOUNT_HEADERS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole):
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self.tr(ACCOUNT_HEADERS[section])
        return None

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        a = self.rows[index.row()]
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return [
                a.customer_no,
                a.name,
                short_name(self.units, a.city_code, a.city_name),
                province_of(self.units, a.city_code) or a.province_name,
                a.manager_name or "未指定",
                f"{Decimal(a.revenue):,.2f}",
            ][column]
        if role == CustomerRole:
            return a.customer_no
        if role == SortRole:
            if column == A_REVENUE:
                return float(a.revenue)
            if column in (A_CITY, A_PROVINCE):
                return a.city_code
            return self.data(index, Qt.ItemDataRole.DisplayRole)
        if role == Qt.ItemDataRole.TextAlignmentRole and column == A_REVENUE:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.ForegroundRole and column == A_MANAGER and not a.manager_name:
            return QColor(OVERDUE_COLOUR)
        if role == Qt.ItemDataRole.ToolTipRole and column == A_NAME:
            return a.name + (self.tr("（分支，总部 {0}）").format(a.parent_no) if a.parent_no else "")
        return None


def bold_font(widget: QWidget) -> QFont:
    font = QFont(widget.font())
    font.setBold(True)
    return font


def make_table(parent: QWidget, model: QAbstractTableModel, name: str) -> tuple[QTableView, QSortFilterProxyModel]:
    proxy = QSortFilterProxyModel(parent)
    proxy.setSourceModel(model)
    proxy.setSortRole(SortRole)
    view = QTableView(parent)
    view.setObjectName(name)
    view.setModel(proxy)
    view.setSortingEnabled(True)
    view.horizontalHeader().setSortIndicator(-1, Qt.SortOrder.AscendingOrder)  # the core's order
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    view.setAlternatingRowColors(True)
    view.setWordWrap(False)
    view.verticalHeader().setVisible(False)
    view.verticalHeader().setDefaultSectionSize(view.fontMetrics().height() + 8)
    header = view.horizontalHeader()
    header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
    header.setStretchLastSection(True)
    return view, proxy


def fit_columns(view: QTableView, widest: int = 240) -> None:
    """Fit the columns to their contents once per fill, none wider than ``widest``."""
    model = view.model()
    for column in range(model.columnCount() - 1):
        view.resizeColumnToContents(column)
        view.setColumnWidth(column, min(view.columnWidth(column), widest))


def readonly_table(parent: QWidget, headers: Sequence[str], name: str) -> QTableWidget:
    table = QTableWidget(0, len(headers), parent)
    table.setObjectName(name)
    table.setHorizontalHeaderLabels(list(headers))
    table.verticalHeader().setVisible(False)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setAlternatingRowColors(True)
    table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
    table.horizontalHeader().setStretchLastSection(True)
    table.verticalHeader().setDefaultSectionSize(table.fontMetrics().height() + 8)
    return table


class NoteEdit(QPlainTextEdit):
    """The log's writing box: Ctrl+Enter posts."""

    submitted = Signal()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and (
            event.modifiers() & Qt.KeyboardModifier.ControlModifier
        ):
            self.submitted.emit()
            return
        super().keyPressEvent(event)


REQUEST_HEADERS = ["请求编号", "客户", "类型", "状态", "当前处理", "时限", "逾期"]


# --- the view -----------------------------------------------------------------------------------


class TeamView(QWidget):
    """The selected team: header and tabs; changes made as the current identity."""

    #: the team was read and shown (its code)
    loaded = Signal(str)
    #: the team was changed here (its code): lists showing it should refresh
    changed = Signal(str)
    #: open this service request (its number)
    request_activated = Signal(str)
    #: open this account (customer number)
    account_requested = Signal(str)

    def __init__(
        self,
        db,
        tasks: BackgroundTasks,
        identity: IdentityHolder,
        *,
        clock: Callable[[], dt.datetime],
        choose_identity: Callable[[], None] | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.db = db
        self.tasks = tasks
        self.identity_holder = identity
        self.clock = clock
        self.choose_identity = choose_identity
        self.team = ""
        self.data: TeamPageData | None = None
        self.units: Mapping[str, UnitChoice] | None = None
        self._generation = 0
        self._task: Task | None = None
        self.dialog: QWidget | None = None  # the dialog open now (tests and scripts reach it here)
        self.up_red = True  # rises in red, falls in green (the Chinese convention), unless the user flips it
        self._build()
        self.clear(self.tr("在左侧列表中选择一个虚拟团队。"))

    # --- construction ---------------------------------------------------------------------------

    def _build(self) -> None:
        self.title = QLabel(self)
        self.title.setObjectName("teamTitle")
        font = QFont(self.title.font())
        font.setPointSizeF(font.pointSizeF() * 1.25)
        font.setBold(True)
        self.title.setFont(font)
        self.title.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.meta = QLabel(self)
        self.meta.setObjectName("teamMeta")
        self.meta.setWordWrap(True)
        self.meta.setTextFormat(Qt.TextFormat.RichText)
        self.description = QLabel(self)
        self.description.setObjectName("teamDescription")
        self.description.setWordWrap(True)
        set_muted(self.description)
        self.message = QLabel(self)
        self.message.setObjectName("teamMessage")
        self.message.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.message.setWordWrap(True)
        set_muted(self.message)

        self.tabs = QTabWidget(self)
        self.tabs.setObjectName("teamTabs")
        self.tabs.addTab(self._members_tab(), self.tr("成员与覆盖"))
        self.tabs.addTab(self._accounts_tab(), self.tr("客户与业绩"))
        self.tabs.addTab(self._requests_tab(), self.tr("在办请求"))
        self.tabs.addTab(self._log_tab(), self.tr("团队日志"))

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 4, 0, 0)
        layout.setSpacing(3)
        layout.addWidget(self.title)
        layout.addWidget(self.meta)
        layout.addWidget(self.description)
        layout.addWidget(self.message, 1)
        layout.addWidget(self.tabs, 1)

    def _members_tab(self) -> QWidget:
        tab = QWidget(self)
        self.members_model = MemberTableModel(self)
        self.members_view, self.members_proxy = make_table(tab, self.members_model, "membersTable")
        self.members_view.selectionModel().currentRowChanged.connect(lambda *_: self._sync_member_buttons())
        self.add_button = QPushButton(self.tr("添加成员(&A)…"), tab)
        self.add_button.setObjectName("addMember")
        self.add_button.clicked.connect(self.add_member)
        self.end_button = QPushButton(self.tr("结束成员资格(&E)…"), tab)
        self.end_button.setObjectName("endMembership")
        self.end_button.clicked.connect(self.end_membership)
        self.suggest_button = QPushButton(self.tr("建议成员(&G)…"), tab)
        self.suggest_button.setObjectName("suggestMembers")
        self.suggest_button.setToolTip(self.tr("为覆盖客户的分支服务的负责客户经理和属地第一联系人"))
        self.suggest_button.clicked.connect(self.suggest)
        buttons = QHBoxLayout()
        buttons.setSpacing(6)
        buttons.addWidget(self.add_button)
        buttons.addWidget(self.end_button)
        buttons.addWidget(self.suggest_button)
        buttons.addStretch(1)
        left = QWidget(tab)
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.setSpacing(4)
        left_layout.addLayout(buttons)
        left_layout.addWidget(self.members_view, 1)

        self.coverage_summary = QLabel(tab)
        self.coverage_summary.setObjectName("coverageSummary")
        self.coverage_summary.setWordWrap(True)
        self.coverage_summary.setTextFormat(Qt.TextFormat.RichText)
        self.coverage_map = CoverageMap(tab)
        self.coverage_map.setObjectName("coverageMap")
        self.coverage_map.current_changed.connect(self._province_picked)
        self.legend = QLabel(legend_html(), tab)
        self.legend.setTextFormat(Qt.TextFormat.RichText)
        self.province_line = QLabel(tab)
        self.province_line.setObjectName("provinceLine")
        self.province_line.setWordWrap(True)
        self.province_line.setText(self.tr("单击省份（或用方向键）查看详情"))
        set_muted(self.province_line)
        self.gap_list = QTextBrowser(tab)
        self.gap_list.setObjectName("gapCities")
        self.gap_list.setOpenLinks(False)
        self.gap_list.setFrameShape(QFrame.Shape.StyledPanel)
        self.gap_list.setMinimumHeight(self.fontMetrics().height() * 3)
        right = QWidget(tab)
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        right_layout.setSpacing(4)
        right_layout.addWidget(self.coverage_summary)
        right_layout.addWidget(self.coverage_map)
        right_layout.addWidget(self.legend)
        right_layout.addWidget(self.province_line)
        right_layout.addWidget(self.gap_list, 1)

        right.setMinimumWidth(self.coverage_map.minimumSizeHint().width())
        self.members_split = QSplitter(Qt.Orientation.Horizontal, tab)
        self.members_split.setObjectName("membersSplit")
        self.members_split.addWidget(left)
        self.members_split.addWidget(right)
        self.members_split.setChildrenCollapsible(False)
        self.members_split.setStretchFactor(0, 1)
        self.members_split.setStretchFactor(1, 0)
        self.members_split.setSizes([600, right.minimumWidth()])
        layout = QVBoxLayout(tab)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(self.members_split)
        return tab

    def _accounts_tab(self) -> QWidget:
        tab = QWidget(self)
        self.figures_title = QLabel(tab)
        self.figures_title.setObjectName("figuresTitle")
        self.figures_title.setFont(bold_font(self.figures_title))
        self.tiles = {
            "revenue": FigureTile(self.tr("收入（元）"), tab),
            "accounts": FigureTile(self.tr("有收入客户数"), tab),
            "arpu": FigureTile(self.tr("ARPU（元/线路）"), tab),
            "arpa": FigureTile(self.tr("ARPA（元/客户）"), tab),
        }
        tiles = QGridLayout()
        tiles.setSpacing(6)
        for i, tile in enumerate(self.tiles.values()):
            tiles.addWidget(tile, i // 2, i % 2)
        self.visibility_hint = QLabel(tab)
        self.visibility_hint.setObjectName("visibilityHint")
        self.visibility_hint.setWordWrap(True)
        self.visibility_hint.setStyleSheet(HINT_STYLE)
        self.visibility_hint.hide()
        self.accounts_model = CoveredAccountModel(self)
        self.accounts_view, self.accounts_proxy = make_table(tab, self.accounts_model, "coveredAccounts")
        self.accounts_view.doubleClicked.connect(self._account_activated)
        self.accounts_view.setToolTip(self.tr("双击打开客户"))

        self.metric_revenue = QRadioButton(self.tr("收入"), tab)
        self.metric_ratio = QRadioButton(self.tr("ARPU 与 ARPA"), tab)
        self.metric_revenue.setChecked(True)
        self.metric_group = QButtonGroup(tab)
        self.metric_group.addButton(self.metric_revenue)
        self.metric_group.addButton(self.metric_ratio)
        self.metric_group.buttonToggled.connect(lambda _b, on: on and self._show_trend())
        self.trend_title = QLabel(self.tr("近 24 个月趋势"), tab)
        self.trend_title.setFont(bold_font(self.trend_title))
        self.trend_chart = LineChart(self.tr("覆盖客户近 24 个月没有收入数据。"), tab)
        self.trend_chart.setObjectName("teamTrend")
        self.trend_chart.setMinimumHeight(180)
        self.export_menu = ExportMenu(lambda: self.trend_chart, self.trend_table, tab)
        chart_top = QHBoxLayout()
        chart_top.addWidget(self.trend_title, 1)
        chart_top.addWidget(self.metric_revenue)
        chart_top.addWidget(self.metric_ratio)
        chart_top.addWidget(self.export_menu)
        chart_layout = QVBoxLayout()
        chart_layout.setSpacing(2)
        chart_layout.addLayout(chart_top)
        chart_layout.addWidget(self.trend_chart, 1)
        figures_layout = QVBoxLayout()
        figures_layout.setSpacing(4)
        figures_layout.addWidget(self.figures_title)
        figures_layout.addLayout(tiles)
        figures_layout.addStretch(1)
        # the newest month's tiles beside the trend, so the accounts keep most of the height
        chart_box = QWidget(tab)
        top_layout = QHBoxLayout(chart_box)
        top_layout.setContentsMargins(0, 0, 0, 0)
        top_layout.setSpacing(10)
        top_layout.addLayout(chart_layout, 1)
        top_layout.addLayout(figures_layout)
        table_box = QWidget(tab)
        table_layout = QVBoxLayout(table_box)
        table_layout.setContentsMargins(0, 0, 0, 0)
        table_layout.setSpacing(3)
        table_layout.addWidget(self.visibility_hint)
        table_layout.addWidget(self.accounts_view, 1)
        self.accounts_split = QSplitter(Qt.Orientation.Vertical, tab)
        self.accounts_split.setObjectName("accountsSplit")
        self.accounts_split.addWidget(chart_box)
        self.accounts_split.addWidget(table_box)
        self.accounts_split.setChildrenCollapsible(False)
        self.accounts_split.setStretchFactor(0, 2)
        self.accounts_split.setStretchFactor(1, 3)
        self.accounts_split.setSizes([220, 280])
        layout = QVBoxLayout(tab)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.setSpacing(4)
        layout.addWidget(self.accounts_split, 1)
        return tab

    def _requests_tab(self) -> QWidget:
        tab = QWidget(self)
        self.requests_note = QLabel(self.tr("涉及覆盖客户、尚未结束的跨区域服务请求。双击或按 Enter 打开。"), tab)
        set_muted(self.requests_note)
        self.requests_table = readonly_table(tab, [self.tr(h) for h in REQUEST_HEADERS], "teamRequests")
        self.requests_table.setWordWrap(False)
        header = self.requests_table.horizontalHeader()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)  # the customer's name gets the room
        self.requests_table.cellDoubleClicked.connect(lambda row, _col: self._request_activated(row))
        self.requests_table.installEventFilter(self)
        layout = QVBoxLayout(tab)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(self.requests_note)
        layout.addWidget(self.requests_table, 1)
        return tab

    def _log_tab(self) -> QWidget:
        tab = QWidget(self)
        self.log_view = QTextBrowser(tab)
        self.log_view.setObjectName("teamLog")
        self.log_view.setOpenLinks(False)
        self.note_edit = NoteEdit(tab)
        self.note_edit.setObjectName("noteEdit")
        self.note_edit.setPlaceholderText(self.tr("写给团队的记录：客户动态、分工、下一步… （Ctrl+Enter 发布）"))
        self.note_edit.setTabChangesFocus(True)
        self.note_edit.setFixedHeight(self.fontMetrics().height() * 3 + 14)
        self.note_edit.submitted.connect(self.post_note)
        self.post_button = QPushButton(self.tr("发布(&P)"), tab)
        self.post_button.setObjectName("postNote")
        self.post_button.setToolTip(self.tr("Ctrl+Enter"))
        self.post_button.clicked.connect(self.post_note)
        self.note_hint = QLabel(tab)
        self.note_hint.setObjectName("noteHint")
        set_muted(self.note_hint)
        row = QHBoxLayout()
        row.addWidget(self.note_hint, 1)
        row.addWidget(self.post_button)
        layout = QVBoxLayout(tab)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.setSpacing(4)
        layout.addWidget(self.log_view, 1)
        layout.addWidget(self.note_edit)
        layout.addLayout(row)
        return tab

    # --- loading --------------------------------------------------------------------------------

    def clear(self, message: str) -> None:
        self.team = ""
        self.data = None
        self._generation += 1
        for widget in (self.title, self.meta, self.description, self.tabs):
            widget.hide()
        self.message.setText(message)
        self.message.show()

    def show_team(self, code: str) -> None:
        """Read and show team ``code`` (the previous team stays on screen until it arrives)."""
        if not code:
            self.clear(self.tr("在左侧列表中选择一个虚拟团队。"))
            return
        if code != self.team:
            self.team = code
            if self.data is None:
                self.message.setText(self.tr("正在读取…"))
        self.reload()

    def reload(self) -> None:
        if not self.team:
            return
        self._generation += 1
        generation = self._generation
        if self._task is not None and not self._task.done:
            self._task.cancel()
        identity = self.identity_holder.identity
        db, team, units = self.db, self.team, self.units
        now = self.clock()
        on = beijing_date(now)
        viewer = identity.employee_no if identity else None
        self._task = self.tasks.read(
            lambda _p: load_team_page(db, team=team, on=on, viewer=viewer, units=units, now=now),
            on_done=lambda data: self._loaded(generation, data),
            on_error=lambda exc: self._failed(generation, exc),
            busy_cursor=False,
            parent=self,
        )

    def _failed(self, generation: int, exc: BaseException) -> None:
        if not isValid(self) or generation != self._generation:
            return
        self.clear(self.tr("无法读取团队：{0}").format(getattr(exc, "zh", None) or str(exc)))

    def _loaded(self, generation: int, data: TeamPageData) -> None:
        if not isValid(self) or generation != self._generation:
            return
        self.data = data
        self.units = data.units
        self.message.hide()
        for widget in (self.title, self.meta, self.tabs):
            widget.show()
        self._show_header(data)
        self._show_members(data)
        self._show_accounts(data)
        self._show_requests(data)
        self._show_log(data)
        self.loaded.emit(data.detail.code)

    def set_up_red(self, up_red: bool) -> None:
        self.up_red = up_red
        if self.data is not None:
            self._show_accounts(self.data)

    def is_closed(self) -> bool:
        d = self.data.detail if self.data else None
        return d is not None and d.closed_on is not None and d.closed_on <= d.on

    # --- header ---------------------------------------------------------------------------------

    def _show_header(self, data: TeamPageData) -> None:
        d = data.detail
        self.title.setText(f"{d.name}　{d.code}")
        if d.kind == "industry":
            scope = self.tr("行业：{0}").format(html.escape(d.industry_name or d.industry_code or ""))
        else:
            names = "、".join(f"{html.escape(name)}（{no}）" for no, name in d.head_accounts)
            scope = self.tr("覆盖：{0}").format(names or "—")
        parts = [
            f"<b>{html.escape(d.kind_label)}</b>",
            scope,
            self.tr("牵头：{0}").format(html.escape(d.lead_unit_name)),
            self.tr("组建于 {0}").format(d.created_at.date().isoformat()),
        ]
        if d.closed_on is not None:
            parts.append(f"<span style='{CLOSED_STYLE}'>" + self.tr("已于 {0} 撤销").format(d.closed_on) + "</span>")
        self.meta.setText("　·　".join(parts))
        self.description.setText(d.description or "")
        self.description.setVisible(bool(d.description))
        self.description.setToolTip(d.description or "")

    # --- members and coverage -------------------------------------------------------------------

    def _show_members(self, data: TeamPageData) -> None:
        d = data.detail
        keep = self.members_view.currentIndex().data(EmployeeRole)
        self.members_model.set_rows(d.members, d.on, data.units, muted_colour(self.members_view.palette()))
        fit_columns(self.members_view, 200)
        if keep:
            row = self.members_model.row_of(keep)
            if row >= 0:
                self.members_view.setCurrentIndex(self.members_proxy.mapFromSource(self.members_model.index(row, 0)))
        running = sum(1 for m in d.members if m.running)
        self.tabs.setTabText(0, self.tr("成员与覆盖（{0}）").format(running))
        self.coverage_map.set_tiles(province_tiles(data.units, d.coverage))
        summary = html.escape(coverage_summary(d))
        if d.gaps:
            head, _sep, tail = summary.partition("；")
            summary = f"<b>{head}</b>；<span style='color:{STATE_COLOURS[GAP][1]}'>{tail}</span>"
        else:
            summary = f"<b>{summary}</b>"
        self.coverage_summary.setText(summary)
        self._province_picked(self.coverage_map.current)
        self.gap_list.setHtml(self._gap_html(data))
        account_team = d.kind == "account"
        self.suggest_button.setVisible(account_team)
        n = len(data.suggestions)
        self.suggest_button.setText(self.tr("建议成员（{0}）(&G)…").format(n) if n else self.tr("建议成员(&G)…"))
        manage = self._may_manage()
        self.suggest_button.setEnabled(bool(n) and manage)
        self.add_button.setEnabled(manage)
        why = data.permissions.why_not if data.permissions and not manage else ""
        for button in (self.suggest_button, self.add_button):
            button.setToolTip(why)
        self._sync_member_buttons()

    def _may_manage(self) -> bool:
        """Changes are offered only to who may make them (the core refuses anyone else anyway)."""
        if self.data is None or self.is_closed():
            return False
        permissions = self.data.permissions
        return permissions is None or permissions.manage

    def _gap_html(self, data: TeamPageData) -> str:
        lines = []
        for t in province_tiles(data.units, data.detail.coverage):
            if t.gap_cities:
                cities = "、".join(f"{html.escape(name)} {n}" for name, n in t.gap_cities)
                lines.append(f"<b>{html.escape(t.name)}</b>：{cities}")
        if not lines:
            return self.tr("覆盖客户所在的地市都有团队成员。")
        head = self.tr("<span style='color:#991b1b'>有客户、无成员的地市</span>（数字为在该地市服务的覆盖客户数）：")
        return head + "<br>" + "<br>".join(lines)

    def _province_picked(self, code: str) -> None:
        t = self.coverage_map.tile(code)
        if t is None:
            self.province_line.setText(self.tr("单击省份（或用方向键）查看详情"))
        else:
            self.province_line.setText(t.line())

    def selected_member(self) -> MemberRow | None:
        employee_no = self.members_view.currentIndex().data(EmployeeRole)
        if not employee_no or self.data is None:
            return None
        return next((m for m in self.data.detail.members if m.employee_no == employee_no), None)

    def select_member(self, employee_no: str) -> bool:
        row = self.members_model.row_of(employee_no)
        if row < 0:
            return False
        self.members_view.setCurrentIndex(self.members_proxy.mapFromSource(self.members_model.index(row, 0)))
        return True

    def _sync_member_buttons(self) -> None:
        member = self.selected_member()
        ending = member is not None and member_status(member, self.data.detail.on) != "ended"
        self.end_button.setEnabled(ending and self._may_manage())
        self.end_button.setToolTip("" if ending else self.tr("先在成员表中选中一位在任或未开始的成员"))

    def _actor(self) -> Identity | None:
        identity = self.identity_holder.identity
        if identity is not None:
            return identity
        answer = QMessageBox.question(
            self,
            self.tr("请先选择当前身份"),
            self.tr("调整团队以当前身份（您本人及所在单位）的名义进行。现在选择您的身份吗？"),
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
            QMessageBox.StandardButton.Yes,
        )
        if answer == QMessageBox.StandardButton.Yes and self.choose_identity is not None:
            self.choose_identity()
        return None

    def _open(self, dialog: QWidget) -> QWidget:
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, True)
        dialog.finished.connect(lambda _result, d=dialog: self._dialog_closed(d))
        self.dialog = dialog
        dialog.open()
        return dialog

    def _dialog_closed(self, dialog: QWidget) -> None:
        if self.dialog is dialog:
            self.dialog = None

    def city_names(self) -> dict[str, str]:
        """Unit names (广州市大客户部) to the short names people use (广州)."""
        return {u.name: u.short_name for u in (self.units or {}).values()}

    def _after_change(self, *_args) -> None:
        self.reload()
        self.changed.emit(self.team)

    def add_member(self, _checked: bool = False, employee_no: str = "") -> AddMemberDialog | None:
        if self.data is None:
            return None
        actor = self._actor()
        if actor is None:
            return None
        d = self.data.detail
        dialog = AddMemberDialog(
            self.db,
            self.tasks,
            actor,
            self.clock,
            team=d.code,
            team_name=d.name,
            suggestions=self.data.suggestions,
            short_names=self.city_names(),
            parent=self,
        )
        if employee_no:
            dialog.choose_suggestion(employee_no)
        dialog.added.connect(self._after_change)
        self._open(dialog)
        return dialog

    def end_membership(self, _checked: bool = False) -> EndMembershipDialog | None:
        member = self.selected_member()
        if member is None or self.data is None:
            return None
        actor = self._actor()
        if actor is None:
            return None
        d = self.data.detail
        dialog = EndMembershipDialog(
            self.db, self.tasks, actor, self.clock, team=d.code, team_name=d.name, member=member, parent=self
        )
        dialog.ended.connect(self._after_change)
        self._open(dialog)
        return dialog

    def suggest(self, _checked: bool = False) -> SuggestionsDialog | None:
        if self.data is None or not self.data.suggestions:
            return None
        actor = self._actor()
        if actor is None:
            return None
        d = self.data.detail
        dialog = SuggestionsDialog(
            self.db,
            self.tasks,
            actor,
            self.clock,
            team=d.code,
            team_name=d.name,
            suggestions=self.data.suggestions,
            short_names=self.city_names(),
            parent=self,
        )
        dialog.added.connect(self._after_change)
        self._open(dialog)
        return dialog

    # --- accounts and figures -------------------------------------------------------------------

    def _show_accounts(self, data: TeamPageData) -> None:
        d = data.detail
        self.accounts_model.set_rows(d.accounts, data.units)
        fit_columns(self.accounts_view, 260)
        self.tabs.setTabText(1, self.tr("客户与业绩（{0}）").format(len(d.accounts)))
        if data.membership is not None and data.visible is not None:
            _own, extra = data.visible
            text = self.tr("您通过本团队可查看以下客户（含本单位辖区外的）：共 {0} 个。").format(len(d.accounts))
            if extra:
                text += self.tr("您参与的虚拟团队共为您开放本单位辖区外的客户 {0} 个。").format(extra)
            else:
                text += self.tr("它们都在您本单位的辖区内。")
            self.visibility_hint.setText(text)
            self.visibility_hint.show()
        else:
            self.visibility_hint.hide()
        last = d.trend[-1] if d.trend else None
        if last is None:
            self.figures_title.setText(self.tr("关键指标：暂无收入数据"))
            for tile in self.tiles.values():
                tile.set_value("—", [], self.up_red)
        else:
            f = last.figures
            self.figures_title.setText(self.tr("{0}年{1:02d}月 关键指标").format(last.month // 100, last.month % 100))
            mom, yoy = self.tr("环比"), self.tr("同比")
            self.tiles["revenue"].set_value(
                format_money(f.revenue), [(mom, last.mom_pct), (yoy, last.yoy_pct)], self.up_red
            )
            self.tiles["accounts"].set_value(f"{f.accounts:,}", [], self.up_red)
            self.tiles["arpu"].set_value(format_money(f.arpu), [(mom, last.arpu_mom_pct)], self.up_red)
            self.tiles["arpa"].set_value(format_money(f.arpa), [(mom, last.arpa_mom_pct)], self.up_red)
        self._show_trend()

    def _show_trend(self) -> None:
        points = self.data.detail.trend if self.data else []
        labels = [month_text(p.month) for p in points]
        tips = [
            "<br>".join(
                [
                    f"<b>{p.month // 100}年{p.month % 100:02d}月</b>",
                    f"收入：{yuan(p.figures.revenue)}",
                    f"计费线路：{p.figures.lines:,}",
                    f"有收入客户：{p.figures.accounts:,}",
                    f"ARPU：{yuan(p.figures.arpu)}/线路",
                    f"ARPA：{yuan(p.figures.arpa)}/客户",
                ]
            )
            for p in points
        ]
        if labels:
            self.trend_title.setText(self.tr("近 24 个月趋势（{0} 至 {1}）").format(labels[0], labels[-1]))
        if self.metric_revenue.isChecked():
            values = [float(p.figures.revenue) for p in points]
            divisor, unit = money_scale(values)
            self.trend_chart.set_data(
                labels,
                [Series(self.tr("收入（{0}）").format(unit), values, "#2563eb")],
                axis_title=self.tr("收入（{0}）").format(unit),
                divisor=divisor,
                tooltips=tips,
            )
        else:
            self.trend_chart.set_data(
                labels,
                [
                    Series("ARPU（元/线路）", [_number(p.figures.arpu) for p in points], "#2563eb"),
                    Series("ARPA（元/客户）", [_number(p.figures.arpa) for p in points], "#ea580c", right=True),
                ],
                axis_title="ARPU（元/线路）",
                right_title="ARPA（元/客户）",
                tooltips=tips,
            )
        self.export_menu.refresh()

    def trend_table(self) -> ChartTable | None:
        if self.data is None or not self.data.detail.trend:
            return None
        d = self.data.detail
        rows = [
            [
                month_text(p.month),
                p.figures.revenue,
                p.figures.lines,
                p.figures.accounts,
                p.figures.arpu,
                p.figures.arpa,
            ]
            for p in d.trend
        ]
        return ChartTable(
            title=self.tr("{0} 覆盖客户近 24 个月收入与 ARPU/ARPA").format(d.name),
            headers=["月份", "收入（元）", "计费线路", "有收入客户", "ARPU（元/线路）", "ARPA（元/客户）"],
            rows=rows,
            period=f"{rows[0][0]}_{rows[-1][0]}",
        )

    def _account_activated(self, index: QModelIndex) -> None:
        number = index.data(CustomerRole)
        if number:
            self.account_requested.emit(number)

    # --- requests -------------------------------------------------------------------------------

    def _show_requests(self, data: TeamPageData) -> None:
        requests = data.detail.requests
        table = self.requests_table
        table.setRowCount(len(requests))
        red = QColor(OVERDUE_COLOUR)
        for row, r in enumerate(requests):
            cells = [
                r.number,
                f"{r.account_name}（{r.customer_no}）",
                REQUEST_TYPE_LABELS.get(r.type, r.type),
                r.state_label,
                r.holder_name,
                beijing(r.due_at),
                self.tr("已逾期") if r.overdue else "",
            ]
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setData(Qt.ItemDataRole.UserRole, r.number)
                item.setToolTip(text)
                if r.overdue and column >= 5:
                    item.setForeground(red)
                    if column == 6:
                        font = QFont(item.font())
                        font.setBold(True)
                        item.setFont(font)
                table.setItem(row, column, item)
        table.resizeColumnsToContents()
        overdue = sum(1 for r in requests if r.overdue)
        text = self.tr("在办请求（{0}）").format(len(requests))
        self.tabs.setTabText(
            2, text if not overdue else self.tr("在办请求（{0}，逾期 {1}）").format(len(requests), overdue)
        )
        self.requests_note.setText(
            self.tr("涉及覆盖客户、尚未结束的跨区域服务请求。双击或按 Enter 打开。")
            if requests
            else self.tr("覆盖客户目前没有在办的跨区域服务请求。")
        )

    def _request_activated(self, row: int) -> None:
        item = self.requests_table.item(row, 0)
        if item is not None:
            self.request_activated.emit(item.data(Qt.ItemDataRole.UserRole))

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if (
            watched is self.requests_table
            and event.type() == QEvent.Type.KeyPress
            and event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter)
            and self.requests_table.currentRow() >= 0
        ):
            self._request_activated(self.requests_table.currentRow())
            return True
        return super().eventFilter(watched, event)

    # --- the log --------------------------------------------------------------------------------

    def _show_log(self, data: TeamPageData) -> None:
        entries = data.detail.activity
        muted = muted_colour(self.log_view.palette()).name()
        blocks = []
        for a in entries:
            text = html.escape(a.text).replace("\n", "<br>")
            if a.kind != "note":  # what the team went through, recorded by the system: secondary
                text = f"<span style='color:{muted}'>{text}</span>"
            when = a.at.strftime("%Y-%m-%d %H:%M")
            head = f"<span style='color:{muted}'>{when}　</span><b>{html.escape(a.staff_name)}</b>"
            blocks.append(f"<p style='margin:0 0 9px 0'>{head}<br>{text}</p>")
        self.log_view.setHtml("".join(blocks) or self.tr("团队日志还没有记录。"))
        self.tabs.setTabText(3, self.tr("团队日志（{0}）").format(len(entries)))
        identity = self.identity_holder.identity
        if identity is None:
            self.note_hint.setText(self.tr("选择当前身份后可以记录"))
        elif data.permissions is not None and not data.permissions.note:
            self.note_hint.setText(data.permissions.why_not)
        elif data.membership is not None:
            self.note_hint.setText(self.tr("以 {0} 的身份记录").format(identity.label))
        else:
            self.note_hint.setText(
                self.tr("以 {0} 的身份记录（团队成员和牵头单位的人员可以记录）").format(identity.label)
            )
        may_note = not self.is_closed() and (data.permissions is None or data.permissions.note)
        self.note_edit.setEnabled(may_note)
        self.post_button.setEnabled(may_note)

    def post_note(self) -> None:
        text = self.note_edit.toPlainText().strip()
        if self.data is None:
            return
        if not text:
            self.note_edit.setFocus()
            return
        if len(text) > MAX_NOTE:
            QMessageBox.warning(
                self, self.tr("记录太长"), self.tr("记录太长（{0} 字，最多 {1} 字）").format(len(text), MAX_NOTE)
            )
            return
        actor = self._actor()
        if actor is None:
            return
        team, now = self.data.detail.code, self.clock()
        self.post_button.setEnabled(False)

        def change(conn):
            add_note(conn, team=team, text=text, by=actor.employee_no, now=now)

        self.tasks.write(
            write_team(self.db, change),
            on_done=lambda _r: self._posted(),
            on_error=self._post_failed,
            label=self.tr("正在保存…"),
            parent=self,
        )

    def _posted(self) -> None:
        if not isValid(self):
            return
        self.note_edit.clear()
        self.post_button.setEnabled(True)
        self._after_change()

    def _post_failed(self, exc: BaseException) -> None:
        if not isValid(self):
            return
        self.post_button.setEnabled(True)
        message = exc.zh if isinstance(exc, KamError) else str(exc)
        QMessageBox.warning(self, self.tr("不能记录"), message)


def _number(value: Decimal | None) -> float | None:
    return None if value is None else float(value)
