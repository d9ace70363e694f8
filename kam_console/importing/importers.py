"""Staff, account and revenue imports (DESIGN §8): validate every row, then write all or nothing.

Each importer first reads and checks the whole file against the database and collects every problem
(line, column, value, reason). Any problem rejects the file and nothing is written. A clean file is
applied in one transaction. Revenue imports replace, per month in the file, the rows of the serving
cities present in the file (or, with ``scope``, of every city in that unit's subtree), so importing the
same file twice gives identical figures, and then refresh the rollups of exactly those months × cities.
"""

from __future__ import annotations

import datetime as dt
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import Connection, and_, delete, insert, select, update

from kam_console.errors import NotFound
from kam_console.importing.reader import ImportIssue, ImportRejected, cells_by_name, column_index, read_table
from kam_console.models import (
    ACCOUNT_LEVEL_LABELS,
    ACCOUNT_LEVELS,
    OWNER_LEVEL_OF,
    POSITIONS,
    UNIT_LEVEL_LABELS,
    Account,
    AccountManagerHistory,
    Industry,
    MonthlyRevenue,
    OrgUnit,
    Product,
    Staff,
    StaffIndustry,
    utcnow,
)
from kam_console.money import yuan_to_fen
from kam_console.months import month_text, parse_month
from kam_console.pinyin import initials
from kam_console.services.org import in_subtree
from kam_console.services.status import mark_real_data

STAFF_COLUMNS = ["employee_no", "name", "unit_code", "position", "industry_codes"]
ACCOUNT_COLUMNS = [
    "customer_no",
    "name",
    "industry_code",
    "level",
    "owner_unit_code",
    "serving_city_code",
    "parent_customer_no",
    "manager_employee_no",
]
REVENUE_COLUMNS = ["month", "customer_no", "product_code", "revenue", "billed_lines"]

Progress = Callable[[int, int, str], None]
_AMOUNT = re.compile(r"^-?\d{1,13}(\.\d{1,2})?$")


@dataclass
class ImportResult:
    kind: str
    path: str
    encoding: str
    rows: int
    inserted: int = 0
    updated: int = 0
    deleted: int = 0
    months: list[str] = field(default_factory=list)
    cities: int = 0
    seconds: float = 0.0

    def summary(self) -> str:
        parts = [f"{self.rows} 行"]
        if self.inserted:
            parts.append(f"新增 {self.inserted}")
        if self.updated:
            parts.append(f"更新 {self.updated}")
        if self.deleted:
            parts.append(f"替换掉原有 {self.deleted} 行")
        if self.months:
            parts.append(f"月份 {', '.join(self.months)}")
        if self.cities:
            parts.append(f"{self.cities} 个地市")
        return f"导入完成（{encoding_label(self.encoding)}）：" + "，".join(parts) + f"，用时 {self.seconds:.1f} 秒"


def encoding_label(encoding: str) -> str:
    """How people name a file's encoding: 'gbk' -> 'GBK', 'utf-8-sig' -> 'UTF-8（带 BOM）'."""
    return {"utf-8": "UTF-8", "utf-8-sig": "UTF-8（带 BOM）", "gbk": "GBK", "xlsx": "XLSX"}.get(encoding, encoding)


class _Issues:
    def __init__(self, path: str):
        self.path = path
        self.items: list[ImportIssue] = []

    def add(self, line: int, column: str, value: str, reason: str) -> None:
        self.items.append(ImportIssue(line, column, value, reason))

    def raise_if_any(self) -> None:
        if self.items:
            raise ImportRejected(sorted(self.items, key=lambda i: (i.line, i.column)), self.path)


def _codes(conn: Connection, model, key="code") -> dict[str, int]:
    return {code: id_ for code, id_ in conn.execute(select(getattr(model, key), model.id))}


def _retired(conn: Connection) -> set[int]:
    return set(conn.execute(select(Industry.id).where(Industry.active.is_(False))).scalars())


def _units(conn: Connection) -> dict[str, tuple[int, str, str]]:
    """code -> (id, level, path)."""
    return {
        code: (id_, level, path)
        for code, id_, level, path in conn.execute(select(OrgUnit.code, OrgUnit.id, OrgUnit.level, OrgUnit.path))
    }


def _noop(done: int, total: int, text: str) -> None:
    pass


def _tick(progress: Progress, done: int, total: int, text: str) -> None:
    if done % 5000 == 0 or done == total:
        progress(done, total, text)


# --- staff ------------------------------------------------------------------------------------


def import_staff(
    conn: Connection,
    path: str,
    *,
    sheet: str | None = None,
    columns: dict[str, str] | None = None,
    progress: Progress = _noop,
) -> ImportResult:
    started = time.perf_counter()
    table = read_table(path, sheet=sheet)
    index = column_index(table, STAFF_COLUMNS, columns)
    issues = _Issues(table.path)
    units = _units(conn)
    industries = _codes(conn, Industry)
    retired = _retired(conn)
    held = (  # retired specialties people hold already: kept, never newly taken up
        set(
            conn.execute(
                select(Staff.employee_no, StaffIndustry.industry_id)
                .join(StaffIndustry, StaffIndustry.staff_id == Staff.id)
                .where(StaffIndustry.industry_id.in_(retired))
            ).all()
        )
        if retired
        else set()
    )
    existing = _codes(conn, Staff, "employee_no")
    seen: dict[str, int] = {}
    parsed = []
    for n, (line, cells) in enumerate(table.rows, 1):
        _tick(progress, n, len(table.rows), "检查员工…")
        row = cells_by_name(cells, index)
        emp, name, unit, pos = row["employee_no"], row["name"], row["unit_code"], row["position"]
        ok = True
        if not emp:
            issues.add(line, "employee_no", emp, "员工编号不能为空")
            ok = False
        elif emp in seen:
            issues.add(line, "employee_no", emp, f"员工编号与第 {seen[emp]} 行重复")
            ok = False
        else:
            seen[emp] = line
        if not name:
            issues.add(line, "name", name, "姓名不能为空")
            ok = False
        if unit not in units:
            issues.add(line, "unit_code", unit, "没有这个单位代码")
            ok = False
        if pos not in POSITIONS:
            issues.add(line, "position", pos, f"岗位应为 {', '.join(POSITIONS[:6])} 之一")
            ok = False
        codes = [c.strip() for c in row["industry_codes"].split(";") if c.strip()]
        for code in codes:
            if code not in industries:
                issues.add(line, "industry_codes", code, "没有这个行业代码")
                ok = False
            elif industries[code] in retired and (emp, industries[code]) not in held:
                issues.add(line, "industry_codes", code, "该行业已停用，不能新增为专长")
                ok = False
        if ok:
            parsed.append((emp, name, units[unit][0], pos, sorted({industries[c] for c in codes})))
    issues.raise_if_any()
    result = ImportResult("staff", table.path, table.encoding, len(parsed))
    new_rows = [
        dict(employee_no=e, name=nm, unit_id=u, position=p, active=True, created_at=utcnow())
        for e, nm, u, p, _ in parsed
        if e not in existing
    ]
    if new_rows:
        conn.execute(insert(Staff), new_rows)
    for e, nm, u, p, _ in parsed:
        if e in existing:
            conn.execute(update(Staff).where(Staff.id == existing[e]).values(name=nm, unit_id=u, position=p))
    result.inserted = len(new_rows)
    result.updated = len(parsed) - len(new_rows)
    mark_real_data(conn)
    ids = _codes(conn, Staff, "employee_no")
    staff_ids = [ids[e] for e, *_ in parsed]
    for chunk in range(0, len(staff_ids), 500):
        conn.execute(delete(StaffIndustry).where(StaffIndustry.staff_id.in_(staff_ids[chunk : chunk + 500])))
    links = [dict(staff_id=ids[e], industry_id=i) for e, *_, inds in parsed for i in inds]
    if links:
        conn.execute(insert(StaffIndustry), links)
    result.seconds = time.perf_counter() - started
    return result


# --- accounts ---------------------------------------------------------------------------------


def import_accounts(
    conn: Connection,
    path: str,
    *,
    sheet: str | None = None,
    columns: dict[str, str] | None = None,
    progress: Progress = _noop,
) -> ImportResult:
    started = time.perf_counter()
    table = read_table(path, sheet=sheet)
    index = column_index(table, ACCOUNT_COLUMNS, columns)
    issues = _Issues(table.path)
    units = _units(conn)
    industries = _codes(conn, Industry)
    retired = _retired(conn)
    held = (  # accounts keep a retired industry they have; no account newly gets one
        dict(
            conn.execute(select(Account.customer_no, Account.industry_id).where(Account.industry_id.in_(retired))).all()
        )
        if retired
        else {}
    )
    staff = {emp: (id_, active) for emp, id_, active in conn.execute(select(Staff.employee_no, Staff.id, Staff.active))}
    existing = {
        no: (id_, parent, manager)
        for no, id_, parent, manager in conn.execute(
            select(Account.customer_no, Account.id, Account.parent_id, Account.manager_id)
        )
    }
    no_of_id = {v[0]: k for k, v in existing.items()}
    seen: dict[str, int] = {}
    parsed: dict[str, dict] = {}
    lines: dict[str, int] = {}
    for n, (line, cells) in enumerate(table.rows, 1):
        _tick(progress, n, len(table.rows), "检查客户…")
        row = cells_by_name(cells, index)
        no = row["customer_no"]
        ok = True
        if not no:
            issues.add(line, "customer_no", no, "客户编号不能为空")
            ok = False
        elif no in seen:
            issues.add(line, "customer_no", no, f"客户编号与第 {seen[no]} 行重复")
            ok = False
        else:
            seen[no] = line
        if not row["name"]:
            issues.add(line, "name", "", "客户名称不能为空")
            ok = False
        elif len(row["name"]) > 200:
            issues.add(line, "name", row["name"][:20] + "…", "客户名称过长（最多 200 字）")
            ok = False
        if row["industry_code"] not in industries:
            issues.add(line, "industry_code", row["industry_code"], "没有这个行业代码")
            ok = False
        elif industries[row["industry_code"]] in retired and held.get(no) != industries[row["industry_code"]]:
            issues.add(line, "industry_code", row["industry_code"], "该行业已停用，不能再选用")
            ok = False
        level = row["level"]
        if level not in ACCOUNT_LEVELS:
            issues.add(line, "level", level, "客户级别应为 national、provincial 或 city")
            ok = False
        owner = units.get(row["owner_unit_code"])
        if owner is None:
            issues.add(line, "owner_unit_code", row["owner_unit_code"], "没有这个单位代码")
            ok = False
        elif level in ACCOUNT_LEVELS and owner[1] != OWNER_LEVEL_OF[level]:
            issues.add(
                line,
                "owner_unit_code",
                row["owner_unit_code"],
                f"{ACCOUNT_LEVEL_LABELS[level]}客户的归属单位应是{UNIT_LEVEL_LABELS[OWNER_LEVEL_OF[level]]}级单位，"
                f"而该单位是{UNIT_LEVEL_LABELS.get(owner[1], owner[1])}级",
            )
            ok = False
        city = units.get(row["serving_city_code"])
        if city is None:
            issues.add(line, "serving_city_code", row["serving_city_code"], "没有这个单位代码")
            ok = False
        elif city[1] != "city":
            issues.add(line, "serving_city_code", row["serving_city_code"], "服务地市必须是地市级单位")
            ok = False
        elif owner is not None and owner[1] in ("province", "city") and not in_subtree(city[2], owner[2]):
            issues.add(line, "serving_city_code", row["serving_city_code"], "服务地市不在归属单位的辖区内")
            ok = False
        manager = row["manager_employee_no"]
        if manager:
            if manager not in staff:
                issues.add(line, "manager_employee_no", manager, "没有这个员工编号")
                ok = False
            elif not staff[manager][1]:
                issues.add(line, "manager_employee_no", manager, "该员工已停用，不能作为负责客户经理")
                ok = False
        parent = row["parent_customer_no"]
        if parent == no and no:
            issues.add(line, "parent_customer_no", parent, "客户不能是自己的上级客户")
            ok = False
        if ok:
            parsed[no] = row
            lines[no] = line
    # Parents may appear later in the same file; check them once every row is known.
    for no, row in parsed.items():
        parent = row["parent_customer_no"]
        if parent and parent not in parsed and parent not in existing:
            issues.add(lines[no], "parent_customer_no", parent, "没有这个上级客户（文件和数据库中都没有）")

    # Cycles: follow parent links through the file's rows and the database's unchanged accounts.
    def parent_of(no: str) -> str | None:
        if no in parsed:
            return parsed[no]["parent_customer_no"] or None
        if no in existing and existing[no][1] is not None:
            return no_of_id.get(existing[no][1])
        return None

    reported: set[str] = set()
    for start in parsed:
        chain, node = [], start
        while node is not None and node not in chain and len(chain) <= len(parsed) + 1:
            chain.append(node)
            node = parent_of(node)
        if node is not None and node in chain:
            cycle = chain[chain.index(node) :]
            key = min(cycle)
            if key not in reported:
                reported.add(key)
                issues.add(
                    lines.get(key, 0),
                    "parent_customer_no",
                    parsed.get(key, {}).get("parent_customer_no", ""),
                    "上级客户形成循环：" + " → ".join(cycle + [node]),
                )
    issues.raise_if_any()

    result = ImportResult("accounts", table.path, table.encoding, len(parsed))
    today = dt.date.today()
    now = utcnow()

    def values(row: dict) -> dict:
        owner = units[row["owner_unit_code"]]
        return dict(
            name=row["name"],
            name_initials=initials(row["name"]),
            level=row["level"],
            industry_id=industries[row["industry_code"]],
            owner_unit_id=owner[0],
            owner_level=owner[1],
            serving_city_id=units[row["serving_city_code"]][0],
            serving_level="city",
            manager_id=staff[row["manager_employee_no"]][0] if row["manager_employee_no"] else None,
        )

    new_rows, changed = [], []
    total = len(parsed)
    for n, (no, row) in enumerate(parsed.items(), 1):
        _tick(progress, n, total, "写入客户…")
        if no in existing:
            changed.append((no, values(row)))
        else:
            new_rows.append(
                dict(values(row), customer_no=no, status="active", created_at=now, updated_at=now, version=1)
            )
    if new_rows:
        conn.execute(insert(Account), new_rows)
    history = []
    for no, vals in changed:
        acc_id, _, old_manager = existing[no]
        if old_manager != vals["manager_id"]:
            conn.execute(
                update(AccountManagerHistory)
                .where(and_(AccountManagerHistory.account_id == acc_id, AccountManagerHistory.valid_to.is_(None)))
                .values(valid_to=today)
            )
            if vals["manager_id"] is not None:
                history.append(dict(account_id=acc_id, staff_id=vals["manager_id"], valid_from=today, note="导入"))
        conn.execute(
            update(Account).where(Account.id == acc_id).values(**vals, updated_at=now, version=Account.version + 1)
        )
    ids = _codes(conn, Account, "customer_no")
    for row in new_rows:
        if row["manager_id"] is not None:
            history.append(
                dict(account_id=ids[row["customer_no"]], staff_id=row["manager_id"], valid_from=today, note="导入")
            )
    if history:
        conn.execute(insert(AccountManagerHistory), history)
    for no, row in parsed.items():
        parent = row["parent_customer_no"]
        parent_id = ids[parent] if parent else None
        if no in existing and existing[no][1] == parent_id:
            continue
        if parent_id is not None or no in existing:
            conn.execute(update(Account).where(Account.id == ids[no]).values(parent_id=parent_id))
    result.inserted, result.updated = len(new_rows), len(changed)
    mark_real_data(conn)
    result.seconds = time.perf_counter() - started
    return result


# --- revenue ----------------------------------------------------------------------------------


def import_revenue(
    conn: Connection,
    path: str,
    *,
    sheet: str | None = None,
    columns: dict[str, str] | None = None,
    scope: str | None = None,
    today: dt.date | None = None,
    progress: Progress = _noop,
) -> ImportResult:
    from kam_console.rollups import rebuild_rollups

    started = time.perf_counter()
    today = today or dt.date.today()
    this_month = today.year * 100 + today.month
    units = _units(conn)
    scope_path = None
    if scope is not None:
        if scope not in units:
            raise NotFound(f"指定为完整数据范围的单位不存在：{scope}", f"no unit {scope} (scope)")
        scope_path = units[scope][2]
    table = read_table(path, sheet=sheet)
    index = column_index(table, REVENUE_COLUMNS, columns)
    issues = _Issues(table.path)
    accounts = {
        no: (id_, city)
        for no, id_, city in conn.execute(select(Account.customer_no, Account.id, Account.serving_city_id))
    }
    products = _codes(conn, Product)
    city_path = {id_: path for id_, level, path in units.values() if level == "city"}
    seen: dict[tuple[int, str, str], int] = {}
    rows = []
    total = len(table.rows)
    for n, (line, cells) in enumerate(table.rows, 1):
        _tick(progress, n, total, "检查收入…")
        row = cells_by_name(cells, index)
        ok = True
        month = parse_month(row["month"])
        if month is None:
            issues.add(line, "month", row["month"], "月份格式应为 YYYY-MM，例如 2026-10")
            ok = False
        elif month > this_month:
            issues.add(line, "month", row["month"], "月份在未来")
            ok = False
        acc = accounts.get(row["customer_no"])
        if acc is None:
            issues.add(line, "customer_no", row["customer_no"], "没有这个客户编号")
            ok = False
        elif scope_path is not None and not in_subtree(city_path.get(acc[1], ""), scope_path):
            issues.add(
                line,
                "customer_no",
                row["customer_no"],
                f"该客户的服务地市不在单位 {scope} 的辖区内（文件声明为该辖区的完整数据）",
            )
            ok = False
        product = products.get(row["product_code"])
        if product is None:
            issues.add(line, "product_code", row["product_code"], "没有这个产品代码")
            ok = False
        amount = row["revenue"].replace(",", "")
        fen = None
        if not _AMOUNT.match(amount):
            reason = "金额最多两位小数" if re.match(r"^-?\d+\.\d{3,}$", amount) else "金额不是数字（元，最多两位小数）"
            issues.add(line, "revenue", row["revenue"], reason)
            ok = False
        else:
            fen = yuan_to_fen(amount)
        lines_text = row["billed_lines"]
        if not re.fullmatch(r"\d{1,9}", lines_text):
            issues.add(line, "billed_lines", lines_text, "计费线路数应为不小于 0 的整数")
            ok = False
        if ok:
            key = (month, row["customer_no"], row["product_code"])
            if key in seen:
                issues.add(line, "customer_no", row["customer_no"], f"同一月份、客户、产品与第 {seen[key]} 行重复")
                continue
            seen[key] = line
            rows.append(
                dict(
                    month=month,
                    account_id=acc[0],
                    product_id=product,
                    serving_city_id=acc[1],
                    revenue_fen=fen,
                    billed_lines=int(lines_text),
                )
            )
    issues.raise_if_any()

    months = sorted({r["month"] for r in rows})
    if scope_path is not None:
        cities = sorted(i for i, p in city_path.items() if in_subtree(p, scope_path))
    else:
        cities = sorted({r["serving_city_id"] for r in rows})
    result = ImportResult(
        "revenue", table.path, table.encoding, len(rows), months=[month_text(m) for m in months], cities=len(cities)
    )
    progress(0, 3, "替换原有收入…")
    for month in months:
        for chunk in range(0, len(cities), 500):
            part = cities[chunk : chunk + 500]
            result.deleted += (
                conn.execute(
                    delete(MonthlyRevenue).where(
                        MonthlyRevenue.month == month, MonthlyRevenue.serving_city_id.in_(part)
                    )
                ).rowcount
                or 0
            )
        # An account that moved city keeps its old rows under its old city; the file's rows replace
        # them too. Those are the rows of this month left outside the replaced cities whose account
        # is in the file — usually none, so look first and delete only what is found.
        in_file = {r["account_id"] for r in rows if r["month"] == month}
        replaced = set(cities)
        leftovers = (
            conn.execute(
                select(MonthlyRevenue.account_id, MonthlyRevenue.serving_city_id).where(MonthlyRevenue.month == month)
            )
            if len(replaced) < len(city_path)
            else ()
        )
        moved = sorted({(acc, city) for acc, city in leftovers if acc in in_file and city not in replaced})
        for chunk in range(0, len(moved), 500):
            accounts = [acc for acc, _ in moved[chunk : chunk + 500]]
            result.deleted += (
                conn.execute(
                    delete(MonthlyRevenue).where(MonthlyRevenue.month == month, MonthlyRevenue.account_id.in_(accounts))
                ).rowcount
                or 0
            )
        cities = sorted(replaced | {city for _, city in moved})
    progress(1, 3, "写入收入…")
    for chunk in range(0, len(rows), 50000):
        conn.execute(insert(MonthlyRevenue), rows[chunk : chunk + 50000])
    result.inserted = len(rows)
    progress(2, 3, "更新汇总…")
    rebuild_rollups(conn, months=months, city_ids=cities)
    progress(3, 3, "完成")
    mark_real_data(conn)
    result.seconds = time.perf_counter() - started
    return result
