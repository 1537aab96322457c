"""A kinematic body that turns scenario pose parameters into the 33 MediaPipe landmarks in world metres.

World frame (docs/scenario.md): metres, floor z = 0, z up. A person faces ``heading_deg`` (from +x toward +y); their
own right is forward × up. MediaPipe's LEFT_* landmarks are on the person's own left.

Segment lengths are fractions of standing height H, after Drillis & Contini (1966) as tabulated by Winter,
*Biomechanics and Motor Control of Human Movement*, fig. 4.1:

=====================================  ==========  ==============================================
quantity                               ratio × H   note
=====================================  ==========  ==============================================
hip joint height (standing)            0.530       greater trochanter
knee height                            0.285
ankle height                           0.039       lateral malleolus
shoulder height                        0.818       acromion
thigh (hip → knee)                     0.245       0.530 − 0.285
shank (knee → ankle)                   0.246       0.285 − 0.039
trunk (hip centre → shoulder centre)   0.288       0.818 − 0.530
upper arm (shoulder → elbow)           0.186
forearm (elbow → wrist)                0.146
hand length                            0.108
foot length                            0.152
shoulder joint separation              0.229       biacromial 0.259 less ≈ 1.5 % of H per side (×0.95 female)
hip joint separation                   0.115       joint centres, not the 0.191 bitrochanteric width (×1.05 female)
head centre height                     0.930       sphere through ears, between chin 0.870 and top 1.0
head radius                            0.050
=====================================  ==========  ==============================================

Seated: hip and knee flex by 90° × sit_blend with the shank kept vertical, so a seated pelvis is at knee height
(0.285 H ≈ 0.48 m for 1.68 m), thighs horizontal and shins vertical; the pelvis centre stays over ``pos_m``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .arm_gestures import GESTURE_ARM_STATES, blended_arm, thumb_direction
from .scenario import BodySpec, PoseParams

__all__ = ["Body", "joint_positions_m", "trunk_angles_deg", "DEFAULT_DESK_HEIGHT_M"]

DEFAULT_DESK_HEIGHT_M = 0.75
TIPTOE_HEEL_RAISE_M = 0.06
WALK_LEG_SWING_DEG = 25.0
WALK_ARM_SWING_DEG = 30.0
WALK_FULL_SWING_SPEED_M_S = 0.5
"""Walking speed at and above which the walk cycle plays at full amplitude (scaled down linearly below)."""

# Landmark indices (see etiquette_cv.types.Landmark); kept local so this module needs numpy only.
NOSE, L_EYE_IN, L_EYE, L_EYE_OUT, R_EYE_IN, R_EYE, R_EYE_OUT, L_EAR, R_EAR, MOUTH_L, MOUTH_R = range(11)
L_SHOULDER, R_SHOULDER, L_ELBOW, R_ELBOW, L_WRIST, R_WRIST = range(11, 17)
L_PINKY, R_PINKY, L_INDEX, R_INDEX, L_THUMB, R_THUMB = range(17, 23)
L_HIP, R_HIP, L_KNEE, R_KNEE, L_ANKLE, R_ANKLE, L_HEEL, R_HEEL, L_FOOT, R_FOOT = range(23, 33)
FOOT_LANDMARKS = (L_ANKLE, R_ANKLE, L_HEEL, R_HEEL, L_FOOT, R_FOOT)
LOWER_BODY = (L_HIP, R_HIP, L_KNEE, R_KNEE) + FOOT_LANDMARKS

#: Unit directions (forward, left, up) of the face landmarks 0..10 on the head sphere; the nose sits 5 % out.
_FACE_DIRS = np.array([
    (1.0, 0.0, -0.15),                                                          # nose
    (0.93, 0.12, 0.12), (0.88, 0.30, 0.12), (0.80, 0.45, 0.12),                 # left eye inner, eye, outer
    (0.93, -0.12, 0.12), (0.88, -0.30, 0.12), (0.80, -0.45, 0.12),              # right eye inner, eye, outer
    (-0.10, 1.0, 0.0), (-0.10, -1.0, 0.0),                                      # ears
    (0.90, 0.20, -0.45), (0.90, -0.20, -0.45),                                  # mouth left, right
])
_FACE_DIRS /= np.linalg.norm(_FACE_DIRS, axis=1, keepdims=True)
_FACE_DIRS[0] *= 1.05

# Local frame used while building: x forward, y the person's left, z up (right-handed).
_F = np.array([1.0, 0.0, 0.0])
_L = np.array([0.0, 1.0, 0.0])
_U = np.array([0.0, 0.0, 1.0])


@dataclass(frozen=True)
class Body:
    """Segment lengths (metres) of one person, scaled from standing height."""

    height_m: float
    sex: str
    thigh_m: float
    shank_m: float
    trunk_m: float
    upper_arm_m: float
    forearm_m: float
    hand_m: float
    foot_m: float
    ankle_height_m: float
    shoulder_width_m: float
    hip_width_m: float
    neck_m: float
    """Shoulder centre → head centre."""
    head_radius_m: float

    @classmethod
    def from_height(cls, height_m: float, sex: str = "female") -> "Body":
        """A body of standing height ``height_m`` (metres) with the module's anthropometric ratios."""
        h = float(height_m)
        female = sex == "female"
        return cls(
            height_m=h,
            sex=sex,
            thigh_m=0.245 * h,
            shank_m=0.246 * h,
            trunk_m=0.288 * h,
            upper_arm_m=0.186 * h,
            forearm_m=0.146 * h,
            hand_m=0.108 * h,
            foot_m=0.152 * h,
            ankle_height_m=0.039 * h,
            shoulder_width_m=0.229 * h * (0.95 if female else 1.0),
            hip_width_m=0.115 * h * (1.05 if female else 1.0),
            neck_m=(0.930 - 0.818) * h,
            head_radius_m=0.050 * h,
        )

    @classmethod
    def from_spec(cls, spec: BodySpec) -> "Body":
        """A body for a scenario person's ``body`` entry."""
        return cls.from_height(spec.height_m, spec.sex)

    @property
    def standing_hip_height_m(self) -> float:
        """Hip joint height when standing upright, metres."""
        return self.ankle_height_m + self.shank_m + self.thigh_m

    @property
    def seated_hip_height_m(self) -> float:
        """Hip joint height when fully seated (thighs horizontal, shins vertical), metres."""
        return self.ankle_height_m + self.shank_m


def _rot(axis: np.ndarray, angle_rad: float) -> np.ndarray:
    """3×3 rotation matrix by ``angle_rad`` about unit ``axis`` (right-hand rule)."""
    a = axis / np.linalg.norm(axis)
    x, y, z = a
    c, s = math.cos(angle_rad), math.sin(angle_rad)
    C = 1.0 - c
    return np.array([
        [c + x * x * C, x * y * C - z * s, x * z * C + y * s],
        [y * x * C + z * s, c + y * y * C, y * z * C - x * s],
        [z * x * C - y * s, z * y * C + x * s, c + z * z * C],
    ])


def _unit(v: np.ndarray) -> np.ndarray:
    n = math.sqrt(float(v @ v))
    return v / n if n > 1e-12 else v


def _cross(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Cross product of two 3-vectors (faster than np.cross for single vectors)."""
    return np.array([a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]])


def _perp_unit(v: np.ndarray, d: np.ndarray, fallback: np.ndarray) -> np.ndarray:
    """Unit component of ``v`` orthogonal to unit ``d`` (``fallback`` if v ∥ d)."""
    p = v - (v @ d) * d
    if float(p @ p) < 1e-12:
        p = fallback - (fallback @ d) * d
    return _unit(p)


def _two_bone(root: np.ndarray, target: np.ndarray, a: float, b: float, pole: np.ndarray
              ) -> tuple[np.ndarray, np.ndarray]:
    """Middle and end joints of a two-segment chain (lengths a, b) from ``root`` reaching toward ``target``,
    bending toward ``pole``; an unreachable target is approached along a straight line. Lengths are exact."""
    d_vec = target - root
    d = math.sqrt(float(d_vec @ d_vec))
    dir_ = d_vec / d if d > 1e-9 else -_U
    d = min(max(d, abs(a - b) + 1e-6), (a + b) * (1.0 - 1e-6))
    cos_a = (a * a + d * d - b * b) / (2.0 * a * d)
    sin_a = math.sqrt(max(0.0, 1.0 - cos_a * cos_a))
    perp = _perp_unit(pole, dir_, _F if abs(dir_ @ _F) < 0.9 else _U)
    mid = root + a * (cos_a * dir_ + sin_a * perp)
    end = root + d * dir_
    return mid, end


def trunk_angles_deg(hip_centre: np.ndarray, shoulder_centre: np.ndarray, heading_deg: float
                     ) -> tuple[float, float]:
    """(flexion, lateral) of the hip→shoulder line in degrees, world coordinates (z up): flexion is the angle
    from vertical within the sagittal plane, signed positive toward ``heading_deg``; lateral is the angle out of
    the sagittal plane, positive toward the person's right."""
    h = math.radians(heading_deg)
    f = np.array([math.cos(h), math.sin(h), 0.0])
    r = np.array([math.sin(h), -math.cos(h), 0.0])
    d = _unit(np.asarray(shoulder_centre, float) - np.asarray(hip_centre, float))
    flex = math.degrees(math.atan2(float(d @ f), float(d[2])))
    lat = math.degrees(math.asin(max(-1.0, min(1.0, float(d @ r)))))
    return flex, lat


def _legs(p: PoseParams, body: Body, bl: float, walk: float, phase: float) -> tuple[np.ndarray, dict, ...]:
    """Pelvis centre and, per side (+1 left, -1 right), hip, knee, ankle, heel and toe, in the local frame
    (x forward, y left, z up; origin on the floor below the pelvis), metres."""
    hip_z = body.ankle_height_m + body.shank_m + body.thigh_m * math.cos(math.radians(90.0 * bl))
    hip_c = np.array([0.0, 0.0, hip_z])
    half_hip = 0.5 * body.hip_width_m
    hips = {+1: hip_c + half_hip * _L, -1: hip_c - half_hip * _L}  # +1 = left, -1 = right

    def leg(side: int, hip_flex_deg: float, knee_flex_deg: float) -> tuple[np.ndarray, np.ndarray]:
        th = math.radians(hip_flex_deg)
        sh = math.radians(hip_flex_deg - knee_flex_deg)
        knee = hips[side] + body.thigh_m * (-math.cos(th) * _U + math.sin(th) * _F)
        ankle = knee + body.shank_m * (-math.cos(sh) * _U + math.sin(sh) * _F)
        return knee, ankle

    seat_deg = 90.0 * bl
    knees: dict[int, np.ndarray] = {}
    ankles: dict[int, np.ndarray] = {}
    for side in (+1, -1):
        swing = WALK_LEG_SWING_DEG * walk * math.sin(phase) * side
        knee_bend = 30.0 * walk * max(0.0, math.sin(phase + side * 0.5 * math.pi))  # swing-leg knee bend
        hip_flex, knee_flex = seat_deg + swing, seat_deg + knee_bend
        if p.legs == "bent_knee" and side == -1:
            hip_flex += 12.0 * (1.0 - bl)
            knee_flex += 30.0 * (1.0 - bl)
        knees[side], ankles[side] = leg(side, hip_flex, knee_flex)

    foot_out = math.radians(8.0)
    foot_dir = {s: math.cos(foot_out) * _F + s * math.sin(foot_out) * _L for s in (+1, -1)}
    if p.legs == "crossed":
        # right leg over the left: seated, right ankle rests above the left knee; standing, ankles cross.
        if bl >= 0.5:
            target = knees[+1] + 0.10 * _U + 0.03 * _F
            pole = -_L + 0.3 * _U + 0.3 * _F
        else:
            target = ankles[+1] + 0.08 * _F - 0.02 * _L
            target[2] = ankles[-1][2]
            pole = _F - 0.3 * _L
        knees[-1], ankles[-1] = _two_bone(hips[-1], target, body.thigh_m, body.shank_m, pole)
        foot_dir[-1] = math.cos(0.4) * _F + math.sin(0.4) * _L

    # feet: heel behind/below the ankle, foot index (toe) ahead on the floor
    heels: dict[int, np.ndarray] = {}
    toes: dict[int, np.ndarray] = {}
    heel_back = 0.18 * body.foot_m
    heel_drop = 0.8 * body.ankle_height_m
    for side in (+1, -1):
        fd = foot_dir[side]
        heels[side] = ankles[side] - heel_back * fd - heel_drop * _U
        toes[side] = heels[side] + 0.95 * body.foot_m * fd
    if p.legs == "bent_knee":
        toes[-1][2] = toes[+1][2]  # the bent leg rests on the ball of its foot

    return hip_c, hips, knees, ankles, heels, toes


def _trunk_and_head(p: PoseParams, body: Body, hip_c: np.ndarray, pts: np.ndarray) -> tuple[tuple, dict]:
    """The trunk's axes (up, forward, left) and the shoulders (per side); writes the shoulders and the face."""
    flex = math.radians(p.trunk_flexion_deg)
    lat = math.radians(p.trunk_lateral_deg)
    # direction of hip centre → shoulder centre: exactly `flex` from vertical in the sagittal plane, `lat` out of it
    t_up = math.cos(lat) * (math.sin(flex) * _F + math.cos(flex) * _U) + math.sin(lat) * (-_L)
    t_fwd = math.cos(flex) * _F - math.sin(flex) * _U
    t_left = _cross(t_up, t_fwd)
    sh_c = hip_c + body.trunk_m * t_up
    half_sh = 0.5 * body.shoulder_width_m
    shoulders = {+1: sh_c + half_sh * t_left, -1: sh_c - half_sh * t_left}
    pts[L_SHOULDER], pts[R_SHOULDER] = shoulders[+1], shoulders[-1]

    neck = math.radians(p.neck_flexion_deg)
    head_rot = _rot(t_left, neck)  # chin down = head up tilts forward
    h_up, h_fwd, h_left = head_rot @ t_up, head_rot @ t_fwd, t_left
    if p.arms == "phone_shoulder":
        tilt = _rot(h_fwd, -math.radians(25.0))  # ear toward the left shoulder, clamping the receiver
        h_up, h_left = tilt @ h_up, tilt @ h_left
    if p.head_yaw_deg:
        turn = _rot(h_up, math.radians(p.head_yaw_deg))  # the face toward the person's left
        h_fwd, h_left = turn @ h_fwd, turn @ h_left
    head_c = sh_c + body.neck_m * h_up
    head_axes = np.stack([h_fwd, h_left, h_up])  # rows: orthonormal head frame
    pts[:11] = head_c + body.head_radius_m * (_FACE_DIRS @ head_axes)

    return (t_up, t_fwd, t_left), shoulders


def _arm(arms: str, side: int, s: np.ndarray, body: Body, frame: tuple, hips: dict, hip_c: np.ndarray, walk: float,
         phase: float, desk_height_m: float) -> tuple[np.ndarray, np.ndarray]:
    """Elbow and wrist (local frame, metres) of one arm in pose ``arms`` from its shoulder ``s``."""
    t_up, t_fwd, t_left = frame
    a_len, f_len = body.upper_arm_m, body.forearm_m
    fwd_h = _F  # horizontal forward
    out = side * t_left
    if arms == "sides":
        swing = math.radians(-WALK_ARM_SWING_DEG * walk * math.sin(phase) * side)
        up_dir = _unit(math.cos(swing) * (-t_up) + math.sin(swing) * t_fwd + 0.06 * out)
        fore = _unit(up_dir + math.tan(math.radians(10.0 + 15.0 * walk)) * t_fwd)
        elbow = s + a_len * up_dir
        wrist = elbow + f_len * fore
    elif arms == "front_folded":
        target = hip_c + 0.25 * body.trunk_m * t_up + 0.14 * t_fwd + side * 0.02 * t_left
        elbow, wrist = _two_bone(s, target, a_len, f_len, out - 0.3 * t_fwd - 0.3 * t_up)
    elif arms == "pockets":
        target = hips[side] + 0.07 * _F - 0.03 * _U + side * 0.03 * _L
        elbow, wrist = _two_bone(s, target, a_len, f_len, out - 0.8 * _F)
    elif arms == "desk":
        # elbows rest on the desk in front of the shoulders, forearms flat and turned inward
        z_el = desk_height_m + 0.04
        dz = min(max(float(s[2] - z_el), 0.0), a_len)
        if dz < a_len * 0.995:
            horiz = math.sqrt(a_len * a_len - dz * dz)
            elbow = s + horiz * _unit(fwd_h + 0.25 * side * _L) - dz * _U
            wrist = elbow + f_len * _unit(fwd_h - 0.6 * side * _L)
        else:  # shoulders too high for the elbows to reach the desk (standing): palms on the desk
            target = np.array([s[0] + 0.30, s[1] - side * 0.05, desk_height_m + 0.02])
            elbow, wrist = _two_bone(s, target, a_len, f_len, out - 0.5 * _F)
    elif arms == "reach_down":
        d = _unit(-_U + math.tan(math.radians(15.0)) * _F)
        elbow, wrist = _two_bone(s, s + (a_len + f_len) * 0.98 * d, a_len, f_len, -_F)
    elif arms == "reach_forward":
        d = _unit(fwd_h - math.tan(math.radians(20.0)) * _U - 0.1 * side * _L)
        elbow, wrist = _two_bone(s, s + (a_len + f_len) * 0.97 * d, a_len, f_len, -_U + 0.5 * out)
    else:  # pragma: no cover - validated by the scenario loader
        raise ValueError(f"unknown arms state {arms!r}")
    return elbow, wrist


def _arms(p: PoseParams, body: Body, bl: float, walk: float, phase: float, hip_c: np.ndarray, hips: dict,
          shoulders: dict, frame: tuple, desk_height_m: float, pts: np.ndarray) -> None:
    """Writes elbows, wrists and hand landmarks."""
    for side, (i_el, i_wr) in ((+1, (L_ELBOW, L_WRIST)), (-1, (R_ELBOW, R_WRIST))):
        s = shoulders[side]
        arms = p.arms
        if arms == "phone_shoulder":
            arms = "desk" if bl >= 0.5 else "sides"
        if arms == "reach_down" and side == +1:
            arms = "sides"  # only the right hand reaches down
        gesture = blended_arm(p.arms, p.arms_prev, p.arms_blend, -side, p.arms_since_s, p.gesture_hz or None)
        if gesture is not None:  # a DB 表4 gesture (shared geometry, chest axes right/forward/up)
            t_up, t_fwd, t_left = frame
            to_local = np.stack([-t_left, t_fwd, t_up], axis=1)
            upper, fore, palm, _ = (to_local @ v for v in gesture)
            elbow = s + body.upper_arm_m * upper
            wrist = elbow + body.forearm_m * fore
        else:
            arms = "sides" if arms in GESTURE_ARM_STATES else arms  # the arm a one-handed gesture leaves hanging
            elbow, wrist = _arm(arms, side, s, body, frame, hips, hip_c, walk, phase, desk_height_m)
        pts[i_el], pts[i_wr] = elbow, wrist
        hand = _unit(wrist - elbow)
        thumb_side = _perp_unit(_F - side * 0.3 * _L, hand, _U)
        if gesture is not None:  # the hand turned as the gesture's palm says
            thumb_side = thumb_direction(palm, hand, -side)
        i_pinky, i_index, i_thumb = (L_PINKY, L_INDEX, L_THUMB) if side == +1 else (R_PINKY, R_INDEX, R_THUMB)
        pts[i_index] = wrist + body.hand_m * (0.45 * hand + 0.10 * thumb_side)
        pts[i_pinky] = wrist + body.hand_m * (0.40 * hand - 0.25 * thumb_side)
        pts[i_thumb] = wrist + body.hand_m * (0.30 * hand + 0.30 * thumb_side)


def _whole_body(p: PoseParams, body: Body, bl: float, walk: float, hip_c: np.ndarray, pts: np.ndarray) -> None:
    """Feet kept on the floor while walking, tiptoe, and sway (in place)."""
    if walk > 0.0:
        # keep the lower foot on the floor while the legs swing
        pts[:, 2] -= min(pts[L_ANKLE, 2], pts[R_ANKLE, 2]) - body.ankle_height_m
    if p.legs == "tiptoe" and bl < 1.0:
        # heels rise by TIPTOE_HEEL_RAISE_M (× standing fraction) pivoting on the toes; the ankles and everything
        # above rise by the lever ratio (toe→ankle over toe→heel), so no segment above the feet changes length
        raise_m = TIPTOE_HEEL_RAISE_M * (1.0 - bl)
        lifts = []
        for i_an, i_he, i_to in ((L_ANKLE, L_HEEL, L_FOOT), (R_ANKLE, R_HEEL, R_FOOT)):
            fd = _unit(pts[i_to] - pts[i_he])
            lever = float((pts[i_to] - pts[i_an]) @ fd) / float((pts[i_to] - pts[i_he]) @ fd)
            lifts.append(raise_m * lever)
            pts[i_he, 2] += raise_m
        above = np.ones(33, bool)
        above[[L_HEEL, R_HEEL, L_FOOT, R_FOOT]] = False
        pts[above, 2] += float(np.mean(lifts))

    sway = math.radians(p.sway_offset_deg)
    if abs(sway) > 0.0:
        if bl < 0.5:
            pivot = 0.5 * (pts[L_ANKLE] + pts[R_ANKLE])
            pivot[2] = 0.0
            mask = np.ones(33, bool)
        else:  # seated: the upper body sways about the hip centre
            pivot = hip_c.copy()
            mask = np.ones(33, bool)
            mask[list(LOWER_BODY)] = False
        R = _rot(_F, sway)  # positive: up tilts toward the person's right
        pts[mask] = pivot + (pts[mask] - pivot) @ R.T


def joint_positions_m(params: PoseParams, body: Body, desk_height_m: float = DEFAULT_DESK_HEIGHT_M
                      ) -> np.ndarray:
    """(33, 3) world coordinates in metres (floor z = 0, z up) of the MediaPipe landmarks for these pose
    parameters; ``desk_height_m`` is where forearms rest for arms 'desk'."""
    p = params
    bl = float(np.clip(p.sit_blend, 0.0, 1.0))
    pts = np.zeros((33, 3))
    walk = min(1.0, p.walk_speed_m_s / WALK_FULL_SWING_SPEED_M_S) * (1.0 - bl)
    phase = 2.0 * math.pi * p.walk_phase
    hip_c, hips, knees, ankles, heels, toes = _legs(p, body, bl, walk, phase)
    pts[L_HIP], pts[R_HIP] = hips[+1], hips[-1]
    pts[L_KNEE], pts[R_KNEE] = knees[+1], knees[-1]
    pts[L_ANKLE], pts[R_ANKLE] = ankles[+1], ankles[-1]
    pts[L_HEEL], pts[R_HEEL] = heels[+1], heels[-1]
    pts[L_FOOT], pts[R_FOOT] = toes[+1], toes[-1]

    frame, shoulders = _trunk_and_head(p, body, hip_c, pts)
    _arms(p, body, bl, walk, phase, hip_c, hips, shoulders, frame, desk_height_m, pts)
    _whole_body(p, body, bl, walk, hip_c, pts)
    h = math.radians(p.heading_deg)
    f_w = np.array([math.cos(h), math.sin(h), 0.0])
    l_w = np.array([-math.sin(h), math.cos(h), 0.0])
    M = np.stack([f_w, l_w, _U], axis=1)  # local → world
    origin = np.array([p.pos_m[0], p.pos_m[1], 0.0])
    return pts @ M.T + origin
