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
)

COLUMNS = ("key", "branch", "camera", "kind", "start_epoch_s", "end_epoch_s", "station", "person", "rule_id",
           "verdict", "severity", "value", "unit", "payload", "stored_epoch_s")
SCHEMA_VERSION = len(MIGRATIONS)
