"""Demo monthly reports (DESIGN §6), made by running the real lifecycle.

The demo's newest month is the one before ``today``; its reports are being written and reviewed now.
In a few provinces (Guangdong always) every city has a *fate* for that month — approved, submitted and
waiting, returned (some already revised as the next version, some of those resubmitted and approved),
a draft, or not started — and the province compiles its own report once most of its cities are decided,
which the group's head then approves or returns. Every step goes through ``monthly_reports`` at a
synthetic time between the 1st of this month and ``today`` 09:00 (Beijing), so deadlines, late
submissions and overdue units on the status boards are what the app would have recorded; steps that
would fall after ``today`` have not happened yet. The same ``seed`` and ``today`` give the same rows.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter
from collections.abc import Callable

from sqlalchemy import Connection, select

from kam_console import analytics
from kam_console.demo.names import Weighted
from kam_console.models import OrgUnit, Staff
from kam_console.months import add_months
from kam_console.services.monthly_reports import (
    approve_report,
    return_report,
    revise_report,
    save_narratives,
    submit_report,
)
from kam_console.services.sla import BEIJING

PROVINCES = {"small": 5, "medium": 5, "large": 5}
ALWAYS = "440000"  # Guangdong: the README's examples use it
CITY_FATES = Weighted(
    ("approved", "submitted", "returned", "revised", "resubmitted", "draft", "not_started"),
    (44, 14, 5, 5, 5, 12, 15),
)
PREPARERS = ("analyst", "market_manager", "business_manager", "project_manager", "customer_manager")

_INDUSTRIES = ("党政军", "金融", "教育", "医疗卫生", "交通物流", "能源", "制造", "互联网")
_MARKET = (
    "友商在**{a}**行业以低价专线和免费云资源争夺存量客户，本月有 {n} 家客户收到竞争报价。",
    "{a}行业信息化项目集中招标，我方中标 {n} 个，友商以捆绑移动业务的方式拿下 2 个。",
    "{b}行业客户上云需求增长明显，多家客户询问混合云与专线组合方案。",
    "友商推出 *千兆企业宽带* 限时优惠，对中小客户冲击较大；重点客户整体稳定。",
)
_ISSUES = (
    "{a}行业专线故障平均处理时长超过时限，客户投诉 {n} 起",
    "部分客户经理负责客户数偏多，重点客户走访不足",
    "跨省电路开通依赖上级协调，个别请求逐级上报耗时过长",
    "{b}行业两家客户合同将于下月到期，续约价格压力大",
    "新增客户以小额业务为主，ARPA 环比下降",
)
_PLAN = (
    "完成{a}行业前 20 名客户走访",
    "推进{b}行业云专线组合方案试点，争取签约 {n} 家",
    "督办超时请求，处理时长压降 20%",
    "梳理到期合同，提前一个月启动续约谈判",
    "组织客户经理参加{a}行业解决方案培训",
)
_RETURN_REASONS = (
    "请补充友商价格策略和我方应对措施",
    "重点问题未写明整改责任人和时限",
    "下月工作计划缺少量化目标，请补充",
    "市场与竞争信息过于笼统，请列出具体客户",
)


def _narratives(rng: random.Random) -> dict[str, str]:
    a, b = rng.sample(_INDUSTRIES, 2)

    def fill(text: str) -> str:
        return text.format(a=a, b=b, n=rng.randint(2, 6))

    market = "\n\n".join(fill(t) for t in rng.sample(_MARKET, 2))
    issues = "\n".join(f"- {fill(t)}" for t in rng.sample(_ISSUES, rng.randint(2, 3)))
    plan = "\n".join(f"{i}. {fill(t)}" for i, t in enumerate(rng.sample(_PLAN, rng.randint(2, 4)), 1))
    return {"market": market, "issues": issues, "plan": plan}


def _at(month: int, day: float, hour: float) -> dt.datetime:
    """A Beijing office-hours moment on (fractional) ``day`` of ``month``, as UTC."""
    start = dt.datetime(month // 100, month % 100, 1, tzinfo=BEIJING)
    return (start + dt.timedelta(days=day - 1, hours=hour)).astimezone(dt.UTC)


def _people(conn: Connection) -> dict[int, dict[str, list[str]]]:
    rows = conn.execute(
        select(Staff.unit_id, Staff.position, Staff.employee_no).where(Staff.active).order_by(Staff.employee_no)
    ).all()
    people: dict[int, dict[str, list[str]]] = {}
    for unit_id, position, no in rows:
        people.setdefault(unit_id, {}).setdefault(position, []).append(no)
    return people


def _preparer(people: dict[str, list[str]], rng: random.Random) -> str | None:
    for position in PREPARERS:
        if people.get(position):
            return rng.choice(people[position])
    return None


def seed_reports(
    conn: Connection,
    *,
    scale: str,
    seed: int,
    today: dt.date,
    progress: Callable[[int, int], None] | None = None,
) -> dict[str, int]:
    """Write the demo's monthly reports on ``conn`` (staff and revenue already written); returns how many
    reports ended in each status."""
    rng = random.Random(f"{seed}:reports")
    this_month = today.year * 100 + today.month
    month = add_months(this_month, -1)
    end = dt.datetime(today.year, today.month, today.day, 9, tzinfo=BEIJING).astimezone(dt.UTC)
    units = conn.execute(select(OrgUnit.id, OrgUnit.code, OrgUnit.level, OrgUnit.parent_id)).all()
    group = next(u for u in units if u.level == "group")
    provinces = sorted((u for u in units if u.level == "province"), key=lambda u: u.code)
    cities_of: dict[int, list] = {}
    for u in units:
        if u.level == "city":
            cities_of.setdefault(u.parent_id, []).append(u)
    people = _people(conn)
    head = {unit_id: p["head"][0] for unit_id, p in people.items() if p.get("head")}
    others = [p for p in provinces if p.code != ALWAYS]
    chosen = [p for p in provinces if p.code == ALWAYS] + rng.sample(others, PROVINCES[scale] - 1)

    # Each step: (time, order, function, keyword arguments). Steps after ``end`` have not happened yet.
    steps: list[tuple[dt.datetime, int, Callable, dict]] = []

    def plan(at: dt.datetime, fn: Callable, **kwargs) -> None:
        steps.append((at, len(steps), fn, kwargs))

    def lifecycle(unit, fate: str, first_day: float, upper_head: str) -> float | None:
        """Plan one unit's report; returns the day its fate is settled (None: never submitted)."""
        by = _preparer(people.get(unit.id, {}), rng)
        if by is None or fate == "not_started":
            return None
        common = {"unit": unit.code, "month": month}
        day = first_day
        plan(_at(this_month, day, rng.uniform(1, 7)), save_narratives, by=by, narratives=_narratives(rng), **common)
        if fate == "draft":
            return None
        day += rng.uniform(0.5, 3)
        plan(_at(this_month, day, rng.uniform(1, 8)), submit_report, by=by, **common)
        if fate == "submitted":
            return None
        day += rng.uniform(0.3, 2)
        if fate == "approved":
            plan(_at(this_month, day, rng.uniform(1, 8)), approve_report, by=upper_head, **common)
            return day
        plan(
            _at(this_month, day, rng.uniform(1, 8)),
            return_report,
            by=upper_head,
            reason=rng.choice(_RETURN_REASONS),
            **common,
        )
        if fate == "returned":
            return None
        day += rng.uniform(0.5, 2)
        plan(_at(this_month, day, rng.uniform(1, 4)), revise_report, by=by, **common)
        plan(_at(this_month, day, rng.uniform(4, 8)), save_narratives, by=by, narratives=_narratives(rng), **common)
        if fate == "revised":
            return None
        day += rng.uniform(0.5, 2)
        plan(_at(this_month, day, rng.uniform(1, 8)), submit_report, by=by, **common)
        day += rng.uniform(0.3, 1.5)
        plan(_at(this_month, day, rng.uniform(1, 8)), approve_report, by=upper_head, **common)
        return day

    province_fates = Weighted(("approved", "submitted", "resubmitted", "returned"), (50, 25, 15, 10))
    for province in chosen:
        upper = head.get(province.id)
        settled = []
        paying = {f.key for f in analytics.figures_by(conn, unit=province.code, month=month, by="child") if f.revenue}
        for city in sorted(cities_of.get(province.id, []), key=lambda u: u.code):
            if upper is None or city.code not in paying:  # a city without revenue that month has no report
                continue
            # most cities start in the first days; some leave it until after the deadline (the 5th)
            first = rng.uniform(1, 4) if rng.random() < 0.8 else rng.uniform(4, 9)
            day = lifecycle(city, CITY_FATES.pick(rng), first, upper)
            if day is not None:
                settled.append(day)
        if group.id in head and settled:
            start = max(sorted(settled)[int(len(settled) * 0.7)], 5.0) + rng.uniform(0.2, 2)
            lifecycle(province, province_fates.pick(rng), start, head[group.id])

    steps = [s for s in steps if s[0] <= end]
    steps.sort(key=lambda s: s[:2])
    report = progress or (lambda done, total: None)
    for done, (at, _order, fn, kwargs) in enumerate(steps):
        if done % 10 == 0:
            report(done, len(steps))
        fn(conn, now=at, **kwargs)
    report(len(steps), len(steps))
    rows = conn.exec_driver_sql(
        "SELECT status FROM monthly_report r WHERE version = "
        "(SELECT max(version) FROM monthly_report x WHERE x.unit_id = r.unit_id AND x.month = r.month)"
    ).all()
    return dict(Counter(status for (status,) in rows))
