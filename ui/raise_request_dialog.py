"""Raising a service request (发起服务请求): the account, type, priority, title, description, the units
involved and file references — with the route it will take shown live as the units change.

The units involved are offered from the account itself: its serving city and the A and Z ends of its
services (``request_ui_support.request_account``), as ticks; 从组织中选择… adds any city or county (by
name, code or pinyin initials). The route preview is the core's routing rule (``plan_route``), read in the
background a moment after each change — a newer change wins. The request is raised from the current
identity's unit, as that person; bad input is refused next to its field, the core's refusals too.

``UnitPickerDialog`` is the organisation picker; the request view uses it for 改派 as well.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)
from shiboken6 import isValid

from kam_console.db import Database
from kam_console.errors import KamError
from kam_console.models import REQUEST_PRIORITIES, REQUEST_PRIORITY_LABELS, REQUEST_TYPE_LABELS, REQUEST_TYPES
from kam_console.services.accounts import AccountQuery, list_accounts
from kam_console.services.catalogues import UnitChoice, list_units
from kam_console.services.request_ui_support import RequestAccount, request_account
from kam_console.services.service_requests import INVOLVED_LEVELS, MAX_TEXT, plan_route, raise_request
from kam_console.services.staff import Identity
from ui.staff_dialogs import ERROR_STYLE, _Field
from ui.style import set_muted
from ui.tasks import BackgroundTasks, show_error

CodeRole = Qt.ItemDataRole.UserRole + 1
MAX_TITLE = 200
MAX_ATTACHMENT = 500
SEARCH_LIMIT = 30
SEARCH_DELAY_MS = 250
PREVIEW_DELAY_MS = 150


class UnitPickerDialog(QDialog):
    """Pick one or several units by name, code or pinyin initials (e.g. ``gz`` for 广州)."""

    def __init__(
        self,
        units: Sequence[UnitChoice],
        *,
        title: str,
        multi: bool = True,
        chosen: Sequence[str] = (),
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.units = list(units)
        self.multi = multi
        self.search = QLineEdit(self)
        self.search.setObjectName("unitSearch")
        self.search.setPlaceholderText(self.tr("按名称、代码或拼音首字母查找，例如：广州、440100、gz"))
        self.search.setClearButtonEnabled(True)
        self.list = QListWidget(self)
        self.list.setObjectName("unitList")
        self.list.setSelectionMode(
            QAbstractItemView.SelectionMode.NoSelection if multi else QAbstractItemView.SelectionMode.SingleSelection
        )
        parents = {u.code: u for u in self.units}
        for unit in self.units:
            upper = unit.path.split("/")[-2] if "/" in unit.path else ""
            where = parents[upper].short_name if upper in parents else ""
            item = QListWidgetItem(f"{unit.short_name}（{unit.code}）" + (f"　{where}" if where else ""), self.list)
            item.setData(CodeRole, unit.code)
            item.setToolTip(unit.name)
            if multi:
                item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
                item.setCheckState(Qt.CheckState.Checked if unit.code in chosen else Qt.CheckState.Unchecked)
        self.empty = QLabel(self.tr("没有匹配的单位"), self)
        set_muted(self.empty)
        self.empty.hide()
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText(self.tr("确定"))
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setText(self.tr("取消"))
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        self.search.textChanged.connect(self._filter)
        if not multi:
            self.list.itemDoubleClicked.connect(lambda _item: self.accept())
        layout = QVBoxLayout(self)
        layout.addWidget(self.search)
        layout.addWidget(self.list, 1)
        layout.addWidget(self.empty)
        layout.addWidget(self.buttons)
        self.resize(420, 480)

    def _filter(self, text: str) -> None:
        needle = text.strip().lower()
        shown = 0
        for row, unit in enumerate(self.units):
            hay = f"{unit.short_name} {unit.name} {unit.code} {unit.initials}".lower()
            hidden = bool(needle) and needle not in hay
            self.list.item(row).setHidden(hidden)
            shown += not hidden
        self.empty.setVisible(shown == 0)
        if not self.multi and shown:
            first = next(r for r in range(self.list.count()) if not self.list.item(r).isHidden())
            self.list.setCurrentRow(first)

    def chosen(self) -> list[str]:
        if self.multi:
            return [
                self.list.item(r).data(CodeRole)
                for r in range(self.list.count())
                if self.list.item(r).checkState() == Qt.CheckState.Checked
            ]
        items = [i for i in self.list.selectedItems() if not i.isHidden()]
        return [items[0].data(CodeRole)] if items else []

    def check(self, code: str, checked: bool = True) -> None:
        for r in range(self.list.count()):
            item = self.list.item(r)
            if item.data(CodeRole) == code:
                if self.multi:
                    item.setCheckState(Qt.CheckState.Checked if checked else Qt.CheckState.Unchecked)
                else:
                    self.list.setCurrentItem(item)


def _search_accounts(db: Database, text: str):
    with db.engine.connect() as conn:
        return list_accounts(conn, AccountQuery(search=text), limit=SEARCH_LIMIT).rows


def _load_account(db: Database, customer_no: str) -> RequestAccount:
    with db.engine.connect() as conn:
        return request_account(conn, customer_no=customer_no)


def _load_units(db: Database) -> list[UnitChoice]:
    with db.engine.connect() as conn:
        return list_units(conn)


class RaiseRequestDialog(QDialog):
    """Raise a request as ``identity`` from their unit; emits ``raised(number)`` once saved."""

    raised = Signal(str)
    #: the route preview was (re)drawn — tests and screenshots wait on it
    preview_shown = Signal(str)
    #: the chosen account's units arrived
    account_loaded = Signal(str)

    def __init__(
        self,
        db: Database,
        tasks: BackgroundTasks,
        identity: Identity,
        *,
        customer_no: str | None = None,
        clock: Callable[[], dt.datetime] | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.db = db
        self.tasks = tasks
        self.identity = identity
        self.clock = clock or (lambda: dt.datetime.now(dt.UTC))
        self.account: RequestAccount | None = None
        self.units: dict[str, UnitChoice] = {}
        self.unit_boxes: dict[str, QCheckBox] = {}
        self._search_generation = 0
        self._preview_generation = 0
        self._account_generation = 0
        self.setWindowTitle(self.tr("发起服务请求"))
        self._build()
        self.tasks.read(lambda _p: _load_units(db), on_done=self._units_loaded, busy_cursor=False, parent=self)
        if customer_no:
            self.choose_account(customer_no)
        self._update_preview_now()

    # --- construction --------------------------------------------------------------------------

    def _build(self) -> None:
        intro = QLabel(
            self.tr("以 <b>{0}</b> 的名义，由 <b>{1}</b> 发起。").format(self.identity.name, self.identity.unit_name),
            self,
        )
        intro.setObjectName("raiseIntro")
        intro.setTextFormat(Qt.TextFormat.RichText)

        self.account_search = QLineEdit(self)
        self.account_search.setObjectName("accountSearch")
        self.account_search.setPlaceholderText(self.tr("输入客户编号、名称或拼音首字母查找"))
        self.account_search.setClearButtonEnabled(True)
        self.account_results = QListWidget(self)
        self.account_results.setObjectName("accountResults")
        self.account_results.setMaximumHeight(self.fontMetrics().height() * 7)
        self.account_results.hide()
        self.account_chosen = QLabel(self)
        self.account_chosen.setObjectName("accountChosen")
        self.account_chosen.setWordWrap(True)
        self.account_chosen.hide()
        self.change_account = QPushButton(self.tr("更换客户"), self)
        self.change_account.hide()
        account_box = QWidget(self)
        account_layout = QVBoxLayout(account_box)
        account_layout.setContentsMargins(0, 0, 0, 0)
        account_layout.setSpacing(2)
        chosen_row = QHBoxLayout()
        chosen_row.addWidget(self.account_chosen, 1)
        chosen_row.addWidget(self.change_account)
        account_layout.addWidget(self.account_search)
        account_layout.addLayout(chosen_row)
        account_layout.addWidget(self.account_results)
        self.account_field = _Field(account_box, self)

        self.type_combo = QComboBox(self)
        self.type_combo.setObjectName("requestType")
        for code in REQUEST_TYPES:
            self.type_combo.addItem(REQUEST_TYPE_LABELS[code], code)
        self.priority_combo = QComboBox(self)
        self.priority_combo.setObjectName("requestPriority")
        for code in REQUEST_PRIORITIES:
            self.priority_combo.addItem(REQUEST_PRIORITY_LABELS[code], code)
        self.priority_combo.setCurrentIndex(REQUEST_PRIORITIES.index("normal"))
        kind_row = QHBoxLayout()
        kind_row.addWidget(self.type_combo)
        kind_row.addSpacing(12)
        kind_row.addWidget(QLabel(self.tr("优先级："), self))
        kind_row.addWidget(self.priority_combo)
        kind_row.addStretch(1)

        self.title_edit = QLineEdit(self)
        self.title_edit.setObjectName("requestTitleEdit")
        self.title_edit.setMaxLength(MAX_TITLE)
        self.title_field = _Field(self.title_edit, self)
        self.description_edit = QPlainTextEdit(self)
        self.description_edit.setObjectName("requestDescriptionEdit")
        self.description_edit.setTabChangesFocus(True)
        self.description_edit.setPlaceholderText(self.tr("客户的诉求、电路或业务号码、联系人和时间要求等"))
        self.description_edit.setMinimumHeight(self.fontMetrics().height() * 4)
        self.description_edit.setMaximumHeight(self.fontMetrics().height() * 7)
        self.description_field = _Field(self.description_edit, self)

        self.units_hint = QLabel(self.tr("请先选择客户：将列出其服务地市和各业务的 A、Z 端所在地市。"), self)
        self.units_hint.setWordWrap(True)
        set_muted(self.units_hint)
        self.units_layout = QVBoxLayout()
        self.units_layout.setSpacing(2)
        self.pick_units = QPushButton(self.tr("从组织中选择…"), self)
        self.pick_units.setObjectName("pickUnits")
        self.pick_units.clicked.connect(self.pick_from_organisation)
        units_box = QWidget(self)
        units_layout = QVBoxLayout(units_box)
        units_layout.setContentsMargins(0, 0, 0, 0)
        units_layout.setSpacing(2)
        units_layout.addWidget(self.units_hint)
        units_layout.addLayout(self.units_layout)
        pick_row = QHBoxLayout()
        pick_row.addWidget(self.pick_units)
        pick_row.addStretch(1)
        units_layout.addLayout(pick_row)
        self.units_field = _Field(units_box, self)

        self.preview = QLabel(self)
        self.preview.setObjectName("routePreview")
        self.preview.setWordWrap(True)
        self.preview.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Minimum)
        self.preview.setMinimumWidth(self.fontMetrics().horizontalAdvance("协") * 30)
        self.preview.setTextFormat(Qt.TextFormat.PlainText)
        bold = QFont(self.preview.font())
        bold.setBold(True)
        self.preview.setFont(bold)
        self.preview.setStyleSheet("background: #eff6ff; border: 1px solid #bfdbfe; border-radius: 4px; padding: 6px;")

        self.attachments = QListWidget(self)
        self.attachments.setObjectName("attachmentPaths")
        self.attachments.setFixedHeight(self.fontMetrics().height() * 4)
        self.add_attachment = QPushButton(self.tr("添加文件…"), self)
        self.add_attachment.clicked.connect(self.browse_attachments)
        self.remove_attachment = QPushButton(self.tr("移除"), self)
        self.remove_attachment.clicked.connect(self._remove_attachment)
        attach_hint = QLabel(self.tr("只记录文件的路径（建议放在公司文件共享上），文件本身不上传。"), self)
        set_muted(attach_hint)
        attach_box = QWidget(self)
        attach_layout = QVBoxLayout(attach_box)
        attach_layout.setContentsMargins(0, 0, 0, 0)
        attach_layout.setSpacing(2)
        attach_row = QHBoxLayout()
        attach_buttons = QVBoxLayout()
        attach_buttons.addWidget(self.add_attachment)
        attach_buttons.addWidget(self.remove_attachment)
        attach_buttons.addStretch(1)
        attach_row.addWidget(self.attachments, 1)
        attach_row.addLayout(attach_buttons)
        attach_layout.addLayout(attach_row)
        attach_layout.addWidget(attach_hint)
        self.attachments_field = _Field(attach_box, self)

        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.ExpandingFieldsGrow)
        form.addRow(self.tr("客户："), self.account_field)
        form.addRow(self.tr("类型："), kind_row)
        form.addRow(self.tr("标题："), self.title_field)
        form.addRow(self.tr("说明："), self.description_field)
        form.addRow(self.tr("涉及单位："), self.units_field)
        form.addRow(self.tr("流转路径："), self.preview)
        form.addRow(self.tr("附件："), self.attachments_field)

        self.general_error = QLabel(self)
        self.general_error.setObjectName("raiseError")
        self.general_error.setStyleSheet(ERROR_STYLE)
        self.general_error.setWordWrap(True)
        self.general_error.hide()
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        self.ok_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok_button.setText(self.tr("发起"))
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setText(self.tr("取消"))
        self.buttons.accepted.connect(self.submit)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addStretch(1)
        layout.addWidget(self.general_error)
        layout.addWidget(self.buttons)
        self.resize(780, 580)

        self._search_timer = QTimer(self)
        self._search_timer.setSingleShot(True)
        self._search_timer.setInterval(SEARCH_DELAY_MS)
        self._search_timer.timeout.connect(self._search)
        self._preview_timer = QTimer(self)
        self._preview_timer.setSingleShot(True)
        self._preview_timer.setInterval(PREVIEW_DELAY_MS)
        self._preview_timer.timeout.connect(self._update_preview_now)
        self.account_search.textEdited.connect(lambda _text: self._search_timer.start())
        self.account_search.returnPressed.connect(self._search)
        self.account_results.itemActivated.connect(self._result_chosen)
        self.account_results.itemClicked.connect(self._result_chosen)
        self.change_account.clicked.connect(self._change_account)
        self.type_combo.currentIndexChanged.connect(self._sync_title_hint)
        self._sync_title_hint()

    # --- the account ---------------------------------------------------------------------------

    def _search(self) -> None:
        self._search_timer.stop()
        text = self.account_search.text().strip()
        self._search_generation += 1
        if not text:
            self.account_results.clear()
            self.account_results.hide()
            return
        generation = self._search_generation
        db = self.db
        self.tasks.read(
            lambda _p: _search_accounts(db, text),
            on_done=lambda rows: self._results(generation, rows),
            busy_cursor=False,
            parent=self,
        )

    def _results(self, generation: int, rows) -> None:
        if not isValid(self) or generation != self._search_generation:
            return
        self.account_results.clear()
        for row in rows:
            item = QListWidgetItem(f"{row.customer_no}　{row.name}　{row.serving_city}", self.account_results)
            item.setData(CodeRole, row.customer_no)
        if not rows:
            item = QListWidgetItem(self.tr("没有找到匹配的客户"), self.account_results)
            item.setFlags(Qt.ItemFlag.NoItemFlags)
        self.account_results.show()

    def _result_chosen(self, item: QListWidgetItem) -> None:
        code = item.data(CodeRole)
        if code:
            self.choose_account(code)

    def choose_account(self, customer_no: str) -> None:
        """Take ``customer_no`` as the account and offer its cities as the units involved."""
        self._account_generation += 1
        generation = self._account_generation
        self.account_field.show_error("")
        self.account_results.hide()
        db = self.db
        self.tasks.read(
            lambda _p: _load_account(db, customer_no),
            on_done=lambda account: self._account_loaded(generation, account),
            on_error=lambda exc: self._account_failed(generation, exc),
            busy_cursor=False,
            parent=self,
        )

    def _account_failed(self, generation: int, exc: BaseException) -> None:
        if isValid(self) and generation == self._account_generation:
            self.account_field.show_error(getattr(exc, "zh", None) or str(exc))

    def _account_loaded(self, generation: int, account: RequestAccount) -> None:
        if not isValid(self) or generation != self._account_generation:
            return
        self.account = account
        self.account_search.hide()
        self.account_chosen.setText(
            self.tr("{0}（{1}）　服务地市：{2}").format(account.name, account.customer_no, account.serving_city_name)
        )
        self.account_chosen.show()
        self.change_account.show()
        keep = {code for code, box in self.unit_boxes.items() if box.isChecked() and not box.property("offered")}
        self._clear_units()
        for end in account.ends:
            if end.level not in INVOLVED_LEVELS:
                continue
            role = self.tr("服务地市") if end.serving else ""
            detail = end.services[0] if end.services else ""
            if len(end.services) > 1:
                detail += self.tr(" 等 {0} 条业务").format(len(end.services))
            text = f"{end.short_name}（{end.code}）"
            parts = [p for p in (role, detail) if p]
            if parts:
                text += "　" + " · ".join(parts)
            self._add_unit_box(end.code, text, checked=end.serving, offered=True, tooltip="\n".join(end.services))
        for code in sorted(keep):
            self._add_picked(code)
        self.units_hint.setText(self.tr("勾选这个请求涉及的地市（如电路的 A、Z 端）；不在列表中的，从组织中选择。"))
        self._sync_title_hint()
        self._schedule_preview()
        self.account_loaded.emit(account.customer_no)

    def _change_account(self) -> None:
        self.account = None
        self._account_generation += 1
        self.account_chosen.hide()
        self.change_account.hide()
        self.account_search.show()
        self.account_search.setFocus()
        self.account_search.selectAll()
        self._sync_title_hint()

    def _sync_title_hint(self, _index: int = -1) -> None:
        label = REQUEST_TYPE_LABELS[self.type_combo.currentData()]
        name = self.account.name if self.account else self.tr("客户名称")
        self.title_edit.setPlaceholderText(self.tr("留空则为：{0}：{1}").format(label, name))

    # --- the units involved --------------------------------------------------------------------

    def _units_loaded(self, units: list[UnitChoice]) -> None:
        if not isValid(self):
            return
        self.units = {u.code: u for u in units}
        self._schedule_preview()

    def _clear_units(self) -> None:
        for box in self.unit_boxes.values():
            self.units_layout.removeWidget(box)
            box.deleteLater()
        self.unit_boxes.clear()

    def _add_unit_box(self, code: str, text: str, *, checked: bool, offered: bool, tooltip: str = "") -> QCheckBox:
        box = QCheckBox(text, self)
        box.setObjectName(f"unit_{code}")
        box.setProperty("offered", offered)
        box.setChecked(checked)
        box.setToolTip(tooltip)
        box.toggled.connect(lambda _checked: self._schedule_preview())
        self.units_layout.addWidget(box)
        self.unit_boxes[code] = box
        return box

    def _add_picked(self, code: str) -> None:
        box = self.unit_boxes.get(code)
        if box is not None:
            box.setChecked(True)
            return
        unit = self.units.get(code)
        text = f"{unit.short_name}（{code}）" if unit else code
        self._add_unit_box(
            code, text + self.tr("　从组织中选择"), checked=True, offered=False, tooltip=unit.name if unit else ""
        )
        self._schedule_preview()

    def chosen_units(self) -> list[str]:
        return [code for code, box in self.unit_boxes.items() if box.isChecked()]

    def set_units(self, codes: Sequence[str]) -> None:
        """Tick exactly ``codes`` (adding any not offered)."""
        for code, box in self.unit_boxes.items():
            box.setChecked(code in codes)
        for code in codes:
            self._add_picked(code)

    def make_picker(self) -> UnitPickerDialog:
        choices = [u for u in self.units.values() if u.level in INVOLVED_LEVELS]
        return UnitPickerDialog(choices, title=self.tr("选择涉及单位"), chosen=self.chosen_units(), parent=self)

    def pick_from_organisation(self) -> None:
        dialog = self.make_picker()
        try:
            if dialog.exec() != QDialog.DialogCode.Accepted:
                return
            chosen = dialog.chosen()
        finally:
            dialog.deleteLater()
        for code, box in self.unit_boxes.items():
            if code not in chosen:
                box.setChecked(False)
        for code in chosen:
            self._add_picked(code)
        self._schedule_preview()

    # --- the route preview ---------------------------------------------------------------------

    def _schedule_preview(self) -> None:
        self._preview_timer.start()

    def _update_preview_now(self) -> None:
        self._preview_timer.stop()
        self._preview_generation += 1
        codes = self.chosen_units()
        if not codes:
            self._show_preview(self.tr("选择涉及单位后，这里显示请求的协调单位和上报路径。"))
            return
        generation = self._preview_generation
        db, raising = self.db, self.identity.unit_code

        def work(_p):
            with db.engine.connect() as conn:
                return plan_route(conn, raising=raising, units=codes)

        self.tasks.read(
            work,
            on_done=lambda route: self._previewed(generation, route),
            on_error=lambda exc: self._preview_failed(generation, exc),
            busy_cursor=False,
            parent=self,
        )

    def _name(self, code: str, *, full: bool = False) -> str:
        unit = self.units.get(code)
        if unit is None:
            return code
        return unit.name if full else unit.short_name

    def _previewed(self, generation: int, route) -> None:
        if not isValid(self) or generation != self._preview_generation:
            return
        self.units_field.show_error("")
        coordinator = self._name(route.coordinator, full=True)
        if len(route.route) == 1:
            text = self.tr("协调单位：{0}；本单位直接协调处理，无需上报").format(coordinator)
        else:
            path = " → ".join(self._name(c) for c in route.route)
            text = self.tr("协调单位：{0}；上报路径：{1}").format(coordinator, path)
        self._show_preview(text)

    def _preview_failed(self, generation: int, exc: BaseException) -> None:
        if not isValid(self) or generation != self._preview_generation:
            return
        self._show_preview(self.tr("无法确定流转路径"))
        self.units_field.show_error(getattr(exc, "zh", None) or str(exc))

    def _show_preview(self, text: str) -> None:
        self.preview.setText(text)
        self.preview_shown.emit(text)

    # --- attachments ---------------------------------------------------------------------------

    def browse_attachments(self) -> None:
        paths, _filter = QFileDialog.getOpenFileNames(self, self.tr("选择附件（只记录路径）"))
        for path in paths:
            self.add_attachment_path(path)

    def add_attachment_path(self, path: str) -> None:
        path = path.strip()
        if not path:
            return
        if len(path) > MAX_ATTACHMENT:
            self.attachments_field.show_error(self.tr("文件路径太长（最多 {0} 个字符）").format(MAX_ATTACHMENT))
            return
        if path in self.attachment_paths():
            return
        self.attachments_field.show_error("")
        QListWidgetItem(path, self.attachments).setToolTip(path)

    def attachment_paths(self) -> list[str]:
        return [self.attachments.item(r).text() for r in range(self.attachments.count())]

    def _remove_attachment(self) -> None:
        for item in self.attachments.selectedItems():
            self.attachments.takeItem(self.attachments.row(item))

    # --- raising -------------------------------------------------------------------------------

    def _clear_errors(self) -> None:
        for field in (
            self.account_field,
            self.title_field,
            self.description_field,
            self.units_field,
            self.attachments_field,
        ):
            field.show_error("")
        self.general_error.hide()

    def submit(self) -> None:
        """Check the form, then raise the request in the background (the dialog closes once saved)."""
        self._clear_errors()
        ok = True
        if self.account is None:
            self.account_field.show_error(self.tr("请选择客户"))
            ok = False
        if not self.chosen_units():
            self.units_field.show_error(self.tr("至少勾选一个涉及的地市或区县"))
            ok = False
        description = self.description_edit.toPlainText().strip()
        if len(description) > MAX_TEXT:
            self.description_field.show_error(
                self.tr("说明太长（{0} 字，最多 {1} 字）").format(len(description), MAX_TEXT)
            )
            ok = False
        if not ok:
            return
        self.ok_button.setEnabled(False)
        db = self.db
        args = dict(
            account=self.account.customer_no,
            type_=self.type_combo.currentData(),
            priority=self.priority_combo.currentData(),
            units=self.chosen_units(),
            as_staff=self.identity.employee_no,
            title=self.title_edit.text().strip() or None,
            text=description or None,
            attachments=self.attachment_paths(),
            now=self.clock(),
        )

        def work(_p):
            with db.engine.begin() as conn:
                return raise_request(conn, **args)

        self.tasks.write(
            work,
            on_done=self._raised,
            on_error=self._refused,
            label=self.tr("正在发起服务请求…"),
            parent=self,
        )

    def _raised(self, result) -> None:
        if not isValid(self):
            return
        self.number = result.number
        self.accept()
        self.raised.emit(result.number)

    def _refused(self, exc: BaseException) -> None:
        if not isValid(self):
            return
        self.ok_button.setEnabled(True)
        if not isinstance(exc, KamError):
            show_error(self, exc, self.tr("发起失败"))
            return
        message = exc.zh
        if "附件" in message:
            self.attachments_field.show_error(message)
        elif "说明" in message:
            self.description_field.show_error(message)
        elif "单位" in message:
            self.units_field.show_error(message)
        elif "客户" in message:
            self.account_field.show_error(message)
        else:
            self.general_error.setText(message)
            self.general_error.show()
