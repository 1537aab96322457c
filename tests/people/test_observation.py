"""A person's clothes colours (for identity): sampled from their torso without whoever stands in front of them; a
detection merged into the posed person it shows, and a station search's detection told from people already seen."""

from __future__ import annotations

import numpy as np
import pytest

from etiquette_cv.people.boxes import iou
from etiquette_cv.people.observation import (Observation, appearance_histogram, body_box, merge_detections,
                                             seen_again)


def _person(box) -> Observation:
    """An observation with only its box known (the torso is then the box's middle band)."""
    return Observation(np.asarray(box, float), 0.9, np.zeros((33, 2)), np.zeros(33))


def _scene(blue_paint: bool = True):
    """Red person (behind: feet at y 400) at x 100-300, torso band x 160-240; blue person in front (feet at y 450)
    at x 220-320, covering a quarter of red's torso band."""
    img = np.zeros((480, 640, 3), np.uint8)
    img[:, 100:300] = (0, 0, 255)
    if blue_paint:
        img[:, 220:320] = (255, 0, 0)
    return img, _person([100, 100, 300, 400]), _person([220, 150, 320, 450])


def test_the_person_behind_keeps_the_colours_of_their_uncovered_part():
    img, red, blue = _scene()
    h_red = appearance_histogram(img, red, [red, blue], 0.05, 0.3)
    h_blue = appearance_histogram(img, blue, [red, blue], 0.05, 0.3)
    alone = appearance_histogram(_scene(blue_paint=False)[0], red, [red], 0.05, 0.3)
    mixed = appearance_histogram(img, red, [red], 0.05, 0.3)      # blind to the person in front
    assert h_red is not None and h_blue is not None
    assert np.allclose(h_red, alone)                 # only red pixels: the front person's box is left out
    assert not np.allclose(mixed, alone)
    assert np.argmax(h_red) != np.argmax(h_blue)


def test_a_person_mostly_hidden_by_somebody_in_front_has_no_colours():
    img, red, _ = _scene()
    front = _person([150, 120, 260, 460])            # covers all of red's torso band (x 160-240)
    assert appearance_histogram(img, red, [red, front], 0.05, 0.3) is None
    assert appearance_histogram(img, red, [red, front], 0.05, 0.3, min_clear=0.0) is not None


def _upper_body(box, shift_px=0.0, points=True, owner=None, score=0.5) -> Observation:
    """A person whose points sit across the top fifth of ``box``, moved down by ``shift_px``."""
    box = np.asarray(box, np.float32)
    xy = np.zeros((33, 2), np.float32)
    xy[:, 0] = np.linspace(box[0] + 10, box[2] - 10, 33)
    xy[:, 1] = box[1] + 0.2 * (box[3] - box[1]) + shift_px
    return Observation(box, score, xy, np.full(33, 0.9 if points else 0.0, np.float32), owner=owner)


def test_a_posed_person_takes_one_detection_and_a_second_person_over_them_keeps_theirs():
    """Tuning t118: a customer's landmarks spanning their own body and the clerk's head above them; the customer's
    detection and the clerk's both overlap that outline at IoU >= 0.5. Whatever the detector's order, the
    better-overlapping one is merged; the clerk's stays a person of its own (the first one listed used to take the
    customer's place)."""
    posed = _upper_body([600, 35, 700, 350], owner=7, points=False)
    customer = _upper_body([605, 82, 705, 345], points=False, score=0.4)
    clerk = _upper_body([600, 35, 700, 215], points=False, score=0.45)
    out = merge_detections([posed], [clerk, customer], 0.5, 0.15)
    assert len(out) == 2 and out[0] is posed
    assert posed.box.tolist() == customer.box.tolist() and posed.score == pytest.approx(0.5) and posed.detected
    assert out[1] is clerk and clerk.owner is None and clerk.detected


def test_a_detection_of_nobody_posed_is_a_new_observation_and_one_of_a_posed_person_merges_by_keypoints():
    posed = _upper_body([100, 100, 200, 400], owner=3, score=0.3)
    # the detector's box reaches further (an arm out, a bag), at IoU < 0.5; its points lie on the same body
    moved = Observation(np.array([60, 40, 260, 420], np.float32), 0.8, posed.xy + 4.0, posed.point_score.copy())
    other = _upper_body([600, 100, 700, 400])
    assert iou(posed.box, moved.box) < 0.5
    out = merge_detections([posed], [other, moved], 0.5, 0.15)
    assert out == [posed, other] and posed.score == pytest.approx(0.8) and posed.box.tolist() == moved.box.tolist()


def test_a_station_search_tells_a_second_person_from_one_already_seen_by_their_upper_bodies():
    seen = _upper_body([624, 84, 702, 341], owner=2)
    again = _upper_body([623, 86, 703, 291], shift_px=3.0)       # the same customer, legs cut by the crop
    behind = _upper_body([618, 32, 696, 245], shift_px=-60.0)    # the clerk's head and shoulders above them
    assert iou(behind.box, seen.box) > 0.3                       # the boxes alone would call them one person
    assert seen_again(again, seen, 0.15, 0.3)
    assert not seen_again(behind, seen, 0.15, 0.3)
    blind = _upper_body([618, 32, 696, 245], points=False)       # no keypoints to tell: the boxes decide
    assert seen_again(blind, seen, 0.15, 0.3)


def test_the_body_box_leaves_out_an_arm_held_out_to_somebody():
    """Standing person, trunk and legs at x 190-210, right arm stretched to x 330 (a handshake): the body box ends
    just beyond the trunk (8 % of the 300 px height), the full box reaches the hand."""
    xy = np.zeros((33, 2))
    xy[:, 0], xy[:, 1] = 200.0, np.linspace(100, 400, 33)
    xy[[11, 23, 25, 27]] += (-10, 0)
    xy[[12, 24, 26, 28]] += (10, 0)
    xy[[14, 16, 18, 20, 22], 0] = [260, 330, 335, 335, 330]
    o = Observation(np.array([185.0, 100.0, 340.0, 400.0]), 0.9, xy, np.ones(33))
    box = body_box(o, 0.3)
    assert box[0] == pytest.approx(185.0) and box[2] == pytest.approx(210 + 0.08 * 300)
    assert (box[1], box[3]) == (100.0, 400.0)
    unseen = Observation(o.box, 0.9, xy, np.zeros(33))
    assert np.allclose(body_box(unseen, 0.3), o.box)   # too few points seen: the whole box
