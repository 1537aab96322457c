"""The clean reference image of a camera: read from the calibration's ``reference_frames`` (captured by
``etiquette calibrate --reference``), or learnt from the first seconds of the recording with people masked out."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np


class SceneError(ValueError):
    """Bad scene-check input (a missing or unreadable reference image); the message names the file."""


@dataclass
class Reference:
    """The empty scene: a BGR image and the mask of the pixels it really shows (uint8 0/255)."""

    image: np.ndarray
    valid: np.ndarray
    source: str
    """The file it came from, or ``learnt from 0.0-3.0 s``."""


def load_reference(path: str | Path, width: int, height: int) -> Reference:
    """A reference image file of the calibration's size; :class:`SceneError` naming the file otherwise."""
    p = Path(path)
    if not p.is_file():
        raise SceneError(f"{p}: reference image not found")
    img = cv2.imread(str(p), cv2.IMREAD_COLOR)
    if img is None:
        raise SceneError(f"{p}: not a readable image (PNG or JPEG expected)")
    if img.shape[1] != width or img.shape[0] != height:
        raise SceneError(f"{p}: reference image is {img.shape[1]}x{img.shape[0]} but the camera is {width}x{height}")
    return Reference(img, np.full(img.shape[:2], 255, np.uint8), str(p))


def _nan_median_first_axis(stack: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """``np.nanmedian(stack, axis=0)`` for a few frames, ~50x faster: sorting puts the NaNs last, and each pixel's
    median lies at the middle of its ``counts`` (h, w) finite values (NaN where there are none)."""
    ordered = np.sort(stack, axis=0)
    n = np.broadcast_to(counts[..., None] if stack.ndim == 4 else counts, stack.shape[1:])
    lo = np.take_along_axis(ordered, np.maximum(n - 1, 0)[None] // 2, axis=0)[0]
    hi = np.take_along_axis(ordered, np.maximum(n, 1)[None] // 2, axis=0)[0]
    hi = np.where(n % 2 == 1, lo, hi)
    return np.where(n > 0, 0.5 * (lo + hi), np.nan)


MEDIAN_BAND_ROWS = 64
"""The learnt reference's median is taken over bands of this many image rows (bounded memory, same result)."""


class ReferenceLearner:
    """Per-pixel median of the frames of the first seconds, each pixel over the frames where nobody hid it."""

    def __init__(self, learn_s: float) -> None:
        self.learn_s = learn_s
        self.images: list[np.ndarray] = []
        self.masks: list[np.ndarray] = []
        self.t0: float | None = None
        self.t1: float | None = None

    def add(self, t_s: float, image: np.ndarray, hidden: np.ndarray) -> Reference | None:
        """Add an aligned frame and its mask of hidden pixels; returns the reference once ``learn_s`` is covered."""
        if self.t0 is None:
            self.t0 = t_s
        self.t1 = t_s
        self.images.append(image)
        self.masks.append(hidden == 0)
        if t_s - self.t0 < self.learn_s:
            return None
        return self.result()

    def result(self) -> Reference | None:
        """The reference from what was added so far (None when nothing was)."""
        if not self.images:
            return None
        h = self.images[0].shape[0]
        img = np.empty_like(self.images[0])
        valid = np.empty(self.masks[0].shape, np.uint8)
        for top in range(0, h, MEDIAN_BAND_ROWS):  # a band at a time: the float stack of every frame is 30x a frame
            rows = slice(top, min(h, top + MEDIAN_BAND_ROWS))
            stack = np.stack([im[rows] for im in self.images]).astype(np.float32)
            seen = np.stack([m[rows] for m in self.masks])
            stack[~seen] = np.nan
            med = _nan_median_first_axis(stack, seen.sum(axis=0))
            valid[rows] = np.where(seen.any(axis=0), 255, 0)
            img[rows] = np.nan_to_num(med, nan=0.0).clip(0, 255).astype(np.uint8)
        return Reference(img, valid, f"learnt from {self.t0:.1f}-{self.t1:.1f} s")
