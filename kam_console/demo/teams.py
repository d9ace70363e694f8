"""Demo virtual teams (DESIGN §1, §3), made through ``services.teams`` as people would.

Industry teams for a few key industries, led by the group (one by Guangdong), with the managers
specialised in the industry from many provinces as members and experts; national-account teams for the
national customers with the most branches, staffed from the people already serving those branches (the
suggestions the team page makes), leaving a few cities uncovered on purpose. Some memberships ended
months ago, some end soon, and the teams' logs hold a few notes. The same ``seed`` and ``today`` give
the same rows.
"""

from __future__ import annotations

import datetime as dt
import random

from sqlalchemy import Connection, func, select
from sqlalchemy.orm import aliased

from kam_console.models import Account, Industry, OrgUnit, Staff, StaffIndustry
from kam_console.services.sla import BEIJING
from kam_console.services.teams import add_member, add_note, create_team, end_membership, suggest_members

INDUSTRY_TEAMS = (("FIN", "000000"), ("ENE", "000000"), ("GOV", "440000"))
ACCOUNT_TEAMS = {"small": 2, "medium": 3, "large": 4}
NOTES = (
    "总部统一采购框架协议已签，各地请按分支清单对接落地。",
    "本季度重点：专线扩容与云专网迁移，请各属地联系人摸清需求。",
    "客户总部反馈部分分支故障响应慢，请相关地市关注时限。",
    "下月召开团队例会，请各成员准备本地客户拜访情况。",
)


def _at(day: dt.date, hour: int) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, tzinfo=BEIJING).astimezone(dt.UTC)


def _staff_of(conn: Connection, unit_code: str, *positions: str) -> list[str]:
    return list(
        conn.execute(
            select(Staff.employee_no)
            .join(OrgUnit, OrgUnit.id == Staff.unit_id)
            .where(OrgUnit.code == unit_code, Staff.active, Staff.position.in_(positions))
            .order_by(Staff.employee_no)
        ).scalars()
    )


def seed_teams(conn: Connection, *, scale: str, seed: int, today: dt.date) -> int:
    """Create the demo's teams on ``conn`` (staff, accounts and revenue already written); returns how many."""
    rng = random.Random(f"{seed}:teams")
    made = 0
    for industry, lead_unit in INDUSTRY_TEAMS:
        leads = _staff_of(conn, lead_unit, "head")
        name = conn.execute(select(Industry.name).where(Industry.code == industry)).scalar()
        if not leads or name is None:
            continue
        lead = leads[0]
        founded = today - dt.timedelta(days=rng.randint(200, 400))
        scope = "全国" if lead_unit == "000000" else "广东"
        code = create_team(
            conn,
            name=f"{scope}{name}行业团队",
            kind="industry",
            industry=industry,
            lead_unit=lead_unit,
            by=lead,
            now=_at(founded, 10),
            description=f"集中攻坚{name}行业重点客户，统一方案、属地落实。",
        )
        made += 1
        unit = aliased(OrgUnit)
        lead_path = conn.execute(select(OrgUnit.path).where(OrgUnit.code == lead_unit)).scalar()
        specialists = conn.execute(
            select(Staff.employee_no, unit.path)
            .join(StaffIndustry, StaffIndustry.staff_id == Staff.id)
            .join(Industry, Industry.id == StaffIndustry.industry_id)
            .join(unit, unit.id == Staff.unit_id)
            .where(Industry.code == industry, Staff.active, unit.level.in_(("province", "city")))
            .where(unit.path.like(lead_path + "/%") if lead_unit != "000000" else unit.path.is_not(None))
            .order_by(Staff.employee_no)
        ).all()
        by_province: dict[str, list[str]] = {}
        for no, path in specialists:
            by_province.setdefault(path.split("/")[1], []).append(no)
        provinces = sorted(by_province)
        for province in rng.sample(provinces, min(len(provinces), 14 if lead_unit == "000000" else 6)):
            people = by_province[province]
            for no in rng.sample(people, min(len(people), 2)):
                start = founded + dt.timedelta(days=rng.randint(0, 120))
                role = "expert" if rng.random() < 0.2 else "member"
                add_member(conn, team=code, employee_no=no, role=role, start=start, by=lead, now=_at(start, 11))
                if rng.random() < 0.12:  # some left the team a while ago
                    end = min(start + dt.timedelta(days=rng.randint(30, 150)), today - dt.timedelta(days=1))
                    end_membership(conn, team=code, employee_no=no, end=end, by=lead, now=_at(end, 17))
        for day in sorted(rng.sample(range(1, 60), 2), reverse=True):
            add_note(conn, team=code, text=rng.choice(NOTES), by=lead, now=_at(today - dt.timedelta(days=day), 15))

    group_leads = _staff_of(conn, "000000", "head", "market_manager")
    if not group_leads:
        return made
    branch = aliased(Account)
    branches = func.count(branch.id)
    heads = conn.execute(
        select(Account.customer_no, Account.name)
        .join(branch, branch.parent_id == Account.id)
        .where(Account.level == "national", Account.parent_id.is_(None))
        .group_by(Account.id, Account.customer_no, Account.name)
        .order_by(branches.desc(), Account.customer_no)
        .limit(ACCOUNT_TEAMS[scale])
    ).all()
    for index, (customer_no, name) in enumerate(heads):
        lead = group_leads[index % len(group_leads)]
        founded = today - dt.timedelta(days=rng.randint(60, 300))
        code = create_team(
            conn,
            name=f"{name}服务团队",
            kind="account",
            accounts=[customer_no],
            lead_unit="000000",
            by=lead,
            now=_at(founded, 9),
            description="总部统筹、属地执行：统一服务标准，各分支所在地市指定联系人。",
        )
        made += 1
        for s in suggest_members(conn, team=code, on=founded):
            if rng.random() < 0.8:  # a few cities stay uncovered: the team page shows them
                start = founded + dt.timedelta(days=rng.randint(0, 30))
                end = today + dt.timedelta(days=rng.randint(10, 60)) if rng.random() < 0.1 else None
                add_member(
                    conn,
                    team=code,
                    employee_no=s.employee_no,
                    role=s.role,
                    start=start,
                    end=end,
                    by=lead,
                    now=_at(start, 10),
                )
        for day in sorted(rng.sample(range(1, 40), 3), reverse=True):
            add_note(conn, team=code, text=rng.choice(NOTES), by=lead, now=_at(today - dt.timedelta(days=day), 16))
    return made
