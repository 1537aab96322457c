"""Pose per person: one MediaPipe PoseLandmarker (Tasks API, VIDEO mode) per region of interest.

BlazePose finds one prominent person per image and misses small people, so a counter scene is not run on the full
frame: each region (clerk zone, customer zone) gets its own landmarker on a crop scaled to a fixed size, and the
landmarks are mapped back to full-frame pixels. A region marked ``follow`` re-crops around the person it found last,
with hysteresis so the crop (and the landmarker's own tracking) is not disturbed by every small movement.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

from .models import quiet_mediapipe, resolve_pose_model
from .types import NUM_LANDMARKS, Frame, FramePoses, Landmark, PersonPose, RegionOfInterest

_TORSO = [Landmark.LEFT_SHOULDER, Landmark.RIGHT_SHOULDER, Landmark.LEFT_HIP, Landmark.RIGHT_HIP]


@dataclass(frozen=True)
class PoseConfig:
    """Settings of the pose stage."""

    model: str = "full"
    """Bundled model name ("lite", "full"), "heavy" once built, or a path to any PoseLandmarker .task bundle."""
    follow_model: str | None = None
    """Model of the regions that follow a walking person (customers); None = the same as ``model``. (Measured on
    the reception sample: "lite" there is no faster per call in VIDEO mode and loses the walking customer more
    often, so the default keeps one model.)"""
    crop_long_side_px: int = 384
    """Each region's crop is scaled so its longer side has this many pixels before it goes to the landmarker."""
    min_detection_confidence: float = 0.5
    min_presence_confidence: float = 0.5
    min_tracking_confidence: float = 0.5
    follow_margin: float = 0.45
    """A followed person's crop extends this fraction of their landmark box beyond it on every side."""
    restart_on_resize: bool = True
    """Restart the landmarker when a followed crop changes size (its tracking state refers to the old crop). A
    restart costs about 0.1 s (a 10-minute reception loop had 758 of them), but without it a walking customer is
    lost after a scale jump."""
    follow_resize: float = 0.25
    """A followed crop changes size only when the person's size changes by more than this fraction."""
    new_track_after_s: float = 1.0
    """A region that found nobody for this long gives the next person it finds a new track id."""
    follow_every_n_frames: int = 1
    """A region that follows a walking person (customers) runs on every n-th analysed frame. 1 = every frame
    (measured on the reception sample: with 2 the second customer was lost once the crop stopped being restarted,
    and the saving was under 15 %)."""
    idle_every_n_frames: int = 3
    """While a region has found nobody, its landmarker runs only on every n-th frame (an empty customer zone is
    most of a branch's day; the person detector is the expensive part). 1 = every frame."""
    parallel_regions: bool = True
    """Run the regions' landmarkers on a thread pool (MediaPipe releases the GIL while it computes)."""


@dataclass
class RegionStats:
    """What one region's landmarker did during a run."""

    frames: int = 0
    found: int = 0
    tracks: int = 0
    restarts: int = 0
    stride_skipped: int = 0
    """Frames a following region left out by design (PoseConfig.follow_every_n_frames)."""
    idle_skipped: int = 0
    """Frames not run while the region was empty (see PoseConfig.idle_every_n_frames)."""
    landmarker_s: float = 0.0
    """Seconds spent inside bare landmarker calls (for the throughput benchmark's overhead ratio)."""


def _result_to_arrays(result, index: int = 0) -> tuple[np.ndarray, ...]:
    norm = result.pose_landmarks[index]
    world = result.pose_world_landmarks[index]
    xyz = np.array([(lm.x, lm.y, lm.z) for lm in norm], dtype=np.float32)
    vis = np.array([lm.visibility if lm.visibility is not None else 0.0 for lm in norm], dtype=np.float32)
    pres = np.array([lm.presence if lm.presence is not None else 0.0 for lm in norm], dtype=np.float32)
    wxyz = np.array([(lm.x, lm.y, lm.z) for lm in world], dtype=np.float32)
    return xyz, vis, pres, wxyz


class RegionLandmarker:
    """The landmarker of one region: crops, scales, detects, and maps the landmarks back to the full frame."""

    def __init__(self, region: RegionOfInterest, model_path: Path, config: PoseConfig,
                 image_width: int, image_height: int, next_track_id) -> None:
        quiet_mediapipe()
        from mediapipe.tasks.python import vision
        from mediapipe.tasks.python.core import base_options

        self.region = region.clip_to(image_width, image_height)
        self.config = config
        self.image_width, self.image_height = image_width, image_height
        self._next_track_id = next_track_id
        self._options = vision.PoseLandmarkerOptions(
            base_options=base_options.BaseOptions(model_asset_path=str(model_path)),
            running_mode=vision.RunningMode.VIDEO,
            num_poses=1,
            min_pose_detection_confidence=config.min_detection_confidence,
            min_pose_presence_confidence=config.min_presence_confidence,
            min_tracking_confidence=config.min_tracking_confidence,
        )
        self._create = vision.PoseLandmarker.create_from_options
        self._landmarker = self._create(self._options)
        self._last_ms = -1
        self._crop = (self.region.x, self.region.y, self.region.width, self.region.height)
        self._track_id: int | None = None
        self._last_seen_s = -np.inf
        self._empty_calls = 0
        self._calls = 0
        self.stats = RegionStats()

    def close(self) -> None:
        """Release the landmarker."""
        self._landmarker.close()

    def _restart(self) -> None:
        """A fresh landmarker (its tracking state refers to the old crop)."""
        self._landmarker.close()
        self._landmarker = self._create(self._options)
        self.stats.restarts += 1

    def _follow(self, person: PersonPose) -> None:
        """Keep a followed person centred in a square crop.

        The crop is re-centred on every frame, so that MediaPipe's own tracking (which predicts where the person
        is from the previous frame, in crop coordinates) stays aligned; its size changes only when the person's
        size does by more than ``follow_resize`` — and then the landmarker is restarted, because its tracking
        state would no longer match the new scale.
        """
        x0, y0, x1, y1 = person.bbox_px()
        bw, bh = max(x1 - x0, 8.0), max(y1 - y0, 8.0)
        cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
        want = max(bw, bh) * (1 + 2 * self.config.follow_margin)
        _, _, kw, kh = self._crop
        side = float(max(kw, kh))
        if abs(want - side) / side > self.config.follow_resize:
            side = want
            if self.config.restart_on_resize:
                self._restart()
        s = int(round(min(side, self.image_width, self.image_height)))
        x = min(max(int(round(cx - s / 2)), 0), self.image_width - s)
        y = min(max(int(round(cy - s / 2)), 0), self.image_height - s)
        self._crop = (x, y, s, s)

    def _reset_crop(self) -> None:
        self._crop = (self.region.x, self.region.y, self.region.width, self.region.height)

    def detect(self, image_bgr: np.ndarray, timestamp_s: float) -> PersonPose | None:
        """The person this region's landmarker finds in a full BGR frame at ``timestamp_s`` seconds, or None."""
        import mediapipe as mp

        self._calls += 1
        if self.region.follow and (self._calls - 1) % max(1, self.config.follow_every_n_frames):
            self.stats.stride_skipped += 1
            return None
        if self._empty_calls and self._empty_calls % max(1, self.config.idle_every_n_frames):
            self._empty_calls += 1
            self.stats.idle_skipped += 1
            return None
        x, y, w, h = self._crop
        crop = image_bgr[y:y + h, x:x + w]
        scale = self.config.crop_long_side_px / max(w, h)
        size = (max(1, int(round(w * scale))), max(1, int(round(h * scale))))
        interp = cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
        rgb = cv2.cvtColor(cv2.resize(crop, size, interpolation=interp), cv2.COLOR_BGR2RGB)
        ts_ms = max(int(round(timestamp_s * 1000.0)), self._last_ms + 1)  # VIDEO mode needs strictly increasing
        self._last_ms = ts_ms
        image = mp.Image(image_format=mp.ImageFormat.SRGB, data=np.ascontiguousarray(rgb))
        t0 = time.perf_counter()
        result = self._landmarker.detect_for_video(image, ts_ms)
        self.stats.landmarker_s += time.perf_counter() - t0
        self.stats.frames += 1
        if not result.pose_landmarks:
            self._empty_calls += 1
            if timestamp_s - self._last_seen_s > self.config.new_track_after_s:
                self._track_id = None
                if self.region.follow and self._crop != (self.region.x, self.region.y, self.region.width,
                                                          self.region.height):
                    self._reset_crop()
                    self._restart()
            return None
        self._empty_calls = 0
        xyz, vis, pres, wxyz = _result_to_arrays(result)
        xy_px = np.empty((NUM_LANDMARKS, 2), dtype=np.float32)
        xy_px[:, 0] = x + xyz[:, 0] * w
        xy_px[:, 1] = y + xyz[:, 1] * h
        if self._track_id is None or timestamp_s - self._last_seen_s > self.config.new_track_after_s:
            self._track_id = self._next_track_id()
            self.stats.tracks += 1
        self._last_seen_s = timestamp_s
        self.stats.found += 1
        person = PersonPose(
            track_id=self._track_id,
            region=self.region.name,
            image_xy_px=xy_px,
            image_z=xyz[:, 2] * w,  # MediaPipe's z has the scale of normalised x: bring it to pixels
            world_xyz_m=wxyz,
            visibility=vis,
            presence=pres,
        )
        if self.region.follow:
            self._follow(person)
        return person


def _torso_centre(p: PersonPose) -> np.ndarray:
    return p.image_xy_px[_TORSO].mean(axis=0)


def _torso_size(p: PersonPose) -> float:
    pts = p.image_xy_px[_TORSO]
    return float(np.linalg.norm(pts[:2].mean(0) - pts[2:].mean(0))) + 1e-6


def deduplicate(persons: list[PersonPose], regions: dict[str, RegionOfInterest]) -> list[PersonPose]:
    """Drop a person found twice by overlapping regions: when two torsos coincide (centres closer than a third of
    the torso length), keep the one whose region's centre is nearer to it."""
    kept: list[PersonPose] = []
    for p in sorted(persons, key=lambda q: -float(q.visibility[_TORSO].mean())):
        c = _torso_centre(p)
        dup = None
        for i, q in enumerate(kept):
            if np.linalg.norm(c - _torso_centre(q)) < min(_torso_size(p), _torso_size(q)) / 3:
                dup = i
                break
        if dup is None:
            kept.append(p)
            continue

        def off_centre(person: PersonPose) -> float:
            r = regions[person.region]
            return float(np.linalg.norm(_torso_centre(person) - (r.x + r.width / 2, r.y + r.height / 2)))

        if off_centre(p) < off_centre(kept[dup]):
            kept[dup] = p
    return kept


@dataclass
class PoseEstimator:
    """Runs one landmarker per region on each frame and returns every person found, in full-frame pixels."""

    regions: list[RegionOfInterest]
    image_width: int
    image_height: int
    config: PoseConfig = field(default_factory=PoseConfig)

    def __post_init__(self) -> None:
        if not self.regions:
            raise ValueError("at least one region of interest is needed")
        names = [r.name for r in self.regions]
        if len(set(names)) != len(names):
            raise ValueError(f"region names must be unique, got {names}")
        self.model_path = resolve_pose_model(self.config.model)
        follow_path = resolve_pose_model(self.config.follow_model) if self.config.follow_model else self.model_path
        counter = iter(range(1, 1 << 62))
        self._landmarkers = [
            RegionLandmarker(r, follow_path if r.follow else self.model_path, self.config, self.image_width,
                             self.image_height, lambda: next(counter))
            for r in self.regions
        ]
        self._region_by_name = {lm.region.name: lm.region for lm in self._landmarkers}
        workers = len(self._landmarkers) if self.config.parallel_regions and len(self._landmarkers) > 1 else 0
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="pose") if workers else None

    @property
    def stats(self) -> dict[str, RegionStats]:
        """Per-region statistics of this run."""
        return {lm.region.name: lm.stats for lm in self._landmarkers}

    @property
    def clipped_regions(self) -> list[RegionOfInterest]:
        """The regions as used, clipped to the frame."""
        return [lm.region for lm in self._landmarkers]

    def process(self, frame: Frame) -> FramePoses:
        """Every person found in ``frame`` by the regions' landmarkers (at most one per region)."""
        if self._pool is not None:
            found = list(self._pool.map(lambda lm: lm.detect(frame.image, frame.timestamp_s), self._landmarkers))
        else:
            found = [lm.detect(frame.image, frame.timestamp_s) for lm in self._landmarkers]
        persons = deduplicate([p for p in found if p is not None], self._region_by_name)
        return FramePoses(frame.index, frame.timestamp_s, self.image_width, self.image_height, persons)

    def close(self) -> None:
        """Release every landmarker and the worker threads."""
        if self._pool is not None:
            self._pool.shutdown()
        for lm in self._landmarkers:
            lm.close()

    def __enter__(self) -> "PoseEstimator":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
