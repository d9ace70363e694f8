"""The unit page: a summary of the selected KA unit, its matrix reporting chart, its key figures of the
newest month, and tabs with the units directly below it and its staff by position.

It shows both lines of the matrix (DESIGN §1): the upper KA unit (vertical, business supervision) and the
local company (horizontal, administrative superior), as fields and as a chart (ui.matrix_chart) beside
them. The chart is drawn at once from the loaded tree; ``show_matrix`` upgrades it with the full matrix
from ``kam_console.services.matrix.unit_matrix`` (adds the local company's superior) when a caller has
loaded it. Double-clicking a subordinate unit, or clicking a unit in the chart, emits ``unit_activated``
so the window can select it in the tree.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QSplitter,
    QStackedWidget,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from kam_console.models import UNIT_LEVELS
from kam_console.services.matrix import UnitMatrix, matrix_from_rows
from ui.matrix_chart import MatrixChart
from ui.org_tree_model import UnitSummary, level_label
from ui.unit_details import UnitDetails
from ui.unit_figures_panel import UnitFiguresPanel
from ui.unit_staff_panel import UnitStaffPanel

CHILD_COL_NAME, CHILD_COL_CODE, CHILD_COL_COMPANY = 0, 1, 2


class UnitSummaryPanel(QWidget):
    unit_activated = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.summary: UnitSummary | None = None
        self.stack = QStackedWidget(self)
        self.placeholder = QLabel(self.tr("请在左侧选择一个单位"), self)
        self.placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.placeholder.setObjectName("summaryPlaceholder")
        self.stack.addWidget(self.placeholder)
        self.stack.addWidget(self._build_content())
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.stack)

    def _build_content(self) -> QWidget:
        page = QWidget(self)
        self.title = QLabel(page)
        self.title.setObjectName("summaryTitle")
        title_font = QFont(self.font())
        title_font.setPointSizeF(title_font.pointSizeF() * 1.6)
        title_font.setBold(True)
        self.title.setFont(title_font)
        self.subtitle = QLabel(page)
        self.subtitle.setObjectName("summarySubtitle")
        self.subtitle.setStyleSheet("color: #5b6472;")

        self.fields: dict[str, QLabel] = {}
        info = QGroupBox(self.tr("基本信息"), page)
        form = QFormLayout(info)
        form.setLabelAlignment(Qt.AlignmentFlag.AlignRight)
        form.setHorizontalSpacing(16)
        form.setVerticalSpacing(8)
        for key, label in (
            ("name", self.tr("单位名称")),
            ("code", self.tr("单位代码")),
            ("level", self.tr("层级")),
            ("parent", self.tr("上级大客户单位（业务管理）")),
            ("company", self.tr("本地公司（行政管理）")),
            ("children", self.tr("下级单位")),
            ("status", self.tr("状态")),
        ):
            value = QLabel(page)
            value.setObjectName(f"summary_{key}")
            value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            value.setWordWrap(True)
            form.addRow(label + self.tr("："), value)
            self.fields[key] = value

        self.matrix_box = QGroupBox(self.tr("矩阵管理关系"), page)
        self.matrix_chart = MatrixChart(self.matrix_box)
        self.matrix_chart.unit_activated.connect(self.unit_activated)
        QVBoxLayout(self.matrix_box).addWidget(self.matrix_chart)
        # Beside the fields rather than above them: stacked, the two would leave the subordinate table
        # only a couple of rows on a laptop screen. The fields keep room for a unit name on one line;
        # the chart, which can show more lower units when wider, gets the larger share of the rest.
        label_w = max(form.labelForField(value).sizeHint().width() for value in self.fields.values())
        # room for the longest unit names on one line (新疆维吾尔自治区大客户部: 12 characters)
        info.setMinimumWidth(label_w + form.horizontalSpacing() + self.fontMetrics().horizontalAdvance("汉" * 12) + 40)
        top_row = QHBoxLayout()
        top_row.setSpacing(10)
        top_row.addWidget(info, 2)
        top_row.addWidget(self.matrix_box, 3)

        self.children_box = QGroupBox(page)
        self.children_table = QTableWidget(0, 3, self.children_box)
        self.children_table.setObjectName("summaryChildren")
        self.children_table.setHorizontalHeaderLabels([self.tr("单位"), self.tr("代码"), self.tr("本地公司")])
        self.children_table.verticalHeader().setVisible(False)
        self.children_table.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 10)
        self.children_table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.children_table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.children_table.setAlternatingRowColors(True)
        self.children_table.setToolTip(self.tr("双击查看该单位"))
        header = self.children_table.horizontalHeader()
        header.setSectionResizeMode(CHILD_COL_NAME, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(CHILD_COL_CODE, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(CHILD_COL_COMPANY, QHeaderView.ResizeMode.Stretch)
        self.children_table.cellDoubleClicked.connect(self._on_child_activated)
        self.no_children = QLabel(self.tr("该单位没有下级单位。"), self.children_box)
        box_layout = QVBoxLayout(self.children_box)
        box_layout.addWidget(self.no_children)
        box_layout.addWidget(self.children_table)

        # The organisation block (fields and matrix chart) and the working area (figures and tabs) share
        # the height through a splitter: on a laptop the block can be dragged smaller or hidden so the
        # account list gets the rows; the window remembers the split.
        self.overview_toggle = QToolButton(page)
        self.overview_toggle.setObjectName("overviewToggle")
        self.overview_toggle.setCheckable(True)
        self.overview_toggle.setChecked(True)
        self.overview_toggle.setAutoRaise(True)
        self.overview_toggle.toggled.connect(self.set_overview_visible)
        self._sync_toggle(True)
        title_row = QHBoxLayout()
        title_row.addWidget(self.title, 1)
        title_row.addWidget(self.overview_toggle, 0, Qt.AlignmentFlag.AlignBottom)
        self.overview = QWidget(page)
        self.overview.setObjectName("unitOverview")
        top_layout = QVBoxLayout(self.overview)
        top_layout.setContentsMargins(0, 0, 0, 0)
        top_layout.addLayout(top_row)
        work = QWidget(page)
        work_layout = QVBoxLayout(work)
        work_layout.setContentsMargins(0, 0, 0, 0)
        work_layout.setSpacing(10)
        self.figures_panel = UnitFiguresPanel(work)
        work_layout.addWidget(self.figures_panel)
        self.staff_panel = UnitStaffPanel(work)
        self.tabs = QTabWidget(work)
        self.tabs.setObjectName("unitTabs")
        self.tabs.addTab(self.children_box, self.tr("下级单位"))
        self.tabs.addTab(self.staff_panel, self.tr("员工"))
        work_layout.addWidget(self.tabs, 1)
        self.splitter = QSplitter(Qt.Orientation.Vertical, page)
        self.splitter.setObjectName("unitSplitter")
        self.splitter.addWidget(self.overview)
        self.splitter.addWidget(work)
        self.splitter.setCollapsible(0, True)
        self.splitter.setCollapsible(1, False)
        self.splitter.setStretchFactor(0, 0)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.splitterMoved.connect(lambda *_: self._sync_toggle(self.overview_visible()))

        layout = QVBoxLayout(page)
        layout.setContentsMargins(16, 12, 16, 12)
        layout.setSpacing(6)
        layout.addLayout(title_row)
        layout.addWidget(self.subtitle)
        layout.addWidget(self.splitter, 1)
        self._page_layout = layout
        return page

    def overview_visible(self) -> bool:
        return self.splitter.sizes()[0] > 0

    def set_overview_visible(self, visible: bool) -> None:
        """Show or hide the organisation block (fields and matrix chart) above the figures and tabs."""
        sizes = self.splitter.sizes()
        total = sum(sizes)
        if visible and sizes[0] == 0:
            wanted = self.overview.sizeHint().height()
            self.splitter.setSizes([wanted, max(0, total - wanted)])
        elif not visible and sizes[0] > 0:
            self.splitter.setSizes([0, total])
        self._sync_toggle(visible)

    def _sync_toggle(self, visible: bool) -> None:
        toggle = self.overview_toggle
        toggle.blockSignals(True)
        toggle.setChecked(visible)
        toggle.blockSignals(False)
        toggle.setText(self.tr("收起组织信息 ▲") if visible else self.tr("展开组织信息 ▼"))
        toggle.setToolTip(self.tr("隐藏或显示基本信息和矩阵管理关系，给下方的列表更多空间"))

    def show_summary(self, summary: UnitSummary | None) -> None:
        self.summary = summary
        if summary is None:
            self.matrix_chart.set_matrix(None)
            self.stack.setCurrentIndex(0)
            return
        unit = summary.unit
        self.title.setText(unit.name)
        self.subtitle.setText(
            self.tr("{0}级单位　·　简称 {1}　·　代码 {2}").format(summary.level_label, unit.short_name, unit.code)
        )
        parent = summary.parent
        values = {
            "name": unit.name,
            "code": unit.code,
            "level": summary.level_label,
            "parent": f"{parent.name}（{parent.code}）" if parent else self.tr("无（最高层级）"),
            "company": unit.local_company or "—",
            "children": self._children_text(summary),
            "status": self.tr("在用") if unit.active else self.tr("已停用"),
        }
        for key, text in values.items():
            self.fields[key].setText(text)
        self._fill_children(summary)
        self.matrix_chart.set_matrix(matrix_from_rows(unit, parent, summary.children))
        self.stack.setCurrentIndex(1)

    def show_details(self, details: UnitDetails) -> None:
        """Fill the parts loaded in the background, if they are for the unit shown (a late result for a
        unit the user has already left is dropped, so no figure of a previous selection is shown)."""
        if self.summary is None or details.code != self.summary.unit.code:
            return
        self.matrix_chart.set_matrix(details.matrix)
        self.figures_panel.set_figures(details.figures)
        self.staff_panel.set_groups(details.staff)
        self.tabs.setTabText(1, self.tr("员工（{0}）").format(sum(len(g.staff) for g in details.staff)))

    def clear_details(self) -> None:
        """Forget the previous unit's figures and staff until the new ones arrive."""
        self.figures_panel.set_figures(None)
        self.staff_panel.set_groups([])
        self.tabs.setTabText(1, self.tr("员工"))

    def show_matrix(self, matrix: UnitMatrix) -> None:
        """Replace the tree-derived chart with the full matrix, if it is for the unit shown (a late
        result for a unit the user has already left is dropped)."""
        if self.summary is not None and matrix.unit.code == self.summary.unit.code:
            self.matrix_chart.set_matrix(matrix)

    def _children_text(self, summary: UnitSummary) -> str:
        direct = len(summary.children)
        if not direct:
            return self.tr("无")
        text = self.tr("直属 {0} 个").format(direct)
        total = sum(summary.subtree_counts.values())
        if total > direct:
            parts = [
                f"{level_label(level)} {summary.subtree_counts[level]}"
                for level in UNIT_LEVELS
                if summary.subtree_counts.get(level)
            ]
            text += self.tr("，全部下级 {0} 个（{1}）").format(total, "、".join(parts))
        return text

    def _fill_children(self, summary: UnitSummary) -> None:
        children = summary.children
        self.children_box.setTitle(self.tr("下级单位（{0}）").format(len(children)))
        self.no_children.setVisible(not children)
        self.children_table.setVisible(bool(children))
        if not children:  # a city has nobody below it on the KA line: its people are what to look at
            self.tabs.setCurrentWidget(self.staff_panel)
        self.children_table.setRowCount(len(children))
        for row, child in enumerate(children):
            for col, text in (
                (CHILD_COL_NAME, child.name),
                (CHILD_COL_CODE, child.code),
                (CHILD_COL_COMPANY, child.local_company or "—"),
            ):
                item = QTableWidgetItem(text)
                item.setData(Qt.ItemDataRole.UserRole, child.code)
                self.children_table.setItem(row, col, item)
        self.children_table.scrollToTop()

    def _on_child_activated(self, row: int, _column: int) -> None:
        item = self.children_table.item(row, CHILD_COL_NAME)
        if item is not None:
            self.unit_activated.emit(item.data(Qt.ItemDataRole.UserRole))
