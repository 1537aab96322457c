"""End to end on a render where the clerk runs (benchmarks/running_set/running.mp4, exact truth): the people stage,
the analysis and the grading report one running violation for her run, with its speed, and none for a passer-by
who runs across the hall (the rule is the staff's)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from etiquette_cv.geometry.calibration import load_calibration
from etiquette_cv.geometry.solver import solve_camera
from etiquette_cv.io.tracks import read_tracks
from etiquette_cv.io.video import VideoSource
from etiquette_cv.pipeline import run_people
from etiquette_cv.pipeline.analysis import analyse
from etiquette_cv.rules.findings import Verdict
from etiquette_cv.rules.grading import grade
from etiquette_cv.rules.rulebook import load_rulebook

SET = Path(__file__).resolve().parents[2] / "benchmarks" / "running_set"


def _truth_speeds(person: str, window_s: float) -> tuple[np.ndarray, np.ndarray]:
    """(window start s, straight-line speed m/s over window_s) of one truth person's pelvis floor points."""
    frames = json.loads((SET / "running.gt.json").read_text())["frames"]
    t = np.array([f["t_s"] for f in frames if person in f["persons"]])
    xy = np.array([f["persons"][person]["floor_xy_m"] for f in frames if person in f["persons"]])
    n = int(round(window_s / (t[1] - t[0])))
    v = [float(np.linalg.norm(np.polyfit(t[i:i + n + 1] - t[i], xy[i:i + n + 1], 1)[0])) for i in range(len(t) - n)]
    return t[:len(v)], np.array(v)


@pytest.mark.slow
def test_the_clerks_run_is_one_violation_with_its_speed(tmp_path):
    cal = load_calibration(SET / "running.yaml")
    rb = load_rulebook()
    tracks = tmp_path / "tracks.jsonl.gz"
    run_people(VideoSource(SET / "running.mp4", analysis_fps=10.0), tracks, cal)
    frames = read_tracks(tracks).frames
    obs = analyse(frames, cal, solve_camera(cal), rb, "running", frames[-1].timestamp_s)
    runs = [f for f in grade(obs, rb).findings if f.rule_id == "DB-5.1-walk"]
    limit = rb.rule("DB-5.1-walk").value("speed_m_s")
    t, v = _truth_speeds("clerk", rb.rule("DB-5.1-walk").value("min_duration_s"))
    fast = t[v > limit]
    assert len(runs) == 1 and runs[0].verdict == Verdict.VIOLATION and runs[0].person == "clerk", runs
    # the violation covers the truth's fast windows and reads her fastest 1-s speed within 0.5 m/s
    assert runs[0].start_s <= fast.min() + 0.5 and runs[0].end_s >= fast.max() + 0.5, (runs[0], fast)
    assert abs(runs[0].measured_value - v.max()) <= 0.5, (runs[0].measured_value, v.max())
    # the passer-by ran faster still (truth > 4 m/s over 1 s), but is nobody's clerk
    assert _truth_speeds("passerby", 1.0)[1].max() > 4.0
