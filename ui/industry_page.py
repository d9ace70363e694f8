"""The 行业营销 page (Ctrl+5): one industry in the selected unit's area — how it does, who serves it and
where nobody specialised serves it yet.

For the unit selected in the tree, an industry and a month it shows the industry's key figures with
MoM/YoY, its revenue by region with ARPU or ARPA (provinces of the country, cities of a province, the
biggest accounts of a city; click a bar to go there), its 24-month trend, the staff specialised in it
with their load, the coverage gaps (cities with the industry's accounts and no specialist, and for the
country each province's summary; double-click selects that unit in the tree) and its top accounts
(double-click opens the account).

Everything comes from one background read (``kam_console.services.industry_marketing``, on the same
figures engine as ``kam analytics``). A new selection cancels the read in flight and clears the page, and
a result for a selection the user has left is dropped. Like the other pages it does not own the selected
unit: it asks the window (``unit_requested``) and the window calls ``set_unit``.
"""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush, QColor, QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QButtonGroup,
    QComboBox,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QScrollArea,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from kam_console.analytics import Figures
from kam_console.db import Database
from kam_console.models import ACCOUNT_LEVEL_LABELS
from kam_console.months import month_text
from kam_console.services.industry_marketing import IndustryData, IndustryRequest, load_industry_page
from ui.analysis_page import ChartCard
from ui.chart_export import ChartTable, ExportMenu
from ui.charts import BarChart, Category, LineChart, Series, money_scale, yuan
from ui.style import set_muted
from ui.tasks import BackgroundTasks, Task, TaskCancelled
from ui.unit_figures_panel import FigureTile, format_money

METRIC_LABELS = {"arpu": "ARPU（元/线路）", "arpa": "ARPA（元/客户）"}
REGION_LABELS = {"province": "省份", "city": "地市", "account": "客户"}
GAP_COLOUR = QColor("#fde8e8")  # rows that need a specialist
SortRole = Qt.ItemDataRole.UserRole + 1
KeyRole = Qt.ItemDataRole.UserRole + 2  # a row's unit code or customer number

SPECIALIST_HEADERS = ["姓名", "工号", "单位", "岗位", "负责本行业客户", "负责客户总数", "本行业客户月收入（元）"]
GAP_HEADERS = ["地市", "所属省", "本行业客户", "月收入（元）"]
PROVINCE_HEADERS = [
    "省份",
    "省级专长人员",
    "地市专长人员",
    "有客户地市",
    "未覆盖地市",
    "未覆盖客户",
    "未覆盖收入（元）",
]
TOP_HEADERS = ["排名", "客户编号", "客户名称", "级别", "地市", "收入（元）", "计费线路", "ARPU（元）"]
FIGURE_HEADERS = ["代码", "名称", "收入（元）", "计费线路", "有收入客户", "ARPU（元/线路）", "ARPA（元/客户）"]


def month_label(month: int) -> str:
    return f"{month // 100}年{month % 100:02d}月"


def _dec(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


class _Item(QTableWidgetItem):
    """A cell that sorts by its ``SortRole`` value (numbers as numbers)."""

    def __lt__(self, other: QTableWidgetItem) -> bool:
        mine, theirs = self.data(SortRole), other.data(SortRole)
        if mine is None or theirs is None:
            return super().__lt__(other)
        return mine < theirs


def _cell(text: str, sort=None, *, right: bool = False) -> _Item:
    item = _Item(text)
    item.setData(SortRole, sort if sort is not None else text)
    if right:
        item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
    return item


def _money_cell(value: Decimal | None) -> _Item:
    return _cell(format_money(value), float(value) if value is not None else -1e18, right=True)


def _count_cell(value: int) -> _Item:
    return _cell(f"{value:,}", value, right=True)


def _table(headers: list[str], name: str, parent: QWidget) -> QTableWidget:
    table = QTableWidget(0, len(headers), parent)
    table.setObjectName(name)
    table.setHorizontalHeaderLabels(headers)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    table.verticalHeader().setVisible(False)
    table.setAlternatingRowColors(True)
    table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
    table.horizontalHeader().setStretchLastSection(True)
    table.setWordWrap(False)
    table.verticalHeader().setDefaultSectionSize(table.fontMetrics().height() + 8)
    return table


def _fill(
    table: QTableWidget,
    rows: list[tuple[str, list[_Item]]],
    order: tuple[int, Qt.SortOrder],
    highlight: set[int] = frozenset(),
) -> None:
    """Rows of (key, cells) in the service's order, which ``order`` (column, direction) keeps as the
    table's sort (Qt's sort is stable); rows whose index is in ``highlight`` get the gap colour."""
    table.setSortingEnabled(False)
    table.clearContents()
    table.setRowCount(len(rows))
    for r, (key, cells) in enumerate(rows):
        for c, item in enumerate(cells):
            item.setData(KeyRole, key)
            if r in highlight:
                item.setBackground(QBrush(GAP_COLOUR))
            table.setItem(r, c, item)
    table.horizontalHeader().setSortIndicator(*order)
    table.setSortingEnabled(True)
    table.resizeColumnsToContents()  # after sorting is on: the header leaves room for the sort arrow


def _figure_tooltip(f: Figures, title: str) -> str:
    return "<br>".join(
        [
            f"<b>{title}</b>",
            f"收入：{yuan(f.revenue)}",
            f"计费线路：{f.lines:,}",
            f"有收入客户：{f.accounts:,}",
            f"ARPU：{yuan(f.arpu)}/线路",
            f"ARPA：{yuan(f.arpa)}/客户",
        ]
    )


class CoveragePanel(ChartCard):
    """覆盖空白: the cities with the industry's accounts and no specialist (biggest revenue first), and for
    the country each province's summary; rows that need attention are highlighted, and double-clicking a
    row asks for that unit (``unit_requested``)."""

    unit_requested = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        tabs = QTabWidget()
        super().__init__("", tabs, parent)
        self.tabs = tabs
        self.title.setText(self.tr("覆盖空白"))
        self.setObjectName("industryCoverage")
        self.tabs.setDocumentMode(True)
        self.gap_table = _table([self.tr(h) for h in GAP_HEADERS], "industryGaps", self)
        self.province_table = _table([self.tr(h) for h in PROVINCE_HEADERS], "industryProvinces", self)
        self.tabs.addTab(self.gap_table, self.tr("未覆盖地市"))
        self.tabs.addTab(self.province_table, self.tr("各省覆盖"))
        for table in (self.gap_table, self.province_table):
            table.cellDoubleClicked.connect(lambda row, _c, t=table: self._activated(t, row))

    def _activated(self, table: QTableWidget, row: int) -> None:
        item = table.item(row, 0)
        if item is not None and item.data(KeyRole):
            self.unit_requested.emit(item.data(KeyRole))

    def clear(self) -> None:
        self.gap_table.setRowCount(0)
        self.province_table.setRowCount(0)
        self.set_note(None)

    def show_coverage(self, data: IndustryData) -> None:
        coverage = data.coverage
        name = data.industry.name if data.industry is not None else ""
        gaps = coverage.gaps if coverage else ()
        provinces = coverage.provinces if coverage else ()
        country = data.unit.level == "group"
        self.title.setText(
            self.tr("覆盖空白：{0} 个地市有{1}客户但没有专长人员").format(len(gaps), name)
            if gaps
            else self.tr("覆盖空白")
        )
        rows = [
            (
                g.code,
                [
                    _cell(g.name, g.code),
                    _cell(g.province_name, g.province_code),
                    _count_cell(g.accounts),
                    _money_cell(g.revenue),
                ],
            )
            for g in gaps
        ]
        _fill(self.gap_table, rows, (3, Qt.SortOrder.DescendingOrder), set(range(len(rows))))
        self.gap_table.setColumnHidden(1, not country)  # within one province the province says nothing
        for r in range(self.gap_table.rowCount()):
            item = self.gap_table.item(r, 0)
            item.setToolTip(self.tr("双击查看{0}").format(item.text()))
        province_rows = [
            (
                p.code,
                [
                    _cell(p.name, p.code),
                    _count_cell(p.province_specialists),
                    _count_cell(p.city_specialists),
                    _count_cell(p.cities_with_accounts),
                    _count_cell(p.uncovered_cities),
                    _count_cell(p.uncovered_accounts),
                    _money_cell(p.uncovered_revenue),
                ],
            )
            for p in provinces
        ]
        flagged = {i for i, p in enumerate(provinces) if p.is_gap}
        _fill(self.province_table, province_rows, (0, Qt.SortOrder.AscendingOrder), flagged)
        self.tabs.setTabText(0, self.tr("未覆盖地市（{0}）").format(len(gaps)))
        self.tabs.setTabText(1, self.tr("各省覆盖（{0} 个省需关注）").format(len(flagged)))
        self.tabs.setTabVisible(1, country)
        if not country:
            self.tabs.setCurrentIndex(0)
        self.set_note(self._note(data, name, gaps, provinces, bool(flagged)))

    def _note(self, data: IndustryData, name: str, gaps, provinces, flagged: bool) -> str | None:
        parts = []
        if data.coverage is not None and not data.coverage.cities_with_accounts:
            parts.append(self.tr("该行业在本地区没有服务中的客户。"))
        elif not gaps:
            parts.append(self.tr("每个有{0}客户的地市都有专长人员。").format(name))
        if data.unit.level == "province" and provinces:
            p = provinces[0]
            parts.append(
                self.tr("省公司大客户部有 {0} 名{1}专长人员。").format(p.province_specialists, name)
                if p.province_specialists
                else self.tr("省公司大客户部没有{0}专长人员。").format(name)
            )
        if gaps or flagged:
            parts.append(self.tr("地市有在岗专长人员才算覆盖；按月收入排序，双击选中该单位。"))
        return "".join(parts) or None

    def table(self) -> QTableWidget:
        """The table shown now (what an export writes)."""
        return self.province_table if self.tabs.currentIndex() == 1 else self.gap_table


class IndustryPage(QWidget):
    unit_requested = Signal(str)  # a region, a gap or the breadcrumb: the window selects this unit
    account_requested = Signal(int)  # open this account's page
    #: emitted when a selection's figures are shown (tests wait on it)
    shown = Signal()

    def __init__(self, db: Database, tasks: BackgroundTasks, parent: QWidget | None = None, *, up_red: bool = True):
        super().__init__(parent)
        self.db = db
        self.tasks = tasks
        self.up_red = up_red
        self.request: IndustryRequest | None = None
        self.data: IndustryData | None = None
        self._task: Task | None = None
        self._generation = 0
        self._stale = False
        self.metric_key = "arpu"
        self._build()

    # --- construction ------------------------------------------------------------------------

    def _build(self) -> None:
        self.breadcrumb = QLabel(self)
        self.breadcrumb.setObjectName("industryBreadcrumb")
        self.breadcrumb.setTextFormat(Qt.TextFormat.RichText)
        self.breadcrumb.linkActivated.connect(self.unit_requested.emit)
        font = QFont(self.breadcrumb.font())
        font.setPointSizeF(font.pointSizeF() * 1.3)
        font.setBold(True)
        self.breadcrumb.setFont(font)
        self.status = QLabel(self)
        set_muted(self.status)

        self.industry = QComboBox(self)
        self.industry.setObjectName("industryChoice")
        self.industry.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.industry.setMinimumContentsLength(6)
        self.industry.setToolTip(self.tr("行业（已停用的行业仍可查看其已有数据）"))
        self.month = QComboBox(self)
        self.month.setObjectName("industryMonth")
        self.month.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.month.setMinimumContentsLength(8)
        self.month.setToolTip(self.tr("统计月份"))
        self.metric_buttons = QButtonGroup(self)
        self.metric_arpu = QToolButton(self)
        self.metric_arpu.setText("ARPU")
        self.metric_arpu.setToolTip(self.tr("每计费线路月收入（元/线路）"))
        self.metric_arpa = QToolButton(self)
        self.metric_arpa.setText("ARPA")
        self.metric_arpa.setToolTip(self.tr("每有收入客户月收入（元/客户）"))
        for button, key in ((self.metric_arpu, "arpu"), (self.metric_arpa, "arpa")):
            button.setCheckable(True)
            button.setChecked(key == self.metric_key)
            self.metric_buttons.addButton(button)
        self.metric_buttons.setExclusive(True)

        top = QHBoxLayout()
        top.addWidget(self.breadcrumb, 1)
        top.addWidget(self.status)
        controls = QHBoxLayout()
        for label, widget in ((self.tr("行业"), self.industry), (self.tr("月份"), self.month)):
            controls.addWidget(QLabel(label, self))
            controls.addWidget(widget)
        controls.addSpacing(12)
        controls.addWidget(QLabel(self.tr("指标"), self))
        controls.addWidget(self.metric_arpu)
        controls.addWidget(self.metric_arpa)
        controls.addStretch(1)

        self.tiles = {
            "revenue": FigureTile(self.tr("收入（元）"), self),
            "lines": FigureTile(self.tr("计费线路数"), self),
            "accounts": FigureTile(self.tr("有收入客户数"), self),
            "arpu": FigureTile(self.tr("ARPU（元/线路）"), self),
            "arpa": FigureTile(self.tr("ARPA（元/客户）"), self),
        }
        tiles = QHBoxLayout()
        tiles.setSpacing(8)
        for tile in self.tiles.values():
            tiles.addWidget(tile)
        self.summary = QLabel(self)
        self.summary.setObjectName("industrySummary")
        self.summary.setTextFormat(Qt.TextFormat.RichText)
        self.summary.setWordWrap(True)

        self.region_chart = BarChart(self.tr("所选范围内该行业没有收入数据。"))
        self.region_chart.setObjectName("industryRegions")
        self.region_chart.setMinimumHeight(300)
        self.region_card = ChartCard(self.tr("按地区"), self.region_chart)
        self.trend_chart = LineChart(self.tr("近 24 个月该行业没有收入数据。"))
        self.trend_chart.setObjectName("industryTrend")
        self.trend_card = ChartCard(self.tr("趋势"), self.trend_chart)

        self.coverage_card = CoveragePanel(self)
        self.coverage_card.unit_requested.connect(self.unit_requested)

        self.specialist_table = _table([self.tr(h) for h in SPECIALIST_HEADERS], "industrySpecialists", self)
        self.specialist_table.setMinimumHeight(240)
        self.specialist_card = ChartCard(self.tr("专长人员及负荷"), self.specialist_table)
        self.top_table = _table([self.tr(h) for h in TOP_HEADERS], "industryTop", self)
        self.top_table.setMinimumHeight(240)
        self.top_table.cellDoubleClicked.connect(self._top_double_clicked)
        self.top_card = ChartCard(self.tr("重点客户"), self.top_table)

        self.exports: dict[str, ExportMenu] = {}
        for key, card, widget in (
            ("regions", self.region_card, self.region_chart),
            ("trend", self.trend_card, self.trend_chart),
            ("gaps", self.coverage_card, self.coverage_card.tabs),
            ("specialists", self.specialist_card, self.specialist_table),
            ("top", self.top_card, self.top_table),
        ):
            menu = ExportMenu(
                plot_getter=lambda w=widget: w, table_getter=lambda k=key: self.chart_table(k), parent=card
            )
            card.tools.addWidget(menu)
            self.exports[key] = menu

        grid = QGridLayout()
        grid.setSpacing(10)
        grid.addWidget(self.region_card, 0, 0, 1, 2)
        grid.addWidget(self.trend_card, 1, 0)
        grid.addWidget(self.coverage_card, 1, 1)
        grid.addWidget(self.specialist_card, 2, 0, 1, 2)
        grid.addWidget(self.top_card, 3, 0, 1, 2)
        for row in range(4):
            grid.setRowMinimumHeight(row, 300)
        grid.setColumnStretch(0, 1)
        grid.setColumnStretch(1, 1)

        self.empty = QLabel(self)
        self.empty.setWordWrap(True)
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty.hide()

        content = QWidget(self)
        body = QVBoxLayout(content)
        body.setContentsMargins(12, 8, 12, 12)
        body.addLayout(top)
        body.addLayout(controls)
        body.addLayout(tiles)
        body.addWidget(self.summary)
        body.addWidget(self.empty)
        body.addLayout(grid, 1)
        self.scroll = QScrollArea(self)
        self.scroll.setWidgetResizable(True)
        self.scroll.setFrameShape(QFrame.Shape.NoFrame)
        self.scroll.setWidget(content)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.scroll)

        self.region_chart.bar_clicked.connect(self._region_clicked)
        self.industry.currentIndexChanged.connect(self._choice_changed)
        self.month.currentIndexChanged.connect(self._choice_changed)
        self.metric_buttons.buttonClicked.connect(self._metric_changed)
        self._clear(self.tr("请选择一个单位"))

    # --- selection ---------------------------------------------------------------------------

    def set_unit(self, code: str) -> None:
        """Show the current industry and month in ``code``'s area."""
        if not code:
            return
        if self.request is not None and code == self.request.unit and not self._stale:
            return
        base = self.request or IndustryRequest(unit=code)
        self._start(replace(base, unit=code))

    def set_industry(self, code: str) -> None:
        """Show ``code`` (an industry code) for the current unit."""
        if self.request is not None and code != self.request.industry:
            self._start(replace(self.request, industry=code))

    def invalidate(self) -> None:
        """The data or the catalogue may have changed: read again when the page is next shown."""
        self._stale = True

    def reload(self) -> None:
        if self.request is not None:
            self._start(self.request)

    def set_up_red(self, up_red: bool) -> None:
        self.up_red = up_red
        if self.data is not None and not self.data.empty:
            self._show_tiles(self.data)

    def _choice_changed(self, _index: int = -1) -> None:
        if self.request is None:
            return
        request = replace(self.request, industry=self.industry.currentData(), month=self.month.currentData())
        if request != self.request:
            self._start(request)

    def _metric_changed(self, _button=None) -> None:
        self.metric_key = "arpa" if self.metric_arpa.isChecked() else "arpu"
        if self.data is not None and not self.data.empty:
            self._show_regions(self.data)
            self._show_trend(self.data)

    def _region_clicked(self, key: str) -> None:
        data = self.data
        if data is None:
            return
        if data.region_kind == "account":
            account_id = data.account_ids.get(key)
            if account_id is not None:
                self.account_requested.emit(account_id)
            return
        self.unit_requested.emit(key)

    def _top_double_clicked(self, row: int, _column: int) -> None:
        item = self.top_table.item(row, 0)
        if item is not None and self.data is not None:
            account_id = self.data.account_ids.get(item.data(KeyRole))
            if account_id is not None:
                self.account_requested.emit(account_id)

    # --- loading -------------------------------------------------------------------------------

    def _start(self, request: IndustryRequest) -> None:
        self.request = request
        self._stale = False
        self._generation += 1
        generation = self._generation
        if self._task is not None and not self._task.done:
            self._task.cancel()
        self._clear(self.tr("正在计算…"))
        self.status.setText(self.tr("正在计算…"))
        db = self.db

        def work(progress):
            with db.engine.connect() as conn:
                return load_industry_page(conn, request, check=progress.check)

        self._task = self.tasks.read(
            work,
            on_done=lambda data: self._on_loaded(generation, data),
            on_error=lambda exc: self._on_failed(generation, exc),
            busy_cursor=False,
            label=self.tr("正在计算行业数据…"),
            parent=self,
        )

    def _on_failed(self, generation: int, exc: BaseException) -> None:
        if generation != self._generation or isinstance(exc, TaskCancelled):
            return
        message = getattr(exc, "zh", None) or str(exc) or type(exc).__name__
        self.status.setText("")
        self._clear(self.tr("无法计算：{0}").format(message))

    def _on_loaded(self, generation: int, data: IndustryData) -> None:
        if generation != self._generation or data.request != self.request:
            return  # the user has moved on: never show a previous selection's figures
        if data.industry is not None and self.request.industry is None:
            # remember the industry chosen for us, so the next unit shows the same one
            self.request = replace(self.request, industry=data.industry.code)
            data = replace(data, request=self.request)
        self.data = data
        self.status.setText("")
        self._set_choices(data)
        self._show_breadcrumb(data)
        self.empty.setVisible(data.empty)
        if data.empty:
            if data.industry is None:
                self.empty.setText(self.tr("行业目录是空的。请在 工具 → 行业目录… 中添加行业。"))
            else:
                self.empty.setText(
                    self.tr("数据库中还没有收入数据。导入月收入（文件 → 导入月收入…）后，这里显示行业营销分析。")
                )
            self._clear(self.tr("暂无数据"), keep_data=True)
        else:
            self._show(data)
        self.shown.emit()

    # --- showing ---------------------------------------------------------------------------------

    def _clear(self, text: str, *, keep_data: bool = False) -> None:
        if not keep_data:
            self.data = None
        busy = text == self.tr("正在计算…")
        for tile in self.tiles.values():
            tile.set_value("…" if busy else "—", [], self.up_red)
        self.summary.setText("")
        self.region_chart.show_empty(text)
        self.trend_chart.show_empty(text)
        self.coverage_card.clear()
        for table in (self.specialist_table, self.top_table):
            table.setRowCount(0)
        for card in (self.specialist_card, self.top_card, self.region_card):
            card.set_note(None)
        for menu in getattr(self, "exports", {}).values():
            menu.refresh()

    def _set_choices(self, data: IndustryData) -> None:
        for combo in (self.industry, self.month):
            combo.blockSignals(True)
            combo.clear()
        for option in data.industries:
            self.industry.addItem(option.label, option.code)
            if not option.active:
                self.industry.setItemData(
                    self.industry.count() - 1,
                    self.tr("已停用：不再供新客户选择，已有数据照常统计"),
                    Qt.ItemDataRole.ToolTipRole,
                )
        if data.industry is not None:
            self.industry.setCurrentIndex(max(0, self.industry.findData(data.industry.code)))
        for month in reversed(data.months):
            self.month.addItem(month_label(month), month)
        if data.month is not None:
            self.month.setCurrentIndex(max(0, self.month.findData(data.month)))
        for combo in (self.industry, self.month):
            combo.blockSignals(False)

    def _scope_name(self, data: IndustryData) -> str:
        return "全国" if data.unit.level == "group" else data.unit.short_name

    def _industry_name(self, data: IndustryData) -> str:
        return data.industry.name if data.industry is not None else ""

    def _show_breadcrumb(self, data: IndustryData) -> None:
        parts = []
        for unit in data.breadcrumb[:-1]:
            name = "全国" if unit.level == "group" else unit.short_name
            parts.append(f'<a href="{unit.code}">{name}</a>')
        last = data.breadcrumb[-1] if data.breadcrumb else data.unit
        parts.append("全国" if last.level == "group" else last.name)
        industry = f" · {self._industry_name(data)}行业" if data.industry is not None else ""
        self.breadcrumb.setText(" › ".join(parts) + industry)
        self.breadcrumb.setToolTip(self.tr("点击上级单位返回"))

    def _show(self, data: IndustryData) -> None:
        self._show_tiles(data)
        self._show_summary(data)
        self._show_regions(data)
        self._show_trend(data)
        self.coverage_card.show_coverage(data)
        self._show_specialists(data)
        self._show_top(data)
        for menu in self.exports.values():
            menu.refresh()

    def _show_tiles(self, data: IndustryData) -> None:
        mom, yoy = self.tr("环比"), self.tr("同比")
        for figure in data.key_figures:
            if figure.key in ("lines", "accounts"):
                text = "—" if figure.value is None else f"{figure.value:,}"
            else:
                text = format_money(figure.value)
            self.tiles[figure.key].set_value(text, [(mom, figure.mom_pct), (yoy, figure.yoy_pct)], self.up_red)

    def _show_summary(self, data: IndustryData) -> None:
        levels = " · ".join(f"{c.label} {c.accounts:,}" for c in data.accounts_by_level)
        parts = [
            self.tr("服务中的{0}客户 <b>{1:,}</b> 个（{2}）").format(
                self._industry_name(data), data.accounts_total, levels
            )
        ]
        parts.append(self.tr("专长人员 <b>{0}</b> 名").format(len(data.specialists)))
        coverage = data.coverage
        if data.region_kind == "account" and coverage is not None and coverage.cities_with_accounts:
            parts.append(
                self.tr("<span style='color:#b91c1c'>本地市没有{0}专长人员</span>").format(self._industry_name(data))
                if coverage.gaps
                else self.tr("本地市有{0}专长人员").format(self._industry_name(data))
            )
        elif coverage is not None and coverage.cities_with_accounts:
            gaps = len(coverage.gaps)
            text = self.tr("有客户的地市 {0} 个，").format(coverage.cities_with_accounts)
            if gaps:
                text += self.tr("<span style='color:#b91c1c'>其中 <b>{0}</b> 个没有专长人员</span>").format(gaps)
            else:
                text += self.tr("均有专长人员")
            parts.append(text)
        if not data.industry.active:
            parts.append(self.tr("<span style='color:#b45309'>该行业已停用</span>"))
        self.summary.setText("　｜　".join(parts))

    def _show_regions(self, data: IndustryData) -> None:
        metric = self.metric_key
        metric_label = METRIC_LABELS[metric]
        scope = self._scope_name(data)
        month = month_label(data.month)
        figures = list(data.regions)
        revenue = [float(f.revenue) for f in figures]
        divisor, unit = money_scale(revenue)
        if data.region_kind == "account":
            self.region_card.title.setText(
                self.tr("{0}{1}收入最高的客户（{2}）— 点击柱形打开客户").format(scope, self._industry_name(data), month)
            )
            self.region_chart.set_data(
                [Category(f.key, f.name, _figure_tooltip(f, f"{f.name}（{f.key}）")) for f in figures],
                revenue,
                name=self.tr("月收入（{0}）").format(unit),
                axis_title=self.tr("月收入（{0}）").format(unit),
                divisor=divisor,
                second=[_dec(f.arpu) for f in figures],
                second_name=METRIC_LABELS["arpu"],
                second_title=METRIC_LABELS["arpu"],
            )
            return
        names = {code: ref.short_name for code, ref in data.region_units.items()}
        what = REGION_LABELS[data.region_kind]
        self.region_card.title.setText(
            self.tr("{0}各{1}{2}收入与 {3}（{4}）— 点击柱形查看该地区").format(
                scope, what, self._industry_name(data), metric.upper(), month
            )
        )
        self.region_chart.set_data(
            [Category(f.key, names.get(f.key, f.name), _figure_tooltip(f, names.get(f.key, f.name))) for f in figures],
            revenue,
            name=self.tr("收入（{0}）").format(unit),
            axis_title=self.tr("收入（{0}）").format(unit),
            divisor=divisor,
            second=[_dec(getattr(f, metric)) for f in figures],
            second_name=metric_label,
            second_title=metric_label,
        )

    def _show_trend(self, data: IndustryData) -> None:
        points = data.trend
        metric = self.metric_key
        labels = [month_text(p.month) for p in points]
        self.trend_card.title.setText(self.tr("近 24 个月收入与 {0}").format(metric.upper()))
        revenue = [float(p.figures.revenue) for p in points]
        divisor, unit = money_scale(revenue)
        tips = [
            _figure_tooltip(p.figures, month_label(p.month))
            + (f"<br>收入环比：{p.mom_pct:+.1f}%" if p.mom_pct is not None else "")
            + (f"<br>收入同比：{p.yoy_pct:+.1f}%" if p.yoy_pct is not None else "")
            for p in points
        ]
        self.trend_chart.set_data(
            labels,
            [
                Series(self.tr("收入（{0}）").format(unit), revenue, "#2563eb"),
                Series(
                    METRIC_LABELS[metric], [_dec(getattr(p.figures, metric)) for p in points], "#ea580c", right=True
                ),
            ],
            axis_title=self.tr("收入（{0}）").format(unit),
            right_title=METRIC_LABELS[metric],
            divisor=divisor,
            tooltips=tips,
        )

    def _show_specialists(self, data: IndustryData) -> None:
        name = self._industry_name(data)
        self.specialist_card.title.setText(
            self.tr("{0}专长人员及负荷（{1} 名，{2}）").format(name, len(data.specialists), month_label(data.month))
        )
        rows = [
            (
                s.employee_no,
                [
                    _cell(s.name),
                    _cell(s.employee_no),
                    _cell(s.unit_name, s.unit_code),
                    _cell(s.position_label),
                    _count_cell(s.industry_accounts),
                    _count_cell(s.all_accounts),
                    _money_cell(s.industry_revenue),
                ],
            )
            for s in data.specialists
        ]
        _fill(self.specialist_table, rows, (2, Qt.SortOrder.AscendingOrder))
        self.specialist_card.set_note(
            None
            if data.specialists
            else self.tr("本单位及下级单位没有以{0}为专长的在岗人员。可在单位概况的员工页为员工设置专长行业。").format(
                name
            )
        )

    def _show_top(self, data: IndustryData) -> None:
        self.top_card.title.setText(
            self.tr("{0}{1}收入前 {2} 名客户（{3}）— 双击打开").format(
                self._scope_name(data), self._industry_name(data), len(data.top), month_label(data.month)
            )
        )
        rows = [
            (
                a.customer_no,
                [
                    _cell(str(i), i, right=True),
                    _cell(a.customer_no),
                    _cell(a.name),
                    _cell(ACCOUNT_LEVEL_LABELS.get(a.level, a.level)),
                    _cell(a.city),
                    _money_cell(a.revenue),
                    _count_cell(a.lines),
                    _money_cell(a.arpu),
                ],
            )
            for i, a in enumerate(data.top, 1)
        ]
        _fill(self.top_table, rows, (0, Qt.SortOrder.AscendingOrder))
        name_width = self.top_table.fontMetrics().horizontalAdvance("中国石油化工股份有限公司广东") + 12
        self.top_table.setColumnWidth(2, min(self.top_table.columnWidth(2), name_width))

    # --- exports -----------------------------------------------------------------------------------

    def chart_table(self, key: str) -> ChartTable | None:
        """The data behind one panel, for CSV/Excel export; None while nothing is shown."""
        data = self.data
        if data is None or data.empty:
            return None
        scope = f"{self._scope_name(data)}{self._industry_name(data)}"
        month = month_text(data.month)
        if key == "regions":
            rows = [[f.key, f.name, f.revenue, f.lines, f.accounts, f.arpu, f.arpa] for f in data.regions]
            return ChartTable(f"{scope}按{REGION_LABELS[data.region_kind]}", FIGURE_HEADERS, rows, "", month)
        if key == "trend":
            headers = [
                "月份",
                "收入（元）",
                "计费线路",
                "有收入客户",
                "ARPU（元/线路）",
                "ARPA（元/客户）",
                "收入环比（%）",
                "收入同比（%）",
            ]
            rows = [
                [
                    month_text(p.month),
                    p.figures.revenue,
                    p.figures.lines,
                    p.figures.accounts,
                    p.figures.arpu,
                    p.figures.arpa,
                    p.mom_pct,
                    p.yoy_pct,
                ]
                for p in data.trend
            ]
            return ChartTable(f"{scope}近24个月趋势", headers, rows, "", month)
        if key == "gaps":
            coverage = data.coverage
            note = "地市有在岗专长人员才算覆盖"
            if coverage is not None and self.coverage_card.table() is self.coverage_card.province_table:
                rows = [
                    [p.code, p.name, p.province_specialists, p.city_specialists, p.cities_with_accounts]
                    + [p.uncovered_cities, p.uncovered_accounts, p.uncovered_revenue]
                    for p in coverage.provinces
                ]
                return ChartTable(f"{scope}各省覆盖", ["代码", *PROVINCE_HEADERS], rows, note, month)
            gaps = coverage.gaps if coverage else ()
            rows = [[g.code, g.name, g.province_name, g.accounts, g.revenue] for g in gaps]
            headers = ["代码", "地市", "所属省", "本行业客户", "月收入（元）"]
            return ChartTable(f"{scope}覆盖空白", headers, rows, note, month)
        if key == "specialists":
            rows = [
                [
                    s.name,
                    s.employee_no,
                    s.unit_name,
                    s.position_label,
                    s.industry_accounts,
                    s.all_accounts,
                    s.industry_revenue,
                ]
                for s in data.specialists
            ]
            return ChartTable(f"{scope}专长人员", SPECIALIST_HEADERS, rows, "", month)
        if key == "top":
            rows = [
                [
                    i,
                    a.customer_no,
                    a.name,
                    ACCOUNT_LEVEL_LABELS.get(a.level, a.level),
                    a.city,
                    a.revenue,
                    a.lines,
                    a.arpu,
                ]
                for i, a in enumerate(data.top, 1)
            ]
            return ChartTable(f"{scope}重点客户", TOP_HEADERS, rows, "", month)
        return None
