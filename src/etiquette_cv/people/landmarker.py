"""Pose per tracked person: one MediaPipe PoseLandmarker (Tasks API, VIDEO mode, one pose) per track, on a square
crop that follows the person.

BlazePose finds one prominent person per image and misses small people, so it never sees the whole frame: each
track's landmarker gets a crop around that person, scaled to a fixed size, and its landmarks are mapped back to
full-frame pixels. The crop is re-centred on every frame so that MediaPipe's own tracking (which predicts the next
region from the previous landmarks, in crop coordinates) stays aligned; its size changes only when the person's
does by more than ``resize_fraction``, and then the landmarker restarts (its state refers to the old scale).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from ..core import NUM_LANDMARKS
from ..models import quiet_mediapipe


@dataclass(frozen=True)
class LandmarkerSettings:
    """Settings of the per-track landmarkers."""

    crop_long_side_px: int = 384
    """Each crop is scaled so its side has this many pixels before it goes to the landmarker."""
    margin: float = 0.45
    """The crop extends this fraction of the person's box beyond it on every side."""
    resize_fraction: float = 0.25
    """The crop changes size only when the person's size changes by more than this fraction."""
    shrink_fraction: float = 0.5
    """The crop shrinks only when the person's size falls below this fraction of it: a bow or sitting down shrinks
    the visible body for a few seconds, and a restart then would lose the person mid-bow."""
    min_detection_confidence: float = 0.5
    min_presence_confidence: float = 0.5
    min_tracking_confidence: float = 0.5


CROWN_ABOVE_NOSE = 0.57
"""Height of the crown above the nose, in nose-to-shoulder-centre distances (adult proportions)."""
SHOULDER_FLESH = 0.15
"""Breadth of the shoulders' outline beyond each shoulder joint, in shoulder-joint widths."""


@dataclass
class LandmarkResult:
    """One person's landmarks in one frame, in full-frame pixels."""

    image_xy_px: np.ndarray
    """(33, 2) landmark positions in pixels."""
    image_z: np.ndarray
    """(33,) MediaPipe's relative depth, in pixels of the full frame."""
    world_xyz_m: np.ndarray
    """(33, 3) MediaPipe world landmarks in metres (hip-centred, camera axes)."""
    visibility: np.ndarray
    presence: np.ndarray

    def box_xyxy_px(self, threshold: float = 0.3) -> np.ndarray:
        """(4,) box (x0, y0, x1, y1) in pixels of the landmarks present with at least ``threshold``."""
        mask = self.presence >= threshold
        pts = self.image_xy_px[mask] if mask.sum() >= 4 else self.image_xy_px
        return np.array([pts[:, 0].min(), pts[:, 1].min(), pts[:, 0].max(), pts[:, 1].max()], dtype=np.float32)


    def outline_box_xyxy_px(self, threshold: float = 0.3) -> np.ndarray:
        """(4,) box in pixels of the person's outline, not of their joint centres: :meth:`box_xyxy_px` raised to the
        top of the head and widened by the flesh beyond the shoulder joints. Anthropometric proportions (adults):
        the crown lies about 0.57 of the nose-to-shoulder-centre distance above the nose (≈ 0.12 of ≈ 0.21 m), the
        shoulders' outline about 0.15 of the shoulder-joint width beyond each joint (≈ 0.05 of ≈ 0.34 m). A seated
        clerk seen over a counter is mostly head and shoulders, whose joint box is half the height of what is seen."""
        box = self.box_xyxy_px(threshold)
        seen = self.presence >= threshold
        nose, ls, rs = self.image_xy_px[0], self.image_xy_px[11], self.image_xy_px[12]
        if not (seen[0] and seen[11] and seen[12]):
            return box
        centre = 0.5 * (ls + rs)
        crown_y = float(nose[1] - CROWN_ABOVE_NOSE * np.linalg.norm(nose - centre))
        pad_x = SHOULDER_FLESH * float(np.linalg.norm(ls - rs))
        return np.array([box[0] - pad_x, min(box[1], crown_y), box[2] + pad_x, box[3]], dtype=np.float32)

    def visible_box_xyxy_px(self, threshold: float = 0.5) -> np.ndarray:
        """(4,) box in pixels of the landmarks MediaPipe reports as visible (not of the limbs it invents behind a
        counter): the landmarker's next crop is placed around what it sees, at the highest resolution."""
        mask = np.minimum(self.visibility, self.presence) >= threshold
        if mask.sum() < 4:
            return self.box_xyxy_px()
        pts = self.image_xy_px[mask]
        return np.array([pts[:, 0].min(), pts[:, 1].min(), pts[:, 0].max(), pts[:, 1].max()], dtype=np.float32)


def grey_out(crop: np.ndarray, origin_xy_px: tuple[int, int], boxes_xyxy_px: list[np.ndarray],
             keep_xyxy_px: np.ndarray) -> np.ndarray:
    """A copy of ``crop`` (whose top-left pixel is ``origin_xy_px`` of the frame) with every box of
    ``boxes_xyxy_px`` (frame pixels) filled with mid grey, except where it overlaps ``keep_xyxy_px``; ``crop``
    itself when no box reaches into it."""
    out = None
    h, w = crop.shape[:2]
    ox, oy = origin_xy_px
    kx0, ky0, kx1, ky1 = (int(round(float(v))) for v in keep_xyxy_px)
    keep = None
    for box in boxes_xyxy_px:
        x0, y0 = max(int(np.floor(box[0])) - ox, 0), max(int(np.floor(box[1])) - oy, 0)
        x1, y1 = min(int(np.ceil(box[2])) - ox, w), min(int(np.ceil(box[3])) - oy, h)
        if x1 <= x0 or y1 <= y0:
            continue
        if out is None:
            out = crop.copy()
            keep = crop[max(ky0 - oy, 0):max(ky1 - oy, 0), max(kx0 - ox, 0):max(kx1 - ox, 0)]
        out[y0:y1, x0:x1] = 128
    if out is None:
        return crop
    out[max(ky0 - oy, 0):max(ky1 - oy, 0), max(kx0 - ox, 0):max(kx1 - ox, 0)] = keep
    return out


class TrackLandmarker:
    """The landmarker of one tracked person; ``detect`` crops around a box, runs MediaPipe, maps back."""

    def __init__(self, model_path: Path, settings: LandmarkerSettings, image_width: int, image_height: int) -> None:
        quiet_mediapipe()
        from mediapipe.tasks.python import vision
        from mediapipe.tasks.python.core import base_options

        self.settings = settings
        self.image_width, self.image_height = image_width, image_height
        self._options = vision.PoseLandmarkerOptions(
            base_options=base_options.BaseOptions(model_asset_path=str(model_path)),
            running_mode=vision.RunningMode.VIDEO,
            num_poses=1,
            min_pose_detection_confidence=settings.min_detection_confidence,
            min_pose_presence_confidence=settings.min_presence_confidence,
            min_tracking_confidence=settings.min_tracking_confidence,
        )
        self._create = vision.PoseLandmarker.create_from_options
        self._landmarker = self._create(self._options)
        self._last_ms = -1
        self._side: float | None = None
        self.restarts = 0
        self.calls = 0
        self.landmarker_s = 0.0
        """Seconds spent inside bare landmarker calls."""

    def close(self) -> None:
        """Release the landmarker."""
        self._landmarker.close()

    def restart(self) -> None:
        """A fresh landmarker: its tracking state is forgotten (it jumped to somebody else, or the crop rescaled)."""
        self._landmarker.close()
        self._landmarker = self._create(self._options)
        self.restarts += 1

    def _crop_for(self, box_xyxy_px: np.ndarray) -> tuple[int, int, int]:
        """(x, y, side) of the square crop around a person's box, in pixels; restarts the landmarker when the side
        grows by more than ``resize_fraction`` or shrinks below ``shrink_fraction``."""
        x0, y0, x1, y1 = (float(v) for v in box_xyxy_px)
        want = max(x1 - x0, y1 - y0, 8.0) * (1 + 2 * self.settings.margin)
        if self._side is None:
            self._side = want
        elif want > self._side * (1 + self.settings.resize_fraction) or want < self._side * self.settings.shrink_fraction:
            self._side = want
            self.restart()
        side = int(round(min(self._side, self.image_width, self.image_height)))
        cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
        x = min(max(int(round(cx - side / 2)), 0), self.image_width - side)
        y = min(max(int(round(cy - side / 2)), 0), self.image_height - side)
        return x, y, side

    def detect(self, image_bgr: np.ndarray, timestamp_s: float, box_xyxy_px: np.ndarray,
               grey_boxes_xyxy_px: list[np.ndarray] | None = None) -> LandmarkResult | None:
        """The landmarks of the person around ``box_xyxy_px`` (pixels) in a full BGR frame at ``timestamp_s``
        seconds, or None when the landmarker finds nobody there. ``grey_boxes_xyxy_px``: other people's boxes
        (pixels), greyed out in the crop except where they overlap ``box_xyxy_px``, so the landmarker cannot move
        onto them."""
        import mediapipe as mp

        x, y, side = self._crop_for(box_xyxy_px)
        crop = image_bgr[y:y + side, x:x + side]
        if grey_boxes_xyxy_px:
            crop = grey_out(crop, (x, y), grey_boxes_xyxy_px, box_xyxy_px)
        scale = self.settings.crop_long_side_px / side
        size = max(1, int(round(side * scale)))
        interp = cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
        rgb = cv2.cvtColor(cv2.resize(crop, (size, size), interpolation=interp), cv2.COLOR_BGR2RGB)
        ts_ms = max(int(round(timestamp_s * 1000.0)), self._last_ms + 1)  # VIDEO mode needs strictly increasing
        self._last_ms = ts_ms
        image = mp.Image(image_format=mp.ImageFormat.SRGB, data=np.ascontiguousarray(rgb))
        t0 = time.perf_counter()
        result = self._landmarker.detect_for_video(image, ts_ms)
        self.landmarker_s += time.perf_counter() - t0
        self.calls += 1
        if not result.pose_landmarks:
            return None
        norm, world = result.pose_landmarks[0], result.pose_world_landmarks[0]
        xyz = np.array([(lm.x, lm.y, lm.z) for lm in norm], dtype=np.float32)
        xy_px = np.empty((NUM_LANDMARKS, 2), dtype=np.float32)
        xy_px[:, 0] = x + xyz[:, 0] * side
        xy_px[:, 1] = y + xyz[:, 1] * side
        return LandmarkResult(
            image_xy_px=xy_px,
            image_z=xyz[:, 2] * side,  # MediaPipe's z has the scale of normalised x: bring it to pixels
            world_xyz_m=np.array([(lm.x, lm.y, lm.z) for lm in world], dtype=np.float32),
            visibility=np.array([lm.visibility or 0.0 for lm in norm], dtype=np.float32),
            presence=np.array([lm.presence or 0.0 for lm in norm], dtype=np.float32),
        )
