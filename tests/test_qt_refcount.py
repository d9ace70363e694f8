"""Guards the PySide6 pin: PySide6 6.12.0 on CPython 3.11 drops a reference to None on every void Qt call
and the interpreter aborts ("deallocating None") after a few thousand calls. pyproject pins <6.12 on
Python < 3.12. The calls run in a subprocess so a broken build fails this test instead of killing the run.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CALLS = 10_000
MARGIN = 50

SCRIPT = f"""
import json, os, sys
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
from PySide6.QtCore import QObject
from PySide6.QtWidgets import QApplication, QWidget
app = QApplication([])
widget, obj = QWidget(), QObject()
before = sys.getrefcount(None)
for i in range({CALLS}):
    widget.setToolTip("提示")
    obj.setObjectName("name")
after = sys.getrefcount(None)
print(json.dumps({{"before": before, "after": after}}))
"""


def test_void_qt_calls_keep_none_refcount():
    proc = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert proc.returncode == 0, f"Qt calls crashed the interpreter: {proc.stderr[-2000:]}"
    counts = json.loads(proc.stdout.strip().splitlines()[-1])
    assert counts["after"] >= counts["before"] - MARGIN, counts


def test_installed_pyside_matches_the_pin():
    from importlib.metadata import version

    major_minor = tuple(int(part) for part in version("PySide6-Essentials").split(".")[:2])
    if sys.version_info < (3, 12):
        assert major_minor < (6, 12), "PySide6 >= 6.12 leaks None references on CPython 3.11; see pyproject.toml"
