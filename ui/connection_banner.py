"""A banner across the top of the window when the database cannot be reached: what happened, in
Chinese, and a 重试 button. It replaces a blocking dialog for errors that are expected to pass (a
server restart, a dropped VPN), so the window stays usable and the user decides when to retry."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QWidget

from kam_console.errors import DatabaseUnavailable


def is_connection_problem(exc: BaseException) -> bool:
    """A lost or refused connection (as opposed to a bug or bad data)."""
    if isinstance(exc, DatabaseUnavailable):
        return True
    name = type(exc).__name__
    text = str(exc).lower()
    return name in ("OperationalError", "InterfaceError") and any(
        word in text for word in ("connect", "server closed", "terminating connection", "connection")
    )


class ConnectionBanner(QFrame):
    retry = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("connectionBanner")
        self.setStyleSheet(
            "#connectionBanner { background: #fdecea; border: 1px solid #e0a8a3; }"
            "#connectionBanner QLabel { color: #8a1c13; }"
        )
        self.message = QLabel(self)
        self.message.setWordWrap(True)
        self.button = QPushButton(self.tr("重试"), self)
        self.button.clicked.connect(self.retry)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(10, 6, 10, 6)
        layout.addWidget(self.message, 1)
        layout.addWidget(self.button)
        self.hide()

    def show_problem(self, exc: BaseException) -> None:
        detail = getattr(exc, "zh", None) or str(exc).splitlines()[0]
        self.message.setText(self.tr("与数据库的连接中断：{0}　数据未丢失，恢复后点“重试”。").format(detail))
        self.show()
