"""Per-user UI settings (window geometry, last selected unit, …), declared once with types and defaults.

They live in an INI file in the per-user data directory (``kam_console.paths.data_dir()``), so
``KAM_DATA_DIR`` isolates tests and portable installs as it does for the database; no registry entries.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, TypeVar

from PySide6.QtCore import QByteArray, QSettings

from kam_console import paths

T = TypeVar("T")
SETTINGS_FILE = "ui-settings.ini"


def app_settings() -> QSettings:
    return QSettings(str(paths.data_dir() / SETTINGS_FILE), QSettings.Format.IniFormat)


@dataclass(frozen=True)
class Setting(Generic[T]):
    key: str
    default: T
    type: type

    def get(self, settings: QSettings) -> T:
        value = settings.value(self.key, self.default, type=self.type)
        if value is None:
            return self.default
        return value

    def set(self, settings: QSettings, value: T) -> None:
        settings.setValue(self.key, value)


MAIN_GEOMETRY: Setting[QByteArray] = Setting("main_window/geometry", QByteArray(), QByteArray)
MAIN_STATE: Setting[QByteArray] = Setting("main_window/state", QByteArray(), QByteArray)
MAIN_SPLITTER: Setting[QByteArray] = Setting("main_window/splitter", QByteArray(), QByteArray)
UNIT_SPLITTER: Setting[QByteArray] = Setting("main_window/unit_splitter", QByteArray(), QByteArray)
LAST_UNIT: Setting[str] = Setting("main_window/last_unit", "", str)
# Databases (URLs without passwords) for which the user declined the first-start demo data offer.
DEMO_DECLINED: Setting[list] = Setting("startup/demo_declined", [], list)
EXPORT_DIR: Setting[str] = Setting("export/last_dir", "", str)
# Rising figures in red and falling in green (Chinese convention); False flips it.
UP_RED: Setting[bool] = Setting("figures/up_red", True, bool)
ANALYSIS_METRIC: Setting[str] = Setting("analysis/metric", "arpu", str)
# The employee working at this desk (service requests are raised and handled as them).
CURRENT_STAFF: Setting[str] = Setting("identity/employee_no", "", str)
