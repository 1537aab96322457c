"""The 2 m cue from a line marked on the floor (no calibration): who crossed it, and when."""

from __future__ import annotations

import numpy as np

from etiquette_cv.core import FramePoses, PersonPose
from etiquette_cv.geometry.image_line import ImageLine
from etiquette_cv.training.stream import foot_point_px, line_crossers, line_cues, trainee_side

LINE = ImageLine((0.0, 500.0), (1280.0, 500.0))     # the tape across the image at y = 500 px


def _person(track_id: int, x: float, foot_y: float, feet_seen: bool = True) -> PersonPose:
    xy = np.zeros((33, 2))
    xy[:, 0] = x
    xy[:, 1] = np.linspace(foot_y - 400, foot_y - 20, 33)
    xy[27:33, 1] = foot_y
    vis = np.ones(33)
    if not feet_seen:
        vis[27:33] = 0.1
    return PersonPose(track_id, "unknown", xy, np.zeros(33), np.zeros((33, 3)), vis, np.ones(33),
                      box_xyxy_px=np.array([x - 40, foot_y - 420, x + 40, foot_y + 5]))


def _frames() -> list[FramePoses]:
    """10 frames/s for 12 s: the clerk (#1) behind the counter, feet at y = 300 (the counter's side of the line);
    a customer (#2) walking from y = 700 toward the counter, crossing y = 500 at 4.0 s, at the counter until 9 s,
    back across the line at 10.0 s."""
    out = []
    for i in range(120):
        t = i / 10
        y = 700 - 50 * t if t < 6 else (400 if t < 9 else 400 + 100 * (t - 9))
        out.append(FramePoses(i, t, 1280, 720, [_person(1, 640, 300), _person(2, 900, y)]))
    return out


def test_the_customer_crossing_the_line_gives_the_2_m_cue_and_leaving_it_the_send_off_cue():
    frames = _frames()
    side = trainee_side(frames, 1, LINE, 3.0)
    assert side == 1                                    # the clerk's feet are above the line: the counter's side
    cues = line_cues(frames, 1, LINE, side, 3.0, 0.5)
    assert abs(cues["customer_near"] - 4.1) < 0.15 and abs(cues["customer_leave"] - 10.1) < 0.15
    assert line_crossers(frames, LINE, 3.0) == {2}


def test_nobody_seen_outside_first_gives_no_cue_and_a_clerk_on_the_line_gives_no_side():
    inside_only = [FramePoses(i, i / 10, 1280, 720, [_person(1, 640, 300), _person(2, 900, 420)]) for i in range(50)]
    assert line_cues(inside_only, 1, LINE, 1, 3.0, 0.5) == {"customer_near": None, "customer_leave": None}
    on_line = [FramePoses(i, i / 10, 1280, 720, [_person(1, 640, 501)]) for i in range(20)]
    assert trainee_side(on_line, 1, LINE, 3.0) == 0


def test_the_foot_point_is_the_lowest_seen_foot_else_the_detectors_box_bottom():
    p = _person(2, 900, 612.0)
    assert foot_point_px(p).tolist() == [900.0, 612.0]
    hidden = _person(2, 900, 612.0, feet_seen=False)
    assert foot_point_px(hidden).tolist() == [900.0, 617.0]
