"""Short gaps in a track filled in once the person is seen again (people/gaps.py)."""

from __future__ import annotations

import numpy as np
import pytest

from etiquette_cv.core import FramePoses, PersonPose
from etiquette_cv.people.gaps import INTERPOLATED, GapFiller, GapSettings, fill_gaps


def _person(track_id: int, x: float, role: str = "customer", floor_x: float | None = 1.0) -> PersonPose:
    xy = np.column_stack([np.full(33, x), np.linspace(100, 400, 33)])
    return PersonPose(track_id, role, xy, np.zeros(33), np.zeros((33, 3)), np.ones(33), np.ones(33),
                      floor_xy_m=None if floor_x is None else np.array([floor_x, 2.0]), floor_source="feet",
                      box_xyxy_px=np.array([x - 40, 100, x + 40, 400], float))


def _frames(seen: dict[int, list[int]], n: int = 30, fps: float = 10.0) -> list[FramePoses]:
    """``n`` frames; track id -> the frame indices it is seen on, moving 10 px and 0.1 m a frame (each id 200 px to
    the right of the one before)."""
    return [FramePoses(i, i / fps, 1280, 720, [_person(tid, 200 * (tid - 1) + 100 + 10 * i, floor_x=0.1 * i)
                                               for tid, idx in seen.items() if i in idx])
            for i in range(n)]


def test_a_gap_up_to_the_limit_is_filled_with_interpolated_boxes_and_floor_and_nothing_visible():
    frames = _frames({1: [*range(0, 10), *range(15, 30)], 2: list(range(30))})
    out = fill_gaps(frames, GapSettings(max_gap_s=1.0))
    assert [f.frame_index for f in out] == list(range(30))
    for i in range(10, 15):
        (p,) = [q for q in out[i].persons if q.track_id == 1]
        assert p.landmarks_source == INTERPOLATED and p.floor_source == INTERPOLATED
        # linear between frame 9 and frame 15: the same motion as the truth here
        assert np.allclose(p.box_xyxy_px, [100 + 10 * i - 40, 100, 100 + 10 * i + 40, 400])
        assert np.allclose(p.floor_xy_m, [0.1 * i, 2.0])
        assert not p.visible().any() and p.presence.max() == 0 and p.world_xyz_m.max() == 0
        assert p.bbox_px() == pytest.approx(tuple(p.box_xyxy_px))
    # the track seen throughout is left alone; the input frames are not changed
    assert all(sum(q.track_id == 2 for q in f.persons) == 1 for f in out)
    assert all(q.landmarks_source == "mediapipe" for f in frames for q in f.persons)


def test_longer_gaps_ends_of_tracks_and_a_zero_limit_are_not_filled():
    frames = _frames({1: [*range(0, 10), *range(21, 30)], 3: list(range(5, 12))})
    out = fill_gaps(frames, GapSettings(max_gap_s=1.0))   # a 1.2 s gap; track 3 simply ends
    assert sum(q.landmarks_source == INTERPOLATED for f in out for q in f.persons) == 0
    short = _frames({1: [*range(0, 10), *range(13, 30)]})
    assert sum(len(f.persons) for f in fill_gaps(short, GapSettings(max_gap_s=0.0))) == 27


def test_frames_are_held_back_by_the_limit_and_flushed_at_the_end():
    filler = GapFiller(GapSettings(max_gap_s=0.5))
    released = []
    frames = _frames({1: [0, 1, 2, 6, 7]}, n=10)
    for f in frames[:7]:
        released += filler.push(f)
    # frames older than the newest (0.6 s) by more than 0.5 s are final: 0.0 s only
    assert [f.frame_index for f in released] == [0]
    rest = filler.flush()
    assert [f.frame_index for f in released + rest] == list(range(7))
    filled = [f.frame_index for f in released + rest for q in f.persons if q.landmarks_source == INTERPOLATED]
    assert filled == [3, 4, 5] and filler.filled == 3


def test_the_role_and_station_of_the_nearer_end_and_no_floor_without_both_ends():
    a = _person(4, 100, role="other", floor_x=None)
    b = _person(4, 200, role="clerk")
    b.station = "A"
    frames = [FramePoses(0, 0.0, 640, 480, [a]), FramePoses(1, 0.1, 640, 480, []),
              FramePoses(2, 0.2, 640, 480, []), FramePoses(3, 0.3, 640, 480, []), FramePoses(4, 0.4, 640, 480, [b])]
    out = fill_gaps(frames, GapSettings(max_gap_s=1.0))
    got = [(q.role, q.station, q.floor_xy_m, q.floor_source) for f in out[1:4] for q in f.persons]
    assert got == [("other", None, None, ""), ("other", None, None, ""), ("clerk", "A", None, "")]


def test_no_frame_is_filled_where_the_box_would_lie_on_somebody_seen_there():
    frames = _frames({1: [0, 1, 2, 6, 7]}, n=8)
    # somebody else seen at frame 4 exactly where track 1 is filled in (hidden behind them), at frame 5 beside it
    frames[4].persons.append(_person(9, 100 + 10 * 4))
    frames[5].persons.append(_person(9, 100 + 10 * 5 + 60))
    out = fill_gaps(frames, GapSettings(max_gap_s=1.0, max_overlap_iou=0.7))
    filled = [f.frame_index for f in out for q in f.persons if q.landmarks_source == INTERPOLATED]
    assert filled == [3, 5]


def test_settings_are_validated():
    with pytest.raises(ValueError, match="max_gap_s"):
        GapSettings(max_gap_s=-1)
    with pytest.raises(ValueError, match="max_overlap_iou"):
        GapSettings(max_overlap_iou=0.0)
