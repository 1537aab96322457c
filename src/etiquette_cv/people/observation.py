"""One person as seen in one frame by the people stage: a landmarker's result or a detection, with the helpers
that decide whether two observations are one person (upper-body agreement, clothes' colours)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from ..core import NUM_LANDMARKS
from .boxes import iou
from .floor import FloorEstimate
from .landmarker import LandmarkResult

if TYPE_CHECKING:
    from .detector import PersonDetections

#: COCO-17 keypoint index → BlazePose landmark index.
COCO_TO_BLAZEPOSE = np.array([0, 2, 5, 7, 8, 11, 12, 13, 14, 15, 16, 23, 24, 25, 26, 27, 28])


@dataclass
class Observation:
    """One person in one frame: where in the image, how sure, which points, and (once located) where on the floor."""

    box: np.ndarray
    """The person's image box (pixels): the detector's when a detection was merged in, else the landmarks'."""
    score: float
    xy: np.ndarray
    """(33, 2) BlazePose-indexed points."""
    point_score: np.ndarray
    owner: int | None = None
    """Id of the track whose landmarker produced it."""
    landmarks: LandmarkResult | None = None
    floor: FloorEstimate | None = None
    place: tuple[str, str | None] | None = None
    """(role, station) that the floor point gives (:func:`.floor.role_from_floor`), None without one."""
    detected: bool = False
    """A detector box is part of this observation (``box`` is the detector's)."""


#: BlazePose indices of the upper body (face, shoulders, elbows, wrists): what two views of one person share even
#: when the legs are hidden (and invented differently).
_UPPER_BODY = np.array([0, 2, 5, 7, 8, 11, 12, 13, 14, 15, 16])


def upper_body_distance(a: Observation, b: Observation, min_score: float = 0.3) -> float:
    """Mean distance of the upper-body points both observations see, over the larger box height (inf: no overlap
    or too few common points)."""
    if iou(a.box, b.box) <= 0.0:
        return np.inf
    ok = (a.point_score[_UPPER_BODY] >= min_score) & (b.point_score[_UPPER_BODY] >= min_score)
    if ok.sum() < 3:
        return np.inf
    idx = _UPPER_BODY[ok]
    d = np.linalg.norm(a.xy[idx] - b.xy[idx], axis=1).mean()
    height = max(a.box[3] - a.box[1], b.box[3] - b.box[1], 1.0)
    return float(d / height)


#: BlazePose indices of everything but the arms (elbows, wrists, hands).
_BODY = np.array([i for i in range(NUM_LANDMARKS) if not 13 <= i <= 22])


def body_box(o: Observation, min_score: float, pad: float = 0.08) -> np.ndarray:
    """The observation's box (pixels) narrowed to its head, trunk and legs seen with ``min_score`` (padded by ``pad``
    of the box's height either side): a hand held out to somebody else stays outside it. The whole box when fewer
    than four of those points are seen."""
    seen = _BODY[o.point_score[_BODY] >= min_score]
    box = np.asarray(o.box, np.float32)
    if len(seen) < 4:
        return box
    margin = pad * float(box[3] - box[1])
    x0 = max(float(box[0]), float(o.xy[seen, 0].min()) - margin)
    x1 = min(float(box[2]), float(o.xy[seen, 0].max()) + margin)
    return np.array([x0, box[1], x1, box[3]], np.float32) if x1 > x0 else box


def union_box(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The smallest box (pixels) holding boxes ``a`` and ``b``."""
    return np.array([min(a[0], b[0]), min(a[1], b[1]), max(a[2], b[2]), max(a[3], b[3])], np.float32)


def from_detection(dets: PersonDetections, i: int) -> Observation:
    """Detection ``i`` as an observation: its box, score and 17 keypoints placed at their BlazePose indices."""
    xy = np.zeros((NUM_LANDMARKS, 2), np.float32)
    sc = np.zeros(NUM_LANDMARKS, np.float32)
    xy[COCO_TO_BLAZEPOSE] = dets.keypoints_xy_px[i]
    sc[COCO_TO_BLAZEPOSE] = dets.keypoint_scores[i]
    return Observation(np.asarray(dets.boxes_xyxy_px[i], np.float32), float(dets.scores[i]), xy, sc)


def from_detections(dets: PersonDetections) -> list[Observation]:
    """Every detection of ``dets`` as an observation (:func:`from_detection`), best score first."""
    return [from_detection(dets, i) for i in range(len(dets))]


def appearance_histogram(image: np.ndarray, o: Observation, others: list[Observation], overlap_iou: float,
                         min_score: float, min_clear: float = 0.5) -> np.ndarray | None:
    """A normalised hue-saturation histogram (16 x 8 bins, sums to 1) of the person's torso (the middle of the box
    when the shoulders and hips are not seen with ``min_score``), without the pixels of anybody standing in front of
    them (a box overlapping theirs by more than ``overlap_iou`` whose bottom edge — their feet — is lower in the
    image); None when less than ``min_clear`` of the torso is left (their colours would mix)."""
    import cv2

    h, w = image.shape[:2]
    torso = [i for i in (11, 12, 23, 24) if o.point_score[i] >= min_score]
    if len(torso) == 4:
        x0, y0 = o.xy[torso].min(axis=0)
        x1, y1 = o.xy[torso].max(axis=0)
    else:
        bw, bh = o.box[2] - o.box[0], o.box[3] - o.box[1]
        x0, x1, y0, y1 = o.box[0] + 0.3 * bw, o.box[2] - 0.3 * bw, o.box[1] + 0.2 * bh, o.box[1] + 0.5 * bh
    x0, y0 = int(max(0, np.floor(x0))), int(max(0, np.floor(y0)))
    x1, y1 = int(min(w, np.ceil(x1))), int(min(h, np.ceil(y1)))
    if x1 - x0 < 4 or y1 - y0 < 4:
        return None
    mask = np.full((y1 - y0, x1 - x0), 255, np.uint8)
    for q in others:
        if q is o or iou(o.box, q.box) <= overlap_iou or q.box[3] <= o.box[3]:
            continue   # not overlapping, or standing behind: hides nothing of this person
        a0, b0 = int(max(np.floor(q.box[0]) - x0, 0)), int(max(np.floor(q.box[1]) - y0, 0))
        a1, b1 = int(min(np.ceil(q.box[2]) - x0, x1 - x0)), int(min(np.ceil(q.box[3]) - y0, y1 - y0))
        if a1 > a0 and b1 > b0:
            mask[b0:b1, a0:a1] = 0
    if np.count_nonzero(mask) < min_clear * mask.size:
        return None
    hsv = cv2.cvtColor(image[y0:y1, x0:x1], cv2.COLOR_BGR2HSV)
    hist = cv2.calcHist([hsv], [0, 1], mask, [16, 8], [0, 180, 0, 256]).ravel()
    return hist / max(float(hist.sum()), 1.0)


def posed_observation(o: Observation, res: LandmarkResult) -> Observation:
    """Observation ``o`` as a landmarker's result ``res`` places it (its box and score kept)."""
    return Observation(o.box, o.score, res.image_xy_px, np.minimum(res.visibility, res.presence))


def others_greyed(image: np.ndarray, o: Observation, obs: list[Observation]) -> np.ndarray:
    """A copy of ``image`` with every other observation's box greyed out, except where it overlaps ``o``'s."""
    out = image.copy()
    h, w = out.shape[:2]
    x0, y0, x1, y1 = (max(int(v), 0) for v in np.round(np.asarray(o.box, float)))
    keep = image[y0:y1, x0:x1]
    for other in obs:
        if other is o or other.box is None:
            continue
        a0, b0, a1, b1 = (int(round(v)) for v in other.box)
        out[max(b0, 0):min(b1, h), max(a0, 0):min(a1, w)] = 128
    out[y0:y1, x0:x1] = keep
    return out


def seen_again(candidate: Observation, o: Observation, keypoint_distance: float, min_iou: float) -> bool:
    """Whether ``candidate`` (a station search's detection) is ``o`` found again: their upper bodies coincide
    (mean distance at most ``keypoint_distance`` of a height) or, when the two share too few keypoints to tell, their
    boxes overlap at least ``min_iou``. Overlapping boxes with distinct upper bodies are two people (tuning t118: a
    standing clerk's head and shoulders above the customer in front of them, boxes at IoU 0.44-0.49, upper bodies
    0.23-0.24 of a height apart; the customer's own leg-cut copy 0.04)."""
    d = upper_body_distance(candidate, o)
    if np.isfinite(d):
        return d <= keypoint_distance
    return iou(candidate.box, o.box) >= min_iou


def merge_detections(posed: list[Observation], found: list[Observation], merge_iou: float,
                     keypoint_distance: float) -> list[Observation]:
    """The posed observations, each with the detection of the same person merged in (its box and score), then a
    new observation for every detection of somebody not posed. Two are the same person when their boxes overlap at
    least ``merge_iou`` or their upper bodies lie within ``keypoint_distance`` (a person cut by the frame's edge or
    seen small has too few keypoints the two agree on). One detection per posed person, the closest pairs first
    (upper-body distance, then overlap): a second person overlapping a posed one keeps their own detection (tuning
    t118: a clerk's head and shoulders above the customer in front of them, whose detection took the customer's
    place when listed first)."""
    pairs = []
    for i, det in enumerate(found):
        for k, o in enumerate(posed):
            overlap = iou(o.box, det.box)
            cost = 0.0 if overlap >= merge_iou else upper_body_distance(o, det)
            if cost <= keypoint_distance:
                pairs.append((cost, -overlap, i, k))
    merged: dict[int, int] = {}
    for _, _, i, k in sorted(pairs):
        if i not in merged and k not in merged.values():
            merged[i] = k
    out = list(posed)
    for i, det in enumerate(found):
        det.detected = True
        if i not in merged:
            out.append(det)
            continue
        best = posed[merged[i]]
        best.score = max(best.score, det.score)
        best.box, best.detected = det.box, True
    return out
