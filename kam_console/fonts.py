"""Chinese fonts without Qt: the bundled CJK font, the platform's CJK fonts, and the font PDFs embed.

Chinese text must render on any machine, on screen and in printed reports, so the app ships one
TrueType-outline CJK font (WenQuanYi Micro Hei, Apache-2.0; see resources/fonts/README.md). The Qt side
(ui/fonts.py) prefers the platform's own UI font when it has one; PDFs prefer the bundled font so the same
report looks the same wherever it was produced.

Names of people and companies sometimes use rare characters outside the common set: CJK Ext. A (䶮) and,
outside the BMP, Ext. B (𠮷 in 𠮷野家, 𡈼, 𪚥). WenQuanYi Micro Hei has none of them, and neither do most
UI fonts, so the app also ships a *fallback* font for them: "KAM Han Ext" (``kam-han-ext.ttf``, a subset
of Hanazono Mincho with Ext. A, all of Ext. B and more; see resources/fonts/README.md). The UI lists it
after the main family; report code draws each character in the main PDF font when that has a glyph and in
the fallback otherwise (``pdf_font_has_glyph``, ``pdf_text_runs``).

reportlab embeds only TrueType (``glyf``) outlines, not CFF/PostScript ones (most Noto/Source Han CJK
builds), and a font *collection* (.ttc) needs an explicit face: ``TTFont(name, path, subfontIndex=0)``.
``is_truetype_outline`` checks a file's tables so a CFF font is never handed to reportlab.
"""

from __future__ import annotations

import os
import struct
import sys
from collections.abc import Mapping
from pathlib import Path

from kam_console import paths
from kam_console.errors import KamError

BUNDLED_FONT_FILE = "wqy-microhei.ttc"
# The face at index 0 of the bundled collection (index 1 is the monospaced "Micro Hei Mono").
BUNDLED_FAMILY = "WenQuanYi Micro Hei"
BUNDLED_SUBFONT_INDEX = 0
# The name under which register_pdf_font() registers the bundled font with reportlab.
PDF_FONT_NAME = "WenQuanYiMicroHei"
# Set to a .ttf/.ttc path to make PDFs embed that font instead (it must have TrueType outlines).
ENV_PDF_FONT = "KAM_PDF_FONT"

# The bundled fallback for rare characters (CJK Ext. A, Ext. B and the standards' Ext. C–F characters).
FALLBACK_FONT_FILE = "kam-han-ext.ttf"
FALLBACK_FAMILY = "KAM Han Ext"
# The name under which register_pdf_fallback_font() registers the bundled fallback with reportlab.
PDF_FALLBACK_FONT_NAME = "KAMHanExt"

# Chinese UI font families each platform ships, best first (Qt family names).
UI_FAMILIES = {
    "win32": ["Microsoft YaHei UI", "Microsoft YaHei", "DengXian", "SimHei"],
    "darwin": ["PingFang SC", "Hiragino Sans GB", "Heiti SC", "STHeiti"],
    "linux": [
        "Noto Sans CJK SC",
        "Source Han Sans SC",
        "WenQuanYi Micro Hei",
        "WenQuanYi Zen Hei",
        "Droid Sans Fallback",
    ],
}

# Families for rare characters (CJK Ext. A/B) that each platform ships, best first (Qt family names). Their
# coverage is partial (Windows' "-ExtB" fonts have Ext. B only), so the bundled fallback always follows.
FALLBACK_UI_FAMILIES = {
    "win32": ["SimSun-ExtB", "SimSun-ExtG", "MingLiU-ExtB"],
    "darwin": ["Songti SC", "Songti TC"],
    "linux": ["HanaMinB", "BabelStone Han"],
}

_LINUX_FONT_FILES = [
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/wqy-microhei/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/wqy-zenhei/wqy-zenhei.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
    "/usr/share/fonts/truetype/arphic/uming.ttc",
]
_MAC_FONT_FILES = [
    "/System/Library/Fonts/PingFang.ttc",
    "/System/Library/Fonts/STHeiti Light.ttc",
    "/System/Library/Fonts/STHeiti Medium.ttc",
    "/System/Library/Fonts/Hiragino Sans GB.ttc",
    "/System/Library/Fonts/Supplemental/Songti.ttc",
    "/Library/Fonts/Arial Unicode.ttf",
]
_WINDOWS_FONT_FILES = ["msyh.ttc", "simhei.ttf", "simsun.ttc", "Deng.ttf"]

# Where the platforms keep fonts with CJK Ext. B, for PDFs when the bundled fallback is missing.
_LINUX_FALLBACK_FILES = [
    "/usr/share/fonts/truetype/hanazono/HanaMinB.ttf",
    "/usr/share/fonts/truetype/babelstone/BabelStoneHan.ttf",
]
_MAC_FALLBACK_FILES = ["/System/Library/Fonts/Supplemental/Songti.ttc"]
_WINDOWS_FALLBACK_FILES = ["simsunb.ttf", "SimsunExtG.ttf", "mingliub.ttc"]


class FontNotFound(KamError):
    """No font that can render Chinese in a PDF was found."""


def _platform_key(system: str | None) -> str:
    system = system or sys.platform
    if system.startswith("win"):
        return "win32"
    if system == "darwin":
        return "darwin"
    return "linux"


def bundled_cjk_font() -> Path:
    """The CJK font shipped in resources/fonts/ (also inside a frozen build)."""
    return paths.resource_path("fonts", BUNDLED_FONT_FILE)


def bundled_fallback_font() -> Path:
    """The fallback font for rare characters shipped in resources/fonts/ (also inside a frozen build)."""
    return paths.resource_path("fonts", FALLBACK_FONT_FILE)


def preferred_ui_families(system: str | None = None) -> list[str]:
    """Chinese UI font families to look for on this (or the named) platform, best first."""
    return list(UI_FAMILIES[_platform_key(system)])


def preferred_fallback_families(system: str | None = None) -> list[str]:
    """Platform font families with rare characters (CJK Ext. A/B) to look for, best first."""
    return list(FALLBACK_UI_FAMILIES[_platform_key(system)])


def _font_files(
    key: str, environ: Mapping[str, str], windows: list[str], mac: list[str], linux: list[str]
) -> list[Path]:
    if key == "win32":
        folders = [Path(environ.get("WINDIR") or environ.get("SystemRoot") or r"C:\Windows") / "Fonts"]
        if environ.get("LOCALAPPDATA"):  # fonts installed for the current user only
            folders.append(Path(environ["LOCALAPPDATA"]) / "Microsoft" / "Windows" / "Fonts")
        return [folder / name for name in windows for folder in folders]
    return [Path(p) for p in (mac if key == "darwin" else linux)]


def platform_font_candidates(system: str | None = None, environ: Mapping[str, str] | None = None) -> list[Path]:
    """Where the platform's CJK fonts usually are, best first, whether or not they exist."""
    environ = os.environ if environ is None else environ
    return _font_files(_platform_key(system), environ, _WINDOWS_FONT_FILES, _MAC_FONT_FILES, _LINUX_FONT_FILES)


def platform_fallback_candidates(system: str | None = None, environ: Mapping[str, str] | None = None) -> list[Path]:
    """Where the platform's fonts with CJK Ext. B usually are, best first, whether or not they exist."""
    environ = os.environ if environ is None else environ
    key = _platform_key(system)
    return _font_files(key, environ, _WINDOWS_FALLBACK_FILES, _MAC_FALLBACK_FILES, _LINUX_FALLBACK_FILES)


def platform_cjk_fonts(system: str | None = None, environ: Mapping[str, str] | None = None) -> list[Path]:
    """The platform CJK font files present on this machine, best first."""
    return [p for p in platform_font_candidates(system, environ) if p.is_file()]


def _sfnt_tables(data: bytes, offset: int) -> set[bytes]:
    _version, num_tables = struct.unpack_from(">4sH", data, offset)
    return {struct.unpack_from(">4s", data, offset + 12 + 16 * i)[0] for i in range(num_tables)}


def is_truetype_outline(path: Path, subfont_index: int = 0) -> bool:
    """True if the font (or face ``subfont_index`` of a collection) has TrueType ``glyf`` outlines."""
    try:
        with Path(path).open("rb") as f:
            # Header, table directory and TTC offsets all sit in the first few KB.
            data = f.read(64 * 1024)
    except OSError:
        return False
    try:
        magic = data[:4]
        if magic == b"ttcf":
            (num_fonts,) = struct.unpack_from(">I", data, 8)
            if not 0 <= subfont_index < num_fonts:
                return False
            (offset,) = struct.unpack_from(">I", data, 12 + 4 * subfont_index)
        elif magic in (b"\x00\x01\x00\x00", b"true"):
            offset = 0
        else:  # "OTTO" (CFF outlines) or not a font at all
            return False
        if data[offset : offset + 4] not in (b"\x00\x01\x00\x00", b"true"):
            return False
        return b"glyf" in _sfnt_tables(data, offset)
    except struct.error:
        return False


def pdf_font_path() -> Path:
    """The font PDFs embed: ``KAM_PDF_FONT`` if set, else the bundled font (reproducible output),
    else the first platform CJK font with TrueType outlines. Raises FontNotFound if there is none."""
    override = os.environ.get(ENV_PDF_FONT)
    if override:
        path = Path(override).expanduser()
        if is_truetype_outline(path):
            return path
        raise FontNotFound(
            f"环境变量 {ENV_PDF_FONT} 指定的字体不可用于 PDF（需为 TrueType 轮廓的 .ttf/.ttc 文件）：{path}",
            f"{ENV_PDF_FONT} does not name a TrueType-outline font: {path}",
        )
    for path in [bundled_cjk_font(), *platform_cjk_fonts()]:
        if is_truetype_outline(path):
            return path
    raise FontNotFound(
        "找不到可嵌入 PDF 的中文字体：程序自带的字体文件缺失，系统中也没有 TrueType 中文字体。",
        "no TrueType-outline CJK font found for PDF output",
    )


def pdf_fallback_font_path() -> Path:
    """The font PDFs draw rare characters (CJK Ext. A/B) in: the bundled fallback (reproducible output),
    else the first platform font with Ext. B and TrueType outlines. Raises FontNotFound if there is none."""
    for path in [bundled_fallback_font(), *[p for p in platform_fallback_candidates() if p.is_file()]]:
        if is_truetype_outline(path):
            return path
    raise FontNotFound(
        "找不到可嵌入 PDF 的生僻字字体：程序自带的字体文件缺失，系统中也没有含扩展 B 区汉字的 TrueType 字体。",
        "no TrueType-outline font with CJK Ext. B found for PDF output",
    )


def _register(name: str, path: Path) -> str:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    _fix_supplementary_to_unicode()
    if name not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont(name, str(path), subfontIndex=0))
    return name


def register_pdf_font() -> str:
    """Register the PDF font with reportlab (once) and return its reportlab font name."""
    path = pdf_font_path()
    return _register(PDF_FONT_NAME if path == bundled_cjk_font() else f"KamCJK-{path.stem}", path)


def register_pdf_fallback_font() -> str:
    """Register the PDF fallback font for rare characters with reportlab (once); return its font name."""
    path = pdf_fallback_font_path()
    return _register(PDF_FALLBACK_FONT_NAME if path == bundled_fallback_font() else f"KamExt-{path.stem}", path)


def pdf_font_has_glyph(char: str, font_name: str | None = None) -> bool:
    """True if the registered reportlab TrueType font (default: the main PDF font) maps ``char`` to a
    glyph in its cmap; False means the character would print as an empty box."""
    from reportlab.pdfbase import pdfmetrics

    if len(char) != 1:
        raise ValueError(f"expected one character, got {char!r}")
    face = pdfmetrics.getFont(font_name or register_pdf_font()).face
    return ord(char) in face.charToGlyph


def pdf_text_runs(text: str) -> list[tuple[str, str]]:
    """Split ``text`` into ``(run, reportlab font name)`` pieces for drawing: the main PDF font wherever it
    has the glyph, the fallback for rare characters it lacks. A character neither font has stays with the
    main font. Reports draw the runs one after another (advancing by ``pdfmetrics.stringWidth``)."""
    main = register_pdf_font()
    fallback: str | None = None
    runs: list[tuple[str, str]] = []
    for char in text:
        font = main
        if not pdf_font_has_glyph(char, main):
            if fallback is None:
                fallback = register_pdf_fallback_font()
            if pdf_font_has_glyph(char, fallback):
                font = fallback
        if runs and runs[-1][1] == font:
            runs[-1] = (runs[-1][0] + char, font)
        else:
            runs.append((char, font))
    return runs


def _fix_supplementary_to_unicode() -> None:
    """Make reportlab's ToUnicode maps right for characters outside the BMP (𠮷 U+20BB7), once.

    reportlab writes every code point with ``%04X``, so U+20BB7 becomes ``<20BB7>``, which PDF readers take
    as U+20BB (₻): the glyph prints correctly but copying or searching the text finds the wrong character.
    A ToUnicode destination must be UTF-16BE, so such code points are rewritten as surrogate pairs."""
    from reportlab.pdfbase import ttfonts

    original = ttfonts.makeToUnicodeCMap
    if getattr(original, "_kam_supplementary", False):
        return

    def make_to_unicode_cmap(fontname, subset):
        cmap = original(fontname, subset)
        for code, value in enumerate(subset):
            if value > 0xFFFF:
                utf16 = chr(value).encode("utf-16-be").hex().upper()
                cmap = cmap.replace(f"<{code:02X}> <{value:04X}>", f"<{code:02X}> <{utf16}>")
        return cmap

    make_to_unicode_cmap._kam_supplementary = True
    ttfonts.makeToUnicodeCMap = make_to_unicode_cmap
