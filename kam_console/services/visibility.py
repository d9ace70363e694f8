"""Which accounts a person may see: their own region, plus what their virtual teams grant (the matrix).

**Region.** An employee of the group sees every account. An employee of a province, city or county unit
sees the accounts served in that unit's area (serving city inside its subtree), owned by a unit of its
subtree, or that they are the responsible manager of.

**Team grants.** On a given day, each membership that runs that day (``start_date`` ≤ day ≤ ``end_date``,
open-ended when no end) of a team not closed by then grants the team's covered accounts, wherever they
are: for a *national-account* team, the covered accounts and all their branch accounts (any depth); for an
*industry* team, the accounts of that industry in the lead unit's area (the whole country for a team led
by the group). A membership that has ended grants nothing — access ends by itself, no one has to revoke
it.

``visible_accounts`` is a SELECT of account ids, to be used inside other queries (lists, search, detail
checks); ``account_access`` says whether one account is visible and why. The database-level enforcement of
data scope builds on this same rule.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import Connection, Select, func, literal, or_, select, union
from sqlalchemy.orm import aliased

from kam_console.errors import NotFound
from kam_console.models import (
    Account,
    OrgUnit,
    Staff,
    VirtualTeam,
    VirtualTeamAccount,
    VirtualTeamMember,
)


@dataclass(frozen=True)
class _Person:
    id: int
    name: str
    unit_id: int
    unit_level: str
    unit_path: str


def _person(conn: Connection, employee_no: str) -> _Person:
    row = conn.execute(
        select(Staff.id, Staff.name, Staff.unit_id, OrgUnit.level, OrgUnit.path)
        .join(OrgUnit, OrgUnit.id == Staff.unit_id)
        .where(Staff.employee_no == employee_no.strip())
    ).first()
    if row is None:
        raise NotFound(f"没有工号为 {employee_no} 的员工", f"no staff member {employee_no}")
    return _Person(*row)


def _subtree_units(path: str) -> Select:
    return select(OrgUnit.id).where(or_(OrgUnit.path == path, OrgUnit.path.like(path + "/%")))


def region_accounts(person: _Person) -> Select:
    """Account ids in the person's own region."""
    if person.unit_level == "group":
        return select(Account.id)
    units = _subtree_units(person.unit_path)
    return select(Account.id).where(
        or_(
            Account.serving_city_id.in_(units),
            Account.owner_unit_id.in_(units),
            Account.manager_id == person.id,
        )
    )


def running_memberships(staff_id: int | None, on: dt.date) -> Select:
    """(team id, staff id) of memberships running on ``on`` in teams not closed by then."""
    m = VirtualTeamMember
    where = [
        m.start_date <= on,
        or_(m.end_date.is_(None), m.end_date >= on),
        or_(VirtualTeam.closed_on.is_(None), VirtualTeam.closed_on > on),
    ]
    if staff_id is not None:
        where.append(m.staff_id == staff_id)
    return select(m.team_id, m.staff_id).join(VirtualTeam, VirtualTeam.id == m.team_id).where(*where)


def team_accounts(teams: Select) -> Select:
    """(team id, account id) of every account the teams in ``teams`` (a SELECT of team ids) cover."""
    covered = (
        select(VirtualTeamAccount.team_id, VirtualTeamAccount.account_id)
        .where(VirtualTeamAccount.team_id.in_(teams))
        .cte("covered", recursive=True)
    )
    branch = aliased(Account)
    covered = covered.union_all(
        select(covered.c.team_id, branch.id).join(branch, branch.parent_id == covered.c.account_id)
    )
    lead = aliased(OrgUnit)
    area = aliased(OrgUnit)
    industry = (
        select(VirtualTeam.id.label("team_id"), Account.id.label("account_id"))
        .join(lead, lead.id == VirtualTeam.lead_unit_id)
        .join(Account, Account.industry_id == VirtualTeam.industry_id)
        .join(area, area.id == Account.serving_city_id)
        .where(
            VirtualTeam.id.in_(teams),
            VirtualTeam.kind == "industry",
            or_(lead.level == "group", area.path == lead.path, area.path.like(lead.path + "/%")),
        )
    )
    return union(select(covered.c.team_id, covered.c.account_id), industry)


def granted_accounts(staff_id: int, on: dt.date) -> Select:
    """(team id, account id) granted to the person by their memberships running on ``on``."""
    teams = select(running_memberships(staff_id, on).subquery().c.team_id)
    return team_accounts(teams)


def visible_accounts(conn: Connection, *, employee_no: str, on: dt.date) -> Select:
    """A SELECT of the ids of every account ``employee_no`` may see on ``on``."""
    person = _person(conn, employee_no)
    granted = granted_accounts(person.id, on).subquery()
    return union(region_accounts(person), select(granted.c.account_id))


@dataclass(frozen=True)
class Access:
    visible: bool
    region: bool  # in the person's own region
    teams: tuple[str, ...]  # names of the teams that grant it (on that day)

    @property
    def reason(self) -> str:
        if self.region:
            return "本单位辖区内的客户"
        if self.teams:
            return "虚拟团队授权：" + "、".join(self.teams)
        return "不在本单位辖区，也不在所属虚拟团队的范围内"


def account_access(conn: Connection, *, employee_no: str, account_id: int, on: dt.date) -> Access:
    """Whether ``employee_no`` may see the account on ``on``, and why."""
    person = _person(conn, employee_no)
    region = region_accounts(person).where(Account.id == account_id)
    in_region = conn.execute(select(literal(1)).where(region.exists())).first() is not None
    granted = granted_accounts(person.id, on).subquery()
    names = conn.execute(
        select(VirtualTeam.name)
        .join(granted, granted.c.team_id == VirtualTeam.id)
        .where(granted.c.account_id == account_id)
        .order_by(VirtualTeam.name)
        .distinct()
    ).scalars()
    teams = tuple(names)
    return Access(visible=in_region or bool(teams), region=in_region, teams=teams)


def visible_count(conn: Connection, *, employee_no: str, on: dt.date) -> tuple[int, int]:
    """(accounts in the person's region, accounts visible only through their teams) on ``on``."""
    person = _person(conn, employee_no)
    region = region_accounts(person).subquery()
    granted = granted_accounts(person.id, on).subquery()
    own = conn.execute(select(func.count()).select_from(region)).scalar_one()
    extra = conn.execute(
        select(func.count(granted.c.account_id.distinct())).where(granted.c.account_id.not_in(select(region.c.id)))
    ).scalar_one()
    return int(own), int(extra)
