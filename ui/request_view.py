"""One service request on screen (请求详情): the header, the route drawn on the hierarchy, the history as a
timeline, the subtasks, the attachments — and the actions the current identity's unit may take now.

Which buttons show is derived from the request as read (``available_actions``: who holds it, who is next,
whose subtasks are open) and the identity's unit, so a person sees only what they may do; the core still
decides (``service_requests.act``) and its refusal is shown next to the field of the action's dialog. An
action runs as a background write on the request *as shown* (``request_ui_support.act_on_shown``): if
anyone acted since it was read, nothing is written, the view says so and shows the newest state.

``RequestDesk`` is what the window shares with every request screen: the database, the background tasks,
the current identity, the clock, and the ``changed`` signal fired after every raise and action (the
inbox badges and lists refresh on it).
"""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from PySide6.QtCore import QObject, Qt, QUrl, Signal
from PySide6.QtGui import QColor, QDesktopServices, QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QFrame,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)
from shiboken6 import isValid

from kam_console.db import Database
from kam_console.errors import KamError
from kam_console.models import REQUEST_ACTION_LABELS
from kam_console.services.catalogues import UnitChoice, list_units
from kam_console.services.request_queries import HopRow, RequestDetail, SubtaskRow, request_detail
from kam_console.services.request_ui_support import act_on_shown
from kam_console.services.service_requests import MAX_TEXT, RequestChanged
from kam_console.services.sla import BEIJING
from kam_console.services.staff import Identity
from ui.identity import IdentityHolder
from ui.raise_request_dialog import RaiseRequestDialog, UnitPickerDialog
from ui.request_route_chart import RouteChart, route_data
from ui.staff_dialogs import _Field
from ui.style import set_muted
from ui.tasks import BackgroundTasks, show_error

OVERDUE_COLOUR = "#c62828"
NOTICE_STYLE = "background: #fff7ed; color: #7c2d12; border: 1px solid #fdba74; border-radius: 4px; padding: 6px;"
BADGE_STYLE = "border-radius: 9px; padding: 1px 9px; background: {bg}; color: {fg};"
STATE_BADGES = {
    "routing": ("#dbeafe", "#1e3a8a"),
    "coordinating": ("#dbeafe", "#1e3a8a"),
    "processing": ("#dbeafe", "#1e3a8a"),
    "resolved": ("#fef3c7", "#78350f"),
    "closed": ("#dcfce7", "#14532d"),
    "cancelled": ("#e5e7eb", "#374151"),
}
PRIORITY_BADGES = {
    "urgent": ("#fee2e2", "#991b1b"),
    "high": ("#ffedd5", "#9a3412"),
    "normal": ("#e0e7ff", "#3730a3"),
    "low": ("#f1f5f9", "#334155"),
}
TYPE_BADGE = ("#f1f5f9", "#0f172a")
# Timeline entries: (left border, background) by kind; escalations and urges stand out.
HOP_STYLES = {
    "escalate": ("#dc2626", "#fef2f2"),
    "urge": ("#d97706", "#fffbeb"),
    "return": ("#7c3aed", "#faf5ff"),
    "cancel": ("#6b7280", "#f9fafb"),
    "comment": ("#94a3b8", "transparent"),
    "normal": ("#2563eb", "transparent"),
}

# The order buttons appear in: the main step first, then the side steps, cancelling last.
ACTION_ORDER = (
    "forward",
    "accept",
    "dispatch",
    "reply",
    "resolve",
    "confirm",
    "reassign",
    "return",
    "urge",
    "comment",
    "cancel",
)
# What each action's dialog asks; None: the text is optional.
REQUIRED_TEXT = {
    "reply": "回复需要写明处理结果",
    "resolve": "解决时需要写明处理结果",
    "return": "退回需要写明原因",
    "reassign": "改派需要写明原因",
    "cancel": "撤销需要写明原因",
    "comment": "备注不能为空",
}
TEXT_LABELS = {
    "forward": "上报说明（可选）：",
    "accept": "受理说明（可选）：",
    "dispatch": "派发说明（可选）：",
    "reply": "处理结果：",
    "resolve": "处理结果：",
    "confirm": "回访说明（可选）：",
    "return": "退回原因：",
    "reassign": "改派原因：",
    "cancel": "撤销原因：",
    "comment": "备注：",
    "urge": "督办意见（可选）：",
}


# --- time ----------------------------------------------------------------------------------------


def beijing(value: dt.datetime | None) -> str:
    """A stored UTC time as people read it: Beijing time, ``YYYY-MM-DD HH:MM``."""
    if value is None:
        return ""
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M")


def _amount(hours: float) -> str:
    if hours >= 48:
        return f"{hours / 24:.1f}".rstrip("0").rstrip(".") + " 天"
    return f"{hours:.1f}".rstrip("0").rstrip(".") + " 小时"


def due_text(due: dt.datetime | None, now: dt.datetime) -> str:
    """'已超时 5.5 小时' past the deadline, '剩 2 小时' (or minutes, or days) before it."""
    if due is None:
        return ""
    seconds = (due - now).total_seconds()
    if seconds < 0:
        return "已超时 " + _amount(round(-seconds / 3600, 1))
    if seconds < 3600:
        return f"剩 {max(1, int(seconds // 60))} 分钟"
    return "剩 " + _amount(round(seconds / 3600, 1))


# --- data ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RequestViewData:
    detail: RequestDetail
    units: dict[str, UnitChoice]
    now: dt.datetime


def load_request(db: Database, number: str, now: dt.datetime, units: dict[str, UnitChoice] | None = None):
    """Worker side: the request in full and (unless given) the units by code for short names and levels."""
    with db.engine.connect() as conn:
        detail = request_detail(conn, number=number, now=now)
        if units is None:
            units = {u.code: u for u in list_units(conn, include_inactive=True)}
    return RequestViewData(detail, units, now)


def _is_above(units: Mapping[str, UnitChoice], upper: str, code: str) -> bool:
    a, b = units.get(upper), units.get(code)
    return a is not None and b is not None and a.code != b.code and b.within(a.path)


def reassignable(detail: RequestDetail) -> list[str]:
    """Units whose current subtask may be moved elsewhere (open, or handed back), in region-code order."""
    latest: dict[str, SubtaskRow] = {}
    for sub in detail.subtasks:
        latest[sub.unit.code] = sub
    return sorted(code for code, sub in latest.items() if sub.state != "done")


def available_actions(detail: RequestDetail, unit: str | None, units: Mapping[str, UnitChoice]) -> list[str]:
    """The actions the unit ``unit`` may take on the request now, in button order (the core's rules)."""
    if not unit:
        return []
    actions: set[str] = set()
    route = [step.code for step in detail.route]
    parties = {*route, detail.coordinator.code, *(u.code for u in detail.involved)}
    parties.update(s.unit.code for s in detail.subtasks)
    if unit in parties or any(_is_above(units, unit, code) for code in parties):
        actions.add("comment")
    if not detail.is_open:
        return [a for a in ACTION_ORDER if a in actions]
    holder = detail.holder.code
    mine_open = any(s.unit.code == unit and s.state == "open" for s in detail.subtasks)
    if detail.state == "routing" and holder == unit:
        actions.add("accept" if unit == detail.coordinator.code else "forward")
        if route and unit != route[0]:
            actions.add("return")
    elif detail.state == "coordinating" and holder == unit:
        actions.update(("dispatch", "return"))
    elif detail.state == "processing":
        if mine_open:
            actions.update(("reply", "return"))
        if holder == unit:
            if detail.stage == "resolve":
                actions.add("resolve")
            if reassignable(detail):
                actions.add("reassign")
    elif detail.state == "resolved" and holder == unit:
        actions.update(("confirm", "return"))
    if unit == detail.raising_unit.code:
        actions.add("cancel")
    if any(_is_above(units, unit, step.unit.code) for step in detail.next):
        actions.add("urge")
    return [a for a in ACTION_ORDER if a in actions]


def short(units: Mapping[str, UnitChoice], code: str | None, fallback: str = "") -> str:
    if code is None:
        return fallback
    unit = units.get(code)
    return unit.short_name if unit else (fallback or code)


# --- the desk ------------------------------------------------------------------------------------


class RequestDesk(QObject):
    """What every request screen shares: data access, the current identity, the clock and change news."""

    #: a request was raised or acted on (its number): lists and inbox badges refresh
    changed = Signal(str)
    #: show this account's page (customer number)
    account_requested = Signal(str)

    def __init__(
        self,
        db: Database,
        tasks: BackgroundTasks,
        identity: IdentityHolder,
        *,
        choose_identity: Callable[[], None] | None = None,
        clock: Callable[[], dt.datetime] | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.db = db
        self.tasks = tasks
        self.identity_holder = identity
        self._choose_identity = choose_identity
        self.clock = clock or (lambda: dt.datetime.now(dt.UTC))
        self.units: dict[str, UnitChoice] | None = None  # filled by the first request read; units rarely change
        self.windows: list[RequestWindow] = []

    @property
    def identity(self) -> Identity | None:
        return self.identity_holder.identity

    def now(self) -> dt.datetime:
        return self.clock()

    def ensure_identity(self, parent: QWidget | None) -> bool:
        """True if someone is chosen; otherwise offer to choose (and return False: the user starts again)."""
        if self.identity is not None:
            return True
        answer = QMessageBox.question(
            parent,
            self.tr("请先选择当前身份"),
            self.tr("发起和处理服务请求以当前身份（您本人及所在单位）的名义进行。现在选择您的身份吗？"),
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
            QMessageBox.StandardButton.Yes,
        )
        if answer == QMessageBox.StandardButton.Yes:
            self.choose_identity()
        return False

    def choose_identity(self) -> None:
        if self._choose_identity is not None:
            self._choose_identity()

    def open_request(self, number: str, parent: QWidget | None = None) -> RequestWindow:
        """Show request ``number`` in its own (non-modal) window."""
        for window in self.windows:
            if window.view.number == number:
                window.show()
                window.raise_()
                window.activateWindow()
                return window
        window = RequestWindow(self, number, parent)
        window.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, True)
        window.destroyed.connect(lambda _obj=None, w=window: self.windows.remove(w) if w in self.windows else None)
        self.windows.append(window)
        window.show()
        window.raise_()
        window.activateWindow()
        return window

    def raise_request(
        self, *, customer_no: str | None = None, parent: QWidget | None = None
    ) -> RaiseRequestDialog | None:
        """Open the raise dialog (the account prefilled when given); None if nobody is chosen yet."""
        if not self.ensure_identity(parent):
            return None
        dialog = RaiseRequestDialog(
            self.db, self.tasks, self.identity, customer_no=customer_no, clock=self.clock, parent=parent
        )
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, True)
        dialog.raised.connect(self._raised)
        dialog.open()
        return dialog

    def _raised(self, number: str) -> None:
        self.changed.emit(number)
        self.open_request(number)

    def notify_changed(self, number: str) -> None:
        self.changed.emit(number)


# --- the action dialog ---------------------------------------------------------------------------


class ActionDialog(QDialog):
    """Asks what an action needs (a text; for 改派 the subtask's unit and its new unit) and shows the core's
    refusal next to the field it concerns. It stays open while the action runs and closes on success."""

    submitted = Signal()

    def __init__(
        self,
        action: str,
        detail: RequestDetail,
        units: Mapping[str, UnitChoice],
        parent: QWidget | None = None,
        *,
        button_text: str = "",
    ) -> None:
        super().__init__(parent)
        self.action = action
        self._units = units
        label = REQUEST_ACTION_LABELS[action]
        self.setWindowTitle(self.tr("{0}：{1}").format(label, detail.number))
        intro = QLabel(self._intro(action, detail), self)
        intro.setWordWrap(True)
        intro.setTextFormat(Qt.TextFormat.RichText)
        self.text_edit = QPlainTextEdit(self)
        self.text_edit.setObjectName("actionText")
        self.text_edit.setTabChangesFocus(True)
        self.text_edit.setMinimumHeight(90)
        if action == "urge":
            self.text_edit.setPlaceholderText(self.tr("默认：请尽快处理"))
        elif action == "resolve":
            replies = [
                f"{short(units, s.unit.code)}：{s.reply}" for s in detail.subtasks if s.state == "done" and s.reply
            ]
            self.text_edit.setPlainText("\n".join(replies))
        self.text_field = _Field(self.text_edit, self)
        form = QFormLayout()
        self.from_combo: QComboBox | None = None
        self.to_combo: QComboBox | None = None
        if action == "reassign":
            self.from_combo = QComboBox(self)
            self.from_combo.setObjectName("reassignFrom")
            for code in reassignable(detail):
                self.from_combo.addItem(f"{short(units, code)}（{code}）", code)
            self.from_field = _Field(self.from_combo, self)
            coordinator = units.get(detail.coordinator.code)
            self.targets = [
                u
                for u in units.values()
                if u.active and u.level in ("city", "county") and coordinator is not None and u.within(coordinator.path)
            ]
            self.to_combo = QComboBox(self)
            self.to_combo.setObjectName("reassignTo")
            self.to_combo.setMinimumContentsLength(14)
            pick = QPushButton(self.tr("选择…"), self)
            pick.clicked.connect(self._pick_target)
            row = QHBoxLayout()
            row.setContentsMargins(0, 0, 0, 0)
            row.addWidget(self.to_combo, 1)
            row.addWidget(pick)
            holder = QWidget(self)
            holder.setLayout(row)
            self.to_field = _Field(holder, self)
            form.addRow(self.tr("改派的子任务："), self.from_field)
            form.addRow(self.tr("改派给："), self.to_field)
        form.addRow(self.tr(TEXT_LABELS[action]), self.text_field)
        self.general_error = QLabel(self)
        self.general_error.setObjectName("actionError")
        self.general_error.setWordWrap(True)
        self.general_error.setStyleSheet(f"color: {OVERDUE_COLOUR};")
        self.general_error.hide()
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        self.ok_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok_button.setText(button_text or label)
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setText(self.tr("取消"))
        self.buttons.accepted.connect(self._submit)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(self.general_error)
        layout.addWidget(self.buttons)
        self.setMinimumWidth(520)

    def _intro(self, action: str, d: RequestDetail) -> str:
        title = html.escape(f"{d.number}　{d.title}")
        notes = {
            "forward": self.tr("把请求上报给上一级大客户单位。"),
            "accept": self.tr("作为协调单位受理此请求，随后向各涉及单位派发子任务。"),
            "dispatch": self.tr("向 {0} 派发子任务。").format(
                "、".join(short(self._units, u.code, u.name) for u in d.involved)
            ),
            "reply": self.tr("回复本单位子任务的处理结果，交回协调单位汇总。"),
            "resolve": self.tr("各子任务都已回复。写明处理结果，交发起单位向客户确认。"),
            "confirm": self.tr("已与客户确认处理结果，关闭请求。"),
            "return": self.tr("退回上一步，并写明原因。"),
            "reassign": self.tr("把一个涉及单位的子任务改派给本协调范围内的另一个地市或区县。"),
            "cancel": self.tr("<b>撤销后请求即告结束，不能恢复。</b>"),
            "comment": self.tr("在处理记录中添加一条备注，不改变请求的状态。"),
            "urge": self.tr("督促当前处理单位尽快处理；督办记入处理记录。"),
        }
        return f"<b>{title}</b><br>{notes.get(action, '')}"

    def _pick_target(self) -> None:
        dialog = UnitPickerDialog(self.targets, title=self.tr("选择改派单位"), multi=False, parent=self)
        try:
            if dialog.exec() == QDialog.DialogCode.Accepted and dialog.chosen():
                self.set_target(dialog.chosen()[0])
        finally:
            dialog.deleteLater()

    def set_target(self, code: str) -> None:
        assert self.to_combo is not None
        index = self.to_combo.findData(code)
        if index < 0:
            unit = self._units.get(code)
            self.to_combo.addItem(f"{unit.short_name if unit else code}（{code}）", code)
            index = self.to_combo.count() - 1
        self.to_combo.setCurrentIndex(index)

    def text(self) -> str:
        return self.text_edit.toPlainText().strip()

    def unit(self) -> str | None:
        return self.from_combo.currentData() if self.from_combo is not None else None

    def to_unit(self) -> str | None:
        return self.to_combo.currentData() if self.to_combo is not None else None

    def set_busy(self, busy: bool) -> None:
        self.ok_button.setEnabled(not busy)

    def clear_errors(self) -> None:
        self.text_field.show_error("")
        if self.to_combo is not None:
            self.to_field.show_error("")
            self.from_field.show_error("")
        self.general_error.hide()

    def show_error(self, message: str) -> None:
        """Put the message next to the field it is about (else under the form): the core's texts about the
        written text, the subtask to move and its new unit; any other refusal (who may act, the state) is
        about the action as a whole."""
        if message in REQUIRED_TEXT.values() or message.startswith("说明太长"):
            self.text_field.show_error(message)
        elif self.to_combo is not None and "子任务可以改派" in message:
            self.from_field.show_error(message)
        elif self.to_combo is not None and any(
            part in message for part in ("改派给它", "不能承接子任务", "没有代码为")
        ):
            self.to_field.show_error(message)
        else:
            self.general_error.setText(message)
            self.general_error.show()

    def _submit(self) -> None:
        self.clear_errors()
        required = REQUIRED_TEXT.get(self.action)
        if required and not self.text():
            self.text_field.show_error(self.tr(required))
            return
        if len(self.text()) > MAX_TEXT:
            self.text_field.show_error(self.tr("说明太长（{0} 字，最多 {1} 字）").format(len(self.text()), MAX_TEXT))
            return
        if self.to_combo is not None and not self.to_unit():
            self.to_field.show_error(self.tr("请选择改派给哪个单位"))
            return
        self.submitted.emit()


# --- the timeline --------------------------------------------------------------------------------


class Timeline(QScrollArea):
    """The hops of a request, oldest first: time, action, from → to, who, comment."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("requestTimeline")
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.entries: list[QFrame] = []
        self._container = QWidget(self)
        self._layout = QVBoxLayout(self._container)
        self._layout.setContentsMargins(4, 4, 4, 4)
        self._layout.setSpacing(4)
        self._layout.addStretch(1)
        self.setWidget(self._container)

    def set_hops(self, hops: tuple[HopRow, ...], units: Mapping[str, UnitChoice]) -> None:
        for entry in self.entries:
            self._layout.removeWidget(entry)
            entry.deleteLater()
        self.entries = []
        for hop in hops:
            entry = self._entry(hop, units)
            self._layout.insertWidget(self._layout.count() - 1, entry)
            self.entries.append(entry)

    def _entry(self, hop: HopRow, units: Mapping[str, UnitChoice]) -> QFrame:
        system = hop.staff.employee_no is None
        kind = hop.action if hop.action in HOP_STYLES else "normal"
        border, background = HOP_STYLES[kind]
        frame = QFrame(self._container)
        frame.setObjectName("hop")
        frame.setProperty("action", hop.action)
        frame.setProperty("system", system)
        frame.setStyleSheet(
            f"QFrame#hop {{ border-left: 4px solid {border}; background: {background}; border-radius: 2px; }}"
        )
        where = html.escape(short(units, hop.from_unit.code, hop.from_unit.name))
        if hop.to_unit is not None:
            where += " → " + html.escape(short(units, hop.to_unit.code, hop.to_unit.name))
        label = html.escape(hop.action_label)
        if hop.action == "escalate":
            label = "⚠ " + label
        who = (
            f"<i>{html.escape(self.tr('系统'))}</i>"
            if system
            else html.escape(f"{hop.staff.name}（{hop.staff.employee_no}）")
        )
        head = QLabel(
            f"<span style='color:#6b7280'>{beijing(hop.at)}</span>　<b style='color:{border}'>{label}</b>　"
            f"{where}　<span style='color:#6b7280'>{who}</span>",
            frame,
        )
        head.setTextFormat(Qt.TextFormat.RichText)
        head.setWordWrap(True)
        layout = QVBoxLayout(frame)
        layout.setContentsMargins(8, 4, 6, 4)
        layout.setSpacing(2)
        layout.addWidget(head)
        if hop.comment:
            comment = QLabel(hop.comment, frame)
            comment.setObjectName("hopComment")
            comment.setWordWrap(True)
            comment.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            if system:
                font = QFont(comment.font())
                font.setItalic(True)
                comment.setFont(font)
            layout.addWidget(comment)
        frame.setToolTip(self.tr("第 {0} 步").format(hop.seq))
        return frame


def _badge(text: str, colours: tuple[str, str], parent: QWidget) -> QLabel:
    label = QLabel(text, parent)
    label.setStyleSheet(BADGE_STYLE.format(bg=colours[0], fg=colours[1]))
    return label


# --- the view ------------------------------------------------------------------------------------


class RequestView(QWidget):
    """Shows one request (``show_request``) and offers the identity's unit its actions."""

    #: the request shown is drawn (its number)
    loaded = Signal(str)
    #: an action succeeded (its name); the view reloads itself
    acted = Signal(str)

    def __init__(self, desk: RequestDesk, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.desk = desk
        self.number: str | None = None
        self.data: RequestViewData | None = None
        self.action_dialog: ActionDialog | None = None
        self.action_buttons: dict[str, QPushButton] = {}
        self._generation = 0
        self._own_change: str | None = None  # the number this view is announcing as changed right now
        self._build()
        desk.identity_holder.changed.connect(self._identity_changed)
        desk.changed.connect(self._changed_elsewhere)
        self.show_request(None)

    # --- construction --------------------------------------------------------------------------

    def _build(self) -> None:
        self.title_label = QLabel(self)
        self.title_label.setObjectName("requestTitle")
        self.title_label.setWordWrap(True)
        self.title_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        font = QFont(self.font())
        font.setPointSizeF(font.pointSizeF() * 1.25)
        font.setBold(True)
        self.title_label.setFont(font)
        self.account_label = QLabel(self)
        self.account_label.setObjectName("requestAccount")
        self.account_label.setTextFormat(Qt.TextFormat.RichText)
        self.account_label.linkActivated.connect(self.desk.account_requested.emit)
        self.account_label.setToolTip(self.tr("单击打开客户详情"))
        self.type_badge = _badge("", TYPE_BADGE, self)
        self.priority_badge = _badge("", PRIORITY_BADGES["normal"], self)
        self.state_badge = _badge("", STATE_BADGES["routing"], self)
        self.meta_label = QLabel(self)
        self.meta_label.setObjectName("requestMeta")
        self.meta_label.setWordWrap(True)
        set_muted(self.meta_label)
        self.deadline_label = QLabel(self)
        self.deadline_label.setObjectName("requestDeadline")
        self.deadline_label.setWordWrap(True)
        self.deadline_label.setTextFormat(Qt.TextFormat.RichText)

        self.notice = QLabel(self)
        self.notice.setObjectName("requestNotice")
        self.notice.setWordWrap(True)
        self.notice.setStyleSheet(NOTICE_STYLE)
        self.notice.hide()

        self.actions_label = QLabel(self)
        self.actions_label.setObjectName("actionsLabel")
        self.actions_label.setTextFormat(Qt.TextFormat.RichText)
        self.actions_label.setWordWrap(True)
        self.actions_label.linkActivated.connect(lambda _link: self.desk.choose_identity())
        self.actions_row = QHBoxLayout()
        self.actions_row.setSpacing(6)
        for action in ACTION_ORDER:
            button = QPushButton(self)
            button.setObjectName(f"action_{action}")
            button.clicked.connect(lambda _checked=False, a=action: self.start_action(a))
            button.hide()
            self.action_buttons[action] = button
            self.actions_row.addWidget(button)
        self.actions_row.addStretch(1)

        self.chart = RouteChart(self)
        self.chart_box = QGroupBox(self.tr("流转路径"), self)
        chart_layout = QVBoxLayout(self.chart_box)
        chart_layout.setContentsMargins(4, 4, 4, 4)
        chart_layout.addWidget(self.chart)

        self.timeline = Timeline(self)
        self.subtasks_table = QTableWidget(0, 7, self)
        self.subtasks_table.setObjectName("subtasksTable")
        self.subtasks_table.setHorizontalHeaderLabels(
            [
                self.tr("单位"),
                self.tr("子任务"),
                self.tr("状态"),
                self.tr("派发时间"),
                self.tr("时限"),
                self.tr("完成时间"),
                self.tr("回复"),
            ]
        )
        self.subtasks_table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.subtasks_table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.subtasks_table.verticalHeader().setVisible(False)
        self.subtasks_table.setWordWrap(True)
        header = self.subtasks_table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(6, QHeaderView.ResizeMode.Stretch)
        self.attachments = QListWidget(self)
        self.attachments.setObjectName("attachmentsList")
        self.attachments.itemDoubleClicked.connect(lambda item: self.open_attachment(item.text()))
        self.open_button = QPushButton(self.tr("打开"), self)
        self.open_button.setObjectName("openAttachment")
        self.open_button.setEnabled(False)
        self.open_button.clicked.connect(self._open_selected)
        self.attachments.itemSelectionChanged.connect(
            lambda: self.open_button.setEnabled(bool(self.attachments.selectedItems()))
        )
        attach_tab = QWidget(self)
        attach_layout = QVBoxLayout(attach_tab)
        attach_hint = QLabel(self.tr("附件为公司文件共享上的文件路径或链接，本系统只记录其位置。"), attach_tab)
        attach_hint.setWordWrap(True)
        set_muted(attach_hint)
        attach_buttons = QHBoxLayout()
        attach_buttons.addStretch(1)
        attach_buttons.addWidget(self.open_button)
        attach_layout.addWidget(attach_hint)
        attach_layout.addWidget(self.attachments, 1)
        attach_layout.addLayout(attach_buttons)
        self.description = QPlainTextEdit(self)
        self.description.setObjectName("requestDescription")
        self.description.setReadOnly(True)

        self.tabs = QTabWidget(self)
        self.tabs.setObjectName("requestTabs")
        self.tabs.addTab(self.timeline, self.tr("处理记录"))
        self.tabs.addTab(self.subtasks_table, self.tr("子任务"))
        self.tabs.addTab(attach_tab, self.tr("附件"))
        self.tabs.addTab(self.description, self.tr("说明"))

        self.body = QSplitter(Qt.Orientation.Horizontal, self)
        self.body.setObjectName("requestBody")
        self.body.setChildrenCollapsible(False)
        self.body.addWidget(self.chart_box)
        self.body.addWidget(self.tabs)
        self.body.setStretchFactor(0, 1)
        self.body.setStretchFactor(1, 1)
        self.body.setSizes([450, 550])  # proportions: the history reads better a little wider

        self.placeholder = QLabel(self.tr("选择一条服务请求查看详情。"), self)
        self.placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        set_muted(self.placeholder)

        badges = QHBoxLayout()
        badges.setSpacing(6)
        badges.addWidget(self.account_label)
        badges.addSpacing(6)
        badges.addWidget(self.type_badge)
        badges.addWidget(self.priority_badge)
        badges.addWidget(self.state_badge)
        badges.addStretch(1)
        self.content = QWidget(self)
        content = QVBoxLayout(self.content)
        content.setContentsMargins(0, 0, 0, 0)
        content.setSpacing(4)
        content.addWidget(self.title_label)
        content.addLayout(badges)
        content.addWidget(self.meta_label)
        content.addWidget(self.deadline_label)
        content.addWidget(self.notice)
        content.addWidget(self.actions_label)
        content.addLayout(self.actions_row)
        content.addWidget(self.body, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(self.placeholder, 1)
        layout.addWidget(self.content, 1)

    # --- loading -------------------------------------------------------------------------------

    def show_request(self, number: str | None, *, keep_notice: bool = False) -> None:
        """Show ``number`` (None: nothing); read in the background, a newer call wins."""
        if not keep_notice or number != self.number:
            self.notice.hide()
        self.number = number
        self._generation += 1
        if number is None:
            self.data = None
            self.placeholder.show()
            self.content.hide()
            return
        generation = self._generation
        db, now, units = self.desk.db, self.desk.now(), self.desk.units
        self.desk.tasks.read(
            lambda _progress: load_request(db, number, now, units),
            on_done=lambda data: self._loaded(generation, data),
            on_error=lambda exc: self._failed(generation, exc),
            busy_cursor=False,
            parent=self,
        )

    def reload(self, *, keep_notice: bool = False) -> None:
        self.show_request(self.number, keep_notice=keep_notice)

    def _identity_changed(self, _identity) -> None:
        self._show_actions()

    def _changed_elsewhere(self, number: str) -> None:
        """Another screen raised or acted on a request: show the news if it is this one."""
        if number == self.number and number != self._own_change:
            self.reload(keep_notice=True)

    def _announce(self, number: str) -> None:
        self._own_change = number
        try:
            self.desk.notify_changed(number)
        finally:
            self._own_change = None

    def _failed(self, generation: int, exc: BaseException) -> None:
        if not isValid(self) or generation != self._generation:
            return
        self.data = None
        self.placeholder.setText(self.tr("无法读取请求：{0}").format(getattr(exc, "zh", None) or str(exc)))
        self.placeholder.show()
        self.content.hide()

    def _loaded(self, generation: int, data: RequestViewData) -> None:
        if not isValid(self) or generation != self._generation:
            return  # a newer request was asked for meanwhile
        if self.desk.units is None:
            self.desk.units = data.units
        self.data = data
        d, units = data.detail, data.units
        self.placeholder.hide()
        self.content.show()
        self.title_label.setText(f"{d.number}　{d.title}")
        self.account_label.setText(
            self.tr('客户：<a href="{0}">{1}（{0}）</a>').format(
                html.escape(d.account.customer_no), html.escape(d.account.name)
            )
        )
        self.type_badge.setText(d.type_label)
        self.priority_badge.setText(d.priority_label)
        self.priority_badge.setStyleSheet(
            BADGE_STYLE.format(bg=PRIORITY_BADGES[d.priority][0], fg=PRIORITY_BADGES[d.priority][1])
        )
        self.state_badge.setText(d.state_label)
        self.state_badge.setStyleSheet(BADGE_STYLE.format(bg=STATE_BADGES[d.state][0], fg=STATE_BADGES[d.state][1]))
        self.meta_label.setText(
            self.tr("发起：{0} · {1} · {2}　　协调单位：{3}　　涉及：{4}").format(
                d.raising_unit.name,
                d.raised_by.name,
                beijing(d.raised_at),
                d.coordinator.name,
                "、".join(short(units, u.code, u.name) for u in d.involved),
            )
        )
        self.deadline_label.setText(self._deadline_text(d, data.now))
        self.chart.set_route(route_data(d, units))
        self.timeline.set_hops(d.hops, units)
        self._fill_subtasks(d, data.now)
        self.attachments.clear()
        for attachment in d.attachments:
            item = QListWidgetItem(attachment.reference, self.attachments)
            item.setToolTip(self.tr("{0} 于 {1} 添加").format(attachment.added_by.name, beijing(attachment.added_at)))
        self.description.setPlainText(d.description or self.tr("（无说明）"))
        self.tabs.setTabText(0, self.tr("处理记录 {0}").format(len(d.hops)))
        self.tabs.setTabText(1, self.tr("子任务 {0}").format(len(d.subtasks)))
        self.tabs.setTabText(2, self.tr("附件 {0}").format(len(d.attachments)))
        self._show_actions()
        self.loaded.emit(d.number)

    def _deadline_text(self, d: RequestDetail, now: dt.datetime) -> str:
        if d.state == "closed":
            return self.tr("已于 {0} 关闭").format(beijing(d.closed_at))
        if d.state == "cancelled":
            return self.tr("已于 {0} 撤销").format(beijing(d.closed_at))
        who = "、".join(
            f"{short(self.data.units if self.data else {}, n.unit.code, n.unit.name)} {n.action_label}" for n in d.next
        )
        text = self.tr("当前阶段：{0}（{1}）　时限 {2}（北京时间）").format(
            d.stage_label, html.escape(who), beijing(d.due_at)
        )
        remaining = due_text(d.due_at, now)
        if d.overdue:
            remaining = self.tr("已超时 {0}").format(_amount(d.overdue_hours))
            text += f"　<b style='color:{OVERDUE_COLOUR}'>{html.escape(remaining)}</b>"
            if d.escalation_level:
                text += self.tr("　已升级 {0} 次").format(d.escalation_level)
        elif remaining:
            text += "　" + html.escape(remaining)
        return text

    def _fill_subtasks(self, d: RequestDetail, now: dt.datetime) -> None:
        table = self.subtasks_table
        table.setRowCount(len(d.subtasks))
        units = self.data.units if self.data else {}
        for row, sub in enumerate(d.subtasks):
            state = sub.state_label
            if sub.overdue:
                state += self.tr(" · 已超时 {0}").format(_amount(sub.overdue_hours))
            values = [
                short(units, sub.unit.code, sub.unit.name),
                sub.kind,
                state,
                beijing(sub.dispatched_at),
                beijing(sub.due_at),
                beijing(sub.done_at),
                sub.reply or "",
            ]
            for column, value in enumerate(values):
                item = QTableWidgetItem(value)
                item.setToolTip(sub.unit.name if column == 0 else value)
                if sub.overdue and column in (2, 4):
                    item.setForeground(QColor(OVERDUE_COLOUR))
                if sub.state == "cancelled":
                    item.setForeground(QColor("#9ca3af"))
                table.setItem(row, column, item)
        table.resizeRowsToContents()

    # --- actions -------------------------------------------------------------------------------

    def offered_actions(self) -> list[str]:
        """The actions whose buttons show now."""
        return [a for a, b in self.action_buttons.items() if not b.isHidden()]

    def _show_actions(self) -> None:
        identity = self.desk.identity
        data = self.data
        for button in self.action_buttons.values():
            button.hide()
        if data is None:
            self.actions_label.clear()
            return
        if identity is None:
            self.actions_label.setText(
                self.tr('要处理此请求，请先<a href="choose">选择您的身份</a>（文件 → 切换当前身份…）。')
            )
            return
        actions = available_actions(data.detail, identity.unit_code, data.units)
        me = html.escape(f"{identity.unit_short_name} · {identity.name}")
        if not actions:
            self.actions_label.setText(self.tr("您（{0}）现在无需处理此请求。").format(me))
            return
        self.actions_label.setText(self.tr("您（{0}）可以：").format(me))
        for action in actions:
            button = self.action_buttons[action]
            button.setText(self._button_text(action, data))
            button.show()

    def _button_text(self, action: str, data: RequestViewData) -> str:
        d = data.detail
        if action == "forward":
            route = [s.code for s in d.route]
            at = route.index(d.holder.code) if d.holder.code in route else 0
            upper = route[min(at + 1, len(route) - 1)]
            return self.tr("上报至{0}…").format(short(data.units, upper))
        texts = {
            "accept": self.tr("受理…"),
            "dispatch": self.tr("派发子任务…"),
            "reply": self.tr("回复处理结果…"),
            "resolve": self.tr("解决…"),
            "confirm": self.tr("确认关闭…"),
            "reassign": self.tr("改派…"),
            "return": self.tr("退回…"),
            "urge": self.tr("督办…"),
            "comment": self.tr("备注…"),
            "cancel": self.tr("撤销请求…"),
        }
        return texts[action]

    def start_action(self, action: str) -> ActionDialog | None:
        """Open the dialog for ``action``; the action runs when it is confirmed."""
        if self.data is None:
            return None
        if not self.desk.ensure_identity(self):
            return None
        if self.action_dialog is not None:
            self.action_dialog.close()
        dialog = ActionDialog(
            action,
            self.data.detail,
            self.data.units,
            self,
            button_text=self._button_text(action, self.data).rstrip("…"),
        )
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, True)
        # the action applies to the request as the dialog showed it, even if the view reloads meanwhile
        dialog.number, dialog.version = self.data.detail.number, self.data.detail.version
        dialog.submitted.connect(lambda: self._run(dialog))
        dialog.destroyed.connect(lambda _obj=None: self._dialog_gone(dialog))
        self.action_dialog = dialog
        dialog.open()
        return dialog

    def _dialog_gone(self, dialog: ActionDialog) -> None:
        if self.action_dialog is dialog:
            self.action_dialog = None

    def _run(self, dialog: ActionDialog) -> None:
        identity = self.desk.identity
        if identity is None:
            dialog.reject()
            self.desk.ensure_identity(self)
            return
        dialog.set_busy(True)
        db = self.desk.db
        number, version = dialog.number, dialog.version
        action, text, unit, to_unit = dialog.action, dialog.text() or None, dialog.unit(), dialog.to_unit()
        as_staff, now = identity.employee_no, self.desk.now()

        def work(_progress):
            with db.engine.begin() as conn:
                return act_on_shown(
                    conn,
                    number=number,
                    version=version,
                    action=action,
                    as_staff=as_staff,
                    text=text,
                    unit=unit,
                    to_unit=to_unit,
                    now=now,
                )

        self.desk.tasks.write(
            work,
            on_done=lambda _result: self._acted(dialog, action, number),
            on_error=lambda exc: self._refused(dialog, exc, number),
            label=self.tr("正在保存…"),
            parent=self,
        )

    def _acted(self, dialog: ActionDialog, action: str, number: str) -> None:
        if not isValid(self):  # the window closed while saving: others still hear of it
            self.desk.notify_changed(number)
            return
        if self._alive(dialog):
            dialog.accept()
        self.reload()
        self.acted.emit(action)
        self._announce(number)

    def _refused(self, dialog: ActionDialog, exc: BaseException, number: str) -> None:
        if not isValid(self):
            return
        alive = self._alive(dialog)
        if isinstance(exc, RequestChanged):
            if alive:
                dialog.reject()
            self.notice.setText(exc.zh + self.tr(" 下面已是最新状态。"))
            self.notice.show()
            self.reload(keep_notice=True)
            self._announce(number)
            return
        if isinstance(exc, KamError) and alive:
            dialog.set_busy(False)
            dialog.show_error(exc.zh)
            return
        if alive:
            dialog.set_busy(False)
        show_error(self, exc, self.tr("操作失败"))

    @staticmethod
    def _alive(dialog: ActionDialog) -> bool:
        return isValid(dialog) and dialog.isVisible()

    # --- attachments ---------------------------------------------------------------------------

    def _open_selected(self) -> None:
        items = self.attachments.selectedItems()
        if items:
            self.open_attachment(items[0].text())

    def open_attachment(self, reference: str) -> bool:
        url = QUrl(reference) if "://" in reference else QUrl.fromLocalFile(reference)
        if QDesktopServices.openUrl(url):
            return True
        QMessageBox.warning(
            self,
            self.tr("无法打开附件"),
            self.tr("无法打开 {0}。\n文件可能已移动，或本机无法访问该共享位置。").format(reference),
        )
        return False


class RequestWindow(QDialog):
    """A request in its own non-modal window (double-click in a list, or after raising it)."""

    def __init__(self, desk: RequestDesk, number: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setModal(False)
        self.setWindowFlag(Qt.WindowType.WindowMinMaxButtonsHint, True)
        self.setWindowTitle(self.tr("服务请求 {0}").format(number))
        self.view = RequestView(desk, self)
        self.view.loaded.connect(self._titled)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.view)
        self.resize(1100, 760)
        self.view.show_request(number)

    def _titled(self, _number: str) -> None:
        d = self.view.data.detail if self.view.data else None
        if d is not None:
            self.setWindowTitle(self.tr("服务请求 {0} · {1}").format(d.number, d.account.name))
