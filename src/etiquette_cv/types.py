"""Small typed data types that flow between the stages.

video source → pose → geometry → features → events → rules → reports.

Every array carries its unit in the field name; pixel coordinates are full-frame image pixels with the origin at
the top-left corner, x to the right and y down.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum

import numpy as np

NUM_LANDMARKS = 33


class Landmark(IntEnum):
    """The 33 BlazePose / MediaPipe PoseLandmarker landmarks, by index."""

    NOSE = 0
    LEFT_EYE_INNER = 1
    LEFT_EYE = 2
    LEFT_EYE_OUTER = 3
    RIGHT_EYE_INNER = 4
    RIGHT_EYE = 5
    RIGHT_EYE_OUTER = 6
    LEFT_EAR = 7
    RIGHT_EAR = 8
    MOUTH_LEFT = 9
    MOUTH_RIGHT = 10
    LEFT_SHOULDER = 11
    RIGHT_SHOULDER = 12
    LEFT_ELBOW = 13
    RIGHT_ELBOW = 14
    LEFT_WRIST = 15
    RIGHT_WRIST = 16
    LEFT_PINKY = 17
    RIGHT_PINKY = 18
    LEFT_INDEX = 19
    RIGHT_INDEX = 20
    LEFT_THUMB = 21
    RIGHT_THUMB = 22
    LEFT_HIP = 23
    RIGHT_HIP = 24
    LEFT_KNEE = 25
    RIGHT_KNEE = 26
    LEFT_ANKLE = 27
    RIGHT_ANKLE = 28
    LEFT_HEEL = 29
    RIGHT_HEEL = 30
    LEFT_FOOT_INDEX = 31
    RIGHT_FOOT_INDEX = 32


LANDMARK_NAMES: tuple[str, ...] = tuple(m.name.lower() for m in Landmark)

#: Bones drawn by annotators and used for sanity checks (pairs of landmark indices).
SKELETON_EDGES: tuple[tuple[int, int], ...] = (
    (11, 12), (11, 13), (13, 15), (12, 14), (14, 16),
    (11, 23), (12, 24), (23, 24),
    (23, 25), (25, 27), (27, 29), (29, 31), (27, 31),
    (24, 26), (26, 28), (28, 30), (30, 32), (28, 32),
    (0, 2), (0, 5), (2, 7), (5, 8), (9, 10),
    (15, 17), (15, 19), (15, 21), (16, 18), (16, 20), (16, 22),
)


@dataclass(frozen=True)
class Frame:
    """One decoded video frame with its presentation time from the container."""

    index: int
    """Index of the frame in decode order (0-based), counted over every decoded frame, analysed or not."""
    timestamp_s: float
    """Presentation time in seconds from the start of the video."""
    image: np.ndarray
    """BGR uint8 image, shape (height, width, 3)."""


@dataclass(frozen=True)
class RegionOfInterest:
    """An image rectangle watched by its own landmarker (e.g. the clerk zone, the customer zone)."""

    name: str
    x: int
    y: int
    width: int
    height: int
    follow: bool = False
    """When true the crop follows the person it found (re-cropped around the last pose), e.g. a walking customer."""

    def clip_to(self, image_width: int, image_height: int) -> "RegionOfInterest":
        """This rectangle clipped to an image of the given size in pixels; raises ValueError if nothing is left."""
        x0, y0 = max(0, self.x), max(0, self.y)
        x1, y1 = min(image_width, self.x + self.width), min(image_height, self.y + self.height)
        if x1 - x0 < 8 or y1 - y0 < 8:
            raise ValueError(
                f"region {self.name!r} ({self.x},{self.y},{self.width},{self.height}) lies outside the "
                f"{image_width}x{image_height} frame"
            )
        return RegionOfInterest(self.name, x0, y0, x1 - x0, y1 - y0, self.follow)


@dataclass
class PersonPose:
    """One person's landmarks in one frame, as found by the landmarker of one region."""

    track_id: int
    """Stable id of the person over time (per region track; later stages key per-person state by it)."""
    region: str
    """Name of the region of interest whose landmarker found this person."""
    image_xy_px: np.ndarray
    """(33, 2) float landmark positions in full-frame pixels."""
    image_z: np.ndarray
    """(33,) float MediaPipe's relative depth of each landmark (same scale as x in the crop, hip midpoint = 0)."""
    world_xyz_m: np.ndarray
    """(33, 3) float MediaPipe world landmarks in metres: origin between the hips, axes of the camera (x right,
    y down, z away from the camera). Not corrected for camera pitch."""
    visibility: np.ndarray
    """(33,) float in [0, 1]: likelihood that the landmark is visible (not occluded)."""
    presence: np.ndarray
    """(33,) float in [0, 1]: likelihood that the landmark is present in the image."""

    def visible(self, threshold: float = 0.5) -> np.ndarray:
        """Boolean mask (33,) of landmarks whose visibility and presence are at least ``threshold``."""
        return (self.visibility >= threshold) & (self.presence >= threshold)

    def bbox_px(self, threshold: float = 0.3) -> tuple[float, float, float, float]:
        """Bounding box (x0, y0, x1, y1) in pixels of the landmarks seen with at least ``threshold`` presence."""
        mask = self.presence >= threshold
        pts = self.image_xy_px[mask] if mask.any() else self.image_xy_px
        return float(pts[:, 0].min()), float(pts[:, 1].min()), float(pts[:, 0].max()), float(pts[:, 1].max())


@dataclass
class FramePoses:
    """Every person found in one analysed frame."""

    frame_index: int
    timestamp_s: float
    image_width: int
    image_height: int
    persons: list[PersonPose] = field(default_factory=list)

    def by_region(self, region: str) -> list[PersonPose]:
        """The persons found by the landmarker of ``region``."""
        return [p for p in self.persons if p.region == region]
