"""The editor of one narrative section of a monthly report (市场与竞争信息 / 重点问题 / 下月工作计划).

A rich-text box with a small toolbar — 加粗 (Ctrl+B), 倾斜 (Ctrl+I), 项目符号列表, 编号列表, 标题 — whose
text is kept as Markdown (``QTextDocument.toMarkdown()`` / ``setMarkdown()``): the database stores it and
the printed report renders it, so what a manager formats here is what the head reads on paper. Pasting
takes the plain text only (text copied from a web page or a spreadsheet would otherwise bring fonts and
colours the printout cannot show). A counter shows the length against the limit the core enforces.
"""

from __future__ import annotations

from PySide6.QtCore import QMimeData, Qt, QTimer, Signal
from PySide6.QtGui import (
    QAction,
    QFont,
    QKeySequence,
    QTextBlockFormat,
    QTextCharFormat,
    QTextCursor,
    QTextFormat,
    QTextListFormat,
)
from PySide6.QtWidgets import QHBoxLayout, QLabel, QTextEdit, QToolButton, QVBoxLayout, QWidget

from kam_console.services.monthly_reports import MAX_NARRATIVE
from ui.style import muted_colour

HEADING_LEVEL = 3  # the printout makes level-3 headings bold sub-headings
OVER_LIMIT_COLOUR = "#c62828"


class MarkdownTextEdit(QTextEdit):
    """A QTextEdit that pastes plain text only."""

    def canInsertFromMimeData(self, source: QMimeData) -> bool:
        return source.hasText()

    def insertFromMimeData(self, source: QMimeData) -> None:
        if source.hasText():
            self.textCursor().insertText(source.text().replace("\r\n", "\n"))


class NarrativeEditor(QWidget):
    """One narrative section: a title, a formatting toolbar, the text and its length."""

    #: the text was edited by the user (not by ``set_markdown``)
    edited = Signal()

    def __init__(self, key: str, title: str, parent: QWidget | None = None, *, limit: int = MAX_NARRATIVE) -> None:
        super().__init__(parent)
        self.key = key
        self.title = title
        self.limit = limit
        self._loading = False
        self.setObjectName(f"narrative_{key}")

        self.heading = QLabel(title, self)
        font = QFont(self.heading.font())
        font.setBold(True)
        self.heading.setFont(font)
        self.edit = MarkdownTextEdit(self)
        self.edit.setObjectName(f"narrativeText_{key}")
        self.edit.setAcceptRichText(False)  # drops are plain too; formatting comes from the toolbar
        self.edit.setTabChangesFocus(True)
        self.edit.setPlaceholderText(self.tr("在此填写{0}…").format(title))
        self.count = QLabel(self)
        self.count.setObjectName(f"narrativeCount_{key}")

        self.toolbar = QWidget(self)
        bar = QHBoxLayout(self.toolbar)
        bar.setContentsMargins(0, 0, 0, 0)
        bar.setSpacing(2)
        self.actions_by_name: dict[str, QAction] = {}
        for name, text, tip, shortcut, slot in (
            ("bold", self.tr("加粗"), self.tr("加粗（Ctrl+B）"), QKeySequence.StandardKey.Bold, self.toggle_bold),
            ("italic", self.tr("倾斜"), self.tr("倾斜（Ctrl+I）"), QKeySequence.StandardKey.Italic, self.toggle_italic),
            ("bullets", self.tr("• 列表"), self.tr("项目符号列表"), None, self.toggle_bullets),
            ("numbers", self.tr("1. 列表"), self.tr("编号列表"), None, self.toggle_numbers),
            ("heading", self.tr("标题"), self.tr("把当前段落设为小标题"), None, self.toggle_heading),
        ):
            action = QAction(text, self)
            action.setToolTip(tip)
            action.setCheckable(name in ("bold", "italic", "heading"))
            if shortcut is not None:
                action.setShortcut(QKeySequence(shortcut))
                action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            action.triggered.connect(slot)
            self.addAction(action)
            button = QToolButton(self.toolbar)
            button.setObjectName(f"narrativeTool_{name}")
            button.setDefaultAction(action)
            button.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # Tab goes from text to text; the keys format
            bar.addWidget(button)
            self.actions_by_name[name] = action
        bold_font = QFont(self.font())
        bold_font.setBold(True)
        self.actions_by_name["bold"].setFont(bold_font)
        italic_font = QFont(self.font())
        italic_font.setItalic(True)
        self.actions_by_name["italic"].setFont(italic_font)

        top = QHBoxLayout()
        top.setContentsMargins(0, 0, 0, 0)
        top.addWidget(self.heading)
        top.addSpacing(12)
        top.addWidget(self.toolbar)
        top.addStretch(1)
        top.addWidget(self.count)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(3)
        layout.addLayout(top)
        layout.addWidget(self.edit, 1)

        # Counting converts the whole text to Markdown; do it once typing pauses.
        self._count_timer = QTimer(self)
        self._count_timer.setSingleShot(True)
        self._count_timer.setInterval(250)
        self._count_timer.timeout.connect(self.update_count)
        self.edit.document().contentsChanged.connect(self._changed)
        self.edit.cursorPositionChanged.connect(self._sync_buttons)
        self.edit.currentCharFormatChanged.connect(lambda _f: self._sync_buttons())
        self.update_count()

    # --- content -------------------------------------------------------------------------------

    def markdown(self) -> str:
        """The text as Markdown, without the trailing blank lines Qt adds."""
        if self.edit.document().isEmpty():
            return ""
        return self.edit.document().toMarkdown().strip()

    def set_markdown(self, text: str) -> None:
        """Show ``text`` (Markdown) as unmodified content."""
        self._loading = True
        try:
            self.edit.setMarkdown(text or "")
            self.edit.document().setModified(False)
            self.edit.moveCursor(QTextCursor.MoveOperation.Start)
        finally:
            self._loading = False
        self.update_count()

    def is_modified(self) -> bool:
        return self.edit.document().isModified()

    def set_modified(self, modified: bool) -> None:
        self.edit.document().setModified(modified)

    def set_read_only(self, read_only: bool) -> None:
        self.edit.setReadOnly(read_only)
        self.toolbar.setVisible(not read_only)
        for action in self.actions_by_name.values():
            action.setEnabled(not read_only)
        self.edit.setPlaceholderText(self.tr("（未填写）") if read_only else self.tr("在此填写{0}…").format(self.title))

    def length(self) -> int:
        return len(self.markdown())

    def update_count(self) -> None:
        self._count_timer.stop()
        length = self.length()
        self.count.setText(self.tr("{0} / {1} 字").format(f"{length:,}", f"{self.limit:,}"))
        over = length > self.limit
        colour = OVER_LIMIT_COLOUR if over else muted_colour(self.palette()).name()
        self.count.setStyleSheet(f"color: {colour};")
        self.count.setToolTip(
            self.tr("超出 {0} 字，保存前请删减").format(f"{length - self.limit:,}")
            if over
            else self.tr("字数（含格式符号）")
        )

    def over_limit(self) -> bool:
        return self.length() > self.limit

    def _changed(self) -> None:
        self._count_timer.start()
        if not self._loading:
            self.edited.emit()

    # --- formatting ----------------------------------------------------------------------------

    def toggle_bold(self, _checked: bool = False) -> None:
        bold = self.edit.fontWeight() < QFont.Weight.Bold
        fmt = QTextCharFormat()
        fmt.setFontWeight(QFont.Weight.Bold if bold else QFont.Weight.Normal)
        self._merge(fmt)

    def toggle_italic(self, _checked: bool = False) -> None:
        fmt = QTextCharFormat()
        fmt.setFontItalic(not self.edit.fontItalic())
        self._merge(fmt)

    def _merge(self, fmt: QTextCharFormat) -> None:
        if self.edit.isReadOnly():
            return
        # With a selection it is formatted; without one, what is typed next is (Chinese has no spaces, so
        # "the word under the cursor" would be a whole sentence).
        self.edit.mergeCurrentCharFormat(fmt)
        self._sync_buttons()

    def toggle_bullets(self, _checked: bool = False) -> None:
        self._toggle_list(QTextListFormat.Style.ListDisc)

    def toggle_numbers(self, _checked: bool = False) -> None:
        self._toggle_list(QTextListFormat.Style.ListDecimal)

    def _toggle_list(self, style: QTextListFormat.Style) -> None:
        if self.edit.isReadOnly():
            return
        cursor = self.edit.textCursor()
        current = cursor.currentList()
        cursor.beginEditBlock()
        if current is not None and current.format().style() == style:
            # the same kind again: back to plain paragraphs
            document = self.edit.document()
            start = document.findBlock(cursor.selectionStart())
            end = document.findBlock(cursor.selectionEnd())
            block = start
            while block.isValid():
                listed = block.textList()
                if listed is not None:
                    listed.remove(block)
                    plain = QTextCursor(block)
                    fmt = plain.blockFormat()
                    fmt.setIndent(0)
                    plain.setBlockFormat(fmt)
                if block == end:
                    break
                block = block.next()
        elif current is not None:
            fmt = current.format()
            fmt.setStyle(style)
            current.setFormat(fmt)
        else:
            fmt = QTextListFormat()
            fmt.setStyle(style)
            cursor.createList(fmt)
        cursor.endEditBlock()
        self._sync_buttons()

    def toggle_heading(self, _checked: bool = False) -> None:
        if self.edit.isReadOnly():
            return
        cursor = self.edit.textCursor()
        heading = cursor.blockFormat().headingLevel() == 0
        cursor.beginEditBlock()
        block_format = QTextBlockFormat(cursor.blockFormat())
        block_format.setHeadingLevel(HEADING_LEVEL if heading else 0)
        cursor.setBlockFormat(block_format)
        char_format = QTextCharFormat()
        char_format.setFontWeight(QFont.Weight.Bold if heading else QFont.Weight.Normal)
        char_format.setProperty(QTextFormat.Property.FontSizeAdjustment, 1 if heading else 0)
        whole = QTextCursor(cursor.block())
        whole.movePosition(QTextCursor.MoveOperation.EndOfBlock, QTextCursor.MoveMode.KeepAnchor)
        whole.mergeCharFormat(char_format)
        cursor.mergeBlockCharFormat(char_format)
        self.edit.mergeCurrentCharFormat(char_format)
        cursor.endEditBlock()
        self._sync_buttons()

    def _sync_buttons(self) -> None:
        actions = self.actions_by_name
        for name, on in (
            ("bold", self.edit.fontWeight() >= QFont.Weight.Bold),
            ("italic", self.edit.fontItalic()),
            ("heading", self.edit.textCursor().blockFormat().headingLevel() > 0),
        ):
            actions[name].blockSignals(True)
            actions[name].setChecked(on)
            actions[name].blockSignals(False)
