"""Floor geometry of people: where a person stands, how far from the counter, how high a clerk's body parts are.

Everything here works in the calibration's floor frame (metres, floor z = 0, z up) through a solved
:class:`~etiquette_cv.calibration.CameraModel`; pixel inputs are full-frame image pixels.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from etiquette_cv.calibration import CameraModel, Counter, GeometrySettings
from etiquette_cv.types import Landmark, PersonPose

__all__ = [
    "FloorPosition",
    "ClerkHeights",
    "distance_to_polyline_m",
    "polyline_side",
    "offset_polyline_m",
    "person_floor_position",
    "distance_to_counter_m",
    "clerk_heights",
]

OFFSET_SAMPLE_STEP_M = 0.02
"""Spacing of the points of an offset polyline, metres."""
TIE_TOLERANCE_M = 1e-9
"""Segments whose distances to a point differ by less than this are equally near."""


# ----------------------------------------------------------------------------------------------------------------
# Polylines on the floor
# ----------------------------------------------------------------------------------------------------------------


def distance_to_polyline_m(floor_xy_m: np.ndarray, polyline_m: np.ndarray, customer_side: int = 1) -> np.ndarray:
    """Signed distance in metres from floor point(s) (…, 2) to a polyline (N, 2): the distance to its nearest
    segment, positive on the customer side (``customer_side`` +1 = left of the polyline walked first → last point,
    seen from above; -1 = right). Beyond an end the distance is to the end point, signed by the end segment's line.
    Returns a float array of shape (…) (a 0-d array for one point)."""
    p = np.asarray(floor_xy_m, dtype=float)
    poly = np.asarray(polyline_m, dtype=float)
    flat = p.reshape(-1, 2)
    a, b = poly[:-1], poly[1:]
    ab = b - a                                                     # (S, 2)
    ap = flat[:, None, :] - a[None, :, :]                          # (M, S, 2)
    seg_len2 = np.sum(ab * ab, axis=1)                             # (S,)
    t = np.clip(np.sum(ap * ab[None], axis=2) / seg_len2[None], 0.0, 1.0)
    closest = a[None] + t[..., None] * ab[None]
    dist = np.linalg.norm(flat[:, None, :] - closest, axis=2)      # (M, S)
    cross = ab[None, :, 0] * ap[..., 1] - ab[None, :, 1] * ap[..., 0]   # > 0: left of the segment
    perp = np.abs(cross) / np.sqrt(seg_len2)[None]
    # nearest segment; among equally near ones (a shared vertex) the one the point is most squarely beside
    near = dist <= dist.min(axis=1, keepdims=True) + TIE_TOLERANCE_M
    k = np.argmax(np.where(near, perp, -1.0), axis=1)
    rows = np.arange(len(flat))
    sign = np.sign(cross[rows, k]) * customer_side
    return (dist[rows, k] * np.where(sign == 0, 1.0, sign)).reshape(p.shape[:-1])


def polyline_side(floor_xy_m: np.ndarray, polyline_m: np.ndarray) -> int:
    """+1 when a floor point lies left of the polyline (walked first → last point, seen from above), -1 when right,
    0 when on it (within 1 mm)."""
    d = float(distance_to_polyline_m(floor_xy_m, polyline_m, 1))
    if abs(d) < 1e-3:
        return 0
    return 1 if d > 0 else -1


def offset_polyline_m(polyline_m: np.ndarray, distance_m: float, customer_side: int = 1) -> np.ndarray:
    """Points (K, 2) in metres, in order, of the curve at ``distance_m`` from the polyline on the customer side (the
    iso-line of :func:`distance_to_polyline_m`, with round ends): e.g. the 2 m line in front of the counter."""
    poly = np.asarray(polyline_m, dtype=float)
    u = np.diff(poly, axis=0)
    u /= np.linalg.norm(u, axis=1, keepdims=True)
    normals = customer_side * np.column_stack([-u[:, 1], u[:, 0]])     # left normal × side
    pieces: list[np.ndarray] = []

    def arc(centre: np.ndarray, v0: np.ndarray, v1: np.ndarray) -> np.ndarray:
        a0 = np.arctan2(v0[1], v0[0])
        delta = np.arctan2(v0[0] * v1[1] - v0[1] * v1[0], float(v0 @ v1))
        n = max(2, int(np.ceil(abs(delta) * distance_m / OFFSET_SAMPLE_STEP_M)) + 1)
        ang = a0 + np.linspace(0.0, delta, n)
        return centre + distance_m * np.column_stack([np.cos(ang), np.sin(ang)])

    pieces.append(arc(poly[0], -u[0], normals[0]))
    for i in range(len(u)):
        length = float(np.linalg.norm(poly[i + 1] - poly[i]))
        n = max(2, int(np.ceil(length / OFFSET_SAMPLE_STEP_M)) + 1)
        s = np.linspace(0.0, 1.0, n)[:, None]
        pieces.append(poly[i] + s * (poly[i + 1] - poly[i]) + distance_m * normals[i])
        if i + 1 < len(u):
            pieces.append(arc(poly[i + 1], normals[i], normals[i + 1]))
    pieces.append(arc(poly[-1], normals[-1], u[-1]))
    pts = np.vstack(pieces)
    d = distance_to_polyline_m(pts, poly, customer_side)
    keep = d >= distance_m * (1.0 - 1e-6) - 1e-9
    return pts[keep]


# ----------------------------------------------------------------------------------------------------------------
# People
# ----------------------------------------------------------------------------------------------------------------


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
