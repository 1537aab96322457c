"""The event store: every visit, finding, state stretch and coverage gap, committed as it happens.

``open_store("branch.db")`` (or ``sqlite:///branch.db``) opens a branch's SQLite file; ``postgresql://…`` opens
head office's PostgreSQL through the same interface. Writing the same event twice stores it once (idempotent keys),
so a restarted watcher or a repeated sync double-counts nothing.
"""

from __future__ import annotations

from pathlib import Path

from .base import SqlEventStore
from .events import KINDS, StoredEvent, StoreError, event_key, events_from_review, span_event
from .sqlite import SqliteEventStore

__all__ = ["KINDS", "SqlEventStore", "SqliteEventStore", "StoredEvent", "StoreError", "event_key",
           "events_from_review", "open_store", "span_event"]


def open_store(url: str | Path) -> SqlEventStore:
    """The event store at ``url``: a file path or ``sqlite:///path`` (SQLite), or ``postgresql://…``."""
    text = str(url)
    if text.startswith(("postgresql://", "postgres://")):
        from .postgres import PostgresEventStore  # psycopg is needed only for head office

        return PostgresEventStore(text)
    if text.startswith("sqlite:///"):
        text = text[len("sqlite:///"):]
    elif "://" in text:
        raise StoreError(f"{text}: unknown store address (use a file path, sqlite:///path or postgresql://...)")
    return SqliteEventStore(text)
