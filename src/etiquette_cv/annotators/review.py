"""The review's frames: the counter edge, the near line, skeletons with their labels, captions and an inset."""

from __future__ import annotations

import numpy as np

from ..core import FramePoses
from .draw import add_inset, blur_faces, caption_box, draw_floor_polyline, draw_person, put_label

COUNTER_COLOUR = (0, 200, 255)
NEAR_LINE_COLOUR = (0, 0, 255)


def draw_review_frame(image: np.ndarray, poses: FramePoses | None, camera, counter_edge_m: np.ndarray | None,
                      near_line_m: np.ndarray | None, labels: dict[int, str], captions: list[str], blur: bool,
                      focus_track: int | None = None) -> np.ndarray:
    """A copy of a frame with the counter edge and the near line (floor polylines in metres, drawn through the
    camera when given), every skeleton with its label (``labels`` by track id), and caption lines; the faces of
    everyone but the clerks blurred unless ``blur`` is False. ``focus_track`` adds an enlarged inset of that
    person."""
    out = image.copy()
    persons = poses.persons if poses is not None else []
    if blur:
        blur_faces(out, persons)
    if counter_edge_m is not None:
        draw_floor_polyline(out, camera, counter_edge_m, COUNTER_COLOUR, 2)
    if near_line_m is not None:
        draw_floor_polyline(out, camera, near_line_m, NEAR_LINE_COLOUR, 2)
    for p in persons:
        draw_person(out, p)
        x0, y0, _, _ = p.bbox_px()
        put_label(out, labels.get(p.track_id, p.label), (int(max(4, x0)), int(max(16, y0 - 8))), (255, 255, 255), 0.6)
    caption_box(out, captions)
    target = next((p for p in persons if p.track_id == focus_track), None) if focus_track is not None else None
    if target is not None:
        add_inset(out, target.bbox_px())
    return out
