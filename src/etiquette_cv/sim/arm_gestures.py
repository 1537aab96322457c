"""The arm gestures of DB21/T 2641-2016 表4 as exact arm geometry, shared by the synthetic body (:mod:`.body`) and
the renderer (``tools/render/body.py``) so that both draw a scripted gesture identically (numpy only).

Directions are unit vectors in the chest's axes (right, forward, up) of the person; ``side`` is +1 for the right
arm and −1 for the left. Each gesture arm gives the upper arm's and the forearm's direction, the palm's normal (the
way the palm faces) and the fingers' direction (straight and together, along the hand: the wrist straight). An arm
not part of the gesture hangs (:func:`hanging`).

=========== ====== ==========================================================================================
state       arms   geometry (DB 表4)
=========== ====== ==========================================================================================
indicate    right  指示: "五指伸直并拢，腕关节伸直；掌心斜上方" — the upper arm raised 50° from hanging, 45° out
                   from straight ahead; the forearm rising to 70° from hanging, 50° out (the elbow bent 20°: the
                   standard names no elbow angle, ours); fingers straight along the forearm; the palm obliquely up
                   (its normal 40° from the vertical, inward).
wave        right  挥手道别: "手臂前伸，掌心向外，左右挥动" — the upper arm forward (55° from hanging, 25° out);
                   the forearm raised, swinging ±25° side to side about the forward axis at ``hz`` (sin, starting
                   at the centre); the palm out (facing forward).
hand_over   both   接递物品: "双手递接…递于客户手中" — the upper arms 30° forward of hanging; the forearms forward
                   5° below the horizontal, 25° inward, so the hands meet ≈ 0.2 m apart at chest-to-waist
                   height; palms up (holding the document).
handshake   right  握手: "伸出右手…时间宜3s~5s" — the upper arm 35° forward of hanging; the forearm forward
                   10° below the horizontal, 10° inward, pumping ±5° up and down at ``hz``; the hand upright
                   (palm facing inward, thumb up).
touch_hair  right  to avoid (DB 表4: no fiddling with hair): the upper arm raised 120° from hanging, 10° out; the
                   forearm folded back up to the side of the head (110° from hanging, turned 150° from straight
                   ahead toward the other side), circling ±20° about the upper arm at ``hz``: the wrist ≈ 5 cm
                   above the ear, the fingers in the hair over it.
phone_ear   right  not a violation (CC 通用规范㈠10: the receiver held to the ear): the upper arm 70° forward of
                   hanging, 10° in; the forearm up along the jaw (140° from hanging, 160° round), held still: the
                   wrist 10-12 cm below the ear and 14-16 cm in front of it, the fingers at the ear — the control
                   that a hand-at-the-head finding must not flag.
wave_no     right  to avoid (DB 表4: no "摆手" for "don't know"): the upper arm 25° forward of hanging, 20° in (the
                   elbow low, by the waist); the forearm raised in front of the chest, leaning 20° inward and a
                   little forward, swinging ±30° side to side about the forward axis at ``hz`` (quick: 2.5-3.5 Hz);
                   the palm out — the hand in front of the chest and chin, across the body's midline, where a
                   farewell wave's hand is beside the shoulder and the arm reaches forward.
tap_counter right  to avoid (DB 表4: "用手敲桌台…来提醒客户"): the upper arm 25° forward of hanging, 5° out; the
                   forearm forward, 92° from hanging (the hand on the counter top standing, on the desk seated),
                   knocking: its pitch swings ±8° at ``hz`` (2.5-4 Hz), the wrist ±3.6 cm; the palm down.
hand_rest   right  allowed (its look-alike): the same arm resting on the counter or desk, still.
=========== ====== ==========================================================================================

A gesture's arm moves from hanging into this geometry over :data:`RAISE_S` after the key that starts it, and back
over :data:`RAISE_S` after the key that ends it (``blend``), so a rendered gesture is fully formed 0.4 s after its
annotated start.
"""

from __future__ import annotations

import math

import numpy as np

GESTURE_ARM_STATES = ("indicate", "wave", "hand_over", "handshake", "touch_hair", "phone_ear", "wave_no",
                      "tap_counter", "hand_rest")
"""The scenario ``arms`` states with exact arm geometry: the DB 表4 gestures, three to avoid and two still
controls."""
GESTURE_ARMS = {"indicate": (1,), "wave": (1,), "hand_over": (1, -1), "handshake": (1,), "touch_hair": (1,),
                "phone_ear": (1,), "wave_no": (1,), "tap_counter": (1,), "hand_rest": (1,)}
"""The arms (+1 right, −1 left) each gesture moves."""
RAISE_S = 0.4
"""Seconds to move an arm between hanging and a gesture."""
WAVE_SWING_DEG = 25.0
HANDSHAKE_PUMP_DEG = 5.0
HAIR_CIRCLE_DEG = 20.0
WAVE_NO_SWING_DEG = 30.0
KNOCK_DEG = 8.0
DEFAULT_HZ = {"wave": 1.5, "handshake": 2.0, "touch_hair": 1.5, "wave_no": 3.0, "tap_counter": 3.0}
"""Default oscillation frequencies (Hz) when a keyframe sets no ``gesture_hz``."""

_R, _F, _U = np.array([1.0, 0, 0]), np.array([0, 1.0, 0]), np.array([0, 0, 1.0])


def _unit(v: np.ndarray) -> np.ndarray:
    return v / np.linalg.norm(v)


def direction(from_down_deg: float, out_deg: float, side: int) -> np.ndarray:
    """Unit vector ``from_down_deg`` from hanging straight down, its horizontal part turned ``out_deg`` from straight
    ahead toward this arm's side (negative: inward), in chest axes (right, forward, up)."""
    a, b = math.radians(from_down_deg), math.radians(out_deg)
    horiz = math.cos(b) * _F + math.sin(b) * side * _R
    return _unit(-math.cos(a) * _U + math.sin(a) * horiz)


def _rotate(v: np.ndarray, axis: np.ndarray, angle_rad: float) -> np.ndarray:
    """``v`` turned ``angle_rad`` about the unit ``axis`` (Rodrigues)."""
    c, s = math.cos(angle_rad), math.sin(angle_rad)
    return _unit(v * c + np.cross(axis, v) * s + axis * (axis @ v) * (1 - c))


def hanging(side: int) -> tuple[np.ndarray, np.ndarray]:
    """Upper-arm and forearm directions of an arm hanging at the side (a little out, the forearm a little
    forward)."""
    return _unit(-_U + 0.10 * side * _R + 0.03 * _F), _unit(-_U + 0.05 * side * _R + 0.15 * _F)


def _palm(normal: np.ndarray, fingers: np.ndarray) -> np.ndarray:
    """``normal`` made square to the fingers."""
    return _unit(normal - (normal @ fingers) * fingers)


def gesture_arm(state: str, side: int, since_s: float, hz: float | None = None
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None:
    """(upper arm, forearm, palm normal, fingers) unit directions in chest axes of arm ``side`` in gesture
    ``state`` at ``since_s`` seconds after the gesture began; None when this arm is not part of the gesture (or the
    state is no gesture)."""
    if state not in GESTURE_ARMS or side not in GESTURE_ARMS[state]:
        return None
    hz = DEFAULT_HZ.get(state, 1.0) if hz is None else hz
    since_s = since_s if math.isfinite(since_s) else 0.0   # held since the first keyframe
    inward = -side * _R
    if state == "indicate":
        upper, fore = direction(50.0, 45.0, side), direction(70.0, 50.0, side)
        return upper, fore, _palm(math.cos(math.radians(40)) * _U + math.sin(math.radians(40)) * inward, fore), fore
    if state == "wave":
        psi = math.radians(WAVE_SWING_DEG) * math.sin(2.0 * math.pi * hz * since_s)
        fore = _unit(math.cos(psi) * _U + math.sin(psi) * side * _R + 0.15 * _F)
        return direction(55.0, 25.0, side), fore, _palm(_F, fore), fore
    if state == "wave_no":
        psi = math.radians(20.0 + WAVE_NO_SWING_DEG * math.sin(2.0 * math.pi * hz * since_s))
        fore = _unit(math.cos(psi) * _U + math.sin(psi) * inward + 0.25 * _F)
        return direction(25.0, -20.0, side), fore, _palm(_F, fore), fore
    if state in ("tap_counter", "hand_rest"):
        knock = KNOCK_DEG * math.sin(2.0 * math.pi * hz * since_s) if state == "tap_counter" else 0.0
        fore = direction(92.0 - knock, 0.0, side)
        return direction(25.0, 5.0, side), fore, _palm(-_U, fore), fore
    if state == "touch_hair":  # the forearm circles about the upper arm: the hand moves in the hair
        upper = direction(120.0, 10.0, side)
        psi = math.radians(HAIR_CIRCLE_DEG) * math.sin(2.0 * math.pi * hz * since_s)
        fore = _rotate(direction(110.0, -150.0, side), upper, psi)
        return upper, fore, _palm(inward, fore), fore
    if state == "phone_ear":
        upper, fore = direction(70.0, -10.0, side), direction(140.0, -160.0, side)
        return upper, fore, _palm(inward, fore), fore
    if state == "hand_over":
        fore = direction(85.0, -25.0, side)
        return direction(30.0, 0.0, side), fore, _palm(_U, fore), fore
    pump = HANDSHAKE_PUMP_DEG * math.sin(2.0 * math.pi * hz * since_s)
    fore = direction(80.0 + pump, -10.0, side)
    return direction(35.0, 0.0, side), fore, _palm(inward, fore), fore


def blended_arm(state: str, prev_state: str, blend: float, side: int, since_s: float, hz: float | None = None
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray | None, np.ndarray | None] | None:
    """The arm's (upper, forearm, palm normal, fingers) directions while moving between hanging and a gesture
    (``blend`` 0 → 1 over :data:`RAISE_S` after the key that set ``state``; ``prev_state`` the state before it).
    None when neither state moves this arm as a gesture (the body's own arm states apply)."""
    now = gesture_arm(state, side, since_s, hz)
    before = gesture_arm(prev_state, side, since_s, hz) if blend < 1.0 else None
    if now is None and before is None:
        return None
    if blend >= 1.0:
        return now
    hang = (*hanging(side), None, None)
    a, b = before or hang, now or hang
    w = float(3 * blend ** 2 - 2 * blend ** 3)
    upper = _unit((1 - w) * a[0] + w * b[0])
    fore = _unit((1 - w) * a[1] + w * b[1])
    palm = (now or before)[2]
    return upper, fore, _palm(palm, fore), fore


def thumb_direction(palm: np.ndarray, fingers: np.ndarray, side: int) -> np.ndarray:
    """The thumb's side of the hand (unit, square to the fingers): for a right hand fingers × palm normal, for a left
    hand palm normal × fingers."""
    return _unit(np.cross(fingers, palm) if side > 0 else np.cross(palm, fingers))
