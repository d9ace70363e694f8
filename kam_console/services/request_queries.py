"""Reading cross-region service requests (DESIGN §5): one request in full, a unit's inbox and the badge counts
of the navigation tree. Nothing here writes; the workflow itself is ``service_requests``.

**Who is next** (one rule, used by ``request_detail``, ``list_requests`` view "todo" and ``inbox_counts``):
while a request climbs, the unit holding it *forwards* it (the coordinator *accepts* it); the coordinator
*dispatches*; while subtasks are out, every unit with an open subtask *replies* (the coordinator waits; if
its last open subtask was handed back it *reassigns*); then the coordinator *resolves* and the raising unit
*confirms*. Closed and cancelled requests have no next step.

**Deadlines**: the current stage's ``due_at``; while subtasks are out, the earliest open subtask's (in a
unit's own inbox, that unit's subtask's). Overdue hours are clock hours past the deadline, as the
escalation notes say; the deadlines themselves were counted in weekday hours (``services.sla``).

All times are timezone-aware UTC; callers format them (Beijing time for people).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import (
    Connection,
    and_,
    case,
    exists,
    func,
    not_,
    null,
    or_,
    select,
    union_all,
)

from kam_console.errors import NotFound, ValidationError
from kam_console.models import (
    OPEN_REQUEST_STATES,
    REQUEST_ACTION_LABELS,
    REQUEST_PRIORITIES,
    REQUEST_PRIORITY_LABELS,
    REQUEST_STAGE_LABELS,
    REQUEST_STAGES,
    REQUEST_STATE_LABELS,
    REQUEST_STATES,
    REQUEST_TYPE_LABELS,
    REQUEST_TYPES,
    Account,
    OrgUnit,
    RequestAttachment,
    RequestHop,
    RequestSubtask,
    RequestUnit,
    ServiceRequest,
    Staff,
)
from kam_console.services.service_requests import plan_route
from kam_console.services.sla import as_utc, sla_table, working_hours_between

VIEWS = ("todo", "raised", "involved", "all", "below")
VIEW_LABELS = {
    "todo": "待我处理",
    "raised": "我发起的",
    "involved": "我参与的",
    "all": "全部相关",
    "below": "下级在办",
}
SUBTASK_STATE_LABELS = {"open": "处理中", "done": "已回复", "cancelled": "已取消"}
SYSTEM_NAME = "系统"
MAX_LIMIT = 10_000


# --- plain results ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class UnitRef:
    code: str
    name: str


@dataclass(frozen=True)
class StaffRef:
    employee_no: str | None  # None: the system (e.g. an overdue escalation)
    name: str


@dataclass(frozen=True)
class AccountRef:
    customer_no: str
    name: str


@dataclass(frozen=True)
class RouteStep:
    """One unit of the route, the raising unit first and the coordinator last."""

    code: str
    name: str
    passed: bool  # the request has gone on from this unit (the coordinator: accepted there)
    current: bool  # the request is waiting at this unit on its way up


@dataclass(frozen=True)
class NextStep:
    """A unit expected to act now and the action expected of it."""

    unit: UnitRef
    action: str
    action_label: str
    due_at: dt.datetime | None
    overdue: bool
    subtask_id: int | None = None


@dataclass(frozen=True)
class HopRow:
    seq: int
    action: str
    action_label: str
    from_unit: UnitRef
    to_unit: UnitRef | None
    staff: StaffRef
    at: dt.datetime
    comment: str | None
    subtask_id: int | None


@dataclass(frozen=True)
class SubtaskRow:
    id: int
    unit: UnitRef
    kind: str
    state: str  # open | done | cancelled
    state_label: str  # 处理中 / 已回复 / 已退回 / 已改派 / 已取消
    dispatched_at: dt.datetime
    due_at: dt.datetime
    done_at: dt.datetime | None
    reply: str | None
    overdue: bool  # open and past its deadline at ``now``
    overdue_hours: float
    escalations: int


@dataclass(frozen=True)
class AttachmentRow:
    reference: str
    added_by: StaffRef
    added_at: dt.datetime


@dataclass(frozen=True)
class RequestDetail:
    number: str
    account: AccountRef
    type: str
    type_label: str
    priority: str
    priority_label: str
    state: str
    state_label: str
    stage: str
    stage_label: str
    title: str
    description: str | None
    raising_unit: UnitRef
    raised_by: StaffRef
    raised_at: dt.datetime
    coordinator: UnitRef
    holder: UnitRef
    route: tuple[RouteStep, ...]
    next: tuple[NextStep, ...]  # empty once closed or cancelled
    involved: tuple[UnitRef, ...]  # in region-code order
    hops: tuple[HopRow, ...]
    subtasks: tuple[SubtaskRow, ...]
    stage_started_at: dt.datetime
    due_at: dt.datetime | None  # the current stage's deadline; None once closed or cancelled
    overdue: bool
    overdue_hours: float  # weekday hours past ``due_at`` at ``now`` (0.0 when not overdue)
    escalation_level: int  # how many times the current stage has been escalated
    escalations: tuple[HopRow, ...]  # every escalation hop, oldest first
    attachments: tuple[AttachmentRow, ...]
    closed_at: dt.datetime | None
    version: int

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_REQUEST_STATES


@dataclass(frozen=True)
class RequestRow:
    number: str
    title: str
    customer_no: str
    account: str  # the account's name
    type: str
    type_label: str
    priority: str
    priority_label: str
    state: str
    state_label: str
    stage: str
    stage_label: str
    holder: str  # unit code
    holder_name: str
    due_at: dt.datetime | None  # None once closed or cancelled
    overdue: bool
    overdue_hours: float
    raised_at: dt.datetime
    raising_unit: str  # unit code
    raising_unit_name: str
    coordinator: str  # unit code


@dataclass(frozen=True)
class InboxCount:
    unit: str  # unit code
    todo: int  # requests the unit must act on now
    overdue: int  # of those, past their deadline
    by_state: dict[str, int] = field(default_factory=dict)  # the todo requests by state code


@dataclass(frozen=True)
class SlaRow:
    type: str
    type_label: str
    priority: str
    priority_label: str
    stage: str
    stage_label: str
    hours: int


# --- helpers ----------------------------------------------------------------------------------------


def _hours_past(due: dt.datetime | None, now: dt.datetime) -> float:
    """Weekday hours past ``due`` — the unit the SLA deadlines are set in (the supervision board uses the same)."""
    if due is None or due >= now:
        return 0.0
    return round(working_hours_between(due, now), 1)


def _options(values, labels) -> str:
    return "、".join(f"{v}（{labels[v]}）" for v in values)


def _unit(conn: Connection, code: str):
    row = conn.execute(select(OrgUnit.id, OrgUnit.code, OrgUnit.name, OrgUnit.path).where(OrgUnit.code == code)).first()
    if row is None:
        raise NotFound(f"没有代码为 {code} 的单位", f"no unit {code}")
    return row


def _route_ids(conn: Connection, raising_path: str, coordinator_id: int) -> list[tuple[int, str, str]]:
    """(id, code, name) of the route: the raising unit and each unit above it up to the coordinator."""
    codes = list(reversed(raising_path.split("/")))
    found = conn.execute(select(OrgUnit.id, OrgUnit.code, OrgUnit.name).where(OrgUnit.code.in_(codes)))
    rows = {r.code: r for r in found}
    route = []
    for code in codes:
        route.append((rows[code].id, rows[code].code, rows[code].name))
        if rows[code].id == coordinator_id:
            break
    return route


def _todo_pairs():
    """(request_id, unit_id, state, due_at) of every unit that must act now on an open request: the SQL
    twin of ``RequestDetail.next``. A unit with two open subtasks on one request appears twice."""
    r = ServiceRequest.__table__.alias("tr")
    s = RequestSubtask.__table__.alias("ts")
    s2 = RequestSubtask.__table__.alias("ts2")
    handling = and_(r.c.state == "processing", r.c.stage == "handle")
    out = exists().where(s2.c.request_id == r.c.id, s2.c.state == "open")
    holders = select(
        r.c.id.label("request_id"),
        r.c.holder_unit_id.label("unit_id"),
        r.c.state.label("state"),
        r.c.due_at.label("due_at"),
    ).where(r.c.state.in_(OPEN_REQUEST_STATES), not_(and_(handling, out)))
    subtasks = (
        select(r.c.id, s.c.unit_id, r.c.state, s.c.due_at)
        .select_from(r.join(s, and_(s.c.request_id == r.c.id, s.c.state == "open")))
        .where(handling)
    )
    return union_all(holders, subtasks).subquery("todo")


# --- a route before raising -------------------------------------------------------------------------


@dataclass(frozen=True)
class RoutePreview:
    """Where a request would go (``service_requests.plan_route``), with the units' names."""

    coordinator: UnitRef
    route: tuple[UnitRef, ...]  # the raising unit first, the coordinator last
    units: tuple[UnitRef, ...]  # the involved units, as given

    def as_dict(self) -> dict:
        return {"coordinator": self.coordinator.code, "route": [u.code for u in self.route]}


def route_preview(conn: Connection, *, raising: str, units) -> RoutePreview:
    """The route a request from ``raising`` involving ``units`` would take; creates nothing."""
    plan = plan_route(conn, raising=raising, units=units)
    codes = [*plan.route, *plan.units]
    names = dict(conn.execute(select(OrgUnit.code, OrgUnit.name).where(OrgUnit.code.in_(codes))).all())
    return RoutePreview(
        UnitRef(plan.coordinator, names[plan.coordinator]),
        tuple(UnitRef(c, names[c]) for c in plan.route),
        tuple(UnitRef(c, names[c]) for c in plan.units),
    )


# --- one request ------------------------------------------------------------------------------------


def request_detail(conn: Connection, *, number: str, now: dt.datetime) -> RequestDetail:
    """Request ``number`` in full, its deadlines judged at ``now``."""
    now = as_utc(now)
    r = ServiceRequest.__table__
    raising = OrgUnit.__table__.alias("raising")
    coord = OrgUnit.__table__.alias("coord")
    holder = OrgUnit.__table__.alias("holder")
    a = Account.__table__
    st = Staff.__table__
    row = conn.execute(
        select(
            r,
            a.c.customer_no,
            a.c.name.label("account_name"),
            raising.c.code.label("raising_code"),
            raising.c.name.label("raising_name"),
            raising.c.path.label("raising_path"),
            coord.c.code.label("coord_code"),
            coord.c.name.label("coord_name"),
            holder.c.code.label("holder_code"),
            holder.c.name.label("holder_name"),
            st.c.employee_no.label("raised_by_no"),
            st.c.name.label("raised_by_name"),
        )
        .join(a, a.c.id == r.c.account_id)
        .join(raising, raising.c.id == r.c.raising_unit_id)
        .join(coord, coord.c.id == r.c.coordinator_unit_id)
        .join(holder, holder.c.id == r.c.holder_unit_id)
        .join(st, st.c.id == r.c.raised_by_id)
        .where(r.c.number == number)
    ).first()
    if row is None:
        raise NotFound(f"没有编号为 {number} 的请求", f"no request {number}")
    is_open = row.state in OPEN_REQUEST_STATES
    coordinator = UnitRef(row.coord_code, row.coord_name)
    holder_ref = UnitRef(row.holder_code, row.holder_name)

    route_units = _route_ids(conn, row.raising_path, row.coordinator_unit_id)
    if row.stage == "route":
        at = next((i for i, u in enumerate(route_units) if u[0] == row.holder_unit_id), 0)
        route = tuple(
            RouteStep(code, name, i < at, i == at and row.state == "routing")
            for i, (_, code, name) in enumerate(route_units)
        )
    else:
        route = tuple(RouteStep(code, name, True, False) for _, code, name in route_units)

    hops = _hops(conn, row.id)
    subtasks = _subtasks(conn, row.id, hops, now)
    open_subtasks = [s for s in subtasks if s.state == "open"]

    due: dt.datetime | None = None
    if is_open:
        due = as_utc(row.due_at)
        if row.state == "processing" and row.stage == "handle" and open_subtasks:
            due = min(s.due_at for s in open_subtasks)
    next_steps: tuple[NextStep, ...] = ()
    if is_open:
        if row.state == "processing" and row.stage == "handle" and open_subtasks:
            next_steps = tuple(
                NextStep(s.unit, "reply", REQUEST_ACTION_LABELS["reply"], s.due_at, s.overdue, s.id)
                for s in open_subtasks
            )
        else:
            action = {
                "routing": "accept" if row.holder_unit_id == row.coordinator_unit_id else "forward",
                "coordinating": "dispatch",
                "processing": "reassign" if row.stage == "handle" else "resolve",
                "resolved": "confirm",
            }[row.state]
            next_steps = (
                NextStep(holder_ref, action, REQUEST_ACTION_LABELS[action], due, due is not None and due < now),
            )

    involved = tuple(
        UnitRef(u.code, u.name)
        for u in conn.execute(
            select(OrgUnit.code, OrgUnit.name)
            .join(RequestUnit, RequestUnit.unit_id == OrgUnit.id)
            .where(RequestUnit.request_id == row.id)
            .order_by(OrgUnit.code)
        )
    )
    attachments = tuple(
        AttachmentRow(x.reference, StaffRef(x.employee_no, x.name), as_utc(x.added_at))
        for x in conn.execute(
            select(RequestAttachment.reference, RequestAttachment.added_at, Staff.employee_no, Staff.name)
            .join(Staff, Staff.id == RequestAttachment.added_by_id)
            .where(RequestAttachment.request_id == row.id)
            .order_by(RequestAttachment.id)
        )
    )
    return RequestDetail(
        number=row.number,
        account=AccountRef(row.customer_no, row.account_name),
        type=row.type,
        type_label=REQUEST_TYPE_LABELS[row.type],
        priority=row.priority,
        priority_label=REQUEST_PRIORITY_LABELS[row.priority],
        state=row.state,
        state_label=REQUEST_STATE_LABELS[row.state],
        stage=row.stage,
        stage_label=REQUEST_STAGE_LABELS[row.stage],
        title=row.title,
        description=row.description,
        raising_unit=UnitRef(row.raising_code, row.raising_name),
        raised_by=StaffRef(row.raised_by_no, row.raised_by_name),
        raised_at=as_utc(row.raised_at),
        coordinator=coordinator,
        holder=holder_ref,
        route=route,
        next=next_steps,
        involved=involved,
        hops=hops,
        subtasks=subtasks,
        stage_started_at=as_utc(row.stage_started_at),
        due_at=due,
        overdue=due is not None and due < now,
        overdue_hours=_hours_past(due, now),
        escalation_level=int(row.escalations) if is_open else 0,
        escalations=tuple(h for h in hops if h.action == "escalate"),
        attachments=attachments,
        closed_at=as_utc(row.closed_at) if row.closed_at is not None else None,
        version=int(row.version),
    )


def _hops(conn: Connection, request_id: int) -> tuple[HopRow, ...]:
    h = RequestHop.__table__
    f = OrgUnit.__table__.alias("f")
    t = OrgUnit.__table__.alias("t")
    st = Staff.__table__
    rows = conn.execute(
        select(
            h.c.seq,
            h.c.action,
            h.c.at,
            h.c.comment,
            h.c.subtask_id,
            f.c.code.label("from_code"),
            f.c.name.label("from_name"),
            t.c.code.label("to_code"),
            t.c.name.label("to_name"),
            st.c.employee_no,
            st.c.name.label("staff_name"),
        )
        .join(f, f.c.id == h.c.from_unit_id)
        .outerjoin(t, t.c.id == h.c.to_unit_id)
        .outerjoin(st, st.c.id == h.c.staff_id)
        .where(h.c.request_id == request_id)
        .order_by(h.c.seq)
    ).all()
    return tuple(
        HopRow(
            seq=x.seq,
            action=x.action,
            action_label=REQUEST_ACTION_LABELS[x.action],
            from_unit=UnitRef(x.from_code, x.from_name),
            to_unit=UnitRef(x.to_code, x.to_name) if x.to_code is not None else None,
            staff=StaffRef(x.employee_no, x.staff_name) if x.employee_no is not None else StaffRef(None, SYSTEM_NAME),
            at=as_utc(x.at),
            comment=x.comment,
            subtask_id=x.subtask_id,
        )
        for x in rows
    )


def _subtasks(conn: Connection, request_id: int, hops: tuple[HopRow, ...], now: dt.datetime) -> tuple[SubtaskRow, ...]:
    s = RequestSubtask.__table__
    rows = conn.execute(
        select(s, OrgUnit.code, OrgUnit.name)
        .join(OrgUnit, OrgUnit.id == s.c.unit_id)
        .where(s.c.request_id == request_id)
        .order_by(s.c.id)
    ).all()
    returned = {h.subtask_id for h in hops if h.action == "return" and h.subtask_id is not None}
    result = []
    for x in rows:
        label = SUBTASK_STATE_LABELS[x.state]
        if x.state == "cancelled":
            if x.id in returned:
                label = "已退回"
            elif any(
                h.action == "reassign" and h.from_unit.code == x.code and (h.subtask_id or 0) > x.id for h in hops
            ):
                label = "已改派"
        due = as_utc(x.due_at)
        is_overdue = x.state == "open" and due < now
        result.append(
            SubtaskRow(
                id=x.id,
                unit=UnitRef(x.code, x.name),
                kind=x.kind,
                state=x.state,
                state_label=label,
                dispatched_at=as_utc(x.dispatched_at),
                due_at=due,
                done_at=as_utc(x.done_at) if x.done_at is not None else None,
                reply=x.reply,
                overdue=is_overdue,
                overdue_hours=_hours_past(due, now) if x.state == "open" else 0.0,
                escalations=int(x.escalations),
            )
        )
    return tuple(result)


# --- a unit's inbox ---------------------------------------------------------------------------------


def list_requests(
    conn: Connection,
    *,
    unit: str,
    now: dt.datetime,
    state: str | None = None,
    type_: str | None = None,
    overdue: bool = False,
    view: str = "todo",
    employee_no: str | None = None,
    limit: int = 500,
) -> list[RequestRow]:
    """The requests of ``unit`` in ``view``, soonest deadline first (overdue first; ended requests last,
    newest first). ``employee_no`` narrows to the requests that employee raised or acted on."""
    now = as_utc(now)
    problems = []
    if view not in VIEWS:
        problems.append(f"未知的视图：{view}（可选 {_options(VIEWS, VIEW_LABELS)}）")
    if state is not None and state not in REQUEST_STATES:
        problems.append(f"未知的状态：{state}（可选 {_options(REQUEST_STATES, REQUEST_STATE_LABELS)}）")
    if type_ is not None and type_ not in REQUEST_TYPES:
        problems.append(f"未知的请求类型：{type_}（可选 {_options(REQUEST_TYPES, REQUEST_TYPE_LABELS)}）")
    if not isinstance(limit, int) or not 1 <= limit <= MAX_LIMIT:
        problems.append(f"条数上限应为 1 至 {MAX_LIMIT} 的整数（给出的是 {limit}）")
    if problems:
        raise ValidationError("；".join(problems), "invalid request list filter")
    me = _unit(conn, unit)
    staff_id = None
    if employee_no is not None:
        staff_id = conn.execute(select(Staff.id).where(Staff.employee_no == employee_no)).scalar()
        if staff_id is None:
            raise NotFound(f"没有工号为 {employee_no} 的员工", f"no staff member {employee_no}")

    r = ServiceRequest.__table__
    a = Account.__table__
    holder = OrgUnit.__table__.alias("holder")
    raising = OrgUnit.__table__.alias("raising")
    coord = OrgUnit.__table__.alias("coord")
    s = RequestSubtask.__table__.alias("s")
    todo = _todo_pairs()

    # Every unit set is a subquery or a short list, so each test below is one hashed look-up per request
    # rather than a correlated sub-select (which also keeps PostgreSQL's plan cheap enough to need no JIT).
    subtree = select(OrgUnit.id).where(or_(OrgUnit.path == me.path, OrgUnit.path.like(me.path + "/%")))
    above = list(conn.execute(select(OrgUnit.id).where(OrgUnit.code.in_(me.path.split("/")))).scalars())
    is_todo = r.c.id.in_(select(todo.c.request_id).where(todo.c.unit_id == me.id))
    is_raised = r.c.raising_unit_id == me.id
    is_involved = or_(
        and_(r.c.raising_unit_id.in_(subtree), r.c.coordinator_unit_id.in_(above)),  # on the route
        r.c.coordinator_unit_id == me.id,
        r.c.id.in_(select(RequestUnit.request_id).where(RequestUnit.unit_id == me.id)),
    )
    is_below = and_(
        r.c.state.in_(OPEN_REQUEST_STATES),
        or_(
            r.c.holder_unit_id.in_(subtree),
            r.c.id.in_(select(s.c.request_id).where(s.c.state == "open", s.c.unit_id.in_(subtree))),
        ),
    )
    where = [
        {
            "todo": is_todo,
            "raised": is_raised,
            "involved": is_involved,
            "all": or_(is_todo, is_raised, is_involved),
            "below": is_below,
        }[view]
    ]
    if state is not None:
        where.append(r.c.state == state)
    if type_ is not None:
        where.append(r.c.type == type_)
    if staff_id is not None:
        where.append(
            or_(
                r.c.raised_by_id == staff_id,
                r.c.id.in_(select(RequestHop.request_id).where(RequestHop.staff_id == staff_id)),
            )
        )

    # the earliest open subtask deadline of each request, and of this unit's own subtasks on it
    open_due = (
        select(
            s.c.request_id,
            func.min(s.c.due_at).label("any_due"),
            func.min(case((s.c.unit_id == me.id, s.c.due_at))).label("own_due"),
        )
        .where(s.c.state == "open")
        .group_by(s.c.request_id)
        .subquery("open_due")
    )
    due = case(
        (
            and_(r.c.state == "processing", r.c.stage == "handle"),
            func.coalesce(open_due.c.own_due, open_due.c.any_due, r.c.due_at),
        ),
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
            a.c.customer_no,
            a.c.name.label("account"),
            holder.c.code.label("holder"),
            holder.c.name.label("holder_name"),
            raising.c.code.label("raising"),
            raising.c.name.label("raising_name"),
            coord.c.code.label("coordinator"),
            due,
        )
        .select_from(
            r.join(a, a.c.id == r.c.account_id)
            .join(holder, holder.c.id == r.c.holder_unit_id)
            .join(raising, raising.c.id == r.c.raising_unit_id)
            .join(coord, coord.c.id == r.c.coordinator_unit_id)
            .outerjoin(open_due, open_due.c.request_id == r.c.id)
        )
        .where(*where)
        .subquery("req")
    )
    q = select(inner)
    if overdue:
        q = q.where(inner.c.deadline.is_not(None), inner.c.deadline < now)
    q = q.order_by(
        case((inner.c.deadline.is_(None), 1), else_=0),
        inner.c.deadline,
        inner.c.closed_at.desc(),
        inner.c.raised_at.desc(),
        inner.c.number,
    ).limit(limit)
    return [request_row(x, now) for x in conn.execute(q)]


def request_row(x, now: dt.datetime) -> RequestRow:
    """A list row from a query row with the list's columns (number, title, customer_no, account, type,
    priority, state, stage, holder, holder_name, deadline, raised_at, raising, raising_name, coordinator)."""
    deadline = as_utc(x.deadline) if x.deadline is not None else None
    return RequestRow(
        number=x.number,
        title=x.title,
        customer_no=x.customer_no,
        account=x.account,
        type=x.type,
        type_label=REQUEST_TYPE_LABELS[x.type],
        priority=x.priority,
        priority_label=REQUEST_PRIORITY_LABELS[x.priority],
        state=x.state,
        state_label=REQUEST_STATE_LABELS[x.state],
        stage=x.stage,
        stage_label=REQUEST_STAGE_LABELS[x.stage],
        holder=x.holder,
        holder_name=x.holder_name,
        due_at=deadline,
        overdue=deadline is not None and deadline < now,
        overdue_hours=_hours_past(deadline, now),
        raised_at=as_utc(x.raised_at),
        raising_unit=x.raising,
        raising_unit_name=x.raising_name,
        coordinator=x.coordinator,
    )


def inbox_counts(conn: Connection, *, now: dt.datetime, units=None) -> dict[str, InboxCount]:
    """Per unit code: how many requests it must act on now, how many of them are overdue, and those by
    state — one grouped query. Without ``units``, every unit with something to do; with ``units`` (codes),
    exactly those, zeros included."""
    now = as_utc(now)
    codes = None if units is None else list(dict.fromkeys(units))
    if codes:
        known = set(conn.execute(select(OrgUnit.code).where(OrgUnit.code.in_(codes))).scalars())
        missing = [c for c in codes if c not in known]
        if missing:
            raise NotFound(f"没有代码为 {'、'.join(missing)} 的单位", f"no unit {', '.join(missing)}")
    todo = _todo_pairs()
    # one row per (request, unit), whatever the number of its open subtasks there
    pairs = (
        select(todo.c.request_id, todo.c.unit_id, todo.c.state, func.min(todo.c.due_at).label("due_at"))
        .group_by(todo.c.request_id, todo.c.unit_id, todo.c.state)
        .subquery("pairs")
    )
    q = (
        select(
            OrgUnit.code,
            pairs.c.state,
            func.count().label("n"),
            func.sum(case((pairs.c.due_at < now, 1), else_=0)).label("late"),
        )
        .join(OrgUnit, OrgUnit.id == pairs.c.unit_id)
        .group_by(OrgUnit.code, pairs.c.state)
    )
    if codes is not None:
        q = q.where(OrgUnit.code.in_(codes))
    totals: dict[str, list] = {c: [0, 0, {}] for c in codes or ()}
    for code, state, n, late in conn.execute(q):
        entry = totals.setdefault(code, [0, 0, {}])
        entry[0] += int(n)
        entry[1] += int(late or 0)
        entry[2][state] = int(n)
    return {
        code: InboxCount(code, todo_n, late_n, {s: by[s] for s in REQUEST_STATES if s in by})
        for code, (todo_n, late_n, by) in sorted(totals.items())
    }


# --- the SLA table ----------------------------------------------------------------------------------


def sla_rules(conn: Connection) -> list[SlaRow]:
    """The SLA table in catalogue order, with labels."""
    return [
        SlaRow(t, REQUEST_TYPE_LABELS[t], p, REQUEST_PRIORITY_LABELS[p], s, REQUEST_STAGE_LABELS[s], hours)
        for t, p, s, hours in sla_table(conn)
    ]


def sla_rule_hours(conn: Connection, *, type_: str, priority: str, stage: str) -> int | None:
    """The hours of one rule; None if there is no such rule (unknown codes included)."""
    if type_ not in REQUEST_TYPES or priority not in REQUEST_PRIORITIES or stage not in REQUEST_STAGES:
        return None
    return next((h for t, p, s, h in sla_table(conn) if (t, p, s) == (type_, priority, stage)), None)
