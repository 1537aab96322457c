"""The clerk at the counter: hands resting on its top, leaning on it (CC ㈠6 斜靠) told from a held bow, and a
seated lean back (DB 表4 仰靠椅背) read with MediaPipe-like hips that follow the shoulders (synthetic landmarks
through a known camera)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from etiquette_cv.core import Landmark
from etiquette_cv.geometry.calibration import calibration_from_dict
from etiquette_cv.geometry.camera import CameraModel
from etiquette_cv.geometry.solver import solve_camera
from etiquette_cv.pipeline.analysis import analyse
from etiquette_cv.posture.clerk import measure_clerk
from etiquette_cv.posture.limbs import hands_on_counter
from etiquette_cv.posture.trunk_fit import PersonPlace
from etiquette_cv.rules.findings import Verdict
from etiquette_cv.rules.grading import grade
from etiquette_cv.rules.rulebook import load_rulebook
from etiquette_cv.sim.calibrate import calibration_dict, counter_top_px
from etiquette_cv.sim.camera import VirtualCamera
from etiquette_cv.sim.landmarks import synthesize
from etiquette_cv.sim.scenario import Scenario

STATION = np.array([0.0, -0.85])
FACING = np.array([0.0, 1.0])
HANDS = list(range(Landmark.LEFT_WRIST, Landmark.RIGHT_THUMB + 1))


def _scenario(keys: list[dict], duration_s: float, camera: dict | None = None, height_m: float = 0.76) -> Scenario:
    """A clerk behind a one-level counter ``height_m`` high and 0.6 m deep (its top is the desk), seen by a branch
    camera 2.4 m high in front of them and to their right."""
    return Scenario.from_dict({
        "version": 1, "name": "counter", "duration_s": duration_s, "fps": 10,
        "camera": camera or {"position_m": [1.6, 2.6, 2.4], "look_at_m": [0.0, -0.7, 0.9], "hfov_deg": 60,
                             "width": 1280, "height": 720},
        "scene": {"counter": {"x0_m": -1.2, "x1_m": 1.2, "height_m": height_m, "depth_m": 0.6,
                              "desk_height_m": height_m}},
        "persons": [{"id": "clerk", "role": "clerk", "body": {"height_m": 1.68, "sex": "female"},
                     "keyframes": keys}],
    })


def _model(cam: VirtualCamera) -> CameraModel:
    return CameraModel.from_pose(cam.K, cam.R, cam.t, cam.width, cam.height)


def _pose(keys: list[dict], t_s: float = 0.5, hidden_mode: str = "low_visibility"):
    sc = _scenario(keys, 1.0)
    cam = VirtualCamera.from_spec(sc.camera)
    pose = synthesize(sc, cam, noise_px=0.0, seed=1, hidden_mode=hidden_mode, times_s=[t_s])[0].by_role("clerk")[0]
    return sc, cam, pose


@pytest.mark.parametrize("camera", [None, {"position_m": [-0.4, 3.0, 1.5], "look_at_m": [0.0, -0.7, 0.9],
                                           "hfov_deg": 60, "width": 1280, "height": 720}],
                         ids=["branch camera 2.4 m", "phone 1.5 m"])
def test_a_hand_leant_on_the_counter_rests_on_it_hands_of_a_bow_or_at_the_sides_do_not(camera):
    place = PersonPlace(STATION, FACING)
    got = {}
    for label, arms, flexion in (("lean", "reach_down", 30), ("bow", "sides", 50), ("upright", "sides", 0),
                                 ("folded bow", "front_folded", 30)):
        sc = _scenario([{"t": 0.0, "pos_m": list(STATION), "heading_deg": 90, "stance": "stand", "arms": arms,
                         "trunk_flexion_deg": flexion}], 1.0, camera)
        cam = VirtualCamera.from_spec(sc.camera)
        pose = synthesize(sc, cam, noise_px=0.0, occluders=[], seed=1, times_s=[0.5])[0].by_role("clerk")[0]
        model = _model(cam)
        top_m = model.pixel_to_plane_z(np.array(counter_top_px(cam, sc.scene.counter)), 0.76)
        shoulders = pose.image_xy_px[[Landmark.LEFT_SHOULDER, Landmark.RIGHT_SHOULDER]].mean(axis=0)
        height = float(model.height_on_vertical_line(shoulders, STATION))
        got[label] = hands_on_counter(pose, model, place, height, 0.76, top_m)
        if label == "lean":
            hidden = replace(pose, visibility=np.where(np.isin(np.arange(33), HANDS), 0.1, pose.visibility))
            assert np.isnan(hands_on_counter(hidden, model, place, height, 0.76, top_m))
            # the same hand read 0.3 m higher than it is: held above the top, not resting on it
            assert hands_on_counter(pose, model, place, height + 0.3, 0.76, top_m) == 0.0
    assert got == {"lean": 1.0, "bow": 0.0, "upright": 0.0, "folded bow": 0.0}


def _review(sc: Scenario):
    cam = VirtualCamera.from_spec(sc.camera)
    frames = synthesize(sc, cam, noise_px=1.0, seed=5)
    cal = calibration_from_dict(calibration_dict(sc, cam), "counter.calibration")
    rb = load_rulebook()
    obs = analyse(frames, cal, solve_camera(cal), rb, sc.name, frames[-1].timestamp_s - frames[0].timestamp_s)
    return obs, grade(obs, rb)


def test_leaning_on_the_counter_is_a_violation_a_held_apology_bow_is_not():
    keys = [{"t": 0.0, "pos_m": list(STATION), "heading_deg": 90, "stance": "stand", "arms": "sides",
             "trunk_flexion_deg": 0},
            {"t": 3.0, "arms": "reach_down", "trunk_flexion_deg": 0},
            {"t": 4.0, "trunk_flexion_deg": 30}, {"t": 7.0, "trunk_flexion_deg": 30},
            {"t": 8.0, "trunk_flexion_deg": 0, "arms": "sides"},
            {"t": 12.0, "trunk_flexion_deg": 0}, {"t": 13.0, "trunk_flexion_deg": 50},
            {"t": 15.5, "trunk_flexion_deg": 50}, {"t": 16.5, "trunk_flexion_deg": 0}]
    # the sim's reaching hand comes down to 0.70-0.72 m (pinky, index): a desk 0.68 m high, the hand on it seen
    obs, result = _review(_scenario(keys, 19.0, height_m=0.68))
    leans = [f for f in result.findings if f.rule_id == "CC-1.6-lean-on-counter"]
    assert [f.verdict for f in leans] == [Verdict.VIOLATION]
    assert leans[0].start_s < 5.0 and 6.5 < leans[0].end_s < 8.5
    assert 25.0 <= leans[0].measured_value <= 35.0
    assert "CC-1.6-lean-on-counter" in result.coverage.assessable_rules
    bows = [f for f in result.findings if f.rule_id == "DB-6.2-bow"]   # the lean is not also a bow; the bow is
    assert [round(f.measured_value / 10) for f in bows] == [5]
    assert [b.kind for b in obs.clerks[0].bends if b.start_s < 9.0] == ["lean"]


def test_leaning_on_the_counter_is_not_assessable_over_the_clerks_shoulder():
    """From behind the clerk, a hand held above the top lines up with the top like one resting on it."""
    keys = [{"t": 0.0, "pos_m": list(STATION), "heading_deg": 90, "stance": "stand", "arms": "reach_down",
             "trunk_flexion_deg": 30}]
    behind = {"position_m": [0.5, -3.4, 2.4], "look_at_m": [0.0, -0.4, 0.8], "hfov_deg": 60, "width": 1280,
              "height": 720}
    obs, result = _review(_scenario(keys, 4.0, behind, height_m=0.68))
    assert np.all(np.isnan(obs.clerks[0].series.hands_on_counter))
    assert "customers' side" in result.coverage.not_assessable_rules["CC-1.6-lean-on-counter"]


def test_leaning_on_the_counter_is_not_assessable_from_straight_in_front_and_the_bend_stays_a_bow():
    """From in front a hand on the top and one hanging behind the desk fall on the same pixel, and MediaPipe's depth
    read hands hanging in a bow 0.1-0.2 m ahead of the shoulders (rendered bow_head_set/h1_front: five of six bows
    taken for leans): within ``counter_hand_min_view_deg`` of the front the hands are not read; 25° off they are."""
    keys = [{"t": 0.0, "pos_m": list(STATION), "heading_deg": 90, "stance": "stand", "arms": "sides",
             "trunk_flexion_deg": 0},
            {"t": 3.0, "arms": "reach_down", "trunk_flexion_deg": 0},
            {"t": 4.0, "trunk_flexion_deg": 30}, {"t": 7.0, "trunk_flexion_deg": 30},
            {"t": 8.0, "trunk_flexion_deg": 0, "arms": "sides"}, {"t": 10.0, "trunk_flexion_deg": 0}]
    front = {"position_m": [0.3, 3.0, 2.4], "look_at_m": [0.0, -0.7, 0.9], "hfov_deg": 60, "width": 1280,
             "height": 720}
    obs, result = _review(_scenario(keys, 10.0, front, height_m=0.68))
    assert np.all(np.isnan(obs.clerks[0].series.hands_on_counter))
    assert "straight in front" in result.coverage.not_assessable_rules["CC-1.6-lean-on-counter"]
    assert [b.kind for b in obs.clerks[0].bends] == ["bow"]
    obs, result = _review(_scenario(keys, 10.0, height_m=0.68))          # the branch camera, 25° off the front
    assert [b.kind for b in obs.clerks[0].bends] == ["lean"]
    assert [f.verdict for f in result.findings if f.rule_id == "CC-1.6-lean-on-counter"] == [Verdict.VIOLATION]


def test_leaning_on_the_counter_is_not_assessable_without_the_counter_top_zone():
    keys = [{"t": 0.0, "pos_m": list(STATION), "heading_deg": 90, "stance": "stand", "arms": "sides"}]
    sc = _scenario(keys, 4.0)
    cam = VirtualCamera.from_spec(sc.camera)
    frames = synthesize(sc, cam, noise_px=1.0, seed=5)
    d = calibration_dict(sc, cam)
    del d["zones"]["counter_top"]
    cal = calibration_from_dict(d, "counter.calibration")
    rb = load_rulebook()
    result = grade(analyse(frames, cal, solve_camera(cal), rb, sc.name, 4.0), rb)
    assert "counter_top zone" in result.coverage.not_assessable_rules["CC-1.6-lean-on-counter"]


SEATED_LEAN_BACK = [{"t": 0.0, "pos_m": [0.0, -0.55], "heading_deg": 90, "stance": "stand", "arms": "sides",
                     "trunk_flexion_deg": 0},
                    {"t": 2.0, "pos_m": list(STATION)},
                    {"t": 3.0, "stance": "sit", "transition_s": 1.0, "arms": "desk"},
                    {"t": 7.0, "trunk_flexion_deg": 0}, {"t": 8.0, "trunk_flexion_deg": -15},
                    {"t": 12.0, "trunk_flexion_deg": -15}, {"t": 13.0, "trunk_flexion_deg": 0}]
"""Standing up by the desk (the body's dimensions are learnt standing), then seated: upright, leaning back 15°
for 4 s, upright again."""
SEATED_THROUGHOUT = [{"t": 0.0, "pos_m": list(STATION), "heading_deg": 90, "stance": "sit", "arms": "desk",
                      "trunk_flexion_deg": 0},
                     {"t": 7.0, "trunk_flexion_deg": 0}, {"t": 8.0, "trunk_flexion_deg": -15},
                     {"t": 12.0, "trunk_flexion_deg": -15}, {"t": 13.0, "trunk_flexion_deg": 0},
                     {"t": 16.0, "trunk_flexion_deg": 0}, {"t": 17.0, "trunk_flexion_deg": 40},
                     {"t": 20.0, "trunk_flexion_deg": 40}, {"t": 21.0, "trunk_flexion_deg": 0}]
"""Never seen standing (a live camera's 5-minute window at a busy desk): upright, leaning back 15°, upright, lying
on the desk at 40° for 3 s, upright."""
VIEWS = {"front-right 1.9 m": [1.2, 3.0, 1.9], "branch camera 2.4 m": [1.6, 2.6, 2.4]}


def _seated_series(position_m: list[float], follow: bool, keys: list[dict] = SEATED_LEAN_BACK
                   ) -> tuple[float, float, float]:
    """The seated lean back from one view: its median reading, the 90th percentile of the readings' size while
    seated upright (degrees) and the median reading of a lie on the desk (NaN without one); ``follow``: the hips
    moved in the image as the shoulders' midpoint moves (MediaPipe's seated hips do)."""
    camera = {"position_m": position_m, "look_at_m": [0.0, -0.7, 0.8], "hfov_deg": 60, "width": 1280, "height": 720}
    sc = _scenario(keys, 17.0 if keys is SEATED_LEAN_BACK else 24.0, camera)
    cam = VirtualCamera.from_spec(sc.camera)
    frames = synthesize(sc, cam, noise_px=0.5, seed=2, hidden_mode="invent")
    if follow:
        shoulders = [Landmark.LEFT_SHOULDER, Landmark.RIGHT_SHOULDER]
        rest = frames[0].by_role("clerk")[0].image_xy_px[shoulders].mean(axis=0)
        moved = []
        for f in frames:
            p = f.by_role("clerk")[0]
            xy = p.image_xy_px.copy()
            xy[[Landmark.LEFT_HIP, Landmark.RIGHT_HIP]] += xy[shoulders].mean(axis=0) - rest
            moved.append(replace(f, persons=[replace(p, image_xy_px=xy)]))
        frames = moved
    s = measure_clerk(frames, _model(cam), STATION, FACING, load_rulebook().posture_settings(),
                      np.array([[-1.2, 0.0], [1.2, 0.0]]), 0.76)
    lean = (s.t_s >= 8.5) & (s.t_s <= 11.5)
    lie = (s.t_s >= 17.5) & (s.t_s <= 19.5)
    upright = ((s.t_s >= 4.5) & (s.t_s <= 6.5)) | ((s.t_s >= 13.5) & (s.t_s <= 15.5)) | (s.t_s >= 21.5)
    assert np.all(s.stance[lean | upright] == "sit")
    return (float(np.median(s.flexion_deg[lean])), float(np.percentile(np.abs(s.flexion_deg[upright]), 90)),
            float(np.median(s.flexion_deg[lie])) if lie.any() else float("nan"))


@pytest.mark.parametrize("follow", [False, True], ids=["true hips", "hips following the shoulders"])
@pytest.mark.parametrize("view", VIEWS)
def test_a_seated_lean_back_is_read_though_the_hips_follow_the_shoulders(view, follow):
    """MediaPipe's seated hips follow the shoulders when the trunk leans back (tuning t354: 12 px, the true hips
    still): anchored on the chair and weighed little, they cannot cancel the lean. (With the hips free, as before
    the fifteenth session, these four cases read the lean -17°, -5°, +12° and -11° and upright up to 43° off.)"""
    lean, upright, _ = _seated_series(VIEWS[view], follow)
    assert abs(lean + 15.0) <= 4.0
    assert upright <= 4.0     # seated, the fit rests on the shoulders and ears: 0.5 px of noise moves it 1-5°


@pytest.mark.parametrize("follow", [False, True], ids=["true hips", "hips following the shoulders"])
@pytest.mark.parametrize("view", VIEWS)
def test_a_clerk_never_seen_standing_reads_upright_leaning_back_and_lying_on_the_desk(view, follow):
    """Seated throughout, the upright reference comes from the quiet frames near the usual seated reading: the
    quiet frames alone were the held lie on the desk (the upright ones jitter), and upright read 22° off (and
    before the fifteenth session, with the hips free, 41-60° off at worst)."""
    lean, upright, lie = _seated_series(VIEWS[view], follow, SEATED_THROUGHOUT)
    assert abs(lean + 15.0) <= 4.5
    assert abs(lie - 40.0) <= 4.0
    assert upright <= 7.0     # the body's dimensions learnt from seated frames: noisier than after a stand-up
