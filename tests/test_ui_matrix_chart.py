"""MatrixChart: layout (boxes and edges, without pixels), painting, interaction, and the summary panel.

Most tests feed hand-made ``UnitMatrix`` values (degenerate ones too); a few use a migrated SQLite
database for the real group, province and city.
"""

from __future__ import annotations

import itertools

import pytest
from PySide6.QtCore import QEvent, QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFontMetricsF, QHelpEvent, QPalette
from PySide6.QtWidgets import QApplication, QToolTip

from kam_console.services.matrix import CompanyRef, UnitMatrix, UnitRef, unit_matrix
from ui.matrix_chart import (
    HORIZONTAL,
    MAX_LOWER_SHOWN,
    ROLE_COMPANY,
    ROLE_COMPANY_SUPERIOR,
    ROLE_LOWER,
    ROLE_MORE,
    ROLE_UNIT,
    ROLE_UPPER,
    ROLE_UPPER_COMPANY,
    VERTICAL,
    MatrixChart,
    layout_matrix,
    line_colour,
    line_pen,
)
from ui.org_tree_model import OrgTreeModel, load_org_tree
from ui.unit_summary import UnitSummaryPanel

GD = UnitRef("440000", "广东省大客户部", "广东", "province")
GZ = UnitRef("440100", "广州市大客户部", "广州", "city")
GD_CO = CompanyRef("广东省公司", "440000", "province")
GZ_CO = CompanyRef("广州分公司", "440100", "city")
CITY = UnitMatrix(unit=GZ, upper=GD, lower=[], company=GZ_CO, company_superior=GD_CO, upper_company=GD_CO)


def _lower(n: int) -> list[UnitRef]:
    return [UnitRef(f"44{i:02d}00", f"第{i}市大客户部", f"第{i}市", "city") for i in range(1, n + 1)]


def _province(n: int) -> UnitMatrix:
    return UnitMatrix(
        unit=GD,
        upper=UnitRef("000000", "集团公司大客户事业部", "集团", "group"),
        lower=_lower(n),
        company=GD_CO,
        company_superior=CompanyRef("集团公司", "000000", "group"),
        upper_company=CompanyRef("集团公司", "000000", "group"),
    )


@pytest.fixture
def chart(qtbot):
    c = MatrixChart()
    qtbot.addWidget(c)
    c.resize(560, 300)
    return c


def _edge_between(layout, a, b):
    """The edge whose ends touch boxes a and b (either order)."""
    for edge in layout.edges:
        ends = (edge.points[0], edge.points[-1])
        for p, q in (ends, ends[::-1]):
            if _touches(a.rect, p) and _touches(b.rect, q):
                return edge
    return None


def _touches(rect: QRectF, p: QPointF) -> bool:
    return rect.adjusted(-1, -1, 1, 1).contains(p)


def _assert_tidy(layout, area: QRectF):
    """Every box inside the area, no two boxes overlapping, the legend clear of the boxes."""
    for box in layout.boxes:
        assert area.contains(box.rect), (box.role, box.rect, area)
    for a, b in itertools.combinations(layout.boxes, 2):
        assert not a.rect.intersects(b.rect), (a.role, a.lines, b.role, b.lines)
    assert layout.legend_rect is not None and area.contains(layout.legend_rect)
    for box in layout.boxes:
        assert not box.rect.intersects(layout.legend_rect), box.role


def _colours(image) -> set[int]:
    return {image.pixel(x, y) for x in range(0, image.width(), 7) for y in range(0, image.height(), 7)}


# --- layout ------------------------------------------------------------------------------------


def test_city_layout_has_both_lines(chart):
    chart.set_matrix(CITY)
    layout = chart.current_layout()
    roles = {box.role for box in layout.boxes}
    assert roles == {ROLE_UNIT, ROLE_UPPER, ROLE_COMPANY, ROLE_COMPANY_SUPERIOR}
    unit, upper = layout.boxes_of(ROLE_UNIT)[0], layout.boxes_of(ROLE_UPPER)[0]
    company, superior = layout.boxes_of(ROLE_COMPANY)[0], layout.boxes_of(ROLE_COMPANY_SUPERIOR)[0]
    assert upper.rect.bottom() < unit.rect.top()  # the upper KA unit above
    assert company.rect.left() > unit.rect.right()  # the local company to the side
    assert superior.rect.bottom() < company.rect.top()  # and its superior above it
    assert _edge_between(layout, upper, unit).kind == VERTICAL
    assert _edge_between(layout, unit, company).kind == HORIZONTAL
    assert _edge_between(layout, company, superior).kind == HORIZONTAL
    assert _edge_between(layout, upper, superior).kind == HORIZONTAL  # the upper unit's own company
    assert _edge_between(layout, upper, unit).label == "业务管理"
    assert _edge_between(layout, unit, company).label == "行政管理"
    assert [note.text for note in layout.notes] == ["无下级大客户单位"]
    assert unit.lines[0] == "广州市大客户部"
    _assert_tidy(layout, QRectF(chart.rect()))


def test_line_kinds_have_distinct_styles_and_colours(chart):
    chart.set_matrix(_province(3))
    drawn = set(chart.current_layout().drawn_lines())
    assert drawn == {(VERTICAL, Qt.PenStyle.SolidLine), (HORIZONTAL, Qt.PenStyle.DashLine)}
    light = QPalette(QColor("#f0f0f0"))
    dark = QPalette(QColor("#2b2b2b"))
    for palette in (light, dark):
        assert line_pen(VERTICAL, palette).style() == Qt.PenStyle.SolidLine
        assert line_pen(HORIZONTAL, palette).style() == Qt.PenStyle.CustomDashLine  # a dash pattern
        v, h = line_colour(VERTICAL, palette), line_colour(HORIZONTAL, palette)
        assert abs(v.hue() - h.hue()) > 90  # blue and orange, not two shades of one colour
        window = palette.color(QPalette.ColorRole.Window)
        for colour in (v, h):
            assert _contrast(colour, window) >= 4.5
    assert line_colour(VERTICAL, light) != line_colour(VERTICAL, dark)  # lighter lines on a dark palette


def _contrast(a: QColor, b: QColor) -> float:
    def lum(c: QColor) -> float:
        def ch(v: float) -> float:
            return v / 12.92 if v <= 0.03928 else ((v + 0.055) / 1.055) ** 2.4

        return 0.2126 * ch(c.redF()) + 0.7152 * ch(c.greenF()) + 0.0722 * ch(c.blueF())

    hi, lo = sorted((lum(a), lum(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def test_few_lower_units_are_all_drawn(chart):
    chart.set_matrix(_province(3))
    layout = chart.current_layout()
    lower = layout.boxes_of(ROLE_LOWER)
    assert [box.lines[0] for box in lower] == ["第1市", "第2市", "第3市"]
    assert not layout.boxes_of(ROLE_MORE)
    unit = layout.boxes_of(ROLE_UNIT)[0]
    for box in lower:
        assert box.rect.top() > unit.rect.bottom()
        edge = _edge_between(layout, unit, box)
        assert edge is not None and edge.kind == VERTICAL
    _assert_tidy(layout, QRectF(chart.rect()))


@pytest.mark.parametrize("width", [1000, 560, 420, 300])
def test_many_lower_units_collapse_into_a_count(chart, width):
    chart.resize(width, 300)
    chart.set_matrix(_province(31))
    layout = chart.current_layout()
    lower, more = layout.boxes_of(ROLE_LOWER), layout.boxes_of(ROLE_MORE)
    assert 1 <= len(lower) <= MAX_LOWER_SHOWN - 1
    assert [box.code for box in lower] == [u.code for u in _lower(len(lower))]  # the first few, in order
    assert len(more) == 1 and more[0].lines == ["… 共 31 个下级单位"]
    assert "第31市" in more[0].full_lines[0]  # the tooltip names the units left out
    assert _edge_between(layout, layout.boxes_of(ROLE_UNIT)[0], more[0]).kind == VERTICAL
    _assert_tidy(layout, QRectF(chart.rect()))


def test_long_names_are_elided_inside_their_boxes(chart):
    long_unit = UnitRef("440100", "广州市" + "特别长的名称" * 8 + "大客户部", "广州" * 10, "city")
    long_company = CompanyRef("广州" + "非常长的分公司名称" * 6)
    chart.set_matrix(UnitMatrix(unit=long_unit, upper=GD, lower=[long_unit], company=long_company))
    layout = chart.current_layout()
    fm = QFontMetricsF(chart.font())
    for role in (ROLE_UNIT, ROLE_COMPANY, ROLE_LOWER):
        box = layout.boxes_of(role)[0]
        assert box.lines[0].endswith("…"), role
        assert box.full_lines[0] != box.lines[0]
        if role != ROLE_UNIT:  # the unit's title is bold; the layout measured it with bold metrics
            assert fm.horizontalAdvance(box.lines[0]) <= box.rect.width()
    assert layout.boxes_of(ROLE_UNIT)[0].full_lines[0] == long_unit.name
    _assert_tidy(layout, QRectF(chart.rect()))


def test_tree_derived_matrix_shows_upper_company_without_company_tree(chart):
    # What matrix_from_rows gives: local companies by name only, no company tree.
    chart.set_matrix(
        UnitMatrix(unit=GZ, upper=GD, company=CompanyRef("广州分公司"), upper_company=CompanyRef("广东省公司"))
    )
    layout = chart.current_layout()
    top = layout.boxes_of(ROLE_UPPER_COMPANY)
    assert len(top) == 1 and top[0].lines == ["广东省公司", "上级单位的本地公司"]
    company = layout.boxes_of(ROLE_COMPANY)[0]
    assert _edge_between(layout, company, top[0]) is None  # not known from the rows: not drawn
    assert _edge_between(layout, layout.boxes_of(ROLE_UPPER)[0], top[0]).kind == HORIZONTAL


def test_degenerate_matrices(chart):
    lone = UnitMatrix(unit=UnitRef("999999", "孤立单位", "孤立", "county", active=False), upper=None)
    chart.set_matrix(lone)
    layout = chart.current_layout()
    assert [box.role for box in layout.boxes] == [ROLE_UNIT]
    assert not layout.edges
    assert {note.text for note in layout.notes} == {"无上级（最高层级）", "未登记本地公司", "无下级大客户单位"}
    assert not chart.grab().isNull()
    chart.resize(1, 1)
    chart.set_matrix(lone)
    assert chart.current_layout().boxes == []  # nothing to lay out in no room, and no error
    chart.grab()


def test_minimum_size_keeps_it_tidy(chart):
    minimum = chart.minimumSizeHint()
    assert 0 < minimum.width() <= chart.sizeHint().width()
    assert 0 < minimum.height() <= chart.sizeHint().height()
    for matrix in (CITY, _province(31), _province(1)):
        layout = layout_matrix(matrix, QRectF(0, 0, minimum.width(), minimum.height()), chart.font())
        _assert_tidy(layout, QRectF(0, 0, minimum.width(), minimum.height()))


# --- painting ----------------------------------------------------------------------------------


def test_real_units_paint(chart, sqlite_db):
    for code, lower in (("000000", 31), ("440000", 21), ("440100", 0), ("110000", 1)):
        with sqlite_db.session() as session:
            matrix = unit_matrix(session, code=code)
        chart.set_matrix(matrix)
        assert len(matrix.lower) == lower
        pixmap = chart.grab()
        assert not pixmap.isNull() and pixmap.width() > 0
        assert len(_colours(pixmap.toImage())) > 3  # boxes, two line colours, text: not a blank fill
        _assert_tidy(chart.current_layout(), QRectF(chart.rect()))
        assert matrix.unit.name in chart.accessibleDescription()


def test_empty_state_paints_a_message(chart):
    chart.set_matrix(CITY)
    chart.set_matrix(None)
    assert chart.matrix() is None
    assert chart.current_layout().boxes == []
    image = chart.grab().toImage()
    assert len(_colours(image)) > 1  # the message
    assert chart.accessibleDescription() == "未选择单位"


def test_dark_palette_paints(chart):
    palette = QPalette(QColor("#2b2b2b"))
    chart.setPalette(palette)
    chart.set_matrix(_province(21))
    image = chart.grab().toImage()
    blue = line_colour(VERTICAL, chart.palette()).rgb()
    assert blue in _colours_all(image)  # the dark-palette colour is the one drawn


def _colours_all(image) -> set[int]:
    return {image.pixel(x, y) for x in range(image.width()) for y in range(image.height())}


# --- interaction -------------------------------------------------------------------------------


def test_clicking_a_unit_box_emits_its_code(chart, qtbot):
    chart.set_matrix(_province(3))
    chart.show()
    layout = chart.current_layout()
    lower = layout.boxes_of(ROLE_LOWER)[1]
    with qtbot.waitSignal(chart.unit_activated) as signal:
        qtbot.mouseClick(chart, Qt.MouseButton.LeftButton, pos=lower.rect.center().toPoint())
    assert signal.args == [lower.code]
    upper = layout.boxes_of(ROLE_UPPER)[0]
    with qtbot.waitSignal(chart.unit_activated) as signal:
        qtbot.mouseClick(chart, Qt.MouseButton.LeftButton, pos=upper.rect.center().toPoint())
    assert signal.args == ["000000"]
    unit = layout.boxes_of(ROLE_UNIT)[0]
    with qtbot.assertNotEmitted(chart.unit_activated):  # the unit itself and the companies go nowhere
        qtbot.mouseClick(chart, Qt.MouseButton.LeftButton, pos=unit.rect.center().toPoint())
        company = layout.boxes_of(ROLE_COMPANY)[0]
        qtbot.mouseClick(chart, Qt.MouseButton.LeftButton, pos=company.rect.center().toPoint())


# --- in the summary panel ----------------------------------------------------------------------


def test_summary_panel_shows_the_chart(qtbot, sqlite_db):
    model = OrgTreeModel()
    model.set_tree(load_org_tree(sqlite_db))
    panel = UnitSummaryPanel()
    qtbot.addWidget(panel)
    panel.resize(900, 600)
    panel.show()

    panel.show_summary(model.summary("440100"))
    matrix = panel.matrix_chart.matrix()
    assert matrix is not None and matrix.unit.code == "440100"
    assert matrix.upper is not None and matrix.upper.code == "440000"
    assert matrix.company == CompanyRef("广州分公司")
    assert matrix.upper_company == CompanyRef("广东省公司")
    assert matrix.company_superior is None  # the loaded tree doesn't carry the company tree

    with sqlite_db.session() as session:
        full = unit_matrix(session, code="440100")
        other = unit_matrix(session, code="440000")
    panel.show_matrix(other)  # a late result for another unit is dropped
    assert panel.matrix_chart.matrix() is matrix
    panel.show_matrix(full)
    assert panel.matrix_chart.matrix() is full
    assert panel.matrix_chart.current_layout().boxes_of(ROLE_COMPANY_SUPERIOR)[0].lines[0] == "广东省公司"
    assert panel.matrix_chart.isVisible()
    assert panel.matrix_chart.height() >= panel.matrix_chart.minimumSizeHint().height()

    panel.show_summary(model.summary("000000"))
    assert len(panel.matrix_chart.matrix().lower) == 31
    with qtbot.waitSignal(panel.unit_activated) as signal:  # the chart navigates like the table does
        panel.matrix_chart.unit_activated.emit("110000")
    assert signal.args == ["110000"]

    panel.show_summary(None)
    assert panel.matrix_chart.matrix() is None


def test_tooltips_give_full_names(chart, qtbot):
    chart.set_matrix(_province(31))
    chart.show()
    qtbot.waitExposed(chart)
    layout = chart.current_layout()
    for box, expected in (
        (layout.boxes_of(ROLE_LOWER)[0], "第1市大客户部"),
        (layout.boxes_of(ROLE_MORE)[0], "第31市"),
        (layout.boxes_of(ROLE_COMPANY)[0], "本地公司（省公司，行政管理）"),
    ):
        pos = box.rect.center().toPoint()
        QApplication.sendEvent(chart, QHelpEvent(QEvent.Type.ToolTip, pos, chart.mapToGlobal(pos)))
        assert expected in QToolTip.text()
    QToolTip.hideText()
