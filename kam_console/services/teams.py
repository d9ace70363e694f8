"""National virtual teams (DESIGN §1, §3): centrally led, locally executed, sharing information freely.

A team serves one industry (``kind`` industry) or one or more national accounts (``kind`` account) and
is led by a unit, usually the group or a province. Its members come from any units, each with a role
(团队负责人, 成员, 属地联系人, 专家) and a membership running from a start date to an end date (inclusive;
open-ended without one). A running membership grants visibility of the team's covered accounts wherever
they are (``services.visibility``); when it ends, so does the access.

**Who may change a team**: a running 团队负责人 of it, or a head or administrator of its lead unit. Who
may create one: a head, administrator or market manager of the unit that will lead it. Any running
member (and anyone of the lead unit) may write to the team's shared log. Every change is recorded in the
log with who and when; nothing is deleted (memberships end, teams close).

**Coverage**: a city is *covered* when a running member works in it (its city unit or a county below);
a province when a running member works anywhere in it. The team page shows the covered accounts' serving
cities with no member there — where the customer has branches but the team has nobody.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import Connection, func, insert, literal, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased

from kam_console import analytics
from kam_console.errors import KamError, NotFound, ValidationError
from kam_console.models import (
    OPEN_REQUEST_STATES,
    POSITION_LABELS,
    REQUEST_STATE_LABELS,
    TEAM_KIND_LABELS,
    TEAM_KINDS,
    TEAM_ROLE_LABELS,
    TEAM_ROLES,
    Account,
    AccountFirstContact,
    AccountRollup,
    Industry,
    OrgUnit,
    ServiceRequest,
    Staff,
    TeamActivity,
    VirtualTeam,
    VirtualTeamAccount,
    VirtualTeamMember,
)
from kam_console.money import fen_to_decimal
from kam_console.months import add_months, month_text
from kam_console.services.sla import BEIJING, as_utc
from kam_console.services.visibility import running_memberships, team_accounts

CREATOR_POSITIONS = ("head", "admin", "market_manager")
MANAGER_POSITIONS = ("head", "admin")
MAX_NAME = 100
MAX_NOTE = 4000


class TeamNotAllowed(ValidationError):
    """The change does not fit the team or the acting person's part in it."""


# --- reading helpers ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Team:
    id: int
    code: str
    name: str
    kind: str
    industry_id: int | None
    lead_unit_id: int
    closed_on: dt.date | None


def _team(conn: Connection, team: str) -> _Team:
    key = team.strip()
    where = VirtualTeam.code == key.upper()
    if key.isdigit():
        where = (VirtualTeam.id == int(key)) | where
    row = conn.execute(
        select(
            VirtualTeam.id,
            VirtualTeam.code,
            VirtualTeam.name,
            VirtualTeam.kind,
            VirtualTeam.industry_id,
            VirtualTeam.lead_unit_id,
            VirtualTeam.closed_on,
        ).where(where)
    ).first()
    if row is None:
        raise NotFound(f"没有编号为 {team} 的虚拟团队", f"no team {team}")
    return _Team(*row)


@dataclass(frozen=True)
class _Person:
    id: int
    employee_no: str
    name: str
    unit_id: int
    position: str


def _person(conn: Connection, employee_no: str, *, active: bool = True) -> _Person:
    row = conn.execute(
        select(Staff.id, Staff.employee_no, Staff.name, Staff.unit_id, Staff.position, Staff.active).where(
            Staff.employee_no == employee_no.strip()
        )
    ).first()
    if row is None:
        raise NotFound(f"没有工号为 {employee_no} 的员工", f"no staff member {employee_no}")
    if active and not row.active:
        raise TeamNotAllowed(f"{row.name}（{row.employee_no}）已停用", f"{employee_no} is deactivated")
    return _Person(row.id, row.employee_no, row.name, row.unit_id, row.position)


def _unit(conn: Connection, code: str):
    row = conn.execute(
        select(OrgUnit.id, OrgUnit.code, OrgUnit.name, OrgUnit.level, OrgUnit.path).where(OrgUnit.code == code.strip())
    ).first()
    if row is None:
        raise NotFound(f"没有代码为 {code} 的单位", f"no unit with code {code}")
    return row


def _running(conn: Connection, team_id: int, staff_id: int, on: dt.date, role: str | None = None) -> bool:
    m = VirtualTeamMember
    where = [
        m.team_id == team_id,
        m.staff_id == staff_id,
        m.start_date <= on,
        (m.end_date.is_(None)) | (m.end_date >= on),
    ]
    if role:
        where.append(m.role == role)
    return conn.execute(select(m.id).where(*where).limit(1)).first() is not None


def _may_manage(conn: Connection, team: _Team, person: _Person, on: dt.date) -> bool:
    lead_head = person.unit_id == team.lead_unit_id and person.position in MANAGER_POSITIONS
    return lead_head or _running(conn, team.id, person.id, on, "lead")


def _must_manage(conn: Connection, team: _Team, person: _Person, on: dt.date, doing: str) -> None:
    if team.closed_on is not None and team.closed_on <= on:
        raise TeamNotAllowed(f"{team.name} 已于 {team.closed_on} 撤销，不能{doing}", "the team is closed")
    if not _may_manage(conn, team, person, on):
        lead = conn.execute(select(OrgUnit.name).where(OrgUnit.id == team.lead_unit_id)).scalar()
        raise TeamNotAllowed(
            f"{person.name} 不能{doing}：只有团队负责人或 {lead} 的负责人、管理员可以{doing}",
            "only the team lead or a head of the lead unit may do this",
        )


def _log(conn: Connection, team_id: int, person: _Person, kind: str, text: str, now: dt.datetime) -> None:
    conn.execute(insert(TeamActivity).values(team_id=team_id, at=now, staff_id=person.id, kind=kind, text=text))


def _today(now: dt.datetime) -> dt.date:
    return as_utc(now).astimezone(BEIJING).date()


# --- listing ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TeamRow:
    code: str
    name: str
    kind: str
    kind_label: str
    industry_code: str | None
    industry_name: str | None
    lead_unit_code: str
    lead_unit_name: str
    members: int  # running memberships on the day asked
    provinces: int  # provinces with a running member
    accounts: int  # covered accounts (national accounts with their branches, or the industry's accounts)
    closed_on: dt.date | None
    head_accounts: tuple[str, ...] = ()  # names of the national customers an account team covers


def list_teams(
    conn: Connection, *, on: dt.date, member: str | None = None, include_closed: bool = False
) -> list[TeamRow]:
    """Every team (or those ``member`` belongs to on ``on``), with running members, the provinces they
    come from and the accounts the team covers."""
    where = []
    if not include_closed:
        where.append((VirtualTeam.closed_on.is_(None)) | (VirtualTeam.closed_on > on))
    if member:
        person = _person(conn, member, active=False)
        where.append(VirtualTeam.id.in_(select(running_memberships(person.id, on).subquery().c.team_id)))
    lead = aliased(OrgUnit)
    rows = conn.execute(
        select(
            VirtualTeam.id,
            VirtualTeam.code,
            VirtualTeam.name,
            VirtualTeam.kind,
            Industry.code,
            Industry.name,
            lead.code,
            lead.name,
            VirtualTeam.closed_on,
        )
        .join(lead, lead.id == VirtualTeam.lead_unit_id)
        .outerjoin(Industry, Industry.id == VirtualTeam.industry_id)
        .where(*where)
        .order_by(VirtualTeam.code)
    ).all()
    ids = [r[0] for r in rows]
    members, provinces = _member_counts(conn, ids, on)
    covered = team_accounts(select(VirtualTeam.id).where(VirtualTeam.id.in_(ids))).subquery()
    accounts = dict(
        conn.execute(
            select(covered.c.team_id, func.count(covered.c.account_id.distinct())).group_by(covered.c.team_id)
        ).all()
    )
    heads: dict[int, list[str]] = {}
    for team_id, name in conn.execute(
        select(VirtualTeamAccount.team_id, Account.name)
        .join(Account, Account.id == VirtualTeamAccount.account_id)
        .where(VirtualTeamAccount.team_id.in_(ids))
        .order_by(Account.customer_no)
    ):
        heads.setdefault(team_id, []).append(name)
    return [
        TeamRow(
            code=r[1],
            name=r[2],
            kind=r[3],
            kind_label=TEAM_KIND_LABELS[r[3]],
            industry_code=r[4],
            industry_name=r[5],
            lead_unit_code=r[6],
            lead_unit_name=r[7],
            members=members.get(r[0], 0),
            provinces=provinces.get(r[0], 0),
            accounts=int(accounts.get(r[0], 0)),
            closed_on=r[8],
            head_accounts=tuple(heads.get(r[0], ())),
        )
        for r in rows
    ]


def _province_code(path: str) -> str | None:
    parts = path.split("/")
    return parts[1] if len(parts) > 1 else None


def _member_counts(conn: Connection, team_ids: list[int], on: dt.date) -> tuple[dict[int, int], dict[int, int]]:
    if not team_ids:
        return {}, {}
    running = running_memberships(None, on).subquery()
    rows = conn.execute(
        select(running.c.team_id, running.c.staff_id, OrgUnit.path)
        .join(Staff, Staff.id == running.c.staff_id)
        .join(OrgUnit, OrgUnit.id == Staff.unit_id)
        .where(running.c.team_id.in_(team_ids))
    ).all()
    people: dict[int, set[int]] = {}
    provinces: dict[int, set[str]] = {}
    for team_id, staff_id, path in rows:
        people.setdefault(team_id, set()).add(staff_id)
        province = _province_code(path)
        if province:
            provinces.setdefault(team_id, set()).add(province)
    return {k: len(v) for k, v in people.items()}, {k: len(v) for k, v in provinces.items()}


@dataclass(frozen=True)
class TeamPermissions:
    """What ``employee_no`` may do with the team on a day; ``why_not`` explains a read-only view."""

    manage: bool  # add and end members, cover accounts, close the team
    note: bool  # write to the team's log
    why_not: str = ""


def team_permissions(conn: Connection, *, team: str, employee_no: str | None, on: dt.date) -> TeamPermissions:
    """The same rules the changes apply, asked up front so a page can offer only what will be allowed."""
    t = _team(conn, team)
    if t.closed_on is not None and t.closed_on <= on:
        return TeamPermissions(False, False, f"团队已于 {t.closed_on} 撤销，只读")
    if not employee_no:
        return TeamPermissions(False, False, "请先选择当前身份")
    try:
        person = _person(conn, employee_no)
    except KamError as exc:
        return TeamPermissions(False, False, exc.zh)
    manage = _may_manage(conn, t, person, on)
    note = _running(conn, t.id, person.id, on) or person.unit_id == t.lead_unit_id
    why = "" if manage else "只有团队负责人或牵头单位的负责人、管理员可以调整成员"
    if not note:
        why = "不是本团队成员，只能查看"
    return TeamPermissions(manage, note, why)


# --- changing -----------------------------------------------------------------------------------------


def _name(text: str) -> str:
    name = (text or "").strip()
    if not name:
        raise ValidationError("团队名称不能为空", "a team name is required")
    if len(name) > MAX_NAME:
        raise ValidationError(f"团队名称太长（{len(name)} 字，最多 {MAX_NAME} 字）", "name too long")
    return name


def _national_accounts(conn: Connection, customer_nos: list[str]) -> list[tuple[int, str, str]]:
    numbers = [n.strip() for n in customer_nos if n and n.strip()]
    rows = conn.execute(
        select(Account.id, Account.customer_no, Account.name, Account.level, Account.parent_id).where(
            Account.customer_no.in_(numbers)
        )
    ).all()
    found = {r.customer_no: r for r in rows}
    missing = [n for n in numbers if n not in found]
    if missing:
        raise NotFound(f"没有这些客户编号：{'、'.join(missing)}", "unknown customer numbers")
    wrong = [f"{r.name}（{r.customer_no}）" for r in rows if r.level != "national" or r.parent_id is not None]
    if wrong:
        raise ValidationError(
            f"全国性客户团队只能覆盖全国性客户的总部客户：{'、'.join(wrong)} 不是", "only national head accounts"
        )
    return [(found[n].id, n, found[n].name) for n in dict.fromkeys(numbers)]


def create_team(
    conn: Connection,
    *,
    name: str,
    kind: str,
    lead_unit: str,
    by: str,
    now: dt.datetime,
    industry: str | None = None,
    accounts: list[str] | tuple[str, ...] = (),
    description: str | None = None,
) -> str:
    """Create a team led by ``lead_unit``; ``by`` (head, administrator or market manager of that unit)
    becomes its first 团队负责人 from today. Returns the team's code (VT0001…)."""
    now = as_utc(now)
    if kind not in TEAM_KINDS:
        raise ValidationError(f"未知的团队类型：{kind}（industry 行业团队 / account 全国性客户团队）", "unknown kind")
    team_name = _name(name)
    person = _person(conn, by)
    unit = _unit(conn, lead_unit)
    if person.unit_id != unit.id or person.position not in CREATOR_POSITIONS:
        raise TeamNotAllowed(
            f"只有 {unit.name} 的负责人、管理员或市场经理可以组建由它牵头的虚拟团队；{person.name} 是"
            f"{POSITION_LABELS.get(person.position, person.position)}",
            "only a head, admin or market manager of the lead unit may create its teams",
        )
    industry_id = None
    covered: list[tuple[int, str, str]] = []
    if kind == "industry":
        if not industry:
            raise ValidationError("行业团队必须指定行业", "an industry team needs an industry")
        row = conn.execute(select(Industry.id, Industry.active).where(Industry.code == industry.strip())).first()
        if row is None:
            raise NotFound(f"没有这个行业代码：{industry}", f"unknown industry {industry}")
        if not row.active:
            raise ValidationError(f"行业 {industry} 已停用", "the industry is retired")
        industry_id = row.id
        if accounts:
            raise ValidationError("行业团队覆盖该行业的客户，不单独指定客户", "an industry team covers its industry")
    else:
        if industry:
            raise ValidationError("全国性客户团队不指定行业", "an account team has no industry")
        if not accounts:
            raise ValidationError("全国性客户团队至少要覆盖一个全国性客户", "an account team needs an account")
        covered = _national_accounts(conn, list(accounts))
    text = (description or "").strip() or None
    if text and len(text) > MAX_NOTE:
        raise ValidationError(f"说明太长（{len(text)} 字，最多 {MAX_NOTE} 字）", "description too long")
    number = int(conn.execute(select(func.coalesce(func.max(VirtualTeam.id), 0))).scalar()) + 1
    code = f"VT{number:04d}"
    try:
        with conn.begin_nested():
            team_id = conn.execute(
                insert(VirtualTeam)
                .values(
                    code=code,
                    name=team_name,
                    kind=kind,
                    industry_id=industry_id,
                    lead_unit_id=unit.id,
                    description=text,
                    created_at=now,
                    created_by_id=person.id,
                )
                .returning(VirtualTeam.id)
            ).scalar_one()
    except IntegrityError as exc:
        taken = conn.execute(select(VirtualTeam.code).where(VirtualTeam.name == team_name)).scalar()
        if taken:
            raise ValidationError(f"已有同名的虚拟团队：{team_name}（{taken}）", "a team of that name exists") from exc
        raise KamError("刚有人同时组建了团队，请重试", "a team was created meanwhile; try again") from exc
    for account_id, _no, _label in covered:
        conn.execute(insert(VirtualTeamAccount).values(team_id=team_id, account_id=account_id))
    today = _today(now)
    conn.execute(
        insert(VirtualTeamMember).values(
            team_id=team_id, staff_id=person.id, role="lead", start_date=today, added_at=now, added_by_id=person.id
        )
    )
    what = TEAM_KIND_LABELS[kind] + (f"，覆盖 {'、'.join(n for _i, _no, n in covered)}" if covered else "")
    _log(conn, team_id, person, "created", f"{person.name} 组建了团队（{what}），{unit.name} 牵头", now)
    return code


def add_member(
    conn: Connection,
    *,
    team: str,
    employee_no: str,
    role: str,
    start: dt.date,
    by: str,
    now: dt.datetime,
    end: dt.date | None = None,
) -> None:
    """Add ``employee_no`` to the team with ``role`` from ``start`` (to ``end``, inclusive)."""
    now = as_utc(now)
    t = _team(conn, team)
    actor = _person(conn, by)
    _must_manage(conn, t, actor, _today(now), "调整成员")
    if role not in TEAM_ROLES:
        raise ValidationError(
            f"未知的团队角色：{role}（lead 团队负责人 / member 成员 / local_contact 属地联系人 / expert 专家）",
            "unknown role",
        )
    if end is not None and end < start:
        raise ValidationError(f"结束日期 {end} 早于开始日期 {start}", "end before start")
    member = _person(conn, employee_no)
    m = VirtualTeamMember
    overlap = conn.execute(
        select(m.start_date, m.end_date).where(
            m.team_id == t.id,
            m.staff_id == member.id,
            (m.end_date.is_(None)) | (m.end_date >= start),
            m.start_date <= (end or dt.date.max),
        )
    ).first()
    if overlap is not None:
        until = overlap.end_date or "不定期"
        raise TeamNotAllowed(
            f"{member.name} 在 {overlap.start_date} 至 {until} 已是 {t.name} 的成员，时间不能重叠",
            "overlapping membership",
        )
    conn.execute(
        insert(m).values(
            team_id=t.id,
            staff_id=member.id,
            role=role,
            start_date=start,
            end_date=end,
            added_at=now,
            added_by_id=actor.id,
        )
    )
    unit = conn.execute(select(OrgUnit.name).where(OrgUnit.id == member.unit_id)).scalar()
    period = f"{start} 起" + (f"至 {end}" if end else "")
    _log(conn, t.id, actor, "joined", f"{member.name}（{unit}）以{TEAM_ROLE_LABELS[role]}加入，{period}", now)


def end_membership(conn: Connection, *, team: str, employee_no: str, end: dt.date, by: str, now: dt.datetime) -> None:
    """End ``employee_no``'s running (or future) membership on ``end`` (inclusive): what it granted stops
    the day after."""
    now = as_utc(now)
    t = _team(conn, team)
    actor = _person(conn, by)
    _must_manage(conn, t, actor, _today(now), "调整成员")
    member = _person(conn, employee_no, active=False)
    m = VirtualTeamMember
    row = conn.execute(
        select(m.id, m.start_date, m.end_date, m.role)
        .where(m.team_id == t.id, m.staff_id == member.id, (m.end_date.is_(None)) | (m.end_date >= end))
        .order_by(m.start_date)
        .limit(1)
    ).first()
    if row is None:
        raise TeamNotAllowed(f"{member.name} 在 {end} 之后不是 {t.name} 的成员", "no running membership")
    if end < row.start_date:
        raise ValidationError(f"结束日期 {end} 早于其加入日期 {row.start_date}", "end before start")
    if row.role == "lead" and _leads_left(conn, t.id, member.id, end) == 0:
        raise TeamNotAllowed(
            f"{member.name} 是 {t.name} 唯一的团队负责人，请先指定新的负责人再结束其成员资格", "the last lead"
        )
    conn.execute(update(m).where(m.id == row.id).values(end_date=end))
    _log(conn, t.id, actor, "left", f"{member.name} 的成员资格于 {end} 结束", now)


def _leads_left(conn: Connection, team_id: int, leaving_staff_id: int, end: dt.date) -> int:
    m = VirtualTeamMember
    after = end + dt.timedelta(days=1)
    return int(
        conn.execute(
            select(func.count()).where(
                m.team_id == team_id,
                m.role == "lead",
                m.staff_id != leaving_staff_id,
                (m.end_date.is_(None)) | (m.end_date >= after),
            )
        ).scalar()
    )


def cover_accounts(conn: Connection, *, team: str, accounts: list[str], by: str, now: dt.datetime) -> int:
    """Add national accounts to a national-account team; returns how many were new to it."""
    now = as_utc(now)
    t = _team(conn, team)
    actor = _person(conn, by)
    _must_manage(conn, t, actor, _today(now), "调整覆盖的客户")
    if t.kind != "account":
        raise TeamNotAllowed(f"{t.name} 是行业团队，覆盖该行业的客户，不单独指定客户", "an industry team")
    have = set(conn.execute(select(VirtualTeamAccount.account_id).where(VirtualTeamAccount.team_id == t.id)).scalars())
    added = [(i, no, n) for i, no, n in _national_accounts(conn, accounts) if i not in have]
    for account_id, _no, _n in added:
        conn.execute(insert(VirtualTeamAccount).values(team_id=t.id, account_id=account_id))
    if added:
        _log(conn, t.id, actor, "covered", "开始覆盖 " + "、".join(n for _i, _no, n in added), now)
    return len(added)


def uncover_account(conn: Connection, *, team: str, account: str, by: str, now: dt.datetime) -> None:
    """Stop covering a national account (the team must keep at least one)."""
    now = as_utc(now)
    t = _team(conn, team)
    actor = _person(conn, by)
    _must_manage(conn, t, actor, _today(now), "调整覆盖的客户")
    row = conn.execute(
        select(Account.id, Account.name)
        .join(VirtualTeamAccount, VirtualTeamAccount.account_id == Account.id)
        .where(VirtualTeamAccount.team_id == t.id, Account.customer_no == account.strip())
    ).first()
    if row is None:
        raise NotFound(f"{t.name} 没有覆盖客户 {account}", "the team does not cover that account")
    left = conn.execute(select(func.count()).where(VirtualTeamAccount.team_id == t.id)).scalar()
    if left <= 1:
        raise TeamNotAllowed(f"{t.name} 至少要覆盖一个客户；要结束团队请撤销团队", "the last covered account")
    conn.execute(
        VirtualTeamAccount.__table__.delete().where(
            VirtualTeamAccount.team_id == t.id, VirtualTeamAccount.account_id == row.id
        )
    )
    _log(conn, t.id, actor, "uncovered", f"不再覆盖 {row.name}", now)


def add_note(conn: Connection, *, team: str, text: str, by: str, now: dt.datetime) -> None:
    """Write to the team's shared log (a running member, or anyone of the lead unit)."""
    now = as_utc(now)
    t = _team(conn, team)
    person = _person(conn, by)
    if not _running(conn, t.id, person.id, _today(now)) and person.unit_id != t.lead_unit_id:
        raise TeamNotAllowed(f"{person.name} 不是 {t.name} 的成员，不能在团队日志中记录", "members only")
    note = (text or "").strip()
    if not note:
        raise ValidationError("记录内容不能为空", "the note is empty")
    if len(note) > MAX_NOTE:
        raise ValidationError(f"记录太长（{len(note)} 字，最多 {MAX_NOTE} 字）", "note too long")
    _log(conn, t.id, person, "note", note, now)


def close_team(conn: Connection, *, team: str, on: dt.date, by: str, now: dt.datetime) -> None:
    """Close the team from ``on``: every membership and what it grants ends that day."""
    now = as_utc(now)
    t = _team(conn, team)
    actor = _person(conn, by)
    _must_manage(conn, t, actor, _today(now), "撤销团队")
    conn.execute(update(VirtualTeam).where(VirtualTeam.id == t.id).values(closed_on=on))
    m = VirtualTeamMember
    last = on - dt.timedelta(days=1)
    conn.execute(
        update(m)
        .where(m.team_id == t.id, m.start_date <= last, (m.end_date.is_(None)) | (m.end_date > last))
        .values(end_date=last)
    )
    conn.execute(VirtualTeamMember.__table__.delete().where(m.team_id == t.id, m.start_date > last))
    _log(conn, t.id, actor, "closed", f"{actor.name} 撤销了团队，自 {on} 起不再授权", now)


# --- the team page ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MemberRow:
    employee_no: str
    name: str
    position_label: str
    unit_code: str
    unit_name: str
    province_code: str | None
    province_name: str | None
    role: str
    role_label: str
    start: dt.date
    end: dt.date | None
    running: bool  # the membership runs on the day asked
    active_staff: bool


@dataclass(frozen=True)
class CoverageRow:
    """One province where the team has members or its covered accounts are served."""

    province_code: str
    province_name: str
    members: int  # running members working in the province
    member_cities: tuple[str, ...]  # names of cities with a running member
    accounts: int  # covered accounts served in the province
    gap_cities: tuple[tuple[str, str, int], ...]  # (code, name, accounts) served there with no member in the city


@dataclass(frozen=True)
class CoveredAccount:
    customer_no: str
    name: str
    level: str
    city_code: str
    city_name: str
    province_name: str
    manager_name: str | None
    revenue: str  # the month's revenue in yuan ("0.00" when none)
    parent_no: str | None


@dataclass(frozen=True)
class OpenRequest:
    number: str
    customer_no: str
    account_name: str
    type: str
    state_label: str
    holder_name: str
    due_at: dt.datetime
    overdue: bool


@dataclass(frozen=True)
class ActivityRow:
    at: dt.datetime  # Beijing time
    staff_name: str
    kind: str
    text: str


@dataclass(frozen=True)
class TeamDetail:
    code: str
    name: str
    kind: str
    kind_label: str
    industry_code: str | None
    industry_name: str | None
    lead_unit_code: str
    lead_unit_name: str
    description: str | None
    created_at: dt.datetime
    closed_on: dt.date | None
    on: dt.date
    month: int | None
    members: list[MemberRow]
    coverage: list[CoverageRow]
    head_accounts: list[tuple[str, str]]  # (customer_no, name) a national-account team covers
    accounts: list[CoveredAccount]
    trend: list  # analytics.TrendPoint over the covered accounts, 24 months to ``month``
    requests: list[OpenRequest]
    activity: list[ActivityRow]

    @property
    def gaps(self) -> int:
        return sum(len(c.gap_cities) for c in self.coverage)


def _members(conn: Connection, team_id: int, on: dt.date) -> list[MemberRow]:
    m = VirtualTeamMember
    province = aliased(OrgUnit)
    rows = conn.execute(
        select(
            Staff.employee_no,
            Staff.name,
            Staff.position,
            Staff.active,
            OrgUnit.code,
            OrgUnit.name,
            OrgUnit.path,
            m.role,
            m.start_date,
            m.end_date,
        )
        .join(Staff, Staff.id == m.staff_id)
        .join(OrgUnit, OrgUnit.id == Staff.unit_id)
        .where(m.team_id == team_id)
        .order_by(m.start_date, Staff.employee_no)
    ).all()
    names = dict(conn.execute(select(province.code, province.name).where(province.level == "province")).all())
    out = []
    for r in rows:
        running = r.start_date <= on and (r.end_date is None or r.end_date >= on)
        pcode = _province_code(r.path)
        out.append(
            MemberRow(
                employee_no=r.employee_no,
                name=r.name,
                position_label=POSITION_LABELS.get(r.position, r.position),
                unit_code=r.code,
                unit_name=r[5],
                province_code=pcode,
                province_name=names.get(pcode) if pcode else None,
                role=r.role,
                role_label=TEAM_ROLE_LABELS[r.role],
                start=r.start_date,
                end=r.end_date,
                running=running,
                active_staff=r.active,
            )
        )
    role_order = {role: i for i, role in enumerate(TEAM_ROLES)}
    out.sort(key=lambda x: (not x.running, role_order[x.role], x.province_code or "", x.unit_code, x.employee_no))
    return out


def team_detail(
    conn: Connection, *, team: str, on: dt.date, month: int | None = None, now: dt.datetime | None = None
) -> TeamDetail:
    """Everything the team page shows on day ``on``; figures for ``month`` (default: newest with data);
    open requests are overdue against ``now`` (default: the clock)."""
    t = _team(conn, team)
    head = conn.execute(
        select(
            VirtualTeam.description, VirtualTeam.created_at, OrgUnit.code, OrgUnit.name, Industry.code, Industry.name
        )
        .join(OrgUnit, OrgUnit.id == VirtualTeam.lead_unit_id)
        .outerjoin(Industry, Industry.id == VirtualTeam.industry_id)
        .where(VirtualTeam.id == t.id)
    ).one()
    month = month or analytics.latest_month(conn)
    members = _members(conn, t.id, on)
    covered_ids = select(team_accounts(select(VirtualTeam.id).where(VirtualTeam.id == t.id)).subquery().c.account_id)
    accounts = _covered_accounts(conn, covered_ids, month)
    coverage = _coverage(conn, members, accounts)
    heads = conn.execute(
        select(Account.customer_no, Account.name)
        .join(VirtualTeamAccount, VirtualTeamAccount.account_id == Account.id)
        .where(VirtualTeamAccount.team_id == t.id)
        .order_by(Account.customer_no)
    ).all()
    trend = (
        analytics.accounts_trend(conn, accounts=covered_ids, first=add_months(month, -23), last=month, name=t.name)
        if month
        else []
    )
    return TeamDetail(
        code=t.code,
        name=t.name,
        kind=t.kind,
        kind_label=TEAM_KIND_LABELS[t.kind],
        industry_code=head[4],
        industry_name=head[5],
        lead_unit_code=head[2],
        lead_unit_name=head[3],
        description=head[0],
        created_at=as_utc(head[1]).astimezone(BEIJING),
        closed_on=t.closed_on,
        on=on,
        month=month,
        members=members,
        coverage=coverage,
        head_accounts=[(no, name) for no, name in heads],
        accounts=accounts,
        trend=trend,
        requests=_open_requests(conn, covered_ids, as_utc(now) if now else dt.datetime.now(dt.UTC)),
        activity=_activity(conn, t.id),
    )


def _covered_accounts(conn: Connection, covered_ids, month: int | None) -> list[CoveredAccount]:
    city, province, manager, parent = aliased(OrgUnit), aliased(OrgUnit), aliased(Staff), aliased(Account)
    revenue = (
        select(AccountRollup.account_id, AccountRollup.revenue_fen)
        .where(AccountRollup.month == (month or 0))
        .subquery()
    )
    rows = conn.execute(
        select(
            Account.customer_no,
            Account.name,
            Account.level,
            city.code,
            city.name,
            province.name,
            manager.name,
            func.coalesce(revenue.c.revenue_fen, 0),
            parent.customer_no,
        )
        .join(city, city.id == Account.serving_city_id)
        .outerjoin(province, province.id == city.parent_id)
        .outerjoin(manager, manager.id == Account.manager_id)
        .outerjoin(parent, parent.id == Account.parent_id)
        .outerjoin(revenue, revenue.c.account_id == Account.id)
        .where(Account.id.in_(covered_ids))
        .order_by(func.coalesce(revenue.c.revenue_fen, 0).desc(), Account.customer_no)
    ).all()
    return [
        CoveredAccount(
            customer_no=r[0],
            name=r[1],
            level=r[2],
            city_code=r[3],
            city_name=r[4],
            province_name=r[5] or "",
            manager_name=r[6],
            revenue=f"{fen_to_decimal(int(r[7])):.2f}",
            parent_no=r[8],
        )
        for r in rows
    ]


def _coverage(conn: Connection, members: list[MemberRow], accounts: list[CoveredAccount]) -> list[CoverageRow]:
    units = conn.execute(select(OrgUnit.code, OrgUnit.name, OrgUnit.level, OrgUnit.path)).all()
    by_code = {u.code: u for u in units}

    def city_of(code: str) -> str | None:
        unit = by_code.get(code)
        if unit is None or unit.level in ("group", "province"):
            return None
        parts = unit.path.split("/")
        return parts[2] if len(parts) > 2 else None

    member_cities: dict[str, set[str]] = {}
    member_count: dict[str, int] = {}
    for m in members:
        if not m.running or not m.province_code:
            continue
        member_count[m.province_code] = member_count.get(m.province_code, 0) + 1
        city = city_of(m.unit_code)
        if city:
            member_cities.setdefault(m.province_code, set()).add(city)
    served: dict[str, dict[str, int]] = {}
    for a in accounts:
        unit = by_code.get(a.city_code)
        province = _province_code(unit.path) if unit else None
        if province:
            served.setdefault(province, {}).setdefault(a.city_code, 0)
            served[province][a.city_code] += 1
    out = []
    for province in sorted(set(member_count) | set(served)):
        cities = served.get(province, {})
        have = member_cities.get(province, set())
        gaps = tuple(
            (code, by_code[code].name, n)
            for code, n in sorted(cities.items(), key=lambda kv: (-kv[1], kv[0]))
            if code not in have
        )
        out.append(
            CoverageRow(
                province_code=province,
                province_name=by_code[province].name if province in by_code else province,
                members=member_count.get(province, 0),
                member_cities=tuple(sorted(by_code[c].name for c in have if c in by_code)),
                accounts=sum(cities.values()),
                gap_cities=gaps,
            )
        )
    return out


def _open_requests(conn: Connection, covered_ids, now: dt.datetime) -> list[OpenRequest]:
    holder = aliased(OrgUnit)
    rows = conn.execute(
        select(
            ServiceRequest.number,
            Account.customer_no,
            Account.name,
            ServiceRequest.type,
            ServiceRequest.state,
            holder.name,
            ServiceRequest.due_at,
        )
        .join(Account, Account.id == ServiceRequest.account_id)
        .join(holder, holder.id == ServiceRequest.holder_unit_id)
        .where(ServiceRequest.account_id.in_(covered_ids), ServiceRequest.state.in_(OPEN_REQUEST_STATES))
        .order_by(ServiceRequest.due_at)
    ).all()
    return [
        OpenRequest(
            number=r[0],
            customer_no=r[1],
            account_name=r[2],
            type=r[3],
            state_label=REQUEST_STATE_LABELS.get(r[4], r[4]),
            holder_name=r[5],
            due_at=as_utc(r[6]).astimezone(BEIJING),
            overdue=as_utc(r[6]) < now,
        )
        for r in rows
    ]


def _activity(conn: Connection, team_id: int) -> list[ActivityRow]:
    rows = conn.execute(
        select(TeamActivity.at, Staff.name, TeamActivity.kind, TeamActivity.text)
        .join(Staff, Staff.id == TeamActivity.staff_id)
        .where(TeamActivity.team_id == team_id)
        .order_by(TeamActivity.at.desc(), TeamActivity.id.desc())
    ).all()
    return [ActivityRow(as_utc(at).astimezone(BEIJING), name, kind, text) for at, name, kind, text in rows]


# --- suggestions --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Suggestion:
    """Someone who already serves the covered accounts and is not in the team yet: a responsible manager
    of a branch (suggested as 成员) or a branch's first local contact in its city (属地联系人)."""

    employee_no: str
    name: str
    unit_code: str
    unit_name: str
    position_label: str
    role: str  # the suggested team role
    role_label: str
    why: str  # 负责客户经理 / 第一联系人
    cities: tuple[str, ...]  # names of the cities where they serve the covered accounts
    accounts: tuple[str, ...]  # names of the covered accounts they serve


def suggest_members(conn: Connection, *, team: str, on: dt.date) -> list[Suggestion]:
    """For a national-account team: the active responsible managers of the covered accounts and their
    branches, and the branches' first local contacts in each city, who are not running members — the
    people already serving the customer across the country."""
    t = _team(conn, team)
    covered_ids = select(team_accounts(select(VirtualTeam.id).where(VirtualTeam.id == t.id)).subquery().c.account_id)
    city, home = aliased(OrgUnit), aliased(OrgUnit)
    columns = (Staff.employee_no, Staff.name, home.code, home.name, Staff.position, city.name, Account.name)
    managers = (
        select(*columns, literal("member").label("role"))
        .join(Staff, Staff.id == Account.manager_id)
        .join(home, home.id == Staff.unit_id)
        .join(city, city.id == Account.serving_city_id)
        .where(Account.id.in_(covered_ids), Staff.active, Staff.id.not_in(_running_staff(t.id, on)))
    )
    contacts = (
        select(*columns, literal("local_contact").label("role"))
        .select_from(Account)
        .join(AccountFirstContact, AccountFirstContact.account_id == Account.id)
        .join(Staff, Staff.id == AccountFirstContact.staff_id)
        .join(home, home.id == Staff.unit_id)
        .join(city, city.id == Account.serving_city_id)
        .where(Account.id.in_(covered_ids), Staff.active, Staff.id.not_in(_running_staff(t.id, on)))
    )
    rows = conn.execute(managers.union_all(contacts)).all()
    grouped: dict[str, list] = {}
    for r in rows:
        grouped.setdefault(r[0], []).append(r)
    out = []
    for items in grouped.values():
        r = items[0]
        role = "member" if any(i[7] == "member" for i in items) else "local_contact"
        out.append(
            Suggestion(
                employee_no=r[0],
                name=r[1],
                unit_code=r[2],
                unit_name=r[3],
                position_label=POSITION_LABELS.get(r[4], r[4]),
                role=role,
                role_label=TEAM_ROLE_LABELS[role],
                why="负责客户经理" if role == "member" else "第一联系人",
                cities=tuple(sorted(dict.fromkeys(i[5] for i in items))),
                accounts=tuple(sorted(dict.fromkeys(i[6] for i in items))),
            )
        )
    out.sort(key=lambda x: (x.role != "member", x.unit_code, x.employee_no))
    return out


def _running_staff(team_id: int, on: dt.date):
    running = running_memberships(None, on).subquery()
    return select(running.c.staff_id).where(running.c.team_id == team_id)


def month_label(month: int | None) -> str:
    return month_text(month) if month else "—"
