"""`kam report …`: monthly reports from the command line (DESIGN §6, §8).

- ``kam report monthly --unit CODE --month YYYY-MM --out FILE.pdf [--version N]`` prints the unit's
  current version (or the given one) to an A4 PDF; with no report yet, a draft computed from today's data.
- ``kam report status --month YYYY-MM --unit CODE`` is the status board of the units directly below.
- ``kam report show`` prints the report's status, versions and key figures; ``draft``, ``submit``,
  ``approve``, ``return`` and ``revise`` move it through its lifecycle as the employee given by ``--as``.
"""

from __future__ import annotations

import sys
from pathlib import Path

from kam_console.cli import _bj, _iso, _month_arg, _now, _open, _UsageError, render
from kam_console.errors import KamError

_BOARD_COLUMNS = [
    "unit",
    "name",
    "status",
    "status_label",
    "version",
    "submitted_by",
    "submitted_at",
    "decided_by",
    "decided_at",
    "deadline",
    "overdue",
    "days_overdue",
    "late",
]
_BOARD_TABLE_COLUMNS = ["unit", "name", "status_label", "version", "submitted_at", "decided_at", "deadline", "overdue"]


def cmd_report_monthly(args) -> int:
    from kam_console.services.monthly_reports import report_document

    month = _month_arg(args.month)
    out = Path(args.out)
    if out.suffix.lower() != ".pdf":
        raise _UsageError(f"输出文件应以 .pdf 结尾：{args.out}（--out must name a .pdf file）")
    if not out.parent.exists():
        raise KamError(f"输出目录不存在：{out.parent}", f"no directory {out.parent}")
    db = _open(args)
    try:
        with db.engine.connect() as conn:
            doc = report_document(conn, unit=args.unit, month=month, now=_now(), version=args.version)
    finally:
        db.dispose()
    from kam_console.reports.pdf import render_report_pdf

    # written next to the target first, then moved over it: a failed print never leaves half a file
    partial = out.with_name(out.name + ".part")
    try:
        pages = render_report_pdf(doc, partial)
        partial.replace(out)
    except OSError as exc:
        partial.unlink(missing_ok=True)
        raise KamError(f"无法写入 {out}：{exc.strerror or exc}", f"cannot write {out}") from exc
    version = f"第 {doc.version} 版，{doc.status_label}" if doc.version else "尚未编制，按当前数据生成"
    print(f"已生成 {out}（{doc.unit_name} {doc.month} 月报，{version}，共 {pages} 页）")
    return 0


def _board_rows(board, fmt: str) -> list[dict]:
    when = _iso if fmt == "json" else _bj
    rows = []
    for r in board.rows:
        overdue = r.overdue
        if fmt == "table":
            overdue = f"逾期 {r.days_overdue} 天" if r.overdue else ("逾期提交" if r.late else "")
        elif fmt == "csv":
            overdue = "true" if r.overdue else "false"
        rows.append(
            {
                "unit": r.code,
                "name": r.name,
                "status": r.status,
                "status_label": r.status_label,
                "version": r.version,
                "submitted_by": r.submitted_by,
                "submitted_at": when(r.submitted_at),
                "decided_by": r.decided_by,
                "decided_at": when(r.decided_at),
                "deadline": r.deadline.isoformat(),
                "overdue": overdue,
                "days_overdue": r.days_overdue,
                "late": r.late if fmt == "json" else ("true" if r.late else "false"),
            }
        )
    return rows


def cmd_report_status(args) -> int:
    from kam_console.services.monthly_reports import BOARD_STATUS_LABELS, BOARD_STATUSES, status_board

    month = _month_arg(args.month)
    db = _open(args)
    try:
        with db.engine.connect() as conn:
            board = status_board(conn, unit=args.unit, month=month, now=_now())
    finally:
        db.dispose()
    rows = _board_rows(board, args.format)
    if args.format != "table":
        sys.stdout.write(render(rows, _BOARD_COLUMNS, args.format))
        return 0
    own = board.own
    mine = f"第 {own.version} 版，{own.status_label}" if own else "未开始"
    print(f"{board.unit_name} {args.month} 月报：{mine}（截止 {board.own_deadline.isoformat()}）")
    if not rows:
        print("没有需要向本单位报送月报的下级单位")
        return 0
    sys.stdout.write(render(rows, _BOARD_TABLE_COLUMNS, "table"))
    counts = " · ".join(f"{BOARD_STATUS_LABELS[s]} {board.count(s)}" for s in reversed(BOARD_STATUSES))
    print(f"共 {len(rows)} 个单位：{counts}；逾期 {board.overdue}")
    return 0


def cmd_report_show(args) -> int:
    import json

    from kam_console.services.monthly_reports import report_document, report_versions

    month = _month_arg(args.month)
    db = _open(args)
    try:
        with db.engine.connect() as conn:
            doc = report_document(conn, unit=args.unit, month=month, now=_now(), version=args.version)
            versions = report_versions(conn, unit=args.unit, month=month)
    finally:
        db.dispose()
    if args.format == "json":
        data = {
            "unit": doc.unit_code,
            "name": doc.unit_name,
            "month": doc.month,
            "version": doc.version,
            "status": doc.status,
            "status_label": doc.status_label,
            "frozen": doc.frozen,
            "prepared_by": doc.prepared_by,
            "prepared_at": _iso(doc.prepared_at),
            "reviewed_by": doc.reviewed_by,
            "reviewed_at": _iso(doc.reviewed_at),
            "return_reason": doc.return_reason,
            "deadline": doc.deadline.isoformat() if doc.deadline else None,
            "live_differs": list(doc.live_differs),
            "narratives": {n.key: n.text for n in doc.narratives},
            "versions": [{"version": v.version, "status": v.status} for v in versions],
            "figures": doc.figures,
        }
        print(json.dumps(data, ensure_ascii=False, indent=2))
        return 0
    head = f"第 {doc.version} 版，{doc.status_label}" if doc.version else "尚未编制（以下为当前数据）"
    print(f"{doc.title}：{head}")
    if doc.prepared_by:
        print(f"编制人：{doc.prepared_by}  提交时间：{_bj(doc.prepared_at)}")
    if doc.reviewed_by:
        print(f"审核人：{doc.reviewed_by}  审批时间：{_bj(doc.reviewed_at)}")
    if doc.return_reason:
        print(f"退回原因：{doc.return_reason}")
    if len(versions) > 1:
        print("版本：" + "，".join(f"第 {v.version} 版 {v.status_label}" for v in versions))
    rows = [
        {"key": k["key"], "label": k["label"], "value": k["value"], "mom_pct": k["mom_pct"], "yoy_pct": k["yoy_pct"]}
        for k in doc.figures["key_figures"]
    ]
    sys.stdout.write(render(rows, ["key", "label", "value", "mom_pct", "yoy_pct"], "table"))
    if doc.live_differs:
        print(f"提交后数据已变动（{len(doc.live_differs)} 项）：")
        for line in doc.live_differs[:10]:
            print(f"  {line}")
    return 0


def _read_text(path: str | None) -> str | None:
    if path is None:
        return None
    if path == "-":
        return sys.stdin.read()
    try:
        return Path(path).read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise KamError(f"无法读取 {path}：{exc.strerror or exc}", f"cannot read {path}") from exc
    except UnicodeDecodeError as exc:
        raise KamError(f"{path} 不是 UTF-8 文本", f"{path} is not UTF-8 text") from exc


def _changed(args, change) -> int:
    month = _month_arg(args.month)
    db = _open(args)
    try:
        with db.engine.begin() as conn:
            info = change(conn, month)
    finally:
        db.dispose()
    print(f"{info.unit_name} {args.month} 月报：第 {info.version} 版，{info.status_label}")
    return 0


def cmd_report_draft(args) -> int:
    from kam_console.services.monthly_reports import save_narratives

    texts = {"market": _read_text(args.market), "issues": _read_text(args.issues), "plan": _read_text(args.plan)}
    narratives = {k: v for k, v in texts.items() if v is not None}
    return _changed(
        args,
        lambda conn, month: save_narratives(
            conn, unit=args.unit, month=month, by=args.as_staff, narratives=narratives, now=_now()
        ),
    )


def cmd_report_submit(args) -> int:
    from kam_console.services.monthly_reports import submit_report

    return _changed(
        args, lambda conn, month: submit_report(conn, unit=args.unit, month=month, by=args.as_staff, now=_now())
    )


def cmd_report_approve(args) -> int:
    from kam_console.services.monthly_reports import approve_report

    return _changed(
        args,
        lambda conn, month: approve_report(
            conn, unit=args.unit, month=month, by=args.as_staff, now=_now(), comment=args.comment
        ),
    )


def cmd_report_return(args) -> int:
    from kam_console.services.monthly_reports import return_report

    return _changed(
        args,
        lambda conn, month: return_report(
            conn, unit=args.unit, month=month, by=args.as_staff, reason=args.reason, now=_now()
        ),
    )


def cmd_report_revise(args) -> int:
    from kam_console.services.monthly_reports import revise_report

    return _changed(
        args, lambda conn, month: revise_report(conn, unit=args.unit, month=month, by=args.as_staff, now=_now())
    )


def add_report_commands(sub) -> None:
    rep = sub.add_parser("report", help="月报：打印、报送状态、编制与审批").add_subparsers(
        dest="report_command", required=True
    )

    def unit_month(p, unit_help: str = "单位代码（地市、省或集团 000000）") -> None:
        p.add_argument("--unit", required=True, metavar="CODE", help=unit_help)
        p.add_argument("--month", required=True, metavar="YYYY-MM", help="月报所属月份")

    def acting(p, who: str) -> None:
        p.add_argument("--as", dest="as_staff", required=True, metavar="EMPLOYEE_NO", help=who)

    mo = rep.add_parser("monthly", help="打印月报为 A4 PDF（当前版本；尚未编制时按当前数据生成）")
    unit_month(mo)
    mo.add_argument("--out", required=True, metavar="FILE.pdf", help="输出的 PDF 文件")
    mo.add_argument("--version", type=int, metavar="N", help="打印指定版本（默认最新版本）")
    mo.set_defaults(func=cmd_report_monthly)

    st = rep.add_parser("status", help="报送状态：直属下级单位的月报状态、截止日期与逾期")
    unit_month(st, "上级单位代码（省或集团 000000）")
    st.add_argument("--format", choices=["table", "csv", "json"], default="table")
    st.set_defaults(func=cmd_report_status)

    sh = rep.add_parser("show", help="月报状态、版本与主要指标")
    unit_month(sh)
    sh.add_argument("--version", type=int, metavar="N", help="指定版本（默认最新版本）")
    sh.add_argument("--format", choices=["table", "json"], default="table")
    sh.set_defaults(func=cmd_report_show)

    dr = rep.add_parser("draft", help="编制或修改草稿的文字部分（Markdown 文本文件，- 表示标准输入）")
    unit_month(dr)
    acting(dr, "编制人工号（本单位员工）")
    dr.add_argument("--market", metavar="FILE", help="市场与竞争信息")
    dr.add_argument("--issues", metavar="FILE", help="重点问题")
    dr.add_argument("--plan", metavar="FILE", help="下月工作计划")
    dr.set_defaults(func=cmd_report_draft)

    sb = rep.add_parser("submit", help="提交草稿（指标随之冻结）")
    unit_month(sb)
    acting(sb, "提交人工号（本单位员工）")
    sb.set_defaults(func=cmd_report_submit)

    ap = rep.add_parser("approve", help="审批通过（直属上级单位负责人）")
    unit_month(ap)
    acting(ap, "审核人工号")
    ap.add_argument("--comment", help="审批意见")
    ap.set_defaults(func=cmd_report_approve)

    rt = rep.add_parser("return", help="退回并说明原因（直属上级单位负责人）")
    unit_month(rt)
    acting(rt, "审核人工号")
    rt.add_argument("--reason", required=True, help="退回原因")
    rt.set_defaults(func=cmd_report_return)

    rv = rep.add_parser("revise", help="修订退回的月报：生成新版本草稿")
    unit_month(rv)
    acting(rv, "编制人工号（本单位员工）")
    rv.set_defaults(func=cmd_report_revise)
