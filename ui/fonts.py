"""The application font: Chinese must render on any machine, without boxes (tofu).

On start the app uses the platform's Chinese UI font when it has one (微软雅黑 "Microsoft YaHei UI" on
Windows, PingFang SC on macOS, Noto Sans CJK / WenQuanYi on Linux); otherwise it loads the bundled
WenQuanYi Micro Hei (kam_console.fonts) and makes it the application font. Either way the system point
size is kept, so the app follows the user's display settings.

``KAM_UI_FONT=bundled`` forces the bundled font (for checking it); any other value names a family to
prefer.
"""

from __future__ import annotations

import logging
import os
from typing import NamedTuple

from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import QApplication

from kam_console.fonts import BUNDLED_FAMILY, bundled_cjk_font, preferred_ui_families

log = logging.getLogger(__name__)
ENV_UI_FONT = "KAM_UI_FONT"


class FontChoice(NamedTuple):
    family: str
    bundled: bool


def load_bundled_font() -> str | None:
    """Register the bundled CJK font with Qt; return its family name, or None if it could not be loaded."""
    path = bundled_cjk_font()
    font_id = QFontDatabase.addApplicationFont(str(path))
    if font_id == -1:
        log.warning("cannot load bundled font %s", path)
        return None
    families = QFontDatabase.applicationFontFamilies(font_id)
    if BUNDLED_FAMILY in families:
        return BUNDLED_FAMILY
    return families[0] if families else None


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
    font = app.font()  # keeps the system's point size
    # The old family stays as a fallback for any glyph the CJK font lacks.
    font.setFamilies([family, *[f for f in font.families() if f != family]])
    app.setFont(font)
    return FontChoice(family, bundled)
