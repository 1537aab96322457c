"""Synthetic counter scenes for the scene-check tests: a known camera, a textured counter top and floor, objects
drawn as their exact footprints on the calibrated planes (so their true area is known)."""

from __future__ import annotations

import numpy as np

from etiquette_cv.geometry.calibration import calibration_from_dict
from etiquette_cv.geometry.solver import solve_camera
from etiquette_cv.sim.camera import VirtualCamera
from etiquette_cv.core import NUM_LANDMARKS, FramePoses, PersonPose

W, H = 640, 360
COUNTER_Z = 0.76
TOP = [[-1.0, 0.0], [1.0, 0.0], [1.0, -0.6], [-1.0, -0.6]]          # counter top corners, floor xy (m)
FLOOR = [[-1.0, 0.2], [1.0, 0.2], [1.0, 0.8], [-1.0, 0.8]]          # floor_check region


def virtual_camera() -> VirtualCamera:
    return VirtualCamera.aimed(2.4, 42.0, -90.0, np.array([0.0, 0.2, 0.5]), 55.0, W, H)


def project(cam: VirtualCamera, xy_m, z_m: float) -> np.ndarray:
    pts = np.array([[x, y, z_m] for x, y in xy_m], float)
    return np.asarray(cam.project(pts), float).reshape(-1, 2)


def calibration(extra_zones: dict | None = None, reference: str | None = None, with_counter_top: bool = True):
    """A calibration of the virtual camera (floor points projected exactly) with counter_top/floor_check zones."""
    cam = virtual_camera()
    grid = [[x, y] for x in (-1.0, -0.3, 0.3, 1.0) for y in (0.0, 0.35, 0.7)]
    px = project(cam, grid, 0.0)
    zones = {"clerk": {"floor_m": [[-1.0, -1.5], [1.0, -1.5], [1.0, -0.1], [-1.0, -0.1]]},
             "floor_check": {"image_px": project(cam, FLOOR, 0.0).round(2).tolist()},
             "waiting": {"floor_m": [[0.6, 0.4], [1.0, 0.4], [1.0, 0.7], [0.6, 0.7]]}}
    if with_counter_top:
        zones["counter_top"] = {"image_px": project(cam, TOP, COUNTER_Z).round(2).tolist()}
    zones.update(extra_zones or {})
    d = {"version": 1, "image_size": [W, H], "hfov_deg": 55.0,
         "floor_points": [{"pixel": p.tolist(), "floor_m": g} for p, g in zip(px, grid)],
         "counter": {"edge_m": [[-1.0, 0.0], [1.0, 0.0]], "height_m": COUNTER_Z, "customer_side": 1},
         "clerk_stations": [{"name": "A", "floor_m": [0.0, -0.9]}], "zones": zones}
    if reference is not None:
        d["reference_frames"] = [reference]
    cal = calibration_from_dict(d, "synthetic.yaml", base_dir="/")
    return cal, solve_camera(cal)


def texture(seed: int, shape=(H, W), scale: float = 3.0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    import cv2
    n = cv2.GaussianBlur(rng.normal(0, 1, shape).astype(np.float32), (0, 0), scale)
    return n / (n.std() + 1e-6)


def reference_image() -> np.ndarray:
    """The empty scene: tiled floor, grained wooden counter top, a wall."""
    import cv2
    cam = virtual_camera()
    img = np.zeros((H, W, 3), np.float32)
    img[:] = (150, 160, 170)
    img += 12 * texture(1)[..., None]
    for i in range(-3, 4):   # tile joints
        a, b = project(cam, [[i * 0.6, 0.0], [i * 0.6, 4.0]], 0.0)
        cv2.line(img, tuple(int(v) for v in a), tuple(int(v) for v in b), (110, 115, 120), 1)
    top = np.zeros((H, W), np.uint8)
    cv2.fillPoly(top, [np.round(project(cam, TOP, COUNTER_Z)).astype(np.int32)], 255)
    wood = np.stack([60 + 10 * texture(2, scale=1.5), 95 + 12 * texture(3, scale=1.5), 140 + 12 * texture(4)], 2)
    img[top > 0] = wood[top > 0]
    return np.clip(img, 0, 255).astype(np.uint8)


def draw_footprint(img: np.ndarray, x_m: float, y_m: float, w_m: float, d_m: float, z_m: float, colour) -> np.ndarray:
    """``img`` with a flat object of w × d metres centred at (x, y) on the plane at height z (its exact area)."""
    import cv2
    out = img.copy()
    cam = virtual_camera()
    corners = [[x_m - w_m / 2, y_m - d_m / 2], [x_m + w_m / 2, y_m - d_m / 2], [x_m + w_m / 2, y_m + d_m / 2],
               [x_m - w_m / 2, y_m + d_m / 2]]
    cv2.fillPoly(out, [np.round(project(cam, corners, z_m) * 16).astype(np.int32)], colour, cv2.LINE_8, shift=4)
    return out


def person(track_id: int, box_xyxy_px, role: str = "clerk", floor_xy_m=None) -> PersonPose:
    """A tracked person known by their detector box only."""
    n = NUM_LANDMARKS
    x0, y0, x1, y1 = box_xyxy_px
    xy = np.tile([(x0 + x1) / 2, (y0 + y1) / 2], (n, 1)).astype(np.float32)
    return PersonPose(track_id, role, xy, np.zeros(n, np.float32), np.zeros((n, 3), np.float32),
                      np.zeros(n, np.float32), np.zeros(n, np.float32), station="A" if role == "clerk" else None,
                      floor_xy_m=None if floor_xy_m is None else np.asarray(floor_xy_m, np.float32),
                      floor_source="feet" if floor_xy_m is not None else "",
                      box_xyxy_px=np.asarray(box_xyxy_px, np.float32), landmarks_source="detector")


def poses(t_s: float, persons: list[PersonPose], index: int | None = None) -> FramePoses:
    return FramePoses(int(round(t_s * 10)) if index is None else index, t_s, W, H, persons)
