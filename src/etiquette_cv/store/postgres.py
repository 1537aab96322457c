"""Head office's store: the same schema and behaviour as a branch's SQLite file, in PostgreSQL (psycopg 3).

Branches push their events here (:mod:`.sync`); the head-office report reads it through the same
:class:`~.base.SqlEventStore` interface. The address is a libpq URL (``postgresql://user:pw@host:5432/db``, or
``postgresql:///db?host=/run/postgresql`` for a unix socket); the password never appears in messages.
"""

from __future__ import annotations

from .base import SqlEventStore
from .events import StoreError

CONNECT_TIMEOUT_S = 5
"""How long to wait for an unreachable server before saying so (unless the URL sets ``connect_timeout``)."""
MIGRATION_LOCK = 0x657469717565   # any constant: serialises concurrent first opens of one database
"""The advisory lock key held while migrating, so two processes opening a new database do not both migrate."""


def display_name(url: str) -> str:
    """``url`` without its password (for messages and as a sync target's name)."""
    try:
        from psycopg.conninfo import conninfo_to_dict
        parts = conninfo_to_dict(url)
    except Exception:   # an unparsable URL: show only its scheme
        return url.split("://", 1)[0] + "://…"
    user = f"{parts['user']}@" if parts.get("user") else ""
    host = str(parts.get("host") or "")
    port = f":{parts['port']}" if parts.get("port") else ""
    if host.startswith("/"):
        return f"postgresql://{user}/{parts.get('dbname', '')}?host={host}{port.replace(':', '&port=')}"
    return f"postgresql://{user}{host}{port}/{parts.get('dbname', '')}"


class PostgresEventStore(SqlEventStore):
    """An event store in a PostgreSQL database (tables ``events``, ``schema_version``, ``seq_counter``,
    ``sync_state`` in the connection's default schema)."""

    placeholder = "%s"

    def __init__(self, url: str) -> None:
        try:
            import psycopg
        except ImportError:   # pragma: no cover - psycopg is a dependency
            raise StoreError("PostgreSQL needs psycopg: pip install 'psycopg[binary]'") from None
        name = display_name(url)
        kwargs = {} if "connect_timeout" in url else {"connect_timeout": CONNECT_TIMEOUT_S}
        try:
            conn = psycopg.connect(url, **kwargs)
        except psycopg.Error as exc:
            raise StoreError(f"{name}: cannot connect: {_first_line(exc)}") from None
        try:
            super().__init__(conn, name)
        except psycopg.Error as exc:
            conn.close()
            raise StoreError(f"{name}: cannot prepare the event store: {_first_line(exc)}") from None

    def _migrate(self) -> None:
        cur = self.conn.cursor()
        cur.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK,))   # released by the migration's commit
        super()._migrate()


def _first_line(exc: BaseException) -> str:
    lines = [ln.strip() for ln in str(exc).splitlines() if ln.strip()]
    return lines[0] if lines else type(exc).__name__
