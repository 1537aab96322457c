"""Trainer mode's keyframes: for each scored step, the frame that shows it best (a bow's peak, a stand-up's
onset), cropped around the trainee with their skeleton drawn and everybody else's face blurred. No text is drawn on
the image: the score sheet says what it shows."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from ..annotators.draw import blur_faces, draw_person
from ..core import FramePoses
from ..io.privacy import cover_private
from ..io.video import VideoSource
from ..training.results import ScoreResult
from .evidence import seen_only

TRAINEE_COLOUR = (60, 200, 60)
CROP_MARGIN = 0.6
"""The crop is the trainee's box grown by this fraction of its size on every side."""
KEYFRAME_JPEG_QUALITY = 85


def _nearest(frames: list[FramePoses], t_s: float) -> FramePoses:
    return min(frames, key=lambda f: abs(f.timestamp_s - t_s))


def _crop(image: np.ndarray, box: tuple[float, float, float, float]) -> np.ndarray:
    h, w = image.shape[:2]
    x0, y0, x1, y1 = box
    mx, my = CROP_MARGIN * (x1 - x0), CROP_MARGIN * (y1 - y0)
    size = max(x1 - x0 + 2 * mx, y1 - y0 + 2 * my, 160.0)
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    a, b = int(max(0, cx - size / 2)), int(max(0, cy - size / 2))
    return image[b:int(min(h, cy + size / 2)), a:int(min(w, cx + size / 2))]


def write_step_keyframes(video: str | Path, result: ScoreResult, frames: list[FramePoses], trainee_track: int,
                         out_dir: Path, skyline_px: np.ndarray | None = None, visibility: float = 0.5,
                         private: tuple[list[np.ndarray], tuple[int, int]] | None = None) -> list[Path]:
    """One JPEG per step with an evidence time, cropped around the trainee with only the landmarks seen drawn
    (:func:`seen_only`); the page finds them by step id (``step_<id>.jpg``). ``private``: the calibration's privacy
    masks (polygons in pixels, the calibrated (width, height)), covered."""
    by_step = {s.step_id: _nearest(frames, s.evidence_t_s) for s in result.steps
               if s.evidence_t_s is not None and frames}
    if not by_step:
        return []
    need = {f.frame_index for f in by_step.values()}
    images: dict[int, np.ndarray] = {}
    for frame in VideoSource(video, analysis_fps=None):
        if frame.index in need:
            images[frame.index] = frame.image
            if len(images) == len(need):
                break
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for step_id, poses in by_step.items():
        if poses.frame_index not in images:
            continue
        img = images[poses.frame_index].copy()
        trainee = next((p for p in poses.persons if p.track_id == trainee_track), None)
        blur_faces(img, [p for p in poses.persons if p.track_id != trainee_track], keep_roles=())
        if private is not None:
            cover_private(img, *private)
        if trainee is not None:
            shown = seen_only(trainee, skyline_px, visibility)
            draw_person(img, shown, TRAINEE_COLOUR, visibility)
            img = _crop(img, shown.bbox_px())
        path = out_dir / f"step_{step_id}.jpg"
        cv2.imwrite(str(path), img, [cv2.IMWRITE_JPEG_QUALITY, KEYFRAME_JPEG_QUALITY])
        written.append(path)
    return written
