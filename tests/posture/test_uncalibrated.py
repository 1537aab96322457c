"""Bow angle without a calibration: from the image tilt of a person seen from the side, or not measured when the
person faces the camera."""

from __future__ import annotations

import numpy as np
import pytest

from etiquette_cv.core import FramePoses, Landmark, PersonPose
from etiquette_cv.events import detect_bends
from etiquette_cv.posture.stance import StanceSettings
from etiquette_cv.posture.uncalibrated import UncalibratedSettings, measure_uncalibrated

TRUNK_M, SHOULDERS_M, PX_PER_M = 0.50, 0.35, 400.0   # shoulders / trunk = 0.70: the rulebook's frontal ratio


def _projected_pose(bend_deg: float, turned_deg: float, facing_right: bool = True) -> PersonPose:
    """A standing person turned ``turned_deg`` from the camera (0: facing it), their trunk bent forward by
    ``bend_deg``, drawn by an orthographic level camera (image x right, y down)."""
    phi, b = np.radians(turned_deg), np.radians(bend_deg)
    side = 1.0 if facing_right else -1.0
    forward = np.array([side * np.sin(phi), 0.0, -np.cos(phi)])     # x right, y down, z away from the camera
    across = np.array([np.cos(phi), 0.0, side * np.sin(phi)])       # the person's left shoulder direction
    up = np.array([0.0, -1.0, 0.0])
    trunk = TRUNK_M * (np.cos(b) * up + np.sin(b) * forward)
    hip = np.array([0.0, 0.0, 3.0])
    world = np.zeros((33, 3))
    world[Landmark.LEFT_SHOULDER] = trunk + across * SHOULDERS_M / 2
    world[Landmark.RIGHT_SHOULDER] = trunk - across * SHOULDERS_M / 2
    world[Landmark.LEFT_HIP], world[Landmark.RIGHT_HIP] = across * 0.12, -across * 0.12
    world[Landmark.NOSE] = trunk * 1.35 + forward * 0.10
    world[Landmark.LEFT_EAR] = world[Landmark.RIGHT_EAR] = trunk * 1.35
    xy = (world + hip)[:, :2] * PX_PER_M + np.array([640.0, 500.0])
    return PersonPose(1, "unknown", xy, np.zeros(33), world, np.ones(33), np.ones(33))


def _bowing_frames(peak_deg: float, turned_deg: float, facing_right: bool = True) -> list[FramePoses]:
    """6 s upright, a 2 s bow to ``peak_deg`` (raised cosine), 4 s upright, at 10 frames/s."""
    t = np.arange(0, 12, 0.1)
    bend = np.where((t >= 6) & (t < 8), peak_deg * 0.5 * (1 - np.cos(np.pi * (t - 6))), 0.0)
    return [FramePoses(i, float(ti), 1280, 720, [_projected_pose(float(b), turned_deg, facing_right)])
            for i, (ti, b) in enumerate(zip(t, bend))]


@pytest.mark.parametrize("turned_deg,facing_right", [(90.0, True), (55.0, True), (40.0, False)])
@pytest.mark.parametrize("peak_deg", [15.0, 30.0, 60.0])
def test_a_bow_seen_from_the_side_reads_its_true_angle(peak_deg, turned_deg, facing_right):
    s = measure_uncalibrated(_bowing_frames(peak_deg, turned_deg, facing_right), 1, StanceSettings())
    assert s.bow_measurable
    assert s.turned_deg == pytest.approx(turned_deg, abs=1.0)
    peak = int(np.nanargmax(s.bow_deg))
    assert s.bow_deg[peak] == pytest.approx(peak_deg, abs=1.5)          # low-pass filtered: within 1.5°
    assert 0.5 < s.bow_uncertainty_deg[peak] < 0.5 * peak_deg + 4.0       # an honest, bounded ±
    bends = detect_bends(s.t_s, s.bow_deg, s.stance == "stand", uncertainty_deg=s.bow_uncertainty_deg)
    assert [b.kind for b in bends] == ["bow"] and 6.0 <= bends[0].peak_t_s <= 8.0


def test_a_person_facing_the_camera_has_no_measurable_bow_angle():
    s = measure_uncalibrated(_bowing_frames(30.0, 10.0), 1, StanceSettings())
    assert not s.bow_measurable
    assert s.turned_deg == pytest.approx(10.0, abs=2.0)


def test_the_turn_needed_is_a_setting():
    frames = _bowing_frames(30.0, 40.0)
    assert measure_uncalibrated(frames, 1, StanceSettings()).bow_measurable
    assert not measure_uncalibrated(frames, 1, StanceSettings(), UncalibratedSettings(min_side_share=0.8)
                                    ).bow_measurable


def test_leaning_back_is_not_a_bow():
    s = measure_uncalibrated(_bowing_frames(-20.0, 90.0), 1, StanceSettings())
    assert np.nanmin(s.bow_deg) == pytest.approx(-20.0, abs=1.5)
    assert not detect_bends(s.t_s, s.bow_deg, s.stance == "stand")


@pytest.mark.parametrize("drift_px", [0.0, 30.0])
def test_facing_the_camera_a_deep_bow_shows_its_least_depth_a_shallow_one_does_not(drift_px):
    """Facing the camera, a bow shortens the trunk in the image: cos b at most (the lower bound takes
    ``front_length_noise`` more of the upright length). MediaPipe's hips drift down with a bow (``drift_px`` at the
    peak), which would lengthen the trunk again: the hips' place while upright is held instead."""
    def frames(peak_deg: float) -> list[FramePoses]:
        out = _bowing_frames(peak_deg, 0.0)
        for f in out:
            p = f.persons[0]
            share = 0.5 * (1 - np.cos(np.pi * (f.timestamp_s - 6))) if 6 <= f.timestamp_s < 8 else 0.0
            p.image_xy_px[[Landmark.LEFT_HIP, Landmark.RIGHT_HIP], 1] += drift_px * share
        return out

    noise = UncalibratedSettings().front_length_noise
    deep = measure_uncalibrated(frames(60.0), 1, StanceSettings())
    assert not deep.bow_measurable
    bound = float(np.degrees(np.arccos(np.cos(np.radians(60.0)) + noise)))
    assert np.nanmax(deep.front_bow_min_deg) == pytest.approx(bound, abs=2.0) and bound < 60.0
    assert np.nanmax(np.abs(deep.front_bow_min_deg[deep.t_s < 5.0])) <= 1.0      # upright: nothing
    shallow = measure_uncalibrated(frames(30.0), 1, StanceSettings())
    assert np.nanmax(shallow.front_bow_min_deg) < 30.0 - 5.0                      # a lower bound, well under 45°


def test_facing_the_camera_the_detectors_shoulders_carry_a_deep_bow_the_landmarker_lost():
    """A deep bow toward the camera folds the body out of the landmarker's reach (role-play t321: 3 s of a 58°
    apology bow on the detector alone). The detector's keypoints have no world landmarks and no usable hips, but
    their shoulders still show how far the trunk shortened against the hips' place held while upright."""
    frames = _bowing_frames(60.0, 0.0)
    for f in frames:
        if 6.6 <= f.timestamp_s < 7.4:                       # the deepest part: the detector's keypoints only
            p = f.persons[0]
            p.landmarks_source = "detector"
            p.world_xyz_m[:] = 0.0
            p.visibility[[Landmark.LEFT_HIP, Landmark.RIGHT_HIP]] = 0.15
    s = measure_uncalibrated(frames, 1, StanceSettings())
    on_detector = (s.t_s >= 6.6) & (s.t_s < 7.4)
    assert np.all(np.isnan(s.tilt_raw_deg[on_detector]))     # nothing else is read from the detector's keypoints
    bound = float(np.degrees(np.arccos(np.cos(np.radians(60.0)) + UncalibratedSettings().front_length_noise)))
    assert np.all(np.isfinite(s.front_bow_min_deg[on_detector]))
    assert np.nanmax(s.front_bow_min_deg[on_detector]) == pytest.approx(bound, abs=2.0)
    for f in frames:                                          # shoulders the detector was unsure of: not read
        if 6.6 <= f.timestamp_s < 7.4:
            f.persons[0].visibility[[Landmark.LEFT_SHOULDER, Landmark.RIGHT_SHOULDER]] = 0.3
    assert np.all(np.isnan(measure_uncalibrated(frames, 1, StanceSettings()).front_bow_min_deg[on_detector]))
