"""工具 → 行业目录…: the group's industry catalogue with how much each industry is used, and — for the
group's administrator or head (the current identity) — adding, renaming, retiring (停用), restoring and
deleting industries. Everyone else sees the list read-only, with a line saying who may change it.

Every change runs as a background write through ``kam_console.services.industry_catalogue``; a refusal
(a duplicate code or name, an industry in use, …) is shown in the dialog in red and nothing changes.
After each change the list is read again and ``changed`` tells the window, so pages that offer industries
read them afresh.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, QRegularExpression, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QRegularExpressionValidator
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from kam_console.db import Database
from kam_console.services.industry_catalogue import (
    MAX_NAME,
    IndustryUsage,
    add_industry,
    delete_industry,
    is_catalogue_admin,
    list_catalogue,
    rename_industry,
    restore_industry,
    retire_industry,
)
from kam_console.services.staff import Identity
from ui.style import set_muted
from ui.tasks import BackgroundTasks

COL_CODE, COL_NAME, COL_STATUS, COL_ACCOUNTS, COL_STAFF = range(5)
HEADERS = ["代码", "名称", "状态", "客户数", "专长员工"]
CodeRole = Qt.ItemDataRole.UserRole + 1
RETIRED_TEXT = QColor("#6b7280")
ERROR_STYLE = "color: #b91c1c;"
OK_STYLE = "color: #15803d;"


class IndustryFormDialog(QDialog):
    """A code and a name (new industry), or a new name (renaming: the code is shown, not editable)."""

    def __init__(self, parent: QWidget | None = None, *, code: str = "", name: str = "") -> None:
        super().__init__(parent)
        renaming = bool(code)
        self.setWindowTitle(self.tr("行业改名") if renaming else self.tr("新增行业"))
        self.code_edit = QLineEdit(code, self)
        self.code_edit.setObjectName("industryCode")
        self.code_edit.setMaxLength(10)
        self.code_edit.setPlaceholderText(self.tr("2–10 位大写字母或数字，如 SPT"))
        self.code_edit.setValidator(QRegularExpressionValidator(QRegularExpression("[A-Za-z0-9]{0,10}"), self))
        self.code_edit.textEdited.connect(self._upper)
        self.code_edit.setReadOnly(renaming)
        self.name_edit = QLineEdit(name, self)
        self.name_edit.setObjectName("industryName")
        self.name_edit.setMaxLength(MAX_NAME)
        self.name_edit.setPlaceholderText(self.tr("如 体育"))
        form = QFormLayout()
        form.addRow(self.tr("代码："), self.code_edit)
        form.addRow(self.tr("名称："), self.name_edit)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText(
            self.tr("改名") if renaming else self.tr("新增")
        )
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setText(self.tr("取消"))
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.buttons)
        self.setMinimumWidth(360)
        (self.name_edit if renaming else self.code_edit).setFocus()

    def _upper(self, text: str) -> None:
        if text != text.upper():
            position = self.code_edit.cursorPosition()
            self.code_edit.setText(text.upper())
            self.code_edit.setCursorPosition(position)

    def values(self) -> tuple[str, str]:
        return self.code_edit.text().strip(), self.name_edit.text().strip()


class IndustryCatalogueDialog(QDialog):
    """The catalogue table with its actions; changes go through ``run`` (a background write)."""

    changed = Signal()

    def __init__(
        self,
        db: Database,
        tasks: BackgroundTasks,
        identity: Identity | None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.db = db
        self.tasks = tasks
        self.identity = identity
        self.editable = is_catalogue_admin(identity)
        self.rows: list[IndustryUsage] = []
        self.setWindowTitle(self.tr("行业目录"))
        intro = QLabel(self)
        intro.setWordWrap(True)
        if self.editable:
            intro.setText(
                self.tr(
                    "集团统一的行业分类。不再使用的行业请停用：停用后不再供新客户和员工选择，"
                    "已有客户、专长和指标照常显示。只有从未使用过的行业可以删除。"
                )
            )
        else:
            who = identity.label if identity is not None else self.tr("未选择")
            intro.setText(
                self.tr("集团统一的行业分类。只有集团公司大客户事业部的管理员或负责人可以修改；当前身份：{0}。").format(
                    who
                )
            )
        self.table = QTableWidget(0, len(HEADERS), self)
        self.table.setObjectName("industryCatalogue")
        self.table.setHorizontalHeaderLabels([self.tr(h) for h in HEADERS])
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setDefaultSectionSize(self.table.fontMetrics().height() + 8)
        self.table.setAlternatingRowColors(True)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(COL_NAME, QHeaderView.ResizeMode.Stretch)
        self.table.itemSelectionChanged.connect(self._sync_buttons)
        self.table.cellDoubleClicked.connect(lambda _r, _c: self.rename_clicked())

        self.add_button = QPushButton(self.tr("新增…"), self)
        self.rename_button = QPushButton(self.tr("改名…"), self)
        self.retire_button = QPushButton(self.tr("停用"), self)
        self.retire_button.setToolTip(self.tr("不再供新客户和员工选择；已有数据照常显示"))
        self.restore_button = QPushButton(self.tr("恢复"), self)
        self.delete_button = QPushButton(self.tr("删除"), self)
        self.delete_button.setToolTip(self.tr("只能删除从未使用过的行业"))
        self.add_button.clicked.connect(self.add_clicked)
        self.rename_button.clicked.connect(self.rename_clicked)
        self.retire_button.clicked.connect(lambda: self.run_selected(retire_industry, self.tr("已停用")))
        self.restore_button.clicked.connect(lambda: self.run_selected(restore_industry, self.tr("已恢复")))
        self.delete_button.clicked.connect(self.delete_clicked)
        actions = QVBoxLayout()
        for button in (self.add_button, self.rename_button, self.retire_button, self.restore_button):
            actions.addWidget(button)
        actions.addSpacing(12)
        actions.addWidget(self.delete_button)
        actions.addStretch(1)

        self.message = QLabel(self)
        self.message.setObjectName("catalogueMessage")
        self.message.setWordWrap(True)
        self.message.hide()
        self.counts = QLabel(self)
        set_muted(self.counts)
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        close.button(QDialogButtonBox.StandardButton.Close).setText(self.tr("关闭"))
        close.rejected.connect(self.reject)

        middle = QHBoxLayout()
        middle.addWidget(self.table, 1)
        if self.editable:
            middle.addLayout(actions)
        else:
            for button in (
                self.add_button,
                self.rename_button,
                self.retire_button,
                self.restore_button,
                self.delete_button,
            ):
                button.hide()
        bottom = QHBoxLayout()
        bottom.addWidget(self.counts, 1)
        bottom.addWidget(close)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(middle, 1)
        layout.addWidget(self.message)
        layout.addLayout(bottom)
        self.resize(620, 500)
        self._sync_buttons()

    # --- the list -----------------------------------------------------------------------------------

    def load(self, select: str | None = None) -> None:
        db = self.db

        def work(_progress):
            with db.engine.connect() as conn:
                return list_catalogue(conn)

        self.tasks.read(
            work,
            on_done=lambda rows: self.set_rows(rows, select),
            error_title=self.tr("无法读取行业目录"),
            busy_cursor=False,
            parent=self,
        )

    def set_rows(self, rows: list[IndustryUsage], select: str | None = None) -> None:
        select = select or self.selected_code()
        self.rows = list(rows)
        table = self.table
        table.setRowCount(len(self.rows))
        right = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
        for r, usage in enumerate(self.rows):
            cells = [
                (usage.code, None),
                (usage.name, None),
                (self.tr("在用") if usage.active else self.tr("已停用"), None),
                (f"{usage.accounts:,}", right),
                (f"{usage.staff:,}", right),
            ]
            for c, (text, align) in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setData(CodeRole, usage.code)
                if align is not None:
                    item.setTextAlignment(align)
                if not usage.active:
                    item.setForeground(QBrush(RETIRED_TEXT))
                table.setItem(r, c, item)
            if not usage.in_use:
                table.item(r, COL_ACCOUNTS).setToolTip(self.tr("尚未使用，可以删除"))
        if select:
            self.select_code(select)
        active = sum(u.active for u in self.rows)
        self.counts.setText(
            self.tr("共 {0} 个行业，在用 {1} 个，已停用 {2} 个").format(len(self.rows), active, len(self.rows) - active)
        )
        self._sync_buttons()

    def selected_code(self) -> str | None:
        rows = self.table.selectionModel().selectedRows() if self.table.selectionModel() else []
        if not rows:
            return None
        item = self.table.item(rows[0].row(), COL_CODE)
        return item.data(CodeRole) if item is not None else None

    def selected(self) -> IndustryUsage | None:
        code = self.selected_code()
        return next((u for u in self.rows if u.code == code), None)

    def select_code(self, code: str) -> bool:
        for r in range(self.table.rowCount()):
            if self.table.item(r, COL_CODE).data(CodeRole) == code:
                self.table.selectRow(r)
                return True
        return False

    def _sync_buttons(self) -> None:
        usage = self.selected()
        self.add_button.setEnabled(self.editable)
        self.rename_button.setEnabled(self.editable and usage is not None)
        self.retire_button.setEnabled(self.editable and usage is not None and usage.active)
        self.restore_button.setEnabled(self.editable and usage is not None and not usage.active)
        self.delete_button.setEnabled(self.editable and usage is not None)

    # --- changes ------------------------------------------------------------------------------------

    def show_message(self, text: str, *, error: bool) -> None:
        self.message.setStyleSheet(ERROR_STYLE if error else OK_STYLE)
        self.message.setText(text)
        self.message.setVisible(bool(text))

    def make_form(self, code: str = "", name: str = "") -> IndustryFormDialog:
        return IndustryFormDialog(self, code=code, name=name)

    def confirm_delete(self, usage: IndustryUsage) -> bool:
        answer = QMessageBox.question(
            self,
            self.tr("删除行业"),
            self.tr("删除行业「{0}」（{1}）？删除后不能恢复。").format(usage.name, usage.code),
        )
        return answer == QMessageBox.StandardButton.Yes

    def add_clicked(self) -> None:
        self._ask(self.make_form(), lambda code, name: self.add(code, name))

    def rename_clicked(self) -> None:
        usage = self.selected()
        if usage is None or not self.editable:
            return
        self._ask(self.make_form(usage.code, usage.name), lambda code, name: self.rename(code, name))

    def _ask(self, form: IndustryFormDialog, then) -> None:
        try:
            if form.exec() != QDialog.DialogCode.Accepted:
                return
            code, name = form.values()
        finally:
            form.deleteLater()
        then(code, name)

    def delete_clicked(self) -> None:
        usage = self.selected()
        if usage is None:
            return
        if usage.in_use:  # refused without asking: the service says why and what to do instead
            self.run(lambda conn, employee_no: delete_industry(conn, code=usage.code, employee_no=employee_no), "")
            return
        if self.confirm_delete(usage):
            self.run(
                lambda conn, employee_no: delete_industry(conn, code=usage.code, employee_no=employee_no),
                self.tr("已删除 {0}").format(usage.code),
            )

    def add(self, code: str, name: str):
        return self.run(
            lambda conn, employee_no: add_industry(conn, code=code, name=name, employee_no=employee_no),
            self.tr("已新增"),
        )

    def rename(self, code: str, name: str):
        return self.run(
            lambda conn, employee_no: rename_industry(conn, code=code, name=name, employee_no=employee_no),
            self.tr("已改名"),
        )

    def run_selected(self, change, done: str):
        usage = self.selected()
        if usage is None:
            return None
        code = usage.code
        return self.run(lambda conn, employee_no: change(conn, code=code, employee_no=employee_no), done)

    def run(self, change, done: str):
        """Apply ``change(conn, employee_no)`` as the current identity in a background write; show the
        result (or the refusal) in the dialog and read the list again."""
        if not self.editable or self.identity is None:
            self.show_message(self.tr("只有集团公司大客户事业部的管理员或负责人可以修改行业目录"), error=True)
            return None
        db, employee_no = self.db, self.identity.employee_no

        def work(_progress):
            with db.engine.begin() as conn:
                return change(conn, employee_no)

        def finished(usage) -> None:
            if usage is not None:
                self.show_message(f"{done}：{usage.name}（{usage.code}）", error=False)
            else:
                self.show_message(done, error=False)
            self.changed.emit()
            self.load(usage.code if usage is not None else None)

        def failed(exc: BaseException) -> None:
            self.show_message(getattr(exc, "zh", None) or str(exc), error=True)

        return self.tasks.write(
            work, on_done=finished, on_error=failed, label=self.tr("正在保存行业目录…"), parent=self
        )


class IndustryCatalogueEditor(QObject):
    """Opens the catalogue dialog for the current identity (工具 → 行业目录…)."""

    changed = Signal()

    def __init__(self, db: Database, tasks: BackgroundTasks, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._db = db
        self._tasks = tasks
        self._parent = parent
        self.dialog: IndustryCatalogueDialog | None = None

    def open(self, identity: Identity | None) -> IndustryCatalogueDialog:
        dialog = IndustryCatalogueDialog(self._db, self._tasks, identity, self._parent)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.changed.connect(self.changed)
        dialog.destroyed.connect(lambda _obj=None: setattr(self, "dialog", None))
        self.dialog = dialog
        dialog.load()
        dialog.open()
        return dialog
