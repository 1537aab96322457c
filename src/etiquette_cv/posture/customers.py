"""Customers' floor positions and distances to the counter over time, one series per track."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..geometry.calibration import Counter
from ..geometry.camera import CameraModel
from ..geometry.floor import person_floor_position
from ..geometry.polyline import distance_to_polyline_m


@dataclass
class CustomerSeries:
    """One customer track's floor position and distance to the counter over time."""

    track_id: int
    t_s: np.ndarray
    frame_index: np.ndarray
    floor_xy_m: np.ndarray
    """(N, 2) floor position, NaN where unknown."""
    distance_m: np.ndarray
    """Signed distance to the counter edge (positive on the customer side), NaN where unknown."""
    confidence: np.ndarray
    measured: np.ndarray | None = None
    """bool (N,): the point was measured, not filled into a short gap of the track (:mod:`..people.gaps`); None:
    all measured."""


CUSTOMER_ROLES = ("customer", "waiting")


def measure_customers(frames: list, camera: CameraModel, counter: Counter,
                      roles: tuple[str, ...] = CUSTOMER_ROLES) -> list[CustomerSeries]:
    """Per customer track: floor position and signed distance to the counter edge (metres) over time.

    The people stage's floor point is used where the tracks have one; else the landmarks' floor position."""
    by_track: dict[int, list[tuple[float, int, np.ndarray, float]]] = {}
    for f in frames:
        for p in f.persons:
            if p.role not in roles:
                continue
            if p.floor_xy_m is not None:
                xy, conf = np.asarray(p.floor_xy_m, float), 1.0 if p.floor_source == "feet" else 0.5
            elif (pos := person_floor_position(p, camera)) is not None:
                xy, conf = np.asarray(pos.xy_m, float), float(pos.confidence)
            else:
                xy, conf = np.array([np.nan, np.nan]), 0.0
            by_track.setdefault(p.track_id, []).append((f.timestamp_s, f.frame_index, xy, conf,
                                                         not p.interpolated))
    out = []
    for tid, rows in sorted(by_track.items()):
        t = np.array([r[0] for r in rows])
        xy = np.array([r[2] for r in rows])
        dist = np.array([float(distance_to_polyline_m(p, counter.edge_m, counter.customer_side))
                         if np.all(np.isfinite(p)) else np.nan for p in xy])
        out.append(CustomerSeries(tid, t, np.array([r[1] for r in rows]), xy, dist, np.array([r[3] for r in rows]),
                                  np.array([r[4] for r in rows], bool)))
    return out
