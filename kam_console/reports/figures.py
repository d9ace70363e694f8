"""The figures of a unit's monthly report, compiled once and frozen (DESIGN §6).

``compile_figures`` reads everything a monthly report prints from the figures engine
(``kam_console.analytics``) and the request statistics (``services.request_supervision``) and returns
plain, JSON-ready data: money as decimal strings in yuan ("1234.56"), counts as integers, percentages as
strings with one decimal or None. A submitted report stores this snapshot, so re-importing revenue later
never changes what was submitted; comparing a stored snapshot with a fresh one shows where the live
figures have moved.

New and churned accounts are counted on revenue: *new* — revenue in the month but none in the month
before; *churned* — revenue in the month before but none in the month. (An account's status field says
what a manager recorded; the report says what billing shows.)
"""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import Connection, and_, func, select

from kam_console import analytics
from kam_console.analytics import AccountFigures, Figures
from kam_console.errors import ValidationError
from kam_console.models import Account, AccountRollup
from kam_console.months import add_months, month_text
from kam_console.services.analysis import key_figures
from kam_console.services.request_supervision import request_statistics

SNAPSHOT_VERSION = 1
TOP_N = 20


def _money(value: Decimal | None) -> str | None:
    return None if value is None else f"{value:.2f}"


def _pct(value: Decimal | float | None) -> str | None:
    return None if value is None else f"{value:.1f}"


def _figures(f: Figures) -> dict:
    return {
        "key": f.key,
        "name": f.name,
        "revenue": _money(f.revenue),
        "lines": f.lines,
        "accounts": f.accounts,
        "arpu": _money(f.arpu),
        "arpa": _money(f.arpa),
    }


def _account(rank: int, a: AccountFigures) -> dict:
    return {
        "rank": rank,
        "customer_no": a.customer_no,
        "name": a.name,
        "level": a.level,
        "industry": a.industry,
        "city": a.city,
        "revenue": _money(a.revenue),
        "lines": a.lines,
        "arpu": _money(a.arpu),
    }


def _movers(conn: Connection, scope, month: int) -> dict:
    """Accounts that started or stopped bringing revenue between the previous month and ``month``."""
    t = AccountRollup.__table__
    prev = add_months(month, -1)
    geo = [] if scope.is_country else [t.c.city_id.in_(scope.city_ids)]
    now_paying = select(t.c.account_id).where(t.c.month == month, t.c.revenue_fen > 0, *geo)
    before_paying = select(t.c.account_id).where(t.c.month == prev, t.c.revenue_fen > 0, *geo)

    def listed(ids_query, other_query, rev_month: int) -> list[dict]:
        rows = conn.execute(
            select(Account.customer_no, Account.name, t.c.revenue_fen)
            .select_from(t.join(Account, Account.id == t.c.account_id))
            .where(and_(t.c.month == rev_month, t.c.account_id.in_(ids_query), t.c.account_id.not_in(other_query)))
            .order_by(t.c.revenue_fen.desc(), Account.customer_no)
        ).all()
        return [{"customer_no": no, "name": name, "revenue": _money(Decimal(int(fen)) / 100)} for no, name, fen in rows]

    new = listed(now_paying, before_paying, month)
    churned = listed(before_paying, now_paying, prev)
    return {"new": new, "churned": churned}


def compile_figures(conn: Connection, *, unit: str, month: int) -> dict:
    """Everything a monthly report of ``unit`` for ``month`` (YYYYMM) prints, as a frozen snapshot."""
    newest = analytics.latest_month(conn)
    if newest is None:
        raise ValidationError("数据库中还没有收入数据，无法编制月报", "no revenue data yet")
    if month > newest:
        raise ValidationError(
            f"{month_text(month)} 还没有收入数据（最新为 {month_text(newest)}），不能编制该月月报",
            f"no revenue for {month_text(month)} yet",
        )
    scope = analytics.resolve_scope(conn, unit)
    points = analytics.trend(conn, unit=unit, first=add_months(month, -23), last=month)
    tiles = key_figures(points, month)
    by_child = analytics.figures_by(conn, unit=unit, month=month, by="child") if scope.level != "city" else []
    stats = request_statistics(conn, unit=unit, month=month)
    return {
        "version": SNAPSHOT_VERSION,
        "unit": {"code": scope.code, "name": scope.name, "level": scope.level},
        "month": month_text(month),
        "key_figures": [
            {
                "key": k.key,
                "label": k.label,
                "value": k.value if isinstance(k.value, int) else _money(k.value),
                "mom_pct": _pct(k.mom_pct),
                "yoy_pct": _pct(k.yoy_pct),
            }
            for k in tiles
        ],
        "trend": [
            {
                **_figures(p.figures),
                "month": month_text(p.month),
                "mom_pct": _pct(p.mom_pct),
                "yoy_pct": _pct(p.yoy_pct),
            }
            for p in points
        ],
        "by_industry": [_figures(f) for f in analytics.figures_by(conn, unit=unit, month=month, by="industry")],
        "by_product": [_figures(f) for f in analytics.figures_by(conn, unit=unit, month=month, by="product")],
        "by_child": [_figures(f) for f in by_child],
        "top_accounts": [
            _account(i, a) for i, a in enumerate(analytics.top_accounts(conn, unit=unit, month=month, n=TOP_N), 1)
        ],
        "accounts_moved": _movers(conn, scope, month),
        "requests": {
            "raised": stats.raised,
            "closed": stats.closed,
            "cancelled": stats.cancelled,
            "open_at_month_end": stats.open_at_month_end,
            "closed_on_time": stats.closed_on_time,
            "on_time_pct": _pct(stats.on_time_pct),
            "stages": [
                {
                    "stage": s.stage,
                    "label": s.label,
                    "count": s.count,
                    "avg_hours": None if s.avg_hours is None else f"{s.avg_hours:.1f}",
                    "on_time_pct": _pct(s.on_time_pct),
                }
                for s in stats.stages
            ],
        },
    }


def accounts_paying(conn: Connection, *, unit: str, month: int) -> int:
    """Accounts with revenue in the month in the unit's area (a cross-check for the snapshot's tiles)."""
    scope = analytics.resolve_scope(conn, unit)
    t = AccountRollup.__table__
    geo = [] if scope.is_country else [t.c.city_id.in_(scope.city_ids)]
    return int(conn.execute(select(func.count()).where(t.c.month == month, t.c.revenue_fen > 0, *geo)).scalar())
