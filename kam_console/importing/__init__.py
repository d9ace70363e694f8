"""Imports of staff, accounts and revenue from CSV (UTF-8, UTF-8 with BOM, GBK) or XLSX files."""

from kam_console.importing.importers import (
    ACCOUNT_COLUMNS,
    REVENUE_COLUMNS,
    STAFF_COLUMNS,
    ImportResult,
    import_accounts,
    import_revenue,
    import_staff,
)
from kam_console.importing.preview import ImportPreview, preview_import, suggest_mapping
from kam_console.importing.reader import ImportIssue, ImportRejected, Table, read_table

__all__ = [
    "ACCOUNT_COLUMNS",
    "REVENUE_COLUMNS",
    "STAFF_COLUMNS",
    "ImportIssue",
    "ImportPreview",
    "ImportRejected",
    "ImportResult",
    "Table",
    "import_accounts",
    "import_revenue",
    "import_staff",
    "preview_import",
    "suggest_mapping",
    "read_table",
]
