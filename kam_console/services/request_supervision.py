"""Supervising cross-region service requests (督办, DESIGN §5) and their monthly statistics. Reads only.

**Who must act** (the same rule as the workflow's urging, ``service_requests``): the unit holding an
open request; while subtasks are out (state processing, stage handle), every unit with an open subtask
instead — or the holder (the coordinator) again once none is open. Each such (request, unit) pair is one
piece of pending work with its own deadline: the request's ``due_at``, or the earliest ``due_at`` of the
unit's open subtasks on it.

**Supervision board** (``supervision_board``): the pending work of every unit in a unit's subtree — the
unit itself included — that is overdue or due within ``soon_hours`` weekday hours, with its escalations
and the urges (督办) aimed at that unit since the work began; counted by acting unit and by stage so a
head sees where delays pile up. Overdue hours are *weekday* hours, like the SLA deadlines they are
measured against (``services.sla``): a deadline of Friday 18:00 is 15 hours overdue on Monday 09:00.

**Statistics** (``request_statistics``, ``statistics_by_child``): per unit and month, over the requests
raised by the unit or any unit below it; months are calendar months in Beijing time. The definitions are
in ``RequestStats``.

Every answer comes from a handful of grouped queries; nothing queries per request.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Connection, and_, case, exists, func, not_, or_, select, union_all

from kam_console.errors import NotFound, ValidationError
from kam_console.models import (
    OPEN_REQUEST_STATES,
    REQUEST_PRIORITIES,
    REQUEST_PRIORITY_LABELS,
    REQUEST_STAGE_LABELS,
    REQUEST_STAGES,
    REQUEST_TYPE_LABELS,
    Account,
    OrgUnit,
    RequestHop,
    RequestStage,
    RequestSubtask,
    ServiceRequest,
    Staff,
)
from kam_console.services.sla import BEIJING, add_working_hours, as_utc, working_hours_between

DEFAULT_SOON_HOURS = 4

_R = ServiceRequest.__table__
_S = RequestSubtask.__table__
_H = RequestHop.__table__
_U = OrgUnit.__table__


# --- units ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Unit:
    id: int
    code: str
    name: str
    path: str


def _unit(conn: Connection, code: str) -> _Unit:
    row = conn.execute(select(OrgUnit.id, OrgUnit.code, OrgUnit.name, OrgUnit.path).where(OrgUnit.code == code)).first()
    if row is None:
        raise NotFound(f"没有代码为 {code} 的单位", f"no unit {code}")
    return _Unit(*row)


def _in_subtree(path_column, path: str):
    return or_(path_column == path, path_column.like(path + "/%"))


# --- the supervision board --------------------------------------------------------------------------


@dataclass(frozen=True)
class UrgeNote:
    """One urge (督办): when, by which unit and person, saying what."""

    at: dt.datetime
    unit_code: str
    unit_name: str
    staff_name: str | None
    comment: str | None


@dataclass(frozen=True)
class BoardRow:
    """One piece of pending work: a request waiting for one unit at one stage."""

    number: str
    account_name: str
    type: str
    type_label: str
    priority: str
    priority_label: str
    state: str
    unit_code: str  # the unit that must act
    unit_name: str
    stage: str
    stage_label: str
    due_at: dt.datetime
    overdue_hours: float  # weekday hours past due_at; negative: weekday hours left
    escalations: int  # of this stage (or subtask), as escalate_overdue counts them
    urges: int  # urges aimed at this unit on this request since the work began
    last_urge: UrgeNote | None
    overdue: bool  # past due_at (even when no weekday hour has passed since, over a weekend)


@dataclass(frozen=True)
class BoardGroup:
    """Rows of the board that share an acting unit (code, name) or a stage (code, label)."""

    code: str
    label: str
    rows: int
    overdue: int


@dataclass(frozen=True)
class Board:
    unit_code: str
    unit_name: str
    now: dt.datetime
    soon_hours: float
    rows: tuple[BoardRow, ...]  # most overdue first
    by_unit: tuple[BoardGroup, ...]  # most rows first, then unit code
    by_stage: tuple[BoardGroup, ...]  # stage order

    @property
    def overdue(self) -> int:
        return sum(1 for r in self.rows if r.overdue)

    @property
    def due_soon(self) -> int:
        return len(self.rows) - self.overdue


def _pending_work(threshold: dt.datetime, path: str):
    """(request_id, unit_id, due_at, escalations, started_at) of every piece of pending work due by
    ``threshold`` whose acting unit is in the subtree at ``path`` — one row per (request, unit)."""
    handling = and_(_R.c.state == "processing", _R.c.stage == "handle")
    open_sub = _S.alias("open_sub")
    anything_out = exists().where(open_sub.c.request_id == _R.c.id, open_sub.c.state == "open")
    holder_unit = _U.alias("holder_unit")
    held = (
        select(
            _R.c.id.label("request_id"),
            _R.c.holder_unit_id.label("unit_id"),
            _R.c.due_at.label("due_at"),
            _R.c.escalations.label("escalations"),
            _R.c.stage_started_at.label("started_at"),
        )
        .join(holder_unit, holder_unit.c.id == _R.c.holder_unit_id)
        .where(
            _R.c.state.in_(OPEN_REQUEST_STATES),
            not_(and_(handling, anything_out)),
            _R.c.due_at <= threshold,
            _in_subtree(holder_unit.c.path, path),
        )
    )
    per_unit = (
        select(
            _S.c.request_id,
            _S.c.unit_id,
            func.min(_S.c.due_at).label("due_at"),
            func.max(_S.c.escalations).label("escalations"),
            func.min(_S.c.dispatched_at).label("started_at"),
        )
        .where(_S.c.state == "open")
        .group_by(_S.c.request_id, _S.c.unit_id)
        .subquery("per_unit")
    )
    sub_unit = _U.alias("sub_unit")
    out = (
        select(
            per_unit.c.request_id, per_unit.c.unit_id, per_unit.c.due_at, per_unit.c.escalations, per_unit.c.started_at
        )
        .join(_R, _R.c.id == per_unit.c.request_id)
        .join(sub_unit, sub_unit.c.id == per_unit.c.unit_id)
        .where(handling, per_unit.c.due_at <= threshold, _in_subtree(sub_unit.c.path, path))
    )
    return union_all(held, out).cte("pending")


def supervision_board(
    conn: Connection, *, unit: str, now: dt.datetime, soon_hours: float = DEFAULT_SOON_HOURS
) -> Board:
    """The board of unit ``unit`` (code): pending work in its subtree that is overdue at ``now`` or due
    within ``soon_hours`` weekday hours of it. Work due later is not shown."""
    if soon_hours < 0:
        raise ValidationError("临期时限不能为负数", "soon_hours must not be negative")
    now = as_utc(now)
    me = _unit(conn, unit)
    threshold = add_working_hours(now, soon_hours)
    pending = _pending_work(threshold, me.path)
    acting = _U.alias("acting")
    rows = conn.execute(
        select(
            pending.c.request_id,
            pending.c.unit_id,
            pending.c.due_at,
            pending.c.escalations,
            _R.c.number,
            Account.name.label("account_name"),
            _R.c.type,
            _R.c.priority,
            _R.c.state,
            _R.c.stage,
            acting.c.code,
            acting.c.name,
        )
        .join(_R, _R.c.id == pending.c.request_id)
        .join(Account, Account.id == _R.c.account_id)
        .join(acting, acting.c.id == pending.c.unit_id)
    ).all()

    # urges aimed at the acting unit since its work began: counted, and the last one in full
    counted = (
        select(
            pending.c.request_id,
            pending.c.unit_id,
            func.count(_H.c.id).label("n"),
            func.max(_H.c.seq).label("last_seq"),
        )
        .join(
            _H,
            and_(
                _H.c.request_id == pending.c.request_id,
                _H.c.to_unit_id == pending.c.unit_id,
                _H.c.action == "urge",
                _H.c.at >= pending.c.started_at,
            ),
        )
        .group_by(pending.c.request_id, pending.c.unit_id)
        .subquery("counted")
    )
    last = _H.alias("last_urge")
    urging = _U.alias("urging")
    urges = {
        (u.request_id, u.unit_id): (int(u.n), UrgeNote(as_utc(u.at), u.code, u.name, u.staff_name, u.comment))
        for u in conn.execute(
            select(
                counted.c.request_id,
                counted.c.unit_id,
                counted.c.n,
                last.c.at,
                urging.c.code,
                urging.c.name,
                Staff.name.label("staff_name"),
                last.c.comment,
            )
            .join(last, and_(last.c.request_id == counted.c.request_id, last.c.seq == counted.c.last_seq))
            .join(urging, urging.c.id == last.c.from_unit_id)
            .outerjoin(Staff, Staff.id == last.c.staff_id)
        )
    }

    board_rows = []
    for r in rows:
        due = as_utc(r.due_at)
        hours = working_hours_between(due, now)
        n_urges, last_urge = urges.get((r.request_id, r.unit_id), (0, None))
        board_rows.append(
            BoardRow(
                number=r.number,
                account_name=r.account_name,
                type=r.type,
                type_label=REQUEST_TYPE_LABELS[r.type],
                priority=r.priority,
                priority_label=REQUEST_PRIORITY_LABELS[r.priority],
                state=r.state,
                unit_code=r.code,
                unit_name=r.name,
                stage=r.stage,
                stage_label=REQUEST_STAGE_LABELS[r.stage],
                due_at=due,
                overdue_hours=round(hours, 1) if due < now else -round(abs(hours), 1),
                escalations=int(r.escalations or 0),
                urges=n_urges,
                last_urge=last_urge,
                overdue=due < now,
            )
        )
    priority_rank = {p: i for i, p in enumerate(REQUEST_PRIORITIES)}
    board_rows.sort(key=lambda b: (b.due_at, priority_rank[b.priority], b.number, b.unit_code))

    units: dict[str, list] = {}
    stages: dict[str, list] = {}
    for b in board_rows:
        for groups, key, label in ((units, b.unit_code, b.unit_name), (stages, b.stage, b.stage_label)):
            entry = groups.setdefault(key, [label, 0, 0])
            entry[1] += 1
            entry[2] += b.overdue
    by_unit = sorted((BoardGroup(code, *v) for code, v in units.items()), key=lambda g: (-g.rows, g.code))
    by_stage = [BoardGroup(s, *stages[s]) for s in REQUEST_STAGES if s in stages]
    return Board(me.code, me.name, now, soon_hours, tuple(board_rows), tuple(by_unit), tuple(by_stage))


# --- urge history -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class UrgeRecord:
    at: dt.datetime
    unit_code: str  # the urging unit
    unit_name: str
    staff_no: str | None
    staff_name: str | None
    target_code: str  # the unit urged
    target_name: str
    comment: str | None


def urge_history(conn: Connection, *, number: str) -> list[UrgeRecord]:
    """Every urge on request ``number``, oldest first (one urge of several units is one record each)."""
    request_id = conn.execute(select(ServiceRequest.id).where(ServiceRequest.number == number)).scalar()
    if request_id is None:
        raise NotFound(f"没有编号为 {number} 的请求", f"no request {number}")
    urging, target = _U.alias("urging"), _U.alias("target")
    rows = conn.execute(
        select(_H.c.at, urging.c.code, urging.c.name, Staff.employee_no, Staff.name, target.c.code, target.c.name)
        .add_columns(_H.c.comment)
        .join(urging, urging.c.id == _H.c.from_unit_id)
        .join(target, target.c.id == _H.c.to_unit_id)
        .outerjoin(Staff, Staff.id == _H.c.staff_id)
        .where(_H.c.request_id == request_id, _H.c.action == "urge")
        .order_by(_H.c.seq)
    ).all()
    return [UrgeRecord(as_utc(r[0]), *r[1:]) for r in rows]


# --- statistics per unit and month ------------------------------------------------------------------


@dataclass(frozen=True)
class StageStats:
    """Stage rows of one stage that ended in the month."""

    stage: str
    label: str
    count: int
    avg_hours: float | None  # weekday hours from started_at to ended_at, averaged
    on_time: int  # ended no later than due_at
    on_time_pct: float | None


@dataclass(frozen=True)
class RequestStats:
    """Requests raised by a unit or any unit below it, for one month (Beijing time).

    - ``raised``: raised in the month.
    - ``closed``: closed (confirmed with the customer) in the month, whenever raised.
    - ``cancelled``: cancelled in the month, whenever raised.
    - ``open_at_month_end``: raised before the month ended and neither closed nor cancelled by then
      (for the current month: not closed or cancelled yet).
    - ``closed_on_time`` / ``on_time_pct``: of those closed in the month, the ones whose every recorded
      stage — each level's forwarding, the coordinator's accepting and dispatching, every subtask's
      handling (a subtask handed back or reassigned included), each resolving and the confirming — ended
      no later than that stage's deadline (``request_stage.ended_at <= due_at``); as a percentage of
      ``closed``, ``None`` when nothing closed.
    - ``stages``: per stage, the stage rows that ended in the month: the average weekday hours they
      took and the share that ended by their deadline. Stages cut short by cancelling the request are
      left out (they were not handled, only stopped).
    """

    unit_code: str
    unit_name: str
    month: int
    raised: int
    closed: int
    cancelled: int
    open_at_month_end: int
    closed_on_time: int
    on_time_pct: float | None
    stages: tuple[StageStats, ...]  # stage order, stages with no rows left out


def _month_bounds(month: int) -> tuple[dt.datetime, dt.datetime]:
    if not isinstance(month, int) or not 190001 <= month <= 999912 or not 1 <= month % 100 <= 12:
        raise ValidationError(f"月份应为 YYYYMM 形式的整数（给出的是 {month}）", f"invalid month {month!r}")
    year, mon = divmod(month, 100)
    start = dt.datetime(year, mon, 1, tzinfo=BEIJING)
    end = dt.datetime(year + mon // 12, mon % 12 + 1, 1, tzinfo=BEIJING)
    return start.astimezone(dt.UTC), end.astimezone(dt.UTC)


class _Tally:
    def __init__(self) -> None:
        self.counts = [0, 0, 0, 0, 0]  # raised, closed, cancelled, open at month end, closed on time
        self.stage_hours: dict[str, list[float]] = defaultdict(list)
        self.stage_on_time: dict[str, int] = defaultdict(int)

    def stats(self, unit: _Unit, month: int) -> RequestStats:
        raised, closed, cancelled, still_open, on_time = self.counts
        stages = []
        for stage in REQUEST_STAGES:
            hours = self.stage_hours.get(stage)
            if not hours:
                continue
            good = self.stage_on_time[stage]
            stages.append(
                StageStats(
                    stage,
                    REQUEST_STAGE_LABELS[stage],
                    len(hours),
                    round(sum(hours) / len(hours), 1),
                    good,
                    round(100.0 * good / len(hours), 1),
                )
            )
        return RequestStats(
            unit.code,
            unit.name,
            month,
            raised,
            closed,
            cancelled,
            still_open,
            on_time,
            round(100.0 * on_time / closed, 1) if closed else None,
            tuple(stages),
        )


def _tally(conn: Connection, unit: _Unit, month: int, bucket: Callable[[str], str | None]) -> dict[str, _Tally]:
    """Counts per bucket; ``bucket(raising unit path)`` names the bucket a request falls in (None: none)."""
    start, end = _month_bounds(month)
    raising = _U.alias("raising")
    in_scope = _in_subtree(raising.c.path, unit.path)
    in_month = and_(_R.c.closed_at >= start, _R.c.closed_at < end)
    late_stage = exists().where(
        RequestStage.request_id == _R.c.id,
        or_(RequestStage.ended_at.is_(None), RequestStage.ended_at > RequestStage.due_at),
    )
    tallies: dict[str, _Tally] = defaultdict(_Tally)
    for row in conn.execute(
        select(
            raising.c.path,
            func.sum(case((and_(_R.c.raised_at >= start, _R.c.raised_at < end), 1), else_=0)),
            func.sum(case((and_(_R.c.state == "closed", in_month), 1), else_=0)),
            func.sum(case((and_(_R.c.state == "cancelled", in_month), 1), else_=0)),
            func.sum(case((or_(_R.c.closed_at.is_(None), _R.c.closed_at >= end), 1), else_=0)),
            func.sum(case((and_(_R.c.state == "closed", in_month, not_(late_stage)), 1), else_=0)),
        )
        .join(raising, raising.c.id == _R.c.raising_unit_id)
        .where(in_scope, _R.c.raised_at < end, or_(_R.c.closed_at.is_(None), _R.c.closed_at >= start))
        .group_by(raising.c.path)
    ):
        key = bucket(row[0])
        if key is None:
            continue
        counts = tallies[key].counts
        for i, value in enumerate(row[1:]):
            counts[i] += int(value or 0)

    cut_short = and_(_R.c.state == "cancelled", RequestStage.ended_at >= _R.c.closed_at)
    for path, stage, started, ended, due in conn.execute(
        select(raising.c.path, RequestStage.stage, RequestStage.started_at, RequestStage.ended_at, RequestStage.due_at)
        .join(_R, _R.c.id == RequestStage.request_id)
        .join(raising, raising.c.id == _R.c.raising_unit_id)
        .where(in_scope, RequestStage.ended_at >= start, RequestStage.ended_at < end, not_(cut_short))
    ):
        key = bucket(path)
        if key is None:
            continue
        tally = tallies[key]
        ended = as_utc(ended)
        tally.stage_hours[stage].append(working_hours_between(started, ended))
        tally.stage_on_time[stage] += ended <= as_utc(due)
    return tallies


def request_statistics(conn: Connection, *, unit: str, month: int) -> RequestStats:
    """The month's figures (``RequestStats``) of the requests raised by unit ``unit`` (code) or below it."""
    me = _unit(conn, unit)
    tallies = _tally(conn, me, month, lambda path: me.code)
    return tallies.get(me.code, _Tally()).stats(me, month)


def statistics_by_child(conn: Connection, *, unit: str, month: int) -> list[RequestStats]:
    """``request_statistics`` for each unit directly below ``unit`` (a province: its cities), in code order,
    zeros included — from the same grouped queries. Requests the unit raised itself are in no child's row,
    so the rows add up to ``request_statistics`` of the unit less its own requests."""
    me = _unit(conn, unit)
    children = [
        _Unit(*r)
        for r in conn.execute(
            select(OrgUnit.id, OrgUnit.code, OrgUnit.name, OrgUnit.path)
            .where(OrgUnit.parent_id == me.id)
            .order_by(OrgUnit.code)
        )
    ]
    depth = len(me.path.split("/"))

    def child_of(path: str) -> str | None:
        parts = path.split("/")
        return parts[depth] if len(parts) > depth else None

    tallies = _tally(conn, me, month, child_of)
    return [tallies.get(c.code, _Tally()).stats(c, month) for c in children]


__all__ = [
    "Board",
    "BoardGroup",
    "BoardRow",
    "RequestStats",
    "StageStats",
    "UrgeNote",
    "UrgeRecord",
    "request_statistics",
    "statistics_by_child",
    "supervision_board",
    "urge_history",
]
