"""Alembic environment: runs revisions on the connection KAM Console hands over (or opens one).

``render_as_batch=True`` for every database, so the same revisions work on SQLite (which rebuilds a
table to alter it) and PostgreSQL.
"""

from alembic import context

from kam_console.models import Base

config = context.config
target_metadata = Base.metadata


def _run(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=True,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    from kam_console.db import make_engine, resolve_url

    engine = make_engine(resolve_url(config.get_main_option("sqlalchemy.url") or None))
    with engine.begin() as conn:
        _run(conn)
    engine.dispose()


if context.is_offline_mode():
    raise SystemExit("offline (SQL script) migrations are not supported")
run_migrations_online()
