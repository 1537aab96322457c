"""Kinematic body invariants."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from sim_fixtures import SCENARIOS  # noqa: F401  (first: puts src/ on the path)

from etiquette_cv.sim.body import TIPTOE_HEEL_RAISE_M, Body, joint_positions_m, trunk_angles_deg
from etiquette_cv.sim.scenario import ARM_STATES, LEG_STATES, PoseParams, load_scenario
from etiquette_cv.core import Landmark as L

BODY = Body.from_height(1.68, "female")


def params(**kw) -> PoseParams:
    base = dict(t_s=0.0, pos_m=np.array([0.3, -0.75]), heading_deg=90.0, stance="stand", sit_blend=0.0,
                trunk_flexion_deg=0.0, trunk_lateral_deg=0.0, neck_flexion_deg=0.0, arms="sides", legs="normal",
                sway_amplitude_deg=0.0, sway_period_s=2.0, sway_offset_deg=0.0, walk_phase=0.0, walk_speed_m_s=0.0)
    base.update(kw)
    return PoseParams(**base)


SEGMENTS = {
    "thigh": [(L.LEFT_HIP, L.LEFT_KNEE), (L.RIGHT_HIP, L.RIGHT_KNEE)],
    "shank": [(L.LEFT_KNEE, L.LEFT_ANKLE), (L.RIGHT_KNEE, L.RIGHT_ANKLE)],
    "upper_arm": [(L.LEFT_SHOULDER, L.LEFT_ELBOW), (L.RIGHT_SHOULDER, L.RIGHT_ELBOW)],
    "forearm": [(L.LEFT_ELBOW, L.LEFT_WRIST), (L.RIGHT_ELBOW, L.RIGHT_WRIST)],
    "shoulder_width": [(L.LEFT_SHOULDER, L.RIGHT_SHOULDER)],
    "hip_width": [(L.LEFT_HIP, L.RIGHT_HIP)],
}
EXPECTED = {"thigh": "thigh_m", "shank": "shank_m", "upper_arm": "upper_arm_m", "forearm": "forearm_m",
            "shoulder_width": "shoulder_width_m", "hip_width": "hip_width_m"}


def _lengths(j: np.ndarray) -> dict[str, list[float]]:
    out = {k: [float(np.linalg.norm(j[a] - j[b])) for a, b in pairs] for k, pairs in SEGMENTS.items()}
    hip_c, sh_c = 0.5 * (j[L.LEFT_HIP] + j[L.RIGHT_HIP]), 0.5 * (j[L.LEFT_SHOULDER] + j[L.RIGHT_SHOULDER])
    out["trunk"] = [float(np.linalg.norm(sh_c - hip_c))]
    return out


@pytest.mark.parametrize("name", ["reception_min", "bows", "deportment"])
def test_segment_lengths_constant_over_scenarios(name):
    s = load_scenario(SCENARIOS / f"{name}.yaml")
    for person in s.persons:
        body = Body.from_spec(person.body)
        for t in s.times()[::6]:
            j = joint_positions_m(person.sample(float(t)), body, s.scene.counter.desk_height_m)
            assert np.isfinite(j).all()
            lengths = _lengths(j)
            for key, attr in EXPECTED.items():
                np.testing.assert_allclose(lengths[key], getattr(body, attr), atol=1e-9, err_msg=f"{key} t={t}")
            assert lengths["trunk"][0] == pytest.approx(body.trunk_m, abs=1e-9)


@pytest.mark.parametrize("sit_blend", [0.0, 0.4, 1.0])
def test_segment_lengths_every_state(sit_blend):
    for arms in ARM_STATES:
        for legs in LEG_STATES:
            j = joint_positions_m(params(arms=arms, legs=legs, sit_blend=sit_blend, trunk_flexion_deg=20,
                                         sway_offset_deg=3.0, walk_speed_m_s=0.3, walk_phase=0.3), BODY)
            lengths = _lengths(j)
            for key, attr in EXPECTED.items():
                np.testing.assert_allclose(lengths[key], getattr(BODY, attr), atol=1e-9,
                                           err_msg=f"{key} arms={arms} legs={legs}")


def test_trunk_angle_equals_commanded_flexion_and_lateral():
    rng = np.random.default_rng(1)
    for flex in np.arange(-20.0, 90.1, 5.0):
        for lat in (-15.0, -5.0, 0.0, 10.0):
            heading = float(rng.uniform(-180, 180))
            for blend in (0.0, 1.0):
                p = params(trunk_flexion_deg=flex, trunk_lateral_deg=lat, heading_deg=heading, sit_blend=blend)
                j = joint_positions_m(p, BODY)
                hip_c = 0.5 * (j[L.LEFT_HIP] + j[L.RIGHT_HIP])
                sh_c = 0.5 * (j[L.LEFT_SHOULDER] + j[L.RIGHT_SHOULDER])
                f, la = trunk_angles_deg(hip_c, sh_c, heading)
                assert f == pytest.approx(flex, abs=1e-6)
                assert la == pytest.approx(lat, abs=1e-6)
                if lat == 0.0:  # the plain angle from vertical
                    d = (sh_c - hip_c) / np.linalg.norm(sh_c - hip_c)
                    assert np.degrees(np.arccos(d[2])) == pytest.approx(abs(flex), abs=1e-6)


def test_flexion_leans_along_heading():
    j = joint_positions_m(params(heading_deg=0.0, trunk_flexion_deg=45), BODY)  # facing +x
    sh_c = 0.5 * (j[L.LEFT_SHOULDER] + j[L.RIGHT_SHOULDER])
    hip_c = 0.5 * (j[L.LEFT_HIP] + j[L.RIGHT_HIP])
    assert sh_c[0] - hip_c[0] > 0.3 and abs(sh_c[1] - hip_c[1]) < 1e-9


def test_left_is_the_persons_left_and_face_forward():
    j = joint_positions_m(params(heading_deg=90.0), BODY)  # facing +y: the person's left is −x
    assert j[L.LEFT_SHOULDER, 0] < j[L.RIGHT_SHOULDER, 0]
    assert j[L.LEFT_HIP, 0] < j[L.RIGHT_HIP, 0]
    assert j[L.LEFT_EAR, 0] < j[L.RIGHT_EAR, 0]
    assert j[L.NOSE, 1] > j[L.LEFT_EAR, 1] + 0.05  # nose ahead of the ears
    assert j[L.LEFT_FOOT_INDEX, 1] > j[L.LEFT_HEEL, 1] + 0.15  # toes ahead of heels
    # ears sit slightly behind the head centre, at (−0.1, ±1, 0) on the head sphere
    head_c = 0.5 * (j[L.LEFT_EAR] + j[L.RIGHT_EAR]) + np.array([0.0, BODY.head_radius_m * 0.1 / np.sqrt(1.01), 0.0])
    for idx in (L.LEFT_EYE, L.RIGHT_EYE, L.MOUTH_LEFT, L.LEFT_EYE_OUTER, L.LEFT_EAR):
        assert np.linalg.norm(j[idx] - head_c) == pytest.approx(BODY.head_radius_m, rel=0.02)


def test_neck_flexion_tilts_the_face_down():
    up = joint_positions_m(params(), BODY)
    down = joint_positions_m(params(neck_flexion_deg=40), BODY)
    assert down[L.NOSE, 2] < up[L.NOSE, 2] - 0.03
    np.testing.assert_allclose(down[L.LEFT_SHOULDER], up[L.LEFT_SHOULDER])


def test_standing_and_seated_heights():
    stand = joint_positions_m(params(), BODY)
    sit = joint_positions_m(params(sit_blend=1.0, stance="sit"), BODY)
    hip_stand = 0.5 * (stand[L.LEFT_HIP, 2] + stand[L.RIGHT_HIP, 2])
    hip_sit = 0.5 * (sit[L.LEFT_HIP, 2] + sit[L.RIGHT_HIP, 2])
    assert hip_stand == pytest.approx(0.530 * 1.68)
    assert hip_sit == pytest.approx(0.285 * 1.68)
    assert 0.44 < hip_sit < 0.50
    # seated: thighs horizontal, shins vertical; the pelvis stays over pos_m
    np.testing.assert_allclose(sit[L.LEFT_KNEE, 2], hip_sit, atol=1e-9)
    np.testing.assert_allclose(sit[L.LEFT_KNEE, :2], sit[L.LEFT_ANKLE, :2], atol=1e-9)
    np.testing.assert_allclose(0.5 * (sit[L.LEFT_HIP, :2] + sit[L.RIGHT_HIP, :2]), [0.3, -0.75], atol=1e-9)
    assert stand[L.NOSE, 2] == pytest.approx(0.93 * 1.68, abs=0.03)
    assert stand[L.LEFT_SHOULDER, 2] == pytest.approx(0.818 * 1.68, abs=1e-9)
    for k in range(33):
        assert stand[k, 2] >= 0.0


def test_tiptoe_raises_heels():
    normal = joint_positions_m(params(), BODY)
    tip = joint_positions_m(params(legs="tiptoe"), BODY)
    for heel in (L.LEFT_HEEL, L.RIGHT_HEEL):
        assert tip[heel, 2] - normal[heel, 2] == pytest.approx(TIPTOE_HEEL_RAISE_M, abs=1e-9)
    for toe in (L.LEFT_FOOT_INDEX, L.RIGHT_FOOT_INDEX):
        np.testing.assert_allclose(tip[toe], normal[toe], atol=1e-12)
    assert 0.03 < tip[L.LEFT_HIP, 2] - normal[L.LEFT_HIP, 2] < TIPTOE_HEEL_RAISE_M


def test_arm_states_place_the_wrists():
    pockets = joint_positions_m(params(arms="pockets"), BODY)
    for w, h in ((L.LEFT_WRIST, L.LEFT_HIP), (L.RIGHT_WRIST, L.RIGHT_HIP)):
        assert np.linalg.norm(pockets[w] - pockets[h]) < 0.12
        assert pockets[w, 1] > pockets[h, 1]  # in front of the hip (facing +y)
    desk = joint_positions_m(params(arms="desk", sit_blend=1.0), BODY, desk_height_m=0.75)
    for e, w in ((L.LEFT_ELBOW, L.LEFT_WRIST), (L.RIGHT_ELBOW, L.RIGHT_WRIST)):
        assert desk[e, 2] == pytest.approx(0.79) and desk[w, 2] == pytest.approx(0.79)
    down = joint_positions_m(params(arms="reach_down", trunk_flexion_deg=40), BODY)
    assert down[L.RIGHT_WRIST, 2] < down[L.LEFT_WRIST, 2] - 0.05  # only the right hand reaches down
    assert down[L.RIGHT_WRIST, 2] < down[L.RIGHT_SHOULDER, 2] - 0.95 * (BODY.upper_arm_m + BODY.forearm_m) * 0.9
    fwd = joint_positions_m(params(arms="reach_forward"), BODY)
    assert fwd[L.RIGHT_WRIST, 1] - fwd[L.RIGHT_SHOULDER, 1] > 0.45
    folded = joint_positions_m(params(arms="front_folded"), BODY)
    assert abs(folded[L.LEFT_WRIST, 0] - folded[L.RIGHT_WRIST, 0]) < 0.08
    phone = joint_positions_m(params(arms="phone_shoulder"), BODY)
    assert phone[L.LEFT_EAR, 2] < phone[L.RIGHT_EAR, 2] - 0.03  # head tilted onto the left shoulder


def test_sway_rotates_about_the_ankles():
    p = params(sway_offset_deg=5.0)
    j0, j1 = joint_positions_m(params(), BODY), joint_positions_m(p, BODY)
    ank = 0.5 * (j0[L.LEFT_ANKLE] + j0[L.RIGHT_ANKLE])
    sh0 = 0.5 * (j0[L.LEFT_SHOULDER] + j0[L.RIGHT_SHOULDER])
    sh1 = 0.5 * (j1[L.LEFT_SHOULDER] + j1[L.RIGHT_SHOULDER])
    assert sh1[0] > sh0[0] + 0.05  # toward the person's right (+x when facing +y)
    ang = np.degrees(np.arctan2(sh1[0] - ank[0], sh1[2]) - np.arctan2(sh0[0] - ank[0], sh0[2]))
    assert ang == pytest.approx(5.0, abs=1e-6)


def test_walk_cycle_swings_legs_and_arms_opposite():
    a = joint_positions_m(params(walk_speed_m_s=1.2, walk_phase=0.25), BODY)
    b = joint_positions_m(params(walk_speed_m_s=1.2, walk_phase=0.75), BODY)
    # facing +y: at phase 0.25 the left foot is ahead and the left hand behind
    assert a[L.LEFT_ANKLE, 1] > a[L.RIGHT_ANKLE, 1] + 0.4
    assert a[L.LEFT_WRIST, 1] < a[L.RIGHT_WRIST, 1]
    assert b[L.RIGHT_ANKLE, 1] > b[L.LEFT_ANKLE, 1] + 0.4
    upper = a[L.LEFT_ELBOW] - a[L.LEFT_SHOULDER]
    swing = np.degrees(np.arctan2(-upper[1], -upper[2]))
    assert 25.0 < swing < 35.0
    assert min(a[L.LEFT_ANKLE, 2], a[L.RIGHT_ANKLE, 2]) == pytest.approx(BODY.ankle_height_m)


def test_crossed_legs_seated_puts_an_ankle_on_the_other_knee():
    j = joint_positions_m(params(legs="crossed", sit_blend=1.0), BODY)
    assert np.linalg.norm(j[L.RIGHT_ANKLE] - j[L.LEFT_KNEE]) < 0.15
    assert j[L.RIGHT_ANKLE, 2] > j[L.LEFT_KNEE, 2]


def test_body_ratios_scale_with_height():
    small, tall = Body.from_height(1.5), Body.from_height(1.9)
    for f in dataclasses.fields(Body):
        if f.name.endswith("_m") and f.name != "height_m":
            assert getattr(tall, f.name) / getattr(small, f.name) == pytest.approx(1.9 / 1.5)
