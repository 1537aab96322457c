"""Floor positions, distances to the counter and clerk heights from landmark pixels, on synthetic scenes."""

from __future__ import annotations

import math

import numpy as np
import pytest

from etiquette_cv.sim.camera import VirtualCamera
from etiquette_cv.geometry.calibration import CalibrationError, GeometrySettings, calibration_from_dict
from etiquette_cv.geometry.camera import CameraModel
from etiquette_cv.geometry.floor import (ClerkHeights, FloorPosition, camera_on_clerk_side, clerk_heights,
                                         counter_skyline_px, distance_to_counter_m, person_floor_position,
                                         standing_may_leave_view, station_out_of_view)
from etiquette_cv.geometry.polyline import distance_to_polyline_m, offset_polyline_m, polyline_side
from etiquette_cv.core import NUM_LANDMARKS, Landmark, PersonPose

W, H = 1280, 720
CAMERAS = [(2.5, 15.0, -90.0), (3.0, 40.0, -70.0), (3.0, 10.0, -120.0), (2.5, 25.0, -45.0), (2.2, 30.0, -100.0)]
COUNTER = np.array([[-1.0, 0.0], [1.0, 0.0]])
STATION = np.array([0.0, -0.75])
SETTINGS = GeometrySettings()
L = Landmark


def truth_camera(height_m: float, pitch_deg: float, yaw_deg: float, hfov_deg: float = 70.0) -> CameraModel:
    """A level camera at the given height and pitch, its view heading ``yaw_deg``, aimed at (0, 0.5, 1.0)."""
    cam = VirtualCamera.aimed(height_m, pitch_deg, yaw_deg, np.array([0.0, 0.5, 1.0]), hfov_deg, W, H)
    return CameraModel.from_pose(cam.K, cam.R, cam.t, W, H)


def body_points(x: float, y: float, facing_deg: float, stature_m: float = 1.70, sitting: bool = False) -> np.ndarray:
    """(33, 3) world positions of the landmarks of an upright person whose feet centre is at (x, y)."""
    s = stature_m / 1.70
    f = np.array([math.cos(math.radians(facing_deg)), math.sin(math.radians(facing_deg)), 0.0])
    left = np.array([-f[1], f[0], 0.0])
    up = np.array([0.0, 0.0, 1.0])
    base = np.array([x, y, 0.0])
    drop = (0.53 * stature_m - 0.55) if sitting else 0.0     # a seated pelvis rests at about 0.55 m
    # name: (height above the floor m, sideways to the person's left m, forward m); upper body scales with stature
    layout = {
        L.NOSE: (1.58, 0.0, 0.10), L.LEFT_EYE_INNER: (1.605, 0.015, 0.085), L.LEFT_EYE: (1.605, 0.03, 0.08),
        L.LEFT_EYE_OUTER: (1.605, 0.045, 0.075), L.RIGHT_EYE_INNER: (1.605, -0.015, 0.085),
        L.RIGHT_EYE: (1.605, -0.03, 0.08), L.RIGHT_EYE_OUTER: (1.605, -0.045, 0.075), L.LEFT_EAR: (1.59, 0.075, 0.0),
        L.RIGHT_EAR: (1.59, -0.075, 0.0), L.MOUTH_LEFT: (1.54, 0.025, 0.09), L.MOUTH_RIGHT: (1.54, -0.025, 0.09),
        L.LEFT_SHOULDER: (1.40, 0.19, 0.0), L.RIGHT_SHOULDER: (1.40, -0.19, 0.0), L.LEFT_ELBOW: (1.08, 0.22, 0.0),
        L.RIGHT_ELBOW: (1.08, -0.22, 0.0), L.LEFT_WRIST: (0.82, 0.22, 0.03), L.RIGHT_WRIST: (0.82, -0.22, 0.03),
        L.LEFT_PINKY: (0.75, 0.23, 0.03), L.RIGHT_PINKY: (0.75, -0.23, 0.03), L.LEFT_INDEX: (0.74, 0.22, 0.05),
        L.RIGHT_INDEX: (0.74, -0.22, 0.05), L.LEFT_THUMB: (0.77, 0.21, 0.06), L.RIGHT_THUMB: (0.77, -0.21, 0.06),
        L.LEFT_HIP: (0.90, 0.10, 0.0), L.RIGHT_HIP: (0.90, -0.10, 0.0),
    }
    pts = np.zeros((NUM_LANDMARKS, 3))
    for lm, (z, side, fwd) in layout.items():
        pts[lm] = base + (z * s - drop) * up + side * s * left + fwd * s * f
    legs = {L.LEFT_KNEE: (0.48, 0.10, 0.02), L.RIGHT_KNEE: (0.48, -0.10, 0.02),
            L.LEFT_ANKLE: (SETTINGS.ankle_height_m, 0.10, 0.0), L.RIGHT_ANKLE: (SETTINGS.ankle_height_m, -0.10, 0.0),
            L.LEFT_HEEL: (SETTINGS.heel_height_m, 0.10, -0.05), L.RIGHT_HEEL: (SETTINGS.heel_height_m, -0.10, -0.05),
            L.LEFT_FOOT_INDEX: (0.02, 0.11, 0.15), L.RIGHT_FOOT_INDEX: (0.02, -0.11, 0.15)}
    for lm, (z, side, fwd) in legs.items():
        pts[lm] = base + z * up + side * left + fwd * f
    if sitting:
        for lm in (L.LEFT_KNEE, L.RIGHT_KNEE):
            pts[lm, 2] = 0.50
    return pts


def make_pose(cam: CameraModel, pts: np.ndarray, hidden=(), noise_px: float = 0.0, rng=None,
              role: str = "customer") -> PersonPose:
    px = cam.project(pts)
    if noise_px:
        px = px + rng.normal(0.0, noise_px, px.shape)
    vis = np.ones(NUM_LANDMARKS)
    vis[list(hidden)] = 0.1
    return PersonPose(track_id=1, role=role, image_xy_px=px, image_z=np.zeros(NUM_LANDMARKS),
                      world_xyz_m=np.zeros((NUM_LANDMARKS, 3)), visibility=vis, presence=np.ones(NUM_LANDMARKS))


def in_view(cam: CameraModel, pts: np.ndarray, idx=(L.LEFT_ANKLE, L.RIGHT_ANKLE, L.LEFT_SHOULDER, L.NOSE)) -> bool:
    px = cam.project(pts[list(idx)])
    return bool(np.all(np.isfinite(px)) and np.all((px >= 5) & (px <= [W - 5, H - 5])))


FEET = (L.LEFT_ANKLE, L.RIGHT_ANKLE, L.LEFT_HEEL, L.RIGHT_HEEL, L.LEFT_FOOT_INDEX, L.RIGHT_FOOT_INDEX)


# ---------------------------------------------------------------------------------------------------------------
# polylines
# ---------------------------------------------------------------------------------------------------------------


def test_distance_to_a_straight_counter():
    pts = np.array([[0.0, 2.0], [0.5, -0.4], [3.0, 0.0], [2.0, 1.0], [-1.0, 0.0]])
    d = distance_to_polyline_m(pts, COUNTER)
    np.testing.assert_allclose(d, [2.0, -0.4, 2.0, math.sqrt(2.0), 0.0], atol=1e-12)
    np.testing.assert_allclose(distance_to_polyline_m(pts, COUNTER, customer_side=-1)[:2], [-2.0, 0.4])
    assert distance_to_polyline_m(np.array([0.2, 1.3]), COUNTER).shape == ()
    assert distance_to_polyline_m(np.zeros((4, 5, 2)), COUNTER).shape == (4, 5)


def test_distance_to_an_l_shaped_counter():
    poly = np.array([[-1.0, 0.0], [1.0, 0.0], [1.0, 2.0]])       # customers on the left: y > 0 and x < 1
    assert float(distance_to_polyline_m([0.5, 0.5], poly)) == pytest.approx(0.5)
    assert float(distance_to_polyline_m([0.2, 1.5], poly)) == pytest.approx(0.8)
    assert float(distance_to_polyline_m([1.5, -0.5], poly)) == pytest.approx(-math.sqrt(0.5))   # outer corner
    assert float(distance_to_polyline_m([1.3, 1.0], poly)) == pytest.approx(-0.3)
    assert polyline_side([0.0, 1.0], poly) == 1 and polyline_side([2.0, 1.0], poly) == -1
    assert polyline_side([1.0, 1.0], poly) == 0


@pytest.mark.parametrize("poly,side", [(COUNTER, 1), (COUNTER, -1), (np.array([[-1, 0], [1, 0], [1.5, 1.5]]), 1),
                                       (np.array([[-1, 0], [1, 0], [1.5, 1.5]]), -1)])
def test_offset_polyline_is_the_iso_distance_line(poly, side):
    line = offset_polyline_m(poly, 2.0, side)
    d = distance_to_polyline_m(line, poly, side)
    np.testing.assert_allclose(d, 2.0, atol=1e-6)
    assert len(line) > 50
    steps = np.linalg.norm(np.diff(line, axis=0), axis=1)
    assert steps.max() < 0.25                                          # a continuous line


# ---------------------------------------------------------------------------------------------------------------
# camera rays
# ---------------------------------------------------------------------------------------------------------------


def test_rays_vertical_lines_and_planes():
    cam = truth_camera(2.5, 20.0, -80.0)
    pts = np.array([[0.1, -0.75, 1.2], [0.4, 2.0, 1.6], [-0.6, 1.0, 0.3]])
    px = cam.project(pts)
    origin, d = cam.pixel_ray(px)
    np.testing.assert_allclose(origin, cam.position_m)
    np.testing.assert_allclose(np.linalg.norm(d, axis=1), 1.0)
    np.testing.assert_allclose(cam.height_on_vertical_line(px, pts[:, :2]), pts[:, 2], atol=1e-9)
    assert cam.height_on_vertical_line(px[0], pts[0, :2]) == pytest.approx(1.2, abs=1e-9)
    np.testing.assert_allclose(cam.point_on_vertical_plane(px[1], [0.0, 2.0], [0.0, 1.0]), pts[1], atol=1e-9)
    np.testing.assert_allclose(cam.pixel_to_plane_z(px, pts[:, 2]), pts[:, :2], atol=1e-9)
    behind = cam.position_m + (cam.position_m - [0.0, 0.5, 1.0])
    assert np.all(np.isnan(cam.project(behind)))
    sky = np.array([W / 2, 0.0])                                        # above the horizon at 20° pitch? no: check
    ray_dir = cam.pixel_ray(sky)[1]
    if ray_dir[2] >= 0:
        assert np.all(np.isnan(cam.pixel_to_floor(sky)))


# ---------------------------------------------------------------------------------------------------------------
# floor position of a person
# ---------------------------------------------------------------------------------------------------------------


def _customers(cam: CameraModel, stature_m: float = 1.70):
    for x in (-0.8, 0.0, 0.7):
        for y in (0.6, 1.2, 2.0, 2.8, 3.5):
            pts = body_points(x, y, -90.0, stature_m)
            if in_view(cam, pts):
                yield np.array([x, y]), pts


@pytest.mark.parametrize("camera", CAMERAS)
def test_noise_free_floor_position_from_the_ankles(camera):
    cam = truth_camera(*camera)
    n = 0
    for xy, pts in _customers(cam):
        pos = person_floor_position(make_pose(cam, pts), cam)
        assert isinstance(pos, FloorPosition) and pos.method == "ankles"
        assert pos.confidence == pytest.approx(1.0)
        np.testing.assert_allclose(pos.xy_m, xy, atol=1e-9)
        assert distance_to_counter_m(make_pose(cam, pts), cam, _counter()) == pytest.approx(xy[1], abs=1e-9)
        n += 1
    assert n >= 3


def _counter():
    from etiquette_cv.geometry.calibration import Counter
    return Counter(COUNTER, 1.1, 1)


def test_fallbacks_when_feet_are_hidden():
    cam = truth_camera(2.5, 15.0, -90.0)
    xy, pts = np.array([0.3, 2.0]), body_points(0.3, 2.0, -90.0)
    pos = person_floor_position(make_pose(cam, pts, hidden=(L.LEFT_ANKLE, L.RIGHT_ANKLE)), cam)
    assert pos.method == "heels" and pos.confidence == pytest.approx(SETTINGS.heels_confidence)
    assert np.linalg.norm(pos.xy_m - xy) < 0.06                       # the heels are 5 cm behind the ankles
    pos = person_floor_position(make_pose(cam, pts, hidden=(L.LEFT_ANKLE, L.RIGHT_HEEL)), cam)
    assert pos.method == "ankle_heel" and np.linalg.norm(pos.xy_m - xy) < 0.06
    pos = person_floor_position(make_pose(cam, pts, hidden=(L.RIGHT_ANKLE, L.RIGHT_HEEL)), cam)
    assert pos.method == "one_foot" and pos.confidence == pytest.approx(SETTINGS.one_foot_confidence)
    assert np.linalg.norm(pos.xy_m - xy) == pytest.approx(0.10, abs=1e-6)
    pos = person_floor_position(make_pose(cam, pts, hidden=FEET), cam)
    assert pos.method == "hips_fallback" and pos.confidence == pytest.approx(SETTINGS.hips_fallback_confidence)
    assert np.linalg.norm(pos.xy_m - xy) < 0.08                       # hips at 0.90 m as assumed
    tall = body_points(0.3, 2.0, -90.0, stature_m=1.90)
    pos = person_floor_position(make_pose(cam, tall, hidden=FEET), cam)
    assert 0.05 < np.linalg.norm(pos.xy_m - xy) < 0.3                 # a tall person: biased, but bounded
    # ... unless the hip height measured while the feet were seen is passed back
    seen = person_floor_position(make_pose(cam, tall), cam)
    assert seen.hip_height_m == pytest.approx(tall[L.LEFT_HIP, 2], abs=1e-6)
    pos = person_floor_position(make_pose(cam, tall, hidden=FEET), cam, hip_height_m=seen.hip_height_m)
    assert np.linalg.norm(pos.xy_m - xy) < 1e-6
    assert person_floor_position(make_pose(cam, pts, hidden=FEET + (L.LEFT_HIP, L.RIGHT_HIP)), cam) is None


def test_feet_outside_the_image_are_not_used():
    cam = truth_camera(2.5, 15.0, -90.0)
    for y in np.arange(0.0, 4.0, 0.05):                               # find a spot whose feet are below the frame
        pts = body_points(0.0, float(y), -90.0)
        px = cam.project(pts)
        if px[L.LEFT_ANKLE, 1] > H and 0 < px[L.LEFT_HIP, 1] < H:
            break
    else:
        pytest.skip("no spot with the feet below the frame")
    pos = person_floor_position(make_pose(cam, pts), cam)
    assert pos is not None and pos.method == "hips_fallback"


def test_visibility_threshold_override():
    cam = truth_camera(2.5, 15.0, -90.0)
    pose = make_pose(cam, body_points(0.0, 2.0, -90.0))
    pose.visibility[[L.LEFT_ANKLE, L.RIGHT_ANKLE]] = 0.6
    assert person_floor_position(pose, cam).method == "ankles"
    assert person_floor_position(pose, cam, visibility_threshold=0.7).method == "heels"
    assert person_floor_position(pose, cam).confidence == pytest.approx(0.6)


@pytest.mark.parametrize("noise_px,median_m,p95_m", [(1.0, 0.03, 0.10), (2.0, 0.06, 0.20)])
def test_distance_to_counter_with_landmark_noise(noise_px, median_m, p95_m):
    rng = np.random.default_rng(7)
    errors = []
    for camera in CAMERAS:
        cam = truth_camera(*camera)
        for x in (-0.6, 0.0, 0.6):
            pts = body_points(x, 2.0, -90.0)
            if not in_view(cam, pts):
                continue
            for _ in range(40):
                d = distance_to_counter_m(make_pose(cam, pts, noise_px=noise_px, rng=rng), cam, _counter())
                errors.append(abs(d - 2.0))
    assert len(errors) >= 200
    assert np.median(errors) < median_m
    assert np.percentile(errors, 95) < p95_m


# ---------------------------------------------------------------------------------------------------------------
# clerk heights
# ---------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("camera", CAMERAS)
@pytest.mark.parametrize("sitting", [False, True])
def test_noise_free_clerk_heights(camera, sitting):
    cam = truth_camera(*camera)
    pts = body_points(*STATION, 90.0, stature_m=1.68, sitting=sitting)
    heights = clerk_heights(make_pose(cam, pts, role="clerk"), cam, STATION)
    assert isinstance(heights, ClerkHeights)
    shoulder_true = pts[[L.LEFT_SHOULDER, L.RIGHT_SHOULDER], 2].mean()
    ear_true = pts[[L.LEFT_EAR, L.RIGHT_EAR], 2].mean()
    # the midpoint of two projected shoulders is not exactly the projection of their midpoint: < 5 mm here
    assert heights.shoulder_height_m == pytest.approx(shoulder_true, abs=0.005)
    assert heights.head_height_m == pytest.approx(ear_true, abs=0.005) and heights.head_landmark == "ears"
    assert heights.hip_height_m == pytest.approx(pts[L.LEFT_HIP, 2], abs=0.005)


def test_clerk_heights_missing_parts():
    cam = truth_camera(2.5, 15.0, -90.0)
    pts = body_points(*STATION, 90.0, stature_m=1.68)
    pose = make_pose(cam, pts, hidden=(L.LEFT_SHOULDER, L.RIGHT_SHOULDER, L.LEFT_EAR, L.RIGHT_EAR, L.LEFT_HIP,
                                       L.RIGHT_HIP))
    h = clerk_heights(pose, cam, STATION)
    assert h.shoulder_height_m is None and h.hip_height_m is None
    assert h.head_landmark == "nose"
    # the nose is 10 cm in front of the station line: a small, bounded error
    assert h.head_height_m == pytest.approx(pts[L.NOSE, 2], abs=0.05)
    pose = make_pose(cam, pts, hidden=(L.NOSE, L.LEFT_EAR, L.RIGHT_EAR))
    assert clerk_heights(pose, cam, STATION).head_height_m is None


@pytest.mark.parametrize("noise_px,p95_m", [(1.0, 0.03), (2.0, 0.06)])
def test_clerk_shoulder_height_with_landmark_noise(noise_px, p95_m):
    rng = np.random.default_rng(11)
    errors = []
    for camera in CAMERAS:
        cam = truth_camera(*camera)
        for sitting in (False, True):
            pts = body_points(*STATION, 90.0, stature_m=1.68, sitting=sitting)
            truth = pts[[L.LEFT_SHOULDER, L.RIGHT_SHOULDER], 2].mean()
            for _ in range(40):
                h = clerk_heights(make_pose(cam, pts, noise_px=noise_px, rng=rng, role="clerk"), cam, STATION)
                errors.append(abs(h.shoulder_height_m - truth))
    assert np.percentile(errors, 95) < p95_m
    # sitting vs standing differ by ~0.35 m: far above the noise
    assert np.max(errors) < 0.15


def test_the_counter_hides_a_clerk_only_from_a_camera_on_the_customers_side():
    """The counter's top edge hides what is below it in the image only when the counter stands between the camera
    and the clerk: over the clerk's shoulder (camera on the clerks' side) nothing of the clerk is hidden by it."""
    clerk_side = polyline_side(STATION, COUNTER)
    front = truth_camera(2.5, 15.0, -90.0)                  # on the customers' side, looking at the clerk
    behind = truth_camera(2.5, 25.0, 90.0)                  # behind the clerk, looking at the customers
    assert not camera_on_clerk_side(front, COUNTER, clerk_side) and camera_on_clerk_side(behind, COUNTER, clerk_side)
    assert len(counter_skyline_px(front, COUNTER, 0.76, clerk_side=clerk_side)) > 2
    assert counter_skyline_px(behind, COUNTER, 0.76, clerk_side=clerk_side).shape == (0, 2)
    assert len(counter_skyline_px(behind, COUNTER, 0.76)) > 2          # without the side: the old line


def test_a_station_is_out_of_view_when_its_clerks_shoulders_project_outside_the_image():
    behind = truth_camera(2.5, 25.0, 90.0)
    assert station_out_of_view(behind, STATION, (1.0, 1.4)) is None
    why = station_out_of_view(behind, np.array([3.0, -0.75]), (1.0, 1.4))      # 57° off the axis of a 70° view
    assert why is not None and "outside the camera's 1280×720 view" in why and "1.4 m high" in why
    front = truth_camera(2.5, 15.0, -90.0)
    assert station_out_of_view(front, STATION, (1.0, 1.4)) is None


def test_a_standing_clerk_may_leave_the_view_only_near_its_edge():
    """Standing shoulders anywhere within the reach of the station's floor point: all in the image -> None; a
    station near the edge of the view, whose seat is still seen -> the reason, with the pixel position."""
    front = truth_camera(2.5, 15.0, -90.0)
    assert standing_may_leave_view(front, STATION, 1.4, 0.6) is None
    near_edge = next(np.array([x, -0.75]) for x in np.arange(0.0, 6.0, 0.05)
                     if standing_may_leave_view(front, np.array([x, -0.75]), 1.4, 0.6))
    assert station_out_of_view(front, near_edge, (1.0, 1.4)) is None     # its clerk is still in view at the seat
    why = standing_may_leave_view(front, near_edge, 1.4, 0.6)
    assert "can leave the camera's 1280×720 view" in why and "1.4 m high at (" in why
    assert standing_may_leave_view(front, near_edge, 1.4, 0.3) is None   # a smaller reach stays inside
