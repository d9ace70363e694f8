"""What the desktop's service-request screens read besides a unit's inbox (``request_queries``): the account
a request is raised for with the cities its services run between (the units a request usually involves),
an account's requests, and an account's id from its customer number.

Read-only, plain results. Deadlines follow ``request_queries``: the current stage's, and while subtasks are
out the earliest open subtask's.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import Connection, and_, case, func, null, select

from kam_console.errors import NotFound, ValidationError
from kam_console.models import (
    OPEN_REQUEST_STATES,
    Account,
    OrgUnit,
    Product,
    RequestSubtask,
    Service,
    ServiceRequest,
)
from kam_console.services.request_queries import RequestRow, request_row
from kam_console.services.service_requests import ActResult, RequestChanged, act
from kam_console.services.sla import as_utc

END_LABELS = {"a": "A 端", "z": "Z 端"}


@dataclass(frozen=True)
class EndUnit:
    """A city a request for the account may involve: its serving city, or an end of one of its services."""

    code: str
    name: str  # e.g. 广州市大客户部
    short_name: str  # e.g. 广州
    level: str
    serving: bool  # the account's serving city
    services: tuple[str, ...]  # e.g. "S4401000012 数字电路 2M（A 端）"

    @property
    def label(self) -> str:
        return f"{self.short_name}（{self.code}）"


@dataclass(frozen=True)
class RequestAccount:
    id: int
    customer_no: str
    name: str
    serving_city: str  # code
    serving_city_name: str  # short name
    ends: tuple[EndUnit, ...]  # the serving city first, then the services' ends in code order


def request_account(
    conn: Connection, *, customer_no: str | None = None, account_id: int | None = None
) -> RequestAccount:
    """The account (by customer number or id) with the cities its live services run between."""
    if (customer_no is None) == (account_id is None):
        raise ValidationError("请指定客户编号或客户 id 之一", "give exactly one of customer_no and account_id")
    city = OrgUnit.__table__.alias("city")
    where = Account.customer_no == customer_no.strip() if customer_no is not None else Account.id == account_id
    row = conn.execute(
        select(
            Account.id,
            Account.customer_no,
            Account.name,
            city.c.code,
            city.c.name.label("city_name"),
            city.c.short_name,
            city.c.level,
        )
        .join(city, city.c.id == Account.serving_city_id)
        .where(where)
    ).first()
    if row is None:
        raise NotFound(f"没有客户编号为 {customer_no or account_id} 的客户", f"no account {customer_no or account_id}")
    ends: dict[str, dict] = {
        row.code: dict(name=row.city_name, short_name=row.short_name, level=row.level, serving=True, services=[])
    }
    sv = Service.__table__
    for end, column in (("a", sv.c.a_city_id), ("z", sv.c.z_city_id)):
        unit = OrgUnit.__table__.alias(f"{end}_unit")
        found = conn.execute(
            select(
                sv.c.service_no,
                sv.c.bandwidth,
                Product.name.label("product"),
                unit.c.code,
                unit.c.name,
                unit.c.short_name,
                unit.c.level,
            )
            .join(Product, Product.id == sv.c.product_id)
            .join(unit, unit.c.id == column)
            .where(sv.c.account_id == row.id, sv.c.status != "terminated")
            .order_by(sv.c.service_no)
        )
        for s in found:
            entry = ends.setdefault(
                s.code, dict(name=s.name, short_name=s.short_name, level=s.level, serving=False, services=[])
            )
            what = " ".join(x for x in (s.service_no, s.product, s.bandwidth) if x)
            entry["services"].append(f"{what}（{END_LABELS[end]}）")
    serving = ends.pop(row.code)
    ordered = [(row.code, serving)] + sorted(ends.items())
    return RequestAccount(
        id=row.id,
        customer_no=row.customer_no,
        name=row.name,
        serving_city=row.code,
        serving_city_name=row.short_name,
        ends=tuple(
            EndUnit(
                code,
                e["name"],
                e["short_name"],
                e["level"],
                e["serving"],
                tuple(sorted(set(e["services"]), key=e["services"].index)),
            )
            for code, e in ordered
        ),
    )


def account_id_of(conn: Connection, *, customer_no: str) -> int:
    value = conn.execute(select(Account.id).where(Account.customer_no == customer_no)).scalar()
    if value is None:
        raise NotFound(f"没有客户编号为 {customer_no} 的客户", f"no account {customer_no}")
    return int(value)


def account_requests(conn: Connection, *, account_id: int, now: dt.datetime, limit: int = 500) -> list[RequestRow]:
    """The account's requests: open ones soonest deadline first, then ended ones newest first."""
    now = as_utc(now)
    r = ServiceRequest.__table__
    s = RequestSubtask.__table__
    holder = OrgUnit.__table__.alias("holder")
    raising = OrgUnit.__table__.alias("raising")
    coord = OrgUnit.__table__.alias("coord")
    open_due = (
        select(func.min(s.c.due_at)).where(s.c.request_id == r.c.id, s.c.state == "open").correlate(r).scalar_subquery()
    )
    deadline = case(
        (and_(r.c.state == "processing", r.c.stage == "handle"), func.coalesce(open_due, r.c.due_at)),
        (r.c.state.in_(OPEN_REQUEST_STATES), r.c.due_at),
        else_=null(),
    ).label("deadline")
    inner = (
        select(
            r.c.number,
            r.c.title,
            r.c.type,
            r.c.priority,
            r.c.state,
            r.c.stage,
            r.c.raised_at,
            r.c.closed_at,
            Account.customer_no,
            Account.name.label("account"),
            holder.c.code.label("holder"),
            holder.c.name.label("holder_name"),
            raising.c.code.label("raising"),
            raising.c.name.label("raising_name"),
            coord.c.code.label("coordinator"),
            deadline,
        )
        .select_from(
            r.join(Account, Account.id == r.c.account_id)
            .join(holder, holder.c.id == r.c.holder_unit_id)
            .join(raising, raising.c.id == r.c.raising_unit_id)
            .join(coord, coord.c.id == r.c.coordinator_unit_id)
        )
        .where(r.c.account_id == account_id)
        .subquery("req")
    )
    q = (
        select(inner)
        .order_by(
            case((inner.c.deadline.is_(None), 1), else_=0),
            inner.c.deadline,
            inner.c.closed_at.desc(),
            inner.c.raised_at.desc(),
            inner.c.number,
        )
        .limit(limit)
    )
    return [request_row(x, now) for x in conn.execute(q)]


def request_version(conn: Connection, *, number: str) -> int:
    value = conn.execute(select(ServiceRequest.version).where(ServiceRequest.number == number)).scalar()
    if value is None:
        raise NotFound(f"没有编号为 {number} 的请求", f"no request {number}")
    return int(value)


def act_on_shown(
    conn: Connection,
    *,
    number: str,
    version: int,
    action: str,
    as_staff: str,
    text: str | None = None,
    unit: str | None = None,
    to_unit: str | None = None,
    now: dt.datetime,
) -> ActResult:
    """``service_requests.act`` on the request as the person saw it (``version``): if anyone acted on it since,
    nothing is written and ``RequestChanged`` says so — a screen never acts on a request it does not show.
    Run it in its own transaction; every action moves the version by exactly one."""
    if request_version(conn, number=number) != version:
        raise _changed(number)
    result = act(conn, number=number, action=action, as_staff=as_staff, text=text, unit=unit, to_unit=to_unit, now=now)
    if request_version(conn, number=number) != version + 1:  # someone slipped in between: roll back
        raise _changed(number)
    return result


def _changed(number: str) -> RequestChanged:
    return RequestChanged(
        f"请求 {number} 在您打开之后有了新的处理记录（他人已处理或超时升级），您的操作没有保存。"
        "请查看最新状态后再操作。",
        f"request {number} changed since it was shown",
    )
