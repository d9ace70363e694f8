"""Small helpers that keep the look consistent and follow the system palette (light or dark)."""

from __future__ import annotations

from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QWidget


def muted_colour(palette: QPalette, strength: float = 0.62) -> QColor:
    """Secondary text: the text colour moved towards the background, readable on either (palette(mid)
    is a frame colour and too faint for text on light themes)."""
    text = palette.color(QPalette.ColorRole.WindowText)
    back = palette.color(QPalette.ColorRole.Window)
    mix = [round(t * strength + b * (1 - strength)) for t, b in zip(text.getRgb()[:3], back.getRgb()[:3], strict=True)]
    return QColor(*mix)


def set_muted(widget: QWidget, strength: float = 0.62) -> None:
    """Show ``widget``'s text as secondary text."""
    palette = widget.palette()
    palette.setColor(QPalette.ColorRole.WindowText, muted_colour(palette, strength))
    palette.setColor(QPalette.ColorRole.Text, muted_colour(palette, strength))
    widget.setPalette(palette)
