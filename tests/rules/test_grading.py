"""Grading on hand-built observations: every verdict of 站接, 站送, the expected bows and the posture rules.

The observations are built directly (numpy arrays, events objects), so the truth of each case is known by
construction; the numbers of the rules come from the shipped rulebook, read through its API.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from etiquette_cv.events import Approach, Bend
from etiquette_cv.posture.stance import StanceChange
from etiquette_cv.posture.clerk import ClerkSeries
from etiquette_cv.rules.findings import Finding, ReviewResult, Severity, Verdict
from etiquette_cv.rules.rulebook import load_rulebook
from etiquette_cv.rules.grading import grade
from etiquette_cv.rules.observations import ClerkObservations, Observations

DT = 0.1
GREET, SEND_OFF = "CC-2.6-stand-greet", "CC-2.6b-stand-send-off"
BOW_GREET, BOW_THANKS = "DB-6.2-bow-greet", "DB-6.2-bow-thanks"
STOOP, LEAN = "CC-1.6-stoop", "CC-1.6-lean"


@pytest.fixture(scope="module")
def rb():
    return load_rulebook()


def clerk_series(duration_s: float = 40.0, stance=None, visible=None, flexion=None, lateral=None) -> ClerkSeries:
    """A clerk series: ``stance``/``visible``/``flexion``/``lateral`` are functions of the time array (or None for
    seated, always visible, upright, no lean)."""
    t = np.round(np.arange(0.0, duration_s, DT), 6)
    n = len(t)
    st = np.array(stance(t) if stance else ["sit"] * n, dtype=object)
    vis = np.asarray(visible(t), bool) if visible else np.ones(n, bool)
    flex = np.asarray(flexion(t), float) if flexion else np.zeros(n)
    lat = np.asarray(lateral(t), float) if lateral else np.zeros(n)
    nan = np.full(n, np.nan)
    flex = np.where(vis, flex, np.nan)
    st = np.where(vis, st, "")
    cs = ClerkSeries(
        t_s=t, frame_index=np.arange(n), visible=vis,
        shoulder_height_m=np.where(st == "stand", 1.40, 1.0),
        upright_shoulder_height_m=np.where(st == "stand", 1.40, 1.0),
        head_minus_shoulder_m=np.full(n, 0.2), flexion_deg=flex, flexion_raw_deg=flex, lateral_deg=lat,
        flexion_assessable=vis & np.isfinite(flex), lateral_assessable=vis & np.isfinite(lat), hips_seen=vis.copy(),
        knee_angle_deg=nan.copy(), stance=st,
        wrist_asymmetry_m=np.zeros(n), hands_in_pockets=np.where(vis, 0.0, np.nan), legs_crossed=nan.copy(),
        heel_raise_m=nan.copy(), sway_deg=np.where(vis, 0.3, np.nan), abs_lateral_deg=np.abs(lat))
    for f in dataclasses.fields(ClerkSeries):  # any other per-sample series: not measured
        if getattr(cs, f.name) is None:
            setattr(cs, f.name, nan.copy())
    return cs


def stands_between(*spans):
    """A stance function: standing inside any (start, end) span, seated elsewhere."""
    def f(t):
        s = np.array(["sit"] * len(t), dtype=object)
        for a, b in spans:
            s[(t >= a) & (t < b)] = "stand"
        return s
    return f


def obs(clerk: ClerkSeries, changes=(), bends=(), approaches=()) -> Observations:
    return Observations(source="synthetic", duration_s=float(clerk.t_s[-1]), analysed_frames=len(clerk.t_s),
                        image_width=1280, image_height=720,
                        clerks=[ClerkObservations("A", "clerk", clerk, list(changes), list(bends))],
                        customers=[], approaches=list(approaches))


def visit(arrive, leave, track=1, first_inside=None, station="A") -> Approach:
    first = first_inside if first_inside is not None else (arrive if arrive is not None else 0.0)
    return Approach(track, arrive, leave, first, leave if leave is not None else 39.9, 0.5, station)


def of(result: ReviewResult, rule_id: str) -> list[Finding]:
    return [f for f in result.findings if f.rule_id == rule_id]


# ------------------------------------------------------------------------------------------------------------
# 站接
# ------------------------------------------------------------------------------------------------------------


def test_stand_greet_met_and_late_with_the_delay(rb):
    allowance = float(rb.rule(GREET).value("allowance_s"))
    arrive = 5.0
    for up_at, verdict in ((arrive + 0.4 * allowance, Verdict.MET), (arrive + allowance + 1.5, Verdict.LATE)):
        c = clerk_series(stance=stands_between((up_at, 30.0)))
        up = StanceChange(up_at, "stand", 0.9)  # its onset not seen: the midpoint less a typical move's half
        res = grade(obs(c, [up], approaches=[visit(arrive, 25.0)]), rb)
        (f,) = of(res, GREET)
        assert f.verdict == verdict
        assert up.at("onset") == pytest.approx(up_at - up.unseen_half_s)
        assert f.measured_value == pytest.approx(up.at("onset") - arrive, abs=0.01)
        assert "was not seen" in f.note
        assert f.measured_unit == "s" and f.visit_id == 1
        assert f.severity == Severity(rb.rule(GREET).severity)
        assert f.clause == rb.rule(GREET).clause and f.wording_zh == rb.rule(GREET).wording_zh
        assert f.evidence_t_s == pytest.approx(up_at)


def test_stand_greet_delay_carries_the_stand_ups_uncertainty_and_says_when_it_straddles_the_allowance(rb):
    """The onset is measured to ± ``point_uncertainty_s`` where seen, ± ``unseen_move_half_s`` where not: a delay
    within that of the allowance keeps its verdict but says it is uncertain."""
    allowance = float(rb.rule(GREET).value("allowance_s"))
    seen_unc = rb.stance_settings().point_uncertainty_s
    arrive = 5.0
    for past, unc, seen, uncertain in ((0.5 * seen_unc, seen_unc, True, True), (2.0, seen_unc, True, False),
                                       (-0.8 * rb.stance_settings().unseen_move_half_s,
                                        rb.stance_settings().unseen_move_half_s, False, True)):
        onset = arrive + allowance + past
        up = (StanceChange(onset + 0.5, "stand", 0.9, onset_s=onset, complete_s=onset + 1.0,
                           seen_uncertainty_s=seen_unc) if seen else
              StanceChange(onset + rb.stance_settings().unseen_move_half_s, "stand", float("nan"),
                           unseen_half_s=rb.stance_settings().unseen_move_half_s))
        c = clerk_series(stance=stands_between((up.t_s, 30.0)))
        (f,) = of(grade(obs(c, [up], approaches=[visit(arrive, 25.0)]), rb), GREET)
        assert f.verdict == (Verdict.LATE if past > 0 else Verdict.MET)
        assert f.measured_value == pytest.approx(allowance + past, abs=0.01)
        assert f.measured_uncertainty == pytest.approx(unc)
        assert ("the verdict is uncertain" in f.note) == uncertain


def test_stand_greet_standing_up_shortly_before_the_crossing_counts(rb):
    early = float(rb.rule(GREET).value("early_s"))
    up_at = 5.0 - 0.5 * early
    c = clerk_series(stance=stands_between((up_at, 30.0)))
    up = StanceChange(up_at, "stand", 0.9, onset_s=up_at - 0.4, complete_s=up_at + 0.4)
    (f,) = of(grade(obs(c, [up], approaches=[visit(5.0, 25.0)]), rb), GREET)
    assert f.verdict == Verdict.MET and f.measured_value == pytest.approx(-0.5 * early - 0.4, abs=0.01)


def test_stand_greet_early_window_is_measured_to_the_rulebooks_stand_point(rb):
    """A stand-up whose midpoint lies inside early_s before the crossing but whose onset (the point the rulebook
    grades) lies outside it is not a greeting: the clerk was already standing (not applicable). Before the fix the
    window used the midpoint and the delay the onset, reporting "met, stood up 5.05 s before"."""
    rule = rb.rule(GREET)
    assert str(rule.value("stand_point")) == "onset"
    early, arrive = float(rule.value("early_s")), 10.0
    onset, mid = arrive - early - 0.3, arrive - early + 0.3
    c = clerk_series(stance=stands_between((mid, 30.0)))
    change = StanceChange(mid, "stand", 0.9, onset_s=onset, complete_s=mid + 0.4)
    (f,) = of(grade(obs(c, [change], approaches=[visit(arrive, 25.0)]), rb), GREET)
    assert f.verdict == Verdict.NOT_APPLICABLE
    # control: the same move 0.6 s later has its onset inside the window and counts, with the onset's delay
    later = StanceChange(mid + 0.6, "stand", 0.9, onset_s=onset + 0.6, complete_s=mid + 1.0)
    c = clerk_series(stance=stands_between((mid + 0.6, 30.0)))
    (f,) = of(grade(obs(c, [later], approaches=[visit(arrive, 25.0)]), rb), GREET)
    assert f.verdict == Verdict.MET and f.measured_value == pytest.approx(onset + 0.6 - arrive, abs=0.01)


def test_stand_greet_an_early_stand_up_undone_before_the_crossing_does_not_count(rb):
    """The clerk stood up within early_s of the crossing but sat down again before it: seated when the customer
    came within 2 m, they did not stand to greet (graded MET with a negative delay before the fix)."""
    early = float(rb.rule(GREET).value("early_s"))
    allowance = float(rb.rule(GREET).value("allowance_s"))
    arrive = 8.0
    up, down = arrive - 0.8 * early, arrive - 0.3 * early
    changes = [StanceChange(up, "stand", 0.9), StanceChange(down, "sit", 0.9)]
    c = clerk_series(stance=stands_between((up, down)))
    (f,) = of(grade(obs(c, changes, approaches=[visit(arrive, 25.0)]), rb), GREET)
    assert f.verdict == Verdict.MISSED
    late_up = arrive + allowance + 2.0
    c = clerk_series(stance=stands_between((up, down), (late_up, 30.0)))
    later = StanceChange(late_up, "stand", 0.9)
    (f,) = of(grade(obs(c, changes + [later], approaches=[visit(arrive, 25.0)]), rb), GREET)
    assert f.verdict == Verdict.LATE and f.measured_value == pytest.approx(later.at("onset") - arrive, abs=0.01)


def test_stand_greet_missed(rb):
    c = clerk_series()  # seated throughout
    (f,) = of(grade(obs(c, approaches=[visit(5.0, 25.0)]), rb), GREET)
    assert f.verdict == Verdict.MISSED
    assert f.start_s == pytest.approx(5.0) and f.end_s == pytest.approx(25.0)


def test_stand_greet_is_not_assessable_when_the_recording_ends_within_the_allowance(rb):
    allowance = float(rb.rule(GREET).value("allowance_s"))
    c = clerk_series(duration_s=10.0)  # seated throughout; the recording ends at 9.9 s
    arrive = 9.9 - 0.6 * allowance
    (f,) = of(grade(obs(c, approaches=[visit(arrive, None)]), rb), GREET)
    assert f.verdict == Verdict.NOT_ASSESSABLE
    assert "recording ended" in f.note and f"{0.6 * allowance:.1f} s after" in f.note
    # the allowance ran out before the end: missed; a customer who left within the allowance: missed too
    for arrive, leave in ((9.9 - 1.2 * allowance, None), (9.9 - 0.6 * allowance, 9.8)):
        (f,) = of(grade(obs(c, approaches=[visit(arrive, leave)]), rb), GREET)
        assert f.verdict == Verdict.MISSED


def test_a_pass_by_is_not_assessable_on_the_2m_cue_rules(rb):
    near, margin = rb.near_m, rb.measure("customer", "pass_by_margin_m")
    brief = 0.5 * rb.measure("customer", "pass_by_max_s")
    c = clerk_series()  # seated throughout
    shallow = near - 0.5 * margin

    def approach(inside_s, min_m):
        return Approach(1, 5.0, 5.0 + inside_s, 5.0, 5.0 + inside_s, min_m, "A")

    res = grade(obs(c, approaches=[approach(brief, shallow)]), rb)
    for rule_id in (GREET, SEND_OFF, BOW_GREET, BOW_THANKS):
        (f,) = of(res, rule_id)
        assert f.verdict == Verdict.NOT_ASSESSABLE, rule_id
        assert "passed by" in f.note and f"{shallow:.2f} m" in f.note
    # a customer who came deeper, or stayed, is graded
    for inside_s, min_m in ((brief, near - 1.5 * margin), (2.5 * brief, shallow)):
        (f,) = of(grade(obs(c, approaches=[approach(inside_s, min_m)]), rb), GREET)
        assert f.verdict == Verdict.MISSED
    # the visit records how near the customer came and why it was a pass-by, and is no transaction
    (v,) = res.visits
    assert v.min_distance_m == pytest.approx(shallow) and v.station == "A" and "passed by" in v.pass_by
    assert of(res, "DB-5.1-handling-time") == []
    deeper = grade(obs(c, approaches=[approach(brief, near - 1.5 * margin)]), rb)
    assert deeper.visits[0].pass_by is None and len(of(deeper, "DB-5.1-handling-time")) == 1
    # lost from view within 2 m after a brief shallow stretch: a pass-by too, unless the recording ended too soon
    # after it to tell (max_gap_s; the clerk series ends at 39.9 s)
    gap = rb.measure("customer", "max_gap_s")
    lost_early = Approach(1, 5.0, None, 5.0, 5.0 + brief, shallow, "A")
    (f,) = of(grade(obs(c, approaches=[lost_early]), rb), GREET)
    assert f.verdict == Verdict.NOT_ASSESSABLE and "lost from view" in f.note
    last = 39.9 - 0.9 * gap
    lost_at_end = Approach(1, last - brief, None, last - brief, last, shallow, "A")
    (f,) = of(grade(obs(c, approaches=[lost_at_end]), rb), GREET)
    assert f.verdict == Verdict.MISSED


def test_stand_greet_a_stand_up_after_the_customer_left_does_not_count(rb):
    c = clerk_series(stance=stands_between((30.0, 40.0)))
    res = grade(obs(c, [StanceChange(30.0, "stand", 0.9)], approaches=[visit(5.0, 25.0)]), rb)
    assert of(res, GREET)[0].verdict == Verdict.MISSED


def test_stand_greet_not_applicable_when_already_standing(rb):
    c = clerk_series(stance=stands_between((0.0, 40.0)))
    (f,) = of(grade(obs(c, approaches=[visit(12.0, 25.0)]), rb), GREET)
    assert f.verdict == Verdict.NOT_APPLICABLE


def test_stand_greet_not_applicable_when_clerk_absent_long_enough(rb):
    min_absent = float(rb.rule("CC-2.8-absent").value("min_absent_s"))
    gone = (8.0, 8.0 + min_absent + 2.0)
    c = clerk_series(visible=lambda t: ~((t >= gone[0]) & (t < gone[1])))
    res = grade(obs(c, approaches=[visit(10.0, 30.0)]), rb)
    (f,) = of(res, GREET)
    assert f.verdict == Verdict.NOT_APPLICABLE
    # the absence itself is graded by 离岗, with its length
    (a,) = of(res, "CC-2.8-absent")
    assert a.verdict == Verdict.VIOLATION and a.measured_value == pytest.approx(gone[1] - gone[0] - DT, abs=0.05)


def test_stand_greet_not_assessable_when_the_arrival_was_not_observed(rb):
    c = clerk_series()
    (f,) = of(grade(obs(c, approaches=[visit(None, 25.0, first_inside=3.0)]), rb), GREET)
    assert f.verdict == Verdict.NOT_ASSESSABLE
    assert f.start_s == pytest.approx(3.0)


def test_stand_greet_not_assessable_when_clerk_briefly_not_visible(rb):
    c = clerk_series(visible=lambda t: ~((t >= 4.0) & (t < 7.0)))  # 3 s, far below min_absent_s
    (f,) = of(grade(obs(c, approaches=[visit(5.5, 25.0)]), rb), GREET)
    assert f.verdict == Verdict.NOT_ASSESSABLE


# ------------------------------------------------------------------------------------------------------------
# 站送
# ------------------------------------------------------------------------------------------------------------


def test_send_off_met_missed_not_assessable(rb):
    before = float(rb.rule(SEND_OFF).value("before_s"))
    leave = 25.0
    c = clerk_series(stance=stands_between((leave - 0.5 * before, leave + 1.0)))
    (f,) = of(grade(obs(c, approaches=[visit(5.0, leave)]), rb), SEND_OFF)
    assert f.verdict == Verdict.MET
    assert leave - before <= f.evidence_t_s <= leave
    # standing only before the window opens does not count
    c = clerk_series(stance=stands_between((leave - before - 3.0, leave - before - 1.0)))
    (f,) = of(grade(obs(c, approaches=[visit(5.0, leave)]), rb), SEND_OFF)
    assert f.verdict == Verdict.MISSED
    # the departure not observed
    c = clerk_series(stance=stands_between((20.0, 40.0)))
    (f,) = of(grade(obs(c, approaches=[visit(5.0, None)]), rb), SEND_OFF)
    assert f.verdict == Verdict.NOT_ASSESSABLE
    # the clerk not visible around the departure (briefly)
    c = clerk_series(visible=lambda t: ~((t >= leave - before - 1.0) & (t < leave + 3.0)))
    (f,) = of(grade(obs(c, approaches=[visit(5.0, leave)]), rb), SEND_OFF)
    assert f.verdict == Verdict.NOT_ASSESSABLE


# ------------------------------------------------------------------------------------------------------------
# Expected bows
# ------------------------------------------------------------------------------------------------------------


def _bend(peak_t, peak, kind="bow", hidden=False):
    return Bend(peak_t - 1.0, peak_t + 1.0, peak_t, peak, 1.0, kind, hidden)


def test_greeting_bow_met_wrong_class_and_none(rb):
    greeting = next(c for c in rb.bow_classes if c.name == rb.rule(BOW_GREET).value("expected_class"))
    other = next(c for c in rb.bow_classes if c.name != greeting.name)
    arrive = 5.0
    stand = stands_between((6.0, 30.0))
    ch = [StanceChange(6.0, "stand", 0.9)]

    def bow_finding(bends, flexion=None):
        c = clerk_series(stance=stand, flexion=flexion)
        return of(grade(obs(c, ch, bends, [visit(arrive, 25.0)]), rb), BOW_GREET)[0]

    f = bow_finding([_bend(arrive + 3.0, greeting.nominal_deg)])
    assert f.verdict == Verdict.MET and f.measured_value == pytest.approx(greeting.nominal_deg)
    f = bow_finding([_bend(arrive + 3.0, other.nominal_deg)])
    assert f.verdict == Verdict.MISSED and f.measured_value == pytest.approx(other.nominal_deg)
    assert other.name in f.note
    # a reach is not a bow; with the trunk measurable and upright it is "no bow"
    f = bow_finding([_bend(arrive + 3.0, greeting.nominal_deg, kind="reach")])
    assert f.verdict == Verdict.MISSED and "no bow" in f.note
    # a bow outside the window does not count
    f = bow_finding([_bend(arrive + float(rb.rule(BOW_GREET).value("after_s")) + 2.0, greeting.nominal_deg)])
    assert f.verdict == Verdict.MISSED
    # no bow and the trunk not measurable: not assessable, never compliance
    f = bow_finding([], flexion=lambda t: np.full(len(t), np.nan))
    assert f.verdict == Verdict.NOT_ASSESSABLE


def test_a_bow_whose_pm_is_half_its_band_wide_is_not_assessable_unless_it_misses_the_band(rb):
    """Seen over the clerk's shoulder, MediaPipe's landmarks err by about 7 % of the trunk: a 30° bow read 15° ± 8°
    cannot be told from a greeting bow, so the greeting is not assessable — not met, not missed; a bow whose whole
    ± interval lies beyond the band is still a wrong class, and a ± under half the band grades as before."""
    greeting = next(c for c in rb.bow_classes if c.name == rb.rule(BOW_GREET).value("expected_class"))
    half = (greeting.max_deg - greeting.min_deg) / 2
    arrive = 5.0
    c = clerk_series(stance=stands_between((6.0, 30.0)))

    def graded(peak, pm):
        bend = dataclasses.replace(_bend(arrive + 3.0, peak), peak_uncertainty_deg=pm)
        res = grade(obs(c, [StanceChange(6.0, "stand", 0.9)], [bend], [visit(arrive, 25.0)]), rb)
        return of(res, BOW_GREET)[0], of(res, "DB-6.2-bow")[0]

    f, info = graded(greeting.nominal_deg, half)
    assert f.verdict == Verdict.NOT_ASSESSABLE and f.measured_value == pytest.approx(greeting.nominal_deg)
    assert "at least half the greeting band" in f.note and "not assessable" in info.note
    f, _ = graded(greeting.nominal_deg, half - 0.5)
    assert f.verdict == Verdict.MET
    f, _ = graded(greeting.max_deg + half + 1.0, half)       # the whole interval above the band
    assert f.verdict == Verdict.MISSED


def test_thanks_bow_at_the_send_off(rb):
    thanks = next(c for c in rb.bow_classes if c.name == rb.rule(BOW_THANKS).value("expected_class"))
    leave = 25.0
    c = clerk_series(stance=stands_between((20.0, 30.0)))
    res = grade(obs(c, [StanceChange(20.0, "stand", 0.9)], [_bend(leave - 2.0, thanks.nominal_deg)],
                    [visit(5.0, leave)]), rb)
    (f,) = of(res, BOW_THANKS)
    assert f.verdict == Verdict.MET
    # the same bow is graded (info) with its class
    (g,) = of(res, "DB-6.2-bow")
    assert g.verdict == Verdict.INFO and thanks.name in g.note


# ------------------------------------------------------------------------------------------------------------
# Posture
# ------------------------------------------------------------------------------------------------------------


def test_posture_violation_interval_and_duration(rb):
    rule = rb.rule(STOOP)
    enter, min_dur = float(rule.value("enter")), float(rule.value("min_duration_s"))
    long_span, short_span = (10.0, 10.0 + min_dur + 3.0), (30.0, 30.0 + 0.5 * min_dur)

    def flex(t):
        f = np.zeros(len(t))
        for a, b in (long_span, short_span):
            f[(t >= a) & (t < b)] = enter + 5.0
        return f

    c = clerk_series(stance=stands_between((0.0, 40.0)), flexion=flex)
    res = grade(obs(c), rb)
    found = of(res, STOOP)
    assert len(found) == 1
    f = found[0]
    assert f.verdict == Verdict.VIOLATION
    assert f.start_s == pytest.approx(long_span[0]) and f.end_s == pytest.approx(long_span[1] - DT)
    assert f.duration_s == pytest.approx(long_span[1] - long_span[0] - DT)
    assert f.measured_value == pytest.approx(enter + 5.0) and f.measured_unit == rule.value("unit")
    assert STOOP in res.coverage.assessable_rules
    # seated the same flexion is not a standing stoop
    c = clerk_series(flexion=flex)
    assert of(grade(obs(c), rb), STOOP) == []


def test_rule_with_all_nan_series_is_not_assessable_and_yields_no_finding(rb):
    c = clerk_series(stance=stands_between((0.0, 40.0)), lateral=lambda t: np.full(len(t), np.nan))
    res = grade(obs(c, approaches=[visit(5.0, 25.0)]), rb)
    assert LEAN in res.coverage.not_assessable_rules
    assert LEAN not in res.coverage.assessable_rules
    assert of(res, LEAN) == []
    # the same for the sway rule, which reads the lateral lean too
    assert "DB-6.2-sway" in res.coverage.not_assessable_rules
    # and for a seated-only rule when the clerk never sits
    assert "CC-1.7-lie-on-desk" in res.coverage.not_assessable_rules
    assert not any(f.verdict == Verdict.MET for f in res.findings
                   if f.rule_id in res.coverage.not_assessable_rules)


# ------------------------------------------------------------------------------------------------------------
# Score
# ------------------------------------------------------------------------------------------------------------


def test_score_counts_only_assessed_occasions(rb):
    # visit 1: greeted in time; visit 2: arrival not observed; visit 3: clerk already standing → n/a
    c = clerk_series(stance=stands_between((6.0, 14.0), (28.0, 40.0)))
    res = grade(obs(c, [StanceChange(6.0, "stand", 0.9), StanceChange(28.0, "stand", 0.9)],
                    approaches=[visit(5.0, 12.0, 1), visit(None, 20.0, 2, first_inside=15.0),
                                visit(36.0, None, 3)]), rb)
    graded = [f for f in res.findings
              if f.verdict in (Verdict.MET, Verdict.LATE, Verdict.MISSED, Verdict.VIOLATION)]
    assert any(f.verdict == Verdict.NOT_ASSESSABLE for f in res.findings)
    assert any(f.verdict == Verdict.NOT_APPLICABLE for f in res.findings)
    expected = 100.0 * sum(f.verdict == Verdict.MET for f in graded) / len(graded)
    assert res.score == pytest.approx(expected)
    # by hand: 2 met + 1 late + 1 not assessable + 1 n/a + 1 info → 2 / 3
    base = dict(clause="c", wording_zh="w", title_en="t", title_zh="t", severity=Severity.MINOR, start_s=0.0,
                end_s=1.0, person="clerk")
    verdicts = [Verdict.MET, Verdict.MET, Verdict.LATE, Verdict.NOT_ASSESSABLE, Verdict.NOT_APPLICABLE, Verdict.INFO]
    r = ReviewResult("x", 1.0, 1, 1, 1, findings=[Finding(rule_id=f"r{i}", verdict=v, **base)
                                                  for i, v in enumerate(verdicts)])
    assert r.score == pytest.approx(200.0 / 3.0)
    only_na = ReviewResult("x", 1.0, 1, 1, 1, findings=[Finding(rule_id="r", verdict=Verdict.NOT_ASSESSABLE,
                                                                **base)])
    assert only_na.score is None


def test_two_stations_each_clerk_graded_for_their_own_customers(rb):
    """Two clerks, a customer at each station at the same time: clerk A stands up for theirs, clerk B stays
    seated; each clerk is graded only for the visit to their own station and named by it."""
    a = clerk_series(stance=stands_between((5.5, 20.0)))
    b = clerk_series()
    o = Observations(source="synthetic", duration_s=40.0, analysed_frames=400, image_width=1280, image_height=720,
                     clerks=[ClerkObservations("A", "clerk@A", a, [StanceChange(5.5, "stand", 0.9)], []),
                             ClerkObservations("B", "clerk@B", b, [], [])],
                     customers=[], approaches=[visit(5.0, 18.0, track=3, station="A"),
                                               visit(6.0, 19.0, track=4, station="B")])
    res = grade(o, rb)
    greet = {f.person: f for f in of(res, GREET)}
    assert set(greet) == {"clerk@A", "clerk@B"}
    assert greet["clerk@A"].verdict == Verdict.MET and greet["clerk@B"].verdict == Verdict.MISSED
    visits = {v.visit_id: v for v in res.visits}
    assert visits[greet["clerk@A"].visit_id].customer == "customer#3"
    assert visits[greet["clerk@B"].visit_id].customer == "customer#4"
    assert {v.station for v in res.visits} == {"A", "B"}
    assert set(res.coverage.visible_s) >= {"clerk@A", "clerk@B"}
    assert {s.name for s in res.series} >= {"trunk_flexion_deg:clerk@A", "trunk_flexion_deg:clerk@B"}


def test_a_station_outside_the_cameras_view_is_not_assessable_never_absent(rb):
    """Two stations, B's clerk outside the camera's view (never seen): B's rules each say not assessable with the
    reason, once over the whole video — no 离岗 violation, no 站接 verdict for B's customer; A is graded as usual."""
    a = clerk_series(stance=stands_between((5.5, 20.0)))
    b = clerk_series(visible=lambda t: np.zeros(len(t), bool))
    why = "the station's clerk is outside the camera's 1280×720 view (shoulders 1 m high at (-40, 900) px)"
    o = Observations(source="synthetic", duration_s=40.0, analysed_frames=400, image_width=1280, image_height=720,
                     clerks=[ClerkObservations("A", "clerk@A", a, [StanceChange(5.5, "stand", 0.9)], []),
                             ClerkObservations("B", "clerk@B", b, [], [], out_of_view=why)],
                     customers=[], approaches=[visit(5.0, 18.0, track=3, station="A"),
                                               visit(6.0, 19.0, track=4, station="B")])
    res = grade(o, rb)
    of_b = [f for f in res.findings if f.person == "clerk@B"]
    assert of_b and all(f.verdict == Verdict.NOT_ASSESSABLE and "station B" in f.note and why in f.note
                        for f in of_b)
    assert len({f.rule_id for f in of_b}) == len(of_b)          # one per rule
    assert not [f for f in of(res, "CC-2.8-absent") if f.verdict == Verdict.VIOLATION]
    greet = {f.person: f for f in of(res, GREET)}
    assert greet["clerk@A"].verdict == Verdict.MET and greet["clerk@B"].visit_id is None


def test_without_clerks_every_clerk_rule_is_not_assessable_with_the_reason(rb):
    o = Observations(source="synthetic", duration_s=10.0, analysed_frames=100, image_width=640, image_height=480,
                     clerks=[], customers=[], approaches=[])
    res = grade(o, rb)
    assert not res.findings
    assert GREET in res.coverage.not_assessable_rules and "station" in res.coverage.not_assessable_rules[GREET]
    assert GREET not in res.coverage.assessable_rules


def test_findings_carry_their_rule_kind(rb):
    c = clerk_series(stance=stands_between((6.0, 30.0)))
    res = grade(obs(c, [StanceChange(6.0, "stand", 0.9)], approaches=[visit(5.0, 25.0)]), rb)
    assert res.findings
    for f in res.findings:
        assert f.rule_kind == rb.rule(f.rule_id).kind


def test_graders_cover_every_rule_kind():
    from etiquette_cv.rules.graders import CLERK_GRADERS, GRADED_LATER, UNGRADED, VISIT_GRADERS
    from etiquette_cv.rules.rulebook import RULE_KINDS

    kinds = [*CLERK_GRADERS, *VISIT_GRADERS, *UNGRADED, *GRADED_LATER]
    assert sorted(kinds) == sorted(RULE_KINDS) and len(set(kinds)) == len(kinds)


def test_grade_leaves_the_scene_and_service_time_kinds_to_their_stages(rb):
    from etiquette_cv.rules.graders import GRADED_LATER

    later = {r.id for r in rb.rules if r.kind in GRADED_LATER}
    assert later >= {"CC-2.10-counter-clutter", "DB-4-floor-debris", "DB-4-lighting", "CC-2.10-staff-in-waiting",
                     "DB-5.1-waiting-time"}
    for clerks in (True, False):   # with a clerk, and with none (no "no clerk was graded" for the scene rules)
        c = clerk_series(stance=stands_between((6.0, 30.0)))
        o = obs(c, [StanceChange(6.0, "stand", 0.9)], approaches=[visit(5.0, 25.0)])
        if not clerks:
            o = dataclasses.replace(o, clerks=[])
        res = grade(o, rb)
        assert not later & {f.rule_id for f in res.findings}
        assert not later & (set(res.coverage.assessable_rules) | set(res.coverage.not_assessable_rules))


# ------------------------------------------------------------------------------------------------------------
# The point of a stand-up, a missed bow's quoted value, the uncertainty of a bow
# ------------------------------------------------------------------------------------------------------------


def test_stand_greet_measures_the_delay_to_the_point_the_rulebook_names(rb):
    point = rb.rule(GREET).value("stand_point")
    arrive = 5.0
    up = StanceChange(9.0, "stand", 0.6, onset_s=8.4, complete_s=9.6)
    c = clerk_series(stance=stands_between((9.0, 30.0)))
    (f,) = of(grade(obs(c, [up], approaches=[visit(arrive, 25.0)]), rb), GREET)
    assert f.measured_value == pytest.approx(up.at(point) - arrive, abs=0.01)
    assert point in f.threshold_text and "onset/midpoint/complete 8.4/9.0/9.6 s" in f.note


def test_a_missed_bow_quotes_the_window_s_own_standing_flexion_not_the_rise(rb):
    arrive = 5.0
    up = StanceChange(6.0, "stand", 0.6, onset_s=5.6, complete_s=6.4)
    # the rise reads 15° for a moment (mid-transition), the standing spell after it at most 4°
    flex = lambda t: np.where(np.abs(t - 6.0) < 0.3, 15.0, np.where(t > 7.0, 4.0 * (t < 9.0), 0.0))  # noqa: E731
    c = clerk_series(stance=stands_between((6.0, 30.0)), flexion=flex)
    (f,) = of(grade(obs(c, [up], approaches=[visit(arrive, 25.0)]), rb), BOW_GREET)
    assert f.verdict == Verdict.MISSED
    assert f.measured_value == pytest.approx(4.0) and "15" not in f.note
    assert f"no bow in {arrive - 1.0:.1f}–" in f.note


def test_a_bow_carries_its_uncertainty_and_says_when_it_straddles_a_band_edge(rb):
    greeting = next(cl for cl in rb.bow_classes if cl.name == "greeting")
    c = clerk_series(stance=stands_between((0.0, 40.0)))
    sure = dataclasses.replace(_bend(10.0, greeting.nominal_deg), peak_uncertainty_deg=1.5)
    edge = dataclasses.replace(_bend(20.0, greeting.max_deg - 0.5), peak_uncertainty_deg=2.0)
    res = grade(obs(c, [], [sure, edge]), rb)
    a, b = sorted(of(res, "DB-6.2-bow"), key=lambda f: f.start_s)
    assert a.measured_uncertainty == 1.5 and "± 1.5°" in a.note and "straddles" not in a.note
    assert b.measured_uncertainty == 2.0 and "straddles the band edge" in b.note and f"{greeting.max_deg:g}°" in b.note


def test_a_clerk_last_seen_at_the_image_edge_of_a_station_near_it_is_out_of_view_not_absent(rb):
    """A clerk unseen longer than the absent limit while a customer is near: absent (离岗) when they vanished inside
    the image or the station is well inside the view; not assessable, with the reason, when they were last seen
    touching the image border and standing near the station can leave the view."""
    min_absent = float(rb.rule("CC-2.8-absent").value("min_absent_s"))
    gone = (8.0, 8.0 + min_absent + 4.0)
    c = clerk_series(visible=lambda t: ~((t >= gone[0]) & (t < gone[1])))
    c.at_frame_edge = (c.t_s >= gone[0] - 1.0) & (c.t_s < gone[0])        # at the border just before vanishing
    why = "standing 0.6 m from the station's floor point the clerk's shoulders can leave the camera's view"

    def graded(may_leave, edge):
        cs = dataclasses.replace(c, at_frame_edge=edge)
        o = obs(cs, approaches=[visit(10.0, gone[0] + 8.0)])   # both 站送's window and 站接 unseen
        o.clerks[0] = dataclasses.replace(o.clerks[0], may_stand_out_of_view=may_leave)
        res = grade(o, rb)
        return of(res, GREET)[0], of(res, "CC-2.8-absent"), of(res, "CC-2.6b-stand-send-off")[0]

    greet, absent, send = graded(why, c.at_frame_edge)
    assert greet.verdict == Verdict.NOT_ASSESSABLE and why in greet.note and "image's edge" in greet.note
    assert absent and all(a.verdict == Verdict.NOT_ASSESSABLE and why in a.note for a in absent)
    assert send.verdict == Verdict.NOT_ASSESSABLE and why in send.note
    for may_leave, edge in ((None, c.at_frame_edge), (why, np.zeros(len(c.t_s), bool))):
        greet, absent, send = graded(may_leave, edge)
        assert greet.verdict == Verdict.NOT_APPLICABLE and "absent" in greet.note
        assert [a.verdict for a in absent] == [Verdict.VIOLATION]
        assert send.verdict == Verdict.NOT_APPLICABLE
    # a station whose seated clerk is outside the view: unseen anywhere may be sitting there, never absent
    seated = "the station's clerk is outside the camera's 1280×720 view (shoulders 1 m high at (1300, 500) px)"
    o = obs(dataclasses.replace(c, at_frame_edge=np.zeros(len(c.t_s), bool)),
            approaches=[visit(10.0, gone[0] + 8.0)])
    o.clerks[0] = dataclasses.replace(o.clerks[0], seated_out_of_view=seated)
    res = grade(o, rb)
    assert of(res, GREET)[0].verdict == Verdict.NOT_ASSESSABLE and seated in of(res, GREET)[0].note
    assert [a.verdict for a in of(res, "CC-2.8-absent")] == [Verdict.NOT_ASSESSABLE]


def test_stand_greet_a_seated_clerk_leaving_the_view_within_the_allowance_is_not_missed(rb):
    """Seated at the crossing, then gone over the image's edge 1.5 s later with no stand-up seen (a front camera's
    frame cuts a standing clerk's head, tuning t129): the stand-up may have happened out of view, so 站接 is not
    assessable; gone only after the allowance ran out, still seated until then: missed."""
    allowance = float(rb.rule(GREET).value("allowance_s"))
    why = "standing 0.6 m from the station's floor point the clerk's shoulders can leave the camera's view"
    arrive = 5.0
    for gone_at, verdict in ((arrive + 0.5 * allowance, Verdict.NOT_ASSESSABLE), (arrive + allowance + 1.0,
                                                                                   Verdict.MISSED)):
        c = clerk_series(visible=lambda t, g=gone_at: t < g)
        c.at_frame_edge = (c.t_s >= gone_at - 0.5) & (c.t_s < gone_at)
        o = obs(c, approaches=[visit(arrive, 25.0)])
        o.clerks[0] = dataclasses.replace(o.clerks[0], may_stand_out_of_view=why)
        (f,) = of(grade(o, rb), GREET)
        assert f.verdict == verdict, gone_at
        if verdict == Verdict.NOT_ASSESSABLE:
            assert why in f.note and f"{gone_at - arrive:.1f} s after" in f.note
    # gone inside the image (no edge): missed — away from the post is not out of view
    c = clerk_series(visible=lambda t: t < arrive + 0.5 * allowance)
    c.at_frame_edge = np.zeros(len(c.t_s), bool)
    o = obs(c, approaches=[visit(arrive, 25.0)])
    o.clerks[0] = dataclasses.replace(o.clerks[0], may_stand_out_of_view=why)
    assert of(grade(o, rb), GREET)[0].verdict == Verdict.MISSED


def test_the_result_carries_the_rulebooks_near_distance(rb, tmp_path):
    """The reports name the distance the visits were timed from (report tests: "Within 1.5 m")."""
    from etiquette_cv.rules.rulebook import DEFAULT_RULEBOOK

    c = clerk_series(stance=stands_between((6.0, 30.0)))
    assert grade(obs(c, [StanceChange(6.0, "stand", 0.9)], approaches=[visit(5.0, 25.0)]), rb).near_m == 2.0
    text = DEFAULT_RULEBOOK.read_text(encoding="utf-8")
    assert "near_m: {value: 2.0, source: standard}" in text
    (tmp_path / "rb.yaml").write_text(text.replace("near_m: {value: 2.0, source: standard}",
                                                   "near_m: {value: 1.5, source: default}"), encoding="utf-8")
    other = load_rulebook(tmp_path / "rb.yaml")
    assert grade(obs(c, [StanceChange(6.0, "stand", 0.9)], approaches=[visit(5.0, 25.0)]), other).near_m == 1.5


def test_a_missed_bow_does_not_quote_a_pose_glitch(rb):
    """A pose glitch (a bend faster than a body bends, events.detect_bends) is no bow and no trunk angle: the missed
    bow's note quotes the window's deepest flexion outside it and names the glitch."""
    arrive = 5.0
    glitch_at = arrive + 2.0
    flex = lambda t: np.where(np.abs(t - glitch_at) < 0.35, 92.0, 3.0)  # noqa: E731
    c = clerk_series(stance=stands_between((4.0, 30.0)), flexion=flex)
    bends = [Bend(glitch_at - 0.3, glitch_at + 0.3, glitch_at, 92.0, 0.6, "glitch", False)]
    (f,) = of(grade(obs(c, [StanceChange(4.0, "stand", 0.9)], bends, [visit(arrive, 25.0)]), rb), BOW_GREET)
    assert f.verdict == Verdict.MISSED and f.measured_value == pytest.approx(3.0)
    assert "92° at" not in f.note and "(92°) was a pose glitch" in f.note


def test_a_bend_the_measurements_ended_in_leaves_the_bow_not_assessable(rb):
    """A bend never seen to come back up (kind ``unfinished``: the video ended during it) tells neither its depth
    nor whether it was a bow or a sit-down (rendered people set t105): the expected bow is not assessable, its note
    says why; the same bend seen to come back up is graded."""
    arrive = 5.0
    flex = lambda t: np.where(np.abs(t - 7.0) < 0.4, 33.0, 2.0)  # noqa: E731
    c = clerk_series(stance=stands_between((4.0, 30.0)), flexion=flex)
    cut = [Bend(6.7, 7.3, 7.2, 33.0, 0.3, "unfinished", False)]
    (f,) = of(grade(obs(c, [StanceChange(4.0, "stand", 0.9)], cut, [visit(arrive, 25.0)]), rb), BOW_GREET)
    assert f.verdict == Verdict.NOT_ASSESSABLE and "measurements ended" in f.note and "33°" in f.note
    bow = [dataclasses.replace(cut[0], kind="bow")]
    (f,) = of(grade(obs(c, [StanceChange(4.0, "stand", 0.9)], bow, [visit(arrive, 25.0)]), rb), BOW_GREET)
    assert f.verdict == Verdict.MISSED and f.measured_value == pytest.approx(33.0)


WALK = "DB-5.1-walk"


def _with_path(clerk: ClerkSeries, xy: np.ndarray) -> Observations:
    """Observations of one clerk whose floor path is ``xy`` (one point every DT seconds), median-filtered as the
    analysis does."""
    from scipy.ndimage import median_filter

    from etiquette_cv.posture.walking import FloorPath, WalkingSettings

    t = DT * np.arange(len(xy))
    smooth = np.column_stack([median_filter(np.asarray(xy, float)[:, k], size=WalkingSettings().smooth_samples,
                                            mode="nearest") for k in (0, 1)])
    o = obs(clerk)
    o.clerks[0].path = FloorPath(t, np.arange(len(t)), np.ones(len(t), int), smooth, np.zeros(len(t), int))
    return o


def test_a_clerk_running_across_the_hall_is_a_violation_with_its_speed(rb):
    walk, run = 1.2 * DT * np.arange(50), 3.2 * DT * np.arange(1, 21)      # 5 s walking, then 2 s at 3.2 m/s
    x = np.concatenate([walk, walk[-1] + run, np.full(30, walk[-1] + run[-1])])
    res = grade(_with_path(clerk_series(), np.column_stack([x, np.ones(len(x))])), rb)
    f = of(res, WALK)
    assert len(f) == 1 and f[0].verdict == Verdict.VIOLATION and f[0].measured_unit == "m/s"
    assert f[0].measured_value == pytest.approx(3.2, abs=0.1)
    assert 4.0 <= f[0].start_s <= 5.1 and 6.9 <= f[0].end_s <= 8.0       # the run: 5.0-7.0 s
    assert f[0].threshold_value == rb.rule(WALK).value("speed_m_s") and WALK in res.coverage.assessable_rules


def test_a_brisk_walk_through_floor_point_noise_is_no_run(rb):
    x = 1.8 * DT * np.arange(150)
    xy = np.column_stack([x, np.ones(len(x))]) + np.random.default_rng(7).normal(0.0, 0.1, (len(x), 2))
    res = grade(_with_path(clerk_series(), xy), rb)
    assert of(res, WALK) == [] and WALK in res.coverage.assessable_rules


def test_running_is_not_assessable_without_a_measured_path(rb):
    res = grade(obs(clerk_series()), rb)
    assert of(res, WALK) == []
    assert "floor position was never measured" in res.coverage.not_assessable_rules[WALK]
    assert WALK not in res.coverage.assessable_rules
