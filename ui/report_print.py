"""Printing a monthly report: the A4 PDF the core renders (``kam_console.reports.pdf``), put on paper.

The PDF is the one printed form of a report — the same file is saved, opened in the system viewer and
sent to a printer — so printing draws the PDF's pages rather than laying the report out a second time
with Qt. Each page is rasterised with PDFium (``pypdfium2``) at the printer's resolution (capped at
``MAX_PRINT_DPI``: finer adds nothing visible but memory) and drawn onto the printer's full page, keeping
the aspect ratio; the PDF carries its own margins.

Rendering a PDF and rasterising its pages are pure functions of bytes and run in background tasks;
painting onto a ``QPrinter`` / ``QPagedPaintDevice`` happens on the GUI thread (the print preview asks for
it there).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import os
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path

import pypdfium2 as pdfium
from PySide6.QtCore import QMarginsF, QObject, QRectF, QSizeF, Qt, QUrl, Signal
from PySide6.QtGui import (
    QAction,
    QDesktopServices,
    QImage,
    QKeySequence,
    QPagedPaintDevice,
    QPageLayout,
    QPageSize,
    QPainter,
)
from PySide6.QtPrintSupport import QPrintDialog, QPrinter, QPrintPreviewDialog
from PySide6.QtWidgets import QDialog, QMenu, QMessageBox, QToolButton, QWidget
from shiboken6 import isValid

from kam_console.errors import KamError
from kam_console.reports.document import ReportDocument
from kam_console.reports.pdf import render_report_pdf
from kam_console.services.sla import BEIJING
from ui.chart_export import ask_save_path, safe_file_name
from ui.settings import EXPORT_DIR, app_settings
from ui.tasks import BackgroundTasks, show_error

PREVIEW_DPI = 150
MAX_PRINT_DPI = 300
# PDFium keeps global state: one document at a time, whichever thread asks.
_PDFIUM_LOCK = threading.Lock()


class PrintFailed(KamError):
    """The report could not be rendered, saved or printed."""


def report_file_name(doc: ReportDocument) -> str:
    """``广州市大客户部_2026-10_月报_v2.pdf`` (``…_月报_未编制.pdf`` before a report is started)."""
    version = f"v{doc.version}" if doc.version else "未编制"
    return safe_file_name(f"{doc.unit_name}_{doc.month}_月报_{version}") + ".pdf"


def render_pdf_bytes(doc: ReportDocument, *, printed_at: dt.datetime | None = None) -> bytes:
    """The report as PDF bytes (printed now, or at ``printed_at``)."""
    if printed_at is not None:
        doc = dataclasses.replace(doc, printed_at=printed_at)
    buffer = io.BytesIO()
    render_report_pdf(doc, buffer)
    return buffer.getvalue()


def page_count(pdf: bytes) -> int:
    with _PDFIUM_LOCK:
        document = pdfium.PdfDocument(pdf)
        try:
            return len(document)
        finally:
            document.close()


def page_images(pdf: bytes, *, dpi: float = PREVIEW_DPI) -> list[QImage]:
    """Each page of ``pdf`` as an opaque white-backed image at ``dpi`` (safe off the GUI thread)."""
    images = []
    scale = dpi / 72  # PDF units are points
    with _PDFIUM_LOCK:
        try:
            document = pdfium.PdfDocument(pdf)
        except pdfium.PdfiumError as exc:
            raise PrintFailed(f"无法读取月报 PDF：{exc}", f"cannot read the PDF: {exc}") from exc
        try:
            for index in range(len(document)):
                page = document[index]
                try:
                    bitmap = page.render(scale=scale, prefer_bgrx=True, fill_color=(255, 255, 255, 255))
                    try:
                        # BGRx bytes are QImage's RGB32 on a little-endian machine (0xffRRGGBB per pixel)
                        image = QImage(
                            bytes(bitmap.buffer), bitmap.width, bitmap.height, bitmap.stride, QImage.Format.Format_RGB32
                        ).copy()  # own the pixels: the buffer goes with the bitmap
                    finally:
                        bitmap.close()
                finally:
                    page.close()
                image.setDotsPerMeterX(round(dpi / 0.0254))
                image.setDotsPerMeterY(round(dpi / 0.0254))
                images.append(image)
        finally:
            document.close()
    return images


def print_dpi(device: QPagedPaintDevice) -> int:
    """The resolution to rasterise at for ``device``."""
    return max(72, min(device.logicalDpiX(), MAX_PRINT_DPI))


def setup_a4(printer: QPrinter) -> QPrinter:
    """A4 portrait with the whole sheet to draw on (the PDF pages bring their own margins)."""
    printer.setFullPage(True)
    printer.setPageLayout(
        QPageLayout(
            QPageSize(QPageSize.PageSizeId.A4),
            QPageLayout.Orientation.Portrait,
            QMarginsF(0, 0, 0, 0),
            QPageLayout.Unit.Millimeter,
        )
    )
    return printer


def paint_pages(images: list[QImage], device: QPagedPaintDevice) -> int:
    """Draw ``images`` onto ``device``, one per page, each scaled to fill the page with its aspect ratio kept
    and centred. Returns the number of pages drawn."""
    if not images:
        return 0
    painter = QPainter()
    if not painter.begin(device):
        raise PrintFailed("无法开始打印：打印机不可用或输出文件无法写入", "the printer could not be started")
    try:
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, True)
        for number, image in enumerate(images):
            if number:
                device.newPage()
            target = painter.viewport()
            page = QRectF(0, 0, target.width(), target.height())
            size = QSizeF(image.width(), image.height())
            size.scale(page.size(), Qt.AspectRatioMode.KeepAspectRatio)
            placed = QRectF(
                page.x() + (page.width() - size.width()) / 2,
                page.y() + (page.height() - size.height()) / 2,
                size.width(),
                size.height(),
            )
            painter.drawImage(placed, image)
    finally:
        painter.end()
    return len(images)


def paint_pdf(pdf: bytes, device: QPagedPaintDevice, *, dpi: float | None = None) -> int:
    """Rasterise ``pdf`` for ``device`` and draw its pages (both on the calling thread)."""
    return paint_pages(page_images(pdf, dpi=dpi or print_dpi(device)), device)


def write_pdf(pdf: bytes, target: str | os.PathLike) -> Path:
    """Write ``pdf`` to ``target`` through a temporary file in the same folder, so a failure leaves neither a
    partial report nor the temporary file."""
    path = Path(target)
    if path.is_dir():
        raise PrintFailed(f"无法保存到“{path}”：这是一个文件夹。", f"{path} is a folder")
    if not path.parent.is_dir():
        raise PrintFailed(f"无法保存到“{path}”：文件夹不存在。", f"folder {path.parent} does not exist")
    try:
        fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem[:40]}-", suffix=".part")
    except OSError as exc:
        raise _failed(path, exc) from exc
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(pdf)
        os.chmod(temp, 0o644)  # mkstemp makes the file private; a saved report is an ordinary file
        os.replace(temp, path)
    except OSError as exc:
        try:
            os.unlink(temp)
        except OSError:
            pass
        raise _failed(path, exc) from exc
    return path


def write_temp_pdf(pdf: bytes, name: str) -> Path:
    """Write ``pdf`` as ``name`` in a fresh temporary folder (for opening in the system's PDF viewer)."""
    folder = Path(tempfile.mkdtemp(prefix="kam-report-"))
    return write_pdf(pdf, folder / name)


def _failed(path: Path, exc: OSError) -> PrintFailed:
    if isinstance(exc, PermissionError):
        reason = "没有写入权限，或文件正被其他程序（如 PDF 阅读器）打开。"
    else:
        reason = f"{exc.strerror or exc}。"
    return PrintFailed(f"无法保存到“{path}”：{reason}", f"cannot write {path}: {exc}")


# --- the print actions of a report screen ----------------------------------------------------------------


class ReportPrinting(QObject):
    """打印预览… / 打印… / 另存为 PDF… / 用系统查看器打开 for the report a screen shows.

    ``document()`` returns the shown ``ReportDocument`` (None while nothing is shown); ``clock()`` the time
    printed in the footer. The PDF is rendered (and rasterised) in a background task each time, so the
    printout always carries the moment it was printed.
    """

    #: a PDF was saved (its path)
    saved = Signal(str)
    #: a PDF was handed to the system viewer (its path)
    opened = Signal(str)
    #: the print preview dialog is open (tests and screenshots use it)
    preview_shown = Signal(object)
    #: pages were sent to a printer (their number)
    printed = Signal(int)

    def __init__(
        self,
        tasks: BackgroundTasks,
        widget: QWidget,
        document: Callable[[], ReportDocument | None],
        clock: Callable[[], dt.datetime],
    ) -> None:
        super().__init__(widget)
        self.tasks = tasks
        self.widget = widget
        self.document = document
        self.clock = clock
        self.preview_dialog: QPrintPreviewDialog | None = None
        self.printer: QPrinter | None = None  # kept for the preview dialog's lifetime

        self.action_preview = QAction(self.tr("打印预览(&V)…"), widget)
        self.action_preview.triggered.connect(lambda: self.preview())
        self.action_print = QAction(self.tr("打印(&P)…"), widget)
        self.action_print.setShortcut(QKeySequence(QKeySequence.StandardKey.Print))
        self.action_print.triggered.connect(lambda: self.print_report())
        self.action_save = QAction(self.tr("另存为 PDF(&S)…"), widget)
        self.action_save.setShortcut(QKeySequence(self.tr("Ctrl+Shift+S")))
        self.action_save.triggered.connect(lambda: self.save_as())
        self.action_open = QAction(self.tr("用系统查看器打开(&O)"), widget)
        self.action_open.triggered.connect(lambda: self.open_external())
        self.actions = [self.action_preview, self.action_print, self.action_save, self.action_open]
        for action in self.actions:
            action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            widget.addAction(action)
        self.menu = QMenu(widget)
        for action in self.actions:
            self.menu.addAction(action)
        self.button = QToolButton(widget)
        self.button.setObjectName("printButton")
        self.button.setText(self.tr("打印 / PDF"))
        self.button.setToolTip(self.tr("打印预览、打印、另存为 PDF"))
        self.button.setMenu(self.menu)
        self.button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)

    def set_enabled(self, enabled: bool) -> None:
        self.button.setEnabled(enabled)
        for action in self.actions:
            action.setEnabled(enabled)

    def _render(self, then: Callable[[bytes, list[QImage] | None], None], *, dpi: float | None, label: str) -> bool:
        doc = self.document()
        if doc is None:
            return False
        printed_at = self.clock().astimezone(BEIJING)

        def work(_progress):
            pdf = render_pdf_bytes(doc, printed_at=printed_at)
            return pdf, (page_images(pdf, dpi=dpi) if dpi else None)

        self.tasks.read(
            work,
            on_done=lambda result: then(*result) if isValid(self.widget) else None,
            label=label,
            error_title=self.tr("无法生成月报 PDF"),
            parent=self.widget,
        )
        return True

    # --- preview and printer --------------------------------------------------------------------

    def preview(self) -> bool:
        """Open the print preview (A4 portrait) of the shown report."""
        return self._render(self._show_preview, dpi=PREVIEW_DPI, label=self.tr("正在生成打印预览…"))

    def make_printer(self) -> QPrinter:
        return setup_a4(QPrinter(QPrinter.PrinterMode.HighResolution))

    def _show_preview(self, _pdf: bytes, images: list[QImage] | None) -> None:
        if self.preview_dialog is not None and isValid(self.preview_dialog):
            self.preview_dialog.close()
        self.printer = self.make_printer()
        dialog = QPrintPreviewDialog(self.printer, self.widget)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, True)
        doc = self.document()
        dialog.setWindowTitle(self.tr("打印预览 · {0}").format(doc.title if doc else ""))
        pages = list(images or [])
        dialog.paintRequested.connect(lambda printer: paint_pages(pages, printer))
        dialog.resize(900, 760)
        self.preview_dialog = dialog
        dialog.open()
        self.preview_shown.emit(dialog)

    def ask_printer(self) -> QPrinter | None:
        """The print dialog; None if cancelled."""
        printer = self.make_printer()
        dialog = QPrintDialog(printer, self.widget)
        dialog.setWindowTitle(self.tr("打印月报"))
        try:
            if dialog.exec() != QDialog.DialogCode.Accepted:
                return None
        finally:
            dialog.deleteLater()
        return printer

    def print_report(self, printer: QPrinter | None = None) -> bool:
        """Print the shown report (asks for the printer unless one is given)."""
        if self.document() is None:
            return False
        printer = printer or self.ask_printer()
        if printer is None:
            return False
        self.printer = printer
        return self._render(
            lambda _pdf, images: self._paint(printer, images or []),
            dpi=print_dpi(printer),
            label=self.tr("正在准备打印…"),
        )

    def _paint(self, printer: QPrinter, images: list[QImage]) -> None:
        try:
            count = paint_pages(images, printer)
        except KamError as exc:
            show_error(self.widget, exc, self.tr("打印失败"))
            return
        self.printed.emit(count)

    # --- files ----------------------------------------------------------------------------------

    def save_as(self, path: str | os.PathLike | None = None) -> bool:
        """Save the shown report as a PDF (asks where unless ``path`` is given); written in the background."""
        doc = self.document()
        if doc is None:
            return False
        if path is None:
            chosen = ask_save_path(
                self.widget, self.tr("另存为 PDF"), report_file_name(doc), self.tr("PDF 文件 (*.pdf)")
            )
            if not chosen:
                return False
            path = chosen
        target = Path(path)
        if target.suffix.lower() != ".pdf":  # some platform dialogs do not add the filter's suffix
            target = target.with_name(target.name + ".pdf")
        printed_at = self.clock().astimezone(BEIJING)

        def work(_progress):
            return write_pdf(render_pdf_bytes(doc, printed_at=printed_at), target)

        def done(written: Path) -> None:
            EXPORT_DIR.set(app_settings(), str(written.parent))
            self.saved.emit(str(written))

        self.tasks.read(
            work, on_done=done, label=self.tr("正在保存 PDF…"), error_title=self.tr("保存失败"), parent=self.widget
        )
        return True

    def open_external(self) -> bool:
        """Open the shown report in the system's PDF viewer (through a temporary file)."""
        doc = self.document()
        if doc is None:
            return False
        printed_at = self.clock().astimezone(BEIJING)
        name = report_file_name(doc)

        def work(_progress):
            return write_temp_pdf(render_pdf_bytes(doc, printed_at=printed_at), name)

        def done(path: Path) -> None:
            if QDesktopServices.openUrl(QUrl.fromLocalFile(str(path))):
                self.opened.emit(str(path))
                return
            if isValid(self.widget):
                QMessageBox.warning(
                    self.widget,
                    self.tr("无法打开"),
                    self.tr("本机没有可以打开 PDF 的程序。月报已生成在：\n{0}").format(path),
                )

        self.tasks.read(
            work, on_done=done, label=self.tr("正在生成月报 PDF…"), error_title=self.tr("无法打开"), parent=self.widget
        )
        return True
