"""The frames `watch` keeps for evidence keyframes: one per interval, found by time, forgotten when done."""

from __future__ import annotations

import numpy as np

from etiquette_cv.pipeline.snapshots import Snapshots


def _frame(value: int) -> np.ndarray:
    return np.full((48, 64, 3), value, np.uint8)


def test_one_frame_per_interval_found_by_time_and_forgotten():
    snaps = Snapshots(every_s=1.0)
    for k in range(50):                      # 10 frames/s for 5 s, each a different grey
        snaps.add(k / 10, _frame(4 * k))
    assert len(snaps) == 5                   # 0, 1, 2, 3, 4 s
    t, img = snaps.nearest(2.3, max_gap_s=1.5)
    assert t == 2.0 and abs(int(img.mean()) - 80) <= 2   # the frame of 2.0 s (grey 80), JPEG-decoded
    assert snaps.nearest(9.0, max_gap_s=1.5) is None     # nothing near enough
    part = snaps.between(1.0, 3.0)
    assert len(part) == 3 and len(snaps) == 5
    snaps.drop_before(3.0)
    assert len(snaps) == 2 and len(part) == 3            # the window's copy keeps its frames


def test_a_wide_frame_is_kept_smaller_and_given_back_at_its_size():
    snaps = Snapshots(every_s=1.0)
    big = np.zeros((1080, 1920, 3), np.uint8)
    big[500:580, 900:1020] = 255                         # a white block
    snaps.add(0.0, big)
    assert len(snaps._jpeg[0]) < 60_000
    _, img = snaps.nearest(0.0, 1.0)
    assert img.shape == big.shape
    assert img[540, 960].min() > 200 and img[100, 100].max() < 30
