"""Creating and editing accounts, and reassigning their responsible customer manager.

Every problem with the input is reported per field (``AccountInvalid.errors``: field → Chinese
message) so a form can show each message next to its field. Saves are optimistic: the caller passes
the version it loaded; if someone else saved in between, ``StaleAccount`` says which fields they
changed and nothing is overwritten. A manager change closes the open entry of the dated manager
history and opens a new one.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass

from sqlalchemy import Connection, insert, select, update

from kam_console.errors import NotFound, ValidationError
from kam_console.models import (
    ACCOUNT_LEVELS,
    ACCOUNT_STATUSES,
    OWNER_LEVEL_OF,
    UNIT_LEVEL_LABELS,
    Account,
    AccountManagerHistory,
    Industry,
    OrgUnit,
    Staff,
    utcnow,
)
from kam_console.pinyin import initials
from kam_console.services.assignment import move_history
from kam_console.services.org import in_subtree

FIELD_LABELS = {
    "customer_no": "客户编号",
    "name": "客户名称",
    "industry": "行业",
    "level": "客户级别",
    "owner_unit": "归属单位",
    "serving_city": "服务地市",
    "parent": "上级客户",
    "status": "状态",
    "address": "地址",
    "manager": "负责客户经理",
}


@dataclass(frozen=True)
class AccountInput:
    name: str
    industry: str  # industry code
    level: str  # national | provincial | city
    owner_unit: str  # org unit code at the level's owner level
    serving_city: str  # city-level org unit code
    parent: str | None = None  # parent customer_no
    status: str = "active"
    address: str | None = None


class AccountInvalid(ValidationError):
    def __init__(self, errors: dict[str, str]):
        self.errors = errors
        text = "；".join(f"{FIELD_LABELS.get(k, k)}：{v}" for k, v in errors.items())
        super().__init__(f"客户信息有误：{text}", "invalid account data")


class StaleAccount(ValidationError):
    """Someone else saved the account after it was loaded; ``changed`` lists their changes."""

    def __init__(self, changed: dict[str, tuple[object, object]]):
        self.changed = changed  # field -> (value when loaded, value now)
        fields = "、".join(FIELD_LABELS.get(k, k) for k in changed) or "版本"
        super().__init__(
            f"这个客户在您打开之后已被其他人修改（{fields}），您的修改没有保存。请重新加载后再改。",
            "the account was changed by someone else; nothing was saved",
        )


@dataclass(frozen=True)
class AccountState:
    """An account as an edit form loads it: the input fields plus the version to save against."""

    id: int
    customer_no: str
    version: int
    data: AccountInput
    manager: str | None  # employee_no


def load_account(conn: Connection, *, account_id: int) -> AccountState:
    owner = OrgUnit.__table__.alias("owner")
    city = OrgUnit.__table__.alias("city")
    parent = Account.__table__.alias("parent")
    row = conn.execute(
        select(
            Account.id,
            Account.customer_no,
            Account.version,
            Account.name,
            Industry.code,
            Account.level,
            owner.c.code,
            city.c.code,
            parent.c.customer_no,
            Account.status,
            Account.address,
            Staff.employee_no,
        )
        .join(Industry, Industry.id == Account.industry_id)
        .join(owner, owner.c.id == Account.owner_unit_id)
        .join(city, city.c.id == Account.serving_city_id)
        .outerjoin(parent, parent.c.id == Account.parent_id)
        .outerjoin(Staff, Staff.id == Account.manager_id)
        .where(Account.id == account_id)
    ).first()
    if row is None:
        raise NotFound(f"没有编号为 {account_id} 的客户", f"no account {account_id}")
    data = AccountInput(row[3], row[4], row[5], row[6], row[7], row[8], row[9], row[10])
    return AccountState(row[0], row[1], row[2], data, row[11])


def _check(conn: Connection, data: AccountInput, *, account_id: int | None) -> dict:
    errors: dict[str, str] = {}
    values: dict = {}
    name = data.name.strip()
    if not name:
        errors["name"] = "不能为空"
    elif len(name) > 200:
        errors["name"] = "最多 200 个字"
    values["name"] = name
    industry_row = conn.execute(select(Industry.id, Industry.active).where(Industry.code == data.industry)).first()
    industry = industry_row.id if industry_row else None
    if industry_row is None:
        errors["industry"] = f"没有这个行业：{data.industry}"
    elif not industry_row.active:
        current = (
            conn.execute(select(Account.industry_id).where(Account.id == account_id)).scalar()
            if account_id is not None
            else None
        )
        if current != industry:  # an account keeps its retired industry; no new one gets it
            errors["industry"] = f"行业 {data.industry} 已停用，不能再选用"
    values["industry_id"] = industry
    if data.level not in ACCOUNT_LEVELS:
        errors["level"] = "应为全国性、省级或地市级"
    if data.status not in ACCOUNT_STATUSES:
        errors["status"] = f"未知的状态：{data.status}"
    owner = conn.execute(select(OrgUnit.id, OrgUnit.level, OrgUnit.path).where(OrgUnit.code == data.owner_unit)).first()
    city = conn.execute(
        select(OrgUnit.id, OrgUnit.level, OrgUnit.path).where(OrgUnit.code == data.serving_city)
    ).first()
    if owner is None:
        errors["owner_unit"] = f"没有这个单位：{data.owner_unit}"
    elif data.level in ACCOUNT_LEVELS and owner.level != OWNER_LEVEL_OF[data.level]:
        errors["owner_unit"] = f"应是{UNIT_LEVEL_LABELS[OWNER_LEVEL_OF[data.level]]}级单位"
    if city is None:
        errors["serving_city"] = f"没有这个单位：{data.serving_city}"
    elif city.level != "city":
        errors["serving_city"] = "必须是地市级单位"
    elif owner is not None and owner.level in ("province", "city") and not in_subtree(city.path, owner.path):
        errors["serving_city"] = "不在归属单位的辖区内"
    parent_id = None
    if data.parent:
        parent_id = conn.execute(select(Account.id).where(Account.customer_no == data.parent)).scalar()
        if parent_id is None:
            errors["parent"] = f"没有这个客户：{data.parent}"
        elif account_id is not None:
            node, seen = parent_id, set()
            while node is not None and node not in seen:  # walk up: the account must not be its own ancestor
                if node == account_id:
                    errors["parent"] = "上级客户不能是本客户或其分支"
                    break
                seen.add(node)
                node = conn.execute(select(Account.parent_id).where(Account.id == node)).scalar()
    if errors:
        raise AccountInvalid(errors)
    values.update(
        level=data.level,
        owner_unit_id=owner.id,
        owner_level=owner.level,
        serving_city_id=city.id,
        serving_level="city",
        parent_id=parent_id,
        status=data.status,
        address=(data.address or "").strip() or None,
        name_initials=initials(name),
    )
    return values


def _manager_id(conn: Connection, employee_no: str | None) -> int | None:
    if not employee_no:
        return None
    person = conn.execute(select(Staff.id, Staff.active).where(Staff.employee_no == employee_no)).first()
    if person is None:
        raise AccountInvalid({"manager": f"没有工号为 {employee_no} 的员工"})
    if not person.active:
        raise AccountInvalid({"manager": f"{employee_no} 已停用"})
    return person.id


def create_account(
    conn: Connection,
    *,
    customer_no: str,
    data: AccountInput,
    manager: str | None = None,
    today: dt.date | None = None,
) -> int:
    customer_no = customer_no.strip()
    if not customer_no:
        raise AccountInvalid({"customer_no": "不能为空"})
    if conn.execute(select(Account.id).where(Account.customer_no == customer_no)).scalar() is not None:
        raise AccountInvalid({"customer_no": f"{customer_no} 已存在"})
    values = _check(conn, data, account_id=None)
    manager_id = _manager_id(conn, manager)
    now = utcnow()
    account_id = conn.execute(
        insert(Account)
        .values(customer_no=customer_no, manager_id=manager_id, created_at=now, updated_at=now, version=1, **values)
        .returning(Account.id)
    ).scalar_one()
    if manager_id is not None:
        conn.execute(
            insert(AccountManagerHistory).values(
                account_id=account_id, staff_id=manager_id, valid_from=today or dt.date.today(), note="新建客户"
            )
        )
    return account_id


def _stale(conn: Connection, account_id: int, loaded: AccountState) -> StaleAccount:
    now = load_account(conn, account_id=account_id)
    before, after = asdict(loaded.data), asdict(now.data)
    changed = {k: (before[k], after[k]) for k in before if before[k] != after[k]}
    if loaded.manager != now.manager:
        changed["manager"] = (loaded.manager, now.manager)
    return StaleAccount(changed)


def update_account(conn: Connection, *, loaded: AccountState, data: AccountInput) -> int:
    """Save ``data`` over the account as it was ``loaded``; returns the new version."""
    values = _check(conn, data, account_id=loaded.id)
    changed = conn.execute(
        update(Account)
        .where(Account.id == loaded.id, Account.version == loaded.version)
        .values(updated_at=utcnow(), version=Account.version + 1, **values)
    ).rowcount
    if changed != 1:
        raise _stale(conn, loaded.id, loaded)
    return loaded.version + 1


def reassign_manager(
    conn: Connection,
    *,
    loaded: AccountState,
    manager: str | None,
    note: str | None = None,
    today: dt.date | None = None,
) -> int:
    """Make ``manager`` (employee number, or None for unassigned) responsible; keeps the dated history."""
    manager_id = _manager_id(conn, manager)
    changed = conn.execute(
        update(Account)
        .where(Account.id == loaded.id, Account.version == loaded.version)
        .values(manager_id=manager_id, updated_at=utcnow(), version=Account.version + 1)
    ).rowcount
    if changed != 1:
        raise _stale(conn, loaded.id, loaded)
    move_history(conn, loaded.id, manager_id, note=note, today=today or dt.date.today())
    return loaded.version + 1
