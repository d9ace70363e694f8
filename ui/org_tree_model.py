"""The KA hierarchy as a Qt tree model (group → provinces → cities), its search filter, and its loader.

The tree is small (≈370 units), so a QStandardItemModel holding the whole of ``org_tree()`` is enough;
``OrgTreeFilter`` keeps the ancestors of every match visible. ``load_org_tree`` is the worker-side
function (runs off the GUI thread) and returns plain data only.

Each unit's service-request inbox (``request_queries.inbox_counts``: how many requests it must act on now,
how many of them are overdue) rides on the name cell in ``TodoRole``/``OverdueRole`` — the tree panel
draws it as a badge — and is replaced on its own by ``set_inbox`` after every request action.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from PySide6.QtCore import QModelIndex, QObject, QSortFilterProxyModel, Qt
from PySide6.QtGui import QStandardItem, QStandardItemModel

from kam_console.db import Database
from kam_console.models import UNIT_LEVEL_LABELS
from kam_console.money import format_yuan
from kam_console.services.org import OrgNode, OrgUnitRow, org_tree
from kam_console.services.overview import NodeFigures, latest_month, unit_tree_figures
from kam_console.services.request_queries import InboxCount

COL_NAME = 0
COL_CODE = 1
COL_ACCOUNTS = 2
COL_REVENUE = 3
CodeRole = Qt.ItemDataRole.UserRole + 1  # the unit's code (its stable id in the UI)
LevelRole = Qt.ItemDataRole.UserRole + 2
SearchRole = Qt.ItemDataRole.UserRole + 3  # short name, full name, code and pinyin initials
SortRole = Qt.ItemDataRole.UserRole + 4
TodoRole = Qt.ItemDataRole.UserRole + 5  # service requests the unit must act on now
OverdueRole = Qt.ItemDataRole.UserRole + 6  # of those, past their deadline


@dataclass
class OrgTreeData:
    """What the worker hands to the GUI: the forest and extra search keys (pinyin initials) per code."""

    roots: list[OrgNode]
    search_keys: dict[str, str] = field(default_factory=dict)
    figures: dict[str, NodeFigures] = field(default_factory=dict)  # per code: accounts, revenue of `month`
    month: int | None = None  # the newest month with revenue
    inbox: dict[str, InboxCount] = field(default_factory=dict)  # per code: service requests to act on now


@dataclass(frozen=True)
class UnitSummary:
    """A unit with its place in both lines of the matrix, for the summary panel."""

    unit: OrgUnitRow
    level_label: str
    parent: OrgUnitRow | None
    children: list[OrgUnitRow]
    subtree_counts: dict[str, int]  # level → number of units below this one (all depths)


def load_org_tree(db: Database) -> OrgTreeData:
    """Worker side: the whole KA line from the core service, with pinyin initials for searching."""
    with db.session() as session:
        roots = org_tree(session)
    with db.engine.connect() as conn:
        month = latest_month(conn)
        figures = unit_tree_figures(conn, month=month)
    try:
        from kam_console.pinyin import initials
    except ImportError:  # pinyin search is a convenience, not a requirement
        return OrgTreeData(roots, figures=figures, month=month)
    keys: dict[str, str] = {}
    stack = list(roots)
    while stack:
        node = stack.pop()
        # Short names only: initials of full names ("…自治区大客户部") match almost any two letters.
        keys[node.unit.code] = initials(node.unit.short_name)
        stack.extend(node.children)
    return OrgTreeData(roots, keys, figures, month)


def level_label(level: str) -> str:
    return UNIT_LEVEL_LABELS.get(level, level)


class OrgTreeModel(QStandardItemModel):
    """Columns 单位, 代码, 客户数 and the newest month's revenue; every row carries its code in ``CodeRole``."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._nodes: dict[str, OrgNode] = {}
        self._parent_code: dict[str, str | None] = {}
        self._items: dict[str, QStandardItem] = {}
        self._figures: dict[str, NodeFigures] = {}
        self._inbox: dict[str, InboxCount] = {}
        self._set_headers()

    def _set_headers(self, month: int | None = None) -> None:
        revenue = (
            self.tr("{0}年{1:02d}月收入（元）").format(month // 100, month % 100) if month else self.tr("收入（元）")
        )
        self.setHorizontalHeaderLabels([self.tr("单位"), self.tr("代码"), self.tr("客户数"), revenue])
        for col in (COL_ACCOUNTS, COL_REVENUE):
            self.horizontalHeaderItem(col).setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)

    def set_tree(self, data: OrgTreeData | list[OrgNode]) -> None:
        if isinstance(data, list):
            data = OrgTreeData(data)
        # removeRows, not clear(): clear() drops the columns and with them the view's header settings.
        self.removeRows(0, self.rowCount())
        self._nodes.clear()
        self._parent_code.clear()
        self._items.clear()
        self._figures = data.figures
        self._inbox = {}
        self._set_headers(data.month)
        root_item = self.invisibleRootItem()
        for node in data.roots:
            self._add(root_item, node, None, data.search_keys)
        self.set_inbox(data.inbox)

    def set_inbox(self, counts: dict[str, InboxCount]) -> None:
        """Show each unit's to-do requests (units not in ``counts`` have none)."""
        previous, self._inbox = self._inbox, dict(counts)
        for code in set(previous) | set(counts):
            item = self._items.get(code)
            node = self._nodes.get(code)
            if item is None or node is None:
                continue
            entry = counts.get(code)
            todo, late = (entry.todo, entry.overdue) if entry else (0, 0)
            if item.data(TodoRole) == todo and item.data(OverdueRole) == late and code in previous:
                continue
            item.setData(todo, TodoRole)
            item.setData(late, OverdueRole)
            tip = self._tooltip(node.unit)
            parent = item.parent()
            for column in range(self.columnCount()):
                cell = parent.child(item.row(), column) if parent is not None else self.item(item.row(), column)
                if cell is not None:
                    cell.setToolTip(tip)

    def inbox(self, code: str) -> tuple[int, int]:
        """(to do, overdue) of ``code``."""
        entry = self._inbox.get(code)
        return (entry.todo, entry.overdue) if entry else (0, 0)

    def _add(self, parent_item: QStandardItem, node: OrgNode, parent_code: str | None, keys: dict[str, str]) -> None:
        unit = node.unit
        self._nodes[unit.code] = node
        self._parent_code[unit.code] = parent_code
        name = QStandardItem(unit.short_name)
        code = QStandardItem(unit.code)
        fig = self._figures.get(unit.code)
        accounts = QStandardItem(f"{fig.accounts:,}" if fig else "")
        revenue = QStandardItem(format_yuan(fig.revenue_fen) if fig else "")
        for item, value in ((accounts, fig.accounts if fig else 0), (revenue, fig.revenue_fen if fig else 0)):
            item.setData(value, SortRole)
            item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        tip = self._tooltip(unit)
        for item in (name, code, accounts, revenue):
            item.setEditable(False)
            item.setData(unit.code, CodeRole)
            item.setData(unit.level, LevelRole)
            item.setToolTip(tip)
        name.setData(f"{unit.short_name} {unit.name} {unit.code} {keys.get(unit.code, '')}".lower(), SearchRole)
        name.setData(unit.code, SortRole)
        code.setData(unit.code, SortRole)
        if not unit.active:
            for item in (name, code, accounts, revenue):
                item.setEnabled(False)
        parent_item.appendRow([name, code, accounts, revenue])
        self._items[unit.code] = name
        for child in node.children:
            self._add(name, child, unit.code, keys)

    def _tooltip(self, unit: OrgUnitRow) -> str:
        lines = [unit.name, self.tr("层级：{0}　代码：{1}").format(level_label(unit.level), unit.code)]
        lines.append(self.tr("本地公司：{0}").format(unit.local_company or "—"))
        if not unit.active:
            lines.append(self.tr("（已停用）"))
        entry = self._inbox.get(unit.code)
        if entry is not None and entry.todo:
            line = self.tr("待处理服务请求 {0} 条").format(entry.todo)
            if entry.overdue:
                line += self.tr("，其中 {0} 条已超时").format(entry.overdue)
            lines.append(line)
        return "\n".join(lines)

    # --- lookups -----------------------------------------------------------------------------

    def index_for_code(self, code: str, column: int = COL_NAME) -> QModelIndex:
        item = self._items.get(code)
        if item is None:
            return QModelIndex()
        index = item.index()
        return index.siblingAtColumn(column) if column != COL_NAME else index

    def unit(self, code: str) -> OrgUnitRow | None:
        node = self._nodes.get(code)
        return node.unit if node else None

    def codes(self) -> list[str]:
        return list(self._nodes)

    def summary(self, code: str) -> UnitSummary | None:
        node = self._nodes.get(code)
        if node is None:
            return None
        parent_code = self._parent_code.get(code)
        counts: Counter[str] = Counter()
        stack = list(node.children)
        while stack:
            child = stack.pop()
            counts[child.unit.level] += 1
            stack.extend(child.children)
        return UnitSummary(
            unit=node.unit,
            level_label=level_label(node.unit.level),
            parent=self.unit(parent_code) if parent_code else None,
            children=[child.unit for child in node.children],
            subtree_counts=dict(counts),
        )


class OrgTreeFilter(QSortFilterProxyModel):
    """Case-insensitive search by name, code or pinyin initials; ancestors of matches stay visible."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.setRecursiveFilteringEnabled(True)
        self.setFilterRole(SearchRole)
        self.setFilterKeyColumn(COL_NAME)
        self.setFilterCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.setSortRole(SortRole)

    def set_search(self, text: str) -> None:
        self.setFilterFixedString(text.strip().lower())
