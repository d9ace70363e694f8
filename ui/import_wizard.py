"""The import wizard (文件 → 导入员工… / 导入客户… / 导入月收入…): choose a file, preview it and map its
columns, then import it with a progress bar. Emits ``imported(kind)`` after a successful import so the
main window can refresh.

The pages live in ``ui.import_file_page``, ``ui.import_preview_page`` and ``ui.import_run_page``; what
they share (the user's choices, labels, the worker functions) in ``ui.import_common``.
"""

from __future__ import annotations

from collections.abc import Mapping

from PySide6.QtCore import QSettings, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QWidget, QWizard

from kam_console.db import Database
from kam_console.importing import ImportPreview, ImportResult
from ui import settings as S
from ui.import_common import KIND_REVENUE, KINDS, ImportSpec
from ui.import_file_page import FilePage
from ui.import_preview_page import PreviewPage
from ui.import_run_page import STATE_DONE, STATE_RUNNING, RunPage
from ui.tasks import BackgroundTasks

PAGE_FILE, PAGE_PREVIEW, PAGE_RUN = range(3)
DEFAULT_SIZE = (960, 700)


class ImportWizard(QWizard):
    #: the kind ("staff", "accounts" or "revenue") of a file that was imported successfully
    imported = Signal(str)

    def __init__(
        self,
        db: Database,
        tasks: BackgroundTasks,
        *,
        kind: str = KIND_REVENUE,
        units: Mapping[str, str] | None = None,
        demo: bool = False,
        settings: QSettings | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        if kind not in KINDS:
            raise ValueError(f"unknown import kind {kind!r}")
        self.spec = ImportSpec(kind=kind)
        self.result: ImportResult | None = None
        self.setWindowTitle(self.tr("导入数据"))
        # One look on every platform (the Vista-era Aero style squeezes the pages on Windows).
        self.setWizardStyle(QWizard.WizardStyle.ModernStyle)
        self.setOption(QWizard.WizardOption.NoBackButtonOnStartPage)
        self.setOption(QWizard.WizardOption.NoCancelButtonOnLastPage)
        # Qt's own button texts are English unless its translations are installed.
        for which, text in (
            (QWizard.WizardButton.BackButton, self.tr("< 上一步(&B)")),
            (QWizard.WizardButton.NextButton, self.tr("下一步(&N) >")),
            (QWizard.WizardButton.CommitButton, self.tr("开始导入(&I)")),
            (QWizard.WizardButton.FinishButton, self.tr("完成")),
            (QWizard.WizardButton.CancelButton, self.tr("取消")),
        ):
            self.setButtonText(which, text)

        self.file_page = FilePage(
            self.spec, units=units or {}, demo=demo, settings=settings or S.app_settings(), parent=self
        )
        self.preview_page = PreviewPage(self.spec, tasks, self)
        self.run_page = RunPage(self.spec, db, tasks, self)
        self.setPage(PAGE_FILE, self.file_page)
        self.setPage(PAGE_PREVIEW, self.preview_page)
        self.setPage(PAGE_RUN, self.run_page)
        self.preview_page.preview_loaded.connect(self._on_preview_loaded)
        self.run_page.running_changed.connect(self._lock_back)
        self.run_page.succeeded.connect(self._on_succeeded)
        self._default_size()

    def _default_size(self) -> None:
        width, height = DEFAULT_SIZE
        screen = QGuiApplication.primaryScreen()
        if screen is not None:
            available = screen.availableGeometry()
            width, height = min(width, int(available.width() * 0.9)), min(height, int(available.height() * 0.9))
        self.resize(width, height)

    def _on_preview_loaded(self, preview: ImportPreview) -> None:
        if preview.format == "xlsx":
            self.file_page.note_sheet(preview.sheet)

    def _lock_back(self, _running: bool = False) -> None:
        # No way back while the import runs or once it has succeeded; after a failure the user may go back
        # and change the mapping or the file. QWizard disables Back on the page after a commit page.
        self.preview_page.setCommitPage(self.run_page.state in (STATE_RUNNING, STATE_DONE))
        self.run_page.completeChanged.emit()  # makes QWizard re-evaluate its buttons

    def _on_succeeded(self, result: ImportResult) -> None:
        self.result = result
        self._lock_back()
        self.imported.emit(result.kind)

    def reject(self) -> None:
        # Esc, the close button and Cancel all land here; a running import cannot be interrupted (the
        # importers have no cancel check) and the window must outlive it to show the outcome.
        if self.run_page.running:
            return
        super().reject()
