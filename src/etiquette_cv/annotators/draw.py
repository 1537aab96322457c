"""Drawing on frames: skeletons, labels, captions, insets, face blurring and world lines through a camera.

Annotators only draw; what to draw (names, distances, angles, captions) is decided by their callers. Images are BGR
uint8 arrays, drawn on in place unless a function says it returns a copy; pixel coordinates are full-frame pixels.
"""

from __future__ import annotations

import zlib

import cv2
import numpy as np

from ..core import SKELETON_EDGES, FramePoses, PersonPose
from ..geometry.image_line import ImageLine
from ..geometry.polyline import densify_polyline
from ..timeseries import true_runs

#: BGR colours per role; other names get a colour from their hash.
ROLE_COLOURS = {"clerk": (60, 200, 60), "customer": (40, 160, 255), "waiting": (200, 120, 255),
                "other": (170, 170, 170), "unknown": (255, 200, 0)}


def colour_for(name: str) -> tuple[int, int, int]:
    """A stable BGR colour for a role or any other name."""
    if name in ROLE_COLOURS:
        return ROLE_COLOURS[name]
    h = zlib.crc32(name.encode()) % 180
    hsv = np.uint8([[[h, 200, 230]]])
    b, g, r = cv2.cvtColor(hsv, cv2.COLOR_HSV2BGR)[0, 0]
    return int(b), int(g), int(r)


def draw_person(image: np.ndarray, person: PersonPose, colour: tuple[int, int, int] | None = None,
                visibility_threshold: float = 0.5) -> None:
    """Draw one person's skeleton in place; landmarks below ``visibility_threshold`` are drawn hollow and thin."""
    colour = colour or colour_for(person.role)
    pts = person.image_xy_px
    seen = person.visible(visibility_threshold)
    present = person.presence > 0  # the detector's 17 keypoints leave the other landmarks empty
    scale = max(1, round(image.shape[0] / 480))
    for a, b in SKELETON_EDGES:
        if not (present[a] and present[b]):
            continue
        pa, pb = tuple(int(v) for v in pts[a]), tuple(int(v) for v in pts[b])
        thick = 2 * scale if seen[a] and seen[b] else 1
        cv2.line(image, pa, pb, colour, thick, cv2.LINE_AA)
    for i, p in enumerate(pts):
        if not present[i]:
            continue
        c = tuple(int(v) for v in p)
        if seen[i]:
            cv2.circle(image, c, 2 * scale, colour, -1, cv2.LINE_AA)
        else:
            cv2.circle(image, c, 2 * scale, colour, 1, cv2.LINE_AA)


def put_label(image: np.ndarray, text: str, origin, colour=(255, 255, 255), scale: float = 0.5,
              outline: int = 3) -> None:
    """Write ASCII text at ``origin`` (pixels, baseline left) with a dark outline ``outline`` px thick so it reads
    on any background; nothing when the origin is not finite (a point behind the camera)."""
    if not np.all(np.isfinite(origin)):
        return
    xy = (int(round(origin[0])), int(round(origin[1])))
    cv2.putText(image, text, xy, cv2.FONT_HERSHEY_SIMPLEX, scale, (0, 0, 0), outline, cv2.LINE_AA)
    cv2.putText(image, text, xy, cv2.FONT_HERSHEY_SIMPLEX, scale, colour, 1, cv2.LINE_AA)


def draw_poses(image: np.ndarray, poses: FramePoses) -> np.ndarray:
    """A copy of ``image`` with every person's skeleton and label (role and track id) drawn."""
    out = image.copy()
    for p in poses.persons:
        draw_person(out, p)
        x0, y0, _, _ = p.bbox_px()
        put_label(out, p.label, (int(x0), max(12, int(y0) - 6)), colour_for(p.role))
    put_label(out, f"t={poses.timestamp_s:7.2f}s  frame {poses.frame_index}", (8, image.shape[0] - 10))
    return out


_HEAD = (0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10)


def head_box_px(person: PersonPose, image_width: int, image_height: int, scale: float = 1.9
                ) -> tuple[int, int, int, int] | None:
    """A box (x0, y0, x1, y1) in pixels around a person's head from the face landmarks, grown so it covers the
    whole head and hair; None when the face landmarks are off the image. A person filled into a gap of their track
    (nothing present: hidden in part, their face may still show) gets the top fifth of their box, 60 % of its width."""
    if person.interpolated and person.box_xyxy_px is not None:
        bx0, by0, bx1, by1 = (float(v) for v in person.box_xyxy_px)
        cx, half_w = (bx0 + bx1) / 2, 0.3 * (bx1 - bx0)
        x0, y0 = int(max(0, cx - half_w)), int(max(0, by0))
        x1, y1 = int(min(image_width, cx + half_w)), int(min(image_height, by0 + 0.2 * (by1 - by0)))
        return (x0, y0, x1, y1) if x1 - x0 >= 2 and y1 - y0 >= 2 else None
    idx = list(_HEAD)
    pts = person.image_xy_px[idx][person.presence[idx] > 0]  # detector keypoints leave the rest empty
    pts = pts[np.all(np.isfinite(pts), axis=1)]
    if len(pts) == 0:
        return None
    c = pts.mean(axis=0)
    sh = person.image_xy_px[[11, 12]]
    shoulder_w = float(np.linalg.norm(sh[0] - sh[1])) if np.all(np.isfinite(sh)) else 0.0
    span = max(float(np.ptp(pts[:, 0])), float(np.ptp(pts[:, 1])), 0.5 * shoulder_w, 12.0)
    half = 0.5 * span * scale
    x0, y0 = int(max(0, c[0] - half)), int(max(0, c[1] - 1.2 * half))
    x1, y1 = int(min(image_width, c[0] + half)), int(min(image_height, c[1] + half))
    if x1 - x0 < 2 or y1 - y0 < 2:
        return None
    return x0, y0, x1, y1


def blur_faces(image: np.ndarray, persons: list[PersonPose], keep_roles: tuple[str, ...] = ("clerk",)) -> None:
    """Blur, in place, the head of every person whose role is not in ``keep_roles`` (everyone but the staff being
    graded, by default: personal information protection)."""
    h, w = image.shape[:2]
    for p in persons:
        if p.role in keep_roles:
            continue
        box = head_box_px(p, w, h)
        if box is None:
            continue
        x0, y0, x1, y1 = box
        roi = image[y0:y1, x0:x1]
        k = max(3, (max(x1 - x0, y1 - y0) // 3) | 1)
        small = cv2.resize(roi, (max(1, (x1 - x0) // 8), max(1, (y1 - y0) // 8)), interpolation=cv2.INTER_AREA)
        image[y0:y1, x0:x1] = cv2.GaussianBlur(cv2.resize(small, (x1 - x0, y1 - y0),
                                                          interpolation=cv2.INTER_LINEAR), (k, k), 0)


def draw_floor_polyline(image: np.ndarray, camera, polyline_xy_m: np.ndarray, colour, thickness: int = 2,
                        step_m: float = 0.05) -> None:
    """Draw a floor polyline (metres, z = 0) through a solved camera, densified so it bends with lens distortion."""
    xy = densify_polyline(polyline_xy_m, step_m)
    draw_world_polyline(image, camera, np.column_stack([xy, np.zeros(len(xy))]), colour, thickness)


def draw_world_polyline(image: np.ndarray, camera, points_xyz_m: np.ndarray, colour, thickness: int = 1) -> None:
    """Draw world points (N, 3) in metres joined in order through a solved camera; the line is broken where points
    are behind the camera and clipped far outside the image. Densify straight lines first so they bend with the
    lens distortion."""
    px = camera.project(np.asarray(points_xyz_m, dtype=float))
    h, w = image.shape[:2]
    lim = 8.0 * max(w, h)
    for start, end in true_runs(np.all(np.isfinite(px), axis=1)):
        if end - start >= 2:
            run = np.clip(px[start:end], -lim, lim)
            cv2.polylines(image, [np.round(run).astype(np.int32).reshape(-1, 1, 2)], False, colour, thickness,
                          cv2.LINE_AA)


def add_inset(image: np.ndarray, box_px: tuple[float, float, float, float], max_height_frac: float = 0.45,
              margin: float = 0.25) -> tuple[int, int, int, int] | None:
    """Paste, in place, an enlarged copy of ``box_px`` (x0, y0, x1, y1, grown by ``margin``) into the top-right
    corner, framed, so a small person far from the camera can be judged on the evidence image; returns the inset's
    box (x0, y0, x1, y1) in pixels, or None when nothing was pasted."""
    h, w = image.shape[:2]
    x0, y0, x1, y1 = box_px
    bw, bh = x1 - x0, y1 - y0
    x0, x1 = int(max(0, x0 - margin * bw)), int(min(w, x1 + margin * bw))
    y0, y1 = int(max(0, y0 - margin * bh)), int(min(h, y1 + margin * bh))
    if x1 - x0 < 4 or y1 - y0 < 4:
        return None
    crop = image[y0:y1, x0:x1].copy()
    scale = min(max_height_frac * h / crop.shape[0], 0.4 * w / crop.shape[1])
    if scale <= 1.05:
        return None
    big = cv2.resize(crop, (int(crop.shape[1] * scale), int(crop.shape[0] * scale)), interpolation=cv2.INTER_CUBIC)
    bh2, bw2 = big.shape[:2]
    ox, oy = w - bw2 - 8, 8
    image[oy:oy + bh2, ox:ox + bw2] = big
    cv2.rectangle(image, (ox - 1, oy - 1), (ox + bw2, oy + bh2), (255, 255, 255), 2)
    cv2.rectangle(image, (x0, y0), (x1, y1), (255, 255, 255), 1)
    return ox - 2, oy - 2, ox + bw2 + 2, oy + bh2 + 2


CUE_LINE_COLOUR = (255, 0, 255)
"""BGR: the marked 2 m line in the coaching video (magenta: floor tape and the product's skeletons are not)."""


def draw_cue_line(image: np.ndarray, line: ImageLine, label: str = "2 m") -> None:
    """The marked near-distance line across the BGR ``image`` (in place), labelled ``label`` (ASCII: the rulebook's
    near distance, "2 m" by default) at its first end."""
    a = tuple(int(round(v)) for v in line.a_px)
    b = tuple(int(round(v)) for v in line.b_px)
    thick = max(2, image.shape[0] // 360)
    cv2.line(image, a, b, CUE_LINE_COLOUR, thick, cv2.LINE_AA)
    x = min(max(a[0], 4), image.shape[1] - 60)
    y = min(max(a[1] - 8, 20), image.shape[0] - 8)
    cv2.putText(image, label, (x, y), cv2.FONT_HERSHEY_SIMPLEX, 0.6 * thick / 2, CUE_LINE_COLOUR, thick, cv2.LINE_AA)
