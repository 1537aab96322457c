"""Overlay that shows at a glance whether a calibration is right.

Drawn over a camera frame: a 0.5 m floor grid, the counter edge (on the floor and at the counter's height), the
approach line at 2 m from the counter on the customer side, the zones, the clerk stations (with a vertical pole
ticked every 0.5 m), and each reference point as measured (circle) and as re-projected by the solved camera
(cross). If the grid does not lie flat on the tiles, the counter top line floats, or the poles lean, the
calibration is wrong.
"""

from __future__ import annotations

import cv2
import numpy as np

from ..geometry.calibration import Calibration
from ..geometry.camera import CameraModel
from ..geometry.polyline import densify_polyline, densify_segment, offset_polyline_m
from .draw import draw_world_polyline, put_label

__all__ = ["draw_calibration_overlay"]

GRID_STEP_M = 0.5
"""Spacing of the floor grid."""
GRID_PAD_M = 1.0
"""The grid covers the reference points, zones, counter and stations plus this margin."""
GRID_MAX_HALF_SIZE_M = 25.0
"""The grid never extends further than this from the counter (keeps the drawing bounded)."""
LINE_SAMPLE_STEP_M = 0.05
"""World lines are sampled at this spacing before projection (so lens distortion and the horizon are honoured)."""
POLE_HEIGHT_M = 1.5
"""Height of the vertical pole drawn at each clerk station (ticks every GRID_STEP_M)."""
ZONE_ALPHA = 0.18

# BGR colours
GRID = (150, 150, 150)
GRID_MAJOR = (210, 210, 210)
COUNTER = (0, 140, 255)
APPROACH = (0, 0, 255)
STATION = (255, 0, 255)
MEASURED = (0, 220, 0)
REPROJECTED = (0, 0, 255)
ZONE_COLOURS = {"clerk": (255, 120, 0), "customer_approach": (0, 200, 255), "waiting": (0, 255, 120),
                "counter_top": (255, 0, 180), "floor_check": (180, 255, 0)}
TEXT = (255, 255, 255)


def _segment(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return densify_segment(a, b, LINE_SAMPLE_STEP_M)


def _to_3d(xy: np.ndarray, z: float = 0.0) -> np.ndarray:
    return np.column_stack([xy, np.full(len(xy), z)])


def _label(img: np.ndarray, text: str, xy, colour=TEXT, scale: float = 0.45) -> None:
    put_label(img, text, xy, colour, scale, outline=2)




def _grid_extent(cal: Calibration) -> tuple[float, float, float, float]:
    pts = [cal.floor_points_m, cal.counter.edge_m, cal.height_points_m[:, :2].reshape(-1, 2)]
    pts += [s.floor_m[None] for s in cal.clerk_stations]
    pts += [z.floor_m for z in cal.zones.values() if z.floor_m is not None]
    allp = np.vstack(pts)
    lo = np.floor((allp.min(axis=0) - GRID_PAD_M) / GRID_STEP_M) * GRID_STEP_M
    hi = np.ceil((allp.max(axis=0) + GRID_PAD_M) / GRID_STEP_M) * GRID_STEP_M
    centre = cal.counter.edge_m.mean(axis=0)
    lo = np.maximum(lo, centre - GRID_MAX_HALF_SIZE_M)
    hi = np.minimum(hi, centre + GRID_MAX_HALF_SIZE_M)
    return float(lo[0]), float(lo[1]), float(hi[0]), float(hi[1])


def _draw_zones(img: np.ndarray, cal: Calibration, camera: CameraModel) -> np.ndarray:
    """The zones, filled translucent first so that the lines stay crisp, then outlined and named."""
    h, w = img.shape[:2]
    fill = img.copy()
    for zone in cal.zones.values():
        colour = ZONE_COLOURS.get(zone.name, GRID)
        if zone.floor_m is not None:
            px = camera.project(_to_3d(densify_polyline(zone.floor_m, LINE_SAMPLE_STEP_M, closed=True)))
            px = px[np.all(np.isfinite(px), axis=1)]
        else:
            px = zone.image_px
        if len(px) >= 3:
            lim = 8.0 * max(w, h)
            poly = np.round(np.clip(px, -lim, lim)).astype(np.int32).reshape(-1, 1, 2)
            cv2.fillPoly(fill, [poly], colour, cv2.LINE_AA)
    img = cv2.addWeighted(fill, ZONE_ALPHA, img, 1.0 - ZONE_ALPHA, 0.0)
    for zone in cal.zones.values():
        colour = ZONE_COLOURS.get(zone.name, GRID)
        if zone.floor_m is not None:
            pts = densify_polyline(zone.floor_m, LINE_SAMPLE_STEP_M, closed=True)
            draw_world_polyline(img, camera, _to_3d(pts), colour, 1)
            anchor = camera.project(_to_3d(zone.floor_m))
        else:
            cv2.polylines(img, [np.round(zone.image_px).astype(np.int32).reshape(-1, 1, 2)], True, colour, 1,
                          cv2.LINE_AA)
            anchor = zone.image_px
        anchor = anchor[np.all(np.isfinite(anchor), axis=1)]
        inside = anchor[(anchor[:, 0] >= 0) & (anchor[:, 0] < w) & (anchor[:, 1] >= 0) & (anchor[:, 1] < h)]
        if len(inside):
            _label(img, zone.name, inside.mean(axis=0), colour)
    return img


def _draw_grid(img: np.ndarray, cal: Calibration, camera: CameraModel) -> None:
    """The floor grid (whole metres brighter) and the floor frame's axes at the origin."""
    x0, y0, x1, y1 = _grid_extent(cal)
    for x in np.arange(x0, x1 + 1e-9, GRID_STEP_M):
        major = abs(x - round(x)) < 1e-9
        draw_world_polyline(img, camera, _to_3d(_segment(np.array([x, y0]), np.array([x, y1]))),
                            GRID_MAJOR if major else GRID, 1)
    for y in np.arange(y0, y1 + 1e-9, GRID_STEP_M):
        major = abs(y - round(y)) < 1e-9
        draw_world_polyline(img, camera, _to_3d(_segment(np.array([x0, y]), np.array([x1, y]))),
                            GRID_MAJOR if major else GRID, 1)
    origin = camera.project(np.array([[0.0, 0.0, 0.0], [GRID_STEP_M, 0, 0], [0, GRID_STEP_M, 0], [0, 0, GRID_STEP_M]]))
    if np.all(np.isfinite(origin)):
        for end, colour, name in zip(origin[1:], ((0, 0, 255), (0, 255, 0), (255, 0, 0)), "xyz"):
            cv2.arrowedLine(img, tuple(np.round(origin[0]).astype(int)), tuple(np.round(end).astype(int)), colour, 2,
                            cv2.LINE_AA, tipLength=0.2)
            _label(img, name, end + 4, colour)


def _draw_counter(img: np.ndarray, cal: Calibration, camera: CameraModel, approach_distance_m: float) -> None:
    """The counter's floor edge, its top edge at its height, its end posts, and the approach line."""
    edge = cal.counter.edge_m
    draw_world_polyline(img, camera, _to_3d(densify_polyline(edge, LINE_SAMPLE_STEP_M)), COUNTER, 3)
    draw_world_polyline(img, camera, _to_3d(densify_polyline(edge, LINE_SAMPLE_STEP_M), cal.counter.height_m),
                        COUNTER, 1)
    for p in (edge[0], edge[-1]):
        draw_world_polyline(img, camera, _segment(np.array([*p, 0.0]), np.array([*p, cal.counter.height_m])),
                            COUNTER, 1)
    _label(img, f"counter top {cal.counter.height_m:.2f} m",
           camera.project(np.array([*edge[len(edge) // 2], cal.counter.height_m])) + np.array([6.0, -6.0]), COUNTER)
    line = offset_polyline_m(edge, approach_distance_m, cal.counter.customer_side)
    draw_world_polyline(img, camera, _to_3d(line), APPROACH, 2)
    _label(img, f"{approach_distance_m:g} m", camera.project(np.array([*line[len(line) // 2], 0.0])) + 6, APPROACH)


def _draw_stations(img: np.ndarray, cal: Calibration, camera: CameraModel) -> None:
    """Each clerk station with a vertical pole ticked every grid step."""
    for st in cal.clerk_stations:
        base = np.array([*st.floor_m, 0.0])
        draw_world_polyline(img, camera, _segment(base, base + [0, 0, POLE_HEIGHT_M]), STATION, 2)
        for z in np.arange(GRID_STEP_M, POLE_HEIGHT_M + 1e-9, GRID_STEP_M):
            tick = np.array([[*(st.floor_m + [-0.05, 0]), z], [*(st.floor_m + [0.05, 0]), z]])
            draw_world_polyline(img, camera, tick, STATION, 2)
        foot = camera.project(base)
        if np.all(np.isfinite(foot)):
            cv2.circle(img, tuple(np.round(foot).astype(int)), 5, STATION, -1, cv2.LINE_AA)
        _label(img, st.name, camera.project(base + [0, 0, POLE_HEIGHT_M]) + np.array([6.0, 0.0]), STATION)


def _draw_reference_points(img: np.ndarray, camera: CameraModel) -> None:
    """Each reference point as measured (circle) and as re-projected (cross), with its errors."""
    reproj = camera.project(camera.reference_world_m)
    for i, (meas, rp) in enumerate(zip(camera.reference_pixels_px, reproj)):
        m = tuple(np.round(meas).astype(int))
        cv2.circle(img, m, 6, MEASURED, 2, cv2.LINE_AA)
        if np.all(np.isfinite(rp)):
            r = tuple(np.round(rp).astype(int))
            cv2.line(img, m, r, REPROJECTED, 1, cv2.LINE_AA)
            cv2.drawMarker(img, r, REPROJECTED, cv2.MARKER_CROSS, 10, 2, cv2.LINE_AA)
        err_cm = camera.floor_errors_cm[i]
        cm_txt = f" {err_cm:.0f}cm" if np.isfinite(err_cm) else ""
        _label(img, f"{i}: {camera.reprojection_errors_px[i]:.1f}px{cm_txt}", meas + np.array([8.0, -8.0]),
               MEASURED, 0.4)


def _draw_header(img: np.ndarray, cal: Calibration, camera: CameraModel, approach_distance_m: float) -> None:
    """The header line (camera height, pitch, roll, hfov, errors) and the legend."""
    h, w = img.shape[:2]
    header = (f"{cal.name}: camera height {camera.height_m:.2f} m  pitch {camera.pitch_deg:.1f} deg  roll "
              f"{camera.roll_deg:.1f} deg  hfov {camera.hfov_deg:.1f} deg{' (refined)' if camera.focal_refined else ''}"
              f"  |  max error {np.max(camera.reprojection_errors_px):.1f} px, "
              f"{np.nanmax(camera.floor_errors_cm):.1f} cm")
    cv2.rectangle(img, (0, 0), (w, 24), (0, 0, 0), -1)
    _label(img, header, (6, 17), TEXT, 0.5)
    legend = (f"grid {GRID_STEP_M:g} m | orange: counter edge + top | red: {approach_distance_m:g} m line | "
              f"magenta: station pole, ticks {GRID_STEP_M:g} m | green o measured, red + reprojected")
    cv2.rectangle(img, (0, h - 22), (w, h), (0, 0, 0), -1)
    _label(img, legend, (6, h - 7), TEXT, 0.42)


def draw_calibration_overlay(image: np.ndarray, cal: Calibration, camera: CameraModel,
                             approach_distance_m: float) -> np.ndarray:
    """A copy of the BGR ``image`` with the calibration drawn over it (grid, counter, the approach line at
    ``approach_distance_m`` metres, zones, stations, reference points measured vs re-projected, and a header with
    camera height, pitch, roll and errors)."""
    img = _draw_zones(image.copy(), cal, camera)
    _draw_grid(img, cal, camera)
    _draw_counter(img, cal, camera, approach_distance_m)
    _draw_stations(img, cal, camera)
    _draw_reference_points(img, camera)
    _draw_header(img, cal, camera, approach_distance_m)
    return img
