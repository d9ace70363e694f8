"""Matrix reporting of one KA unit (DESIGN §1, §3): who it answers to on each line, and who answers to it.

A KA unit has two superiors. On the vertical (KA) line it is supervised by the upper KA unit — business
management, appraisal, approval of key appointments. On the horizontal line it is administered by its
local company, itself a node of the company tree (集团公司 → 省公司 → 地市分公司). ``unit_matrix`` gathers
both lines around one unit as plain data for charts and reports; ``matrix_from_rows`` builds the same
shape from rows a caller already holds (the UI's loaded org tree), leaving out what those rows don't say.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from kam_console.errors import NotFound
from kam_console.models import LocalCompany, OrgUnit
from kam_console.services.org import OrgUnitRow

COMPANY_LEVEL_LABELS = {"group": "集团公司", "province": "省公司", "city": "地市分公司", "county": "县（区）分公司"}


@dataclass(frozen=True)
class UnitRef:
    """A KA unit as a chart names it."""

    code: str
    name: str
    short_name: str
    level: str
    active: bool = True


@dataclass(frozen=True)
class CompanyRef:
    """A node of the local-company tree. ``code`` and ``level`` are None when the source didn't say."""

    name: str
    code: str | None = None
    level: str | None = None

    @property
    def level_label(self) -> str | None:
        return COMPANY_LEVEL_LABELS.get(self.level, self.level) if self.level else None


@dataclass(frozen=True)
class UnitMatrix:
    """One unit with both lines of the matrix around it.

    - ``upper``: the upper KA unit (vertical superior); None for the group unit.
    - ``lower``: the KA units directly below, in code order (may be empty).
    - ``company``: the unit's local company (horizontal superior); None if none is recorded.
    - ``company_superior``: that company's own superior in the company tree (e.g. 广州分公司 → 广东省公司);
      None at the top of the tree, or when unknown (``matrix_from_rows``).
    - ``upper_company``: the upper KA unit's local company, when there is one.
    """

    unit: UnitRef
    upper: UnitRef | None
    lower: list[UnitRef] = field(default_factory=list)
    company: CompanyRef | None = None
    company_superior: CompanyRef | None = None
    upper_company: CompanyRef | None = None

    @property
    def superiors_share_company(self) -> bool:
        """True when the local company's superior is also the upper KA unit's local company — the usual
        case (广州分公司 and 广东省大客户部 both answer to 广东省公司), where a chart can close the square."""
        a, b = self.company_superior, self.upper_company
        if a is None or b is None:
            return False
        if a.code is not None and b.code is not None:
            return a.code == b.code
        return a.name == b.name


def _company(row_code: str | None, name: str | None, level: str | None) -> CompanyRef | None:
    return CompanyRef(name=name, code=row_code, level=level) if name is not None else None


def unit_matrix(session: Session, *, code: str) -> UnitMatrix:
    """Both lines of the matrix around the unit ``code``. Raises NotFound for an unknown code."""
    upper = aliased(OrgUnit)
    company = aliased(LocalCompany)
    company_parent = aliased(LocalCompany)
    upper_company = aliased(LocalCompany)
    row = session.execute(
        select(
            OrgUnit.id,
            OrgUnit.code,
            OrgUnit.name,
            OrgUnit.short_name,
            OrgUnit.level,
            OrgUnit.active,
            upper.code,
            upper.name,
            upper.short_name,
            upper.level,
            upper.active,
            company.code,
            company.name,
            company.level,
            company_parent.code,
            company_parent.name,
            company_parent.level,
            upper_company.code,
            upper_company.name,
            upper_company.level,
        )
        .outerjoin(upper, OrgUnit.parent_id == upper.id)
        .outerjoin(company, OrgUnit.local_company_id == company.id)
        .outerjoin(company_parent, company.parent_id == company_parent.id)
        .outerjoin(upper_company, upper.local_company_id == upper_company.id)
        .where(OrgUnit.code == code)
    ).first()
    if row is None:
        raise NotFound(f"没有代码为 {code} 的单位", f"no unit with code {code}")
    (unit_id, *unit_cols) = row[:6]
    upper_cols = row[6:11]
    lower = [
        UnitRef(*cols)
        for cols in session.execute(
            select(OrgUnit.code, OrgUnit.name, OrgUnit.short_name, OrgUnit.level, OrgUnit.active)
            .where(OrgUnit.parent_id == unit_id)
            .order_by(OrgUnit.code)
        )
    ]
    return UnitMatrix(
        unit=UnitRef(*unit_cols),
        upper=UnitRef(*upper_cols) if upper_cols[0] is not None else None,
        lower=lower,
        company=_company(*row[11:14]),
        company_superior=_company(*row[14:17]),
        upper_company=_company(*row[17:20]),
    )


def _ref(row: OrgUnitRow) -> UnitRef:
    return UnitRef(row.code, row.name, row.short_name, row.level, row.active)


def matrix_from_rows(unit: OrgUnitRow, upper: OrgUnitRow | None, lower: Sequence[OrgUnitRow]) -> UnitMatrix:
    """The matrix as far as org rows tell it (no database access): local companies by name only, and no
    ``company_superior`` — the rows don't carry the company tree. ``unit_matrix`` gives the full picture."""
    return UnitMatrix(
        unit=_ref(unit),
        upper=_ref(upper) if upper is not None else None,
        lower=[_ref(row) for row in lower],
        company=CompanyRef(unit.local_company) if unit.local_company else None,
        upper_company=CompanyRef(upper.local_company) if upper is not None and upper.local_company else None,
    )
