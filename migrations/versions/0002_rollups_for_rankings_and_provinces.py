"""account and province rollups

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 13:45:40

account_rollup (one row per account and month) serves rankings and the distribution of ARPA over
accounts; province_rollup (revenue_rollup summed to provinces) serves country- and province-wide
views. Both are derived data and are filled here from what the database already holds.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

LEVELS = "account_level IN ('national', 'provincial', 'city')"


def upgrade() -> None:
    op.create_table(
        "account_rollup",
        sa.Column("month", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("city_id", sa.Integer(), nullable=False),
        sa.Column("industry_id", sa.Integer(), nullable=False),
        sa.Column("account_level", sa.String(length=10), nullable=False),
        sa.Column("revenue_fen", sa.BigInteger(), nullable=False),
        sa.Column("lines", sa.BigInteger(), nullable=False),
        sa.CheckConstraint(LEVELS, name=op.f("ck_account_rollup_account_level")),
        sa.ForeignKeyConstraint(
            ["account_id"], ["account.id"], name=op.f("fk_account_rollup_account_id_account"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["city_id"], ["org_unit.id"], name=op.f("fk_account_rollup_city_id_org_unit"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["industry_id"], ["industry.id"], name=op.f("fk_account_rollup_industry_id_industry"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("month", "account_id", name=op.f("pk_account_rollup")),
        sqlite_with_rowid=False,
    )
    with op.batch_alter_table("account_rollup", schema=None) as batch_op:
        batch_op.create_index("ix_account_rollup_month_city_revenue", ["month", "city_id", "revenue_fen"])
        batch_op.create_index("ix_account_rollup_month_revenue", ["month", "revenue_fen"])

    op.create_table(
        "province_rollup",
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("month", sa.Integer(), nullable=False),
        sa.Column("province_id", sa.Integer(), nullable=False),
        sa.Column("industry_id", sa.Integer(), nullable=False),
        sa.Column("account_level", sa.String(length=10), nullable=False),
        sa.Column("revenue_fen", sa.BigInteger(), nullable=False),
        sa.Column("lines", sa.BigInteger(), nullable=False),
        sa.Column("accounts", sa.Integer(), nullable=False),
        sa.CheckConstraint(LEVELS, name=op.f("ck_province_rollup_account_level")),
        sa.ForeignKeyConstraint(
            ["province_id"], ["org_unit.id"], name=op.f("fk_province_rollup_province_id_org_unit"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["industry_id"], ["industry.id"], name=op.f("fk_province_rollup_industry_id_industry"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint(
            "product_id", "month", "province_id", "industry_id", "account_level", name=op.f("pk_province_rollup")
        ),
        sqlite_with_rowid=False,
    )

    op.execute(
        "INSERT INTO account_rollup (month, account_id, city_id, industry_id, account_level, revenue_fen, lines) "
        "SELECT r.month, r.account_id, MIN(r.serving_city_id), MIN(a.industry_id), MIN(a.level), "
        "SUM(r.revenue_fen), SUM(r.billed_lines) "
        "FROM monthly_revenue r JOIN account a ON a.id = r.account_id GROUP BY r.month, r.account_id"
    )
    op.execute(
        "INSERT INTO province_rollup "
        "(product_id, month, province_id, industry_id, account_level, revenue_fen, lines, accounts) "
        "SELECT r.product_id, r.month, c.parent_id, r.industry_id, r.account_level, "
        "SUM(r.revenue_fen), SUM(r.lines), SUM(r.accounts) "
        "FROM revenue_rollup r JOIN org_unit c ON c.id = r.city_id "
        "GROUP BY r.product_id, r.month, c.parent_id, r.industry_id, r.account_level"
    )


def downgrade() -> None:
    op.drop_table("province_rollup")
    with op.batch_alter_table("account_rollup", schema=None) as batch_op:
        batch_op.drop_index("ix_account_rollup_month_revenue")
        batch_op.drop_index("ix_account_rollup_month_city_revenue")
    op.drop_table("account_rollup")
