"""Where people are on the floor: floor positions, distances to the counter, a clerk's body heights, and the
counter's outline in the image.

Everything here works in the calibration's floor frame (metres, floor z = 0, z up) through a solved
:class:`~etiquette_cv.geometry.camera.CameraModel`; pixel inputs are full-frame image pixels.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..core import Landmark, PersonPose
from .calibration import Counter, GeometrySettings
from .camera import CameraModel
from .polyline import densify_polyline, distance_to_polyline_m, polyline_side

COUNTER_SAMPLE_STEP_M = 0.05
"""Spacing of the points along the counter edge projected into the image, metres."""


@dataclass(frozen=True)
class FloorPosition:
    """Where a person stands on the floor."""

    xy_m: np.ndarray
    """(2,) floor position in metres (between the feet)."""
    confidence: float
    """0-1: the method's factor (settings) times the mean visibility of the landmarks used."""
    method: str
    """"ankles" | "heels" | "ankle_heel" (one of each) | "one_foot" | "hips_fallback"."""
    hip_height_m: float | None = None
    """Measured height of the hip centre above the floor on the vertical line through ``xy_m`` when the position
    came from the feet and the hips are visible (a tracker can keep it per person and pass it back as
    ``hip_height_m`` for frames where the feet are hidden); None otherwise."""


@dataclass(frozen=True)
class ClerkHeights:
    """Heights above the floor (metres) of a clerk's body parts on the vertical line through the clerk's station;
    None for a part whose landmarks are not visible."""

    shoulder_height_m: float | None
    """Shoulder centre (midpoint of the visible shoulders)."""
    head_height_m: float | None
    """Head: midpoint of the ears when both are visible, else the nose, else one ear."""
    hip_height_m: float | None
    """Hip centre (often hidden by the desk)."""
    head_landmark: str | None
    """Which landmark(s) gave the head height: "ears" | "nose" | "ear"."""


def _usable(pose: PersonPose, camera: CameraModel, threshold: float) -> np.ndarray:
    """(33,) mask of landmarks visible at ``threshold`` and inside the image."""
    xy = pose.image_xy_px
    inside = (np.all(np.isfinite(xy), axis=1) & (xy[:, 0] >= 0) & (xy[:, 0] < camera.image_width)
              & (xy[:, 1] >= 0) & (xy[:, 1] < camera.image_height))
    return pose.visible(threshold) & inside


def _score(pose: PersonPose, idx: list[int]) -> float:
    return float(np.mean(np.minimum(pose.visibility[idx], pose.presence[idx])))


def person_floor_position(pose: PersonPose, camera: CameraModel, settings: GeometrySettings | None = None, *,
                          visibility_threshold: float | None = None,
                          hip_height_m: float | None = None) -> FloorPosition | None:
    """Floor position (metres) of a person from the landmarks: the midpoint of the two feet, each foot from its
    ankle ray met with the plane z = ``ankle_height_m`` (else its heel ray with z = ``heel_height_m``); one foot
    alone when only one is seen; with both feet hidden, the hip midpoint's ray met with the plane at the person's
    hip height (``hip_height_m`` when given, e.g. measured earlier on the same person, else
    ``assumed_hip_height_m``; method "hips_fallback", lower confidence). None when nothing usable is visible.
    ``settings`` defaults to the camera's calibration settings."""
    s = settings or camera.geometry
    thr = s.visibility_threshold if visibility_threshold is None else visibility_threshold
    ok = _usable(pose, camera, thr)
    hips = [int(i) for i in (Landmark.LEFT_HIP, Landmark.RIGHT_HIP) if ok[i]]

    def measured_hip_height(xy: np.ndarray) -> float | None:
        if len(hips) != 2:
            return None
        z = camera.height_on_vertical_line(pose.image_xy_px[hips].mean(axis=0), xy)
        return float(z) if np.isfinite(z) else None

    feet: list[tuple[np.ndarray, str, int]] = []
    for ankle, heel in ((Landmark.LEFT_ANKLE, Landmark.LEFT_HEEL), (Landmark.RIGHT_ANKLE, Landmark.RIGHT_HEEL)):
        for idx, z, kind in ((ankle, s.ankle_height_m, "ankle"), (heel, s.heel_height_m, "heel")):
            if ok[idx]:
                xy = camera.pixel_to_plane_z(pose.image_xy_px[idx], z)
                if np.all(np.isfinite(xy)):
                    feet.append((xy, kind, int(idx)))
                    break
    if len(feet) == 2:
        kinds = {f[1] for f in feet}
        method = "ankles" if kinds == {"ankle"} else "heels" if kinds == {"heel"} else "ankle_heel"
        factor = 1.0 if method == "ankles" else s.heels_confidence
        xy = (feet[0][0] + feet[1][0]) / 2.0
        return FloorPosition(xy, factor * _score(pose, [f[2] for f in feet]), method, measured_hip_height(xy))
    if len(feet) == 1:
        return FloorPosition(feet[0][0], s.one_foot_confidence * _score(pose, [feet[0][2]]), "one_foot")
    if hips:
        z_hip = s.assumed_hip_height_m if hip_height_m is None else hip_height_m
        xy = camera.pixel_to_plane_z(pose.image_xy_px[hips].mean(axis=0), z_hip)
        if np.all(np.isfinite(xy)):
            return FloorPosition(xy, s.hips_fallback_confidence * _score(pose, hips), "hips_fallback")
    return None


def distance_to_counter_m(pose: PersonPose, camera: CameraModel, counter: Counter,
                          settings: GeometrySettings | None = None, *,
                          hip_height_m: float | None = None) -> float | None:
    """Signed distance in metres from the person's floor position (:func:`person_floor_position`) to the counter
    edge, positive on the customer side; None when the person's floor position is unknown."""
    pos = person_floor_position(pose, camera, settings, hip_height_m=hip_height_m)
    if pos is None:
        return None
    return float(distance_to_polyline_m(pos.xy_m, counter.edge_m, counter.customer_side))


def clerk_heights(pose: PersonPose, camera: CameraModel, station_xy_m: np.ndarray,
                  settings: GeometrySettings | None = None) -> ClerkHeights:
    """Heights above the floor in metres of the clerk's shoulder centre, head and hip centre: each landmark's (or
    visible pair's midpoint) pixel ray met with the vertical line through the station (closest point)."""
    s = settings or camera.geometry
    ok = _usable(pose, camera, s.visibility_threshold)
    station = np.asarray(station_xy_m, dtype=float)

    def height(indices: list[int]) -> float | None:
        seen = [i for i in indices if ok[i]]
        if not seen:
            return None
        z = camera.height_on_vertical_line(pose.image_xy_px[seen].mean(axis=0), station)
        return float(z) if np.isfinite(z) else None

    shoulders = height([Landmark.LEFT_SHOULDER, Landmark.RIGHT_SHOULDER])
    hips = height([Landmark.LEFT_HIP, Landmark.RIGHT_HIP])
    ears = [int(Landmark.LEFT_EAR), int(Landmark.RIGHT_EAR)]
    if all(ok[i] for i in ears):
        head, which = height(ears), "ears"
    elif ok[Landmark.NOSE]:
        head, which = height([int(Landmark.NOSE)]), "nose"
    else:
        head = height(ears)
        which = "ear" if head is not None else None
    return ClerkHeights(shoulders, head, hips, which)


def camera_on_clerk_side(camera: CameraModel, edge_m: np.ndarray, clerk_side: int) -> bool:
    """True when the camera stands on the clerks' side of the counter's front edge (``clerk_side``: +1 / -1 as
    :func:`polyline_side`, e.g. of a station point, or ``-customer_side``): looking over a clerk's shoulder."""
    return polyline_side(np.asarray(camera.position_m[:2], float), edge_m) == clerk_side


def counter_skyline_px(camera: CameraModel, edge_m: np.ndarray, height_m: float,
                       step_m: float = COUNTER_SAMPLE_STEP_M, clerk_side: int | None = None) -> np.ndarray:
    """Image points (K, 2) in pixels, sorted by x, of the counter's top front edge (``edge_m`` raised to
    ``height_m`` metres): below this line (larger y) a person standing behind the counter is hidden by it. With
    ``clerk_side`` and a camera on that side (over the clerk's shoulder) the counter hides nobody behind it: an
    empty (0, 2) array."""
    if clerk_side is not None and camera_on_clerk_side(camera, edge_m, clerk_side):
        return np.zeros((0, 2))
    xy = densify_polyline(edge_m, step_m)
    px = camera.project(np.column_stack([xy, np.full(len(xy), height_m)]))
    px = px[np.all(np.isfinite(px), axis=1)]
    return px[np.argsort(px[:, 0])]


def standing_may_leave_view(camera: CameraModel, station_xy_m: np.ndarray, shoulder_m: float, reach_m: float,
                            margin_px: float = 0.0) -> str | None:
    """Why a clerk who stands up near a station may be out of this camera's view — their shoulders, ``shoulder_m``
    metres high anywhere within ``reach_m`` metres of the station's floor point (eight points on that circle and
    the centre), fall outside the image less ``margin_px`` — or None when all of those stay in view."""
    w, h = camera.image_width, camera.image_height
    ang = np.arange(8) * np.pi / 4
    xy = np.vstack([[0.0, 0.0], np.column_stack([np.cos(ang), np.sin(ang)]) * reach_m]) + np.asarray(station_xy_m)
    px = camera.project(np.column_stack([xy, np.full(len(xy), shoulder_m)]))
    out = [k for k, p in enumerate(px) if not (np.all(np.isfinite(p)) and margin_px <= p[0] < w - margin_px
                                                and margin_px <= p[1] < h - margin_px)]
    if not out:
        return None
    k = out[0]
    where = "behind the camera" if not np.all(np.isfinite(px[k])) else f"at ({px[k][0]:.0f}, {px[k][1]:.0f}) px"
    return (f"standing {reach_m:g} m from the station's floor point the clerk's shoulders can leave the camera's "
            f"{w}×{h} view ({shoulder_m:g} m high {where})")


def station_out_of_view(camera: CameraModel, station_xy_m: np.ndarray, heights_m: tuple[float, ...]) -> str | None:
    """Why a clerk at a station cannot be seen from this camera — their shoulders, at every height in ``heights_m``
    (metres above the station's floor point: seated and standing), fall outside the image (or behind the camera) —
    or None when at least one of them is in view. Pixel positions are quoted in the reason."""
    w, h = camera.image_width, camera.image_height
    pts = camera.project(np.array([[float(station_xy_m[0]), float(station_xy_m[1]), z] for z in heights_m]))
    inside = [bool(np.all(np.isfinite(p)) and 0 <= p[0] < w and 0 <= p[1] < h) for p in pts]
    if any(inside):
        return None
    where = ", ".join(f"{z:g} m high at ({p[0]:.0f}, {p[1]:.0f}) px" if np.all(np.isfinite(p)) else
                      f"{z:g} m high behind the camera" for z, p in zip(heights_m, pts))
    return f"the station's clerk is outside the camera's {w}×{h} view (shoulders {where})"
