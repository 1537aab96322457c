"""The daily and head-office reports from a store filled with several sample runs over two days and two branches:
every number in daily.json checked against direct SQL on the store; the page rendered by headless Chromium; the
head-office ranking from a real PostgreSQL server; bad input as one-line errors."""

from __future__ import annotations

import csv
import json
import math
from datetime import datetime
from zoneinfo import ZoneInfo

import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from etiquette_cv.cli import app
from etiquette_cv.report.daily import DailyError, daily_report, day_window, previous_local_day
from etiquette_cv.report.daily_out import write_daily
from etiquette_cv.rules.findings import Finding, ReviewResult, Severity, Verdict, Visit
from etiquette_cv.rules.rulebook import load_rulebook
from etiquette_cv.store import events_from_review, open_store, span_event
from report.test_report import _chromium, _console_lines, _run_chromium, _screenshot

TZ = ZoneInfo("Asia/Shanghai")
RB = load_rulebook()


def _at(day: str, hh: int, mm: int = 0) -> float:
    y, m, d = map(int, day.split("-"))
    return datetime(y, m, d, hh, mm, tzinfo=TZ).timestamp()


def _f(rule_id, kind, verdict, start, end, person, value=None, unit="", image=None) -> Finding:
    return Finding(rule_id, "clause", "wording", f"{rule_id} en", f"{rule_id} zh", verdict, Severity.MINOR, start,
                   end, person, measured_value=value, measured_unit=unit, rule_kind=kind, evidence_image=image)


def _run(variant: int) -> ReviewResult:
    """A 2-hour review of two counters; ``variant`` changes the verdicts so days and branches differ."""
    V = Verdict
    greet = [V.MET, V.LATE, V.MISSED, V.NOT_ASSESSABLE, V.MET] if variant == 0 else [V.MET, V.MET, V.LATE,
                                                                                          V.NOT_ASSESSABLE]
    fs = [_f("CC-2.6-stand-greet", "stand_greet", v, 100.0 + 300 * i, 103.5 + 300 * i, "clerk@A", 3.5, "s",
             image=f"keyframes/greet-{variant}-{i}.jpg" if v in (V.LATE, V.MISSED) else None)
          for i, v in enumerate(greet)]
    fs += [_f("CC-2.6b-stand-send-off", "stand_send_off", v, 400.0 + 300 * i, 401.0 + 300 * i, "clerk@B")
           for i, v in enumerate([V.MET, V.MISSED, V.NOT_APPLICABLE][: 2 + variant])]
    fs += [_f("DB-6.2-bow", "bow_graded", V.INFO, 500.0 + 10 * i, 502.0 + 10 * i, "clerk@A", deg, "deg")
           for i, deg in enumerate([15.0, 16.0, 31.0, 50.0, 5.0][: 5 - variant])]
    fs += [_f("CC-1.6-stoop", "posture", V.VIOLATION, 1000.0, 1042.25 + variant, "clerk@A", 25.0, "deg"),
           _f("CC-1.6-stoop", "posture", V.VIOLATION, 2000.0, 2010.5, "clerk@B", 24.0, "deg",
              image="keyframes/stoop.jpg"),
           _f("CC-1.7-crossed-legs", "posture", V.VIOLATION, 3000.0, 3100.0 + 7 * variant, "clerk@B"),
           _f("CC-2.10-counter-clutter", "counter_clutter", V.VIOLATION, 600.0, 660.0, "counter"),
           _f("CC-2.10-counter-clutter", "counter_clutter", V.MET, 1200.0, 1260.0, "counter"),
           _f("DB-4-lighting", "lighting", V.NOT_ASSESSABLE, 0.0, 7200.0, "hall"),
           _f("DB-5.1-waiting-time", "waiting_time", V.VIOLATION, 0.0, 7200.0, "all customers", 950.0, "s")]
    visits = [Visit(1, "customer#1", 90.0, 400.0, wait_s=0.0, station="A"),
              Visit(2, "customer#2", 700.0, 1300.0 + 11 * variant, wait_s=125.5, station="A"),
              Visit(3, "customer#3", 2000.0, None, wait_s=40.0, station="B"),
              Visit(4, "customer#4", 5000.0, 5333.0, wait_s=61.25 + variant, station="B", left_view=variant == 1),
              Visit(5, "customer#5", 5400.0, 5401.5, wait_s=0.0, station="B", min_distance_m=1.9,
                    pass_by="the customer passed by")]   # no transaction: left out of DB 表2
    return ReviewResult("cam.mp4", 7200.0, 72000, 1920, 1080, findings=fs, visits=visits)


def fill(store) -> None:
    """Two days of branch B1 (two cameras, a gap over midnight), one day of B2, and noise on other days."""
    for day, variant in (("2026-11-19", 1), ("2026-11-20", 0)):
        store.add(events_from_review(_run(variant), branch="B1", camera="c1", origin_epoch_s=_at(day, 9)))
        store.add(events_from_review(_run(1 - variant), branch="B1", camera="c2", origin_epoch_s=_at(day, 14)))
        for cam, h in (("c1", 9), ("c2", 14)):
            store.add([span_event("coverage", branch="B1", camera=cam, start_epoch_s=_at(day, h),
                                  end_epoch_s=_at(day, h + 2))])
    store.add([span_event("gap", branch="B1", camera="c1", start_epoch_s=_at("2026-11-20", 11),
                          end_epoch_s=_at("2026-11-20", 11, 30) + 12.5, reason="stream dropped"),
               span_event("gap", branch="B1", camera="c2", start_epoch_s=_at("2026-11-19", 23, 50),
                          end_epoch_s=_at("2026-11-20", 0, 20), reason="decoder restarted")])
    store.add(events_from_review(_run(1), branch="B2", camera="c1", origin_epoch_s=_at("2026-11-20", 10)))
    store.add([span_event("coverage", branch="B2", camera="c1", start_epoch_s=_at("2026-11-20", 10),
                          end_epoch_s=_at("2026-11-20", 12))])
    store.add(events_from_review(_run(0), branch="B1", camera="c1", origin_epoch_s=_at("2026-11-21", 9)))


@pytest.fixture
def store(tmp_path):
    s = open_store(tmp_path / "branch.db")
    fill(s)
    yield s
    s.close()


def _q(store, sql: str, *args) -> list[tuple]:
    cur = store.conn.cursor()
    cur.execute(sql, args)
    return cur.fetchall()


DAY = "2026-11-20"


def test_every_daily_number_equals_the_store(store, tmp_path):
    report = daily_report(store, DAY, RB, tz="Asia/Shanghai")
    out = write_daily(report, tmp_path / "out")
    data = json.loads(out.json.read_text(encoding="utf-8"))
    win = day_window(DAY, "Asia/Shanghai")
    a, b = win.start_epoch_s, win.end_epoch_s
    assert b - a == 86400 and datetime.fromtimestamp(a, TZ).hour == 0
    assert previous_local_day(b + 60, "Asia/Shanghai") == DAY and previous_local_day(b - 60, "Asia/Shanghai") != DAY
    assert [x["branch"] for x in data["branches"]] == ["B1", "B2"]
    day_f = "kind = 'finding' AND branch = ? AND start_epoch_s >= ? AND start_epoch_s < ?"
    for br in data["branches"]:
        name = br["branch"]
        for key, kind in (("stand_greet", "stand_greet"), ("stand_send_off", "stand_send_off")):
            counts = dict(_q(store, f"SELECT verdict, COUNT(*) FROM events WHERE {day_f} AND "
                                    "json_extract(payload, '$.rule_kind') = ? GROUP BY verdict", name, a, b, kind))
            got = br[key]
            for v in ("met", "late", "missed", "not_assessable", "not_applicable"):
                assert got[v] == counts.get(v, 0), (name, key, v)
            graded = sum(counts.get(v, 0) for v in ("met", "late", "missed"))
            assert got["compliance_pct"] == pytest.approx(100 * counts.get("met", 0) / graded)
        # violations by rule: count and total duration to the second (scene checks and waiting averages apart)
        rows = _q(store, f"SELECT rule_id, COUNT(*), SUM(end_epoch_s - start_epoch_s) FROM events WHERE {day_f} "
                         "AND verdict = 'violation' AND json_extract(payload, '$.rule_kind') = 'posture' "
                         "GROUP BY rule_id", name, a, b)
        assert {v["rule_id"]: (v["count"], round(v["duration_s"], 3)) for v in br["violations"]} == \
            {r: (n, round(d, 3)) for r, n, d in rows}
        # bows by the rulebook's classes
        for bow in br["bows"]:
            cls = next((c for c in RB.bow_classes if c.name == bow["bow_class"]), None)
            cond = f"value >= {cls.min_deg} AND value <= {cls.max_deg}" if cls else \
                " AND ".join(f"NOT (value >= {c.min_deg} AND value <= {c.max_deg})" for c in RB.bow_classes)
            n = _q(store, f"SELECT COUNT(*) FROM events WHERE {day_f} AND json_extract(payload, '$.rule_kind') = "
                          f"'bow_graded' AND {cond}", name, a, b)[0][0]
            assert bow["count"] == n, bow
        # DB 表2: note 1 over visits with a handling time, note 2 over customers who waited
        day_v = ("kind = 'visit' AND json_extract(payload, '$.pass_by') IS NULL AND branch = ? "
                 "AND start_epoch_s >= ? AND start_epoch_s < ?")
        n, avg_h = _q(store, f"SELECT COUNT(value), AVG(value) FROM events WHERE {day_v}", name, a, b)[0]
        waited, avg_w = _q(store, f"SELECT COUNT(*), AVG(json_extract(payload, '$.wait_s')) FROM events WHERE "
                                  f"{day_v} AND json_extract(payload, '$.wait_s') > 0", name, a, b)[0]
        sv = br["service"]
        assert (sv["transactions"], sv["waited"]) == (n, waited)
        assert sv["handling_avg_s"] == pytest.approx(avg_h, abs=1e-9)
        assert sv["waiting_avg_s"] == pytest.approx(avg_w, abs=1e-9)
        assert sv["waiting_within_limit"] == (avg_w <= 900.0)
        assert sv["left_view"] == _q(store, f"SELECT COUNT(*) FROM events WHERE {day_v} AND "
                                            "json_extract(payload, '$.left_view')", name, a, b)[0][0]
        # the peak hour (from local midnight): most visits called, the earliest on a tie; note 2 within it
        hour, called = _q(store, f"SELECT CAST((start_epoch_s - ?) / 3600 AS INTEGER) AS h, COUNT(*) AS n FROM "
                                 f"events WHERE {day_v} GROUP BY h ORDER BY n DESC, h LIMIT 1", a, name, a, b)[0]
        peak_w = _q(store, f"SELECT AVG(json_extract(payload, '$.wait_s')) FROM events WHERE {day_v} AND "
                           "json_extract(payload, '$.wait_s') > 0 AND start_epoch_s >= ? AND start_epoch_s < ?",
                    name, a, b, a + 3600 * hour, a + 3600 * (hour + 1))[0][0]
        assert sv["peak_customers"] == called and sv["peak_waiting_avg_s"] == pytest.approx(peak_w, abs=1e-9)
        assert sv["peak_start_local"] == f"{DAY} {hour:02d}:00:00"
        # evidence: every late, missed or violating finding with a keyframe path
        n_ev = _q(store, f"SELECT COUNT(*) FROM events WHERE {day_f} AND verdict IN ('late', 'missed', "
                         "'violation') AND json_extract(payload, '$.evidence_image') IS NOT NULL", name, a, b)[0][0]
        assert len(br["evidence"]) == n_ev
        # scene checks
        scene = _q(store, f"SELECT rule_id, verdict, COUNT(*) FROM events WHERE {day_f} AND "
                          "json_extract(payload, '$.rule_kind') IN ('counter_clutter', 'lighting') "
                          "GROUP BY rule_id, verdict", name, a, b)
        for rule, verdict, cnt in scene:
            assert next(s for s in br["scene"] if s["rule_id"] == rule)[verdict] == cnt
        # coverage: each camera's spans clipped to the day (they do not overlap in this store), gaps clipped
        cov = _q(store, "SELECT SUM(MIN(end_epoch_s, ?) - MAX(start_epoch_s, ?)) FROM events WHERE kind = "
                        "'coverage' AND branch = ? AND end_epoch_s > ? AND start_epoch_s < ?", b, a, name, a, b)[0][0]
        assert br["coverage"]["analysed_s"] == pytest.approx(cov, abs=1e-6)
        assert br["coverage"]["analysed_h"] == pytest.approx(cov / 3600, abs=1e-9)
        gaps = _q(store, "SELECT camera, MIN(end_epoch_s, ?) - MAX(start_epoch_s, ?) FROM events WHERE kind = 'gap' "
                         "AND branch = ? AND end_epoch_s > ? AND start_epoch_s < ? ORDER BY start_epoch_s",
                  b, a, name, a, b)
        assert [(g["camera"], round(g["duration_s"], 3)) for g in br["coverage"]["gaps"]] == \
            [(c, round(d, 3)) for c, d in gaps]
        # per clerk: stand-greet counts of each clerk
        for c in br["clerks"]:
            counts = dict(_q(store, f"SELECT verdict, COUNT(*) FROM events WHERE {day_f} AND person = ? AND "
                                    "camera = ? AND json_extract(payload, '$.rule_kind') = 'stand_greet' "
                                    "GROUP BY verdict", name, a, b, c["clerk"], c["camera"]))
            assert c["stand_greet"]["met"] == counts.get("met", 0)
            assert c["stand_greet"]["late"] == counts.get("late", 0)
            assert c["stand_greet"]["not_assessable"] == counts.get("not_assessable", 0)
            off = dict(_q(store, f"SELECT verdict, COUNT(*) FROM events WHERE {day_f} AND person = ? AND camera = ? "
                                 "AND json_extract(payload, '$.rule_kind') = 'stand_send_off' GROUP BY verdict",
                          name, a, b, c["clerk"], c["camera"]))
            assert (c["stand_send_off"]["met"], c["stand_send_off"]["missed"]) == (off.get("met", 0),
                                                                                     off.get("missed", 0))
            n, avg_h = _q(store, f"SELECT COUNT(value), AVG(value) FROM events WHERE {day_v} AND camera = ? AND "
                                 "station = ?", name, a, b, c["camera"], c["counter"])[0]
            assert c["service"]["transactions"] == n and c["service"]["handling_avg_s"] == pytest.approx(avg_h)

    b1 = data["branches"][0]
    # the numbers the fixture was built with, so a query bug above cannot hide a report bug
    assert (b1["stand_greet"]["met"], b1["stand_greet"]["late"], b1["stand_greet"]["missed"],
            b1["stand_greet"]["not_assessable"]) == (4, 2, 1, 2)
    assert b1["stand_greet"]["compliance_pct"] == pytest.approx(400 / 7)
    assert b1["coverage"]["analysed_s"] == 4 * 3600
    assert sorted(g["duration_s"] for g in b1["coverage"]["gaps"]) == [1200.0, 1812.5]   # midnight gap clipped
    assert b1["coverage"]["gap_s"] == 3012.5
    stoop = next(v for v in b1["violations"] if v["rule_id"] == "CC-1.6-stoop")
    assert stoop["count"] == 4 and stoop["duration_s"] == pytest.approx(42.25 + 43.25 + 2 * 10.5)
    assert not any(v["rule_id"].startswith(("DB-5.1-waiting", "CC-2.10")) for v in b1["violations"])
    assert {x["bow_class"]: x["count"] for x in b1["bows"]} == {"greeting": 4, "thanks": 2, "apology": 2,
                                                                 "unclassified": 1}
    assert b1["service"]["transactions"] == 6 and b1["service"]["waited"] == 6
    assert len(b1["evidence"]) == 2 + 1 + 2 and all(e["image"].startswith("keyframes/") for e in b1["evidence"])
    # the trend: 7 previous days and today; the previous day equals its own report
    assert [t["date"] for t in b1["trend"]] == [f"2026-11-{d}" for d in range(13, 21)]
    prev = daily_report(store, "2026-11-19", RB, branch="B1").branches[0]
    assert b1["trend"][-2]["stand_greet_pct"] == prev.stand_greet.compliance_pct
    assert b1["trend"][-2]["violation_s"] == pytest.approx(sum(v.duration_s for v in prev.violations))
    assert b1["trend"][0]["stand_greet_pct"] is None and b1["trend"][0]["analysed_h"] == 0
    # CSV and Parquet carry the same rows
    rows = list(csv.DictReader(out.csv.open(encoding="utf-8-sig")))
    table = pq.read_table(out.parquet).to_pylist()
    assert len(rows) == len(table) == 2 + len(b1["clerks"]) + len(data["branches"][1]["clerks"])
    assert float(rows[0]["stand_greet_pct"]) == table[0]["stand_greet_pct"] == pytest.approx(400 / 7)
    assert table[0]["gap_s"] == 3012.5 and rows[0]["level"] == "branch"


def test_daily_page_renders_in_chromium(store, tmp_path):
    exe = _chromium()
    assert exe is not None, "headless Chromium is required (install the Debian package `chromium`)"
    out = write_daily(daily_report(store, DAY, RB, branch="B1"), tmp_path / "out")
    url = out.html.resolve().as_uri()
    dom = _run_chromium(exe, tmp_path / "p1", "--dump-dom", url)
    assert dom.returncode == 0, dom.stderr[-2000:]
    html = dom.stdout
    assert html.count('<svg class="trend"') == 5 and html.count("<polyline") >= 3
    assert "站接达标" in html and "57%" in html and "3012 s" in html and "stream dropped" in html
    assert 'href="keyframes/stoop.jpg"' in html and "<img" not in html
    assert not _console_lines(dom.stderr), dom.stderr[-2000:]
    shot = tmp_path / "daily.png"
    img = _screenshot(exe, tmp_path / "p2", url, shot, 1280, 1600)
    header = img[:60, :, :].reshape(-1, 3).mean(axis=0)   # the dark blue header band was drawn
    assert header[0] > header[2] and header.mean() < 120


def test_bad_input_is_one_line(tmp_path, store):
    runner = CliRunner()
    db = str(tmp_path / "branch.db")
    cases = [
        (["daily", "--store", db, "--date", "2026-13-40", "--out", str(tmp_path / "o")], "--date: not a date"),
        (["daily", "--store", db, "--date", DAY, "--tz", "Mars/Olympus", "--out", str(tmp_path / "o")],
         "unknown time zone"),
        (["daily", "--store", db, "--date", "2026-01-01", "--out", str(tmp_path / "o")], "no events of any branch"),
        (["daily", "--store", db, "--date", DAY, "--branch", "B9", "--out", str(tmp_path / "o")], "branch B9"),
        (["daily", "--store", str(tmp_path / "none.db"), "--date", DAY, "--out", str(tmp_path / "o")],
         "none.db: no such store"),
        (["headoffice", "--store", "postgresql://u@127.0.0.1:1/x", "--date", DAY, "--out", str(tmp_path / "o")],
         "cannot connect"),
    ]
    for args, message in cases:
        res = runner.invoke(app, args)
        assert res.exit_code == 2, (args, res.output)
        assert message in res.output and res.output.strip().count("\n") == 0, res.output
    assert not (tmp_path / "none.db").exists()
    ok = runner.invoke(app, ["daily", "--store", db, "--date", DAY, "--out", str(tmp_path / "ok")])
    assert ok.exit_code == 0, ok.output
    assert (tmp_path / "ok" / "daily.parquet").stat().st_size > 0
    with pytest.raises(DailyError):
        daily_report(store, "2020-01-01", RB)
    assert math.isclose(store.count(), len(store.events()))


def test_bows_whose_pm_is_half_their_band_wide_are_counted_apart_not_in_a_class():
    """The review says such a bow's class is not assessable; the day's bows by class must not count it in one."""
    from etiquette_cv.report.daily import bows
    from etiquette_cv.store import StoredEvent

    def bow(deg, pm):
        return StoredEvent("B1", "cam", "finding", 1e9, 1e9 + 2, rule_id="DB-6.2-bow", verdict="info", value=deg,
                           unit="deg", payload={"rule_kind": "bow_graded", "uncertainty": pm})

    counts = {b.bow_class: b.count for b in bows([bow(15.0, 2.0), bow(16.0, None), bow(15.0, 8.0), bow(30.0, 7.0),
                                                  bow(22.6, 1.0), bow(60.0, 8.0)], RB)}
    assert counts == {"greeting": 2, "thanks": 1, "apology": 1, "class_not_assessable": 2}
