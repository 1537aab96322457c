"""A line marked on the floor, given by its two ends in the image."""

from __future__ import annotations

import numpy as np
import pytest

from etiquette_cv.geometry.image_line import ImageLine, parse_image_line


def test_signed_distance_is_positive_on_the_left_of_the_line_walked_from_its_first_end():
    line = parse_image_line("100, 400, 900, 400")
    d = line.signed_distance_px(np.array([[500, 380], [500, 430], [0, 400]]))
    assert d.tolist() == pytest.approx([20.0, -30.0, 0.0])


@pytest.mark.parametrize("text, why", [("1,2,3", "x1,y1,x2,y2"), ("a,b,c,d", "must be numbers"),
                                       ("5,5,6,6", "px apart"), ("nan,1,2,3", "finite")])
def test_a_bad_line_is_a_one_line_error_naming_the_option(text, why):
    with pytest.raises(ValueError, match=why) as err:
        parse_image_line(text)
    assert str(err.value).startswith("--cue-line") and "\n" not in str(err.value)


def test_the_line_needs_two_distinct_finite_ends():
    with pytest.raises(ValueError):
        ImageLine((0.0, 0.0), (3.0, 4.0))
