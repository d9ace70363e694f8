"""virtual teams: teams by industry or national account, dated memberships, covered accounts, activity log

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-23 20:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

KINDS = ("industry", "account")
ROLES = ("lead", "member", "local_contact", "expert")
ACTIVITY_KINDS = ("created", "note", "joined", "left", "covered", "uncovered", "closed")


def _in(column: str, values: Sequence[str]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def _fk(table: str, column: str, referred: str, ondelete: str = "RESTRICT") -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], [f"{referred}.id"], name=op.f(f"fk_{table}_{column}_{referred}"), ondelete=ondelete
    )


def upgrade() -> None:
    op.create_table(
        "virtual_team",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=12), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("industry_id", sa.Integer(), nullable=True),
        sa.Column("lead_unit_id", sa.Integer(), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=False),
        sa.Column("closed_on", sa.Date(), nullable=True),
        sa.CheckConstraint(_in("kind", KINDS), name=op.f("ck_virtual_team_kind")),
        sa.CheckConstraint(
            "(kind = 'industry' AND industry_id IS NOT NULL) OR (kind = 'account' AND industry_id IS NULL)",
            name=op.f("ck_virtual_team_industry_of_kind"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_virtual_team")),
        sa.UniqueConstraint("code", name=op.f("uq_virtual_team_code")),
        sa.UniqueConstraint("name", name=op.f("uq_virtual_team_name")),
        _fk("virtual_team", "industry_id", "industry"),
        _fk("virtual_team", "lead_unit_id", "org_unit"),
        _fk("virtual_team", "created_by_id", "staff"),
    )
    op.create_index(op.f("ix_virtual_team_lead_unit_id"), "virtual_team", ["lead_unit_id"])
    op.create_table(
        "virtual_team_account",
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("team_id", "account_id", name=op.f("pk_virtual_team_account")),
        _fk("virtual_team_account", "team_id", "virtual_team", ondelete="CASCADE"),
        _fk("virtual_team_account", "account_id", "account"),
    )
    op.create_index(op.f("ix_virtual_team_account_account_id"), "virtual_team_account", ["account_id"])
    op.create_table(
        "virtual_team_member",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=15), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=True),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("added_by_id", sa.Integer(), nullable=False),
        sa.CheckConstraint(_in("role", ROLES), name=op.f("ck_virtual_team_member_role")),
        sa.CheckConstraint(
            "end_date IS NULL OR end_date >= start_date", name=op.f("ck_virtual_team_member_dates_in_order")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_virtual_team_member")),
        _fk("virtual_team_member", "team_id", "virtual_team", ondelete="CASCADE"),
        _fk("virtual_team_member", "staff_id", "staff"),
        _fk("virtual_team_member", "added_by_id", "staff"),
    )
    op.create_index("ix_virtual_team_member_staff_dates", "virtual_team_member", ["staff_id", "start_date", "end_date"])
    op.create_index("ix_virtual_team_member_team", "virtual_team_member", ["team_id", "start_date"])
    op.create_table(
        "team_activity",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.CheckConstraint(_in("kind", ACTIVITY_KINDS), name=op.f("ck_team_activity_kind")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_team_activity")),
        _fk("team_activity", "team_id", "virtual_team", ondelete="CASCADE"),
        _fk("team_activity", "staff_id", "staff"),
    )
    op.create_index("ix_team_activity_team_at", "team_activity", ["team_id", "at"])


def downgrade() -> None:
    op.drop_table("team_activity")
    op.drop_table("virtual_team_member")
    op.drop_table("virtual_team_account")
    op.drop_table("virtual_team")
