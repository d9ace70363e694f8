"""The first rows of an import file under its own headers, each header marked with the expected column it
feeds (``→ 月份``) or ``（不导入）``, so the user checks the mapping against real values."""

from __future__ import annotations

from collections.abc import Mapping

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableWidget, QTableWidgetItem, QWidget

from kam_console.importing import ImportPreview
from ui.import_common import field_name

MAX_COLUMN_WIDTH = 260
UNUSED_COLOR = "#9ca3af"


class PreviewTable(QTableWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.headers: list[str] = []
        self.kind = ""
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setAlternatingRowColors(True)
        self.setWordWrap(False)
        self.horizontalHeader().setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)

    def show_rows(self, preview: ImportPreview) -> None:
        self.headers = list(preview.headers)
        self.kind = preview.kind
        self.clear()
        self.setColumnCount(max([len(preview.headers), *(len(r) for r in preview.rows)]))
        self.setRowCount(len(preview.rows))
        for r, cells in enumerate(preview.rows):
            for c, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setToolTip(text if len(text) > 20 else "")
                self.setItem(r, c, item)
        # Data rows counted from the first one under the header (the preview carries no file line numbers).
        self.setVerticalHeaderLabels([str(r) for r in range(1, len(preview.rows) + 1)])

    def show_targets(self, columns: Mapping[str, str]) -> None:
        """``columns``: expected column → the file header chosen for it."""
        target = {header: column for column, header in columns.items()}
        grey = QBrush(QColor(UNUSED_COLOR))
        for c in range(self.columnCount()):
            header = self.headers[c] if c < len(self.headers) else ""
            column = target.get(header) if c < len(self.headers) else None
            shown = header or self.tr("（无表头）")
            label = f"{shown}\n→ {field_name(column, self.kind)}" if column else f"{shown}\n" + self.tr("（不导入）")
            item = QTableWidgetItem(label)
            if not column:
                item.setForeground(grey)
            self.setHorizontalHeaderItem(c, item)
            for r in range(self.rowCount()):
                cell = self.item(r, c)
                if cell is not None:
                    cell.setForeground(grey if not column else QBrush())
        self.resizeColumnsToContents()
        self.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        for c in range(self.columnCount()):
            if self.columnWidth(c) > MAX_COLUMN_WIDTH:
                self.setColumnWidth(c, MAX_COLUMN_WIDTH)

    def header_text(self, column: int) -> str:
        item = self.horizontalHeaderItem(column)
        return item.text() if item is not None else ""
