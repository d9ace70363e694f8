"""The printed monthly report: an A4 portrait PDF of a ``ReportDocument`` (DESIGN §6).

Page 1 opens with a cover block (unit, month, version, status, and notes a reader must not miss: figures
computed from current data, a return reason, figures moved since submission). Numbered sections follow —
key figures, revenue trend with charts, industries, products, units below, the units' approved reports,
top accounts, new and churned accounts, service requests — then the three narratives, the sign-off lines
and the recorded transitions. Every page carries a footer with the unit, the print time and "第 X 页 /
共 Y 页"; the total is known only once every page is laid out, so the canvas holds the pages back and
draws the footers when the document is saved.

Figures print exactly as the snapshot holds them: money from its yuan strings through ``Decimal`` with
thousands separators and 2 decimals, percentages with their one decimal. Charts are reportlab vector
graphics, so they print sharply. Chinese renders with the embedded CJK font (``kam_console.fonts``) and
rare characters in the embedded fallback font. The CJK font has a single weight, so bold text (headings,
table headers) is drawn with a synthetic bold: the same glyphs filled and outlined.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from functools import partial
from xml.sax.saxutils import escape

from reportlab.graphics.charts.barcharts import HorizontalBarChart
from reportlab.graphics.charts.linecharts import HorizontalLineChart
from reportlab.graphics.shapes import Drawing, String
from reportlab.graphics.widgets.markers import makeMarker
from reportlab.lib import colors, textsplit
from reportlab.lib.enums import TA_CENTER, TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.rl_accel import fp_str
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.pdfgen.textobject import PDFTextObject
from reportlab.platypus import (
    BaseDocTemplate,
    CondPageBreak,
    Flowable,
    Frame,
    KeepTogether,
    PageTemplate,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)
from reportlab.platypus import paragraph as paragraph_module

from kam_console.fonts import pdf_font_path, pdf_text_runs, register_pdf_font
from kam_console.reports.document import ReportDocument
from kam_console.reports.narrative import narrative_flowables, rich_text

PAGE_WIDTH, PAGE_HEIGHT = A4
MARGIN_X = 18 * mm
MARGIN_TOP = 20 * mm
MARGIN_BOTTOM = 20 * mm
CONTENT_WIDTH = PAGE_WIDTH - 2 * MARGIN_X

INK = colors.HexColor("#1A1A1A")
MUTED = colors.HexColor("#808080")
ACCENT = colors.HexColor("#1F4E79")
SECOND = colors.HexColor("#C55A11")
HEADER_BG = colors.HexColor("#DCE6F1")
ZEBRA = colors.HexColor("#F4F7FB")
GRID = colors.HexColor("#A6A6A6")
NOTE_BG = colors.HexColor("#FFF4E0")
NOTE_BORDER = colors.HexColor("#C55A11")
UNAPPROVED_BG = colors.HexColor("#EFEFEF")

DASH = "—"
# New and churned accounts printed per list (largest first); the count and the total cover them all.
MOVERS_LISTED = 30
# A heading starts a new page unless this much room is left below it (a heading never ends a page, and
# "keep with next" would push a heading and a narrative longer than a page to the next page whole).
SECTION_ROOM = 150
SUBSECTION_ROOM = 110
CELL_PADDING = 3.5
# Stroke width of the synthetic bold, as a fraction of the font size.
BOLD_STROKE = 0.035
CHINESE_DIGITS = "零一二三四五六七八九"

# Names of fonts that draw the glyphs of a regular font in synthetic bold (see _ReportText).
_SYNTHETIC_BOLD: set[str] = set()


# --- fonts --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReportFonts:
    regular: str  # the embedded CJK font
    bold: str  # the same font drawn in synthetic bold


def register_report_fonts() -> ReportFonts:
    """Register the report's fonts with reportlab (once): the CJK font and a bold alias of it that ``<b>``
    in paragraph markup maps to. (The fallback for rare characters is registered when text needs it.)"""
    regular = register_pdf_font()
    bold = f"{regular}-SyntheticBold"
    if bold not in pdfmetrics.getRegisteredFontNames():
        # Same face, so reportlab shares one embedded subset between the regular and the bold name.
        pdfmetrics.registerFont(TTFont(bold, str(pdf_font_path()), subfontIndex=0))
        pdfmetrics.registerFontFamily(regular, normal=regular, bold=bold, italic=regular, boldItalic=bold)
        pdfmetrics.registerFontFamily(bold, normal=bold, bold=bold, italic=bold, boldItalic=bold)
    _SYNTHETIC_BOLD.add(bold)
    _chinese_line_breaking()
    return ReportFonts(regular=regular, bold=bold)


# Full-width punctuation that must not start a line in Chinese text; reportlab's list (made for Japanese)
# has 、 and 。 but not ，；：！？ and the closing brackets and quotes.
CANNOT_START_LINE = "，；：！？）》」』】〕〉”’…"


def _chinese_line_breaking() -> None:
    """Teach reportlab's CJK line wrapping the Chinese punctuation that must not start a line (it then
    keeps such a character on the line before, hanging into the margin, as Chinese typesetting does)."""
    for module in (paragraph_module, textsplit):  # each wrapping routine reads its own module's copy
        missing = "".join(c for c in CANNOT_START_LINE if c not in module.ALL_CANNOT_START)
        if missing:
            module.ALL_CANNOT_START += missing


class _ReportText(PDFTextObject):
    """A text object that draws the synthetic-bold font names as filled and outlined glyphs (text render
    mode 2), and puts the render mode, line width and stroke colour back before the text ends."""

    def __init__(self, canvas, x=0, y=0, direction=None):
        self._bold = False
        self._bold_used = False
        self._text_fill = canvas._fillColorObj
        super().__init__(canvas, x, y, direction=direction)

    def setFillColor(self, aColor, alpha=None):
        super().setFillColor(aColor, alpha=alpha)
        self._text_fill = aColor
        if self._bold:
            self.setStrokeColor(aColor)

    def setFont(self, psfontname, size, leading=None):
        super().setFont(psfontname, size, leading)
        self._embolden(psfontname, size)

    def _setFont(self, psfontname, size):
        super()._setFont(psfontname, size)
        self._embolden(psfontname, size)

    def _embolden(self, name: str, size: float) -> None:
        if name in _SYNTHETIC_BOLD:
            self._code.append(f"2 Tr {fp_str(size * BOLD_STROKE)} w")
            self.setStrokeColor(self._text_fill)
            self._bold = self._bold_used = True
        elif self._bold:
            self._code.append("0 Tr")
            self._bold = False

    def getCode(self):
        if self._bold_used:
            self._code.append(f"0 Tr {fp_str(self._canvas._lineWidth)} w")
            self.setStrokeColor(self._canvas._strokeColorObj)
            self._bold_used = self._bold = False
        return super().getCode()


class _ReportCanvas(Canvas):
    """Holds every page back until the document is saved, then decorates each with its number and the
    total ("第 X 页 / 共 Y 页") and writes it."""

    def __init__(self, *args, decorate: Callable[[Canvas, int, int], None], **kwargs):
        super().__init__(*args, **kwargs)
        self._held_pages: list[dict] = []
        self._decorate = decorate

    def beginText(self, x=0, y=0, direction=None):
        return _ReportText(self, x, y, direction=direction)

    def showPage(self):
        self._held_pages.append(dict(self.__dict__))
        self._startPage()

    def save(self):
        total = len(self._held_pages)
        for number, state in enumerate(self._held_pages, 1):
            self.__dict__.update(state)
            self._decorate(self, number, total)
            super().showPage()
        super().save()


def _draw_runs(canvas: Canvas, x: float, y: float, text: str, size: float, align: str = "left") -> None:
    """Draw ``text`` on the canvas in the CJK font, rare characters in the fallback font."""
    runs = pdf_text_runs(text)
    width = sum(pdfmetrics.stringWidth(run, font, size) for run, font in runs)
    if align == "right":
        x -= width
    elif align == "center":
        x -= width / 2
    for run, font in runs:
        canvas.setFont(font, size)
        canvas.drawString(x, y, run)
        x += pdfmetrics.stringWidth(run, font, size)


# --- numbers ------------------------------------------------------------------------------------------


def format_money(value: str | Decimal | None) -> str:
    """A snapshot's yuan string "1234567.8" as "1,234,567.80"; "—" when there is none."""
    if value is None or value == "":
        return DASH
    return f"{Decimal(value):,.2f}"


def format_count(value: int | None) -> str:
    return DASH if value is None else f"{value:,}"


def format_pct(value: str | None, *, signed: bool = True) -> str:
    """A snapshot's percentage string "-4.8" as "-4.8%" ("+9.4%" for a rise); "—" when there is none."""
    if value is None or value == "":
        return DASH
    plus = "+" if signed and Decimal(value) > 0 and not value.startswith("+") else ""
    return f"{plus}{value}%"


def _wan(value: str | None) -> float | None:
    """Yuan as 万元 for charts (drawn, not printed as figures)."""
    return None if value in (None, "") else float(Decimal(value) / 10000)


def _share(part: str | None, total: Decimal) -> str:
    if part in (None, "") or not total:
        return DASH
    return f"{(Decimal(part) * 100 / total).quantize(Decimal('0.1'), rounding=ROUND_HALF_UP)}%"


def chinese_number(n: int) -> str:
    """1 → 一, 10 → 十, 12 → 十二, 20 → 二十 (section numbers)."""
    if n < 10:
        return CHINESE_DIGITS[n]
    tens, ones = divmod(n, 10)
    return ("" if tens == 1 else CHINESE_DIGITS[tens]) + "十" + (CHINESE_DIGITS[ones] if ones else "")


def _month_label(month: str) -> str:
    year, mon = month.split("-")
    return f"{year}年{int(mon)}月"


def _when(value: dt.datetime | None) -> str:
    return "" if value is None else value.strftime("%Y-%m-%d %H:%M")


# --- styles and tables --------------------------------------------------------------------------------


class _Styles:
    def __init__(self, fonts: ReportFonts):
        base = dict(fontName=fonts.regular, textColor=INK, wordWrap="CJK")
        self.fonts = fonts
        self.title = ParagraphStyle("title", fontSize=18, leading=24, alignment=TA_CENTER, spaceAfter=8, **base)
        self.section = ParagraphStyle("section", fontSize=13, leading=18, spaceBefore=10, spaceAfter=6, **base)
        self.subsection = ParagraphStyle("subsection", fontSize=10.5, leading=15, spaceBefore=6, spaceAfter=4, **base)
        self.body = ParagraphStyle("body", fontSize=10, leading=16, spaceAfter=4, **base)
        self.note = ParagraphStyle("note", fontSize=9.5, leading=14, **base)
        self.small = ParagraphStyle(
            "small", fontSize=8.5, leading=12, spaceBefore=3, spaceAfter=2, textColor=MUTED, fontName=fonts.regular
        )
        self.cell = ParagraphStyle("cell", fontSize=8, leading=10.5, **base)
        self.cell_muted = ParagraphStyle("cell-muted", parent=self.cell, textColor=MUTED)
        self.cell_sub = ParagraphStyle("cell-sub", parent=self.cell, fontSize=7, leading=9, textColor=MUTED)
        # Numbers never wrap: their columns are sized to fit them on one line.
        self.number = ParagraphStyle("number", parent=self.cell, alignment=TA_RIGHT, wordWrap=None)
        self.number_muted = ParagraphStyle("number-muted", parent=self.number, textColor=MUTED)
        self.head = ParagraphStyle("head", parent=self.cell, alignment=TA_CENTER)
        self.label = ParagraphStyle("label", fontSize=9.5, leading=13, textColor=MUTED, fontName=fonts.regular)
        self.value = ParagraphStyle("value", fontSize=10, leading=14, **base)


@dataclass
class _Col:
    """A table column: its header, whether it holds numbers (right-aligned, never wrapped), and whether
    it takes the room left over (names that may wrap)."""

    header: str
    numeric: bool = False
    flex: bool = False


def _text_width(text: str, font: str, size: float) -> float:
    return max((pdfmetrics.stringWidth(line, font, size) for line in text.split("\n")), default=0)


def _fit_widths(cols: Sequence[_Col], rows: Sequence[Sequence[str]], styles: _Styles, total: float) -> list[float]:
    """Column widths that fit ``total``. Every column gets room for its longest entry and its header on one
    line, and the room left over is shared out; when that does not fit, long headers wrap (at a CJK
    character) and the flexible columns (names) take what is left and wrap."""
    font, size = styles.fonts.regular, styles.cell.fontSize
    pad = 2 * CELL_PADDING + 1
    longest = [max((_text_width(r[i], font, size) for r in rows), default=0) + pad for i in range(len(cols))]
    heads = [_text_width(c.header, font, size) + pad for c in cols]
    full = [max(a, h, 2 * size) for a, h in zip(longest, heads, strict=True)]
    if sum(full) <= total:
        extra = total - sum(full)
        flex = [i for i, c in enumerate(cols) if c.flex]
        if flex:  # half to the names, half shared by every column so numbers have air around them
            return [w + extra / 2 / len(cols) + (extra / 2 / len(flex) if i in flex else 0) for i, w in enumerate(full)]
        return [w + extra / len(cols) for w in full]
    narrow = [max(a, min(h, max(a, 4 * size + pad)), 2 * size) for a, h in zip(longest, heads, strict=True)]
    flex = [i for i, c in enumerate(cols) if c.flex]
    fixed = sum(w for i, w in enumerate(narrow) if i not in flex)
    room = total - fixed
    if not flex or room < 4 * size * len(flex):  # should not happen with the report's columns
        scale = total / sum(narrow)
        return [w * scale for w in narrow]
    wanted = sum(full[i] for i in flex)
    return [room * full[i] / wanted if i in flex else w for i, w in enumerate(narrow)]


def _table(
    cols: Sequence[_Col],
    rows: Sequence[Sequence[str | Flowable | list[Flowable]]],
    styles: _Styles,
    *,
    muted: Sequence[int] = (),
    widths: Sequence[float] | None = None,
    texts: Sequence[Sequence[str]] | None = None,
) -> Table:
    """A report table: a bold header repeated on every page the table runs on, zebra rows, numbers
    right-aligned; cells are paragraphs so long names wrap inside their column. Rows listed in ``muted``
    print grey on a grey background. ``texts`` gives the plain text of flowable cells for sizing."""
    muted_rows = set(muted)
    plain = texts or [[c if isinstance(c, str) else "" for c in r] for r in rows]
    widths = list(widths) if widths else _fit_widths(cols, plain, styles, CONTENT_WIDTH)
    data: list[list] = [[Paragraph(f"<b>{rich_text(c.header)}</b>", styles.head) for c in cols]]
    for r, row in enumerate(rows):
        grey = r in muted_rows
        cells = []
        for col, value in zip(cols, row, strict=True):
            if isinstance(value, (Flowable, list)):
                cells.append(value)
            elif col.numeric:
                cells.append(Paragraph(escape(value), styles.number_muted if grey else styles.number))
            else:
                cells.append(Paragraph(rich_text(value), styles.cell_muted if grey else styles.cell))
        data.append(cells)
    table = Table(data, colWidths=widths, repeatRows=1, hAlign="LEFT")
    commands = [
        ("FONT", (0, 0), (-1, -1), styles.fonts.regular),  # no unembedded default font in the PDF
        ("GRID", (0, 0), (-1, -1), 0.25, GRID),
        ("BACKGROUND", (0, 0), (-1, 0), HEADER_BG),
        ("ROWBACKGROUNDS", (0, 1), (-1, -1), [colors.white, ZEBRA]),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("LEFTPADDING", (0, 0), (-1, -1), CELL_PADDING),
        ("RIGHTPADDING", (0, 0), (-1, -1), CELL_PADDING),
        ("TOPPADDING", (0, 0), (-1, -1), 2.5),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2.5),
    ]
    commands += [("BACKGROUND", (0, r + 1), (-1, r + 1), UNAPPROVED_BG) for r in sorted(muted_rows)]
    table.setStyle(TableStyle(commands))
    return table


def _boxed(markup: str, styles: _Styles, *, background=NOTE_BG, border=NOTE_BORDER) -> Table:
    box = Table([[Paragraph(markup, styles.note)]], colWidths=[CONTENT_WIDTH], hAlign="LEFT")
    box.setStyle(
        TableStyle(
            [
                ("FONT", (0, 0), (-1, -1), styles.fonts.regular),
                ("BOX", (0, 0), (-1, -1), 0.8, border),
                ("BACKGROUND", (0, 0), (-1, -1), background),
                ("LEFTPADDING", (0, 0), (-1, -1), 8),
                ("RIGHTPADDING", (0, 0), (-1, -1), 8),
                ("TOPPADDING", (0, 0), (-1, -1), 5),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 6),
            ]
        )
    )
    return box


# --- charts -------------------------------------------------------------------------------------------


def _axis_format(peak: float) -> Callable[[float], str]:
    if peak >= 100:
        return lambda v: f"{v:,.0f}"
    if peak >= 10:
        return lambda v: f"{v:,.1f}".rstrip("0").rstrip(".")
    return lambda v: f"{v:,.2f}".rstrip("0").rstrip(".")


def _style_value_axis(axis, values: Sequence[float | None], fonts: ReportFonts, grid: tuple[float, float]) -> None:
    """Value axis from 0 with light grid lines across the plot (``grid``: where they start and end)."""
    peak = max((v for v in values if v is not None), default=0.0)
    axis.valueMin = 0
    if peak <= 0:
        axis.valueMax = 1
    axis.labels.fontName = fonts.regular
    axis.labels.fontSize = 7.5
    axis.labelTextFormat = _axis_format(peak)
    axis.visibleGrid = True
    axis.gridStrokeColor = colors.HexColor("#D9D9D9")
    axis.gridStrokeWidth = 0.4
    axis.strokeColor = MUTED
    axis.strokeWidth = 0.5
    axis.gridStart, axis.gridEnd = grid


def _line_chart(
    months: Sequence[str],
    values: Sequence[float | None],
    *,
    title: str,
    unit: str,
    color,
    fonts: ReportFonts,
    latest: str | None = None,
    height: float = 165,
) -> Drawing:
    """A month-by-month line (24 months) with its title, the unit of the y axis, the month axis and the
    report month's exact figure (``latest``) in the top right corner. With no value at all (ARPU of a unit
    without lines) it says so instead of drawing an empty plot."""
    width = CONTENT_WIDTH
    drawing = Drawing(width, height)
    drawing.initialFontName = fonts.regular  # no unembedded default font in the PDF
    drawing.add(String(0, height - 12, title, fontName=fonts.bold, fontSize=9.5, fillColor=INK))
    if all(v is None for v in values):
        drawing.height = 40
        drawing.contents[0].y = 28
        drawing.add(String(0, 8, "近 24 个月无数据", fontName=fonts.regular, fontSize=9, fillColor=MUTED))
        return drawing
    chart = HorizontalLineChart()
    chart.x, chart.y = 52, 34
    chart.width, chart.height = width - 64, height - 62
    chart.data = [list(values)]
    chart.joinedLines = 1
    chart.lines[0].strokeColor = color
    chart.lines[0].strokeWidth = 1.4
    chart.lines[0].symbol = makeMarker("FilledCircle", size=2.6, fillColor=color, strokeColor=color)
    last = len(months) - 1
    chart.categoryAxis.categoryNames = [m if (last - i) % 3 == 0 else "" for i, m in enumerate(months)]
    chart.categoryAxis.labels.fontName = fonts.regular
    chart.categoryAxis.labels.fontSize = 7
    chart.categoryAxis.labels.dy = -2
    chart.categoryAxis.strokeColor = MUTED
    chart.categoryAxis.strokeWidth = 0.5
    chart.categoryAxis.tickDown = 2
    _style_value_axis(chart.valueAxis, values, fonts, (chart.x, chart.x + chart.width))
    drawing.add(chart)
    drawing.add(
        String(
            chart.x - 6,
            chart.y + chart.height + 6,
            unit,
            fontName=fonts.regular,
            fontSize=7.5,
            fillColor=MUTED,
            textAnchor="end",
        )
    )
    drawing.add(
        String(
            chart.x + chart.width, 4, "月份", fontName=fonts.regular, fontSize=7.5, fillColor=MUTED, textAnchor="end"
        )
    )
    if latest:
        drawing.add(
            String(width, height - 12, latest, fontName=fonts.regular, fontSize=8, fillColor=color, textAnchor="end")
        )
    return drawing


def _clip(text: str, font: str, size: float, room: float) -> str:
    """``text`` shortened with "…" to fit ``room`` points (a chart label; the table beside it has the name)."""
    if pdfmetrics.stringWidth(text, font, size) <= room:
        return text
    while text and pdfmetrics.stringWidth(text + "…", font, size) > room:
        text = text[:-1]
    return text + "…"


def _bar_chart(names: Sequence[str], values: Sequence[float], *, title: str, unit: str, fonts: ReportFonts) -> Drawing:
    """Horizontal bars of revenue (万元), the largest first, each labelled with its value."""
    order = sorted(range(len(names)), key=lambda i: -values[i])
    names = [names[i] for i in order]
    values = [values[i] for i in order]
    bar_room = 15
    width = CONTENT_WIDTH
    label_room = min(max(pdfmetrics.stringWidth(n, fonts.regular, 7.5) for n in names) + 10, 130)
    height = bar_room * len(names) + 52
    drawing = Drawing(width, height)
    drawing.initialFontName = fonts.regular  # no unembedded default font in the PDF
    chart = HorizontalBarChart()
    chart.x, chart.y = label_room, 26
    chart.width, chart.height = width - label_room - 50, bar_room * len(names)
    chart.data = [values]
    chart.bars[0].fillColor = ACCENT
    chart.bars[0].strokeColor = None
    chart.barSpacing = 0
    chart.groupSpacing = 4
    chart.categoryAxis.categoryNames = [_clip(n, fonts.regular, 7.5, label_room - 8) for n in names]
    chart.categoryAxis.reverseDirection = 1
    chart.categoryAxis.labels.fontName = fonts.regular
    chart.categoryAxis.labels.fontSize = 7.5
    chart.categoryAxis.labels.boxAnchor = "e"
    chart.categoryAxis.labels.dx = -4
    chart.categoryAxis.strokeColor = MUTED
    chart.categoryAxis.strokeWidth = 0.5
    chart.categoryAxis.tickLeft = 0
    _style_value_axis(chart.valueAxis, values, fonts, (chart.y, chart.y + chart.height))
    fmt = _axis_format(max(values, default=0))
    chart.barLabelFormat = fmt
    chart.barLabels.fontName = fonts.regular
    chart.barLabels.fontSize = 7
    chart.barLabels.boxAnchor = "w"
    chart.barLabels.dx = 3
    chart.barLabels.fillColor = INK
    drawing.add(chart)
    drawing.add(String(0, height - 12, f"{title}（{unit}）", fontName=fonts.bold, fontSize=9.5, fillColor=INK))
    return drawing


# --- the document -------------------------------------------------------------------------------------


class _Report:
    """Lays out one report as a list of flowables."""

    def __init__(self, doc: ReportDocument, fonts: ReportFonts):
        self.doc = doc
        self.fig = doc.figures
        self.fonts = fonts
        self.styles = _Styles(fonts)
        self.story: list[Flowable] = []
        self.sections = 0

    # building blocks

    def add(self, *flowables: Flowable) -> None:
        self.story.extend(flowables)

    def section(self, title: str) -> None:
        self.sections += 1
        self.add(
            CondPageBreak(SECTION_ROOM),
            Paragraph(f"<b>{chinese_number(self.sections)}、{rich_text(title)}</b>", self.styles.section),
        )

    def subsection(self, title: str) -> None:
        self.add(CondPageBreak(SUBSECTION_ROOM), Paragraph(f"<b>{rich_text(title)}</b>", self.styles.subsection))

    def text(self, text: str, style: ParagraphStyle | None = None) -> None:
        self.add(Paragraph(rich_text(text), style or self.styles.body))

    # the parts, in print order

    def build(self) -> list[Flowable]:
        self.cover()
        self.key_figures()
        self.trend()
        self.breakdown("分行业", "行业", self.fig.get("by_industry") or [])
        self.breakdown("分产品", "产品", self.fig.get("by_product") or [])
        self.children()
        self.rollup()
        self.top_accounts()
        self.movers()
        self.requests()
        for narrative in self.doc.narratives:
            self.section(narrative.title)
            self.add(*narrative_flowables(narrative.text, self.styles.body))
        self.sign_off()
        self.events()
        return self.story

    def cover(self) -> None:
        doc, s = self.doc, self.styles
        self.add(Paragraph(f"<b>{rich_text(doc.title)}</b>", s.title))
        version = f"第 {doc.version} 版" if doc.version is not None else "未编制（按当前数据生成）"
        pairs = [
            ("单位", f"{doc.unit_name}（{doc.unit_code}）", "级别", doc.level_label),
            ("月份", _month_label(doc.month), "版本", version),
            ("状态", doc.status_label, "报送截止", doc.deadline.isoformat() if doc.deadline else DASH),
        ]
        rows = [
            [
                Paragraph(escape(a), s.label),
                Paragraph(rich_text(b), s.value),
                Paragraph(escape(c), s.label),
                Paragraph(rich_text(d), s.value),
            ]
            for a, b, c, d in pairs
        ]
        info = Table(rows, colWidths=[52, CONTENT_WIDTH / 2 - 52, 60, CONTENT_WIDTH / 2 - 60], hAlign="LEFT")
        info.setStyle(
            TableStyle(
                [
                    ("FONT", (0, 0), (-1, -1), s.fonts.regular),
                    ("LINEABOVE", (0, 0), (-1, 0), 1, ACCENT),
                    ("LINEBELOW", (0, -1), (-1, -1), 1, ACCENT),
                    ("LINEBELOW", (0, 0), (-1, -2), 0.25, GRID),
                    ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                    ("TOPPADDING", (0, 0), (-1, -1), 4),
                    ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
                ]
            )
        )
        self.add(info, Spacer(1, 8))
        if not doc.frozen:
            self.add(
                _boxed(
                    "<b>注意：</b>本报告中的数据按打印时的当前数据计算，不是已提交的月报快照；"
                    "数据重新导入后再次打印，数字可能不同。",
                    s,
                ),
                Spacer(1, 6),
            )
        if doc.return_reason:
            self.add(_boxed(f"<b>退回原因：</b>{rich_text(doc.return_reason)}", s), Spacer(1, 6))
        if doc.live_differs:
            moved = "；".join(rich_text(d) for d in doc.live_differs)
            self.add(
                _boxed(
                    f"<b>提交后数据已变动：</b>{moved}。本报告按提交时冻结的数据打印。",
                    s,
                    background=colors.HexColor("#F2F2F2"),
                    border=MUTED,
                ),
                Spacer(1, 6),
            )

    def key_figures(self) -> None:
        self.section("主要指标")
        cols = [
            _Col("指标", flex=True),
            _Col("本月", numeric=True),
            _Col("环比", numeric=True),
            _Col("同比", numeric=True),
        ]
        rows = []
        for k in self.fig.get("key_figures") or []:
            value = k["value"]
            shown = format_count(value) if isinstance(value, int) else format_money(value)
            rows.append([k["label"], shown, format_pct(k.get("mom_pct")), format_pct(k.get("yoy_pct"))])
        widths = [CONTENT_WIDTH * 0.4, CONTENT_WIDTH * 0.24, CONTENT_WIDTH * 0.18, CONTENT_WIDTH * 0.18]
        self.add(_table(cols, rows, self.styles, widths=widths))
        self.text(
            f"环比与上月比较，同比与上年同月比较；金额单位为元。{_month_label(self.doc.month)}数据。", self.styles.small
        )

    def trend(self) -> None:
        points = self.fig.get("trend") or []
        self.section("收入趋势")
        if not points:
            self.text("无")
            return
        months = [p["month"] for p in points]
        first, last = _month_label(months[0]), _month_label(months[-1])
        self.add(
            KeepTogether(
                [
                    _line_chart(
                        months,
                        [_wan(p["revenue"]) for p in points],
                        title=f"收入（{first}至{last}）",
                        unit="万元",
                        color=ACCENT,
                        fonts=self.fonts,
                        latest=f"{_month_label(months[-1])}：{format_money(points[-1]['revenue'])} 元",
                    ),
                    Spacer(1, 8),
                    _line_chart(
                        months,
                        [float(p["arpu"]) if p.get("arpu") else None for p in points],
                        title="ARPU（元/线路）",
                        unit="元",
                        color=SECOND,
                        fonts=self.fonts,
                        latest=f"{_month_label(months[-1])}：{format_money(points[-1].get('arpu'))} 元",
                        height=140,
                    ),
                ]
            ),
            Spacer(1, 6),
        )
        self.subsection("逐月数据")
        cols = [
            _Col("月份"),
            _Col("收入（元）", numeric=True),
            _Col("线路", numeric=True),
            _Col("客户数", numeric=True),
            _Col("ARPU（元）", numeric=True),
            _Col("ARPA（元）", numeric=True),
            _Col("环比", numeric=True),
            _Col("同比", numeric=True),
        ]
        rows = [
            [
                p["month"],
                format_money(p["revenue"]),
                format_count(p["lines"]),
                format_count(p["accounts"]),
                format_money(p.get("arpu")),
                format_money(p.get("arpa")),
                format_pct(p.get("mom_pct")),
                format_pct(p.get("yoy_pct")),
            ]
            for p in reversed(points)
        ]
        self.add(_table(cols, rows, self.styles))

    def breakdown(self, title: str, name_header: str, items: list[dict]) -> None:
        self.section(title)
        if not items:
            self.text("无")
            return
        total = sum((Decimal(i["revenue"]) for i in items if i.get("revenue")), Decimal(0))
        cols = [
            _Col(name_header, flex=True),
            _Col("收入（元）", numeric=True),
            _Col("占比", numeric=True),
            _Col("线路", numeric=True),
            _Col("客户数", numeric=True),
            _Col("ARPU（元）", numeric=True),
            _Col("ARPA（元）", numeric=True),
        ]
        rows = [
            [
                i["name"],
                format_money(i["revenue"]),
                _share(i["revenue"], total),
                format_count(i["lines"]),
                format_count(i["accounts"]),
                format_money(i.get("arpu")),
                format_money(i.get("arpa")),
            ]
            for i in items
        ]
        self.add(_table(cols, rows, self.styles))
        self.text("占比为占各项收入合计的比例。", self.styles.small)
        self.add(
            Spacer(1, 6),
            _bar_chart(
                [i["name"] for i in items],
                [_wan(i["revenue"]) or 0.0 for i in items],
                title=f"{name_header}收入",
                unit="万元",
                fonts=self.fonts,
            ),
        )

    def children(self) -> None:
        items = self.fig.get("by_child") or []
        if not items:
            return
        self.section("下级单位")
        cols = [
            _Col("单位", flex=True),
            _Col("收入（元）", numeric=True),
            _Col("线路", numeric=True),
            _Col("客户数", numeric=True),
            _Col("ARPU（元）", numeric=True),
            _Col("ARPA（元）", numeric=True),
        ]
        rows = [
            [
                i["name"],
                format_money(i["revenue"]),
                format_count(i["lines"]),
                format_count(i["accounts"]),
                format_money(i.get("arpu")),
                format_money(i.get("arpa")),
            ]
            for i in items
        ]
        self.add(_table(cols, rows, self.styles))

    def rollup(self) -> None:
        items = self.fig.get("rollup") or []
        if not items:
            return
        self.section("下级单位月报汇总")
        approved = sum(1 for i in items if i.get("status") == "approved")
        self.text(f"{len(items)} 个单位中 {approved} 个已审批；未审批的单位不列数字（灰色行）。")
        cols = [
            _Col("单位", flex=True),
            _Col("状态"),
            _Col("版本"),
            _Col("收入（元）", numeric=True),
            _Col("线路", numeric=True),
            _Col("客户数", numeric=True),
            _Col("ARPU（元）", numeric=True),
            _Col("ARPA（元）", numeric=True),
            _Col("收入环比", numeric=True),
            _Col("审批时间"),
        ]
        rows, muted = [], []
        for n, i in enumerate(items):
            version = f"第{i['version']}版" if i.get("version") is not None else DASH
            if i.get("status") == "approved":
                rows.append(
                    [
                        i["name"],
                        i.get("status_label") or "已审批",
                        version,
                        format_money(i.get("revenue")),
                        format_count(i.get("lines")),
                        format_count(i.get("accounts")),
                        format_money(i.get("arpu")),
                        format_money(i.get("arpa")),
                        format_pct(i.get("revenue_mom_pct")),
                        i.get("approved_at") or DASH,
                    ]
                )
            else:
                muted.append(n)
                rows.append(
                    [
                        i["name"],
                        i.get("status_label") or "未审批",
                        version,
                        DASH,
                        DASH,
                        DASH,
                        DASH,
                        DASH,
                        DASH,
                        "未审批",
                    ]
                )
        self.add(_table(cols, rows, self.styles, muted=muted))

    def top_accounts(self) -> None:
        items = self.fig.get("top_accounts") or []
        self.section("重点客户")
        if not items:
            self.text("无")
            return
        self.text(f"本月收入前 {len(items)} 名客户。", self.styles.small)
        s = self.styles
        cols = [
            _Col("排名", numeric=True),
            _Col("客户", flex=True),
            _Col("行业"),
            _Col("地市"),
            _Col("收入（元）", numeric=True),
            _Col("线路", numeric=True),
            _Col("ARPU（元）", numeric=True),
        ]
        rows, texts = [], []
        for a in items:
            name = [Paragraph(rich_text(a["name"]), s.cell), Paragraph(escape(a["customer_no"]), s.cell_sub)]
            cells = [
                str(a["rank"]),
                a.get("industry") or DASH,
                a.get("city") or DASH,
                format_money(a["revenue"]),
                format_count(a["lines"]),
                format_money(a.get("arpu")),
            ]
            rows.append([cells[0], name, *cells[1:]])
            texts.append([cells[0], a["name"], *cells[1:]])
        self.add(_table(cols, rows, s, texts=texts))

    def movers(self) -> None:
        moved = self.fig.get("accounts_moved") or {}
        self.section("新增与流失客户")
        self.text(
            "按收入口径：新增为本月有收入、上月无收入的客户；流失为上月有收入、本月无收入的客户。", self.styles.small
        )
        for key, title, revenue_header in (
            ("new", "新增客户", "本月收入（元）"),
            ("churned", "流失客户", "上月收入（元）"),
        ):
            items = moved.get(key) or []
            self.subsection(f"{title}（{len(items)} 户）")
            if not items:
                self.text("无")
                continue
            total = sum((Decimal(a["revenue"]) for a in items if a.get("revenue")), Decimal(0))
            shown = items[:MOVERS_LISTED]  # the snapshot lists them by revenue, largest first
            note = f"合计{revenue_header.removesuffix('（元）')} {format_money(total)} 元"
            if len(items) > len(shown):
                note += f"；以下列出收入最高的 {len(shown)} 户"
            self.text(note + "。", self.styles.small)
            cols = [_Col("客户编号"), _Col("客户名称", flex=True), _Col(revenue_header, numeric=True)]
            rows = [[a["customer_no"], a["name"], format_money(a["revenue"])] for a in shown]
            self.add(_table(cols, rows, self.styles))

    def requests(self) -> None:
        r = self.fig.get("requests") or {}
        self.section("服务请求")
        cols = [
            _Col("本月发起", numeric=True),
            _Col("本月关闭", numeric=True),
            _Col("本月取消", numeric=True),
            _Col("月末未结", numeric=True),
            _Col("按时关闭", numeric=True),
            _Col("按时率", numeric=True),
        ]
        row = [
            format_count(r.get("raised")),
            format_count(r.get("closed")),
            format_count(r.get("cancelled")),
            format_count(r.get("open_at_month_end")),
            format_count(r.get("closed_on_time")),
            format_pct(r.get("on_time_pct"), signed=False),
        ]
        self.add(_table(cols, [row], self.styles, widths=[CONTENT_WIDTH / 6] * 6))
        stages = r.get("stages") or []
        self.subsection("各环节时限达成")
        if not stages:
            self.text("无")
            return
        cols = [
            _Col("环节", flex=True),
            _Col("本月完成次数", numeric=True),
            _Col("平均用时（小时）", numeric=True),
            _Col("按时率", numeric=True),
        ]
        rows = [
            [
                s["label"],
                format_count(s["count"]),
                s.get("avg_hours") or DASH,
                format_pct(s.get("on_time_pct"), signed=False),
            ]
            for s in stages
        ]
        self.add(_table(cols, rows, self.styles, widths=[CONTENT_WIDTH * w for w in (0.4, 0.2, 0.2, 0.2)]))
        self.text("按时率为按时完成的比例，时限按工作时间计。", self.styles.small)

    def sign_off(self) -> None:
        doc, s = self.doc, self.styles

        def line(value: str | None) -> Paragraph:
            return Paragraph(rich_text(value) if value else "", s.value)

        def day(value: dt.datetime | None) -> Paragraph:
            return Paragraph(value.strftime("%Y-%m-%d") if value else "", s.value)

        rows = [
            [Paragraph("编制人", s.value), line(doc.prepared_by), Paragraph("日期", s.value), day(doc.prepared_at)],
            [Paragraph("审核人", s.value), line(doc.reviewed_by), Paragraph("日期", s.value), day(doc.reviewed_at)],
        ]
        table = Table(rows, colWidths=[48, 170, 36, 120], rowHeights=[30, 30], hAlign="LEFT")
        table.setStyle(
            TableStyle(
                [
                    ("FONT", (0, 0), (-1, -1), s.fonts.regular),
                    ("LINEBELOW", (1, 0), (1, -1), 0.6, INK),
                    ("LINEBELOW", (3, 0), (3, -1), 0.6, INK),
                    ("VALIGN", (0, 0), (-1, -1), "BOTTOM"),
                    ("ALIGN", (0, 0), (-1, -1), "LEFT"),
                ]
            )
        )
        heading = Paragraph("<b>签字</b>", s.subsection)
        self.add(Spacer(1, 10), KeepTogether([heading, table]))

    def events(self) -> None:
        if not self.doc.events:
            return
        self.add(Spacer(1, 10), Paragraph("<b>附：流转记录</b>", self.styles.subsection))
        cols = [_Col("时间"), _Col("版本"), _Col("操作"), _Col("人员"), _Col("单位"), _Col("说明", flex=True)]
        rows = [
            [_when(e.at), f"第{e.version}版", e.action_label, e.staff_name, e.unit_name, e.comment or ""]
            for e in self.doc.events
        ]
        self.add(_table(cols, rows, self.styles))


def _decorator(doc: ReportDocument, fonts: ReportFonts, pages: list[int]) -> Callable[[Canvas, int, int], None]:
    printed = f"打印时间 {doc.printed_at.strftime('%Y-%m-%d %H:%M')}"
    parts = [doc.title, *([f"第 {doc.version} 版"] if doc.version is not None else []), doc.status_label]
    running = " · ".join(parts if doc.frozen else [*parts, "按当前数据生成"])

    def decorate(canvas: Canvas, number: int, total: int) -> None:
        pages[:] = [total]
        canvas.saveState()
        canvas.setStrokeColor(GRID)
        canvas.setLineWidth(0.5)
        canvas.setFillColor(MUTED)
        y = MARGIN_BOTTOM - 9 * mm
        canvas.line(MARGIN_X, y + 10, PAGE_WIDTH - MARGIN_X, y + 10)
        _draw_runs(canvas, MARGIN_X, y, doc.unit_name, 8)
        canvas.setFont(fonts.regular, 8)
        canvas.drawCentredString(PAGE_WIDTH / 2, y, printed)
        canvas.drawRightString(PAGE_WIDTH - MARGIN_X, y, f"第 {number} 页 / 共 {total} 页")
        if number > 1:
            top = PAGE_HEIGHT - MARGIN_TOP + 6 * mm
            _draw_runs(canvas, MARGIN_X, top, running, 8)
            canvas.line(MARGIN_X, top - 4, PAGE_WIDTH - MARGIN_X, top - 4)
        canvas.restoreState()

    return decorate


def render_report_pdf(doc: ReportDocument, target: str | os.PathLike | object) -> int:
    """Print ``doc`` as an A4 portrait PDF to ``target`` (a path or a writable binary file object) and
    return the number of pages."""
    fonts = register_report_fonts()
    if isinstance(target, os.PathLike):
        target = os.fspath(target)
    template = BaseDocTemplate(
        target,
        pagesize=A4,
        leftMargin=MARGIN_X,
        rightMargin=MARGIN_X,
        topMargin=MARGIN_TOP,
        bottomMargin=MARGIN_BOTTOM,
        title=doc.title,
        author=doc.unit_name,
        subject=f"{doc.unit_name} {_month_label(doc.month)} 经营月报",
        creator="KAM Console",
        initialFontName=fonts.regular,
    )
    frame = Frame(
        MARGIN_X,
        MARGIN_BOTTOM,
        CONTENT_WIDTH,
        PAGE_HEIGHT - MARGIN_TOP - MARGIN_BOTTOM,
        id="body",
        leftPadding=0,
        rightPadding=0,
        topPadding=0,
        bottomPadding=0,
    )
    template.addPageTemplates([PageTemplate(id="page", frames=[frame])])
    pages: list[int] = [0]
    story = _Report(doc, fonts).build()
    template.build(story, canvasmaker=partial(_ReportCanvas, decorate=_decorator(doc, fonts, pages)))
    return pages[0]


__all__ = [
    "ReportFonts",
    "chinese_number",
    "format_count",
    "format_money",
    "format_pct",
    "register_report_fonts",
    "render_report_pdf",
]
