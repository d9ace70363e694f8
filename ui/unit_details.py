"""Worker side of a unit page: everything beyond the tree's own data, loaded off the GUI thread as
plain data — the full matrix (with the company tree), key figures of the newest month, the staff and
the pending head appointments."""

from __future__ import annotations

from dataclasses import dataclass

from kam_console.db import Database
from kam_console.services.appointments import AppointmentRow, pending_appointments
from kam_console.services.matrix import UnitMatrix, unit_matrix
from kam_console.services.overview import KeyFigures, latest_month, unit_key_figures
from kam_console.services.staff import PositionGroup, unit_staff


@dataclass(frozen=True)
class UnitDetails:
    code: str
    matrix: UnitMatrix
    figures: KeyFigures | None  # None when the database holds no revenue
    staff: list[PositionGroup]
    appointments: list[AppointmentRow]  # pending head appointments of the unit or awaiting its approval


def load_unit_details(db: Database, code: str) -> UnitDetails:
    with db.session() as session:
        matrix = unit_matrix(session, code=code)
    with db.engine.connect() as conn:
        month = latest_month(conn)
        figures = unit_key_figures(conn, unit=code, month=month) if month is not None else None
        staff = unit_staff(conn, code=code)
        appointments = pending_appointments(conn, unit=code)
    return UnitDetails(code, matrix, figures, staff, appointments)
