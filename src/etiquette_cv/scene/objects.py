"""Foreign objects followed from check to check: a changed blob becomes an object when it stays (minimum dwell),
so a document handed over for a few seconds is never reported. An object hidden by a person is kept, not ended."""

from __future__ import annotations

from dataclasses import dataclass, field

import cv2
import numpy as np

from ..people.boxes import inside_fraction, iou
from .change import Blob

EVIDENCE_JPEG_QUALITY = 95
"""An object's evidence frame is held JPEG-compressed (about a tenth of the raw frame) until its evidence image is
written: a day has an object or two per visit, and raw frames would make memory grow with the day's length."""


def pack_image(image: np.ndarray) -> bytes:
    """A BGR image compressed for keeping (JPEG, :data:`EVIDENCE_JPEG_QUALITY`)."""
    ok, buf = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, EVIDENCE_JPEG_QUALITY])
    if not ok:
        raise ValueError("an evidence frame could not be compressed")
    return buf.tobytes()


def unpack_image(data: bytes) -> np.ndarray:
    """The BGR image :func:`pack_image` kept."""
    return cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)


@dataclass
class SceneObject:
    """A foreign object in one region (``counter_top`` or ``floor_check``)."""

    region: str
    first_s: float
    """Time of the first check that saw it (its appearance), seconds."""
    last_s: float
    """Time of the last check that saw it, seconds."""
    first_frame_index: int
    box_xyxy_px: np.ndarray
    """(4,) image box of the latest sighting, pixels."""
    area_px: float
    area_cm2: float = float("nan")
    """Area on the region's calibrated plane (counter top or floor), cm² (the largest sighting)."""
    length_cm: float = float("nan")
    width_cm: float = float("nan")
    hits: int = 1
    misses: int = 0
    """Consecutive checks that saw the place clearly but not the object."""
    gone_s: float | None = None
    """Time of the check that found it gone (``max_misses`` clear checks without it), seconds; None while it may
    still be there (last seen, then hidden)."""
    evidence_t_s: float | None = None
    evidence_frame_index: int | None = None
    evidence_image: bytes | None = field(default=None, repr=False)
    """The evidence frame, compressed (:func:`unpack_image`)."""
    confirmed: bool = True
    """Seen apart from everybody at least once. A change first seen touching a person may be a part of them (hair,
    clothes, a shadow): it is followed unconfirmed and reported, from its first sighting, only once seen apart from
    everybody (a cup put down is first seen touching the hand that put it there)."""

    @property
    def duration_s(self) -> float:
        """How long it stayed, seconds (first to last sighting)."""
        return self.last_s - self.first_s

    def keep_larger(self, area_cm2: float, length_cm: float, width_cm: float, area_px: float) -> None:
        """Take a sighting's size (cm², cm, cm, pixels) when it is known and larger than the largest kept so far."""
        if np.isfinite(area_cm2) and not self.area_cm2 >= area_cm2:
            self.area_cm2, self.length_cm, self.width_cm, self.area_px = area_cm2, length_cm, width_cm, area_px


def box_area(a: np.ndarray) -> float:
    """Area of an (x0, y0, x1, y1) box (pixels²)."""
    return max(0.0, float(a[2] - a[0])) * max(0.0, float(a[3] - a[1]))


class ObjectTracker:
    """Associates each check's blobs with the objects seen before (box overlap) and keeps their dwell."""

    def __init__(self, region: str, min_dwell_s: float, max_misses: int, match_iou: float,
                 merged_cover: float = 0.0, merged_max_growth: float = 0.0) -> None:
        self.region = region
        self.min_dwell_s = min_dwell_s
        self.max_misses = max_misses
        self.match_iou = match_iou
        self.merged_cover = merged_cover
        """An object no blob matches by ``match_iou`` is still there when a blob covers this share of its box …"""
        self.merged_max_growth = merged_max_growth
        """… and that blob's box is at most this many times the object's (0: off; see :meth:`_merged_into`)."""
        self.open: list[SceneObject] = []
        self.closed: list[SceneObject] = []

    def update(self, t_s: float, frame_index: int, found: list[tuple[Blob, tuple[float, float, float]]],
               visible: np.ndarray, image: np.ndarray, may_start: list[bool] | None = None) -> None:
        """One check: ``found`` = blobs with their (area cm², length cm, width cm); ``visible`` = uint8 mask of the
        region pixels seen clearly this time (not hidden by anybody); ``image`` the aligned frame (evidence);
        ``may_start``: per blob, whether it lies apart from everybody (False: it touches a person, so it only
        starts or continues an unconfirmed object), all when None."""
        used = set()
        for obj in self.open:
            best, best_iou = None, self.match_iou
            for k, (blob, _) in enumerate(found):
                if k in used:
                    continue
                overlap = iou(obj.box_xyxy_px, blob.box_xyxy_px)
                if overlap >= best_iou:
                    best, best_iou = k, overlap
            if best is None:
                merged = self._merged_into(obj, found, used)
                if merged is not None:
                    used.add(merged)
                    obj.last_s, obj.hits, obj.misses = t_s, obj.hits + 1, 0
                    continue
                x0, y0, x1, y1 = np.round(obj.box_xyxy_px).astype(int)
                seen = visible[max(0, y0):y1 + 1, max(0, x0):x1 + 1]
                if seen.size and np.mean(seen > 0) >= 0.5:
                    obj.misses += 1
                continue
            used.add(best)
            blob, size = found[best]
            obj.last_s, obj.hits, obj.misses = t_s, obj.hits + 1, 0
            obj.confirmed = obj.confirmed or may_start is None or may_start[best]
            obj.box_xyxy_px = blob.box_xyxy_px
            obj.keep_larger(*size, blob.area_px)
            if obj.evidence_image is None and obj.confirmed and obj.duration_s >= self.min_dwell_s:
                obj.evidence_t_s, obj.evidence_frame_index = t_s, frame_index
                obj.evidence_image = pack_image(image)
        still = []
        for obj in self.open:
            if obj.misses >= self.max_misses:
                obj.gone_s = t_s
                self.closed.append(obj)
            else:
                still.append(obj)
        self.open = still
        for k, (blob, size) in enumerate(found):
            if k not in used:
                self.open.append(SceneObject(self.region, t_s, t_s, frame_index, blob.box_xyxy_px, blob.area_px,
                                             *size, confirmed=may_start is None or may_start[k]))
        self._merge_twins()

    def _merged_into(self, obj: SceneObject, found: list, used: set[int]) -> int | None:
        """The blob (index in ``found``, not in ``used``) that holds object ``obj`` merged with a change beside it — a
        hand, a sleeve, another thing — when no blob matches it alone: it covers ``merged_cover`` of the object's box
        and its box is at most ``merged_max_growth`` times the object's (a person-sized change over a small object
        says nothing of it). The object keeps its own box and size. Tuning scene s301: a box on the counter, merged
        with the edge of a customer standing beside it (box IoU 0.1997 < ``match_iou``), was counted missing, closed
        before its dwell and reported again from the merged blob 4 s late with the merged box; a merged blob that
        never lies apart from the person would not have been reported at all."""
        if self.merged_cover <= 0 or self.merged_max_growth <= 0:
            return None
        limit = self.merged_max_growth * box_area(obj.box_xyxy_px)
        return next((k for k, (blob, _) in enumerate(found) if k not in used
                     and inside_fraction(obj.box_xyxy_px, blob.box_xyxy_px) >= self.merged_cover
                     and box_area(blob.box_xyxy_px) <= limit), None)

    def _merge_twins(self) -> None:
        """Two open objects whose boxes have come to overlap by ``match_iou`` are one object: the older absorbs the
        newer. An object merged with a passer-by's blob follows that blob away, and what it leaves behind starts a
        second object at the same place (tuning scene s301: a box on the counter reported twice)."""
        kept: list[SceneObject] = []
        for obj in sorted(self.open, key=lambda o: o.first_s):
            twin = next((k for k in kept if iou(k.box_xyxy_px, obj.box_xyxy_px) >= self.match_iou), None)
            if twin is None:
                kept.append(obj)
                continue
            if obj.last_s >= twin.last_s:
                twin.box_xyxy_px, twin.last_s, twin.misses = obj.box_xyxy_px, obj.last_s, min(twin.misses, obj.misses)
            twin.hits += obj.hits
            twin.confirmed = twin.confirmed or obj.confirmed
            twin.keep_larger(obj.area_cm2, obj.length_cm, obj.width_cm, obj.area_px)
            if twin.evidence_image is None and obj.evidence_image is not None:
                twin.evidence_t_s, twin.evidence_frame_index = obj.evidence_t_s, obj.evidence_frame_index
                twin.evidence_image = obj.evidence_image
        self.open = kept

    def finish(self) -> list[SceneObject]:
        """Every object that stayed at least the minimum dwell, in order of appearance."""
        every = self.closed + self.open
        self.closed, self.open = every, []
        return sorted([o for o in every if o.duration_s >= self.min_dwell_s and o.hits >= 2 and o.confirmed],
                      key=lambda o: o.first_s)
