"""The `kam` command line (DESIGN §8). Exit 0 on success; otherwise one line on stderr and non-zero."""

from __future__ import annotations

import argparse
import csv
import io
import json
import sys
from collections.abc import Sequence

from kam_console import __version__
from kam_console.errors import KamError

EXIT_ERROR = 1
EXIT_USAGE = 2


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # one line, non-zero, as the contract says
        raise _UsageError(message)


class _UsageError(Exception):
    pass


def render(rows: list[dict], columns: Sequence[str], fmt: str) -> str:
    """Rows as an aligned table, CSV (header + rows) or a JSON array of objects."""
    if fmt == "json":
        return json.dumps([{c: r.get(c) for c in columns} for r in rows], ensure_ascii=False, indent=2) + "\n"
    if fmt == "csv":
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        writer.writerow(columns)
        for r in rows:
            writer.writerow(["" if r.get(c) is None else r.get(c) for c in columns])
        return buf.getvalue()
    import unicodedata

    def width(s: str) -> int:
        return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in s)

    cells = [[str(c) for c in columns]] + [["" if r.get(c) is None else str(r.get(c)) for c in columns] for r in rows]
    widths = [max(width(row[i]) for row in cells) for i in range(len(columns))]
    lines = ["  ".join(cell + " " * (widths[i] - width(cell)) for i, cell in enumerate(row)).rstrip() for row in cells]
    return "\n".join(lines) + "\n"


def _open(args, *, migrate: bool = True):
    from kam_console.db import open_database

    return open_database(args.db, migrate=migrate)


def _progress_printer(quiet: bool):
    last = {"pct": -1}

    def progress(done: int, total: int, text: str = "") -> None:
        if quiet:
            return
        pct = int(done * 100 / total) if total else 100
        if pct != last["pct"]:
            last["pct"] = pct
            print(f"\r[{pct:3d}%] {text}".ljust(60), end="", file=sys.stderr, flush=True)
            if done >= total:
                print(file=sys.stderr)

    return progress


def cmd_db_upgrade(args) -> int:
    from kam_console.db import current_revision

    db = _open(args, migrate=True)
    try:
        rev = current_revision(db.engine)
        print(f"数据库已是最新结构（{rev}）：{db.description}")
    finally:
        db.dispose()
    return 0


def cmd_db_status(args) -> int:
    from kam_console.db import check_not_newer, head_revision

    db = _open(args, migrate=False)
    try:
        rev = check_not_newer(db.engine)
        head = head_revision()
        state = "最新" if rev == head else ("未初始化" if rev is None else "需要升级")
        print(f"{db.description}\n当前版本：{rev or '—'}  程序版本：{head}  状态：{state}")
    finally:
        db.dispose()
    return 0


def cmd_demo_seed(args) -> int:
    from kam_console.demo import seed_demo

    db = _open(args)
    try:
        result = seed_demo(
            db, scale=args.scale, seed=args.seed, force=args.force, progress=_progress_printer(args.quiet)
        )
        print(
            f"演示数据已生成（规模 {args.scale}，种子 {args.seed}）：{result.staff} 名员工，{result.accounts} 个客户，"
            f"{result.services} 项业务，{result.revenue_rows} 条月收入，用时 {result.seconds:.1f} 秒"
        )
    finally:
        db.dispose()
    return 0


def cmd_org_list(args) -> int:
    from kam_console.services.org import list_org_units

    db = _open(args)
    try:
        with db.session() as s:
            units = list_org_units(s, level=args.level, parent_code=args.parent)
    finally:
        db.dispose()
    rows = [
        {
            "code": u.code,
            "name": u.name,
            "level": u.level,
            "parent_code": u.parent_code or "",
            "local_company": u.local_company or "",
        }
        for u in units
    ]
    sys.stdout.write(render(rows, ["code", "name", "level", "parent_code", "local_company"], args.format))
    return 0


def cmd_import(args) -> int:
    from kam_console import importing

    run = {
        "staff": importing.import_staff,
        "accounts": importing.import_accounts,
        "revenue": importing.import_revenue,
    }[args.kind]
    kwargs = {"sheet": args.sheet, "progress": _progress_printer(args.quiet)}
    if args.kind == "revenue":
        kwargs["scope"] = args.scope
    elif args.scope:
        raise _UsageError("--scope 只用于收入导入（--scope is for revenue imports）")
    db = _open(args)
    try:
        try:
            with db.engine.begin() as conn:
                result = run(conn, args.file, **kwargs)
        except importing.ImportRejected as exc:
            # Every bad row goes to stdout (it can be saved and fixed); the one-line error to stderr.
            sys.stdout.write(
                render(
                    [{"line": i.line, "column": i.column, "value": i.value, "reason": i.reason} for i in exc.issues],
                    ["line", "column", "value", "reason"],
                    "csv" if args.format == "csv" else "table",
                )
            )
            raise
        print(result.summary())
    finally:
        db.dispose()
    return 0


def _month_arg(text: str) -> int:
    from kam_console.months import parse_month

    month = parse_month(text)
    if month is None:
        raise _UsageError(f"月份格式应为 YYYY-MM：{text}（month must be YYYY-MM）")
    return month


def _filters(args):
    from kam_console.analytics import Filters

    return Filters(industry=args.industry, product=args.product, account_level=args.level)


def _pct(value) -> str:
    return "" if value is None else f"{value:.1f}"


def cmd_analytics_arpu(args) -> int:
    from kam_console import analytics

    month = _month_arg(args.month)
    db = _open(args)
    try:
        with db.engine.connect() as conn:
            rows = analytics.figures_by(conn, unit=args.unit, month=month, by=args.by, filters=_filters(args))
    finally:
        db.dispose()
    columns = ["key", "name", "revenue", "lines", "accounts", "arpu", "arpa"]
    data = [f.as_row() for f in rows]
    if args.format == "table":
        for row in data:
            for c in ("arpu", "arpa"):
                row[c] = row[c] or "—"
    sys.stdout.write(render(data, columns, args.format))
    return 0


def cmd_analytics_trend(args) -> int:
    from kam_console import analytics

    first, last = _month_arg(args.from_month), _month_arg(args.to_month)
    db = _open(args)
    try:
        with db.engine.connect() as conn:
            points = analytics.trend(conn, unit=args.unit, first=first, last=last, filters=_filters(args))
    finally:
        db.dispose()
    columns = ["month", "revenue", "lines", "accounts", "arpu", "arpa", "mom_pct", "yoy_pct"]
    data = []
    for p in points:
        row = p.figures.as_row()
        data.append(
            {
                "month": row["key"],
                "revenue": row["revenue"],
                "lines": row["lines"],
                "accounts": row["accounts"],
                "arpu": row["arpu"],
                "arpa": row["arpa"],
                "mom_pct": _pct(p.mom_pct),
                "yoy_pct": _pct(p.yoy_pct),
            }
        )
    sys.stdout.write(render(data, columns, args.format))
    return 0


def cmd_analytics_top(args) -> int:
    from kam_console import analytics

    month = _month_arg(args.month)
    db = _open(args)
    try:
        with db.engine.connect() as conn:
            accounts = analytics.top_accounts(
                conn,
                unit=args.unit,
                month=month,
                n=args.n,
                by=args.by,
                bottom=args.bottom,
                filters=_filters(args),
            )
    finally:
        db.dispose()
    columns = [
        "rank",
        "customer_no",
        "name",
        "level",
        "industry",
        "city",
        "revenue",
        "lines",
        "accounts",
        "arpu",
        "arpa",
    ]
    data = [
        {
            "rank": i,
            "customer_no": a.customer_no,
            "name": a.name,
            "level": a.level,
            "industry": a.industry,
            "city": a.city,
            "revenue": f"{a.revenue:.2f}",
            "lines": a.lines,
            "accounts": a.accounts,
            "arpu": "" if a.arpu is None else f"{a.arpu:.2f}",
            "arpa": "" if a.arpa is None else f"{a.arpa:.2f}",
        }
        for i, a in enumerate(accounts, 1)
    ]
    sys.stdout.write(render(data, columns, args.format))
    return 0


def cmd_analytics_rebuild(args) -> int:
    from kam_console.rollups import rebuild_rollups

    db = _open(args)
    try:
        with db.engine.begin() as conn:
            written = rebuild_rollups(conn)
        print(f"汇总表已从月收入明细重建：{written} 行")
    finally:
        db.dispose()
    return 0


# --- service requests -----------------------------------------------------------------------------


def _now():
    from kam_console.models import utcnow

    return utcnow()


def _bj(value) -> str:
    """A time for people: Beijing time to the minute (2026-11-23 09:00)."""
    from kam_console.services.sla import BEIJING

    return "" if value is None else value.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M")


def _iso(value) -> str | None:
    """A time for programs: ISO 8601 with its offset, in Beijing time (2026-11-23T09:00:00+08:00)."""
    from kam_console.services.sla import BEIJING

    return None if value is None else value.astimezone(BEIJING).isoformat(timespec="seconds")


def _jsonable(value):
    import dataclasses
    import datetime as dt

    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, dt.datetime):
        return _iso(value)
    return value


def _dump(value) -> str:
    return json.dumps(_jsonable(value), ensure_ascii=False, indent=2) + "\n"


def _codes(text: str) -> list[str]:
    return [c.strip() for c in (text or "").replace("，", ",").split(",") if c.strip()]


def _unit_label(unit) -> str:
    return "" if unit is None else f"{unit.name}（{unit.code}）"


def cmd_request_route(args) -> int:
    from kam_console.services.request_queries import route_preview

    db = _open(args)
    try:
        with db.engine.connect() as conn:
            preview = route_preview(conn, raising=args.from_unit, units=_codes(args.units))
    finally:
        db.dispose()
    if args.format == "json":
        sys.stdout.write(json.dumps(preview.as_dict(), ensure_ascii=False) + "\n")
        return 0
    last = len(preview.route) - 1
    rows = []
    for i, unit in enumerate(preview.route):
        role = "发起单位" if i == 0 else "逐级上报"
        if i == last:
            role = "发起单位、协调单位" if last == 0 else "协调单位"
        rows.append({"step": i + 1, "code": unit.code, "name": unit.name, "role": role})
    sys.stdout.write(render(rows, ["step", "code", "name", "role"], "table"))
    print("涉及单位：" + "、".join(_unit_label(u) for u in preview.units))
    return 0


def cmd_request_raise(args) -> int:
    from kam_console.services.service_requests import raise_request

    db = _open(args)
    try:
        with db.engine.begin() as conn:
            raised = raise_request(
                conn,
                account=args.account,
                type_=args.type,
                units=_codes(args.units),
                as_staff=args.as_staff,
                priority=args.priority,
                title=args.title,
                text=args.text,
                attachments=args.attach or (),
                now=_now(),
            )
    finally:
        db.dispose()
    if args.format == "json":
        data = {"number": raised.number, "coordinator": raised.coordinator, "route": list(raised.route)}
        sys.stdout.write(json.dumps(data, ensure_ascii=False) + "\n")
    else:
        print(f"{raised.number} {raised.coordinator}")
    return 0


def _show_table(d) -> str:
    def step(r) -> str:
        mark = "〔当前〕" if r.current else ("〔已过〕" if r.passed else "")
        return f"{r.name}（{r.code}）{mark}"

    due = "—"
    if d.due_at is not None:
        due = _bj(d.due_at) + (f"（已超时 {d.overdue_hours:.1f} 小时）" if d.overdue else "")
    if d.next:
        nxt = "；".join(f"{_unit_label(n.unit)} {n.action_label}（{n.action}）" for n in d.next)
    else:
        nxt = "—（已结束）"
    lines = [
        f"请求 {d.number}  {d.type_label} · {d.priority_label} · {d.state_label}",
        f"客户：{d.account.name}（{d.account.customer_no}）",
        f"标题：{d.title}",
    ]
    if d.description:
        lines.append(f"说明：{d.description}")
    lines += [
        f"发起：{_unit_label(d.raising_unit)} {d.raised_by.name}（{d.raised_by.employee_no}） {_bj(d.raised_at)}",
        f"协调单位：{_unit_label(d.coordinator)}",
        "路径：" + " → ".join(step(r) for r in d.route),
        f"涉及单位：{'、'.join(_unit_label(u) for u in d.involved)}",
        f"当前处理：{_unit_label(d.holder)}  阶段：{d.stage_label}  时限：{due}",
        f"下一步：{nxt}",
    ]
    if d.escalation_level:
        lines.append(f"本阶段已升级 {d.escalation_level} 次")
    if d.closed_at is not None:
        lines.append(f"结束时间：{_bj(d.closed_at)}")
    for a in d.attachments:
        lines.append(f"附件：{a.reference}（{a.added_by.name}，{_bj(a.added_at)}）")
    out = "\n".join(lines) + "\n\n处理记录：\n"
    hops = [
        {
            "seq": h.seq,
            "time": _bj(h.at),
            "action": h.action_label,
            "from": h.from_unit.name,
            "to": h.to_unit.name if h.to_unit else "",
            "by": h.staff.name if h.staff.employee_no is None else f"{h.staff.name}（{h.staff.employee_no}）",
            "comment": (h.comment or "").replace("\n", " "),
        }
        for h in d.hops
    ]
    out += render(hops, ["seq", "time", "action", "from", "to", "by", "comment"], "table")
    if d.subtasks:
        subtasks = [
            {
                "id": s.id,
                "unit": s.unit.name,
                "kind": s.kind,
                "state": s.state_label,
                "dispatched": _bj(s.dispatched_at),
                "due": _bj(s.due_at) + (f"（超时 {s.overdue_hours:.1f} 小时）" if s.overdue else ""),
                "done": _bj(s.done_at),
                "reply": (s.reply or "").replace("\n", " "),
            }
            for s in d.subtasks
        ]
        out += "\n子任务：\n"
        out += render(subtasks, ["id", "unit", "kind", "state", "dispatched", "due", "done", "reply"], "table")
    return out


def cmd_request_show(args) -> int:
    from kam_console.services.request_queries import request_detail

    db = _open(args)
    try:
        with db.engine.connect() as conn:
            detail = request_detail(conn, number=args.number, now=_now())
    finally:
        db.dispose()
    sys.stdout.write(_dump(detail) if args.format == "json" else _show_table(detail))
    return 0


def cmd_request_act(args) -> int:
    from kam_console.services.request_queries import request_detail
    from kam_console.services.service_requests import act

    if (args.unit or args.to_unit) and args.action != "reassign":
        raise _UsageError("--unit 与 --to 只用于改派（--unit/--to are for --action reassign）")
    db = _open(args)
    try:
        with db.engine.begin() as conn:
            now = _now()
            result = act(
                conn,
                number=args.number,
                action=args.action,
                as_staff=args.as_staff,
                text=args.text,
                unit=args.unit,
                to_unit=args.to_unit,
                now=now,
            )
            detail = request_detail(conn, number=args.number, now=now)
    finally:
        db.dispose()
    if args.format == "json":
        data = {
            "number": result.number,
            "action": result.action,
            "state": result.state,
            "state_label": detail.state_label,
            "holder": result.holder,
            "holder_name": detail.holder.name,
            "next": _jsonable(detail.next),
        }
        sys.stdout.write(json.dumps(data, ensure_ascii=False) + "\n")
    else:
        print(f"{result.state} {result.holder}")
    return 0


def cmd_request_list(args) -> int:
    from kam_console.services.request_queries import list_requests

    db = _open(args)
    try:
        with db.engine.connect() as conn:
            rows = list_requests(
                conn,
                unit=args.unit,
                now=_now(),
                state=args.state,
                type_=args.type,
                overdue=args.overdue,
                view=args.view,
                employee_no=args.employee,
                limit=args.limit,
            )
    finally:
        db.dispose()
    if args.format == "table":
        data = [
            {
                "number": r.number,
                "account": r.account,
                "type": r.type_label,
                "priority": r.priority_label,
                "state": r.state_label,
                "stage": r.stage_label,
                "holder": r.holder_name,
                "due_at": _bj(r.due_at),
                "overdue": f"超时 {r.overdue_hours:.1f} 小时" if r.overdue else "",
                "raised_at": _bj(r.raised_at),
                "raising_unit": r.raising_unit_name,
            }
            for r in rows
        ]
        sys.stdout.write(render(data, _LIST_TABLE_COLUMNS, "table"))
        return 0
    when = _iso if args.format == "json" else _bj
    data = []
    for r in rows:
        row = {c: getattr(r, c) for c in _LIST_COLUMNS}
        row["due_at"], row["raised_at"] = when(r.due_at), when(r.raised_at)
        if args.format == "csv":
            row["overdue"] = "true" if r.overdue else "false"
        data.append(row)
    sys.stdout.write(render(data, _LIST_COLUMNS, args.format))
    return 0


_LIST_TABLE_COLUMNS = (
    "number",
    "account",
    "type",
    "priority",
    "state",
    "stage",
    "holder",
    "due_at",
    "overdue",
    "raised_at",
    "raising_unit",
)
_LIST_COLUMNS = [
    "number",
    "customer_no",
    "account",
    "type",
    "type_label",
    "priority",
    "priority_label",
    "state",
    "state_label",
    "stage",
    "stage_label",
    "holder",
    "holder_name",
    "due_at",
    "overdue",
    "overdue_hours",
    "raised_at",
    "raising_unit",
    "raising_unit_name",
]


_STATS_COLUMNS = [
    "unit",
    "name",
    "raised",
    "closed",
    "cancelled",
    "open_at_month_end",
    "closed_on_time",
    "on_time_pct",
    *[
        f"{stage}_{what}"
        for stage in ("route", "coordinate", "handle", "resolve", "confirm")
        for what in ("avg_hours", "on_time_pct")
    ],
]


def _stats_row(stats) -> dict:
    row = {
        "unit": stats.unit_code,
        "name": stats.unit_name,
        "raised": stats.raised,
        "closed": stats.closed,
        "cancelled": stats.cancelled,
        "open_at_month_end": stats.open_at_month_end,
        "closed_on_time": stats.closed_on_time,
        "on_time_pct": "" if stats.on_time_pct is None else f"{stats.on_time_pct:.1f}",
    }
    for stage in stats.stages:
        row[f"{stage.stage}_avg_hours"] = "" if stage.avg_hours is None else f"{stage.avg_hours:.1f}"
        row[f"{stage.stage}_on_time_pct"] = "" if stage.on_time_pct is None else f"{stage.on_time_pct:.1f}"
    return row


def cmd_request_stats(args) -> int:
    from kam_console.services.request_supervision import request_statistics, statistics_by_child

    month = _month_arg(args.month)
    db = _open(args)
    try:
        with db.engine.connect() as conn:
            rows = [request_statistics(conn, unit=args.unit, month=month)]
            if args.by_child:
                rows += statistics_by_child(conn, unit=args.unit, month=month)
    finally:
        db.dispose()
    sys.stdout.write(render([_stats_row(r) for r in rows], _STATS_COLUMNS, args.format))
    return 0


def cmd_request_escalate(args) -> int:
    from kam_console.services.service_requests import escalate_overdue

    db = _open(args)
    try:
        with db.engine.begin() as conn:
            done = escalate_overdue(conn, now=_now())
    finally:
        db.dispose()
    rows = [
        {
            "number": e.number,
            "from_unit": e.from_unit,
            "to_unit": e.to_unit,
            "stage": e.stage,
            "overdue_hours": e.overdue_hours,
        }
        for e in done
    ]
    if args.format == "table" and not rows:
        print("没有需要升级的超时请求")
        return 0
    sys.stdout.write(render(rows, ["number", "from_unit", "to_unit", "stage", "overdue_hours"], args.format))
    return 0


_SLA_COLUMNS = ["type", "type_label", "priority", "priority_label", "stage", "stage_label", "hours"]


def cmd_request_sla_list(args) -> int:
    import dataclasses

    from kam_console.services.request_queries import sla_rules

    db = _open(args)
    try:
        with db.engine.connect() as conn:
            rules = sla_rules(conn)
    finally:
        db.dispose()
    sys.stdout.write(render([dataclasses.asdict(r) for r in rules], _SLA_COLUMNS, args.format))
    return 0


def cmd_request_sla_set(args) -> int:
    from kam_console.models import REQUEST_PRIORITY_LABELS, REQUEST_STAGE_LABELS, REQUEST_TYPE_LABELS
    from kam_console.services.request_queries import sla_rule_hours
    from kam_console.services.sla import set_sla_hours, sla_editor_id

    db = _open(args)
    try:
        with db.engine.begin() as conn:
            staff_id = sla_editor_id(conn, employee_no=args.as_staff)
            before = sla_rule_hours(conn, type_=args.type, priority=args.priority, stage=args.stage)
            set_sla_hours(
                conn,
                type_=args.type,
                priority=args.priority,
                stage=args.stage,
                hours=args.hours,
                by_staff_id=staff_id,
                now=_now(),
            )
    finally:
        db.dispose()
    name = (
        f"{REQUEST_TYPE_LABELS[args.type]}/{REQUEST_PRIORITY_LABELS[args.priority]}/{REQUEST_STAGE_LABELS[args.stage]}"
    )
    print(f"时限已修改：{name} {before} → {args.hours} 个工作小时（已开始的阶段保持原时限）")
    return 0


_TYPES_HELP = "new_circuit 新开电路, change 业务变更, fault 障碍, complaint 投诉, billing 计费结算, consultation 咨询"
_PRIORITIES_HELP = "urgent 特急, high 紧急, normal 普通, low 一般"
_STATES_HELP = (
    "routing 逐级上报中, coordinating 待派发, processing 处理中, resolved 待确认, closed 已关闭, cancelled 已撤销"
)
_STAGES_HELP = "route 逐级上报, coordinate 受理派发, handle 处理, resolve 汇总解决, confirm 回访确认"


def _add_request_commands(sub) -> None:
    req = sub.add_parser("request", help="跨省/跨地区服务请求（一站式服务）").add_subparsers(
        dest="request_command", required=True
    )
    units_help = "涉及的地市或区县单位代码，逗号分隔（如 440100,330100）"

    route = req.add_parser("route", help="试算路由：协调单位与逐级上报的路径（不创建请求）")
    route.add_argument("--from", dest="from_unit", required=True, metavar="CODE", help="发起单位代码")
    route.add_argument("--units", required=True, metavar="CODE,CODE", help=units_help)
    route.add_argument("--format", choices=["table", "json"], default="table")
    route.set_defaults(func=cmd_request_route)

    rs = req.add_parser("raise", help="发起请求；输出请求编号和协调单位代码")
    rs.add_argument("--account", required=True, metavar="CUSTOMER_NO", help="客户编号")
    rs.add_argument("--type", required=True, metavar="TYPE", help=_TYPES_HELP)
    rs.add_argument("--units", required=True, metavar="CODE,CODE", help=units_help)
    rs.add_argument("--priority", default="normal", metavar="P", help=_PRIORITIES_HELP + "（默认 normal）")
    rs.add_argument("--title", help="标题（默认：类型与客户名）")
    rs.add_argument("--text", help="说明")
    rs.add_argument("--attach", action="append", metavar="PATH", help="附件路径（共享盘路径或网址，可重复）")
    rs.add_argument(
        "--as", dest="as_staff", required=True, metavar="EMPLOYEE_NO", help="发起人工号（其单位即发起单位）"
    )
    rs.add_argument("--format", choices=["table", "json"], default="table")
    rs.set_defaults(func=cmd_request_raise)

    show = req.add_parser("show", help="请求详情：路径、当前处理单位、下一步、处理记录、子任务、时限")
    show.add_argument("number", metavar="NO", help="请求编号（如 SR20261123000001）")
    show.add_argument("--format", choices=["table", "json"], default="table")
    show.set_defaults(func=cmd_request_show)

    ac = req.add_parser("act", help="处理请求；输出新状态和当前处理单位代码")
    ac.add_argument("number", metavar="NO", help="请求编号")
    ac.add_argument(
        "--action",
        required=True,
        metavar="ACTION",
        help="forward 上报, accept 受理, dispatch 派发, reply 回复, resolve 解决, confirm 确认关闭, return 退回, "
        "comment 备注, reassign 改派, cancel 撤销, urge 督办",
    )
    ac.add_argument("--as", dest="as_staff", required=True, metavar="EMPLOYEE_NO", help="操作人工号")
    ac.add_argument("--text", help="说明、回复、原因或备注")
    ac.add_argument("--unit", metavar="CODE", help="改派：原子任务单位")
    ac.add_argument("--to", dest="to_unit", metavar="CODE", help="改派：新单位")
    ac.add_argument("--format", choices=["table", "json"], default="table")
    ac.set_defaults(func=cmd_request_act)

    ls = req.add_parser("list", help="某单位的请求清单，时限最近的在前（超时的最前）")
    ls.add_argument("--unit", required=True, metavar="CODE", help="单位代码：列出该单位的请求")
    ls.add_argument(
        "--view",
        default="todo",
        metavar="VIEW",
        help="todo 待我处理（默认）, raised 我发起的, involved 我参与的, all 全部相关, below 下级在办",
    )
    ls.add_argument("--state", metavar="S", help=_STATES_HELP)
    ls.add_argument("--type", metavar="T", help=_TYPES_HELP)
    ls.add_argument("--overdue", action="store_true", help="只看已超时的")
    ls.add_argument("--employee", metavar="EMPLOYEE_NO", help="只看该员工发起或处理过的")
    ls.add_argument("--limit", type=int, default=500, help="最多列出多少条（默认 500）")
    ls.add_argument("--format", choices=["table", "csv", "json"], default="table")
    ls.set_defaults(func=cmd_request_list)

    st = req.add_parser(
        "stats", help="某单位（含下级）某月的请求统计：发起、关闭、按时率、各阶段平均处理时长（工作小时）"
    )
    st.add_argument("--unit", required=True, metavar="CODE")
    st.add_argument("--month", required=True, metavar="YYYY-MM")
    st.add_argument("--by-child", action="store_true", help="另列每个直属下级单位")
    st.add_argument("--format", choices=["table", "csv", "json"], default="table")
    st.set_defaults(func=cmd_request_stats)

    esc = req.add_parser("escalate", help="超时升级：把超过时限的请求升级至上一级督办（供计划任务定时运行）")
    esc.add_argument("--format", choices=["table", "csv", "json"], default="table")
    esc.set_defaults(func=cmd_request_escalate)

    sla = req.add_parser("sla", help="时限规则（按请求类型、优先级、阶段的工作小时）").add_subparsers(
        dest="sla_command", required=True
    )
    sl = sla.add_parser("list", help="列出时限规则")
    sl.add_argument("--format", choices=["table", "csv", "json"], default="table")
    sl.set_defaults(func=cmd_request_sla_list)
    ss = sla.add_parser("set", help="修改一条时限规则（仅集团公司大客户事业部的管理员或负责人）")
    ss.add_argument("--type", required=True, metavar="T", help=_TYPES_HELP)
    ss.add_argument("--priority", required=True, metavar="P", help=_PRIORITIES_HELP)
    ss.add_argument("--stage", required=True, metavar="S", help=_STAGES_HELP)
    ss.add_argument("--hours", required=True, type=int, metavar="H", help="工作小时（周一至周五，北京时间）")
    ss.add_argument("--as", dest="as_staff", required=True, metavar="EMPLOYEE_NO", help="操作人工号")
    ss.set_defaults(func=cmd_request_sla_set)


def _add_filters(parser) -> None:
    parser.add_argument("--industry", metavar="CODE", help="只看该行业（如 FIN）")
    parser.add_argument("--product", metavar="CODE", help="只看该产品（如 DC）")
    parser.add_argument("--level", choices=["national", "provincial", "city"], help="只看该级别的客户")


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="kam", description="KAM Console 大客户管理控制台 — 命令行")
    p.add_argument("--db", metavar="URL", help="数据库地址（默认：环境变量 KAM_DATABASE_URL，否则本机嵌入式数据库）")
    p.add_argument("--version", action="version", version=f"kam {__version__}")
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)

    db = sub.add_parser("db", help="数据库结构").add_subparsers(dest="db_command", required=True)
    db.add_parser("upgrade", help="升级到最新结构；空库同时安装参考数据").set_defaults(func=cmd_db_upgrade)
    db.add_parser("status", help="显示数据库版本").set_defaults(func=cmd_db_status)

    demo = sub.add_parser("demo", help="演示数据").add_subparsers(dest="demo_command", required=True)
    seed = demo.add_parser("seed", help="生成确定性的演示数据")
    seed.add_argument("--scale", choices=["small", "medium", "large"], default="small")
    seed.add_argument("--seed", type=int, default=1)
    seed.add_argument("--force", action="store_true", help="数据库已有真实数据时仍然覆盖（会删除现有业务数据）")
    seed.add_argument("--quiet", action="store_true", help="不显示进度")
    seed.set_defaults(func=cmd_demo_seed)

    imp = sub.add_parser("import", help="导入员工、客户或月收入（CSV：UTF-8/GBK；XLSX）")
    imp.add_argument("kind", choices=["staff", "accounts", "revenue"])
    imp.add_argument("file")
    imp.add_argument("--sheet", help="XLSX 的工作表名（默认第一个）")
    imp.add_argument(
        "--scope", metavar="CODE", help="收入文件是该单位辖区在其月份的完整数据：辖区内文件中没有的收入行将被删除"
    )
    imp.add_argument("--format", choices=["table", "csv"], default="table", help="问题清单的格式")
    imp.add_argument("--quiet", action="store_true", help="不显示进度")
    imp.set_defaults(func=cmd_import)

    an = sub.add_parser("analytics", help="ARPU/ARPA 等经营指标").add_subparsers(dest="an_command", required=True)
    arpu = an.add_parser("arpu", help="某月按省、地市、行业、产品或客户级别分组的收入、线路、客户数、ARPU、ARPA")
    arpu.add_argument("--month", required=True, metavar="YYYY-MM")
    arpu.add_argument("--by", required=True, choices=["province", "city", "industry", "product", "level", "child"])
    arpu.add_argument("--unit", default="000000", metavar="CODE", help="范围：该单位辖区（默认全国）")
    _add_filters(arpu)
    arpu.add_argument("--format", choices=["table", "csv", "json"], default="table")
    arpu.set_defaults(func=cmd_analytics_arpu)
    tr = an.add_parser("trend", help="逐月趋势，含环比、同比")
    tr.add_argument("--unit", default="000000", metavar="CODE")
    tr.add_argument("--from", dest="from_month", required=True, metavar="YYYY-MM")
    tr.add_argument("--to", dest="to_month", required=True, metavar="YYYY-MM")
    _add_filters(tr)
    tr.add_argument("--format", choices=["table", "csv", "json"], default="table")
    tr.set_defaults(func=cmd_analytics_trend)
    top = an.add_parser("top", help="客户收入排名")
    top.add_argument("--unit", default="000000", metavar="CODE")
    top.add_argument("--month", required=True, metavar="YYYY-MM")
    top.add_argument("--n", type=int, default=20)
    top.add_argument(
        "--by",
        choices=["revenue", "arpa", "arpu"],
        default="revenue",
        help="revenue：按客户收入；arpa：按集团客户（总部及其分支）的户均收入；arpu：按每线路收入",
    )
    top.add_argument("--bottom", action="store_true", help="倒数排名")
    _add_filters(top)
    top.add_argument("--format", choices=["table", "csv", "json"], default="table")
    top.set_defaults(func=cmd_analytics_top)
    an.add_parser("rebuild", help="从月收入明细重建汇总表").set_defaults(func=cmd_analytics_rebuild)

    org = sub.add_parser("org", help="组织层级").add_subparsers(dest="org_command", required=True)
    ol = org.add_parser("list", help="列出单位")
    ol.add_argument("--level", choices=["group", "province", "city", "county"])
    ol.add_argument("--parent", metavar="CODE")
    ol.add_argument("--format", choices=["table", "csv", "json"], default="table")
    ol.set_defaults(func=cmd_org_list)

    _add_request_commands(sub)
    from kam_console.cli_reports import add_report_commands

    add_report_commands(sub)
    from kam_console.cli_industry import add_industry_commands

    add_industry_commands(sub)
    from kam_console.cli_teams import add_team_commands

    add_team_commands(sub)
    from kam_console.cli_users import add_user_commands

    add_user_commands(sub)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except _UsageError as exc:
        print(f"kam: 参数错误：{exc}（usage error; see kam --help）", file=sys.stderr)
        return EXIT_USAGE
    try:
        return args.func(args)
    except _UsageError as exc:
        print(f"kam: 参数错误：{exc}", file=sys.stderr)
        return EXIT_USAGE
    except KamError as exc:
        print(f"kam: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("kam: 已中断（interrupted）", file=sys.stderr)
        return 130
