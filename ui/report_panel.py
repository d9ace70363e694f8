"""One unit's monthly report for one month, as the current identity may work on it.

The header names the report, its version (older versions, kept when a report was returned, are chosen
from a list), its status, deadline, who compiled and who reviewed it. A returned report shows the reason
in a banner; a submitted report whose live figures have moved since shows where. Three tabs follow:
指标 (the figures the report prints, read-only: frozen once submitted, computed now for a draft), 文字 (the
three narratives, editable only while the newest version is a draft of the identity's own unit) and
流转记录 (who did what when).

What the person may do comes from ``monthly_reports.allowed_actions``: 开始编制 / 保存 (Ctrl+S) / 提交 /
审批通过 / 退回 / 修订（生成新版本）; the buttons for anything else are hidden and the reason is shown as a
hint. Every read and write runs in the background (``ui.tasks``); a refusal shows the core's message and
changes nothing; a report changed by someone else meanwhile is offered for reloading. Edits not yet saved
are guarded when the unit, month or version changes (``leave``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction, QBrush, QColor, QFont, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QListWidget,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)
from shiboken6 import isValid

from kam_console.errors import KamError
from kam_console.reports.document import ReportDocument
from kam_console.services.monthly_reports import (
    MAX_REASON,
    NARRATIVES,
    Allowed,
    ReportChanged,
    ReportInfo,
    allowed_actions,
    approve_report,
    approver_unit,
    report_document,
    report_versions,
    return_report,
    revise_report,
    save_narratives,
    start_report,
    submit_report,
)
from kam_console.services.sla import BEIJING
from ui.identity import IdentityHolder
from ui.narrative_editor import NarrativeEditor
from ui.report_print import ReportPrinting
from ui.style import muted_colour, set_muted
from ui.tasks import BackgroundTasks, Task, show_error

STATUS_COLOURS = {
    "approved": "#2e7d32",
    "submitted": "#1565c0",
    "returned": "#e65100",
    "draft": "#616161",
    "not_started": "#9e9e9e",
    "none": "#9e9e9e",
}
OVERDUE_COLOUR = "#c62828"
RETURNED_BANNER = "background: #fff3e0; border: 1px solid #ffb74d; border-radius: 4px; padding: 6px; color: #5d3200;"
DIFFERS_BANNER = "background: #fffde7; border: 1px solid #fbc02d; border-radius: 4px; padding: 6px; color: #4e3b00;"
DIFFERS_SHOWN = 3  # changes named in the banner; the tooltip lists them all


# --- formatting -------------------------------------------------------------------------------------------


def money(value: str | Decimal | None) -> str:
    """A yuan amount from the snapshot ("1234.5") with thousands separators: "1,234.50"; None → "—"."""
    if value is None or value == "":
        return "—"
    try:
        return f"{Decimal(value):,.2f}"
    except (InvalidOperation, ValueError):
        return str(value)


def count(value: int | None) -> str:
    return "—" if value is None else f"{value:,}"


def pct(value: str | None, *, signed: bool = True) -> str:
    """A percentage from the snapshot ("5.2") as "+5.2%"; None → "—"."""
    if value is None or value == "":
        return "—"
    try:
        number = Decimal(value)
    except (InvalidOperation, ValueError):
        return str(value)
    return f"{number:+.1f}%" if signed else f"{number:.1f}%"


def when(value: dt.datetime | None) -> str:
    """A moment as Beijing time "YYYY-MM-DD HH:MM"; None → "—"."""
    return "—" if value is None else value.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M")


def month_label(month: int) -> str:
    return f"{month // 100}年{month % 100:02d}月"


def beijing_date(now: dt.datetime) -> dt.date:
    return now.astimezone(BEIJING).date()


def deadline_text(deadline: dt.date | None, status: str, now: dt.datetime) -> tuple[str, bool]:
    """("截止 2026-11-05（已逾期 3 天）", overdue) for a report in ``status`` at ``now``."""
    if deadline is None:
        return "", False
    text = f"截止 {deadline.isoformat()}"
    days = (beijing_date(now) - deadline).days
    overdue = days > 0 and status in ("none", "not_started", "draft", "returned")
    if overdue:
        text += f"（已逾期 {days} 天）"
    return text, overdue


# --- the data of one report ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReportData:
    """Everything the panel shows for one unit and month, read in one go."""

    unit: str
    month: int
    versions: list[ReportInfo]  # newest first
    shown: ReportInfo | None  # the version shown (None: no report started)
    document: ReportDocument
    allowed: Allowed
    approver: str  # the unit that approves this unit's reports
    now: dt.datetime

    @property
    def newest(self) -> ReportInfo | None:
        return self.versions[0] if self.versions else None

    @property
    def is_newest(self) -> bool:
        return self.shown is None or self.newest is None or self.shown.version == self.newest.version

    @property
    def editable(self) -> bool:
        return self.allowed.edit and self.is_newest


def load_report(db, *, unit: str, month: int, version: int | None, by: str | None, now: dt.datetime) -> ReportData:
    """Worker side: the report of ``unit`` for ``month`` (the given version, default the newest) and what
    ``by`` may do with it at ``now``."""
    with db.engine.connect() as conn:
        versions = report_versions(conn, unit=unit, month=month)
        if version is not None and not any(v.version == version for v in versions):
            version = None  # e.g. the unit changed since the list was read: show the newest
        shown = next((v for v in versions if v.version == version), versions[0] if versions else None)
        document = report_document(conn, unit=unit, month=month, now=now, version=shown.version if shown else None)
        allowed = allowed_actions(conn, unit=unit, month=month, by=by, now=now)
        _code, approver = approver_unit(conn, unit=unit)
    return ReportData(unit, month, versions, shown, document, allowed, approver, now)


# --- read-only tables -------------------------------------------------------------------------------------


def make_table(parent: QWidget, headers: list[str], *, stretch: int | None = None) -> QTableWidget:
    """A read-only table; column ``stretch`` takes the spare width (None: the last one does, -1: none)."""
    table = QTableWidget(0, len(headers), parent)
    table.setHorizontalHeaderLabels(headers)
    table.verticalHeader().setVisible(False)
    table.verticalHeader().setDefaultSectionSize(table.fontMetrics().height() + 8)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    table.setAlternatingRowColors(True)
    table.setWordWrap(False)
    header = table.horizontalHeader()
    header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
    header.setStretchLastSection(stretch is None)
    if stretch is not None and stretch >= 0:
        header.setSectionResizeMode(stretch, QHeaderView.ResizeMode.Stretch)
    return table


def fill_table(table: QTableWidget, rows: list[list[str]], *, right: tuple[int, ...] = ()) -> None:
    """Replace the rows; columns in ``right`` (numbers) are right-aligned."""
    table.setRowCount(len(rows))
    for r, row in enumerate(rows):
        for c, text in enumerate(row):
            item = QTableWidgetItem(text)
            if c in right:
                item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            item.setToolTip(text)
            table.setItem(r, c, item)
    header = table.horizontalHeader()
    for c in range(table.columnCount()):
        if header.sectionResizeMode(c) != QHeaderView.ResizeMode.Stretch:
            table.resizeColumnToContents(c)


FIGURE_HEADERS = ["收入（元）", "线路", "客户数", "ARPU（元）", "ARPA（元）"]


def _figure_cells(row: dict) -> list[str]:
    return [
        money(row.get("revenue")),
        count(row.get("lines")),
        count(row.get("accounts")),
        money(row.get("arpu")),
        money(row.get("arpa")),
    ]


class FiguresView(QWidget):
    """The figures of a report, section by section: a list of sections on the left, its table on the right."""

    SECTIONS = (
        ("key", "主要指标"),
        ("trend", "月度趋势"),
        ("children", "下级单位"),
        ("rollup", "下级月报汇总"),
        ("industry", "分行业"),
        ("product", "分产品"),
        ("top", "重点客户"),
        ("moved", "新增与流失"),
        ("requests", "服务请求"),
    )

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.sections = QListWidget(self)
        self.sections.setObjectName("figureSections")
        self.stack = QStackedWidget(self)
        self.tables: dict[str, QTableWidget] = {}
        self.notes: dict[str, QLabel] = {}
        headers = {
            # numbers stay next to their labels; the spare width goes to names, or nowhere
            "key": (["指标", "本月", "环比", "同比"], -1),
            "trend": (["月份", *FIGURE_HEADERS, "收入环比", "收入同比"], -1),
            "children": (["单位", *FIGURE_HEADERS], 0),
            "rollup": (["单位", "月报状态", "版本", *FIGURE_HEADERS, "收入环比", "审批时间"], -1),
            "industry": (["行业", *FIGURE_HEADERS], 0),
            "product": (["产品", *FIGURE_HEADERS], 0),
            "top": (["排名", "客户编号", "客户名称", "级别", "行业", "地市", "收入（元）", "线路", "ARPU（元）"], 2),
            "moved": (["类别", "客户编号", "客户名称", "收入（元）"], 2),
            "requests": (["环节", "件数", "平均用时（小时）", "按时率"], -1),
        }
        for key, title in self.SECTIONS:
            self.sections.addItem(self.tr(title))
            page = QWidget(self.stack)
            note = QLabel(page)
            note.setWordWrap(True)
            set_muted(note)
            note.hide()
            names, stretch = headers[key]
            table = make_table(page, [self.tr(h) for h in names], stretch=stretch)
            table.setObjectName(f"figures_{key}")
            box = QVBoxLayout(page)
            box.setContentsMargins(0, 0, 0, 0)
            box.setSpacing(4)
            box.addWidget(note)
            box.addWidget(table, 1)
            self.stack.addWidget(page)
            self.tables[key] = table
            self.notes[key] = note
        self.sections.setFixedWidth(max(self.sections.sizeHintForColumn(0) + 24, 96))
        self.sections.currentRowChanged.connect(self.stack.setCurrentIndex)
        self.sections.setCurrentRow(0)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 4, 0, 0)
        layout.addWidget(self.sections)
        layout.addWidget(self.stack, 1)

    def section_keys(self) -> list[str]:
        return [key for key, _ in self.SECTIONS]

    def show_section(self, key: str) -> None:
        self.sections.setCurrentRow(self.section_keys().index(key))

    def _note(self, key: str, text: str) -> None:
        self.notes[key].setText(text)
        self.notes[key].setVisible(bool(text))

    def show_figures(self, figures: dict, level: str, *, frozen: bool) -> None:
        below = level in ("province", "group")
        for row, key in enumerate(self.section_keys()):
            self.sections.item(row).setHidden(key in ("children", "rollup") and not below)
        if self.sections.currentItem() is not None and self.sections.currentItem().isHidden():
            self.sections.setCurrentRow(0)
        basis = self.tr("提交时冻结的数据") if frozen else self.tr("当前数据实时计算，提交时冻结")
        self._note("key", basis)

        fill_table(
            self.tables["key"],
            [
                [
                    k["label"],
                    count(k["value"]) if isinstance(k.get("value"), int) else money(k.get("value")),
                    pct(k.get("mom_pct")),
                    pct(k.get("yoy_pct")),
                ]
                for k in figures.get("key_figures", [])
            ],
            right=(1, 2, 3),
        )
        trend = list(reversed(figures.get("trend", [])))[:13]
        fill_table(
            self.tables["trend"],
            [[t["month"], *_figure_cells(t), pct(t.get("mom_pct")), pct(t.get("yoy_pct"))] for t in trend],
            right=(1, 2, 3, 4, 5, 6, 7),
        )
        self._note("trend", self.tr("最近 {0} 个月，新月份在上").format(len(trend)) if trend else self.tr("无数据"))
        fill_table(
            self.tables["children"],
            [[c["name"], *_figure_cells(c)] for c in figures.get("by_child", [])],
            right=(1, 2, 3, 4, 5),
        )
        self._show_rollup(figures.get("rollup", []))
        for key, source in (("industry", "by_industry"), ("product", "by_product")):
            fill_table(
                self.tables[key],
                [[r["name"], *_figure_cells(r)] for r in figures.get(source, [])],
                right=(1, 2, 3, 4, 5),
            )
        fill_table(
            self.tables["top"],
            [
                [
                    str(a["rank"]),
                    a["customer_no"],
                    a["name"],
                    a.get("level") or "—",
                    a.get("industry") or "—",
                    a.get("city") or "—",
                    money(a.get("revenue")),
                    count(a.get("lines")),
                    money(a.get("arpu")),
                ]
                for a in figures.get("top_accounts", [])
            ],
            right=(0, 6, 7, 8),
        )
        self._show_moved(figures.get("accounts_moved", {}))
        self._show_requests(figures.get("requests", {}))

    def _show_rollup(self, rows: list[dict]) -> None:
        table = self.tables["rollup"]
        fill_table(
            table,
            [
                [
                    r["name"],
                    r["status_label"],
                    f"第 {r['version']} 版" if r.get("version") else "—",
                    *_figure_cells(r),
                    pct(r.get("revenue_mom_pct")),
                    r.get("approved_at") or "—",
                ]
                for r in rows
            ],
            right=(3, 4, 5, 6, 7, 8),
        )
        muted = QBrush(muted_colour(table.palette()))
        waiting = 0
        for index, r in enumerate(rows):
            if r["status"] == "approved":
                continue
            waiting += 1
            for column in range(table.columnCount()):
                item = table.item(index, column)
                item.setForeground(muted)
                item.setToolTip(
                    self.tr("{0} 的月报尚未审批（{1}），数据不计入汇总").format(r["name"], r["status_label"])
                )
            table.item(index, 1).setForeground(QBrush(QColor(STATUS_COLOURS.get(r["status"], "#9e9e9e"))))
        text = self.tr("数据取自各单位已审批的月报。")
        if waiting:
            text += self.tr("{0} 个单位尚未审批（灰色），不计入。").format(waiting)
        self._note("rollup", text if rows else self.tr("没有下级单位"))

    def _show_moved(self, moved: dict) -> None:
        new, churned = moved.get("new", []), moved.get("churned", [])
        rows = [[self.tr("新增"), a["customer_no"], a["name"], money(a.get("revenue"))] for a in new]
        rows += [[self.tr("流失"), a["customer_no"], a["name"], money(a.get("revenue"))] for a in churned]
        fill_table(self.tables["moved"], rows, right=(3,))
        total_new = sum((Decimal(a["revenue"]) for a in new if a.get("revenue")), Decimal(0))
        total_lost = sum((Decimal(a["revenue"]) for a in churned if a.get("revenue")), Decimal(0))
        self._note(
            "moved",
            self.tr(
                "新增 {0} 户（本月收入 {1} 元）· 流失 {2} 户（上月收入 {3} 元）。"
                "按收入计：本月有收入而上月没有为新增，反之为流失。"
            ).format(len(new), money(total_new), len(churned), money(total_lost)),
        )

    def _show_requests(self, stats: dict) -> None:
        fill_table(
            self.tables["requests"],
            [
                [s["label"], count(s.get("count")), s.get("avg_hours") or "—", pct(s.get("on_time_pct"), signed=False)]
                for s in stats.get("stages", [])
            ],
            right=(1, 2, 3),
        )
        if stats:
            self._note(
                "requests",
                self.tr(
                    "本月发起 {0} 件，关闭 {1} 件（按时 {2} 件，按时率 {3}），撤销 {4} 件，月末未结 {5} 件。"
                ).format(
                    count(stats.get("raised")),
                    count(stats.get("closed")),
                    count(stats.get("closed_on_time")),
                    pct(stats.get("on_time_pct"), signed=False),
                    count(stats.get("cancelled")),
                    count(stats.get("open_at_month_end")),
                ),
            )
        else:
            self._note("requests", "")

    def clear(self) -> None:
        for table in self.tables.values():
            table.setRowCount(0)
        for note in self.notes.values():
            note.hide()


# --- asking -------------------------------------------------------------------------------------------------


class DecisionDialog(QDialog):
    """审批通过 (an optional comment) or 退回 (a required reason) of a submitted report."""

    def __init__(self, kind: str, title: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.kind = kind
        returning = kind == "return"
        self.setWindowTitle(self.tr("退回月报") if returning else self.tr("审批月报"))
        intro = QLabel(self)
        intro.setWordWrap(True)
        intro.setTextFormat(Qt.TextFormat.RichText)
        if returning:
            intro.setText(
                self.tr("<b>{0}</b><br>退回后由编制单位修订（生成新版本）并再次提交。请写明需要修改的地方。").format(
                    title
                )
            )
        else:
            intro.setText(self.tr("<b>{0}</b><br>审批通过后月报定稿，数据计入上级汇总。").format(title))
        label = QLabel(self.tr("退回原因（必填）：") if returning else self.tr("审批意见（可不填）："), self)
        self.text = QPlainTextEdit(self)
        self.text.setObjectName("decisionText")
        self.text.setTabChangesFocus(True)
        self.text.setMinimumHeight(110)
        self.text.setPlaceholderText(
            self.tr("例如：请补充主要竞争对手的报价信息") if returning else self.tr("例如：同意。下月重点跟进专线项目")
        )
        label.setBuddy(self.text)
        self.counter = QLabel(self)
        set_muted(self.counter)
        self.buttons = QDialogButtonBox(self)
        self.ok = self.buttons.addButton(
            self.tr("退回") if returning else self.tr("审批通过"), QDialogButtonBox.ButtonRole.AcceptRole
        )
        self.ok.setObjectName("decisionOk")
        self.buttons.addButton(self.tr("取消"), QDialogButtonBox.ButtonRole.RejectRole)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        self.text.textChanged.connect(self._changed)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(label)
        layout.addWidget(self.text, 1)
        layout.addWidget(self.counter, 0, Qt.AlignmentFlag.AlignRight)
        layout.addWidget(self.buttons)
        self.setMinimumWidth(480)
        self._changed()

    def value(self) -> str:
        return self.text.toPlainText().strip()

    def _changed(self) -> None:
        length = len(self.value())
        self.counter.setText(self.tr("{0} / {1} 字").format(length, MAX_REASON))
        ok = length <= MAX_REASON and (bool(length) or self.kind != "return")
        self.ok.setEnabled(ok)


def ask(parent: QWidget, title: str, text: str, ok_text: str, *, icon=QMessageBox.Icon.Question) -> bool:
    """A yes/cancel question with buttons that say what they do (Qt's standard ones read Yes/No)."""
    box = QMessageBox(icon, title, text, QMessageBox.StandardButton.NoButton, parent)
    ok = box.addButton(ok_text, QMessageBox.ButtonRole.AcceptRole)
    cancel = box.addButton(parent.tr("取消"), QMessageBox.ButtonRole.RejectRole)
    box.setDefaultButton(cancel)
    box.setEscapeButton(cancel)
    box.exec()
    return box.clickedButton() is ok


# --- the panel ----------------------------------------------------------------------------------------------


class ReportPanel(QWidget):
    """The report of one unit for one month, acted on as the current identity."""

    #: the report was shown (after each load)
    loaded = Signal()
    #: the report changed (an action succeeded): the board refreshes
    changed = Signal()
    #: a load failed (the message is shown in the panel)
    failed = Signal(str)

    def __init__(
        self,
        db,
        tasks: BackgroundTasks,
        identity: IdentityHolder,
        clock: Callable[[], dt.datetime],
        *,
        choose_identity: Callable[[], None] | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.db = db
        self.tasks = tasks
        self.identity_holder = identity
        self.clock = clock
        self.choose_identity = choose_identity
        self.unit = ""
        self.month: int | None = None
        self.version: int | None = None  # None: the newest
        self.data: ReportData | None = None
        self._generation = 0
        self._task: Task | None = None
        self._busy = False
        self._build()
        identity.changed.connect(lambda _identity: self.reload())

    # --- construction --------------------------------------------------------------------------

    def _build(self) -> None:
        self.title = QLabel(self)
        self.title.setObjectName("reportTitle")
        font = QFont(self.title.font())
        font.setPointSizeF(font.pointSizeF() * 1.15)
        font.setBold(True)
        self.title.setFont(font)
        self.version_combo = QComboBox(self)
        self.version_combo.setObjectName("reportVersion")
        self.version_combo.setToolTip(self.tr("查看以前的版本（退回的版本都会保留）"))
        self.version_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.version_combo.activated.connect(self._version_chosen)
        self.version_label = QLabel(self.tr("版本(&B)："), self)
        self.version_label.setBuddy(self.version_combo)
        self.chip = QLabel(self)
        self.chip.setObjectName("reportStatus")
        self.meta = QLabel(self)
        self.meta.setObjectName("reportMeta")
        self.meta.setWordWrap(True)
        self.meta.setTextFormat(Qt.TextFormat.RichText)
        self.returned_banner = QLabel(self)
        self.returned_banner.setObjectName("returnedBanner")
        self.returned_banner.setWordWrap(True)
        self.returned_banner.setStyleSheet(RETURNED_BANNER)
        self.returned_banner.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.returned_banner.hide()
        self.differs_banner = QLabel(self)
        self.differs_banner.setObjectName("differsBanner")
        self.differs_banner.setWordWrap(True)
        self.differs_banner.setStyleSheet(DIFFERS_BANNER)
        self.differs_banner.hide()
        self.hint = QLabel(self)
        self.hint.setObjectName("reportHint")
        self.hint.setWordWrap(True)
        self.hint.setTextFormat(Qt.TextFormat.RichText)
        self.hint.linkActivated.connect(self._hint_link)
        set_muted(self.hint)
        self.message = QLabel(self)
        self.message.setObjectName("reportMessage")
        self.message.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.message.setWordWrap(True)
        set_muted(self.message)
        self.message.hide()

        self.buttons: dict[str, QPushButton] = {}
        for key, text, tip, slot in (
            ("start", self.tr("开始编制"), self.tr("开始编制本单位本月的月报（第 1 版，草稿）"), self.start),
            ("save", self.tr("保存"), self.tr("保存文字（Ctrl+S）"), self.save),
            ("submit", self.tr("提交…"), self.tr("提交给上级审批；提交后数据冻结、文字不能再改"), self.submit),
            ("approve", self.tr("审批通过…"), self.tr("审批通过此月报"), self.approve),
            ("return", self.tr("退回…"), self.tr("写明原因，退回编制单位修订"), self.send_back),
            ("revise", self.tr("修订（生成新版本）"), self.tr("在退回的月报基础上生成新版本草稿"), self.revise),
        ):
            button = QPushButton(text, self)
            button.setObjectName(f"report_{key}")
            button.setToolTip(tip)
            button.clicked.connect(lambda _checked=False, slot=slot: slot())
            button.hide()
            self.buttons[key] = button
        self.buttons["submit"].setDefault(False)
        self.action_save = QAction(self.tr("保存月报"), self)
        self.action_save.setShortcut(QKeySequence(QKeySequence.StandardKey.Save))
        self.action_save.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.action_save.triggered.connect(lambda: self.save() if self.buttons["save"].isVisible() else None)
        self.addAction(self.action_save)
        self.printing = ReportPrinting(self.tasks, self, lambda: self.data.document if self.data else None, self.clock)
        self.saved_notice = QLabel(self)
        self.saved_notice.setObjectName("reportNotice")
        set_muted(self.saved_notice)

        self.figures = FiguresView(self)
        self.editors: dict[str, NarrativeEditor] = {}
        narratives = QSplitter(Qt.Orientation.Vertical, self)
        narratives.setObjectName("narratives")
        narratives.setChildrenCollapsible(False)
        for key, title in NARRATIVES:
            editor = NarrativeEditor(key, self.tr(title), narratives)
            editor.setMinimumHeight(90)
            editor.edited.connect(self._edited)
            narratives.addWidget(editor)
            self.editors[key] = editor
        self.events = make_table(self, [self.tr(h) for h in ("时间", "版本", "操作", "人员", "单位", "说明")])
        self.events.setObjectName("reportEvents")
        self.events.horizontalHeader().setStretchLastSection(True)
        self.tabs = QTabWidget(self)
        self.tabs.setObjectName("reportTabs")
        self.tabs.addTab(self.figures, self.tr("指标"))
        self.tabs.addTab(narratives, self.tr("文字"))
        self.tabs.addTab(self.events, self.tr("流转记录"))

        head = QHBoxLayout()
        head.setContentsMargins(0, 0, 0, 0)
        head.addWidget(self.title, 1)
        head.addWidget(self.version_label)
        head.addWidget(self.version_combo)
        head.addSpacing(6)
        head.addWidget(self.chip)
        actions = QHBoxLayout()
        actions.setContentsMargins(0, 0, 0, 0)
        actions.setSpacing(6)
        for button in self.buttons.values():
            actions.addWidget(button)
        actions.addWidget(self.saved_notice)
        actions.addStretch(1)
        actions.addWidget(self.printing.button)
        self.content = QWidget(self)
        body = QVBoxLayout(self.content)
        body.setContentsMargins(0, 0, 0, 0)
        body.setSpacing(4)
        body.addLayout(head)
        body.addWidget(self.meta)
        body.addWidget(self.returned_banner)
        body.addWidget(self.differs_banner)
        body.addWidget(self.hint)
        body.addLayout(actions)
        body.addWidget(self.tabs, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.content, 1)
        layout.addWidget(self.message, 1)
        self.content.hide()
        self.printing.set_enabled(False)

    # --- what is shown -------------------------------------------------------------------------

    def now(self) -> dt.datetime:
        return self.clock()

    def show_report(self, unit: str, month: int | None, version: int | None = None) -> None:
        """Show ``unit``'s report for ``month`` (read now); callers guard unsaved edits first (``leave``)."""
        same = (unit, month) == (self.unit, self.month)
        self.unit, self.month, self.version = unit, month, version
        if not same:
            self._discard_edits()
            self.saved_notice.clear()
        self.reload()

    def clear(self, text: str) -> None:
        """Show ``text`` instead of a report (no unit, no month with data, …)."""
        self._generation += 1
        self.unit, self.month, self.version, self.data = "", None, None, None
        self._discard_edits()
        self._show_message(text)

    def _show_message(self, text: str) -> None:
        self.content.hide()
        self.message.setText(text)
        self.message.show()
        self.printing.set_enabled(False)

    def reload(self) -> None:
        if not self.unit or self.month is None:
            return
        self._generation += 1
        generation = self._generation
        if self._task is not None and not self._task.done:
            self._task.cancel()
        identity = self.identity_holder.identity
        db, unit, month, version = self.db, self.unit, self.month, self.version
        by, now = (identity.employee_no if identity else None), self.now()
        if self.data is None or (self.data.unit, self.data.month) != (unit, month):
            self._show_message(self.tr("正在读取月报…"))
        self._task = self.tasks.read(
            lambda _p: load_report(db, unit=unit, month=month, version=version, by=by, now=now),
            on_done=lambda data: self._loaded(generation, data),
            on_error=lambda exc: self._failed(generation, exc),
            busy_cursor=False,
            parent=self,
        )

    def _failed(self, generation: int, exc: BaseException) -> None:
        if not isValid(self) or generation != self._generation:
            return
        if not isinstance(exc, KamError):
            show_error(self, exc, self.tr("无法读取月报"))
        text = getattr(exc, "zh", None) or str(exc)
        self.data = None
        self._show_message(text)
        self.failed.emit(text)

    def _loaded(self, generation: int, data: ReportData) -> None:
        if not isValid(self) or generation != self._generation:
            return
        keep_edits = (
            self.data is not None
            and (self.data.unit, self.data.month) == (data.unit, data.month)
            and self.has_unsaved()
            and data.editable
        )
        self.data = data
        self.message.hide()
        self.content.show()
        self._show_header(data)
        self.figures.show_figures(data.document.figures, data.document.unit_level, frozen=data.document.frozen)
        self._show_events(data)
        texts = {n.key: n.text for n in data.document.narratives}
        for key, editor in self.editors.items():
            if not keep_edits:
                editor.set_markdown(texts.get(key, ""))
            editor.set_read_only(not data.editable)
        self._show_actions(data)
        self.printing.set_enabled(True)
        self.loaded.emit()

    def _show_header(self, data: ReportData) -> None:
        doc, shown = data.document, data.shown
        self.title.setText(doc.title)
        self.version_combo.clear()
        for info in data.versions:
            label = self.tr("第 {0} 版 · {1}").format(info.version, info.status_label)
            if info is data.newest and len(data.versions) > 1:
                label += self.tr("（最新）")
            self.version_combo.addItem(label, info.version)
        if shown is not None:
            self.version_combo.setCurrentIndex(self.version_combo.findData(shown.version))
        many = len(data.versions) > 1
        self.version_combo.setVisible(bool(data.versions))
        self.version_combo.setEnabled(many)
        self.version_label.setVisible(bool(data.versions))
        status = doc.status
        colour = STATUS_COLOURS.get(status, "#9e9e9e")
        self.chip.setText(doc.status_label)
        self.chip.setStyleSheet(
            f"background: {colour}; color: white; border-radius: 9px; padding: 2px 10px; font-weight: bold;"
        )
        parts = []
        due, overdue = deadline_text(doc.deadline, status if data.is_newest else "approved", data.now)
        if due:
            parts.append(f"<span style='color:{OVERDUE_COLOUR}'>{due}</span>" if overdue else due)
        parts.append(self.tr("报 {0} 审批").format(data.approver))
        if doc.prepared_by:
            parts.append(self.tr("编制人 {0}（{1} 提交）").format(doc.prepared_by, when(doc.prepared_at)))
        elif shown is not None:
            parts.append(self.tr("草稿由 {0} 于 {1} 创建").format(shown.created_by, when(shown.created_at)))
        if doc.reviewed_by:
            parts.append(self.tr("审核人 {0}（{1} 审批）").format(doc.reviewed_by, when(doc.reviewed_at)))
        self.meta.setText("　·　".join(parts))

        previous = next((v for v in data.versions if shown is not None and v.version == shown.version - 1), None)
        if shown is not None and shown.status == "returned":
            text = self.tr("已退回：{0}\n（{1}，{2}）").format(
                shown.return_reason or "", shown.decided_by, when(shown.decided_at)
            )
            if data.allowed.revise and data.is_newest:
                text += self.tr("　请点击“修订（生成新版本）”，修改后再次提交。")
            self.returned_banner.setText(text)
            self.returned_banner.show()
        elif shown is not None and shown.status == "draft" and previous is not None and previous.return_reason:
            # the revised draft: what the previous version was returned for is what to fix
            self.returned_banner.setText(
                self.tr("第 {0} 版退回原因：{1}\n（{2}，{3}）").format(
                    previous.version, previous.return_reason, previous.decided_by, when(previous.decided_at)
                )
            )
            self.returned_banner.show()
        else:
            self.returned_banner.hide()
        differs = list(doc.live_differs)
        if differs:
            shown_items = "；".join(differs[:DIFFERS_SHOWN])
            more = self.tr("……等 {0} 项").format(len(differs)) if len(differs) > DIFFERS_SHOWN else ""
            self.differs_banner.setText(
                self.tr("提交后数据有变动（月报仍按提交时冻结的数据）：{0}{1}").format(shown_items, more)
            )
            self.differs_banner.setToolTip("\n".join(differs))
            self.differs_banner.show()
        else:
            self.differs_banner.hide()

    def _show_events(self, data: ReportData) -> None:
        events = list(reversed(data.document.events))  # newest first, like an inbox
        fill_table(
            self.events,
            [
                [
                    e.at.strftime("%Y-%m-%d %H:%M"),
                    self.tr("第 {0} 版").format(e.version),
                    e.action_label,
                    e.staff_name,
                    e.unit_name,
                    e.comment or "",
                ]
                for e in events
            ],
        )

    def _show_actions(self, data: ReportData) -> None:
        allowed = data.allowed
        newest = data.is_newest
        visible = {
            "start": allowed.start and data.shown is None,
            "save": data.editable,
            "submit": allowed.submit and newest,
            "approve": allowed.approve and newest,
            "return": allowed.send_back and newest,
            "revise": allowed.revise and newest,
        }
        for key, button in self.buttons.items():
            button.setVisible(visible[key])
            button.setEnabled(not self._busy)
        identity = self.identity_holder.identity
        hint = ""
        if identity is None:
            hint = self.tr('请先<a href="identity">选择当前身份</a>，才能编制、提交或审批月报。')
        elif not newest and data.newest is not None:
            hint = self.tr("这是第 {0} 版（{1}），只读；最新为第 {2} 版（{3}）。").format(
                data.shown.version, data.shown.status_label, data.newest.version, data.newest.status_label
            )
        elif data.shown is not None and data.shown.status == "returned":
            hint = "" if allowed.revise else allowed.why_not
        elif data.editable:
            hint = (
                self.tr("以 {0} 的身份编制。填写文字后保存（Ctrl+S）；提交后数据冻结，文字不能再改。").format(
                    identity.name
                )
                if data.shown is not None
                else self.tr("本月月报尚未开始编制。可以直接填写文字并保存，或点击“开始编制”。")
            )
        else:
            hint = allowed.why_not
        self.hint.setText(hint)
        self.hint.setVisible(bool(hint))

    def _hint_link(self, link: str) -> None:
        if link == "identity" and self.choose_identity is not None:
            self.choose_identity()

    # --- unsaved edits -------------------------------------------------------------------------

    def has_unsaved(self) -> bool:
        return any(editor.is_modified() for editor in self.editors.values())

    def _edited(self) -> None:
        self.saved_notice.setText(self.tr("有未保存的修改"))

    def _discard_edits(self) -> None:
        for editor in self.editors.values():
            editor.set_modified(False)

    def texts(self) -> dict[str, str]:
        return {key: editor.markdown() for key, editor in self.editors.items()}

    def leave(self, proceed: Callable[[], None], stay: Callable[[], None] | None = None) -> None:
        """Before the report shown is left (another unit, month, version, or closing): with unsaved edits,
        ask to save, discard or stay. ``proceed`` runs at once, after a successful save, or after
        discarding; ``stay`` when the person stays (or the save was refused, keeping their text)."""
        if not self.has_unsaved() or self.data is None:
            proceed()
            return
        choice = self.ask_unsaved()
        if choice == "discard":
            self._discard_edits()
            proceed()
        elif choice == "save":
            self.save(then=proceed, otherwise=stay)
        elif stay is not None:
            stay()

    def ask_unsaved(self) -> str:
        """ "save", "discard" or "stay"."""
        title = self.data.document.title if self.data else ""
        box = QMessageBox(
            QMessageBox.Icon.Warning,
            self.tr("未保存的修改"),
            self.tr("{0} 的文字有未保存的修改。要保存吗？").format(title),
            QMessageBox.StandardButton.NoButton,
            self,
        )
        save = box.addButton(self.tr("保存"), QMessageBox.ButtonRole.AcceptRole)
        discard = box.addButton(self.tr("不保存"), QMessageBox.ButtonRole.DestructiveRole)
        stay = box.addButton(self.tr("取消"), QMessageBox.ButtonRole.RejectRole)
        box.setDefaultButton(save)
        box.setEscapeButton(stay)
        box.exec()
        clicked = box.clickedButton()
        return "save" if clicked is save else "discard" if clicked is discard else "stay"

    # --- actions -------------------------------------------------------------------------------

    def _identity_or_ask(self) -> str | None:
        identity = self.identity_holder.identity
        if identity is None:
            QMessageBox.information(
                self, self.tr("请先选择当前身份"), self.tr("请先在“文件 → 切换当前身份”中选择您是谁。")
            )
            return None
        return identity.employee_no

    def _write(
        self,
        doing: str,
        work: Callable,
        *,
        saves_texts: bool = False,
        notice: str = "",
        then: Callable[[], None] | None = None,
        otherwise: Callable[[], None] | None = None,
    ) -> Task | None:
        """Run ``work(conn, by, now)`` in one transaction as the current identity, then reload."""
        by = self._identity_or_ask()
        if by is None or not self.unit or self.month is None:
            if otherwise is not None:
                otherwise()
            return None
        db, now = self.db, self.now()
        key = (self.unit, self.month)
        self._set_busy(True)

        def job(_progress):
            with db.engine.begin() as conn:
                return work(conn, by, now)

        def done(_result) -> None:
            if not isValid(self):
                return
            self._set_busy(False)
            if saves_texts and (self.unit, self.month) == key:
                self._discard_edits()
            if notice:
                self.saved_notice.setText(notice.format(now.astimezone(BEIJING).strftime("%H:%M")))
            self.changed.emit()
            if then is not None:  # it shows what comes next
                then()
            elif (self.unit, self.month) == key:
                self.reload()

        def refused(exc: BaseException) -> None:
            if not isValid(self):
                return
            self._set_busy(False)
            self._refused(doing, exc)
            if otherwise is not None:
                otherwise()

        return self.tasks.write(job, on_done=done, on_error=refused, label=self.tr("正在保存…"), parent=self)

    def _set_busy(self, busy: bool) -> None:
        self._busy = busy
        for button in self.buttons.values():
            button.setEnabled(not busy)

    def _refused(self, doing: str, exc: BaseException) -> None:
        if isinstance(exc, ReportChanged):
            if ask(
                self,
                self.tr("月报已被修改"),
                exc.zh + self.tr("\n\n重新载入会显示最新内容，您未保存的修改将丢失。"),
                self.tr("重新载入"),
                icon=QMessageBox.Icon.Warning,
            ):
                self._discard_edits()
                self.reload()
            return
        if isinstance(exc, KamError):
            QMessageBox.warning(self, self.tr("无法{0}").format(doing), exc.zh)
            return
        show_error(self, exc, self.tr("无法{0}").format(doing))

    def _check_lengths(self) -> bool:
        over = [editor.title for editor in self.editors.values() if editor.over_limit()]
        if over:
            QMessageBox.warning(
                self,
                self.tr("文字太长"),
                self.tr("“{0}”超出字数上限（{1:,} 字），请删减后再保存。").format(
                    "”“".join(over), self.editors["market"].limit
                ),
            )
            return False
        return True

    def _expected(self) -> int | None:
        newest = self.data.newest if self.data else None
        return newest.row_version if newest else None

    def start(self) -> Task | None:
        unit, month = self.unit, self.month
        return self._write(
            self.tr("开始编制"),
            lambda conn, by, now: start_report(conn, unit=unit, month=month, by=by, now=now),
            notice=self.tr("已开始编制（{0}）"),
        )

    def save(
        self, *, then: Callable[[], None] | None = None, otherwise: Callable[[], None] | None = None
    ) -> Task | None:
        """Save the narratives (Ctrl+S); a report not started yet is started by its first save."""
        if self.data is None or not self.data.editable or not self._check_lengths():
            if otherwise is not None:
                otherwise()
            return None
        unit, month, texts, expected = self.unit, self.month, self.texts(), self._expected()
        return self._write(
            self.tr("保存"),
            lambda conn, by, now: save_narratives(
                conn, unit=unit, month=month, by=by, narratives=texts, now=now, expected_row_version=expected
            ),
            saves_texts=True,
            notice=self.tr("已保存（{0}）"),
            then=then,
            otherwise=otherwise,
        )

    def submit(self) -> Task | None:
        if self.data is None or not self._check_lengths():
            return None
        data = self.data
        version = data.newest.version if data.newest else 1
        if not ask(
            self,
            self.tr("提交月报"),
            self.tr(
                "把 {0}（第 {1} 版）提交给 {2} 审批？\n\n提交时按当前数据生成指标并冻结：以后重新导入收入也不会改变"
                "已提交的月报。提交后文字不能再修改，需要修改时请上级退回。"
            ).format(data.document.title, version, data.approver),
            self.tr("提交"),
        ):
            return None
        unit, month, expected = self.unit, self.month, self._expected()
        texts = self.texts() if self.has_unsaved() else None

        def work(conn, by, now):
            cas = expected
            if texts is not None:  # what is on screen is what is submitted
                save_narratives(
                    conn, unit=unit, month=month, by=by, narratives=texts, now=now, expected_row_version=expected
                )
                cas = None
            return submit_report(conn, unit=unit, month=month, by=by, now=now, expected_row_version=cas)

        return self._write(self.tr("提交"), work, saves_texts=texts is not None, notice=self.tr("已提交（{0}）"))

    def make_decision_dialog(self, kind: str) -> DecisionDialog:
        data = self.data
        title = (
            self.tr("{0}（第 {1} 版）").format(data.document.title, data.newest.version) if data and data.newest else ""
        )
        return DecisionDialog(kind, title, self)

    def ask_decision(self, kind: str) -> str | None:
        """The comment (approve) or reason (return); None if cancelled."""
        dialog = self.make_decision_dialog(kind)
        try:
            if dialog.exec() != QDialog.DialogCode.Accepted:
                return None
            return dialog.value()
        finally:
            dialog.deleteLater()

    def approve(self) -> Task | None:
        if self.data is None:
            return None
        comment = self.ask_decision("approve")
        if comment is None:
            return None
        unit, month, expected = self.unit, self.month, self._expected()
        return self._write(
            self.tr("审批"),
            lambda conn, by, now: approve_report(
                conn, unit=unit, month=month, by=by, now=now, comment=comment or None, expected_row_version=expected
            ),
            notice=self.tr("已审批通过（{0}）"),
        )

    def send_back(self) -> Task | None:
        if self.data is None:
            return None
        reason = self.ask_decision("return")
        if reason is None:
            return None
        unit, month, expected = self.unit, self.month, self._expected()
        return self._write(
            self.tr("退回"),
            lambda conn, by, now: return_report(
                conn, unit=unit, month=month, by=by, reason=reason, now=now, expected_row_version=expected
            ),
            notice=self.tr("已退回（{0}）"),
        )

    def revise(self) -> Task | None:
        if self.data is None:
            return None
        unit, month = self.unit, self.month
        self.version = None  # the new version is the one to show
        return self._write(
            self.tr("修订"),
            lambda conn, by, now: revise_report(conn, unit=unit, month=month, by=by, now=now),
            notice=self.tr("已生成新版本（{0}）"),
        )

    def _version_chosen(self, index: int) -> None:
        version = self.version_combo.itemData(index)
        if self.data is None or version is None:
            return
        shown = self.data.shown.version if self.data.shown else None
        if version == shown:
            return
        newest = self.data.newest.version if self.data.newest else None

        def go() -> None:
            self.version = None if version == newest else version
            self.reload()

        def back() -> None:
            self.version_combo.setCurrentIndex(self.version_combo.findData(shown))

        self.leave(go, back)

    def show_version(self, version: int | None) -> None:
        """Show ``version`` (None: the newest) of the current unit and month."""
        self.version = version
        self.reload()

    def versions_listed(self) -> list[str]:
        return [self.version_combo.itemText(i) for i in range(self.version_combo.count())]

    def is_read_only(self) -> bool:
        return all(editor.edit.isReadOnly() for editor in self.editors.values())
