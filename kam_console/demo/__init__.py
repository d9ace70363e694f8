"""The deterministic demo data set (DESIGN §7, §8 ``kam demo seed``): a living key-account organisation —
staff in every unit, national, provincial and city accounts with contacts and manager history, their
services and 24 months of revenue, and the rollups analytics reads.

``seed_demo`` is the one entry point (the CLI and the first-start dialog call it). It refuses to touch
a database holding real business data unless forced, and replaces earlier demo data in one transaction,
so a failure leaves the previous data as it was. The same ``seed`` and ``today`` always give the same
rows. The parts: ``names`` (name parts and pinyin initials), ``reference`` (hierarchy and catalogues
read from the database), ``plan`` (staff and accounts), ``billing`` (services and revenue), ``requests``
(cross-region service requests, made by running the real workflow) and ``bulk`` (fast writes).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import time
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Connection, func, select

from kam_console.db import Database
from kam_console.demo.billing import REVENUE_COLUMNS, SERVICE_COLUMNS, Biller
from kam_console.demo.bulk import BulkWriter, clear_tables, foreign_keys_suspended
from kam_console.demo.names import NameMaker
from kam_console.demo.plan import SCALES, Plan, build_plan
from kam_console.demo.reference import load_reference
from kam_console.demo.reports import seed_reports
from kam_console.demo.requests import seed_requests
from kam_console.demo.teams import seed_teams
from kam_console.errors import RealDataPresent, ValidationError
from kam_console.models import (
    Account,
    AccountContact,
    AccountFirstContact,
    AccountManagerHistory,
    AccountRollup,
    AppSetting,
    AppUser,
    HeadAppointment,
    MonthlyReport,
    MonthlyReportEvent,
    MonthlyRevenue,
    ProvinceRollup,
    RequestAttachment,
    RequestHop,
    RequestStage,
    RequestSubtask,
    RequestUnit,
    RevenueRollup,
    Service,
    ServiceRequest,
    Staff,
    StaffIndustry,
    TeamActivity,
    VirtualTeam,
    VirtualTeamAccount,
    VirtualTeamMember,
)
from kam_console.rollups import rebuild_rollups
from kam_console.services.status import DEMO_SEED_KEY

DEMO_SETTING_KEY = DEMO_SEED_KEY
Progress = Callable[[int, int, str], None]

# Business data the demo replaces, children before parents. The reference hierarchy and the catalogues
# (org_unit, local_company, industry, product) are never touched. A new table that references accounts
# or staff belongs here too (before them), or re-seeding fails once it holds rows — and rolls back.
# Service requests come first: hops and stages reference subtasks, everything references the request.
REQUEST_TABLES = (
    RequestHop.__table__,
    RequestStage.__table__,
    RequestAttachment.__table__,
    RequestUnit.__table__,
    RequestSubtask.__table__,
    ServiceRequest.__table__,
)
# Monthly reports reference staff and units; like the requests they are made through their workflow.
REPORT_TABLES = (MonthlyReportEvent.__table__, MonthlyReport.__table__)
# Virtual teams too (members, covered accounts and the log before the teams).
TEAM_TABLES = (
    TeamActivity.__table__,
    VirtualTeamMember.__table__,
    VirtualTeamAccount.__table__,
    VirtualTeam.__table__,
)
# Users are linked to staff: the demo's staff come and go with it, and so do their logins.
USER_TABLES = (AppUser.__table__,)
WORKFLOW_TABLES = REQUEST_TABLES + REPORT_TABLES + TEAM_TABLES + USER_TABLES
BUSINESS_TABLES = (
    *USER_TABLES,
    *TEAM_TABLES,
    *REPORT_TABLES,
    *REQUEST_TABLES,
    HeadAppointment.__table__,
    ProvinceRollup.__table__,
    AccountRollup.__table__,
    RevenueRollup.__table__,
    MonthlyRevenue.__table__,
    Service.__table__,
    AccountManagerHistory.__table__,
    AccountFirstContact.__table__,
    AccountContact.__table__,
    Account.__table__,
    StaffIndustry.__table__,
    Staff.__table__,
)

# Tables written in bulk with their foreign keys suspended (PostgreSQL). The requests are not: they are
# made afterwards through the workflow, with every key in force.
BULK_TABLES = tuple(t for t in BUSINESS_TABLES if t not in WORKFLOW_TABLES)

# Progress is reported in these steps of a fixed total, so a progress bar moves evenly.
_TOTAL = 1000
_PLANNED, _PEOPLE_WRITTEN, _BILLED, _CHECKED, _REQUESTED, _REPORTED = 80, 180, 840, 910, 960, 985


@dataclass
class SeedResult:
    scale: str
    seed: int
    staff: int
    accounts: int
    services: int
    revenue_rows: int
    rollup_rows: int
    contacts: int
    first_month: int
    last_month: int
    seconds: float
    requests: int = 0
    reports: int = 0
    teams: int = 0


def demo_setting(connection: Connection) -> dict | None:
    """The ``demo_seed`` record ({scale, seed, today, created_at}) if the database holds demo data."""
    value = connection.execute(select(AppSetting.value).where(AppSetting.key == DEMO_SETTING_KEY)).scalar()
    if value is None:
        return None
    try:
        return json.loads(value)
    except ValueError:
        return {}


def _check_may_replace(connection: Connection, force: bool) -> None:
    accounts = connection.execute(select(func.count()).select_from(Account)).scalar_one()
    staff = connection.execute(select(func.count()).select_from(Staff)).scalar_one()
    if (accounts or staff) and not force and demo_setting(connection) is None:
        raise RealDataPresent(
            f"数据库中已有真实业务数据（{accounts} 个客户，{staff} 名员工），演示数据不会覆盖它们。"
            "如确需覆盖，请使用 --force。",
            f"the database already holds real business data ({accounts} accounts, {staff} staff); demo data "
            "will not overwrite it. Use --force to replace it.",
        )


def seed_demo(
    db: Database,
    *,
    scale: str = "small",
    seed: int = 1,
    force: bool = False,
    progress: Progress | None = None,
    today: dt.date | None = None,
) -> SeedResult:
    """Replace the business data with the demo data set of ``scale`` (small ≈ 2,000 accounts, medium ≈
    50,000, large ≈ 200,000) drawn from ``seed``; revenue covers the 24 months before ``today``'s month.

    Raises ``RealDataPresent`` (changing nothing) when the database holds staff or accounts that are not
    earlier demo data, unless ``force``. ``progress(done, total, text)`` is called as the work goes on.
    """
    if scale not in SCALES:
        raise ValidationError(
            f"未知的演示数据规模：{scale}（可选 {', '.join(SCALES)}）", f"unknown demo scale {scale!r}"
        )
    started = time.perf_counter()
    today = today or dt.date.today()
    report = progress or (lambda done, total, text: None)
    report(0, _TOTAL, "读取组织层级与目录…")

    with db.engine.connect() as conn:
        restore_cache = _tune_sqlite(conn) if db.is_sqlite else None
        try:
            with conn.begin():
                _check_may_replace(conn, force)
                names = NameMaker()
                ref = load_reference(conn, names.districts)
                report(10, _TOTAL, "生成员工与客户…")
                plan = build_plan(ref, names, scale=scale, seed=seed, today=today)
                report(_PLANNED, _TOTAL, "清除原有业务数据…")
                clear_tables(conn, BUSINESS_TABLES)
                writer = BulkWriter(conn)
                writer.reset_sequences(_with_ids(WORKFLOW_TABLES))  # ids start afresh, as when new
                with foreign_keys_suspended(conn, BULK_TABLES):
                    report(_PLANNED + 10, _TOTAL, "写入员工与客户…")
                    _write_people(writer, plan, ref.industry_ids)
                    report(_PEOPLE_WRITTEN, _TOTAL, "生成业务与月收入…")
                    biller = Biller(plan, ref, seed)
                    n_accounts = len(plan.accounts) or 1
                    for batch in biller.batches():
                        writer.write(Service.__table__, SERVICE_COLUMNS, batch.services)
                        writer.write(MonthlyRevenue.__table__, REVENUE_COLUMNS, batch.revenue)
                        done = _PEOPLE_WRITTEN + (_BILLED - _PEOPLE_WRITTEN) * batch.accounts_done // n_accounts
                        text = f"写入业务与月收入…（{batch.accounts_done}/{len(plan.accounts)} 个客户）"
                        report(done, _TOTAL, text)
                    writer.reset_sequences(
                        [
                            Staff.__table__,
                            Account.__table__,
                            AccountContact.__table__,
                            AccountManagerHistory.__table__,
                            Service.__table__,
                        ]
                    )
                    report(_BILLED, _TOTAL, "汇总收入（重建汇总表）…")
                    rollup_rows = rebuild_rollups(conn)
                    report(_CHECKED, _TOTAL, "检查数据完整性…")
                report(_CHECKED + 10, _TOTAL, "生成一站式服务请求…")

                def requests_done(done: int, total: int) -> None:
                    step = _CHECKED + 10 + (_REQUESTED - _CHECKED - 10) * done // max(total, 1)
                    report(step, _TOTAL, f"生成一站式服务请求…（{done}/{total} 步）")

                states = seed_requests(conn, scale=scale, seed=seed, today=today, progress=requests_done)

                def reports_done(done: int, total: int) -> None:
                    step = _REQUESTED + (_REPORTED - _REQUESTED) * done // max(total, 1)
                    report(step, _TOTAL, f"编制与审批月报…（{done}/{total} 步）")

                reports = seed_reports(conn, scale=scale, seed=seed, today=today, progress=reports_done)
                report(_REPORTED, _TOTAL, "组建虚拟团队…")
                teams = seed_teams(conn, scale=scale, seed=seed, today=today)
                report(_TOTAL - 10, _TOTAL, "记录演示数据标记…")
                _mark_demo(conn, scale=scale, seed=seed, today=today)
        except BaseException:
            if not db.is_sqlite:
                with contextlib.suppress(Exception):  # the original error is the one to report
                    _resync_sequences(db)
            raise
        finally:
            if restore_cache is not None:
                restore_cache()
    if not db.is_sqlite:
        # Fresh statistics for the planner now, rather than whenever autovacuum gets round to millions
        # of new rows (until then PostgreSQL guesses, and the rollup queries pick sequential scans).
        report(_TOTAL - 5, _TOTAL, "更新统计信息…")
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("ANALYZE")
    rows = writer.rows_written
    report(_TOTAL, _TOTAL, "演示数据已生成")
    return SeedResult(
        scale=scale,
        seed=seed,
        staff=rows.get("staff", 0),
        accounts=rows.get("account", 0),
        services=rows.get("service", 0),
        revenue_rows=rows.get("monthly_revenue", 0),
        rollup_rows=rollup_rows,
        contacts=rows.get("account_contact", 0),
        first_month=plan.window.months[0],
        last_month=plan.window.months[-1],
        seconds=time.perf_counter() - started,
        requests=sum(states.values()),
        reports=sum(reports.values()),
        teams=teams,
    )


def _resync_sequences(db: Database) -> None:
    """After a failed seed on PostgreSQL: point the id sequences past the rows the rollback restored.

    Setting a sequence is not undone by a rollback, so the values set during the failed seed would hand
    out ids the restored rows already hold."""
    with db.engine.begin() as conn:
        BulkWriter(conn).reset_sequences(_with_ids(BUSINESS_TABLES))


def _with_ids(tables):
    """The tables whose primary key is a generated ``id``."""
    return [t for t in tables if [c.name for c in t.primary_key.columns] == ["id"]]


def _tune_sqlite(conn: Connection) -> Callable[[], None]:
    """A bigger page cache while millions of index entries go in; returns how to put it back.

    The connection goes back to the pool afterwards, so the setting must not outlive the seed.
    """
    old = conn.exec_driver_sql("PRAGMA cache_size").scalar()
    conn.exec_driver_sql("PRAGMA cache_size=-262144")  # 256 MiB
    conn.commit()

    def restore() -> None:
        conn.exec_driver_sql(f"PRAGMA cache_size={int(old)}")
        conn.commit()

    return restore


def _write_people(writer: BulkWriter, plan: Plan, industry_ids: dict[str, int]) -> None:
    staff_rows = [
        (
            s.id,
            s.employee_no,
            s.name,
            s.unit_id,
            s.position,
            s.line_manager_id,
            s.phone,
            s.email,
            s.active,
            s.created_at,
        )
        for s in plan.staff
    ]
    writer.write(
        Staff.__table__,
        (
            "id",
            "employee_no",
            "name",
            "unit_id",
            "position",
            "line_manager_id",
            "phone",
            "email",
            "active",
            "created_at",
        ),
        staff_rows,
    )
    writer.write(
        StaffIndustry.__table__, ("staff_id", "industry_id"), [(s.id, i) for s in plan.staff for i in s.industries]
    )
    account_rows = []
    for a in plan.accounts:
        account_rows.append(
            (
                a.id,
                a.customer_no,
                a.name,
                a.initials,
                a.level,
                industry_ids[a.industry],
                a.owner.id,
                a.owner.level,
                a.city.id,
                "city",
                a.parent_id,
                a.manager_id,
                a.status,
                a.address,
                a.created_at,
                a.updated_at,
                1,
            )
        )
    writer.write(
        Account.__table__,
        (
            "id",
            "customer_no",
            "name",
            "name_initials",
            "level",
            "industry_id",
            "owner_unit_id",
            "owner_level",
            "serving_city_id",
            "serving_level",
            "parent_id",
            "manager_id",
            "status",
            "address",
            "created_at",
            "updated_at",
            "version",
        ),
        account_rows,
    )
    writer.write(
        AccountContact.__table__,
        ("id", "account_id", "name", "title", "phone", "email", "is_primary"),
        [
            (i, c.account_id, c.name, c.title, c.phone, c.email, c.is_primary)
            for i, c in enumerate(plan.contacts, start=1)
        ],
    )
    writer.write(
        AccountFirstContact.__table__,
        ("account_id", "staff_id"),
        [(a.id, a.first_contact_id) for a in plan.accounts if a.first_contact_id is not None],
    )
    writer.write(
        AccountManagerHistory.__table__,
        ("id", "account_id", "staff_id", "valid_from", "valid_to", "note"),
        [(i, h.account_id, h.staff_id, h.valid_from, h.valid_to, h.note) for i, h in enumerate(plan.history, start=1)],
    )


def _mark_demo(conn: Connection, *, scale: str, seed: int, today: dt.date) -> None:
    table = AppSetting.__table__
    value = json.dumps(
        {
            "scale": scale,
            "seed": seed,
            "today": today.isoformat(),
            "created_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        },
        ensure_ascii=False,
    )
    conn.execute(table.delete().where(table.c.key == DEMO_SETTING_KEY))
    conn.execute(table.insert().values(key=DEMO_SETTING_KEY, value=value))


__all__ = ["BUSINESS_TABLES", "DEMO_SETTING_KEY", "REQUEST_TABLES", "SCALES", "SeedResult", "demo_setting", "seed_demo"]
