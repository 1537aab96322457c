"""The 2 m cues bounded from the customer's stop at the counter (no calibration, no marked line), and steps scored
against a cue known only within a span."""

from __future__ import annotations

import numpy as np
import pytest

from etiquette_cv.core import FramePoses, PersonPose
from etiquette_cv.pipeline.trainee_events import arrival_settings
from etiquette_cv.rules.rulebook import DEFAULT_RULEBOOK, load_rulebook
from etiquette_cv.training.arrival import ArrivalSettings, arrival_cues, body_speed, rest_spells
from etiquette_cv.training.scenario import load_scenario
from etiquette_cv.training.scoring import score_attempt
from etiquette_cv.training.stream import TraineeEvent, TraineeEvents

RB = load_rulebook()
S = ArrivalSettings()


def _person(track_id: int, x: float, top_y: float, height: float = 400.0, jitter: float = 0.0) -> PersonPose:
    """A person whose head is at (x, top_y) pixels and whose box is ``height`` tall; ``jitter`` shifts the
    shoulders' landmarks (the two box sources' disagreement)."""
    xy = np.zeros((33, 2))
    xy[:, 0] = x
    xy[:, 1] = np.linspace(top_y, top_y + height, 33)
    xy[0] = (x, top_y + 20)
    xy[11] = (x - 40 + jitter, top_y + 60 + jitter)
    xy[12] = (x + 40 + jitter, top_y + 60 + jitter)
    return PersonPose(track_id, "unknown", xy, np.zeros(33), np.zeros((33, 3)), np.ones(33), np.ones(33),
                      box_xyxy_px=np.array([x - 60, top_y, x + 60, top_y + height]))


def _visit(leave: bool = True, jitter: float = 0.0) -> list[FramePoses]:
    """10 frames/s for 16 s: the trainee (#1) at the centre; a customer (#2) comes into the picture at its left edge
    at 3.0 s, walks right until 4.5 s, stands at the counter and (``leave``) walks off left from 11.0 s, out of the
    picture at 12.5 s. ``jitter``: every other frame the customer's shoulders are read this many pixels off."""
    out = []
    for i in range(160):
        t = i / 10
        people = [_person(1, 640, 200)]
        if 3.0 <= t < 4.5:
            people.append(_person(2, 60 + 200 * (t - 3.0), 150))
        elif 4.5 <= t < 11.0 or (not leave and t >= 11.0):
            people.append(_person(2, 360, 150, jitter=jitter * (i % 2)))
        elif leave and 11.0 <= t < 12.5:
            people.append(_person(2, 360 - 200 * (t - 11.0), 150))
        out.append(FramePoses(i, t, 1280, 720, people))
    return out


def test_a_customer_who_walks_in_and_stops_bounds_the_2m_crossing_before_the_stop():
    a = arrival_cues(_visit(), trainee_id=1, s=S)
    assert a is not None and a.customer_id == 2
    assert a.arrive_s == pytest.approx(4.5, abs=0.6)
    assert a.near_s == pytest.approx((a.arrive_s - S.max_lead_s, a.arrive_s))
    assert S.max_lead_s == pytest.approx((2.0 - 0.3) / 0.5 + 1.0)
    assert a.depart_s == pytest.approx(11.0, abs=0.6)
    assert a.leave_s == pytest.approx((a.depart_s, a.depart_s + S.max_lead_s))


def test_a_customer_still_at_the_counter_at_the_end_gives_no_leaving_cue():
    a = arrival_cues(_visit(leave=False), trainee_id=1, s=S)
    assert a is not None and a.leave_s is None and a.depart_s is None


def test_landmarks_that_jump_between_two_readings_do_not_break_the_stop():
    a = arrival_cues(_visit(jitter=30.0), trainee_id=1, s=S)
    assert a is not None and a.arrive_s == pytest.approx(4.5, abs=0.6)


def test_somebody_there_from_the_start_or_only_rising_in_place_is_no_arrival():
    frames = []
    for i in range(120):
        t = i / 10
        rise = 0.0 if t < 5 else min(1.0, t - 5) * 150     # a seated clerk standing up: straight up, no walk
        frames.append(FramePoses(i, t, 1280, 720, [_person(1, 640, 200), _person(2, 300, 300 - rise)]))
    assert arrival_cues(frames, trainee_id=1, s=S) is None


def test_the_speed_is_in_box_heights_per_second_and_a_short_pause_is_no_stop():
    t = np.arange(0, 6, 0.1)
    x = np.where(t < 2, 100 * t, np.where(t < 3, 200, 200 + 100 * (t - 3)))    # walks, pauses 1 s, walks on
    points = np.column_stack([x, np.full(len(t), 100.0)])
    speed = body_speed(t, points, 400.0, S)
    assert np.nanmedian(speed[(t > 0.7) & (t < 1.5)]) == pytest.approx(100 / 400, rel=0.05)
    assert rest_spells(t, speed, S) == []


def _events(stand_at: float, span: tuple[float, float]) -> TraineeEvents:
    ev = [TraineeEvent("stand_up", stand_at, stand_at - 0.1, stand_at + 0.9)]
    return TraineeEvents(ev, 30.0, cues={"customer_near": span[1], "customer_leave": None},
                         cue_spans={"customer_near": span})


def test_a_step_is_graded_when_its_verdict_holds_anywhere_in_the_cue_span():
    reception = load_scenario("reception", RB)
    res = score_attempt(reception, _events(2.0, (0.5, 4.5)))      # window: 5 s before to 3 s after the crossing
    step = res.steps[0]
    assert step.verdict == "done" and step.anchor_span_s == (0.5, 4.5)
    assert "between 0.5 and 4.5 s" in step.message_en
    res = score_attempt(reception, _events(10.5, (3.0, 5.0)))     # 5.5-7.5 s after: late (up to 8 s) anywhere
    assert res.steps[0].verdict == "late"


def test_a_step_whose_verdict_depends_on_where_in_the_span_is_not_assessable_with_the_verdicts():
    reception = load_scenario("reception", RB)
    res = score_attempt(reception, _events(6.0, (0.5, 4.5)))      # 1.5-5.5 s after: done or late
    step = res.steps[0]
    assert step.verdict == "not_assessable" and step.points_awarded == 0
    assert "between 0.5 and 4.5 s" in step.reason and "done, late" in step.reason
    assert step.reason_zh and step.event is not None and step.event.t_s == 6.0
    assert res.points_possible == sum(s.points_possible for s in res.steps[1:])


def test_the_bound_comes_from_the_rulebook(tmp_path):
    assert arrival_settings(RB).max_lead_s == pytest.approx((2.0 - 0.3) / 0.5 + 1.0)
    text = open(DEFAULT_RULEBOOK, encoding="utf-8").read()
    assert "arrival_slowest_walk_m_s: {value: 0.5," in text
    path = tmp_path / "rulebook.yaml"
    path.write_text(text.replace("arrival_slowest_walk_m_s: {value: 0.5,", "arrival_slowest_walk_m_s: {value: 1.0,"),
                    encoding="utf-8")
    assert arrival_settings(load_rulebook(path)).max_lead_s == pytest.approx((2.0 - 0.3) / 1.0 + 1.0)


def test_a_live_scorer_waits_for_the_customer_to_stop_before_deciding_the_stand_up():
    """Live, without a calibration: before the customer has stopped, the 站接 step is undecided (not "not
    assessable"); the trainee never stands, so it is missing once the late allowance after the span has passed."""
    from etiquette_cv.pipeline.score_live import LiveScorer
    scorer = LiveScorer(load_scenario("reception", RB), RB, lang="en", every_s=0.5)
    said = []
    for f in _visit(leave=False):
        said += [(f.timestamp_s, line) for line in scorer.add(f) if line.startswith("[")]
    (t, line), *_ = [(t, line) for t, line in said if "1. " in line]
    assert line.startswith("[missing]"), said
    assert t >= 4.5 + 3.0 + 5.0 - 0.6                    # the stop's span ends at ~4.5 s; window to +3 s, late +5 s


def test_the_notes_and_advice_name_the_rulebooks_near_distance(tmp_path):
    from etiquette_cv.pipeline.trainee_events import NO_ARRIVAL, arrival_note, near_texts

    a = arrival_cues(_visit(), trainee_id=1, s=S)
    en, zh = arrival_note(a)
    assert "came within 2 m between" in en and "走到2米处" in zh
    en, zh = arrival_note(a, 1.5)
    assert "came within 1.5 m between" in en and "走到1.5米处" in zh and "2 m" not in en
    text = open(DEFAULT_RULEBOOK, encoding="utf-8").read()
    assert "near_m: {value: 2.0, source: standard}" in text
    (tmp_path / "rb.yaml").write_text(text.replace("near_m: {value: 2.0, source: standard}",
                                                   "near_m: {value: 1.5, source: default}"), encoding="utf-8")
    en, zh = near_texts(NO_ARRIVAL, load_rulebook(tmp_path / "rb.yaml"))
    assert "mark the 1.5 m line" in en and "标出1.5米线" in zh and "{near}" not in en + zh
