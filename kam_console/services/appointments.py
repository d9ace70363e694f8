"""Appointing the head of a KA unit (matrix rule, DESIGN §1): the unit proposes a candidate, the upper
KA unit approves or rejects. A pending appointment shows on both units' pages. On approval the
candidate becomes the head (moving into the unit if needed) and the outgoing head takes the position
named in the proposal. Nothing is deleted; decisions keep their time and note.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased

from kam_console.errors import NotFound, ValidationError
from kam_console.models import (
    APPOINTMENT_STATUS_LABELS,
    POSITION_LABELS,
    HeadAppointment,
    OrgUnit,
    Staff,
    utcnow,
)


@dataclass(frozen=True)
class AppointmentRow:
    id: int
    unit_code: str
    unit_name: str
    approver_code: str
    approver_name: str
    candidate_no: str
    candidate_name: str
    previous_head_name: str | None
    previous_head_position: str
    status: str
    status_label: str
    note: str | None
    decision_note: str | None


def _unit(conn: Connection, code: str):
    row = conn.execute(select(OrgUnit.id, OrgUnit.name, OrgUnit.parent_id).where(OrgUnit.code == code)).first()
    if row is None:
        raise NotFound(f"没有代码为 {code} 的单位", f"no unit with code {code}")
    return row


def propose_head(
    conn: Connection,
    *,
    unit: str,
    candidate: str,
    previous_head_position: str = "market_manager",
    note: str | None = None,
) -> int:
    """Propose ``candidate`` (employee number) as head of ``unit``; returns the appointment id."""
    target = _unit(conn, unit)
    if target.parent_id is None:
        raise ValidationError(
            "集团公司大客户事业部没有上级大客户部门，其负责人由集团公司任命，不在本系统审批",
            "the group unit's head is appointed by the group company",
        )
    person = conn.execute(
        select(Staff.id, Staff.active, Staff.position, Staff.unit_id).where(Staff.employee_no == candidate)
    ).first()
    if person is None:
        raise NotFound(f"没有工号为 {candidate} 的员工", f"no staff {candidate}")
    if not person.active:
        raise ValidationError(f"员工 {candidate} 已停用，不能任命", "candidate is inactive")
    if person.position == "head" and person.unit_id == target.id:
        raise ValidationError(f"员工 {candidate} 已是本单位负责人", "already the head")
    if previous_head_position not in POSITION_LABELS or previous_head_position == "head":
        raise ValidationError(f"原负责人改任岗位无效：{previous_head_position}", "invalid position")
    previous = conn.execute(
        select(Staff.id).where(Staff.unit_id == target.id, Staff.position == "head", Staff.active.is_(True))
    ).scalar()
    try:
        with conn.begin_nested():
            return conn.execute(
                HeadAppointment.__table__.insert()
                .values(
                    unit_id=target.id,
                    approver_unit_id=target.parent_id,
                    candidate_id=person.id,
                    previous_head_id=previous,
                    previous_head_position=previous_head_position,
                    status="pending",
                    note=note,
                    proposed_at=utcnow(),
                )
                .returning(HeadAppointment.id)
            ).scalar_one()
    except IntegrityError:
        raise ValidationError(
            f"{target.name}已有一项待审批的负责人任命，请等待上级审批或先撤回", "a pending appointment exists"
        ) from None


def decide_head(
    conn: Connection, *, appointment_id: int, approve: bool, deciding_unit: str, note: str | None = None
) -> AppointmentRow:
    """The upper KA unit approves or rejects a pending appointment. Anyone else is refused."""
    t = HeadAppointment.__table__
    a = conn.execute(select(t).where(t.c.id == appointment_id)).first()
    if a is None:
        raise NotFound(f"没有编号为 {appointment_id} 的任命", f"no appointment {appointment_id}")
    decider = _unit(conn, deciding_unit)
    if decider.id != a.approver_unit_id:
        approver = conn.execute(select(OrgUnit.name).where(OrgUnit.id == a.approver_unit_id)).scalar()
        raise ValidationError(f"只有上级大客户部门（{approver}）可以审批这项任命", "only the upper KA unit may decide")
    if a.status != "pending":
        raise ValidationError(
            f"这项任命已{APPOINTMENT_STATUS_LABELS[a.status]}，不能再审批", "the appointment is not pending"
        )
    # Guard against two deciders at once: only a still-pending row changes.
    changed = conn.execute(
        update(HeadAppointment)
        .where(HeadAppointment.id == a.id, HeadAppointment.status == "pending")
        .values(status="approved" if approve else "rejected", decided_at=utcnow(), decision_note=note)
    ).rowcount
    if changed != 1:
        raise ValidationError("这项任命刚被其他人处理过，请刷新后查看", "decided concurrently")
    if approve:
        if a.previous_head_id is not None:
            conn.execute(update(Staff).where(Staff.id == a.previous_head_id).values(position=a.previous_head_position))
        conn.execute(update(Staff).where(Staff.id == a.candidate_id).values(position="head", unit_id=a.unit_id))
    return appointment_row(conn, a.id)


def withdraw_head(conn: Connection, *, appointment_id: int, note: str | None = None) -> None:
    changed = conn.execute(
        update(HeadAppointment)
        .where(HeadAppointment.id == appointment_id, HeadAppointment.status == "pending")
        .values(status="withdrawn", decided_at=utcnow(), decision_note=note)
    ).rowcount
    if changed != 1:
        raise ValidationError("只有待审批的任命可以撤回", "only a pending appointment can be withdrawn")


def _rows_query():
    unit = aliased(OrgUnit)
    approver = aliased(OrgUnit)
    candidate = aliased(Staff)
    previous = aliased(Staff)
    t = HeadAppointment
    return (
        (
            select(
                t.id,
                unit.code,
                unit.name,
                approver.code,
                approver.name,
                candidate.employee_no,
                candidate.name,
                previous.name,
                t.previous_head_position,
                t.status,
                t.note,
                t.decision_note,
            )
            .join(unit, unit.id == t.unit_id)
            .join(approver, approver.id == t.approver_unit_id)
            .join(candidate, candidate.id == t.candidate_id)
            .outerjoin(previous, previous.id == t.previous_head_id)
        ),
        unit,
        approver,
    )


def _row(r) -> AppointmentRow:
    return AppointmentRow(
        r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8], r[9], APPOINTMENT_STATUS_LABELS[r[9]], r[10], r[11]
    )


def appointment_row(conn: Connection, appointment_id: int) -> AppointmentRow:
    query, _, _ = _rows_query()
    return _row(conn.execute(query.where(HeadAppointment.id == appointment_id)).one())


def pending_appointments(conn: Connection, *, unit: str) -> list[AppointmentRow]:
    """Pending head appointments of the unit itself or awaiting its approval (both pages show them)."""
    query, unit_alias, approver_alias = _rows_query()
    rows = conn.execute(
        query.where(
            HeadAppointment.status == "pending", or_(unit_alias.code == unit, approver_alias.code == unit)
        ).order_by(HeadAppointment.id)
    )
    return [_row(r) for r in rows]
