"""`kam team …`: national virtual teams from the command line (DESIGN §1, §3, §8).

- ``kam team list [--member EMPLOYEE_NO] [--all] [--format table|csv|json]``
- ``kam team show CODE [--format table|json]`` — members, coverage and gaps, covered accounts, figures,
  open requests and the shared log.
- ``kam team create``, ``add-member``, ``end-member``, ``suggest``, ``note`` change a team as ``--as``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import sys

from kam_console.cli import _iso, _now, _open, _UsageError, render

_LIST_COLUMNS = [
    "code",
    "name",
    "kind",
    "kind_label",
    "industry_code",
    "industry_name",
    "lead_unit_code",
    "lead_unit_name",
    "members",
    "provinces",
    "accounts",
    "closed_on",
]
_LIST_TABLE = ["code", "name", "kind_label", "industry_name", "lead_unit_name", "members", "provinces", "accounts"]


def _date(text: str | None) -> dt.date | None:
    if text is None:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError as exc:
        raise _UsageError(f"日期格式应为 YYYY-MM-DD：{text}（date must be YYYY-MM-DD）") from exc


def _today() -> dt.date:
    from kam_console.services.sla import BEIJING

    return _now().astimezone(BEIJING).date()


def _on(args) -> dt.date:
    return _date(args.on) or _today()


def cmd_team_list(args) -> int:
    from kam_console.services.teams import list_teams

    db = _open(args)
    try:
        with db.engine.connect() as conn:
            rows = list_teams(conn, on=_on(args), member=args.member, include_closed=args.all)
    finally:
        db.dispose()
    data = [dataclasses.asdict(r) | {"closed_on": r.closed_on.isoformat() if r.closed_on else None} for r in rows]
    if args.format == "table" and not data:
        print("没有虚拟团队")
        return 0
    sys.stdout.write(render(data, _LIST_TABLE if args.format == "table" else _LIST_COLUMNS, args.format))
    return 0


def _detail_json(d) -> dict:
    return {
        "code": d.code,
        "name": d.name,
        "kind": d.kind,
        "kind_label": d.kind_label,
        "industry": {"code": d.industry_code, "name": d.industry_name} if d.industry_code else None,
        "lead_unit": {"code": d.lead_unit_code, "name": d.lead_unit_name},
        "description": d.description,
        "created_at": _iso(d.created_at),
        "closed_on": d.closed_on.isoformat() if d.closed_on else None,
        "on": d.on.isoformat(),
        "month": f"{d.month // 100:04d}-{d.month % 100:02d}" if d.month else None,
        "head_accounts": [{"customer_no": no, "name": name} for no, name in d.head_accounts],
        "members": [
            dataclasses.asdict(m) | {"start": m.start.isoformat(), "end": m.end.isoformat() if m.end else None}
            for m in d.members
        ],
        "coverage": [
            {
                "province": c.province_code,
                "province_name": c.province_name,
                "members": c.members,
                "member_cities": list(c.member_cities),
                "accounts": c.accounts,
                "gap_cities": [{"code": code, "name": name, "accounts": n} for code, name, n in c.gap_cities],
            }
            for c in d.coverage
        ],
        "accounts": [dataclasses.asdict(a) for a in d.accounts],
        "trend": [
            {
                "month": p.figures.key,
                "revenue": f"{p.figures.revenue:.2f}",
                "lines": p.figures.lines,
                "accounts": p.figures.accounts,
                "arpu": None if p.figures.arpu is None else f"{p.figures.arpu:.2f}",
                "arpa": None if p.figures.arpa is None else f"{p.figures.arpa:.2f}",
                "mom_pct": None if p.mom_pct is None else f"{p.mom_pct:.1f}",
                "yoy_pct": None if p.yoy_pct is None else f"{p.yoy_pct:.1f}",
            }
            for p in d.trend
        ],
        "open_requests": [dataclasses.asdict(r) | {"due_at": _iso(r.due_at)} for r in d.requests],
        "activity": [{"at": _iso(a.at), "staff": a.staff_name, "kind": a.kind, "text": a.text} for a in d.activity],
    }


def cmd_team_show(args) -> int:
    from kam_console.services.teams import team_detail

    db = _open(args)
    try:
        with db.engine.connect() as conn:
            d = team_detail(conn, team=args.team, on=_on(args))
    finally:
        db.dispose()
    if args.format == "json":
        print(json.dumps(_detail_json(d), ensure_ascii=False, indent=2))
        return 0
    covers = d.industry_name or "、".join(name for _no, name in d.head_accounts)
    print(f"{d.code} {d.name}（{d.kind_label}：{covers}；{d.lead_unit_name} 牵头）")
    running = [m for m in d.members if m.running]
    print(
        f"成员 {len(running)} 人，覆盖客户 {len(d.accounts)} 个，在办请求 {len(d.requests)} 个；"
        f"{d.gaps} 个地市有客户但团队无人"
    )
    rows = [
        {
            "employee_no": m.employee_no,
            "name": m.name,
            "unit": m.unit_name,
            "role": m.role_label,
            "start": m.start.isoformat(),
            "end": m.end.isoformat() if m.end else "",
            "running": "是" if m.running else "否",
        }
        for m in d.members
    ]
    sys.stdout.write(render(rows, ["employee_no", "name", "unit", "role", "start", "end", "running"], "table"))
    gaps = [f"{name}（{n} 个客户）" for c in d.coverage for _code, name, n in c.gap_cities]
    if gaps:
        print("无人覆盖的地市：" + "、".join(gaps))
    return 0


def _changed(args, change, message: str) -> int:
    db = _open(args)
    try:
        with db.engine.begin() as conn:
            result = change(conn)
    finally:
        db.dispose()
    print(message.format(result=result))
    return 0


def cmd_team_create(args) -> int:
    from kam_console.services.teams import create_team

    accounts = [a for a in (args.accounts or "").split(",") if a.strip()]
    return _changed(
        args,
        lambda conn: create_team(
            conn,
            name=args.name,
            kind=args.kind,
            lead_unit=args.lead_unit,
            by=args.as_staff,
            now=_now(),
            industry=args.industry,
            accounts=accounts,
            description=args.description,
        ),
        "{result}",
    )


def cmd_team_add_member(args) -> int:
    from kam_console.services.teams import add_member

    start = _date(args.start) or _today()
    return _changed(
        args,
        lambda conn: add_member(
            conn,
            team=args.team,
            employee_no=args.employee,
            role=args.role,
            start=start,
            end=_date(args.end),
            by=args.as_staff,
            now=_now(),
        ),
        f"{args.employee} 已加入 {args.team}（{start} 起）",
    )


def cmd_team_end_member(args) -> int:
    from kam_console.services.teams import end_membership

    end = _date(args.end) or _today()
    return _changed(
        args,
        lambda conn: end_membership(
            conn, team=args.team, employee_no=args.employee, end=end, by=args.as_staff, now=_now()
        ),
        f"{args.employee} 在 {args.team} 的成员资格于 {end} 结束",
    )


def cmd_team_note(args) -> int:
    from kam_console.services.teams import add_note

    return _changed(
        args,
        lambda conn: add_note(conn, team=args.team, text=args.text, by=args.as_staff, now=_now()),
        "已记入团队日志",
    )


def cmd_team_suggest(args) -> int:
    from kam_console.services.teams import suggest_members

    db = _open(args)
    try:
        with db.engine.connect() as conn:
            rows = suggest_members(conn, team=args.team, on=_on(args))
    finally:
        db.dispose()
    data = [
        {
            "employee_no": s.employee_no,
            "name": s.name,
            "unit": s.unit_name,
            "role": s.role,
            "why": s.why,
            "cities": "、".join(s.cities) if args.format != "json" else list(s.cities),
            "accounts": len(s.accounts) if args.format != "json" else list(s.accounts),
        }
        for s in rows
    ]
    if args.format == "table" and not data:
        print("没有可建议的成员")
        return 0
    sys.stdout.write(render(data, ["employee_no", "name", "unit", "role", "why", "cities", "accounts"], args.format))
    return 0


def add_team_commands(sub) -> None:
    team = sub.add_parser("team", help="全国虚拟团队：行业团队与全国性客户团队").add_subparsers(
        dest="team_command", required=True
    )
    on_help = "查看哪一天的成员与授权（YYYY-MM-DD，默认今天）"

    ls = team.add_parser("list", help="虚拟团队清单：成员数、覆盖省份数、覆盖客户数")
    ls.add_argument("--member", metavar="EMPLOYEE_NO", help="只列出该员工当天参与的团队")
    ls.add_argument("--all", action="store_true", help="包括已撤销的团队")
    ls.add_argument("--on", metavar="YYYY-MM-DD", help=on_help)
    ls.add_argument("--format", choices=["table", "csv", "json"], default="table")
    ls.set_defaults(func=cmd_team_list)

    sh = team.add_parser("show", help="团队详情：成员、覆盖与空白地市、客户、业绩趋势、在办请求、团队日志")
    sh.add_argument("team", metavar="CODE", help="团队编号（如 VT0001）")
    sh.add_argument("--on", metavar="YYYY-MM-DD", help=on_help)
    sh.add_argument("--format", choices=["table", "json"], default="table")
    sh.set_defaults(func=cmd_team_show)

    cr = team.add_parser("create", help="组建团队；输出团队编号")
    cr.add_argument("--name", required=True, help="团队名称")
    cr.add_argument(
        "--kind", required=True, choices=["industry", "account"], help="industry 行业团队 / account 全国性客户团队"
    )
    cr.add_argument("--industry", metavar="CODE", help="行业团队的行业代码")
    cr.add_argument("--accounts", metavar="NO,NO", help="全国性客户团队覆盖的总部客户编号，逗号分隔")
    cr.add_argument("--lead-unit", required=True, metavar="CODE", help="牵头单位代码（通常为集团或省）")
    cr.add_argument("--description", help="说明")
    cr.add_argument(
        "--as", dest="as_staff", required=True, metavar="EMPLOYEE_NO", help="组建人工号（牵头单位负责人等）"
    )
    cr.set_defaults(func=cmd_team_create)

    am = team.add_parser("add-member", help="添加成员")
    am.add_argument("team", metavar="CODE")
    am.add_argument("--employee", required=True, metavar="EMPLOYEE_NO")
    am.add_argument(
        "--role", default="member", help="lead 团队负责人 / member 成员（默认）/ local_contact 属地联系人 / expert 专家"
    )
    am.add_argument("--start", metavar="YYYY-MM-DD", help="开始日期（默认今天）")
    am.add_argument("--end", metavar="YYYY-MM-DD", help="结束日期（含当天；默认不定期）")
    am.add_argument("--as", dest="as_staff", required=True, metavar="EMPLOYEE_NO", help="操作人工号")
    am.set_defaults(func=cmd_team_add_member)

    em = team.add_parser("end-member", help="结束成员资格（其授权随之结束）")
    em.add_argument("team", metavar="CODE")
    em.add_argument("--employee", required=True, metavar="EMPLOYEE_NO")
    em.add_argument("--end", metavar="YYYY-MM-DD", help="最后一天（默认今天）")
    em.add_argument("--as", dest="as_staff", required=True, metavar="EMPLOYEE_NO", help="操作人工号")
    em.set_defaults(func=cmd_team_end_member)

    sg = team.add_parser("suggest", help="建议成员：各地分支客户的负责客户经理与第一联系人")
    sg.add_argument("team", metavar="CODE")
    sg.add_argument("--on", metavar="YYYY-MM-DD", help=on_help)
    sg.add_argument("--format", choices=["table", "csv", "json"], default="table")
    sg.set_defaults(func=cmd_team_suggest)

    nt = team.add_parser("note", help="在团队日志中记录")
    nt.add_argument("team", metavar="CODE")
    nt.add_argument("--text", required=True)
    nt.add_argument("--as", dest="as_staff", required=True, metavar="EMPLOYEE_NO", help="记录人工号（团队成员）")
    nt.set_defaults(func=cmd_team_note)
