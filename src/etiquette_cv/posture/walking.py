"""Where a station's clerk went on the floor and how fast: the path behind the running rule (DB 表4 走姿,
"非险情、重大事件出现,禁止随意跑跳").

The path follows every track that was the station's clerk, also where it left the station (to the printer, to
guide a customer): its floor points (metres, the calibration's floor frame) over time. A single floor point is
10 cm off at the median and more when a walker's feet are hidden, and a landmarker that slides onto somebody else,
or a track that takes another person's id over, moves it by metres in one frame; so the path is cut at such jumps
and at gaps, median-filtered, and its speed is the slope of a straight-line fit over a whole window
(``benchmarks/walking.py`` measured the choices on the people set's tuning clips: see the README).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.ndimage import median_filter

from ..core import FramePoses


@dataclass(frozen=True)
class WalkingSettings:
    """How a clerk's floor path is read (metres, seconds), from the rulebook's ``measurement.walking``."""

    smooth_samples: int = 5
    """Floor points median-filtered over this many samples (odd) before the speed is fitted."""
    max_speed_m_s: float = 6.0
    jump_noise_m: float = 0.3
    """Two consecutive floor points further apart than ``max_speed_m_s`` times their interval plus this are a jump
    (a landmarker on somebody else, an id taken over), not a movement: the path is cut there."""
    max_gap_s: float = 1.0
    """… and where the clerk was unseen longer than this."""
    min_clerk_s: float = 2.0
    """A track is the station's clerk when it held the clerk role at that station at least this long …"""
    join_gap_s: float = 0.5
    join_m: float = 0.5
    """… and so is a track that starts (or ends) at most ``join_gap_s`` after (before) one of theirs ends (starts),
    within ``join_m`` plus ``max_speed_m_s`` times the gap of it, first seen behind the counter away from the
    stations (role ``other``) or at this station: a clerk who runs is lost by the tracker (its floor squares no
    longer overlap from one frame to the next), and a new track away from a station never takes a clerk's id over."""


@dataclass
class FloorPath:
    """A station's clerk's floor path: one sample per frame in which one of their tracks was seen with a floor
    point, in time order, in pieces without a jump or a gap."""

    t_s: np.ndarray
    frame_index: np.ndarray
    track_id: np.ndarray
    floor_xy_m: np.ndarray
    """(N, 2) median-filtered floor points, metres."""
    piece: np.ndarray
    """(N,) int: which unbroken piece a sample belongs to."""

    def __len__(self) -> int:
        return len(self.t_s)


def clerk_track_ids(frames: list[FramePoses], station: str, min_s: float) -> list[int]:
    """The track ids that held the clerk role at ``station`` for at least ``min_s`` seconds (each sample counts the
    time to the track's next sample there, at most one second)."""
    seen: dict[int, list[float]] = {}
    for f in frames:
        for p in f.persons:
            if p.role == "clerk" and p.station == station:
                seen.setdefault(p.track_id, []).append(f.timestamp_s)
    held = {}
    for tid, times in seen.items():
        t = np.asarray(times)
        held[tid] = float(np.minimum(np.diff(t), 1.0).sum()) if len(t) > 1 else 0.0
    return sorted(tid for tid, s in held.items() if s >= min_s)


@dataclass
class _Runs:
    """One track's unbroken runs (no gap longer than ``max_gap_s``): where each starts and ends (s, metres)."""

    starts: list[tuple[float, np.ndarray]]
    ends: list[tuple[float, np.ndarray]]
    joinable: bool
    """Whether its first sample may be a clerk's (behind the counter away from the stations, or at the station)."""


def _track_runs(frames: list[FramePoses], station: str, max_gap_s: float) -> dict[int, _Runs]:
    """Every track's runs of floor points (see :class:`_Runs`)."""
    runs: dict[int, _Runs] = {}
    last: dict[int, tuple[float, np.ndarray]] = {}
    for f in frames:
        for p in f.persons:
            if p.floor_xy_m is None or not np.all(np.isfinite(p.floor_xy_m)):
                continue
            xy, tid = np.asarray(p.floor_xy_m, float), p.track_id
            r = runs.get(tid)
            if r is None:
                r = runs[tid] = _Runs([], [], p.role == "other" or (p.role == "clerk" and p.station == station))
            if tid not in last or f.timestamp_s - last[tid][0] > max_gap_s:
                if tid in last:
                    r.ends.append(last[tid])
                r.starts.append((f.timestamp_s, xy))
            last[tid] = (f.timestamp_s, xy)
    for tid, end in last.items():
        runs[tid].ends.append(end)
    return runs


def clerk_path_track_ids(frames: list[FramePoses], station: str, s: WalkingSettings) -> list[int]:
    """The tracks of the station's clerk (:func:`clerk_track_ids`) and those joined to them (see
    ``WalkingSettings.join_gap_s``), in id order."""
    chain = set(clerk_track_ids(frames, station, s.min_clerk_s))
    runs = _track_runs(frames, station, s.max_gap_s)

    def follows(a: _Runs, b: _Runs) -> bool:
        """Whether a run of ``b`` starts soon after, and near where, a run of ``a`` ends."""
        return any(0 < tb - ta <= s.join_gap_s and float(np.linalg.norm(xb - xa)) <= s.join_m + s.max_speed_m_s *
                   (tb - ta) for ta, xa in a.ends for tb, xb in b.starts)

    grown = True
    while grown:
        grown = False
        for tid, b in runs.items():
            if tid in chain or not b.joinable:
                continue
            if any(follows(runs[a], b) or follows(b, runs[a]) for a in chain if a in runs):
                chain.add(tid)
                grown = True
    return sorted(chain)


def _pieces(t_s: np.ndarray, xy: np.ndarray, s: WalkingSettings) -> list[np.ndarray]:
    """Index runs of a path's samples with no gap longer than ``max_gap_s`` and no jump (see the settings)."""
    if len(t_s) == 0:
        return []
    dt = np.diff(t_s)
    step = np.linalg.norm(np.diff(xy, axis=0), axis=1)
    cut = (dt > s.max_gap_s) | (step > s.max_speed_m_s * dt + s.jump_noise_m)
    return np.split(np.arange(len(t_s)), np.flatnonzero(cut) + 1)


def floor_path(frames: list[FramePoses], track_ids: list[int], s: WalkingSettings) -> FloorPath:
    """One floor path through the people with these track ids (every frame one of them was seen with a floor point,
    whatever their role then; where several were, the one nearest the path's last point), cut into pieces at gaps
    and jumps and median-filtered piece by piece. One track after another makes one path: a clerk who runs is
    often lost by the tracker mid-run and found again under a new id. Points filled into a track's gap
    (:mod:`..people.gaps`) are left out, as nothing is measured from them (tuning t121, a seated clerk in a side view
    whose floor point moved across a gap: her fastest second read 1.81 m/s with them, 1.50 without; truth 0.58)."""
    wanted = set(track_ids)
    t_s, index, ids, points = [], [], [], []
    for f in frames:
        here = [p for p in f.persons if p.track_id in wanted and p.floor_xy_m is not None
                and not p.interpolated and np.all(np.isfinite(p.floor_xy_m))]
        if not here:
            continue
        last = points[-1] if points else None
        p = here[0] if last is None else min(here, key=lambda q: float(np.linalg.norm(q.floor_xy_m - last)))
        t_s.append(f.timestamp_s)
        index.append(f.frame_index)
        ids.append(p.track_id)
        points.append(np.asarray(p.floor_xy_m, float))
    if not points:
        return FloorPath(np.zeros(0), np.zeros(0, int), np.zeros(0, int), np.zeros((0, 2)), np.zeros(0, int))
    t, xy = np.asarray(t_s, float), np.array(points)
    piece = np.zeros(len(t), int)
    for k, run in enumerate(_pieces(t, xy, s)):
        piece[run] = k
        if s.smooth_samples > 1 and len(run) > 1:
            xy[run] = np.column_stack([median_filter(xy[run, c], size=s.smooth_samples, mode="nearest")
                                       for c in (0, 1)])
    return FloorPath(t, np.asarray(index, int), np.asarray(ids, int), xy, piece)


def sustained_speed_m_s(path: FloorPath, window_s: float, min_samples: int = 3) -> tuple[np.ndarray, np.ndarray]:
    """Per sample: the speed (m/s) of a straight-line fit to the floor points from that sample over the next
    ``window_s`` seconds of its piece, and where that window ends (s); NaN where the piece ends sooner or the window
    holds fewer than ``min_samples`` samples."""
    speed = np.full(len(path), np.nan)
    end = np.full(len(path), np.nan)
    for k in np.unique(path.piece):
        idx = np.flatnonzero(path.piece == k)
        v, e = _window_slopes(path.t_s[idx], path.floor_xy_m[idx], window_s, min_samples)
        speed[idx], end[idx] = v, e
    return speed, end


def _window_slopes(t: np.ndarray, xy: np.ndarray, window_s: float, min_samples: int
                   ) -> tuple[np.ndarray, np.ndarray]:
    """Least-squares speed over each sample's window (see :func:`sustained_speed_m_s`) of one piece, summed offset by
    offset across all windows at once, each window's times and points taken from its own first sample (precise over
    a whole day's piece)."""
    n = len(t)
    first = np.arange(n)
    last = np.searchsorted(t, t + window_s - 1e-9)   # the first sample at least window_s later closes the window
    ok = (last < n) & (last - first + 1 >= min_samples)
    if not ok.any():
        return np.full(n, np.nan), np.full(n, np.nan)
    last = np.minimum(last, n - 1)
    sums = np.zeros((7, n))   # count, Σt, Σt², Σx, Σy, Σtx, Σty
    for k in range(int((last - first + 1)[ok].max())):
        at = np.minimum(first + k, n - 1)
        inside = ok & (first + k <= last)
        dt = np.where(inside, t[at] - t, 0.0)
        dx = np.where(inside, xy[at, 0] - xy[:, 0], 0.0)
        dy = np.where(inside, xy[at, 1] - xy[:, 1], 0.0)
        sums += np.array([inside, dt, dt * dt, dx, dy, dt * dx, dt * dy], float)
    c, st, stt, sx, sy, stx, sty = sums
    with np.errstate(invalid="ignore", divide="ignore"):
        den = c * stt - st * st
        vx, vy = (c * stx - st * sx) / den, (c * sty - st * sy) / den
    speed = np.where(ok & (den > 0), np.hypot(vx, vy), np.nan)
    return speed, np.where(np.isfinite(speed), t[last], np.nan)


def faster_than(path: FloorPath, speed: np.ndarray, until: np.ndarray, limit_m_s: float
                ) -> list[tuple[float, float, float, int]]:
    """The stretches (start s, end s, fastest speed m/s, the sample whose window was fastest) where windows of
    :func:`sustained_speed_m_s` read faster than ``limit_m_s``, overlapping windows joined."""
    merged: list[list] = []
    fast = np.flatnonzero(np.isfinite(speed) & (speed > limit_m_s))
    for i in sorted(fast, key=lambda k: path.t_s[k]):
        a, b, v = float(path.t_s[i]), float(until[i]), float(speed[i])
        if merged and a <= merged[-1][1]:
            last = merged[-1]
            last[1] = max(last[1], b)
            if v > last[2]:
                last[2], last[3] = v, int(i)
        else:
            merged.append([a, b, v, int(i)])
    return [tuple(m) for m in merged]
