"""A virtual pinhole camera in the scenario world frame (metres, floor z = 0, z up).

Camera coordinates follow OpenCV: x right, y down, z forward (along the optical axis). Pixel coordinates are
continuous full-frame pixels with the origin at the top-left corner of the top-left pixel, so the principal point
of a centred sensor is (width / 2, height / 2) — the same convention as MediaPipe's normalised landmarks × size.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .scenario import CameraSpec

__all__ = ["VirtualCamera"]

_WORLD_UP = np.array([0.0, 0.0, 1.0])


@dataclass(frozen=True)
class VirtualCamera:
    """Intrinsics K and world→camera extrinsics (R, t): x_cam = R · x_world + t."""

    K: np.ndarray
    """(3, 3) intrinsic matrix, pixels."""
    R: np.ndarray
    """(3, 3) rotation world → camera."""
    t: np.ndarray
    """(3,) translation world → camera, metres."""
    width: int
    height: int

    @classmethod
    def look_at(cls, position_m, look_at_m, hfov_deg: float, width: int, height: int,
                roll_deg: float = 0.0) -> "VirtualCamera":
        """A camera at ``position_m`` looking at ``look_at_m`` (world metres) with horizontal field of view
        ``hfov_deg``, square pixels, a centred principal point and the given roll about the optical axis
        (degrees; positive makes world-down lean toward image +x, see ``roll_deg``)."""
        c = np.asarray(position_m, dtype=float)
        z = np.asarray(look_at_m, dtype=float) - c
        z /= np.linalg.norm(z)
        x = np.cross(z, _WORLD_UP)
        if np.linalg.norm(x) < 1e-9:  # looking straight up/down: pick image "right" = world +x
            x = np.array([1.0, 0.0, 0.0]) - z[0] * z
        x /= np.linalg.norm(x)
        y = np.cross(z, x)
        if roll_deg:
            a = math.radians(roll_deg)
            x, y = math.cos(a) * x + math.sin(a) * y, -math.sin(a) * x + math.cos(a) * y
        R = np.stack([x, y, z])
        f = 0.5 * width / math.tan(math.radians(hfov_deg) / 2.0)
        K = np.array([[f, 0.0, 0.5 * width], [0.0, f, 0.5 * height], [0.0, 0.0, 1.0]])
        return cls(K=K, R=R, t=-R @ c, width=int(width), height=int(height))

    @classmethod
    def aimed(cls, height_m: float, pitch_deg: float, yaw_deg: float, target_m, hfov_deg: float, width: int,
              height: int) -> "VirtualCamera":
        """A level camera at ``height_m`` whose optical axis dips ``pitch_deg`` down onto ``target_m`` (world
        metres), its view heading ``yaw_deg`` (from +x toward +y)."""
        target = np.asarray(target_m, dtype=float)
        back = (height_m - target[2]) / math.tan(math.radians(pitch_deg))
        yaw = math.radians(yaw_deg)
        pos = [target[0] - back * math.cos(yaw), target[1] - back * math.sin(yaw), height_m]
        return cls.look_at(pos, target, hfov_deg, width, height)

    @classmethod
    def from_spec(cls, spec: CameraSpec) -> "VirtualCamera":
        """The camera described by a scenario's ``camera`` entry."""
        return cls.look_at(spec.position_m, spec.look_at_m, spec.hfov_deg, spec.width, spec.height, spec.roll_deg)

    # -- geometry ---------------------------------------------------------------------------------------------
    @property
    def position_m(self) -> np.ndarray:
        """(3,) camera centre in world metres."""
        return -self.R.T @ self.t

    @property
    def focal_px(self) -> float:
        """Focal length in pixels."""
        return float(self.K[0, 0])

    @property
    def gravity_cam(self) -> np.ndarray:
        """(3,) unit vector pointing down (world −z) expressed in camera coordinates."""
        return self.R @ -_WORLD_UP

    @property
    def height_m(self) -> float:
        """Height of the camera centre above the floor, metres."""
        return float(self.position_m[2])

    @property
    def pitch_deg(self) -> float:
        """Angle of the optical axis below the horizontal, degrees (positive = looking down)."""
        return math.degrees(math.asin(float(np.clip(-self.R[2, 2], -1.0, 1.0))))

    @property
    def roll_deg(self) -> float:
        """Roll about the optical axis, degrees: 0 when the image x axis is horizontal, positive when world-down
        leans toward image +x (the scene appears turned clockwise)."""
        g = self.gravity_cam
        return math.degrees(math.atan2(g[0], g[1]))

    def world_to_camera(self, world_xyz_m: np.ndarray) -> np.ndarray:
        """(…, 3) camera coordinates in metres (x right, y down, z forward) of world points (…, 3)."""
        return np.asarray(world_xyz_m, dtype=float) @ self.R.T + self.t

    def camera_to_world(self, cam_xyz_m: np.ndarray) -> np.ndarray:
        """(…, 3) world coordinates in metres of camera-frame points (…, 3)."""
        return (np.asarray(cam_xyz_m, dtype=float) - self.t) @ self.R

    def project_camera(self, cam_xyz_m: np.ndarray) -> np.ndarray:
        """(…, 2) pixel coordinates of camera-frame points (…, 3); points at or behind the camera give NaN."""
        p = np.asarray(cam_xyz_m, dtype=float)
        z = p[..., 2]
        with np.errstate(divide="ignore", invalid="ignore"):
            u = self.K[0, 0] * p[..., 0] / z + self.K[0, 2]
            v = self.K[1, 1] * p[..., 1] / z + self.K[1, 2]
        out = np.stack([u, v], axis=-1)
        out[z <= 1e-9] = np.nan
        return out

    def project(self, world_xyz_m: np.ndarray) -> np.ndarray:
        """(…, 2) pixel coordinates of world points (…, 3); points at or behind the camera give NaN."""
        return self.project_camera(self.world_to_camera(world_xyz_m))

    def in_image(self, px: np.ndarray, margin_px: float = 0.0) -> np.ndarray:
        """Boolean mask (…,) of pixel positions inside the frame (shrunk by ``margin_px``); NaN is outside."""
        px = np.asarray(px, dtype=float)
        with np.errstate(invalid="ignore"):
            return ((px[..., 0] >= margin_px) & (px[..., 0] <= self.width - margin_px)
                    & (px[..., 1] >= margin_px) & (px[..., 1] <= self.height - margin_px))

    def ray_world(self, px: np.ndarray) -> np.ndarray:
        """(…, 3) unit world directions of the viewing rays through pixels (…, 2)."""
        px = np.asarray(px, dtype=float)
        x = (px[..., 0] - self.K[0, 2]) / self.K[0, 0]
        y = (px[..., 1] - self.K[1, 2]) / self.K[1, 1]
        d = np.stack([x, y, np.ones_like(x)], axis=-1) @ self.R
        return d / np.linalg.norm(d, axis=-1, keepdims=True)
