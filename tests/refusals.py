"""A refusal test in one call: the change raises the expected error naming what is wrong, and the tables
it would have touched are exactly as before."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import pytest
from sqlalchemy import text


def table_rows(conn, tables: Sequence[str]) -> dict[str, list[tuple]]:
    return {t: [tuple(r) for r in conn.execute(text(f"SELECT * FROM {t} ORDER BY 1"))] for t in tables}


def assert_refused(db, call: Callable, tables: Sequence[str], fragments: Sequence[str], error) -> str:
    """Run ``call(conn)`` in a transaction; it must raise ``error`` whose message holds every fragment,
    and ``tables`` must hold the same rows afterwards. Returns the message."""
    with db.engine.connect() as conn:
        before = table_rows(conn, tables)
    with pytest.raises(error) as info, db.engine.begin() as conn:
        call(conn)
    for fragment in fragments:
        assert fragment in str(info.value), str(info.value)
    with db.engine.connect() as conn:
        assert table_rows(conn, tables) == before
    return str(info.value)
