"""What a printed monthly report shows, in one plain object (the PDF and the app's preview read it).

``figures`` is the snapshot of ``kam_console.reports.figures.compile_figures`` — frozen when the report
was submitted, or computed just now for a draft — with one more key, ``"rollup"``: for a province the
table of its cities, for the group the table of its provinces, each row drawn from that unit's approved
report of the month (figures None for a unit whose report is not approved yet):

    {"code", "name", "status", "status_label", "version", "revenue", "lines", "accounts", "arpu", "arpa",
     "revenue_mom_pct", "approved_at"}

(money as yuan strings "1234.56", percentages as strings with one decimal, ``approved_at`` as
"YYYY-MM-DD HH:MM" Beijing time). A city's snapshot has an empty ``"rollup"``.

Narratives are Markdown as the app's editor writes it: paragraphs, **bold**, *italic*, bullet and numbered
lists, and headings.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Narrative:
    key: str  # "market" | "issues" | "plan"
    title: str  # 市场与竞争信息 / 重点问题 / 下月工作计划
    text: str  # Markdown; may be empty


@dataclass(frozen=True)
class Event:
    """One recorded transition: who did what to which version, when (Beijing time), with what comment."""

    at: dt.datetime
    version: int
    action: str
    action_label: str
    staff_name: str
    unit_name: str
    comment: str | None = None


@dataclass(frozen=True)
class ReportDocument:
    unit_code: str
    unit_name: str
    unit_level: str  # "group" | "province" | "city"
    month: str  # "YYYY-MM"
    version: int | None  # None: no report started yet, the figures are computed now
    status: str  # "none" | "draft" | "submitted" | "approved" | "returned"
    status_label: str  # 未编制 / 草稿 / 已提交 / 已审批 / 已退回
    figures: dict
    frozen: bool  # True when ``figures`` is the submitted snapshot
    narratives: tuple[Narrative, ...]
    printed_at: dt.datetime  # Beijing time
    prepared_by: str | None = None  # 编制人 (who submitted)
    prepared_at: dt.datetime | None = None
    reviewed_by: str | None = None  # 审核人 (who approved)
    reviewed_at: dt.datetime | None = None
    return_reason: str | None = None  # the latest return's reason, while the report is returned
    deadline: dt.date | None = None
    live_differs: tuple[str, ...] = ()  # for a frozen report: where the live figures have moved since
    events: tuple[Event, ...] = field(default_factory=tuple)

    @property
    def level_label(self) -> str:
        return {"group": "集团", "province": "省", "city": "地市"}.get(self.unit_level, self.unit_level)

    @property
    def title(self) -> str:
        year, month = self.month.split("-")
        return f"{self.unit_name} {year}年{int(month)}月 经营月报"
