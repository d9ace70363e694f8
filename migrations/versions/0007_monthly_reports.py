"""monthly reports: versions with frozen figures and narratives, and their recorded transitions

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-23 19:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

STATUSES = ("draft", "submitted", "approved", "returned")
ACTIONS = ("create", "save", "submit", "approve", "return", "revise")


def _in(column: str, values: Sequence[str]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def _ts(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _fk(table: str, column: str, referred: str, ondelete: str = "RESTRICT") -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], [f"{referred}.id"], name=op.f(f"fk_{table}_{column}_{referred}"), ondelete=ondelete
    )


def upgrade() -> None:
    op.create_table(
        "monthly_report",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("month", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=10), server_default="draft", nullable=False),
        sa.Column("market_text", sa.Text(), server_default="", nullable=False),
        sa.Column("issues_text", sa.Text(), server_default="", nullable=False),
        sa.Column("plan_text", sa.Text(), server_default="", nullable=False),
        sa.Column("snapshot", sa.Text(), nullable=True),
        _ts("created_at"),
        sa.Column("created_by_id", sa.Integer(), nullable=False),
        _ts("updated_at"),
        sa.Column("updated_by_id", sa.Integer(), nullable=False),
        _ts("submitted_at", nullable=True),
        sa.Column("submitted_by_id", sa.Integer(), nullable=True),
        _ts("decided_at", nullable=True),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("return_reason", sa.Text(), nullable=True),
        sa.Column("row_version", sa.Integer(), server_default="1", nullable=False),
        sa.CheckConstraint(_in("status", STATUSES), name=op.f("ck_monthly_report_status")),
        sa.CheckConstraint(
            "month >= 190001 AND month <= 999912 AND month % 100 BETWEEN 1 AND 12",
            name=op.f("ck_monthly_report_month_valid"),
        ),
        sa.CheckConstraint("version >= 1", name=op.f("ck_monthly_report_version_positive")),
        sa.CheckConstraint(
            "status = 'draft' OR snapshot IS NOT NULL", name=op.f("ck_monthly_report_snapshot_when_submitted")
        ),
        sa.CheckConstraint(
            "status <> 'returned' OR return_reason IS NOT NULL", name=op.f("ck_monthly_report_reason_when_returned")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_monthly_report")),
        _fk("monthly_report", "unit_id", "org_unit"),
        *(
            _fk("monthly_report", column, "staff")
            for column in ("created_by_id", "updated_by_id", "submitted_by_id", "decided_by_id")
        ),
        sa.UniqueConstraint("unit_id", "month", "version", name=op.f("uq_monthly_report_unit_id_month_version")),
    )
    op.create_index(
        "uq_monthly_report_current",
        "monthly_report",
        ["unit_id", "month"],
        unique=True,
        sqlite_where=sa.text("status <> 'returned'"),
        postgresql_where=sa.text("status <> 'returned'"),
    )
    op.create_index("ix_monthly_report_month_status", "monthly_report", ["month", "status"])
    op.create_table(
        "monthly_report_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("report_id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=10), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        _ts("at"),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.CheckConstraint(_in("action", ACTIONS), name=op.f("ck_monthly_report_event_action")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_monthly_report_event")),
        _fk("monthly_report_event", "report_id", "monthly_report", ondelete="CASCADE"),
        _fk("monthly_report_event", "staff_id", "staff"),
        _fk("monthly_report_event", "unit_id", "org_unit"),
        sa.UniqueConstraint("report_id", "seq", name=op.f("uq_monthly_report_event_report_id_seq")),
    )


def downgrade() -> None:
    op.drop_table("monthly_report_event")
    op.drop_index("ix_monthly_report_month_status", table_name="monthly_report")
    op.drop_index("uq_monthly_report_current", table_name="monthly_report")
    op.drop_table("monthly_report")
