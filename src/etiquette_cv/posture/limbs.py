"""Limb features from MediaPipe's world landmarks: hands at the pockets, knee angles, crossed legs, tiptoe."""

from __future__ import annotations

import numpy as np

from ..core import Landmark, PersonPose
from ..geometry.camera import CameraModel
from ..geometry.polyline import distance_to_polygon
from .trunk_fit import PersonPlace

ELBOW_LEVER = 2.0
"""The wrists' height difference is read as this times the elbows' when the hands are hidden: an arm hanging from
the shoulder moves the elbow half as far as the wrist."""


def joint_angle_deg(a: np.ndarray, b: np.ndarray, c: np.ndarray) -> float:
    """Angle ABC in degrees at vertex ``b`` between the segments to ``a`` and ``c`` (any dimension)."""
    u, v = a - b, c - b
    cosang = float(u @ v / (np.linalg.norm(u) * np.linalg.norm(v) + 1e-12))
    return float(np.degrees(np.arccos(np.clip(cosang, -1.0, 1.0))))


def hands_ahead_m(pose: PersonPose, R: np.ndarray, place: PersonPlace, min_visibility: float = 0.5) -> float:
    """How far the hands are ahead of their shoulders along the way the person faces (metres; the lesser of the
    hands seen: a side view sees one), from MediaPipe's world landmarks in gravity-aligned axes; NaN when no hand
    is seen with its shoulder. In a
    bow the hands stay with the body (at the sides, or folded at the belly) and end up behind the shoulders in a deep
    bend; reaching down to the floor puts them ahead of the shoulders."""
    L = Landmark
    seen = np.minimum(pose.visibility, pose.presence) >= min_visibility
    W = np.asarray(pose.world_xyz_m, dtype=float) @ R
    fwd, _ = place.axes()
    ahead = [float((W[w] - W[s]) @ fwd) for w, s in ((L.LEFT_WRIST, L.LEFT_SHOULDER), (L.RIGHT_WRIST, L.RIGHT_SHOULDER))
             if seen[w] and seen[s]]
    return min(ahead) if ahead else float("nan")


_HANDS = ((Landmark.LEFT_PINKY, Landmark.LEFT_INDEX, Landmark.LEFT_THUMB),
          (Landmark.RIGHT_PINKY, Landmark.RIGHT_INDEX, Landmark.RIGHT_THUMB))


def limb_features(pose: PersonPose, R: np.ndarray, place: PersonPlace, min_visibility: float = 0.5,
                  pocket_distance_m: float = 0.20, crossed_raise_m: float = 0.15,
                  pocket_hand_max_visibility: float = 0.77, hands_behind_counter: bool = False,
                  pocket_wrist_min_visibility: float = 0.1) -> tuple[float, float, float, float, float]:
    """(hands_in_pockets 1/0/NaN, smaller knee angle deg, wrist height asymmetry m (from the elbows when the hands
    are hidden), legs crossed 1/0/NaN,
    heel raise m) from MediaPipe's world landmarks rotated into gravity-aligned world axes (``R`` world→camera).
    A quantity whose landmarks are not visible is NaN: hidden limbs are invented by MediaPipe, never trusted.
    Hands in pockets: both elbows seen, both wrists at least ``pocket_wrist_min_visibility`` visible (below the
    usual threshold: a hand in a pocket takes its wrist's visibility down with it, tuning t365 0.56 → 0.14 over 4 s)
    and within ``pocket_distance_m`` of their own hips, apart (not folded in front), and the **hands** hidden —
    the mean visibility of both hands' pinky, index and thumb below
    ``pocket_hand_max_visibility`` (hands hanging at the sides are the same shape in MediaPipe's world arm, but seen;
    seen obliquely, MediaPipe gives the far hand in a pocket a visibility like a seen one's, tuning t345, so the two
    hands are averaged); NaN when the counter hides a hand (``hands_behind_counter``: then its hiding tells
    nothing)."""
    W = np.asarray(pose.world_xyz_m, dtype=float) @ R  # camera axes → world axes (z up)
    seen = np.minimum(pose.visibility, pose.presence) >= min_visibility
    L = Landmark
    nan = float("nan")
    pockets = knee = asym = crossed = heel = nan
    wl, wr, hl, hr = L.LEFT_WRIST, L.RIGHT_WRIST, L.LEFT_HIP, L.RIGHT_HIP
    if not seen[[wl, wr]].all() and seen[[L.LEFT_ELBOW, L.RIGHT_ELBOW]].all():
        # the hands hidden (behind the counter, in a bend): the elbows, halfway down the arm, drop half as far
        asym = ELBOW_LEVER * float(abs(W[L.LEFT_ELBOW, 2] - W[L.RIGHT_ELBOW, 2]))
    if seen[[wl, wr]].all():
        asym = float(abs(W[wl, 2] - W[wr, 2]))
    vis = np.minimum(pose.visibility, pose.presence)
    located = (vis[[wl, wr]] >= pocket_wrist_min_visibility).all()
    if located and seen[[L.LEFT_ELBOW, L.RIGHT_ELBOW, hl, hr]].all() and not hands_behind_counter:
        hip_w = np.linalg.norm(W[hl] - W[hr])
        near = max(np.linalg.norm(W[wl] - W[hl]), np.linalg.norm(W[wr] - W[hr])) < pocket_distance_m
        apart = np.linalg.norm(W[wl] - W[wr]) > 0.75 * hip_w
        hidden = float(np.mean(vis[list(_HANDS[0] + _HANDS[1])])) < pocket_hand_max_visibility
        pockets = float(near and apart and hidden)
    legs = [hl, L.LEFT_KNEE, L.LEFT_ANKLE, hr, L.RIGHT_KNEE, L.RIGHT_ANKLE]
    if seen[legs].all():
        knee = min(joint_angle_deg(W[legs[0]], W[legs[1]], W[legs[2]]),
                   joint_angle_deg(W[legs[3]], W[legs[4]], W[legs[5]]))
        _, right = place.axes()
        side_hips = (W[hr] - W[hl]) @ right
        side_ankles = (W[L.RIGHT_ANKLE] - W[L.LEFT_ANKLE]) @ right
        raised = abs(W[L.LEFT_ANKLE, 2] - W[L.RIGHT_ANKLE, 2]) > crossed_raise_m
        crossed = float(raised or np.sign(side_hips) != np.sign(side_ankles))
    feet = [L.LEFT_HEEL, L.RIGHT_HEEL, L.LEFT_FOOT_INDEX, L.RIGHT_FOOT_INDEX]
    if seen[feet].all():
        heel = float(np.mean([W[L.LEFT_HEEL, 2] - W[L.LEFT_FOOT_INDEX, 2],
                              W[L.RIGHT_HEEL, 2] - W[L.RIGHT_FOOT_INDEX, 2]]))
    return pockets, knee, asym, crossed, heel


def hands_on_counter(pose: PersonPose, camera: CameraModel, place: PersonPlace, shoulder_height_m: float,
                     counter_height_m: float, top_m: np.ndarray, min_visibility: float = 0.5,
                     margin_m: float = 0.10, min_ahead_m: float = 0.08, hand_above_m: float = 0.02,
                     max_above_m: float = 0.12) -> float:
    """1.0 when a hand rests on the counter top, 0.0 when the hands seen do not, NaN when no hand is seen. A hand
    (the midpoint of its pinky and index landmarks, where it lies on the top) rests on the top when its pixel's
    ray, at the height of a hand lying on the top (``hand_above_m`` over it), lands on the top (``top_m``: the
    top's polygon on its plane, floor metres) or within ``margin_m`` of it (a hand at its edge). A hand higher than
    that lands farther back along its ray: hands hanging at the sides or folded in front in a bow, a step behind
    the desk, land behind it. The hand leant on is reached out: its wrist at least ``min_ahead_m`` ahead of its
    shoulder along the way the person faces (MediaPipe's gravity-aligned world landmarks; a deep bow's hands,
    hanging behind the desk and below its top, land on it too, but hang under the shoulders). And the hand is not
    held above the top: at most ``max_above_m`` higher than a hand lying on it, its height read as the shoulders'
    (metres above the floor) plus its drop below them in MediaPipe's world landmarks (hands folded in front, seen
    from the side with the counter behind them, land on the top too). Only the upper bound: the shoulders' height
    is read on the station's vertical line, and a clerk bent toward the camera in front of it reads low."""
    L = Landmark
    seen = np.minimum(pose.visibility, pose.presence) >= min_visibility
    if not (np.isfinite(shoulder_height_m) and seen[[L.LEFT_SHOULDER, L.RIGHT_SHOULDER]].all()):
        return float("nan")
    W = np.asarray(pose.world_xyz_m, dtype=float) @ np.asarray(camera.R, float)
    fwd, _ = place.axes()
    shoulders = (W[L.LEFT_SHOULDER] + W[L.RIGHT_SHOULDER]) / 2
    found = []
    for w, sh, pinky, index in ((L.LEFT_WRIST, L.LEFT_SHOULDER, L.LEFT_PINKY, L.LEFT_INDEX),
                                (L.RIGHT_WRIST, L.RIGHT_SHOULDER, L.RIGHT_PINKY, L.RIGHT_INDEX)):
        if not seen[[w, sh, pinky, index]].all():
            continue
        hand_px = (pose.image_xy_px[pinky] + pose.image_xy_px[index]) / 2
        xy = camera.pixel_to_plane_z(hand_px, counter_height_m + hand_above_m)
        on_top = bool(np.all(np.isfinite(xy)) and distance_to_polygon(xy, top_m) <= margin_m)
        height = shoulder_height_m + float((W[pinky, 2] + W[index, 2]) / 2 - shoulders[2])
        level = height - counter_height_m - hand_above_m <= max_above_m
        found.append(on_top and level and float((W[w] - W[sh]) @ fwd) >= min_ahead_m)
    return float(any(found)) if found else float("nan")


def hand_at_head(pose: PersonPose, min_visibility: float = 0.5, reach_m: float = 0.6, below_ear: float = 0.9,
                 beside_ear: float = 0.8) -> tuple[float, float]:
    """Where a hand at the head is, relative to the nearer ear, in the image, in units of the ears-to-shoulders
    drop (x across, y down): of the visible wrist nearest to the head that lies within ``reach_m`` (3-D, metres,
    world landmarks) of the ears' midpoint and, in the image, at most ``below_ear`` drops below the ears and
    ``beside_ear`` drops sideways from the nearer ear. (inf, inf) when the visible wrists are all elsewhere; (NaN,
    NaN) when no wrist, no ear or no shoulder is visible. A hand at the head is fingers in the hair, a hand on the
    cheek or a phone held to the ear (allowed): :func:`hand_head_motion` tells them apart. The place is read in
    the image: MediaPipe's world arm drops a raised elbow and wrist toward the chest (rendered hair touches read
    8-16 cm below the ears in its world, as low as a phone call)."""
    nan = (float("nan"), float("nan"))
    W = np.asarray(pose.world_xyz_m, dtype=float)
    xy = np.asarray(pose.image_xy_px, dtype=float)
    seen = np.minimum(pose.visibility, pose.presence) >= min_visibility
    ears = [i for i in (Landmark.LEFT_EAR, Landmark.RIGHT_EAR) if seen[i]]
    wrists = [i for i in (Landmark.LEFT_WRIST, Landmark.RIGHT_WRIST) if seen[i]]
    shoulders = [i for i in (Landmark.LEFT_SHOULDER, Landmark.RIGHT_SHOULDER) if seen[i]]
    if not ears or not wrists or not shoulders:
        return nan
    head_m = W[ears].mean(axis=0)
    ear_y, drop_px = xy[ears, 1].mean(), xy[shoulders, 1].mean() - xy[ears, 1].mean()
    if drop_px <= 0:   # the head not above the shoulders in the image (a deep bow, lying on the desk)
        return nan
    best, best_d = (float("inf"), float("inf")), float("inf")
    for w in wrists:
        ear = min(ears, key=lambda e: abs(xy[w, 0] - xy[e, 0]))
        dx, dy = (xy[w, 0] - xy[ear, 0]) / drop_px, (xy[w, 1] - ear_y) / drop_px
        d = float(np.linalg.norm(W[w] - head_m))
        if d <= reach_m and dy <= below_ear and abs(dx) <= beside_ear and d < best_d:
            best, best_d = (float(dx), float(dy)), d
    return best


def hand_head_motion(t_s: np.ndarray, offsets: np.ndarray, window_s: float = 1.0, min_share: float = 0.6
                     ) -> np.ndarray:
    """How much a hand at the head moves about it: per sample, the spread (root of the summed variances across and
    down, in ears-to-shoulders drops) of :func:`hand_at_head`'s offsets within ±``window_s``/2, where at least
    ``min_share`` of the window's measured samples had a hand at the head; 0.0 where a wrist was seen but no hand
    stayed at the head, NaN where no wrist was seen. Fingers in the hair move (rendered, tuning: 0.12-0.38 drops); a
    phone held to the ear stays (MediaPipe on a still hand: 0.002-0.04)."""
    off = np.asarray(offsets, dtype=float).reshape(len(t_s), 2)
    measured = ~np.isnan(off[:, 0])
    at_head = np.isfinite(off[:, 0])
    out = np.where(measured, 0.0, np.nan)
    lo = np.searchsorted(t_s, t_s - window_s / 2)
    hi = np.searchsorted(t_s, t_s + window_s / 2, side="right")
    for i in np.flatnonzero(measured):
        seg = slice(lo[i], hi[i])
        n_measured, near = int(measured[seg].sum()), at_head[seg]
        if n_measured and near.sum() >= max(3, min_share * n_measured):
            out[i] = float(np.sqrt(np.var(off[seg][near], axis=0).sum()))
    return out
