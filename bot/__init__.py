"""briefbot: the application around the summariser (ingest, store, scheduling, chat adapters)."""

__version__ = "0.1.0"
