"""Fast bulk writes for the demo seeder, inside the caller's SQLAlchemy transaction.

Millions of rows cannot go through ORM objects (see PERFORMANCE.md): on SQLite the rows go to the
driver's ``executemany`` on the same connection (one transaction), on PostgreSQL through psycopg 3's
binary ``COPY``. Values are converted exactly as SQLAlchemy would store them (its own bind processors on
SQLite), so the ORM reads the rows back the same way as rows it wrote itself.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager

from sqlalchemy import BigInteger, Boolean, Connection, Date, DateTime, Integer, String, Table, Text, text
from sqlalchemy.exc import DBAPIError

# psycopg binary COPY needs each column's PostgreSQL type.
_PG_TYPES = (
    (BigInteger, "int8"),
    (Integer, "int4"),
    (Boolean, "bool"),
    (DateTime, "timestamptz"),
    (Date, "date"),
    (Text, "text"),
    (String, "varchar"),
)


def _pg_type(column) -> str:
    for sa_type, name in _PG_TYPES:
        if isinstance(column.type, sa_type):
            if name == "timestamptz" and not column.type.timezone:
                return "timestamp"
            return name
    raise TypeError(f"no COPY type for {column.table.name}.{column.name} ({column.type!r})")


class BulkWriter:
    """Appends rows (tuples in the order of ``columns``) to tables on one connection."""

    def __init__(self, connection: Connection):
        self.connection = connection
        self.dialect = connection.dialect
        self.is_sqlite = self.dialect.name == "sqlite"
        self.rows_written: dict[str, int] = {}

    def write(self, table: Table, columns: Sequence[str], rows: Iterable[Sequence]) -> int:
        cols = [table.c[name] for name in columns]
        if self.is_sqlite:
            count = self._write_sqlite(table, cols, rows)
        else:
            count = self._write_pg(table, cols, rows)
        self.rows_written[table.name] = self.rows_written.get(table.name, 0) + count
        return count

    def _write_sqlite(self, table: Table, cols, rows) -> int:
        processors = [c.type.dialect_impl(self.dialect).bind_processor(self.dialect) for c in cols]
        if any(processors):
            indexed = [(i, p) for i, p in enumerate(processors) if p is not None]

            def convert(row):
                row = list(row)
                for i, p in indexed:
                    if row[i] is not None:
                        row[i] = p(row[i])
                return row

            rows = map(convert, rows)
        if not isinstance(rows, list | tuple):
            rows = list(rows)
        sql = f"INSERT INTO {table.name} ({', '.join(c.name for c in cols)}) VALUES ({', '.join('?' * len(cols))})"
        cursor = self.connection.connection.driver_connection.cursor()
        try:
            cursor.executemany(sql, rows)
        finally:
            cursor.close()
        return len(rows)

    def _write_pg(self, table: Table, cols, rows) -> int:
        names = ", ".join(f'"{c.name}"' for c in cols)
        count = 0
        with self.connection.connection.driver_connection.cursor() as cursor:
            with cursor.copy(f'COPY "{table.name}" ({names}) FROM STDIN (FORMAT BINARY)') as copy:
                copy.set_types([_pg_type(c) for c in cols])
                for row in rows:
                    copy.write_row(row)
                    count += 1
        return count

    def reset_sequences(self, tables: Iterable[Table]) -> None:
        """After explicit ids, point PostgreSQL's id sequences past them (SQLite needs nothing)."""
        if self.is_sqlite:
            return
        for table in tables:
            self.connection.execute(
                text(
                    f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'),"
                    f' COALESCE((SELECT MAX(id) FROM "{table.name}"), 0) + 1, false)'
                )
            )


def clear_tables(connection: Connection, tables: Sequence[Table]) -> None:
    """Delete every row of ``tables``, given children first, in the caller's transaction.

    PostgreSQL: a table nothing references is TRUNCATEd (deleting millions of revenue rows one by one
    is slow and bloats the table); the rest are DELETEd, so a table another feature references only
    fails when that reference actually holds rows — the transaction then rolls back and nothing changes.
    SQLite's DELETE without WHERE already truncates tables that are not foreign-key parents.
    """
    for table in tables:
        if table.name == "account":
            # Parent accounts are RESTRICTed while their branches exist; SQLite checks RESTRICT per row.
            connection.execute(text("UPDATE account SET parent_id = NULL WHERE parent_id IS NOT NULL"))
        if table.name == "staff":
            connection.execute(text("UPDATE staff SET line_manager_id = NULL WHERE line_manager_id IS NOT NULL"))
            # The SLA table is configuration and stays; only the note of who last changed a rule goes.
            connection.execute(text("UPDATE sla_rule SET updated_by_id = NULL WHERE updated_by_id IS NOT NULL"))
        if connection.dialect.name == "postgresql" and not _pg_is_referenced(connection, table.name):
            connection.execute(text(f'TRUNCATE TABLE "{table.name}"'))
        else:
            connection.execute(table.delete())


def _pg_is_referenced(connection: Connection, table_name: str) -> bool:
    return bool(
        connection.execute(
            text("SELECT count(*) FROM pg_constraint WHERE contype = 'f' AND confrelid = to_regclass(:t)"),
            {"t": table_name},
        ).scalar()
    )


@contextmanager
def foreign_keys_suspended(connection: Connection, tables: Sequence[Table]) -> Iterator[None]:
    """On PostgreSQL, load ``tables`` without their own foreign keys and put the keys back afterwards.

    PostgreSQL checks every foreign key of every inserted row with a trigger; for millions of rows that
    costs more than the load itself. Re-adding a constraint checks all rows in one join instead. The keys
    are re-created from their own definitions (``pg_get_constraintdef``) in the same transaction, so a
    failure rolls the drop back too. Where the user may not alter the tables, the load simply runs with
    the constraints in place. SQLite checks keys cheaply in-process: nothing to do there.
    """
    if connection.dialect.name != "postgresql":
        yield
        return
    definitions = connection.execute(
        text(
            "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint"
            " WHERE contype = 'f' AND conrelid = ANY(CAST(:names AS regclass[])) ORDER BY 1, 2"
        ),
        {"names": [t.name for t in tables]},
    ).all()
    try:
        with connection.begin_nested():
            for table, name, _definition in definitions:
                connection.execute(text(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"'))
    except DBAPIError:
        definitions = []
    yield
    for table, name, definition in definitions:
        connection.execute(text(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}'))
