"""Identity tracking: ids stay with people through crossings and short gaps; floor association separates people
whose image boxes overlap."""

from __future__ import annotations

import numpy as np

from etiquette_cv.people.tracker import IdentityTracker, TrackerSettings


def run(tracker, frames):
    return [tracker.update(*f) for f in frames]


def test_two_people_crossing_in_the_image_keep_their_ids_on_the_floor():
    """One customer walks behind another: their image boxes overlap fully for 1 s, their floor points stay 1.2 m
    apart in depth. Floor association keeps both ids."""
    tr = IdentityTracker(TrackerSettings(), frame_rate_hz=10.0, use_floor=True)
    frames = []
    for k in range(60):
        t = k / 10
        a = np.array([-2.0 + 0.7 * t, 1.0])          # walking right, near the counter
        b = np.array([2.0 - 0.7 * t, 2.2])           # walking left, further back
        boxes = np.array([[600, 100, 700, 400], [605, 90, 695, 380]], float)  # same image place throughout
        frames.append((boxes, np.vstack([a, b]), np.array([0.9, 0.9])))
    ids = np.array(run(tr, frames))
    assert (ids[2:, 0] == ids[2, 0]).all() and (ids[2:, 1] == ids[2, 1]).all()
    assert ids[2, 0] != ids[2, 1] and ids[2, 0] > 0 and ids[2, 1] > 0


def test_a_short_gap_keeps_the_id_and_a_long_one_ends_the_track():
    tr = IdentityTracker(TrackerSettings(lost_s=1.0), frame_rate_hz=10.0, use_floor=True)
    ids = []
    for k in range(80):
        gone = 20 <= k < 26 or 40 <= k < 60        # 0.6 s gap, then a 2 s gap
        if gone:
            ids.append(tr.update(np.zeros((0, 4)), np.zeros((0, 2)), np.zeros(0)))
            continue
        ids.append(tr.update(np.array([[0, 0, 10, 10]], float), np.array([[0.5, 1.5]]), np.array([0.9])))
    first, after_short, after_long = ids[10][0], ids[30][0], ids[70][0]
    assert first > 0 and after_short == first
    assert after_long > 0 and after_long != first


def test_image_boxes_without_a_calibration():
    tr = IdentityTracker(TrackerSettings(), frame_rate_hz=10.0, use_floor=False)
    ids = []
    for k in range(30):
        boxes = np.array([[100 + 3 * k, 100, 200 + 3 * k, 400], [800 - 3 * k, 120, 900 - 3 * k, 420]], float)
        ids.append(tr.update(boxes, None, np.array([0.8, 0.3])))
    ids = np.array(ids)
    assert ids[0].tolist() == [0, 0]                 # a new track needs two observations before it has an id
    assert len({*ids[5:, 0]}) == 1 and len({*ids[5:, 1]}) == 1 and ids[5, 0] != ids[5, 1]
    assert sorted(tr.alive_ids()) == sorted(ids[-1].tolist())


def test_unlocatable_observations_get_no_id():
    tr = IdentityTracker(TrackerSettings(), frame_rate_hz=10.0, use_floor=True)
    for _ in range(3):
        ids = tr.update(np.array([[0, 0, 1, 1], [5, 5, 9, 9]], float), np.array([[np.nan, np.nan], [1.0, 1.0]]),
                        np.array([0.9, 0.9]))
    assert ids[0] == 0 and ids[1] > 0
