"""One account in full (客户详情): profile, responsible manager and its history, contacts, first local
contacts, the account hierarchy (head account and branches), services and a monthly revenue series.

``account_detail`` returns plain frozen dataclasses; the UI (ui.account_page) only shows them. The revenue
series comes from ``account_rollup`` (one row per account and month), never from raw revenue rows. A head
account (e.g. a national account) also gets each branch's revenue of the newest month and the customer's
total over head and branches for that month: its own series covers the head account alone.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import Connection, and_, func, select

from kam_console.analytics import latest_month
from kam_console.errors import NotFound
from kam_console.models import (
    ACCOUNT_LEVEL_LABELS,
    ACCOUNT_STATUS_LABELS,
    SERVICE_STATUS_LABELS,
    Account,
    AccountContact,
    AccountFirstContact,
    AccountManagerHistory,
    AccountRollup,
    Industry,
    OrgUnit,
    Product,
    Service,
    Staff,
)
from kam_console.months import add_months

DEFAULT_MONTHS = 24


@dataclass(frozen=True)
class Profile:
    customer_no: str
    name: str
    level: str
    level_label: str
    industry: str
    owner_unit: str
    serving_city: str  # short name of the serving city (e.g. 北京市区)
    status: str
    status_label: str
    address: str | None
    created: dt.datetime | None


@dataclass(frozen=True)
class ManagerInfo:
    id: int
    name: str
    employee_no: str
    unit: str  # short name of the manager's unit
    phone: str | None


@dataclass(frozen=True)
class ManagerChange:
    staff: str | None  # None: the account had no responsible manager in that period
    valid_from: dt.date
    valid_to: dt.date | None  # None: still valid
    note: str | None


@dataclass(frozen=True)
class Contact:
    name: str
    title: str | None
    phone: str | None
    email: str | None
    primary: bool


@dataclass(frozen=True)
class FirstContact:
    name: str
    employee_no: str
    unit: str


@dataclass(frozen=True)
class ParentRef:
    id: int
    customer_no: str
    name: str


@dataclass(frozen=True)
class Branch:
    id: int
    customer_no: str
    name: str
    serving_city: str  # short name
    province: str  # short name of the serving city's province
    manager: str | None
    revenue_fen: int | None = None  # revenue of ``GroupRevenue.month``; None without a rollup row that month


@dataclass(frozen=True)
class ServiceRow:
    service_no: str
    product: str
    bandwidth: str | None
    a_city: str | None
    z_city: str | None
    lines: int
    start_date: dt.date
    end_date: dt.date | None
    status: str
    status_label: str


@dataclass(frozen=True)
class RevenuePoint:
    month: int  # YYYYMM
    revenue_fen: int
    lines: int


@dataclass(frozen=True)
class GroupRevenue:
    """A head account's customer as a whole in one month: the head account's own revenue plus its branches'."""

    month: int  # YYYYMM, the newest month that holds revenue
    own_fen: int
    branches_fen: int
    branches: int  # number of branch accounts

    @property
    def total_fen(self) -> int:
        return self.own_fen + self.branches_fen


@dataclass(frozen=True)
class AccountDetail:
    id: int
    profile: Profile
    manager: ManagerInfo | None
    manager_history: tuple[ManagerChange, ...]
    contacts: tuple[Contact, ...]
    first_contacts: tuple[FirstContact, ...]
    parent: ParentRef | None
    siblings: int  # other branches of the same head account (0 when there is no parent)
    branches: tuple[Branch, ...]
    services: tuple[ServiceRow, ...]
    revenue: tuple[RevenuePoint, ...]  # oldest first, one point per month; the account's own, without branches
    group_revenue: GroupRevenue | None = None  # only for an account with branches (and revenue in the database)


def account_detail(conn: Connection, *, account_id: int, months: int = DEFAULT_MONTHS) -> AccountDetail:
    a = Account.__table__
    owner = OrgUnit.__table__.alias("owner")
    city = OrgUnit.__table__.alias("city")
    ind = Industry.__table__
    row = conn.execute(
        select(
            a.c.customer_no,
            a.c.name,
            a.c.level,
            a.c.status,
            a.c.address,
            a.c.created_at,
            a.c.parent_id,
            a.c.manager_id,
            ind.c.name.label("industry"),
            owner.c.name.label("owner"),
            city.c.short_name.label("city"),
        )
        .join(ind, ind.c.id == a.c.industry_id)
        .join(owner, owner.c.id == a.c.owner_unit_id)
        .join(city, city.c.id == a.c.serving_city_id)
        .where(a.c.id == account_id)
    ).one_or_none()
    if row is None:
        raise NotFound(f"客户不存在：{account_id}", f"no account with id {account_id}")
    profile = Profile(
        row.customer_no,
        row.name,
        row.level,
        ACCOUNT_LEVEL_LABELS.get(row.level, row.level),
        row.industry,
        row.owner,
        row.city,
        row.status,
        ACCOUNT_STATUS_LABELS.get(row.status, row.status),
        row.address,
        row.created_at,
    )
    newest = latest_month(conn)
    branches = _branches(conn, account_id, newest)
    return AccountDetail(
        id=account_id,
        profile=profile,
        manager=_manager(conn, row.manager_id),
        manager_history=_history(conn, account_id),
        contacts=_contacts(conn, account_id),
        first_contacts=_first_contacts(conn, account_id),
        parent=_parent(conn, row.parent_id),
        siblings=_siblings(conn, row.parent_id),
        branches=branches,
        services=_services(conn, account_id),
        revenue=_revenue(conn, account_id, months),
        group_revenue=_group_revenue(conn, account_id, newest, branches),
    )


def _manager(conn: Connection, manager_id: int | None) -> ManagerInfo | None:
    if manager_id is None:
        return None
    s, u = Staff.__table__, OrgUnit.__table__
    row = conn.execute(
        select(s.c.id, s.c.name, s.c.employee_no, s.c.phone, u.c.short_name)
        .join(u, u.c.id == s.c.unit_id)
        .where(s.c.id == manager_id)
    ).one_or_none()
    if row is None:
        return None
    return ManagerInfo(row.id, row.name, row.employee_no, row.short_name, row.phone)


def _history(conn: Connection, account_id: int) -> tuple[ManagerChange, ...]:
    h, s = AccountManagerHistory.__table__, Staff.__table__
    rows = conn.execute(
        select(s.c.name, h.c.valid_from, h.c.valid_to, h.c.note)
        .select_from(h.outerjoin(s, s.c.id == h.c.staff_id))
        .where(h.c.account_id == account_id)
        .order_by(h.c.valid_from.desc(), h.c.id.desc())
    )
    return tuple(ManagerChange(r.name, r.valid_from, r.valid_to, r.note) for r in rows)


def _contacts(conn: Connection, account_id: int) -> tuple[Contact, ...]:
    c = AccountContact.__table__
    rows = conn.execute(
        select(c.c.name, c.c.title, c.c.phone, c.c.email, c.c.is_primary)
        .where(c.c.account_id == account_id)
        .order_by(c.c.is_primary.desc(), c.c.id)
    )
    return tuple(Contact(r.name, r.title, r.phone, r.email, bool(r.is_primary)) for r in rows)


def _first_contacts(conn: Connection, account_id: int) -> tuple[FirstContact, ...]:
    f, s, u = AccountFirstContact.__table__, Staff.__table__, OrgUnit.__table__
    rows = conn.execute(
        select(s.c.name, s.c.employee_no, u.c.short_name)
        .select_from(f.join(s, s.c.id == f.c.staff_id).join(u, u.c.id == s.c.unit_id))
        .where(f.c.account_id == account_id)
        .order_by(u.c.code, s.c.employee_no)
    )
    return tuple(FirstContact(r.name, r.employee_no, r.short_name) for r in rows)


def _parent(conn: Connection, parent_id: int | None) -> ParentRef | None:
    if parent_id is None:
        return None
    a = Account.__table__
    row = conn.execute(select(a.c.id, a.c.customer_no, a.c.name).where(a.c.id == parent_id)).one_or_none()
    return ParentRef(row.id, row.customer_no, row.name) if row is not None else None


def _siblings(conn: Connection, parent_id: int | None) -> int:
    if parent_id is None:
        return 0
    a = Account.__table__
    count = conn.execute(select(func.count()).select_from(a).where(a.c.parent_id == parent_id)).scalar_one()
    return max(0, int(count) - 1)


def _branches(conn: Connection, account_id: int, month: int | None) -> tuple[Branch, ...]:
    """The branches of ``account_id`` by serving city, each with its revenue of ``month``."""
    a, s, r = Account.__table__, Staff.__table__, AccountRollup.__table__
    city = OrgUnit.__table__.alias("city")
    province = OrgUnit.__table__.alias("province")
    rows = conn.execute(
        select(
            a.c.id,
            a.c.customer_no,
            a.c.name,
            city.c.short_name.label("city"),
            province.c.short_name.label("province"),
            s.c.name.label("manager"),
            r.c.revenue_fen,
        )
        .select_from(
            a.join(city, city.c.id == a.c.serving_city_id)
            .outerjoin(province, province.c.id == city.c.parent_id)
            .outerjoin(s, s.c.id == a.c.manager_id)
            .outerjoin(r, and_(r.c.account_id == a.c.id, r.c.month == month))
        )
        .where(a.c.parent_id == account_id)
        .order_by(city.c.code, a.c.customer_no)
    )
    return tuple(
        Branch(
            row.id,
            row.customer_no,
            row.name,
            row.city,
            row.province or "",
            row.manager,
            int(row.revenue_fen) if row.revenue_fen is not None else None,
        )
        for row in rows
    )


def _group_revenue(
    conn: Connection, account_id: int, month: int | None, branches: tuple[Branch, ...]
) -> GroupRevenue | None:
    if not branches or month is None:
        return None
    r = AccountRollup.__table__
    own = conn.execute(
        select(r.c.revenue_fen).where(r.c.month == month, r.c.account_id == account_id)
    ).scalar_one_or_none()
    return GroupRevenue(
        month,
        int(own or 0),
        sum(b.revenue_fen or 0 for b in branches),
        len(branches),
    )


def _services(conn: Connection, account_id: int) -> tuple[ServiceRow, ...]:
    sv, p = Service.__table__, Product.__table__
    a_city = OrgUnit.__table__.alias("a_city")
    z_city = OrgUnit.__table__.alias("z_city")
    rows = conn.execute(
        select(
            sv.c.service_no,
            p.c.name.label("product"),
            sv.c.bandwidth,
            a_city.c.short_name.label("a_city"),
            z_city.c.short_name.label("z_city"),
            sv.c.lines,
            sv.c.start_date,
            sv.c.end_date,
            sv.c.status,
        )
        .select_from(
            sv.join(p, p.c.id == sv.c.product_id)
            .outerjoin(a_city, a_city.c.id == sv.c.a_city_id)
            .outerjoin(z_city, z_city.c.id == sv.c.z_city_id)
        )
        .where(sv.c.account_id == account_id)
        .order_by(sv.c.service_no)
    )
    return tuple(
        ServiceRow(
            r.service_no,
            r.product,
            r.bandwidth,
            r.a_city,
            r.z_city,
            r.lines,
            r.start_date,
            r.end_date,
            r.status,
            SERVICE_STATUS_LABELS.get(r.status, r.status),
        )
        for r in rows
    )


def _revenue(conn: Connection, account_id: int, months: int) -> tuple[RevenuePoint, ...]:
    """The last ``months`` months ending at this account's newest rollup month (else the newest month
    of any account, else the current month); months without a row count as 0."""
    if months <= 0:
        return ()
    r = AccountRollup.__table__
    last = conn.execute(select(func.max(r.c.month)).where(r.c.account_id == account_id)).scalar_one_or_none()
    if last is None:
        last = conn.execute(select(func.max(r.c.month))).scalar_one_or_none()
    if last is None:
        today = dt.date.today()
        last = today.year * 100 + today.month
    first = add_months(last, -(months - 1))
    found = {
        row.month: row
        for row in conn.execute(
            select(r.c.month, r.c.revenue_fen, r.c.lines).where(
                r.c.account_id == account_id, r.c.month >= first, r.c.month <= last
            )
        )
    }
    points = []
    for i in range(months):
        month = add_months(first, i)
        row = found.get(month)
        points.append(RevenuePoint(month, int(row.revenue_fen) if row else 0, int(row.lines) if row else 0))
    return tuple(points)
