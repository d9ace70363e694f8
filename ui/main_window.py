"""The main window: the KA hierarchy on the left, the selected unit's summary in the middle, menus and a
status bar. Data arrives through the background helper (ui.tasks) from core services only.
"""

from __future__ import annotations

import datetime as dt
import html
from dataclasses import dataclass
from functools import partial

from PySide6.QtCore import QSettings, Qt, Signal
from PySide6.QtGui import QAction, QCloseEvent, QGuiApplication, QKeySequence
from PySide6.QtWidgets import QLabel, QMainWindow, QMessageBox, QSplitter, QTabWidget, QVBoxLayout, QWidget

from kam_console import __version__
from kam_console.db import Database
from kam_console.services.request_queries import InboxCount, inbox_counts
from kam_console.services.request_ui_support import account_id_of
from kam_console.services.status import is_demo
from ui import settings as S
from ui.account_edit_dialog import AccountEditor
from ui.account_page import AccountPage, open_account_page
from ui.account_table_model import IdRole as AccountIdRole
from ui.analysis_page import AnalysisPage
from ui.appointments_panel import AppointmentsPanel
from ui.conflicts_panel import ConflictsPanel
from ui.connection_banner import ConnectionBanner, is_connection_problem
from ui.identity import IdentityHolder
from ui.import_common import KIND_ACCOUNTS, KIND_REVENUE, KIND_STAFF
from ui.import_wizard import ImportWizard
from ui.industry_catalogue_dialog import IndustryCatalogueEditor
from ui.industry_page import IndustryPage
from ui.org_tree_model import OrgTreeData, load_org_tree
from ui.org_tree_panel import OrgTreePanel
from ui.reports_page import ReportsPage
from ui.request_view import RequestDesk
from ui.requests_page import RequestsPage
from ui.sla_dialog import SlaEditor
from ui.staff_dialogs import StaffActions
from ui.supervision_panel import SupervisionPanel
from ui.tasks import BackgroundTasks, Task, show_error
from ui.teams_page import TeamsPage
from ui.unit_accounts_panel import UnitAccountsPanel
from ui.unit_details import UnitDetails, load_unit_details
from ui.unit_summary import UnitSummaryPanel

DEFAULT_SIZE = (1280, 800)
DEFAULT_SPLIT = [440, 840]


@dataclass(frozen=True)
class WindowData:
    tree: OrgTreeData
    demo: bool


def load_window_data(db: Database, now: dt.datetime | None = None) -> WindowData:
    """Worker side of a refresh: everything the window shows, as plain data (the tree with each unit's
    service requests to act on at ``now``)."""
    tree = load_org_tree(db)
    tree.inbox = load_inbox(db, now)
    with db.session() as session:
        demo = is_demo(session)
    return WindowData(tree, demo)


def load_inbox(db: Database, now: dt.datetime | None = None) -> dict[str, InboxCount]:
    """Worker side: every unit's requests to act on now (the tree's badges)."""
    with db.engine.connect() as conn:
        return inbox_counts(conn, now=now or dt.datetime.now(dt.UTC))


class MainWindow(QMainWindow):
    #: emitted after each successful refresh (the tree is filled)
    loaded = Signal()

    def __init__(
        self,
        db: Database,
        tasks: BackgroundTasks | None = None,
        *,
        settings: QSettings | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.db = db
        self.tasks = tasks or BackgroundTasks(self)
        self.settings = settings or S.app_settings()
        self._refresh_task: Task | None = None
        self._details_task: Task | None = None
        self._inbox_task: Task | None = None
        self._inbox_generation = 0
        self._first_load = True
        self._unit_staff: tuple[str, list] = ("", [])  # the selected unit's staff, once its page has loaded
        self.import_wizard: ImportWizard | None = None
        self.setWindowTitle(self.tr("大客户管理控制台"))

        self.tree_panel = OrgTreePanel(self)
        self.summary_panel = UnitSummaryPanel(self)
        # The accounts tab reads the database as it pages, so it is built here, where db and tasks are.
        self.accounts_panel = UnitAccountsPanel(db, self.tasks, self.summary_panel)
        self.summary_panel.tabs.addTab(self.accounts_panel, self.tr("客户"))
        self.summary_panel.tabs.currentChanged.connect(self._sync_accounts_tab)
        self.staff_actions = StaffActions(db, self.tasks, self)
        staff_panel = self.summary_panel.staff_panel
        staff_panel.add_requested.connect(self.staff_actions.add)
        staff_panel.edit_requested.connect(self.staff_actions.edit)
        staff_panel.deactivate_requested.connect(self.staff_actions.deactivate)
        self.staff_actions.changed.connect(self._reload_unit)
        self.account_editor = AccountEditor(db, self.tasks, self)
        self.accounts_panel.create_requested.connect(self.account_editor.create)
        self.account_editor.saved.connect(self._on_account_created)
        self.accounts_panel.view.doubleClicked.connect(lambda index: self.open_account(index.data(AccountIdRole)))
        self.conflicts_panel = ConflictsPanel(db, self.tasks, self.summary_panel)
        self.conflicts_panel.table.cellDoubleClicked.connect(
            lambda row, _col: self.open_account(self.conflicts_panel.table.item(row, 0).data(Qt.ItemDataRole.UserRole))
        )
        self.summary_panel.tabs.addTab(self.conflicts_panel, self.tr("责任冲突"))
        self.appointments_panel = AppointmentsPanel(db, self.tasks, self.summary_panel)
        self.summary_panel.tabs.addTab(self.appointments_panel, self.tr("负责人任命"))
        self.appointments_panel.changed.connect(self._reload_unit)
        self.supervision_panel = SupervisionPanel(db, self.tasks, lambda: self.identity.identity, self.summary_panel)
        self.summary_panel.tabs.addTab(self.supervision_panel, self.tr("督办"))
        self.sla_editor = SlaEditor(db, self.tasks, self)
        # The pages of the selected unit: its overview and its ARPU/ARPA analysis.
        self.pages = QTabWidget(self)
        self.pages.setObjectName("pages")
        self.pages.setDocumentMode(True)
        self.pages.addTab(self.summary_panel, self.tr("单位概况"))
        self.analysis_page = AnalysisPage(db, self.tasks, self.pages, settings=self.settings)
        self.pages.addTab(self.analysis_page, self.tr("ARPU/ARPA 分析"))
        self.pages.currentChanged.connect(self._sync_analysis)
        self.analysis_page.unit_requested.connect(self._select_unit)
        self.analysis_page.account_requested.connect(self.open_account)
        # Service requests: the page of the selected unit, and what every request screen shares.
        self.identity = IdentityHolder(db, self.tasks, self.settings, self)
        self.request_desk = RequestDesk(
            db, self.tasks, self.identity, choose_identity=self.choose_identity, parent=self
        )
        self.request_desk.changed.connect(lambda _number: self.refresh_inbox())
        self.request_desk.account_requested.connect(self.open_account_by_number)
        self.supervision_panel.request_activated.connect(lambda number: self.request_desk.open_request(number, self))
        self.requests_page = RequestsPage(self.request_desk, self.pages)
        self.pages.addTab(self.requests_page, self.tr("服务请求"))
        # Monthly reports: the board of the units below and the unit's own report, as the current identity.
        self.reports_page = ReportsPage(
            db,
            self.tasks,
            self.identity,
            clock=lambda: self.request_desk.now(),
            choose_identity=self.choose_identity,
            parent=self.pages,
        )
        self.reports_page.unit_requested.connect(self._select_unit)
        self.pages.addTab(self.reports_page, self.tr("月报"))
        # Industry marketing: one industry in the unit's area, its specialists and where nobody serves it.
        self.industry_page = IndustryPage(db, self.tasks, self.pages, up_red=S.UP_RED.get(self.settings))
        self.industry_page.unit_requested.connect(self._select_unit)
        self.industry_page.account_requested.connect(self.open_account)
        self.pages.addTab(self.industry_page, self.tr("行业营销"))
        self.industry_catalogue = IndustryCatalogueEditor(db, self.tasks, self)
        self.industry_catalogue.changed.connect(self._industries_changed)
        # Virtual teams: national teams across regions, worked on as the current identity.
        self.teams_page = TeamsPage(
            db,
            self.tasks,
            self.identity,
            clock=lambda: self.request_desk.now(),
            choose_identity=self.choose_identity,
            parent=self.pages,
        )
        self.teams_page.request_activated.connect(lambda number: self.request_desk.open_request(number, self))
        self.teams_page.account_requested.connect(self.open_account_by_number)
        self.request_desk.changed.connect(lambda _number: self.teams_page.invalidate())
        self.teams_page.set_up_red(S.UP_RED.get(self.settings))
        self.pages.addTab(self.teams_page, self.tr("虚拟团队"))
        self.summary_panel.figures_panel.analysis_requested.connect(self.show_analysis)
        self.summary_panel.figures_panel.set_up_red(S.UP_RED.get(self.settings))
        self.splitter = QSplitter(Qt.Orientation.Horizontal, self)
        self.splitter.setObjectName("mainSplitter")
        self.splitter.addWidget(self.tree_panel)
        self.splitter.addWidget(self.pages)
        self.splitter.setChildrenCollapsible(False)
        # the tree takes a share of extra width too, so its figure columns are not left cut off
        self.splitter.setStretchFactor(0, 1)
        self.splitter.setStretchFactor(1, 3)
        self.banner = ConnectionBanner(self)
        self.banner.retry.connect(self._retry)
        central = QWidget(self)
        central_layout = QVBoxLayout(central)
        central_layout.setContentsMargins(0, 0, 0, 0)
        central_layout.setSpacing(0)
        central_layout.addWidget(self.banner)
        central_layout.addWidget(self.splitter, 1)
        self.setCentralWidget(central)
        self.tree_panel.setMinimumWidth(240)

        self.tree_panel.unit_selected.connect(self._on_unit_selected)
        self.summary_panel.unit_activated.connect(self.tree_panel.select_code)
        self._build_menus()
        self._build_status_bar()
        self._restore_layout()
        self.identity.changed.connect(self._show_identity)
        self.identity.restore()

    # --- construction ------------------------------------------------------------------------

    def _build_menus(self) -> None:
        menu_file = self.menuBar().addMenu(self.tr("文件(&F)"))
        self.import_actions: dict[str, QAction] = {}
        for kind, text in (
            (KIND_STAFF, self.tr("导入员工(&S)…")),
            (KIND_ACCOUNTS, self.tr("导入客户(&C)…")),
            (KIND_REVENUE, self.tr("导入月收入(&M)…")),
        ):
            action = QAction(text, self)
            action.triggered.connect(partial(self.open_import_wizard, kind))
            menu_file.addAction(action)
            self.import_actions[kind] = action
        # Revenue is the monthly routine; the wizard's first page switches to the other kinds.
        self.import_actions[KIND_REVENUE].setShortcut(QKeySequence(self.tr("Ctrl+I")))
        menu_file.addSeparator()
        self.action_identity = QAction(self.tr("切换当前身份(&U)…"), self)
        self.action_identity.triggered.connect(self.choose_identity)
        menu_file.addAction(self.action_identity)
        menu_file.addSeparator()
        self.action_quit = QAction(self.tr("退出(&X)"), self)
        self.action_quit.setShortcut(QKeySequence(self.tr("Ctrl+Q")))
        self.action_quit.setMenuRole(QAction.MenuRole.QuitRole)
        self.action_quit.triggered.connect(self.close)
        menu_file.addAction(self.action_quit)

        menu_view = self.menuBar().addMenu(self.tr("视图(&V)"))
        self.action_refresh = QAction(self.tr("刷新(&R)"), self)
        self.action_refresh.setShortcut(QKeySequence(Qt.Key.Key_F5))
        self.action_refresh.triggered.connect(self.refresh)
        menu_view.addAction(self.action_refresh)
        self.action_find = QAction(self.tr("查找单位(&F)"), self)
        self.action_find.setShortcut(QKeySequence.StandardKey.Find)
        self.action_find.triggered.connect(self._focus_search)
        menu_view.addAction(self.action_find)
        menu_view.addSeparator()
        self.action_overview = QAction(self.tr("单位概况(&O)"), self)
        self.action_overview.setShortcut(QKeySequence(self.tr("Ctrl+1")))
        self.action_overview.triggered.connect(lambda: self.pages.setCurrentWidget(self.summary_panel))
        menu_view.addAction(self.action_overview)
        self.action_analysis = QAction(self.tr("ARPU/ARPA 分析(&A)"), self)
        self.action_analysis.setShortcut(QKeySequence(self.tr("Ctrl+2")))
        self.action_analysis.triggered.connect(self.show_analysis)
        menu_view.addAction(self.action_analysis)
        self.action_requests = QAction(self.tr("服务请求(&Q)"), self)
        self.action_requests.setShortcut(QKeySequence(self.tr("Ctrl+3")))
        self.action_requests.triggered.connect(self.show_requests)
        menu_view.addAction(self.action_requests)
        self.action_reports = QAction(self.tr("月报(&M)"), self)
        self.action_reports.setShortcut(QKeySequence(self.tr("Ctrl+4")))
        self.action_reports.triggered.connect(self.show_reports)
        menu_view.addAction(self.action_reports)
        self.action_industry = QAction(self.tr("行业营销(&I)"), self)
        self.action_industry.setShortcut(QKeySequence(self.tr("Ctrl+5")))
        self.action_industry.triggered.connect(self.show_industry)
        menu_view.addAction(self.action_industry)
        self.action_teams = QAction(self.tr("虚拟团队(&T)"), self)
        self.action_teams.setShortcut(QKeySequence(self.tr("Ctrl+6")))
        self.action_teams.triggered.connect(self.show_teams)
        menu_view.addAction(self.action_teams)
        self.action_copy_chart = QAction(self.tr("复制分析图表(&C)"), self)
        self.action_copy_chart.setShortcut(QKeySequence(self.tr("Ctrl+Shift+C")))
        self.action_copy_chart.setToolTip(self.tr("把分析页的下钻图复制到剪贴板"))
        self.action_copy_chart.triggered.connect(self.analysis_page.copy_figure)
        menu_view.addAction(self.action_copy_chart)
        menu_view.addSeparator()
        self.action_up_red = QAction(self.tr("上涨显示为红色（红涨绿跌）"), self)
        self.action_up_red.setCheckable(True)
        self.action_up_red.setChecked(S.UP_RED.get(self.settings))
        self.action_up_red.setToolTip(self.tr("取消勾选则上涨显示为绿色、下跌显示为红色"))
        self.action_up_red.toggled.connect(self.set_up_red)
        menu_view.addAction(self.action_up_red)

        menu_tools = self.menuBar().addMenu(self.tr("工具(&T)"))
        self.action_sla = QAction(self.tr("服务请求时限（SLA）(&S)…"), self)
        self.action_sla.triggered.connect(lambda: self.sla_editor.open(self.identity.identity))
        menu_tools.addAction(self.action_sla)
        self.action_industries = QAction(self.tr("行业目录(&I)…"), self)
        self.action_industries.triggered.connect(lambda: self.industry_catalogue.open(self.identity.identity))
        menu_tools.addAction(self.action_industries)

        menu_help = self.menuBar().addMenu(self.tr("帮助(&H)"))
        self.action_about = QAction(self.tr("关于(&A)"), self)
        self.action_about.setMenuRole(QAction.MenuRole.AboutRole)
        self.action_about.triggered.connect(self.show_about)
        menu_help.addAction(self.action_about)

    def _build_status_bar(self) -> None:
        self.status_unit = QLabel(self.tr("未选择单位"), self)
        self.status_unit.setObjectName("statusUnit")
        self.status_demo = QLabel(self.tr("演示数据"), self)
        self.status_demo.setObjectName("statusDemo")
        self.status_demo.setToolTip(self.tr("当前数据库中的数据由演示数据生成器生成，并非真实业务数据。"))
        self.status_demo.setStyleSheet("color: #b45309; font-weight: bold; padding: 0 6px;")
        self.status_demo.setVisible(False)
        self.status_db = QLabel(self.db.description, self)
        self.status_db.setObjectName("statusDatabase")
        self.status_db.setToolTip(self.tr("当前数据库"))
        self.status_identity = QLabel(self)
        self.status_identity.setObjectName("statusIdentity")
        self.status_identity.setTextFormat(Qt.TextFormat.RichText)
        self.status_identity.linkActivated.connect(lambda _link: self.choose_identity())
        self._show_identity(None)
        bar = self.statusBar()
        bar.addWidget(self.status_unit, 1)
        bar.addPermanentWidget(self.status_identity)
        bar.addPermanentWidget(self.status_demo)
        bar.addPermanentWidget(self.status_db)

    def _restore_layout(self) -> None:
        geometry = S.MAIN_GEOMETRY.get(self.settings)
        if geometry.isEmpty() or not self.restoreGeometry(geometry):
            self._default_geometry()
        state = S.MAIN_STATE.get(self.settings)
        if not state.isEmpty():
            self.restoreState(state)
        splitter = S.MAIN_SPLITTER.get(self.settings)
        if splitter.isEmpty() or not self.splitter.restoreState(splitter):
            # The tree (with its figure columns) gets about a third of the window, the page the rest.
            total = self.width()
            left = round(total * DEFAULT_SPLIT[0] / sum(DEFAULT_SPLIT))
            self.splitter.setSizes([left, total - left])
        unit_split = S.UNIT_SPLITTER.get(self.settings)
        if not unit_split.isEmpty():
            self.summary_panel.splitter.restoreState(unit_split)
            self.summary_panel.set_overview_visible(self.summary_panel.overview_visible())

    def _default_geometry(self) -> None:
        width, height = DEFAULT_SIZE
        screen = QGuiApplication.primaryScreen()
        if screen is None:
            self.resize(width, height)
            return
        # A small laptop screen at 125–150 % scaling has less room than the default size.
        available = screen.availableGeometry()
        self.resize(min(width, int(available.width() * 0.92)), min(height, int(available.height() * 0.92)))
        frame = self.frameGeometry()
        frame.moveCenter(available.center())
        self.move(frame.topLeft())

    def save_layout(self) -> None:
        S.MAIN_GEOMETRY.set(self.settings, self.saveGeometry())
        S.MAIN_STATE.set(self.settings, self.saveState())
        S.MAIN_SPLITTER.set(self.settings, self.splitter.saveState())
        S.UNIT_SPLITTER.set(self.settings, self.summary_panel.splitter.saveState())
        S.LAST_UNIT.set(self.settings, self.tree_panel.selected_code())
        self.settings.sync()

    def closeEvent(self, event: QCloseEvent) -> None:
        if self.reports_page.has_unsaved():
            event.ignore()  # asked first; the window closes once the edits are saved or discarded
            self.reports_page.leave(self.close)
            return
        self.save_layout()
        super().closeEvent(event)

    # --- data --------------------------------------------------------------------------------

    def refresh(self) -> Task:
        """Reload the hierarchy in the background (F5). A refresh already running is reused."""
        if self._refresh_task is not None and not self._refresh_task.done:
            return self._refresh_task
        self.statusBar().showMessage(self.tr("正在加载组织结构…"))
        db, now = self.db, self.request_desk.now()
        self._refresh_task = self.tasks.read(
            lambda _progress: load_window_data(db, now),
            on_done=self._on_loaded,
            on_error=self._on_load_failed,
            label=self.tr("正在加载组织结构…"),
            parent=self,
        )
        return self._refresh_task

    def _on_loaded(self, data: WindowData) -> None:
        self._inbox_generation += 1  # the tree brings the newest counts
        self.statusBar().clearMessage()
        self.banner.hide()
        self.tree_panel.set_tree(data.tree)
        self.status_demo.setVisible(data.demo)
        if self._first_load:
            self._first_load = False
            last = S.LAST_UNIT.get(self.settings)
            if not (last and self.tree_panel.select_code(last)) and data.tree.roots:
                self.tree_panel.select_code(data.tree.roots[0].unit.code)
        else:  # the same unit, possibly with changed data
            self.analysis_page.invalidate()
            self.requests_page.invalidate()
            self.reports_page.invalidate()
            self.industry_page.invalidate()
            self.teams_page.invalidate()
            self._on_unit_selected(self.tree_panel.selected_code())
        self.loaded.emit()

    def _on_load_failed(self, exc: BaseException) -> None:
        self.statusBar().showMessage(self.tr("加载失败"), 10_000)
        if is_connection_problem(exc):
            self.banner.show_problem(exc)  # expected to pass: no blocking dialog, a retry button
            return
        show_error(self, exc, self.tr("无法加载组织结构"))

    def _on_details_failed(self, exc: BaseException) -> None:
        if is_connection_problem(exc):
            self.banner.show_problem(exc)
            return
        show_error(self, exc, self.tr("无法加载单位信息"))

    def _retry(self) -> None:
        self.banner.hide()
        self.refresh()

    def _on_unit_selected(self, code: str) -> None:
        summary = self.tree_panel.model.summary(code) if code else None
        self.summary_panel.show_summary(summary)
        self.summary_panel.clear_details()
        self._sync_accounts_tab()
        self._sync_analysis()
        if summary is None:
            self.status_unit.setText(self.tr("未选择单位"))
            return
        self.status_unit.setText(self.tr("当前单位：{0}（{1}）").format(summary.unit.name, summary.unit.code))
        if self._details_task is not None and not self._details_task.done:
            self._details_task.cancel()  # its result would be dropped anyway; don't keep a worker busy
        db = self.db
        self._details_task = self.tasks.read(
            lambda _progress: load_unit_details(db, code),
            on_done=self._on_details,
            on_error=self._on_details_failed,
            label=self.tr("正在加载单位信息…"),
            error_title=self.tr("无法加载单位信息"),
            busy_cursor=False,
            parent=self,
        )

    def _on_details(self, details: UnitDetails) -> None:
        if details.code != self.tree_panel.selected_code():
            return  # the user has moved on; never show a previous selection's data
        self.summary_panel.show_details(details)
        summary = self.summary_panel.summary
        level = summary.unit.level if summary else ""
        self.appointments_panel.set_unit(details.code, level, details.staff, details.appointments)
        self.staff_actions.set_unit(details.code, details.staff)
        self._unit_staff = (details.code, details.staff)
        self.accounts_panel.set_managers(details.code, details.staff)
        count = len(details.appointments)
        tabs = self.summary_panel.tabs
        index = tabs.indexOf(self.appointments_panel)
        tabs.setTabText(index, self.tr("负责人任命（{0} 项待审批）").format(count) if count else self.tr("负责人任命"))

    def open_account(self, account_id: int | None) -> AccountPage | None:
        """Open an account's page in its own window (several may be open side by side)."""
        if account_id is None:
            return None
        return open_account_page(self.db, self.tasks, int(account_id), self, requests=self.request_desk)

    def _on_account_created(self, account_id: int) -> None:
        self.accounts_panel.refresh()
        self.open_account(account_id)

    def _reload_unit(self) -> None:
        self.conflicts_panel.reset()
        self._on_unit_selected(self.tree_panel.selected_code())

    def _sync_accounts_tab(self, _index: int = -1) -> None:
        """Point the accounts and conflicts tabs at the selected unit — only the one shown reads now."""
        current = self.summary_panel.tabs.currentWidget()
        if current is self.accounts_panel:
            self.accounts_panel.set_unit(self.tree_panel.selected_code())
            self.accounts_panel.set_managers(*self._unit_staff)
        elif current is self.conflicts_panel:
            self.conflicts_panel.set_unit(self.tree_panel.selected_code())
        elif current is self.supervision_panel:
            self.supervision_panel.set_unit(self.tree_panel.selected_code())

    def _sync_analysis(self, _index: int = -1) -> None:
        """The analysis, requests and reports pages follow the selected unit while shown (they read nothing while
        hidden)."""
        current = self.pages.currentWidget()
        if current is self.analysis_page:
            self.analysis_page.set_unit(self.tree_panel.selected_code())
        elif current is self.requests_page:
            code = self.tree_panel.selected_code()
            unit = self.tree_panel.model.unit(code) if code else None
            self.requests_page.set_unit(code, unit.name if unit else code)
        elif current is self.reports_page:
            code = self.tree_panel.selected_code()
            unit = self.tree_panel.model.unit(code) if code else None
            self.reports_page.set_unit(code, unit.name if unit else code)
        elif current is self.industry_page:
            self.industry_page.set_unit(self.tree_panel.selected_code())

    def _select_unit(self, code: str) -> None:
        if not self.tree_panel.select_code(code):
            self.statusBar().showMessage(self.tr("在组织树中找不到单位 {0}").format(code), 5000)

    # --- actions -----------------------------------------------------------------------------

    def choose_identity(self, _checked: bool = False) -> None:
        """Pick who works at this desk, from the selected unit's staff (or any employee number)."""
        code, staff = self._unit_staff
        summary = self.tree_panel.model.summary(code) if code else None

        def choose() -> None:
            self.identity.choose(summary.unit.name if summary else "", staff, self)

        if self.reports_page.has_unsaved():  # unsaved report text is saved (as who wrote it) or discarded first
            self.reports_page.leave(choose)
        else:
            choose()

    def _show_identity(self, identity) -> None:
        if identity is None:
            self.status_identity.setText(self.tr('当前身份：<a href="choose">未选择</a>'))
            self.status_identity.setToolTip(self.tr("发起和处理服务请求前，请先选择您的身份"))
        else:
            self.status_identity.setText(
                self.tr('当前身份：<a href="choose">{0}</a>').format(html.escape(identity.label))
            )
            self.status_identity.setToolTip(self.tr("单击切换当前身份"))

    def show_analysis(self, _checked: bool = False) -> None:
        self.pages.setCurrentWidget(self.analysis_page)

    def show_requests(self, _checked: bool = False) -> None:
        self.pages.setCurrentWidget(self.requests_page)

    def show_reports(self, _checked: bool = False) -> None:
        self.pages.setCurrentWidget(self.reports_page)

    def show_industry(self, _checked: bool = False) -> None:
        self.pages.setCurrentWidget(self.industry_page)

    def show_teams(self, _checked: bool = False) -> None:
        self.pages.setCurrentWidget(self.teams_page)

    def _industries_changed(self) -> None:
        """The industry catalogue changed: the industry page reads its choices again (now if it is shown)."""
        self.industry_page.invalidate()
        if self.pages.currentWidget() is self.industry_page:
            self.industry_page.set_unit(self.tree_panel.selected_code())

    def refresh_inbox(self) -> Task:
        """Re-read every unit's requests to act on (after a request action) for the tree's badges."""
        self._inbox_generation += 1
        generation = self._inbox_generation
        db, now = self.db, self.request_desk.now()

        def shown(counts: dict[str, InboxCount]) -> None:
            if generation == self._inbox_generation:  # an older count arriving late is stale
                self.tree_panel.model.set_inbox(counts)

        task = self.tasks.read(
            lambda _progress: load_inbox(db, now),
            on_done=shown,
            on_error=lambda _exc: None,  # badges are a convenience: the next refresh tries again
            busy_cursor=False,
            parent=self,
        )
        self._inbox_task = task
        return task

    def requests_escalated(self, escalations) -> None:
        """Overdue stages were escalated (e.g. by ``ui.escalation.EscalationTimer``): badges and open request
        screens show it."""
        self.refresh_inbox()
        for number in dict.fromkeys(e.number for e in escalations):
            self.request_desk.notify_changed(number)

    def open_account_by_number(self, customer_no: str) -> None:
        """Open an account's page from its customer number (e.g. a request's account link)."""
        db = self.db

        def work(_progress):
            with db.engine.connect() as conn:
                return account_id_of(conn, customer_no=customer_no)

        self.tasks.read(work, on_done=self.open_account, error_title=self.tr("无法打开客户"), parent=self)

    def set_up_red(self, up_red: bool) -> None:
        S.UP_RED.set(self.settings, up_red)
        self.summary_panel.figures_panel.set_up_red(up_red)
        self.analysis_page.set_up_red(up_red)
        self.industry_page.set_up_red(up_red)
        self.teams_page.set_up_red(up_red)

    def open_import_wizard(self, kind: str = KIND_REVENUE, _checked: bool = False) -> ImportWizard:
        model = self.tree_panel.model
        units = {code: unit.name for code in model.codes() if (unit := model.unit(code)) is not None}
        wizard = ImportWizard(
            self.db,
            self.tasks,
            kind=kind,
            units=units,
            demo=not self.status_demo.isHidden(),
            settings=self.settings,
            parent=self,
        )
        wizard.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        wizard.imported.connect(self._on_imported)
        self.import_wizard = wizard
        wizard.open()
        return wizard

    def _on_imported(self, _kind: str) -> None:
        self.refresh()

    def _focus_search(self) -> None:
        self.tree_panel.search.setFocus()
        self.tree_panel.search.selectAll()

    def show_about(self) -> None:
        QMessageBox.about(
            self,
            self.tr("关于 大客户管理控制台"),
            self.tr(
                "<h3>大客户管理控制台 {0}</h3>"
                "<p>电信运营商大客户组织（集团—省—地市三级）的桌面管理控制台。</p>"
                "<p>当前数据库：{1}</p>"
                "<p>界面中文字体在系统缺少中文字体时使用随程序提供的“文泉驿微米黑”"
                "（WenQuanYi Micro Hei，Apache License 2.0）。</p>"
            ).format(__version__, html.escape(self.db.description)),
        )
