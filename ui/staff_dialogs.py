"""Adding, editing and deactivating a unit's staff: :class:`StaffDialog` (add / edit),
:class:`DeactivateDialog` (confirm, and choose who takes the person's accounts over) and
:class:`StaffActions`, which opens them and runs the changes in the background through
``kam_console.services.staff``. Nobody is ever deleted; a head keeps the head position here (a new head
comes through an approved appointment)."""

from __future__ import annotations

import re

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QVBoxLayout,
    QWidget,
)

from kam_console.models import POSITION_LABELS
from kam_console.services.catalogues import RETIRED_MARK, industry_choices, list_units
from kam_console.services.staff import (
    POSITION_ORDER,
    PositionGroup,
    StaffHasAccounts,
    StaffInput,
    StaffRow,
    add_staff,
    deactivate_staff,
    update_staff,
)
from ui.tasks import show_error

EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
DEFAULT_POSITION = "customer_manager"  # most people a unit adds are customer managers
CodeRole = Qt.ItemDataRole.UserRole + 1
ERROR_STYLE = "color: #c62828;"


def example_employee_no(unit: str) -> str:
    """An employee number as the unit's would look: E, the province's two digits, six digits."""
    province = unit[:2] if len(unit) >= 2 and unit[:2].isdigit() else "44"
    return f"E{province}002039"


class _Field(QWidget):
    """An input with its validation message underneath (hidden while there is nothing to say)."""

    def __init__(self, editor: QWidget, parent: QWidget) -> None:
        super().__init__(parent)
        self.editor = editor
        self.error = QLabel(self)
        self.error.setStyleSheet(ERROR_STYLE)
        self.error.setWordWrap(True)
        self.error.setVisible(False)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(editor)
        layout.addWidget(self.error)

    def show_error(self, message: str) -> None:
        self.error.setText(message)
        self.error.setVisible(bool(message))


class StaffDialog(QDialog):
    """Add a staff member to ``unit`` (``person`` None) or edit ``person``.

    ``industries`` are the catalogue's (code, name) pairs to offer; a person's current specialties are
    matched by name (``StaffRow.industries`` holds names). ``unit_name`` (e.g. 广州市大客户部) is shown
    with the code so that it is clear where the person works."""

    def __init__(
        self,
        unit: str,
        industries: list[tuple[str, str]],
        person: StaffRow | None = None,
        parent: QWidget | None = None,
        *,
        unit_name: str | None = None,
    ) -> None:
        super().__init__(parent)
        self._unit = unit
        self._person = person
        self._touched: set[str] = set()
        editing = person is not None
        self.setWindowTitle(self.tr("编辑员工") if editing else self.tr("新增员工"))

        self.unit_label = QLabel(self.tr("{0}（{1}）").format(unit_name, unit) if unit_name else unit, self)
        self.unit_label.setObjectName("staffUnit")
        self.unit_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.employee_no_edit = QLineEdit(self)
        self.employee_no_edit.setMaxLength(20)
        # Employee numbers are E + the province's two digits + six digits (E44002039).
        self.employee_no_edit.setPlaceholderText(self.tr("例如：{0}").format(example_employee_no(unit)))
        self.name_edit = QLineEdit(self)
        self.name_edit.setMaxLength(50)
        self.position_combo = QComboBox(self)
        if editing and person.position == "head":
            # A head stays head here; the position changes only through an approved appointment.
            self.position_combo.addItem(POSITION_LABELS["head"], "head")
            self.position_combo.setEnabled(False)
            self.position_combo.setToolTip(self.tr("负责人须经上级大客户部门审批任命或改任，不能在此修改"))
        else:
            for position in POSITION_ORDER:
                if position != "head":
                    self.position_combo.addItem(POSITION_LABELS[position], position)
            self.position_combo.setCurrentIndex(max(self.position_combo.findData(DEFAULT_POSITION), 0))
        self.industry_list = QListWidget(self)
        self.industry_list.setObjectName("staffIndustries")
        current_names = set(person.industries) if editing else set()
        for code, label in industries:
            name = label.removesuffix(RETIRED_MARK)
            if name != label and name not in current_names:
                continue  # a retired industry is kept where it is held, never newly offered
            item = QListWidgetItem(label)
            item.setData(CodeRole, code)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Checked if name in current_names else Qt.CheckState.Unchecked)
            self.industry_list.addItem(item)
        # Tall enough to show the whole catalogue (13 industries) without scrolling, within reason.
        rows = max(1, min(self.industry_list.count(), 16))
        row_height = self.industry_list.sizeHintForRow(0) if self.industry_list.count() else 18
        self.industry_list.setFixedHeight(rows * row_height + 2 * self.industry_list.frameWidth() + 4)
        self.phone_edit = QLineEdit(self)
        self.phone_edit.setMaxLength(30)
        self.email_edit = QLineEdit(self)
        self.email_edit.setMaxLength(100)
        self.email_edit.setPlaceholderText(self.tr("例如：zhangwei@example.com"))

        self.fields = {
            "employee_no": _Field(self.employee_no_edit, self),
            "name": _Field(self.name_edit, self),
            "email": _Field(self.email_edit, self),
        }
        if editing:
            self.employee_no_edit.setText(person.employee_no)
            self.employee_no_edit.setReadOnly(True)
            self.name_edit.setText(person.name)
            if person.position != "head":
                index = self.position_combo.findData(person.position)
                self.position_combo.setCurrentIndex(max(index, 0))
            self.phone_edit.setText(person.phone or "")
            self.email_edit.setText(person.email or "")

        form = QFormLayout()
        form.addRow(self.tr("所在单位："), self.unit_label)
        form.addRow(self.tr("工号："), self.fields["employee_no"])
        form.addRow(self.tr("姓名："), self.fields["name"])
        form.addRow(self.tr("岗位："), self.position_combo)
        form.addRow(self.tr("专长行业："), self.industry_list)
        form.addRow(self.tr("电话："), self.phone_edit)
        form.addRow(self.tr("邮箱："), self.fields["email"])

        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        self.ok_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok_button.setText(self.tr("保存"))
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setText(self.tr("取消"))
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.buttons)
        self.setMinimumWidth(440)

        for key, edit in (
            ("employee_no", self.employee_no_edit),
            ("name", self.name_edit),
            ("email", self.email_edit),
        ):
            edit.textChanged.connect(lambda _text, key=key: self._edited(key))
        self._validate()

    # --- validation -------------------------------------------------------------------------------

    def problems(self) -> dict[str, str]:
        """Field key → message for every field that is not valid now."""
        problems = {}
        if not self.employee_no_edit.text().strip():
            problems["employee_no"] = self.tr("工号不能为空")
        if not self.name_edit.text().strip():
            problems["name"] = self.tr("姓名不能为空")
        email = self.email_edit.text().strip()
        if email and not EMAIL_RE.match(email):
            problems["email"] = self.tr("邮箱格式不正确，例如：zhangwei@example.com")
        return problems

    def _edited(self, key: str) -> None:
        self._touched.add(key)
        self._validate()

    def _validate(self) -> None:
        problems = self.problems()
        for key, field in self.fields.items():
            # Empty required fields are only complained about once the user has touched them;
            # a wrong e-mail address shows at once.
            shown = key in self._touched or key == "email"
            field.show_error(problems.get(key, "") if shown else "")
        self.ok_button.setEnabled(not problems)

    def accept(self) -> None:
        if self.problems():
            self._touched.update(self.fields)
            self._validate()
            return
        super().accept()

    # --- result -----------------------------------------------------------------------------------

    def selected_industries(self) -> tuple[str, ...]:
        items = (self.industry_list.item(i) for i in range(self.industry_list.count()))
        return tuple(item.data(CodeRole) for item in items if item.checkState() == Qt.CheckState.Checked)

    def data(self) -> tuple[str, StaffInput]:
        return (
            self.employee_no_edit.text().strip(),
            StaffInput(
                name=self.name_edit.text().strip(),
                unit=self._unit,
                position=self.position_combo.currentData(),
                industries=self.selected_industries(),
                phone=self.phone_edit.text().strip() or None,
                email=self.email_edit.text().strip() or None,
            ),
        )


class DeactivateDialog(QDialog):
    """Confirm deactivating ``person``; when they are responsible for ``accounts`` accounts, choose an
    active colleague (from ``colleagues``) to take them over."""

    def __init__(
        self,
        person: StaffRow,
        accounts: int,
        colleagues: list[StaffRow],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.accounts = accounts
        self._first_manager: int | None = None
        self.setWindowTitle(self.tr("停用员工"))
        if accounts > 0:
            text = self.tr(
                "{0}（{1}）目前是 {2} 个客户的负责客户经理。停用前须把这些客户移交给本单位另一位在岗员工，"
                "移交会记入各客户的负责人变更历史。"
            ).format(person.name, person.employee_no, f"{accounts:,}")
        else:
            text = self.tr("确定停用{0}（{1}）吗？停用后该员工不再出现在在岗名单中，记录仍然保留。").format(
                person.name, person.employee_no
            )
        self.message = QLabel(text, self)
        self.message.setWordWrap(True)
        self.colleague_combo = QComboBox(self)
        for colleague in colleagues:
            if colleague.active and colleague.employee_no != person.employee_no:
                label = POSITION_LABELS.get(colleague.position, colleague.position)
                self.colleague_combo.addItem(
                    self.tr("{0}（{1}，{2}）").format(colleague.name, colleague.employee_no, label),
                    colleague.employee_no,
                )
                if colleague.position == "customer_manager" and self._first_manager is None:
                    self._first_manager = self.colleague_combo.count() - 1
        if self._first_manager is not None:  # accounts go to a customer manager unless chosen otherwise
            self.colleague_combo.setCurrentIndex(self._first_manager)
        self.no_colleagues = QLabel(self.tr("本单位没有其他在岗员工可以接手，请先新增员工。"), self)
        self.no_colleagues.setStyleSheet(ERROR_STYLE)
        self.no_colleagues.setWordWrap(True)

        form = QFormLayout()
        form.addRow(self.tr("移交给："), self.colleague_combo)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        ok.setText(self.tr("移交并停用") if accounts > 0 else self.tr("停用"))
        ok.setEnabled(accounts == 0 or self.colleague_combo.count() > 0)
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setText(self.tr("取消"))
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addWidget(self.message)
        layout.addLayout(form)
        layout.addWidget(self.no_colleagues)
        layout.addWidget(self.buttons)
        self.colleague_combo.setVisible(accounts > 0)
        form.labelForField(self.colleague_combo).setVisible(accounts > 0)
        self.no_colleagues.setVisible(accounts > 0 and self.colleague_combo.count() == 0)
        self.setMinimumWidth(440)

    def hand_over_to(self) -> str | None:
        """The chosen colleague's employee number, or None when there is nothing to hand over."""
        if self.accounts <= 0:
            return None
        return self.colleague_combo.currentData()


class StaffActions(QObject):
    """Add / edit / deactivate staff of the shown unit, in the background, then emit :attr:`changed`.

    The page calls :meth:`set_unit` with the unit code and the groups it shows (from
    ``unit_staff``); buttons call :meth:`add`, :meth:`edit` and :meth:`deactivate` with a staff id
    (the staff tree's ``IdRole`` on column 0). The industry catalogue is loaded once in the background
    on construction (or given with :meth:`set_industries`)."""

    #: Emitted after a successful change: the page reloads its staff.
    changed = Signal()

    def __init__(self, db, tasks, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._db = db
        self._tasks = tasks
        self._parent = parent
        self._unit: str | None = None
        self._groups: list[PositionGroup] = []
        self.industries: list[tuple[str, str]] = []
        self.unit_names: dict[str, str] = {}  # unit code → full name, for the dialogs
        self.load_industries()

    # --- context ----------------------------------------------------------------------------------

    def load_industries(self) -> None:
        """Read the industry catalogue and the units' names in the background."""
        db = self._db

        def work(progress):
            with db.engine.connect() as conn:
                return industry_choices(conn, include_retired=True), list_units(conn, include_inactive=True)

        def done(result) -> None:
            industries, units = result
            self.unit_names = {u.code: u.name for u in units}
            self.set_industries(industries)

        self._tasks.read(work, on_done=done, parent=self._parent)

    def set_industries(self, industries: list[tuple[str, str]]) -> None:
        self.industries = list(industries)

    def set_unit(self, unit: str | None, groups: list[PositionGroup]) -> None:
        self._unit = unit
        self._groups = list(groups)

    def person(self, staff_id: int) -> StaffRow | None:
        for group in self._groups:
            for person in group.staff:
                if person.id == staff_id:
                    return person
        return None

    def colleagues(self, person: StaffRow) -> list[StaffRow]:
        """Active staff of the unit other than ``person``, in page order."""
        return [p for g in self._groups for p in g.staff if p.active and p.id != person.id]

    # --- dialogs (separate so tests can drive them) -------------------------------------------------

    def make_staff_dialog(self, person: StaffRow | None = None) -> StaffDialog:
        unit = self._unit or ""
        return StaffDialog(unit, self.industries, person, self._parent, unit_name=self.unit_names.get(unit))

    def make_deactivate_dialog(self, person: StaffRow, accounts: int) -> DeactivateDialog:
        return DeactivateDialog(person, accounts, self.colleagues(person), self._parent)

    # --- actions ----------------------------------------------------------------------------------

    def add(self) -> None:
        if not self._unit:
            return
        dialog = self.make_staff_dialog()
        try:
            if dialog.exec() != QDialog.DialogCode.Accepted:
                return
            employee_no, data = dialog.data()
        finally:
            dialog.deleteLater()
        db = self._db

        def work(progress):
            with db.engine.begin() as conn:
                return add_staff(conn, employee_no=employee_no, data=data)

        self._run(work, self.tr("正在新增员工…"), self.tr("新增员工失败"))

    def edit(self, staff_id: int) -> None:
        person = self.person(staff_id)
        if person is None or not self._unit:
            return
        dialog = self.make_staff_dialog(person)
        try:
            if dialog.exec() != QDialog.DialogCode.Accepted:
                return
            employee_no, data = dialog.data()
        finally:
            dialog.deleteLater()
        db = self._db

        def work(progress):
            with db.engine.begin() as conn:
                update_staff(conn, employee_no=employee_no, data=data)

        self._run(work, self.tr("正在保存员工信息…"), self.tr("保存员工信息失败"))

    def deactivate(self, staff_id: int) -> None:
        person = self.person(staff_id)
        if person is None or not person.active:
            return
        self._deactivate(person, person.accounts)

    def _deactivate(self, person: StaffRow, accounts: int) -> None:
        dialog = self.make_deactivate_dialog(person, accounts)
        try:
            if dialog.exec() != QDialog.DialogCode.Accepted:
                return
            hand_over_to = dialog.hand_over_to()
        finally:
            dialog.deleteLater()
        if accounts > 0 and hand_over_to is None:
            return
        db, employee_no = self._db, person.employee_no

        def work(progress):
            with db.engine.begin() as conn:
                return deactivate_staff(conn, employee_no=employee_no, hand_over_to=hand_over_to)

        def failed(exc: BaseException) -> None:
            if isinstance(exc, StaffHasAccounts) and hand_over_to is None:
                # The page's count was stale: the person has accounts after all; choose who takes them.
                self._deactivate(person, exc.accounts)
                return
            show_error(self._parent, exc, self.tr("停用员工失败"))

        self._tasks.write(
            work,
            on_done=lambda _result: self.changed.emit(),
            on_error=failed,
            label=self.tr("正在停用员工…"),
            parent=self._parent,
        )

    def _run(self, work, label: str, error_title: str) -> None:
        self._tasks.write(
            work,
            on_done=lambda _result: self.changed.emit(),
            label=label,
            error_title=error_title,
            parent=self._parent,
        )
