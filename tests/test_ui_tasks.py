"""The background-work helper: callbacks on the GUI thread, errors, delayed progress dialog, the single
writer queue, parallel reads, cancelling, busy cursor and object lifetimes."""

from __future__ import annotations

import gc
import threading
import time

import pytest
from PySide6.QtWidgets import QApplication, QMessageBox, QWidget
from shiboken6 import isValid

from kam_console.errors import NotFound
from ui.tasks import BackgroundTasks, Progress, TaskCancelled


@pytest.fixture
def tasks(qapp):
    t = BackgroundTasks()
    yield t
    t.wait_for_workers(5000)


@pytest.fixture
def errors(monkeypatch):
    """Record error dialogs instead of blocking on them."""
    shown: list[tuple[str, str]] = []
    monkeypatch.setattr(QMessageBox, "critical", lambda parent, title, text, *a, **k: shown.append((title, text)))
    return shown


def test_on_done_runs_on_gui_thread_with_result(qtbot, tasks):
    gui = threading.get_ident()
    seen: dict[str, object] = {}

    def work(progress: Progress) -> int:
        seen["worker_thread"] = threading.get_ident()
        return 6 * 7

    def done(result: int) -> None:
        seen["result"] = result
        seen["callback_thread"] = threading.get_ident()

    task = tasks.read(work, on_done=done)
    qtbot.waitUntil(lambda: task.done, timeout=5000)
    assert seen["result"] == 42 and task.result == 42
    assert seen["callback_thread"] == gui
    assert seen["worker_thread"] != gui
    assert tasks.is_idle()
    assert QApplication.overrideCursor() is None  # busy cursor restored


def test_on_error_receives_the_exception(qtbot, tasks, errors):
    caught: list[BaseException] = []

    def work(progress: Progress) -> None:
        raise NotFound("没有代码为 123 的单位", "no unit")

    task = tasks.read(work, on_done=lambda r: pytest.fail("on_done called"), on_error=caught.append)
    qtbot.waitUntil(lambda: task.done, timeout=5000)
    assert len(caught) == 1 and isinstance(caught[0], NotFound)
    assert task.error is caught[0]
    assert errors == []  # on_error replaces the default dialog


def test_default_error_dialog_shows_chinese_message(qtbot, tasks, errors):
    def kam_error(progress: Progress) -> None:
        raise NotFound("没有代码为 123 的单位", "no unit")

    def bug(progress: Progress) -> None:
        raise ValueError("boom")

    parent = QWidget()
    qtbot.addWidget(parent)
    first = tasks.read(kam_error, error_title="查询失败", parent=parent)
    second = tasks.read(bug)
    qtbot.waitUntil(lambda: first.done and second.done, timeout=5000)
    assert ("查询失败", "没有代码为 123 的单位") in errors
    assert any("boom" in text for _title, text in errors)


def test_fast_work_shows_no_progress_dialog(qtbot, tasks):
    shown: list[bool] = []
    task = tasks.read(lambda progress: progress(1, 1, "快"), on_done=lambda r: shown.append(task.dialog is not None))
    qtbot.waitUntil(lambda: task.done, timeout=5000)
    assert shown == [False]
    assert task.dialog is None


def test_slow_work_shows_progress_dialog_with_reports(qtbot, tasks):
    release = threading.Event()

    def work(progress: Progress) -> str:
        for i in range(1, 1001):  # many reports: coalesced, not one event each
            progress(i, 2000, f"第 {i} 步")
        release.wait(5)
        progress(2000, 2000, "完成")
        return "ok"

    task = tasks.write(work, label="正在处理…", progress_delay_ms=50)
    qtbot.waitUntil(lambda: task.dialog is not None and task.dialog.isVisible(), timeout=5000)
    qtbot.waitUntil(lambda: task.dialog.value() == 1000, timeout=5000)
    assert task.dialog.labelText() == "第 1000 步"
    assert task.dialog.maximum() == 2000
    dialog = task.dialog
    release.set()
    qtbot.waitUntil(lambda: task.done, timeout=5000)
    assert task.result == "ok" and task.dialog is None
    assert not isValid(dialog) or not dialog.isVisible()


def test_housekeeping_work_never_shows_a_progress_dialog(qtbot, qapp):
    tasks = BackgroundTasks(progress_delay_ms=0)  # any other task would show its dialog at once
    release = threading.Event()
    shown = tasks.write(lambda progress: release.wait(5), busy_cursor=False)
    quiet = tasks.write(lambda progress: release.wait(5), progress_delay_ms=-1, busy_cursor=False)
    qtbot.waitUntil(lambda: shown.dialog is not None, timeout=5000)
    qtbot.wait(100)
    assert quiet.dialog is None and not quiet.done
    release.set()
    qtbot.waitUntil(lambda: quiet.done, timeout=5000)
    assert quiet.dialog is None
    tasks.wait_for_workers(5000)


def test_writes_run_one_at_a_time_in_order(qtbot, tasks):
    lock = threading.Lock()
    state = {"running": 0, "max": 0}
    order: list[int] = []

    def write(n: int):
        def work(progress: Progress) -> int:
            with lock:
                state["running"] += 1
                state["max"] = max(state["max"], state["running"])
            time.sleep(0.02)
            order.append(n)
            with lock:
                state["running"] -= 1
            return n

        return work

    submitted = [tasks.write(write(n)) for n in range(5)]
    qtbot.waitUntil(lambda: all(t.done for t in submitted), timeout=5000)
    assert state["max"] == 1
    assert order == list(range(5))
    assert tasks.write_pool.maxThreadCount() == 1


def test_reads_run_in_parallel(qtbot, tasks):
    barrier = threading.Barrier(2, timeout=5)  # only passes if both reads run at once
    results: list[str] = []
    for name in ("a", "b"):
        tasks.read(lambda progress, name=name: (barrier.wait(), name)[1], on_done=results.append)
    qtbot.waitUntil(lambda: len(results) == 2, timeout=8000)
    assert sorted(results) == ["a", "b"]


def test_cancel(qtbot, tasks, errors):
    started = threading.Event()
    cancelled: list[bool] = []

    def work(progress: Progress) -> None:
        started.set()
        while True:
            progress.check()
            time.sleep(0.01)

    task = tasks.read(work, cancellable=True, on_cancelled=lambda: cancelled.append(True))
    assert started.wait(5)
    task.cancel()
    qtbot.waitUntil(lambda: task.done, timeout=5000)
    assert cancelled == [True] and isinstance(task.error, TaskCancelled)
    assert errors == []  # cancelling is not an error


def test_dropped_task_still_delivers(qtbot, tasks):
    results: list[int] = []
    tasks.read(lambda progress: (time.sleep(0.05), 7)[1], on_done=results.append)
    gc.collect()  # the caller kept no reference; the helper must
    qtbot.waitUntil(lambda: results == [7], timeout=5000)
    assert tasks.is_idle()


def test_finished_signal_and_task_finished(qtbot, tasks):
    finished: list[object] = []
    tasks.task_finished.connect(finished.append)
    task = tasks.read(lambda progress: None)
    with qtbot.waitSignal(task.finished, timeout=5000):
        pass
    assert finished == [task]


def test_parent_window_destroyed_while_running(qtbot, tasks, errors):
    import shiboken6

    release = threading.Event()
    parent = QWidget()
    parent.show()
    done: list[bool] = []
    task = tasks.read(lambda progress: release.wait(5), parent=parent, progress_delay_ms=10, on_done=done.append)
    qtbot.waitUntil(lambda: task.dialog is not None and task.dialog.isVisible(), timeout=5000)
    shiboken6.delete(parent)  # the dialog goes with it
    release.set()
    qtbot.waitUntil(lambda: task.done, timeout=5000)
    assert done == [True] and task.dialog is None
    assert QApplication.overrideCursor() is None
