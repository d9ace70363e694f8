"""Reference catalogues the UI offers as choices (e.g. the industries a staff member may specialise in)."""

from __future__ import annotations

from sqlalchemy import Connection, select

from kam_console.models import Industry, Product


def list_industries(conn: Connection, *, include_inactive: bool = False) -> list[tuple[str, str]]:
    """The industry catalogue as (code, name) pairs in catalogue order; active industries only unless
    ``include_inactive``."""
    query = select(Industry.code, Industry.name)
    if not include_inactive:
        query = query.where(Industry.active.is_(True))
    return [(code, name) for code, name in conn.execute(query.order_by(Industry.sort_order, Industry.code))]


def list_products(conn: Connection) -> list[tuple[str, str]]:
    """The product catalogue as (code, name) pairs in catalogue order."""
    return [
        (code, name) for code, name in conn.execute(select(Product.code, Product.name).order_by(Product.sort_order))
    ]
