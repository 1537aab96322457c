"""One person's trunk angle and sit/stand without a floor calibration (a phone on a tripod in a role-play room).

Nothing of the floor is known, so the camera is **assumed level** (its image vertical is the true vertical):

* **trunk angle** — the tilt of the shoulder centre over the hip centre from the vertical, in MediaPipe's world
  landmarks (metric, camera axes: y down). A camera pitched by p° reads an upright person p° tilted; the person's
  own upright reading (the low end of their quiet standing frames, bounded) is subtracted, which removes a constant
  pitch to first order. The tilt has no direction (forward and sideways alike), and MediaPipe's depth is its weakest
  axis: a bow seen from the front or from a camera pitched down reads shallow or not at all (measured on the
  bundled samples, README "Trainer mode"), so trainer mode shows this curve but grades no bow angle from it.
* **sit / stand** — the shoulder centre's image height, in metres through an assumed shoulder width (rulebook
  ``shoulder_width_m``), below the highest level the person held (taken as standing upright at the rulebook's
  ``standing_shoulder_height_m``), corrected for the trunk's tilt; then the same sit/stand machine and thresholds
  as with a calibration (:mod:`.stance`). A trainee who never stands up is read as standing throughout.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..core import FramePoses, Landmark
from .filters import lowpass
from .stance import StanceChange, StanceSettings, stance_states

_SH = [Landmark.LEFT_SHOULDER, Landmark.RIGHT_SHOULDER]
_HIP = [Landmark.LEFT_HIP, Landmark.RIGHT_HIP]
_EARS = [Landmark.LEFT_EAR, Landmark.RIGHT_EAR]


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


def _frame_measures(pose, vis: float, trunk_ratio: float) -> tuple[float, float, float, float]:
    """Raw tilt (degrees), shoulder-centre image y, the larger of the shoulder width and ``trunk_ratio`` × the
    image trunk length (pixels), head above shoulders (pixels)."""
    nan = float("nan")
    if np.any(np.minimum(pose.visibility[_SH], pose.presence[_SH]) < vis) or pose.landmarks_source != "mediapipe":
        return nan, nan, nan, nan
    w = pose.world_xyz_m
    trunk = w[_SH].mean(axis=0) - w[_HIP].mean(axis=0)
    norm = float(np.linalg.norm(trunk))
    tilt = float(np.degrees(np.arccos(np.clip(-trunk[1] / norm, -1, 1)))) if norm > 1e-6 else nan
    sh = pose.image_xy_px[_SH]
    head = nan
    if np.all(pose.visibility[_EARS] >= vis):
        head = float(sh[:, 1].mean() - pose.image_xy_px[_EARS, 1].mean())
    width = float(np.linalg.norm(sh[0] - sh[1]))
    if np.all(pose.visibility[_HIP] >= vis):
        width = max(width, trunk_ratio * float(np.linalg.norm(sh.mean(axis=0) - pose.image_xy_px[_HIP].mean(axis=0))))
    return tilt, float(sh[:, 1].mean()), width, head


def measure_uncalibrated(frames: list[FramePoses], track_id: int, stance: StanceSettings,
                         settings: UncalibratedSettings = UncalibratedSettings(),
                         trunk_length_m: float = 0.5) -> UncalibratedSeries:
    """Trunk tilt (degrees from the image vertical, upright-corrected) and sit/stand of one tracked person, with the
    camera assumed level; ``stance`` holds the sit/stand thresholds (metres) and ``trunk_length_m`` the assumed
    hip-to-shoulder length for the tilt correction of the shoulder height."""
    n = len(frames)
    raw = np.full((n, 4), np.nan)
    for i, f in enumerate(frames):
        pose = next((p for p in f.persons if p.track_id == track_id), None)
        if pose is not None:
            raw[i] = _frame_measures(pose, settings.visibility, settings.shoulder_width_m / trunk_length_m)
    t = np.array([f.timestamp_s for f in frames], float)
    tilt, y_px, width_px, head_px = raw.T
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
    return UncalibratedSeries(track_id, t, np.array([f.frame_index for f in frames], int), tilt_c, tilt, height,
                              states, changes, upright)
