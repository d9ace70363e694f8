"""Bad databases get a clear message and lose nothing: unreachable servers, wrong passwords, files that
are not SQLite databases, databases migrated by a newer version; and a migration backs up first."""

from __future__ import annotations

import hashlib
import shutil
import socket
import struct
import threading
from pathlib import Path

import pytest
from sqlalchemy import func, inspect, select, text

from kam_console import paths
from kam_console.cli import main as kam
from kam_console.db import head_revision, make_engine, open_database, resolve_url
from kam_console.errors import DatabaseUnavailable, MigrationFailed, NotADatabase, SchemaTooNew
from kam_console.models import OrgUnit


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_unreachable_server_is_a_clear_error(capsys):
    url = f"postgresql://postgres@127.0.0.1:{_free_port()}/kam"
    with pytest.raises(DatabaseUnavailable) as err:
        open_database(url)
    assert "无法连接数据库服务器" in err.value.zh
    assert kam(["--db", url, "org", "list"]) == 1
    out = capsys.readouterr()
    assert out.out == ""
    lines = out.err.strip().splitlines()
    assert len(lines) == 1 and "无法连接数据库服务器" in lines[0]


class FakePgRefusingPassword(threading.Thread):
    """Speaks just enough of the PostgreSQL protocol to ask for a password and reject it (28P01)."""

    def __init__(self):
        super().__init__(daemon=True)
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen()
        self.port = self.sock.getsockname()[1]
        self.sock.settimeout(10)

    def _read(self, conn, n):
        buf = b""
        while len(buf) < n:
            chunk = conn.recv(n - len(buf))
            if not chunk:
                raise ConnectionError
            buf += chunk
        return buf

    def _serve(self, conn):
        while True:  # SSL / GSS encryption requests come first: decline them
            (length,) = struct.unpack("!I", self._read(conn, 4))
            body = self._read(conn, length - 4)
            code = struct.unpack("!I", body[:4])[0]
            if code in (80877103, 80877104):
                conn.sendall(b"N")
                continue
            break
        conn.sendall(b"R" + struct.pack("!II", 8, 3))  # AuthenticationCleartextPassword
        kind = self._read(conn, 1)
        (length,) = struct.unpack("!I", self._read(conn, 4))
        self._read(conn, length - 4)
        assert kind == b"p"
        fields = (
            b"".join(
                k + v.encode() + b"\0"
                for k, v in [
                    (b"S", "FATAL"),
                    (b"V", "FATAL"),
                    (b"C", "28P01"),
                    (b"M", 'password authentication failed for user "zhang"'),
                ]
            )
            + b"\0"
        )
        conn.sendall(b"E" + struct.pack("!I", len(fields) + 4) + fields)

    def run(self):
        try:
            while True:
                conn, _ = self.sock.accept()
                with conn:
                    try:
                        self._serve(conn)
                    except (ConnectionError, OSError, AssertionError):
                        pass
        except OSError:
            return


def test_wrong_password_is_a_clear_error(capsys):
    server = FakePgRefusingPassword()
    server.start()
    url = f"postgresql://zhang:wrong@127.0.0.1:{server.port}/kam?sslmode=disable&gssencmode=disable"
    try:
        with pytest.raises(DatabaseUnavailable) as err:
            open_database(url)
        assert "用户名或密码错误" in err.value.zh
        assert "wrong" not in str(err.value)  # never echo the password
        assert kam(["--db", url, "db", "upgrade"]) == 1
        assert "用户名或密码错误" in capsys.readouterr().err
    finally:
        server.sock.close()


def test_missing_database_on_real_server(pg_server):
    url = pg_server.url_for("kam_does_not_exist_4711")
    with pytest.raises(DatabaseUnavailable) as err:
        open_database(url)
    assert "数据库不存在" in err.value.zh


def test_file_that_is_not_sqlite_is_refused_untouched(tmp_path, capsys):
    path = tmp_path / "客户名单.xlsx"
    path.write_bytes(b"PK\x03\x04 this is a spreadsheet, not a database" * 100)
    before = _digest(path)
    with pytest.raises(NotADatabase) as err:
        open_database(str(path))
    assert "不是 SQLite 数据库" in err.value.zh
    assert kam(["--db", f"sqlite:///{path}", "db", "upgrade"]) == 1
    assert "不是 SQLite 数据库" in capsys.readouterr().err
    assert _digest(path) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == [path.name]  # no -wal/-shm, no backup


def test_database_from_a_newer_version_is_refused(db_url, capsys):
    database = open_database(db_url)
    with database.session() as s:
        s.execute(text("UPDATE alembic_version SET version_num = '9999_future'"))
    database.dispose()
    with pytest.raises(SchemaTooNew) as err:
        open_database(db_url)
    assert "更新版本" in err.value.zh
    assert kam(["--db", db_url, "db", "upgrade"]) == 1
    assert "不会降级" in capsys.readouterr().err
    engine = make_engine(resolve_url(db_url))
    with engine.connect() as conn:
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == "9999_future"
        assert conn.execute(select(func.count()).select_from(OrgUnit)).scalar() == 1 + 31 + 337
    engine.dispose()


NEXT_REVISION = '''"""test-only next revision"""
import sqlalchemy as sa
from alembic import op

revision = "0002_next"
down_revision = "{head}"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table("next_feature", sa.Column("id", sa.Integer, primary_key=True))
    with op.batch_alter_table("org_unit") as batch:
        batch.add_column(sa.Column("remark", sa.String(50)))
    {fail}


def downgrade():
    with op.batch_alter_table("org_unit") as batch:
        batch.drop_column("remark")
    op.drop_table("next_feature")
'''


@pytest.fixture
def next_version(tmp_path, monkeypatch):
    """A copy of the migrations with one more revision, as the next release would ship it."""
    head = head_revision()

    def make(fail: bool):
        target = tmp_path / ("migrations_fail" if fail else "migrations_next")
        shutil.copytree(paths.migrations_dir(), target, ignore=shutil.ignore_patterns("__pycache__"))
        body = NEXT_REVISION.format(head=head, fail='raise RuntimeError("boom")' if fail else "pass")
        (target / "versions" / "0002_next.py").write_text(body, encoding="utf-8")
        monkeypatch.setattr(paths, "migrations_dir", lambda: target)

    return make


def test_sqlite_is_backed_up_before_migrating(sqlite_url, next_version):
    path = Path(sqlite_url.removeprefix("sqlite:///"))
    old_head = head_revision()
    database = open_database(sqlite_url)
    with database.session() as s:
        s.execute(text("UPDATE org_unit SET short_name = '羊城' WHERE code = '440100'"))
    database.dispose()
    next_version(fail=False)
    database = open_database(sqlite_url)
    with database.session() as s:
        assert s.execute(text("SELECT version_num FROM alembic_version")).scalar() == "0002_next"
        assert s.execute(text("SELECT short_name FROM org_unit WHERE code = '440100'")).scalar() == "羊城"
    database.dispose()
    backups = sorted(path.parent.glob(f"{path.name}.{old_head}.*.bak"))
    assert len(backups) == 1
    import sqlite3

    with sqlite3.connect(backups[0]) as conn:
        assert conn.execute("SELECT version_num FROM alembic_version").fetchone()[0] == old_head
        assert conn.execute("SELECT short_name FROM org_unit WHERE code = '440100'").fetchone()[0] == "羊城"


def test_failed_migration_leaves_database_as_it_was(db_url, next_version):
    old_head = head_revision()
    database = open_database(db_url)
    database.dispose()
    next_version(fail=True)
    with pytest.raises(MigrationFailed) as err:
        open_database(db_url)
    assert "数据库升级失败" in err.value.zh
    engine = make_engine(resolve_url(db_url))
    with engine.connect() as conn:
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == old_head
        insp = inspect(conn)
        assert not insp.has_table("next_feature")
        assert "remark" not in {c["name"] for c in insp.get_columns("org_unit")}
        assert conn.execute(select(func.count()).select_from(OrgUnit)).scalar() == 1 + 31 + 337
    engine.dispose()
