"""Where a person stands and what that makes them: floor point from the visible body, role from the floor.

A floor point comes from the lowest body part that the camera really sees:

* **feet**: ankle (else heel) rays met with the ankle (heel) plane;
* **hips**: the hip midpoint's ray met with the plane at the person's hip height (their own, once measured; else
  the range of adult hip heights, seated to standing);
* **shoulders**, then **head**: the same with the ranges of adult shoulder and face heights;
* **box**: the bottom centre of the detector's box on the floor.

"Really sees" is decided in 3-D: a landmark whose viewing ray passes through the counter's front panel before it
reaches the landmark's height is hidden by the counter, whatever MediaPipe's visibility says (it invents hidden
legs with confident values). With the hips or shoulders, the unknown body height leaves a short segment of possible
floor points along the ray's ground track; the role is decided from the whole segment (all of it behind the counter
= behind the counter), and the point reported is the one nearest to a clerk's station for people behind the counter
(clerks sit or stand at their station) and the standing-height point for everyone else.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import cv2
import numpy as np

from ..core import Landmark
from ..geometry.calibration import Calibration
from ..geometry.camera import CameraModel
from ..geometry.polyline import distance_to_polyline_m

_FEET = ((Landmark.LEFT_ANKLE, Landmark.LEFT_HEEL), (Landmark.RIGHT_ANKLE, Landmark.RIGHT_HEEL))
_HIPS = [int(Landmark.LEFT_HIP), int(Landmark.RIGHT_HIP)]
_SHOULDERS = [int(Landmark.LEFT_SHOULDER), int(Landmark.RIGHT_SHOULDER)]
_FACE = [int(Landmark.NOSE), int(Landmark.LEFT_EYE), int(Landmark.RIGHT_EYE), int(Landmark.LEFT_EAR),
         int(Landmark.RIGHT_EAR)]


@dataclass(frozen=True)
class RoleSettings:
    """How the people stage turns floor points into roles (metres, seconds)."""

    counter_depth_m: float = 0.6
    """Depth of the counter behind its edge (its back face hides what lies behind it from a camera above)."""
    station_radius_m: float = 1.6
    """A person behind the counter within this distance of a station is that station's clerk."""
    behind_margin_m: float = 0.05
    """Behind the counter means at least this far behind its customer-facing edge."""
    hip_height_range_m: tuple[float, float] = (0.45, 1.0)
    """Hip landmark heights of adults, seated to standing (when the person's own is not known yet)."""
    shoulder_height_range_m: tuple[float, float] = (0.95, 1.55)
    """Shoulder landmark heights of adults, seated to standing."""
    head_height_range_m: tuple[float, float] = (1.15, 1.75)
    """Heights of the face landmarks (eyes, ears, nose) of adults, seated to standing."""
    standing_head_height_m: float = 1.60
    standing_hip_height_m: float = 0.90
    standing_shoulder_height_m: float = 1.40
    upright_head_height_m: float = 1.35
    """A person behind the counter whose face, seen from the camera, lies at least this high above the floor at
    their station stands: placed by the hips, they are placed at the hips' standing height, not at the point
    nearest the station (tuning clips: faces of seated clerks read 1.13-1.30 m there, of standing ones
    1.42-1.71 m, 10th to 90th percentile; a steep camera, 3 m high and pitched 40°, reads 1.39 m for a clerk standing
    0.4 m in front of her station. Standing clerks placed by the hips were a median 26 cm off the truth)."""
    visibility: float = 0.5
    """Landmarks below this visibility are not used for the floor point."""
    detector_keypoint_score: float = 0.3
    """Detector keypoints below this score are not used (their scores run lower than MediaPipe's visibilities:
    a seated clerk's shoulders score 0.45-0.7)."""
    feet_hips_weight: float = 0.5
    """With the feet seen and the person's own hip height known (measured on earlier frames), the floor point
    reported lies this share of the way from the feet's point to the point under the hips (the hips' ray met with
    the plane at their height): where somebody stands is their pelvis over the floor — the renders' truth too — and
    the feet lead or trail it in a stride and lie ahead of it when seated. Re-placing the tuning split's tracks:
    customers seen by the feet 8.5 → 7.7 cm median (95th 39.9 → 34.1), seated clerks 34.7 → 20.6, standing clerks
    17.1 → 11.7; the hips alone (1.0) put customers at 8.6 / 35.1 cm. Roles, identities and jumps still go by the
    feet's point: used there too, the tuning split's ID switches rose 95 → 107. 0 reports the feet's point."""
    role_switch_s: float = 1.0
    """A tracked person's role changes only after the new role has held this long (hysteresis)."""
    frame_edge_px: float = 12.0
    """A detector box ending this close to the frame's bottom edge was cut by the frame (its bottom runs 5-9 px
    short of the edge): it does not tell where the visible body ends (tuning t116: a clerk seen from behind, cut
    at the hips, was put on the far side of the counter and never placed)."""

    def __post_init__(self) -> None:
        if not 0.0 <= self.feet_hips_weight <= 1.0:
            raise ValueError(f"feet_hips_weight must be within 0-1 (got {self.feet_hips_weight})")


@dataclass(frozen=True)
class FloorEstimate:
    """A person's floor point in one frame."""

    xy_m: np.ndarray
    """(2,) floor point in metres."""
    source: str
    """``feet`` | ``hips`` | ``shoulders`` | ``head`` | ``box``."""
    behind: bool | None
    """True when every possible floor point lies behind the counter, False when every one lies in front, None when
    the segment of possible points straddles the counter edge."""
    signed_distance_m: float
    """Distance of ``xy_m`` to the counter edge, positive on the customer side."""
    reported_xy_m: np.ndarray | None = None
    """(2,) the point the people stage reports when it differs from ``xy_m`` (metres): the feet's point moved towards
    the hips (``RoleSettings.feet_hips_weight``); roles, identities and jumps go by ``xy_m``."""


@dataclass
class FloorModel:
    """The calibrated floor as the people stage needs it: camera, counter, stations and zones."""

    camera: CameraModel
    calibration: Calibration
    settings: RoleSettings = RoleSettings()

    @cached_property
    def counter_faces(self) -> list[tuple[np.ndarray, np.ndarray]]:
        """Floor segments (a, b) in metres of the counter's front faces (its edge) and back faces (the edge moved
        ``counter_depth_m`` away from the customers)."""
        c = self.counter
        faces = []
        for a, b in zip(c.edge_m[:-1], c.edge_m[1:]):
            u = (b - a) / np.linalg.norm(b - a)
            back = -c.customer_side * np.array([-u[1], u[0]]) * self.settings.counter_depth_m
            faces += [(a, b), (a + back, b + back)]
        return faces

    @property
    def counter(self):
        """The counter (edge polyline in floor metres, height, customer side)."""
        return self.calibration.counter

    def signed_distance_m(self, xy_m: np.ndarray) -> np.ndarray:
        """Distance (metres) of floor point(s) to the counter edge, positive on the customer side."""
        c = self.counter
        return np.asarray(distance_to_polyline_m(np.asarray(xy_m, float), c.edge_m, c.customer_side))

    def hidden_by_counter(self, px: np.ndarray, z_m: float | np.ndarray) -> np.ndarray:
        """Per pixel (…, 2): True when the ray toward the point at height ``z_m`` passes through the counter (its
        front face above the edge, or its back face ``counter_depth_m`` behind it, floor to counter height) before
        reaching that height."""
        cam = self.camera
        origin, d = cam.pixel_ray(px)
        z = np.broadcast_to(np.asarray(z_m, float), d.shape[:-1])
        with np.errstate(divide="ignore", invalid="ignore"):
            lam_end = (z - origin[2]) / d[..., 2]
        hidden = np.zeros(d.shape[:-1], bool)
        for a, b in self.counter_faces:
            ab = b - a
            # ray ground track origin.xy + lam * d.xy meets segment a + u * ab
            det = d[..., 0] * (-ab[1]) - d[..., 1] * (-ab[0])
            rx, ry = a[0] - origin[0], a[1] - origin[1]
            with np.errstate(divide="ignore", invalid="ignore"):
                lam = (rx * (-ab[1]) - ry * (-ab[0])) / det
                u = (d[..., 0] * ry - d[..., 1] * rx) / det
            zc = origin[2] + lam * d[..., 2]
            hit = (np.abs(det) > 1e-12) & (lam > 0) & (u >= 0) & (u <= 1) & (zc >= 0) & (zc <= self.counter.height_m)
            hidden |= hit & (lam < lam_end)
        return hidden

    def in_zone(self, name: str, xy_m: np.ndarray) -> bool:
        """True when the floor point lies inside the calibration's floor zone ``name`` (False if no such zone)."""
        zone = self.calibration.zones.get(name)
        if zone is None or zone.floor_m is None:
            return False
        return cv2.pointPolygonTest(zone.floor_m.astype(np.float32), (float(xy_m[0]), float(xy_m[1])), False) >= 0

    def column_box_px(self, xy_m: np.ndarray, height_m: float, half_width_m: float) -> np.ndarray:
        """(4,) image box (x0, y0, x1, y1) in pixels of an upright box ``2 * half_width_m`` wide and deep and
        ``height_m`` tall standing on the floor around ``xy_m`` (metres): where a person standing there can
        appear in the image, whatever their pose."""
        x, y = (float(v) for v in np.asarray(xy_m, float)[:2])
        corners = np.array([[x + dx, y + dy, z] for dx in (-half_width_m, half_width_m)
                            for dy in (-half_width_m, half_width_m) for z in (0.0, height_m)])
        uv = self.camera.project(corners)
        return np.array([uv[:, 0].min(), uv[:, 1].min(), uv[:, 0].max(), uv[:, 1].max()], np.float32)

    def visible_box_px(self, box_xyxy_px: np.ndarray, xy_m: np.ndarray) -> np.ndarray:
        """The part (pixels) of a person's image box the counter does not hide, for a person standing at floor point
        ``xy_m`` (metres): the box ends where, down its centre column, the counter starts to hide that person."""
        x0, y0, x1, y1 = (float(v) for v in box_xyxy_px)
        rows = np.arange(np.floor(y0), np.ceil(y1) + 1.0, 2.0)
        if len(rows) < 2:
            return np.asarray(box_xyxy_px, np.float32)
        px = np.column_stack([np.full(len(rows), (x0 + x1) / 2), rows])
        z = np.asarray(self.camera.height_on_vertical_line(px, np.asarray(xy_m, float)), float)
        hidden = self.hidden_by_counter(px, np.nan_to_num(z, nan=-1.0)) & (z > 0)
        if not hidden.any() or hidden[0]:
            return np.asarray(box_xyxy_px, np.float32)
        return np.array([x0, y0, x1, max(y0 + 1.0, float(rows[int(np.argmax(hidden))]))], np.float32)

    def person_height_px(self, xy_m: np.ndarray) -> float:
        """Image height (pixels) of an adult standing upright at floor point ``xy_m`` (metres)."""
        x, y = (float(v) for v in np.asarray(xy_m, float)[:2])
        uv = self.camera.project(np.array([[x, y, 0.0], [x, y, self.settings.standing_head_height_m]]))
        return float(np.linalg.norm(uv[1] - uv[0]))

    def station_floor_m(self, name: str | None) -> np.ndarray | None:
        """Floor point (metres) of the clerk station called ``name``, None when there is none."""
        return next((st.floor_m for st in self.calibration.clerk_stations if st.name == name), None)

    def upright_at_station(self, face_px: np.ndarray, station: str) -> bool:
        """Whether a face seen at ``face_px`` (pixels) lies ``upright_head_height_m`` or higher above the floor at
        clerk station ``station``: the person there stands."""
        z = float(self.camera.height_on_vertical_line(np.asarray(face_px, float),
                                                      np.asarray(self.station_floor_m(station), float)))
        return bool(np.isfinite(z) and z >= self.settings.upright_head_height_m)

    def nearest_station(self, xy_m: np.ndarray) -> tuple[str | None, float]:
        """(name, distance in metres) of the clerk station nearest to the floor point."""
        best, best_d = None, np.inf
        for st in self.calibration.clerk_stations:
            dd = float(np.linalg.norm(np.asarray(xy_m, float) - st.floor_m))
            if dd < best_d:
                best, best_d = st.name, dd
        return best, best_d


def _usable(xy: np.ndarray, score: np.ndarray, idx, thr: float, w: int, h: int) -> list[int]:
    return [int(i) for i in idx if score[i] >= thr and 0 <= xy[i, 0] < w and 0 <= xy[i, 1] < h]


def _segment_estimate(model: FloorModel, px: np.ndarray, heights: tuple[float, float], standing: float,
                      source: str, far_side: bool, behind_hint: bool | None = None,
                      face_px: np.ndarray | None = None) -> FloorEstimate | None:
    """Floor point from one pixel whose height above the floor is only known to lie in ``heights``.

    ``far_side``: the counter hid part of this person's body, so they stand on the side of the counter away from
    the camera; only the possible points there are kept; else with ``behind_hint`` (the side of the counter the
    same person was on a moment ago) the points on that side, when there are any. Behind the counter the point
    nearest a station is taken (clerks sit or stand at their station) — unless the face (``face_px``, pixels) lies
    ``upright_head_height_m`` high at that station: a standing clerk is placed at the standing height, as everybody
    elsewhere is (the caller passes the face for the hips only)."""
    zs = np.linspace(heights[0], heights[1], 7)
    pts = model.camera.pixel_to_plane_z(np.repeat(px[None], len(zs), axis=0), zs)
    ok = np.all(np.isfinite(pts), axis=1)
    margin = model.settings.behind_margin_m
    dist = np.where(ok, model.signed_distance_m(np.where(ok[:, None], pts, 0.0)), np.nan)
    if far_side:
        camera_behind = float(model.signed_distance_m(model.camera.position_m[:2])) < 0
        ok &= (dist < -margin) if not camera_behind else (dist > -margin)
    if not far_side and behind_hint is not None:
        side = (dist < -margin) if behind_hint else (dist > -margin)
        if (ok & side).any():
            ok &= side
    if not ok.any():
        return None
    pts, zs, dist = pts[ok], zs[ok], dist[ok]
    behind = True if np.all(dist < -margin) else False if np.all(dist > -margin) else None
    standing_k = int(np.argmin(np.abs(zs - standing)))
    if dist[standing_k] < -margin and model.calibration.clerk_stations:
        cand = np.flatnonzero(dist < -margin)
        k = int(cand[np.argmin([model.nearest_station(p)[1] for p in pts[cand]])])
        station, station_d = model.nearest_station(pts[k])
        if face_px is not None and station is not None and station_d <= model.settings.station_radius_m \
                and model.upright_at_station(face_px, station):
            upright = model.camera.pixel_to_plane_z(px, standing)
            if np.all(np.isfinite(upright)):
                d = float(model.signed_distance_m(upright))
                # the stance moves her along her own ray, never to another station (in a side view the ray runs
                # along the counter; no tuning clip needed this guard)
                if d < -margin and model.nearest_station(upright)[0] == station:
                    return FloorEstimate(upright, source, behind, d)
    else:
        k = standing_k
    return FloorEstimate(pts[k], source, behind, float(dist[k]))


def _plausible_body(model: FloorModel, xy_px: np.ndarray, score: np.ndarray, thr: float, floor_xy: np.ndarray) -> bool:
    """Whether the shoulders stand at an adult's shoulder height above a floor point found from the feet: feet that
    MediaPipe invents behind furniture put the floor point metres away, where the shoulders would float or sink."""
    s = model.settings
    seen = [i for i in _SHOULDERS if score[i] >= thr]
    if not seen:
        return True
    z = model.camera.height_on_vertical_line(xy_px[seen].mean(axis=0), floor_xy)
    lo, hi = s.shoulder_height_range_m
    return bool(np.isfinite(z) and lo - 0.15 <= z <= hi + 0.25)


def _towards_hips(model: FloorModel, feet_xy: np.ndarray, xy_px: np.ndarray, score: np.ndarray, thr: float,
                  hip_height_m: float | None) -> np.ndarray | None:
    """The feet's floor point moved ``feet_hips_weight`` of the way to the point under the hips (metres), when the
    person's hip height is known and both hips are seen clear of the counter; else None."""
    w = model.settings.feet_hips_weight
    cam = model.camera
    if w <= 0 or hip_height_m is None or len(_usable(xy_px, score, _HIPS, thr, cam.image_width,
                                                          cam.image_height)) < 2:
        return None
    px = xy_px[_HIPS].mean(axis=0)
    if model.hidden_by_counter(px, hip_height_m):
        return None
    hips = cam.pixel_to_plane_z(px, hip_height_m)
    return (1 - w) * feet_xy + w * hips if np.all(np.isfinite(hips)) else None


def estimate_floor(model: FloorModel, xy_px: np.ndarray, score: np.ndarray,
                   box_xyxy_px: np.ndarray | None = None, hip_height_m: float | None = None,
                   shoulder_height_m: float | None = None, min_score: float | None = None,
                   behind_hint: bool | None = None) -> FloorEstimate | None:
    """The floor point (metres) of a person from 33 BlazePose-indexed image points (pixels) with per-point scores
    (visibility, or the detector's keypoint scores), using the lowest body part the camera sees (module docstring).
    ``box_xyxy_px``: the detector's box (where the visible body ends), or None; ``hip_height_m`` /
    ``shoulder_height_m``: the person's own heights when already measured; ``min_score``: the score a point needs
    (default: the settings' ``visibility``); ``behind_hint``: whether the same person stood behind the counter a
    moment ago (settles what the hips and shoulders alone leave open), None for somebody new."""
    s = model.settings
    thr = s.visibility if min_score is None else min_score
    cam = model.camera
    w, h = cam.image_width, cam.image_height
    geo = cam.geometry
    feet = []
    # the bottom of the person's image box seen through the counter: their lower body ends at the counter, so they
    # stand on its far side (this holds for the detector's box and for a box of invented landmarks alike)
    box_ends_in_view = box_xyxy_px is not None and box_xyxy_px[3] < h - s.frame_edge_px
    counter_hid = box_ends_in_view and bool(model.hidden_by_counter(
        np.array([(box_xyxy_px[0] + box_xyxy_px[2]) / 2, box_xyxy_px[3]], float), 0.0))
    for ankle, heel in _FEET:
        for idx, z in ((int(ankle), geo.ankle_height_m), (int(heel), geo.heel_height_m)):
            if not _usable(xy_px, score, [idx], thr, w, h):
                continue
            if model.hidden_by_counter(xy_px[idx], z):
                counter_hid = True
                continue
            p = cam.pixel_to_plane_z(xy_px[idx], z)
            if np.all(np.isfinite(p)):
                feet.append(p)
                break
    if feet:
        xy = np.mean(feet, axis=0)
        if _plausible_body(model, xy_px, score, thr, xy):
            dist = float(model.signed_distance_m(xy))
            return FloorEstimate(xy, "feet", dist < -s.behind_margin_m, dist,
                                 reported_xy_m=_towards_hips(model, xy, xy_px, score, thr, hip_height_m))
    parts = ((_HIPS, 2, hip_height_m, s.hip_height_range_m, s.standing_hip_height_m, "hips"),
             (_SHOULDERS, 1, shoulder_height_m, s.shoulder_height_range_m, s.standing_shoulder_height_m, "shoulders"),
             (_FACE, 1, None, s.head_height_range_m, s.standing_head_height_m, "head"))
    for idx, need, known, rng, standing, name in parts:
        seen = _usable(xy_px, score, idx, thr, w, h)
        if len(seen) < need:
            continue
        px = xy_px[seen].mean(axis=0)
        # hidden for sure if the counter blocks the ray even at the highest possible height (the nearest point
        # along the ray); blocked only at lower heights, it is hidden for somebody behind the counter (MediaPipe
        # draws a seated clerk's hips where the counter is) and in view for somebody in front of it
        lo, hi = (rng if known is None else (known, known))
        if model.hidden_by_counter(px, hi) or (behind_hint and model.hidden_by_counter(px, lo)):
            counter_hid = True
            continue
        heights = rng if known is None else (known, known)
        # the stance from the face's height, for the hips only: a bent trunk lowers the shoulders, and a standing
        # clerk's shoulders placed at their standing height were further off than the point nearest the station
        # (tuning: 25 → 43 cm)
        face = _usable(xy_px, score, _FACE, thr, w, h) if known is None and name == "hips" else []
        est = _segment_estimate(model, px, heights, standing, name, counter_hid, behind_hint,
                                xy_px[face].mean(axis=0) if face else None)
        if est is not None:
            return est
    if box_ends_in_view:
        px = np.array([(box_xyxy_px[0] + box_xyxy_px[2]) / 2, box_xyxy_px[3]], float)
        if not model.hidden_by_counter(px, 0.0):
            p = cam.pixel_to_floor(px)
            if np.all(np.isfinite(p)):
                dist = float(model.signed_distance_m(p))
                return FloorEstimate(p, "box", dist < -s.behind_margin_m, dist)
    return None


def role_from_floor(model: FloorModel, est: FloorEstimate) -> tuple[str, str | None]:
    """(role, station) of a person at a floor point: behind the counter near a station → ``clerk`` of it; behind it
    elsewhere → ``other``; in the ``waiting`` zone → ``waiting``; in front of the counter → ``customer`` (``other``
    when a ``customer_approach`` zone exists and the point lies outside it)."""
    behind = est.behind if est.behind is not None else est.signed_distance_m < -model.settings.behind_margin_m
    if behind:
        name, d = model.nearest_station(est.xy_m)
        if name is not None and d <= model.settings.station_radius_m:
            return "clerk", name
        return "other", None
    if model.in_zone("waiting", est.xy_m):
        return "waiting", None
    zones = model.calibration.zones
    if "customer_approach" in zones and zones["customer_approach"].floor_m is not None \
            and not model.in_zone("customer_approach", est.xy_m):
        return "other", None
    return "customer", None
