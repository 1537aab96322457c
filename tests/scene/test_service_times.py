"""Waiting and handling times from exact synthetic tracks, DB 表2 notes 1-2 averages, the peak window, queue
tickets (note 3) and their one-line errors, staff in the waiting area."""

from __future__ import annotations

import numpy as np
import pytest
from scene_fixtures import calibration, person, poses

from etiquette_cv.rules.findings import Coverage, ReviewResult, Verdict, Visit
from etiquette_cv.rules.rulebook import RulebookError, load_rulebook, rulebook_from_dict
from etiquette_cv.scene.hall import staff_findings
from etiquette_cv.service_times import (CustomerTimes, TicketsError, apply_service_times, load_tickets,
                                        service_stats, track_times)

RB = load_rulebook()
WAIT = RB.rule("DB-5.1-waiting-time")
WAITING_XY = (0.8, 0.55)    # inside the synthetic calibration's waiting zone
DT = 0.1


def walk(tid, t0, t1, a, b, role):
    """Frames of one person walking from a to b (floor metres) between t0 and t1 (s), 10 per second."""
    out = []
    for t in np.arange(t0, t1, DT):
        f = (t - t0) / max(t1 - t0, 1e-9)
        xy = (1 - f) * np.asarray(a, float) + f * np.asarray(b, float)
        out.append((round(float(t), 3), person(tid, (0, 0, 10, 10), role, xy)))
    return out


def frames_of(*parts):
    by_t = {}
    for part in parts:
        for t, p in part:
            by_t.setdefault(t, []).append(p)
    return [poses(t, ps, k) for k, (t, ps) in enumerate(sorted(by_t.items()))]


def test_wait_from_the_waiting_zone_to_the_call_across_an_id_switch():
    cal, _ = calibration()
    # track 1 waits 0-30 s in the zone, is lost; track 2 (the same person) appears 0.5 s later beside it, walks to
    # the counter (arrives within 2 m at 33 s) and is served until 63 s
    frames = frames_of(walk(1, 0.0, 30.0, WAITING_XY, WAITING_XY, "waiting"),
                       walk(2, 30.5, 33.0, (0.5, 0.6), (0.0, 0.3), "customer"),
                       walk(2, 33.0, 63.0, (0.0, 0.3), (0.0, 0.3), "customer"))
    visits = [Visit(1, "customer#2", 33.0, 63.0, at_counter_s=33.0)]
    (c,) = track_times(frames, visits, cal, 2.0, WAIT)
    assert c.wait_s == pytest.approx(29.9, abs=DT) and c.handling_s == pytest.approx(30.0)
    assert "#2, #1" in c.note


def test_queueing_in_front_of_the_counter_counts_walking_past_does_not():
    cal, _ = calibration()
    # no waiting zone involved: standing still 2.5 m from the counter for 20 s, then called
    frames = frames_of(walk(5, 0.0, 20.0, (-0.5, 2.5), (-0.5, 2.5), "customer"),
                       walk(5, 20.0, 22.0, (-0.5, 2.5), (-0.2, 0.4), "customer"),
                       walk(6, 0.0, 4.0, (-2.0, 3.0), (2.0, 3.0), "customer"))
    visits = [Visit(1, "customer#5", 21.5, 40.0), Visit(2, "customer#6", 3.9, 4.0)]
    c5, c6 = track_times(frames, visits, cal, 2.0, WAIT)
    assert c5.wait_s == pytest.approx(20.0, abs=1.0)   # speed over ± 1 s: the end is known to about 0.6 s
    assert c6.wait_s == 0.0


def test_a_pass_by_is_no_transaction():
    cal, _ = calibration()
    frames = frames_of(walk(7, 0.0, 30.0, (-0.2, 0.4), (-0.2, 0.4), "customer"),
                       walk(8, 10.0, 12.0, (-2.0, 1.9), (2.0, 1.9), "customer"))
    visits = [Visit(1, "customer#7", 0.0, 30.0), Visit(2, "customer#8", 10.5, 11.5, min_distance_m=1.9,
                                                       pass_by="the customer passed by")]
    (c,) = track_times(frames, visits, cal, 2.0, WAIT)
    assert c.customer == "customer#7" and c.handling_s == 30.0


def test_averages_follow_notes_1_and_2_exactly():
    times = [CustomerTimes("a", 0.0, 300.0, 100.0), CustomerTimes("b", 120.0, 600.0, 200.0),
             CustomerTimes("c", 240.0, 900.0, 4000.0)]
    st = service_stats(times, 3600.0, "tracks")
    assert st.transactions == 3 and st.handling_avg_s == 600.0       # Σ handling / transactions
    assert st.waited == 2 and st.waiting_avg_s == 180.0              # Σ waiting / customers who waited (not 120)
    assert st.peak_start_s == 0.0 and st.peak_customers == 2 and st.peak_waiting_avg_s == 120.0


def _result(visits):
    return ReviewResult("x", 100.0, 10, 640, 360, findings=[], visits=visits, coverage=Coverage())


def test_waiting_findings_and_visit_wait_set():
    cal, _ = calibration()
    frames = frames_of(walk(1, 0.0, 30.0, WAITING_XY, WAITING_XY, "waiting"),
                       walk(1, 30.0, 33.0, WAITING_XY, (0.0, 0.3), "customer"),
                       walk(1, 33.0, 50.0, (0.0, 0.3), (0.0, 0.3), "customer"))
    res = _result([Visit(1, "customer#1", 33.0, 50.0)])
    stats = apply_service_times(res, frames, cal, RB, 2.0)
    # in the zone until the walk to the counter leaves it (x < 0.6 m) 0.75 s after 30 s
    assert res.visits[0].wait_s == pytest.approx(30.75, abs=0.1)
    assert stats.waiting_avg_s == pytest.approx(30.75, abs=0.1)
    avg = [f for f in res.findings if f.rule_id == WAIT.id and f.person == "all customers"]
    assert [f.verdict for f in avg] == [Verdict.MET, Verdict.MET] and avg[0].threshold_value == 900.0
    assert "DB-5.1-waiting-time" in res.coverage.assessable_rules


def test_tickets_prevail_and_grade_each_transaction(tmp_path):
    csv = tmp_path / "tickets.csv"
    csv.write_text("\ufeffticket,issued,called,finished\nA001,2026-12-01 09:00:00,2026-12-01 09:20:00,"
                   "2026-12-01 09:50:00\nA002,09:05:00,09:06:00,09:10:00\nA003,09:30:00,,\n", encoding="utf-8")
    tickets = load_tickets(csv)
    assert [t.ticket for t in tickets] == ["A001", "A002", "A003"]
    res = _result([Visit(1, "customer#1", 10.0, 20.0)])
    res.findings.append(__import__("etiquette_cv.scene.hall", fromlist=["x"]).scene_finding(
        RB.rule("DB-5.1-handling-time"), Verdict.MET, 10.0, 20.0, "customer#1"))
    stats = apply_service_times(res, [], None, RB, 2.0, tickets)
    assert stats.source == "tickets" and stats.waiting_avg_s == pytest.approx((1200 + 60) / 2)
    assert stats.handling_avg_s == pytest.approx((1800 + 240) / 2)
    handling = [f for f in res.findings if f.rule_id == "DB-5.1-handling-time" and f.verdict != Verdict.INFO]
    assert sorted(f.verdict for f in handling) == sorted([Verdict.VIOLATION, Verdict.MET])   # 30 min > 15 min
    assert all("ticket" in f.note for f in handling)


@pytest.mark.parametrize("text,message", [
    ("ticket,issued,called\nA1,09:00,09:01\n", r"line 1: missing column\(s\) finished"),
    ("ticket,issued,called,finished\nA1,nine,09:01,09:02\n", r"line 2: issued: not a time: 'nine'"),
    ("ticket,issued,called,finished\nA1,09:10,09:01,09:20\n", r"line 2: called 09:01:00 is before issued"),
    ("ticket,issued,called,finished\nA1,09:00,,09:20\n", r"line 2: finished without being called"),
    ("ticket,issued,called,finished\n", r"no tickets after the header"),
    ("", r"empty file"),
])
def test_malformed_ticket_csv_is_one_line_naming_the_file(tmp_path, text, message):
    path = tmp_path / "bad.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(TicketsError, match=r"bad\.csv: " + message) as exc:
        load_tickets(path)
    assert "\n" not in str(exc.value)


def test_business_type_sets_the_handling_limit():
    import yaml
    from etiquette_cv.rules.rulebook import DEFAULT_RULEBOOK
    d = yaml.safe_load(DEFAULT_RULEBOOK.read_text(encoding="utf-8"))
    rule = next(r for r in d["rules"] if r["id"] == "DB-5.1-handling-time")
    rule["params"]["business"]["value"] = "motor_claim"
    rb = rulebook_from_dict(d, "branch.yaml")
    r = rb.rule("DB-5.1-handling-time")
    assert r.value(f"{r.value('business')}_s") == 1800.0
    rule["params"]["business"]["value"] = "pets"
    with pytest.raises(RulebookError, match=r"branch\.yaml: rule DB-5.1-handling-time\.params\.business"):
        rulebook_from_dict(d, "branch.yaml")


def test_staff_in_the_waiting_area_longer_than_the_allowance():
    rule = RB.rule("CC-2.10-staff-in-waiting")
    allowance = float(rule.value("allowance_s"))
    frames = frames_of(walk(7, 0.0, 5.0, (0.0, -0.9), (0.0, -0.9), "clerk"),
                       walk(7, 5.0, 5.0 + allowance + 10.0, WAITING_XY, WAITING_XY, "waiting"),
                       walk(8, 0.0, allowance + 20.0, WAITING_XY, WAITING_XY, "waiting"))   # a customer
    (f,) = staff_findings(frames, rule)
    assert f.verdict == Verdict.VIOLATION and f.person == "staff#7"
    assert f.measured_value == pytest.approx(allowance + 10.0, abs=0.2) and f.measured_unit == "s"
    short = frames_of(walk(7, 0.0, 5.0, (0.0, -0.9), (0.0, -0.9), "clerk"),
                      walk(7, 5.0, 15.0, WAITING_XY, WAITING_XY, "waiting"))
    assert [f.verdict for f in staff_findings(short, rule)] == [Verdict.MET]
