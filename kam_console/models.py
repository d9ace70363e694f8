"""The domain model (DESIGN §3) as SQLAlchemy 2 typed declarative classes.

The database enforces what it can: unique codes, foreign keys, value lists as CHECK constraints,
non-negative line counts, one revenue row per (month, account, product), and an account's owner unit
at the level its account level says (a composite foreign key onto (org_unit.id, org_unit.level)).
Schema changes go through alembic revisions in ``migrations/``; a test checks this file matches them.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# Value lists. Codes are stored; labels are for people.
UNIT_LEVELS = ("group", "province", "city", "county")
UNIT_LEVEL_LABELS = {"group": "集团", "province": "省", "city": "地市", "county": "县（区）"}
COMPANY_LEVELS = ("group", "province", "city", "county")
POSITIONS = (
    "market_manager",
    "customer_manager",
    "project_manager",
    "business_manager",
    "head",
    "analyst",
    "admin",
)
POSITION_LABELS = {
    "market_manager": "市场经理",
    "customer_manager": "客户经理",
    "project_manager": "项目经理",
    "business_manager": "业务经理",
    "head": "负责人",
    "analyst": "分析员",
    "admin": "管理员",
}
ACCOUNT_LEVELS = ("national", "provincial", "city")
ACCOUNT_LEVEL_LABELS = {"national": "全国性", "provincial": "省级", "city": "地市级"}
# The org level that owns an account of each account level (responsible-manager rule).
OWNER_LEVEL_OF = {"national": "group", "provincial": "province", "city": "city"}
ACCOUNT_STATUSES = ("prospect", "active", "dormant", "churned")
ACCOUNT_STATUS_LABELS = {"prospect": "潜在", "active": "在网", "dormant": "休眠", "churned": "流失"}
SERVICE_STATUSES = ("pending", "active", "suspended", "terminated")
SERVICE_STATUS_LABELS = {"pending": "待开通", "active": "在用", "suspended": "暂停", "terminated": "已拆机"}
PRODUCT_KINDS = ("voice", "mobile", "internet", "circuit", "video", "cloud", "other")

# The rollup row that holds the all-products figures of a (month, city, industry, account level).
ALL_PRODUCTS = 0


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class LocalCompany(Base):
    """A node of the company ("horizontal", administrative) tree: 集团公司 → 省公司 → 地市分公司."""

    __tablename__ = "local_company"
    __table_args__ = (CheckConstraint(_in("level", COMPANY_LEVELS), name="level"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(12), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    level: Mapped[str] = mapped_column(String(10))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("local_company.id", ondelete="RESTRICT"), index=True)

    parent: Mapped[LocalCompany | None] = relationship(remote_side=[id])


class OrgUnit(Base):
    """A key-account department on the KA ("vertical") line, with its local company as horizontal superior.

    ``path`` is the chain of codes from the group down to this unit ("000000/440000/440100"), so a
    subtree is a prefix match.
    """

    __tablename__ = "org_unit"
    __table_args__ = (
        CheckConstraint(_in("level", UNIT_LEVELS), name="level"),
        CheckConstraint("length(code) = 6", name="code_length"),
        # Target of composite foreign keys that pin a referenced unit's level.
        UniqueConstraint("id", "level"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(6), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    short_name: Mapped[str] = mapped_column(String(40))
    level: Mapped[str] = mapped_column(String(10))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("org_unit.id", ondelete="RESTRICT"), index=True)
    local_company_id: Mapped[int | None] = mapped_column(
        ForeignKey("local_company.id", ondelete="RESTRICT"), index=True
    )
    path: Mapped[str] = mapped_column(String(64), index=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default="1")

    parent: Mapped[OrgUnit | None] = relationship(remote_side=[id])
    local_company: Mapped[LocalCompany | None] = relationship()


class Industry(Base):
    __tablename__ = "industry"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(10), unique=True)
    name: Mapped[str] = mapped_column(String(40))
    sort_order: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default="1")


class Product(Base):
    __tablename__ = "product"
    __table_args__ = (CheckConstraint(_in("kind", PRODUCT_KINDS), name="kind"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(12), unique=True)
    name: Mapped[str] = mapped_column(String(40))
    kind: Mapped[str] = mapped_column(String(10))
    sort_order: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default="1")


class StaffIndustry(Base):
    """The industries a staff member specialises in (industry marketing)."""

    __tablename__ = "staff_industry"

    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id", ondelete="CASCADE"), primary_key=True)
    industry_id: Mapped[int] = mapped_column(
        ForeignKey("industry.id", ondelete="RESTRICT"), primary_key=True, index=True
    )


class Staff(Base):
    __tablename__ = "staff"
    __table_args__ = (CheckConstraint(_in("position", POSITIONS), name="position"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    employee_no: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(50))
    unit_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id", ondelete="RESTRICT"), index=True)
    position: Mapped[str] = mapped_column(String(20))
    line_manager_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id", ondelete="SET NULL"), index=True)
    phone: Mapped[str | None] = mapped_column(String(30))
    email: Mapped[str | None] = mapped_column(String(100))
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default="1")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    unit: Mapped[OrgUnit] = relationship()
    line_manager: Mapped[Staff | None] = relationship(remote_side=[id])
    industries: Mapped[list[Industry]] = relationship(secondary="staff_industry", order_by=Industry.sort_order)


class Account(Base):
    """A key account. Its owner unit must sit at the level its account level names (national → group,
    provincial → province, city → city); its serving city is a city-level unit. Both are enforced by
    composite foreign keys onto (org_unit.id, org_unit.level)."""

    __tablename__ = "account"
    __table_args__ = (
        CheckConstraint(_in("level", ACCOUNT_LEVELS), name="level"),
        CheckConstraint(_in("status", ACCOUNT_STATUSES), name="status"),
        CheckConstraint(
            "(level = 'national' AND owner_level = 'group')"
            " OR (level = 'provincial' AND owner_level = 'province')"
            " OR (level = 'city' AND owner_level = 'city')",
            name="owner_level_matches",
        ),
        CheckConstraint("serving_level = 'city'", name="serving_level_city"),
        CheckConstraint("parent_id IS NULL OR parent_id <> id", name="not_own_parent"),
        ForeignKeyConstraint(["owner_unit_id", "owner_level"], ["org_unit.id", "org_unit.level"], ondelete="RESTRICT"),
        ForeignKeyConstraint(
            ["serving_city_id", "serving_level"], ["org_unit.id", "org_unit.level"], ondelete="RESTRICT"
        ),
        Index(None, "owner_unit_id"),
        Index(None, "serving_city_id"),
        # The accounts list pages with row-value keysets (sort key, id); revision 0003 explains each one.
        Index(None, "name", "id"),
        Index(None, "level", "id"),
        Index(None, "status", "id"),
        Index(None, "serving_city_id", "customer_no"),
        Index(None, "serving_city_id", "name", "id"),
        Index(None, "serving_city_id", "manager_id", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    customer_no: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    name_initials: Mapped[str] = mapped_column(String(200), default="", server_default="", index=True)
    level: Mapped[str] = mapped_column(String(10))
    industry_id: Mapped[int] = mapped_column(ForeignKey("industry.id", ondelete="RESTRICT"), index=True)
    owner_unit_id: Mapped[int] = mapped_column(Integer)
    owner_level: Mapped[str] = mapped_column(String(10))
    serving_city_id: Mapped[int] = mapped_column(Integer)
    serving_level: Mapped[str] = mapped_column(String(10), default="city", server_default="city")
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("account.id", ondelete="RESTRICT"), index=True)
    manager_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id", ondelete="RESTRICT"), index=True)
    status: Mapped[str] = mapped_column(String(10), default="active", server_default="active")
    address: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")

    industry: Mapped[Industry] = relationship()
    owner_unit: Mapped[OrgUnit] = relationship(
        foreign_keys=[owner_unit_id], primaryjoin="Account.owner_unit_id == OrgUnit.id"
    )
    serving_city: Mapped[OrgUnit] = relationship(
        foreign_keys=[serving_city_id], primaryjoin="Account.serving_city_id == OrgUnit.id"
    )
    parent: Mapped[Account | None] = relationship(remote_side=[id])
    manager: Mapped[Staff | None] = relationship()
    contacts: Mapped[list[AccountContact]] = relationship(back_populates="account", cascade="all, delete-orphan")


class AccountContact(Base):
    """A person at the customer."""

    __tablename__ = "account_contact"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(50))
    title: Mapped[str | None] = mapped_column(String(50))
    phone: Mapped[str | None] = mapped_column(String(30))
    email: Mapped[str | None] = mapped_column(String(100))
    is_primary: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")

    account: Mapped[Account] = relationship(back_populates="contacts")


class AccountFirstContact(Base):
    """第一联系人: the city-level staff member serving an account owned by a higher level in that city."""

    __tablename__ = "account_first_contact"

    account_id: Mapped[int] = mapped_column(ForeignKey("account.id", ondelete="CASCADE"), primary_key=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id", ondelete="RESTRICT"), primary_key=True, index=True)


class AccountManagerHistory(Base):
    """Dated history of an account's responsible customer manager; the open row has no end date."""

    __tablename__ = "account_manager_history"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id", ondelete="CASCADE"), index=True)
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id", ondelete="RESTRICT"), index=True)
    valid_from: Mapped[dt.date] = mapped_column(Date)
    valid_to: Mapped[dt.date | None] = mapped_column(Date)
    note: Mapped[str | None] = mapped_column(String(200))


class Service(Base):
    """An account's subscribed business. Circuits carry an A end and a Z end city."""

    __tablename__ = "service"
    __table_args__ = (
        CheckConstraint(_in("status", SERVICE_STATUSES), name="status"),
        CheckConstraint("lines >= 0", name="lines_non_negative"),
        CheckConstraint("end_date IS NULL OR end_date >= start_date", name="dates_ordered"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    service_no: Mapped[str] = mapped_column(String(24), unique=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id", ondelete="RESTRICT"), index=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("product.id", ondelete="RESTRICT"), index=True)
    bandwidth: Mapped[str | None] = mapped_column(String(20))
    a_city_id: Mapped[int | None] = mapped_column(ForeignKey("org_unit.id", ondelete="RESTRICT"), index=True)
    z_city_id: Mapped[int | None] = mapped_column(ForeignKey("org_unit.id", ondelete="RESTRICT"), index=True)
    lines: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    start_date: Mapped[dt.date] = mapped_column(Date)
    end_date: Mapped[dt.date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(12), default="active", server_default="active")

    account: Mapped[Account] = relationship()
    product: Mapped[Product] = relationship()
    a_city: Mapped[OrgUnit | None] = relationship(foreign_keys=[a_city_id])
    z_city: Mapped[OrgUnit | None] = relationship(foreign_keys=[z_city_id])


APPOINTMENT_STATUSES = ("pending", "approved", "rejected", "withdrawn")
APPOINTMENT_STATUS_LABELS = {"pending": "待审批", "approved": "已批准", "rejected": "已驳回", "withdrawn": "已撤回"}


class HeadAppointment(Base):
    """Appointing the head of a KA unit: proposed by the unit, approved or rejected by the upper KA unit
    (the matrix rule). At most one pending appointment per unit; decisions are kept, never deleted."""

    __tablename__ = "head_appointment"
    __table_args__ = (
        CheckConstraint(_in("status", APPOINTMENT_STATUSES), name="status"),
        CheckConstraint(_in("previous_head_position", POSITIONS), name="previous_head_position"),
        Index(
            "uq_head_appointment_pending",
            "unit_id",
            unique=True,
            sqlite_where=text("status = 'pending'"),
            postgresql_where=text("status = 'pending'"),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id", ondelete="RESTRICT"), index=True)
    approver_unit_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id", ondelete="RESTRICT"), index=True)
    candidate_id: Mapped[int] = mapped_column(ForeignKey("staff.id", ondelete="RESTRICT"), index=True)
    previous_head_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id", ondelete="RESTRICT"))
    # What the outgoing head becomes when the appointment is approved.
    previous_head_position: Mapped[str] = mapped_column(String(20), default="market_manager")
    status: Mapped[str] = mapped_column(String(10), default="pending", server_default="pending")
    note: Mapped[str | None] = mapped_column(Text)
    proposed_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    decided_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    decision_note: Mapped[str | None] = mapped_column(Text)


class MonthlyRevenue(Base):
    """One billed revenue figure: month (YYYYMM), account, product; revenue in integer fen.

    ``serving_city_id`` is the account's serving city when the row was billed, copied onto the row so
    that geography follows where the service was delivered and rollups never join accounts.
    """

    __tablename__ = "monthly_revenue"
    __table_args__ = (
        CheckConstraint("billed_lines >= 0", name="lines_non_negative"),
        CheckConstraint("month >= 190001 AND month <= 999912 AND month % 100 BETWEEN 1 AND 12", name="month_valid"),
        Index(None, "serving_city_id", "month"),
        Index(None, "account_id", "month"),
    )

    month: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id", ondelete="RESTRICT"), primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("product.id", ondelete="RESTRICT"), primary_key=True)
    serving_city_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id", ondelete="RESTRICT"))
    revenue_fen: Mapped[int] = mapped_column(BigInteger)
    billed_lines: Mapped[int] = mapped_column(Integer)


class RevenueRollup(Base):
    """Pre-aggregated figures analytics reads, rebuilt from ``monthly_revenue`` (never the other way).

    Grain: (product, month, serving city, industry, account level). ``product_id = 0`` rows hold the
    all-products figures, whose ``accounts`` is the distinct count of accounts with positive summed
    revenue across products (a distinct count does not add up across products). ``accounts`` adds up
    across cities, industries and account levels, since an account has one of each.
    """

    __tablename__ = "revenue_rollup"
    __table_args__ = (
        CheckConstraint(_in("account_level", ACCOUNT_LEVELS), name="account_level"),
        Index(
            "ix_revenue_rollup_trend",
            "product_id",
            "city_id",
            "month",
            "industry_id",
            "account_level",
            "revenue_fen",
            "lines",
            "accounts",
        ),
        # Clustered on the primary key in SQLite, so a (product, month) range is one contiguous read.
        {"sqlite_with_rowid": False},
    )

    product_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    month: Mapped[int] = mapped_column(Integer, primary_key=True)
    city_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id", ondelete="RESTRICT"), primary_key=True)
    industry_id: Mapped[int] = mapped_column(ForeignKey("industry.id", ondelete="RESTRICT"), primary_key=True)
    account_level: Mapped[str] = mapped_column(String(10), primary_key=True)
    revenue_fen: Mapped[int] = mapped_column(BigInteger)
    lines: Mapped[int] = mapped_column(BigInteger)
    accounts: Mapped[int] = mapped_column(Integer)


class ProvinceRollup(Base):
    """``revenue_rollup`` summed up to provinces: (product, month, province, industry, account level).

    Country- and province-wide views (by province, by industry, by product, trends) read ~40× fewer
    rows here than at city grain. ``accounts`` may be summed from the city rows because an account has
    exactly one serving city; ``product_id = 0`` rows keep the all-products distinct count.
    """

    __tablename__ = "province_rollup"
    __table_args__ = (
        CheckConstraint(_in("account_level", ACCOUNT_LEVELS), name="account_level"),
        {"sqlite_with_rowid": False},
    )

    product_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    month: Mapped[int] = mapped_column(Integer, primary_key=True)
    province_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id", ondelete="RESTRICT"), primary_key=True)
    industry_id: Mapped[int] = mapped_column(ForeignKey("industry.id", ondelete="RESTRICT"), primary_key=True)
    account_level: Mapped[str] = mapped_column(String(10), primary_key=True)
    revenue_fen: Mapped[int] = mapped_column(BigInteger)
    lines: Mapped[int] = mapped_column(BigInteger)
    accounts: Mapped[int] = mapped_column(Integer)


class AccountRollup(Base):
    """One account's figures for one month over all its products, rebuilt with ``revenue_rollup``.

    Rankings (top/bottom accounts) and the distribution of ARPA over accounts read it through the
    (month, revenue) indexes instead of grouping raw revenue rows. ``city_id``, ``industry_id`` and
    ``account_level`` are copied so that scope and filters need no join.
    """

    __tablename__ = "account_rollup"
    __table_args__ = (
        CheckConstraint(_in("account_level", ACCOUNT_LEVELS), name="account_level"),
        Index("ix_account_rollup_month_revenue", "month", "revenue_fen"),
        Index("ix_account_rollup_month_city_revenue", "month", "city_id", "revenue_fen"),
        Index("ix_account_rollup_month_industry", "month", "industry_id", "account_level", "city_id", "revenue_fen"),
        {"sqlite_with_rowid": False},
    )

    month: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id", ondelete="CASCADE"), primary_key=True)
    city_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id", ondelete="RESTRICT"))
    industry_id: Mapped[int] = mapped_column(ForeignKey("industry.id", ondelete="RESTRICT"))
    account_level: Mapped[str] = mapped_column(String(10))
    revenue_fen: Mapped[int] = mapped_column(BigInteger)
    lines: Mapped[int] = mapped_column(BigInteger)


# --- cross-region service requests (DESIGN §5) --------------------------------------------------------

REQUEST_TYPES = ("new_circuit", "change", "fault", "complaint", "billing", "consultation")
REQUEST_TYPE_LABELS = {
    "new_circuit": "新开电路",
    "change": "业务变更",
    "fault": "障碍",
    "complaint": "投诉",
    "billing": "计费结算",
    "consultation": "咨询",
}
REQUEST_PRIORITIES = ("urgent", "high", "normal", "low")
REQUEST_PRIORITY_LABELS = {"urgent": "特急", "high": "紧急", "normal": "普通", "low": "一般"}
# routing: climbing to the coordinator; coordinating: accepted there, subtasks not yet dispatched;
# processing: subtasks out; resolved: the result is back with the raising unit; closed / cancelled: ended
REQUEST_STATES = ("routing", "coordinating", "processing", "resolved", "closed", "cancelled")
REQUEST_STATE_LABELS = {
    "routing": "逐级上报中",
    "coordinating": "待派发",
    "processing": "处理中",
    "resolved": "待确认",
    "closed": "已关闭",
    "cancelled": "已撤销",
}
OPEN_REQUEST_STATES = ("routing", "coordinating", "processing", "resolved")
# Stages with an SLA: each level's forwarding, the coordinator's accepting and dispatching, an involved
# unit's handling of its subtask, the coordinator's resolving once all replies are in, the raising
# unit's confirming with the customer.
REQUEST_STAGES = ("route", "coordinate", "handle", "resolve", "confirm")
REQUEST_STAGE_LABELS = {
    "route": "逐级上报",
    "coordinate": "受理派发",
    "handle": "处理",
    "resolve": "汇总解决",
    "confirm": "回访确认",
}
REQUEST_ACTIONS = (
    "raise",
    "forward",
    "accept",
    "dispatch",
    "reply",
    "resolve",
    "confirm",
    "return",
    "reassign",
    "cancel",
    "comment",
    "urge",
    "escalate",
)
REQUEST_ACTION_LABELS = {
    "raise": "发起",
    "forward": "上报",
    "accept": "受理",
    "dispatch": "派发",
    "reply": "回复",
    "resolve": "解决",
    "confirm": "确认关闭",
    "return": "退回",
    "reassign": "改派",
    "cancel": "撤销",
    "comment": "备注",
    "urge": "督办",
    "escalate": "超时升级",
}
SUBTASK_STATES = ("open", "done", "cancelled")


class ServiceRequest(Base):
    """A cross-region request raised by a unit for one of its accounts (DESIGN §5). ``holder_unit_id`` is
    the unit that must act next; ``version`` makes every action a compare-and-set, so two people acting
    at once cannot both succeed. Nothing is deleted: the history is in ``request_hop``."""

    __tablename__ = "service_request"
    __table_args__ = (
        CheckConstraint(_in("type", REQUEST_TYPES), name="type"),
        CheckConstraint(_in("priority", REQUEST_PRIORITIES), name="priority"),
        CheckConstraint(_in("state", REQUEST_STATES), name="state"),
        CheckConstraint(_in("stage", REQUEST_STAGES), name="stage"),
        Index("ix_service_request_holder_state", "holder_unit_id", "state"),
        Index("ix_service_request_state_due", "state", "due_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[str] = mapped_column(String(20), unique=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id", ondelete="RESTRICT"), index=True)
    type: Mapped[str] = mapped_column(String(20))
    priority: Mapped[str] = mapped_column(String(10), default="normal")
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    raising_unit_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id", ondelete="RESTRICT"), index=True)
    raised_by_id: Mapped[int] = mapped_column(ForeignKey("staff.id", ondelete="RESTRICT"))
    coordinator_unit_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id", ondelete="RESTRICT"), index=True)
    holder_unit_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id", ondelete="RESTRICT"))
    state: Mapped[str] = mapped_column(String(15))
    stage: Mapped[str] = mapped_column(String(15))
    stage_started_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    due_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    escalations: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    raised_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    closed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")


class RequestUnit(Base):
    """A unit involved in a request (e.g. the A-end and Z-end cities of a circuit)."""

    __tablename__ = "request_unit"

    request_id: Mapped[int] = mapped_column(ForeignKey("service_request.id", ondelete="CASCADE"), primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id", ondelete="RESTRICT"), primary_key=True)


class RequestHop(Base):
    """One recorded step of a request: who did what, from which unit to which, when, with what comment."""

    __tablename__ = "request_hop"
    __table_args__ = (
        CheckConstraint(_in("action", REQUEST_ACTIONS), name="action"),
        UniqueConstraint("request_id", "seq"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("service_request.id", ondelete="CASCADE"))
    seq: Mapped[int] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(15))
    from_unit_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id", ondelete="RESTRICT"))
    to_unit_id: Mapped[int | None] = mapped_column(ForeignKey("org_unit.id", ondelete="RESTRICT"))
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id", ondelete="RESTRICT"))  # None: the system
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    comment: Mapped[str | None] = mapped_column(Text)
    subtask_id: Mapped[int | None] = mapped_column(ForeignKey("request_subtask.id", ondelete="RESTRICT"))


class RequestSubtask(Base):
    """The part of a request one involved unit handles, dispatched by the coordinator."""

    __tablename__ = "request_subtask"
    __table_args__ = (
        CheckConstraint(_in("state", SUBTASK_STATES), name="state"),
        Index("ix_request_subtask_unit_state", "unit_id", "state"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("service_request.id", ondelete="CASCADE"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id", ondelete="RESTRICT"))
    kind: Mapped[str] = mapped_column(String(40))
    state: Mapped[str] = mapped_column(String(10), default="open", server_default="open")
    dispatched_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    due_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    escalations: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    done_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    reply: Mapped[str | None] = mapped_column(Text)


class RequestStage(Base):
    """How long each stage took against its deadline (statistics and the on-time rate read these)."""

    __tablename__ = "request_stage"
    __table_args__ = (CheckConstraint(_in("stage", REQUEST_STAGES), name="stage"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("service_request.id", ondelete="CASCADE"), index=True)
    stage: Mapped[str] = mapped_column(String(15))
    unit_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id", ondelete="RESTRICT"))
    subtask_id: Mapped[int | None] = mapped_column(ForeignKey("request_subtask.id", ondelete="RESTRICT"))
    started_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    due_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    ended_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class RequestAttachment(Base):
    """A file the request refers to (a path or URL on the company's file share; the file is not stored)."""

    __tablename__ = "request_attachment"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("service_request.id", ondelete="CASCADE"), index=True)
    reference: Mapped[str] = mapped_column(String(500))
    added_by_id: Mapped[int] = mapped_column(ForeignKey("staff.id", ondelete="RESTRICT"))
    added_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class SlaRule(Base):
    """Working hours allowed for a stage of a request of a type and priority (the group admin edits it)."""

    __tablename__ = "sla_rule"
    __table_args__ = (
        CheckConstraint(_in("type", REQUEST_TYPES), name="type"),
        CheckConstraint(_in("priority", REQUEST_PRIORITIES), name="priority"),
        CheckConstraint(_in("stage", REQUEST_STAGES), name="stage"),
        CheckConstraint("hours > 0", name="hours_positive"),
    )

    type: Mapped[str] = mapped_column(String(20), primary_key=True)
    priority: Mapped[str] = mapped_column(String(10), primary_key=True)
    stage: Mapped[str] = mapped_column(String(15), primary_key=True)
    hours: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id", ondelete="RESTRICT"))


REPORT_LEVELS = ("group", "province", "city")
REPORT_STATUSES = ("draft", "submitted", "approved", "returned")
REPORT_STATUS_LABELS = {"draft": "草稿", "submitted": "已提交", "approved": "已审批", "returned": "已退回"}
REPORT_ACTIONS = ("create", "save", "submit", "approve", "return", "revise")
REPORT_ACTION_LABELS = {
    "create": "开始编制",
    "save": "保存",
    "submit": "提交",
    "approve": "审批通过",
    "return": "退回",
    "revise": "修订（新版本）",
}


class MonthlyReport(Base):
    """One version of a unit's monthly report (DESIGN §6). A draft shows live figures; submitting freezes
    them into ``snapshot`` (JSON) so later imports never change what was submitted. A returned version stays
    as it was; revising it starts the next version. At most one version per unit and month is not returned
    (the database enforces it), and ``row_version`` makes every change a compare-and-set."""

    __tablename__ = "monthly_report"
    __table_args__ = (
        CheckConstraint(_in("status", REPORT_STATUSES), name="status"),
        CheckConstraint("month >= 190001 AND month <= 999912 AND month % 100 BETWEEN 1 AND 12", name="month_valid"),
        CheckConstraint("version >= 1", name="version_positive"),
        CheckConstraint("status = 'draft' OR snapshot IS NOT NULL", name="snapshot_when_submitted"),
        CheckConstraint("status <> 'returned' OR return_reason IS NOT NULL", name="reason_when_returned"),
        UniqueConstraint("unit_id", "month", "version"),
        Index(
            "uq_monthly_report_current",
            "unit_id",
            "month",
            unique=True,
            sqlite_where=text("status <> 'returned'"),
            postgresql_where=text("status <> 'returned'"),
        ),
        Index("ix_monthly_report_month_status", "month", "status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id", ondelete="RESTRICT"))
    month: Mapped[int] = mapped_column(Integer)
    version: Mapped[int] = mapped_column(Integer, default=1)
    status: Mapped[str] = mapped_column(String(10), default="draft", server_default="draft")
    market_text: Mapped[str] = mapped_column(Text, default="", server_default="")
    issues_text: Mapped[str] = mapped_column(Text, default="", server_default="")
    plan_text: Mapped[str] = mapped_column(Text, default="", server_default="")
    snapshot: Mapped[str | None] = mapped_column(Text)  # JSON of the frozen figures, set on submit
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    created_by_id: Mapped[int] = mapped_column(ForeignKey("staff.id", ondelete="RESTRICT"))
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    updated_by_id: Mapped[int] = mapped_column(ForeignKey("staff.id", ondelete="RESTRICT"))
    submitted_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id", ondelete="RESTRICT"))
    decided_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id", ondelete="RESTRICT"))
    return_reason: Mapped[str | None] = mapped_column(Text)
    row_version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")


class MonthlyReportEvent(Base):
    """One recorded transition of a monthly report: who did what, when, with what comment or reason."""

    __tablename__ = "monthly_report_event"
    __table_args__ = (
        CheckConstraint(_in("action", REPORT_ACTIONS), name="action"),
        UniqueConstraint("report_id", "seq"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("monthly_report.id", ondelete="CASCADE"))
    seq: Mapped[int] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(10))
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id", ondelete="RESTRICT"))
    unit_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id", ondelete="RESTRICT"))
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    comment: Mapped[str | None] = mapped_column(Text)


# --- virtual teams (DESIGN §1, §3) --------------------------------------------------------------------

TEAM_KINDS = ("industry", "account")
TEAM_KIND_LABELS = {"industry": "行业团队", "account": "全国性客户团队"}
TEAM_ROLES = ("lead", "member", "local_contact", "expert")
TEAM_ROLE_LABELS = {"lead": "团队负责人", "member": "成员", "local_contact": "属地联系人", "expert": "专家"}
TEAM_ACTIVITY_KINDS = ("created", "note", "joined", "left", "covered", "uncovered", "closed")


class VirtualTeam(Base):
    """A national virtual team: people from many units jointly serving one industry (``kind`` industry,
    ``industry_id`` set) or one or more national accounts (``kind`` account, accounts in
    ``virtual_team_account``). Centrally led by ``lead_unit_id``; closing a team ends what it grants."""

    __tablename__ = "virtual_team"
    __table_args__ = (
        CheckConstraint(_in("kind", TEAM_KINDS), name="kind"),
        CheckConstraint(
            "(kind = 'industry' AND industry_id IS NOT NULL) OR (kind = 'account' AND industry_id IS NULL)",
            name="industry_of_kind",
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(12), unique=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    kind: Mapped[str] = mapped_column(String(10))
    industry_id: Mapped[int | None] = mapped_column(ForeignKey("industry.id", ondelete="RESTRICT"))
    lead_unit_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id", ondelete="RESTRICT"), index=True)
    description: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    created_by_id: Mapped[int] = mapped_column(ForeignKey("staff.id", ondelete="RESTRICT"))
    closed_on: Mapped[dt.date | None] = mapped_column(Date)


class VirtualTeamAccount(Base):
    """A national account a team covers (its branch accounts are covered with it)."""

    __tablename__ = "virtual_team_account"

    team_id: Mapped[int] = mapped_column(ForeignKey("virtual_team.id", ondelete="CASCADE"), primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id", ondelete="RESTRICT"), primary_key=True, index=True)


class VirtualTeamMember(Base):
    """One person's membership of a team with a role, from ``start_date`` to ``end_date`` (inclusive; None:
    open-ended). What the membership grants holds only on the days it runs, so it ends by itself."""

    __tablename__ = "virtual_team_member"
    __table_args__ = (
        CheckConstraint(_in("role", TEAM_ROLES), name="role"),
        CheckConstraint("end_date IS NULL OR end_date >= start_date", name="dates_in_order"),
        Index("ix_virtual_team_member_staff_dates", "staff_id", "start_date", "end_date"),
        Index("ix_virtual_team_member_team", "team_id", "start_date"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("virtual_team.id", ondelete="CASCADE"))
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id", ondelete="RESTRICT"))
    role: Mapped[str] = mapped_column(String(15))
    start_date: Mapped[dt.date] = mapped_column(Date)
    end_date: Mapped[dt.date | None] = mapped_column(Date)
    added_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    added_by_id: Mapped[int] = mapped_column(ForeignKey("staff.id", ondelete="RESTRICT"))


class TeamActivity(Base):
    """The team's shared log: notes members write and the changes the team went through."""

    __tablename__ = "team_activity"
    __table_args__ = (
        CheckConstraint(_in("kind", TEAM_ACTIVITY_KINDS), name="kind"),
        Index("ix_team_activity_team_at", "team_id", "at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("virtual_team.id", ondelete="CASCADE"))
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id", ondelete="RESTRICT"))
    kind: Mapped[str] = mapped_column(String(10))
    text: Mapped[str] = mapped_column(Text)


# --- users and roles --------------------------------------------------------------------------------

USER_ROLES = ("system_admin", "group_admin", "province_head", "city_head", "customer_manager", "analyst")
USER_ROLE_LABELS = {
    "system_admin": "系统管理员",
    "group_admin": "集团管理员",
    "province_head": "省负责人",
    "city_head": "地市负责人",
    "customer_manager": "客户经理",
    "analyst": "分析员（只读）",
}


class AppUser(Base):
    """A login of the console, linked to one staff member and one role. On PostgreSQL the username is also
    the user's own login role (its password lives only in the server); disabling a user ends the login."""

    __tablename__ = "app_user"
    __table_args__ = (CheckConstraint(_in("role", USER_ROLES), name="role"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(63), unique=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id", ondelete="RESTRICT"), unique=True)
    role: Mapped[str] = mapped_column(String(20))
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default="1")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    created_by: Mapped[str | None] = mapped_column(String(63))  # the acting username; None: the installation
    disabled_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")


class AppSetting(Base):
    """Small key/value facts about the database itself (e.g. that it holds demo data)."""

    __tablename__ = "app_setting"

    key: Mapped[str] = mapped_column(String(50), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)


__all__ = [name for name in dir() if name[0].isupper()]
