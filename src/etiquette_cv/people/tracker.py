"""Identity over time: ByteTrack (roboflow ``trackers``) associating people on the calibrated floor.

With a calibration, each observation enters the tracker as a square of ``floor_box_m`` around its floor point (in
centimetres), so association is by where people stand, not by how their image boxes overlap: a customer walking
behind another overlaps them in the image but stands a metre further away. Without a calibration the image boxes
are used. ByteTrack's Kalman filter carries a track through short gaps (an occlusion, a missed detection) for
``lost_s`` seconds; its ids are renumbered here from 1 in order of appearance.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class TrackerSettings:
    """Settings of the identity tracker (seconds, metres, detector scores 0-1)."""

    lost_s: float = 2.0
    """A track with no observation for this long ends."""
    floor_box_m: float = 0.8
    """Side of the floor square that stands for a person in the floor-space association."""
    min_iou: float = 0.1
    """Minimum overlap of a track's predicted box and an observation for them to be associated."""
    activation_score: float = 0.25
    """Observations below this score never start a track (they can still continue one)."""
    min_hits: int = 2
    """Observations a new track needs before it gets an id."""


def _floor_boxes_cm(xy_m: np.ndarray, side_m: float) -> np.ndarray:
    half = side_m / 2
    return np.column_stack([xy_m[:, 0] - half, xy_m[:, 1] - half, xy_m[:, 0] + half, xy_m[:, 1] + half]) * 100.0


class IdentityTracker:
    """Gives each observation of a frame a stable person id (or 0 while its track is not yet confirmed)."""

    def __init__(self, settings: TrackerSettings, frame_rate_hz: float, use_floor: bool) -> None:
        from trackers.core.bytetrack.tracker import ByteTrackTracker

        self.settings = settings
        self.use_floor = use_floor
        # trackers counts its patience in frames at 30 fps: lost_track_buffer * frame_rate / 30 frames
        self._bt = ByteTrackTracker(
            lost_track_buffer=max(1, int(round(settings.lost_s * 30.0))),
            frame_rate=float(frame_rate_hz),
            track_activation_threshold=settings.activation_score,
            minimum_consecutive_frames=settings.min_hits,
            minimum_iou_threshold=settings.min_iou,
            high_conf_det_threshold=settings.activation_score,
        )
        self._ids: dict[int, int] = {}

    def update(self, boxes_xyxy_px: np.ndarray, floor_xy_m: np.ndarray | None, scores: np.ndarray) -> np.ndarray:
        """Person ids (N,) for the N observations of one frame (0 = not yet confirmed). ``floor_xy_m`` (N, 2) is
        required when the tracker works on the floor; rows of NaN fall back to nothing (they get 0)."""
        import supervision as sv

        n = len(scores)
        ids = np.zeros(n, dtype=int)
        if self.use_floor:
            assert floor_xy_m is not None
            ok = np.all(np.isfinite(floor_xy_m), axis=1)
            boxes = _floor_boxes_cm(floor_xy_m[ok], self.settings.floor_box_m) if ok.any() else np.zeros((0, 4))
        else:
            ok = np.ones(n, dtype=bool)
            boxes = np.asarray(boxes_xyxy_px, dtype=float).reshape(-1, 4)
        index = np.flatnonzero(ok)
        dets = sv.Detections(xyxy=boxes.astype(np.float32).reshape(-1, 4),
                             confidence=np.asarray(scores, dtype=np.float32)[ok],
                             data={"obs": index.astype(int)})
        out = self._bt.update(dets)
        if len(out) == 0:
            return ids
        for obs, ext in zip(np.asarray(out.data["obs"]).astype(int), np.asarray(out.tracker_id).astype(int)):
            if ext < 0:
                continue
            if ext not in self._ids:
                self._ids[ext] = len(self._ids) + 1
            ids[obs] = self._ids[ext]
        return ids

    def alive_ids(self) -> set[int]:
        """Ids of the confirmed tracks the tracker still carries (seen or coasting)."""
        return {self._ids[t.tracker_id] for t in self._bt.tracks if t.tracker_id in self._ids}
