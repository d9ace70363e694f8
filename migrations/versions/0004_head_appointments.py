"""head appointments approved by the upper KA unit

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 14:40:00

Appointing the head of a KA unit needs the approval of the upper KA unit (matrix rule). One pending
appointment per unit is enforced by a partial unique index.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

POSITIONS = "('market_manager', 'customer_manager', 'project_manager', 'business_manager', 'head', 'analyst', 'admin')"


def upgrade() -> None:
    op.create_table(
        "head_appointment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("approver_unit_id", sa.Integer(), nullable=False),
        sa.Column("candidate_id", sa.Integer(), nullable=False),
        sa.Column("previous_head_id", sa.Integer(), nullable=True),
        sa.Column("previous_head_position", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=10), server_default="pending", nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("proposed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decision_note", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "status IN ('pending', 'approved', 'rejected', 'withdrawn')", name=op.f("ck_head_appointment_status")
        ),
        sa.CheckConstraint(
            f"previous_head_position IN {POSITIONS}", name=op.f("ck_head_appointment_previous_head_position")
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["org_unit.id"], name=op.f("fk_head_appointment_unit_id_org_unit"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["approver_unit_id"],
            ["org_unit.id"],
            name=op.f("fk_head_appointment_approver_unit_id_org_unit"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["candidate_id"], ["staff.id"], name=op.f("fk_head_appointment_candidate_id_staff"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["previous_head_id"],
            ["staff.id"],
            name=op.f("fk_head_appointment_previous_head_id_staff"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_head_appointment")),
    )
    with op.batch_alter_table("head_appointment", schema=None) as batch_op:
        batch_op.create_index("ix_head_appointment_unit_id", ["unit_id"])
        batch_op.create_index("ix_head_appointment_approver_unit_id", ["approver_unit_id"])
        batch_op.create_index("ix_head_appointment_candidate_id", ["candidate_id"])
        batch_op.create_index(
            "uq_head_appointment_pending",
            ["unit_id"],
            unique=True,
            sqlite_where=sa.text("status = 'pending'"),
            postgresql_where=sa.text("status = 'pending'"),
        )


def downgrade() -> None:
    op.drop_table("head_appointment")
