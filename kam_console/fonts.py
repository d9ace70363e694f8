"""Chinese fonts without Qt: the bundled CJK font, the platform's CJK fonts, and the font PDFs embed.

Chinese text must render on any machine, on screen and in printed reports, so the app ships one
TrueType-outline CJK font (WenQuanYi Micro Hei, Apache-2.0; see resources/fonts/README.md). The Qt side
(ui/fonts.py) prefers the platform's own UI font when it has one; PDFs prefer the bundled font so the same
report looks the same wherever it was produced.

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


def preferred_ui_families(system: str | None = None) -> list[str]:
    """Chinese UI font families to look for on this (or the named) platform, best first."""
    return list(UI_FAMILIES[_platform_key(system)])


def platform_font_candidates(system: str | None = None, environ: Mapping[str, str] | None = None) -> list[Path]:
    """Where the platform's CJK fonts usually are, best first, whether or not they exist."""
    environ = os.environ if environ is None else environ
    key = _platform_key(system)
    if key == "win32":
        folders = [Path(environ.get("WINDIR") or environ.get("SystemRoot") or r"C:\Windows") / "Fonts"]
        if environ.get("LOCALAPPDATA"):  # fonts installed for the current user only
            folders.append(Path(environ["LOCALAPPDATA"]) / "Microsoft" / "Windows" / "Fonts")
        return [folder / name for name in _WINDOWS_FONT_FILES for folder in folders]
    if key == "darwin":
        return [Path(p) for p in _MAC_FONT_FILES]
    return [Path(p) for p in _LINUX_FONT_FILES]


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


def register_pdf_font() -> str:
    """Register the PDF font with reportlab (once) and return its reportlab font name."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    path = pdf_font_path()
    name = PDF_FONT_NAME if path == bundled_cjk_font() else f"KamCJK-{path.stem}"
    if name not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont(name, str(path), subfontIndex=0))
    return name
