"""Overdue escalation while the app is open: every few minutes (and once at start) overdue request stages
are escalated one level up, as ``kam request escalate`` does from a scheduled task. Escalating twice is
harmless — a stage is escalated at most once per SLA period — so several open apps may all run it.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, QTimer, Signal

from kam_console.services.service_requests import escalate_overdue
from ui.tasks import BackgroundTasks

DEFAULT_INTERVAL_MS = 5 * 60 * 1000


class EscalationTimer(QObject):
    escalated = Signal(object)  # list[Escalation], emitted when something was escalated

    def __init__(self, db, tasks: BackgroundTasks, parent: QObject | None = None, *, interval_ms=DEFAULT_INTERVAL_MS):
        super().__init__(parent)
        self._db = db
        self._tasks = tasks
        self._running = False
        self.timer = QTimer(self)
        self.timer.setInterval(interval_ms)
        self.timer.timeout.connect(self.run)

    def start(self) -> None:
        self.timer.start()
        self.run()

    def stop(self) -> None:
        self.timer.stop()

    def run(self) -> None:
        if self._running:
            return
        self._running = True
        db = self._db

        def work(_progress):
            with db.engine.begin() as conn:
                return escalate_overdue(conn)

        self._tasks.write(work, on_done=self._done, on_error=self._failed, busy_cursor=False, progress_delay_ms=-1)

    def _done(self, escalations) -> None:
        self._running = False
        if escalations:
            self.escalated.emit(escalations)

    def _failed(self, _exc: BaseException) -> None:
        # A lost connection is reported by the window's own reads; the next tick tries again.
        self._running = False
