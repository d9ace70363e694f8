"""Key figures of a unit for a month: revenue, lines, accounts, ARPU and ARPA as tiles, each with its
month-on-month and year-on-year change. Data comes from ``kam_console.services.overview``; the panel
only formats it.

Colours follow the Chinese finance convention by default (up red, down green); the caller may flip it.
"""

from __future__ import annotations

from decimal import Decimal

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QFrame, QGridLayout, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from kam_console.money import format_yuan
from kam_console.services.overview import KeyFigures
from ui.style import set_muted

UP_RED = QColor("#d0312d")
DOWN_GREEN = QColor("#1a8a3a")


def format_pct(value: Decimal | None) -> str:
    if value is None:
        return "—"
    sign = "+" if value > 0 else ""
    return f"{sign}{value:.1f}%"


def format_money(value: Decimal | None) -> str:
    return "—" if value is None else f"{value:,.2f}"


class FigureTile(QFrame):
    """One figure: a caption, the value and a line with its MoM / YoY."""

    def __init__(self, caption: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.caption = QLabel(caption, self)
        set_muted(self.caption)
        self.value = QLabel("—", self)
        font = self.value.font()
        font.setPointSizeF(font.pointSizeF() * 1.5)
        font.setBold(True)
        self.value.setFont(font)
        self.value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.change = QLabel("", self)
        self.change.setTextFormat(Qt.TextFormat.RichText)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(10, 8, 10, 8)
        layout.setSpacing(2)
        layout.addWidget(self.caption)
        layout.addWidget(self.value)
        layout.addWidget(self.change)

    def set_value(self, text: str, changes: list[tuple[str, Decimal | None]], up_red: bool) -> None:
        self.value.setText(text)
        parts = []
        for label, pct in changes:
            colour = None
            if pct is not None and pct != 0:
                rising = pct > 0
                colour = (UP_RED if rising == up_red else DOWN_GREEN).name()
            shown = format_pct(pct)
            parts.append(f"{label} <span style='color:{colour}'>{shown}</span>" if colour else f"{label} {shown}")
        self.change.setText("　".join(parts))


class UnitFiguresPanel(QWidget):
    """Five tiles in a row (wrapping to two rows when narrow), the month they describe and a link to the
    unit's ARPU/ARPA analysis page (``analysis_requested``)."""

    analysis_requested = Signal()

    def __init__(self, parent: QWidget | None = None, *, up_red: bool = True) -> None:
        super().__init__(parent)
        self.up_red = up_red
        self._key: KeyFigures | None = None
        self.title = QLabel(self.tr("关键指标"), self)
        self.title.setObjectName("figuresTitle")
        self.analysis_link = QLabel(self.tr('<a href="analysis">查看 ARPU/ARPA 分析 →</a>'), self)
        self.analysis_link.setObjectName("analysisLink")
        self.analysis_link.setToolTip(self.tr("按下级单位、行业、产品分析本单位的 ARPU 与 ARPA（Ctrl+2）"))
        self.analysis_link.linkActivated.connect(lambda _link: self.analysis_requested.emit())
        self.empty = QLabel(self.tr("暂无收入数据：导入月收入后在此显示本单位的收入、ARPU 与 ARPA。"), self)
        self.empty.setWordWrap(True)
        self.tiles = {
            "revenue": FigureTile(self.tr("收入（元）"), self),
            "lines": FigureTile(self.tr("计费线路数"), self),
            "accounts": FigureTile(self.tr("有收入客户数"), self),
            "arpu": FigureTile(self.tr("ARPU（元/线路）"), self),
            "arpa": FigureTile(self.tr("ARPA（元/客户）"), self),
        }
        grid = QGridLayout()
        grid.setSpacing(8)
        for i, tile in enumerate(self.tiles.values()):
            grid.addWidget(tile, 0, i)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        title_row = QHBoxLayout()
        title_row.addWidget(self.title, 1)
        title_row.addWidget(self.analysis_link)
        layout.addLayout(title_row)
        layout.addWidget(self.empty)
        layout.addLayout(grid)
        self.set_figures(None)

    def set_up_red(self, up_red: bool) -> None:
        self.up_red = up_red
        self.set_figures(self._key)

    def set_figures(self, key: KeyFigures | None) -> None:
        self._key = key
        has_data = key is not None and (key.figures.revenue_fen != 0 or key.figures.lines != 0)
        self.empty.setVisible(not has_data)
        for tile in self.tiles.values():
            tile.setVisible(has_data)
        if not has_data:
            self.title.setText(self.tr("关键指标"))
            return
        month = key.month
        self.title.setText(self.tr("关键指标（{0}年{1:02d}月）").format(month // 100, month % 100))
        f = key.figures
        mom, yoy = self.tr("环比"), self.tr("同比")
        changes = {c.key: (c.mom_pct, c.yoy_pct) for c in key.changes}
        revenue = changes.get("revenue", (key.mom_pct, key.yoy_pct))
        self.tiles["revenue"].set_value(format_yuan(f.revenue_fen), [(mom, revenue[0]), (yoy, revenue[1])], self.up_red)
        for name, text in (
            ("lines", f"{f.lines:,}"),
            ("accounts", f"{f.accounts:,}"),
            ("arpu", format_money(f.arpu)),
            ("arpa", format_money(f.arpa)),
        ):
            pair = changes.get(name)
            if pair:
                shown = [(mom, pair[0]), (yoy, pair[1])]
            elif name in ("arpu", "arpa"):  # figures without the full set of changes: MoM only
                shown = [(mom, key.arpu_mom_pct if name == "arpu" else key.arpa_mom_pct)]
            else:
                shown = []
            self.tiles[name].set_value(text, shown, self.up_red)
