"""The desktop app's entry point: ``main(argv)`` parses options, sets up Qt and runs start-up.

``python main.py`` and the ``kam-console`` GUI script both call it. Options:

- ``--db URL``: the database (else ``KAM_DATABASE_URL``, else the embedded default), as for the CLI.
- ``--no-demo-prompt`` (or ``KAM_NO_DEMO_PROMPT=1``): never offer demo data on a first start, for tests
  and automation.

Unrecognised options are passed on to Qt (e.g. ``-platform offscreen``).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from kam_console import __version__
from kam_console.paths import APP_AUTHOR, APP_NAME
from ui.fonts import setup_application_font
from ui.startup import Startup
from ui.tasks import BackgroundTasks

ENV_NO_DEMO_PROMPT = "KAM_NO_DEMO_PROMPT"
# How long to let a running write (e.g. demo data) finish after the last window closed.
SHUTDOWN_WAIT_MS = 60_000


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="kam-console", description="KAM Console 大客户管理控制台")
    parser.add_argument(
        "--db", metavar="URL", help="数据库地址（默认：环境变量 KAM_DATABASE_URL，否则本机嵌入式数据库）"
    )
    parser.add_argument("--no-demo-prompt", action="store_true", help="首次启动时不询问是否加载演示数据")
    parser.add_argument("--version", action="version", version=f"kam-console {__version__}")
    return parser


def _truthy(value: str | None) -> bool:
    return (value or "").strip().lower() in ("1", "true", "yes", "on")


def main(argv: Sequence[str] | None = None) -> int:
    """Run the desktop app; returns the exit status (non-zero if the database could not be opened)."""
    args, qt_args = build_parser().parse_known_args(list(sys.argv[1:] if argv is None else argv))
    app = QApplication.instance() or QApplication([sys.argv[0], *qt_args])
    app.setOrganizationName(APP_AUTHOR)
    app.setApplicationName(APP_NAME)
    app.setApplicationVersion(__version__)
    setup_application_font(app)

    # Until the main window is up, closing a progress or error dialog must not end the event loop early.
    quit_on_close = app.quitOnLastWindowClosed()
    app.setQuitOnLastWindowClosed(False)
    tasks = BackgroundTasks()
    offer_demo = not (args.no_demo_prompt or _truthy(os.environ.get(ENV_NO_DEMO_PROMPT)))
    startup = Startup(tasks, args.db, offer_demo=offer_demo)
    startup.failed.connect(app.exit)
    startup.window_shown.connect(lambda _window: app.setQuitOnLastWindowClosed(True))
    QTimer.singleShot(0, startup.start)
    try:
        status = app.exec()
    finally:
        app.setQuitOnLastWindowClosed(quit_on_close)
        tasks.wait_for_workers(SHUTDOWN_WAIT_MS)
        if startup.opened is not None:
            startup.opened.db.dispose()
    return startup.exit_code or status


if __name__ == "__main__":
    sys.exit(main())
