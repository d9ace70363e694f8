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

from dataclasses import dataclass, field

from sqlalchemy import Connection, and_, case, func, or_, select
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


@dataclass(frozen=True)
class ConflictReport:
    """The first ``len(rows)`` conflicts of a unit (branches first, then by customer number) and how many
    there are in all, by kind."""

    rows: list[Conflict]
    total: int
    by_kind: dict[str, int] = field(default_factory=dict)  # every kind of ``KINDS``, 0 when there is none

    @property
    def truncated(self) -> bool:
        return self.total > len(self.rows)


def manager_conflicts(conn: Connection, *, unit: str, limit: int | None = 1000) -> list[Conflict]:
    """Conflicts of the accounts owned by ``unit`` or any unit below it, branches first."""
    return conflict_report(conn, unit=unit, limit=limit).rows


def conflict_report(conn: Connection, *, unit: str, limit: int | None = 1000) -> ConflictReport:
    """Up to ``limit`` conflicts of the accounts owned by ``unit`` or any unit below it (branches first,
    then by customer number), with the number of all of them, by kind — in one read.

    Unit names are looked up only for the rows returned, not joined to every account in scope. For the
    top unit (every account in scope) the open manager-history entries are counted for all accounts at
    once; below it each account in scope is checked with one probe of its own entries, instead of counting
    the entries of the whole country for a city."""
    found_unit = conn.execute(select(OrgUnit.path, OrgUnit.parent_id).where(OrgUnit.code == unit)).first()
    if found_unit is None:
        raise NotFound(f"没有代码为 {unit} 的单位", f"no unit with code {unit}")
    scope, parent_id = found_unit
    owner = aliased(OrgUnit)
    query = (
        select(Account)
        .join(owner, owner.id == Account.owner_unit_id)
        .outerjoin(Staff, Staff.id == Account.manager_id)
        .where(or_(owner.path == scope, owner.path.like(scope + "/%")))
        .where(Account.status != "churned")
    )
    # ``twice``: the number of open manager-history entries when two people claim the account — more than
    # one open entry, or one that names someone else than the account (or anybody while it has no
    # manager) — else NULL.
    if parent_id is None:
        open_history = (
            select(
                AccountManagerHistory.account_id.label("account_id"),
                func.count().label("open_rows"),
                func.min(AccountManagerHistory.staff_id).label("first_staff"),
            )
            .where(AccountManagerHistory.valid_to.is_(None))
            .group_by(AccountManagerHistory.account_id)
            .subquery("open_history")
        )
        h = open_history.c
        twice = case(
            (or_(h.open_rows > 1, Account.manager_id.is_(None), h.first_staff != Account.manager_id), h.open_rows)
        )
        query = query.outerjoin(open_history, h.account_id == Account.id)
    else:
        entry = aliased(AccountManagerHistory)
        open_rows = func.count()
        broken = or_(
            open_rows > 1,
            and_(open_rows == 1, or_(Account.manager_id.is_(None), func.min(entry.staff_id) != Account.manager_id)),
        )
        twice = (
            select(case((broken, open_rows)))
            .where(entry.account_id == Account.id, entry.valid_to.is_(None))
            .scalar_subquery()
        )
    kind = case(
        (twice.is_not(None), "claimed_twice"),
        (Account.manager_id.is_(None), "unassigned"),
        (Staff.active.is_(False), "manager_left"),
        else_="manager_elsewhere",
    )
    found = (
        query.with_only_columns(
            Account.id.label("id"),
            Account.customer_no.label("customer_no"),
            Account.name.label("name"),
            Account.parent_id.label("parent_id"),
            Account.owner_unit_id.label("owner_id"),
            Account.serving_city_id.label("city_id"),
            Staff.name.label("manager"),
            Staff.unit_id.label("manager_unit_id"),
            twice.label("open_rows"),
            kind.label("kind"),
        )
        .where(
            or_(
                Account.manager_id.is_(None),
                Staff.active.is_(False),
                and_(Staff.unit_id != Account.owner_unit_id, Staff.unit_id != Account.serving_city_id),
                twice.is_not(None),
            )
        )
        # Materialised: the conflicts (a few among many accounts) are found first, then counted, sorted and
        # cut; otherwise a planner may sort every account in scope before it filters.
        .cte("found")
        .prefix_with("MATERIALIZED")
    )
    f = found.c
    # Window sums run over every conflict before LIMIT: the totals come with the rows.
    counts = [func.count().over().label("total")] + [
        func.sum(case((f.kind == k, 1), else_=0)).over().label(k) for k in KINDS
    ]
    query = select(found, *counts).order_by(f.parent_id.is_(None), f.customer_no)
    if limit is not None:
        query = query.limit(limit)
    rows = conn.execute(query).all()
    if not rows:
        return ConflictReport([], 0, dict.fromkeys(KINDS, 0))
    names = dict(conn.execute(select(OrgUnit.id, OrgUnit.short_name)).all())
    out = []
    for r in rows:
        owner_name, city_name = names.get(r.owner_id, ""), names.get(r.city_id, "")
        if r.kind == "claimed_twice":
            detail = f"负责客户经理变更记录中有 {r.open_rows} 条未结束的登记"
        elif r.kind == "unassigned":
            detail = "请在归属单位指定一名负责客户经理"
        elif r.kind == "manager_left":
            detail = f"{r.manager} 已停用，请移交给在岗客户经理"
        else:
            detail = f"{r.manager} 属于 {names.get(r.manager_unit_id, '')}，客户归属 {owner_name}、服务地市 {city_name}"
        out.append(
            Conflict(
                r.id,
                r.customer_no,
                r.name,
                r.kind,
                KINDS[r.kind],
                owner_name,
                city_name,
                r.manager,
                detail,
                r.parent_id is not None,
            )
        )
    first = rows[0]
    return ConflictReport(out, int(first.total), {k: int(first._mapping[k] or 0) for k in KINDS})
