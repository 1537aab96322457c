"""The search for a person the whole-frame detector lost (``PeopleStage._search_lost``), with a scripted detector:
who is searched, where, and which detection is taken for them."""

from __future__ import annotations

import numpy as np
import pytest

from etiquette_cv.core import Frame
from etiquette_cv.people.config import PeopleConfig
from etiquette_cv.people.detector import NUM_KEYPOINTS, PersonDetections
from etiquette_cv.people.observation import Observation
from etiquette_cv.people.placing import TrackState

W, H = 1280, 720


def _detections(*boxes_scores) -> PersonDetections:
    boxes = np.array([b for b, _ in boxes_scores], float).reshape(-1, 4)
    kp = np.zeros((len(boxes), NUM_KEYPOINTS, 2))
    return PersonDetections(boxes, np.array([s for _, s in boxes_scores], float), kp,
                            np.zeros((len(boxes), NUM_KEYPOINTS)))


def _seen(box) -> Observation:
    return Observation(np.asarray(box, np.float32), 0.8, np.zeros((33, 2), np.float32), np.zeros(33, np.float32))


@pytest.fixture(scope="module")
def stage(bare_people_stage):
    return bare_people_stage   # 1280 × 720, no calibration (tests/conftest.py)


@pytest.fixture
def scripted(stage, monkeypatch):
    """The stage with its tracks emptied and a detector that records each ROI and answers from ``answers``."""
    calls, answers = [], []

    def detect(frame, roi_xywh=None, long_side_px=None):
        calls.append((roi_xywh, long_side_px))
        return answers.pop(0) if answers else PersonDetections.empty()

    monkeypatch.setattr(stage, "_detect", detect)
    monkeypatch.setattr(stage, "_tracks", {})
    return stage, calls, answers


def _lost(stage, tid: int, box, last_seen_s: float) -> TrackState:
    track = stage._tracks[tid] = TrackState(tid)
    track.box, track.last_seen_s = np.asarray(box, np.float32), last_seen_s
    return track


FRAME = Frame(0, 10.0, np.zeros((H, W, 3), np.uint8))


def test_a_person_lost_a_moment_ago_is_searched_around_their_last_box(scripted):
    stage, calls, answers = scripted
    _lost(stage, 7, [560, 50, 690, 490], 9.8)
    answers.append(_detections(([700, 60, 800, 400], 0.6), ([555, 55, 690, 300], 0.47)))
    found = stage._search_lost(FRAME, [_seen([760, 130, 1010, 715])])
    assert len(calls) == 1
    (x, y, w, h), size = calls[0]
    # the last box (130 x 440 px) grown by a quarter of its size on every side, clipped to the frame
    assert (x, y, w, h) == pytest.approx((527.5, 0.0, 195.0, 600.0)) and size == 384
    # of the two detections only the one overlapping her last box by IoU >= 0.3 is her
    assert len(found) == 1 and found[0].detected
    assert found[0].box.tolist() == pytest.approx([555, 55, 690, 300])


def test_nobody_found_on_the_crop_gives_no_observation(scripted):
    stage, calls, _ = scripted
    _lost(stage, 7, [560, 50, 690, 490], 9.8)
    assert stage._search_lost(FRAME, []) == [] and len(calls) == 1


def test_people_seen_now_or_lost_too_long_ago_are_not_searched(scripted):
    stage, calls, _ = scripted
    _lost(stage, 1, [100, 100, 200, 400], 9.7)             # seen: an observation overlaps her last box
    _lost(stage, 2, [400, 100, 500, 400], 9.7)             # seen: her own landmarker's observation
    _lost(stage, 3, [700, 100, 800, 400], 10.0 - PeopleConfig().tracking.lost_s - 0.1)   # lost too long ago
    own = _seen([420, 300, 480, 420])
    own.owner = 2
    assert stage._search_lost(FRAME, [_seen([105, 110, 205, 400]), own]) == []
    assert calls == []


def test_a_person_hidden_behind_somebody_seen_now_is_not_searched(scripted):
    """Tuning scene clip s308: a waiting customer walked in front of the one at the counter; a search around the
    hidden one's last box found the one in front, whose id the hidden one's track then took."""
    stage, calls, answers = scripted
    _lost(stage, 3, [511, 179, 547, 289], 9.9)
    answers.append(_detections(([520, 186, 554, 305], 0.3)))
    assert stage._search_lost(FRAME, [_seen([482, 185, 605, 344])]) == [] and calls == []


def test_a_detection_of_somebody_already_seen_is_not_taken_for_the_lost_person(scripted):
    stage, calls, answers = scripted
    _lost(stage, 5, [300, 100, 420, 500], 9.9)
    # somebody else stands beside where she stood (their boxes at IoU 0.2); the crop's one detection overlaps her
    # last box (IoU 0.5) but is that other person (IoU 0.5 with their box, no keypoints to tell them apart)
    answers.append(_detections(([340, 100, 460, 500], 0.7)))
    seen = _seen([380, 100, 500, 500])
    assert stage._search_lost(FRAME, [seen]) == [] and len(calls) == 1


def test_the_search_can_be_switched_off(scripted, monkeypatch):
    stage, calls, _ = scripted
    monkeypatch.setattr(stage, "config", PeopleConfig(lost_detector_long_side_px=0, threads=1))
    _lost(stage, 7, [560, 50, 690, 490], 9.8)
    assert stage._search_lost(FRAME, []) == [] and calls == []
