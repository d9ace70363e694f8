"""Reference catalogues the UI offers as choices (e.g. the industries a staff member may specialise in, the
units an account may belong to)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import Connection, select

from kam_console.models import Industry, OrgUnit, Product
from kam_console.pinyin import initials


@dataclass(frozen=True)
class UnitChoice:
    """A KA unit as a picker offers it: 「广州（440100）」, found by name, code or pinyin initials."""

    code: str
    name: str  # e.g. 广州市大客户部
    short_name: str  # e.g. 广州
    level: str  # group | province | city | county
    path: str  # codes from the group down ("000000/440000/440100")
    active: bool
    initials: str  # pinyin initials of the short name, e.g. "gz"

    @property
    def label(self) -> str:
        return f"{self.short_name}（{self.code}）"

    def within(self, path: str) -> bool:
        """Whether this unit is the unit at ``path`` or lies below it."""
        return self.path == path or self.path.startswith(path + "/")


def list_industries(conn: Connection, *, include_inactive: bool = False) -> list[tuple[str, str]]:
    """The industry catalogue as (code, name) pairs in catalogue order; active industries only unless
    ``include_inactive``."""
    query = select(Industry.code, Industry.name)
    if not include_inactive:
        query = query.where(Industry.active.is_(True))
    return [(code, name) for code, name in conn.execute(query.order_by(Industry.sort_order, Industry.code))]


RETIRED_MARK = "（已停用）"


def industry_choices(
    conn: Connection, *, keep: Iterable[str] = (), include_retired: bool = False
) -> list[tuple[str, str]]:
    """The industries to offer when a record's industry is chosen: the active ones, plus any retired one
    in ``keep`` (the record's current industries), named with 已停用 so it is kept, not newly chosen.
    Filters over existing data pass ``include_retired``: every industry, retired ones so named."""
    kept = set(keep)
    rows = conn.execute(
        select(Industry.code, Industry.name, Industry.active).order_by(Industry.sort_order, Industry.code)
    ).all()
    return [
        (code, name if active else name + RETIRED_MARK)
        for code, name, active in rows
        if active or include_retired or code in kept
    ]


def list_products(conn: Connection) -> list[tuple[str, str]]:
    """The product catalogue as (code, name) pairs in catalogue order."""
    return [
        (code, name) for code, name in conn.execute(select(Product.code, Product.name).order_by(Product.sort_order))
    ]


def list_units(conn: Connection, *, include_inactive: bool = False) -> list[UnitChoice]:
    """The KA units in code order (active ones unless ``include_inactive``), with what a picker needs to
    match typed names, codes and pinyin initials."""
    query = select(
        OrgUnit.code, OrgUnit.name, OrgUnit.short_name, OrgUnit.level, OrgUnit.path, OrgUnit.active
    ).order_by(OrgUnit.code)
    if not include_inactive:
        query = query.where(OrgUnit.active.is_(True))
    return [
        UnitChoice(code, name, short_name, level, path, bool(active), initials(short_name))
        for code, name, short_name, level, path, active in conn.execute(query)
    ]
