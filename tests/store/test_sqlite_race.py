"""Opening a new SQLite event store from several places at once (store/sqlite.py)."""

from __future__ import annotations

import sqlite3
import threading

from etiquette_cv.store.sqlite import SqliteEventStore


def test_a_new_store_opened_at_once_from_several_places_is_created_once(tmp_path):
    """A camera's ``watch`` and a reader opening a new store together both read "no schema" and both created it
    ("table events already exists", seen in CI's kill -9 test); the migration now holds the write lock first."""
    for k in range(10):
        path = tmp_path / f"s{k}.db"
        errors: list[Exception] = []

        def open_once() -> None:
            try:
                SqliteEventStore(path).conn.close()
            except Exception as exc:   # noqa: BLE001 - any failure is the finding
                errors.append(exc)

        threads = [threading.Thread(target=open_once) for _ in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert errors == []
        with sqlite3.connect(path) as conn:
            assert conn.execute("SELECT COUNT(*) FROM schema_version").fetchone()[0] == 1
