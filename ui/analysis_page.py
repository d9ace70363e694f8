"""The ARPU/ARPA analysis page (分析): where are we growing, where are we slipping, and who is behind it.

For the selected unit, month and filters (industry, product, account level) it shows the key figures
with MoM/YoY, the unit's children as bars of ARPU or ARPA with revenue on a second axis (click a bar to
drill down: country → province → city → that city's accounts → the account's page; the breadcrumb goes
back up), 24 months of the unit's ARPU and ARPA, up to six units compared, revenue by industry and by
product, the distribution of revenue per account and the top-20 accounts.

Everything comes from one background read (``kam_console.services.analysis.load_analysis``, the same
figures engine as ``kam analytics``). A new selection cancels the read in flight and clears the charts
at once, so a chart never shows a previous selection's figures; a result that arrives for a selection
the user has left is dropped.

The page does not own the selected unit: drilling down and the breadcrumb emit ``unit_requested`` and
the window selects that unit in the tree, which calls ``set_unit`` — one current unit for the whole
window.
"""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

from PySide6.QtCore import QSettings, Qt, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QButtonGroup,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPushButton,
    QScrollArea,
    QTableWidget,
    QTableWidgetItem,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from kam_console.analytics import Figures, Filters
from kam_console.db import Database
from kam_console.models import ACCOUNT_LEVEL_LABELS
from kam_console.money import fen_to_decimal
from kam_console.months import month_text
from kam_console.services.analysis import (
    CHILD_KIND_LABELS,
    MAX_COMPARED,
    AnalysisData,
    AnalysisRequest,
    UnitRef,
    compare_candidates,
    load_analysis,
)
from kam_console.services.catalogues import industry_choices, list_products
from ui import settings as S
from ui.chart_export import ChartTable, ExportMenu
from ui.charts import (
    BAR_COLOUR,
    BarChart,
    Category,
    LineChart,
    Series,
    distinct_colours,
    money_scale,
    yuan,
)
from ui.style import set_muted
from ui.tasks import BackgroundTasks, Task, TaskCancelled
from ui.unit_figures_panel import FigureTile, format_money

METRIC_LABELS = {"arpu": "ARPU（元/线路）", "arpa": "ARPA（元/客户）"}
RANKING_LABELS = {"revenue": "按收入", "arpa": "按 ARPA（集团客户含分支）", "arpu": "按 ARPU"}
TOP_COLUMNS = [
    "排名",
    "客户编号",
    "客户名称",
    "级别",
    "行业",
    "地市",
    "收入（元）",
    "计费线路",
    "ARPU（元）",
    "ARPA（元）",
]


def _month_label(month: int) -> str:
    return f"{month // 100}年{month % 100:02d}月"


def _dec(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


def _figure_tooltip(f: Figures, extra: str = "") -> str:
    lines = [
        f"<b>{f.name}</b>{extra}",
        f"收入：{yuan(f.revenue)}",
        f"计费线路：{f.lines:,}",
        f"有收入客户：{f.accounts:,}",
        f"ARPU：{yuan(f.arpu)}/线路",
        f"ARPA：{yuan(f.arpa)}/客户",
    ]
    return "<br>".join(lines)


def _figure_rows(figures) -> list[list[object]]:
    return [[f.key, f.name, f.revenue, f.lines, f.accounts, f.arpu, f.arpa] for f in figures]


FIGURE_HEADERS = ["代码", "名称", "收入（元）", "计费线路", "有收入客户", "ARPU（元/线路）", "ARPA（元/客户）"]


class ChartCard(QFrame):
    """A titled frame around one chart (or table), with its export button."""

    def __init__(self, title: str, body: QWidget, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.title = QLabel(title, self)
        font = QFont(self.title.font())
        font.setBold(True)
        self.title.setFont(font)
        self.note = QLabel(self)
        set_muted(self.note)
        self.note.setWordWrap(True)
        self.note.hide()
        self.body = body
        self.tools = QHBoxLayout()
        self.tools.setSpacing(4)
        header = QHBoxLayout()
        header.addWidget(self.title, 1)
        header.addLayout(self.tools)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 6, 8, 8)
        layout.addLayout(header)
        layout.addWidget(self.note)
        layout.addWidget(body, 1)

    def set_note(self, text: str | None) -> None:
        self.note.setText(text or "")
        self.note.setVisible(bool(text))


class CompareDialog(QDialog):
    """Pick up to six units for the comparison chart."""

    def __init__(self, units: list[UnitRef], chosen: list[str], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("选择对比单位"))
        self.hint = QLabel(self.tr("最多选择 {0} 个单位：").format(MAX_COMPARED), self)
        self.list = QListWidget(self)
        for unit in units:
            item = QListWidgetItem(unit.name, self.list)
            item.setData(Qt.ItemDataRole.UserRole, unit.code)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Checked if unit.code in chosen else Qt.CheckState.Unchecked)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText(self.tr("对比"))
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setText(self.tr("取消"))
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        self.list.itemChanged.connect(self._sync)
        layout = QVBoxLayout(self)
        layout.addWidget(self.hint)
        layout.addWidget(self.list, 1)
        layout.addWidget(self.buttons)
        self.resize(360, 460)
        self._sync()

    def chosen(self) -> list[str]:
        return [
            self.list.item(i).data(Qt.ItemDataRole.UserRole)
            for i in range(self.list.count())
            if self.list.item(i).checkState() == Qt.CheckState.Checked
        ]

    def _sync(self, _item=None) -> None:
        count = len(self.chosen())
        ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        ok.setEnabled(1 <= count <= MAX_COMPARED)
        self.hint.setText(
            self.tr("最多选择 {0} 个单位（已选 {1} 个）：").format(MAX_COMPARED, count)
            if count <= MAX_COMPARED
            else self.tr("最多选择 {0} 个单位，请去掉 {1} 个。").format(MAX_COMPARED, count - MAX_COMPARED)
        )


class AnalysisPage(QWidget):
    unit_requested = Signal(str)  # drill-down or breadcrumb: the window selects this unit
    account_requested = Signal(int)  # open this account's page
    #: emitted when a selection's charts are drawn (tests and the benchmark wait on it)
    shown = Signal()

    def __init__(
        self,
        db: Database,
        tasks: BackgroundTasks,
        parent: QWidget | None = None,
        *,
        settings: QSettings | None = None,
    ) -> None:
        super().__init__(parent)
        self.db = db
        self.tasks = tasks
        self.settings = settings or S.app_settings()
        self.request: AnalysisRequest | None = None
        self.data: AnalysisData | None = None
        self._task: Task | None = None
        self._generation = 0
        self._catalogues_loaded = False
        self._stale = False
        self.up_red = S.UP_RED.get(self.settings)
        # (not ``self.metric``: that would hide QWidget.metric(), which Qt calls while painting)
        self.metric_key = S.ANALYSIS_METRIC.get(self.settings)
        if self.metric_key not in METRIC_LABELS:
            self.metric_key = "arpu"
        self._build()

    # --- construction ------------------------------------------------------------------------

    def _build(self) -> None:
        self.breadcrumb = QLabel(self)
        self.breadcrumb.setObjectName("analysisBreadcrumb")
        self.breadcrumb.setTextFormat(Qt.TextFormat.RichText)
        self.breadcrumb.linkActivated.connect(self.unit_requested.emit)
        font = QFont(self.breadcrumb.font())
        font.setPointSizeF(font.pointSizeF() * 1.3)
        font.setBold(True)
        self.breadcrumb.setFont(font)
        self.status = QLabel(self)
        self.status.setObjectName("analysisStatus")
        set_muted(self.status)

        self.month = QComboBox(self)
        self.month.setObjectName("analysisMonth")
        self.month.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.month.setMinimumContentsLength(8)
        self.month.setToolTip(self.tr("统计月份"))
        self.industry = QComboBox(self)
        self.industry.addItem(self.tr("全部行业"), None)
        self.product = QComboBox(self)
        self.product.addItem(self.tr("全部产品"), None)
        self.level = QComboBox(self)
        self.level.addItem(self.tr("全部级别"), None)
        for code, label in ACCOUNT_LEVEL_LABELS.items():
            self.level.addItem(label, code)
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
        filters = QHBoxLayout()
        for label, widget in (
            (self.tr("月份"), self.month),
            (self.tr("行业"), self.industry),
            (self.tr("产品"), self.product),
            (self.tr("客户级别"), self.level),
        ):
            filters.addWidget(QLabel(label, self))
            filters.addWidget(widget)
        filters.addSpacing(12)
        filters.addWidget(QLabel(self.tr("指标"), self))
        filters.addWidget(self.metric_arpu)
        filters.addWidget(self.metric_arpa)
        filters.addStretch(1)

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

        self.children_chart = BarChart(self.tr("所选范围内没有收入数据。"))
        self.children_chart.setObjectName("childrenChart")
        self.children_chart.setMinimumHeight(320)
        self.children_card = ChartCard(self.tr("下级单位"), self.children_chart)
        self.trend_chart = LineChart(self.tr("近 24 个月没有收入数据。"))
        self.trend_card = ChartCard(self.tr("趋势"), self.trend_chart)
        self.compare_chart = LineChart(self.tr("没有可对比的数据。"))
        self.compare_card = ChartCard(self.tr("单位对比"), self.compare_chart)
        self.compare_button = QPushButton(self.tr("选择单位…"), self)
        self.compare_button.setToolTip(self.tr("选择最多 {0} 个单位放在一张图上对比").format(MAX_COMPARED))
        self.compare_button.clicked.connect(self.choose_compared)
        self.compare_card.tools.addWidget(self.compare_button)
        self.industry_chart = BarChart(self.tr("没有按行业的收入数据。"))
        self.industry_card = ChartCard(self.tr("按行业"), self.industry_chart)
        self.product_chart = BarChart(self.tr("没有按产品的收入数据。"))
        self.product_card = ChartCard(self.tr("按产品"), self.product_chart)
        self.distribution_chart = BarChart(self.tr("没有有收入的客户。"))
        self.distribution_card = ChartCard(self.tr("客户月收入分布"), self.distribution_chart)
        self.top_table = QTableWidget(0, len(TOP_COLUMNS), self)
        self.top_table.setObjectName("topAccounts")
        self.top_table.setHorizontalHeaderLabels([self.tr(h) for h in TOP_COLUMNS])
        self.top_table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.top_table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.top_table.verticalHeader().setVisible(False)
        self.top_table.setAlternatingRowColors(True)
        # Fitted once per fill (a ResizeToContents header re-measures on every cell set: 0.5 ms a cell).
        self.top_table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.top_table.horizontalHeader().setStretchLastSection(True)
        self.top_table.setMinimumHeight(320)
        self.top_table.cellDoubleClicked.connect(self._top_double_clicked)
        self.top_card = ChartCard(self.tr("前 20 名客户"), self.top_table)
        self.ranking = QComboBox(self)
        for key, label in RANKING_LABELS.items():
            self.ranking.addItem(self.tr(label), key)
        self.top_card.tools.addWidget(self.ranking)

        self.exports: dict[str, ExportMenu] = {}
        for key, card, plot in (
            ("children", self.children_card, self.children_chart),
            ("trend", self.trend_card, self.trend_chart),
            ("compare", self.compare_card, self.compare_chart),
            ("industry", self.industry_card, self.industry_chart),
            ("product", self.product_card, self.product_chart),
            ("distribution", self.distribution_card, self.distribution_chart),
            ("top", self.top_card, self.top_table),
        ):
            menu = ExportMenu(
                plot_getter=lambda w=plot: w,  # the chart with its legend (or the table)
                table_getter=lambda k=key: self.chart_table(k),
                parent=card,
            )
            card.tools.addWidget(menu)
            self.exports[key] = menu

        grid = QGridLayout()
        grid.setSpacing(10)
        grid.addWidget(self.children_card, 0, 0, 1, 2)
        grid.addWidget(self.trend_card, 1, 0)
        grid.addWidget(self.compare_card, 1, 1)
        grid.addWidget(self.industry_card, 2, 0)
        grid.addWidget(self.product_card, 2, 1)
        bottom = QHBoxLayout()  # the top-20 table needs more width than a chart
        bottom.setSpacing(10)
        bottom.addWidget(self.distribution_card, 2)
        bottom.addWidget(self.top_card, 3)
        grid.addLayout(bottom, 3, 0, 1, 2)
        for row in range(4):
            grid.setRowMinimumHeight(row, 300)
        grid.setColumnStretch(0, 1)
        grid.setColumnStretch(1, 1)

        self.empty = QLabel(
            self.tr("数据库中还没有收入数据。导入月收入（文件 → 导入月收入…）后，这里显示 ARPU/ARPA 分析。"), self
        )
        self.empty.setWordWrap(True)
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty.hide()

        content = QWidget(self)
        body = QVBoxLayout(content)
        body.setContentsMargins(12, 8, 12, 12)
        body.addLayout(top)
        body.addLayout(filters)
        body.addLayout(tiles)
        body.addWidget(self.empty)
        body.addLayout(grid, 1)
        self.scroll = QScrollArea(self)
        self.scroll.setWidgetResizable(True)
        self.scroll.setFrameShape(QFrame.Shape.NoFrame)
        self.scroll.setWidget(content)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.scroll)

        self.children_chart.bar_clicked.connect(self._drill)
        self.month.currentIndexChanged.connect(self._filters_changed)
        for combo in (self.industry, self.product, self.level):
            combo.currentIndexChanged.connect(self._filters_changed)
        self.ranking.currentIndexChanged.connect(self._filters_changed)
        self.metric_buttons.buttonClicked.connect(self._metric_changed)
        self._clear(self.tr("请选择一个单位"))

    # --- selection ---------------------------------------------------------------------------

    def set_unit(self, code: str) -> None:
        """Analyse ``code`` with the current month and filters (the comparison starts afresh)."""
        if not code:
            return
        base = self.request or AnalysisRequest(unit=code)
        if self.request is not None and code == self.request.unit and not self._stale:
            return
        self._start(replace(base, unit=code, compare=None if code != base.unit else base.compare))

    def invalidate(self) -> None:
        """The data may have changed (a refresh, an import): read again when the page is next shown."""
        self._stale = True

    def set_up_red(self, up_red: bool) -> None:
        self.up_red = up_red
        if self.data is not None:
            self._show_tiles(self.data)

    def current_request(self) -> AnalysisRequest | None:
        return self.request

    def reload(self) -> None:
        if self.request is not None:
            self._start(self.request)

    def _filters_changed(self, _index: int = -1) -> None:
        if self.request is None:
            return
        month = self.month.currentData()
        filters = Filters(self.industry.currentData(), self.product.currentData(), self.level.currentData())
        request = replace(self.request, month=month, filters=filters, top_by=self.ranking.currentData() or "revenue")
        if request != self.request:
            self._start(request)

    def _metric_changed(self, _button=None) -> None:
        self.metric_key = "arpa" if self.metric_arpa.isChecked() else "arpu"
        S.ANALYSIS_METRIC.set(self.settings, self.metric_key)
        if self.data is not None:  # the figures are loaded already: only the drawing changes
            self._show_charts(self.data)

    def _drill(self, key: str) -> None:
        data = self.data
        if data is None:
            return
        if data.child_kind == "account":
            account_id = data.account_ids.get(key)
            if account_id is not None:
                self.account_requested.emit(account_id)
            return
        self.unit_requested.emit(key)

    def _top_double_clicked(self, row: int, _column: int) -> None:
        item = self.top_table.item(row, 1)
        if item is not None and self.data is not None:
            account_id = self.data.account_ids.get(item.text())
            if account_id is not None:
                self.account_requested.emit(account_id)

    def choose_compared(self) -> None:
        if self.request is None:
            return
        db, unit = self.db, self.request.unit

        def work(_progress):
            with db.engine.connect() as conn:
                return compare_candidates(conn, unit=unit)

        self.tasks.read(work, on_done=self._ask_compared, error_title=self.tr("无法读取单位"), parent=self)

    def make_compare_dialog(self, units: list[UnitRef], chosen: list[str]) -> CompareDialog:
        return CompareDialog(units, chosen, self)

    def _ask_compared(self, units) -> None:
        if self.request is None or self.data is None:
            return
        chosen = [c.unit.code for c in self.data.compared]
        dialog = self.make_compare_dialog(list(units), chosen)
        try:
            if dialog.exec() != QDialog.DialogCode.Accepted:
                return
            picked = dialog.chosen()
        finally:
            dialog.deleteLater()
        if picked and len(picked) <= MAX_COMPARED:
            self._start(replace(self.request, compare=tuple(picked)))

    # --- loading -------------------------------------------------------------------------------

    def _start(self, request: AnalysisRequest) -> None:
        self.request = request
        self._stale = False
        self._generation += 1
        generation = self._generation
        if self._task is not None and not self._task.done:
            self._task.cancel()
        self._clear(self.tr("正在计算…"))
        self.status.setText(self.tr("正在计算…"))
        self._load_catalogues()
        db = self.db

        def work(progress):
            with db.engine.connect() as conn:
                return load_analysis(conn, request, check=progress.check)

        self._task = self.tasks.read(
            work,
            on_done=lambda data: self._on_loaded(generation, data),
            on_error=lambda exc: self._on_failed(generation, exc),
            busy_cursor=False,
            label=self.tr("正在计算分析图表…"),
            parent=self,
        )

    def _load_catalogues(self) -> None:
        if self._catalogues_loaded:
            return
        self._catalogues_loaded = True
        db = self.db

        def work(_progress):
            with db.engine.connect() as conn:
                return industry_choices(conn, include_retired=True), list_products(conn)

        self.tasks.read(work, on_done=self._set_catalogues, busy_cursor=False, parent=self)

    def _set_catalogues(self, result) -> None:
        industries, products = result
        for combo, items in ((self.industry, industries), (self.product, products)):
            combo.blockSignals(True)
            for code, name in items:
                combo.addItem(name, code)
            combo.blockSignals(False)

    def _on_failed(self, generation: int, exc: BaseException) -> None:
        if generation != self._generation or isinstance(exc, TaskCancelled):
            return
        message = getattr(exc, "zh", None) or str(exc) or type(exc).__name__
        self.status.setText("")
        self._clear(self.tr("无法计算：{0}").format(message))

    def _on_loaded(self, generation: int, data: AnalysisData) -> None:
        if generation != self._generation or data.request != self.request:
            return  # the user has moved on: never show a previous selection's figures
        self.data = data
        self.status.setText("")
        self._show_breadcrumb(data)
        self._set_months(data)
        self.empty.setVisible(data.empty)
        if data.empty:
            self._clear(self.tr("暂无数据"))
        else:
            self._show_tiles(data)
            self._show_charts(data)
        self.shown.emit()

    # --- showing ---------------------------------------------------------------------------------

    def _clear(self, text: str) -> None:
        self.data = None
        for tile in self.tiles.values():
            tile.set_value("…" if text == self.tr("正在计算…") else "—", [], self.up_red)
        for chart in (
            self.children_chart,
            self.trend_chart,
            self.compare_chart,
            self.industry_chart,
            self.product_chart,
            self.distribution_chart,
        ):
            chart.show_empty(text)
        self.top_table.setRowCount(0)
        for card in (self.children_card, self.top_card, self.distribution_card):
            card.set_note(None)
        for menu in getattr(self, "exports", {}).values():
            menu.refresh()

    def _show_breadcrumb(self, data: AnalysisData) -> None:
        parts = []
        for unit in data.breadcrumb[:-1]:
            name = "全国" if unit.level == "group" else unit.short_name
            parts.append(f'<a href="{unit.code}">{name}</a>')
        last = data.breadcrumb[-1] if data.breadcrumb else data.unit
        parts.append("全国" if last.level == "group" else last.name)
        self.breadcrumb.setText(" › ".join(parts))
        self.breadcrumb.setToolTip(self.tr("点击上级单位返回"))

    def _set_months(self, data: AnalysisData) -> None:
        self.month.blockSignals(True)
        self.month.clear()
        for month in reversed(data.months):
            self.month.addItem(_month_label(month), month)
        if data.month is not None:
            self.month.setCurrentIndex(max(0, self.month.findData(data.month)))
        self.month.blockSignals(False)

    def _show_tiles(self, data: AnalysisData) -> None:
        mom, yoy = self.tr("环比"), self.tr("同比")
        for figure in data.key_figures:
            if figure.key in ("lines", "accounts"):
                text = "—" if figure.value is None else f"{figure.value:,}"
            else:
                text = format_money(figure.value)
            self.tiles[figure.key].set_value(text, [(mom, figure.mom_pct), (yoy, figure.yoy_pct)], self.up_red)

    def _scope_name(self, data: AnalysisData) -> str:
        return "全国" if data.unit.level == "group" else data.unit.short_name

    def _show_charts(self, data: AnalysisData) -> None:
        metric = self.metric_key
        metric_label = METRIC_LABELS[metric]
        month = _month_label(data.month)
        scope = self._scope_name(data)
        self._show_children(data, metric, metric_label, month, scope)
        self._show_trend(data, scope)
        self._show_compare(data, metric, metric_label)
        for chart, card, figures, what in (
            (self.industry_chart, self.industry_card, data.by_industry, "行业"),
            (self.product_chart, self.product_card, data.by_product, "产品"),
        ):
            card.title.setText(self.tr("{0}按{1}：收入与 {2}（{3}）").format(scope, what, metric.upper(), month))
            figures = [f for f in figures if f.revenue_fen or f.lines]
            divisor, unit = money_scale([float(f.revenue) for f in figures])
            chart.set_data(
                [Category(f.key, f.name, _figure_tooltip(f)) for f in figures],
                [float(f.revenue) for f in figures],
                name=self.tr("收入（{0}）").format(unit),
                axis_title=self.tr("收入（{0}）").format(unit),
                divisor=divisor,
                second=[_dec(getattr(f, metric)) for f in figures],
                second_name=metric_label,
                second_title=metric_label,
                clickable=False,
            )
        self._show_distribution(data, month, scope)
        self._show_top(data, month, scope)
        for menu in self.exports.values():
            menu.refresh()

    def _show_children(self, data: AnalysisData, metric: str, metric_label: str, month: str, scope: str) -> None:
        kind = data.child_kind
        chart = self.children_chart
        if kind == "account":
            shown = len(data.children)
            self.children_card.title.setText(
                self.tr("{0}收入最高的 {1} 个客户（{2}）— 点击柱形打开客户").format(scope, shown, month)
            )
            note = None
            if data.child_account_count > shown:
                note = self.tr("共 {0} 个有收入客户，图中为收入最高的 {1} 个。").format(
                    f"{data.child_account_count:,}", shown
                )
            if data.accounts_note:
                note = (note + " " if note else "") + data.accounts_note
            self.children_card.set_note(note)
            figures = list(data.children)
            if metric == "arpa":  # one account: its ARPA is its revenue
                values = [float(f.revenue) for f in figures]
                divisor, unit = money_scale(values)
                chart.set_data(
                    [Category(f.key, f.name, _figure_tooltip(f, f"（{f.key}）")) for f in figures],
                    values,
                    name=self.tr("月收入（{0}）").format(unit),
                    axis_title=self.tr("月收入 = ARPA（{0}）").format(unit),
                    divisor=divisor,
                )
            else:
                revenue = [float(f.revenue) for f in figures]
                divisor, unit = money_scale(revenue)
                chart.set_data(
                    [Category(f.key, f.name, _figure_tooltip(f, f"（{f.key}）")) for f in figures],
                    [_dec(f.arpu) for f in figures],
                    name=metric_label,
                    axis_title=metric_label,
                    second=revenue,
                    second_name=self.tr("收入（{0}）").format(unit),
                    second_title=self.tr("收入（{0}）").format(unit),
                    second_divisor=divisor,
                )
            return
        what = CHILD_KIND_LABELS[kind]
        self.children_card.title.setText(
            self.tr("{0}各{1} {2} 与收入（{3}）— 点击柱形下钻").format(scope, what, metric.upper(), month)
        )
        self.children_card.set_note(None)
        figures = list(data.children)
        names = {u.code: u.short_name for u in data.child_units}
        # the units on the comparison chart have their line's colour here too
        compared = distinct_colours([c.unit.code for c in data.compared])
        colours = [compared.get(f.key, BAR_COLOUR) for f in figures]
        revenue = [float(f.revenue) for f in figures]
        divisor, unit = money_scale(revenue)
        chart.set_data(
            [Category(f.key, names.get(f.key, f.name), _figure_tooltip(f)) for f in figures],
            [_dec(getattr(f, metric)) for f in figures],
            name=metric_label,
            axis_title=metric_label,
            colours=colours if len(set(colours)) > 1 else None,
            second=revenue,
            second_name=self.tr("收入（{0}）").format(unit),
            second_title=self.tr("收入（{0}）").format(unit),
            second_divisor=divisor,
        )

    def _show_trend(self, data: AnalysisData, scope: str) -> None:
        points = data.trend
        labels = [month_text(p.month) for p in points]
        self.trend_card.title.setText(
            self.tr("{0}近 24 个月 ARPU 与 ARPA（{1} 至 {2}）").format(scope, labels[0], labels[-1])
            if labels
            else self.tr("趋势")
        )
        tips = [
            _figure_tooltip(p.figures, "").replace(f"<b>{p.figures.name}</b>", f"<b>{_month_label(p.month)}</b>")
            for p in points
        ]
        self.trend_chart.set_data(
            labels,
            [
                Series("ARPU（元/线路）", [_dec(p.figures.arpu) for p in points], "#2563eb"),
                Series("ARPA（元/客户）", [_dec(p.figures.arpa) for p in points], "#ea580c", right=True),
            ],
            axis_title="ARPU（元/线路）",
            right_title="ARPA（元/客户）",
            tooltips=tips,
        )

    def _show_compare(self, data: AnalysisData, metric: str, metric_label: str) -> None:
        compared = data.compared
        self.compare_card.title.setText(self.tr("{0} 对比（近 24 个月）").format(metric.upper()))
        if not compared:
            self.compare_chart.show_empty()
            return
        colours = distinct_colours([c.unit.code for c in compared])
        labels = [month_text(p.month) for p in compared[0].points]
        series = [
            Series(
                "全国" if c.unit.level == "group" else c.unit.short_name,
                [_dec(getattr(p.figures, metric)) for p in c.points],
                colours[c.unit.code],
                dashed=c.unit.code == data.unit.code and len(compared) > 1,
            )
            for c in compared
        ]
        tips = []
        for i in range(len(labels)):
            rows = [f"<b>{_month_label(compared[0].points[i].month)}</b>"]
            for s, c in zip(series, compared, strict=True):
                value = getattr(c.points[i].figures, metric) if i < len(c.points) else None
                rows.append(f"<span style='color:{s.colour}'>■</span> {s.name}：{yuan(value)}")
            tips.append("<br>".join(rows))
        self.compare_chart.set_data(labels, series, axis_title=metric_label, tooltips=tips)

    def _show_distribution(self, data: AnalysisData, month: str, scope: str) -> None:
        bins = list(data.distribution)
        self.distribution_card.title.setText(self.tr("{0}客户月收入（ARPA）分布（{1}）").format(scope, month))
        divisor, unit = money_scale([lo / 100 for lo, _hi, _n in bins])
        digits = 0 if divisor == 1 or not bins else 1
        categories = []
        last = len(bins) - 1
        for i, (lo, hi, n) in enumerate(bins):
            low = f"{lo / 100 / divisor:,.{digits}f}"
            if i == last:
                label = f"≥{low}"
                tip = self.tr("{0} 及以上：{1} 个客户（收入最高的约 5%）").format(yuan(fen_to_decimal(lo)), f"{n:,}")
            else:
                label = low
                tip = self.tr("{0} 至 {1}（不含）：{2} 个客户").format(
                    yuan(fen_to_decimal(lo)), yuan(fen_to_decimal(hi)), f"{n:,}"
                )
            categories.append(Category(str(i), label, tip))
        self.distribution_chart.set_data(
            categories,
            [float(n) for _lo, _hi, n in bins],
            name=self.tr("客户数（横轴为每客户月收入的区间下限，{0}）").format(unit),
            axis_title=self.tr("客户数"),
            clickable=False,
            bar_width=0.92,
        )
        notes = [self.tr("最后一组为收入最高的约 5% 客户。")]
        if data.accounts_note:
            notes.append(data.accounts_note)
        self.distribution_card.set_note(" ".join(notes) if bins else data.accounts_note)

    def _show_top(self, data: AnalysisData, month: str, scope: str) -> None:
        ranking = RANKING_LABELS.get(data.request.top_by, "")
        self.top_card.title.setText(
            self.tr("{0}前 {1} 名客户（{2}，{3}）— 双击打开").format(scope, data.request.top_n, ranking, month)
        )
        self.top_card.set_note(data.accounts_note)
        table = self.top_table
        table.setSortingEnabled(False)
        table.setRowCount(len(data.top))
        right = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
        for row, a in enumerate(data.top):
            cells = [
                (str(row + 1), right),
                (a.customer_no, None),
                (a.name, None),
                (ACCOUNT_LEVEL_LABELS.get(a.level, a.level), None),
                (a.industry, None),
                (a.city, None),
                (f"{a.revenue:,.2f}", right),
                (f"{a.lines:,}", right),
                (format_money(a.arpu), right),
                (format_money(a.arpa), right),
            ]
            for column, (text, align) in enumerate(cells):
                item = QTableWidgetItem(text)
                if align is not None:
                    item.setTextAlignment(align)
                if column == 2:
                    item.setToolTip(a.name)
                table.setItem(row, column, item)
        table.resizeColumnsToContents()
        name_width = table.fontMetrics().horizontalAdvance("中国石油化工股份有限公司广东") + 12
        table.setColumnWidth(2, min(table.columnWidth(2), name_width))

    # --- exports -----------------------------------------------------------------------------------

    def chart_table(self, key: str) -> ChartTable | None:
        """The data behind one chart, for CSV/Excel export; None while nothing is shown."""
        data = self.data
        if data is None or data.empty:
            return None
        scope = self._scope_name(data)
        month = month_text(data.month)
        filters = self._filters_text(data.request.filters)
        if key == "children":
            title = f"{scope}各{CHILD_KIND_LABELS[data.child_kind]}"
            return ChartTable(title, FIGURE_HEADERS, _figure_rows(data.children), filters, month)
        if key == "trend":
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
            return ChartTable(f"{scope}近24个月趋势", headers, rows, filters, month)
        if key == "compare":
            if not data.compared:
                return None
            metric = self.metric_key.upper()
            headers = ["月份"] + [f"{c.unit.short_name or c.unit.name} {metric}" for c in data.compared]
            rows = [
                [month_text(p.month)] + [getattr(c.points[i].figures, self.metric_key) for c in data.compared]
                for i, p in enumerate(data.compared[0].points)
            ]
            return ChartTable(f"{scope}{self.metric_key.upper()}对比", headers, rows, filters, month)
        if key in ("industry", "product"):
            figures = data.by_industry if key == "industry" else data.by_product
            what = "行业" if key == "industry" else "产品"
            return ChartTable(f"{scope}按{what}", FIGURE_HEADERS, _figure_rows(figures), filters, month)
        if key == "distribution":
            rows = [[fen_to_decimal(lo), fen_to_decimal(hi), n] for lo, hi, n in data.distribution]
            note = "；".join(t for t in (filters, data.accounts_note) if t)
            return ChartTable(f"{scope}客户月收入分布", ["下限（元）", "上限（元，不含）", "客户数"], rows, note, month)
        if key == "top":
            rows = [
                [
                    i,
                    a.customer_no,
                    a.name,
                    ACCOUNT_LEVEL_LABELS.get(a.level, a.level),
                    a.industry,
                    a.city,
                    a.revenue,
                    a.lines,
                    a.arpu,
                    a.arpa,
                ]
                for i, a in enumerate(data.top, 1)
            ]
            note = "；".join(t for t in (filters, data.accounts_note) if t)
            return ChartTable(f"{scope}前{data.request.top_n}名客户", TOP_COLUMNS, rows, note, month)
        return None

    def _filters_text(self, filters: Filters) -> str:
        parts = []
        for combo, value in ((self.industry, filters.industry), (self.product, filters.product)):
            if value:
                index = combo.findData(value)
                parts.append(combo.itemText(index) if index >= 0 else value)
        if filters.account_level:
            parts.append(ACCOUNT_LEVEL_LABELS.get(filters.account_level, filters.account_level) + "客户")
        return "筛选：" + "、".join(parts) if parts else ""

    def copy_figure(self) -> None:
        """Copy the drill-down chart (the page's main figure) to the clipboard."""
        if self.data is None:
            QMessageBox.information(self, self.tr("复制图表"), self.tr("图表尚未显示。"))
            return
        self.exports["children"].copy()
