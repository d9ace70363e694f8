"""A unit's staff grouped by position (负责人, 市场经理, 客户经理, 项目经理, 业务经理 …), each with their
industry specialties and the number of accounts they are responsible for. Data comes from
``kam_console.services.staff.unit_staff``; the panel only shows it."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from kam_console.services.staff import PositionGroup

COL_NAME, COL_NO, COL_INDUSTRIES, COL_ACCOUNTS, COL_PHONE = range(5)
IdRole = Qt.ItemDataRole.UserRole + 1
ActiveRole = Qt.ItemDataRole.UserRole + 2


class UnitStaffPanel(QWidget):
    add_requested = Signal()
    edit_requested = Signal(int)  # staff id
    deactivate_requested = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title = QLabel(self.tr("员工"), self)
        self.empty = QLabel(self.tr("本单位暂无在岗员工。"), self)
        self.tree = QTreeWidget(self)
        self.tree.setObjectName("unitStaff")
        self.tree.setHeaderLabels(
            [self.tr("姓名"), self.tr("工号"), self.tr("专长行业"), self.tr("负责客户数"), self.tr("电话")]
        )
        self.tree.setRootIsDecorated(True)
        self.tree.setAlternatingRowColors(True)
        self.tree.setUniformRowHeights(True)
        header = self.tree.header()
        header.setStretchLastSection(False)
        for col in (COL_NAME, COL_NO, COL_ACCOUNTS, COL_PHONE):
            header.setSectionResizeMode(col, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(COL_INDUSTRIES, QHeaderView.ResizeMode.Stretch)
        self.add_button = QPushButton(self.tr("新增员工…"), self)
        self.edit_button = QPushButton(self.tr("编辑…"), self)
        self.deactivate_button = QPushButton(self.tr("停用…"), self)
        self.add_button.clicked.connect(self.add_requested)
        self.edit_button.clicked.connect(lambda: self._emit_for_selected(self.edit_requested))
        self.deactivate_button.clicked.connect(lambda: self._emit_for_selected(self.deactivate_requested))
        self.tree.itemSelectionChanged.connect(self._update_buttons)
        self.tree.itemDoubleClicked.connect(lambda *_: self._emit_for_selected(self.edit_requested))
        buttons = QHBoxLayout()
        buttons.addWidget(self.title)
        buttons.addStretch(1)
        for button in (self.add_button, self.edit_button, self.deactivate_button):
            buttons.addWidget(button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(buttons)
        layout.addWidget(self.empty)
        layout.addWidget(self.tree, 1)
        self.set_groups([])

    def selected_id(self) -> int | None:
        items = self.tree.selectedItems()
        value = items[0].data(COL_NAME, IdRole) if items else None
        return int(value) if value is not None else None

    def _emit_for_selected(self, signal) -> None:
        staff_id = self.selected_id()
        if staff_id is not None:
            signal.emit(staff_id)

    def _update_buttons(self) -> None:
        items = self.tree.selectedItems()
        person = items[0] if items and items[0].data(COL_NAME, IdRole) is not None else None
        self.edit_button.setEnabled(person is not None)
        self.deactivate_button.setEnabled(person is not None and bool(person.data(COL_NAME, ActiveRole)))

    def set_groups(self, groups: list[PositionGroup]) -> None:
        self.tree.clear()
        total = sum(len(g.staff) for g in groups)
        self.title.setText(self.tr("员工（{0} 人）").format(total))
        self.empty.setVisible(total == 0)
        self.tree.setVisible(total > 0)
        for group in groups:
            head = QTreeWidgetItem([self.tr("{0}（{1}）").format(group.label, len(group.staff))])
            font = head.font(COL_NAME)
            font.setBold(True)
            head.setFont(COL_NAME, font)
            head.setFirstColumnSpanned(False)
            self.tree.addTopLevelItem(head)
            for person in group.staff:
                item = QTreeWidgetItem(
                    [
                        person.name,
                        person.employee_no,
                        "、".join(person.industries) or "—",
                        f"{person.accounts:,}",
                        person.phone or "",
                    ]
                )
                item.setData(COL_NAME, IdRole, person.id)
                item.setTextAlignment(COL_ACCOUNTS, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                item.setData(COL_NAME, ActiveRole, person.active)
                if not person.active:
                    # Greyed but still selectable, so the record can be looked at and edited.
                    grey = self.palette().color(self.palette().ColorGroup.Disabled, self.palette().ColorRole.Text)
                    for col in range(self.tree.columnCount()):
                        item.setForeground(col, grey)
                    item.setText(COL_NAME, self.tr("{0}（已停用）").format(person.name))
                head.addChild(item)
            head.setExpanded(True)
        self._update_buttons()
