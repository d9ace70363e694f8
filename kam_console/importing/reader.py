"""Reading spreadsheets people actually send: CSV in UTF-8, UTF-8 with BOM or GBK, and XLSX.

The reader only turns a file into header + text cells with their line numbers; what the cells mean is
the importers' business. Every problem is an ``ImportRejected`` with the line and a Chinese reason.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from kam_console.errors import KamError


@dataclass(frozen=True)
class ImportIssue:
    """One problem in an import file: where, which column, the offending value and why."""

    line: int
    column: str
    value: str
    reason: str

    def __str__(self) -> str:
        where = f"第 {self.line} 行" if self.line else "文件"
        col = f"，列 {self.column}" if self.column else ""
        val = f"，值 {self.value!r}" if self.value != "" else ""
        return f"{where}{col}{val}：{self.reason}"


class ImportRejected(KamError):
    """The file was not imported; nothing was changed. ``issues`` lists every problem found."""

    def __init__(self, issues: list[ImportIssue], file: str = ""):
        self.issues = issues
        head = (
            f"导入被拒绝，数据库未作任何改动：{file} 有 {len(issues)} 处问题"
            if file
            else (f"导入被拒绝，数据库未作任何改动：{len(issues)} 处问题")
        )
        first = f"；第一处：{issues[0]}" if issues else ""
        super().__init__(head + first, f"import rejected, nothing changed: {len(issues)} problem(s)")

    def report(self) -> str:
        return "\n".join(str(i) for i in self.issues)


@dataclass
class Table:
    """A file's header and data rows as text cells; ``rows`` holds (line number, cells)."""

    path: str
    headers: list[str]
    rows: list[tuple[int, list[str]]] = field(default_factory=list)
    encoding: str = ""
    sheet: str = ""
    sheets: list[str] = field(default_factory=list)  # every sheet of an XLSX workbook

    @property
    def format(self) -> str:
        return "xlsx" if self.sheet else "csv"


def read_table(path: str | Path, *, sheet: str | None = None) -> Table:
    path = Path(path)
    if not path.is_file():
        raise ImportRejected([ImportIssue(0, "", str(path), "文件不存在")], str(path))
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        return _read_xlsx(path, sheet)
    if sheet:
        raise ImportRejected([ImportIssue(0, "", sheet, "CSV 文件没有工作表，不能使用 --sheet")], str(path))
    return _read_csv(path)


def decode(data: bytes) -> tuple[str, str]:
    """Decode CSV bytes: UTF-8 (with or without BOM), else GBK (GB18030, its superset)."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8"), "utf-8-sig"
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030"), "gbk"
    except UnicodeDecodeError as exc:
        raise ValueError(f"无法识别文件编码（不是 UTF-8 也不是 GBK），位置 {exc.start}") from None


def _read_csv(path: Path) -> Table:
    data = path.read_bytes()
    try:
        text, encoding = decode(data)
    except ValueError as exc:
        raise ImportRejected([ImportIssue(0, "", "", str(exc))], str(path)) from None
    issues: list[ImportIssue] = []
    if "\ufffd" in text:
        # A GBK file opened as UTF-8 and saved again: the Chinese is gone for good.
        line = text[: text.index("\ufffd")].count("\n") + 1
        issues.append(
            ImportIssue(
                line,
                "",
                "",
                "文件含有乱码字符（�）：很可能是 GBK 文件被当作 UTF-8 打开后保存，中文已损坏，请从原始文件重新导出",
            )
        )
        raise ImportRejected(issues, str(path))
    reader = csv.reader(io.StringIO(text, newline=""))
    records = list(reader)
    table = Table(str(path), [], encoding=encoding)
    if not records:
        return table
    table.headers = [h.strip() for h in records[0]]
    physical_lines = text.count("\n") + (0 if text.endswith("\n") else 1)
    if physical_lines == len(records):
        # No cell spans lines (the usual case): the line number is the record's position.
        stripped = ((n, [c.strip() for c in cells]) for n, cells in enumerate(records[1:], 2))
        table.rows = [(n, cells) for n, cells in stripped if any(cells)]
        return table
    line = 1
    # Cells with line breaks: count physical lines to report the line each record starts on.
    for cells in records[1:]:
        line += 1
        if not any(c.strip() for c in cells):
            continue
        table.rows.append((line, [c.strip() for c in cells]))
        line += sum(c.count("\n") for c in cells)
    return table


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m") if value.day == 1 and value.time() == dt.time(0) else value.strftime("%Y-%m-%d")
    if isinstance(value, dt.date):
        return value.strftime("%Y-%m-%d")
    if isinstance(value, float):
        # Spreadsheet numbers arrive as binary floats; their shortest repr is what the user typed.
        d = Decimal(repr(value))
        return format(d.normalize(), "f") if d == d.to_integral_value() else repr(value)
    return str(value).strip()


def _read_xlsx(path: Path, sheet: str | None) -> Table:
    from openpyxl import load_workbook

    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise ImportRejected(
            [ImportIssue(0, "", "", f"不是有效的 XLSX 文件（可能已损坏或不完整）：{type(exc).__name__}")], str(path)
        ) from None
    try:
        if sheet:
            if sheet not in wb.sheetnames:
                raise ImportRejected(
                    [ImportIssue(0, "", sheet, f"没有这个工作表；文件中的工作表：{', '.join(wb.sheetnames)}")],
                    str(path),
                )
            ws = wb[sheet]
        else:
            ws = wb.worksheets[0]
        table = Table(str(path), [], encoding="xlsx", sheet=ws.title, sheets=list(wb.sheetnames))
        try:
            for index, values in enumerate(ws.iter_rows(values_only=True), start=1):
                cells = [_cell_text(v) for v in values]
                if index == 1:
                    while cells and cells[-1] == "":
                        cells.pop()
                    table.headers = cells
                    continue
                if not any(cells):
                    continue
                table.rows.append((index, cells))
        except (zipfile.BadZipFile, KeyError, OSError, ValueError, EOFError) as exc:
            raise ImportRejected(
                [ImportIssue(0, "", "", f"XLSX 文件读取中断（可能已损坏或不完整）：{type(exc).__name__}")], str(path)
            ) from None
        return table
    finally:
        wb.close()


def column_index(table: Table, expected: list[str], columns: dict[str, str] | None = None) -> dict[str, int]:
    """Map each expected column to its position in the file.

    Without ``columns`` the header must name exactly the expected columns (in any order, each once).
    ``columns`` maps an expected column to the file's header for it (a mapping chosen in the import
    wizard, e.g. ``{"revenue": "收入(元)"}``); the file's other columns are then ignored.
    A missing, unknown or repeated column rejects the file.
    """
    if not table.headers and not table.rows:
        raise ImportRejected([ImportIssue(0, "", "", "文件是空的（没有表头也没有数据）")], table.path)
    got = table.headers
    wanted = {c: (columns or {}).get(c, c) for c in expected}
    issues = []
    missing = [c for c, header in wanted.items() if header not in got]
    extra = [] if columns else [c for c in got if c not in expected]
    repeated = sorted({h for h in wanted.values() if got.count(h) > 1})
    if missing:
        issues.append(ImportIssue(1, ",".join(missing), "", "缺少列"))
    if extra:
        issues.append(ImportIssue(1, ",".join(c or "（空）" for c in extra), "", "多余或无法识别的列"))
    if repeated:
        issues.append(ImportIssue(1, ",".join(repeated), "", "列重复"))
    if len(set(wanted.values())) < len(wanted):
        issues.append(ImportIssue(1, "", "", "两个字段对应到了文件的同一列"))
    if issues:
        issues.append(ImportIssue(1, "", "", f"表头应为：{','.join(expected)}"))
        raise ImportRejected(issues, table.path)
    if not table.rows:
        raise ImportRejected([ImportIssue(1, "", "", "文件只有表头，没有数据行")], table.path)
    return {c: got.index(header) for c, header in wanted.items()}


def cells_by_name(cells: list[str], index: dict[str, int]) -> dict[str, str]:
    return {name: (cells[i] if i < len(cells) else "") for name, i in index.items()}
