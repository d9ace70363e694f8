"""Figures that decorate the hierarchy: each unit's account count and revenue of a month, and a unit's
key figures (revenue, lines, accounts, ARPU, ARPA with month-on-month and year-on-year change).

Accounts are counted where they are served (serving city), like every other figure (DESIGN §4), so a
province's count is the sum of its cities'. Revenue comes from the rollups through the figures engine.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import Connection, func, select

from kam_console import analytics
from kam_console.analytics import latest_month
from kam_console.models import ALL_PRODUCTS, Account, OrgUnit, RevenueRollup
from kam_console.months import add_months
from kam_console.services.analysis import KeyFigure, key_figures

__all__ = ["KeyFigures", "NodeFigures", "latest_month", "unit_key_figures", "unit_tree_figures"]


@dataclass(frozen=True)
class NodeFigures:
    """What a tree node shows: accounts served in the unit's area and its revenue in the month."""

    accounts: int
    revenue_fen: int


@dataclass(frozen=True)
class KeyFigures:
    unit: str
    month: int
    figures: analytics.Figures
    mom_pct: Decimal | None
    yoy_pct: Decimal | None
    arpu_mom_pct: Decimal | None
    arpa_mom_pct: Decimal | None
    #: all five figures with MoM and YoY (revenue, lines, accounts, ARPU, ARPA)
    changes: tuple[KeyFigure, ...] = ()


def unit_tree_figures(conn: Connection, *, month: int | None) -> dict[str, NodeFigures]:
    """Per unit code: accounts served in its area (all statuses) and its revenue in ``month``."""
    units = conn.execute(select(OrgUnit.id, OrgUnit.code, OrgUnit.parent_id)).all()
    parent = {u.id: u.parent_id for u in units}
    code = {u.id: u.code for u in units}
    accounts = dict(conn.execute(select(Account.serving_city_id, func.count()).group_by(Account.serving_city_id)).all())
    revenue: dict[int, int] = {}
    if month is not None:
        t = RevenueRollup.__table__
        revenue = {
            city: int(fen)
            for city, fen in conn.execute(
                select(t.c.city_id, func.sum(t.c.revenue_fen))
                .where(t.c.product_id == ALL_PRODUCTS, t.c.month == month)
                .group_by(t.c.city_id)
            )
        }
    totals: dict[int, list[int]] = {u.id: [0, 0] for u in units}
    for city in set(accounts) | set(revenue):
        node: int | None = city
        while node is not None:  # add the city's figures to it and every unit above it
            totals[node][0] += int(accounts.get(city, 0))
            totals[node][1] += revenue.get(city, 0)
            node = parent.get(node)
    return {code[i]: NodeFigures(a, r) for i, (a, r) in totals.items()}


def unit_key_figures(conn: Connection, *, unit: str, month: int) -> KeyFigures:
    """The unit's figures for ``month`` with MoM and YoY, from the figures engine."""
    points = analytics.trend(conn, unit=unit, first=add_months(month, -12), last=month)
    point = points[-1]
    return KeyFigures(
        unit=unit,
        month=month,
        figures=point.figures,
        mom_pct=point.mom_pct,
        yoy_pct=point.yoy_pct,
        arpu_mom_pct=point.arpu_mom_pct,
        arpa_mom_pct=point.arpa_mom_pct,
        changes=key_figures(points, month),
    )
