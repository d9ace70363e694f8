"""Staff of a unit as its page shows them (grouped by position, with industry specialties and the
number of accounts each is responsible for), and the changes to staff: add, edit, deactivate with a
hand-over of their accounts. Nobody is ever deleted."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import Connection, delete, func, insert, select, update

from kam_console.errors import NotFound, ValidationError
from kam_console.models import (
    POSITION_LABELS,
    Account,
    AccountManagerHistory,
    Industry,
    OrgUnit,
    Staff,
    StaffIndustry,
    utcnow,
)

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


@dataclass(frozen=True)
class Identity:
    """Who is working: an active employee and their unit (what requests and actions are done as)."""

    employee_no: str
    name: str
    position: str
    unit_code: str
    unit_name: str
    unit_short_name: str

    @property
    def label(self) -> str:
        return f"{self.name}（{self.employee_no}，{self.unit_short_name}{POSITION_LABELS.get(self.position, '')}）"


def find_identity(conn: Connection, *, employee_no: str) -> Identity:
    """The active employee ``employee_no`` with their unit; NotFound / ValidationError otherwise."""
    row = conn.execute(
        select(
            Staff.employee_no,
            Staff.name,
            Staff.position,
            Staff.active,
            OrgUnit.code,
            OrgUnit.name.label("unit_name"),
            OrgUnit.short_name,
        )
        .join(OrgUnit, OrgUnit.id == Staff.unit_id)
        .where(Staff.employee_no == employee_no.strip())
    ).first()
    if row is None:
        raise NotFound(f"没有工号为 {employee_no} 的员工", f"no staff member {employee_no}")
    if not row.active:
        raise ValidationError(f"{row.name}（{row.employee_no}）已停用", f"{employee_no} is deactivated")
    return Identity(row.employee_no, row.name, row.position, row.code, row.unit_name, row.short_name)


# The group's administrators and heads keep the shared tables (the SLA table, the industry catalogue).
GROUP_UNIT = "000000"
GROUP_ADMIN_POSITIONS = ("admin", "head")


def is_group_admin(identity: Identity | None) -> bool:
    """Whether ``identity`` is an administrator or head of the group unit."""
    return identity is not None and identity.unit_code == GROUP_UNIT and identity.position in GROUP_ADMIN_POSITIONS


def group_admin(conn: Connection, *, employee_no: str, what: str) -> Identity:
    """The active employee ``employee_no`` if they are a group administrator or head; otherwise an error
    saying who may ``what`` (e.g. 修改行业目录) and who they are."""
    person = find_identity(conn, employee_no=employee_no)
    if not is_group_admin(person):
        raise ValidationError(
            f"只有集团公司大客户事业部的管理员或负责人可以{what}；{person.name}（{person.employee_no}）是"
            f"{person.unit_name}的{POSITION_LABELS.get(person.position, person.position)}",
            "only an admin or head of the group unit may do this",
        )
    return person


# --- changes ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class StaffInput:
    """The editable fields of a staff member."""

    name: str
    unit: str  # org unit code
    position: str
    industries: tuple[str, ...] = ()  # industry codes
    phone: str | None = None
    email: str | None = None


class StaffHasAccounts(ValidationError):
    """Deactivating someone still responsible for accounts: hand them over first."""

    def __init__(self, employee_no: str, accounts: int):
        self.employee_no = employee_no
        self.accounts = accounts
        super().__init__(
            f"员工 {employee_no} 仍是 {accounts} 个客户的负责客户经理，请先把这些客户移交给其他客户经理",
            f"{employee_no} is responsible for {accounts} accounts; hand them over first",
        )


def _validate(conn: Connection, data: StaffInput, *, staff_id: int | None = None) -> tuple[int, list[int]]:
    problems = []
    if not data.name.strip():
        problems.append("姓名不能为空")
    unit_id = conn.execute(select(OrgUnit.id).where(OrgUnit.code == data.unit)).scalar()
    if unit_id is None:
        problems.append(f"没有代码为 {data.unit} 的单位")
    if data.position not in POSITION_LABELS:
        problems.append(f"未知的岗位：{data.position}")
    elif data.position == "head":
        problems.append("单位负责人须经上级大客户部门审批任命，不能直接设置")
    catalogue = {
        code: (id_, active) for code, id_, active in conn.execute(select(Industry.code, Industry.id, Industry.active))
    }
    codes = {code: id_ for code, (id_, _active) in catalogue.items()}
    unknown = [c for c in data.industries if c not in codes]
    if unknown:
        problems.append(f"没有这些行业代码：{'、'.join(unknown)}")
    held = (
        set(conn.execute(select(StaffIndustry.industry_id).where(StaffIndustry.staff_id == staff_id)).scalars())
        if staff_id is not None
        else set()
    )
    retired = [c for c in data.industries if c in catalogue and not catalogue[c][1] and catalogue[c][0] not in held]
    if retired:  # a specialty kept from before stays; a retired industry is not newly taken up
        problems.append(f"这些行业已停用，不能新增为专长：{'、'.join(retired)}")
    if problems:
        raise ValidationError("；".join(problems), "invalid staff data")
    return unit_id, sorted({codes[c] for c in data.industries})


def _staff_id(conn: Connection, employee_no: str) -> int:
    staff_id = conn.execute(select(Staff.id).where(Staff.employee_no == employee_no)).scalar()
    if staff_id is None:
        raise NotFound(f"没有工号为 {employee_no} 的员工", f"no staff {employee_no}")
    return staff_id


def _set_industries(conn: Connection, staff_id: int, industry_ids: list[int]) -> None:
    conn.execute(delete(StaffIndustry).where(StaffIndustry.staff_id == staff_id))
    if industry_ids:
        conn.execute(insert(StaffIndustry), [{"staff_id": staff_id, "industry_id": i} for i in industry_ids])


def add_staff(conn: Connection, *, employee_no: str, data: StaffInput) -> int:
    """Add a staff member; returns the new id."""
    if not employee_no.strip():
        raise ValidationError("工号不能为空", "employee number is empty")
    if conn.execute(select(Staff.id).where(Staff.employee_no == employee_no)).scalar() is not None:
        raise ValidationError(f"工号 {employee_no} 已存在", f"employee number {employee_no} exists")
    unit_id, industry_ids = _validate(conn, data)
    staff_id = conn.execute(
        insert(Staff)
        .values(
            employee_no=employee_no.strip(),
            name=data.name.strip(),
            unit_id=unit_id,
            position=data.position,
            phone=data.phone,
            email=data.email,
            active=True,
            created_at=utcnow(),
        )
        .returning(Staff.id)
    ).scalar_one()
    _set_industries(conn, staff_id, industry_ids)
    return staff_id


def update_staff(conn: Connection, *, employee_no: str, data: StaffInput) -> None:
    """Change a staff member's name, unit, position (not to head), specialties and contact details.
    A head keeps the head position here; a new head comes through an approved appointment."""
    staff_id = _staff_id(conn, employee_no)
    current = conn.execute(select(Staff.position).where(Staff.id == staff_id)).scalar_one()
    check = (
        data
        if current != "head" or data.position != "head"
        else StaffInput(data.name, data.unit, "customer_manager", data.industries, data.phone, data.email)
    )
    unit_id, industry_ids = _validate(conn, check, staff_id=staff_id)
    conn.execute(
        update(Staff)
        .where(Staff.id == staff_id)
        .values(name=data.name.strip(), unit_id=unit_id, position=data.position, phone=data.phone, email=data.email)
    )
    _set_industries(conn, staff_id, industry_ids)


def deactivate_staff(
    conn: Connection, *, employee_no: str, hand_over_to: str | None = None, today: dt.date | None = None
) -> int:
    """Deactivate a staff member (never delete). Someone still responsible for accounts is refused
    unless ``hand_over_to`` names an active colleague who takes the accounts over; each hand-over is
    recorded in the accounts' dated manager history. Returns the number of accounts handed over."""
    staff_id = _staff_id(conn, employee_no)
    accounts = list(conn.execute(select(Account.id).where(Account.manager_id == staff_id)).scalars())
    if accounts and hand_over_to is None:
        raise StaffHasAccounts(employee_no, len(accounts))
    if accounts:
        target = conn.execute(select(Staff.id, Staff.active).where(Staff.employee_no == hand_over_to)).first()
        if target is None:
            raise NotFound(f"没有工号为 {hand_over_to} 的员工", f"no staff {hand_over_to}")
        if not target.active or target.id == staff_id:
            raise ValidationError(
                f"不能移交给 {hand_over_to}：须是另一位在岗员工", "hand over to another active colleague"
            )
        today = today or dt.date.today()
        for chunk in range(0, len(accounts), 500):
            part = accounts[chunk : chunk + 500]
            conn.execute(
                update(AccountManagerHistory)
                .where(AccountManagerHistory.account_id.in_(part), AccountManagerHistory.valid_to.is_(None))
                .values(valid_to=today)
            )
            conn.execute(
                update(Account)
                .where(Account.id.in_(part))
                .values(manager_id=target.id, updated_at=utcnow(), version=Account.version + 1)
            )
        conn.execute(
            insert(AccountManagerHistory),
            [
                {"account_id": a, "staff_id": target.id, "valid_from": today, "note": f"{employee_no} 停用，移交"}
                for a in accounts
            ],
        )
    conn.execute(update(Staff).where(Staff.id == staff_id).values(active=False))
    return len(accounts)


def staff_export(conn: Connection, *, unit: str, subtree: bool = False) -> list[dict[str, str]]:
    """The active staff of ``unit`` (and its subtree) as rows of the staff import file:
    ``employee_no,name,unit_code,position,industry_codes`` (industry codes joined by ``;``)."""
    path = conn.execute(select(OrgUnit.path).where(OrgUnit.code == unit.strip())).scalar()
    if path is None:
        raise NotFound(f"没有代码为 {unit} 的单位", f"no unit with code {unit}")
    where = (OrgUnit.path == path) | OrgUnit.path.like(path + "/%") if subtree else OrgUnit.path == path
    people = conn.execute(
        select(Staff.id, Staff.employee_no, Staff.name, OrgUnit.code, Staff.position)
        .join(OrgUnit, OrgUnit.id == Staff.unit_id)
        .where(where, Staff.active.is_(True))
        .order_by(OrgUnit.code, Staff.employee_no)
    ).all()
    codes: dict[int, list[str]] = {}
    ids = [p.id for p in people]
    for start in range(0, len(ids), 500):
        for staff_id, code in conn.execute(
            select(StaffIndustry.staff_id, Industry.code)
            .join(Industry, Industry.id == StaffIndustry.industry_id)
            .where(StaffIndustry.staff_id.in_(ids[start : start + 500]))
            .order_by(Industry.sort_order, Industry.code)
        ):
            codes.setdefault(staff_id, []).append(code)
    return [
        {
            "employee_no": p.employee_no,
            "name": p.name,
            "unit_code": p.code,
            "position": p.position,
            "industry_codes": ";".join(codes.get(p.id, [])),
        }
        for p in people
    ]
