"""unit_matrix: both lines of the matrix around one unit, on SQLite and PostgreSQL (``db`` fixture)."""

from __future__ import annotations

from dataclasses import replace

import pytest
from sqlalchemy import update

from kam_console.errors import NotFound
from kam_console.models import OrgUnit
from kam_console.services.matrix import CompanyRef, matrix_from_rows, unit_matrix
from kam_console.services.org import get_org_unit, list_org_units


def test_city_has_both_superiors(db):
    with db.session() as session:
        m = unit_matrix(session, code="440100")
    assert (m.unit.code, m.unit.name, m.unit.short_name, m.unit.level) == ("440100", "广州市大客户部", "广州", "city")
    assert m.upper is not None
    assert (m.upper.code, m.upper.name, m.upper.short_name) == ("440000", "广东省大客户部", "广东")
    assert m.lower == []
    assert m.company == CompanyRef(name="广州分公司", code="440100", level="city")
    assert m.company.level_label == "地市分公司"
    assert m.company_superior == CompanyRef(name="广东省公司", code="440000", level="province")
    assert m.upper_company == m.company_superior
    assert m.superiors_share_company  # both lines meet at 广东省公司


def test_province_has_its_cities_below(db):
    with db.session() as session:
        m = unit_matrix(session, code="440000")
    assert m.upper is not None and m.upper.code == "000000"
    assert len(m.lower) == 21
    assert [u.code for u in m.lower] == sorted(u.code for u in m.lower)
    assert m.lower[0].code == "440100" and m.lower[0].short_name == "广州"
    assert {u.level for u in m.lower} == {"city"}
    assert m.company is not None and m.company.name == "广东省公司"
    assert m.company_superior is not None and m.company_superior.name == "集团公司"
    assert m.company_superior.level == "group"


def test_group_has_no_upper_and_31_provinces(db):
    with db.session() as session:
        m = unit_matrix(session, code="000000")
    assert m.upper is None
    assert m.upper_company is None
    assert len(m.lower) == 31
    assert {u.level for u in m.lower} == {"province"}
    assert m.company is not None and m.company.name == "集团公司"
    assert m.company_superior is None  # the top of the company tree
    assert not m.superiors_share_company


def test_municipality_has_one_lower_unit(db):
    with db.session() as session:
        m = unit_matrix(session, code="110000")
    assert [(u.code, u.short_name) for u in m.lower] == [("110100", "北京市区")]
    assert m.company is not None and m.company.name == "北京公司"


def test_inactive_lower_unit_is_flagged(db):
    with db.session() as session:
        session.execute(update(OrgUnit).where(OrgUnit.code == "440300").values(active=False))
    with db.session() as session:
        m = unit_matrix(session, code="440000")
    flags = {u.code: u.active for u in m.lower}
    assert flags["440300"] is False and flags["440100"] is True


def test_unknown_code_is_not_found(db):
    with db.session() as session, pytest.raises(NotFound) as err:
        unit_matrix(session, code="999999")
    assert err.value.zh == "没有代码为 999999 的单位"


def test_matrix_from_rows_agrees_on_what_rows_know(db):
    with db.session() as session:
        full = unit_matrix(session, code="440100")
        unit = get_org_unit(session, code="440100")
        upper = get_org_unit(session, code="440000")
        lower = list_org_units(session, parent_code="440100")
        province_rows = (get_org_unit(session, code="440000"), get_org_unit(session, code="000000"))
        province_lower = list_org_units(session, parent_code="440000")
        province_full = unit_matrix(session, code="440000")
    m = matrix_from_rows(unit, upper, lower)
    assert (m.unit, m.upper, m.lower) == (full.unit, full.upper, full.lower)
    assert m.company == CompanyRef("广州分公司")  # by name only: the rows don't carry codes or levels
    assert m.upper_company == CompanyRef("广东省公司")
    assert m.company_superior is None
    assert m.superiors_share_company is False
    p = matrix_from_rows(province_rows[0], province_rows[1], province_lower)
    assert p.lower == province_full.lower


def test_matrix_from_rows_without_upper_or_company(db):
    with db.session() as session:
        group = get_org_unit(session, code="000000")
    m = matrix_from_rows(replace(group, local_company=None), None, [])
    assert m.upper is None and m.company is None and m.upper_company is None and m.lower == []
