"""The branch's own store: one SQLite file in WAL mode (readers never block the writer; a crash loses at most the
transaction being written)."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

from .base import SqlEventStore
from .events import StoreError


class SqliteEventStore(SqlEventStore):
    """An event store in one SQLite file (created with its folder when missing)."""

    def __init__(self, path: str | Path) -> None:
        path = Path(path)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(str(path), timeout=30.0)
            _wal_mode(conn, 30.0)
            # NORMAL in WAL mode: a committed transaction survives a process crash (kill -9); only an OS crash or
            # power cut can lose the last commits.
            conn.execute("PRAGMA synchronous=NORMAL")
        except (OSError, sqlite3.Error) as exc:
            raise StoreError(f"{path}: cannot open the event store: {exc}") from None
        try:
            super().__init__(conn, str(path))
        except sqlite3.DatabaseError as exc:
            conn.close()
            raise StoreError(f"{path}: not an event store: {exc}") from None

    def _migrate(self) -> None:
        # the write lock first, as the PostgreSQL store takes its advisory lock: two processes opening a new store at
        # once (a camera's ``watch`` and a reader) would both read "no schema" and both create it
        self.conn.execute("BEGIN IMMEDIATE")
        super()._migrate()


def _wal_mode(conn: sqlite3.Connection, timeout_s: float) -> None:
    """Switch the file to WAL, waiting up to ``timeout_s`` while another connection creates the store: SQLite
    answers "database is locked" to a journal-mode change at once, without its busy timeout."""
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.02)
