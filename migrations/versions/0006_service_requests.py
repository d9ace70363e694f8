"""cross-region service requests: requests, hops, subtasks, stages, attachments and the SLA table

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23 16:40:00

The SLA table starts with the group's default hours per request type, priority and stage (weekday hours;
the group admin edits them later). The defaults are written out here, not imported, so this revision
always installs the same rows.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TYPES = ("new_circuit", "change", "fault", "complaint", "billing", "consultation")
PRIORITIES = ("urgent", "high", "normal", "low")
STAGES = ("route", "coordinate", "handle", "resolve", "confirm")
STATES = ("routing", "coordinating", "processing", "resolved", "closed", "cancelled")
ACTIONS = (
    "raise", "forward", "accept", "dispatch", "reply", "resolve", "confirm", "return", "reassign", "cancel",
    "comment", "urge", "escalate",
)
# hours by priority (urgent, high, normal, low)
STAGE_HOURS = {
    "route": (1, 2, 4, 8),
    "coordinate": (2, 4, 8, 16),
    "resolve": (2, 4, 8, 16),
    "confirm": (4, 8, 16, 24),
}
HANDLE_HOURS = {
    "new_circuit": (24, 40, 80, 120),
    "change": (16, 24, 40, 80),
    "fault": (4, 8, 16, 24),
    "complaint": (8, 16, 24, 40),
    "billing": (16, 24, 40, 80),
    "consultation": (4, 8, 16, 24),
}


def _in(column: str, values: Sequence[str]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def _ts(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "service_request",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=20), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("type", sa.String(length=20), nullable=False),
        sa.Column("priority", sa.String(length=10), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("raising_unit_id", sa.Integer(), nullable=False),
        sa.Column("raised_by_id", sa.Integer(), nullable=False),
        sa.Column("coordinator_unit_id", sa.Integer(), nullable=False),
        sa.Column("holder_unit_id", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=15), nullable=False),
        sa.Column("stage", sa.String(length=15), nullable=False),
        _ts("stage_started_at"),
        _ts("due_at"),
        sa.Column("escalations", sa.Integer(), server_default="0", nullable=False),
        _ts("raised_at"),
        _ts("closed_at", nullable=True),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.CheckConstraint(_in("type", TYPES), name=op.f("ck_service_request_type")),
        sa.CheckConstraint(_in("priority", PRIORITIES), name=op.f("ck_service_request_priority")),
        sa.CheckConstraint(_in("state", STATES), name=op.f("ck_service_request_state")),
        sa.CheckConstraint(_in("stage", STAGES), name=op.f("ck_service_request_stage")),
        sa.ForeignKeyConstraint(["account_id"], ["account.id"], name=op.f("fk_service_request_account_id_account"), ondelete="RESTRICT"),
        sa.ForeignKeyConstraint(["raising_unit_id"], ["org_unit.id"], name=op.f("fk_service_request_raising_unit_id_org_unit"), ondelete="RESTRICT"),
        sa.ForeignKeyConstraint(["raised_by_id"], ["staff.id"], name=op.f("fk_service_request_raised_by_id_staff"), ondelete="RESTRICT"),
        sa.ForeignKeyConstraint(["coordinator_unit_id"], ["org_unit.id"], name=op.f("fk_service_request_coordinator_unit_id_org_unit"), ondelete="RESTRICT"),
        sa.ForeignKeyConstraint(["holder_unit_id"], ["org_unit.id"], name=op.f("fk_service_request_holder_unit_id_org_unit"), ondelete="RESTRICT"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_service_request")),
        sa.UniqueConstraint("number", name=op.f("uq_service_request_number")),
    )
    with op.batch_alter_table("service_request", schema=None) as batch_op:
        batch_op.create_index("ix_service_request_holder_state", ["holder_unit_id", "state"], unique=False)
        batch_op.create_index("ix_service_request_state_due", ["state", "due_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_service_request_account_id"), ["account_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_service_request_raising_unit_id"), ["raising_unit_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_service_request_coordinator_unit_id"), ["coordinator_unit_id"], unique=False)

    op.create_table(
        "request_unit",
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["request_id"], ["service_request.id"], name=op.f("fk_request_unit_request_id_service_request"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["unit_id"], ["org_unit.id"], name=op.f("fk_request_unit_unit_id_org_unit"), ondelete="RESTRICT"),
        sa.PrimaryKeyConstraint("request_id", "unit_id", name=op.f("pk_request_unit")),
    )
    op.create_table(
        "request_subtask",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("state", sa.String(length=10), server_default="open", nullable=False),
        _ts("dispatched_at"),
        _ts("due_at"),
        sa.Column("escalations", sa.Integer(), server_default="0", nullable=False),
        _ts("done_at", nullable=True),
        sa.Column("reply", sa.Text(), nullable=True),
        sa.CheckConstraint(_in("state", ("open", "done", "cancelled")), name=op.f("ck_request_subtask_state")),
        sa.ForeignKeyConstraint(["request_id"], ["service_request.id"], name=op.f("fk_request_subtask_request_id_service_request"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["unit_id"], ["org_unit.id"], name=op.f("fk_request_subtask_unit_id_org_unit"), ondelete="RESTRICT"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_request_subtask")),
    )
    with op.batch_alter_table("request_subtask", schema=None) as batch_op:
        batch_op.create_index("ix_request_subtask_unit_state", ["unit_id", "state"], unique=False)
        batch_op.create_index(batch_op.f("ix_request_subtask_request_id"), ["request_id"], unique=False)

    op.create_table(
        "request_hop",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=15), nullable=False),
        sa.Column("from_unit_id", sa.Integer(), nullable=False),
        sa.Column("to_unit_id", sa.Integer(), nullable=True),
        sa.Column("staff_id", sa.Integer(), nullable=True),
        _ts("at"),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("subtask_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(_in("action", ACTIONS), name=op.f("ck_request_hop_action")),
        sa.ForeignKeyConstraint(["request_id"], ["service_request.id"], name=op.f("fk_request_hop_request_id_service_request"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["from_unit_id"], ["org_unit.id"], name=op.f("fk_request_hop_from_unit_id_org_unit"), ondelete="RESTRICT"),
        sa.ForeignKeyConstraint(["to_unit_id"], ["org_unit.id"], name=op.f("fk_request_hop_to_unit_id_org_unit"), ondelete="RESTRICT"),
        sa.ForeignKeyConstraint(["staff_id"], ["staff.id"], name=op.f("fk_request_hop_staff_id_staff"), ondelete="RESTRICT"),
        sa.ForeignKeyConstraint(["subtask_id"], ["request_subtask.id"], name=op.f("fk_request_hop_subtask_id_request_subtask"), ondelete="RESTRICT"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_request_hop")),
        sa.UniqueConstraint("request_id", "seq", name=op.f("uq_request_hop_request_id_seq")),
    )
    op.create_table(
        "request_stage",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("stage", sa.String(length=15), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("subtask_id", sa.Integer(), nullable=True),
        _ts("started_at"),
        _ts("due_at"),
        _ts("ended_at", nullable=True),
        sa.CheckConstraint(_in("stage", STAGES), name=op.f("ck_request_stage_stage")),
        sa.ForeignKeyConstraint(["request_id"], ["service_request.id"], name=op.f("fk_request_stage_request_id_service_request"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["unit_id"], ["org_unit.id"], name=op.f("fk_request_stage_unit_id_org_unit"), ondelete="RESTRICT"),
        sa.ForeignKeyConstraint(["subtask_id"], ["request_subtask.id"], name=op.f("fk_request_stage_subtask_id_request_subtask"), ondelete="RESTRICT"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_request_stage")),
    )
    with op.batch_alter_table("request_stage", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_request_stage_request_id"), ["request_id"], unique=False)
    op.create_table(
        "request_attachment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("reference", sa.String(length=500), nullable=False),
        sa.Column("added_by_id", sa.Integer(), nullable=False),
        _ts("added_at"),
        sa.ForeignKeyConstraint(["request_id"], ["service_request.id"], name=op.f("fk_request_attachment_request_id_service_request"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["added_by_id"], ["staff.id"], name=op.f("fk_request_attachment_added_by_id_staff"), ondelete="RESTRICT"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_request_attachment")),
    )
    with op.batch_alter_table("request_attachment", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_request_attachment_request_id"), ["request_id"], unique=False)
    sla = op.create_table(
        "sla_rule",
        sa.Column("type", sa.String(length=20), nullable=False),
        sa.Column("priority", sa.String(length=10), nullable=False),
        sa.Column("stage", sa.String(length=15), nullable=False),
        sa.Column("hours", sa.Integer(), nullable=False),
        _ts("updated_at", nullable=True),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(_in("type", TYPES), name=op.f("ck_sla_rule_type")),
        sa.CheckConstraint(_in("priority", PRIORITIES), name=op.f("ck_sla_rule_priority")),
        sa.CheckConstraint(_in("stage", STAGES), name=op.f("ck_sla_rule_stage")),
        sa.CheckConstraint("hours > 0", name=op.f("ck_sla_rule_hours_positive")),
        sa.ForeignKeyConstraint(["updated_by_id"], ["staff.id"], name=op.f("fk_sla_rule_updated_by_id_staff"), ondelete="RESTRICT"),
        sa.PrimaryKeyConstraint("type", "priority", "stage", name=op.f("pk_sla_rule")),
    )
    rows = []
    for type_ in TYPES:
        for i, priority in enumerate(PRIORITIES):
            for stage in STAGES:
                hours = HANDLE_HOURS[type_][i] if stage == "handle" else STAGE_HOURS[stage][i]
                rows.append({"type": type_, "priority": priority, "stage": stage, "hours": hours})
    op.bulk_insert(sla, rows)


def downgrade() -> None:
    op.drop_table("sla_rule")
    op.drop_table("request_attachment")
    op.drop_table("request_stage")
    op.drop_table("request_hop")
    op.drop_table("request_subtask")
    op.drop_table("request_unit")
    op.drop_table("service_request")
