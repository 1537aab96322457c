"""Events: conditions over time with hysteresis, turning measured series into intervals: bends, approaches.

Every detector here takes arrays aligned on a time axis (seconds) and parameters from the rulebook; none of them
knows about video or landmarks. A single threshold double-counts under jitter, so each condition has an enter
and an exit threshold and a minimum duration.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np

from .posture.gestures import GestureFrames, GestureSettings
from .timeseries import label_runs, median_step_s, true_runs


@dataclass(frozen=True)
class Interval:
    """A stretch of time during which a condition held, with the measured value's extreme inside it."""

    start_s: float
    end_s: float
    peak_value: float
    """The most extreme value reached (max for rising conditions, min for falling ones)."""
    peak_t_s: float
    mean_value: float

    @property
    def duration_s(self) -> float:
        """Length in seconds."""
        return self.end_s - self.start_s


TIME_EPS_S = 1e-6
"""Durations are differences (or sums) of float timestamps and compared with this tolerance: 13.0 - 12.4 is
0.5999999999999996 s, which must pass a 0.6 s minimum; 20 frames at 0.1 s are 2 s, not 1.999999999999993 s."""


def lasts_at_least(duration_s: float, minimum_s: float) -> bool:
    """Whether a duration (seconds, from float timestamps) reaches ``minimum_s``, within :data:`TIME_EPS_S`."""
    return duration_s >= minimum_s - TIME_EPS_S


def lasts_longer_than(duration_s: float, maximum_s: float) -> bool:
    """Whether a duration (seconds, from float timestamps) exceeds ``maximum_s`` by more than :data:`TIME_EPS_S`."""
    return duration_s > maximum_s + TIME_EPS_S


def in_angle_band(angle_deg: float, lo_deg: float, hi_deg: float) -> bool:
    """Whether an angle (degrees) lies in the band [lo_deg, hi_deg] as the findings quote it, in whole degrees: a bow
    reported as "45°" is inside 45–90° even when it measured 44.98°. NaN is in no band."""
    if not math.isfinite(angle_deg):
        return False
    return lo_deg <= round(angle_deg) <= hi_deg


def band_resolvable(angle_deg: float, uncertainty_deg: float, lo_deg: float, hi_deg: float) -> bool:
    """Whether an angle measured with this ± (degrees) can be graded against the band [lo_deg, hi_deg]: a ± interval
    at least as wide as the band cannot tell inside from outside wherever the angle lies (the view cannot resolve
    the class) unless the whole interval misses the band. An unknown ± (NaN) is graded."""
    if not math.isfinite(uncertainty_deg) or 2.0 * uncertainty_deg < hi_deg - lo_deg:
        return True
    return angle_deg + uncertainty_deg < lo_deg or angle_deg - uncertainty_deg > hi_deg


def hysteresis_intervals(t_s: np.ndarray, values: np.ndarray, enter: float, exit: float,
                         min_duration_s: float = 0.0, max_gap_s: float = 0.5,
                         allowed: np.ndarray | None = None) -> list[Interval]:
    """Intervals where ``values`` rose above ``enter`` and had not yet fallen below ``exit`` (``enter > exit``),
    or, when ``enter < exit``, fell below ``enter`` and had not yet risen above ``exit``.

    NaN samples (not measurable) neither start nor end an interval, but a run of NaN or a time gap longer than
    ``max_gap_s`` ends it at the last measured sample. ``allowed`` (bool per sample) gates where the condition may
    hold at all (e.g. only while standing). Intervals shorter than ``min_duration_s`` are dropped.
    """
    rising = enter >= exit
    sign = 1.0 if rising else -1.0
    v = np.asarray(values, dtype=float) * sign
    en, ex = enter * sign, exit * sign
    gate = np.ones(len(v), bool) if allowed is None else np.asarray(allowed, bool)
    out: list[Interval] = []
    start = None
    last_good = None

    def close(end_idx: int) -> None:
        nonlocal start
        seg = slice(start, end_idx + 1)
        vals = v[seg]
        fin = np.isfinite(vals)
        if fin.any():
            k = int(np.nanargmax(np.where(fin, vals, -np.inf)))
            iv = Interval(float(t_s[start]), float(t_s[end_idx]), float(vals[k] * sign), float(t_s[start + k]),
                          float(np.nanmean(vals) * sign))
            if lasts_at_least(iv.duration_s, min_duration_s):
                out.append(iv)
        start = None

    for i in range(len(v)):
        ok = bool(np.isfinite(v[i]))
        if start is not None and (not gate[i] or (ok and v[i] < ex) or t_s[i] - t_s[last_good] > max_gap_s):
            close(last_good)
        if ok:
            if start is None and gate[i] and v[i] > en:
                start = i
            if start is not None:
                last_good = i
    if start is not None:
        close(last_good)
    return out



def state_intervals(t_s: np.ndarray, states: np.ndarray) -> list[tuple[str, float, float]]:
    """Runs of equal state as (state, start s, end s); the end is the next run's start."""
    return [(str(states[a]), float(t_s[a]), float(t_s[b]) if b < len(states) else float(t_s[-1]))
            for a, b in label_runs(states)]


# ----------------------------------------------------------------------------------------------------------------
# Bows and other forward bends
# ----------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BowSettings:
    """Bow detection parameters (rulebook ``bows``)."""

    start_deg: float = 8.0
    end_deg: float = 5.0
    min_duration_s: float = 0.6
    max_duration_s: float = 6.0
    reach_wrist_asymmetry_m: float = 0.15
    """A bend with one wrist this far (metres) below the other through its deepest part is a reach, not a bow."""
    reach_min_flexion_deg: float = 55.0
    reach_hands_ahead_m: float = 0.05
    """A bend at least ``reach_min_flexion_deg`` deep with both hands at least ``reach_hands_ahead_m`` ahead of the
    shoulders around its peak is a reach (two-handed, to the floor), not a bow: in a deep bow the hands stay with the
    body, behind the shoulders. Shallower, MediaPipe puts folded hands as far ahead as a reach's (front views)."""
    max_hidden_s: float = 3.0
    """A bend whose trunk goes out of sight (e.g. behind the counter in a deep bow) for up to this long stays one
    bend, marked ``peak_hidden``."""
    lean_min_duration_s: float = 2.0
    """A bend with a hand resting on the counter top is a lean on it, not a bow, when it lasts at least this long (a
    lean is held: the lean rule's own minimum); shorter, it is a bow made with the hands resting on the desk."""
    max_rate_deg_s: float = 250.0
    """A bend whose flexion changes faster than this anywhere in it (degrees per second, between measured samples)
    is a pose glitch, not a movement of the body (kind ``glitch``)."""


@dataclass(frozen=True)
class Bend:
    """A forward bend of the trunk while standing: a bow, a reach (one hand far below the other), a lean on the
    counter or a long bend."""

    start_s: float
    end_s: float
    peak_t_s: float
    peak_deg: float
    hold_s: float
    """Time spent within 20 % of the peak angle."""
    kind: str
    """``bow`` | ``reach`` | ``lean`` (a hand resting on the counter) | ``long`` (held longer than a bow: a
    stoop) | ``glitch`` (faster than a body bends, or a peak read on one frame alone: a pose error) |
    ``unfinished`` (the trunk was not seen to come back up before the measurements ended: peak and kind unknown)."""
    peak_hidden: bool
    """The trunk was out of sight during the bend: the true peak may be deeper than ``peak_deg``."""
    peak_uncertainty_deg: float = float("nan")
    """± of ``peak_deg`` from the view at the peak (NaN when unknown)."""
    arms_seen: bool = True
    """The wrists (or elbows) were seen around the peak: a one-handed reach could have been told apart."""

    @property
    def duration_s(self) -> float:
        """Length in seconds."""
        return self.end_s - self.start_s


def _fastest_change_deg_s(t_s: np.ndarray, values: np.ndarray, inside: np.ndarray) -> float:
    """The fastest change (units per second) between consecutive measured samples of ``values`` over the samples
    ``inside`` and the nearest measured one on either side of them (the rise into the interval begins before it,
    also when the frames just before it were not measured: a pose that jumps from upright to a deep bend across
    a missed frame is no faster a body than one that jumps between two frames)."""
    idx = np.flatnonzero(inside)
    if len(idx) == 0:
        return 0.0
    measured = np.isfinite(values)
    before = np.flatnonzero(measured[:idx[0]])
    after = np.flatnonzero(measured[idx[-1] + 1:])
    lo = int(before[-1]) if len(before) else int(idx[0])
    hi = int(idx[-1]) + 1 + (int(after[0]) + 1 if len(after) else 0)
    seg = slice(lo, hi)
    t, v = t_s[seg], values[seg]
    ok = np.isfinite(v)
    if ok.sum() < 2:
        return 0.0
    return float(np.max(np.abs(np.diff(v[ok]) / np.maximum(np.diff(t[ok]), 1e-9))))


def _isolated(values: np.ndarray, k: int) -> bool:
    """Whether sample ``k`` is measured but neither sample beside it is: one frame's pose with no measured frame
    either side cannot be told from a pose error (tuning t115: a 64° reading between 2.7 s of unmeasured frames
    made a greeting bow an apology)."""
    measured = np.isfinite(values)
    return bool(measured[k]) and not (k > 0 and measured[k - 1]) and not (k + 1 < len(values) and measured[k + 1])


def detect_bends(t_s: np.ndarray, flexion_deg: np.ndarray, standing: np.ndarray,
                 wrist_asymmetry_m: np.ndarray | None = None, settings: BowSettings = BowSettings(),
                 uncertainty_deg: np.ndarray | None = None, hands_ahead_m: np.ndarray | None = None,
                 hands_on_counter: np.ndarray | None = None) -> list[Bend]:
    """Forward bends of a standing person from the trunk-flexion series (degrees), with hysteresis; each with the
    ± of its peak from ``uncertainty_deg`` (per sample) when given. A bend with a hand resting on the counter top
    (``hands_on_counter``, 1/0/NaN per sample) through most of its deepest part, held ``lean_min_duration_s`` or
    longer, is a lean on the counter, not a bow."""
    out = []
    for iv in hysteresis_intervals(t_s, flexion_deg, settings.start_deg, settings.end_deg,
                                   settings.min_duration_s, max_gap_s=settings.max_hidden_s, allowed=standing):
        inside = (t_s >= iv.start_s) & (t_s <= iv.end_s)
        vals = flexion_deg[inside]
        hidden = bool(np.any(~np.isfinite(vals)))
        near_peak = inside & (flexion_deg >= 0.8 * iv.peak_value)
        t_in = t_s[inside]   # the bend's own sampling interval (an adaptive rate mixes rates)
        dt = next((d for d in (median_step_s(t_in), median_step_s(t_s)) if np.isfinite(d)), 0.1)
        hold = float(near_peak.sum() * dt)
        kind = "bow"
        arms_seen = wrist_asymmetry_m is not None
        if _fastest_change_deg_s(t_s, flexion_deg, inside) > settings.max_rate_deg_s \
                or _isolated(flexion_deg, int(np.searchsorted(t_s, iv.peak_t_s))):
            kind = "glitch"
        elif lasts_longer_than(iv.duration_s, settings.max_duration_s):
            kind = "long"
        elif not np.isfinite(flexion_deg[t_s > iv.end_s]).any():
            # never seen to come back up: the video ended during it (or the trunk was never measured again), so
            # neither its peak nor whether it was a bow, a sit-down or a stoop is known (tuning t105: a clerk
            # sitting down in the clip's last 0.8 s, read as a 33° bow)
            kind = "unfinished"
        elif wrist_asymmetry_m is not None:
            asym = wrist_asymmetry_m[inside & (flexion_deg >= 0.5 * iv.peak_value)]
            arms_seen = bool(np.isfinite(asym).mean() >= 0.5) if len(asym) else False
            # a reach holds one hand low for as long as the trunk is down: the median of the deepest part, as for
            # the hands ahead below (one frame's wrist, e.g. a half-visible hand at the peak, is not a reach)
            low = wrist_asymmetry_m[inside & (flexion_deg >= 0.8 * iv.peak_value)]
            if np.isfinite(low).any() and np.nanmedian(low) > settings.reach_wrist_asymmetry_m:
                kind = "reach"
        if kind == "bow" and hands_ahead_m is not None and iv.peak_value >= settings.reach_min_flexion_deg:
            ahead = hands_ahead_m[inside & (flexion_deg >= 0.8 * iv.peak_value)]
            if np.isfinite(ahead).any() and np.nanmedian(ahead) >= settings.reach_hands_ahead_m:
                kind = "reach"
        if kind == "bow" and hands_on_counter is not None \
                and lasts_at_least(iv.duration_s, settings.lean_min_duration_s):
            resting = hands_on_counter[inside & (flexion_deg >= 0.8 * iv.peak_value)]
            if np.isfinite(resting).any() and np.nanmedian(resting) >= 0.5:
                kind = "lean"
        unc = float("nan")
        if uncertainty_deg is not None:
            k = int(np.argmin(np.abs(t_s - iv.peak_t_s)))
            unc = float(uncertainty_deg[k])
        out.append(Bend(iv.start_s, iv.end_s, iv.peak_t_s, iv.peak_value, hold, kind, hidden, unc, arms_seen))
    return out


# ----------------------------------------------------------------------------------------------------------------
# Customers: within 2 m of the counter
# ----------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Approach:
    """One stretch a customer track spent within the near distance of the counter."""

    track_id: int
    arrive_s: float | None
    """When the customer crossed into the near distance (None when first seen already inside)."""
    leave_s: float | None
    """When they crossed back out (None when they were lost or the video ended while inside)."""
    first_inside_s: float
    last_inside_s: float
    min_distance_m: float
    station: str | None = None
    """The clerk station the customer came to (the one nearest to where they came closest)."""
    end_track_id: int | None = None
    """The track the approach ends on, when joined across an id change (None: ``track_id``)."""
    left_view: bool = False
    """``leave_s`` is when the customer walked out of the camera's view while still within the near distance."""


def crossing_time(t0: float, d0: float, t1: float, d1: float, level: float) -> float:
    """When (seconds) a quantity going from ``d0`` at ``t0`` to ``d1`` at ``t1`` crosses ``level``, linearly."""
    if d1 == d0:
        return t1
    u = float(np.clip((level - d0) / (d1 - d0), 0.0, 1.0))
    return t0 + u * (t1 - t0)


def approaches(track_id: int, t_s: np.ndarray, distance_m: np.ndarray, near_m: float, hysteresis_m: float,
               min_inside_s: float, max_gap_s: float, rejoin_s: float = 0.0,
               hidden_rejoin_s: float = 0.0) -> list[Approach]:
    """Stretches within ``near_m`` of the counter for one customer track, with the interpolated crossing times of
    ``near_m`` (in and out); leaving needs the distance to exceed ``near_m + hysteresis_m``. A customer back
    within ``rejoin_s`` seconds of leaving continues the same stretch (a step back, or a floor point that wanders
    across the line, is not a new visit); so does one lost from view within ``near_m`` and seen there again by the
    same track within ``hidden_rejoin_s`` seconds (hidden by another customer at the counter, not gone)."""
    return _rejoined(_approach_stretches(track_id, t_s, distance_m, near_m, hysteresis_m, min_inside_s, max_gap_s),
                     rejoin_s, hidden_rejoin_s)


def _rejoined(stretches: list[Approach], rejoin_s: float, hidden_rejoin_s: float = 0.0) -> list[Approach]:
    """Consecutive stretches merged into one (first arrival, last leave) when less than ``rejoin_s`` seconds
    apart, or less than ``hidden_rejoin_s`` apart when the first was lost without leaving and the second began
    without arriving (the person unseen in between, inside the near distance)."""
    out: list[Approach] = []
    for a in stretches:
        prev = out[-1] if out else None
        gap_s = a.first_inside_s - prev.last_inside_s if prev is not None else np.inf
        hidden = prev is not None and prev.leave_s is None and a.arrive_s is None and gap_s <= hidden_rejoin_s
        if prev is not None and (hidden or (prev.leave_s is not None and gap_s <= rejoin_s)):
            out[-1] = replace(prev, leave_s=a.leave_s, last_inside_s=a.last_inside_s,
                              min_distance_m=min(prev.min_distance_m, a.min_distance_m))
        else:
            out.append(a)
    return out


def _approach_stretches(track_id: int, t_s: np.ndarray, distance_m: np.ndarray, near_m: float, hysteresis_m: float,
                        min_inside_s: float, max_gap_s: float) -> list[Approach]:
    out = []
    ivs = hysteresis_intervals(t_s, distance_m, near_m, near_m + hysteresis_m, min_inside_s, max_gap_s)
    for iv in ivs:
        i0 = int(np.searchsorted(t_s, iv.start_s))
        i1 = int(np.searchsorted(t_s, iv.end_s))
        arrive = leave = None
        # the sample before the start (outside) and the first inside sample
        j = i0 - 1
        while j >= 0 and not np.isfinite(distance_m[j]):
            j -= 1
        if j >= 0 and t_s[i0] - t_s[j] <= max_gap_s and distance_m[j] >= near_m:
            arrive = crossing_time(t_s[j], distance_m[j], t_s[i0], distance_m[i0], near_m)
        k = i1 + 1
        while k < len(t_s) and not np.isfinite(distance_m[k]):
            k += 1
        if k < len(t_s) and t_s[k] - t_s[i1] <= max_gap_s:
            # the crossing of near_m itself: after the last inside sample below near_m (samples in the hysteresis
            # band between near_m and near_m + hysteresis_m still count as inside)
            p = i1
            while p > i0 and not (np.isfinite(distance_m[p]) and distance_m[p] < near_m):
                p -= 1
            m = p + 1
            while m < len(t_s) and not np.isfinite(distance_m[m]):
                m += 1
            if m < len(t_s):
                leave = crossing_time(t_s[p], distance_m[p], t_s[m], distance_m[m], near_m)
        out.append(Approach(track_id, arrive, leave, iv.start_s, iv.end_s, iv.peak_value))
    return out


# ----------------------------------------------------------------------------------------------------------------
# Arm gestures (trainer mode): indicating, two-handed hand-over, farewell wave
# ----------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Gesture:
    """One gesture: ``indicate`` | ``hand_over`` | ``wave``, from ``start_s`` to ``end_s`` (seconds)."""

    kind: str
    start_s: float
    end_s: float
    turns: int = 0
    """For a wave: how many side-to-side moves were counted."""

    @property
    def duration_s(self) -> float:
        """Length in seconds."""
        return self.end_s - self.start_s


def _flag_intervals(t_s: np.ndarray, flag: np.ndarray, min_s: float, max_gap_s: float) -> list[Interval]:
    """Stretches where a 0/1/NaN flag is 1, gaps up to ``max_gap_s`` bridged — unmeasured (NaN) frames and frames
    read 0 alike (one noisy frame does not split a gesture) — at least ``min_s`` long."""
    merged: list[Interval] = []
    for iv in hysteresis_intervals(t_s, np.asarray(flag, float), 0.5, 0.5, 0.0, max_gap_s):
        if merged and iv.start_s - merged[-1].end_s <= max_gap_s + 1e-9:
            last = merged[-1]
            merged[-1] = Interval(last.start_s, iv.end_s, max(last.peak_value, iv.peak_value), last.peak_t_s, 1.0)
        else:
            merged.append(iv)
    return [iv for iv in merged if lasts_at_least(iv.duration_s, min_s)]


def bridge_hidden(t_s: np.ndarray, flag: np.ndarray, max_hidden_s: float) -> np.ndarray:
    """A 0/1/NaN flag with every unmeasured (NaN) stretch of at most ``max_hidden_s`` seconds set to 1 when the
    frames on both sides read 1 (the state held while it could not be seen); other values unchanged."""
    out = np.asarray(flag, float).copy()
    for i, j in true_runs(~np.isfinite(out)):
        if 0 < i and j < len(out) and out[i - 1] >= 0.5 and out[j] >= 0.5 and t_s[j] - t_s[i - 1] <= max_hidden_s:
            out[i:j] = 1.0
    return out


def _turns(t_s: np.ndarray, values: np.ndarray, min_swing: float, smooth_s: float) -> int:
    """How many moves of at least ``min_swing`` between turning points a series sampled at times ``t_s`` (seconds)
    makes (a zigzag count), after a running mean over ``smooth_s`` (one noisy frame is no turn), counted in samples
    at the series' own rate: 3 at 10 frames/s, 2 at 5 — a 3-sample mean at 5 frames/s spans 0.6 s, a whole period
    of a 1.7 Hz wave, and averaged every wave away."""
    ok = np.isfinite(values)
    v, t = values[ok], np.asarray(t_s, float)[ok]
    if len(v) < 3:
        return 0
    dt = median_step_s(t)
    n = max(1, int(round(smooth_s / dt))) if dt > 0 else 1
    v = np.convolve(v, np.ones(n) / n, mode="valid")
    if len(v) < 2:
        return 0
    lo = hi = extreme = v[0]
    direction, turns = 0, 0
    for x in v[1:]:
        if direction == 0:
            lo, hi = min(lo, x), max(hi, x)
            if hi - x >= min_swing or x - lo >= min_swing:
                direction, extreme, turns = (-1 if hi - x >= min_swing else 1), x, 1
        elif (x - extreme) * direction > 0:
            extreme = x
        elif abs(x - extreme) >= min_swing:
            direction, extreme, turns = -direction, x, turns + 1
    return turns


def _oscillates(t_s: np.ndarray, values: np.ndarray, lag_s: tuple[float, float], max_corr: float) -> bool:
    """Whether a series sampled at times ``t_s`` (seconds) swings back and forth regularly: its autocorrelation
    (mean removed) falls to ``max_corr`` or below at some lag within ``lag_s`` (seconds; half a period of the wave),
    counted in samples at the series' own rate (2 to 6 samples at 10 frames/s, 1 to 3 at 5). A hand held up still
    with jittery landmarks makes turns too, but no regular swing."""
    ok = np.isfinite(values)
    v, t = values[ok], np.asarray(t_s, float)[ok]
    if len(v) < 3:
        return False
    dt = median_step_s(t)
    if not dt > 0:
        return False
    first = max(1, int(round(lag_s[0] / dt)))
    last = max(first, int(round(lag_s[1] / dt)))
    v = v - v.mean()
    energy = float(v @ v)
    if len(v) <= last or energy <= 0.0:
        return False
    return min(float(v[:-k] @ v[k:]) / energy for k in range(first, last + 1)) <= max_corr


STEP_GAP_FACTOR = 1.5
"""A time step up to this many of a series' own median steps is no gap, whatever ``max_gap_s`` says: the frames were
analysed that far apart (a live box's lowered rate), nothing was missed between them."""


def _gap_bridged_s(t_s: np.ndarray, max_gap_s: float) -> float:
    """The longest step (seconds) a gesture survives: ``max_gap_s`` (a missed frame at 10 frames/s), and never less
    than ``STEP_GAP_FACTOR`` sampling steps — at 3 frames/s every step (0.33 s) was longer than 0.3 s, and no gesture
    was found at all."""
    step = median_step_s(t_s)
    return max(max_gap_s, STEP_GAP_FACTOR * step) if np.isfinite(step) else max_gap_s


def detect_gestures(frames: GestureFrames, settings: GestureSettings) -> list[Gesture]:
    """Gestures from per-frame features (:class:`~etiquette_cv.posture.gestures.GestureFrames`) with the rulebook's
    :class:`~etiquette_cv.posture.gestures.GestureSettings`: indicating and hand-over held at least their minimum
    time, a wave where the raised forearm's wrist swung side to side at least ``wave_min_turns`` times by at least
    ``wave_min_swing_deg`` each, a handshake where a hand stayed at another person's (its duration is the event's)."""
    t, s = frames.t_s, settings
    gap = _gap_bridged_s(t, s.max_gap_s)
    out = [Gesture("indicate", iv.start_s, iv.end_s)
           for iv in _flag_intervals(t, frames.indicate, s.indicate_min_s, gap)]
    out += [Gesture("hand_over", iv.start_s, iv.end_s)
            for iv in _flag_intervals(t, frames.hand_over, s.handover_min_s, gap)]
    if frames.hand_contact is not None:
        contact = bridge_hidden(t, frames.hand_contact, s.handshake_max_hidden_s)
        out += [Gesture("handshake", iv.start_s, iv.end_s)
                for iv in _flag_intervals(t, contact, s.handshake_min_s, gap)]
    for arm in range(frames.wave_swing_deg.shape[1]):
        lateral = frames.wave_swing_deg[:, arm]
        raised = np.where(np.isfinite(lateral), 1.0, 0.0)
        for iv in _flag_intervals(t, raised, s.wave_min_s, gap):
            inside = (t >= iv.start_s) & (t <= iv.end_s)
            n = _turns(t[inside], lateral[inside], s.wave_min_swing_deg, s.wave_smooth_s)
            if n >= s.wave_min_turns and _oscillates(t[inside], lateral[inside],
                                                     (s.wave_min_lag_s, s.wave_max_lag_s), s.wave_max_autocorr):
                out.append(Gesture("wave", iv.start_s, iv.end_s, n))
    return sorted(out, key=lambda g: g.start_s)
