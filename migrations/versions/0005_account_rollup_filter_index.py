"""account rollup index for filtered distributions and rankings

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23 16:15:00

The analysis page's distribution and top accounts read one month of ``account_rollup`` narrowed by
industry or account level. Without an index leading with those columns SQLite walked the month's
(month, revenue) index and looked every row up to test its industry (0.5–1.2 s for the country at large
scale). This covering index serves a month narrowed by industry, level and city without touching the
table.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("account_rollup", schema=None) as batch_op:
        batch_op.create_index(
            "ix_account_rollup_month_industry",
            ["month", "industry_id", "account_level", "city_id", "revenue_fen"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("account_rollup", schema=None) as batch_op:
        batch_op.drop_index("ix_account_rollup_month_industry")
