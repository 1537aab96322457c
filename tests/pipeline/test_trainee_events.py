"""The trainee's gestures as the scorer takes them (pipeline/trainee_events.py): gestures the stance rules out."""

from __future__ import annotations

import numpy as np

from etiquette_cv.core import FramePoses, PersonPose
from etiquette_cv.pipeline.trainee_events import _gestures
from etiquette_cv.rules.rulebook import load_rulebook
from etiquette_cv.sim.gestures import Segment, gesture_sequence


def _frames(kind: str) -> tuple[list[FramePoses], np.ndarray]:
    t, world = gesture_sequence([Segment(kind, 1.0, 4.0)], noise_m=0.01, seed=4)
    xy = np.full((33, 2), [640.0, 360.0])
    return [FramePoses(i, float(ti), 1280, 720,
                       [PersonPose(1, "unknown", xy, np.zeros(33), w, np.ones(33), np.ones(33))])
            for i, (ti, w) in enumerate(zip(t, world))], t


def test_an_indicating_arm_counts_standing_and_not_seated():
    """Tuning role-play t311: seated, forearms resting on the desk read as an arm extended and raised 55–70° (elbow
    110–157°), a false indicating gesture; like the hand-over, an indicating gesture is looked for only standing."""
    rb = load_rulebook()
    frames, t = _frames("indicate")
    standing = [g.kind for g in _gestures(frames, 1, rb, None, t, np.ones(len(t), bool))]
    seated = [g.kind for g in _gestures(frames, 1, rb, None, t, np.zeros(len(t), bool))]
    assert standing == ["indicate"] and seated == []


def test_facing_bows_claim_the_least_depth_only_of_a_bow_the_shortened_trunk_shows_deep():
    """A trainee facing the camera: bows are found on the tilt curve, which reads them shallow and breaks a long
    one up. Where the least depth from the trunk's shortening reaches the apology bow's 45° during such a bow, one
    bow spans both, claimed at least 45° and held as long as it was at least that deep; a bow the shortening does
    not show deep keeps no angle; a deep reading with no bow found (a rise from the chair) makes no bow."""
    from etiquette_cv.events import Bend
    from etiquette_cv.pipeline.trainee_events import facing_bows

    rb = load_rulebook()
    t = np.arange(0.0, 30.0, 0.1)
    standing = np.ones(len(t), bool)
    front = np.zeros(len(t))
    front[(t >= 5.0) & (t < 8.0)] = 52.0         # a deep bow, 3 s at least 45° deep
    front[(t >= 20.0) & (t < 21.0)] = 50.0       # deep-looking, but no bow found there
    bends = [Bend(5.4, 6.0, 5.7, 9.0, 0.3, "bow", False), Bend(7.2, 8.4, 7.8, 8.5, 0.2, "bow", False),
             Bend(12.0, 14.0, 13.0, 12.0, 1.0, "bow", False)]
    got = facing_bows(bends, t, front, standing, rb)
    assert len(got) == 2
    deep, shallow = got
    assert deep.angle_at_least and deep.peak_angle_deg == 45.0 and deep.angle_measured
    assert deep.start_s == 5.0 and deep.end_s == 8.4 and abs(deep.hold_s - 2.9) < 0.15
    assert not shallow.angle_measured and not shallow.angle_at_least and shallow.start_s == 12.0


def test_facing_bows_take_a_bend_the_tilt_curve_called_a_glitch_where_the_trunk_shows_deep():
    """Role-play t321: facing the camera, a 58° apology bow's tilt jumped faster than a body bends as the
    landmarker lost and found the folded body, so the tilt curve called it a pose glitch; the trunk's shortening
    showed it at least 45° deep for 3 s. That is the bow, claimed at least 45°; a glitch with no deep reading over
    it stays no bow."""
    from etiquette_cv.events import Bend
    from etiquette_cv.pipeline.trainee_events import facing_bows

    rb = load_rulebook()
    t = np.arange(0.0, 30.0, 0.1)
    front = np.zeros(len(t))
    front[(t >= 17.1) & (t < 20.2)] = 55.0
    bends = [Bend(16.7, 20.9, 19.9, 113.0, 0.2, "glitch", True), Bend(25.0, 26.0, 25.5, 90.0, 0.1, "glitch", False)]
    got = facing_bows(bends, t, front, np.ones(len(t), bool), rb)
    assert len(got) == 1
    assert got[0].angle_at_least and got[0].peak_angle_deg == 45.0
    assert got[0].start_s == 16.7 and got[0].end_s == 20.9 and abs(got[0].hold_s - 3.0) < 0.15


def test_trainer_mode_grades_no_head_shake_while_the_trunk_is_bent_as_the_review_does():
    """Tuning avoid set t357/t361: a clerk lying on the desk turns a face MediaPipe barely sees, which read as head
    shakes in trainer mode (the review masks the trunk bent past ``head_shake_max_flexion_deg``). Trainer mode masks
    the same spells of the trainee's flexion curve."""
    from etiquette_cv.pipeline.trainee_events import _bent_spells, _head_shakes
    from etiquette_cv.sim.landmarks import synthesize
    from etiquette_cv.sim.scenario import Scenario

    rb = load_rulebook()
    base = {"t": 0.0, "pos_m": [0.0, -0.75], "heading_deg": 90, "stance": "stand", "arms": "sides",
            "head_shake_deg": 0, "head_shake_hz": 2.5}
    sc = Scenario.from_dict({
        "version": 1, "name": "shake", "duration_s": 6.0, "fps": 10,
        "camera": {"position_m": [0.0, 3.0, 2.0], "look_at_m": [0.0, -0.75, 1.0], "hfov_deg": 60,
                   "width": 1280, "height": 720},
        "scene": {"counter": {"x0_m": -1.0, "x1_m": 1.0, "height_m": 1.1, "depth_m": 0.6, "desk_height_m": 0.75}},
        "persons": [{"id": "clerk", "role": "clerk", "body": {"height_m": 1.70, "sex": "female"},
                     "keyframes": [base, {"t": 1.0, "head_shake_deg": 0}, {"t": 1.2, "head_shake_deg": 25},
                                   {"t": 4.0, "head_shake_deg": 25}]}]})
    t = np.arange(0.0, 6.0, 0.1)
    frames = synthesize(sc, None, noise_px=1.0, occluders=[], seed=2, times_s=t)     # the scenario's own camera
    poses = [f.by_role("clerk")[0] for f in frames]
    hands = np.full((len(t), 2), np.nan)
    assert [e.kind for e in _head_shakes(t, poses, hands, rb, [])] == ["head_shake"]
    flexion = np.where((t >= 0.5) & (t <= 5.0), 60.0, 3.0)       # lying on the desk over the whole shake
    spells = _bent_spells(t, flexion, rb.posture_settings().head_shake_max_flexion_deg)
    assert spells == [(0.5, 5.0)]
    assert _head_shakes(t, poses, hands, rb, [], spells) == []
    assert _bent_spells(t, np.full(len(t), np.nan), 20.0) == [] and _bent_spells(None, None, 20.0) == []
