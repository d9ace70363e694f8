"""Import wizard, page 2 「预览与列对应」: the file's encoding, row count and first rows, and one combo box
per expected column whose choices are the file's headers. The file is read off the GUI thread (through
the read helper); a missing or doubly used column is highlighted and keeps 「开始导入」 disabled."""

from __future__ import annotations

import logging
import math
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QLabel,
    QProgressBar,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
    QWizard,
    QWizardPage,
)
from shiboken6 import isValid

from kam_console.errors import KamError
from kam_console.importing import ImportPreview, ImportRejected
from ui.import_common import NO_PROGRESS_DIALOG_MS, ImportSpec, encoding_label, field_label, field_name, read_preview
from ui.import_preview_table import PreviewTable
from ui.tasks import BackgroundTasks

log = logging.getLogger(__name__)

STATE_LOADING, STATE_FAILED, STATE_READY = range(3)
PROBLEM_STYLE = (
    'QComboBox[problem="true"] { border: 1px solid #dc2626; background: #fef2f2; padding: 2px 6px; }'
    'QLabel[problem="true"] { color: #b91c1c; font-weight: bold; }'
)


def _set_problem(widget: QWidget, problem: bool) -> None:
    if widget.property("problem") != problem:
        widget.setProperty("problem", problem)
        widget.style().unpolish(widget)
        widget.style().polish(widget)


class PreviewPage(QWizardPage):
    #: the preview that filled the page (the wizard notes the sheet actually used)
    preview_loaded = Signal(object)

    def __init__(self, spec: ImportSpec, tasks: BackgroundTasks, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.spec = spec
        self.tasks = tasks
        self.preview: ImportPreview | None = None
        self.combos: dict[str, QComboBox] = {}
        self.labels: dict[str, QLabel] = {}
        self.state = STATE_LOADING
        self._generation = 0  # results of an older read (the user went back meanwhile) are dropped
        self.setTitle(self.tr("预览与列对应"))
        self.setSubTitle(self.tr("核对文件内容，并确认每一项数据对应文件中的哪一列。"))
        self.setButtonText(QWizard.WizardButton.NextButton, self.tr("开始导入(&I)"))
        self.setStyleSheet(PROBLEM_STYLE)

        self.stack = QStackedWidget(self)
        self.stack.addWidget(self._build_loading())
        self.stack.addWidget(self._build_failed())
        self.stack.addWidget(self._build_content())
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.stack)

    # --- construction ------------------------------------------------------------------------

    def _build_loading(self) -> QWidget:
        page = QWidget(self)
        self.loading_label = QLabel(self.tr("正在读取文件…"), page)
        bar = QProgressBar(page)
        bar.setRange(0, 0)
        layout = QVBoxLayout(page)
        layout.addStretch(1)
        layout.addWidget(self.loading_label, 0, Qt.AlignmentFlag.AlignHCenter)
        layout.addWidget(bar)
        layout.addStretch(2)
        return page

    def _build_failed(self) -> QWidget:
        page = QWidget(self)
        self.failed_label = QLabel(page)
        self.failed_label.setObjectName("previewError")
        self.failed_label.setWordWrap(True)
        self.failed_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.failed_label.setStyleSheet("color: #b91c1c;")
        layout = QVBoxLayout(page)
        layout.addWidget(self.failed_label)
        layout.addWidget(QLabel(self.tr("请点击“上一步”选择其他文件或工作表。"), page))
        layout.addStretch(1)
        return page

    def _build_content(self) -> QWidget:
        page = QWidget(self)
        self.file_value = QLabel(page)
        self.file_value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.encoding_value = QLabel(page)
        self.encoding_value.setObjectName("previewEncoding")
        self.rows_value = QLabel(page)
        self.rows_value.setObjectName("previewRows")
        info = QFormLayout()
        info.addRow(self.tr("文件："), self.file_value)
        info.addRow(self.tr("编码 / 格式："), self.encoding_value)
        info.addRow(self.tr("数据行数："), self.rows_value)

        self.mapping_box = QGroupBox(self.tr("列对应（左边是要导入的数据，右边选择文件中的列）"), page)
        self.mapping_grid = QGridLayout(self.mapping_box)
        self.mapping_grid.setHorizontalSpacing(10)
        self.mapping_message = QLabel(page)
        self.mapping_message.setObjectName("mappingMessage")
        self.mapping_message.setWordWrap(True)

        self.table_box = QGroupBox(self.tr("文件内容"), page)
        self.table = PreviewTable(self.table_box)
        self.table.setObjectName("previewTable")
        QVBoxLayout(self.table_box).addWidget(self.table)

        layout = QVBoxLayout(page)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(info)
        layout.addWidget(self.mapping_box)
        layout.addWidget(self.mapping_message)
        layout.addWidget(self.table_box, 1)
        return page

    # --- life cycle --------------------------------------------------------------------------

    def initializePage(self) -> None:
        self.load()

    def cleanupPage(self) -> None:
        self._generation += 1
        self.preview = None
        self.state = STATE_LOADING

    def load(self) -> None:
        """Read the file chosen on page 1 in the background."""
        self._generation += 1
        generation = self._generation
        self.preview = None
        self.state = STATE_LOADING
        self.loading_label.setText(self.tr("正在读取文件 {0}…").format(Path(self.spec.path).name))
        self.stack.setCurrentIndex(STATE_LOADING)
        self.completeChanged.emit()
        kind, path, sheet = self.spec.kind, self.spec.path, self.spec.sheet
        self.tasks.read(
            lambda _progress: read_preview(kind, path, sheet),
            on_done=lambda preview: self._on_loaded(generation, preview),
            on_error=lambda exc: self._on_failed(generation, exc),
            parent=self,
            progress_delay_ms=NO_PROGRESS_DIALOG_MS,
        )

    def _current(self, generation: int) -> bool:
        return isValid(self) and generation == self._generation

    def _on_failed(self, generation: int, exc: BaseException) -> None:
        if not self._current(generation):
            return
        if isinstance(exc, ImportRejected):
            text = self.tr("无法读取这个文件：") + "\n" + "\n".join(str(issue) for issue in exc.issues)
        elif isinstance(exc, KamError):
            text = exc.zh
        else:
            log.error("读取导入文件出错", exc_info=(type(exc), exc, exc.__traceback__))
            text = self.tr("读取文件时发生意外错误：{0}").format(str(exc) or type(exc).__name__)
        self.failed_label.setText(text)
        self.state = STATE_FAILED
        self.stack.setCurrentIndex(STATE_FAILED)
        self.completeChanged.emit()

    def _on_loaded(self, generation: int, preview: ImportPreview) -> None:
        if not self._current(generation):
            return
        self.preview = preview
        self.file_value.setText(Path(preview.path).name)
        self.file_value.setToolTip(preview.path)
        self.encoding_value.setText(encoding_label(preview))
        shown = len(preview.rows)
        rows_text = self.tr("{0:,} 行").format(preview.total_rows)
        if preview.total_rows > shown:
            rows_text += self.tr("（下表显示前 {0} 行）").format(shown)
        self.rows_value.setText(rows_text)
        self._build_mapping(preview)
        self._fill_table(preview)
        self.state = STATE_READY
        self.stack.setCurrentIndex(STATE_READY)
        self._on_mapping_changed()
        self.preview_loaded.emit(preview)

    def _build_mapping(self, preview: ImportPreview) -> None:
        for widget in [*self.combos.values(), *self.labels.values()]:
            self.mapping_grid.removeWidget(widget)
            widget.deleteLater()
        self.combos.clear()
        self.labels.clear()
        per_column = max(1, math.ceil(len(preview.expected) / 2))
        for i, column in enumerate(preview.expected):
            label = QLabel(field_label(column, preview.kind), self.mapping_box)
            label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            combo = QComboBox(self.mapping_box)
            combo.setObjectName(f"mapping_{column}")
            combo.addItem(self.tr("（请选择文件中的列）"), None)
            for n, header in enumerate(preview.headers, 1):
                combo.addItem(header or self.tr("（第 {0} 列，无表头）").format(n), header)
            suggested = preview.mapping.get(column)
            combo.setCurrentIndex(0 if suggested is None else max(0, combo.findData(suggested)))
            combo.setMinimumContentsLength(12)
            combo.currentIndexChanged.connect(self._on_mapping_changed)
            label.setBuddy(combo)
            row, block = i % per_column, i // per_column
            self.mapping_grid.addWidget(label, row, block * 2)
            self.mapping_grid.addWidget(combo, row, block * 2 + 1)
            self.combos[column] = combo
            self.labels[column] = label
        for block in range(2):
            self.mapping_grid.setColumnStretch(block * 2 + 1, 1)

    def _fill_table(self, preview: ImportPreview) -> None:
        self.table.show_rows(preview)
        if preview.total_rows > len(preview.rows):
            title = self.tr("文件内容（前 {0} 行）").format(len(preview.rows))
        else:
            title = self.tr("文件内容（全部 {0} 行）").format(len(preview.rows))
        self.table_box.setTitle(title)

    # --- mapping -----------------------------------------------------------------------------

    def columns(self) -> dict[str, str]:
        """Expected column → the file header chosen for it (unchosen ones left out)."""
        return {c: combo.currentData() for c, combo in self.combos.items() if combo.currentData() is not None}

    def problems(self) -> tuple[list[str], dict[str, list[str]]]:
        """(expected columns without a file column, file header → expected columns sharing it)."""
        chosen = self.columns()
        missing = [c for c in self.combos if c not in chosen]
        users: dict[str, list[str]] = {}
        for column, header in chosen.items():
            users.setdefault(header, []).append(column)
        return missing, {h: cs for h, cs in users.items() if len(cs) > 1}

    def _on_mapping_changed(self) -> None:
        if self.preview is None:
            return
        missing, shared = self.problems()
        doubled = {c for cs in shared.values() for c in cs}
        for column, combo in self.combos.items():
            bad = column in missing or column in doubled
            _set_problem(combo, bad)
            _set_problem(self.labels[column], bad)
            if column in missing:
                combo.setToolTip(self.tr("文件中没有找到这一列，请选择"))
            elif column in doubled:
                combo.setToolTip(self.tr("这一列同时被选给了其他数据"))
            else:
                combo.setToolTip("")
        self.table.show_targets(self.columns())
        messages = []
        if missing:
            names = "、".join(field_name(c, self.preview.kind) for c in missing)
            messages.append(self.tr("以下数据在文件中没有找到对应的列，请在下拉框中选择：{0}").format(names))
        for header, cs in shared.items():
            names = "、".join(f"「{field_name(c, self.preview.kind)}」" for c in cs)
            messages.append(self.tr("{0}选了同一列“{1}”，请分别选择。").format(names, header))
        if not self.preview.total_rows:
            messages.append(self.tr("文件只有表头，没有数据行。"))
        if messages and self.preview.format == "xlsx":
            messages.append(self.tr("数据若在其他工作表，请点击“上一步”填写工作表名称。"))
        if messages:
            self.mapping_message.setText("\n".join(messages))
            self.mapping_message.setStyleSheet("color: #b91c1c;")
        else:
            unused = [h for h in self.preview.headers if h not in set(self.columns().values())]
            text = self.tr("所有数据都已对应到文件中的列。")
            if unused:
                text += self.tr("文件中其余的列（{0}）不会导入。").format("、".join(h or "—" for h in unused))
            self.mapping_message.setText(text)
            self.mapping_message.setStyleSheet("color: #15803d;")
        self.completeChanged.emit()

    # --- wizard hooks ------------------------------------------------------------------------

    def isComplete(self) -> bool:
        if self.state != STATE_READY or self.preview is None or not self.preview.total_rows:
            return False
        missing, shared = self.problems()
        return not missing and not shared

    def validatePage(self) -> bool:
        self.spec.columns = self.columns()
        return self.isComplete()
