"""Signal filters of posture series sampled at times ``t_s`` (seconds): zero-phase low-pass, rolling spread."""

from __future__ import annotations

import numpy as np

from ..timeseries import finite_runs, median_step_s

FILTER_ORDER = 2
"""Order of the Butterworth low-pass (run forward and backward: zero phase, effective order 4)."""
MIN_FILTER_SAMPLES = 10
"""Stretches shorter than this are returned unfiltered (odd-reflection padding needs 9 samples)."""
PAD_SAMPLES = 9


def lowpass(t_s: np.ndarray, values: np.ndarray, cutoff_hz: float = 2.0, max_gap_s: float = 0.35) -> np.ndarray:
    """Zero-phase Butterworth low-pass (2nd order, ``cutoff_hz``) of a series sampled at times ``t_s`` (s), run
    separately on each stretch without gaps at that stretch's own sampling rate (an adaptive analysis rate mixes
    rates; the result of a stretch does not depend on what else is in the series); stretches too short to filter,
    or sampled too slowly for the cutoff, are returned unchanged. NaN stays NaN."""
    out = np.array(values, dtype=float)
    if len(out) < 2:
        return out
    from scipy.signal import butter, filtfilt  # ~30 MB: loaded when grading, not while the models run

    t = np.asarray(t_s, dtype=float)
    for start, end in finite_runs(t, out, max_gap_s):
        if end - start < MIN_FILTER_SAMPLES:
            continue
        dt = median_step_s(t[start:end])
        rate_hz = 1.0 / dt if dt > 0 else np.inf
        if cutoff_hz >= rate_hz / 2:
            continue
        b, a = butter(FILTER_ORDER, cutoff_hz, fs=rate_hz)
        out[start:end] = filtfilt(b, a, out[start:end], padtype="odd", padlen=PAD_SAMPLES)
    return out


def rolling_std(t_s: np.ndarray, values: np.ndarray, window_s: float, min_fraction: float = 0.8) -> np.ndarray:
    """Standard deviation of the values within ±window_s/2 of each sample; NaN where fewer than ``min_fraction``
    of the window's samples (and fewer than 5) are finite."""
    v = np.asarray(values, dtype=float)
    out = np.full(len(v), np.nan)
    lo = np.searchsorted(t_s, t_s - window_s / 2)
    hi = np.searchsorted(t_s, t_s + window_s / 2, side="right")
    for i in range(len(v)):
        seg = v[lo[i]:hi[i]]
        fin = seg[np.isfinite(seg)]
        if len(fin) >= max(5, min_fraction * len(seg)) and np.isfinite(v[i]):
            out[i] = float(np.std(fin))
    return out


def rolling_median(t_s: np.ndarray, values: np.ndarray, window_s: float) -> np.ndarray:
    """Median of the finite values within ±window_s/2 of each finite sample (NaN stays NaN): a sample's glitch
    among steady neighbours is outvoted, a change lasting over half the window is kept."""
    v = np.asarray(values, dtype=float)
    out = np.full(len(v), np.nan)
    lo = np.searchsorted(t_s, t_s - window_s / 2)
    hi = np.searchsorted(t_s, t_s + window_s / 2, side="right")
    for i in np.flatnonzero(np.isfinite(v)):
        seg = v[lo[i]:hi[i]]
        out[i] = float(np.median(seg[np.isfinite(seg)]))
    return out


def above_own_median(values: np.ndarray, mask: np.ndarray, min_samples: int = 10) -> np.ndarray:
    """``values`` minus their median over ``mask`` (NaN everywhere when fewer than ``min_samples`` are finite)."""
    v = np.asarray(values, dtype=float)
    ref = v[mask & np.isfinite(v)]
    if len(ref) < min_samples:
        return np.full(len(v), np.nan)
    return v - float(np.median(ref))


def _swings(y: np.ndarray, min_swing: float) -> list[float]:
    """Sizes (in the unit of ``y``) of the alternating moves between turning points of ``y`` (finite values in
    order), a turning point counting once the value has come back from it by ``min_swing``: jitter below that is no
    swing."""
    swings: list[float] = []
    if len(y) < 2:
        return swings
    anchor = ext = float(y[0])
    direction = 0
    for v in y[1:]:
        if direction >= 0 and v > ext or direction <= 0 and v < ext:
            ext = float(v)
            if direction == 0 and abs(ext - anchor) >= min_swing:
                direction = 1 if ext > anchor else -1
        elif abs(v - ext) >= min_swing:   # turned back: the move to ``ext`` is a swing
            if direction != 0:
                swings.append(abs(ext - anchor))
            direction = -1 if v < ext else 1
            anchor, ext = ext, float(v)
    if direction != 0 and abs(ext - anchor) >= min_swing:
        swings.append(abs(ext - anchor))
    return swings


def swing_width(t_s: np.ndarray, values: np.ndarray, window_s: float, min_swing: float, min_swings: int,
                max_speed_per_s: float, min_samples: int = 6) -> np.ndarray:
    """Per sample, how widely ``values`` swing back and forth there (in their own unit: degrees of a head's turn or
    a forearm's tilt, upper-arm lengths of a wrist's height): the median size of the alternating moves within
    ±``window_s``/2 when there are at least ``min_swings`` of them, each at least ``min_swing``, else 0.0 — 0.0 too
    when the series jumps faster than ``max_speed_per_s`` between two samples (the landmarks jumped); NaN where the
    window holds fewer than ``min_samples`` finite values or the sample itself is NaN."""
    t = np.asarray(t_s, float)
    y = np.asarray(values, float)
    out = np.full(len(y), np.nan)
    lo = np.searchsorted(t, t - window_s / 2)
    hi = np.searchsorted(t, t + window_s / 2, side="right")
    for i in np.flatnonzero(np.isfinite(y)):
        seg, ts = y[lo[i]:hi[i]], t[lo[i]:hi[i]]
        ok = np.isfinite(seg)
        seg, ts = seg[ok], ts[ok]
        if len(seg) < min_samples:
            continue
        if np.any(np.abs(np.diff(seg)) > max_speed_per_s * np.maximum(np.diff(ts), 1e-3)):
            out[i] = 0.0
            continue
        swings = _swings(seg, min_swing)
        out[i] = float(np.median(swings)) if len(swings) >= min_swings else 0.0
    return out
