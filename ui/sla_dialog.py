"""服务请求时限（SLA）: the weekday hours each stage of a request may take, by request type and priority.

Everyone may look; the group's administrator or head (the current identity) may change hours. Changes are
saved together (all or nothing) and apply to stages that start afterwards — running stages keep the
deadline they started with.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QSpinBox,
    QStyledItemDelegate,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from kam_console.models import (
    REQUEST_PRIORITIES,
    REQUEST_PRIORITY_LABELS,
    REQUEST_STAGE_LABELS,
    REQUEST_STAGES,
    REQUEST_TYPE_LABELS,
    REQUEST_TYPES,
)
from kam_console.models import utcnow as _utc_now
from kam_console.services.sla import MAX_SLA_HOURS, set_sla_table, sla_table
from kam_console.services.staff import Identity, is_group_admin
from ui.tasks import show_error

KeyRole = Qt.ItemDataRole.UserRole + 1
CHANGED = QColor("#fff4cc")


class _HoursDelegate(QStyledItemDelegate):
    def createEditor(self, parent, option, index):  # noqa: N802 - Qt's API
        box = QSpinBox(parent)
        box.setRange(1, MAX_SLA_HOURS)
        box.setSuffix(" 小时")
        return box

    def setEditorData(self, editor, index):  # noqa: N802 - Qt's API
        editor.setValue(int(index.data(Qt.ItemDataRole.EditRole) or 1))

    def setModelData(self, editor, model, index):  # noqa: N802 - Qt's API
        model.setData(index, editor.value(), Qt.ItemDataRole.EditRole)


def may_edit(identity: Identity | None) -> bool:
    return is_group_admin(identity)


class SlaDialog(QDialog):
    """The table: one row per request type and priority, one column per stage."""

    def __init__(self, rules: list[tuple[str, str, str, int]], editable: bool, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle(self.tr("服务请求时限（SLA）"))
        self.original = {(t, p, s): h for t, p, s, h in rules}
        note = (
            self.tr("各阶段允许的工作日小时数（北京时间，周六、周日不计）。修改只影响此后开始的阶段。")
            if editable
            else self.tr(
                "各阶段允许的工作日小时数（北京时间，周六、周日不计）。只有集团公司大客户事业部的管理员或负责人可以修改。"
            )
        )
        intro = QLabel(note, self)
        intro.setWordWrap(True)
        rows = [(t, p) for t in REQUEST_TYPES for p in REQUEST_PRIORITIES]
        self.table = QTableWidget(len(rows), 2 + len(REQUEST_STAGES), self)
        self.table.setObjectName("slaTable")
        self.table.setHorizontalHeaderLabels(
            [self.tr("请求类型"), self.tr("优先级")] + [REQUEST_STAGE_LABELS[s] for s in REQUEST_STAGES]
        )
        self.table.verticalHeader().setVisible(False)
        self.table.setItemDelegate(_HoursDelegate(self.table))
        self.table.setEditTriggers(
            QAbstractItemView.EditTrigger.DoubleClicked | QAbstractItemView.EditTrigger.EditKeyPressed
            if editable
            else QAbstractItemView.EditTrigger.NoEditTriggers
        )
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        for row, (type_, priority) in enumerate(rows):
            for column, text in enumerate((REQUEST_TYPE_LABELS[type_], REQUEST_PRIORITY_LABELS[priority])):
                item = QTableWidgetItem(text)
                item.setFlags(Qt.ItemFlag.ItemIsEnabled)
                self.table.setItem(row, column, item)
            for offset, stage in enumerate(REQUEST_STAGES):
                item = QTableWidgetItem()
                item.setData(Qt.ItemDataRole.EditRole, self.original.get((type_, priority, stage), 0))
                item.setData(KeyRole, (type_, priority, stage))
                item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                flags = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
                if editable:
                    flags |= Qt.ItemFlag.ItemIsEditable
                item.setFlags(flags)
                self.table.setItem(row, 2 + offset, item)
        self.table.itemChanged.connect(self._mark)
        self.buttons = QDialogButtonBox(self)
        if editable:
            self.save_button = self.buttons.addButton(self.tr("保存"), QDialogButtonBox.ButtonRole.AcceptRole)
            self.buttons.addButton(self.tr("取消"), QDialogButtonBox.ButtonRole.RejectRole)
            self.save_button.setEnabled(False)
        else:
            self.save_button = None
            self.buttons.addButton(self.tr("关闭"), QDialogButtonBox.ButtonRole.RejectRole)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.buttons)
        self.resize(720, 640)

    def _mark(self, item: QTableWidgetItem) -> None:
        key = item.data(KeyRole)
        if key is None:
            return
        changed = int(item.data(Qt.ItemDataRole.EditRole)) != self.original.get(key)
        item.setBackground(QBrush(CHANGED) if changed else QBrush())
        if self.save_button is not None:
            self.save_button.setEnabled(bool(self.changes()))

    def set_hours(self, type_: str, priority: str, stage: str, hours: int) -> None:
        row = REQUEST_TYPES.index(type_) * len(REQUEST_PRIORITIES) + REQUEST_PRIORITIES.index(priority)
        self.table.item(row, 2 + REQUEST_STAGES.index(stage)).setData(Qt.ItemDataRole.EditRole, hours)

    def changes(self) -> dict[tuple[str, str, str], int]:
        out = {}
        for row in range(self.table.rowCount()):
            for column in range(2, self.table.columnCount()):
                item = self.table.item(row, column)
                key = item.data(KeyRole)
                hours = int(item.data(Qt.ItemDataRole.EditRole))
                if hours != self.original.get(key):
                    out[key] = hours
        return out


class SlaEditor(QObject):
    """Loads the table, shows it, saves the changes in the background."""

    saved = Signal(int)  # how many rules changed

    def __init__(self, db, tasks, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._db = db
        self._tasks = tasks
        self._parent = parent

    def make_dialog(self, rules, editable: bool) -> SlaDialog:
        return SlaDialog(rules, editable, self._parent)

    def open(self, identity: Identity | None) -> None:
        db = self._db

        def work(_progress):
            with db.engine.connect() as conn:
                return sla_table(conn)

        self._tasks.read(
            work,
            on_done=lambda rules: self._show(rules, identity),
            parent=self._parent,
            error_title=self.tr("无法读取时限规则"),
        )

    def _show(self, rules, identity: Identity | None) -> None:
        dialog = self.make_dialog(rules, may_edit(identity))
        try:
            if dialog.exec() != QDialog.DialogCode.Accepted or identity is None:
                return
            changes = dialog.changes()
        finally:
            dialog.deleteLater()
        if not changes:
            return
        db, employee_no = self._db, identity.employee_no

        def work(_progress):
            with db.engine.begin() as conn:
                return set_sla_table(conn, changes=changes, employee_no=employee_no, now=_utc_now())

        self._tasks.write(
            work,
            on_done=self.saved.emit,
            on_error=lambda exc: show_error(self._parent, exc, self.tr("保存时限规则失败")),
            label=self.tr("正在保存时限规则…"),
            parent=self._parent,
        )
