"""Posture features per person and frame: trunk angles from the true vertical, heights, hand positions.

Trunk flexion is measured through the calibrated camera, not read off the image or MediaPipe's world landmarks
(from an oblique camera pitched down a bow is mostly motion along the line of sight, and both read it far too low).
A small body model is fitted to the image landmarks of the shoulders and hips:

* the hip centre ``H`` is a point in the world (a weak prior keeps it near the clerk's station and at the
  stance's hip height);
* the shoulder centre is ``H + L·d(θ, φ)`` with the person's own trunk length ``L``, flexion ``θ`` toward the
  direction they face and lateral lean ``φ`` toward their right;
* shoulders and hips are ``± width/2`` along the person's left-right axis.

The five unknowns (H, θ, φ) are solved by least squares on the reprojection error of the four landmarks, weighted
by their visibility. The fit works from any view: from the side the tilt shows directly, from the front it shows as
foreshortening of the known trunk length. How much each angle moves the image (pixels per degree, from the
Jacobian) says whether it is assessable from this camera: a lean along the line of sight moves nothing and is
reported as not assessable rather than guessed.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np
from scipy.optimize import least_squares

from .types import Landmark, PersonPose

_LS, _RS, _LH, _RH = Landmark.LEFT_SHOULDER, Landmark.RIGHT_SHOULDER, Landmark.LEFT_HIP, Landmark.RIGHT_HIP
_UP = np.array([0.0, 0.0, 1.0])


@dataclass(frozen=True)
class BodyDims:
    """A person's own dimensions as MediaPipe's landmarks span them (metres); learnt from their upright frames."""

    trunk_length_m: float = 0.50
    """Hip-centre to shoulder-centre distance."""
    shoulder_width_m: float = 0.36
    hip_width_m: float = 0.24
    standing_hip_height_m: float = 0.92
    seated_hip_height_m: float = 0.55


@dataclass(frozen=True)
class FitSettings:
    """Tolerances of the trunk fit (the rulebook's ``measurement`` section can override them)."""

    station_sigma_m: float = 0.25
    """How far the hip centre may stray from the station before the prior pushes back (1 sigma)."""
    hip_height_sigma_m: float = 0.12
    pixel_sigma_px: float = 2.0
    min_visibility: float = 0.5
    min_sensitivity_px_per_deg: float = 0.6
    """An angle that moves the landmarks less than this many pixels per degree cannot be measured from this view."""


@dataclass(frozen=True)
class PersonPlace:
    """Where a person is expected to be and which way they face (floor metres, unit vector on the floor)."""

    station_xy_m: np.ndarray
    facing_xy: np.ndarray

    def axes(self) -> tuple[np.ndarray, np.ndarray]:
        """(forward, right) unit vectors in world coordinates."""
        f = np.array([self.facing_xy[0], self.facing_xy[1], 0.0], dtype=float)
        f /= np.linalg.norm(f)
        return f, np.cross(f, _UP)


@dataclass
class TrunkFit:
    """The trunk of one person in one frame."""

    flexion_deg: float
    """Forward bend of the hip→shoulder line from the true vertical, toward the facing direction (negative = back)."""
    lateral_deg: float
    """Sideways lean of the hip→shoulder line from the true vertical, toward the person's right."""
    hip_xyz_m: np.ndarray
    shoulder_xyz_m: np.ndarray
    rms_px: float
    """Root-mean-square reprojection error of the fitted landmarks."""
    flexion_sensitivity_px_per_deg: float
    lateral_sensitivity_px_per_deg: float
    flexion_assessable: bool
    lateral_assessable: bool
    hips_seen: bool


def trunk_direction(flexion_rad: float, lateral_rad: float, forward: np.ndarray, right: np.ndarray) -> np.ndarray:
    """Unit hip→shoulder direction for a flexion and a lateral lean (radians) in a person's frame."""
    sf, cf = np.sin(flexion_rad), np.cos(flexion_rad)
    sl, cl = np.sin(lateral_rad), np.cos(lateral_rad)
    return sf * cl * forward + sl * right + cf * cl * _UP


class TrunkFitter:
    """Fits the trunk model to one person's landmarks through a calibrated camera (see the module docstring).

    ``camera`` needs ``K`` (3×3), ``R`` (world→camera), ``t`` and optionally ``dist``.
    """

    def __init__(self, camera, place: PersonPlace, dims: BodyDims | None = None,
                 settings: FitSettings | None = None) -> None:
        self.K = np.asarray(camera.K, dtype=float)
        self.R = np.asarray(camera.R, dtype=float)
        self.t = np.asarray(camera.t, dtype=float).reshape(3)
        self.dist = np.asarray(getattr(camera, "dist", np.zeros(5)), dtype=float).reshape(-1)
        self.place = place
        self.dims = dims or BodyDims()
        self.settings = settings or FitSettings()
        self.forward, self.right = place.axes()
        self.focal_px = float(self.K[0, 0])

    def _undistort(self, px: np.ndarray) -> np.ndarray:
        """Normalised image coordinates (x/z, y/z) of pixels."""
        if np.any(self.dist):
            import cv2
            return cv2.undistortPoints(px.reshape(-1, 1, 2).astype(float), self.K, self.dist).reshape(-1, 2)
        return np.column_stack([(px[:, 0] - self.K[0, 2]) / self.K[0, 0], (px[:, 1] - self.K[1, 2]) / self.K[1, 1]])

    def model_points(self, params: np.ndarray, dims: BodyDims) -> np.ndarray:
        """World positions (4, 3) of left/right shoulder and left/right hip for params (Hx, Hy, Hz, θ, φ)."""
        hip = params[:3]
        d = trunk_direction(params[3], params[4], self.forward, self.right)
        shoulder = hip + dims.trunk_length_m * d
        r_s = self.right - (self.right @ d) * d
        r_s /= np.linalg.norm(r_s)
        hs, hh = dims.shoulder_width_m / 2, dims.hip_width_m / 2
        return np.array([shoulder - hs * r_s, shoulder + hs * r_s, hip - hh * self.right, hip + hh * self.right])

    def _project_norm(self, world: np.ndarray) -> np.ndarray:
        cam = world @ self.R.T + self.t
        return cam[:, :2] / cam[:, 2:3]

    def fit(self, pose: PersonPose, stance: str = "stand", init: TrunkFit | None = None,
            dims: BodyDims | None = None, fixed_angles: tuple[float, float] | None = None) -> TrunkFit | None:
        """Fit the trunk to ``pose``; None when the shoulders are not visible. ``stance`` ('stand'/'sit') picks the
        hip-height prior. ``fixed_angles`` (flexion, lateral in degrees) solves only for the hip position."""
        s = self.settings
        dims = dims or self.dims
        idx = [_LS, _RS, _LH, _RH]
        vis = np.minimum(pose.visibility[idx], pose.presence[idx])
        w = np.where(vis >= s.min_visibility, 1.0, 0.0)
        if w[0] == 0 or w[1] == 0:
            return None
        obs = self._undistort(pose.image_xy_px[idx].astype(float))
        hip_z = dims.seated_hip_height_m if stance == "sit" else dims.standing_hip_height_m
        station = np.asarray(self.place.station_xy_m, dtype=float)
        scale = self.focal_px / s.pixel_sigma_px
        wr = np.repeat(w, 2)

        def residuals(p: np.ndarray) -> np.ndarray:
            full = p if fixed_angles is None else np.concatenate([p, np.radians(fixed_angles)])
            img = (self._project_norm(self.model_points(full, dims)) - obs).ravel() * scale * wr
            prior = [(full[0] - station[0]) / s.station_sigma_m, (full[1] - station[1]) / s.station_sigma_m,
                     (full[2] - hip_z) / s.hip_height_sigma_m]
            return np.concatenate([img, prior])

        if init is not None:
            x0 = np.array([*init.hip_xyz_m, np.radians(init.flexion_deg), np.radians(init.lateral_deg)])
        else:
            x0 = np.array([station[0], station[1], hip_z, 0.0, 0.0])
        if fixed_angles is not None:
            x0 = x0[:3]
        lo = [-np.inf, -np.inf, 0.05] + ([] if fixed_angles is not None else [np.radians(-60), np.radians(-60)])
        hi = [np.inf, np.inf, 1.6] + ([] if fixed_angles is not None else [np.radians(120), np.radians(60)])
        x0 = np.clip(x0, np.array(lo) + 1e-9, np.array(hi) - 1e-9)
        sol = least_squares(residuals, x0, bounds=(lo, hi), method="trf", x_scale="jac", max_nfev=60)
        p = sol.x if fixed_angles is None else np.concatenate([sol.x, np.radians(fixed_angles)])
        n_img = int(w.sum())
        img_res = sol.fun[:8].reshape(4, 2) / scale * self.focal_px
        rms = float(np.sqrt(np.sum(img_res ** 2) / max(n_img, 1)))
        pts = self.model_points(p, dims)
        # Pixels moved per degree of each angle (finite difference): is the angle observable from this camera?
        sens = []
        for k in (3, 4):
            q = p.copy()
            q[k] += np.radians(1.0)
            moved = (self._project_norm(self.model_points(q, dims)) - self._project_norm(pts)) * self.focal_px
            sens.append(float(np.sqrt(np.sum((moved ** 2).sum(axis=1) * w) / max(w.sum(), 1))))
        shoulder = pts[:2].mean(axis=0)
        return TrunkFit(
            flexion_deg=float(np.degrees(p[3])),
            lateral_deg=float(np.degrees(p[4])),
            hip_xyz_m=p[:3].copy(),
            shoulder_xyz_m=shoulder,
            rms_px=rms,
            flexion_sensitivity_px_per_deg=sens[0],
            lateral_sensitivity_px_per_deg=sens[1],
            flexion_assessable=sens[0] >= s.min_sensitivity_px_per_deg,
            lateral_assessable=sens[1] >= s.min_sensitivity_px_per_deg,
            hips_seen=bool(w[2] and w[3]),
        )

    def learn_dims(self, poses: list[PersonPose], stance: str = "stand") -> BodyDims:
        """The person's trunk length and widths from frames in which they stand (or sit) upright: each frame is
        fitted with the angles held at zero and the dimensions free; the median over frames is returned."""
        s = self.settings
        idx = [_LS, _RS, _LH, _RH]
        hip_z0 = self.dims.seated_hip_height_m if stance == "sit" else self.dims.standing_hip_height_m
        station = np.asarray(self.place.station_xy_m, dtype=float)
        scale = self.focal_px / s.pixel_sigma_px
        found = []
        for pose in poses:
            vis = np.minimum(pose.visibility[idx], pose.presence[idx])
            if np.any(vis < s.min_visibility):
                continue
            obs = self._undistort(pose.image_xy_px[idx].astype(float))

            def residuals(p: np.ndarray) -> np.ndarray:
                dims = replace(self.dims, trunk_length_m=p[3], shoulder_width_m=p[4], hip_width_m=p[5])
                full = np.array([p[0], p[1], p[2], 0.0, 0.0])
                img = (self._project_norm(self.model_points(full, dims)) - obs).ravel() * scale
                prior = [(p[0] - station[0]) / s.station_sigma_m, (p[1] - station[1]) / s.station_sigma_m]
                return np.concatenate([img, prior])

            d0 = self.dims
            x0 = [station[0], station[1], hip_z0, d0.trunk_length_m, d0.shoulder_width_m, d0.hip_width_m]
            sol = least_squares(residuals, x0, bounds=([-np.inf, -np.inf, 0.1, 0.3, 0.2, 0.1],
                                                       [np.inf, np.inf, 1.5, 0.8, 0.6, 0.5]), max_nfev=80)
            found.append(sol.x)
        if not found:
            return self.dims
        med = np.median(np.array(found), axis=0)
        hip_key = "seated_hip_height_m" if stance == "sit" else "standing_hip_height_m"
        return replace(self.dims, trunk_length_m=float(med[3]), shoulder_width_m=float(med[4]),
                       hip_width_m=float(med[5]), **{hip_key: float(med[2])})


def joint_angle_deg(a: np.ndarray, b: np.ndarray, c: np.ndarray) -> float:
    """Angle ABC in degrees at vertex ``b`` between the segments to ``a`` and ``c`` (any dimension)."""
    u, v = a - b, c - b
    cosang = float(u @ v / (np.linalg.norm(u) * np.linalg.norm(v) + 1e-12))
    return float(np.degrees(np.arccos(np.clip(cosang, -1.0, 1.0))))


@dataclass
class HandFeatures:
    """Where a person's hands are, relative to their own body (image-based, scale-free)."""

    wrists_at_hips: bool
    """Both wrists within a fraction of the hip width of the hips, below the elbows (hands in pockets)."""
    wrist_hip_distance_ratio: float
    """Mean wrist-to-nearest-hip distance divided by shoulder width (image pixels / image pixels)."""
    assessable: bool


def hand_features(pose: PersonPose, min_visibility: float = 0.5, near_ratio: float = 0.35) -> HandFeatures:
    """Hands relative to the hips in the image: a wrist closer to its hip than ``near_ratio`` × shoulder width."""
    xy = pose.image_xy_px
    need = [Landmark.LEFT_WRIST, Landmark.RIGHT_WRIST, _LH, _RH, _LS, _RS]
    ok = np.minimum(pose.visibility[need], pose.presence[need]) >= min_visibility
    if not ok.all():
        return HandFeatures(False, float("nan"), False)
    sw = np.linalg.norm(xy[_LS] - xy[_RS]) + 1e-6
    d_l = np.linalg.norm(xy[Landmark.LEFT_WRIST] - xy[_LH])
    d_r = np.linalg.norm(xy[Landmark.RIGHT_WRIST] - xy[_RH])
    ratio = float((d_l + d_r) / 2 / sw)
    return HandFeatures(ratio < near_ratio, ratio, True)


@dataclass
class PostureSeries:
    """A person's features over time (arrays aligned on ``t_s``; NaN where not measurable)."""

    person: str
    t_s: np.ndarray
    frame_index: np.ndarray
    flexion_deg: np.ndarray
    lateral_deg: np.ndarray
    shoulder_height_m: np.ndarray
    flexion_assessable: np.ndarray
    lateral_assessable: np.ndarray
    extras: dict[str, np.ndarray] = field(default_factory=dict)


def finite_runs(t_s: np.ndarray, values: np.ndarray, max_gap_s: float) -> list[tuple[int, int]]:
    """Index ranges [start, end) of consecutive finite values with no time step over ``max_gap_s`` seconds."""
    runs: list[tuple[int, int]] = []
    start = None
    for i in range(len(values)):
        ok = bool(np.isfinite(values[i]))
        if start is not None and (not ok or t_s[i] - t_s[i - 1] > max_gap_s):
            runs.append((start, i))
            start = None
        if ok and start is None:
            start = i
    if start is not None:
        runs.append((start, len(values)))
    return runs


def lowpass(t_s: np.ndarray, values: np.ndarray, cutoff_hz: float = 2.0, max_gap_s: float = 0.35) -> np.ndarray:
    """Zero-phase Butterworth low-pass (2nd order, ``cutoff_hz``) of a series sampled at times ``t_s`` (s), run
    separately on each stretch without gaps; stretches too short to filter are returned unchanged. NaN stays NaN."""
    from scipy.signal import butter, filtfilt

    out = np.array(values, dtype=float)
    if len(out) < 2:
        return out
    dt = float(np.median(np.diff(t_s)))
    nyquist_hz = 0.5 / dt if dt > 0 else np.inf
    if cutoff_hz >= nyquist_hz:
        return out
    b, a = butter(2, cutoff_hz / nyquist_hz)
    for start, end in finite_runs(t_s, out, max_gap_s):
        if end - start > 3 * max(len(a), len(b)):
            out[start:end] = filtfilt(b, a, out[start:end])
    return out
