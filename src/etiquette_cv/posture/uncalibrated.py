"""One person's trunk angle and sit/stand without a floor calibration (a phone on a tripod in a role-play room).

Nothing of the floor is known, so the camera is **assumed level** (its image vertical is the true vertical):

* **trunk tilt** — the tilt of the shoulder centre over the hip centre from the vertical, in MediaPipe's world
  landmarks (metric, camera axes: y down), less the person's own upright reading. MediaPipe's depth is its weakest
  axis: a bow seen from the front reads shallow or not at all (a 15° bow reads 5°–7°, README "Trainer mode"), so no
  bow angle is graded from it; it serves the upright holds of a person facing the camera.
* **bow angle from the side** — a bow tilts the trunk toward the person's front. Seen from the side it shows whole
  in the image; turned φ from the camera, its image tilt θ obeys tan θ = sin φ · tan b. φ comes from the image: the
  shoulder-to-shoulder over shoulder-to-hip length of the person standing upright, against the same ratio of an
  adult facing the camera (``frontal_shoulder_ratio``); θ is the image tilt of the hip-to-shoulder line from the
  person's own upright image tilt (a constant camera roll or pitch drops out), signed toward the side the nose points
  to. So b = atan2(sin θ, sin φ · cos θ), with a ± from the assumed ratio (``ratio_uncertainty``) and the image
  tilt's noise (``tilt_noise_deg``). Below ``min_side_share`` (sin φ) the bow goes along the camera's axis and the
  angle is not measured (:attr:`UncalibratedSeries.bow_measurable`).
* **least depth of a bow facing the camera** — a bow toward the camera shortens the trunk in the image: the
  shoulder centre's height above the hips' place while upright, over its upright length, is at most cos b. The
  shoulders also come nearer the camera, which cancels most of a shallow bow's shortening, so only a lower bound is
  kept (``front_length_noise``), and trainer mode claims no more than "at least 45°" from it (a deep bow).
* **sit / stand** — the shoulder centre's image height, in metres through an assumed shoulder width (rulebook
  ``shoulder_width_m``), below the highest level the person held (taken as standing upright at the rulebook's
  ``standing_shoulder_height_m``), corrected for the trunk's tilt; then the same sit/stand machine and thresholds
  as with a calibration (:mod:`.stance`). A trainee who never stands up is read as standing throughout.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..core import FramePoses, Landmark
from ..timeseries import label_runs
from .filters import lowpass
from .stance import StanceChange, StanceSettings, stance_states

_SH = [Landmark.LEFT_SHOULDER, Landmark.RIGHT_SHOULDER]
_HIP = [Landmark.LEFT_HIP, Landmark.RIGHT_HIP]
_EARS = [Landmark.LEFT_EAR, Landmark.RIGHT_EAR]
_UPRIGHT_HALF_WIDTH_DEG = 4.0   # the upright image tilt: the densest 8° of the standing frames' tilts
_FACING_MIN_NOSE = 0.05         # nose this far ahead of the shoulder centre (× trunk length): facing side known


@dataclass(frozen=True)
class UncalibratedSettings:
    """The assumptions of the uncalibrated measurement (rulebook ``measurement.uncalibrated``)."""

    standing_shoulder_height_m: float = 1.40
    """The highest shoulder level the person held is taken as standing upright at this height (metres)."""
    shoulder_width_m: float = 0.36
    """Assumed distance between MediaPipe's shoulder landmarks (metres): the pixel scale, with the trunk length
    (seen from the side the shoulders overlap; the larger of the two scales is taken per frame)."""
    level_percentile: float = 5.0
    """The standing level is this percentile of the shoulder's image y (the highest levels held)."""
    upright_percentile: float = 10.0
    """The upright reading is this percentile of the standing frames' tilt (degrees)."""
    visibility: float = 0.5
    baseline_max_deg: float = 25.0
    """The upright reading corrects at most this much (a camera pitched more is not assumed level)."""
    filter_cutoff_hz: float = 2.0
    frontal_shoulder_ratio: float = 0.70
    """MediaPipe's shoulder-to-shoulder distance over its shoulder-centre-to-hip-centre length, of an adult standing
    upright and facing the camera (image pixels); a smaller ratio says how far the person is turned away."""
    min_side_share: float = 0.5
    """The bow angle is measured only when sin φ (φ: the person's facing against the camera's axis) is at least
    this; facing the camera more squarely, a bow goes along the depth the image does not show."""
    ratio_uncertainty: float = 0.10
    """Relative ± of ``frontal_shoulder_ratio`` between adults (the bow angle's ± from φ)."""
    tilt_noise_deg: float = 2.0
    """± of the image tilt of the hip-to-shoulder line (degrees; the bow angle's ± from the landmarks)."""
    front_length_noise: float = 0.08
    """Facing the camera, a bow shortens the trunk in the image: the shoulder centre's height over the hips' place
    while upright, against its upright length, is at most cos b (the lower bound of b takes this much more of the
    upright length). Tuning role-plays, three apology bows seen from the front: 55.9°, 62.4°, 70.8° read for
    54.4°, 58.1°, 50.7°; 15-17° bows read 2.6°-5.9° (the shoulders come nearer the camera, which cancels most of
    the shortening): so only a deep bow's depth is claimed, never its angle."""


@dataclass
class UncalibratedSeries:
    """One person's series without a calibration, aligned on ``t_s`` (NaN where not measurable)."""

    track_id: int
    t_s: np.ndarray
    frame_index: np.ndarray
    tilt_deg: np.ndarray
    """Trunk tilt from the image vertical less the person's upright reading, low-pass filtered (degrees)."""
    tilt_raw_deg: np.ndarray
    shoulder_height_m: np.ndarray
    """The pseudo shoulder height (metres, under the assumptions above), tilt-corrected."""
    stance: np.ndarray
    stance_changes: list[StanceChange] = field(default_factory=list)
    upright_deg: float = 0.0
    bow_deg: np.ndarray | None = None
    """Forward bend from the image tilt seen from the side (degrees, low-pass filtered; negative leans back; NaN
    where the hips or shoulders were not seen)."""
    bow_uncertainty_deg: np.ndarray | None = None
    """± of ``bow_deg`` per sample (degrees)."""
    side_share: float = float("nan")
    """sin φ of the person standing upright (0 facing the camera, 1 seen from the side; NaN when never seen upright
    with hips and shoulders)."""
    min_side_share: float = 0.5
    front_bow_min_deg: np.ndarray | None = None
    """Facing the camera: the least forward bend the trunk's shortening in the image shows (degrees; NaN where the
    hips or shoulders were not seen or the person was not standing; see ``front_length_noise``)."""

    @property
    def bow_measurable(self) -> bool:
        """The person was turned far enough from the camera for the bow angle to show in the image."""
        return bool(np.isfinite(self.side_share) and self.side_share >= self.min_side_share)

    @property
    def turned_deg(self) -> float:
        """φ: how far the person's facing is turned from the camera's axis (degrees; NaN when unknown)."""
        return float(np.degrees(np.arcsin(np.clip(self.side_share, 0.0, 1.0))))


def _frame_measures(pose, vis: float, trunk_ratio: float) -> tuple[float, ...]:
    """Raw tilt (degrees), shoulder-centre image y, the larger of the shoulder width and ``trunk_ratio`` × the
    image trunk length (pixels), head above shoulders (pixels); then, with the hips seen, the image tilt of the
    hip-to-shoulder line (degrees, + toward image right), the shoulder width over the trunk length, the nose's
    offset ahead of the shoulder centre (× trunk length, + toward image right; NaN when the nose is not seen) and
    the hip centre's image y (pixels); last, the shoulder centre's image y for the least depth of a bow facing the
    camera, which the detector's keypoints give too: a deep bow toward the camera folds the body out of the
    landmarker's reach (seen in a role-play: 3 s of a 58° apology bow on the detector alone)."""
    nan = float("nan")
    shoulders_seen = not np.any(np.minimum(pose.visibility[_SH], pose.presence[_SH]) < vis)
    if shoulders_seen and pose.landmarks_source == "detector":
        return nan, nan, nan, nan, nan, nan, nan, nan, float(pose.image_xy_px[_SH, 1].mean())
    if not shoulders_seen or pose.landmarks_source != "mediapipe":
        return nan, nan, nan, nan, nan, nan, nan, nan, nan
    w = pose.world_xyz_m
    trunk = w[_SH].mean(axis=0) - w[_HIP].mean(axis=0)
    norm = float(np.linalg.norm(trunk))
    tilt = float(np.degrees(np.arccos(np.clip(-trunk[1] / norm, -1, 1)))) if norm > 1e-6 else nan
    sh = pose.image_xy_px[_SH]
    head = nan
    if np.all(pose.visibility[_EARS] >= vis):
        head = float(sh[:, 1].mean() - pose.image_xy_px[_EARS, 1].mean())
    width = float(np.linalg.norm(sh[0] - sh[1]))
    img_tilt = ratio = nose = hip_y = nan
    if np.all(pose.visibility[_HIP] >= vis):
        hip_y = float(pose.image_xy_px[_HIP, 1].mean())
        trunk_px = sh.mean(axis=0) - pose.image_xy_px[_HIP].mean(axis=0)
        length = float(np.linalg.norm(trunk_px))
        width = max(width, trunk_ratio * length)
        if length > 1e-6:
            img_tilt = float(np.degrees(np.arctan2(trunk_px[0], -trunk_px[1])))
            ratio = float(np.linalg.norm(sh[0] - sh[1])) / length
            if pose.visibility[Landmark.NOSE] >= vis:
                nose = float(pose.image_xy_px[Landmark.NOSE, 0] - sh[:, 0].mean()) / length
    return tilt, float(sh[:, 1].mean()), width, head, img_tilt, ratio, nose, hip_y, float(sh[:, 1].mean())


def measure_uncalibrated(frames: list[FramePoses], track_id: int, stance: StanceSettings,
                         settings: UncalibratedSettings = UncalibratedSettings(),
                         trunk_length_m: float = 0.5) -> UncalibratedSeries:
    """Trunk tilt (degrees from the image vertical, upright-corrected) and sit/stand of one tracked person, with the
    camera assumed level; ``stance`` holds the sit/stand thresholds (metres) and ``trunk_length_m`` the assumed
    hip-to-shoulder length for the tilt correction of the shoulder height."""
    n = len(frames)
    raw = np.full((n, 9), np.nan)
    for i, f in enumerate(frames):
        pose = next((p for p in f.persons if p.track_id == track_id), None)
        if pose is not None:
            raw[i] = _frame_measures(pose, settings.visibility, settings.shoulder_width_m / trunk_length_m)
    t = np.array([f.timestamp_s for f in frames], float)
    tilt, y_px, width_px, head_px, img_tilt, ratio, nose, hip_y, front_y_px = raw.T
    px_per_m = np.nanmedian(width_px) / settings.shoulder_width_m if np.isfinite(width_px).any() else np.nan
    top = np.nanpercentile(y_px, settings.level_percentile) if np.isfinite(y_px).any() else np.nan
    height = settings.standing_shoulder_height_m - (y_px - top) / px_per_m
    height += trunk_length_m * (1.0 - np.cos(np.radians(np.clip(np.nan_to_num(tilt), 0, 90))))
    states, changes = stance_states(t, height, head_px / px_per_m, stance)
    states = np.asarray(states, dtype=object)
    standing = (states == "stand") & np.isfinite(tilt)
    upright = float(np.clip(np.percentile(tilt[standing], settings.upright_percentile), 0, settings.baseline_max_deg)
                    ) if standing.sum() >= 5 else 0.0
    tilt_c = lowpass(t, tilt - upright, settings.filter_cutoff_hz)
    bow, bow_unc, side = _side_view_bow(img_tilt, ratio, nose, states == "stand", settings)
    front = _front_bow_min(front_y_px, hip_y, states == "stand", settings.front_length_noise)
    return UncalibratedSeries(track_id, t, np.array([f.frame_index for f in frames], int), tilt_c, tilt, height,
                              states, changes, upright, lowpass(t, bow, settings.filter_cutoff_hz), bow_unc, side,
                              settings.min_side_share, lowpass(t, front, settings.filter_cutoff_hz))


def _front_bow_min(shoulder_y: np.ndarray, hip_y: np.ndarray, standing: np.ndarray, noise: float) -> np.ndarray:
    """Per sample, the least forward bend (degrees) the image shows of a person facing the camera: in each stretch
    of standing, the hips' place is their median over the frames where the trunk shows longest (upright: the top
    fifth of the stretch's lengths) — MediaPipe's hips drift down with a bow, the true ones stay — and the
    shoulder centre's height above that place, over its upright length, is at most cos b; ``noise`` more of the
    upright length gives the lower bound. NaN outside standing or without shoulders."""
    out = np.full(len(shoulder_y), np.nan)
    for a, b in label_runs(np.asarray(standing, bool)):
        if not standing[a]:
            continue
        length = hip_y[a:b] - shoulder_y[a:b]
        ok = np.isfinite(length)
        if ok.sum() < 5:
            continue
        upright = ok & (length >= np.percentile(length[ok], 80))
        anchor, upright_px = float(np.median(hip_y[a:b][upright])), float(np.median(length[upright]))
        if upright_px <= 0:
            continue
        cos_b = (anchor - shoulder_y[a:b]) / upright_px
        out[a:b] = np.degrees(np.arccos(np.clip(cos_b + noise, -1.0, 1.0)))
    return out


def _upright_frames(img_tilt: np.ndarray, standing: np.ndarray) -> np.ndarray:
    """The standing frames whose image tilt lies in the densest 8° of all standing frames' tilts: the person
    upright (bows and turns are shorter and spread over many angles)."""
    ok = standing & np.isfinite(img_tilt)
    if ok.sum() < 5:
        return np.zeros(len(img_tilt), bool)
    v = img_tilt[ok]
    grid = np.arange(np.floor(v.min()), np.ceil(v.max()) + 0.5, 0.5)
    counts = np.array([(np.abs(v - g) <= _UPRIGHT_HALF_WIDTH_DEG).sum() for g in grid])
    centre = float(np.mean(grid[counts == counts.max()]))
    return ok & (np.abs(img_tilt - centre) <= _UPRIGHT_HALF_WIDTH_DEG)


def _bend_from_image_tilt(dtheta_deg: np.ndarray, side_share: float) -> np.ndarray:
    """Trunk bend b (degrees) whose image tilt is ``dtheta_deg`` for a person turned sin φ = ``side_share`` from
    the camera: tan θ = sin φ · tan b."""
    d = np.radians(dtheta_deg)
    return np.degrees(np.arctan2(np.sin(d), max(side_share, 1e-3) * np.cos(d)))


def _side_view_bow(img_tilt: np.ndarray, ratio: np.ndarray, nose: np.ndarray, standing: np.ndarray,
                   settings: UncalibratedSettings) -> tuple[np.ndarray, np.ndarray, float]:
    """Per-sample forward bend (degrees) and its ± from the image tilt, and sin φ of the person standing upright."""
    nan_series = np.full(len(img_tilt), np.nan)
    upright = _upright_frames(img_tilt, np.asarray(standing, bool))
    if not upright.any():
        return nan_series, nan_series.copy(), float("nan")
    cos_phi = float(np.nanmedian(ratio[upright])) / settings.frontal_shoulder_ratio
    side = float(np.sqrt(1.0 - min(cos_phi, 1.0) ** 2))
    ahead = float(np.nanmedian(nose[upright])) if np.isfinite(nose[upright]).any() else 0.0
    dtheta = (img_tilt - float(np.median(img_tilt[upright])) + 180.0) % 360.0 - 180.0
    # signed toward the side the person faces; facing unknown (square to the camera): any tilt counts
    dtheta = dtheta * np.sign(ahead) if abs(ahead) >= _FACING_MIN_NOSE else np.abs(dtheta)
    bend = _bend_from_image_tilt(dtheta, side)
    spread = []
    for rel in (1.0 - settings.ratio_uncertainty, 1.0 + settings.ratio_uncertainty):
        s = float(np.sqrt(1.0 - min(cos_phi / rel, 1.0) ** 2))
        for dn in (-settings.tilt_noise_deg, settings.tilt_noise_deg):
            spread.append(np.abs(_bend_from_image_tilt(dtheta + dn, s) - bend))
    return bend, np.max(spread, axis=0), side
