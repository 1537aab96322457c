"""The second pass: which intervals it re-measures, and that it replaces the clerk's landmarks there only."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from etiquette_cv.geometry.calibration import load_calibration
from etiquette_cv.geometry.solver import solve_camera
from etiquette_cv.io.tracks import read_tracks
from etiquette_cv.io.video import VideoSource
from etiquette_cv.people.stage import PeopleConfig
from etiquette_cv.pipeline import analyse, run_people
from etiquette_cv.pipeline.refine import RefineSettings, refine_clerks, refine_intervals
from etiquette_cv.rules.rulebook import load_rulebook

from pipeline.test_review import _review, SCENARIO  # noqa: F401  (the synthetic reception of the review tests)
from etiquette_cv.sim.scenario import load_scenario

REPO = Path(__file__).resolve().parents[2]


def test_the_intervals_are_the_clerk_s_standing_spells_padded():
    _, _, obs, _, truth = _review(load_scenario(SCENARIO))
    pad = RefineSettings().pad_s
    spans = refine_intervals(obs)
    ups = [e.t_s for e in truth if e.kind == "stand_up"]
    assert len(spans) == len(ups)
    for (station, a, b), up in zip(spans, ups):
        assert station == obs.clerks[0].station
        assert a <= up - pad + 0.3 and b > a  # the rise itself is inside the re-measured interval


@pytest.mark.slow
def test_the_second_pass_replaces_the_clerk_inside_the_intervals_only(tmp_path):
    video, cal_path = REPO / "sample_videos" / "reception.mp4", REPO / "calibration" / "reception.yaml"
    cal = load_calibration(cal_path)
    tracks = tmp_path / "t.jsonl.gz"
    run_people(VideoSource(video, analysis_fps=5.0, end_s=12.0), tracks, cal, PeopleConfig(model="lite"))
    frames = read_tracks(tracks).frames
    obs = analyse(frames, cal, solve_camera(cal), load_rulebook(), "reception", frames[-1].timestamp_s)
    out, stats = refine_clerks(video, frames, obs, 5.0, RefineSettings(model="lite"))
    assert stats.intervals and stats.replaced > 0 and stats.wall_s > 0
    inside = lambda t: any(a <= t <= b for _, a, b in stats.intervals)  # noqa: E731
    for before, after in zip(frames, out):
        clerk = [k for k, p in enumerate(before.persons) if p.role == "clerk"]
        for k in clerk:
            same = np.array_equal(before.persons[k].image_xy_px, after.persons[k].image_xy_px)
            if not inside(before.timestamp_s):
                assert same
        others = [k for k in range(len(before.persons)) if k not in clerk]
        for k in others:
            assert np.array_equal(before.persons[k].image_xy_px, after.persons[k].image_xy_px)
