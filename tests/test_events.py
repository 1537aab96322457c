"""Events: hysteresis intervals, the sit/stand state machine, bends and customer approaches.

Inputs are either hand-built series whose truth is known by construction, or the simulator's exact geometry.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from etiquette_cv.events import BowSettings, approaches, detect_bends, hysteresis_intervals, state_intervals
from etiquette_cv.posture.stance import StanceSettings, stance_states
from etiquette_cv.sim.body import Body, joint_positions_m
from etiquette_cv.sim.scenario import load_scenario
from etiquette_cv.sim.truth import truth_events
from etiquette_cv.core import Landmark

SCENARIOS = Path(__file__).resolve().parent / "data" / "scenarios"
DT = 0.1


# ------------------------------------------------------------------------------------------------------------
# hysteresis_intervals
# ------------------------------------------------------------------------------------------------------------


def test_jitter_around_the_enter_threshold_is_one_interval():
    t = np.arange(0.0, 10.0, DT)
    v = np.zeros_like(t)
    inside = (t >= 2.0) & (t < 7.0)
    v[inside] = 8.0 + np.where(np.arange(inside.sum()) % 2 == 0, 1.0, -1.0)  # 9, 7, 9, 7 … around enter = 8
    out = hysteresis_intervals(t, v, enter=8.0, exit=5.0)
    assert len(out) == 1
    iv = out[0]
    assert iv.start_s == pytest.approx(2.0) and iv.end_s == pytest.approx(6.9)
    assert iv.peak_value == 9.0 and 2.0 <= iv.peak_t_s <= 6.9
    assert iv.mean_value == pytest.approx(8.0, abs=0.05)
    # a single threshold (no band) double-counts the same jitter
    assert len(hysteresis_intervals(t, v, enter=8.0, exit=8.0 - 1e-9)) > 10


def test_nan_gaps_short_ones_bridge_long_ones_end_the_interval():
    t = np.arange(0.0, 10.0, DT)
    v = np.where((t >= 1.0) & (t < 9.0), 10.0, 0.0)
    short = v.copy()
    short[30:33] = np.nan  # 0.3 s of not measurable
    out = hysteresis_intervals(t, short, 8.0, 5.0, max_gap_s=0.5)
    assert len(out) == 1 and out[0].start_s == pytest.approx(1.0) and out[0].end_s == pytest.approx(8.9)
    long = v.copy()
    long[30:50] = np.nan  # 2 s
    out = hysteresis_intervals(t, long, 8.0, 5.0, max_gap_s=0.5)
    assert len(out) == 2
    assert out[0].end_s == pytest.approx(2.9)  # the last measured sample, not the gap's end
    assert out[1].start_s == pytest.approx(5.0)
    # NaN never starts an interval, and a series of NaN has none
    assert hysteresis_intervals(t, np.full_like(t, np.nan), 8.0, 5.0) == []


def test_min_duration_drops_short_intervals():
    t = np.arange(0.0, 10.0, DT)
    v = np.zeros_like(t)
    v[(t >= 1.0) & (t < 1.4)] = 10.0   # 0.3 s from first to last sample
    v[(t >= 5.0) & (t < 7.0)] = 10.0   # 1.9 s
    out = hysteresis_intervals(t, v, 8.0, 5.0, min_duration_s=1.0)
    assert [(round(iv.start_s, 2), round(iv.end_s, 2)) for iv in out] == [(5.0, 6.9)]
    assert out[0].duration_s == pytest.approx(1.9)


def test_falling_condition_and_gate():
    t = np.arange(0.0, 10.0, DT)
    d = np.abs(t - 5.0) * 0.8 + 0.5  # V shape: 4.5 m at 0 s, 0.5 m at 5 s, 4.5 m at 10 s
    out = hysteresis_intervals(t, d, enter=2.0, exit=2.15)
    assert len(out) == 1
    iv = out[0]
    # inside while d < 2 on the way in and until d > 2.15 on the way out
    first_in = t[np.flatnonzero(d < 2.0)[0]]
    last_in = t[np.flatnonzero(d <= 2.15)[-1]]
    assert iv.start_s == pytest.approx(first_in) and iv.end_s == pytest.approx(last_in)
    assert iv.peak_value == pytest.approx(d.min()) and iv.peak_t_s == pytest.approx(5.0)
    # a gate closed in the middle splits it
    gate = ~((t >= 4.0) & (t < 6.0))
    out = hysteresis_intervals(t, d, 2.0, 2.15, allowed=gate)
    assert len(out) == 2 and out[0].end_s < 4.0 and out[1].start_s >= 6.0


# ------------------------------------------------------------------------------------------------------------
# stance_states
# ------------------------------------------------------------------------------------------------------------


def _clerk_heights(scenario_name: str, step_s: float = DT):
    """Truth from the sim: times, shoulder-centre height and ears-midpoint-minus-shoulder height of the clerk."""
    sc = load_scenario(SCENARIOS / f"{scenario_name}.yaml")
    clerk = sc.person("clerk")
    body = Body.from_spec(clerk.body)
    desk = sc.scene.counter.desk_height_m
    t = np.arange(0.0, sc.duration_s, step_s)
    sh, head = np.empty(len(t)), np.empty(len(t))
    for i, x in enumerate(t):
        j = joint_positions_m(clerk.sample(float(x)), body, desk)
        s = 0.5 * (j[Landmark.LEFT_SHOULDER, 2] + j[Landmark.RIGHT_SHOULDER, 2])
        sh[i] = s
        head[i] = 0.5 * (j[Landmark.LEFT_EAR, 2] + j[Landmark.RIGHT_EAR, 2]) - s
    return sc, t, sh, head


def test_stance_transition_times_match_the_sim_within_0_2_s():
    sc, t, sh, head = _clerk_heights("reception_min")
    states, changes = stance_states(t, sh, head)
    truth = [(e.t_s, "stand" if e.kind == "stand_up" else "sit") for e in truth_events(sc)
             if e.person == "clerk" and e.kind in ("stand_up", "sit_down")]
    assert len(truth) == 5
    assert [c.to_state for c in changes] == [s for _, s in truth]
    for (t_true, _), c in zip(truth, changes):
        print(f"{c.to_state:5s} truth {t_true:6.2f} s  measured {c.t_s:6.2f} s  ({c.t_s - t_true:+.2f})")
        assert abs(c.t_s - t_true) <= 0.2
        assert 0.0 < c.duration_s < 2.0
    # the per-sample states agree with the truth away from the transitions
    runs = state_intervals(t, states)
    assert [r[0] for r in runs] == ["sit", "stand", "sit", "stand", "sit", "stand"]
    for (state, a, b), nxt in zip(runs[1:], truth):
        assert abs(a - nxt[0]) <= 0.2 + DT


def test_nan_heights_keep_the_state_and_initial_state_is_used():
    t = np.arange(0.0, 6.0, DT)
    h = np.full(len(t), 1.0)
    h[20:40] = np.nan  # not seen for 2 s while seated
    states, changes = stance_states(t, h, np.full(len(t), 0.2), initial="sit")
    assert changes == [] and set(states) == {"sit"}
    # an unknown start resolves from the first measurement; no change is reported for it
    h2 = np.full(len(t), np.nan)
    h2[10:] = 1.40
    states, changes = stance_states(t, h2, np.full(len(t), 0.2))
    assert changes == [] and set(states[:10]) == {""} and set(states[10:]) == {"stand"}


def test_deep_bow_is_not_sitting_down():
    """bows.yaml: a standing clerk bows to 90°: the shoulders drop below the seated threshold, but the head comes
    down to them, so the state machine must stay 'stand'."""
    sc, t, sh, head = _clerk_heights("bows")
    settings = StanceSettings()
    low = sh < settings.sit_below_m
    assert low.sum() >= 10  # the deep bow really takes the shoulders below the sit threshold
    assert np.all(head[low] < settings.head_above_shoulders_m)
    states, changes = stance_states(t, sh, head, settings)
    assert changes == [] and set(states) == {"stand"}
    # control: the same shoulder heights with an upright head would read as sitting
    upright_head = np.full(len(t), float(np.median(head)))
    _, changes = stance_states(t, sh, upright_head, settings)
    assert any(c.to_state == "sit" for c in changes)


def test_rise_duration_scales_with_how_fast_the_clerk_rises():
    """A stand-up scripted over 1.2 s is reported as taking about four times as long as one over 0.3 s (the
    'rising violently' rule compares this duration with its limit)."""
    t = np.arange(0.0, 10.0, 0.04)  # 25 fps so that a 0.3 s rise spans several samples
    s = StanceSettings()
    durations = {}

    def height(x, rise_s):
        u = np.clip((x - 5.0) / rise_s, 0.0, 1.0)
        return 1.0 + 0.4 * u * u * (3.0 - 2.0 * u)  # smoothstep from seated 1.0 m to standing 1.4 m

    for rise_s in (0.3, 1.2):
        dense = np.linspace(5.0, 5.0 + rise_s, 200001)
        # truth: when the height is halfway between the person's own seated (1.0 m) and standing (1.4 m) levels
        t_mid = dense[np.flatnonzero(height(dense, rise_s) >= 1.2)[0]]
        _, changes = stance_states(t, height(t, rise_s), np.full(len(t), 0.2), s, initial="sit")
        assert [c.to_state for c in changes] == ["stand"]
        assert changes[0].t_s == pytest.approx(t_mid, abs=0.01)
        durations[rise_s] = changes[0].duration_s
    print("rise durations", durations)
    assert 0.0 < durations[0.3] < durations[1.2]
    assert 2.5 <= durations[1.2] / durations[0.3] <= 6.0


def test_a_short_dip_is_not_a_state_change():
    t = np.arange(0.0, 6.0, DT)
    h = np.full(len(t), 1.40)
    h[30:33] = 1.0  # 0.2 s below the seated threshold (< min_state_s 0.4)
    _, changes = stance_states(t, h, np.full(len(t), 0.2))
    assert changes == []


def _smooth_rise(t, t0, rise_s, lo, hi):
    u = np.clip((t - t0) / rise_s, 0.0, 1.0)
    return lo + (hi - lo) * u * u * (3.0 - 2.0 * u)


def test_a_sit_down_seen_after_a_gap_is_not_dated_back_to_a_wild_frame_long_before():
    """t101 of the people set: a standing clerk read 1.38 m for 10 s with one wild frame at 0.94 m early on, then
    hidden while sitting down; the sit-down was dated back to the wild frame (8 s early), so the clerk read as
    seated while serving. The change is now placed across the gap, where the height passed the band's middle."""
    t = np.arange(0.0, 20.0, DT)
    h = np.where(t < 17.6, 1.38, 1.02)
    h[(t > 9.45) & (t < 9.55)] = 0.94
    h[(t > 17.15) & (t < 18.05)] = np.nan  # hidden by a customer while sitting down
    states, changes = stance_states(t, h, np.full(len(t), 0.18), initial="stand")
    assert [c.to_state for c in changes] == ["sit"]
    assert 17.1 <= changes[0].t_s <= 18.1
    assert set(states[t < 17.1]) == {"stand"}


def test_stand_up_onset_is_found_when_the_seated_level_was_hidden_for_a_moment():
    """The seated level is taken from further back when the person was hidden in the second before the move."""
    t = np.arange(0.0, 12.0, DT)
    h = _smooth_rise(t, 6.5, 1.0, 1.02, 1.38)
    h[(t > 4.95) & (t < 6.45)] = np.nan  # a customer walked in front of the clerk …
    h[(t > 6.65) & (t < 6.75)] = np.nan  # … and once more mid-rise
    _, changes = stance_states(t, h, np.full(len(t), 0.18), initial="sit")
    assert [c.to_state for c in changes] == ["stand"]
    assert np.isfinite(changes[0].onset_s)
    assert changes[0].onset_s == pytest.approx(6.5, abs=0.15)
    # control: the same move with the seated level seen has the same onset
    _, seen = stance_states(t, _smooth_rise(t, 6.5, 1.0, 1.02, 1.38), np.full(len(t), 0.18), initial="sit")
    assert seen[0].onset_s == pytest.approx(changes[0].onset_s, abs=0.1)


def test_one_wild_sample_does_not_hold_a_sit_down_back():
    """t105 of the people set (its measured heights): while the clerk sat down, two single collapsed poses (read
    as deep bows, the head below the shoulders) each restarted the sit-down's confirmation, and the change was
    dated to the first one's fall (2.9 s for a sit-down through the band's middle at 1.9 s)."""
    t = np.round(np.arange(0.1, 3.5, DT), 2)
    h = np.array([1.25] * 16 + [1.25, 1.21, 1.17, 1.14, 1.04, 1.01, 1.0, 1.0, 1.41, 1.0, 0.99, 0.99, 0.99, 1.27,
                                0.99, 0.99, 0.99, 0.99])
    head = np.where(h > 1.3, -0.05, 0.16)
    head[t == 3.0] = 0.05
    _, changes = stance_states(t, h, head, initial="stand")
    assert [c.to_state for c in changes] == ["sit"]
    assert 1.8 <= changes[0].t_s <= 2.1
    # control: without the median the wild samples hold the change back (here past the end of the series)
    _, raw = stance_states(t, h, head, StanceSettings(spike_samples=1), initial="stand")
    assert not raw or raw[0].t_s > 2.4


def test_a_change_is_never_dated_before_the_previous_one():
    """A stand-up confirmed soon after a sit-down looked back across the sit-down's own fall (any direction) and
    was dated before it: the changes came out of order."""
    t = np.arange(0.0, 8.0, DT)
    h = np.where(t < 2.0, 1.25, np.where(t < 3.0, 0.99, 1.27))
    states, changes = stance_states(t, h, np.full(len(t), 0.16), initial="stand")
    assert [c.to_state for c in changes] == ["sit", "stand"]
    assert changes[0].t_s < changes[1].t_s
    assert 1.9 <= changes[0].t_s <= 2.0 and 2.9 <= changes[1].t_s <= 3.0


# ------------------------------------------------------------------------------------------------------------
# detect_bends
# ------------------------------------------------------------------------------------------------------------


def _bend_profile(t, start, down_s, hold_s, up_s, peak):
    """Trunk flexion: 0, ramp to ``peak`` over down_s, hold, back to 0 over up_s (piecewise linear)."""
    knots_t = [0.0, start, start + down_s, start + down_s + hold_s, start + down_s + hold_s + up_s, t[-1] + 1]
    return np.interp(t, knots_t, [0.0, 0.0, peak, peak, 0.0, 0.0])


def test_bow_versus_long_stoop_versus_reach():
    t = np.arange(0.0, 30.0, DT)
    flex = (_bend_profile(t, 1.0, 0.8, 1.0, 0.8, 30.0)      # bow, peak 30° from 1.8 to 2.8 s
            + _bend_profile(t, 6.0, 1.0, 8.0, 1.0, 20.0)    # a stoop held 8 s
            + _bend_profile(t, 20.0, 1.0, 2.0, 1.0, 40.0))  # a reach to a low drawer
    asym = np.zeros_like(t)
    asym[(t >= 20.5) & (t <= 23.5)] = 0.35  # one hand far below the other
    standing = np.ones(len(t), bool)
    bends = detect_bends(t, flex, standing, asym)
    assert [b.kind for b in bends] == ["bow", "long", "reach"]
    bow, stoop, reach = bends
    assert bow.peak_deg == pytest.approx(30.0) and 1.8 <= bow.peak_t_s <= 2.8
    assert 0.9 <= bow.hold_s <= 1.6  # within 20 % of the peak: the 1 s plateau plus the ramps' last 20 %
    assert not bow.peak_hidden
    assert stoop.duration_s > BowSettings().max_duration_s
    assert reach.peak_deg == pytest.approx(40.0)
    # without the wrists the reach is taken for a bow (nothing else tells them apart)
    assert [b.kind for b in detect_bends(t, flex, standing, None)] == ["bow", "long", "bow"]


def test_one_frames_low_wrist_at_the_peak_does_not_make_a_bow_a_reach():
    # a rendered clerk's 29° bow: a half-visible wrist read 0.21 m below the other on the peak frame only (people
    # set, tuning t103); a reach holds one hand low for as long as the trunk is down
    t = np.arange(0.0, 10.0, DT)
    flex = _bend_profile(t, 2.0, 0.5, 0.1, 0.5, 29.0)
    asym = np.full(len(t), 0.03)
    asym[np.argmin(np.abs(t - 2.5))] = 0.21
    standing = np.ones(len(t), bool)
    assert [b.kind for b in detect_bends(t, flex, standing, asym)] == ["bow"]
    asym[(t >= 2.3) & (t <= 2.8)] = 0.21  # held low through the deepest part: a reach
    assert [b.kind for b in detect_bends(t, flex, standing, asym)] == ["reach"]
    # a one-handed reach to the desk seen from the front far away reads the hand's drop short (synthetic views:
    # 0.16-0.18 m): still a reach; folded hands read a few centimetres
    asym[(t >= 2.3) & (t <= 2.8)] = 0.16
    assert [b.kind for b in detect_bends(t, flex, standing, asym)] == ["reach"]


def test_a_bend_with_a_hand_resting_on_the_counter_is_a_lean_not_a_bow():
    t = np.arange(0.0, 14.0, DT)
    flex = _bend_profile(t, 1.0, 0.8, 3.0, 0.8, 30.0) + _bend_profile(t, 8.0, 0.8, 2.5, 0.8, 50.0)
    standing = np.ones(len(t), bool)
    on = np.zeros(len(t))
    on[(t >= 1.5) & (t <= 5.0)] = 1.0      # the hand on the top through the first bend's deepest part
    on[(t >= 8.7) & (t <= 9.0)] = 1.0      # a moment of the second one's: still a bow
    on[t > 12.0] = np.nan                  # not known (no counter-top polygon, no hand seen) changes nothing
    assert [b.kind for b in detect_bends(t, flex, standing, hands_on_counter=on)] == ["lean", "bow"]
    assert [b.kind for b in detect_bends(t, flex, standing)] == ["bow", "bow"]


def test_a_short_bow_with_the_hands_resting_on_the_desk_stays_a_bow():
    """Rendered people set t111: a clerk standing with the hands on the desk bows 15° for under a second; a lean on
    the counter is held (the lean rule's own 2 s), so a bend this short is a bow whatever the hands do."""
    t = np.arange(0.0, 12.0, DT)
    flex = _bend_profile(t, 1.0, 0.3, 0.3, 0.3, 15.0) + _bend_profile(t, 5.0, 0.8, 2.5, 0.8, 30.0)
    on = np.where(t < 10.0, 1.0, np.nan)   # the hands on the desk all along
    bends = detect_bends(t, flex, np.ones(len(t), bool), hands_on_counter=on)
    assert [b.kind for b in bends] == ["bow", "lean"]
    assert bends[0].duration_s < BowSettings().lean_min_duration_s <= bends[1].duration_s


def test_a_bend_faster_than_a_body_bends_is_a_pose_glitch_not_a_bow():
    """Rendered people set t107 (over the shoulder): a broken pose read 0 -> 92° -> 0 within 0.6 s (355°/s); the
    rendered and sample bows, 15°-90°, change at most 112°/s."""
    t = np.arange(0.0, 12.0, DT)
    flex = _bend_profile(t, 1.0, 0.8, 1.0, 0.8, 90.0) + _bend_profile(t, 6.0, 0.2, 0.5, 0.2, 90.0)
    bends = detect_bends(t, flex, np.ones(len(t), bool))
    assert [b.kind for b in bends] == ["bow", "glitch"]
    # the rate is read between measured samples: a hidden stretch in a slow bow is no glitch
    flex[(t >= 2.0) & (t <= 2.6)] = np.nan
    assert detect_bends(t, flex, np.ones(len(t), bool))[0].kind == "bow"


def test_a_jump_to_a_deep_bend_across_a_missed_frame_is_a_glitch():
    """Rendered people set t105 (front): a seated clerk read upright, one frame unmeasured, then 62-64° held for
    0.9 s: the rise into the bend is read from the last measured frame before it (307°/s), not skipped."""
    t = np.arange(0.0, 8.0, DT)
    flex = np.where(t < 3.05, 2.7, 62.0)
    flex[np.isclose(t, 3.1)] = np.nan
    flex[t > 4.15] = np.nan   # then unmeasured, and upright from 4.5 s: the way out is no faster than a body
    flex[t > 4.45] = 0.0
    assert [b.kind for b in detect_bends(t, flex, np.ones(len(t), bool))] == ["glitch"]
    # the same depth bent into and out of over 0.5 s, one frame unmeasured on the way down, is a (deep) bow
    bow = _bend_profile(t, 2.7, 0.5, 0.9, 0.5, 62.0)
    bow[np.isclose(t, 3.1)] = np.nan
    assert [b.kind for b in detect_bends(t, bow, np.ones(len(t), bool))] == ["bow"]


def test_a_peak_read_on_one_frame_between_unmeasured_ones_is_a_glitch():
    """Rendered people set t115 (oblique): 18° as the clerk rose, 2.7 s unmeasured, one frame of 64°, unmeasured
    again; a bend whose peak is one frame with no measured frame either side is a pose error, not an apology bow.
    With a measured frame beside the peak it stays a bow (marked with its hidden stretch)."""
    t = np.arange(0.0, 14.0, DT)
    flex = np.zeros(len(t))
    flex[np.isclose(t, 8.2)] = 18.0
    flex[(t > 8.25) & (t < 12.0)] = np.nan
    flex[np.isclose(t, 11.0)] = 64.0
    bends = detect_bends(t, flex, np.ones(len(t), bool))
    assert [(b.kind, round(b.peak_deg)) for b in bends] == [("glitch", 64)]
    flex[np.isclose(t, 11.1)] = 58.0
    bends = detect_bends(t, flex, np.ones(len(t), bool))
    assert [(b.kind, round(b.peak_deg), b.peak_hidden) for b in bends] == [("bow", 64, True)]


def test_a_bend_not_seen_to_come_back_up_is_unfinished():
    """Rendered people set t105: a clerk sitting down in the clip's last 0.8 s, read as standing and bending 33°;
    a bend whose trunk is not measured coming back up before the series ends has no known peak or kind."""
    t = np.arange(0.0, 16.6, DT)
    flex = _bend_profile(t, 15.0, 0.5, 2.0, 0.5, 33.0)
    assert [b.kind for b in detect_bends(t, flex, np.ones(len(t), bool))] == ["unfinished"]
    flex[t > 16.3] = np.nan   # unmeasured to the end: the same
    assert [b.kind for b in detect_bends(t, flex, np.ones(len(t), bool))] == ["unfinished"]
    # seen back below the end threshold once: a bow
    t2 = np.arange(0.0, 17.5, DT)
    flex2 = _bend_profile(t2, 15.7, 0.5, 0.3, 0.5, 33.0)
    assert [b.kind for b in detect_bends(t2, flex2, np.ones(len(t2), bool))] == ["bow"]


def test_an_interval_exactly_the_minimum_long_is_kept_despite_float_timestamps():
    t = np.round(np.arange(0, 200) / 10.0, 6)       # 12.4 and 13.0 as a 10 fps clock gives them
    v = np.where((t >= 12.4) & (t <= 13.0), 10.0, 0.0)
    assert t[130] - t[124] < 0.6                   # 0.5999999999999996
    out = hysteresis_intervals(t, v, 8.0, 5.0, min_duration_s=0.6)
    assert [(iv.start_s, iv.end_s) for iv in out] == [(12.4, 13.0)]
    assert hysteresis_intervals(t, v, 8.0, 5.0, min_duration_s=0.61) == []


def test_a_lean_held_exactly_its_minimum_is_a_lean_despite_float_timestamps():
    """The lean and long-bend duration limits take the same timestamp tolerance as the hysteresis minimum."""
    t = np.round(np.arange(0, 300) / 10.0, 6)
    flex = np.interp(t, [0.0, 14.1, 14.9, 15.9, 16.52, 40.0], [0.0, 0.0, 30.0, 30.0, 0.0, 0.0])
    assert t[164] - t[144] < 2.0                   # 1.9999999999999982: the bend runs from 14.4 to 16.4 s
    settings = BowSettings(lean_min_duration_s=2.0, max_duration_s=2.0)
    on = np.ones(len(t))
    bends = detect_bends(t, flex, np.ones(len(t), bool), settings=settings, hands_on_counter=on)
    assert [b.kind for b in bends] == ["lean"]
    assert [b.kind for b in detect_bends(t, flex, np.ones(len(t), bool), settings=settings)] == ["bow"]


def test_bends_only_while_standing():
    t = np.arange(0.0, 10.0, DT)
    flex = _bend_profile(t, 2.0, 0.8, 1.0, 0.8, 30.0)
    assert detect_bends(t, flex, np.zeros(len(t), bool)) == []
    # and a too-short nod is not a bend
    nod = _bend_profile(t, 2.0, 0.2, 0.0, 0.2, 12.0)
    assert detect_bends(t, nod, np.ones(len(t), bool)) == []


def test_trunk_hidden_mid_bend_is_one_bend_marked_peak_hidden():
    t = np.arange(0.0, 12.0, DT)
    flex = _bend_profile(t, 2.0, 1.0, 1.5, 1.0, 80.0)
    seen = flex.copy()
    seen[(t >= 2.5) & (t <= 4.75)] = np.nan  # the deepest part (3.0–4.5 s) is behind the counter
    bends = detect_bends(t, seen, np.ones(len(t), bool))
    assert len(bends) == 1
    b = bends[0]
    assert b.peak_hidden
    assert b.peak_deg < 80.0  # the peak seen is a lower bound of the true one
    assert b.start_s < 2.5 and b.end_s > 4.75
    # hidden longer than max_hidden_s: no bend spans the gap
    seen2 = _bend_profile(t, 2.0, 1.0, 5.0, 1.0, 80.0)
    seen2[(t >= 2.7) & (t <= 7.8)] = np.nan
    pieces = detect_bends(t, seen2, np.ones(len(t), bool), settings=BowSettings(max_hidden_s=3.0))
    assert all(b.end_s < 2.7 or b.start_s > 7.8 for b in pieces)


# ------------------------------------------------------------------------------------------------------------
# approaches
# ------------------------------------------------------------------------------------------------------------

NEAR, HYST, MIN_IN, MAX_GAP = 2.0, 0.15, 0.5, 2.0


def test_approach_crossing_times_are_interpolated_in_and_out():
    t = np.arange(0.0, 20.0, DT)
    t_in, t_out, speed = 3.37, 14.62, 0.8  # crossings between samples
    d = np.clip(np.maximum(NEAR - speed * (t - t_in), NEAR + speed * (t - t_out)), 0.4, None)
    out = approaches(7, t, d, NEAR, HYST, MIN_IN, MAX_GAP)
    assert len(out) == 1
    a = out[0]
    assert a.track_id == 7
    assert a.arrive_s == pytest.approx(t_in, abs=1e-6)
    assert a.leave_s == pytest.approx(t_out, abs=1e-6)
    assert a.min_distance_m == pytest.approx(0.4)
    assert a.first_inside_s == pytest.approx(3.4) and a.last_inside_s <= t_out + (HYST / speed) + DT


def test_approach_hysteresis_band():
    t = np.arange(0.0, 30.0, DT)
    d = np.full(len(t), 4.0)
    d[(t >= 2.0)] = 1.0
    d[(t >= 10.0) & (t < 12.0)] = 2.1   # steps back into the band (2.0–2.15): still at the counter
    d[(t >= 18.0)] = 3.0
    out = approaches(1, t, d, NEAR, HYST, MIN_IN, MAX_GAP)
    assert len(out) == 1
    assert out[0].arrive_s == pytest.approx(1.9 + DT * (4.0 - 2.0) / (4.0 - 1.0))
    # the leave is the 2 m crossing of the final departure (between 17.9 s at 1 m and 18.0 s at 3 m)
    assert out[0].leave_s == pytest.approx(17.9 + DT * (2.0 - 1.0) / (3.0 - 1.0))
    # beyond the band it is two visits
    d2 = d.copy()
    d2[(t >= 10.0) & (t < 12.0)] = 2.5
    out2 = approaches(1, t, d2, NEAR, HYST, MIN_IN, MAX_GAP)
    assert len(out2) == 2
    assert out2[0].leave_s == pytest.approx(9.9 + DT * (2.0 - 1.0) / (2.5 - 1.0))
    assert out2[1].arrive_s == pytest.approx(11.9 + DT * (2.5 - 2.0) / (2.5 - 1.0))


def test_track_lost_inside_has_no_leave_and_first_seen_inside_has_no_arrive():
    t = np.arange(0.0, 20.0, DT)
    d = np.where(t < 3.0, 4.0, 1.0)
    lost = d.copy()
    lost[t >= 10.0] = np.nan  # the track is lost while at the counter
    out = approaches(2, t, lost, NEAR, HYST, MIN_IN, MAX_GAP)
    assert len(out) == 1 and out[0].arrive_s is not None and out[0].leave_s is None
    # lost for longer than max_gap_s and seen again far away: still not a leave we observed
    back = lost.copy()
    back[t >= 15.0] = 4.0
    out = approaches(2, t, back, NEAR, HYST, MIN_IN, MAX_GAP)
    assert len(out) == 1 and out[0].leave_s is None
    # a short dropout inside does not end the visit, and the leave is still interpolated
    blink = np.where(t < 12.0, d, 4.0)
    blink[(t >= 6.0) & (t < 7.0)] = np.nan
    out = approaches(2, t, blink, NEAR, HYST, MIN_IN, MAX_GAP)
    assert len(out) == 1 and out[0].leave_s == pytest.approx(11.9 + DT * (2.0 - 1.0) / (4.0 - 1.0))
    # first seen already inside: no arrival crossing
    out = approaches(3, t[50:], np.full(len(t) - 50, 1.0), NEAR, HYST, MIN_IN, MAX_GAP)
    assert len(out) == 1 and out[0].arrive_s is None and out[0].leave_s is None


def test_the_transition_time_is_halfway_between_the_persons_own_levels():
    """A tall clerk (seated shoulders 1.18 m, standing 1.58 m) rising linearly over 1 s from t = 5 s: the middle of
    the fixed band (1.17 m) lies below their seated level; the transition is placed at their own halfway point."""
    t = np.arange(0.0, 10.0, DT)
    h = 1.18 + 0.4 * np.clip(t - 5.0, 0.0, 1.0)
    _, changes = stance_states(t, h, np.full(len(t), 0.2), StanceSettings(), initial="sit")
    assert [c.to_state for c in changes] == ["stand"]
    assert changes[0].t_s == pytest.approx(5.5, abs=0.02)


def test_a_customer_back_within_the_rejoin_time_continues_the_visit():
    t = np.arange(0.0, 30.0, DT)
    d = np.full(len(t), 4.0)
    d[(t >= 2.0)] = 1.0
    d[(t >= 10.0) & (t < 11.0)] = 2.5   # one second beyond the band (a floor point wandering, a step back)
    d[(t >= 18.0)] = 3.0
    assert len(approaches(1, t, d, NEAR, HYST, MIN_IN, MAX_GAP)) == 2
    out = approaches(1, t, d, NEAR, HYST, MIN_IN, MAX_GAP, rejoin_s=2.0)
    assert len(out) == 1
    assert out[0].arrive_s == pytest.approx(1.9 + DT * (4.0 - 2.0) / (4.0 - 1.0))
    assert out[0].leave_s == pytest.approx(17.9 + DT * (2.0 - 1.0) / (3.0 - 1.0))
    d[(t >= 10.0) & (t < 14.0)] = 2.5   # away for four seconds: a new visit
    assert len(approaches(1, t, d, NEAR, HYST, MIN_IN, MAX_GAP, rejoin_s=2.0)) == 2


def test_a_customer_hidden_at_the_counter_and_seen_there_again_continues_the_visit():
    t = np.arange(0.0, 30.0, DT)
    d = np.full(len(t), 4.0)
    d[t >= 2.0] = 0.8
    d[(t >= 9.0) & (t < 12.6)] = np.nan   # hidden by the next customer for 3.6 s (longer than max_gap_s)
    d[t >= 20.0] = 3.0
    (first, second) = approaches(1, t, d, NEAR, HYST, MIN_IN, MAX_GAP, rejoin_s=0.5)
    assert first.leave_s is None and second.arrive_s is None
    (out,) = approaches(1, t, d, NEAR, HYST, MIN_IN, MAX_GAP, rejoin_s=0.5, hidden_rejoin_s=10.0)
    assert out.arrive_s == pytest.approx(1.9 + DT * (4.0 - 2.0) / (4.0 - 0.8))
    assert out.leave_s == pytest.approx(19.9 + DT * (2.0 - 0.8) / (3.0 - 0.8))
    # hidden longer than hidden_rejoin_s, or seen walking in again across 2 m: two visits
    assert len(approaches(1, t, d, NEAR, HYST, MIN_IN, MAX_GAP, rejoin_s=0.5, hidden_rejoin_s=3.0)) == 2
    d[(t >= 12.6) & (t < 13.0)] = 3.0
    assert len(approaches(1, t, d, NEAR, HYST, MIN_IN, MAX_GAP, rejoin_s=0.5, hidden_rejoin_s=10.0)) == 2


def test_each_transition_carries_its_onset_midpoint_and_completion():
    sc, t, sh, head = _clerk_heights("reception_min")
    _, changes = stance_states(t, sh, head)
    clerk = sc.person("clerk")
    for c in changes:
        assert c.at("onset") < c.at("midpoint") == c.t_s < c.at("complete")
        # the true onset: when the clerk's sit/stand blend left its level
        ts = np.arange(c.t_s - 2.0, c.t_s, 0.01)
        blend = np.array([clerk.sample(float(x)).sit_blend for x in ts])
        onset_true = ts[np.argmax(np.abs(blend - blend[0]) > 0.02)]
        print(f"{c.to_state:5s} onset {c.at('onset'):6.2f} s, true {onset_true:6.2f} s")
        assert abs(c.at("onset") - onset_true) <= 0.3
    with pytest.raises(ValueError, match="unknown transition point"):
        changes[0].at("start")


def test_a_transition_without_levels_around_it_estimates_its_ends_from_its_midpoint():
    """t101/t105/t118 of the people set: the levels around a move hidden (a sit-down at the clip's end, a clerk
    hidden behind a customer) gave onset = midpoint, 0.55-0.72 s after the true onset; a typical move's half now."""
    from etiquette_cv.posture.stance import StanceChange
    c = StanceChange(10.0, "stand", float("nan"), unseen_half_s=0.5)
    assert c.at("midpoint") == 10.0
    assert c.at("onset") == 9.5 and c.at("complete") == 10.5
    assert not c.seen("onset") and not c.seen("complete") and c.seen("midpoint")
    seen = StanceChange(10.0, "stand", 0.6, onset_s=9.4, complete_s=10.7)
    assert seen.at("onset") == 9.4 and seen.at("complete") == 10.7 and seen.seen("onset")


def _minimum_jerk_rise(t, t0, move_s, lo, hi):
    u = np.clip((t - t0) / move_s, 0.0, 1.0)
    return lo + (hi - lo) * u ** 3 * (10.0 - 15.0 * u + 6.0 * u * u)


@pytest.mark.parametrize("move_s", [0.8, 1.2, 1.6])
def test_a_smooth_moves_onset_and_completion_are_where_it_leaves_and_reaches_its_levels(move_s):
    """A human sit/stand move leaves its level slowly (a bell-shaped speed): the 10 %→90 % line extrapolated at
    constant speed (an eighth of its span, the tail used until the nineteenth session) put the onset 0.2 s late on
    a 1.2 s stand-up; the minimum-jerk tail puts it at the move's start."""
    t = np.arange(0.0, 12.0, DT)
    h = _minimum_jerk_rise(t, 5.0, move_s, 1.0, 1.4)
    _, changes = stance_states(t, h, np.full(len(t), 0.18), initial="sit")
    assert [c.to_state for c in changes] == ["stand"]
    assert changes[0].at("onset") == pytest.approx(5.0, abs=0.03)
    assert changes[0].at("complete") == pytest.approx(5.0 + move_s, abs=0.03)
    _, linear = stance_states(t, h, np.full(len(t), 0.18), StanceSettings(move_tail_fraction=0.125), initial="sit")
    assert linear[0].at("onset") - 5.0 > 0.17 * move_s


def test_a_move_hidden_for_longer_than_the_level_windows_keeps_only_its_crossing():
    """Seated until 2 s, hidden 4 s, standing after: the change lies in the gap; no onset can be claimed."""
    t = np.arange(0.0, 12.0, DT)
    h = np.where(t < 2.0, 1.0, 1.38)
    h[(t >= 2.0) & (t < 6.0)] = np.nan
    _, changes = stance_states(t, h, np.full(len(t), 0.16), initial="sit")
    assert [c.to_state for c in changes] == ["stand"]
    assert 1.9 <= changes[0].t_s <= 6.0 and np.isnan(changes[0].onset_s)


def test_a_short_clerk_standing_below_the_fixed_height_is_standing():
    """Tall-tripod role-play t311: a 1.57 m clerk stands with the shoulders at 1.25 m, read 1.20 m (under
    ``stand_above_m`` 1.22) from a seated 0.94 m: the rise from the level held is the stand-up."""
    t = np.arange(0.0, 10.0, DT)
    rng = np.random.default_rng(3)
    h = _smooth_rise(t, 4.0, 1.0, 0.94, 1.20) + rng.normal(0.0, 0.01, len(t))
    _, changes = stance_states(t, h, np.full(len(t), 0.18), initial="sit")
    assert [c.to_state for c in changes] == ["stand"]
    assert changes[0].onset_s == pytest.approx(4.0, abs=0.2)
    # control: by the fixed heights alone she never stands
    _, fixed = stance_states(t, h, np.full(len(t), 0.18), StanceSettings(move_m=0.0), initial="sit")
    assert fixed == []


def test_a_tall_clerk_sitting_in_a_high_chair_is_seated():
    """Shoulders from 1.50 m standing to 1.16 m seated: above ``sit_below_m`` but 0.34 m below the level held."""
    t = np.arange(0.0, 10.0, DT)
    h = _smooth_rise(t, 4.0, 1.0, 1.50, 1.16)
    states, changes = stance_states(t, h, np.full(len(t), 0.18), initial="stand")
    assert [c.to_state for c in changes] == ["sit"] and states[-1] == "sit"
    _, fixed = stance_states(t, h, np.full(len(t), 0.18), StanceSettings(move_m=0.0), initial="stand")
    assert fixed == []


def test_seated_fidgeting_within_the_move_is_no_stand_up():
    """A seated clerk leaning back and forth (shoulders 1.00–1.15 m, within 0.2 m of the level held) stays seated;
    so does one slowly sitting up straighter over many seconds (the level held follows)."""
    t = np.arange(0.0, 20.0, DT)
    h = 1.05 + 0.07 * np.sin(2 * np.pi * t / 3.0)
    _, changes = stance_states(t, h, np.full(len(t), 0.18), initial="sit")
    assert changes == []
    slow = 0.95 + 0.012 * t        # 0.24 m over 20 s: never 0.2 m above the last second's level
    _, changes = stance_states(t, slow, np.full(len(t), 0.18), initial="sit")
    assert changes == []


def test_durations_from_float_timestamps_are_compared_with_the_rounding_tolerance():
    from etiquette_cv.events import lasts_at_least, lasts_longer_than
    assert 13.0 - 12.4 < 0.6 and lasts_at_least(13.0 - 12.4, 0.6)
    assert not lasts_at_least(0.59, 0.6)
    assert sum([0.1] * 20) != 2.0 and not lasts_longer_than(sum([0.1] * 20), 2.0)
    assert lasts_longer_than(2.01, 2.0)


def test_an_angle_is_banded_as_quoted_and_graded_only_where_its_pm_can_tell():
    from etiquette_cv.events import band_resolvable, in_angle_band
    assert in_angle_band(44.98, 45.0, 90.0) and not in_angle_band(44.4, 45.0, 90.0)
    assert not in_angle_band(float("nan"), 0.0, 90.0)
    assert band_resolvable(15.0, 6.4, 9.0, 22.0) and not band_resolvable(15.0, 6.5, 9.0, 22.0)
    assert band_resolvable(40.0, 10.0, 9.0, 22.0) and band_resolvable(-5.0, 10.0, 9.0, 22.0)  # the band missed
    assert not band_resolvable(30.0, 10.0, 9.0, 22.0) and band_resolvable(15.0, float("nan"), 9.0, 22.0)
