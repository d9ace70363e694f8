"""The accounts list as a Qt table model: ``AccountTableModel`` pages through kam_console's accounts list.

Owns the list's columns, their Chinese headers and how each cell reads (labels for codes, money in
yuan), and the paging: the model keeps the rows loaded so far and the cursor after them;
``canFetchMore``/``fetchMore`` load the next page through an injected fetcher
(``fetch(query, after) -> AccountPage``, see ``database_fetcher``); ``sort`` and ``set_query`` start
again from the first page, so sorting and filtering run in the database, never in a proxy over
everything already loaded.

A page takes a millisecond or two at 200,000 accounts on the embedded database, but a server can be
slow or gone, so the window passes a ``run`` callable (``ui.tasks`` underneath, see
``UnitAccountsPanel``) and pages are read on a worker thread; without one (tests, benchmarks) they are
read in place. Asking for a page (``_request_page``) and taking it in (``_receive_page``) are separate
steps, and a page that arrives for an older query is dropped, so a slow page never lands in a newer list.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace

from PySide6.QtCore import (
    QT_TRANSLATE_NOOP,
    QAbstractTableModel,
    QCoreApplication,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    Signal,
)

from kam_console.db import Database
from kam_console.errors import KamError
from kam_console.models import ACCOUNT_LEVEL_LABELS, ACCOUNT_LEVELS, ACCOUNT_STATUS_LABELS, ACCOUNT_STATUSES
from kam_console.money import format_yuan
from kam_console.services.accounts import AccountPage, AccountQuery, AccountRow, Cursor, list_accounts

log = logging.getLogger(__name__)

Fetcher = Callable[[AccountQuery, Cursor | None], AccountPage]
#: run(work, on_done, on_error): run ``work()`` elsewhere and call back on the GUI thread
Runner = Callable[[Callable[[], AccountPage], Callable[[AccountPage], None], Callable[[BaseException], None]], None]

(
    COL_CUSTOMER_NO,
    COL_NAME,
    COL_LEVEL,
    COL_INDUSTRY,
    COL_OWNER_UNIT,
    COL_SERVING_CITY,
    COL_MANAGER,
    COL_STATUS,
    COL_REVENUE,
) = range(9)
COLUMN_COUNT = 9

_CONTEXT = "AccountTableModel"
HEADERS = (
    QT_TRANSLATE_NOOP("AccountTableModel", "客户编号"),
    QT_TRANSLATE_NOOP("AccountTableModel", "客户名称"),
    QT_TRANSLATE_NOOP("AccountTableModel", "级别"),
    QT_TRANSLATE_NOOP("AccountTableModel", "行业"),
    QT_TRANSLATE_NOOP("AccountTableModel", "归属单位"),
    QT_TRANSLATE_NOOP("AccountTableModel", "服务地市"),
    QT_TRANSLATE_NOOP("AccountTableModel", "负责客户经理"),
    QT_TRANSLATE_NOOP("AccountTableModel", "状态"),
    QT_TRANSLATE_NOOP("AccountTableModel", "最新月收入（元）"),  # until a page says which month it is
)
REVENUE_OF_MONTH = QT_TRANSLATE_NOOP("AccountTableModel", "{0}收入（元）")  # {0}: the month, as 2026-10
UNASSIGNED = QT_TRANSLATE_NOOP("AccountTableModel", "未分配")

# The service's sort for each column; the owning unit has none (the list is not ordered by owner).
SORT_OF_COLUMN = {
    COL_CUSTOMER_NO: "customer_no",
    COL_NAME: "name",
    COL_LEVEL: "level",
    COL_INDUSTRY: "industry",
    COL_SERVING_CITY: "city",
    COL_MANAGER: "manager",
    COL_STATUS: "status",
    COL_REVENUE: "revenue",
}
COLUMN_OF_SORT = {sort: column for column, sort in SORT_OF_COLUMN.items()}

SortRole = Qt.ItemDataRole.UserRole + 1  # the raw value: codes, integer fen, employee numbers
IdRole = Qt.ItemDataRole.UserRole + 2  # the account's id

_ROOT = QModelIndex()  # the invalid index: the table's (only) parent
_RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
_LEFT = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter


def _tr(text: str) -> str:
    return QCoreApplication.translate(_CONTEXT, text)


def revenue_header(month: int | None) -> str:
    """The revenue column's header: the month its figures are of (2026-10收入（元）), or 最新月收入（元）."""
    if not month:
        return _tr(HEADERS[COL_REVENUE])
    return _tr(REVENUE_OF_MONTH).format(f"{month // 100}-{month % 100:02d}")


def database_fetcher(db: Database, *, page_size: int = 200) -> Fetcher:
    """A fetcher reading pages from ``db``, one short read-only connection per page."""

    def fetch(query: AccountQuery, after: Cursor | None) -> AccountPage:
        with db.engine.connect() as conn:
            return list_accounts(conn, query, after=after, limit=page_size)

    return fetch


class AccountTableModel(QAbstractTableModel):
    """Accounts, one per row, loaded a page at a time. Read-only."""

    loadFailed = Signal(str)  # a page could not be read; the message is for people (Chinese first)

    def __init__(
        self,
        fetch: Fetcher,
        query: AccountQuery | None = None,
        parent: QObject | None = None,
        *,
        run: Runner | None = None,
    ) -> None:
        super().__init__(parent)
        self._fetch = fetch
        self._run = run
        self._query = query or AccountQuery()
        self._rows: list[AccountRow] = []
        self._cursor: Cursor | None = None
        self._exhausted = False
        self._loading = False
        self._generation = 0  # bumped whenever the list starts again; older pages are dropped
        self._month: int | None = None
        self.last_error: Exception | None = None

    # --- the query ----------------------------------------------------------------------------

    @property
    def query(self) -> AccountQuery:
        return self._query

    @property
    def month(self) -> int | None:
        """The month (YYYYMM) whose revenue the revenue column shows (and its header names), once a page
        has been read."""
        return self._month

    def set_query(self, query: AccountQuery) -> None:
        """Show another list (scope, filters, search or sort): start again from its first page."""
        self.beginResetModel()
        self._query = query
        self._rows = []
        self._cursor = None
        self._exhausted = False
        self._loading = False
        self._generation += 1
        self.last_error = None
        self.endResetModel()
        self.fetchMore(QModelIndex())

    def refresh(self) -> None:
        """Read the same list again from the database (e.g. after an import changed accounts)."""
        self.set_query(self._query)

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        """Re-run the list from its first page in the column's order (the owning unit is not sortable).
        Asking for the order the query already has changes nothing, loaded or not: views repeat their
        sort indicator's order when sorting is switched on, and that must neither re-read the list nor
        override the query's order (``refresh`` reads it again)."""
        sort = SORT_OF_COLUMN.get(column)
        if sort is None:
            return
        descending = order == Qt.SortOrder.DescendingOrder
        if (sort, descending) != (self._query.sort, self._query.descending):
            self.set_query(replace(self._query, sort=sort, descending=descending))

    def sort_column(self) -> int:
        return COLUMN_OF_SORT[self._query.sort]

    def sort_order(self) -> Qt.SortOrder:
        return Qt.SortOrder.DescendingOrder if self._query.descending else Qt.SortOrder.AscendingOrder

    # --- paging -------------------------------------------------------------------------------

    def canFetchMore(self, parent: QModelIndex | QPersistentModelIndex = _ROOT) -> bool:
        return not parent.isValid() and not self._exhausted and not self._loading

    def fetchMore(self, parent: QModelIndex | QPersistentModelIndex = _ROOT) -> None:
        if self.canFetchMore(parent):
            self._request_page()

    def fetch_all(self) -> None:
        """Load every remaining page in place (exports, benchmarks); views should rely on ``fetchMore``."""
        while not self._exhausted:
            if self._loading:  # a page is on its way from a worker: read on from where it will end
                self._generation += 1
                self._loading = False
            self._request_page(in_place=True)

    def is_loading(self) -> bool:
        return self._loading

    def _request_page(self, *, in_place: bool = False) -> None:
        self._loading = True
        generation, query, cursor = self._generation, self._query, self._cursor
        if self._run is not None and not in_place:
            fetch = self._fetch
            self._run(
                lambda: fetch(query, cursor),
                lambda page: self._receive_page(generation, page),
                lambda exc: self._fail(generation, exc),
            )
            return
        try:
            page = self._fetch(query, cursor)
        except Exception as exc:  # noqa: BLE001 - views call fetchMore while painting: report, never raise
            self._fail(generation, exc)
            return
        self._receive_page(generation, page)

    def _receive_page(self, generation: int, page: AccountPage) -> None:
        if generation != self._generation:
            return
        self._loading = False
        self._cursor = page.next_cursor
        self._exhausted = page.next_cursor is None
        if page.month != self._month:
            self._month = page.month
            self.headerDataChanged.emit(Qt.Orientation.Horizontal, COL_REVENUE, COL_REVENUE)
        if page.rows:
            first = len(self._rows)
            self.beginInsertRows(QModelIndex(), first, first + len(page.rows) - 1)
            self._rows.extend(page.rows)
            self.endInsertRows()

    def _fail(self, generation: int, exc: BaseException) -> None:
        if generation != self._generation:
            return
        log.error("reading the accounts list failed", exc_info=exc)
        self._loading = False
        self._exhausted = True  # don't retry on every paint; refresh() tries again
        self.last_error = exc
        message = exc.zh if isinstance(exc, KamError) else _tr("读取客户列表失败：{0}").format(exc)
        self.loadFailed.emit(message)

    # --- what the view reads --------------------------------------------------------------------

    def row_at(self, row: int) -> AccountRow | None:
        return self._rows[row] if 0 <= row < len(self._rows) else None

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = _ROOT) -> int:
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = _ROOT) -> int:
        return 0 if parent.isValid() else COLUMN_COUNT

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole):
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < COLUMN_COUNT:
            return super().headerData(section, orientation, role)
        if role == Qt.ItemDataRole.DisplayRole:
            return revenue_header(self._month) if section == COL_REVENUE else _tr(HEADERS[section])
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return int(_RIGHT if section == COL_REVENUE else _LEFT)
        if role == Qt.ItemDataRole.ToolTipRole and section == COL_REVENUE and self._month:
            return _tr("{0}年{1:02d}月的收入").format(self._month // 100, self._month % 100)
        return None

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        row = self._rows[index.row()]
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self._display(row, column)
        if role == SortRole:
            return self._raw(row, column)
        if role == IdRole:
            return row.id
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return int(_RIGHT if column == COL_REVENUE else _LEFT)
        if role == Qt.ItemDataRole.ToolTipRole:
            if column == COL_NAME:
                return row.name
            if column == COL_MANAGER and row.manager_no:
                return _tr("工号：{0}").format(row.manager_no)
        return None

    def _display(self, row: AccountRow, column: int) -> str:
        if column == COL_CUSTOMER_NO:
            return row.customer_no
        if column == COL_NAME:
            return row.name
        if column == COL_LEVEL:
            return ACCOUNT_LEVEL_LABELS.get(row.level, row.level)
        if column == COL_INDUSTRY:
            return row.industry
        if column == COL_OWNER_UNIT:
            return row.owner_unit
        if column == COL_SERVING_CITY:
            return row.serving_city
        if column == COL_MANAGER:
            return row.manager if row.manager is not None else _tr(UNASSIGNED)
        if column == COL_STATUS:
            return ACCOUNT_STATUS_LABELS.get(row.status, row.status)
        if column == COL_REVENUE:
            return format_yuan(row.revenue_fen)
        return ""

    @staticmethod
    def _raw(row: AccountRow, column: int):
        """The unformatted value (codes, integer fen, employee numbers); level and status as their rank in
        business order, the order the list sorts them in."""
        if column == COL_LEVEL:
            return ACCOUNT_LEVELS.index(row.level) if row.level in ACCOUNT_LEVELS else len(ACCOUNT_LEVELS)
        if column == COL_STATUS:
            return ACCOUNT_STATUSES.index(row.status) if row.status in ACCOUNT_STATUSES else len(ACCOUNT_STATUSES)
        return {
            COL_CUSTOMER_NO: row.customer_no,
            COL_NAME: row.name,
            COL_INDUSTRY: row.industry_code,
            COL_OWNER_UNIT: row.owner_unit,
            COL_SERVING_CITY: row.serving_city_code,
            COL_MANAGER: row.manager_no or "",
            COL_REVENUE: row.revenue_fen,
        }.get(column)
