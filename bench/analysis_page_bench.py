"""Benchmark: the ARPU/ARPA analysis page, driven headless, redrawing after each change of unit, month
and filter — from the change to every chart drawn (the page's ``shown`` signal) — and how long the GUI
thread was ever kept from its event loop meanwhile (the window must stay responsive).

    QT_QPA_PLATFORM=offscreen .venv/bin/python bench/analysis_page_bench.py --scale large
    QT_QPA_PLATFORM=offscreen .venv/bin/python bench/analysis_page_bench.py --db postgresql://…/kam --rounds 5

Without ``--db`` the seeded SQLite file under ``bench-out/`` (shared with analytics_bench.py) is reused or
seeded. Prints one line per kind of change: the median and the worst time to redraw, and the longest gap
between two ticks of a 5 ms timer on the GUI thread while the page was busy.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from PySide6.QtCore import QElapsedTimer, QEventLoop, QSettings, QTimer  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402


class Ticker:
    """Measures the longest stretch the GUI thread spent away from its event loop."""

    def __init__(self) -> None:
        self.timer = QTimer()
        self.timer.setInterval(5)
        self.timer.timeout.connect(self._tick)
        self.clock = QElapsedTimer()
        self.worst = 0.0

    def start(self) -> None:
        self.worst = 0.0
        self.clock.start()
        self.timer.start()

    def stop(self) -> float:
        self.timer.stop()
        return self.worst

    def _tick(self) -> None:
        gap = self.clock.restart()
        self.worst = max(self.worst, float(gap))


def wait_for(signal, timeout_ms: int = 60_000) -> bool:
    """Run the event loop until ``signal`` fires (QEventLoop.exec lets worker threads have the GIL)."""
    loop = QEventLoop()
    fired = []

    def done(*_args):
        fired.append(True)
        loop.quit()

    signal.connect(done)
    QTimer.singleShot(timeout_ms, loop.quit)
    loop.exec()
    signal.disconnect(done)
    return bool(fired)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", default="large", choices=["small", "medium", "large"])
    parser.add_argument("--db", help="database URL or SQLite path (default: bench-out/<scale>.sqlite3)")
    parser.add_argument("--rounds", type=int, default=5, help="times each change is repeated")
    args = parser.parse_args(argv)

    app = QApplication.instance() or QApplication([])
    from analytics_bench import ensure_seeded

    from ui.analysis_page import AnalysisPage
    from ui.fonts import setup_application_font
    from ui.tasks import BackgroundTasks

    setup_application_font(app)
    if args.db:
        url = args.db
    else:
        (ROOT / "bench-out").mkdir(exist_ok=True)
        url = str(ROOT / "bench-out" / f"{args.scale}.sqlite3")
    db = ensure_seeded(url, args.scale)
    settings = QSettings(str(ROOT / "bench-out" / "bench-settings.ini"), QSettings.Format.IniFormat)
    tasks = BackgroundTasks()
    page = AnalysisPage(db, tasks, settings=settings)
    page.resize(1240, 1400)
    page.show()
    ticker = Ticker()

    def timed(change) -> tuple[float, float]:
        ticker.start()
        started = time.perf_counter()
        before = page.request
        change()
        if page.request == before and page.data is not None:  # already there: nothing to redraw
            return 0.0, ticker.stop()
        if not wait_for(page.shown):
            raise SystemExit("the page did not redraw within 60 s")
        elapsed = (time.perf_counter() - started) * 1000
        return elapsed, ticker.stop()

    # warm up: the first drawing builds fonts and caches
    timed(lambda: page.set_unit("000000"))
    months = [page.month.itemData(i) for i in range(min(3, page.month.count()))]
    industry = page.industry.findData("FIN")
    product = page.product.findData("DC")

    def set_unit(code):
        return lambda: page.set_unit(code)

    def set_month(month):
        return lambda: page.month.setCurrentIndex(page.month.findData(month))

    def set_combo(combo, index):
        return lambda: combo.setCurrentIndex(index)

    changes = {
        "unit: country": [set_unit("440000"), set_unit("000000")],
        "unit: province": [set_unit("000000"), set_unit("440000")],
        "unit: city": [set_unit("000000"), set_unit("440100")],
        "month (country)": [set_unit("000000"), set_month(months[-1]), set_month(months[0])],
        "industry filter (country)": [set_combo(page.industry, 0), set_combo(page.industry, industry)],
        "product filter (country)": [set_combo(page.product, 0), set_combo(page.product, product)],
    }
    rows = []
    for name, steps in changes.items():
        times, gaps = [], []
        for _ in range(args.rounds):
            for step in steps[:-1]:
                timed(step)  # set the starting point
            elapsed, gap = timed(steps[-1])
            times.append(elapsed)
            gaps.append(gap)
        for combo in (page.industry, page.product):
            if combo.currentIndex() != 0:
                timed(set_combo(combo, 0))
        rows.append((name, statistics.median(times), max(times), max(gaps)))
    print(f"analysis page redraw, {db.description}, {args.rounds} rounds")
    print(f"{'change':<28}{'median ms':>10}{'max ms':>9}{'GUI busy max ms':>17}")
    for name, median, worst, gap in rows:
        print(f"{name:<28}{median:>10.0f}{worst:>9.0f}{gap:>17.0f}")
    tasks.wait_for_workers(10_000)
    return 0


if __name__ == "__main__":
    sys.exit(main())
