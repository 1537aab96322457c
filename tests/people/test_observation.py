"""A person's clothes colours (for identity): sampled from their torso without whoever stands in front of them."""

from __future__ import annotations

import numpy as np

from etiquette_cv.people.observation import Observation, appearance_histogram


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
