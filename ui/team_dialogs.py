"""The dialogs of the 虚拟团队 page: organising a team (:class:`NewTeamDialog`), adding a member
(:class:`AddMemberDialog`), ending a membership (:class:`EndMembershipDialog`) and adding the people the
core suggests for a national-account team (:class:`SuggestionsDialog`).

Every change is made as the current identity through ``kam_console.services.teams``, in the background;
the core decides who may do what. A refusal about the person acting (``TeamNotAllowed``: not the team's
lead, an overlapping membership …) comes up in a message box; a problem with what was typed (a missing
name, an unknown employee number, dates out of order) shows under the form. A dialog stays open until
the change is written, so nothing typed is lost.
"""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from PySide6.QtCore import QDate, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QRadioButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)
from shiboken6 import isValid

from kam_console.errors import KamError
from kam_console.models import POSITION_LABELS, TEAM_KIND_LABELS, TEAM_ROLE_LABELS, TEAM_ROLES
from kam_console.services.account_edit import load_account
from kam_console.services.accounts import AccountQuery, list_accounts
from kam_console.services.catalogues import list_industries
from kam_console.services.request_ui_support import account_id_of
from kam_console.services.sla import BEIJING, as_utc
from kam_console.services.staff import Identity, find_identity
from kam_console.services.teams import (
    MAX_NAME,
    MAX_NOTE,
    MemberRow,
    Suggestion,
    TeamNotAllowed,
    add_member,
    create_team,
    end_membership,
)
from ui.staff_dialogs import _Field
from ui.style import set_muted
from ui.tasks import BackgroundTasks

ERROR_COLOUR = "#c62828"
MAX_FOUND = 20  # accounts a lookup offers; a longer list means the search should be narrower
Clock = Callable[[], dt.datetime]


def beijing_date(now: dt.datetime) -> dt.date:
    """The working day at ``now`` (Beijing time): what memberships start and end on."""
    return as_utc(now).astimezone(BEIJING).date()


def qdate(day: dt.date) -> QDate:
    return QDate(day.year, day.month, day.day)


def pydate(value: QDate) -> dt.date:
    return dt.date(value.year(), value.month(), value.day())


def date_edit(day: dt.date, parent: QWidget) -> QDateEdit:
    edit = QDateEdit(qdate(day), parent)
    edit.setCalendarPopup(True)
    edit.setDisplayFormat("yyyy-MM-dd")
    return edit


def error_label(parent: QWidget) -> QLabel:
    label = QLabel(parent)
    label.setObjectName("dialogError")
    label.setWordWrap(True)
    label.setStyleSheet(f"color: {ERROR_COLOUR};")
    label.hide()
    return label


def listed(names: list[str], limit: int) -> str:
    """ "甲、乙、丙" — or the first ``limit`` and "等 N 个" when there are more."""
    if len(names) <= limit:
        return "、".join(names)
    return "、".join(names[:limit]) + f" 等 {len(names)} 个"


def write_team(db, change: Callable) -> Callable:
    """A worker that runs ``change(conn)`` in one transaction."""

    def work(_progress):
        with db.engine.begin() as conn:
            return change(conn)

    return work


class _TeamDialog(QDialog):
    """What the change dialogs share: the OK button, the error line, running the write in the background
    and showing a refusal."""

    refusal_title = "操作未完成"

    def __init__(self, db, tasks: BackgroundTasks, actor: Identity, clock: Clock, parent: QWidget | None) -> None:
        super().__init__(parent)
        self.db = db
        self.tasks = tasks
        self.actor = actor
        self.clock = clock
        self.busy = False
        self.error = error_label(self)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        self.ok_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setText(self.tr("取消"))
        self.buttons.accepted.connect(self.submit)
        self.buttons.rejected.connect(self.reject)
        self.acting = QLabel(self.tr("以 {0} 的身份操作").format(actor.label), self)
        self.acting.setObjectName("actingAs")
        self.acting.setWordWrap(True)
        set_muted(self.acting)

    def submit(self) -> None:  # pragma: no cover - each dialog has its own
        raise NotImplementedError

    def show_error(self, message: str) -> None:
        self.error.setText(message)
        self.error.setVisible(bool(message))
        self.grow()

    def field_error(self, field: _Field, message: str) -> None:
        field.show_error(message)
        self.grow()

    def grow(self) -> None:
        """Make room for text that got longer (a message, a person found), never shrinking the dialog."""
        layout = self.layout()
        if layout is None:
            return
        layout.activate()
        width = self.width()
        needed = layout.totalHeightForWidth(width) if layout.hasHeightForWidth() else layout.totalSizeHint().height()
        if needed > self.height():
            self.resize(width, needed)

    def run(self, change: Callable, on_done: Callable) -> None:
        """Write ``change(conn)`` in the background; ``on_done(result)`` after it was written."""
        if self.busy:
            return
        self.show_error("")
        self.busy = True
        self.ok_button.setEnabled(False)
        self.tasks.write(
            write_team(self.db, change),
            on_done=lambda result: self._written(on_done, result),
            on_error=self._failed,
            label=self.tr("正在保存…"),
            parent=self,
        )

    def _written(self, on_done: Callable, result) -> None:
        if not isValid(self):
            return
        self.busy = False
        self.ok_button.setEnabled(True)
        on_done(result)

    def _failed(self, exc: BaseException) -> None:
        if not isValid(self):
            return
        self.busy = False
        self.ok_button.setEnabled(True)
        message = exc.zh if isinstance(exc, KamError) else str(exc) or type(exc).__name__
        if isinstance(exc, TeamNotAllowed):
            QMessageBox.warning(self, self.tr(self.refusal_title), message)
            self.show_error(message)
            return
        self.show_error(message)


# --- organising a team --------------------------------------------------------------------------


@dataclass(frozen=True)
class HeadChoice:
    """A national customer's head account a team can cover."""

    customer_no: str
    name: str
    note: str = ""  # e.g. that the number typed was a branch's

    @property
    def label(self) -> str:
        return f"{self.name}（{self.customer_no}）" + (f"　{self.note}" if self.note else "")


def find_head_accounts(db, text: str) -> list[HeadChoice]:
    """Worker side of the account lookup: the national head accounts matching a customer number or a name.
    A branch found by the search stands for its head account (a team covers the head with its branches)."""
    found: dict[str, HeadChoice] = {}
    with db.engine.connect() as conn:
        page = list_accounts(conn, AccountQuery(level="national", search=text.strip()), limit=MAX_FOUND)
        for row in page.rows:
            state = load_account(conn, account_id=row.id)
            if state.data.parent is None:
                found.setdefault(row.customer_no, HeadChoice(row.customer_no, row.name))
                continue
            head_no = state.data.parent
            if head_no in found:
                continue
            head = load_account(conn, account_id=account_id_of(conn, customer_no=head_no))
            note = f"（{row.name} 的总部客户）" if row.customer_no == text.strip() else ""
            found[head_no] = HeadChoice(head_no, head.data.name, note)
    return list(found.values())


class NewTeamDialog(_TeamDialog):
    """组建虚拟团队: name, kind, the industry or the national accounts it covers, a description. The team is
    led by the identity's unit and the identity becomes its first 团队负责人."""

    created = Signal(str)  # the new team's code
    refusal_title = "不能组建团队"

    def __init__(self, db, tasks: BackgroundTasks, actor: Identity, clock: Clock, parent: QWidget | None = None):
        super().__init__(db, tasks, actor, clock, parent)
        self.setWindowTitle(self.tr("新建虚拟团队"))
        self.code: str | None = None
        self.name_edit = QLineEdit(self)
        self.name_edit.setObjectName("teamName")
        self.name_edit.setMaxLength(MAX_NAME)
        self.name_edit.setPlaceholderText(self.tr("例如：某能源集团全国服务团队"))
        self.name_field = _Field(self.name_edit, self)
        self.kind_industry = QRadioButton(self.tr(TEAM_KIND_LABELS["industry"]), self)
        self.kind_account = QRadioButton(self.tr(TEAM_KIND_LABELS["account"]), self)
        self.kind_group = QButtonGroup(self)
        self.kind_group.addButton(self.kind_industry)
        self.kind_group.addButton(self.kind_account)
        self.kind_account.setChecked(True)
        kinds = QHBoxLayout()
        kinds.setContentsMargins(0, 0, 0, 0)
        kinds.addWidget(self.kind_account)
        kinds.addWidget(self.kind_industry)
        kinds.addStretch(1)

        self.industry_combo = QComboBox(self)
        self.industry_combo.setObjectName("teamIndustry")
        self.industry_combo.setMinimumContentsLength(10)
        self.industry_field = _Field(self.industry_combo, self)
        self.industry_label = QLabel(self.tr("行业(&I)："), self)
        self.industry_label.setBuddy(self.industry_combo)

        self.account_search = QLineEdit(self)
        self.account_search.setObjectName("accountSearch")
        self.account_search.setPlaceholderText(self.tr("客户编号或名称"))
        self.account_search.returnPressed.connect(self.look_up)
        self.find_button = QPushButton(self.tr("查找"), self)
        self.find_button.setAutoDefault(False)
        self.find_button.clicked.connect(self.look_up)
        self.account_list = QListWidget(self)
        self.account_list.setObjectName("accountChoices")
        self.account_list.setMinimumHeight(110)
        self.account_list.setToolTip(self.tr("勾选团队要覆盖的全国性客户（总部客户，其分支一并覆盖）"))
        self.found_note = QLabel(self.tr("查找全国性客户的总部客户，勾选要覆盖的客户。"), self)
        self.found_note.setWordWrap(True)
        set_muted(self.found_note)
        search_row = QHBoxLayout()
        search_row.setContentsMargins(0, 0, 0, 0)
        search_row.addWidget(self.account_search, 1)
        search_row.addWidget(self.find_button)
        accounts_box = QWidget(self)
        accounts_layout = QVBoxLayout(accounts_box)
        accounts_layout.setContentsMargins(0, 0, 0, 0)
        accounts_layout.setSpacing(3)
        accounts_layout.addLayout(search_row)
        accounts_layout.addWidget(self.account_list)
        accounts_layout.addWidget(self.found_note)
        self.accounts_field = _Field(accounts_box, self)
        self.accounts_label = QLabel(self.tr("覆盖客户(&C)："), self)
        self.accounts_label.setBuddy(self.account_search)

        self.lead_label = QLabel(f"{actor.unit_name}（{actor.unit_code}）", self)
        self.lead_label.setObjectName("leadUnit")
        self.description = QPlainTextEdit(self)
        self.description.setObjectName("teamDescription")
        self.description.setTabChangesFocus(True)
        self.description.setPlaceholderText(self.tr("团队的目标与分工（可选）"))
        self.description.setFixedHeight(self.fontMetrics().height() * 4 + 12)

        form = QFormLayout()
        name_label = QLabel(self.tr("名称(&N)："), self)
        name_label.setBuddy(self.name_edit)
        form.addRow(name_label, self.name_field)
        form.addRow(self.tr("类型："), kinds)
        form.addRow(self.industry_label, self.industry_field)
        form.addRow(self.accounts_label, self.accounts_field)
        form.addRow(self.tr("牵头单位："), self.lead_label)
        description_label = QLabel(self.tr("说明(&D)："), self)
        description_label.setBuddy(self.description)
        form.addRow(description_label, self.description)
        self.ok_button.setText(self.tr("组建"))
        layout = QVBoxLayout(self)
        layout.addWidget(self.acting)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)
        self.setMinimumWidth(560)
        self.kind_group.buttonToggled.connect(lambda *_: self._kind_changed())
        self._kind_changed()
        self._load_industries()

    def kind(self) -> str:
        return "industry" if self.kind_industry.isChecked() else "account"

    def _kind_changed(self) -> None:
        industry = self.kind() == "industry"
        for widget in (self.industry_label, self.industry_field):
            widget.setVisible(industry)
        for widget in (self.accounts_label, self.accounts_field):
            widget.setVisible(not industry)
        self.adjustSize()

    def _load_industries(self) -> None:
        db = self.db

        def work(_progress):
            with db.engine.connect() as conn:
                return list_industries(conn)

        self.tasks.read(work, on_done=self._industries, busy_cursor=False, parent=self)

    def _industries(self, industries: list[tuple[str, str]]) -> None:
        if not isValid(self):
            return
        self.industry_combo.clear()
        for code, name in industries:
            self.industry_combo.addItem(f"{name}（{code}）", code)

    # --- the account lookup ---------------------------------------------------------------------

    def look_up(self) -> None:
        text = self.account_search.text().strip()
        if not text:
            self.found_note.setText(self.tr("请输入客户编号或名称"))
            return
        self.found_note.setText(self.tr("正在查找…"))
        db = self.db
        self.tasks.read(
            lambda _p: find_head_accounts(db, text),
            on_done=self._found,
            on_error=lambda exc: self._lookup_failed(exc),
            busy_cursor=False,
            parent=self,
        )

    def _lookup_failed(self, exc: BaseException) -> None:
        if isValid(self):
            self.found_note.setText(getattr(exc, "zh", None) or str(exc))

    def _found(self, choices: list[HeadChoice]) -> None:
        if not isValid(self):
            return
        chosen = set(self.chosen_accounts())
        # keep what is ticked; replace the rest with what this search found
        for row in reversed(range(self.account_list.count())):
            if self.account_list.item(row).checkState() != Qt.CheckState.Checked:
                self.account_list.takeItem(row)
        added = 0
        for choice in choices:
            if choice.customer_no in chosen:
                continue
            self.add_choice(choice, checked=len(choices) == 1)
            added += 1
        if not choices:
            self.found_note.setText(self.tr("没有找到匹配的全国性客户"))
        elif len(choices) >= MAX_FOUND:
            self.found_note.setText(self.tr("只列出前 {0} 个，请输入更完整的名称或客户编号").format(MAX_FOUND))
        else:
            self.found_note.setText(self.tr("找到 {0} 个全国性客户，勾选要覆盖的客户").format(len(choices)))

    def add_choice(self, choice: HeadChoice, *, checked: bool = False) -> QListWidgetItem:
        item = QListWidgetItem(choice.label, self.account_list)
        item.setData(Qt.ItemDataRole.UserRole, choice.customer_no)
        item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
        item.setCheckState(Qt.CheckState.Checked if checked else Qt.CheckState.Unchecked)
        return item

    def chosen_accounts(self) -> list[str]:
        return [
            self.account_list.item(i).data(Qt.ItemDataRole.UserRole)
            for i in range(self.account_list.count())
            if self.account_list.item(i).checkState() == Qt.CheckState.Checked
        ]

    # --- writing --------------------------------------------------------------------------------

    def submit(self) -> None:
        self.field_error(self.name_field, "")
        self.field_error(self.industry_field, "")
        self.field_error(self.accounts_field, "")
        name = self.name_edit.text().strip()
        if not name:
            self.field_error(self.name_field, self.tr("请填写团队名称"))
            self.name_edit.setFocus()
            return
        kind = self.kind()
        industry = self.industry_combo.currentData() if kind == "industry" else None
        accounts = self.chosen_accounts() if kind == "account" else []
        if kind == "industry" and not industry:
            self.field_error(self.industry_field, self.tr("请选择行业"))
            return
        if kind == "account" and not accounts:
            self.field_error(self.accounts_field, self.tr("请查找并勾选至少一个全国性客户"))
            self.account_search.setFocus()
            return
        description = self.description.toPlainText().strip() or None
        if description and len(description) > MAX_NOTE:
            self.show_error(self.tr("说明太长（{0} 字，最多 {1} 字）").format(len(description), MAX_NOTE))
            return
        actor, now = self.actor, self.clock()

        def change(conn):
            return create_team(
                conn,
                name=name,
                kind=kind,
                lead_unit=actor.unit_code,
                by=actor.employee_no,
                now=now,
                industry=industry,
                accounts=accounts,
                description=description,
            )

        self.run(change, self._created)

    def _created(self, code: str) -> None:
        self.code = code
        self.created.emit(code)
        self.accept()


# --- members ------------------------------------------------------------------------------------


class AddMemberDialog(_TeamDialog):
    """添加成员: who (an employee number, looked up as it is typed, or one of the suggestions), the team role,
    and the dates the membership runs (the end is optional: open-ended)."""

    added = Signal(str)  # employee number
    refusal_title = "不能添加成员"

    def __init__(
        self,
        db,
        tasks: BackgroundTasks,
        actor: Identity,
        clock: Clock,
        *,
        team: str,
        team_name: str,
        suggestions: list[Suggestion] | tuple[Suggestion, ...] = (),
        short_names: Mapping[str, str] | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(db, tasks, actor, clock, parent)
        self.team = team
        self.short_names = short_names or {}
        self.setWindowTitle(self.tr("添加成员：{0}").format(team_name))
        today = beijing_date(clock())
        self.suggestions = list(suggestions)
        self.suggestion_combo = QComboBox(self)
        self.suggestion_combo.setObjectName("suggestionCombo")
        self.suggestion_combo.addItem(self.tr("（不使用建议）"), None)
        for s in self.suggestions:
            self.suggestion_combo.addItem(f"{s.name}（{s.employee_no}，{s.unit_name}）· {s.why}", s.employee_no)
        self.suggestion_combo.setMinimumContentsLength(24)
        self.suggestion_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.suggestion_combo.currentIndexChanged.connect(self._suggestion_chosen)
        self.employee_edit = QLineEdit(self)
        self.employee_edit.setObjectName("memberEmployeeNo")
        self.employee_edit.setMaxLength(20)
        self.employee_edit.setPlaceholderText(self.tr("工号"))
        self.employee_edit.editingFinished.connect(self.look_up)
        self.find_button = QPushButton(self.tr("查找"), self)
        self.find_button.setAutoDefault(False)
        self.find_button.clicked.connect(self.look_up)
        self.person = QLabel(self)
        self.person.setObjectName("memberFound")
        self.person.setWordWrap(True)
        set_muted(self.person)
        employee_row = QHBoxLayout()
        employee_row.setContentsMargins(0, 0, 0, 0)
        employee_row.addWidget(self.employee_edit, 1)
        employee_row.addWidget(self.find_button)
        employee_box = QWidget(self)
        employee_box.setLayout(employee_row)
        self.employee_field = _Field(employee_box, self)
        self.role_combo = QComboBox(self)
        self.role_combo.setObjectName("memberRole")
        for role in TEAM_ROLES:
            self.role_combo.addItem(self.tr(TEAM_ROLE_LABELS[role]), role)
        self.role_combo.setCurrentIndex(TEAM_ROLES.index("member"))
        self.start_edit = date_edit(today, self)
        self.start_edit.setObjectName("memberStart")
        self.end_check = QCheckBox(self.tr("到期日："), self)
        self.end_check.setObjectName("memberHasEnd")
        self.end_edit = date_edit(dt.date(today.year, 12, 31), self)
        self.end_edit.setObjectName("memberEnd")
        self.end_edit.setEnabled(False)
        self.end_check.toggled.connect(self.end_edit.setEnabled)
        end_row = QHBoxLayout()
        end_row.setContentsMargins(0, 0, 0, 0)
        end_row.addWidget(self.end_check)
        end_row.addWidget(self.end_edit)
        end_row.addStretch(1)
        note = QLabel(
            self.tr("成员资格从开始日到到期日（含）有效；不设到期日则长期有效。有效期内可查看团队覆盖的全部客户。"),
            self,
        )
        note.setWordWrap(True)
        set_muted(note)

        form = QFormLayout()
        if self.suggestions:
            suggestion_label = QLabel(self.tr("从建议中选(&S)："), self)
            suggestion_label.setBuddy(self.suggestion_combo)
            form.addRow(suggestion_label, self.suggestion_combo)
        else:
            self.suggestion_combo.hide()
        employee_label = QLabel(self.tr("员工(&E)："), self)
        employee_label.setBuddy(self.employee_edit)
        form.addRow(employee_label, self.employee_field)
        form.addRow("", self.person)
        role_label = QLabel(self.tr("团队角色(&R)："), self)
        role_label.setBuddy(self.role_combo)
        form.addRow(role_label, self.role_combo)
        start_label = QLabel(self.tr("开始日期(&B)："), self)
        start_label.setBuddy(self.start_edit)
        form.addRow(start_label, self.start_edit)
        form.addRow("", end_row)
        self.ok_button.setText(self.tr("添加"))
        layout = QVBoxLayout(self)
        layout.addWidget(self.acting)
        layout.addLayout(form)
        layout.addWidget(note)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)
        self.setMinimumWidth(520)
        self._looked_up = ""

    def _suggestion_chosen(self, index: int) -> None:
        employee_no = self.suggestion_combo.itemData(index)
        suggestion = next((s for s in self.suggestions if s.employee_no == employee_no), None)
        if suggestion is None:
            return
        self.employee_edit.setText(suggestion.employee_no)
        self.role_combo.setCurrentIndex(TEAM_ROLES.index(suggestion.role))
        cities = listed([self.short_names.get(c, c) for c in suggestion.cities], 6)
        self.person.setText(
            self.tr("{0} · {1} · {2}\n{3}：{4}").format(
                suggestion.name, suggestion.unit_name, suggestion.position_label, suggestion.why, cities
            )
        )
        self.grow()
        self._looked_up = suggestion.employee_no

    def choose_suggestion(self, employee_no: str) -> None:
        index = self.suggestion_combo.findData(employee_no)
        if index >= 0:
            self.suggestion_combo.setCurrentIndex(index)

    def look_up(self) -> None:
        employee_no = self.employee_edit.text().strip()
        if not employee_no or employee_no == self._looked_up:
            return
        self._looked_up = employee_no
        self.field_error(self.employee_field, "")
        self.person.setText(self.tr("正在查找…"))
        db = self.db

        def work(_progress):
            with db.engine.connect() as conn:
                return find_identity(conn, employee_no=employee_no)

        self.tasks.read(work, on_done=self._person_found, on_error=self._person_missing, busy_cursor=False, parent=self)

    def _person_found(self, who: Identity) -> None:
        if not isValid(self) or who.employee_no != self.employee_edit.text().strip():
            return
        self.person.setText(f"{who.name} · {who.unit_name} · {POSITION_LABELS.get(who.position, who.position)}")
        self.grow()

    def _person_missing(self, exc: BaseException) -> None:
        if not isValid(self):
            return
        self.person.setText("")
        self.field_error(self.employee_field, getattr(exc, "zh", None) or str(exc))

    def submit(self) -> None:
        self.field_error(self.employee_field, "")
        employee_no = self.employee_edit.text().strip()
        if not employee_no:
            self.field_error(self.employee_field, self.tr("请填写工号，或从建议中选择"))
            self.employee_edit.setFocus()
            return
        start = pydate(self.start_edit.date())
        end = pydate(self.end_edit.date()) if self.end_check.isChecked() else None
        if end is not None and end < start:
            self.show_error(self.tr("到期日 {0} 早于开始日期 {1}").format(end, start))
            return
        role = self.role_combo.currentData()
        team, actor, now = self.team, self.actor, self.clock()

        def change(conn):
            add_member(
                conn, team=team, employee_no=employee_no, role=role, start=start, end=end, by=actor.employee_no, now=now
            )
            return employee_no

        self.run(change, self._added)

    def _added(self, employee_no: str) -> None:
        self.added.emit(employee_no)
        self.accept()


class EndMembershipDialog(_TeamDialog):
    """结束成员资格: the last day (inclusive) of a running or future membership."""

    ended = Signal(str)  # employee number
    refusal_title = "不能结束成员资格"

    def __init__(
        self,
        db,
        tasks: BackgroundTasks,
        actor: Identity,
        clock: Clock,
        *,
        team: str,
        team_name: str,
        member: MemberRow,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(db, tasks, actor, clock, parent)
        self.team = team
        self.member = member
        self.setWindowTitle(self.tr("结束成员资格：{0}").format(team_name))
        today = beijing_date(clock())
        intro = QLabel(
            self.tr("<b>{0}</b>（{1}，{2}）· {3}，{4} 起").format(
                html.escape(member.name),
                html.escape(member.employee_no),
                html.escape(member.unit_name),
                html.escape(member.role_label),
                member.start,
            ),
            self,
        )
        intro.setTextFormat(Qt.TextFormat.RichText)
        intro.setWordWrap(True)
        self.end_edit = date_edit(max(today, member.start), self)
        self.end_edit.setObjectName("endDate")
        self.end_edit.setMinimumDate(qdate(member.start))
        note = QLabel(self.tr("成员资格到该日（含）为止，次日起不再能查看团队覆盖的客户。"), self)
        note.setWordWrap(True)
        set_muted(note)
        form = QFormLayout()
        end_label = QLabel(self.tr("最后一天(&L)："), self)
        end_label.setBuddy(self.end_edit)
        form.addRow(end_label, self.end_edit)
        self.ok_button.setText(self.tr("结束成员资格"))
        layout = QVBoxLayout(self)
        layout.addWidget(self.acting)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(note)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)
        self.setMinimumWidth(460)

    def set_end(self, day: dt.date) -> None:
        self.end_edit.setDate(qdate(day))

    def submit(self) -> None:
        end = pydate(self.end_edit.date())
        team, member, actor, now = self.team, self.member.employee_no, self.actor, self.clock()

        def change(conn):
            end_membership(conn, team=team, employee_no=member, end=end, by=actor.employee_no, now=now)
            return member

        self.run(change, self._ended)

    def _ended(self, employee_no: str) -> None:
        self.ended.emit(employee_no)
        self.accept()


# --- suggestions --------------------------------------------------------------------------------

SUGGESTION_HEADERS = ["姓名", "单位", "岗位", "建议角色", "原因", "服务地市", "服务客户"]


class SuggestionsDialog(_TeamDialog):
    """建议成员: the people already serving the covered accounts (the responsible managers of the branches
    and their first local contacts) who are not in the team; the ones selected join from today in the role
    suggested — all or none."""

    added = Signal(list)  # employee numbers
    refusal_title = "不能添加成员"

    def __init__(
        self,
        db,
        tasks: BackgroundTasks,
        actor: Identity,
        clock: Clock,
        *,
        team: str,
        team_name: str,
        suggestions: list[Suggestion] | tuple[Suggestion, ...],
        short_names: Mapping[str, str] | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(db, tasks, actor, clock, parent)
        self.team = team
        self.suggestions = list(suggestions)
        names = short_names or {}
        self.setWindowTitle(self.tr("建议成员：{0}").format(team_name))
        intro = QLabel(
            self.tr(
                "以下员工已在为团队覆盖的客户服务（分支客户的负责客户经理、属地第一联系人），尚未加入团队。"
                "选中后按建议角色加入，自今日起长期有效。"
            ),
            self,
        )
        intro.setWordWrap(True)
        self.table = QTableWidget(len(self.suggestions), len(SUGGESTION_HEADERS), self)
        self.table.setObjectName("suggestionsTable")
        self.table.setHorizontalHeaderLabels([self.tr(h) for h in SUGGESTION_HEADERS])
        self.table.verticalHeader().setVisible(False)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        self.table.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 8)
        for row, s in enumerate(self.suggestions):
            cells = [
                f"{s.name}（{s.employee_no}）",
                s.unit_name,
                s.position_label,
                s.role_label,
                s.why,
                "、".join(names.get(c, c) for c in s.cities),
                "、".join(s.accounts),
            ]
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setToolTip(text if column < 5 else "\n".join(text.split("、")))
                item.setData(Qt.ItemDataRole.UserRole, s.employee_no)
                self.table.setItem(row, column, item)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        self.table.resizeColumnsToContents()
        # long lists of places and customers: the tooltip has them all; the customers take what is left
        self.table.setColumnWidth(5, min(self.table.columnWidth(5), 200))
        self.table.setColumnWidth(6, 120)
        self.table.itemSelectionChanged.connect(self._selection_changed)
        self.table.doubleClicked.connect(lambda _index: self.submit())
        self.select_all = QPushButton(self.tr("全选"), self)
        self.select_all.setAutoDefault(False)
        self.select_all.clicked.connect(self.table.selectAll)
        self.count_label = QLabel(self)
        set_muted(self.count_label)
        tools = QHBoxLayout()
        tools.addWidget(self.select_all)
        tools.addWidget(self.count_label, 1)
        layout = QVBoxLayout(self)
        layout.addWidget(self.acting)
        layout.addWidget(intro)
        layout.addWidget(self.table, 1)
        layout.addLayout(tools)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)
        self.resize(900, 420)
        self._selection_changed()

    def selected(self) -> list[Suggestion]:
        rows = sorted({index.row() for index in self.table.selectionModel().selectedRows()})
        return [self.suggestions[r] for r in rows]

    def select_employee(self, employee_no: str) -> None:
        for row, s in enumerate(self.suggestions):
            if s.employee_no == employee_no:
                self.table.selectRow(row)
                return

    def _selection_changed(self) -> None:
        n = len(self.selected())
        self.ok_button.setText(self.tr("添加所选（{0}）").format(n) if n else self.tr("添加所选"))
        self.ok_button.setEnabled(n > 0 and not self.busy)
        self.count_label.setText(self.tr("共 {0} 人；可按住 Ctrl 或 Shift 多选").format(len(self.suggestions)))

    def submit(self) -> None:
        chosen = self.selected()
        if not chosen:
            self.show_error(self.tr("请先选中要添加的员工"))
            return
        team, actor, now = self.team, self.actor, self.clock()
        start = beijing_date(now)
        people = [(s.employee_no, s.role) for s in chosen]

        def change(conn):
            for employee_no, role in people:
                add_member(
                    conn, team=team, employee_no=employee_no, role=role, start=start, by=actor.employee_no, now=now
                )
            return [employee_no for employee_no, _role in people]

        self.run(change, self._added)

    def _added(self, numbers: list[str]) -> None:
        self.added.emit(numbers)
        self.accept()
