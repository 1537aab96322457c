"""Arm gestures from synthetic world-landmark sequences with known truth (sim/gestures.py): each gesture found
where it was made, and none of the distractors (hands folded, a forearm raised and still, one hand forward, an
arm slightly out) read as one."""

from __future__ import annotations

import numpy as np
import pytest

from etiquette_cv.core import PersonPose
from etiquette_cv.events import detect_gestures
from etiquette_cv.posture.gestures import GestureSettings, body_axes, measure_gestures
from etiquette_cv.sim.gestures import Segment, gesture_sequence

S = GestureSettings()


def _detect(segments, seed=0, noise_m=0.015, hide=()):
    t, world = gesture_sequence(segments, noise_m=noise_m, seed=seed)
    vis = np.ones(33)
    vis[list(hide)] = 0.0
    poses = [PersonPose(1, "unknown", np.zeros((33, 2)), np.zeros(33), w, vis, np.ones(33)) for w in world]
    return detect_gestures(measure_gestures(t, poses, S), S)


@pytest.mark.parametrize("fps", [10.0, 7.5, 5.0, 4.0])
def test_a_wave_is_found_at_the_rates_a_busy_live_box_lowers_to(fps):
    """A live box that cannot keep up lowers its analysis rate (to 5-7 frames/s for one 1080p camera on two cores):
    the wave's turns are counted after a mean over 0.3 s, not over 3 samples (at 5 frames/s a 3-sample mean spans a
    whole period of the wave and found no wave at all); a still arm with 3 cm jitter makes no wave at these rates."""
    for side in (-1, 1):
        t, world = gesture_sequence([Segment("wave", 1.0, 4.0, side)], fps=fps, noise_m=0.015, seed=side + 5)
        poses = [PersonPose(1, "unknown", np.zeros((33, 2)), np.zeros(33), w, np.ones(33), np.ones(33)) for w in world]
        found = detect_gestures(measure_gestures(t, poses, S), S)
        assert [g.kind for g in found] == ["wave"], (fps, side)
        assert abs(found[0].start_s - 1.0) <= 0.5 and abs(found[0].end_s - 4.0) <= 0.4
    for seed in range(6):
        t, world = gesture_sequence([Segment("rest", 1.0, 6.0, 1)], fps=fps, noise_m=0.03, seed=seed)
        poses = [PersonPose(1, "unknown", np.zeros((33, 2)), np.zeros(33), w, np.ones(33), np.ones(33)) for w in world]
        assert not [g for g in detect_gestures(measure_gestures(t, poses, S), S) if g.kind == "wave"]


def test_turns_are_counted_after_a_mean_over_seconds_not_samples():
    """The same 1.5 Hz swing at 10 and at 5 frames/s makes the same turns: the running mean is 3 samples at 10
    frames/s and 2 at 5 (a 3-sample mean at 5 frames/s averaged the swing down below the 15° turn)."""
    from etiquette_cv.events import _turns
    counts = []
    for fps in (10.0, 5.0):
        t = np.arange(0.0, 2.0, 1.0 / fps)
        swing = 30.0 * np.sin(2 * np.pi * 1.5 * t + 0.3)
        counts.append(_turns(t, swing, 15.0, 0.3))
    assert counts[0] == counts[1] >= 3
    t = np.arange(0.0, 2.0, 0.2)
    assert _turns(t, 30.0 * np.sin(2 * np.pi * 1.5 * t + 0.3), 15.0, 0.6) < 3   # what 3 samples at 5 frames/s did


def test_body_axes_of_a_person_facing_the_camera():
    _, world = gesture_sequence([Segment("rest", 0, 1)], noise_m=0.0)
    left, up, fwd = body_axes(world[0])
    assert np.allclose(left, [1, 0, 0], atol=1e-6) and np.allclose(up, [0, -1, 0], atol=1e-6)
    assert np.allclose(fwd, [0, 0, -1], atol=1e-6)     # toward the camera


@pytest.mark.parametrize("kind", ["indicate", "hand_over", "wave"])
@pytest.mark.parametrize("side", [-1, 1])
def test_each_gesture_is_found_where_it_was_made(kind, side):
    found = _detect([Segment(kind, 1.0, 4.0, side)], seed=side + 5)
    assert [g.kind for g in found] == [kind]
    assert abs(found[0].start_s - 1.0) <= 0.5 and abs(found[0].end_s - 4.0) <= 0.3


@pytest.mark.parametrize("kind", ["rest", "folded", "static_raise", "one_arm_forward", "reach_down"])
def test_distractors_are_no_gesture(kind):
    assert _detect([Segment(kind, 1.0, 5.0, -1)], seed=3) == []


def test_a_wave_needs_the_swing_and_a_short_indication_is_none():
    assert [g.kind for g in _detect([Segment("wave", 1.0, 3.0)])] == ["wave"]
    assert _detect([Segment("indicate", 1.0, 1.4)]) == []           # 0.4 s < indicate_min_s
    assert _detect([Segment("wave", 1.0, 4.0)], hide=(15, 16)) == []  # wrists not seen: nothing claimed


def _person(track_id, wrist_xy, centre_px=(540.0, 380.0), px_per_m=200.0):
    """A person upright in the image plane at ``px_per_m`` (world landmarks consistent with it), both wrists at
    ``wrist_xy``."""
    world = np.zeros((33, 3))
    world[0], world[7], world[8] = (0, -0.62, 0), (-0.07, -0.6, 0), (0.07, -0.6, 0)
    world[11], world[12], world[13], world[14] = (-0.17, -0.5, 0), (0.17, -0.5, 0), (-0.2, -0.22, 0), (0.2, -0.22, 0)
    world[23], world[24] = (-0.1, 0.0, 0), (0.1, 0.0, 0)
    xy = np.asarray(centre_px) + world[:, :2] * px_per_m
    xy[15] = xy[16] = wrist_xy
    world[15] = world[16] = (*((np.asarray(wrist_xy) - centre_px) / px_per_m), 0.0)
    return PersonPose(track_id, "unknown", xy, np.zeros(33), world, np.ones(33), np.ones(33))


def test_image_scale_is_read_from_the_persons_own_landmarks_and_survives_a_sideways_turn():
    from etiquette_cv.posture.gestures import image_scale_px_per_m
    p = _person(1, (540, 420), px_per_m=150.0)
    assert image_scale_px_per_m(p) == pytest.approx(150.0, rel=1e-6)
    turned = _person(1, (540, 420), px_per_m=150.0)
    turned.world_xyz_m[:, 2] = turned.world_xyz_m[:, 0] * 3.0    # turned: depth offsets do not count
    turned.world_xyz_m[:, 0] *= 0.3
    turned.image_xy_px[:, 0] = 540.0 + (turned.image_xy_px[:, 0] - 540.0) * 0.3
    assert image_scale_px_per_m(turned) == pytest.approx(150.0, rel=0.02)
    p.visibility[:] = 0.0
    assert np.isnan(image_scale_px_per_m(p))


def test_a_handshake_is_a_hand_at_another_persons_hand_and_its_duration_is_measured():
    from etiquette_cv.core import FramePoses
    from etiquette_cv.posture.gestures import GestureFrames, measure_hand_contact
    t = np.arange(0, 8, 0.1)
    frames = []
    for i, ti in enumerate(t):
        near = 2.0 <= ti < 5.5                       # 3.5 s of hands 0.1 m apart, else 1 m apart (at 200 px/m)
        other = _person(2, (660, 350) if near else (840, 350), centre_px=(800.0, 380.0))
        frames.append(FramePoses(i, float(ti), 1280, 720, [_person(1, (640, 350)), other]))   # 0.15 m above the hips
    contact = measure_hand_contact(frames, 1, S)
    f = GestureFrames(t, np.zeros(len(t)), np.zeros(len(t)), np.full((len(t), 2), np.nan), contact)
    shakes = [g for g in detect_gestures(f, S) if g.kind == "handshake"]
    assert len(shakes) == 1 and abs(shakes[0].duration_s - 3.4) < 0.15
    alone = measure_hand_contact([FramePoses(0, 0.0, 1280, 720, [_person(1, (640, 350))])], 1, S)
    assert alone.tolist() == [0.0]


def test_hands_hanging_at_the_sides_that_meet_in_the_image_are_no_handshake():
    """Tuning role-play t305 (oblique, the customer in front of the clerk): the clerk's hand hanging at her side
    and the customer's, 0.36 m apart at the farther one's scale, read as a handshake for 1.5 s before the grip and
    2 s after it. A hand held out (``handshake_min_raise_m`` above its hip) at the same place is one."""
    from etiquette_cv.core import FramePoses
    from etiquette_cv.posture.gestures import measure_hand_contact
    other = _person(2, (660, 420), centre_px=(800.0, 380.0))
    hanging = _person(1, (640, 420))                      # 0.2 m below the hips
    assert measure_hand_contact([FramePoses(0, 0.0, 1280, 720, [hanging, other])], 1, S).tolist() == [0.0]
    held_out = _person(1, (640, 350))                     # 0.15 m above them
    other = _person(2, (660, 350), centre_px=(800.0, 380.0))
    assert measure_hand_contact([FramePoses(0, 0.0, 1280, 720, [held_out, other])], 1, S).tolist() == [1.0]


def test_hands_that_meet_only_at_a_near_persons_scale_are_no_handshake():
    """A person near the camera (400 px/m) and one far behind (100 px/m), wrists 60 px apart in the image: 0.15 m at
    the near one's scale, 0.6 m at the far one's: not a handshake (the far one's scale is the one used)."""
    from etiquette_cv.core import FramePoses
    from etiquette_cv.posture.gestures import measure_hand_contact
    near = _person(1, (640, 330), centre_px=(560.0, 380.0), px_per_m=400.0)   # held out, 0.125 m above the hips
    far = _person(2, (700, 330), centre_px=(720.0, 330.0), px_per_m=100.0)
    assert measure_hand_contact([FramePoses(0, 0.0, 1280, 720, [near, far])], 1, S).tolist() == [0.0]
    closer = _person(2, (670, 330), centre_px=(720.0, 330.0), px_per_m=100.0)   # 30 px = 0.3 m at 100 px/m
    assert measure_hand_contact([FramePoses(0, 0.0, 1280, 720, [near, closer])], 1, S).tolist() == [1.0]


def test_one_frame_read_zero_does_not_split_a_gesture():
    from etiquette_cv.events import _flag_intervals
    t = np.arange(0.0, 3.0, 0.1)
    flag = np.where((t >= 0.5) & (t < 2.5), 1.0, 0.0)
    flag[12] = 0.0                                       # one noisy frame in the middle
    (iv,) = _flag_intervals(t, flag, 0.6, 0.3)
    assert iv.start_s == pytest.approx(0.5) and iv.end_s == pytest.approx(2.4)


@pytest.mark.parametrize("rate_hz", [10.0, 5.0])
def test_a_wave_swings_regularly_and_jitter_does_not(rate_hz):
    """At the default 10 frames/s and at the 5 frames/s a busy live box lowers to: the lags are seconds."""
    from etiquette_cv.events import _oscillates
    t = np.arange(0.0, 2.0, 1.0 / rate_hz)
    assert _oscillates(t, 20.0 * np.sin(2 * np.pi * 1.5 * t), (0.2, 0.6), -0.4)
    assert not _oscillates(t, np.random.default_rng(3).normal(0.0, 10.0, len(t)), (0.2, 0.6), -0.4)


def test_the_vertical_a_person_is_read_against_turns_with_the_ray_to_them():
    """Level camera: a person straight ahead is read against the camera's own down; one seen 20° below the optical
    axis is read as by a camera pitched down 20° (down tilts 20° toward the viewing direction)."""
    from etiquette_cv.posture.gestures import person_down
    K = np.array([[800.0, 0.0, 640.0], [0.0, 800.0, 360.0], [0.0, 0.0, 1.0]])
    g = np.array([0.0, 1.0, 0.0])
    ahead = _person(1, (640, 420), centre_px=(640.0, 460.0))       # shoulder centre at the principal point
    assert np.allclose(person_down(ahead, g, K), g, atol=1e-9)
    below = _person(1, (640, 420), centre_px=(640.0, 460.0 + 800.0 * np.tan(np.radians(20.0))))
    b = np.radians(20.0)
    assert np.allclose(person_down(below, g, K), [0.0, np.cos(b), np.sin(b)], atol=1e-9)


def test_a_hand_over_seen_from_a_camera_pitched_down_is_judged_against_the_true_vertical():
    """The same hand-over seen by a camera pitched down 30° (its world landmarks in the camera's axes): against the
    camera's own down the upright body reads 30° tilted and the hand-over is refused; with the calibrated camera's
    vertical it is found where it was made."""
    from types import SimpleNamespace
    pitch = np.radians(30.0)
    rot = np.array([[1.0, 0.0, 0.0], [0.0, np.cos(pitch), -np.sin(pitch)], [0.0, np.sin(pitch), np.cos(pitch)]])
    t, world = gesture_sequence([Segment("hand_over", 1.0, 4.0)], noise_m=0.015, seed=2)
    xy = np.full((33, 2), [640.0, 360.0])          # at the principal point: the ray is the optical axis
    poses = [PersonPose(1, "unknown", xy, np.zeros(33), w @ rot.T, np.ones(33), np.ones(33)) for w in world]
    camera = SimpleNamespace(gravity_cam=rot @ np.array([0.0, 1.0, 0.0]),
                             K=np.array([[800.0, 0.0, 640.0], [0.0, 800.0, 360.0], [0.0, 0.0, 1.0]]))
    assert [g.kind for g in detect_gestures(measure_gestures(t, poses, S), S)] == []
    found = detect_gestures(measure_gestures(t, poses, S, camera), S)
    assert [g.kind for g in found] == ["hand_over"] and abs(found[0].start_s - 1.0) <= 0.5


def test_a_hand_whose_hip_is_hidden_cannot_be_judged_held_out():
    from etiquette_cv.core import FramePoses
    from etiquette_cv.posture.gestures import measure_hand_contact
    me = _person(1, (640, 350))
    me.visibility[[23, 24]] = 0.0                         # the hips behind a raised counter
    other = _person(2, (660, 350), centre_px=(800.0, 380.0))
    assert np.isnan(measure_hand_contact([FramePoses(0, 0.0, 1280, 720, [me, other])], 1, S)[0])


def _sim_clerk_frames(gesture_keys: list[dict], fps: float = 10.0) -> list:
    """The sim's standing clerk seen from the front by a phone at chest height, without a calibration, for 6 s at
    ``fps`` frames/s: arms at the sides, then ``gesture_keys``."""
    from etiquette_cv.sim.camera import VirtualCamera
    from etiquette_cv.sim.landmarks import synthesize
    from etiquette_cv.sim.scenario import Scenario
    sc = Scenario.from_dict({
        "version": 1, "name": "gesture", "duration_s": 6.0, "fps": 10,
        "camera": {"position_m": [0.0, 2.5, 1.35], "look_at_m": [0.0, -0.75, 1.1], "hfov_deg": 60,
                   "width": 1280, "height": 720},
        "persons": [{"id": "clerk", "role": "clerk", "body": {"height_m": 1.70, "sex": "female"},
                     "keyframes": [{"t": 0.0, "pos_m": [0.0, -0.75], "heading_deg": 90, "stance": "stand",
                                    "arms": "sides"}, *gesture_keys]}]})
    cam = VirtualCamera.look_at([0.0, 2.5, 1.35], [0.0, -0.75, 1.1], 60, 1280, 720)
    return synthesize(sc, cam, noise_px=1.0, occluders=[], seed=3, times_s=np.arange(0.0, 6.0, 1.0 / fps))


@pytest.mark.parametrize("arms", ["wave_no", "wave"])
def test_trainer_mode_lists_a_hand_waved_for_dont_know_and_never_credits_it_as_a_farewell_wave(arms):
    """On the sim's clerk seen from the front without a calibration: 摆手 (the forearm swinging in front of the
    chest) is a gesture to avoid and no farewell wave; a farewell wave (the hand up at the shoulder) is the wave and
    nothing to avoid."""
    from etiquette_cv.pipeline.trainee_events import scored_events
    from etiquette_cv.rules.rulebook import load_rulebook
    frames = _sim_clerk_frames([{"t": 2.0, "arms": arms, "gesture_hz": 3.0 if arms == "wave_no" else 1.5},
                                {"t": 4.5, "arms": "sides"}])
    events, trainee = scored_events(frames, None, load_rulebook(), "sim")
    kinds = [e.kind for e in events.events if e.kind in ("wave", "wave_no")]
    assert kinds == [arms], [(e.kind, e.start_s, e.end_s) for e in events.events]
    (e,) = events.of_kind(arms)
    assert 2.0 <= e.start_s <= 3.2 and 3.8 <= e.end_s <= 5.0


def test_a_farewell_wave_found_mostly_inside_a_hand_waved_for_dont_know_is_dropped():
    from etiquette_cv.pipeline.trainee_events import _not_low_waves
    from etiquette_cv.training.stream import TraineeEvent
    low = [TraineeEvent("wave_no", 5.0, 5.0, 7.0)]
    found = [TraineeEvent("wave", 5.2, 5.2, 7.4), TraineeEvent("wave", 9.0, 9.0, 11.0),
             TraineeEvent("indicate", 5.5, 5.5, 6.5), TraineeEvent("wave", 6.5, 6.5, 8.5)]
    kept = _not_low_waves(found, low)
    assert [(e.kind, e.start_s) for e in kept] == [("wave", 9.0), ("indicate", 5.5), ("wave", 6.5)]


def test_an_arm_whose_hand_is_in_another_persons_hand_is_not_indicating(monkeypatch):
    """Trainer mode drops indicating frames where the trainee's hand is at another person's hand (a handshake's arm,
    held out forward, reads as an arm raised to indicate: tuning role-play t311 from a tall tripod)."""
    import etiquette_cv.pipeline.trainee_events as te
    from etiquette_cv.rules.rulebook import load_rulebook
    frames = _sim_clerk_frames([{"t": 2.0, "arms": "indicate"}, {"t": 4.0, "arms": "sides"}])
    rb = load_rulebook()
    events, _ = te.scored_events(frames, None, rb, "sim")
    assert [e.kind for e in events.events if e.kind == "indicate"] == ["indicate"]
    monkeypatch.setattr(te, "measure_hand_contact", lambda frames, *a, **k: np.ones(len(frames)))
    events, _ = te.scored_events(frames, None, rb, "sim")
    assert [e.kind for e in events.events if e.kind == "indicate"] == []


def _hands_out(gap_m: float, reach_m: float) -> PersonPose:
    """Upright body (MediaPipe world axes: y down, z away from the camera, the person facing it): both wrists
    ``reach_m`` ahead of the shoulders at waist height, ``gap_m`` apart."""
    w = np.zeros((33, 3))
    w[11], w[12] = (0.18, -0.45, 0.0), (-0.18, -0.45, 0.0)      # shoulders
    w[23], w[24] = (0.10, 0.0, 0.0), (-0.10, 0.0, 0.0)         # hips
    w[13], w[14] = (0.16, -0.2, -0.12), (-0.16, -0.2, -0.12)   # elbows
    w[15], w[16] = (gap_m / 2, -0.1, -reach_m), (-gap_m / 2, -0.1, -reach_m)
    return PersonPose(1, "unknown", np.zeros((33, 2)), np.zeros(33), w, np.ones(33), np.ones(33))


def test_a_hand_over_holds_something_between_the_hands_and_hovering_at_the_threshold_does_not_split_it():
    from etiquette_cv.posture.gestures import frame_features, handover_hysteresis
    assert frame_features(_hands_out(0.21, 0.26), S)[1] >= 1.0      # a document between the hands
    assert frame_features(_hands_out(0.14, 0.26), S)[1] < 1.0       # hands folded in front, as far out
    assert frame_features(_hands_out(0.21, 0.15), S)[1] < 1.0       # not held out
    # entering at 1, staying above handover_exit_forward_m / handover_min_forward_m (0.8), NaN keeping the state
    ratio = np.array([0.5, 1.02, 0.97, np.nan, 0.85, 0.96, 0.7, 0.95, 1.0])
    assert handover_hysteresis(ratio, S).tolist()[:3] == [0.0, 1.0, 1.0]
    got = handover_hysteresis(ratio, S)
    assert np.isnan(got[3]) and got[4:].tolist() == [1.0, 1.0, 0.0, 0.0, 1.0]


def test_an_arm_reach_is_also_read_as_a_share_of_the_arm():
    """A short-armed trainee holds a document 0.22 m out (0.51 of the arm's 0.43 m): a hand-over by the share of the
    arm (rulebook ``handover_min_reach_ratio``), not by the 0.25 m alone; folded hands stay none."""
    from etiquette_cv.posture.gestures import frame_features
    by_share, metres_only = S, GestureSettings(handover_min_reach_ratio=0.0)
    assert by_share.handover_min_reach_ratio == 0.45
    assert frame_features(_hands_out(0.21, 0.22), metres_only)[1] < 1.0
    assert frame_features(_hands_out(0.21, 0.22), by_share)[1] >= 1.0
    assert frame_features(_hands_out(0.14, 0.22), by_share)[1] < 1.0
    assert frame_features(_hands_out(0.21, 0.10), by_share)[1] < 1.0


def test_a_hand_over_needs_somebody_to_hand_to():
    """Trainer mode finds the sim clerk's hand-over only while somebody else is in view (rulebook
    ``handover_other_within_s``): the trainee alone with both hands out hands nothing over."""
    import dataclasses

    from etiquette_cv.core import FramePoses
    from etiquette_cv.pipeline.trainee_events import scored_events
    from etiquette_cv.rules.rulebook import load_rulebook
    frames = _sim_clerk_frames([{"t": 2.0, "arms": "hand_over"}, {"t": 4.5, "arms": "sides"}])
    rb = load_rulebook()
    alone, _ = scored_events(frames, None, rb, "sim")
    assert alone.of_kind("hand_over") == []
    other = [FramePoses(f.frame_index, f.timestamp_s, f.image_width, f.image_height,
                        [*f.persons, *[dataclasses.replace(p, track_id=99, image_xy_px=p.image_xy_px + [500, 0])
                                       for p in f.persons[:1]]]) for f in frames]
    with_customer, _ = scored_events(other, None, rb, "sim", trainee_hint=frames[0].persons[0].track_id)
    (e,) = with_customer.of_kind("hand_over")
    assert 1.8 <= e.start_s <= 3.0


@pytest.mark.parametrize("fps", [3.0, 2.0])
def test_indicating_and_hand_over_survive_a_live_boxs_slowest_rates(fps):
    """At 3 and 2 frames/s (a live box's floor) every step between analysed frames was longer than the 0.3 s a
    gesture survives a missed frame, and no gesture was ever found: a step up to 1.5 sampling steps is no gap."""
    from etiquette_cv.events import _gap_bridged_s
    assert _gap_bridged_s(np.arange(0.0, 3.0, 0.1), S.max_gap_s) == S.max_gap_s      # 10 frames/s: unchanged
    assert _gap_bridged_s(np.arange(0.0, 3.0, 1.0 / fps), S.max_gap_s) == pytest.approx(1.5 / fps)
    for kind in ("indicate", "hand_over"):
        t, world = gesture_sequence([Segment(kind, 1.0, 4.0, 1)], fps=fps, noise_m=0.015, seed=4)
        poses = [PersonPose(1, "unknown", np.zeros((33, 2)), np.zeros(33), w, np.ones(33), np.ones(33)) for w in world]
        assert [g.kind for g in detect_gestures(measure_gestures(t, poses, S), S)] == [kind]


def test_a_wave_step_analysed_below_the_waves_rate_is_not_assessable_never_missing():
    """Trainer mode at 3 frames/s: a 1.5 Hz wave swings between two samples, which cannot show it (none found), so
    the scenario's wave step is not assessable with the rate as its reason — at 10 frames/s the wave is found."""
    from etiquette_cv.pipeline.trainee_events import scored_events
    from etiquette_cv.rules.rulebook import load_rulebook
    from etiquette_cv.training.scenario import load_scenario
    from etiquette_cv.training.scoring import score_attempt
    rb = load_rulebook()
    keys = [{"t": 2.0, "arms": "wave", "gesture_hz": 1.5}, {"t": 4.5, "arms": "sides"}]
    fast, _ = scored_events(_sim_clerk_frames(keys), None, rb, "sim")
    assert "wave" not in fast.not_measured and fast.of_kind("wave")
    slow, _ = scored_events(_sim_clerk_frames(keys, fps=3.0), None, rb, "sim")
    assert not slow.of_kind("wave")
    assert "3.0 frames/s" in slow.not_measured["wave"] and slow.reasons_zh[slow.not_measured["wave"]]
    step = next(r for r in score_attempt(load_scenario("farewell", rb), slow).steps if r.expect == "wave")
    assert step.verdict == "not_assessable" and "frames/s" in step.reason
