"""Staff of a unit as its page shows them: grouped by position, with industry specialties and the
number of accounts each is responsible for."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import Connection, func, select

from kam_console.errors import NotFound
from kam_console.models import POSITION_LABELS, Account, Industry, OrgUnit, Staff, StaffIndustry

# The order positions are shown in on a unit page: the head first, then the four KA positions.
POSITION_ORDER = (
    "head",
    "market_manager",
    "customer_manager",
    "project_manager",
    "business_manager",
    "analyst",
    "admin",
)


@dataclass(frozen=True)
class StaffRow:
    id: int
    employee_no: str
    name: str
    position: str
    industries: tuple[str, ...]  # industry names, catalogue order
    accounts: int  # accounts this person is the responsible customer manager of
    active: bool
    phone: str | None
    email: str | None


@dataclass
class PositionGroup:
    position: str
    label: str
    staff: list[StaffRow] = field(default_factory=list)


def unit_staff(conn: Connection, *, code: str, include_inactive: bool = False) -> list[PositionGroup]:
    """The unit's own staff (not its subordinate units'), grouped by position in page order; positions
    nobody holds are left out."""
    unit_id = conn.execute(select(OrgUnit.id).where(OrgUnit.code == code)).scalar()
    if unit_id is None:
        raise NotFound(f"没有代码为 {code} 的单位", f"no unit with code {code}")
    query = select(
        Staff.id, Staff.employee_no, Staff.name, Staff.position, Staff.active, Staff.phone, Staff.email
    ).where(Staff.unit_id == unit_id)
    if not include_inactive:
        query = query.where(Staff.active.is_(True))
    people = conn.execute(query.order_by(Staff.employee_no)).all()
    ids = [p.id for p in people]
    industries: dict[int, list[str]] = {}
    accounts: dict[int, int] = {}
    for chunk in range(0, len(ids), 500):
        part = ids[chunk : chunk + 500]
        for staff_id, name in conn.execute(
            select(StaffIndustry.staff_id, Industry.name)
            .join(Industry, Industry.id == StaffIndustry.industry_id)
            .where(StaffIndustry.staff_id.in_(part))
            .order_by(StaffIndustry.staff_id, Industry.sort_order)
        ):
            industries.setdefault(staff_id, []).append(name)
        accounts.update(
            conn.execute(
                select(Account.manager_id, func.count())
                .where(Account.manager_id.in_(part))
                .group_by(Account.manager_id)
            ).all()
        )
    groups = {p: PositionGroup(p, POSITION_LABELS[p]) for p in POSITION_ORDER}
    for p in people:
        groups[p.position].staff.append(
            StaffRow(
                id=p.id,
                employee_no=p.employee_no,
                name=p.name,
                position=p.position,
                industries=tuple(industries.get(p.id, ())),
                accounts=int(accounts.get(p.id, 0)),
                active=bool(p.active),
                phone=p.phone,
                email=p.email,
            )
        )
    return [g for g in groups.values() if g.staff]
