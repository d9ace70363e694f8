"""Monthly reports submitted upward (DESIGN §6): compiling, the lifecycle, the roll-up and the status board.

**Who writes and who approves.** A city, a province and the group each report for month M. Any active
employee of the unit edits its draft and submits it (the submitter is the report's 编制人). The head
(负责人) of the unit directly above approves it or returns it with a reason (审核人); the group's own
report, having no unit above, is approved by the group's head — never by the person who submitted it.

**Lifecycle.** draft → submitted → approved, or → returned (with a reason); revising a returned report
starts the next version as a draft, carrying its narratives over. Submitting freezes the figures
(``reports.figures.compile_figures`` plus the roll-up of the units below) into the version's snapshot, so
re-importing revenue later never changes what was submitted; ``figure_changes`` lists where the live
figures have moved since. Every transition is recorded with who, from which unit, when and why.

**Refused, with the reason, writing nothing:** a month that has not ended (or is in the future), a month
without revenue for the unit, editing anything but a draft, submitting twice, approving or returning a
report that is not submitted, one's own unit's report, or a report of a unit that is not directly below.
Every change is a compare-and-set on ``row_version``: of two people changing one report at once exactly
one succeeds and the other is told it changed (``ReportChanged``).

**Deadlines** (the status board): cities by the 5th of the month after M, provinces by the 10th, the
group by the 15th (end of the day, Beijing time). A unit is overdue when the deadline has passed and its
report is not submitted or approved; a report first submitted after its deadline counts as late.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import Connection, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased

from kam_console import analytics
from kam_console.errors import KamError, NotFound, ValidationError
from kam_console.models import (
    POSITION_LABELS,
    REPORT_ACTION_LABELS,
    REPORT_LEVELS,
    REPORT_STATUS_LABELS,
    MonthlyReport,
    MonthlyReportEvent,
    OrgUnit,
    Staff,
)
from kam_console.months import add_months, month_text
from kam_console.reports.document import Event, Narrative, ReportDocument
from kam_console.reports.figures import compile_figures
from kam_console.services.sla import BEIJING, as_utc

NARRATIVES = (("market", "市场与竞争信息"), ("issues", "重点问题"), ("plan", "下月工作计划"))
NARRATIVE_COLUMNS = {"market": "market_text", "issues": "issues_text", "plan": "plan_text"}
MAX_NARRATIVE = 20000
MAX_REASON = 2000
DEADLINE_DAY = {"city": 5, "province": 10, "group": 15}
APPROVER_POSITIONS = ("head",)
# Status-board states: the report statuses plus a unit that has not started its report.
BOARD_STATUSES = ("not_started", "draft", "returned", "submitted", "approved")
BOARD_STATUS_LABELS = {"not_started": "未开始", **REPORT_STATUS_LABELS}
NO_REPORT_LABEL = "未编制"


class ReportNotAllowed(ValidationError):
    """The change does not fit the report's status or the acting person's part in it."""


class ReportChanged(KamError):
    """Someone else changed the report between reading it and changing it: nothing was written."""


# --- units, people, months ----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Unit:
    id: int
    code: str
    name: str
    short_name: str
    level: str
    parent_id: int | None


_UNIT_COLUMNS = (OrgUnit.id, OrgUnit.code, OrgUnit.name, OrgUnit.short_name, OrgUnit.level, OrgUnit.parent_id)


def _unit(conn: Connection, code: str) -> _Unit:
    row = conn.execute(select(*_UNIT_COLUMNS).where(OrgUnit.code == code.strip())).first()
    if row is None:
        raise NotFound(f"没有代码为 {code} 的单位", f"no unit with code {code}")
    unit = _Unit(*row)
    if unit.level not in REPORT_LEVELS:
        raise ValidationError(
            f"{unit.name} 不编制月报（月报由地市、省和集团大客户部门编制）",
            "only cities, provinces and the group report",
        )
    return unit


def _unit_by_id(conn: Connection, unit_id: int) -> _Unit:
    return _Unit(*conn.execute(select(*_UNIT_COLUMNS).where(OrgUnit.id == unit_id)).one())


@dataclass(frozen=True)
class _Person:
    id: int
    employee_no: str
    name: str
    unit_id: int
    position: str


def _person(conn: Connection, employee_no: str) -> _Person:
    row = conn.execute(
        select(Staff.id, Staff.employee_no, Staff.name, Staff.unit_id, Staff.position, Staff.active).where(
            Staff.employee_no == employee_no.strip()
        )
    ).first()
    if row is None:
        raise NotFound(f"没有工号为 {employee_no} 的员工", f"no staff member {employee_no}")
    if not row.active:
        raise ReportNotAllowed(f"{row.name}（{row.employee_no}）已停用，不能处理月报", f"{employee_no} is deactivated")
    return _Person(row.id, row.employee_no, row.name, row.unit_id, row.position)


def beijing_month(now: dt.datetime) -> int:
    local = as_utc(now).astimezone(BEIJING)
    return local.year * 100 + local.month


def _check_month_ended(month: int, now: dt.datetime) -> None:
    current = beijing_month(now)
    if month > current:
        raise ReportNotAllowed(f"{month_text(month)} 是将来的月份，不能编制月报", "the month is in the future")
    if month == current:
        raise ReportNotAllowed(
            f"{month_text(month)} 尚未结束，月报在次月编制"
            f"（当前可编制 {month_text(add_months(month, -1))} 及以前的月报）",
            "the month has not ended yet",
        )


def _check_has_data(conn: Connection, unit: _Unit, month: int) -> None:
    newest = analytics.latest_month(conn)
    if newest is None or month > newest:
        shown = f"（最新为 {month_text(newest)}）" if newest else ""
        raise ReportNotAllowed(
            f"{month_text(month)} 还没有收入数据{shown}，不能编制该月月报", f"no revenue for {month_text(month)}"
        )
    figures = analytics.unit_figures(conn, unit=unit.code, month=month)
    if not figures.revenue and not figures.lines and not figures.accounts:
        raise ReportNotAllowed(
            f"{unit.name} 在 {month_text(month)} 没有收入数据，不能编制该月月报",
            f"{unit.code} has no revenue in {month_text(month)}",
        )


def deadline(level: str, month: int) -> dt.date:
    """The last day on which a unit of ``level`` should submit its report for ``month``."""
    following = add_months(month, 1)
    return dt.date(following // 100, following % 100, DEADLINE_DAY[level])


def _deadline_end(level: str, month: int) -> dt.datetime:
    day = deadline(level, month) + dt.timedelta(days=1)
    return dt.datetime(day.year, day.month, day.day, tzinfo=BEIJING)


# --- reading ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReportInfo:
    """One version of a report as the lifecycle sees it (times in UTC; names for people)."""

    id: int
    unit_code: str
    unit_name: str
    unit_level: str
    month: int
    version: int
    status: str
    status_label: str
    row_version: int
    narratives: dict[str, str]
    created_at: dt.datetime
    created_by: str
    updated_at: dt.datetime
    updated_by: str
    submitted_at: dt.datetime | None
    submitted_by: str | None
    decided_at: dt.datetime | None
    decided_by: str | None
    return_reason: str | None

    @property
    def editable(self) -> bool:
        return self.status == "draft"


def _report_query():
    created, updated = aliased(Staff), aliased(Staff)
    submitted, decided = aliased(Staff), aliased(Staff)
    r = MonthlyReport
    return (
        select(
            r.id,
            OrgUnit.code,
            OrgUnit.name,
            OrgUnit.level,
            r.month,
            r.version,
            r.status,
            r.row_version,
            r.market_text,
            r.issues_text,
            r.plan_text,
            r.created_at,
            created.name.label("created_by"),
            r.updated_at,
            updated.name.label("updated_by"),
            r.submitted_at,
            submitted.name.label("submitted_by"),
            r.decided_at,
            decided.name.label("decided_by"),
            r.return_reason,
        )
        .join(OrgUnit, OrgUnit.id == r.unit_id)
        .join(created, created.id == r.created_by_id)
        .join(updated, updated.id == r.updated_by_id)
        .outerjoin(submitted, submitted.id == r.submitted_by_id)
        .outerjoin(decided, decided.id == r.decided_by_id)
    )


def _utc(value: dt.datetime | None) -> dt.datetime | None:
    return None if value is None else as_utc(value)


def _info(row) -> ReportInfo:
    return ReportInfo(
        id=row.id,
        unit_code=row.code,
        unit_name=row.name,
        unit_level=row.level,
        month=row.month,
        version=row.version,
        status=row.status,
        status_label=REPORT_STATUS_LABELS[row.status],
        row_version=row.row_version,
        narratives={"market": row.market_text, "issues": row.issues_text, "plan": row.plan_text},
        created_at=as_utc(row.created_at),
        created_by=row.created_by,
        updated_at=as_utc(row.updated_at),
        updated_by=row.updated_by,
        submitted_at=_utc(row.submitted_at),
        submitted_by=row.submitted_by,
        decided_at=_utc(row.decided_at),
        decided_by=row.decided_by,
        return_reason=row.return_reason,
    )


def report_versions(conn: Connection, *, unit: str, month: int) -> list[ReportInfo]:
    """Every version of the unit's report for the month, newest first."""
    u = _unit(conn, unit)
    rows = conn.execute(
        _report_query()
        .where(MonthlyReport.unit_id == u.id, MonthlyReport.month == month)
        .order_by(MonthlyReport.version.desc())
    ).all()
    return [_info(r) for r in rows]


def current_report(conn: Connection, *, unit: str, month: int) -> ReportInfo | None:
    """The newest version of the unit's report for the month (None when none was started)."""
    versions = report_versions(conn, unit=unit, month=month)
    return versions[0] if versions else None


def report_events(conn: Connection, *, unit: str, month: int) -> list[Event]:
    """Every recorded transition of every version, oldest first (times in Beijing time)."""
    u = _unit(conn, unit)
    e = MonthlyReportEvent
    rows = conn.execute(
        select(e.at, MonthlyReport.version, e.action, Staff.name, OrgUnit.short_name, e.comment)
        .join(MonthlyReport, MonthlyReport.id == e.report_id)
        .join(Staff, Staff.id == e.staff_id)
        .join(OrgUnit, OrgUnit.id == e.unit_id)
        .where(MonthlyReport.unit_id == u.id, MonthlyReport.month == month)
        .order_by(e.at, MonthlyReport.version, e.seq)
    ).all()
    return [
        Event(
            at=as_utc(at).astimezone(BEIJING),
            version=version,
            action=action,
            action_label=REPORT_ACTION_LABELS[action],
            staff_name=name,
            unit_name=unit_name,
            comment=comment,
        )
        for at, version, action, name, unit_name, comment in rows
    ]


# --- the roll-up of the units below -------------------------------------------------------------------


def _children(conn: Connection, unit: _Unit) -> list[_Unit]:
    level = {"group": "province", "province": "city"}.get(unit.level)
    if level is None:
        return []
    rows = conn.execute(
        select(*_UNIT_COLUMNS).where(OrgUnit.parent_id == unit.id, OrgUnit.level == level).order_by(OrgUnit.code)
    ).all()
    return [_Unit(*r) for r in rows]


def _newest_by_unit(conn: Connection, unit_ids: list[int], month: int) -> dict[int, tuple]:
    """unit id → (version, status, snapshot, submitted_at, decided_at, submitted_by, decided_by) of the
    newest version of its report for the month."""
    if not unit_ids:
        return {}
    r = MonthlyReport
    newest = (
        select(r.unit_id, func.max(r.version).label("version"))
        .where(r.unit_id.in_(unit_ids), r.month == month)
        .group_by(r.unit_id)
        .subquery()
    )
    submitted, decided = aliased(Staff), aliased(Staff)
    rows = conn.execute(
        select(
            r.unit_id,
            r.version,
            r.status,
            r.snapshot,
            r.submitted_at,
            r.decided_at,
            submitted.name,
            decided.name,
            r.updated_at,
        )
        .join(newest, (newest.c.unit_id == r.unit_id) & (newest.c.version == r.version))
        .outerjoin(submitted, submitted.id == r.submitted_by_id)
        .outerjoin(decided, decided.id == r.decided_by_id)
        .where(r.month == month)
    ).all()
    return {row[0]: tuple(row[1:]) for row in rows}


def _bj_text(value: dt.datetime | None) -> str | None:
    return None if value is None else as_utc(value).astimezone(BEIJING).strftime("%Y-%m-%d %H:%M")


def rollup(conn: Connection, *, unit: str, month: int) -> list[dict]:
    """The table of the units below (a province's cities, the group's provinces) drawn from their approved
    reports for the month; a unit whose report is not approved has its status and no figures."""
    u = _unit(conn, unit)
    children = _children(conn, u)
    newest = _newest_by_unit(conn, [c.id for c in children], month)
    rows = []
    for child in children:
        version, status, snapshot, _submitted, decided_at, *_ = newest.get(child.id, (None,) * 9)
        tiles = {}
        if status == "approved":
            tiles = {k["key"]: k for k in json.loads(snapshot)["key_figures"]}
        board_status = status or "not_started"
        rows.append(
            {
                "code": child.code,
                "name": child.name,
                "status": board_status,
                "status_label": BOARD_STATUS_LABELS[board_status],
                "version": version,
                **{key: tiles[key]["value"] if tiles else None for key in ("revenue", "lines", "accounts")},
                "arpu": tiles["arpu"]["value"] if tiles else None,
                "arpa": tiles["arpa"]["value"] if tiles else None,
                "revenue_mom_pct": tiles["revenue"]["mom_pct"] if tiles else None,
                "approved_at": _bj_text(decided_at) if status == "approved" else None,
            }
        )
    return rows


def compile_report_figures(conn: Connection, *, unit: str, month: int) -> dict:
    """The figures a report of ``unit`` for ``month`` shows when compiled now: the analytics snapshot and
    the roll-up of the units below."""
    return compile_figures(conn, unit=unit, month=month) | {"rollup": rollup(conn, unit=unit, month=month)}


# --- the live figures against the frozen ones ---------------------------------------------------------


@dataclass(frozen=True)
class FigureChange:
    section: str  # 主要指标 / 下级单位 / 分行业 / 分产品 / 下级单位月报汇总
    label: str  # e.g. "收入" or "广州市 收入"
    frozen: str | int | None
    live: str | int | None

    def describe(self) -> str:
        def show(v):
            return "—" if v is None else (f"{Decimal(v):,.2f}" if isinstance(v, str) else f"{v:,}")

        return f"{self.section}·{self.label}：提交时 {show(self.frozen)}，现在 {show(self.live)}"


_TABLE_FIELDS = (("revenue", "收入"), ("lines", "线路"), ("accounts", "客户数"))


def figure_changes(frozen: dict, live: dict) -> list[FigureChange]:
    """Where the live figures differ from a submitted snapshot: the key figures, then the rows of the
    tables by child unit, industry and product (by revenue, lines and accounts)."""
    changes: list[FigureChange] = []
    live_tiles = {k["key"]: k for k in live.get("key_figures", [])}
    for tile in frozen.get("key_figures", []):
        now = live_tiles.get(tile["key"], {}).get("value")
        if now != tile["value"]:
            changes.append(FigureChange("主要指标", tile["label"], tile["value"], now))
    for section, key in (("下级单位", "by_child"), ("分行业", "by_industry"), ("分产品", "by_product")):
        before = {r["key"]: r for r in frozen.get(key, [])}
        after = {r["key"]: r for r in live.get(key, [])}
        for k in list(before) + [k for k in after if k not in before]:
            a, b = before.get(k), after.get(k)
            name = (a or b)["name"]
            for field, label in _TABLE_FIELDS:
                va, vb = (a or {}).get(field), (b or {}).get(field)
                if va != vb:
                    changes.append(FigureChange(section, f"{name} {label}", va, vb))
    return changes


# --- changing -----------------------------------------------------------------------------------------


def _narrative_values(narratives: dict[str, str | None]) -> dict[str, str]:
    unknown = set(narratives) - set(NARRATIVE_COLUMNS)
    if unknown:
        raise ValidationError(f"未知的月报栏目：{', '.join(sorted(unknown))}", "unknown narrative section")
    values = {}
    titles = dict(NARRATIVES)
    for key, text in narratives.items():
        text = (text or "").replace("\r\n", "\n").strip()
        if len(text) > MAX_NARRATIVE:
            raise ValidationError(
                f"“{titles[key]}”太长（{len(text)} 字，最多 {MAX_NARRATIVE} 字）", "narrative too long"
            )
        values[NARRATIVE_COLUMNS[key]] = text
    return values


def _record(conn: Connection, report_id: int, action: str, person: _Person, at: dt.datetime, comment=None) -> None:
    seq = conn.execute(
        select(func.coalesce(func.max(MonthlyReportEvent.seq), 0)).where(MonthlyReportEvent.report_id == report_id)
    ).scalar()
    conn.execute(
        insert(MonthlyReportEvent).values(
            report_id=report_id,
            seq=int(seq) + 1,
            action=action,
            staff_id=person.id,
            unit_id=person.unit_id,
            at=at,
            comment=comment,
        )
    )


def _must_be_own_unit(person: _Person, unit: _Unit, doing: str) -> None:
    if person.unit_id != unit.id:
        raise ReportNotAllowed(
            f"{person.name} 不属于 {unit.name}，不能{doing}该单位的月报", "only the unit's own staff may do this"
        )


def _compare_and_set(conn: Connection, info: ReportInfo, expected: int | None, **values) -> None:
    version = info.row_version if expected is None else expected
    done = conn.execute(
        update(MonthlyReport)
        .where(MonthlyReport.id == info.id, MonthlyReport.row_version == version)
        .values(row_version=MonthlyReport.row_version + 1, **values)
    )
    if done.rowcount != 1:
        raise ReportChanged(
            f"{info.unit_name} {month_text(info.month)} 月报刚被别人修改过，请刷新后再操作",
            "the report changed since it was read",
        )


def _refuse_not_draft(info: ReportInfo, doing: str) -> None:
    if info.status == "draft":
        return
    if info.status == "submitted":
        raise ReportNotAllowed(
            f"{info.unit_name} {month_text(info.month)} 月报（第 {info.version} 版）已提交，不能{doing}；"
            f"需要修改时请上级退回",
            "the report is submitted",
        )
    if info.status == "approved":
        raise ReportNotAllowed(
            f"{info.unit_name} {month_text(info.month)} 月报（第 {info.version} 版）已审批，不能{doing}",
            "the report is approved",
        )
    raise ReportNotAllowed(
        f"{info.unit_name} {month_text(info.month)} 月报（第 {info.version} 版）已退回，请先修订（生成第 "
        f"{info.version + 1} 版）再{doing}",
        "the report was returned; revise it first",
    )


def start_report(conn: Connection, *, unit: str, month: int, by: str, now: dt.datetime) -> ReportInfo:
    """Start the unit's draft report for the month (version 1). Refused if one exists already."""
    now = as_utc(now)  # stored in UTC: SQLite keeps no time zone
    u = _unit(conn, unit)
    person = _person(conn, by)
    _must_be_own_unit(person, u, "编制")
    _check_month_ended(month, now)
    existing = current_report(conn, unit=unit, month=month)
    if existing is not None:
        raise ReportNotAllowed(
            f"{u.name} {month_text(month)} 月报已有第 {existing.version} 版（{existing.status_label}）",
            "the report exists already",
        )
    _check_has_data(conn, u, month)
    return _insert(conn, u, month, 1, person, now, "create", {})


def _insert(conn, u: _Unit, month: int, version: int, person: _Person, now, action: str, texts) -> ReportInfo:
    try:
        with conn.begin_nested():
            report_id = conn.execute(
                insert(MonthlyReport)
                .values(
                    unit_id=u.id,
                    month=month,
                    version=version,
                    status="draft",
                    created_at=now,
                    created_by_id=person.id,
                    updated_at=now,
                    updated_by_id=person.id,
                    **texts,
                )
                .returning(MonthlyReport.id)
            ).scalar_one()
    except IntegrityError as exc:
        raise ReportChanged(
            f"{u.name} {month_text(month)} 月报刚被别人开始编制，请刷新后再操作", "someone started it meanwhile"
        ) from exc
    _record(conn, report_id, action, person, now)
    return _info(conn.execute(_report_query().where(MonthlyReport.id == report_id)).one())


def _current_or_refuse(conn: Connection, unit: _Unit, month: int) -> ReportInfo:
    info = current_report(conn, unit=unit.code, month=month)
    if info is None:
        raise ReportNotAllowed(f"{unit.name} {month_text(month)} 月报还没有开始编制", "no report yet")
    return info


def save_narratives(
    conn: Connection,
    *,
    unit: str,
    month: int,
    by: str,
    narratives: dict[str, str | None],
    now: dt.datetime,
    expected_row_version: int | None = None,
) -> ReportInfo:
    """Save the narrative sections of the unit's draft (starting the draft if none exists yet).
    ``expected_row_version`` is the version the editor read; a save over someone else's is refused."""
    now = as_utc(now)  # stored in UTC: SQLite keeps no time zone
    u = _unit(conn, unit)
    person = _person(conn, by)
    _must_be_own_unit(person, u, "编辑")
    values = _narrative_values(narratives)
    info = current_report(conn, unit=unit, month=month)
    if info is None:
        _check_month_ended(month, now)
        _check_has_data(conn, u, month)
        return _insert(conn, u, month, 1, person, now, "create", values)
    _refuse_not_draft(info, "修改")
    _compare_and_set(conn, info, expected_row_version, updated_at=now, updated_by_id=person.id, **values)
    _record(conn, info.id, "save", person, now)
    return current_report(conn, unit=unit, month=month)


def submit_report(
    conn: Connection, *, unit: str, month: int, by: str, now: dt.datetime, expected_row_version: int | None = None
) -> ReportInfo:
    """Submit the unit's draft: the figures are compiled now and frozen into the version's snapshot."""
    now = as_utc(now)  # stored in UTC: SQLite keeps no time zone
    u = _unit(conn, unit)
    person = _person(conn, by)
    _must_be_own_unit(person, u, "提交")
    info = _current_or_refuse(conn, u, month)
    if info.status in ("submitted", "approved"):
        when = as_utc(info.submitted_at).astimezone(BEIJING).strftime("%Y-%m-%d %H:%M")
        raise ReportNotAllowed(
            f"{u.name} {month_text(month)} 月报（第 {info.version} 版）已于 {when} 由 {info.submitted_by} 提交"
            f"（{info.status_label}），不能重复提交",
            "the report is submitted already",
        )
    _refuse_not_draft(info, "提交")
    _check_month_ended(month, now)
    _check_has_data(conn, u, month)
    snapshot = compile_report_figures(conn, unit=unit, month=month)
    _compare_and_set(
        conn,
        info,
        expected_row_version,
        status="submitted",
        snapshot=json.dumps(snapshot, ensure_ascii=False, separators=(",", ":")),
        submitted_at=now,
        submitted_by_id=person.id,
        updated_at=now,
        updated_by_id=person.id,
    )
    _record(conn, info.id, "submit", person, now)
    return current_report(conn, unit=unit, month=month)


def approver_unit(conn: Connection, *, unit: str) -> tuple[str, str]:
    """(code, name) of the unit that approves ``unit``'s reports: the unit directly above, or the group
    itself for the group's own report."""
    u = _unit(conn, unit)
    upper = _unit_by_id(conn, u.parent_id) if u.parent_id is not None else u
    return upper.code, upper.name


def _check_approver(conn: Connection, person: _Person, u: _Unit, info: ReportInfo, doing: str) -> None:
    upper = _unit_by_id(conn, u.parent_id) if u.parent_id is not None else u
    if person.unit_id != upper.id:
        mine = _unit_by_id(conn, person.unit_id)
        if person.unit_id == u.id:
            raise ReportNotAllowed(
                f"不能{doing}本单位的月报：{u.name} 的月报由 {upper.name} {doing}", "a unit cannot approve itself"
            )
        raise ReportNotAllowed(
            f"只能{doing}直属下级单位的月报：{u.name} 不是 {mine.name} 的直属下级，其月报由 {upper.name} {doing}",
            "only the unit directly above may do this",
        )
    if person.position not in APPROVER_POSITIONS:
        raise ReportNotAllowed(
            f"{person.name}（{POSITION_LABELS.get(person.position, person.position)}）不能{doing}月报："
            f"只有 {upper.name} 的负责人可以{doing}",
            "only the head of the unit above may do this",
        )
    if u.parent_id is None and info.submitted_by is not None:
        submitter = conn.execute(select(MonthlyReport.submitted_by_id).where(MonthlyReport.id == info.id)).scalar()
        if submitter == person.id:
            raise ReportNotAllowed(f"不能{doing}自己提交的月报", "one cannot approve one's own submission")
    if info.status != "submitted":
        what = {"draft": "还没有提交", "approved": "已经审批", "returned": "已经退回"}[info.status]
        raise ReportNotAllowed(
            f"{u.name} {month_text(info.month)} 月报（第 {info.version} 版）{what}，不能{doing}",
            "only a submitted report can be decided",
        )


def approve_report(
    conn: Connection,
    *,
    unit: str,
    month: int,
    by: str,
    now: dt.datetime,
    comment: str | None = None,
    expected_row_version: int | None = None,
) -> ReportInfo:
    """Approve the unit's submitted report (the head of the unit directly above)."""
    now = as_utc(now)  # stored in UTC: SQLite keeps no time zone
    u = _unit(conn, unit)
    person = _person(conn, by)
    info = _current_or_refuse(conn, u, month)
    _check_approver(conn, person, u, info, "审批")
    note = (comment or "").strip() or None
    if note and len(note) > MAX_REASON:
        raise ValidationError(f"审批意见太长（{len(note)} 字，最多 {MAX_REASON} 字）", "comment too long")
    _compare_and_set(conn, info, expected_row_version, status="approved", decided_at=now, decided_by_id=person.id)
    _record(conn, info.id, "approve", person, now, note)
    return current_report(conn, unit=unit, month=month)


def return_report(
    conn: Connection,
    *,
    unit: str,
    month: int,
    by: str,
    reason: str,
    now: dt.datetime,
    expected_row_version: int | None = None,
) -> ReportInfo:
    """Return the unit's submitted report with a reason (the head of the unit directly above)."""
    now = as_utc(now)  # stored in UTC: SQLite keeps no time zone
    u = _unit(conn, unit)
    person = _person(conn, by)
    info = _current_or_refuse(conn, u, month)
    _check_approver(conn, person, u, info, "退回")
    text = (reason or "").strip()
    if not text:
        raise ValidationError("退回月报必须写明原因", "a reason is required")
    if len(text) > MAX_REASON:
        raise ValidationError(f"退回原因太长（{len(text)} 字，最多 {MAX_REASON} 字）", "reason too long")
    _compare_and_set(
        conn,
        info,
        expected_row_version,
        status="returned",
        decided_at=now,
        decided_by_id=person.id,
        return_reason=text,
    )
    _record(conn, info.id, "return", person, now, text)
    return current_report(conn, unit=unit, month=month)


def revise_report(conn: Connection, *, unit: str, month: int, by: str, now: dt.datetime) -> ReportInfo:
    """Start the next version of a returned report as a draft, carrying its narratives over."""
    now = as_utc(now)  # stored in UTC: SQLite keeps no time zone
    u = _unit(conn, unit)
    person = _person(conn, by)
    _must_be_own_unit(person, u, "修订")
    info = _current_or_refuse(conn, u, month)
    if info.status != "returned":
        raise ReportNotAllowed(
            f"{u.name} {month_text(month)} 月报（第 {info.version} 版）{info.status_label}，只有退回的月报需要修订",
            "only a returned report is revised",
        )
    texts = {NARRATIVE_COLUMNS[k]: v for k, v in info.narratives.items()}
    return _insert(conn, u, month, info.version + 1, person, now, "revise", texts)


# --- what a person may do -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Allowed:
    """What ``employee_no`` may do with the unit's report now; ``why_not`` explains a read-only view."""

    start: bool = False
    edit: bool = False
    submit: bool = False
    approve: bool = False
    send_back: bool = False
    revise: bool = False
    why_not: str = ""


def allowed_actions(conn: Connection, *, unit: str, month: int, by: str | None, now: dt.datetime) -> Allowed:
    u = _unit(conn, unit)
    if not by:
        return Allowed(why_not="请先在“文件 → 切换当前身份”中选择您是谁")
    try:
        person = _person(conn, by)
    except KamError as exc:
        return Allowed(why_not=exc.zh)
    info = current_report(conn, unit=unit, month=month)
    upper_id = u.parent_id if u.parent_id is not None else u.id
    own = person.unit_id == u.id
    if info is None:
        if not own:
            return Allowed(why_not=f"{u.name} 还没有开始编制 {month_text(month)} 月报")
        try:
            _check_month_ended(month, now)
            _check_has_data(conn, u, month)
        except KamError as exc:
            return Allowed(why_not=exc.zh)
        return Allowed(start=True, edit=True)
    if info.status == "draft":
        if own:
            return Allowed(edit=True, submit=True)
        return Allowed(why_not=f"{u.name} 的月报正在编制中（草稿），提交后可以审批")
    if info.status == "returned":
        if own:
            return Allowed(revise=True, why_not=f"月报已退回：{info.return_reason}。修订后可再次提交。")
        return Allowed(why_not=f"月报已退回，等待 {u.name} 修订后再次提交")
    if info.status == "submitted":
        decides = person.unit_id == upper_id and person.position in APPROVER_POSITIONS
        if decides and u.parent_id is None:
            submitter = conn.execute(select(MonthlyReport.submitted_by_id).where(MonthlyReport.id == info.id)).scalar()
            decides = submitter != person.id
        if decides:
            return Allowed(approve=True, send_back=True, why_not="月报已提交，只读；请审批或退回")
        return Allowed(why_not=f"月报已提交（第 {info.version} 版），只读")
    return Allowed(why_not=f"月报已审批（第 {info.version} 版），只读")


# --- the printed document -----------------------------------------------------------------------------


def report_document(
    conn: Connection, *, unit: str, month: int, now: dt.datetime, version: int | None = None, compare_live: bool = True
) -> ReportDocument:
    """What the report of ``unit`` for ``month`` prints: the given version (default the newest), its frozen
    figures once submitted (with where the live figures have moved since), or figures compiled now for a
    draft or when no report exists yet."""
    u = _unit(conn, unit)
    versions = report_versions(conn, unit=unit, month=month)
    if version is not None:
        chosen = [v for v in versions if v.version == version]
        if not chosen:
            raise NotFound(f"{u.name} {month_text(month)} 月报没有第 {version} 版", "no such version")
        info = chosen[0]
    else:
        info = versions[0] if versions else None
    frozen = info is not None and info.status != "draft"
    differs: tuple[str, ...] = ()
    if frozen:
        snapshot = conn.execute(select(MonthlyReport.snapshot).where(MonthlyReport.id == info.id)).scalar_one()
        figures = json.loads(snapshot)
        if compare_live:
            try:
                live = compile_figures(conn, unit=unit, month=month)
            except KamError:
                live = {}
            differs = tuple(c.describe() for c in figure_changes(figures, live))
    else:
        if info is None:
            _check_month_ended(month, now)
            _check_has_data(conn, u, month)
        figures = compile_report_figures(conn, unit=unit, month=month)
    texts = info.narratives if info else {}
    events = tuple(e for e in report_events(conn, unit=unit, month=month) if info is None or e.version <= info.version)
    return ReportDocument(
        unit_code=u.code,
        unit_name=u.name,
        unit_level=u.level,
        month=month_text(month),
        version=info.version if info else None,
        status=info.status if info else "none",
        status_label=info.status_label if info else NO_REPORT_LABEL,
        figures=figures,
        frozen=frozen,
        narratives=tuple(Narrative(k, title, texts.get(k, "")) for k, title in NARRATIVES),
        printed_at=as_utc(now).astimezone(BEIJING),
        prepared_by=info.submitted_by if info else None,
        prepared_at=_bj(info.submitted_at) if info else None,
        reviewed_by=info.decided_by if info and info.status == "approved" else None,
        reviewed_at=_bj(info.decided_at) if info and info.status == "approved" else None,
        return_reason=info.return_reason if info and info.status == "returned" else None,
        deadline=deadline(u.level, month),
        live_differs=differs,
        events=events,
    )


def _bj(value: dt.datetime | None) -> dt.datetime | None:
    return None if value is None else as_utc(value).astimezone(BEIJING)


# --- the status board ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class BoardRow:
    code: str
    name: str
    status: str  # one of BOARD_STATUSES
    status_label: str
    version: int | None
    submitted_at: dt.datetime | None  # Beijing time
    submitted_by: str | None
    decided_at: dt.datetime | None
    decided_by: str | None
    updated_at: dt.datetime | None
    deadline: dt.date
    overdue: bool  # the deadline has passed and the report is not submitted or approved
    late: bool  # first submitted after the deadline
    days_overdue: int


@dataclass(frozen=True)
class StatusBoard:
    unit_code: str
    unit_name: str
    month: int
    own: ReportInfo | None  # the unit's own report
    own_deadline: dt.date
    rows: list[BoardRow]

    def count(self, status: str) -> int:
        return sum(1 for r in self.rows if r.status == status)

    @property
    def overdue(self) -> int:
        return sum(1 for r in self.rows if r.overdue)


def _first_submitted(conn: Connection, unit_ids: list[int], month: int) -> dict[int, dt.datetime]:
    if not unit_ids:
        return {}
    e = MonthlyReportEvent
    rows = conn.execute(
        select(MonthlyReport.unit_id, func.min(e.at))
        .join(MonthlyReport, MonthlyReport.id == e.report_id)
        .where(MonthlyReport.unit_id.in_(unit_ids), MonthlyReport.month == month, e.action == "submit")
        .group_by(MonthlyReport.unit_id)
    ).all()
    return {unit_id: as_utc(at) for unit_id, at in rows}


def status_board(conn: Connection, *, unit: str, month: int, now: dt.datetime) -> StatusBoard:
    """For month ``month``: the status of each unit directly below ``unit`` (the group's provinces, a
    province's cities), with deadlines and overdue flags, and the unit's own report."""
    u = _unit(conn, unit)
    children = _children(conn, u)
    ids = [c.id for c in children]
    newest = _newest_by_unit(conn, ids, month)
    first = _first_submitted(conn, ids, month)
    now_utc = as_utc(now)
    rows = []
    for child in children:
        version, status, _snap, submitted_at, decided_at, submitted_by, decided_by, updated_at = newest.get(
            child.id, (None,) * 8
        )
        status = status or "not_started"
        due = deadline(child.level, month)
        end = _deadline_end(child.level, month)
        overdue = status in ("not_started", "draft", "returned") and now_utc >= end
        late = child.id in first and first[child.id] >= end
        days = (now_utc.astimezone(BEIJING).date() - due).days if overdue else 0
        rows.append(
            BoardRow(
                code=child.code,
                name=child.name,
                status=status,
                status_label=BOARD_STATUS_LABELS[status],
                version=version,
                submitted_at=_bj(submitted_at) if status in ("submitted", "approved", "returned") else None,
                submitted_by=submitted_by if status in ("submitted", "approved", "returned") else None,
                decided_at=_bj(decided_at) if status in ("approved", "returned") else None,
                decided_by=decided_by if status in ("approved", "returned") else None,
                updated_at=_bj(updated_at),
                deadline=due,
                overdue=overdue,
                late=late,
                days_overdue=days,
            )
        )
    return StatusBoard(
        unit_code=u.code,
        unit_name=u.name,
        month=month,
        own=current_report(conn, unit=unit, month=month),
        own_deadline=deadline(u.level, month),
        rows=rows,
    )
