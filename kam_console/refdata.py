"""Reference data installed into an empty database: the KA hierarchy, the local-company tree and the
industry and product catalogues (see resources/reference/README.md for their provenance)."""

from __future__ import annotations

import csv
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kam_console import paths
from kam_console.models import Industry, LocalCompany, OrgUnit, Product

GROUP_CODE = "000000"
GROUP_UNIT_NAME = "集团公司大客户事业部"
GROUP_UNIT_SHORT = "集团"
GROUP_COMPANY_NAME = "集团公司"


@dataclass(frozen=True)
class Region:
    code: str
    name: str
    short_name: str
    level: str
    parent_code: str


def _read(name: str) -> list[dict[str, str]]:
    with paths.resource_path("reference", name).open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def regions() -> list[Region]:
    return [Region(**row) for row in _read("regions.csv")]


def unit_name(region: Region) -> str:
    """省公司大客户部 / 地市大客户部 names, e.g. 广东省大客户部, 广州市大客户部."""
    return f"{region.name}大客户部"


def company_name(region: Region) -> str:
    if region.level == "province":
        return f"{region.short_name}省公司" if region.name.endswith("省") else f"{region.short_name}公司"
    return f"{region.short_name}分公司"


def install_if_empty(session: Session) -> bool:
    """Install the reference data unless the hierarchy is already there. Returns True if installed."""
    installed = False
    if not session.scalar(select(func.count()).select_from(OrgUnit)):
        install_hierarchy(session)
        installed = True
    if not session.scalar(select(func.count()).select_from(Industry)):
        for row in _read("industries.csv"):
            session.add(Industry(code=row["code"], name=row["name"], sort_order=int(row["sort_order"])))
        installed = True
    if not session.scalar(select(func.count()).select_from(Product)):
        for row in _read("products.csv"):
            session.add(
                Product(code=row["code"], name=row["name"], kind=row["kind"], sort_order=int(row["sort_order"]))
            )
        installed = True
    session.flush()
    return installed


def install_hierarchy(session: Session) -> None:
    group_company = LocalCompany(code=GROUP_CODE, name=GROUP_COMPANY_NAME, level="group")
    session.add(group_company)
    session.flush()
    group = OrgUnit(
        code=GROUP_CODE,
        name=GROUP_UNIT_NAME,
        short_name=GROUP_UNIT_SHORT,
        level="group",
        local_company_id=group_company.id,
        path=GROUP_CODE,
    )
    session.add(group)
    session.flush()
    units = {GROUP_CODE: group}
    companies = {GROUP_CODE: group_company}
    for region in regions():  # provinces come before their cities in the file
        parent = units[region.parent_code]
        company = LocalCompany(
            code=region.code,
            name=company_name(region),
            level=region.level,
            parent_id=companies[region.parent_code].id,
        )
        session.add(company)
        session.flush()
        unit = OrgUnit(
            code=region.code,
            name=unit_name(region),
            short_name=region.short_name,
            level=region.level,
            parent_id=parent.id,
            local_company_id=company.id,
            path=f"{parent.path}/{region.code}",
        )
        session.add(unit)
        session.flush()
        units[region.code] = unit
        companies[region.code] = company
