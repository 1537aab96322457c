"""The event store's schema and its migrations, shared by the SQLite and PostgreSQL backends.

Each migration is a list of statements applied in one transaction; ``schema_version`` records the last one applied.
A store written by a newer version than this one is refused rather than guessed at. Times are seconds since the
Unix epoch (UTC) in double precision (microsecond resolution for centuries).
"""

from __future__ import annotations

MIGRATIONS: tuple[tuple[str, ...], ...] = (
    (
        """CREATE TABLE events (
            key TEXT PRIMARY KEY,
            branch TEXT NOT NULL,
            camera TEXT NOT NULL,
            kind TEXT NOT NULL,
            start_epoch_s DOUBLE PRECISION NOT NULL,
            end_epoch_s DOUBLE PRECISION,
            station TEXT,
            person TEXT,
            rule_id TEXT,
            verdict TEXT,
            severity TEXT,
            value DOUBLE PRECISION,
            unit TEXT NOT NULL DEFAULT '',
            payload TEXT NOT NULL DEFAULT '{}',
            stored_epoch_s DOUBLE PRECISION NOT NULL
        )""",
        "CREATE INDEX events_branch_time ON events (branch, start_epoch_s)",
        "CREATE INDEX events_camera_time ON events (camera, start_epoch_s)",
    ),
    (
        # 2: a local sequence number per stored row, so a sync can remember how far each target got. Rows stored
        # before this migration get 0 (a target that never synced gets every row with seq >= 0).
        "ALTER TABLE events ADD COLUMN seq BIGINT",
        "UPDATE events SET seq = 0 WHERE seq IS NULL",
        "CREATE INDEX events_seq ON events (seq)",
        "CREATE TABLE seq_counter (last_seq BIGINT NOT NULL)",
        "INSERT INTO seq_counter (last_seq) VALUES (0)",
        """CREATE TABLE sync_state (
            target TEXT PRIMARY KEY,
            last_seq BIGINT NOT NULL,
            synced_epoch_s DOUBLE PRECISION NOT NULL
        )""",
    ),
)

COLUMNS = ("key", "branch", "camera", "kind", "start_epoch_s", "end_epoch_s", "station", "person", "rule_id",
           "verdict", "severity", "value", "unit", "payload", "stored_epoch_s")
SEQ_COLUMN = "seq"
"""Not in :data:`COLUMNS` (which :class:`StoredEvent` mirrors): the local order rows were stored in (migration 2),
strictly increasing across :meth:`add` calls; what a sync pushes past."""
SCHEMA_VERSION = len(MIGRATIONS)
