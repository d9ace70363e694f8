"""The industry catalogue offered as choices."""

from __future__ import annotations

from sqlalchemy import text

from kam_console.services.catalogues import list_industries, list_products


def test_list_industries_in_sort_order(db):
    with db.engine.begin() as conn:
        industries = list_industries(conn)
        codes = [code for code, _ in industries]
        assert set(codes) >= {"GOV", "FIN", "EDU", "MED", "TRN", "ENE", "MFG", "NET", "TRD", "CUL", "AGR", "CON", "OTH"}
        expected = [
            tuple(r)
            for r in conn.execute(text("SELECT code, name FROM industry WHERE active ORDER BY sort_order, code"))
        ]
        assert industries == expected
        assert all(name for _, name in industries)
        conn.execute(text("UPDATE industry SET active = false WHERE code = 'OTH'"))
        assert "OTH" not in [c for c, _ in list_industries(conn)]
        assert "OTH" in [c for c, _ in list_industries(conn, include_inactive=True)]


def test_list_products_in_catalogue_order(db):
    with db.engine.connect() as conn:
        products = list_products(conn)
    assert products[:2] == [("VOICE", "固定语音"), ("MOBILE", "移动通信")]
    assert {"DC", "NEL", "CLOUD"} <= {code for code, _ in products}
    assert "ALL" not in {code for code, _ in products}


def test_list_units_for_pickers(db):
    from kam_console.services.catalogues import list_units

    with db.engine.begin() as conn:
        units = list_units(conn)
        expected = [
            tuple(r)
            for r in conn.execute(text("SELECT code, name, short_name, level FROM org_unit WHERE active ORDER BY code"))
        ]
        assert [(u.code, u.name, u.short_name, u.level) for u in units] == expected
        gz = next(u for u in units if u.code == "440100")
        assert (gz.name, gz.label, gz.initials, gz.level) == ("广州市大客户部", "广州（440100）", "gz", "city")
        assert gz.within("000000/440000") and gz.within(gz.path) and not gz.within("000000/330000")
        assert not gz.within("000000/4401")  # a subtree is a whole code, not a prefix of one
        conn.execute(text("UPDATE org_unit SET active = false WHERE code = '440100'"))
        assert "440100" not in {u.code for u in list_units(conn)}
        assert not next(u for u in list_units(conn, include_inactive=True) if u.code == "440100").active
