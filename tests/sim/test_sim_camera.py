"""Virtual camera geometry against OpenCV."""

from __future__ import annotations

import math

import cv2
import numpy as np
import pytest

import sim_fixtures  # noqa: F401  (puts src/ on the path)

from etiquette_cv.sim.camera import VirtualCamera


@pytest.mark.parametrize("roll", [0.0, 7.0])
def test_project_matches_cv2(roll):
    cam = VirtualCamera.look_at([1.2, 5.5, 2.5], [0.0, 0.0, 0.9], 70, 1280, 720, roll_deg=roll)
    rng = np.random.default_rng(0)
    pts = rng.uniform([-2, -1.5, 0], [2, 3, 2], (50, 3))
    rvec, _ = cv2.Rodrigues(cam.R)
    ref, _ = cv2.projectPoints(pts, rvec, cam.t, cam.K, np.zeros(5))
    np.testing.assert_allclose(cam.project(pts), ref.reshape(-1, 2), atol=1e-6)


def test_axes_and_intrinsics():
    cam = VirtualCamera.look_at([0.0, 5.0, 2.0], [0.0, 0.0, 1.0], 90, 1000, 500)
    np.testing.assert_allclose(cam.project(np.array([0.0, 0.0, 1.0])), [500.0, 250.0], atol=1e-9)
    assert cam.focal_px == pytest.approx(500.0)
    # the camera looks along −y: world −x (the viewer's right) is image right; higher points are image up
    right, up = cam.project(np.array([[-1.0, 0.0, 1.0], [0.0, 0.0, 2.0]]))
    assert right[0] > 500 and up[1] < 250
    c = cam.world_to_camera(np.array([0.0, 0.0, 1.0]))
    assert c[2] == pytest.approx(math.hypot(5.0, 1.0)) and abs(c[0]) < 1e-12
    np.testing.assert_allclose(cam.position_m, [0.0, 5.0, 2.0], atol=1e-12)
    np.testing.assert_allclose(cam.camera_to_world(cam.world_to_camera(np.eye(3))), np.eye(3), atol=1e-12)


def test_gravity_height_pitch_roll():
    cam = VirtualCamera.look_at([0.0, 5.0, 2.0], [0.0, 0.0, 1.0], 70, 1280, 720)
    assert cam.height_m == pytest.approx(2.0)
    assert cam.pitch_deg == pytest.approx(math.degrees(math.atan2(1.0, 5.0)))
    g = cam.gravity_cam
    assert np.linalg.norm(g) == pytest.approx(1.0)
    assert g[0] == pytest.approx(0.0, abs=1e-12) and g[1] > 0.9 and g[2] > 0  # down and slightly forward
    assert cam.roll_deg == pytest.approx(0.0, abs=1e-9)
    rolled = VirtualCamera.look_at([0.0, 5.0, 2.0], [0.0, 0.0, 1.0], 70, 1280, 720, roll_deg=10.0)
    assert rolled.roll_deg == pytest.approx(10.0)
    assert rolled.pitch_deg == pytest.approx(cam.pitch_deg)


def test_behind_camera_is_nan_and_rays_round_trip():
    cam = VirtualCamera.look_at([0.0, 5.0, 2.0], [0.0, 0.0, 1.0], 70, 1280, 720)
    assert np.isnan(cam.project(np.array([0.0, 8.0, 2.0]))).all()
    assert not cam.in_image(cam.project(np.array([0.0, 8.0, 2.0])))
    p = np.array([0.4, 0.2, 1.3])
    ray = cam.ray_world(cam.project(p))
    d = (p - cam.position_m) / np.linalg.norm(p - cam.position_m)
    np.testing.assert_allclose(ray, d, atol=1e-9)


def test_straight_down_camera_is_defined():
    cam = VirtualCamera.look_at([0.0, 0.0, 3.0], [0.0, 0.0, 0.0], 60, 640, 480)
    assert np.isfinite(cam.R).all()
    np.testing.assert_allclose(cam.R @ cam.R.T, np.eye(3), atol=1e-12)
    assert cam.pitch_deg == pytest.approx(90.0)
