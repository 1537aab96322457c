"""Calibration file validation and camera solving, on synthetic cameras with known truth."""

from __future__ import annotations

import copy
import math
from pathlib import Path

import cv2
import numpy as np
import pytest
import typer
import yaml
from typer.testing import CliRunner

from etiquette_cv.geometry.calibration import (DEFAULT_MAX_REPROJECTION_ERROR_PX, CalibrationError,
                                               calibration_from_dict, load_calibration)
from etiquette_cv.geometry.camera import CameraModel
from etiquette_cv.geometry.solver import solve_camera
from etiquette_cv.cli.calibrate import calibrate

W, H = 1280, 720
REPO = Path(__file__).resolve().parents[2]

# (height m, pitch deg down, yaw deg of the view direction from +x toward +y); customers are at y > 0
CAMERAS = [(2.5, 15.0, -90.0), (3.0, 40.0, -70.0), (3.0, 10.0, -120.0), (2.5, 25.0, -45.0), (2.2, 30.0, -100.0)]


# ---------------------------------------------------------------------------------------------------------------
# synthetic scene
# ---------------------------------------------------------------------------------------------------------------


def look_at(position: np.ndarray, target) -> tuple[np.ndarray, np.ndarray]:
    """World→camera R, t of a level (roll-free) camera at ``position`` looking at ``target``."""
    f = np.asarray(target, float) - position
    f /= np.linalg.norm(f)
    x = np.cross(f, [0.0, 0.0, 1.0])
    x /= np.linalg.norm(x)
    R = np.vstack([x, np.cross(f, x), f])
    return R, -R @ position


def camera_position(height_m: float, pitch_deg: float, yaw_deg: float, target=(0.0, 0.5, 1.0)) -> np.ndarray:
    T = np.asarray(target, float)
    back = (height_m - T[2]) / math.tan(math.radians(pitch_deg))
    yaw = math.radians(yaw_deg)
    return np.array([T[0] - back * math.cos(yaw), T[1] - back * math.sin(yaw), height_m])


def k_from_hfov(hfov_deg: float) -> np.ndarray:
    f = W / (2.0 * math.tan(math.radians(hfov_deg) / 2.0))
    return np.array([[f, 0.0, W / 2.0], [0.0, f, H / 2.0], [0.0, 0.0, 1.0]])


def truth_camera(height_m, pitch_deg, yaw_deg, K=None, dist=None, roll_deg: float = 0.0) -> CameraModel:
    target = (0.0, 0.5, 1.0)
    pos = camera_position(height_m, pitch_deg, yaw_deg, target)
    R, _ = look_at(pos, target)
    if roll_deg:
        c, s = math.cos(math.radians(roll_deg)), math.sin(math.radians(roll_deg))
        R = np.array([[c, -s, 0], [s, c, 0], [0, 0, 1.0]]) @ R
    t = -R @ pos
    return CameraModel.from_pose(k_from_hfov(70.0) if K is None else K, R, t, W, H, dist=dist)


def spread_subset(points: np.ndarray, n: int) -> np.ndarray:
    """Indices of ``n`` well spread points (farthest-point sampling, deterministic)."""
    chosen = [int(np.argmin(points[:, 1]))]
    d = np.linalg.norm(points - points[chosen[0]], axis=1)
    while len(chosen) < min(n, len(points)):
        k = int(np.argmax(d))
        chosen.append(k)
        d = np.minimum(d, np.linalg.norm(points - points[k], axis=1))
    return np.array(chosen)


def floor_marks(cam: CameraModel, n: int = 8, margin_px: float = 30.0) -> tuple[np.ndarray, np.ndarray]:
    """Floor marks on a 0.5 m grid on the customer side that the camera sees: (floor_m (n, 2), pixels (n, 2))."""
    grid = np.array([[x, y] for x in np.arange(-2.5, 2.51, 0.5) for y in np.arange(0.25, 5.3, 0.5)])
    px = cam.project(np.column_stack([grid, np.zeros(len(grid))]))
    ok = (np.all(np.isfinite(px), axis=1) & (px[:, 0] > margin_px) & (px[:, 0] < W - margin_px)
          & (px[:, 1] > margin_px) & (px[:, 1] < H - margin_px))
    grid, px = grid[ok], px[ok]
    idx = spread_subset(grid, n)
    return grid[idx], px[idx]


ZONES = {
    "clerk": {"floor_m": [[-1.2, -1.4], [1.2, -1.4], [1.2, -0.1], [-1.2, -0.1]]},
    "customer_approach": {"floor_m": [[-2.0, 0.1], [2.0, 0.1], [2.0, 3.5], [-2.0, 3.5]]},
}


def make_dict(cam: CameraModel, n: int = 8, noise_px: float = 0.0, rng=None, hfov_deg: float | None = 70.0,
              intrinsics: dict | None = None) -> dict:
    floor, px = floor_marks(cam, n)
    if noise_px:
        px = np.clip(px + rng.normal(0.0, noise_px, px.shape), 0, [W, H])
    d = {
        "version": 1,
        "name": "synthetic",
        "image_size": [W, H],
        "floor_points": [{"pixel": p.tolist(), "floor_m": f.tolist()} for p, f in zip(px, floor)],
        "counter": {"edge_m": [[-1.0, 0.0], [1.0, 0.0]], "height_m": 1.1, "customer_side": 1},
        "clerk_stations": [{"name": "A", "floor_m": [0.0, -0.75]}],
        "zones": copy.deepcopy(ZONES),
    }
    if intrinsics is not None:
        d["intrinsics"] = intrinsics
    else:
        d["hfov_deg"] = hfov_deg
    return d


def good_dict() -> dict:
    return make_dict(truth_camera(*CAMERAS[0]))


# ---------------------------------------------------------------------------------------------------------------
# solving
# ---------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("height_m,pitch_deg,yaw_deg", CAMERAS)
def test_noise_free_solve_recovers_the_camera(height_m, pitch_deg, yaw_deg):
    truth = truth_camera(height_m, pitch_deg, yaw_deg)
    cam = solve_camera(calibration_from_dict(make_dict(truth), "synthetic.yaml"))
    assert cam.height_m == pytest.approx(height_m, abs=1e-6)
    assert cam.pitch_deg == pytest.approx(pitch_deg, abs=1e-6)
    assert cam.roll_deg == pytest.approx(0.0, abs=1e-6)
    assert cam.yaw_deg == pytest.approx(yaw_deg, abs=1e-6)
    np.testing.assert_allclose(cam.position_m, truth.position_m, atol=1e-6)
    np.testing.assert_allclose(cam.gravity_cam, truth.R @ [0, 0, -1.0], atol=1e-9)
    assert np.linalg.norm(cam.gravity_cam) == pytest.approx(1.0)
    assert np.max(cam.reprojection_errors_px) < 1e-6
    assert np.max(cam.floor_errors_cm) < 1e-6
    assert np.nanmax(cam.leave_one_out_errors_px) < 1e-6
    # floor points back from pixels, by the pose and by the homography
    floor = np.array([[0.3, 1.7], [-0.8, 2.4], [1.1, 0.9]])
    px = truth.project(np.column_stack([floor, np.zeros(3)]))
    np.testing.assert_allclose(cam.pixel_to_floor(px), floor, atol=1e-6)
    np.testing.assert_allclose(cam.floor_xy_from_homography(px), floor, atol=1e-4)


def test_explicit_intrinsics_with_distortion_and_roll():
    K = np.array([[980.0, 0.0, 655.0], [0.0, 975.0, 352.0], [0.0, 0.0, 1.0]])
    dist = np.array([-0.12, 0.03, 0.001, -0.0005, 0.0])
    truth = truth_camera(2.6, 22.0, -75.0, K=K, dist=dist, roll_deg=3.0)
    intr = {"fx": 980.0, "fy": 975.0, "cx": 655.0, "cy": 352.0, "distortion": dist.tolist()}
    cam = solve_camera(calibration_from_dict(make_dict(truth, intrinsics=intr), "distorted.yaml"))
    # (OpenCV's iterative undistortion limits the round trip to ~1e-5)
    assert cam.height_m == pytest.approx(2.6, abs=1e-4)
    assert cam.pitch_deg == pytest.approx(truth.pitch_deg, abs=1e-4)
    assert cam.roll_deg == pytest.approx(truth.roll_deg, abs=1e-4)
    assert abs(cam.roll_deg) == pytest.approx(3.0, abs=0.2)
    pts = np.array([[0.2, -0.75, 1.3], [-0.5, 2.0, 0.0]])
    np.testing.assert_allclose(cam.project(pts), truth.project(pts), atol=1e-3)
    px = truth.project(pts)
    assert cam.height_on_vertical_line(px[0], pts[0, :2]) == pytest.approx(1.3, abs=1e-4)
    np.testing.assert_allclose(cam.pixel_to_floor(px[1]), pts[1, :2], atol=1e-4)


@pytest.mark.parametrize("noise_px,max_height_err_m,max_pitch_err_deg", [(1.0, 0.06, 0.6), (2.0, 0.12, 1.2)])
def test_noisy_clicks_give_bounded_pose_errors(noise_px, max_height_err_m, max_pitch_err_deg):
    rng = np.random.default_rng(20261125)
    h_err, p_err = [], []
    for height_m, pitch_deg, yaw_deg in CAMERAS:
        truth = truth_camera(height_m, pitch_deg, yaw_deg)
        for _ in range(20):
            d = make_dict(truth, n=8, noise_px=noise_px, rng=rng)
            d["max_reprojection_error_px"] = 10.0
            d["max_floor_error_m"] = 1.0
            cam = solve_camera(calibration_from_dict(d, "noisy.yaml"))
            h_err.append(abs(cam.height_m - height_m))
            p_err.append(abs(cam.pitch_deg - pitch_deg))
    assert np.percentile(h_err, 95) < max_height_err_m
    assert np.percentile(p_err, 95) < max_pitch_err_deg


def test_a_wrong_point_is_refused_and_named():
    d = good_dict()
    d["floor_points"][3]["pixel"][0] += 25.0
    d["floor_points"][3]["name"] = "tape D"
    with pytest.raises(CalibrationError) as info:
        solve_camera(calibration_from_dict(d, "reception.yaml"))
    msg = str(info.value)
    assert msg.startswith("reception.yaml: floor_points[3] (tape D): looks wrong")
    assert "\n" not in msg
    # without the check the camera is still returned, with the error on that point
    cam = solve_camera(calibration_from_dict(d, "reception.yaml"), check=False)
    assert int(np.nanargmax(cam.leave_one_out_errors_px)) == 3
    assert cam.reprojection_errors_px.max() > DEFAULT_MAX_REPROJECTION_ERROR_PX


def test_a_wrong_floor_coordinate_is_named():
    d = good_dict()
    d["floor_points"][5]["floor_m"][1] += 0.5
    with pytest.raises(CalibrationError, match=r"floor_points\[5\]: looks wrong"):
        solve_camera(calibration_from_dict(d, "reception.yaml"))


def test_left_handed_floor_frame_is_refused():
    d = good_dict()
    for p in d["floor_points"]:
        p["floor_m"] = [p["floor_m"][1], p["floor_m"][0]]
    d["counter"]["customer_side"] = -1
    d["clerk_stations"][0]["floor_m"] = [-0.75, 0.0]
    d["counter"]["edge_m"] = [[0.0, -1.0], [0.0, 1.0]]
    d["zones"] = {"clerk": {"image_px": [[500, 100], [700, 100], [700, 300]]},
                  "customer_approach": {"image_px": [[0, 300], [1280, 300], [1280, 720]]}}
    with pytest.raises(CalibrationError, match="left-handed"):
        solve_camera(calibration_from_dict(d, "mirror.yaml"))


def _lens_case() -> tuple[CameraModel, dict]:
    truth = truth_camera(2.4, 20.0, -80.0, K=k_from_hfov(60.0))
    return truth, make_dict(truth, hfov_deg=70.0)                 # the user's guess of the lens is 10° off


def test_focal_length_is_refined_from_height_points():
    truth, d = _lens_case()
    corners = np.array([[-1.0, 0.0, 1.1], [1.0, 0.0, 1.1], [-1.0, -0.6, 1.1], [1.0, -0.6, 1.1]])
    d["height_points"] = [{"pixel": p.tolist(), "world_m": w.tolist(), "name": f"counter corner {i}"}
                          for i, (p, w) in enumerate(zip(truth.project(corners), corners))]
    cam = solve_camera(calibration_from_dict(d, "lens.yaml"))
    assert cam.focal_refined
    assert cam.hfov_deg == pytest.approx(60.0, abs=0.01)
    assert cam.height_m == pytest.approx(2.4, abs=1e-4)
    assert cam.pitch_deg == pytest.approx(20.0, abs=1e-3)
    # refine_focal: false keeps the (wrong) hfov, and the residuals then show it
    d["refine_focal"] = False
    with pytest.raises(CalibrationError, match="hfov_deg may be wrong"):
        solve_camera(calibration_from_dict(d, "lens.yaml"))


def test_focal_length_refined_from_floor_points_on_request():
    truth, d = _lens_case()
    with pytest.raises(CalibrationError, match="lens.yaml: floor_points.*hfov_deg may be wrong"):
        solve_camera(calibration_from_dict(d, "lens.yaml"))
    d["refine_focal"] = True
    cam = solve_camera(calibration_from_dict(d, "lens.yaml"))
    assert cam.focal_refined
    assert cam.hfov_deg == pytest.approx(60.0, abs=0.01)
    assert cam.height_m == pytest.approx(2.4, abs=1e-3)


def test_customer_side_given_as_a_point():
    d = good_dict()
    d["counter"]["customer_side"] = [0.0, 3.0]
    assert calibration_from_dict(d, "x.yaml").counter.customer_side == 1
    d["counter"]["edge_m"] = [[1.0, 0.0], [-1.0, 0.0]]
    assert calibration_from_dict(d, "x.yaml").counter.customer_side == -1


def test_yaml_file_round_trip_and_reference_frames(tmp_path):
    d = good_dict()
    cv2.imwrite(str(tmp_path / "empty.png"), np.zeros((H, W, 3), np.uint8))
    d["reference_frames"] = ["empty.png"]
    d["geometry"] = {"heel_height_m": 0.04, "assumed_hip_height_m": 0.95}
    path = tmp_path / "cam.yaml"
    path.write_text(yaml.safe_dump(d))
    cal = load_calibration(path)
    assert cal.reference_frames == (tmp_path / "empty.png",)
    assert cal.geometry.heel_height_m == 0.04 and cal.geometry.assumed_hip_height_m == 0.95
    assert cal.name == "synthetic"
    cam = solve_camera(cal)
    assert cam.geometry.assumed_hip_height_m == 0.95


# ---------------------------------------------------------------------------------------------------------------
# invalid files
# ---------------------------------------------------------------------------------------------------------------


def _set(path: str, value):
    def mutate(d):
        keys = path.split(".")
        node = d
        for k in keys[:-1]:
            node = node[int(k)] if isinstance(node, list) else node[k]
        last = keys[-1]
        if value is _DELETE:
            del node[last]
        elif isinstance(node, list):
            node[int(last)] = value
        else:
            node[last] = value
    return mutate


_DELETE = object()


def _rename(old: str, new: str):
    def mutate(d):
        d[new] = d.pop(old)
    return mutate


def _collinear(d):
    for i, p in enumerate(d["floor_points"]):
        p["floor_m"] = [0.5 * i - 1.0, 1.0 + 0.001 * i]


def _duplicate(d):
    d["floor_points"][4]["floor_m"] = list(d["floor_points"][1]["floor_m"])


BAD = [
    (_set("counter", _DELETE), "bad.yaml: counter: missing required key"),
    (_rename("floor_points", "flor_points"), "bad.yaml: flor_points: unknown key (did you mean 'floor_points'?)"),
    (_set("floor_points.3.pixel", "abc"), "bad.yaml: floor_points[3].pixel: expected [u, v] numbers, got 'abc'"),
    (_set("floor_points.2.pixel", [1300.0, 10.0]), "bad.yaml: floor_points[2].pixel: [1300, 10] lies outside"),
    (_set("floor_points.2.floor_m", [1, "x"]), "bad.yaml: floor_points[2].floor_m: expected [x, y] numbers"),
    (_set("floor_points.1.flor_m", 1), "bad.yaml: floor_points[1].flor_m: unknown key (did you mean 'floor_m'?)"),
    (_collinear, "bad.yaml: floor_points: the floor_m positions are (nearly) collinear"),
    (_duplicate, "bad.yaml: floor_points[4].floor_m: duplicate of floor_points[1]"),
    (lambda d: d.__setitem__("floor_points", d["floor_points"][:3]), "floor_points: expected at least 4 points, got 3"),
    (_set("counter.edge_m", [[0.0, 0.0]]), "bad.yaml: counter.edge_m: expected at least 2 points, got 1"),
    (_set("counter.edge_m", [[0.0, 0.0], [0.0, 0.0]]), "counter.edge_m[1]: repeats counter.edge_m[0]"),
    (_set("counter.height_m", "tall"), "bad.yaml: counter.height_m: expected a number, got 'tall'"),
    (_set("counter.customer_side", 0), "bad.yaml: counter.customer_side: expected +1, -1 or a floor point"),
    (_set("counter.customer_side", [0.5, 0.0]), "counter.customer_side: the point [0.5, 0] lies on the counter"),
    (_set("clerk_stations.0.floor_m", [0.0, 0.8]), "clerk_stations[0].floor_m: lies on the customer side"),
    (_set("clerk_stations", []), "bad.yaml: clerk_stations: expected a list of at least 1"),
    (_set("zones.clerk", _DELETE), "bad.yaml: zones.clerk: missing required key"),
    (_set("zones.wating", {"floor_m": [[0, 4], [1, 4], [1, 5]]}), "zones.wating: unknown key (did you mean 'waiting'?)"),
    (_set("zones.counter_top", {"image_px": [[100, 100], [1400, 100], [100, 300]]}),
     "bad.yaml: zones.counter_top.image_px[1]: [1400, 100] lies outside the 1280x720 image"),
    (_set("zones.counter_top", {"floor_m": [[0, 0], [1, 0], [1, 1]]}), "zones.counter_top.floor_m: unknown key"),
    (_set("zones.waiting", {"floor_m": [[0, 4], [1, 4]]}), "zones.waiting.floor_m: expected at least 3 points"),
    (_set("version", 2), "bad.yaml: version: expected 1, got 2"),
    (_set("hfov_deg", True), "bad.yaml: hfov_deg: expected a number, got True"),
    (_set("hfov_deg", _DELETE), "bad.yaml: hfov_deg: missing: give intrinsics"),
    (_set("intrinsics", {"fx": 900, "fy": 900, "cx": 640, "cy": 360}), "hfov_deg: give either intrinsics or hfov_deg"),
    (_set("image_size", [1280]), "bad.yaml: image_size: expected [w, h] numbers, got [1280]"),
    (_set("max_reprojection_error_px", -1), "bad.yaml: max_reprojection_error_px: expected a positive number"),
    (_set("geometry", {"ankle_hieght_m": 0.1}), "geometry.ankle_hieght_m: unknown key (did you mean 'ankle_height_m'?)"),
    (lambda d: d.update(refine_focal=True, floor_points=d["floor_points"][:5]), "refine_focal: true needs at least 6"),
    (_set("reference_frames", ["nowhere.png"]), "bad.yaml: reference_frames[0]: file not found"),
    (_set("privacy_masks", {"image_px": [[0, 0], [10, 0], [10, 10]]}), "bad.yaml: privacy_masks: expected a list"),
    (_set("privacy_masks", [{"image_px": [[0, 0], [1300, 0], [10, 10]]}]),
     "bad.yaml: privacy_masks[0].image_px[1]: [1300, 0] lies outside the 1280x720 image"),
    (_set("privacy_masks", [{"image_px": [[0, 0], [10, 0], [20, 0]]}]), "privacy_masks[0].image_px: the polygon has no area"),
    (_set("privacy_masks", [{"pixels": [[0, 0], [10, 0], [10, 10]]}]), "privacy_masks[0].pixels: unknown key"),
]


@pytest.mark.parametrize("mutate,expected", BAD, ids=[b[1][:60] for b in BAD])
def test_invalid_files_give_one_line_errors(mutate, expected):
    d = good_dict()
    mutate(d)
    with pytest.raises(CalibrationError) as info:
        calibration_from_dict(d, "bad.yaml")
    assert expected in str(info.value)
    assert "\n" not in str(info.value)


def test_zone_out_of_view_is_refused_on_solve():
    d = good_dict()
    d["zones"]["waiting"] = {"floor_m": [[-2.0, 30.0], [2.0, 30.0], [2.0, 35.0]]}      # behind the camera
    with pytest.raises(CalibrationError, match=r"bad.yaml: zones.waiting.floor_m: the zone lies outside"):
        solve_camera(calibration_from_dict(d, "bad.yaml"))


def test_a_zone_larger_than_the_view_is_in_view():
    d = good_dict()
    # no corner of this zone projects into the image, but its edges and its inside do
    d["zones"]["waiting"] = {"floor_m": [[-40.0, 0.5], [40.0, 0.5], [40.0, 60.0], [-40.0, 60.0]]}
    solve_camera(calibration_from_dict(d, "big.yaml"))
    d["zones"]["waiting"] = {"floor_m": [[-1.0, -0.3], [1.0, -0.3], [1.0, 9.0], [-1.0, 9.0]]}
    solve_camera(calibration_from_dict(d, "strip.yaml"))


@pytest.mark.parametrize("text,expected", [
    ("version: 1\nfloor_points: [\n", "broken.yaml: not valid YAML at line"),
    ("", "broken.yaml: the file is empty"),
    ("- 1\n- 2\n", "broken.yaml: expected a mapping"),
])
def test_unreadable_yaml(tmp_path, text, expected):
    path = tmp_path / "broken.yaml"
    path.write_text(text)
    with pytest.raises(CalibrationError) as info:
        load_calibration(path)
    assert str(info.value).startswith(expected)


def test_missing_file(tmp_path):
    with pytest.raises(CalibrationError, match="nothere.yaml: file not found"):
        load_calibration(tmp_path / "nothere.yaml")


# ---------------------------------------------------------------------------------------------------------------
# CLI
# ---------------------------------------------------------------------------------------------------------------


def _app() -> typer.Typer:
    app = typer.Typer()
    app.command("calibrate")(calibrate)

    @app.command("other")
    def other() -> None:  # a second command, so "calibrate" must be named as in the real app
        """Placeholder."""

    return app


def _write_case(tmp_path: Path, d: dict) -> tuple[Path, Path]:
    yml = tmp_path / "cam.yaml"
    yml.write_text(yaml.safe_dump(d))
    frame = tmp_path / "frame.png"
    img = np.full((H, W, 3), 90, np.uint8)
    cv2.imwrite(str(frame), img)
    return yml, frame


def test_cli_writes_overlay(tmp_path):
    yml, frame = _write_case(tmp_path, good_dict())
    out = tmp_path / "out" / "overlay.png"
    res = CliRunner().invoke(_app(), ["calibrate", str(yml), "--frame", str(frame), "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert "camera height" in res.stdout and "2.500 m" in res.stdout
    img = cv2.imread(str(out))
    assert img is not None and img.shape == (H, W, 3)
    assert np.count_nonzero(np.any(img != 90, axis=2)) > 10000          # something was drawn


def test_cli_reads_a_video_frame(tmp_path):
    yml, _ = _write_case(tmp_path, good_dict())
    video = tmp_path / "clip.avi"
    writer = cv2.VideoWriter(str(video), cv2.VideoWriter_fourcc(*"MJPG"), 10.0, (W, H))
    for i in range(10):
        writer.write(np.full((H, W, 3), 20 * i, np.uint8))
    writer.release()
    out = tmp_path / "overlay.png"
    res = CliRunner().invoke(_app(), ["calibrate", str(yml), "--frame", str(video), "--out", str(out), "--at", "0.5"])
    assert res.exit_code == 0, res.output
    assert out.is_file()
    res = CliRunner().invoke(_app(), ["calibrate", str(yml), "--frame", str(video), "--out", str(out), "--at", "30"])
    assert res.exit_code == 2
    assert "clip.avi" in res.stderr


def test_cli_bad_file_exits_2_with_one_line(tmp_path):
    d = good_dict()
    d["floor_points"][3]["pixel"] = "abc"
    yml, frame = _write_case(tmp_path, d)
    out = tmp_path / "overlay.png"
    res = CliRunner().invoke(_app(), ["calibrate", str(yml), "--frame", str(frame), "--out", str(out)])
    assert res.exit_code == 2
    assert res.stderr.strip() == "error: cam.yaml: floor_points[3].pixel: expected [u, v] numbers, got 'abc'"
    assert not out.exists()


def test_cli_inaccurate_calibration_exits_2_but_writes_overlay(tmp_path):
    d = good_dict()
    d["floor_points"][2]["pixel"][1] += 30.0
    yml, frame = _write_case(tmp_path, d)
    out = tmp_path / "overlay.png"
    res = CliRunner().invoke(_app(), ["calibrate", str(yml), "--frame", str(frame), "--out", str(out)])
    assert res.exit_code == 2
    assert "cam.yaml: floor_points[2]: looks wrong" in res.stderr
    assert out.is_file()


def test_cli_frame_size_mismatch(tmp_path):
    yml, _ = _write_case(tmp_path, good_dict())
    small = tmp_path / "small.png"
    cv2.imwrite(str(small), np.zeros((480, 640, 3), np.uint8))
    res = CliRunner().invoke(_app(), ["calibrate", str(yml), "--frame", str(small), "--out", str(tmp_path / "o.png")])
    assert res.exit_code == 2
    assert "cam.yaml: image_size: [1280, 720] but small.png is 640x480" in res.stderr


# ---------------------------------------------------------------------------------------------------------------
# shipped sample calibrations
# ---------------------------------------------------------------------------------------------------------------

SAMPLES = sorted((REPO / "calibration").glob("*.yaml"))


@pytest.mark.parametrize("path", SAMPLES, ids=[p.stem for p in SAMPLES])
def test_sample_calibrations_load_and_solve(path):
    cal = load_calibration(path)
    cam = solve_camera(cal)
    assert 1.0 < cam.height_m < 6.0
    assert np.max(cam.reprojection_errors_px) <= cal.max_reprojection_error_px


def test_cli_covers_the_privacy_masks_in_what_it_writes(tmp_path):
    d = good_dict()
    d["privacy_masks"] = [{"name": "pin_pad", "image_px": [[1000, 50], [1200, 50], [1200, 200], [1000, 200]]}]
    assert calibration_from_dict(d, "x.yaml").privacy_masks[0].name == "pin_pad"
    yml, frame = _write_case(tmp_path, d)
    out, ref = tmp_path / "overlay.png", tmp_path / "reference.png"
    res = CliRunner().invoke(_app(), ["calibrate", str(yml), "--frame", str(frame), "--out", str(out),
                                      "--reference", str(ref)])
    assert res.exit_code == 0, res.output
    for path in (out, ref):
        img = cv2.imread(str(path))
        inside, outside = img[60:190, 1010:1190], img[60:190, 700:900]
        assert np.all(inside == 64), path.name            # covered with the flat privacy grey
        assert np.any(outside != 64), path.name
