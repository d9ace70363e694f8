"""Typed errors raised by core services; each carries a user-readable message, Chinese first."""


class KamError(Exception):
    """Base of every error a user may see. `str(err)` is the Chinese / English message."""

    def __init__(self, zh: str, en: str = ""):
        self.zh = zh
        self.en = en
        super().__init__(f"{zh}（{en}）" if en else zh)


class DatabaseUnavailable(KamError):
    """The database cannot be reached, opened or authenticated against."""


class NotADatabase(KamError):
    """The file given as the embedded database is not a SQLite database."""


class SchemaTooNew(KamError):
    """The database was migrated by a newer version of KAM Console."""


class MigrationFailed(KamError):
    """A schema migration did not complete; the backup is named in the message."""


class RealDataPresent(KamError):
    """An operation that would overwrite real (non-demo) data was refused."""


class NotFound(KamError):
    """A code or number names nothing in the database."""


class ValidationError(KamError):
    """Input breaks a business rule."""
