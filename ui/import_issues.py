"""The problems of a rejected import file as a sortable table model, and their export to CSV.

A rejected file may have a problem on every row, so the model sorts its own list (one Python sort)
instead of going through a proxy. Columns are shown by the file's own header (what the user sees in
Excel), with the expected column's Chinese name as a tooltip.
"""

from __future__ import annotations

import csv
from collections.abc import Mapping, Sequence
from pathlib import Path

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, QPersistentModelIndex, Qt

from kam_console.importing import ImportIssue
from ui.import_common import field_label

COL_LINE, COL_COLUMN, COL_VALUE, COL_REASON = range(4)
SortRole = Qt.ItemDataRole.UserRole + 1

_Index = QModelIndex | QPersistentModelIndex
_ROOT = QModelIndex()


def issue_column_text(column: str, mapping: Mapping[str, str]) -> str:
    """``revenue`` → the file's header chosen for it (e.g. 收入（元）); a list of columns part by part."""
    if not column:
        return ""
    return ", ".join(mapping.get(part, part) or part for part in column.split(","))


def issue_rows(issues: Sequence[ImportIssue], mapping: Mapping[str, str]) -> list[tuple[int, str, str, str]]:
    return [(i.line, issue_column_text(i.column, mapping), i.value, i.reason) for i in issues]


def write_issues_csv(path: str | Path, issues: Sequence[ImportIssue], mapping: Mapping[str, str]) -> None:
    """行,列,值,原因 in UTF-8 with a BOM, so Excel on a Chinese Windows opens it without mojibake."""
    with open(path, "w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["行", "列", "值", "原因"])
        for line, column, value, reason in issue_rows(issues, mapping):
            writer.writerow([line if line else "", column, value, reason])


class IssueTableModel(QAbstractTableModel):
    """行, 列, 值, 原因 — one row per problem; line 0 means the file as a whole."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._issues: list[ImportIssue] = []
        self._rows: list[tuple[int, str, str, str]] = []
        self._tips: list[str] = []
        self._order: list[int] = []  # the column's place among the expected ones, to break ties
        self._headers = [self.tr("行"), self.tr("列"), self.tr("值"), self.tr("原因")]

    def set_issues(self, issues: Sequence[ImportIssue], mapping: Mapping[str, str] | None = None) -> None:
        mapping = mapping or {}
        self.beginResetModel()
        self._issues = list(issues)
        self._rows = issue_rows(self._issues, mapping)
        self._tips = [", ".join(field_label(c) for c in i.column.split(",")) if i.column else "" for i in issues]
        place = {column: n for n, column in enumerate(mapping)}
        self._order = [place.get(i.column.split(",")[0], len(place)) for i in self._issues]
        self.endResetModel()

    def issues(self) -> list[ImportIssue]:
        return list(self._issues)

    def rowCount(self, parent: _Index = _ROOT) -> int:
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: _Index = _ROOT) -> int:
        return 0 if parent.isValid() else 4

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole):
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole and 0 <= section < 4:
            return self._headers[section]
        return None

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        line, column, value, reason = row = self._rows[index.row()]
        col = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            if col == COL_LINE:
                return str(line) if line else self.tr("整个文件")
            return row[col]
        if role == SortRole:
            return row[col]
        if role == Qt.ItemDataRole.ToolTipRole:
            if col == COL_COLUMN:
                return self._tips[index.row()] or None
            if col in (COL_VALUE, COL_REASON):
                return row[col] or None
        if role == Qt.ItemDataRole.TextAlignmentRole and col == COL_LINE:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        if not 0 <= column < 4:
            return
        self.layoutAboutToBeChanged.emit()
        # Ties go in file order (line, then column as in the file), so sorting by 原因 groups rows readably.
        order_of = sorted(
            range(len(self._rows)),
            key=lambda i: (self._rows[i][column], self._rows[i][0], self._order[i]),
            reverse=order == Qt.SortOrder.DescendingOrder,
        )
        self._rows = [self._rows[i] for i in order_of]
        self._tips = [self._tips[i] for i in order_of]
        self._issues = [self._issues[i] for i in order_of]
        self._order = [self._order[i] for i in order_of]
        new_row = {old: new for new, old in enumerate(order_of)}
        persistent = self.persistentIndexList()  # the view's selection and current row follow their rows
        self.changePersistentIndexList(persistent, [self.index(new_row[p.row()], p.column()) for p in persistent])
        self.layoutChanged.emit()
