"""Deadlines of request stages: the SLA table (hours by request type, priority and stage) and weekday-hour
arithmetic.

SLA hours are *weekday* hours on Beijing time (UTC+8): a stage that starts on Friday at 20:00 with 8 hours
is due on Monday at 04:00, not on Saturday. Public holidays (the State Council's calendar changes every
year) are not modelled. Deadlines are computed once, when a stage starts, from stored timestamps and
stored in the database — a clock that later jumps moves neither the deadline nor the recorded history.
All timestamps are timezone-aware UTC.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Connection, select, update

from kam_console.errors import NotFound, ValidationError
from kam_console.models import (
    REQUEST_PRIORITIES,
    REQUEST_PRIORITY_LABELS,
    REQUEST_STAGE_LABELS,
    REQUEST_STAGES,
    REQUEST_TYPE_LABELS,
    REQUEST_TYPES,
    SlaRule,
    Staff,
)

BEIJING = dt.timezone(dt.timedelta(hours=8), "Asia/Shanghai")
MAX_SLA_HOURS = 24 * 60  # two months of weekday hours: anything longer is a typing mistake


def as_utc(value: dt.datetime) -> dt.datetime:
    """A stored timestamp as aware UTC (SQLite hands back naive datetimes of what was stored as UTC)."""
    if value.tzinfo is None:
        return value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC)


def _is_weekend(local: dt.datetime) -> bool:
    return local.weekday() >= 5


def _next_day(local: dt.datetime) -> dt.datetime:
    return (local + dt.timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)


def add_working_hours(start: dt.datetime, hours: float) -> dt.datetime:
    """``start`` plus ``hours`` counted on weekdays (Beijing time) only."""
    local = as_utc(start).astimezone(BEIJING)
    remaining = dt.timedelta(hours=hours)
    while True:
        while _is_weekend(local):
            local = _next_day(local)
        day_left = _next_day(local) - local
        if remaining <= day_left:
            return (local + remaining).astimezone(dt.UTC)
        remaining -= day_left
        local = _next_day(local)


def working_hours_between(start: dt.datetime, end: dt.datetime) -> float:
    """Weekday hours from ``start`` to ``end`` (negative if ``end`` is earlier)."""
    a, b = as_utc(start).astimezone(BEIJING), as_utc(end).astimezone(BEIJING)
    if b < a:
        return -working_hours_between(end, start)
    total = dt.timedelta()
    cursor = a
    while cursor < b:
        step_end = min(_next_day(cursor), b)
        if not _is_weekend(cursor):
            total += step_end - cursor
        cursor = step_end
    return total.total_seconds() / 3600


def sla_hours(conn: Connection, *, type_: str, priority: str, stage: str) -> int:
    hours = conn.execute(
        select(SlaRule.hours).where(SlaRule.type == type_, SlaRule.priority == priority, SlaRule.stage == stage)
    ).scalar()
    if hours is None:
        raise NotFound(
            f"没有{REQUEST_TYPE_LABELS.get(type_, type_)}/{REQUEST_PRIORITY_LABELS.get(priority, priority)}/"
            f"{REQUEST_STAGE_LABELS.get(stage, stage)}的时限规则",
            f"no SLA rule for {type_}/{priority}/{stage}",
        )
    return int(hours)


def deadline(conn: Connection, *, type_: str, priority: str, stage: str, start: dt.datetime) -> dt.datetime:
    return add_working_hours(start, sla_hours(conn, type_=type_, priority=priority, stage=stage))


def sla_table(conn: Connection) -> list[tuple[str, str, str, int]]:
    """(type, priority, stage, hours) in catalogue order."""
    rows = conn.execute(select(SlaRule.type, SlaRule.priority, SlaRule.stage, SlaRule.hours)).all()
    order = (
        {t: i for i, t in enumerate(REQUEST_TYPES)},
        {p: i for i, p in enumerate(REQUEST_PRIORITIES)},
        {s: i for i, s in enumerate(REQUEST_STAGES)},
    )
    return sorted(
        ((r[0], r[1], r[2], int(r[3])) for r in rows),
        key=lambda r: (order[0][r[0]], order[1][r[1]], order[2][r[2]]),
    )


def set_sla_hours(
    conn: Connection, *, type_: str, priority: str, stage: str, hours: int, by_staff_id: int | None, now: dt.datetime
) -> None:
    """Change one rule. Stages already running keep the deadline they started with."""
    problems = []
    if type_ not in REQUEST_TYPES:
        problems.append(f"未知的请求类型：{type_}")
    if priority not in REQUEST_PRIORITIES:
        problems.append(f"未知的优先级：{priority}")
    if stage not in REQUEST_STAGES:
        problems.append(f"未知的阶段：{stage}")
    if not isinstance(hours, int) or not 1 <= hours <= MAX_SLA_HOURS:
        problems.append(f"时限应为 1 至 {MAX_SLA_HOURS} 个工作小时的整数（给出的是 {hours}）")
    if problems:
        raise ValidationError("；".join(problems), "invalid SLA rule")
    conn.execute(
        update(SlaRule)
        .where(SlaRule.type == type_, SlaRule.priority == priority, SlaRule.stage == stage)
        .values(hours=hours, updated_at=now, updated_by_id=by_staff_id)
    )


def sla_editor_id(conn: Connection, *, employee_no: str) -> int:
    """The staff id of ``employee_no`` if they may change the SLA table (an active administrator or head of
    the group unit); otherwise an error saying who may."""
    from kam_console.services.staff import group_admin

    person = group_admin(conn, employee_no=employee_no, what="修改时限规则")
    return int(conn.execute(select(Staff.id).where(Staff.employee_no == person.employee_no)).scalar_one())


def set_sla_table(
    conn: Connection, *, changes: dict[tuple[str, str, str], int], employee_no: str, now: dt.datetime
) -> int:
    """Apply several rule changes at once as ``employee_no`` (all or nothing); returns how many changed."""
    staff_id = sla_editor_id(conn, employee_no=employee_no)
    for (type_, priority, stage), hours in changes.items():
        set_sla_hours(conn, type_=type_, priority=priority, stage=stage, hours=hours, by_staff_id=staff_id, now=now)
    return len(changes)
