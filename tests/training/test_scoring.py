"""The scoring engine on synthetic event streams: all right, one late, a wrong bow class, one missing, out of
order, a cue the recording cannot measure."""

from __future__ import annotations

import pytest

from etiquette_cv.rules.rulebook import load_rulebook
from etiquette_cv.training.scenario import load_scenario
from etiquette_cv.training.scoring import score_attempt
from etiquette_cv.training.stream import TraineeEvent, TraineeEvents

RB = load_rulebook()
RECEPTION = load_scenario("reception", RB)
APOLOGY = load_scenario("apology", RB)


def stand(t):
    return TraineeEvent("stand_up", t, t - 0.1, t + 0.9)


def bow(t, deg, hold=1.2):
    return TraineeEvent("bow", t, t, t + 3.0, peak_angle_deg=deg, peak_t_s=t + 1.5, hold_s=hold)


def indicate(t):
    return TraineeEvent("indicate", t, t, t + 1.5)


def stream(*events, near=3.8):
    return TraineeEvents(list(events), 40.0, cues={"customer_near": near, "customer_leave": None})


def verdicts(res):
    return [s.verdict for s in res.steps]


def test_all_steps_right_scores_full_marks():
    res = score_attempt(RECEPTION, stream(stand(4.3), bow(5.5, 15.0), indicate(10.0)))
    assert verdicts(res) == ["done", "done", "done"]
    assert res.score_pct == pytest.approx(100.0)
    assert "bow 15°" in res.steps[1].message_en and "band 9–22°" in res.steps[1].message_en
    assert res.steps[1].coaching_en == ""


def test_the_sheet_names_the_rulebooks_near_distance():
    """The cue is the crossing of the rulebook's near distance (2 m by the standard); the sheet says which."""
    res = score_attempt(RECEPTION, stream(stand(9.0), bow(10.0, 15.0), indicate(14.0)))
    assert "after the customer crossing 2 m" in res.steps[0].message_en
    assert "客户走到距柜台2米处" in res.steps[0].message_zh
    ev = stream(stand(9.0), bow(10.0, 15.0), indicate(14.0))
    ev.near_m = 1.5
    res = score_attempt(RECEPTION, ev)
    assert "after the customer crossing 1.5 m" in res.steps[0].message_en
    assert "客户走到距柜台1.5米处" in res.steps[0].message_zh and "2 m" not in res.steps[0].message_en


def test_a_late_stand_up_gets_the_late_credit():
    res = score_attempt(RECEPTION, stream(stand(9.0), bow(10.0, 15.0), indicate(14.0)))
    assert verdicts(res) == ["late", "done", "done"]
    assert res.steps[0].points_awarded == pytest.approx(30 * 0.5)
    assert res.steps[0].delay_s == pytest.approx(5.2)
    assert "stand-up at 9.0 s — late; 5.2 s after the customer crossing 2 m; window -5 to 3 s" in res.steps[0].message_en
    assert res.steps[0].coaching_zh  # the coaching text is given for a step not done right


def test_a_stand_up_whose_time_straddles_the_window_edge_says_its_verdict_is_uncertain():
    """The stance machine's onset is known to ± 0.3 s where seen: a stand-up within that of the window's end keeps
    its verdict (late, or done) but the sheet says it is uncertain; one well past it does not."""
    def up(t):
        return TraineeEvent("stand_up", t, t - 0.1, t + 0.9, time_uncertainty_s=0.3)
    for t, verdict, uncertain in ((6.9, "late", True), (6.7, "done", True), (9.0, "late", False)):
        res = score_attempt(RECEPTION, stream(up(t), bow(t + 1.0, 15.0), indicate(t + 5.0)))
        assert res.steps[0].verdict == verdict
        assert ("straddles the window edge at 6.8 s: the verdict is uncertain" in res.steps[0].message_en) == uncertain
        assert ("结论不确定" in res.steps[0].message_zh) == uncertain
    # without a known uncertainty (a hand-written stream) nothing is said
    res = score_attempt(RECEPTION, stream(stand(6.9), bow(7.9, 15.0), indicate(11.9)))
    assert "uncertain" not in res.steps[0].message_en


@pytest.mark.parametrize("deg", [30.0, 22.6, 5.0, 60.0])
def test_a_wrong_bow_class_is_never_done(deg):
    res = score_attempt(RECEPTION, stream(stand(4.3), bow(5.5, deg), indicate(10.0)))
    assert res.steps[1].verdict == "wrong_class"
    assert res.steps[1].points_awarded == pytest.approx(40 * 0.25)
    assert f"bow {deg:.0f}°, expected 15°: band 9–22°" in res.steps[1].message_en


def test_the_right_bow_is_preferred_to_a_wrong_one_in_the_same_window():
    res = score_attempt(RECEPTION, stream(stand(4.3), bow(5.0, 30.0), bow(9.0, 16.0), indicate(14.0)))
    assert res.steps[1].verdict == "done" and res.steps[1].event.peak_angle_deg == 16.0


def test_a_missing_step_scores_nothing_and_the_next_is_timed_from_the_last_found():
    res = score_attempt(RECEPTION, stream(stand(4.3), indicate(12.0)))
    assert verdicts(res) == ["done", "missing", "done"]
    assert res.steps[1].points_awarded == 0
    assert "no bow between 3.3 and 16.3 s" in res.steps[1].message_en
    assert res.score_pct == pytest.approx(60.0)


def test_steps_out_of_order():
    # the bow came before the stand-up (and before the customer reached 2 m)
    res = score_attempt(RECEPTION, stream(bow(1.0, 15.0), stand(4.3), indicate(9.0)))
    assert verdicts(res) == ["done", "out_of_order", "done"]
    assert "at 1.0 s, held 1.2 s, 3.3 s before the previous step" in res.steps[1].message_en
    assert res.steps[1].points_awarded == pytest.approx(40 * 0.5)


def test_a_bow_after_the_late_allowance_is_missing_with_a_note():
    res = score_attempt(RECEPTION, stream(stand(4.3), bow(25.0, 15.0)))
    assert res.steps[1].verdict == "missing"
    assert "the one at 25.0 s came too late to count" in res.steps[1].message_en


def test_without_the_2m_cue_the_step_is_not_assessable_but_later_steps_are_timed_from_it():
    ev = TraineeEvents([stand(4.3), bow(5.5, 15.0), indicate(10.0)], 40.0,
                       cue_problems={"customer_near": "no floor calibration: the 2 m cue needs one"},
                       not_measured={"indicate": "no gesture detector"})
    res = score_attempt(RECEPTION, ev)
    assert verdicts(res) == ["not_assessable", "done", "not_assessable"]
    assert "no floor calibration" in res.steps[0].message_en and "stand-up at 4.3 s" in res.steps[0].message_en
    assert res.points_possible == 40 and res.score_pct == pytest.approx(100.0)


def test_apology_bow_held_too_short_is_wrong_form_and_a_shallow_one_wrong_class():
    hold = TraineeEvent("hold_posture", 0.5, 0.5, 4.0, hold_s=3.5)
    res = score_attempt(APOLOGY, TraineeEvents([hold, bow(4.5, 60.0, hold=1.0)], 20.0))
    assert verdicts(res) == ["done", "wrong_form"]
    assert "held ≥ 2 s" in res.steps[1].message_en
    res = score_attempt(APOLOGY, TraineeEvents([hold, bow(4.5, 40.0, hold=2.5)], 20.0))
    assert res.steps[1].verdict == "wrong_class"
    assert "bow 40°" in res.steps[1].message_en and "band 45–90°" in res.steps[1].message_en


def test_a_bow_whose_pm_is_half_the_steps_band_wide_leaves_the_step_not_assessable():
    """A greeting bow (band 9–22°) read 16° ± 7°: from this view the class cannot be told, so the step is not
    assessable and scores nothing either way; 60° ± 7° misses the band whatever the error: a wrong class; 16° ± 3°
    is done."""
    def greeting(deg, pm):
        e = TraineeEvent("bow", 5.5, 5.5, 8.5, peak_angle_deg=deg, peak_t_s=7.0, angle_uncertainty_deg=pm, hold_s=1.2)
        return score_attempt(RECEPTION, stream(stand(4.3), e, indicate(10.0))).steps[1]

    s = greeting(16.0, 7.0)
    assert s.verdict == "not_assessable" and "at least half the band 9–22°" in s.message_en
    assert "trainee's side" in s.message_en and "侧面" in s.message_zh    # where to put the camera instead
    assert "鞠躬16°±7°" in s.message_zh and s.event is not None
    assert greeting(60.0, 7.0).verdict == "wrong_class"
    assert greeting(16.0, 3.0).verdict == "done"


def test_a_bow_is_graded_on_the_angle_the_sheet_quotes():
    """44.98° is reported "45°": inside the apology band 45–90°, not a wrong class (bows_front's 45° bow measured
    44.98° and was graded outside a band its own message said it met); 44.4° reads "44°" and is outside."""
    hold = TraineeEvent("hold_posture", 0.5, 0.5, 4.0, hold_s=3.5)
    res = score_attempt(APOLOGY, TraineeEvents([hold, bow(4.5, 44.98, hold=2.5)], 20.0))
    assert res.steps[1].verdict == "done" and "bow 45°" in res.steps[1].message_en
    res = score_attempt(APOLOGY, TraineeEvents([hold, bow(4.5, 44.4, hold=2.5)], 20.0))
    assert res.steps[1].verdict == "wrong_class" and "bow 44°" in res.steps[1].message_en


def test_the_coaching_video_captions_steps_in_order_as_they_are_decided():
    from etiquette_cv.report.score_video import step_captions
    res = score_attempt(RECEPTION, stream(stand(4.3), bow(5.5, 30.0), indicate(10.0)))
    assert step_captions(res, 2.0, "en") == ["1. Stand to greet (站接): rise when the customer is 2 m from the counter …"]
    assert step_captions(res, 6.0, "en")[-1] == "2. Greeting bow 15° …"
    assert step_captions(res, 9.0, "zh")[1:] == ["2. 迎客行15°致意式鞠躬: 鞠躬类别不对", "3. 以手势示意客户就座 …"]


def test_a_handshake_step_grades_its_duration():
    import yaml

    from etiquette_cv.training.scenario import scenario_from_dict
    p = {"value": 0.5, "source": "default"}
    doc = yaml.safe_load("""
version: 1
name: shake
title_zh: 握手
title_en: Handshake
steps:
  - id: shake
    expect: handshake
    title_zh: 握手3–5秒
    title_en: Handshake 3–5 s
    window: {after: start, from_s: {value: 0, source: default}, to_s: {value: 20, source: default},
             late_s: {value: 0, source: default}}
    min_duration_s: {value: 3.0, source: standard}
    max_duration_s: {value: 5.0, source: standard}
    points: 10
""")
    doc["steps"][0]["credit"] = {k: p for k in ("late", "wrong_class", "wrong_form", "out_of_order")}
    sc = scenario_from_dict(doc, "shake.yaml", RB)
    ok = score_attempt(sc, TraineeEvents([TraineeEvent("handshake", 2.0, 2.0, 6.0)], 20.0))
    long = score_attempt(sc, TraineeEvents([TraineeEvent("handshake", 2.0, 2.0, 9.0)], 20.0))
    assert ok.steps[0].verdict == "done" and long.steps[0].verdict == "wrong_form"
    assert "handshake 7.0 s, lasting 3–5 s" in long.steps[0].message_en


def test_a_step_waiting_for_its_cue_is_not_decided_while_live():
    from etiquette_cv.report.score_video import decided_at
    res = score_attempt(RECEPTION, stream(near=None))
    assert res.steps[0].verdict == "not_assessable" and res.steps[0].waiting_for_cue
    assert decided_at(res.steps[0]) == float("inf")
    ev = TraineeEvents([], 40.0, cue_problems={"customer_near": "no floor calibration"})
    assert not score_attempt(RECEPTION, ev).steps[0].waiting_for_cue   # never coming: decided at once


def test_reasons_are_given_in_chinese_too():
    ev = TraineeEvents([], 40.0, cue_problems={"customer_near": "no floor calibration"},
                       reasons_zh={"no floor calibration": "无标定"})
    assert score_attempt(RECEPTION, ev).steps[0].message_zh.startswith("无法评定：无标定")
    res = score_attempt(RECEPTION, stream(near=None))
    assert "录像中客户未走到距柜台2米处" in res.steps[0].message_zh
    assert "customer_near: the customer never came within the near distance" in res.steps[0].message_en


def test_a_hold_of_exactly_the_minimum_counts_despite_float_sums():
    hold = TraineeEvent("hold_posture", 0.5, 0.5, 4.0, hold_s=3.5)
    two_s = 20 * 0.09999999999999964             # 20 frames at a median dt read from float times
    assert two_s < 2.0
    res = score_attempt(APOLOGY, TraineeEvents([hold, bow(4.5, 60.0, hold=two_s)], 20.0))
    assert res.steps[1].verdict == "done"


def test_the_shipped_handshake_scenario_wants_a_stand_up_then_3_to_5_s():
    sc = load_scenario("handshake", RB)
    good = score_attempt(sc, stream(stand(4.0), TraineeEvent("handshake", 7.0, 7.0, 11.0)))
    short = score_attempt(sc, stream(stand(4.0), TraineeEvent("handshake", 7.0, 7.0, 8.5)))
    seated = score_attempt(sc, stream(TraineeEvent("handshake", 7.0, 7.0, 11.0)))
    assert verdicts(good) == ["done", "done"]
    assert verdicts(short) == ["done", "wrong_form"]
    assert verdicts(seated)[0] == "missing"


def test_a_not_assessable_step_is_timed_only_by_an_event_in_its_window():
    # bows not measured (no calibration): the stray bend at 30 s is not the greeting bow, so the indicating is timed
    # from the stand-up (on time), not found "out of order" before the stray bend
    ev = TraineeEvents([stand(4.3), bow(30.0, 15.0), indicate(10.0)], 40.0, cues={"customer_near": 3.8},
                       not_measured={"bow": "no calibration"})
    res = score_attempt(RECEPTION, ev)
    assert verdicts(res) == ["done", "not_assessable", "done"]
    assert res.steps[1].event is None and res.steps[2].anchor_s == pytest.approx(4.3)


def test_a_gesture_to_avoid_is_listed_without_changing_the_score(tmp_path):
    """A hair touch in the stream is no step: the score stays, the sheet lists it (JSON round trip, HTML)."""
    from etiquette_cv.report.score_page import render_score_html
    from etiquette_cv.training.results_json import read_score_json, write_score_json

    hair = TraineeEvent("touch_hair", 12.0, 12.0, 14.5)
    res = score_attempt(RECEPTION, stream(stand(4.3), bow(5.5, 15.0), indicate(10.0), hair))
    assert verdicts(res) == ["done", "done", "done"] and res.score_pct == pytest.approx(100.0)
    assert res.to_avoid == [hair]
    back = read_score_json(write_score_json(res, None, tmp_path / "score.json"))
    assert [(e.kind, e.start_s, e.end_s) for e in back.to_avoid] == [("touch_hair", 12.0, 14.5)]
    html = render_score_html(res, None, lang="en")
    assert 'data-kind="touch_hair"' in html and "Fiddling with the hair" in html and "12.0–14.5 s" in html
    from etiquette_cv.report.score_video import avoid_captions
    assert avoid_captions(res, 13.0, "en") == ["avoid: Fiddling with the hair"]
    assert avoid_captions(res, 13.0, "zh") == ["应避免: 用手摆弄头发"] and avoid_captions(res, 15.0, "en") == []
    clean = render_score_html(score_attempt(RECEPTION, stream(stand(4.3), bow(5.5, 15.0), indicate(10.0))), None,
                              lang="zh")
    assert "未见应避免的手势" in clean and 'data-kind="touch_hair"' not in clean


def test_facing_the_camera_a_bow_claimed_at_least_45_deg_is_graded_the_others_are_not_assessable(tmp_path):
    """Without a calibration and facing the camera, bows are found but their angles not measured (``not_measured``);
    a deep one whose least depth is claimed (``angle_at_least``) grades the apology step — held long enough or
    not — and a bow without a measured angle leaves it not assessable, as before."""
    from dataclasses import replace

    from etiquette_cv.training.results_json import read_score_json, write_score_json

    hold = TraineeEvent("hold_posture", 0.5, 0.5, 4.0, hold_s=3.5)
    facing = {"bow": "no floor calibration and the trainee faced the camera"}
    deep = replace(bow(4.5, 45.0, hold=2.6), angle_at_least=True)
    res = score_attempt(APOLOGY, TraineeEvents([hold, deep], 20.0, not_measured=facing))
    assert verdicts(res) == ["done", "done"]
    assert "bow at least 45°" in res.steps[1].message_en and "至少45°" in res.steps[1].message_zh
    short = score_attempt(APOLOGY, TraineeEvents([hold, replace(deep, hold_s=1.0)], 20.0, not_measured=facing))
    assert verdicts(short) == ["done", "wrong_form"]
    unmeasured = replace(bow(4.5, 12.0, hold=2.6), angle_measured=False)
    res = score_attempt(APOLOGY, TraineeEvents([hold, unmeasured], 20.0, not_measured=facing))
    assert verdicts(res) == ["done", "not_assessable"]
    back = read_score_json(write_score_json(score_attempt(APOLOGY, TraineeEvents([hold, deep], 20.0,
                                                                                   not_measured=facing)),
                                            None, tmp_path / "score.json"))
    assert back.steps[1].event.angle_at_least and back.steps[1].event.angle_measured



def test_a_claimed_deep_bow_that_falls_short_beside_unread_bows_leaves_the_step_not_assessable():
    """Bundled bows_front without its calibration: the 15° and 30° bows facing the camera went unread and the 45°
    one was claimed "at least 45°"; the greeting step was graded "wrong class" from the claim, though the unread
    15° bow before it was the step's bow. A claim grades the step when it does the step right or is the window's
    only bow; short of that, beside unread bows, the step is not assessable."""
    from dataclasses import replace

    hold = TraineeEvent("hold_posture", 0.5, 0.5, 4.0, hold_s=3.5)
    facing = {"bow": "no floor calibration and the trainee faced the camera"}
    unread = replace(bow(2.0, 8.0, hold=1.0), angle_measured=False)
    deep = replace(bow(6.0, 45.0, hold=1.8), angle_at_least=True)
    greeting = score_attempt(RECEPTION, TraineeEvents([stand(1.0), unread, deep], 20.0, not_measured=facing))
    assert greeting.steps[1].verdict == "not_assessable" and "faced the camera" in greeting.steps[1].reason
    alone = score_attempt(RECEPTION, TraineeEvents([stand(1.0), deep], 20.0, not_measured=facing))
    assert alone.steps[1].verdict == "wrong_class"          # the window's only bow: its claim grades the step
    held = replace(deep, hold_s=2.6)                         # an apology claim that does the step right grades it
    res = score_attempt(APOLOGY, TraineeEvents([hold, unread, held], 20.0, not_measured=facing))
    assert verdicts(res) == ["done", "done"]
    short = score_attempt(APOLOGY, TraineeEvents([hold, unread, deep], 20.0, not_measured=facing))
    assert verdicts(short) == ["done", "not_assessable"]


def test_a_bend_the_recording_ended_in_is_a_bow_that_may_have_been_deeper():
    """A role-play often ends on the farewell bow: a bend the recording ended in (``unfinished``) is the trainee's
    bow with its peak marked as possibly deeper; glitches, reaches and stoops are not bows."""
    from etiquette_cv.events import Bend
    from etiquette_cv.training.stream import bow_events

    bends = [Bend(1.0, 2.0, 1.5, 16.0, 0.4, "bow", False), Bend(3.0, 3.2, 3.1, 90.0, 0.1, "glitch", False),
             Bend(5.0, 9.0, 7.0, 40.0, 3.0, "long", False), Bend(11.0, 12.0, 11.9, 28.0, 0.3, "unfinished", False)]
    ev = bow_events(bends)
    assert [(e.t_s, e.peak_angle_deg, e.peak_hidden) for e in ev] == [(1.0, 16.0, False), (11.0, 28.0, True)]
