"""Cross-region service requests (一站式服务, DESIGN §5): routing, the workflow and its history.

**Routing rule** (one implementation, ``plan_route``): the coordinator is the lowest KA unit whose
subtree contains the raising unit and every involved unit — the same city handles its own request, two
cities of one province go to the province, two provinces to the group. The route is the raising unit and
each unit above it up to the coordinator.

**Workflow** (``raise_request`` and ``act``): the request climbs the route one level at a time — each
level *forwards* it, the coordinator *accepts* it — then the coordinator *dispatches* a subtask to each
involved unit, each unit *replies*, the coordinator *resolves* once every subtask is done and the result
goes back to the raising unit, which *confirms* with the customer and so closes the request. *Return*
(with a reason) sends it one step back, *reassign* moves a subtask to another unit, *cancel* withdraws
it, *comment* and *urge* (督办, by a unit above the holder) add to the history. Every action is a
recorded hop; nothing is deleted.

**Who may act**: the acting employee's unit. Only the unit holding the request (or the subtask) moves
it; anything else is refused with the reason and changes nothing.

**Concurrency**: every action is a compare-and-set on the request's ``version``; of two people acting
at once exactly one succeeds and the other is told the request changed (``RequestChanged``). Hops get
consecutive sequence numbers inside the same transaction.

**Time**: ``now`` is passed in (the CLI and the app pass the clock, tests a fixed time). Deadlines are
computed when a stage starts and stored; hop times never run backwards even if the clock does.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Connection, func, insert, select, update

from kam_console.errors import KamError, NotFound, ValidationError
from kam_console.models import (
    OPEN_REQUEST_STATES,
    REQUEST_ACTION_LABELS,
    REQUEST_ACTIONS,
    REQUEST_PRIORITIES,
    REQUEST_PRIORITY_LABELS,
    REQUEST_STAGE_LABELS,
    REQUEST_STATE_LABELS,
    REQUEST_TYPE_LABELS,
    REQUEST_TYPES,
    UNIT_LEVEL_LABELS,
    Account,
    OrgUnit,
    RequestAttachment,
    RequestHop,
    RequestStage,
    RequestSubtask,
    RequestUnit,
    ServiceRequest,
    Staff,
    utcnow,
)
from kam_console.services.sla import BEIJING, add_working_hours, as_utc, deadline, sla_hours, working_hours_between

INVOLVED_LEVELS = ("city", "county")
# what people do with ``act`` (raising has its own function; escalating is the system's)
ACTIONS = tuple(a for a in REQUEST_ACTIONS if a not in ("raise", "escalate"))
SUBTASK_KINDS = {
    "new_circuit": "资源确认与开通",
    "change": "变更实施",
    "fault": "障碍处理",
    "complaint": "投诉核查",
    "billing": "账务核对",
    "consultation": "答复咨询",
}
MAX_TEXT = 4000


class RequestNotAllowed(ValidationError):
    """The action does not fit the request's state or the acting unit's part in it."""


class RequestChanged(KamError):
    """Someone else acted on the request between reading it and acting: nothing was written."""


# --- units and routing ------------------------------------------------------------------------------


@dataclass(frozen=True)
class UnitRow:
    id: int
    code: str
    name: str
    short_name: str
    level: str
    parent_id: int | None
    path: str


def _units_by_code(conn: Connection, codes: Sequence[str]) -> dict[str, UnitRow]:
    rows = conn.execute(
        select(
            OrgUnit.id, OrgUnit.code, OrgUnit.name, OrgUnit.short_name, OrgUnit.level, OrgUnit.parent_id, OrgUnit.path
        ).where(OrgUnit.code.in_(list(codes)))
    ).all()
    return {r.code: UnitRow(*r) for r in rows}


def _units_by_id(conn: Connection, ids: Sequence[int]) -> dict[int, UnitRow]:
    rows = conn.execute(
        select(
            OrgUnit.id, OrgUnit.code, OrgUnit.name, OrgUnit.short_name, OrgUnit.level, OrgUnit.parent_id, OrgUnit.path
        ).where(OrgUnit.id.in_(list(ids)))
    ).all()
    return {r.id: UnitRow(*r) for r in rows}


@dataclass(frozen=True)
class Route:
    coordinator: str
    route: tuple[str, ...]  # the raising unit first, the coordinator last
    units: tuple[str, ...]  # the involved units, as given (duplicates dropped)

    def as_dict(self) -> dict:
        return {"coordinator": self.coordinator, "route": list(self.route)}


def plan_route(conn: Connection, *, raising: str, units: Sequence[str]) -> Route:
    """Where a request from ``raising`` involving ``units`` goes (creates nothing)."""
    involved = list(dict.fromkeys(u.strip() for u in units if u and u.strip()))
    if not involved:
        raise ValidationError("至少要指定一个涉及的地市或区县单位", "name at least one involved unit")
    found = _units_by_code(conn, [raising, *involved])
    problems = []
    if raising not in found:
        problems.append(f"没有代码为 {raising} 的发起单位")
    for code in involved:
        unit = found.get(code)
        if unit is None:
            problems.append(f"没有代码为 {code} 的单位")
        elif unit.level not in INVOLVED_LEVELS:
            problems.append(f"{unit.name}（{code}）是{UNIT_LEVEL_LABELS[unit.level]}级单位，涉及单位应为地市或区县")
    if problems:
        raise ValidationError("；".join(problems), "invalid units: " + ", ".join(involved))
    paths = [found[raising].path.split("/")] + [found[c].path.split("/") for c in involved]
    common: list[str] = []
    for parts in zip(*paths, strict=False):
        if len(set(parts)) != 1:
            break
        common.append(parts[0])
    coordinator = common[-1]
    own = paths[0]
    route = tuple(reversed(own[len(common) - 1 :]))
    return Route(coordinator, route, tuple(involved))


# --- reading a request ------------------------------------------------------------------------------


@dataclass
class _Loaded:
    row: object  # the service_request row
    route: list[int]  # unit ids, raising unit first, coordinator last


def _staff(conn: Connection, employee_no: str):
    person = conn.execute(
        select(Staff.id, Staff.name, Staff.unit_id, Staff.active, Staff.position).where(
            Staff.employee_no == employee_no
        )
    ).first()
    if person is None:
        raise NotFound(f"没有工号为 {employee_no} 的员工", f"no staff member {employee_no}")
    if not person.active:
        raise RequestNotAllowed(f"{person.name}（{employee_no}）已停用，不能处理请求", f"{employee_no} is deactivated")
    return person


def _route_ids(conn: Connection, raising_id: int, coordinator_id: int) -> list[int]:
    units = _units_by_id(conn, [raising_id])
    path = units[raising_id].path.split("/")
    by_code = _units_by_code(conn, path)
    ids = [by_code[c].id for c in reversed(path)]
    return ids[: ids.index(coordinator_id) + 1]


def _load(conn: Connection, number: str) -> _Loaded:
    row = conn.execute(select(ServiceRequest.__table__).where(ServiceRequest.number == number)).first()
    if row is None:
        raise NotFound(f"没有编号为 {number} 的请求", f"no request {number}")
    return _Loaded(row, _route_ids(conn, row.raising_unit_id, row.coordinator_unit_id))


def _last_hop_time(conn: Connection, request_id: int) -> dt.datetime | None:
    value = conn.execute(select(func.max(RequestHop.at)).where(RequestHop.request_id == request_id)).scalar()
    return as_utc(value) if value is not None else None


def _hop(
    conn: Connection,
    request_id: int,
    action: str,
    *,
    from_unit: int,
    to_unit: int | None,
    staff_id: int | None,
    at: dt.datetime,
    comment: str | None = None,
    subtask_id: int | None = None,
) -> dt.datetime:
    """Record a hop; returns its time (never before the previous hop's, whatever the clock says)."""
    last = _last_hop_time(conn, request_id)
    at = max(at, last) if last is not None else at
    seq = conn.execute(select(func.coalesce(func.max(RequestHop.seq), 0)).where(RequestHop.request_id == request_id))
    conn.execute(
        insert(RequestHop).values(
            request_id=request_id,
            seq=int(seq.scalar()) + 1,
            action=action,
            from_unit_id=from_unit,
            to_unit_id=to_unit,
            staff_id=staff_id,
            at=at,
            comment=comment,
            subtask_id=subtask_id,
        )
    )
    return at


def _end_stages(conn: Connection, request_id: int, at: dt.datetime, *, subtask_id: int | None = None) -> None:
    where = [RequestStage.request_id == request_id, RequestStage.ended_at.is_(None)]
    if subtask_id is not None:
        where.append(RequestStage.subtask_id == subtask_id)
    else:
        where.append(RequestStage.subtask_id.is_(None))
    conn.execute(update(RequestStage).where(*where).values(ended_at=at))


def _start_stage(
    conn: Connection, req, stage: str, unit_id: int, at: dt.datetime, *, subtask_id: int | None = None
) -> dt.datetime:
    due = deadline(conn, type_=req.type, priority=req.priority, stage=stage, start=at)
    conn.execute(
        insert(RequestStage).values(
            request_id=req.id, stage=stage, unit_id=unit_id, subtask_id=subtask_id, started_at=at, due_at=due
        )
    )
    return due


def _text(value: str | None, *, required: str | None = None) -> str | None:
    text = (value or "").strip()
    if required and not text:
        raise ValidationError(required, "a text is required")
    if len(text) > MAX_TEXT:
        raise ValidationError(f"说明太长（{len(text)} 字，最多 {MAX_TEXT} 字）", "text too long")
    return text or None


# --- raising ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Raised:
    number: str
    coordinator: str
    route: tuple[str, ...]


def raise_request(
    conn: Connection,
    *,
    account: str,
    type_: str,
    units: Sequence[str],
    as_staff: str,
    priority: str = "normal",
    title: str | None = None,
    text: str | None = None,
    attachments: Sequence[str] = (),
    now: dt.datetime | None = None,
) -> Raised:
    """Raise a request for ``account`` (customer number) from the acting employee's unit."""
    now = as_utc(now or utcnow())
    problems = []
    if type_ not in REQUEST_TYPES:
        options = "、".join(f"{t}（{REQUEST_TYPE_LABELS[t]}）" for t in REQUEST_TYPES)
        problems.append(f"未知的请求类型：{type_}（可选 {options}）")
    if priority not in REQUEST_PRIORITIES:
        options = "、".join(f"{p}（{REQUEST_PRIORITY_LABELS[p]}）" for p in REQUEST_PRIORITIES)
        problems.append(f"未知的优先级：{priority}（可选 {options}）")
    if problems:
        raise ValidationError("；".join(problems), "invalid request type or priority")
    person = _staff(conn, as_staff)
    acc = conn.execute(select(Account.id, Account.name).where(Account.customer_no == account)).first()
    if acc is None:
        raise NotFound(f"没有客户编号为 {account} 的客户", f"no account {account}")
    raising = _units_by_id(conn, [person.unit_id])[person.unit_id]
    route = plan_route(conn, raising=raising.code, units=units)
    description = _text(text)
    heading = _text(title) or f"{REQUEST_TYPE_LABELS[type_]}：{acc.name}"
    refs = [r.strip() for r in attachments if r and r.strip()]
    for ref in refs:
        if len(ref) > 500:
            raise ValidationError("附件路径太长（最多 500 字符）", "attachment reference too long")
    codes = _units_by_code(conn, [*route.route, *route.units])
    coordinator_id = codes[route.coordinator].id
    first_holder = codes[route.route[1]].id if len(route.route) > 1 else coordinator_id
    due = deadline(conn, type_=type_, priority=priority, stage="route", start=now)
    request_id = conn.execute(
        insert(ServiceRequest)
        .values(
            number="T" + uuid.uuid4().hex[:19],
            account_id=acc.id,
            type=type_,
            priority=priority,
            title=heading[:200],
            description=description,
            raising_unit_id=raising.id,
            raised_by_id=person.id,
            coordinator_unit_id=coordinator_id,
            holder_unit_id=first_holder,
            state="routing",
            stage="route",
            stage_started_at=now,
            due_at=due,
            raised_at=now,
        )
        .returning(ServiceRequest.id)
    ).scalar_one()
    number = f"SR{now.astimezone(BEIJING):%Y%m%d}{request_id:06d}"
    conn.execute(update(ServiceRequest).where(ServiceRequest.id == request_id).values(number=number))
    for code in route.units:
        conn.execute(insert(RequestUnit).values(request_id=request_id, unit_id=codes[code].id))
    for ref in refs:
        conn.execute(
            insert(RequestAttachment).values(request_id=request_id, reference=ref, added_by_id=person.id, added_at=now)
        )
    _hop(
        conn,
        request_id,
        "raise",
        from_unit=raising.id,
        to_unit=first_holder,
        staff_id=person.id,
        at=now,
        comment=description,
    )
    conn.execute(
        insert(RequestStage).values(
            request_id=request_id, stage="route", unit_id=first_holder, started_at=now, due_at=due
        )
    )
    return Raised(number, route.coordinator, route.route)


# --- acting -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ActResult:
    number: str
    action: str
    state: str
    holder: str  # the unit code that must act next


def _refuse(message: str) -> RequestNotAllowed:
    return RequestNotAllowed(message, "not allowed in the request's state or for this unit")


def _save(conn: Connection, req, **values) -> None:
    """Compare-and-set on the version read: of two concurrent actions only one passes."""
    changed = conn.execute(
        update(ServiceRequest)
        .where(ServiceRequest.id == req.id, ServiceRequest.version == req.version)
        .values(version=ServiceRequest.version + 1, **values)
    ).rowcount
    if changed != 1:
        raise RequestChanged(
            f"请求 {req.number} 刚刚被其他人处理过，您的操作没有保存。请刷新后查看最新状态再操作。",
            f"request {req.number} changed meanwhile",
        )


def act(
    conn: Connection,
    *,
    number: str,
    action: str,
    as_staff: str,
    text: str | None = None,
    unit: str | None = None,
    to_unit: str | None = None,
    now: dt.datetime | None = None,
) -> ActResult:
    """Do ``action`` on request ``number`` as employee ``as_staff``. ``unit``/``to_unit`` name the subtask's
    unit and its new unit for ``reassign``."""
    if action not in ACTIONS:
        options = "、".join(f"{a}（{REQUEST_ACTION_LABELS[a]}）" for a in ACTIONS)
        raise ValidationError(f"未知的操作：{action}（可选 {options}）", f"unknown action {action}")
    now = as_utc(now or utcnow())
    person = _staff(conn, as_staff)
    loaded = _load(conn, number)
    req = loaded.row
    units = _units_by_id(conn, [person.unit_id, req.holder_unit_id, req.coordinator_unit_id, req.raising_unit_id])
    me = units[person.unit_id]
    holder = units[req.holder_unit_id]
    if req.state not in OPEN_REQUEST_STATES and action not in ("comment",):
        raise _refuse(f"请求 {number} {REQUEST_STATE_LABELS[req.state]}，不能再{REQUEST_ACTION_LABELS[action]}")
    handler = _ACTIONS[action]
    handler(
        conn,
        req=req,
        loaded=loaded,
        person=person,
        me=me,
        holder=holder,
        now=now,
        text=text,
        unit=unit,
        to_unit=to_unit,
    )
    after = conn.execute(
        select(ServiceRequest.state, OrgUnit.code)
        .join(OrgUnit, OrgUnit.id == ServiceRequest.holder_unit_id)
        .where(ServiceRequest.id == req.id)
    ).one()
    return ActResult(number, action, after.state, after.code)


def _must_hold(req, me, holder, action: str) -> None:
    if me.id != holder.id:
        raise _refuse(f"请求 {req.number} 现在由{holder.name}处理，{me.name}不能{REQUEST_ACTION_LABELS[action]}")


def _must_be_state(req, action: str, *states: str) -> None:
    if req.state not in states:
        raise _refuse(
            f"请求 {req.number} 处于“{REQUEST_STATE_LABELS[req.state]}”状态，不能{REQUEST_ACTION_LABELS[action]}"
        )


def _move(
    conn, req, *, action: str, stage: str, unit_id: int, me, person, now, to_unit: int | None, comment, **values
) -> None:
    """Hand the request on: start ``stage`` at ``unit_id`` (compare-and-set save with the new deadline),
    record the hop, close the running stage and open the new one."""
    due = deadline(conn, type_=req.type, priority=req.priority, stage=stage, start=now)
    _save(conn, req, stage=stage, stage_started_at=now, due_at=due, escalations=0, **values)
    at = _hop(conn, req.id, action, from_unit=me.id, to_unit=to_unit, staff_id=person.id, at=now, comment=comment)
    _end_stages(conn, req.id, at)
    _start_stage(conn, req, stage, unit_id, at)


def _do_forward(conn, *, req, loaded, person, me, holder, now, text, **_):
    _must_be_state(req, "forward", "routing")
    _must_hold(req, me, holder, "forward")
    if holder.id == req.coordinator_unit_id:
        raise _refuse(f"{holder.name}就是这个请求的协调单位，应当受理（accept），不必再上报")
    route = loaded.route
    nxt = route[route.index(holder.id) + 1]
    _move(
        conn,
        req,
        action="forward",
        stage="route",
        unit_id=nxt,
        me=me,
        person=person,
        now=now,
        to_unit=nxt,
        comment=_text(text),
        holder_unit_id=nxt,
    )


def _do_accept(conn, *, req, person, me, holder, now, text, **_):
    _must_be_state(req, "accept", "routing")
    _must_hold(req, me, holder, "accept")
    if holder.id != req.coordinator_unit_id:
        coordinator = _units_by_id(conn, [req.coordinator_unit_id])[req.coordinator_unit_id]
        raise _refuse(f"这个请求的协调单位是{coordinator.name}，{me.name}应当上报（forward）而不是受理")
    _move(
        conn,
        req,
        action="accept",
        stage="coordinate",
        unit_id=me.id,
        me=me,
        person=person,
        now=now,
        to_unit=None,
        comment=_text(text),
        state="coordinating",
    )


def _involved(conn: Connection, request_id: int) -> list[int]:
    """The involved units' ids in region-code order (the order subtasks are dispatched in)."""
    return list(
        conn.execute(
            select(RequestUnit.unit_id)
            .join(OrgUnit, OrgUnit.id == RequestUnit.unit_id)
            .where(RequestUnit.request_id == request_id)
            .order_by(OrgUnit.code)
        ).scalars()
    )


def _dispatch_to(conn, req, unit_id: int, at: dt.datetime) -> int:
    due = deadline(conn, type_=req.type, priority=req.priority, stage="handle", start=at)
    subtask_id = conn.execute(
        insert(RequestSubtask)
        .values(request_id=req.id, unit_id=unit_id, kind=SUBTASK_KINDS[req.type], dispatched_at=at, due_at=due)
        .returning(RequestSubtask.id)
    ).scalar_one()
    _start_stage(conn, req, "handle", unit_id, at, subtask_id=subtask_id)
    return subtask_id


def _do_dispatch(conn, *, req, person, me, holder, now, text, **_):
    _must_be_state(req, "dispatch", "coordinating")
    _must_hold(req, me, holder, "dispatch")
    due = add_working_hours(now, sla_hours(conn, type_=req.type, priority=req.priority, stage="handle"))
    _save(conn, req, state="processing", stage="handle", stage_started_at=now, due_at=due, escalations=0)
    _end_stages(conn, req.id, now)
    comment = _text(text)
    for unit_id in _involved(conn, req.id):
        at = _hop(
            conn, req.id, "dispatch", from_unit=me.id, to_unit=unit_id, staff_id=person.id, at=now, comment=comment
        )
        subtask_id = _dispatch_to(conn, req, unit_id, at)
        conn.execute(
            update(RequestHop)
            .where(
                RequestHop.request_id == req.id,
                RequestHop.subtask_id.is_(None),
                RequestHop.to_unit_id == unit_id,
                RequestHop.action == "dispatch",
            )
            .values(subtask_id=subtask_id)
        )


def _open_subtasks(conn: Connection, request_id: int):
    return conn.execute(
        select(RequestSubtask.id, RequestSubtask.unit_id)
        .where(RequestSubtask.request_id == request_id, RequestSubtask.state == "open")
        .order_by(RequestSubtask.id)
    ).all()


def _do_reply(conn, *, req, person, me, now, text, **_):
    _must_be_state(req, "reply", "processing")
    mine = [s for s in _open_subtasks(conn, req.id) if s.unit_id == me.id]
    if not mine:
        raise _refuse(f"{me.name}在请求 {req.number} 中没有待处理的子任务，不能回复")
    reply = _text(text, required="回复需要写明处理结果")
    others_open = len(_open_subtasks(conn, req.id)) - 1
    values = {}
    if others_open == 0:  # the last reply: the coordinator resolves next
        due = deadline(conn, type_=req.type, priority=req.priority, stage="resolve", start=now)
        values = dict(stage="resolve", stage_started_at=now, due_at=due, escalations=0)
    _save(conn, req, **values)
    subtask = mine[0]
    at = _hop(
        conn,
        req.id,
        "reply",
        from_unit=me.id,
        to_unit=req.coordinator_unit_id,
        staff_id=person.id,
        at=now,
        comment=reply,
        subtask_id=subtask.id,
    )
    conn.execute(
        update(RequestSubtask).where(RequestSubtask.id == subtask.id).values(state="done", done_at=at, reply=reply)
    )
    _end_stages(conn, req.id, at, subtask_id=subtask.id)
    if others_open == 0:
        _start_stage(conn, req, "resolve", req.coordinator_unit_id, at)


def _do_resolve(conn, *, req, person, me, holder, now, text, **_):
    _must_be_state(req, "resolve", "processing")
    _must_hold(req, me, holder, "resolve")
    still = _open_subtasks(conn, req.id)
    if still:
        names = "、".join(u.name for u in _units_by_id(conn, [s.unit_id for s in still]).values())
        raise _refuse(f"还有 {len(still)} 个子任务未回复（{names}），不能解决")
    result = _text(text, required="解决时需要写明处理结果")
    raising = req.raising_unit_id
    _move(
        conn,
        req,
        action="resolve",
        stage="confirm",
        unit_id=raising,
        me=me,
        person=person,
        now=now,
        to_unit=raising,
        comment=result,
        state="resolved",
        holder_unit_id=raising,
    )


def _do_confirm(conn, *, req, person, me, holder, now, text, **_):
    _must_be_state(req, "confirm", "resolved")
    _must_hold(req, me, holder, "confirm")
    _save(conn, req, state="closed", closed_at=now)
    at = _hop(conn, req.id, "confirm", from_unit=me.id, to_unit=None, staff_id=person.id, at=now, comment=_text(text))
    _end_stages(conn, req.id, at)


def _do_return(conn, *, req, loaded, person, me, holder, now, text, **_):
    reason = _text(text, required="退回需要写明原因")
    if req.state == "processing":  # an involved unit hands its subtask back to the coordinator
        mine = [s for s in _open_subtasks(conn, req.id) if s.unit_id == me.id]
        if not mine:
            _must_hold(req, me, holder, "return")
            raise _refuse("处理中的请求只能由子任务单位退回子任务；协调单位可以改派（reassign）或解决")
        _save(conn, req)
        at = _hop(
            conn,
            req.id,
            "return",
            from_unit=me.id,
            to_unit=req.coordinator_unit_id,
            staff_id=person.id,
            at=now,
            comment=reason,
            subtask_id=mine[0].id,
        )
        conn.execute(update(RequestSubtask).where(RequestSubtask.id == mine[0].id).values(state="cancelled"))
        _end_stages(conn, req.id, at, subtask_id=mine[0].id)
        return
    _must_hold(req, me, holder, "return")
    if req.state == "resolved":  # the raising unit is not satisfied: back to the coordinator to resolve again
        coordinator = req.coordinator_unit_id
        _move(
            conn,
            req,
            action="return",
            stage="resolve",
            unit_id=coordinator,
            me=me,
            person=person,
            now=now,
            to_unit=coordinator,
            comment=reason,
            state="processing",
            holder_unit_id=coordinator,
        )
        return
    # routing or coordinating: one step back down the route
    route = loaded.route
    position = route.index(holder.id)
    if position == 0:
        raise _refuse(f"请求 {req.number} 已在发起单位，无处退回；可以修改后再上报，或撤销")
    back = route[position - 1]
    _move(
        conn,
        req,
        action="return",
        stage="route",
        unit_id=back,
        me=me,
        person=person,
        now=now,
        to_unit=back,
        comment=reason,
        state="routing",
        holder_unit_id=back,
    )


def _do_reassign(conn, *, req, person, me, holder, now, text, unit, to_unit, **_):
    _must_be_state(req, "reassign", "processing")
    _must_hold(req, me, holder, "reassign")
    if not unit or not to_unit:
        raise ValidationError("改派需要指定原单位（--unit）和新单位（--to）", "reassign needs --unit and --to")
    found = _units_by_code(conn, [unit, to_unit])
    if unit not in found or to_unit not in found:
        missing = "、".join(c for c in (unit, to_unit) if c not in found)
        raise NotFound(f"没有代码为 {missing} 的单位", f"no unit {missing}")
    new = found[to_unit]
    if new.level not in INVOLVED_LEVELS:
        raise ValidationError(
            f"{new.name}不是地市或区县单位，不能承接子任务", "reassign target must be a city or county"
        )
    coordinator = _units_by_id(conn, [req.coordinator_unit_id])[req.coordinator_unit_id]
    if not (new.path + "/").startswith(coordinator.path + "/"):
        raise _refuse(f"{new.name}不在协调单位{coordinator.name}的范围内，不能改派给它")
    reason = _text(text, required="改派需要写明原因")
    old = found[unit]
    subtasks = conn.execute(
        select(RequestSubtask.id, RequestSubtask.state)
        .where(RequestSubtask.request_id == req.id, RequestSubtask.unit_id == old.id)
        .order_by(RequestSubtask.id.desc())
    ).all()
    if not subtasks or subtasks[0].state == "done":
        raise _refuse(f"{old.name}在请求 {req.number} 中没有未完成或被退回的子任务可以改派")
    values = {}
    if req.stage == "resolve":  # a returned subtask is handled again: the request is back in handling
        due = add_working_hours(now, sla_hours(conn, type_=req.type, priority=req.priority, stage="handle"))
        values = dict(stage="handle", stage_started_at=now, due_at=due, escalations=0)
    _save(conn, req, **values)
    if subtasks[0].state == "open":
        conn.execute(update(RequestSubtask).where(RequestSubtask.id == subtasks[0].id).values(state="cancelled"))
        _end_stages(conn, req.id, now, subtask_id=subtasks[0].id)
    if req.stage == "resolve":
        _end_stages(conn, req.id, now)
    at = _hop(conn, req.id, "reassign", from_unit=old.id, to_unit=new.id, staff_id=person.id, at=now, comment=reason)
    subtask_id = _dispatch_to(conn, req, new.id, at)
    conn.execute(
        update(RequestHop)
        .where(RequestHop.request_id == req.id, RequestHop.action == "reassign", RequestHop.subtask_id.is_(None))
        .values(subtask_id=subtask_id)
    )
    if not conn.execute(
        select(func.count())
        .select_from(RequestUnit)
        .where(RequestUnit.request_id == req.id, RequestUnit.unit_id == new.id)
    ).scalar():
        conn.execute(insert(RequestUnit).values(request_id=req.id, unit_id=new.id))


def _do_cancel(conn, *, req, person, me, now, text, **_):
    if me.id != req.raising_unit_id:
        raising = _units_by_id(conn, [req.raising_unit_id])[req.raising_unit_id]
        raise _refuse(f"只有发起单位{raising.name}可以撤销请求 {req.number}")
    reason = _text(text, required="撤销需要写明原因")
    _save(conn, req, state="cancelled", closed_at=now)
    at = _hop(conn, req.id, "cancel", from_unit=me.id, to_unit=None, staff_id=person.id, at=now, comment=reason)
    conn.execute(
        update(RequestSubtask)
        .where(RequestSubtask.request_id == req.id, RequestSubtask.state == "open")
        .values(state="cancelled")
    )
    conn.execute(
        update(RequestStage)
        .where(RequestStage.request_id == req.id, RequestStage.ended_at.is_(None))
        .values(ended_at=at)
    )


def _parties(conn: Connection, req, loaded: _Loaded) -> set[int]:
    """Units that take part: the route, the coordinator, the involved units."""
    return {*loaded.route, req.coordinator_unit_id, *_involved(conn, req.id)}


def _is_above(conn: Connection, upper: UnitRow, unit_ids: Sequence[int]) -> bool:
    for unit in _units_by_id(conn, list(unit_ids)).values():
        if unit.id != upper.id and (unit.path + "/").startswith(upper.path + "/"):
            return True
    return False


def _do_comment(conn, *, req, loaded, person, me, now, text, **_):
    parties = _parties(conn, req, loaded)
    if me.id not in parties and not _is_above(conn, me, list(parties)):
        raise _refuse(f"{me.name}与请求 {req.number} 无关，不能备注")
    note = _text(text, required="备注不能为空")
    _save(conn, req)
    _hop(conn, req.id, "comment", from_unit=me.id, to_unit=None, staff_id=person.id, at=now, comment=note)


def _holders(conn: Connection, req) -> list[int]:
    """Who must act now: the holder, or while subtasks are out, the units with open subtasks."""
    if req.state == "processing" and req.stage == "handle":
        return [s.unit_id for s in _open_subtasks(conn, req.id)] or [req.holder_unit_id]
    return [req.holder_unit_id]


def _do_urge(conn, *, req, person, me, now, text, **_):
    targets = _holders(conn, req)
    if not _is_above(conn, me, targets):
        raise _refuse(f"只有处理单位的上级单位可以督办；{me.name}不在其上")
    note = _text(text) or "请尽快处理"
    _save(conn, req)
    for unit_id in targets:
        _hop(conn, req.id, "urge", from_unit=me.id, to_unit=unit_id, staff_id=person.id, at=now, comment=note)


_ACTIONS = {
    "forward": _do_forward,
    "accept": _do_accept,
    "dispatch": _do_dispatch,
    "reply": _do_reply,
    "resolve": _do_resolve,
    "confirm": _do_confirm,
    "return": _do_return,
    "reassign": _do_reassign,
    "cancel": _do_cancel,
    "comment": _do_comment,
    "urge": _do_urge,
}


# --- overdue escalation -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Escalation:
    number: str
    from_unit: str
    to_unit: str
    stage: str
    overdue_hours: float


def escalate_overdue(conn: Connection, *, now: dt.datetime | None = None) -> list[Escalation]:
    """Escalate every overdue stage one level further up: the first time to the holder's upper KA unit,
    again after each further SLA period to the unit above that (never beyond the group). Each escalation
    is a hop by the system. Safe to run as often as wanted: a stage is escalated at most once per period."""
    now = as_utc(now or utcnow())
    done: list[Escalation] = []
    rows = conn.execute(
        select(ServiceRequest.__table__)
        .where(ServiceRequest.state.in_(OPEN_REQUEST_STATES), ServiceRequest.due_at < now)
        .order_by(ServiceRequest.id)  # the same hops in the same order on every database
    ).all()
    for req in rows:
        if req.state == "processing" and req.stage == "handle" and _open_subtasks(conn, req.id):
            continue  # handled per subtask below; with none open (handed back) the coordinator is late
        started, due = as_utc(req.stage_started_at), as_utc(req.due_at)
        level = min(_periods_overdue(started, due, now), _levels_above(conn, req.holder_unit_id))
        if level <= req.escalations:
            continue
        target = _ancestor(conn, req.holder_unit_id, level)
        if target is None:
            continue
        _save(conn, req, escalations=level)
        from_unit = _units_by_id(conn, [req.holder_unit_id])[req.holder_unit_id]
        hours = working_hours_between(due, now)
        comment = (
            f"“{_stage_label(req.stage)}”阶段已超时 {hours:.1f} 个工作小时"
            f"（时限 {due.astimezone(BEIJING):%m-%d %H:%M}），升级至{target.name}督办"
        )
        _hop(
            conn,
            req.id,
            "escalate",
            from_unit=req.holder_unit_id,
            to_unit=target.id,
            staff_id=None,
            at=now,
            comment=comment,
        )
        done.append(Escalation(req.number, from_unit.code, target.code, req.stage, round(hours, 1)))
    subtasks = conn.execute(
        select(RequestSubtask.__table__)
        .join(ServiceRequest, ServiceRequest.id == RequestSubtask.request_id)
        .where(RequestSubtask.state == "open", RequestSubtask.due_at < now, ServiceRequest.state == "processing")
        .order_by(RequestSubtask.id)
    ).all()
    for subtask in subtasks:
        started, due = as_utc(subtask.dispatched_at), as_utc(subtask.due_at)
        level = min(_periods_overdue(started, due, now), _levels_above(conn, subtask.unit_id))
        if level <= subtask.escalations:
            continue
        target = _ancestor(conn, subtask.unit_id, level)
        if target is None:
            continue
        changed = conn.execute(
            update(RequestSubtask)
            .where(RequestSubtask.id == subtask.id, RequestSubtask.escalations == subtask.escalations)
            .values(escalations=level)
        ).rowcount
        if changed != 1:
            continue
        req = conn.execute(select(ServiceRequest.__table__).where(ServiceRequest.id == subtask.request_id)).one()
        _save(conn, req)
        unit = _units_by_id(conn, [subtask.unit_id])[subtask.unit_id]
        hours = working_hours_between(due, now)
        comment = f"{unit.name}的“{subtask.kind}”子任务已超时 {hours:.1f} 个工作小时，升级至{target.name}督办"
        _hop(
            conn,
            req.id,
            "escalate",
            from_unit=unit.id,
            to_unit=target.id,
            staff_id=None,
            at=now,
            comment=comment,
            subtask_id=subtask.id,
        )
        done.append(Escalation(req.number, unit.code, target.code, "handle", round(hours, 1)))
    return done


def _stage_label(stage: str) -> str:
    return REQUEST_STAGE_LABELS[stage]


def _periods_overdue(started: dt.datetime, due: dt.datetime, now: dt.datetime) -> int:
    """1 once past the deadline, 2 once past it by another stage length, and so on."""
    if now <= due:
        return 0
    period = max(due - started, dt.timedelta(hours=1))
    return 1 + int((now - due) / period)


def _levels_above(conn: Connection, unit_id: int) -> int:
    """How many KA units are above ``unit_id`` (a late first sweep escalates to the group, not past it)."""
    return len(_units_by_id(conn, [unit_id])[unit_id].path.split("/")) - 1


def _ancestor(conn: Connection, unit_id: int, levels: int) -> UnitRow | None:
    """The unit ``levels`` levels above ``unit_id`` on the KA line; None above the group."""
    unit = _units_by_id(conn, [unit_id])[unit_id]
    codes = unit.path.split("/")
    index = len(codes) - 1 - levels
    if index < 0:
        return None
    return _units_by_code(conn, [codes[index]])[codes[index]]
