"""A station's clerk's floor path and its sustained speed (posture/walking.py), on paths whose truth is exact."""

from __future__ import annotations

import numpy as np
import pytest

from etiquette_cv.core import NUM_LANDMARKS, FramePoses, PersonPose
from etiquette_cv.posture.walking import (FloorPath, WalkingSettings, clerk_path_track_ids, clerk_track_ids,
                                          floor_path, sustained_speed_m_s)

DT = 0.1


def _person(track_id: int, xy, role: str = "clerk", station: str | None = "A") -> PersonPose:
    z = np.zeros(NUM_LANDMARKS)
    return PersonPose(track_id, role, np.zeros((NUM_LANDMARKS, 2)), z, np.zeros((NUM_LANDMARKS, 3)), z, z,
                      station=station if role == "clerk" else None,
                      floor_xy_m=None if xy is None else np.asarray(xy, float), floor_source="feet")


def _frames(paths: dict[int, tuple[np.ndarray, list[str]]], t0: float = 0.0) -> list[FramePoses]:
    """Frames every DT seconds from per-track floor points (NaN row: unseen) and roles."""
    n = max(len(xy) for xy, _ in paths.values())
    frames = []
    for i in range(n):
        persons = [_person(tid, xy[i], roles[i]) for tid, (xy, roles) in paths.items()
                   if i < len(xy) and np.all(np.isfinite(xy[i]))]
        frames.append(FramePoses(i, round(t0 + i * DT, 6), 1280, 720, persons))
    return frames


def _line(speed_m_s: float, seconds: float, start=(0.0, 1.0), noise_m: float = 0.0, seed: int = 0) -> np.ndarray:
    t = np.arange(0.0, seconds, DT)
    xy = np.column_stack([start[0] + speed_m_s * t, np.full(len(t), start[1])])
    return xy + np.random.default_rng(seed).normal(0.0, noise_m, xy.shape)


def test_clerk_tracks_are_those_that_held_the_role_at_the_station_long_enough():
    clerk = (_line(0.0, 10.0), ["clerk"] * 100)
    glimpse = (_line(0.0, 10.0, start=(1.0, 2.0)), ["clerk"] * 10 + ["customer"] * 90)   # 0.9 s as a clerk
    frames = _frames({1: clerk, 2: glimpse})
    assert clerk_track_ids(frames, "A", min_s=2.0) == [1]
    assert clerk_track_ids(frames, "A", min_s=0.5) == [1, 2]
    assert clerk_track_ids(frames, "B", min_s=0.5) == []


def test_the_path_follows_the_clerk_away_from_the_station():
    walk = _line(1.2, 6.0)
    roles = ["clerk"] * 30 + ["other"] * 30          # left the station after 3 s
    path = floor_path(_frames({1: (walk, roles)}), [1], WalkingSettings(smooth_samples=1))
    assert len(path) == 60 and path.floor_xy_m[-1, 0] == pytest.approx(walk[-1, 0])


def test_a_steady_run_reads_its_speed_through_floor_point_noise():
    run = _line(3.0, 4.0, noise_m=0.08, seed=3)
    path = floor_path(_frames({1: (run, ["clerk"] * len(run))}), [1], WalkingSettings())
    speed, until = sustained_speed_m_s(path, window_s=1.0)
    ok = np.isfinite(speed)
    assert ok.sum() >= 25 and not ok[-9:].any()       # the last second has no whole window after it
    assert np.median(speed[ok]) == pytest.approx(3.0, abs=0.15)
    assert np.allclose(until[ok] - path.t_s[ok], 1.0, atol=1e-6)


def test_a_jump_to_somebody_else_cuts_the_path_and_is_no_speed():
    """A walker at 1.2 m/s whose track takes over a person 2 m away for good (an id taken over): one jump."""
    walk = _line(1.2, 6.0)
    walk[30:] += [0.0, 2.0]
    path = floor_path(_frames({1: (walk, ["clerk"] * 60)}), [1], WalkingSettings())
    assert len(np.unique(path.piece)) == 2
    speed, _ = sustained_speed_m_s(path, window_s=1.0)
    assert np.nanmax(speed) == pytest.approx(1.2, abs=0.05)
    # read in one piece, the jump would be a run
    whole = FloorPath(path.t_s, path.frame_index, path.track_id, walk, np.zeros(len(walk), int))
    assert np.nanmax(sustained_speed_m_s(whole, window_s=1.0)[0]) > 2.5


def test_a_gap_cuts_the_path():
    walk = _line(1.0, 6.0)
    walk[20:35] = np.nan                               # unseen 1.5 s
    path = floor_path(_frames({1: (walk, ["clerk"] * 60)}), [1], WalkingSettings(max_gap_s=1.0))
    assert len(np.unique(path.piece)) == 2


def test_points_filled_into_a_gap_are_not_part_of_the_path():
    """Nothing is measured from a frame filled into a track's gap: the path goes from the last measured point to the
    next one, and a gap too long cuts it as before."""
    from etiquette_cv.people.gaps import GapSettings, fill_gaps
    walk = _line(1.0, 6.0)
    walk[24:30] = np.nan
    frames = fill_gaps(_frames({1: (walk, ["clerk"] * 60)}))
    assert sum(p.floor_source == "interpolated" for f in frames for p in f.persons) == 6
    path = floor_path(frames, [1], WalkingSettings())
    assert len(path) == 54 and not set(range(24, 30)) & set(path.frame_index.tolist())
    assert np.nanmax(sustained_speed_m_s(path, window_s=1.0)[0]) == pytest.approx(1.0, abs=0.05)
    walk[20:35] = np.nan                                # 1.5 s unseen: filled with a 2 s limit, still cut
    frames = fill_gaps(_frames({1: (walk, ["clerk"] * 60)}), GapSettings(max_gap_s=2.0))
    assert len(np.unique(floor_path(frames, [1], WalkingSettings(max_gap_s=1.0)).piece)) == 2


def test_the_speed_is_precise_late_in_a_long_day():
    run = _line(2.8, 3.0)
    late = floor_path(_frames({1: (run, ["clerk"] * len(run))}, t0=8 * 3600.0), [1], WalkingSettings())
    assert np.nanmedian(sustained_speed_m_s(late, 1.0)[0]) == pytest.approx(2.8, abs=1e-6)


def test_an_unmeasured_clerk_has_an_empty_path():
    frames = _frames({1: (np.full((20, 2), np.nan), ["clerk"] * 20)})
    path = floor_path(frames, [1], WalkingSettings())
    assert len(path) == 0 and len(sustained_speed_m_s(path, 1.0)[0]) == 0


def test_a_run_the_tracker_broke_is_one_path_through_the_tracks_that_continue_the_clerk():
    """The clerk (track 1) runs off at 3 m/s; the tracker loses her and a new track (2, behind the counter away from
    the station: role "other") follows on. A customer's track (3) that starts near her at the same moment, and a
    track starting far away, are not hers."""
    run = np.vstack([np.tile([0.0, -0.8], (30, 1)), _line(3.0, 2.0, start=(0.0, -0.8))])
    first = np.vstack([run[:40], np.full((len(run) - 40, 2), np.nan)])
    second = np.vstack([np.full((42, 2), np.nan), run[42:]])       # 0.2 s unseen, then a new id
    customer = np.vstack([np.full((42, 2), np.nan), np.tile([0.5, 0.6], (len(run) - 42, 1))])
    far = np.vstack([np.full((41, 2), np.nan), np.tile([-4.0, 3.0], (len(run) - 41, 1))])
    frames = _frames({1: (first, ["clerk"] * len(run)), 2: (second, ["other"] * len(run)),
                      3: (customer, ["customer"] * len(run)), 4: (far, ["other"] * len(run))})
    s = WalkingSettings()
    assert clerk_path_track_ids(frames, "A", s) == [1, 2]
    path = floor_path(frames, [1, 2], s)
    assert set(path.track_id) == {1, 2} and len(np.unique(path.piece)) == 1
    speed, _ = sustained_speed_m_s(path, 1.0)
    assert np.nanmax(speed) == pytest.approx(3.0, abs=0.15)
