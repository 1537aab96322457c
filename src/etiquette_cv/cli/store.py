"""``etiquette store push|prune``: send a branch's events to head office; apply the retention period."""

from __future__ import annotations

import time
from typing import Annotated, Optional

import typer

from ..store import StoreError, open_existing_store
from ..store.sync import BATCH, push_url
from .common import console, fail

store_app = typer.Typer(add_completion=False, no_args_is_help=True,
                        help="The event store: push a branch's events to head office, prune old events.")


@store_app.command("push")
def push(
    store: Annotated[str, typer.Argument(help="The branch's store (SQLite file or sqlite:///path).")],
    to: Annotated[str, typer.Option("--to", help="Head office's store, e.g. postgresql://user@host/etiquette.")],
    batch: Annotated[int, typer.Option(min=1, help="Events per head-office transaction.")] = BATCH,
) -> None:
    """Send every event head office has not acknowledged yet (resumes after an outage; never duplicates)."""
    try:
        with open_existing_store(store) as source:
            report = push_url(source, to, batch=batch)
    except StoreError as exc:
        fail(str(exc))
    console.print(f"{report.target}: {report.sent} sent, {report.added} new, up to local #{report.last_seq} "
                  f"in {report.duration_s:.2f} s", highlight=False)


@store_app.command("prune")
def prune(
    store: Annotated[str, typer.Argument(help="The store (SQLite file, sqlite:///path or postgresql://…).")],
    days: Annotated[float, typer.Option("--days", help="Keep events that ended within this many days.")],
    now: Annotated[Optional[float], typer.Option(help="Reference time, seconds since the Unix epoch (default: "
                                                      "now).")] = None,
) -> None:
    """Retention: delete events that ended more than --days days ago (the store holds no images to delete)."""
    if not days >= 0:
        fail(f"--days: expected 0 or more, got {days:g}")
    try:
        with open_existing_store(store) as s:
            n = s.prune(days, now if now is not None else time.time())
    except StoreError as exc:
        fail(str(exc))
    console.print(f"{store}: deleted {n} events that ended more than {days:g} days ago", highlight=False)
