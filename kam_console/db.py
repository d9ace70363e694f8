"""Storage: which database, how to connect, and how its schema reaches the current head.

- The embedded default is a SQLite file in the per-user data directory (WAL, foreign keys on for every
  connection). ``--db URL`` or ``KAM_DATABASE_URL`` selects another database, e.g. PostgreSQL
  (``postgresql://user@host/db``, driven by psycopg 3).
- Alembic is the only way the schema changes. ``open_database(..., migrate=True)`` refuses a database
  migrated by a newer version, copies an existing SQLite file to a versioned backup before migrating
  it, migrates to head and installs the reference data into an empty database.
"""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine, create_engine, event, inspect, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from kam_console import paths
from kam_console.errors import (
    DatabaseUnavailable,
    MigrationFailed,
    NotADatabase,
    SchemaTooNew,
)

ENV_URL = "KAM_DATABASE_URL"


def resolve_url(url: str | None = None) -> URL:
    """The database URL: the argument, else ``KAM_DATABASE_URL``, else the embedded default.

    A bare file path is taken as a SQLite file; ``postgresql://`` selects the psycopg 3 driver.
    """
    raw = url or os.environ.get(ENV_URL) or ""
    if not raw:
        return make_url(f"sqlite:///{paths.default_database_path()}")
    if "://" not in raw:
        return make_url(f"sqlite:///{Path(raw).expanduser().resolve()}")
    try:
        parsed = make_url(raw)
    except ArgumentError:
        raise DatabaseUnavailable(f"数据库地址无法识别：{raw}", f"cannot parse database URL: {raw}") from None
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    if parsed.get_backend_name() not in ("sqlite", "postgresql"):
        raise DatabaseUnavailable(
            f"不支持的数据库类型：{parsed.get_backend_name()}（仅支持 SQLite 与 PostgreSQL）",
            "only SQLite and PostgreSQL are supported",
        )
    return parsed


def describe_url(url: URL) -> str:
    """A short, password-free description for status bars and messages."""
    if url.get_backend_name() == "sqlite":
        return f"嵌入式数据库 {url.database}"
    where = f"{url.host or 'localhost'}:{url.port or 5432}/{url.database or ''}"
    return f"PostgreSQL {where}（用户 {url.username or '—'}）"


def _sqlite_on_connect(dbapi_conn: sqlite3.Connection, _record) -> None:
    # pysqlite's own transaction handling never wraps DDL, so a failed migration could leave the
    # file half-changed. Turn it off and let SQLAlchemy emit BEGIN itself (see _sqlite_on_begin):
    # then schema changes are transactional too.
    dbapi_conn.isolation_level = None
    cur = dbapi_conn.cursor()
    try:
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=10000")
        if dbapi_conn.execute("PRAGMA journal_mode").fetchone()[0] != "memory":
            cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
    finally:
        cur.close()


def _sqlite_on_begin(conn) -> None:
    conn.exec_driver_sql("BEGIN")


def make_engine(url: URL | str) -> Engine:
    url = make_url(url) if isinstance(url, str) else url
    if url.get_backend_name() == "sqlite":
        engine = create_engine(url, connect_args={"timeout": 10})
        event.listen(engine, "connect", _sqlite_on_connect)
        event.listen(engine, "begin", _sqlite_on_begin)
        return engine
    return create_engine(url, pool_pre_ping=True, connect_args={"connect_timeout": 5})


def _translate_connect_error(url: URL, exc: BaseException) -> Exception:
    msg = str(getattr(exc, "orig", exc) or exc)
    low = msg.lower()
    if url.get_backend_name() == "sqlite":
        if "not a database" in low or "file is encrypted" in low:
            return NotADatabase(
                f"文件不是 SQLite 数据库：{url.database}（未作任何改动）",
                f"not a SQLite database: {url.database} (left untouched)",
            )
        return DatabaseUnavailable(f"无法打开数据库文件 {url.database}：{msg}", f"cannot open {url.database}")
    where = describe_url(url)
    if "password authentication failed" in low or "no password supplied" in low:
        return DatabaseUnavailable(f"数据库登录失败，用户名或密码错误：{where}", "authentication failed")
    if "does not exist" in low and "database" in low:
        return DatabaseUnavailable(f"数据库不存在：{where}", "database does not exist")
    return DatabaseUnavailable(
        f"无法连接数据库服务器：{where}。请检查地址、端口和网络后重试。",
        f"cannot reach the database server: {msg.strip().splitlines()[0] if msg.strip() else 'unknown'}",
    )


def check_sqlite_file(url: URL) -> None:
    """Refuse a file that exists but is not a SQLite database, before anything touches it."""
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return
    path = Path(url.database)
    if path.exists() and path.stat().st_size > 0:
        with path.open("rb") as f:
            header = f.read(16)
        if header != b"SQLite format 3\x00":
            raise NotADatabase(
                f"文件不是 SQLite 数据库：{path}（未作任何改动）", f"not a SQLite database: {path} (left untouched)"
            )
    elif not path.parent.exists():
        path.parent.mkdir(parents=True, exist_ok=True)


def connect_check(engine: Engine) -> None:
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except DBAPIError as exc:
        raise _translate_connect_error(engine.url, exc) from None


@dataclass
class Database:
    """An opened database: its engine, a session factory and a description for people."""

    url: URL
    engine: Engine
    sessions: sessionmaker[Session]

    @property
    def is_sqlite(self) -> bool:
        return self.url.get_backend_name() == "sqlite"

    @property
    def description(self) -> str:
        return describe_url(self.url)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """One transaction: commits on success, rolls back on error."""
        with self.sessions.begin() as s:
            yield s

    def dispose(self) -> None:
        self.engine.dispose()


def open_database(url: str | URL | None = None, *, migrate: bool = True, progress=None) -> Database:
    """Open (and by default migrate) the database named by ``url`` / the environment / the default."""
    resolved = url if isinstance(url, URL) else resolve_url(url)
    check_sqlite_file(resolved)
    engine = make_engine(resolved)
    try:
        connect_check(engine)
        if migrate:
            upgrade(engine, progress=progress)
        else:
            check_not_newer(engine)
    except BaseException:
        engine.dispose()
        raise
    return Database(url=resolved, engine=engine, sessions=sessionmaker(engine, expire_on_commit=False))


# --- migrations -------------------------------------------------------------------------------


def alembic_config(connection=None):
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(paths.migrations_dir()))
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


def head_revision() -> str:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def known_revisions() -> set[str]:
    from alembic.script import ScriptDirectory

    return {rev.revision for rev in ScriptDirectory.from_config(alembic_config()).walk_revisions()}


def current_revision(engine: Engine) -> str | None:
    try:
        with engine.connect() as conn:
            if not inspect(conn).has_table("alembic_version"):
                return None
            return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    except DBAPIError as exc:
        raise _translate_connect_error(engine.url, exc) from None


def check_not_newer(engine: Engine) -> str | None:
    rev = current_revision(engine)
    if rev is not None and rev not in known_revisions():
        raise SchemaTooNew(
            f"数据库由更新版本的 KAM Console 迁移（版本 {rev}），本程序不能使用它，也不会降级它。请升级程序。",
            f"database schema {rev} is newer than this program; refusing to use or downgrade it",
        )
    return rev


def backup_sqlite(engine: Engine, revision: str) -> Path | None:
    """Copy the SQLite file to ``<name>.<revision>.<timestamp>.bak`` with SQLite's online backup."""
    db_path = Path(engine.url.database or "")
    if not db_path.is_file():
        return None
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    target = db_path.with_name(f"{db_path.name}.{revision}.{stamp}.bak")
    src = sqlite3.connect(db_path)
    try:
        dst = sqlite3.connect(target)
        try:
            src.backup(dst)
        finally:
            dst.close()
    finally:
        src.close()
    return target


def _run_upgrade(engine: Engine) -> None:
    """Run the revisions in one transaction. On SQLite, foreign keys are off while batch operations
    rebuild tables (as SQLite's documentation prescribes) and checked before the commit."""
    from alembic import command

    with engine.connect() as conn:
        sqlite = engine.url.get_backend_name() == "sqlite"
        if sqlite:
            conn.connection.driver_connection.execute("PRAGMA foreign_keys=OFF")
        try:
            with conn.begin():
                command.upgrade(alembic_config(conn), "head")
                if sqlite:
                    broken = conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                    if broken:
                        raise MigrationFailed(f"迁移后外键检查失败：{broken[:5]}", "foreign key check failed")
        finally:
            if sqlite:
                conn.connection.driver_connection.execute("PRAGMA foreign_keys=ON")


def upgrade(engine: Engine, *, progress=None) -> str:
    """Migrate to head; install reference data into an empty database. Returns the head revision."""
    from kam_console import refdata

    current = check_not_newer(engine)
    head = head_revision()
    backup = None
    if current != head:
        if engine.url.get_backend_name() == "sqlite" and current is not None:
            backup = backup_sqlite(engine, current)
        if progress:
            progress(0, 1, "正在升级数据库结构…")
        try:
            _run_upgrade(engine)
        except Exception as exc:
            where = f"，备份文件：{backup}" if backup else ""
            raise MigrationFailed(f"数据库升级失败：{exc}{where}", "schema migration failed") from exc
    with sessionmaker(engine).begin() as session:
        refdata.install_if_empty(session)
    return head
