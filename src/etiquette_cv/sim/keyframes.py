"""Keyframes of a scenario person and their interpolation: the pose parameters at any time (numpy only).

Times are seconds, positions metres on the floor, angles degrees.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .arm_gestures import RAISE_S as GESTURE_RAISE_S

STEP_LENGTH_M = 0.7
"""Length of one walking step; a full walk cycle (walk_phase 0 → 1) is two steps."""
DEFAULT_TRANSITION_S = 1.0
"""Default duration of a sit ↔ stand transition, ending at the key that sets the new stance."""

#: Numeric keyframe fields interpolated with a smoothstep, and their defaults when no key ever sets them.
NUMERIC_FIELDS = (
    "heading_deg", "trunk_flexion_deg", "trunk_lateral_deg", "neck_flexion_deg",
    "sway_amplitude_deg", "sway_period_s", "gesture_hz", "head_shake_deg", "head_shake_hz",
)
_NUMERIC_DEFAULTS = {
    "trunk_flexion_deg": 0.0,
    "trunk_lateral_deg": 0.0,
    "neck_flexion_deg": 0.0,
    "sway_amplitude_deg": 0.0,
    "sway_period_s": 2.0,
    "gesture_hz": 0.0,
    "head_shake_deg": 0.0,
    "head_shake_hz": 2.5,
}
#: Default heading per role: clerks face the customers (+y), customers face the counter (−y).
_DEFAULT_HEADING_DEG = {"clerk": 90.0, "customer": 270.0, "passerby": 0.0}


def smoothstep(u: float | np.ndarray) -> float | np.ndarray:
    """3u² − 2u³ for u clipped to [0, 1]: 0 at 0, 1 at 1, ½ at ½, zero slope at both ends (dimensionless)."""
    u = np.clip(u, 0.0, 1.0)
    return u * u * (3.0 - 2.0 * u)


def _smoothstep_slope(u: float) -> float:
    """d smoothstep / du at u (0 outside [0, 1])."""
    if u <= 0.0 or u >= 1.0:
        return 0.0
    return 6.0 * u * (1.0 - u)


@dataclass
class Keyframe:
    """One key: the fields it sets (None = not set by this key)."""

    t_s: float
    pos_m: np.ndarray | None = None
    heading_deg: float | None = None
    stance: str | None = None
    transition_s: float | None = None
    trunk_flexion_deg: float | None = None
    trunk_lateral_deg: float | None = None
    neck_flexion_deg: float | None = None
    arms: str | None = None
    legs: str | None = None
    sway_amplitude_deg: float | None = None
    sway_period_s: float | None = None
    gesture_hz: float | None = None
    head_shake_deg: float | None = None
    head_shake_hz: float | None = None


@dataclass
class PoseParams:
    """One person's pose parameters at one time (the script's values after interpolation)."""

    t_s: float
    pos_m: np.ndarray
    """(2,) floor position of the pelvis centre (x, y), metres."""
    heading_deg: float
    """Facing direction, degrees from +x toward +y (interpolated as written: 90 → 270 turns through 180, 90 → −90
    through 0; not wrapped)."""
    stance: str
    """'sit' when sit_blend ≥ 0.5, else 'stand'."""
    sit_blend: float
    """0 = standing, 1 = fully seated, continuous (smoothstep) through transitions."""
    trunk_flexion_deg: float
    """Forward bend of the hip→shoulder line from the true vertical, degrees (negative = leaning back)."""
    trunk_lateral_deg: float
    """Sideways lean, degrees, positive toward the person's own right."""
    neck_flexion_deg: float
    """Head relative to trunk, degrees, positive = chin down."""
    arms: str
    legs: str
    sway_amplitude_deg: float
    sway_period_s: float
    sway_offset_deg: float
    """Instantaneous sway angle = amplitude · sin(2πt / period), degrees, positive toward the person's right."""
    walk_phase: float
    """Walk cycle phase in [0, 1): advances by 1 every two steps (2 × STEP_LENGTH_M walked)."""
    walk_speed_m_s: float
    """Floor speed of the pelvis centre, m/s."""
    walk_distance_m: float = 0.0
    """Path length walked since the start, metres."""
    arms_prev: str = "sides"
    """The arms state before the current one (the first keyframe's state before any change)."""
    arms_since_s: float = math.inf
    """Seconds since the key that set the current arms state (the oscillation phase of a wave or handshake)."""
    arms_blend: float = 1.0
    """0 → 1 (linear) over ``sim.arm_gestures.RAISE_S`` after that key: an arm moving between hanging and a gesture."""
    gesture_hz: float = 0.0
    """Oscillation frequency of a wave or a handshake's pumping, Hz (0: the gesture's default)."""
    head_yaw_deg: float = 0.0
    """The head turned about the neck, degrees, positive toward the person's left: a head shake is
    ``head_shake_deg`` · sin(2π · ``head_shake_hz`` · t) (to avoid, DB 表4: shaking the head for "don't know")."""


class KeyframeTrack:
    """Precompiled per-field key lists of one person (their role and keyframes), for fast sampling."""

    def __init__(self, role: str, keys: list[Keyframe]):
        self.numeric: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        for name in NUMERIC_FIELDS:
            ts = [k.t_s for k in keys if getattr(k, name) is not None]
            vs = [getattr(k, name) for k in keys if getattr(k, name) is not None]
            if not ts or ts[0] > keys[0].t_s:
                # a field the first keyframe leaves unset starts from its default at the first keyframe
                default = _DEFAULT_HEADING_DEG[role] if name == "heading_deg" else _NUMERIC_DEFAULTS[name]
                ts, vs = [keys[0].t_s, *ts], [default, *vs]
            self.numeric[name] = (np.array(ts, float), np.array(vs, float))
        self.pos_t = np.array([k.t_s for k in keys if k.pos_m is not None])
        self.pos_v = np.array([k.pos_m for k in keys if k.pos_m is not None], dtype=float)
        seg = np.linalg.norm(np.diff(self.pos_v, axis=0), axis=1) if len(self.pos_v) > 1 else np.zeros(0)
        self.pos_seg_len = seg
        self.pos_cum = np.concatenate([[0.0], np.cumsum(seg)])
        self.discrete: dict[str, tuple[np.ndarray, list[str]]] = {}
        for name, default in (("arms", "sides"), ("legs", "normal")):
            ts = [k.t_s for k in keys if getattr(k, name) is not None]
            vs = [getattr(k, name) for k in keys if getattr(k, name) is not None]
            if not ts or ts[0] > keys[0].t_s:
                ts, vs = [keys[0].t_s, *ts], [default, *vs]
            self.discrete[name] = (np.array(ts, float), vs)
        stance_keys = [k for k in keys if k.stance is not None]
        if not stance_keys or stance_keys[0].t_s > keys[0].t_s:
            stance_keys = [Keyframe(t_s=keys[0].t_s, stance="stand"), *stance_keys]
        # (transition start, transition end = key time, target blend); a transition never starts before the
        # previous stance key
        self.stance_keys: list[tuple[float, float, float]] = []
        prev_t = -math.inf
        for k in stance_keys:
            target = 1.0 if k.stance == "sit" else 0.0
            tr = DEFAULT_TRANSITION_S if k.transition_s is None else k.transition_s
            self.stance_keys.append((max(k.t_s - tr, prev_t), k.t_s, target))
            prev_t = k.t_s

    def _numeric(self, name: str, t: float) -> float:
        ts, vs = self.numeric[name]
        return _interp_smooth(ts, vs, t)

    def _discrete(self, name: str, t: float) -> str:
        ts, vs = self.discrete[name]
        i = int(np.searchsorted(ts, t, side="right")) - 1
        return vs[max(i, 0)]  # before the first keyframe: hold its value

    def _arms_change(self, t: float) -> tuple[str, float]:
        """The arms state before the current one and the seconds since the current one was set (inf: never
        changed)."""
        ts, vs = self.discrete["arms"]
        i = int(np.searchsorted(ts, t, side="right")) - 1
        if i <= 0:
            return vs[0], math.inf
        return vs[i - 1], float(t - ts[i])

    def _sit_blend(self, t: float) -> float:
        keys = self.stance_keys
        blend = keys[0][2]  # the first key's stance holds before it (no transition into the first key)
        for start, end, target in keys[1:]:
            if t >= end:
                blend = target
            elif t > start:
                blend = blend + (target - blend) * float(smoothstep((t - start) / (end - start)))
                break
            else:
                break
        return float(blend)

    def _position(self, t: float) -> tuple[np.ndarray, float, float]:
        """Floor position (m), path length walked (m), and speed (m/s) at t."""
        ts, ps = self.pos_t, self.pos_v
        if len(ts) == 1 or t <= ts[0]:
            return ps[0].copy(), 0.0, 0.0
        if t >= ts[-1]:
            return ps[-1].copy(), float(self.pos_cum[-1]), 0.0
        i = int(np.searchsorted(ts, t, side="right")) - 1
        dt = ts[i + 1] - ts[i]
        u = (t - ts[i]) / dt
        s = float(smoothstep(u))
        pos = ps[i] + (ps[i + 1] - ps[i]) * s
        dist = float(self.pos_cum[i] + self.pos_seg_len[i] * s)
        speed = float(self.pos_seg_len[i] * _smoothstep_slope(u) / dt)
        return pos, dist, speed

    def sample(self, t: float) -> PoseParams:
        """The pose parameters at time ``t`` (seconds)."""
        pos, dist, speed = self._position(t)
        blend = self._sit_blend(t)
        amp = self._numeric("sway_amplitude_deg", t)
        period = self._numeric("sway_period_s", t)
        arms_prev, since = self._arms_change(t)
        return PoseParams(
            t_s=t,
            pos_m=pos,
            heading_deg=self._numeric("heading_deg", t),
            stance="sit" if blend >= 0.5 else "stand",
            sit_blend=blend,
            trunk_flexion_deg=self._numeric("trunk_flexion_deg", t),
            trunk_lateral_deg=self._numeric("trunk_lateral_deg", t),
            neck_flexion_deg=self._numeric("neck_flexion_deg", t),
            arms=self._discrete("arms", t),
            legs=self._discrete("legs", t),
            sway_amplitude_deg=amp,
            sway_period_s=period,
            sway_offset_deg=amp * math.sin(2.0 * math.pi * t / period),
            walk_phase=(dist / (2.0 * STEP_LENGTH_M)) % 1.0,
            walk_speed_m_s=speed,
            walk_distance_m=dist,
            arms_prev=arms_prev,
            arms_since_s=since,
            arms_blend=min(1.0, since / GESTURE_RAISE_S),
            gesture_hz=self._numeric("gesture_hz", t),
            head_yaw_deg=self._numeric("head_shake_deg", t)
            * math.sin(2.0 * math.pi * self._numeric("head_shake_hz", t) * t),
        )


def _interp_smooth(ts: np.ndarray, vs: np.ndarray, t: float) -> float:
    """Smoothstep interpolation between consecutive keys; holds the end values outside the keyed range."""
    if len(ts) == 1 or t <= ts[0]:
        return float(vs[0])
    if t >= ts[-1]:
        return float(vs[-1])
    i = int(np.searchsorted(ts, t, side="right")) - 1
    u = (t - ts[i]) / (ts[i + 1] - ts[i])
    return float(vs[i] + (vs[i + 1] - vs[i]) * smoothstep(u))
