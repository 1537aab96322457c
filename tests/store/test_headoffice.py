"""The head-office report across branches from a real PostgreSQL server, its figures checked against SQL there."""

from __future__ import annotations

import json

import numpy as np
import pytest

from etiquette_cv.report.daily import day_window
from etiquette_cv.report.headoffice import fleet_report, write_fleet
from etiquette_cv.store import open_store
from etiquette_cv.store.sync import push_url
from report.test_daily import DAY, RB, _q, fill


def test_head_office_from_postgresql(tmp_path, pg_url):
    branch = open_store(tmp_path / "b.db")
    fill(branch)
    push_url(branch, pg_url)
    with open_store(pg_url) as hq:
        report = fleet_report(hq, DAY, RB)
        out = write_fleet(report, tmp_path / "hq")
        a, z = day_window(DAY, "Asia/Shanghai").start_epoch_s, day_window(DAY, "Asia/Shanghai").end_epoch_s
        assert [b.branch for b in report.branches] == ["B2", "B1"]   # B2 had the better day
        for b in report.branches:
            met, graded = _q(hq, "SELECT SUM(CASE WHEN verdict = 'met' THEN 1 ELSE 0 END), COUNT(*) FROM events "
                                 "WHERE kind = 'finding' AND branch = %s AND start_epoch_s >= %s AND start_epoch_s "
                                 "< %s AND verdict IN ('met', 'late', 'missed', 'violation') AND "
                                 "payload::json->>'rule_kind' <> 'waiting_time'", b.branch, a, z)[0]
            assert b.graded == graded and b.score_pct == pytest.approx(100 * met / graded)
        worst = report.worst_rules[0]
        assert worst.rule_id == "CC-1.6-stoop"
        (n, total), = _q(hq, "SELECT COUNT(*), SUM(end_epoch_s - start_epoch_s) FROM events WHERE kind = 'finding' "
                             "AND rule_id = %s AND start_epoch_s >= %s AND start_epoch_s < %s AND verdict IN "
                             "('late', 'missed', 'violation')", worst.rule_id, a, z)
        assert worst.faults == n and worst.duration_s == pytest.approx(total) and worst.branches == 2
        assert "DB-5.1-waiting-time" not in [t.rule_id for t in report.worst_rules]   # a per-recording average
        assert (report.branches[0].graded, report.branches[1].graded) == (10, 21)
    page = out.html.read_text(encoding="utf-8")
    assert page.count('<svg class="trend"') == 2 and "B2" in page
    assert json.loads(out.json.read_text())["branches"][0]["rank"] == 1
    branch.close()


def test_head_office_page_renders_in_chromium(tmp_path, pg_url):
    """The head-office page as a picture: both branches ranked, a trend per branch, no console error, not blank."""
    from report.test_report import _chromium, _console_lines, _run_chromium, _screenshot
    exe = _chromium()
    assert exe is not None, "headless Chromium is required (install the Debian package `chromium`)"
    branch = open_store(tmp_path / "b.db")
    fill(branch)
    push_url(branch, pg_url)
    with open_store(pg_url) as hq:
        out = write_fleet(fleet_report(hq, DAY, RB), tmp_path / "hq")
    branch.close()
    url = out.html.resolve().as_uri()
    dom = _run_chromium(exe, tmp_path / "p1", "--dump-dom", url)
    assert dom.returncode == 0, dom.stderr[-2000:]
    html = dom.stdout
    assert html.count('<svg class="trend"') == 2 and html.index("B2") < html.index("B1")   # ranked: B2 first
    assert not _console_lines(dom.stderr), dom.stderr[-2000:]
    shot = tmp_path / "hq.png"
    img = _screenshot(exe, tmp_path / "p2", url, shot, 1280, 1400)
    rows = np.flatnonzero(img.std(axis=(1, 2)) > 5)
    assert rows.size and rows.max() > 300, "the page holds more than a header"
