"""Demo cross-region service requests (一站式服务, DESIGN §5), made by running the real workflow.

Every request is raised with ``raise_request`` and moved on with ``act`` at synthetic times over the six
weeks or so before the demo's ``today``, and ``escalate_overdue`` runs every other office hour in between, so
each hop, stage, deadline and escalation is exactly what the application itself would have recorded.

A request starts from an account's active circuit whose A and Z ends lie in different cities (same
province or across provinces; a few stay within one city), is raised by a customer manager of the
account's serving city and gets a *fate*: closed, cancelled, or still open at the end in one of the open
states (climbing at one level or another, waiting to be dispatched, subtasks out with some replied,
waiting for the customer's confirmation). Its script — who acts when, with some steps late, a return
down the route, a subtask handed back and reassigned, a result the customer rejected, comments and urges
— is planned in memory first and then placed in time so that the fate holds at the end; then all
scripts run interleaved in time order. The same ``seed`` and ``today`` give the same rows.
"""

from __future__ import annotations

import bisect
import datetime as dt
import random
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Connection, select

from kam_console.demo.names import Weighted
from kam_console.models import (
    REQUEST_STATES,
    Account,
    AccountFirstContact,
    OrgUnit,
    Product,
    Service,
    ServiceRequest,
    Staff,
)
from kam_console.services.service_requests import act, escalate_overdue, raise_request
from kam_console.services.sla import BEIJING, add_working_hours, sla_table, working_hours_between

REQUESTS = {"small": 60, "medium": 300, "large": 800}
WINDOW_DAYS = 42
CIRCUIT_PRODUCTS = ("DC", "NEL")

FATES = ("closed", "cancelled", "resolved", "processing", "coordinating", "routing")
FATE_SHARES = (0.44, 0.06, 0.09, 0.19, 0.07, 0.15)
TYPES = Weighted(("fault", "new_circuit", "change", "complaint", "billing", "consultation"), (28, 24, 14, 12, 11, 11))
PRIORITIES = {
    "fault": Weighted(("urgent", "high", "normal", "low"), (20, 35, 40, 5)),
    "other": Weighted(("urgent", "high", "normal", "low"), (4, 18, 58, 20)),
}
SCOPES = Weighted(("city", "province", "national"), (12, 45, 43))
# chance that a step is taken after its deadline, by stage
LATE = {"route": 0.04, "coordinate": 0.06, "handle": 0.10, "resolve": 0.06, "confirm": 0.06}
OVERDUE_AT_END = 0.25  # share of open requests left waiting past the deadline on purpose (others run late too)
ROUTING_RETURN = 0.12
HAND_BACK_EVERY = 8  # every 8th request whose subtasks go to cities of a province has one handed back
RESULT_REJECTED = 0.08
COMMENT = 0.25
URGE_WHEN_LATE = 0.5
HANDLERS = ("project_manager", "business_manager", "customer_manager")

TITLES = {
    "new_circuit": "{ends} {bw}电路新开",
    "change": "{ends} 电路带宽调整",
    "fault": "{ends} 电路中断",
    "complaint": "{ends} 电路质量投诉",
    "billing": "{ends} 电路跨地市结算核对",
    "consultation": "{z}专线资源咨询",
}
DESCRIPTIONS = {
    "new_circuit": (
        "客户新设分支机构，需开通{span} {bw}数字电路一条，请协调两端资源。",
        "客户业务扩容，申请新开{span} {bw}电路，要求月底前开通。",
    ),
    "change": (
        "客户申请将{span}电路带宽由{bw}提升一档，请安排两端变更。",
        "客户{z}端机房搬迁，电路需改接新址，请协调实施。",
    ),
    "fault": (
        "客户报障：{span}电路今晨起中断，业务受影响，请两端配合排查。",
        "客户反映{span}电路丢包严重、时断时续，请尽快处理。",
    ),
    "complaint": (
        "客户投诉{span}电路近一个月多次中断，要求说明原因并整改。",
        "客户对{z}端装维响应慢不满，要求加快处理并回复。",
    ),
    "billing": (
        "客户对{span}电路上月账单有异议，请两端核对计费起止时间。",
        "{span}电路跨地市收入分成需核对，请两端确认账务。",
    ),
    "consultation": (
        "客户拟在{z}设立办事处，咨询当地专线资源与开通周期。",
        "客户咨询{z}端是否具备扩容条件及资费标准。",
    ),
}
DISPATCH = ("请各端按时限处理并回复。", "请相关单位配合处理，按时反馈结果。", None)
FORWARDS = (None, None, "请协调处理。", "客户催要进度，请协调。")
ROUTING_RETURNS = ("请补充客户联系人及电话。", "请补充电路编号和故障发生时间。", "需求描述不完整，请补充后再上报。")
AMENDED = "已补充，请协调。"
REPLIES = {
    "new_circuit": ("{c}端资源已确认，已完成跳纤开通。", "{c}端局数据已制作，测试正常。"),
    "change": ("{c}端变更已实施，业务正常。", "{c}端配置已调整完毕。"),
    "fault": ("{c}段已排查，更换光模块后恢复。", "{c}段测试正常，本端无告警。", "{c}段光缆被挖断，已抢修恢复。"),
    "complaint": ("已核查{c}端告警记录，系传输割接所致，已向客户解释。", "{c}端已整改，并安排专人跟进。"),
    "billing": ("{c}端账务已核对，无差异。", "{c}端计费起始日期有误，已更正。"),
    "consultation": ("{c}具备资源，可在5个工作日内开通。", "{c}端需新建接入，约需15个工作日。"),
}
SUBTASK_RETURNS = ("该电路{c}端不在本地市，请核实。", "经核实本端非该电路终端局所在地，退回协调单位。")
REASSIGNED = "经核实由{c}负责，改派。"
RESOLUTIONS = {
    "new_circuit": ("电路已开通，两端测试正常。", "电路开通完毕，请回访客户确认。"),
    "change": ("变更已完成，业务恢复正常。",),
    "fault": ("障碍已排除，电路恢复正常。", "故障已修复，已连续观察2小时无异常。"),
    "complaint": ("已查明原因并整改，请向客户解释。",),
    "billing": ("账务已核对并更正，差额下月冲抵。", "经核对计费无误，请向客户说明。"),
    "consultation": ("已答复客户资源及开通周期。",),
}
REJECTED = ("客户反馈问题仍未解决，请继续处理。", "客户不认可处理结果，要求进一步核查。")
CONFIRMS = ("已回访客户，客户确认。", "客户确认恢复正常。", None)
CANCELS = ("客户撤回需求。", "客户已自行解决，撤销。", "重复提交，撤销。")
COMMENTS = ("客户来电询问进度。", "已与客户沟通，客户同意延后处理。", "客户要求处理完毕后电话告知。")
URGES = ("客户催促，请加快处理。", "已超时，请今日内回复。", "请抓紧处理并及时反馈。")


@dataclass(frozen=True)
class _Unit:
    id: int
    code: str
    short_name: str
    level: str
    parent_id: int | None
    path: str


@dataclass(frozen=True)
class _Circuit:
    customer_no: str
    raising_id: int  # the account's serving city
    manager_id: int | None
    a_id: int
    z_id: int
    bandwidth: str


@dataclass
class _Spec:
    """One request's plan, drawn once; ``key`` seeds the draws that make its script."""

    key: str
    fate: str
    type: str
    priority: str
    circuit: _Circuit
    involved: list[int]  # unit ids in code order
    route: list[int]  # raising unit first, coordinator last
    raiser: str  # employee number
    handlers: dict[int, str]  # unit id → the employee who acts for it
    title: str
    text: str
    reassign_to: tuple[int, int] | None = None  # (unit handing its subtask back, the unit it goes to)


@dataclass
class _Step:
    at: dt.datetime
    action: str
    unit_id: int  # the acting unit
    text: str | None = None
    unit: str | None = None  # reassign: from this unit (code) …
    to_unit: str | None = None  # … to this one
    state: str = ""  # the request's state after the step


@dataclass
class _Wait:
    """What a request waits for after a step: the stage, the units that must act and the deadline (the
    earliest), and the clocks that escalation watches: (started, due, unit) of the stage or each subtask."""

    stage: str
    targets: list[int]
    due: dt.datetime
    clocks: list[tuple[dt.datetime, dt.datetime, int]]


@dataclass
class _Demo:
    """Everything the scripts need, read once from the database."""

    units: dict[int, _Unit]
    by_code: dict[str, _Unit]
    cities_of: dict[int, list[_Unit]]  # province id → its cities, code order
    staff: dict[int, dict[str, list[str]]]  # unit id → position → active employee numbers, id order
    staff_unit: dict[int, tuple[str, int]]  # active staff id → (employee number, unit id)
    first_contacts: dict[str, list[int]]  # customer number → first-contact staff ids
    circuits: dict[str, list[_Circuit]]  # scope → circuits
    sla: dict[tuple[str, str, str], int]
    end: dt.datetime  # the moment the demo's history stops: ``today`` at 09:00 Beijing time
    start: dt.datetime


def _read(conn: Connection, today: dt.date) -> _Demo:
    units = {
        r.id: _Unit(r.id, r.code, r.short_name, r.level, r.parent_id, r.path)
        for r in conn.execute(
            select(OrgUnit.id, OrgUnit.code, OrgUnit.short_name, OrgUnit.level, OrgUnit.parent_id, OrgUnit.path)
            .where(OrgUnit.active.is_(True))
            .order_by(OrgUnit.code)
        )
    }
    cities_of: dict[int, list[_Unit]] = {}
    for u in units.values():
        if u.level == "city" and u.parent_id in units:
            cities_of.setdefault(u.parent_id, []).append(u)
    staff: dict[int, dict[str, list[str]]] = {}
    staff_unit: dict[int, tuple[str, int]] = {}
    for sid, no, unit_id, position in conn.execute(
        select(Staff.id, Staff.employee_no, Staff.unit_id, Staff.position)
        .where(Staff.active.is_(True))
        .order_by(Staff.id)
    ):
        staff.setdefault(unit_id, {}).setdefault(position, []).append(no)
        staff_unit[sid] = (no, unit_id)
    first_contacts: dict[str, list[int]] = {}
    for customer_no, staff_id in conn.execute(
        select(Account.customer_no, AccountFirstContact.staff_id)
        .join(Account, Account.id == AccountFirstContact.account_id)
        .order_by(Account.id, AccountFirstContact.staff_id)
    ):
        first_contacts.setdefault(customer_no, []).append(staff_id)
    circuits: dict[str, list[_Circuit]] = {"city": [], "province": [], "national": []}
    rows = conn.execute(
        select(
            Account.customer_no,
            Account.serving_city_id,
            Account.manager_id,
            Service.a_city_id,
            Service.z_city_id,
            Service.bandwidth,
        )
        .join(Account, Account.id == Service.account_id)
        .join(Product, Product.id == Service.product_id)
        .where(
            Product.code.in_(CIRCUIT_PRODUCTS),
            Service.status == "active",
            Account.status == "active",
            Service.a_city_id.is_not(None),
            Service.z_city_id.is_not(None),
        )
        .order_by(Service.id)
    )
    for customer_no, serving, manager, a_id, z_id, bandwidth in rows:
        ends = [units.get(a_id), units.get(z_id), units.get(serving)]
        if any(u is None or u.level != "city" or u.id not in staff for u in ends):
            continue
        a, z, _ = ends
        scope = "city" if a.id == z.id else "province" if a.parent_id == z.parent_id else "national"
        circuits[scope].append(_Circuit(customer_no, serving, manager, a_id, z_id, bandwidth or "2M"))
    sla = {(t, p, s): hours for t, p, s, hours in sla_table(conn)}
    end = dt.datetime(today.year, today.month, today.day, 9, 0, tzinfo=BEIJING).astimezone(dt.UTC)
    return _Demo(
        units,
        {u.code: u for u in units.values()},
        cities_of,
        staff,
        staff_unit,
        first_contacts,
        circuits,
        sla,
        end,
        end - dt.timedelta(days=WINDOW_DAYS),
    )


# --- planning one request ------------------------------------------------------------------------------


def _route(demo: _Demo, raising: _Unit, involved: list[_Unit]) -> list[int]:
    """The routing rule of ``service_requests.plan_route``, on the paths read here."""
    paths = [raising.path.split("/")] + [u.path.split("/") for u in involved]
    common = 0
    for parts in zip(*paths, strict=False):
        if len(set(parts)) != 1:
            break
        common += 1
    own = paths[0]
    return [demo.by_code[code].id for code in reversed(own[common - 1 :])]


def _person(demo: _Demo, unit_id: int, positions: tuple[str, ...], rng: random.Random) -> str:
    by_position = demo.staff.get(unit_id, {})
    pool = [no for p in positions for no in by_position.get(p, ())]
    if not pool:
        pool = [no for p in sorted(by_position) for no in by_position[p]]
    return rng.choice(pool)


def _head(demo: _Demo, unit_id: int) -> str:
    by_position = demo.staff.get(unit_id, {})
    return (by_position.get("head") or [no for p in sorted(by_position) for no in by_position[p]])[0]


def _raiser(demo: _Demo, circuit: _Circuit, rng: random.Random) -> str:
    """The account's manager if they work in the raising city, else its first contact there, else one of the
    city's customer managers."""
    for staff_id in [circuit.manager_id, *demo.first_contacts.get(circuit.customer_no, ())]:
        person = demo.staff_unit.get(staff_id) if staff_id is not None else None
        if person is not None and person[1] == circuit.raising_id:
            return person[0]
    return _person(demo, circuit.raising_id, ("customer_manager",), rng)


def _fates(n: int, rng: random.Random) -> list[str]:
    """Fates by quota (every one present once there are a few dozen requests), in random order."""
    counts = [max(1, round(n * share)) for share in FATE_SHARES]
    counts[0] += n - sum(counts)
    fates = [fate for fate, k in zip(FATES, counts, strict=True) for _ in range(k)]
    rng.shuffle(fates)
    return fates


def _spec(demo: _Demo, index: int, fate: str, rng: random.Random, seed: int) -> _Spec | None:
    scope = SCOPES.pick(rng)
    pool = demo.circuits[scope] or demo.circuits["national"] or demo.circuits["province"] or demo.circuits["city"]
    if not pool:
        return None
    circuit = rng.choice(pool)
    type_ = TYPES.pick(rng)
    priority = PRIORITIES["fault" if type_ == "fault" else "other"].pick(rng)
    a, z = demo.units[circuit.a_id], demo.units[circuit.z_id]
    raising = demo.units[circuit.raising_id]
    involved = [z] if type_ == "consultation" else sorted({a.id: a, z.id: z}.values(), key=lambda u: u.code)
    route = _route(demo, raising, involved)
    span, ends = (
        (f"{a.short_name}至{z.short_name}", f"{a.short_name}—{z.short_name}")
        if a is not z
        else (a.short_name + "本地",) * 2
    )
    text_args = {"span": span, "ends": ends, "z": z.short_name, "bw": circuit.bandwidth}
    spec = _Spec(
        key=f"{seed}:request:{index}",
        fate=fate,
        type=type_,
        priority=priority,
        circuit=circuit,
        involved=[u.id for u in involved],
        route=route,
        raiser=_raiser(demo, circuit, rng),
        handlers={},
        title=TITLES[type_].format(**text_args),
        text=rng.choice(DESCRIPTIONS[type_]).format(**text_args),
    )
    for unit_id in [*route, *spec.involved]:
        spec.handlers.setdefault(
            unit_id, spec.raiser if unit_id == raising.id else _person(demo, unit_id, HANDLERS, rng)
        )
    return spec


def _hand_back(demo: _Demo, spec: _Spec, rng: random.Random) -> bool:
    """Let one involved unit hand its subtask back, for the coordinator to reassign it to another city of
    that unit's province; False where there is none."""
    back = demo.units[rng.choice(spec.involved)]
    others = [c for c in demo.cities_of.get(back.parent_id, ()) if c.id not in spec.involved]
    if not others:
        return False
    new = rng.choice(others)
    spec.reassign_to = (back.id, new.id)
    spec.handlers.setdefault(new.id, _person(demo, new.id, HANDLERS, rng))
    return True


class _Clock:
    """Times of a script: weekday hours after a step, moved into office hours (later, or else earlier) when
    that keeps the deadline, or the step is late anyway. Draws the same numbers whatever the start, so a
    script can be placed again at another start."""

    def __init__(self, demo: _Demo, spec: _Spec):
        self.demo, self.spec = demo, spec
        self.rng = random.Random(spec.key)

    def sla(self, stage: str) -> int:
        return self.demo.sla[(self.spec.type, self.spec.priority, stage)]

    def after(self, start: dt.datetime, stage: str, *, late: float | None = None) -> dt.datetime:
        rng, hours = self.rng, self.sla(stage)
        is_late = rng.random() < (LATE[stage] if late is None else late)
        share = rng.uniform(1.15, 2.8) if is_late else rng.triangular(0.08, 0.95, 0.35)
        minutes = rng.randrange(90)
        plain = add_working_hours(start, hours * share)
        if self.spec.priority == "urgent" or (stage == "handle" and self.spec.type == "fault"):
            return plain  # around the clock
        if is_late:
            return _office(plain, minutes)
        due = add_working_hours(start, hours)
        for office in (_office(plain, minutes), _office(plain, minutes, backward=True)):
            if start < office <= due:
                return office
        return plain  # someone worked late to keep the deadline

    def pick(self, options):
        return self.rng.choice(options)

    def chance(self, p: float) -> bool:
        return self.rng.random() < p


def _office(at: dt.datetime, minutes: int, *, backward: bool = False) -> dt.datetime:
    """``at`` if it falls in office hours (weekdays 08:00–19:00 Beijing), else the next weekday's 08:30
    plus ``minutes`` — or with ``backward``, the previous weekday's 18:30 less ``minutes``."""
    local = at.astimezone(BEIJING)
    if local.weekday() < 5 and 8 <= local.hour < 19:
        return at
    if backward:
        day = local.date() if local.hour >= 19 else local.date() - dt.timedelta(days=1)
        while day.weekday() >= 5:
            day -= dt.timedelta(days=1)
        closing = dt.datetime(day.year, day.month, day.day, 18, 30, tzinfo=BEIJING) - dt.timedelta(minutes=minutes)
        return closing.astimezone(dt.UTC)
    day = local.date() if local.hour < 8 else local.date() + dt.timedelta(days=1)
    while day.weekday() >= 5:
        day += dt.timedelta(days=1)
    opening = dt.datetime(day.year, day.month, day.day, 8, 30, tzinfo=BEIJING) + dt.timedelta(minutes=minutes)
    return opening.astimezone(dt.UTC)


def _script(demo: _Demo, spec: _Spec, t0: dt.datetime) -> list[_Step]:
    """The request's whole life from ``t0`` (its steps in time order; the fate cuts it later)."""
    clock = _Clock(demo, spec)
    units = demo.units
    route, coordinator, raising = spec.route, spec.route[-1], spec.route[0]
    steps = [_Step(t0, "raise", raising)]
    t = t0
    holder = 1 if len(route) > 1 else 0
    returned = False
    while True:
        t = clock.after(t, "route")
        if not returned and holder >= 1 and clock.chance(ROUTING_RETURN):
            returned = True
            steps.append(_Step(t, "return", route[holder], clock.pick(ROUTING_RETURNS)))
            holder -= 1
            continue
        if route[holder] == coordinator:
            steps.append(_Step(t, "accept", coordinator))
            break
        text = AMENDED if returned and holder == 0 else clock.pick(FORWARDS)
        steps.append(_Step(t, "forward", route[holder], text))
        holder += 1
    t = clock.after(t, "coordinate")
    steps.append(_Step(t, "dispatch", coordinator, clock.pick(DISPATCH)))
    dispatched, ends = t, []
    for unit_id in spec.involved:
        tb = clock.after(dispatched, "handle")
        if spec.reassign_to is not None and spec.reassign_to[0] == unit_id:
            new = spec.reassign_to[1]
            steps.append(_Step(tb, "return", unit_id, clock.pick(SUBTASK_RETURNS).format(c=units[unit_id].short_name)))
            tb = clock.after(tb, "coordinate")
            steps.append(
                _Step(
                    tb,
                    "reassign",
                    coordinator,
                    REASSIGNED.format(c=units[new].short_name),
                    unit=units[unit_id].code,
                    to_unit=units[new].code,
                )
            )
            tb = clock.after(tb, "handle")
            unit_id = new
        steps.append(_Step(tb, "reply", unit_id, clock.pick(REPLIES[spec.type]).format(c=units[unit_id].short_name)))
        ends.append(tb)
    t = clock.after(max(ends), "resolve")
    steps.append(_Step(t, "resolve", coordinator, clock.pick(RESOLUTIONS[spec.type])))
    if clock.chance(RESULT_REJECTED):
        t = clock.after(t, "confirm", late=0.0)
        steps.append(_Step(t, "return", raising, clock.pick(REJECTED)))
        t = clock.after(t, "resolve")
        steps.append(_Step(t, "resolve", coordinator, clock.pick(RESOLUTIONS[spec.type])))
    t = clock.after(t, "confirm")
    steps.append(_Step(t, "confirm", raising, clock.pick(CONFIRMS)))
    order = {id(s): n for n, s in enumerate(steps)}
    steps.sort(key=lambda s: (s.at, order[id(s)]))
    if spec.fate == "cancelled":
        # withdrawn by the raising unit while still open: after one of the steps before the resolution
        open_steps = [i for i, s in enumerate(steps) if s.action not in ("resolve", "confirm")]
        i = open_steps[min(int(clock.rng.random() * len(open_steps)), len(open_steps) - 1)]
        at = steps[i].at + (steps[i + 1].at - steps[i].at) * clock.rng.uniform(0.2, 0.8)
        steps = [*steps[: i + 1], _Step(at, "cancel", raising, clock.pick(CANCELS))]
    return steps


def _waits(demo: _Demo, spec: _Spec, steps: list[_Step]) -> list[_Wait | None]:
    """After each step: what the request waits for (mirroring the workflow); sets each step's state."""
    sla = {stage: demo.sla[(spec.type, spec.priority, stage)] for stage in LATE}
    route, coordinator, raising = spec.route, spec.route[-1], spec.route[0]
    state, stage, holder, since, due = "routing", "route", route[0], steps[0].at, steps[0].at
    out: dict[int, tuple[dt.datetime, dt.datetime]] = {}  # unit id → its open subtask's (dispatched, due)
    waits: list[_Wait | None] = []
    for s in steps:
        a, t, started = s.action, s.at, None
        if a == "raise":
            holder, started = (route[1] if len(route) > 1 else route[0]), "route"
        elif a == "forward":
            holder, started = route[route.index(holder) + 1], "route"
        elif a == "accept":
            state, started = "coordinating", "coordinate"
        elif a == "dispatch":
            state, started = "processing", "handle"
            out = {u: (t, add_working_hours(t, sla["handle"])) for u in spec.involved}
        elif a == "reply":
            out.pop(s.unit_id)
            if not out:
                started = "resolve"
        elif a == "reassign":
            if stage == "resolve":
                started = "handle"
            out[demo.by_code[s.to_unit].id] = (t, add_working_hours(t, sla["handle"]))
        elif a == "resolve":
            state, holder, started = "resolved", raising, "confirm"
        elif a == "return" and state == "processing":  # a subtask handed back
            out.pop(s.unit_id)
        elif a == "return" and state == "resolved":  # the customer is not satisfied
            state, holder, started = "processing", coordinator, "resolve"
        elif a == "return":
            state, holder, started = "routing", route[route.index(holder) - 1], "route"
        elif a == "confirm":
            state = "closed"
        elif a == "cancel":
            state = "cancelled"
        if started is not None:
            stage, since, due = started, t, add_working_hours(t, sla[started])
        s.state = state
        if state in ("closed", "cancelled"):
            waits.append(None)
        elif stage == "handle" and out:
            order = sorted(out, key=lambda u: (out[u][1], u))
            waits.append(_Wait("handle", order, out[order[0]][1], [(*out[u], u) for u in order]))
        else:
            waits.append(_Wait(stage, [holder], due, [(since, due, holder)]))
    return waits


def _before(end: dt.datetime, hours: float) -> dt.datetime:
    """The moment ``hours`` weekday hours before ``end``."""
    at = end - dt.timedelta(hours=hours)
    for _ in range(20):
        missing = hours - working_hours_between(at, end)
        if missing <= 1e-6:
            break
        at -= dt.timedelta(hours=missing)
    return at


def _placed(demo: _Demo, spec: _Spec, rng: random.Random) -> tuple[list[_Step], list[_Wait | None]]:
    """The script placed in time so that its fate holds at ``demo.end``, cut there."""
    t0 = _office(demo.start, rng.randrange(90))
    steps = _script(demo, spec, t0)
    waits = _waits(demo, spec, steps)
    if spec.fate in ("closed", "cancelled"):
        cut = len(steps) - 1
        span = steps[-1].at - steps[0].at
        room = (demo.end - demo.start) - span
        target = demo.start + span + room * rng.random() if room > dt.timedelta() else demo.end
    else:
        candidates = [i for i, s in enumerate(steps) if s.state == spec.fate]
        # half of those being processed have some of their replies in, where there are several subtasks
        partly = [i for i in candidates if steps[i].action == "reply" and waits[i].stage == "handle"]
        cut = rng.choice(partly if partly and rng.random() < 0.5 else candidates)
        hours = demo.sla[(spec.type, spec.priority, waits[cut].stage)]
        overdue = rng.random() < OVERDUE_AT_END
        target = _before(demo.end, hours * (rng.uniform(1.2, 3.5) if overdue else rng.uniform(0.05, 0.9)))
    # the cut step, named so that it is found again when parallel replies change places
    same = [(s.action, s.unit_id) for s in steps[: cut + 1]]
    key = (same[-1], same.count(same[-1]))
    best = None  # the placement whose cut step comes closest to the target, not after the end
    for _ in range(8):
        shift = target - steps[cut].at
        if steps[cut].at <= demo.end and (best is None or abs(shift) < best[0]):
            best = (abs(shift), steps, waits, cut)
        if abs(shift) < dt.timedelta(minutes=30):
            break
        t0 = _office(t0 + shift, rng.randrange(90), backward=shift < dt.timedelta())
        steps = _script(demo, spec, t0)
        waits = _waits(demo, spec, steps)
        cut = _find(steps, key, cut)
    if best is not None:
        _, steps, waits, cut = best
    if steps[cut].at > demo.end or steps[cut].state != spec.fate:
        fits = [i for i, s in enumerate(steps) if s.at <= demo.end] or [0]
        cut = next((i for i in reversed(fits) if steps[i].state == spec.fate), fits[-1])
    return steps[: cut + 1], waits[: cut + 1]


def _find(steps: list[_Step], key: tuple[tuple[str, int], int], default: int) -> int:
    seen: dict[tuple[str, int], int] = {}
    for i, s in enumerate(steps):
        seen[(s.action, s.unit_id)] = seen.get((s.action, s.unit_id), 0) + 1
        if ((s.action, s.unit_id), seen[(s.action, s.unit_id)]) == key:
            return i
    return default


def _extras(demo: _Demo, spec: _Spec, steps: list[_Step], waits: list[_Wait | None], rng: random.Random) -> list[_Step]:
    """Urges (by the head of a unit above the unit that must act, once it is late) and a comment of the
    raising unit, each inside a wait between two steps (the last wait runs to the end)."""
    out, spans = [], []
    for i, wait in enumerate(waits):
        until = steps[i + 1].at if i + 1 < len(steps) else demo.end
        if wait is None or until <= steps[i].at:
            continue
        spans.append((steps[i].at, until))
        late_from = max(wait.due, steps[i].at)
        target = demo.units[wait.targets[0]]
        if late_from < until and target.parent_id is not None and rng.random() < URGE_WHEN_LATE:
            upper = target.parent_id
            grand = demo.units[upper].parent_id
            if grand is not None and rng.random() < 0.3:
                upper = grand
            at = _during(late_from, until, rng)
            out.append(_Step(at, "urge", upper, rng.choice(URGES), state=steps[i].state))
    if spans and rng.random() < COMMENT:
        start, until = rng.choice(spans)
        out.append(_Step(_during(start, until, rng), "comment", spec.route[0], rng.choice(COMMENTS)))
    return out


def _escalations(demo: _Demo, scripts) -> list[dt.datetime]:
    """When the scripts' stages and subtasks may fall due for escalation: at the deadline, then after each
    further stage length, once per unit above the late unit (as ``escalate_overdue`` counts them). A few
    too many do no harm (a run that finds nothing writes nothing); one too few would lose an escalation."""
    moments = []
    for _, steps, waits in scripts:
        main = [s for s in steps if s.action not in ("urge", "comment")]
        for i, wait in enumerate(waits):
            if wait is None:
                continue
            until = min(main[i + 1].at if i + 1 < len(main) else demo.end, demo.end)
            for started, due, unit_id in wait.clocks:
                period = max(due - started, dt.timedelta(hours=1))
                for k in range(len(demo.units[unit_id].path.split("/")) - 1):
                    at = due + period * k
                    if at >= until:
                        break
                    # already late when the wait began: the next run catches up (e.g. the coordinator's
                    # stage once the last open subtask was handed back)
                    moments.append(max(at, main[i].at))
    return moments


def _during(start: dt.datetime, until: dt.datetime, rng: random.Random) -> dt.datetime:
    """A moment between ``start`` and ``until``, in office hours where that fits."""
    at = start + (until - start) * rng.uniform(0.1, 0.9)
    office = _office(at, rng.randrange(90))
    return office if office < until else at


def _sweeps(start: dt.datetime, end: dt.datetime, moments: list[dt.datetime]) -> list[dt.datetime]:
    """When the escalation job runs: every other office hour (08:00 to 20:00 Beijing, weekdays) from
    ``start`` to ``end``, and at ``end`` — less the runs that would find nothing new to escalate (the
    ones with no escalation ``moments`` since the run before), which write nothing anyway."""
    local = start.astimezone(BEIJING).replace(minute=0, second=0, microsecond=0) + dt.timedelta(hours=1)
    runs = []
    while local <= end:
        if local.weekday() < 5 and 8 <= local.hour <= 20 and local.hour % 2 == 0:
            runs.append(local.astimezone(dt.UTC))
        local += dt.timedelta(hours=1)
    runs.append(end)
    needed = {bisect.bisect_right(runs, at) for at in moments}
    return [at for i, at in enumerate(runs) if i in needed or at == end]


# --- running the scripts -------------------------------------------------------------------------------


def seed_requests(
    conn: Connection,
    *,
    scale: str,
    seed: int,
    today: dt.date,
    progress: Callable[[int, int], None] | None = None,
) -> dict[str, int]:
    """Raise and work the demo's requests on ``conn`` (accounts, services and staff already written);
    returns the number of requests in each state at the end."""
    demo = _read(conn, today)
    rng = random.Random(f"{seed}:requests")
    scripts: list[tuple[_Spec, list[_Step], list[_Wait | None]]] = []
    eligible = 0
    for index, fate in enumerate(_fates(REQUESTS[scale], rng)):
        spec = _spec(demo, index, fate, rng, seed)
        if spec is None:
            continue
        if demo.units[spec.route[-1]].level != "city" and fate in ("closed", "resolved", "processing"):
            eligible += 1
            if eligible % HAND_BACK_EVERY == 1 and not _hand_back(demo, spec, rng):
                eligible -= 1
        steps, waits = _placed(demo, spec, rng)
        scripts.append((spec, steps + _extras(demo, spec, steps, waits, rng), waits))
    events = sorted(
        ((s.at, n, k, s) for n, (_spec_, steps, _waits_) in enumerate(scripts) for k, s in enumerate(steps)),
        key=lambda e: e[:3],
    )
    events = [e for e in events if e[0] <= demo.end]
    sweeps = _sweeps(events[0][0], demo.end, _escalations(demo, scripts)) if events else []
    numbers: dict[int, str] = {}
    report = progress or (lambda done, total: None)
    total, next_sweep = len(events), 0
    every = max(1, total // 20)
    for done, (at, n, _k, step) in enumerate(events):
        if done % every == 0:
            report(done, total)
        while next_sweep < len(sweeps) and sweeps[next_sweep] < at:
            escalate_overdue(conn, now=sweeps[next_sweep])
            next_sweep += 1
        spec = scripts[n][0]
        if step.action == "raise":
            raised = raise_request(
                conn,
                account=spec.circuit.customer_no,
                type_=spec.type,
                units=[demo.units[u].code for u in spec.involved],
                as_staff=spec.raiser,
                priority=spec.priority,
                title=spec.title,
                text=spec.text,
                attachments=[f"\\\\kam-files\\一站式服务\\{spec.circuit.customer_no}\\需求单.pdf"]
                if spec.type in ("new_circuit", "change")
                else (),
                now=at,
            )
            numbers[n] = raised.number
            continue
        person = _head(demo, step.unit_id) if step.action == "urge" else spec.handlers[step.unit_id]
        act(
            conn,
            number=numbers[n],
            action=step.action,
            as_staff=person,
            text=step.text,
            unit=step.unit,
            to_unit=step.to_unit,
            now=at,
        )
    for at in sweeps[next_sweep:]:
        escalate_overdue(conn, now=at)
    report(total, total)
    counts = dict.fromkeys(REQUEST_STATES, 0)
    made = list(numbers.values())
    for state in conn.execute(select(ServiceRequest.state).where(ServiceRequest.number.in_(made))).scalars():
        counts[state] += 1
    return counts


__all__ = ["REQUESTS", "seed_requests"]
