"""The box the tracks file records for a landmarker's person between the detector's runs
(``PeopleStage._note_detector_offsets`` and ``_reported_box``): the landmarks' outline moved as far as it lay off the
person's detector box at the detector's last run."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from etiquette_cv.core import NUM_LANDMARKS
from etiquette_cv.people.landmarker import LandmarkResult
from etiquette_cv.people.observation import Observation
from etiquette_cv.people.placing import TrackState

H = 720   # the frame height of the bare people stage (tests/conftest.py)


def _landmarks(dx: float = 0.0) -> LandmarkResult:
    """Head and shoulders of a seated person seen from behind at the frame's bottom edge (t120's clerk, pixels)."""
    xy = np.full((NUM_LANDMARKS, 2), (1025.0 + dx, 675.0), np.float32)
    xy[0] = (1025.0 + dx, 600.0)
    xy[11], xy[12] = (1085.0 + dx, 640.0), (965.0 + dx, 640.0)
    ones = np.ones(NUM_LANDMARKS, np.float32)
    return LandmarkResult(xy, np.zeros(NUM_LANDMARKS, np.float32), np.zeros((NUM_LANDMARKS, 3), np.float32),
                          ones, ones.copy())


def _posed(res: LandmarkResult, owner: int) -> Observation:
    return Observation(res.outline_box_xyxy_px(), 0.9, res.image_xy_px, np.ones(NUM_LANDMARKS, np.float32), owner,
                       res)


def _detection(box) -> Observation:
    o = Observation(np.asarray(box, np.float32), 0.35, np.zeros((33, 2), np.float32), np.zeros(33, np.float32))
    o.detected = True
    return o


@pytest.fixture(scope="module")
def stage(bare_people_stage):
    return bare_people_stage   # 1280 × 720, no calibration (tests/conftest.py)


@pytest.fixture
def clerk(stage, monkeypatch):
    monkeypatch.setattr(stage, "_tracks", {7: TrackState(7)})
    return stage, stage._tracks[7]


DETECTOR_BOX = (922.0, 531.0, 1143.0, 720.0)


def test_an_unmerged_detection_holding_the_outline_gives_the_box_until_the_next_runs(clerk):
    stage, track = clerk
    posed = _posed(_landmarks(), 7)
    stage._note_detector_offsets([posed, _detection(DETECTOR_BOX)], np.array([7, 0]), 3.0)
    np.testing.assert_allclose(track.detector_offset_px, np.subtract(DETECTOR_BOX, posed.box), atol=1e-3)
    # on the next frame the person moved 10 px to the right: the box moves with her outline, clipped to the frame
    moved = _posed(_landmarks(10.0), 7)
    got = stage._reported_box(moved, track, 3.1)
    np.testing.assert_allclose(got, [932.0, 531.0, 1153.0, H - 0.5], atol=1e-3)
    # the offset is forgotten once the last run is too old, and a detection's own box is reported as it is
    assert stage.config.detector_box_offset_s < 1.0
    np.testing.assert_allclose(stage._reported_box(moved, track, 4.0), moved.box)
    merged = _posed(_landmarks(), 7)
    merged.detected, merged.box = True, np.asarray(DETECTOR_BOX, np.float32)
    np.testing.assert_allclose(stage._reported_box(merged, track, 3.1), DETECTOR_BOX)


def test_a_detection_taken_by_another_track_or_not_holding_the_outline_gives_nothing(clerk):
    stage, track = clerk
    posed = _posed(_landmarks(), 7)
    stage._note_detector_offsets([posed, _detection(DETECTOR_BOX)], np.array([7, 9]), 3.0)  # the other's
    assert track.detector_offset_px is None
    beside = (1000.0, 531.0, 1221.0, 720.0)   # holds under 0.9 of the outline
    stage._note_detector_offsets([posed, _detection(beside)], np.array([7, 0]), 3.0)
    assert track.detector_offset_px is None
    np.testing.assert_allclose(stage._reported_box(_posed(_landmarks(), 7), track, 3.1), posed.box)


def test_the_offset_is_off_at_zero_seconds(stage, monkeypatch):
    monkeypatch.setattr(stage, "config", replace(stage.config, detector_box_offset_s=0.0))
    track = TrackState(7, detector_offset_px=np.array([-50.0, -30.0, 40.0, 45.0], np.float32), detector_offset_s=3.0)
    posed = _posed(_landmarks(), 7)
    np.testing.assert_allclose(stage._reported_box(posed, track, 3.1), posed.box)


def test_an_outline_that_changed_size_since_the_run_is_reported_as_it_is(clerk):
    """A landmarker taking turns between two poses widens and narrows the outline by a third from frame to frame
    (tuning t102, t104): the offset measured on one does not fit the other."""
    stage, track = clerk
    stage._note_detector_offsets([_posed(_landmarks(), 7), _detection(DETECTOR_BOX)], np.array([7, 0]), 3.0)
    narrow = _landmarks()
    narrow.image_xy_px[11, 0], narrow.image_xy_px[12, 0] = 1065.0, 985.0   # shoulders a third closer
    posed = _posed(narrow, 7)
    np.testing.assert_allclose(stage._reported_box(posed, track, 3.1), posed.box)
    assert stage._reported_box(_posed(_landmarks(), 7), track, 3.1)[0] == pytest.approx(DETECTOR_BOX[0])
