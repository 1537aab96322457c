"""Reading one frame: an image file, or a video's frame at a time (for calibration overlays and checks)."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from .video import VideoError, VideoSource

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp"}


def read_frame_at(source: str | Path, time_s: float = 0.0) -> np.ndarray:
    """The BGR image of an image file, or of the video frame shown at ``time_s`` seconds; raises VideoError."""
    path = Path(source)
    if path.suffix.lower() in IMAGE_SUFFIXES:
        if not path.is_file():
            raise VideoError(f"{path.name}: file not found ({path})")
        image = cv2.imread(str(path), cv2.IMREAD_COLOR)
        if image is None:
            raise VideoError(f"{path.name}: cannot decode the image")
        return image
    if time_s < 0:
        raise VideoError(f"{path.name}: no frame at {time_s:g} s (negative time)")
    for frame in VideoSource(path, analysis_fps=None, start_s=time_s):
        return frame.image
    raise VideoError(f"{path.name}: no frame at {time_s:g} s (outside the video)")
