"""Fixtures shared by the people stage's tests."""

from __future__ import annotations

import pytest

from etiquette_cv.people.config import PeopleConfig
from etiquette_cv.people.stage import PeopleStage

FRAME_W, FRAME_H = 1280, 720


@pytest.fixture(scope="module")
def stage():
    """A people stage for 1280 × 720 frames without a calibration, on one thread (one per test module; tests empty
    its tracks or script its detector with monkeypatch)."""
    with PeopleStage(FRAME_W, FRAME_H, 10.0, floor=None, config=PeopleConfig(threads=1)) as s:
        yield s
