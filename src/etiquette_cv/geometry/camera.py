"""The solved camera model: projections between image pixels and the calibration's floor frame (metres).

World frame: the calibration's floor frame (metres, floor z = 0, z up). Camera frame: OpenCV (x right, y down,
z along the optical axis). ``x_cam = R @ x_world + t``. Pixels are full-frame image pixels.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import cv2
import numpy as np

from .calibration import GeometrySettings

MIN_RAY_COSINE = 1e-9
"""Rays closer than this to parallel with a plane or line are treated as not meeting it."""


@dataclass
class CameraModel:
    """A solved camera: intrinsics, pose in the floor frame, and the residuals of the reference points.

    World frame: the calibration's floor frame (metres, floor z = 0, z up). Camera frame: OpenCV (x right, y down,
    z along the optical axis). ``x_cam = R @ x_world + t``.
    """

    K: np.ndarray
    dist: np.ndarray
    R: np.ndarray
    """(3, 3) rotation world → camera."""
    t: np.ndarray
    """(3,) translation world → camera, metres."""
    image_width: int
    image_height: int
    floor_homography: np.ndarray
    """(3, 3) homography from undistorted image pixels to floor metres (fitted to the floor points alone)."""
    reference_labels: tuple[str, ...]
    reference_world_m: np.ndarray
    """(N, 3) reference points (floor points first) in world metres."""
    reference_pixels_px: np.ndarray
    """(N, 2) their measured pixels."""
    reprojection_errors_px: np.ndarray
    """(N,) distance between each measured pixel and the projection of its world point, pixels."""
    floor_errors_cm: np.ndarray
    """(N,) distance on the point's horizontal plane between its world position and where its measured pixel's
    ray meets that plane, centimetres (NaN if the ray misses the plane)."""
    leave_one_out_errors_px: np.ndarray
    """(N,) reprojection error of each point when the camera is solved without it (NaN when too few points)."""
    focal_refined: bool = False
    """True when the focal length was refined from the reference points (intrinsics given by hfov_deg)."""
    geometry: GeometrySettings = field(default_factory=GeometrySettings)
    """The calibration file's geometry settings (defaults of the geometry functions)."""

    @classmethod
    def from_pose(cls, K: np.ndarray, R: np.ndarray, t: np.ndarray, image_width: int, image_height: int,
                  dist: np.ndarray | None = None, geometry: GeometrySettings | None = None) -> "CameraModel":
        """A camera model from known intrinsics and pose (e.g. a renderer's ground truth), without reference
        points; the floor homography is derived from the pose."""
        K = np.asarray(K, dtype=float)
        R = np.asarray(R, dtype=float)
        t = np.asarray(t, dtype=float).reshape(3)
        floor_to_image = K @ np.column_stack([R[:, 0], R[:, 1], t])
        return cls(K=K, dist=np.zeros(5) if dist is None else np.asarray(dist, dtype=float), R=R, t=t,
                   image_width=int(image_width), image_height=int(image_height),
                   floor_homography=np.linalg.inv(floor_to_image), reference_labels=(),
                   reference_world_m=np.zeros((0, 3)), reference_pixels_px=np.zeros((0, 2)),
                   reprojection_errors_px=np.zeros(0), floor_errors_cm=np.zeros(0),
                   leave_one_out_errors_px=np.zeros(0), geometry=geometry or GeometrySettings())

    # --- pose summaries -------------------------------------------------------------------------------------------

    @property
    def position_m(self) -> np.ndarray:
        """(3,) camera centre in world metres."""
        return -self.R.T @ self.t

    @property
    def height_m(self) -> float:
        """Height of the camera centre above the floor, metres."""
        return float(self.position_m[2])

    @property
    def gravity_cam(self) -> np.ndarray:
        """(3,) unit vector of world "down" (−z) in camera coordinates."""
        return self.R @ np.array([0.0, 0.0, -1.0])

    @property
    def pitch_deg(self) -> float:
        """Angle of the optical axis below the horizontal, degrees (down positive)."""
        return float(np.degrees(np.arcsin(np.clip(self.gravity_cam[2], -1.0, 1.0))))

    @property
    def roll_deg(self) -> float:
        """Angle in the image from the image's down direction (+y) to the image of true down, degrees, positive
        toward image +x (right); 0 for a level camera."""
        g = self.gravity_cam
        return float(np.degrees(np.arctan2(g[0], g[1])))

    @property
    def yaw_deg(self) -> float:
        """Heading of the optical axis on the floor, degrees from world +x toward +y."""
        axis = self.R.T @ np.array([0.0, 0.0, 1.0])
        return float(np.degrees(np.arctan2(axis[1], axis[0])))

    @property
    def hfov_deg(self) -> float:
        """Horizontal field of view from fx and the image width, degrees (ignoring distortion)."""
        return float(np.degrees(2.0 * np.arctan(self.image_width / (2.0 * self.K[0, 0]))))

    @property
    def rvec(self) -> np.ndarray:
        """(3,) Rodrigues vector of R (for cv2.projectPoints)."""
        return cv2.Rodrigues(self.R)[0].ravel()

    # --- projections ----------------------------------------------------------------------------------------------

    def project(self, world_xyz_m: np.ndarray) -> np.ndarray:
        """Pixels (…, 2) of world points (…, 3) in metres; NaN for points not in front of the camera."""
        pts = np.asarray(world_xyz_m, dtype=float)
        flat = pts.reshape(-1, 3)
        if len(flat) == 0:
            return np.zeros(pts.shape[:-1] + (2,))
        depth = flat @ self.R[2] + self.t[2]
        px, _ = cv2.projectPoints(flat.reshape(-1, 1, 3), self.rvec, self.t, self.K, self.dist)
        px = px.reshape(-1, 2)
        px[depth <= MIN_RAY_COSINE] = np.nan
        return px.reshape(pts.shape[:-1] + (2,))

    def pixel_ray(self, px: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The viewing ray of pixel(s) (…, 2): (origin (3,) = camera centre in world metres, unit direction (…, 3))."""
        p = np.asarray(px, dtype=float)
        flat = p.reshape(-1, 2)
        norm = cv2.undistortPoints(flat.reshape(-1, 1, 2), self.K, self.dist).reshape(-1, 2)
        d_cam = np.column_stack([norm, np.ones(len(norm))])
        d_world = d_cam @ self.R  # == (R.T @ d_cam.T).T
        d_world /= np.linalg.norm(d_world, axis=1, keepdims=True)
        return self.position_m, d_world.reshape(p.shape[:-1] + (3,))

    def pixel_to_plane_z(self, px: np.ndarray, z_m: float | np.ndarray) -> np.ndarray:
        """Floor xy (…, 2) in metres where pixel rays meet the horizontal plane(s) at height ``z_m`` (NaN if the
        ray does not reach the plane in front of the camera)."""
        origin, d = self.pixel_ray(px)
        z = np.broadcast_to(np.asarray(z_m, dtype=float), d.shape[:-1])
        dz = d[..., 2]
        with np.errstate(divide="ignore", invalid="ignore"):
            lam = (z - origin[2]) / dz
        ok = (np.abs(dz) > MIN_RAY_COSINE) & (lam > 0)
        xy = origin[:2] + lam[..., None] * d[..., :2]
        return np.where(ok[..., None], xy, np.nan)

    def pixel_to_floor(self, px: np.ndarray) -> np.ndarray:
        """Floor position (…, 2) in metres seen at pixel(s) (…, 2) (ray ∩ plane z = 0; NaN above the horizon)."""
        return self.pixel_to_plane_z(px, 0.0)

    def height_on_vertical_line(self, px: np.ndarray, floor_xy_m: np.ndarray) -> np.ndarray | float:
        """Height z (metres) of the point of the vertical line through ``floor_xy_m`` closest to the pixel's ray
        (NaN when the ray is vertical). Accepts one pixel (2,) or many (…, 2)."""
        origin, d = self.pixel_ray(px)
        q = np.asarray(floor_xy_m, dtype=float)
        w0 = np.concatenate([origin[:2] - q, [origin[2]]]) if q.ndim == 1 else np.concatenate(
            [origin[:2] - q, np.full(q.shape[:-1] + (1,), origin[2])], axis=-1)
        b = d[..., 2]
        denom = 1.0 - b * b
        dw = np.sum(d * w0, axis=-1)
        with np.errstate(divide="ignore", invalid="ignore"):
            s = (w0[..., 2] - b * dw) / denom
        s = np.where(denom > MIN_RAY_COSINE, s, np.nan)
        return float(s) if np.ndim(s) == 0 else s

    def point_on_vertical_plane(self, px: np.ndarray, plane_point_xy: np.ndarray,
                                plane_normal_xy: np.ndarray) -> np.ndarray:
        """World point(s) (…, 3) in metres where pixel rays meet the vertical plane through ``plane_point_xy`` with
        horizontal normal ``plane_normal_xy`` (NaN when parallel or behind the camera)."""
        origin, d = self.pixel_ray(px)
        n = np.array([*np.asarray(plane_normal_xy, dtype=float), 0.0])
        n /= np.linalg.norm(n)
        p0 = np.array([*np.asarray(plane_point_xy, dtype=float), 0.0])
        dn = d @ n
        with np.errstate(divide="ignore", invalid="ignore"):
            lam = float(n @ (p0 - origin)) / dn
        ok = (np.abs(dn) > MIN_RAY_COSINE) & (lam > 0)
        pts = origin + lam[..., None] * d
        return np.where(np.asarray(ok)[..., None], pts, np.nan)

    def floor_xy_from_homography(self, px: np.ndarray) -> np.ndarray:
        """Floor position (…, 2) in metres of pixel(s) by the floor homography alone (independent of the pose)."""
        p = np.asarray(px, dtype=float)
        und = cv2.undistortPoints(p.reshape(-1, 1, 2), self.K, self.dist, P=self.K).reshape(-1, 2)
        out = cv2.perspectiveTransform(und.reshape(-1, 1, 2), self.floor_homography).reshape(-1, 2)
        return out.reshape(p.shape)
