"""Users of the console, their roles and what each role may do; administration delegated by level.

**Roles** (``USER_ROLES``): 系统管理员, 集团管理员, 省负责人, 地市负责人, 客户经理, 分析员（只读）. Each role
belongs at one level of the hierarchy (a 省负责人 is a staff member of a province unit, …; customer
managers and analysts at any level) and brings a set of **capabilities** (``ROLE_CAPABILITIES``):
approving reports and appointments, editing accounts (a customer manager only those they are
responsible for), editing the SLA table, managing catalogues, users, staff and teams. Every user sees
the data scope of their unit (``services.visibility``).

**Delegated administration**: a user who may manage users manages those whose staff member works in
their own unit's subtree, with a role below their own — a province's head the users of its province, a
city's head those of its city; only the group's administrators manage province heads and group roles,
and only a system administrator manages administrators. Without an acting user (``by=None``) the change is
the installation's own — the person who owns the database, e.g. creating the first system administrator.

**PostgreSQL**: each user is also a login role of the server, member of the ``kam_users`` group role; the
password is handed to the server when the login is created and stored nowhere else. Disabling a user
removes the login. On the embedded SQLite file there are no server logins: the file is the security
boundary and the desk chooses whom it acts as.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from sqlalchemy import Connection, insert, select, update

from kam_console.errors import NotFound, ValidationError
from kam_console.models import USER_ROLE_LABELS, USER_ROLES, AppUser, OrgUnit, Staff, utcnow

USERS_GROUP_ROLE = "kam_users"
USERNAME = re.compile(r"^[a-z][a-z0-9_]{2,30}$")
RESERVED_NAMES = {"postgres", "public", USERS_GROUP_ROLE, "kam_owner", "pg_signal_backend"}

CAPABILITIES = {
    "approve_reports": "审批下级月报",
    "approve_appointments": "审批负责人任命",
    "edit_accounts": "编辑辖区内客户",
    "edit_own_accounts": "编辑自己负责的客户",
    "edit_sla": "修改时限规则",
    "manage_catalogues": "维护行业与产品目录",
    "manage_users": "管理用户",
    "manage_staff": "管理员工",
    "manage_teams": "组建与调整虚拟团队",
}
ROLE_CAPABILITIES: dict[str, frozenset[str]] = {
    "system_admin": frozenset({"manage_users", "manage_staff", "manage_catalogues", "edit_sla"}),
    "group_admin": frozenset(
        {
            "approve_reports",
            "approve_appointments",
            "edit_accounts",
            "edit_sla",
            "manage_catalogues",
            "manage_users",
            "manage_staff",
            "manage_teams",
        }
    ),
    "province_head": frozenset(
        {"approve_reports", "approve_appointments", "edit_accounts", "manage_users", "manage_staff", "manage_teams"}
    ),
    "city_head": frozenset({"approve_appointments", "edit_accounts", "manage_users", "manage_staff", "manage_teams"}),
    "customer_manager": frozenset({"edit_own_accounts"}),
    "analyst": frozenset(),
}
# The unit level a role's staff member must work at (None: any level).
ROLE_LEVELS: dict[str, tuple[str, ...] | None] = {
    "system_admin": ("group",),
    "group_admin": ("group",),
    "province_head": ("province",),
    "city_head": ("city",),
    "customer_manager": None,
    "analyst": None,
}
LEVEL_WORDS = {"group": "集团", "province": "省", "city": "地市"}
# Higher rank manages lower; equal ranks do not manage each other.
ROLE_RANK = {
    "system_admin": 5,
    "group_admin": 4,
    "province_head": 3,
    "city_head": 2,
    "customer_manager": 1,
    "analyst": 1,
}


class UserNotAllowed(ValidationError):
    """The acting user may not make this change."""


def capabilities(role: str) -> frozenset[str]:
    return ROLE_CAPABILITIES.get(role, frozenset())


@dataclass(frozen=True)
class UserRow:
    username: str
    employee_no: str
    name: str
    unit_code: str
    unit_name: str
    role: str
    role_label: str
    active: bool
    created_at: dt.datetime
    created_by: str | None
    disabled_at: dt.datetime | None


def _rows(conn: Connection, *where) -> list[UserRow]:
    rows = conn.execute(
        select(
            AppUser.username,
            Staff.employee_no,
            Staff.name,
            OrgUnit.code,
            OrgUnit.name,
            AppUser.role,
            AppUser.active,
            AppUser.created_at,
            AppUser.created_by,
            AppUser.disabled_at,
        )
        .join(Staff, Staff.id == AppUser.staff_id)
        .join(OrgUnit, OrgUnit.id == Staff.unit_id)
        .where(*where)
        .order_by(OrgUnit.code, AppUser.username)
    ).all()
    return [
        UserRow(r[0], r[1], r[2], r[3], r[4], r[5], USER_ROLE_LABELS[r[5]], bool(r[6]), r[7], r[8], r[9]) for r in rows
    ]


def list_users(conn: Connection, *, unit: str | None = None, include_disabled: bool = True) -> list[UserRow]:
    """Users (of ``unit``'s subtree when given), unit by unit."""
    where = []
    if unit:
        path = conn.execute(select(OrgUnit.path).where(OrgUnit.code == unit.strip())).scalar()
        if path is None:
            raise NotFound(f"没有代码为 {unit} 的单位", f"no unit with code {unit}")
        where.append((OrgUnit.path == path) | OrgUnit.path.like(path + "/%"))
    if not include_disabled:
        where.append(AppUser.active.is_(True))
    return _rows(conn, *where)


def find_user(conn: Connection, username: str) -> UserRow:
    rows = _rows(conn, AppUser.username == username.strip().lower())
    if not rows:
        raise NotFound(f"没有用户 {username}", f"no user {username}")
    return rows[0]


def _unit_path(conn: Connection, unit_code: str) -> str:
    return conn.execute(select(OrgUnit.path).where(OrgUnit.code == unit_code)).scalar_one()


def _check_manager(conn: Connection, by: str | None, *, target_unit: str, role: str, doing: str) -> None:
    """Refuse unless ``by`` may manage a user of ``role`` working in ``target_unit``."""
    if by is None:
        return
    actor = find_user(conn, by)
    if not actor.active:
        raise UserNotAllowed(f"用户 {actor.username} 已停用", "the acting user is disabled")
    if "manage_users" not in capabilities(actor.role):
        raise UserNotAllowed(
            f"{actor.name}（{actor.role_label}）不能{doing}：没有管理用户的权限", "no user management capability"
        )
    mine, theirs = _unit_path(conn, actor.unit_code), _unit_path(conn, target_unit)
    if actor.role != "system_admin" and not (theirs == mine or theirs.startswith(mine + "/")):
        raise UserNotAllowed(
            f"{actor.name} 只能管理 {actor.unit_name} 及其下级单位的用户", "outside the acting user's subtree"
        )
    if actor.role != "system_admin" and ROLE_RANK[role] >= ROLE_RANK[actor.role]:
        raise UserNotAllowed(
            f"{actor.name}（{actor.role_label}）不能{doing}{USER_ROLE_LABELS[role]}：只能管理比自己低一级及以下的角色",
            "only roles below one's own",
        )


def add_user(
    conn: Connection,
    *,
    username: str,
    employee_no: str,
    role: str,
    by: str | None,
    password: str | None = None,
    now: dt.datetime | None = None,
) -> UserRow:
    """Create a user for the active staff member ``employee_no`` with ``role``. On PostgreSQL ``password``
    is required and becomes the new login role's password (kept by the server only)."""
    name = (username or "").strip().lower()
    if not USERNAME.match(name) or name in RESERVED_NAMES or name.startswith("pg_"):
        raise ValidationError(
            f"用户名 {username!r} 不可用：应为 3–31 个小写字母、数字或下划线，以字母开头", "invalid username"
        )
    if role not in USER_ROLES:
        raise ValidationError(
            f"未知的角色：{role}（{'、'.join(f'{r} {USER_ROLE_LABELS[r]}' for r in USER_ROLES)}）", "unknown role"
        )
    person = conn.execute(
        select(Staff.id, Staff.name, Staff.active, OrgUnit.code, OrgUnit.level, OrgUnit.name.label("unit"))
        .join(OrgUnit, OrgUnit.id == Staff.unit_id)
        .where(Staff.employee_no == employee_no.strip())
    ).first()
    if person is None:
        raise NotFound(f"没有工号为 {employee_no} 的员工", f"no staff member {employee_no}")
    if not person.active:
        raise ValidationError(f"{person.name}（{employee_no}）已停用，不能开通用户", "the staff member is deactivated")
    levels = ROLE_LEVELS[role]
    if levels is not None and person.level not in levels:
        where = "、".join(LEVEL_WORDS[lv] for lv in levels)
        raise ValidationError(
            f"{USER_ROLE_LABELS[role]}须是{where}大客户部门的员工；{person.name} 在 {person.unit}",
            "the role does not fit the staff member's unit",
        )
    _check_manager(conn, by, target_unit=person.code, role=role, doing="开通")
    if conn.execute(select(AppUser.id).where(AppUser.username == name)).first():
        raise ValidationError(f"用户名 {name} 已被使用", "username taken")
    existing = conn.execute(select(AppUser.username).where(AppUser.staff_id == person.id)).scalar()
    if existing:
        raise ValidationError(f"{person.name}（{employee_no}）已有用户 {existing}", "the staff member has a user")
    server = conn.dialect.name == "postgresql"
    if server and not password:
        raise ValidationError("在数据库服务器上开通用户需要设置密码", "a password is required on PostgreSQL")
    conn.execute(
        insert(AppUser).values(
            username=name,
            staff_id=person.id,
            role=role,
            active=True,
            created_at=now or utcnow(),
            created_by=by,
        )
    )
    if server:
        _create_login(conn, name, password)
    return find_user(conn, name)


def _create_login(conn: Connection, username: str, password: str) -> None:
    """The user's own PostgreSQL login role, member of the console's group role (created if missing)."""
    from psycopg import sql

    raw = conn.connection.driver_connection
    with raw.cursor() as cur:
        cur.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (USERS_GROUP_ROLE,))
        if cur.fetchone() is None:
            cur.execute(sql.SQL("CREATE ROLE {} NOLOGIN").format(sql.Identifier(USERS_GROUP_ROLE)))
        cur.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (username,))
        if cur.fetchone() is not None:
            raise ValidationError(
                f"数据库服务器上已有名为 {username} 的登录角色，请换一个用户名", "a server role of that name exists"
            )
        cur.execute(
            sql.SQL("CREATE ROLE {} LOGIN PASSWORD {} IN ROLE {}").format(
                sql.Identifier(username), sql.Literal(password), sql.Identifier(USERS_GROUP_ROLE)
            )
        )


def disable_user(conn: Connection, *, username: str, by: str | None, now: dt.datetime | None = None) -> UserRow:
    """Disable the user (never deleted); on PostgreSQL their login ends at once."""
    user = find_user(conn, username)
    if not user.active:
        raise ValidationError(f"用户 {user.username} 已于 {user.disabled_at:%Y-%m-%d} 停用", "already disabled")
    if by is not None and by.strip().lower() == user.username:
        raise UserNotAllowed("不能停用自己", "one cannot disable oneself")
    _check_manager(conn, by, target_unit=user.unit_code, role=user.role, doing="停用")
    conn.execute(
        update(AppUser)
        .where(AppUser.username == user.username)
        .values(active=False, disabled_at=now or utcnow(), version=AppUser.version + 1)
    )
    if conn.dialect.name == "postgresql":
        from psycopg import sql

        with conn.connection.driver_connection.cursor() as cur:
            cur.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (user.username,))
            if cur.fetchone() is not None:
                cur.execute(sql.SQL("ALTER ROLE {} NOLOGIN").format(sql.Identifier(user.username)))
    return find_user(conn, user.username)
