"""The adaptive analysis rate on synthetic frames and people: quiet scenes are sampled sparsely, arrivals, a clerk
rising and customers near the counter bring the full rate back at once."""

from __future__ import annotations

import numpy as np
import pytest

from etiquette_cv.core import NUM_LANDMARKS, FramePoses, PersonPose
from etiquette_cv.people.rate import AnalysisRate, RateSettings
from geometry.test_geometry import CAMERAS, H, W, body_points, truth_camera
from people.test_floor import floor_model

CAM = truth_camera(*CAMERAS[0])
FLOOR = floor_model(CAM)


def person(role: str, xy: tuple[float, float], sitting: bool = False, facing: float = 90.0) -> PersonPose:
    """A person as the people stage reports them: landmarks projected by the camera, a box around them."""
    px = CAM.project(body_points(*xy, facing, sitting=sitting))
    box = np.array([*px.min(axis=0), *px.max(axis=0)], np.float32)
    ones = np.ones(NUM_LANDMARKS)
    return PersonPose(1, role, px, np.zeros(NUM_LANDMARKS), np.zeros((NUM_LANDMARKS, 3)), ones, ones,
                      station="A" if role == "clerk" else None, floor_xy_m=np.array(xy, np.float32),
                      box_xyxy_px=box)


def scene() -> np.ndarray:
    rng = np.random.default_rng(0)
    return rng.integers(90, 110, (H, W, 3), dtype=np.uint8)


def run(rate: AnalysisRate, frames: list[np.ndarray], people: list[PersonPose]) -> list[bool]:
    out = []
    for i, img in enumerate(frames):
        a = rate.should_analyse(img, i * 0.1)
        if a:
            rate.observe(img, FramePoses(i, i * 0.1, W, H, people))
        out.append(a)
    return out


def test_a_seated_clerk_alone_is_analysed_one_frame_in_n():
    rate = AnalysisRate(W, H, FLOOR, RateSettings(quiet_every_n=4))
    decisions = run(rate, [scene()] * 41, [person("clerk", (-1.2, -0.75), sitting=True)])
    assert decisions[0] and sum(decisions) == 1 + 40 // 4
    assert rate.stats.analysed_share == pytest.approx(11 / 41)


def test_only_frames_chosen_at_the_quiet_rate_are_quiet():
    """The people stage's detector may rest on frames the rate chose one in n (nothing happening): not on the first,
    not on a frame motion chose or within its hold, never at quiet_every 1."""
    clerk = person("clerk", (-1.2, -0.75), sitting=True)
    base = scene()
    moved = base.copy()
    moved[600:700, 1100:1180] = 250   # somebody arriving far from the clerk
    rate = AnalysisRate(W, H, FLOOR, RateSettings(quiet_every_n=4, hold_s=0.25))
    quiet = []
    for i, img in enumerate([base] * 9 + [moved] * 12):
        if rate.should_analyse(img, i * 0.1):
            quiet.append((i, rate.quiet))
            rate.observe(img, FramePoses(i, i * 0.1, W, H, [clerk]))
    assert quiet == [(0, False), (4, True), (8, True), (9, False), (10, False), (11, False), (15, True), (19, True)]
    every = AnalysisRate(W, H, FLOOR, RateSettings(quiet_every_n=1))
    run(every, [base] * 5, [clerk])
    assert not every.quiet


def test_quiet_every_1_analyses_every_frame():
    rate = AnalysisRate(W, H, FLOOR, RateSettings(quiet_every_n=1))
    assert all(run(rate, [scene()] * 10, [person("clerk", (-1.2, -0.75), sitting=True)]))


def test_standing_clerk_and_near_customer_keep_the_full_rate_far_customer_does_not():
    clerk = person("clerk", (-1.2, -0.75), sitting=True)
    for people, full in (([person("clerk", (-1.2, -0.75))], True),
                         ([clerk, person("customer", (0.5, 1.5), facing=-90.0)], True),
                         ([clerk, person("customer", (0.5, 6.0), facing=-90.0)], False)):
        rate = AnalysisRate(W, H, FLOOR, RateSettings(quiet_every_n=4, busy_within_m=3.0))
        assert all(run(rate, [scene()] * 12, people)) == full


def test_without_a_calibration_anybody_in_view_keeps_the_full_rate():
    rate = AnalysisRate(W, H, None, RateSettings(quiet_every_n=4))
    p = person("unknown", (0.5, 6.0))
    p.floor_xy_m = None
    assert all(run(rate, [scene()] * 12, [p]))
    empty = AnalysisRate(W, H, None, RateSettings(quiet_every_n=4))
    assert sum(run(empty, [scene()] * 12, [])) == 3


def test_motion_outside_the_clerk_or_in_the_head_band_triggers_hands_at_the_desk_do_not():
    clerk = person("clerk", (-1.2, -0.75), sitting=True)
    x0, y0, x1, y1 = clerk.box_xyxy_px.astype(int)
    base = scene()

    def changed(y_a: int, y_b: int, x_a: int, x_b: int) -> np.ndarray:
        img = base.copy()
        img[y_a:y_b, x_a:x_b] = 250
        return img

    h = y1 - y0
    cases = {
        "arrival": (changed(600, 700, 1100, 1180), True),                     # somebody far from the clerk
        "rising head": (changed(max(0, y0 - h // 4), y0 + h // 5, x0, x1), True),
        "hands at the desk": (changed(y0 + int(0.7 * h), y1, x0 + 2, x1 - 2), False),
    }
    for name, (moved, expected) in cases.items():
        rate = AnalysisRate(W, H, FLOOR, RateSettings(quiet_every_n=10, hold_s=1.0))
        frames = [base] * 3 + [moved] + [base] * 6
        decisions = run(rate, frames, [clerk])
        assert decisions[3] == expected, name
        if expected:  # the full rate is held for hold_s: frames 4-6 are analysed (the change back is motion too)
            assert all(decisions[3:7]) and rate.stats.motion_triggers >= 1, name
        else:
            assert sum(decisions) == 1, name


def test_bad_settings_are_refused():
    with pytest.raises(ValueError, match="quiet_every_n"):
        RateSettings(quiet_every_n=0)
    with pytest.raises(ValueError, match="hold_s"):
        RateSettings(hold_s=-1.0)
