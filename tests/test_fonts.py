"""The bundled CJK fonts: present, TrueType fonts, embeddable by reportlab, usable by Qt; font choice rules;
the fallback for rare characters (CJK Ext. A/B) in PDFs. Rendering in Qt: test_ui_fonts.py."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from kam_console import fonts
from kam_console.fonts import (
    BUNDLED_FAMILY,
    FALLBACK_FAMILY,
    FontNotFound,
    bundled_cjk_font,
    bundled_fallback_font,
    is_truetype_outline,
    pdf_fallback_font_path,
    pdf_font_has_glyph,
    pdf_font_path,
    pdf_text_runs,
    platform_fallback_candidates,
    platform_font_candidates,
)

ROOT = Path(__file__).resolve().parent.parent


def test_bundled_font_is_a_truetype_collection_with_licence():
    path = bundled_cjk_font()
    assert path.is_file()
    assert path.read_bytes()[:4] in (b"ttcf", b"\x00\x01\x00\x00")
    assert is_truetype_outline(path, 0)  # reportlab needs glyf outlines, not CFF
    assert is_truetype_outline(path, 1)
    assert not is_truetype_outline(path, 2)  # the collection has two faces
    readme = (path.parent / "README.md").read_text(encoding="utf-8")
    assert "Apache" in readme and "wqy-microhei" in readme
    assert (path.parent / "LICENSE-Apache-2.0.txt").is_file()
    assert (path.parent / "wqy-microhei.copyright").is_file()


def test_bundled_fallback_font_is_truetype_with_licence():
    path = bundled_fallback_font()
    assert path.is_file()
    assert path.read_bytes()[:4] == b"\x00\x01\x00\x00"
    assert is_truetype_outline(path)  # reportlab needs glyf outlines, not CFF
    assert path.stat().st_size < 30_000_000  # a subset, not the 53 MB of the full Hanazono fonts
    readme = (path.parent / "README.md").read_text(encoding="utf-8")
    assert FALLBACK_FAMILY in readme and "Hanazono" in readme and "fonts-hanazono" in readme
    assert (path.parent / "LICENSE-Hanazono.txt").is_file()
    assert (path.parent / "hanazono.copyright").is_file()


def test_fallback_font_covers_ext_a_and_ext_b():
    pytest.importorskip("reportlab")
    from reportlab.pdfbase.ttfonts import TTFont

    cmap = TTFont("TestHanExt", str(bundled_fallback_font())).face.charToGlyph
    ext_a = range(0x3400, 0x4DB6)
    ext_b = range(0x20000, 0x2A6D7)
    assert all(c in cmap for c in ext_a)  # Unicode 3.0's Ext. A in full
    assert all(c in cmap for c in ext_b)  # Unicode 3.1's Ext. B in full
    assert {0x20BB7, 0x2123C, 0x2A6A5, 0x4DAE} <= cmap.keys()  # 𠮷 𡈼 𪚥 䶮
    assert 0x2B5AF in cmap  # 𫖯 (Ext. C, in 通用规范汉字表)
    assert 0x4E00 not in cmap  # the common characters stay with the main font


def test_is_truetype_outline_rejects_non_fonts(tmp_path):
    not_font = tmp_path / "x.ttf"
    not_font.write_bytes(b"OTTO" + b"\x00" * 100)  # a CFF-outline OpenType header
    assert not is_truetype_outline(not_font)
    not_font.write_bytes(b"hello")
    assert not is_truetype_outline(not_font)
    assert not is_truetype_outline(tmp_path / "missing.ttc")


def test_reportlab_embeds_the_bundled_font(tmp_path):
    pytest.importorskip("reportlab")
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(TTFont("TestWQY", str(bundled_cjk_font()), subfontIndex=0))
    out = tmp_path / "cjk.pdf"
    c = canvas.Canvas(str(out))
    c.setFont("TestWQY", 14)
    c.drawString(72, 720, "大客户管理控制台 ARPU 2M")
    c.save()
    data = out.read_bytes()
    assert data.startswith(b"%PDF")
    # reportlab names the embedded subset after the font's PostScript name, e.g. AAAAAA+WenQuanYiMicroHei-0.
    if shutil.which("pdffonts"):
        listing = subprocess.run(["pdffonts", str(out)], capture_output=True, text=True, check=True).stdout
        line = next(line for line in listing.splitlines() if "WenQuanYiMicroHei" in line)
        assert line.split()[1] == "TrueType" and line.split()[-5] == "yes"  # embedded
    else:
        assert b"WenQuanYiMicroHei" in data
    if shutil.which("pdftotext"):
        text = subprocess.run(["pdftotext", str(out), "-"], capture_output=True, check=True).stdout.decode()
        assert "大客户" in text


def test_register_pdf_font_uses_the_bundled_font():
    pytest.importorskip("reportlab")
    from reportlab.pdfbase import pdfmetrics

    assert pdf_font_path() == bundled_cjk_font()
    name = fonts.register_pdf_font()
    assert name == fonts.PDF_FONT_NAME
    assert fonts.register_pdf_font() == name  # idempotent
    assert name in pdfmetrics.getRegisteredFontNames()


def test_pdf_font_has_glyph():
    pytest.importorskip("reportlab")
    assert pdf_font_has_glyph("大") and pdf_font_has_glyph("A") and pdf_font_has_glyph("堃")
    assert not pdf_font_has_glyph("𠮷")  # Ext. B
    assert not pdf_font_has_glyph("䶮")  # Ext. A
    assert not pdf_font_has_glyph("\U0010fffd")
    fallback = fonts.register_pdf_fallback_font()
    assert fallback == fonts.PDF_FALLBACK_FONT_NAME == "KAMHanExt"
    assert pdf_font_has_glyph("𠮷", fallback) and pdf_font_has_glyph("䶮", fallback)
    assert not pdf_font_has_glyph("大", fallback)
    with pytest.raises(ValueError):
        pdf_font_has_glyph("𠮷野")


def test_pdf_text_runs_put_rare_characters_in_the_fallback():
    pytest.importorskip("reportlab")
    main, fallback = fonts.PDF_FONT_NAME, fonts.PDF_FALLBACK_FONT_NAME
    assert pdf_text_runs("𠮷野家（广州）有限公司 䶮 堃") == [
        ("𠮷", fallback),
        ("野家（广州）有限公司 ", main),
        ("䶮", fallback),
        (" 堃", main),
    ]
    assert pdf_text_runs("ARPU 2M") == [("ARPU 2M", main)]
    assert pdf_text_runs("\U0010fffd") == [("\U0010fffd", main)]  # in neither: stays with the main font
    assert pdf_text_runs("") == []


def test_pdf_embeds_rare_characters_with_searchable_text(tmp_path):
    pytest.importorskip("reportlab")
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfgen import canvas

    out = tmp_path / "rare.pdf"
    c = canvas.Canvas(str(out), pageCompression=0)
    x = 72.0
    for run, font in pdf_text_runs("𠮷野家 𪚥"):
        c.setFont(font, 14)
        c.drawString(x, 720, run)
        x += pdfmetrics.stringWidth(run, font, 14)
    c.save()
    data = out.read_bytes()
    assert b"KAMHanExt-Regular" in data and b"WenQuanYiMicroHei" in data  # both fonts embedded
    # ToUnicode maps rare characters to UTF-16 surrogate pairs, so copying and searching find them.
    assert b"<D842DFB7>" in data and b"<D869DEA5>" in data  # 𠮷 U+20BB7, 𪚥 U+2A6A5
    assert b"<20BB7>" not in data
    if shutil.which("pdftotext"):
        text = subprocess.run(["pdftotext", str(out), "-"], capture_output=True, check=True).stdout.decode()
        assert "𠮷野家" in text and "𪚥" in text


def test_pdf_fallback_font_path(monkeypatch, tmp_path):
    assert pdf_fallback_font_path() == bundled_fallback_font()
    copy = tmp_path / "simsunb.ttf"
    shutil.copyfile(bundled_cjk_font(), copy)  # any TrueType file stands in for SimSun-ExtB
    cff = tmp_path / "ExtB.otf"
    cff.write_bytes(b"OTTO" + b"\x00" * 64)
    monkeypatch.setattr(fonts, "bundled_fallback_font", lambda: tmp_path / "missing.ttf")
    monkeypatch.setattr(fonts, "platform_fallback_candidates", lambda: [tmp_path / "absent.ttf", cff, copy])
    assert pdf_fallback_font_path() == copy
    monkeypatch.setattr(fonts, "platform_fallback_candidates", lambda: [cff])
    with pytest.raises(FontNotFound) as err:
        pdf_fallback_font_path()
    assert "生僻字" in err.value.zh


def test_pdf_font_falls_back_to_a_platform_truetype_font(monkeypatch, tmp_path):
    copy = tmp_path / "simhei.ttf"
    shutil.copyfile(bundled_cjk_font(), copy)
    cff = tmp_path / "NotoSansCJK.otf"
    cff.write_bytes(b"OTTO" + b"\x00" * 64)
    monkeypatch.setattr(fonts, "bundled_cjk_font", lambda: tmp_path / "missing.ttc")
    monkeypatch.setattr(fonts, "platform_cjk_fonts", lambda: [cff, copy])
    assert pdf_font_path() == copy
    monkeypatch.setattr(fonts, "platform_cjk_fonts", lambda: [cff])
    with pytest.raises(FontNotFound) as err:
        pdf_font_path()
    assert "中文字体" in err.value.zh


def test_pdf_font_override(monkeypatch, tmp_path):
    monkeypatch.setenv(fonts.ENV_PDF_FONT, str(bundled_cjk_font()))
    assert pdf_font_path() == bundled_cjk_font()
    bad = tmp_path / "bad.ttf"
    bad.write_bytes(b"nope")
    monkeypatch.setenv(fonts.ENV_PDF_FONT, str(bad))
    with pytest.raises(FontNotFound):
        pdf_font_path()


def test_platform_candidates_per_system():
    win = platform_font_candidates("win32", {"WINDIR": r"D:\Win", "LOCALAPPDATA": r"C:\Users\a\AppData\Local"})
    assert [p.name for p in win[:2]] == ["msyh.ttc", "msyh.ttc"]  # system folder, then per-user fonts
    assert str(win[0]).startswith("D:\\Win")
    assert {"msyh.ttc", "simhei.ttf", "simsun.ttc"} <= {p.name for p in win}
    assert any("PingFang" in p.name for p in platform_font_candidates("darwin", {}))
    assert any("wqy" in p.name for p in platform_font_candidates("linux", {}))
    assert "Microsoft YaHei UI" in fonts.preferred_ui_families("win32")
    assert all(p.is_file() for p in fonts.platform_cjk_fonts())
    win_ext = platform_fallback_candidates("win32", {"SystemRoot": r"C:\Windows"})
    assert win_ext[0].name == "simsunb.ttf" and str(win_ext[0]).startswith("C:\\Windows")
    assert fonts.preferred_fallback_families("win32")[:2] == ["SimSun-ExtB", "SimSun-ExtG"]
    assert "MingLiU-ExtB" in fonts.preferred_fallback_families("win32")
    assert fonts.preferred_fallback_families("darwin") and fonts.preferred_fallback_families("linux")
    assert any("HanaMinB" in p.name for p in platform_fallback_candidates("linux", {}))


def test_core_font_module_does_not_import_qt():
    code = "import sys, kam_console.fonts; print(any(m.startswith('PySide6') for m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert out.stdout.strip() == "False"


@pytest.fixture
def restore_app_font(qapp):
    font = qapp.font()
    yield qapp
    qapp.setFont(font)


def test_qt_uses_bundled_font_when_forced(restore_app_font, monkeypatch):
    from PySide6.QtGui import QFontDatabase

    from ui.fonts import ENV_UI_FONT, setup_application_font

    app = restore_app_font
    size = app.font().pointSizeF()
    monkeypatch.setenv(ENV_UI_FONT, "bundled")
    choice = setup_application_font(app)
    assert choice is not None and choice.bundled and choice.family == BUNDLED_FAMILY
    assert app.font().families()[0] == BUNDLED_FAMILY
    assert app.font().pointSizeF() == size  # the system's size is kept
    assert QFontDatabase.WritingSystem.SimplifiedChinese in QFontDatabase.writingSystems(BUNDLED_FAMILY)


def test_qt_prefers_a_platform_font(restore_app_font, monkeypatch):
    from ui import fonts as ui_fonts

    monkeypatch.delenv(ui_fonts.ENV_UI_FONT, raising=False)
    available = ui_fonts.QFontDatabase.families()
    monkeypatch.setattr(ui_fonts, "preferred_ui_families", lambda: [available[0]])
    choice = ui_fonts.setup_application_font(restore_app_font)
    assert choice[:2] == (available[0], False)
    assert choice.fallbacks[-1] == FALLBACK_FAMILY  # the bundled fallback always comes last
    assert restore_app_font.font().families()[: 1 + len(choice.fallbacks)] == [available[0], *choice.fallbacks]
    monkeypatch.setattr(ui_fonts, "preferred_ui_families", lambda: ["No Such Font 123"])
    assert ui_fonts.setup_application_font(restore_app_font).bundled
