"""Background work: the one helper that runs functions off the GUI thread (CONVENTIONS "The GUI never freezes").

Usage::

    tasks = BackgroundTasks()
    tasks.read(lambda progress: load_something(db), on_done=self._show, parent=self)
    tasks.write(lambda progress: seed_demo(db, progress=progress), on_done=..., label="正在生成演示数据…")

- The worker function gets one argument, a :class:`Progress`: call ``progress(done, total, text)`` from the
  worker (thread-safe), and read ``progress.cancelled`` / call ``progress.is_cancelled()`` as a cancel check.
- ``on_done(result)`` / ``on_error(exc)`` run on the GUI thread. Without ``on_error`` a dialog shows
  ``KamError.zh`` (or the exception text). A cancelled task calls ``on_cancelled()`` and shows nothing.
- A progress dialog appears only if the work takes longer than ``progress_delay_ms`` (0.5 s); a busy cursor
  shows while it runs.
- Writes run one at a time on a dedicated single-thread pool, so SQLite never sees two writers from this
  process; reads run in parallel on another pool.

Workers touch no widget and return plain data (dataclasses, not live ORM objects).

Lifetimes: the worker closure references only the plain function, a :class:`Progress` and the long-lived
:class:`BackgroundTasks`, never a :class:`Task`; results come back through signals of
:class:`BackgroundTasks` with queued connections, so every Qt object is created, used and destroyed on
the GUI thread. Pending tasks are kept in ``BackgroundTasks._active`` until their callbacks have run, so
nothing is garbage-collected early even if the caller drops the returned :class:`Task`.
"""

from __future__ import annotations

import itertools
import logging
import threading
from collections.abc import Callable
from typing import Any, TypeVar

from PySide6.QtCore import QObject, Qt, QThreadPool, QTimer, Signal, Slot
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QApplication, QMessageBox, QProgressDialog, QWidget
from shiboken6 import isValid

from kam_console.errors import KamError

log = logging.getLogger(__name__)

T = TypeVar("T")
DEFAULT_PROGRESS_DELAY_MS = 500


class TaskCancelled(KamError):
    """Raised inside a worker (by ``Progress.check()``) when the user cancelled the task."""

    def __init__(self) -> None:
        super().__init__("操作已取消", "cancelled")


class Progress:
    """The progress callable a worker receives; safe to call from the worker thread.

    Calls are coalesced: the latest (done, total, text) is stored and at most one notification is queued
    to the GUI thread at a time, so a worker reporting every row neither floods the event queue nor
    leaves a stale text on screen.
    """

    def __init__(self, notify: Callable[[], None]) -> None:
        self._notify = notify
        self._lock = threading.Lock()
        self._latest: tuple[int, int, str] | None = None
        self._queued = False
        self._cancel = threading.Event()

    def __call__(self, done: int, total: int, text: str = "") -> None:
        with self._lock:
            self._latest = (int(done), int(total), str(text or ""))
            if self._queued:
                return
            self._queued = True
        self._notify()

    def take(self) -> tuple[int, int, str] | None:
        """GUI side: the latest report; re-arms the notification."""
        with self._lock:
            self._queued = False
            return self._latest

    def cancel(self) -> None:
        self._cancel.set()

    @property
    def cancelled(self) -> bool:
        return self._cancel.is_set()

    def is_cancelled(self) -> bool:
        """A cancel check to hand to core functions that take one."""
        return self._cancel.is_set()

    def check(self) -> None:
        """Raise TaskCancelled if the user cancelled; call between steps of long work."""
        if self._cancel.is_set():
            raise TaskCancelled()


class _ProgressDialog(QProgressDialog):
    """A progress dialog that cannot be dismissed with Esc or the close button unless it may cancel."""

    def __init__(self, label: str, cancellable: bool, parent: QWidget | None) -> None:
        super().__init__(label, self.tr("取消") if cancellable else "", 0, 0, parent)
        self._cancellable = cancellable
        if not cancellable:
            self.setCancelButton(None)
            self.setWindowFlag(Qt.WindowType.WindowCloseButtonHint, False)
        self.setWindowTitle(self.tr("请稍候"))
        self.setWindowModality(Qt.WindowModality.WindowModal if parent else Qt.WindowModality.ApplicationModal)
        self.setMinimumDuration(0)  # the delay is ours (the task's timer), not QProgressDialog's
        self.setAutoClose(False)
        self.setAutoReset(False)
        self.setMinimumWidth(360)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Escape and not self._cancellable:
            return
        super().keyPressEvent(event)

    def closeEvent(self, event) -> None:
        if not self._cancellable:
            event.ignore()
            return
        super().closeEvent(event)

    def show_progress(self, done: int, total: int, text: str) -> None:
        if total > 0:
            self.setRange(0, total)
            self.setValue(max(0, min(done, total)))
        else:  # unknown amount of work: a busy indicator
            self.setRange(0, 0)
        if text:
            self.setLabelText(text)


def show_error(parent: QWidget | None, exc: BaseException, title: str | None = None) -> None:
    """The default error dialog: a KamError's Chinese message, else the exception's text."""
    if isinstance(exc, KamError):
        message = exc.zh
    else:
        # Unexpected: keep the traceback for support, show people a readable line.
        log.error("后台任务出错", exc_info=(type(exc), exc, exc.__traceback__))
        message = str(exc) or type(exc).__name__
        message = QApplication.translate("tasks", "发生意外错误：{0}").format(message)
    QMessageBox.critical(parent, title or QApplication.translate("tasks", "操作失败"), message)


class Task(QObject):
    """One submitted piece of work, seen from the GUI thread. ``finished`` fires after the callbacks ran."""

    finished = Signal()

    def __init__(
        self,
        *,
        kind: str,
        label: str,
        parent_widget: QWidget | None,
        on_done: Callable[[Any], None] | None,
        on_error: Callable[[BaseException], None] | None,
        on_cancelled: Callable[[], None] | None,
        error_title: str | None,
        cancellable: bool,
        busy_cursor: bool,
        progress_delay_ms: int,
        notify: Callable[[], None],
    ) -> None:
        super().__init__()
        self.kind = kind
        self.label = label
        self.progress = Progress(notify)
        self.done = False
        self.result: Any = None
        self.error: BaseException | None = None
        self.dialog: _ProgressDialog | None = None
        self._parent_widget = parent_widget
        self._on_done = on_done
        self._on_error = on_error
        self._on_cancelled = on_cancelled
        self._error_title = error_title
        self._cancellable = cancellable
        self._busy_cursor = busy_cursor
        self._last_report: tuple[int, int, str] | None = None
        # a negative delay: never show a progress dialog (housekeeping nobody waits for)
        self._show_progress = progress_delay_ms >= 0
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(max(0, progress_delay_ms))
        self._timer.timeout.connect(self._show_dialog)

    # --- GUI-thread life cycle (called by BackgroundTasks) ---------------------------------------

    def _started(self) -> None:
        if self._busy_cursor:
            QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        if self._show_progress:
            self._timer.start()

    def _progressed(self) -> None:
        report = self.progress.take()
        if report is None or self.done:
            return
        self._last_report = report
        if self.dialog is not None:
            self.dialog.show_progress(*report)

    def _show_dialog(self) -> None:
        if self.done:
            return
        parent = self._live_parent()
        self.dialog = _ProgressDialog(self.label or self.tr("正在处理…"), self._cancellable, parent)
        if self._cancellable:
            self.dialog.canceled.connect(self.cancel)
        if self._last_report is not None:
            self.dialog.show_progress(*self._last_report)
        self.dialog.show()

    def cancel(self) -> None:
        """Ask the worker to stop; it does so at its next ``progress.check()``."""
        self.progress.cancel()
        if self.dialog is not None:
            self.dialog.setLabelText(self.tr("正在取消…"))

    def _finish(self, ok: bool, value: Any) -> None:
        self.done = True
        self._timer.stop()
        if self.dialog is not None:
            if isValid(self.dialog):  # else it went with its parent window
                self.dialog.hide()
                self.dialog.deleteLater()
            self.dialog = None
        if self._busy_cursor:
            QApplication.restoreOverrideCursor()
        try:
            if ok:
                self.result = value
                if self._on_done is not None:
                    self._on_done(value)
            else:
                self.error = value
                self._deliver_error(value)
        finally:
            # Drop callbacks: they often close over widgets, which must not outlive their window here.
            self._on_done = self._on_error = self._on_cancelled = None
            self.finished.emit()

    def _deliver_error(self, exc: BaseException) -> None:
        if isinstance(exc, TaskCancelled):
            if self._on_cancelled is not None:
                self._on_cancelled()
        elif self._on_error is not None:
            self._on_error(exc)
        else:
            show_error(self._live_parent(), exc, self._error_title)

    def _live_parent(self) -> QWidget | None:
        widget = self._parent_widget
        return widget if widget is not None and isValid(widget) else None


class BackgroundTasks(QObject):
    """Owns the read pool (parallel) and the write pool (one worker) and the tasks in flight."""

    # Emitted from worker threads; connected with queued connections to slots on the GUI thread.
    _worker_finished = Signal(int, bool, object)
    _worker_progressed = Signal(int)
    #: Emitted after any task has finished (its callbacks ran); handy for tests and status displays.
    task_finished = Signal(object)

    def __init__(
        self, parent: QObject | None = None, *, max_readers: int = 4, progress_delay_ms: int = DEFAULT_PROGRESS_DELAY_MS
    ) -> None:
        super().__init__(parent)
        self.progress_delay_ms = progress_delay_ms
        self.read_pool = QThreadPool(self)
        self.read_pool.setMaxThreadCount(max(1, max_readers))
        self.write_pool = QThreadPool(self)
        self.write_pool.setMaxThreadCount(1)  # the single writer queue
        self._ids = itertools.count(1)
        self._active: dict[int, Task] = {}
        queued = Qt.ConnectionType.QueuedConnection
        self._worker_finished.connect(self._on_worker_finished, queued)
        self._worker_progressed.connect(self._on_worker_progressed, queued)

    def read(self, fn: Callable[[Progress], T], **options: Any) -> Task:
        """Run a read-only function; reads may run in parallel with each other and with a write."""
        return self._submit("read", self.read_pool, fn, **options)

    def write(self, fn: Callable[[Progress], T], **options: Any) -> Task:
        """Run a function that changes data; writes run one at a time, in submission order."""
        return self._submit("write", self.write_pool, fn, **options)

    def active_tasks(self) -> list[Task]:
        return list(self._active.values())

    def is_idle(self) -> bool:
        return not self._active

    def wait_for_workers(self, msecs: int = -1) -> bool:
        """Block until worker threads are idle (used at shutdown; callbacks still need the event loop)."""
        ok_write = self.write_pool.waitForDone(msecs)
        ok_read = self.read_pool.waitForDone(msecs)
        return ok_write and ok_read

    def _submit(
        self,
        kind: str,
        pool: QThreadPool,
        fn: Callable[[Progress], Any],
        *,
        on_done: Callable[[Any], None] | None = None,
        on_error: Callable[[BaseException], None] | None = None,
        on_cancelled: Callable[[], None] | None = None,
        label: str = "",
        error_title: str | None = None,
        parent: QWidget | None = None,
        cancellable: bool = False,
        busy_cursor: bool = True,
        progress_delay_ms: int | None = None,
    ) -> Task:
        task_id = next(self._ids)
        emit_progress = self._worker_progressed.emit
        task = Task(
            kind=kind,
            label=label,
            parent_widget=parent,
            on_done=on_done,
            on_error=on_error,
            on_cancelled=on_cancelled,
            error_title=error_title,
            cancellable=cancellable,
            busy_cursor=busy_cursor,
            progress_delay_ms=self.progress_delay_ms if progress_delay_ms is None else progress_delay_ms,
            notify=lambda: emit_progress(task_id),
        )
        self._active[task_id] = task
        task._started()
        pool.start(self._job(task_id, fn, task.progress))
        return task

    def _job(self, task_id: int, fn: Callable[[Progress], Any], progress: Progress) -> Callable[[], None]:
        finished = self._worker_finished.emit
        holder = [fn]

        def job() -> None:
            # Runs on a pool thread. Holds no Task and drops the function before reporting, so the
            # closures it carries (often over widgets) are released on the GUI thread, not here.
            func = holder.pop()
            try:
                result = func(progress)
            except BaseException as exc:  # noqa: BLE001 - every failure goes back to the GUI thread
                del func
                finished(task_id, False, exc)
            else:
                del func
                finished(task_id, True, result)

        return job

    @Slot(int)
    def _on_worker_progressed(self, task_id: int) -> None:
        task = self._active.get(task_id)
        if task is not None:
            task._progressed()

    @Slot(int, bool, object)
    def _on_worker_finished(self, task_id: int, ok: bool, value: object) -> None:
        task = self._active.get(task_id)
        if task is None:
            return
        try:
            task._finish(ok, value)
        finally:
            del self._active[task_id]
            self.task_finished.emit(task)
