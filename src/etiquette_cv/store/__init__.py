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
           "events_from_review", "open_existing_store", "open_store", "span_event"]


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


def open_existing_store(url: str | Path) -> SqlEventStore:
    """Like :func:`open_store`, but a SQLite file that does not exist is an error instead of a new empty store
    (for commands that read a store: a mistyped path must not look like an empty day)."""
    text = str(url)
    if "://" not in text or text.startswith("sqlite:///"):
        path = Path(text[len("sqlite:///"):] if text.startswith("sqlite:///") else text)
        if not path.is_file():
            raise StoreError(f"{path}: no such store")
    return open_store(url)
