"""The responsible-manager rule (客户经理负责制, DESIGN §1): every account — each branch of a national
account included — has exactly one responsible customer manager, at the unit that owns it (or, for a
national account's branch, in the branch's own city). This module lists where the data breaks the
rule, for the unit that can fix it: the owning unit, and every unit above it.

Kinds of conflict:
- ``unassigned``: nobody is responsible;
- ``manager_left``: the responsible manager has been deactivated;
- ``manager_elsewhere``: the manager sits neither in the owning unit nor in the account's serving city
  (a team role that would justify it arrives with virtual teams);
- ``claimed_twice``: the manager history has more than one open entry, or its open entry names
  someone else than the account — two people claim the account.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, and_, func, or_, select
from sqlalchemy.orm import aliased

from kam_console.errors import NotFound
from kam_console.models import Account, AccountManagerHistory, OrgUnit, Staff

KINDS = {
    "unassigned": "未指定负责客户经理",
    "manager_left": "负责客户经理已停用",
    "manager_elsewhere": "负责客户经理不在归属单位或服务地市",
    "claimed_twice": "多人同时登记为负责客户经理",
}


@dataclass(frozen=True)
class Conflict:
    account_id: int
    customer_no: str
    name: str
    kind: str
    label: str
    owner_unit: str  # short name of the unit that owns the account (and can fix it)
    serving_city: str
    manager: str | None
    detail: str
    is_branch: bool


def manager_conflicts(conn: Connection, *, unit: str, limit: int | None = 1000) -> list[Conflict]:
    """Conflicts of the accounts owned by ``unit`` or any unit below it, branches first."""
    scope = conn.execute(select(OrgUnit.path).where(OrgUnit.code == unit)).scalar()
    if scope is None:
        raise NotFound(f"没有代码为 {unit} 的单位", f"no unit with code {unit}")
    owner = aliased(OrgUnit)
    city = aliased(OrgUnit)
    mgr_unit = aliased(OrgUnit)
    open_history = (
        select(
            AccountManagerHistory.account_id.label("account_id"),
            func.count().label("open_rows"),
            func.min(AccountManagerHistory.staff_id).label("first_staff"),
            func.max(AccountManagerHistory.staff_id).label("last_staff"),
        )
        .where(AccountManagerHistory.valid_to.is_(None))
        .group_by(AccountManagerHistory.account_id)
        .subquery("open_history")
    )
    h = open_history.c
    claimed_twice = and_(
        h.open_rows.is_not(None),
        or_(
            h.open_rows > 1,
            Account.manager_id.is_(None),
            h.first_staff != Account.manager_id,
        ),
    )
    query = (
        select(
            Account.id,
            Account.customer_no,
            Account.name,
            Account.parent_id,
            owner.short_name,
            city.short_name,
            Staff.name,
            Staff.active,
            Account.manager_id,
            Staff.unit_id,
            Account.owner_unit_id,
            Account.serving_city_id,
            mgr_unit.short_name,
            h.open_rows,
            claimed_twice.label("claimed_twice"),
        )
        .join(owner, owner.id == Account.owner_unit_id)
        .join(city, city.id == Account.serving_city_id)
        .outerjoin(Staff, Staff.id == Account.manager_id)
        .outerjoin(mgr_unit, mgr_unit.id == Staff.unit_id)
        .outerjoin(open_history, h.account_id == Account.id)
        .where(or_(owner.path == scope, owner.path.like(scope + "/%")))
        .where(
            or_(
                Account.manager_id.is_(None),
                Staff.active.is_(False),
                and_(Staff.unit_id != Account.owner_unit_id, Staff.unit_id != Account.serving_city_id),
                claimed_twice,
            )
        )
        .where(Account.status != "churned")
        .order_by(Account.parent_id.is_(None), Account.customer_no)
    )
    if limit is not None:
        query = query.limit(limit)
    out = []
    for r in conn.execute(query):
        (
            acc_id,
            no,
            name,
            parent_id,
            owner_name,
            city_name,
            mgr_name,
            mgr_active,
            mgr_id,
            mgr_unit_id,
            owner_id,
            city_id,
            mgr_unit_name,
            open_rows,
            twice,
        ) = r
        if twice:
            kind = "claimed_twice"
            detail = f"负责客户经理变更记录中有 {open_rows} 条未结束的登记"
        elif mgr_id is None:
            kind, detail = "unassigned", "请在归属单位指定一名负责客户经理"
        elif not mgr_active:
            kind, detail = "manager_left", f"{mgr_name} 已停用，请移交给在岗客户经理"
        else:
            kind = "manager_elsewhere"
            detail = f"{mgr_name} 属于 {mgr_unit_name}，客户归属 {owner_name}、服务地市 {city_name}"
        out.append(
            Conflict(
                acc_id, no, name, kind, KINDS[kind], owner_name, city_name, mgr_name, detail, parent_id is not None
            )
        )
    return out
