"""The head's turn, read in the image, and shaking it: DB 表4 asks to avoid shaking the head to mean "don't know"
(使用…摇头来表达“不清楚”、“不知道”).

A shake is quick (rendered: ±20-35° at 2-3 Hz), a look to the side slow (a turn takes a second or more), so a shake
is measured by its alternating turns: left-right-left within about a second, each turn wider than MediaPipe's
jitter.
"""

from __future__ import annotations

import numpy as np

from ..core import Landmark, PersonPose
from .filters import swing_width

EAR_SPAN_OVER_NOSE_REACH = 1.5
"""The ears' span over the nose's reach in front of the ear line (adults: about 15 cm over 10 cm)."""
_EARS = (Landmark.LEFT_EAR, Landmark.RIGHT_EAR)
_SHOULDERS = (Landmark.LEFT_SHOULDER, Landmark.RIGHT_SHOULDER)


def head_yaw_deg(pose: PersonPose, min_visibility: float = 0.5) -> float:
    """How far the head is turned from facing the camera (degrees, positive toward the image's side of the right
    shoulder), read in the image along the shoulders' line: the ears lie ``±r``·cos(turn) apart and the nose
    ``d``·sin(turn) off their midpoint, so the turn is atan2(``d/2r`` ⁻¹ · nose offset, ear separation) with
    2r/d ≈ 1.5 (ears 15 cm apart, the nose 10 cm ahead of them). NaN when the nose, an ear or a shoulder is not
    visible. MediaPipe's world ears barely turn with a head seen from the front (rendered ±25° shakes read ±4°
    there), while the nose moves across the face in the image."""
    seen = np.minimum(pose.visibility, pose.presence) >= min_visibility
    if not (seen[Landmark.NOSE] and seen[list(_EARS)].all() and seen[list(_SHOULDERS)].all()):
        return float("nan")
    xy = np.asarray(pose.image_xy_px, dtype=float)
    across = xy[_SHOULDERS[1]] - xy[_SHOULDERS[0]]
    if np.linalg.norm(across) < 1.0:
        return float("nan")
    across /= np.linalg.norm(across)
    separation = float((xy[_EARS[1]] - xy[_EARS[0]]) @ across)
    offset = float((xy[Landmark.NOSE] - xy[list(_EARS)].mean(axis=0)) @ across)
    return float(np.degrees(np.arctan2(EAR_SPAN_OVER_NOSE_REACH * offset, separation)))


def steady_head_turns(t_s: np.ndarray, yaw_deg: np.ndarray, hand_at_head: np.ndarray,
                      moves_s: list[tuple[float, float]], guard_s: float = 0.3, bent: np.ndarray | None = None
                      ) -> np.ndarray:
    """``yaw_deg`` with NaN where it cannot be trusted: while a hand is at the head (finite offsets of
    ``limbs.hand_at_head``, shape (N, 2): the hand covers the face and the landmarks slide), within ``guard_s``
    of a sit/stand move (``moves_s``: start, end in seconds; the head bobs as the body rises and MediaPipe's face
    landmarks jump: tuning avoid-set t339, a 90° "turn" while standing up) and where ``bent`` (bool, per sample:
    the trunk bent forward, the face toward the floor, so the nose's offset from the ears is no turn)."""
    t = np.asarray(t_s, float)
    out = np.where(np.isfinite(np.asarray(hand_at_head, float).reshape(len(t), 2)[:, 0]), np.nan,
                   np.asarray(yaw_deg, float))
    if bent is not None:
        out[np.asarray(bent, bool)] = np.nan
    for a, b in moves_s:
        out[(t >= a - guard_s) & (t <= b + guard_s)] = np.nan
    return out


def head_shake_deg(t_s: np.ndarray, yaw_deg: np.ndarray, window_s: float = 1.2, min_swing_deg: float = 15.0,
                   min_swings: int = 3, max_speed_deg_s: float = 1200.0, min_samples: int = 6) -> np.ndarray:
    """Per sample, how widely the head shakes there (degrees): the median size of the alternating turns of the
    head's turn within ±``window_s``/2 when there are at least ``min_swings`` of them, each at least
    ``min_swing_deg`` (a shake goes left-right-left at least), else 0.0 (a look to one side and back is two
    swings over a second or more) — 0.0 too when the turn jumps faster than ``max_speed_deg_s`` between two
    samples (faster than a head turns: the landmarks jumped); NaN where the window holds fewer than
    ``min_samples`` measured turns or the sample itself is unmeasured (:func:`~.filters.swing_width`)."""
    return swing_width(t_s, yaw_deg, window_s, min_swing_deg, min_swings, max_speed_deg_s, min_samples)
