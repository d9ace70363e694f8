"""The application font: Chinese must render on any machine, without boxes (tofu).

On start the app uses the platform's Chinese UI font when it has one (微软雅黑 "Microsoft YaHei UI" on
Windows, PingFang SC on macOS, Noto Sans CJK / WenQuanYi on Linux); otherwise it loads the bundled
WenQuanYi Micro Hei (kam_console.fonts) and makes it the application font. Either way the system point
size is kept, so the app follows the user's display settings.

Rare characters in names (CJK Ext. A 䶮, Ext. B 𠮷 as in 𠮷野家) are missing from most UI fonts and from
WenQuanYi Micro Hei, so the application font's family list continues, right after the main family, with
fonts that have them: the platform's own where present (SimSun-ExtB / MingLiU-ExtB on Windows, Songti on
macOS, HanaMinB on Linux), then always the bundled "KAM Han Ext", which covers Ext. A and all of Ext. B.
Qt draws each character in the first family of the list that has it. Listing the family is what makes the
fallback work everywhere: with fontconfig (Linux) Qt's own fallback finds a registered application font
anyway, but on Windows and macOS Qt's fallback comes from the system's lists, which know nothing of fonts
the app registers (Qt 6.8's QFontDatabase.addApplicationFallbackFontFamily is not available in PySide6,
which does not bind QChar.Script).

``KAM_UI_FONT=bundled`` forces the bundled fonts, main and fallback (for checking them); any other value
names a family to prefer.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import NamedTuple

from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import QApplication

from kam_console.fonts import (
    BUNDLED_FAMILY,
    FALLBACK_FAMILY,
    bundled_cjk_font,
    bundled_fallback_font,
    preferred_fallback_families,
    preferred_ui_families,
)

log = logging.getLogger(__name__)
ENV_UI_FONT = "KAM_UI_FONT"


class FontChoice(NamedTuple):
    family: str
    bundled: bool
    # The families for rare characters that follow the main one, best first.
    fallbacks: tuple[str, ...] = ()


def _load_font_file(path: Path, family: str) -> str | None:
    font_id = QFontDatabase.addApplicationFont(str(path))
    if font_id == -1:
        log.warning("cannot load bundled font %s", path)
        return None
    families = QFontDatabase.applicationFontFamilies(font_id)
    if family in families:
        return family
    return families[0] if families else None


def load_bundled_font() -> str | None:
    """Register the bundled CJK font with Qt; return its family name, or None if it could not be loaded."""
    return _load_font_file(bundled_cjk_font(), BUNDLED_FAMILY)


def load_fallback_font() -> str | None:
    """Register the bundled font for rare characters with Qt; return its family, or None if it failed."""
    if FALLBACK_FAMILY in QFontDatabase.families():  # registered already (the app font is set up once per run)
        return FALLBACK_FAMILY
    return _load_font_file(bundled_fallback_font(), FALLBACK_FAMILY)


def fallback_families(platform: bool = True) -> list[str]:
    """The families for rare characters, best first: the platform's that exist (unless ``platform`` is
    False), then the bundled one, which is the only one sure to cover both Ext. A and Ext. B."""
    families = []
    if platform:
        available = set(QFontDatabase.families())
        families = [f for f in preferred_fallback_families() if f in available]
    bundled = load_fallback_font()
    if bundled is not None and bundled not in families:
        families.append(bundled)
    return families


def platform_ui_family(preferred: list[str] | None = None) -> str | None:
    """The first preferred Chinese UI family this system has, or None."""
    available = set(QFontDatabase.families())
    for family in preferred if preferred is not None else preferred_ui_families():
        if family in available:
            return family
    return None


def setup_application_font(app: QApplication) -> FontChoice | None:
    """Choose and set the application font; returns what was chosen (None: Qt's default was kept)."""
    wanted = os.environ.get(ENV_UI_FONT, "").strip()
    family = None
    bundled = False
    if wanted.lower() != "bundled":
        family = platform_ui_family(([wanted] if wanted else []) + preferred_ui_families())
    if family is None:
        family = load_bundled_font()
        bundled = family is not None
    if family is None:
        return None
    fallbacks = tuple(f for f in fallback_families(platform=wanted.lower() != "bundled") if f != family)
    font = app.font()  # keeps the system's point size
    # Rare characters come next; the old family stays as a last fallback for any other glyph.
    head = [family, *fallbacks]
    font.setFamilies([*head, *[f for f in font.families() if f not in head]])
    app.setFont(font)
    return FontChoice(family, bundled, fallbacks)
