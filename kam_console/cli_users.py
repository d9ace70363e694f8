"""`kam user …` and `kam staff list` (DESIGN §8).

- ``kam user add USERNAME --staff EMPLOYEE_NO --role ROLE [--as USERNAME]`` — on PostgreSQL the password
  comes from ``KAM_NEW_PASSWORD`` when set, else it is asked for (never an argument, never stored).
- ``kam user list [--unit CODE] [--format table|csv|json]``, ``kam user disable USERNAME [--as USERNAME]``.
- ``kam staff list --unit CODE [--subtree] [--format table|csv|json]`` — columns as the staff import reads
  them (``employee_no,name,unit_code,position,industry_codes``), so the output can be edited and imported.
"""

from __future__ import annotations

import getpass
import os
import sys

from kam_console.cli import _iso, _open, render
from kam_console.errors import KamError

_USER_COLUMNS = ["username", "employee_no", "name", "unit_code", "unit_name", "role", "role_label", "active"]
_STAFF_COLUMNS = ["employee_no", "name", "unit_code", "position", "industry_codes"]


def _password(db) -> str | None:
    if db.is_sqlite:
        return None  # the embedded file has no server logins
    given = os.environ.get("KAM_NEW_PASSWORD")
    if given:
        return given
    if not sys.stdin.isatty():
        raise KamError("请通过环境变量 KAM_NEW_PASSWORD 提供新用户的密码", "set KAM_NEW_PASSWORD (no terminal to ask)")
    first = getpass.getpass("新用户的密码：")
    if first != getpass.getpass("再输入一次："):
        raise KamError("两次输入的密码不一致", "the passwords do not match")
    return first


def cmd_user_add(args) -> int:
    from kam_console.services.users import add_user

    db = _open(args)
    try:
        password = _password(db)
        with db.engine.begin() as conn:
            user = add_user(
                conn, username=args.username, employee_no=args.staff, role=args.role, by=args.as_user, password=password
            )
    finally:
        db.dispose()
    print(f"已开通用户 {user.username}：{user.name}（{user.employee_no}，{user.unit_name}），角色 {user.role_label}")
    return 0


def cmd_user_disable(args) -> int:
    from kam_console.services.users import disable_user

    db = _open(args)
    try:
        with db.engine.begin() as conn:
            user = disable_user(conn, username=args.username, by=args.as_user)
    finally:
        db.dispose()
    print(f"用户 {user.username}（{user.name}）已停用")
    return 0


def cmd_user_list(args) -> int:
    from kam_console.services.users import list_users

    db = _open(args)
    try:
        with db.engine.connect() as conn:
            users = list_users(conn, unit=args.unit)
    finally:
        db.dispose()
    rows = []
    for u in users:
        row = {c: getattr(u, c) for c in _USER_COLUMNS}
        if args.format == "json":
            row |= {"created_at": _iso(u.created_at), "created_by": u.created_by, "disabled_at": _iso(u.disabled_at)}
        else:
            row["active"] = "true" if u.active else "false"
        rows.append(row)
    if args.format == "table" and not rows:
        print("还没有用户")
        return 0
    columns = _USER_COLUMNS + (["created_at", "created_by", "disabled_at"] if args.format == "json" else [])
    sys.stdout.write(render(rows, columns, args.format))
    return 0


def cmd_staff_list(args) -> int:
    from kam_console.services.staff import staff_export

    db = _open(args)
    try:
        with db.engine.connect() as conn:
            rows = staff_export(conn, unit=args.unit, subtree=args.subtree)
    finally:
        db.dispose()
    sys.stdout.write(render(rows, _STAFF_COLUMNS, args.format))
    return 0


def add_user_commands(sub) -> None:
    from kam_console.models import USER_ROLE_LABELS, USER_ROLES

    roles = ", ".join(f"{r} {USER_ROLE_LABELS[r]}" for r in USER_ROLES)
    user = sub.add_parser("user", help="用户与角色").add_subparsers(dest="user_command", required=True)
    add = user.add_parser("add", help="开通用户（PostgreSQL 上同时创建其登录角色）")
    add.add_argument("username", metavar="USERNAME", help="用户名：3–31 个小写字母、数字或下划线，以字母开头")
    add.add_argument("--staff", required=True, metavar="EMPLOYEE_NO", help="对应的员工工号")
    add.add_argument("--role", required=True, metavar="ROLE", help=roles)
    add.add_argument("--as", dest="as_user", metavar="USERNAME", help="操作的管理员用户（省略：数据库所有者安装时）")
    add.set_defaults(func=cmd_user_add)
    ls = user.add_parser("list", help="用户清单")
    ls.add_argument("--unit", metavar="CODE", help="只列出该单位及其下级单位的用户")
    ls.add_argument("--format", choices=["table", "csv", "json"], default="table")
    ls.set_defaults(func=cmd_user_list)
    dis = user.add_parser("disable", help="停用用户（其登录随即失效）")
    dis.add_argument("username", metavar="USERNAME")
    dis.add_argument("--as", dest="as_user", metavar="USERNAME", help="操作的管理员用户")
    dis.set_defaults(func=cmd_user_disable)

    staff = sub.add_parser("staff", help="员工").add_subparsers(dest="staff_command", required=True)
    sl = staff.add_parser("list", help="某单位的在岗员工（列与员工导入文件相同）")
    sl.add_argument("--unit", required=True, metavar="CODE")
    sl.add_argument("--subtree", action="store_true", help="包括下级单位的员工")
    sl.add_argument("--format", choices=["table", "csv", "json"], default="table")
    sl.set_defaults(func=cmd_staff_list)
