"""Start-up: open (and migrate) the database off the GUI thread, then show the main window — or explain in
Chinese why not and fail with a non-zero exit status. On a first start with an empty embedded database,
offer the small demo data set (DESIGN §7).
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QObject, QSettings, QTimer, Signal
from PySide6.QtWidgets import QMessageBox

from kam_console.db import Database, open_database
from kam_console.services.status import has_business_data
from ui import settings as S
from ui.escalation import EscalationTimer
from ui.main_window import MainWindow
from ui.tasks import BackgroundTasks, Progress, Task, show_error

EXIT_DATABASE_ERROR = 1


@dataclass
class OpenedDatabase:
    db: Database
    has_business_data: bool


def open_and_inspect(url: str | None, progress: Progress) -> OpenedDatabase:
    """Worker side: open and migrate the database, and see whether it holds any business data yet."""
    progress(0, 0, "正在打开数据库…")
    db = open_database(url, progress=progress)
    try:
        with db.session() as session:
            return OpenedDatabase(db, has_business_data(session))
    except BaseException:
        db.dispose()
        raise


def demo_seeder():
    """``kam_console.demo.seed_demo`` if this build has it, else None."""
    try:
        from kam_console.demo import seed_demo
    except ImportError:
        return None
    return seed_demo


class Startup(QObject):
    """Drives start-up. ``failed(exit_code)`` after the error was shown; ``window_shown(window)`` on success."""

    failed = Signal(int)
    window_shown = Signal(object)

    def __init__(
        self, tasks: BackgroundTasks, url: str | None, *, offer_demo: bool = True, settings: QSettings | None = None
    ) -> None:
        super().__init__()
        self.tasks = tasks
        self.url = url
        self.offer_demo = offer_demo
        self.settings = settings or S.app_settings()
        self.opened: OpenedDatabase | None = None
        self.window: MainWindow | None = None
        self.escalation: EscalationTimer | None = None
        self.exit_code = 0

    def start(self) -> Task:
        return self.tasks.write(
            lambda progress: open_and_inspect(self.url, progress),
            on_done=self._on_opened,
            on_error=self._on_open_failed,
            label=self.tr("正在打开数据库…"),
        )

    def _on_open_failed(self, exc: BaseException) -> None:
        show_error(None, exc, self.tr("无法打开数据库"))
        self.exit_code = EXIT_DATABASE_ERROR
        self.failed.emit(self.exit_code)

    def _on_opened(self, opened: OpenedDatabase) -> None:
        self.opened = opened
        self.window = MainWindow(opened.db, self.tasks, settings=self.settings)
        if self._should_offer_demo(opened):
            self.window.loaded.connect(self._offer_demo_once)
        self.window.show()
        self.window.refresh()
        # Overdue request stages escalate while the app is open (as `kam request escalate` does when run
        # by a scheduled task); started here rather than by the window so windows in tests write nothing.
        self.escalation = EscalationTimer(opened.db, self.tasks, self.window)
        self.escalation.escalated.connect(self.window.requests_escalated)
        self.escalation.start()
        self.window_shown.emit(self.window)

    def _declined_key(self, db: Database) -> str:
        return db.url.render_as_string(hide_password=True)

    def _should_offer_demo(self, opened: OpenedDatabase) -> bool:
        if not self.offer_demo or opened.has_business_data or not opened.db.is_sqlite:
            return False
        if demo_seeder() is None:  # the demo generator is not part of this build (yet)
            return False
        return self._declined_key(opened.db) not in S.DEMO_DECLINED.get(self.settings)

    def _offer_demo_once(self) -> None:
        window = self.window
        assert window is not None and self.opened is not None
        window.loaded.disconnect(self._offer_demo_once)
        # Let the window paint its tree before the question appears over it.
        QTimer.singleShot(0, self._ask_demo)

    def _ask_demo(self) -> None:
        window, opened = self.window, self.opened
        seed_demo = demo_seeder()
        if window is None or opened is None or seed_demo is None:
            return
        answer = QMessageBox.question(
            window,
            self.tr("首次启动"),
            self.tr(
                "首次启动：是否加载小规模演示数据？\n\n"
                "数据库中还没有员工和客户。演示数据（虚构的客户经理、大客户、业务和月收入）"
                "可以帮助您熟悉本程序，并会标记为“演示数据”。"
            ),
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            QMessageBox.StandardButton.Yes,
        )
        if answer != QMessageBox.StandardButton.Yes:
            declined = list(S.DEMO_DECLINED.get(self.settings))
            declined.append(self._declined_key(opened.db))
            S.DEMO_DECLINED.set(self.settings, declined)
            return
        db = opened.db
        self.tasks.write(
            lambda progress: seed_demo(db, scale="small", seed=1, force=False, progress=progress),
            on_done=self._on_demo_loaded,
            label=self.tr("正在生成演示数据…"),
            error_title=self.tr("无法生成演示数据"),
            parent=window,
        )

    def _on_demo_loaded(self, result: object) -> None:
        if self.window is None:
            return
        staff, accounts = getattr(result, "staff", None), getattr(result, "accounts", None)
        message = self.tr("演示数据已加载")
        if staff is not None and accounts is not None:
            message = self.tr("演示数据已加载：{0} 名员工，{1} 个客户").format(staff, accounts)
        window = self.window
        # After the refresh, which replaces the status message with its own while it runs.
        window.refresh().finished.connect(lambda: window.statusBar().showMessage(message, 15_000))
