"""The review's frames: the counter edge, the near line, skeletons with their labels, captions and an inset.

Text is drawn once per person and caption, in any language (:mod:`.text`), each label placed off the bodies and
clear of the captions and the inset. Which landmarks are shown is the caller's decision: a landmark with zero
presence (e.g. hidden behind the counter) is not drawn.
"""

from __future__ import annotations

import numpy as np

from ..core import FramePoses, PersonPose
from .draw import ROLE_COLOURS, add_inset, blur_faces, colour_for, draw_floor_polyline, draw_person
from .text import TextItem, draw_texts, place_labels, text_size_px

COUNTER_COLOUR = (0, 200, 255)
NEAR_LINE_COLOUR = (0, 0, 255)
CAPTION_XY_PX = (10, 10)


def text_height_px(image_height: int) -> int:
    """The label and caption text height for a frame this tall (18 px at 720 p)."""
    return max(12, round(image_height / 40))


def one_per_track(persons: list[PersonPose]) -> list[PersonPose]:
    """One pose per track id (its own landmarker's rather than the detector's), in order."""
    best: dict[int, PersonPose] = {}
    for p in persons:
        if p.track_id not in best or (best[p.track_id].landmarks_source != "mediapipe"
                                      and p.landmarks_source == "mediapipe"):
            best[p.track_id] = p
    return list(best.values())


def _caption_items(captions: list[str], size: int) -> tuple[list[TextItem], tuple[int, int, int, int] | None]:
    """The caption lines as text items stacked from the top-left corner, and the area they cover."""
    if not captions:
        return [], None
    x, y = CAPTION_XY_PX
    items, width = [], 0
    for line in captions:
        tw, th = text_size_px(line, size)
        items.append(TextItem(line, (x, y), size, panel_alpha=0.65))
        y += th
        width = max(width, tw)
    return items, (CAPTION_XY_PX[0], CAPTION_XY_PX[1], CAPTION_XY_PX[0] + width, y)


def draw_review_frame(image: np.ndarray, poses: FramePoses | None, camera, counter_edge_m: np.ndarray | None,
                      near_line_m: np.ndarray | None, labels: dict[int, str], captions: list[str], blur: bool,
                      focus_track: int | None = None) -> np.ndarray:
    """A copy of a frame with the counter edge and the near line (floor polylines in metres, drawn through the
    camera when given), every skeleton with one label each (``labels`` by track id) placed off the bodies, and
    caption lines; the faces of everyone but the clerks blurred unless ``blur`` is False. ``focus_track`` adds an
    enlarged inset of that person (before any text, so the inset repeats no label)."""
    out = image.copy()
    persons = one_per_track(poses.persons if poses is not None else [])
    if blur:
        blur_faces(out, persons)
    if counter_edge_m is not None:
        draw_floor_polyline(out, camera, counter_edge_m, COUNTER_COLOUR, 2)
    if near_line_m is not None:
        draw_floor_polyline(out, camera, near_line_m, NEAR_LINE_COLOUR, 2)
    for p in persons:
        draw_person(out, p)
    keep_clear = []
    target = next((p for p in persons if p.track_id == focus_track), None) if focus_track is not None else None
    if target is not None:
        inset = add_inset(out, target.bbox_px())
        if inset is not None:
            keep_clear.append(inset)
    size = text_height_px(out.shape[0])
    items, caption_area = _caption_items(captions, size)
    if caption_area is not None:
        keep_clear.append(caption_area)
    texts = [labels.get(p.track_id, p.label) for p in persons]
    sizes = [text_size_px(t, size) for t in texts]
    spots = place_labels([p.bbox_px() for p in persons], sizes, out.shape[1], out.shape[0], keep_clear)
    for p, text, xy in zip(persons, texts, spots):
        colour = ROLE_COLOURS.get(p.role) or colour_for(p.role)
        items.append(TextItem(text, xy, size, colour=colour, panel_alpha=0.55))
    draw_texts(out, items)
    return out
