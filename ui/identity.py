"""Who is working at this desk: the employee whose unit raises and handles service requests.

Until sign-in with users and roles exists, the person at the desk picks themselves once (文件 → 切换当前身份…);
the choice is remembered. Everything done on requests is recorded as done by that employee, from their
unit. ``IdentityHolder`` keeps the current identity and tells the window when it changes.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, QSettings, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QVBoxLayout,
    QWidget,
)

from kam_console.db import Database
from kam_console.services.staff import Identity, PositionGroup, find_identity
from ui import settings as S
from ui.staff_dialogs import _Field
from ui.tasks import BackgroundTasks


class IdentityDialog(QDialog):
    """Pick an employee of the selected unit, or type any employee number."""

    def __init__(
        self, unit_name: str, staff: list[PositionGroup], current: str | None, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("切换当前身份"))
        self.combo = QComboBox(self)
        self.combo.setEditable(True)
        self.combo.lineEdit().setPlaceholderText(self.tr("选择本单位员工，或输入工号"))
        for group in staff:
            for person in group.staff:
                self.combo.addItem(f"{person.name}（{person.employee_no}，{group.label}）", person.employee_no)
        if current:
            index = self.combo.findData(current)
            if index >= 0:
                self.combo.setCurrentIndex(index)
            else:
                self.combo.setEditText(current)
        else:
            self.combo.setCurrentIndex(-1)
        self.field = _Field(self.combo, self)
        intro = QLabel(
            self.tr("服务请求的发起和处理记为此员工所为，以其所在单位的名义进行。当前单位：{0}").format(unit_name), self
        )
        intro.setWordWrap(True)
        form = QFormLayout()
        form.addRow(self.tr("员工："), self.field)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText(self.tr("切换"))
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setText(self.tr("取消"))
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(self.buttons)
        self.setMinimumWidth(460)

    def employee_no(self) -> str:
        text = self.combo.currentText().strip()
        index = self.combo.findText(text)
        if index >= 0:
            return self.combo.itemData(index)
        return text

    def show_error(self, message: str) -> None:
        self.field.show_error(message)


class IdentityHolder(QObject):
    """The current identity, remembered in the settings."""

    changed = Signal(object)  # Identity | None

    def __init__(self, db: Database, tasks: BackgroundTasks, settings: QSettings, parent: QObject | None = None):
        super().__init__(parent)
        self.db = db
        self.tasks = tasks
        self.settings = settings
        self.identity: Identity | None = None

    def restore(self) -> None:
        """Load the remembered employee in the background (forgotten if they left or were removed)."""
        employee_no = S.CURRENT_STAFF.get(self.settings)
        if employee_no:
            self._load(employee_no, on_error=lambda _exc: self.set(None))

    def _load(self, employee_no: str, *, on_error) -> None:
        db = self.db

        def work(_progress):
            with db.engine.connect() as conn:
                return find_identity(conn, employee_no=employee_no)

        self.tasks.read(work, on_done=self.set, on_error=on_error, busy_cursor=False)

    def set(self, identity: Identity | None) -> None:
        self.identity = identity
        S.CURRENT_STAFF.set(self.settings, identity.employee_no if identity else "")
        self.changed.emit(identity)

    def make_dialog(self, unit_name: str, staff: list[PositionGroup], parent: QWidget | None) -> IdentityDialog:
        return IdentityDialog(unit_name, staff, self.identity.employee_no if self.identity else None, parent)

    def choose(self, unit_name: str, staff: list[PositionGroup], parent: QWidget | None, error: str = "") -> None:
        dialog = self.make_dialog(unit_name, staff, parent)
        try:
            if error:
                dialog.show_error(error)
            if dialog.exec() != QDialog.DialogCode.Accepted:
                return
            employee_no = dialog.employee_no()
        finally:
            dialog.deleteLater()
        if not employee_no:
            self.choose(unit_name, staff, parent, self.tr("请选择或输入工号"))
            return

        def failed(exc: BaseException) -> None:
            message = getattr(exc, "zh", None) or str(exc)
            self.choose(unit_name, staff, parent, message)

        self._load(employee_no, on_error=failed)
