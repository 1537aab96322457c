"""Overlap of image boxes: IoU, and how much of the smaller box lies inside the other."""

from __future__ import annotations

import numpy as np
import pytest

from etiquette_cv.people.boxes import contained_fraction, inside_fraction, iou, iou_matrix


def test_iou_of_boxes():
    a = np.array([0, 0, 10, 10])
    assert iou(a, a) == pytest.approx(1.0)
    assert iou(a, np.array([5, 0, 15, 10])) == pytest.approx(50 / 150)
    assert iou(a, np.array([20, 20, 30, 30])) == 0.0
    assert iou_matrix(np.zeros((0, 4)), a[None]).shape == (0, 1)


def test_a_box_inside_a_larger_one_is_contained_whatever_the_iou():
    """A far person's landmark box (60 x 104 px) inside the detector's box of them (104 x 157 px): IoU 0.38, but
    all of the smaller box lies inside the larger; half outside, a half."""
    landmarks, detector = np.array([903, 40, 963, 144]), np.array([875, 3, 979, 160])
    assert iou(landmarks, detector) < 0.5
    assert contained_fraction(landmarks, detector) == pytest.approx(1.0)
    assert contained_fraction(detector, landmarks) == pytest.approx(1.0)
    assert contained_fraction(np.array([0, 0, 10, 10]), np.array([5, 0, 100, 100])) == pytest.approx(0.5)
    assert contained_fraction(np.array([0, 0, 10, 10]), np.array([20, 0, 30, 10])) == 0.0
    assert contained_fraction(np.array([0, 0, 0, 10]), np.array([0, 0, 10, 10])) == 0.0   # an empty box


def test_inside_fraction_is_the_share_of_the_first_box_inside_the_second():
    a, b = np.array([0, 0, 10, 10]), np.array([5, 0, 105, 100])
    assert inside_fraction(a, b) == pytest.approx(0.5)
    assert inside_fraction(b, a) == pytest.approx(50 / 10000)
    assert inside_fraction(np.array([3, 3, 3, 9]), b) == 0.0
