"""A landmarker's crop with the people beside its own person greyed out."""

from __future__ import annotations

import numpy as np

from etiquette_cv.people.landmarker import grey_out


def test_others_are_greyed_except_where_they_overlap_the_own_box():
    image = np.full((100, 200, 3), 7, np.uint8)
    crop = image[10:90, 20:180]                    # the crop's top-left pixel is frame pixel (20, 10)
    other = np.array([100.0, 0.0, 199.0, 99.0])     # somebody on the right
    own = np.array([40.0, 20.0, 120.0, 80.0])       # own person, reaching into the other's box up to x 120
    out = grey_out(crop, (20, 10), [other], own)
    assert out is not crop and np.all(crop == 7)    # the frame itself is untouched
    assert np.all(out[:, 100:] == 128)              # frame x >= 120: greyed
    assert np.all(out[10:70, 80:100] == 7)          # frame x 100-119, y 20-79: inside the own box, kept
    assert np.all(out[:, :80] == 7)                 # left of the other's box: kept
    assert np.all(out[0:10, 80:100] == 128)         # the other's box above the own box: greyed


def test_a_crop_nobody_else_reaches_is_returned_as_it_is():
    crop = np.zeros((50, 50, 3), np.uint8)
    assert grey_out(crop, (0, 0), [np.array([60.0, 0.0, 90.0, 40.0])], np.array([5.0, 5.0, 40.0, 40.0])) is crop
    assert grey_out(crop, (0, 0), [], np.array([5.0, 5.0, 40.0, 40.0])) is crop
