"""The industry catalogue offered as choices."""

from __future__ import annotations

from sqlalchemy import text

from kam_console.services.catalogues import list_industries


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
