"""What the people stage remembers of a tracked person between frames (:mod:`etiquette_cv.people.placing`)."""

from __future__ import annotations

import numpy as np
import pytest

from etiquette_cv.core import NUM_LANDMARKS
from etiquette_cv.people.config import PeopleConfig
from etiquette_cv.people.observation import Observation
from etiquette_cv.people.placing import FloorPlacer, TrackState


def test_one_frame_of_invented_feet_does_not_set_the_hip_height():
    """Tuning t108: a customer half hidden by another; MediaPipe invented her feet on one frame and the hip height
    measured from them put her later floor points (placed by the hips) 0.5-0.9 m off. The median of the last few
    measurements ignores one such frame, and follows a real change (sitting down) within a few frames."""
    track = TrackState(1)
    for z in (0.92, 0.90, 0.91, 0.93):
        track.note_hip_height(z, keep=5)
    track.note_hip_height(0.55, keep=5)          # invented feet
    assert track.hip_height_m == pytest.approx(0.91)
    for _ in range(3):
        track.note_hip_height(0.50, keep=5)      # sat down
    assert track.hip_height_m == pytest.approx(0.50)
    assert len(track.hip_heights_m) == 5
    track.forget_hip_height()
    assert track.hip_height_m is None and track.hip_heights_m == []


def test_the_last_measurement_alone_with_a_memory_of_one():
    track = TrackState(1)
    track.note_hip_height(0.9, keep=1)
    track.note_hip_height(0.6, keep=1)
    assert track.hip_height_m == pytest.approx(0.6)


def test_a_clerks_own_landmarker_is_associated_at_her_station_until_her_role_moves():
    """Tuning t110 (side view): the invented feet of a clerk standing up at station A drifted onto station B in four
    frames, and station B's clerk took her landmarker. Her own landmarker's result is associated at her track's
    station; a detection nobody owns, and a clerk whose role has moved to B, at the place's."""
    clerk = TrackState(1, role="clerk", station="A")
    placer = FloorPlacer(None, PeopleConfig(), {1: clerk})

    def seen(owner, place):
        o = Observation(np.array([0, 0, 10, 10], np.float32), 0.9, np.zeros((NUM_LANDMARKS, 2), np.float32),
                        np.zeros(NUM_LANDMARKS, np.float32), owner=owner)
        o.place = place
        return o

    assert placer.association_station(seen(1, ("clerk", "B"))) == "A"
    assert placer.association_station(seen(None, ("clerk", "B"))) == "B"
    assert placer.association_station(seen(1, ("customer", None))) is None
    clerk.station = "B"
    assert placer.association_station(seen(1, ("clerk", "B"))) == "B"


def test_a_standing_clerk_put_away_from_her_station_by_a_seated_hip_height_is_placed_by_the_hip_range():
    """Tuning t123: a clerk's hip height was measured while seated (0.5 m); standing up, her hips (0.9 m) placed
    by it put her a metre behind her station, outside it, and every result of her own landmarker was taken for a
    jump to somebody else for 6 s. Such a result is placed again by the hips' possible heights, which keep a clerk
    at her station; anybody else keeps their measured hip height."""
    from geometry.test_geometry import body_points, truth_camera
    from people.test_floor import floor_model, observed, L

    cam = truth_camera(2.5, 12.0, -45.0)
    model = floor_model(cam, counter_height_m=0.3)            # a low counter: the hips in view
    px, score = observed(cam, body_points(-1.2, -0.6, 90.0))   # standing at station A (-1.2, -0.75)
    score[[L.LEFT_ANKLE, L.RIGHT_ANKLE, L.LEFT_HEEL, L.RIGHT_HEEL, L.LEFT_FOOT_INDEX, L.RIGHT_FOOT_INDEX]] = 0.05
    for role, station in (("clerk", "A"), ("other", None)):
        track = TrackState(1, role=role, station=station, floor_xy_m=np.array([-1.2, -0.75]), floor_s=0.0,
                           last_seen_s=0.0)
        for _ in range(5):
            track.note_hip_height(0.5, keep=5)                 # measured while seated
        placer = FloorPlacer(model, PeopleConfig(), {1: track})
        o = Observation(np.array([0, 0, 10, 10], np.float32), 0.9, px.astype(np.float32),
                        score.astype(np.float32), owner=1)
        kept, rejected = placer.locate([o], 0.1)
        if role == "clerk":
            assert kept == [o] and not rejected and o.place == ("clerk", "A")
            assert o.floor.source == "hips" and np.linalg.norm(o.floor.xy_m - [-1.2, -0.6]) < 0.35
        else:  # the stale hip height is kept: placed 1.5 m away, off every station
            assert o.place == ("other", None) and np.linalg.norm(o.floor.xy_m - [-1.2, -0.6]) > 1.0


@pytest.mark.parametrize("factor, taken_for_the_clerk", [(1.25, False), (100.0, True)])
def test_a_detection_taller_than_anybody_at_the_station_is_not_taken_for_its_clerk(factor, taken_for_the_clerk):
    """Tuning t103: a customer standing across the counter from station A, feet seen, overlapped the clerk's last
    box (which had slid onto the customer's upper body); the overlap made the detection the clerk (its floor point
    dropped as a jump) for 2 s and the customer's own track was lost. A detection taller than
    ``clerk_box_height_factor`` times an adult standing at the station is nearer the camera than the station; with
    the factor out of reach (100) the old rule applies and takes it for the clerk."""
    from dataclasses import replace
    from geometry.test_geometry import body_points, truth_camera
    from people.test_floor import floor_model, observed

    cam = truth_camera(2.5, 20.0, -90.0)                          # in front of the counter, facing the clerk
    model = floor_model(cam)
    px, score = observed(cam, body_points(-1.2, 0.6, -90.0))      # a customer across the counter from station A
    box = np.array([*px.min(axis=0), *px.max(axis=0)], np.float32)
    height = float(box[3] - box[1])
    assert height > 1.25 * model.person_height_px(np.array([-1.2, -0.75]))
    clerk = TrackState(1, role="clerk", station="A", floor_xy_m=np.array([-1.2, -0.75]), floor_s=0.0,
                       last_seen_s=0.0, box=np.array([box[0], box[1], box[2], box[1] + 0.7 * height], np.float32))
    placer = FloorPlacer(model, replace(PeopleConfig(), clerk_box_height_factor=factor), {1: clerk})
    o = Observation(box, 0.9, px.astype(np.float32), score.astype(np.float32), detected=True)
    kept, _ = placer.locate([o], 0.1)
    assert kept == [o]
    if taken_for_the_clerk:
        assert o.floor is None and o.place == ("clerk", "A")
    else:
        assert o.floor.source == "feet" and o.place[0] == "customer"
        assert np.linalg.norm(o.floor.xy_m - [-1.2, 0.6]) < 0.3


def test_the_clerk_box_height_factor_must_be_positive():
    with pytest.raises(ValueError, match="clerk_box_height_factor"):
        PeopleConfig(clerk_box_height_factor=0.0)


def test_a_landmarker_result_on_the_box_of_somebody_seen_a_moment_ago_has_jumped_to_them():
    """Tuning t117, t128: a clerk's landmarker took the customer in front of the counter; placed from the shoulders,
    the result lay within walking reach of the clerk's last floor point, so the floor check kept it and the customer's
    box was the clerk's for a frame. In the image it lies on the customer's box, not on the clerk's: dropped as a jump
    — unless that box is the clerk's own too, or its person was last seen longer ago than ``continuity_s``."""
    from geometry.test_geometry import body_points, truth_camera
    from people.test_floor import floor_model, observed

    cam = truth_camera(2.5, 20.0, -90.0)
    model = floor_model(cam)
    px, score = observed(cam, body_points(-1.2, -0.75, 90.0))     # the clerk at station A: within reach
    own = np.array([*px.min(axis=0), *px.max(axis=0)], np.float32)
    beside = own + np.array([1.5, 0, 1.5, 0], np.float32) * float(own[2] - own[0])

    def verdict(result_box, customer_box, customer_seen_s=0.05):
        clerk = TrackState(1, role="clerk", station="A", floor_xy_m=np.array([-1.2, -0.75]), floor_s=0.0,
                           last_seen_s=0.05, box=own.copy())
        customer = TrackState(2, role="customer", floor_xy_m=np.array([0.5, 0.6]), floor_s=customer_seen_s,
                              last_seen_s=customer_seen_s, box=customer_box)
        placer = FloorPlacer(model, PeopleConfig(), {1: clerk, 2: customer})
        o = Observation(result_box, 0.9, px.astype(np.float32), score.astype(np.float32), owner=1)
        kept, rejected = placer.locate([o], 0.1)
        assert o.place == ("clerk", "A")                      # the floor alone says: the clerk, at her station
        return "kept" if kept == [o] else "jumped" if rejected == [o] else "?"

    assert verdict(own, beside) == "kept"
    assert verdict(beside, beside) == "jumped"
    assert verdict(beside, beside, customer_seen_s=-5.0) == "kept"   # nobody there a moment ago
    assert verdict(own, own) == "kept"                                # the other box is hers as much


def test_the_jump_box_thresholds_are_checked():
    with pytest.raises(ValueError, match="jump_box_iou"):
        PeopleConfig(jump_box_iou=0.0)
    with pytest.raises(ValueError, match="jump_box_margin"):
        PeopleConfig(jump_box_margin=-0.1)


def _bowing_clerk_scene(model_cam, only_head=True):
    """Pixels and scores of a body standing 1 m in front of the counter (across it from station A), of which only
    the face is seen (``only_head``) or the whole body: what a bowing clerk seen from behind looks like to the floor
    estimate (her lowered head, placed at a standing head's height, lands in front of the counter)."""
    from geometry.test_geometry import body_points
    from people.test_floor import observed

    px, score = observed(model_cam, body_points(-1.2, 1.0, 90.0))
    if only_head:
        score[11:] = 0.05
    return px.astype(np.float32), score.astype(np.float32)


@pytest.mark.parametrize("case, bent", [
    ("own box, head only", True),
    ("own box, feet seen", False),
    ("on the customer's box, head only", False),
    ("own box, head only, rule off", False),
])
def test_a_clerks_own_result_placed_across_the_counter_by_the_head_is_told_from_a_jump(case, bent):
    """Tuning t125 (over the clerk's shoulder): bowing, a clerk's head was placed at a standing head's height a
    metre in front of the counter, and every result of her own landmarker was dropped as a jump to a customer. It is
    still dropped (only the feet move a clerk across the counter), but a result on her own box
    (``clerk_own_box_iou``) placed across from the hips, shoulders or head is told apart
    (:meth:`FloorPlacer.clerk_bent_across`): its landmarks may describe her. From the feet, or lying on somebody
    else's box, it is a jump."""
    from dataclasses import replace
    from geometry.test_geometry import truth_camera
    from people.test_floor import floor_model

    cam = truth_camera(2.5, 20.0, 90.0)                           # behind the clerks, over their shoulders
    model = floor_model(cam, counter_height_m=0.3 if "feet" in case else 1.1)   # a low counter shows the feet
    px, score = _bowing_clerk_scene(cam, only_head="head only" in case)
    result_box = np.array([*px.min(axis=0), *px.max(axis=0)], np.float32)
    far = result_box + np.array([3, 0, 3, 0], np.float32) * float(result_box[2] - result_box[0])
    on_customer = "customer" in case
    clerk = TrackState(1, role="clerk", station="A", floor_xy_m=np.array([-1.2, -0.75]), floor_s=0.0,
                       last_seen_s=0.05, box=far if on_customer else result_box.copy())
    customer = TrackState(2, role="customer", floor_xy_m=np.array([-1.2, 1.0]), floor_s=0.05, last_seen_s=0.05,
                          box=result_box.copy() if on_customer else far)
    config = replace(PeopleConfig(), clerk_own_box_iou=1.01 if "rule off" in case else 0.5)
    placer = FloorPlacer(model, config, {1: clerk, 2: customer})
    o = Observation(result_box, 0.9, px, score, owner=1)
    kept, rejected = placer.locate([o], 0.1)
    assert rejected == [o] and not kept and o.place[0] == "customer"
    assert o.floor.source == ("feet" if "feet" in case else "head")
    assert placer.clerk_bent_across(o, 0.1) is bent
