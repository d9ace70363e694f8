"""OrgTreeModel and OrgTreeFilter without a window: shape of the hierarchy, lookups, summaries, search."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from kam_console.services.org import OrgNode, OrgUnitRow
from ui.org_tree_model import (
    COL_CODE,
    COL_NAME,
    CodeRole,
    OrgTreeFilter,
    OrgTreeModel,
    load_org_tree,
)


@pytest.fixture
def tree_data(sqlite_db):
    return load_org_tree(sqlite_db)


@pytest.fixture
def model(qapp, tree_data):
    m = OrgTreeModel()
    m.set_tree(tree_data)
    return m


def _walk(model, parent):
    for row in range(model.rowCount(parent)):
        index = model.index(row, COL_NAME, parent)
        yield index
        yield from _walk(model, index)


def test_hierarchy_shape(model):
    assert model.rowCount() == 1
    group = model.index(0, COL_NAME)
    assert group.data(CodeRole) == "000000"
    assert model.rowCount(group) == 31
    levels = [index.data(CodeRole) for index in _walk(model, group)]
    cities = [code for code in levels if model.unit(code).level == "city"]
    assert len(cities) == 337
    assert model.columnCount() == 4  # 单位, 代码, 客户数, revenue of the newest month
    assert model.headerData(COL_NAME, Qt.Orientation.Horizontal) == "单位"


def test_city_parent_is_its_province(model):
    guangzhou = model.index_for_code("440100")
    assert guangzhou.data() == "广州"
    assert guangzhou.siblingAtColumn(COL_CODE).data() == "440100"
    assert guangzhou.parent().data(CodeRole) == "440000"
    assert guangzhou.parent().data() == "广东"
    assert guangzhou.parent().parent().data(CodeRole) == "000000"
    tip = guangzhou.data(Qt.ItemDataRole.ToolTipRole)  # full name and local company
    assert "广州市大客户部" in tip and "广州分公司" in tip


def test_summary(model):
    province = model.summary("440000")
    assert province.unit.name == "广东省大客户部"
    assert province.level_label == "省"
    assert province.parent.code == "000000"
    assert len(province.children) == 21
    assert province.subtree_counts == {"city": 21}
    group = model.summary("000000")
    assert group.parent is None
    assert group.subtree_counts == {"province": 31, "city": 337}
    city = model.summary("440100")
    assert city.children == [] and city.subtree_counts == {} and city.unit.local_company == "广州分公司"
    assert model.summary("999999") is None


def test_reload_replaces_rows_and_keeps_columns(model, tree_data):
    model.set_tree(tree_data)
    assert model.rowCount() == 1 and model.columnCount() == 4
    assert model.index_for_code("440100").isValid()


def _visible_codes(proxy, parent=None):
    from PySide6.QtCore import QModelIndex

    parent = parent or QModelIndex()
    out = []
    for row in range(proxy.rowCount(parent)):
        index = proxy.index(row, COL_NAME, parent)
        out.append(index.data(CodeRole))
        out.extend(_visible_codes(proxy, index))
    return out


def test_filter_keeps_ancestors(model):
    proxy = OrgTreeFilter()
    proxy.setSourceModel(model)
    proxy.set_search("广州")
    assert _visible_codes(proxy) == ["000000", "440000", "440100"]
    proxy.set_search("440300")
    assert _visible_codes(proxy) == ["000000", "440000", "440300"]
    proxy.set_search("  ")
    assert len(_visible_codes(proxy)) == 1 + 31 + 337
    proxy.set_search("没有这个单位")
    assert proxy.rowCount() == 0


def test_filter_by_full_name_and_pinyin_initials(model, tree_data):
    proxy = OrgTreeFilter()
    proxy.setSourceModel(model)
    proxy.set_search("广东省大客户部")
    assert _visible_codes(proxy) == ["000000", "440000"]
    if tree_data.search_keys:  # pinyin initials are a convenience of the loader
        proxy.set_search("SZ")
        codes = _visible_codes(proxy)
        assert "440300" in codes  # 深圳
        assert "440000" in codes  # its province stays visible


def _row(code, name, short, level, parent=None, active=True):
    return OrgUnitRow(1, code, name, short, level, parent, None, active)


def test_degenerate_trees(qapp):
    model = OrgTreeModel()
    model.set_tree([])
    assert model.rowCount() == 0 and model.summary("000000") is None
    lonely = OrgNode(_row("000000", "集团公司大客户事业部", "集团", "group"), [])
    closed = OrgNode(_row("110000", "北京市大客户部", "北京", "province", "000000", active=False), [])
    lonely.children.append(closed)
    model.set_tree([lonely])
    assert model.rowCount() == 1
    summary = model.summary("000000")
    assert summary.subtree_counts == {"province": 1} and summary.unit.local_company is None
    index = model.index_for_code("110000")
    assert not model.itemFromIndex(index).isEnabled()
    tip = index.data(Qt.ItemDataRole.ToolTipRole)
    assert "已停用" in tip and "本地公司：—" in tip


def test_pinyin_search_is_not_noisy(model, tree_data):
    if not tree_data.search_keys:
        pytest.skip("pinyin initials not available")
    proxy = OrgTreeFilter()
    proxy.setSourceModel(model)
    proxy.set_search("gz")
    codes = _visible_codes(proxy)
    assert {"440100", "360700", "520000"} <= set(codes)  # 广州, 赣州, 贵州
    assert "150000" not in codes  # 内蒙古 would match the initials of its full name (…自治区…)
