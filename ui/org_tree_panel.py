"""The left-hand panel: a search box over the KA hierarchy tree. Emits the code of the selected unit.

Beside each unit's name a blue badge counts the service requests it must act on now and a red one those of
them past their deadline (``InboxBadgeDelegate``), so a head sees at a glance where work is waiting.
"""

from __future__ import annotations

from PySide6.QtCore import (
    QCoreApplication,
    QItemSelection,
    QModelIndex,
    QPersistentModelIndex,
    QRectF,
    QSize,
    Qt,
    Signal,
)
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QPainter
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QLabel,
    QLineEdit,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTreeView,
    QVBoxLayout,
    QWidget,
)

from ui.org_tree_model import (
    COL_ACCOUNTS,
    COL_CODE,
    COL_NAME,
    CodeRole,
    OrgNode,
    OrgTreeData,
    OrgTreeFilter,
    OrgTreeModel,
    OverdueRole,
    TodoRole,
)

TODO_COLOUR = "#2563eb"
OVERDUE_COLOUR = "#dc2626"


def badge_texts(todo: int, overdue: int) -> list[tuple[str, str]]:
    """(text, colour) of the badges a unit shows: its to-do count, and the overdue ones if any."""
    badges = []
    if todo:
        badges.append((f"{todo:,}", TODO_COLOUR))
    if overdue:
        badges.append((QCoreApplication.translate("OrgTreePanel", "超时{0}").format(overdue), OVERDUE_COLOUR))
    return badges


class InboxBadgeDelegate(QStyledItemDelegate):
    """Draws the unit's name as usual, then its request badges at the right end of the cell."""

    def _badges(self, index: QModelIndex | QPersistentModelIndex) -> list[tuple[str, str]]:
        return badge_texts(int(index.data(TodoRole) or 0), int(index.data(OverdueRole) or 0))

    @staticmethod
    def _font(option: QStyleOptionViewItem) -> QFont:
        font = QFont(option.font)
        font.setPointSizeF(max(6.0, font.pointSizeF() * 0.8))
        font.setBold(True)
        return font

    def _widths(self, option: QStyleOptionViewItem, badges: list[tuple[str, str]]) -> list[float]:
        fm = QFontMetricsF(self._font(option))
        return [max(fm.height(), fm.horizontalAdvance(text) + fm.height() * 0.6) for text, _ in badges]

    def sizeHint(self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex) -> QSize:
        size = super().sizeHint(option, index)
        badges = self._badges(index)
        if badges:
            extra = sum(self._widths(option, badges)) + 3 * len(badges) + 4
            size.setWidth(size.width() + int(extra + 0.5))
        return size

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex):
        badges = self._badges(index)
        if not badges:
            super().paint(painter, option, index)
            return
        widths = self._widths(option, badges)
        room = sum(widths) + 3 * len(badges) + 2
        text_option = QStyleOptionViewItem(option)
        text_option.rect = option.rect.adjusted(0, 0, -int(room + 0.5), 0)
        super().paint(painter, text_option, index)
        font = self._font(option)
        fm = QFontMetricsF(font)
        height = min(option.rect.height() - 4.0, fm.height() + 2)
        x = option.rect.right() - room + 2
        y = option.rect.center().y() - height / 2 + 0.5
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setFont(font)
        for (text, colour), width in zip(badges, widths, strict=True):
            rect = QRectF(x, y, width, height)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(QColor(colour))
            painter.drawRoundedRect(rect, height / 2, height / 2)
            painter.setPen(QColor("#ffffff"))
            painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, text)
            x += width + 3
        painter.restore()


class OrgTreePanel(QWidget):
    #: the selected unit's code, or "" when nothing is selected
    unit_selected = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = OrgTreeModel(self)
        self.proxy = OrgTreeFilter(self)
        self.proxy.setSourceModel(self.model)

        self.search = QLineEdit(self)
        self.search.setObjectName("orgSearch")
        self.search.setPlaceholderText(self.tr("搜索单位：名称、代码或拼音首字母"))
        self.search.setClearButtonEnabled(True)
        self.search.textChanged.connect(self._on_search)

        self.view = QTreeView(self)
        self.view.setObjectName("orgTree")
        self.view.setModel(self.proxy)
        self.view.setUniformRowHeights(True)
        self.view.setAlternatingRowColors(True)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.badges = InboxBadgeDelegate(self.view)
        self.view.setItemDelegateForColumn(COL_NAME, self.badges)
        header = self.view.header()
        header.setStretchLastSection(True)  # the revenue column takes the spare width
        header.setSectionResizeMode(COL_NAME, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(COL_CODE, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(COL_ACCOUNTS, QHeaderView.ResizeMode.ResizeToContents)
        self.view.selectionModel().selectionChanged.connect(self._on_selection)

        self.no_match = QLabel(self.tr("没有匹配的单位"), self)
        self.no_match.setObjectName("orgNoMatch")
        self.no_match.setVisible(False)

        # The unit last selected by the user: kept while a search hides it, re-selected when it reappears.
        self._selected_code = ""

        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 0, 6)
        layout.setSpacing(6)
        layout.addWidget(self.search)
        layout.addWidget(self.no_match)
        layout.addWidget(self.view, 1)

    def set_tree(self, data: OrgTreeData | list[OrgNode]) -> None:
        """Replace the tree, keeping the selection (by code) if the unit still exists."""
        keep = self._selected_code
        self.model.set_tree(data)
        self._apply_expansion()
        self._update_no_match()
        if keep and self.model.unit(keep):
            self._reselect(keep)
        elif keep:
            self._selected_code = ""
            self.unit_selected.emit("")

    def selected_code(self) -> str:
        """The unit the user selected last (still reported while a search hides it)."""
        return self._selected_code

    def current_code(self) -> str:
        index = self.view.currentIndex()
        if not index.isValid() or not self.view.selectionModel().isSelected(index):
            return ""
        return index.data(CodeRole) or ""

    def select_code(self, code: str) -> bool:
        """Select (and reveal) a unit; clears the search if it hides that unit."""
        source = self.model.index_for_code(code)
        if not source.isValid():
            return False
        index = self.proxy.mapFromSource(source)
        if not index.isValid():
            self.search.clear()
            index = self.proxy.mapFromSource(source)
        self.view.setCurrentIndex(index)
        self.view.scrollTo(index)
        return True

    def _on_search(self, text: str) -> None:
        self.proxy.set_search(text)
        self._apply_expansion()
        self._update_no_match()
        if self._selected_code:
            self._reselect(self._selected_code)

    def _reselect(self, code: str) -> None:
        index = self.proxy.mapFromSource(self.model.index_for_code(code))
        if index.isValid():
            if index != self.view.currentIndex() or not self.view.selectionModel().isSelected(index):
                self.view.setCurrentIndex(index)
            self.view.scrollTo(index)

    def _apply_expansion(self) -> None:
        if self.search.text().strip():
            self.view.expandAll()  # show every match in place
            return
        self.view.collapseAll()
        for row in range(self.proxy.rowCount()):  # the group unit(s): provinces visible at a glance
            self.view.expand(self.proxy.index(row, 0))
        current = self.view.currentIndex()
        parent = current.parent() if current.isValid() else QModelIndex()
        while parent.isValid():
            self.view.expand(parent)
            parent = parent.parent()

    def _update_no_match(self) -> None:
        self.no_match.setVisible(bool(self.search.text().strip()) and self.proxy.rowCount() == 0)

    def _on_selection(self, _selected: QItemSelection, _deselected: QItemSelection) -> None:
        # A search that hides the selected row deselects it; the summary keeps showing that unit.
        code = self.current_code()
        if code and code != self._selected_code:
            self._selected_code = code
            self.unit_selected.emit(code)
