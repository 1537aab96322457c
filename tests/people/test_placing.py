"""What the people stage remembers of a tracked person between frames (:mod:`etiquette_cv.people.placing`)."""

from __future__ import annotations

import numpy as np
import pytest

from etiquette_cv.core import NUM_LANDMARKS
from etiquette_cv.people.config import PeopleConfig
from etiquette_cv.people.observation import Observation
from etiquette_cv.people.placing import FloorPlacer, TrackState


def test_one_frame_of_invented_feet_does_not_set_the_hip_height():
    """Tuning t108: a customer half hidden by another; MediaPipe invented her feet on one frame and the hip height
    measured from them put her later floor points (placed by the hips) 0.5-0.9 m off. The median of the last few
    measurements ignores one such frame, and follows a real change (sitting down) within a few frames."""
    track = TrackState(1)
    for z in (0.92, 0.90, 0.91, 0.93):
        track.note_hip_height(z, keep=5)
    track.note_hip_height(0.55, keep=5)          # invented feet
    assert track.hip_height_m == pytest.approx(0.91)
    for _ in range(3):
        track.note_hip_height(0.50, keep=5)      # sat down
    assert track.hip_height_m == pytest.approx(0.50)
    assert len(track.hip_heights_m) == 5
    track.forget_hip_height()
    assert track.hip_height_m is None and track.hip_heights_m == []


def test_the_last_measurement_alone_with_a_memory_of_one():
    track = TrackState(1)
    track.note_hip_height(0.9, keep=1)
    track.note_hip_height(0.6, keep=1)
    assert track.hip_height_m == pytest.approx(0.6)


def test_a_clerks_own_landmarker_is_associated_at_her_station_until_her_role_moves():
    """Tuning t110 (side view): the invented feet of a clerk standing up at station A drifted onto station B in four
    frames, and station B's clerk took her landmarker. Her own landmarker's result is associated at her track's
    station; a detection nobody owns, and a clerk whose role has moved to B, at the place's."""
    clerk = TrackState(1, role="clerk", station="A")
    placer = FloorPlacer(None, PeopleConfig(), {1: clerk})

    def seen(owner, place):
        o = Observation(np.array([0, 0, 10, 10], np.float32), 0.9, np.zeros((NUM_LANDMARKS, 2), np.float32),
                        np.zeros(NUM_LANDMARKS, np.float32), owner=owner)
        o.place = place
        return o

    assert placer.association_station(seen(1, ("clerk", "B"))) == "A"
    assert placer.association_station(seen(None, ("clerk", "B"))) == "B"
    assert placer.association_station(seen(1, ("customer", None))) is None
    clerk.station = "B"
    assert placer.association_station(seen(1, ("clerk", "B"))) == "B"
