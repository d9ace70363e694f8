"""The narrative sections of a printed monthly report: Markdown from the app's editor as PDF flowables.

A city or province writes its market and competition information, key issues and next month's plan in
Markdown (paragraphs, **bold**, *italic*, bullet and numbered lists, headings). The printout keeps that
structure: paragraphs wrap and break across pages, lists are indented with their bullets or numbers,
headings become bold sub-headings, and a line break typed in the editor stays a line break (Chinese text
has no spaces to join lines with). Anything else (quotes, code, tables, links, raw HTML) prints as its
plain text, so nothing a person wrote is lost.

Text is escaped for reportlab's paragraph markup, and rare characters the main PDF font lacks (𠮷 in
𠮷野家) are drawn in the fallback font (``kam_console.fonts.pdf_text_runs``), so names print as written.
The main CJK font has a single weight and no italic: bold relies on the report's synthetic bold
(``kam_console.reports.pdf``), italic prints as emphasis colour.
"""

from __future__ import annotations

from xml.sax.saxutils import escape

from markdown_it import MarkdownIt
from markdown_it.tree import SyntaxTreeNode
from reportlab.lib import colors
from reportlab.lib.styles import ParagraphStyle
from reportlab.platypus import CondPageBreak, Flowable, Paragraph, Spacer
from reportlab.platypus.flowables import HRFlowable

from kam_console.fonts import pdf_text_runs, register_pdf_font

EMPTY_TEXT = "（未填写）"
EMPHASIS_COLOR = "#1F4E79"
QUOTE_COLOR = colors.HexColor("#555555")
INDENT = 16  # points per list level

_markdown = MarkdownIt("commonmark", {"html": False}).enable("strikethrough")


def rich_text(text: str) -> str:
    """``text`` as reportlab paragraph markup: ``& < >`` escaped, rare characters in the fallback font."""
    main = register_pdf_font()
    parts = []
    for run, font in pdf_text_runs(text):
        if font == main:
            parts.append(escape(run))
        else:
            parts.append(f'<font name="{font}">{escape(run)}</font>')
    return "".join(parts)


def rich_lines(text: str) -> str:
    """Like ``rich_text``, keeping the text's line breaks."""
    return "<br/>".join(rich_text(line) for line in text.splitlines())


def _inline(node: SyntaxTreeNode) -> str:
    """Paragraph markup for the inline children of ``node``."""
    out = []
    for child in node.children:
        kind = child.type
        if kind == "text":
            out.append(rich_text(child.content))
        elif kind in ("softbreak", "hardbreak"):
            out.append("<br/>")
        elif kind == "strong":
            out.append(f"<b>{_inline(child)}</b>")
        elif kind == "em":
            out.append(f'<font color="{EMPHASIS_COLOR}"><i>{_inline(child)}</i></font>')
        elif kind == "s":
            out.append(f"<strike>{_inline(child)}</strike>")
        elif kind == "code_inline":
            out.append(rich_text(child.content))
        elif kind in ("link", "image"):
            out.append(_inline(child))
        elif child.children:
            out.append(_inline(child))
        else:
            out.append(rich_text(child.content or ""))
    return "".join(out)


class _Builder:
    """Walks the Markdown syntax tree and collects flowables."""

    def __init__(self, body: ParagraphStyle):
        self.body = body
        self.flowables: list[Flowable] = []
        self._styles: dict[tuple, ParagraphStyle] = {}

    def style(self, indent: float = 0, *, bullet: bool = False, size: float | None = None, quote: bool = False):
        key = (indent, bullet, size, quote)
        if key not in self._styles:
            font_size = size or self.body.fontSize
            self._styles[key] = ParagraphStyle(
                f"narrative-{len(self._styles)}",
                parent=self.body,
                fontSize=font_size,
                leading=font_size * self.body.leading / self.body.fontSize,
                leftIndent=indent,
                bulletIndent=max(indent - INDENT, 0),
                bulletFontName=self.body.fontName,
                bulletFontSize=self.body.fontSize,
                textColor=QUOTE_COLOR if quote else self.body.textColor,
                spaceBefore=2 if bullet else self.body.spaceBefore,
                spaceAfter=2 if bullet else self.body.spaceAfter,
            )
        return self._styles[key]

    def paragraph(self, markup: str, style: ParagraphStyle, bullet: str | None = None) -> None:
        if markup.strip() or bullet:
            self.flowables.append(Paragraph(markup, style, bulletText=bullet))

    def blocks(self, nodes, indent: float = 0, quote: bool = False) -> None:
        for node in nodes:
            self.block(node, indent, quote)

    def block(self, node: SyntaxTreeNode, indent: float, quote: bool) -> None:
        kind = node.type
        if kind == "paragraph":
            self.paragraph(_inline(node.children[0]), self.style(indent, quote=quote))
        elif kind == "heading":
            level = int(node.tag[1:]) if node.tag[1:].isdigit() else 3
            size = self.body.fontSize + max(3 - level, 0) + 1
            style = ParagraphStyle(
                f"narrative-h{level}", parent=self.style(indent, size=size, quote=quote), spaceBefore=6, spaceAfter=3
            )
            # Room for the heading and a few lines under it; "keep with next" would move a heading and a
            # paragraph longer than a page to the next page whole.
            self.flowables.append(CondPageBreak(style.leading + 4 * self.body.leading))
            self.paragraph(f"<b>{_inline(node.children[0])}</b>", style)
        elif kind in ("bullet_list", "ordered_list"):
            self.list(node, indent, quote)
        elif kind == "blockquote":
            self.blocks(node.children, indent + INDENT, quote=True)
        elif kind in ("code_block", "fence", "html_block"):
            self.paragraph(rich_lines(node.content.rstrip("\n")), self.style(indent, quote=quote))
        elif kind == "hr":
            self.flowables.append(
                HRFlowable(width="100%", thickness=0.5, color=colors.grey, spaceBefore=4, spaceAfter=4)
            )
        elif node.children:
            self.blocks(node.children, indent, quote)
        elif node.content:
            self.paragraph(rich_lines(node.content), self.style(indent, quote=quote))

    def list(self, node: SyntaxTreeNode, indent: float, quote: bool) -> None:
        ordered = node.type == "ordered_list"
        inner = indent + INDENT
        for number, item in enumerate(node.children, int(node.attrs.get("start", 1)) if ordered else 1):
            bullet = f"{item.info or number}." if ordered else "•"
            first, rest = (item.children[0], item.children[1:]) if item.children else (None, [])
            if first is not None and first.type == "paragraph":
                self.paragraph(_inline(first.children[0]), self.style(inner, bullet=True, quote=quote), bullet)
            else:
                self.paragraph("", self.style(inner, bullet=True, quote=quote), bullet)
                rest = item.children
            self.blocks(rest, inner, quote)


def narrative_flowables(text: str | None, body: ParagraphStyle, *, empty: str = EMPTY_TEXT) -> list[Flowable]:
    """The Markdown ``text`` of a narrative section as flowables in the ``body`` style (headings bold and a
    little larger, lists indented); ``empty`` as a paragraph when nothing was written."""
    if not text or not text.strip():
        return [Paragraph(escape(empty), ParagraphStyle("narrative-empty", parent=body, textColor=colors.grey))]
    builder = _Builder(body)
    builder.blocks(SyntaxTreeNode(_markdown.parse(text)).children)
    if not builder.flowables:
        return [Paragraph(rich_lines(text), body)]
    builder.flowables.append(Spacer(1, 2))
    return builder.flowables
