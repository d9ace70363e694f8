"""What the import wizard's pages share: the user's choices (``ImportSpec``), the labels of import kinds
and of the columns each import expects, and the two worker functions (preview, import) that run off the
GUI thread through ``ui.tasks``.

The workers reach data only through ``kam_console.importing``; the import runs inside
``db.engine.begin()`` exactly as the CLI does, so a rejected file rolls back and changes nothing.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication

from kam_console.db import Database
from kam_console.importing import (
    ImportPreview,
    ImportResult,
    import_accounts,
    import_revenue,
    import_staff,
    preview_import,
)

KIND_STAFF = "staff"
KIND_ACCOUNTS = "accounts"
KIND_REVENUE = "revenue"
KINDS = (KIND_STAFF, KIND_ACCOUNTS, KIND_REVENUE)

# ui.tasks has no switch for its delayed progress dialog; the wizard's pages show their own progress,
# so the dialog's delay is pushed out of reach (about a day; QTimer takes at most 2**31-1 ms).
NO_PROGRESS_DIALOG_MS = 86_400_000

XLSX_SUFFIXES = (".xlsx", ".xlsm")
_CTX = "ImportLabels"

KIND_LABELS = {
    KIND_STAFF: QT_TRANSLATE_NOOP("ImportLabels", "员工"),
    KIND_ACCOUNTS: QT_TRANSLATE_NOOP("ImportLabels", "客户"),
    KIND_REVENUE: QT_TRANSLATE_NOOP("ImportLabels", "月收入"),
}

KIND_HINTS = {
    KIND_STAFF: QT_TRANSLATE_NOOP(
        "ImportLabels", "按员工编号新增或更新员工的姓名、所属单位、岗位和专长行业。文件中没有的员工保持不变。"
    ),
    KIND_ACCOUNTS: QT_TRANSLATE_NOOP(
        "ImportLabels",
        "按客户编号新增或更新客户的名称、行业、级别、归属单位、服务地市、上级客户和负责客户经理。"
        "上级客户可以出现在同一文件靠后的行中。",
    ),
    KIND_REVENUE: QT_TRANSLATE_NOOP(
        "ImportLabels",
        "按账期导入各客户各产品的月收入。同一文件重复导入结果相同：文件所含的每个月份中，"
        "文件里出现的服务地市的原有收入会被整体替换。",
    ),
}

# (name, format hint) per expected column; shown as 名称（提示）.
FIELD_LABELS: dict[str, tuple[str, str]] = {
    "employee_no": (QT_TRANSLATE_NOOP("ImportLabels", "员工编号"), ""),
    "name": (QT_TRANSLATE_NOOP("ImportLabels", "名称"), ""),
    "unit_code": (QT_TRANSLATE_NOOP("ImportLabels", "所属单位"), QT_TRANSLATE_NOOP("ImportLabels", "单位代码")),
    "position": (QT_TRANSLATE_NOOP("ImportLabels", "岗位"), QT_TRANSLATE_NOOP("ImportLabels", "如 customer_manager")),
    "industry_codes": (
        QT_TRANSLATE_NOOP("ImportLabels", "专长行业"),
        QT_TRANSLATE_NOOP("ImportLabels", "行业代码，多个用 ; 分隔，可空"),
    ),
    "customer_no": (QT_TRANSLATE_NOOP("ImportLabels", "客户编号"), ""),
    "industry_code": (QT_TRANSLATE_NOOP("ImportLabels", "行业"), QT_TRANSLATE_NOOP("ImportLabels", "行业代码，如 FIN")),
    "level": (
        QT_TRANSLATE_NOOP("ImportLabels", "客户级别"),
        "national/provincial/city",
    ),
    "owner_unit_code": (QT_TRANSLATE_NOOP("ImportLabels", "归属单位"), QT_TRANSLATE_NOOP("ImportLabels", "单位代码")),
    "serving_city_code": (
        QT_TRANSLATE_NOOP("ImportLabels", "服务地市"),
        QT_TRANSLATE_NOOP("ImportLabels", "地市代码"),
    ),
    "parent_customer_no": (
        QT_TRANSLATE_NOOP("ImportLabels", "上级客户"),
        QT_TRANSLATE_NOOP("ImportLabels", "客户编号，可空"),
    ),
    "manager_employee_no": (
        QT_TRANSLATE_NOOP("ImportLabels", "客户经理"),
        QT_TRANSLATE_NOOP("ImportLabels", "工号，可空"),
    ),
    "month": (QT_TRANSLATE_NOOP("ImportLabels", "月份"), "YYYY-MM"),
    "product_code": (
        QT_TRANSLATE_NOOP("ImportLabels", "产品"),
        QT_TRANSLATE_NOOP("ImportLabels", "产品代码，如 INTERNET"),
    ),
    "revenue": (QT_TRANSLATE_NOOP("ImportLabels", "收入"), QT_TRANSLATE_NOOP("ImportLabels", "元，最多两位小数")),
    "billed_lines": (QT_TRANSLATE_NOOP("ImportLabels", "计费线路数"), QT_TRANSLATE_NOOP("ImportLabels", "整数")),
}


def _tr(text: str) -> str:
    return QCoreApplication.translate(_CTX, text)


def kind_label(kind: str) -> str:
    return _tr(KIND_LABELS[kind])


def kind_hint(kind: str) -> str:
    return _tr(KIND_HINTS[kind])


# Columns whose name depends on what is imported.
KIND_FIELD_NAMES = {
    (KIND_STAFF, "name"): QT_TRANSLATE_NOOP("ImportLabels", "姓名"),
    (KIND_ACCOUNTS, "name"): QT_TRANSLATE_NOOP("ImportLabels", "客户名称"),
}


def field_name(column: str, kind: str = "") -> str:
    """The short Chinese name of an expected column, e.g. 月份; unknown columns as they are."""
    name, _hint = FIELD_LABELS.get(column, (column, ""))
    return _tr(KIND_FIELD_NAMES.get((kind, column), name))


def field_label(column: str, kind: str = "") -> str:
    """The column's name with its format, e.g. 月份（YYYY-MM）."""
    _name, hint = FIELD_LABELS.get(column, (column, ""))
    name = field_name(column, kind)
    return _tr("{0}（{1}）").format(name, _tr(hint)) if hint else name


def encoding_label(preview: ImportPreview) -> str:
    if preview.format == "xlsx":
        return _tr("XLSX 工作表 {0}").format(preview.sheet)
    return {
        "utf-8": "UTF-8",
        "utf-8-sig": _tr("UTF-8（带 BOM）"),
        "gbk": "GBK",
    }.get(preview.encoding, preview.encoding.upper())


def is_xlsx(path: str) -> bool:
    return Path(path).suffix.lower() in XLSX_SUFFIXES


def clean_path(text: str) -> str:
    """A path as typed or pasted: Windows' "复制文件地址" wraps it in double quotes."""
    text = text.strip()
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'":
        text = text[1:-1].strip()
    return text


@dataclass
class ImportSpec:
    """What the user chose, filled in page by page; the workers get a frozen copy of its values."""

    kind: str = KIND_REVENUE
    path: str = ""
    sheet: str | None = None
    scope: str | None = None
    columns: dict[str, str] = field(default_factory=dict)


class LatestProgress:
    """The import's progress callback: the worker stores its latest report, the page polls it.

    Plain and thread-safe, so the worker touches no Qt object at all (CONVENTIONS "Workers … touch no
    widget"); the importers report every few thousand rows, polling at 10 Hz is plenty.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._latest: tuple[int, int, str] | None = None

    def __call__(self, done: int, total: int, text: str = "") -> None:
        with self._lock:
            self._latest = (int(done), int(total), str(text or ""))

    def latest(self) -> tuple[int, int, str] | None:
        with self._lock:
            return self._latest


# --- worker side (runs off the GUI thread; returns plain data) ------------------------------------


def read_preview(kind: str, path: str, sheet: str | None) -> ImportPreview:
    return preview_import(kind, path, sheet=sheet)


def run_import(
    db: Database,
    *,
    kind: str,
    path: str,
    sheet: str | None,
    columns: dict[str, str],
    scope: str | None,
    progress: LatestProgress,
) -> ImportResult:
    importer = {KIND_STAFF: import_staff, KIND_ACCOUNTS: import_accounts, KIND_REVENUE: import_revenue}[kind]
    extra = {"scope": scope} if kind == KIND_REVENUE else {}
    # One transaction, as the CLI does it: an ImportRejected (or anything else) rolls everything back.
    with db.engine.begin() as conn:
        return importer(conn, path, sheet=sheet, columns=dict(columns) or None, progress=progress, **extra)
