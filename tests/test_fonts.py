"""The bundled CJK font: present, a TrueType font, embeddable by reportlab, usable by Qt; font choice rules."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from kam_console import fonts
from kam_console.fonts import (
    BUNDLED_FAMILY,
    FontNotFound,
    bundled_cjk_font,
    is_truetype_outline,
    pdf_font_path,
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
    assert choice == ui_fonts.FontChoice(available[0], False)
    monkeypatch.setattr(ui_fonts, "preferred_ui_families", lambda: ["No Such Font 123"])
    assert ui_fonts.setup_application_font(restore_app_font).bundled
