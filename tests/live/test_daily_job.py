"""The watcher writes the previous day's report once, after local midnight and its grace, never twice."""

from __future__ import annotations

import json

from etiquette_cv.pipeline.daily_job import DailyJob, DailyJobSettings
from etiquette_cv.rules.rulebook import load_rulebook
from etiquette_cv.store import open_store
from report.test_daily import _at, fill


def test_yesterdays_report_is_written_once_after_midnight_and_grace(tmp_path):
    store_path = tmp_path / "branch.db"
    with open_store(store_path) as store:
        fill(store)
    now = [_at("2026-11-20", 23, 59)]
    settings = DailyJobSettings(tmp_path / "reports", "Asia/Shanghai", grace_s=420.0)
    job = DailyJob(str(store_path), load_rulebook(), settings, clock=lambda: now[0])
    assert job.tick() == tmp_path / "reports" / "2026-11-19"   # started late: yesterday's report first
    assert job.tick() is None                          # 2026-11-20 is not over yet
    now[0] = _at("2026-11-21", 0, 3)
    assert job.tick() is None                          # over, but its last window may not be graded yet
    now[0] = _at("2026-11-21", 0, 8)
    out = job.tick()
    assert out == tmp_path / "reports" / "2026-11-20"
    doc = json.loads((out / "daily.json").read_text(encoding="utf-8"))
    assert doc["date"] == "2026-11-20" and {b["branch"] for b in doc["branches"]} >= {"B1"}
    assert (out / "daily.html").is_file() and (out / "daily.parquet").is_file()
    assert job.tick() is None                          # written: not again
    again = DailyJob(str(store_path), load_rulebook(), settings, clock=lambda: now[0])
    assert again.tick() is None                        # a restarted watcher finds it on disk


def test_a_day_with_nothing_stored_is_skipped_without_an_error(tmp_path):
    store_path = tmp_path / "empty.db"
    open_store(store_path).close()
    job = DailyJob(str(store_path), load_rulebook(), DailyJobSettings(tmp_path / "r"),
                   clock=lambda: _at("2026-11-21", 3))
    assert job.tick() is None and not (tmp_path / "r" / "2026-11-20").exists()
