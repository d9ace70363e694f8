"""KAM Console core: domain model, storage, services, reports and CLI. Never imports Qt."""

__version__ = "0.1.0"
