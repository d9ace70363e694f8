"""The group's industry catalogue (行业目录): listing it with how much each industry is used, and the
changes the group administrator makes — add, rename, retire (停用), restore and delete.

Retiring is how an industry leaves the catalogue: a retired industry is no longer offered for new
accounts or staff specialities, but accounts, specialities and figures that already name it keep it and
still show it. Deleting is only for a mistake nobody has used yet: an industry that anything refers to
(accounts, staff specialities, revenue rollups, or any other record) is refused with the counts and the
advice to retire it instead.

Who may change the catalogue is the same rule as for the SLA table (``services.sla``): an active
administrator or head of the group KA unit. Each change names the acting employee and is one
transaction; a refused change writes nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import Connection, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from kam_console.errors import NotFound, ValidationError
from kam_console.models import Account, Base, Industry, StaffIndustry
from kam_console.services.staff import Identity, group_admin, is_group_admin

CODE_PATTERN = re.compile(r"^[A-Z0-9]{2,10}$")
MAX_NAME = 40
SORT_STEP = 10  # a new industry goes after the last one, leaving room to slot others in between

# How other records that refer to an industry are named in a refusal; tables not listed here are
# counted under their own name (a table added later still blocks a delete).
_REFERENCE_LABELS = {
    "revenue_rollup": "收入汇总",
    "province_rollup": "收入汇总",
    "account_rollup": "收入汇总",
    "virtual_team": "虚拟团队",
}


@dataclass(frozen=True)
class IndustryOption:
    """An industry as a selector offers it; retired ones are kept for existing data and figures."""

    code: str
    name: str
    active: bool

    @property
    def label(self) -> str:
        return self.name if self.active else f"{self.name}（已停用）"


@dataclass(frozen=True)
class IndustryUsage:
    """One catalogue entry with how much it is used."""

    code: str
    name: str
    active: bool
    sort_order: int
    accounts: int  # accounts of this industry, whatever their status
    staff: int  # staff members (active or not) specialised in it
    other_references: int = 0  # revenue rollups and any other records naming it

    @property
    def in_use(self) -> bool:
        return bool(self.accounts or self.staff or self.other_references)


def is_catalogue_admin(identity: Identity | None) -> bool:
    """Whether ``identity`` may change the catalogue: a group administrator or head."""
    return is_group_admin(identity)


def check_catalogue_admin(conn: Connection, *, employee_no: str) -> Identity:
    """The acting employee if they may change the catalogue; otherwise an error saying who may."""
    return group_admin(conn, employee_no=employee_no, what="修改行业目录")


# --- reading ----------------------------------------------------------------------------------------


def industry_options(conn: Connection, *, include_retired: bool = True) -> list[IndustryOption]:
    """The catalogue in its order, for selectors that show existing data (retired industries included
    unless ``include_retired`` is false)."""
    query = select(Industry.code, Industry.name, Industry.active).order_by(Industry.sort_order, Industry.code)
    if not include_retired:
        query = query.where(Industry.active.is_(True))
    return [IndustryOption(code, name, bool(active)) for code, name, active in conn.execute(query)]


def _reference_tables() -> list[tuple[str, object]]:
    """(table name, column) of every foreign key onto industry.id other than accounts and specialities."""
    found = []
    for table in Base.metadata.sorted_tables:
        if table.name in ("industry", "account", "staff_industry"):
            continue
        for column in table.columns:
            if any(fk.column.table.name == "industry" for fk in column.foreign_keys):
                found.append((table.name, column))
    return found


def _other_references(conn: Connection, industry_id: int | None = None) -> dict[int, dict[str, int]]:
    """industry id → {label: rows} over the other referring tables."""
    out: dict[int, dict[str, int]] = {}
    for name, column in _reference_tables():
        query = select(column, func.count()).group_by(column)
        if industry_id is not None:
            query = query.where(column == industry_id)
        for ind, count in conn.execute(query):
            label = _REFERENCE_LABELS.get(name, name)
            per = out.setdefault(ind, {})
            per[label] = per.get(label, 0) + int(count)
    return out


def list_catalogue(conn: Connection) -> list[IndustryUsage]:
    """Every industry, active and retired, in catalogue order, with its usage counts."""
    accounts = dict(conn.execute(select(Account.industry_id, func.count()).group_by(Account.industry_id)).all())
    staff = dict(
        conn.execute(select(StaffIndustry.industry_id, func.count()).group_by(StaffIndustry.industry_id)).all()
    )
    others = _other_references(conn)
    rows = conn.execute(
        select(Industry.id, Industry.code, Industry.name, Industry.active, Industry.sort_order).order_by(
            Industry.sort_order, Industry.code
        )
    ).all()
    return [
        IndustryUsage(
            code=r.code,
            name=r.name,
            active=bool(r.active),
            sort_order=int(r.sort_order),
            accounts=int(accounts.get(r.id, 0)),
            staff=int(staff.get(r.id, 0)),
            other_references=sum(others.get(r.id, {}).values()),
        )
        for r in rows
    ]


def industry_usage(conn: Connection, *, code: str) -> IndustryUsage:
    row = _find(conn, code)
    accounts = conn.execute(select(func.count()).where(Account.industry_id == row.id)).scalar_one()
    staff = conn.execute(select(func.count()).where(StaffIndustry.industry_id == row.id)).scalar_one()
    others = sum(_other_references(conn, row.id).get(row.id, {}).values())
    return IndustryUsage(row.code, row.name, bool(row.active), int(row.sort_order), accounts, staff, others)


def _find(conn: Connection, code: str):
    row = conn.execute(
        select(Industry.id, Industry.code, Industry.name, Industry.active, Industry.sort_order).where(
            Industry.code == (code or "").strip()
        )
    ).first()
    if row is None:
        raise NotFound(f"没有这个行业代码：{code}", f"unknown industry code {code}")
    return row


# --- changes ----------------------------------------------------------------------------------------


def _checked_name(conn: Connection, name: str, *, except_id: int | None = None) -> str:
    name = (name or "").strip()
    if not name:
        raise ValidationError("行业名称不能为空", "the industry name is empty")
    if len(name) > MAX_NAME:
        raise ValidationError(
            f"行业名称最多 {MAX_NAME} 个字（给出的有 {len(name)} 个）", f"the name is longer than {MAX_NAME}"
        )
    query = select(Industry.code, Industry.active).where(Industry.name == name)
    if except_id is not None:
        query = query.where(Industry.id != except_id)
    clash = conn.execute(query).first()
    if clash is not None:
        state = "" if clash.active else "（已停用，可以恢复它）"
        raise ValidationError(
            f"已有名为「{name}」的行业：{clash.code}{state}", f"an industry named {name} exists ({clash.code})"
        )
    return name


def add_industry(conn: Connection, *, code: str, name: str, employee_no: str) -> IndustryUsage:
    """Add an industry at the end of the catalogue, active. ``code``: 2–10 capital letters or digits."""
    check_catalogue_admin(conn, employee_no=employee_no)
    code = (code or "").strip()
    if not CODE_PATTERN.match(code):
        raise ValidationError(
            f"行业代码应为 2 至 10 位大写英文字母或数字（给出的是「{code}」）", f"bad industry code {code!r}"
        )
    clash = conn.execute(select(Industry.name, Industry.active).where(Industry.code == code)).first()
    if clash is not None:
        state = "" if clash.active else "（已停用，可以恢复它）"
        raise ValidationError(f"行业代码 {code} 已被「{clash.name}」使用{state}", f"industry code {code} exists")
    name = _checked_name(conn, name)
    last = conn.execute(select(func.max(Industry.sort_order))).scalar() or 0
    conn.execute(insert(Industry).values(code=code, name=name, sort_order=int(last) + SORT_STEP, active=True))
    return industry_usage(conn, code=code)


def rename_industry(conn: Connection, *, code: str, name: str, employee_no: str) -> IndustryUsage:
    """Give an industry a new name; its accounts, specialities and figures follow (they refer to it by id)."""
    check_catalogue_admin(conn, employee_no=employee_no)
    row = _find(conn, code)
    name = _checked_name(conn, name, except_id=row.id)
    if name != row.name:
        conn.execute(update(Industry).where(Industry.id == row.id).values(name=name))
    return industry_usage(conn, code=row.code)


def retire_industry(conn: Connection, *, code: str, employee_no: str) -> IndustryUsage:
    """停用: no longer offered for new accounts or staff; existing data and figures keep showing it."""
    check_catalogue_admin(conn, employee_no=employee_no)
    row = _find(conn, code)
    if not row.active:
        raise ValidationError(f"行业「{row.name}」（{row.code}）已经停用", f"{row.code} is already retired")
    others = conn.execute(select(func.count()).where(Industry.active.is_(True), Industry.id != row.id)).scalar_one()
    if not others:
        raise ValidationError(
            f"「{row.name}」是目录中最后一个在用的行业，停用后新客户将无行业可选",
            "the last active industry cannot be retired",
        )
    conn.execute(update(Industry).where(Industry.id == row.id).values(active=False))
    return industry_usage(conn, code=row.code)


def restore_industry(conn: Connection, *, code: str, employee_no: str) -> IndustryUsage:
    """恢复 a retired industry: offered again for new accounts and staff."""
    check_catalogue_admin(conn, employee_no=employee_no)
    row = _find(conn, code)
    if row.active:
        raise ValidationError(f"行业「{row.name}」（{row.code}）未停用，无需恢复", f"{row.code} is not retired")
    conn.execute(update(Industry).where(Industry.id == row.id).values(active=True))
    return industry_usage(conn, code=row.code)


def delete_industry(conn: Connection, *, code: str, employee_no: str) -> None:
    """Remove an industry nothing refers to (e.g. one added by mistake). One in use is refused, with
    how many accounts, staff and other records use it and the advice to retire it instead."""
    check_catalogue_admin(conn, employee_no=employee_no)
    row = _find(conn, code)
    accounts = conn.execute(select(func.count()).where(Account.industry_id == row.id)).scalar_one()
    staff = conn.execute(select(func.count()).where(StaffIndustry.industry_id == row.id)).scalar_one()
    parts = []
    if accounts:
        parts.append(f"{accounts} 个客户属于该行业")
    if staff:
        parts.append(f"{staff} 名员工以它为专长")
    for label, count in _other_references(conn, row.id).get(row.id, {}).items():
        if label == _REFERENCE_LABELS["revenue_rollup"]:
            if not accounts:  # rollups follow the accounts; alone they outlived a change of industry
                parts.append("收入汇总中仍有该行业的数据（请先重建汇总表）")
        else:
            parts.append(f"{label}中有 {count} 条记录")
    if parts:
        raise ValidationError(
            f"行业「{row.name}」（{row.code}）正在使用，不能删除：{'；'.join(parts)}。"
            "如不再使用，请停用它——停用后不再供新客户和员工选择，已有数据照常显示。",
            f"industry {row.code} is in use ({accounts} accounts, {staff} staff); retire it instead",
        )
    try:
        with conn.begin_nested():
            conn.execute(delete(Industry).where(Industry.id == row.id))
    except IntegrityError as exc:  # a reference the counts above do not know about
        raise ValidationError(
            f"行业「{row.name}」（{row.code}）仍被其他记录引用，不能删除；请停用它",
            f"industry {row.code} is still referred to; retire it instead",
        ) from exc
