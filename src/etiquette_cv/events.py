"""Events: state machines over time with hysteresis, turning measured series into intervals.

Every detector here takes arrays aligned on a time axis (seconds) and parameters from the rulebook; none of them
knows about video or landmarks. A single threshold double-counts under jitter, so each condition has an enter
and an exit threshold and a minimum duration.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


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
            if iv.duration_s >= min_duration_s:
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


@dataclass(frozen=True)
class StanceSettings:
    """Sit/stand thresholds (metres, seconds) — configurable defaults of ours, see the rulebook."""

    stand_above_m: float = 1.22
    """Upright-equivalent shoulder height above which a seated person is standing."""
    sit_below_m: float = 1.12
    """… below which a standing person is seated."""
    head_above_shoulders_m: float = 0.12
    """A person is only taken as seated when the head is at least this far above the shoulders (a deep bow also
    lowers the shoulders, but brings the head down to them)."""
    min_state_s: float = 0.4
    """A new state must hold this long before it counts."""


@dataclass(frozen=True)
class StanceChange:
    """A confirmed transition between sitting and standing."""

    t_s: float
    """When the height crossed the middle of the hysteresis band (the transition's midpoint)."""
    to_state: str
    duration_s: float
    """How long the move took from leaving one band edge to reaching the other (for 'rising violently')."""


def stance_states(t_s: np.ndarray, shoulder_height_m: np.ndarray, head_minus_shoulder_m: np.ndarray,
                  settings: StanceSettings = StanceSettings(), initial: str | None = None
                  ) -> tuple[np.ndarray, list[StanceChange]]:
    """Per-sample stance ('sit', 'stand' or '' while unknown) and the confirmed changes, from the upright-equivalent
    shoulder height (m) and the head's height above the shoulders (m). NaN heights keep the current state."""
    n = len(t_s)
    states = np.array([""] * n, dtype=object)
    changes: list[StanceChange] = []
    state = initial
    mid = 0.5 * (settings.stand_above_m + settings.sit_below_m)
    pending: str | None = None
    pending_since = 0
    for i in range(n):
        h = shoulder_height_m[i]
        want = state
        if np.isfinite(h):
            if h > settings.stand_above_m:
                want = "stand"
            elif h < settings.sit_below_m:
                head = head_minus_shoulder_m[i]
                if not np.isfinite(head) or head >= settings.head_above_shoulders_m:
                    want = "sit"
            elif state is None:
                want = "stand" if h >= mid else "sit"
        if state is None and want is not None:
            state = want
        elif want != state and want is not None:
            if pending != want:
                pending, pending_since = want, i
            if t_s[i] - t_s[pending_since] >= settings.min_state_s:
                cross, duration = _crossing(t_s, shoulder_height_m, pending_since, mid, settings)
                changes.append(StanceChange(cross, want, duration))
                # back-date the state from the crossing on
                for j in range(pending_since, i + 1):
                    states[j] = want
                for j in range(i, -1, -1):
                    if t_s[j] < cross:
                        break
                    states[j] = want
                state, pending = want, None
        else:
            pending = None
        states[i] = state or ""
    return states, changes


def _crossing(t_s, h, confirm_idx: int, mid: float, s: StanceSettings) -> tuple[float, float]:
    """Time (s) at which the height crossed ``mid`` before ``confirm_idx``, and the time between the band edges."""
    j = confirm_idx
    while j > 0 and not (np.isfinite(h[j - 1]) and np.isfinite(h[j]) and (h[j - 1] - mid) * (h[j] - mid) <= 0):
        j -= 1
    if j == 0:
        cross = float(t_s[confirm_idx])
    else:
        a, b = h[j - 1], h[j]
        u = 0.0 if a == b else (mid - a) / (b - a)
        cross = float(t_s[j - 1] + u * (t_s[j] - t_s[j - 1]))
    lo_edge, hi_edge = s.sit_below_m, s.stand_above_m
    k0 = j
    while k0 > 0 and np.isfinite(h[k0 - 1]) and lo_edge <= h[k0 - 1] <= hi_edge:
        k0 -= 1
    k1 = j
    while k1 < len(h) - 1 and np.isfinite(h[k1 + 1]) and lo_edge <= h[k1] <= hi_edge:
        k1 += 1
    return cross, float(t_s[k1] - t_s[max(k0 - 1, 0)])


def state_intervals(t_s: np.ndarray, states: np.ndarray) -> list[tuple[str, float, float]]:
    """Runs of equal state as (state, start s, end s); the end is the next run's start."""
    out: list[tuple[str, float, float]] = []
    if len(t_s) == 0:
        return out
    start = 0
    for i in range(1, len(states) + 1):
        if i == len(states) or states[i] != states[start]:
            end_t = float(t_s[i]) if i < len(states) else float(t_s[-1])
            out.append((str(states[start]), float(t_s[start]), end_t))
            start = i
    return out
