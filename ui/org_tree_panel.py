"""The left-hand panel: a search box over the KA hierarchy tree. Emits the code of the selected unit."""

from __future__ import annotations

from PySide6.QtCore import QItemSelection, QModelIndex, Signal
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QLabel, QLineEdit, QTreeView, QVBoxLayout, QWidget

from ui.org_tree_model import (
    COL_ACCOUNTS,
    COL_CODE,
    COL_NAME,
    CodeRole,
    OrgNode,
    OrgTreeData,
    OrgTreeFilter,
    OrgTreeModel,
)


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
