"""Import wizard, page 1 「选择文件」: what to import, which file (and XLSX sheet), and for revenue the
optional scope unit (「本文件是该单位辖区的完整数据」)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from PySide6.QtCore import QSettings, QStringListModel, Qt
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QCompleter,
    QFileDialog,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
    QWizardPage,
)

from ui import settings as S
from ui.import_common import KIND_REVENUE, KINDS, ImportSpec, clean_path, is_xlsx, kind_hint, kind_label

# The folder the last import file came from (people import the same kind of extract every month).
LAST_IMPORT_DIR: S.Setting[str] = S.Setting("import/last_dir", "", str)

ERROR_STYLE = "color: #b91c1c;"
HINT_STYLE = "color: #5b6472;"


def _hint(text: str, parent: QWidget) -> QLabel:
    label = QLabel(text, parent)
    label.setWordWrap(True)
    label.setStyleSheet(HINT_STYLE)
    return label


class FilePage(QWizardPage):
    def __init__(
        self,
        spec: ImportSpec,
        *,
        units: Mapping[str, str],
        demo: bool,
        settings: QSettings,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.spec = spec
        self.units = dict(units)  # code -> name; empty when the tree is not loaded (the importer checks)
        self.settings = settings
        self.setTitle(self.tr("选择文件"))
        self.setSubTitle(self.tr("选择导入的内容和文件。下一步先预览文件，核对无误后才会写入数据库。"))

        layout = QVBoxLayout(self)
        layout.addWidget(self._build_kind_box())
        layout.addWidget(self._build_file_box())
        layout.addWidget(self._build_scope_box())
        self.demo_note = _hint(
            self.tr("当前数据库中是演示数据。导入真实数据后，演示数据生成器将不再覆盖这个数据库。"), self
        )
        self.demo_note.setObjectName("importDemoNote")
        self.demo_note.setStyleSheet("color: #b45309;")
        self.demo_note.setVisible(demo)
        layout.addWidget(self.demo_note)
        layout.addStretch(1)

        self.set_kind(spec.kind)
        self._on_path_changed()
        self._on_scope_changed()

    # --- construction ------------------------------------------------------------------------

    def _build_kind_box(self) -> QGroupBox:
        box = QGroupBox(self.tr("导入内容"), self)
        row = QHBoxLayout()
        self.kind_group = QButtonGroup(self)
        self.kind_buttons: dict[str, QRadioButton] = {}
        for kind in KINDS:
            button = QRadioButton(kind_label(kind), box)
            button.setObjectName(f"importKind_{kind}")
            self.kind_group.addButton(button)
            self.kind_buttons[kind] = button
            button.toggled.connect(self._on_kind_toggled)
            row.addWidget(button)
        row.addStretch(1)
        self.kind_hint = _hint("", box)
        layout = QVBoxLayout(box)
        layout.addLayout(row)
        layout.addWidget(self.kind_hint)
        return box

    def _build_file_box(self) -> QGroupBox:
        box = QGroupBox(self.tr("文件"), self)
        self.path_edit = QLineEdit(box)
        self.path_edit.setObjectName("importPath")
        self.path_edit.setPlaceholderText(self.tr("点击“浏览…”选择文件，或粘贴文件路径"))
        self.path_edit.setClearButtonEnabled(True)
        self.path_edit.textChanged.connect(self._on_path_changed)
        self.browse_button = QPushButton(self.tr("浏览(&B)…"), box)
        self.browse_button.clicked.connect(self.browse)
        self.sheet_label = QLabel(self.tr("工作表："), box)
        self.sheet_combo = QComboBox(box)
        self.sheet_combo.setObjectName("importSheet")
        self.sheet_combo.setEditable(True)
        self.sheet_combo.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.sheet_combo.lineEdit().setPlaceholderText(self.tr("第一个工作表"))
        self.sheet_combo.setMinimumWidth(200)
        self.sheet_hint = _hint(self.tr("留空则导入第一个工作表；其他工作表请输入其名称。"), box)
        self.file_error = QLabel(box)
        self.file_error.setObjectName("importFileError")
        self.file_error.setStyleSheet(ERROR_STYLE)
        self.file_error.setWordWrap(True)

        grid = QGridLayout(box)
        grid.addWidget(QLabel(self.tr("文件："), box), 0, 0)
        grid.addWidget(self.path_edit, 0, 1, 1, 2)
        grid.addWidget(self.browse_button, 0, 3)
        grid.addWidget(self.sheet_label, 1, 0)
        grid.addWidget(self.sheet_combo, 1, 1)
        grid.addWidget(self.sheet_hint, 1, 2, 1, 2)
        grid.addWidget(self.file_error, 2, 1, 1, 3)
        grid.addWidget(
            _hint(self.tr("支持 CSV（UTF-8 或 GBK 编码）和 Excel 工作簿（.xlsx）。第一行须为表头。"), box), 3, 1, 1, 3
        )
        grid.setColumnStretch(2, 1)
        return box

    def _build_scope_box(self) -> QGroupBox:
        box = self.scope_box = QGroupBox(self.tr("替换范围"), self)
        self.scope_default_hint = _hint(
            self.tr("默认只替换文件中出现的服务地市在文件所含月份的原有收入，其他地市不受影响。"), box
        )
        self.scope_check = QCheckBox(self.tr("本文件是该单位辖区的完整数据"), box)
        self.scope_check.setObjectName("importScopeCheck")
        self.scope_check.toggled.connect(self._on_scope_changed)
        # Deliberately not prefilled with the selected unit: a scope replaces every city below it.
        self.scope_edit = QLineEdit(box)
        self.scope_edit.setObjectName("importScopeCode")
        self.scope_edit.setPlaceholderText(self.tr("单位代码或名称，如 440000"))
        self.scope_edit.setMinimumWidth(240)
        self.scope_edit.textChanged.connect(self._on_scope_changed)
        if self.units:
            entries = [f"{code} {name}" for code, name in sorted(self.units.items())]
            completer = QCompleter(QStringListModel(entries, self), self)
            completer.setFilterMode(Qt.MatchFlag.MatchContains)
            completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
            self.scope_edit.setCompleter(completer)
        self.scope_name = QLabel(box)
        self.scope_name.setObjectName("importScopeName")
        self.scope_hint = _hint(
            self.tr(
                "勾选后，该单位辖区内所有地市在文件所含月份的原有收入都会被替换：文件里没有的客户，"
                "这几个月的收入将被删除。"
            ),
            box,
        )
        row = QHBoxLayout()
        row.addWidget(self.scope_check)
        row.addWidget(self.scope_edit)
        row.addWidget(self.scope_name, 1)
        layout = QVBoxLayout(box)
        layout.addWidget(self.scope_default_hint)
        layout.addLayout(row)
        layout.addWidget(self.scope_hint)
        return box

    # --- state -------------------------------------------------------------------------------

    def kind(self) -> str:
        return next((k for k, b in self.kind_buttons.items() if b.isChecked()), KIND_REVENUE)

    def set_kind(self, kind: str) -> None:
        self.kind_buttons[kind].setChecked(True)

    def path(self) -> str:
        return clean_path(self.path_edit.text())

    def sheet(self) -> str | None:
        if not is_xlsx(self.path()):
            return None
        return self.sheet_combo.currentText().strip() or None

    def note_sheet(self, name: str) -> None:
        """Show the sheet a preview actually used (the first one when the field was left empty)."""
        if name and self.sheet_combo.findText(name) < 0:
            self.sheet_combo.addItem(name)
        self.sheet_combo.setCurrentText(name)

    def scope_code(self) -> str:
        """The code typed, or picked from the completer as "440100 广州市大客户部"."""
        text = self.scope_edit.text().strip()
        return text.split()[0] if text else ""

    def scope(self) -> str | None:
        if self.kind() != KIND_REVENUE or not self.scope_check.isChecked():
            return None
        return self.scope_code() or None

    def _file_problem(self) -> str:
        path = self.path()
        if not path:
            return ""
        if not Path(path).is_file():
            return self.tr("找不到这个文件，请检查路径。")
        return ""

    def _scope_problem(self) -> str:
        if self.scope_check.isChecked() and self.kind() == KIND_REVENUE:
            code = self.scope_code()
            if not code:
                return self.tr("请填写单位代码")
            if self.units and code not in self.units:
                return self.tr("没有这个单位代码")
        return ""

    def isComplete(self) -> bool:
        return bool(self.path()) and not self._file_problem() and not self._scope_problem()

    def validatePage(self) -> bool:
        self.spec.kind = self.kind()
        self.spec.path = self.path()
        self.spec.sheet = self.sheet()
        self.spec.scope = self.scope()
        LAST_IMPORT_DIR.set(self.settings, str(Path(self.spec.path).parent))
        return True

    # --- reactions ---------------------------------------------------------------------------

    def browse(self) -> None:
        start = self.path() or LAST_IMPORT_DIR.get(self.settings)
        path, _filter = QFileDialog.getOpenFileName(
            self,
            self.tr("选择{0}文件").format(kind_label(self.kind())),
            start,
            self.tr("表格文件 (*.csv *.xlsx);;CSV 文件 (*.csv);;Excel 工作簿 (*.xlsx);;所有文件 (*)"),
        )
        if path:
            self.path_edit.setText(str(Path(path)))

    def _on_kind_toggled(self, checked: bool) -> None:
        if not checked:
            return
        kind = self.kind()
        self.kind_hint.setText(kind_hint(kind))
        self.scope_box.setVisible(kind == KIND_REVENUE)
        self.completeChanged.emit()

    def _on_path_changed(self) -> None:
        xlsx = is_xlsx(self.path())
        for widget in (self.sheet_label, self.sheet_combo, self.sheet_hint):
            widget.setVisible(xlsx)
        problem = self._file_problem()
        self.file_error.setText(problem)
        self.file_error.setVisible(bool(problem))
        self.completeChanged.emit()

    def _on_scope_changed(self) -> None:
        checked = self.scope_check.isChecked()
        self.scope_edit.setEnabled(checked)
        self.scope_hint.setEnabled(checked)
        problem = self._scope_problem() if checked else ""
        name = self.units.get(self.scope_code(), "") if checked else ""
        self.scope_name.setText(problem or name)
        self.scope_name.setStyleSheet(ERROR_STYLE if problem else "")
        self.completeChanged.emit()
