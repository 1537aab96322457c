"""The sit/stand state machine of a clerk, with hysteresis, and the transitions it confirms (rise times).

Input: the upright-equivalent shoulder height (metres, corrected for bows) and the head's height above the
shoulders (metres), sampled at times ``t_s`` (seconds).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


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
    level_window_s: float = 1.0
    """The seated and standing levels around a transition are medians over this long, 1 s before and after it …"""
    level_lookback_s: float = 3.0
    """… widened up to this long while the person was hidden for most of it."""
    crossing_lookback_s: float = 3.0
    """How far back from its confirmation a transition's crossing of the band's middle is looked for."""
    spike_samples: int = 3
    """The heights go through a running median of this many consecutive measured samples (1: none): a single wild
    pose (a collapsed landmarker result read as a 99° bow, the head below the shoulders) is no sit/stand move,
    which takes a second; two such frames held a sit-down back by 0.8 s."""
    move_m: float = 0.20
    """A rise (fall) of the shoulders by at least this from the level the person held in their state (the median
    over ``level_window_s`` ending ``level_window_s`` ago) is also a stand-up (sit-down) once past the hysteresis
    band's near edge (above ``sit_below_m``; below ``stand_above_m``). Fixed heights alone miss short and tall
    people: a 1.56 m clerk stands with the shoulders at 1.24 m (read 1.20–1.21 m, under ``stand_above_m``), a tall
    one in a high chair sits at 1.15 m. A stand-up moves the shoulders 0.3–0.45 m. 0 = fixed heights only."""
    move_tail_fraction: float = 0.487
    """How long a move takes to leave its level (0 → 10 %) and to settle (90 → 100 %), as a fraction of its
    10 % → 90 % time: 0.487 for a minimum-jerk movement (the standard model of a human point-to-point move, Flash
    & Hogan 1985), 0.125 for one at constant speed. The onset and completion are extrapolated with it."""
    unseen_move_half_s: float = 0.5
    """A move whose onset or completion was not seen (the levels around it hidden) is taken to begin this long
    before its midpoint and to end this long after it (a 1 s stand-up)."""
    point_uncertainty_s: float = 0.3
    """± of a move's onset, midpoint or completion where seen (the rendered people set's tuning clips: 31 of 35
    onsets within it); an unseen one's is ``unseen_move_half_s``."""


@dataclass(frozen=True)
class StanceChange:
    """A confirmed transition between sitting and standing."""

    t_s: float
    """The transition's midpoint: when the height crossed halfway between the levels held before and after it
    (the middle of the hysteresis band when those levels were not seen)."""
    to_state: str
    duration_s: float
    """10 %→90 % rise (or fall) time of the shoulder height, seconds (for 'rising violently'); NaN when the levels
    before or after were not seen. A smooth 1 s stand-up has a rise time of about 0.6 s."""
    onset_s: float = float("nan")
    """When the move began: its 10 % point less ``move_tail_fraction`` of its 10 %→90 % time (a smooth move leaves
    its level slowly, so the 10 % point alone is 0.25 s late on a 1 s stand-up); NaN when not seen."""
    complete_s: float = float("nan")
    """When the move was complete: its 90 % point plus the same tail; NaN when not seen."""
    unseen_half_s: float = 0.5
    """:meth:`at` takes an unseen onset (completion) as this long before (after) the midpoint."""
    seen_uncertainty_s: float = 0.3
    """± of a point that was seen (:meth:`uncertainty_s`)."""

    def seen(self, point: str) -> bool:
        """Whether ``point`` (``onset``, ``midpoint`` or ``complete``) was measured rather than estimated."""
        return bool(np.isfinite(self._raw(point)))

    def at(self, point: str) -> float:
        """The time (s) of one point of the move: ``onset``, ``midpoint`` or ``complete``; an onset or completion
        not seen (the levels around the move hidden) is the midpoint ∓ ``unseen_half_s``."""
        t = self._raw(point)
        if np.isfinite(t):
            return float(t)
        return self.t_s + {"onset": -1.0, "midpoint": 0.0, "complete": 1.0}[point] * self.unseen_half_s

    def uncertainty_s(self, point: str) -> float:
        """± (seconds) of :meth:`at` for ``point``: ``seen_uncertainty_s`` where seen, else ``unseen_half_s``."""
        return self.seen_uncertainty_s if self.seen(point) else self.unseen_half_s

    def _raw(self, point: str) -> float:
        if point not in TRANSITION_POINTS:
            raise ValueError(f"unknown transition point {point!r}; expected one of {TRANSITION_POINTS}")
        return {"onset": self.onset_s, "midpoint": self.t_s, "complete": self.complete_s}[point]


TRANSITION_POINTS = ("onset", "midpoint", "complete")
"""The points of a sit/stand move a rule may name (rulebook ``stand_point``)."""


def stance_states(t_s: np.ndarray, shoulder_height_m: np.ndarray, head_minus_shoulder_m: np.ndarray,
                  settings: StanceSettings = StanceSettings(), initial: str | None = None
                  ) -> tuple[np.ndarray, list[StanceChange]]:
    """Per-sample stance ('sit', 'stand' or '' while unknown) and the confirmed changes, from the upright-equivalent
    shoulder height (m) and the head's height above the shoulders (m). NaN heights keep the current state."""
    shoulder_height_m = despike(shoulder_height_m, settings.spike_samples)
    head_minus_shoulder_m = despike(head_minus_shoulder_m, settings.spike_samples)
    n = len(t_s)
    states = np.array([""] * n, dtype=object)
    changes: list[StanceChange] = []
    state = initial
    mid = 0.5 * (settings.stand_above_m + settings.sit_below_m)
    pending: str | None = None
    pending_since = 0
    held = _HeldLevel(settings.level_window_s)
    for i in range(n):
        h = shoulder_height_m[i]
        want = state
        if np.isfinite(h):
            level = held.level(float(t_s[i]))
            moved = settings.move_m > 0 and np.isfinite(level)
            head = head_minus_shoulder_m[i]
            head_ok = not np.isfinite(head) or head >= settings.head_above_shoulders_m
            if h > settings.stand_above_m or (state == "sit" and moved and h > settings.sit_below_m
                                              and h - level >= settings.move_m):
                want = "stand"
            elif head_ok and (h < settings.sit_below_m or (state == "stand" and moved and h < settings.stand_above_m
                                                           and level - h >= settings.move_m)):
                want = "sit"
            elif state is None:
                want = "stand" if h >= mid else "sit"
        if state is None and want is not None:
            state = want
        elif want != state and want is not None:
            if pending != want:
                pending, pending_since = want, i
            if t_s[i] - t_s[pending_since] >= settings.min_state_s:
                after = changes[-1].t_s if changes else -np.inf
                cross, duration, onset, complete = _crossing(t_s, shoulder_height_m, pending_since, mid, settings,
                                                             rising=want == "stand", after_s=after)
                changes.append(StanceChange(cross, want, duration, onset, complete,
                                            settings.unseen_move_half_s, settings.point_uncertainty_s))
                # back-date the state from the crossing on
                for j in range(pending_since, i + 1):
                    states[j] = want
                for j in range(i, -1, -1):
                    if t_s[j] < cross:
                        break
                    states[j] = want
                state, pending = want, None
                held.reset()
        else:
            pending = None
        if np.isfinite(h):
            held.add(float(t_s[i]), float(h))
        states[i] = state or ""
    return states, changes


class _HeldLevel:
    """The level (metres) the person held in their current state: the median height of the samples between
    ``2 × window_s`` and ``window_s`` seconds ago (a second back, so the move itself — a stand-up takes about a
    second — is not part of the level it is measured from)."""

    def __init__(self, window_s: float) -> None:
        self.window_s = window_s
        self._t: list[float] = []
        self._h: list[float] = []

    def add(self, t_s: float, h_m: float) -> None:
        self._t.append(t_s)
        self._h.append(h_m)
        while self._t and self._t[0] < t_s - 2.0 * self.window_s:
            self._t.pop(0)
            self._h.pop(0)

    def level(self, t_s: float) -> float:
        """The held level at time ``t_s``, NaN until three samples of that window were held."""
        v = [h for t, h in zip(self._t, self._h) if t_s - 2.0 * self.window_s <= t <= t_s - self.window_s]
        return float(np.median(v)) if len(v) >= 3 else float("nan")

    def reset(self) -> None:
        self._t.clear()
        self._h.clear()


def despike(h: np.ndarray, samples: int) -> np.ndarray:
    """Running median (metres in, metres out) over ``samples`` consecutive finite samples, NaN kept where it was;
    the ends keep their own values."""
    h = np.asarray(h, float)
    k = np.flatnonzero(np.isfinite(h))
    if samples <= 1 or len(k) < samples:
        return h
    from scipy.signal import medfilt

    out = h.copy()
    filtered = medfilt(h[k], samples)
    half = samples // 2
    out[k[half:len(k) - half]] = filtered[half:len(k) - half]
    return out


def _level_time(t_s: np.ndarray, h: np.ndarray, i0: int, i1: int, level: float, last: bool = False,
                rising: bool | None = None) -> float | None:
    """First (or ``last``) time in samples [i0, i1] at which the series crosses ``level`` (linear interpolation
    between consecutive *finite* samples: a frame where the person was hidden does not break the line), upward
    only when ``rising``, downward only when ``rising`` is False; or None."""
    k = np.flatnonzero(np.isfinite(h[max(i0, 0):min(i1, len(h) - 1) + 1])) + max(i0, 0)
    pairs = range(1, len(k))
    for j in (reversed(pairs) if last else pairs):
        a, b = h[k[j - 1]], h[k[j]]
        if rising is not None and (b > a) != rising:
            continue
        if (a - level) * (b - level) <= 0 and a != b:
            ta, tb = t_s[k[j - 1]], t_s[k[j]]
            return float(ta + (level - a) / (b - a) * (tb - ta))
    return None


def _level_before(t_s: np.ndarray, h: np.ndarray, t: float, s: StanceSettings, after: bool = False) -> np.ndarray:
    """The finite heights of the level held before (``after``: after) time ``t``: those of the window 1 s beyond
    ``t``, widened up to ``level_lookback_s`` while it holds fewer than three (the person hidden for a moment)."""
    sign = 1.0 if after else -1.0
    v = np.empty(0)
    for reach in np.arange(s.level_window_s, max(s.level_lookback_s, s.level_window_s) + 1e-9, 0.5):
        lo, hi = sorted((t + sign * 1.0, t + sign * (1.0 + reach)))
        v = h[(t_s >= lo) & (t_s <= hi)]
        v = v[np.isfinite(v)]
        if len(v) >= 3:
            return v
    return v


def _crossing(t_s, h, confirm_idx: int, mid: float, s: StanceSettings, rising: bool = True,
              after_s: float = -np.inf) -> tuple[float, float, float, float]:
    """Time (s) at which the height crossed halfway between the levels held before and after (1 s either side;
    ``mid`` when they were not seen) before ``confirm_idx``, the move's 10 %→90 % rise time, and its onset and
    completion (see :class:`StanceChange`; NaN when unknown). The band's middle is searched for at most
    ``crossing_lookback_s`` back and not before the previous change (``after_s``), over the finite samples, in the
    move's direction (upward when ``rising``): a single wild frame long before, or the previous move, is not it."""
    nan = float("nan")
    first = int(np.searchsorted(t_s, max(t_s[confirm_idx] - s.crossing_lookback_s, after_s), side="right"))
    cross = _level_time(t_s, h, first, confirm_idx, mid, last=True, rising=rising)
    if cross is None:  # the band's middle was never crossed (a person whose level lies inside the band)
        cross = float(t_s[confirm_idx])
    before, after = _level_before(t_s, h, cross, s), _level_before(t_s, h, cross, s, after=True)
    if len(before) < 3 or len(after) < 3:
        return cross, nan, nan, nan
    lo, hi = float(np.median(before)), float(np.median(after))
    near = (t_s >= max(cross - 1.5, after_s)) & (t_s <= cross + 1.5)
    idx = np.flatnonzero(near)
    if len(idx) < 2:  # hidden for the whole move: only the band's crossing is known
        return cross, nan, nan, nan
    t50 = _level_time(t_s, h, idx[0], idx[-1], lo + 0.5 * (hi - lo), rising=rising)
    # the midpoint between the person's own levels, not the fixed band's middle (a tall person's shoulders cross
    # the band's middle early when sitting down and late when standing up)
    cross = cross if t50 is None else t50
    # the 10 % point is the last crossing before the midpoint, the 90 % point the first after it (a noisy height,
    # e.g. from the person detector's keypoints, crosses a level more than once)
    k50 = int(np.searchsorted(t_s, cross))
    t10 = _level_time(t_s, h, idx[0], k50, lo + 0.1 * (hi - lo), last=True, rising=rising)
    t90 = _level_time(t_s, h, k50 - 1, idx[-1], lo + 0.9 * (hi - lo), rising=rising)
    if t10 is None or t90 is None:
        return cross, nan, nan, nan
    tail = s.move_tail_fraction * (t90 - t10)
    return cross, abs(t90 - t10), t10 - tail, t90 + tail
