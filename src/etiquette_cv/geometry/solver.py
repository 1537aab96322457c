"""Solving a calibration: floor homography, camera pose (``cv2.solvePnP``), optional focal refinement, residuals.

:func:`solve_camera` refuses a calibration whose residuals exceed the file's tolerances, naming the point that is
off. Units as in :mod:`etiquette_cv.geometry.calibration`.
"""

from __future__ import annotations

import math

import cv2
import numpy as np

from .calibration import MIN_FLOOR_POINTS, MIN_SPREAD_RATIO, Calibration, CalibrationError
from .camera import CameraModel
from .polyline import densify_polyline, is_collinear

FOCAL_SEARCH_FACTOR = 3.0
"""Focal refinement keeps the focal length within [f0 / factor, f0 * factor] of the hfov_deg value."""
ZONE_CHECK_SAMPLES = 50
"""Points sampled along each edge of a floor zone when checking that the zone shows in the image."""


def _camera_z(rvec: np.ndarray, tvec: np.ndarray) -> float:
    R = cv2.Rodrigues(rvec)[0]
    return float((-R.T @ tvec.reshape(3))[2])


def _reprojection(world: np.ndarray, pixels: np.ndarray, rvec, tvec, K, dist) -> np.ndarray:
    proj, _ = cv2.projectPoints(world.reshape(-1, 1, 3), rvec, tvec, K, dist)
    return np.linalg.norm(proj.reshape(-1, 2) - pixels, axis=1)


def _solve_pose(world: np.ndarray, pixels: np.ndarray, K: np.ndarray, dist: np.ndarray,
                cal: Calibration) -> tuple[np.ndarray, np.ndarray]:
    """Camera pose (rvec, tvec) from reference points: candidates from IPPE on the floor points (both of its
    solutions) and from SQPnP on all points; the candidate with the camera above the floor and the smallest error is
    refined by Levenberg-Marquardt (SOLVEPNP_ITERATIVE) on all points."""
    on_floor = world[:, 2] == 0.0
    candidates: list[tuple[np.ndarray, np.ndarray]] = []
    try:
        n, rvecs, tvecs, _ = cv2.solvePnPGeneric(world[on_floor], pixels[on_floor], K, dist, flags=cv2.SOLVEPNP_IPPE)
        candidates += [(np.asarray(rv, float).reshape(3), np.asarray(tv, float).reshape(3))
                       for rv, tv in zip(rvecs[:n], tvecs[:n])]
    except cv2.error:
        pass
    try:
        ok, rv, tv = cv2.solvePnP(world, pixels, K, dist, flags=cv2.SOLVEPNP_SQPNP)
        if ok:
            candidates.append((rv.reshape(3), tv.reshape(3)))
    except cv2.error:
        pass
    if not candidates:
        raise cal.error("floor_points", "no camera pose fits these points (degenerate layout); spread the points "
                                        "over the visible floor")
    above = [c for c in candidates if _camera_z(*c) > 0]
    if not above:
        raise cal.error("floor_points", "the solved camera is below the floor: the floor_m axes form a left-handed "
                                        "frame (x, y, z up must be right-handed); swap x and y or negate one")
    best = min(above, key=lambda c: float(np.sum(_reprojection(world, pixels, c[0], c[1], K, dist) ** 2)))
    ok, rvec, tvec = cv2.solvePnP(world, pixels, K, dist, rvec=best[0].copy(), tvec=best[1].copy(),
                                  useExtrinsicGuess=True, flags=cv2.SOLVEPNP_ITERATIVE)
    if not ok or _camera_z(rvec, tvec) <= 0:
        rvec, tvec = best
    return np.asarray(rvec, float).reshape(3), np.asarray(tvec, float).reshape(3)


def _refine_focal(world, pixels, K, dist, rvec, tvec) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Jointly refine the pose and a single focal length (square pixels, principal point fixed) by least squares."""
    from scipy.optimize import least_squares

    f0 = float(K[0, 0])

    def residuals(params: np.ndarray) -> np.ndarray:
        Kf = K.copy()
        Kf[0, 0] = Kf[1, 1] = f0 * math.exp(params[6])
        proj, _ = cv2.projectPoints(world.reshape(-1, 1, 3), params[:3], params[3:6], Kf, dist)
        return (proj.reshape(-1, 2) - pixels).ravel()

    bound = math.log(FOCAL_SEARCH_FACTOR)
    x0 = np.concatenate([rvec, tvec, [0.0]])
    lo = np.concatenate([np.full(6, -np.inf), [-bound]])
    hi = np.concatenate([np.full(6, np.inf), [bound]])
    res = least_squares(residuals, x0, bounds=(lo, hi), x_scale="jac")
    Kf = K.copy()
    Kf[0, 0] = Kf[1, 1] = f0 * math.exp(res.x[6])
    return Kf, res.x[:3], res.x[3:6]


def solve_camera(cal: Calibration, check: bool = True, leave_one_out: bool = True) -> CameraModel:
    """Solve the camera of a calibration: floor homography, pose (IPPE/SQPnP → iterative PnP), optional focal
    refinement (pose and one focal length jointly, least squares; see ``Calibration.refine_focal``),
    per-point residuals (px, cm) and leave-one-out errors (px). With ``check`` (default) raise CalibrationError when
    the residuals exceed the file's tolerances, naming the point that is off (see :func:`check_camera`).
    ``leave_one_out=False`` skips the leave-one-out solves (faster; the check then names the largest residual)."""
    K = cal.intrinsics.matrix()
    dist = cal.intrinsics.distortion.astype(float)
    world = cal.reference_world_m
    pixels = cal.reference_pixels_px

    und = cv2.undistortPoints(cal.floor_pixels_px.reshape(-1, 1, 2), K, dist, P=K).reshape(-1, 2)
    H, _ = cv2.findHomography(und, cal.floor_points_m, 0)
    if H is None or not np.all(np.isfinite(H)) or abs(np.linalg.det(H)) < np.finfo(float).eps:
        raise cal.error("floor_points", "no floor homography fits these points (degenerate layout)")

    rvec, tvec = _solve_pose(world, pixels, K, dist, cal)
    focal_refined = False
    has_height = len(cal.height_points_m) > 0
    if cal.intrinsics.from_hfov and (cal.refine_focal == "true" or (cal.refine_focal == "auto" and has_height)):
        K, rvec, tvec = _refine_focal(world, pixels, K, dist, rvec, tvec)
        focal_refined = True

    R = cv2.Rodrigues(rvec)[0]
    cam = CameraModel(
        K=K, dist=dist, R=R, t=tvec.astype(float), image_width=cal.image_width, image_height=cal.image_height,
        floor_homography=H, reference_labels=cal.reference_labels, reference_world_m=world,
        reference_pixels_px=pixels, reprojection_errors_px=_reprojection(world, pixels, rvec, tvec, K, dist),
        floor_errors_cm=np.zeros(len(world)), leave_one_out_errors_px=np.full(len(world), np.nan),
        focal_refined=focal_refined, geometry=cal.geometry,
    )
    hit = cam.pixel_to_plane_z(pixels, world[:, 2])
    cam.floor_errors_cm = np.linalg.norm(hit - world[:, :2], axis=1) * 100.0
    if leave_one_out:
        cam.leave_one_out_errors_px = _leave_one_out(world, pixels, K, dist, cal)
    if check:
        check_camera(cal, cam)
    return cam


def _leave_one_out(world: np.ndarray, pixels: np.ndarray, K: np.ndarray, dist: np.ndarray,
                   cal: Calibration) -> np.ndarray:
    """Reprojection error (px) of each point predicted by the pose solved from the other points."""
    out = np.full(len(world), np.nan)
    n_floor = int(np.sum(world[:, 2] == 0.0))
    for i in range(len(world)):
        keep = np.arange(len(world)) != i
        if n_floor - (1 if world[i, 2] == 0.0 else 0) < MIN_FLOOR_POINTS:
            continue
        if is_collinear(world[keep & (world[:, 2] == 0.0), :2], MIN_SPREAD_RATIO):
            continue
        try:
            rvec, tvec = _solve_pose(world[keep], pixels[keep], K, dist, cal)
        except (CalibrationError, cv2.error):
            continue
        out[i] = _reprojection(world[i:i + 1], pixels[i:i + 1], rvec, tvec, K, dist)[0]
    return out


def check_camera(cal: Calibration, cam: CameraModel) -> None:
    """Raise CalibrationError when a reference point's reprojection error exceeds ``max_reprojection_error_px`` or
    its floor error exceeds ``max_floor_error_m``, or when a floor zone lies outside the view; the message names the
    point most likely to be wrong (largest leave-one-out error, else largest residual)."""
    err_px = cam.reprojection_errors_px
    err_m = np.nan_to_num(cam.floor_errors_cm / 100.0, nan=np.inf)
    bad = (err_px > cal.max_reprojection_error_px) | (err_m > cal.max_floor_error_m)
    if np.any(bad):
        loo = cam.leave_one_out_errors_px
        if np.any(np.isfinite(loo)):
            i = int(np.nanargmax(loo))
            how = f"; solved without it, the camera puts it {loo[i]:.1f} px away"
        else:
            i = int(np.argmax(err_px / cal.max_reprojection_error_px + err_m / cal.max_floor_error_m))
            how = ""
        floor_txt = f"{cam.floor_errors_cm[i]:.1f} cm" if np.isfinite(cam.floor_errors_cm[i]) else "n/a"
        hint = ("; if many points are off, hfov_deg may be wrong: add height_points or set refine_focal: true"
                if cal.intrinsics.from_hfov and not cam.focal_refined and int(np.sum(bad)) > 1 else "")
        raise CalibrationError(
            f"{cal.source}: {cam.reference_labels[i]}: looks wrong (reprojection error {err_px[i]:.1f} px, "
            f"{floor_txt} on the floor{how}; limits max_reprojection_error_px {cal.max_reprojection_error_px:g}, "
            f"max_floor_error_m {cal.max_floor_error_m:g}); check its pixel and its metres{hint}")
    for zone in cal.zones.values():
        if zone.floor_m is not None and not _floor_polygon_in_view(cam, zone.floor_m):
            raise cal.error(f"zones.{zone.name}.floor_m", "the zone lies outside the camera's view")


def _floor_polygon_in_view(cam: CameraModel, polygon_m: np.ndarray) -> bool:
    """Whether a floor polygon (metres) shows in the image: a point of its outline projects inside the frame, or an
    image corner's floor point lies inside the polygon."""
    outline = densify_polyline(polygon_m, closed=True, count=ZONE_CHECK_SAMPLES)
    px = cam.project(np.column_stack([outline, np.zeros(len(outline))]))
    px = px[np.all(np.isfinite(px), axis=1)]
    if np.any((px[:, 0] >= 0) & (px[:, 0] <= cam.image_width) & (px[:, 1] >= 0) & (px[:, 1] <= cam.image_height)):
        return True
    w, h = cam.image_width, cam.image_height
    corners = cam.pixel_to_floor(np.array([[0.0, 0.0], [w, 0.0], [0.0, h], [w, h]]))
    poly = polygon_m.astype(np.float32).reshape(-1, 1, 2)
    return any(cv2.pointPolygonTest(poly, (float(c[0]), float(c[1])), False) >= 0
               for c in corners if np.all(np.isfinite(c)))
