"""Start-up: database errors end in a Chinese dialog and a non-zero exit; a good database opens the main
window; the first-start demo offer (and the core status service it relies on)."""

from __future__ import annotations

import sqlite3
import sys
import types
from pathlib import Path

import pytest
from PySide6.QtWidgets import QMessageBox

from kam_console.models import AppSetting, OrgUnit, Staff
from kam_console.services.status import DEMO_SEED_KEY, has_business_data, is_demo
from ui import settings as S
from ui.app import main
from ui.startup import Startup
from ui.tasks import BackgroundTasks


@pytest.fixture
def dialogs(monkeypatch):
    """Record message boxes instead of blocking; ``answer`` is what question() returns."""
    record = types.SimpleNamespace(critical=[], questions=[], answer=QMessageBox.StandardButton.No)

    def critical(parent, title, text, *args, **kwargs):
        record.critical.append((title, text))
        return QMessageBox.StandardButton.Ok

    def question(parent, title, text, *args, **kwargs):
        record.questions.append(text)
        return record.answer

    monkeypatch.setattr(QMessageBox, "critical", critical)
    monkeypatch.setattr(QMessageBox, "question", question)
    return record


@pytest.fixture
def tasks(qapp):
    t = BackgroundTasks()
    yield t
    t.wait_for_workers(10_000)


# --- error paths through main() ---------------------------------------------------------------


def test_not_a_sqlite_file_shows_error_and_exits_nonzero(qapp, tmp_path, dialogs, capfd):
    bogus = tmp_path / "客户名单.sqlite3"
    bogus.write_bytes("这不是数据库，是一份笔记。\n".encode() * 200)
    before = bogus.read_bytes()

    status = main(["--db", str(bogus), "--no-demo-prompt"])

    assert status != 0
    assert len(dialogs.critical) == 1
    title, text = dialogs.critical[0]
    assert title == "无法打开数据库"
    assert "不是 SQLite 数据库" in text and str(bogus) in text
    assert bogus.read_bytes() == before  # untouched
    assert sorted(p.name for p in tmp_path.iterdir()) == [bogus.name]  # no -wal, -shm or backup files
    assert "Traceback" not in capfd.readouterr().err
    assert dialogs.questions == []


def test_unreachable_server_shows_error(qapp, dialogs, capfd):
    status = main(["--db", "postgresql://kam@127.0.0.1:1/kam", "--no-demo-prompt"])
    assert status != 0
    assert "无法连接数据库服务器" in dialogs.critical[0][1]
    assert "Traceback" not in capfd.readouterr().err


def test_schema_too_new_shows_error(qapp, sqlite_url, dialogs):
    path = Path(sqlite_url.removeprefix("sqlite:///"))
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE alembic_version SET version_num = 'f00dfeed9999'")
    conn.close()
    assert main(["--db", sqlite_url, "--no-demo-prompt"]) != 0
    assert "更新版本" in dialogs.critical[0][1]


# --- a good database ----------------------------------------------------------------------------


def _start(qtbot, tasks, url, *, offer_demo):
    startup = Startup(tasks, url, offer_demo=offer_demo)
    startup.start()
    qtbot.waitUntil(lambda: startup.window is not None, timeout=15_000)
    qtbot.addWidget(startup.window)
    qtbot.waitUntil(lambda: startup.window.tree_panel.model.rowCount() == 1, timeout=10_000)
    return startup


@pytest.fixture
def fake_demo(monkeypatch):
    """Stands in for kam_console.demo (written elsewhere) with the agreed signature."""
    calls: list[dict] = []

    def seed_demo(db, *, scale, seed, force, progress):
        calls.append({"db": db, "scale": scale, "seed": seed, "force": force})
        progress(1, 2, "正在生成员工…")
        with db.session() as session:
            session.add(AppSetting(key=DEMO_SEED_KEY, value=f"{scale}/{seed}"))
        progress(2, 2, "完成")
        return types.SimpleNamespace(staff=12, accounts=34)

    module = types.ModuleType("kam_console.demo")
    module.seed_demo = seed_demo
    monkeypatch.setitem(sys.modules, "kam_console.demo", module)
    return calls


def test_startup_opens_window(qtbot, tasks, sqlite_url, dialogs):
    startup = _start(qtbot, tasks, sqlite_url, offer_demo=False)
    window = startup.window
    assert window.isVisible()
    assert window.windowTitle() == "大客户管理控制台"
    assert window.status_db.text() == startup.opened.db.description
    assert dialogs.critical == [] and dialogs.questions == []
    assert startup.escalation is not None and startup.escalation.timer.isActive()  # overdue stages escalate
    window.close()
    startup.opened.db.dispose()


def test_first_start_offers_demo_and_loads_it(qtbot, tasks, sqlite_url, dialogs, fake_demo):
    dialogs.answer = QMessageBox.StandardButton.Yes
    startup = _start(qtbot, tasks, sqlite_url, offer_demo=True)
    qtbot.waitUntil(lambda: len(fake_demo) == 1, timeout=10_000)
    assert dialogs.questions[0].startswith("首次启动：是否加载小规模演示数据？")
    call = fake_demo[0]
    assert (call["scale"], call["seed"], call["force"]) == ("small", 1, False)
    assert call["db"] is startup.opened.db
    window = startup.window
    qtbot.waitUntil(window.status_demo.isVisible, timeout=10_000)  # refreshed after seeding
    qtbot.waitUntil(lambda: "12 名员工" in window.statusBar().currentMessage(), timeout=5000)
    window.close()
    startup.opened.db.dispose()


def test_declined_demo_is_not_offered_again(qtbot, tasks, sqlite_url, dialogs, fake_demo):
    first = _start(qtbot, tasks, sqlite_url, offer_demo=True)
    qtbot.waitUntil(lambda: len(dialogs.questions) == 1, timeout=10_000)
    assert fake_demo == []
    assert len(S.DEMO_DECLINED.get(S.app_settings())) == 1
    first.window.close()
    first.opened.db.dispose()

    second = _start(qtbot, tasks, sqlite_url, offer_demo=True)
    qtbot.wait(100)
    assert len(dialogs.questions) == 1
    second.window.close()
    second.opened.db.dispose()


def test_no_offer_when_disabled(qtbot, tasks, sqlite_url, dialogs, fake_demo):
    startup = _start(qtbot, tasks, sqlite_url, offer_demo=False)
    qtbot.wait(100)
    assert dialogs.questions == []
    startup.window.close()
    startup.opened.db.dispose()


def test_no_offer_without_demo_generator(qtbot, tasks, sqlite_url, dialogs, monkeypatch):
    monkeypatch.setitem(sys.modules, "kam_console.demo", None)  # import fails, as before demo.py exists
    startup = _start(qtbot, tasks, sqlite_url, offer_demo=True)
    qtbot.wait(100)
    assert dialogs.questions == []
    startup.window.close()
    startup.opened.db.dispose()


def test_no_offer_when_data_present(qtbot, tasks, sqlite_db, sqlite_url, dialogs, fake_demo):
    with sqlite_db.session() as session:
        group_id = session.query(OrgUnit.id).filter_by(code="000000").scalar()
        session.add(Staff(employee_no="E0001", name="张三", unit_id=group_id, position="customer_manager"))
    startup = _start(qtbot, tasks, sqlite_url, offer_demo=True)
    qtbot.wait(100)
    assert dialogs.questions == []
    startup.window.close()
    startup.opened.db.dispose()


# --- the core status service ---------------------------------------------------------------------


def test_status_service(db):
    with db.session() as session:
        assert not has_business_data(session)  # reference data alone is not business data
        assert not is_demo(session)
        group_id = session.query(OrgUnit.id).filter_by(code="000000").scalar()
        session.add(Staff(employee_no="E0001", name="张三", unit_id=group_id, position="customer_manager"))
    with db.session() as session:
        assert has_business_data(session)
        session.add(AppSetting(key=DEMO_SEED_KEY, value="small/1"))
    with db.session() as session:
        assert is_demo(session)
