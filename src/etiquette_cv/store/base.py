"""The store's behaviour over any DB-API connection: migrations, idempotent inserts, queries, retention.

The backends (:mod:`.sqlite`, and PostgreSQL for head office) differ only in how they connect, their parameter
placeholder and their "insert unless the key exists" clause; everything else is here.
"""

from __future__ import annotations

import json
import time
from typing import Any, Iterable, Sequence

from .events import StoredEvent, StoreError
from .schema import COLUMNS, MIGRATIONS, SCHEMA_VERSION, SEQ_COLUMN


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
            self._rollback()
            raise StoreError(f"{self.name}: the store's schema is version {version}, newer than this program's "
                             f"{SCHEMA_VERSION}: upgrade etiquette-cv")
        for number in range(version, SCHEMA_VERSION):
            for statement in MIGRATIONS[number]:
                cur.execute(statement)
            cur.execute(f"UPDATE schema_version SET version = {self.placeholder}", (number + 1,))
        self.conn.commit()

    def _rollback(self) -> None:
        """Roll back after a failure; a connection that is already lost has nothing to roll back."""
        try:
            self.conn.rollback()
        except Exception:
            pass

    @property
    def schema_version(self) -> int:
        """The schema version the store is at."""
        cur = self.conn.cursor()
        cur.execute("SELECT version FROM schema_version")
        return int(cur.fetchone()[0])

    # --- writing ------------------------------------------------------------------------------------------------
    def add(self, events: Iterable[StoredEvent]) -> int:
        """Store ``events`` in one transaction; an event whose key is already stored is skipped. Returns how many
        were new. Each row gets the next local sequence numbers (what :mod:`.sync` pushes past)."""
        rows = [self._row(e) for e in events]
        if not rows:
            return 0
        cur = self.conn.cursor()
        try:
            added = self._insert(cur, rows)
            self.conn.commit()
        except Exception as exc:
            self._rollback()
            raise StoreError(f"{self.name}: could not store {len(rows)} events: {_one_line(exc)}") from None
        return added

    def replace(self, events: Iterable[StoredEvent], *, branch: str, camera: str, start_epoch_s: float,
                end_epoch_s: float, kinds: Sequence[str] = ("finding", "visit", "state")) -> tuple[int, int]:
        """Re-grading: in one transaction, delete ``branch``/``camera``'s events of ``kinds`` that start in
        ``[start_epoch_s, end_epoch_s]`` and store ``events``. Returns (deleted, stored). Coverage and gaps are
        kept unless named in ``kinds``."""
        rows = [self._row(e) for e in events]
        p = self.placeholder
        cur = self.conn.cursor()
        try:
            cur.execute(f"DELETE FROM events WHERE branch = {p} AND camera = {p} AND start_epoch_s >= {p} AND "
                        f"start_epoch_s <= {p} AND kind IN ({', '.join([p] * len(kinds))})",
                        (branch, camera, start_epoch_s, end_epoch_s, *kinds))
            deleted = int(cur.rowcount)
            added = self._insert(cur, rows) if rows else 0
            self.conn.commit()
        except Exception as exc:
            self._rollback()
            raise StoreError(f"{self.name}: could not replace the events of {branch}/{camera}: {_one_line(exc)}") \
                from None
        return deleted, added

    def _insert(self, cur: Any, rows: list[tuple]) -> int:
        """Insert ``rows`` (unless their key is stored) with the next sequence numbers, inside the caller's
        transaction; returns how many were new."""
        cols = (*COLUMNS, SEQ_COLUMN)
        sql = self.insert_ignore.format(cols=", ".join(cols), vals=", ".join([self.placeholder] * len(cols)))
        # the counter's row is locked first (SQLite: the write lock; PostgreSQL: the row lock), so sequence
        # numbers rise in commit order even with a second writer
        cur.execute(f"UPDATE seq_counter SET last_seq = last_seq + {self.placeholder}", (len(rows),))
        cur.execute("SELECT last_seq FROM seq_counter")
        first = int(cur.fetchone()[0]) - len(rows) + 1
        cur.executemany(sql, [(*r, first + i) for i, r in enumerate(rows)])
        return int(cur.rowcount)  # rows really inserted: a skipped duplicate counts 0

    @staticmethod
    def _row(e: StoredEvent) -> tuple:
        return (e.key, e.branch, e.camera, e.kind, e.start_epoch_s, e.end_epoch_s, e.station, e.person, e.rule_id,
                e.verdict, e.severity, e.value, e.unit, json.dumps(e.payload, ensure_ascii=False, sort_keys=True),
                time.time())

    def delete_before(self, epoch_s: float) -> int:
        """Retention: delete events that ended (or, without an end, started) before ``epoch_s``; returns how many."""
        p = self.placeholder
        cur = self.conn.cursor()
        try:
            cur.execute(f"DELETE FROM events WHERE COALESCE(end_epoch_s, start_epoch_s) < {p}", (epoch_s,))
            n = cur.rowcount
            self.conn.commit()
        except Exception as exc:
            self._rollback()
            raise StoreError(f"{self.name}: could not delete old events: {_one_line(exc)}") from None
        return int(n)

    def prune(self, days: float, now_epoch_s: float | None = None) -> int:
        """Retention: delete events that ended more than ``days`` days (of 86 400 s) before ``now_epoch_s`` (default:
        now); returns how many."""
        if not days >= 0:
            raise StoreError(f"retention must be 0 days or more, not {days}")
        now = time.time() if now_epoch_s is None else now_epoch_s
        return self.delete_before(now - days * 86400.0)

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
        return [self._event(r) for r in self._query(sql, args)]

    def _query(self, sql: str, args: Sequence[Any] = ()) -> list[tuple]:
        cur = self.conn.cursor()
        try:
            cur.execute(sql, args)
            rows = cur.fetchall()
            self.conn.commit()   # end the read transaction (PostgreSQL would otherwise hold it open)
        except Exception as exc:
            self._rollback()
            raise StoreError(f"{self.name}: query failed: {_one_line(exc)}") from None
        return rows

    @staticmethod
    def _event(r: Sequence[Any]) -> StoredEvent:
        return StoredEvent(key=r[0], branch=r[1], camera=r[2], kind=r[3], start_epoch_s=r[4], end_epoch_s=r[5],
                           station=r[6], person=r[7], rule_id=r[8], verdict=r[9], severity=r[10], value=r[11],
                           unit=r[12], payload=json.loads(r[13]))

    def branches(self) -> list[str]:
        """The branch names the store holds events of, sorted."""
        return [r[0] for r in self._query("SELECT DISTINCT branch FROM events ORDER BY branch")]

    def count(self) -> int:
        """How many events the store holds."""
        return int(self._query("SELECT COUNT(*) FROM events")[0][0])

    # --- sync bookkeeping (see :mod:`.sync`) ------------------------------------------------------------------
    def events_after(self, seq: int, limit: int) -> list[tuple[int, StoredEvent]]:
        """Up to ``limit`` events stored after local sequence number ``seq``, in storing order, with their
        sequence numbers."""
        p = self.placeholder
        rows = self._query(f"SELECT {', '.join(COLUMNS[:-1])}, {SEQ_COLUMN} FROM events WHERE {SEQ_COLUMN} > {p} "
                           f"ORDER BY {SEQ_COLUMN} LIMIT {p}", (seq, limit))
        return [(int(r[-1]), self._event(r)) for r in rows]

    def sync_mark(self, target: str) -> int:
        """The last local sequence number known to be stored at ``target`` (-1: never synced)."""
        rows = self._query(f"SELECT last_seq FROM sync_state WHERE target = {self.placeholder}", (target,))
        return int(rows[0][0]) if rows else -1

    def set_sync_mark(self, target: str, seq: int) -> None:
        """Record that every local event up to sequence number ``seq`` is stored at ``target``."""
        p = self.placeholder
        cur = self.conn.cursor()
        try:
            cur.execute(f"INSERT INTO sync_state (target, last_seq, synced_epoch_s) VALUES ({p}, {p}, {p}) "
                        "ON CONFLICT (target) DO UPDATE SET last_seq = excluded.last_seq, "
                        "synced_epoch_s = excluded.synced_epoch_s", (target, seq, time.time()))
            self.conn.commit()
        except Exception as exc:
            self._rollback()
            raise StoreError(f"{self.name}: could not record the sync mark of {target}: {_one_line(exc)}") from None

    def close(self) -> None:
        """Close the connection (committed events are safe)."""
        self.conn.close()

    def __enter__(self) -> "SqlEventStore":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _one_line(exc: BaseException) -> str:
    """The first non-empty line of an exception's message (drivers add hints and context lines)."""
    lines = [ln.strip() for ln in str(exc).splitlines() if ln.strip()]
    return lines[0] if lines else type(exc).__name__
