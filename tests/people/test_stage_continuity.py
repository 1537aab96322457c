"""The people stage end to end on tuning clips of the rendered people set, continued (a file of its own so that the
two test workers share the slow clips): a clerk keeps her own track and landmarks through rising beside the next
station, standing up and bowing, and bowing away from the camera; a customer the whole-frame detector loses, or who
stands across the counter from a clerk, stays a customer; a clerk cut by the frame keeps her detector box."""

from __future__ import annotations

import numpy as np
import pytest

from stage_clips import SET, found_as

from etiquette_cv.geometry.calibration import load_calibration
from etiquette_cv.io.tracks import read_tracks
from etiquette_cv.io.video import VideoSource
from etiquette_cv.pipeline import run_people
from etiquette_cv.pipeline.people_run import people_config


@pytest.mark.slow
def test_a_clerk_standing_up_beside_the_next_station_keeps_her_track(tmp_path):
    """Tuning t110 (side view, two stations in a row): while clerk A stands up, her landmarker's invented feet drift
    1.8 m onto station B within four frames; associated at B, her observation went to B's clerk, who took her
    landmarker, and she was lost for a frame (twice in the clip). Her own landmarker keeps her at her station."""
    seen = found_as(tmp_path, "t110_side_two_stations", "clerk_A", 0.0, 10.5, 0.3)
    rising = [s for s in seen if 9.6 <= s[0] <= 10.5]          # her stand-up, 9.3-10.5 s
    assert {s[0] for s in rising} == {round(9.6 + 0.1 * k, 1) for k in range(10)}, rising
    assert {s[1:] for s in rising} == {(seen[0][1], "clerk", "A")}, rising


@pytest.mark.slow
def test_a_clerk_who_stands_up_keeps_her_own_landmarks_through_her_bow(tmp_path):
    """Oblique camera, t123 (a fresh tuning clip): the clerk stands up at 8.7 s and bows at 9.8-10.8 s. Placed by
    the hip height measured while she sat, her standing hips put her 1.4 m behind her station; every result of
    her landmarker was then rejected as a jump to somebody else and she had the detector's 17 keypoints only from
    9.4 s to the clip's end, so her bow was not measured. Now her own landmarks carry her through the bow."""
    name = "t123_oblique_left_one_station"
    out = tmp_path / "t.jsonl"
    run_people(VideoSource(SET / f"{name}.mp4", analysis_fps=10.0, start_s=7.0, end_s=11.2), out,
               load_calibration(SET / f"{name}.yaml"), people_config(quiet_every=1))
    clerk = [(f.timestamp_s, p) for f in read_tracks(out).frames for p in f.persons if p.role == "clerk"]
    bow = [p for t, p in clerk if 9.5 <= t <= 11.0]
    posed = sum(p.landmarks_source == "mediapipe" for p in bow)
    print(f"clerk posed by MediaPipe in {posed} of {len(bow)} frames of her bow")
    assert len(bow) >= 14 and posed >= 0.8 * len(bow)


@pytest.mark.slow
def test_a_customer_the_whole_frame_detector_loses_at_the_counter_is_searched_around_her_last_box(tmp_path):
    """Tuning t125 (over the shoulder), 7.3-12 s: a customer standing at the counter, her legs hidden by it, is
    followed by the detector alone; from 7.3 s the whole-frame detector scores her below 0.05 (at 512 px), and she
    was lost for most of 4.7 s. A person lost this way is searched on a crop around their last box."""
    from dataclasses import replace

    config = people_config("full")
    seen = [s for s in found_as(tmp_path, "t125_over_shoulder_one_station", "customer1", 6.0, 12.0, 0.3, config)
            if s[0] >= 7.3]
    assert len(seen) >= 38 and all(s[2] == "customer" for s in seen), seen   # of 47 frames
    assert len({s[1] for s in seen}) == 1, seen
    off = replace(config, lost_detector_long_side_px=0)
    lost = [s for s in found_as(tmp_path, "t125_over_shoulder_one_station", "customer1", 6.0, 12.0, 0.3, off)
            if s[0] >= 7.3]
    assert len(lost) <= 20, lost


@pytest.mark.slow
def test_a_customer_across_the_counter_is_not_made_the_clerk_her_box_overlaps(tmp_path):
    """Tuning t103 (oblique): from 14.6 s the clerk of station A sits down behind customer 2, who stands across the
    counter with her feet seen; her detection overlapped the clerk's last box, which took her for the clerk (floor
    point dropped as a jump) for 2 s. A detection taller than 1.25 times an adult standing at the station is not
    that station's clerk. (Since the thirty-sixth session her clothes also give her own id back there, a moment after
    a waiting customer's id was carried onto her: the overlap rule alone, without the height check, then no longer
    takes her either; both are switched off to show the failure.)"""
    from dataclasses import replace

    def as_customer2(config):
        return [s for s in found_as(tmp_path, "t103_oblique_right_two_stations", "customer2", 12.0, 16.5, 0.5, config)
                if s[0] >= 14.8]

    config = people_config("full")
    seen = as_customer2(config)
    assert len(seen) >= 12 and all(s[2] == "customer" for s in seen), seen
    no_hidden = replace(config, tracking=replace(config.tracking, hidden_margin=0.0))
    seen = as_customer2(no_hidden)
    assert len(seen) >= 12 and all(s[2] == "customer" for s in seen), seen   # the height check alone
    taken = as_customer2(replace(no_hidden, clerk_box_height_factor=1e9))
    assert sum(s[2] == "clerk" for s in taken) >= 12, taken   # the overlap rule alone: she is the clerk


def _clerk_sources(out, t0: float, t1: float) -> list[str]:
    return [p.landmarks_source for f in read_tracks(out).frames if t0 <= f.timestamp_s <= t1
            for p in f.persons if p.role == "clerk"]


def _tracking(out) -> list[tuple]:
    """Who was where in every frame of a tracks file: ids, roles, stations, boxes and floor points."""
    return [(f.frame_index, p.track_id, p.role, p.station, tuple(np.round(p.box_xyxy_px, 2)),
             None if p.floor_xy_m is None else tuple(np.round(p.floor_xy_m, 3)))
            for f in read_tracks(out).frames for p in f.persons]


@pytest.mark.slow
def test_a_clerk_bowing_away_from_the_camera_keeps_her_landmarks_without_moving_anybody(tmp_path):
    """Over-the-shoulder camera, t125: bowing, the clerk's head was placed at a standing head's height a metre in
    front of the counter, and every result of her landmarker was dropped as a jump across it: her 28° bow at
    7.7-8.7 s had only the detector's keypoints. Results on her own box (``clerk_own_box_iou``) now give her
    landmarks when the detector's keypoints agree (with the rule off, an IoU nothing reaches, they do not) — and
    nobody's id, role, box or floor point changes, since those still come from the detector."""
    from dataclasses import replace

    name = "t125_over_shoulder_one_station"
    runs = {}
    for own_iou in (0.5, 1.01):
        out = tmp_path / f"{own_iou}.jsonl"
        config = replace(people_config(), clerk_own_box_iou=own_iou)
        summary = run_people(VideoSource(SET / f"{name}.mp4", analysis_fps=10.0, end_s=8.8), out,
                             load_calibration(SET / f"{name}.yaml"), config)
        bow = _clerk_sources(out, 7.7, 8.7)
        runs[own_iou] = (summary.stats.lent_landmarks, bow.count("mediapipe") / max(len(bow), 1), _tracking(out))
    (lent_on, posed_on, tracking_on), (lent_off, posed_off, tracking_off) = runs[0.5], runs[1.01]
    assert lent_on > 0 and posed_on >= 0.8
    assert lent_off == 0 and posed_off <= 0.2
    assert tracking_on == tracking_off


@pytest.mark.slow
def test_a_seated_clerk_cut_by_the_frame_edge_keeps_her_detector_box_between_its_runs(tmp_path):
    """Tuning t120 (over the shoulder), 1-11 s: a seated clerk seen from behind, cut by the frame's bottom edge. Her
    landmarks' outline (head, shoulders, nothing below the last joint in the frame) is 165 px wide where her body
    shows 255, and the detector's box of her (IoU 0.87 with the truth) was never merged into her observation (IoU
    0.43 with the outline, keypoints placed apart), so her reported box overlapped hers by IoU 0.24-0.47 and she
    counted as missed on 11 of 96 frames. Her reported box is now the outline moved as far as it lay off that
    detection at the detector's last run (while the outline keeps its size: 5 missed); the stage still tracks by the
    outline."""
    from dataclasses import replace

    config = people_config("full")
    seen = found_as(tmp_path, "t120_over_shoulder_two_stations", "clerk_B", 1.0, 11.0, 0.3, config)
    assert len(seen) >= 89 and all(s[2:] == ("clerk", "B") for s in seen), seen   # of 96 frames
    off = replace(config, detector_box_offset_s=0.0)
    assert len(found_as(tmp_path, "t120_over_shoulder_two_stations", "clerk_B", 1.0, 11.0, 0.3, off)) \
        <= len(seen) - 4
