"""The 2 m cues bounded from when the customer stops at the counter and walks off again, without a floor calibration.

A phone on a tripod beside the counter rarely sees the customer cross 2 m: in the role-play set's uncalibrated clips
the customer comes into view 1.5–2.8 s after crossing, already a step from the counter. What the image does show
is when they stop there (their nose and shoulders come to rest for a while) and when they walk off. A customer who
stops at the counter crossed 2 m before stopping, and at no less than a slow walking speed: between ``max_lead_s``
before the stop and the stop itself (``max_lead_s`` = (near distance − nearest stop) / slowest walk + the delay of
reading the stop; the rulebook's ``measurement.trainee`` ``arrival_*`` keys). Leaving mirrors it: between walking
off and ``max_lead_s`` after. The scoring engine grades a step timed from such a cue only when its verdict is the
same wherever in that span the crossing was (:func:`~.scoring.score_attempt`), and says "not assessable" with the
span otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..core import FramePoses
from ..posture.filters import rolling_median
from ..timeseries import finite_runs


@dataclass(frozen=True)
class ArrivalSettings:
    """How a customer's stop at the counter is read from the image, and what bounds the crossing (the rulebook's
    ``measurement.trainee`` ``arrival_*`` keys and ``measurement.customer.near_m``)."""

    still_speed: float = 0.15
    """A person whose nose and shoulders move less than this many of their box heights per second is at rest."""
    min_still_s: float = 2.0
    """A rest this long is a stop (shorter: a pause on the way, a turn)."""
    smooth_s: float = 1.0
    """The image points are median-filtered over this window first (the detector's and the landmarker's alternate)."""
    lag_s: float = 0.5
    """Motion is measured between samples this far apart."""
    start_margin_s: float = 1.0
    """A customer at rest within this long of the recording's start was there before it: that rest is no arrival."""
    min_visibility: float = 0.5
    """Landmarks seen at least this well are used."""
    approach_s: float = 3.0
    """A stop is an arrival when, within this long before it, the person came into the picture (after the
    recording's start) …"""
    approach_shift: float = 0.5
    """… or moved across it by at least this many box heights: a clerk rising behind the counter (a trainee taken
    for somebody else) moves up and down, not across, and never counts as a customer arriving."""
    near_m: float = 2.0
    """The near distance the cue is about (metres from the counter)."""
    nearest_stop_m: float = 0.3
    """A customer stops no nearer the counter than this (metres) …"""
    slowest_walk_m_s: float = 0.5
    """… and walks from the near distance to there no slower than this (metres per second) …"""
    settle_s: float = 1.0
    """… and the stop is read up to this late (the median window, the motion lag, the detector picking them up)."""

    def __post_init__(self) -> None:
        for name in ("still_speed", "min_still_s", "lag_s", "slowest_walk_m_s"):
            if not getattr(self, name) > 0:
                raise ValueError(f"arrival {name} must be > 0, got {getattr(self, name)}")
        if not 0 <= self.nearest_stop_m < self.near_m:
            raise ValueError(f"arrival nearest_stop_m must lie in [0, near_m = {self.near_m}), "
                             f"got {self.nearest_stop_m}")

    @property
    def max_lead_s(self) -> float:
        """The longest a crossing of the near distance can precede the stop read (seconds)."""
        return (self.near_m - self.nearest_stop_m) / self.slowest_walk_m_s + self.settle_s


@dataclass(frozen=True)
class ArrivalCues:
    """The customer's stop and walk-off and the spans the 2 m crossings lie in (seconds)."""

    customer_id: int
    arrive_s: float
    near_s: tuple[float, float]
    depart_s: float | None = None
    leave_s: tuple[float, float] | None = None


_UPPER_BODY = (0, 11, 12)
"""Nose and shoulders (BlazePose indices): seen above a counter that hides the rest."""


def _upper_body_series(frames: list[FramePoses], track_id: int, min_visibility: float
                       ) -> tuple[np.ndarray, np.ndarray, float]:
    """Times (s), (N, 2) image points (pixels) of one person's nose and shoulders (their mean; the top centre of
    their box where none is seen) and their median box height (pixels: the scale motion is measured in)."""
    t, rows, heights = [], [], []
    for f in frames:
        p = next((q for q in f.persons if q.track_id == track_id), None)
        if p is None:
            continue
        seen = np.minimum(p.visibility, p.presence)[list(_UPPER_BODY)] >= min_visibility
        if p.box_xyxy_px is not None:
            heights.append(float(p.box_xyxy_px[3] - p.box_xyxy_px[1]))
        if seen.any():
            rows.append(np.asarray(p.image_xy_px, float)[list(_UPPER_BODY)][seen].mean(axis=0))
        elif p.box_xyxy_px is not None:
            x0, y0, x1, _ = (float(v) for v in p.box_xyxy_px)
            rows.append(np.array([(x0 + x1) / 2, y0]))
        else:
            continue
        t.append(f.timestamp_s)
    scale = float(np.median(heights)) if heights else np.nan
    return np.asarray(t, float), np.asarray(rows, float).reshape(len(rows), 2), scale


def body_speed(t_s: np.ndarray, points: np.ndarray, scale_px: float, s: ArrivalSettings) -> np.ndarray:
    """How fast a person's upper body moves in the image, in their (median) box heights per second, between
    samples ``lag_s`` apart after a median over ``smooth_s``; NaN where no sample lies near ``lag_s`` away."""
    speed = np.full(len(t_s), np.nan)
    if len(t_s) == 0 or not scale_px > 0:
        return speed
    smooth = np.column_stack([rolling_median(t_s, points[:, k], s.smooth_s) for k in range(2)])
    for i, t in enumerate(t_s):
        back = int(np.searchsorted(t_s, t - s.lag_s))
        j = back if back < i and t - t_s[back] <= 1.6 * s.lag_s else None
        if j is None:   # the first samples: measured forward
            ahead = int(np.searchsorted(t_s, t + s.lag_s))
            j = ahead if ahead < len(t_s) and t_s[ahead] - t <= 1.6 * s.lag_s else None
        if j is not None and t_s[j] != t:
            speed[i] = float(np.hypot(*(smooth[i] - smooth[j]))) / scale_px / abs(t - t_s[j])
    return speed


def rest_spells(t_s: np.ndarray, speed: np.ndarray, s: ArrivalSettings) -> list[tuple[float, float]]:
    """Stretches (start, end seconds) where a person rests (:func:`body_speed` below ``still_speed``, no gap in the
    samples over ``lag_s``) for at least ``min_still_s``."""
    still = np.where(np.nan_to_num(speed, nan=np.inf) < s.still_speed, 1.0, np.nan)
    return [(float(t_s[a]), float(t_s[b - 1])) for a, b in finite_runs(t_s, still, s.lag_s)
            if t_s[b - 1] - t_s[a] >= s.min_still_s]


def _approached(t_s: np.ndarray, points: np.ndarray, scale_px: float, stop_s: float, t0: float,
                s: ArrivalSettings) -> bool:
    """Whether a person who stopped at ``stop_s`` came there (:attr:`ArrivalSettings.approach_s`): first seen after
    the recording's start and not long before, or seen moving across the picture shortly before."""
    if len(t_s) == 0:
        return False
    if t_s[0] - t0 >= s.start_margin_s and stop_s - t_s[0] <= s.approach_s:
        return True
    before = (t_s >= stop_s - s.approach_s) & (t_s <= stop_s)
    xs = points[before, 0]
    return len(xs) > 1 and scale_px > 0 and float(np.ptp(xs)) / scale_px >= s.approach_shift


def arrival_cues(frames: list[FramePoses], trainee_id: int, s: ArrivalSettings) -> ArrivalCues | None:
    """The first customer (anybody but the trainee) to come into the picture or across it and stop, after the
    recording's start, with the span their 2 m crossing lies in, and when they walked off again if they did (module
    docstring); None when nobody did."""
    if not frames:
        return None
    t0, t_end = frames[0].timestamp_s, frames[-1].timestamp_s
    best: ArrivalCues | None = None
    for tid in sorted({p.track_id for f in frames for p in f.persons} - {trainee_id}):
        t, points, scale = _upper_body_series(frames, tid, s.min_visibility)
        spells = rest_spells(t, body_speed(t, points, scale, s), s)
        spells = [sp for sp in spells if sp[0] - t0 >= s.start_margin_s]   # at rest from the start: not arriving
        arrivals = [sp for sp in spells if _approached(t, points, scale, sp[0], t0, s)]
        if not arrivals:
            continue
        arrive = arrivals[0][0]
        if best is not None and arrive >= best.arrive_s:
            continue
        depart = spells[-1][1]
        if t_end - depart < s.start_margin_s:     # still there at the end (or lost just before it)
            best = ArrivalCues(tid, arrive, (arrive - s.max_lead_s, arrive))
        else:
            best = ArrivalCues(tid, arrive, (arrive - s.max_lead_s, arrive), depart, (depart, depart + s.max_lead_s))
    return best
