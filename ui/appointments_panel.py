"""The 负责人任命 part of a unit page (matrix rule, DESIGN §1): a KA unit proposes its head, the upper KA
unit approves or rejects. A pending appointment shows on both units' pages; the approver's page may
decide it, the proposing unit's page may withdraw it. Data comes from
``kam_console.services.appointments``; the page loads it and hands it over with :meth:`set_unit`."""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, Qt, Signal
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)
from shiboken6 import isValid

from kam_console.models import POSITION_LABELS
from kam_console.services.appointments import AppointmentRow, decide_head, propose_head, withdraw_head
from kam_console.services.staff import POSITION_ORDER, PositionGroup

COL_UNIT, COL_CANDIDATE, COL_PREVIOUS, COL_NOTE, COL_APPROVER, COL_STATUS = range(6)
IdRole = Qt.ItemDataRole.UserRole + 1
DEFAULT_PREVIOUS_POSITION = "market_manager"


def secondary_text_colour(palette: QPalette) -> QColor:
    """Text that reads as secondary yet stays easy to read: the text colour, a quarter of the way towards the
    background (palette(dark) is far too faint on a light window)."""
    text, back = palette.color(QPalette.ColorRole.WindowText), palette.color(QPalette.ColorRole.Window)
    mix = 0.25
    return QColor(
        round(text.red() + (back.red() - text.red()) * mix),
        round(text.green() + (back.green() - text.green()) * mix),
        round(text.blue() + (back.blue() - text.blue()) * mix),
    )


def previous_head_text(row: AppointmentRow) -> str:
    """原负责人 → 改任岗位, e.g. 「张伟 → 市场经理」."""
    position = POSITION_LABELS.get(row.previous_head_position, row.previous_head_position)
    if row.previous_head_name is None:
        return QCoreApplication.translate("AppointmentsPanel", "（暂无负责人）")
    return f"{row.previous_head_name} → {position}"


class ProposeHeadDialog(QDialog):
    """Choose a candidate from the unit's staff, the position the outgoing head takes, and a note."""

    def __init__(self, unit_name: str, staff: list[PositionGroup], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("提议负责人"))
        self.candidate_combo = QComboBox(self)
        for group in staff:
            if group.position == "head":
                continue
            for person in group.staff:
                if not person.active:
                    continue
                self.candidate_combo.addItem(
                    self.tr("{0}（{1}，{2}）").format(person.name, person.employee_no, group.label),
                    person.employee_no,
                )
        self.position_combo = QComboBox(self)
        for position in POSITION_ORDER:
            if position != "head":
                self.position_combo.addItem(POSITION_LABELS[position], position)
        self.position_combo.setCurrentIndex(self.position_combo.findData(DEFAULT_PREVIOUS_POSITION))
        self.note_edit = QLineEdit(self)
        self.note_edit.setPlaceholderText(self.tr("可选，例如：工作需要"))
        self.note_edit.setMaxLength(500)

        intro = QLabel(self.tr("为{0}提议新的负责人，提交后须经上级大客户部门审批。").format(unit_name), self)
        intro.setWordWrap(True)
        form = QFormLayout()
        form.addRow(self.tr("候选人："), self.candidate_combo)
        form.addRow(self.tr("原负责人改任："), self.position_combo)
        form.addRow(self.tr("报批说明："), self.note_edit)
        self.no_candidates = QLabel(self.tr("本单位没有可提议的在岗员工。"), self)
        self.no_candidates.setVisible(self.candidate_combo.count() == 0)

        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText(self.tr("提交审批"))
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setText(self.tr("取消"))
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(self.candidate_combo.count() > 0)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(self.no_candidates)
        layout.addWidget(self.buttons)
        self.setMinimumWidth(420)

    def candidate(self) -> str | None:
        return self.candidate_combo.currentData()

    def previous_head_position(self) -> str:
        return self.position_combo.currentData()

    def note(self) -> str | None:
        return self.note_edit.text().strip() or None


class AppointmentsPanel(QWidget):
    """Pending head appointments of the shown unit (its own, and those awaiting its approval)."""

    #: Emitted after a successful proposal, decision or withdrawal: the page reloads its data.
    changed = Signal()

    def __init__(self, db, tasks, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._db = db
        self._tasks = tasks
        self._code = ""
        self._level = ""
        self._staff: list[PositionGroup] = []
        self._rows: list[AppointmentRow] = []
        self._busy = False

        self.title = QLabel(self.tr("负责人任命"), self)
        font = self.title.font()
        font.setBold(True)
        self.title.setFont(font)
        self.explain = QLabel(
            self.tr("单位负责人的任命须经上级大客户部门审批；待审批的任命同时显示在两级单位的页面上。"), self
        )
        self.explain.setWordWrap(True)
        self.explain.setForegroundRole(QPalette.ColorRole.WindowText)
        explain_palette = self.explain.palette()
        explain_palette.setColor(QPalette.ColorRole.WindowText, secondary_text_colour(explain_palette))
        self.explain.setPalette(explain_palette)
        self.empty = QLabel(self.tr("暂无待审批的负责人任命"), self)

        self.table = QTableWidget(0, 6, self)
        self.table.setObjectName("pendingAppointments")
        self.table.setHorizontalHeaderLabels(
            [
                self.tr("单位"),
                self.tr("候选人"),
                self.tr("原负责人 → 改任岗位"),
                self.tr("报批说明"),
                self.tr("审批单位"),
                self.tr("状态"),
            ]
        )
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().setVisible(False)
        self.table.setWordWrap(False)
        header = self.table.horizontalHeader()
        header.setStretchLastSection(False)
        for col in (COL_UNIT, COL_CANDIDATE, COL_PREVIOUS, COL_APPROVER, COL_STATUS):
            header.setSectionResizeMode(col, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(COL_NOTE, QHeaderView.ResizeMode.Stretch)
        self.table.itemSelectionChanged.connect(self._update_buttons)

        self.propose_button = QPushButton(self.tr("提议负责人…"), self)
        self.approve_button = QPushButton(self.tr("批准"), self)
        self.reject_button = QPushButton(self.tr("驳回"), self)
        self.withdraw_button = QPushButton(self.tr("撤回"), self)
        self.propose_button.clicked.connect(self.propose)
        self.approve_button.clicked.connect(lambda: self.decide(True))
        self.reject_button.clicked.connect(lambda: self.decide(False))
        self.withdraw_button.clicked.connect(self.withdraw)

        buttons = QHBoxLayout()
        buttons.addWidget(self.propose_button)
        buttons.addStretch(1)
        buttons.addWidget(self.approve_button)
        buttons.addWidget(self.reject_button)
        buttons.addWidget(self.withdraw_button)

        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self._layout.addWidget(self.title)
        self._layout.addWidget(self.explain)
        self._layout.addWidget(self.empty)
        self._layout.addWidget(self.table, 1)
        self._layout.addLayout(buttons)
        # Takes the spare height while there is no table, so the empty state stays together at the top.
        self._layout.addStretch(0)
        self.set_unit("", "", [], [])

    # --- data -------------------------------------------------------------------------------------

    def set_unit(self, code: str, level: str, staff: list[PositionGroup], appointments: list[AppointmentRow]) -> None:
        self._code = code
        self._level = level
        self._staff = list(staff)
        self._rows = list(appointments)
        self.table.clearContents()
        self.table.setRowCount(len(self._rows))
        for r, row in enumerate(self._rows):
            values = [
                row.unit_name,
                self.tr("{0}（{1}）").format(row.candidate_name, row.candidate_no),
                previous_head_text(row),
                row.note or "—",
                row.approver_name,
                row.status_label,
            ]
            for col, value in enumerate(values):
                item = QTableWidgetItem(value)
                item.setData(IdRole, row.id)
                if col == COL_NOTE and row.note:
                    item.setToolTip(row.note)
                self.table.setItem(r, col, item)
        self.empty.setVisible(not self._rows)
        self.table.setVisible(bool(self._rows))
        self._layout.setStretch(self._layout.count() - 1, 0 if self._rows else 1)
        if self._rows:
            self.table.selectRow(0)
        self._update_buttons()

    def selected(self) -> AppointmentRow | None:
        rows = self.table.selectionModel().selectedRows()
        if not rows:
            return None
        index = rows[0].row()
        return self._rows[index] if 0 <= index < len(self._rows) else None

    def _unit_name(self) -> str:
        for row in self._rows:
            if row.unit_code == self._code:
                return row.unit_name
            if row.approver_code == self._code:
                return row.approver_name
        return self.tr("本单位")

    def _update_buttons(self) -> None:
        is_group = self._level == "group"
        self.propose_button.setEnabled(bool(self._code) and not is_group and not self._busy)
        self.propose_button.setToolTip(
            self.tr("集团公司大客户事业部的负责人由集团公司任命，不在本系统审批")
            if is_group
            else self.tr("提议本单位的新负责人，提交上级大客户部门审批")
        )
        row = self.selected()
        may_decide = row is not None and row.approver_code == self._code and not self._busy
        may_withdraw = row is not None and row.unit_code == self._code and not self._busy
        self.approve_button.setEnabled(may_decide)
        self.reject_button.setEnabled(may_decide)
        self.withdraw_button.setEnabled(may_withdraw)
        if row is not None and row.approver_code != self._code:
            hint = self.tr("只有上级大客户部门（{0}）可以审批这项任命").format(row.approver_name)
        else:
            hint = ""
        self.approve_button.setToolTip(hint)
        self.reject_button.setToolTip(hint)
        self.withdraw_button.setToolTip(
            self.tr("只有提议单位（{0}）可以撤回").format(row.unit_name)
            if row is not None and row.unit_code != self._code
            else ""
        )

    # --- actions ----------------------------------------------------------------------------------

    def make_propose_dialog(self) -> ProposeHeadDialog:
        return ProposeHeadDialog(self._unit_name(), self._staff, self)

    def propose(self) -> None:
        if not self._code or self._level == "group":
            return
        dialog = self.make_propose_dialog()
        try:
            if dialog.exec() != QDialog.DialogCode.Accepted or dialog.candidate() is None:
                return
            unit, candidate = self._code, dialog.candidate()
            position, note = dialog.previous_head_position(), dialog.note()
        finally:
            dialog.deleteLater()
        db = self._db

        def work(progress):
            with db.engine.begin() as conn:
                return propose_head(conn, unit=unit, candidate=candidate, previous_head_position=position, note=note)

        self._run(work, self.tr("正在提交负责人任命…"), self.tr("提议负责人失败"))

    def decide(self, approve: bool) -> None:
        row = self.selected()
        if row is None or row.approver_code != self._code:
            return
        title = self.tr("批准任命") if approve else self.tr("驳回任命")
        prompt = self.tr("{0}：{1} 任 {2} 负责人\n审批意见（可选）：").format(title, row.candidate_name, row.unit_name)
        note, ok = QInputDialog.getText(self, title, prompt)
        if not ok:
            return
        db, appointment_id, deciding_unit, note = self._db, row.id, self._code, (note or "").strip() or None

        def work(progress):
            with db.engine.begin() as conn:
                return decide_head(
                    conn, appointment_id=appointment_id, approve=approve, deciding_unit=deciding_unit, note=note
                )

        self._run(
            work,
            self.tr("正在提交审批…"),
            self.tr("批准任命失败") if approve else self.tr("驳回任命失败"),
        )

    def withdraw(self) -> None:
        row = self.selected()
        if row is None or row.unit_code != self._code:
            return
        title = self.tr("撤回任命")
        prompt = self.tr("撤回 {0} 任 {1} 负责人的提议\n撤回说明（可选）：").format(row.candidate_name, row.unit_name)
        note, ok = QInputDialog.getText(self, title, prompt)
        if not ok:
            return
        db, appointment_id, note = self._db, row.id, (note or "").strip() or None

        def work(progress):
            with db.engine.begin() as conn:
                withdraw_head(conn, appointment_id=appointment_id, note=note)

        self._run(work, self.tr("正在撤回…"), self.tr("撤回任命失败"))

    def _run(self, work, label: str, error_title: str) -> None:
        self._busy = True
        self._update_buttons()
        task = self._tasks.write(work, on_done=self._done, label=label, error_title=error_title, parent=self)
        task.finished.connect(self._idle)

    def _done(self, _result) -> None:
        if isValid(self):  # the page may have gone while the write ran
            self.changed.emit()

    def _idle(self) -> None:
        self._busy = False
        self._update_buttons()
