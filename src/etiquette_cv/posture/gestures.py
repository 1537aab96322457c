"""Arm gestures' per-frame features from MediaPipe's world landmarks, in the person's own body axes (DB 表4).

The body axes need no calibration: up is the hip centre → shoulder centre direction, left the right → left
shoulder direction made square to it, forward their cross product (the way the chest faces). Per frame and arm:

* **indicating** — the arm extended (elbow angle ≥ ``indicate_min_elbow_deg``), raised away from the body by
  ``indicate_min_elevation_deg``–90° (the hand below the shoulder) both from the body's down and from the vertical
  (in a bow the hanging arms leave the bent body but not the vertical), and not both hands forward together;
* **two-handed hand-over** — both wrists at least ``handover_min_forward_m`` ahead of the shoulders and at most
  ``handover_max_gap_m`` apart, below the shoulders, the trunk within ``handover_max_tilt_deg`` of the vertical
  (in a bow, hands folded in front are ahead of the bent body);
* **wave** — the forearm raised (wrist at least ``wave_min_raise_m`` above the elbow): its sideways tilt from the
  body's up (degrees, toward the body's left positive) is kept, for the events stage to count its oscillation. An
  angle, not the wrist's offset in metres: MediaPipe's world landmarks shrink or grow a person (tuning role-play
  t302, seen 30°–60° from the side: a forearm of 0.25 m read 0.19–0.20 m long, a ±25° wave ±0.06 m);
* **hand contact** (a handshake) — in the image, since each person's world landmarks have their own origin: one of
  the person's wrists held out (at least ``handshake_min_raise_m`` above its hip along the vertical: hands hanging at
  the sides of two people who overlap in the image meet there too, tuning role-play t305) within
  ``handshake_max_gap_m`` of another person's wrist, the image gap turned into metres
  with the image scale of the farther of the two (pixels per metre from their own seen upper-body landmarks against
  their world landmarks, so a person turned sideways keeps their scale, unlike with the shoulder width). Two hands
  that only line up in the image (one far behind the other) can still count: without a calibration there is no depth
  to tell them apart; the farther person's scale makes the gap read large rather than small.

"The vertical" is the calibrated one where the camera is calibrated (:func:`person_down`), else the camera's own
down (a phone at chest height is about level; a phone on a tall tripod looking down 18° read an indicating arm
10° less raised and an upright clerk 17° tilted against it: tuning role-plays t309, t312).

What is measured here is the geometry of MediaPipe's arm landmarks; fingers and palm orientation (fingers
together, palm obliquely up or out) are not measured (that needs the hand model).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..core import PersonPose
from .filters import swing_width

_SH, _EL, _WR, _HIP = (11, 12), (13, 14), (15, 16), (23, 24)


@dataclass(frozen=True)
class GestureSettings:
    """Gesture thresholds (rulebook ``measurement.gestures``): metres, degrees, seconds."""

    visibility: float = 0.5
    indicate_min_elbow_deg: float = 135.0
    indicate_min_elevation_deg: float = 35.0
    indicate_min_s: float = 0.6
    handover_min_forward_m: float = 0.25
    handover_exit_forward_m: float = 0.20
    """… and it lasts until they fall back nearer than this (hysteresis) …"""
    handover_min_reach_ratio: float = 0.45
    """… or ahead by at least this share of the arm's length (shoulder to elbow to wrist; 0: off) …"""
    handover_min_gap_m: float = 0.18
    """… the wrists at least this far apart (a document between the hands: 0.19-0.26 m in the tuning role-plays'
    hand-overs; hands folded in front, DB 表4's standing posture, 0.14-0.15 m, as far ahead) …"""
    handover_max_gap_m: float = 0.30
    handover_min_s: float = 0.5
    handover_max_tilt_deg: float = 25.0
    handover_move_margin_s: float = 0.5
    """Trainer mode: no hand-over within this of a stand-up or sit-down (the hands push on the desk) …"""
    handover_other_within_s: float = 1.0
    """… nor while nobody else was seen within this long (seconds): a hand-over hands something to somebody."""
    wave_min_raise_m: float = 0.05
    wave_min_swing_deg: float = 15.0
    """A side-to-side move of the raised forearm counts when it turns at least this far (degrees) from the last
    turning point."""
    wave_min_turns: float = 3.0
    """… and a wave has at least this many such moves (left-right-left) …"""
    wave_smooth_s: float = 0.3
    """… counted after a running mean over this long (seconds; 3 samples at 10 frames/s: one noisy frame is no
    turn). Seconds, not samples: the 3-sample mean at the 5 frames/s a busy live box lowers to spans a whole period
    of a 1.7 Hz wave, and no wave was found there (synthetic waves, ``sim.gestures``: 0 of 4 at 5 frames/s before,
    6 of 6 at 10, 7.5, 5 and 4 after; tuning role-plays at 5 frames/s: 0 → 2 of 3, at 10 unchanged: 3 of 3)."""
    wave_min_s: float = 0.8
    wave_min_rate_hz: float = 4.0
    """Trainer mode grades a farewell wave only from frames analysed at least this often (frames per second), else
    the step is not assessable: below twice a wave's frequency its swing cannot show (the sampling theorem;
    synthetic 1.5 Hz waves: 6 of 6 found at 4 frames/s, none at 3)."""
    wave_max_autocorr: float = -0.4
    """… and swings regularly: the swing's autocorrelation falls to this at a lag of ``wave_min_lag_s`` to
    ``wave_max_lag_s`` (a hand held up still with jittery landmarks makes turns too: synthetic sequences with 3 cm
    noise, 11 false waves without it)."""
    wave_min_lag_s: float = 0.2
    wave_max_lag_s: float = 0.6
    """The lags (seconds) of that autocorrelation: half a period of a 0.8–2.5 Hz wave (2 to 6 samples at 10
    frames/s, 1 to 3 at 5)."""
    low_wave_max_lift: float = -0.08
    low_wave_min_raise: float = 0.10
    """Waving a hand for "don't know" (摆手, to avoid), in the image: the forearm raised (its rise along the body's
    up at least this many upper-arm lengths) with the wrist below the shoulder by at least ``-low_wave_max_lift``
    upper-arm lengths — in front of the chest; a farewell wave reaches forward and up, the wrist at or above the
    shoulder (:func:`low_hand_tilt_deg`)."""
    low_wave_detector_score: float = 0.3
    """… a keypoint of the person detector (a clerk it alone follows) counts as seen from this score: its scores run
    lower than MediaPipe's visibility (the people stage's ``detector_keypoint_score``) …"""
    low_wave_window_s: float = 1.2
    low_wave_max_speed_deg_s: float = 1500.0
    """… its tilt swinging at least ``wave_min_turns`` times by ``wave_min_swing_deg`` within this window, none
    faster than this (:func:`low_wave_deg`)."""
    handshake_max_gap_m: float = 0.55
    """A handshake's two wrists are this close (metres at the farther person's image scale): 0.15–0.26 m in a grip
    (rendered role-plays), plus the scale's error for people at different depths and the wrists' noise."""
    handshake_min_raise_m: float = 0.10
    """… the person's own wrist at least this far above its hip along the vertical (metres): in a grip it is
    0.15-0.27 m above, hanging or folded in front -0.06-0.03 m (rendered role-plays t305, t308, t311, t313)."""
    handshake_min_s: float = 0.5
    handshake_max_hidden_s: float = 1.5
    """Hands in contact before and after a stretch this long where the wrists were not seen (they hide each other in
    a grip) are one handshake."""
    max_gap_s: float = 0.3
    """A gesture's frames may be interrupted this long (a missed or noisy frame)."""


@dataclass
class GestureFrames:
    """Per-frame gesture features of one person, aligned on ``t_s`` (NaN where the arm is not seen)."""

    t_s: np.ndarray
    indicate: np.ndarray
    """1.0 / 0.0 / NaN: one arm indicating."""
    hand_over: np.ndarray
    """1.0 / 0.0 / NaN: both hands forward together."""
    wave_swing_deg: np.ndarray
    """(N, 2) per arm (left, right): the raised forearm's sideways tilt from the body's up (degrees, toward the
    body's left positive), NaN when the forearm is not raised."""
    hand_contact: np.ndarray | None = None
    """1.0 / 0.0 / NaN: a wrist of the person at another person's wrist in the image (None: not measured)."""


def body_axes(w: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """(left, up, forward) unit vectors of the body from world landmarks (33, 3); None when degenerate."""
    sh = w[list(_SH)]
    up = sh.mean(axis=0) - w[list(_HIP)].mean(axis=0)
    left = sh[0] - sh[1]
    if np.linalg.norm(up) < 1e-6 or np.linalg.norm(left) < 1e-6:
        return None
    up = up / np.linalg.norm(up)
    left = left - (left @ up) * up
    if np.linalg.norm(left) < 1e-6:
        return None
    left = left / np.linalg.norm(left)
    return left, up, np.cross(left, up)


def _angle_deg(u: np.ndarray, v: np.ndarray) -> float:
    c = float(u @ v / (np.linalg.norm(u) * np.linalg.norm(v) + 1e-12))
    return float(np.degrees(np.arccos(np.clip(c, -1.0, 1.0))))


_LEVEL_DOWN = np.array([0.0, 1.0, 0.0])
"""MediaPipe's world y: the camera's down, the vertical for a level camera (a phone at chest height)."""


def person_down(pose: PersonPose, gravity_cam: np.ndarray, K: np.ndarray) -> np.ndarray:
    """The vertical (world down, unit) in the axes of ``pose``'s world landmarks, for a calibrated camera whose down
    in camera coordinates is ``gravity_cam`` (intrinsics ``K``): MediaPipe reads a person's pose as seen along the ray
    to them (the crop is all it sees), so the camera's down is turned by the rotation that takes the optical axis
    onto the ray through the person's shoulder centre."""
    xy = np.asarray(pose.image_xy_px, float)[list(_SH)].mean(axis=0)
    ray = np.linalg.solve(np.asarray(K, float), np.array([xy[0], xy[1], 1.0]))
    ray /= np.linalg.norm(ray)
    z = np.array([0.0, 0.0, 1.0])
    axis = np.cross(z, ray)
    sin_a, cos_a = float(np.linalg.norm(axis)), float(z @ ray)
    g = np.asarray(gravity_cam, float)
    if sin_a < 1e-9:
        return g
    axis /= sin_a
    # the inverse rotation (ray → optical axis) applied to g (Rodrigues with −angle)
    return g * cos_a - np.cross(axis, g) * sin_a + axis * float(axis @ g) * (1.0 - cos_a)


def frame_features(pose: PersonPose, s: GestureSettings, down: np.ndarray | None = None
                   ) -> tuple[float, float, float, float]:
    """(indicate, hand-over ratio, left forearm swing °, right forearm swing °) of one frame (NaN where not seen).
    The hand-over ratio, for two wrists below the shoulders at most ``handover_max_gap_m`` apart with the trunk near
    the vertical, is the smaller of the nearer wrist's reach ahead of its shoulder over ``handover_min_forward_m``
    and the wrists' gap over ``handover_min_gap_m`` (≥ 1: held out with something between them), 0.0 for any other
    arms (graded with hysteresis by :func:`measure_gestures`). ``down``: the vertical in the world landmarks' axes
    (:func:`person_down`; default: a level camera's down)."""
    nan = float("nan")
    w = np.asarray(pose.world_xyz_m, float)
    seen = np.minimum(pose.visibility, pose.presence) >= s.visibility
    axes = body_axes(w) if seen[list(_SH + _HIP)].all() and pose.landmarks_source == "mediapipe" else None
    if axes is None:
        return nan, nan, nan, nan
    left, up, fwd = axes
    down_cam = _LEVEL_DOWN if down is None else np.asarray(down, float)
    upright = _angle_deg(up, -down_cam) <= s.handover_max_tilt_deg
    arm_ok = [bool(seen[[a, b, c]].all()) for a, b, c in zip(_SH, _EL, _WR)]
    ahead = [float((w[wr] - w[sh]) @ fwd) for sh, wr in zip(_SH, _WR)]
    below = [float((w[wr] - w[sh]) @ up) < 0 for sh, wr in zip(_SH, _WR)]
    together = float(np.linalg.norm(w[_WR[0]] - w[_WR[1]]))
    hand_over = nan     # here how far into the hand-over's geometry the arms are: ≥ 1 inside, 0.0 for other arms
    if all(arm_ok):
        reach = min(ahead) / s.handover_min_forward_m
        if s.handover_min_reach_ratio > 0:
            arm = [float(np.linalg.norm(w[el] - w[sh]) + np.linalg.norm(w[wr] - w[el]))
                   for sh, el, wr in zip(_SH, _EL, _WR)]
            reach = max(reach, min(a / max(n, 1e-6) for a, n in zip(ahead, arm)) / s.handover_min_reach_ratio)
        hand_over = min(reach, together / s.handover_min_gap_m) \
            if together <= s.handover_max_gap_m and all(below) and upright else 0.0
    indicate = nan if not any(arm_ok) else 0.0
    lateral = [nan, nan]
    for k, (sh, el, wr) in enumerate(zip(_SH, _EL, _WR)):
        if not arm_ok[k]:
            continue
        elbow = 180.0 - _angle_deg(w[el] - w[sh], w[wr] - w[el])
        elevation = min(_angle_deg(w[wr] - w[sh], -up), _angle_deg(w[wr] - w[sh], down_cam))
        if elbow >= s.indicate_min_elbow_deg and s.indicate_min_elevation_deg <= elevation <= 90.0 \
                and not hand_over >= 1.0:
            indicate = 1.0
        fore = w[wr] - w[el]
        if float(fore @ up) >= s.wave_min_raise_m:
            lateral[k] = float(np.degrees(np.arctan2(float(fore @ left), float(fore @ up))))
    return indicate, hand_over, lateral[0], lateral[1]


def _camera_down(pose: PersonPose, camera) -> np.ndarray | None:
    """:func:`person_down` for a calibrated ``camera``; None (a level camera's down) without one."""
    return None if camera is None else person_down(pose, camera.gravity_cam, camera.K)


def measure_gestures(t_s: np.ndarray, poses: list[PersonPose | None], settings: GestureSettings = GestureSettings(),
                     camera=None) -> GestureFrames:
    """Per-frame gesture features of one person over time (``poses`` aligned on ``t_s``, None where unseen).
    ``camera``: the calibrated camera (its ``gravity_cam`` and ``K``) whose vertical the arms are measured against;
    None: a level camera."""
    rows = np.array([frame_features(p, settings, _camera_down(p, camera)) if p is not None else (np.nan,) * 4
                     for p in poses], float)
    rows = rows.reshape(len(poses), 4)
    return GestureFrames(np.asarray(t_s, float), rows[:, 0], handover_hysteresis(rows[:, 1], settings),
                         rows[:, 2:4])


def handover_hysteresis(ratio: np.ndarray, s: GestureSettings) -> np.ndarray:
    """1.0 / 0.0 / NaN per frame: two hands held out with something between them, from a hand-over ratio of 1
    (:func:`frame_features`) until it falls below ``handover_exit_forward_m`` / ``handover_min_forward_m`` (a held
    document hovers at the thresholds: tuning role-play t312's reach read 0.24-0.25 m through a 2 s hand-over, which
    the threshold alone split); NaN frames keep the state."""
    stay = s.handover_exit_forward_m / s.handover_min_forward_m
    out = np.full(len(ratio), np.nan)
    holding = False
    for i, r in enumerate(np.asarray(ratio, float)):
        if not np.isfinite(r):
            continue
        holding = r >= (stay if holding else 1.0)
        out[i] = float(holding)
    return out


#: landmarks whose image spread against their world spread gives a person's image scale (nose, ears, arms, hips)
_SCALE_LANDMARKS = (0, 7, 8, 11, 12, 13, 14, 15, 16, 23, 24)


def image_scale_px_per_m(person: PersonPose, visibility: float = 0.5) -> float:
    """The person's image scale in pixels per metre: the least-squares ratio of their seen upper-body landmarks'
    image offsets to the same offsets in their world landmarks (x, y: the image plane's axes), NaN with fewer than
    three seen or without world landmarks."""
    if person.world_xyz_m is None or not np.isfinite(person.world_xyz_m).all():
        return float("nan")
    seen = np.minimum(person.visibility, person.presence) >= visibility
    idx = [k for k in _SCALE_LANDMARKS if seen[k]]
    if len(idx) < 3:
        return float("nan")
    img = person.image_xy_px[idx] - person.image_xy_px[idx].mean(axis=0)
    world = person.world_xyz_m[idx, :2] - person.world_xyz_m[idx, :2].mean(axis=0)
    spread = float((world ** 2).sum())
    return float((img * world).sum() / spread) if spread > 1e-4 else float("nan")


def hand_contact(person: PersonPose, others: list[PersonPose], settings: GestureSettings,
                 down: np.ndarray | None = None) -> float:
    """1.0 when one of ``person``'s wrists is held out (``handshake_min_raise_m`` above its hip along ``down``, the
    vertical in the world landmarks' axes: :func:`person_down`, default a level camera's down) and within
    ``handshake_max_gap_m`` of another person's wrist (image gap at the farther one's image scale), 0.0 when not
    (or nobody else is there), NaN when their wrists with their hips or their scale, or every other person's wrists,
    are not seen."""
    seen = np.minimum(person.visibility, person.presence) >= settings.visibility
    mine_scale = image_scale_px_per_m(person, settings.visibility)
    if not seen[list(_WR)].any() or not mine_scale > 0:
        return float("nan")
    judged = [(k, hip) for k, hip in zip(_WR, _HIP) if seen[k] and seen[hip]]
    if not judged:   # a wrist whose hip is hidden: held out or not cannot be told
        return float("nan")
    xy, w = person.image_xy_px, np.asarray(person.world_xyz_m, float)
    down_cam = _LEVEL_DOWN if down is None else np.asarray(down, float)
    mine = [xy[k] for k, hip in judged if float((w[hip] - w[k]) @ down_cam) >= settings.handshake_min_raise_m]
    any_seen = False
    for o in others:
        o_seen = np.minimum(o.visibility, o.presence) >= settings.visibility
        scale = np.nanmin([mine_scale, image_scale_px_per_m(o, settings.visibility)])
        for k in _WR:
            if not o_seen[k]:
                continue
            any_seen = True
            if any(float(np.linalg.norm(m - o.image_xy_px[k])) <= settings.handshake_max_gap_m * scale for m in mine):
                return 1.0
    # somebody there whose hands are hidden (a grip hides both wrists): unknown, not "apart"
    return 0.0 if any_seen or not others else float("nan")


def measure_hand_contact(frames: list, track_id: int, settings: GestureSettings = GestureSettings(),
                         camera=None) -> np.ndarray:
    """Per frame (``FramePoses``), whether the person ``track_id`` has a hand held out at another person's hand
    (1/0/NaN); ``camera``: the calibrated camera whose vertical is used (None: a level camera)."""
    out = np.full(len(frames), np.nan)
    for i, f in enumerate(frames):
        me = next((p for p in f.persons if p.track_id == track_id), None)
        if me is not None:
            out[i] = hand_contact(me, [p for p in f.persons if p.track_id != track_id], settings,
                                  _camera_down(me, camera))
    return out


def low_hand_tilt_deg(pose: PersonPose, s: GestureSettings) -> tuple[float, float, bool]:
    """(left, right) sideways tilt in the image (degrees from the body's up, toward the image's left positive) of a
    forearm raised in front of the chest — its rise along the body's up at least ``low_wave_min_raise`` and the wrist
    below the shoulder by at least ``-low_wave_max_lift`` upper-arm lengths — NaN for an arm that is not (or not
    seen); and whether an arm was seen at all. Read in the image, so the person detector's keypoints serve as well
    as MediaPipe's (a clerk followed by the detector alone); the body's up is the hips-to-shoulders line, the image's
    up when the hips are hidden. The wrist's height is read in MediaPipe's world landmarks where there are some, along
    the body's own up (a camera looking down lowers a hand held forward in the image: a farewell wave seen from 2 m
    up reads below the shoulder there); its side-to-side swing in the image (MediaPipe's world arm barely swings
    when seen obliquely: tuning avoid-set t341)."""
    xy = np.asarray(pose.image_xy_px, float)
    floor = s.visibility if pose.landmarks_source == "mediapipe" else s.low_wave_detector_score
    seen = np.minimum(pose.visibility, pose.presence) >= floor
    if not seen[list(_SH)].all():
        return float("nan"), float("nan"), False
    up = xy[list(_SH)].mean(axis=0) - xy[list(_HIP)].mean(axis=0) if seen[list(_HIP)].all() else np.array([0.0, -1.0])
    if np.linalg.norm(up) < 1.0:
        return float("nan"), float("nan"), False
    up = up / np.linalg.norm(up)
    left = np.array([up[1], -up[0]])     # the image's left of the body's up (x grows rightward, y downward)
    w = np.asarray(pose.world_xyz_m, float)
    axes = body_axes(w) if pose.landmarks_source == "mediapipe" and seen[list(_HIP)].all() else None
    tilts, any_arm = [float("nan"), float("nan")], False
    for k, (sh, el, wr) in enumerate(zip(_SH, _EL, _WR)):
        upper_px = float(np.linalg.norm(xy[el] - xy[sh]))
        if not seen[[el, wr]].all() or upper_px < 5.0:
            continue
        any_arm = True
        fore = xy[wr] - xy[el]
        if axes is not None:   # the wrist's height in the body's own axes: a camera looking down does not lower it
            lift = float((w[wr] - w[sh]) @ axes[1]) / max(float(np.linalg.norm(w[el] - w[sh])), 1e-6)
        else:
            lift = float((xy[wr] - xy[sh]) @ up) / upper_px
        if float(fore @ up) >= s.low_wave_min_raise * upper_px and lift <= s.low_wave_max_lift:
            tilts[k] = float(np.degrees(np.arctan2(float(fore @ left), float(fore @ up))))
    return tilts[0], tilts[1], any_arm


def low_wave_deg(t_s: np.ndarray, low_tilt_deg: np.ndarray, arms_seen: np.ndarray, s: GestureSettings
                 ) -> np.ndarray:
    """Per sample, how widely a hand waves side to side in front of the chest (degrees; DB 表4 asks to avoid 摆手
    for "don't know"): of the two arms, the wider :func:`~.filters.swing_width` of the forearm's tilt while it
    is raised in front of the chest (``low_tilt_deg``, (N, 2): :func:`low_hand_tilt_deg`); 0.0 where an arm
    was seen but none waved so, NaN where no arm was seen (``arms_seen``)."""
    t = np.asarray(t_s, float)
    tilt = np.asarray(low_tilt_deg, float).reshape(len(t), 2)
    widths = [swing_width(t, tilt[:, k], s.low_wave_window_s, s.wave_min_swing_deg, int(s.wave_min_turns),
                          s.low_wave_max_speed_deg_s) for k in range(2)]
    out = np.fmax(widths[0], widths[1])
    return np.where(np.isnan(out) & np.asarray(arms_seen, bool), 0.0, out)
