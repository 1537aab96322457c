"""Small typed data types that flow between the stages.

The stages: io → geometry → people → posture → events → rules → report.

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


#: Roles a person can have, decided from where they stand on the calibrated floor (people stage).
ROLES: tuple[str, ...] = ("clerk", "customer", "waiting", "other", "unknown")
"""``clerk``: behind the counter near a station; ``customer``: in front of the counter; ``waiting``: inside the
``waiting`` zone; ``other``: tracked but graded by no rule (behind the counter away from every station, or outside
the customer zones); ``unknown``: no calibration, so no floor."""

#: ``landmarks_source`` and ``floor_source`` of a person filled into a short gap of their track (people/gaps.py).
INTERPOLATED = "interpolated"

#: Where a person's floor point came from, best first.
FLOOR_SOURCES: tuple[str, ...] = ("feet", "hips", "shoulders", "head", "box", INTERPOLATED, "")
"""``interpolated``: a frame filled into a short gap of the person's track (:mod:`.people.gaps`)."""

#: Where a person's landmarks came from: their own MediaPipe landmarker, the person detector's 17 keypoints, or
#: neither (a frame filled into a short gap of the track: positions interpolated, nothing visible or present).
LANDMARK_SOURCES: tuple[str, ...] = ("mediapipe", "detector", INTERPOLATED)


@dataclass
class PersonPose:
    """One tracked person in one frame: landmarks, where they stand and the role that gives them."""

    track_id: int
    """Stable id of the person over time (the tracker's; later stages key per-person state by it)."""
    role: str
    """One of :data:`ROLES`."""
    image_xy_px: np.ndarray
    """(33, 2) float landmark positions in full-frame pixels."""
    image_z: np.ndarray
    """(33,) float MediaPipe's relative depth of each landmark (same scale as x in the crop, hip midpoint = 0)."""
    world_xyz_m: np.ndarray
    """(33, 3) float MediaPipe world landmarks in metres: origin between the hips, axes of the camera (x right,
    y down, z away from the camera). Not corrected for camera pitch. Zeros when ``landmarks_source`` is
    ``detector``."""
    visibility: np.ndarray
    """(33,) float in [0, 1]: likelihood that the landmark is visible (not occluded)."""
    presence: np.ndarray
    """(33,) float in [0, 1]: likelihood that the landmark is present in the image."""
    station: str | None = None
    """For a clerk, the name of their station (calibration ``clerk_stations``); else None."""
    floor_xy_m: np.ndarray | None = None
    """(2,) floor point in metres (calibration frame), or None without a calibration."""
    floor_source: str = ""
    """One of :data:`FLOOR_SOURCES`: which body part gave ``floor_xy_m``."""
    box_xyxy_px: np.ndarray | None = None
    """(4,) the person's image box (x0, y0, x1, y1) in pixels: the detector's, or the landmarks' when the person
    was followed by their landmarker only."""
    landmarks_source: str = "mediapipe"
    """``mediapipe``: 33 BlazePose landmarks from the person's own landmarker; ``detector``: the detector's 17
    COCO keypoints mapped onto the BlazePose indices (the others with zero visibility and presence);
    ``interpolated``: a frame filled into a short gap of the track, nothing visible or present."""

    def __post_init__(self) -> None:
        if self.role not in ROLES:
            raise ValueError(f"role {self.role!r} is not one of {ROLES}")
        if self.floor_source not in FLOOR_SOURCES:
            raise ValueError(f"floor_source {self.floor_source!r} is not one of {FLOOR_SOURCES}")
        if self.landmarks_source not in LANDMARK_SOURCES:
            raise ValueError(f"landmarks_source {self.landmarks_source!r} is not one of {LANDMARK_SOURCES}")

    @property
    def interpolated(self) -> bool:
        """Whether this is a frame filled into a short gap of the person's track (nothing in it measured)."""
        return self.landmarks_source == INTERPOLATED

    @property
    def label(self) -> str:
        """How reports name this person: ``clerk@A`` for the clerk of station A, else ``customer#7`` etc."""
        if self.role == "clerk" and self.station:
            return f"clerk@{self.station}"
        return f"{self.role}#{self.track_id}"

    def visible(self, threshold: float = 0.5) -> np.ndarray:
        """Boolean mask (33,) of landmarks whose visibility and presence are at least ``threshold``."""
        return (self.visibility >= threshold) & (self.presence >= threshold)

    def bbox_px(self, threshold: float = 0.3) -> tuple[float, float, float, float]:
        """Bounding box (x0, y0, x1, y1) in pixels of the landmarks seen with at least ``threshold`` presence
        (the detector's box when no landmark is present)."""
        mask = self.presence >= threshold
        if not mask.any() and self.box_xyxy_px is not None:
            return tuple(float(v) for v in self.box_xyxy_px)
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

    def by_role(self, role: str, station: str | None = None) -> list[PersonPose]:
        """The persons with ``role`` (and, when given, at ``station``)."""
        return [p for p in self.persons if p.role == role and (station is None or p.station == station)]


def clerk_name(station: str, station_count: int) -> str:
    """How findings name the clerk of ``station``: ``clerk`` when the counter has one station, else
    ``clerk@<station>``."""
    return "clerk" if station_count == 1 else f"clerk@{station}"
