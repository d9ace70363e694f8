"""Creating and editing an account, and changing its responsible customer manager.

:class:`AccountEditDialog` is the form (each field with its red message underneath),
:class:`ReassignDialog` chooses the new responsible manager, and :class:`AccountEditor` opens them and runs
the saves in the background through ``kam_console.services.account_edit``. A rejected save keeps the form
open with the messages next to the fields; a save over someone else's newer changes lists what they
changed, saves nothing and reloads the account.
"""

from __future__ import annotations

import re

from PySide6.QtCore import QCoreApplication, QObject, QSortFilterProxyModel, Qt, Signal
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import (
    QComboBox,
    QCompleter,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QVBoxLayout,
    QWidget,
)

from kam_console.models import ACCOUNT_LEVEL_LABELS, ACCOUNT_STATUS_LABELS, OWNER_LEVEL_OF
from kam_console.services.account_edit import (
    FIELD_LABELS,
    AccountInput,
    AccountInvalid,
    AccountState,
    StaleAccount,
    create_account,
    load_account,
    reassign_manager,
    update_account,
)
from kam_console.services.assignment import ManagerCandidate, account_manager_candidates
from kam_console.services.catalogues import UnitChoice, industry_choices, list_units
from ui.staff_dialogs import ERROR_STYLE, _Field
from ui.tasks import show_error

UNASSIGNED = "暂不指定（未分配）"
SearchRole = Qt.ItemDataRole.UserRole + 2
LABEL_RE = re.compile(r"^.*（(\w+)）$")  # 「广州（440100）」 -> 440100
ACCOUNT_LEVEL_OF_UNIT = {unit_level: account_level for account_level, unit_level in OWNER_LEVEL_OF.items()}


def _select(combo: QComboBox, value: str | None) -> None:
    index = combo.findData(value)
    if index >= 0:
        combo.setCurrentIndex(index)


def _shown(value: object) -> str:
    return "（空）" if value in (None, "") else str(value)


class UnitPicker(QComboBox):
    """Choose a unit by name: an editable list of units shown as 「广州（440100）」; typing part of a name, a
    code or pinyin initials (gz) narrows the list. :meth:`text` is the chosen unit's code — or what was
    typed when it names no unit, so that the save reports it next to the field — and :meth:`setText`
    takes a code (the units' names come from :meth:`set_known`)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setEditable(True)
        self.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.setMaxVisibleItems(16)
        self.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.setMinimumContentsLength(14)
        self._known: dict[str, UnitChoice] = {}
        self._choices: list[UnitChoice] = []
        self.matches_model = QSortFilterProxyModel(self)
        self.matches_model.setSourceModel(self.model())
        self.matches_model.setFilterRole(SearchRole)
        self.matches_model.setFilterCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        completer = QCompleter(self.matches_model, self)
        completer.setCompletionMode(QCompleter.CompletionMode.UnfilteredPopupCompletion)
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        completer.setMaxVisibleItems(12)
        self.setCompleter(completer)
        self.lineEdit().textEdited.connect(self._typed)

    def set_known(self, units: list[UnitChoice]) -> None:
        """Every unit that a value may name (for its label), whether offered or not."""
        self._known = {u.code: u for u in units}

    def set_choices(self, units: list[UnitChoice]) -> None:
        """The units offered; the current value stays as it is."""
        if [u.code for u in units] == [u.code for u in self._choices]:
            return
        current = self.text()
        self._choices = list(units)
        blocked = self.blockSignals(True)
        try:
            self.clear()
            for unit in units:
                self.addItem(unit.label, unit.code)
                index = self.count() - 1
                self.setItemData(index, f"{unit.code} {unit.short_name} {unit.name} {unit.initials}", SearchRole)
                self.setItemData(index, unit.name, Qt.ItemDataRole.ToolTipRole)
            self.setText(current)
        finally:
            self.blockSignals(blocked)

    def unit(self) -> UnitChoice | None:
        """The unit the value names, if it is a known one."""
        return self._known.get(self.text())

    def matches(self) -> list[str]:
        """The labels offered for what has been typed."""
        model = self.matches_model
        return [model.index(row, 0).data() for row in range(model.rowCount())]

    def text(self) -> str:
        typed = self.currentText().strip()
        if not typed:
            return ""
        index = self.findText(typed, Qt.MatchFlag.MatchFixedString)
        if index >= 0:
            return self.itemData(index)
        label = LABEL_RE.match(typed)
        if label:
            return label.group(1)
        for units in (self._choices, list(self._known.values())):
            named = {u.code for u in units if typed in (u.code, u.short_name, u.name)}
            if len(named) == 1:
                return named.pop()
        return typed

    def setText(self, value: str | None) -> None:  # noqa: N802 - like QLineEdit's
        value = (value or "").strip()
        index = self.findData(value) if value else -1
        if index >= 0:
            self.setCurrentIndex(index)
            return
        self.setCurrentIndex(-1)
        known = self._known.get(value)
        self.setEditText(known.label if known is not None else value)

    def _typed(self, text: str) -> None:
        self.matches_model.setFilterFixedString(text.strip())
        if text.strip() and self.matches_model.rowCount():
            self.completer().complete()


def look_read_only(edit: QLineEdit) -> None:
    """A line that cannot be edited, and looks it: no frame, the window's background."""
    edit.setReadOnly(True)
    edit.setFrame(False)
    palette = edit.palette()
    palette.setColor(QPalette.ColorRole.Base, palette.color(QPalette.ColorRole.Window))
    edit.setPalette(palette)
    edit.setFocusPolicy(Qt.FocusPolicy.ClickFocus)


class AccountEditDialog(QDialog):
    """New account (``state`` None) or edit ``state``; ``industries`` are (code, name) pairs, ``units`` the
    units the owner and serving-city pickers offer (by level and area) and name."""

    def __init__(
        self,
        industries: list[tuple[str, str]],
        state: AccountState | None = None,
        parent: QWidget | None = None,
        *,
        unit_code: str | None = None,
        units: list[UnitChoice] | None = None,
    ) -> None:
        super().__init__(parent)
        self.creating = state is None
        self._units = [u for u in units or [] if u.active]
        self.setWindowTitle(self.tr("新建客户") if self.creating else self.tr("编辑客户"))
        self.customer_no_edit = QLineEdit(self)
        self.customer_no_edit.setMaxLength(40)
        self.name_edit = QLineEdit(self)
        self.name_edit.setMaxLength(200)
        self.industry_combo = QComboBox(self)
        for code, name in industries:
            self.industry_combo.addItem(name, code)
        self.level_combo = QComboBox(self)
        for code, label in ACCOUNT_LEVEL_LABELS.items():
            self.level_combo.addItem(label, code)
        self.owner_edit = UnitPicker(self)
        self.owner_edit.setObjectName("ownerUnit")
        self.owner_edit.lineEdit().setPlaceholderText(self.tr("输入单位名称、代码或拼音首字母"))
        self.owner_edit.setToolTip(
            self.tr("按客户级别：全国性客户归属集团，省级客户归属省级单位，地市级客户归属地市级单位")
        )
        self.city_edit = UnitPicker(self)
        self.city_edit.setObjectName("servingCity")
        self.city_edit.lineEdit().setPlaceholderText(self.tr("输入地市名称、代码或拼音首字母"))
        self.city_edit.setToolTip(self.tr("地市级单位，在归属单位的辖区内"))
        for picker in (self.owner_edit, self.city_edit):
            picker.set_known(list(units or []))
        self.parent_edit = QLineEdit(self)
        self.parent_edit.setPlaceholderText(self.tr("可不填"))
        self.status_combo = QComboBox(self)
        for code, label in ACCOUNT_STATUS_LABELS.items():
            self.status_combo.addItem(label, code)
        self.address_edit = QLineEdit(self)
        self.address_edit.setMinimumWidth(320)

        self.fields: dict[str, _Field] = {
            "customer_no": _Field(self.customer_no_edit, self),
            "name": _Field(self.name_edit, self),
            "industry": _Field(self.industry_combo, self),
            "level": _Field(self.level_combo, self),
            "owner_unit": _Field(self.owner_edit, self),
            "serving_city": _Field(self.city_edit, self),
            "parent": _Field(self.parent_edit, self),
            "status": _Field(self.status_combo, self),
            "address": _Field(self.address_edit, self),
        }
        labels = {
            "customer_no": self.tr("客户编号："),
            "name": self.tr("客户名称："),
            "industry": self.tr("行业："),
            "level": self.tr("客户级别："),
            "owner_unit": self.tr("归属单位："),
            "serving_city": self.tr("服务地市："),
            "parent": self.tr("上级客户编号："),
            "status": self.tr("状态："),
            "address": self.tr("地址："),
        }
        form = QFormLayout()
        for key, field in self.fields.items():
            form.addRow(labels[key], field)
        # Messages about things without a field here (e.g. the responsible manager).
        self.other_error = QLabel(self)
        self.other_error.setStyleSheet(ERROR_STYLE)
        self.other_error.setWordWrap(True)
        self.other_error.setVisible(False)

        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText(self.tr("保存"))
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setText(self.tr("取消"))
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.other_error)
        layout.addWidget(self.buttons)
        self.setMinimumWidth(480)

        self._update_owner_choices()
        self.level_combo.currentIndexChanged.connect(self._update_owner_choices)
        self.owner_edit.currentTextChanged.connect(self._update_city_choices)
        if state is not None:
            self.customer_no_edit.setText(state.customer_no)
            look_read_only(self.customer_no_edit)
            self.customer_no_edit.setToolTip(self.tr("客户编号建档后不能修改"))
            self.set_values(state.data)
        else:
            _select(self.status_combo, "active")
            if unit_code:
                self._start_from(unit_code)

    def _start_from(self, unit_code: str) -> None:
        """A new account of the unit whose page it is created from: owned by it, at its level."""
        known = {u.code: u for u in self._units}
        unit = known.get(unit_code)
        if unit is not None:
            level = ACCOUNT_LEVEL_OF_UNIT.get(unit.level)
        else:  # names not loaded: a city code is 6 digits ending in 00 but not 0000
            is_city = len(unit_code) == 6 and unit_code.endswith("00") and not unit_code.endswith("0000")
            level = "city" if is_city else None
        if level is not None:
            _select(self.level_combo, level)
        self.owner_edit.setText(unit_code)
        if level == "city":
            self.city_edit.setText(unit_code)

    def _update_owner_choices(self, _index: int = -1) -> None:
        wanted = OWNER_LEVEL_OF.get(self.level_combo.currentData())
        self.owner_edit.set_choices([u for u in self._units if u.level == wanted])
        self._update_city_choices()

    def _update_city_choices(self, _text: str = "") -> None:
        owner = self.owner_edit.unit()
        cities = [u for u in self._units if u.level == "city" and (owner is None or u.within(owner.path))]
        self.city_edit.set_choices(cities)

    def set_values(self, data: AccountInput) -> None:
        self.name_edit.setText(data.name)
        if self.industry_combo.findData(data.industry) < 0:
            self.industry_combo.addItem(data.industry, data.industry)
        _select(self.industry_combo, data.industry)
        _select(self.level_combo, data.level)
        self.owner_edit.setText(data.owner_unit)
        self.city_edit.setText(data.serving_city)
        self.parent_edit.setText(data.parent or "")
        _select(self.status_combo, data.status)
        self.address_edit.setText(data.address or "")

    def show_errors(self, errors: dict[str, str]) -> None:
        for key, field in self.fields.items():
            field.show_error(errors.get(key, ""))
        others = [f"{FIELD_LABELS.get(k, k)}：{v}" for k, v in errors.items() if k not in self.fields]
        self.other_error.setText("\n".join(others))
        self.other_error.setVisible(bool(others))

    def data(self) -> tuple[str, AccountInput]:
        return (
            self.customer_no_edit.text().strip(),
            AccountInput(
                name=self.name_edit.text().strip(),
                industry=self.industry_combo.currentData() or "",
                level=self.level_combo.currentData(),
                owner_unit=self.owner_edit.text().strip(),
                serving_city=self.city_edit.text().strip(),
                parent=self.parent_edit.text().strip() or None,
                status=self.status_combo.currentData(),
                address=self.address_edit.text().strip() or None,
            ),
        )


def candidate_choices(candidates: list[ManagerCandidate]) -> list[tuple[str, str]]:
    """(employee_no, label) pairs for the manager picker; someone the rule no longer allows is marked."""
    not_allowed = QCoreApplication.translate("ReassignDialog", "（不符合负责规则）")
    return [(c.employee_no, c.label if c.eligible else c.label + not_allowed) for c in candidates]


class ReassignDialog(QDialog):
    """Choose the new responsible manager from ``managers`` ((employee_no, label) pairs), 「暂不指定」, or
    type an employee number; plus a note for the history."""

    def __init__(
        self, managers: list[tuple[str, str]], current: str | None = None, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("变更负责客户经理"))
        self.manager_combo = QComboBox(self)
        self.manager_combo.setEditable(True)
        self.manager_combo.addItem(self.tr(UNASSIGNED), None)
        for employee_no, label in managers:
            self.manager_combo.addItem(label, employee_no)
        if current is not None:
            if self.manager_combo.findData(current) < 0:
                self.manager_combo.addItem(current, current)
            _select(self.manager_combo, current)
        self.manager_combo.lineEdit().setPlaceholderText(self.tr("选择或输入工号"))
        # Typing part of a name, number or industry narrows the list.
        self.manager_combo.completer().setFilterMode(Qt.MatchFlag.MatchContains)
        self.manager_combo.completer().setCompletionMode(QCompleter.CompletionMode.PopupCompletion)
        self.manager_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.manager_field = _Field(self.manager_combo, self)
        self.note_edit = QLineEdit(self)
        self.note_edit.setMaxLength(200)
        self.note_edit.setPlaceholderText(self.tr("例如：客户经理调岗"))
        form = QFormLayout()
        form.addRow(self.tr("新的负责客户经理："), self.manager_field)
        form.addRow(self.tr("说明："), self.note_edit)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText(self.tr("变更"))
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setText(self.tr("取消"))
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.buttons)
        self.setMinimumWidth(420)

    def set_manager(self, employee_no: str | None) -> None:
        index = self.manager_combo.findData(employee_no)
        if index >= 0:
            self.manager_combo.setCurrentIndex(index)
        else:
            self.manager_combo.setEditText(employee_no or "")

    def manager(self) -> str | None:
        text = self.manager_combo.currentText().strip()
        index = self.manager_combo.findText(text)
        if index >= 0:
            return self.manager_combo.itemData(index)
        return text or None

    def note(self) -> str | None:
        return self.note_edit.text().strip() or None

    def show_errors(self, errors: dict[str, str]) -> None:
        self.manager_field.show_error("；".join(errors.values()))


class AccountEditor(QObject):
    """Opens the dialogs and saves in the background; emits :attr:`saved` with the account id."""

    saved = Signal(int)

    def __init__(self, db, tasks, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._db = db
        self._tasks = tasks
        self._parent = parent
        self.units: list[UnitChoice] = []  # for the unit pickers, read with the industries

    # --- dialogs (separate so tests can drive them) ---------------------------------------------

    def make_edit_dialog(self, industries, state=None, unit_code=None) -> AccountEditDialog:
        return AccountEditDialog(industries, state, self._parent, unit_code=unit_code, units=self.units)

    def make_reassign_dialog(self, managers, current) -> ReassignDialog:
        return ReassignDialog(managers, current, self._parent)

    def show_stale(self, exc: StaleAccount) -> None:
        lines = [
            f"{FIELD_LABELS.get(k, k)}：{_shown(before)} → {_shown(now)}" for k, (before, now) in exc.changed.items()
        ]
        text = self.tr("这个客户在您打开之后已被其他人修改，您的修改没有保存。") + "\n\n" + "\n".join(lines)
        text += "\n\n" + self.tr("将重新加载最新内容，请确认后再改。")
        QMessageBox.warning(self._parent, self.tr("客户已被他人修改"), text)

    # --- loading --------------------------------------------------------------------------------

    def _load(self, account_id: int | None, on_done) -> None:
        db = self._db

        def work(progress):
            with db.engine.connect() as conn:
                state = load_account(conn, account_id=account_id) if account_id is not None else None
                keep = [state.data.industry] if state is not None else []
                return state, industry_choices(conn, keep=keep), list_units(conn, include_inactive=True)

        def done(result) -> None:
            state, industries, units = result
            self.units = units
            on_done(state, industries)

        self._tasks.read(work, on_done=done, error_title=self.tr("无法读取客户"), parent=self._parent)

    # --- edit / create ----------------------------------------------------------------------------

    def edit(self, account_id: int) -> None:
        self._load(account_id, lambda state, industries: self._edit_form(state, industries))

    def create(self, unit_code: str | None = None) -> None:
        self._load(None, lambda _state, industries: self._edit_form(None, industries, unit_code=unit_code))

    def _edit_form(
        self,
        state: AccountState | None,
        industries: list[tuple[str, str]],
        values: tuple[str, AccountInput] | None = None,
        errors: dict[str, str] | None = None,
        unit_code: str | None = None,
    ) -> None:
        dialog = self.make_edit_dialog(industries, state, unit_code)
        try:
            if values is not None:
                dialog.customer_no_edit.setText(values[0])
                dialog.set_values(values[1])
            dialog.show_errors(errors or {})
            if dialog.exec() != QDialog.DialogCode.Accepted:
                return
            customer_no, data = dialog.data()
        finally:
            dialog.deleteLater()
        db = self._db

        def work(progress):
            with db.engine.begin() as conn:
                if state is None:
                    return create_account(conn, customer_no=customer_no, data=data)
                update_account(conn, loaded=state, data=data)
                return state.id

        def failed(exc: BaseException) -> None:
            if isinstance(exc, AccountInvalid):
                self._edit_form(state, industries, (customer_no, data), exc.errors, unit_code)
            elif isinstance(exc, StaleAccount) and state is not None:
                self.show_stale(exc)
                self.edit(state.id)
            else:
                show_error(self._parent, exc, self.tr("保存客户失败"))

        self._tasks.write(
            work,
            on_done=self.saved.emit,
            on_error=failed,
            label=self.tr("正在保存客户…"),
            parent=self._parent,
        )

    # --- reassign ---------------------------------------------------------------------------------

    def reassign(self, account_id: int, managers: list[tuple[str, str]] | None = None) -> None:
        """Change the responsible manager. Without ``managers`` ((employee_no, label) pairs) the dialog
        offers the customer managers who may take the account (its owning unit's and its city's)."""
        if managers is not None:
            chosen = list(managers)
            self._load(account_id, lambda state, _industries: self._reassign_form(state, chosen))
            return
        db = self._db

        def work(progress):
            with db.engine.connect() as conn:
                state = load_account(conn, account_id=account_id)
                return state, account_manager_candidates(conn, account_id=account_id)

        self._tasks.read(
            work,
            on_done=lambda result: self._reassign_form(result[0], candidate_choices(result[1])),
            error_title=self.tr("无法读取客户"),
            parent=self._parent,
        )

    def _reassign_form(
        self,
        state: AccountState,
        managers: list[tuple[str, str]],
        chosen: tuple[str | None, str | None] | None = None,
        errors: dict[str, str] | None = None,
    ) -> None:
        dialog = self.make_reassign_dialog(managers, state.manager)
        try:
            if chosen is not None:
                dialog.set_manager(chosen[0])
                dialog.note_edit.setText(chosen[1] or "")
            dialog.show_errors(errors or {})
            if dialog.exec() != QDialog.DialogCode.Accepted:
                return
            manager, note = dialog.manager(), dialog.note()
        finally:
            dialog.deleteLater()
        db = self._db

        def work(progress):
            with db.engine.begin() as conn:
                reassign_manager(conn, loaded=state, manager=manager, note=note)
            return state.id

        def failed(exc: BaseException) -> None:
            if isinstance(exc, AccountInvalid):
                self._reassign_form(state, managers, (manager, note), exc.errors)
            elif isinstance(exc, StaleAccount):
                self.show_stale(exc)
                self.reassign(state.id)
            else:
                show_error(self._parent, exc, self.tr("变更负责客户经理失败"))

        self._tasks.write(
            work,
            on_done=self.saved.emit,
            on_error=failed,
            label=self.tr("正在变更负责客户经理…"),
            parent=self._parent,
        )
