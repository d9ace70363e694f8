"""Overdue stages are escalated while the app is open, silently (no progress dialog), and only once per
SLA period however often the timer runs."""

from __future__ import annotations

import datetime as dt
import time

from sqlalchemy import text

from kam_console.services.account_edit import AccountInput, create_account
from kam_console.services.service_requests import raise_request
from kam_console.services.staff import StaffInput, add_staff
from ui.escalation import EscalationTimer
from ui.tasks import BackgroundTasks


def test_timer_escalates_overdue_stages_once(qtbot, db):
    long_ago = dt.datetime.now(dt.UTC) - dt.timedelta(days=3)
    with db.engine.begin() as conn:
        add_staff(conn, employee_no="GZ1", data=StaffInput("广州经理", "440100", "customer_manager"))
        create_account(conn, customer_no="C1", data=AccountInput("广州某公司", "TRN", "city", "440100", "440100"))
        raise_request(conn, account="C1", type_="fault", units=["440100", "440300"], as_staff="GZ1", now=long_ago)
    tasks = BackgroundTasks(progress_delay_ms=0)  # a dialog would show at once if one were allowed
    timer = EscalationTimer(db, tasks, interval_ms=60_000)
    with qtbot.waitSignal(timer.escalated, timeout=10_000) as blocker:
        timer.start()
    assert [(e.from_unit, e.to_unit) for e in blocker.args[0]] == [("440000", "000000")]
    assert timer.timer.isActive()
    timer.run()  # again at once: nothing new
    qtbot.waitUntil(lambda: tasks.is_idle(), timeout=10_000)
    time.sleep(0.05)
    with db.engine.connect() as conn:
        assert conn.execute(text("SELECT COUNT(*) FROM request_hop WHERE action = 'escalate'")).scalar() == 1
    assert all(t.dialog is None for t in tasks.active_tasks())
    timer.stop()
    tasks.wait_for_workers(5000)
