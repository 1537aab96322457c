"""The clerk's posture series over a whole video: heights, trunk angles, limbs and the sit/stand stance.

Input: the analysed frames (:class:`~etiquette_cv.core.FramePoses`) and a solved camera; output: a
:class:`ClerkSeries` of arrays aligned on the frames' times (seconds), NaN where not measurable.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from ..core import Landmark, PersonPose
from ..geometry.camera import CameraModel
from ..geometry.floor import counter_skyline_px
from ..geometry.polyline import polyline_side
from ..timeseries import label_runs
from .filters import above_own_median, lowpass, rolling_median, rolling_std
from .gestures import GestureSettings, low_hand_tilt_deg, low_wave_deg
from .head import head_shake_deg, head_yaw_deg, steady_head_turns
from .limbs import hand_at_head, hand_head_motion, hands_ahead_m, hands_on_counter, limb_features
from .stance import StanceChange, StanceSettings, stance_states
from .trunk_fit import BodyDims, FitSettings, PersonPlace, TrunkFit, TrunkFitter, view_from_front_deg
from .upright import (UprightReference, UprightSettings, quiet_frames, settled_frames,
                      standing_reference_series, upright_reference)

_LS, _RS = Landmark.LEFT_SHOULDER, Landmark.RIGHT_SHOULDER
MAX_DIMS_SAMPLES = 40
"""At most about this many upright frames are fitted to learn a person's trunk dimensions."""
MIN_SEATED_SAMPLES = 5
"""The seated hip height is learnt from at least this many seated frames (and the baselines from as many)."""
MIN_STANDING_SAMPLES = 5
"""The standing body is learnt from frames above the standing level when there are at least this many."""


@dataclass(frozen=True)
class PostureSettings:
    """Settings of the clerk posture measurement; the review builds them from the rulebook's ``measurement.posture``,
    ``measurement.trunk_fit`` and ``measurement.stance`` sections."""

    fit: FitSettings = field(default_factory=FitSettings)
    stance: StanceSettings = field(default_factory=StanceSettings)
    gestures: GestureSettings = field(default_factory=GestureSettings)
    """The arm gestures' settings (a hand waved for "don't know" is graded as a posture)."""
    baseline_max_deg: float = 8.0
    """The per-person upright baseline (MediaPipe's hips and shoulders are not joint centres, which tilts an
    upright trunk by a few degrees) may correct at most this much."""
    frame_edge_px: float = 6.0
    """A clerk whose image box comes this close (pixels) to the image border is at the edge of the view."""
    seated_baseline_max_deg: float = 22.0
    """The seated baseline's bound: seated hips are where MediaPipe is least reliable."""
    filter_cutoff_hz: float = 2.0
    visibility: float = 0.5
    anchor_upright_deg: float = 6.0
    """Frames whose first-pass flexion is within this of upright place the hip anchor of their stretch (and the
    lateral lean held while the trunk is bent further than this beyond them, see ``_stance_pass``)."""
    anchor_min_frames: int = 5
    seated_anchor_sigma_m: float = 0.04
    """How far a seated person's hip centre may stray from the station's floor point (1 sigma, metres): the
    calibration puts that point under the seat. A chair rolled far from it biases the seated angles (the seated
    upright reference takes out what stays constant)."""
    lateral_hold_max_chi2: float = 3.84
    """A bent trunk's sideways lean is held at the upright one (see ``_stance_pass``) unless freeing it lowers the
    fit's cost by more than this: a chi-square of one degree of freedom at 95 %."""
    sway_window_s: float = 2.0
    lateral_max_flexion_deg: float = 10.0
    pocket_distance_m: float = 0.20
    """A wrist within this of its own hip (3D) is at the pocket …"""
    counter_hand_margin_m: float = 0.10
    """A hand whose ray lands on the counter top, or this near (metres) its edges, rests on it
    (``limbs.hands_on_counter``) …"""
    counter_hand_min_ahead_m: float = 0.08
    """… when its wrist is reached out this far (metres) ahead of its shoulder: a deep bow's hands hang under the
    shoulders."""
    counter_hand_max_above_m: float = 0.12
    """… and not held more than this (metres) above the top: the shoulders' height on the station's vertical line
    plus the hand's drop below them …"""
    counter_hand_min_view_deg: float = 20.0
    """Hands on the counter are not read from a camera within this (degrees) of the person's front or back: along
    the camera's ray MediaPipe's depth reads hands hanging in a bow 0.1–0.2 m ahead of the shoulders (0.08 m behind
    them in truth: rendered ``bow_head_set/h1_front``, 4.5° off the front, five of six bows taken for leans), and a
    hand on the top and one hanging behind the desk fall on the same pixel."""
    counter_hand_window_s: float = 0.5
    """A hand's rest on the counter is read over this window (median, seconds): frames where MediaPipe's wrist jumps
    back toward the shoulder do not break a lean."""
    counter_hand_above_m: float = 0.02
    """The height (metres) of MediaPipe's pinky and index landmarks over the counter top when the hand lies on it:
    where their ray is followed to (``limbs.hands_on_counter``)."""
    pocket_wrist_min_visibility: float = 0.1
    """… the wrists at least this visible (a hand in a pocket takes its wrist's visibility down: tuning t365) …"""
    pocket_window_s: float = 1.0
    """Hands in pockets are read over this window (median, seconds): the wrists sit at the threshold distance from
    the hips and flicker across it (tuning t365)."""
    pocket_hand_max_visibility: float = 0.77
    """… and the hands in them: both hands' pinky, index and thumb seen less than this on average (MediaPipe invents a
    hand in a pocket, with a lower visibility; ``limbs.limb_features``)."""
    landmark_error_px: float = 3.0
    """The least error of MediaPipe's shoulder/hip/ear landmarks (pixels): over the pixels one degree of flexion
    moves them, the uncertainty of a measured angle — for a small person; see ``landmark_error_share_*``."""
    landmark_error_share_front: float = 0.03
    """MediaPipe's landmark error as a share of the upright trunk's length in the image, seen from in front (0°);
    ``…_oblique`` at 45°, ``…_side`` at 90°, ``…_back`` from behind (180°), interpolated in between: the rendered
    tuning clips' shoulder and ear landmarks against the true joints during bows (median per view bucket)."""
    landmark_error_share_oblique: float = 0.05
    landmark_error_share_side: float = 0.061
    landmark_error_share_back: float = 0.066
    crossed_ankle_raise_m: float = 0.15
    hand_head_reach_m: float = 0.6
    """A wrist within this (3-D) of the ears' midpoint …"""
    hand_head_below_ear: float = 0.9
    hand_head_beside_ear: float = 0.8
    """… and in the image no lower, and no farther sideways from an ear, than these many ears-to-shoulders drops is
    at the head (see ``limbs.hand_at_head``)."""
    hand_head_window_s: float = 1.0
    """A hand at the head's motion is its spread over this window (centred; ``limbs.hand_head_motion``)."""
    head_shake_window_s: float = 1.2
    head_shake_min_swing_deg: float = 15.0
    head_shake_min_swings: int = 3
    head_shake_max_speed_deg_s: float = 1200.0
    """A head shake: at least ``head_shake_min_swings`` alternating turns of the head, each at least
    ``head_shake_min_swing_deg``, within this window, none faster than ``head_shake_max_speed_deg_s`` between two
    samples (``head.head_shake_deg``)."""
    head_shake_max_flexion_deg: float = 20.0
    """… and not while the trunk is bent this far (degrees) or in a bow: the face turns to the floor."""
    hand_head_wave_below_ear: float = 0.65
    """Trainer mode: a hair touch found during a wave is the touch when the hand's median place lies no lower than
    this many ears-to-shoulders drops below the ears, else the wave (``pipeline.trainee_events``)."""
    head_flexion_margin_deg: float = 12.0
    """How much more trunk flexion than the head's drop toward the shoulders implies is believed when correcting the
    shoulder height for a bow."""
    upright_quiet_window_s: float = 1.0
    upright_quiet_std_deg: float = 1.5
    upright_transition_guard_s: float = 0.3
    upright_band_deg: float = 4.0
    upright_window_s: float = 6.0
    upright_spell_tolerance_deg: float = 6.0
    """The upright reference's evidence (see :mod:`.upright`): quiet over the window, below the spread, this far
    from a sit/stand move (its onset to its completion), standing within the band of the lowest level any settled
    standing frame holds within the window either side and within the tolerance of the person's overall standing
    upright."""

    def upright(self) -> UprightSettings:
        """The upright reference's settings."""
        return UprightSettings(self.upright_quiet_window_s, self.upright_quiet_std_deg,
                               self.upright_transition_guard_s, self.upright_band_deg, self.upright_window_s,
                               self.upright_spell_tolerance_deg, MIN_SEATED_SAMPLES)


@dataclass
class ClerkSeries:
    """The clerk's measurements over time, aligned on ``t_s`` (NaN where not measurable)."""

    t_s: np.ndarray
    frame_index: np.ndarray
    visible: np.ndarray
    """bool: the clerk's shoulders were found."""
    shoulder_height_m: np.ndarray
    """Shoulder-centre height above the floor on the station's vertical line."""
    upright_shoulder_height_m: np.ndarray
    """Shoulder height corrected for the trunk's flexion (what it would be upright): tells sitting from standing
    even during a bow."""
    head_minus_shoulder_m: np.ndarray
    flexion_deg: np.ndarray
    """Trunk flexion from the true vertical, baseline-corrected and low-pass filtered."""
    flexion_raw_deg: np.ndarray
    lateral_deg: np.ndarray
    flexion_assessable: np.ndarray
    lateral_assessable: np.ndarray
    hips_seen: np.ndarray
    knee_angle_deg: np.ndarray
    """Smaller of the two knee angles (180 = straight) where the legs are visible, else NaN."""
    stance: np.ndarray
    """'sit' / 'stand' / '' per sample (from the stance machine)."""
    hands_ahead_m: np.ndarray = None
    """How far both hands are ahead of the shoulders, metres (a reach to the floor, not a bow, when deep)."""
    at_frame_edge: np.ndarray = None
    """bool: the clerk's image box touched the image border (within ``frame_edge_px``) in this frame."""
    wrist_asymmetry_m: np.ndarray = None
    """Height difference between the two wrists (gravity-aligned world landmarks): one hand far lower than the
    other marks a reach, not a bow."""
    hands_in_pockets: np.ndarray = None
    """1.0 / 0.0 / NaN: each wrist at its own hip, the wrists apart (not folded in front)."""
    hand_wave_deg: np.ndarray = None
    """How widely a hand waves side to side in front of the chest (degrees; 0 when none does, NaN where no arm is
    seen): ``gestures.low_wave_deg``."""
    head_shake_deg: np.ndarray = None
    """How widely the head shakes (median size of its alternating turns within a second, degrees; 0 without three of
    them; NaN where the nose, ears or shoulders are not seen): ``head.head_shake_deg``."""
    hand_head_motion: np.ndarray = None
    """How much a hand at the head moves about it (ears-to-shoulders drops; 0 where no hand is at the head, NaN where
    no wrist is seen): fingers in the hair move, a phone held to the ear stays (``limbs.hand_head_motion``)."""
    legs_crossed: np.ndarray = None
    """1.0 / 0.0 / NaN (legs not visible): one ankle raised over the other leg, or the ankles' sides swapped."""
    heel_raise_m: np.ndarray = None
    """Height of the heels above the toes (tiptoe), NaN where the feet are hidden."""
    knee_bend_deg: np.ndarray = None
    """How much more the knee is bent than this person's own median while standing (degrees): MediaPipe's world
    legs are biased by 10–40° even on straight legs, so only the change from the person's own posture is used."""
    heel_raise_rel_m: np.ndarray = None
    """Heel height above the toes relative to this person's own median while standing (tiptoe), metres."""
    sway_deg: np.ndarray = None
    """Standard deviation of the lateral lean over a sliding 2 s window (swaying left-right)."""
    abs_lateral_deg: np.ndarray = None
    hands_on_counter: np.ndarray = None
    """1.0 / 0.0 / NaN: a hand rests on the counter top through most of ``counter_hand_window_s``
    (``limbs.hands_on_counter``; NaN without the calibration's ``counter_top`` polygon or a hand seen)."""
    counter_lean_deg: np.ndarray = None
    """The trunk's flexion (degrees) while a hand rests on the counter top, 0 while none does (leaning on the
    counter, 斜靠), NaN where either is unknown."""
    baseline_deg: float = 0.0
    seated_baseline_deg: float = 0.0
    dims: BodyDims = field(default_factory=BodyDims)
    stance_changes: list[StanceChange] = field(default_factory=list)
    """The sit/stand transitions the stance machine confirmed."""
    flexion_uncertainty_deg: np.ndarray = None
    """± of the flexion (degrees) from the view: the landmarks' error over the pixels one degree moves them."""
    upright_refs: dict[str, UprightReference] = field(default_factory=dict)
    """Per stance: what upright read for this person and the evidence (the baselines above)."""



def _clerk_pose(frame, station: str | None) -> PersonPose | None:
    """The clerk of ``station`` in one frame (with several candidates, one posed by their own landmarker)."""
    found = frame.by_role("clerk", station)
    return min(found, key=lambda p: p.landmarks_source != "mediapipe", default=None)


def at_image_edge(pose: PersonPose, width_px: int, height_px: int, margin_px: float) -> bool:
    """Whether a person's image box (the detector's, else their visible landmarks' extent) comes within
    ``margin_px`` pixels of the image border: part of them may be out of the view."""
    box = pose.box_xyxy_px
    if box is None:
        seen = pose.image_xy_px[pose.visibility >= 0.5]
        if not len(seen):
            return False
        box = np.concatenate([seen.min(axis=0), seen.max(axis=0)])
    x0, y0, x1, y1 = (float(v) for v in box)
    return x0 <= margin_px or y0 <= margin_px or x1 >= width_px - 1 - margin_px or y1 >= height_px - 1 - margin_px


_HAND_POINTS = list(range(Landmark.LEFT_WRIST, Landmark.RIGHT_THUMB + 1))
"""The wrists and the hands' pinky, index and thumb landmarks."""


def hide_behind_counter(pose: PersonPose, skyline_px: np.ndarray, margin_px: float = 4.0) -> PersonPose:
    """A copy of a person behind the counter whose landmarks below the counter's top edge in the image get zero
    visibility: MediaPipe invents hidden hips and legs with confident-looking values, and they must not be used."""
    if len(skyline_px) < 2:
        return pose
    x = pose.image_xy_px[:, 0]
    inside = (x >= skyline_px[0, 0]) & (x <= skyline_px[-1, 0])
    line_y = np.interp(x, skyline_px[:, 0], skyline_px[:, 1])
    hidden = inside & (pose.image_xy_px[:, 1] > line_y + margin_px)
    if not hidden.any():
        return pose
    vis = pose.visibility.copy()
    vis[hidden] = 0.0
    return replace(pose, visibility=vis)



@dataclass
class _Frames:
    """Per-frame measurements gathered before the trunk fits (arrays over the analysed frames)."""

    poses: list[PersonPose | None]
    fitted: np.ndarray
    """bool: the clerk was posed by their own landmarker (world landmarks: trunk fit and limbs possible)."""
    visible: np.ndarray
    shoulder_m: np.ndarray
    head_m: np.ndarray
    limbs: np.ndarray
    """(N, 11): hands in pockets, knee angle, wrist asymmetry, legs crossed, heel raise (see limb_features), a hand
    at the head's offset from the ear across and down (see hand_at_head), the head's turn (see head.head_yaw_deg),
    the left and right forearms' tilt when raised in front of the chest and whether an arm was seen (see
    gestures.low_hand_tilt_deg; the person detector's keypoints too)."""
    hands_ahead: np.ndarray
    """How far both hands are ahead of the shoulders (metres, see hands_ahead_m)."""
    at_edge: np.ndarray | None = None
    """bool: the clerk's image box touched the image border."""


def _move_spans(changes: list[StanceChange]) -> list[tuple[float, float]]:
    """(start, end) seconds of each sit/stand move: its onset to its completion (estimated where not seen)."""
    return [(c.at("onset"), c.at("complete")) for c in changes]


def _measure_frames(frames: list, camera: CameraModel, place: PersonPlace, settings: PostureSettings,
                    skyline: np.ndarray, station: str | None) -> _Frames:
    """Shoulder and head heights (metres, on the station's vertical line) and limb features of each frame."""
    n = len(frames)
    sh, head = np.full(n, np.nan), np.full(n, np.nan)
    limbs = np.full((n, 11), np.nan)
    ahead = np.full(n, np.nan)
    visible = np.zeros(n, bool)
    poses: list[PersonPose | None] = [_clerk_pose(f, station) for f in frames]
    # frames where only the person detector saw the clerk give the shoulder and head heights (sit/stand), not the
    # trunk fit or the limbs: its 17 keypoints carry no world landmarks and are too coarse for angles
    fitted = np.array([p is not None and p.landmarks_source == "mediapipe" for p in poses], dtype=bool)
    at_edge = np.array([p is not None and at_image_edge(p, f.image_width, f.image_height, settings.frame_edge_px)
                        for p, f in zip(poses, frames)], dtype=bool)
    seen_hands = [None if p is None else np.minimum(p.visibility, p.presence)[_HAND_POINTS] > 0 for p in poses]
    poses = [hide_behind_counter(p, skyline) if p is not None and len(skyline) else p for p in poses]
    xy = place.station_xy_m
    ears = [Landmark.LEFT_EAR, Landmark.RIGHT_EAR]
    for i, pose in enumerate(poses):
        if pose is None:
            continue
        idx = [_LS, _RS]
        if np.any(np.minimum(pose.visibility[idx], pose.presence[idx]) < settings.visibility):
            continue
        visible[i] = True
        sh[i] = float(camera.height_on_vertical_line(pose.image_xy_px[idx].mean(axis=0), xy))
        head_idx = ears if np.all(pose.visibility[ears] >= settings.visibility) else [Landmark.NOSE]
        if np.all(pose.visibility[head_idx] >= settings.visibility):
            head[i] = float(camera.height_on_vertical_line(pose.image_xy_px[head_idx].mean(axis=0), xy)) - sh[i]
        if fitted[i]:
            ahead[i] = hands_ahead_m(pose, np.asarray(camera.R, float), place, settings.visibility)
            behind = bool(np.any(seen_hands[i] & (pose.visibility[_HAND_POINTS] == 0.0)))   # the counter hid them
            limbs[i, :5] = limb_features(pose, np.asarray(camera.R, float), place, settings.visibility,
                                         settings.pocket_distance_m, settings.crossed_ankle_raise_m,
                                         settings.pocket_hand_max_visibility, behind,
                                         settings.pocket_wrist_min_visibility)
            limbs[i, 5:7] = hand_at_head(pose, settings.visibility, settings.hand_head_reach_m,
                                         settings.hand_head_below_ear, settings.hand_head_beside_ear)
            limbs[i, 7] = head_yaw_deg(pose, settings.visibility)
        # a hand waved in front of the chest is read in the image: the detector's keypoints serve too
        left, right, arm_seen = low_hand_tilt_deg(pose, settings.gestures)
        limbs[i, 8:11] = left, right, float(arm_seen)
    return _Frames(poses, fitted, visible, sh, head, limbs, ahead, at_edge)


def _standing_pass(fitter: TrunkFitter, m: _Frames, stand_above_m: float) -> tuple[np.ndarray, dict[int, TrunkFit]]:
    """Learn the person's dimensions from the frames that look upright-standing, then fit every frame as
    standing (its flexion corrects the shoulder height for bows, so a bow is not mistaken for sitting down).
    Upright-standing = shoulders above the person's median height and above ``stand_above_m`` (the sit/stand
    machine's standing level): a camera day is mostly seated, and the upper half of seated frames would teach a
    standing body with seated hips."""
    visible, sh = m.visible, m.shoulder_m
    level = np.nanmedian(sh[visible]) if visible.any() else np.nan
    tall = visible & m.fitted & (sh > np.fmax(level, stand_above_m))
    if tall.sum() < MIN_STANDING_SAMPLES:   # never seen standing: the upper half of what was seen
        tall = visible & m.fitted & (sh > level)
    sample = [m.poses[i] for i in np.flatnonzero(tall)[:: max(1, int(tall.sum()) // MAX_DIMS_SAMPLES)]]
    if sample:
        fitter.dims = fitter.learn_dims(sample, "stand")
    flex_stand = np.full(len(sh), np.nan)
    stand_fits: dict[int, TrunkFit] = {}
    prev = None
    for i in np.flatnonzero(visible & m.fitted):
        fit = fitter.fit(m.poses[i], "stand", init=prev, quick=True)
        if fit is not None:
            flex_stand[i] = fit.flexion_deg
            stand_fits[i] = prev = fit
    return flex_stand, stand_fits


def _upright_shoulder_height(m: _Frames, flex_stand: np.ndarray, trunk_length_m: float,
                             settings: PostureSettings) -> np.ndarray:
    """The shoulder height (metres) the person would have upright: corrected for the first pass's flexion."""
    head = m.head_m
    # A seated clerk whose hips are hidden fits the standing model as a deep bow; a real bow also brings the head
    # down toward the shoulders. So the correction uses no more flexion than the head's drop supports.
    head_upright = np.nanpercentile(head, 90) if np.isfinite(head).any() else np.nan
    head_flex = np.degrees(np.arccos(np.clip(head / head_upright, -1.0, 1.0))) if np.isfinite(head_upright) \
        else np.full(len(head), np.inf)
    head_flex = np.where(np.isfinite(head_flex), head_flex, np.inf)
    bow_flex = np.minimum(np.nan_to_num(flex_stand, nan=0.0), head_flex + settings.head_flexion_margin_deg)
    upright = m.shoulder_m + trunk_length_m * (1.0 - np.cos(np.radians(np.clip(bow_flex, 0, 90))))
    upright[~m.visible] = np.nan
    return upright


def _stance_pass(fitter: TrunkFitter, m: _Frames, stance: np.ndarray, stand_fits: dict[int, TrunkFit],
                 settings: PostureSettings) -> tuple[np.ndarray, ...]:
    """Every frame fitted again, the hips anchored: standing, where they were while the person was upright in the
    same stretch; seated, on the chair (the station's floor point at the seated hip height, within
    ``seated_anchor_sigma_m``, the hip landmarks weighed ``fit.seated_hip_weight``): MediaPipe's seated hips,
    hidden by the desk or not, follow the shoulders, and left free the fit explained a lean back by moving them
    (the deportment sample read its −15° lean back as upright, tuning t354 its −12.7° one as −4.5°). Hiding the
    hips behind the desk's top instead left a seated trunk without them, and seen from the front a bend and a lean
    back then fit alike (synthetic: a seated clip read upright as −14°). Returns flexion and lateral (degrees) and
    their assessable flags, hips seen and the flexion's ± (degrees: the landmark error over the pixels a degree
    moves them).

    Standing and bent further than ``anchor_upright_deg`` beyond the stretch's upright frames, the flexion is fitted
    again with the lateral lean held at theirs, and that fit is kept unless the free lean fits the image
    significantly better (``lateral_hold_max_chi2``; the lateral series keeps the free fit's, which is read only
    near upright anyway): a bow is a forward bend, and seen obliquely a sideways lean moves the shoulders across the
    image as a bow does. MediaPipe's shoulder line turns 3.5-4.3° in the image in a 15° bow seen 36-38° off the
    clerk's front (tall-tripod role-plays t309/t310; the true shoulder line under 0.7°); read as a lean of 3-4° it
    took 2-3° of those bows, and holding it costs the fit little (cost up 0.6-2.1). Where the body departs from the
    model in a deep bow (synthetic true joints seen from the side: a free lean of 5-7°) holding it costs 24-38 and
    read 45-60° bows 3-5° shallow, so the free fit is kept there."""
    n = len(stance)
    flex, lat, unc = np.full(n, np.nan), np.full(n, np.nan), np.full(n, np.nan)
    share = landmark_error_share(settings, fitter.view_from_front_deg())
    f_ok, l_ok, hips_seen = np.zeros(n, bool), np.zeros(n, bool), np.zeros(n, bool)
    prev = None
    for a, b in label_runs(stance):
        st = stance[a] or "stand"
        idx = [i for i in range(a, b) if m.visible[i] and m.fitted[i]]
        anchor = upright = anchor_sigma = None
        if st == "stand":
            calm = [stand_fits[i] for i in idx if i in stand_fits
                    and abs(stand_fits[i].flexion_deg) < settings.anchor_upright_deg]
            if len(calm) >= settings.anchor_min_frames:
                anchor = np.median(np.array([f.hip_xyz_m for f in calm]), axis=0)
                upright = (float(np.median([f.flexion_deg for f in calm])),
                           float(np.median([f.lateral_deg for f in calm])))
        else:   # seated hips are hidden by the desk or invented: the chair holds them (the station's floor point)
            anchor = np.array([*fitter.place.station_xy_m, fitter.dims.seated_hip_height_m], dtype=float)
            anchor_sigma = settings.seated_anchor_sigma_m
        for i in idx:
            if st == "stand" and anchor is None:
                fit = stand_fits.get(i)
            else:
                fit = fitter.fit(m.poses[i], st, init=prev, hip_anchor_m=anchor, anchor_sigma_m=anchor_sigma)
            if fit is None:
                continue
            prev = bent = fit
            if upright is not None and fit.flexion_deg - upright[0] > settings.anchor_upright_deg:
                held = fitter.fit(m.poses[i], st, init=fit, hip_anchor_m=anchor, quick=True, lateral_deg=upright[1])
                bent = held if held and held.cost - fit.cost <= settings.lateral_hold_max_chi2 else fit
            flex[i], lat[i] = bent.flexion_deg, fit.lateral_deg
            f_ok[i], l_ok[i], hips_seen[i] = bent.flexion_assessable, fit.lateral_assessable, fit.hips_seen
            if bent.flexion_sensitivity_px_per_deg > 0:
                error_px = max(settings.landmark_error_px, share * bent.trunk_upright_px)
                unc[i] = error_px / bent.flexion_sensitivity_px_per_deg
    return flex, lat, f_ok, l_ok, hips_seen, unc


def landmark_error_share(settings: PostureSettings, view_from_front_deg: float) -> float:
    """MediaPipe's landmark error as a share of the upright trunk's image length, for a camera this many degrees
    off the person's front (0° in front, 180° behind), interpolated between the rulebook's four views."""
    return float(np.interp(abs(view_from_front_deg), [0.0, 45.0, 90.0, 180.0],
                           [settings.landmark_error_share_front, settings.landmark_error_share_oblique,
                            settings.landmark_error_share_side, settings.landmark_error_share_back]))


def _without_lone_unresolved(flex: np.ndarray, resolved: np.ndarray) -> np.ndarray:
    """The flexion series (degrees) with NaN where one frame's fit could not resolve the angle (too few pixels per
    degree) while the frames either side of it could: the view does not change within a frame, so such a fit fell
    into a degenerate solution (tuning t117: 19.6°, 48.8°, 25.5° at the peak of a 25° bow; all four such frames of
    the rendered tuning clips are 19-30° off their neighbours). A view that cannot resolve the angle for longer is
    left as it is (its findings carry the ± that says so)."""
    out = flex.copy()
    measured = np.isfinite(flex)
    lone = ~resolved[1:-1] & measured[1:-1] & resolved[:-2] & resolved[2:] & measured[:-2] & measured[2:]
    out[1:-1][lone] = np.nan
    return out


def _most_of(window_median: np.ndarray) -> np.ndarray:
    """1.0 / 0.0 / NaN from a 0/1 series' rolling median: 1 where it held through most of the window."""
    return np.where(np.isfinite(window_median), (window_median >= 0.5).astype(float), np.nan)


def _hands_on_counter(m: _Frames, camera: CameraModel, place: PersonPlace, top_px: np.ndarray | None,
                      counter_height_m: float, settings: PostureSettings) -> np.ndarray:
    """Per frame 1.0 / 0.0 / NaN: a hand rests on the counter top (``limbs.hands_on_counter``), in the frames posed
    by MediaPipe; all NaN without the counter top's polygon or from a camera along the person's front-back axis
    (``counter_hand_min_view_deg``)."""
    out = np.full(len(m.poses), np.nan)
    top_m = None if top_px is None else camera.pixel_to_plane_z(np.asarray(top_px, float), counter_height_m)
    if top_m is None or not np.all(np.isfinite(top_m)):
        return out
    view = view_from_front_deg(camera.R, camera.t, place)
    if min(view, 180.0 - view) < settings.counter_hand_min_view_deg:
        return out
    for i in np.flatnonzero(m.fitted & m.visible):
        out[i] = hands_on_counter(m.poses[i], camera, place, m.shoulder_m[i], counter_height_m, top_m,
                                  settings.visibility, settings.counter_hand_margin_m,
                                  settings.counter_hand_min_ahead_m, settings.counter_hand_above_m,
                                  settings.counter_hand_max_above_m)
    return out


def _baselines(t: np.ndarray, flex: np.ndarray, stance: np.ndarray, visible: np.ndarray,
               changes: list[StanceChange], settings: PostureSettings
               ) -> tuple[dict[str, UprightReference], np.ndarray]:
    """Per-stance upright reference (degrees) from the frames that show the person upright (:mod:`.upright`):
    MediaPipe's hips and shoulders are not joint centres, and seated (hips at the thigh roots, partly behind the
    desk) they sit differently than standing. Returns the per-stance summaries and the per-sample offset."""
    us = settings.upright()
    settled = settled_frames(t, flex, stance, visible, _move_spans(changes), us)
    quiet = quiet_frames(t, flex, settled, us)
    refs = {"stand": upright_reference(t, flex, quiet, stance, "stand", settings.baseline_max_deg, us, settled),
            "sit": upright_reference(t, flex, quiet, stance, "sit", settings.seated_baseline_max_deg, us, settled)}
    offset = np.where(stance == "sit", refs["sit"].value_deg, refs["stand"].value_deg)
    standing = standing_reference_series(t, flex, quiet, stance, refs["stand"], settings.baseline_max_deg, us,
                                         settled)
    return refs, np.where(np.isfinite(standing), standing, offset)


def measure_clerk(frames: list, camera: CameraModel, station_xy_m: np.ndarray, facing_xy: np.ndarray,
                  settings: PostureSettings = PostureSettings(), counter_edge_m: np.ndarray | None = None,
                  counter_height_m: float = 0.0, station: str | None = None,
                  counter_top_px: np.ndarray | None = None) -> ClerkSeries:
    """The posture series of the clerk of ``station`` (None: any clerk) from the analysed frames (``FramePoses``)
    through a solved camera (station and facing in floor metres). Frames where only the person detector saw the
    clerk give shoulder and head heights (sit/stand) but no trunk fit or limb features (its 17 keypoints carry no
    world landmarks). With the counter's front edge and height (metres), landmarks hidden behind the counter are
    not used; with the counter top's image polygon (``counter_top_px``) and a camera on the customers' side a
    hand resting on the top is found. The sit/stand machine runs here; the trunk is fitted with the hip-height
    prior of its stance."""
    t = np.array([f.timestamp_s for f in frames], dtype=float)
    place = PersonPlace(np.asarray(station_xy_m, float), np.asarray(facing_xy, float))
    fitter = TrunkFitter(camera, place, settings=settings.fit)
    skyline = counter_skyline_px(camera, counter_edge_m, counter_height_m,
                                 clerk_side=polyline_side(place.station_xy_m, counter_edge_m)) \
        if counter_edge_m is not None else []
    m = _measure_frames(frames, camera, place, settings, skyline, station)
    flex_stand, stand_fits = _standing_pass(fitter, m, settings.stance.stand_above_m)
    L = fitter.dims.trunk_length_m
    upright = _upright_shoulder_height(m, flex_stand, L, settings)
    states, changes = stance_states(t, upright, m.head_m, settings.stance)
    stance = np.asarray(states, dtype=object)
    # seated frames get the seated hip height, learnt as the seated shoulder height less the trunk length: sitting
    # upright is the norm, and seated hips are usually hidden by the desk
    seated = m.visible & (stance == "sit")
    if seated.sum() >= MIN_SEATED_SAMPLES:
        fitter.dims = replace(fitter.dims, seated_hip_height_m=float(np.nanmedian(m.shoulder_m[seated]) - L))
    flex, lat, f_ok, l_ok, hips_seen, unc = _stance_pass(fitter, m, stance, stand_fits, settings)
    flex = _without_lone_unresolved(flex, f_ok)
    refs, offset = _baselines(t, flex, stance, m.visible, changes, settings)
    baseline = {k: r.value_deg for k, r in refs.items()}
    flex_c = lowpass(t, flex - offset, settings.filter_cutoff_hz)
    # A sideways lean is read only while the trunk is near upright: in a bend, the lateral angle of the fit is
    # poorly observed and mixes with the bend.
    near_upright = np.abs(flex_c) < settings.lateral_max_flexion_deg
    lat_c = lowpass(t, lat, settings.filter_cutoff_hz)
    hands, knee, asym, crossed, heel = m.limbs[:, :5].T.copy()
    turns = steady_head_turns(t, m.limbs[:, 7], m.limbs[:, 5:7], _move_spans(changes),
                              bent=flex_c >= settings.head_shake_max_flexion_deg)
    standing = stance == "stand"
    # a hand's ray is followed to the top: from the customers' side a hand held above it lands behind the desk, but
    # from over the clerk's shoulder (no counter skyline) it lands on the top like a hand resting there
    top_px = counter_top_px if len(skyline) else None
    rest = rolling_median(t, _hands_on_counter(m, camera, place, top_px, counter_height_m, settings),
                          settings.counter_hand_window_s)
    on_counter = _most_of(rest)
    return ClerkSeries(
        t_s=t, frame_index=np.array([f.frame_index for f in frames], dtype=int), visible=m.visible,
        shoulder_height_m=m.shoulder_m, upright_shoulder_height_m=upright, head_minus_shoulder_m=m.head_m,
        flexion_deg=flex_c, flexion_raw_deg=flex, lateral_deg=lat_c, flexion_assessable=f_ok,
        lateral_assessable=l_ok, hips_seen=hips_seen, knee_angle_deg=knee,
        knee_bend_deg=above_own_median(-knee, standing), stance=stance, wrist_asymmetry_m=asym,
        hands_ahead_m=m.hands_ahead, at_frame_edge=m.at_edge,
        hands_in_pockets=_most_of(rolling_median(t, hands, settings.pocket_window_s)),
        hand_wave_deg=low_wave_deg(t, m.limbs[:, 8:10], m.limbs[:, 10] == 1.0, settings.gestures),
        hand_head_motion=hand_head_motion(t, m.limbs[:, 5:7], settings.hand_head_window_s),
        head_shake_deg=head_shake_deg(t, turns, settings.head_shake_window_s, settings.head_shake_min_swing_deg,
                                      settings.head_shake_min_swings, settings.head_shake_max_speed_deg_s),
        legs_crossed=crossed, heel_raise_m=heel,
        heel_raise_rel_m=above_own_median(heel, standing),
        abs_lateral_deg=np.where(near_upright, np.abs(lat_c), np.nan),
        hands_on_counter=on_counter, counter_lean_deg=np.where(on_counter == 1.0, flex_c, on_counter * 0.0),
        # swaying is measured over stretches of steady upright standing only: sitting down, standing up and bowing
        # move the trunk sideways too
        sway_deg=rolling_std(t, np.where(standing & near_upright, lat, np.nan), settings.sway_window_s),
        baseline_deg=baseline["stand"], seated_baseline_deg=baseline["sit"], dims=fitter.dims,
        stance_changes=changes, upright_refs=refs,
        flexion_uncertainty_deg=unc,
    )
