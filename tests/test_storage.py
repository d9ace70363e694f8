"""Storage: migrations on both databases, the schema the ORM expects, and rules the database enforces."""

from __future__ import annotations

import datetime as dt

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import func, inspect, select, text
from sqlalchemy.exc import IntegrityError

from kam_console.db import alembic_config, head_revision, make_engine, open_database, resolve_url
from kam_console.models import (
    Account,
    Base,
    Industry,
    MonthlyRevenue,
    OrgUnit,
    Product,
    Service,
    Staff,
)

pytestmark = pytest.mark.db


def test_every_revision_upgrades_and_downgrades(empty_db_url):
    engine = make_engine(resolve_url(empty_db_url))
    try:
        with engine.begin() as conn:
            command.upgrade(alembic_config(conn), "head")
        with engine.connect() as conn:
            tables = set(inspect(conn).get_table_names())
        assert set(Base.metadata.tables) <= tables
        with engine.begin() as conn:
            command.downgrade(alembic_config(conn), "base")
        with engine.connect() as conn:
            left = set(inspect(conn).get_table_names()) - {"alembic_version"}
        assert left == set()
        with engine.begin() as conn:
            command.upgrade(alembic_config(conn), "head")
        with engine.connect() as conn:
            assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == head_revision()
    finally:
        engine.dispose()


def test_orm_metadata_matches_migrated_schema(db):
    with db.engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True, "render_as_batch": True})
        diff = compare_metadata(ctx, Base.metadata)
    assert diff == []


def test_reference_data_installed(db):
    with db.session() as s:
        assert s.scalar(select(func.count()).where(OrgUnit.level == "province")) == 31
        assert s.scalar(select(func.count()).where(OrgUnit.level == "city")) == 337
        group = s.scalar(select(OrgUnit).where(OrgUnit.code == "000000"))
        assert group.level == "group" and group.parent_id is None and group.local_company.name == "集团公司"
        gd = s.scalar(select(OrgUnit).where(OrgUnit.code == "440000"))
        gz = s.scalar(select(OrgUnit).where(OrgUnit.code == "440100"))
        assert gd.name == "广东省大客户部" and gd.parent_id == group.id
        assert gz.parent_id == gd.id and gz.path == "000000/440000/440100"
        # Horizontal line: the city department answers to its local company, itself under the province company.
        assert gz.local_company.name == "广州分公司"
        assert gz.local_company.parent_id == gd.local_company_id
        assert gd.local_company.parent.code == "000000"
        assert [c for (c,) in s.execute(select(Industry.code).order_by(Industry.sort_order))][:3] == [
            "GOV",
            "FIN",
            "EDU",
        ]
        assert s.scalar(select(func.count()).select_from(Product)) == 8


def test_upgrade_is_idempotent_and_keeps_reference_data_single(db_url):
    for _ in range(2):
        database = open_database(db_url)
        database.dispose()
    database = open_database(db_url)
    try:
        with database.session() as s:
            assert s.scalar(select(func.count()).select_from(OrgUnit)) == 1 + 31 + 337
    finally:
        database.dispose()


# --- rules the database enforces ---------------------------------------------------------------


def _unit(s, code):
    return s.scalar(select(OrgUnit).where(OrgUnit.code == code))


def _industry(s, code="FIN"):
    return s.scalar(select(Industry).where(Industry.code == code))


def _account(s, **kw):
    gz = _unit(s, "440100")
    values = dict(
        customer_no="C0001",
        name="广州测试有限公司",
        level="city",
        industry_id=_industry(s).id,
        owner_unit_id=gz.id,
        owner_level="city",
        serving_city_id=gz.id,
        serving_level="city",
    )
    values.update(kw)
    return Account(**values)


def _expect_integrity(db, build):
    with pytest.raises(IntegrityError):
        with db.session() as s:
            s.add(build(s))
            s.flush()


def test_account_owner_unit_must_match_level(db):
    # A city-level account owned by a province: the composite FK onto (org_unit.id, level) refuses it.
    _expect_integrity(db, lambda s: _account(s, owner_unit_id=_unit(s, "440000").id, owner_level="city"))
    # Lying about the owner's level is refused by the CHECK that ties owner_level to the account level.
    _expect_integrity(db, lambda s: _account(s, owner_unit_id=_unit(s, "440000").id, owner_level="province"))
    # Serving "city" must be a city-level unit.
    _expect_integrity(db, lambda s: _account(s, serving_city_id=_unit(s, "440000").id))
    with db.session() as s:
        s.add(_account(s, level="provincial", owner_unit_id=_unit(s, "440000").id, owner_level="province"))
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(Account)) == 1


def test_unique_codes_and_customer_numbers(db):
    with db.session() as s:
        s.add(_account(s))
    _expect_integrity(db, lambda s: _account(s, name="另一家"))
    _expect_integrity(db, lambda s: OrgUnit(code="440100", name="x", short_name="x", level="city", path="x"))


def test_foreign_keys_enforced(db):
    _expect_integrity(db, lambda s: _account(s, industry_id=99999))
    with pytest.raises(IntegrityError):
        with db.session() as s:
            # 广东 has cities below it: deleting it must be refused, not cascade or orphan them.
            s.execute(text("DELETE FROM org_unit WHERE code = '440000'"))
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(OrgUnit)) == 1 + 31 + 337


def test_revenue_rows_unique_and_lines_non_negative(db):
    with db.session() as s:
        acc = _account(s)
        s.add(acc)
        s.flush()
        prod = s.scalar(select(Product).where(Product.code == "DC"))
        s.add(
            MonthlyRevenue(
                month=202610,
                account_id=acc.id,
                product_id=prod.id,
                serving_city_id=acc.serving_city_id,
                revenue_fen=-1234,
                billed_lines=0,
            )
        )
        ids = (acc.id, prod.id, acc.serving_city_id)

    def dup(s):
        return MonthlyRevenue(
            month=202610, account_id=ids[0], product_id=ids[1], serving_city_id=ids[2], revenue_fen=1, billed_lines=1
        )

    def neg_lines(s):
        return MonthlyRevenue(
            month=202609, account_id=ids[0], product_id=ids[1], serving_city_id=ids[2], revenue_fen=1, billed_lines=-1
        )

    def bad_month(s):
        return MonthlyRevenue(
            month=202613, account_id=ids[0], product_id=ids[1], serving_city_id=ids[2], revenue_fen=1, billed_lines=1
        )

    for build in (dup, neg_lines, bad_month):
        _expect_integrity(db, build)
    with db.session() as s:
        rows = s.execute(select(MonthlyRevenue.month, MonthlyRevenue.revenue_fen)).all()
    assert rows == [(202610, -1234)]


def test_service_lines_and_staff_position_checked(db):
    with db.session() as s:
        acc = _account(s)
        s.add(acc)
        s.flush()
        acc_id = acc.id
    _expect_integrity(
        db,
        lambda s: Service(
            service_no="S1",
            account_id=acc_id,
            product_id=s.scalar(select(Product.id).where(Product.code == "DC")),
            lines=-1,
            start_date=dt.date(2026, 1, 1),
        ),
    )
    _expect_integrity(
        db, lambda s: Staff(employee_no="E1", name="张三", unit_id=_unit(s, "440100").id, position="astronaut")
    )
