"""When a person's landmarker is closed and when they get a new one (``PeopleStage._retire``): a landmarker that
keeps finding nobody is closed, and its person is posed again ``reopen_after_misses_s`` later."""

from __future__ import annotations

import numpy as np
import pytest

from etiquette_cv.people.config import PeopleConfig
from etiquette_cv.people.placing import TrackState

W, H = 1280, 720


class _Landmarker:
    """Stands in for a TrackLandmarker (closing it is all the stage does here)."""

    restarts = 0

    def close(self):
        pass


@pytest.fixture(scope="module")
def stage(bare_people_stage):
    return bare_people_stage   # 1280 × 720, no calibration (tests/conftest.py)


def test_a_person_whose_landmarker_kept_missing_is_posed_again_later(stage, monkeypatch):
    """Before, the misses stayed on the track when its landmarker closed: every landmarker opened for that person
    afterwards was closed on its first frame, and a clerk who lost her landmarks once was not posed again for the
    rest of her track (on a camera day, for hours)."""
    monkeypatch.setattr(stage, "_tracks", {})
    monkeypatch.setattr(stage.identity, "alive_ids", lambda: {1})
    clerk = stage._tracks[1] = TrackState(1, role="clerk", station="A", box=np.array([0, 0, 50, 100], np.float32),
                                          last_seen_s=30.0)
    clerk.landmarker, clerk.misses = _Landmarker(), stage.config.landmarker_patience
    stage._retire(30.0)
    assert clerk.landmarker is None and clerk.misses == 0
    later = 30.0 + stage.config.reopen_after_misses_s
    assert not stage._wants_landmarker(clerk, later - 0.5)
    assert stage._wants_landmarker(clerk, later + 0.1)
    clerk.landmarker, clerk.last_seen_s = _Landmarker(), later + 0.1   # a new one, its first frame: kept
    stage._retire(later + 0.1)
    assert clerk.landmarker is not None


def test_a_landmarker_closed_for_another_reason_is_reopened_sooner(stage, monkeypatch):
    monkeypatch.setattr(stage, "_tracks", {})
    monkeypatch.setattr(stage.identity, "alive_ids", lambda: {1})
    passer = stage._tracks[1] = TrackState(1, role="other", box=np.array([0, 0, 50, 100], np.float32),
                                           last_seen_s=30.0)
    passer.landmarker = _Landmarker()
    stage._retire(30.0)                                   # not a role that is posed
    assert passer.landmarker is None and passer.no_landmarker_until_s == pytest.approx(32.0)


def test_the_reopening_delay_is_validated():
    with pytest.raises(ValueError, match="reopen_after_misses_s"):
        PeopleConfig(reopen_after_misses_s=-1.0)
