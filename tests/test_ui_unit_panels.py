"""The unit page's figure tiles and staff list, with real, empty and degenerate data."""

from __future__ import annotations

from decimal import Decimal

from kam_console.analytics import Figures
from kam_console.services.overview import KeyFigures
from kam_console.services.staff import PositionGroup, StaffRow
from ui.unit_figures_panel import DOWN_GREEN, UP_RED, UnitFiguresPanel, format_pct
from ui.unit_staff_panel import COL_ACCOUNTS, COL_INDUSTRIES, UnitStaffPanel


def key(revenue_fen=123456789, lines=100, accounts=10, mom=Decimal("5.2"), yoy=Decimal("-3.0")):
    return KeyFigures(
        "440000",
        202610,
        Figures("440000", "广东省大客户部", revenue_fen, lines, accounts),
        mom,
        yoy,
        Decimal("1.0"),
        None,
    )


def test_figure_tiles(qtbot):
    panel = UnitFiguresPanel()
    qtbot.addWidget(panel)
    panel.set_figures(key())
    assert panel.title.text() == "关键指标（2026年10月）"
    assert panel.tiles["revenue"].value.text() == "1,234,567.89"
    assert panel.tiles["arpu"].value.text() == "12,345.68"
    assert panel.tiles["arpa"].value.text() == "123,456.79"
    change = panel.tiles["revenue"].change.text()
    assert "+5.2%" in change and "-3.0%" in change
    assert UP_RED.name() in change and DOWN_GREEN.name() in change  # up red, down green by default
    assert "—" in panel.tiles["arpa"].change.text()


def test_colour_convention_can_be_flipped(qtbot):
    panel = UnitFiguresPanel(up_red=False)
    qtbot.addWidget(panel)
    panel.set_figures(key())
    change = panel.tiles["revenue"].change.text()
    assert change.index(DOWN_GREEN.name()) < change.index(UP_RED.name())


def test_empty_and_degenerate_figures(qtbot):
    panel = UnitFiguresPanel()
    qtbot.addWidget(panel)
    panel.show()
    panel.set_figures(None)
    assert panel.empty.isVisible() and not panel.tiles["revenue"].isVisible()
    panel.set_figures(key(revenue_fen=0, lines=0, accounts=0, mom=None, yoy=None))
    assert panel.empty.isVisible()
    panel.set_figures(key(revenue_fen=-500, lines=0, accounts=0, mom=None, yoy=None))  # adjustments only
    assert not panel.empty.isVisible()
    assert panel.tiles["arpu"].value.text() == "—" and panel.tiles["arpa"].value.text() == "—"
    assert format_pct(Decimal("0.0")) == "0.0%"


def person(i, accounts=3, industries=("金融", "教育"), active=True):
    return StaffRow(i, f"E{i}", f"员工{i}", "customer_manager", industries, accounts, active, None, None)


def test_staff_panel(qtbot):
    panel = UnitStaffPanel()
    qtbot.addWidget(panel)
    panel.show()
    panel.set_groups(
        [
            PositionGroup("head", "负责人", [StaffRow(1, "E1", "张伟", "head", (), 0, True, "13800000000", None)]),
            PositionGroup(
                "customer_manager", "客户经理", [person(2), person(3, accounts=0, industries=(), active=False)]
            ),
        ]
    )
    assert panel.title.text() == "员工（3 人）"
    tree = panel.tree
    assert tree.topLevelItemCount() == 2
    managers = tree.topLevelItem(1)
    assert managers.text(0) == "客户经理（2）"
    assert managers.child(0).text(COL_INDUSTRIES) == "金融、教育"
    assert managers.child(0).text(COL_ACCOUNTS) == "3"
    assert managers.child(1).text(0) == "员工3（已停用）"
    assert managers.child(1).text(COL_INDUSTRIES) == "—"


def test_staff_panel_empty(qtbot):
    panel = UnitStaffPanel()
    qtbot.addWidget(panel)
    panel.show()
    panel.set_groups([])
    assert panel.empty.isVisible() and not panel.tree.isVisible()
    assert panel.title.text() == "员工（0 人）"


def test_staff_panel_buttons_follow_the_selection(qtbot):
    panel = UnitStaffPanel()
    qtbot.addWidget(panel)
    panel.set_groups([PositionGroup("customer_manager", "客户经理", [person(7), person(8, active=False)])])
    assert not panel.edit_button.isEnabled() and not panel.deactivate_button.isEnabled()
    group = panel.tree.topLevelItem(0)
    panel.tree.setCurrentItem(group.child(0))
    assert panel.edit_button.isEnabled() and panel.deactivate_button.isEnabled()
    with qtbot.waitSignal(panel.deactivate_requested) as sig:
        panel.deactivate_button.click()
    assert sig.args == [7]
    panel.tree.setCurrentItem(group.child(1))  # already deactivated
    assert panel.edit_button.isEnabled() and not panel.deactivate_button.isEnabled()
    panel.tree.setCurrentItem(group)  # a position heading, not a person
    assert not panel.edit_button.isEnabled()
