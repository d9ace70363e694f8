"""Where things live: the per-user data directory and the files the app ships.

The data directory comes from platformdirs, overridable with ``KAM_DATA_DIR`` (tests, portable
installs). Shipped files (resources/, migrations/) are found relative to the installed tree, or inside
a frozen (PyInstaller) bundle.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import platformdirs

APP_NAME = "KAMConsole"
APP_AUTHOR = "KAM"


def app_root() -> Path:
    """The directory that holds kam_console/, ui/, resources/ and migrations/."""
    frozen_root = getattr(sys, "_MEIPASS", None)
    if frozen_root:
        return Path(frozen_root)
    return Path(__file__).resolve().parent.parent


def resource_path(*parts: str) -> Path:
    return app_root().joinpath("resources", *parts)


def migrations_dir() -> Path:
    return app_root() / "migrations"


def data_dir() -> Path:
    override = os.environ.get("KAM_DATA_DIR")
    path = Path(override) if override else Path(platformdirs.user_data_dir(APP_NAME, APP_AUTHOR))
    path.mkdir(parents=True, exist_ok=True)
    return path


def default_database_path() -> Path:
    return data_dir() / "kam.sqlite3"
