"""A unit's staff grouped by position (负责人, 市场经理, 客户经理, 项目经理, 业务经理 …), each with their
industry specialties and the number of accounts they are responsible for. Data comes from
``kam_console.services.staff.unit_staff``; the panel only shows it."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHeaderView, QLabel, QTreeWidget, QTreeWidgetItem, QVBoxLayout, QWidget

from kam_console.services.staff import PositionGroup

COL_NAME, COL_NO, COL_INDUSTRIES, COL_ACCOUNTS, COL_PHONE = range(5)
IdRole = Qt.ItemDataRole.UserRole + 1


class UnitStaffPanel(QWidget):
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
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.title)
        layout.addWidget(self.empty)
        layout.addWidget(self.tree, 1)
        self.set_groups([])

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
                if not person.active:
                    item.setDisabled(True)
                    item.setText(COL_NAME, self.tr("{0}（已停用）").format(person.name))
                head.addChild(item)
            head.setExpanded(True)
