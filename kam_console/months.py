"""Months as the project stores them: integers YYYYMM (202610). One place for parsing, printing and
month arithmetic, so imports, figures, pages and the CLI agree."""

from __future__ import annotations

import re

_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


def parse_month(text: str) -> int | None:
    """'2026-10' -> 202610; None for anything else (including month 13 or years before 1990)."""
    m = _MONTH.match(text)
    if not m:
        return None
    year, month = int(m.group(1)), int(m.group(2))
    if not 1 <= month <= 12 or year < 1990:
        return None
    return year * 100 + month


def month_text(month: int) -> str:
    """202610 -> '2026-10' (files, the CLI and chart labels)."""
    return f"{month // 100:04d}-{month % 100:02d}"


def add_months(month: int, n: int) -> int:
    """202601 + (-2) -> 202511."""
    index = (month // 100) * 12 + (month % 100 - 1) + n
    return (index // 12) * 100 + index % 12 + 1


def months_between(first: int, last: int) -> list[int]:
    """Every month from ``first`` to ``last``, both included."""
    out, m = [], first
    while m <= last:
        out.append(m)
        m = add_months(m, 1)
    return out
