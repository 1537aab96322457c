"""Polylines and polygons on the floor (numpy only): distances, sides, offsets, sampling.

Points are (…, 2) floor coordinates in metres (the calibration's floor frame, seen from above, z up); a polyline is
(N, 2) with N >= 2, walked from its first to its last point.
"""

from __future__ import annotations

import numpy as np

OFFSET_SAMPLE_STEP_M = 0.02
"""Spacing of the points of an offset polyline, metres."""
TIE_TOLERANCE_M = 1e-9
"""Segments whose distances to a point differ by less than this are equally near."""


def densify_segment(a: np.ndarray, b: np.ndarray, step: float | None = None, count: int | None = None) -> np.ndarray:
    """Points (n, D) from ``a`` to ``b`` inclusive, at most ``step`` apart (n >= 2), or exactly ``count`` of them."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    n = count if count is not None else max(2, int(np.ceil(np.linalg.norm(b - a) / step)) + 1)
    return a + np.linspace(0.0, 1.0, n)[:, None] * (b - a)


def densify_polyline(points: np.ndarray, step: float | None = None, closed: bool = False,
                     count: int | None = None) -> np.ndarray:
    """A polyline (N, D) resampled so consecutive points are at most ``step`` apart (or ``count`` points per
    segment); ``closed`` also samples the segment from the last point back to the first. Works in any dimension
    and unit (metres on the floor, metres in the world)."""
    pts = np.asarray(points, dtype=float)
    if closed:
        pts = np.vstack([pts, pts[:1]])
    return np.vstack([densify_segment(a, b, step, count) for a, b in zip(pts[:-1], pts[1:])])


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
        pieces.append(densify_segment(poly[i], poly[i + 1], OFFSET_SAMPLE_STEP_M) + distance_m * normals[i])
        if i + 1 < len(u):
            pieces.append(arc(poly[i + 1], normals[i], normals[i + 1]))
    pieces.append(arc(poly[-1], normals[-1], u[-1]))
    pts = np.vstack(pieces)
    d = distance_to_polyline_m(pts, poly, customer_side)
    keep = d >= distance_m * (1.0 - 1e-6) - 1e-9
    return pts[keep]


def side_normal(point_xy_m: np.ndarray, polyline_m: np.ndarray, customer_side: int) -> np.ndarray:
    """Unit floor vector at right angles to the polyline segment nearest ``point_xy_m``, pointing to the customer
    side (+1 = left of the polyline walked first → last point): e.g. which way a clerk at a station faces."""
    p = np.asarray(point_xy_m, dtype=float)
    best, best_d = None, np.inf
    for a, b in zip(polyline_m[:-1], polyline_m[1:]):
        ab = b - a
        u = np.clip((p - a) @ ab / (ab @ ab), 0.0, 1.0)
        d = np.linalg.norm(p - (a + u * ab))
        if d < best_d:
            best, best_d = ab / np.linalg.norm(ab), d
    left = np.array([-best[1], best[0]])
    return left * (1.0 if customer_side > 0 else -1.0)


def points_in_polygon(points_xy: np.ndarray, polygon: np.ndarray) -> np.ndarray:
    """(N,) bool: which of the points (N, 2) lie inside the closed polygon (K, 2) (even-odd rule, same units); NaN
    points are outside."""
    pts = np.asarray(points_xy, float).reshape(-1, 2)
    poly = np.asarray(polygon, float).reshape(-1, 2)
    x, y = pts[:, 0:1], pts[:, 1:2]
    x0, y0 = poly[:, 0], poly[:, 1]
    x1, y1 = np.roll(x0, -1), np.roll(y0, -1)
    with np.errstate(divide="ignore", invalid="ignore"):
        crosses = ((y0 > y) != (y1 > y)) & (x < x0 + (y - y0) * (x1 - x0) / (y1 - y0))
    return (np.count_nonzero(crosses, axis=1) % 2 == 1) & np.all(np.isfinite(pts), axis=1)


def distance_to_polygon(point_xy: np.ndarray, polygon: np.ndarray) -> float:
    """Distance (same units) from a point (2,) to a closed polygon (K, 2): 0 inside, else to its nearest edge."""
    p = np.asarray(point_xy, float).reshape(2)
    poly = np.asarray(polygon, float).reshape(-1, 2)
    if points_in_polygon(p[None], poly)[0]:
        return 0.0
    a, b = poly, np.roll(poly, -1, axis=0)
    ab = b - a
    u = np.clip(np.einsum("ij,ij->i", p - a, ab) / np.maximum(np.einsum("ij,ij->i", ab, ab), 1e-12), 0.0, 1.0)
    return float(np.min(np.linalg.norm(a + u[:, None] * ab - p, axis=1)))


def polygon_area(polygon: np.ndarray) -> float:
    """Signed area of a polygon (N, 2) by the shoelace formula (positive counter-clockwise), in its unit squared."""
    x, y = polygon[:, 0], polygon[:, 1]
    return 0.5 * float(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1)))


def is_collinear(points: np.ndarray, min_spread_ratio: float) -> bool:
    """Whether a 2-D point set is (nearly) collinear (or a single point): its spread across its best-fit line is
    below ``min_spread_ratio`` of its spread along it."""
    centred = points - points.mean(axis=0)
    s = np.linalg.svd(centred, compute_uv=False)
    return bool(s[0] <= 0 or s[1] / s[0] < min_spread_ratio)
