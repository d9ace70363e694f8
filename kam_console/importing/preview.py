"""What the import wizard shows before anything is written: encoding, columns, first rows and a
suggested mapping of the file's headers onto the columns the import expects."""

from __future__ import annotations

from dataclasses import dataclass

from kam_console.errors import ValidationError
from kam_console.importing.importers import ACCOUNT_COLUMNS, REVENUE_COLUMNS, STAFF_COLUMNS
from kam_console.importing.reader import read_table

EXPECTED = {"staff": STAFF_COLUMNS, "accounts": ACCOUNT_COLUMNS, "revenue": REVENUE_COLUMNS}

# Chinese headers billing and HR extracts commonly use, per expected column.
ALIASES: dict[str, tuple[str, ...]] = {
    "employee_no": ("员工编号", "工号", "员工号"),
    "name": ("姓名", "名称", "客户名称", "员工姓名"),
    "unit_code": ("单位代码", "部门代码", "所属单位"),
    "position": ("岗位", "职位"),
    "industry_codes": ("行业", "专长行业", "行业代码"),
    "customer_no": ("客户编号", "客户号", "客户代码"),
    "industry_code": ("行业代码", "行业"),
    "level": ("客户级别", "级别"),
    "owner_unit_code": ("归属单位", "归属单位代码"),
    "serving_city_code": ("服务地市", "服务地市代码"),
    "parent_customer_no": ("上级客户编号", "上级客户"),
    "manager_employee_no": ("客户经理工号", "负责客户经理", "客户经理"),
    "month": ("月份", "账期", "计费月份"),
    "product_code": ("产品代码", "产品"),
    "revenue": ("收入", "收入(元)", "收入（元）", "金额", "金额(元)", "金额（元）"),
    "billed_lines": ("计费线路数", "线路数", "计费线路"),
}


@dataclass
class ImportPreview:
    kind: str
    path: str
    format: str  # "csv" or "xlsx"
    encoding: str  # "utf-8", "utf-8-sig", "gbk" or "xlsx"
    sheet: str
    sheets: list[str]  # all sheets of an XLSX workbook, to choose from
    headers: list[str]
    rows: list[list[str]]  # the first data rows, as text
    total_rows: int
    expected: list[str]
    mapping: dict[str, str | None]  # expected column -> suggested file header (None: not found)

    @property
    def complete(self) -> bool:
        return all(self.mapping.values())


def suggest_mapping(expected: list[str], headers: list[str]) -> dict[str, str | None]:
    lowered = {h.strip().lower(): h for h in headers}
    mapping: dict[str, str | None] = {}
    taken: set[str] = set()
    for column in expected:
        choice = lowered.get(column)
        if choice is None:
            choice = next(
                (h for alias in ALIASES.get(column, ()) if (h := lowered.get(alias.lower())) and h not in taken), None
            )
        if choice is not None:
            taken.add(choice)
        mapping[column] = choice
    return mapping


def preview_import(kind: str, path: str, *, sheet: str | None = None, rows: int = 20) -> ImportPreview:
    """Read the file (nothing is written) and describe it for the wizard's first page."""
    if kind not in EXPECTED:
        raise ValidationError(f"未知的导入类型：{kind}", f"unknown import kind {kind}")
    table = read_table(path, sheet=sheet)
    expected = EXPECTED[kind]
    return ImportPreview(
        kind=kind,
        path=table.path,
        format=table.format,
        encoding=table.encoding,
        sheet=table.sheet,
        sheets=table.sheets,
        headers=table.headers,
        rows=[cells for _, cells in table.rows[:rows]],
        total_rows=len(table.rows),
        expected=expected,
        mapping=suggest_mapping(expected, table.headers),
    )
