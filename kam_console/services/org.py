"""The KA hierarchy as people see it: units, their superiors on both lines, and the tree."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from kam_console.errors import NotFound, ValidationError
from kam_console.models import UNIT_LEVELS, LocalCompany, OrgUnit


@dataclass(frozen=True)
class OrgUnitRow:
    id: int
    code: str
    name: str
    short_name: str
    level: str
    parent_code: str | None
    local_company: str | None
    active: bool


@dataclass
class OrgNode:
    """A unit in the tree, with its children in code order."""

    unit: OrgUnitRow
    children: list[OrgNode]


def _rows_query():
    parent = aliased(OrgUnit)
    return (
        select(
            OrgUnit.id,
            OrgUnit.code,
            OrgUnit.name,
            OrgUnit.short_name,
            OrgUnit.level,
            parent.code,
            LocalCompany.name,
            OrgUnit.active,
        )
        .outerjoin(parent, OrgUnit.parent_id == parent.id)
        .outerjoin(LocalCompany, OrgUnit.local_company_id == LocalCompany.id)
        .order_by(OrgUnit.code)
    )


def in_subtree(path: str, ancestor_path: str) -> bool:
    """Whether the unit at ``path`` is ``ancestor_path``'s unit or lies below it on the KA line."""
    return path == ancestor_path or path.startswith(ancestor_path + "/")


def list_org_units(session: Session, *, level: str | None = None, parent_code: str | None = None) -> list[OrgUnitRow]:
    """Units, optionally of one level and/or directly below one parent, in code order."""
    query = _rows_query()
    if level is not None:
        if level not in UNIT_LEVELS:
            raise ValidationError(f"未知的层级：{level}（可选 {', '.join(UNIT_LEVELS)}）", f"unknown level {level!r}")
        query = query.where(OrgUnit.level == level)
    if parent_code is not None:
        parent_id = session.scalar(select(OrgUnit.id).where(OrgUnit.code == parent_code))
        if parent_id is None:
            raise NotFound(f"没有代码为 {parent_code} 的单位", f"no unit with code {parent_code}")
        query = query.where(OrgUnit.parent_id == parent_id)
    return [OrgUnitRow(*row) for row in session.execute(query)]


def get_org_unit(session: Session, *, code: str) -> OrgUnitRow:
    row = session.execute(_rows_query().where(OrgUnit.code == code)).first()
    if row is None:
        raise NotFound(f"没有代码为 {code} 的单位", f"no unit with code {code}")
    return OrgUnitRow(*row)


def org_tree(session: Session) -> list[OrgNode]:
    """The whole KA line as a forest (normally one root: the group unit)."""
    rows = list_org_units(session)
    nodes = {row.code: OrgNode(row, []) for row in rows}
    roots: list[OrgNode] = []
    for row in rows:
        node = nodes[row.code]
        if row.parent_code and row.parent_code in nodes:
            nodes[row.parent_code].children.append(node)
        else:
            roots.append(node)
    return roots
