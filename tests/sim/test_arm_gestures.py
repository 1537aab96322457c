"""DB 表4 gestures as scenario arm states: the sampler's new fields, the shared geometry, and the gesture
annotations."""

from __future__ import annotations

import math

import numpy as np
import pytest

from sim_fixtures import SCENARIOS  # noqa: F401  (first: puts src/ on the path)

from etiquette_cv.core import Landmark as L
from etiquette_cv.sim.arm_gestures import (GESTURE_ARM_STATES, RAISE_S, WAVE_SWING_DEG, blended_arm, gesture_arm,
                                           hanging)
from etiquette_cv.sim.body import Body, joint_positions_m
from etiquette_cv.sim.scenario import ARM_STATES, Scenario, ScenarioError

BODY = Body.from_height(1.70, "female")


def _scenario(keys: list[dict], annotations: list[dict] | None = None) -> Scenario:
    return Scenario.from_dict({
        "duration_s": 12.0, "fps": 10,
        "camera": {"position_m": [0, 3, 1.4], "look_at_m": [0, -0.7, 1.1], "hfov_deg": 60, "width": 960,
                   "height": 540},
        "persons": [{"id": "clerk", "role": "clerk", "keyframes": keys}],
        "annotations": annotations or []})


KEYS = [{"t": 0.0, "pos_m": [0.0, -0.75], "stance": "stand", "arms": "sides"},
        {"t": 2.0, "arms": "wave", "gesture_hz": 1.5},
        {"t": 5.0, "arms": "sides"},
        {"t": 7.0, "arms": "handshake"}]


def test_gesture_states_are_arm_states():
    assert set(GESTURE_ARM_STATES) <= set(ARM_STATES)


def test_sampler_reports_previous_state_time_since_and_blend():
    p = _scenario(KEYS).persons[0]
    s = p.sample(1.0)
    assert (s.arms, s.arms_prev, s.arms_since_s, s.arms_blend) == ("sides", "sides", math.inf, 1.0)
    s = p.sample(2.1)
    assert (s.arms, s.arms_prev) == ("wave", "sides")
    assert s.arms_since_s == pytest.approx(0.1)
    assert s.arms_blend == pytest.approx(0.1 / RAISE_S)
    assert s.gesture_hz == pytest.approx(1.5)
    s = p.sample(5.2)
    assert (s.arms, s.arms_prev, s.arms_blend) == ("sides", "wave", pytest.approx(0.5))
    assert p.sample(8.0).arms_blend == 1.0


def test_gesture_hz_is_validated_and_defaults_to_zero():
    assert _scenario(KEYS[:1]).persons[0].sample(0.0).gesture_hz == 0.0
    with pytest.raises(ScenarioError, match="gesture_hz"):
        _scenario([KEYS[0], {"t": 1.0, "arms": "wave", "gesture_hz": -1}])


def test_gesture_annotation_parsed_and_validated():
    sc = _scenario(KEYS, [{"kind": "gesture", "type": "wave", "person": "clerk", "start_s": 2.0, "end_s": 5.0}])
    (a,) = sc.annotations_of("gesture")
    assert (a.type, a.start_s, a.end_s) == ("wave", 2.0, 5.0)
    with pytest.raises(ScenarioError, match="type"):
        _scenario(KEYS, [{"kind": "gesture", "type": "salute", "person": "clerk", "start_s": 2.0, "end_s": 5.0}])


def _joints(scenario: Scenario, t: float) -> np.ndarray:
    return joint_positions_m(scenario.persons[0].sample(t), BODY)


def test_wave_swings_side_to_side_at_the_scripted_frequency():
    sc = _scenario(KEYS)
    ts = np.arange(2.5, 4.99, 0.02)
    lateral = np.array([(_joints(sc, t)[L.RIGHT_WRIST] - _joints(sc, t)[L.RIGHT_ELBOW])[0] for t in ts])
    raised = np.array([(_joints(sc, t)[L.RIGHT_WRIST] - _joints(sc, t)[L.RIGHT_ELBOW])[2] for t in ts])
    assert (raised > 0.2).all()                       # forearm up
    amp = BODY.forearm_m * math.sin(math.radians(WAVE_SWING_DEG))
    assert lateral.max() - lateral.min() == pytest.approx(2 * amp, rel=0.05)
    crossings = np.sum(np.diff(np.sign(lateral - np.median(lateral))) != 0)
    assert crossings == pytest.approx(2 * 1.5 * (ts[-1] - ts[0]), abs=1)


def test_geometry_of_each_gesture():
    # right arm, chest axes (right, forward, up)
    up, fore, palm, fingers = gesture_arm("indicate", 1, 0.0)
    assert fore[2] > up[2] and fore[0] > 0 and fore[1] > 0      # out, forward, forearm rising
    assert palm[2] > 0.5 and abs(palm @ fingers) < 1e-9        # palm obliquely up, square to the fingers
    _, fore, palm, _ = gesture_arm("wave", 1, 0.0)
    assert fore[2] > 0.9 and palm[1] > 0.9                     # forearm raised, palm out (forward)
    for side in (1, -1):
        up, fore, palm, _ = gesture_arm("hand_over", side, 0.0)
        assert fore[1] > 0.8 and fore[0] * side < 0 and palm[2] > 0.9   # forward, inward, palms up
    _, f0, palm, _ = gesture_arm("handshake", 1, 0.0)
    _, f1, _, _ = gesture_arm("handshake", 1, 0.125)            # a quarter period at 2 Hz: pumped up
    assert f0[1] > 0.9 and palm[0] < -0.9 and f1[2] > f0[2]
    assert gesture_arm("indicate", -1, 0.0) is None and gesture_arm("sides", 1, 0.0) is None


def test_blend_starts_hanging_and_ends_at_the_gesture():
    up, fore, _, _ = blended_arm("indicate", "sides", 0.0, 1, 0.0)
    np.testing.assert_allclose(up, hanging(1)[0])
    np.testing.assert_allclose(fore, hanging(1)[1])
    assert blended_arm("indicate", "sides", 1.0, 1, 0.0)[0] == pytest.approx(gesture_arm("indicate", 1, 0.0)[0])
    assert blended_arm("desk", "sides", 0.5, 1, 0.0) is None


def test_hand_over_in_the_synthetic_body_brings_both_hands_forward_together():
    sc = _scenario([KEYS[0], {"t": 1.0, "arms": "hand_over"}])
    j = _joints(sc, 2.0)
    sh = 0.5 * (j[L.LEFT_SHOULDER] + j[L.RIGHT_SHOULDER])
    for w in (L.LEFT_WRIST, L.RIGHT_WRIST):
        assert j[w][1] - sh[1] > 0.3 and 0.15 < sh[2] - j[w][2] < 0.45   # forward, chest-to-waist height
    assert np.linalg.norm(j[L.LEFT_WRIST] - j[L.RIGHT_WRIST]) < 0.25
