"""The frames `watch` keeps for evidence: JPEG-compressed, one every ``every_s`` seconds of a segment, from the
analysed frames, until the windows that may ask for them are graded (no video is written)."""

from __future__ import annotations

import bisect
import threading

import cv2
import numpy as np

SNAPSHOT_JPEG_QUALITY = 80
SNAPSHOT_MAX_WIDTH_PX = 1280
"""Wider frames are kept at this width (a 1080p frame is about a third of the bytes at 720p) and scaled back when
drawn: a visit held open for many windows keeps its snapshots all along."""


class Snapshots:
    """Compressed frames by segment time (seconds); safe to add from the capture thread while the grading thread
    reads."""

    def __init__(self, every_s: float = 1.0) -> None:
        self.every_s = every_s
        self._t: list[float] = []
        self._jpeg: list[bytes] = []
        self._size: tuple[int, int] | None = None
        self._lock = threading.Lock()

    def add(self, t_s: float, image: np.ndarray) -> None:
        """Keep ``image`` (BGR) at ``t_s`` when the last one kept is ``every_s`` or more older."""
        if self._t and t_s - self._t[-1] < self.every_s:
            return
        h, w = image.shape[:2]
        self._size = (w, h)
        if w > SNAPSHOT_MAX_WIDTH_PX:
            image = cv2.resize(image, (SNAPSHOT_MAX_WIDTH_PX, round(h * SNAPSHOT_MAX_WIDTH_PX / w)),
                               interpolation=cv2.INTER_AREA)
        ok, buf = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, SNAPSHOT_JPEG_QUALITY])
        if ok:
            with self._lock:
                self._t.append(t_s)
                self._jpeg.append(buf.tobytes())

    def between(self, from_s: float, to_s: float) -> "Snapshots":
        """The snapshots of ``[from_s, to_s]`` (a copy sharing the compressed bytes)."""
        out = Snapshots(self.every_s)
        out._size = self._size
        with self._lock:
            a, b = bisect.bisect_left(self._t, from_s), bisect.bisect_right(self._t, to_s)
            out._t, out._jpeg = self._t[a:b], self._jpeg[a:b]
        return out

    def drop_before(self, t_s: float) -> None:
        """Forget the snapshots older than ``t_s``."""
        with self._lock:
            k = bisect.bisect_left(self._t, t_s)
            del self._t[:k], self._jpeg[:k]

    def nearest(self, t_s: float, max_gap_s: float) -> tuple[float, np.ndarray] | None:
        """(time, decoded BGR image) of the snapshot nearest ``t_s``, None when none lies within ``max_gap_s``."""
        with self._lock:
            if not self._t:
                return None
            k = bisect.bisect_left(self._t, t_s)
            best = min((i for i in (k - 1, k) if 0 <= i < len(self._t)), key=lambda i: abs(self._t[i] - t_s))
            t, jpeg = self._t[best], self._jpeg[best]
        if abs(t - t_s) > max_gap_s:
            return None
        image = cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_COLOR)
        if self._size is not None and (image.shape[1], image.shape[0]) != self._size:
            image = cv2.resize(image, self._size, interpolation=cv2.INTER_LINEAR)
        return t, image

    def __len__(self) -> int:
        return len(self._t)
