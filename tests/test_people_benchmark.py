"""The people benchmark's identity count (benchmarks/people.py): CLEAR MOT's matching, not each frame on its own."""

import importlib.util
import sys
from pathlib import Path

import pytest

pytest.importorskip("motmetrics")

_PATH = Path(__file__).resolve().parents[1] / "benchmarks" / "people.py"
_spec = importlib.util.spec_from_file_location("people_benchmark", _PATH)
people_benchmark = importlib.util.module_from_spec(_spec)
sys.modules[_spec.name] = people_benchmark  # its dataclasses look their module up
_spec.loader.exec_module(people_benchmark)

A, B = [0, 0, 100, 200], [40, 0, 140, 200]


def _frame(index, tracks):
    """One frame of two truth people A and B with the given (track id, box) pairs."""
    return index, ["A", "B"], [A, B], [t for t, _ in tracks], [b for _, b in tracks]


def _per_frame_switches(frames):
    """The count the benchmark made before: each frame matched on its own (match_frame)."""
    last, n = {}, 0
    for _, pids, truth_boxes, tids, boxes in frames:

        class Found:  # the attributes match_frame reads of a found person
            def __init__(self, box):
                self.box_xyxy_px = box

        match = people_benchmark.match_frame(truth_boxes, [Found(b) for b in boxes])
        for i, j in match.items():
            n += int(pids[i] in last and last[pids[i]] != tids[j])
            last[pids[i]] = tids[j]
    return n


def test_overlapping_boxes_that_keep_their_people_are_no_switch():
    # in frame 1 both tracks' boxes slide towards the other person: the frame alone matches them crosswise (IoU
    # 0.9 each against 0.48), but each still overlaps its own person by IoU >= 0.3
    frames = [_frame(0, [(1, A), (2, B)]),
              _frame(1, [(1, [35, 0, 135, 200]), (2, [5, 0, 105, 200])]),
              _frame(2, [(1, A), (2, B)])]
    assert _per_frame_switches(frames) == 4
    assert people_benchmark.clear_mot_switches(frames) == []


def test_tracks_that_exchange_people_are_two_switches():
    far_b = [300, 0, 400, 200]
    frames = [(0, ["A", "B"], [A, far_b], [1, 2], [A, far_b]),
              (1, ["A", "B"], [A, far_b], [1, 2], [far_b, A]),
              (2, ["A", "B"], [A, far_b], [1, 2], [far_b, A])]
    assert sorted(people_benchmark.clear_mot_switches(frames)) == [(1, "A", 0), (1, "B", 0)]


def test_a_switch_after_a_gap_names_the_last_matched_frame():
    frames = [(0, ["A"], [A], [1], [A]),
              (1, ["A"], [A], [], []),
              (2, ["A"], [A], [], []),
              (3, ["A"], [A], [7], [A])]
    assert people_benchmark.clear_mot_switches(frames) == [(3, "A", 0)]


def test_idf1_counts_each_person_on_their_one_track():
    # A found on track 1 for 3 frames, then on track 2 for 1 frame; B on track 3 throughout, missed once
    far_b = [300, 0, 400, 200]
    frames = [(0, ["A", "B"], [A, far_b], [1, 3], [A, far_b]),
              (1, ["A", "B"], [A, far_b], [1, 3], [A, far_b]),
              (2, ["A", "B"], [A, far_b], [1], [A]),
              (3, ["A", "B"], [A, far_b], [2, 3], [A, far_b])]
    idtp, idfp, idfn = people_benchmark.identity_counts(frames)
    # A's own track is 1 (3 frames): frame 3 on track 2 is an IDFN for A and an IDFP for track 2; B missed once
    assert (idtp, idfp, idfn) == (6, 1, 2)
