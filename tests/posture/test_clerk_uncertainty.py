"""The ± of a measured trunk angle: MediaPipe's landmark error (a share of the upright trunk's image length, larger
seen from behind than from the front, never under the rulebook's least error in pixels) over the pixels a degree
moves the landmarks (synthetic landmarks through a known camera)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from etiquette_cv.geometry.camera import CameraModel
from etiquette_cv.posture.clerk import measure_clerk
from etiquette_cv.rules.rulebook import load_rulebook
from etiquette_cv.sim.camera import VirtualCamera
from etiquette_cv.sim.landmarks import synthesize
from etiquette_cv.sim.scenario import counter_clerk_scenario

STATION = np.array([0.0, -0.85])
FACING = np.array([0.0, 1.0])
COUNTER = np.array([[-1.2, 0.0], [1.2, 0.0]])


def _peak_pm(camera_xy: list[float], settings) -> float:
    """The stated ± (degrees) at the peak of a 30° bow of a clerk standing behind a counter, seen by a camera 2.4 m
    high at ``camera_xy`` (metres)."""
    keys = [{"t": 0.0, "pos_m": list(STATION), "heading_deg": 90, "stance": "stand", "arms": "sides",
             "trunk_flexion_deg": 0}, {"t": 2.0, "trunk_flexion_deg": 0}, {"t": 3.0, "trunk_flexion_deg": 30},
            {"t": 4.0, "trunk_flexion_deg": 30}, {"t": 5.0, "trunk_flexion_deg": 0}, {"t": 7.0, "trunk_flexion_deg": 0}]
    sc = counter_clerk_scenario(keys, camera_xy, 7.0)
    cam = VirtualCamera.from_spec(sc.camera)
    frames = synthesize(sc, cam, noise_px=0.3, seed=3)
    s = measure_clerk(frames, CameraModel.from_pose(cam.K, cam.R, cam.t, cam.width, cam.height), STATION, FACING,
                      settings, COUNTER, 0.76)
    peak = (s.t_s >= 3.2) & (s.t_s <= 3.8)
    assert np.all(np.abs(s.flexion_deg[peak] - 30.0) < 3.0)
    return float(np.median(s.flexion_uncertainty_deg[peak]))


def test_the_error_share_scales_the_stated_pm_and_the_least_error_floors_it():
    base = load_rulebook().posture_settings()
    behind = [1.0, -4.0]                    # over the clerk's shoulder, 3.2 m away: a trunk of ~150 px
    pm = _peak_pm(behind, base)
    doubled = _peak_pm(behind, replace(base, landmark_error_share_back=2 * base.landmark_error_share_back,
                                       landmark_error_share_side=2 * base.landmark_error_share_side))
    assert 1.8 < doubled / pm < 2.2, (pm, doubled)
    floor_only = replace(base, landmark_error_share_front=1e-6, landmark_error_share_oblique=1e-6,
                         landmark_error_share_side=1e-6, landmark_error_share_back=1e-6)
    floored = _peak_pm(behind, floor_only)
    assert floored < pm and abs(_peak_pm(behind, replace(floor_only, landmark_error_px=6.0)) / floored - 2.0) < 0.2


def test_the_same_bow_seen_from_behind_states_a_wider_pm_than_the_rulebooks_least_error_gives():
    """From behind, MediaPipe's landmarks err by 6.6 % of the trunk (rendered tuning clips): several pixels on a
    near clerk, more than the 3 px least error alone gave (which stated ±1.6° where over-the-shoulder bows read 8°
    off)."""
    base = load_rulebook().posture_settings()
    floor_only = replace(base, landmark_error_share_front=1e-6, landmark_error_share_oblique=1e-6,
                         landmark_error_share_side=1e-6, landmark_error_share_back=1e-6)
    assert _peak_pm([1.0, -4.0], base) > 1.5 * _peak_pm([1.0, -4.0], floor_only)
