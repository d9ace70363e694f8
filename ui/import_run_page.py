"""Import wizard, page 3 「导入」: runs the import through the write helper with an in-page progress bar,
then shows the result — the summary, or every problem of a rejected file (sortable, exportable to CSV),
or the error's Chinese message."""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
    QWizard,
    QWizardPage,
)
from shiboken6 import isValid

from kam_console.db import Database
from kam_console.errors import KamError
from kam_console.importing import ImportRejected, ImportResult
from ui.import_common import NO_PROGRESS_DIALOG_MS, ImportSpec, LatestProgress, kind_label, run_import
from ui.import_issues import COL_LINE, COL_REASON, COL_VALUE, IssueTableModel, write_issues_csv
from ui.tasks import BackgroundTasks

log = logging.getLogger(__name__)

STATE_IDLE, STATE_RUNNING, STATE_DONE, STATE_REJECTED, STATE_FAILED = range(5)
POLL_MS = 100


class RunPage(QWizardPage):
    #: the import succeeded (the wizard passes it on as ``imported``)
    succeeded = Signal(object)
    #: the page started or stopped running (the wizard locks Back and closing meanwhile)
    running_changed = Signal(bool)

    def __init__(self, spec: ImportSpec, db: Database, tasks: BackgroundTasks, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.spec = spec
        self.db = db
        self.tasks = tasks
        self.state = STATE_IDLE
        self.result: ImportResult | None = None
        self._progress: LatestProgress | None = None
        self.setTitle(self.tr("导入"))
        self.setSubTitle(self.tr("导入在后台进行；文件有任何问题时数据库不会作任何改动。"))
        self.setButtonText(QWizard.WizardButton.FinishButton, self.tr("完成"))

        self.status = QLabel(self)
        self.status.setObjectName("importStatus")
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.bar = QProgressBar(self)
        self.bar.setObjectName("importProgress")
        self.step = QLabel(self)
        self.step.setStyleSheet("color: #5b6472;")
        self._timer = QTimer(self)
        self._timer.setInterval(POLL_MS)
        self._timer.timeout.connect(self._poll)

        layout = QVBoxLayout(self)
        layout.addWidget(self.status)
        layout.addWidget(self.bar)
        layout.addWidget(self.step)
        layout.addWidget(self._build_issues(), 1)
        layout.addStretch(0)

    def _build_issues(self) -> QWidget:
        self.issues_panel = QWidget(self)
        self.issues_model = IssueTableModel(self)
        self.issues_view = QTableView(self.issues_panel)
        self.issues_view.setObjectName("importIssues")
        self.issues_view.setModel(self.issues_model)
        self.issues_view.setSortingEnabled(True)
        self.issues_view.sortByColumn(COL_LINE, Qt.SortOrder.AscendingOrder)
        self.issues_view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.issues_view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.issues_view.setAlternatingRowColors(True)
        self.issues_view.setWordWrap(False)
        self.issues_view.verticalHeader().setVisible(False)
        header = self.issues_view.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(COL_REASON, QHeaderView.ResizeMode.Stretch)
        self.export_button = QPushButton(self.tr("导出问题清单(&E)…"), self.issues_panel)
        self.export_button.setObjectName("exportIssues")
        self.export_button.clicked.connect(self.export_issues)
        self.export_note = QLabel(self.issues_panel)
        self.export_note.setObjectName("exportNote")
        self.export_note.setStyleSheet("color: #5b6472;")
        buttons = QHBoxLayout()
        buttons.addWidget(self.export_note, 1)
        buttons.addWidget(self.export_button)
        layout = QVBoxLayout(self.issues_panel)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.issues_view, 1)
        layout.addLayout(buttons)
        self.issues_panel.setVisible(False)
        return self.issues_panel

    # --- running -----------------------------------------------------------------------------

    def initializePage(self) -> None:
        self.start()

    def start(self) -> None:
        spec = self.spec
        self.result = None
        self._set_state(STATE_RUNNING)
        self.status.setStyleSheet("")
        self.status.setText(
            self.tr("正在导入{0}：{1}（完成前不能关闭本窗口）").format(kind_label(spec.kind), Path(spec.path).name)
        )
        self.bar.setRange(0, 0)  # reading the file: no count yet
        self.bar.setVisible(True)
        self.step.setText(self.tr("正在读取文件…"))
        self.issues_panel.setVisible(False)
        self.issues_model.set_issues([])
        self.export_note.clear()
        progress = self._progress = LatestProgress()
        db = self.db
        kw = dict(kind=spec.kind, path=spec.path, sheet=spec.sheet, columns=dict(spec.columns), scope=spec.scope)
        self.tasks.write(
            lambda _p: run_import(db, progress=progress, **kw),
            on_done=self._on_done,
            on_error=self._on_error,
            label=self.tr("正在导入…"),
            parent=self,
            busy_cursor=False,  # the page shows its own progress bar
            progress_delay_ms=NO_PROGRESS_DIALOG_MS,
        )
        self._timer.start()

    def _poll(self) -> None:
        report = self._progress.latest() if self._progress else None
        if report is None:
            return
        done, total, text = report
        if total > 0:
            self.bar.setRange(0, total)
            self.bar.setValue(max(0, min(done, total)))
        if text:
            count = self.tr("（{0:,} / {1:,}）").format(done, total) if total > 10 else ""
            self.step.setText(text + count)

    def _set_state(self, state: int) -> None:
        was_running = self.state == STATE_RUNNING
        self.state = state
        running = state == STATE_RUNNING
        if not running:
            self._timer.stop()
        finish = self.tr("完成") if state in (STATE_DONE, STATE_RUNNING) else self.tr("关闭")
        self.setButtonText(QWizard.WizardButton.FinishButton, finish)
        if running != was_running:
            self.running_changed.emit(running)
        self.completeChanged.emit()

    def _on_done(self, result: ImportResult) -> None:
        if not isValid(self):
            return
        self.result = result
        self.bar.setRange(0, 1)
        self.bar.setValue(1)
        self.step.setText(self.tr("数据已写入数据库。点击“完成”关闭向导。"))
        self.status.setText(result.summary())
        self.status.setStyleSheet("color: #15803d; font-weight: bold;")
        self._set_state(STATE_DONE)
        self.succeeded.emit(result)

    def _on_error(self, exc: BaseException) -> None:
        if not isValid(self):
            return
        self.bar.setVisible(False)
        self.step.clear()
        self.status.setStyleSheet("color: #b91c1c; font-weight: bold;")
        if isinstance(exc, ImportRejected):
            self.status.setText(
                self.tr("导入被拒绝，数据库未作任何改动。")
                + self.tr("文件中共有 {0:,} 处问题，请在文件中改正后重新导入：").format(len(exc.issues))
            )
            self.issues_model.set_issues(exc.issues, self.spec.columns)
            self.issues_view.sortByColumn(COL_LINE, Qt.SortOrder.AscendingOrder)
            self._size_issue_columns(exc.issues)
            self.issues_panel.setVisible(True)
            self._set_state(STATE_REJECTED)
            return
        if isinstance(exc, KamError):
            self.status.setText(exc.zh)
        else:
            log.error("导入出错", exc_info=(type(exc), exc, exc.__traceback__))
            self.status.setText(self.tr("发生意外错误，数据库未作任何改动：{0}").format(str(exc) or type(exc).__name__))
        self._set_state(STATE_FAILED)

    # --- problems ----------------------------------------------------------------------------

    def _size_issue_columns(self, issues) -> None:
        # resizeColumnsToContents() only samples rows; the widest line number is known, so fit that.
        view = self.issues_view
        view.resizeColumnsToContents()
        metrics = view.fontMetrics()
        widest_line = max((i.line for i in issues), default=0)
        line_width = metrics.horizontalAdvance(f"{widest_line}  {self.tr('整个文件')}") + 24
        view.setColumnWidth(COL_LINE, max(view.columnWidth(COL_LINE), line_width))
        view.setColumnWidth(COL_VALUE, min(max(view.columnWidth(COL_VALUE), 80), 220))

    def export_issues(self) -> str | None:
        """Save the problems as CSV (UTF-8 with BOM); returns the path written, or None."""
        source = Path(self.spec.path)
        suggested = str(source.with_name(self.tr("{0}_问题清单.csv").format(source.stem)))
        path, _filter = QFileDialog.getSaveFileName(
            self, self.tr("导出问题清单"), suggested, self.tr("CSV 文件 (*.csv)")
        )
        if not path:
            return None
        if not path.lower().endswith(".csv"):
            path += ".csv"
        try:
            write_issues_csv(path, self.issues_model.issues(), self.spec.columns)
        except OSError as exc:
            QMessageBox.critical(
                self, self.tr("导出失败"), self.tr("无法保存问题清单：{0}\n{1}").format(path, exc.strerror or exc)
            )
            return None
        self.export_note.setText(self.tr("已保存到 {0}").format(path))
        return path

    # --- wizard hooks ------------------------------------------------------------------------

    @property
    def running(self) -> bool:
        return self.state == STATE_RUNNING

    def isComplete(self) -> bool:
        return self.state in (STATE_DONE, STATE_REJECTED, STATE_FAILED)

    def cleanupPage(self) -> None:
        # Only reachable after a failure (Back is locked while running and after success).
        self.state = STATE_IDLE
