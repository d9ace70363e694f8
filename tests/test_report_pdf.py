"""The printed monthly report: an A4 PDF whose text (as pdftotext extracts it) carries the snapshot's figures
exactly as `kam analytics` prints them, page numbers on every page, table headers repeated where a table
runs onto the next page, narratives that wrap across pages, rare characters, and embedded fonts only."""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import json
import os
import re
import shutil
import subprocess
from decimal import Decimal

import pytest
from reportlab.lib.styles import ParagraphStyle
from reportlab.platypus import Paragraph

from kam_console.cli import main as kam
from kam_console.fonts import register_pdf_fallback_font, register_pdf_font
from kam_console.reports.document import Event, Narrative, ReportDocument
from kam_console.reports.figures import compile_figures
from kam_console.reports.narrative import narrative_flowables, rich_text
from kam_console.reports.pdf import MOVERS_LISTED, chinese_number, format_money, format_pct, render_report_pdf

BEIJING = dt.timezone(dt.timedelta(hours=8))
UNITS = ("440100", "440000", "000000")
LEVELS = {"440100": "city", "440000": "province", "000000": "group"}
RARE_ACCOUNT = "𠮷野家（广州）餐饮管理有限公司"
LONG_CLAUSE = "本季度各地市政企市场竞争持续加剧，友商以低价专线和融合套餐抢夺存量客户，我方需加快云网融合产品的推广。"
LONG_TEXT = "".join(f"第{i}条：{LONG_CLAUSE}" for i in range(1, 58))  # about 3,000 characters
MARKET = """## 市场概况

本月**重点行业**收入*稳中有升*，𠮷野家新签互联网专线 & 视频会议 <二期>。
友商在金融行业报价下降。

- 金融行业：新增 3 条专线
- 政务行业：数字政府二期
  1. 视频会议扩容
  2. 云桌面试点
"""


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path:
        return path
    if os.environ.get("CI"):
        pytest.fail(f"{name} (poppler-utils) is required under CI to check printed reports")
    pytest.skip(f"{name} (poppler-utils) is not installed; install poppler-utils to check printed reports")


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    from kam_console.db import open_database
    from kam_console.demo import seed_demo

    db = open_database(f"sqlite:///{tmp_path_factory.mktemp('report-pdf') / 'demo.sqlite3'}")
    seed_demo(db, scale="small", seed=4, today=dt.date(2026, 11, 23))
    yield db
    db.dispose()


def _rollup(children: list[dict]) -> list[dict]:
    """Every third unit below has not had its report approved yet."""
    rows = []
    for n, c in enumerate(children):
        approved = n % 3 != 1
        rows.append(
            {
                "code": c["key"],
                "name": c["name"],
                "status": "approved" if approved else "submitted",
                "status_label": "已审批" if approved else "已提交",
                "version": 1 + n % 2,
                "revenue": c["revenue"] if approved else None,
                "lines": c["lines"] if approved else None,
                "accounts": c["accounts"] if approved else None,
                "arpu": c["arpu"] if approved else None,
                "arpa": c["arpa"] if approved else None,
                "revenue_mom_pct": "-2.3" if approved else None,
                "approved_at": "2026-11-08 16:42" if approved else None,
            }
        )
    return rows


def _document(unit: str, figures: dict) -> ReportDocument:
    figures = json.loads(json.dumps(figures))
    figures["top_accounts"][1]["name"] = RARE_ACCOUNT
    figures["rollup"] = _rollup(figures["by_child"])
    frozen = unit != "000000"
    return ReportDocument(
        unit_code=unit,
        unit_name=figures["unit"]["name"],
        unit_level=LEVELS[unit],
        month="2026-10",
        version=2 if frozen else None,
        status="approved" if frozen else "none",
        status_label="已审批" if frozen else "未编制",
        figures=figures,
        frozen=frozen,
        narratives=(
            Narrative("market", "市场与竞争信息", MARKET),
            Narrative("issues", "重点问题", LONG_TEXT),
            Narrative("plan", "下月工作计划", ""),
        ),
        printed_at=dt.datetime(2026, 11, 23, 10, 5, tzinfo=BEIJING),
        prepared_by="张𠮷明" if frozen else None,
        prepared_at=dt.datetime(2026, 11, 4, 9, 30, tzinfo=BEIJING) if frozen else None,
        reviewed_by="李审核" if frozen else None,
        reviewed_at=dt.datetime(2026, 11, 6, 15, 0, tzinfo=BEIJING) if frozen else None,
        return_reason=None,
        deadline=dt.date(2026, 11, 5),
        live_differs=("收入 8,864,773.56 → 8,870,000.00",) if unit == "440000" else (),
        events=(
            Event(dt.datetime(2026, 11, 3, 9, 0, tzinfo=BEIJING), 1, "submit", "提交", "张三", "广州市大客户部"),
            Event(dt.datetime(2026, 11, 3, 17, 0, tzinfo=BEIJING), 1, "return", "退回", "李四", "广东省", "请补充说明"),
        ),
    )


class Printed:
    def __init__(self, doc: ReportDocument, path, pages: int):
        self.doc = doc
        self.path = path
        self.pages = pages
        out = subprocess.run([_tool("pdftotext"), "-layout", str(path), "-"], capture_output=True, check=True)
        self.page_texts = out.stdout.decode("utf-8").split("\f")[:pages]
        self.text = "\n".join(self.page_texts)
        self.flat = self.text.replace(",", "")

    def pages_with(self, pattern: str) -> list[int]:
        return [i for i, page in enumerate(self.page_texts) if re.search(pattern, page, re.M)]

    def body(self) -> str:
        """The text without the running header and footer lines, whitespace removed."""
        lines = [
            line
            for line in self.text.splitlines()
            if "打印时间" not in line and not line.strip().startswith(self.doc.title)
        ]
        return re.sub(r"\s+", "", "\n".join(lines))


@pytest.fixture(scope="module")
def printed(demo, tmp_path_factory) -> dict[str, Printed]:
    _tool("pdftotext")
    folder = tmp_path_factory.mktemp("printed")
    out = {}
    with demo.engine.connect() as conn:
        for unit in UNITS:
            doc = _document(unit, compile_figures(conn, unit=unit, month=202610))
            path = folder / f"{unit}.pdf"
            out[unit] = Printed(doc, path, render_report_pdf(doc, path))
    return out


def cli(db, capsys, *args):
    assert kam(["--db", db.url.render_as_string(hide_password=False), "analytics", *args, "--format", "json"]) == 0
    return json.loads(capsys.readouterr().out)


@pytest.mark.parametrize("unit", UNITS)
def test_a_multi_page_pdf_numbered_on_every_page(printed, unit):
    p = printed[unit]
    assert p.path.read_bytes().startswith(b"%PDF-")
    assert p.pages > 1 and len(p.page_texts) == p.pages
    info = subprocess.run([_tool("pdfinfo"), str(p.path)], capture_output=True, check=True, text=True).stdout
    assert re.search(rf"^Pages:\s+{p.pages}$", info, re.M)
    assert re.search(r"^Page size:\s+595\.\d+ x 841\.\d+ pts \(A4\)", info, re.M)
    assert p.doc.title in p.page_texts[0]
    for number, page in enumerate(p.page_texts, 1):
        # pdftotext drops the spaces between Chinese and digits, so allow for either.
        assert re.search(rf"第\s*{number}\s*页\s*/\s*共\s*{p.pages}\s*页", page), f"page {number} has no page number"
        assert re.search(r"打印时间\s*2026-11-23 10:05", page)


@pytest.mark.parametrize("unit", UNITS)
def test_fonts_are_embedded(printed, unit):
    out = subprocess.run([_tool("pdffonts"), str(printed[unit].path)], capture_output=True, check=True, text=True)
    rows = [line.split() for line in out.stdout.splitlines()[2:] if line.strip()]
    assert rows
    for row in rows:
        # name type… encoding emb sub uni object-id generation: emb is the fifth field from the end
        assert row[-5] == "yes", f"font {row[0]} is not embedded"
    names = " ".join(r[0] for r in rows)
    assert register_pdf_font().split("-")[0] in names or "WenQuanYi" in names
    assert register_pdf_fallback_font() in names  # the rare characters of 𠮷野家


@pytest.mark.parametrize("unit", UNITS)
def test_key_figures_print_as_the_snapshot(printed, unit):
    p = printed[unit]
    for k in p.doc.figures["key_figures"]:
        row = rf"^\s*{re.escape(k['label'])}\s+{k['value']}\s+{re.escape(format_pct(k['mom_pct']))}\s+"
        assert re.search(row + re.escape(format_pct(k["yoy_pct"])), p.flat, re.M), k
    for point in p.doc.figures["trend"]:
        assert re.search(rf"^\s*{point['month']}\s+{re.escape(format_money(point['revenue']))}\s", p.text, re.M)


@pytest.mark.parametrize("unit", ["440000", "000000"])
def test_units_below_print_as_kam_analytics(printed, demo, capsys, unit):
    p = printed[unit]
    rows = cli(demo, capsys, "arpu", "--month", "2026-10", "--by", "child", "--unit", unit)
    assert len(rows) == len(p.doc.figures["by_child"]) > 1
    for r in rows:
        line = rf"^\s*{re.escape(r['name'])}\s+{re.escape(r['revenue'])}\s+{int(r['lines'])}\s+{int(r['accounts'])}\s"
        assert re.search(line, p.flat, re.M), r["name"]
        assert r["arpu"] in p.flat and r["arpa"] in p.flat


def test_a_city_prints_no_units_below(printed):
    p = printed["440100"]
    assert "下级单位" not in p.text and "下级单位月报汇总" not in p.text
    assert re.search(r"五、\s*重点客户", p.text)


def test_long_tables_repeat_their_header_on_every_page(printed):
    p = printed["000000"]
    names = [c["name"] for c in p.doc.figures["by_child"]]
    child_rows = set()
    for c in p.doc.figures["by_child"]:
        child_rows.update(p.pages_with(rf"^\s*{re.escape(c['name'])}\s+{re.escape(format_money(c['revenue']))}\s"))
    rollup_rows = set(p.pages_with(rf"^\s*({'|'.join(map(re.escape, names))})\s+已(审批|提交)\s"))
    trend_rows = set(p.pages_with(r"^\s*20\d\d-\d\d\s+[\d,]+\.\d\d\s+[\d,]+\s"))
    spanning = [rows for rows in (child_rows, rollup_rows, trend_rows) if len(rows) > 1]
    assert spanning, "no table of the country's report runs onto a second page"
    headers = {
        id(child_rows): r"^\s*单位\s+收入（元）\s+线路\s+客户数\s+ARPU",
        id(rollup_rows): r"^\s*单位\s+状态\s+版本\s+收入（元）",
        id(trend_rows): r"^\s*月份\s+收入（元）\s+线路\s+客户数",
    }
    for rows in spanning:
        for page in rows:
            assert re.search(headers[id(rows)], p.page_texts[page], re.M), f"no header on page {page + 1}"


def test_rollup_flags_reports_not_yet_approved(printed):
    p = printed["440000"]
    rollup = p.doc.figures["rollup"]
    approved = sum(1 for r in rollup if r["status"] == "approved")
    assert re.search(rf"{len(rollup)}\s*个单位中\s*{approved}\s*个已审批", p.text)
    waiting = [r for r in rollup if r["status"] != "approved"]
    for r in waiting:
        assert re.search(rf"^\s*{re.escape(r['name'])}\s+已提交\s+第{r['version']}版(\s+—){{6}}\s+未审批", p.text, re.M)
    shown = next(r for r in rollup if r["status"] == "approved")
    assert re.search(rf"^\s*{re.escape(shown['name'])}\s+已审批\s+第\d版\s+{shown['revenue']}\s", p.flat, re.M)


@pytest.mark.parametrize("unit", UNITS)
def test_narratives_rare_characters_and_sign_off(printed, unit):
    p = printed[unit]
    body = p.body()
    assert LONG_TEXT in body  # the long narrative, whole and in order
    first = p.pages_with(r"第1条：")[0]
    last = p.pages_with(r"第57条：")[-1]
    assert last > first, "the long narrative should run over more than one page"
    for heading in ("市场与竞争信息", "重点问题", "下月工作计划"):
        assert re.search(rf"[一二三四五六七八九十]+、\s*{heading}", p.text)
    assert "（未填写）" in p.text  # the empty plan
    assert "市场概况" in p.text and "重点行业" in p.text and "稳中有升" in p.text
    assert "&" in p.text and "<二期>" in p.text
    assert "𠮷野家新签" in body and RARE_ACCOUNT in body
    assert "数字政府二期" in p.text and re.search(r"1\.\s*视频会议扩容", p.text)
    if p.doc.frozen:
        assert re.search(r"编制人\s+张𠮷明\s+日期\s+2026-11-04", p.text)
        assert re.search(r"审核人\s+李审核\s+日期\s+2026-11-06", p.text)
        assert re.search(r"第\s*2\s*版", p.page_texts[0])
    else:
        assert "未编制（按当前数据生成）" in p.page_texts[0]
        assert "不是已提交的月报快照" in p.page_texts[0]
        assert re.search(r"编制人\s+日期\s*\n", p.text)
    assert "流转记录" in p.text and "请补充说明" in p.text


def test_cover_notes_figures_moved_since_submission(printed):
    first = printed["440000"].page_texts[0]
    assert "提交后数据已变动" in first and "8,870,000.00" in first
    assert "不是已提交的月报快照" not in first


def test_every_top_account_and_mover_is_printed(printed):
    p = printed["000000"]
    body = p.body()
    for a in p.doc.figures["top_accounts"]:
        assert re.sub(r"\s+", "", a["name"]) in body and a["customer_no"] in p.text
        assert format_money(a["revenue"]) in p.text
    moved = p.doc.figures["accounts_moved"]
    for a in moved["new"][:MOVERS_LISTED] + moved["churned"][:MOVERS_LISTED]:
        assert a["customer_no"] in p.text and format_money(a["revenue"]) in p.text


def test_long_mover_lists_print_the_largest_with_the_count_and_total(printed, tmp_path):
    base = printed["440100"].doc
    new = [
        {"customer_no": f"KN{i:04d}", "name": f"新增客户{i}", "revenue": f"{1000 - i}.50"}
        for i in range(MOVERS_LISTED + 15)
    ]
    figures = dict(base.figures) | {"accounts_moved": {"new": new, "churned": []}}
    doc = dataclasses.replace(base, figures=figures)
    path = tmp_path / "movers.pdf"
    render_report_pdf(doc, path)
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout
    flat = re.sub(r"\s+", "", text)
    total = sum(Decimal(a["revenue"]) for a in new)
    assert f"新增客户（{len(new)}户）" in flat and f"合计本月收入{format_money(total)}元" in flat
    assert f"以下列出收入最高的{MOVERS_LISTED}户" in flat
    assert "KN0000" in text and f"KN{MOVERS_LISTED - 1:04d}" in text and f"KN{MOVERS_LISTED:04d}" not in text


def test_render_to_a_file_object(printed):
    doc = printed["440100"].doc
    buffer = io.BytesIO()
    assert render_report_pdf(doc, buffer) == printed["440100"].pages
    assert buffer.getvalue().startswith(b"%PDF-")


def test_money_and_percentages_are_formatted_without_float():
    assert format_money("1234567.89") == "1,234,567.89"
    assert format_money("90071992547409.93") == "90,071,992,547,409.93"
    assert format_money(Decimal("0.1")) == "0.10"
    assert format_money(None) == "—"
    assert format_pct("-4.8") == "-4.8%" and format_pct("9.4") == "+9.4%" and format_pct("0.0") == "0.0%"
    assert format_pct(None) == "—" and format_pct("50.0", signed=False) == "50.0%"
    assert [chinese_number(n) for n in (1, 9, 10, 11, 15, 20, 23)] == [
        "一",
        "九",
        "十",
        "十一",
        "十五",
        "二十",
        "二十三",
    ]


def test_markdown_becomes_paragraphs_lists_and_headings():
    body = ParagraphStyle("body", fontName=register_pdf_font(), fontSize=10, leading=16)
    flowables = narrative_flowables(MARKET, body)
    paragraphs = [f for f in flowables if isinstance(f, Paragraph)]
    texts = [p.getPlainText() for p in paragraphs]
    assert texts[0] == "市场概况" and "<b>" in paragraphs[0].text
    assert "<b>重点行业</b>" in paragraphs[1].text and "<i>稳中有升</i>" in paragraphs[1].text
    assert "<br/>" in paragraphs[1].text  # a typed line break stays a line break
    assert "&amp;" in paragraphs[1].text and "&lt;二期&gt;" in paragraphs[1].text
    assert f'<font name="{register_pdf_fallback_font()}">𠮷</font>' in paragraphs[1].text
    bullets = [(p.bulletText, p.getPlainText()) for p in paragraphs if p.bulletText]
    assert bullets == [
        ("•", "金融行业：新增 3 条专线"),
        ("•", "政务行业：数字政府二期"),
        ("1.", "视频会议扩容"),
        ("2.", "云桌面试点"),
    ]
    nested = next(p for p in paragraphs if p.bulletText == "1.")
    assert nested.style.leftIndent > next(p for p in paragraphs if p.bulletText == "•").style.leftIndent
    assert [p.getPlainText() for p in narrative_flowables("  \n", body)] == ["（未填写）"]
    table = narrative_flowables("| a | b |\n|---|---|\n| 1 | 2 |", body)  # not supported: printed as typed
    assert "| a | b |" in table[0].getPlainText()
    assert rich_text("A&B <c>") == "A&amp;B &lt;c&gt;"
