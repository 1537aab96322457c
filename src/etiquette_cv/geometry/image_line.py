"""A line marked on the floor — tape 2 m in front of the counter — given by its two ends in the image.

Without a floor calibration a person's distance to the counter is unknown, but which side of a marked floor line
their feet are on is not: a straight line on the floor is a straight line in the image, and floor points on one side
of it are image points on one side of its image (for floor points in front of the camera, which is all it sees).
Trainer mode times the 2 m cue from it (``etiquette score --cue-line``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

MIN_LENGTH_PX = 10.0
"""Two ends closer than this (pixels) give no usable line."""


@dataclass(frozen=True)
class ImageLine:
    """A floor line's image: from ``a_px`` to ``b_px`` (pixels, x right, y down)."""

    a_px: tuple[float, float]
    b_px: tuple[float, float]

    def __post_init__(self) -> None:
        pts = np.array([self.a_px, self.b_px], float)
        if pts.shape != (2, 2) or not np.isfinite(pts).all():
            raise ValueError("a marked line needs two finite image points")
        if float(np.linalg.norm(pts[1] - pts[0])) < MIN_LENGTH_PX:
            raise ValueError(f"the marked line's two ends are less than {MIN_LENGTH_PX:.0f} px apart")

    def signed_distance_px(self, points_px: np.ndarray) -> np.ndarray:
        """Distance (pixels) of image points (N, 2) from the line, positive on the image's left when walking from
        ``a_px`` to ``b_px`` (up, for a line drawn left to right), negative on the other side."""
        a, b = np.asarray(self.a_px, float), np.asarray(self.b_px, float)
        d = (b - a) / np.linalg.norm(b - a)
        p = np.asarray(points_px, float).reshape(-1, 2) - a
        return p[:, 0] * d[1] - p[:, 1] * d[0]


def parse_image_line(text: str) -> ImageLine:
    """``x1,y1,x2,y2`` (pixels) → :class:`ImageLine`; ValueError with a one-line reason otherwise."""
    parts = [p.strip() for p in str(text).replace(";", ",").split(",") if p.strip()]
    if len(parts) != 4:
        raise ValueError(f"--cue-line {text!r}: give the line's two ends as x1,y1,x2,y2 in pixels")
    try:
        x1, y1, x2, y2 = (float(p) for p in parts)
    except ValueError:
        raise ValueError(f"--cue-line {text!r}: x1,y1,x2,y2 must be numbers (pixels)") from None
    if not all(math.isfinite(v) for v in (x1, y1, x2, y2)):
        raise ValueError(f"--cue-line {text!r}: x1,y1,x2,y2 must be finite numbers (pixels)")
    try:
        return ImageLine((x1, y1), (x2, y2))
    except ValueError as exc:
        raise ValueError(f"--cue-line {text!r}: {exc}") from None
