"""``etiquette daily`` and ``etiquette headoffice``: one day's reports from the event store."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from ..report.daily import DailyError, daily_report
from ..report.daily_out import write_daily
from ..report.headoffice import fleet_report, write_fleet
from ..rules.rulebook import RulebookError, load_rulebook
from ..store import StoreError, open_existing_store
from .common import console, fail

StoreOpt = Annotated[str, typer.Option("--store", help="The event store: SQLite file, sqlite:///path or "
                                                      "postgresql://…")]
DateOpt = Annotated[str, typer.Option("--date", help="The local day, YYYY-MM-DD.")]
TzOpt = Annotated[str, typer.Option("--tz", help="The branches' time zone (IANA name).")]
RulebookOpt = Annotated[Optional[Path], typer.Option(help="Rulebook YAML for bow classes and DB 表2 limits "
                                                          "(default: the shipped one).")]


def daily(
    store: StoreOpt,
    date: DateOpt,
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder for daily.html/.csv/.json/.parquet.")],
    branch: Annotated[Optional[str], typer.Option(help="Only this branch (default: every branch).")] = None,
    tz: TzOpt = "Asia/Shanghai",
    rulebook: RulebookOpt = None,
) -> None:
    """One day's report per branch, counter and clerk: 站接/站送 compliance, bows, violations, DB 表2 times, scene
    checks, coverage and the 7-day trend."""
    try:
        rb = load_rulebook(rulebook)
        with open_existing_store(store) as s:
            report = daily_report(s, date, rb, tz=tz, branch=branch)
        outputs = write_daily(report, out)
    except (StoreError, DailyError, RulebookError, OSError) as exc:
        fail(str(exc))
    for b in report.branches:
        pct = "—" if b.score_pct is None else f"{b.score_pct:.0f}%"
        console.print(f"{b.branch}: score {pct} over {b.graded} graded, {len(b.clerks)} clerk(s), "
                      f"{b.coverage.analysed_h:.2f} camera-h analysed", highlight=False)
    console.print(f"wrote {outputs.html}, {outputs.csv.name}, {outputs.json.name}, {outputs.parquet.name}",
                  highlight=False)


def headoffice(
    store: StoreOpt,
    date: DateOpt,
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder for headoffice.html/.csv/.json/.parquet.")],
    tz: TzOpt = "Asia/Shanghai",
    rulebook: RulebookOpt = None,
) -> None:
    """Head office's report across branches for one day: ranking, worst rules, trends."""
    try:
        rb = load_rulebook(rulebook)
        with open_existing_store(store) as s:
            report = fleet_report(s, date, rb, tz=tz)
        outputs = write_fleet(report, out)
    except (StoreError, DailyError, RulebookError, OSError) as exc:
        fail(str(exc))
    for b in report.branches:
        console.print(f"#{b.rank} {b.branch}: score "
                      f"{'—' if b.score_pct is None else f'{b.score_pct:.1f}%'}, {b.faults} faults", highlight=False)
    console.print(f"wrote {outputs.html}", highlight=False)
