"""House rules that keep the code base livable: the core never imports Qt, the UI never touches SQL."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _sources(folder: str):
    return sorted((ROOT / folder).rglob("*.py"))


def test_core_never_imports_qt():
    pattern = re.compile(r"^\s*(from|import)\s+(PySide6|PyQt\d|pyqtgraph|shiboken6)\b", re.M)
    offenders = [p.relative_to(ROOT) for p in _sources("kam_console") if pattern.search(p.read_text("utf-8"))]
    assert offenders == []


def test_ui_reaches_data_only_through_services():
    pattern = re.compile(r"^\s*(from|import)\s+(sqlalchemy|sqlite3|psycopg)\b|\bsession\.execute\(|\bSELECT\s", re.M)
    offenders = [p.relative_to(ROOT) for p in _sources("ui") if pattern.search(p.read_text("utf-8"))]
    assert offenders == []
