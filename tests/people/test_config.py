"""PeopleConfig validates its settings on construction."""

from __future__ import annotations

import pytest

from etiquette_cv.people.config import PeopleConfig


@pytest.mark.parametrize("bad", [dict(lost_detector_long_side_px=-1), dict(lost_search_margin=-0.1),
                                 dict(lost_search_margin=2.5), dict(lost_search_iou=0.0),
                                 dict(lost_search_iou=1.2), dict(lost_hidden_inside=0.0), dict(grey_others="sometimes"),
                                 dict(hip_height_samples=0), dict(malloc_arenas=-1),
                                 dict(clerk_own_box_iou=0.0), dict(detector_box_offset_s=-0.1),
                                 dict(detector_box_offset_max_change=-0.1)])
def test_out_of_range_settings_are_refused(bad):
    with pytest.raises(ValueError, match=next(iter(bad))):
        PeopleConfig(**bad)


def test_the_lost_person_search_can_be_switched_off():
    assert PeopleConfig(lost_detector_long_side_px=0).lost_detector_long_side_px == 0
    assert PeopleConfig().lost_detector_long_side_px > 0
