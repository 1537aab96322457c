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
    head_offset_m: float = 0.20
    """Shoulder centre to the midpoint of the ears, along the trunk (the neck held in line, as in a bow)."""
    standing_hip_height_m: float = 0.92
    seated_hip_height_m: float = 0.55


@dataclass(frozen=True)
class FitSettings:
    """Tolerances of the trunk fit (the rulebook's ``measurement`` section can override them)."""

    station_sigma_m: float = 0.25
    """How far the hip centre may stray from the station before the prior pushes back (1 sigma)."""
    hip_height_sigma_m: float = 0.12
    pixel_sigma_px: float = 2.0
    hip_anchor_sigma_m: float = 0.04
    anchored_hip_weight: float = 0.2
    head_weight: float = 1.0
    """Weight of the ears' midpoint relative to a shoulder or hip landmark."""
    flexion_prior_sigma_deg: float = 35.0
    """A weak prior toward an upright trunk. From a camera in front of the person, a forward bend and a backward
    lean by twice the camera's elevation angle foreshorten the trunk alike; the prior settles such ties."""
    continuity_sigma_deg: float = 15.0
    """Among the fit's local solutions, one far from the previous frame's angle pays this much per sigma."""
    min_visibility: float = 0.5
    min_sensitivity_px_per_deg: float = 0.45
    """An angle that moves the landmarks less than this many pixels per degree cannot be measured from this view.
    The error budget: MediaPipe's landmarks drift by about 3 px against the true joints (rendered clips), and that
    must move the angle by less than half the 15° spacing of the bow classes: 3 px / 7° ≈ 0.45 px/deg."""


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
        """World positions (…, 5, 3) of left/right shoulder, left/right hip and the head (ears' midpoint) for params (…, 5) =
        (Hx, Hy, Hz, θ, φ) in metres and radians."""
        P = np.asarray(params, dtype=float)
        hip = P[..., :3]
        sf, cf, sl, cl = np.sin(P[..., 3:4]), np.cos(P[..., 3:4]), np.sin(P[..., 4:5]), np.cos(P[..., 4:5])
        d = sf * cl * self.forward + sl * self.right + cf * cl * _UP
        shoulder = hip + dims.trunk_length_m * d
        r_s = self.right - np.sum(self.right * d, axis=-1, keepdims=True) * d
        r_s /= np.linalg.norm(r_s, axis=-1, keepdims=True)
        hs, hh = dims.shoulder_width_m / 2, dims.hip_width_m / 2
        head = shoulder + dims.head_offset_m * d
        return np.stack([shoulder - hs * r_s, shoulder + hs * r_s, hip - hh * self.right, hip + hh * self.right,
                         head], axis=-2)

    def _project_norm(self, world: np.ndarray) -> np.ndarray:
        cam = world @ self.R.T + self.t
        return cam[..., :2] / cam[..., 2:3]

    _LO = np.array([-np.inf, -np.inf, 0.05, np.radians(-60.0), np.radians(-60.0)])
    _HI = np.array([np.inf, np.inf, 1.6, np.radians(120.0), np.radians(60.0)])

    def _solve(self, residuals, x0: np.ndarray, max_iter: int = 30) -> tuple[np.ndarray, float]:
        """Levenberg–Marquardt on a residual function that accepts a batch of parameter vectors (B, 5) → (B, M),
        with a forward-difference Jacobian computed in one batched call; parameters are kept within bounds."""
        eps = 1e-6
        x = np.clip(x0, self._LO, self._HI)
        r = residuals(x[None])[0]
        cost = float(r @ r)
        lam = 1e-3
        steps = x + np.eye(5) * eps
        for _ in range(max_iter):
            steps = x + np.eye(5) * eps
            J = ((residuals(steps) - r) / eps).T
            H = J.T @ J
            g = J.T @ r
            while True:
                try:
                    dx = np.linalg.solve(H + lam * (np.diag(np.diag(H)) + 1e-9 * np.eye(5)), -g)
                except np.linalg.LinAlgError:
                    return x, cost
                x_new = np.clip(x + dx, self._LO, self._HI)
                r_new = residuals(x_new[None])[0]
                c_new = float(r_new @ r_new)
                if c_new < cost:
                    break
                lam *= 4.0
                if lam > 1e8:
                    return x, cost
            # 1e-4 of the cost is far below a pixel's worth; 1e-5 m / rad is far below what is reported
            converged = cost - c_new < 1e-4 * max(cost, 1e-12) or np.max(np.abs(x_new - x)) < 1e-5
            x, r, cost, lam = x_new, r_new, c_new, max(lam / 3.0, 1e-9)
            if converged:
                break
        return x, cost

    def _observe(self, pose: PersonPose) -> tuple[np.ndarray, np.ndarray]:
        """Normalised image positions (5, 2) of the modelled points and their weights (0 = not visible): the
        shoulders, the hips and the ears' midpoint (the head's lever arm makes a bow toward the camera visible)."""
        s = self.settings
        idx = [_LS, _RS, _LH, _RH]
        vis = np.minimum(pose.visibility[idx], pose.presence[idx])
        w = np.where(vis >= s.min_visibility, 1.0, 0.0)
        ears = [Landmark.LEFT_EAR, Landmark.RIGHT_EAR]
        ear_ok = np.all(np.minimum(pose.visibility[ears], pose.presence[ears]) >= s.min_visibility)
        px = np.vstack([pose.image_xy_px[idx], pose.image_xy_px[ears].mean(axis=0, keepdims=True)]).astype(float)
        return self._undistort(px), np.append(w, s.head_weight if ear_ok else 0.0)

    def fit(self, pose: PersonPose, stance: str = "stand", init: TrunkFit | None = None,
            dims: BodyDims | None = None, hip_anchor_m: np.ndarray | None = None,
            quick: bool = False) -> TrunkFit | None:
        """Fit the trunk to ``pose``; None when the shoulders are not visible. ``stance`` ('stand'/'sit') picks the
        hip-height prior; ``init`` (usually the previous frame's fit) is one of the starting points.

        ``hip_anchor_m`` (world metres) holds the hip centre where it was while the person was upright in the same
        stance: a bow pivots at the hips, which stay put, but MediaPipe's hip landmarks drift down and forward with
        the upper body and would cancel part of the bend. ``quick`` starts only from ``init`` (a first pass)."""
        s = self.settings
        dims = dims or self.dims
        obs, w = self._observe(pose)
        if w[0] == 0 or w[1] == 0:
            return None
        hip_z = dims.seated_hip_height_m if stance == "sit" else dims.standing_hip_height_m
        station = np.asarray(self.place.station_xy_m, dtype=float)
        scale = self.focal_px / s.pixel_sigma_px
        wr = np.repeat(w, 2)
        prior_centre = np.array([station[0], station[1], hip_z, 0.0])
        prior_scale = np.array([s.station_sigma_m, s.station_sigma_m, s.hip_height_sigma_m,
                                np.radians(s.flexion_prior_sigma_deg)])
        if hip_anchor_m is not None:
            prior_centre[:3] = hip_anchor_m
            prior_scale[:3] = s.hip_anchor_sigma_m
            w = w.copy()
            w[2:4] *= s.anchored_hip_weight

        def residuals(P: np.ndarray) -> np.ndarray:
            img = (self._project_norm(self.model_points(P, dims)) - obs).reshape(len(P), 10) * (scale * wr)
            return np.concatenate([img, (P[:, :4] - prior_centre) / prior_scale], axis=1)

        # From one camera a forward bend and a backward lean can foreshorten the trunk alike: start from the
        # previous frame and from a clear bend either way, and keep the best fit.
        base = np.array([*prior_centre[:3], 0.0, 0.0])
        if init is None:
            starts = [base, base + [0, 0, 0, np.radians(35.0), 0], base + [0, 0, 0, np.radians(-20.0), 0]]
        else:
            prev = np.array([*init.hip_xyz_m, np.radians(init.flexion_deg), np.radians(init.lateral_deg)])
            # the previous frame, and the same pose bent the other way (the mirror solution of foreshortening)
            other = prev.copy()
            other[3] = np.radians(35.0) if init.flexion_deg < 12.0 else np.radians(-10.0)
            starts = [prev] if quick else [prev, other]
        p, best = None, np.inf
        for x0 in starts:
            x, cost = self._solve(residuals, x0)
            if init is not None:
                cost += ((np.degrees(x[3]) - init.flexion_deg) / s.continuity_sigma_deg) ** 2
            if cost < best - 1e-9:
                p, best = x, cost
        n_img = int((w > 0).sum())
        img_res = residuals(p[None])[0, :10].reshape(5, 2) / scale * self.focal_px
        rms = float(np.sqrt(np.sum(img_res ** 2) / max(n_img, 1)))
        # Pixels moved per degree of each angle (finite difference): is the angle observable from this camera?
        batch = np.stack([p, p + [0, 0, 0, np.radians(1.0), 0], p + [0, 0, 0, 0, np.radians(1.0)]])
        proj = self._project_norm(self.model_points(batch, dims)) * self.focal_px
        sens = [float(np.sqrt(np.sum(((proj[k] - proj[0]) ** 2).sum(axis=1) * w) / max(w.sum(), 1)))
                for k in (1, 2)]
        pts = self.model_points(p, dims)
        return TrunkFit(
            flexion_deg=float(np.degrees(p[3])),
            lateral_deg=float(np.degrees(p[4])),
            hip_xyz_m=p[:3].copy(),
            shoulder_xyz_m=pts[:2].mean(axis=0),
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
        hip_z0 = self.dims.seated_hip_height_m if stance == "sit" else self.dims.standing_hip_height_m
        station = np.asarray(self.place.station_xy_m, dtype=float)
        scale = self.focal_px / s.pixel_sigma_px
        found = []
        for pose in poses:
            obs, w = self._observe(pose)
            if np.any(w[:4] == 0) or w[4] == 0:
                continue

            def residuals(p: np.ndarray) -> np.ndarray:
                dims = replace(self.dims, trunk_length_m=p[3], shoulder_width_m=p[4], hip_width_m=p[5],
                               head_offset_m=p[6])
                full = np.array([p[0], p[1], p[2], 0.0, 0.0])
                img = (self._project_norm(self.model_points(full, dims)) - obs).ravel() * scale
                prior = [(p[0] - station[0]) / s.station_sigma_m, (p[1] - station[1]) / s.station_sigma_m]
                return np.concatenate([img, prior])

            d0 = self.dims
            x0 = [station[0], station[1], hip_z0, d0.trunk_length_m, d0.shoulder_width_m, d0.hip_width_m,
                  d0.head_offset_m]
            sol = least_squares(residuals, x0, bounds=([-np.inf, -np.inf, 0.1, 0.3, 0.2, 0.1, 0.05],
                                                       [np.inf, np.inf, 1.5, 0.8, 0.6, 0.5, 0.45]), max_nfev=80)
            found.append(sol.x)
        if not found:
            return self.dims
        med = np.median(np.array(found), axis=0)
        hip_key = "seated_hip_height_m" if stance == "sit" else "standing_hip_height_m"
        return replace(self.dims, trunk_length_m=float(med[3]), shoulder_width_m=float(med[4]),
                       hip_width_m=float(med[5]), head_offset_m=float(med[6]), **{hip_key: float(med[2])})


def joint_angle_deg(a: np.ndarray, b: np.ndarray, c: np.ndarray) -> float:
    """Angle ABC in degrees at vertex ``b`` between the segments to ``a`` and ``c`` (any dimension)."""
    u, v = a - b, c - b
    cosang = float(u @ v / (np.linalg.norm(u) * np.linalg.norm(v) + 1e-12))
    return float(np.degrees(np.arccos(np.clip(cosang, -1.0, 1.0))))


def limb_features(pose: PersonPose, R: np.ndarray, place: "PersonPlace", min_visibility: float = 0.5,
                  pocket_distance_m: float = 0.15, crossed_raise_m: float = 0.15
                  ) -> tuple[float, float, float, float, float]:
    """(hands_in_pockets 1/0/NaN, smaller knee angle deg, wrist height asymmetry m, legs crossed 1/0/NaN,
    heel raise m) from MediaPipe's world landmarks rotated into gravity-aligned world axes (``R`` world→camera).
    A quantity whose landmarks are not visible is NaN: hidden limbs are invented by MediaPipe, never trusted."""
    W = np.asarray(pose.world_xyz_m, dtype=float) @ R  # camera axes → world axes (z up)
    seen = np.minimum(pose.visibility, pose.presence) >= min_visibility
    L = Landmark
    nan = float("nan")
    pockets = knee = asym = crossed = heel = nan
    wl, wr, hl, hr = L.LEFT_WRIST, L.RIGHT_WRIST, L.LEFT_HIP, L.RIGHT_HIP
    if seen[[wl, wr]].all():
        asym = float(abs(W[wl, 2] - W[wr, 2]))
        if seen[[hl, hr]].all():
            hip_w = np.linalg.norm(W[hl] - W[hr])
            near = max(np.linalg.norm(W[wl] - W[hl]), np.linalg.norm(W[wr] - W[hr])) < pocket_distance_m
            apart = np.linalg.norm(W[wl] - W[wr]) > 0.75 * hip_w
            pockets = float(near and apart)
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


def _above_own_median(values: np.ndarray, mask: np.ndarray, min_samples: int = 10) -> np.ndarray:
    """``values`` minus their median over ``mask`` (NaN everywhere when fewer than ``min_samples`` are finite)."""
    v = np.asarray(values, dtype=float)
    ref = v[mask & np.isfinite(v)]
    if len(ref) < min_samples:
        return np.full(len(v), np.nan)
    return v - float(np.median(ref))


def rolling_std(t_s: np.ndarray, values: np.ndarray, window_s: float, min_fraction: float = 0.8) -> np.ndarray:
    """Standard deviation of the values within ±window_s/2 of each sample; NaN where fewer than ``min_fraction``
    of the window's samples (and fewer than 5) are finite."""
    v = np.asarray(values, dtype=float)
    out = np.full(len(v), np.nan)
    lo = np.searchsorted(t_s, t_s - window_s / 2)
    hi = np.searchsorted(t_s, t_s + window_s / 2, side="right")
    for i in range(len(v)):
        seg = v[lo[i]:hi[i]]
        fin = seg[np.isfinite(seg)]
        if len(fin) >= max(5, min_fraction * len(seg)) and np.isfinite(v[i]):
            out[i] = float(np.std(fin))
    return out


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


def butterworth2(cutoff_hz: float, sample_rate_hz: float) -> tuple[np.ndarray, np.ndarray]:
    """Coefficients (b, a) of a 2nd-order Butterworth low-pass by the bilinear transform (unit gain at DC)."""
    k = np.tan(np.pi * cutoff_hz / sample_rate_hz)
    norm = 1.0 / (1.0 + np.sqrt(2.0) * k + k * k)
    b0 = k * k * norm
    return np.array([b0, 2 * b0, b0]), np.array([1.0, 2.0 * (k * k - 1.0) * norm, (1.0 - np.sqrt(2.0) * k + k * k) * norm])


def _filter_once(b: np.ndarray, a: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Direct-form-II-transposed IIR filter started in its steady state for the first sample."""
    y = np.empty_like(x)
    z2 = (b[2] - a[2]) * x[0]
    z1 = (b[1] - a[1]) * x[0] + z2
    for i, xi in enumerate(x):
        yi = b[0] * xi + z1
        z1 = b[1] * xi - a[1] * yi + z2
        z2 = b[2] * xi - a[2] * yi
        y[i] = yi
    return y


def filtfilt2(b: np.ndarray, a: np.ndarray, x: np.ndarray, pad: int = 9) -> np.ndarray:
    """Zero-phase filtering: forward and backward passes over the series padded by odd reflection at both ends."""
    pad = min(pad, len(x) - 1)
    ext = np.concatenate([2 * x[0] - x[pad:0:-1], x, 2 * x[-1] - x[-2:-pad - 2:-1]])
    y = _filter_once(b, a, ext)
    y = _filter_once(b, a, y[::-1])[::-1]
    return y[pad:pad + len(x)]


def lowpass(t_s: np.ndarray, values: np.ndarray, cutoff_hz: float = 2.0, max_gap_s: float = 0.35) -> np.ndarray:
    """Zero-phase Butterworth low-pass (2nd order, ``cutoff_hz``) of a series sampled at times ``t_s`` (s), run
    separately on each stretch without gaps; stretches too short to filter are returned unchanged. NaN stays NaN."""
    out = np.array(values, dtype=float)
    if len(out) < 2:
        return out
    dt = float(np.median(np.diff(t_s)))
    rate_hz = 1.0 / dt if dt > 0 else np.inf
    if cutoff_hz >= rate_hz / 2:
        return out
    b, a = butterworth2(cutoff_hz, rate_hz)
    for start, end in finite_runs(t_s, out, max_gap_s):
        if end - start > 9:
            out[start:end] = filtfilt2(b, a, out[start:end])
    return out


# ----------------------------------------------------------------------------------------------------------------
# Series over a whole video
# ----------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PostureSettings:
    """Settings of the clerk posture measurement (from the rulebook's ``measurement`` section)."""

    fit: FitSettings = field(default_factory=FitSettings)
    baseline_max_deg: float = 8.0
    """The per-person upright baseline (MediaPipe's hips and shoulders are not joint centres, which tilts an
    upright trunk by a few degrees) may correct at most this much."""
    seated_baseline_max_deg: float = 22.0
    """The seated baseline's bound: seated hips are where MediaPipe is least reliable."""
    filter_cutoff_hz: float = 2.0
    visibility: float = 0.5
    anchor_upright_deg: float = 6.0
    """Frames whose first-pass flexion is within this of upright place the hip anchor of their stretch."""
    anchor_min_frames: int = 5
    sway_window_s: float = 2.0
    lateral_max_flexion_deg: float = 10.0
    pocket_distance_m: float = 0.15
    """A wrist within this of its own hip (3D) is at the pocket."""
    crossed_ankle_raise_m: float = 0.15
    head_flexion_margin_deg: float = 12.0
    """How much more trunk flexion than the head's drop toward the shoulders implies is believed when correcting the
    shoulder height for a bow."""


def facing_from_counter(station_xy_m: np.ndarray, edge_m: np.ndarray, customer_side: int) -> np.ndarray:
    """Unit floor vector from a clerk station toward the customers: the normal of the nearest counter segment on
    the customer side."""
    p = np.asarray(station_xy_m, dtype=float)
    best, best_d = None, np.inf
    for a, b in zip(edge_m[:-1], edge_m[1:]):
        ab = b - a
        u = np.clip((p - a) @ ab / (ab @ ab), 0.0, 1.0)
        d = np.linalg.norm(p - (a + u * ab))
        if d < best_d:
            best, best_d = ab / np.linalg.norm(ab), d
    left = np.array([-best[1], best[0]])
    return left * (1.0 if customer_side > 0 else -1.0)


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
    """'sit' / 'stand' / '' per sample (from the events stage's state machine)."""
    wrist_asymmetry_m: np.ndarray = None
    """Height difference between the two wrists (gravity-aligned world landmarks): one hand far lower than the
    other marks a reach, not a bow."""
    hands_in_pockets: np.ndarray = None
    """1.0 / 0.0 / NaN: each wrist at its own hip, the wrists apart (not folded in front)."""
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
    baseline_deg: float = 0.0
    seated_baseline_deg: float = 0.0
    dims: BodyDims = field(default_factory=BodyDims)


def label_runs(labels: np.ndarray) -> list[tuple[int, int]]:
    """Index ranges [a, b) of equal consecutive labels."""
    out, a = [], 0
    for i in range(1, len(labels) + 1):
        if i == len(labels) or labels[i] != labels[a]:
            out.append((a, i))
            a = i
    return out


def _clerk_pose(frame, station: str | None) -> PersonPose | None:
    """The clerk of ``station`` in one frame (with several candidates, one posed by their own landmarker)."""
    found = frame.by_role("clerk", station)
    return min(found, key=lambda p: p.landmarks_source != "mediapipe", default=None)


def counter_skyline_px(camera, edge_m: np.ndarray, height_m: float, step_m: float = 0.05) -> np.ndarray:
    """Image points (K, 2), sorted by x, of the counter's top front edge: below this line (larger y) a person
    standing behind the counter is hidden by it."""
    pts = []
    for a, b in zip(edge_m[:-1], edge_m[1:]):
        n = max(2, int(np.linalg.norm(b - a) / step_m))
        pts.append(a + np.linspace(0, 1, n)[:, None] * (b - a))
    xy = np.vstack(pts)
    px = camera.project(np.column_stack([xy, np.full(len(xy), height_m)]))
    px = px[np.all(np.isfinite(px), axis=1)]
    return px[np.argsort(px[:, 0])]


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


def measure_clerk(frames: list, camera, station_xy_m: np.ndarray, facing_xy: np.ndarray,
                  stance_of, settings: PostureSettings = PostureSettings(), counter_edge_m: np.ndarray | None = None,
                  counter_height_m: float = 0.0, station: str | None = None) -> ClerkSeries:
    """The posture series of the clerk of ``station`` (None: any clerk) from the analysed frames (``FramePoses``)
    through a solved camera. Frames where only the person detector saw the clerk give shoulder and head heights
    (sit/stand) but no trunk fit or limb features (its 17 keypoints carry no world landmarks).

    With the counter's front edge and height, landmarks hidden behind the counter are not used.
    ``stance_of(t_s, upright_shoulder_height_m, head_minus_shoulder_m) -> states`` is the events stage's sit/stand
    state machine, passed in so that this stage never imports a later one; the trunk is fitted with the hip-height
    prior of the stance it returns.
    """
    n = len(frames)
    t = np.array([f.timestamp_s for f in frames], dtype=float)
    fi = np.array([f.frame_index for f in frames], dtype=int)
    nan = lambda: np.full(n, np.nan)  # noqa: E731
    sh, head, flex_stand, flex, lat = nan(), nan(), nan(), nan(), nan()
    f_ok, l_ok, hips_seen = np.zeros(n, bool), np.zeros(n, bool), np.zeros(n, bool)
    hands, knee, asym, crossed, heel = nan(), nan(), nan(), nan(), nan()
    visible = np.zeros(n, bool)
    place = PersonPlace(np.asarray(station_xy_m, float), np.asarray(facing_xy, float))
    fitter = TrunkFitter(camera, place, settings=settings.fit)
    skyline = counter_skyline_px(camera, counter_edge_m, counter_height_m) if counter_edge_m is not None else []
    poses: list[PersonPose | None] = [_clerk_pose(f, station) for f in frames]
    # frames where only the person detector saw the clerk give the shoulder and head heights (sit/stand), not the
    # trunk fit or the limbs: its 17 keypoints carry no world landmarks and are too coarse for angles
    fitted = np.array([p is not None and p.landmarks_source == "mediapipe" for p in poses])
    poses = [hide_behind_counter(p, skyline) if p is not None and len(skyline) else p for p in poses]
    station = place.station_xy_m
    for i, pose in enumerate(poses):
        if pose is None:
            continue
        idx = [_LS, _RS]
        if np.any(np.minimum(pose.visibility[idx], pose.presence[idx]) < settings.visibility):
            continue
        visible[i] = True
        sh[i] = float(camera.height_on_vertical_line(pose.image_xy_px[idx].mean(axis=0), station))
        ears = [Landmark.LEFT_EAR, Landmark.RIGHT_EAR]
        head_idx = ears if np.all(pose.visibility[ears] >= settings.visibility) else [Landmark.NOSE]
        if np.all(pose.visibility[head_idx] >= settings.visibility):
            head[i] = float(camera.height_on_vertical_line(pose.image_xy_px[head_idx].mean(axis=0), station)) - sh[i]
        if not fitted[i]:
            continue
        limbs = limb_features(pose, np.asarray(camera.R, float), place, settings.visibility,
                              settings.pocket_distance_m, settings.crossed_ankle_raise_m)
        hands[i], knee[i], asym[i], crossed[i], heel[i] = limbs

    # Pass 1: dimensions from the frames that look upright-standing, then a standing-hypothesis fit everywhere
    # (its flexion corrects the shoulder height for bows, so a bow is not mistaken for sitting down).
    tall = visible & (sh > np.nanmedian(sh[visible]) if visible.any() else visible)
    tall &= fitted
    sample = [poses[i] for i in np.flatnonzero(tall)[:: max(1, int(tall.sum()) // 40)]]
    if sample:
        fitter.dims = fitter.learn_dims(sample, "stand")
    stand_fits: dict[int, TrunkFit] = {}
    prev = None
    for i in np.flatnonzero(visible & fitted):
        fit = fitter.fit(poses[i], "stand", init=prev, quick=True)
        if fit is not None:
            flex_stand[i] = fit.flexion_deg
            stand_fits[i] = prev = fit
    # A seated clerk whose hips are hidden fits the standing model as a deep bow; a real bow also brings the head
    # down toward the shoulders. So the correction uses no more flexion than the head's drop supports.
    L = fitter.dims.trunk_length_m
    head_upright = np.nanpercentile(head, 90) if np.isfinite(head).any() else np.nan
    head_flex = np.degrees(np.arccos(np.clip(head / head_upright, -1.0, 1.0))) if np.isfinite(head_upright) \
        else np.full(n, np.inf)
    head_flex = np.where(np.isfinite(head_flex), head_flex, np.inf)
    bow_flex = np.minimum(np.nan_to_num(flex_stand, nan=0.0), head_flex + settings.head_flexion_margin_deg)
    upright = sh + L * (1.0 - np.cos(np.radians(np.clip(bow_flex, 0, 90))))
    upright[~visible] = np.nan
    stance = np.asarray(stance_of(t, upright, head), dtype=object)

    # Pass 2: every frame again, the hips anchored where they were while the person was upright in the same
    # stretch of sitting or standing (seated frames with the seated hip height, learnt as the seated shoulder height
    # less the trunk length: sitting upright is the norm, and seated hips are usually hidden by the desk).
    seated = visible & (stance == "sit")
    if seated.sum() >= 5:
        fitter.dims = replace(fitter.dims, seated_hip_height_m=float(np.nanmedian(sh[seated]) - L))
    prev = None
    for a, b in label_runs(stance):
        st = stance[a] or "stand"
        idx = [i for i in range(a, b) if visible[i] and fitted[i]]
        anchor = None
        if st == "stand":  # seated hips are mostly hidden or invented: they anchor nothing
            calm = [stand_fits[i].hip_xyz_m for i in idx if i in stand_fits
                    and abs(stand_fits[i].flexion_deg) < settings.anchor_upright_deg]
            anchor = np.median(np.array(calm), axis=0) if len(calm) >= settings.anchor_min_frames else None
        for i in idx:
            if st == "stand" and anchor is None:
                fit = stand_fits.get(i)
            else:
                fit = fitter.fit(poses[i], st, init=prev, hip_anchor_m=anchor)
            if fit is None:
                continue
            prev = fit
            flex[i], lat[i] = fit.flexion_deg, fit.lateral_deg
            f_ok[i], l_ok[i], hips_seen[i] = fit.flexion_assessable, fit.lateral_assessable, fit.hips_seen

    # Per-person, per-stance upright baseline: MediaPipe's hips and shoulders are not joint centres, and seated
    # (hips at the thigh roots, partly behind the desk) they sit differently than standing; the median of the
    # frames in which the person is near upright is taken as their upright, within a bound per stance.
    baseline = {"stand": 0.0, "sit": 0.0}
    for st_name, bound in (("stand", settings.baseline_max_deg), ("sit", settings.seated_baseline_max_deg)):
        quiet = visible & (stance == st_name) & np.isfinite(flex) & (np.abs(flex) < bound + 5.0)
        if quiet.sum() >= 5:
            baseline[st_name] = float(np.clip(np.median(flex[quiet]), -bound, bound))
    offset = np.where(stance == "sit", baseline["sit"], baseline["stand"])
    flex_c = lowpass(t, flex - offset, settings.filter_cutoff_hz)
    # A sideways lean is read only while the trunk is near upright: in a bend, the lateral angle of the fit is
    # poorly observed and mixes with the bend.
    near_upright = np.abs(flex_c) < settings.lateral_max_flexion_deg
    lat_c = lowpass(t, lat, settings.filter_cutoff_hz)
    return ClerkSeries(
        t_s=t, frame_index=fi, visible=visible, shoulder_height_m=sh, upright_shoulder_height_m=upright,
        head_minus_shoulder_m=head, flexion_deg=flex_c, flexion_raw_deg=flex, lateral_deg=lat_c,
        flexion_assessable=f_ok, lateral_assessable=l_ok, hips_seen=hips_seen,
        knee_angle_deg=knee, knee_bend_deg=_above_own_median(-knee, stance == "stand"), stance=stance,
        wrist_asymmetry_m=asym, hands_in_pockets=hands, legs_crossed=crossed, heel_raise_m=heel,
        heel_raise_rel_m=_above_own_median(heel, stance == "stand"),
        abs_lateral_deg=np.where(near_upright, np.abs(lat_c), np.nan),
        # swaying is measured over stretches of steady upright standing only: sitting down, standing up and bowing
        # move the trunk sideways too
        sway_deg=rolling_std(t, np.where((stance == "stand") & near_upright, lat, np.nan), settings.sway_window_s),
        baseline_deg=baseline["stand"], seated_baseline_deg=baseline["sit"], dims=fitter.dims,
    )


@dataclass
class CustomerSeries:
    """One customer track's floor position and distance to the counter over time."""

    track_id: int
    t_s: np.ndarray
    frame_index: np.ndarray
    floor_xy_m: np.ndarray
    """(N, 2) floor position, NaN where unknown."""
    distance_m: np.ndarray
    """Signed distance to the counter edge (positive on the customer side), NaN where unknown."""
    confidence: np.ndarray


CUSTOMER_ROLES = ("customer", "waiting")


def measure_customers(frames: list, camera, counter, floor_position, distance_to_edge,
                      roles: tuple[str, ...] = CUSTOMER_ROLES) -> list[CustomerSeries]:
    """Per customer track: floor position and distance to the counter edge (metres) over time.

    The people stage's floor point is used where the tracks have one; else ``floor_position(pose, camera)``.
    ``distance_to_edge(xy, counter)`` comes from the geometry stage."""
    by_track: dict[int, list[tuple[float, int, np.ndarray, float]]] = {}
    for f in frames:
        for p in f.persons:
            if p.role not in roles:
                continue
            if p.floor_xy_m is not None:
                xy, conf = np.asarray(p.floor_xy_m, float), 1.0 if p.floor_source == "feet" else 0.5
            elif (pos := floor_position(p, camera)) is not None:
                xy, conf = np.asarray(pos.xy_m, float), float(pos.confidence)
            else:
                xy, conf = np.array([np.nan, np.nan]), 0.0
            by_track.setdefault(p.track_id, []).append((f.timestamp_s, f.frame_index, xy, conf))
    out = []
    for tid, rows in sorted(by_track.items()):
        t = np.array([r[0] for r in rows])
        xy = np.array([r[2] for r in rows])
        dist = np.array([distance_to_edge(p, counter) if np.all(np.isfinite(p)) else np.nan for p in xy])
        out.append(CustomerSeries(tid, t, np.array([r[1] for r in rows]), xy, dist, np.array([r[3] for r in rows])))
    return out
