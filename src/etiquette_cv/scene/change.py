"""What changed in an image region against a clean reference: shake alignment, people masked out, lighting
normalised, structure compared, changes cut into blobs with their size on a calibrated plane.

All images are BGR uint8 of the calibration's size; masks are uint8 0/255 of the same height and width; pixel
coordinates are full-frame (x right, y down).
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from ..core import SKELETON_EDGES, PersonPose

LANDMARK_PRESENCE = 0.3
"""Landmarks drawn into a person's mask from this presence on (hidden ones guessed by MediaPipe included)."""
LIMB_WIDTH_OF_SHOULDERS = 0.45
"""A limb is masked as a line this many shoulder widths thick (sleeves, hands, a held document)."""
MIN_LIMB_PX = 6
SMOOTH_SIGMA_PX = 0.8
"""Gaussian smoothing of both grey images before comparing their edges (sensor noise, codec blocks)."""
NOISE_FLOOR_GREY = 12.0
"""Grey levels added to the expected value when judging a relative intensity change (noise of dark pixels)."""
CHROMA_MIN_GREY = 40.0
"""Below this mean grey level a pixel's chromaticity is noise and is not compared."""
EDGE_FLOOR_GREY = 16.0
"""Grey levels added to the local brightness that normalises gradients."""
SATURATED_GREY = 250
"""A channel at or above this level is clipped. Clipped in the reference, a pixel's intensity and colour are not
compared (edges still are); clipped only in the frame, its grey level is a lower bound of the true one, so it counts as
changed when even that bound is brighter than expected by the threshold (a white paper on a pale floor clips)."""
CHROMA_SIGMA_PX = 1.2
"""Smoothing of the colours before comparing chromaticity (video keeps colour at half resolution)."""


@dataclass(frozen=True)
class ChangeSettings:
    """How a region is compared with its reference (every value from the rulebook)."""

    ratio_threshold: float
    """A pixel changed when its gain-corrected intensity differs from the reference by more than this fraction."""
    chroma_threshold: float
    """… or when its chromaticity (b, g, r over their sum) moved by more than this."""
    edge_threshold: float
    """… or when a structure edge (gradient magnitude over local brightness) appeared or vanished by this much."""
    max_shift_px: float
    """Camera shake larger than this (pixels) makes the frame unusable (the camera moved)."""
    person_margin: float
    """People's boxes grown by this fraction of their size on every side before masking."""
    open_px: int
    """Opening (noise removal) and closing (filling an object's interior) kernel size in pixels."""


@dataclass
class Blob:
    """A connected changed region."""

    box_xyxy_px: np.ndarray
    """(4,) x0, y0, x1, y1 in pixels."""
    area_px: float
    contour_px: np.ndarray
    """(N, 2) outer contour in pixels."""


def polygon_mask(shape: tuple[int, int], polygons: list[np.ndarray]) -> np.ndarray:
    """uint8 0/255 mask of the union of image polygons ((N, 2) pixels each) for an image of ``shape`` (h, w)."""
    m = np.zeros(shape, np.uint8)
    for poly in polygons:
        cv2.fillPoly(m, [np.round(np.asarray(poly, float)).astype(np.int32)], 255)
    return m


def person_box_px(p: PersonPose) -> np.ndarray:
    """(4,) the widest image box of a person: the detector's box united with the present landmarks' box."""
    boxes = [np.asarray(p.bbox_px(), float)]
    if p.box_xyxy_px is not None:
        boxes.append(np.asarray(p.box_xyxy_px, float))
    b = np.array(boxes)
    return np.array([b[:, 0].min(), b[:, 1].min(), b[:, 2].max(), b[:, 3].max()])


def _silhouette(m: np.ndarray, p: PersonPose, margin: float) -> bool:
    """Draw a person's body from their landmarks (MediaPipe's, or the detector's 17 keypoints) into ``m``: limbs as
    thick lines, the torso, the head; False without both shoulders (then the box is used)."""
    seen = (p.presence >= LANDMARK_PRESENCE) & np.all(np.isfinite(p.image_xy_px), axis=1)
    if not seen[[11, 12]].all():   # MediaPipe landmarks, or the detector's 17 keypoints
        return False
    xy = p.image_xy_px
    width = float(np.linalg.norm(xy[11] - xy[12]))
    thick = int(max(MIN_LIMB_PX, (LIMB_WIDTH_OF_SHOULDERS + 2 * margin) * width))
    for a, b in SKELETON_EDGES:
        if seen[a] and seen[b]:
            cv2.line(m, tuple(int(v) for v in xy[a]), tuple(int(v) for v in xy[b]), 255, thick)
    torso = [k for k in (11, 12, 24, 23) if seen[k]]
    if len(torso) >= 3:
        cv2.fillPoly(m, [np.round(xy[torso]).astype(np.int32)], 255)
    cv2.circle(m, tuple(int(v) for v in (xy[11] + xy[12]) / 2 - [0, 0.6 * width]), int((0.7 + margin) * width), 255, -1)
    return True


def people_mask(shape: tuple[int, int], persons: list[PersonPose], margin: float,
                silhouettes: bool = False, feet_fraction: float = 0.0) -> np.ndarray:
    """uint8 0/255 mask of everybody: with ``silhouettes``, the body of anybody with landmarks (MediaPipe's, or the
    detector's 17 keypoints for a person the detector alone follows) drawn from them (limbs grown by ``margin`` of
    the shoulder width: the desk in front of a seated clerk, a cup beside a customer stay in view; a waiting
    customer's box covered the counter behind them for seconds, tuning scene s308), and with ``feet_fraction`` > 0
    also the bottom ``feet_fraction`` of their box grown by ``margin`` (the feet and the shadow at them, on the
    floor); everybody else — and everybody without ``silhouettes`` — by their box grown by ``margin`` of its size
    (arms over the desk, feet and their shadows included)."""
    m = np.zeros(shape, np.uint8)
    h, w = shape
    for p in persons:
        drawn = silhouettes and p.landmarks_source in ("mediapipe", "detector") and _silhouette(m, p, margin)
        if drawn and feet_fraction <= 0:
            continue
        x0, y0, x1, y1 = person_box_px(p)
        if not np.all(np.isfinite([x0, y0, x1, y1])):
            continue
        if drawn:
            y0 = y1 - feet_fraction * (y1 - y0)
        gx, gy = margin * (x1 - x0), margin * (y1 - y0)
        a = (int(max(0, x0 - gx)), int(max(0, y0 - gy)))
        b = (int(min(w - 1, x1 + gx)), int(min(h - 1, y1 + gy)))
        cv2.rectangle(m, a, b, 255, -1)
    return m


def estimate_shift_px(reference: np.ndarray, image: np.ndarray) -> tuple[float, float]:
    """(dx, dy) pixels by which ``image`` is shifted against ``reference`` (phase correlation on grey levels)."""
    a = cv2.pyrDown(cv2.cvtColor(reference, cv2.COLOR_BGR2GRAY)).astype(np.float32)   # half size: 4x faster,
    b = cv2.pyrDown(cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)).astype(np.float32)       # still sub-pixel
    window = cv2.createHanningWindow(a.shape[::-1], cv2.CV_32F)
    (dx, dy), _ = cv2.phaseCorrelate(a, b, window)
    return 2.0 * float(dx), 2.0 * float(dy)


def align(image: np.ndarray, shift_px: tuple[float, float]) -> np.ndarray:
    """``image`` moved back by ``shift_px`` onto the reference (border pixels replicated)."""
    dx, dy = shift_px
    h, w = image.shape[:2]
    return cv2.warpAffine(image, np.float32([[1, 0, -dx], [0, 1, -dy]]), (w, h), borderMode=cv2.BORDER_REPLICATE)


def _edges(grey: np.ndarray) -> np.ndarray:
    """Gradient magnitude over the local brightness: structure that a change of light does not alter."""
    gx = cv2.Sobel(grey, cv2.CV_32F, 1, 0, ksize=3)
    gy = cv2.Sobel(grey, cv2.CV_32F, 0, 1, ksize=3)
    local = cv2.blur(grey, (7, 7)) + EDGE_FLOOR_GREY
    return cv2.magnitude(gx, gy) / local


def _channel_max(planes: list[np.ndarray]) -> np.ndarray:
    """Element-wise maximum of equally shaped planes (the colour channels)."""
    return np.maximum(np.maximum(planes[0], planes[1]), planes[2])


def change_mask(reference: np.ndarray, image: np.ndarray, valid: np.ndarray, s: ChangeSettings) -> np.ndarray:
    """uint8 0/255 mask of the pixels of ``valid`` where ``image`` (aligned) differs from ``reference`` in
    structure (:func:`detect_changes`)."""
    return detect_changes(reference, image, valid, s).mask


@dataclass
class Changes:
    """What changed in a region: the mask of changed pixels and each pixel's relative intensity change."""

    mask: np.ndarray
    """uint8 0/255."""
    intensity: np.ndarray
    """float32: |grey level − expected| over (expected + noise floor), after the region's lighting gain."""


def covered_area_px(intensity: np.ndarray, blob_mask: np.ndarray, min_snr: float = 3.0) -> float | None:
    """Area in pixels of an object whose outline the video blurs: every pixel of the blob and of a 1-px ring around
    it counts the share of the object's own intensity change it shows — (its change − the background's) over (the
    median change inside the blob − the background's), between 0 and 1 — so half-covered outline pixels count half
    rather than whole or not at all. The background's change is the median over a ring 2-3 px outside the blob.
    None when the blob's inside changed less than ``min_snr`` times the background (found by its colour or its
    edges: its intensity says little of its extent). ``blob_mask``: uint8 0/255 of the blob, the shape of
    ``intensity``."""
    square = np.ones((3, 3), np.uint8)
    inside = cv2.erode(blob_mask, square)
    core = intensity[inside > 0] if cv2.countNonZero(inside) >= 3 else intensity[blob_mask > 0]
    ring = cv2.dilate(blob_mask, square)
    around = cv2.dilate(blob_mask, np.ones((7, 7), np.uint8)) & ~cv2.dilate(ring, square)
    if not core.size or not cv2.countNonZero(around):
        return None
    own, background = float(np.median(core)), float(np.median(intensity[around > 0]))
    if not own > min_snr * max(background, 1e-3):
        return None
    return float(np.clip((intensity[ring > 0] - background) / (own - background), 0.0, 1.0).sum())


def detect_changes(reference: np.ndarray, image: np.ndarray, valid: np.ndarray, s: ChangeSettings) -> Changes:
    """The pixels of ``valid`` where ``image`` (aligned) differs from ``reference`` in structure: intensity after
    removing the region's lighting gain, chromaticity, or edges (on smoothed grey levels: sensor and codec noise).
    Differences are judged against a noise floor in grey levels, so a dim frame's amplified noise is not a
    change."""
    # per-channel planes: numpy's reductions over a 3-long last axis cost 6x the same sums done plane by plane
    ref_planes, cur_planes = cv2.split(reference), cv2.split(image)
    ref = [c.astype(np.float32) + 1.0 for c in ref_planes]
    cur = [c.astype(np.float32) + 1.0 for c in cur_planes]
    clipped = _channel_max(cur_planes) >= SATURATED_GREY
    ref_clipped = _channel_max(ref_planes) >= SATURATED_GREY
    saturated = clipped | ref_clipped
    sel = (valid > 0) & ~saturated   # a clipped pixel's level says nothing about the light
    if np.count_nonzero(sel) < 16:
        return Changes(np.zeros(valid.shape, np.uint8), np.zeros(valid.shape, np.float32))
    gain = [np.median(c[sel] / r[sel]) for c, r in zip(cur, ref)]   # per channel: the region's change of light
    expected = [g * r for g, r in zip(gain, ref)]
    g_exp = cv2.cvtColor(np.clip(cv2.merge(expected) - 1.0, 0, 255).astype(np.uint8),
                         cv2.COLOR_BGR2GRAY).astype(np.float32)
    g_raw = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY).astype(np.float32)
    diff = g_raw - g_exp
    # clipped in the frame only, the true level is at least the clipped one: only "brighter than expected" is known
    diff = np.where(clipped, np.maximum(diff, 0.0), np.abs(diff))
    rel = diff / (g_exp + NOISE_FLOOR_GREY)   # luma: video keeps it at full resolution
    # chromaticity at the video's colour resolution (4:2:0 halves it): thin colourful lines are not objects
    cur_c = [cv2.GaussianBlur(c, (0, 0), CHROMA_SIGMA_PX) for c in cur]
    exp_c = [cv2.GaussianBlur(c, (0, 0), CHROMA_SIGMA_PX) for c in expected]
    total = cur_c[0] + cur_c[1] + cur_c[2]
    exp_total = exp_c[0] + exp_c[1] + exp_c[2]
    chroma = _channel_max([np.abs(c / total - e / exp_total) for c, e in zip(cur_c, exp_c)])
    chroma[total < 3 * CHROMA_MIN_GREY] = 0.0   # too dark for colour to mean anything
    g_ref = cv2.GaussianBlur(cv2.cvtColor(reference, cv2.COLOR_BGR2GRAY), (0, 0), SMOOTH_SIGMA_PX).astype(np.float32)
    g_cur = cv2.GaussianBlur(g_raw, (0, 0), SMOOTH_SIGMA_PX)
    edge = np.abs(_edges(g_cur) - _edges(g_ref)) > s.edge_threshold
    # the 3x3 gradient spreads an outline one pixel outward: take it back so sizes are not inflated
    edge = cv2.erode(edge.astype(np.uint8), cv2.getStructuringElement(cv2.MORPH_CROSS, (3, 3))) > 0
    rel[ref_clipped] = 0.0
    chroma[saturated] = 0.0
    cross = cv2.getStructuringElement(cv2.MORPH_CROSS, (3, 3))
    colour = cv2.erode((chroma > s.chroma_threshold).astype(np.uint8), cross) > 0   # back from the colour blur
    changed = (rel > s.ratio_threshold) | colour | edge
    m = np.where(changed & (valid > 0), 255, 0).astype(np.uint8)
    k = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (s.open_px, s.open_px))
    m = cv2.morphologyEx(m, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (2, 2)))
    m = cv2.morphologyEx(m, cv2.MORPH_CLOSE, k)
    return Changes(cv2.bitwise_and(m, valid), rel.astype(np.float32))


def blobs(mask: np.ndarray, min_area_px: float, offset_px: tuple[int, int] = (0, 0)) -> list[Blob]:
    """Connected regions of ``mask`` of at least ``min_area_px`` pixels, holes filled; coordinates shifted by
    ``offset_px`` (x, y) when ``mask`` is a crop of the frame."""
    out = []
    ox, oy = offset_px
    contours, _ = cv2.findContours(mask, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    for c in contours:
        x, y, w, h = cv2.boundingRect(c)
        filled = np.zeros((h, w), np.uint8)
        cv2.drawContours(filled, [c - [x, y]], -1, 255, -1)
        area = float(cv2.countNonZero(filled))
        if area < min_area_px:
            continue
        out.append(Blob(np.array([x + ox, y + oy, x + ox + w, y + oy + h], float), area,
                        c.reshape(-1, 2).astype(float) + [ox, oy]))
    return out


def plane_size(camera, contour_px: np.ndarray, z_m: float, area_px: float | None = None,
               area_is_covered: bool = False) -> tuple[float, float, float]:
    """(area cm², length cm, width cm) of an image blob laid on the horizontal plane at height ``z_m`` (the counter
    top, or the floor at 0). The area is the blob's pixels (the mean of ``area_px``, its pixel count, and the area
    inside its contour; ``area_px`` itself when ``area_is_covered``: :func:`covered_area_px`) times the plane area
    one pixel covers at the blob's centre; length and width are the sides of the smallest rectangle enclosing the
    contour met with the plane. NaNs when the blob does not meet the plane."""
    pts = np.asarray(contour_px, float)
    xy = camera.pixel_to_plane_z(pts, z_m)
    if len(xy) < 1 or not np.all(np.isfinite(xy)):
        return float("nan"), float("nan"), float("nan")
    c = pts.mean(axis=0)
    square = camera.pixel_to_plane_z(c + np.array([[-0.5, -0.5], [0.5, -0.5], [0.5, 0.5], [-0.5, 0.5]]), z_m) * 100.0
    if not np.all(np.isfinite(square)):
        return float("nan"), float("nan"), float("nan")
    per_px = abs(float(cv2.contourArea(square.astype(np.float32).reshape(-1, 1, 2))))
    inner = float(cv2.contourArea(pts.astype(np.float32).reshape(-1, 1, 2)))   # through the boundary pixels' centres
    # the pixel count holds the boundary pixels whole, the contour half of them: half-way between is the outline
    if not area_is_covered:
        area_px = inner if area_px is None else 0.5 * (inner + area_px)
    cm = (xy * 100.0).astype(np.float32).reshape(-1, 1, 2)
    (_, _), (a, b), _ = cv2.minAreaRect(cm)
    return area_px * per_px, float(max(a, b)), float(min(a, b))
