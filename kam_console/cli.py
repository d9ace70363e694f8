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
