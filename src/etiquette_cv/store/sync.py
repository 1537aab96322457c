"""Branch → head office: push a branch store's events to another store (head office's PostgreSQL) when it is
reachable, and catch up after an outage without duplicates.

The branch store remembers, per target, the last local sequence number the target is known to hold
(``sync_state``). A push sends the events stored after it in batches; each batch is one transaction at the target
and is recorded at the branch only after that commit. A push cut off between the two re-sends one batch, which the
target's idempotent keys store once; a target that was down is simply caught up next time.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from .base import SqlEventStore
from .events import StoreError

BATCH = 2000
"""Events per target transaction."""


@dataclass(frozen=True)
class PushReport:
    """What one push did."""

    target: str
    sent: int
    """Events sent (including ones the target already had)."""
    added: int
    """Events the target did not have before."""
    last_seq: int
    """The branch's sequence number the target now holds everything up to."""
    duration_s: float


def push(source: SqlEventStore, target: SqlEventStore, *, target_name: str | None = None,
         batch: int = BATCH) -> PushReport:
    """Send every event of ``source`` the target has not acknowledged yet, ``batch`` events per transaction.
    Raises :class:`StoreError` (one line, naming the target) if the target fails mid-way; what was acknowledged
    before stays recorded, so the next push resumes there."""
    if batch < 1:
        raise ValueError("batch must be at least 1")
    name = target_name or target.name
    t0 = time.perf_counter()
    mark = source.sync_mark(name)
    sent = added = 0
    while True:
        rows = source.events_after(mark, batch)
        if not rows:
            break
        try:
            added += target.add([e for _, e in rows])
        except StoreError as exc:
            raise StoreError(f"push to {name} stopped after {sent} events (resumes from there): {exc}") from None
        mark = rows[-1][0]
        source.set_sync_mark(name, mark)
        sent += len(rows)
    return PushReport(name, sent, added, mark, time.perf_counter() - t0)


def push_url(source: SqlEventStore, target_url: str, *, batch: int = BATCH) -> PushReport:
    """:func:`push` to the store at ``target_url`` (opened and closed here). An unreachable target raises
    :class:`StoreError` before anything is sent; nothing at the branch changes."""
    from . import open_store

    with open_store(target_url) as target:
        return push(source, target, batch=batch)
