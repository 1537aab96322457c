"""The watcher's daily report: after local midnight (and a grace for the day's last window to be graded), the
previous day's report is written once from the store (``report.daily``), into ``<reports dir>/<YYYY-MM-DD>/``.

A report already on disk is never rewritten, so restarts and several watchers write each day once; a day with
nothing stored is logged and skipped.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from ..report.daily import DailyError, daily_report, day_window, previous_local_day
from ..report.daily_out import write_daily
from ..rules.rulebook import Rulebook
from ..store import open_store

log = logging.getLogger("etiquette.watch")


@dataclass(frozen=True)
class DailyJobSettings:
    """Where and when the watcher writes yesterday's report."""

    reports_dir: Path
    tz: str = "Asia/Shanghai"
    grace_s: float = 420.0
    """Seconds after local midnight before the previous day is reported: its last window must be graded first (the
    watcher's window plus its margin, and a minute)."""
    check_every_s: float = 60.0
    """How often the watcher looks whether a report is due."""


class DailyJob:
    """Writes the previous local day's report once it is due; :meth:`tick` is cheap when nothing is due."""

    def __init__(self, store_url: str, rulebook: Rulebook, settings: DailyJobSettings,
                 clock: Callable[[], float] = time.time) -> None:
        self.store_url, self.rb, self.s, self.clock = store_url, rulebook, settings, clock
        self._tried: set[str] = set()

    def due_day(self) -> str | None:
        """The local day whose report is due now and not yet written or tried, else None."""
        now = self.clock()
        day = previous_local_day(now, self.s.tz)
        if now < day_window(day, self.s.tz).end_epoch_s + self.s.grace_s or day in self._tried:
            return None
        if (self.s.reports_dir / day / "daily.json").exists():
            self._tried.add(day)
            return None
        return day

    def tick(self) -> Path | None:
        """Write the due report (its folder), or None when none is due or the day had nothing stored."""
        day = self.due_day()
        if day is None:
            return None
        self._tried.add(day)
        store = open_store(self.store_url)
        try:
            report = daily_report(store, day, self.rb, tz=self.s.tz)
        except DailyError as exc:
            log.warning("daily report of %s not written: %s", day, exc)
            return None
        finally:
            store.close()
        out = self.s.reports_dir / day
        write_daily(report, out)
        log.warning("daily report of %s written to %s", day, out)
        return out
