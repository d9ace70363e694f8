"""Who may be made responsible for an account, and handing accounts to a manager in bulk (the unit's
queue of unassigned accounts).

The responsible-manager rule (DESIGN §1, ``services.responsibility``) wants each account's manager to be
an active customer manager sitting in the unit that owns the account or in the account's serving city.
``manager_candidates`` lists exactly those people — with their industries and how many accounts each
already carries, so a head can spread the load — and ``assign_managers`` hands a set of accounts to one
of them. Each account is changed only if its manager is still the one the caller saw; an account that
someone else changed meanwhile, or whose owner/city the manager does not sit in, is skipped with a
reason, never overwritten.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import Connection, func, insert, select, update
from sqlalchemy.orm import aliased

from kam_console.errors import NotFound, ValidationError
from kam_console.models import Account, AccountManagerHistory, Industry, OrgUnit, Staff, StaffIndustry, utcnow

RESPONSIBLE_POSITION = "customer_manager"


@dataclass(frozen=True)
class ManagerCandidate:
    employee_no: str
    name: str
    unit_code: str
    unit: str  # the unit's short name
    industries: tuple[str, ...]  # industry names, catalogue order
    accounts: int  # accounts this person is already responsible for
    fits_industry: bool  # specialises in the industry asked about
    eligible: bool = True  # False only for a current manager who no longer meets the rule

    @property
    def label(self) -> str:
        """One line for a picker: 王芳（GD0101，广州）· 金融、教育 · 负责 35 个客户."""
        parts = [f"{self.name}（{self.employee_no}，{self.unit}）"]
        if self.industries:
            parts.append("、".join(self.industries))
        parts.append(f"负责 {self.accounts} 个客户")
        return " · ".join(parts)


def move_history(
    conn: Connection, account_id: int, manager_id: int | None, *, note: str | None, today: dt.date
) -> None:
    """Close the account's open manager-history entry and open one for ``manager_id`` (if any)."""
    conn.execute(
        update(AccountManagerHistory)
        .where(AccountManagerHistory.account_id == account_id, AccountManagerHistory.valid_to.is_(None))
        .values(valid_to=today)
    )
    if manager_id is not None:
        conn.execute(
            insert(AccountManagerHistory).values(
                account_id=account_id, staff_id=manager_id, valid_from=today, note=note or "变更负责客户经理"
            )
        )


def _unit_ids(conn: Connection, codes: Iterable[str]) -> dict[str, int]:
    codes = list(dict.fromkeys(codes))
    found = dict(conn.execute(select(OrgUnit.code, OrgUnit.id).where(OrgUnit.code.in_(codes))).all())
    missing = [c for c in codes if c not in found]
    if missing:
        raise NotFound(f"没有代码为 {'、'.join(missing)} 的单位", f"no unit with code {', '.join(missing)}")
    return found


def manager_candidates(
    conn: Connection, *, units: Sequence[str], industry: str | None = None, include: str | None = None
) -> list[ManagerCandidate]:
    """Active customer managers of ``units`` (org codes), those specialising in ``industry`` (a code)
    first, then the least loaded. ``include`` (an employee number, e.g. the current manager) is listed
    too even if the rule no longer allows them, marked ``eligible=False``."""
    unit_ids = _unit_ids(conn, units)
    industry_id = None
    if industry:
        industry_id = conn.execute(select(Industry.id).where(Industry.code == industry)).scalar()
    where = (Staff.unit_id.in_(unit_ids.values())) & Staff.active.is_(True) & (Staff.position == RESPONSIBLE_POSITION)
    if include:
        where = where | (Staff.employee_no == include)
    people = conn.execute(
        select(
            Staff.id,
            Staff.employee_no,
            Staff.name,
            Staff.position,
            Staff.active,
            Staff.unit_id,
            OrgUnit.code,
            OrgUnit.short_name,
        )
        .join(OrgUnit, OrgUnit.id == Staff.unit_id)
        .where(where)
    ).all()
    ids = [p.id for p in people]
    names: dict[int, list[str]] = {}
    specialities: dict[int, set[int]] = {}
    loads: dict[int, int] = {}
    for start in range(0, len(ids), 500):
        part = ids[start : start + 500]
        for staff_id, ind_id, ind_name in conn.execute(
            select(StaffIndustry.staff_id, Industry.id, Industry.name)
            .join(Industry, Industry.id == StaffIndustry.industry_id)
            .where(StaffIndustry.staff_id.in_(part))
            .order_by(StaffIndustry.staff_id, Industry.sort_order)
        ):
            names.setdefault(staff_id, []).append(ind_name)
            specialities.setdefault(staff_id, set()).add(ind_id)
        loads.update(
            conn.execute(
                select(Account.manager_id, func.count())
                .where(Account.manager_id.in_(part))
                .group_by(Account.manager_id)
            ).all()
        )
    allowed = set(unit_ids.values())
    result = [
        ManagerCandidate(
            employee_no=p.employee_no,
            name=p.name,
            unit_code=p.code,
            unit=p.short_name,
            industries=tuple(names.get(p.id, ())),
            accounts=int(loads.get(p.id, 0)),
            fits_industry=industry_id is not None and industry_id in specialities.get(p.id, set()),
            eligible=bool(p.active) and p.position == RESPONSIBLE_POSITION and p.unit_id in allowed,
        )
        for p in people
    ]
    result.sort(key=lambda c: (not c.eligible, not c.fits_industry, c.accounts, c.employee_no))
    return result


def account_manager_candidates(conn: Connection, *, account_id: int) -> list[ManagerCandidate]:
    """The people who may be responsible for one account: customer managers of its owning unit and of its
    serving city, its industry's specialists first; the current manager is always listed."""
    return candidates_for_accounts(conn, account_ids=[account_id])


def candidates_for_accounts(conn: Connection, *, account_ids: Sequence[int]) -> list[ManagerCandidate]:
    """Customer managers who may take any of ``account_ids`` (sitting in one of their owning units or
    serving cities); specialists first when the accounts share one industry. For a single account its
    current manager is listed too."""
    owner = aliased(OrgUnit)
    city = aliased(OrgUnit)
    rows = []
    for start in range(0, len(account_ids), 500):
        rows += conn.execute(
            select(owner.code, city.code, Industry.code, Staff.employee_no)
            .select_from(Account)
            .join(owner, owner.id == Account.owner_unit_id)
            .join(city, city.id == Account.serving_city_id)
            .join(Industry, Industry.id == Account.industry_id)
            .outerjoin(Staff, Staff.id == Account.manager_id)
            .where(Account.id.in_(account_ids[start : start + 500]))
        ).all()
    if not rows:
        raise NotFound("没有找到所选的客户", f"no account with id {', '.join(map(str, account_ids))}")
    units = [code for r in rows for code in (r[0], r[1])]
    industries = {r[2] for r in rows}
    current = rows[0][3] if len(rows) == 1 else None
    industry = next(iter(industries)) if len(industries) == 1 else None
    return manager_candidates(conn, units=units, industry=industry, include=current)


@dataclass(frozen=True)
class Skipped:
    customer_no: str
    reason: str


@dataclass(frozen=True)
class AssignResult:
    assigned: int
    skipped: tuple[Skipped, ...]


def assign_managers(
    conn: Connection,
    *,
    accounts: Sequence[tuple[int, str | None]],
    manager: str,
    note: str | None = None,
    today: dt.date | None = None,
) -> AssignResult:
    """Make ``manager`` (employee number) responsible for ``accounts`` — (account id, employee number of
    the manager the caller saw, None for unassigned) pairs. Accounts whose manager changed since, or
    that ``manager`` may not take (not in their owning unit or serving city), are skipped with a reason.
    """
    person = conn.execute(
        select(Staff.id, Staff.name, Staff.active, Staff.position, Staff.unit_id).where(Staff.employee_no == manager)
    ).first()
    if person is None:
        raise ValidationError(f"没有工号为 {manager} 的员工", f"no staff member {manager}")
    if not person.active:
        raise ValidationError(f"{person.name}（{manager}）已停用，不能负责客户", f"{manager} is deactivated")
    if person.position != RESPONSIBLE_POSITION:
        raise ValidationError(
            f"{person.name}（{manager}）不是客户经理，不能作为负责客户经理", f"{manager} is not a customer manager"
        )
    if not accounts:
        return AssignResult(0, ())
    today = today or dt.date.today()
    seen_ids = {
        no: sid
        for no, sid in conn.execute(
            select(Staff.employee_no, Staff.id).where(Staff.employee_no.in_({no for _, no in accounts if no}))
        )
    }
    now = {
        r.id: r
        for start in range(0, len(accounts), 500)
        for r in conn.execute(
            select(
                Account.id, Account.customer_no, Account.manager_id, Account.owner_unit_id, Account.serving_city_id
            ).where(Account.id.in_([a for a, _ in accounts[start : start + 500]]))
        )
    }
    assigned = 0
    skipped: list[Skipped] = []
    for account_id, seen in accounts:
        row = now.get(account_id)
        if row is None:
            skipped.append(Skipped(str(account_id), "客户已不存在"))
            continue
        if person.unit_id not in (row.owner_unit_id, row.serving_city_id):
            skipped.append(Skipped(row.customer_no, f"{person.name}不在该客户的归属单位或服务地市"))
            continue
        if row.manager_id == person.id:
            continue  # already theirs: nothing to record
        seen_id = seen_ids.get(seen) if seen else None
        where = Account.manager_id.is_(None) if seen_id is None else Account.manager_id == seen_id
        changed = conn.execute(
            update(Account)
            .where(Account.id == account_id, where)
            .values(manager_id=person.id, updated_at=utcnow(), version=Account.version + 1)
        ).rowcount
        if changed != 1:
            skipped.append(Skipped(row.customer_no, "已被他人改为其他负责客户经理，未覆盖"))
            continue
        move_history(conn, account_id, person.id, note=note or "分配负责客户经理", today=today)
        assigned += 1
    return AssignResult(assigned, tuple(skipped))
