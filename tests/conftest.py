"""Shared fixtures.

- Every test runs with its own data directory (``KAM_DATA_DIR``) so nothing touches a real user's files.
- ``db``: a freshly migrated database with reference data, per test. The schema is migrated once per
  session into a template (a SQLite file / a PostgreSQL template database) and copied for each test.
  It runs on SQLite always, and on PostgreSQL too when ``KAM_TEST_PG_URL`` names a server
  (e.g. ``postgresql://postgres@127.0.0.1/test``). Under ``CI=true`` an unreachable server fails the run.
- ``sqlite_db``: the same, SQLite only, for tests that are about the embedded file itself.
"""

from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

PG_ENV = "KAM_TEST_PG_URL"


def pg_admin_url() -> str | None:
    return os.environ.get(PG_ENV) or None


def _backends() -> list[str]:
    return ["sqlite", "postgresql"] if pg_admin_url() else ["sqlite"]


@pytest.fixture(autouse=True)
def _isolated_data_dir(tmp_path_factory, monkeypatch):
    data = tmp_path_factory.mktemp("kamdata")
    monkeypatch.setenv("KAM_DATA_DIR", str(data))
    monkeypatch.delenv("KAM_DATABASE_URL", raising=False)
    return data


# --- SQLite -----------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory) -> Path:
    from kam_console.db import open_database

    path = tmp_path_factory.mktemp("template") / "template.sqlite3"
    db = open_database(f"sqlite:///{path}")
    db.dispose()  # the last connection to close checkpoints the WAL into the main file
    assert not path.with_name(path.name + "-wal").exists()
    return path


@pytest.fixture
def sqlite_url(sqlite_template, tmp_path) -> str:
    path = tmp_path / "kam.sqlite3"
    shutil.copyfile(sqlite_template, path)
    return f"sqlite:///{path}"


@pytest.fixture
def sqlite_db(sqlite_url):
    from kam_console.db import open_database

    db = open_database(sqlite_url)
    yield db
    db.dispose()


# --- PostgreSQL -------------------------------------------------------------------------------


class PgServer:
    """Creates and drops uniquely named databases on the test server."""

    def __init__(self, admin_url: str):
        from sqlalchemy import create_engine
        from sqlalchemy.engine import make_url

        url = make_url(admin_url)
        if url.drivername in ("postgresql", "postgres"):
            url = url.set(drivername="postgresql+psycopg")
        self.admin_url = url
        self.engine = create_engine(url, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 5})

    def url_for(self, name: str) -> str:
        return self.admin_url.set(database=name).render_as_string(hide_password=False)

    def create(self, prefix: str, template: str | None = None) -> str:
        name = f"{prefix}_{uuid.uuid4().hex[:12]}"
        with self.engine.connect() as conn:
            tpl = f" TEMPLATE {template}" if template else ""
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"{tpl}')
        return name

    def drop(self, name: str) -> None:
        with self.engine.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def pg_server():
    admin = pg_admin_url()
    if not admin:
        pytest.skip(f"{PG_ENV} not set: PostgreSQL tests skipped")
    server = PgServer(admin)
    try:
        with server.engine.connect() as conn:
            conn.exec_driver_sql("SELECT 1")
    except Exception as exc:  # noqa: BLE001 - any failure to reach it means the same thing
        message = f"PostgreSQL test server unreachable at {admin}: {exc}"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    yield server
    server.engine.dispose()


@pytest.fixture(scope="session")
def pg_template(pg_server):
    from kam_console.db import open_database

    name = pg_server.create("kam_tpl")
    db = open_database(pg_server.url_for(name))
    db.dispose()
    yield name
    pg_server.drop(name)


@pytest.fixture
def pg_url(pg_server, pg_template):
    name = pg_server.create("kam_t", template=pg_template)
    yield pg_server.url_for(name)
    pg_server.drop(name)


@pytest.fixture
def pg_empty_url(pg_server):
    """A brand-new, empty PostgreSQL database (no schema)."""
    name = pg_server.create("kam_e")
    yield pg_server.url_for(name)
    pg_server.drop(name)


# --- either -----------------------------------------------------------------------------------


@pytest.fixture(params=_backends())
def db_url(request) -> str:
    if request.param == "sqlite":
        return request.getfixturevalue("sqlite_url")
    return request.getfixturevalue("pg_url")


@pytest.fixture
def db(db_url):
    from kam_console.db import open_database

    database = open_database(db_url)
    yield database
    database.dispose()


@pytest.fixture(params=_backends())
def empty_db_url(request, tmp_path) -> str:
    """A database with no schema at all, on each backend."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'empty.sqlite3'}"
    return request.getfixturevalue("pg_empty_url")
