"""`kam industry …`: the group's industry catalogue from the command line.

- ``kam industry list [--format table|csv|json]`` lists every industry, active and retired, with how many
  accounts and staff use it.
- ``add CODE NAME``, ``rename CODE NAME``, ``retire CODE``, ``restore CODE`` and ``delete CODE`` change it as
  the employee given by ``--as`` (an administrator or head of the group KA unit). Deleting is refused for
  an industry in use; retire it instead.
"""

from __future__ import annotations

import sys

from kam_console.cli import _open, render

_COLUMNS = ["code", "name", "active", "accounts", "staff", "in_use"]


def _row(usage, fmt: str) -> dict:
    if fmt == "json":
        active, in_use = usage.active, usage.in_use
    elif fmt == "csv":
        active, in_use = str(usage.active).lower(), str(usage.in_use).lower()
    else:
        active, in_use = ("在用" if usage.active else "已停用"), ("是" if usage.in_use else "否")
    return {
        "code": usage.code,
        "name": usage.name,
        "active": active,
        "accounts": usage.accounts,
        "staff": usage.staff,
        "in_use": in_use,
    }


def cmd_industry_list(args) -> int:
    from kam_console.services.industry_catalogue import list_catalogue

    db = _open(args)
    try:
        with db.engine.connect() as conn:
            rows = list_catalogue(conn)
    finally:
        db.dispose()
    sys.stdout.write(render([_row(u, args.format) for u in rows], _COLUMNS, args.format))
    return 0


def _change(args, change, done: str) -> int:
    db = _open(args)
    try:
        with db.engine.begin() as conn:
            usage = change(conn)
    finally:
        db.dispose()
    if usage is None:
        print(done.format(code=args.code))
    else:
        state = "在用" if usage.active else "已停用"
        usage_text = f"{usage.accounts} 个客户，{usage.staff} 名专长员工"
        print(done.format(code=usage.code) + f"：{usage.name}（{state}，{usage_text}）")
    return 0


def cmd_industry_add(args) -> int:
    from kam_console.services.industry_catalogue import add_industry

    return _change(
        args,
        lambda conn: add_industry(conn, code=args.code, name=args.name, employee_no=args.as_staff),
        "已新增 {code}",
    )


def cmd_industry_rename(args) -> int:
    from kam_console.services.industry_catalogue import rename_industry

    return _change(
        args,
        lambda conn: rename_industry(conn, code=args.code, name=args.name, employee_no=args.as_staff),
        "已改名 {code}",
    )


def cmd_industry_retire(args) -> int:
    from kam_console.services.industry_catalogue import retire_industry

    return _change(args, lambda conn: retire_industry(conn, code=args.code, employee_no=args.as_staff), "已停用 {code}")


def cmd_industry_restore(args) -> int:
    from kam_console.services.industry_catalogue import restore_industry

    return _change(
        args, lambda conn: restore_industry(conn, code=args.code, employee_no=args.as_staff), "已恢复 {code}"
    )


def cmd_industry_delete(args) -> int:
    from kam_console.services.industry_catalogue import delete_industry

    return _change(args, lambda conn: delete_industry(conn, code=args.code, employee_no=args.as_staff), "已删除 {code}")


def add_industry_commands(sub) -> None:
    ind = sub.add_parser("industry", help="行业目录：列出、新增、改名、停用、恢复、删除").add_subparsers(
        dest="industry_command", required=True
    )

    def acting(p) -> None:
        p.add_argument(
            "--as",
            dest="as_staff",
            required=True,
            metavar="EMPLOYEE_NO",
            help="操作人工号（集团公司大客户事业部的管理员或负责人）",
        )

    ls = ind.add_parser("list", help="列出全部行业（含已停用），及使用它的客户数和专长员工数")
    ls.add_argument("--format", choices=["table", "csv", "json"], default="table")
    ls.set_defaults(func=cmd_industry_list)

    add = ind.add_parser("add", help="新增行业（代码为 2 至 10 位大写字母或数字）")
    add.add_argument("code", metavar="CODE")
    add.add_argument("name", metavar="NAME")
    acting(add)
    add.set_defaults(func=cmd_industry_add)

    rn = ind.add_parser("rename", help="行业改名（客户、员工专长和指标随之显示新名称）")
    rn.add_argument("code", metavar="CODE")
    rn.add_argument("name", metavar="NAME")
    acting(rn)
    rn.set_defaults(func=cmd_industry_rename)

    rt = ind.add_parser("retire", help="停用行业：不再供新客户和员工选择，已有数据照常显示")
    rt.add_argument("code", metavar="CODE")
    acting(rt)
    rt.set_defaults(func=cmd_industry_retire)

    rs = ind.add_parser("restore", help="恢复已停用的行业")
    rs.add_argument("code", metavar="CODE")
    acting(rs)
    rs.set_defaults(func=cmd_industry_restore)

    de = ind.add_parser("delete", help="删除从未使用过的行业（正在使用的请停用）")
    de.add_argument("code", metavar="CODE")
    acting(de)
    de.set_defaults(func=cmd_industry_delete)
