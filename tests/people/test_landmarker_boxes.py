"""A posed person's image box is their outline, not the box of their joint centres."""

from __future__ import annotations

import numpy as np
import pytest

from etiquette_cv.core import NUM_LANDMARKS
from etiquette_cv.people.landmarker import CROWN_ABOVE_NOSE, SHOULDER_FLESH, LandmarkResult


def _upright_person(nose_y=100.0, shoulder_y=140.0, shoulder_half_w=30.0, hips_y=240.0) -> LandmarkResult:
    xy = np.zeros((NUM_LANDMARKS, 2), np.float32)
    xy[:] = (200.0, hips_y)  # everything else at the hips' height: the box's bottom
    xy[0] = (200.0, nose_y)
    xy[11], xy[12] = (200.0 + shoulder_half_w, shoulder_y), (200.0 - shoulder_half_w, shoulder_y)
    ones = np.ones(NUM_LANDMARKS, np.float32)
    return LandmarkResult(xy, np.zeros(NUM_LANDMARKS, np.float32), np.zeros((NUM_LANDMARKS, 3), np.float32),
                          ones, ones.copy())


def test_outline_reaches_the_crown_and_the_shoulders_flesh():
    res = _upright_person()
    joints = res.box_xyxy_px()
    outline = res.outline_box_xyxy_px()
    assert joints[1] == pytest.approx(100.0)  # the nose: the joint box stops at the face
    assert outline[1] == pytest.approx(100.0 - CROWN_ABOVE_NOSE * 40.0)
    assert outline[0] == pytest.approx(170.0 - SHOULDER_FLESH * 60.0)
    assert outline[2] == pytest.approx(230.0 + SHOULDER_FLESH * 60.0)
    assert outline[3] == pytest.approx(joints[3])


def test_outline_is_the_joint_box_when_the_head_or_shoulders_are_not_present():
    res = _upright_person()
    res.presence[0] = 0.0
    np.testing.assert_allclose(res.outline_box_xyxy_px(), res.box_xyxy_px())
