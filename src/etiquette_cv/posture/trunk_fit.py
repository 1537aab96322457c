"""The trunk fit: a person's trunk flexion and lateral lean (degrees) from the true vertical, through the camera.

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

from dataclasses import dataclass, replace

import numpy as np

from ..core import Landmark, PersonPose
from .lm_solver import levenberg_marquardt

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
    anchored_hip_weight: float = 0.5
    """With the hips anchored, the hip landmarks' weight in the image residuals: MediaPipe's hips drift down with a
    bow (3-11 px on the rendered bows clips) and jump on single frames (14 px on the reception sample, shoulders and
    ears still), so the anchor must be able to hold them; fully ignored, the shoulders' and ears' own drift in a
    frontal bow is no longer balanced (the full model then read bows_front's deep bows 20-30 % deep). Applies while
    a knee is seen; see ``hidden_legs_hip_weight``."""
    hidden_legs_hip_weight: float = 0.3
    """With the hips anchored and both knees hidden (behind the counter, or not seen), the hip landmarks' weight:
    MediaPipe then places the hips from the upper body alone and they follow a bow down and forward. Tuning renders,
    full model, hold against the upright after the bow, relative to the true joints: 3.5-4.9 cm in the 15° bows and
    8.3 cm in the 30° bow where the counter hides the legs (reception sample, tall-tripod role-plays t309/t310),
    1.2-1.4 cm at 15° and 1.3-1.7 cm at 30° where they are seen (bows_front, bows_side). Weighed as when the legs are
    seen they pull the anchored hip centre along and cancel part of the bend (t309/t310 read their 15° bows 9.6° and
    11.0°; 12.1°/14.0° with the bent trunk's lean held, see ``posture.clerk._stance_pass``; 13.2°/14.7° at 0.3).
    Their error ratio (about 3x) would give 0.05; at 0.1 MediaPipe's ears, which drop 2-5 cm further than the true
    ears in a bow, are no longer balanced and reception's 30° bow read 37.8-38° (no class), so 0.3."""
    seated_hip_weight: float = 0.1
    """Seated with the hips anchored (on the chair), the hip landmarks' weight: MediaPipe's seated hips follow the
    shoulders when the trunk leans back (tuning t354: 12 px with a 12.7° lean, the true hips still), so they must
    not be able to cancel it."""
    head_weight: float = 1.0
    """Weight of the ears' midpoint relative to a shoulder or hip landmark."""
    deep_bend_head_weight: float = 0.0
    """The ears' weight in a deep bend: a frame whose fit bends past ``deep_bend_from_deg`` is fitted again with the
    ears weighed from ``head_weight`` down to this at ``deep_bend_full_deg`` (linearly). The trunk angle is the
    hips-shoulders line; the head held in line helps a small bend toward the camera (its lever arm), but in a deep
    one MediaPipe's ears drop further than the true ears (rendered bows clips: 5-13 px) and a person may bow the
    head: with the ears weighed fully bows_front/bows_side read their 45°, 60° and 90° bows 5-10° deep."""
    deep_bend_from_deg: float = 30.0
    deep_bend_full_deg: float = 50.0
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
    min_hip_height_m: float = 0.05
    max_hip_height_m: float = 1.6
    """The fit keeps the hip centre between these heights above the floor …"""
    min_flexion_deg: float = -60.0
    max_flexion_deg: float = 120.0
    """… the flexion between these angles …"""
    min_standing_flexion_deg: float = -20.0
    """… and, standing, no further back than this: nobody stands leaning back 20°, but from a camera in front a bow
    foreshortens the trunk like a lean back of about twice the camera's elevation, and a model whose landmarks
    favour that mirror solution (the heavy model on a near-frontal clip read 15° and 30° bows as −25° and −46°)
    must not be allowed it."""
    max_lateral_deg: float = 60.0
    """… and the lateral lean within ± this."""
    start_bend_deg: float = 35.0
    """Without a previous frame the fit also starts from a bend this deep …"""
    start_lean_back_deg: float = -20.0
    """… and from a lean back this far (a bend and a lean back can foreshorten the trunk alike)."""
    mirror_below_deg: float = 12.0
    """With a previous frame flexed less than this, the second start is a bend of ``start_bend_deg`` …"""
    mirror_back_deg: float = -10.0
    """… else a lean back this far (the mirror solution of foreshortening)."""


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


def view_from_front_deg(R: np.ndarray, t: np.ndarray, place: PersonPlace) -> float:
    """Where a camera (world→camera ``R``, ``t``) stands seen from a person's place, on the floor: 0° straight in
    front of them, 90° at their side, 180° behind them (degrees)."""
    camera_xy = (-np.asarray(R, float).T @ np.asarray(t, float).reshape(3))[:2]
    to_camera = camera_xy - np.asarray(place.station_xy_m, dtype=float)
    if not np.linalg.norm(to_camera) > 0:
        return 0.0
    forward, _ = place.axes()
    cos = float(np.dot(to_camera / np.linalg.norm(to_camera), forward[:2]))
    return float(np.degrees(np.arccos(np.clip(cos, -1.0, 1.0))))


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
    trunk_upright_px: float = float("nan")
    """The trunk's length (hip to shoulder midpoint) in pixels were it upright at the fitted hips: the scale of the
    landmarks' errors."""
    cost: float = float("nan")
    """The least-squares cost of the fit (image residuals in units of ``pixel_sigma_px``, weighted, plus the priors'
    terms): what freeing an angle gains is a chi-square of one degree of freedom."""

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
        s = self.settings
        self._LO = np.array([-np.inf, -np.inf, s.min_hip_height_m, np.radians(s.min_flexion_deg),
                             np.radians(-s.max_lateral_deg)])
        self._HI = np.array([np.inf, np.inf, s.max_hip_height_m, np.radians(s.max_flexion_deg),
                             np.radians(s.max_lateral_deg)])

    def view_from_front_deg(self) -> float:
        """Where the camera stands seen from the person's place (:func:`view_from_front_deg`), degrees."""
        return view_from_front_deg(self.R, self.t, self.place)

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


    def bounds(self, stance: str) -> tuple[np.ndarray, np.ndarray]:
        """Lower and upper bounds of (Hx, Hy, Hz, θ, φ) for a stance (standing: no lean back beyond the bound)."""
        lo = self._LO.copy()
        if stance == "stand":
            lo[3] = max(lo[3], np.radians(self.settings.min_standing_flexion_deg))
        return lo, self._HI

    def _solve(self, residuals, x0: np.ndarray, stance: str = "sit") -> tuple[np.ndarray, float]:
        lo, hi = self.bounds(stance)
        return levenberg_marquardt(residuals, np.clip(x0, lo, hi), lo, hi)

    def _observe(self, pose: PersonPose, head_weight: float | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Normalised image positions (5, 2) of the modelled points and their weights (0 = not visible): the
        shoulders, the hips and the ears' midpoint (the head's lever arm makes a bow toward the camera visible),
        the ears weighed ``head_weight`` (default: the settings')."""
        s = self.settings
        head_weight = s.head_weight if head_weight is None else head_weight
        idx = [_LS, _RS, _LH, _RH]
        vis = np.minimum(pose.visibility[idx], pose.presence[idx])
        w = np.where(vis >= s.min_visibility, 1.0, 0.0)
        ears = [Landmark.LEFT_EAR, Landmark.RIGHT_EAR]
        ear_ok = np.all(np.minimum(pose.visibility[ears], pose.presence[ears]) >= s.min_visibility)
        px = np.vstack([pose.image_xy_px[idx], pose.image_xy_px[ears].mean(axis=0, keepdims=True)]).astype(float)
        return self._undistort(px), np.append(w, head_weight if ear_ok else 0.0)

    def legs_seen(self, pose: PersonPose) -> bool:
        """Whether a knee is seen (visible and present): if not, MediaPipe's hips are inferred from the upper body."""
        knees = [Landmark.LEFT_KNEE, Landmark.RIGHT_KNEE]
        return bool(np.max(np.minimum(pose.visibility[knees], pose.presence[knees])) >= self.settings.min_visibility)

    def fit(self, pose: PersonPose, stance: str = "stand", init: TrunkFit | None = None,
            dims: BodyDims | None = None, hip_anchor_m: np.ndarray | None = None,
            quick: bool = False, lateral_deg: float | None = None,
            anchor_sigma_m: float | None = None) -> TrunkFit | None:
        """Fit the trunk to ``pose``; None when the shoulders are not visible. ``stance`` ('stand'/'sit') picks the
        hip-height prior; ``init`` (usually the previous frame's fit) is one of the starting points.

        ``hip_anchor_m`` (world metres) holds the hip centre where it was while the person was upright in the same
        stance: a bow pivots at the hips, which stay put, but MediaPipe's hip landmarks drift down and forward with
        the upper body and would cancel part of the bend. ``quick`` starts only from ``init`` (a first pass).
        ``anchor_sigma_m`` widens or narrows the anchor (default ``hip_anchor_sigma_m``).
        ``lateral_deg`` holds the lateral lean at that angle (only the flexion and the hip centre are fitted).
        A fit bent past ``deep_bend_from_deg`` is made again with the ears weighed less (``deep_bend_head_weight``)."""
        s = self.settings
        anchor = None if hip_anchor_m is None else (np.asarray(hip_anchor_m, float),
                                                     s.hip_anchor_sigma_m if anchor_sigma_m is None else anchor_sigma_m)
        fit = self._fit(pose, stance, init, dims, anchor, quick, lateral_deg, s.head_weight)
        if fit is None or fit.flexion_deg <= s.deep_bend_from_deg or s.deep_bend_head_weight >= s.head_weight:
            return fit
        head = float(np.interp(fit.flexion_deg, [s.deep_bend_from_deg, s.deep_bend_full_deg],
                               [s.head_weight, s.deep_bend_head_weight]))
        return self._fit(pose, stance, init, dims, anchor, quick, lateral_deg, head) or fit

    def _fit(self, pose: PersonPose, stance: str, init: TrunkFit | None, dims: BodyDims | None,
             anchor: tuple[np.ndarray, float] | None, quick: bool, lateral_deg: float | None,
             head_weight: float) -> TrunkFit | None:
        s = self.settings
        dims = dims or self.dims
        obs, w = self._observe(pose, head_weight)
        if w[0] == 0 or w[1] == 0:
            return None
        hip_z = dims.seated_hip_height_m if stance == "sit" else dims.standing_hip_height_m
        station = np.asarray(self.place.station_xy_m, dtype=float)
        scale = self.focal_px / s.pixel_sigma_px
        prior_centre = np.array([station[0], station[1], hip_z, 0.0])
        prior_scale = np.array([s.station_sigma_m, s.station_sigma_m, s.hip_height_sigma_m,
                                np.radians(s.flexion_prior_sigma_deg)])
        if anchor is not None:
            prior_centre[:3], prior_scale[:3] = anchor
            w = w.copy()
            w[2:4] *= (s.seated_hip_weight if stance == "sit" else
                       s.anchored_hip_weight if self.legs_seen(pose) else s.hidden_legs_hip_weight)
        # the image weights after the anchor's: an anchored fit trusts the hip landmarks less (they drift with a
        # bend, and MediaPipe's hips jump by 10+ px between frames where the shoulders and ears stay put)
        wr = np.repeat(w, 2)

        held = None if lateral_deg is None else np.radians(lateral_deg)

        def residuals(P: np.ndarray) -> np.ndarray:
            if held is not None:  # the lean does not move the model: its Jacobian column is zero, its step too
                P = np.concatenate([P[:, :4], np.full((len(P), 1), held)], axis=1)
            img = (self._project_norm(self.model_points(P, dims)) - obs).reshape(len(P), 10) * (scale * wr)
            return np.concatenate([img, (P[:, :4] - prior_centre) / prior_scale], axis=1)

        # From one camera a forward bend and a backward lean can foreshorten the trunk alike: start from the
        # previous frame and from a clear bend either way, and keep the best fit.
        base = np.array([*prior_centre[:3], 0.0, 0.0])
        if init is None:
            starts = [base, base + [0, 0, 0, np.radians(s.start_bend_deg), 0],
                      base + [0, 0, 0, np.radians(s.start_lean_back_deg), 0]]
        else:
            prev = np.array([*init.hip_xyz_m, np.radians(init.flexion_deg), np.radians(init.lateral_deg)])
            # the previous frame, and the same pose bent the other way (the mirror solution of foreshortening)
            other = prev.copy()
            other[3] = (np.radians(s.start_bend_deg) if init.flexion_deg < s.mirror_below_deg
                        else np.radians(s.mirror_back_deg))
            starts = [prev] if quick else [prev, other]
        if held is not None:
            starts = [np.append(x0[:4], held) for x0 in starts]
        p, best = None, np.inf
        for x0 in starts:
            x, cost = self._solve(residuals, x0, stance)
            if init is not None:
                cost += ((np.degrees(x[3]) - init.flexion_deg) / s.continuity_sigma_deg) ** 2
            if cost < best - 1e-9:
                p, best = x, cost
        n_img = int((w > 0).sum())
        res = residuals(p[None])[0]
        img_res = res[:10].reshape(5, 2) / scale * self.focal_px
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
            trunk_upright_px=self._upright_trunk_px(p[:3], dims),
            cost=float(res @ res),
        )

    def _upright_trunk_px(self, hip_xyz_m: np.ndarray, dims: BodyDims) -> float:
        """The length in pixels of an upright trunk standing on these hips (hip and shoulder midpoints projected)."""
        up = np.asarray(hip_xyz_m, dtype=float) + [0.0, 0.0, dims.trunk_length_m]
        ends = self._project_norm(np.stack([hip_xyz_m, up])) * self.focal_px
        return float(np.linalg.norm(ends[1] - ends[0]))

    def learn_dims(self, poses: list[PersonPose], stance: str = "stand") -> BodyDims:
        """The person's trunk length and widths from frames in which they stand (or sit) upright: each frame is
        fitted with the angles held at zero and the dimensions free; the median over frames is returned."""
        from scipy.optimize import least_squares  # ~50 MB: loaded when grading, not while the models run

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
