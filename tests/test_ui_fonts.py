"""Rare characters (CJK Ext. A/B) render as real glyphs, not boxes, with the bundled fonts only.

A character no font has is drawn as the main font's "missing glyph" box, so each check compares the
rendering of a rare character with that of U+10FFFD (private use, in no font): equal images mean a box.
The negative controls show the comparison does tell a box apart: with font merging off, WenQuanYi Micro Hei
alone draws 𠮷 as exactly that box.
"""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QImage, QPainter, QRawFont, QTextLayout
from PySide6.QtWidgets import QLabel, QTableWidget, QTableWidgetItem

from kam_console.fonts import BUNDLED_FAMILY, FALLBACK_FAMILY
from ui.fonts import ENV_UI_FONT, FontChoice, fallback_families, setup_application_font

MISSING = "\U0010fffd"  # private use: no font has it
RARE = {"𠮷": 0x20BB7, "𡈼": 0x2123C, "𪚥": 0x2A6A5, "䶮": 0x4DAE}  # Ext. B, B, B, A


@pytest.fixture
def bundled_app_font(qapp, monkeypatch):
    """The application font as set up with the bundled fonts only; the old font is restored afterwards."""
    font = qapp.font()
    monkeypatch.setenv(ENV_UI_FONT, "bundled")
    choice = setup_application_font(qapp)
    yield choice
    qapp.setFont(font)


def render(text: str, font: QFont) -> QImage:
    image = QImage(160, 48, QImage.Format.Format_RGB32)
    image.fill(QColor("white"))
    painter = QPainter(image)
    painter.setFont(font)
    painter.setPen(QColor("black"))
    painter.drawText(image.rect(), Qt.AlignmentFlag.AlignCenter, text)
    painter.end()
    return image


def ink(image: QImage) -> int:
    """How many pixels are not white."""
    return sum(1 for y in range(image.height()) for x in range(image.width()) if image.pixel(x, y) != 0xFFFFFFFF)


def test_fallback_family_follows_the_main_family(bundled_app_font, qapp):
    assert bundled_app_font == FontChoice(BUNDLED_FAMILY, True, (FALLBACK_FAMILY,))
    assert qapp.font().families()[:2] == [BUNDLED_FAMILY, FALLBACK_FAMILY]
    assert len(qapp.font().families()) == len(set(qapp.font().families()))
    assert fallback_families(platform=False) == [FALLBACK_FAMILY]


def test_fallback_font_has_the_rare_characters(bundled_app_font):
    fallback = QRawFont.fromFont(QFont(FALLBACK_FAMILY))
    main = QRawFont.fromFont(QFont(BUNDLED_FAMILY))
    assert fallback.familyName() == FALLBACK_FAMILY and main.familyName() == BUNDLED_FAMILY
    for char, code in RARE.items():
        assert fallback.supportsCharacter(code), char
        assert not main.supportsCharacter(code), char  # why the fallback is there
    assert not fallback.supportsCharacter(0x10FFFD)
    assert QFontMetrics(QFont(FALLBACK_FAMILY)).inFontUcs4(0x20BB7)


def test_app_font_draws_rare_characters_from_the_fallback(bundled_app_font, qapp):
    layout = QTextLayout("𠮷野家䶮", qapp.font())
    layout.beginLayout()
    layout.createLine()
    layout.endLayout()
    runs = {run.rawFont().familyName(): list(run.glyphIndexes()) for run in layout.glyphRuns()}
    assert set(runs) == {BUNDLED_FAMILY, FALLBACK_FAMILY}
    assert len(runs[FALLBACK_FAMILY]) == 2 and 0 not in runs[FALLBACK_FAMILY]  # 𠮷 and 䶮, no .notdef
    assert len(runs[BUNDLED_FAMILY]) == 2 and 0 not in runs[BUNDLED_FAMILY]  # 野家


def test_rare_characters_are_not_boxes(bundled_app_font, qapp):
    font = qapp.font()
    box = render(MISSING, font)
    assert ink(box) > 0
    for char in RARE:
        glyph = render(char, font)
        assert glyph != box, char
        assert ink(glyph) > 0, char
    # Negative control: without merging, the main font alone draws 𠮷 as exactly the box.
    alone = QFont(font)
    alone.setFamilies([BUNDLED_FAMILY])
    alone.setStyleStrategy(QFont.StyleStrategy.NoFontMerging)
    assert render("𠮷", alone) == render(MISSING, alone)
    assert render("𠮷", alone) != render("𠮷", font)


def test_label_and_table_show_a_company_name_with_a_rare_character(bundled_app_font, qtbot):
    def grab(text: str) -> QImage:
        label = QLabel(text)
        qtbot.addWidget(label)
        label.adjustSize()
        return label.grab().toImage()

    name = "𠮷野家（广州）有限公司"
    assert grab(name) != grab(MISSING + name[1:])

    table = QTableWidget(1, 1)
    qtbot.addWidget(table)
    table.resize(320, 80)
    table.setItem(0, 0, QTableWidgetItem(name))
    with_rare = table.grab().toImage()
    table.item(0, 0).setText(MISSING + name[1:])
    assert table.grab().toImage() != with_rare
