"""The store's behaviour over any DB-API connection: migrations, idempotent inserts, queries, retention.

The backends (:mod:`.sqlite`, and PostgreSQL for head office) differ only in how they connect, their parameter
placeholder and their "insert unless the key exists" clause; everything else is here.
"""

from __future__ import annotations

import json
import time
from typing import Any, Iterable, Sequence

from .events import StoredEvent, StoreError
from .schema import COLUMNS, MIGRATIONS, SCHEMA_VERSION


class SqlEventStore:
    """An event store over one DB-API connection. One writer per store file or database schema is assumed; every
    :meth:`add` is one transaction, so a crash loses at most the batch being written."""

    placeholder = "?"
    insert_ignore = "INSERT INTO events ({cols}) VALUES ({vals}) ON CONFLICT (key) DO NOTHING"

    def __init__(self, connection: Any, name: str) -> None:
        self.conn = connection
        self.name = name
        self._migrate()

    # --- schema -------------------------------------------------------------------------------------------------
    def _migrate(self) -> None:
        cur = self.conn.cursor()
        cur.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
        cur.execute("SELECT version FROM schema_version")
        row = cur.fetchone()
        version = 0 if row is None else int(row[0])
        if row is None:
            cur.execute(f"INSERT INTO schema_version (version) VALUES ({self.placeholder})", (0,))
        if version > SCHEMA_VERSION:
            self.conn.rollback()
            raise StoreError(f"{self.name}: the store's schema is version {version}, newer than this program's "
                             f"{SCHEMA_VERSION}: upgrade etiquette-cv")
        for number in range(version, SCHEMA_VERSION):
            for statement in MIGRATIONS[number]:
                cur.execute(statement)
            cur.execute(f"UPDATE schema_version SET version = {self.placeholder}", (number + 1,))
        self.conn.commit()

    @property
    def schema_version(self) -> int:
        """The schema version the store is at."""
        cur = self.conn.cursor()
        cur.execute("SELECT version FROM schema_version")
        return int(cur.fetchone()[0])

    # --- writing ------------------------------------------------------------------------------------------------
    def add(self, events: Iterable[StoredEvent]) -> int:
        """Store ``events`` in one transaction; an event whose key is already stored is skipped. Returns how many
        were new."""
        rows = [self._row(e) for e in events]
        if not rows:
            return 0
        sql = self.insert_ignore.format(cols=", ".join(COLUMNS), vals=", ".join([self.placeholder] * len(COLUMNS)))
        cur = self.conn.cursor()
        try:
            cur.executemany(sql, rows)
            added = int(cur.rowcount)  # rows really inserted: a skipped duplicate counts 0
            self.conn.commit()
        except Exception as exc:
            self.conn.rollback()
            raise StoreError(f"{self.name}: could not store {len(rows)} events: {exc}") from None
        return added

    @staticmethod
    def _row(e: StoredEvent) -> tuple:
        return (e.key, e.branch, e.camera, e.kind, e.start_epoch_s, e.end_epoch_s, e.station, e.person, e.rule_id,
                e.verdict, e.severity, e.value, e.unit, json.dumps(e.payload, ensure_ascii=False, sort_keys=True),
                time.time())

    def delete_before(self, epoch_s: float) -> int:
        """Retention: delete events that ended (or, without an end, started) before ``epoch_s``; returns how many."""
        p = self.placeholder
        cur = self.conn.cursor()
        cur.execute(f"DELETE FROM events WHERE COALESCE(end_epoch_s, start_epoch_s) < {p}", (epoch_s,))
        n = cur.rowcount
        self.conn.commit()
        return int(n)

    # --- reading ------------------------------------------------------------------------------------------------
    def events(self, *, branch: str | None = None, camera: str | None = None, kinds: Sequence[str] | None = None,
               start_epoch_s: float | None = None, end_epoch_s: float | None = None) -> list[StoredEvent]:
        """Stored events that match every given filter, in time order. The time filter keeps events that overlap
        ``[start_epoch_s, end_epoch_s)``."""
        p = self.placeholder
        where, args = [], []
        for col, val in (("branch", branch), ("camera", camera)):
            if val is not None:
                where.append(f"{col} = {p}")
                args.append(val)
        if kinds:
            where.append(f"kind IN ({', '.join([p] * len(kinds))})")
            args.extend(kinds)
        if start_epoch_s is not None:
            where.append(f"COALESCE(end_epoch_s, start_epoch_s) >= {p}")
            args.append(start_epoch_s)
        if end_epoch_s is not None:
            where.append(f"start_epoch_s < {p}")
            args.append(end_epoch_s)
        sql = f"SELECT {', '.join(COLUMNS[:-1])} FROM events"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY start_epoch_s, key"
        cur = self.conn.cursor()
        cur.execute(sql, args)
        return [StoredEvent(key=r[0], branch=r[1], camera=r[2], kind=r[3], start_epoch_s=r[4], end_epoch_s=r[5],
                            station=r[6], person=r[7], rule_id=r[8], verdict=r[9], severity=r[10], value=r[11],
                            unit=r[12], payload=json.loads(r[13])) for r in cur.fetchall()]

    def close(self) -> None:
        """Close the connection (committed events are safe)."""
        self.conn.close()

    def __enter__(self) -> "SqlEventStore":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
