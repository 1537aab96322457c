"""Synthetic MediaPipe output: projection, world landmarks, occlusion, noise and determinism."""

from __future__ import annotations

import numpy as np
import pytest

from sim_fixtures import minimal_dict, SCENARIOS  # noqa: F401  (first: puts src/ on the path)

from etiquette_cv.sim.body import Body, joint_positions_m
from etiquette_cv.sim.camera import VirtualCamera
from etiquette_cv.sim.landmarks import Box, counter_boxes, occluded_mask, synthesize
from etiquette_cv.sim.scenario import Scenario, load_scenario
from etiquette_cv.core import FramePoses, Landmark as L, PersonPose

ANKLES = [L.LEFT_ANKLE, L.RIGHT_ANKLE]


@pytest.fixture
def scn() -> Scenario:
    return Scenario.from_dict(minimal_dict())


def _truth_joints(s: Scenario, pid: str, t: float) -> np.ndarray:
    person = s.person(pid)
    return joint_positions_m(person.sample(t), Body.from_spec(person.body), s.scene.counter.desk_height_m)


def test_output_types_and_ids(scn):
    frames = synthesize(scn, times_s=[0.0, 2.0, 5.0])
    assert len(frames) == 3 and all(isinstance(f, FramePoses) for f in frames)
    f = frames[2]
    assert (f.image_width, f.image_height) == (1280, 720) and f.timestamp_s == 5.0 and f.frame_index == 2
    by = {p.role: p for p in f.persons}
    assert set(by) == {"clerk", "customer"}
    assert by["clerk"].track_id == 0 and by["customer"].track_id == 1
    for p in f.persons:
        assert isinstance(p, PersonPose)
        assert p.image_xy_px.shape == (33, 2) and p.world_xyz_m.shape == (33, 3)
        assert p.image_z.shape == p.visibility.shape == p.presence.shape == (33,)
        assert ((0 <= p.visibility) & (p.visibility <= 1)).all()


def test_default_times_follow_the_scenario(scn):
    frames = synthesize(scn, noise_px=0.0)
    assert len(frames) == 100
    np.testing.assert_allclose([f.timestamp_s for f in frames], scn.times())


def test_image_points_are_the_projection(scn):
    cam = VirtualCamera.from_spec(scn.camera)
    f = synthesize(scn, times_s=[6.0], noise_px=0.0, occluders=[])[0]
    for p, pid in zip(f.persons, ("clerk", "customer1")):
        np.testing.assert_allclose(p.image_xy_px, cam.project(_truth_joints(scn, pid, 6.0)), atol=1e-9)


def test_pixel_noise_level(scn):
    cam = VirtualCamera.from_spec(scn.camera)
    frames = synthesize(scn, times_s=np.linspace(5, 9, 40), noise_px=2.0, occluders=[], seed=3)
    res = np.concatenate([f.persons[0].image_xy_px - cam.project(_truth_joints(scn, "clerk", f.timestamp_s))
                          for f in frames])
    assert abs(res.mean()) < 0.1
    assert res.std() == pytest.approx(2.0, rel=0.05)


def test_world_landmarks_are_in_camera_axes_about_the_hip_centre(scn):
    cam = VirtualCamera.from_spec(scn.camera)
    f = synthesize(scn, times_s=[3.2], noise_px=0.0, occluders=[])[0]
    for p, pid in zip(f.persons, ("clerk", "customer1")):
        joints = _truth_joints(scn, pid, 3.2)
        hip_c = 0.5 * (joints[L.LEFT_HIP] + joints[L.RIGHT_HIP])
        np.testing.assert_allclose(0.5 * (p.world_xyz_m[L.LEFT_HIP] + p.world_xyz_m[L.RIGHT_HIP]), 0, atol=1e-12)
        back = p.world_xyz_m @ cam.R + hip_c  # rotate camera axes back to the world
        np.testing.assert_allclose(back, joints, atol=1e-9)
        # y down: the head is "up" = negative y in camera axes
        assert p.world_xyz_m[L.NOSE, 1] < p.world_xyz_m[L.LEFT_ANKLE, 1]
        # image_z: relative depth, hip midpoint = 0, same sign as the camera depth offset
        z_rel = (joints @ cam.R.T + cam.t)[:, 2] - (hip_c @ cam.R.T + cam.t)[2]
        assert np.all(np.sign(p.image_z[np.abs(z_rel) > 1e-3]) == np.sign(z_rel[np.abs(z_rel) > 1e-3]))


def test_world_noise(scn):
    a = synthesize(scn, times_s=[3.0], noise_px=0.0, occluders=[])[0].persons[0].world_xyz_m
    b = synthesize(scn, times_s=[3.0], noise_px=0.0, occluders=[], noise_world_m=0.02)[0].persons[0].world_xyz_m
    assert 0.01 < np.std(a - b) < 0.03


def test_counter_hides_the_ankles_of_the_clerk(scn):
    f = synthesize(scn, times_s=[0.0, 6.0])  # seated, then standing behind the counter
    for frame in f:
        clerk = frame.by_role("clerk")[0]
        assert (clerk.visibility[ANKLES] < 0.35).all()
        assert (clerk.visibility[[L.NOSE, L.LEFT_SHOULDER, L.RIGHT_SHOULDER]] > 0.85).all()
    cust = f[1].by_role("customer")[0]
    assert (cust.visibility > 0.85).all()  # the customer stands in front of the counter
    free = synthesize(scn, times_s=[0.0], occluders=[])[0].by_role("clerk")[0]
    assert (free.visibility[ANKLES] > 0.85).all()


def test_occluder_geometry():
    box = Box(np.array([-1.0, -0.1, 0.0]), np.array([1.0, 0.0, 1.0]))
    cam = np.array([0.0, 5.0, 2.0])
    pts = np.array([[0.0, -1.0, 0.1],   # low, behind the panel → hidden
                    [0.0, -1.0, 1.9],   # high, seen over the panel
                    [0.0, 1.0, 0.1],    # in front of the panel
                    [3.0, -1.0, 0.1],   # beside the box
                    [0.0, -0.05, 0.5]])  # inside the box
    np.testing.assert_array_equal(occluded_mask(cam, pts, [box]), [True, False, False, False, True])
    assert counter_boxes(None) == []


def test_invent_mode_reports_confident_wrong_legs(scn):
    cam = VirtualCamera.from_spec(scn.camera)
    f = synthesize(scn, times_s=[0.0], hidden_mode="invent", noise_px=0.0)[0]
    clerk = f.by_role("clerk")[0]
    assert (clerk.visibility[ANKLES] >= 0.6).all()  # looks confident …
    true_px = cam.project(_truth_joints(scn, "clerk", 0.0))
    assert (np.linalg.norm(clerk.image_xy_px[ANKLES] - true_px[ANKLES], axis=1) > 10).all()  # … but is wrong
    # invented legs hang straight down from the hips as if standing
    w = clerk.world_xyz_m @ cam.R  # back to world axes (relative to the hip centre)
    assert (w[ANKLES, 2] < -0.7).all()


def test_dropout_lowers_visibility_and_scatters(scn):
    cam = VirtualCamera.from_spec(scn.camera)
    frames = synthesize(scn, times_s=np.linspace(5, 9, 30), dropout=0.2, occluders=[], noise_px=0.0, seed=5)
    low = np.concatenate([f.persons[1].visibility < 0.35 for f in frames])
    assert 0.12 < low.mean() < 0.28
    f = frames[0]
    p = f.persons[1]
    err = np.linalg.norm(p.image_xy_px - cam.project(_truth_joints(scn, "customer1", f.timestamp_s)), axis=1)
    assert np.all(err[p.visibility > 0.5] < 1e-6)
    assert np.median(err[p.visibility < 0.35]) > 5.0


def test_points_outside_the_image_have_low_presence(scn):
    narrow = VirtualCamera.look_at([0.0, 3.0, 1.0], [0.0, 0.0, 1.4], 30, 640, 480)
    f = synthesize(scn, camera=narrow, times_s=[6.0], occluders=[], noise_px=0.0)[0]
    clerk = f.by_role("clerk")[0]
    inside = narrow.in_image(clerk.image_xy_px)
    assert (~inside).any() and inside.sum() >= 8
    assert (clerk.presence[~inside] < 0.3).all() and (clerk.presence[inside] > 0.9).all()


def test_people_out_of_view_are_not_reported(scn):
    away = VirtualCamera.look_at([0.0, 3.0, 1.5], [0.0, 10.0, 1.5], 60, 640, 480)  # looking away
    assert synthesize(scn, camera=away, times_s=[6.0])[0].persons == []


def test_determinism_with_a_seed(scn):
    kw = dict(times_s=[1.0, 4.0, 7.0], dropout=0.1, noise_px=1.5, noise_world_m=0.01, hidden_mode="invent")
    a, b, c = synthesize(scn, seed=7, **kw), synthesize(scn, seed=7, **kw), synthesize(scn, seed=8, **kw)
    for fa, fb, fc in zip(a, b, c):
        for pa, pb, pc in zip(fa.persons, fb.persons, fc.persons):
            for name in ("image_xy_px", "world_xyz_m", "image_z", "visibility", "presence"):
                np.testing.assert_array_equal(getattr(pa, name), getattr(pb, name))
            assert not np.array_equal(pa.image_xy_px, pc.image_xy_px)


def test_bad_options_are_rejected(scn):
    with pytest.raises(ValueError, match="hidden_mode"):
        synthesize(scn, hidden_mode="guess")
    with pytest.raises(ValueError, match="dropout"):
        synthesize(scn, dropout=1.5)


def test_shipped_scenario_synthesizes_quickly():
    s = load_scenario(SCENARIOS / "reception_min.yaml")
    frames = synthesize(s, times_s=s.times()[::10])
    assert all(f.by_role("clerk") for f in frames)
